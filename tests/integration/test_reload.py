"""Reload (SIGHUP, portcullis-ctl reload), the control verbs about the
configuration (status, verbosity, list_forwards, forward_add,
forward_remove) and sd_notify around a reload, against the real daemon in
the lab."""

import os
import signal
import socket
import subprocess

import dns.rcode
import pytest

from conftest import PORTCULLIS, READY_TIMEOUT, answer_rdata, need_binary, rand_label, wait_for

import servers  # tests/lab/servers.py (conftest puts tests/lab on the path)

FWD = 'forward-zone:\n    name: "fwd.lab."\n    forward-addr: 127.30.0.1\n'


def rewrite(r, extra="", **changes):
    """Rewrite r's config: the same server: lines with CHANGES (key: value,
    dashes as underscores; None drops the key) and EXTRA appended."""
    with open(r.conf_path) as f:
        lines = f.read().split("\n")
    server, seen = [], set()
    for line in lines:
        if not line.startswith("    ") or ":" not in line:
            if line.strip() and line.strip() != "server:":
                break  # the clauses after server: are replaced by EXTRA
            server.append(line)
            continue
        key = line.strip().split(":", 1)[0]
        k = key.replace("-", "_")
        if k in changes:
            seen.add(k)
            if changes[k] is not None:
                server.append("    %s: %s" % (key, changes[k]))
            continue
        server.append(line)
    for k, v in changes.items():
        if k not in seen and v is not None:
            server.append("    %s: %s" % (k.replace("_", "-"), v))
    text = "\n".join(l for l in server if l) + "\n" + extra
    with open(r.conf_path, "w") as f:
        f.write(text)


def upstream_queries(r):
    return r.stats()["queries.upstream.total"]


def logged(r, text, timeout=5.0):
    return wait_for(lambda: text in r.stderr(), timeout)


def test_sighup_applies_forward_zone_and_keeps_the_cache(make_resolver, lab):
    r = make_resolver()
    name = rand_label("r") + ".fwd.lab."
    # fwd.lab. is delegated nowhere: without the forward zone it does not exist.
    assert r.query(name, "A").rcode() == dns.rcode.NXDOMAIN
    assert r.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR
    rewrite(r, FWD)
    os.kill(r.pid, signal.SIGHUP)
    assert logged(r, "reloaded " + r.conf_path), r.stderr()
    assert r.alive()
    a = r.query(name, "A")
    assert a.rcode() == dns.rcode.NOERROR, a
    assert answer_rdata(a, name, "A") == {servers.rnd_address(name)}
    assert any(e["qname"].lower() == name for e in lab.read_rnd_log()), \
        "the forwarder never saw the query"
    # The cache survived the reload: the name cached before is answered
    # without a single upstream query.
    before, hits = upstream_queries(r), r.stats()["cache.hits"]
    a = r.query("www.alpha.lab.", "A")
    assert a.rcode() == dns.rcode.NOERROR
    assert answer_rdata(a, "www.alpha.lab.", "A") == {"192.0.2.10"}
    s = r.stats()
    assert s["queries.upstream.total"] == before, "a cached name went upstream after reload"
    assert s["cache.hits"] == hits + 1
    assert "SIGHUP: reloading" in r.stderr()


def test_broken_config_is_refused_and_the_daemon_keeps_answering(make_resolver):
    r = make_resolver(extra_conf=FWD)
    name = rand_label("b") + ".fwd.lab."
    assert r.query(name, "A").rcode() == dns.rcode.NOERROR
    good = open(r.conf_path).read()
    with open(r.conf_path, "a") as f:
        f.write("server:\n    frobnicate: yes\n    verbosity: 9\n")
    bad_line = len(good.split("\n"))  # "frobnicate" is the line after "server:"
    res = r.ctl("reload")
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "reload refused" in res.stderr
    assert "%s:%d: frobnicate: unknown key" % (r.conf_path, bad_line + 1) in res.stderr, res.stderr
    # Both errors are in the log; the old configuration keeps serving.
    assert logged(r, "frobnicate: unknown key")
    assert logged(r, 'verbosity: "9" is out of range')
    os.kill(r.pid, signal.SIGHUP)
    assert wait_for(lambda: r.stderr().count("reload refused") >= 2), r.stderr()
    assert r.alive()
    a = r.query(rand_label("b") + ".fwd.lab.", "A")
    assert a.rcode() == dns.rcode.NOERROR, "the forward zone in force was lost"
    st = r.ctl("status")
    assert st.returncode == 0
    assert "reloads: 0 (2 refused)" in st.stdout, st.stdout


