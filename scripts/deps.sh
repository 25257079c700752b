#!/bin/sh
# Installs the Debian packages a target needs, or says exactly how to.
# usage: scripts/deps.sh [--check] build|test|demo|bench|fuzz|attack|deb
# --check never installs: it names what is missing and fails (plain `make`
# only builds; `make deps` and the demo, test and bench targets install).
set -eu
check_only=""
if [ "${1:-}" = "--check" ]; then
  check_only=1
  shift
fi
want="${1:-}"
build="cmake make gcc pkg-config libuv1-dev libldns-dev libsystemd-dev"
lab="nsd bind9-dnsutils knot-dnsutils python3-dnspython python3-pytest iproute2 util-linux"
case "$want" in
  build) pkgs="$build" ;;
  demo)  pkgs="$build $lab" ;;
  test)  pkgs="$build $lab libcmocka-dev dnsperf iproute2 lsof groff-base systemd" ;;
  bench) pkgs="$build $lab dnsperf unbound pdns-recursor knot-resolver lsof gnuplot-nox hyperfine procps" ;;
  fuzz)  pkgs="$build clang libclang-rt-14-dev" ;;
  attack) pkgs="$build $lab unbound" ;;
  deb)   pkgs="$build debhelper dpkg-dev debootstrap systemd" ;;
  *) echo "deps.sh: unknown target '$want'" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ -z "$check_only" ] && [ "$(id -u)" = 0 ]; then
  echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "missing Debian packages:$missing" >&2
  echo "run: sudo apt-get install -y$missing   (or, as root: make deps)" >&2
  exit 1
fi
