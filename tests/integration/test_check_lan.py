"""A typical LAN resolver's unbound.conf (issue 19's drop-in promise):
access control for the LAN's /24, a forward-zone to public resolvers,
local-data for the LAN's hosts kept in an included file (include: with a
glob), num-threads, prefetch and serve-expired, a remote-control clause.
portcullis --check passes it (exit status 0) and says exactly one warning
per key this build ignores, naming file, line and key, and nothing else."""

import subprocess

from conftest import PORTCULLIS, need_binary

MAIN = """\
# /etc/unbound/unbound.conf of a home network's resolver
server:
    verbosity: 1
    interface: 0.0.0.0
    interface: ::0
    port: 53
    do-ip4: yes
    do-ip6: yes
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    access-control: ::1 allow
    access-control: 192.168.1.0/24 allow
    access-control: 0.0.0.0/0 refuse
    num-threads: 2
    so-reuseport: yes
    msg-cache-size: 32m
    rrset-cache-size: 64m
    cache-min-ttl: 300
    cache-max-ttl: 86400
    prefetch: yes
    serve-expired: yes
    serve-expired-ttl: 86400
    hide-identity: yes
    hide-version: yes
    qname-minimisation: yes
    edns-buffer-size: 1232
    include: "{dir}/unbound.conf.d/*.conf"

forward-zone:
    name: "."
    forward-addr: 9.9.9.9
    forward-addr: 149.112.112.112
    forward-first: no

remote-control:
    control-enable: yes
    control-interface: {dir}/unbound.ctl
"""

LAN = """\
server:
    local-zone: "home.lan." static
    local-data: "router.home.lan. IN A 192.168.1.1"
    local-data: "nas.home.lan. 600 IN A 192.168.1.10"
    local-data-ptr: "192.168.1.1 router.home.lan."
    local-data-ptr: "192.168.1.10 nas.home.lan."
    statistics-interval: 0
"""


def test_typical_lan_unbound_conf_passes_check_with_its_ignored_keys(tmp_path):
    need_binary(PORTCULLIS)
    d = tmp_path / "unbound.conf.d"
    d.mkdir()
    lan = d / "lan.conf"
    lan.write_text(LAN)
    conf = tmp_path / "unbound.conf"
    conf.write_text(MAIN.format(dir=tmp_path))
    r = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    got = sorted(l for l in r.stderr.splitlines() if l.strip())
    want = sorted([
        "portcullis: %s:16: so-reuseport: warning: ignored: the workers always share their "
        "ports (TCP with SO_REUSEPORT, UDP reading one socket in turns)" % conf,
        "portcullis: %s:17: msg-cache-size: warning: ignored: one cache; cache-size is its "
        "budget" % conf,
        "portcullis: %s:18: rrset-cache-size: warning: ignored: one cache; cache-size is its "
        "budget" % conf,
        "portcullis: %s:7: statistics-interval: warning: ignored: statistics are read with "
        "portcullis-ctl stats (included from %s:28)" % (lan, conf),
    ])
    assert got == want, r.stderr
    assert r.stdout == "portcullis: configuration %s is valid (with the warnings above)\n" % conf, \
        r.stdout
