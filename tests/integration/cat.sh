#!/bin/sh
# --cat WHERE+LENGTH: the bytes of a disk are the file's own (dd), those of
# an LV are the extents lvs gives, read from the disk by dd; bad forms are
# usage errors (2), a range past the end or an unknown name a runtime
# error (1) with one line and nothing on standard output.
. "$(dirname "$0")/../lib.sh"
requires jq xz
img=$(image lvm-gpt)
"$DA" --cat 1M+64K "$img" >"$T/a" || fail "--cat 1M+64K"
dd if="$img" bs=64K skip=16 count=1 status=none | cmp -s - "$T/a" || fail "--cat of the disk differs from dd"
"$DA" --cat "lvm-gpt.img:2048s+4096" "$img" >"$T/b" || fail "--cat NAME:2048s+4096"
dd if="$img" bs=4096 skip=256 count=1 status=none | cmp -s - "$T/b" || fail "--cat NAME:OFF differs from dd"
# an LV, piece by piece from lvs's segments
ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$IMAGES/lvm-gpt.pvs.json")
lv=$(jq -r '[.report[0].seg[] | select(.stripes == "1")][0] | "\(.vg_name)/\(.lv_name) \(.seg_start_pe) \(.seg_pe_ranges)"' "$IMAGES/lvm-gpt.lvs.json")
set -- $lv
name=$1 segpe=$2 range=$3
where=${range%%:*}; pe=${range#*:}; pe=${pe%%-*}
pes=$(jq -r --arg w "$where" '.report[0].pv[] | select(.pv_name == $w) | .pe_start | rtrimstr("B")' "$IMAGES/lvm-gpt.pvs.json")
base=$((${where#*@} + pes + pe * ext))
"$DA" --cat "$name:$((segpe * ext))+$ext" "$img" >"$T/lv" || fail "--cat $name"
dd if="$img" bs=1 skip="$base" count="$ext" status=none 2>/dev/null | cmp -s - "$T/lv" ||
	fail "--cat $name differs from its extent on the disk at $base"
# errors
for bad in 1M 1M+ 1M+x +5; do
	set +e; "$DA" --cat "$bad" "$img" >"$T/out" 2>"$T/err"; st=$?; set -e
	check_eq "--cat $bad status" "$st" 2
	[ ! -s "$T/out" ] || fail "--cat $bad wrote to standard output"
done
size=$(stat -c %s "$img")
set +e; "$DA" --cat "$((size - 10))+11" "$img" >"$T/out" 2>"$T/err"; st=$?; set -e
check_eq "past the end: status" "$st" 1
check_eq "past the end: lines" "$(wc -l <"$T/err")" 1
[ ! -s "$T/out" ] || fail "past the end wrote to standard output"
set +e; "$DA" --cat "nosuch:0+1" "$img" >"$T/out" 2>"$T/err"; st=$?; set -e
check_eq "unknown name: status" "$st" 1
grep -q "no disk or volume named 'nosuch'" "$T/err" || fail "unknown name: $(cat "$T/err")"
set +e; "$DA" --cat 0+1 --json "$img" >"$T/out" 2>"$T/err"; st=$?; set -e
check_eq "--cat with --json" "$st" 2
# the image is never written
sum=$(md5sum <"$img")
"$DA" --cat 0+1M "$img" >/dev/null
check_eq "image unchanged" "$(md5sum <"$img")" "$sum"
echo ok
