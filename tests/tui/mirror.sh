#!/bin/sh
# Two disks and a raid1 LV with a copy on each: [ and ] switch between the
# disks' views; a file's block found with g on the first disk shows the
# file and where its other copy is; inside the filesystem the side pane shows both copies, at the disk
# offsets lvs's extents give, each with the owners --lookup gives there.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires debugfs
[ -x "$DA" ] || fail "diskatlas is not built"
need_image lvm-raid1-a
B=$(image lvm-raid1-b)
lvs_truth="$IMAGES/lvm-raid1.lvs.json"; pvs_truth="$IMAGES/lvm-raid1.pvs.json"
ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$pvs_truth")
# leg N: "DISK BYTE" where the raid image's first extent is
leg() {
	r=$(jq -r --arg n "[both_rimage_$1]" '.report[0].seg[] | select(.lv_name == $n) | .seg_pe_ranges' "$lvs_truth")
	where=${r%%:*}; pe=${r#*:}; pe=${pe%%-*}
	pes=$(jq -r --arg w "$where" '.report[0].pv[] | select(.pv_name == $w) | .pe_start | rtrimstr("B")' "$pvs_truth")
	echo "${where%@*} $((${where#*@} + pes + pe * ext))"
}
set -- $(leg 0); da=$1 base0=$2
set -- $(leg 1); db=$1 base1=$2
check_eq "leg disks" "$da $db" "lvm-raid1-a.img lvm-raid1-b.img"
# a block of a file, from debugfs on the first copy
dd if="$IMG" of="$T/copy.fs" bs=64K iflag=skip_bytes,count_bytes skip="$base0" \
	count=$((12 * ext)) conv=sparse status=none
file=/docs/old/numbers
blk=$(debugfs -R "blocks $file" "$T/copy.fs" 2>/dev/null | awk '{ print $2 }')
bs=$(dumpe2fs -h "$T/copy.fs" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
[ -n "$blk" ] && [ -n "$bs" ] || fail "debugfs finds no block of $file"
o=$((blk * bs))
echo "$file block $blk: LV offset $o, disk bytes $((base0 + o)) and $((base1 + o))"

owners_at() {  # DISK:OFF, as side_owners prints them
	"$DA" --lookup "$1" --json "$IMG" "$B" | jq -r '.owners[] | "\(.kind) \(.name) \(.offset)"'
}

TUI_MORE="'$B'" tui_start "$IMG"
wait_indexed
screen | head -1 | grep -q 'view lvm-raid1-a.img .*\[lvm-raid1-a.img .*\] lvm-raid1-b.img' ||
	fail "the title does not show both disks: $(screen | head -1)"
keys ']'
wait_for '^ diskatlas .*view lvm-raid1-b.img ' || fail "] did not switch disks: $(screen | head -1)"
keys j j l
check_eq "side pane on the second disk" "$(side_owners)" "$(owners_at "lvm-raid1-b.img:$(cursor_offset)")"
keys '['
wait_for '^ diskatlas .*view lvm-raid1-a.img ' || fail "[ did not switch back: $(screen | head -1)"

keys g; typed "$((base0 + o))"; keys Enter
check_eq "g to $file" "$(cursor_offset)" "$((base0 + o))"
side_paths | grep -qxF "$file" || fail "g does not show $file: $(side)"
check_eq "owners at $file" "$(side_owners)" "$(owners_at "lvm-raid1-a.img:$((base0 + o))")"
# the disk view names the other copy under the LV
side | grep -qx "   - lvm-raid1-b.img @ $(printf '0x%x' $((base1 + o)))" ||
	fail "the disk view does not name the copy on lvm-raid1-b.img: $(side)"
keys Enter
wait_for 'view mirrored/both' || fail "Enter did not go into the filesystem: $(screen | head -1)"
# the roles explained and both copies' chains: room for all of it
tmux_ resize-window -x 120 -y 60
sleep 0.3
check_eq "filesystem offset" "$(cursor_offset)" "$o"
# both copies: "copy on DISK @ 0xHEX" then "   (DECIMAL)"
copies=$(side | awk '/^copy on / { d = $3; getline; gsub(/[ ()]/, ""); print d, $0 }')
check_eq "copies of block $blk" "$copies" "lvm-raid1-a.img $((base0 + o))
lvm-raid1-b.img $((base1 + o))"
# the second copy's owners, as --lookup gives them
got=$(side | awk '/^copy on lvm-raid1-b.img/ { on = 1; next } on' | awk '
	/^owners, outermost first:/ { on = 1; next }
	on && /^[0-9]+\. / { kind = $2; name = $0; sub(/^[0-9]+\. [^ ]+ /, "", name); next }
	on && /^   @ [0-9]+/ { print kind, name, $2; next }
	on && /^$/ { exit }')
check_eq "owners of the second copy" "$got" "$(owners_at "lvm-raid1-b.img:$((base1 + o))")"
keys BSpace
wait_for 'view lvm-raid1-a.img ' || fail "Backspace did not return"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
