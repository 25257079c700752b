"""The signed variant of the benchmark hierarchy, for the validating rows of
bench.py (stages vcold, vmiss, vcached), and the check that a resolver
really validates. See README.md.

Signed at every benchmark start with fresh keys (ldns-keygen, ldns-signzone
from Debian's ldnsutils, through tests/lab/signer.py's helpers; no private
key is ever written outside the work directory), so that signatures are
always within their validity period:

  server   address        zone
  root     127.43.0.1     `.`: delegates sbench. (ns1.nic.sbench.) with its DS
  TLD      127.44.0.1     `sbench.`: delegates z000.sbench. ... z199.sbench.,
                          each with in-bailiwick glue and its DS
  zones    127.45.0.1-4   zone i on server i mod 4: SOA, NS, `ns` A and one A
                          record per name the benchmark asks (no wildcard: a
                          validator would also need the NSEC proving the name
                          itself absent, and RFC 8198 resolvers could then
                          synthesise later names without asking)

Every zone has its own KSK and ZSK, algorithm 13 (ECDSA P-256 with SHA-256)
and NSEC; the root's KSK DS is the trust anchor every resolver is given.
`bogus.z000.sbench. A` is changed after signing (its RRSIG no longer
matches): a validating resolver answers it SERVFAIL.
"""

import concurrent.futures
import os
import re
import socket
import time

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

import signer  # tests/lab/signer.py (bench.py puts tests/lab on the path)

TLD = "sbench."
ROOT_ADDR = "127.43.0.1"
TLD_ADDR = "127.44.0.1"
ZONE_ADDRS = ["127.45.0.%d" % (i + 1) for i in range(4)]
ALGORITHM = 13
BOGUS_NAME = "bogus.z000.sbench."
BOGUS_SIGNED_ADDR, BOGUS_SERVED_ADDR = "192.0.2.2", "192.0.2.66"
TTL = 86400


def zone_name(i):
    return "z%03d.%s" % (i, TLD)


def _validity():
    now = int(time.time())
    return signer.utc(now - 86400), signer.utc(now + 30 * 86400)


def _sign(keydir, zone, text, out, times):
    """Signs text as zone into out with a fresh KSK and ZSK; returns the
    KSK's DS as one master-file line."""
    ksk = signer.sign(keydir, zone, text, out, ALGORITHM, "nsec", times)
    return signer.ds_of(keydir, ksk)


def _soa(ns):
    return "@ %d IN SOA %s hostmaster.nic.%s 1 3600 900 604800 %d\n" % (TTL, ns, TLD, TTL)


