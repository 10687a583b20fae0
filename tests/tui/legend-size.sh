#!/bin/sh
# The explorer's legend gives a mirrored filesystem its own size, not once
# a copy: md-esp's FAT32 (an md RAID1 over two disks) is the array's size
# (mdadm --examine) on each disk and inside the filesystem's view;
# lvm-raid1's ext4 is the raid1 LV's size (lvs) and the filesystem's
# (dumpe2fs on the --cat'd LV), as the side pane says it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xz sfdisk mdadm dumpe2fs
[ -x "$DA" ] || fail "diskatlas is not built"
# the legend's lines, left of the side pane
legend() { screen | sed 's/ *│.*//' | sed -n '/^legend:/,$p'; }
# owner NAME: the legend's size for the owner named NAME ("X on Y")
legend_owner() {
	legend | tr '\n' ' ' | grep -o "█ $1 [0-9.]* [KMGT]\{0,1\}i\{0,1\}B" |
		head -1 | sed "s|^█ $1 ||"
}

# md-esp
need_image md-esp-a
B=$(image md-esp-b)
start=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[0].start')
size=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[0].size')
dd if="$IMG" of="$T/p1" bs=512 skip="$start" count="$size" status=none
mdadm --examine "$T/p1" >"$T/ex" 2>&1 || fail "mdadm --examine: $(cat "$T/ex")"
kib=$(sed -n 's/^ *Array Size : \([0-9]*\) KiB.*/\1/p' "$T/ex")
[ -n "$kib" ] || fail "mdadm gives no array size: $(cat "$T/ex")"
want=$(human $((kib * 1024)))
TUI_MORE="'$B'" tui_start "$IMG"
wait_indexed
check_eq "md-esp-a: the FAT32's size in the legend" "$(legend_owner "MIRROR on esp")" "$want"
keys ']'
wait_for '^ diskatlas .*view md-esp-b.img ' || fail "] did not switch disks: $(screen | head -1)"
check_eq "md-esp-b: the FAT32's size in the legend" "$(legend_owner "MIRROR on esp")" "$want"
# into the filesystem's own view
keys g; typed "$(((start + 4096) * 512))"; keys Enter
keys Enter
wait_for 'view esp:fat32' || fail "Enter did not go into the FAT32: $(screen | head -1)"
check_eq "esp:fat32: the FAT32's size in the legend" "$(legend_owner "MIRROR on esp")" "$want"
echo "ok: md-esp's FAT32 is $want in the legend on each disk and in its view"
tui_stop

# lvm-raid1
need_image lvm-raid1-a
B=$(image lvm-raid1-b)
lv=$(jq -r '.report[0].seg[] | select(.lv_name == "both") | .lv_size | rtrimstr("B")' "$IMAGES/lvm-raid1.lvs.json")
"$DA" --cat "mirrored/both:0+$lv" "$IMG" "$B" >"$T/both" || fail "--cat mirrored/both"
dumpe2fs -h "$T/both" >"$T/dump" 2>/dev/null || fail "dumpe2fs cannot read mirrored/both"
fs=$(( $(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump") * \
       $(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump") ))
check_eq "the ext4 fills the LV" "$fs" "$lv"
want=$(human "$fs")
TUI_MORE="'$B'" tui_start "$IMG"
wait_indexed
check_eq "lvm-raid1-a: the ext4's size in the legend" "$(legend_owner "both on mirrored/both")" "$want"
keys ']'
wait_for '^ diskatlas .*view lvm-raid1-b.img ' || fail "] did not switch disks: $(screen | head -1)"
check_eq "lvm-raid1-b: the ext4's size in the legend" "$(legend_owner "both on mirrored/both")" "$want"
# the side pane, on the ext4, says the same size
keys '['
keys g; typed "$(( $("$DA" --lookup mirrored/both:0 --json "$IMG" "$B" | jq '.offset') + 4096 ))"; keys Enter
side | grep -q "^   ext4, $want" || fail "the side pane does not say ext4, $want: $(side)"
echo "ok: lvm-raid1's ext4 is $want in the legend on each disk, as the side pane says"
keys q
wait_for '^EXIT=0$' || fail "q"
