#!/usr/bin/python3
"""How many bits must an off-path forger guess per upstream query?

Runs inside tests/lab/netns-run. Starts the lab and a portcullis with its
default defences (only the lab's root hints, listen address and localhost
permission set), sends N distinct questions under rnd.lab. through it with
dnsperf, and reads what the lab's recorder server saw: the source port, the
ID and the letter case of every query. From that capture it estimates, for
each part a forged reply has to match, the collision entropy

    H2(X) = -log2( P[two independent queries agree on X] )

which is exactly the chance that a forger who draws guesses the way the
resolver draws them hits one query: the effective guessing entropy for an
attacker who knows the distribution. Coincidences among all N*(N-1)/2 pairs
give an unbiased estimate of that probability, also for 2^16 values from
10^5 samples. Shannon entropy (Miller-Madow corrected) and the largest
observed frequency are reported beside it.

The parts are drawn independently (separate CSPRNG draws); the capture
tests that: the coincidences of (port, ID) pairs must match the product of
the single ones. The total is the sum of the parts.

usage: measure.py BUILD_DIR OUT_DIR [--queries N] [--qps R]
"""

import argparse
import collections
import datetime
import json
import math
import os
import random
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import lab as lablib  # noqa: E402

LISTEN = "127.0.0.53"
LABEL_LETTERS = 8


def collisions(values):
    """Number of unordered pairs with equal values."""
    return sum(c * (c - 1) // 2 for c in collections.Counter(values).values())


def h2(values):
    """Collision entropy estimate in bits, with the pair count behind it."""
    n = len(values)
    pairs = n * (n - 1) // 2
    c = collisions(values)
    if c == 0:
        return float("inf"), c, pairs
    return -math.log2(c / pairs), c, pairs


def shannon_mm(values):
    """Shannon entropy, plug-in plus the Miller-Madow correction."""
    n = len(values)
    counts = collections.Counter(values)
    h = -sum(c / n * math.log2(c / n) for c in counts.values())
    return h + (len(counts) - 1) / (2 * n * math.log(2))


def case_bits(qname):
    """The letter case of QNAME as a bit string (1 = upper), and its letters."""
    bits = "".join("1" if ch.isupper() else "0" for ch in qname if ch.isalpha())
    return bits


def part(name, values, ideal):
    hh, c, pairs = h2(values)
    top = collections.Counter(values).most_common(1)[0][1]
    return {
        "part": name,
        "h2_bits": hh,
        "collisions": c,
        "pairs": pairs,
        "shannon_mm_bits": shannon_mm(values),
        "distinct": len(set(values)),
        "max_count": top,
        "ideal_bits": ideal,
    }


def start_resolver(build, workdir, lab):
    conf = os.path.join(workdir, "portcullis.conf")
    with open(conf, "w") as f:
        f.write("server:\n"
                "    interface: %s\n"
                "    root-hints: %s\n"
                "    trust-anchor-file: %s\n"
                "    do-not-query-localhost: no\n"
                "    do-ip6: no\n"
                "    control-socket: %s/ctl.sock\n"
                "    verbosity: 1\n" % (LISTEN, lab.root_hints, lab.trust_anchor, workdir))
    log = open(os.path.join(workdir, "portcullis.log"), "wb")
    proc = subprocess.Popen([os.path.join(build, "portcullis"), "-c", conf],
                            stdout=log, stderr=subprocess.STDOUT)
    ctl = [os.path.join(build, "portcullis-ctl"), "-s", workdir + "/ctl.sock"]
    for _ in range(200):
        if subprocess.run(ctl + ["stats"], capture_output=True).returncode == 0:
            return proc, ctl
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("portcullis did not start; see %s/portcullis.log" % workdir)


def stats(ctl):
    out = subprocess.run(ctl + ["stats"], capture_output=True, text=True).stdout
    return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("out")
    ap.add_argument("--queries", type=int, default=100000)
    ap.add_argument("--qps", type=int, default=3000)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.makedirs(args.out, exist_ok=True)
    dnsperf = shutil.which("dnsperf")
    if not dnsperf:
        raise SystemExit("dnsperf is needed (Debian package dnsperf)")

    work = tempfile.mkdtemp(prefix="pc-entropy-")
    lab = lablib.Lab(os.path.join(work, "lab"))
    lab.start()
    try:
        proc, ctl = start_resolver(build, work, lab)
        try:
            rng = random.SystemRandom()
            names = set()
            while len(names) < args.queries:
                names.add("".join(rng.choice(string.ascii_lowercase)
                                  for _ in range(LABEL_LETTERS)) + ".rnd.lab.")
            names = sorted(names)
            rng.shuffle(names)
            qfile = os.path.join(work, "names.txt")
            with open(qfile, "w") as f:
                f.write("".join("%s A\n" % n for n in names))
            t0 = time.monotonic()
            perf = subprocess.run(
                [dnsperf, "-s", LISTEN, "-d", qfile, "-n", "1", "-c", "4",
                 "-q", "300", "-Q", str(args.qps), "-t", "5"],
                capture_output=True, text=True)
            took = time.monotonic() - t0
            done = re.search(r"Queries completed:\s+(\d+)", perf.stdout)
            st = stats(ctl)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        wanted = set(names)
        log = [e for e in lab.read_rnd_log()
               if not e["tcp"] and e["qname"].lower() in wanted]
    finally:
        lab.stop()

    n = len(log)
    if n < args.queries * 0.95:
        raise SystemExit("only %d of %d queries reached the recorder" % (n, args.queries))
    ports = [e["port"] for e in log]
    ids = [e["id"] for e in log]
    cases = [case_bits(e["qname"]) for e in log]
    letters = len(cases[0])
    assert all(len(c) == letters for c in cases)
    pool_size = int(st.get("pool.size.ip4", "0"))

    parts = [
        part("source port", ports, math.log2(pool_size) if pool_size else None),
        part("query ID", ids, 16.0),
        part("0x20 case (%d letters)" % letters, cases, float(letters)),
    ]
    # independence: (port, ID) pairs must coincide as often as the product
    # of the single coincidence rates predicts
    joint_c = collisions(list(zip(ports, ids)))
    pairs = n * (n - 1) // 2
    expect = parts[0]["collisions"] * parts[1]["collisions"] / pairs
    # per-letter: the fraction of queries with each letter upper case
    upper = [sum(c[i] == "1" for c in cases) / n for i in range(letters)]
    total = sum(p["h2_bits"] for p in parts)

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "queries_sent": args.queries,
        "queries_captured": n,
        "completed": int(done.group(1)) if done else None,
        "seconds": round(took, 1),
        "qname_shape": "%d random letters + .rnd.lab. (%d letters in all)" % (
            LABEL_LETTERS, letters),
        "pool_size": pool_size,
        "pool_rotations": int(st.get("pool.rotations", "0")),
        "parts": parts,
        "port_id_joint_collisions": joint_c,
        "port_id_expected_if_independent": expect,
        "upper_fraction_per_letter": upper,
        "total_h2_bits": total,
        "target_bits": 40,
        "pass": total >= 40,
    }
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(report(result))
    sys.stdout.write(report(result))
    return 0 if result["pass"] else 1


