#!/bin/sh
# Damaged FATs: a chain that loops, two files cross-linked, a chain that
# runs into a reserved value, a directory that points back at the root, a
# FAT of random bytes, and hostile BPB fields.  Each must finish at once
# with the damage reported where it is (a conflict, a lost cluster), the
# rest of the index intact; an MBR must never be taken for a FAT.
. "$(dirname "$0")/../lib.sh"
requires jq xz fls istat

ORIG=$(image fat-32)
"$DA" --list --json "$ORIG" >"$T/list.json"
get() { jq -r ".disks[0].content.$1" "$T/list.json"; }
DATA=$(get data_start)
FAT=$(($(get reserved_sectors) * 512))
ROOTC=$(get root_cluster)

# poke FILE OFFSET 'printf-escaped bytes'
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
setfat() { poke "$1" $((FAT + 4 * $2)) "$(le32 "$3")"; }
fresh() { cp --sparse=always "$ORIG" "$T/d.img"; echo "$T/d.img"; }
# inode and clusters of a path, from fls and istat
inode_of() { fls -r -p "$ORIG" | awk -F'\t' -v p="$1" '$2 == p { split($1, a, /[ :]+/); print a[2] }'; }
clusters_of() { istat "$ORIG" "$1" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' |
	awk -v d=$((DATA / 512)) '$1 ~ /^[0-9]+$/ && $1 >= d { c = $1 - d + 2; if (!(c in s)) { s[c]; print c } }'; }
# look up cluster C of IMG: "role inode conflict"
look() { echo $((DATA + ($2 - 2) * 512)) | timeout 20 "$DA" --lookup - --json "$1" |
	jq -r '[.owners[] | select(.kind == "filesystem")][-1] |
		"\(.role) \(.inode // "-") \(.file_conflict // false)"' ||
	fail "lookup on $1 crashed or hung"; }

