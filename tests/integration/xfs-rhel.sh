#!/bin/sh
# The RHEL-like disk (tests/images/xfs-rhel.sh): GPT, an EFI system
# partition, XFS /boot, LVM with XFS root and swap.  --list names every
# layer; then, for each XFS, every extent of every file xfs_db knows
# (ncheck for the names, bmap for the extents) is looked up on the disk at
# its first and last block: the owners must run down the stack (partition
# -> xfs, or partition -> PV -> LV -> xfs) to that file's inode and path;
# each AG's superblock and the log are named too.  Offsets come from
# sfdisk and from the LVM tools' reports kept beside the image.
. "$(dirname "$0")/../lib.sh"
requires xfs_db jq xz sfdisk
img=$(image xfs-rhel)
"$DA" --list --json "$img" >"$T/list.json" || fail "--list failed"
q() { jq -r "$1" "$T/list.json"; }
check_eq "ESP" "$(q '.disks[0].content.partitions[0].content.fstype')" fat16
check_eq "/boot" "$(q '.disks[0].content.partitions[1].content | .fstype + " " + .label')" "xfs boot"
check_eq "PV" "$(q '.disks[0].content.partitions[2].content.type')" lvm2_pv
check_eq "LVs" "$(q '[.volumes[] | .name + "=" + (.content.fstype // .content.type)] | sort | join(" ")')" \
	"xfs_rhel/root=xfs xfs_rhel/swap=swap"
check_eq "warnings" "$(q '[.. | objects | select(.fstype? == "xfs") | (.warnings // [])[], (.reason // empty)] | length')" 0

sfdisk --json "$img" >"$T/sfdisk.json"
boot_off=$(( $(jq '.partitiontable.partitions[1].start' "$T/sfdisk.json") * 512 ))
boot_len=$(( $(jq '.partitiontable.partitions[1].size' "$T/sfdisk.json") * 512 ))
# root: PV offset + pe_start + first PE * extent size, from the LVM reports
pv=$(jq -r '.report[0].pv[0]' "$IMAGES/xfs-rhel.pvs.json")
pv_off=$(echo "$pv" | jq -r '.pv_name' | sed 's/.*@//')
pe_start=$(echo "$pv" | jq -r '.pe_start' | tr -d B)
extent=$(echo "$pv" | jq -r '.vg_extent_size' | tr -d B)
seg=$(jq -r '.report[0].seg[] | select(.lv_name == "root")' "$IMAGES/xfs-rhel.lvs.json")
pe=$(echo "$seg" | jq -r '.seg_pe_ranges' | sed 's/.*://; s/-.*//')
root_off=$((pv_off + pe_start + pe * extent))
root_len=$(echo "$seg" | jq -r '.lv_size' | tr -d B)

# explore NAME OFFSET LENGTH CHAIN: the filesystem at OFFSET of the disk
explore() {
	fs="$T/$1.fs"
	dd if="$img" of="$fs" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
	db() { xfs_db -r "$@" "$fs"; }
	bs=$(db -c 'sb 0' -c 'p blocksize' | awk '{print $3}')
	agb=$(db -c 'sb 0' -c 'p agblocks' | awk '{print $3}')
	agc=$(db -c 'sb 0' -c 'p agcount' | awk '{print $3}')
	db -c 'blockget -n' -c ncheck | awk '{ p = $2; sub(/\/\.$/, "", p); print $1, "/" p }' >"$T/$1.names"
	: >"$T/$1.expect"
	while read -r ino path; do
		db -c "inode $ino" -c bmap </dev/null | awk -v agb="$agb" -v bs="$bs" -v base="$2" \
			-v ino="$ino" -v path="$path" '$1 == "data" {
			split($6, a, /[(\/)]/); lin = a[2] * agb + a[3]
			print base + lin * bs, ino, path
			if ($8 > 1) print base + (lin + $8 - 1) * bs, ino, path }' >>"$T/$1.expect"
	done <"$T/$1.names"
	[ "$(wc -l <"$T/$1.expect")" -ge 5 ] || fail "$1: xfs_db found too few extents"
	awk '{print $1}' "$T/$1.expect" | "$DA" --lookup - --json "$img" |
		jq -r '[(.owners | map(.kind) | join(">")), (.owners[-1].inode // -1 | tostring), (.owners[-1].path // "")] | join(" ")' \
		>"$T/$1.got"
	paste -d' ' "$T/$1.expect" "$T/$1.got" | awk -v chain="$4" '{
		# offset ino path... chain ino path: paths have no spaces here
		if ($4 != chain || $5 != $2 || $6 != $3) { print "offset " $1 ": want " chain " " $2 " " $3 ", got " $4 " " $5 " " $6; bad++ }
		n++ }
		END { printf "%d lookups, %d wrong\n", n, bad; exit bad > 0 }' || fail "$1: files disagree with xfs_db"
	# every AG's superblock, and the log
	a=0; : >"$T/$1.hdr"
	while [ "$a" -lt "$agc" ]; do echo $(($2 + a * agb * bs)) >>"$T/$1.hdr"; a=$((a + 1)); done
	roles=$("$DA" --lookup - --json "$img" <"$T/$1.hdr" | jq -r '.owners[-1].role' | sort -u)
	check_eq "$1: AG superblocks" "$roles" superblock
	ls=$(db -c 'sb 0' -c 'p logstart' | awk '{print $3}')
	agl=$(db -c 'sb 0' -c 'p agblklog' | awk '{print $3}')
	lin=$(( (ls >> agl) * agb + (ls & ((1 << agl) - 1)) ))
	check_eq "$1: log" "$("$DA" --lookup $(($2 + lin * bs)) --json "$img" | jq -r '.owners[-1].role')" log
}
explore boot "$boot_off" "$boot_len" "partition_table>partition>filesystem"
explore root "$root_off" "$root_len" "partition_table>partition>lvm2_pv>lv>filesystem"
grep -q '/vmlinuz-5.14.0-362.el9.x86_64' "$T/boot.expect" || fail "no kernel in /boot"
grep -q '/home/alice/hostname-link\|/etc/hostname' "$T/root.expect" || fail "no /etc/hostname"
echo "ok: the RHEL-like disk is explored down to the file in /boot and /"
