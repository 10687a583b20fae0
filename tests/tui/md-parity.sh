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
