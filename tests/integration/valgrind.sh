#!/bin/sh
# --list and --lookup under valgrind on every test image: no memory
# errors and no leaks.
. "$(dirname "$0")/../lib.sh"
requires valgrind xz
# valgrind cannot run a binary built with AddressSanitizer (make SAN=1),
# which checks the same things itself
if ldd "$DA" 2>/dev/null | grep -q libasan; then
	skip "diskatlas is built with AddressSanitizer (SAN=1): valgrind cannot run it"
fi
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"
runs=0
for xzf in "$IMAGES"/*.img.xz; do
	name=$(basename "$xzf" .img.xz)
	img=$(image "$name")
	size=$(stat -c %s "$img")
	$VG "$DA" --list --json "$img" >/dev/null 2>"$T/vg" || { cat "$T/vg"; fail "$name: --list under valgrind"; }
	awk -v size="$size" 'BEGIN { srand(11); for (i = 0; i < 50; i++) printf "%d\n", int(rand() * size) }' >"$T/offs"
	$VG "$DA" --lookup - --json "$img" <"$T/offs" >/dev/null 2>"$T/vg" || { cat "$T/vg"; fail "$name: --lookup under valgrind"; }
	$VG "$DA" --map --width 32 --height 4 "$img" >/dev/null 2>"$T/vg" || { cat "$T/vg"; fail "$name: --map under valgrind"; }
	runs=$((runs + 3))
done
[ "$runs" -gt 0 ] || fail "no committed test images in tests/images"
echo "ok: $runs runs clean under valgrind"
