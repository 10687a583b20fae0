#!/bin/sh
# Build tests/images/exfat-card.img(.xz): a 32 MiB memory card as a camera
# or a phone leaves it: an MBR with one exFAT partition (type 0x07) at
# 1 MiB, made by mkfs.exfat (exfatprogs) and filled through a loop device
# mounted with the FUSE exFAT driver (mount.exfat-fuse), as root.
# It holds nested directories, files the driver wrote contiguously (their
# stream entries say NoFatChain and their FAT entries stay 0), files it
# had to fragment (grown after a neighbour was written: FAT chains), a
# directory of 150 long names (several clusters), an empty file, Unicode
# names, and a deleted file.
# Usage: sh tests/images/exfat-card.sh   (root: loop devices, FUSE)
set -eu
cd "$(dirname "$0")"
OUT=exfat-card.img
export LC_ALL=C.UTF-8
W=$(mktemp -d)
LOOP=""
cleanup() {
	mountpoint -q "$W/m" 2>/dev/null && umount "$W/m"
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	rm -rf "$W" "$OUT-t"
}
trap cleanup EXIT
rm -f "$OUT-t"
truncate -s 32M "$OUT-t"
printf 'label: dos\nlabel-id: 0x5dca4d00\nstart=2048, type=7\n' | sfdisk -q "$OUT-t"
LOOP=$(losetup -f --show -o $((2048 * 512)) "$OUT-t")
mkfs.exfat -L CARD32 -c 4K "$LOOP" >/dev/null
mkdir "$W/m"
mount.exfat-fuse "$LOOP" "$W/m" 2>/dev/null
M=$W/m

# lines of text, so that the image compresses
text() { seq -f "line %06g of $2" 1 "$1"; }

mkdir -p "$M/DCIM/100CARD" "$M/Music/Artist/Album" "$M/Documents/Notes/2026"
text 3000 img1 >"$M/DCIM/100CARD/IMG_0001.JPG"        # 4 clusters, contiguous
text 9000 img2 >"$M/DCIM/100CARD/IMG_0002.JPG"
text 500 track >"$M/Music/Artist/Album/01 Überschrift.mp3"
echo "日本語の名前" >"$M/Documents/日本語.txt"
: >"$M/Documents/empty.txt"
text 200 note >"$M/Documents/Notes/2026/todo.txt"
# fragmented: grow a file after its neighbour took the next clusters
text 1000 grow >"$M/Documents/grown.log"
text 1000 wall >"$M/Documents/wall.bin"
text 4000 more >>"$M/Documents/grown.log"
# a hole: delete a file between two others, then write one bigger than it
text 1000 left >"$M/left.txt"
text 1000 gone >"$M/gone.txt"
text 1000 right >"$M/right.txt"
rm "$M/gone.txt"
text 6000 fill >"$M/fills the hole.txt"
# a directory longer than one cluster
mkdir "$M/many"
for i in $(seq 1 150); do
	echo "file $i" >"$M/many/a rather long file name number $i.txt"
done
sync
umount "$M"
losetup -d "$LOOP"
LOOP=""
mv "$OUT-t" "$OUT"
xz -9 -k -f "$OUT"
rm -f "$OUT"
echo "made tests/images/$OUT.xz ($(stat -c %s "$OUT.xz") bytes)"
