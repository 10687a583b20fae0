#!/bin/sh
# --map: every cell's letter names the owner sfdisk says covers most of
# the cell's bytes (a partition, or the table's unallocated space); the
# legend's sizes are the partitions' sizes; --color=always adds ANSI
# colours without changing a letter, and a pipe gets none by default.
. "$(dirname "$0")/../lib.sh"
requires sfdisk jq xz

img=$(image gpt-five)
W=64 H=8
"$DA" --map --width $W --height $H "$img" >"$T/map"
cell=$(sed -n '1s/.*(\([0-9]*\) bytes)$/\1/p' "$T/map")
[ -n "$cell" ] || fail "no cell size in the header: $(head -1 "$T/map")"
size=$(stat -c %s "$img")

# the legend: letter -> owner
sed -n '/^legend/,$p' "$T/map" | sed '1d' >"$T/legend"
letter_of() { sed -n 's/^  \(.\)  \(.*\)  [0-9.]* [KMGT]\{0,1\}i\{0,1\}B$/\1 \2/p' "$T/legend" | awk -v w="$1" '{ l = $1; sub(/^[^ ]* /, ""); if ($0 == w) print l }'; }

# the truth: partitions from sfdisk, in bytes
sfdisk --json "$img" | jq -r '.partitiontable.partitions[] | "\(.node | capture("(?<n>[0-9]+)$").n) \(.start * 512) \(.size * 512)"' >"$T/parts"
: >"$T/want"
while read -r n start psize; do
	l=$(letter_of "partition p$n")
	[ -n "$l" ] || fail "the legend has no partition p$n: $(cat "$T/legend")"
	echo "$l $start $psize" >>"$T/want"
	# the legend's size is the partition's
	got=$(awk -v l="$l" '$1 == l { print $(NF - 1), $NF }' "$T/legend")
	want=$(awk -v b="$psize" 'BEGIN { printf "%d MiB", b / 1048576 }')
	check_eq "legend size of p$n" "$got" "$want"
done <"$T/parts"
unalloc=$(letter_of "partition_table gpt unallocated")
[ -n "$unalloc" ] || fail "no unallocated space in the legend"

# every cell: the owner of most of its bytes (table sectors count as
# the table's, which is also what unallocated space belongs to)
{ sed -n "2,$((H + 1))p" "$T/map" | tr -d '\n' | fold -w1; echo; } >"$T/cells"
bad=$(awk -v cell="$cell" -v size="$size" -v un="$unalloc" -v want="$T/want" '
	BEGIN { while ((getline l < want) > 0) { split(l, a, " "); np++; L[np] = a[1]; S[np] = a[2]; E[np] = a[2] + a[3] } }
	{
		off = (NR - 1) * cell; end = off + cell; if (end > size) end = size
		best = un; bestb = end - off
		for (i = 1; i <= np; i++) {
			lo = S[i] > off ? S[i] : off; hi = E[i] < end ? E[i] : end
			if (hi > lo) bestb -= hi - lo
		}
		for (i = 1; i <= np; i++) {
			lo = S[i] > off ? S[i] : off; hi = E[i] < end ? E[i] : end
			if (hi - lo > bestb) { best = L[i]; bestb = hi - lo }
		}
		if (toupper($0) != best) print "cell " NR - 1 " (offset " off "): " $0 " but sfdisk says " best
	}' "$T/cells")
[ -z "$bad" ] || { echo "$bad" | head; fail "$(echo "$bad" | wc -l) cells disagree with sfdisk"; }
echo "ok: $(wc -l <"$T/cells") cells agree with sfdisk"

# colour: none into a pipe, ANSI with --color=always, same letters
if grep -q "$(printf '\033')" "$T/map"; then fail "--map into a pipe has escape sequences"; fi
"$DA" --map --color=always --width $W --height $H "$img" >"$T/cmap"
grep -q "$(printf '\033')\[[0-9;]*38;5;[0-9]*m" "$T/cmap" || fail "--color=always has no colours"
sed "s/$(printf '\033')\[[0-9;]*m//g" "$T/cmap" >"$T/stripped"
cmp -s "$T/stripped" "$T/map" || fail "--color=always changes the text: $(diff "$T/map" "$T/stripped" | head -5)"
"$DA" --map --color=never --width $W --height $H "$img" | cmp -s - "$T/map" || fail "--color=never differs from the plain map"
set +e
"$DA" --map --color=sometimes "$img" >/dev/null 2>"$T/err"
rc=$?
set -e
check_eq "--color=sometimes exit status" "$rc" 2
check_eq "--color=sometimes message" "$(head -1 "$T/err")" "diskatlas: --color wants auto, always or never"
echo ok
