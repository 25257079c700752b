"""The lab's DNSSEC: zones signed at lab start with fresh keys (ldns-keygen,
ldns-signzone from Debian's ldnsutils), never with a committed private key.

sign_lab(workdir) signs the root, lab. and the signed second-level zones
into WORKDIR/signed/ (keys in WORKDIR/keys/, gone with the lab's temporary
directory) and returns {zone: signed zone file} for the NSD configs. The
root's trust anchor is written to WORKDIR/root.anchor (its KSK's DS, one
line in master-file format, as trust-anchor-file reads it) and its DNSKEY
set to WORKDIR/root.dnskey.

Signed zones under lab. (one NSD at SIGNED_ADDR serves them all):

  zone          algorithm     denial         what
  sec8.lab.     8 RSASHA256   NSEC           secure
  sec13.lab.    13 ECDSAP256  NSEC           secure
  sec15.lab.    15 ED25519    NSEC           secure
  nsec3.lab.    13            NSEC3          secure (0 iterations, no salt, RFC 9276)
  optout.lab.   13            NSEC3 opt-out  secure; `ins` is an unsigned delegation
  expired.lab.  13            NSEC           bogus: every signature expired in 2020
  tampered.lab. 13            NSEC           bogus: www's A changed after signing
  badds.lab.    13            NSEC           bogus: the DS in lab. matches no key
  nosig.lab.    13            NSEC           bogus: every RRSIG stripped (DS in lab.)
  keytrap.lab.  13            NSEC           bogus: KeyTrap (CVE-2023-50387), see below
  nsec3heavy.lab. 13          NSEC3          secure: 150 iterations (the cap), 127-byte salt
  nsec3many.lab. 13           NSEC3          insecure: 500 iterations, above RFC 9276's cap

The attack zones. keytrap.lab.'s DNSKEY set (signed by its KSK, whose DS
is in lab.) holds KEYTRAP_KEYS more ECDSA P-256 keys, genuine points on the
curve, that all share one key tag: the tag is steered through the DNSKEY
flags' reserved bits, which RFC 4034 2.1.1 says a validator ignores (so a
validator must try every one of them). Each name trapN.keytrap.lab. (N in
1..KEYTRAP_NAMES) has an A RRset with KEYTRAP_SIGS RRSIGs carrying that tag,
inside their validity window, none of which verifies (random r and s): a
validator without caps makes KEYTRAP_KEYS x KEYTRAP_SIGS verifications per
RRset. nsec3heavy.lab. is the NSEC3 closest-encloser load (CVE-2023-50868):
the most iterations a validator computes and a long salt (127 bytes: ldns
1.8.3's signer aborts on longer ones), so that each name hashed costs 151
SHA-1 runs over ~150 bytes; a deep NXDOMAIN name makes a validator hash
every ancestor.

alpha.lab. (and everything below it) stays unsigned: lab. delegates it
without a DS, the lab's insecure delegation.

root_rollover(workdir, stage) re-signs the root for an RFC 5011 rollover
of its KSK, the way the root itself rolled KSK-2017 to KSK-2024:
"prepublish" adds a new KSK (both KSKs sign the DNSKEY set), "revoke"
publishes the old KSK with the REVOKE flag (ldns-revoke), signing the set
with it as RFC 5011 2.1 requires, and "remove" leaves only the new KSK;
"restore" puts the root back as sign_lab made it (the old KSK unrevoked,
root.anchor valid again) so that a shared lab serves later tests as before.
The caller reloads the root's NSD (Lab.root_rollover does both).
"""

import concurrent.futures
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES_DIR = os.path.join(HERE, "zones")

SIGNED_ADDR = "127.54.0.1"  # outside 127.50.0.0/24, the benchmark's resolvers

# zone label -> (algorithm, denial, fault)
SIGNED = {
    "sec8": (8, "nsec", None),
    "sec13": (13, "nsec", None),
    "sec15": (15, "nsec", None),
    "nsec3": (13, "nsec3", None),
    "optout": (13, "optout", None),
    "expired": (13, "nsec", "expired"),
    "tampered": (13, "nsec", "tampered"),
    "badds": (13, "nsec", "badds"),
    "nosig": (13, "nsec", "nosig"),
    "keytrap": (13, "nsec", "keytrap"),
    "nsec3heavy": (13, "nsec3heavy", None),
    "nsec3many": (13, "nsec3many", None),
}

