"""Who reads worker 0's UDP socket (num-threads 1): its reader thread while
cache hits dominate, the loop's own thread while many of the reader's
wake-ups find a cache miss (so that a miss is resolved where it was read,
without waking a second thread), switching over windows of 256 wake-ups
(src/net/listen_udp.c). The switches are logged at verbosity 3. Whoever
reads, every answer must be right, and the daemon must stop cleanly in
either state."""

import servers

from conftest import answer_rdata, rand_label, wait_for

TO_LOOP = "misses are common, read by the loop's thread"
TO_READER = "misses are rare, read by its reader"
WINDOW = 256


def ask_new_names(r, n, prefix):
    """n names never asked before (rnd.lab. answers any name), one at a
    time: every query is a wake-up that finds a miss. Returns the names."""
    names = ["%s.rnd.lab." % rand_label(prefix) for _ in range(n)]
    for name in names:
        m = r.query(name, "A")
        assert answer_rdata(m, name, "A") == {servers.rnd_address(name)}, name
    return names


def ask_again(r, names):
    for name in names:
        m = r.query(name, "A")
        assert answer_rdata(m, name, "A") == {servers.rnd_address(name)}, name


def test_loop_reads_while_misses_are_common_and_gives_back(make_resolver):
    r = make_resolver(verbosity=3)
    before = r.stats()
    names = ask_new_names(r, WINDOW + 100, "a")
    assert wait_for(lambda: TO_LOOP in r.stderr()), \
        "still read by the reader after %d misses in a row" % (WINDOW + 100)
    assert TO_READER not in r.stderr()
    # the loop thread resolves what it reads: misses and hits answered
    ask_new_names(r, 20, "b")
    ask_again(r, names[:20])
    # hits only: the reader takes the socket back once a whole window has
    # had (almost) none; the window under way when the hits began may hold
    # up to WINDOW - 1 of the misses above, so two windows of hits
    ask_again(r, names + names)
    assert wait_for(lambda: TO_READER in r.stderr()), \
        "still read by the loop after %d hits in a row" % (2 * len(names))
    # and answers both again, read by the reader
    ask_new_names(r, 10, "c")
    ask_again(r, names[:10])
    after = r.stats()
    assert after["cache.misses"] - before["cache.misses"] >= WINDOW + 130
    assert r.stderr().count(TO_LOOP) == 1 and r.stderr().count(TO_READER) == 1


def test_stops_cleanly_while_the_loop_reads(make_resolver):
    r = make_resolver(verbosity=3)
    ask_new_names(r, WINDOW + 50, "d")
    assert wait_for(lambda: TO_LOOP in r.stderr())
    # the fixture stops it: the parked reader must be woken and joined,
    # and the process exit with status 0 and no sanitizer report
    r.stop()
