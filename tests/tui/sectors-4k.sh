#!/bin/sh
# On a 4K-native disk (4096-byte logical sectors), g's s suffix and the
# side pane's sector number count the disk's own sectors, as --lookup's s
# does: g 256s lands where sfdisk (through a 4096-byte-sector loop device,
# its answer kept beside the image) starts the first partition, not 256
# sectors of 512 bytes in, and the side pane there says sector 256.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"
need_image gpt-4k
J="$IMAGES/gpt-4k.sfdisk.json"
ss=$(jq '.partitiontable.sectorsize' "$J")
check_eq "sfdisk's sector size" "$ss" 4096

tui_start "$IMG"
wait_indexed
for n in 1 3; do
	lba=$(jq ".partitiontable.partitions[$((n - 1))].start" "$J")
	at=$((lba * ss))
	keys g; typed "${lba}s"; keys Enter
	check_eq "g ${lba}s" "$(cursor_offset)" "$at"
	side | grep -q "^   = .*, sector $lba\$" ||
		fail "at p$n the side pane does not say sector $lba: $(side | sed -n 2,3p)"
	side_owners | grep -qx "partition p$n 0" ||
		fail "g ${lba}s is not the first byte of p$n: $(side_owners)"
	check_side_vs_lookup "g ${lba}s (p$n per sfdisk)"
	check_eq "--lookup ${lba}s" "$("$DA" --lookup "${lba}s" --json "$IMG" | jq .offset)" "$at"
	# a byte offset: the sector it lies in, counted in 4096s
	keys g; typed "$((at + ss + 100))"; keys Enter
	side | grep -q "sector $((lba + 1))\$" ||
		fail "byte $((at + ss + 100)): not sector $((lba + 1)): $(side | sed -n 2,3p)"
	echo "ok: p$n starts at ${lba}s = $at, as sfdisk says"
done
# the s suffix wants a plain number before it
keys g; typed "1Ms"; keys Enter
wait_for 'not an offset' || fail "1Ms was taken as an offset: $(screen | tail -1)"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
