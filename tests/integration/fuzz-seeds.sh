#!/bin/sh
# The libFuzzer targets build (so that `make fuzz` does not rot) and run
# once over their seeds with AddressSanitizer and UndefinedBehaviorSanitizer:
# the whole engine (scan, ownership, file indexes, --list in text and
# JSON, lookups, the map) on every test image and crafted hostile image,
# WHERE strings, LVM2 metadata texts; no sanitizer report.  `make fuzz`
# goes on to mutate them.
. "$(dirname "$0")/../lib.sh"
requires clang xz pkg-config
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' >"$T/probe.c"
clang -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" 2>/dev/null || skip "clang here has no libFuzzer"
cd "$TOP"
# two of everything at once: the build and the replay are the longest part
# of make check (the engine is compiled once, a file at a time, for all three)
make --no-print-directory -s -j2 -f tests/fuzz/Makefile OBJ="$T/obj" OUT="$T/fuzz_scan" \
	WHERE_OUT="$T/fuzz_where" META_OUT="$T/fuzz_lvm_meta" "$T/fuzz_scan" "$T/fuzz_where" "$T/fuzz_lvm_meta" \
	CLANG="clang -Werror" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "the fuzz targets do not build"; }
mkdir "$T/seeds"
n=0
for f in "$IMAGES"/*.img.xz; do
	xz -dc "$f" | head -c 4194304 >"$T/seeds/$(basename "$f" .img.xz)"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no committed test images in tests/images"
# the crafted hostile images too, when python3 can make them
if command -v python3 >/dev/null 2>&1; then
	mkdir "$T/hostile"
	python3 "$IMAGES/hostile.py" "$T/hostile"
	for f in "$T"/hostile/*.img; do
		head -c 4194304 "$f" >"$T/seeds/hostile-$(basename "$f" .img)"
		n=$((n + 1))
	done
fi
# image formats our own code reads (qcow2), made by qemu-img
for s in "$TOP"/tests/fuzz/seeds/*.sh; do sh "$s" "$T/seeds"; done
n=$(ls "$T/seeds" | wc -l)
# the seeds in two halves, replayed side by side
mkdir "$T/half0" "$T/half1"
i=0
for f in "$T"/seeds/*; do mv "$f" "$T/half$((i % 2))/"; i=$((i + 1)); done
replay() {   # replay HALF: the scan target over one half, clean and complete
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$T/fuzz_scan" -runs=0 -max_len=4194304 \
		-timeout=60 "$T/half$1" >"$T/run$1.log" 2>&1 &&
		! grep -q "runtime error" "$T/run$1.log" && grep -q "INITED" "$T/run$1.log"
}
replay 0 & pid0=$!
replay 1 || { tail -30 "$T/run1.log"; fail "a sanitizer or the fuzz target stopped (second half)"; }
wait "$pid0" || { tail -30 "$T/run0.log"; fail "a sanitizer or the fuzz target stopped (first half)"; }
# the WHERE target on its seeds against two crafted disks, and the LVM2
# metadata target on the test images' metadata texts
if [ -d "$T/hostile" ]; then
	FUZZ_WHERE_DIR="$T/hostile" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$T/fuzz_where" -runs=0 -max_len=256 "$TOP/tests/fuzz/where-seeds" >"$T/where.log" 2>&1 ||
		{ tail -30 "$T/where.log"; fail "fuzz_where stopped"; }
	grep -q "runtime error" "$T/where.log" && { grep -m3 -A8 "runtime error" "$T/where.log"; fail "fuzz_where: UBSan"; }
fi
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$T/fuzz_lvm_meta" -runs=0 -max_len=65536 \
	"$IMAGES"/*.vg >"$T/meta.log" 2>&1 || { tail -30 "$T/meta.log"; fail "fuzz_lvm_meta stopped"; }
grep -q "runtime error" "$T/meta.log" && { grep -m3 -A8 "runtime error" "$T/meta.log"; fail "fuzz_lvm_meta: UBSan"; }
echo "ok: the fuzz targets built and ran $n images, the WHERE seeds and the LVM2 texts clean under ASan and UBSan"
