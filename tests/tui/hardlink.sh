#!/bin/sh
# / finds a hard-linked file by its second name: mbr-ext's ext2 has
# /dir0/file-0-0.txt and /dir1/hard-link.txt on one inode.  The cursor
# must land on a block that debugfs says is that inode's, the side pane
# must say it has hard links, and the message line the name that matched.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires jq xz debugfs sfdisk
need_image mbr-ext

start=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[0].start')
size=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[0].size')
dd if="$IMG" of="$T/p1.img" bs=512 skip="$start" count="$size" status=none
ino=$(debugfs -R "stat /dir1/hard-link.txt" "$T/p1.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
ino0=$(debugfs -R "stat /dir0/file-0-0.txt" "$T/p1.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
[ -n "$ino" ] && [ "$ino" = "$ino0" ] || fail "the image has no hard link (inodes '$ino' and '$ino0')"
bs=$(dumpe2fs -h "$T/p1.img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')

tui_start "$IMG"
wait_indexed
keys /; typed "hard-link.txt"; keys Enter
off=$(cursor_offset)
[ -n "$off" ] && [ "$off" -gt $((start * 512)) ] || fail "/ hard-link.txt did not move: $(screen | tail -1)"
block=$(( (off - start * 512) / bs ))
owner=$(debugfs -R "icheck $block" "$T/p1.img" 2>/dev/null | awk 'NR == 2 { print $2 }')
check_eq "debugfs icheck $block" "$owner" "$ino"
side | grep -q "^   inode $ino  (hard links)" || fail "the side pane does not say inode $ino has hard links: $(side)"
screen | tail -1 | grep -q "/dir1/hard-link.txt" || fail "the message line does not name the link found: $(screen | tail -1)"
echo "ok: / hard-link.txt landed on block $block of inode $ino"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
echo "ok: all"
