"""Local zones, as Unbound serves them: the default zones (localhost, the
loopback and RFC 6303 reverse zones, home.arpa, onion, test, invalid)
answered without any upstream query; every local-zone type against the
lab's real data; local-data and local-data-ptr; nodefault; the control
verbs; and that a local zone wins over what the cache got from upstream.

Answers are read with the real dig (its status line, flags and sections),
and with dnspython where a test needs the parsed message."""

import socket
import struct
import subprocess

import dns.flags
import dns.message
import dns.name
import dns.rcode
import pytest

from conftest import PORTCULLIS, wait_for

SOA_TEXT = "localhost. nobody.invalid. 1 3600 1200 604800 10800"


class Dig:
    """What dig printed: status, flags, and the answer and authority
    records as (name, ttl, type, rdata) tuples (names lowercase)."""

    def __init__(self, out):
        self.out = out
        self.status = None
        self.flags = set()
        self.answer, self.authority = [], []
        section = None
        for line in out.splitlines():
            if ";; ->>HEADER<<-" in line:
                self.status = line.split("status:")[1].split(",")[0].strip()
            elif line.startswith(";; flags:"):
                self.flags = set(line.split(":")[1].split(";")[0].split())
            elif line.startswith(";; ANSWER SECTION"):
                section = self.answer
            elif line.startswith(";; AUTHORITY SECTION"):
                section = self.authority
            elif line.startswith(";;") or not line.strip():
                if not line.strip():
                    section = None
            elif section is not None and not line.startswith(";"):
                parts = line.split(None, 4)
                section.append((parts[0].lower(), int(parts[1]), parts[3],
                                parts[4] if len(parts) > 4 else ""))

    def rdata(self, rtype):
        return sorted(r[3] for r in self.answer if r[2] == rtype)


def dig(resolver, name, rtype="A", tcp=False, reverse=False):
    args = ["dig", "-b", "127.0.0.1", "@" + resolver.listen, "+tries=1", "+time=2",
            "+nocookie"]
    if tcp:
        args.append("+tcp")
    args += ["-x", name] if reverse else [name, rtype]
    r = subprocess.run(args, capture_output=True, text=True, timeout=20)
    return Dig(r.stdout), r


def upstream(resolver):
    return resolver.stats()["queries.upstream.total"]


# ----- the default zones ----------------------------------------------------

def test_default_zones_answered_without_upstream_queries(resolver):
    before = upstream(resolver)
    d, _ = dig(resolver, "localhost", "A")
    assert d.status == "NOERROR" and "aa" in d.flags, d.out
    assert d.answer == [("localhost.", 10800, "A", "127.0.0.1")], d.out
    d, _ = dig(resolver, "localhost", "AAAA")
    assert d.rdata("AAAA") == ["::1"], d.out
    # redirect: every name below localhost is localhost
    d, _ = dig(resolver, "app.dev.localhost", "A")
    assert d.answer == [("app.dev.localhost.", 10800, "A", "127.0.0.1")], d.out
    d, _ = dig(resolver, "localhost", "SOA")
    assert d.rdata("SOA") == [SOA_TEXT], d.out
    d, _ = dig(resolver, "localhost", "MX")
    assert d.status == "NOERROR" and d.answer == [], d.out
    assert d.authority == [("localhost.", 10800, "SOA", SOA_TEXT)], d.out
    # the loopback reverse zones
    d, _ = dig(resolver, "127.0.0.1", reverse=True)
    assert d.rdata("PTR") == ["localhost."] and "aa" in d.flags, d.out
    d, _ = dig(resolver, "::1", reverse=True)
    assert d.rdata("PTR") == ["localhost."], d.out
    d, _ = dig(resolver, "127.0.0.2", reverse=True)
    assert d.status == "NXDOMAIN", d.out
    assert d.authority == [("127.in-addr.arpa.", 10800, "SOA", SOA_TEXT)], d.out
    # RFC 6303 private and special reverse zones, and the special names
    for addr, zone in (("10.1.2.3", "10.in-addr.arpa."),
                       ("172.20.0.1", "20.172.in-addr.arpa."),
                       ("192.168.1.1", "168.192.in-addr.arpa."),
                       ("169.254.0.9", "254.169.in-addr.arpa."),
                       ("100.64.0.1", "64.100.in-addr.arpa."),
                       ("fd00::1", "d.f.ip6.arpa."),
                       ("fe80::1", "8.e.f.ip6.arpa.")):
        d, _ = dig(resolver, addr, reverse=True)
        assert d.status == "NXDOMAIN" and "aa" in d.flags, (addr, d.out)
        assert [a[0] for a in d.authority] == [zone], (addr, d.out)
    for name, zone in (("foo.onion", "onion."), ("x.test", "test."),
                       ("a.b.invalid", "invalid."), ("printer.home.arpa", "home.arpa.")):
        d, _ = dig(resolver, name, "A")
        assert d.status == "NXDOMAIN", (name, d.out)
        assert d.authority == [(zone, 10800, "SOA", SOA_TEXT)], (name, d.out)
    # 172.32 is outside RFC 1918: not a default zone, asked upstream (the
    # lab root has no in-addr.arpa, so NXDOMAIN from there)
    assert upstream(resolver) == before, "a default zone went upstream"
    d, _ = dig(resolver, "172.32.0.1", reverse=True)
    assert d.status == "NXDOMAIN" and [a[0] for a in d.authority] == ["."], d.out
    assert upstream(resolver) > before


