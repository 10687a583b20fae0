#!/bin/sh
# Run every test: cmocka unit binaries, then integration and TUI scripts.
# A script passes with exit 0, skips with exit 77 (its last output line
# says why), and fails otherwise.  Ends with "N passed, N failed[, N skipped]".
# Usage: tests/run.sh [PATTERN...]   (substring filters on test names)
# A script's line gives its wall-clock seconds, to find the slow ones.
set -u
cd "$(dirname "$0")/.." || exit 1
mkdir -p tests/out
pass=0; fail=0; skip=0; skips=""; failed=""
want() {
	[ $# -eq 1 ] && return 0
	t=$1; shift
	for p in "$@"; do case "$t" in *"$p"*) return 0;; esac; done
	return 1
}
filters="$*"

for bin in build/tests/unit/test_*; do
	[ -x "$bin" ] || continue
	want "$bin" $filters || continue
	log=tests/out/$(basename "$bin").log
	"$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $(basename "$bin") ($f of its tests; see $log)"
		failed="$failed $(basename "$bin")"
	else
		echo "PASS $(basename "$bin") ($p tests)"
	fi
done

for t in tests/integration/*.sh tests/tui/*.sh; do
	[ -f "$t" ] || continue
	want "$t" $filters || continue
	name=${t#tests/}; name=${name%.sh}
	log=tests/out/$(echo "$name" | tr / _).log
	t0=$(date +%s)
	sh "$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs} s)" ;;
	77) skip=$((skip + 1)); why=$(tail -1 "$log" | sed "s/^SKIP: //"); echo "SKIP $name: $why"
	    skips="$skips; $name: $why" ;;
	*) fail=$((fail + 1)); echo "FAIL $name (exit $rc after ${secs} s; see $log)"; tail -5 "$log" | sed 's/^/    /'
	   failed="$failed $name" ;;
	esac
done

[ -n "$failed" ] && echo "failed:$failed"
if [ "$skip" -gt 0 ]; then
	echo "skipped because$skips" | sed 's/because; /because: /'
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
