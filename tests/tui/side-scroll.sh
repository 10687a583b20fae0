#!/bin/sh
# The side pane's scroll counter never covers a line.  On md-raid1-lvm
# (disk, md member, array, PV, LV, ext4, file) at a byte of /numbers.txt
# the pane has more lines than a short terminal has rows.  Its whole text
# is read in a tall terminal first; then, the terminal made short:
#   beside the map (110 columns), every scroll position shows the next
#   rows of that text and the counter "N/M" alone on the pane's last row,
#   End ends on the text's last line, PgDn stops there, Home goes back;
#   under the map (80 columns), the same rows under the rule, with the
#   counter in the rule.
# A resize keeps both true.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"
need_image md-raid1-lvm-a
IMGB=$(image md-raid1-lvm-b)

# the pane beside the map: the rows between the bars, right of the rule
# (a blank row kept blank)
wide_rows() {
	screen | sed '1d;$d' | sed 's/^[^│|]*[│|] \{0,1\}//'
}
# the pane under the map: the rows under its rule, above the status bar
below_rows() {
	screen | sed '$d' | awk 'on; /^(──|--) owners/ { on = 1 }'
}
# the counter at the rule's end, under the map
rule_counter() {
	screen | sed -n 's/^\(──\|--\) owners.* \([0-9]*\/[0-9]*\) \(─\|-\)*$/\2/p'
}
# the text without its trailing blank rows
trim() { awk '{ l[NR] = $0 } /[^ ]/ { n = NR } END { for (i = 1; i <= n; i++) print l[i] }'; }
# lines $1..$2 of the text in $T/all
lines() { sed -n "$1,$2p" "$T/all"; }

TUI_W=110 TUI_H=60
TUI_MORE="$IMGB" tui_start "$IMG"
wait_indexed
keys /; typed "numbers.txt"; keys Enter
wait_for 'match 1/1' || fail "/numbers.txt: no match: $(screen)"
# zoomed in to a sector a cell: the pane's text no longer depends on the
# map's size (no summary of a cell)
i=0
while ! side | grep -q '^cell 512 B = 512 B$'; do
	[ $i -lt 30 ] || fail "zoom in: never a 512 B cell: $(side)"
	keys +; i=$((i + 1))
done
wide_rows | trim >"$T/all"
n=$(wc -l <"$T/all")
grep -q '^   path /numbers.txt$' "$T/all" || fail "not in /numbers.txt: $(cat "$T/all")"
grep -q '^ *[0-9][0-9]*/[0-9][0-9]*$' "$T/all" &&
	fail "a counter at 110x60, where every line fits: $(cat "$T/all")"
last=$(tail -1 "$T/all")
check_eq "the pane's last line" "$last" "   file offset 0"
echo "ok: 110x60: $n lines, the last '$last'"

# ---- beside the map, 110x20: the pane's 18 rows, 17 for lines -------
tmux_ resize-window -x 110 -y 20; sleep 0.5
rows=17
m=$((n - rows + 1))
[ "$m" -gt 2 ] || fail "$n lines fit in $rows rows: nothing to scroll"
# the pane shows lines $1.. and the counter $1/$m on its last row
at() {
	wide_rows >"$T/now"
	sed -n "1,${rows}p" "$T/now" >"$T/got"
	lines "$1" "$(($1 + rows - 1))" >"$T/want"
	cmp -s "$T/got" "$T/want" || fail "$2: the pane's rows are not lines $1-$(($1 + rows - 1)):
$(diff "$T/want" "$T/got")"
	cnt=$(sed -n "$((rows + 1))p" "$T/now" | sed 's/^ *//')
	check_eq "$2: the counter's row" "$cnt" "$1/$m"
}
keys Tab
at 1 "Tab"
p=1
while [ $p -lt $m ]; do
	keys Down; p=$((p + 1))
	at $p "Down to $p"
done
keys Down
at $m "Down past the end"
keys Home
at 1 "Home"
keys End
at $m "End"
sed -n "${rows}p" "$T/now" | grep -qx "$last" || fail "End: the last row is not '$last'"
keys Home PageDown PageDown PageDown PageDown
at $m "PgDn to the end"
echo "ok: 110x20: lines 1-$rows to $m-$n, '$last' last, the counter 1/$m to $m/$m on a row of its own"

# a shorter terminal at the end: still the last line, the counter right
tmux_ resize-window -x 110 -y 12; sleep 0.5
rows=9 m=$((n - 9 + 1))
keys End
at $m "110x12, End"
keys Up
at $((m - 1)) "110x12, Up"
echo "ok: 110x12: $m/$m ends on '$last'"
tui_stop

# ---- under the map, 80 columns: the compact chain --------------------
TUI_W=80 TUI_H=60
TUI_MORE="$IMGB" tui_start "$IMG"
wait_indexed
keys /; typed "numbers.txt"; keys Enter
wait_for 'match 1/1' || fail "/numbers.txt at 80 columns: no match"
i=0
while ! screen | grep -q '1 cell = 512 B'; do
	[ $i -lt 30 ] || fail "zoom in at 80 columns: never a 512 B cell"
	keys +; i=$((i + 1))
done
below_rows | trim >"$T/all"
n=$(wc -l <"$T/all")
grep -q '^file /numbers.txt' "$T/all" || fail "80x60: no file line: $(cat "$T/all")"
[ -z "$(rule_counter)" ] || fail "a counter at 80x60, where every line fits"
last=$(tail -1 "$T/all")
tmux_ resize-window -x 80 -y 24; sleep 0.5
# 22 rows between the bars, a third (7) for the pane: its rule and 6 rows
rows=6
m=$((n - rows + 1))
[ "$m" -gt 1 ] || fail "$n compact lines fit in $rows rows"
below_at() {
	below_rows >"$T/got"
	lines "$1" "$(($1 + rows - 1))" >"$T/want"
	cmp -s "$T/got" "$T/want" || fail "$2: the rows under the rule are not lines $1-$(($1 + rows - 1)):
$(diff "$T/want" "$T/got")"
	check_eq "$2: the counter in the rule" "$(rule_counter)" "$1/$m"
}
below_at 1 "80x24"
keys Tab End
below_at $m "80x24, End"
below_rows | tail -1 | grep -qx "$last" || fail "80x24, End: not '$last' last"
keys Up
below_at $((m - 1)) "80x24, Up"
echo "ok: 80x24: $n lines, 1/$m to $m/$m in the rule, '$last' last"
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
