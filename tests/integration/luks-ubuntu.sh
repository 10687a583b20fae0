#!/bin/sh
# The encrypted Ubuntu layout: GPT, ESP, /boot, and LUKS2 -> LVM -> ext4
# root and swap.  p3 of the committed plaintext image is encrypted here
# with cryptsetup (reencrypt --encrypt on a plain file, a second key slot
# added), then explored: without a key down to the key slots, which must
# match luksDump --dump-json-metadata; with either key down to the files
# of the root LV, which must match debugfs on the plaintext root.
. "$(dirname "$0")/../lib.sh"
requires cryptsetup jq xz debugfs sfdisk
. "$IMAGES/luks-env.sh"
img=$(image luks-ubuntu)
p3=$(sfdisk --json "$img" | jq '.partitiontable.partitions[2].start')
p3n=$(sfdisk --json "$img" | jq '.partitiontable.partitions[2].size')
pes=$(jq -r '.report[0].pv[0].pe_start | rtrimstr("B")' "$IMAGES/luks-ubuntu.pvs.json")
ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$IMAGES/luks-ubuntu.pvs.json")
root_pe=$(jq -r '.report[0].seg[] | select(.lv_name == "root") | .seg_pe_ranges | sub(".*:"; "") | sub("-.*"; "")' \
	"$IMAGES/luks-ubuntu.lvs.json")
# the plaintext root, as it was before encryption: the ground truth
dd if="$img" of="$T/root.fs" bs=1M iflag=skip_bytes,count_bytes \
	skip=$((p3 * 512 + pes + root_pe * ext)) count=$((24 * 1024 * 1024)) status=none
debugfs -R "stat /etc/hostname" "$T/root.fs" 2>/dev/null | grep -q 'Inode:' || fail "no plaintext root at the LV's extents"

printf 'correct horse battery staple' >"$T/key"
printf 'a second passphrase' >"$T/key2"
dd if="$img" of="$T/p3" bs=512 skip="$p3" count="$p3n" status=none
luks_encrypt "$T/p3" "$T/key" --reduce-device-size 16M
cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$T/key" \
	"$T/p3" "$T/key2" || fail "luksAddKey"
dd if="$T/p3" of="$img" bs=512 seek="$p3" conv=notrunc status=none
luks_json "$T/p3" >"$T/meta.json"
uuid=$(cryptsetup luksUUID "$T/p3")
vol="luks-$uuid"

# ---- without a key: the header, the key slots, nothing inside ----
"$DA" --list --json "$img" >"$T/locked.json" || fail "--list failed"
L='.disks[0].content.partitions[2].content'
check_eq "p3 type" "$(jq -r "$L.type" "$T/locked.json")" luks
check_eq "version" "$(jq -r "$L.version" "$T/locked.json")" 2
check_eq "uuid" "$(jq -r "$L.uuid" "$T/locked.json")" "$uuid"
check_eq "state" "$(jq -r "$L.state" "$T/locked.json")" locked
check_eq "cipher" "$(jq -r "$L.cipher" "$T/locked.json")" "$(jq -r '.segments["0"].encryption' "$T/meta.json")"
check_eq "sector size" "$(jq -r "$L.sector_size" "$T/locked.json")" "$(jq -r '.segments["0"].sector_size' "$T/meta.json")"
check_eq "payload" "$(jq -r "$L.payload_offset" "$T/locked.json")" "$(jq -r '.segments["0"].offset' "$T/meta.json")"
check_eq "keyslots size" "$(jq -r "$L.keyslots_size" "$T/locked.json")" "$(jq -r '.config.keyslots_size' "$T/meta.json")"
check_eq "key slots" "$(jq -r "[$L.children[] | \"\(.number):\(.start):\(.size):\(.key_size / 8):\(.stripes):\(.digest)\"] | join(\" \")" "$T/locked.json")" \
	"$(jq -r '[.keyslots | to_entries[] | "\(.key):\(.value.area.offset):\(.value.area.size):\(.value.key_size):\(.value.af.stripes):0"] | join(" ")' "$T/meta.json")"
