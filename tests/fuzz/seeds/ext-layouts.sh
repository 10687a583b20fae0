#!/bin/sh
# Seeds for ext's metadata by arithmetic and its lazily read bitmaps:
# small filesystems made by mkfs.ext4 in the layouts the committed images
# lack (flex groups of 1 and of more than the groups, no flex_bg without
# sparse_super, sparse_super2, meta_bg (whole, and cut short in its second
# meta group), bigalloc, one grown by resize2fs).
# Usage: sh tests/fuzz/seeds/ext-layouts.sh DIR   (writes DIR/ext-layout-*)
set -eu
out=$1
command -v mkfs.ext4 >/dev/null 2>&1 || exit 0
m() {
	name=$1 size=$2
	shift 2
	rm -f "$out/ext-layout-$name"
	truncate -s "$size" "$out/ext-layout-$name"
	mkfs.ext4 -q -F -b 1024 "$@" "$out/ext-layout-$name" >/dev/null 2>&1 ||
		rm -f "$out/ext-layout-$name"
}
m flex1 4M -g 1024 -G 1
m flexbig 4M -g 1024 -G 1024
m nosparse 4M -g 1024 -O ^flex_bg,^sparse_super,^resize_inode
m sparse2 4M -g 1024 -O sparse_super2
m metabg 4M -g 1024 -O meta_bg,^resize_inode
m bigalloc 4M -O bigalloc -C 4096
m grown 2M -g 1024 -G 4
# meta_bg over two meta groups, cut in the middle: the second one's
# descriptor block lies past the end (the descriptor reader's refusal)
m metabgcut 8M -g 256 -N 64 -O meta_bg,^resize_inode
[ -f "$out/ext-layout-metabgcut" ] && truncate -s 4M "$out/ext-layout-metabgcut"
if command -v resize2fs >/dev/null 2>&1 && [ -f "$out/ext-layout-grown" ]; then
	resize2fs -f "$out/ext-layout-grown" 4M >/dev/null 2>&1 || rm -f "$out/ext-layout-grown"
fi
