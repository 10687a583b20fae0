#!/bin/sh
# The explorer in awkward terminals: resized below 40x10 and back, TERM=dumb,
# NO_COLOR, the C locale, 8 colours, and a SIGTERM: each gives a usable
# screen without escape garbage and gives the terminal back; and a
# terminal that closes under make ends the explorer.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires mkswap sfdisk
[ -x "$DA" ] || fail "diskatlas is not built"

# any partitioned disk will do: made here with sfdisk
IMG="$T/small.img"
truncate -s 64M "$IMG"
printf 'label: gpt\n,16M\n,20M\n,\n' | sfdisk -q "$IMG"

echo "== resize below 40x10 and back"
tui_start "$IMG"
tmux_ resize-window -x 30 -y 8
wait_for 'too small' || fail "no notice at 30x8: $(screen)"
screen | grep -q '^too small: 40x10' || fail "the notice does not say the minimum: $(screen)"
check_eq "lines on the screen at 30x8" "$(screen | grep -c '[^ ]')" 1
tmux_ resize-window -x 40 -y 10
wait_for '1 cell = [0-9.]+ [KMGT]?i?B' || fail "at 40x10 the title does not say the zoom: $(screen | head -1)"
tmux_ resize-window -x 120 -y 40
wait_for '^ diskatlas ' || fail "no title after growing back: $(screen)"
screen | grep -q '│ offset 0x0 (0)' || fail "cursor lost on resize: $(screen)"
keys l
cursor=$(cursor_offset)
[ -n "$cursor" ] && [ "$cursor" -gt 0 ] || fail "keys do not work after a resize: $(screen)"
check_side_vs_lookup "after resizes"
# narrow: the side pane goes under the map
tmux_ resize-window -x 80 -y 30
wait_for '^── owners' || fail "no side pane under the map at 80 columns: $(screen)"
tmux_ resize-window -x 120 -y 40
keys q
wait_for '^EXIT=0$' || fail "q after resizes: $(screen)"
tui_stop

echo "== 256 colours: every legend entry its own colour, names whole"
# two swap areas: one family of colours, a shade each
IMG2="$T/swaps.img"
cp "$IMG" "$IMG2"
for n in 1 3; do
	start=$(sfdisk --json "$IMG2" | jq ".partitiontable.partitions[$((n - 1))].start")
	truncate -s 8M "$T/swap.part" && mkswap -q "$T/swap.part" >/dev/null
	dd if="$T/swap.part" of="$IMG2" bs=512 seek="$start" conv=notrunc status=none
	rm -f "$T/swap.part"
done
tui_start "$IMG2"
wait_for '^legend' || fail "no legend: $(screen)"
# the swatch of each entry: the colour code before its block glyph
screen_e | sed -n '/legend:/,$p' |
	grep -o "$(printf '\033')\[[0-9;]*m█$(printf '\033')\[39m [^$(printf '\033')]*" |
	sed "s/^$(printf '\033')\[\([0-9;]*\)m█$(printf '\033')\[39m \(.*\)/\1 \2/" | sed 's/  *$//' >"$T/swatches"
entries=$(wc -l <"$T/swatches")
# the two swaps and the empty partition (the table's structures have
# family entries of their own, tested in structures.sh)
[ "$entries" -ge 3 ] || fail "fewer than 3 owners in the legend: $(cat "$T/swatches")"
check_eq "distinct legend colours" "$(awk '{ print $1 }' "$T/swatches" | sort -u | wc -l)" "$entries"
if grep -q '…' "$T/swatches"; then fail "a legend name is cut at 120 columns: $(cat "$T/swatches")"; fi
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop

echo "== TERM=dumb: no escape sequence, a screen a command"
printf 'll\ng1M\nq\n' | TERM=dumb LANG=C.UTF-8 "$DA" "$IMG" >"$T/dumb.out" 2>&1 ||
	fail "TERM=dumb exits $?: $(tail -5 "$T/dumb.out")"
if LC_ALL=C grep -q "$(printf '\033')" "$T/dumb.out"; then
	fail "TERM=dumb output has escape sequences: $(od -c "$T/dumb.out" | grep -m3 '033')"
