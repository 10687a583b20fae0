#!/bin/sh
# The explorer inside filesystems: `g` to a byte of a file shows the file's
# path (debugfs says which file owns the block); `/` with a file's name
# lands on a block that debugfs says belongs to a file of that name; Enter
# goes into the filesystem's space, zooming in ends at one block a cell, and
# the side pane agrees with --lookup throughout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires sfdisk debugfs dumpe2fs jq
[ -x "$DA" ] || fail "diskatlas is not built"

# first_ext IMG: "START_BYTES FSCOPY" of the first partition holding ext2/3/4
first_ext() {
	sfdisk --json "$1" | jq -r '.partitiontable.partitions[] | "\(.start) \(.size)"' |
	while read -r start size; do
		dd if="$1" of="$T/fs.img" bs=512 skip="$start" count="$size" conv=sparse status=none
		if dumpe2fs -h "$T/fs.img" >/dev/null 2>&1; then
			echo "$((start * 512))"
			return 0
		fi
	done
}

# a regular file with data blocks (not inline): "INODE PATH", breadth first
find_file() {
	dirs="/"
	depth=0
	while [ -n "$dirs" ] && [ $depth -lt 4 ]; do
		next=""
		for d in $dirs; do
			out=$(debugfs -R "ls -p $d" "$T/fs.img" 2>/dev/null) || continue
			f=$(echo "$out" | awk -F/ -v d="$d" 'NF >= 8 && $3 ~ /^100/ && $7 + 0 > 8192 && $6 !~ / / {
				p = (d == "/" ? "" : d) "/" $6; print $2, p; exit }')
			if [ -n "$f" ]; then echo "$f"; return 0; fi
			sub=$(echo "$out" | awk -F/ -v d="$d" 'NF >= 8 && $3 ~ /^40/ && $6 != "." && $6 != ".." && $6 != "lost+found" && $6 !~ / / {
				print (d == "/" ? "" : d) "/" $6 }')
			next="$next $sub"
		done
		dirs=$next
		depth=$((depth + 1))
	done
	return 1
}

# owner_of_block B: the path debugfs gives the file owning block B, or ""
owner_of_block() {
	ino=$(debugfs -R "icheck $1" "$T/fs.img" 2>/dev/null | awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $2 }')
	[ -n "$ino" ] || return 0
	debugfs -R "ncheck $ino" "$T/fs.img" 2>/dev/null | awk 'NR > 1 { print $2 }' | sed 's|//*|/|g' | head -1
}

