#!/bin/sh
# make bench: every benchmark we have, each inside a private network
# namespace, results under bench/results/. Not part of make test.
set -eu
build="$(cd "${1:-build}" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/bench/results"
status=0
for b in "$root"/bench/*/run.sh; do
	[ -x "$b" ] || continue
	echo "== $(basename "$(dirname "$b")")"
	"$b" "$build" || status=1
done
exit $status
