#!/bin/sh
# Installs the Debian packages a target needs, or says exactly how to.
# usage: scripts/deps.sh [--check] build|test|demo|bench|fuzz|attack|stress|deb|conformance
# --check never installs: it names what is missing and fails (plain `make`
# only builds; `make deps` and the demo, test and bench targets install).
set -eu
check_only=""
if [ "${1:-}" = "--check" ]; then
  check_only=1
  shift
fi
want="${1:-}"
build="cmake make gcc pkg-config libuv1-dev libldns-dev libsystemd-dev libssl-dev"
lab="nsd ldnsutils bind9-dnsutils knot-dnsutils python3-dnspython python3-cryptography python3-pytest iproute2 util-linux"
case "$want" in
  build) pkgs="$build" ;;
  demo)  pkgs="$build $lab" ;;
  # dnstap is optional for a build (plain make builds without it) but the
  # tests build and check it: libfstrm, protobuf-c and Debian's dnstap tools;
  # dns-root-data: the built-in root anchor is compared with its files
  test)  pkgs="$build $lab libcmocka-dev dnsperf iproute2 lsof groff-base systemd python3-prometheus-client
    libfstrm-dev libprotobuf-c-dev protobuf-c-compiler fstrm-bin dnstap-ldns dns-root-data" ;;
  bench) pkgs="$build $lab dnsperf unbound pdns-recursor knot-resolver lsof gnuplot-nox hyperfine procps
    libfstrm-dev libprotobuf-c-dev protobuf-c-compiler" ;;
  fuzz)  pkgs="$build clang libclang-rt-14-dev" ;;
  attack) pkgs="$build $lab unbound" ;;
  deb)   pkgs="$build debhelper dpkg-dev debootstrap systemd libfstrm-dev libprotobuf-c-dev protobuf-c-compiler" ;;
  stress) pkgs="$build $lab dnsperf procps" ;;
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
if [ -z "$check_only" ] && [ "$(id -u)" = 0 ]; then
  echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Debian starts and enables the service of a package as it installs it
  # (nsd, unbound, pdns-recursor, knot-resolver): a daemon on port 53 that
  # nobody asked for, and on every boot after. policy-rc.d forbids the start
  # during the install; whatever the install enabled is disabled after it.
  # Services enabled before are left as they were.
  units="${PC_DEPS_SYSTEMD_DIR:-/etc/systemd/system}"
  policy="${PC_DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}"
  enabled() { find "$units" -path '*.wants/*' -type l 2>/dev/null | sort; }
  before=$(enabled)
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/deps.sh: no service starts while packages install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
  if [ -n "$own_policy" ]; then rm -f "$policy"; trap - EXIT; fi
  printf '%s\n' "$before" >"${TMPDIR:-/tmp}/deps-before.$$"
  enabled | comm -13 "${TMPDIR:-/tmp}/deps-before.$$" - | while read -r link; do
    unit=${link##*/}
    if command -v systemctl >/dev/null 2>&1 && systemctl disable "$unit" >/dev/null 2>&1; then
      :
    else
      rm -f "$link"
    fi
    # policy-rc.d kept it from starting unless another policy was in place;
    # without a running systemd there is nothing to stop and this fails.
    if command -v systemctl >/dev/null 2>&1; then
      systemctl stop "$unit" >/dev/null 2>&1 || true
    fi
    echo "deps.sh: disabled and stopped $unit, which the install enabled" >&2
  done
  rm -f "${TMPDIR:-/tmp}/deps-before.$$"
else
  echo "missing Debian packages:$missing" >&2
  echo "run: sudo apt-get install -y$missing   (or, as root: make deps)" >&2
  exit 1
fi
