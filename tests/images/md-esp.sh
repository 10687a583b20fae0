#!/bin/sh
# Build md-esp-a.img(.xz) and md-esp-b.img(.xz): two GPT disks whose EFI
# system partitions are the two halves of an md RAID1 with a 1.0
# superblock (at the end: the firmware reads each half as a plain FAT32),
# a write-intent bitmap and a bad-block log; the FAT32 holds a few files
# (mtools).  There is no md driver here: mdraid.py writes the superblocks
# as mdadm does and the data on both halves; mdadm --examine checks them.
set -eu
cd "$(dirname "$0")"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for d in a b; do
	rm -f "md-esp-$d.img" "md-esp-$d.img.xz"
	truncate -s 40M "md-esp-$d.img"
	sgdisk --disk-guid=44444444-0000-4000-8000-00000000000$d \
		-n 1:2048:+36M -t 1:ef00 -c 1:"EFI System Partition" \
		-u 1:44444444-1111-4000-8000-00000000000$d "md-esp-$d.img" >/dev/null
done
# the FAT32 fills the array (the partition less the 1.0 superblock, its
# bitmap and bad-block log, rounded to 64 KiB as mdadm does)
truncate -s 36800K "$W/esp.fat"
mkfs.fat -F 32 -s 1 -n MIRROR -i 5EC0ED01 "$W/esp.fat" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$W/esp.fat" ::/EFI ::/EFI/BOOT ::/EFI/debian
printf 'not really a boot loader\n' >"$W/BOOTX64.EFI"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "grub config line %d\n", i }' >"$W/grub.cfg"
mcopy -i "$W/esp.fat" "$W/BOOTX64.EFI" ::/EFI/BOOT/
mcopy -i "$W/esp.fat" "$W/grub.cfg" ::/EFI/debian/
python3 mdraid.py --level 1 --chunk 0 --metadata 1.0 --bitmap \
	--uuid 5ec0ed01-0000-4000-8000-00000000e5b1 --name debian:esp \
	--data "$W/esp.fat" \
	md-esp-a.img@$((2048 * 512))+$((36 << 20)) \
	md-esp-b.img@$((2048 * 512))+$((36 << 20))
for d in a b; do
	xz -9 -T1 -k "md-esp-$d.img"
	rm -f "md-esp-$d.img"
done
