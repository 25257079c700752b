"""num-threads: several workers, each with its own SO_REUSEPORT TCP
listeners and a UDP reader, one shared cache, and one resolution worker
that owns the one socket pool.

The UDP readers of the workers read one socket per address in turns: one at
a time while each read brings less than a full batch, all of them when a
backlog builds up. The kernel spreads TCP connections over the workers'
listeners by a hash of the client's address and port, so these tests ask
from many source ports (UDP) and on many connections (TCP), and the answers
must be right whichever reader or listener a query reached (with 2 workers
and 24 independent connections, one listener missing out has odds of
2 ** -23)."""

import os
import signal
import socket
import struct
import time

import dns.message
import dns.query
import dns.rcode

from conftest import (answer_rdata, pool_ports, rand_label, tcp_exchange, udp_sockets,
                      zone_rdata)

N_SOURCES = 24


def udp_from_fresh_port(addr, msg, timeout=5.0):
    """Ask over UDP from a socket of its own (a new source port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.bind(("127.0.0.1", 0))
        s.sendto(msg.to_wire(), (addr, 53))
        data, _ = s.recvfrom(65535)
        return dns.message.from_wire(data)
    finally:
        s.close()


def worker_keys(st, n):
    return [st.get("worker.%d.queries" % i) for i in range(n)]


def test_two_workers_answer_hits_and_misses_udp(make_resolver):
    r = make_resolver(num_threads=2)
    want = zone_rdata("alpha.lab.", "www.alpha.lab.", "A")
    for _ in range(N_SOURCES):
        # a hit (after the first) and a miss that needs upstream every time
        q = r.make_query("www.alpha.lab.")
        assert answer_rdata(udp_from_fresh_port(r.listen, q), "www.alpha.lab.", "A") == want
        name = "%s.alpha.lab." % rand_label("u")
        a = udp_from_fresh_port(r.listen, r.make_query(name))
        assert a.rcode() == dns.rcode.NXDOMAIN, a
    st = r.stats()
    assert st["threads"] == 2
    per = worker_keys(st, 2)
    assert sum(per) == st["queries.client.total"] == 2 * N_SOURCES
    # one question at a time never fills a batch: one reader read both
    # workers' sockets, and the other never woke
    assert max(per) == 2 * N_SOURCES, per
    assert st["cache.hits"] + st["cache.misses"] == 2 * N_SOURCES
    assert st["cache.hits"] == sum(st["worker.%d.cache.hits" % i] for i in range(2))
    assert st["cache.misses"] == sum(st["worker.%d.cache.misses" % i] for i in range(2))
    assert st["answers.nxdomain"] == N_SOURCES
    assert st["answers.noerror"] == N_SOURCES


def test_workers_read_one_udp_socket_per_address(make_resolver):
    """One UDP socket per listening address whatever num-threads is: the
    readers share it, so a reader waits in recvmmsg on it alone (an epoll
    over one socket per worker cost a system call more per wake-up)."""
    r = make_resolver(num_threads=3, do_ip6=False)
    listeners = [s for s in udp_sockets(r.pid) if s[2] == 53]
    assert len(listeners) == 1, listeners
    assert r.stats()["threads"] == 3
    want = zone_rdata("alpha.lab.", "www.alpha.lab.", "A")
    for _ in range(8):
        a = udp_from_fresh_port(r.listen, r.make_query("www.alpha.lab."))
        assert answer_rdata(a, "www.alpha.lab.", "A") == want


def burst(r, per_sock):
    """Queue per_sock queries from each of N_SOURCES sockets while the daemon
    is stopped, let it run, and check that every answer reaches its own
    client with its own ID and question. Returns how many were answered."""
    socks = []
    for _ in range(N_SOURCES):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        socks.append(s)
    sent = {}
    os.kill(r.pid, signal.SIGSTOP)
    try:
        for i, s in enumerate(socks):
            for k in range(per_sock):
                # mostly hits, and a miss now and then that needs upstream
                name = ("www.alpha.lab." if k % 5 else
                        "%s.alpha.lab." % rand_label("b"))
                q = r.make_query(name)
                q.id = 1 + i * per_sock + k  # distinct, so no answer can pass for another
                sent[(i, q.id)] = name
                s.sendto(q.to_wire(), (r.listen, 53))
    finally:
        os.kill(r.pid, signal.SIGCONT)
    got = 0
    for i, s in enumerate(socks):
        for _ in range(per_sock):
            a = dns.message.from_wire(s.recvfrom(65535)[0])
            name = sent.pop((i, a.id))
            assert a.question[0].name.to_text() == name
            if name == "www.alpha.lab.":
                assert a.rcode() == dns.rcode.NOERROR and a.answer, a
            else:
                assert a.rcode() == dns.rcode.NXDOMAIN, a
            got += 1
        s.close()
    assert not sent
    return got


def test_a_backlog_wakes_every_reader(make_resolver):
    """Queries queue up on both sockets while the daemon is stopped; when it
    runs again, the reader that reads a full batch hands the reading on, and
    the other reader answers too. Whether it gets a CPU before the first has
    answered the whole backlog is the scheduler's call (about 4 times in 5
    here), so up to 6 backlogs are tried."""
    r = make_resolver(num_threads=2, do_ip6=False)
    r.query("www.alpha.lab.")  # cached
    total = 1
    for _ in range(6):
        total += burst(r, 10)
        per = worker_keys(r.stats(), 2)
        assert sum(per) == total
        if all(v > 0 for v in per):
            break
    assert all(v > 0 for v in per), "one reader read every backlog: %s" % per


def test_two_workers_answer_over_tcp(make_resolver):
    r = make_resolver(num_threads=2)
    want = zone_rdata("alpha.lab.", "www.alpha.lab.", "A")
    for _ in range(N_SOURCES):
        # per connection: a miss (upstream, answered by worker 0 and written
        # by the worker that owns the connection), then a hit, pipelined
        name = "%s.alpha.lab." % rand_label("t")
        msgs = [r.make_query(name).to_wire(), r.make_query("www.alpha.lab.").to_wire()]
        replies = tcp_exchange(r.listen, msgs)
        by_name = {rr.question[0].name.to_text(): rr for rr in replies}
        assert by_name[name].rcode() == dns.rcode.NXDOMAIN
        assert answer_rdata(by_name["www.alpha.lab."], "www.alpha.lab.", "A") == want
    st = r.stats()
    tcp = [st["worker.%d.queries.tcp" % i] for i in range(2)]
    assert all(v > 0 for v in tcp), "a worker got no TCP connection: %s" % tcp
    assert sum(tcp) == st["queries.client.tcp"] == 2 * N_SOURCES
    assert st["worker.1.cache.misses"] > 0


def test_one_pool_whatever_the_workers(make_resolver):
    pool = 40
    r = make_resolver(num_threads=3, do_ip6=False, socket_pool_size=pool)
    # misses over every worker's socket, so that any per-worker pool would show
    for _ in range(N_SOURCES):
        name = "%s.alpha.lab." % rand_label("p")
        udp_from_fresh_port(r.listen, r.make_query(name))
    p = r.pool()
    assert p["size"] == pool and len(p["sockets"]) == pool, p["size"]
    st = r.stats()
    assert st["pool.size.total"] == pool
    ports = pool_ports(udp_sockets(r.pid), "ip4")
    assert len(ports) == pool, "%d UDP sockets besides the listeners, want %d" % (
        len(ports), pool)
    assert sorted(ports) == sorted(s["port"] for s in p["sockets"])
    assert st["queries.upstream.udp"] >= N_SOURCES


def test_stop_with_requests_in_flight(make_resolver):
    """Questions for a zone whose server never answers are still being
    resolved when the daemon is told to stop: every worker's held TCP
    connections and UDP clients must be let go without a leak (the fixture
    checks the sanitizer output and the exit code)."""
    r = make_resolver(num_threads=2)
    conns = []
    for i in range(N_SOURCES):
        name = "%s.dead.lab." % rand_label("s")
        c = socket.create_connection((r.listen, 53), timeout=5)
        wire = r.make_query(name).to_wire()
        c.sendall(struct.pack("!H", len(wire)) + wire)
        conns.append(c)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        u.sendto(r.make_query("%s.dead.lab." % rand_label("s")).to_wire(), (r.listen, 53))
        conns.append(u)
    # all of them read (and handed over) before the stop
    deadline = 50
    while r.stats()["cache.misses"] < 2 * N_SOURCES and deadline > 0:
        deadline -= 1
        time.sleep(0.1)
    st = r.stats()
    assert st["cache.misses"] == 2 * N_SOURCES
    assert st["worker.0.queries"] > 0 and st["worker.1.queries"] > 0
    out = r.ctl("stop")
    assert out.returncode == 0 and "stopping" in out.stdout
    assert r.wait_exit() == 0
    for c in conns:
        c.close()
    r.stop()  # checks the sanitizer output


def test_sigterm_stops_every_worker(make_resolver):
    r = make_resolver(num_threads=4)
    for _ in range(8):
        udp_from_fresh_port(r.listen, r.make_query("www.alpha.lab."))
    assert r.stats()["threads"] == 4
    r.stop()  # SIGTERM, exit 0, no sanitizer report


def test_one_thread_reports_one_worker(make_resolver):
    r = make_resolver()
    r.query("www.alpha.lab.")
    st = r.stats()
    assert st["threads"] == 1
    assert st["worker.0.queries"] == st["queries.client.total"] == 1
    assert "num-threads" not in r.stderr()
