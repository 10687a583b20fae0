#!/bin/sh
# A directory whose blocks mkfs.ext4 -d interleaved with its files' data
# (1,500 long names): an extent tree with an index level and two leaves.
# Every file's path, every block of the directory (role and inode) and
# the tree's own blocks agree with debugfs (ncheck, blocks, stat), and
# the files' data blocks with icheck.  The file index takes a file's leaf
# in batches and a directory's one extent at a time, for its names: a
# leaf of a directory read as an index node loses every path below it.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs jq

mkdir -p "$T/tree/bigdir"
i=1
while [ $i -le 1500 ]; do
	printf 'file %05d of the deep directory\n' $i >"$T/tree/bigdir/a_rather_long_file_name_to_fill_directory_blocks_$i"
	i=$((i + 1))
done
img="$T/fs.img"
truncate -s 64M "$img"
mkfs.ext4 -q -F -b 1024 -d "$T/tree" "$img" || fail "mkfs.ext4 -d"
# the tree really has an index level (else this tests nothing new)
depth=$(debugfs -R "ex /bigdir" "$img" 2>/dev/null | sed -n '2s|^ *[0-9]*/ *\([0-9]*\).*|\1|p')
[ "${depth:-0}" -ge 1 ] || fail "bigdir's extent tree has depth ${depth:-?}, want an index level"
dir_ino=$(debugfs -R "stat /bigdir" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
bs=1024

# the tree's blocks (ETB) belong to it as its extent tree
debugfs -R "stat /bigdir" "$img" 2>/dev/null | tr ',' '\n' | sed -n 's/.*(ETB[0-9]*):\([0-9]*\).*/\1/p' >"$T/etb"
[ "$(wc -l <"$T/etb")" -ge 2 ] || fail "bigdir has $(wc -l <"$T/etb") extent-tree blocks"
for b in $(cat "$T/etb"); do
	got=$("$DA" --lookup $((b * bs)) --json "$img" | jq -r '.owners[-1] | "\(.role) \(.inode)"')
	check_eq "extent-tree block $b" "$got" "extent_tree $dir_ino"
done

# the directory's blocks (debugfs lists the tree's too): role
# directory, its inode
debugfs -R "blocks /bigdir" "$img" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | grep -vxF -f "$T/etb" >"$T/dirblocks"
[ "$(wc -l <"$T/dirblocks")" -gt 20 ] || fail "bigdir has $(wc -l <"$T/dirblocks") blocks"
awk -v bs=$bs '{ print $1 * bs + 100 }' "$T/dirblocks" | "$DA" --lookup - --json "$img" |
	jq -r '.owners[-1] | "\(.role) \(.inode)"' | sort | uniq -c >"$T/dirroles"
check_eq "bigdir's blocks" "$(awk '{ print $1, $2, $3 }' "$T/dirroles")" "$(wc -l <"$T/dirblocks") directory $dir_ino"

# every file: its first block (debugfs bmap) has its inode and its path
ls "$T/tree/bigdir" | sort >"$T/names"
for n in $(cat "$T/names"); do echo "bmap /bigdir/$n 0"; done >"$T/cmds"
debugfs -f "$T/cmds" "$img" 2>/dev/null | grep -E '^[0-9]+$' >"$T/fblocks"
check_eq "files mapped by debugfs" "$(wc -l <"$T/fblocks")" 1500
debugfs -R "icheck $(tr '\n' ' ' <"$T/fblocks")" "$img" 2>/dev/null | awk 'NR > 1 { print $2 }' >"$T/finodes"
awk -v bs=$bs '{ print $1 * bs + 7 }' "$T/fblocks" | "$DA" --lookup - --json "$img" |
	jq -r '.owners[-1] | "\(.inode) \(.path)"' >"$T/ours"
sed 's|^|/bigdir/|' "$T/names" | paste -d' ' "$T/finodes" - >"$T/want"
bad=$(diff "$T/want" "$T/ours" | grep -c '^>' || true)
[ "$bad" -eq 0 ] || { diff "$T/want" "$T/ours" | head -6; fail "$bad of 1500 files: inode or path differ from debugfs"; }
echo "ok: a directory with a two-level extent tree: $(wc -l <"$T/dirblocks") blocks, $(wc -l <"$T/etb") tree blocks and 1500 paths agree with debugfs"