KEYTRAP_KEYS = 160   # colliding DNSKEYs
KEYTRAP_SIGS = 160   # failing RRSIGs per RRset
KEYTRAP_NAMES = 24   # trap1 .. trapN
NSEC3_HEAVY_ITER = 150   # core/dnssec.h DNSSEC_NSEC3_MAX_ITERATIONS: still computed
NSEC3_MANY_ITER = 500    # above it: insecure (RFC 9276 3.2)

ALG_NAMES = {8: "RSASHA256", 13: "ECDSAP256SHA256", 15: "ED25519"}



class SignError(Exception):
    pass


def run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SignError("%s failed (%d): %s" % (" ".join(argv), r.returncode,
                                                (r.stderr or r.stdout).strip()))
    return r.stdout


def keygen(keydir, zone, alg, ksk):
    argv = ["ldns-keygen", "-r", "/dev/urandom", "-a", ALG_NAMES[alg]]
    if alg == 8:
        argv += ["-b", "2048"]
    if ksk:
        argv.append("-k")
    return run(argv + [zone], keydir).strip()


def ds_of(keydir, base):
    """The SHA-256 DS of a key (ldns-key2ds), as one master-file line."""
    out = run(["ldns-key2ds", "-n", "-2", base + ".key"], keydir)
    return out.strip()


def dnskey_of(keydir, base):
    with open(os.path.join(keydir, base + ".key")) as f:
        return f.read().strip()


def sign(keydir, zone, src_text, out_path, alg, denial, times, keys=None):
    """Sign src_text for zone with a fresh KSK+ZSK (or keys); returns the
    KSK base name."""
    if keys is None:
        keys = (keygen(keydir, zone, alg, True), keygen(keydir, zone, alg, False))
    src = out_path + ".src"
    with open(src, "w") as f:
        f.write(src_text)
    argv = ["ldns-signzone", "-o", zone, "-f", out_path, "-i", times[0], "-e", times[1]]
    if denial in ("nsec3", "optout"):
        argv += ["-n", "-t", "0"]
        if denial == "optout":
            argv.append("-p")
    elif denial == "nsec3heavy":
        argv += ["-n", "-t", str(NSEC3_HEAVY_ITER), "-s", os.urandom(127).hex()]
    elif denial == "nsec3many":
        argv += ["-n", "-t", str(NSEC3_MANY_ITER), "-s", os.urandom(8).hex()]
    run(argv + [src] + list(keys), keydir)
    return keys[0]


def leaf_zone(label):
    zone = "%s.lab." % label
    lines = [
        "$ORIGIN %s" % zone,
        "$TTL 300",
        "@      300 IN SOA ns.%s hostmaster.%s 1 1800 900 604800 300" % (zone, zone),
        "@      300 IN NS  ns.%s" % zone,
        "ns     300 IN A   %s" % SIGNED_ADDR,
        "www    300 IN A   192.0.2.50",
        "www    300 IN AAAA 2001:db8::50",
        "txt    300 IN TXT \"signed %s\"" % label,
        "alias  300 IN CNAME www",
        "*.wild 300 IN A   192.0.2.51",
    ]
    if label == "optout":
        # an unsigned delegation (no DS): what opt-out leaves out
        lines += ["ins    300 IN NS  ns.ins",
                  "ns.ins 300 IN A   %s" % SIGNED_ADDR]
    return "\n".join(lines) + "\n"


def edit_signed(path, fault):
    """Break a signed zone file the way its fault says."""
    with open(path) as f:
        text = f.read()
    if fault == "tampered":
        new, n = re.subn(r"^(www\.tampered\.lab\.\s+\d+\s+IN\s+A\s+)192\.0\.2\.50$",
                         r"\g<1>192.0.2.66", text, flags=re.M)
        if n != 1:
            raise SignError("tampered.lab.: www A not found in %s" % path)
        text = new
    elif fault == "nosig":
        text = "".join(l for l in text.splitlines(True)
                       if not re.match(r"^\S+\s+\d+\s+IN\s+RRSIG\s", l))
    with open(path, "w") as f:
        f.write(text)


def _word_sum(data):
    """RFC 4034 appendix B's sum of 16-bit words, before the carry fold."""
    acc = 0
    for i, b in enumerate(data):
        acc += b if i & 1 else b << 8
    return acc


def _fold(acc):
    return (acc + ((acc >> 16) & 0xFFFF)) & 0xFFFF


