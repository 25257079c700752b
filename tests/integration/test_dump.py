"""dump_cache / load_cache: the dump of a validating resolver's cache,
loaded into a fresh validating daemon, answers the same questions from that
cache with no upstream query and no validation again (positive answers, a
CNAME chain, NXDOMAIN and NODATA; secure data with AD and its RRSIGs, bogus
data still SERVFAIL with its EDE and kept no longer than val-bogus-ttl); the
format's sections, TTLs, RRSIGs and statuses; a bad file is refused with the
line named; and lookup NAME shows the delegation the resolver would use, with
measured RTTs."""

import re
import subprocess
import time

import dns.rcode
import dns.rdatatype

from conftest import CTL, answer_rdata, rand_label
from test_cache import settled_stats, upstream_queries_for
from test_validate import AD, NSEC, RRSIG, SERVFAIL, a_values, ask, ede, has

import servers


def dump(r):
    res = r.ctl("dump_cache")
    assert res.returncode == 0, res.stderr
    return res.stdout


def load(r, text):
    return subprocess.run([CTL, "-s", r.ctl_sock, "load_cache"], input=text,
                          capture_output=True, text=True, timeout=20)


def test_dump_then_load_into_a_fresh_daemon_answers_from_cache(make_resolver, lab):
    # the validator is on (the default): every entry carries its status
    first = make_resolver()
    rnd = ["%s.rnd.lab." % rand_label("d") for _ in range(20)]
    asked = [(n, "A") for n in rnd] + [
        ("www.alpha.lab.", "A"), ("www.alpha.lab.", "AAAA"), ("c1.alpha.lab.", "A"),
        ("mail.alpha.lab.", "MX"), ("big.alpha.lab.", "TXT"),
        ("nx.alpha.lab.", "A"), ("only4.alpha.lab.", "AAAA")]
    answers = {}
    for name, rdtype in asked:
        resp = first.query(name, rdtype, tcp=(rdtype == "TXT"))
        answers[(name, rdtype)] = resp
    text = dump(first)
    lines = text.splitlines()
    assert lines[0] == "START_RRSET_CACHE" and lines[-1] == "EOF", text[:200]
    assert "END_RRSET_CACHE" in lines and "START_NEGATIVE_CACHE" in lines
    assert lines.index("END_RRSET_CACHE") < lines.index("START_NEGATIVE_CACHE")
    # alpha.lab. is delegated without DS: insecure, nothing kept beside
    assert re.search(r"^;nxdomain nx\.alpha\.lab\. IN \d+ auth 1 0 insecure$", text, re.M), text
    assert re.search(r"^;nodata only4\.alpha\.lab\. IN AAAA \d+ auth 1 0 insecure$",
                     text, re.M), text
    m = re.search(r"^;rrset (\d+) 1 auth 0 insecure\n"
                  r"(www\.alpha\.lab\.)\s+(\d+)\s+IN\s+A\s+192\.0\.2\.10$", text, re.M)
    assert m and m.group(1) == m.group(3) and 250 <= int(m.group(1)) <= 300, text

    second = make_resolver()
    res = load(second, text)
    assert res.returncode == 0, res.stderr
    loaded = int(re.fullmatch(r"loaded (\d+) entries\n", res.stdout).group(1))
    assert loaded >= len(asked), res.stdout

    before = settled_stats(second)
    for (name, rdtype), old in answers.items():
        resp = second.query(name, rdtype, tcp=(rdtype == "TXT"))
        assert resp.rcode() == old.rcode(), (name, rdtype, resp)
        assert {str(x) for x in resp.answer} == {str(x) for x in old.answer} or \
            [sorted(rr.to_text().split()[4:] for rr in s) for s in resp.answer] == \
            [sorted(rr.to_text().split()[4:] for rr in s) for s in old.answer], (name, resp)
        if old.rcode() == dns.rcode.NOERROR and old.answer:
            assert resp.answer, (name, rdtype)
    after = second.stats()
    assert after["queries.upstream.total"] == before["queries.upstream.total"], (
        "the fresh daemon went upstream: %s" % after)
    assert after["cache.misses"] == before["cache.misses"], after
    for n in rnd:
        assert len(upstream_queries_for(lab, n)) == 1, n
        assert answer_rdata(second.query(n, "A"), n, "A") == {servers.rnd_address(n)}


