"""The upstream socket pool: its size, its ports, and how evenly queries use
ports and IDs (RFC 5452 section 9.2)."""

import math
import re
import shutil
import socket
import subprocess
import time

import dns.exception
import dns.message
import dns.rcode
import pytest

from conftest import (PORTCULLIS, answer_rdata, need_binary, pool_ports, rand_label,
                      udp_sockets)

RANGE = (49152, 65535)
EXCLUDE = (50000, 54999)
POOL = 2500
P_VALUE = 0.001


# ----- chi-square, without scipy -----

def _lower_gamma_series(a, x):
    """P(a, x) by its power series (good for x < a + 1)."""
    term = total = 1.0 / a
    n = a
    for _ in range(100000):
        n += 1
        term *= x / n
        total += term
        if term < total * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a, x):
    """Q(a, x) by its continued fraction, modified Lentz (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(x, df):
    """P(X > x) for X chi-square with df degrees of freedom."""
    if x <= 0:
        return 1.0
    a, y = df / 2.0, x / 2.0
    if y < a + 1:
        return 1.0 - _lower_gamma_series(a, y)
    return _upper_gamma_fraction(a, y)


def chi2_critical(df, p=P_VALUE):
    """The x with P(X > x) = p, by bisection."""
    lo, hi = 0.0, df + 50.0 * math.sqrt(2.0 * df) + 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if chi2_sf(mid, df) > p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def chi2_statistic(counts, expected):
    return sum((c - expected) ** 2 / expected for c in counts)


def test_chi2_critical_values_match_the_tables():
    # published upper 0.1 % points of the chi-square distribution
    for df, table in [(1, 10.828), (10, 29.588), (63, 103.442), (100, 149.449)]:
        assert abs(chi2_critical(df) - table) < 0.005, (df, chi2_critical(df))
    # large df: the Wilson-Hilferty approximation is accurate to < 0.1 %
    df, z = 2499, 3.090232
    wh = df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
    assert abs(chi2_critical(df) / wh - 1) < 1e-3


# ----- which UDP sockets a process holds, from /proc -----

def assert_ports_random_in_range(ports, allowed):
    """PORTS spread evenly over the ALLOWED ports (16 bins, chi-square)."""
    allowed = sorted(allowed)
    index = {p: i for i, p in enumerate(allowed)}
    bins = [0] * 16
    for p in ports:
        bins[index[p] * 16 // len(allowed)] += 1
    stat = chi2_statistic(bins, len(ports) / 16)
    assert stat < chi2_critical(15), (
        "pool ports are not spread over the range: bins %s" % bins)


def allowed_ports(exclude=()):
    return [p for p in range(RANGE[0], RANGE[1] + 1)
            if not any(lo <= p <= hi for lo, hi in exclude)]


# ----- the pool as configured -----

def test_default_pool_ip4_only(make_resolver):
    r = make_resolver(do_ip6=False,
                      socket_pool_exclude="%d-%d" % EXCLUDE)
    socks = udp_sockets(r.pid)
    ports = pool_ports(socks, "ip4")
    assert pool_ports(socks, "ip6") == [], "do-ip6: no, yet IPv6 pool sockets"
    assert len(ports) == POOL, "%d IPv4 pool sockets, want %d" % (len(ports), POOL)
    assert len(set(ports)) == POOL, "pool ports are not distinct"
    out_of_range = [p for p in ports if not RANGE[0] <= p <= RANGE[1]]
    assert out_of_range == [], out_of_range[:10]
    excluded = [p for p in ports if EXCLUDE[0] <= p <= EXCLUDE[1]]
    assert excluded == [], "ports in socket-pool-exclude: %s" % excluded[:10]
    assert_ports_random_in_range(ports, allowed_ports([EXCLUDE]))

    pool = r.pool()
    assert pool["pid"] == r.pid
    assert pool["size"] == POOL
    assert len(pool["sockets"]) == POOL
    assert {s["family"] for s in pool["sockets"]} == {"ip4"}
    assert sorted(s["port"] for s in pool["sockets"]) == sorted(ports)

    st = r.stats()
    assert (st["pool.size.ip4"], st["pool.size.ip6"], st["pool.size.total"]) == (
        POOL, 0, POOL)

    text = r.ctl("pool")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == POOL
    assert re.fullmatch(r"ip4 \d+ sent=\d+ accepted=\d+ dropped=\d+ idle_ms=(\d+|-) peers=\S+",
                        lines[0]), lines[0]
    assert sorted(int(l.split()[1]) for l in lines) == sorted(ports)


def test_default_pool_with_ip6(make_resolver):
    r = make_resolver(do_ip6=True)
    socks = udp_sockets(r.pid)
    p4, p6 = pool_ports(socks, "ip4"), pool_ports(socks, "ip6")
    assert (len(p4), len(p6)) == (POOL, POOL)
    for ports in (p4, p6):
        assert len(set(ports)) == POOL
        assert all(RANGE[0] <= p <= RANGE[1] for p in ports)
    pool = r.pool()
    listed = {"ip4": [], "ip6": []}
    for s in pool["sockets"]:
        listed[s["family"]].append(s["port"])
    assert sorted(listed["ip4"]) == sorted(p4)
    assert sorted(listed["ip6"]) == sorted(p6)
    st = r.stats()
    assert (st["pool.size.ip4"], st["pool.size.ip6"], st["pool.size.total"]) == (
        POOL, POOL, 2 * POOL)


def test_pool_larger_than_range_refused(make_resolver):
    need_binary(PORTCULLIS)
    r = make_resolver(start=False, socket_pool_size=200,
                      socket_pool_range="60000-60099")
    try:
        p = subprocess.run([PORTCULLIS, "-c", r.conf_path], capture_output=True,
                           text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("portcullis started with 200 sockets in 100 ports")
    assert p.returncode != 0
    err = p.stderr.lower()
    assert "addresssanitizer" not in err, p.stderr
    assert re.search(r"too few|not enough|only \d+", err) and "port" in err, (
        "stderr should say the range holds too few ports: %r" % p.stderr)


# ----- the pool in use -----

QUERIES = 20000


def test_upstream_ports_and_ids_uniform(make_resolver, lab, tmp_path):
    dnsperf = shutil.which("dnsperf")
    assert dnsperf, "dnsperf is needed (Debian package dnsperf)"
    # rotation off: this test maps ports to pool slots
    r = make_resolver(do_ip6=False, pool_rotate_uses=0, pool_rotate_seconds=0)
    run = rand_label("u")
    # learn the rnd.lab delegation first, so that the rest is one upstream
    # query per name
    first = "%s-warm.rnd.lab." % run
    assert r.query(first, "A").rcode() == dns.rcode.NOERROR
    before = r.pool()

    names = ["%s-%d.rnd.lab." % (run, i) for i in range(QUERIES)]
    qfile = tmp_path / "queries.txt"
    qfile.write_text("".join("%s A\n" % n for n in names))
    perf = subprocess.run(
        [dnsperf, "-s", r.listen, "-d", str(qfile), "-n", "1", "-c", "4",
         "-q", "200", "-Q", "2500", "-t", "5"],
        capture_output=True, text=True, timeout=120)
    assert perf.returncode == 0, perf.stdout + perf.stderr
    m = re.search(r"Queries completed:\s+(\d+)", perf.stdout)
    assert m and int(m.group(1)) >= QUERIES * 0.99, perf.stdout

    after = r.pool()
    assert after["pid"] == before["pid"]
    # a pool socket may have moved to a new port meanwhile (rotation): both
    # ports belong to the same pool slot
    slot = {}
    for snapshot in (before, after):
        for i, s in enumerate(snapshot["sockets"]):
            if s["family"] == "ip4":
                slot.setdefault(s["port"], i)
    n_slots = len([s for s in before["sockets"] if s["family"] == "ip4"])
    assert n_slots == POOL

    wanted = set(names)
    log = [e for e in lab.read_rnd_log()
           if e["qname"].lower() in wanted and not e["tcp"]]
    assert len({e["qname"].lower() for e in log}) >= QUERIES * 0.99
    strangers = sorted({e["port"] for e in log if e["port"] not in slot})
    assert strangers == [], "queries left from ports outside the pool: %s" % (
        strangers[:20])

    n = len(log)
    by_slot = [0] * n_slots
    for e in log:
        by_slot[slot[e["port"]]] += 1
    stat = chi2_statistic(by_slot, n / n_slots)
    crit = chi2_critical(n_slots - 1)
    assert stat < crit, ("pool sockets not used uniformly: chi2 %.1f >= %.1f "
                         "(df %d, %d queries; busiest slot %d, idlest %d)" % (
                             stat, crit, n_slots - 1, n, max(by_slot),
                             min(by_slot)))

    for what, key in (("high", lambda i: i >> 10), ("low", lambda i: i & 63)):
        bins = [0] * 64
        for e in log:
            bins[key(e["id"])] += 1
        stat = chi2_statistic(bins, n / 64)
        crit = chi2_critical(63)
        assert stat < crit, ("query IDs not uniform (%s 6 bits): chi2 %.1f >= "
                             "%.1f; bins %s" % (what, stat, crit, bins))

    sent = sum(s["sent"] for s in after["sockets"])
    assert sent >= n, "pool counts %d sent, the server saw %d" % (sent, n)


# ----- rotation -----

def ip4_pool_ports(r):
    return {s["port"] for s in r.pool()["sockets"] if s["family"] == "ip4"}


def send_udp_queries(r, names):
    """Send an A query for each name from its own socket; return the sockets
    and the query IDs, to collect the answers later."""
    out = []
    for name in names:
        q = dns.message.make_query(name, "A")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.sendto(q.to_wire(), (r.listen, 53))
        out.append((s, q))
    return out


def collect_answers(pending, timeout=10.0):
    answers = []
    deadline = time.monotonic() + timeout
    for s, q in pending:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = s.recv(65535)
            answers.append(dns.message.from_wire(data))
        except (socket.timeout, dns.exception.DNSException):
            answers.append(None)
        finally:
            s.close()
    return answers


def test_pool_rotate_moves_ports_and_keeps_queries_in_flight(make_resolver):
    r = make_resolver(do_ip6=False, socket_pool_size=64, pool_rotate_uses=0,
                      pool_rotate_seconds=0)
    # learn the slow.lab delegation first: then each name is one query to
    # the slow server, whose reply comes 500 ms later
    assert r.query("%s.slow.lab." % rand_label("w"), "A",
                   timeout=10).rcode() == dns.rcode.NOERROR
    before = ip4_pool_ports(r)
    assert len(before) == 64
    names = ["%s.slow.lab." % rand_label("f") for _ in range(24)]
    sent_before = r.stats()["queries.upstream.udp"]
    pending = send_udp_queries(r, names)
    # rotate once all of them wait on pool sockets (the server answers each
    # 500 ms after it arrives)
    deadline = time.monotonic() + 5
    while True:
        st = r.stats()
        if st["queries.upstream.udp"] - sent_before >= len(names):
            break
        assert time.monotonic() < deadline, "the queries never left: %s" % st
        time.sleep(0.01)
    waiting = st["pool.retired_open"]
    rot = r.ctl("pool", "rotate")
    assert rot.returncode == 0 and rot.stdout.strip() == "rotated 64", rot
    mid = r.stats()
    assert waiting == 0
    assert mid["pool.rotations"] == 64
    # the old sockets that queries wait on stay open until they are answered
    assert mid["pool.retired_open"] >= 1
    after = ip4_pool_ports(r)
    assert len(after) == 64
    assert len(before & after) <= 6, "rotation kept ports %s" % sorted(before & after)

    answers = collect_answers(pending)
    lost = [n for n, a in zip(names, answers) if a is None]
    assert lost == [], "queries lost in the rotation: %s" % lost
    for name, a in zip(names, answers):
        assert a.rcode() == dns.rcode.NOERROR
        assert answer_rdata(a, name, "A") == {"192.0.2.1"}
    time.sleep(0.2)
    end = r.stats()
    assert end["pool.retired_open"] == 0
    open_ports = set(pool_ports(udp_sockets(r.pid), "ip4"))
    assert open_ports == after, "retired sockets still open: %s" % sorted(
        open_ports - after)


def test_pool_rotates_after_uses(make_resolver, lab):
    r = make_resolver(do_ip6=False, socket_pool_size=4, pool_rotate_uses=3,
                      pool_rotate_seconds=0)
    run = rand_label("ru")
    names = ["%s-%d.rnd.lab." % (run, i) for i in range(40)]
    for n in names:
        assert r.query(n, "A").rcode() == dns.rcode.NOERROR
    st = r.stats()
    # 40+ queries over 4 sockets that each serve 3: at least 9 rotations
    assert st["pool.rotations"] >= 9, st["pool.rotations"]
    ports = {e["port"] for e in lab.read_rnd_log() if e["qname"].lower() in set(names)}
    assert len(ports) >= 10, "queries used only ports %s" % sorted(ports)
    for p in ports:
        assert RANGE[0] <= p <= RANGE[1]
    assert len(ip4_pool_ports(r)) == 4


def test_pool_rotates_by_age(make_resolver):
    r = make_resolver(do_ip6=False, socket_pool_size=8, pool_rotate_uses=0,
                      pool_rotate_seconds=2)
    before = ip4_pool_ports(r)
    time.sleep(3.5)  # every deadline is within 1-2 s, checked every second
    after = ip4_pool_ports(r)
    assert r.stats()["pool.rotations"] >= 8
    assert len(after) == 8
    assert len(before & after) <= 1, sorted(before & after)
    assert r.query("www.alpha.lab.", "A").rcode() == dns.rcode.NOERROR