def test_reload_reports_what_needs_a_restart(make_resolver):
    r = make_resolver(socket_pool_size=16)
    rewrite(r, socket_pool_size=32, verbosity=2, cache_max_ttl=60)
    res = r.ctl("reload")
    assert res.returncode == 0, res.stderr
    assert "needs restart (kept as they were): socket-pool-size" in res.stdout, res.stdout
    assert r.stats()["pool.size.ip4"] == 16
    st = r.ctl("status").stdout
    assert "verbosity: 2" in st, st
    # cache-max-ttl applies: a new answer is cached for at most 60 s.
    a = r.query("ttl60.alpha.lab.", "A")
    assert a.answer and a.answer[0].ttl <= 60
    a = r.query("www.alpha.lab.", "A")
    assert a.answer and a.answer[0].ttl <= 60


def test_reload_applies_access_control_in_the_readers(make_resolver):
    r = make_resolver(num_threads=2)
    assert r.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR
    rewrite(r, access_control="127.0.0.0/8 refuse")
    assert r.ctl("reload").returncode == 0
    for _ in range(8):  # whichever reader reads it
        assert r.query("www.alpha.lab.", "A").rcode() == dns.rcode.REFUSED
    rewrite(r, access_control="127.0.0.0/8 allow")
    assert r.ctl("reload").returncode == 0
    for _ in range(8):
        assert r.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR


def test_status_and_verbosity(make_resolver):
    r = make_resolver(num_threads=2, socket_pool_size=10)
    st = r.ctl("status")
    assert st.returncode == 0, st.stderr
    assert "portcullis (pid %d) is running..." % r.pid in st.stdout, st.stdout
    assert "threads: 2" in st.stdout
    assert "verbosity: 1" in st.stdout
    assert "pool: 20 sockets (10 ip4, 10 ip6)" in st.stdout, st.stdout
    assert "config: %s" % r.conf_path in st.stdout
    assert r.ctl("verbosity", "3").returncode == 0
    assert "verbosity: 3" in r.ctl("status").stdout
    r.query(rand_label("v") + ".alpha.lab.", "A")
    assert logged(r, "send "), "verbosity 3 did not turn on debug logging"
    bad = r.ctl("verbosity", "7")
    assert bad.returncode == 2


def test_forward_add_list_remove(make_resolver, lab):
    r = make_resolver(extra_conf='forward-zone:\n    name: "stub.lab."\n'
                                 '    forward-addr: 127.30.0.1@53\n')
    lf = r.ctl("list_forwards")
    assert lf.returncode == 0
    assert lf.stdout == "stub.lab. IN forward 127.30.0.1\n", lf.stdout
    name = rand_label("f") + ".fwd.lab."
    assert r.query(name, "A").rcode() == dns.rcode.NXDOMAIN
    res = r.ctl("forward_add", "+i", "fwd.lab.", "127.30.0.1", "127.30.0.1@5300")
    assert res.returncode == 0, res.stderr
    lf = r.ctl("list_forwards").stdout
    assert "fwd.lab. IN forward 127.30.0.1 127.30.0.1@5300\n" in lf, lf
    # The NXDOMAIN cached for the name is gone with the change.
    a = r.query(name, "A")
    assert a.rcode() == dns.rcode.NOERROR, a
    assert answer_rdata(a, name, "A") == {servers.rnd_address(name)}
    # Removing it flushes what it brought: the name no longer exists.
    assert r.ctl("forward_remove", "fwd.lab").returncode == 0
    assert r.query(name, "A").rcode() == dns.rcode.NXDOMAIN
    assert "fwd.lab." not in r.ctl("list_forwards").stdout
    err = r.ctl("forward_remove", "fwd.lab.")
    assert err.returncode == 1 and "not a forward zone" in err.stderr
    err = r.ctl("forward_add", "x.lab.", "not-an-address")
    assert err.returncode == 1 and "not an address" in err.stderr
    # A reload reads the file again: what forward_add did is gone.
    r.ctl("forward_add", "fwd.lab.", "127.30.0.1")
    assert r.ctl("reload").returncode == 0
    assert "fwd.lab." not in r.ctl("list_forwards").stdout


