#!/usr/bin/python3
"""Misbehaving authoritative DNS servers for the portcullis lab.

Each invocation runs one server on one address (UDP and TCP, port 53) until
it is killed. lab.py starts one process per server so that a slow or busy
server never delays another.

Every server knows its "genuine" answers: authoritative (AA) data for the
zones it is given, where

  * the apex has an SOA and an NS set (the --ns names),
  * each --ns name has an A record with that server's address,
  * any other name has A 192.0.2.1 (TTL 300) -- or, for the recorder, an
    address derived from the name (see rnd_address),
  * any other type is NODATA with the SOA in the authority section,
  * a name outside every zone is REFUSED.

What the --kind changes:

  normal     answers with the genuine reply
  silent     reads queries and never answers (UDP and TCP)
  slow       answers after --delay milliseconds (default 500)
  wrongid    first a reply with a wrong ID, ~30 ms later the genuine one
  wrongsrc   first the reply (right ID) from --fake-src, then the genuine one
             from the real address
  wrongq     first a reply with the right ID but another question, then the
             genuine one
  malformed  first several malformed packets with the right ID, then the
             genuine one
  tcloop     UDP and TCP replies alike carry TC=1 and no records
  recorder   answers A queries for any name in its zones with rnd_address(),
             and appends a JSON line per query received to --log
  nocase     does not echo the 0x20 letter case: the question (and every
             name in its replies) comes back in lowercase, UDP and TCP
  cookie     a DNS cookie server (RFC 7873): replies carry our client cookie
             and a server cookie. A query that brings back a valid server
             cookie first gets a decoy without any cookie (right ID and
             question, A 192.0.2.66), then ~30 ms later the genuine reply.
             For names whose first label starts with "strict", a query
             without a valid server cookie gets BADCOOKIE (with a fresh
             server cookie) instead of an answer.
  frag       answers A queries over UDP with A 192.0.2.66 padded to about
             3,000 bytes and sent without the DF bit (so a link with a small
             MTU fragments it); over TCP with the genuine, unpadded reply

  noaa       the genuine replies without the AA bit (many real servers
             leave it off; the data is still the zone's own); a name whose
             first label starts with "empty" gets an empty NOERROR (no SOA),
             and one starting with "othertype" gets its A whatever the type
             asked
  cnames     the genuine replies, except: a name whose first label is
             "aliasN" gets "aliasN CNAME www.<zone>" twice and www's A (a
             repeated record); a name whose first label is "cN" (N >= 1)
             gets only "cN CNAME c(N-1).<zone>", one link per reply, and
             "c0" gets its A
  upward     a lame server: every reply is NOERROR without AA, no answer, and
             an upward referral (the parent zone's NS) in the authority, with
             AA when the name's first label starts with "aa"; only the apex
             SOA (the lab's readiness probe) is answered

  entfail    the genuine replies, except SERVFAIL for a name whose first
             label is "ent" (a server that fails on an empty non-terminal,
             which a QNAME-minimising resolver asks about)

Any kind logs a JSON line per query to --log when given (the cookie kind
adds "cookie": the option's hex or null, and "scookie_ok").

The tricks only apply to UDP; over TCP every kind except silent, slow,
tcloop and nocase sends just the genuine reply.
"""

import argparse
import hashlib
import heapq
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import zlib

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

KINDS = ("normal", "silent", "slow", "wrongid", "wrongsrc", "wrongq",
         "malformed", "tcloop", "recorder", "nocase", "cookie", "frag",
         "noaa", "cnames", "upward", "entfail")
TTL = 300
DEFAULT_A = "192.0.2.1"
FIRST_DELAY = 0.030  # the decoy goes first, the genuine reply this much later
DECOY_A = "192.0.2.66"
COOKIE = 10          # EDNS option code
PADDING = 12         # EDNS option code
IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0  # linux/in.h


