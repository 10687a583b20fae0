#!/bin/sh
# Two files claiming one block, far apart in the index: an ext2 file of
# 1,024 blocks, and 70 one-block files whose block pointer debugfs moves
# into the middle of it.  A block of the big file past all of them must
# still be the big file's (an index that looks back a fixed number of
# runs loses it), each moved block is a conflict, and --list warns.
# The truth is debugfs's: bmap for where the blocks are, icheck and
# ncheck for who owns a block nobody else claims.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext2 debugfs jq

mkdir "$T/tree"
head -c 4194304 /dev/zero | tr '\0' 'b' >"$T/tree/big.bin"
for i in $(seq -w 0 69); do printf 'small %s\n' "$i" >"$T/tree/s$i"; done
img="$T/fs.img"
mkfs.ext2 -q -b 4096 -d "$T/tree" "$img" 16M
big_ino=$(debugfs -R "stat /big.bin" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
: >"$T/cmds"
: >"$T/moved"
for i in $(seq 0 69); do
	s=$(printf 's%02d' "$i")
	b=$(debugfs -R "bmap /big.bin $((20 + 10 * i))" "$img" 2>/dev/null)
	echo "set_inode_field /$s block[0] $b" >>"$T/cmds"
	echo "$b $s" >>"$T/moved"
done
debugfs -w -f "$T/cmds" "$img" >/dev/null 2>&1
# the pointers moved (debugfs reads them back)
last=$(tail -1 "$T/moved")
check_eq "s69 block" "$(debugfs -R "bmap /s69 0" "$img" 2>/dev/null)" "${last% *}"

# a block of big.bin past every moved one: the big file alone
far=$(debugfs -R "bmap /big.bin 1010" "$img" 2>/dev/null)
owner=$(debugfs -R "icheck $far" "$img" 2>/dev/null | awk 'NR == 2 { print $2 }')
check_eq "icheck $far" "$owner" "$big_ino"
"$DA" --lookup $((far * 4096 + 5)) --json "$img" >"$T/far.json"
check_eq "block $far inode" "$(jq '.owners[-1].inode' "$T/far.json")" "$big_ino"
check_eq "block $far path" "$(jq -r '.owners[-1].path' "$T/far.json")" "/big.bin"
check_eq "block $far conflict" "$(jq '.owners[-1].file_conflict // false' "$T/far.json")" "false"

# every moved block: a conflict, owned by big.bin or the small file
while read -r b s; do echo $((b * 4096)); done <"$T/moved" >"$T/offs"
"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '"\(.owners[-1].inode) \(.owners[-1].file_conflict // false)"' >"$T/ours"
check_eq "answers" "$(wc -l <"$T/ours")" 70
bad=$(awk '$2 != "true"' "$T/ours" | head -1)
[ -z "$bad" ] || fail "a moved block is not a conflict: $bad"
small_inos=$(for s in $(awk '{ print $2 }' "$T/moved"); do debugfs -R "stat /$s" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; done | sort -n | tr '\n' ' ')
awk -v big="$big_ino" -v small=" $small_inos" '$1 != big && index(small, " " $1 " ") == 0 { print "owner " $1 " is neither big.bin nor a small file"; exit 1 }' "$T/ours" ||
	fail "$(awk -v big="$big_ino" '$1 != big' "$T/ours" | head -1)"
# a block between two moved ones is big.bin's, with no conflict
mid=$(debugfs -R "bmap /big.bin 25" "$img" 2>/dev/null)
check_eq "block $mid" "$("$DA" --lookup $((mid * 4096)) --json "$img" | jq -r '"\(.owners[-1].inode) \(.owners[-1].file_conflict // false)"')" "$big_ino false"

# --list warns (70 blocks of 4 KiB, each claimed twice)
"$DA" --list "$img" >"$T/list"
grep -q 'warning: file index: .*286720 bytes claimed by more than one file' "$T/list" ||
	fail "--list has no conflict warning: $(cat "$T/list")"
echo "70 blocks claimed twice inside one run of another file: conflicts found, and the big file's block 70 runs past its run start still its own"
