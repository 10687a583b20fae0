#!/bin/sh
# Seeds for ext's metadata by arithmetic and its lazily read bitmaps:
# small filesystems made by mkfs.ext4 in the layouts the committed images
# lack (flex groups of 1 and of more than the groups, no flex_bg without
# sparse_super, sparse_super2, meta_bg (whole, and cut short in its second
# meta group), bigalloc, one grown by resize2fs, 4 KiB blocks, one cut short
# of its last groups), and copies whose descriptors debugfs changed so that
# an inode bitmap or an inode table overlaps other metadata.
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
# bigalloc over several groups, one BLOCK_UNINIT (its bitmap made, not read)
m bigalloc-groups 4M -O bigalloc -C 2048 -g 512
m grown 2M -g 1024 -G 4
# descriptors checksummed with crc16 (uninit_bg without metadata_csum), in
# the 32-byte form too; and a copy whose group 1 checksum is wrong
m crc16 4M -g 1024 -O ^metadata_csum,uninit_bg
m crc16-32 4M -g 1024 -O ^64bit,^metadata_csum,uninit_bg
if command -v debugfs >/dev/null 2>&1 && [ -f "$out/ext-layout-crc16" ]; then
	cp "$out/ext-layout-crc16" "$out/ext-layout-crc16-bad"
	debugfs -w -R "set_bg 1 checksum 0x1234" "$out/ext-layout-crc16-bad" >/dev/null 2>&1 || true
fi
# meta_bg over two meta groups, cut in the middle: the second one's
# descriptor block lies past the end (the descriptor reader's refusal)
m metabgcut 8M -g 256 -N 64 -O meta_bg,^resize_inode
[ -f "$out/ext-layout-metabgcut" ] && truncate -s 4M "$out/ext-layout-metabgcut"
if command -v resize2fs >/dev/null 2>&1 && [ -f "$out/ext-layout-grown" ]; then
	resize2fs -f "$out/ext-layout-grown" 4M >/dev/null 2>&1 || rm -f "$out/ext-layout-grown"
fi
m block4k 4M -b 4096 -N 128
# made 8 MiB, cut to 3 MiB: the last groups are not on the image
m cut 8M -g 1024 -G 2
if [ -f "$out/ext-layout-cut" ]; then
	head -c 3M "$out/ext-layout-cut" >"$out/ext-layout-cut.tmp"
	mv "$out/ext-layout-cut.tmp" "$out/ext-layout-cut"
fi
# overlapping metadata, from the flex1 layout (each group's own)
command -v debugfs >/dev/null 2>&1 && [ -f "$out/ext-layout-flex1" ] || exit 0
overlap() {   # overlap NAME DEBUGFS-COMMAND...
	n=$1
	shift
	cp "$out/ext-layout-flex1" "$out/ext-layout-$n"
	printf '%s\n' "$@" "set_bg 1 checksum calc" >"$out/ext-layout-$n.cmds"
	debugfs -w -f "$out/ext-layout-$n.cmds" "$out/ext-layout-$n" >/dev/null 2>&1 || true
	rm -f "$out/ext-layout-$n.cmds"
}
ib=$(debugfs -R "stats" "$out/ext-layout-flex1" 2>/dev/null |
	sed -n 's/.*block bitmap at \([0-9]*\).*/\1/p' | sed -n 2p)
it=$(debugfs -R "stats" "$out/ext-layout-flex1" 2>/dev/null |
	sed -n 's/.*inode table at \([0-9]*\).*/\1/p' | sed -n 2p)
[ -n "$ib" ] && [ -n "$it" ] || exit 0
overlap ibitmap-on-bbitmap "set_bg 1 inode_bitmap $ib"
overlap itable-on-bbitmap "set_bg 1 inode_table $ib"
overlap bbitmap-on-itable "set_bg 1 block_bitmap $((it + 1))"
