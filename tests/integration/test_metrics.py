"""The metrics endpoint (metrics-interface: Prometheus text, parsed here with
Debian's python3-prometheus-client) and portcullis-ctl stats --json and
--reset. Traffic comes from dig and kdig against the lab."""

import json
import socket
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import rand_label, wait_for

import servers

PORT = 9153


def http(addr, raw, timeout=5.0):
    """Send RAW bytes, return (status, headers dict, body bytes)."""
    with socket.create_connection((addr, PORT), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, _ = lines[0].split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers and not raw.startswith(b"HEAD"):
        assert int(headers["content-length"]) == len(body)
    return int(status), headers, body


def scrape(addr):
    """{(sample name, frozenset(labels)): value}, {family name: type}."""
    status, headers, body = http(
        addr, b"GET /metrics HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/plain\r\n\r\n"
        % (addr.encode(), PORT))
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    samples, types = {}, {}
    for fam in text_string_to_metric_families(body.decode()):
        types[fam.name] = fam.type
        for s in fam.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, "sample %s given twice" % (key,)
            samples[key] = s.value
    return samples, types


def sample_of(key, types):
    """The Prometheus sample a stats key maps to (name, labels), and whether
    it is a counter."""
    parts = key.split(".")
    labels = {}
    if parts[0] == "worker":
        labels["worker"] = parts[1]
        base = "worker_" + "_".join(parts[2:])
    elif parts[0] == "answers":
        labels["rcode"] = parts[1]
        base = "answers"
    elif key.startswith("replies.dropped."):
        labels["reason"] = parts[2]
        base = "replies_dropped"
    else:
        base = "_".join(parts)
    family = "portcullis_" + base
    if family not in types and base.endswith("_total"):
        family = family[:-6]   # a counter's _total is its suffix
    assert family in types, "no family %s for stats key %s" % (family, key)
    counter = types[family] == "counter"
    name = family + "_total" if counter else family
    return (name, frozenset(labels.items())), counter


def dig(r, name, rdtype="A", tool="dig"):
    if tool == "dig":
        cmd = ["dig", "+time=3", "+tries=1", "@" + r.listen, name, rdtype]
    else:
        cmd = ["kdig", "+time=3", "+retry=0", "@" + r.listen, name, rdtype]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert "status: NOERROR" in out.stdout or "status: NOERROR" in out.stdout.upper(), out.stdout
    return out.stdout


def histogram(samples, cache):
    buckets = {dict(lbl)["le"]: v for (n, lbl), v in samples.items()
               if n == "portcullis_answer_latency_seconds_bucket" and dict(lbl)["cache"] == cache}
    count = samples[("portcullis_answer_latency_seconds_count", frozenset({("cache", cache)}))]
    total = samples[("portcullis_answer_latency_seconds_sum", frozenset({("cache", cache)}))]
    return buckets, count, total


@pytest.fixture
def mresolver(make_resolver):
    return make_resolver(metrics_interface="127.0.0.1@%d" % PORT, num_threads=2)


def test_every_stats_row_is_a_metric(mresolver):
    r = mresolver
    dig(r, "www.alpha.lab.")
    st = json.loads(r.ctl("stats", "--json").stdout)
    samples, types = scrape("127.0.0.1")
    assert st, "stats --json is empty"
    for key, value in st.items():
        if key == "replies.dropped.total":
            # the sum of the labelled family: no sample of its own
            total = sum(v for (n, _), v in samples.items() if n == "portcullis_replies_dropped_total")
            assert total == value
            continue
        sample, counter = sample_of(key, types)
        assert sample in samples, "stats key %s has no sample %s" % (key, sample)
        if key in ("pool.size.ip4", "pool.size.ip6", "pool.size.total", "threads",
                   "cache.budget", "requests.max", "pool.ports.available"):
            assert samples[sample] == value, key
    # kinds: what only goes up is a counter, a level is a gauge
    assert types["portcullis_cache_hits"] == "counter"
    assert types["portcullis_queries_client"] == "counter"
    assert types["portcullis_pool_size_total"] == "gauge"
    assert types["portcullis_pool_sockets_busy"] == "gauge"
    assert types["portcullis_requests_current"] == "gauge"
    assert types["portcullis_answer_latency_seconds"] == "histogram"
    assert samples[("portcullis_threads", frozenset())] == 2
    assert samples[("portcullis_pool_size_total", frozenset())] > 0


def test_counters_and_histograms_move_with_traffic(mresolver, lab):
    r = mresolver
    s0, _ = scrape("127.0.0.1")
    hit0, hits_n0, _ = histogram(s0, "hit")
    _, miss_n0, _ = histogram(s0, "miss")
    name = "%s.rnd.lab." % rand_label("m")
    dig(r, name)                       # a miss: resolved upstream
    for i in range(10):                # then hits, over UDP and TCP
        dig(r, name, tool="dig" if i % 2 else "kdig")
    out = subprocess.run(["dig", "+tcp", "+time=3", "@" + r.listen, name, "A"],
                         capture_output=True, text=True, timeout=10)
    assert servers.rnd_address(name) in out.stdout
    s1, types = scrape("127.0.0.1")

    def delta(name, **labels):
        k = (name, frozenset(labels.items()))
        return s1[k] - s0.get(k, 0)

    assert delta("portcullis_queries_client_total") == 12
    assert delta("portcullis_queries_client_tcp_total") == 1
    assert delta("portcullis_cache_misses_total") == 1
    assert delta("portcullis_cache_hits_total") == 11
    assert delta("portcullis_answers_total", rcode="noerror") == 12
    assert delta("portcullis_queries_upstream_total") >= 1
    assert sum(delta("portcullis_worker_queries_total", worker=w) for w in ("0", "1")) == 12
    hit1, hits_n1, hits_sum = histogram(s1, "hit")
    miss1, miss_n1, miss_sum = histogram(s1, "miss")
    assert hits_n1 - hits_n0 == 11
    assert miss_n1 - miss_n0 == 1
    assert hit1["+Inf"] == hits_n1 and miss1["+Inf"] == miss_n1
    # cumulative buckets, and a cache hit is fast: well under 100 ms each
    les = sorted((float(le), v) for le, v in hit1.items())
    assert all(a[1] <= b[1] for a, b in zip(les, les[1:]))
    assert hit1["0.1"] - hit0.get("0.1", 0) == 11
    assert 0 < hits_sum < 11 * 0.1
    assert miss_sum > 0


def test_http_errors(mresolver):
    addr = "127.0.0.1"
    status, headers, _ = http(addr, b"POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert http(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")[0] == 404
    assert http(addr, b"GET /metrics HTTP/1.1\r\n\r\n")[0] == 400   # no Host
    assert http(addr, b"GET /metrics HTTP/1.0\r\nX : y\r\n\r\n")[0] == 400
    assert http(addr, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n\n")[0] == 400
    assert http(addr, b"GET /metrics HTTP/1.0\r\nX: " + b"a" * 9000)[0] == 431
    status, headers, body = http(addr, b"HEAD /metrics HTTP/1.0\r\n\r\n")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000
    # a client that says nothing does not block the next one
    idle = socket.create_connection((addr, PORT))
    try:
        assert http(addr, b"GET /metrics HTTP/1.0\r\n\r\n")[0] == 200
    finally:
        idle.close()
    assert mresolver.alive()


def test_off_by_default(resolver):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    assert resolver.alive()


def test_stats_json_and_reset(resolver):
    r = resolver
    name = "%s.rnd.lab." % rand_label("j")
    for _ in range(3):
        r.query(name, "A")
    out = r.ctl("stats", "--json")
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert isinstance(st, dict)
    assert st["queries.client.total"] == 3 and st["cache.hits"] == 2
    assert set(st) == set(r.stats())          # the same rows as the text form
    # --reset prints the counters, then they start again from 0
    reset = r.ctl("stats", "--reset", "--json")
    assert reset.returncode == 0, reset.stderr
    assert json.loads(reset.stdout)["queries.client.total"] == 3
    after = r.stats()
    assert after["queries.client.total"] == 0 and after["cache.hits"] == 0
    assert after["answers.noerror"] == 0
    assert after["pool.size.total"] == st["pool.size.total"]   # gauges stay
    assert after["cache.entries"] == st["cache.entries"]
    r.query(name, "A")
    st2 = r.stats()
    assert st2["queries.client.total"] == 1 and st2["cache.hits"] == 1
    # plain stats (and stats_noreset) never reset
    assert r.stats()["queries.client.total"] == 1
    assert json.loads(r.ctl("stats_noreset", "--json").stdout)["queries.client.total"] == 1
    bad = r.ctl("stats", "--bogus")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert r.ctl("stats_noreset", "--reset").returncode == 2


def test_reset_with_two_workers_and_metrics_untouched(make_resolver):
    r = make_resolver(metrics_interface="127.0.0.1@%d" % PORT, num_threads=2)
    name = "%s.rnd.lab." % rand_label("w")
    for _ in range(4):
        r.query(name, "A")
    r.ctl("stats", "--reset")
    assert r.stats()["queries.client.total"] == 0
    samples, _ = scrape("127.0.0.1")
    # Prometheus counters only go up: the endpoint ignores the reset
    assert samples[("portcullis_queries_client_total", frozenset())] == 4
