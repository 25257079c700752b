#!/bin/sh
# Installs the Debian packages a target needs, or says exactly how to.
# usage: scripts/deps.sh build|test|demo|bench|fuzz|attack|conformance
set -eu
want="$1"
build="cmake make gcc pkg-config libuv1-dev libldns-dev"
lab="nsd bind9-dnsutils knot-dnsutils python3-dnspython python3-pytest iproute2 util-linux"
case "$want" in
  build) pkgs="$build" ;;
  demo)  pkgs="$build $lab" ;;
  test)  pkgs="$build $lab libcmocka-dev dnsperf iproute2 lsof" ;;
  bench) pkgs="$build $lab dnsperf unbound pdns-recursor knot-resolver lsof gnuplot-nox hyperfine procps" ;;
  fuzz)  pkgs="$build clang libclang-rt-14-dev" ;;
  attack) pkgs="$build $lab unbound" ;;
  # Deckard (../shared/deckard/README.md): its framework's Python modules,
  # faketime for its faked clock, dumpcap for its packet capture
  conformance) pkgs="$build faketime wireshark-common python3-dnspython python3-jinja2 python3-yaml
    python3-augeas augeas-lenses python3-pytest python3-pytest-xdist python3-pytest-forked
    python3-pyroute2 python3-dpkt python3-pytest-timeout" ;;
  *) echo "deps.sh: unknown target '$want'" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "missing Debian packages:$missing" >&2
  echo "run: sudo apt-get install -y$missing" >&2
  exit 1
fi
