#!/bin/sh
# A file whose block pointers debugfs points at blocks 1-3 of a 1 KiB-block
# ext2 (the superblock, the group descriptors, a reserved GDT block): a
# lookup of each block answers the metadata's role AND the file that
# claims it, as a conflict, where debugfs icheck names the file; a range
# over the three names every file icheck names; --list warns.  e2fsck -fn
# must see the blocks claimed twice (else the image is not what we meant).
# And a file whose indirect block pointer leaves the filesystem (libext2fs
# skips it without an error): the file index says so, naming the inode
# e2fsck names.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext2 debugfs e2fsck jq
cd "$T"
mkdir src
head -c 3000 /dev/zero | tr '\0' 'm' >src/f.bin
head -c 30000 /dev/zero | tr '\0' 'i' >src/ind.bin
truncate -s 8M m.img
mkfs.ext2 -q -F -b 1024 -d src m.img
for k in 0 1 2; do
	debugfs -w -R "sif /f.bin block[$k] $((k + 1))" m.img 2>/dev/null
done
e2fsck -fn m.img >fsck.txt 2>&1 || true
grep -q 'Multiply-claimed block(s) in inode 12' fsck.txt || { cat fsck.txt; fail "e2fsck does not see inode 12's blocks claimed twice"; }
debugfs -R "icheck 1 2 3" m.img 2>/dev/null | awk 'NR > 1 { print $1, $2 }' >icheck.txt
check_eq "icheck" "$(tr '\n' ' ' <icheck.txt)" "1 12 2 12 3 7 "
ino=$(debugfs -R "stat /f.bin" m.img 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
check_eq "the file's inode" "$ino" 12

for b in 1 2; do
	want_role=$(case $b in 1) echo superblock ;; 2) echo group_descriptors ;; esac)
	"$DA" --lookup $((b * 1024)) --json m.img >l.json || fail "--lookup block $b"
	check_eq "block $b" "$(jq -r '.owners[-1] | "\(.role) \(.inode) \(.path) \(.file_conflict)"' l.json)" \
		"$want_role 12 /f.bin true"
	"$DA" --lookup $((b * 1024)) m.img >l.txt
	grep -q "role $want_role  block $b  inode 12  /f.bin  (also claimed by another file)" l.txt ||
		{ cat l.txt; fail "block $b: the text answer"; }
done
# block 3: the resize inode's reserved GDT block, claimed by the file too
"$DA" --lookup 3072 --json m.img >l.json
check_eq "block 3" "$(jq -r '.owners[-1] | "\(.role) \(.inode) \(.file_conflict)"' l.json)" "reserved_gdt 7 true"
# the range names both files, as icheck does
"$DA" --lookup 1024+3072 --json m.img >r.json
check_eq "range roles" "$(jq -r '[.roles[].role] | join(" ")' r.json)" "superblock group_descriptors reserved_gdt"
check_eq "range files" "$(jq -r '[.files[] | "\(.inode):\(.bytes)"] | join(" ")' r.json)" "12:3072 7:1024"
"$DA" --list m.img >list.txt
grep -q 'warning: file index: .* claimed by more than one file' list.txt || { cat list.txt; fail "--list gives no conflict warning"; }
grep -q 'indirect blocks' list.txt && { cat list.txt; fail "an indirect block said to be bad"; }

ind=$(debugfs -R "stat /ind.bin" m.img 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
debugfs -R "stat /ind.bin" m.img 2>/dev/null | grep -q '(IND)' || fail "ind.bin has no indirect block"
debugfs -w -R "sif /ind.bin block[IND] 99999" m.img 2>/dev/null
e2fsck -fn m.img >fsck2.txt 2>&1 || true
grep -q "Inode $ind has illegal block" fsck2.txt || { cat fsck2.txt; fail "e2fsck does not see inode $ind's illegal block"; }
"$DA" --list m.img >list2.txt
grep -qF "warning: file index: 1 files have indirect blocks that cannot be read: the blocks they map are not known (first: inode $ind: Illegal indirect block found)" list2.txt ||
	{ cat list2.txt; fail "no warning for inode $ind's indirect block"; }
exit 0
