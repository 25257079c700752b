"""The cache: hits, TTL countdown and expiry, negative answers, flush, and
the TTL bounds. The recorder's log (every query rnd.lab's server receives)
tells exactly when the resolver went upstream."""

import time

import dns.query
import dns.rcode
import dns.rdatatype

from conftest import answer_rdata, rand_label

import servers


def upstream_queries_for(lab, name, rdtype="A"):
    return [e for e in lab.read_rnd_log()
            if e["qname"].lower() == name and e["qtype"] == rdtype]


def answer_ttl(msg):
    assert msg.answer, msg
    return min(rr.ttl for rr in msg.answer)


def settled_stats(r, quiet=0.3, timeout=5.0):
    """Stats once queries.upstream.total has stopped moving for QUIET seconds
    (a resolver may finish side fetches after it answered)."""
    deadline = time.monotonic() + timeout
    last = r.stats()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = r.stats()
        if now["queries.upstream.total"] == last["queries.upstream.total"]:
            return now
        last = now
    return last


def test_second_query_answered_from_cache(resolver, lab):
    name = "%s.rnd.lab." % rand_label("c")
    first = resolver.query(name, "A")
    assert answer_rdata(first, name, "A") == {servers.rnd_address(name)}
    assert len(upstream_queries_for(lab, name)) == 1
    before = resolver.stats()
    second = resolver.query(name, "A")
    assert answer_rdata(second, name, "A") == {servers.rnd_address(name)}
    after = resolver.stats()
    assert len(upstream_queries_for(lab, name)) == 1, "went upstream again"
    assert after["cache.hits"] > before["cache.hits"]
    assert after["cache.entries"] >= 1 and after["cache.bytes"] > 0


def test_ttl_counts_down(resolver):
    first = resolver.query("ttl60.alpha.lab.", "A")
    assert answer_rdata(first, "ttl60.alpha.lab.", "A") == {"192.0.2.60"}
    t1 = answer_ttl(first)
    assert 55 <= t1 <= 60, t1
    time.sleep(2.2)
    t2 = answer_ttl(resolver.query("ttl60.alpha.lab.", "A"))
    assert t1 - 4 <= t2 <= t1 - 1, (t1, t2)


def test_expired_entry_fetched_again(resolver):
    first = resolver.query("short.alpha.lab.", "A")
    assert answer_rdata(first, "short.alpha.lab.", "A") == {"192.0.2.3"}
    assert answer_ttl(first) <= 3
    st1 = settled_stats(resolver)
    resolver.query("short.alpha.lab.", "A")  # still fresh: from the cache
    st2 = resolver.stats()
    assert st2["queries.upstream.total"] == st1["queries.upstream.total"]
    assert st2["cache.hits"] > st1["cache.hits"]
    time.sleep(3.5)
    again = resolver.query("short.alpha.lab.", "A")
    assert answer_rdata(again, "short.alpha.lab.", "A") == {"192.0.2.3"}
    st3 = resolver.stats()
    assert st3["queries.upstream.total"] > st2["queries.upstream.total"], (
        "an expired entry must be fetched again")
    assert st3["cache.misses"] > st2["cache.misses"]


def test_nxdomain_cached(resolver):
    name = "%s.alpha.lab." % rand_label("nx")
    first = resolver.query(name, "A")
    assert first.rcode() == dns.rcode.NXDOMAIN
    st1 = settled_stats(resolver)
    second = resolver.query(name, "A")
    assert second.rcode() == dns.rcode.NXDOMAIN
    st2 = resolver.stats()
    assert st2["queries.upstream.total"] == st1["queries.upstream.total"]
    assert st2["cache.hits"] > st1["cache.hits"]
    soa = [rr for rr in second.authority if rr.rdtype == dns.rdatatype.SOA]
    assert soa and soa[0].ttl <= 30, "negative TTL is the SOA minimum, 30"


def test_nodata_cached(resolver, lab):
    name = "%s.rnd.lab." % rand_label("nd")
    for _ in range(2):
        r = resolver.query(name, "AAAA")
        assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    assert len(upstream_queries_for(lab, name, "AAAA")) == 1


