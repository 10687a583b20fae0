#!/bin/sh
# The explorer's bars and the terminal it gives back: a terminal without
# an alternate screen (TERM=linux, vt100) is left clean after q, and line
# mode (TERM=dumb, TERM unset) ends its last line; the status line's hints
# and its right-hand field never overwrite each other and say nothing
# twice; the title bar and the side pane say a cell's size alike; a long
# g input keeps its reason on screen and the too-small note always names
# the size needed; the help's keys scroll as its footer says, and the
# man page and README name every key the help names.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xz infocmp sfdisk
[ -x "$DA" ] || fail "diskatlas is not built"
IMG="$T/sample.img"
xz -dc "$TOP/docs/samples/sample.img.xz" | cp --sparse=always /dev/stdin "$IMG"

# the screen's lines that are not blank, but for the shell's EXIT= line
leftover() { screen | grep -v '^EXIT=' | grep -c '[^ ]' || true; }

echo "== no alternate screen: the terminal is clean after q"
for term in linux vt100; do
	infocmp "$term" >/dev/null 2>&1 || fail "no terminfo entry for $term"
	infocmp -1 "$term" | grep -q 'rmcup=' &&
		fail "$term has an alternate screen here: the case is not tested"
	TUI_W=100 TUI_H=12
	tui_start "$IMG" TERM=$term
	wait_for '^legend' || fail "$term: no legend: $(screen)"
	keys q
	wait_for '^EXIT=' || fail "$term: q did not quit: $(screen)"
	screen | grep -q '^EXIT=0$' || fail "$term: the shell's line is written into the UI: $(screen | grep EXIT=)"
	check_eq "$term: lines left on screen after q" "$(leftover)" 0
	check_eq "$term: the shell's line after q" "$(screen | grep -n '^EXIT=' | cut -d: -f1)" 1
	tui_stop
	echo "ok: $term: a clean screen after q"
done

echo "== line mode: the last prompt's line ends"
# line_start ENV...: the explorer in a pane with that environment
line_start() {
	tmux_ -f /dev/null new-session -d -x 100 -y 40 \
		"env -u LC_ALL -u LC_CTYPE $* LANG=C.UTF-8 '$DA' '$IMG'; echo \"EXIT=\$?\"; sleep 600"
	tmux_ set-option -g remain-on-exit on >/dev/null 2>&1 || true
	wait_for 'keys \(\? help' || fail "$*: no prompt: $(screen)"
}
for env in TERM=dumb "-u TERM"; do
	line_start "$env"
	keys C-d
	wait_for 'EXIT=' || fail "$env: end of input did not end it: $(screen)"
	screen | grep -q '^EXIT=0$' || fail "$env: the shell's line runs on after the prompt: $(screen | grep EXIT=)"
	tui_stop
	line_start "$env"
	typed q; keys Enter
	wait_for '^EXIT=0$' || fail "$env: q: $(screen)"
	tui_stop
	echo "ok: env $env: ^D and q end on a line of their own"
done
printf 'q\n' | TERM=dumb LANG=C.UTF-8 "$DA" "$IMG" >"$T/pipe.out" 2>&1 || fail "TERM=dumb from a pipe exits $?"
check_eq "TERM=dumb from a pipe: the last byte" "$(tail -c 1 "$T/pipe.out" | od -An -c | tr -d ' ')" '\n'

