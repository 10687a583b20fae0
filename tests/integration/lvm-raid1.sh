#!/bin/sh
# A raid1 LV over two disks (its images one on each), holding an ext4, and
# a linear LV.  --list must give the raid1 segment with the legs lvs names
# and the PVs' extent counts pvs gives; a byte of either copy must be
# owned by the LV at the same offset, with the file debugfs names for that
# block (debugfs reads each copy, cut out of its disk, on its own); the
# extents of the raid metadata sub-LVs have their own role.
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq xz debugfs
. "$IMAGES/lvm-check.sh"
a=$(image lvm-raid1-a); b=$(image lvm-raid1-b)
lvs_truth="$IMAGES/lvm-raid1.lvs.json"; pvs_truth="$IMAGES/lvm-raid1.pvs.json"
if can_loop && command -v lvm >/dev/null 2>&1; then
	lvm_live_truth lvm-raid1
	# hidden sub-LVs too: lvm_live_truth compares visible LVs only
	check_eq "live lvs sub-LVs" "$(jq -c '[.report[0].seg[] | [.lv_name, .seg_pe_ranges]]' "$T/live.lvs.json")" \
		"$(jq -c '[.report[0].seg[] | [.lv_name, .seg_pe_ranges]]' "$lvs_truth")"
else
	echo "loop devices unavailable: using the committed truth only"
fi
"$DA" --list --json "$a" "$b" >"$T/list.json" || fail "--list --json"
n=0

# --- the LVs, as lvs has them ---
jq -r '.report[0].seg[] | select(.lv_name | startswith("[") | not) |
	"\(.vg_name)/\(.lv_name) \(.lv_size | rtrimstr("B")) \(.segtype) \(.seg_start_pe) \(.seg_size_pe) \(.seg_pe_ranges | gsub(":[0-9]+-[0-9]+"; "") | split(" ") | join(","))"' \
	"$lvs_truth" | sort >"$T/truth.lvs"
jq -r '.volumes[] | select(.kind == "lv") | .name as $n | .size as $s | .segments[] |
	"\($n) \($s) \(.type) \(.start_extent) \(.extent_count) \(if .legs then (.legs | join(",")) else (.stripes | map(.pv) | join(",")) end)"' \
	"$T/list.json" | sort >"$T/ours.lvs"
# a linear segment names its PV where lvs names the loop device: compare
# the raid1 line whole and the linear one without it
check_eq "raid1 LV" "$(grep " raid1 " "$T/ours.lvs")" "$(grep " raid1 " "$T/truth.lvs")"
check_eq "linear LV" "$(grep -v " raid1 " "$T/ours.lvs" | cut -d' ' -f1-5)" "$(grep -v " raid1 " "$T/truth.lvs" | cut -d' ' -f1-5)"
jq -e '[.volumes[] | select(.partial or .reason)] | length == 0' "$T/list.json" >/dev/null ||
	fail "an LV is partial or has a reason: $(jq -c '[.volumes[] | .reason]' "$T/list.json")"
check_eq "mirrored/both content" "$(jq -r '.volumes[] | select(.name == "mirrored/both") | .content | "\(.type) \(.fstype)"' "$T/list.json")" "filesystem ext4"
n=$((n + 3))
jq -r '.report[0].pv[] | "\(.pv_uuid) \(.pe_start | rtrimstr("B")) \(.pv_pe_count) \(.pv_pe_alloc_count)"' "$pvs_truth" |
while read -r uuid pes count alloc; do
	check_eq "PV $uuid" "$(jq -r --arg u "$uuid" '[.. | objects | select(.type? == "lvm2_pv" and .uuid == $u)][0] |
		"\(.pe_start) \(.pe_count) \(.pe_allocated)"' "$T/list.json")" "$pes $count $alloc"
done
n=$((n + 2))

# --- each copy, cut out of its disk by lvs's extents, is the same ext4 ---
ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$pvs_truth")
# "WHERE_DISK WHERE_OFF PE COUNT" of a hidden sub-LV
sub_lv() {
	jq -r --arg n "[$1]" '.report[0].seg[] | select(.lv_name == $n) | .seg_pe_ranges' "$lvs_truth" |
		sed 's/^\(.*\)@\([0-9]*\):\([0-9]*\)-\([0-9]*\)$/\1 \2 \3 \4/'
}
pe_start() { jq -r --arg w "$1" '.report[0].pv[] | select(.pv_name == $w) | .pe_start | rtrimstr("B")' "$pvs_truth"; }
for leg in 0 1; do
	set -- $(sub_lv both_rimage_$leg)
	disk=$1 off=$2 pe0=$3 pe1=$4
	[ -n "$pe1" ] || fail "lvs names no extents for both_rimage_$leg"
	base=$((off + $(pe_start "$disk@$off") + pe0 * ext))
	echo "$disk $base" >>"$T/legs"
	dd if="$T/$disk" of="$T/copy$leg.fs" bs=64K iflag=skip_bytes,count_bytes \
		skip="$base" count=$(((pe1 - pe0 + 1) * ext)) conv=sparse status=none