def test_notify_reloading_then_ready(make_resolver, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(READY_TIMEOUT)
    try:
        r = make_resolver(start=False)
        r.start(env={"NOTIFY_SOCKET": path})
        while "READY=1" not in sock.recv(4096).decode():
            pass
        os.kill(r.pid, signal.SIGHUP)
        first = sock.recv(4096).decode()
        assert "RELOADING=1" in first, first
        second = sock.recv(4096).decode()
        assert "READY=1" in second and "reloaded" in second, second
    finally:
        sock.close()


LAN = """\
server:
    verbosity: 1
    interface: 0.0.0.0
    access-control: 127.0.0.0/8 allow
    access-control: 192.168.1.0/24 allow
    num-threads: 2
    prefetch: yes
    hide-version: yes
    local-zone: "home.lan." static
    include: "{dir}/conf.d/*.conf"
forward-zone:
    name: "."
    forward-addr: 9.9.9.9
"""


def test_check_lists_every_problem_of_an_unbound_conf(tmp_path):
    need_binary(PORTCULLIS)
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "local.conf").write_text('server:\n    local-data: "nas.home.lan. A 192.168.1.10"\n')
    conf = tmp_path / "unbound.conf"
    conf.write_text(LAN.format(dir=tmp_path))
    r = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    warn = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(warn) == 1, r.stderr
    assert all(": warning: ignored: " in l for l in warn), r.stderr
    assert "%s:7: prefetch: warning" % conf in r.stderr
    # local-zone and local-data are read (local zones), not warned about
    assert "local-data: warning" not in r.stderr
    # Every unknown key of the file at once, not only the first.
    conf.write_text("server:\n    frobnicate: 1\n    wibble: 2\n    trusted-keys-file: x\n")
    r = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 3, r.stderr
    assert "frobnicate: unknown key" in lines[0] and "wibble: unknown key" in lines[1]
    assert "BIND-style trusted keys are not read here; give the same keys with trust-anchor-file" in lines[2]


def test_control_group_makes_the_socket_group_accessible(make_resolver):
    import grp
    group = grp.getgrgid(os.getgid()).gr_name
    r = make_resolver(control_group=group)
    st = os.stat(r.ctl_sock)
    assert st.st_mode & 0o777 == 0o660, oct(st.st_mode)
    assert st.st_gid == os.getgid()
    assert r.ctl("status").returncode == 0
    plain = make_resolver()
    assert os.stat(plain.ctl_sock).st_mode & 0o777 == 0o600


def test_control_group_must_exist(tmp_path):
    need_binary(PORTCULLIS)
    conf = tmp_path / "p.conf"
    conf.write_text("server:\n    control-group: no-such-group-x\n")
    r = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2
    assert 'control-group: no group "no-such-group-x"' in r.stderr, r.stderr


def test_reload_keeps_local_zones_and_says_they_need_a_restart(make_resolver):
    # The local zone table is made at start: a reload that changes the
    # local lines keeps it and says so; one that brings back the start's
    # lines says nothing of them.
    r = make_resolver(local_zone='"lzr.test." static', local_data='"a.lzr.test. A 192.0.2.7"')
    assert answer_rdata(r.query("a.lzr.test.", "A"), "a.lzr.test.", "A") == {"192.0.2.7"}
    rewrite(r, local_data='"a.lzr.test. A 192.0.2.8"')
    res = r.ctl("reload")
    assert res.returncode == 0, res.stderr
    assert "needs restart (kept as they were): local-zone/local-data" in res.stdout, res.stdout
    assert answer_rdata(r.query("a.lzr.test.", "A"), "a.lzr.test.", "A") == {"192.0.2.7"}
    # A control verb's copy of the configuration in force, then a reload
    # back to the start's lines: nothing needs a restart.
    assert r.ctl("forward_add", "fwd.lab.", "127.30.0.1").returncode == 0
    rewrite(r, local_data='"a.lzr.test. A 192.0.2.7"')
    res = r.ctl("reload")
    assert res.returncode == 0, res.stderr
    assert "needs restart" not in res.stdout, res.stdout
    assert answer_rdata(r.query("a.lzr.test.", "A"), "a.lzr.test.", "A") == {"192.0.2.7"}
    assert r.alive()
