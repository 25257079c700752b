#!/bin/sh
# Resolver benchmark: portcullis, Unbound, PowerDNS Recursor, Knot Resolver
# and a canned-answer responder (the ceiling), in one private network
# namespace with the lab and a generated hierarchy. See README.md.
#   usage: bench/resolvers/run.sh BUILD_DIR
# Environment: QUICK=1 for one short repetition; REPS, PHASE_SECONDS,
# FIXED_QPS, COLD_NAMES, MEM_NAMES, TARGETS=a,b,
# STAGES=cold,miss,cached,startup,vcold,vmiss,vcached (the v stages: the
# validating rows over the signed hierarchy), MISS_RATE, MISS_SECONDS, VREPS,
# VCOLD_NAMES, VMEM_NAMES (see bench.py).
# Writes bench/results/latest.md, resolvers.json and the PNG charts.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: bench/resolvers/run.sh BUILD_DIR}" && pwd)"
for t in portcullis bench/pc-bench-ceiling bench/pc-bench-latprobe; do
	[ -x "$build/$t" ] || { echo "run.sh: $build/$t not built (make)" >&2; exit 1; }
done
for c in dnsperf nsd nsd-control unbound pdns_recursor kresd gnuplot ldns-keygen ldns-signzone ldns-key2ds; do
	command -v "$c" >/dev/null || { echo "run.sh: $c missing (scripts/deps.sh bench)" >&2; exit 1; }
done
if [ "${PC_IN_NETNS:-}" != 1 ]; then
	exec "$root/tests/lab/netns-run" "$0" "$build"
fi
mkdir -p "$root/bench/results"
exec /usr/bin/python3 "$root/bench/resolvers/bench.py" "$build" "$root/bench/results"
