#!/bin/sh
# make bench: every benchmark we have, each inside a private network
# namespace, results under bench/results/. Not part of make test.
#   usage: bench/run.sh BUILD_DIR
# QUICK=1 in the environment (make bench QUICK=1 puts it there) asks every
# benchmark for a short run: two short repetitions of the resolver benchmark, fewer
# timing runs for the port lookup (RUNS=5).
set -eu
build="$(cd "${1:-build}" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/bench/results"
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
	export QUICK=1
	export RUNS="${RUNS:-5}"
fi
status=0
for b in "$root"/bench/*/run.sh; do
	[ -x "$b" ] || continue
	name="$(basename "$(dirname "$b")")"
	echo "== $name"
	case "$name" in
	# its one optional argument is an entry count, not the build directory
	cache) "$b" || status=1 ;;
	*) "$b" "$build" || status=1 ;;
	esac
done
exit $status
