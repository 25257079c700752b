#!/usr/bin/python3
"""Write the seeds of fuzz_val (fuzz/corpus/fuzz_val/): answers of a zone
signed with ldns-keygen and ldns-signzone (fresh keys; only public keys,
DS and signatures end up in the seeds): a secure A set, an NXDOMAIN with
its NSEC proof, a wildcard answer with its proof, an NXDOMAIN with NSEC3.
Input layout: see the top of fuzz/fuzz_val.c.

    fuzz/corpus/make_val_seeds.py
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

import dns.name
import dns.rdatatype
import dns.zone

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz_val")
ZONE = """$ORIGIN zone.
$TTL 300
@ IN SOA ns hostmaster 1 1800 900 604800 300
@ IN NS ns
ns IN A 192.0.2.1
www IN A 192.0.2.10
*.w IN A 192.0.2.99
"""
OWNERS = {"zone.": 0, "www.zone.": 1, "x.w.zone.": 2, "*.w.zone.": 3, "nx.zone.": 4}


def chunk(b):
    return struct.pack("!H", len(b)) + b


def rec(section, owner, rdtype, rd):
    if isinstance(owner, dns.name.Name):  # written in the chunk (0x80)
        return chunk(bytes([section, 0x80]) + struct.pack("!H", rdtype) + owner.to_wire() +
                     rd.to_digestable())
    return chunk(bytes([section, owner]) + struct.pack("!H", rdtype) + rd.to_digestable())


def main():
    os.makedirs(OUT, exist_ok=True)
    now = int(time.time())
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "z"), "w") as f:
            f.write(ZONE)
        for nsec3 in (False, True):
            key = subprocess.run(["ldns-keygen", "-r", "/dev/urandom", "-a", "ECDSAP256SHA256",
                                  "-k", "zone."], cwd=d, capture_output=True, text=True,
                                 check=True).stdout.strip()
            ds = subprocess.run(["ldns-key2ds", "-n", "-2", key + ".key"], cwd=d,
                                capture_output=True, text=True, check=True).stdout.split()
            argv = ["ldns-signzone", "-o", "zone.", "-f", "s", "-i", str(now - 3600),
                    "-e", str(now + 10 * 86400)]
            if nsec3:
                argv += ["-n", "-t", "0"]
            subprocess.run(argv + ["z", key], cwd=d, check=True)
            z = dns.zone.from_file(os.path.join(d, "s"), "zone.", relativize=False)
            apex = dns.name.from_text("zone.")
            i = ds.index("DS")
            ds_rd = struct.pack("!HBB", int(ds[i + 1]), int(ds[i + 2]), int(ds[i + 3])) + \
                bytes.fromhex("".join(ds[i + 4:]))
            head = struct.pack("!I", now) + struct.pack("!H", 1) + chunk(apex.to_wire()) + \
                chunk(ds_rd)
            keys = b"".join(rec(0, 0, 48, rd) for rd in z.find_rdataset(apex, "DNSKEY"))
            keys += b"".join(rec(0, 0, 46, rd) for rd in z.find_rdataset(apex, "RRSIG", "DNSKEY"))

            def sets(section, name, rdtype, owner=None):
                n = dns.name.from_text(name)
                o = OWNERS.get(owner or name, n)
                out = b"".join(rec(section, o, dns.rdatatype.from_text(rdtype), rd)
                               for rd in z.find_rdataset(n, rdtype))
                out += b"".join(rec(section, o, 46, rd)
                                for rd in z.find_rdataset(n, "RRSIG", rdtype))
                return out

            def denial(section):
                out = b""
                for name, node in z.nodes.items():
                    for rds in node.rdatasets:
                        if rds.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
                            t = name.to_text()
                            out += sets(section, t, dns.rdatatype.to_text(rds.rdtype))
                return out

            tag = "nsec3" if nsec3 else "nsec"
            seeds = {
                "secure-a-" + tag: bytes([0]) + head + keys + sets(1, "www.zone.", "A"),
                "secure-a-judged-" + tag: bytes([2]) + head + keys + sets(1, "www.zone.", "A"),
                "nxdomain-" + tag: bytes([1 | 4 << 3]) + head + keys + sets(2, "zone.", "SOA") + denial(2),
            }
            if not nsec3:
                seeds["wildcard-nsec"] = bytes([2 << 3]) + head + keys + \
                    sets(1, "*.w.zone.", "A", "x.w.zone.") + denial(2)
            for name, data in seeds.items():
                with open(os.path.join(OUT, name), "wb") as f:
                    f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
