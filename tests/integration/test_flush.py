"""portcullis-ctl flush NAME / flush_zone NAME (NAME and everything below
it), flush_type NAME TYPE (one type at NAME), flush_bogus (every entry that
failed validation), and that neither the cache, nor the readers' packet
caches, nor the aggressive-NSEC index (RFC 8198 synthesis) answer for what
was flushed."""

import re

import pytest

from conftest import answer_rdata, rand_label
from test_cache import upstream_queries_for
from test_validate import (AD, NOERROR, NSEC, NXDOMAIN, SERVFAIL, ask, ede, has,
                           upstream_total)

import servers


def ask_thrice(r, name, rdtype="A"):
    """Upstream, then a full cache hit (kept in the packet cache), then a
    packet-cache hit."""
    for _ in range(3):
        resp = r.query(name, rdtype)
        if rdtype == "A":
            assert answer_rdata(resp, name, "A") == {servers.rnd_address(name)}


def names_under(label):
    top = "%s.rnd.lab." % label
    return top, "x.%s" % top, "y.x.%s" % top


@pytest.mark.parametrize("verb", ["flush", "flush_zone", "flush-zone"])
def test_flush_removes_the_name_and_everything_below(make_resolver, lab, verb):
    # without QNAME minimisation every upstream query names the full name
    r = make_resolver(qname_minimisation=False)
    label, other = rand_label("fz"), rand_label("fz")
    top, child, deep = names_under(label)
    sibling = "%s.rnd.lab." % other
    aside = "%s%s.rnd.lab." % (label, "x")   # shares the text, not the labels
    for n in (top, child, deep, sibling, aside):
        ask_thrice(r, n)
    assert r.stats()["cache.packet.hits"] >= 5, "the packet cache held the answers"

    res = r.ctl(verb, top)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "flushed 3 entries", res.stdout
    for n in (top, child, deep, sibling, aside):
        ask_thrice(r, n)
    for n in (top, child, deep):
        assert len(upstream_queries_for(lab, n)) == 2, "%s was not flushed" % n
    for n in (sibling, aside):
        assert len(upstream_queries_for(lab, n)) == 1, "%s was flushed too" % n


def test_flush_of_a_name_with_nothing_cached_at_it_still_flushes_below(make_resolver, lab):
    r = make_resolver(qname_minimisation=False)
    top, child, _ = names_under(rand_label("fe"))
    ask_thrice(r, child)
    res = r.ctl("flush", top)
    assert res.returncode == 0 and res.stdout.strip() == "flushed 1 entries", res
    ask_thrice(r, child)
    assert len(upstream_queries_for(lab, child)) == 2


@pytest.mark.parametrize("spelling", ["A", "a", "TYPE1", "1"])
def test_flush_type_removes_one_type(make_resolver, lab, spelling):
    r = make_resolver(qname_minimisation=False)
    top, child, _ = names_under(rand_label("ft"))
    for n in (top, child):
        ask_thrice(r, n, "A")
    ask_thrice(r, top, "AAAA")
    hits = r.stats()["cache.packet.hits"]
    assert hits >= 3

    res = r.ctl("flush_type", top, spelling)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "flushed 1 entries", res.stdout
    ask_thrice(r, top, "A")
    ask_thrice(r, top, "AAAA")
    ask_thrice(r, child, "A")
    assert len(upstream_queries_for(lab, top, "A")) == 2, "A was not flushed"
    assert len(upstream_queries_for(lab, top, "AAAA")) == 1, "AAAA was flushed too"
    assert len(upstream_queries_for(lab, child, "A")) == 1, "a name below was flushed"


def test_flush_type_by_dash_spelling_and_mnemonic(make_resolver, lab):
    r = make_resolver(qname_minimisation=False)
    top, _, _ = names_under(rand_label("ft"))
    ask_thrice(r, top, "AAAA")
    res = r.ctl("flush-type", top, "aaaa")
    assert res.returncode == 0 and res.stdout.strip() == "flushed 1 entries", res
    ask_thrice(r, top, "AAAA")
    assert len(upstream_queries_for(lab, top, "AAAA")) == 2


@pytest.mark.parametrize("args", [
    ["flush_type", "x.lab."], ["flush_type", "x.lab.", "NOPE"],
    ["flush_type", "x.lab.", "0"], ["flush_type", "x.lab.", "65536"],
    ["flush_type", "x.lab.", "A", "extra"], ["flush_zone"], ["flush_zone", "a.", "b."],
    ["flush", "a.", "b."]])
def test_flush_usage_errors(resolver, args):
    res = resolver.ctl(*args)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert len([l for l in res.stderr.splitlines() if l.strip()]) == 1, res.stderr
    assert resolver.alive()


def test_flush_bad_name_is_refused_by_the_daemon(resolver):
    res = resolver.ctl("flush_type", "a..b", "A")
    assert res.returncode == 1
    assert "not a domain name" in res.stderr


# ----- DNSSEC: flush_bogus, and the aggressive-NSEC index (RFC 8198) -----

