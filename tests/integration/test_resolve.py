"""Resolution through the lab: answers must equal the zone data."""

import socket
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from conftest import answer_rdata, rand_label, tcp_exchange, zone_rdata

import servers  # tests/lab/servers.py (conftest puts tests/lab on sys.path)

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
SERVFAIL, REFUSED = dns.rcode.SERVFAIL, dns.rcode.REFUSED


def rcode_name(msg):
    return dns.rcode.to_text(msg.rcode())


def chain(msg):
    """The answer section as [(owner, type, {rdata})] in order."""
    return [(rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype),
             {rd.to_text().lower() for rd in rr}) for rr in msg.answer]


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    out = fn(*args, **kw)
    return out, time.monotonic() - t0


def soa_owner(msg):
    return [rr.name.to_text().lower() for rr in msg.authority
            if rr.rdtype == dns.rdatatype.SOA]


@pytest.mark.parametrize("name,rdtype,zone", [
    ("www.alpha.lab.", "A", "alpha.lab."),
    ("www.alpha.lab.", "AAAA", "alpha.lab."),
    ("mail.alpha.lab.", "MX", "alpha.lab."),
    ("www.beta.net.", "A", "beta.net."),      # glueless, out-of-bailiwick NS
    ("www.six.lab.", "A", "six.lab."),        # the only NS address is ::1
    ("www.six.lab.", "AAAA", "six.lab."),
    ("www.gamma.lab.", "A", "gamma.lab."),
])
def test_answer_equals_zone_data(resolver, name, rdtype, zone):
    r = resolver.query(name, rdtype)
    assert r.rcode() == NOERROR, rcode_name(r)
    assert r.flags & dns.flags.RA, "recursion available must be set"
    assert answer_rdata(r, name, rdtype) == zone_rdata(zone, name, rdtype)
    assert len(r.answer) == 1, r.answer


def test_six_lab_needs_ipv6(make_resolver):
    # the control for www.six.lab above: its only server address is ::1
    r = make_resolver(do_ip6=False)
    a = r.query("www.six.lab.", "A", timeout=15)
    assert a.rcode() == SERVFAIL, rcode_name(a)


def test_cname_chain_in_zone(resolver):
    r = resolver.query("c1.alpha.lab.", "A")
    assert r.rcode() == NOERROR, rcode_name(r)
    assert chain(r) == [
        ("c1.alpha.lab.", "CNAME", {"c2.alpha.lab."}),
        ("c2.alpha.lab.", "CNAME", {"c3.alpha.lab."}),
        ("c3.alpha.lab.", "A", zone_rdata("alpha.lab.", "c3.alpha.lab.", "A")),
    ]


def test_cname_chain_across_zones(resolver):
    r = resolver.query("ext.alpha.lab.", "A")
    assert r.rcode() == NOERROR, rcode_name(r)
    assert chain(r) == [
        ("ext.alpha.lab.", "CNAME", {"www.beta.net."}),
        ("www.beta.net.", "A", zone_rdata("beta.net.", "www.beta.net.", "A")),
    ]


def test_nxdomain_has_soa(resolver):
    r = resolver.query("nx.alpha.lab.", "A")
    assert r.rcode() == NXDOMAIN, rcode_name(r)
    assert r.answer == []
    assert soa_owner(r) == ["alpha.lab."]


def test_nodata_has_soa(resolver):
    r = resolver.query("only4.alpha.lab.", "AAAA")
    assert r.rcode() == NOERROR, rcode_name(r)
    assert r.answer == []
    assert soa_owner(r) == ["alpha.lab."]
    # and the A that does exist is still there
    a = resolver.query("only4.alpha.lab.", "A")
    assert answer_rdata(a, "only4.alpha.lab.", "A") == {"192.0.2.44"}