check_eq "volumes without a key" "$(jq -r '[.volumes[].name] | join(" ")' "$T/locked.json")" ""
# the regions, looked up at cryptsetup's own offsets
hs=$(( $(jq -r '.config.json_size' "$T/meta.json") + 4096 ))
role() { "$DA" --json --lookup "$((p3 * 512 + $1))" "$img" | jq -r '.owners[] | select(.kind == "luks") | .role'; }
check_eq "role at 0" "$(role 0)" luks_header
check_eq "role at 4096" "$(role 4096)" luks_json
check_eq "role at hdr_size" "$(role "$hs")" luks_header
check_eq "role in the second JSON" "$(role $((hs + 4096)))" luks_json
for k in 0 1; do
	o=$(jq -r ".keyslots[\"$k\"].area.offset" "$T/meta.json")
	s=$(jq -r ".keyslots[\"$k\"].area.size" "$T/meta.json")
	check_eq "role in key slot $k" "$(role "$o")" keyslot
	check_eq "role at the end of key slot $k" "$(role $((o + s - 1)))" keyslot
done
last=$(jq -r '[.keyslots[] | (.area.offset | tonumber) + (.area.size | tonumber)] | max' "$T/meta.json")
check_eq "role after the key slots" "$(role "$last")" keyslot_unused
pay=$(jq -r '.segments["0"].offset' "$T/meta.json")
check_eq "role of the payload" "$(role "$pay")" encrypted
check_eq "role before the payload" "$(role $((pay - 1)))" keyslot_unused
"$DA" --list "$img" | grep -q "keyslot 1  start=$(jq -r '.keyslots["1"].area.offset' "$T/meta.json")" ||
	fail "--list text lacks key slot 1"

# ---- with a key: down to the files ----
for k in key key2; do
	"$DA" --list --json --key-file "$T/$k" "$img" >"$T/open.json" 2>"$T/err" || { cat "$T/err"; fail "--list --key-file $k"; }
	[ -s "$T/err" ] && { cat "$T/err"; fail "stderr with a good key"; }
	want=$([ $k = key ] && echo 0 || echo 1)
	check_eq "$k opens slot" "$(jq -r "$L.unlocked_by_keyslot" "$T/open.json")" "$want"
done
check_eq "volumes" "$(jq -r '[.volumes[] | "\(.kind):\(.name)"] | join(" ")' "$T/open.json")" \
	"luks:$vol lv:luks-ubuntu-vg/root lv:luks-ubuntu-vg/swap_1"
check_eq "volume size" "$(jq -r '.volumes[0].size' "$T/open.json")" $((p3n * 512 - pay))
check_eq "volume content" "$(jq -r '.volumes[0].content.type' "$T/open.json")" lvm2_pv
check_eq "root" "$(jq -r '.volumes[1].content | "\(.fstype) \(.label) \(.uuid)"' "$T/open.json")" \
	"ext4 root 44444444-0000-4000-8000-000000000003"
check_eq "swap" "$(jq -r '.volumes[2].content | "\(.type) \(.label)"' "$T/open.json")" "swap swap"
check_eq "ESP still there" "$(jq -r '.disks[0].content.partitions[0].content.label' "$T/open.json")" ESP

bs=$(debugfs -R stats "$T/root.fs" 2>/dev/null | awk -F: '/^Block size/ { gsub(/ /, "", $2); print $2 }')
n=0
for f in /etc/hostname /etc/fstab /home/user/diary.txt /home/user/notes/n3.txt /usr/share/doc/changelog; do
	ino=$(debugfs -R "stat $f" "$T/root.fs" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	for b in $(debugfs -R "blocks $f" "$T/root.fs" 2>/dev/null | tr -s ' ' '\n' | grep . | sed -n '1p;$p'); do
		# through the LV, and from the disk byte it lands on
		"$DA" --json --key-file "$T/key" --lookup "luks-ubuntu-vg/root:$((b * bs))" "$img" >"$T/l.json"
		check_eq "$f block $b" "$(jq -r '.owners[-1] | "\(.inode) \(.path) \(.role)"' "$T/l.json")" "$ino $f file_data"
		disk=$((p3 * 512 + pay + pes + root_pe * ext + b * bs))
		check_eq "$f block $b lands at" "$(jq -r '.offset' "$T/l.json")" "$disk"
		check_eq "$f block $b stack" "$(jq -r '[.owners[] | "\(.kind):\(.offset)"] | join(" ")' "$T/l.json")" \
			"partition_table:$disk partition:$((disk - p3 * 512)) luks:$((disk - p3 * 512)) luks:$((disk - p3 * 512 - pay)) lvm2_pv:$((disk - p3 * 512 - pay)) lv:$((b * bs)) filesystem:$((b * bs))"
		n=$((n + 1))
	done
done
check_eq "swap lookup" "$("$DA" --json --key-file "$T/key" --lookup "luks-ubuntu-vg/swap_1:0" "$img" | jq -r '.owners[-1].kind')" swap
echo "ok: key slots and regions agree with luksDump; $n file blocks agree with debugfs through LUKS2, LVM and ext4"
