#!/bin/sh
# While an ext4's group descriptors are read in the background, the
# status bar says so ("reading the filesystems' maps"), then "indexing
# files" while its files are indexed, then neither.  DISKATLAS_TEST_BG_DELAY_MS
# (a test knob) holds each part back so that a person could read them.
# Then a read error in that pass: DISKATLAS_TEST_FAULT (a test knob) fails
# reads of the descriptor block dumpe2fs names; the filesystem stays a
# filesystem with the reason as a warning in the side pane (the same
# words --list gives: one answer in every front end), the cells
# that were not read yet are repainted as used, and q still quits
# cleanly with the terminal given back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires jq xz dumpe2fs sfdisk python3
[ -x "$DA" ] || fail "diskatlas is not built"
# the ext4 is the second partition; its layout as dumpe2fs gives it
ext4_dump
off=$((PART * 512 + itable * bs))

map() { screen | sed -n 's/[│|].*//p' | sed '1d' | head -n $((TUI_H - 5)); }
unread_cells() { map | tr -cd '~' | wc -c; }
legend() { screen | sed -n 's/[│|].*//p' | sed -n '/^legend/,$p'; }
status() { screen | tail -1; }
# what the status bar says of the background work: S settle, I index, N none
phase() {
	s=$(status)
	case $s in
	*"reading the filesystems' maps"*) echo S ;;
	*"indexing files"*) echo I ;;
	*) echo N ;;
	esac
}

# --- the status bar through the background work, polled as it changes
tui_start "$IMG" DISKATLAS_TEST_BG_DELAY_MS=2500,2500
keys g; typed "$off"; keys Enter
seen="" last="" i=0 unread_s=0 unread_i=-1 side_s="" side_i=""
while [ $i -lt 200 ]; do
	p=$(phase)
	if [ "$p" != "$last" ]; then
		seen="$seen$p"; last=$p
		case $p in
		S) unread_s=$(unread_cells); side_s=$(side) ;;
		I) unread_i=$(unread_cells); side_i=$(side) ;;
		esac
	fi
	[ "$p" = N ] && [ -n "$seen" ] && [ "$seen" != N ] && break
	sleep 0.1; i=$((i + 1))
done
check_eq "what the status bar said, in turn" "$seen" SIN
[ "$unread_s" -gt 0 ] || fail "no cell not read yet while the maps are read"
check_eq "cells not read yet while indexing" "$unread_i" 0
echo "$side_s" | grep -q "^reading the filesystems' maps" ||
	fail "the side pane does not say the maps are read: $side_s"
echo "$side_i" | grep -q "^indexing files" ||
	fail "the side pane does not say indexing: $side_i"
status | grep -q ' q quit ' || fail "no key hints at the end: $(status)"
echo "ok: the status bar said the maps, then the index, then neither"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
tui_stop

# narrow: the hints keep room, the word stays
TUI_W=60
tui_start "$IMG" DISKATLAS_TEST_BG_DELAY_MS=3000
status | grep -q 'reading maps' || fail "60 columns: $(status)"
status | grep -q ' q quit ' || fail "60 columns, no hints: $(status)"
echo "ok: 60 columns: $(status | sed 's/  */ /g')"
keys q
wait_for '^EXIT=0$' || fail "q: $(screen | tail -3)"
tui_stop
TUI_W=120

# --- a read error in the background pass: the first descriptor block
gdt_off=$((PART * 512 + gdt * bs))
tui_start "$IMG" DISKATLAS_TEST_BG_DELAY_MS=3000 DISKATLAS_TEST_FAULT=$gdt_off+1
keys g; typed "$off"; keys Enter
# held back: a filesystem, its cells not read yet, no warning
side | grep -q '^3\. filesystem root' || fail "not a filesystem before the pass: $(side)"
! side | grep -q '^   warning: ' || fail "a warning before the pass: $(side)"
n=$(unread_cells)
[ "$n" -gt 0 ] || fail "no cell not read yet while held back"
map >"$T/before"
w=0
while [ $w -lt 100 ] && ! side | grep -q '^   warning: '; do sleep 0.1; w=$((w + 1)); done
wait_indexed
side | tr '\n' ' ' | sed 's/   */ /g' >"$T/side"
# the same warning, word for word, as --list gives with the same fault
# (tests/integration/ext-desc-ioerror.sh checks it against dumpe2fs)
groups=$(grep -c '^Group [0-9]' "$T/dump")
want="warning: ext: group descriptors: $groups of $groups cannot be read (first: group 0, in block $gdt): $(basename "$IMG"): read error at offset $gdt_off: injected I/O error"
grep -qF "$want" "$T/side" || fail "no read error in the side pane: $(side), want $want"
DISKATLAS_TEST_FAULT=$gdt_off+1 "$DA" --list "$IMG" | grep -qxF "        $want" ||
	fail "--list does not give the side pane's warning: $want"
side | grep -q '^3\. filesystem root' || fail "no longer a filesystem: $(side)"
check_eq "cells not read yet after the pass" "$(unread_cells)" 0
! legend | grep -q 'not read yet' || fail "the legend still says not read yet: $(legend)"
side | grep -Eq '^   used [0-9]+%' || fail "the cell is not counted as used: $(side)"
# the block under the cursor too: used, as the map draws it, not unread
! side | grep -Eq 'unread|not read yet' || fail "the side pane still says unread: $(side)"
map >"$T/after"
# every cell not read yet before is drawn as used (full, mostly, partly)
# (the ext4's: the ESP's FAT is read in the same pass, and is free)
cell=$(screen | sed -n '1s/.*1 cell = [^(]*(\([0-9]*\) B).*/\1/p')
[ -n "$cell" ] || fail "no cell size in the title: $(screen | head -1)"
python3 - "$T/before" "$T/after" "$cell" "$((PART * 512))" "$(((PART + SIZE) * 512))" <<'EOF' || fail "cells not repainted as used"
import sys
b = open(sys.argv[1], encoding="utf-8").read().splitlines()
a = open(sys.argv[2], encoding="utf-8").read().splitlines()
cell, lo, hi = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
width = max(len(line.rstrip()) for line in b)
n = bad = 0
for r, line in enumerate(b):
    for c, ch in enumerate(line):
        at = (r * width + c) * cell
        if ch != "~" or at < lo or at + cell > hi:
            continue
        n += 1
        now = a[r][c] if r < len(a) and c < len(a[r]) else " "
        if now not in "\u2588\u2593\u2592":
            bad += 1
            if bad <= 3:
                print("row %d col %d: %r" % (r, c, now))
print("%d cells of the ext4 not read yet, %d not drawn as used after" % (n, bad))
sys.exit(1 if bad or not n else 0)
EOF
echo "ok: the read error is a warning after $((w * 100)) ms, the map repainted as used"
keys q
wait_for '^EXIT=' || fail "q did not quit: $(screen)"
screen | grep -q '^EXIT=0$' || fail "exit status: $(screen | grep EXIT=)"
check_eq "alternate screen after q" "$(tmux_ display -p '#{alternate_on}')" 0
check_eq "mouse reporting after q" "$(tmux_ display -p '#{mouse_any_flag}')" 0
check_eq "cursor after q" "$(tmux_ display -p '#{cursor_flag}')" 1
echo "ok: all"
