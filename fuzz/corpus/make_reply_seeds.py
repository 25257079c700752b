#!/usr/bin/python3
"""Writes the seed corpus of fuzz_reply (fuzz/corpus/reply/) with dnspython.

Each seed is one resolution in the input format fuzz/fuzz_reply.c describes:
a scenario byte, an options byte, then one length-prefixed reply per query
the core sends, in the order it sends them. The replies carry the very
question the core asks (QNAME minimisation included), so their compression
pointers line up once the harness puts the query's ID and question in.

The lab: the root (127.1.0.1) delegates org. to a0.nic.org. (127.3.0.1) and
net. to a.nic.net. (127.5.0.1); org. delegates example-lab.org. to
ns1/ns2.example-lab.org. (127.4.0.1/.2); net. delegates hoster-lab.net. to
ns.hoster-lab.net. (127.6.0.1).

Check a seed with: FUZZ_REPLY_TRACE=1 build-fuzz/fuzz_reply SEED

usage: fuzz/corpus/make_reply_seeds.py [OUTDIR]   (default: next to this file)
"""
import os
import struct
import sys

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

A, NS, CNAME, SOA, MX, TXT, AAAA = "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"

# scenario byte
QMIN_OFF, GLUE_SOFT, IP6, FORWARD, STUB = 0x08, 0x10, 0x20, 0x40, 0x80
Q_WWW_A, Q_WWW_MX, Q_WWW_CNAME, Q_ALIAS_A, Q_WWW_AAAA, Q_APEX_NS, Q_NX_TXT, Q_DEEP_A = range(8)
# options byte
NO_LOCALHOST, TINY_CACHE, CLIENT_EDNS = 0x08, 0x10, 0x20
CAP_512, CAP_1232, CAP_4096, CAP_65535 = 0x00, 0x40, 0x80, 0xC0

AS_IS = 0x8000


def reply(qname, qtype, aa=True, rcode=0, tc=False, rd=False, edns=False,
          an=(), ns=(), ar=()):
    """A reply to (qname, qtype); an/ns/ar hold (owner, type, rdata text)."""
    q = dns.message.make_query(qname, qtype, use_edns=edns)
    q.flags = 0
    if rd:
        q.flags |= dns.flags.RD
    r = dns.message.make_response(q)
    r.flags = dns.flags.QR
    if aa:
        r.flags |= dns.flags.AA
    if tc:
        r.flags |= dns.flags.TC
    if rd:
        r.flags |= dns.flags.RD | dns.flags.RA
    r.set_rcode(rcode)
    for section, recs in ((r.answer, an), (r.authority, ns), (r.additional, ar)):
        for owner, rtype, text in recs:
            section.append(dns.rrset.from_text(owner, 3600, "IN", rtype, text))
    return r