echo "== the status line: whole hints, the field whole, nothing said twice"
# the hints of the map and of the side pane
HINTS='q quit|\? help|\+/- zoom|Enter in|Bksp out|g go|/ find|n/N match|e/E extent|t tree|x hex|w holes|Tab map|arrows scroll'
MATCH=' *match [0-9]+/[0-9]+(, [0-9]+ ext)? *$'
# check_hints WHAT: hints, then perhaps the match field: each hint whole
check_hints() {
	line=$(screen | tail -1)
	echo "$line" | sed -E "s@$MATCH@@; s/^ //; s/  +/\n/g" | grep -v '^$' >"$T/hints"
	[ -s "$T/hints" ] || fail "$1: no hints: '$line'"
	bad=$(grep -Evx "$HINTS" "$T/hints" | tr '\n' ';')
	[ -z "$bad" ] || fail "$1: not a whole hint: '$bad' in '$line'"
}
# check_once WHAT: a message names the chosen match once, and starts the line
check_once() {
	line=$(screen | tail -1)
	n=$(echo "$line" | grep -o 'match [0-9]*/[0-9]*' | wc -l)
	check_eq "$1: the match said ($line)" "$n" 1
}
TUI_W=120 TUI_H=40
tui_start "$IMG"
wait_indexed
check_hints "120 columns, no search"
screen | tail -1 | grep -q 'w holes *$' || fail "120 columns: w holes missing: $(screen | tail -1)"
keys /; typed /app1; keys Enter
wait_for '^ [0-9]+ matches' || fail "/app1: no matches: $(screen | tail -1)"
check_once "after /app1"
keys M
check_hints "the match list at 120 columns"
screen | tail -1 | grep -Eq 'match 1/[0-9]+, 1 ext *$' || fail "120 columns: the match field is not whole: $(screen | tail -1)"
keys Escape
tmux_ resize-window -x 100 -y 30
sleep 0.3
check_hints "100 columns"
keys n
check_once "n at 100 columns"
keys l
check_hints "a move at 100 columns"
screen | tail -1 | grep -Eq 'match 2/[0-9]+, 1 ext *$' || fail "100 columns: the match field is not whole: $(screen | tail -1)"
tmux_ resize-window -x 40 -y 30
sleep 0.3
keys l
check_hints "a move at 40 columns"
keys n
screen | tail -1 | grep -q '^ match 3/' || fail "40 columns: the message does not start the line: $(screen | tail -1)"
check_once "n at 40 columns"
keys Tab
check_hints "the side pane's hints"
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop
echo "ok: the status line at 120, 100 and 40 columns"

echo "== the cell's size: the title bar and the side pane alike"
# a disk of 100000000 bytes: fitted to the screen, its cells are mostly not
# whole KiB (69120 B at 100x30: 67.5 KiB)
truncate -s 100000000 "$T/odd.img"
printf 'label: gpt\n,16M\n,20M\n,\n' | sfdisk -q "$T/odd.img"
TUI_W=100 TUI_H=30
tui_start "$T/odd.img"
wait_for '^legend' || fail "no legend: $(screen)"
fractions=0
for size in 100x30 110x20 100x12 120x40 140x50 160x45 100x14 130x25; do
	tmux_ resize-window -x "${size%x*}" -y "${size#*x}"
	sleep 0.4
	title=$(screen | head -1 | sed -n 's/.*1 cell = \([^|(]*[^ |(]\)\( (\([0-9]*\) B)\)\{0,1\} |.*/\1 \3/p')
	sidel=$(side | sed -n 's/^cell \(.*\) = \([0-9]*\) B *$/\1 \2/p')
	[ -n "$title" ] && [ -n "$sidel" ] || fail "$size: no cell size: $(screen | head -1) / $(side | grep '^cell')"
	set -- $title
	tv="$1 $2"; tb=${3:-}
	set -- $sidel
	sv="$1 $2"; sb=$3
	check_eq "$size: the cell's size in the side pane" "$sv" "$tv"
	[ -z "$tb" ] || check_eq "$size: the cell's bytes" "$sb" "$tb"
	# truth: the bytes in the unit, one decimal, never rounded up
	want=$(awk -v b="$sb" 'BEGIN {
		split("B KiB MiB GiB", u, " "); i = 1; m = 1
		while (i < 4 && b >= m * 1024) { m *= 1024; i++ }
		if (i == 1) { print b " B"; exit }
		t = int(b * 10 / m); w = int(t / 10); f = t % 10
		print (f ? w "." f : w) " " u[i] }')
	check_eq "$size: $sb B said as" "$tv" "$want"
	case $tv in *.*) fractions=$((fractions + 1)) ;; esac
done
[ "$fractions" -ge 1 ] || fail "no cell size with a fraction was seen"
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop
echo "ok: 8 sizes, the title bar and the side pane agree ($fractions with a fraction)"

echo "== long input and narrow terminals: the reason and the size stay"
digits=$(printf '%0300d' 0 | tr 0 7)
for w in 120 40; do
	TUI_W=$w TUI_H=30
	tui_start "$IMG"
	wait_for '^legend|─ owners' || fail "$w: no screen: $(screen)"
	keys g; typed "$digits"; keys Enter
	line=$(screen | tail -1)
	echo "$line" | grep -q ': not an offset' || fail "$w columns: the reason is not on screen: '$line'"
	echo "$line" | grep -q '^ 777*…: not an offset' || fail "$w columns: the input is not cut first: '$line'"
	keys q; wait_for '^EXIT=0$' || fail "q"
	tui_stop