def colliding_keys(tag, n, alg=13):
    """n DNSKEY rdatas (flags, public key bytes) of distinct, genuine ECDSA
    P-256 keys whose key tag is tag. The tag is a sum over the rdata, flags
    included: each fresh key gets the flags (ZONE set, REVOKE clear, some
    of the reserved bits RFC 4034 2.1.1 tells a validator to ignore) that
    bring its sum to tag; about one key in four has such flags."""
    from cryptography.hazmat.primitives.asymmetric import ec
    out = []
    while len(out) < n:
        pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
        key = pub.x.to_bytes(32, "big") + pub.y.to_bytes(32, "big")
        rest = _word_sum(bytes([3, alg]) + key)
        for carry in (rest >> 16, (rest >> 16) + 1):
            flags = (tag - rest - carry) & 0xFFFF
            if (flags & 0x0100 and not flags & 0x0080 and flags not in (0x0100, 0x0101)
                    and _fold(flags + rest) == tag):
                out.append((flags, key))
                break
    return out


def keytrap_zone(keydir, zone, out, times):
    """Sign keytrap.lab. (see the module's doc) into out; returns its KSK."""
    import base64
    keys = (keygen(keydir, zone, 13, True), keygen(keydir, zone, 13, False))
    real = {key_tag_of(keydir, k) for k in keys}
    tag = next(t for t in iter(lambda: int.from_bytes(os.urandom(2), "big"), None)
               if t not in real)
    lines = [leaf_zone("keytrap")]
    lines += ["trap%d 300 IN A 192.0.2.%d\n" % (i, i) for i in range(1, KEYTRAP_NAMES + 1)]
    lines += ["@ 300 IN DNSKEY %d 3 13 %s\n" % (f, base64.b64encode(k).decode())
              for f, k in colliding_keys(tag, KEYTRAP_KEYS)]
    sign(keydir, zone, "".join(lines), out, 13, "nsec", times, keys)
    # the trap names' genuine signatures go, failing ones with the shared tag come
    genuine = re.compile(r"^trap\d+\.keytrap\.lab\.\s+\d+\s+IN\s+RRSIG\s+A\s")
    with open(out) as f:
        text = [l for l in f if not genuine.match(l)]
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256's n
    for i in range(1, KEYTRAP_NAMES + 1):
        for _ in range(KEYTRAP_SIGS):
            r, s = (1 + int.from_bytes(os.urandom(32), "big") % (order - 1) for _ in "rs")
            sig = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
            text.append("trap%d.%s 300 IN RRSIG A 13 3 300 %s %s %d %s %s\n"
                        % (i, zone, times[1], times[0], tag, zone, sig))
    with open(out, "w") as f:
        f.writelines(text)
    return keys[0]


def utc(ts):
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(ts))


def sign_lab(workdir):
    keydir = os.path.join(workdir, "keys")
    outdir = os.path.join(workdir, "signed")
    os.makedirs(keydir, exist_ok=True)
    os.makedirs(outdir, exist_ok=True)
    now = int(time.time())
    good = (utc(now - 86400), utc(now + 30 * 86400))
    old = ("20190101000000", "20200101000000")
    files = {}
    ds_lines = []
    glue = []

    def leaf(item):
        label, (alg, denial, fault) = item
        zone = "%s.lab." % label
        out = os.path.join(outdir, zone + "zone")
        if fault == "keytrap":
            return zone, out, ds_of(keydir, keytrap_zone(keydir, zone, out, good))
        ksk = sign(keydir, zone, leaf_zone(label), out, alg, denial,
                   old if fault == "expired" else good)
        if fault in ("tampered", "nosig"):
            edit_signed(out, fault)
        if fault == "badds":
            ksk = keygen(keydir, zone, alg, True)  # a key the zone does not hold
        return zone, out, ds_of(keydir, ksk)

    # Each ldns tool run is a few milliseconds of work but a process start:
    # the zones are signed side by side.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(SIGNED)) as ex:
        for zone, out, ds in ex.map(leaf, SIGNED.items()):
            files[zone] = out
            ds_lines.append(ds)
            glue += ["%s IN NS ns.%s" % (zone, zone),
                     "ns.%s IN A %s" % (zone, SIGNED_ADDR)]

    # lab.: the committed zone, the signed zones' delegations and DS
    with open(os.path.join(ZONES_DIR, "lab.zone")) as f:
        lab_text = f.read()
    lab_text += "\n; signed zones (tests/lab/signer.py)\n" + "\n".join(glue + ds_lines) + "\n"
    out = os.path.join(outdir, "lab.zone")
    lab_ksk = sign(keydir, "lab.", lab_text, out, 13, "nsec", good)
    files["lab."] = out

    # the root, with lab.'s DS
    with open(os.path.join(ZONES_DIR, "root.zone")) as f:
        root_text = f.read()
    root_text += "\n; lab.'s DS (tests/lab/signer.py)\n" + ds_of(keydir, lab_ksk) + "\n"
    out = os.path.join(outdir, "root.zone")
    root_keys = (keygen(keydir, ".", 13, True), keygen(keydir, ".", 13, False))
    root_ksk = sign(keydir, ".", root_text, out, 13, "nsec", good, root_keys)
    files["."] = out
    with open(os.path.join(workdir, "root.anchor"), "w") as f:
        f.write(ds_of(keydir, root_ksk) + "\n")
    with open(os.path.join(workdir, "root.src"), "w") as f:
        f.write(root_text)
    with open(os.path.join(workdir, "root.keys"), "w") as f:
        f.write(" ".join(root_keys) + "\n")
    with open(out) as f:
        keys = [l for l in f if re.match(r"^\.\s+\d+\s+IN\s+DNSKEY\s", l)]
    with open(os.path.join(workdir, "root.dnskey"), "w") as f:
        f.writelines(keys)
    return files