SIGNED = [("www.sec13.lab.", "A"), ("www.sec8.lab.", "A"), ("alias.sec15.lab.", "A"),
          ("x.wild.sec13.lab.", "A"), ("nx.sec13.lab.", "A"), ("www.sec13.lab.", "TXT"),
          ("nx.nsec3.lab.", "A")]
BOGUS = [("www.tampered.lab.", 6), ("www.expired.lab.", 7), ("www.badds.lab.", 9),
         ("www.nosig.lab.", 10)]


# a record line of the dump: not an entry's header (";...") nor a section
# marker (END_RRSET_CACHE, START_NEGATIVE_CACHE, ...), which follow the
# last entry of a section
RECORD = r"(?!(?:START|END)_[A-Z_]+\n|EOF\n)[^;\n][^\n]*\n"


def entry_of(text, name, rdtype="A"):
    """The header line and records of the RRset entry NAME/RDTYPE in a dump."""
    m = re.search((r"^(;rrset [^\n]*)\n((?:%s\s+\d+\s+IN\s+%s\s[^\n]*\n)+)"
                   % (re.escape(name), rdtype)) + r"((?:" + RECORD + r")*)", text, re.M)
    assert m, "no entry for %s %s in the dump:\n%s" % (name, rdtype, text)
    return m.group(1).split(), m.group(2).splitlines(), m.group(3).splitlines()


def test_secure_and_bogus_entries_round_trip_with_rrsigs_and_status(make_resolver):
    """A validating daemon's dump carries each RRset's RRSIGs and status; a
    fresh validating daemon loaded with it answers secure data from the cache
    with AD and RRSIGs, and bogus data with SERVFAIL and the same EDE,
    without a query upstream and without validating again (no cache miss)."""
    first = make_resolver()
    for name, rdtype in SIGNED:
        r = ask(first, name, rdtype, do=True)
        assert r.flags & AD, (name, rdtype, r)
    for name, code in BOGUS:
        r = ask(first, name, do=True)
        assert r.rcode() == SERVFAIL and ede(r) == [code], (name, r)
    text = dump(first)
    head, recs, beside = entry_of(text, "www.sec13.lab.")
    assert head[1:] == [recs[0].split()[1], "1", "auth", "1", "secure"], head
    assert len(beside) == 1 and re.match(
        r"www\.sec13\.lab\.\s+\d+\s+IN\s+RRSIG\s+A 13 3 300 \d{14} \d{14} \d+ sec13\.lab\. \S+",
        beside[0]), beside
    head, _, beside = entry_of(text, "www.expired.lab.")
    assert head[5] == "bogus-expired" and int(head[1]) <= 60, head
    assert [l.split()[3] for l in beside] == ["RRSIG"], beside
    assert entry_of(text, "www.tampered.lab.")[0][5] == "bogus"
    assert entry_of(text, "www.nosig.lab.")[0][5] == "bogus-nosig"
    assert entry_of(text, "sec13.lab.", "DNSKEY")[0][5] == "secure"
    m = re.search(r"^;nxdomain nx\.sec13\.lab\. IN \d+ auth 1 (\d+) secure\n"
                  r"sec13\.lab\.\s+\d+\s+IN\s+SOA\s[^\n]*\n((?:" + RECORD + r")*)", text, re.M)
    assert m, text
    types = {l.split()[3] for l in m.group(2).splitlines()}
    assert int(m.group(1)) == len(m.group(2).splitlines()) and types == {"NSEC", "RRSIG"}, m.group(0)

    second = make_resolver()
    res = load(second, text)
    assert res.returncode == 0, res.stderr
    before = settled_stats(second)
    for attempt in ("cache", "packet cache"):
        for name, rdtype in SIGNED:
            r = ask(second, name, rdtype, do=True)
            assert r.flags & AD, "%s %s (%s): secure from the dump, AD" % (name, rdtype, attempt)
            if r.answer:
                assert has(r.answer, RRSIG), (name, rdtype, attempt, r)
            else:
                assert has(r.authority, RRSIG) and (has(r.authority, NSEC) or
                                                    has(r.authority, dns.rdatatype.NSEC3)), r
        r = ask(second, "www.sec13.lab.", do=True)
        assert a_values(r, "www.sec13.lab.") == ["192.0.2.50"]
        assert has(r.answer, RRSIG, dns.rdatatype.A)
        for name, code in BOGUS:
            r = ask(second, name, do=True)
            assert r.rcode() == SERVFAIL and not r.flags & AD, (name, attempt, r)
            assert ede(r) == [code], "%s (%s): still bogus, EDE %s" % (name, attempt, ede(r))
    after = second.stats()
    assert after["queries.upstream.total"] == before["queries.upstream.total"], after
    assert after["cache.misses"] == before["cache.misses"], "judged again: %s" % after


