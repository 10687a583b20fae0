#!/bin/sh
# Damaged exFAT, made from the card image by a few bytes each: a broken
# main boot region (the backup is used, and said so), both broken (an
# unknown owner with the reason), a directory that contains itself, a FAT
# chain that loops, one that leaves the volume, a NoFatChain file running
# past the heap, an entry set failing its checksum, a valid data length
# past the allocation, a truncated image, a root cluster outside the volume.
# Each must scan, list and answer lookups under a time limit, with a
# warning that says what is wrong.  Where things are comes from fls,
# istat and dump.exfat, not from our own output.
. "$(dirname "$0")/../lib.sh"
requires jq xz fls istat timeout dump.exfat
src=$(image exfat-card)
P=$((2048 * 512))
dd if="$src" of="$T/fs0" bs=1M skip=1 status=none
d() { sed -n "s/^$1[^0-9]*\([0-9a-fx]*\)\$/\1/p" "$T/dump" | head -1; }
dump.exfat "$T/fs0" >"$T/dump" 2>/dev/null
bps=$((1 << $(d 'Sector Size Bits')))
cs=$((bps << $(d 'Sector per Cluster bits')))
heap=$(($(d 'Cluster Heap Offset') * bps))
fat=$(($(d 'FAT Offset') * bps))
timeout 60 fls -r -p -f exfat "$T/fs0" >"$T/fls"
ino_of() { awk -F'\t' -v p="$1" '$2 == p { split($1, a, /[ :]+/); print a[2] }' "$T/fls"; }
entry() { echo $((P + heap + ($1 - 3) * 32)); }   # byte of inode $1's file entry
clusters_of() {     # clusters of inode $1 in file order, from istat
	timeout 20 istat -f exfat "$T/fs0" "$1" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' |
		grep -E '^[1-9][0-9]*$' | awk -v h=$((heap / bps)) -v s=$((cs / bps)) \
		'($1 - h) % s == 0 { print ($1 - h) / s + 2 }'
}
# put32 FILE OFFSET VALUE: a little-endian 32-bit word
put32() {
	v=$3
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
		$((v >> 16 & 255)) $((v >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
put8() { printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# run NAME WANT: the image $T/NAME.img lists, looks up and says WANT
run() {
	i="$T/$1.img"
	# a truncated image is a problem the CLI reports (exit 1)
	timeout 30 "$DA" --list --json "$i" >"$T/$1.json" 2>"$T/$1.err" ||
		grep -q "truncated image" "$T/$1.err" ||
		fail "$1: --list failed or hung ($(cat "$T/$1.err"))"
	seq $P $((64 * 1024)) $(($(stat -c %s "$i") - 1)) >"$T/offs"
	timeout 60 "$DA" --lookup - "$i" <"$T/offs" >/dev/null 2>"$T/$1.err" ||
		grep -q "truncated image" "$T/$1.err" || fail "$1: lookups failed or hung ($(cat "$T/$1.err"))"
	timeout 30 "$DA" --map --width 40 --height 8 "$i" >/dev/null 2>"$T/$1.err" ||
		grep -q "truncated image" "$T/$1.err" || fail "$1: --map failed"
	got=$(jq -r '.disks[0].content.partitions[0].content | (.reason // "") + " " + ((.warnings // []) | join(" | "))' "$T/$1.json")
	case $got in
	*"$2"*) echo "$1: $2" ;;
	*) fail "$1: want a warning with '$2', got '$got'" ;;
	esac
}
fresh() { cp --sparse=always "$src" "$T/$1.img"; }

fresh boot
put8 "$T/boot.img" $((P + 1 * bps + 7)) 1            # an extended boot sector
run boot "boot region damaged (checksum"
b=$(jq -r '.disks[0].content.partitions[0].content.label' "$T/boot.json")
check_eq "boot: label read through the backup" "$b" CARD32

fresh both
put8 "$T/both.img" $((P + 1 * bps + 7)) 1
put8 "$T/both.img" $((P + 13 * bps + 7)) 1
run both "backup boot region: checksum"
check_eq "both: an unknown owner" \
	"$(jq -r '.disks[0].content.partitions[0].content.type' "$T/both.json")" unknown

# Documents/Notes points at its parent's first cluster
fresh loopdir
docs=$(clusters_of "$(ino_of Documents)" | head -1)
notes=$(ino_of Documents/Notes)
put32 "$T/loopdir.img" $(($(entry "$notes") + 32 + 20)) "$docs"
run loopdir "directory loops back"

# grown.log: its second cluster links back to its first
fresh loopchain
set -- $(clusters_of "$(ino_of Documents/grown.log)")
put32 "$T/loopchain.img" $((P + fat + $2 * 4)) "$1"
run loopchain "cluster chain loops"

# grown.log: its first cluster links out of the volume
fresh leave
put32 "$T/leave.img" $((P + fat + $1 * 4)) $((0x0FFFFFF0))
run leave "links to invalid"

# IMG_0001.JPG (NoFatChain) claims far more bytes than the heap holds
fresh nofat
put32 "$T/nofat.img" $(($(entry "$(ino_of DCIM/100CARD/IMG_0001.JPG)") + 32 + 28)) 1
run nofat "run past the cluster heap"

# a name changed behind the entry set's checksum
fresh sum
put8 "$T/sum.img" $(($(entry "$(ino_of left.txt)") + 64 + 2)) 120   # 'l' -> 'x'
run sum "1 directory entry sets fail their checksum"

# a valid data length past the allocation
fresh valid
put32 "$T/valid.img" $(($(entry "$(ino_of right.txt)") + 32 + 12)) 1
size=$(timeout 20 istat -f exfat "$T/fs0" "$(ino_of right.txt)" | sed -n 's/^Size: //p')
run valid "right.txt: valid data length $((size + 4294967296)) past its allocation $size"

# the root directory's cluster outside the heap
fresh root
put32 "$T/root.img" $((P + 96)) 99999999
put32 "$T/root.img" $((P + (12 + 0) * bps + 96)) 99999999
run root "root directory cluster 99999999"

# the image cut in the middle of the cluster heap
fresh cut
truncate -s $((P + heap + 300 * cs)) "$T/cut.img"
run cut "truncated: 300 of"
echo "ok: every damaged image scanned, listed and looked up with its warning"
