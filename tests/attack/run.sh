#!/bin/sh
# The off-path forgery harness (README.md in this directory).
# usage: tests/attack/run.sh BUILD_DIR [--quick] [--packets N] [--seconds S]
#                            [--targets a,b] [--variants a,b]
# ATTACK_PACKETS=N in the environment sets the packet bound too.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [--quick] [--packets N] [--seconds S] [--targets LIST] [--variants LIST]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
shift
forge="$build/tests/attack/pc-attack-forge"
if [ ! -x "$forge" ] || [ "$here/forge.c" -nt "$forge" ]; then
  # a build dir configured before tests/attack existed: configure it again
  if ! { cmake -S "$repo" -B "$build" >/dev/null && cmake --build "$build" --target pc-attack-forge >/dev/null; }; then
    echo "run.sh: cmake could not build the forger; compiling it directly" >&2
    mkdir -p "$build/tests/attack"
    ${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -o "$forge" "$here/forge.c"
  fi
fi
exec "$repo/tests/lab/netns-run" /usr/bin/python3 "$here/attack.py" --build "$build" "$@"
