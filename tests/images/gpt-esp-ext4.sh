#!/bin/sh
# Build gpt-esp-ext4.img(.xz): a GPT disk with a FAT32 EFI system
# partition (files with long names in a subdirectory, via mtools) and an
# ext4 holding a few thousand small files over 40 directories (mkfs -d).
set -eu
cd "$(dirname "$0")"
. ./ext-tree.inc
out=gpt-esp-ext4.img
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -f "$out" "$out.xz"
truncate -s 128M "$out"
sgdisk --disk-guid=22222222-3333-4444-8555-666666666666 \
	-n 1:2048:+40M -t 1:ef00 -c 1:"EFI System Partition" \
	-n 2:0:+80M -t 2:8300 -c 2:"root" "$out" >/dev/null
esp_start=2048
esp_sectors=$((40 * 2048))
mkfs.fat -F 32 -s 1 -n ESP -i 1234ABCD --offset "$esp_start" "$out" $((esp_sectors / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out@@$((esp_start * 512))" ::/EFI ::/EFI/BOOT ::/EFI/debian
printf 'not really a boot loader\n' >"$W/BOOTX64.EFI"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "grub config line %d\n", i }' >"$W/grub.cfg"
printf 'fallback\n' >"$W/A file with a long name.txt"
mcopy -i "$out@@$((esp_start * 512))" "$W/BOOTX64.EFI" ::/EFI/BOOT/
mcopy -i "$out@@$((esp_start * 512))" "$W/grub.cfg" "$W/A file with a long name.txt" ::/EFI/debian/
tree "$W/src" 40 75
root_start=$(sfdisk --json "$out" | jq '.partitiontable.partitions[1].start')
root_size=$(sfdisk --json "$out" | jq '.partitiontable.partitions[1].size')
truncate -s $((root_size * 512)) "$W/root"
mkfs.ext4 -q -L root -U 33333333-4444-4555-8666-777777777777 -E root_owner=0:0 -d "$W/src" "$W/root"
fragment "$W/root" /fragmented.txt
dd if="$W/root" of="$out" bs=512 seek="$root_start" conv=notrunc,sparse status=none
xz -9 -T1 -k "$out"