BOGUS = (("www.expired.lab.", 7), ("www.tampered.lab.", 6), ("www.badds.lab.", 9),
         ("www.nosig.lab.", 10))

def test_flush_bogus_drops_bogus_entries_only(make_resolver):
    """flush_bogus (Unbound's verb) drops every entry judged bogus: the next
    question for bogus data goes upstream again (and is judged bogus
    again), while secure and insecure entries stay cached."""
    r = make_resolver()
    for name, code in BOGUS:
        resp = ask(r, name, do=True)
        assert resp.rcode() == SERVFAIL and ede(resp) == [code], (name, resp)
    assert ask(r, "www.sec13.lab.", do=True).flags & AD
    assert ask(r, "www.alpha.lab.", do=True).rcode() == NOERROR
    before = upstream_total(r)
    for name, code in BOGUS:
        resp = ask(r, name, do=True)
        assert resp.rcode() == SERVFAIL and ede(resp) == [code], (name, resp)
    assert upstream_total(r) == before, "the SERVFAILs came from the cache"

    res = r.ctl("flush_bogus")
    assert res.returncode == 0, res.stderr
    m = re.fullmatch(r"flushed (\d+) entries\n", res.stdout)
    assert m and int(m.group(1)) >= len(BOGUS), res.stdout
    assert ask(r, "www.sec13.lab.", do=True).flags & AD
    assert ask(r, "www.alpha.lab.", do=True).rcode() == NOERROR
    assert upstream_total(r) == before, "secure and insecure entries were flushed too"
    for name, code in BOGUS:
        b = upstream_total(r)
        resp = ask(r, name, do=True)
        assert resp.rcode() == SERVFAIL and ede(resp) == [code], (name, resp)
        assert upstream_total(r) > b, "%s: still cached after flush_bogus" % name
    # the entries judged bogus again go; then nothing bogus is left
    res = r.ctl("flush_bogus")
    assert res.returncode == 0 and re.fullmatch(r"flushed \d+ entries\n", res.stdout), res
    res = r.ctl("flush_bogus")
    assert res.returncode == 0 and res.stdout == "flushed 0 entries\n", res
    usage = r.ctl("flush_bogus", "x.lab.")
    assert usage.returncode == 2 and len(usage.stderr.splitlines()) == 1, usage


def learn_sec13_nsec(r):
    """sec13.lab.'s NSEC records proving nx1 absent are validated and kept;
    nz2 (the same span) is then answered by synthesis, with no upstream
    query."""
    resp = ask(r, "nx1.sec13.lab.", do=True)
    assert resp.rcode() == NXDOMAIN and resp.flags & AD
    before = upstream_total(r)
    resp = ask(r, "nz2.sec13.lab.", do=True)
    assert resp.rcode() == NXDOMAIN and resp.flags & AD and has(resp.authority, NSEC)
    assert upstream_total(r) == before, "not answered by synthesis"


@pytest.mark.parametrize("verb,arg", [("flush_zone", "sec13.lab."), ("flush", "sec13.lab."),
                                      ("flush", "lab."), ("flush", "all")])
def test_flush_clears_the_aggressive_nsec_index(make_resolver, verb, arg):
    """A flushed zone is not answered NXDOMAIN by synthesis from its NSEC
    records: the next name of the same span goes upstream."""
    r = make_resolver()
    learn_sec13_nsec(r)
    res = r.ctl(verb, arg)
    assert res.returncode == 0, res.stderr
    before = upstream_total(r)
    resp = ask(r, "nz3.sec13.lab.", do=True)
    assert resp.rcode() == NXDOMAIN and resp.flags & AD
    assert upstream_total(r) > before, "%s %s left the NSEC records to synthesis" % (verb, arg)


def test_flush_type_and_name_below_the_zone_clear_their_proofs(make_resolver):
    """flush_type NAME TYPE and flush NAME for a name inside a zone forget
    the NSEC record that proved it absent (the next question for it goes
    upstream), and flush of a name elsewhere leaves the zone's index be."""
    r = make_resolver()
    learn_sec13_nsec(r)
    res = r.ctl("flush_type", "nz2.sec13.lab.", "A")
    assert res.returncode == 0, res.stderr
    before = upstream_total(r)
    resp = ask(r, "nz2.sec13.lab.", do=True)
    assert resp.rcode() == NXDOMAIN and resp.flags & AD
    assert upstream_total(r) > before, "flush_type left nz2's proof to synthesis"

    learn_sec13_nsec(r)
    r.ctl("flush", "www.sec8.lab.")  # another zone: sec13's index stays
    before = upstream_total(r)
    assert ask(r, "nz4.sec13.lab.", do=True).rcode() == NXDOMAIN
    assert upstream_total(r) == before, "a flush elsewhere emptied sec13.lab.'s index"
    res = r.ctl("flush", "nz5.sec13.lab.")
    assert res.returncode == 0, res.stderr
    before = upstream_total(r)
    assert ask(r, "x.nz5.sec13.lab.", do=True).rcode() == NXDOMAIN
    assert upstream_total(r) > before, "flush nz5 left its proof to synthesis"
