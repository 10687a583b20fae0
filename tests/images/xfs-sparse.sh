#!/bin/sh
# Build tests/images/xfs-sparse.img(.xz): an XFS v5 (mkfs.xfs defaults,
# sparse inodes on) with a sparse inode chunk: one file fills the free
# space, 4-block holes are punched at every 16th block (room for half a
# chunk, never a whole one), what else is free is
# plugged, then inodes are made (through a loop mount).
set -eu
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "xfs-sparse: needs root for loop devices" >&2; exit 1; }
img=xfs-sparse.img
mnt=$(mktemp -d)
trap 'umount "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
rm -f "$img" "$img.xz"
truncate -s 24M "$img"
TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f -L xfs-sparse -d agcount=1 "$img"
mount -o loop "$img" "$mnt"
free=$(df -B4096 --output=avail "$mnt" | tail -1)
fallocate -l $(((free - 16) * 4096)) "$mnt/big"
# its one extent, in 512-byte sectors: "0: [0..N]: START..END"
set -- $(xfs_io -c bmap "$mnt/big" | awk 'NR == 2 { split($3, d, /\.\./); print d[1] / 8, (d[2] - d[1] + 1) / 8 }')
s=$1 e=$(($1 + $2)) b=$(( ($1 + 15) / 16 * 16 ))
while [ $((b + 4)) -le "$e" ]; do
	fallocate -p -o $(((b - s) * 4096)) -l 16384 "$mnt/big"; b=$((b + 16))
done
# what else is free (past the file): plugged, so that inodes must go
# into the holes; the free-space trees are read unmounted
umount "$mnt"
plug=$(xfs_db -r -c 'freesp -d' "$img" | awk 'NF == 3 && $1 ~ /^[0-9]+$/ && $3 > 4 { print $3; exit }')
mount -o loop "$img" "$mnt"
[ -z "$plug" ] || xfs_io -f -c "falloc 0 $(((plug - 48) * 4096))" "$mnt/plug"
mkdir "$mnt/many"
i=0; while [ $i -lt 400 ] && touch "$mnt/many/f$i" 2>/dev/null; do i=$((i + 1)); done
umount "$mnt"
xfs_db -r -c 'agi 0' -c 'addr root' -c 'p recs' "$img" | grep ':\[' | grep -v ',0,64,' ||
	{ echo "xfs-sparse: no sparse inode chunk was made" >&2; exit 1; }
xz -9 -k -T1 "$img"
ls -ls "$img" "$img.xz"
