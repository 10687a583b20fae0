#!/bin/sh
# Build ntfs-small.img(.xz): a bare 3 MiB NTFS (no partition table, 512-byte
# clusters) small enough to be a whole seed for the fuzz target: a few
# directories, small files that stay in their MFT records, a fragmented
# file, an alternate data stream, a hard link and a sparse file, written
# by ntfs-3g (FUSE) on the image file itself.
set -eu
cd "$(dirname "$0")"
out=ntfs-small.img
M=$(mktemp -d)
trap 'mountpoint -q "$M" && umount "$M"; rmdir "$M"' EXIT
rm -f "$out" "$out.xz"
truncate -s 3M "$out"
mkntfs -F -Q -q -L small -s 512 -c 512 "$out" >/dev/null 2>&1
ntfs-3g -o streams_interface=windows "$out" "$M"
mkdir -p "$M/a/b/c" "$M/d"
printf 'resident\n' >"$M/a/b/c/small.txt"
i=0
while [ $i -lt 8 ]; do
	awk -v i=$i 'BEGIN { for (j = 0; j < 40; j++) printf "piece %d line %d\n", i, j }' >>"$M/d/frag.txt"
	awk -v i=$i 'BEGIN { for (j = 0; j < 40; j++) printf "other %d line %d\n", i, j }' >>"$M/d/other.txt"
	sync
	i=$((i + 1))
done
awk 'BEGIN { for (j = 0; j < 100; j++) printf "stream line %d\n", j }' >"$M/d/frag.txt:extra"
ln "$M/d/other.txt" "$M/a/other-link.txt"
truncate -s 1M "$M/a/sparse.bin"
printf 'x' | dd of="$M/a/sparse.bin" bs=512 seek=1000 conv=notrunc status=none
umount "$M"
xz -9 -T1 -k "$out"
