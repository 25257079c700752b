"""make install: what `cmake --install` puts where, and that what it puts
works from there (the installed example configuration passes --check; every
man page renders without a warning)."""

import os
import subprocess

from conftest import BUILD, REPO

EXPECTED = [
    "sbin/portcullis",
    "sbin/portcullis-ctl",
    "bin/portcullis-port",
    "share/man/man1/portcullis-port.1",
    "share/man/man5/portcullis.conf.5",
    "share/man/man8/portcullis.8",
    "share/man/man8/portcullis-ctl.8",
    "share/doc/portcullis/examples/portcullis.conf",
]


def test_install_tree(tmp_path):
    prefix = tmp_path / "usr"
    dest = tmp_path / "stage"
    env = dict(os.environ, DESTDIR=str(dest))
    subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)],
                   check=True, env=env, capture_output=True)
    root = dest / str(prefix).lstrip("/")
    missing = [p for p in EXPECTED if not (root / p).is_file()]
    assert not missing, "not installed: %s" % missing
    for prog in ("sbin/portcullis", "sbin/portcullis-ctl", "bin/portcullis-port"):
        assert os.access(root / prog, os.X_OK), prog
    # The installed daemon accepts the installed example configuration.
    r = subprocess.run([str(root / "sbin/portcullis"), "-c",
                        str(root / "share/doc/portcullis/examples/portcullis.conf"),
                        "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_man_pages_render_cleanly():
    mandir = os.path.join(REPO, "man")
    pages = sorted(os.listdir(mandir))
    assert "portcullis.8" in pages
    for page in pages:
        r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(mandir, page)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", "%s: %s" % (page, r.stderr)


def test_systemd_unit_verifies(tmp_path):
    """The unit as configured for a prefix passes systemd-analyze verify
    (its ExecStart exists and is executable there, its man pages resolve)."""
    prefix = tmp_path / "usr"
    conf = tmp_path / "conf"
    subprocess.run(["cmake", "-S", REPO, "-B", str(conf), "-DPC_TESTS=OFF",
                    "-DCMAKE_INSTALL_PREFIX=%s" % prefix], check=True, capture_output=True)
    subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)],
                   check=True, capture_output=True, env=dict(os.environ, DESTDIR=""))
    unit = (conf / "portcullis.service").read_text()
    assert "Type=notify" in unit
    assert "ExecStart=%s/sbin/portcullis -c %s/etc/portcullis/portcullis.conf" % (
        prefix, prefix) in unit
    path = tmp_path / "portcullis.service"
    path.write_text(unit)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                       text=True, env=dict(os.environ, MANPATH=str(prefix / "share/man")))
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_version_everywhere():
    """Every program prints the project's version, which is the package's."""
    import re
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        version = re.search(r"project\(portcullis VERSION ([0-9.]+)", f.read()).group(1)
    with open(os.path.join(REPO, "debian", "changelog")) as f:
        assert f.readline().startswith("portcullis (%s" % version)
    for prog in ("portcullis", "portcullis-ctl", "portcullis-port"):
        r = subprocess.run([os.path.join(BUILD, prog), "--version"], capture_output=True,
                           text=True)
        assert (r.returncode, r.stdout, r.stderr) == (0, "%s %s\n" % (prog, version), ""), prog
