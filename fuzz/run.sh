#!/bin/sh
# Runs the libFuzzer targets built in BUILD against their seed corpora.
#
#   fuzz/run.sh BUILD [SECONDS]
#   make fuzz                                  smoke run: every target 60 s
#   make fuzz FUZZ_SECONDS=5                   ... 5 s each
#   make fuzz FUZZ_RUNS=10000000               campaign: that many executions each
#   make fuzz FUZZ_TARGETS="fuzz_reply fuzz_config" FUZZ_RUNS=10000000
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60; the second argument wins)
#   FUZZ_RUNS     executions per target instead of a time limit
#   FUZZ_TARGETS  space-separated target names (default: every fuzz_* in BUILD)
#   FUZZ_NICE     niceness the fuzzers run at (default 10: the machine is shared)
#   FUZZ_ARGS     extra libFuzzer flags, e.g. "-seed=1 -max_len=4096"
#
# Seeds come from fuzz/corpus/<target>/ (or fuzz/corpus/<target without
# "fuzz_">/) and stay as committed; inputs the fuzzer finds go to
# BUILD/corpus/<target>/, findings to BUILD/crashes/<target>-*, the full
# libFuzzer output to BUILD/<target>.log. One line per target reports the
# executions done (libFuzzer's final stats), exec/s, wall time and result;
# the exit status is 1 when any target found something (or is missing).
set -eu
build="${1:?usage: fuzz/run.sh BUILD [SECONDS]}"
seconds="${2:-${FUZZ_SECONDS:-60}}"
runs="${FUZZ_RUNS:-}"
niceness="${FUZZ_NICE:-10}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$build/crashes"

if [ -n "${FUZZ_TARGETS:-}" ]; then
	targets="$FUZZ_TARGETS"
else
	targets=""
	for bin in "$build"/fuzz_*; do
		[ -x "$bin" ] && [ -f "$bin" ] && targets="$targets $(basename "$bin")"
	done
fi
if [ -n "$runs" ]; then
	limit="-runs=$runs"
else
	limit="-max_total_time=$seconds"
fi

stat_of() { # stat_of LOG KEY: value of libFuzzer's "stat::KEY:" line, or "?"
	v="$(sed -n "s/^stat::$2: *//p" "$1" | tail -n 1)"
	echo "${v:-?}"
}

status=0
summary=""
for name in $targets; do
	bin="$build/$name"
	if [ ! -x "$bin" ]; then
		echo "!! $name: no such target in $build"
		summary="$summary
$name | - | - | - | missing"
		status=1
		continue
	fi
	seeds="$root/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds="$root/fuzz/corpus/${name#fuzz_}"
	work="$build/corpus/$name"
	mkdir -p "$work"
	log="$build/$name.log"
	set -- "$limit" -print_final_stats=1 -artifact_prefix="$build/crashes/$name-"
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	set -- "$@" ${FUZZ_ARGS:-} "$work"
	[ -d "$seeds" ] && set -- "$@" "$seeds"
	echo "== $name ($limit)"
	start="$(date +%s)"
	rc=0
	nice -n "$niceness" "$bin" "$@" >"$log" 2>&1 || rc=$?
	elapsed=$(($(date +%s) - start))
	execs="$(stat_of "$log" number_of_executed_units)"
	rate="$(stat_of "$log" average_exec_per_sec)"
	rss="$(stat_of "$log" peak_rss_mb)"
	if [ "$rc" -eq 0 ]; then
		result="no finding"
	else
		# libFuzzer names the input it stopped on: "Test unit written to X"
		unit="$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)"
		if [ -n "$unit" ]; then
			result="FOUND (exit $rc): $unit, see $log"
		else
			result="FAILED (exit $rc, no input saved: interrupted?), see $log"
		fi
		grep -m 1 -E "^==[0-9]+==ERROR|^SUMMARY|deadly signal|ERROR: libFuzzer" "$log" || true
		status=1
	fi
	echo "   $name: $execs executions, $rate exec/s, ${elapsed}s, peak RSS ${rss} MB: $result"
	summary="$summary
$name | $execs | $rate | ${elapsed}s | $result"
done

echo
echo "target | executions | exec/s | time | result"
echo "--- | --- | --- | --- | ---"
echo "$summary" | sed '/^$/d'
exit $status
