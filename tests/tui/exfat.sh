#!/bin/sh
# The explorer on the exFAT card: `g` to a byte of a fragmented file shows
# its path and The Sleuth Kit's inode (istat gives the sectors), `e` goes
# to the file's next extent (istat's next run), `/` finds a file by its
# name typed in another case (exFAT compares names without case), and the
# side pane agrees with --lookup throughout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires fls istat timeout
[ -x "$DA" ] || fail "diskatlas is not built"
need_image exfat-card
P=$((2048 * 512))
dd if="$IMG" of="$T/fs" bs=1M skip=1 status=none
timeout 60 fls -r -p -f exfat "$T/fs" >"$T/fls" || fail "fls failed or hung"
ino_of() { awk -F'\t' -v p="$1" '$2 == p { split($1, a, /[ :]+/); print a[2] }' "$T/fls"; }
# the first sector of each run of inode $1, from istat
runs_of() {
	timeout 20 istat -f exfat "$T/fs" "$1" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' |
		grep -E '^[1-9][0-9]*$' | awk 'NR == 1 || $1 != prev + 1 { print } { prev = $1 }'
}
ino=$(ino_of Documents/grown.log)
set -- $(runs_of "$ino")
[ $# -ge 2 ] || fail "istat gives grown.log $# runs"
off=$((P + $1 * 512 + 100)) next=$((P + $2 * 512))

tui_start "$IMG"
wait_indexed
keys g; typed "$off"; keys Enter
check_eq "g $off" "$(cursor_offset)" "$off"
side_paths | grep -qxF /Documents/grown.log || fail "g $off does not show /Documents/grown.log: $(side)"
side | grep -q "^   inode $ino\\b" || fail "g $off does not show inode $ino: $(side)"
check_side_vs_lookup "in grown.log"

keys e
check_eq "e: the next run istat gives" "$(cursor_offset)" "$next"
side_paths | grep -qxF /Documents/grown.log || fail "e left the file: $(side)"
check_side_vs_lookup "grown.log's second run"

keys g; typed 0; keys Enter
keys /; typed "img_0002.jpg"; keys Enter
found=$(cursor_offset)
first=$(runs_of "$(ino_of DCIM/100CARD/IMG_0002.JPG)" | head -1)
check_eq "/ img_0002.jpg lands on the file's first sector" "$found" "$((P + first * 512))"
side_paths | grep -qxF /DCIM/100CARD/IMG_0002.JPG || fail "/ img_0002.jpg: $(side)"
check_side_vs_lookup "/ img_0002.jpg"
echo "ok"
