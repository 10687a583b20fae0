#!/bin/sh
# The libFuzzer target builds (so that `make fuzz` does not rot) and runs
# once over every test image as its seed, with AddressSanitizer and
# UndefinedBehaviorSanitizer: the whole engine (scan, ownership, file
# indexes, --list in text and JSON, lookups, the map) on each image, with
# no sanitizer report.  `make fuzz` goes on to mutate them.
. "$(dirname "$0")/../lib.sh"
requires clang xz pkg-config
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' >"$T/probe.c"
clang -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" 2>/dev/null || skip "clang here has no libFuzzer"
cd "$TOP"
make --no-print-directory -s -f tests/fuzz/Makefile OUT="$T/fuzz_scan" "$T/fuzz_scan" \
	CLANG="clang -Werror" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "the fuzz target does not build"; }
mkdir "$T/seeds"
n=0
for f in "$IMAGES"/*.img.xz; do
	xz -dc "$f" | head -c 4194304 >"$T/seeds/$(basename "$f" .img.xz)"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no committed test images in tests/images"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$T/fuzz_scan" -runs=0 -max_len=4194304 \
	-timeout=60 "$T/seeds" >"$T/run.log" 2>&1 || { tail -30 "$T/run.log"; fail "a sanitizer or the fuzz target stopped"; }
grep -q "runtime error" "$T/run.log" && { grep -m3 -B2 -A8 "runtime error" "$T/run.log"; fail "UBSan: runtime error"; }
echo "ok: the fuzz target built and ran $n images clean under ASan and UBSan"
