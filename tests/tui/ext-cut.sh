#!/bin/sh
# The explorer on the sample disk cut at 100000000 bytes, inside the root
# ext4: g to the last byte shows its block with the role debugfs gives it
# on the intact filesystem (free), not "unused".
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xz sfdisk debugfs
[ -x "$DA" ] || fail "diskatlas is not built"
xz -dc "$TOP/docs/samples/sample.img.xz" >"$T/sample.img"
start=$(sfdisk --json "$T/sample.img" | jq '.partitiontable.partitions[1].start')
size=$(sfdisk --json "$T/sample.img" | jq '.partitiontable.partitions[1].size')
dd if="$T/sample.img" of="$T/p2" bs=512 skip="$start" count="$size" status=none
head -c 100000000 "$T/sample.img" >"$T/cut.img"
blk=$(( (100000000 - 1 - start * 512) / 1024 ))
debugfs -R "testb $blk" "$T/p2" 2>/dev/null | grep -q "Block $blk not in use" ||
	fail "debugfs: block $blk is in use"
tui_start "$T/cut.img"
wait_indexed
keys g; typed 99999999; keys Enter
check_eq "the cursor" "$(cursor_offset)" 99999999
side | grep -q "^   block $blk  free, group " ||
	fail "the side pane does not say block $blk free: $(side)"
! side | grep -q "past the end of what the format describes" ||
	fail "the side pane says the block is past the format's end: $(side)"
echo "ok: block $blk of the cut ext4 is free in the side pane, as debugfs says"
keys q
wait_for '^EXIT=' || fail "q"
