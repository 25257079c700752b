"""The lab side of an RFC 5011 root KSK rollover (tests/lab/signer.py's
root_rollover): at each stage the root's signed zone file holds the DNSKEY
set RFC 5011 needs, every RRSIG over it verifies (dnspython), and the
revoked KSK signs the set itself (RFC 5011 2.1), so a validator with an
auto-trust-anchor-file sees the new key while it is pre-published, trusts
it after the add hold-down, and drops the old one when it is revoked.

And the resolver's side: with the hold-downs shortened (add-holddown,
del-holddown, permit-small-holddown), an auto-trust-anchor-file that starts
as the root KSK's DS follows the whole rollover: the new key pending, then
trusted, the old one revoked, removed, forgotten; every read of the file
finds it whole. The daemon's RFC 5011 probe sends its own DNSKEY query at
each probe time, so it follows the rollover with clients asking for the
root's DNSKEY set, and with no client at all (the root's servers count the
DNSKEY queries they get); without permit-small-holddown the probes are an
hour apart at least (RFC 5011 2.3)."""

import base64
import os
import re
import shutil
import time

import dns.dnssec
import dns.message
import dns.query
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

    # and back to the start: the old KSK, unrevoked, alone
    tags = signer.root_rollover(workdir, "restore")
    flags, signed_by = dnskey_state(root_zone)
    assert {t for t, f in flags.items() if f & SEP} == {old}
    assert flags[old] == 257 and old in signed_by
    assert not os.path.exists(os.path.join(workdir, "root.newksk"))


# ---- the resolver's side: the whole rollover, hold-downs shortened ----------

STATE = re.compile(r"^\.\s+\d+\s+IN\s+DNSKEY\s+(\d+) 3 (\d+) (\S+) .*;;state=(\d)")


def file_keys(path):
    """{key tag: state} of the DNSKEY records of an autotrust file, and
    whether it still holds DS records. Each read must find a whole file:
    the last line ends with a newline and every record has its state."""
    with open(path) as f:
        text = f.read()
    assert text.endswith("\n"), "a partial file: %r" % text[-80:]
    keys, ds = {}, False
    for line in text.splitlines():
        if line.startswith(";") or not line.strip():
            continue
        if re.match(r"^\.\s+\d+\s+IN\s+DS\s", line):
            ds = True
            continue
        m = STATE.match(line)
        assert m, "a record without its state: %r" % line
        flags, alg, b64 = int(m.group(1)), int(m.group(2)), m.group(3)
        rdata = bytes([flags >> 8, flags & 0xFF, 3, alg]) + base64.b64decode(b64)
        acc = 0
        for i, b in enumerate(rdata):
            acc += b if i & 1 else b << 8
        acc += (acc >> 16) & 0xFFFF
        keys[acc & 0xFFFF] = int(m.group(4))
    return keys, ds


def start_auto(make_resolver, lab, tmp_path, **keys):
    """A resolver whose only anchor is an auto-trust-anchor-file that starts
    as the root KSK's DS; returns (resolver, file path)."""
    auto = tmp_path / "root.key"
    shutil.copy(lab.trust_anchor, str(auto))
    r = make_resolver(trust_anchor_file=None, auto_trust_anchor_file='"%s"' % auto,
                      verbosity=2, **keys)
    return r, str(auto)


SHORT = dict(add_holddown=3, del_holddown=3, permit_small_holddown="yes", cache_max_ttl=1)


