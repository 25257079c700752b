"""dump_cache / load_cache: the dump of a resolver's cache, loaded into a
fresh daemon, answers the same questions from that cache with no upstream
query (positive answers, a CNAME chain, NXDOMAIN and NODATA); the format's
sections and TTLs; a bad file is refused with the line named; and lookup
NAME shows the delegation the resolver would use, with measured RTTs."""

import re
import subprocess

import dns.rcode

from conftest import CTL, answer_rdata, rand_label
from test_cache import settled_stats, upstream_queries_for

import servers


def dump(r):
    res = r.ctl("dump_cache")
    assert res.returncode == 0, res.stderr
    return res.stdout


def load(r, text):
    return subprocess.run([CTL, "-s", r.ctl_sock, "load_cache"], input=text,
                          capture_output=True, text=True, timeout=20)


# The dump does not carry RRSIGs or the validator's statuses yet: a loaded
# entry is unchecked, and a validating daemon validates it again upstream
# before answering. These tests run without the validator, where a load
# answers from the cache alone.
NO_VALIDATOR = '"iterator"'


def test_dump_then_load_into_a_fresh_daemon_answers_from_cache(make_resolver, lab):
    first = make_resolver(module_config=NO_VALIDATOR)
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
    assert re.search(r"^;nxdomain nx\.alpha\.lab\. IN \d+ auth 1$", text, re.M), text
    assert re.search(r"^;nodata only4\.alpha\.lab\. IN AAAA \d+ auth 1$", text, re.M), text
    m = re.search(r"^;rrset (\d+) 1 auth\n(www\.alpha\.lab\.)\s+(\d+)\s+IN\s+A\s+192\.0\.2\.10$",
                  text, re.M)
    assert m and m.group(1) == m.group(3) and 250 <= int(m.group(1)) <= 300, text

    second = make_resolver(module_config=NO_VALIDATOR)
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


def test_load_cache_refuses_bad_input_naming_the_line(make_resolver):
    r = make_resolver(module_config=NO_VALIDATOR)
    good = ("START_RRSET_CACHE\n;rrset 300 1 auth\n"
            "x.lab.\t300\tIN\tA\t192.0.2.99\nEND_RRSET_CACHE\n")
    cases = [
        ("", "line 1: the input ends before its EOF line"),
        ("garbage\n", "line 1: expected START_RRSET_CACHE"),
        (good + "START_NEGATIVE_CACHE\nEND_NEGATIVE_CACHE\n", "line 7: the input ends"),
        ("START_RRSET_CACHE\n;rrset 300 2 auth\nx.lab. 300 IN A 192.0.2.1\n"
         "y.lab. 300 IN A 192.0.2.2\n", "line 4: record not of the RRset"),
        ("START_RRSET_CACHE\n;rrset 300 1 best\n", "line 2: expected \";rrset TTL COUNT RANK\""),
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
