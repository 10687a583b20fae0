#!/bin/sh
# Build md-raid5-{a,b,c}.img(.xz): three disks, whole, making an md RAID5
# (superblock 1.2, left-symmetric, 64 KiB chunks, data at 1 MiB) that
# holds an ext4 with a few hundred small files and one larger one.  There
# is no md driver here: mdraid.py writes the superblocks as mdadm does and
# places the data and parity chunks by md's layout; mdadm --examine
# checks the superblocks.
set -eu
cd "$(dirname "$0")"
. ./ext-tree.inc
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for d in a b c; do
	rm -f "md-raid5-$d.img" "md-raid5-$d.img.xz"
	truncate -s 12M "md-raid5-$d.img"
done
tree "$W/src" 6 40
seq 1 40000 >"$W/src/numbers.txt"
# the array: 2 x (12 MiB - 1 MiB) of data
truncate -s 22M "$W/fs"
mkfs.ext4 -q -F -b 1024 -L raid5 -U 5a5a5a5a-0000-4000-8000-000000000055 \
	-E root_owner=0:0,stride=64,stripe_width=128 -d "$W/src" "$W/fs"
python3 mdraid.py --level 5 --layout 2 --chunk 65536 --metadata 1.2 \
	--uuid 0fa11ed5-0000-4000-8000-000000000005 --name nas:data \
	--data "$W/fs" md-raid5-a.img md-raid5-b.img md-raid5-c.img
for d in a b c; do
	xz -9 -T1 -k "md-raid5-$d.img"
	rm -f "md-raid5-$d.img"
done
