#!/bin/sh
# A 4K-native disk (4096-byte logical sectors): the GPT is read with LBAs
# of 4096 bytes.  Partitions agree with sfdisk (live, through a loop
# device of that sector size, when loop devices work here; else the
# answer kept beside the image); the table's sectors, the gaps and the
# backup are owned as sfdisk's LBAs say; the FAT with 4 KiB sectors
# inside agrees with mtools (mshowfat, minfo) and the ext4 with debugfs.
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq xz mshowfat minfo debugfs
export MTOOLS_SKIP_CHECK=1
img=$(image gpt-4k)
if can_loop; then
	dev=$(losetup -f --show -r -b 4096 "$img")
	sfdisk --json "$dev" >"$T/sfdisk.json" 2>/dev/null || true
	losetup -d "$dev"
	echo "ok: sfdisk read the table through a 4096-byte-sector loop device"
else
	echo "loop devices unavailable: using tests/images/gpt-4k.sfdisk.json"
	cp "$IMAGES/gpt-4k.sfdisk.json" "$T/sfdisk.json"
fi
jq -e '.partitiontable.sectorsize == 4096' "$T/sfdisk.json" >/dev/null || fail "sfdisk does not see a 4K table"
"$DA" --list --json "$img" >"$T/list.json"
want=$(jq -c '[.partitiontable.partitions[] | {start: (.start * 4096), size: (.size * 4096), type, uuid, name}]' "$T/sfdisk.json")
got=$(jq -c '[.disks[0].content.partitions[] | {start, size, type, uuid, name: .label}]' "$T/list.json")
check_eq "partitions" "$got" "$want"
check_eq "sector size" "$(jq '.disks[0].content.sector_size' "$T/list.json")" 4096
check_eq "last usable LBA" "$(jq '.disks[0].content.last_lba' "$T/list.json")" "$(jq '.partitiontable.lastlba' "$T/sfdisk.json")"
echo "ok: 3 partitions agree with sfdisk"

# owners of the table's own sectors and of the space between
size=$(stat -c %s "$img")
first=$(jq '.partitiontable.firstlba' "$T/sfdisk.json")
last=$(jq '.partitiontable.lastlba' "$T/sfdisk.json")
role() { "$DA" --lookup "$1" --json "$img" | jq -r '.owners[0].role'; }
check_eq "LBA 0 (protective MBR)" "$(role 0)" protective_mbr
check_eq "LBA 1 (header)" "$(role 4096)" gpt_header
check_eq "LBA 2 (entries)" "$(role 8192)" gpt_entries
check_eq "LBA 5 (last of 16 KiB of entries)" "$(role $((5 * 4096 + 4095)))" gpt_entries
check_eq "LBA 6 (before the first usable LBA)" "$(role $((6 * 4096)))" unallocated
check_eq "first usable LBA" "$(role $((first * 4096)))" partition
check_eq "after the last partition" "$(role $((last * 4096)))" unallocated
check_eq "backup entries" "$(role $(( (last + 1) * 4096)))" gpt_backup_entries
check_eq "backup header (last LBA)" "$(role $((size - 1)))" gpt_backup_header
echo "ok: protective MBR, headers, entries, gaps and backup owned per 4 KiB LBA"

# the FAT: sector size from its boot sector, clusters of a file from its FAT
p1=$(jq '.partitiontable.partitions[0].start * 4096' "$T/sfdisk.json")
minfo -i "$img@@$p1" :: >"$T/minfo"
ss=$(awk -F': ' '/^sector size/ { print $2 + 0 }' "$T/minfo")
check_eq "FAT sector size (minfo)" "$ss" 4096
res=$(awk -F': ' '/^reserved \(boot\) sectors/ { print $2 + 0 }' "$T/minfo")
fats=$(awk -F': ' '/^fats/ { print $2 + 0 }' "$T/minfo")
spf=$(awk -F': ' '/^sectors per fat/ { print $2 + 0 }' "$T/minfo")
roots=$(awk -F': ' '/^max available root directory slots/ { print $2 + 0 }' "$T/minfo")
spc=$(awk -F': ' '/^cluster size/ { print $2 + 0 }' "$T/minfo")
data=$(( (res + fats * spf) * ss + (roots * 32 + ss - 1) / ss * ss ))
n=0
for f in /EFI/BOOT/BOOTX64.EFI "/a long config name.cfg"; do
	mshowfat -i "$img@@$p1" "::$f" | tr -d '<>' | sed 's/^.* //' | tr ' ' '\n' | grep . |
	while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done >"$T/clusters"
	[ -s "$T/clusters" ] || fail "mshowfat found no clusters for $f"
	while read -r c; do
		off=$((p1 + data + (c - 2) * spc * ss))
		got=$("$DA" --lookup "$off" --json "$img" | jq -r '.owners[-1] | "\(.role) \(.path)"')
		check_eq "cluster $c of $f" "$got" "file_data $f"
		n=$((n + 1))
	done <"$T/clusters"
done
echo "ok: FAT clusters agree with mshowfat"

# the ext4: every block of two files, and its superblock
p2=$(jq '.partitiontable.partitions[1].start * 4096' "$T/sfdisk.json")
dd if="$img" of="$T/p2.img" bs=4096 skip=$((p2 / 4096)) count="$(jq '.partitiontable.partitions[1].size' "$T/sfdisk.json")" status=none
k=0
for f in /home/user/notes.txt /etc/hosts; do
	ino=$(debugfs -R "stat $f" "$T/p2.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	for b in $(debugfs -R "blocks $f" "$T/p2.img" 2>/dev/null); do
		got=$("$DA" --lookup $((p2 + b * 4096)) --json "$img" | jq -r '.owners[-1] | "\(.block) \(.inode) \(.path)"')
		check_eq "ext4 block $b" "$got" "$b $ino $f"
		k=$((k + 1))
	done
done
[ "$k" -gt 5 ] || fail "too few ext4 blocks checked: $k"
check_eq "ext4 block 0" "$("$DA" --lookup "$p2" --json "$img" | jq -r '.owners[-1].role')" superblock
echo "ok: $k ext4 blocks agree with debugfs"
