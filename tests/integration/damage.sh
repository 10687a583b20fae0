#!/bin/sh
# Hostile input: every test image, damaged many times over (fields of the
# tables, superblocks, FATs and LVM metadata overwritten with random and
# extreme values), must never crash or hang diskatlas.  Each run must end
# with exit 0 (what parsed, with unknown owners and reasons for the rest)
# or 1 (one clear line), within the time limit.
. "$(dirname "$0")/../lib.sh"
requires jq xz perl

ROUNDS=${DAMAGE_ROUNDS:-12}
runs=0
# run CMD...: fails the test on a crash (signal), a hang, or a bad status
run() {
	set +e
	timeout 30 "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	runs=$((runs + 1))
	case $rc in
	0|1) ;;
	124) fail "hang (30 s): $* (image kept at $keep)" ;;
	*) cp "$dmg" "$keep"; fail "exit $rc: $* (image kept at $keep); $(head -3 "$T/err")" ;;
	esac
	if [ "$rc" -eq 1 ]; then
		[ "$(wc -l <"$T/err")" -ge 1 ] || fail "exit 1 without a message: $*"
	fi
}
# pokes FILE: writes each "OFFSET HEXBYTES" line of stdin into FILE, in
# one process (a round has 24 of them, and there are hundreds of rounds)
pokes() {
	perl -e 'open(my $h, "+<", $ARGV[0]) or die "$ARGV[0]: $!"; binmode $h;
		while (<STDIN>) { my ($o, $x) = split; seek($h, $o, 0) or die; print $h pack("H*", $x) }
		close($h) or die "$ARGV[0]: $!"' "$1"
}

keep="$TOP/tests/out/damaged.img"
seed=1
for xzf in "$IMAGES"/*.img.xz; do
	[ -f "$xzf" ] || continue
	name=$(basename "$xzf" .img.xz)
	orig=$(image "$name")
	size=$(stat -c %s "$orig")
	# where to aim: the start of the disk, its end (GPT backup), and the
	# first 1 MiB of every partition (superblocks, FATs, PV labels and
	# metadata live there)
	"$DA" --list --json "$orig" >"$T/list.json" 2>/dev/null || true
	starts=$(jq -r '[.. | objects | select(has("start") and has("size") and has("content")) | .start] | .[]' "$T/list.json" 2>/dev/null || true)
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		dmg="$T/$name.dmg"
		cp --sparse=always "$orig" "$dmg"
		# 24 pokes a round: 4-byte fields set to random or extreme values
		awk -v seed="$seed" -v size="$size" -v starts="$starts" 'BEGIN {
			srand(seed); n = split(starts, s, " ")
			for (k = 0; k < 24; k++) {
				p = rand()
				if (p < 0.25 || n == 0) o = int(rand() * 65536)
				else if (p < 0.35) o = size - 1 - int(rand() * 65536)
				else o = s[1 + int(rand() * n)] + int(rand() * 1048576)
				if (o < 0) o = 0
				if (o > size - 8) o = size - 8
				o = o - o % 4
				v = int(rand() * 5)
				x = v == 0 ? "ffffffff" : v == 1 ? "00000000" : v == 2 ? "ffffff7f" : v == 3 ? "01000000" :
					sprintf("%02x%02x%02x%02x", int(rand() * 256), int(rand() * 256), int(rand() * 256), int(rand() * 256))
				printf "%d %s\n", o, x
			}
		}' | pokes "$dmg" || fail "could not damage $dmg"
		run "$DA" --list --json "$dmg"
		jq -e . "$T/out" >/dev/null 2>&1 || [ ! -s "$T/out" ] || fail "invalid JSON from --list on $name round $r"
		awk -v seed="$seed" -v size="$size" 'BEGIN { srand(seed + 1); for (k = 0; k < 200; k++) printf "%d\n", int(rand() * size) }' >"$T/offs"
		run "$DA" --lookup - --json "$dmg" <"$T/offs"
		run "$DA" --map --width 40 --height 8 "$dmg"
		r=$((r + 1)); seed=$((seed + 1))
	done
done
[ "$runs" -gt 0 ] || fail "no committed test images in tests/images"
echo "ok: $runs runs on damaged images, no crash or hang"
