#!/usr/bin/python3
"""Write the seeds of fuzz_dnssec (fuzz/corpus/fuzz_dnssec/): real signed
RRsets made with ldns-keygen and ldns-signzone (fresh keys; only public
keys and signatures end up in the seeds), for algorithms 8, 13 and 15 and
an NSEC3 chain. Input layout: see the top of fuzz/fuzz_dnssec.c.

    fuzz/corpus/make_dnssec_seeds.py
"""
import os
import struct
import subprocess
import sys
import tempfile

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.zone

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz_dnssec")
ZONE = """$ORIGIN seed.lab.
$TTL 300
@ IN SOA ns hostmaster 1 1800 900 604800 300
@ IN NS ns
ns IN A 192.0.2.1
www IN A 192.0.2.10
www IN A 192.0.2.9
www IN TXT "seed"
"""


def chunk(b):
    return struct.pack("!H", len(b)) + b


def wire(rd):
    return rd.to_digestable()


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "z"), "w") as f:
            f.write(ZONE)
        for alg, nsec3 in (("RSASHA256", False), ("ECDSAP256SHA256", False),
                           ("ED25519", False), ("ECDSAP256SHA256", True)):
            key = subprocess.run(["ldns-keygen", "-r", "/dev/urandom", "-a", alg, "-k",
                                  "seed.lab."], cwd=d, capture_output=True, text=True,
                                 check=True).stdout.strip()
            argv = ["ldns-signzone", "-o", "seed.lab.", "-f", "s"]
            if nsec3:
                argv += ["-n", "-t", "3", "-s", "beef"]
            subprocess.run(argv + ["z", key], cwd=d, check=True)
            z = dns.zone.from_file(os.path.join(d, "s"), "seed.lab.", relativize=False)
            apex = dns.name.from_text("seed.lab.")
            dnskey = z.find_rdataset(apex, "DNSKEY")[0]
            n3 = b""
            for name, node in z.nodes.items():
                for rds in node.rdatasets:
                    if rds.rdtype == dns.rdatatype.NSEC3:
                        n3 = wire(rds[0])
            www = dns.name.from_text("www.seed.lab.")
            for t, flag in (("A", 1), ("TXT", 1)):
                rrset = z.find_rdataset(www, t)
                sig = [s for s in z.find_rdataset(www, "RRSIG", t)][0]
                data = bytes([flag | 0x10]) + chunk(www.to_wire()) + chunk(wire(dnskey)) + \
                    chunk(wire(sig)) + chunk(n3)
                for rd in rrset:
                    data += chunk(wire(rd))
                name = "%s%s-%s" % (alg.lower(), "-nsec3" if nsec3 else "", t.lower())
                with open(os.path.join(OUT, name), "wb") as f:
                    f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