done
cmp -s "$T/copy0.fs" "$T/copy1.fs" || fail "the two raid1 images differ"
fs="$T/copy0.fs"
bs=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
blocks=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }')
# sample: random blocks, and the blocks of every regular file
awk -v b="$blocks" 'BEGIN { srand(31); for (i = 0; i < 60; i++) print int(rand() * (b - 1)) + 1 }' >"$T/blocks"
debugfs -R "icheck $(tr '\n' ' ' <"$T/blocks")" "$fs" 2>/dev/null |
	awk 'NR > 1 { print $1, ($2 ~ /^[0-9]+$/ ? $2 : "-") }' >"$T/icheck"
for f in /docs/c7 /docs/old/numbers /bin/blob; do
	debugfs -R "blocks $f" "$fs" 2>/dev/null | tr ' ' '\n' | grep . | head -3 |
		while read -r blk; do echo "$blk $(debugfs -R "stat $f" "$fs" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p') $f"; done
done >"$T/files"
[ "$(wc -l <"$T/files")" -ge 3 ] || fail "debugfs lists no file blocks"
# the expected chain at LV offset o on each leg
: >"$T/where"; : >"$T/want"
while read -r disk base; do
	pvat=$(jq -r --arg d "$disk" '.report[0].pv[] | select(.pv_name | startswith($d + "@")) | .pv_name | sub(".*@"; "")' "$pvs_truth")
	pes=$(pe_start "$disk@$pvat")
	while read -r blk ino; do
		o=$((blk * bs + 77))
		at=$((base + o)); pvoff=$((at - pvat))
		pre=""; [ "$pvat" -gt 0 ] && pre="partition_table:$at:partition partition:$pvoff "
		echo "$disk:$at" >>"$T/where"
		echo "${pre}lvm2_pv:$pvoff:allocated lv:mirrored/both:$o filesystem:$o:ext4 $blk $ino" >>"$T/want"
	done <"$T/icheck"
	while read -r blk ino path; do
		o=$((blk * bs)); at=$((base + o))
		echo "$disk:$at" >>"$T/where"
		echo "path $path $ino" >>"$T/want"
	done <"$T/files"
done <"$T/legs"
"$DA" --lookup - --json "$a" "$b" <"$T/where" >"$T/got.json" || fail "--lookup -"
check_eq "answers" "$(wc -l <"$T/got.json")" "$(wc -l <"$T/where")"
k=0
while read -r line; do
	k=$((k + 1))
	want=$(sed -n "${k}p" "$T/want"); where=$(sed -n "${k}p" "$T/where")
	case $want in
	path\ *)
		got=$(echo "$line" | jq -r '.owners[-1] | "path \(.path) \(.inode)"') ;;
	*)
		got="$(echo "$line" | owner_chain) $(echo "$line" | jq -r '.owners[-1] | "\(.block) \(.inode // "-")"')" ;;
	esac
	check_eq "lookup $where" "$got" "$want"
	n=$((n + 1))
done <"$T/got.json"

# --- every lookup in the raid1 LV names both copies, one on each leg ---
jq -r 'select(.owners[-1].kind == "filesystem") | .owners[] | select(.kind == "lv") |
	"\(.offset) \(.copies | map("\(.disk):\(.offset)") | join(" "))"' "$T/got.json" | sort -u >"$T/copies"
[ -s "$T/copies" ] || fail "no lookup gave copies"
while read -r o c0 c1; do
	want="$(awk 'NR == 1 { print $1 ":" }' "$T/legs")$(( $(awk 'NR == 1 { print $2 }' "$T/legs") + o )) $(awk 'NR == 2 { print $1 ":" }' "$T/legs")$(( $(awk 'NR == 2 { print $2 }' "$T/legs") + o ))"
	check_eq "copies of LV offset $o" "$c0 $c1" "$want"
	n=$((n + 1))
done <"$T/copies"

# --- the raid metadata sub-LVs' extents ---
for leg in 0 1; do
	set -- $(sub_lv both_rmeta_$leg)
	disk=$1 off=$2 pe0=$3
	at=$((off + $(pe_start "$disk@$off") + pe0 * ext + 5))
	check_eq "both_rmeta_$leg role" "$("$DA" --lookup "$disk:$at" --json "$a" "$b" | jq -r '.owners[-1] | "\(.kind) \(.role)"')" "lvm2_pv raid_metadata"
	n=$((n + 1))
done
# --- one disk only: the raid1 LV is degraded and still maps its copy ---
"$DA" --list --json "$b" >"$T/one.json" || fail "--list with the second disk only"
check_eq "degraded raid1" "$(jq -r '.volumes[] | select(.name == "mirrored/both") | "\(.degraded) \(.reason) \(.content.fstype)"' "$T/one.json")" \
	"true segment1: leg both_rimage_0 lies on a missing PV ext4"
set -- $(sed -n 2p "$T/legs")
read -r blk ino path <"$T/files"
check_eq "file in the degraded raid1" "$("$DA" --lookup $(($2 + blk * bs)) --json "$b" | jq -r '.owners[-1] | "\(.inode) \(.path)"')" "$ino $path"
n=$((n + 2))
echo "lvm-raid1: $n checks"
