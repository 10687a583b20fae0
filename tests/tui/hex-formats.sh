#!/bin/sh
# The bytes (x) name each format's header where the real tools put it:
# the fields' values are what xfs_db, mdadm --examine, ntfsinfo, sfdisk and
# cryptsetup luksDump (recorded when the image was made) read, and each
# magic is the one its format's specification gives.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xfs_db mdadm ntfsinfo sfdisk
[ -x "$DA" ] || fail "diskatlas is not built"
PATH="$PATH:/sbin:/usr/sbin"

# bytes NAME OFFSET TITLE: open the image, go to OFFSET, press x, wait for
# the structure TITLE to be named
bytes() {
	need_image "$1"
	tui_start "$IMG"
	wait_for legend || fail "$1: no map: $(screen)"
	keys g; typed "$2"; keys Enter; keys x
	wait_for "$3 at " || fail "$1: x at $2 names no $3: $(screen)"
}
# has TEXT...: the screen shows each TEXT
has() {
	for s in "$@"; do
		screen | grep -qF -- "$s" || fail "$IMG: the screen does not show '$s': $(screen)"
	done
	echo "ok: $(basename "$IMG"): $*"
	tui_stop
}

bytes xfs-small 0 'XFS superblock'
bs=$(xfs_db -r -c 'sb 0' -c 'p blocksize' "$IMG" | sed -n 's/^blocksize = //p')
ag=$(xfs_db -r -c 'sb 0' -c 'p agcount' "$IMG" | sed -n 's/^agcount = //p')
has 'magic = "XFSB"' "block size = $bs (0x$(printf %x "$bs"))" "AG count = $ag (0x$(printf %x "$ag"))"

need_image md-small-10
so=$(($(mdadm --examine "$IMG" | sed -n 's/^ *Super Offset : \([0-9]*\) sectors.*/\1/p') * 512))
magic=$(mdadm --examine "$IMG" | sed -n 's/^ *Magic : //p')
bytes md-small-10 "$so" 'md superblock 1.x'
has "magic = $((0x$magic)) (0x$magic)" "superblock offset = $((so / 512)) (0x$(printf %x $((so / 512))))"

bytes ntfs-small 0 'NTFS boot sector'
cs=$(ntfsinfo -m "$IMG" 2>/dev/null | sed -n 's/^[[:space:]]*Cluster Size: //p')
has 'OEM id = "NTFS    "' "sectors per cluster = $((cs / 512)) (0x$((cs / 512)))"

bytes fat-12 0 'FAT12/16 boot sector'
has 'FAT type = "FAT12   "' 'OEM name = "mkfs.fat"' 'volume label = "BPBLABEL   "'

bytes fat-32 0 'FAT32 boot sector'
has 'FAT32 signature = "FAT32   "' 'boot signature = 41 (0x29)'

need_image exfat-card
set -- $(sfdisk --json "$IMG" | jq -r '.partitiontable.partitions[0] | "\(.start) \(.size)"')
bytes exfat-card 0 'MBR'
has "entry 1 type = 7 (0x7)" "entry 1 first LBA = $1 (0x$(printf %x "$1"))" "entry 1 sectors = $2 (0x$(printf %x "$2"))"
bytes exfat-card $(($1 * 512)) 'exFAT boot sector'
has 'file system name = "EXFAT   "'

for n in luks2-small luks1-head; do
	uuid=$(sed -n 's/^UUID:[[:space:]]*//p' "$IMAGES/$n.luksDump")
	v=$(sed -n 's/^Version:[[:space:]]*//p' "$IMAGES/$n.luksDump")
	bytes "$n" 0 "LUKS$v header"
	has "magic = 4c 55 4b 53 ba be" "version = $v (0x$v)" "UUID = \"$uuid\""
done
