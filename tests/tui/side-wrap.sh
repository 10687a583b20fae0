#!/bin/sh
# A side-pane line too long for the pane is wrapped, never cut: on a
# 9 TiB ext4 (sparse, lazily initialised) the block bitmap of group 65536
# (where dumpe2fs puts it) reads "block 2147483648  block_bitmap, group
# 65536" in full, over two lines.
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
echo ok
