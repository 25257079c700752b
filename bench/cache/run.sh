#!/bin/sh
# Build and run the cache micro-benchmark with optimisation, outside CMake
# (it needs only util, wire and cache, and the libraries cache/dump.c uses). usage: bench/cache/run.sh [entries]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/portcullis-bench-cache
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root/src" \
	"$root"/src/util/*.c "$root"/src/wire/*.c "$root"/src/cache/*.c \
	"$root/bench/cache/bench_cache.c" -o "$out" -lldns -lcrypto -lpthread
exec "$out" "$@"
