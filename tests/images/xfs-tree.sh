#!/bin/sh
# Build tests/images/xfs-FLAVOUR.img(.xz): a small XFS made by mkfs.xfs and
# filled through a loop mount (needs root), so that every structure the
# kernel makes is there: a tree of small files, a fragmented file (a bmbt),
# preallocated (unwritten) space, a sparse file, a reflinked copy, a large
# directory in node form, short and long symlinks, hard links and
# attributes too large for the inode.
#   FLAVOUR rmap: v5 with -m rmapbt=1,reflink=1 (xfs_db fsmap is the truth)
#   FLAVOUR small: v5 with 1 KiB blocks and 4 KiB directory blocks (-b
#                 size=1024 -n size=4096), 32 MiB, filled like v4 below
#   FLAVOUR v4:   -m crc=0 (xfs_db blockget/blockuse is the truth); the
#                 kernel here mounts no v4 filesystem, so it is filled by
#                 mkfs.xfs -p from a prototype file: a tree of files, a
#                 large directory in node form, symlinks, a bigger file
# mkfs.xfs refuses filesystems under 300 MiB unless it runs under the
# XFS test suite's variables (TEST_DIR, TEST_DEV, QA_CHECK_FS), which we set
# to keep the image small.
set -eu
flavour=${1:-rmap}
case $flavour in
rmap) opts="-m crc=1,rmapbt=1,reflink=1,finobt=1" ;;
v4) opts="-m crc=0" ;;
small) opts="-b size=1024 -n size=4096" ;;
*) echo "usage: $0 rmap|v4|small" >&2; exit 2 ;;
esac
cd "$(dirname "$0")"
. ./ext-tree.inc
img=xfs-$flavour.img
rm -f "$img" "$img.xz"
truncate -s 40M "$img"
[ "$flavour" = small ] && truncate -s 32M "$img"
if [ "$flavour" != rmap ]; then
	# a prototype file (mkfs.xfs(8) -p): name mode uid gid [source|target]
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	tree "$src/tree" 6 40
	awk 'BEGIN { for (i = 0; i < 8192; i++) printf "bigger line %024d\n", i }' >"$src/bigger"
	{
		echo "/dev/null"; echo "0 0"; echo "d--755 0 0"
		echo "tree d--755 0 0"
		for d in "$src"/tree/dir*; do
			echo "$(basename "$d") d--755 0 0"
			for f in "$d"/*; do echo "$(basename "$f") ---644 0 0 $f"; done
			echo '$'
		done
		echo '$'
		echo "bigger ---644 0 0 $src/bigger"
		echo "big d--755 0 0"
		i=0; while [ $i -lt 1500 ]; do
			printf 'entry-with-a-long-name-to-fill-blocks-%05d ---644 0 0 %s\n' $i "$src/tree/dir0/file-0-1.txt"
			i=$((i + 1))
		done
		echo '$'
		echo "short-link l--777 0 0 tree/dir1/file-1-1.txt"
		echo "long-link l--777 0 0 $(awk 'BEGIN { for (i = 0; i < 60; i++) printf "long-target-%03d/", i }')end"
		echo '$'
	} >"$src/proto"
	TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 \
		mkfs.xfs -q -f $opts -L xfs-$flavour -d agcount=2 -p "$src/proto" "$img"
	xz -9 -k -T1 "$img"
	ls -ls "$img" "$img.xz"
	exit 0
fi
mnt=$(mktemp -d)
trap 'umount "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 \
	mkfs.xfs -q -f $opts -L xfs-$flavour -d agcount=2 "$img"
mount -o loop "$img" "$mnt"
tree "$mnt/tree" 6 40
# a file of 300 blocks with every other block punched out: 150 extents,
# more than the inode holds, so its extents live in a bmbt
awk 'BEGIN { for (i = 0; i < 300 * 4096 / 32; i++) printf "frag %025d\n", i }' >"$mnt/fragmented"
sync
k=1; while [ $k -lt 300 ]; do fallocate -p -o $((k * 4096)) -l 4096 "$mnt/fragmented"; k=$((k + 2)); done
# preallocated, never written: unwritten extents
fallocate -l 256K "$mnt/prealloc"
# sparse: two written blocks far apart
printf 'sparse head\n' >"$mnt/sparse"
printf 'sparse tail\n' | dd of="$mnt/sparse" bs=4096 seek=1000 conv=notrunc 2>/dev/null
# a reflinked copy (where the filesystem can share blocks)
awk 'BEGIN { for (i = 0; i < 8192; i++) printf "shared line %024d\n", i }' >"$mnt/original"
if [ "$flavour" = rmap ]; then
	cp --reflink=always "$mnt/original" "$mnt/reflinked"
fi
# a large directory: node form (leaf blocks beyond one block)
mkdir "$mnt/big"
awk -v d="$mnt/big" 'BEGIN { for (i = 0; i < 1500; i++) {
	f = sprintf("%s/entry-with-a-long-name-to-fill-blocks-%05d", d, i)
	printf "%d\n", i > f; close(f) } }'
# symlinks: short (in the inode) and long (a block of its own)
ln -s tree/dir1/file-1-1.txt "$mnt/short-link"
ln -s "$(awk 'BEGIN { for (i = 0; i < 60; i++) printf "long-target-%03d/", i }')end" "$mnt/long-link"
# hard links
ln "$mnt/tree/dir2/file-2-3.txt" "$mnt/hardlink-a"
ln "$mnt/tree/dir2/file-2-3.txt" "$mnt/tree/dir3/hardlink-b"
# attributes too large for the inode: an attribute fork with a block
printf 'with attributes\n' >"$mnt/xattrs"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.big", b"v" * 3000)' "$mnt/xattrs"
umount "$mnt"
xz -9 -k -T1 "$img"
ls -ls "$img" "$img.xz"
