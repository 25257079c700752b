"""Forged and broken replies are dropped and counted while the wait for the
genuine reply goes on (RFC 5452 section 9.1, TuDoor); broken client queries
never bring the daemon down."""

import random
import select
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

from conftest import answer_rdata, rand_label


@pytest.mark.parametrize("zone,counter,at_least", [
    ("wrongid.lab.", "replies.dropped.bad_id", 1),
    ("wrongsrc.lab.", "replies.dropped.bad_source", 1),
    ("wrongq.lab.", "replies.dropped.bad_question", 1),
    # five bad packets per query; at least the runt, the count mismatch,
    # the pointer loop and the 64-byte label are malformed whatever the
    # random bytes turn out to be
    ("malformed.lab.", "replies.dropped.malformed", 4),
])
def test_bad_reply_dropped_and_genuine_accepted(resolver, zone, counter, at_least):
    before = resolver.stats()
    name = "%s.%s" % (rand_label("w"), zone)
    r = resolver.query(name, "A", timeout=10)
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert answer_rdata(r, name, "A") == {"192.0.2.1"}
    after = resolver.stats()
    assert after[counter] - before[counter] >= at_least, (
        "%s went from %d to %d" % (counter, before[counter], after[counter]))
    assert after["replies.dropped.total"] - before["replies.dropped.total"] >= at_least
    assert after["replies.accepted"] > before["replies.accepted"]
    assert resolver.alive()
    assert resolver.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR


def test_wrong_question_does_not_poison(resolver):
    # wrongq.lab. sends decoy.<qname> A 192.0.2.66 first, with the right ID
    name = "%s.wrongq.lab." % rand_label("w")
    assert answer_rdata(resolver.query(name, "A", timeout=10), name, "A") == {
        "192.0.2.1"}
    decoy = "decoy." + name
    r = resolver.query(decoy, "A", timeout=10)
    assert answer_rdata(r, decoy, "A") == {"192.0.2.1"}, r.answer


# ----- malformed client queries -----

def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = b"\x03www\x05alpha\x03lab\x00" + struct.pack("!HH", 1, 1)


def bad_queries(rng):
    valid = header() + QUESTION
    out = [
        b"",
        b"\x00",
        valid[:5],
        valid[:11],
        valid[:12],                                    # header only, QDCOUNT 1
        valid[:20],                                    # cut inside the name
        valid[:-2],                                    # cut inside the class
        header(qd=65535, an=65535, ns=65535, ar=65535),
        header(qd=65535) + QUESTION,
        header(qd=0),
        header(qd=2) + QUESTION + QUESTION,
        header(flags=0x8100) + QUESTION,               # a response, not a query
        header(flags=0x7900) + QUESTION,               # opcode 15
        header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),   # pointer to itself
        header() + b"\xc0\x0e\xc0\x0c" + struct.pack("!HH", 1, 1),  # 2-loop
        header() + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1),     # back into it
        header() + b"\xc1\xff" + struct.pack("!HH", 1, 1),   # pointer past the end
        header() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1),
        header() + b"\x80abc\x00" + struct.pack("!HH", 1, 1),  # label type 10
        header() + (b"\x3f" + b"a" * 63) * 5 + b"\x00" + struct.pack("!HH", 1, 1),
        header() + b"\x05ab" + struct.pack("!HH", 1, 1),     # label past the end
        header(ar=1) + QUESTION + b"\x00\x00\x29",            # cut OPT
        header(ar=1) + QUESTION + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\xff\xff",
        header(ar=2) + QUESTION + (b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00") * 2,
        header(ar=1) + QUESTION + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08"
        + b"\x00\x0a\x00\x40" + b"\x00" * 4,                # cookie option overruns
        header(an=1) + QUESTION + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x10\x00\x04",
        header() + b"\x00" + struct.pack("!HH", 252, 1),    # AXFR of the root, UDP
    ]
    for _ in range(150):                                   # random junk
        out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))))
    for _ in range(150):                                   # flipped bytes
        b = bytearray(valid + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00")
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        out.append(bytes(b))
    return out


def test_malformed_client_queries_do_not_crash(resolver):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    packets = bad_queries(rng)
    before = resolver.stats()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for p in packets:
            s.sendto(p, (resolver.listen, 53))
            time.sleep(0.001)
        # read whatever comes back: each a reply (QR set, whole header) that
        # parses -- or, when it does not (a FORMERR or NOTIMP may echo the
        # broken query behind its header, as unbound's does), is one of those
        s.settimeout(1.0)
        try:
            while True:
                wire = s.recv(65535)
                assert len(wire) >= 12 and wire[2] & 0x80, wire.hex()
                try:
                    dns.message.from_wire(wire, ignore_trailing=True,
                                          question_only=True)
                except Exception:
                    rcode = wire[3] & 0xF
                    assert rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP), (
                        "unparsable reply with rcode %d: %s" % (rcode, wire.hex()))
        except socket.timeout:
            pass

    # over TCP: each message on its own connection, plus broken framing
    conns = []
    frames = [struct.pack("!H", len(p)) + p for p in packets[:60]]
    frames += [
        b"\x00\x00",                                  # zero-length message
        b"\x00",                                      # half a length
        b"\x01\x2c" + b"\x00" * 10,                   # says 300, sends 10
        b"\xff\xff" + b"\x00" * 1000,                 # says 65535, sends 1000
        b"\x00\x05" + header()[:5] + b"\x00\x0c" + header(qd=9),  # two bad ones
    ]
    for f in frames:
        c = socket.create_connection((resolver.listen, 53), timeout=2)
        # The daemon may close first (a FORMERR answer ends the stream, and
        # past tcp-connections-per-address it evicts): a refused write or
        # half-close is an outcome, not a failure; the crash check is below.
        try:
            c.sendall(f)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conns.append(c)
    deadline = time.monotonic() + 3
    open_ = list(conns)
    while open_ and time.monotonic() < deadline:
        ready, _, _ = select.select(open_, [], [], 0.2)
        for c in ready:
            try:
                if not c.recv(65535):
                    open_.remove(c)
            except OSError:
                open_.remove(c)
    for c in conns:
        c.close()

    assert resolver.alive(), "portcullis died (seed %d):\n%s" % (seed, resolver.stderr())
    ok = resolver.query("www.alpha.lab.", "A")
    assert answer_rdata(ok, "www.alpha.lab.", "A") == {"192.0.2.10"}
    ok = resolver.query("www.alpha.lab.", "AAAA", tcp=True)
    assert answer_rdata(ok, "www.alpha.lab.", "AAAA") == {"2001:db8::10"}
    after = resolver.stats()
    assert after["queries.client.formerr"] > before["queries.client.formerr"], (
        "malformed queries with a readable header should count as FORMERR")