def test_loaded_bogus_entry_kept_only_val_bogus_ttl(make_resolver):
    """A bogus entry is kept val-bogus-ttl seconds however long the file
    says, and a status of the file cannot outlive that: once gone, the data
    is fetched and judged again (still bogus)."""
    first = make_resolver()
    r = ask(first, "www.tampered.lab.", do=True)
    assert r.rcode() == SERVFAIL
    text = dump(first)
    head = entry_of(text, "www.tampered.lab.")[0]
    assert head[5] == "bogus" and int(head[1]) <= 60, head
    # the same entry, claiming an hour
    longer = re.sub(r"^;rrset \d+ (1 auth 1 bogus\nwww\.tampered\.lab\.\s+)\d+",
                    r";rrset 3600 \g<1>3600", text, flags=re.M)
    assert longer != text
    second = make_resolver(val_bogus_ttl=2)
    res = load(second, longer)
    assert res.returncode == 0, res.stderr
    assert int(entry_of(dump(second), "www.tampered.lab.")[0][1]) <= 2
    before = settled_stats(second)["queries.upstream.total"]
    r = ask(second, "www.tampered.lab.", do=True)
    assert r.rcode() == SERVFAIL and ede(r) == [6]
    assert settled_stats(second)["queries.upstream.total"] == before, "from the cache"
    time.sleep(2.5)
    r = ask(second, "www.tampered.lab.", do=True)
    assert r.rcode() == SERVFAIL and ede(r) == [6]
    assert settled_stats(second)["queries.upstream.total"] > before, "expired: asked again"


def test_loaded_nsec_proofs_answer_by_synthesis(make_resolver):
    """The NSEC records of a secure negative entry go, when loaded, to the
    aggressive-NSEC index (RFC 8198) as the validator's own do: a fresh
    daemon answers another name of the same span NXDOMAIN, secure, with its
    proof, without asking upstream; a zone it holds no proof for is still
    asked."""
    first = make_resolver()
    r = ask(first, "nx1.sec13.lab.", do=True)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & AD
    second = make_resolver()
    res = load(second, dump(first))
    assert res.returncode == 0, res.stderr
    before = settled_stats(second)["queries.upstream.total"]
    r = ask(second, "nz2.sec13.lab.", do=True)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & AD, r
    assert has(r.authority, NSEC) and has(r.authority, RRSIG, NSEC), r
    assert settled_stats(second)["queries.upstream.total"] == before, "not synthesised"
    r = ask(second, "nz2.sec8.lab.", do=True)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & AD
    assert settled_stats(second)["queries.upstream.total"] > before


