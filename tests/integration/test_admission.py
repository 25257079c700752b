"""Query admission: what a client query gets before the cache or the
resolver sees it. CH TXT names of the server answered (or refused) on the
spot, BADVERS for an EDNS version other than 0, NOTIMP for opcodes we do not
serve, REFUSED for classes other than IN and for zone transfers, FORMERR for
meta types: each at once, and none of them sent upstream."""

import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import recv_exact


def exchange(addr, wire, tcp=False, timeout=3.0):
    """Send one message's bytes, return the reply's bytes and the seconds
    it took."""
    t0 = time.monotonic()
    if tcp:
        s = socket.create_connection((addr, 53), timeout=timeout)
        with s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            data = recv_exact(s, n)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with s:
            s.settimeout(timeout)
            s.sendto(wire, (addr, 53))
            data, _ = s.recvfrom(65535)
    return data, time.monotonic() - t0


def ask(resolver, name, rdtype="A", rdclass="IN", tcp=False, edns=0, opcode=None):
    q = dns.message.make_query(name, dns.rdatatype.RdataType.make(rdtype),
                               dns.rdataclass.RdataClass.make(rdclass))
    if edns is not None:
        q.use_edns(edns, payload=1232)   # (make_query takes any level for 0)
    if opcode is not None:
        q.set_opcode(opcode)
    data, took = exchange(resolver.listen, q.to_wire(), tcp=tcp)
    r = dns.message.from_wire(data)
    assert r.id == q.id and r.flags & dns.flags.QR
    return r, took


def upstream_total(resolver):
    return resolver.stats()["queries.upstream.total"]


def txt_strings(r, name):
    out = []
    for rrset in r.answer:
        assert rrset.name == dns.name.from_text(name)
        assert rrset.rdclass == dns.rdataclass.CH and rrset.rdtype == dns.rdatatype.TXT
        assert rrset.ttl == 0
        out += [b"".join(rd.strings).decode() for rd in rrset]
    return out


import dns.name  # noqa: E402


