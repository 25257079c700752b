"""dnstap: the dnstap: clause writes Frame Streams to a collector's UNIX
socket. Debian's fstrm_capture (fstrm-bin) receives them, Debian's
dnstap-ldns decodes them, and the decoded messages must be the queries the
test sent (names, types, message kinds, transports), the answers, and the
upstream traffic they caused."""

import os
import re
import shutil
import signal
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import rand_label, wait_for

# 2026-12-05 10:59:50.077332 CQ 127.0.0.1 UDP 53b "version.bind." CH TXT
LINE = re.compile(r'^\S+ \S+ (CQ|CR|RQ|RR) (\S+) (UDP|TCP) (\d+)b "([^"]*)" (\S+) (\S+)$')


def need_tools():
    for tool in ("fstrm_capture", "dnstap-ldns"):
        if shutil.which(tool) is None:
            pytest.fail("%s is missing: scripts/deps.sh test installs fstrm-bin and "
                        "dnstap-ldns" % tool, pytrace=False)


class Capture:
    def __init__(self, tmp_path):
        self.sock = str(tmp_path / "dnstap.sock")
        self.out = str(tmp_path / "dnstap.fstrm")
        self.log = open(tmp_path / "capture.log", "wb")
        self.proc = subprocess.Popen(
            ["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", self.sock, "-w", self.out],
            stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_for(lambda: os.path.exists(self.sock), 5), "fstrm_capture did not start"

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)
        self.log.close()

    def decode(self, *args):
        r = subprocess.run(["dnstap-ldns", "-r", self.out] + list(args),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout


@pytest.fixture
def capture(tmp_path):
    need_tools()
    c = Capture(tmp_path)
    yield c
    if c.proc.poll() is None:
        c.proc.kill()
        c.proc.wait()


DNSTAP_ALL = """dnstap:
    dnstap-enable: yes
    dnstap-socket-path: "%s"
    dnstap-send-identity: yes
    dnstap-identity: "tap-test"
    dnstap-send-version: yes
    dnstap-log-client-query-messages: yes
    dnstap-log-client-response-messages: yes
    dnstap-log-resolver-query-messages: yes
    dnstap-log-resolver-response-messages: yes
"""


def dig(r, name, rdtype, tcp=False, tool="dig"):
    if tool == "kdig":
        cmd = ["kdig", "+time=3", "+retry=0", "@" + r.listen, name, rdtype]
    else:
        cmd = ["dig", "+time=3", "+tries=1", "@" + r.listen, name, rdtype]
    if tcp:
        cmd.insert(1, "+tcp")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr


def test_frames_match_the_queries(make_resolver, capture):
    r = make_resolver(extra_conf=DNSTAP_ALL % capture.sock, num_threads=2)
    sent = [("%s.rnd.lab." % rand_label("d"), "A", False, "dig"),
            ("www.alpha.lab.", "AAAA", False, "kdig"),
            ("%s.rnd.lab." % rand_label("t"), "TXT", True, "kdig")]
    for name, rdtype, tcp, tool in sent:
        dig(r, name, rdtype, tcp, tool)
    dig(r, sent[0][0], "A")            # again: from the cache, no upstream traffic
    assert r.stats()["dnstap.dropped"] == 0
    r.stop()                           # flushes the writer
    capture.stop()
    lines = [LINE.match(l) for l in capture.decode("-q").splitlines()]
    assert all(lines), capture.decode("-q")
    msgs = [m.groups() for m in lines]
    client = [(k, n, t, p) for k, addr, p, _, n, cls, t in msgs if k in ("CQ", "CR")]
    # every query and its answer, in order per query, with name, type, transport
    want = []
    for name, rdtype, tcp, _ in sent + [(sent[0][0], "A", False, "dig")]:
        proto = "TCP" if tcp else "UDP"
        want += [("CQ", name, rdtype, proto), ("CR", name, rdtype, proto)]
    assert sorted(client) == sorted(want)
    # each thread has its own queue, so frames of different threads may
    # arrive in any order; their time stamps keep the order of events
    stamps = [l.split(" ", 3) for l in capture.decode("-q").splitlines()]
    cq = sorted((d + " " + t, n) for d, t, k, rest in stamps if k == "CQ"
                for n in [LINE.match("%s %s %s %s" % (d, t, k, rest)).group(5)])
    assert [n for _, n in cq] == [name for name, *_ in sent] + [sent[0][0]]
    assert all(addr == "127.0.0.1" for k, addr, *_ in msgs if k in ("CQ", "CR"))
    # the upstream side: each name was asked (0x20 letter case aside, and
    # after the minimised steps) and answered by a lab server
    upstream = [(k, addr, n.lower(), t) for k, addr, _, _, n, _, t in msgs if k in ("RQ", "RR")]
    for name, rdtype, _, _ in sent:
        assert ("RQ", name, rdtype) in {(k, n, t) for k, _, n, t in upstream}, upstream
        assert ("RR", name, rdtype) in {(k, n, t) for k, _, n, t in upstream}, upstream
    assert all(addr.startswith("127.") or ":" in addr for _, addr, _, _ in upstream)
    # the cached repeat caused no second upstream query for its name
    assert sum(1 for k, _, n, t in upstream if k == "RQ" and n == sent[0][0] and t == "A") == 1
    yaml = capture.decode("-y")
    assert 'identity: "tap-test"' in yaml
    assert 'version: "portcullis ' in yaml


def test_only_client_queries(make_resolver, capture):
    conf = ("dnstap:\n    dnstap-enable: yes\n    dnstap-socket-path: \"%s\"\n"
            "    dnstap-log-client-query-messages: yes\n" % capture.sock)
    r = make_resolver(extra_conf=conf)
    name = "%s.rnd.lab." % rand_label("c")
    dig(r, name, "A")
    r.stop()
    capture.stop()
    text = capture.decode("-q")
    msgs = [LINE.match(l) for l in text.splitlines()]
    assert all(msgs), text
    assert [(m.group(1), m.group(5), m.group(7)) for m in msgs] == [("CQ", name, "A")]
    assert "identity" not in capture.decode("-y")


def test_collector_absent_does_not_block(make_resolver, tmp_path):
    """No collector: the daemon answers as usual, the messages are dropped
    (counted) and nothing waits on the socket."""
    conf = DNSTAP_ALL % (tmp_path / "nobody.sock")
    r = make_resolver(extra_conf=conf)
    t0 = time.monotonic()
    for _ in range(50):
        r.query("www.alpha.lab.", "A")
    assert time.monotonic() - t0 < 10
    assert r.stats()["queries.client.total"] == 50


def test_needs_socket_path(tmp_path):
    from conftest import PORTCULLIS
    conf = tmp_path / "p.conf"
    conf.write_text("server:\n    interface: 127.0.0.9\ndnstap:\n    dnstap-enable: yes\n")
    r = subprocess.run([PORTCULLIS, "-c", str(conf), "--check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 2
    assert r.stderr.strip().endswith("p.conf:4: dnstap-enable: needs dnstap-socket-path"), r.stderr


def test_referrals_spare_the_ds_question(make_resolver, capture):
    """lab. delegates alpha.lab. without a DS and its referral carries the
    NSEC proof of that: the validator uses the proof from the referral
    (checked against lab.'s keys) and asks nobody for alpha.lab. DS; likewise
    the referral to sec13.lab. carries its signed DS set, which serves the
    validator without a DS question of its own."""
    conf = ("dnstap:\n    dnstap-enable: yes\n    dnstap-socket-path: \"%s\"\n"
            "    dnstap-log-resolver-query-messages: yes\n" % capture.sock)
    r = make_resolver(extra_conf=conf)
    q = dns.message.make_query("www.alpha.lab.", "A", want_dnssec=True)
    a = dns.query.udp(q, r.listen, timeout=8)
    assert a.rcode() == dns.rcode.NOERROR and a.answer
    assert not a.flags & dns.flags.AD, "alpha.lab. is insecure"
    q = dns.message.make_query("www.sec13.lab.", "A", want_dnssec=True)
    a = dns.query.udp(q, r.listen, timeout=8)
    assert a.rcode() == dns.rcode.NOERROR and a.answer
    assert a.flags & dns.flags.AD, "sec13.lab. is secure"
    r.stop()
    capture.stop()
    msgs = [LINE.match(l) for l in capture.decode("-q").splitlines()]
    assert all(msgs)
    asked = {(m.group(5).lower(), m.group(7)) for m in msgs if m.group(1) == "RQ"}
    assert ("www.alpha.lab.", "A") in asked, asked
    assert ("lab.", "DNSKEY") in asked, "the resolver did not validate: %s" % asked
    assert ("alpha.lab.", "DS") not in asked, asked
    assert ("sec13.lab.", "DNSKEY") in asked, asked
    assert ("sec13.lab.", "DS") not in asked, asked