fi
grep -q '^ diskatlas ' "$T/dumb.out" || fail "TERM=dumb: no title: $(head -3 "$T/dumb.out")"
grep -q 'offset 0x100000 (1048576)' "$T/dumb.out" || fail "TERM=dumb: g1M did not go to 1 MiB"
grep -q '^legend' "$T/dumb.out" || fail "TERM=dumb: no legend"
# a transcript is the same every run: the file index is done before the
# first screen, never "indexing files... 0 of 0"
if grep -Eq "$BG_BUSY" "$T/dumb.out"; then fail "TERM=dumb: a screen says indexing: $(grep -Em1 "$BG_BUSY" "$T/dumb.out")"; fi
grep -q '@' "$T/dumb.out" || fail "TERM=dumb: the cursor is not shown"
# and interactively in a pane
tui_start "$IMG" TERM=dumb
wait_for 'keys \(\? help' || fail "TERM=dumb in tmux: no prompt: $(screen)"
typed 'jj'; keys Enter
wait_for 'offset 0x[0-9a-f]* \([1-9]' || fail "TERM=dumb: jj did not move: $(screen)"
typed q; keys Enter
wait_for '^EXIT=0$' || fail "TERM=dumb: q: $(screen)"
tui_stop

echo "== NO_COLOR: no colour, letters tell owners apart"
tui_start "$IMG" NO_COLOR=1
wait_for '^legend: A-Z owner' || fail "NO_COLOR: legend does not explain the letters: $(screen)"
if screen_e | grep -Eq "$(printf '\033')\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38;5|48;5)[;m]"; then
	fail "NO_COLOR: colours on screen: $(screen_e | grep -m1 -o "$(printf '\033')\[[0-9;]*m" | cat -v)"
fi
screen | sed -n '2,12p' | grep -q '[A-Za-z]' || fail "NO_COLOR: no letters in the map: $(screen)"
keys q; wait_for '^EXIT=0$' || fail "NO_COLOR: q"
tui_stop

echo "== LANG=C: ASCII only"
tui_start "$IMG" LANG=C
wait_for '^ diskatlas ' || fail "LANG=C: no title"
if screen | LC_ALL=C grep -q "$(printf '[\200-\377]')"; then
	fail "LANG=C: non-ASCII on screen: $(screen | LC_ALL=C grep -m1 "$(printf '[\200-\377]')")"
fi
screen | sed -n '2,12p' | grep -q '[#%+=.-]' || fail "LANG=C: no ASCII map: $(screen)"
screen | grep -q '| offset 0x0 (0)' || fail "LANG=C: no side pane: $(screen)"
keys q; wait_for '^EXIT=0$' || fail "LANG=C: q"
tui_stop

echo "== TERM=xterm: 8 colours only"
tui_start "$IMG" TERM=xterm
wait_for '^legend' || fail "8 colours: no legend"
if screen_e | grep -q '38;5;'; then
	fail "8 colours: a 256-colour escape on screen"
fi
screen_e | grep -Eq "$(printf '\033')\[([0-9;]*;)?3[1-7](;[0-9;]*)?m" || fail "8 colours: no colour at all"
keys q; wait_for '^EXIT=0$' || fail "TERM=xterm: q"
tui_stop

echo "== SIGTERM restores the terminal"
tui_start "$IMG"
wait_for '^legend'
pid=$(tmux_ display -p '#{pane_pid}')
# the pane runs sh -c; the explorer is its child
da=$(pgrep -P "$pid" -f diskatlas | head -1)
[ -n "$da" ] || fail "cannot find the explorer's process"
kill -TERM "$da"
wait_for '^EXIT=' || fail "SIGTERM: the explorer did not exit: $(screen)"
screen | grep -q '^EXIT=143$' || fail "SIGTERM: exit status $(screen | grep EXIT=)"
check_eq "alternate screen after SIGTERM" "$(tmux_ display -p '#{alternate_on}')" 0
check_eq "mouse reporting after SIGTERM" "$(tmux_ display -p '#{mouse_any_flag}')" 0
tui_stop

echo "== the terminal closes under make (make demo's case): the explorer ends"
# the window closed: the kernel sends SIGHUP to the session's leader
# only, and make waits for its recipe instead of passing it on; the
# explorer reads end of file from then on, and must not spin on it
printf 'run:\n\t@%s %s; echo $$? >%s\n' "$DA" "$IMG" "$T/hup.rc" >"$T/Makefile"
tmux_ -f /dev/null new-session -d -x "$TUI_W" -y "$TUI_H" \
	"env -u LC_ALL -u LC_CTYPE LANG=C.UTF-8 TERM=xterm-256color make -s -f '$T/Makefile'"
wait_for '^legend' || fail "the explorer did not start under make: $(screen)"
da=$(pgrep -f "^$DA $IMG\$" | head -1)
[ -n "$da" ] || fail "cannot find the explorer's process under make"
tmux_ kill-server
i=0
while kill -0 "$da" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$da" 2>/dev/null; then
	cpu=$(ps -o %cpu= -p "$da")
	kill -KILL "$da"
	fail "the explorer still runs 5 s after its terminal closed (${cpu}% CPU)"
fi
i=0
while [ ! -s "$T/hup.rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "exit status after the terminal closed" "$(cat "$T/hup.rc" 2>/dev/null)" 129
echo ok
