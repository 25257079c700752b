"""The default privilege drop inside an unprivileged user namespace (where
tests, containers and sandboxes run): a user "portcullis" whose ids do not
exist in the namespace cannot be become, so the default does not try, and
the daemon starts as it is. Set explicitly, the user must be become or the
start fails with a message that says why."""

import subprocess

from conftest import PORTCULLIS
from test_privs import fake_user_db, proc_ids, start_with_user_db


def test_default_user_not_mapped_here_is_not_tried(make_resolver, tmp_path):
    with open("/proc/self/uid_map") as f:
        assert f.read().split()[2] == "1", "this test runs in netns-run's user namespace"
    r = make_resolver(start=False)
    start_with_user_db(r, fake_user_db(tmp_path, 64999))
    assert proc_ids(r.pid)["Uid"] == ["0"] * 4
    assert r.query("www.alpha.lab.", "A").rcode() == 0


def test_explicit_user_not_mapped_here_fails_clearly(make_resolver, tmp_path):
    r = make_resolver(start=False, username="portcullis")
    files = fake_user_db(tmp_path, 64999)
    setup = ("mount --bind {p} /etc/passwd && mount --bind {g} /etc/group && "
             "exec {d} -c {c}").format(p=files["passwd"], g=files["group"], d=PORTCULLIS,
                                      c=r.conf_path)
    res = subprocess.run(["unshare", "-m", "sh", "-c", setup], capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 2
    assert res.stderr == ('portcullis: username: "portcullis" (uid 64999, gid 64999) does not '
                          'exist in this user namespace, so the daemon cannot become it\n')