def follow_rollover(lab, r, auto, poke):
    """Walk the lab root's KSK through a rollover and wait, at each stage,
    for the file to show it; poke() runs between reads of the file."""

    def until(pred, what, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            poke()
            keys, ds = file_keys(auto)
            if pred(keys, ds):
                return keys
            assert time.monotonic() < deadline, "%s: file has %s (DS: %s)\n%s" % (
                what, keys, ds, r.stderr()[-3000:])
            time.sleep(0.3)

    tags = None
    try:
        # the DS anchor becomes the KSK it names, VALID
        keys = until(lambda k, ds: not ds and list(k.values()) == [2], "initial")
        (old,) = keys
        tags = lab.root_rollover("prepublish")
        assert tags["old"] == old
        new = tags["new"]
        keys = until(lambda k, ds: k.get(new) == 1, "new KSK pending")
        assert keys[old] == 2
        # after the (shortened) add hold-down and a second probe: trusted
        t0 = time.monotonic()
        keys = until(lambda k, ds: k.get(new) == 2, "new KSK valid")
        assert time.monotonic() - t0 >= 1.0, "the hold-down was not waited for"
        # the old KSK revoked (self-signed): REVOKED, then REMOVED after del-holddown
        tags = lab.root_rollover("revoke")
        rev = tags["revoked"]
        keys = until(lambda k, ds: k.get(rev) == 4, "old KSK revoked")
        assert keys[new] == 2
        until(lambda k, ds: k.get(rev) == 5, "old KSK removed")
        # gone from the zone: gone from the file
        lab.root_rollover("remove")
        keys = until(lambda k, ds: rev not in k, "old KSK forgotten")
        assert keys == {new: 2}
        assert not os.path.exists(auto + ".portcullis-tmp")
    finally:
        if tags is not None:
            lab.root_rollover("restore")


def test_root_ksk_rollover_updates_the_anchor_file(make_resolver, lab, tmp_path):
    """Clients ask for the root's DNSKEY set all along."""
    r, auto = start_auto(make_resolver, lab, tmp_path, **SHORT)

    def ask():
        q = dns.message.make_query(".", "DNSKEY", want_dnssec=True)
        dns.query.udp(q, r.listen, timeout=3)

    follow_rollover(lab, r, auto, ask)


def test_idle_resolver_follows_the_rollover(make_resolver, lab, tmp_path):
    """No client query at all: the probe's own DNSKEY queries (counted at
    the root's servers) are what the file follows."""
    before = lab.root_dnskey_queries() - lab.own_dnskey_queries
    t0 = time.monotonic()
    r, auto = start_auto(make_resolver, lab, tmp_path, **SHORT)
    follow_rollover(lab, r, auto, lambda: None)
    # less the lab's own checks of each stage (Lab.root_rollover)
    sent = lab.root_dnskey_queries() - lab.own_dnskey_queries - before
    elapsed = time.monotonic() - t0
    print("idle resolver: %d DNSKEY queries in %.1f s" % (sent, elapsed))
    # a probe for each stage at least; one a second at most (the query
    # interval's floor with permit-small-holddown), and a retry each
    assert sent >= 5, "the daemon sent %d DNSKEY queries" % sent
    assert sent <= 2 * elapsed + 2, "%d DNSKEY queries in %.0f s" % (sent, elapsed)


def probe_times(path):
    with open(path) as f:
        text = f.read()
    got = {}
    for key in ("last_queried", "next_probe_time", "query_interval"):
        m = re.search(r"^;;%s: (\d+)" % key, text, re.M)
        got[key] = int(m.group(1)) if m else None
    return got


def test_probe_interval_without_test_settings(make_resolver, lab, tmp_path):
    """Default hold-downs: one DNSKEY query when the daemon starts, the next
    an hour later at the earliest (RFC 5011 2.3's floor)."""
    before = lab.root_dnskey_queries() - lab.own_dnskey_queries
    r, auto = start_auto(make_resolver, lab, tmp_path)
    deadline = time.monotonic() + 15
    while True:
        keys, ds = file_keys(auto)
        if not ds and list(keys.values()) == [2]:
            break
        assert time.monotonic() < deadline, "no probe: %s\n%s" % (keys, r.stderr()[-3000:])
        time.sleep(0.2)
    t = probe_times(auto)
    assert t["query_interval"] >= 3600, t
    assert t["next_probe_time"] - t["last_queried"] >= 3600, t
    time.sleep(4)  # four more timer ticks: no second probe
    assert lab.root_dnskey_queries() - lab.own_dnskey_queries - before == 1
