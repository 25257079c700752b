#!/usr/bin/python3
"""Write the conformance report from one Deckard run.

usage: report.py --new RESULTS.tsv --unbound UNBOUND.tsv --scenarios DIR
                 [--previous PREV.tsv] [--baseline BASE.tsv] [--reruns RERUNS.tsv]
                 --out-md LATEST.md --out-tsv LATEST.tsv [--meta KEY=VALUE ...]

RESULTS.tsv and UNBOUND.tsv hold one test a line: scenario, variant
(qmin_on/qmin_off), outcome (passed/failed/error/skipped). RERUNS.tsv holds
the re-runs of tests that failed where BASE.tsv had them passing: scenario,
variant, try, outcome. A test that passes on any re-run is flaky, not a
regression; it is recorded as passed with the note "flaky".

PREV.tsv is the report being replaced (for the list of changes); BASE.tsv is
the committed one (for the regression gate). The exit status is 1 when a
test that passed in BASE.tsv failed in the run and in every re-run, else 0.
The last line printed says how many passed and how many regressed.
"""
import argparse
import collections
import os
import re
import sys

VARIANTS = ("qmin_off", "qmin_on")


def read_tsv(path, width=3):
    """{(scenario, variant): [fields after them]} of a results file."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < width:
                continue
            out[(f[0], f[1])] = f[2:]
    return out


def prefix_of(scen):
    return scen.split("_", 1)[0] + "_" if "_" in scen else scen


def needs_dnssec(path):
    """A scenario that configures a trust anchor checks validation: the
    answers it expects (AD bit, SERVFAIL for bogus data) need a validator."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return False
    head = text.split("CONFIG_END", 1)[0]
    return re.search(r"^\s*trust-anchor\s*:", head, re.M | re.I) is not None


def reasons_of(files):
    """{(scenario, variant): one-line reason} from Deckard's junit XML."""
    import xml.etree.ElementTree as ET
    out = {}
    for f in files:
        try:
            root = ET.parse(f).getroot()
        except (OSError, ET.ParseError):
            continue
        for tc in root.iter("testcase"):
            name = tc.get("name", "")
            m = re.search(r"path='([^']+)'", name)
            if not m:
                continue
            key = (os.path.basename(m.group(1)),
                   "qmin_on" if "qmin_on" in name else "qmin_off")
            for c in tc:
                if c.tag not in ("failure", "error"):
                    continue
                text = (c.get("message") or "") + "\n" + (c.text or "")
                r = re.search(r'step \d+ char position \d+, (.*?) in the response', text)
                if r:
                    why = r.group(1)
                    eg = re.match(r'"(\w+)": expected "(.*)" got "(.*)"$', why, re.S)
                    if eg:
                        def cut(t):
                            t = " ".join(t.split())
                            return t if len(t) <= 70 else t[:67] + "..."
                        why = '%s: expected "%s" got "%s"' % (eg.group(1), cut(eg.group(2)),
                                                            cut(eg.group(3)))
                elif "does not define all necessary answers" in text:
                    why = "asked a question the scenario has no answer for"
                elif "terminated" in text:
                    why = "the resolver exited"
                else:
                    lines = [l for l in text.splitlines() if l.startswith("E ")]
                    why = lines[-1][1:].strip() if lines else "failed"
                if len(why) > 200:
                    why = why[:197] + "..."
                out[key] = why.replace("|", "/")
    return out