def test_big_answer_truncated_over_udp_then_complete_over_tcp(resolver):
    want = zone_rdata("alpha.lab.", "big.alpha.lab.", "TXT")
    assert len(want) == 40
    udp = resolver.query("big.alpha.lab.", "TXT", payload=1232)
    assert udp.rcode() == NOERROR, rcode_name(udp)
    assert udp.flags & dns.flags.TC, "a ~3 kB answer cannot fit in 1232 bytes"
    assert len(udp.to_wire()) <= 1232
    tcp = resolver.query("big.alpha.lab.", "TXT", tcp=True)
    assert tcp.rcode() == NOERROR, rcode_name(tcp)
    assert not tcp.flags & dns.flags.TC
    assert answer_rdata(tcp, "big.alpha.lab.", "TXT") == want
    st = resolver.stats()
    assert st["queries.upstream.tcp"] >= 1, "the upstream answer needs TCP too"
    assert st["queries.client.tcp"] >= 1


@pytest.mark.parametrize("name", ["loop1.alpha.lab.", "long1.alpha.lab."])
def test_cname_loop_and_overlong_chain_servfail(resolver, name):
    r, took = timed(resolver.query, name, "A", timeout=10)
    assert r.rcode() == SERVFAIL, rcode_name(r)
    assert took < 4, "took %.1f s" % took


def test_long_chain_within_bound_is_followed(resolver):
    # long5 -> ... -> long14 is 9 CNAME hops: under the bound of 10
    r = resolver.query("long5.alpha.lab.", "A")
    assert r.rcode() == NOERROR, rcode_name(r)
    assert answer_rdata(r, "long14.alpha.lab.", "A") == {"192.0.2.14"}
    assert len(r.answer) == 10


@pytest.mark.parametrize("qmin", [True, False])
def test_deep_name(make_resolver, qmin):
    r = make_resolver(qname_minimisation=qmin)
    a = r.query("a.b.c.dept.alpha.lab.", "A")
    assert a.rcode() == NOERROR, rcode_name(a)
    assert answer_rdata(a, "a.b.c.dept.alpha.lab.", "A") == zone_rdata(
        "dept.alpha.lab.", "a.b.c.dept.alpha.lab.", "A")


@pytest.mark.parametrize("qmin", [True, False])
def test_qname_minimisation_seen_by_server(make_resolver, lab, qmin):
    """With minimisation the rnd.lab server is first asked about a shorter
    name; without it, only ever about the full one."""
    r = make_resolver(qname_minimisation=qmin)
    top = rand_label("q")
    full = "a.b.c.%s.rnd.lab." % top
    a = r.query(full, "A")
    assert a.rcode() == NOERROR, rcode_name(a)
    assert answer_rdata(a, full, "A") == {servers.rnd_address(full)}
    seen = [e["qname"].lower() for e in lab.read_rnd_log()
            if e["qname"].lower().endswith("%s.rnd.lab." % top)]
    assert full in seen
    shorter = [n for n in seen if n != full]
    if qmin:
        assert "%s.rnd.lab." % top in shorter, seen
        assert seen.index(full) > seen.index("%s.rnd.lab." % top)
    else:
        assert shorter == [], seen


def test_flaky_one_server_silent(resolver):
    for i in range(3):
        name = "%s.flaky.lab." % rand_label("f")
        r, took = timed(resolver.query, name, "A", timeout=10)
        assert r.rcode() == NOERROR, rcode_name(r)
        assert answer_rdata(r, name, "A") == {"192.0.2.1"}
        assert took < 5, "took %.1f s" % took


def test_dead_zone_servfail_in_bounded_time(resolver):
    r, took = timed(resolver.query, "www.dead.lab.", "A", timeout=20)
    assert r.rcode() == SERVFAIL, rcode_name(r)
    assert took < 12, "took %.1f s" % took
    assert resolver.stats()["queries.upstream.timeouts"] >= 1


def test_slow_server(resolver):
    r = resolver.query("www.slow.lab.", "A", timeout=10)
    assert r.rcode() == NOERROR, rcode_name(r)
    assert answer_rdata(r, "www.slow.lab.", "A") == {"192.0.2.1"}


def test_tc_loop_servfail_without_looping(resolver):
    r, took = timed(resolver.query, "www.tcloop.lab.", "A", timeout=20)
    assert r.rcode() == SERVFAIL, rcode_name(r)
    assert took < 12, "took %.1f s" % took
    st = resolver.stats()
    assert st["queries.upstream.tcp"] >= 1, "TC=1 must make it try TCP"
    assert st["queries.upstream.total"] < 60, "it loops: %d upstream queries" % (
        st["queries.upstream.total"])
    # and it is still fine afterwards
    assert resolver.query("www.alpha.lab.", "A").rcode() == NOERROR