def record_ttl(name):
    """The TTL of the A the recorder gives NAME: N for a name whose first
    label starts "ttlN-" (1 <= N <= 86400, for expiry and prefetch tests),
    else TTL."""
    m = re.match(r"ttl(\d{1,5})-", str(name).lower())
    if m and 1 <= int(m.group(1)) <= 86400:
        return int(m.group(1))
    return TTL


def rnd_address(name):
    """The A record the recorder gives NAME (text, any case, dot or not)."""
    key = name.lower().rstrip(".").encode("ascii", "backslashreplace")
    return "192.0.2.%d" % (zlib.crc32(key) % 250 + 1)


class Zones:
    """The authoritative data of one server: the genuine answers."""

    def __init__(self, zones, ns, derive):
        self.zones = [dns.name.from_text(z) for z in zones]
        self.derive = derive
        # ns: list of (label, address); each label is under every zone.
        self.ns = ns

    def find(self, qname):
        best = None
        for z in self.zones:
            if qname.is_subdomain(z) and (best is None or len(z) > len(best)):
                best = z
        return best

    def soa(self, zone):
        text = "ns.%s hostmaster.%s 2024010101 1800 900 604800 %d" % (
            zone, zone, TTL)
        return dns.rrset.from_text(zone, TTL, "IN", "SOA", text)

    def ns_names(self, zone):
        return [(dns.name.from_text(label, zone), addr)
                for label, addr in self.ns]

    def address_of(self, qname, zone):
        for name, addr in self.ns_names(zone):
            if name == qname:
                return addr
        if self.derive:
            return rnd_address(qname.to_text())
        return DEFAULT_A

    def answer(self, query):
        """The genuine response to QUERY (a dns.message.Message)."""
        resp = dns.message.make_response(query)
        if not query.question:
            resp.set_rcode(dns.rcode.FORMERR)
            return resp
        q = query.question[0]
        zone = self.find(q.name) if q.rdclass == dns.rdataclass.IN else None
        if zone is None:
            resp.set_rcode(dns.rcode.REFUSED)
            return resp
        resp.flags |= dns.flags.AA
        if q.name == zone and q.rdtype == dns.rdatatype.SOA:
            resp.answer.append(self.soa(zone))
        elif q.name == zone and q.rdtype == dns.rdatatype.NS:
            names = self.ns_names(zone)
            resp.answer.append(dns.rrset.from_text_list(
                zone, TTL, "IN", "NS", [n.to_text() for n, _ in names]))
            for n, addr in names:
                resp.additional.append(
                    dns.rrset.from_text(n, TTL, "IN", "A", addr))
        elif q.name != zone and q.rdtype == dns.rdatatype.A:
            ttl = record_ttl(q.name.to_text()) if self.derive else TTL
            resp.answer.append(dns.rrset.from_text(
                q.name, ttl, "IN", "A", self.address_of(q.name, zone)))
        else:
            resp.authority.append(self.soa(zone))
        return resp


class Scheduler:
    """Sends datagrams later, from one thread, without a thread per query."""

    def __init__(self):
        self.heap = []
        self.seq = 0
        self.cv = threading.Condition()
        threading.Thread(target=self.run, daemon=True).start()

    def later(self, delay, sock, data, dest):
        with self.cv:
            self.seq += 1
            heapq.heappush(self.heap,
                           (time.monotonic() + delay, self.seq, sock, data, dest))
            self.cv.notify()

    def run(self):
        while True:
            with self.cv:
                while not self.heap or self.heap[0][0] > time.monotonic():
                    timeout = (self.heap[0][0] - time.monotonic()
                               if self.heap else None)
                    self.cv.wait(timeout)
                _, _, sock, data, dest = heapq.heappop(self.heap)
            try:
                sock.sendto(data, dest)
            except OSError as e:
                print("servers.py: sendto %s: %s" % (dest, e), file=sys.stderr)


