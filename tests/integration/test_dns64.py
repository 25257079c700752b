"""DNS64 (RFC 6147) against the lab: AAAA records made from A records, on
the miss path (the resolver asks the A question itself) and on the cache
path (both answers cached; then the packet cache), with a CNAME chain, in
a signed zone, with other prefix lengths, dns64-synthall and
dns64-ignore-aaaa, what is never synthesised over (real AAAA records,
NXDOMAIN, SERVFAIL, a client that set CD and DO), and a reload that changes
the prefix. Expected addresses are computed here from the lab's own A
records with Python's ipaddress, not read from the resolver."""

import ipaddress
import os
import signal

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from conftest import answer_rdata, rand_label, wait_for, zone_rdata
from test_cache import upstream_queries_for
from test_reload import logged, rewrite

import servers

DNS64 = '"dns64 validator iterator"'


def synth(prefix, v4):
    """RFC 6052 2.2, written from the RFC's text for the test."""
    net = ipaddress.IPv6Network(prefix)
    p = net.network_address.packed
    n = net.prefixlen // 8
    b = bytearray(p[:n]) + bytearray(16 - n)
    at = n
    for octet in ipaddress.IPv4Address(v4).packed:
        if at == 8:
            at += 1
        b[at] = octet
        at += 1
    return str(ipaddress.IPv6Address(bytes(b)))


def ask(r, name, rdtype="AAAA", do=False, cd=False):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232, want_dnssec=do)
    if cd:
        q.flags |= dns.flags.CD
    return dns.query.udp(q, r.listen, timeout=5)


def aaaa(msg, name):
    return answer_rdata(msg, name, "AAAA")


def test_miss_cache_and_packet_cache_paths(make_resolver, lab):
    r = make_resolver(module_config=DNS64)
    name = rand_label("d") + ".rnd.lab."
    want = {synth("64:ff9b::/96", servers.rnd_address(name))}
    for i in range(3):  # a miss, a cache hit (both answers), a packet-cache hit
        m = ask(r, name)
        assert m.rcode() == dns.rcode.NOERROR, m
        assert aaaa(m, name) == want, (i, m)
        assert not (m.flags & dns.flags.AD), m
        assert not m.authority, m
        assert all(rr.ttl <= servers.TTL for rr in m.answer), m
    # one AAAA question and one A question went upstream, nothing more
    assert len(upstream_queries_for(lab, name, "AAAA")) == 1
    assert len(upstream_queries_for(lab, name, "A")) == 1
    st = r.stats()
    assert st["cache.packet.hits"] >= 1, st
    # the A question itself is answered as it is
    assert answer_rdata(ask(r, name, "A"), name, "A") == {servers.rnd_address(name)}


def test_cache_path_synthesises_from_a_cached_a_answer(make_resolver, lab):
    """The A answer in the cache first: the AAAA question's miss path asks
    AAAA only; then a fresh lookup of both from the cache synthesises."""
    r = make_resolver(module_config=DNS64)
    name = rand_label("d") + ".rnd.lab."
    assert answer_rdata(ask(r, name, "A"), name, "A") == {servers.rnd_address(name)}
    m = ask(r, name)
    assert aaaa(m, name) == {synth("64:ff9b::/96", servers.rnd_address(name))}, m
    assert len(upstream_queries_for(lab, name, "A")) == 1
    assert len(upstream_queries_for(lab, name, "AAAA")) == 1
    # with another EDNS size the bytes differ: no packet-cache hit, the
    # answer comes from the two cached answers
    q = dns.message.make_query(name, "AAAA", use_edns=0, payload=1400)
    m2 = dns.query.udp(q, r.listen, timeout=5)
    assert aaaa(m2, name) == aaaa(m, name), m2


