#!/bin/sh
# A read error on an ext4's group descriptor block (DISKATLAS_TEST_FAULT,
# a test knob, fails reads of the bytes dumpe2fs names) gives one answer
# in every front end, the same as the explorer's (tests/tui/settle.sh):
# the filesystem stays a filesystem (its superblock is sound: type,
# label, UUID and counts as dumpe2fs gives them), with a warning saying
# how many groups are left without a descriptor, the first of them, the
# block and the device's own read error with the disk offset; its blocks
# are used (their map is not known).  Checked for --list, --list --json,
# --lookup (text and JSON) and --map; without the fault, no warning.
. "$(dirname "$0")/../lib.sh"
requires jq xz dumpe2fs sfdisk
IMG=$(image gpt-esp-ext4)
PART=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[1].start')
SIZE=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[1].size')
[ "$PART" -gt 0 ] || fail "no second partition in gpt-esp-ext4"
dd if="$IMG" of="$T/fs.img" bs=512 skip="$PART" count="$SIZE" conv=sparse status=none
dumpe2fs "$T/fs.img" >"$T/dump" 2>/dev/null || fail "dumpe2fs cannot read the ext4"
bs=$(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump")
gdt=$(sed -n 's/.*Group descriptors at \([0-9]*\)-.*/\1/p' "$T/dump" | head -1)
groups=$(grep -c '^Group [0-9]' "$T/dump")
uuid=$(awk '/^Filesystem UUID:/ { print $3 }' "$T/dump")
label=$(awk -F: '/^Filesystem volume name:/ { gsub(/^ +/, "", $2); print $2 }' "$T/dump")
[ -n "$bs" ] && [ -n "$gdt" ] && [ "$groups" -gt 0 ] || fail "dumpe2fs: no block size, descriptors or groups"
# every descriptor lies in that block here: all groups are left without one
dsz=$(awk -F: '/^Group descriptor size/ { print $2 + 0 }' "$T/dump")
[ -n "$dsz" ] || dsz=32
[ "$groups" -le $((bs / dsz)) ] || fail "$groups groups: more than one descriptor block"
gdt_off=$((PART * 512 + gdt * bs))
WANT="ext: group descriptors: $groups of $groups cannot be read (first: group 0, in block $gdt): gpt-esp-ext4.img: read error at offset $gdt_off: injected I/O error"
export DISKATLAS_TEST_FAULT="$gdt_off+1"

# --list --json: a filesystem, dumpe2fs's identity, the warning
timeout 20 "$DA" --list --json "$IMG" >"$T/list.json" 2>"$T/err" || fail "--list --json: exit $? $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "--list --json: stderr: $(cat "$T/err")"
fs='.disks[0].content.partitions[1].content'
check_eq "type" "$(jq -r "$fs.type" "$T/list.json")" filesystem
check_eq "fstype" "$(jq -r "$fs.fstype" "$T/list.json")" ext4
check_eq "uuid" "$(jq -r "$fs.uuid" "$T/list.json")" "$uuid"
check_eq "label" "$(jq -r "$fs.label" "$T/list.json")" "$label"
check_eq "warnings" "$(jq -r "$fs.warnings | join(\"|\")" "$T/list.json")" "$WANT"
check_eq "reason" "$(jq -r "$fs.reason" "$T/list.json")" "$WANT"

# --list: the same node and warning in text
timeout 20 "$DA" --list "$IMG" >"$T/list.txt" 2>"$T/err" || fail "--list: exit $?"
grep -q "^      filesystem ext4  label=$label  uuid=$uuid " "$T/list.txt" || fail "--list: $(cat "$T/list.txt")"
grep -qxF "        warning: $WANT" "$T/list.txt" || fail "--list: no warning: $(cat "$T/list.txt")"

# --lookup of the first inode table block: the filesystem owns it, used
# (where the inode tables lie is what the descriptors say)
blk=$(sed -n 's/.*Inode table at \([0-9]*\)-.*/\1/p' "$T/dump" | head -1)
[ -n "$blk" ] || fail "dumpe2fs: no inode table"
at=$((PART * 512 + blk * bs))
timeout 20 "$DA" --lookup "$at" --json "$IMG" >"$T/lookup.json" 2>"$T/err" || fail "--lookup --json: exit $?"
check_eq "lookup: owner" "$(jq -r '.owners[-1] | "\(.kind) \(.fstype) \(.block) \(.role)"' "$T/lookup.json")" \
	"filesystem ext4 $blk used"
check_eq "lookup: warning" "$(jq -r '.owners[-1].warning' "$T/lookup.json")" "$WANT"
timeout 20 "$DA" --lookup "$at" "$IMG" >"$T/lookup.txt" 2>"$T/err" || fail "--lookup: exit $?"
grep -q "^      filesystem $label  offset $((blk * bs))  ext4  role used  block $blk\$" "$T/lookup.txt" ||
	fail "--lookup: $(cat "$T/lookup.txt")"
grep -qxF "        warning: $WANT" "$T/lookup.txt" || fail "--lookup: no warning: $(cat "$T/lookup.txt")"

# --map: the filesystem is in the legend
timeout 20 "$DA" --map --width 60 --height 8 "$IMG" >"$T/map.txt" 2>"$T/err" || fail "--map: exit $?"
grep -q "filesystem $label " "$T/map.txt" || fail "--map: $(cat "$T/map.txt")"

# without the fault: the same filesystem, no warning
unset DISKATLAS_TEST_FAULT
timeout 20 "$DA" --list --json "$IMG" >"$T/good.json" || fail "no fault: exit $?"
check_eq "no fault: warnings" "$(jq -r "$fs.warnings // [] | length" "$T/good.json")" 0
check_eq "no fault: type" "$(jq -r "$fs.type" "$T/good.json")" filesystem
check_eq "no fault: role" "$(timeout 20 "$DA" --lookup "$at" --json "$IMG" | jq -r '.owners[-1].role')" inode_table
echo "ok: $WANT"