def parse_question(wire):
    """Fast parse of a plain query: (id, flags, qname_text, qtype, qclass,
    end_of_question) or None when the packet needs the full parser."""
    if len(wire) < 17:
        return None
    qid, flags, qd = struct.unpack_from("!HHH", wire, 0)
    if flags & 0xF800 or qd != 1:  # a response, or not a QUERY
        return None
    pos, labels = 12, []
    while True:
        n = wire[pos]
        if n == 0:
            pos += 1
            break
        if n > 63 or pos + 1 + n > len(wire):
            return None
        label = wire[pos + 1:pos + 1 + n]
        if not label.replace(b"-", b"").replace(b"_", b"").isalnum():
            return None
        labels.append(label.decode("ascii"))
        pos += 1 + n
        if pos >= len(wire):
            return None
    if pos + 4 > len(wire):
        return None
    qtype, qclass = struct.unpack_from("!HH", wire, pos)
    return qid, flags, ".".join(labels) + ".", qtype, qclass, pos + 4


class Server:
    def __init__(self, args):
        self.kind = args.kind
        self.addr = args.addr
        self.family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
        self.delay = args.delay / 1000.0
        self.zones = Zones(args.zone, [tuple(x.split("=", 1)) for x in args.ns],
                           derive=(args.kind == "recorder"))
        self.zone_names = [z.to_text().lower() for z in self.zones.zones]
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.log_lock = threading.Lock()
        self.sched = Scheduler()
        self.udp = self.bind(socket.SOCK_DGRAM, self.addr)
        self.tcp = self.bind(socket.SOCK_STREAM, self.addr)
        self.tcp.listen(64)
        self.fake = (self.bind(socket.SOCK_DGRAM, args.fake_src)
                     if args.fake_src else None)
        self.secret = os.urandom(16)
        if self.kind == "frag":
            # without DF the kernel fragments datagrams beyond the link MTU
            self.udp.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER,
                                IP_PMTUDISC_DONT)

    def bind(self, type_, addr):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, type_)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 53))
        return s

    # ----- logging (recorder) -----
    def record(self, port, qid, qname, qtype, rd, tcp, **extra):
        if self.log is None:
            return
        entry = {"port": port, "id": qid, "qname": qname, "qtype": qtype,
                 "rd": rd, "tcp": tcp, "t": time.monotonic()}
        entry.update(extra)
        line = json.dumps(entry)
        with self.log_lock:
            self.log.write(line + "\n")

    # ----- UDP -----
    def serve_udp(self):
        while True:
            wire, peer = self.udp.recvfrom(65535)
            if self.kind == "silent":
                continue
            try:
                if self.kind == "recorder" and self.fast_recorder(wire, peer):
                    continue
                self.handle_udp(wire, peer)
            except Exception as e:  # a bad packet must not end the server
                print("servers.py: %s from %s: %r" % (self.kind, peer, e),
                      file=sys.stderr)

    def fast_recorder(self, wire, peer):
        """Answer a plain A query without dnspython (the recorder must keep
        up with thousands of queries a second). False: take the slow path."""
        p = parse_question(wire)
        if p is None:
            return False
        qid, flags, qname, qtype, qclass, end = p
        if qtype != 1 or qclass != 1:
            return False
        low = qname.lower()
        if low in self.zone_names or low.split(".", 1)[0].startswith("ns"):
            return False
        if not any(low.endswith("." + z) for z in self.zone_names):
            return False
        self.record(peer[1], qid, qname, "A", bool(flags & 0x0100), False)
        addr = socket.inet_aton(rnd_address(qname))
        out = (struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100), 1, 1, 0, 0)
               + wire[12:end]
               + struct.pack("!HHHIH", 0xC00C, 1, 1, record_ttl(qname), 4) + addr)
        self.udp.sendto(out, peer)
        return True

    def handle_udp(self, wire, peer):
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return  # not even a query: an authoritative server drops it
        if query.flags & dns.flags.QR:
            return
        q = query.question[0] if query.question else None
        if q is not None:
            self.record(peer[1], query.id, q.name.to_text(),
                        dns.rdatatype.to_text(q.rdtype),
                        bool(query.flags & dns.flags.RD), False,
                        **self.cookie_fields(query, peer))
        if self.kind == "cookie" and q is not None:
            self.cookie_udp(query, peer)
            return
        if self.kind == "frag" and q is not None:
            self.frag_udp(query, peer)
            return
        resp = self.answer(query)
        if self.kind == "tcloop":
            resp = self.truncated(query)
        genuine = resp.to_wire()
        k = self.kind
        if k == "slow":
            self.sched.later(self.delay, self.udp, genuine, peer)
            return
        if k in ("normal", "recorder", "tcloop", "nocase", "noaa", "cnames",
                 "upward", "entfail") or q is None:
            self.udp.sendto(genuine, peer)
            return
        if k == "wrongid":
            bad = bytearray(genuine)
            struct.pack_into("!H", bad, 0,
                             (query.id + random.randrange(1, 65536)) % 65536)
            self.udp.sendto(bytes(bad), peer)
        elif k == "wrongsrc":
            self.fake.sendto(genuine, peer)
        elif k == "wrongq":
            self.udp.sendto(self.other_question(query), peer)
        elif k == "malformed":
            for junk in self.malformed(wire, genuine):
                self.udp.sendto(junk, peer)
        self.sched.later(FIRST_DELAY, self.udp, genuine, peer)

    def answer(self, query):
        """The genuine reply; the nocase server lowercases every name."""
        if self.kind == "nocase" and query.question:
            q = query.question[0]
            low = dns.name.from_text(q.name.to_text().lower())
            query.question = [dns.rrset.RRset(low, q.rdclass, q.rdtype)]
        if self.kind == "cnames" and query.question:
            resp = self.cname_answer(query)
            if resp is not None:
                return resp
        if self.kind == "upward" and query.question:
            return self.upward_referral(query)
        if self.kind == "entfail" and query.question and \
                [l.lower() for l in query.question[0].name.labels[:1]] == [b"ent"]:
            resp = dns.message.make_response(query)
            resp.set_rcode(dns.rcode.SERVFAIL)
            return resp
        resp = self.zones.answer(query)
        if self.kind == "noaa":
            resp.flags &= ~dns.flags.AA
            q = query.question[0] if query.question else None
            first = (q.name.labels[0].decode("ascii", "replace").lower()
                     if q is not None and q.name.labels else "")
            if resp.rcode() == dns.rcode.NOERROR and first.startswith("empty"):
                resp.answer, resp.authority, resp.additional = [], [], []
            elif resp.rcode() == dns.rcode.NOERROR and first.startswith("othertype"):
                resp.answer = [dns.rrset.from_text(q.name, TTL, "IN", "A", DEFAULT_A)]
                resp.authority = []
        return resp

    # ----- CNAME quirks (the cnames kind) -----
    def cname_answer(self, query):
        q = query.question[0]
        zone = self.zones.find(q.name)
        if zone is None or q.name == zone or q.rdclass != dns.rdataclass.IN:
            return None
        first = q.name.labels[0].decode("ascii", "replace").lower()
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        if first.startswith("alias"):
            www = dns.name.from_text("www", zone)
            cname = dns.rrset.from_text(q.name, TTL, "IN", "CNAME", www.to_text())
            # the same record twice: dnspython would merge it inside one
            # RRset, so it goes in as two RRsets
            resp.answer.append(cname)
            resp.answer.append(dns.rrset.from_text(q.name, TTL, "IN", "CNAME",
                                                   www.to_text()))
            if q.rdtype == dns.rdatatype.A:
                resp.answer.append(dns.rrset.from_text(www, TTL, "IN", "A", DEFAULT_A))
            return resp
        if len(first) > 1 and first[0] == "c" and first[1:].isdigit() and \
                len(q.name) == len(zone) + 1:
            n = int(first[1:])
            if n == 0:
                return None  # c0: the genuine A
            target = dns.name.from_text("c%d" % (n - 1), zone)
            resp.answer.append(dns.rrset.from_text(q.name, TTL, "IN", "CNAME",
                                                   target.to_text()))
            return resp
        return None

    def upward_referral(self, query):
        """NOERROR, no AA, no answer: the NS of the zone's parent."""
        q = query.question[0]
        resp = dns.message.make_response(query)
        zone = self.zones.find(q.name)
        if zone is None:
            resp.set_rcode(dns.rcode.REFUSED)
            return resp
        if q.name == zone and q.rdtype == dns.rdatatype.SOA:
            return self.zones.answer(query)
        if q.name.labels and q.name.labels[0].lower().startswith(b"aa"):
            resp.flags |= dns.flags.AA
        parent = zone.parent()
        resp.authority.append(dns.rrset.from_text(parent, TTL, "IN", "NS",
                                                  "ns1.nic.%s" % parent.to_text()))
        return resp

    # ----- cookies (the cookie kind) -----
    @staticmethod
    def query_cookie(query):
        """The COOKIE option bytes of QUERY, or None."""
        for opt in query.options:
            if opt.otype == COOKIE:
                return opt.to_wire() if hasattr(opt, "to_wire") else opt.data
        return None

    def server_cookie(self, client, peer):
        return hashlib.sha256(self.secret + client + peer[0].encode()).digest()[:16]

    def cookie_fields(self, query, peer):
        if self.kind != "cookie":
            return {}
        c = self.query_cookie(query)
        ok = (c is not None and len(c) == 24
              and c[8:] == self.server_cookie(c[:8], peer))
        return {"cookie": c.hex() if c is not None else None, "scookie_ok": ok}

    def with_cookie(self, resp, client, peer, rcode=None):
        opt = dns.edns.GenericOption(
            COOKIE, client + self.server_cookie(client, peer))
        resp.use_edns(0, 0, 1232, options=[opt])
        if rcode is not None:
            resp.set_rcode(rcode)
        return resp

    def cookie_udp(self, query, peer):
        c = self.query_cookie(query)
        if c is None or len(c) < 8:
            self.udp.sendto(self.answer(query).to_wire(), peer)
            return
        client = c[:8]
        valid = len(c) == 24 and c[8:] == self.server_cookie(client, peer)
        first = query.question[0].name.labels[0].lower()
        if not valid and first.startswith(b"strict"):
            resp = dns.message.make_response(query)
            self.udp.sendto(self.with_cookie(resp, client, peer,
                                             dns.rcode.BADCOOKIE).to_wire(), peer)
            return
        genuine = self.with_cookie(self.answer(query), client, peer).to_wire()
        if valid:
            # what an off-path forger who got port, ID and case right would
            # send: it cannot know our cookies
            decoy = self.answer(query)
            decoy.use_edns(0, 0, 1232)
            for rrset in decoy.answer:
                if rrset.rdtype == dns.rdatatype.A:
                    rrset.clear()
                    rrset.add(dns.rdata.from_text("IN", "A", DECOY_A))
            self.udp.sendto(decoy.to_wire(), peer)
            self.sched.later(FIRST_DELAY, self.udp, genuine, peer)
            return
        self.udp.sendto(genuine, peer)

    def frag_udp(self, query, peer):
        resp = self.answer(query)
        for rrset in resp.answer:
            if rrset.rdtype == dns.rdatatype.A:
                rrset.clear()
                rrset.add(dns.rdata.from_text("IN", "A", DECOY_A))
        resp.use_edns(0, 0, 1232, options=[
            dns.edns.GenericOption(PADDING, b"\0" * 3000)])
        # beyond the payload size the query offered: that is the point
        self.udp.sendto(resp.to_wire(max_size=65535), peer)

    def truncated(self, query):
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.TC | dns.flags.AA
        return resp

    def other_question(self, query):
        """Right ID, a question about another name, and a poisoned answer."""
        q = query.question[0]
        decoy = dns.name.Name((b"decoy",) + q.name.labels)
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        resp.question = [dns.rrset.RRset(decoy, q.rdclass, q.rdtype)]
        if q.rdtype == dns.rdatatype.A:
            resp.answer.append(dns.rrset.from_text(decoy, TTL, "IN", "A",
                                                   "192.0.2.66"))
        return resp.to_wire()

    def malformed(self, qwire, genuine):
        """Packets with the ID of the query QWIRE that no parser may accept."""
        hdr_id = qwire[:2]
        # the question section exactly as received (from_wire accepted it, so
        # it is one uncompressed name, then type and class)
        qend = 12
        while qwire[qend] != 0:
            qend += 1 + qwire[qend]
        question = qwire[12:qend + 5]
        out = []
        # 1. random bytes behind a plausible response header start
        out.append(hdr_id + b"\x84\x00" + os.urandom(40))
        # 2. a 5-byte runt
        out.append(hdr_id + b"\x84\x00\x00")
        # 3. the genuine reply, its header claiming 5 more answers than present
        bad = bytearray(genuine)
        an = struct.unpack_from("!H", bad, 6)[0]
        struct.pack_into("!H", bad, 6, an + 5)
        out.append(bytes(bad))
        # 4. an answer whose owner name is a compression pointer to itself
        head = hdr_id + struct.pack("!HHHHH", 0x8400, 1, 1, 0, 0)
        off = len(head) + len(question)
        out.append(head + question + struct.pack("!H", 0xC000 | off)
                   + struct.pack("!HHIH", 1, 1, TTL, 4) + bytes([192, 0, 2, 99]))
        # 5. an answer owner name with a 64-byte label
        out.append(head + question + b"\x40" + b"a" * 64 + b"\x00"
                   + struct.pack("!HHIH", 1, 1, TTL, 4) + bytes([192, 0, 2, 98]))
        return out

    # ----- TCP -----
    def serve_tcp(self):
        while True:
            conn, peer = self.tcp.accept()
            threading.Thread(target=self.tcp_conn, args=(conn, peer),
                             daemon=True).start()

    def tcp_conn(self, conn, peer):
        conn.settimeout(30)
        try:
            while True:
                hdr = self.read_exact(conn, 2)
                if hdr is None:
                    return
                wire = self.read_exact(conn, struct.unpack("!H", hdr)[0])
                if wire is None:
                    return
                if self.kind == "silent":
                    continue
                try:
                    query = dns.message.from_wire(wire)
                except dns.exception.DNSException:
                    return
                q = query.question[0] if query.question else None
                if q is not None:
                    self.record(peer[1], query.id, q.name.to_text(),
                                dns.rdatatype.to_text(q.rdtype),
                                bool(query.flags & dns.flags.RD), True,
                                **self.cookie_fields(query, peer))
                if self.kind == "tcloop":
                    resp = self.truncated(query)
                else:
                    resp = self.answer(query)
                c = self.query_cookie(query) if self.kind == "cookie" else None
                if c is not None and len(c) >= 8:
                    resp = self.with_cookie(resp, c[:8], peer)
                if self.kind == "slow":
                    time.sleep(self.delay)
                out = resp.to_wire()
                conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def read_exact(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def run(self, ready):
        threading.Thread(target=self.serve_tcp, daemon=True).start()
        if self.fake is not None:
            # the wrong-source socket never reads; drain it so it cannot fill
            threading.Thread(target=self.drain, args=(self.fake,),
                             daemon=True).start()
        if ready:
            with open(ready + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(ready + ".tmp", ready)
        self.serve_udp()

    @staticmethod
    def drain(sock):
        while True:
            sock.recvfrom(65535)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=KINDS, required=True)
    ap.add_argument("--addr", required=True, help="address to serve on, port 53")
    ap.add_argument("--zone", action="append", required=True)
    ap.add_argument("--ns", action="append", default=[],
                    help="LABEL=ADDRESS: a name server of each zone")
    ap.add_argument("--delay", type=float, default=500, help="ms, for slow")
    ap.add_argument("--fake-src", help="wrong source address, for wrongsrc")
    ap.add_argument("--log", help="JSON query log, for recorder")
    ap.add_argument("--ready", help="file written once the sockets are bound")
    args = ap.parse_args(argv)
    if args.kind == "wrongsrc" and not args.fake_src:
        ap.error("wrongsrc needs --fake-src")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    Server(args).run(args.ready)


if __name__ == "__main__":
    main()
