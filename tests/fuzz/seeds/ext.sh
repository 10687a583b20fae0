#!/bin/sh
# Seeds for the ext plugin and its file index: small filesystems made by
# mkfs.ext2/3/4 -d and changed by debugfs: block-mapped files with single,
# double indirect blocks and holes (ext2, 1 KiB blocks), a journal
# (ext3), hashed (htree) directories, inline data, bigalloc, meta_bg
# without a resize inode, an extent tree with an index level (a file
# written by debugfs into a volume whose free space is scattered), xattr
# blocks, symlinks, a deleted file, and a file whose block pointer maps the
# superblock (a conflict).
# Usage: sh tests/fuzz/seeds/ext.sh DIR   (writes DIR/ext-*)
set -eu
out=$1
for t in mke2fs debugfs e2fsck; do
	command -v "$t" >/dev/null 2>&1 || exit 0
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bytes() { head -c "$1" /dev/zero | tr '\0' "$2"; }
src=$tmp/src
mkdir -p "$src/dir/sub" "$src/big" "$src/hashed"
bytes 300000 i >"$src/big/indirect.bin"      # 1 KiB blocks: double indirect
bytes 5000 s >"$src/dir/small.txt"
bytes 40 t >"$src/dir/sub/tiny"               # inline data where enabled
ln -s dir/small.txt "$src/link"
ln -s "$(bytes 200 l)" "$src/longlink"        # a symlink with a block
# a directory large enough to be hashed (e2fsck -D indexes it)
k=0
while [ $k -lt 120 ]; do
	: >"$src/hashed/entry-with-a-long-name-$k"
	k=$((k + 1))
done
dd if=/dev/zero of="$src/dir/sparse" bs=1024 seek=600 count=1 status=none
mk() {   # mk NAME SIZE MKFS-OPTIONS...: $tmp/NAME, made from $src
	n=$1 size=$2; shift 2
	truncate -s "$size" "$tmp/$n"
	mke2fs -q -F -E root_owner=0:0 -d "$src" "$@" "$tmp/$n" >/dev/null
}
dbg() { debugfs -w -R "$2" "$tmp/$1" >/dev/null 2>&1 || true; }

mk ext2 3M -t ext2 -b 1024 -N 256
dbg ext2 "ea_set /dir/small.txt user.note $(bytes 300 x)"
dbg ext2 "rm /dir/sub/tiny"
cp "$tmp/ext2" "$out/ext-ext2-indirect"
# a block pointer onto the superblock: one block claimed twice
dbg ext2 "sif /dir/small.txt block[0] 1"
cp "$tmp/ext2" "$out/ext-ext2-conflict"

mk ext3 4M -t ext3 -b 1024 -J size=1
e2fsck -fyD "$tmp/ext3" >/dev/null 2>&1 || true
cp "$tmp/ext3" "$out/ext-ext3-journal"

mk inline 2M -t ext4 -b 1024 -O inline_data,^has_journal -I 256
cp "$tmp/inline" "$out/ext-inline"

mk bigalloc 4M -t ext4 -b 1024 -O bigalloc,^has_journal -C 4096
cp "$tmp/bigalloc" "$out/ext-bigalloc"

mk metabg 4M -t ext4 -b 1024 -O meta_bg,^resize_inode,^has_journal -g 1024 -N 512
e2fsck -fyD "$tmp/metabg" >/dev/null 2>&1 || true
cp "$tmp/metabg" "$out/ext-metabg"

# scattered free space: one-block files, every other one removed, then a
# file written into the holes gets more extents than its inode holds
mkdir "$tmp/frag"
k=0
while [ $k -lt 200 ]; do
	bytes 1024 f >"$tmp/frag/f$k"
	k=$((k + 1))
done
truncate -s 2M "$tmp/extents"
mke2fs -q -F -t ext4 -b 1024 -O ^has_journal -N 256 -E root_owner=0:0 -d "$tmp/frag" "$tmp/extents" >/dev/null
k=0
: >"$tmp/rm.cmds"
while [ $k -lt 200 ]; do
	echo "rm /f$k" >>"$tmp/rm.cmds"
	k=$((k + 2))
done
debugfs -w -f "$tmp/rm.cmds" "$tmp/extents" >/dev/null 2>&1 || true
bytes 90000 e >"$tmp/spread"
dbg extents "write $tmp/spread spread.bin"
cp "$tmp/extents" "$out/ext-extent-index"

# damaged copies, one damage each, set by debugfs (its -f reads the
# commands; -n leaves checksums as they fall)
damage() {   # damage NAME BASE DEBUGFS-COMMAND...
	n=$1 b=$2; shift 2
	cp "$tmp/$b" "$tmp/d-$n"
	printf '%s\n' "$@" >"$tmp/d.cmds"
	debugfs -w -n -f "$tmp/d.cmds" "$tmp/d-$n" >/dev/null 2>&1 || true
	cp "$tmp/d-$n" "$out/ext-damage-$n"
}
mk e4 4M -t ext4 -b 1024 -O ^has_journal -g 2048 -N 512
dbg e4 "mknod /fifo p"
damage free-inodes e4 "ssv free_inodes_count 4073"
damage free-blocks e4 "ssv free_blocks_count 9000"
damage first-block e4 "ssv first_data_block 0"
damage group-counts e4 "set_bg 1 free_blocks_count 9000" "set_bg 1 free_inodes_count 3000" \
	"set_bg 1 checksum calc"
damage group-csum e4 "set_bg 1 free_blocks_count 100"
damage itable-out e4 "set_bg 1 inode_table 99999" "set_bg 1 checksum calc"
damage bitmap-out e4 "set_bg 1 block_bitmap 99999" "set_bg 1 checksum calc"
damage bitmap-overlap e4 "set_bg 1 block_bitmap 5" "set_bg 1 checksum calc"
damage inode-csum e4 "sif /dir/small.txt checksum 0x1234"
damage dir-out ext2 "sif /dir block[0] 99999"
damage ind-out ext2 "sif /big/indirect.bin block[IND] 99999"
# an indirect block inside the filesystem but past the end of the image
cp "$tmp/ext2" "$tmp/short"
debugfs -w -R "sif /big/indirect.bin block[IND] 2900" "$tmp/short" >/dev/null 2>&1 || true
head -c 2097152 "$tmp/short" >"$out/ext-damage-ind-short"
# the index's own readers (src/fs/ext_index.c): an extent root that says
# five levels over a tree of one (leaf entries read as index entries), a
# directory block whose first entry's length is no length, an inline
# directory whose names overflow its attribute, a group whose unused
# inode count passes its inodes, a hashed directory with a hole
damage tree-depth extents "sif /spread.bin block[1] 0x50004"
blk=$(debugfs -R "bmap /dir 0" "$tmp/ext2" 2>/dev/null)
if [ -n "$blk" ]; then
	cp "$tmp/ext2" "$tmp/reclen"
	printf '\003\000' | dd of="$tmp/reclen" bs=1 seek=$((blk * 1024 + 4)) conv=notrunc status=none
	cp "$tmp/reclen" "$out/ext-damage-dir-reclen"
fi
damage inline-size inline "sif /dir/sub size 4000"
damage itable-unused e4 "set_bg 0 itable_unused 60000" "set_bg 0 checksum calc"
damage htree-hole ext3 "sif /hashed block[1] 0"
