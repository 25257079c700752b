#!/bin/sh
# Instructions per cached answer (valgrind's callgrind) for a built
# portcullis, with or without observation turned on: the cost that
# metrics-interface, log-queries/log-replies and dnstap add to the hot path,
# and proof that compiled in but off they add nothing.
#
#   bench/callgrind/run.sh BUILD [N] [MODE...]
#     MODE: off (default), metrics, logs, dnstap; pcache0 runs the same with
#     packet-cache-size: 0 (full cache hits instead of packet-cache hits)
#
# Runs in a private network namespace with the lab (tests/lab). One name is
# asked once (a miss), then N times (cache hits) by a sequential UDP client,
# so each batch holds one query: the per-batch costs show at their worst.
# Prints, per mode, the instructions inside the query function (on_query,
# or on_query_obs, which wraps it, and the batch callback: inclusive, what
# the reader thread spends between reading a query and handing its answer
# to the batch; the largest of the lines callgrind_annotate gives for each)
# the UDP reader thread's (all it did: reading, answering, sending), and
# the whole process's (start-up and the resolution of the first query
# included, so that figure only compares runs of the same N; more shared
# libraries to link, such as libfstrm, show there).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ "${PC_IN_NETNS:-}" != 1 ]; then
	exec "$root/tests/lab/netns-run" "$0" "$@"
fi
build=$(cd "${1:?usage: run.sh BUILD [N] [MODE...]}" && pwd)
n=${2:-10000}
# (a shift past the end would end dash itself, whatever follows it)
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
modes=${*:-off}
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/portcullis-cg.XXXXXX)
lab_pid=
cap_pid=
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null && wait "$cap_pid" 2>/dev/null || true
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
$py "$root/tests/lab/lab.py" up "$tmp/lab" >"$tmp/lab.out" 2>&1 &
lab_pid=$!
i=0
until [ -e "$tmp/lab/up" ]; do
	kill -0 "$lab_pid" 2>/dev/null && [ $i -lt 300 ] || { cat "$tmp/lab.out" >&2; exit 1; }
	i=$((i + 1)); sleep 0.1
done

for mode in $modes; do
	extra="" ; tail_conf=""
	case "$mode" in
	off|pcache0) ;;
	metrics|metrics-pcache0) extra="metrics-interface: 127.0.0.1@9153" ;;
	logs) extra="log-queries: yes
    log-replies: yes" ;;
	dnstap)
		fstrm_capture -t protobuf:dnstap.Dnstap -u "$tmp/dt.sock" -w /dev/null >/dev/null 2>&1 &
		cap_pid=$!
		tail_conf="dnstap:
    dnstap-enable: yes
    dnstap-socket-path: \"$tmp/dt.sock\"
    dnstap-log-client-query-messages: yes
    dnstap-log-client-response-messages: yes" ;;
	*) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
	esac
	case "$mode" in *pcache0) extra="$extra
    packet-cache-size: 0" ;; esac
	cat >"$tmp/p.conf" <<CONF
server:
    interface: 127.0.0.53
    access-control: 127.0.0.0/8 allow
    root-hints: "$tmp/lab/root.hints"
    # the lab's root is signed with fresh keys at every start: its DS, not
    # the real root's, is the anchor (the validator is on, as shipped)
    trust-anchor-file: "$tmp/lab/root.anchor"
    do-not-query-localhost: no
    control-socket: "$tmp/ctl.sock"
    username: ""
    socket-pool-size: 64
    $extra
$tail_conf
CONF
	rm -f "$tmp"/cg.out*
	[ -n "${CG_KEEP:-}" ] && mkdir -p "$CG_KEEP"
	valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.out" \
		"$build/portcullis" -c "$tmp/p.conf" 2>"$tmp/vg.log" >/dev/null &
	pid=$!
	i=0
	until "$build/portcullis-ctl" -s "$tmp/ctl.sock" stats >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ] || { cat "$tmp/vg.log" >&2; exit 1; }
		i=$((i + 1)); sleep 0.1
	done
	$py - "$n" <<'PY'
import sys, dns.message, dns.query
n = int(sys.argv[1])
q = dns.message.make_query("www.alpha.lab.", "A", use_edns=0, payload=1232)
r = dns.query.udp(q, "127.0.0.53", timeout=5)
assert r.answer, r
for _ in range(n):
    q.id = (q.id + 1) & 0xffff
    r = dns.query.udp(q, "127.0.0.53", timeout=5)
    assert r.answer
PY
	hits=$("$build/portcullis-ctl" -s "$tmp/ctl.sock" stats | sed -n 's/^cache.hits=//p')
	kill "$pid"
	wait "$pid" || true
	pid=""
	[ -n "$cap_pid" ] && { kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null || true; cap_pid=; }
	files=$(ls "$tmp"/cg.out*)
	[ -n "${CG_KEEP:-}" ] && cp $files "$CG_KEEP/"
	total=$(cat $files | sed -n 's/^summary: //p' | awk '{s += $1} END {print s}')
	# the UDP reader's thread: everything it did (reading, answering,
	# sending) and nothing of the start-up
	reader=0
	for f in $files; do
		if grep -q 'udp_reader' "$f"; then
			reader=$(sed -n 's/^summary: //p' "$f" | awk '{s += $1} END {print s}')
		fi
	done
	inq=$(callgrind_annotate --inclusive=yes $(grep -l udp_reader $files) 2>/dev/null |
		awk '/worker\.c:(on_query|on_query_obs|on_batch_sent)( |$)/ {
			gsub(",", "", $1); f = $0; sub(/.*worker\.c:/, "", f); sub(/ .*/, "", f)
			if ($1 + 0 > v[f]) v[f] = $1 + 0 }
			END { q = ("on_query_obs" in v) ? v["on_query_obs"] : v["on_query"]
			      print q + v["on_batch_sent"] }')
	awk -v m="$mode" -v h="$hits" -v q="$inq" -v t="$total" -v r="$reader" 'BEGIN {
		printf "%-16s hits %6d   Ir/answer: query function %7.1f   reader thread %7.1f   whole process %8.1f\n",
			m, h, q / h, r / h, t / h }'
done
