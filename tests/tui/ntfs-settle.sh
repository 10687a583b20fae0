#!/bin/sh
# An NTFS's $Bitmap is read after the explorer's first frame (it grows
# with the volume: 512 MiB at 16 TiB).  DISKATLAS_TEST_BG_DELAY_MS (a test
# knob) holds that read back: meanwhile the system files are drawn where
# ntfsinfo places them, every other cell is "not read yet", and the side
# pane gives the volume's size without used and free.  Then the map is
# repainted and the side pane gives used and free as --list does (whose
# free clusters tests/integration/ntfs-windows.sh checks against ntfsinfo
# and ntfscluster).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires ntfsinfo jq
[ -x "$DA" ] || fail "diskatlas is not built"
IMG=$(image ntfs-small)
cs=$(ntfsinfo -m "$IMG" 2>/dev/null | awk -F: '/Cluster Size/ { print $2 + 0 }')
mftlcn=$(ntfsinfo -m "$IMG" 2>/dev/null | awk -F: '/LCN of Data Attribute for FILE_MFT/ { print $2 + 0 }')
[ -n "$cs" ] && [ -n "$mftlcn" ] || fail "ntfsinfo gives no geometry"
used=$("$DA" --list "$IMG" | sed -n 's/.* used=\([^=]*[^ =]\)  *free=.*/\1/p')
free=$("$DA" --list "$IMG" | sed -n 's/.* free=\(.*\)$/\1/p')
[ -n "$used" ] && [ -n "$free" ] || fail "--list gives no used and free"

map() { screen | sed -n 's/[│|].*//p' | sed '1d' | head -n $((TUI_H - 5)); }
unread_cells() { map | tr -cd '~' | wc -c; }
# the volume's line, and its wrapped tail (indented deeper) when it has one
facts() { side | awk '/^   ntfs, / { l = $0; on = 1; next }
	on && /^      / { sub(/^ */, " "); l = l $0 } on { print l; exit }'; }

tui_start "$IMG" DISKATLAS_TEST_BG_DELAY_MS=4000
# held back: $MFT's first cluster (ntfsinfo's LCN) is the MFT already
keys g; typed "$((mftlcn * cs + 10))"; keys Enter
side | grep -q "reading the filesystems' maps" || fail "not held back: $(side)"
side | grep -q '^   block .* mft\b' || fail "\$MFT at LCN $mftlcn is not the MFT while \$Bitmap is read: $(side)"
n=$(unread_cells)
[ "$n" -gt 0 ] || fail "no cell not read yet while \$Bitmap is read"
screen | grep -q '~ not read yet' || fail "the legend does not say not read yet"
f=$(facts)
case $f in
*used*|*free*) fail "used and free before \$Bitmap is read: $f" ;;
"   ntfs, "*) ;;
*) fail "no size in the side pane: $(side)" ;;
esac
echo "ok: held back: $n cells not read yet, \$MFT drawn, side pane '$f'"

wait_indexed
check_eq "cells not read yet after \$Bitmap" "$(unread_cells)" 0
check_eq "the side pane's used and free" "$(facts | sed 's/.*: //')" "$used used, $free free"
! screen | grep -q 'not read yet' || fail "the legend still says not read yet"
echo "ok: after \$Bitmap: $(facts)"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
