"""tests/conformance/report.py: the regression gate of make conformance, on
made-up Deckard results (no Deckard run, no lab)."""

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(os.path.dirname(HERE), "conformance", "report.py")
PY = "/usr/bin/python3"


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    return str(path)


def run_report(tmp_path, new, base, reruns=(), unbound=()):
    scen = tmp_path / "scenarios"
    scen.mkdir(exist_ok=True)
    (scen / "iter_a.rpl").write_text("do-ip6: no\nCONFIG_END\n")
    (scen / "iter_b.rpl").write_text("do-ip6: no\nCONFIG_END\n")
    (scen / "val_c.rpl").write_text("trust-anchor: \". IN DS 1 8 2 AA\"\nCONFIG_END\n")
    args = [PY, REPORT,
            "--new", write(tmp_path / "new.tsv", new),
            "--unbound", write(tmp_path / "unbound.tsv", unbound),
            "--scenarios", str(scen),
            "--previous", write(tmp_path / "prev.tsv", base),
            "--baseline", write(tmp_path / "base.tsv", base),
            "--reruns", write(tmp_path / "reruns.tsv", reruns),
            "--out-md", str(tmp_path / "latest.md"),
            "--out-tsv", str(tmp_path / "latest.tsv")]
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    md = (tmp_path / "latest.md").read_text() if r.returncode != 2 else ""
    tsv = {}
    if (tmp_path / "latest.tsv").exists():
        for line in (tmp_path / "latest.tsv").read_text().splitlines():
            if line and not line.startswith("#"):
                f = line.split("\t")
                tsv[(f[0], f[1])] = f[2:]
    return r, md, tsv


BASE = [("iter_a.rpl", "qmin_off", "passed"), ("iter_a.rpl", "qmin_on", "passed"),
        ("iter_b.rpl", "qmin_off", "failed"), ("val_c.rpl", "qmin_off", "passed")]


def test_no_change_passes(tmp_path):
    r, md, _ = run_report(tmp_path, BASE, BASE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 regression(s)" in r.stdout
    assert "No test changed." in md


def test_flaky_failure_does_not_block(tmp_path):
    new = list(BASE)
    new[1] = ("iter_a.rpl", "qmin_on", "failed")
    reruns = [("iter_a.rpl", "qmin_on", "1", "failed"), ("iter_a.rpl", "qmin_on", "2", "passed")]
    r, md, tsv = run_report(tmp_path, new, BASE, reruns)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tsv[("iter_a.rpl", "qmin_on")][0] == "passed"
    assert "flaky" in tsv[("iter_a.rpl", "qmin_on")][1]
    assert "passed on re-run 2" in md


def test_regression_fails_the_gate(tmp_path):
    new = list(BASE)
    new[0] = ("iter_a.rpl", "qmin_off", "failed")
    reruns = [("iter_a.rpl", "qmin_off", str(i), "failed") for i in (1, 2, 3)]
    r, md, tsv = run_report(tmp_path, new, BASE, reruns)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REGRESSION: iter_a.rpl qmin_off" in r.stdout
    assert "1 regression(s)" in r.stdout
    assert tsv[("iter_a.rpl", "qmin_off")][0] == "failed"
    assert "| iter_a.rpl qmin_off | passed | failed |" in md


def test_a_test_that_failed_before_is_no_regression(tmp_path):
    new = list(BASE)
    new[3] = ("val_c.rpl", "qmin_off", "failed")
    base = list(BASE)
    base[3] = ("val_c.rpl", "qmin_off", "failed")
    r, _, _ = run_report(tmp_path, new, base)
    assert r.returncode == 0, r.stdout + r.stderr


def test_unbound_gap_and_dnssec_columns(tmp_path):
    unbound = [("iter_b.rpl", "qmin_off", "passed"), ("val_c.rpl", "qmin_off", "passed"),
               ("iter_a.rpl", "qmin_off", "failed")]
    new = list(BASE)
    new[3] = ("val_c.rpl", "qmin_off", "failed")
    base = list(BASE)
    base[3] = ("val_c.rpl", "qmin_off", "failed")
    r, md, _ = run_report(tmp_path, new, base, unbound=unbound)
    assert r.returncode == 0
    gap = md.split("## Unbound passes, portcullis does not", 1)[1].split("##", 1)[0]
    assert "- iter_b.rpl qmin_off\n" in gap
    assert "- val_c.rpl qmin_off (needs DNSSEC validation)" in gap
    # all: portcullis 2, previous report 2, Unbound 2 of 4 runnable; without
    # the trust-anchor scenario portcullis 2, Unbound 1 of 3
    assert "| **all** | 2 | 2 | 2 | 4 | 2 | 1 | 3 |" in md