done
echo "ok: 300 digits to g: the reason on screen at 120 and 40 columns"
TUI_W=20 TUI_H=5
tui_start "$IMG"
wait_for 'too small' || fail "20x5: no notice: $(screen)"
check_eq "the notice at 20x5" "$(screen | head -1 | sed 's/ *$//')" "too small: 40x10"
for s in "39 terminal too small (need 40x10)" "31 terminal too small (need 40x10)" \
	 "30 too small: 40x10" "16 too small: 40x10" "15 40x10" "5 40x10" "4 !" "1 !"; do
	w=${s%% *} want=${s#* }
	tmux_ resize-window -x "$w" -y 10
	i=0
	while [ "$(screen | head -1 | sed 's/ *$//')" != "$want" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	check_eq "the notice at ${w}x10" "$(screen | head -1 | sed 's/ *$//')" "$want"
	check_eq "lines on screen at ${w}x10" "$(screen | grep -c '[^ ]')" 1
done
tmux_ resize-window -x 30 -y 10
keys q; wait_for '^EXIT=0$' || fail "q when too small: $(screen)"
tui_stop
echo "ok: the notice names 40x10 whole from 39 columns down to 5"

echo "== the help: its keys do what its footer says"
TUI_W=100 TUI_H=70
tui_start "$IMG"
wait_for '^legend' || fail "no legend"
keys '?'
wait_for 'diskatlas explorer: keys' || fail "? shows no help: $(screen)"
screen | tail -1 | grep -q 'Esc closes help' || fail "the help's footer: $(screen | tail -1)"
# the help's key column, a token a line (the help as the program draws it)
screen | sed -n 's/^    \([^ ]\(.\{0,17\}[^ ]\)\{0,1\}\)  .*/\1/p' |
	sed 's/(or//g; s/)//g; s/,/ /g' | tr ' ' '\n' | grep -v '^$' | sort -u >"$T/help.keys"
[ "$(wc -l <"$T/help.keys")" -ge 30 ] || fail "only $(wc -l <"$T/help.keys") keys in the help: $(cat "$T/help.keys")"
tmux_ resize-window -x 100 -y 20
sleep 0.3
keys End
screen | grep -q 'in every view of the stack' || fail "End does not scroll the help to its end: $(screen)"
screen | tail -1 | grep -q 'Esc closes help' || fail "End closed the help: $(screen | tail -1)"
keys Left
screen | tail -1 | grep -q 'Esc closes help' || fail "Left closed the help: $(screen | tail -1)"
keys Home
screen | grep -q 'diskatlas explorer: keys' || fail "Home does not scroll the help to its top: $(screen)"
keys x
screen | tail -1 | grep -q '^ q quit' || fail "x did not close the help: $(screen | tail -1)"
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop
echo "ok: Up/Down/PgUp/PgDn/Home/End scroll the help, other keys close it"

# every key the help names is a tag of the man page's key list, and named
# in the README's paragraph on the explorer
sed -n '/^\.SH THE EXPLORER/,/^\.SH /p' "$TOP/docs/diskatlas.1" |
	awk '/^\.TP/ { getline; print }' |
	sed 's/\\f[BIR]//g; s/\\-/-/g; s/(or//g; s/)//g; s/,/ /g' |
	tr ' ' '\n' | grep -v '^$' | sort -u >"$T/man.keys"
missing=$(comm -23 "$T/help.keys" "$T/man.keys" | tr '\n' ' ')
[ -z "$missing" ] || fail "keys in the help but not in the man page's key list: $missing"
awk '/^In the explorer:/ { on = 1 } on && /^$/ { exit } on' "$TOP/README.md" >"$T/readme.keys"
for k in $(cat "$T/help.keys"); do
	case $k in
	arrows|mouse|wheel|Enter|Backspace|Tab|PgUp|PgDn|Home|End|Esc|F1|F10)
		grep -q "$k" "$T/readme.keys" || fail "the README does not name $k" ;;
	*)	grep -qF "\`$k\`" "$T/readme.keys" || fail "the README does not name \`$k\`" ;;
	esac
done
grep -q 'keys (? help, q quit, Enter redraws)>' "$TOP/docs/diskatlas.1" ||
	fail "the man page does not describe line mode's prompt"
echo "ok: the man page and README name the help's $(wc -l <"$T/help.keys") keys"
echo ok
