#!/bin/sh
# FAT labels as Linux reads them: the label is the root directory's
# volume-label entry only, the boot sector's label is reported apart
# (bpb_label; blkid's LABEL_FATBOOT).  After mkfs.fat -n, fatlabel,
# mlabel, mlabel -c, an erased label entry (what Windows leaves), and on
# a FAT32 below 32 MiB where mlabel can change only the boot sector, each
# is checked against blkid -p -o udev.  That small FAT32 (16-bit sector
# count, 16-bit FAT size 0) is read as FAT32, as blkid reads it.
. "$(dirname "$0")/../lib.sh"
requires jq mkfs.fat fatlabel mlabel blkid od
export MTOOLS_SKIP_CHECK=1
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# erase_label IMG: mark the root directory's volume-label entry deleted
erase_label() {
	bps=$(u16 "$1" 11); spc=$(od -An -tu1 -j 13 -N1 "$1" | tr -d ' ')
	res=$(u16 "$1" 14); nf=$(od -An -tu1 -j 16 -N1 "$1" | tr -d ' ')
	fsz=$(u16 "$1" 22); [ "$fsz" -eq 0 ] && fsz=$(u32 "$1" 36)
	if [ "$(u16 "$1" 22)" -eq 0 ]; then
		root=$(((res + nf * fsz) * bps + ($(u32 "$1" 44) - 2) * spc * bps))
	else
		root=$(((res + nf * fsz) * bps))
	fi
	i=0
	while [ $i -lt 16 ]; do
		attr=$(od -An -tu1 -j $((root + i * 32 + 11)) -N1 "$1" | tr -d ' ')
		if [ $((attr & 0x3F)) -ne 15 ] && [ $((attr & 8)) -ne 0 ]; then
			printf '\345' | dd of="$1" bs=1 seek=$((root + i * 32)) conv=notrunc status=none
			return 0
		fi
		i=$((i + 1))
	done
	fail "no label entry in the root directory of $1"
}
# same IMG CASE: our label and bpb_label are blkid's LABEL and LABEL_FATBOOT
n=0
same() {
	j=$("$DA" --list --json "$1" | jq -c '.disks[0].content')
	bk() { blkid -p -o udev "$1" | sed -n "s/^ID_FS_$2=//p"; }
	check_eq "$2: type" "$(echo "$j" | jq -r .fstype)" "$(bk "$1" VERSION | tr A-Z a-z)"
	check_eq "$2: label" "$(echo "$j" | jq -r '.label // empty')" "$(bk "$1" LABEL)"
	check_eq "$2: boot sector label" "$(echo "$j" | jq -r '.bpb_label // empty')" \
		"$(bk "$1" LABEL_FATBOOT)"
	echo "$2: label '$(bk "$1" LABEL)', boot sector '$(bk "$1" LABEL_FATBOOT)'"
	n=$((n + 1))
}
for kind in 16 32; do
	img="$T/fat$kind.img"
	truncate -s 40M "$img"
	mkfs.fat -F $kind -n ORIGINAL "$img" >/dev/null 2>&1
	same "$img" "FAT$kind mkfs.fat -n"
	fatlabel "$img" NEWLABEL >/dev/null
	same "$img" "FAT$kind fatlabel"
	mlabel -i "$img" ::MTOOLS
	same "$img" "FAT$kind mlabel"
	erase_label "$img"
	same "$img" "FAT$kind label entry erased"
	mlabel -i "$img" ::AGAIN
	mlabel -c -i "$img"
	same "$img" "FAT$kind mlabel -c"
done
# below 32 MiB: mtools goes by the cluster count, sees no FAT32, and
# changes the boot sector's label only; the two then disagree
img="$T/small.img"
truncate -s 20M "$img"
mkfs.fat -F 32 -n SMALL32 "$img" >/dev/null 2>&1
[ "$(u16 "$img" 19)" -ne 0 ] || fail "mkfs.fat kept the 32-bit sector count"
same "$img" "small FAT32"
fatlabel "$img" FATLABEL >/dev/null
mlabel -i "$img" ::BOOTONLY 2>/dev/null || true
same "$img" "small FAT32 after fatlabel and mlabel"
check_eq "cases" "$n" 12
