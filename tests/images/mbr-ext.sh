#!/bin/sh
# Build mbr-ext.img(.xz): an MBR disk with ext2, ext3 and ext4 partitions
# and a swap partition.  Each filesystem is made in a file of its own with
# mkfs -d (files, directories, a hard link, a symlink, a big file with
# indirect blocks or an extent tree, a fragmented file), then copied into
# its partition.
set -eu
cd "$(dirname "$0")"
. ./ext-tree.inc
out=mbr-ext.img
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
rm -f "$out" "$out.xz"
truncate -s 96M "$out"
sfdisk --quiet "$out" <<'TABLE'
label: dos
label-id: 0x000e4e4e
start=2048, size=40960, type=83
start=43008, size=49152, type=83
start=94208, size=81920, type=83
start=178176, size=18432, type=82
TABLE
tree "$W/src" 6 20
ln "$W/src/dir0/file-0-0.txt" "$W/src/dir1/hard-link.txt"
ln -s "dir0/file-0-1.txt" "$W/src/short-symlink"
ln -s "$(printf 'a/%.0s' $(seq 1 60))target" "$W/src/long-symlink"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "big file line %d\n", i }' >"$W/src/big.txt"
i=0
for spec in "ext2 40960 1024" "ext3 49152 1024" "ext4 81920 4096"; do
	set -- $spec
	i=$((i + 1))
	truncate -s $(($2 * 512)) "$W/fs$i"
	mkfs.$1 -q -b "$3" -L "disk-$1" -U "0000000$i-1111-4222-8333-444444444444" \
		-E root_owner=0:0 -d "$W/src" "$W/fs$i"
	fragment "$W/fs$i" /fragmented.txt
	start=$(sfdisk --json "$out" | jq ".partitiontable.partitions[$((i - 1))].start")
	dd if="$W/fs$i" of="$out" bs=512 seek="$start" conv=notrunc,sparse status=none
done
truncate -s $((18432 * 512)) "$W/swap"
mkswap -q -L ext-swap -U 55555555-6666-4777-8888-999999999999 "$W/swap"
dd if="$W/swap" of="$out" bs=512 seek=178176 conv=notrunc,sparse status=none
xz -9 -T1 -k "$out"
