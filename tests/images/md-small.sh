#!/bin/sh
# Build md-small-10.img(.xz) and md-small-090.img(.xz): lone members small
# enough that the fuzz target's seeds (the first 4 MiB of each image) hold
# the superblocks that live at the end: a 1.0 RAID1 member with a bitmap
# and a bad-block log over a FAT12, and a big-endian 0.90 RAID5 member
# (its array is missing the other two, so it is failed).
set -eu
cd "$(dirname "$0")"
rm -f md-small-10.img md-small-10.img.xz md-small-090.img md-small-090.img.xz
truncate -s 1M md-small-10.img
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
truncate -s 896K "$W/fat"
mkfs.fat -F 12 -n SMALL -i 5EC0ED10 "$W/fat" >/dev/null
python3 mdraid.py --level 1 --chunk 0 --metadata 1.0 --bitmap \
	--uuid 5ec0ed10-0000-4000-8000-000000000010 --name seed:small \
	--data "$W/fat" md-small-10.img
truncate -s 512K "$W/m1" "$W/m2" md-small-090.img
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "line %d of the 0.90 seed\n", i }' >"$W/data"
python3 mdraid.py --level 5 --layout 2 --chunk 65536 --metadata 0.90 --endian big \
	--md-minor 9 --uuid 09090909-0000-4000-8000-000000000090 \
	--data "$W/data" md-small-090.img "$W/m1" "$W/m2"
for f in md-small-10 md-small-090; do
	xz -9 -T1 -k "$f.img"
	rm -f "$f.img"
done
