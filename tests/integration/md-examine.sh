#!/bin/sh
# Every md member of the test images, as mdadm --examine reads it: the
# checksum is correct, and diskatlas gives the same metadata version,
# array UUID, level, member count, layout, chunk, offsets (superblock,
# data, bitmap, bad-block log), sizes, events and role.  Members inside a
# partition are cut out of their disk at the offsets sfdisk gives.
. "$(dirname "$0")/../lib.sh"
requires jq xz mdadm sfdisk
n=0
# examine FILE MEMBER_JSON: compare one member
examine() {
	mdadm --examine "$1" >"$T/ex" 2>&1 || fail "mdadm --examine $1: $(cat "$T/ex")"
	f() { sed -n "s/^ *$1 : //p" "$T/ex" | head -1; }
	j() { printf '%s' "$2" | jq -r "$1"; }
	m=$2
	grep -q "Checksum : [0-9a-f]* - correct" "$T/ex" || fail "$1: checksum not correct: $(f Checksum)"
	check_eq "$1 checksum" "$(printf '%08x correct' 0x$(f Checksum | cut -d' ' -f1))" "$(j .checksum "$m")"
	check_eq "$1 level" "$(f 'Raid Level')" "$(j .level "$m")"
	check_eq "$1 raid devices" "$(f 'Raid Devices')" "$(j .raid_disks "$m")"
	check_eq "$1 events" "$(f Events)" "$(j .events "$m")"
	lay=$(f Layout)
	[ -z "$lay" ] || check_eq "$1 layout" "$lay" "$(j .layout "$m")"
	chunk=$(f 'Chunk Size')
	case $(j .level "$m") in raid0|raid4|raid5|raid6|raid10)
		check_eq "$1 chunk" "$chunk" "$(( $(j .chunk_size "$m") / 1024 ))K" ;;
	esac
	case $(f Version) in
	0.90.00)
		check_eq "$1 version" 0.90 "$(j .metadata_version "$m")"
		check_eq "$1 uuid" "$(f UUID)" "$(j .uuid "$m")"
		check_eq "$1 used dev size" "$(f 'Used Dev Size' | cut -d' ' -f1)" \
			"$(( $(j .component_size "$m") / 1024 ))"
		check_eq "$1 preferred minor" "$(f 'Preferred Minor')" "$(j .md_minor "$m")"
		check_eq "$1 role" "$(awk '$1 == "this" { print $5 }' "$T/ex")" "$(j .role "$m")"
		;;
	*)
		check_eq "$1 version" "$(f Version)" "$(j .metadata_version "$m")"
		check_eq "$1 uuid" "$(f 'Array UUID')" "$(j .uuid "$m")"
		check_eq "$1 name" "$(f Name | cut -d' ' -f1)" "$(j .name "$m")"
		so=$(j .super_offset "$m")
		check_eq "$1 super offset" "$(f 'Super Offset')" "$((so / 512)) sectors"
		# mdadm leaves out a data offset of 0 (1.0)
		doff=$(f 'Data Offset')
		check_eq "$1 data offset" "${doff:-0 sectors}" "$(( $(j .data_offset "$m") / 512 )) sectors"
		check_eq "$1 avail dev size" "$(f 'Avail Dev Size' | cut -d' ' -f1)" \
			"$(( $(j .data_size "$m") / 512 ))"
		role=$(f 'Device Role')
		case $role in
		"Active device "*) check_eq "$1 role" "${role#Active device }" "$(j .role "$m")" ;;
		*) check_eq "$1 role" "$role" "$(j .role "$m" | sed 's/spare/spare/')" ;;
		esac
		bm=$(f 'Internal Bitmap')
		if [ -n "$bm" ]; then
			check_eq "$1 bitmap" "$bm" "$(( ($(j .bitmap_offset "$m") - so) / 512 )) sectors from superblock"
		else
			check_eq "$1 no bitmap" "$(j .bitmap_offset "$m")" null
		fi
		bb=$(f 'Bad Block Log')
		[ -z "$bb" ] || check_eq "$1 bad-block log" "${bb##* offset }" \
			"$(( ($(j .bad_block_log_offset "$m") - so) / 512 )) sectors"
		;;
	esac
	n=$((n + 1))
}
for set in "md-raid5 a b c" "md-090 a b" "md-raid1-lvm a b"; do
	set -- $set
	img=$1; shift
	files=""
	for d in "$@"; do files="$files $(image "$img-$d")"; done
	"$DA" --list --json $files >"$T/list.json" || fail "$img: --list --json"
	i=0
	for d in "$@"; do
		m=$(jq -c ".disks[$i].content" "$T/list.json")
		check_eq "$img-$d node" "$(printf '%s' "$m" | jq -r .type)" md_member
		examine "$T/$img-$d.img" "$m"
		i=$((i + 1))
	done
done
# the mirrored ESP: members in GPT partitions
for d in a b; do
	disk=$(image "md-esp-$d")
	start=$(sfdisk --json "$disk" | jq '.partitiontable.partitions[0].start')
	size=$(sfdisk --json "$disk" | jq '.partitiontable.partitions[0].size')
	dd if="$disk" of="$T/esp-$d.part" bs=512 skip="$start" count="$size" status=none
	"$DA" --list --json "$disk" >"$T/list.json"
	m=$(jq -c '.disks[0].content.partitions[0].content' "$T/list.json")
	check_eq "md-esp-$d node" "$(printf '%s' "$m" | jq -r .type)" md_member
	examine "$T/esp-$d.part" "$m"
done
echo "md-examine: $n members agree with mdadm --examine"
