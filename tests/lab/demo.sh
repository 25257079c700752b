#!/bin/sh
# make demo: the lab, portcullis on 127.0.0.53, and dig asking it a few
# questions that each exercise one part of the resolver; then what the
# daemon says about itself, and portcullis-port answering "what is port N?"
# for a pool port that carried a query, before and after a pool rotate.
# usage: tests/lab/netns-run tests/lab/demo.sh [--full-stats] BUILD_DIR
#   --full-stats   print every counter of portcullis-ctl stats, not only the
#                  ones the demo is about (make demo DEMO_ARGS=--full-stats)
# Exits non-zero if any answer is wrong. Everything is torn down on exit.
set -eu
full_stats=0
if [ "${1:-}" = --full-stats ]; then full_stats=1; shift; fi
[ $# -eq 1 ] || { echo "usage: demo.sh [--full-stats] BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
if [ "${PC_IN_NETNS:-}" != 1 ]; then
	[ $full_stats = 1 ] && set -- --full-stats "$@"
	exec "$here/netns-run" "$0" "$@"
fi
build=$(cd "$1" && pwd)
py=/usr/bin/python3
addr=127.0.0.53
for bin in portcullis portcullis-ctl portcullis-port; do
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
    trust-anchor-file: "$tmp/lab/root.anchor"
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

# --- DNSSEC: the lab root's anchor (made at this lab's start) ---
echo; echo "\$ dig @$addr +dnssec www.sec13.lab A      (signed: validated)"
dig @"$addr" +time=5 +tries=1 +dnssec www.sec13.lab A | grep -E "^;; flags:|IN[[:space:]]+(A|RRSIG)[[:space:]]" | sed 's/^/   /'
ad=$(dig @"$addr" +time=5 +tries=1 +dnssec www.sec13.lab A | grep -c "^;; flags:.* ad" || true)
verdict "secure answer: AD set" "$ad" "1"
echo; echo "\$ dig @$addr +dnssec www.expired.lab A      (signatures expired in 2020: bogus)"
dig @"$addr" +time=5 +tries=1 +dnssec www.expired.lab A | grep -E "status|EDE" | sed 's/^/   /'
verdict "bogus answer: SERVFAIL" "$(status +dnssec www.expired.lab A)" "SERVFAIL"
verdict "bogus answer: EDE 7" "$(dig @"$addr" +time=5 +tries=1 +dnssec www.expired.lab A | sed -n 's/^; EDE: \([0-9]*\).*/\1/p')" "7"
echo; echo "\$ dig @$addr +cd www.expired.lab A      (CD: the client checks itself)"
verdict "CD: the data, unvalidated" "$(short +cd www.expired.lab A)" "192.0.2.50"

# --- what the daemon says about itself ---
if [ $full_stats = 1 ]; then
	echo; echo "\$ portcullis-ctl -s SOCK stats"
	ctl stats | sed 's/^/   /'
else
	echo; echo "\$ portcullis-ctl -s SOCK stats      (the main counters; all: --full-stats)"
	ctl stats | grep -E '^(queries\.client\.(udp|tcp)|cache\.(hits|misses)|queries\.upstream\.(udp|tcp)|replies\.(accepted|dropped\.total)|answers\.(noerror|nxdomain|servfail)|pool\.(size\.total|rotations))=' |
		sed 's/^/   /'
fi
echo; echo "\$ portcullis-ctl -s SOCK pool --json   (summary)"
ctl pool --json >"$tmp/pool.json"
$py - "$tmp/pool.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for fam in ("ip4", "ip6"):
    ports = [s["port"] for s in p["sockets"] if s["family"] == fam]
    if ports:
        sent = sum(s["sent"] for s in p["sockets"] if s["family"] == fam)
        print("   %s: %d sockets, %d distinct ports, min %d, max %d, %d %s sent"
              % (fam, len(ports), len(set(ports)), min(ports), max(ports), sent,
                 "query" if sent == 1 else "queries"))
PY

# --- what is port N? ---
# Candidates: IPv4 pool ports that carried a query and that no IPv6 pool
# socket shares (then "free" after the rotation means free for everyone),
# the busiest first. Each one's answer is taken now, before the rotation.
cands=$($py - "$tmp/pool.json" <<'PY'
import json, sys
socks = json.load(open(sys.argv[1]))["sockets"]
v6 = {s["port"] for s in socks if s["family"] == "ip6"}
used = [s for s in socks if s["family"] == "ip4" and s["sent"] and s["port"] not in v6]
used.sort(key=lambda s: -s["sent"])
print(" ".join(str(s["port"]) for s in used[:12]))
PY
)
[ -n "$cands" ] || { echo "demo: no pool port carried a query" >&2; exit 1; }
for p in $cands; do
	"$build/portcullis-port" "$p" >"$tmp/port.$p.txt"
	"$build/portcullis-port" "$p" --json >"$tmp/port.$p.json"
done
echo; echo "\$ portcullis-ctl -s SOCK pool rotate"
ctl pool rotate | sed 's/^/   /'
# A fresh random draw may land on a port a retired socket just left (that
# is the point of drawing at random), so the story is told for the first
# candidate no new socket took. The old sockets close at the end of the
# daemon's loop iteration: give them a moment.
port=
i=0
while [ -z "$port" ] && [ $i -lt 20 ]; do
	for p in $cands; do
		if "$build/portcullis-port" "$p" --json >"$tmp/after.json" &&
		   $py -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["sockets"] == [] else 1)' "$tmp/after.json"; then
			port=$p; break
		fi
	done
	[ -n "$port" ] || { i=$((i + 1)); sleep 0.1; }