FRAG=$(inode_of "Fragmented across a hole.txt")
A=$(inode_of "first file.txt")
B=$(inode_of "after.txt")
set -- $(clusters_of "$FRAG"); FFIRST=$1; shift $(($# - 1)); FLAST=$1
set -- $(clusters_of "$A"); AFIRST=$1; ASECOND=$2; shift $(($# - 1)); ALAST=$1
set -- $(clusters_of "$B"); BFIRST=$1
[ -n "$FFIRST" ] && [ -n "$ALAST" ] && [ -n "$BFIRST" ] || fail "istat gave no clusters"

# a loop: the fragmented file's last cluster links back to its first
img=$(fresh); setfat "$img" "$FLAST" "$FFIRST"
check_eq "looped chain, first cluster" "$(look "$img" "$FFIRST")" "file_data $FRAG false"
check_eq "looped chain, last cluster" "$(look "$img" "$FLAST")" "file_data $FRAG false"
check_eq "after the loop, another file" "$(look "$img" "$BFIRST")" "file_data $B false"

# cross-linked: A's chain runs on into B's
img=$(fresh); setfat "$img" "$ALAST" "$BFIRST"
check_eq "cross-linked cluster" "$(look "$img" "$BFIRST")" "file_data $A true"
check_eq "A's own cluster" "$(look "$img" "$AFIRST")" "file_data $A false"

# a chain into a reserved value: A keeps its first cluster, the rest is lost
img=$(fresh); setfat "$img" "$AFIRST" $((0x0FFFFFF0))
check_eq "chain cut, first cluster" "$(look "$img" "$AFIRST")" "file_data $A false"
check_eq "chain cut, unreachable cluster" "$(look "$img" "$ASECOND")" "lost - false"
# a link past the last cluster
img=$(fresh); setfat "$img" "$AFIRST" $((0x0FFFFF00))
check_eq "link out of range" "$(look "$img" "$ASECOND")" "lost - false"

# a bad cluster: used, with role "bad" (fsck.fat counts it as used)
img=$(fresh); C=$(get clusters)
setfat "$img" "$C" $((0x0FFFFFF7))
check_eq "bad cluster" "$(look "$img" "$C")" "bad - false"
if command -v fsck.fat >/dev/null 2>&1; then
	used=$(fsck.fat -n -v "$img" 2>&1 | sed -n 's/.* files, \([0-9]*\)\/[0-9]* clusters$/\1/p')
	r=$("$DA" --list --json "$img" | jq -r '.disks[0].content | "\(.clusters - .free_clusters) \(.bad_clusters)"')
	check_eq "used clusters with a bad one (fsck.fat)" "$r" "$used 1"
fi

# a directory that points back at the root: the walk must end
img=$(fresh)
D=$(inode_of "Documents and Settings")
ent=$((DATA + (D - 3) * 32))
poke "$img" $((ent + 20)) '\000\000'
poke "$img" $((ent + 26)) "$(le32 "$ROOTC" | cut -c1-8)"
check_eq "directory loop: root still indexed" "$(look "$img" "$BFIRST")" "file_data $B false"

# a FAT of pseudo-random bytes, both copies
img=$(fresh)
LC_ALL=C awk -v n=$(($(get fat_size) * 2)) 'BEGIN { srand(11); for (i = 0; i < n; i++) printf "%c", int(rand() * 256) }' |
	dd of="$img" bs=512 seek=$((FAT / 512)) conv=notrunc status=none
timeout 20 "$DA" --list "$img" >/dev/null || fail "--list on a random FAT"
look "$img" "$BFIRST" >/dev/null

# the second copy of the FAT differs from the first by one entry (the last
# cluster's) in FAT12, FAT16 and FAT32: fsck.fat says the FATs differ, and
# so must we, naming the entry; untouched images have no such warning
for name in fat-12 fat-16 fat-32; do
	orig=$(image "$name")
	# the filesystem alone (fat-16 lies in a partition), for fsck.fat
	set -- $("$DA" --list --json "$orig" | jq -r '.disks[0].content |
		if .type == "partitions" then .partitions[0] | "\(.start) \(.size)" else "0 0" end')
	if [ "$2" -gt 0 ]; then
		dd if="$orig" of="$T/fs.img" bs=512 skip=$(($1 / 512)) count=$(($2 / 512)) status=none
		orig=$T/fs.img
	fi
	"$DA" --list --json "$orig" >"$T/c.json"
	cget() { jq -r ".disks[0].content.$1" "$T/c.json"; }
	jq -e '.disks[0].content.warnings // [] | map(select(test("differs"))) | length == 0' "$T/c.json" >/dev/null ||
		fail "$name: a FAT copy warning on the image as mkfs.fat made it"
	type=$(cget fstype | tr -dc 0-9)
	C=$(($(cget clusters) + 1))
	case $type in
	12) at=$((C + C / 2 + C % 2)) ;;          # a byte only entry C uses
	16) at=$((2 * C)) ;;
	*) at=$((4 * C)) ;;
	esac
	at=$(($(cget reserved_sectors) * 512 + $(cget fat_size) + at))
	cp --sparse=always "$orig" "$T/c.img"
	old=$(od -An -tu1 -j "$at" -N1 "$T/c.img" | tr -d ' ')
	poke "$T/c.img" "$at" "$(printf '\\%03o' $((old ^ 85)))"
	if command -v fsck.fat >/dev/null 2>&1; then
		fsck.fat -n "$T/c.img" 2>&1 | grep -q "FATs differ" || fail "$name: fsck.fat sees no difference"
	fi
	w=$("$DA" --list --json "$T/c.img" | jq -r '.disks[0].content.warnings // [] | .[] | select(test("differs"))')
	check_eq "$name: second FAT differs" "$w" "FAT 2 differs from FAT 1 (the copy read) in 1 entry, the first for cluster $C"
done

# hostile BPB fields
img=$(fresh); poke "$img" 32 '\000\000\020\000'      # total sectors: 512 MiB
# the filesystem's clusters are as many as its FAT describes (4 bytes an
# entry, from cluster 2): the device holds the first ones
r=$(timeout 20 "$DA" --list --json "$img" | jq -r '.disks[0].content | "\(.fstype) \(.clusters)"')
check_eq "total sectors past the device: clamped to the FAT" "$r" "fat32 $(($(get fat_size) / 4 - 2))"
img=$(fresh); poke "$img" 36 '\377\377\377\177'      # FAT size
r=$(timeout 20 "$DA" --list --json "$img" | jq -r '.disks[0].content.type')
[ "$r" != filesystem ] || fail "a FAT larger than the device was accepted"
img=$(fresh); poke "$img" 13 '\003'                  # 3 sectors a cluster
r=$(timeout 20 "$DA" --list --json "$img" | jq -r '.disks[0].content.type')
[ "$r" != filesystem ] || fail "3 sectors per cluster was accepted"
img=$(fresh); poke "$img" 44 '\377\377\377\017'      # root cluster
r=$(timeout 20 "$DA" --list --json "$img" | jq -r '.disks[0].content.type')
check_eq "root cluster out of range" "$r" unknown

# an MBR is not a FAT
if command -v sfdisk >/dev/null 2>&1; then
	truncate -s 8M "$T/mbr.img"
	printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$T/mbr.img"
	r=$(DISKATLAS_DEBUG=1 "$DA" --list --json "$T/mbr.img" 2>"$T/trace" | jq -r '.disks[0].content.fstype // "none"')
	check_eq "MBR taken for" "$r" none
	grep -q "probe fat on mbr.img: not mine" "$T/trace" ||
		fail "no probe decision traced: $(grep fat "$T/trace" | head -2)"
fi
echo "damaged FATs: loops, cross-links, cut and out-of-range chains, directory loops, random FAT, hostile BPB: all handled"
exit 0
