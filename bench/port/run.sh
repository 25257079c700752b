#!/bin/sh
# Benchmark: one-port lookup with 20,000 sockets open, portcullis-port
# against `ss -Htuanp sport = :N` and `lsof -nP -i :N`, in one run.
#   usage: bench/port/run.sh BUILD_DIR        (e.g. build)
# Runs itself inside a private network namespace (tests/lab/netns-run), opens
# the sockets from a helper (bench/port/hold.py), times each command with
# hyperfine when installed or a repeated-timing loop otherwise, prints a
# markdown table and writes it to bench/results/port.md.
# Environment: SOCKETS (default 20000), PORT (default 25000), RUNS (default 30).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: bench/port/run.sh BUILD_DIR}" && pwd)"
if [ "${PC_IN_NETNS:-}" != 1 ]; then
	exec "$root/tests/lab/netns-run" "$0" "$build"
fi
tool="$build/portcullis-port"
sockets="${SOCKETS:-20000}"
port="${PORT:-25000}"
runs="${RUNS:-30}"
first=20000
[ -x "$tool" ] || { echo "run.sh: $tool not built" >&2; exit 1; }
command -v ss >/dev/null || { echo "run.sh: ss (iproute2) missing" >&2; exit 1; }
command -v lsof >/dev/null || { echo "run.sh: lsof missing" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkfifo "$tmp/hold.in"
/usr/bin/python3 "$root/bench/port/hold.py" "$sockets" "$first" <"$tmp/hold.in" >"$tmp/hold.out" &
exec 3>"$tmp/hold.in" # the holders live until this descriptor closes
i=0
until grep -q ready "$tmp/hold.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "run.sh: socket holder did not start" >&2; exit 1; }
	sleep 0.1
done

open=$(ss -Htuan | wc -l)
cmd_tool="$tool -n $port"
cmd_ss="ss -Htuanp sport = :$port"
cmd_lsof="lsof -nP -i :$port"

# The three must agree on what they found before their speed means anything.
n_tool=$($cmd_tool --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sockets"]))')
n_ss=$($cmd_ss | wc -l)
n_lsof=$($cmd_lsof | tail -n +2 | wc -l)

/usr/bin/python3 - "$tmp" "$runs" "$cmd_tool" "$cmd_ss" "$cmd_lsof" <<'PY'
import json, os, shlex, shutil, statistics, subprocess, sys, time
tmp, runs, cmds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
res = []
if shutil.which("hyperfine"):
    out = os.path.join(tmp, "hf.json")
    subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs),
                    "--export-json", out, *cmds], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for r in json.load(open(out))["results"]:
        res.append((r["mean"], r["stddev"] or 0.0, r["min"], r["median"]))
    how = "hyperfine, %d runs after 3 warm-ups" % runs
else:
    for c in cmds:
        argv, t = shlex.split(c), []
        for i in range(3 + runs):
            s = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i >= 3:
                t.append(time.perf_counter() - s)
        res.append((statistics.mean(t), statistics.stdev(t), min(t), statistics.median(t)))
    how = "own timing loop, %d runs after 3 warm-ups" % runs
with open(os.path.join(tmp, "table.md"), "w") as f:
    f.write("| command | mean (ms) | ± σ | median | min | time / portcullis-port |\n")
    f.write("|---|---:|---:|---:|---:|---:|\n")
    base = res[0][0]
    for c, (m, sd, mn, med) in zip(cmds, res):
        f.write("| `%s` | %.1f | %.1f | %.1f | %.1f | %.2f× |\n"
                % (c.split("/")[-1] if c.startswith("/") else c, m * 1e3, sd * 1e3,
                   med * 1e3, mn * 1e3, m / base))
    f.write("\nTiming: %s.\n" % how)
PY

mkdir -p "$root/bench/results"
{
	echo "# portcullis-port: one-port lookup among many open sockets"
	echo
	echo "Looking up port $port while $(( open )) TCP/UDP sockets are open (half UDP, half"
	echo "listening TCP, held by $(( (sockets + 4999) / 5000 )) helper processes), in a private network"
	echo "namespace. Each command lists the sockets on the port with their owning processes."
	echo "Sockets found: portcullis-port $n_tool, ss $n_ss, lsof $n_lsof."
	echo
	cat "$tmp/table.md"
	echo
	commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	dirty=$(git -C "$root" status --porcelain -- src 2>/dev/null | head -1)
	echo "portcullis-port built from commit $commit${dirty:+ (with uncommitted changes in src/)}."
	echo "Host: $(uname -sr), $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "(other work on the host slows all three; the ratios are what to compare); $(date -u +%Y-%m-%d)."
	echo "$(ss -V 2>&1 | head -1);"
	echo "lsof $(lsof -v 2>&1 | sed -n "s/^ *revision: *//p" | head -1)."
} >"$tmp/port.md"
cp "$tmp/port.md" "$root/bench/results/port.md"
cat "$tmp/port.md"
