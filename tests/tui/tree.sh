#!/bin/sh
# The tree of the stack (t): every partition sfdisk lists, with its start,
# size, type and label as sfdisk gives them; each filesystem's size and
# free space as dumpe2fs gives them; each LV's size and each VG's extents
# as lvs and pvs gave them when the image was made.  Selecting a line moves
# the map to that owner's first byte, Enter enters its space, Esc and q
# close; the tree fits and follows resizes down to 50x12.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires sfdisk dumpe2fs
[ -x "$DA" ] || fail "diskatlas is not built"
PATH="$PATH:/sbin:/usr/sbin"

# rows: the tree's lines between the titles and the rule
rows() { screen | awk 'NR == 2 && /^NAME/ { on = 1; next } on && /^──|^--/ { exit } on'; }
# the detail under the rule, joined into one line
detail() { screen | awk '/^──|^--/ { on = 1; next } on && NR < n' n="$TUI_H" | head -2 | tr '\n' ' ' | tr -s ' ' | sed 's/ $//'; }
# select ROW_REGEX: Home, then Down until the selected row matches
select_row() {
	keys Home
	n=$(rows | grep -n -m1 -E -- "$1" | cut -d: -f1)
	[ -n "$n" ] || fail "no tree row matches '$1': $(rows)"
	k=1
	while [ "$k" -lt "$n" ]; do keys Down; k=$((k + 1)); done
}
# select_detail REGEX: Home, then Down until the detail matches (the row
# may be off screen: the list scrolls)
select_detail() {
	keys Home
	k=0
	until detail | grep -Eq -- "$1"; do
		k=$((k + 1))
		[ $k -lt 40 ] || fail "no tree row's detail matches '$1'"
		keys Down
	done
}

xz -dc "$TOP/docs/samples/sample.img.xz" | cp --sparse=always /dev/stdin "$T/sample.img"
IMG="$T/sample.img"
tui_start "$IMG"
wait_indexed
keys t
wait_for '^NAME +TYPE +START +SIZE' || fail "t shows no tree: $(screen)"

# partitions against sfdisk
sfdisk --json "$IMG" >"$T/sf.json"
np=$(jq '.partitiontable.partitions | length' "$T/sf.json")
[ "$np" -eq 4 ] || fail "sfdisk lists $np partitions"
i=0
while [ $i -lt "$np" ]; do
	set -- $(jq -r ".partitiontable.partitions[$i] | \"\\(.start) \\(.size) \\(.type)\"" "$T/sf.json")
	start=$1 size=$2 type=$3
	name=$(jq -r ".partitiontable.partitions[$i].name" "$T/sf.json")
	p=p$((i + 1))
	select_row "^ +$p +part "
	d=$(detail)
	want="part $p: start $((start * 512)) (sector $start), size $((size * 512)) B ($size sectors), type $type"
	case $d in "$want"*) ;; *) fail "$p: the tree says
$d
sfdisk says
$want" ;; esac
	case $d in *", label $name") ;; *) fail "$p: label is not '$name': $d" ;; esac
	# the map follows: the title's cursor is the partition's first byte
	off=$(screen | head -1 | sed -n 's/.*@ 0x\([0-9a-f]*\).*/\1/p')
	check_eq "$p: map cursor" "$((0x$off))" "$((start * 512))"
	echo "ok: $p at sector $start, $size sectors, $type, \"$name\""
	i=$((i + 1))
done

# a click selects a line: p2's (the rows start on the third line)
n=$(rows | grep -n -m1 -E '^ +p2 +part ' | cut -d: -f1)
tmux_ send-keys -l "$(printf '\033[<0;5;%dM\033[<0;5;%dm' $((n + 2)) $((n + 2)))"
sleep 0.3
case $(detail) in "part p2: "*) echo "ok: a click selects p2" ;; *) fail "a click on p2's line: $(detail)" ;; esac

# ext4 of p2 against dumpe2fs
set -- $(jq -r '.partitiontable.partitions[1] | "\(.start) \(.size)"' "$T/sf.json")
dd if="$IMG" of="$T/p2" bs=512 skip="$1" count="$2" status=none
dumpe2fs -h "$T/p2" 2>/dev/null >"$T/dump"
bc=$(sed -n 's/^Block count: *//p' "$T/dump")
fb=$(sed -n 's/^Free blocks: *//p' "$T/dump")
bs=$(sed -n 's/^Block size: *//p' "$T/dump")
lab=$(sed -n 's/^Filesystem volume name: *//p' "$T/dump")
select_row '^ +ext4 +fs .* root '
want="ext4 \"$lab\": $bc blocks of $bs B = $((bc * bs)) B; free $fb blocks = $((fb * bs)) B"
case $(detail) in "$want"*) ;; *) fail "p2's ext4: the tree says
$(detail)
dumpe2fs says
$want" ;; esac
echo "ok: $want"

