"""scripts/deps.sh installs packages without leaving services behind.

Installing nsd (or unbound, pdns-recursor, knot-resolver) on Debian starts
its service and enables it for every boot. deps.sh must install with a
policy-rc.d that forbids starting services, then disable and stop whatever
the install enabled, and leave services enabled before untouched. Run with
stand-ins for apt-get, dpkg-query, systemctl and id on PATH, and the
systemd directory and policy-rc.d path pointed into a temporary directory
(PC_DEPS_SYSTEMD_DIR, PC_DEPS_POLICY_RC_D), so nothing on the host changes.
"""
import os
import subprocess

from conftest import REPO

DEPS = os.path.join(REPO, "scripts", "deps.sh")

STUBS = {
    # Every package is missing.
    "dpkg-query": "#!/bin/sh\nexit 1\n",
    "id": "#!/bin/sh\necho 0\n",
    # The install: note whether policy-rc.d forbade starts at that moment,
    # then enable two units as Debian's maintainer scripts do.
    "apt-get": """#!/bin/sh
echo "apt-get $*" >>"$LOG"
case "$1" in install)
  if [ -x "$PC_DEPS_POLICY_RC_D" ]; then
    "$PC_DEPS_POLICY_RC_D" nsd start
    echo "policy: $?" >>"$LOG"
  fi
  mkdir -p "$PC_DEPS_SYSTEMD_DIR/multi-user.target.wants"
  ln -s /lib/systemd/system/nsd.service "$PC_DEPS_SYSTEMD_DIR/multi-user.target.wants/nsd.service"
  ln -s /lib/systemd/system/unbound-resolvconf.service \\
     "$PC_DEPS_SYSTEMD_DIR/multi-user.target.wants/unbound-resolvconf.service"
esac
""",
    "systemctl": """#!/bin/sh
echo "systemctl $*" >>"$LOG"
if [ "$1" = disable ]; then rm -f "$PC_DEPS_SYSTEMD_DIR"/*.wants/"$2"; fi
""",
}


def test_deps_leaves_no_service_enabled_or_running(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    units = tmp_path / "systemd"
    wants = units / "multi-user.target.wants"
    wants.mkdir(parents=True)
    os.symlink("/lib/systemd/system/ssh.service", wants / "ssh.service")  # enabled before
    log = tmp_path / "log"
    policy = tmp_path / "policy-rc.d"
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]), LOG=str(log),
               PC_DEPS_SYSTEMD_DIR=str(units), PC_DEPS_POLICY_RC_D=str(policy),
               TMPDIR=str(tmp_path))
    r = subprocess.run(["sh", DEPS, "demo"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert any(c.startswith("apt-get install") and " nsd " in c + " " for c in calls), calls
    # Starting services was forbidden during the install (exit 101) ...
    assert "policy: 101" in calls, calls
    # ... and policy-rc.d is gone afterwards.
    assert not policy.exists()
    # What the install enabled is disabled and stopped; ssh stays enabled.
    for unit in ("nsd.service", "unbound-resolvconf.service"):
        assert "systemctl disable %s" % unit in calls, calls
        assert "systemctl stop %s" % unit in calls, calls
        assert not os.path.lexists(wants / unit)
        assert unit in r.stderr
    assert os.path.islink(wants / "ssh.service")
    assert not any("ssh.service" in c for c in calls if c.startswith("systemctl"))


def test_deps_keeps_an_existing_policy(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 0\n")
    policy.chmod(0o755)
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]),
               LOG=str(tmp_path / "log"), PC_DEPS_SYSTEMD_DIR=str(tmp_path / "systemd"),
               PC_DEPS_POLICY_RC_D=str(policy), TMPDIR=str(tmp_path))
    r = subprocess.run(["sh", DEPS, "demo"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert policy.read_text() == "#!/bin/sh\nexit 0\n"     # the admin's, untouched
    assert "systemctl disable nsd.service" in (tmp_path / "log").read_text()
