#!/usr/bin/python3
"""Generate portcullis-port's compiled-in tables.

Reads the IANA "Service Name and Transport Protocol Port Number Registry"
XML (CC0; plain, or xz-compressed as data/iana/ keeps it) and the curated
known-uses.tsv, and writes one C file with:
  - a string pool (every distinct string once, NUL-separated),
  - port_reg_recs[]: one row per registry record, sorted by port,
  - port_use_recs[]: the known unofficial uses.
Run at build time by CMake; the output is never committed. Standard
library only (xml.etree, lzma), so the build needs nothing beyond python3.
"""
import argparse
import lzma
import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.iana.org/assignments}"
TRANSPORTS = {"": 0, "tcp": 1, "udp": 2, "sctp": 3, "dccp": 4}
USE_TRANSPORTS = {"tcp": 1, "udp": 2, "tcp+udp": 3}


class Pool:
    """Deduplicated string pool; offset 0 is the empty string."""

    def __init__(self):
        self.data = bytearray(b"\0")
        self.index = {"": 0}

    def add(self, s):
        if s not in self.index:
            raw = s.encode("utf-8")
            if b"\0" in raw:
                raise ValueError("NUL in string: %r" % s)
            self.index[s] = len(self.data)
            self.data += raw + b"\0"
        return self.index[s]


def squash(text):
    """Collapse the XML's line breaks and indentation into single spaces."""
    return " ".join((text or "").split())


def reference(rec):
    """The record's own references (not its assignee's), in document order."""
    refs = []
    for x in rec.findall(NS + "xref"):
        kind, data = x.get("type", ""), squash(x.get("data", ""))
        if kind == "rfc":
            refs.append(data.upper())
        elif kind == "person":
            refs.append("[" + data + "]")
        elif kind in ("draft", "uri", "text"):
            refs.append(data or squash(x.text))
        # "note" xrefs point at registry footnotes, meaningless out of context.
    return ", ".join(r for r in refs if r)


def parse_ports(text, where):
    text = squash(text)
    if not text:
        return None
    lo, _, hi = text.partition("-")
    lo, hi = int(lo), int(hi or lo)
    if not 0 <= lo <= hi <= 65535:
        raise ValueError("%s: bad port %r" % (where, text))
    return lo, hi


def registry(path, pool):
    # The project keeps the registry xz-compressed (data/iana/); a plain XML
    # file (IANA's download) is read as it is.
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rb") as f:
        root = ET.parse(f).getroot()
    rows = []
    for i, rec in enumerate(root.iter(NS + "record")):
        ports = parse_ports(rec.findtext(NS + "number"), "record %d" % i)
        proto = squash(rec.findtext(NS + "protocol")).lower()
        if proto not in TRANSPORTS:
            raise ValueError("record %d: unknown transport %r" % (i, proto))
        name = squash(rec.findtext(NS + "name"))
        desc = squash(rec.findtext(NS + "description"))
        has_port = ports is not None
        lo, hi = ports if has_port else (0, 0)
        rows.append((lo, hi, TRANSPORTS[proto], 1 if has_port else 0,
                     pool.add(name), pool.add(desc), pool.add(reference(rec)), i))
    # Records with a port first, by port; service-name-only records last.
    rows.sort(key=lambda r: (1 - r[3], r[0], r[1], r[7]))
    return rows


def known_uses(path, pool):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5 or not all(c.strip() for c in cols):
                raise ValueError("%s:%d: want 5 non-empty tab-separated columns"
                                 % (path, n))
            lo, hi = parse_ports(cols[0] + "-" + cols[1], "%s:%d" % (path, n))
            if cols[2] not in USE_TRANSPORTS:
                raise ValueError("%s:%d: transport must be tcp, udp or tcp+udp"
                                 % (path, n))
            rows.append((lo, hi, USE_TRANSPORTS[cols[2]],
                         pool.add(squash(cols[3])), pool.add(squash(cols[4]))))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def c_string(data):
    """Emit bytes as C string literal pieces, 76 columns wide. Octal escapes
    are always three digits so a following digit cannot extend them, and '?'
    is escaped so no trigraph can form."""
    out, line = [], ""
    for b in data:
        c = chr(b)
        if c in "\\\"?":
            piece = "\\" + c
        elif 0x20 <= b < 0x7f:
            piece = c
        else:
            piece = "\\%03o" % b
        if len(line) + len(piece) > 76:
            out.append('\t"%s"' % line)
            line = ""
        line += piece
    out.append('\t"%s"' % line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xml", required=True)
    ap.add_argument("--uses", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    pool = Pool()
    reg = registry(a.xml, pool)
    uses = known_uses(a.uses, pool)
    if len(pool.data) >= 2 ** 32:
        raise ValueError("string pool too large")
    o = []
    o.append("/* Generated by src/port/gen_registry.py from the IANA service name and")
    o.append(" * port number registry and src/port/known-uses.tsv. Do not edit. */")
    o.append('#include "port/port_reg.h"\n')
    # The pool ends with the literal's own NUL after the last string's NUL.
    o.append("const char port_reg_strings[%d] =" % (len(pool.data) + 1))
    o.append(c_string(bytes(pool.data)) + ";\n")
    o.append("const size_t port_reg_strings_len = %d;\n" % (len(pool.data) + 1))
    o.append("const struct port_reg_rec port_reg_recs[] = {")
    for lo, hi, t, hp, nm, ds, rf, _ in reg:
        o.append("\t{ %d, %d, %d, %d, %d, %d, %d }," % (lo, hi, t, hp, nm, ds, rf))
    o.append("};\nconst size_t port_reg_nrecs = %d;\n" % len(reg))
    o.append("const struct port_use_rec port_use_recs[] = {")
    for lo, hi, t, what, src in uses:
        o.append("\t{ %d, %d, %d, %d, %d }," % (lo, hi, t, what, src))
    o.append("};\nconst size_t port_use_nrecs = %d;" % len(uses))
    with open(a.out + ".tmp", "w", encoding="ascii") as f:
        f.write("\n".join(o) + "\n")
    os.replace(a.out + ".tmp", a.out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, OSError, ET.ParseError) as e:
        print("gen_registry.py: %s" % e, file=sys.stderr)
        sys.exit(1)
