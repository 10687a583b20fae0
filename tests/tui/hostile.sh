#!/bin/sh
# The explorer on hostile images: on a GPT whose 128 entries all hold the
# disk again it opens and quits at once; Ctrl-\ (SIGQUIT) gives the
# terminal back as q does (no alternate screen, no mouse reporting),
# instead of dumping core in raw mode.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"
requires python3
python3 "$IMAGES/hostile.py" "$T" gpt-self128 self4

start=$(date +%s%N)
tui_start "$T/gpt-self128.img"
wait_for '^legend|legend' || fail "no map: $(screen)"
keys q
wait_for '^EXIT=0$' || fail "q did not quit: $(screen)"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 5000 ] || fail "open and quit took $ms ms"
echo "ok: gpt-self128 opened and quit in $ms ms"
tui_stop

tui_start "$T/self4.img"
wait_for 'legend' || fail "no map: $(screen)"
check_eq "alternate screen while open" "$(tmux_ display -p '#{alternate_on}')" 1
keys 'C-\'
wait_for '^EXIT=' || fail "SIGQUIT: the explorer did not exit: $(screen)"
screen | grep -q '^EXIT=131$' || fail "SIGQUIT: exit status $(screen | grep EXIT=)"
check_eq "alternate screen after SIGQUIT" "$(tmux_ display -p '#{alternate_on}')" 0
check_eq "mouse reporting after SIGQUIT" "$(tmux_ display -p '#{mouse_any_flag}')" 0
check_eq "cursor after SIGQUIT" "$(tmux_ display -p '#{cursor_flag}')" 1
echo "ok: SIGQUIT restores the terminal"