def test_flush_name_and_all(resolver, lab):
    a, b = ("%s.rnd.lab." % rand_label("fl") for _ in range(2))
    # twice each, so that each is also answered as a cache hit before the
    # flush, and must not be one after it
    for _ in range(2):
        resolver.query(a, "A")
        resolver.query(b, "A")
    res = resolver.ctl("flush", a)
    assert res.returncode == 0, res.stderr
    resolver.query(a, "A")
    resolver.query(b, "A")
    assert len(upstream_queries_for(lab, a)) == 2, "flushed name not refetched"
    assert len(upstream_queries_for(lab, b)) == 1, "flush NAME removed another name"
    resolver.query(b, "A")
    res = resolver.ctl("flush", "all")
    assert res.returncode == 0, res.stderr
    resolver.query(b, "A")
    assert len(upstream_queries_for(lab, b)) == 2, "flush all left an entry"


def test_cache_max_ttl_caps(make_resolver, lab):
    r = make_resolver(cache_max_ttl=10)
    name = "%s.rnd.lab." % rand_label("mx")
    for _ in range(2):
        assert answer_ttl(r.query(name, "A")) <= 10       # upstream TTL 300
    assert answer_ttl(r.query("ttl60.alpha.lab.", "A")) <= 10


def test_cache_min_ttl_raises(make_resolver):
    r = make_resolver(cache_min_ttl=20)
    first = r.query("short.alpha.lab.", "A")                # upstream TTL 3
    assert answer_rdata(first, "short.alpha.lab.", "A") == {"192.0.2.3"}
    assert answer_ttl(first) >= 19
    st1 = settled_stats(r)
    time.sleep(4)
    again = r.query("short.alpha.lab.", "A")
    assert 12 <= answer_ttl(again) <= 17
    st2 = r.stats()
    assert st2["queries.upstream.total"] == st1["queries.upstream.total"], (
        "still cached thanks to cache-min-ttl, yet fetched again")


def sections(msg):
    """A message's content without its ID and TTLs."""
    return (msg.flags, msg.rcode(),
            [(rr.name.to_text(), rr.rdtype, sorted(r.to_text() for r in rr))
             for sec in (msg.question, msg.answer, msg.authority) for rr in sec])


def test_packet_cache_repeats_the_full_answer(resolver, lab):
    name = "%s.rnd.lab." % rand_label("pk")
    resolver.query(name, "A")                  # upstream
    second = resolver.query(name, "A")         # from the cache, written in full
    st1 = resolver.stats()
    time.sleep(1.1)
    q = resolver.make_query(name, "A")
    third = dns.query.udp(q, resolver.listen, timeout=5)  # the same bytes again
    st2 = resolver.stats()
    assert st2["cache.packet.hits"] == st1["cache.packet.hits"] + 1
    assert st2["cache.hits"] == st1["cache.hits"] + 1
    assert third.id == q.id
    assert sections(third) == sections(second)
    assert answer_ttl(third) <= answer_ttl(second) - 1, "the TTL must count down"
    assert len(upstream_queries_for(lab, name)) == 1


def test_packet_cache_keeps_the_clients_spelling(resolver):
    name = "%s.rnd.lab." % rand_label("pk")
    for _ in range(3):
        resolver.query(name, "A")
    st1 = resolver.stats()
    mixed = name.upper()
    for _ in range(2):
        r = resolver.query(mixed, "A")
        assert r.question[0].name.to_text() == mixed
        assert answer_rdata(r, name, "A") == {servers.rnd_address(name)}
    st2 = resolver.stats()
    # the first differently spelled query is not the same bytes: a full hit
    assert st2["cache.packet.hits"] == st1["cache.packet.hits"] + 1


def test_packet_cache_does_not_outlive_a_flush(resolver, lab):
    name = "%s.rnd.lab." % rand_label("pk")
    for _ in range(3):
        resolver.query(name, "A")
    assert resolver.stats()["cache.packet.hits"] >= 1
    assert resolver.ctl("flush", name).returncode == 0
    resolver.query(name, "A")
    assert len(upstream_queries_for(lab, name)) == 2, "served from the packet cache after a flush"


def test_packet_cache_size_zero_turns_it_off(make_resolver, lab):
    r = make_resolver(packet_cache_size=0)
    name = "%s.rnd.lab." % rand_label("pk")
    for _ in range(4):
        assert answer_rdata(r.query(name, "A"), name, "A") == {servers.rnd_address(name)}
    st = r.stats()
    assert st["cache.packet.hits"] == 0 and st["cache.hits"] == 3
    assert len(upstream_queries_for(lab, name)) == 1
