#!/bin/sh
# A member of a large RAID5 in the explorer (three sparse 256 GiB members
# written by mdraid.py, 64 KiB chunks, 4 million chunks a member): at the
# whole-disk zoom a cell holds thousands of chunks, so the side pane says
# its figures are estimated from the array's rows, and its parity share
# is md's, a third (one chunk a stripe of three); zoomed in to a few
# chunks a cell, the estimate goes, and the owners of a parity chunk and
# of a data chunk far into the member (chosen by md's left-symmetric
# rule, mdadm --examine's geometry) are the member's parity, or the array
# at the offset the rule gives; q leaves the terminal clean.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires mdadm python3
[ -x "$DA" ] || fail "diskatlas is not built"
head -c 1M /dev/urandom >"$T/data"
for k in 0 1 2; do truncate -s 256G "$T/m$k.img"; done
python3 "$IMAGES/mdraid.py" --data "$T/data" --uuid 0123456789abcdef0011223344556677 \
	--name test:big --level 5 --layout 2 --chunk 65536 "$T/m0.img" "$T/m1.img" "$T/m2.img" ||
	fail "mdraid.py"
mdadm --examine "$T/m0.img" >"$T/ex" 2>&1 || fail "mdadm --examine"
D=$(($(sed -n 's/^ *Data Offset : \([0-9]*\) sectors$/\1/p' "$T/ex") * 512))
check_eq "m0's role" "$(sed -n 's/^ *Device Role : Active device //p' "$T/ex")" 0
CH=65536 n=3

TUI_MORE="'$T/m1.img' '$T/m2.img'" tui_start "$T/m0.img"
wait_indexed
keys g; typed "100G"; keys Enter
wait_for 'estimated from the striped' || fail "no estimate at the whole-disk zoom: $(side)"
side | grep -Eq '^ +. +3[34]% m0\.img parity' ||
	fail "the cell's parity share is not a third: $(side)"
echo "ok: whole-disk zoom: an estimated cell, a third of it parity"
# a few chunks a cell
i=0
while ! screen | grep -q '1 cell = [0-9.]* KiB' && [ $i -lt 30 ]; do keys +; i=$((i + 1)); done
screen | grep -q '1 cell = [0-9.]* KiB' || fail "could not zoom in: $(screen | head -1)"
sleep 0.3
side | grep -q 'estimated from the striped' && fail "still estimated at $(screen | head -1)"
# stripes s of m0 (role 0) far into the member: parity where
# (n-1) - s mod n == 0, else data at array chunk s*(n-1) + k, k the
# chunk's place after the parity member
for s in 3000002 3000003 3000004; do
	off=$((D + s * CH + 4096))
	keys g; typed "$off"; keys Enter
	sleep 0.4
	p=$((n - 1 - s % n))
	if [ $p -eq 0 ]; then
		side | grep -q '^ *role parity' || fail "stripe $s: m0 holds its parity: $(side)"
		side | grep -q 'md_array' && fail "stripe $s: a parity chunk has no array owner: $(side)"
		echo "ok: stripe $s: parity"
	else
		k=$(((0 - p - 1 + n) % n))
		want=$(((s * (n - 1) + k) * CH + 4096))
		got=$(side | awk '/md_array/ { getline; print $2 }')
		check_eq "stripe $s: array offset" "$got" "$want"
		echo "ok: stripe $s: data, array offset $want"
	fi
done
keys q
wait_for 'EXIT=0' || fail "q did not end the explorer cleanly: $(screen | tail -3)"
echo "ok: q"
