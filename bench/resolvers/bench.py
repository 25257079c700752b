#!/usr/bin/python3
"""Resolver benchmark: portcullis side by side with Unbound, PowerDNS Recursor,
Knot Resolver and a canned-answer responder (the ceiling). See README.md.

    bench.py BUILD_DIR RESULTS_DIR      (inside tests/lab/netns-run; run.sh does it)

Environment: QUICK=1 (2 repetitions, short phases), REPS, PHASE_SECONDS,
FIXED_QPS (skip the calibration pass), COLD_NAMES, MEM_NAMES, TARGETS
(comma-separated subset), KEEP=1 (keep the work directory), BENCH_NOTE (a
sentence for latest.md, e.g. why this is a QUICK run), PORTCULLIS_EXTRA
("key: value; key: value" added to portcullis's server: clause, for experiments),
STAGES (comma-separated subset of cold, miss, cached, startup, vcold, vmiss,
vcached; default all), MISS_RATE (new names per second of the miss stage,
1000), MISS_SECONDS (its length, default PHASE_SECONDS), VREPS (repetitions
of the validating stages, default REPS), VCOLD_NAMES and VMEM_NAMES
(the cold and memory name counts of the validating stage vcold).

The stages starting with v are the validating rows: every resolver with
DNSSEC validation on, over a signed variant of the hierarchy (signed.py).
"""

import json
import os
import platform
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
import lab as labmod  # noqa: E402
import signed  # noqa: E402  (bench/resolvers/signed.py)
from configs import CACHE_MB, resolver_argv  # noqa: E402  (bench/resolvers/configs.py)

QUICK = os.environ.get("QUICK", "") not in ("", "0")
REPS = int(os.environ.get("REPS", "2" if QUICK else "5"))
PHASE = float(os.environ.get("PHASE_SECONDS", "3" if QUICK else "6"))
COLD_NAMES = int(os.environ.get("COLD_NAMES", "20000"))
MEM_NAMES = int(os.environ.get("MEM_NAMES", "100000"))  # cold names included
STAGES = [x for x in os.environ.get(
    "STAGES", "cold,miss,cached,startup,vcold,vmiss,vcached").split(",") if x]
# The validating stages: fewer repetitions and names than the iterator's
# (every name costs a signature check, ECDSA P-256 verification alone some
# 30 to 50 us; a full make bench would pass 30 minutes otherwise).
VREPS = int(os.environ.get("VREPS", str(REPS)))
VCOLD_NAMES = int(os.environ.get("VCOLD_NAMES", "10000"))
VMEM_NAMES = int(os.environ.get("VMEM_NAMES", "25000"))  # cold names included
MISS_RATE = int(os.environ.get("MISS_RATE", "1000"))
MISS_SECONDS = float(os.environ.get("MISS_SECONDS", str(PHASE)))
# strace -c -f on the target during the miss stage: system calls per name
# (and by call); tracing slows every call, so that run's CPU says nothing
MISS_STRACE = os.environ.get("MISS_STRACE", "") not in ("", "0")
# perf stat on the target during the miss stage: system calls and context
# switches per name as the kernel counts them, without strace's slowdown.
# Needs a perf that may count kernel events of the target: real root, so
# run under tests/lab/netns-run-root instead of run.sh's netns-run.
MISS_PERF = os.environ.get("MISS_PERF", "") not in ("", "0")
# BUILD_B=DIR adds the target portcullis-b, the portcullis of another build
# directory (say, main's), run exactly as portcullis is: an A/B comparison
# interleaved in one run.
ZONES = 200
ZONE_SERVERS = 4
CACHED_BENCH_NAMES = 1000
DNSPERF_CLIENTS = 4
# The prober's client sockets: with one, every query of a num-threads 2
# target reached the same SO_REUSEPORT socket, so the "2 workers" figures
# measured one worker with an idle second one. With 8 source ports, both
# sockets get a share except in 2 runs out of 256.
LATPROBE_SOCKETS = 8
DNSPERF_INFLIGHT = 500
COLD_INFLIGHT = 100
POOL_SIZES = (2500, 10000)
CLK = os.sysconf("SC_CLK_TCK")

# The benchmark's own hierarchy: root, bench. TLD, ZONES zones on
# ZONE_SERVERS servers. The root also delegates the lab's lab. and net.
ROOT_ADDR = "127.40.0.1"
TLD_ADDR = "127.41.0.1"
ZONE_ADDRS = ["127.42.0.%d" % (i + 1) for i in range(ZONE_SERVERS)]

# name, listen address, kind
TARGETS = [
    ("ceiling", "127.50.0.9", "ceiling"),
    ("portcullis", "127.50.0.1", "portcullis"),
    ("portcullis-2t", "127.50.0.5", "portcullis"),
    ("unbound", "127.50.0.2", "unbound"),
    ("pdns-recursor", "127.50.0.3", "pdns"),
    ("knot-resolver", "127.50.0.4", "kresd"),
]
RESOLVERS = [t for t in TARGETS if t[2] != "ceiling"]

# Lab names (TTL 300) asked in the cached phases, with CACHED_BENCH_NAMES more.
LAB_CACHED = [("www.alpha.lab.", "A"), ("www.alpha.lab.", "AAAA"),
              ("mail.alpha.lab.", "MX"), ("mx.alpha.lab.", "A"),
              ("c3.alpha.lab.", "A"), ("www.gamma.lab.", "A"),
              ("www.beta.net.", "A"), ("ns1.alpha.lab.", "A")]


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- /proc

def cpu_seconds(pid):
    return sum(cpu_split(pid))


