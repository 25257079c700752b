"""serve-expired (RFC 8767): with every authoritative server of the lab
down, expired data still answers, with the TTL serve-expired-reply-ttl and
EDE 3 "Stale Answer"; at once (client timeout 0), after the client timeout,
or once the resolution failed; never past serve-expired-ttl; SERVFAIL with
serve-expired off; and the background refresh replaces the expired data
once the servers are back."""

import time

import dns.edns
import dns.message
import dns.query
import dns.rcode

from conftest import answer_rdata, rand_label, wait_for

NAME = "short.alpha.lab."   # A 192.0.2.3, TTL 3
ADDR = "192.0.2.3"
EDE = 15                     # EDNS option code (RFC 8914)


def ede_codes(msg):
    return [o.code if hasattr(o, "code") else int.from_bytes(o.data[:2], "big")
            for o in msg.options if o.otype == EDE]


def timed(r, name, payload=1232, timeout=8):
    t = time.monotonic()
    resp = r.query(name, "A", payload=payload, timeout=timeout)
    return resp, time.monotonic() - t


def assert_stale(resp):
    assert resp.rcode() == dns.rcode.NOERROR, resp
    assert answer_rdata(resp, NAME, "A") == {ADDR}, resp
    assert [rr.ttl for rr in resp.answer] == [30], resp
    assert ede_codes(resp) == [3], resp


def test_expired_data_answers_while_every_server_is_down(make_resolver, lab):
    at_once = make_resolver(serve_expired=True, serve_expired_client_timeout=0)
    after_timeout = make_resolver(serve_expired=True, serve_expired_client_timeout=300)
    after_failure = make_resolver(serve_expired=True, serve_expired_client_timeout=9000)
    limited = make_resolver(serve_expired=True, serve_expired_client_timeout=0,
                            serve_expired_ttl=1)
    off = make_resolver()
    resolvers = (at_once, after_timeout, after_failure, limited, off)
    for r in resolvers:
        resp = r.query(NAME, "A")
        assert answer_rdata(resp, NAME, "A") == {ADDR}
        assert ede_codes(resp) == []
    cached_at = time.monotonic()
    lab.take_down_nsd()
    try:
        time.sleep(max(0, cached_at + 3.4 - time.monotonic()))  # past the TTL

        resp, took = timed(at_once, NAME)
        assert_stale(resp)
        assert took < 0.25, "client timeout 0 must answer at once (%.2f s)" % took
        resp, _ = timed(limited, NAME)   # within its second past the expiry
        assert_stale(resp)
        # again: the packet cache must not have kept the expired answer
        resp, took = timed(at_once, NAME)
        assert_stale(resp)
        assert took < 0.25
        plain = at_once.query(NAME, "A", payload=None)
        assert plain.edns < 0 and [rr.ttl for rr in plain.answer] == [30], plain

        resp, took = timed(after_timeout, NAME)
        assert_stale(resp)
        assert 0.28 <= took < 0.8, "answered after %.2f s, not at the 300 ms timeout" % took

        # (two tries at each of the two servers, the timeouts backing off:
        # about 3 s)
        resp, took = timed(after_failure, NAME, timeout=15)
        assert_stale(resp)
        assert took < 7.5, "answered after %.2f s: not when the resolution failed" % took

        resp, took = timed(off, NAME)
        assert resp.rcode() == dns.rcode.SERVFAIL and not resp.answer, resp

        # serve-expired-ttl 1: a second past the expiry the data is gone
        # (its servers have timed out before: trying them again takes longer)
        time.sleep(max(0, cached_at + 4.6 - time.monotonic()))
        resp, _ = timed(limited, NAME, timeout=25)
        assert resp.rcode() == dns.rcode.SERVFAIL and not resp.answer, resp

        assert at_once.stats()["cache.served_expired"] >= 3
        assert off.stats()["cache.served_expired"] == 0
    finally:
        lab.bring_up_nsd()

    # The servers are back: a background refresh replaces the expired data.
    def fresh():
        resp = at_once.query(NAME, "A")
        return ede_codes(resp) == [] and resp.answer and resp.answer[0].ttl <= 3
    assert wait_for(fresh, timeout=10), "the expired data was never refreshed"


def test_reload_turns_serve_expired_and_prefetch_on_and_off(make_resolver, lab):
    """The serve-expired keys and prefetch apply at a reload, without a
    restart: turned on, expired data answers while the servers are down;
    turned off again, it no longer does, and prefetch stops refreshing."""
    from test_reload import rewrite
    r = make_resolver()
    rewrite(r, serve_expired="yes", serve_expired_client_timeout=0, prefetch="yes")
    res = r.ctl("reload")
    assert res.returncode == 0, res.stderr
    assert "needs restart" not in res.stdout, res.stdout
    resp = r.query(NAME, "A")
    assert answer_rdata(resp, NAME, "A") == {ADDR} and ede_codes(resp) == []
    cached_at = time.monotonic()
    lab.take_down_nsd()
    try:
        time.sleep(max(0, cached_at + 3.4 - time.monotonic()))  # past the TTL
        resp, took = timed(r, NAME)
        assert_stale(resp)
        assert took < 0.25, took
        assert r.stats()["cache.served_expired"] >= 1
        # Off again: the expired data is no longer served.
        rewrite(r, serve_expired="no", prefetch="no")
        res = r.ctl("reload")
        assert res.returncode == 0, res.stderr
        resp, _ = timed(r, NAME, timeout=15)
        assert resp.rcode() == dns.rcode.SERVFAIL and not resp.answer, resp
    finally:
        lab.bring_up_nsd()


def test_reload_turns_prefetch_on_and_off(make_resolver, lab):
    """prefetch turned on by a reload: entries stored from then on are
    refreshed in their last tenth (cache.prefetch moves); turned off, an
    entry stored while it was on is no longer refreshed."""
    from test_prefetch import hammer
    from test_reload import rewrite
    r = make_resolver()
    rewrite(r, prefetch="yes")
    assert r.ctl("reload").returncode == 0
    name = "ttl4-%s.rnd.lab." % rand_label("p")
    hammer(r, name, 4 + 0.8)
    assert r.stats()["cache.prefetch"] >= 1, r.stats()
    name = "ttl4-%s.rnd.lab." % rand_label("q")
    r.query(name, "A")  # stored with prefetch on
    rewrite(r, prefetch="no")
    assert r.ctl("reload").returncode == 0
    before = r.stats()["cache.prefetch"]
    hammer(r, name, 4 + 0.8)
    assert r.stats()["cache.prefetch"] == before, r.stats()
