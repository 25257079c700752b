"""Defenses beyond RFC 5452 matching, each checked by what the servers see
and what the client gets: TCP after a mismatch, the 0x20 fallback and
caps-exempt, defensive mode at the unwanted-reply threshold, merging of
identical questions, DNS cookies as a client, refusal of fragmented replies.

Each behaviour is also run with its defense off where that shows the test
can fail (the server sees something else, or the forged answer wins)."""

import json
import os
import socket
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import answer_rdata, rand_label, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SERVERS_PY = os.path.join(REPO, "tests", "lab", "servers.py")
GENUINE = {"192.0.2.1"}
DECOY = {"192.0.2.66"}


def entries(lab, server, name):
    """The queries the lab server logged for NAME (any case)."""
    name = name.lower()
    return [e for e in lab.read_query_log(server) if e["qname"].lower() == name]


def letters(text):
    return [c for c in text if c.isalpha()]


# ----- TCP after a mismatch -----

def test_wrong_id_from_server_retried_over_tcp(make_resolver, lab):
    r = make_resolver()
    name = "%s.wrongid.lab." % rand_label("m")
    ans = r.query(name, timeout=10)
    assert answer_rdata(ans, name, "A") == GENUINE
    seen = entries(lab, "wrongid", name)
    assert [e["tcp"] for e in seen if e["qtype"] == "A"] == [False, True], seen
    st = r.stats()
    assert st["replies.dropped.bad_id"] >= 1
    assert st["queries.upstream.tcp_after_mismatch"] >= 1


def test_wrong_id_without_tcp_after_mismatch(make_resolver, lab):
    r = make_resolver(tcp_after_mismatch=False)
    name = "%s.wrongid.lab." % rand_label("m")
    assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    assert not any(e["tcp"] for e in entries(lab, "wrongid", name))
    assert r.stats()["queries.upstream.tcp_after_mismatch"] == 0


# ----- 0x20: a server that does not echo case, and caps-exempt -----

def test_server_without_0x20_falls_back(make_resolver, lab):
    r = make_resolver()
    name = "%s.nocase.lab." % rand_label("caseless")
    assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    # the UDP reply in lowercase was refused, the TCP one accepted
    assert [e["tcp"] for e in entries(lab, "nocase", name)] == [False, True]
    # two confirmed misses mark the server (the name server's own address
    # lookups may already have brought the second)
    for _ in range(2):
        if r.stats()["upstream.caps_fallback_servers"] == 1:
            break
        name = "%s.nocase.lab." % rand_label("caseless")
        assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    st = r.stats()
    assert st["replies.dropped.bad_case"] >= 2
    assert st["upstream.caps_misses"] >= 2
    assert st["upstream.caps_fallback_servers"] == 1
    # from now on the server is asked in lowercase, over UDP only
    later = ["%s.nocase.lab." % rand_label("caseless") for _ in range(3)]
    for name in later:
        assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
        seen = entries(lab, "nocase", name)
        assert seen and all(not e["tcp"] for e in seen), seen
        assert all(e["qname"] == e["qname"].lower() for e in seen), seen
    after = r.stats()
    assert after["replies.dropped.bad_case"] == st["replies.dropped.bad_case"]
    # other servers still get 0x20
    other = "%s.rnd.lab." % rand_label("mixedcasecheck")
    r.query(other)
    sent = [e["qname"] for e in lab.read_rnd_log() if e["qname"].lower() == other]
    assert sent and any(c.isupper() for c in letters(sent[0])), sent


def test_caps_exempt_zone_gets_lowercase(make_resolver, lab):
    r = make_resolver(caps_exempt="nocase.lab")
    name = "%s.nocase.lab." % rand_label("exemptcaseless")
    assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    seen = entries(lab, "nocase", name)
    assert seen and all(not e["tcp"] for e in seen), seen
    assert all(e["qname"] == e["qname"].lower() for e in seen), seen
    st = r.stats()
    assert st["replies.dropped.bad_case"] == 0
    assert st["queries.upstream.tcp_after_mismatch"] == 0


# ----- unwanted-reply threshold and defensive mode -----

