#!/usr/bin/python3
"""Orchestrates the off-path forgery harness (see README.md). Run it through
run.sh, which puts it in the lab's network namespace."""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import lab as lablib  # noqa: E402

# The harness runs its own servers at two lab addresses: the slow server of
# slow.lab (127.20.0.4) counts what it sends, and dead.lab (127.20.0.3, a
# zone the lab delegates) becomes the attacker's zone for MaginotDNS. Our Lab
# instance simply does not start the lab's own servers there.
TAKEN = ("slow", "dead")
lablib.MISBEHAVING = [m for m in lablib.MISBEHAVING if m[0] not in TAKEN]

ZONE = "slow.lab"
SLOW_ADDR = "127.20.0.4"
DELEGATED = ("dead.lab.", "127.20.0.3")
FORWARDED = ("attacker.lab.", "127.66.0.2")
NSFAKE = "127.66.0.1"
EVIL = {"10.66.6.6", NSFAKE}
AUTHSRV = os.path.join(HERE, "authsrv.py")
PY = "/usr/bin/python3"

VARIANTS = {
    # name: (forge mode, scan ms (0 = one snapshot), birthday copies)
    "kaminsky": ("kaminsky", 0, 1),
    "pool-scan": ("kaminsky", 20, 1),
    "birthday": ("kaminsky", 20, 100),
    "othername": ("othername", 20, 1),
    "tudoor": ("tudoor", 20, 1),
    "maginot-recursive": (None, None, None),
    "maginot-forward": (None, None, None),
}
VARIANT_TEXT = {
    "kaminsky": "1 Kaminsky (ports from one scan)",
    "pool-scan": "2 Kaminsky, pool rescanned every 20 ms",
    "birthday": "3 birthday (100 identical questions)",
    "othername": "4 other name/type, right port",
    "tudoor": "5 TuDoor (malformed / wrong-ID flood)",
    "maginot-recursive": "6a MaginotDNS, delegated zone",
    "maginot-forward": "6b MaginotDNS, forward-zone",
}
TARGETS = ("portcullis", "entropy-only", "weakened", "unbound")
LISTEN = {"portcullis": "127.0.0.80", "weakened": "127.0.0.81", "unbound": "127.0.0.82",
          "entropy-only": "127.0.0.83"}
