#!/bin/sh
# The holes of a much fragmented sparse image (6,000 written pieces, 12,000
# runs of data and holes) are found a few milliseconds at a time, not in
# the frame after w: until they are all known the map is drawn without them
# and the status bar says "finding holes"; then, with no other key, the
# screen is redrawn with them, exactly as it is drawn once they are known
# (w twice more).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"
requires python3

IMG="$T/pieces.img"
mkdir -p "$T"
# a byte every 5 MiB over 30 GiB: what the host keeps is 6,000 blocks
python3 - "$IMG" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.ftruncate(fd, 6000 * (5 << 20))
for i in range(6000):
    os.pwrite(fd, b"x", i * (5 << 20) + 4096)
os.close(fd)
EOF
used=$(du -k "$IMG" | cut -f1)
[ "$used" -lt 1000000 ] ||
	skip "this filesystem keeps no holes ($used KiB on disk for 30 GiB)"

TUI_W=230 TUI_H=72
map_rows() { sed -n '2,/^legend/p' | sed '$d' | sed 's/│.*//'; }
holes_on_map() { screen | map_rows | grep -o '·' | wc -l; }

tui_start "$IMG"
wait_indexed
before=$(holes_on_map)
check_eq "never-written cells before w" "$before" 0
# w, then no key: the steps run between keys and end with a redraw
tmux_ send-keys w
wait_for 'holes shown' || fail "w: the holes were never all found: $(screen)"
sleep 0.3
stepped=$(holes_on_map)
screen >"$T/stepped.screen"
keys w
wait_for 'never-written bytes hidden' || fail "w again: no message: $(screen)"
keys w
wait_for 'holes shown' || fail "w a third time: no status: $(screen)"
sleep 0.3
direct=$(holes_on_map)
tui_stop
[ "$stepped" -gt 1000 ] ||
	fail "after the steps only $stepped never-written cells: $(cat "$T/stepped.screen")"
check_eq "never-written cells drawn after the steps and drawn at once" \
	"$stepped" "$direct"
echo "ok: $stepped never-written cells, the same after the steps as drawn at once"
grep -q 'finding holes' "$TOP/docs/diskatlas.1" ||
	fail "the man page does not say what 'finding holes' means"