ROLLOVER_STAGES = ("prepublish", "revoke", "remove", "restore")


def root_rollover(workdir, stage):
    """Re-sign the root for one stage of a KSK rollover (see the module's
    doc); returns {"old": key tag, "new": key tag, "revoked": key tag of the
    old KSK with REVOKE set} so a test knows what to look for."""
    if stage not in ROLLOVER_STAGES:
        raise SignError("unknown rollover stage %r" % stage)
    keydir = os.path.join(workdir, "keys")
    with open(os.path.join(workdir, "root.keys")) as f:
        old_ksk, zsk = f.read().split()
    with open(os.path.join(workdir, "root.src")) as f:
        root_text = f.read()
    new_path = os.path.join(workdir, "root.newksk")
    if os.path.exists(new_path):
        with open(new_path) as f:
            new_ksk = f.read().strip()
    else:
        new_ksk = keygen(keydir, ".", 13, True)
        with open(new_path, "w") as f:
            f.write(new_ksk + "\n")
    old_tag = key_tag_of(keydir, old_ksk, unrevoked=True)
    key_file = os.path.join(keydir, old_ksk + ".key")
    if stage == "revoke" and not key_revoked(keydir, old_ksk):
        with open(key_file) as f, open(key_file + ".orig", "w") as g:
            g.write(f.read())
        run(["ldns-revoke", old_ksk + ".key"], keydir)
    if stage == "restore":
        if os.path.exists(key_file + ".orig"):
            os.replace(key_file + ".orig", key_file)
        if os.path.exists(new_path):
            os.unlink(new_path)
    keys = {"prepublish": (old_ksk, new_ksk, zsk),
            "revoke": (old_ksk, new_ksk, zsk),
            "remove": (new_ksk, zsk),
            "restore": (old_ksk, zsk)}[stage]
    now = int(time.time())
    out = os.path.join(workdir, "signed", "root.zone")
    sign(keydir, ".", root_text, out + ".next", 13, "nsec",
         (utc(now - 86400), utc(now + 30 * 86400)), keys)
    os.replace(out + ".next", out)
    return {"old": old_tag, "new": key_tag_of(keydir, new_ksk),
            "revoked": (key_tag_of(keydir, old_ksk)
                        if stage in ("revoke", "remove") else None)}


def _key_rdata(keydir, base):
    with open(os.path.join(keydir, base + ".key")) as f:
        fields = f.read().split(";")[0].split()
    i = fields.index("DNSKEY")
    return int(fields[i + 1]), int(fields[i + 2]), int(fields[i + 3]), "".join(fields[i + 4:])


def key_revoked(keydir, base):
    return bool(_key_rdata(keydir, base)[0] & 0x80)


def key_tag_of(keydir, base, unrevoked=False):
    """RFC 4034 appendix B over the key file's DNSKEY rdata (with the
    REVOKE flag cleared when unrevoked)."""
    import base64
    flags, proto, alg, b64 = _key_rdata(keydir, base)
    if unrevoked:
        flags &= ~0x80
    rdata = bytes([flags >> 8, flags & 0xFF, proto, alg]) + base64.b64decode(b64)
    acc = 0
    for i, b in enumerate(rdata):
        acc += b if i & 1 else b << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF
