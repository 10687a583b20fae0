#!/bin/sh
# A GPT disk grown after its table was written (qemu-img resize of a VM
# disk, truncate -s +N of an image), before sgdisk -e or growpart: sfdisk
# warns "GPT PMBR size mismatch (A != B)" and "The backup GPT table is not
# on the end of the device", and so does --list (text and JSON) with the
# same numbers.  The backup header and entries are owned where the table
# put them (sfdisk's last usable LBA + 1, the old last LBA), not at the
# new end; the bytes past the table are past_table, not unallocated: the
# unallocated bytes of the usable LBAs are sgdisk's free space.  After
# sgdisk -e, sfdisk and diskatlas both stop warning.  The same on a
# 4K-native disk, and through a qcow2 grown with qemu-img resize.
. "$(dirname "$0")/../lib.sh"
requires sfdisk sgdisk jq

truncate -s 64M "$T/d.raw"
printf 'label: gpt\nstart=2048,size=40000,type=L\n' | sfdisk -q "$T/d.raw"
cp --sparse=always "$T/d.raw" "$T/grown.raw"
truncate -s +64M "$T/grown.raw"
old=$((64 << 20)) new=$((128 << 20))

# check_grown IMG SS OLD NEW [SFDISK-WARNINGS]: IMG, SS-byte LBAs, written
# at OLD bytes, now NEW bytes long
check_grown() {
	img=$1 ss=$2 o=$3 n=$4 sfw=${5:-}
	"$DA" --list --json "$img" >"$T/list.json"
	w=$(jq -r '.disks[0].content.warnings // [] | .[]' "$T/list.json")
	if [ -n "$sfw" ]; then
		pm=$(sed -n 's/^GPT PMBR size mismatch (\([0-9]* != [0-9]*\)).*/\1/p' "$sfw")
		[ -n "$pm" ] || fail "sfdisk did not warn of the PMBR: $(cat "$sfw")"
		echo "$w" | grep -qF "GPT PMBR size mismatch ($pm)" ||
			fail "$img: no 'GPT PMBR size mismatch ($pm)' as sfdisk says: $w"
		grep -q 'backup GPT table is not on the end of the device' "$sfw" ||
			fail "sfdisk did not warn of the backup: $(cat "$sfw")"
	fi
	echo "$w" | grep -q "the backup GPT header is at LBA $((o / ss - 1)), not at the end of the disk (LBA $((n / ss - 1)))" ||
		fail "$img: no warning of the backup's place: $w"
	"$DA" --list "$img" | grep -q "warning: the backup GPT header is at LBA" ||
		fail "$img: text --list does not warn"
	role() { "$DA" --json --lookup "$1" "$img" | jq -r '.owners[0].role'; }
	last=$(jq '.disks[0].content.last_lba' "$T/list.json")
	check_eq "$img: backup entries (after the last usable LBA)" "$(role $(((last + 1) * ss)))" gpt_backup_entries
	check_eq "$img: backup header (the old last LBA)" "$(role $((o - ss)))" gpt_backup_header
	check_eq "$img: first byte past the table" "$(role "$o")" past_table
	check_eq "$img: last byte of the disk" "$(role $((n - 1)))" past_table
	check_eq "$img: last usable LBA" "$(role $((last * ss)))" unallocated
	got=$("$DA" --json --lookup "$o-$n" "$img" |
		jq '[.owners[] | select(.role == "past_table") | .bytes] | add')
	check_eq "$img: bytes past the table" "$got" $((n - o))
}

sfdisk -l "$T/grown.raw" >/dev/null 2>"$T/sfdisk.err" || true
check_grown "$T/grown.raw" 512 $old $new "$T/sfdisk.err"
# the last usable LBA is sfdisk's; the free bytes of the usable LBAs sgdisk's
lastlba=$(sfdisk --json "$T/grown.raw" 2>/dev/null | jq '.partitiontable.lastlba')
firstlba=$(sfdisk --json "$T/grown.raw" 2>/dev/null | jq '.partitiontable.firstlba')
check_eq "last usable LBA" "$(jq '.disks[0].content.last_lba' "$T/list.json")" "$lastlba"
free=$(sgdisk -p "$T/grown.raw" | sed -n 's/^Total free space is \([0-9]*\) sectors.*/\1/p')
got=$("$DA" --json --lookup "$((firstlba * 512))-$(((lastlba + 1) * 512))" "$T/grown.raw" |
	jq '[.owners[] | select(.role == "unallocated") | .bytes] | add')
check_eq "unallocated bytes of the usable LBAs (sgdisk's free space)" "$got" $((free * 512))
echo "ok: a grown raw GPT disk: sfdisk's warnings, backup where it is, past_table"

# sgdisk -e moves the backup to the end: no warning from either tool
cp --sparse=always "$T/grown.raw" "$T/fixed.raw"
sgdisk -e "$T/fixed.raw" >/dev/null 2>&1
sfdisk -l "$T/fixed.raw" 2>&1 >/dev/null | grep -qiE 'mismatch|backup' &&
	fail "sfdisk still warns after sgdisk -e"
check_eq "warnings after sgdisk -e" \
	"$("$DA" --list --json "$T/fixed.raw" | jq -c '.disks[0].content.warnings // []')" "[]"
check_eq "the last byte after sgdisk -e" \
	"$("$DA" --json --lookup $((new - 1)) "$T/fixed.raw" | jq -r '.owners[0].role')" gpt_backup_header
# nor on the disk as first written
check_eq "warnings before growing" \
	"$("$DA" --list --json "$T/d.raw" | jq -c '.disks[0].content.warnings // []')" "[]"
echo "ok: no warning once sgdisk -e has moved the backup, nor before growing"

# a 4K-native disk grown by 8 MiB
img=$(image gpt-4k)
o=$(stat -c %s "$img")
truncate -s +8M "$img"
check_grown "$img" 4096 "$o" $((o + (8 << 20)))
echo "ok: a grown 4K-native disk"

# a VM disk grown with qemu-img resize: the guest disk warns alike
if command -v qemu-img >/dev/null; then
	qemu-img convert -q -O qcow2 "$T/d.raw" "$T/vm.qcow2"
	qemu-img resize -q "$T/vm.qcow2" 128M
	check_grown "$T/vm.qcow2" 512 $old $new "$T/sfdisk.err"
	echo "ok: a qcow2 grown with qemu-img resize"
else
	echo "qemu-img not installed: the qcow2 case is not checked"
fi
