"""Privilege drop (username:, chroot:, pidfile:): the daemon binds port 53,
its pool and its control socket as root, then runs as the configured user,
and keeps answering and rotating pool sockets.

These tests need real root (setuid to another user is impossible in the
unprivileged user namespace of tests/lab/netns-run): `make integration` runs
them in a second pass under tests/lab/netns-run-root when it runs as root."""

import os
import pwd
import stat
import subprocess

import pytest

from conftest import PORTCULLIS, answer_rdata, rand_label, zone_rdata



def full_root():
    """True when uid 0 here is the real root (no user namespace around us)."""
    with open("/proc/self/uid_map") as f:
        fields = f.read().split()
    return os.geteuid() == 0 and fields[:3] == ["0", "0", "4294967295"]


@pytest.fixture
def nobody():
    if not full_root():
        pytest.fail("privileged tests need real root: run them through "
                    "tests/lab/netns-run-root (make integration does as root)",
                    pytrace=False)
    return pwd.getpwnam("nobody")


def proc_ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = value.split()
    return out


def open_dir(tmp_path):
    # pytest's temporary directories are 0700 root; the dropped daemon must
    # not need them, but the pidfile check reads from here as root anyway.
    os.chmod(tmp_path, 0o755)
    return tmp_path


@pytest.mark.privileged
def test_runs_as_configured_user_and_keeps_working(make_resolver, nobody, lab, tmp_path):
    d = open_dir(tmp_path)
    pidfile = d / "portcullis.pid"
    r = make_resolver(username="nobody", pidfile='"%s"' % pidfile,
                      socket_pool_size=16, pool_rotate_uses=1)
    ids = proc_ids(r.pid)
    assert ids["Uid"] == [str(nobody.pw_uid)] * 4, ids
    assert ids["Gid"] == [str(nobody.pw_gid)] * 4, ids
    assert ids["Groups"] == [str(nobody.pw_gid)], ids
    assert pidfile.read_text() == "%d\n" % r.pid
    st = os.stat(r.ctl_sock)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == nobody.pw_uid
    # Resolution and pool rotation go on after the drop: with one use per
    # socket, every upstream query moves its socket to a fresh port.
    before = r.stats()
    for zone, name in (("alpha.lab.", "www.alpha.lab."), ("beta.net.", "www.beta.net.")):
        msg = r.query(name, "A")
        assert answer_rdata(msg, name, "A") == zone_rdata(zone, name, "A")
    for _ in range(3):
        r.query(rand_label() + ".alpha.lab.", "A")
    after = r.stats()
    assert after["pool.rotations"] > before["pool.rotations"], (before, after)
    assert "cannot" not in r.stderr()


@pytest.mark.privileged
def test_default_is_to_stay_when_the_user_is_missing(make_resolver, nobody):
    # No "portcullis" user on this machine: the default drops nothing.
    try:
        pwd.getpwnam("portcullis")
        pytest.fail("a portcullis user exists on this machine; this test needs none",
                    pytrace=False)
    except KeyError:
        pass
    r = make_resolver()
    assert proc_ids(r.pid)["Uid"] == ["0"] * 4


@pytest.fixture
def jail(tmp_path):
    """An empty directory with /proc mounted in it: the daemon needs nothing
    from its chroot, but the leak checker of the sanitizer build reads
    /proc/PID/task at exit. The mount lives in netns-run-root's own mount
    namespace."""
    j = open_dir(tmp_path) / "jail"
    (j / "proc").mkdir(parents=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(j / "proc")], check=True)
    yield j
    subprocess.run(["umount", "-l", str(j / "proc")], check=False)


@pytest.mark.privileged
def test_chroot(jail, nobody, make_resolver):
    # jail first: it must be unmounted after the daemon has stopped.
    r = make_resolver(username="nobody", chroot='"%s"' % jail, socket_pool_size=4)
    assert os.readlink("/proc/%d/root" % r.pid) == str(jail)
    assert proc_ids(r.pid)["Uid"] == [str(nobody.pw_uid)] * 4
    name = "www.alpha.lab."
    assert answer_rdata(r.query(name, "A"), name, "A") == zone_rdata("alpha.lab.", name, "A")


@pytest.mark.privileged
def test_unknown_user_is_refused(nobody, tmp_path):
    conf = tmp_path / "p.conf"
    conf.write_text("server:\n    username: no-such-user-here\n")
    res = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                         text=True)
    assert res.returncode == 2
    assert res.stderr.strip() == 'portcullis: username: no user "no-such-user-here" on this system'


def fake_user_db(tmp_path, uid):
    """Copies of /etc/passwd and /etc/group with a user and group
    "portcullis" (uid = gid = UID) added, for a mount namespace to put in
    place of the real ones."""
    files = {}
    for name, line in (("passwd", "portcullis:x:%d:%d::/nonexistent:/usr/sbin/nologin\n"),
                       ("group", "portcullis:x:%d:\n")):
        with open("/etc/" + name) as f:
            text = f.read()
        path = tmp_path / name
        path.write_text(text + (line % ((uid, uid) if name == "passwd" else (uid,))))
        files[name] = path
    return files


def start_with_user_db(r, files):
    """Start r's daemon in a mount namespace whose /etc/passwd and
    /etc/group are FILES."""
    setup = ("mount --bind {p} /etc/passwd && mount --bind {g} /etc/group && "
             "exec {d} -c {c}").format(p=files["passwd"], g=files["group"], d=PORTCULLIS,
                                      c=r.conf_path)
    with open(r.stderr_path, "wb") as err:
        r.proc = subprocess.Popen(["unshare", "-m", "sh", "-c", setup],
                                  stdin=subprocess.DEVNULL, stdout=err,
                                  stderr=subprocess.STDOUT)
    r.wait_ready()


@pytest.mark.privileged
def test_default_user_portcullis_is_taken_when_it_exists(make_resolver, nobody, tmp_path):
    d = open_dir(tmp_path)
    r = make_resolver(start=False, username=None, socket_pool_size=4)
    assert "username" not in open(r.conf_path).read()
    start_with_user_db(r, fake_user_db(d, 64999))
    ids = proc_ids(r.pid)
    assert ids["Uid"] == ["64999"] * 4 and ids["Gid"] == ["64999"] * 4, ids
    name = "www.alpha.lab."
    assert answer_rdata(r.query(name, "A"), name, "A") == zone_rdata("alpha.lab.", name, "A")