def cpu_split(pid):
    """(utime, stime) of pid in seconds, all threads."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) / CLK, int(rest[12]) / CLK


def task_totals(pid):
    """(CPU nanoseconds, context switches) summed over the threads of pid:
    the scheduler's own count of time on a CPU (/proc/PID/task/T/schedstat),
    finer than utime+stime's clock ticks, and the voluntary and involuntary
    switches of /proc/PID/task/T/status."""
    ns, switches = 0, 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                ns += int(f.read().split()[0])
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return ns, switches


def rss_kb(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def lmdb_used_bytes(path):
    """High-water mark of an LMDB file's pages in use, from its newer meta
    page: (mm_last_pg + 1) * page size. Knot Resolver's cache."""
    with open(path, "rb") as f:
        head = f.read(4096)
        psize = struct.unpack_from("<I", head, 16 + 24)[0]  # FREE_DBI md_pad = page size
        f.seek(psize)
        metas = [head, f.read(psize)]
    best = max((struct.unpack_from("<QQ", m, 16 + 24 + 96) for m in metas
                if struct.unpack_from("<I", m, 16)[0] == 0xBEEFC0DE), key=lambda x: x[1])
    return (best[0] + 1) * psize


def rss_parts(pid):
    return {k: rss_kb(pid, k) for k in ("VmRSS", "RssAnon", "RssFile", "RssShmem")}


# ---------------------------------------------------------------- hierarchy

def nsd_conf(d, addr, zones):
    os.makedirs(d, exist_ok=True)
    lines = ["server:", "    ip-address: %s" % addr, "    port: 53",
             '    username: ""', '    chroot: ""', "    server-count: 1",
             "    verbosity: 0", "    hide-version: yes",
             "    rrl-ratelimit: 0", "    rrl-whitelist-ratelimit: 0",
             '    pidfile: "%s/nsd.pid"' % d, '    zonelistfile: "%s/zone.list"' % d,
             '    xfrdfile: "%s/xfrd.state"' % d, '    xfrdir: "%s"' % d,
             '    database: ""',
             "remote-control:", "    control-enable: yes",
             "    control-interface: %s/nsd.ctl" % d]
    for name, path in zones:
        lines += ["zone:", '    name: "%s"' % name, '    zonefile: "%s"' % path]
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


def zone_name(i):
    return "z%03d.bench." % i


def write_hierarchy(w):
    """Writes zone files, NSD configs and the root hints; returns
    [(name, conf)] for the NSD instances."""
    zd = os.path.join(w, "zones")
    os.makedirs(zd, exist_ok=True)
    soa = "@ 86400 IN SOA %s hostmaster.nic.bench. 1 3600 900 604800 86400\n"
    with open(os.path.join(zd, "root.zone"), "w") as f:
        f.write("$ORIGIN .\n$TTL 86400\n" + soa % "a.root.bench.")
        f.write("@ NS a.root.bench.\n"
                "bench. NS ns1.nic.bench.\nns1.nic.bench. A %s\n"
                "a.root.bench. A %s\n"
                "lab. NS ns1.nic.lab.\nlab. NS ns2.nic.lab.\n"
                "ns1.nic.lab. A 127.2.0.1\nns2.nic.lab. A 127.2.0.2\n"
                "net. NS ns1.nic.net.\nns1.nic.net. A 127.3.0.1\n"
                % (TLD_ADDR, ROOT_ADDR))
    with open(os.path.join(zd, "bench.zone"), "w") as f:
        f.write("$ORIGIN bench.\n$TTL 86400\n" + soa % "ns1.nic.bench.")
        f.write("@ NS ns1.nic.bench.\nns1.nic A %s\n" % TLD_ADDR)
        f.write("a.root A %s\n" % ROOT_ADDR)
        for i in range(ZONES):
            z = zone_name(i)
            f.write("%s NS ns.%s\nns.%s A %s\n" % (z, z, z, ZONE_ADDRS[i % ZONE_SERVERS]))
    per_server = [[] for _ in ZONE_ADDRS]
    for i in range(ZONES):
        z = zone_name(i)
        path = os.path.join(zd, z + "zone")
        with open(path, "w") as f:
            f.write("$ORIGIN %s\n$TTL 86400\n" % z + soa % ("ns." + z))
            f.write("@ NS ns\nns A %s\n* A 192.0.2.1\n" % ZONE_ADDRS[i % ZONE_SERVERS])
        per_server[i % ZONE_SERVERS].append((z, path))
    nsds = [("root", nsd_conf(os.path.join(w, "nsd", "root"), ROOT_ADDR,
                              [(".", os.path.join(zd, "root.zone"))])),
            ("tld", nsd_conf(os.path.join(w, "nsd", "tld"), TLD_ADDR,
                             [("bench.", os.path.join(zd, "bench.zone"))]))]
    for k, addr in enumerate(ZONE_ADDRS):
        nsds.append(("zones%d" % k, nsd_conf(os.path.join(w, "nsd", "zones%d" % k),
                                              addr, per_server[k])))
    with open(os.path.join(w, "bench.hints"), "w") as f:
        f.write(".  3600000 NS a.root.bench.\na.root.bench. 3600000 A %s\n" % ROOT_ADDR)
    return nsds


