#!/bin/sh
# make demo, the README's first command, as a newcomer runs it: in a
# terminal it opens the explorer on the bundled sample disk, whose title
# and legend say what sfdisk and blkid say of that disk, and q gives the
# terminal back with status 0; without a terminal it prints the scan and
# the map instead.  The sample is made anew from docs/samples/sample.img.xz.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires make sfdisk blkid xz
[ -x "$DA" ] || fail "diskatlas is not built"
SAMPLE="$TOP/build/sample.img"
# make demo from make check: not as a part of check's own make (its
# jobserver is not ours); variables given to check's make are in the
# environment, as they were for it
demo_env="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL"

rm -f "$SAMPLE"
echo "== in a terminal"
tmux_ -f /dev/null new-session -d -x "$TUI_W" -y "$TUI_H" -c "$TOP" \
	"$demo_env -u LC_ALL -u LC_CTYPE LANG=C.UTF-8 TERM=xterm-256color make -s demo; echo \"EXIT=\$?\"; sleep 600"
tmux_ set-option -g remain-on-exit on >/dev/null 2>&1 || true
i=0
while ! screen | grep -q '^legend' && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
screen | grep -q '^legend' || fail "make demo did not open the explorer: $(screen)"

# the sample is the bundled one, byte for byte
check_eq "the sample disk" "$(sha256sum <"$SAMPLE")" "$(xz -dc "$TOP/docs/samples/sample.img.xz" | sha256sum)"

# the title names the disk and its size
size=$(stat -c %s "$SAMPLE")
mib=$(awk -v s="$size" 'BEGIN { printf "%d MiB", s / 1048576 }')
screen | head -1 | grep -q "\[sample $mib\]" ||
	fail "the title does not say sample, $mib: $(screen | head -1)"

# the legend names each partition's filesystem by its label (blkid) with
# the partition's size (sfdisk)
sfdisk --json "$SAMPLE" | jq -r '.partitiontable.partitions[] | "\(.start) \(.size)"' >"$T/parts"
[ "$(wc -l <"$T/parts")" -ge 3 ] || fail "sfdisk finds no partitions in the sample"
legend=$(screen | sed -n '/^legend/,$p' | sed 's/ *│.*//')
n=0
while read -r start sectors; do
	n=$((n + 1))
	label=$(blkid -p -o value -s LABEL -O $((start * 512)) "$SAMPLE" 2>/dev/null || true)
	# the LVM physical volume has no label: its LVs are named instead
	[ -n "$label" ] || continue
	want="$label on sample/p$n $(awk -v s="$sectors" 'BEGIN { printf "%d MiB", s * 512 / 1048576 }')"
	echo "$legend" | grep -qF "$want" || fail "the legend does not name '$want': $legend"
	echo "legend: $want"
done <"$T/parts"

keys q
wait_for '^EXIT=' || fail "q did not end the explorer: $(screen)"
check_eq "make demo's status after q" "$(screen | sed -n 's/^EXIT=//p')" 0
check_eq "alternate screen after q" "$(tmux_ display -p '#{alternate_on}')" 0
tui_stop

echo "== without a terminal"
(cd "$TOP" && $demo_env make -s demo </dev/null >"$T/out" 2>&1) ||
	fail "make demo without a terminal failed: $(tail -5 "$T/out")"
grep -q '^(no terminal' "$T/out" || fail "no notice that there is no terminal: $(head -3 "$T/out")"
grep -q '^legend' "$T/out" || fail "no map: $(tail -5 "$T/out")"
# the scan's partitions start where sfdisk says
while read -r start sectors; do
	grep -q "start=$((start * 512)) size=$((sectors * 512)) " "$T/out" ||
		fail "the scan has no partition at $((start * 512)) of $((sectors * 512)) bytes"
done <"$T/parts"
echo ok
