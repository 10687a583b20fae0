#!/bin/sh
# Layer views: Enter on a block of an LV shows the map in the LV's own
# address space (the offsets --lookup gives for the LV), every cursor
# position there still says where it lives on the disk (and that disk byte's
# owners agree with --lookup, with the LV at the same offset), and
# Backspace goes back to the disk, at the byte the cursor reached in the LV;
# g LV:OFFSET from inside the LV's view stays in it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"
need_image lvm-gpt

# a byte in an LV: the first MiB boundary where --lookup names an lv
size=$(stat -c %s "$IMG")
awk -v s="$size" 'BEGIN { for (o = 0; o < s; o += 1048576) print o + 4096 }' |
	"$DA" --lookup - --json "$IMG" >"$T/scan.jsonl"
start=$(jq -r 'select(any(.owners[]; .kind == "lv")) | .offset' "$T/scan.jsonl" | head -1)
[ -n "$start" ] || fail "no LV found on lvm-gpt by --lookup"
lv=$(jq -r "select(.offset == $start) | .owners[] | select(.kind == \"lv\") | .name" "$T/scan.jsonl")
lvoff=$(jq -r "select(.offset == $start) | .owners[] | select(.kind == \"lv\") | .offset" "$T/scan.jsonl")
echo "disk offset $start is $lv offset $lvoff"

# the LV's size as lvm2 recorded it, when the image's truth file says
truth="$IMAGES/lvm-gpt.truth"
[ -f "$truth" ] && echo "truth: $(grep -m1 "${lv#*/}" "$truth" || true)"

tui_start "$IMG"
wait_indexed
keys g; typed "$start"; keys Enter
check_side_vs_lookup "disk view at $start"
keys Enter
wait_for "view $lv" || fail "Enter did not open the LV: $(screen | head -1)"
check_eq "offset in $lv" "$(cursor_offset)" "$lvoff"
screen | head -1 | grep -q "view $lv\\b" || fail "title does not name $lv"

# move around the LV: each position maps to a disk byte whose owners
# (by --lookup) include the LV at the offset the view shows
for k in l l j 'j j j' k Home PageDown End; do
	keys $k
	v=$(cursor_offset)
	d=$(side | sed -n 's/^   (\([0-9]*\))$/\1/p' | head -1)
	[ -n "$d" ] || fail "after $k: no disk location in the side pane: $(side)"
	lo=$("$DA" --lookup "$d" --json "$IMG" | jq -r ".owners[] | select(.kind == \"lv\" and .name == \"$lv\") | .offset")
	check_eq "after $k: $lv offset of disk byte $d" "$lo" "$v"
	got=$(side_owners)
	want=$(lookup_owners "$d")
	[ "$got" = "$want" ] || fail "after $k: side pane
$got
--lookup $d
$want"
	echo "ok: $k: $lv offset $v is disk byte $d"
done

keys BSpace
wait_for "view $(basename "$IMG") " || fail "Backspace did not return: $(screen | head -1)"
# at the disk byte the walk in the LV reached, not where it went in
check_eq "back on the disk, where the cursor went in the LV" "$(cursor_offset)" "$d"
[ "$d" != "$start" ] || fail "the walk in the LV ended where it began: the test proves nothing"

# g LV:OFFSET from inside the LV's view (the view of its ext4, the
# filesystem's own space over the LV) stays in that view
keys Enter
wait_for "view $lv" || fail "Enter did not open the LV again: $(screen | head -1)"
keys g; typed "$lv:$lvoff"; keys Enter
screen | head -1 | grep -q "view $lv\\b" ||
	fail "g $lv:$lvoff left the LV's view: $(screen | head -1)"
check_eq "g $lv:$lvoff: the offset in $lv" "$(cursor_offset)" "$lvoff"
check_eq "g $lv:$lvoff: the disk byte" "$(side | sed -n 's/^   (\([0-9]*\))$/\1/p' | head -1)" "$start"
echo "ok: g $lv:$lvoff stays in $lv's view, on disk byte $start"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