def test_threshold_enters_defensive_mode_and_flushes(make_resolver, lab):
    r = make_resolver(unwanted_reply_threshold=3, defensive_mode_time=3)
    cached = "%s.wrongid.lab." % rand_label("cached")
    assert answer_rdata(r.query(cached, timeout=10), cached, "A") == GENUINE
    time.sleep(0.2)  # the late genuine UDP reply is an unwanted one too
    assert r.stats()["upstream.defensive_mode"] == 0
    n_cached = len(entries(lab, "wrongid", cached))
    r.query(cached)  # from the cache: the server sees nothing
    assert len(entries(lab, "wrongid", cached)) == n_cached
    for _ in range(4):
        name = "%s.wrongid.lab." % rand_label("push")
        assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
        if r.stats()["upstream.defensive_mode"] == 1:
            break
    st = r.stats()
    assert st["upstream.defensive_mode"] == 1, st
    assert st["upstream.defensive_entries"] == 1
    assert "defensive mode" in r.stderr()
    assert "flushing wrongid.lab." in r.stderr()
    # the zone was flushed: the name is fetched again, and over TCP only
    assert answer_rdata(r.query(cached, timeout=10), cached, "A") == GENUINE
    again = entries(lab, "wrongid", cached)[n_cached:]
    assert again and all(e["tcp"] for e in again), again
    assert r.stats()["queries.upstream.defensive_tcp"] > st["queries.upstream.defensive_tcp"]
    # and it ends after defensive-mode-time
    assert wait_for(lambda: r.stats()["upstream.defensive_mode"] == 0, 5.0)
    fresh = "%s.rnd.lab." % rand_label("after")
    before = r.stats()["queries.upstream.udp"]
    r.query(fresh)
    assert r.stats()["queries.upstream.udp"] > before


def test_threshold_off_never_defensive(make_resolver, lab):
    r = make_resolver(unwanted_reply_threshold=0)
    for _ in range(3):
        name = "%s.wrongid.lab." % rand_label("off")
        r.query(name, timeout=10)
    st = r.stats()
    assert st["replies.dropped.total"] >= 3
    assert st["upstream.defensive_mode"] == 0
    assert st["upstream.defensive_entries"] == 0


# ----- merging identical questions -----

def ask_concurrently(r, name, n):
    wires = []
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        q = dns.message.make_query(name, "A")
        s.sendto(q.to_wire(), (r.listen, 53))
        socks.append((s, q))
    for s, q in socks:
        with s:
            wires.append(dns.message.from_wire(s.recv(65535)))
    return wires


@pytest.mark.parametrize("merge", [True, False])
def test_identical_questions_merged(make_resolver, lab, merge):
    r = make_resolver(merge_identical_queries=merge)
    warm = "%s.slow.lab." % rand_label("warm")
    r.query(warm, timeout=10)  # delegation cached, RTT of the slow server known
    r.query("%s.slow.lab." % rand_label("warm"), timeout=10)
    name = "%s.slow.lab." % rand_label("merge")
    n = 20
    before = r.stats()["queries.upstream.merged"]
    replies = ask_concurrently(r, name, n)
    for m in replies:
        assert answer_rdata(m, name, "A") == GENUINE
    seen = [e for e in entries(lab, "slow", name) if e["qtype"] == "A"]
    merged = r.stats()["queries.upstream.merged"] - before
    if merge:
        assert len(seen) == 1, seen
        assert merged == n - 1
    else:
        assert len(seen) == n, seen
        assert merged == 0


# ----- DNS cookies -----

def test_cookie_learned_from_nsd(make_resolver, lab):
    r = make_resolver()
    assert answer_rdata(r.query("www.gamma.lab."), "www.gamma.lab.", "A") == {"192.0.2.30"}
    st = r.stats()
    assert st["cookies.learned"] >= 1
    ans = r.query("ns.gamma.lab.")
    assert answer_rdata(ans, "ns.gamma.lab.", "A") == {"127.11.0.1"}
    after = r.stats()
    assert after["cookies.echoed"] > st["cookies.echoed"]
    assert after["replies.dropped.bad_cookie"] == 0


def test_cookie_echoed_and_cookieless_decoy_dropped(make_resolver, lab):
    r = make_resolver()
    first = "%s.cookie.lab." % rand_label("c")
    assert answer_rdata(r.query(first, timeout=10), first, "A") == GENUINE
    e1 = [e for e in entries(lab, "cookie", first) if not e["tcp"]]
    assert e1 and len(e1[0]["cookie"]) == 16, e1  # a client cookie alone
    assert r.stats()["cookies.learned"] >= 1
    # now the server sees its own cookie come back, and first sends a decoy
    # with right ID, case and question but no cookie: it must not win
    second = "%s.cookie.lab." % rand_label("c")
    assert answer_rdata(r.query(second, timeout=10), second, "A") == GENUINE
    e2 = entries(lab, "cookie", second)
    assert [e["tcp"] for e in e2] == [False, True], e2
    assert e2[0]["scookie_ok"] and e2[0]["cookie"][:16] == e1[0]["cookie"], (e1, e2)
    st = r.stats()
    assert st["replies.dropped.bad_cookie"] >= 1
    assert st["queries.upstream.tcp_after_mismatch"] >= 1