done
[ -n "$port" ] || port=${cands%% *}
echo; echo "# Which process holds port $port, and why? (asked before the rotation)"
echo "\$ portcullis-port $port"
sed 's/^/   /' "$tmp/port.$port.txt"
# The JSON answer agrees with the daemon's own record of that socket.
sent=$($py - "$tmp/port.$port.json" "$tmp/pool.json" "$pc_pid" <<'PY'
import json, sys
doc, pool, pid = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
(s,) = doc["sockets"]
rec = next(x for x in pool["sockets"] if x["family"] == "ip4" and x["port"] == s["local"]["port"])
ok = (doc["facts"]["iana_range"] == "dynamic" and doc["registry"] == [] and s["proto"] == "udp"
      and [p["pid"] for p in s["processes"]] == [pid] and s["pool"]["pid"] == pid
      and s["pool"]["sent"] == rec["sent"] > 0 and s["pool"]["peers"] == rec["peers"] != [])
print(rec["sent"] if ok else "mismatch")
PY
)
verdict "port $port: dynamic, not in the registry, a pool socket in use" \
	"$(case $sent in *[!0-9]*) echo "$sent" ;; *) echo agrees ;; esac)" "agrees"
[ "$sent" = 1 ] && q=query || q=queries
want="UDP socket of portcullis[$pc_pid], pool socket, $sent $q sent"
flat=$(tr -s ' \n' '  ' <"$tmp/port.$port.txt")
case "$flat" in
*"In use $want, the last "*" ago to 127."*) said="$want" ;;
*) said="$(grep -A1 '^  In use' "$tmp/port.$port.txt" | tr -s ' \n' '  ')" ;;
esac
verdict "portcullis-port's answer" "$said" "$want"
echo; echo "\$ portcullis-port $port      (after the rotation)"
"$build/portcullis-port" "$port" >"$tmp/after.txt"
sed -n '1,/^$/p' "$tmp/after.txt" | sed '/^$/d; s/^/   /'
echo "   ..."
sed -n '/^Sockets/,$p' "$tmp/after.txt" | sed 's/^/   /'
verdict "port $port free again after pool rotate" \
	"$(grep -E '^  (Free|In use) ' "$tmp/after.txt" | tr -s ' ' | tr '\n' '|')" \
	" Free tcp yes, udp yes| In use no socket here has it as its local port|"

kill "$pc_pid"
if wait "$pc_pid"; then rc=0; else rc=$?; fi
pc_pid=
verdict "portcullis exit status after SIGTERM" "$rc" "0"
echo
if [ $bad -ne 0 ]; then echo "demo: $bad wrong answer(s)"; exit 1; fi
echo "demo: all answers right"
