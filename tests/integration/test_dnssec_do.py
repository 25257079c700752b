"""DO passthrough against the signed lab (tests/lab/signer.py): portcullis
asks upstream with DO, keeps the RRSIGs with their RRsets and the NSEC/NSEC3
proofs with negative answers, and gives them to clients that set DO, and
only to those. These tests run the resolver without its validator
(module-config: "iterator"): AD is never set, and CD changes nothing in the
data but is echoed and kept apart in the packet cache. The validator's own
behaviour on the same lab is tests/integration/test_validate.py."""

import re
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
RRSIG = dns.rdatatype.RRSIG


@pytest.fixture
def resolver(make_resolver):
    return make_resolver(module_config='"iterator"')


def ask(resolver, name, rdtype="A", do=False, cd=False, tcp=False):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232, want_dnssec=do)
    if cd:
        q.flags |= dns.flags.CD
    if tcp:
        return dns.query.tcp(q, resolver.listen, timeout=5)
    r = dns.query.udp(q, resolver.listen, timeout=5)
    assert not r.flags & dns.flags.TC, "unexpected truncation for %s" % name
    return r


def types(section):
    """[(owner, type name, covered type name or None)] of a section."""
    out = []
    for rrset in section:
        for rd in rrset:
            cov = dns.rdatatype.to_text(rd.type_covered) if rrset.rdtype == RRSIG else None
            out.append((rrset.name.to_text().lower(),
                        dns.rdatatype.to_text(rrset.rdtype), cov))
    return sorted(out, key=str)


def do_bit(r):
    return bool(r.ednsflags & dns.flags.DO)


def test_do_gets_rrsigs_for_every_algorithm(resolver):
    for zone, alg in (("sec8.lab.", 8), ("sec13.lab.", 13), ("sec15.lab.", 15)):
        for attempt in ("servers", "cache"):
            r = ask(resolver, "www." + zone, do=True)
            assert r.rcode() == NOERROR, (zone, attempt)
            assert types(r.answer) == [("www." + zone, "A", None),
                                       ("www." + zone, "RRSIG", "A")], (zone, attempt)
            sig = next(rs for rs in r.answer if rs.rdtype == RRSIG)[0]
            assert sig.algorithm == alg and sig.signer.to_text() == zone
            assert do_bit(r), "the reply's OPT echoes DO"
            assert not r.flags & dns.flags.AD, "nothing is validated: no AD"


def test_without_do_no_dnssec_records(resolver):
    # cached with its RRSIG by a DO query first, then asked without DO
    assert len(ask(resolver, "www.sec13.lab.", do=True).answer) == 2
    for attempt in range(2):
        r = ask(resolver, "www.sec13.lab.")
        assert types(r.answer) == [("www.sec13.lab.", "A", None)], attempt
        assert not do_bit(r) and not r.flags & dns.flags.AD
    # a client that did not set DO but asks for the RRSIG type gets it
    r = ask(resolver, "www.sec13.lab.", "RRSIG")
    assert r.rcode() == NOERROR and r.answer
    assert all(rs.rdtype == RRSIG for rs in r.answer)


def test_cname_chain_with_rrsigs(resolver):
    r = ask(resolver, "alias.sec15.lab.", do=True)
    assert types(r.answer) == [("alias.sec15.lab.", "CNAME", None),
                               ("alias.sec15.lab.", "RRSIG", "CNAME"),
                               ("www.sec15.lab.", "A", None),
                               ("www.sec15.lab.", "RRSIG", "A")]


def test_nxdomain_and_nodata_proofs_nsec(resolver):
    for attempt in ("servers", "cache"):
        r = ask(resolver, "nx.sec13.lab.", do=True)
        assert r.rcode() == NXDOMAIN, attempt
        got = types(r.authority)
        assert ("sec13.lab.", "SOA", None) in got and ("sec13.lab.", "RRSIG", "SOA") in got
        nsec = [g for g in got if g[1] == "NSEC"]
        assert nsec and all((o, "RRSIG", "NSEC") in got for o, _, _ in nsec), got
        r = ask(resolver, "www.sec13.lab.", "TXT", do=True)
        assert r.rcode() == NOERROR and not r.answer
        got = types(r.authority)
        assert ("www.sec13.lab.", "NSEC", None) in got
        assert ("www.sec13.lab.", "RRSIG", "NSEC") in got
    # without DO: the SOA alone
    r = ask(resolver, "nx.sec13.lab.")
    assert r.rcode() == NXDOMAIN
    assert types(r.authority) == [("sec13.lab.", "SOA", None)]


