#!/usr/bin/python3
"""The portcullis lab: a miniature DNS on loopback (see README.md).

    lab = Lab(workdir)
    lab.start()      # NSD instances + misbehaving servers, all answering
    ...              # point a resolver at lab.root_hints
    lab.stop()       # raises LabError if a server died on its own

or from a shell, inside tests/lab/netns-run:

    python3 tests/lab/lab.py up WORKDIR     # runs until SIGTERM / SIGINT

Everything listens on port 53 of 127.x addresses (and ::1), so the lab must
run in a private network namespace.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import signer  # tests/lab/signer.py

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES_DIR = os.path.join(HERE, "zones")
SERVERS_PY = os.path.join(HERE, "servers.py")

# NSD instances: (name, address, [(zone, zone file)]). One instance per
# address, as in the real world each server has its own process.
NSD = [
    ("root-a", "127.1.0.1", [(".", "root.zone")]),
    ("root-b", "127.1.0.2", [(".", "root.zone")]),
    ("lab-1", "127.2.0.1", [("lab.", "lab.zone")]),
    ("lab-2", "127.2.0.2", [("lab.", "lab.zone")]),
    ("net-1", "127.3.0.1", [("net.", "net.zone")]),
    ("alpha-1", "127.10.0.1", [("alpha.lab.", "alpha.lab.zone")]),
    ("alpha-2", "127.10.0.2", [("alpha.lab.", "alpha.lab.zone")]),
    ("dept", "127.10.1.1", [("dept.alpha.lab.", "dept.alpha.lab.zone")]),
    ("beta", "127.11.0.1", [("beta.net.", "beta.net.zone")]),
    ("gamma", "127.12.0.1", [("gamma.lab.", "gamma.lab.zone")]),
    ("six", "::1", [("six.lab.", "six.lab.zone")]),
]

# Misbehaving servers (servers.py): (name, kind, address, zone, ns list,
# extra arguments). The ns list gives every name server of the zone, so each
# server answers for its siblings too.
MISBEHAVING = [
    ("flaky-1", "silent", "127.20.0.1", ["flaky.lab."],
     ["ns1=127.20.0.1", "ns2=127.20.0.2"], []),
    ("flaky-2", "normal", "127.20.0.2", ["flaky.lab."],
     ["ns1=127.20.0.1", "ns2=127.20.0.2"], []),
    ("dead", "silent", "127.20.0.3", ["dead.lab."], ["ns=127.20.0.3"], []),
    ("slow", "slow", "127.20.0.4", ["slow.lab."], ["ns=127.20.0.4"],
     ["--delay", "500"]),
    ("wrongid", "wrongid", "127.20.0.5", ["wrongid.lab."],
     ["ns=127.20.0.5"], []),
    ("wrongsrc", "wrongsrc", "127.20.0.6", ["wrongsrc.lab."],
     ["ns=127.20.0.6"], ["--fake-src", "127.20.0.106"]),
    ("wrongq", "wrongq", "127.20.0.7", ["wrongq.lab."], ["ns=127.20.0.7"], []),
    ("malformed", "malformed", "127.20.0.8", ["malformed.lab."],
     ["ns=127.20.0.8"], []),
    ("tcloop", "tcloop", "127.20.0.9", ["tcloop.lab."], ["ns=127.20.0.9"], []),
    # fwd.lab. and stub.lab. exist nowhere in the delegation tree: only a
    # resolver configured to forward (or stub) them to the recorder gets an
    # answer for them.
    ("rnd", "recorder", "127.30.0.1", ["rnd.lab.", "fwd.lab.", "stub.lab."],
     ["ns=127.30.0.1"], []),
    ("nocase", "nocase", "127.20.0.10", ["nocase.lab."], ["ns=127.20.0.10"], []),
    ("cookie", "cookie", "127.20.0.11", ["cookie.lab."], ["ns=127.20.0.11"], []),
    # the iterator's quirks: answers without AA, repeated and one-link CNAMEs,
    # a lame server beside a good one, an unreachable NS address, a glueless
    # NS inside the zone it serves
    ("noaa", "noaa", "127.20.0.12", ["noaa.lab."], ["ns=127.20.0.12"], []),
    ("cnames", "cnames", "127.20.0.13", ["cnames.lab."], ["ns=127.20.0.13"], []),
    ("lame-1", "upward", "127.20.0.14", ["lame.lab.", "uplame.lab."],
     ["ns1=127.20.0.14", "ns2=127.20.0.15"], []),
    ("lame-2", "normal", "127.20.0.15", ["lame.lab."],
     ["ns1=127.20.0.14", "ns2=127.20.0.15"], []),
    ("unreach", "normal", "127.20.0.16", ["unreach.lab.", "glueless.net."],
     ["ns1=127.40.0.1", "ns2=127.20.0.16"], []),
    ("entfail", "entfail", "127.20.0.17", ["entfail.lab."], ["ns=127.20.0.17"], []),
]

# NSD instances that answer DNS cookies (RFC 7873, NSD's answer-cookie).
NSD_COOKIES = {"gamma"}

# Servers that never answer: readiness is "sockets bound", not "answers SOA".
SILENT = {"flaky-1", "dead"}

ROOT_HINTS = """\
; root hints of the portcullis lab (tests/lab/lab.py)
.                     3600000  NS    a.root.lab.
.                     3600000  NS    b.root.lab.
a.root.lab.           3600000  A     127.1.0.1
b.root.lab.           3600000  A     127.1.0.2
"""

START_TIMEOUT = 20.0


class LabError(Exception):
    pass


class Lab:
    def __init__(self, workdir):
        self.workdir = os.path.abspath(workdir)
        self.procs = {}  # name -> (Popen, log path)
        self.root_hints = os.path.join(self.workdir, "root.hints")
        self.rnd_log = os.path.join(self.workdir, "rnd.log")
        # the root's KSK DS and DNSKEY set, fresh every start (signer.py)
        self.trust_anchor = os.path.join(self.workdir, "root.anchor")
        self.root_dnskey = os.path.join(self.workdir, "root.dnskey")
        self.signed = {}  # zone -> signed zone file
        self.started = False
        # DNSKEY queries root_rollover sent to the root's servers itself
        self.own_dnskey_queries = 0

    # ----- configuration -----
    def nsd_conf(self, name, addr, zones):
        d = os.path.join(self.workdir, "nsd", name)
        os.makedirs(os.path.join(d, "xfr"), exist_ok=True)
        lines = [
            "server:",
            "    ip-address: %s" % addr,
            "    port: 53",
            '    username: ""',
            '    chroot: ""',
            "    server-count: 1",
            "    verbosity: 1",
            "    hide-version: yes",
            "    refuse-any: no",
            # Debian's NSD limits responses per source by default (200/s),
            # which throttles floods from the one address a test uses.
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            "    do-ip4: %s" % ("no" if ":" in addr else "yes"),
            "    do-ip6: %s" % ("yes" if ":" in addr else "no"),
            '    pidfile: "%s/nsd.pid"' % d,
            '    zonelistfile: "%s/zone.list"' % d,
            '    xfrdfile: "%s/xfrd.state"' % d,
            '    xfrdir: "%s/xfr"' % d,
            '    database: ""',
            '    zonesdir: "%s"' % ZONES_DIR,
        ]
        if name in NSD_COOKIES:
            lines += ["    answer-cookie: yes",
                      '    cookie-secret-file: "%s/cookiesecrets.txt"' % d]
        # nsd-control over a local socket (no keys): Lab.nsd_stats
        lines += [
            "remote-control:",
            "    control-enable: yes",
            '    control-interface: "%s/nsd.sock"' % d,
        ]
        for zone, zfile in zones:
            lines += ["zone:",
                      '    name: "%s"' % zone,
                      '    zonefile: "%s"' % os.path.join(ZONES_DIR, zfile)]
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return conf

    def nsd_instances(self):
        """NSD with the signed files in place of the root's and lab.'s, and
        the instance that serves the signed zones below lab."""
        for name, addr, zones in NSD:
            yield name, addr, [(z, self.signed.get(z, f)) for z, f in zones]
        yield ("signed", signer.SIGNED_ADDR,
               [(z, f) for z, f in sorted(self.signed.items()) if z not in (".", "lab.")])

    # ----- processes -----
    def spawn(self, name, argv):
        log = os.path.join(self.workdir, "logs", name + ".log")
        out = open(log, "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs[name] = (p, log)

    def start(self):
        if self.started:
            raise LabError("lab already started")
        os.makedirs(os.path.join(self.workdir, "logs"), exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "ready"), exist_ok=True)
        with open(self.root_hints, "w") as f:
            f.write(ROOT_HINTS)
        open(self.rnd_log, "w").close()
        self.started = True
        try:
            self.signed = signer.sign_lab(self.workdir)
            for name, addr, zones in self.nsd_instances():
                conf = self.nsd_conf(name, addr, zones)
                self.spawn("nsd-" + name, ["nsd", "-d", "-c", conf])
            for name, kind, addr, zones, ns, extra in MISBEHAVING:
                argv = [sys.executable, SERVERS_PY, "--kind", kind,
                        "--addr", addr,
                        "--ready", os.path.join(self.workdir, "ready", name)]
                for z in zones:
                    argv += ["--zone", z]
                for n in ns:
                    argv += ["--ns", n]
                if kind == "recorder":
                    argv += ["--log", self.rnd_log]
                else:
                    argv += ["--log", self.query_log(name)]
                self.spawn("srv-" + name, argv + extra)
            self.wait_ready()
        except BaseException:
            self.kill_all()
            raise

    def probes(self):
        """(process name, address, zone) for every server that answers."""
        for name, addr, zones in self.nsd_instances():
            yield "nsd-" + name, addr, zones[0][0]
        for name, _, addr, zones, _, _ in MISBEHAVING:
            if name not in SILENT:
                yield "srv-" + name, addr, zones[0]

    def root_rollover(self, stage, timeout=10.0):
        """One stage of an RFC 5011 rollover of the root's KSK
        (signer.root_rollover): re-sign, make the root's NSD instances
        reload (SIGHUP), and wait until both serve the new DNSKEY set.
        Returns signer.root_rollover's key tags."""
        tags = signer.root_rollover(self.workdir, stage)
        want = {"prepublish": {tags["old"], tags["new"]},
                "revoke": {tags["revoked"], tags["new"]},
                "remove": {tags["new"]},
                "restore": {tags["old"]}}[stage]
        roots = [(name, addr) for name, addr, zones in NSD if zones[0][0] == "."]
        for name, _ in roots:
            self.procs["nsd-" + name][0].send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        for _, addr in roots:
            while True:
                r, _ = ask(addr, ".", dns.rdatatype.DNSKEY)
                self.own_dnskey_queries += 1
                ksks = set()
                if r is not None:
                    for rrset in r.answer:
                        if rrset.rdtype == dns.rdatatype.DNSKEY:
                            ksks |= {dns.dnssec.key_id(k) for k in rrset if k.flags & 1}
                if ksks == want:
                    break
                if time.monotonic() > deadline:
                    raise LabError("root at %s serves KSKs %s, not %s after the %s stage"
                                   % (addr, sorted(ksks), sorted(want), stage))
                time.sleep(0.1)
        return tags

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(self.probes())
        silent = [n for n, *_ in MISBEHAVING if n in SILENT]
        while pending or silent:
            self.check_alive()
            if time.monotonic() > deadline:
                raise LabError("lab servers not ready after %.0f s: %s" % (
                    START_TIMEOUT, ", ".join([p[0] for p in pending] + silent)))
            silent = [n for n in silent if not os.path.exists(
                os.path.join(self.workdir, "ready", n))]
            pending = [p for p in pending if not soa_answers(p[1], p[2])]
            if pending or silent:
                time.sleep(0.1)

    def check_alive(self):
        """Raise LabError naming each server that has exited, with its log."""
        dead = [(n, p, log) for n, (p, log) in self.procs.items()
                if p.poll() is not None]
        if dead:
            raise LabError("lab server(s) died:\n" + "\n".join(
                "%s exited with %s; log:\n%s" % (n, p.returncode, tail(log))
                for n, p, log in dead))

    def kill_all(self):
        for p, _ in self.procs.values():
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for p, _ in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def take_down_nsd(self):
        """An outage of the whole authoritative tree: stop every NSD server
        (root, TLDs, second-level zones, the signed zones) of this lab, by process group, and
        wait until each is gone. bring_up_nsd() starts them again."""
        for name, _, _ in self.nsd_instances():
            p, _ = self.procs["nsd-" + name]
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        for name, _, _ in self.nsd_instances():
            p, _ = self.procs["nsd-" + name]
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            # NSD's own children must let go of port 53 too
            while time.monotonic() < deadline:
                try:
                    os.killpg(p.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)

    def bring_up_nsd(self):
        """Start again the NSD servers take_down_nsd() stopped, and wait
        until each answers: the same instances as at start, the signed root
        and lab. and the signed zones below lab. included (their files and
        keys are those of this lab's start, so its trust anchor holds)."""
        for name, addr, zones in self.nsd_instances():
            conf = self.nsd_conf(name, addr, zones)
            self.spawn("nsd-" + name, ["nsd", "-d", "-c", conf])
        deadline = time.monotonic() + START_TIMEOUT
        pending = [p for p in self.probes() if p[0].startswith("nsd-")]
        while pending:
            self.check_alive()
            if time.monotonic() > deadline:
                raise LabError("NSD not back after %.0f s: %s" % (
                    START_TIMEOUT, ", ".join(p[0] for p in pending)))
            pending = [p for p in pending if not soa_answers(p[1], p[2])]
            if pending:
                time.sleep(0.1)

    def stop(self):
        """Stop every server; raise LabError if one had died before."""
        try:
            self.check_alive()
        finally:
            self.kill_all()
            self.started = False

    # ----- helpers for tests -----
    def nsd_stats(self, name):
        """The counters of the NSD instance NAME (e.g. "root-a"), as
        nsd-control stats_noreset gives them: {"num.type.DNSKEY": 3, ...}."""
        conf = os.path.join(self.workdir, "nsd", name, "nsd.conf")
        r = subprocess.run(["nsd-control", "-c", conf, "stats_noreset"],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise LabError("nsd-control stats of %s: %s" % (name, (r.stderr or r.stdout).strip()))
        out = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition("=")
            try:
                out[k] = int(v)
            except ValueError:
                pass
        return out

    def root_dnskey_queries(self):
        """DNSKEY queries the root's servers have answered since the start
        (own_dnskey_queries of them from root_rollover)."""
        return sum(self.nsd_stats(name).get("num.type.DNSKEY", 0)
                   for name, _, zones in NSD if zones[0][0] == ".")

    def read_rnd_log(self):
        """Every complete line of the recorder's log, parsed."""
        with open(self.rnd_log) as f:
            data = f.read()
        return [json.loads(l) for l in data.split("\n")[:-1] if l]

    def rnd_log_size(self):
        return os.path.getsize(self.rnd_log)

    def query_log(self, name):
        """Where the misbehaving server NAME (not the recorder) logs the
        queries it gets, one JSON line each as the recorder does."""
        return os.path.join(self.workdir, "logs", name + ".queries")

    def read_query_log(self, name):
        try:
            with open(self.query_log(name)) as f:
                data = f.read()
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in data.split("\n")[:-1] if l]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def ask(addr, qname, rdtype, timeout=1.0, port=53):
    """Query ADDR over UDP the way a careful resolver would: return (reply,
    rejected), where reply is the first packet from ADDR:PORT with our ID and
    question that parses (None on timeout), and rejected lists the raw
    packets that were not it."""
    q = dns.message.make_query(qname, rdtype)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rejected = []
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", 0))
        s.sendto(q.to_wire(), (addr, port))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, rejected
            s.settimeout(left)
            try:
                wire, peer = s.recvfrom(65535)
            except socket.timeout:
                return None, rejected
            try:
                r = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                rejected.append(wire)
                continue
            if (peer[0] != addr or peer[1] != port or r.id != q.id
                    or r.question != q.question):
                rejected.append(wire)
                continue
            return r, rejected


