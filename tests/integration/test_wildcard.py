"""A listener on a wildcard address (interface: 0.0.0.0 or ::) answers over
UDP from the address each query was sent to (IP_PKTINFO, IPV6_RECVPKTINFO),
whichever path the answer takes: after an upstream query (worker 0's held
answers), from the cache (the reader's batch), from the packet cache. A
client drops an answer from another address than the one it asked."""

import socket
import subprocess

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import answer_rdata

PORT = 5399
V6_EXTRA = "fd00:53::2"


def ask_from(src, dst, name, family=socket.AF_INET, timeout=3.0):
    """Query DST:PORT from SRC with a raw socket: the reply and the address
    it came from."""
    q = dns.message.make_query(name, "A", use_edns=0, payload=1232)
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.bind((src, 0))
        s.sendto(q.to_wire(), (dst, PORT))
        data, peer = s.recvfrom(65535)
    r = dns.message.from_wire(data)
    assert r.id == q.id
    return r, peer[0], peer[1]


@pytest.mark.parametrize("threads", [1, 2])
def test_ipv4_wildcard_answers_from_the_queried_address(make_resolver, threads):
    r = make_resolver(interface="0.0.0.0@%d" % PORT, num_threads=threads)
    before = r.stats()["cache.packet.hits"]
    for dst in ("127.0.0.2", "127.0.0.3", "127.0.0.1", "127.9.9.9"):
        # upstream, cache hit, packet-cache hit: three ways out
        for _ in range(3):
            resp, src, sport = ask_from("127.0.0.1", dst, "www.alpha.lab.")
            assert (src, sport) == (dst, PORT), "asked %s, answered from %s" % (dst, src)
            assert answer_rdata(resp, "www.alpha.lab.", "A") == {"192.0.2.10"}
    assert r.stats()["cache.packet.hits"] > before, "the packet-cache path was taken"


def test_ipv4_wildcard_tcp_still_answers(make_resolver):
    r = make_resolver(interface="0.0.0.0@%d" % PORT)
    q = dns.message.make_query("www.alpha.lab.", "A")
    resp = dns.query.tcp(q, "127.0.0.2", port=PORT, timeout=5)
    assert resp.rcode() == dns.rcode.NOERROR
    assert answer_rdata(resp, "www.alpha.lab.", "A") == {"192.0.2.10"}
    assert r.alive()


def add_v6_address():
    """A second IPv6 address on lo, in this test's network namespace."""
    have = subprocess.run(["ip", "-6", "addr", "show", "dev", "lo"],
                          capture_output=True, text=True).stdout
    if V6_EXTRA in have:
        return
    res = subprocess.run(["ip", "-6", "addr", "add", V6_EXTRA + "/128", "dev", "lo", "nodad"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail("cannot add %s to lo in the test namespace: %s" % (V6_EXTRA, res.stderr),
                    pytrace=False)


@pytest.mark.parametrize("threads", [1, 2])
def test_ipv6_wildcard_answers_from_the_queried_address(make_resolver, threads):
    add_v6_address()
    r = make_resolver(interface="::@%d" % PORT, num_threads=threads,
                      access_control=["127.0.0.0/8 allow", "::1/128 allow",
                                      "fd00:53::/64 allow"])
    for dst in (V6_EXTRA, "::1"):
        for _ in range(3):
            resp, src, sport = ask_from("::1", dst, "www.alpha.lab.", socket.AF_INET6)
            assert (src, sport) == (dst, PORT), "asked %s, answered from %s" % (dst, src)
            assert answer_rdata(resp, "www.alpha.lab.", "A") == {"192.0.2.10"}
    assert r.alive()


def test_dig_accepts_the_wildcard_answers(make_resolver):
    make_resolver(interface="0.0.0.0@%d" % PORT)
    out = subprocess.run(["dig", "-b", "127.0.0.1", "@127.0.0.3", "-p", str(PORT),
                          "+tries=1", "+time=3", "+short", "www.alpha.lab", "A"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "192.0.2.10", out.stdout + out.stderr