def test_lab_names(make_resolver):
    r = make_resolver(module_config=DNS64)
    # an A-only name: synthesised, TTL capped by the AAAA answer's SOA minimum
    m = ask(r, "only4.alpha.lab.")
    (v4,) = zone_rdata("alpha.lab.", "only4.alpha.lab.", "A")
    assert aaaa(m, "only4.alpha.lab.") == {synth("64:ff9b::/96", v4)}, m
    assert all(rr.ttl <= 30 for rr in m.answer), m  # alpha.lab.'s SOA minimum
    # a real AAAA record: given as it is
    m = ask(r, "www.alpha.lab.")
    assert aaaa(m, "www.alpha.lab.") == zone_rdata("alpha.lab.", "www.alpha.lab.", "AAAA"), m
    # a CNAME chain: the chain, then the synthesised record at its end
    m = ask(r, "c1.alpha.lab.")
    (v4,) = zone_rdata("alpha.lab.", "c3.alpha.lab.", "A")
    assert answer_rdata(m, "c1.alpha.lab.", "CNAME") == {"c2.alpha.lab."}, m
    assert answer_rdata(m, "c2.alpha.lab.", "CNAME") == {"c3.alpha.lab."}, m
    assert aaaa(m, "c3.alpha.lab.") == {synth("64:ff9b::/96", v4)}, m
    # never over NXDOMAIN or SERVFAIL
    assert ask(r, "nx.alpha.lab.").rcode() == dns.rcode.NXDOMAIN
    assert ask(r, "loop1.alpha.lab.").rcode() == dns.rcode.SERVFAIL


def test_signed_zone_and_cd_do(make_resolver):
    r = make_resolver(module_config=DNS64)
    name = "x.wild.sec13.lab."  # a wildcard with an A record and no AAAA
    # a validating client (CD and DO) gets the signed NODATA, not synthesis
    m = ask(r, name, do=True, cd=True)
    assert m.rcode() == dns.rcode.NOERROR and not aaaa(m, name), m
    assert any(rr.rdtype == dns.rdatatype.SOA for rr in m.authority), m
    # DO alone: synthesised, and without AD (the new records are unsigned)
    m = ask(r, name, do=True)
    assert aaaa(m, name) == {synth("64:ff9b::/96", "192.0.2.51")}, m
    assert not (m.flags & dns.flags.AD), m
    assert not any(rr.rdtype == dns.rdatatype.RRSIG and rr.covers == dns.rdatatype.A
                   for rr in m.answer), m
    # the real AAAA of a signed name keeps its AD
    m = ask(r, "www.sec13.lab.", do=True)
    assert aaaa(m, "www.sec13.lab.") == {"2001:db8::50"}, m
    assert m.flags & dns.flags.AD, m


def test_prefix_lengths_synthall_and_ignore(make_resolver):
    r = make_resolver(module_config='"dns64 iterator"', dns64_prefix="2001:db8:122:344::/64",
                      dns64_ignore_aaaa="www.alpha.lab.")
    (v4,) = zone_rdata("alpha.lab.", "only4.alpha.lab.", "A")
    m = ask(r, "only4.alpha.lab.")
    assert aaaa(m, "only4.alpha.lab.") == {synth("2001:db8:122:344::/64", v4)}, m
    # an ignored name's AAAA records count as absent
    (w4,) = zone_rdata("alpha.lab.", "www.alpha.lab.", "A")
    m = ask(r, "www.alpha.lab.")
    assert aaaa(m, "www.alpha.lab.") == {synth("2001:db8:122:344::/64", w4)}, m
    r2 = make_resolver(module_config=DNS64, dns64_prefix="2001:db8:100::/40",
                       dns64_synthall=True)
    m = ask(r2, "www.alpha.lab.")
    assert aaaa(m, "www.alpha.lab.") == {synth("2001:db8:100::/40", w4)}, m


def test_off_by_default(make_resolver):
    r = make_resolver()
    m = ask(r, "only4.alpha.lab.")
    assert m.rcode() == dns.rcode.NOERROR and not m.answer, m


def test_reload_changes_the_prefix(make_resolver):
    r = make_resolver(module_config=DNS64)
    (v4,) = zone_rdata("alpha.lab.", "only4.alpha.lab.", "A")
    assert aaaa(ask(r, "only4.alpha.lab."), "only4.alpha.lab.") == {synth("64:ff9b::/96", v4)}
    rewrite(r, dns64_prefix="2001:db8:64::/96")
    os.kill(r.pid, signal.SIGHUP)
    assert logged(r, "reloaded " + r.conf_path), r.stderr()
    # the same query bytes: the packet cache must not answer with the old prefix
    assert wait_for(lambda: aaaa(ask(r, "only4.alpha.lab."), "only4.alpha.lab.") ==
                    {synth("2001:db8:64::/96", v4)})


def test_bad_prefix_is_refused_with_file_and_line(make_resolver):
    r = make_resolver(module_config=DNS64, dns64_prefix="64:ff9b::/72", start=False)
    r.start(wait=False)
    code = r.wait_exit()
    r.checked = True
    assert code != 0
    err = r.stderr()
    assert "dns64-prefix" in err and r.conf_path in err and "72" in err, err
