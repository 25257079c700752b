"""The iterator against servers real resolvers meet: answers without AA,
repeated records, CNAME chains served one link per reply, lame and
unreachable name servers, glueless delegations (tests/lab quirk zones)."""

import socket
import struct
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

import servers  # tests/lab/servers.py (conftest puts tests/lab on sys.path)

NOERROR, SERVFAIL = dns.rcode.NOERROR, dns.rcode.SERVFAIL
GENUINE_A = servers.DEFAULT_A


def raw_query(resolver, name, rdtype="A", timeout=5):
    """(wire, message) of the resolver's UDP answer. dnspython merges equal
    records into one set when it parses, so record counts come from the
    header of the wire form."""
    q = resolver.make_query(name, rdtype)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q.to_wire(), (resolver.listen, 53))
        while True:
            wire, _ = s.recvfrom(65535)
            if wire[:2] == q.to_wire()[:2]:
                return wire, dns.message.from_wire(wire)
    finally:
        s.close()


def ancount(wire):
    return struct.unpack_from("!H", wire, 6)[0]


def records(msg):
    """The answer section as [(owner, type, rdata)] in order, lowercase."""
    return [(rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype),
             rd.to_text().lower()) for rr in msg.answer for rd in rr]


def test_answer_without_aa_is_used(resolver, lab):
    # noaa.lab.'s only server answers from its own zone but leaves AA off
    r = resolver.query("www.noaa.lab.", "A")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert records(r) == [("www.noaa.lab.", "A", GENUINE_A)]
    # and its NODATA (SOA, no AA) is a negative answer, not lameness
    r = resolver.query("www.noaa.lab.", "TXT")
    assert r.rcode() == NOERROR and not r.answer
    assert [rr.name.to_text() for rr in r.authority] == ["noaa.lab."]
    assert lab.read_query_log("noaa"), "the no-AA server was never asked"


def test_empty_reply_without_aa_is_nodata(resolver):
    # an empty NOERROR without AA and without SOA is the zone's "no data",
    # not a lame server (there is no other server to try here)
    r = resolver.query("empty1.noaa.lab.", "A")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer
    # a record of another type than asked is no answer to the question
    r = resolver.query("othertype1.noaa.lab.", "AAAA")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer, records(r)


def test_repeated_cname_answered_once(resolver):
    # the server repeats "alias1 CNAME www" in its answer section
    wire, r = raw_query(resolver, "alias1.cnames.lab.")
    assert r.rcode() == NOERROR
    assert ancount(wire) == 2, records(r)
    assert records(r) == [("alias1.cnames.lab.", "CNAME", "www.cnames.lab."),
                          ("www.cnames.lab.", "A", GENUINE_A)]
    # and again from the cache
    wire, r = raw_query(resolver, "alias1.cnames.lab.")
    assert ancount(wire) == 2, records(r)


def test_cname_chain_one_link_per_reply(resolver, lab):
    # c3 -> c2 -> c1 -> c0, each reply carrying one CNAME and nothing else:
    # the resolver must ask for each target until it reaches the address
    wire, r = raw_query(resolver, "c3.cnames.lab.")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert records(r) == [
        ("c3.cnames.lab.", "CNAME", "c2.cnames.lab."),
        ("c2.cnames.lab.", "CNAME", "c1.cnames.lab."),
        ("c1.cnames.lab.", "CNAME", "c0.cnames.lab."),
        ("c0.cnames.lab.", "A", GENUINE_A),
    ]
    asked = {e["qname"].lower() for e in lab.read_query_log("cnames")}
    assert {"c2.cnames.lab.", "c1.cnames.lab.", "c0.cnames.lab."} <= asked
    # the chain from the cache, as the client first got it
    _, again = raw_query(resolver, "c3.cnames.lab.")
    assert records(again) == records(r)
    # a link asked on its own gets the rest of the chain
    _, r1 = raw_query(resolver, "c1.cnames.lab.")
    assert records(r1) == records(r)[2:]


def test_lame_server_beside_a_good_one(resolver, lab):
    # ns1.lame.lab. answers every question with an upward referral and no
    # AA; ns2 is genuine. Every answer must be ns2's, never SERVFAIL.
    for i in range(12):
        name = "h%d.lame.lab." % i
        r = resolver.query(name, "A")
        assert r.rcode() == NOERROR, (name, dns.rcode.to_text(r.rcode()))
        assert records(r) == [(name, "A", GENUINE_A)]
    assert lab.read_query_log("lame-2"), "the good server was never asked"


def test_upward_referral_is_lame_even_with_aa(resolver):
    # uplame.lab.'s only server refers every question back up to lab.; with
    # AA set (names aa*) or not, that is no answer: SERVFAIL, not NODATA
    for name in ("aa1.uplame.lab.", "h1.uplame.lab."):
        r = resolver.query(name, "A")
        assert r.rcode() == SERVFAIL, (name, dns.rcode.to_text(r.rcode()))
    # beside a good server, the good one answers
    for i in range(6):
        name = "aa%d.lame.lab." % i
        r = resolver.query(name, "A")
        assert records(r) == [(name, "A", GENUINE_A)], name


def test_unreachable_ns_address(resolver):
    # ns1.unreach.lab.'s glue points where nothing listens
    for i in range(6):
        name = "h%d.unreach.lab." % i
        r, took = timed(resolver.query, name, "A")
        assert r.rcode() == NOERROR, (name, dns.rcode.to_text(r.rcode()))
        assert records(r) == [(name, "A", GENUINE_A)]
        assert took < 3.0, "%s took %.1f s" % (name, took)


def test_glueless_ns_inside_its_own_zone(resolver):
    # glueless.net.: ns.glueless.net. has no glue and can only be found
    # through the zone it serves; ns2.unreach.lab. is out of bailiwick and
    # must be resolved to reach the zone
    r = resolver.query("www.glueless.net.", "A", timeout=8)
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert records(r) == [("www.glueless.net.", "A", GENUINE_A)]


def test_minimised_query_failure_falls_back_to_full_name(make_resolver, lab):
    # entfail.lab.'s server answers SERVFAIL for ent.entfail.lab., the
    # minimised query for www.ent.entfail.lab.: the full name must be asked
    res = make_resolver(qname_minimisation=True)
    r = res.query("www.ent.entfail.lab.", "A")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert records(r) == [("www.ent.entfail.lab.", "A", GENUINE_A)]
    asked = [e["qname"].lower() for e in lab.read_query_log("entfail")]
    assert "ent.entfail.lab." in asked, asked  # it did minimise first
    assert "www.ent.entfail.lab." in asked, asked


def test_glueless_cycle_fails_fast(resolver):
    # cyclea.lab.'s server is under cycleb.lab. and the other way round,
    # with no glue anywhere: SERVFAIL, quickly, and the resolver goes on
    r, took = timed(resolver.query, "www.cyclea.lab.", "A", timeout=10)
    assert r.rcode() == SERVFAIL, dns.rcode.to_text(r.rcode())
    assert took < 3.0, "the cycle took %.1f s" % took
    r = resolver.query("www.alpha.lab.", "A")
    assert r.rcode() == NOERROR and r.answer


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    out = fn(*args, **kw)
    return out, time.monotonic() - t0
