"""The daemon as a program: --check, signals, and portcullis-ctl."""

import os
import re
import subprocess

import dns.rcode
import pytest

from conftest import CTL, PORTCULLIS, need_binary

GOOD = """\
# a configuration using every documented key
server:
    interface: 127.0.0.53
    interface: 127.0.0.54@5353
    access-control: 127.0.0.0/8 allow
    access-control: 10.0.0.0/8 refuse
    root-hints: "{hints}"
    do-ip6: yes
    do-not-query-localhost: no
    qname-minimisation: yes
    cache-min-ttl: 0
    cache-max-ttl: 86400
    socket-pool-size: 2500
    socket-pool-range: 49152-65535
    socket-pool-exclude: 50000-50999
    socket-pool-exclude: 61000
    control-socket: "{dir}/ctl.sock"
    verbosity: 1
forward-zone:
    name: "alpha.lab."
    forward-addr: 127.10.0.1
stub-zone:
    name: "gamma.lab."
    stub-addr: 127.12.0.1
"""


def check(path):
    need_binary(PORTCULLIS)
    return subprocess.run([PORTCULLIS, "-c", path, "--check"],
                          capture_output=True, text=True, timeout=10)


def write(tmp_path, text):
    hints = tmp_path / "root.hints"
    hints.write_text(". 3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.1.0.1\n")
    conf = tmp_path / "portcullis.conf"
    conf.write_text(text.format(hints=hints, dir=tmp_path))
    return str(conf)


def test_check_accepts_good_config(tmp_path):
    conf = write(tmp_path, GOOD)
    r = check(conf)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(tmp_path / "ctl.sock"), "--check must not start"


BASE = 'server:\n    interface: 127.0.0.53\n    root-hints: "{hints}"\n'


@pytest.mark.parametrize("bad,key", [
    ("    frobnicate: yes\n", "frobnicate"),
    ("    do-ip6: maybe\n", "do-ip6"),
    ("    socket-pool-range: 5-3\n", "socket-pool-range"),
    ("    socket-pool-size: lots\n", "socket-pool-size"),
    ("    socket-pool-exclude: 70000\n", "socket-pool-exclude"),
    ("    interface: 127.0.0.999\n", "interface"),
    ("    access-control: 127.0.0.0/33 allow\n", "access-control"),
    ("    cache-max-ttl: -1\n", "cache-max-ttl"),
    ("    so-rcvbuf: 2g\n", "so-rcvbuf"),
])
def test_check_rejects_bad_config(tmp_path, bad, key):
    # the bad line is line 4, with a good line after it
    conf = write(tmp_path, BASE + bad + "    verbosity: 1\n")
    r = check(conf)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "want one line, got:\n" + r.stderr
    assert "%s:4: %s" % (conf, key) in lines[0], lines[0]


def test_sigterm_exits_zero(resolver):
    assert resolver.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR
    sock = resolver.ctl_sock
    resolver.stop()  # SIGTERM; asserts exit code 0 and a clean stderr
    assert resolver.proc.returncode == 0
    assert not os.path.exists(sock), "control socket left behind"


@pytest.mark.parametrize("args", [["frobnicate"], [], ["flush"], ["pool", "--yaml"]])
def test_ctl_usage_errors(resolver, args):
    r = resolver.ctl(*args)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert resolver.alive()


def test_ctl_without_socket_argument_is_an_error():
    need_binary(CTL)
    r = subprocess.run([CTL], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert len([l for l in r.stderr.splitlines() if l.strip()]) == 1, r.stderr


def test_ctl_stop(resolver):
    r = resolver.ctl("stop")
    assert r.returncode == 0, r.stderr
    assert resolver.wait_exit() == 0
    resolver.stop()  # checks stderr for sanitizer reports


def test_stats_keys(resolver):
    resolver.query("www.alpha.lab.", "A")
    st = resolver.stats()
    for key in ("queries.client.total", "queries.client.udp", "queries.client.tcp",
                "queries.client.refused", "queries.client.formerr", "cache.hits",
                "cache.misses", "queries.upstream.total", "queries.upstream.udp",
                "queries.upstream.tcp", "queries.upstream.timeouts",
                "replies.accepted", "replies.dropped.bad_id",
                "replies.dropped.bad_source", "replies.dropped.bad_question",
                "replies.dropped.malformed", "replies.dropped.unsolicited",
                "replies.dropped.total", "answers.noerror", "answers.nxdomain",
                "answers.servfail", "answers.refused", "pool.size.ip4",
                "pool.size.ip6", "pool.size.total", "cache.bytes",
                "cache.entries", "uptime.seconds"):
        assert key in st, key
    assert st["queries.client.total"] >= 1
    assert st["queries.client.udp"] >= 1
    assert st["answers.noerror"] >= 1
    assert st["queries.upstream.total"] >= 3  # root, lab., alpha.lab.
    assert st["replies.accepted"] >= 3


def listener_buffers(addr):
    """(rb, tb) of the UDP socket bound to addr:53, from ss -m: the kernel
    reports twice the bytes it grants."""
    out = subprocess.run(["ss", "-Huamn", "src", "%s:53" % addr], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)", out)
    assert m, "no UDP socket on %s:53 in ss -m output:\n%s" % (addr, out)
    return int(m.group(1)), int(m.group(2))


def sysctl(name):
    with open("/proc/sys/net/core/" + name) as f:
        return int(f.read())


def test_socket_buffers_as_configured(make_resolver):
    """so-rcvbuf / so-sndbuf set the client UDP socket's buffers; the kernel
    caps them at net.core.rmem_max / wmem_max (no CAP_NET_ADMIN in the
    test's namespace, so the FORCE options are refused)."""
    r = make_resolver(so_rcvbuf="96k", so_sndbuf="80k")
    assert r.query("www.alpha.lab.").rcode() == dns.rcode.NOERROR
    rb, tb = listener_buffers(r.listen)
    assert rb == 2 * min(96 * 1024, sysctl("rmem_max"))
    assert tb == 2 * min(80 * 1024, sysctl("wmem_max"))


def test_socket_buffers_default_and_system(make_resolver):
    """The default asks for 4 MiB each way; 0 keeps the system's default."""
    big = make_resolver()
    rb, tb = listener_buffers(big.listen)
    assert rb == 2 * min(4 << 20, sysctl("rmem_max"))
    assert tb == 2 * min(4 << 20, sysctl("wmem_max"))
    sysdef = make_resolver(so_rcvbuf=0, so_sndbuf=0)
    rb, tb = listener_buffers(sysdef.listen)
    assert rb == sysctl("rmem_default")
    assert tb == sysctl("wmem_default")
