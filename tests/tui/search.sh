#!/bin/sh
# Search that finds all, on the sample disk (docs/samples): `/` counts
# every match in every filesystem (a substring reaches app10..app19 too),
# n visits each one and wraps, the match list shows them, FAT matches
# without case and ext with it, globs match names, owners are found by
# label, and a match outside the view says which view it switches to.
# The chosen file's cells are highlighted on the map, in the disk view and
# in the filesystem's view, exactly where debugfs puts its blocks (the
# partition's start from sfdisk), with its extent count and largest gap.
# Ground truth: sfdisk, debugfs (rdump, ex, blocks), mtools' mdir, blkid.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires sfdisk debugfs mkfs.ext4 mdir blkid python3 xz
[ -x "$DA" ] || fail "diskatlas is not built"
CELLS="python3 $TOP/tests/tui/cells.py"

IMG="$T/sample.img"
xz -dc "$TOP/docs/samples/sample.img.xz" | cp --sparse=always /dev/stdin "$IMG"

# the partitions by sfdisk: p1 the ESP (FAT), p2 root (ext4)
part() { sfdisk --json "$IMG" | jq -r ".partitiontable.partitions[$1] | \"\\(.start) \\(.size)\""; }
set -- $(part 0); dd if="$IMG" of="$T/esp.fs" bs=512 skip="$1" count="$2" status=none
set -- $(part 1); P2=$(($1 * 512))
dd if="$IMG" of="$T/root.fs" bs=512 skip="$1" count="$2" conv=sparse status=none
BS=$(dumpe2fs -h "$T/root.fs" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
# the LV's ext4 (its mapping is checked against pvck by the tutorial's test)
lvsize=$("$DA" --list --json "$IMG" | jq '.volumes[] | select(.name == "vault/data") | .size')
"$DA" --cat "vault/data:0+$lvsize" "$IMG" >"$T/data.fs"

# every path of each filesystem, as its own tools list it: debugfs rdump
# for ext (files and directories), mdir for FAT
for fs in root data; do
	mkdir "$T/$fs"
	debugfs -R "rdump / $T/$fs" "$T/$fs.fs" >/dev/null 2>&1
	(cd "$T/$fs" && find . -mindepth 1 | sed 's|^\.||') >"$T/$fs.paths"
	[ -s "$T/$fs.paths" ] || fail "debugfs rdump gave no files for $fs"
done
mdir -/ -b -i "$T/esp.fs" ::/ | sed 's|^::||; s|/$||' >"$T/esp.paths"
[ -s "$T/esp.paths" ] || fail "mdir lists nothing on the ESP"

# want_count SUBSTRING: paths holding it, ext with case, FAT without
want_count() {
	a=$(cat "$T/root.paths" "$T/data.paths" | grep -cF -- "$1" || true)
	b=$(grep -ciF -- "$1" "$T/esp.paths" || true)
	echo $((a + b))
}
# want_glob GLOB: names that match, as find -name (ext) and -iname (FAT)
want_glob() {
	a=$( (cd "$T/root" && find . -mindepth 1 -name "$1"; cd "$T/data" && find . -mindepth 1 -name "$1") | wc -l)
	mkdir -p "$T/espdump"
	[ -n "$(ls -A "$T/espdump")" ] || mcopy -s -n -i "$T/esp.fs" ::/ "$T/espdump/" 2>/dev/null
	b=$(cd "$T/espdump" && find . -mindepth 1 -iname "$1" | wc -l)
	echo $((a + b))
}
status() { screen | tail -1; }
search() { keys /; typed "$1"; keys Enter; }

tui_start "$IMG"
wait_indexed
keys n
status | grep -q "no search yet" || fail "n before any search: $(status)"

# ---- /app1: every match counted, n through each, then around ----
want=$(want_count /app1)
[ "$want" -ge 11 ] || fail "debugfs finds only $want paths with /app1"
search /app1
status | grep -q "^ $want matches" || fail "/app1: want '$want matches': $(status)"
grep -F /app1 "$T/root.paths" "$T/data.paths" | sed 's/^[^:]*://' | sort >"$T/want.app1"
: >"$T/got.app1"
k=1
while [ $k -le "$want" ]; do
	line=$(status)
	p=$(echo "$line" | sed -n "s|.*match $k/$want: \([^ ,]*\).*|\1|p")
	[ -n "$p" ] || fail "/app1: match $k/$want not in the status: $line"
	echo "$p" >>"$T/got.app1"
	# the cursor is on that file: the side pane says so
	side_paths | grep -qxF "$p" || fail "/app1: at match $k the side pane does not show $p: $(side_paths)"
	keys n
	k=$((k + 1))
done
status | grep -q "wrapped to the first.*match 1/$want" || fail "n after the last match: $(status)"
keys N
status | grep -q "wrapped to the last.*match $want/$want" || fail "N before the first match: $(status)"
sort "$T/got.app1" >"$T/got.sorted"
cmp -s "$T/want.app1" "$T/got.sorted" || fail "/app1: n visited
$(cat "$T/got.sorted")
but debugfs has
$(cat "$T/want.app1")"
echo "ok: /app1 finds $want files and n visits each ($(tr '\n' ' ' <"$T/got.sorted"))"

# the list: a line for each, with size, extents, filesystem and layer
keys M
screen | grep -q "$want matches for '/app1'" || fail "M: no list: $(screen)"
for p in $(head -3 "$T/want.app1"); do
	screen | grep -F " $p " | grep -q "root (ext4)" || fail "M: $p has no line with its filesystem: $(screen)"
done
keys Home Down Enter
status | grep -q "match 2/$want" || fail "Enter in the list: $(status)"
echo "ok: M lists the matches and Enter goes to one"

# ---- FAT without case, ext with it; globs match names ----
want=$(want_count readme)
search readme
status | grep -q "^ $want match" || fail "readme: want $want matches (FAT README.TXT without case, ext README* with it): $(status)"
status | grep -q "/README.TXT" || fail "readme: the FAT file is not the match: $(status)"
side | grep -q "filesystem ESP" || fail "readme: the cursor is not in the ESP: $(side)"
echo "ok: readme finds $want (the ESP's /README.TXT, no ext README*)"
for g in '*.txt' 'app1?.log' '*.TXT'; do
	want=$(want_glob "$g")
	search "$g"
	status | grep -q "^ $want match" || fail "$g: want $want matches: $(status)"
	echo "ok: $g finds $want"
done

# ---- owners: a filesystem by its label, a partition by its name ----
label=$(blkid -o value -s LABEL "$T/esp.fs")
search "$label"
status | grep -q "filesystem $label" || fail "/$label: the filesystem is not the first match: $(status)"
pname=$(sfdisk --json "$IMG" | jq -r '.partitiontable.partitions[3].name')
search "$pname"
keys M
screen | grep -q "partition p4 ($pname)" || fail "/$pname: partition p4 not listed by its name: $(screen)"
keys Escape
echo "ok: owners by label ($label) and partition name ($pname)"

# ---- the highlight: chapter37.txt in two extents ----
f=/home/user/docs/chapter37.txt
debugfs -R "ex $f" "$T/root.fs" 2>/dev/null | awk 'NF >= 9 && $1 ~ /\// { print $8, $11 }' >"$T/ext"
next=$(wc -l <"$T/ext")
[ "$next" -ge 2 ] || fail "debugfs ex: $f has $next extents"
gap=$(awk 'NR > 1 { g = $1 - end - 1; if (g > m) m = g } { end = $1 + $2 - 1 } END { print m }' "$T/ext")
gapk=$((gap * BS / 1024))
debugfs -R "blocks $f" "$T/root.fs" 2>/dev/null | tr ' ' '\n' | grep . >"$T/blocks"
search chapter37.txt
status | grep -q "$next extents, .*largest gap $gapk KiB" || fail "$f: want $next extents, largest gap $gapk KiB: $(status)"
echo "ok: $f: $next extents, largest gap $gapk KiB as debugfs ex says"

# check_marks WHAT BASE: the marked cells are the cells of the file's
# blocks at byte BASE + block * BS of the view (the cursor's cell, drawn
# as the cursor, is left out of both)
check_marks() {
	screen_e | $CELLS screen >"$T/cells"
	read -r w h <"$T/cells"
	cell=$(side | sed -n 's/^cell .* = \([0-9]*\) B$/\1/p' | head -1)
	cur=$(cursor_offset)
	[ -n "$cell" ] && [ -n "$cur" ] || fail "$1: no cell size or offset on screen: $(side)"
	set -- "$1" $(awk '$3 == "cursor" { print $1, $2 }' "$T/cells")
	[ $# -eq 3 ] || fail "$1: no cursor on the map"
	top=$(( cur / cell / w - $2 ))
	awk -v b="$BASE" -v bs="$BS" '{ print b + $1 * bs, bs }' "$T/blocks" |
		$CELLS expect "$cell" "$top" "$w" "$h" |
		awk -v r="$2" -v c="$3" '!($1 == r && $2 == c)' | sort >"$T/want.cells"
	awk '$3 == "mark" { print $1, $2 }' "$T/cells" | sort >"$T/got.cells"
	[ -s "$T/want.cells" ] || fail "$1: the file has no cell on screen"
	cmp -s "$T/want.cells" "$T/got.cells" || fail "$1: cells highlighted
$(tr '\n' ';' <"$T/got.cells")
but the blocks debugfs gives are in
$(tr '\n' ';' <"$T/want.cells")"
	echo "ok: $1: $(wc -l <"$T/got.cells") cells highlighted (1 cell = $cell B), as debugfs blocks say"
}
keys + + + + + +
BASE=$P2
check_marks "disk view"
keys Enter
screen | head -1 | grep -q "ext4" || fail "Enter did not go into the filesystem: $(screen | head -1)"
keys + + + + + +
BASE=0
check_marks "filesystem view"
# Esc drops the highlight
keys Escape
screen_e | $CELLS screen | grep -q mark && fail "Esc left cells highlighted"
echo "ok: Esc drops the highlight"

# without colours the highlight is an underline, on the same cells
tui_stop
tui_start "$IMG" NO_COLOR=1
wait_indexed
search chapter37.txt
keys + + + + + +
BASE=$P2
check_marks "disk view without colours"

# ---- a match outside the view says which view it switches to ----
keys BSpace
set -- $(part 3)
keys g; typed "$(($1 * 512 + 4 * 1048576))"; keys Enter Enter
screen | head -1 | grep -q "vault/data" || fail "did not go into vault/data: $(screen | head -1)"
search /app1
status | grep -q "switched to view sample.img" || fail "a match outside vault/data: $(status)"
screen | head -1 | grep -q "view sample.img " || fail "the view did not switch: $(screen | head -1)"
echo "ok: a match outside the view says it switches to sample.img"

# patterns that are not globs, or too long: answered, never a crash
search '['
status | grep -q "no owner or file matches '\['" || fail "/[: $(status)"
search "$(printf 'x%.0s' $(seq 1 300))"
status | grep -q "no owner or file matches 'xxx" || fail "a 300-character pattern: $(status)"
search '*'
status | grep -Eq "^ [0-9]+ matches" || fail "/*: $(status)"
keys M End Enter
status | grep -Eq "match ([0-9]+)/\1" || fail "M End Enter: not the last match: $(status)"
echo "ok: [, a 300-character pattern and * are answered"

keys q
wait_for 'EXIT=0' || fail "q did not exit 0: $(screen | tail -3)"

# names from the image are shown, never obeyed: a file named with an
# escape sequence and a newline, searched and listed
tui_stop
mkdir "$T/evil"
printf 'x\n' >"$T/evil/$(printf 'evil\033[31mred.txt')"
printf 'y\n' >"$T/evil/$(printf 'evil\nline.txt')"
truncate -s 4M "$T/evil.img"
mkfs.ext4 -q -F -d "$T/evil" "$T/evil.img"
tui_start "$T/evil.img"
wait_indexed
search evil
status | grep -q "^ 2 matches" || fail "/evil on names with control characters: $(status)"
keys M
screen | grep -qF "/evil?[31mred.txt" || fail "the escape sequence was not shown as text: $(screen)"
screen | grep -qF "/evil?line.txt" || fail "the newline was not shown as text: $(screen)"
keys Escape q
echo "ok: names with an escape sequence and a newline are searched and shown as text"

# the search's memory: every match, the list, the highlight, freed on the
# way out (line mode, under valgrind, when it can run)
if command -v valgrind >/dev/null 2>&1 && ! ldd "$DA" 2>/dev/null | grep -q libasan; then
	printf '/app1\nnnN\nM\n\n/vault\ne\nq\n' | TERM=dumb valgrind -q --leak-check=full \
		--show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
		"$DA" "$IMG" >"$T/line.out" 2>"$T/vg" || { cat "$T/vg"; fail "search in line mode under valgrind"; }
	grep -q "11 matches for 'app1'" "$T/line.out" || fail "line mode: no match list: $(tail -5 "$T/line.out")"
	echo "ok: search in line mode, clean under valgrind"
fi