# Enter on the LV's filesystem enters its space
select_row '^ +ext4 +fs .* data '
keys Enter
wait_for 'view vault/data:ext4' || fail "Enter did not enter vault/data: $(screen | head -1)"
screen | grep -q '^NAME ' && fail "the tree stayed open after Enter"
echo "ok: Enter enters vault/data:ext4"

# in that view the tree opens on the view's filesystem; the LV above it
# keeps the view (its byte 0 is there); p1 goes back to the disk view;
# Esc and q close
keys t
wait_for '^NAME ' || fail "t did not reopen the tree"
keys Up
case $(detail) in "lv vault/data: "*) ;; *) fail "Up from the view's filesystem is not its LV: $(detail)" ;; esac
screen | head -1 | grep -q 'view vault/data:ext4 .*@ 0x0 ' ||
	fail "selecting the LV left its view: $(screen | head -1)"
select_row '^ +p1 +part '
screen | head -1 | grep -q 'view sample.img .*@ 0x100000 ' ||
	fail "selecting p1 did not go to the disk at 1 MiB: $(screen | head -1)"
keys Escape
sleep 0.2
screen | grep -q '^NAME ' && fail "Esc did not close the tree"
keys t; wait_for '^NAME ' || fail "t did not reopen the tree"
keys q
sleep 0.2
screen | grep -q '^NAME ' && fail "q did not close the tree"
screen | grep -q '^EXIT=' && fail "q in the tree quit the explorer"
echo "ok: the map follows the selection; Esc and q close the tree"

# small terminals: titles, the selected line and its numbers
keys t; wait_for '^NAME ' || fail "t did not reopen the tree"
for size in 80x24 50x12; do
	tmux_ resize-window -x "${size%x*}" -y "${size#*x}"
	sleep 0.4
	TUI_H=${size#*x}
	select_detail '^part p4: '
	screen | sed -n 2p | grep -Eq '^NAME +TYPE +START +SIZE' ||
		fail "$size: no column titles: $(screen)"
	rows | grep -q '^ *p4 ' || fail "$size: the selected row is not on screen: $(screen)"
	detail | grep -q '^part p4: start 185597952' || fail "$size: no detail: $(screen)"
	[ "$(screen | wc -L)" -le "${size%x*}" ] ||
		fail "$size: lines wider than the terminal"
	keys End
	rows | grep . | tail -1 | grep -q 'swap' || fail "$size: End does not show the last row: $(screen)"
	echo "ok: $size"
done
tui_stop

# LVs and the VG of lvm-gpt against the lvs and pvs reports made with it
TUI_H=40
need_image lvm-gpt
tui_start "$IMG"
wait_indexed
keys t
wait_for '^NAME ' || fail "t shows no tree on lvm-gpt"
for lv in $(jq -r '.report[0].seg[].lv_name' "$IMAGES/lvm-gpt.lvs.json" | sort -u); do
	size=$(jq -r ".report[0].seg[] | select(.lv_name == \"$lv\") | .lv_size" "$IMAGES/lvm-gpt.lvs.json" | head -1)
	nseg=$(jq -r ".report[0].seg[] | select(.lv_name == \"$lv\") | .lv_name" "$IMAGES/lvm-gpt.lvs.json" | wc -l)
	select_row "^ +$lv +lv "
	want="lv atlas/$lv: ${size%B} B in $nseg segment"
	case $(detail) in "$want"*) ;; *) fail "$lv: the tree says '$(detail)', lvs says '$want'" ;; esac
	echo "ok: $want"
done
set -- $(jq -r '.report[0].pv[0] | "\(.pv_pe_count) \(.pv_pe_alloc_count) \(.vg_extent_size)"' "$IMAGES/lvm-gpt.pvs.json")
select_row '^atlas +vg '
want="VG atlas: 1 PV, $1 PE of ${3%B} B = $(($1 * ${3%B})) B, $2 allocated, $(($1 - $2)) free"
check_eq "VG atlas" "$(detail)" "$want"
echo "ok: $want"
