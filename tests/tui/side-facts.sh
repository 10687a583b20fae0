#!/bin/sh
# What the side pane says of a byte, against the tools that made it:
# an inode-table block says which inodes it governs (debugfs imap), an
# LVM PV's label the volume group it belongs to (pvs), a PV's last
# extent its PE number and the padding past its pe_count extents none
# (pvs); and the pane, scrolled to its end, ends on its last line, not on
# a blank one past it, with the indicator on a row of its own.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires debugfs dumpe2fs sfdisk
[ -x "$DA" ] || fail "diskatlas is not built"

# the side pane from a line starting with $1, continuation lines joined
joined() {
	side | awk -v p="$1" '
		on && /^      / { l = $0; sub(/^ +/, "", l); s = s " " l; next }
		on { print s; on = 0 }
		index($0, p) == 1 { s = $0; on = 1 }
		END { if (on) print s }'
}

# ---- an inode table block of an ext4 with flex_bg -------------------
ext4_dump
ipg=$(awk -F: '/^Inodes per group/ { print $2 + 0 }' "$T/dump")
ino=$((2 * ipg + 5))
debugfs -R "imap <$ino>" "$T/fs.img" >"$T/imap" 2>/dev/null
grp=$(sed -n 's/.*is part of block group \([0-9]*\).*/\1/p' "$T/imap")
blk=$(sed -n 's/.*located at block \([0-9]*\),.*/\1/p' "$T/imap")
[ -n "$grp" ] && [ -n "$blk" ] || fail "debugfs imap <$ino>: $(cat "$T/imap")"
off=$((PART * 512 + blk * bs + 10))
tui_start "$IMG"
wait_indexed
keys g; typed "$off"; keys Enter
check_eq "g $off" "$(cursor_offset)" "$off"
line=$(joined "   governs ")
[ -n "$line" ] || fail "block $blk (inode $ino per debugfs): no governs line: $(side)"
echo "$line" | awk -v i="$ino" -v g="$grp" '
	match($0, /inodes [0-9]+-[0-9]+ of group [0-9]+/) {
		split(substr($0, RSTART, RLENGTH), w, /[ -]/)
		ok = w[2] <= i + 0 && i + 0 <= w[3] && w[6] == g }
	END { exit !ok }' ||
	fail "block $blk: '$line', but debugfs puts inode $ino in group $grp there"
echo "ok: block $blk: $line (debugfs: inode $ino of group $grp)"
check_side_vs_lookup "inode table block $blk"

# ---- the side pane scrolled to its end (110x20: a tall owner list) ---
tui_stop
TUI_W=110 TUI_H=20
tui_start "$IMG"
wait_indexed
keys g; typed "$off"; keys Enter
keys Tab End
# the pane's last row: the indicator alone; the row above it, text
n=$(side | tail -1 | sed -n 's/^ *\([0-9]*\)\/\([0-9]*\)$/\1 \2/p')
[ -n "$n" ] || fail "no scroll indicator alone on the side pane's last row: $(screen)"
set -- $n
check_eq "End: the indicator" "$1" "$2"
last=$(screen | sed '1d;$d' | sed 's/^[^│|]*[│|] \{0,1\}//' | tail -2 | head -1)
echo "$last" | grep -q '[^ ]' ||
	fail "End shows a blank line past the pane's end: $(side | tail -3)"
keys Up
echo "$(side | tail -1)" | grep -q " $(($2 - 1))/$2\$" ||
	fail "Up after End: not $(($2 - 1))/$2: $(side | tail -1)"
keys PageDown PageDown PageDown
echo "$(side | tail -1)" | grep -q " $2/$2\$" ||
	fail "PgDn past the end: not $2/$2: $(side | tail -1)"
echo "ok: End ends on the last line ($2/$2, '$(echo "$last" | sed 's/^ *//')')"
tui_stop

# ---- an LVM PV: its label, its last extent, the padding past it -----
TUI_W=120 TUI_H=40
need_image lvm-span-b
IMGA=$(image lvm-span-a)
pvs="$IMAGES/lvm-span.pvs.json"
pv() { jq -r ".report[0].pv[] | select(.pv_name == \"lvm-span-b.img@0\") | .$1" "$pvs" | tr -d B; }
start=$(pv pe_start) count=$(pv pv_pe_count) ext=$(pv vg_extent_size)
dev=$(pv dev_size) vg=$(pv vg_name)
[ $((start + count * ext)) -lt "$dev" ] ||
	fail "lvm-span-b's PV has no padding past its extents per pvs"
TUI_MORE="$IMGA" tui_start "$IMG"
wait_indexed
keys g; typed "lvm-span-b.img:512"; keys Enter
side | grep -q "^   role label\$" || fail "lvm-span-b:512 is not the PV label: $(side)"
check_eq "the label's volume group" "$(joined "   governs ")" "   governs volume group $vg"
at=$((start + (count - 1) * ext + 4096))
keys g; typed "lvm-span-b.img:$at"; keys Enter
check_eq "g $at" "$(cursor_offset)" "$at"
side | grep -q "^   @ $at  (.*)  PE $((count - 1))\$" ||
	fail "byte $at: not PE $((count - 1)) of $count: $(side)"
at=$((start + count * ext + 4096))
keys g; typed "lvm-span-b.img:$at"; keys Enter
check_eq "g $at" "$(cursor_offset)" "$at"
side | grep -q "^3\\. lvm2_pv \|^1\\. lvm2_pv " || fail "byte $at: no PV: $(side)"
side | grep -q "PE [0-9]" && fail "byte $at, past pe_count $count extents: $(side | grep 'PE [0-9]')"
echo "ok: PE $((count - 1)) is the last; the padding past it has no PE; the label governs $vg"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
