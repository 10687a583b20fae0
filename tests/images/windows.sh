#!/bin/sh
# Build windows.img(.xz): a disk laid out as Windows installs itself, made
# with the real tools.  GPT (sgdisk): 1 an EFI system partition (FAT32,
# mtools), 2 the Microsoft reserved partition (16 MiB, type 0C01, empty),
# 3 the Windows volume (mkntfs, then files written by ntfs-3g itself: a
# tree of files, fragmented files, one so fragmented that its runs spill
# into extension records through an attribute list, an alternate data
# stream, a hard link, compressed files (one with a compression unit that
# would not compress), a sparse file, a preallocated file (ntfsfallocate:
# clusters past its initialized size), small files that
# stay inside their MFT record), 4 a recovery NTFS (type DE94BBA4...,
# attributes 0x8000000000000001 as Windows sets them).
# Each NTFS is made in a file of its own, mounted with ntfs-3g (FUSE) and
# copied into place, so no loop device is needed.
set -eu
cd "$(dirname "$0")"
out=windows.img
W=$(mktemp -d)
M="$W/mnt"
mkdir "$M"
cleanup() {
	mountpoint -q "$M" 2>/dev/null && umount "$M"
	rm -rf "$W"
}
trap cleanup EXIT
rm -f "$out" "$out.xz"
truncate -s 100M "$out"
sgdisk --disk-guid=44444444-5555-4666-8777-888888888888 \
	-n 1:2048:+40M -t 1:ef00 -c 1:"EFI system partition" \
	-n 2:0:+16M -t 2:0c01 -c 2:"Microsoft reserved partition" \
	-n 3:0:+32M -t 3:0700 -c 3:"Basic data partition" \
	-n 4:0:0 -t 4:2700 -c 4:"Recovery" -A 4:set:0 -A 4:set:63 "$out" >/dev/null
start() { sgdisk -i "$1" "$out" | awk '/^First sector/ { print $3 }'; }
sectors() { sgdisk -i "$1" "$out" | awk '/^Partition size/ { print $3 }'; }

# 1: the ESP
esp=$(start 1)
mkfs.fat -F 32 -s 1 -n SYSTEM -i 5A5A1234 --offset "$esp" "$out" $(($(sectors 1) / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out@@$((esp * 512))" ::/EFI ::/EFI/Boot ::/EFI/Microsoft ::/EFI/Microsoft/Boot
printf 'not really a boot manager\n' >"$W/bootx64.efi"
awk 'BEGIN { for (i = 0; i < 500; i++) printf "BCD store line %d\n", i }' >"$W/BCD"
mcopy -i "$out@@$((esp * 512))" "$W/bootx64.efi" ::/EFI/Boot/
mcopy -i "$out@@$((esp * 512))" "$W/BCD" ::/EFI/Microsoft/Boot/

# ntfs N LABEL FILE: mkntfs on FILE as partition N would hold it
ntfs() {
	truncate -s $(($(sectors "$1") * 512)) "$3"
	mkntfs -F -Q -q -L "$2" -s 512 -c 4096 -p "$(start "$1")" -H 255 -S 63 "$3" >/dev/null 2>&1
}

# 3: the Windows volume
ntfs 3 Windows "$W/win"
ntfs-3g -o streams_interface=windows,compression "$W/win" "$M"
mkdir -p "$M/Windows/System32/config" "$M/Users/Public/Documents" "$M/Program Files/App" "$M/Compressed"
d=0
while [ $d -lt 6 ]; do
	mkdir -p "$M/Users/Public/Documents/dir$d"
	awk -v dir="$M/Users/Public/Documents/dir$d" -v d=$d 'BEGIN {
		for (i = 0; i < 12; i++) {
			f = sprintf("%s/note-%d-%d.txt", dir, d, i)
			k = (i * 37 + d * 11) % 120 + 1
			for (j = 0; j < k; j++)
				printf "note %d of dir %d, line %d: a Windows-like tree\n", i, d, j > f
			close(f)
		}
	}'
	d=$((d + 1))
done
# small enough to stay resident in the MFT record
printf 'tiny\n' >"$M/Users/Public/tiny.txt"
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "registry hive line %d\n", i }' >"$M/Windows/System32/config/SOFTWARE"
# two files written a piece at a time in turn: both fragmented
i=0
while [ $i -lt 12 ]; do
	awk -v i=$i 'BEGIN { for (j = 0; j < 128; j++) printf "frag A piece %03d line %03d pad\n", i, j }' >>"$M/Program Files/App/fragA.dat"
	awk -v i=$i 'BEGIN { for (j = 0; j < 128; j++) printf "frag B piece %03d line %03d pad\n", i, j }' >>"$M/Program Files/App/fragB.dat"
	sync
	i=$((i + 1))
done
# so many pieces that its runlist needs extension records (an attribute list)
i=0
while [ $i -lt 300 ]; do
	printf '%04096d' $i >>"$M/Program Files/App/many.dat"
	printf '%04096d' $i >>"$M/Program Files/App/spacer.dat"
	i=$((i + 1))
done
sync
# an alternate data stream large enough to live outside the record
awk 'BEGIN { for (i = 0; i < 300; i++) printf "zone identifier line %d\n", i }' >"$M/Users/Public/Documents/setup.exe"
awk 'BEGIN { for (i = 0; i < 200; i++) printf "[ZoneTransfer] ZoneId=3 line %d\n", i }' >"$M/Users/Public/Documents/setup.exe:Zone.Identifier"
# a hard link
ln "$M/Windows/System32/config/SOFTWARE" "$M/Users/Public/SOFTWARE.lnk"
# compressed: files made in a directory with the compressed attribute
setfattr -n system.ntfs_attrib_be -v 0x00000800 "$M/Compressed"
awk 'BEGIN { for (i = 0; i < 6000; i++) printf "compressible log line %d\n", i % 50 }' >"$M/Compressed/log.txt"
# one compression unit (16 clusters) that does not compress, stored as it
# is, then one that does
{ head -c 65536 /dev/urandom; awk 'BEGIN { for (i = 0; i < 1000; i++) printf "tail line %d\n", i % 10 }'; } >"$M/Compressed/mixed.bin"
# sparse: a hole, some data, a hole
truncate -s 6M "$M/sparse.vhd"
printf 'data in the middle of a sparse file\n' | dd of="$M/sparse.vhd" bs=4096 seek=700 conv=notrunc status=none
printf 'valid data\n' >"$M/Users/Public/prealloc.bin"
umount "$M"
# preallocated: clusters past the initialized size (read as zeros)
ntfsfallocate -l 65536 "$W/win" /Users/Public/prealloc.bin >/dev/null
dd if="$W/win" of="$out" bs=512 seek="$(start 3)" conv=notrunc,sparse status=none

# 4: the recovery volume
ntfs 4 Recovery "$W/rec"
ntfs-3g "$W/rec" "$M"
mkdir -p "$M/Recovery/WindowsRE"
awk 'BEGIN { for (i = 0; i < 2000; i++) printf "winre image line %d\n", i }' >"$M/Recovery/WindowsRE/Winre.wim"
umount "$M"
dd if="$W/rec" of="$out" bs=512 seek="$(start 4)" conv=notrunc,sparse status=none
xz -9 -T1 -k "$out"
