#!/bin/sh
# A side-pane line too long for the pane is wrapped, never cut: on a
# 9 TiB ext4 (sparse, lazily initialised) the block bitmap of group 65536
# (where dumpe2fs puts it) reads "block 2147483648  block_bitmap, group
# 65536" in full, over two lines.  So is any other line: on md-raid1-lvm
# the cell at the start of a member, at 110x20, holds its superblock, its
# bitmap and its bad-block log (where mdadm --examine puts them), and the
# pane names each one's share of it in full, "bad_block_log" too, whose
# line is a column wider than the pane.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires mkfs.ext4 dumpe2fs
[ -x "$DA" ] || fail "diskatlas is not built"
IMG="$T/big.img"
truncate -s 9T "$IMG" || skip "no sparse 9 TiB file on this filesystem"
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=1,lazy_journal_init=1 "$IMG" ||
	fail "mkfs.ext4 of a 9 TiB image"
g=65536
dumpe2fs "$IMG" 2>/dev/null | awk -v g="$g" '
	$1 == "Group" && $2 + 0 == g { on = 1 }
	on && /Block bitmap at/ { sub(/.*Block bitmap at /, ""); print $1 + 0; exit }' >"$T/bb"
bb=$(cat "$T/bb")
[ -n "$bb" ] || fail "dumpe2fs gives no block bitmap for group $g"

tui_start "$IMG"
keys g; typed "$((bb * 4096 + 7))"; keys Enter
check_eq "g to block $bb" "$(cursor_offset)" "$((bb * 4096 + 7))"
# the block's line and its continuation lines, joined
got=$(side | awk '
	on && /^      / { l = $0; sub(/^ +/, "", l); s = s " " l; next }
	on { print s; exit }
	/^   block [0-9]/ { s = $0; on = 1 }')
check_eq "block $bb's line" "$got" "   block $bb  block_bitmap, group $g"
echo "ok: block $bb: '$got'"
keys q
wait_for '^EXIT=0$' || fail "q"
tui_stop

requires mdadm
IMG=$(image md-raid1-lvm-a)
IMGB=$(image md-raid1-lvm-b)
mdadm --examine "$IMG" >"$T/examine" 2>&1 || fail "mdadm --examine: $(cat "$T/examine")"
so=$(sed -n 's/^ *Super Offset : \([0-9]*\) sectors.*/\1/p' "$T/examine")
bbl=$(sed -n 's/^ *Bad Block Log : .* at offset \([0-9]*\) sectors.*/\1/p' "$T/examine")
[ -n "$so" ] && [ -n "$bbl" ] || fail "mdadm --examine: no superblock or bad-block log: $(cat "$T/examine")"
grep -q '^Internal Bitmap : ' "$T/examine" || fail "mdadm --examine: no internal bitmap"
TUI_W=110 TUI_H=20
TUI_MORE="$IMGB" tui_start "$IMG"
wait_indexed
at=$(((so + bbl) * 512))
keys g; typed "$at"; keys Enter
check_eq "g $at" "$(cursor_offset)" "$at"
side | grep -q '^   role bad_block_log$' ||
	fail "byte $at (mdadm's bad-block log): not the bad_block_log: $(side)"
keys Tab End
# the cell's shares: a line "NN% name role" each, continuation rows joined
side | awk '
	s != "" && /^      [^ ]/ { l = $0; sub(/^ +/, "", l); s = s " " l; next }
	s != "" { print s; s = "" }
	/^ [^ ]+ +[0-9]+% / { s = $0; sub(/^ [^ ]+ +/, "", s) }
	END { if (s != "") print s }' >"$T/shares"
for role in superblock bitmap bad_block_log; do
	grep -Eq "^[0-9]+% $(basename "$IMG") $role\$" "$T/shares" ||
		fail "the cell's shares do not name its $role in full:
$(cat "$T/shares")"
done
echo "ok: the cell's shares in full: $(tr '\n' ';' <"$T/shares")"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
