#!/bin/sh
# Build tests/images/fat-NN.img (NN = 12, 16 or 32; 12 when run as
# fat-12.sh) with mkfs.fat and mtools, and compress it to fat-NN.img.xz.
#   fat-12: a bare FAT12 of 4 MiB, 1 KiB clusters; the BPB label differs
#           from the root directory's label entry (the latter is the one
#           blkid and mlabel report).
#   fat-16: a 24 MiB disk with an MBR: FAT16 (2 KiB clusters) at 1 MiB,
#           then a Linux swap partition.
#   fat-32: a bare FAT32 of 40 MiB with 512-byte clusters (80k clusters,
#           FAT32 by the specification's count), root directory over many
#           clusters.
# Each holds long names, nested directories, an empty file, a name in
# Unicode, a fragmented file (written after deleting a file between two
# others), deleted entries, and a directory of 200 files.
# Usage: sh tests/images/fat-12.sh [12|16|32]
set -eu
NN=${1:-12}
cd "$(dirname "$0")"
OUT=fat-$NN.img
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8
W=$(mktemp -d)
trap 'rm -rf "$W" "$OUT-t"' EXIT
rm -f "$OUT-t"

case $NN in
12)
	truncate -s 4M "$OUT-t"
	mkfs.fat -F 12 -s 2 -n DIRLABEL -i 1234ABCD "$OUT-t" >/dev/null
	IMG="$OUT-t"
	;;
16)
	truncate -s 24M "$OUT-t"
	printf 'label: dos\nlabel-id: 0x0fa71600\nstart=2048, size=36864, type=6\nstart=38912, type=82\n' |
		sfdisk -q "$OUT-t"
	mkfs.fat -F 16 -s 4 -n FAT16VOL -i 16161616 -h 2048 --offset 2048 \
		"$OUT-t" $((36864 / 2)) >/dev/null
	# the swap partition, made in a file and copied in place
	truncate -s $(((49152 - 38912) * 512)) "$W/swap"
	mkswap -L fatswap -U 5a1e0016-0000-4000-8000-00000000f016 "$W/swap" \
		>/dev/null 2>&1
	dd if="$W/swap" of="$OUT-t" bs=512 seek=38912 conv=notrunc,sparse status=none
	IMG="$OUT-t@@$((2048 * 512))"
	;;
32)
	truncate -s 40M "$OUT-t"
	mkfs.fat -F 32 -s 1 -S 512 -n FAT32VOL -i 3232ABCD "$OUT-t" >/dev/null
	IMG="$OUT-t"
	;;
*)
	echo "usage: $0 [12|16|32]" >&2; exit 2 ;;
esac

# lines of text, so that the image compresses
text() { seq -f "line %06g of $2" 1 "$1"; }
put() { mcopy -i "$IMG" "$1" "::$2"; }

text 300 a >"$W/a"; text 1000 b >"$W/b"; text 200 c >"$W/c"
text 6000 frag >"$W/frag"
: >"$W/empty"
echo "hello from a file with a Unicode name" >"$W/uni"

put "$W/a" "/first file.txt"
put "$W/b" "/between.txt"
put "$W/c" "/after.txt"
mdel -i "$IMG" ::/between.txt
# mtools allocates after FSInfo's next-free hint: make it unknown
[ "$NN" = 32 ] && printf '\377\377\377\377' |
	dd of="$OUT-t" bs=1 seek=$((512 + 492)) conv=notrunc status=none
# takes the hole left by between.txt, then continues after after.txt
put "$W/frag" "/Fragmented across a hole.txt"
put "$W/empty" "/empty"
put "$W/uni" "/Ünïcødé ñame – ☃.txt"
mmd -i "$IMG" "::/Documents and Settings"
mmd -i "$IMG" "::/Documents and Settings/A rather long directory name"
mmd -i "$IMG" "::/Documents and Settings/A rather long directory name/level3"
mmd -i "$IMG" "::/Documents and Settings/A rather long directory name/level3/level4"
put "$W/a" "/Documents and Settings/A rather long directory name/level3/level4/deep file.txt"
put "$W/c" "/Documents and Settings/readme.TXT"
put "$W/c" "/Documents and Settings/UPPER.TXT"
put "$W/c" "/Documents and Settings/lower.txt"
mmd -i "$IMG" ::/many
i=0
while [ $i -lt 200 ]; do
	text $((i % 7 * 40 + 1)) "many $i" >"$W/m"
	put "$W/m" "/many/file number $i.dat"
	i=$((i + 1))
done
# deleted entries in a directory that stays
mdel -i "$IMG" "::/many/file number 13.dat" "::/many/file number 99.dat"
mmd -i "$IMG" "::/empty dir"
if [ "$NN" = 32 ]; then
	# a root directory over many clusters
	i=0
	while [ $i -lt 60 ]; do
		text 3 "root $i" >"$W/r"
		put "$W/r" "/root file with a long name $i.txt"
		i=$((i + 1))
	done
fi

if [ "$NN" != 16 ]; then
	fsck.fat -n "$IMG" >/dev/null || { echo "fsck.fat: $OUT is damaged" >&2; exit 1; }
fi
if [ "$NN" = 12 ]; then
	# a different label in the BPB (offset 43): the directory entry wins
	printf 'BPBLABEL   ' | dd of="$OUT-t" bs=1 seek=43 conv=notrunc status=none
fi
mv "$OUT-t" "$OUT"
xz -9 -T1 -kf "$OUT"
ls -l "$OUT" "$OUT.xz"