def test_nxdomain_proof_nsec3(resolver):
    for zone in ("nsec3.lab.", "optout.lab."):
        for attempt in ("servers", "cache"):
            r = ask(resolver, "nx." + zone, do=True)
            assert r.rcode() == NXDOMAIN, (zone, attempt)
            got = types(r.authority)
            nsec3 = [g for g in got if g[1] == "NSEC3"]
            assert len(nsec3) >= 2, got  # closest encloser, next closer, wildcard
            assert all((o, "RRSIG", "NSEC3") in got for o, _, _ in nsec3), got
            assert (zone, "RRSIG", "SOA") in got


def test_ds_with_its_rrsig_from_the_parent(resolver):
    # sec13.lab.'s delegation cached first; the DS comes from lab., signed by lab.
    assert ask(resolver, "www.sec13.lab.").rcode() == NOERROR
    r = ask(resolver, "sec13.lab.", "DS", do=True)
    assert types(r.answer) == [("sec13.lab.", "DS", None), ("sec13.lab.", "RRSIG", "DS")]
    sig = next(rs for rs in r.answer if rs.rdtype == RRSIG)[0]
    assert sig.signer.to_text() == "lab."
    # an unsigned delegation's DS: lab.'s NODATA with its NSEC
    r = ask(resolver, "alpha.lab.", "DS", do=True)
    assert r.rcode() == NOERROR and not r.answer
    assert ("alpha.lab.", "NSEC", None) in types(r.authority)


def test_cd_is_echoed_and_changes_no_data(resolver):
    r = ask(resolver, "www.sec8.lab.", do=True, cd=True)
    assert r.flags & dns.flags.CD and not r.flags & dns.flags.AD
    assert types(r.answer) == [("www.sec8.lab.", "A", None), ("www.sec8.lab.", "RRSIG", "A")]
    # the bogus zones answer as the others while nothing is validated
    r = ask(resolver, "www.tampered.lab.", do=True, cd=True)
    assert r.rcode() == NOERROR and len(r.answer) == 2


def test_packet_cache_keeps_do_and_cd_apart(resolver):
    """The packet cache answers repeated query bytes; a query that differs
    only in DO or CD must get its own answer, never the other's."""
    def hits():
        return resolver.stats()["cache.packet.hits"]

    name = "www.sec15.lab."
    assert ask(resolver, name).rcode() == NOERROR  # resolve it once
    variants = [(False, False), (True, False), (False, True), (True, True)]
    for do, cd in variants:  # first answer of each variant: kept
        ask(resolver, name, do=do, cd=cd)
    before = hits()
    for do, cd in variants * 2:
        r = ask(resolver, name, do=do, cd=cd)
        assert bool(r.flags & dns.flags.CD) == cd
        assert do_bit(r) == do
        want = [(name, "A", None)] + ([(name, "RRSIG", "A")] if do else [])
        assert types(r.answer) == want, (do, cd)
    assert hits() - before == 8, "every repeated variant came from the packet cache"


def test_dig_dnssec(resolver):
    out = subprocess.run(["dig", "@" + resolver.listen, "+dnssec", "+norec", "+time=5",
                          "+tries=1", "www.sec15.lab.", "A"],
                         capture_output=True, text=True, timeout=20).stdout
    assert re.search(r"status: NOERROR", out), out
    assert re.search(r"^www\.sec15\.lab\.\s+\d+\s+IN\s+RRSIG\s+A 15 3 300 ", out, re.M), out
    flags = re.search(r";; flags: ([a-z ]+);", out).group(1).split()
    assert "ad" not in flags, out
    assert re.search(r"; EDNS: version: 0, flags: do;", out), out
    out = subprocess.run(["dig", "@" + resolver.listen, "+time=5", "+tries=1",
                          "www.sec15.lab.", "A"],
                         capture_output=True, text=True, timeout=20).stdout
    assert "RRSIG" not in out, out


def test_wildcard_answer_with_its_proof(resolver):
    # an answer made from *.wild: the RRSIG has fewer labels than the name,
    # and the NSEC proving no closer name comes with it in the authority
    for zone, proof in (("sec13.lab.", "NSEC"), ("nsec3.lab.", "NSEC3")):
        name = "x.wild." + zone
        for attempt in ("servers", "cache"):
            r = ask(resolver, name, do=True)
            assert r.rcode() == NOERROR, (zone, attempt)
            assert types(r.answer) == [(name, "A", None), (name, "RRSIG", "A")], attempt
            sig = next(rs for rs in r.answer if rs.rdtype == RRSIG)[0]
            assert sig.labels == 3
            got = types(r.authority)
            assert any(g[1] == proof for g in got), (zone, attempt, got)
            assert all((o, "RRSIG", proof) in got for o, t, _ in got if t == proof), got
        r = ask(resolver, name)
        assert types(r.answer) == [(name, "A", None)] and not r.authority
