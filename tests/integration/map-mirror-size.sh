#!/bin/sh
# --map's legend gives a mirrored owner its own size, once, not once a copy:
# the FAT32 of md-esp (an md RAID1 over two disks) is the array's size as
# mdadm --examine gives it and fsck.fat reads it from the --cat'd array, on
# each disk; the ext4 of lvm-raid1's raid1 LV is the LV's size (lvs) and
# the filesystem's (dumpe2fs on the --cat'd LV), and the linear LV beside
# it is its own size too.
. "$(dirname "$0")/../lib.sh"
requires jq xz sfdisk mdadm fsck.fat dumpe2fs
# legend_size MAPFILE DISK "KIND NAME": the size the legend of DISK gives
legend_size() {
	awk -v disk="$2" -v want="$3" '
		$1 == disk && / 1 cell = / { on = 1; next }
		on && / 1 cell = / { exit }
		on && /^  [^ ]  / { l = $0; sub(/^  [^ ]  /, "", l)
			n = split(l, f, "  "); if (f[1] == want) print f[n] }' "$1"
}

# md-esp: a RAID1 of two ESPs
A=$(image md-esp-a); B=$(image md-esp-b)
start=$(sfdisk --json "$A" | jq '.partitiontable.partitions[0].start')
size=$(sfdisk --json "$A" | jq '.partitiontable.partitions[0].size')
dd if="$A" of="$T/p1" bs=512 skip="$start" count="$size" status=none
mdadm --examine "$T/p1" >"$T/ex" 2>&1 || fail "mdadm --examine: $(cat "$T/ex")"
kib=$(sed -n 's/^ *Array Size : \([0-9]*\) KiB.*/\1/p' "$T/ex")
[ -n "$kib" ] || fail "mdadm gives no array size: $(cat "$T/ex")"
array=$((kib * 1024))
"$DA" --cat "esp:0+$array" "$A" "$B" >"$T/esp" || fail "--cat esp"
fsck.fat -nv "$T/esp" >"$T/fsck" 2>&1 || fail "fsck.fat: $(cat "$T/fsck")"
sectors=$(sed -n 's/^ *\([0-9]*\) sectors total$/\1/p' "$T/fsck")
ss=$(sed -n 's/^ *\([0-9]*\) bytes per logical sector$/\1/p' "$T/fsck")
[ -n "$sectors" ] && [ -n "$ss" ] || fail "fsck.fat gives no size: $(cat "$T/fsck")"
fs=$((sectors * ss))
check_eq "the FAT32 fills the array" "$fs" "$array"
"$DA" --map --width 80 --height 8 "$A" "$B" >"$T/map" || fail "--map md-esp"
for d in md-esp-a.img md-esp-b.img; do
	check_eq "$d: legend size of the mirrored FAT32" \
		"$(legend_size "$T/map" "$d" "filesystem MIRROR")" "$(human "$fs")"
done
echo "ok: md-esp's FAT32 is $(human "$fs") in the legend of each disk ($fs bytes)"

# lvm-raid1: a raid1 LV across two disks and a linear one on the first
A=$(image lvm-raid1-a); B=$(image lvm-raid1-b)
lvs="$IMAGES/lvm-raid1.lvs.json"
lv_size() { jq -r --arg n "$1" '.report[0].seg[] | select(.lv_name == $n) | .lv_size | rtrimstr("B")' "$lvs"; }
both=$(lv_size both); solo=$(lv_size solo)
[ -n "$both" ] && [ -n "$solo" ] || fail "lvs json: no sizes"
"$DA" --cat "mirrored/both:0+$both" "$A" "$B" >"$T/both" || fail "--cat mirrored/both"
dumpe2fs -h "$T/both" >"$T/dump" 2>/dev/null || fail "dumpe2fs cannot read mirrored/both"
blocks=$(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump")
bs=$(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump")
fs=$((blocks * bs))
check_eq "the ext4 fills the LV" "$fs" "$both"
"$DA" --map --width 80 --height 8 "$A" "$B" >"$T/map" || fail "--map lvm-raid1"
for d in lvm-raid1-a.img lvm-raid1-b.img; do
	check_eq "$d: legend size of the ext4 on the raid1 LV" \
		"$(legend_size "$T/map" "$d" "filesystem both")" "$(human "$fs")"
done
check_eq "legend size of the linear LV" \
	"$(legend_size "$T/map" lvm-raid1-a.img "lv mirrored/solo")" "$(human "$solo")"
echo "ok: lvm-raid1's ext4 is $(human "$fs") in the legend of each disk, solo $(human "$solo")"
