#!/usr/bin/python3
"""Turns bench/results/resolvers.json (bench.py) into latest.md and the
gnuplot charts beside it.   usage: report.py RESOLVERS_JSON RESULTS_DIR"""

import json
import os
import statistics
import subprocess
import sys

ORDER = ["ceiling", "portcullis", "portcullis-b", "portcullis-2t", "unbound", "pdns-recursor", "knot-resolver"]


def get(run, path):
    v = run
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


class Stat:
    """Values of one metric, one per repetition (by_rep: rep -> value)."""

    def __init__(self, values, reps=None):
        pairs = list(zip(reps if reps is not None else range(len(values)), values))
        self.by_rep = {r: v for r, v in pairs if v is not None}
        self.values = list(self.by_rep.values())

    def ok(self):
        return bool(self.values)

    @property
    def med(self):
        return statistics.median(self.values)

    @property
    def lo(self):
        return min(self.values)

    @property
    def hi(self):
        return max(self.values)

    def fmt(self, f="%.0f"):
        if not self.values:
            return "–"
        if len(self.values) == 1 or self.lo == self.hi:
            return f % self.med
        return (f + " (" + f + "–" + f + ")") % (self.med, self.lo, self.hi)


def ratio(a, b):
    """Median (min–max) over the repetitions of a/b, each repetition's a
    against the same repetition's b."""
    if a is None or b is None or not a.ok() or not b.ok():
        return "–"
    r = [a.by_rep[k] / b.by_rep[k] for k in a.by_rep if k in b.by_rep and b.by_rep[k]]
    if not r:
        return "–"
    if len(r) == 1 or min(r) == max(r):
        return "%.2f×" % r[0]
    return "%.2f× (%.2f–%.2f)" % (statistics.median(r), min(r), max(r))


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = json.load(open(argv[1]))
    out = argv[2]
    facts, runs, starts = data["facts"], data["runs"], data["startup"]
    targets = [t for t in ORDER if any(r["target"] == t for r in runs)]

    def stat(t, path):
        mine = [r for r in runs if r["target"] == t]
        return Stat([get(r, path) for r in mine], [r["rep"] for r in mine])

    metrics = {
        "peak": ("peak.qps", "%.0f"),
        "half_rate": ("half.rate", "%.0f"),
        "p50": ("half.p50_us", "%.0f"),
        "p99": ("half.p99_us", "%.0f"),
        "cpu": ("fixed.cpu_us_per_answer", "%.2f"),
        "fixed_lost": ("fixed.lost", "%.0f"),
        "fixed_p50": ("fixed.p50_us", "%.0f"),
        "fixed_p99": ("fixed.p99_us", "%.0f"),
        "threads": ("fixed.threads", "%.0f"),
        "high_cpu": ("high.cpu_us_per_answer", "%.2f"),
        "high_lost": ("high.lost", "%.0f"),
        "cold_wall": ("cold.wall_s", "%.2f"),
        "cold_cpu": ("cold.cpu_s_per_1000", "%.3f"),
        "cold_up": ("cold.upstream_per_name", "%.3f"),
        "cold_ok": ("cold.noerror", "%.0f"),
        "mem": ("memory.bytes_per_rrset", "%.0f"),
        "rrsets": ("memory.rrsets", "%.0f"),
        "recheck": ("memory.recheck_upstream_per_name", "%.3f"),
        "miss_cpu": ("miss.cpu_us_per_name", "%.1f"),
        "miss_tick": ("miss.tick_cpu_us_per_name", "%.0f"),
        "miss_sw": ("miss.switches_per_name", "%.2f"),
        "miss_up": ("miss.upstream_per_name", "%.3f"),
        "miss_lost": ("miss.lost", "%.0f"),
        "miss_p50": ("miss.p50_us", "%.0f"),
        "miss_p99": ("miss.p99_us", "%.0f"),
        "miss_threads": ("miss.threads", "%.0f"),
        "miss_sys": ("miss.perf_sys_enter", "%.2f"),
        # the validating rows (signed hierarchy, validation on for all)
        "vcold_wall": ("vcold.wall_s", "%.2f"),
        "vcold_cpu": ("vcold.cpu_s_per_1000", "%.3f"),
        "vcold_up": ("vcold.upstream_per_name", "%.3f"),
        "vcold_ok": ("vcold.noerror", "%.0f"),
        "vmem": ("vmemory.bytes_per_rrset", "%.0f"),
        "vrrsets": ("vmemory.rrsets", "%.0f"),
        "vrecheck": ("vmemory.recheck_upstream_per_name", "%.3f"),
        "vmiss_cpu": ("vmiss.cpu_us_per_name", "%.1f"),
        "vmiss_tick": ("vmiss.tick_cpu_us_per_name", "%.0f"),
        "vmiss_user": ("vmiss.user_us_per_name", "%.0f"),
        "vmiss_sys": ("vmiss.sys_us_per_name", "%.0f"),
        "vmiss_sw": ("vmiss.switches_per_name", "%.2f"),
        "vmiss_up": ("vmiss.upstream_per_name", "%.3f"),
        "vmiss_lost": ("vmiss.lost", "%.0f"),
        "vmiss_p50": ("vmiss.p50_us", "%.0f"),
        "vmiss_p99": ("vmiss.p99_us", "%.0f"),
        "vpeak": ("vpeak.qps", "%.0f"),
    }
    S = {t: {k: stat(t, p) for k, (p, _) in metrics.items()} for t in targets}
    # the validation checks of the validating runs: target -> (checks
    # passed, [why of each failed one])
    vchecks, seen = {}, set()
    for r in runs:
        c = r.get("vcheck")
        # the cached stage checks each target once, before its rounds
        key = (r["target"], r["stage"], 0 if r["stage"] == "vcached" else r["rep"])
        if not c or key in seen:
            continue
        seen.add(key)
        why = vchecks.setdefault(r["target"], [0, []])[1]
        if c["ok"]:
            vchecks[r["target"]][0] += 1
        elif c["why"] not in why:
            why.append(c["why"])
    F = {k: f for k, (_, f) in metrics.items()}
    s = facts["settings"]
    m = facts["machine"]
    reps = s["reps"]
    L = []
    w = L.append
    w("# Resolver benchmark: portcullis, Unbound, PowerDNS Recursor, Knot Resolver")
    w("")
    w("Generated by `bench/resolvers/run.sh` (`make bench%s`) on %s. %s: %d repetition(s), "
      "%g s per load phase; every figure is the median over the repetitions with the "
      "spread (min–max) in brackets. Raw numbers: [resolvers.json](resolvers.json). "
      "Method and every resolver setting: [bench/resolvers/README.md](../resolvers/README.md)."
      % (" QUICK=1" if s["quick"] else "", m["date"], "QUICK run" if s["quick"] else "Full run",
         reps, s["phase_seconds"]))
    w("")
    busy = float(m["loadavg_at_start"][0]) > 1.0 or \
        float(m.get("loadavg_at_end", ["0"])[0]) > 3.0
    w("Machine: %d CPU(s) (%s), Linux %s; load average %s at start, %s at end%s."
      % (m["nproc"], m["cpu"] or "unknown CPU", m["kernel"], " ".join(m["loadavg_at_start"]),
         " ".join(m.get("loadavg_at_end", ["?"])),
         " (the machine was shared: other jobs ran during the benchmark, so the spread is "
         "wide and small differences mean little)" if busy else ""))
    w("")
    for n in facts.get("notes", []):
        w("**Note:** " + n)
        w("")
    w("Versions: " + "; ".join("%s %s" % (k, v) for k, v in facts["versions"].items()) + ".")
    w("")

    # ---- targets
    pc, ub, ce, pc2 = (S.get(n) for n in ("portcullis", "unbound", "ceiling", "portcullis-2t"))
    w("## Targets")
    w("")
    w("The verdict uses the ratio of the medians; the per-repetition ratios (each "
      "repetition's portcullis against the same repetition's reference) show how firm it is.")
    w("")
    w("| target | measured | result |")
    w("|---|---|---|")

    def target(desc, a, b, factor, higher_better, what):
        if a is None or b is None or not a.ok() or not b.ok():
            w("| %s | – | not measured |" % desc)
            return
        r = a.med / b.med
        ok = r >= factor if higher_better else r <= factor
        w("| %s | %s = %.3f× (needs %s %.2f×; per repetition %s) | **%s** |" % (
            desc, what, r, "≥" if higher_better else "≤", factor, ratio(a, b),
            "pass" if ok else "FAIL"))

    if pc and ce and s.get("fixed_qps"):
        target("cached peak QPS ≥ 97% of the ceiling", pc["peak"], ce["peak"], 0.97, True,
               "%.0f / %.0f qps" % (pc["peak"].med, ce["peak"].med))
        target("CPU per answered query at %d qps ≤ 1.1× the ceiling's" % s["fixed_qps"],
               pc["cpu"], ce["cpu"], 1.1, False,
               "%.2f / %.2f µs" % (pc["cpu"].med, ce["cpu"].med))
    if pc and ub:
        def both(k, f):
            return f % (pc[k].med, ub[k].med) if pc[k].ok() and ub[k].ok() else ""
        target("cold-cache CPU per 1,000 names ≤ 0.5× Unbound's", pc["cold_cpu"], ub["cold_cpu"],
               0.5, False, both("cold_cpu", "%.3f / %.3f s"))
        target("CPU per name at {:,} new names/s ≤ 0.6× Unbound's".format(s.get("miss_rate", 1000)),
               pc["miss_cpu"], ub["miss_cpu"], 0.6, False, both("miss_cpu", "%.1f / %.1f µs"))
        target("RSS per cached RRset ≤ 0.7× Unbound's", pc["mem"], ub["mem"], 0.7, False,
               both("mem", "%.0f / %.0f B"))
        target("p99 latency at half of own peak ≤ Unbound's", pc["p99"], ub["p99"], 1.0, False,
               both("p99", "%.0f / %.0f µs"))
    if pc and any(S[t][k].ok() for t in targets
                  for k in ("vcold_cpu", "vmiss_cpu", "vpeak", "vmem")):
        def vboth(k, f, ref=ub):
            return f % (pc[k].med, ref[k].med) if ref and pc[k].ok() and ref[k].ok() else ""
        if ub:
            target("validating: cold-cache CPU per 1,000 signed names ≤ 0.6× Unbound's",
                   pc["vcold_cpu"], ub["vcold_cpu"], 0.6, False,
                   vboth("vcold_cpu", "%.3f / %.3f s"))
        if ce:
            target("validating: cached validated answers (DO) peak ≥ 97% of the ceiling's",
                   pc["vpeak"], ce["vpeak"], 0.97, True, vboth("vpeak", "%.0f / %.0f qps", ce))
        if ub:
            target("validating: RSS per cached signed RRset ≤ 0.7× Unbound's", pc["vmem"],
                   ub["vmem"], 0.7, False, vboth("vmem", "%.0f / %.0f B"))
    if vchecks:
        bad = {t: v for t, v in vchecks.items() if v[1]}
        w("| validating: every resolver validates (AD and the RRSIG for a DO query, SERVFAIL "
          "for a tampered name), checked in every validating run | %s | **%s** |" % (
              "; ".join("%s: %s" % (t, v[1][0]) for t, v in bad.items()) if bad else
              "%d checks, all passed" % sum(v[0] for v in vchecks.values()),
              "FAIL" if bad else "pass"))
    if pc and pc2 and pc["cpu"].ok() and pc2["cpu"].ok():
        r = pc2["cpu"].med / pc["cpu"].med
        w("| CPU per query, num-threads 2 within 10%% of num-threads 1 | %.2f / %.2f µs = %.3f× "
          "(needs 0.90–1.10×; per repetition %s) | **%s** |" % (
              pc2["cpu"].med, pc["cpu"].med, r, ratio(pc2["cpu"], pc["cpu"]),
              "pass" if 0.9 <= r <= 1.1 else "FAIL"))
    w("")
    if pc2 is not None:
        ign = [r.get("ignored_threads") for r in runs if r["target"] == "portcullis-2t"]
        th = pc2["threads"].fmt("%.0f")
        if any(ign):
            w("The portcullis-2t row runs with `num-threads: 2`, but this build logged "
              "\"num-threads 2: this version runs one worker; the setting is ignored\" "
              "(process threads: %s, against %s for num-threads 1), so that row is a second "
              "sample of the one-worker daemon, and the num-threads target says nothing yet."
              % (th, pc["threads"].fmt("%.0f")))
        else:
            w("The portcullis-2t row runs with `num-threads: 2` (process threads: %s, against "
              "%s for num-threads 1)." % (th, pc["threads"].fmt("%.0f")))
        w("")

    def vs(x, k):
        """A figure and its ratios to the ceiling's and to Unbound's."""
        return [x[k].fmt(F[k]), ratio(x[k], ce and ce[k]), ratio(x[k], ub and ub[k])]

    def table(head, row, rows=targets):
        w("| target | " + " | ".join(head) + " |")
        w("|---|" + "---:|" * len(head))
        for t in rows:
            w("| " + " | ".join([t] + row(S[t])) + " |")
        w("")

    # ---- cache misses at a fixed rate
    miss_targets = [t for t in targets if S[t]["miss_cpu"].ok()]
    if miss_targets:
        w("## Cache misses at a fixed rate")
        w("")
        w("A fresh process learns the %d zone cuts (one name per zone), then `pc-bench-latprobe` "
          "sends it %s names per second it has never seen (`nN.zNNN.bench. A`, each one "
          "upstream query) for %g s, open loop, from the first CPU, the target on the others. "
          "CPU is the time the scheduler counted on a CPU for all the target's threads "
          "(`/proc/PID/task/*/schedstat`) per name sent; the clock-tick figure (utime+stime) "
          "beside it is the coarser cross-check. Switches are the voluntary and involuntary "
          "context switches of all its threads per name. The repetitions start a fresh "
          "process for every target, in an order rotated by one place per repetition."
          % (s["zones"], "{:,}".format(s.get("miss_rate", 1000)), s.get("miss_seconds", 0)))
        w("")
        table(["CPU µs / name", "/ Unbound", "(ticks) µs / name", "switches / name",
               "upstream / name", "p50 µs", "p99 µs", "lost", "threads"],
              lambda x: [x["miss_cpu"].fmt(F["miss_cpu"]),
                         ratio(x["miss_cpu"], ub and ub["miss_cpu"]),
                         x["miss_tick"].fmt(F["miss_tick"]), x["miss_sw"].fmt(F["miss_sw"]),
                         x["miss_up"].fmt(F["miss_up"]), x["miss_p50"].fmt(F["miss_p50"]),
                         x["miss_p99"].fmt(F["miss_p99"]), x["miss_lost"].fmt(F["miss_lost"]),
                         x["miss_threads"].fmt(F["miss_threads"])],
              miss_targets)
        if any(S[t]["miss_sys"].ok() for t in miss_targets):
            w("Counted by `perf stat` during the same runs (MISS_PERF=1):")
            w("")
            table(["system calls / name", "context switches / name"],
                  lambda x: [x["miss_sys"].fmt(F["miss_sys"]), x["miss_sw"].fmt(F["miss_sw"])],
                  miss_targets)

    # ---- cached
    if any(S[t]["peak"].ok() for t in targets):
        w("## Cached answers")
        w("")
        w("dnsperf -c %d -q %d over %d cached names (8 lab names, %d under bench.), "
          "primed twice first. Latency: `pc-bench-latprobe` at half of each one's own peak, "
          "open loop from %d client sockets, 1 s warm-up not counted, from the send to the "
          "kernel's receive timestamp of the answer. CPU: utime+stime from "
          "/proc/PID/stat over a %g s run of the same prober at a fixed %d qps offered to every "
          "target (80%% of the lowest peak of a calibration pass, at most 50,000), divided by "
          "the answers; in the fixed-load phases the prober runs on the first CPU and the "
          "target on the others (the README says why). The phases interleave the targets: "
          "each round runs every target's peak, then every target's latency, then every "
          "target's fixed loads."
          % (s["dnsperf_clients"], s["dnsperf_inflight"], s["cached_names"],
             s["cached_names"] - 8, s.get("latprobe_sockets", 1), s["phase_seconds"],
             s["fixed_qps"]))
        w("")
        table(["peak qps", "/ ceiling", "/ Unbound", "half-peak rate", "p50 µs", "p99 µs",
               "p99 / Unbound"],
              lambda x: vs(x, "peak") + [x["half_rate"].fmt(F["half_rate"]), x["p50"].fmt(F["p50"]),
                                         x["p99"].fmt(F["p99"]), ratio(x["p99"], ub and ub["p99"])])
        w("At the common fixed load of %d qps:" % s["fixed_qps"])
        w("")
        table(["CPU µs / answer", "/ ceiling", "/ Unbound", "p50 µs", "p99 µs", "lost", "threads"],
              lambda x: vs(x, "cpu") + [x["fixed_p50"].fmt(F["fixed_p50"]),
                                        x["fixed_p99"].fmt(F["fixed_p99"]),
                                        x["fixed_lost"].fmt(F["fixed_lost"]),
                                        x["threads"].fmt(F["threads"])])
        if s.get("high_qps"):
            w("At the higher fixed load of %d qps (80%% of the lowest calibration peak, no "
              "cap), where the targets rarely sleep between queries, so the figure is the work "
              "per answer more than the cost of waking up (not a target; shown for comparison):"
              % s["high_qps"])
            w("")
            table(["CPU µs / answer", "/ ceiling", "/ Unbound", "lost"],
                  lambda x: vs(x, "high_cpu") + [x["high_lost"].fmt(F["high_lost"])])
        w("On 2 CPUs the load generator (dnsperf, one thread) needs a core of its own, so the "
          "ceiling's peak is dnsperf's as much as the loopback's: a resolver that comes near or "
          "above it (ratio ≈ 1, or > 1 by noise) is at the generator's limit, and the CPU per "
          "answer at the fixed load is the sharper comparison.")
        w("")
        w("![cached throughput](resolvers-throughput.png) ![latency at half load](resolvers-latency.png) "
          "![CPU per answer](resolvers-cpu.png)")
        w("")

    # ---- cold and memory
    cold_targets = [t for t in targets if S[t]["cold_cpu"].ok()]
    if cold_targets:
        w("## Cold cache and memory")
        w("")
        w("From an empty cache (fresh process), %d distinct names (`cN.zNNN.bench. A`) spread "
          "over %d generated zones, dnsperf -n 1 -q %d. Upstream queries are counted at the "
          "authoritative side (sum of `num.queries` of `nsd-control stats_noreset` over the "
          "root, TLD and zone servers of the benchmark hierarchy), so every resolver is "
          "counted the same way. Then %d more distinct names (`mN.zNNN.bench.`); memory is "
          "(VmRSS after − VmRSS once ready) / answered names (each a distinct A RRset)."
          % (s["cold_names"], s["zones"], s["cold_inflight"],
             max(0, s["mem_names"] - s["cold_names"])))
        w("")
        table(["wall s", "CPU s / 1000 names", "/ Unbound", "upstream / name", "answered",
               "B / RRset", "/ Unbound", "RRsets", "re-ask: upstream / name"],
              lambda x: [x["cold_wall"].fmt(F["cold_wall"]), x["cold_cpu"].fmt(F["cold_cpu"]),
                         ratio(x["cold_cpu"], ub and ub["cold_cpu"]),
                         x["cold_up"].fmt(F["cold_up"]), x["cold_ok"].fmt(F["cold_ok"]),
                         x["mem"].fmt(F["mem"]), ratio(x["mem"], ub and ub["mem"]),
                         x["rrsets"].fmt(F["rrsets"]), x["recheck"].fmt(F["recheck"])],
              cold_targets)
        w("Re-ask: after the memory phase, about 2,000 of the names (every %d-th of each "
          "list) are asked again and the upstream queries counted: near 0 means the RRsets "
          "whose memory is counted are really held. Knot Resolver keeps its cache in an LMDB "
          "file (on tmpfs, preallocated to 256 MB) that its VmRSS mostly does not show; its "
          "figure is the growth of VmRSS without RssShmem plus the growth of the LMDB pages "
          "in use (high-water mark from the file's meta page)."
          % (max(1, s["cold_names"] // 1000)))
        w("")

    # ---- start-up
    if starts:
        w("## portcullis start-up")
        w("")
        w("Time from exec to the `ready:` log line (verbosity 2), VmRSS and sockets held at "
          "that moment; IPv4 only (`do-ip6: no`), so the pool is exactly socket-pool-size sockets.")
        w("")
        w("| socket-pool-size | ready ms | VmRSS kB | sockets |")
        w("|---:|---:|---:|---:|")
        for pool in sorted({x["pool"] for x in starts}):
            rows = [x for x in starts if x["pool"] == pool]
            w("| %d | %s | %s | %s |" % (pool, Stat([x["ready_ms"] for x in rows]).fmt("%.0f"),
                                        Stat([x["rss_kb"] for x in rows]).fmt("%.0f"),
                                        Stat([x["sockets"] for x in rows]).fmt("%.0f")))
        w("")
    # ---- validating rows
    if vchecks or any(S[t]["vpeak"].ok() for t in targets):
        validating(w, s, targets, S, F, vchecks, ratio, ub, ce)
    if facts.get("errors"):
        w("## Failures")
        w("")
        for n in facts["errors"]:
            w("- " + n.replace("\n", " "))
        w("")
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write("\n".join(L))
    if any(S[t]["peak"].ok() for t in targets):
        charts(out, targets, S)
    return 0


def validating(w, s, targets, S, F, vchecks, ratio, ub, ce):
    """The section of the validating rows: every resolver with DNSSEC
    validation on over the signed hierarchy (bench/resolvers/signed.py)."""
    w("## Validating: DNSSEC on for every resolver")
    w("")
    w("The same stages over a signed copy of the hierarchy (root, `sbench.` and %d zones "
      "`zNNN.sbench.`, signed at the start of the run with fresh keys, algorithm %s, NSEC; "
      "%s names, each its own A record: no wildcard) with validation on everywhere and the "
      "signed root's DS as the only trust anchor: portcullis `module-config: \"validator "
      "iterator\"` and `trust-anchor-file`, Unbound the same, PowerDNS Recursor "
      "`dnssec=validate` with `clearTA()` and `addTA()` in its Lua config, Knot Resolver "
      "`trust_anchors.remove('.')` and `trust_anchors.add_file(FILE, true)`. After each "
      "run's figures are taken (and, in the cached stage, after priming), a DO query for a "
      "name of the stage must come back with AD and the A record's RRSIG, and "
      "`bogus.z000.sbench. A`, changed after signing, must come back SERVFAIL; a run that "
      "fails this check is not counted, and is listed under Failures. %s repetition(s) "
      "(rounds, in the cached stage) of each stage; signing took %.0f s."
      % (s["zones"], s.get("algorithm", "?"), "{:,}".format(s.get("signed_names", 0)),
         s.get("vreps", "?"), s.get("sign_s", 0)))
    w("")
    w("| target | validation checks passed | failed |")
    w("|---|---:|---|")
    for t in targets:
        if t in vchecks:
            n, why = vchecks[t]
            w("| %s | %d | %s |" % (t, n, "**" + "; ".join(why) + "**" if why else "none"))
    w("")

    def table(head, row, rows):
        w("| target | " + " | ".join(head) + " |")
        w("|---|" + "---:|" * len(head))
        for t in rows:
            w("| " + " | ".join([t] + row(S[t])) + " |")
        w("")

    rows = [t for t in targets if S[t]["vcold_cpu"].ok()]
    if rows:
        w("**Cold cache and memory.** A fresh process, %s signed names (`cN.zNNN.sbench. A`, "
          "without DO, as most clients ask), dnsperf -n 1 -q %d; then %s more (`mN`) for "
          "the memory per cached signed RRset (the A record and its RRSIG). The ideal "
          "upstream count is 1 + 400/N: the DS comes with each zone's referral, the zone's "
          "DNSKEY is one more query."
          % ("{:,}".format(s.get("vcold_names", 0)), s["cold_inflight"],
             "{:,}".format(max(0, s.get("vmem_names", 0) - s.get("vcold_names", 0)))))
        w("")
        table(["wall s", "CPU s / 1000 names", "/ Unbound", "upstream / name", "answered",
               "B / RRset", "/ Unbound", "RRsets", "re-ask: upstream / name"],
              lambda x: [x["vcold_wall"].fmt(F["vcold_wall"]), x["vcold_cpu"].fmt(F["vcold_cpu"]),
                         ratio(x["vcold_cpu"], ub and ub["vcold_cpu"]),
                         x["vcold_up"].fmt(F["vcold_up"]), x["vcold_ok"].fmt(F["vcold_ok"]),
                         x["vmem"].fmt(F["vmem"]), ratio(x["vmem"], ub and ub["vmem"]),
                         x["vrrsets"].fmt(F["vrrsets"]), x["vrecheck"].fmt(F["vrecheck"])], rows)
    rows = [t for t in targets if S[t]["vmiss_cpu"].ok()]
    if rows:
        w("**Cache misses at a fixed rate.** As the miss stage above: the %d zone cuts (and "
          "their DNSKEYs) learnt first, then %s new signed names per second for %g s, each "
          "one upstream query and one signature check. Not a target (the validating target is "
          "the cold-cache row above): most of a validated miss is the one ECDSA verification, "
          "the same library call in every resolver, so the ratio shows what is done around it."
          % (s["zones"], "{:,}".format(s.get("miss_rate", 1000)), s.get("miss_seconds", 0)))
        w("")
        table(["CPU µs / name", "/ Unbound", "(ticks) µs / name", "of it user", "of it system",
               "switches / name", "upstream / name", "p50 µs", "p99 µs", "lost"],
              lambda x: [x["vmiss_cpu"].fmt(F["vmiss_cpu"]),
                         ratio(x["vmiss_cpu"], ub and ub["vmiss_cpu"]),
                         x["vmiss_tick"].fmt(F["vmiss_tick"]), x["vmiss_user"].fmt(F["vmiss_user"]),
                         x["vmiss_sys"].fmt(F["vmiss_sys"]), x["vmiss_sw"].fmt(F["vmiss_sw"]),
                         x["vmiss_up"].fmt(F["vmiss_up"]), x["vmiss_p50"].fmt(F["vmiss_p50"]),
                         x["vmiss_p99"].fmt(F["vmiss_p99"]), x["vmiss_lost"].fmt(F["vmiss_lost"])],
              rows)
    rows = [t for t in targets if S[t]["vpeak"].ok()]
    if rows:
        w("**Cached validated answers.** Every target up at once, %s signed names primed "
          "twice with DO queries, then dnsperf -D -c %d -q %d for %g s per round (DO queries: "
          "each answer carries AD and the RRSIG), the targets in an order rotated by one "
          "place per round. The ceiling answers a DO query with the same shape (AD, the A "
          "record, an RRSIG of algorithm 13's size, OPT)."
          % ("{:,}".format(s.get("vcached_names", 0)), s["dnsperf_clients"],
             s["dnsperf_inflight"], s["phase_seconds"]))
        w("")
        table(["peak qps", "/ ceiling", "/ Unbound"],
              lambda x: [x["vpeak"].fmt(F["vpeak"]), ratio(x["vpeak"], ce and ce["vpeak"]),
                         ratio(x["vpeak"], ub and ub["vpeak"])], rows)


def charts(out, targets, S):
    dat = os.path.join(out, ".resolvers-chart.dat")
    with open(dat, "w") as f:
        f.write("# target peak lo hi p50 p50lo p50hi p99 p99lo p99hi cpu cpulo cpuhi\n")
        for t in targets:
            x = S[t]
            row = [t]
            for k in ("peak", "p50", "p99", "cpu"):
                st = x[k]
                row += ["%g" % st.med, "%g" % st.lo, "%g" % st.hi] if st.ok() else ["0", "0", "0"]
            f.write(" ".join(row) + "\n")
    gp = """
set terminal pngcairo size 900,480 font "sans,10"
set style data histogram
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set key top right
set xtics rotate by -20
set yrange [0:*]
set output "{out}/resolvers-throughput.png"
set title "Cached answers: peak queries per second (dnsperf; median, bars min-max)"
set style histogram errorbars gap 2 lw 1
plot "{dat}" using 2:3:4:xtic(1) title "peak qps" lc rgb "#3b6ea5"
set output "{out}/resolvers-cpu.png"
set key top left
set title "CPU per answered query at the common fixed load (microseconds; median, bars min-max)"
plot "{dat}" using 11:12:13:xtic(1) title "CPU us / answer" lc rgb "#8e7cc3"
set output "{out}/resolvers-latency.png"
set title "Latency at half of each one's own peak (microseconds; median, bars min-max)"
set logscale y
set yrange [1:*]
plot "{dat}" using 5:6:7:xtic(1) title "p50" lc rgb "#6aa84f", \\
     "" using 8:9:10 title "p99" lc rgb "#cc4125"
""".format(out=out, dat=dat)
    r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    os.unlink(dat)
    if r.returncode != 0:
        print("report.py: gnuplot: %s" % r.stderr, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