def soa_answers(addr, zone, timeout=1.0):
    """True when ADDR answers an SOA query for ZONE: NOERROR with the SOA, or
    a truncated reply (the TC-loop server answers nothing else over UDP)."""
    r, _ = ask(addr, zone, dns.rdatatype.SOA, timeout)
    if r is None or r.rcode() != dns.rcode.NOERROR:
        return False
    return bool(r.flags & dns.flags.TC) or any(
        rr.rdtype == dns.rdatatype.SOA for rr in r.answer)


def tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data[-n:].decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e


def cmd_up(workdir):
    os.makedirs(workdir, exist_ok=True)
    lab = Lab(workdir)
    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t0 = time.monotonic()
    lab.start()
    print("lab up in %.1f s: %d servers; root hints %s; recorder log %s" % (
        time.monotonic() - t0, len(lab.procs), lab.root_hints, lab.rnd_log),
        flush=True)
    with open(os.path.join(lab.workdir, "up"), "w") as f:
        f.write("%d\n" % os.getpid())
    try:
        while not stopping:
            lab.check_alive()
            time.sleep(0.2)
    except LabError as e:
        print("lab: %s" % e, file=sys.stderr, flush=True)
        lab.kill_all()
        return 1
    finally:
        try:
            os.unlink(os.path.join(lab.workdir, "up"))
        except OSError:
            pass
    try:
        lab.stop()
    except LabError as e:
        print("lab: %s" % e, file=sys.stderr, flush=True)
        return 1
    print("lab down", flush=True)
    return 0


def main(argv):
    if len(argv) != 3 or argv[1] != "up":
        print("usage: lab.py up WORKDIR", file=sys.stderr)
        return 2
    return cmd_up(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