def ok(outcome):
    return outcome == "passed"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--new", required=True)
    ap.add_argument("--unbound", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--previous")
    ap.add_argument("--baseline")
    ap.add_argument("--reruns")
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--out-tsv", required=True)
    ap.add_argument("--meta", action="append", default=[])
    ap.add_argument("--junit", action="append", default=[],
                    help="Deckard junit XML of the run: failure reasons")
    a = ap.parse_args()

    new = {k: v[0] for k, v in read_tsv(a.new).items()}
    if not new:
        print("report: no results in %s" % a.new, file=sys.stderr)
        return 2
    unbound = {k: v[0] for k, v in read_tsv(a.unbound).items()}
    prev = {k: v[0] for k, v in read_tsv(a.previous).items()}
    base = {k: v[0] for k, v in read_tsv(a.baseline).items()}
    reruns = collections.defaultdict(list)
    if a.reruns and os.path.exists(a.reruns):
        with open(a.reruns, encoding="utf-8") as fh:
            for line in fh:
                f = line.rstrip("\n").split("\t")
                if len(f) == 4:
                    reruns[(f[0], f[1])].append(f[3])

    # Final outcome: a failure that passes on a re-run is a flaky pass.
    final, note = {}, {}
    regressions = []
    for key, out in new.items():
        final[key] = out
        if not ok(out) and key in reruns:
            if any(ok(r) for r in reruns[key]):
                final[key] = "passed"
                note[key] = "flaky: failed, then passed on re-run %d" % (
                    [ok(r) for r in reruns[key]].index(True) + 1)
            else:
                note[key] = "failed in %d re-runs" % len(reruns[key])
        if ok(base.get(key, "")) and not ok(final[key]):
            regressions.append(key)

    dnssec = {}
    for scen, _ in final:
        if scen not in dnssec:
            dnssec[scen] = needs_dnssec(os.path.join(a.scenarios, scen))

    # Per-prefix table
    rows = collections.OrderedDict()
    tot = collections.Counter()
    for (scen, var), out in sorted(final.items()):
        p = prefix_of(scen)
        c = rows.setdefault(p, collections.Counter())
        if out == "skipped":
            c["skipped"] += 1
            tot["skipped"] += 1
            continue
        for cc in (c, tot):
            cc["runnable"] += 1
            cc["pc"] += ok(out)
            cc["ub"] += ok(unbound.get((scen, var), ""))
            cc["prev"] += ok(prev.get((scen, var), ""))
            if not dnssec[scen]:
                cc["plain"] += 1
                cc["pc_plain"] += ok(out)
                cc["ub_plain"] += ok(unbound.get((scen, var), ""))

    L = []
    L.append("# Deckard conformance report")
    L.append("")
    L.append("Generated by `make conformance` (tests/conformance/run.sh); do not edit by hand.")
    L.append("Each scenario runs twice, with QNAME minimisation off and on; a test is one such run.")
    L.append("DNSSEC: scenarios that configure a trust anchor, whose expected answers need a")
    L.append("validator; the \"no DNSSEC\" columns count the others alone.")
    L.append("")
    for m in a.meta:
        k, _, v = m.partition("=")
        L.append("- %s: %s" % (k, v))
    if a.meta:
        L.append("")
    L.append("| prefix | portcullis passed | previous report | Unbound 1.17.1 passed | runnable | "
             "portcullis passed, no DNSSEC | Unbound passed, no DNSSEC | runnable, no DNSSEC |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for p, c in list(rows.items()) + [("**all**", tot)]:
        L.append("| %s | %d | %s | %d | %d | %d | %d | %d |" % (
            p, c["pc"], c["prev"] if prev else "-", c["ub"], c["runnable"],
            c["pc_plain"], c["ub_plain"], c["plain"]))
    L.append("")
    L.append("Skipped by the scenarios themselves: %d." % tot["skipped"])
    L.append("")

    L.append("## Changed since the previous report")
    L.append("")
    changed = [(k, prev.get(k, "(new)"), final[k]) for k in sorted(final)
               if prev and prev.get(k) != final[k]]
    if not prev:
        L.append("No previous report.")
    elif not changed:
        L.append("No test changed.")
    else:
        L.append("| test | before | now |")
        L.append("|---|---|---|")
        for (scen, var), before, now in changed:
            L.append("| %s %s | %s | %s |" % (scen, var, before, now))
    L.append("")

    L.append("## Unbound passes, portcullis does not")
    L.append("")
    gap = [k for k in sorted(final) if ok(unbound.get(k, "")) and not ok(final[k])]
    if not gap:
        L.append("None.")
    reasons = reasons_of(a.junit)
    for scen, var in gap:
        why = reasons.get((scen, var))
        L.append("- %s %s%s%s" % (scen, var, " (needs DNSSEC validation)" if dnssec[scen] else "",
                                  ": " + why if why else ""))
    L.append("")

    L.append("## Re-runs")
    L.append("")
    if not note:
        L.append("No test needed a re-run (only tests that passed in the committed report and "
                 "failed now are re-run).")
    for k in sorted(note):
        L.append("- %s %s: %s" % (k[0], k[1], note[k]))
    L.append("")

    L.append("## Regressions against the committed report")
    L.append("")
    if not base:
        L.append("No committed report to compare with.")
    elif not regressions:
        L.append("None.")
    for scen, var in regressions:
        L.append("- %s %s" % (scen, var))
    L.append("")

    L.append("## Every test")
    L.append("")
    L.append("| scenario | variant | portcullis | Unbound 1.17.1 | DNSSEC | why it failed |")
    L.append("|---|---|---|---|---|---|")
    for (scen, var), out in sorted(final.items()):
        why = reasons.get((scen, var), "") if not ok(out) else ""
        L.append("| %s | %s | %s | %s | %s | %s |" % (
            scen, var, out, unbound.get((scen, var), "-"), "yes" if dnssec[scen] else "",
            why.replace("\n", " ")))
    L.append("")

    with open(a.out_md, "w", encoding="utf-8") as fh:
        fh.write("\n".join(L))
    with open(a.out_tsv, "w", encoding="utf-8") as fh:
        fh.write("# scenario\tvariant\toutcome\tnote (written by tests/conformance/run.sh)\n")
        for key in sorted(final):
            fh.write("%s\t%s\t%s\t%s\n" % (key[0], key[1], final[key], note.get(key, "")))

    for scen, var in regressions:
        print("REGRESSION: %s %s passed in the committed report, fails now (and in every re-run)"
              % (scen, var))
    print("conformance: portcullis %d of %d runnable tests (Unbound %d); without DNSSEC %d of %d "
          "(Unbound %d); %d regression(s), %d changed" % (
              tot["pc"], tot["runnable"], tot["ub"], tot["pc_plain"], tot["plain"],
              tot["ub_plain"], len(regressions), len(changed)))
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
