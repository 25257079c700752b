"""prefetch: a name asked for all the time, with a 4 s TTL, is refreshed
in the last tenth of its TTL: the lab server sees the refresh before the TTL
ends, and no client query after the first misses the cache. Without
prefetch the same load misses at every expiry. The queries come again byte
for byte, so most are answered by the packet cache, which must hand them to
the cache once the window begins."""

import time

from conftest import answer_rdata, rand_label
from test_cache import upstream_queries_for

import servers

TTL = 4


def hammer(r, name, seconds, every=0.1):
    """Ask NAME every EVERY s for SECONDS s; the slowest answer's time."""
    slowest = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        resp = r.query(name, "A")
        slowest = max(slowest, time.monotonic() - t)
        assert answer_rdata(resp, name, "A") == {servers.rnd_address(name)}, resp
        assert 0 <= resp.answer[0].ttl <= TTL, resp
        time.sleep(every)
    return slowest


def test_hot_name_is_refreshed_before_it_expires(make_resolver, lab):
    r = make_resolver(prefetch=True)
    name = "ttl%d-%s.rnd.lab." % (TTL, rand_label("p"))
    hammer(r, name, 3 * TTL + 0.5)
    sent = upstream_queries_for(lab, name)
    st = r.stats()
    assert len(sent) >= 3, sent
    # each refresh reached the server before the data it replaces expired
    for before, after in zip(sent, sent[1:]):
        assert after["t"] - before["t"] < TTL, (before, after)
    assert st["cache.misses"] == 1, "a client waited for a miss: %s" % st
    assert st["cache.prefetch"] >= 3, st
    assert st["cache.packet.hits"] > 0, st


def test_without_prefetch_the_name_expires(make_resolver, lab):
    r = make_resolver()
    name = "ttl%d-%s.rnd.lab." % (TTL, rand_label("p"))
    hammer(r, name, 2 * TTL + 0.5)
    sent = upstream_queries_for(lab, name)
    st = r.stats()
    assert st["cache.misses"] >= 3, st
    assert st["cache.prefetch"] == 0, st
    for before, after in zip(sent, sent[1:]):
        assert after["t"] - before["t"] >= TTL - 0.1, (before, after)