def write_names(w, zname=zone_name, prefix="", cold=COLD_NAMES, mem=MEM_NAMES,
                lab=LAB_CACHED, cached=CACHED_BENCH_NAMES):
    """The name lists of every stage, as dnsperf data files: {"cold.txt":
    path, ...}; zname(i) names zone i, prefix goes before each file's name
    (the validating stages' lists are "v-cold.txt" ... under sbench.)."""
    files = {}

    def out(name, rows):
        p = os.path.join(w, prefix + name)
        with open(p, "w") as f:
            f.writelines("%s %s\n" % r for r in rows)
        files[name] = p
    out("cold.txt", [("c%d.%s" % (i, zname(i % ZONES)), "A") for i in range(cold)])
    out("mem.txt", [("m%d.%s" % (i, zname(i % ZONES)), "A")
                    for i in range(max(0, mem - cold))])
    # the miss stage: one name per zone first (the zone cuts), then names
    # never asked before, each used once at the fixed rate
    out("miss-warm.txt", [("w%d.%s" % (i, zname(i)), "A") for i in range(ZONES)])
    out("miss.txt", [("n%d.%s" % (i, zname(i % ZONES)), "A")
                     for i in range(max(1, int(MISS_RATE * MISS_SECONDS)))])
    out("cached.txt", lab + [("k%d.%s" % (i, zname(i % ZONES)), "A") for i in range(cached)])
    # a sample of both, asked again after the memory phase: still cached?
    out("recheck.txt", [("c%d.%s" % (i, zname(i % ZONES)), "A")
                        for i in range(0, cold, max(1, cold // 1000))] +
        [("m%d.%s" % (i, zname(i % ZONES)), "A")
         for i in range(0, max(0, mem - cold), max(1, (mem - cold) // 1000))])
    return files


def listed_names(files):
    """Every name of the data files, once."""
    names = set()
    for p in files.values():
        with open(p) as f:
            names.update(line.split()[0] for line in f if line.strip())
    return names


class Hierarchy:
    """What a stage needs of the hierarchy it runs over: the name lists,
    the NSD instances whose queries are counted, the root hints and, for
    the signed one, the trust anchor (the root's KSK DS: a file and its
    rdata). key is the prefix of the stage names and of the result keys
    ("" for the unsigned hierarchy, "v" for the validating rows)."""

    def __init__(self, key, files, nsds, hints, anchor=None, ds=None,
                 cold=COLD_NAMES, mem=MEM_NAMES):
        self.key, self.files, self.nsds, self.hints = key, files, nsds, hints
        self.anchor, self.ds, self.cold, self.mem = anchor, ds, cold, mem

    @property
    def validating(self):
        return self.anchor is not None

    def sample(self):
        """A name of the cold stage, for the validation check."""
        with open(self.files["cold.txt"]) as f:
            return f.readline().split()[0]


def nsd_queries(nsds):
    total = 0
    for n in nsds:
        conf = n[1]
        r = subprocess.run(["nsd-control", "-c", conf, "stats_noreset"],
                           capture_output=True, text=True, timeout=10)
        m = re.search(r"^num\.queries=(\d+)", r.stdout, re.M)
        if not m:
            raise RuntimeError("nsd-control %s: %s %s" % (conf, r.stdout, r.stderr))
        total += int(m.group(1))
    return total


# ---------------------------------------------------------------- resolvers

class Proc:
    def __init__(self, name, argv, w):
        self.name = name
        self.logpath = os.path.join(w, "logs", name + ".log")
        os.makedirs(os.path.dirname(self.logpath), exist_ok=True)
        out = open(self.logpath, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait()

    def tail(self):
        return labmod.tail(self.logpath, 2000)


def wait_answers(proc, addr, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError("%s exited: %s" % (proc.name, proc.tail()))
        r, _ = labmod.ask(addr, ".", "NS", timeout=0.5)
        if r is not None:
            return
        time.sleep(0.05)
    raise RuntimeError("%s does not answer on %s: %s" % (proc.name, addr, proc.tail()))


# ---------------------------------------------------------------- load

def dnsperf(addr, datafile, extra):
    argv = ["dnsperf", "-s", addr, "-d", datafile] + extra
    r = subprocess.run(argv, capture_output=True, text=True)
    out = r.stdout
    def num(pat, default=0.0):
        m = re.search(pat, out)
        return float(m.group(1)) if m else default
    res = {"sent": num(r"Queries sent:\s+(\d+)"),
           "completed": num(r"Queries completed:\s+(\d+)"),
           "lost": num(r"Queries lost:\s+(\d+)"),
           "runtime": num(r"Run time \(s\):\s+([\d.]+)"),
           "qps": num(r"Queries per second:\s+([\d.]+)"),
           "noerror": num(r"NOERROR (\d+)")}
    if r.returncode != 0 or res["sent"] == 0:
        raise RuntimeError("dnsperf failed: %s\n%s%s" % (" ".join(argv), out, r.stderr))
    return res


def pin(pid, cpus):
    """Every thread of process pid onto cpus (a set)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass  # a thread that just ended


def latprobe(build, addr, datafile, rate, secs, warm, cpus=None):
    argv = [os.path.join(build, "bench", "pc-bench-latprobe"), addr, "53", datafile,
            "%d" % rate, "%g" % secs, "%g" % warm, str(LATPROBE_SOCKETS)]
    pre = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    r = subprocess.run(argv, capture_output=True, text=True, preexec_fn=pre)
    if r.returncode != 0:
        raise RuntimeError("latprobe failed: %s" % r.stderr)
    return json.loads(r.stdout)


# ---------------------------------------------------------------- phases

def start_target(name, addr, kind, w, build, hier=None):
    threads = 2 if name.endswith("-2t") else 1
    if name == "portcullis-b":
        build = os.path.abspath(os.environ["BUILD_B"])
    proc = Proc(name, resolver_argv(name, addr, kind, w, build, threads=threads, hier=hier), w)
    proc.addr = addr
    wait_answers(proc, addr)
    return proc


def prime(addr, files, extra=()):
    for _ in range(2):
        dnsperf(addr, files["cached.txt"], ["-n", "1", "-q", "50", "-t", "3"] + list(extra))


def peak(addr, files, extra=()):
    return dnsperf(addr, files["cached.txt"], ["-c", str(DNSPERF_CLIENTS), "-q",
                                               str(DNSPERF_INFLIGHT), "-l", "%g" % PHASE]
                   + list(extra))


def vet(res, proc, hier, keys, sample=None):
    """The validating stages' check, once the stage's figures are taken (so
    that it does not warm the cache they measure): the target must answer a
    DO query for a name of the stage with AD and the RRSIG, and the tampered
    name with SERVFAIL. When it does not, the figures move out of the keys
    the report reads (to res["not_validating"]) and res["vcheck"] says why."""
    if not hier.validating:
        return
    chk = signed.check_validates(proc.addr, sample or hier.sample())
    res["vcheck"] = chk
    if not chk["ok"]:
        res["not_validating"] = {k: res.pop(k) for k in keys if k in res}
        log("  %s DOES NOT VALIDATE: %s" % (proc.name, chk["why"]))


def run_cold(t, w, build, hier, rep):
    """Cold cache, then memory: a fresh process with an empty cache. The
    figures go to res[KEY + "cold"] and res[KEY + "memory"], KEY being the
    hierarchy's ("" or "v")."""
    name, addr, kind = t
    files, nsds, k = hier.files, hier.nsds, hier.key
    res = {"target": name, "rep": rep, "stage": k + "cold"}
    proc = start_target(name, addr, kind, w, build, hier)
    try:
        lmdb = os.path.join(w, "run", name, "cache", "data.mdb") if kind == "kresd" else None
        lmdb0 = lmdb_used_bytes(lmdb) if lmdb else 0
        parts0 = rss_parts(proc.pid)
        rss0, cpu0, up0 = parts0["VmRSS"], cpu_seconds(proc.pid), nsd_queries(nsds)
        c = dnsperf(addr, files["cold.txt"], ["-n", "1", "-c", "10", "-q",
                                              str(COLD_INFLIGHT), "-t", "5"])
        cpu1, up1 = cpu_seconds(proc.pid), nsd_queries(nsds)
        res[k + "cold"] = {"names": hier.cold, "wall_s": c["runtime"],
                           "noerror": c["noerror"], "lost": c["lost"],
                           "cpu_s_per_1000": (cpu1 - cpu0) / hier.cold * 1000,
                           "upstream_per_name": (up1 - up0) / hier.cold}
        if hier.mem > hier.cold:
            m = dnsperf(addr, files["mem.txt"], ["-n", "1", "-c", "10", "-q",
                                                 str(COLD_INFLIGHT), "-t", "5"])
            cached = c["noerror"] + m["noerror"]
        else:
            cached = c["noerror"]
        time.sleep(0.5)
        parts1 = rss_parts(proc.pid)
        rss1 = parts1["VmRSS"]
        grown = (rss1 - rss0) * 1024.0
        if lmdb:
            # the cache lives in a tmpfs file: count its pages in use, and
            # take the mapped ones out of VmRSS so none counts twice
            lmdb1 = lmdb_used_bytes(lmdb)
            grown += (lmdb1 - lmdb0) - (parts1["RssShmem"] - parts0["RssShmem"]) * 1024.0
        # are they still cached? ask a sample again and count upstream queries
        up2 = nsd_queries(nsds)
        rc = dnsperf(addr, files["recheck.txt"], ["-n", "1", "-q", "50", "-t", "5"])
        up3 = nsd_queries(nsds)
        res[k + "memory"] = {"rrsets": cached, "rss_start_kb": rss0, "rss_end_kb": rss1,
                         "start": parts0, "end": parts1,
                         "bytes_per_rrset": grown / max(1, cached),
                         "lmdb_used_start": lmdb0 if lmdb else None,
                         "lmdb_used_end": lmdb1 if lmdb else None,
                         "recheck_names": rc["sent"],
                         "recheck_upstream_per_name": (up3 - up2) / max(1, rc["sent"])}
        log("  %s %scold: %.1f s, %.3f cpu-s/1000, %.2f upstream/name; %.0f B/RRset" % (
            name, k, c["runtime"], res[k + "cold"]["cpu_s_per_1000"],
            res[k + "cold"]["upstream_per_name"], res[k + "memory"]["bytes_per_rrset"]))
        if not proc.alive():
            raise RuntimeError("%s died: %s" % (name, proc.tail()))
        vet(res, proc, hier, (k + "cold", k + "memory"))
    finally:
        proc.stop()
    return res


def strace_counts(path):
    """{system call: calls, "total": all} from strace -c's table."""
    counts = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[0][0].isdigit() and p[3].isdigit() and p[-1] != "total":
                counts[p[-1]] = int(p[3])
    counts["total"] = sum(counts.values())
    return counts


def run_miss(t, w, build, hier, rep):
    """Cache misses at a fixed moderate rate: a fresh process learns the
    benchmark's 200 zone cuts (one name per zone), then gets MISS_RATE names
    per second it has never seen, each one upstream query, from the prober
    (open loop) for MISS_SECONDS. What a miss costs at a rate where the
    resolver sleeps between names: CPU per name (the scheduler's count over
    all threads) and context switches per name. The prober runs on the first
    CPU and the target on the others, as in the cached fixed-load phase."""
    name, addr, kind = t
    files, nsds, k = hier.files, hier.nsds, hier.key
    res = {"target": name, "rep": rep, "stage": k + "miss"}
    proc = start_target(name, addr, kind, w, build, hier)
    try:
        dnsperf(addr, files["miss-warm.txt"], ["-n", "1", "-q", "20", "-t", "5"])
        time.sleep(0.3)
        pid = proc.pid
        cpus = os.sched_getaffinity(0)
        split = len(cpus) >= 2
        if split:
            pin(pid, cpus - {min(cpus)})
        tracer, trace_out = None, os.path.join(w, "run", name + ".strace")
        try:
            if MISS_STRACE:
                tracer = subprocess.Popen(["strace", "-c", "-f", "-o", trace_out,
                                           "-p", str(pid)], stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # attached to every thread
            elif MISS_PERF:
                tracer = subprocess.Popen(["perf", "stat", "-x,", "-o", trace_out, "-e",
                                           "raw_syscalls:sys_enter,context-switches,"
                                           "cpu-migrations", "-p", str(pid)],
                                          stderr=subprocess.DEVNULL)
                time.sleep(0.5)
            ns0, sw0 = task_totals(pid)
            split0, up0 = cpu_split(pid), nsd_queries(nsds)
            f = latprobe(build, addr, files["miss.txt"], MISS_RATE, MISS_SECONDS, 0,
                         {min(cpus)} if split else None)
            ns1, sw1 = task_totals(pid)
            split1, up1 = cpu_split(pid), nsd_queries(nsds)
        finally:
            if tracer is not None:
                tracer.send_signal(signal.SIGINT)
                tracer.wait(10)
            if split:
                pin(pid, cpus)
        names = max(1, f["sent"])
        f.update({"names": f["sent"], "rate": MISS_RATE,
                  "cpu_us_per_name": (ns1 - ns0) / 1000.0 / names,
                  "tick_cpu_us_per_name": (sum(split1) - sum(split0)) * 1e6 / names,
                  # the same ticks, user and system apart
                  "user_us_per_name": (split1[0] - split0[0]) * 1e6 / names,
                  "sys_us_per_name": (split1[1] - split0[1]) * 1e6 / names,
                  "switches_per_name": (sw1 - sw0) / names,
                  "upstream_per_name": (up1 - up0) / names,
                  "threads": len(os.listdir("/proc/%d/task" % pid))})
        if tracer is not None and MISS_PERF and not MISS_STRACE:
            with open(trace_out) as tf:
                for line in tf:
                    p = line.split(",")
                    if len(p) > 2 and p[0].strip().isdigit():
                        f["perf_" + p[2].split(":")[-1].replace("-", "_")] = int(p[0]) / names
            log("  %s miss (perf): %s" % (name, ", ".join(
                "%s %.2f/name" % (k[5:], v) for k, v in f.items() if k.startswith("perf_"))))
        elif tracer is not None:
            f["syscalls"] = strace_counts(trace_out)
            f["syscalls_per_name"] = f["syscalls"].get("total", 0) / names
            log("  %s miss: %.2f system calls/name: %s" % (name, f["syscalls_per_name"], ", ".join(
                "%s %.2f" % (k, v / names) for k, v in sorted(
                    f["syscalls"].items(), key=lambda kv: -kv[1]) if k != "total")))
        res[k + "miss"] = f
        log("  %s %smiss %d/s: %.1f us cpu/name (user %.0f, system %.0f), %.2f switches/name, "
            "%.2f upstream/name, %d lost" % (
                name, k, MISS_RATE, f["cpu_us_per_name"], f["user_us_per_name"],
                f["sys_us_per_name"], f["switches_per_name"], f["upstream_per_name"], f["lost"]))
        if not proc.alive():
            raise RuntimeError("%s died: %s" % (name, proc.tail()))
        vet(res, proc, hier, (k + "miss",))
    finally:
        proc.stop()
    return res


def run_cached(targets, w, build, files, fixed_qps, errors):
    """The cached-answer phases, interleaved: every target runs at once (an
    idle one costs nothing), and each phase takes every target in turn before
    the next phase starts, so that the slices compared are seconds apart
    rather than minutes. Returns (runs, fixed_qps, high_qps, calibration
    peaks); high_qps is None when no calibration ran or it would not exceed
    fixed_qps."""
    procs, runs, cal, high_qps = {}, [], {}, None
    try:
        for t in targets:
            try:
                procs[t[0]] = start_target(t[0], t[1], t[2], w, build)
                prime(t[1], files)
            except (RuntimeError, OSError) as e:
                log("  %s FAILED to start: %s" % (t[0], e))
                errors.append("cached stage, %s: %s" % (t[0], str(e)[:300]))
        live = [t for t in targets if t[0] in procs]

        def fail(t, e):
            log("  %s FAILED: %s" % (t[0], e))
            errors.append("cached stage, %s: %s" % (t[0], str(e)[:300]))
            if t in live:
                live.remove(t)

        def each(order, fn):
            for t in order:
                if t not in live:
                    continue
                try:
                    if not procs[t[0]].alive():
                        raise RuntimeError("exited: %s" % procs[t[0]].tail())
                    fn(t)
                except (RuntimeError, OSError, ValueError, KeyError) as e:
                    fail(t, e)

        if fixed_qps is None:
            # 80% of the lowest peak, rounded down to 1,000 qps, at most 50,000
            def calibrate(t):
                cal[t[0]] = dnsperf(t[1], files["cached.txt"],
                                    ["-c", str(DNSPERF_CLIENTS), "-q", str(DNSPERF_INFLIGHT),
                                     "-l", "2"])["qps"]
            each(list(live), calibrate)
            if not cal:
                raise RuntimeError("no target could be calibrated")
            fixed_qps = max(1000, min(50000, int(min(cal.values()) * 0.8) // 1000 * 1000))
            # and a second, uncapped one, where no target sleeps between queries
            high_qps = int(min(cal.values()) * 0.8) // 1000 * 1000
            if high_qps <= fixed_qps:
                high_qps = None
            log("calibration peaks %s -> fixed load %d qps, high load %s" % (
                ", ".join("%s %.0f" % kv for kv in cal.items()), fixed_qps,
                "%d qps" % high_qps if high_qps else "none"))
        for rnd in range(REPS):
            if not live:
                break
            k = rnd % len(live)
            order = live[k:] + live[:k]
            log("round %d/%d: %s" % (rnd + 1, REPS, ", ".join(t[0] for t in order)))
            res = {t[0]: {"target": t[0], "rep": rnd, "stage": "cached"} for t in order}

            def do_peak(t):
                prime(t[1], files)  # the lab names have TTL 300; the stage runs longer
                p = peak(t[1], files)
                res[t[0]]["peak"] = {"qps": p["qps"], "completed": p["completed"],
                                     "lost": p["lost"], "noerror": p["noerror"]}

            def do_half(t):
                half = max(1000, int(res[t[0]]["peak"]["qps"] / 2))
                res[t[0]]["half"] = latprobe(build, t[1], files["cached.txt"], half, PHASE, 1.0)

            def at_load(t, rate, key):
                # The prober on the first CPU, every thread of the target on
                # the others: left to the scheduler, a target sometimes shared
                # the prober's CPU (a wake-up per query then cost 2.5 us) and
                # sometimes not (6.5 us), whichever target it was, which
                # decided the ratio (see README.md).
                pid = procs[t[0]].pid
                cpus = os.sched_getaffinity(0)
                split = len(cpus) >= 2
                if split:
                    pin(pid, cpus - {min(cpus)})
                try:
                    cpu0 = cpu_seconds(pid)
                    f = latprobe(build, t[1], files["cached.txt"], rate, PHASE, 0,
                                 {min(cpus)} if split else None)
                    cpu1 = cpu_seconds(pid)
                finally:
                    if split:
                        pin(pid, cpus)
                f["threads"] = len(os.listdir("/proc/%d/task" % pid))
                f["cpu_s"] = cpu1 - cpu0
                f["cpu_us_per_answer"] = (cpu1 - cpu0) / max(1, f["answered"]) * 1e6
                res[t[0]][key] = f

            each(order, do_peak)
            each(order, do_half)
            each(order, lambda t: at_load(t, fixed_qps, "fixed"))
            if high_qps:
                each(order, lambda t: at_load(t, high_qps, "high"))
            for t in order:
                if t not in live:
                    continue
                r = res[t[0]]
                log("  %s peak %.0f qps; half %d: p50 %.0f us p99 %.0f us; fixed %d: "
                    "%.2f us cpu/answer (%d lost)" % (
                        t[0], r["peak"]["qps"], r["half"]["rate"], r["half"]["p50_us"],
                        r["half"]["p99_us"], fixed_qps, r["fixed"]["cpu_us_per_answer"],
                        r["fixed"]["lost"]))
                if "high" in r:
                    log("  %s high %d: %.2f us cpu/answer (%d lost)" % (
                        t[0], high_qps, r["high"]["cpu_us_per_answer"], r["high"]["lost"]))
                runs.append(r)
    finally:
        for name, proc in procs.items():
            proc.stop()
            if name.startswith("portcullis"):
                with open(proc.logpath, errors="replace") as lf:
                    ignored = "setting is ignored" in lf.read()
                for r in runs:
                    if r["target"] == name:
                        r["ignored_threads"] = ignored
    return runs, fixed_qps, high_qps, cal


def run_vcached(targets, w, build, hier, errors):
    """Cached validated answers: the ceiling and every resolver at once
    (not portcullis-2t), each primed with the signed hierarchy's cached
    names by DO queries and checked (vet: AD for a DO query, SERVFAIL for
    the tampered name), then REPS rounds of the peak phase with DO queries
    (dnsperf -D), every target in turn, in an order rotated by one place per
    round (VREPS rounds). The ceiling answers DO queries with the same shape
    of answer (AD, the A record, an RRSIG of algorithm 13's size, OPT)."""
    procs, runs, live, checks = {}, [], [], {}
    do = ["-D"]
    sample = None
    with open(hier.files["cached.txt"]) as f:
        sample = f.readline().split()[0]
    try:
        for t in targets:
            if t[0].endswith("-2t"):
                continue
            try:
                procs[t[0]] = start_target(t[0], t[1], t[2], w, build, hier)
                prime(t[1], hier.files, do)
                if t[2] != "ceiling":
                    res = {"target": t[0], "rep": 0, "stage": "vcached"}
                    vet(res, procs[t[0]], hier, (), sample)
                    checks[t[0]] = res["vcheck"]
                    if not res["vcheck"]["ok"]:
                        runs.append(res)
                        errors.append("vcached stage, %s: NOT VALIDATING: %s" % (
                            t[0], res["vcheck"]["why"]))
                        continue
                live.append(t)
            except (RuntimeError, OSError) as e:
                log("  %s FAILED to start: %s" % (t[0], e))
                errors.append("vcached stage, %s: %s" % (t[0], str(e)[:300]))
        for rnd in range(VREPS):
            if not live:
                break
            k = rnd % len(live)
            order = live[k:] + live[:k]
            log("validated cached round %d/%d: %s" % (rnd + 1, VREPS,
                                                     ", ".join(t[0] for t in order)))
            for t in list(order):
                try:
                    if not procs[t[0]].alive():
                        raise RuntimeError("exited: %s" % procs[t[0]].tail())
                    prime(t[1], hier.files, do)
                    p = peak(t[1], hier.files, do)
                except (RuntimeError, OSError, ValueError) as e:
                    log("  %s FAILED: %s" % (t[0], e))
                    errors.append("vcached stage, %s: %s" % (t[0], str(e)[:300]))
                    live.remove(t)
                    continue
                runs.append({"target": t[0], "rep": rnd, "stage": "vcached",
                             "vcheck": checks.get(t[0]),
                             "vpeak": {"qps": p["qps"], "completed": p["completed"],
                                       "lost": p["lost"], "noerror": p["noerror"]}})
                log("  %s validated peak (DO) %.0f qps" % (t[0], p["qps"]))
    finally:
        for proc in procs.values():
            proc.stop()
    return runs


def signed_hierarchy(w, nsd_procs):
    """Signs the signed variant (signed.py) for the validating stages'
    names, starts its NSD instances and waits until each answers; returns
    its Hierarchy."""
    files = write_names(w, signed.zone_name, "v-", VCOLD_NAMES, VMEM_NAMES, [],
                        CACHED_BENCH_NAMES + len(LAB_CACHED))
    h = signed.write_hierarchy(w, listed_names(files), ZONES, nsd_conf)
    log("signed hierarchy: %d names in %d zones signed in %.1f s (algorithm %d)" % (
        h["names"], ZONES, h["sign_s"], signed.ALGORITHM))
    for name, conf, _, _ in h["nsds"]:
        nsd_procs.append(Proc("nsd-" + name, ["nsd", "-d", "-c", conf], w))
    deadline = time.monotonic() + 60
    for name, _, addr, zone in h["nsds"]:
        while not labmod.soa_answers(addr, zone, 0.5):
            if time.monotonic() > deadline:
                raise RuntimeError("signed bench NSD %s not answering" % name)
            time.sleep(0.1)
    hier = Hierarchy("v", files, h["nsds"], h["hints"], h["anchor"], h["ds"],
                     VCOLD_NAMES, VMEM_NAMES)
    hier.sign_s, hier.names = h["sign_s"], h["names"]
    return hier


def fresh_stages(cold, w, build, hier, runs, errors, save):
    """The stages that start a fresh process per target and repetition,
    in an order rotated by one place per repetition: KEY + "cold" (cold
    cache and memory), then KEY + "miss" (misses at a fixed rate), KEY
    being the hierarchy's."""
    for stage, fn in (("cold", run_cold), ("miss", run_miss)):
        stage = hier.key + stage
        reps = VREPS if hier.validating else REPS
        for rep in range(reps if cold and stage in STAGES else 0):
            k = rep % len(cold)
            order = cold[k:] + cold[:k]
            log("%s repetition %d/%d: %s" % (stage, rep + 1, reps, ", ".join(t[0] for t in order)))
            for t in order:
                try:
                    r = fn(t, w, build, hier, rep)
                except (RuntimeError, OSError, ValueError, KeyError) as e:
                    log("  %s FAILED: %s" % (t[0], e))
                    errors.append("%s repetition %d, %s: %s" % (stage, rep + 1, t[0], str(e)[:300]))
                    continue
                runs.append(r)
                if not (r.get("vcheck") or {"ok": True})["ok"]:
                    errors.append("%s repetition %d, %s: NOT VALIDATING: %s" % (
                        stage, rep + 1, t[0], r["vcheck"]["why"]))
            save()


def startup(w, build, pool, rep):
    name = "startup-%d" % pool
    d = os.path.join(w, "run", name)
    argv = resolver_argv(name, "127.50.0.7", "portcullis", w, build, pool=pool, verbosity=2)
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ready = None
        lines = []
        for line in p.stderr:
            lines.append(line)
            if "ready:" in line:
                ready = time.monotonic() - t0
                break
        if ready is None:
            raise RuntimeError("portcullis (pool %d) never ready: %s" % (pool, "".join(lines)))
        rss = rss_kb(p.pid)
        # count the UDP sockets it holds, as a check that the pool is there
        socks = sum(1 for fd in os.listdir("/proc/%d/fd" % p.pid)
                    if os.readlink("/proc/%d/fd/%s" % (p.pid, fd)).startswith("socket:"))
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    shutil.rmtree(d, ignore_errors=True)
    return {"pool": pool, "rep": rep, "ready_ms": ready * 1000, "rss_kb": rss, "sockets": socks}


# ---------------------------------------------------------------- facts

def versions():
    def first(argv, pat=None):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            out = (r.stdout + r.stderr)
        except OSError as e:
            return str(e)
        for line in out.splitlines():
            if pat is None or re.search(pat, line):
                return line.strip()
        return out.strip()[:80]
    def deb(pkg):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        return r.stdout.strip()
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src",
                            "CMakeLists.txt"], capture_output=True, text=True).stdout.strip()
    return {
        "portcullis": "git %s%s" % (git, " + uncommitted changes in src/" if dirty else ""),
        "Unbound": "Debian %s" % deb("unbound"),
        "PowerDNS Recursor": "Debian %s" % deb("pdns-recursor"),
        "Knot Resolver": "Debian %s" % deb("knot-resolver"),
        "dnsperf": "Debian %s" % deb("dnsperf"),
        "NSD": "Debian %s" % deb("nsd"),
        "gnuplot": "Debian %s" % deb("gnuplot-nox"),
    }


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": model,
            "loadavg_at_start": load, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


# ---------------------------------------------------------------- main

def main(argv):
    if len(argv) != 3:
        print("usage: bench.py BUILD_DIR RESULTS_DIR", file=sys.stderr)
        return 2
    build, results = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    if os.environ.get("PC_IN_NETNS") != "1":
        print("bench.py: run inside tests/lab/netns-run", file=sys.stderr)
        return 2
    sel = os.environ.get("TARGETS")
    if os.environ.get("BUILD_B"):
        # another build of portcullis beside this one, for A/B comparisons
        TARGETS.insert(2, ("portcullis-b", "127.50.0.6", "portcullis"))
    targets = [t for t in TARGETS if not sel or t[0] in sel.split(",")]
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    w = tempfile.mkdtemp(prefix="pc-bench-resolvers-", dir=base)
    facts = {"machine": machine(), "versions": versions(),
             "settings": {"quick": QUICK, "reps": REPS, "phase_seconds": PHASE,
                          "cold_names": COLD_NAMES, "mem_names": MEM_NAMES, "zones": ZONES,
                          "stages": STAGES, "miss_rate": MISS_RATE,
                          "miss_seconds": MISS_SECONDS,
                          "cache_mb": CACHE_MB, "dnsperf_clients": DNSPERF_CLIENTS,
                          "dnsperf_inflight": DNSPERF_INFLIGHT, "cold_inflight": COLD_INFLIGHT,
                          "latprobe_sockets": LATPROBE_SOCKETS,
                          "cached_names": len(LAB_CACHED) + CACHED_BENCH_NAMES}}
    lab = labmod.Lab(os.path.join(w, "lab"))
    nsd_procs = []
    runs, starts, errors = [], [], []
    facts["notes"] = [n for n in [os.environ.get("BENCH_NOTE", "").strip()] if n]
    facts["errors"] = errors
    try:
        log("work directory %s; %d repetition(s), %g s phases%s" % (
            w, REPS, PHASE, " (QUICK)" if QUICK else ""))
        lab.start()
        nsds = write_hierarchy(w)
        files = write_names(w)
        hier = Hierarchy("", files, nsds, os.path.join(w, "bench.hints"))
        for name, conf in nsds:
            nsd_procs.append(Proc("nsd-" + name, ["nsd", "-d", "-c", conf], w))
        deadline = time.monotonic() + 20
        for (name, conf), addr in zip(nsds, [ROOT_ADDR, TLD_ADDR] + ZONE_ADDRS):
            zone = "." if name == "root" else "bench." if name == "tld" else \
                zone_name(ZONE_ADDRS.index(addr))
            while not labmod.soa_answers(addr, zone, 0.5):
                if time.monotonic() > deadline:
                    raise RuntimeError("bench NSD %s not answering" % name)
                time.sleep(0.1)
        log("lab and bench hierarchy up (%d zones)" % ZONES)
        vstages = [x for x in STAGES if x.startswith("v")]
        vhier = signed_hierarchy(w, nsd_procs) if vstages else None
        if vhier:
            facts["settings"].update(vreps=VREPS, vcold_names=VCOLD_NAMES, vmem_names=VMEM_NAMES,
                                     signed_names=vhier.names, sign_s=vhier.sign_s,
                                     algorithm=signed.ALGORITHM,
                                     vcached_names=len(LAB_CACHED) + CACHED_BENCH_NAMES)

        def save():
            with open(os.path.join(results, "resolvers.json"), "w") as f:
                json.dump({"facts": facts, "runs": runs, "startup": starts}, f, indent=1)

        # 1. cold cache and memory, 2. cache misses at a fixed rate: a fresh
        # process per target and repetition
        cold = [t for t in targets if t[2] != "ceiling" and not t[0].endswith("-2t")]
        fresh_stages(cold, w, build, hier, runs, errors, save)
        # 3. cached answers: all targets at once, phases interleaved
        fixed = int(os.environ["FIXED_QPS"]) if os.environ.get("FIXED_QPS") else None
        cal, high = {}, None
        try:
            if "cached" in STAGES:
                cached, fixed, high, cal = run_cached(targets, w, build, files, fixed, errors)
                runs.extend(cached)
        except (RuntimeError, OSError, ValueError) as e:
            log("  cached stage FAILED: %s" % e)
            errors.append("cached stage: %s" % str(e)[:300])
            cal, high = {}, None
        facts["settings"]["fixed_qps"] = fixed
        facts["settings"]["high_qps"] = high
        facts["calibration_peaks"] = cal
        save()
        # 4. start-up of the pool
        for rep in range(REPS if any(t[2] == "portcullis" for t in targets) and
                         "startup" in STAGES else 0):
            for pool in POOL_SIZES:
                try:
                    s = startup(w, build, pool, rep)
                except (RuntimeError, OSError) as e:
                    log("  start-up pool %d FAILED: %s" % (pool, e))
                    errors.append("repetition %d, start-up pool %d: %s" % (
                        rep + 1, pool, str(e)[:300]))
                    continue
                starts.append(s)
                log("  start-up pool %d: %.0f ms, %d kB RSS, %d sockets" % (
                    pool, s["ready_ms"], s["rss_kb"], s["sockets"]))
        # 5. the validating rows over the signed hierarchy: cold and memory,
        # misses at a fixed rate, cached validated answers
        if vhier:
            fresh_stages(cold, w, build, vhier, runs, errors, save)
        if vhier and "vcached" in STAGES:
            runs.extend(run_vcached(targets, w, build, vhier, errors))
        with open("/proc/loadavg") as f:
            facts["machine"]["loadavg_at_end"] = f.read().split()[:3]
        save()
    finally:
        for p in nsd_procs:
            p.stop()
        try:
            lab.stop()
        except labmod.LabError as e:
            log("lab: %s" % e)
        if os.environ.get("KEEP"):
            log("kept %s" % w)
        else:
            shutil.rmtree(w, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "report.py"),
                    os.path.join(results, "resolvers.json"), results], check=True)
    bad = sorted({r["target"] for r in runs if not (r.get("vcheck") or {"ok": True})["ok"]})
    if bad:
        log("NOT VALIDATING: %s (a DO query came without AD or its RRSIG, or the tampered "
            "name was not SERVFAIL; see latest.md's Failures)" % ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