for name in gpt-esp-ext4 mbr-ext; do
	echo "== $name"
	need_image "$name"
	part=$(first_ext "$IMG")
	[ -n "$part" ] || fail "$name: sfdisk and dumpe2fs find no ext filesystem"
	bs=$(dumpe2fs -h "$T/fs.img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
	set -- $(find_file) || true
	[ $# -eq 2 ] || fail "$name: debugfs finds no regular file with blocks"
	ino=$1 path=$2
	block=$(debugfs -R "blocks <$ino>" "$T/fs.img" 2>/dev/null | awk '{ print $1 }')
	[ -n "$block" ] || fail "$name: debugfs gives no block for $path"
	off=$((part + block * bs + 100))
	foff=$off   # the helpers in common.inc use $off themselves
	echo "file $path (inode $ino) block $block at disk offset $off"

	tui_start "$IMG"
	wait_indexed
	keys g; typed "$off"; keys Enter
	check_eq "$name: g $off" "$(cursor_offset)" "$off"
	side_paths | grep -qxF "$path" || fail "$name: g $off does not show $path: $(side)"
	side | grep -q "^   inode $ino\\b" || fail "$name: g $off does not show inode $ino: $(side)"
	check_side_vs_lookup "$name: in $path"

	# e: the next extent of the same file (debugfs says whose block it is)
	keys e
	off2=$(cursor_offset)
	if [ "$off2" = "$off" ]; then
		screen | tail -1 | grep -q 'no next extent' || fail "$name: e neither moved nor said why: $(screen | tail -1)"
	else
		p2=$(owner_of_block $(( (off2 - part) / bs )))
		check_eq "$name: e lands in" "$p2" "$path"
		echo "ok: e moved to $off2, still $path"
	fi

	# / with the file's name: lands on a block of a file of that name
	base=${path##*/}
	keys g; typed 0; keys Enter
	keys /; typed "$base"; keys Enter
	found=$(cursor_offset)
	[ "$found" != 0 ] || fail "$name: / $base did not move: $(screen | tail -1)"
	fblock=$(( (found - part) / bs ))
	fpath=$(owner_of_block "$fblock")
	case "$fpath" in
	*"$base"*) ;;
	*) fail "$name: / $base landed on block $fblock, which debugfs says is '$fpath'" ;;
	esac
	side_paths | grep -qF "$base" || fail "$name: / $base: the side pane shows no such path: $(side)"
	check_side_vs_lookup "$name: / $base"

	# into the filesystem's own space, then down to one block a cell
	keys g; typed "$foff"; keys Enter
	keys Enter
	wait_for 'view [^|]*:' || fail "$name: Enter did not go into the filesystem: $(screen | head -1)"
	fsoff=$(cursor_offset)
	check_eq "$name: offset in the filesystem" "$fsoff" $((foff - part))
	i=0
	while [ $i -lt 40 ]; do keys +; i=$((i + 1)); done
	hb=$(awk -v b="$bs" 'BEGIN { if (b >= 1024) printf "%d KiB", b / 1024; else printf "%d B", b }')
	screen | head -1 | grep -q "1 cell = $hb |" || fail "$name: deepest zoom is not one $bs-byte block: $(screen | head -1)"
	side | grep -q "^   block $block " || fail "$name: block $block not in the side pane: $(side)"
	# the side pane's disk location, and the owners there
	disk_off=$(side | sed -n 's/^   (\([0-9]*\))$/\1/p' | head -1)
	check_eq "$name: disk location of the block" "$disk_off" "$foff"
	got=$(side_owners)
	want=$(lookup_owners "$foff")
	[ "$got" = "$want" ] || fail "$name: in the filesystem view the owners are
$got
but --lookup $foff says
$want"
	keys Right
	fsoff2=$(cursor_offset)
	check_eq "$name: Right moves one block" "$fsoff2" $(( (fsoff / bs + 1) * bs ))

	# a cell of many blocks: how many files it holds, and the biggest,
	# against debugfs icheck over the same blocks
	keys Left
	i=0
	while [ $i -lt 4 ]; do keys -; i=$((i + 1)); done
	cellb=$(side | sed -n 's/^cell .* = \([0-9]*\) B$/\1/p' | head -1)
	from=$(side | sed -n 's/^   from 0x\([0-9a-f]*\)$/\1/p' | head -1)
	[ -n "$cellb" ] && [ -n "$from" ] || fail "$name: no cell range in the side pane: $(side)"
	b0=$(( 0x$from / bs )) b1=$(( (0x$from + cellb - 1) / bs ))
	[ $((b1 - b0 + 1)) -ge 4 ] || fail "$name: four zooms out still cover $((b1 - b0 + 1)) blocks"
	blist=$(seq $b0 $b1 | tr '\n' ' ')
	debugfs -R "icheck $blist" "$T/fs.img" 2>/dev/null |
		awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $2 }' | sort | uniq -c | sort -rn > "$T/hist"
	want_n=$(wc -l < "$T/hist")
	line=$(side | grep '^   files: ' | head -1)
	echo "cell blocks $b0-$b1: $line; debugfs: $want_n files"
	check_eq "$name: files in the cell" "$line" "   files: $want_n in $((b1 - b0 + 1)) blocks"
	top=$(side | sed -n '/^   files: /{n;p;}' | sed 's/^ *[0-9]*% //')
	most=$(awk 'NR == 1 { print $1 }' "$T/hist")
	ok=
	for ino in $(awk -v m="$most" '$1 == m { print $2 }' "$T/hist"); do
		p=$(debugfs -R "ncheck $ino" "$T/fs.img" 2>/dev/null | awk 'NR > 1 { print $2 }' | sed 's|//*|/|g' | head -1)
		[ "$p" = "$top" ] && ok=1
	done
	[ -n "$ok" ] || fail "$name: the cell's biggest file is '$top', debugfs says the most blocks ($most) belong to $(awk -v m="$most" '$1 == m { print $2 }' "$T/hist" | tr '\n' ' ')"
	pct=$(side | sed -n '/^   files: /{n;p;}' | sed 's/^ *\([0-9]*\)%.*/\1/')
	check_eq "$name: the biggest file's share" "$pct" $(( most * 100 / (b1 - b0 + 1) ))
	keys BSpace
	wait_for "view $(basename "$IMG") " || fail "$name: Backspace did not return: $(screen | head -1)"
	# at the disk byte of the block the cursor is on (Right, Left: the
	# block's first byte), not the byte it went in from
	check_eq "$name: back at the disk offset of the cursor's block" "$(cursor_offset)" $((part + fsoff / bs * bs))
	keys q
	wait_for '^EXIT=0$' || fail "$name: q"
	tui_stop
done
echo ok
