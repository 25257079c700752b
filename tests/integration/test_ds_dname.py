"""Two iterator rules DNSSEC depends on: a DS question is asked of the
parent side of the zone cut (RFC 4035 3.1.4.1), even once the child's
delegation is cached; and a DNAME is part of the answer, before the CNAME
made from it (RFC 6672 2.2, 3)."""

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

NOERROR = dns.rcode.NOERROR


def records(msg):
    """The answer section as [(owner, type, rdata)] in order, lowercase."""
    return [(rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype),
             rd.to_text().lower()) for rr in msg.answer for rd in rr]


def soa_owners(msg):
    return [rr.name.to_text().lower() for rr in msg.authority
            if rr.rdtype == dns.rdatatype.SOA]


def test_ds_goes_to_the_parent_once_the_child_is_cached(resolver):
    # resolving a name inside dept.alpha.lab. caches its delegation (NS at
    # dept.alpha.lab., served by 127.10.1.1)
    r = resolver.query("a.b.c.dept.alpha.lab.", "A")
    assert r.rcode() == NOERROR and records(r) == [
        ("a.b.c.dept.alpha.lab.", "A", "192.0.2.77")]
    # dept.alpha.lab. DS is alpha.lab.'s data: it has none, so the answer is
    # alpha.lab.'s NODATA with alpha.lab.'s SOA, not the child's apex NODATA
    r = resolver.query("dept.alpha.lab.", "DS")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer, records(r)
    assert soa_owners(r) == ["alpha.lab."], r.to_text()
    # the child's own apex data still comes from the child
    r = resolver.query("dept.alpha.lab.", "SOA")
    assert [x[0] for x in records(r)] == ["dept.alpha.lab."], r.to_text()


def test_ds_for_a_tld_goes_to_the_root(resolver):
    # lab.'s delegation is cached by any lookup below it
    assert resolver.query("www.alpha.lab.", "A").rcode() == NOERROR
    # lab.'s DS is in the (signed) root, signed by the root; lab.'s own
    # servers would answer NODATA with lab.'s SOA
    q = dns.message.make_query("lab.", "DS", want_dnssec=True)
    r = dns.query.udp(q, resolver.listen, timeout=5)
    assert r.rcode() == NOERROR
    assert [x[1] for x in records(r)] == ["DS", "RRSIG"], r.to_text()
    sig = next(rs for rs in r.answer if rs.rdtype == dns.rdatatype.RRSIG)[0]
    assert sig.signer.to_text() == ".", r.to_text()


def test_dname_is_in_the_answer_before_its_cname(resolver):
    want = [("olddept.alpha.lab.", "DNAME", "dept.alpha.lab."),
            ("a.b.c.olddept.alpha.lab.", "CNAME", "a.b.c.dept.alpha.lab."),
            ("a.b.c.dept.alpha.lab.", "A", "192.0.2.77")]
    for _ in range(2):  # from the servers, then again (cache or not)
        r = resolver.query("a.b.c.olddept.alpha.lab.", "A")
        assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
        assert records(r) == want, r.to_text()


def test_dname_to_another_tree(resolver):
    r = resolver.query("www.tobeta.alpha.lab.", "A")
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert records(r) == [("tobeta.alpha.lab.", "DNAME", "beta.net."),
                          ("www.tobeta.alpha.lab.", "CNAME", "www.beta.net."),
                          ("www.beta.net.", "A", "192.0.2.20")], r.to_text()
    # a CNAME question below a DNAME is answered by the DNAME and its CNAME
    r = resolver.query("mail.tobeta.alpha.lab.", "CNAME")
    assert r.rcode() == NOERROR
    assert records(r) == [("tobeta.alpha.lab.", "DNAME", "beta.net."),
                          ("mail.tobeta.alpha.lab.", "CNAME", "mail.beta.net.")]
