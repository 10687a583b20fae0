#!/bin/sh
# Seeds for the XFS plugin and its file index: small filesystems made by
# mkfs.xfs and filled from a prototype file (mkfs.xfs -p, no mount), with
# the log on another device so that the inodes and files sit in the first
# 1.4 MiB (the corpus cuts at 4 MiB; the smallest XFS is 16,384 blocks).
# Each holds directories of every form (short form in the inode, one
# block, leaf, node, and one whose blocks alternate with its files' data,
# so that its extents overflow the inode into a bmbt), short and long
# symlinks, device nodes, a fifo, empty, small and larger files.
#   xfs-v5-seed       v5, 1 KiB blocks, finobt, sparse inodes
#   xfs-v5-rmap-seed  v5 with rmapbt and reflink (refcount B+tree)
#   xfs-v5-nrext64    v5 with 64-bit extent counters
#   xfs-v5-rt         v5 with a realtime device (not in the seed)
#   xfs-v5-4k         v5, 4 KiB blocks and 8 KiB directory blocks
#   xfs-v4-seed       v4 (no CRCs), 512-byte blocks
# and damaged copies of the v5 and v4 ones (xfs_damage.py: one structure
# at a time).
# Usage: sh tests/fuzz/seeds/xfs.sh DIR   (writes DIR/xfs-*)
set -eu
out=$1
command -v mkfs.xfs >/dev/null 2>&1 || exit 0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# mkfs.xfs refuses filesystems under 300 MiB outside the XFS test suite
export TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1
bytes() { head -c "$1" /dev/zero | tr '\0' "$2"; }
bytes 700 s >"$tmp/small"
bytes 1024 k >"$tmp/one"
bytes 40000 m >"$tmp/medium"
: >"$tmp/empty"
# the prototype (mkfs.xfs(8) -p): name mode uid gid [source|target|major minor]
{
	echo /dev/null; echo "0 0"; echo "d--755 0 0"
	echo "sf d--755 0 0"
	echo "a ---644 0 0 $tmp/small"
	echo "b ---644 0 0 $tmp/empty"
	echo '$'
	echo "block d--755 0 0"     # more than the inode holds, one block
	i=0; while [ $i -lt 20 ]; do
		echo "block-directory-entry-$i ---644 0 0 $tmp/empty"; i=$((i + 1)); done
	echo '$'
	echo "leaf d--755 0 0"      # several data blocks and one leaf block
	i=0; while [ $i -lt 60 ]; do
		echo "leaf-directory-entry-$i ---644 0 0 $tmp/empty"; i=$((i + 1)); done
	echo '$'
	echo "node d--755 0 0"      # more leaf entries than a block holds
	i=0; while [ $i -lt 400 ]; do
		echo "node-directory-entry-with-a-long-name-$i ---644 0 0 $tmp/empty"
		i=$((i + 1)); done
	echo '$'
	# directory blocks alternate with the files' blocks: dozens of
	# extents, more than the inode holds, so the directory gets a bmbt
	echo "frag d--755 0 0"
	long=$(bytes 180 n)
	i=0; while [ $i -lt 600 ]; do
		echo "$long-$i ---644 0 0 $tmp/one"; i=$((i + 1)); done
	echo '$'
	echo "medium ---644 0 0 $tmp/medium"
	echo "setuid -ug755 0 0 $tmp/small"
	echo "short-link l--777 0 0 sf/a"
	echo "long-link l--777 0 0 $(bytes 900 l)"
	echo "null c--666 0 0 1 3"
	echo "loop0 b--660 0 6 7 0"
	echo "fifo p--600 0 0"
	echo '$'
} >"$tmp/proto"
truncate -s 16M "$tmp/log"
# mk NAME SIZE KEEP MKFS-OPTIONS...: $out/NAME, the first KEEP bytes (what
# mkfs.xfs wrote lies in the first 1.4 MiB, 3.2 MiB with 4 KiB blocks;
# smaller seeds are quicker to mutate)
mk() {
	n=$1 size=$2 keep=$3; shift 3
	rm -f "$tmp/$n"
	truncate -s "$size" "$tmp/$n"
	mkfs.xfs -q -f -d agcount=1 -p "$tmp/proto" "$@" "$tmp/$n" >/dev/null 2>&1 || return 0
	head -c "$keep" "$tmp/$n" >"$out/$n"
}
mk xfs-v5-seed 16M 1572864 -b size=1024 -l logdev="$tmp/log",size=3600b
mk xfs-v5-rmap-seed 16M 1572864 -b size=1024 -m rmapbt=1,reflink=1 -l logdev="$tmp/log",size=5400b
mk xfs-v5-nrext64 16M 1572864 -b size=1024 -i nrext64=1 -l logdev="$tmp/log",size=8700b
truncate -s 1M "$tmp/rt"
mk xfs-v5-rt 16M 1572864 -b size=1024 -r rtdev="$tmp/rt" -l logdev="$tmp/log",size=3600b
mk xfs-v5-4k 64M 4194304 -b size=4096 -n size=8192 -l logdev="$tmp/log",size=2400b
mk xfs-v4-seed 16M 1572864 -b size=512 -m crc=0 -l logdev="$tmp/log",size=6000b
if command -v python3 >/dev/null 2>&1; then
	for s in xfs-v5-seed xfs-v4-seed; do
		[ -f "$out/$s" ] && python3 "$(dirname "$0")/xfs_damage.py" "$out/$s" "$out" || true
	done
fi
exit 0
