"""portcullis-ctl flush NAME / flush_zone NAME (NAME and everything below
it), flush_type NAME TYPE (one type at NAME), and that neither the cache nor
the readers' packet caches serve what was flushed."""

import pytest

from conftest import answer_rdata, rand_label
from test_cache import upstream_queries_for

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
