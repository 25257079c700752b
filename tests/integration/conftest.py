"""Fixtures for the integration tests: the lab and portcullis daemons.

Run inside the lab's network namespace (make integration does this):

    PC_BUILD=$PWD/build-asan tests/lab/netns-run /usr/bin/python3 -m pytest tests/integration

  lab            one tests/lab Lab per session (NSD + misbehaving servers)
  make_resolver  factory: make_resolver(extra_conf="", listen=None, **keys)
                 writes a config and starts $PC_BUILD/portcullis, ready to use
  resolver       a resolver with the default configuration

Keyword arguments of make_resolver are server: keys, underscores for dashes
(socket_pool_size=64 -> "socket-pool-size: 64"); True/False become yes/no, a
list repeats the key, None drops a default key. extra_conf is appended as is
(forward-zone:, stub-zone: clauses).
"""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import lab as lablib  # noqa: E402  (tests/lab/lab.py)

BUILD = os.environ.get("PC_BUILD") or os.path.join(REPO, "build-asan")
PORTCULLIS = os.path.join(BUILD, "portcullis")
CTL = os.path.join(BUILD, "portcullis-ctl")
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
LISTEN_POOL = ["127.0.0.%d" % i for i in range(53, 80)]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "privileged: needs real root (run by make integration under "
        "tests/lab/netns-run-root, in a second pass)")


def need_binary(path):
    if not os.access(path, os.X_OK):
        pytest.fail("portcullis binary not found: %s is missing or not executable "
                    "(build it, or set PC_BUILD to the build directory)" % path,
                    pytrace=False)


def conf_value(v):
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return str(v)


