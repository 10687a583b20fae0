#!/bin/sh
# Build md-090-{a,b}.img(.xz): two disks, whole, making an md RAID1 with
# the old 0.90 superblock (64 KiB from the end, host byte order: little
# endian here; data from byte 0, so each half looks like a bare ext4),
# holding an ext4 with a few files.  mdraid.py writes the superblocks as
# mdadm does; mdadm --examine checks them.
set -eu
cd "$(dirname "$0")"
. ./ext-tree.inc
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for d in a b; do
	rm -f "md-090-$d.img" "md-090-$d.img.xz"
	truncate -s 16M "md-090-$d.img"
done
tree "$W/src" 3 30
# 0.90: the array is the member less its last 64 KiB (and what rounds it)
truncate -s 16320K "$W/fs"
mkfs.ext4 -q -F -b 4096 -L old-mirror -U 5a5a5a5a-0000-4000-8000-000000000090 \
	-E root_owner=0:0 -d "$W/src" "$W/fs"
python3 mdraid.py --level 1 --chunk 65536 --metadata 0.90 --md-minor 3 \
	--uuid 0a900a90-1111-2222-3333-444455556666 \
	--data "$W/fs" md-090-a.img md-090-b.img
for d in a b; do
	xz -9 -T1 -k "md-090-$d.img"
	rm -f "md-090-$d.img"
done