@pytest.mark.parametrize("tcp", [False, True])
def test_chaos_names_answered_locally_by_default(resolver, tcp):
    before = upstream_total(resolver)
    for name in ("version.bind.", "VERSION.server."):
        r, _ = ask(resolver, name, "TXT", "CH", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        texts = txt_strings(r, name)
        assert len(texts) == 1 and texts[0].startswith("portcullis "), texts
        assert r.question[0].name.to_text() == name, "the question keeps its spelling"
        assert r.edns == 0, "an EDNS query gets an OPT back"
    for name in ("id.server.", "hostname.bind."):
        r, _ = ask(resolver, name, "TXT", "CH", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert txt_strings(r, name) == [socket.gethostname()]
    # ANY asks for the same records
    r, _ = ask(resolver, "version.bind.", "ANY", "CH", tcp=tcp)
    assert len(txt_strings(r, "version.bind.")) == 1
    assert upstream_total(resolver) == before, "a CH query went upstream"


def test_chaos_identity_and_version_configured(make_resolver):
    r = make_resolver(identity='"resolver-7 (lab)"', version='"lab build 42"')
    resp, _ = ask(r, "id.server.", "TXT", "CH")
    assert txt_strings(resp, "id.server.") == ["resolver-7 (lab)"]
    resp, _ = ask(r, "version.bind.", "TXT", "CH")
    assert txt_strings(resp, "version.bind.") == ["lab build 42"]


def test_chaos_hidden_is_refused(make_resolver):
    r = make_resolver(hide_identity=True, hide_version=True)
    before = upstream_total(r)
    for name in ("id.server.", "hostname.bind.", "version.bind.", "version.server."):
        resp, took = ask(r, name, "TXT", "CH")
        assert resp.rcode() == dns.rcode.REFUSED and resp.answer == []
        assert took < 1.0
    # hiding one leaves the other
    r2 = make_resolver(hide_version=True)
    resp, _ = ask(r2, "id.server.", "TXT", "CH")
    assert resp.rcode() == dns.rcode.NOERROR
    resp, _ = ask(r2, "version.bind.", "TXT", "CH")
    assert resp.rcode() == dns.rcode.REFUSED
    assert upstream_total(r) == before


@pytest.mark.parametrize("name,rdtype", [
    ("authors.bind.", "TXT"), ("version.bind.", "A"), ("www.alpha.lab.", "A"),
    ("trustanchor.unbound.", "TXT")])
def test_other_chaos_queries_refused(resolver, name, rdtype):
    before = upstream_total(resolver)
    r, took = ask(resolver, name, rdtype, "CH")
    assert r.rcode() == dns.rcode.REFUSED and r.answer == []
    assert took < 1.0
    assert upstream_total(resolver) == before


@pytest.mark.parametrize("tcp", [False, True])
def test_edns_version_1_gets_badvers(resolver, tcp):
    before = upstream_total(resolver)
    r, _ = ask(resolver, "www.alpha.lab.", "A", tcp=tcp, edns=1)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0, "the reply's OPT must say version 0"
    assert r.flags & 0xf == 0 and r.ednsflags >> 24 == 1, "RCODE 16 = header 0, OPT 1"
    assert r.answer == []
    assert upstream_total(resolver) == before
    # version 0 still resolves
    r, _ = ask(resolver, "www.alpha.lab.", "A", tcp=tcp, edns=0)
    assert r.rcode() == dns.rcode.NOERROR and r.answer


@pytest.mark.parametrize("opcode", [1, 2, 3, 5, 6, 15])  # IQUERY, STATUS, -, UPDATE, -, -
def test_unknown_opcodes_get_notimp(resolver, opcode):
    q = dns.message.make_query("www.alpha.lab.", "A")
    wire = bytearray(q.to_wire())
    wire[2] = (wire[2] & 0x87) | (opcode << 3)
    data, took = exchange(resolver.listen, bytes(wire))
    assert data[:2] == wire[:2] and data[2] & 0x80, "a response to our query"
    assert data[3] & 0xf == dns.rcode.NOTIMP
    assert (data[2] >> 3) & 0xf == opcode, "the opcode is echoed"
    assert took < 1.0


def test_notimp_comes_before_the_question_check(resolver):
    # an inverse query has no question, only an answer record
    q = dns.message.make_query("www.alpha.lab.", "A", use_edns=None)
    q.set_opcode(dns.opcode.IQUERY)
    wire = bytearray(q.to_wire())
    wire[4:6] = b"\x00\x00"                  # QDCOUNT 0
    wire = bytes(wire[:12])
    data, _ = exchange(resolver.listen, wire)
    assert data[3] & 0xf == dns.rcode.NOTIMP, "IQUERY without a question: NOTIMP"
    assert (data[2] >> 3) & 0xf == dns.opcode.IQUERY


def test_notify_refused(resolver):
    before = upstream_total(resolver)
    r, _ = ask(resolver, "alpha.lab.", "SOA", opcode=dns.opcode.NOTIFY)
    assert r.rcode() == dns.rcode.REFUSED
    assert r.opcode() == dns.opcode.NOTIFY
    assert upstream_total(resolver) == before


@pytest.mark.parametrize("rdclass", [0, 4, 254, 255, 42, 65280])
def test_classes_other_than_in_refused_at_once(resolver, rdclass):
    before = upstream_total(resolver)
    for tcp in (False, True):
        r, took = ask(resolver, "www.alpha.lab.", "A", rdclass, tcp=tcp)
        assert r.rcode() == dns.rcode.REFUSED, dns.rcode.to_text(r.rcode())
        assert r.answer == []
        assert r.question[0].rdclass == rdclass
        assert took < 1.0, "refused only after %.1f s" % took
    assert upstream_total(resolver) == before, "a class-%d query went upstream" % rdclass


@pytest.mark.parametrize("rdtype", ["TKEY", "TSIG", "MAILA", "MAILB", "OPT", 128, 200, 248])
def test_meta_types_formerr(resolver, rdtype):
    before = upstream_total(resolver)
    r, took = ask(resolver, "www.alpha.lab.", rdtype)
    assert r.rcode() == dns.rcode.FORMERR
    assert took < 1.0
    assert upstream_total(resolver) == before


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
@pytest.mark.parametrize("tcp", [False, True])
def test_zone_transfers_refused(resolver, rdtype, tcp):
    r, _ = ask(resolver, "alpha.lab.", rdtype, tcp=tcp)
    assert r.rcode() == dns.rcode.REFUSED


def test_data_types_above_the_meta_range_still_resolve(resolver):
    # ANY (255) and CAA (257) are ordinary questions
    r, _ = ask(resolver, "www.alpha.lab.", "CAA")
    assert r.rcode() == dns.rcode.NOERROR
    r, _ = ask(resolver, "www.alpha.lab.", "ANY")
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NOTIMP)
