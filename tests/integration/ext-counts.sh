#!/bin/sh
# Impossible counts in an ext superblock and its group descriptors, set by
# debugfs (ssv, set_bg) on copies of a two-group ext4: each copy must
# make e2fsck -fn complain (the truth that it is damaged, and its numbers),
# and diskatlas --list must warn naming both numbers; the untouched image
# gives no such warning.  An inode count that is not inodes per group x
# groups is refused by libext2fs itself: an unknown node with its reason.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs dumpe2fs e2fsck
cd "$T"
truncate -s 16M base.img
mkfs.ext4 -q -F -b 1024 -N 2048 base.img
dumpe2fs base.img >dump.txt 2>/dev/null
field() { awk -F: -v k="$1" '$1 == k { gsub(/ /, "", $2); print $2; exit }' dump.txt; }
inodes=$(field "Inode count")
blocks=$(field "Block count")
free_blocks=$(field "Free blocks")
free_inodes=$(field "Free inodes")
ipg=$(field "Inodes per group")
# group 1's blocks and free counts, as dumpe2fs gives them
g1=$(sed -n 's/^Group 1: (Blocks \([0-9]*\)-\([0-9]*\)).*/\1 \2/p' dump.txt)
g1_blocks=$(echo "$g1" | awk '{ print $2 - $1 + 1 }')
g0_free=$(awk '/^Group 1:/ { exit } / free blocks, / { print $1; exit }' dump.txt)
g0_ifree=$(awk '/^Group 1:/ { exit } / free blocks, / { print $4; exit }' dump.txt)
[ -n "$g1_blocks" ] && [ -n "$g0_free" ] && [ "$ipg" -gt 0 ] || fail "dumpe2fs: no second group"

e2fsck -fn base.img >fsck.txt 2>&1 || { cat fsck.txt; fail "the untouched image is not clean"; }
"$DA" --list base.img >list.txt
grep -q 'superblock: \|count more free' list.txt && { cat list.txt; fail "untouched: a count warning"; }

# case_ NAME DEBUGFS-COMMAND... : NAME.img, NAME.fsck (e2fsck -fn), NAME.list
case_() {
	n=$1; shift
	cp base.img "$n.img"
	printf '%s\n' "$@" >"$n.cmds"
	debugfs -w -f "$n.cmds" "$n.img" >"$n.debugfs" 2>&1
	# e2fsck -n exits 0 after wrong summary counts: its lines are the truth
	e2fsck -fn "$n.img" >"$n.fsck" 2>&1 || true
	"$DA" --list "$n.img" >"$n.list" || fail "$n: --list failed"
}
# says NAME TEXT: NAME's --list holds TEXT
says() { grep -qF "$2" "$1.list" || { cat "$1.list"; fail "$1: no '$2'"; }; }
# fsck_says NAME TEXT: e2fsck said TEXT
fsck_says() { grep -qF "$2" "$1.fsck" || { cat "$1.fsck"; fail "$1: e2fsck does not say '$2'"; }; }

case_ inodes "ssv free_inodes_count 4073"
fsck_says inodes "Free inodes count wrong (4073, counted=$free_inodes)"
says inodes "warning: superblock: free_inodes_count=4073 is more than inodes_count=$inodes"
says inodes "warning: superblock: free_inodes_count=4073, but the groups' free inodes add up to $free_inodes"

case_ blocks "ssv free_blocks_count 20000"
fsck_says blocks "Free blocks count wrong (20000, counted=$free_blocks)"
says blocks "warning: superblock: free_blocks_count=20000 is more than blocks_count=$blocks"
says blocks "warning: superblock: free_blocks_count=20000, but the groups' free blocks add up to $free_blocks"

case_ fewer "ssv free_blocks_count 100"
fsck_says fewer "Free blocks count wrong (100, counted=$free_blocks)"
says fewer "warning: superblock: free_blocks_count=100, but the groups' free blocks add up to $free_blocks"
grep -q 'is more than' fewer.list && fail "fewer: 100 free blocks said to be too many"

case_ first "ssv first_data_block 0"
fsck_says first "first_data_block = 0, should have been 1"
says first "warning: superblock: first_data_block=0, should be 1 for 1024-byte blocks"

# a group's count past what it holds; the descriptor's checksum made
# right again, so that only the count is wrong
case_ group "set_bg 1 free_blocks_count 9000" "set_bg 1 checksum calc"
fsck_says group "Free blocks count wrong for group #1 (9000,"
says group "warning: group descriptors: 1 of 2 count more free blocks than their group holds (first: group 1, 9000 free of $g1_blocks)"
says group "warning: superblock: free_blocks_count=$free_blocks, but the groups' free blocks add up to $((g0_free + 9000))"
grep -q 'checksum' group.list && { cat group.list; fail "group: the checksum was not made right"; }

case_ ginodes "set_bg 1 free_inodes_count 3000" "set_bg 1 checksum calc"
fsck_says ginodes "Free inodes count wrong for group #1 (3000,"
says ginodes "warning: group descriptors: 1 of 2 count more free inodes than their group holds (first: group 1, 3000 free of $ipg)"
says ginodes "warning: superblock: free_inodes_count=$free_inodes, but the groups' free inodes add up to $((g0_ifree + 3000))"

# refused by libext2fs (and e2fsck): one unknown node with the reason
case_ count "ssv inodes_count $((inodes * 2))"
fsck_says count "The ext2 superblock is corrupt"
says count "unknown  probed=ext  (ext: The ext2 superblock is corrupt)"
exit 0
