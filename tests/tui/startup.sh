#!/bin/sh
# The explorer draws before it has read an ext4's group descriptors, and
# repaints when it has.  DISKATLAS_TEST_BG_DELAY_MS (a test knob) holds
# the background work back, so that the first screens can be read: the
# filesystem's cells show "not read yet" (~ and the legend's word, neither
# free nor used), the side pane says so, and no warning is shown yet.
# Once the work is done the map is repainted without a ~, the side pane
# gives the inode table where dumpe2fs puts it, and on a copy whose
# descriptors are random bytes the descriptors' warning appears.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires jq xz dumpe2fs sfdisk
[ -x "$DA" ] || fail "diskatlas is not built"
# the ext4 is the second partition; its layout as dumpe2fs gives it
ext4_dump
off=$((PART * 512 + itable * bs))

map() { screen | sed -n 's/[│|].*//p' | sed '1d' | head -n $((TUI_H - 5)); }
unread_cells() { map | tr -cd '~' | wc -c; }

# held back: the map and the side pane say "not read yet"
tui_start "$IMG" DISKATLAS_TEST_BG_DELAY_MS=4000
keys g; typed "$off"; keys Enter
n=$(unread_cells)
[ "$n" -gt 0 ] || fail "no cell not read yet while held back: $(map | head -3)"
screen | grep -q 'not read yet' || fail "the legend does not say 'not read yet'"
side | grep -Eq "^   block $itable  unread" || fail "the side pane does not say unread: $(side | head -20)"
side | grep -q '^   not read yet' || fail "the cell summary does not say not read yet: $(side)"
echo "ok: $n cells not read yet, the side pane says unread"

# then repainted, without a key
w=0
while [ $w -lt 100 ] && [ "$(unread_cells)" -gt 0 ]; do sleep 0.1; w=$((w + 1)); done
check_eq "cells not read yet after the pass" "$(unread_cells)" 0
! screen | grep -q 'not read yet' || fail "still 'not read yet' after the pass: $(screen | grep 'not read yet')"
wait_indexed
side | grep -Eq "^   block $itable  inode_table" || fail "block $itable is not the inode table after the pass: $(side | head -20)"
echo "ok: repainted after $((w * 100)) ms, block $itable is the inode table"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
tui_stop

# descriptors of random bytes (the table after a 1 KiB-block superblock):
# the warning comes with the pass, never before it
cp "$IMG" "$T/bad.img"
dd if="$IMAGES/gpt-esp-ext4.img.xz" of="$T/bad.img" bs=1 skip=4096 count=1024 seek=$((PART * 512 + 2048)) conv=notrunc status=none
tui_start "$T/bad.img" DISKATLAS_TEST_BG_DELAY_MS=3000
keys g; typed "$((PART * 512 + 300 * 1024))"; keys Enter
! side | grep -q '^   warning: ' || fail "a warning before the pass: $(side)"
w=0
while [ $w -lt 100 ] && ! side | grep -q '^   warning: group descriptors: '; do sleep 0.1; w=$((w + 1)); done
side | grep -q '^   warning: group descriptors: ' || fail "no descriptors' warning after the pass: $(side)"
echo "ok: the warning after $((w * 100)) ms"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
echo "ok: all"
