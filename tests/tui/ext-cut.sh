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
# its size: the filesystem's own (dumpe2fs on the intact partition), and
# how much of it the cut device holds
own=$(dumpe2fs -h "$T/p2" 2>/dev/null | awk -F: '/^Block count/ { b = $2 } /^Block size/ { s = $2 } END { print b * s }')
ondev=$((100000000 - start * 512))
facts=$(side | tr '\n' ' ' | tr -s ' ' | sed -n 's/.*ext4, \([0-9.]* [KMG]iB\) (\([0-9.]* [KMG]iB\) of it on the device).*/\1 \2/p')
[ -n "$facts" ] || fail "the side pane does not give the ext4's own size and the device's: $(side)"
echo "$facts" | awk -v own="$own" -v dev="$ondev" '
	function b(v, u) { return v * (u == "KiB" ? 1024 : u == "MiB" ? 1048576 : 1073741824) }
	# within half of the last digit shown
	function near(v, u, want) { h = b(index(v, ".") ? 0.05 : 0.5, u); return want >= b(v, u) - h && want <= b(v, u) + h }
	{ if (!near($1, $2, own) || !near($3, $4, dev)) exit 1 }' ||
	fail "sizes $facts, want $own bytes and $ondev on the device"
echo "ok: the cut ext4's size: $facts (own $own, on the device $ondev)"
keys q
wait_for '^EXIT=' || fail "q"
