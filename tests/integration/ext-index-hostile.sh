#!/bin/sh
# The ext file index reads inode tables, extent trees, block maps and
# directories itself: on structures damaged by debugfs each walk stops
# where the damage is, says so in the index's reason, and still answers
# for everything else with what debugfs says.  e2fsck -fn must see each
# damage (else the image is not what we meant).
# - an extent root claiming five levels over a tree of one: its leaf
#   entries read as index entries point outside the filesystem;
# - a directory block whose first entry's length is 3: the directory's
#   files have no path, the others keep theirs;
# - an extent index block pointing at itself: the walk is bounded;
# - a group whose unused-inode count passes its inodes: nothing read there,
#   no hang.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs e2fsck jq
cd "$T"
bytes() { head -c "$1" /dev/zero | tr '\0' "$2"; }
# scattered free space, then a file written into the holes: an extent
# tree with an index level
mkdir frag src src/dir src/other
k=0
while [ $k -lt 200 ]; do
	bytes 1024 f >"frag/f$k"
	k=$((k + 1))
done
truncate -s 2M t.img
mkfs.ext4 -q -F -b 1024 -O ^has_journal -N 256 -E root_owner=0:0 -d frag t.img
k=0
: >rm.cmds
while [ $k -lt 200 ]; do
	echo "rm /f$k" >>rm.cmds
	k=$((k + 2))
done
debugfs -w -f rm.cmds t.img >/dev/null 2>&1
bytes 90000 e >spread
debugfs -w -R "write spread spread.bin" t.img >/dev/null 2>&1
debugfs -R "dump_extents /spread.bin" t.img 2>/dev/null >ext.txt
grep -q '^ *1/ *1 ' ext.txt || { cat ext.txt; fail "spread.bin has no extent index level"; }
# the tree block (level 0's one entry) and a data block of f1 (kept)
tree=$(awk '$1 == "0/" { print $(NF-1); exit }' ext.txt)
[ -n "$tree" ] || { cat ext.txt; fail "no tree block in dump_extents"; }
f1=$(debugfs -R "bmap /f1 0" t.img 2>/dev/null)
cp t.img depth.img
debugfs -w -R "sif /spread.bin block[1] 0x50004" depth.img >/dev/null 2>&1
e2fsck -fn depth.img >fsck1.txt 2>&1 || true
grep -qi 'inode 12.*\(depth\|invalid\|extent\)' fsck1.txt || { cat fsck1.txt; fail "e2fsck does not see inode 12's tree"; }
"$DA" --list depth.img >l1.txt 2>&1 || true
grep -q "warning: file index: 1 files have extent-tree blocks that cannot be read: the blocks below them are not known (first: inode 12, block [0-9]*: outside the filesystem)" l1.txt ||
	{ cat l1.txt; fail "depth: no warning naming inode 12"; }
"$DA" --lookup $((f1 * 1024)) --json depth.img >f1.json
check_eq "depth: /f1's block" "$(jq -r '.owners[-1] | "\(.inode) \(.path)"' f1.json)" "13 /f1"

# the tree block pointing at itself: index entry 0 of the block is the
# block (debugfs cannot set it: written by hand, checksum left wrong)
cp t.img loop.img
off=$((tree * 1024))
# header: magic f30a, 1 entry, max, depth 1; entry: block 0, leaf = tree
printf '\012\363\001\000\124\000\001\000' | dd of=loop.img bs=1 seek=$off conv=notrunc status=none
printf "\\000\\000\\000\\000\\$(printf %03o $((tree & 255)))\\$(printf %03o $(((tree >> 8) & 255)))\\$(printf %03o $(((tree >> 16) & 255)))\\000\\000\\000" |
	dd of=loop.img bs=1 seek=$((off + 12)) conv=notrunc status=none
debugfs -w -R "sif /spread.bin block[1] 0x20004" loop.img >/dev/null 2>&1
e2fsck -fn loop.img >fsck2.txt 2>&1 || true
grep -qi 'inode 12' fsck2.txt || { cat fsck2.txt; fail "e2fsck does not see inode 12's looping tree"; }
timeout 20 "$DA" --lookup $((tree * 1024)) --json loop.img >loop.json || fail "loop: no answer in 20 s"
check_eq "loop: the tree block" "$(jq -r '.owners[-1] | "\(.role) \(.inode)"' loop.json)" "extent_tree 12"

# a directory block with an entry of length 3
bytes 5000 a >src/dir/a.txt
bytes 5000 b >src/other/b.txt
truncate -s 4M d.img
mkfs.ext4 -q -F -b 1024 -O ^has_journal -N 256 -E root_owner=0:0 -d src d.img
dblk=$(debugfs -R "bmap /dir 0" d.img 2>/dev/null)
ablk=$(debugfs -R "bmap /dir/a.txt 0" d.img 2>/dev/null)
bblk=$(debugfs -R "bmap /other/b.txt 0" d.img 2>/dev/null)
printf '\003\000' | dd of=d.img bs=1 seek=$((dblk * 1024 + 4)) conv=notrunc status=none
e2fsck -fn d.img >fsck3.txt 2>&1 || true
grep -qi 'directory corrupted\|rec_len' fsck3.txt || { cat fsck3.txt; fail "e2fsck does not see the directory block"; }
"$DA" --list d.img >l3.txt 2>&1 || true
grep -q "warning: file index: 1 directories cannot be read: their files have no path" l3.txt ||
	{ cat l3.txt; fail "reclen: no warning"; }
"$DA" --lookup $((bblk * 1024)) --json d.img >b.json
check_eq "reclen: /other/b.txt" "$(jq -r '.owners[-1].path' b.json)" "/other/b.txt"
"$DA" --lookup $((ablk * 1024)) --json d.img >a.json
check_eq "reclen: a.txt has no path" "$(jq -r '.owners[-1] | "\(.role) \(.path // "-")"' a.json)" "file_data -"

# group 0 says more inodes are unused than it holds
cp d.img u.img
debugfs -w -R "set_bg 0 itable_unused 60000" u.img >/dev/null 2>&1
debugfs -w -R "set_bg 0 checksum calc" u.img >/dev/null 2>&1
e2fsck -fn u.img >fsck4.txt 2>&1 || true
grep -qi 'unused inodes' fsck4.txt || { cat fsck4.txt; fail "e2fsck does not see group 0's unused count"; }
timeout 20 "$DA" --list u.img >l4.txt 2>&1 || fail "unused: --list failed or hung"
exit 0