def test_forward_zone(make_resolver, lab):
    # fwd.lab. is delegated nowhere: only forwarding reaches the recorder
    r = make_resolver(extra_conf=(
        'forward-zone:\n    name: "fwd.lab."\n    forward-addr: 127.30.0.1\n'))
    name = "%s.fwd.lab." % rand_label("h")
    a = r.query(name, "A")
    assert a.rcode() == NOERROR, rcode_name(a)
    assert answer_rdata(a, name, "A") == {servers.rnd_address(name)}
    got = [e for e in lab.read_rnd_log() if e["qname"].lower() == name]
    assert got and all(e["rd"] for e in got), "forwarded queries ask for recursion"
    # outside the forward zone, iteration goes on as usual
    assert r.query("nx-%s.lab." % rand_label(), "A").rcode() == NXDOMAIN


def test_stub_zone(make_resolver, lab):
    r = make_resolver(extra_conf=(
        'stub-zone:\n    name: "stub.lab."\n    stub-addr: 127.30.0.1\n'))
    name = "%s.stub.lab." % rand_label("h")
    a = r.query(name, "A")
    assert a.rcode() == NOERROR, rcode_name(a)
    assert answer_rdata(a, name, "A") == {servers.rnd_address(name)}
    got = [e for e in lab.read_rnd_log() if e["qname"].lower() == name]
    assert got and not any(e["rd"] for e in got), "stub queries are iterative"


def test_without_forward_zone_fwd_lab_does_not_exist(resolver):
    # the control for the two tests above
    r = resolver.query("%s.fwd.lab." % rand_label("h"), "A")
    assert r.rcode() == NXDOMAIN, rcode_name(r)


def test_access_control_refuses_outside_acl(make_resolver):
    r = make_resolver(access_control="127.0.0.1/32 allow")
    refused = r.query("www.alpha.lab.", "A", source="127.9.9.9")
    assert refused.rcode() == REFUSED, rcode_name(refused)
    assert refused.answer == []
    ok = r.query("www.alpha.lab.", "A", source="127.0.0.1")
    assert ok.rcode() == NOERROR, rcode_name(ok)
    assert answer_rdata(ok, "www.alpha.lab.", "A") == {"192.0.2.10"}
    assert r.stats()["queries.client.refused"] >= 1


def test_tcp_pipelined_queries(resolver):
    q1 = resolver.make_query("www.alpha.lab.", "A")
    q2 = resolver.make_query("www.alpha.lab.", "AAAA")
    q2.id = (q1.id + 1) % 65536
    replies = tcp_exchange(resolver.listen, [q1.to_wire(), q2.to_wire()])
    by_id = {m.id: m for m in replies}
    assert set(by_id) == {q1.id, q2.id}
    assert answer_rdata(by_id[q1.id], "www.alpha.lab.", "A") == {"192.0.2.10"}
    assert answer_rdata(by_id[q2.id], "www.alpha.lab.", "AAAA") == {"2001:db8::10"}


def test_burst_of_misses_each_client_gets_its_own_answer(resolver):
    """Answers after upstream leave in batches (one sendmmsg per listener
    socket per loop iteration): each must still reach the client that asked,
    with that client's ID and question, and none may be held back."""
    n = 64
    socks, asked = [], {}
    try:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            # mixed case: the answer must echo this client's spelling
            name = "%s.Alpha.LAB." % rand_label("b%d" % i)
            q = resolver.make_query(name)
            asked[s.getsockname()[1]] = (q.id, name)
        for s in socks:
            q_id, name = asked[s.getsockname()[1]]
            q = resolver.make_query(name)
            q.id = q_id
            s.sendto(q.to_wire(), (resolver.listen, 53))
        deadline = time.monotonic() + 10
        for s in socks:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            data, _ = s.recvfrom(65535)
            a = dns.message.from_wire(data)
            q_id, name = asked[s.getsockname()[1]]
            assert a.id == q_id
            assert a.question[0].name.to_text() == name
            assert a.rcode() == NXDOMAIN, rcode_name(a)
    finally:
        for s in socks:
            s.close()
