#!/bin/sh
# ext metadata placed by arithmetic (and by the whole table when a layout
# is off mke2fs's) over layouts the committed images do not have: flex
# groups of 1, 4 and more than the groups, no flex_bg, no sparse_super,
# sparse_super2, meta_bg, bigalloc, 1 KiB blocks, and a filesystem grown
# by resize2fs.  Every superblock, descriptor, reserved descriptor,
# bitmap and inode-table block dumpe2fs names must have its role, and
# sampled blocks must be free or in use as debugfs testb says (the block
# bitmaps read lazily, uninitialised groups made up as the kernel would).
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 dumpe2fs debugfs resize2fs jq

check() {  # NAME IMG
	name=$1 img=$2
	dumpe2fs "$img" >"$T/dump" 2>/dev/null || fail "$name: dumpe2fs"
	bs=$(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump")
	blocks=$(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump")
	# "BLOCK ROLE" from dumpe2fs's group lines: each range's first and
	# last block
	awk '
		function range(s, role,   a) {
			split(s, a, "-")
			print a[1] + 0, role
			if (a[2] != "") print a[2] + 0, role
		}
		/superblock at/ { s = $0; sub(/.*superblock at /, "", s); sub(/[,].*/, "", s); range(s, "superblock") }
		/Group descriptors? at/ { s = $0; sub(/.*Group descriptors? at /, "", s); sub(/[ ,].*/, "", s); range(s, "group_descriptors") }
		/Reserved GDT blocks at/ { s = $0; sub(/.*Reserved GDT blocks at /, "", s); sub(/[ ,].*/, "", s); range(s, "reserved_gdt") }
		/Block bitmap at/ { s = $0; sub(/.*Block bitmap at /, "", s); sub(/[ ,].*/, "", s); range(s, "block_bitmap") }
		/Inode bitmap at/ { s = $0; sub(/.*Inode bitmap at /, "", s); sub(/[ ,].*/, "", s); range(s, "inode_bitmap") }
		/Inode table at/ { s = $0; sub(/.*Inode table at /, "", s); sub(/[ ,].*/, "", s); range(s, "inode_table") }
	' "$T/dump" | sort -n -u -k1,1 >"$T/want"
	# the blocks before the primary superblock (block 1 with 1 KiB
	# blocks, bigalloc's included) hold the boot sector
	primary=$(sed -n 's/^ *Primary superblock at \([0-9]*\).*/\1/p' "$T/dump")
	[ -n "$primary" ] || fail "$name: no primary superblock in dumpe2fs"
	b=0; while [ "$b" -lt "$primary" ]; do echo "$b boot"; b=$((b + 1)); done >>"$T/want"
	sort -n -u -k1,1 -o "$T/want" "$T/want"
	[ "$(wc -l <"$T/want")" -gt 10 ] || fail "$name: too few metadata blocks from dumpe2fs"
	awk -v bs="$bs" '{ printf "%.0f\n", $1 * bs }' "$T/want" |
		"$DA" --lookup - --json "$img" | jq -r '.owners[-1] | "\(.block) \(.role)"' >"$T/got"
	diff "$T/want" "$T/got" >"$T/diff" || fail "$name: roles disagree with dumpe2fs: $(head -6 "$T/diff" | tr '\n' ' ')"
	# used or free: sampled blocks, every group's first and last
	awk -v n=300 -v b="$blocks" -v seed="$(printf %s "$name" | cksum | cut -d' ' -f1)" \
		'BEGIN { srand(seed); for (i = 0; i < n; i++) print 1 + int(rand() * (b - 1)) }' >"$T/blocks"
	sed -n 's/^Group [0-9]*: (Blocks \([0-9]*\)-\([0-9]*\)).*/\1\n\2/p' "$T/dump" >>"$T/blocks"
	sort -n -u "$T/blocks" | grep -v '^0$' >"$T/b"
	sed 's/^/testb /' "$T/b" >"$T/cmds"
	debugfs -f "$T/cmds" "$img" 2>/dev/null |
		sed -n 's/^Block \([0-9]*\) marked in use$/\1 used/p; s/^Block \([0-9]*\) not in use$/\1 free/p' >"$T/testb"
	[ "$(wc -l <"$T/testb")" -eq "$(wc -l <"$T/b")" ] || fail "$name: testb answered $(wc -l <"$T/testb") of $(wc -l <"$T/b")"
	awk -v bs="$bs" '{ printf "%.0f\n", $1 * bs }' "$T/b" | "$DA" --lookup - --json "$img" |
		jq -r '.owners[-1] | "\(.block) \(if .role == "free" then "free" else "used" end)"' >"$T/ours"
	diff "$T/testb" "$T/ours" >"$T/diff" || fail "$name: used/free disagree with testb: $(head -6 "$T/diff" | tr '\n' ' ')"
	echo "ok: $name: $(wc -l <"$T/want") metadata blocks, $(wc -l <"$T/b") used/free"
}

mkdir -p "$T/tree/a" "$T/tree/b"
for i in 1 2 3 4 5 6; do head -c $((i * 70000)) /dev/urandom >"$T/tree/a/f$i"; done
head -c 5000 /dev/urandom >"$T/tree/b/small"

make() {  # NAME SIZE MKFS-OPTIONS...
	name=$1 size=$2
	shift 2
	rm -f "$T/$name.img"
	truncate -s "$size" "$T/$name.img"
	mkfs.ext4 -q -F -d "$T/tree" "$@" "$T/$name.img" 2>"$T/mkfs.err" ||
		fail "$name: mkfs.ext4 $*: $(head -2 "$T/mkfs.err")"
	echo "$T/$name.img"
}

check flex16 "$(make flex16 96M -b 1024 -g 1024)"
check flex4 "$(make flex4 96M -b 1024 -g 1024 -G 4)"
check flex1 "$(make flex1 64M -b 1024 -g 1024 -G 1)"
check flexbig "$(make flexbig 64M -b 1024 -g 1024 -G 1024)"
check noflex "$(make noflex 64M -b 1024 -g 1024 -O ^flex_bg)"
check nosparse "$(make nosparse 32M -b 1024 -g 1024 -O ^flex_bg,^sparse_super,^resize_inode)"
check sparse2 "$(make sparse2 64M -b 1024 -g 1024 -O sparse_super2)"
check metabg "$(make metabg 96M -b 1024 -g 1024 -O meta_bg,^resize_inode)"
check bigalloc "$(make bigalloc 256M -b 1024 -O bigalloc -C 16384)"
check ext4k "$(make ext4k 600M -b 4096)"
img=$(make grown 48M -b 1024 -g 1024 -G 4)
resize2fs -f "$img" 120M >/dev/null 2>&1 || fail "resize2fs"
check grown "$img"
echo "ok: all"
