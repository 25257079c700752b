"""The lab side of an RFC 5011 root KSK rollover (tests/lab/signer.py's
root_rollover): at each stage the root's signed zone file holds the DNSKEY
set RFC 5011 needs, every RRSIG over it verifies (dnspython), and the
revoked KSK signs the set itself (RFC 5011 2.1), so a validator with an
auto-trust-anchor-file sees the new key while it is pre-published, trusts
it after the add hold-down, and drops the old one when it is revoked.

The resolver's side (the anchor file gaining the new key and dropping the
old one) needs the validator to feed what it validated into
core/anchor.c and is tested with the validator."""

import os

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

import signer  # tests/lab/signer.py (conftest puts tests/lab on the path)

REVOKE = 0x0080
SEP = 0x0001


def dnskey_state(zone_file):
    """{key tag: flags} of the root's DNSKEY set, and {key tag} of the keys
    whose RRSIG over the set verifies with that very key."""
    z = dns.zone.from_file(zone_file, origin=".", relativize=False)
    node = z.find_node(dns.name.root)
    keys = node.find_rdataset(dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    sigs = node.find_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    rrset = dns.rrset.from_rdata_list(dns.name.root, keys.ttl, list(keys))
    flags = {dns.dnssec.key_id(k): k.flags for k in keys}
    signed_by = set()
    for sig in sigs:
        key = [k for k in keys if dns.dnssec.key_id(k) == sig.key_tag]
        assert len(key) == 1, "an RRSIG by key %d, which the set does not hold" % sig.key_tag
        one = dns.rrset.from_rdata_list(dns.name.root, keys.ttl, key)
        dns.dnssec.validate_rrsig(rrset, sig, {dns.name.root: one})  # raises if bad
        signed_by.add(sig.key_tag)
    return flags, signed_by


def test_root_rollover_stages(tmp_path):
    workdir = str(tmp_path)
    signer.sign_lab(workdir)
    root_zone = os.path.join(workdir, "signed", "root.zone")
    flags, signed_by = dnskey_state(root_zone)
    ksks = {t for t, f in flags.items() if f & SEP}
    assert len(ksks) == 1
    (old,) = ksks
    assert old in signed_by

    tags = signer.root_rollover(workdir, "prepublish")
    assert tags["old"] == old and tags["new"] != old and tags["revoked"] is None
    flags, signed_by = dnskey_state(root_zone)
    assert {t for t, f in flags.items() if f & SEP} == {old, tags["new"]}
    assert {old, tags["new"]} <= signed_by
    assert not any(f & REVOKE for f in flags.values())
    # a second prepublish keeps the same new key
    assert signer.root_rollover(workdir, "prepublish")["new"] == tags["new"]

    tags = signer.root_rollover(workdir, "revoke")
    revoked = tags["revoked"]
    assert revoked not in (old, tags["new"]), "REVOKE changes the key tag"
    flags, signed_by = dnskey_state(root_zone)
    assert flags[revoked] == 257 | REVOKE
    assert old not in flags
    assert revoked in signed_by, "the revoked key signs the set itself (RFC 5011 2.1)"
    assert tags["new"] in signed_by

    tags = signer.root_rollover(workdir, "remove")
    assert tags["old"] == old and tags["revoked"] == revoked
    flags, signed_by = dnskey_state(root_zone)
    assert {t for t, f in flags.items() if f & SEP} == {tags["new"]}
    assert revoked not in flags and old not in flags
    assert signed_by >= {tags["new"]}

    # the new key's DS is what an anchor file made after the rollover holds
    assert os.path.exists(os.path.join(workdir, "root.newksk"))
