"""DNSSEC validation against the signed lab (tests/lab/signer.py): the
resolver is given the lab root's trust anchor (conftest), and builds the
chain of trust root -> lab. -> the signed zones with the keys made at this
lab's start. Secure data gets AD (to clients that set DO or AD), insecure
data (alpha.lab., net.: delegated without DS) is answered without AD, and
each bogus zone gives SERVFAIL with its Extended DNS Error (RFC 8914), unless
the client set CD. The last tests turn validation off and see the bogus
zones answer: the assertions above are about the validator, not the lab."""

import re
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

NOERROR, NXDOMAIN, SERVFAIL = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL
RRSIG, NSEC, NSEC3 = dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3
AD, CD = dns.flags.AD, dns.flags.CD


def ask(resolver, name, rdtype="A", do=False, cd=False, ad=False, edns=True, tcp=False):
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else None, payload=1232,
                               want_dnssec=do)
    q.flags &= ~AD
    if cd:
        q.flags |= CD
    if ad:
        q.flags |= AD
    if tcp:
        return dns.query.tcp(q, resolver.listen, timeout=8)
    r = dns.query.udp(q, resolver.listen, timeout=8)
    assert not r.flags & dns.flags.TC, "unexpected truncation for %s" % name
    return r


def ede(r):
    """The Extended DNS Error codes of a reply's OPT."""
    return [o.code for o in r.options if o.otype == dns.edns.EDE]


def has(section, rdtype, covered=None):
    for rrset in section:
        if rrset.rdtype == rdtype and (covered is None or rrset.covers == covered):
            return True
    return False


def a_values(r, name):
    return sorted(rd.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A
                  and rrset.name.to_text().lower() == name for rd in rrset)


SECURE = ("sec8.lab.", "sec13.lab.", "sec15.lab.", "nsec3.lab.")


def test_secure_answers_every_algorithm(resolver):
    for zone in SECURE:
        name = "www." + zone
        for attempt in ("servers", "cache", "packet cache"):
            r = ask(resolver, name, do=True)
            assert r.rcode() == NOERROR, (name, attempt)
            assert r.flags & AD, "%s (%s): DO client gets AD for secure data" % (name, attempt)
            assert has(r.answer, RRSIG, dns.rdatatype.A), (name, attempt)
            assert a_values(r, name) == ["192.0.2.50"]
            assert not ede(r)


def test_ad_only_for_clients_that_ask(resolver):
    name = "www.sec15.lab."
    for attempt in ("first", "again"):
        r = ask(resolver, name, ad=True)
        assert r.rcode() == NOERROR and r.flags & AD, "AD asked: AD given (%s)" % attempt
        assert not has(r.answer, RRSIG), "no DO: no RRSIG"
        r = ask(resolver, name)
        assert r.rcode() == NOERROR and not r.flags & AD, "neither AD nor DO: no AD"
        r = ask(resolver, name, edns=False)
        assert r.rcode() == NOERROR and not r.flags & AD, "no EDNS: no AD"


def test_negative_answers_nsec_and_nsec3(resolver):
    for zone, proof in (("sec13.lab.", NSEC), ("sec8.lab.", NSEC), ("nsec3.lab.", NSEC3)):
        for attempt in ("servers", "cache"):
            r = ask(resolver, "nx." + zone, do=True)
            assert r.rcode() == NXDOMAIN and r.flags & AD, (zone, attempt)
            assert has(r.authority, proof), (zone, attempt)
            r = ask(resolver, "www." + zone, "TXT", do=True)
            assert r.rcode() == NOERROR and not r.answer, (zone, attempt)
            assert r.flags & AD, "NODATA proven in %s (%s)" % (zone, attempt)
            assert has(r.authority, proof)


def test_wildcard_and_cname_secure(resolver):
    r = ask(resolver, "x.wild.sec13.lab.", do=True)
    assert r.rcode() == NOERROR and r.flags & AD
    assert has(r.authority, NSEC), "the wildcard's proof comes with it"
    r = ask(resolver, "anything.wild.nsec3.lab.", do=True)
    assert r.rcode() == NOERROR and r.flags & AD
    r = ask(resolver, "alias.sec8.lab.", do=True)
    assert r.rcode() == NOERROR and r.flags & AD
    assert a_values(r, "www.sec8.lab.") == ["192.0.2.50"]


def test_ds_and_dnskey_answers_are_validated(resolver):
    r = ask(resolver, "sec13.lab.", "DS", do=True)
    assert r.rcode() == NOERROR and r.answer and r.flags & AD
    r = ask(resolver, "sec13.lab.", "DNSKEY", do=True)
    assert r.rcode() == NOERROR and r.flags & AD
    # the insecure delegation's missing DS is itself a secure (proven) NODATA
    r = ask(resolver, "alpha.lab.", "DS", do=True)
    assert r.rcode() == NOERROR and not r.answer and r.flags & AD
    assert has(r.authority, NSEC)


def test_insecure_delegations_answer_without_ad(resolver):
    for name, want in (("www.alpha.lab.", "192.0.2.10"), ("www.beta.net.", "192.0.2.20"),
                       ("www.gamma.lab.", "192.0.2.30")):
        for attempt in ("servers", "cache"):
            r = ask(resolver, name, do=True, ad=True)
            assert r.rcode() == NOERROR, (name, attempt)
            assert a_values(r, name) == [want]
            assert not r.flags & AD, "%s is insecure: no AD (%s)" % (name, attempt)
    r = ask(resolver, "nx.alpha.lab.", do=True)
    assert r.rcode() == NXDOMAIN and not r.flags & AD
    # a CNAME chain across two insecure zones
    r = ask(resolver, "ext.alpha.lab.", do=True)
    assert r.rcode() == NOERROR and not r.flags & AD


BOGUS = (("www.expired.lab.", 7), ("www.tampered.lab.", 6), ("www.badds.lab.", 9),
         ("www.nosig.lab.", 10))


def test_bogus_zones_servfail_with_ede(resolver):
    for name, code in BOGUS:
        for attempt in ("servers", "cache", "packet cache"):
            r = ask(resolver, name, do=True)
            assert r.rcode() == SERVFAIL, (name, attempt)
            assert not r.answer and not r.flags & AD
            assert ede(r) == [code], "%s: EDE %s, want %d (%s)" % (name, ede(r), code, attempt)
        r = ask(resolver, name)  # no DO: the same failure
        assert r.rcode() == SERVFAIL and ede(r) == [code]
    # negative answers of a bogus zone fail too
    r = ask(resolver, "nx.expired.lab.", do=True)
    assert r.rcode() == SERVFAIL and ede(r) == [7]


def test_cd_returns_bogus_data_unvalidated(resolver):
    for name, _ in BOGUS:
        for attempt in ("first", "again"):
            r = ask(resolver, name, do=True, cd=True)
            assert r.rcode() == NOERROR, (name, attempt)
            assert r.flags & CD and not r.flags & AD
            assert a_values(r, name), (name, attempt)
            assert not ede(r)
    r = ask(resolver, "www.tampered.lab.", cd=True)
    assert a_values(r, "www.tampered.lab.") == ["192.0.2.66"], "the tampered data, as sent"
    # and after that, a client without CD still gets SERVFAIL
    r = ask(resolver, "www.tampered.lab.", do=True)
    assert r.rcode() == SERVFAIL and ede(r) == [6]
    # CD on secure data: the data, signed with DO
    r = ask(resolver, "www.sec8.lab.", do=True, cd=True)
    assert r.rcode() == NOERROR and has(r.answer, RRSIG)


def test_cd_first_then_validated(resolver):
    """Data cached by a CD query has not been judged: the next query
    without CD validates it before answering."""
    r = ask(resolver, "txt.expired.lab.", "TXT", cd=True)
    assert r.rcode() == NOERROR and r.answer
    r = ask(resolver, "txt.expired.lab.", "TXT")
    assert r.rcode() == SERVFAIL and ede(r) == [7]
    r = ask(resolver, "txt.sec13.lab.", "TXT", cd=True)
    assert r.rcode() == NOERROR and not r.flags & AD
    r = ask(resolver, "txt.sec13.lab.", "TXT", do=True)
    assert r.rcode() == NOERROR and r.flags & AD


def test_dig_and_kdig(resolver):
    out = subprocess.run(["dig", "@" + resolver.listen, "+dnssec", "+time=5", "+tries=1",
                          "www.sec15.lab.", "A"],
                         capture_output=True, text=True, timeout=20).stdout
    flags = re.search(r";; flags: ([a-z ]+);", out).group(1).split()
    assert "ad" in flags, out
    assert re.search(r"^www\.sec15\.lab\.\s+\d+\s+IN\s+RRSIG\s+A 15 3 300 ", out, re.M), out
    out = subprocess.run(["kdig", "@" + resolver.listen, "+dnssec", "+time=5", "+retry=0",
                          "www.expired.lab.", "A"],
                         capture_output=True, text=True, timeout=20).stdout
    assert "status: SERVFAIL" in out, out
    assert re.search(r"EDE: 7 \(Signature Expired\)", out), out


def test_validation_off_answers_bogus_zones(make_resolver):
    """module-config: "iterator": nothing is validated, so every check
    above would fail: no AD anywhere, the bogus zones answer."""
    r0 = make_resolver(module_config='"iterator"')
    r = ask(r0, "www.sec13.lab.", do=True)
    assert r.rcode() == NOERROR and not r.flags & AD
    for name, _ in BOGUS:
        r = ask(r0, name, do=True)
        assert r.rcode() == NOERROR and a_values(r, name) and not ede(r)


def test_permissive_mode_answers_bogus_without_ad(make_resolver):
    r0 = make_resolver(val_permissive_mode=True)
    r = ask(r0, "www.tampered.lab.", do=True)
    assert r.rcode() == NOERROR and not r.flags & AD
    assert a_values(r, "www.tampered.lab.") == ["192.0.2.66"]
    r = ask(r0, "www.sec13.lab.", do=True)
    assert r.rcode() == NOERROR and r.flags & AD


def test_bogus_kept_only_val_bogus_ttl(make_resolver):
    r0 = make_resolver(val_bogus_ttl=2)
    r = ask(r0, "www.expired.lab.", do=True)
    assert r.rcode() == SERVFAIL
    time.sleep(3)
    # the failing set was kept 2 s, not its records' 300 s: a CD query now
    # fetches it again and gets the full TTL (with the default 60 s: 297)
    r = ask(r0, "www.expired.lab.", do=True, cd=True)
    assert r.rcode() == NOERROR
    assert [rs.ttl for rs in r.answer if rs.rdtype == dns.rdatatype.A] == [300]


def test_domain_insecure_turns_a_bogus_zone_insecure(make_resolver):
    r0 = make_resolver(domain_insecure="expired.lab.")
    r = ask(r0, "www.expired.lab.", do=True)
    assert r.rcode() == NOERROR and not r.flags & AD
    r = ask(r0, "www.sec13.lab.", do=True)
    assert r.flags & AD


def upstream_total(resolver, quiet=0.3, timeout=5.0):
    """queries.upstream.total once it has stopped moving for QUIET seconds
    (side fetches may end after the answer)."""
    deadline = time.monotonic() + timeout
    last = resolver.stats()["queries.upstream.total"]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = resolver.stats()["queries.upstream.total"]
        if now == last:
            return now
        last = now
    return last


def test_aggressive_nsec_answers_without_upstream(make_resolver):
    """RFC 8198: once sec13.lab.'s NSEC records proving one name absent are
    validated, another name in the same span (nx1 and nz2 both fall between
    ns and txt, and *.sec13.lab. between the apex and alias) is answered
    NXDOMAIN, secure, with the proof, without a query upstream; likewise a
    second missing type at www. Another zone (sec8.lab.) still goes up."""
    r0 = make_resolver()
    r = ask(r0, "nx1.sec13.lab.", do=True)
    assert r.rcode() == NXDOMAIN and r.flags & AD and has(r.authority, NSEC)
    r = ask(r0, "www.sec13.lab.", "MX", do=True)
    assert r.rcode() == NOERROR and not r.answer and r.flags & AD
    before = upstream_total(r0)
    r = ask(r0, "nz2.sec13.lab.", do=True)
    assert r.rcode() == NXDOMAIN and r.flags & AD
    assert has(r.authority, NSEC) and has(r.authority, RRSIG, NSEC)
    assert has(r.authority, dns.rdatatype.SOA)
    r = ask(r0, "nz3.sec13.lab.", "AAAA")  # no DO: the SOA alone
    assert r.rcode() == NXDOMAIN and not has(r.authority, NSEC)
    r = ask(r0, "www.sec13.lab.", "SRV", do=True)
    assert r.rcode() == NOERROR and not r.answer and r.flags & AD
    assert has(r.authority, NSEC)
    assert upstream_total(r0) == before, "went upstream for a name the NSEC span covers"
    r = ask(r0, "nz2.sec8.lab.", do=True)
    assert r.rcode() == NXDOMAIN and r.flags & AD
    assert upstream_total(r0) > before


def test_aggressive_nsec_off_asks_upstream(make_resolver):
    r0 = make_resolver(aggressive_nsec="no")
    r = ask(r0, "nx1.sec13.lab.", do=True)
    assert r.rcode() == NXDOMAIN and r.flags & AD
    before = upstream_total(r0)
    r = ask(r0, "nz2.sec13.lab.", do=True)
    assert r.rcode() == NXDOMAIN and r.flags & AD
    assert upstream_total(r0) > before
