#!/usr/bin/python3
"""Show everything a lab server sends back for one query.

    tests/lab/probe.py [--tcp] [--wait SECONDS] ADDRESS NAME [TYPE]

Over UDP it listens for --wait seconds (default 1) after sending and prints
each packet that arrives: its source, whether it carries our ID and our
question, and what it parses to. Made to look at the misbehaving servers of
servers.py (run it inside tests/lab/netns-run, next to a running lab).
"""

import argparse
import socket
import struct
import sys
import time

import dns.exception
import dns.message
import dns.rdatatype


def describe(wire, query):
    try:
        r = dns.message.from_wire(wire)
    except dns.exception.DNSException as e:
        return "MALFORMED (%s: %s) %d bytes: %s" % (
            type(e).__name__, e, len(wire), wire[:24].hex())
    same_id = r.id == query.id
    same_q = r.question == query.question
    flags = dns.flags.to_text(r.flags)
    answer = "; ".join(rr.to_text().replace("\n", " | ") for rr in r.answer)
    return "id %s, question %s, rcode %s, flags [%s], answer: %s" % (
        "ok" if same_id else "WRONG (%d)" % r.id,
        "ok" if same_q else "WRONG (%s)" % (
            r.question[0].name if r.question else "none"),
        dns.rcode.to_text(r.rcode()), flags, answer or "-")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("address")
    ap.add_argument("name")
    ap.add_argument("type", nargs="?", default="A")
    a = ap.parse_args()
    query = dns.message.make_query(a.name, dns.rdatatype.from_text(a.type))
    fam = socket.AF_INET6 if ":" in a.address else socket.AF_INET
    t0 = time.monotonic()
    if a.tcp:
        with socket.create_connection((a.address, 53), timeout=a.wait) as s:
            wire = query.to_wire()
            s.sendall(struct.pack("!H", len(wire)) + wire)
            try:
                n = struct.unpack("!H", s.recv(2))[0]
                data = b""
                while len(data) < n:
                    chunk = s.recv(n - len(data))
                    if not chunk:
                        break
                    data += chunk
            except (socket.timeout, struct.error):
                print("no TCP answer within %.1f s" % a.wait)
                return 1
            print("%6.0f ms  tcp  %s" % ((time.monotonic() - t0) * 1000,
                                         describe(data, query)))
        return 0
    seen = 0
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.sendto(query.to_wire(), (a.address, 53))
        deadline = t0 + a.wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                wire, peer = s.recvfrom(65535)
            except socket.timeout:
                break
            seen += 1
            print("%6.0f ms  from %s:%d  %s" % (
                (time.monotonic() - t0) * 1000, peer[0], peer[1],
                describe(wire, query)))
    if not seen:
        print("no UDP answer within %.1f s" % a.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
