#!/bin/sh
# The layer view of an md RAID5 over three disks: g to an array offset
# (NAME:OFFSET) lands on the disk byte that holds it, with the member, the
# array and the filesystem as --lookup gives them; Enter opens the array's
# own space (the view the ext4 inside sees), where the file debugfs names
# for that block is shown, and every cursor position says which member
# disk and offset hold it, as --lookup of the array offset does; g
# data:OFFSET there stays in the array's view; Backspace goes back to a disk.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires debugfs
[ -x "$DA" ] || fail "diskatlas is not built"
need_image md-raid5-a
B=$(image md-raid5-b); C=$(image md-raid5-c)
"$DA" --cat data:0+22M "$IMG" "$B" "$C" >"$T/array" || fail "--cat data"
file=/numbers.txt
blk=$(debugfs -R "blocks $file" "$T/array" 2>/dev/null | awk '{ print $3 }')
[ -n "$blk" ] || fail "debugfs gives no block of $file"
o=$((blk * 1024))
where() {  # "DISK OFFSET" that holds array byte $1
	"$DA" --lookup "data:$1" --json "$IMG" "$B" "$C" | jq -r '"\(.disk) \(.offset)"'
}
owners_at() {
	"$DA" --lookup "$1" --json "$IMG" "$B" "$C" | jq -r '.owners[] | "\(.kind) \(.name) \(.offset)"'
}
set -- $(where $o); disk=$1 doff=$2
echo "$file block $blk: array offset $o, $disk @ $doff"

TUI_MORE="'$B' '$C'" tui_start "$IMG"
wait_indexed
keys g; typed "data:$o"; keys Enter
wait_for "view $disk " || fail "g data:$o did not go to $disk: $(screen | head -1)"
check_eq "g data:$o" "$(cursor_offset)" "$doff"
check_eq "owners at $disk:$doff" "$(side_owners)" "$(owners_at "$disk:$doff")"
side_owners | grep -qx "md_array data $o" || fail "the array is not among the owners: $(side_owners)"
keys Enter
wait_for 'view data:ext4' || fail "Enter did not open the array: $(screen | head -1)"
check_eq "offset in the array" "$(cursor_offset)" "$o"
side_paths | grep -qxF "$file" || fail "the array view does not show $file: $(side)"
# each position in the array's view: the member disk and offset --lookup gives
for k in l 'l l l' j 'j j' Home End; do
	keys $k
	v=$(cursor_offset)
	set -- $(where "$v")
	side | grep -qx "on disk $1 @ $(printf '0x%x' "$2")" ||
		fail "after $k: array offset $v is on $1 @ $2 by --lookup, the side pane says: $(side | grep '^on disk')"
	echo "ok: $k: array offset $v is $1 @ $2"
	seen="${seen:-} $1"
done
# the walk crossed members
[ "$(printf '%s\n' $seen | sort -u | wc -l)" -ge 2 ] || fail "the walk stayed on one member: $seen"
# g data:OFFSET from inside the array's view (its ext4's own space over
# the array) stays in that view, on the file's block
keys g; typed "data:$o"; keys Enter
screen | head -1 | grep -q 'view data:ext4 ' ||
	fail "g data:$o left the array's view: $(screen | head -1)"
check_eq "g data:$o in the array's view" "$(cursor_offset)" "$o"
side_paths | grep -qxF "$file" || fail "g data:$o does not show $file: $(side)"
keys BSpace
wait_for 'view md-raid5-[abc].img ' || fail "Backspace did not return to a disk: $(screen | head -1)"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