def test_nodefault_and_own_zone_turn_a_default_off(make_resolver):
    r = make_resolver(local_zone=['"10.in-addr.arpa." nodefault', '"onion." transparent'])
    before = upstream(r)
    d, _ = dig(r, "10.1.2.3", reverse=True)
    # from the lab root, not the local zone
    assert d.status == "NXDOMAIN" and [a[0] for a in d.authority] == ["."], d.out
    d, _ = dig(r, "foo.onion", "A")
    assert d.status == "NXDOMAIN" and [a[0] for a in d.authority] == ["."], d.out
    assert upstream(r) > before
    # the other defaults stay
    d, _ = dig(r, "192.168.0.1", reverse=True)
    assert [a[0] for a in d.authority] == ["168.192.in-addr.arpa."], d.out
    d, _ = dig(r, "localhost", "A")
    assert d.rdata("A") == ["127.0.0.1"], d.out


# ----- local-zone types against the lab's real alpha.lab ----------------------
# Upstream, www.alpha.lab has A 192.0.2.10 and AAAA 2001:db8::10, mail.alpha.lab
# MX 10 mx.alpha.lab., and nx.alpha.lab does not exist.

def alpha(make_resolver, ztype, *data):
    return make_resolver(local_zone='"alpha.lab." %s' % ztype,
                         local_data=['"%s"' % d for d in data] or None)


def test_static(make_resolver):
    r = alpha(make_resolver, "static", "alpha.lab. 300 IN SOA ns.alpha.lab. h.alpha.lab. 7 1 1 1 60",
              "www.alpha.lab. 120 IN A 10.0.0.1", "x.ent.alpha.lab. A 10.0.0.2")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.answer == [("www.alpha.lab.", 120, "A", "10.0.0.1")] and "aa" in d.flags, d.out
    d, _ = dig(r, "www.alpha.lab", "AAAA")
    assert d.status == "NOERROR" and d.answer == [], d.out
    # the negative answer's SOA has TTL min(SOA TTL, minimum)
    assert d.authority == [("alpha.lab.", 60, "SOA",
                            "ns.alpha.lab. h.alpha.lab. 7 1 1 1 60")], d.out
    d, _ = dig(r, "mail.alpha.lab", "MX")
    assert d.status == "NXDOMAIN", d.out
    d, _ = dig(r, "ent.alpha.lab", "A")   # empty non-terminal
    assert d.status == "NOERROR" and d.answer == [], d.out
    d, _ = dig(r, "x.ent.alpha.lab", "A", tcp=True)
    assert d.rdata("A") == ["10.0.0.2"], d.out


