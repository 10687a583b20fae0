#!/bin/sh
# Where a RAID5 byte's parity lives, in the explorer's side pane: g to an
# array offset, and under the array the side pane names the member disk
# and offset of its stripe's parity chunk, worked out here from mdadm
# --examine's chunk size, data offset and device roles by md's
# left-symmetric rule (the parity of stripe s is on role (n-1) - s mod n);
# the same in the array's own view (Enter) and after moving along it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires mdadm
[ -x "$DA" ] || fail "diskatlas is not built"
need_image md-raid5-a
B=$(image md-raid5-b); C=$(image md-raid5-c)
# the geometry, from mdadm
for f in "$IMG" "$B" "$C"; do
	mdadm --examine "$f" >"$T/ex" 2>&1 || fail "mdadm --examine $f"
	grep -q 'Layout : left-symmetric' "$T/ex" || fail "$f: not left-symmetric"
	chunk=$(sed -n 's/^ *Chunk Size : \([0-9]*\)K$/\1/p' "$T/ex")
	doff=$(sed -n 's/^ *Data Offset : \([0-9]*\) sectors$/\1/p' "$T/ex")
	role=$(sed -n 's/^ *Device Role : Active device //p' "$T/ex")
	n=$(sed -n 's/^ *Raid Devices : //p' "$T/ex")
	eval "disk_$role=\$(basename \"\$f\")"
done
CH=$((chunk * 1024)) D=$((doff * 512))
[ "$n" = 3 ] && [ "$CH" -gt 0 ] && [ "$D" -gt 0 ] || fail "mdadm geometry: n=$n chunk=$CH data offset=$D"
# parity OFF: "DISK 0xHEX" of array byte OFF's parity
parity() {
	s=$(($1 / CH / (n - 1)))
	eval "pd=\$disk_$((n - 1 - s % n))"
	printf '%s 0x%x\n' "$pd" $((D + s * CH + $1 % CH))
}
side_parity() { side | awk '/^   parity:$/ { getline; print $1, $2, $4 }' | head -1; }
# until_parity WANT: wait for the side pane to show it (it redraws after keys)
until_parity() {
	i=0
	while [ "$(side_parity)" != "$1" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
}

TUI_MORE="'$B' '$C'" tui_start "$IMG"
wait_indexed
for o in 4096 200000 1000000 $((7 << 20)); do
	keys g; typed "data:$o"; keys Enter
	until_parity "P $(parity $o)"
	side | grep -q '^   parity:$' || fail "array offset $o: no parity in the side pane: $(side)"
	check_eq "array offset $o: parity" "$(side_parity)" "P $(parity $o)"
	echo "ok: array offset $o: parity $(parity $o)"
done
# in the array's own view, and moving along it
keys Enter
wait_for 'view data' || fail "Enter did not open the array: $(screen | head -1)"
for k in l 'l l' j 'j j j'; do
	keys $k
	sleep 0.2
	v=$(cursor_offset)
	until_parity "P $(parity "$v")"
	check_eq "array view at $v: parity" "$(side_parity)" "P $(parity "$v")"
	echo "ok: array view at $v: parity $(parity "$v")"
done

# degraded: the member with role 1 left out.  A file block whose chunk was
# on it lies on no disk here, yet `g` goes there (into the array's own
# view) and the side pane still names what lies inside the array: debugfs
# icheck's inode and ncheck's path, on the whole array.
tui_stop
eval "gone=\$disk_1"
set --
for f in "$IMG" "$B" "$C"; do [ "$(basename "$f")" = "$gone" ] || set -- "$@" "$f"; done
"$DA" --cat "data:0+$((22 << 20))" "$IMG" "$B" "$C" >"$T/r5.img" || fail "--cat of the whole array"
bs=$(dumpe2fs -h "$T/r5.img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
# the left-symmetric rule again: data chunk j of stripe s is on role
# (parity + 1 + j) mod n
pick=$(debugfs -R "icheck $(awk 'BEGIN { for (b = 300; b < 20000; b += 97) printf "%d ", b }')" "$T/r5.img" 2>/dev/null |
	awk -v bs="$bs" -v ch="$CH" -v n="$n" 'NR > 1 && $2 ~ /^[0-9]+$/ {
		c = int($1 * bs / ch); s = int(c / (n - 1)); j = c % (n - 1)
		if ((n - 1 - s % n + 1 + j) % n == 1) { print $1, $2; exit } }')
[ -n "$pick" ] || fail "no file block found on member role 1"
set -- $pick "$@"
blk=$1 ino=$2; shift 2
path=$(debugfs -R "ncheck $ino" "$T/r5.img" 2>/dev/null | awk 'NR > 1 { print $2 }' | sed 's|//*|/|g' | head -1)
[ -n "$path" ] || fail "ncheck gives no path for inode $ino"
TUI_MORE="'$2'" tui_start "$1"
wait_indexed
keys g; typed "data:$((blk * bs))"; keys Enter
wait_for 'owners inside data' || fail "degraded: no owners for data:$((blk * bs)): $(side)"
side | grep -q '^on no disk here' || fail "degraded: the side pane does not say the byte is on no disk: $(side)"
screen | head -1 | grep -q 'view data' || fail "degraded: g did not open the array's view: $(screen | head -1)"
check_eq "degraded: cursor" "$(cursor_offset)" "$((blk * bs))"
side | grep -q "^   inode $ino\$" || fail "degraded: inode $ino (icheck) not in the side pane: $(side)"
check_eq "degraded: path" "$(side_paths | head -1)" "$path"
echo "ok: degraded: data:$((blk * bs)) on the missing $gone: inode $ino $path"
