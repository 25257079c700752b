"""Trust anchors in the running daemon: the default root anchor, the anchor
keys loaded at start (a bad file stops the start, naming its file and
line, and fails --check), an Unbound-written auto-trust-anchor-file read as
is, and reload reading the anchors again (a bad one refuses the reload,
the daemon runs on)."""

import os
import shutil
import subprocess

import pytest

from conftest import PORTCULLIS, need_binary, wait_for

DEBIAN_ROOT_KEY = "/usr/share/dns/root.key"

# Unbound's autotrust file for the root as Unbound 1.17 writes it
UNBOUND_AUTO = """; autotrust trust anchor file
;;id: . 1
;;last_queried: 1733400000 ;;Thu Dec  5 12:00:00 2024
;;last_success: 1733400000 ;;Thu Dec  5 12:00:00 2024
;;next_probe_time: 1733441742 ;;Thu Dec  5 23:35:42 2024
;;query_failed: 0
;;query_interval: 43200
;;retry_time: 8640
.\t172800\tIN\tDNSKEY\t257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc= ;{id = 38696 (ksk), size = 2048b} ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1720000000 ;;Wed Jul  3 09:46:40 2024
"""


def test_default_root_anchor(make_resolver):
    # no anchor key at all (the harness's lab anchor left out)
    r = make_resolver(verbosity=2, trust_anchor_file=None)
    src = DEBIAN_ROOT_KEY if os.path.exists(DEBIAN_ROOT_KEY) else "built-in"
    assert wait_for(lambda: "trust anchor: the root's from %s" % src in r.stderr()), r.stderr()


def test_configured_anchors_load(make_resolver, tmp_path):
    auto = tmp_path / "root.key"
    auto.write_text(UNBOUND_AUTO)
    before = auto.read_bytes()
    ta = tmp_path / "lab.key"
    ta.write_text("$ORIGIN lab.\n@ 3600 IN DS 1 13 2 ( 00112233445566778899AABBCCDDEEFF\n"
                  "  00112233445566778899AABBCCDDEEFF ) ; a comment\n")
    r = make_resolver(verbosity=2, trust_anchor_file='"%s"' % ta,
                      auto_trust_anchor_file='"%s"' % auto,
                      trust_anchor='"zulu. DS 1 13 2 00112233445566778899AABBCCDDEEFF'
                                   '00112233445566778899AABBCCDDEEFF"',
                      domain_insecure="alpha.lab.")
    assert r.query("www.alpha.lab.", "A").rcode() == 0
    assert "the root's from" not in r.stderr(), "configured anchors replace the default"
    # nothing changed the RFC 5011 state: the file is not rewritten
    assert auto.read_bytes() == before
    assert not os.path.exists(str(auto) + ".portcullis-tmp")


def start_fails(make_resolver, **keys):
    """Start a daemon that must refuse to start; returns its stderr and
    that of --check on the same configuration."""
    r = make_resolver(start=False, **keys)
    need_binary(PORTCULLIS)
    p = subprocess.run([PORTCULLIS, "-c", r.conf_path], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0, p
    c = subprocess.run([PORTCULLIS, "-c", r.conf_path, "--check"], capture_output=True,
                       text=True, timeout=30)
    assert c.returncode == 2, (c.returncode, c.stdout, c.stderr)
    return p.stderr, c.stderr


def test_bad_anchor_file_stops_the_start(make_resolver, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("; ok so far\n. IN DS 20326 8 2 E06D44B8XYZ\n")
    want = "trust-anchor-file: %s:2: " % bad
    run, check = start_fails(make_resolver, trust_anchor_file='"%s"' % bad)
    assert want in run, run
    assert want in check, check


def test_anchor_matching_no_key_loads_with_a_warning(make_resolver, tmp_path):
    """A DS anchor whose digest length does not fit its digest type loads,
    as Unbound loads it, with a warning naming its line; it matches no key,
    so the names below it are bogus: SERVFAIL with EDE 9 (DNSKEY Missing)."""
    bad = tmp_path / "bad.key"
    bad.write_text("; ok so far\n. IN DS 20326 8 2 E06D44B8\n")
    want = ("trust anchor: %s:2: DS digest of 4 bytes, digest type 2 needs 32: "
            "this anchor can match no key" % bad)
    r = make_resolver(start=False, trust_anchor_file='"%s"' % bad)
    c = subprocess.run([PORTCULLIS, "-c", r.conf_path, "--check"], capture_output=True,
                       text=True, timeout=30)
    assert c.returncode == 0, (c.returncode, c.stderr)
    assert "warning: " + want in c.stderr, c.stderr
    r.start()
    assert wait_for(lambda: want in r.stderr()), r.stderr()
    a = r.query("www.sec13.lab.", "A")
    assert a.rcode() == 2, a
    assert [o.code for o in a.options if o.otype == 15] == [9], a


def test_two_anchors_for_an_auto_owner_stop_the_start(make_resolver, tmp_path):
    auto = tmp_path / "root.key"
    auto.write_text(UNBOUND_AUTO)
    run, check = start_fails(make_resolver, auto_trust_anchor_file='"%s"' % auto,
                             trust_anchor='". DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D'
                                          '0A450D612C483AF444A4C0FB2B16"')
    for out in (run, check):
        assert "auto-trust-anchor-file: %s: a trust anchor for this owner is already " \
               "configured" % auto in out, out


def test_reload_reads_anchors_again(make_resolver, lab, tmp_path):
    # the lab root's own anchor (its root is signed with fresh keys at each
    # lab start), so that the lab's names validate
    good = open(lab.trust_anchor).read()
    if not good.endswith("\n"):
        good += "\n"
    f = tmp_path / "ta.key"
    f.write_text(good)
    r = make_resolver(trust_anchor_file='"%s"' % f)
    # the file breaks: the reload is refused with the file and line, the
    # daemon runs on
    lines = good.count("\n")
    f.write_text(good + ". IN A 192.0.2.1\n")
    res = r.ctl("reload")
    assert res.returncode != 0
    assert "trust-anchor-file: %s:%d: A record" % (f, lines + 1) in res.stderr + res.stdout, res
    assert r.alive()
    assert r.query("www.alpha.lab.", "A").rcode() == 0
    # fixed again: the reload goes through
    shutil.copy(str(f), str(f) + ".broken")
    f.write_text("; fixed\n" + good)
    res = r.ctl("reload")
    assert res.returncode == 0, res
    assert r.alive()
    assert r.query("www.alpha.lab.", "A").rcode() == 0
