#!/bin/sh
# The tree and the bytes on hostile images (tests/images/hostile.py), all
# open at once: GPTs that hold themselves 128 times, sizes past 2^63,
# names with control characters, LVM metadata that lies, EBR loops, short
# swap areas, FAT geometry out of range.  Walking the whole tree (each
# line moves the map), entering lines, and scrolling the bytes of every
# disk from its first to its last byte leave the explorer running, with
# every line within the terminal and no control character on screen.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires python3
[ -x "$DA" ] || fail "diskatlas is not built"
set -- gpt-self128 gpt-huge gpt-names gpt-backup-only lvm-many lvm-dup \
	lvm-mda-outside lvm-segments mbr-ebr-loop mbr-tree swap-short \
	fat-bps fat32-rootcluster self4
python3 "$IMAGES/hostile.py" "$T" "$@"
first=$1; shift
TUI_MORE=""
for n in "$@"; do TUI_MORE="$TUI_MORE $T/$n.img"; done
ndisks=$(($# + 1))

alive() {
	screen | grep -q '^EXIT=' && fail "$1: the explorer exited: $(screen | grep EXIT=)"
	screen | head -1 | grep -q . || fail "$1: nothing on screen"
	[ "$(screen | wc -L)" -le "$TUI_W" ] || fail "$1: lines wider than the terminal"
	! screen | tr -d '\n' | grep -q '[[:cntrl:]]' || fail "$1: a control character on screen"
}

tui_start "$T/$first.img"
wait_for 'legend' || fail "no map: $(screen)"
keys t
wait_for '^NAME ' || fail "t shows no tree: $(screen)"
rows=$(screen | grep -c .)
for k in End PPage PPage Home; do keys $k; alive "tree $k"; done
i=0
while [ $i -lt 40 ]; do keys Down; i=$((i + 1)); done
alive "tree: 40 lines down"
keys Enter
alive "Enter on a tree line"
keys t End Enter
alive "Enter on the last tree line"
echo "ok: the tree of $ndisks hostile disks ($rows lines on screen)"

d=0
while [ $d -lt "$ndisks" ]; do
	keys Home x
	wait_for '^bytes of ' || fail "disk $d: x shows no bytes: $(screen)"
	for k in NPage Down Right Right Right End PPage Up Left Home; do keys $k; done
	alive "bytes of disk $d"
	keys Escape ']'
	d=$((d + 1))
done
echo "ok: the bytes of every disk, first to last"
# quits with status 1: the truncated images are the machine's problems
keys q
wait_for '^EXIT=1$' || fail "q did not quit with status 1: $(screen)"
screen | grep -q 'truncated image' || fail "no problem reported: $(screen)"
