#!/usr/bin/python3
"""Write the seeds of fuzz_nsec (fuzz/corpus/fuzz_nsec/): the NSEC and
NSEC3 records of a small zone signed with ldns-signzone (fresh keys, made
and thrown away here; only the denial records end up in the seeds), with a
question for each proof. Input layout: see the top of fuzz/fuzz_nsec.c.

    fuzz/corpus/make_nsec_seeds.py
"""
import os
import struct
import subprocess
import tempfile

import dns.name
import dns.rdatatype
import dns.zone

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz_nsec")
ZONE = """$ORIGIN nz.lab.
$TTL 300
@ IN SOA ns hostmaster 1 1800 900 604800 300
@ IN NS ns
ns IN A 192.0.2.1
www IN A 192.0.2.10
x.y.ent IN A 192.0.2.20
*.wild IN TXT "w"
sub IN NS ns.other.lab.
cname IN CNAME www
zz IN A 192.0.2.30
"""
QTYPES = ["A", "DS", "NS", "SOA", "CNAME", "TXT", "AAAA", "MX"]
# (file name, proof index, wildcard labels, qtype, qname)
QUESTIONS = [
    ("nxdomain", 0, 0, "A", "nope.nz.lab."),
    ("nxdomain-wrap", 0, 0, "A", "zzz.nz.lab."),
    ("nodata", 1, 0, "MX", "www.nz.lab."),
    ("nodata-ent", 1, 0, "A", "ent.nz.lab."),
    ("nodata-ds", 1, 0, "DS", "sub.nz.lab."),
    ("wcnodata", 2, 0, "A", "q.wild.nz.lab."),
    ("wcanswer", 3, 3, "TXT", "q.wild.nz.lab."),
    ("nods", 4, 0, "DS", "sub.nz.lab."),
]


def chunk(b):
    return struct.pack("!H", len(b)) + b


def run(argv, cwd):
    return subprocess.run(argv, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def main():
    os.makedirs(OUT, exist_ok=True)
    origin = dns.name.from_text("nz.lab.")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "zone.txt"), "w") as f:
            f.write(ZONE)
        ksk = run(["ldns-keygen", "-r", "/dev/urandom", "-a", "ECDSAP256SHA256", "-k", "nz.lab."], tmp)
        zsk = run(["ldns-keygen", "-r", "/dev/urandom", "-a", "ECDSAP256SHA256", "nz.lab."], tmp)
        for variant, flags in (("nsec", []), ("nsec3", ["-n", "-t", "2", "-s", "ab"]),
                               ("optout", ["-n", "-p", "-t", "0"])):
            out = os.path.join(tmp, variant + ".signed")
            run(["ldns-signzone"] + flags + ["-o", "nz.lab.", "-f", out, "zone.txt", ksk, zsk], tmp)
            zone = dns.zone.from_file(out, origin=origin, relativize=False)
            recs = b""
            for name, node in zone.nodes.items():
                for rds in node.rdatasets:
                    if rds.rdtype not in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
                        continue
                    odd = 1 if rds.rdtype == dns.rdatatype.NSEC3 else 0
                    for rd in rds:
                        recs += chunk(bytes([odd]) + name.to_digestable())
                        recs += chunk(rd.to_digestable())
            for fname, proof, labels, qtype, qname in QUESTIONS:
                head = bytes([proof | labels << 3, QTYPES.index(qtype)])
                body = chunk(origin.to_digestable()) + chunk(dns.name.from_text(qname).to_digestable())
                with open(os.path.join(OUT, "%s-%s" % (variant, fname)), "wb") as f:
                    f.write(head + body + recs)


if __name__ == "__main__":
    main()