def test_cookies_off_sends_none(make_resolver, lab):
    r = make_resolver(upstream_cookies=False)
    name = "%s.cookie.lab." % rand_label("c")
    assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    assert all(e["cookie"] is None for e in entries(lab, "cookie", name))
    assert r.stats()["cookies.sent"] == 0


def test_badcookie_resent_once_with_fresh_cookie(make_resolver, lab):
    r = make_resolver()
    name = "strict%s.cookie.lab." % rand_label("c")
    assert answer_rdata(r.query(name, timeout=10), name, "A") == GENUINE
    udp = [e for e in entries(lab, "cookie", name) if not e["tcp"]]
    assert len(udp) >= 2 and not udp[0]["scookie_ok"] and udp[1]["scookie_ok"], udp
    st = r.stats()
    assert st["cookies.badcookie_resends"] == 1
    assert st["cookies.learned"] >= 1


# ----- fragmented replies -----
#
# Fragmentation needs a link MTU below the reply size, so this test runs in
# a namespace of its own (unshare inside the lab's namespace) with lo at
# MTU 1280: the frag server's 3,000-byte UDP reply (carrying the forged
# A 192.0.2.66) arrives in fragments; over TCP it sends the genuine answer.

def run_frag_child(tmp_path, refuse):
    build = os.environ.get("PC_BUILD") or os.path.join(REPO, "build-asan")
    p = subprocess.run(
        ["unshare", "-rn", sys.executable, os.path.abspath(__file__), "frag-child",
         str(tmp_path), "yes" if refuse else "no"],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PC_BUILD=build))
    assert p.returncode == 0, "child failed:\n%s\n%s" % (p.stdout, p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("refuse", [True, False])
def test_fragmented_reply(tmp_path, lab, refuse):
    out = run_frag_child(tmp_path, refuse)
    if refuse:
        assert set(out["answer"]) == GENUINE, out
        assert out["stats"]["replies.dropped.fragmented"] >= 1
        assert out["stats"]["queries.upstream.tcp_after_mismatch"] >= 1
    else:
        # the control: taken as it comes, the fragmented reply wins
        assert set(out["answer"]) == DECOY, out
        assert out["stats"]["replies.dropped.fragmented"] == 0


def frag_child(workdir, refuse):
    """Inside a fresh user and network namespace: lo at MTU 1280, the frag
    server, a resolver with a stub zone pointing at it, one question."""
    sys.path.insert(0, HERE)
    import conftest  # noqa: E402

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1280"], check=True)
    ready = os.path.join(workdir, "frag.ready")
    srv = subprocess.Popen(
        [sys.executable, SERVERS_PY, "--kind", "frag", "--addr", "127.40.0.1",
         "--zone", "frag.lab.", "--ns", "ns=127.40.0.1", "--ready", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for(lambda: os.path.exists(ready), 10):
            raise RuntimeError("frag server not ready")
        hints = os.path.join(workdir, "root.hints")
        with open(hints, "w") as f:
            f.write(". 3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.1.0.1\n")
        conf = "\n".join([
            "server:",
            "    interface: 127.0.0.53",
            "    access-control: 127.0.0.0/8 allow",
            '    root-hints: "%s"' % hints,
            "    do-not-query-localhost: no",
            '    control-socket: "%s"' % os.path.join(workdir, "ctl.sock"),
            "    refuse-fragmented-replies: %s" % refuse,
            # no signed root here: frag.lab. is a private zone
            "    domain-insecure: frag.lab.",
            "stub-zone:",
            "    name: frag.lab.",
            "    stub-addr: 127.40.0.1",
        ]) + "\n"
        r = conftest.Resolver(workdir, "127.0.0.53", conf)
        r.start()
        try:
            name = "www.frag.lab."
            ans = r.query(name, timeout=10)
            out = {"answer": sorted(answer_rdata(ans, name, "A")), "stats": r.stats()}
        finally:
            r.stop()
    finally:
        srv.terminate()
        srv.wait()
    print(json.dumps(out))


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "frag-child":
    frag_child(sys.argv[2], sys.argv[3])
