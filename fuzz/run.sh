#!/bin/sh
# Runs every libFuzzer target built in $1 against its seed corpus.
#   make fuzz                    each target for 60 s (FUZZ_SECONDS to change)
#   make fuzz FUZZ_RUNS=10000000 each target for that many executions instead
# New inputs go to build-fuzz/corpus/<target>/ (the seeds in fuzz/corpus stay
# as committed); crashes are written to build-fuzz/crashes/.
set -eu
build="$1"
seconds="${2:-${FUZZ_SECONDS:-60}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$build/crashes"
status=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name="$(basename "$bin")"
	work="$build/corpus/$name"
	mkdir -p "$work"
	limit="-max_total_time=$seconds"
	[ -n "${FUZZ_RUNS:-}" ] && limit="-runs=$FUZZ_RUNS"
	echo "== $name ($limit)"
	if ! "$bin" "$limit" -artifact_prefix="$build/crashes/$name-" -print_final_stats=1 \
		"$work" "$root/fuzz/corpus/$name" 2>"$build/$name.log"; then
		echo "!! $name found a problem: see $build/$name.log and $build/crashes/"
		status=1
	fi
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$name.log" || true
done
exit $status
