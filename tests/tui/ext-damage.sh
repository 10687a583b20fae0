#!/bin/sh
# The explorer on an ext4 whose group descriptors are random bytes: the
# side pane stops saying "indexing" (or "reading the filesystems' maps")
# within a few seconds, shows what the
# scan knows of the block under the cursor, and nothing from libext2fs
# is painted over the screen.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires jq xz
[ -x "$DA" ] || fail "diskatlas is not built"
need_image gpt-esp-ext4

"$DA" --list --json "$IMG" >"$T/list.json"
PART=$(jq -r '.disks[0].content.partitions[] | select(.content.fstype == "ext4") | .start' "$T/list.json")
[ -n "$PART" ] || fail "no ext4 partition in gpt-esp-ext4"
# the table after a 1 KiB-block superblock; bytes from the compressed image
dd if="$IMAGES/gpt-esp-ext4.img.xz" of="$IMG" bs=1 skip=4096 count=1024 seek=$((PART + 2048)) conv=notrunc status=none
off=$((PART + 300 * 1024))

tui_start "$IMG"
keys g; typed "$off"; keys Enter
i=0
while [ $i -lt 50 ] && screen | grep -Eq "$BG_BUSY"; do sleep 0.1; i=$((i + 1)); done
! screen | grep -Eq "$BG_BUSY" || fail "still indexing after 5 s: $(side)"
echo "ok: no indexing after $((i * 100)) ms"
side | grep -Eq '^   block 300  ' || fail "no block 300 in the side pane: $(side)"
side | grep -Eq '^   warning: group descriptors: ' || fail "no warning in the side pane: $(side)"
! screen | grep -Eq 'Unknown code|libext2fs|for block bitmap' || fail "libext2fs on the screen: $(screen | grep -E 'Unknown|libext2fs|bitmap' | head -2)"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
echo "ok: all"
