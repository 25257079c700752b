#!/usr/bin/env bash
# make conformance: run the Deckard resolver scenarios against BUILD/portcullis,
# write tests/conformance/results/latest.{md,tsv}, and fail on a regression.
#
#   tests/conformance/run.sh BUILD_DIR
#
# Environment:
#   DECKARD=DIR       the Deckard folder: run.sh, suite/ and Unbound's results
#                     (default: ../shared/deckard beside the checkout)
#   DECKARD_JOBS=N    parallel tests (default 2)
#   DECKARD_SELECT='iter_*'   run only these scenario files; the report is
#                     then printed, not written, and there is no gate
#   DECKARD_RESULTS=DIR       keep junit XML and failed tests' work dirs there
#   CONFORMANCE_RERUNS=N      re-runs of a test that regressed (default 3)
#
# A test that passed in the committed report (results/latest.tsv at HEAD)
# and fails now is re-run up to CONFORMANCE_RERUNS times: Deckard runs under
# faked time and a few tests flip from run to run. Only a test that fails in
# every re-run is a regression (exit 1). Exit 2: the run itself broke.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)" || exit 2
PY=/usr/bin/python3
DK="${DECKARD:-$ROOT/../shared/deckard}"
RERUNS="${CONFORMANCE_RERUNS:-3}"
export DECKARD_JOBS="${DECKARD_JOBS:-2}"

if [ ! -x "$DK/run.sh" ] || [ ! -f "$DK/suite/deckard_pytest.py" ]; then
	echo "conformance: no Deckard at $DK (want run.sh and suite/ there)." >&2
	echo "conformance: point to it with: make conformance DECKARD=/path/to/deckard" >&2
	exit 2
fi
DK="$(cd "$DK" && pwd)"
UNBOUND_TSV="$(ls "$DK"/unbound-*-results.tsv 2>/dev/null | head -1)"
[ -x "$BUILD/portcullis" ] || { echo "conformance: no $BUILD/portcullis (run make)" >&2; exit 2; }

RES="${DECKARD_RESULTS:-}"
KEEP=1
if [ -z "$RES" ]; then RES="$(mktemp -d /tmp/pc-conformance.XXXXXX)"; KEEP=0; fi
mkdir -p "$RES"
RES="$(cd "$RES" && pwd)"
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$RES"; }
trap cleanup EXIT

# run_deckard OUTDIR [scenario]: one Deckard run, its log in OUTDIR/run.log
run_deckard() {
	local out="$1" scen="${2:-}"
	mkdir -p "$out"
	if [ -n "$scen" ]; then
		DECKARD_SELECT="" DECKARD_SCENARIOS="sets/resolver/$scen" DECKARD_RESULTS="$out" \
			PORTCULLIS_BIN="$BUILD/portcullis" "$DK/run.sh" "$DK/suite" \
			"$HERE/portcullis.yaml" >"$out/run.log" 2>&1
	else
		DECKARD_RESULTS="$out" PORTCULLIS_BIN="$BUILD/portcullis" "$DK/run.sh" "$DK/suite" \
			"$HERE/portcullis.yaml" >"$out/run.log" 2>&1
	fi
	local rc=$?
	if [ $rc -eq 2 ] || [ ! -s "$out/results.tsv" ]; then
		echo "conformance: the Deckard run broke (exit $rc); its log, $out/run.log:" >&2
		tail -20 "$out/run.log" >&2
		return 2
	fi
	return 0
}

START=$(date +%s)
echo "conformance: Deckard at $DK, $DECKARD_JOBS jobs, portcullis $BUILD/portcullis"
run_deckard "$RES/main" || exit 2
# the per-prefix table of the run (its last line is left out: the report's
# own closing line follows)
sed -n '/^prefix /,/^deckard: /p' "$RES/main/summary.txt" | grep -v '^ \|^not passed:' | grep -v '^deckard: '

OUT="$HERE/results"
if [ -n "${DECKARD_SELECT:-}" ]; then
	OUT="$RES/report"
	mkdir -p "$OUT"
	echo "conformance: DECKARD_SELECT given: partial run, report in $OUT, no regression gate"
fi
PREV="$RES/previous.tsv"
BASE="$RES/baseline.tsv"
: >"$PREV"
: >"$BASE"
[ -f "$HERE/results/latest.tsv" ] && cp "$HERE/results/latest.tsv" "$PREV"
if [ -z "${DECKARD_SELECT:-}" ]; then
	# the committed report, or the one on disk outside a git checkout
	git -C "$ROOT" show HEAD:tests/conformance/results/latest.tsv >"$BASE" 2>/dev/null ||
		cp "$PREV" "$BASE"
fi

# Tests that passed in the committed report and fail now: re-run them.
RERUN_TSV="$RES/reruns.tsv"
: >"$RERUN_TSV"
suspects="$(awk -F'\t' 'NR==FNR { if ($3 == "passed") base[$1 "\t" $2] = 1; next }
	($1 "\t" $2) in base && $3 != "passed" { print $1 }' "$BASE" "$RES/main/results.tsv" | sort -u)"
for scen in $suspects; do
	for try in $(seq 1 "$RERUNS"); do
		d="$RES/rerun-$scen-$try"
		run_deckard "$d" "$scen" || continue
		awk -F'\t' -v t="$try" '{ print $1 "\t" $2 "\t" t "\t" $3 }' "$d/results.tsv" >>"$RERUN_TSV"
		echo "conformance: re-run $try of $scen: $(cut -f2,3 "$d/results.tsv" | tr '\t\n' ': ')"
		# stop once every variant that passed before has passed again
		still="$(awk -F'\t' 'NR==FNR { if ($3 == "passed") base[$1 "\t" $2] = 1; next }
			($1 "\t" $2) in base && $3 != "passed"' "$BASE" "$d/results.tsv")"
		[ -z "$still" ] && break
	done
done

"$PY" "$HERE/report.py" --new "$RES/main/results.tsv" --unbound "$UNBOUND_TSV" \
	--scenarios "$DK/suite/sets/resolver" --previous "$PREV" --baseline "$BASE" \
	--reruns "$RERUN_TSV" --out-md "$OUT/latest.md" --out-tsv "$OUT/latest.tsv" \
	--junit "$RES/main/junit-mono.xml" --junit "$RES/main/junit-nonmono.xml" \
	--meta "portcullis=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')" \
	--meta "Deckard=$DK/suite ($(ls "$DK"/suite/sets/resolver/*.rpl | wc -l) scenario files)" \
	--meta "Unbound results=$(basename "$UNBOUND_TSV")" \
	--meta "wall time=$(($(date +%s) - START)) s with $DECKARD_JOBS jobs"
rc=$?
echo "conformance: report in $OUT/latest.md"
exit $rc
