"""make demo (tests/lab/demo.sh): it runs, every answer is right, and it
tells the port story: a pool port that carried a query, what
portcullis-port says about it, and the same port free after a rotation.

The demo starts its own lab on the lab's addresses, so it runs in a network
namespace of its own (demo.sh re-enters tests/lab/netns-run when
PC_IN_NETNS is not set), nested in the one the tests run in.
"""
import os
import re
import subprocess

import pytest

from conftest import BUILD, REPO

DEMO = os.path.join(REPO, "tests", "lab", "demo.sh")


def run_demo(*args):
    env = {k: v for k, v in os.environ.items() if k != "PC_IN_NETNS"}
    r = subprocess.run([DEMO, *args, BUILD], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, "demo failed (%d):\n%s\n%s" % (r.returncode, r.stdout, r.stderr)
    return r.stdout


@pytest.fixture(scope="module")
def demo_out():
    return run_demo()


def test_demo_answers_right(demo_out):
    assert "demo: all answers right" in demo_out
    assert "WRONG" not in demo_out
    assert demo_out.count("=> ok:") >= 18


def test_demo_shows_validation(demo_out):
    for line in ("=> ok: secure answer: AD set", "=> ok: bogus answer: SERVFAIL",
                 "=> ok: bogus answer: EDE 7", "=> ok: CD: the data, unvalidated"):
        assert line in demo_out
    assert "EDE: 7 (Signature Expired)" in demo_out


def test_demo_tells_the_port_story(demo_out):
    pid = int(re.search(r"portcullis up on 127\.0\.0\.53 \(pid (\d+)\)", demo_out).group(1))
    port = int(re.search(r"# Which process holds port (\d+), and why\?", demo_out).group(1))
    assert 49152 <= port <= 65535
    before = demo_out.split("$ portcullis-port %d\n" % port, 1)[1].split("=> ok:", 1)[0]
    flat = " ".join(before.split())
    # The dynamic-range facts, the registry's silence, the answer.
    assert "IANA range Dynamic/Private (49152-65535): never assigned by IANA" in flat
    assert "none: IANA never assigns Dynamic/Private ports (RFC 6335)" in flat
    assert "Windows DNS Server socket pool" in flat
    m = re.search(r"In use UDP socket of portcullis\[(\d+)\], pool socket, (\d+) "
                  r"(query|queries) sent, the last [\d.]+ m?s ago to (127\.[\d.]+|::1):53", flat)
    assert m, flat
    assert int(m.group(1)) == pid and int(m.group(2)) >= 1
    assert "recent peers" in flat and "Free tcp yes, udp no" in flat
    # The demo checked the answer against the daemon's own record.
    assert "=> ok: port %d: dynamic, not in the registry, a pool socket in use" % port in demo_out
    assert "=> ok: portcullis-port's answer" in demo_out
    # Then the rotation, and the same port free.
    rot = re.search(r"\$ portcullis-ctl -s SOCK pool rotate\n\s+rotated (\d+)", demo_out)
    assert rot and int(rot.group(1)) == 5000
    after = demo_out.split("$ portcullis-port %d      (after the rotation)\n" % port, 1)[1]
    after = " ".join(after.split("=> ok: port", 1)[0].split())
    assert "Free tcp yes, udp yes" in after
    assert "In use no socket here has it as its local port" in after
    assert "Sockets (0)" in after
    assert "=> ok: port %d free again after pool rotate" % port in demo_out
    # The story fits a terminal: portcullis-port's 80 columns, indented by 3.
    story = demo_out.split("# Which process holds port", 1)[1].split("exit status after", 1)[0]
    assert max(len(l) for l in story.splitlines()) <= 83


def test_demo_stats_are_short_unless_asked(demo_out):
    stats = demo_out.split("$ portcullis-ctl -s SOCK stats", 1)[1].split("\n\n", 1)[0]
    keys = [l.split("=")[0].strip() for l in stats.splitlines()[1:]]
    assert "cache.hits" in keys and "queries.upstream.udp" in keys
    assert "pool.rotations" in keys
    assert not any(k.startswith("worker.") or k.startswith("cookies.") for k in keys), keys
    assert len(keys) <= 15
    full = run_demo("--full-stats")
    stats = full.split("$ portcullis-ctl -s SOCK stats", 1)[1].split("\n\n", 1)[0]
    keys = [l.split("=")[0].strip() for l in stats.splitlines()[1:]]
    assert "worker.0.queries" in keys and "uptime.seconds" in keys and len(keys) > 40
    assert "demo: all answers right" in full
