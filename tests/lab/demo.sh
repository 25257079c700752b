#!/bin/sh
# make demo: the lab, portcullis on 127.0.0.53, and dig asking it a few
# questions that each exercise one part of the resolver.
# usage: tests/lab/netns-run tests/lab/demo.sh BUILD_DIR
# Exits non-zero if any answer is wrong. Everything is torn down on exit.
set -eu
[ $# -eq 1 ] || { echo "usage: demo.sh BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
if [ "${PC_IN_NETNS:-}" != 1 ]; then exec "$here/netns-run" "$0" "$@"; fi
build=$(cd "$1" && pwd)
py=/usr/bin/python3
addr=127.0.0.53
for bin in portcullis portcullis-ctl; do
	[ -x "$build/$bin" ] || { echo "demo: $build/$bin not found (build first)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/portcullis-demo.XXXXXX)
lab_pid=
pc_pid=
cleanup() {
	[ -n "$pc_pid" ] && kill "$pc_pid" 2>/dev/null && wait "$pc_pid" 2>/dev/null || true
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the lab ---
$py "$here/lab.py" up "$tmp/lab" >"$tmp/lab.out" 2>&1 &
lab_pid=$!
i=0
until [ -e "$tmp/lab/up" ]; do
	if ! kill -0 "$lab_pid" 2>/dev/null || [ $i -ge 300 ]; then
		echo "demo: the lab did not come up:" >&2; cat "$tmp/lab.out" >&2; exit 1
	fi
	i=$((i + 1)); sleep 0.1
done
cat "$tmp/lab.out"

# --- portcullis ---
cat >"$tmp/portcullis.conf" <<EOF
server:
    interface: $addr
    access-control: 127.0.0.0/8 allow
    root-hints: "$tmp/lab/root.hints"
    do-ip6: yes
    do-not-query-localhost: no
    qname-minimisation: yes
    control-socket: "$tmp/ctl.sock"
    verbosity: 1
EOF
ctl() { "$build/portcullis-ctl" -s "$tmp/ctl.sock" "$@"; }
"$build/portcullis" -c "$tmp/portcullis.conf" 2>"$tmp/portcullis.log" &
pc_pid=$!
i=0
until ctl stats >/dev/null 2>&1; do
	if ! kill -0 "$pc_pid" 2>/dev/null || [ $i -ge 100 ]; then
		echo "demo: portcullis did not become ready:" >&2; cat "$tmp/portcullis.log" >&2; exit 1
	fi
	i=$((i + 1)); sleep 0.1
done
echo "portcullis up on $addr (pid $pc_pid)"

# --- questions ---
bad=0
verdict() { # what got want
	if [ "$2" = "$3" ]; then
		echo "   => ok: $1"
	else
		echo "   => WRONG: $1: got '$2', want '$3'"; bad=$((bad + 1))
	fi
}
ask() { # dig arguments...; shows the answer section, prints nothing else
	echo; echo "\$ dig @$addr $*"
	dig @"$addr" +time=5 +tries=1 +noall +answer "$@" | sed 's/^/   /'
}
short() { dig @"$addr" +time=5 +tries=1 +short "$@" | tr '\n' ' ' | sed 's/ $//'; }
status() { dig @"$addr" +time=5 +tries=1 "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

ask www.alpha.lab A
verdict "plain A" "$(short www.alpha.lab A)" "192.0.2.10"

ask c1.alpha.lab A
verdict "CNAME chain c1 -> c2 -> c3" "$(short c1.alpha.lab A)" "c2.alpha.lab. c3.alpha.lab. 192.0.2.33"

ask www.beta.net A
verdict "out-of-bailiwick NS (ns.gamma.lab., no glue)" "$(short www.beta.net A)" "192.0.2.20"

ask www.six.lab AAAA
verdict "IPv6-only name server ([::1])" "$(short www.six.lab AAAA)" "2001:db8::6"

echo; echo "\$ dig @$addr nx.alpha.lab A"
dig @"$addr" +time=5 +tries=1 +noall +comments +authority nx.alpha.lab A | grep -E "status|SOA" | sed 's/^/   /'
verdict "NXDOMAIN" "$(status nx.alpha.lab A)" "NXDOMAIN"

echo; echo "\$ dig @$addr only4.alpha.lab AAAA"
dig @"$addr" +time=5 +tries=1 +noall +comments +authority only4.alpha.lab AAAA | grep -E "status|SOA" | sed 's/^/   /'
verdict "NODATA: NOERROR" "$(status only4.alpha.lab AAAA)" "NOERROR"
verdict "NODATA: no answer" "$(short only4.alpha.lab AAAA)" ""

echo; echo "\$ dig @$addr +ignore +bufsize=1232 big.alpha.lab TXT      (UDP only)"
dig @"$addr" +time=5 +tries=1 +ignore +bufsize=1232 big.alpha.lab TXT | grep -E "flags:|MSG SIZE" | sed 's/^/   /'
tc=$(dig @"$addr" +time=5 +tries=1 +ignore +bufsize=1232 big.alpha.lab TXT | grep -c "^;; flags:.* tc" || true)
verdict "40 TXT records do not fit in UDP: TC set" "$tc" "1"
echo; echo "\$ dig @$addr +bufsize=1232 big.alpha.lab TXT      (dig retries over TCP)"
dig @"$addr" +time=5 +tries=1 +bufsize=1232 big.alpha.lab TXT >"$tmp/big.out" || true
grep -E "Truncated|ANSWER:|MSG SIZE" "$tmp/big.out" | sed 's/^/   /'
verdict "TCP retry after TC" "$(grep -c 'Truncated, retrying in TCP mode' "$tmp/big.out" || true)" "1"
verdict "all 40 TXT records over TCP" "$(dig @"$addr" +time=5 +tries=1 +tcp +short big.alpha.lab TXT | sort -u | wc -l)" "40"

# --- what the daemon says about itself ---
echo; echo "\$ portcullis-ctl -s SOCK stats"
ctl stats | sed 's/^/   /'
echo; echo "\$ portcullis-ctl -s SOCK pool --json   (summary)"
ctl pool --json | $py -c '
import json, sys
p = json.load(sys.stdin)
for fam in ("ip4", "ip6"):
    ports = [s["port"] for s in p["sockets"] if s["family"] == fam]
    if ports:
        sent = sum(s["sent"] for s in p["sockets"] if s["family"] == fam)
        print("   %s: %d sockets, %d distinct ports, min %d, max %d, %d queries sent"
              % (fam, len(ports), len(set(ports)), min(ports), max(ports), sent))
'

kill "$pc_pid"
if wait "$pc_pid"; then rc=0; else rc=$?; fi
pc_pid=
verdict "portcullis exit status after SIGTERM" "$rc" "0"
echo
if [ $bad -ne 0 ]; then echo "demo: $bad wrong answer(s)"; exit 1; fi
echo "demo: all answers right"