# The defaults without the two defenses that take the attack off UDP: what
# the guessing entropy (pool, ID, 0x20, rotation) holds by itself.
ENTROPY_ONLY = {"tcp-after-mismatch": "no", "unwanted-reply-threshold": "0"}
WEAKENED = {
    "socket-pool-size": "0", "use-caps-for-id": "no", "tcp-after-mismatch": "no",
    "unwanted-reply-threshold": "0", "pool-rotate-uses": "0",
    "pool-rotate-seconds": "0", "upstream-cookies": "no",
    "merge-identical-queries": "no",
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def rnd_label(prefix):
    return prefix + os.urandom(5).hex()


class Proc:
    """A child process in its own process group, with a log file."""

    def __init__(self, argv, logpath):
        self.log = logpath
        with open(logpath, "wb") as out:
            self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        return self.p.returncode

    def tail(self):
        return lablib.tail(self.log, 2000)


def wait_file(path, proc, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if not proc.alive():
            raise RuntimeError("%s died: %s" % (what, proc.tail()))
        if time.monotonic() > deadline:
            raise RuntimeError("%s not ready" % what)
        time.sleep(0.05)


class Servers:
    """The harness's own authoritative servers for one run."""

    def __init__(self, workdir):
        self.dir = workdir
        self.slow_state = os.path.join(workdir, "slow.json")
        self.evil_state = os.path.join(workdir, "evil.json")
        self.slow = Proc([PY, AUTHSRV, "slow", "--addr", SLOW_ADDR, "--zone", ZONE + ".",
                          "--delay", "500", "--state", self.slow_state,
                          "--ready", self.slow_state + ".ready"],
                         os.path.join(workdir, "slow.log"))
        self.evil = Proc([PY, AUTHSRV, "evil", "--bind", "nsfake=" + NSFAKE,
                          "--bind", "delegated=" + DELEGATED[1],
                          "--bind", "forwarded=" + FORWARDED[1],
                          "--delegated-zone", DELEGATED[0],
                          "--forwarded-zone", FORWARDED[0],
                          "--state", self.evil_state, "--ready", self.evil_state + ".ready"],
                         os.path.join(workdir, "evil.log"))
        wait_file(self.slow_state + ".ready", self.slow, "slow server")
        wait_file(self.evil_state + ".ready", self.evil, "attacker server")

    @staticmethod
    def read(path):
        for _ in range(20):
            try:
                with open(path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                time.sleep(0.05)
        return {"counters": {}, "queries": []}

    def state(self):
        time.sleep(0.3)  # the servers write their state every 0.2 s
        return self.read(self.slow_state), self.read(self.evil_state)

    def stop(self):
        self.slow.stop()
        self.evil.stop()


# ----- resolvers -----

class Resolver:
    def __init__(self, target, build, workdir, root_hints, trust_anchor=None):
        self.target = target
        self.addr = LISTEN[target]
        self.dir = workdir
        self.build = build
        if target == "unbound":
            self.conf = os.path.join(workdir, "unbound.conf")
            self.ctl_sock = os.path.join(workdir, "ub.ctl")
            text = "\n".join([
                "server:",
                "    interface: %s" % self.addr,
                "    port: 53",
                "    access-control: 127.0.0.0/8 allow",
                '    root-hints: "%s"' % root_hints,
                "    do-not-query-localhost: no",
                '    chroot: ""',
                '    username: ""',
                '    directory: "%s"' % workdir,
                '    pidfile: "%s/unbound.pid"' % workdir,
                '    logfile: ""',
                "    use-syslog: no",
                "    verbosity: 1",
                '    module-config: "iterator"',
                "    harden-glue: yes",
                "    use-caps-for-id: no",
                "    do-ip6: no",
                "    extended-statistics: yes",
                "remote-control:",
                "    control-enable: yes",
                '    control-interface: "%s"' % self.ctl_sock,
                "    control-use-cert: no",
                "forward-zone:",
                "    name: %s" % FORWARDED[0],
                "    forward-addr: %s" % FORWARDED[1],
                ""])
            argv = ["unbound", "-d", "-c", self.conf]
        else:
            self.conf = os.path.join(workdir, "portcullis.conf")
            self.ctl_sock = os.path.join(workdir, "ctl.sock")
            keys = [("interface", self.addr), ("access-control", "127.0.0.0/8 allow"),
                    ("root-hints", '"%s"' % root_hints), ("do-not-query-localhost", "no"),
                    ("control-socket", '"%s"' % self.ctl_sock), ("verbosity", "1")]
            # the lab's root is signed with keys made at its start: its anchor
            # (the built-in real root anchor would make every answer bogus)
            if trust_anchor:
                keys.append(("trust-anchor-file", '"%s"' % trust_anchor))
            if target == "weakened":
                keys += list(WEAKENED.items())
            elif target == "entropy-only":
                keys += list(ENTROPY_ONLY.items())
            text = "server:\n" + "".join("    %s: %s\n" % kv for kv in keys)
            text += "forward-zone:\n    name: %s\n    forward-addr: %s\n" % FORWARDED
            argv = [os.path.join(build, "portcullis"), "-c", self.conf]
        with open(self.conf, "w") as f:
            f.write(text)
        self.proc = Proc(argv, os.path.join(workdir, "resolver.log"))
        deadline = time.monotonic() + 15
        while True:
            if not self.proc.alive():
                raise RuntimeError("%s exited: %s" % (target, self.proc.tail()))
            if self.stats_raw() is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("%s not ready: %s" % (target, self.proc.tail()))
            time.sleep(0.1)

    @property
    def pid(self):
        return self.proc.p.pid

    def stats_raw(self):
        if self.target == "unbound":
            argv = ["unbound-control", "-c", self.conf, "stats_noreset"]
        else:
            argv = [os.path.join(self.build, "portcullis-ctl"), "-s", self.ctl_sock, "stats"]
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        out = {}
        for line in r.stdout.splitlines():
            k, sep, v = line.strip().partition("=")
            if not sep:
                continue
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                pass
        return out

    def stats(self):
        return self.stats_raw() or {}

    def query(self, name, rdtype="A", timeout=4.0):
        q = dns.message.make_query(name, rdtype)
        try:
            return dns.query.udp(q, self.addr, timeout=timeout)
        except dns.exception.Timeout:
            try:
                return dns.query.tcp(q, self.addr, timeout=timeout)
            except (dns.exception.DNSException, OSError):
                return None
        except (dns.exception.DNSException, OSError):
            return None

    def stop(self):
        return self.proc.stop()


def evil_in(msg):
    """The attacker's data in MSG's answer section: its addresses, or a
    CNAME owned by a name under slow.lab (the genuine zone has none)."""
    if msg is None:
        return []
    found = []
    zone = dns.name.from_text(ZONE)
    for rrset in msg.answer:
        if rrset.rdtype == dns.rdatatype.A:
            found += [rd.address for rd in rrset if rd.address in EVIL]
        elif rrset.rdtype == dns.rdatatype.CNAME and rrset.name.is_subdomain(zone):
            found += ["%s CNAME %s" % (rrset.name, rd.target) for rd in rrset]
    return found


def describe(msg):
    if msg is None:
        return "no answer"
    parts = [dns.rcode.to_text(msg.rcode())]
    for rrset in msg.answer:
        parts += ["%s %s %s" % (rrset.name, dns.rdatatype.to_text(rrset.rdtype), rd)
                  for rd in rrset]
    return "; ".join(parts)


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after
            if isinstance(after[k], (int, float)) and after[k] != before.get(k, 0)}


def followed(evil_state):
    """Queries the attacker's servers got that only a poisoned cache sends:
    anything at the fake NS, or names outside the attacker's own zones."""
    out = []
    for q in evil_state.get("queries", []):
        name = q["qname"]
        if q["role"] == "nsfake":
            out.append(q)
        elif q["role"] == "delegated" and not name.endswith(DELEGATED[0]):
            out.append(q)
        elif q["role"] == "forwarded" and not name.endswith(FORWARDED[0]):
            out.append(q)
    return out


# ----- one run: a fresh resolver, one variant -----

def run_one(args, lab, target, variant, workdir):
    os.makedirs(workdir, exist_ok=True)
    servers = Servers(workdir)
    res = None
    try:
        res = Resolver(target, args.build, workdir, lab.root_hints, lab.trust_anchor)
        mode, scan_ms, birthday = VARIANTS[variant]
        # prime: the delegation of slow.lab (and the attacker's zone) is cached
        prime = res.query(rnd_label("p") + "." + ZONE)
        rec = {"target": target, "variant": variant, "prime": describe(prime)}
        s0 = res.stats()
        t0 = time.monotonic()
        accepted_names = []
        if mode is not None:
            argv = [args.forge, "--resolver", res.addr, "--server", SLOW_ADDR, "--zone", ZONE,
                    "--pid", str(res.pid), "--mode", mode, "--packets", str(args.packets),
                    "--seconds", str(args.seconds), "--scan-ms", str(scan_ms),
                    "--birthday", str(birthday), "--stop-on-accept"]
            if args.id_sweep:
                argv.append("--id-sweep")
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=args.seconds + 60)
            if r.returncode != 0:
                raise RuntimeError("forge failed: %s" % r.stderr)
            f = json.loads(r.stdout)
            rec["forge"] = f
            accepted_names = f["forged_names"]
            rec.update(sent=f["sent"], accepted=f["accepted"], triggers=f["triggers"],
                       client_queries=f["client_queries"], pps=f["pps"],
                       disrupted=f["servfail"] + f["other"] + f["timeout"])
        else:
            zone = DELEGATED[0] if variant == "maginot-recursive" else FORWARDED[0]
            answers = []
            for prefix in ("a", "c", "a", "c"):
                name = rnd_label(prefix) + "." + zone
                m = res.query(name)
                answers.append({"q": name, "answer": describe(m), "evil": evil_in(m)})
            rec["maginot_answers"] = answers
            rec.update(accepted=sum(1 for a in answers if a["evil"]), triggers=len(answers),
                       client_queries=len(answers), pps=0, disrupted=0)
        rec["seconds"] = round(time.monotonic() - t0, 2)
        s1 = res.stats()
        slow_state, evil_state = servers.state()
        rec["resolver_stats"] = delta(s0, s1)
        rec["slow_server"] = slow_state.get("counters", {})
        rec["attacker_server"] = evil_state.get("counters", {})
        if mode is None:
            rec["sent"] = sum(v for k, v in evil_state.get("counters", {}).items()
                              if ".replies." in k)
        # ----- was anything poisoned? -----
        canaries = ["www." + ZONE, "ns." + ZONE, "ns66." + ZONE, rnd_label("c") + "." + ZONE]
        if mode is None:
            canaries += ["www.alpha.lab", "ns1.alpha.lab", rnd_label("c") + ".alpha.lab",
                         "ns1.nic.lab", "a.root.lab", rnd_label("c") + ".lab",
                         rnd_label("c") + ".rnd.lab"]
        canaries += accepted_names[:3]
        checks = []
        for name in canaries:
            m = res.query(name)
            checks.append({"name": name, "answer": describe(m), "evil": evil_in(m)})
        _, evil_after = servers.state()
        follow = followed(evil_after)
        rec["canaries"] = checks
        rec["followed_attacker_ns"] = follow[:20]
        poisoned_names = [c["name"] for c in checks if c["evil"]]
        rec["poisoned_names"] = poisoned_names
        rec["poisoned"] = bool(poisoned_names or follow)
        rec["resolver_alive"] = res.proc.alive()
        return rec
    finally:
        if res is not None:
            res.stop()
        servers.stop()


# ----- the forger alone -----

SINK = r"""
import socket, sys, time
socks = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], 0))
    socks.append(s)
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind((sys.argv[1], 53))
print("ready", flush=True)
time.sleep(3600)
"""


def forger_rate(args, ports=2500, seconds=3.0):
    """Packets per second the forger pushes at a process that holds PORTS
    open UDP sockets and never reads them (so the kernel drops cheaply)."""
    sink = subprocess.Popen([PY, "-c", SINK, "127.0.0.90", str(ports)],
                            stdout=subprocess.PIPE, text=True)
    try:
        sink.stdout.readline()
        r = subprocess.run([args.forge, "--resolver", "127.0.0.90", "--server", SLOW_ADDR,
                            "--zone", ZONE, "--pid", str(sink.pid), "--packets", "100000000",
                            "--seconds", str(seconds), "--scan-ms", "0",
                            "--max-wait-ms", str(int(seconds * 1000) + 1000)],
                           capture_output=True, text=True, timeout=seconds + 30)
        return json.loads(r.stdout)
    finally:
        sink.kill()
        sink.wait()


# ----- report -----

def fmt_int(n):
    return "{:,}".format(int(n)) if n is not None else "-"


def markdown(results, meta):
    lines = ["# Off-path forgery harness: results", "",
             "%s; bound %s forged packets and %s s per variant%s." % (
                 meta["date"], fmt_int(meta["packets"]), meta["seconds"],
                 " (QUICK mode)" if meta["quick"] else ""),
             "portcullis: `%s` (git %s). Unbound: %s." % (
                 meta["portcullis"], meta["git"], meta["unbound"]),
             "The forger alone (raw socket, IP_HDRINCL, sendmmsg of 64) pushes %s packets/s "
             "at one open port and %s packets/s spread over 2,500 ports of a process that "
             "does not read them." % (fmt_int(meta["forger_pps"].get(1)),
                                      fmt_int(meta["forger_pps"].get(2500))),
             "", "Targets: **portcullis** = default configuration; **entropy-only** = the "
             "defaults with " + ", ".join("`%s: %s`" % kv for kv in ENTROPY_ONLY.items()) +
             " (no move to TCP: only the pool, ID, 0x20 and rotation stand in the way); "
             "**weakened** = "
             "portcullis with " + ", ".join("`%s: %s`" % kv for kv in WEAKENED.items()) +
             "; **unbound** = Unbound with module-config iterator, harden-glue yes, "
             "use-caps-for-id no (its default), unwanted-reply-threshold 0 (its default, off), "
             "all other settings default.", "",
             "| target | variant | forged sent | accepted | poisoned | time (s) | triggers "
             "(client queries) | pkts/s | non-genuine answers | resolver stats (upstream udp / tcp); "
             "genuine replies the slow server sent (udp / tcp) |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in results:
        if "error" in r:
            lines.append("| %s | %s | error: %s | | | | | | | |" % (
                r["target"], VARIANT_TEXT[r["variant"]], r["error"].replace("\n", " ")[:200]))
            continue
        st = r.get("resolver_stats", {})
        sl = r.get("slow_server", {})
        gen = "%s / %s" % (fmt_int(sl.get("slow.replies.udp", 0)), fmt_int(sl.get("slow.replies.tcp", 0)))
        if r["target"] == "unbound":
            rs = "unwanted %s; tcp out %s; genuine %s" % (
                fmt_int(st.get("unwanted.replies", 0)), fmt_int(st.get("num.query.tcpout", 0)), gen)
        else:
            rs = "accepted %s, dropped %s; upstream %s / %s; genuine %s" % (
                fmt_int(st.get("replies.accepted", 0)), fmt_int(st.get("replies.dropped.total", 0)),
                fmt_int(st.get("queries.upstream.udp", 0)), fmt_int(st.get("queries.upstream.tcp", 0)),
                gen)
        pois = "**YES** (%s)" % ", ".join(r["poisoned_names"][:2] + (
            ["followed attacker NS"] if r["followed_attacker_ns"] else [])) if r["poisoned"] else "no"
        lines.append("| %s | %s | %s | %s | %s | %.1f | %s (%s) | %s | %s | %s |" % (
            r["target"], VARIANT_TEXT[r["variant"]], fmt_int(r.get("sent", 0)),
            fmt_int(r.get("accepted", 0)), pois, r["seconds"], fmt_int(r["triggers"]),
            fmt_int(r["client_queries"]), fmt_int(r.get("pps", 0)), fmt_int(r.get("disrupted", 0)),
            rs))
    lines += ["", "- *forged sent*: spoofed packets the forger sent (MaginotDNS: replies the "
              "attacker's own server sent, each stuffed with records for other zones).",
              "- *accepted*: answers the attacker's client got that carry the attacker's "
              "addresses (forged data passed on to a client).",
              "- *poisoned*: after the flood a canary name (www/ns/ns66.slow.lab, a fresh "
              "name under slow.lab, the forged trigger names; for MaginotDNS also www.alpha.lab, "
              "ns1.alpha.lab, ns1.nic.lab, a.root.lab, fresh names under alpha.lab, lab and "
              "rnd.lab) is answered with an attacker address, or the attacker's servers "
              "received a query only a poisoned delegation would send.",
              "- *resolver stats*: portcullis `replies.accepted` and `replies.dropped.total` "
              "(forged packets the kernel dropped on full socket buffers are in neither), "
              "`queries.upstream.udp/tcp`; Unbound `unwanted.replies` and `num.query.tcpout` "
              "(extended-statistics). *genuine*: replies the genuine slow.lab server sent, by UDP "
              "and TCP: accepted above *genuine* (udp) means forged replies were accepted.",
              "- *non-genuine answers*: SERVFAIL, other rcodes or no answer within 3 s for "
              "trigger queries (the TuDoor measure: did the flood end the wait or break the answer?).",
              ""]
    lines += ["## Verdict", ""] + ["- " + v for v in meta["verdict"]] + [""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--packets", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--id-sweep", action="store_true",
                    help="forge IDs in order instead of at random")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    if os.environ.get("PC_IN_NETNS") != "1":
        log("attack.py must run inside tests/lab/netns-run (use run.sh)")
        return 2
    env_packets = os.environ.get("ATTACK_PACKETS")
    if args.packets is None:
        args.packets = int(env_packets) if env_packets else (100000 if args.quick else 1000000)
    if args.seconds is None:
        args.seconds = 30.0 if args.quick else 120.0
    quick = args.quick or args.packets < 1000000
    args.forge = os.path.join(args.build, "tests", "attack", "pc-attack-forge")
    targets = [t for t in args.targets.split(",") if t]
    variants = [v for v in args.variants.split(",") if v]
    for t in targets:
        if t not in TARGETS:
            log("unknown target %s" % t)
            return 2
    for v in variants:
        if v not in VARIANTS:
            log("unknown variant %s" % v)
            return 2
    base = "/tmp/pc-attack-%d" % os.getpid()
    os.makedirs(base, exist_ok=True)
    lab = lablib.Lab(os.path.join(base, "lab"))
    lab.start()
    results = []
    rate = {}
    try:
        for n in (1, 2500):
            f = forger_rate(args, ports=n)
            rate[n] = int(f["pps"])
            log("forger alone: %s packets/s at %d open ports" % (fmt_int(f["pps"]), n))
        for target in targets:
            for variant in variants:
                log("== %s / %s" % (target, variant))
                try:
                    rec = run_one(args, lab, target, variant,
                                  os.path.join(base, "%s-%s" % (target, variant)))
                except Exception as e:  # report it, go on with the others
                    rec = {"target": target, "variant": variant, "error": str(e)}
                    log("   error: %s" % e)
                else:
                    log("   sent %s accepted %s poisoned %s in %.1f s (%s triggers, %s pkt/s)%s" % (
                        fmt_int(rec.get("sent", 0)), rec["accepted"], rec["poisoned"],
                        rec["seconds"], rec["triggers"], fmt_int(rec.get("pps", 0)),
                        " " + ",".join(rec["poisoned_names"]) if rec["poisoned"] else ""))
                results.append(rec)
                lab.check_alive()
    finally:
        lab.stop()

    verdict, ok = [], True
    by = {(r["target"], r["variant"]): r for r in results}
    floods = [v for v in variants if VARIANTS[v][0] is not None]
    if "portcullis" in targets:
        bad = [v for v in variants if by[("portcullis", v)].get("poisoned")
               or "error" in by[("portcullis", v)]]
        if bad:
            ok = False
            verdict.append("FAIL: default portcullis poisoned (or run failed) in: " + ", ".join(bad))
        else:
            verdict.append("ok: default portcullis not poisoned in any variant")
        short = [v for v in floods if by[("portcullis", v)].get("sent", 0) < args.packets]
        if short and not quick:
            ok = False
            verdict.append("FAIL: the packet bound was not reached for portcullis in: " +
                           ", ".join(short) + " (raise --seconds or free the CPU)")
    if "entropy-only" in targets:
        bad = [v for v in variants if by[("entropy-only", v)].get("poisoned")
               or "error" in by[("entropy-only", v)]]
        if bad:
            ok = False
            verdict.append("FAIL: entropy-only portcullis poisoned (or run failed) in: " +
                           ", ".join(bad))
        else:
            verdict.append("ok: entropy-only portcullis (no TCP fallback, no threshold) not "
                           "poisoned in any variant")
        short = [v for v in floods if by[("entropy-only", v)].get("sent", 0) < args.packets]
        if short and not quick:
            ok = False
            verdict.append("FAIL: the packet bound was not reached for entropy-only in: " +
                           ", ".join(short))
    if "weakened" in targets:
        w = by.get(("weakened", "kaminsky"))
        if w is None:
            verdict.append("note: the weakened configuration was not run with the kaminsky variant")
        elif not w.get("poisoned"):
            ok = False
            verdict.append("FAIL: the weakened configuration was NOT poisoned by the Kaminsky "
                           "variant: the harness cannot tell a defended resolver from an open one")
        else:
            verdict.append("ok: the weakened configuration was poisoned by the Kaminsky variant "
                           "after %s forged packets" % fmt_int(w.get("sent", 0)))
    if "unbound" in targets:
        pv = [v for v in variants if by[("unbound", v)].get("poisoned")]
        verdict.append("unbound (for comparison, not a pass/fail criterion): poisoned in %s" % (
            ", ".join(pv) if pv else "no variant"))
    try:
        ub = subprocess.run(["unbound", "-V"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        ub = "not installed"
    git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "packets": args.packets, "seconds": args.seconds, "quick": quick,
            "portcullis": os.path.join(args.build, "portcullis"), "git": git,
            "unbound": ub, "verdict": verdict, "ok": ok, "forger_pps": rate}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    md = markdown(results, meta)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    print(md)
    print("report: %s" % os.path.join(args.out, "latest.md"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
