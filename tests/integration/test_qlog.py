"""log-queries and log-replies: one line per query and per answer, in
Unbound's shape, only when asked for."""

import re
import subprocess

from conftest import rand_label

import servers

TS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z portcullis\[\d+\] "
QUERY = re.compile(TS + r"info: (\S+) (\S+) (\S+) (\S+)$")
REPLY = re.compile(TS + r"info: (\S+) (\S+) (\S+) (\S+) (\S+) (\d+\.\d{6}) ([01]) (\d+)$")


def lines(r, pattern):
    return [m.groups() for m in map(pattern.match, r.stderr().splitlines()) if m]


def test_query_and_reply_lines(make_resolver, lab):
    r = make_resolver(log_queries=True, log_replies=True)
    name = "%s.rnd.lab." % rand_label("q")
    first = r.query(name, "A")           # a miss
    second = r.query(name, "A")          # a hit (packet cache: same bytes but the ID)
    third = r.query(name, "A", tcp=True)  # a hit over TCP
    nx = "%s.alpha.lab." % rand_label("nx")
    out = subprocess.run(["dig", "+time=3", "@" + r.listen, nx, "AAAA"],
                         capture_output=True, text=True, timeout=10)
    assert "NXDOMAIN" in out.stdout
    ch = subprocess.run(["dig", "+time=3", "@" + r.listen, "version.bind", "CH", "TXT"],
                        capture_output=True, text=True, timeout=10)
    assert "NOERROR" in ch.stdout        # answered locally
    r.stop()
    queries = lines(r, QUERY)
    replies = lines(r, REPLY)
    assert queries[:3] == [("127.0.0.1", name, "A", "IN")] * 3, queries
    assert queries[3] == ("127.0.0.1", nx, "AAAA", "IN")
    sizes = [len(m.to_wire()) for m in (first, second, third)]
    got = [(c, n, t, k, rc, cached, int(size)) for c, n, t, k, rc, _, cached, size in replies]
    assert got[0] == ("127.0.0.1", name, "A", "IN", "NOERROR", "0", sizes[0])
    assert got[1] == ("127.0.0.1", name, "A", "IN", "NOERROR", "1", sizes[1])
    assert got[2] == ("127.0.0.1", name, "A", "IN", "NOERROR", "1", sizes[2])
    assert got[3][:6] == ("127.0.0.1", nx, "AAAA", "IN", "NXDOMAIN", "0")
    # time taken: a resolution takes longer than a hit, and both are short
    t_miss, t_hit = float(replies[0][5]), float(replies[1][5])
    assert 0 < t_miss < 5 and 0 <= t_hit < 0.5
    # every query got its answer's line (version.bind included)
    assert len(queries) == len(replies) == 5
    assert queries[4] == ("127.0.0.1", "version.bind.", "TXT", "CH")
    assert replies[4][4:5] == ("NOERROR",) and replies[4][6] == "0"
    assert servers.rnd_address(name) in str(first.answer[0])


def test_replies_only(make_resolver):
    r = make_resolver(log_replies=True)
    r.query("www.alpha.lab.", "A")
    r.stop()
    replies = lines(r, REPLY)
    assert len(replies) == 1 and replies[0][1] == "www.alpha.lab."
    # no query line: every info line is a reply line
    info = [l for l in r.stderr().splitlines() if " info: " in l]
    assert info and all(REPLY.match(l) for l in info), info


def test_off_by_default_and_at_verbosity_0(make_resolver):
    r = make_resolver()
    r.query("www.alpha.lab.", "A")
    r.stop()
    assert "www.alpha.lab" not in r.stderr()
    # on, the lines come whatever the verbosity (as Unbound's)
    q = make_resolver(log_queries=True, verbosity=0)
    q.query("www.alpha.lab.", "A")
    q.stop()
    assert lines(q, QUERY) == [("127.0.0.1", "www.alpha.lab.", "A", "IN")]
