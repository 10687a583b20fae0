#!/bin/sh
# Never written is an overlay, not a third state: the sample disk as a
# sparse file and as a byte-identical copy without holes (cmp says equal)
# give the same screen, colours included, until w is pressed; then the
# sparse one shows never-written cells (and says so in the status bar)
# while the full copy still shows none, and w again gives the first screen
# back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
[ -x "$DA" ] || fail "diskatlas is not built"
SAMPLE="$TOP/docs/samples/sample.img.xz"
[ -f "$SAMPLE" ] || fail "missing docs/samples/sample.img.xz"

mkdir -p "$T/sparse" "$T/full"
xz -dc "$SAMPLE" | cp --sparse=always /dev/stdin "$T/sparse/sample.img"
cp --sparse=never "$T/sparse/sample.img" "$T/full/sample.img"
cmp "$T/sparse/sample.img" "$T/full/sample.img" || fail "the copies differ"
used_s=$(du -k "$T/sparse/sample.img" | cut -f1)
used_f=$(du -k "$T/full/sample.img" | cut -f1)
[ "$used_s" -lt "$used_f" ] ||
	skip "this filesystem keeps no holes (sparse copy $used_s KiB, full $used_f KiB)"

# a map of 200 columns and 60 rows or so: the size the issue measured
TUI_W=230 TUI_H=72
# the holes' glyph (UTF-8) on the map rows, left of the side pane's rule
map_rows() { sed -n '2,/^legend/p' | sed '$d' | sed 's/│.*//'; }
holes_on_map() { screen | map_rows | grep -o '·' | wc -l; }

# IMG OUT: the screen with colours after the index is built.  A colour
# reset at the end of a line is tmux's trace of what was drawn there before
# (the first frame says "indexing files"), not of what is shown: dropped.
shot() {
	tui_start "$1"
	wait_indexed
	screen_e | sed 's/\(\x1b\[[0-9;]*m\)*$//' >"$2"
}

shot "$T/sparse/sample.img" "$T/sparse.screen"
keys w
wait_for 'holes shown' || fail "w: the status bar does not say holes are shown: $(screen)"
hs=$(holes_on_map)
screen >"$T/sparse-w.screen"
keys w
wait_for 'never-written bytes hidden' || fail "w again: no message: $(screen)"
back=$(holes_on_map)
tui_stop

shot "$T/full/sample.img" "$T/full.screen"
keys w
wait_for 'holes shown' || fail "w on the full copy: no status: $(screen)"
hf=$(holes_on_map)
tui_stop

if ! cmp -s "$T/sparse.screen" "$T/full.screen"; then
	diff "$T/sparse.screen" "$T/full.screen" | head -20 >&2
	fail "the sparse sample and its full copy give different screens by default"
fi
echo "ok: sparse and full copies give identical screens (colours included)"
sed 's/\x1b\[[0-9;]*m//g' "$T/sparse.screen" | map_rows | grep -q '·' &&
	fail "holes drawn by default"
[ "$hs" -gt 100 ] || fail "with w the sparse sample shows $hs never-written cells: $(cat "$T/sparse-w.screen")"
check_eq "never-written cells of the full copy with w" "$hf" 0
check_eq "never-written cells after w again" "$back" 0
echo "ok: with w the sparse sample shows $hs never-written cells, the full copy none"
# the key is documented where people look for it
grep -q 'w holes' "$T/sparse.screen" || fail "the status bar does not name w"
# (the man page's key list: a tag line, then what the key does)
sed -n '/^\\fBw\\fR$/{n;p;}' "$TOP/docs/diskatlas.1" | grep -q 'never-written' ||
	fail "the man page does not list w"
