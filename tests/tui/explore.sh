#!/bin/sh
# The explorer on partitioned disks, used as a person would: the screen has
# a map, a legend and a side pane; the side pane's owners equal --lookup at
# the cursor after keys, a mouse click and zooming; q exits 0 and gives the
# terminal back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"

for name in gpt-five mbr-logical; do
	echo "== $name"
	need_image "$name"
	tui_start "$IMG"
	wait_indexed
	s=$(screen)
	echo "$s" | head -1 | grep -q '^ diskatlas .*1 cell = ' || fail "$name: no title bar: $s"
	echo "$s" | grep -q '^legend' || fail "$name: no legend: $s"
	echo "$s" | grep -q '│ offset 0x' || fail "$name: no side pane: $s"
	echo "$s" | sed -n '2,20p' | grep -q '[█▓▒░·▚]' || fail "$name: no map cells: $s"
	# the legend names at least two owners (each of these disks has a
	# table and several partitions): its entries are a swatch, a space
	# and a name, several to a line, in the lines under "legend:"
	n=$(echo "$s" | sed -n '/^legend/,$p' | sed '1d;$d' | sed 's/│.*//' |
		grep -o '[█!] [^ ]' | wc -l)
	[ "$n" -ge 2 ] || fail "$name: the legend names $n owners: $s"
	check_side_vs_lookup "$name: start"

	keys l l l j j
	check_side_vs_lookup "$name: after l l l j j"
	keys End
	check_side_vs_lookup "$name: End"
	keys Home PageDown Left
	check_side_vs_lookup "$name: Home PageDown Left"

	# a click (SGR encoding) at column 30, row 12: map row 10, column 29
	cell=$(side | sed -n 's/^cell .* = \([0-9]*\) B$/\1/p' | head -1)
	[ -n "$cell" ] || fail "$name: no cell size in the side pane"
	typed "$(printf '\033[<0;30;12M')"
	typed "$(printf '\033[<0;30;12m')"
	want=$(( (10 * 78 + 29) * cell ))
	size=$(stat -c %s "$IMG")
	[ "$want" -lt "$size" ] || want=$(( (size - 1) / cell * cell ))
	check_eq "$name: offset after a click" "$(cursor_offset)" "$want"
	check_side_vs_lookup "$name: after a click"

	# zoom in to one sector a cell, around the cursor
	i=0
	while ! screen | head -1 | grep -q '1 cell = 512 B' && [ $i -lt 40 ]; do
		keys +; i=$((i + 1))
	done
	screen | head -1 | grep -q '1 cell = 512 B' || fail "$name: zoom stops at $(screen | head -1)"
	check_side_vs_lookup "$name: one sector a cell"
	keys -; keys z
	check_side_vs_lookup "$name: zoomed out"
	# the mouse wheel zooms out (button 5 = 65 in SGR)
	before=$(screen | head -1 | sed 's/.*1 cell = \([^|]*\).*/\1/')
	typed "$(printf '\033[<65;10;5M')"
	after=$(screen | head -1 | sed 's/.*1 cell = \([^|]*\).*/\1/')
	[ "$before" != "$after" ] || fail "$name: the wheel did not zoom ($before)"

	# help lists the keys, any key closes it
	keys '?'
	wait_for 'diskatlas explorer: keys' || fail "$name: no help screen"
	screen | grep -q 'Backspace' || fail "$name: help misses Backspace"
	keys x
	wait_for '│ offset 0x' || fail "$name: help did not close"

	# g with an offset in another notation
	keys g; typed 2048s; keys Enter
	check_eq "$name: g 2048s" "$(cursor_offset)" 1048576
	check_side_vs_lookup "$name: g 2048s"
	keys g; typed nonsense; keys Enter
	wait_for 'not an offset' || fail "$name: a bad offset gives no message"

	keys q
	wait_for '^EXIT=' || fail "$name: q did not quit: $(screen)"
	screen | grep -q '^EXIT=0$' || fail "$name: exit status: $(screen | grep EXIT=)"
	check_eq "$name: alternate screen after q" "$(tmux_ display -p '#{alternate_on}')" 0
	check_eq "$name: mouse reporting after q" "$(tmux_ display -p '#{mouse_any_flag}')" 0
	screen | grep -q '│ offset 0x' && fail "$name: the explorer's screen is still there after q"
	tui_stop
done
echo "ok"
