#!/bin/sh
# Seeds for the FAT plugin and its file index: small FAT12, FAT16 and
# FAT32 volumes made by mkfs.fat and filled by mtools with long names
# (several LFN entries, mixed case, non-ASCII), nested directories, files
# fragmented into chains (a file grown after its neighbours), deleted
# entries (mdel leaves 0xE5 entries and free chains), a volume label, an
# empty file, attributes; one inside an MBR partition; and damaged copies
# of the FAT12 one (fat_damage.py: loops, cross links, bad names...).
# Usage: sh tests/fuzz/seeds/fat.sh DIR   (writes DIR/fat-*)
set -eu
out=$1
for t in mkfs.fat mcopy mdel mmd mattrib sfdisk; do
	command -v "$t" >/dev/null 2>&1 || exit 0
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export MTOOLS_SKIP_CHECK=1
# bytes N CHAR: N bytes of CHAR (findable again, compress well)
bytes() { head -c "$1" /dev/zero | tr '\0' "$2"; }
fill() {   # fill IMG: the same tree on every FAT type
	i="-i $1"
	for d in Documents Documents/Reports deep deep/a deep/a/b; do
		mmd $i "::/$d"
	done
	bytes 3000 a >"$tmp/a"; bytes 9000 b >"$tmp/b"; bytes 700 c >"$tmp/c"
	mcopy $i "$tmp/a" "::/A very long file name, with spaces.txt"
	mcopy $i "$tmp/b" ::/Documents/Reports/Quarterly-Report-2024-final-version.pdf
	mcopy $i "$tmp/c" ::/deep/a/b/MiXeD.CaSe
	mcopy $i "$tmp/c" "::/Documents/résumé-ünïcödé.txt"
	: >"$tmp/empty"; mcopy $i "$tmp/empty" ::/empty.dat
	# a fragmented chain: grow a file after a neighbour was written
	mcopy $i "$tmp/a" ::/frag1.bin
	mcopy $i "$tmp/b" ::/gap.bin
	mcopy $i "$tmp/a" ::/frag2.bin
	mdel $i ::/gap.bin
	bytes 20000 f >"$tmp/f"
	mcopy $i "$tmp/f" ::/fragmented.bin
	# deleted entries, one with a long name
	mcopy $i "$tmp/c" "::/to be deleted with a long name.tmp"
	mcopy $i "$tmp/c" ::/DELME.TXT
	mdel $i "::/to be deleted with a long name.tmp" ::/DELME.TXT
	mattrib $i +h +s ::/empty.dat
	mattrib $i +r "::/A very long file name, with spaces.txt"
	i=
}
truncate -s 1440K "$tmp/f12"
mkfs.fat -F 12 -n FLOPPY -s 1 "$tmp/f12" >/dev/null
fill "$tmp/f12"
cp "$tmp/f12" "$out/fat-12-seed"
if command -v python3 >/dev/null 2>&1; then
	python3 "$(dirname "$0")/fat_damage.py" "$tmp/f12" "$out"
fi
truncate -s 3M "$tmp/f16"
mkfs.fat -F 16 -n SIXTEEN -s 1 "$tmp/f16" >/dev/null
fill "$tmp/f16"
cp "$tmp/f16" "$out/fat-16-seed"
# mtools reads FAT32 only from 65,525 clusters: 34 MiB of 512-byte ones,
# cut to the 4 MiB that hold its FATs, directories and files
truncate -s 34M "$tmp/f32"
mkfs.fat -F 32 -n THIRTYTWO -s 1 "$tmp/f32" >/dev/null 2>&1
fill "$tmp/f32"
head -c 4194304 "$tmp/f32" >"$out/fat-32-seed"
# FAT12 with 2 KiB clusters inside an MBR partition
truncate -s 4M "$tmp/mbr"
echo 'start=2048, type=6' | sfdisk -q "$tmp/mbr" >/dev/null
truncate -s 3M "$tmp/p"
mkfs.fat -F 12 -s 4 "$tmp/p" >/dev/null
fill "$tmp/p"
dd if="$tmp/p" of="$tmp/mbr" bs=512 seek=2048 conv=notrunc,sparse status=none
head -c 4194304 "$tmp/mbr" >"$out/fat-mbr-seed"