def report(r):
    lines = [
        "# Entropy per upstream query (portcullis defaults)",
        "",
        "Measured %s from %d upstream queries captured at the lab's recorder "
        "server (%d sent through dnsperf in %.0f s; qnames: %s). Pool: %d IPv4 "
        "sockets, %d rotations during the run." % (
            r["date"], r["queries_captured"], r["queries_sent"], r["seconds"],
            r["qname_shape"], r["pool_size"], r["pool_rotations"]),
        "",
        "| part | collision entropy H2 | Shannon (Miller-Madow) | distinct values | "
        "busiest value | ideal |",
        "|---|---|---|---|---|---|",
    ]
    for p in r["parts"]:
        lines.append("| %s | **%.2f bits** (%d coincident pairs of %d) | %.2f bits | %d | "
                     "%d queries | %.2f bits |" % (
                         p["part"], p["h2_bits"], p["collisions"], p["pairs"],
                         p["shannon_mm_bits"], p["distinct"], p["max_count"],
                         p["ideal_bits"] or 0))
    lines += [
        "",
        "**Total: %.1f bits per query** (target >= %d: %s)." % (
            r["total_h2_bits"], r["target_bits"], "met" if r["pass"] else "NOT met"),
        "",
        "Independence check: %d (port, ID) pairs coincide; %.1f expected if port "
        "and ID are independent." % (r["port_id_joint_collisions"],
                                    r["port_id_expected_if_independent"]),
        "",
        "Upper-case fraction per letter position (0.5 is ideal): %s" % ", ".join(
            "%.3f" % u for u in r["upper_fraction_per_letter"]),
        "",
        "How to read it: H2 is minus log2 of the chance that two queries agree, "
        "i.e. the chance that one forged reply, guessed the way the resolver "
        "draws, matches a given query in that part. The port part assumes the "
        "forger knows which ports are in the pool (the strongest case: a "
        "forger without that knowledge must guess among all %s ports of the "
        "range). The 0x20 part grows with the letters in the name: a name "
        "with L letters adds L bits, so a short all-digit name adds little; "
        "cookies (RFC 7873) add 64 bits more with servers that support them "
        "and are not counted here." % "16,384",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
