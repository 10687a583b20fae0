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
# the images first, then two valgrind runs at a time (each costs a core)
for xzf in "$IMAGES"/*.img.xz; do
	image "$(basename "$xzf" .img.xz)" >>"$T/images"
done
[ -s "$T/images" ] || fail "no committed test images in tests/images"
export VG DA T
# shellcheck disable=SC2016
xargs -P 2 -n 1 sh -c '
	img=$1 name=$(basename "$1" .img) vg=$T/vg.$(basename "$1" .img)
	size=$(stat -c %s "$img")
	$VG "$DA" --list --json "$img" >/dev/null 2>"$vg" || { cat "$vg"; echo "FAIL: $name: --list under valgrind"; exit 255; }
	awk -v size="$size" "BEGIN { srand(11); for (i = 0; i < 50; i++) printf \"%d\\n\", int(rand() * size) }" |
		$VG "$DA" --lookup - --json "$img" >/dev/null 2>"$vg" || { cat "$vg"; echo "FAIL: $name: --lookup under valgrind"; exit 255; }
	$VG "$DA" --map --width 32 --height 4 "$img" >/dev/null 2>"$vg" || { cat "$vg"; echo "FAIL: $name: --map under valgrind"; exit 255; }
	echo "$name" >>"$T/done"' sh <"$T/images" || fail "a run under valgrind reported errors (above)"
runs=$(($(wc -l <"$T/done") * 3))
check_eq "images run under valgrind" "$(wc -l <"$T/done")" "$(wc -l <"$T/images")"
echo "ok: $runs runs clean under valgrind"