def sanitizer_report(text):
    """The first sanitizer line in TEXT, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line
    return None


class Resolver:
    """One portcullis process, its config and its control socket."""

    def __init__(self, workdir, listen, conf_text):
        self.workdir = workdir
        self.listen = listen
        self.conf_path = os.path.join(workdir, "portcullis.conf")
        self.ctl_sock = os.path.join(workdir, "ctl.sock")
        self.stderr_path = os.path.join(workdir, "stderr.log")
        self.proc = None
        self.checked = False
        with open(self.conf_path, "w") as f:
            f.write(conf_text)

    # ----- life cycle -----
    def start(self, wait=True, env=None):
        need_binary(PORTCULLIS)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [PORTCULLIS, "-c", self.conf_path], stdin=subprocess.DEVNULL,
                stdout=err, stderr=subprocess.STDOUT,
                env=None if env is None else dict(os.environ, **env))
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=READY_TIMEOUT):
        need_binary(CTL)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail("portcullis exited with %s before it was ready; "
                            "config %s; stderr:\n%s" % (
                                self.proc.returncode, self.conf_path,
                                self.stderr()), pytrace=False)
            r = subprocess.run([CTL, "-s", self.ctl_sock, "stats"],
                               capture_output=True, text=True, timeout=5)
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("portcullis not ready after %.0f s (portcullis-ctl "
                            "stats: %s); stderr:\n%s" % (
                                timeout, (r.stderr or r.stdout).strip(),
                                self.stderr()), pytrace=False)
            time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """The exit code, once the process has ended by itself."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("portcullis still running %.0f s later; stderr:\n%s" % (
                timeout, self.stderr()), pytrace=False)

    def stop(self):
        """SIGTERM; then the exit code must be 0 and stderr free of any
        sanitizer report. Safe to call again, and on a process that has
        already exited (which is then checked the same way)."""
        if self.proc is None or self.checked:
            return
        self.checked = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit()
        err = self.stderr()
        bad = sanitizer_report(err)
        assert bad is None, "sanitizer report from portcullis: %s\n%s" % (bad, err)
        assert code == 0, "portcullis exited with %s; stderr:\n%s" % (code, err)

    # ----- talking to it -----
    def make_query(self, name, rdtype="A", payload=1232):
        rdtype = dns.rdatatype.RdataType.make(rdtype)
        if payload is None:
            return dns.message.make_query(name, rdtype)
        return dns.message.make_query(name, rdtype, use_edns=0, payload=payload)

    def query(self, name, rdtype="A", tcp=False, timeout=5, payload=1232,
              source=None):
        """Ask the resolver; returns the dns.message.Message answer."""
        q = self.make_query(name, rdtype, payload)
        if tcp:
            return dns.query.tcp(q, self.listen, timeout=timeout, source=source)
        return dns.query.udp(q, self.listen, timeout=timeout, source=source)

    def ctl(self, *args, timeout=10):
        need_binary(CTL)
        return subprocess.run([CTL, "-s", self.ctl_sock] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def stats(self):
        r = self.ctl("stats")
        assert r.returncode == 0, "portcullis-ctl stats failed: %s" % r.stderr
        out = {}
        for line in r.stdout.splitlines():
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            assert sep, "stats line without '=': %r" % line
            try:
                out[key] = int(value)
            except ValueError:
                out[key] = float(value)
        return out

    def pool(self):
        r = self.ctl("pool", "--json")
        assert r.returncode == 0, "portcullis-ctl pool --json failed: %s" % r.stderr
        return json.loads(r.stdout)


def udp_sockets(pid):
    """[(family, address, port)] of every UDP socket PID holds."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    out = []
    for family, table in (("ip4", "/proc/net/udp"), ("ip6", "/proc/net/udp6")):
        with open(table) as f:
            next(f)
            for line in f:
                parts = line.split()
                addr, port = parts[1].split(":")
                if parts[9] in inodes:
                    out.append((family, addr, int(port, 16)))
    return out


def pool_ports(sockets, family):
    """Ports of the pool sockets of FAMILY (everything not on port 53)."""
    return [port for fam, _, port in sockets if fam == family and port != 53]


def tcp_exchange(addr, messages, timeout=5.0, source=None):
    """Send the wire-format MESSAGES back to back on one TCP connection and
    return the parsed replies, in arrival order."""
    s = socket.create_connection((addr, 53), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    with s:
        s.sendall(b"".join(struct.pack("!H", len(m)) + m for m in messages))
        replies = []
        for _ in messages:
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            replies.append(dns.message.from_wire(recv_exact(s, n)))
        return replies


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    if os.environ.get("PC_IN_NETNS") != "1":
        pytest.fail("the lab needs its own network namespace: run the tests as "
                    "tests/lab/netns-run /usr/bin/python3 -m pytest tests/integration "
                    "(or make integration)", pytrace=False)
    the_lab = lablib.Lab(str(tmp_path_factory.mktemp("lab")))
    the_lab.start()
    yield the_lab
    the_lab.stop()


@pytest.fixture
def make_resolver(lab, tmp_path_factory):
    started = []

    def make(extra_conf="", listen=None, start=True, **keys):
        if listen is None:
            busy = {r.listen for r in started if r.alive()}
            listen = next(a for a in LISTEN_POOL if a not in busy)
        workdir = str(tmp_path_factory.mktemp("r"))
        settings = {
            "interface": listen,
            "access-control": "127.0.0.0/8 allow",
            "root-hints": '"%s"' % lab.root_hints,
            "do-not-query-localhost": False,
            # the lab's root is signed with fresh keys at every start: its
            # anchor, or the built-in real root anchor makes all bogus
            "trust-anchor-file": '"%s"' % lab.trust_anchor,
            # fwd.lab. and stub.lab. exist only through forward-zone and
            # stub-zone clauses (lab.'s NSEC proves they do not exist):
            # private zones, which a validator must be told not to check
            "domain-insecure": ["fwd.lab.", "stub.lab."],
            "control-socket": '"%s"' % os.path.join(workdir, "ctl.sock"),
            "verbosity": 1,
        }
        for k, v in keys.items():
            settings[k.replace("_", "-")] = v
        lines = ["server:"]
        for k, v in settings.items():
            for item in (v if isinstance(v, (list, tuple)) else [v]):
                if item is not None:
                    lines.append("    %s: %s" % (k, conf_value(item)))
        text = "\n".join(lines) + "\n" + extra_conf
        r = Resolver(workdir, listen, text)
        started.append(r)
        if start:
            r.start()
        return r

    yield make
    errors = []
    for r in started:
        try:
            r.stop()
        except AssertionError as e:
            errors.append(str(e))
    lab.check_alive()
    assert not errors, "\n\n".join(errors)


@pytest.fixture
def resolver(make_resolver):
    return make_resolver()


# ----- helpers shared by the test modules (from conftest import ...) -----

ZONES_DIR = os.path.join(REPO, "tests", "lab", "zones")


def wait_for(pred, timeout=3.0):
    """True once pred() holds (polled every 50 ms), False after timeout s."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def zone_rdata(zone, name, rdtype):
    """The set of rdata texts the lab's zone file ZONE holds at NAME/RDTYPE
    (ground truth for an answer)."""
    import dns.zone
    z = dns.zone.from_file(os.path.join(ZONES_DIR, zone.rstrip(".") + ".zone"),
                           origin=zone, relativize=False)
    rds = z.get_rdataset(name, rdtype)
    assert rds is not None, "%s %s is not in zone %s" % (name, rdtype, zone)
    return {rd.to_text() for rd in rds}


def answer_rdata(msg, name, rdtype):
    """The set of rdata texts in MSG's answer section at NAME/RDTYPE."""
    import dns.name
    want = dns.name.from_text(name)
    rdtype = dns.rdatatype.RdataType.make(rdtype)
    out = set()
    for rrset in msg.answer:
        if rrset.name == want and rrset.rdtype == rdtype:
            out |= {rd.to_text() for rd in rrset}
    return out


def rand_label(prefix="t"):
    return "%s%s" % (prefix, os.urandom(6).hex())