def write_hierarchy(w, names, zones, nsd_conf, workers=None):
    """Writes and signs the hierarchy under w/signed-bench/ for the given
    names (fully qualified, each under one of the zones z000..z{zones-1}),
    and NSD configs through nsd_conf(dir, addr, [(zone, file)]). Returns a
    dict: nsds [(name, conf, addr, zone to probe)], hints, anchor (the
    root's DS in master-file form), ds (its rdata), sign_s, names."""
    t0 = time.monotonic()
    top = os.path.join(w, "signed-bench")
    keydir, zd = os.path.join(top, "keys"), os.path.join(top, "zones")
    os.makedirs(keydir, exist_ok=True)
    os.makedirs(zd, exist_ok=True)
    times = _validity()
    per_zone = {zone_name(i): [] for i in range(zones)}
    for n in names:
        label, zone = n.split(".", 1)
        if zone not in per_zone:
            raise ValueError("%s is not under a benchmark zone" % n)
        per_zone[zone].append(label)

    def leaf(i):
        z = zone_name(i)
        addr = ZONE_ADDRS[i % len(ZONE_ADDRS)]
        text = ("$ORIGIN %s\n$TTL %d\n" % (z, TTL) + _soa("ns." + z) +
                "@ NS ns\nns A %s\n" % addr +
                "".join("%s A 192.0.2.1\n" % label for label in sorted(set(per_zone[z]))))
        bogus = BOGUS_NAME.split(".", 1)[1] == z
        if bogus:
            text += "bogus A %s\n" % BOGUS_SIGNED_ADDR
        out = os.path.join(zd, z + "zone")
        ds = _sign(keydir, z, text, out, times)
        if bogus:
            _tamper(out)
        return z, out, addr, ds

    # each ldns run is a process start and a few hundred signatures: side by side
    workers = workers or 2 * (os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        leaves = list(ex.map(leaf, range(zones)))
    tld = ["$ORIGIN %s\n$TTL %d\n" % (TLD, TTL), _soa("ns1.nic." + TLD),
           "@ NS ns1.nic\nns1.nic A %s\na.root A %s\n" % (TLD_ADDR, ROOT_ADDR)]
    for z, _, addr, ds in leaves:
        tld.append("%s NS ns.%s\nns.%s A %s\n%s\n" % (z, z, z, addr, ds))
    tld_file = os.path.join(zd, "sbench.zone")
    tld_ds = _sign(keydir, TLD, "".join(tld), tld_file, times)
    root = ("$ORIGIN .\n$TTL %d\n" % TTL + _soa("a.root." + TLD) +
            "@ NS a.root.%s\n%s NS ns1.nic.%s\nns1.nic.%s A %s\na.root.%s A %s\n%s\n"
            % (TLD, TLD, TLD, TLD, TLD_ADDR, TLD, ROOT_ADDR, tld_ds))
    root_file = os.path.join(zd, "root.zone")
    root_ds = _sign(keydir, ".", root, root_file, times)
    anchor = os.path.join(top, "root.anchor")
    with open(anchor, "w") as f:
        f.write(root_ds + "\n")
    hints = os.path.join(top, "sbench.hints")
    with open(hints, "w") as f:
        f.write(".  3600000 NS a.root.%s\na.root.%s 3600000 A %s\n" % (TLD, TLD, ROOT_ADDR))
    nsds = [("sroot", nsd_conf(os.path.join(top, "nsd", "root"), ROOT_ADDR,
                               [(".", root_file)]), ROOT_ADDR, "."),
            ("stld", nsd_conf(os.path.join(top, "nsd", "tld"), TLD_ADDR,
                              [(TLD, tld_file)]), TLD_ADDR, TLD)]
    for k, addr in enumerate(ZONE_ADDRS):
        mine = [(z, out) for z, out, a, _ in leaves if a == addr]
        nsds.append(("szones%d" % k, nsd_conf(os.path.join(top, "nsd", "zones%d" % k),
                                              addr, mine), addr, mine[0][0]))
    return {"nsds": nsds, "hints": hints, "anchor": anchor,
            "ds": root_ds.split("DS", 1)[1].strip(), "sign_s": time.monotonic() - t0,
            "names": sum(len(set(v)) for v in per_zone.values())}


def _tamper(path):
    with open(path) as f:
        text = f.read()
    pat = r"^(%s\s+\d+\s+IN\s+A\s+)%s$" % (re.escape(BOGUS_NAME), re.escape(BOGUS_SIGNED_ADDR))
    text, n = re.subn(pat, r"\g<1>" + BOGUS_SERVED_ADDR, text, flags=re.M)
    if n != 1:
        raise signer.SignError("%s A not found in %s" % (BOGUS_NAME, path))
    with open(path, "w") as f:
        f.write(text)


def ask_dnssec(addr, qname, rdtype="A", timeout=5.0):
    """One UDP query with EDNS and DO (and RD) to addr:53; the reply, or None."""
    q = dns.message.make_query(qname, rdtype, want_dnssec=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.sendto(q.to_wire(), (addr, 53))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                wire, peer = s.recvfrom(65535)
                r = dns.message.from_wire(wire)
            except socket.timeout:
                return None
            except dns.exception.DNSException:
                continue
            if peer[0] == addr and r.id == q.id and r.question == q.question:
                return r


def check_validates(addr, sample):
    """Does the resolver at addr validate? A DO query for sample (a signed
    name) must come back NOERROR with AD and the A record's RRSIG, and one
    for BOGUS_NAME must come back SERVFAIL. Returns a dict with what was
    seen and ok (bool) and why (a sentence when not ok)."""
    res = {"sample": sample, "bogus": BOGUS_NAME}
    r = ask_dnssec(addr, sample)
    if r is None:
        res.update(ok=False, why="no answer to %s A (DO)" % sample)
        return res
    res["sample_rcode"] = dns.rcode.to_text(r.rcode())
    res["ad"] = bool(r.flags & dns.flags.AD)
    res["rrsig"] = any(rr.rdtype == dns.rdatatype.RRSIG and rr.covers == dns.rdatatype.A
                       for rr in r.answer)
    b = ask_dnssec(addr, BOGUS_NAME)
    res["bogus_rcode"] = "no answer" if b is None else dns.rcode.to_text(b.rcode())
    why = []
    if r.rcode() != dns.rcode.NOERROR:
        why.append("%s A gave %s" % (sample, res["sample_rcode"]))
    if not res["ad"]:
        why.append("%s A (DO) came without AD" % sample)
    if not res["rrsig"]:
        why.append("%s A (DO) came without its RRSIG" % sample)
    if res["bogus_rcode"] != "SERVFAIL":
        why.append("%s A (tampered) gave %s, not SERVFAIL" % (BOGUS_NAME, res["bogus_rcode"]))
    res["ok"] = not why
    if why:
        res["why"] = "; ".join(why)
    return res
