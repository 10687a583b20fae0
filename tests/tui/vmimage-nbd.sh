#!/bin/sh
# The explorer on a vmdk and a vhdx (two qemu-nbd children): quitting with
# q, or SIGTERM, SIGHUP or SIGINT sent to it, ends both children too, and
# the terminal is given back (the pane shows the exit status).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires qemu-img qemu-nbd
[ -x "$DA" ] || fail "diskatlas is not built"
raw=$(image lvm-gpt)
qemu-img convert -O vmdk "$raw" "$T/a.vmdk"
qemu-img convert -O vhdx "$raw" "$T/b.vhdx"
TUI_MORE="'$T/b.vhdx'"
alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1;; esac
	return 0
}
for how in q TERM HUP INT; do
	tui_start "$T/a.vmdk"
	wait_indexed
	pid=$(pgrep -f "^$DA $T/a.vmdk" | head -1)
	[ -n "$pid" ] || fail "$how: no diskatlas process"
	kids=$(pgrep -P "$pid" -x qemu-nbd | tr '\n' ' ')
	check_eq "$how: qemu-nbd children" "$(echo $kids | wc -w)" 2
	if [ "$how" = q ]; then keys q; else kill -"$how" "$pid"; fi
	wait_for 'EXIT=' || fail "$how: the explorer did not end: $(screen | tail -3)"
	for k in $kids; do
		for i in $(seq 50); do alive "$k" || break; sleep 0.1; done
		alive "$k" && { kill "$k"; fail "$how: qemu-nbd $k outlived the explorer"; }
	done
	echo "ok: $how: the explorer and its two qemu-nbd children ended ($(screen | grep -o 'EXIT=[0-9]*'))"
	tui_stop
done
