#!/bin/sh
# An NTFS's $Bitmap, a FAT's table and an exFAT's allocation bitmap are
# read after the explorer's first frame (they grow with the volume: 512
# MiB at 16 TiB, 256 MiB a copy at 2 TiB).  DISKATLAS_TEST_BG_DELAY_MS (a
# test knob) holds that read back: meanwhile the structures the scan
# placed ($MFT where ntfsinfo puts it, the FAT where fsck.fat does, the
# allocation bitmap where dump.exfat does) are drawn, every other cell is
# "not read yet", and the side pane gives the volume's size without used
# and free.  Then the map is repainted and the side pane gives used and
# free as --list does (whose counts tests/integration/ntfs-windows.sh,
# fat-*.sh and exfat-*.sh check against ntfsinfo, ntfscluster, fsck.fat
# and fsck.exfat).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires ntfsinfo fsck.fat dump.exfat sfdisk jq
[ -x "$DA" ] || fail "diskatlas is not built"

map() { screen | sed -n 's/[│|].*//p' | sed '1d' | head -n $((TUI_H - 5)); }
unread_cells() { map | tr -cd '~' | wc -c; }
# the volume's line, and its wrapped tail (indented deeper) when it has one
facts() { side | awk -v t="$1" 'index($0, "   " t ", ") == 1 { l = $0; on = 1; next }
	on && /^      / { sub(/^ */, " "); l = l $0 } on { print l; exit }'; }

# check IMG TYPE OFFSET ROLE: TYPE as the side pane names it, OFFSET a
# byte of a structure the scan places, ROLE its role
check() {
	img=$1 type=$2 at=$3 role=$4
	used=$("$DA" --list "$img" | sed -n 's/.* used=\([^=]*[^ =]\)  *free=.*/\1/p')
	free=$("$DA" --list "$img" | sed -n 's/.* free=\([^=]*[^ =]\)\(  *[a-z_]*=.*\)*$/\1/p')
	[ -n "$used" ] && [ -n "$free" ] || fail "$type: --list gives no used and free"
	tui_start "$img" DISKATLAS_TEST_BG_DELAY_MS=4000
	keys g; typed "$at"; keys Enter
	side | grep -q "reading the filesystems' maps" || fail "$type: not held back: $(side)"
	side | grep -q "^   block .* $role\\b" || fail "$type: byte $at is not $role while the map is read: $(side)"
	n=$(unread_cells)
	[ "$n" -gt 0 ] || fail "$type: no cell not read yet while the map is read"
	screen | grep -q '~ not read yet' || fail "$type: the legend does not say not read yet"
	f=$(facts "$type")
	case $f in
	*used*|*free*) fail "$type: used and free before the map is read: $f" ;;
	"   $type, "*) ;;
	*) fail "$type: no size in the side pane: $(side)" ;;
	esac
	echo "ok: $type held back: $n cells not read yet, $role drawn, side pane '$f'"
	wait_indexed
	check_eq "$type: cells not read yet after" "$(unread_cells)" 0
	check_eq "$type: the side pane's used and free" "$(facts "$type" | sed 's/.*: //')" "$used used, $free free"
	! screen | grep -q 'not read yet' || fail "$type: the legend still says not read yet"
	echo "ok: $type after: $(facts "$type")"
	keys q
	wait_for '^EXIT=0$' || fail "$type: q: $(screen | tail -3)"
	tui_stop
}

IMG=$(image ntfs-small)
cs=$(ntfsinfo -m "$IMG" 2>/dev/null | awk -F: '/Cluster Size/ { print $2 + 0 }')
mftlcn=$(ntfsinfo -m "$IMG" 2>/dev/null | awk -F: '/LCN of Data Attribute for FILE_MFT/ { print $2 + 0 }')
[ -n "$cs" ] && [ -n "$mftlcn" ] || fail "ntfsinfo gives no geometry"
check "$IMG" ntfs "$((mftlcn * cs + 10))" mft

IMG=$(image fat-32)
fat=$(fsck.fat -n -v "$IMG" 2>/dev/null | sed -n 's/^First FAT starts at byte \([0-9]*\) .*/\1/p')
[ -n "$fat" ] || fail "fsck.fat gives no FAT"
check "$IMG" fat32 "$((fat + 600))" fat

IMG=$(image exfat-card)
part=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[0].start')
dd if="$IMG" of="$T/exfat.img" bs=512 skip="$part" status=none
heap=$(dump.exfat "$T/exfat.img" 2>/dev/null | sed -n 's/^Cluster Heap Offset (sector offset):[^0-9]*\([0-9]*\).*/\1/p')
spc=$(dump.exfat "$T/exfat.img" 2>/dev/null | sed -n 's/^Sector per Cluster bits:[^0-9]*\([0-9]*\).*/\1/p')
bmc=$(dump.exfat "$T/exfat.img" 2>/dev/null | sed -n 's/^Bitmap start cluster:[^0-9]*\([0-9]*\).*/\1/p')
[ -n "$heap" ] && [ -n "$spc" ] && [ -n "$bmc" ] || fail "dump.exfat gives no bitmap"
check "$IMG" exfat "$(( (part + heap + ((bmc - 2) << spc)) * 512 + 10 ))" allocation_bitmap