def test_load_cache_refuses_bad_input_naming_the_line(make_resolver):
    r = make_resolver(module_config='"iterator"')  # x.lab. is not in the signed lab.
    good = ("START_RRSET_CACHE\n;rrset 300 1 auth\n"
            "x.lab.\t300\tIN\tA\t192.0.2.99\nEND_RRSET_CACHE\n")
    cases = [
        ("", "line 1: the input ends before its EOF line"),
        ("garbage\n", "line 1: expected START_RRSET_CACHE"),
        (good + "START_NEGATIVE_CACHE\nEND_NEGATIVE_CACHE\n", "line 7: the input ends"),
        ("START_RRSET_CACHE\n;rrset 300 2 auth\nx.lab. 300 IN A 192.0.2.1\n"
         "y.lab. 300 IN A 192.0.2.2\n", "line 4: record not of the RRset"),
        ("START_RRSET_CACHE\n;rrset 300 1 best\n",
         "line 2: expected \";rrset TTL COUNT RANK NEXTRA SEC\""),
        ("START_RRSET_CACHE\n;rrset 300 1 auth 0 trusted\n", "line 2: expected \";rrset"),
        ("START_RRSET_CACHE\n;rrset 300 1 auth 65 secure\n", "line 2: expected \";rrset"),
        ("START_RRSET_CACHE\n;rrset 300 1 auth 1\n", "line 2: expected \";rrset"),
        ("START_RRSET_CACHE\n;rrset 300 1 auth 1 secure\nx.lab. 300 IN A 192.0.2.1\n"
         "x.lab. 300 CH A 192.0.2.1\n", "line 4: a record kept beside the entry is of another class"),
        ("START_RRSET_CACHE\n;rrset 300 1 auth 1 secure\nx.lab. 300 IN A 192.0.2.1\n"
         "x.lab. 300 IN RRSIG A 13 2 300 garbage\n", "line 4: not a record"),
        ("START_RRSET_CACHE\nEND_RRSET_CACHE\nSTART_NEGATIVE_CACHE\n"
         ";nxdomain x.lab. IN 300 auth 0 1 bogus-maybe\n", "line 4: expected \";nxdomain"),
        ("START_RRSET_CACHE\nEND_RRSET_CACHE\nSTART_NEGATIVE_CACHE\n"
         ";nodata x.lab. IN A 300 auth 0 1\n", "line 4: expected \";nodata"),
        ("START_RRSET_CACHE\n;rrset 300 1 auth\nx.lab. 300 IN A 192.0.2.300\n",
         "line 3: not a record"),
        ("START_RRSET_CACHE\n;rrset 99999999999 1 auth\n", "line 2: expected"),
    ]
    for text, want in cases:
        res = load(r, text)
        assert res.returncode == 1, (text, res)
        assert want in res.stderr, (text, res.stderr)
        assert res.stderr.count("\n") == 1, res.stderr
    # the entries before a fault stay; a complete file loads
    res = load(r, good + "START_NEGATIVE_CACHE\nEND_NEGATIVE_CACHE\nEOF\n")
    assert res.returncode == 0 and res.stdout == "loaded 1 entries\n", res
    resp = r.query("x.lab.", "A")
    assert answer_rdata(resp, "x.lab.", "A") == {"192.0.2.99"}


def test_lookup_shows_the_delegation_and_rtts(make_resolver):
    r = make_resolver()
    res = r.ctl("lookup", "www.alpha.lab")
    assert res.returncode == 0, res.stderr
    assert "zone . (root hints)" in res.stdout, res.stdout
    assert "127.1.0.1 (root hints)" in res.stdout, res.stdout
    r.query("www.alpha.lab.", "A")
    res = r.ctl("lookup", "x.www.alpha.lab")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("name x.www.alpha.lab.\n"), out
    assert re.search(r"^zone alpha\.lab\. \(delegation in the cache, NS ttl \d+\), servers:$",
                     out, re.M), out
    assert re.search(r"^  ns1\.alpha\.lab\.\n    127\.10\.0\.1 ttl \d+ rtt (\d+ ms|unknown)",
                     out, re.M), out
    assert re.search(r"rtt \d+ ms", out), "no RTT measured for any server: " + out
    bad = r.ctl("lookup", "a..b")
    assert bad.returncode == 1 and "not a domain name" in bad.stderr, bad
    usage = r.ctl("lookup")
    assert usage.returncode == 2, usage
