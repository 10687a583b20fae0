#!/bin/sh
# Run every test: cmocka unit binaries, then integration and TUI scripts.
# A script passes with exit 0, skips with exit 77 (its last output line
# says why), and fails otherwise.  Ends with "N passed, N failed[, N skipped]".
# Usage: tests/run.sh [PATTERN...]   (substring filters on test names)
# A script's line gives its wall-clock seconds, to find the slow ones.
#
# Scripts run TEST_JOBS at a time (default: one a CPU); their lines are
# printed in the scripts' order all the same.  A script with a line
# "# alone: WHY" runs by itself (loop devices, which two would race for).
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

jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in ''|*[!0-9]*|0) jobs=1 ;; esac
R=$(mktemp -d "${TMPDIR:-/tmp}/da-run.XXXXXX") || exit 1
trap 'rm -rf "$R"' EXIT

# script K's name and log
name_of() { n=${1#tests/}; echo "${n%.sh}"; }
log_of() { echo "tests/out/$(name_of "$1" | tr / _).log"; }

# run K SCRIPT: in the background, in a process group of its own, led by
# the pid $! gives (setsid forks only a group's leader, which a background
# command of a script is not); $R/K.done says "STATUS SECONDS" at the end
pids=""
setsid=""
command -v setsid >/dev/null 2>&1 && setsid=setsid
run() {
	$setsid sh -c 't0=$(date +%s)
		sh "$1" >"$2" 2>&1
		rc=$?
		echo "$rc $(($(date +%s) - t0))" >"$3.t"
		mv "$3.t" "$3.done"' sh "$2" "$(log_of "$2")" "$R/$1" &
	pids="$pids $!"
}
# Ctrl-C: a script's background commands ignore SIGINT, so the scripts
# still running are ended with SIGTERM, each with what it started, as
# Ctrl-C ended the one running; STATUS, 130 by default
stop() {
	trap - INT TERM
	for pid in $pids; do
		kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	wait
	exit "${1:-130}"
}
trap stop INT TERM

# the results ready, in the scripts' order
printed=0
report() {
	while [ -f "$R/$((printed + 1)).done" ]; do
		printed=$((printed + 1))
		_t=$(cat "$R/$printed.script")
		_name=$(name_of "$_t"); _log=$(log_of "$_t")
		read -r _rc _secs <"$R/$printed.done"
		case $_rc in
		0) pass=$((pass + 1)); echo "PASS $_name (${_secs} s)" ;;
		77) skip=$((skip + 1)); _why=$(tail -1 "$_log" | sed "s/^SKIP: //"); echo "SKIP $_name: $_why"
		    skips="$skips; $_name: $_why" ;;
		*) fail=$((fail + 1)); echo "FAIL $_name (exit $_rc after ${_secs} s; see $_log)"; tail -5 "$_log" | sed 's/^/    /'
		   failed="$failed $_name" ;;
		esac
	done
}

# wait until at most N scripts run, printing what ends meanwhile
started=0
running() { echo $((started - $(find "$R" -name '*.done' | wc -l))); }
settle() {
	while [ "$(running)" -gt "$1" ]; do
		[ -d "$R" ] || { echo "tests/run.sh: $R went away" >&2; stop 1; }
		report
		sleep 0.1
	done
	report
}

for t in tests/integration/*.sh tests/tui/*.sh; do
	[ -f "$t" ] || continue
	want "$t" $filters || continue
	# room for it: every slot for a script that runs alone, else one
	room=$((jobs - 1))
	grep -q '^# alone:' "$t" && room=0
	settle "$room"
	started=$((started + 1))
	echo "$t" >"$R/$started.script"
	run "$started" "$t"
	[ "$room" -eq 0 ] && settle 0
done
settle 0
wait

[ -n "$failed" ] && echo "failed:$failed"
if [ "$skip" -gt 0 ]; then
	echo "skipped because$skips" | sed 's/because; /because: /'
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
