#!/bin/sh
# Every crafted hostile image (tests/images/hostile.py) through --list
# (text and JSON), --map and lookups, with AddressSanitizer and
# UndefinedBehaviorSanitizer: no report, no leak, bounded time.  Among
# them a version 0 swap area, whose empty bad-page list was searched with
# a NULL base (UBSan: nonnull).  Uses the build under test when it has
# the sanitizers (make check SAN=1), else builds a copy with them.
. "$(dirname "$0")/../lib.sh"
requires python3 cc pkg-config
python3 "$IMAGES/hostile.py" "$T"
cd "$TOP"
if grep -q __asan_init "$DA" 2>/dev/null; then
	SAN="$DA"
else
	SAN="$T/diskatlas-san"
	pkgs="$(engine_pkgs) ncursesw"
	SANCC="cc -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer
		-fsanitize=address,undefined -fno-sanitize-recover=undefined
		-Isrc -Iui $(pkg-config --cflags $pkgs $(engine_dl_pkgs))"
	export SANCC T
	# a file at a time, two at once (one cc over every file uses one core)
	mkdir "$T/o"
	# shellcheck disable=SC2016
	ls src/*.c src/*/*.c ui/*.c | xargs -P 2 -n 8 sh -c '
		for f; do $SANCC -c -o "$T/o/$(echo "$f" | tr / _).o" "$f" || exit 255; done' sh \
		2>"$T/cc.log" || { cat "$T/cc.log"; fail "the sanitizer build failed"; }
	# shellcheck disable=SC2086
	$SANCC -o "$SAN" "$T"/o/*.o $(pkg-config --libs $pkgs) -lpthread 2>"$T/cc.log" ||
		{ cat "$T/cc.log"; fail "the sanitizer build failed"; }
	"$SAN" --version >/dev/null 2>&1 || skip "binaries built with -fsanitize=address do not run here"
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
n=0
for img in "$T"/*.img; do
	name=$(basename "$img" .img)
	for mode in --list "--list --json" --map "--lookup 8K"; do
		rc=0
		# shellcheck disable=SC2086
		timeout 60 "$SAN" $mode "$img" >"$T/out" 2>"$T/err" || rc=$?
		# 1: a short image or an offset past the end; 0 otherwise
		case $rc in 0|1) ;; *) cat "$T/err"; fail "$name $mode: exit $rc" ;; esac
		grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T/err" &&
			{ head -30 "$T/err"; fail "$name $mode: sanitizer report"; }
		n=$((n + 1))
	done
	printf '0\n4K\n\n9K\n' | "$SAN" --lookup - --json "$img" >/dev/null 2>"$T/err" || true
	grep -q 'runtime error\|Sanitizer' "$T/err" && { head -30 "$T/err"; fail "$name --lookup -: sanitizer report"; }
done
# the v0 swap area is read page by page (its bitmap and bad-page search)
for off in 0 4096 8192 65536 258048; do
	"$SAN" --lookup "$off" --json "$T/swap-v0.img" >"$T/out" 2>"$T/err" ||
		{ cat "$T/err"; fail "swap-v0 --lookup $off: exit $?"; }
	grep -q '"kind":"swap"' "$T/out" || fail "swap-v0 at $off: $(cat "$T/out")"
done
echo "ok: $n runs over $(ls "$T"/*.img | wc -l) hostile images, clean under ASan and UBSan"