def test_static_without_soa_and_default_ttl(make_resolver):
    r = alpha(make_resolver, "static", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.answer == [("www.alpha.lab.", 3600, "A", "10.0.0.1")], d.out
    d, _ = dig(r, "nx.alpha.lab", "A")
    assert d.status == "NXDOMAIN" and d.authority == [], d.out


def test_transparent(make_resolver):
    r = alpha(make_resolver, "transparent", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["10.0.0.1"] and "aa" in d.flags, d.out
    d, _ = dig(r, "www.alpha.lab", "AAAA")   # the name is local: NODATA
    assert d.status == "NOERROR" and d.answer == [], d.out
    d, _ = dig(r, "mail.alpha.lab", "MX")    # other names: upstream
    assert d.rdata("MX") == ["10 mx.alpha.lab."] and "aa" not in d.flags, d.out


def test_typetransparent(make_resolver):
    r = alpha(make_resolver, "typetransparent", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["10.0.0.1"], d.out
    d, _ = dig(r, "www.alpha.lab", "AAAA")   # other types: upstream
    assert d.rdata("AAAA") == ["2001:db8::10"], d.out


def test_redirect(make_resolver):
    r = alpha(make_resolver, "redirect", "alpha.lab. A 10.9.9.9")
    for name in ("alpha.lab", "www.alpha.lab", "a.b.c.alpha.lab"):
        d, _ = dig(r, name, "A")
        assert d.answer == [(name + ".", 3600, "A", "10.9.9.9")], d.out
    d, _ = dig(r, "www.alpha.lab", "AAAA")
    assert d.status == "NOERROR" and d.answer == [], d.out


def test_refuse(make_resolver):
    r = alpha(make_resolver, "refuse", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["10.0.0.1"], d.out
    d, _ = dig(r, "mail.alpha.lab", "MX")
    assert d.status == "REFUSED", d.out


def test_deny(make_resolver):
    r = alpha(make_resolver, "deny", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["10.0.0.1"], d.out
    d, res = dig(r, "mail.alpha.lab", "MX")
    assert d.status is None and "timed out" in res.stdout + res.stderr, res.stdout
    # still alive and answering
    d, _ = dig(r, "localhost", "A")
    assert d.rdata("A") == ["127.0.0.1"], d.out


def test_always_types_ignore_local_data(make_resolver):
    r = alpha(make_resolver, "always_nxdomain", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.status == "NXDOMAIN" and d.answer == [], d.out
    r2 = alpha(make_resolver, "always_refuse", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r2, "www.alpha.lab", "A")
    assert d.status == "REFUSED", d.out
    r3 = alpha(make_resolver, "always_transparent", "www.alpha.lab. A 10.0.0.1")
    d, _ = dig(r3, "www.alpha.lab", "A")
    assert d.rdata("A") == ["192.0.2.10"], d.out


def test_inform_logs_the_client(make_resolver):
    r = alpha(make_resolver, "inform")
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["192.0.2.10"], d.out
    assert wait_for(lambda: "alpha.lab. inform 127.0.0.1@" in r.stderr()), r.stderr()


# ----- local-data, local-data-ptr -----------------------------------------------

def test_local_data_types_and_implicit_zone(make_resolver):
    r = make_resolver(local_data=[
        '"host.beta.net. 600 A 10.2.2.2"',
        '"host.beta.net. 600 A 10.2.2.3"',
        '"mx.beta.net. MX 5 host.beta.net."',
        '''\'txt.beta.net. TXT "hello world" "two"\'''',
        '"_sip._udp.beta.net. SRV 1 2 5060 host.beta.net."',
        '"alias.beta.net. CNAME host.beta.net."',
        '"gen.beta.net. TYPE65280 \\# 3 abcdef"',
        '"v6.beta.net. AAAA 2001:db8::77"',
    ])
    d, _ = dig(r, "host.beta.net", "A")
    assert d.rdata("A") == ["10.2.2.2", "10.2.2.3"] and "aa" in d.flags, d.out
    d, _ = dig(r, "mx.beta.net", "MX")
    assert d.rdata("MX") == ["5 host.beta.net."], d.out
    d, _ = dig(r, "txt.beta.net", "TXT")
    assert d.rdata("TXT") == ['"hello world" "two"'], d.out
    d, _ = dig(r, "_sip._udp.beta.net", "SRV")
    assert d.rdata("SRV") == ["1 2 5060 host.beta.net."], d.out
    d, _ = dig(r, "alias.beta.net", "A")
    assert d.rdata("CNAME") == ["host.beta.net."], d.out
    d, _ = dig(r, "gen.beta.net", "TYPE65280")
    assert d.rdata("TYPE65280") == ["\\# 3 ABCDEF"], d.out
    d, _ = dig(r, "v6.beta.net", "AAAA")
    assert d.rdata("AAAA") == ["2001:db8::77"], d.out
    # the implicit zones are transparent at each owner: beta.net itself and
    # its other names still resolve upstream
    d, _ = dig(r, "www.beta.net", "A")
    assert d.rdata("A") == ["192.0.2.20"], d.out


def test_local_data_ptr(make_resolver):
    r = make_resolver(local_data_ptr=['"192.0.2.10 www.alpha.lab"',
                                      '"2001:db8::10 7200 www.alpha.lab."',
                                      '"192.168.7.7 printer.home.arpa."'])
    d, _ = dig(r, "192.0.2.10", reverse=True)
    assert d.answer == [("10.2.0.192.in-addr.arpa.", 3600, "PTR", "www.alpha.lab.")], d.out
    d, _ = dig(r, "2001:db8::10", reverse=True)
    assert d.rdata("PTR") == ["www.alpha.lab."] and d.answer[0][1] == 7200, d.out
    # inside the default 168.192.in-addr.arpa zone: answered, its
    # neighbours NXDOMAIN
    d, _ = dig(r, "192.168.7.7", reverse=True)
    assert d.rdata("PTR") == ["printer.home.arpa."], d.out
    d, _ = dig(r, "192.168.7.8", reverse=True)
    assert d.status == "NXDOMAIN", d.out


@pytest.mark.parametrize("key,value,want", [
    ("local-data", '"www.alpha.lab. A 999.1.1.1"', "local-data: not a record"),
    ("local-data", '"www.alpha.lab. CH A 10.0.0.1"', "local-data: class must be IN"),
    ("local-zone", '"alpha.lab." sideways', "local-zone: unknown type"),
    ("local-data-ptr", '"10.0.0.300 x.lab."', "local-data-ptr: "),
])
def test_config_errors_name_file_line_and_key(make_resolver, key, value, want):
    r = make_resolver(start=False, **{key.replace("-", "_"): value})
    out = subprocess.run([PORTCULLIS, "-c", r.conf_path, "--check"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 2, out
    lines = open(r.conf_path).read().splitlines()
    lineno = next(i + 1 for i, l in enumerate(lines) if l.strip().startswith(key + ":"))
    assert "%s:%d: %s" % (r.conf_path, lineno, want) in out.stderr, out.stderr


def test_cname_beside_other_data_is_refused(make_resolver):
    r = make_resolver(start=False, local_data=['"a.alpha.lab. A 10.0.0.1"',
                                               '"a.alpha.lab. CNAME www.alpha.lab."'])
    out = subprocess.run([PORTCULLIS, "-c", r.conf_path, "--check"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 2 and "local-data: a CNAME cannot share" in out.stderr, out


# ----- a local zone wins over the cache ---------------------------------------

def test_local_data_wins_over_records_cached_on_the_way(make_resolver):
    """ext.alpha.lab is a CNAME to www.beta.net (192.0.2.20 upstream); its
    resolution brings www.beta.net's A along. With www.beta.net local, a
    later question for it must get the local answer, not the cached one."""
    r = make_resolver(local_data='"www.beta.net. A 10.4.4.4"')
    d, _ = dig(r, "ext.alpha.lab", "A")
    assert d.rdata("CNAME") == ["www.beta.net."], d.out
    for _ in range(2):   # the second from the packet cache, were it there
        d, _ = dig(r, "www.beta.net", "A")
        assert d.rdata("A") == ["10.4.4.4"], d.out


# ----- control verbs ----------------------------------------------------------

def test_ctl_verbs_change_answers_and_flush_the_cache(make_resolver):
    r = make_resolver()
    for _ in range(2):   # cached, then from the packet cache
        d, _ = dig(r, "www.alpha.lab", "A")
        assert d.rdata("A") == ["192.0.2.10"], d.out
    c = r.ctl("local_data", "www.alpha.lab. 90 IN A 10.3.3.3")
    assert c.returncode == 0 and c.stdout.strip() == "ok", c
    for _ in range(2):
        d, _ = dig(r, "www.alpha.lab", "A")
        assert d.answer == [("www.alpha.lab.", 90, "A", "10.3.3.3")], d.out
    c = r.ctl("local_data", "txt.alpha.lab.", "TXT", '"a b"')
    assert c.returncode == 0, c
    listed = r.ctl("list_local_data")
    assert listed.returncode == 0
    assert "www.alpha.lab.\t90\tIN\tA\t10.3.3.3" in listed.stdout, listed.stdout
    assert "localhost.\t10800\tIN\tA\t127.0.0.1" in listed.stdout, listed.stdout
    c = r.ctl("local_data_remove", "www.alpha.lab")
    assert c.returncode == 0, c
    d, _ = dig(r, "www.alpha.lab", "A")
    assert d.rdata("A") == ["192.0.2.10"], d.out
    # a zone: what the cache held below it is not served any more
    d, _ = dig(r, "mail.alpha.lab", "MX")
    assert d.rdata("MX") == ["10 mx.alpha.lab."], d.out
    c = r.ctl("local_zone", "alpha.lab.", "static")
    assert c.returncode == 0, c
    d, _ = dig(r, "mail.alpha.lab", "MX")
    assert d.status == "NXDOMAIN" and "aa" in d.flags, d.out
    zones = r.ctl("list_local_zones").stdout.splitlines()
    assert "alpha.lab. static" in zones and "localhost. redirect" in zones, zones
    c = r.ctl("local_zone_remove", "alpha.lab")
    assert c.returncode == 0, c
    d, _ = dig(r, "mail.alpha.lab", "MX")
    assert d.rdata("MX") == ["10 mx.alpha.lab."], d.out
    assert "alpha.lab. static" not in r.ctl("list_local_zones").stdout
    # errors: one line, exit status 1 from the daemon, 2 for bad usage
    c = r.ctl("local_zone", "alpha.lab.", "sideways")
    assert c.returncode == 1 and "unknown type" in c.stderr, c
    c = r.ctl("local_data", "www.alpha.lab. A not-an-address")
    assert c.returncode == 1 and "not a record" in c.stderr, c
    c = r.ctl("local_zone_remove", "nowhere.lab")
    assert c.returncode == 1 and "no local zone" in c.stderr, c
    c = r.ctl("local_zone", "onlyname")
    assert c.returncode == 2, c


# ----- records listed as text that reads back ---------------------------------

def raw_rdata(resolver, name, rdtype):
    """The rdata bytes of the one answer record (read off the wire: an
    HTTPS record whose parameters do not parse is still data)."""
    q = dns.message.make_query(name, rdtype)   # no EDNS: no OPT after the answer
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    try:
        s.sendto(q.to_wire(), (resolver.listen, 53))
        resp = s.recv(65535)
    finally:
        s.close()
    assert resp[:2] == q.to_wire()[:2] and struct.unpack("!H", resp[6:8])[0] == 1, resp
    at = 12 + len(dns.name.from_text(name).to_wire()) + 4
    assert resp[at:at + 2] == b"\xc0\x0c", resp   # the owner: the question's name
    rdlen = struct.unpack("!H", resp[at + 10:at + 12])[0]
    return resp[at + 12:at + 12 + rdlen]


# HTTPS records in RFC 3597 form whose parameters ldns's text would lose:
# an alpn with an empty id (ldns writes "alpn=", which it does not read) and
# a parameter cut short (ldns writes "1 . ", which reads as other rdata)
ODD_HTTPS = [("h1.beta.net.", "0001 00 0001 0001 00"),
             ("h2.beta.net.", "0001 00 0001 00")]


def test_local_data_lists_as_text_that_reads_back(make_resolver):
    lines = ['"%s 300 IN HTTPS \\# %d %s"' % (n, len(bytes.fromhex(h)), h) for n, h in ODD_HTTPS]
    lines += ['"h3.beta.net. 300 IN HTTPS 1 . alpn=h2,h3"',
              '"gen.beta.net. 300 IN TYPE65280 \\# 3 abcdef"']
    r = make_resolver(local_data=lines)
    names = [n for n, _ in ODD_HTTPS] + ["h3.beta.net.", "gen.beta.net."]
    types = ["HTTPS"] * 3 + ["TYPE65280"]
    wire = {n: raw_rdata(r, n, t) for n, t in zip(names, types)}
    for n, h in ODD_HTTPS:
        assert wire[n] == bytes.fromhex(h), (n, wire[n])

    def listed():
        out = r.ctl("list_local_data")
        assert out.returncode == 0, out
        return {l.split("\t")[0]: l for l in out.stdout.splitlines()
                if l.split("\t")[0] in names}

    first = listed()
    assert sorted(first) == sorted(names), first
    for n, h in ODD_HTTPS:   # ldns's text would not do: RFC 3597's form
        assert first[n] == "%s\t300\tIN\tTYPE65\t\\# %d %s" % (
            n, len(bytes.fromhex(h)), h.replace(" ", "")), first[n]
    assert first["h3.beta.net."] == "h3.beta.net.\t300\tIN\tHTTPS\t1 . alpn=h2,h3", first
    assert first["gen.beta.net."] == "gen.beta.net.\t300\tIN\tTYPE65280\t\\# 3 abcdef", first
    # each line, given back to local_data, is the same record
    for n in names:
        assert r.ctl("local_data_remove", n).returncode == 0
        c = r.ctl("local_data", first[n])
        assert c.returncode == 0, (first[n], c)
    assert listed() == first
    for n, t in zip(names, types):
        assert raw_rdata(r, n, t) == wire[n], n
