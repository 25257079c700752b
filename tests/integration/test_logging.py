"""Logging: timestamped lines on stderr, logfile:, use-syslog: with syslog
priorities, and a one-line notice when the daemon is ready and when it stops,
at the default verbosity."""

import os
import re
import socket
import subprocess

from conftest import PORTCULLIS

# 2026-12-05T08:29:00.123Z portcullis[1234] notice: ready: ...
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z portcullis\[(\d+)\] "
                  r"(error|warning|notice|info|debug): (.*)$")


def parse(text):
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, "not a log line: %r" % line
        out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def test_stderr_lines_have_time_pid_level_and_ready_notice(make_resolver):
    r = make_resolver()  # verbosity 1, the default
    lines = parse(r.stderr())
    assert [(p, lvl) for p, lvl, _ in lines] == [(r.pid, "notice")], lines
    assert lines[0][2].startswith("ready: answering on 1 interfaces")
    r.stop()
    assert parse(r.stderr())[-1] == (r.pid, "notice", "stopped")


def test_quiet_at_verbosity_0(make_resolver):
    r = make_resolver(verbosity=0)
    r.stop()
    assert r.stderr() == ""


def test_logfile(make_resolver, tmp_path):
    path = tmp_path / "portcullis.log"
    path.write_text("an earlier line\n")
    r = make_resolver(logfile='"%s"' % path, verbosity=2)
    r.stop()
    assert r.stderr() == ""
    text = path.read_text()
    assert text.startswith("an earlier line\n")  # appended, never truncated
    lines = parse(text.split("\n", 1)[1])
    msgs = [m for _, _, m in lines]
    assert any(m.startswith("ready: ") for m in msgs), msgs
    assert msgs[-1] == "stopped"


def test_logfile_created_0640(make_resolver, tmp_path):
    path = tmp_path / "new.log"
    old = os.umask(0o022)
    try:
        r = make_resolver(logfile='"%s"' % path)
    finally:
        os.umask(old)
    r.stop()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert "notice: stopped" in path.read_text()


def test_logfile_that_cannot_be_opened(tmp_path):
    conf = tmp_path / "p.conf"
    conf.write_text('server:\n    interface: 127.0.0.9\n    logfile: "%s/no/such/dir/p.log"\n'
                    '    control-socket: "%s/ctl"\n' % (tmp_path, tmp_path))
    r = subprocess.run([PORTCULLIS, "-c", str(conf)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 1
    assert r.stderr == ("portcullis: logfile: cannot open %s/no/such/dir/p.log: "
                        "No such file or directory\n" % tmp_path)


def test_syslog_priorities(make_resolver, tmp_path):
    """use-syslog: yes sends to /dev/log. The daemon runs in a mount namespace
    whose /dev/log is a socket of the test's."""
    sock_path = str(tmp_path / "log.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    dev = tmp_path / "dev"
    r = make_resolver(start=False, use_syslog=True, verbosity=2)
    setup = ("mkdir -p {d} && mount -t tmpfs tmpfs {d} && "
             "for f in null zero urandom random; do touch {d}/$f; "
             "mount --bind /dev/$f {d}/$f; done && touch {d}/log && "
             "mount --bind {s} {d}/log && mount --move {d} /dev && "
             "exec {p} -c {c}").format(d=dev, s=sock_path, p=PORTCULLIS, c=r.conf_path)
    with open(r.stderr_path, "wb") as err:
        r.proc = subprocess.Popen(["unshare", "-m", "sh", "-c", setup],
                                  stdin=subprocess.DEVNULL, stdout=err,
                                  stderr=subprocess.STDOUT)
    r.wait_ready()
    r.stop()
    assert r.stderr() == ""
    sock.settimeout(5)
    got = []
    while not any("notice: stopped" in m for _, m in got):
        data = sock.recv(4096).decode()
        m = re.match(r"^<(\d+)>.*portcullis\[(\d+)\]: (.*)$", data)
        assert m, data
        assert int(m.group(2)) == r.pid
        got.append((int(m.group(1)), m.group(3)))
    sock.close()
    facility_daemon = 3 << 3
    by_msg = {m.split(": ", 1)[1].split(":")[0]: pri for pri, m in got}
    assert by_msg["ready"] == facility_daemon | 5      # LOG_NOTICE
    assert by_msg["stopped"] == facility_daemon | 5
    assert any(pri == facility_daemon | 6 for pri, _ in got), got  # LOG_INFO lines
