#!/bin/sh
# One exit-status rule for short images: whatever reaches past the end of
# its device (an ext4 or FAT cut short, a FAT cut inside its FAT, a swap
# area, a partition an MBR puts past the end of a disk that is whole)
# gives the whole output, then one line "truncated image or damaged
# table" and exit 1; damage that is not past an end (a looping EBR chain,
# a table that contains itself) is a warning with exit 0.  Sizes come
# from the tools that made the images (dumpe2fs, the boot sector mkfs.fat
# wrote; mkswap fills the 1 MiB file it is given).
. "$(dirname "$0")/../lib.sh"
requires python3 mkfs.ext4 dumpe2fs mkfs.fat mkswap xz
short() {  # IMG WHAT-PATTERN: exit 1, the output, one line naming WHAT
	rc=0; "$DA" --list "$1" >"$T/out" 2>"$T/err" || rc=$?
	check_eq "$(basename "$1"): exit" "$rc" 1
	[ -s "$T/out" ] || fail "$(basename "$1"): no output"
	check_eq "$(basename "$1"): lines on stderr" "$(wc -l <"$T/err")" 1
	grep -Eq "^diskatlas: .*$(basename "$1"): truncated image or damaged table: $2" "$T/err" ||
		fail "$(basename "$1"): $(cat "$T/err")"
	echo "ok: $(basename "$1"): $(cat "$T/err")"
}
whole() {  # IMG: exit 0
	rc=0; "$DA" --list "$1" >"$T/out" 2>"$T/err" || rc=$?
	check_eq "$(basename "$1"): exit" "$rc" 0
	[ -s "$T/err" ] && fail "$(basename "$1"): $(cat "$T/err")"
	echo "ok: $(basename "$1"): exit 0"
}

# ext4 cut short
truncate -s 8M "$T/ext4.img"
mkfs.ext4 -q -F "$T/ext4.img"
bytes=$(dumpe2fs -h "$T/ext4.img" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { print c * s }')
truncate -s 5M "$T/ext4.img"
short "$T/ext4.img" "the ext4 filesystem on ext4.img is $bytes bytes, past the end of its device \(5242880 bytes\)"
# FAT16 cut in its data area, then inside its FAT
truncate -s 20M "$T/fat.img"
mkfs.fat -F 16 "$T/fat.img" >/dev/null
bytes=$(od -An -tu4 -j32 -N4 "$T/fat.img" | tr -d ' ')
[ "$bytes" -eq 0 ] && bytes=$(od -An -tu2 -j19 -N2 "$T/fat.img" | tr -d ' ')
bytes=$((bytes * 512))
truncate -s 3M "$T/fat.img"
short "$T/fat.img" "the fat16 filesystem on fat.img is $bytes bytes"
truncate -s 6000 "$T/fat.img"
short "$T/fat.img" "the FAT filesystem on fat.img is $bytes bytes"
"$DA" --list --json "$T/fat.img" 2>/dev/null | grep -q '"signature":"FAT filesystem"' || fail "the cut FAT is not named"
# a swap area whose header counts more pages than the file holds
truncate -s 1M "$T/swap.img"
mkswap -p 4096 "$T/swap.img" >/dev/null
truncate -s 512K "$T/swap.img"
short "$T/swap.img" "the swap area on swap.img is 1048576 bytes"
# a whole 1 MiB disk whose MBR puts its partition past the end
python3 "$IMAGES/hostile.py" "$T" mbr-past-end self3
short "$T/mbr-past-end.img" "partition p1 runs past the end of mbr-past-end.img \(1048576 bytes\)"
# damage that is not past an end: exit 0
whole "$T/self3.img"
whole "$(image mbr-loop)"
echo "ok: one rule for short images"