def wire(r, qid=0, case=None):
    r.id = qid
    data = bytearray(r.to_wire())
    if case is not None:
        # rewrite the question name's letters (right after the header)
        i, bit = 12, 0
        while data[i]:
            for j in range(1, data[i] + 1):
                c = data[i + j]
                if chr(c).isalpha() and (case[bit // 8] >> (bit % 8)) & 1:
                    data[i + j] = c ^ 0x20
                bit += 1
            i += data[i] + 1
    return bytes(data)


def fixed_case(n):
    """fixed_case() of fuzz_reply.c: the 0x20 bits for query number n."""
    return [(0xA5 ^ ((n * 0x3B) & 0xFF) ^ ((i * 0x11) & 0xFF)) & 0xFF for i in range(32)]


def chunk(data, as_is=False):
    assert len(data) < 0x8000
    return struct.pack(">H", len(data) | (AS_IS if as_is else 0)) + data


TIMEOUT = struct.pack(">H", 0)

SOA_LAB = "ns1.example-lab.org. host.example-lab.org. 1 7200 900 86400 300"
SOA_ORG = "a0.nic.org. host.nic.org. 1 7200 900 86400 600"


def root_ref_org(q="org."):
    return reply(q, A, aa=False, ns=[("org.", NS, "a0.nic.org.")],
                 ar=[("a0.nic.org.", A, "127.3.0.1")])


def org_ref_lab(q="example-lab.org.", qtype=A):
    return reply(q, qtype, aa=False,
                 ns=[("example-lab.org.", NS, "ns1.example-lab.org."),
                     ("example-lab.org.", NS, "ns2.example-lab.org.")],
                 ar=[("ns1.example-lab.org.", A, "127.4.0.1"),
                     ("ns2.example-lab.org.", A, "127.4.0.2")])


def path_to_lab():
    return [root_ref_org(), org_ref_lab()]


def seeds():
    www = "www.example-lab.org."
    yield "www-a", Q_WWW_A, 0, path_to_lab() + [reply(www, A, an=[(www, A, "192.0.2.10")])]
    yield "www-a-noqmin", Q_WWW_A | QMIN_OFF, CLIENT_EDNS, [
        root_ref_org(www), org_ref_lab(www),
        reply(www, A, an=[(www, A, "192.0.2.10"), (www, A, "192.0.2.11")])]
    yield "www-mx", Q_WWW_MX, CAP_1232, path_to_lab() + [
        reply(www, MX, an=[(www, MX, "10 mail.example-lab.org.")],
              ar=[("mail.example-lab.org.", A, "192.0.2.25")])]
    yield "www-cname-type", Q_WWW_CNAME, 0, path_to_lab() + [
        reply(www, CNAME, an=[(www, CNAME, "host.example-lab.org.")])]
    alias = "alias.example-lab.org."
    yield "alias-chain-in-zone", Q_ALIAS_A, CLIENT_EDNS, path_to_lab() + [
        reply(alias, A, an=[(alias, CNAME, "mid.example-lab.org."),
                            ("mid.example-lab.org.", CNAME, www),
                            (www, A, "192.0.2.10")])]
    # CNAME leaving the zone: the core restarts at the root for the target
    other = "www.other-lab.net."
    yield "alias-chain-out-of-zone", Q_ALIAS_A, 0, path_to_lab() + [
        reply(alias, A, an=[(alias, CNAME, other)]),
        reply("net.", A, aa=False, ns=[("net.", NS, "a.nic.net.")],
              ar=[("a.nic.net.", A, "127.5.0.1")]),
        reply("other-lab.net.", A, aa=False, ns=[("other-lab.net.", NS, "ns.other-lab.net.")],
              ar=[("ns.other-lab.net.", A, "127.6.0.2")]),
        reply(other, A, an=[(other, A, "198.51.100.7")])]
    yield "nxdomain-soa", Q_NX_TXT, 0, path_to_lab() + [
        reply("nx.example-lab.org.", TXT, rcode=dns.rcode.NXDOMAIN,
              ns=[("example-lab.org.", SOA, SOA_LAB)])]
    yield "nodata-soa", Q_WWW_AAAA, CAP_512, path_to_lab() + [
        reply(www, AAAA, ns=[("example-lab.org.", SOA, SOA_LAB)])]
    yield "aaaa-answer", Q_WWW_AAAA, CAP_4096, path_to_lab() + [
        reply(www, AAAA, an=[(www, AAAA, "2001:db8::10")])]
    yield "apex-ns", Q_APEX_NS, 0, [
        root_ref_org(), org_ref_lab("example-lab.org.", NS),
        reply("example-lab.org.", NS,
              an=[("example-lab.org.", NS, "ns1.example-lab.org."),
                  ("example-lab.org.", NS, "ns2.example-lab.org.")],
              ar=[("ns1.example-lab.org.", A, "127.4.0.1")])]
    # truncated over UDP, then the same question over TCP
    yield "truncated-then-tcp", Q_WWW_A, 0, path_to_lab() + [
        reply(www, A, tc=True),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    # QNAME minimisation walking down empty non-terminals
    deep = "deep.a.b.c.example-lab.org."
    yield "qmin-deep", Q_DEEP_A, 0, path_to_lab() + [
        reply("c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply("b.c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply("a.b.c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply(deep, A, an=[(deep, A, "192.0.2.99")])]
    # NXDOMAIN on a minimised query: the core asks the full name instead
    yield "qmin-nxdomain", Q_WWW_A, 0, [
        root_ref_org(),
        reply("example-lab.org.", A, rcode=dns.rcode.NXDOMAIN,
              ns=[("org.", SOA, SOA_ORG)]),
        reply(www, A, rcode=dns.rcode.NXDOMAIN, ns=[("org.", SOA, SOA_ORG)])]
    # name servers without glue: the core looks their address up itself
    yield "ns-without-glue", Q_WWW_A, 0, [
        root_ref_org(),
        reply("example-lab.org.", A, aa=False,
              ns=[("example-lab.org.", NS, "ns.hoster-lab.net.")]),
        reply("net.", A, aa=False, ns=[("net.", NS, "a.nic.net.")],
              ar=[("a.nic.net.", A, "127.5.0.1")]),
        reply("hoster-lab.net.", A, aa=False, ns=[("hoster-lab.net.", NS, "ns.hoster-lab.net.")],
              ar=[("ns.hoster-lab.net.", A, "127.6.0.1")]),
        reply("ns.hoster-lab.net.", A, an=[("ns.hoster-lab.net.", A, "127.7.0.1")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    # glue outside the sender's zone and records for other names
    yield "referral-foreign-glue", Q_WWW_A, 0, [
        root_ref_org(),
        reply("example-lab.org.", A, aa=False,
              ns=[("example-lab.org.", NS, "ns1.example-lab.org."),
                  ("example-lab.org.", NS, "ns.elsewhere-lab.com.")],
              ar=[("ns1.example-lab.org.", A, "127.4.0.1"),
                  ("ns.elsewhere-lab.com.", A, "6.6.6.6"),
                  ("www.example-lab.org.", A, "6.6.6.7")]),
        reply(www, A, an=[(www, A, "192.0.2.10")],
              ar=[("evil.test.", A, "6.6.6.8")])]
    yield "referral-foreign-glue-soft", Q_WWW_A | GLUE_SOFT, 0, [
        root_ref_org(),
        reply("example-lab.org.", A, aa=False,
              ns=[("example-lab.org.", NS, "ns.elsewhere-lab.com.")],
              ar=[("ns.elsewhere-lab.com.", A, "127.4.0.9")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    # a timeout, then a lame (non-authoritative) answer, then success
    yield "timeout-lame", Q_WWW_A, 0, [
        None, root_ref_org(), org_ref_lab(),
        reply(www, A, aa=False, an=[(www, A, "6.6.6.6")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    # SERVFAIL and REFUSED from the first two servers, a malformed datagram
    # that is dropped (the query stays outstanding), then success
    yield "servfail-refused", Q_WWW_A, 0, [
        root_ref_org(), org_ref_lab(),
        reply(www, A, rcode=dns.rcode.SERVFAIL),
        b"\x00\x00\x84\x00\x00\x01\x00\x05\x00\x00\x00\x00",
        reply(www, A, rcode=dns.rcode.REFUSED, aa=False),
        None]
    # an upward referral is lame too
    yield "upward-referral", Q_WWW_A, 0, path_to_lab() + [
        reply(www, A, aa=False, ns=[("org.", NS, "a0.nic.org.")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    yield "forwarder", Q_ALIAS_A | FORWARD, CLIENT_EDNS, [
        reply(alias, A, aa=False, rd=True, edns=True,
              an=[(alias, CNAME, www), (www, A, "192.0.2.10")])]
    yield "forwarder-nxdomain", Q_NX_TXT | FORWARD, 0, [
        reply("nx.example-lab.org.", TXT, aa=False, rd=True, rcode=dns.rcode.NXDOMAIN,
              ns=[("example-lab.org.", SOA, SOA_LAB)])]
    yield "stub", Q_WWW_MX | STUB, 0, [
        reply(www, MX, an=[(www, MX, "10 mail.example-lab.org.")])]
    big = [(www, A, "192.0.2.%d" % i) for i in range(1, 61)]
    yield "big-answer-small-buffer", Q_WWW_A, CAP_512 | CLIENT_EDNS, path_to_lab() + [
        reply(www, A, an=big)]
    yield "tiny-cache", Q_DEEP_A, TINY_CACHE, path_to_lab() + [
        reply("c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply("b.c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply("a.b.c.example-lab.org.", A, ns=[("example-lab.org.", SOA, SOA_LAB)]),
        reply(deep, A, an=[(deep, A, "192.0.2.99")])]
    yield "ip6-glue", Q_WWW_AAAA | IP6, 0, [
        reply("org.", A, aa=False, ns=[("org.", NS, "a0.nic.org.")],
              ar=[("a0.nic.org.", A, "127.3.0.1"), ("a0.nic.org.", AAAA, "::1")]),
        reply("example-lab.org.", A, aa=False,
              ns=[("example-lab.org.", NS, "ns1.example-lab.org.")],
              ar=[("ns1.example-lab.org.", AAAA, "::1")]),
        reply(www, AAAA, an=[(www, AAAA, "2001:db8::10")])]

    # a CNAME to a name below a cut inside the zone: restart, then referral
    sub = "www.sub.example-lab.org."
    yield "cname-then-referral", Q_ALIAS_A, 0, path_to_lab() + [
        reply(alias, A, an=[(alias, CNAME, sub)],
              ns=[("sub.example-lab.org.", NS, "ns.sub.example-lab.org.")],
              ar=[("ns.sub.example-lab.org.", A, "127.4.1.1")]),
        reply("sub.example-lab.org.", A, aa=False,
              ns=[("sub.example-lab.org.", NS, "ns.sub.example-lab.org.")],
              ar=[("ns.sub.example-lab.org.", A, "127.4.1.1")]),
        reply(sub, A, an=[(sub, A, "192.0.2.40")])]
    # two cuts in one referral: only the first is followed
    yield "two-cuts", Q_WWW_A | QMIN_OFF, 0, [
        root_ref_org(www),
        reply(www, A, aa=False,
              ns=[("example-lab.org.", NS, "ns1.example-lab.org."),
                  (www, NS, "ns.www.example-lab.org.")],
              ar=[("ns1.example-lab.org.", A, "127.4.0.1"),
                  ("ns.www.example-lab.org.", A, "127.4.2.1")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]
    # a chain of 12 CNAMEs: more than the core follows
    chain = [alias] + ["c%d.example-lab.org." % i for i in range(1, 13)]
    yield "cname-chain-too-long", Q_ALIAS_A, 0, path_to_lab() + [
        reply(alias, A, an=[(chain[i], CNAME, chain[i + 1]) for i in range(12)]
              + [(chain[12], A, "192.0.2.12")])]
    # 16 name servers with 5 addresses each, then nothing but timeouts:
    # more candidates than the core weighs, and the send budget runs out
    deep = "deep.a.b.c.example-lab.org."
    many_ns = [("c.example-lab.org.", NS, "ns%d.c.example-lab.org." % i) for i in range(16)]
    many_glue = [("ns%d.c.example-lab.org." % i, A, "127.4.%d.%d" % (i, j))
                 for i in range(16) for j in range(1, 6)]
    yield "send-budget", Q_DEEP_A, 0, path_to_lab() + [
        reply("c.example-lab.org.", A, aa=False, ns=many_ns, ar=many_glue)] + [None] * 64
    # a CNAME out of the zone to a 17-label name, delegated one label at a
    # time: more referrals than one request follows
    labels = ["l%d" % i for i in range(15, 0, -1)]
    target = ".".join(labels) + ".deep-lab.net."
    zones = ["net.", "deep-lab.net."] + [
        ".".join(labels[len(labels) - k:]) + ".deep-lab.net." for k in range(1, 16)]
    msgs = path_to_lab() + [reply(alias, A, an=[(alias, CNAME, target)])]
    for k, zone in enumerate(zones):
        msgs.append(reply(zone, A, aa=False, ns=[(zone, NS, "ns." + zone)],
                          ar=[("ns." + zone, A, "127.6.%d.1" % k)]))
    yield "referral-limit", Q_ALIAS_A, 0, msgs
    # do-not-query-localhost: only b.root.lab. and glue outside 127/8
    yield "no-localhost", Q_WWW_A, NO_LOCALHOST, [
        reply("org.", A, aa=False, ns=[("org.", NS, "a0.nic.org."), ("org.", NS, "b0.nic.org.")],
              ar=[("a0.nic.org.", A, "127.3.0.1"), ("b0.nic.org.", A, "198.51.100.3")]),
        reply("example-lab.org.", A, aa=False,
              ns=[("example-lab.org.", NS, "ns1.example-lab.org.")],
              ar=[("ns1.example-lab.org.", A, "198.51.100.4"),
                  ("ns1.example-lab.org.", AAAA, "::1")]),
        reply(www, A, an=[(www, A, "192.0.2.10")])]


def as_is_seed():
    """www A with every reply sent as is: query n's ID and 0x20 pattern."""
    www = "www.example-lab.org."
    msgs = path_to_lab() + [reply(www, A, an=[(www, A, "192.0.2.10")])]
    out = b""
    for n, m in enumerate(msgs, start=1):
        out += chunk(wire(m, 0x5000 + n, fixed_case(n)), as_is=True)
    return out


def as_is_drops_seed():
    """www A as is, each genuine reply after spoiled copies the reply check
    drops, one per reason: wrong ID, QR clear, wrong QTYPE, wrong QCLASS,
    another name, wrong letter case, a body that does not parse, a question
    cut short."""
    www = "www.example-lab.org."
    msgs = path_to_lab() + [reply(www, A, an=[(www, A, "192.0.2.10")])]
    out = b""
    for n, m in enumerate(msgs, start=1):
        good = wire(m, 0x5000 + n, fixed_case(n))
        qend = 12
        while good[qend]:
            qend += good[qend] + 1
        qend += 1  # past the root label: QTYPE follows
        spoiled = [
            bytes([good[0] ^ 1]) + good[1:],                       # ID
            good[:2] + bytes([good[2] & 0x7F]) + good[3:],          # QR
            good[:qend] + bytes([good[qend], good[qend + 1] ^ 2]) + good[qend + 2:],
            good[:qend + 2] + bytes([good[qend + 2], 3]) + good[qend + 4:],
            good[:13] + bytes([good[13] ^ 1]) + good[14:],          # name
            wire(m, 0x5000 + n, fixed_case(n + 1)),                 # case
            good[:7] + bytes([good[7] + 1]) + good[8:],             # body
            good[:qend + 2],                                        # cut short
        ]
        for bad in spoiled:
            out += chunk(bad, as_is=True)
        out += chunk(good, as_is=True)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "reply")
    os.makedirs(outdir, exist_ok=True)
    count = 0
    for name, scenario, options, msgs in seeds():
        data = bytes([scenario, options])
        for m in msgs:
            if m is None:
                data += TIMEOUT
            elif isinstance(m, bytes):
                data += chunk(m)  # raw bytes: a datagram that must not parse
            else:
                data += chunk(wire(m))
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        count += 1
    with open(os.path.join(outdir, "www-a-as-is"), "wb") as f:
        f.write(bytes([Q_WWW_A, 0]) + as_is_seed())
    count += 1
    with open(os.path.join(outdir, "www-a-as-is-drops"), "wb") as f:
        f.write(bytes([Q_WWW_A, 0]) + as_is_drops_seed())
    count += 1
    print("%d seeds in %s" % (count, outdir))


if __name__ == "__main__":
    main()
