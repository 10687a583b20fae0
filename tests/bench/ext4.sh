#!/bin/sh
# make bench, ext4 at any size: every figure of the performance goals
# beside its goal, measured in one run on the images of images.sh.
# Figures, never assertions: a missed goal prints NOT met and the bench
# goes on.
#
# CPU is user + system time from rusage (tests/bench/rus.c), medians of
# 5, because the machine may be loaded by others; frame times come from the
# explorer's own frame benchmark with its clock answered in process CPU
# time (tests/bench/cpuclock.c), and the first frame is the CPU time of an
# explorer that ends when it first updates the screen.  Lookups are at
# offsets chosen inside files from debugfs's block lists of the files
# written (never from diskatlas); debugfs icheck of the same blocks checks
# the answers.
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DA_BENCH_IMAGES (a b c d e f) and DA_BENCH_SWEEP (images.sh's sizes)
# choose a subset; DA_BENCH_FRAMES the frames a view (100).
# shellcheck disable=SC2046,SC2086 # rus's "CPU RSS" and the image list split on purpose
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=SCRIPTDIR/images.sh
. "$TOP/tests/bench/images.sh"
IMAGES=${DA_BENCH_IMAGES:-a b c d e f}
SWEEP=${DA_BENCH_SWEEP-$SWEEP}
DA=$TOP/diskatlas
BIN=$TOP/build/bench
FRAMES=${DA_BENCH_FRAMES:-100}
if [ "$QUICK" = 1 ]; then NLOOK=200000; else NLOOK=1000000; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/da-bench-ext4.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8
RES=$T/results
: >"$RES"
# the explorer's map 200x60 beside its side pane, as ui/bench.c lays it out
PTY=240x70

put() { echo "$1 $2 $3" >>"$RES"; }          # IMAGE KEY VALUE
get() { awk -v i="$1" -v k="$2" '$1 == i && $2 == k { v = $3 } END { print v }' "$RES"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# rus wrapper: "CPU RSS" of a command, or "- -" when it failed
cpu_rss() {
	if _o=$("$BIN/rus" "$@" 2>"$T/err1"); then echo "$_o"; else echo "- -"; fi
	grep '^rus:' "$T/err1" >>"$T/errors" || true
}
preload() { env LD_PRELOAD="$BIN/cpuclock.so" "$@"; }
mib() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f\n", k / 1024 }'; }
ms() { awk -v s="$1" 'BEGIN { if (s == "-" || s == "") print "-"; else printf "%.1f\n", s * 1000 }'; }

# first_frame IMG: CPU s and peak KiB from start to the first frame
# (the explorer with ncurses shared: cpuclock.so wraps its wrefresh, which
# the program's own static ncurses would keep; its start-up costs about
# 0.1 ms more than diskatlas's)
first_frame() {
	cpu_rss -n 5 -t 900 -p "$PTY" env TERM=xterm-256color DA_BENCH_FIRST_FRAME=1 \
		LD_PRELOAD="$BIN/cpuclock.so" "$BIN/diskatlas-ncshared" "$1"
}

# offsets NAME IMG OFF FILES: $T/NAME.offsets (NLOOK byte offsets inside
# files) and $T/NAME.truth (1,000 of them: offset, fs block, path), from
# debugfs's block lists of up to 400 of the files written
offsets() {
	n=$(wc -l <"$4")
	awk -v n="$n" 'BEGIN { s = n / 400; if (s < 1) s = 1 } NR % int(s) == 0 || n < 400 { print "blocks " $0 }' "$4" |
		head -400 >"$T/$1.cmds"
	debugfs -f "$T/$1.cmds" "$2?offset=$3" 2>/dev/null |
		awk -v off="$3" -v n="$NLOOK" -v truth="$T/$1.truth" '
		/^debugfs: blocks / { path = $3; next }
		path != "" && NF > 0 {
			nf++; p[nf] = path; nb[nf] = NF
			for (k = 1; k <= NF; k++) b[nf, k] = $k
			path = ""
		}
		END {
			if (!nf) exit 1
			srand(11)
			for (i = 0; i < n; i++) {
				f = int(rand() * nf) + 1; k = int(rand() * nb[f]) + 1
				o = off + b[f, k] * 4096 + int(rand() * 4096)
				printf "%.0f\n", o
				if (i < 1000) printf "%.0f %s %s\n", o, b[f, k], p[f] > truth
			}
		}' >"$T/$1.offsets"
}

measure() {
	name=$1
	if ! build "$name"; then
		put "$name" skip 1
		echo "  $name: skipped: $SKIP"
		return 0
	fi
	put "$name" size "$SIZE"
	# the bare libext2fs pass against the file index (goal 5): the two
	# alternate, five rounds, so that a slow spell of the host (the
	# first runs after other work can take 3-5 times as long) falls on
	# both sides rather than on the median of one
	: >"$T/scan"; : >"$T/index"
	for _ in 1 2 3 4 5; do
		"$BIN/e2scan" "$IMG" "$OFF" >>"$T/scan" || true
		# the index: its build in the frame benchmark, on the CPU clock
		DA_BENCH_CPU_CLOCK=1 DISKATLAS_FRAME_BENCH=1 preload "$DA" "$IMG" 2>/dev/null |
			sed -n '1s/.*index build \([0-9.]*\) ms.*/\1/p' >>"$T/index" || true
	done
	put "$name" inodes "$(awk '{ print $3 }' "$T/scan" | median)"
	put "$name" extents "$(awk '{ print $4 }' "$T/scan" | median)"
	put "$name" islands "$ISLAND_EXTENTS"
	put "$name" bare_s "$(awk '{ print $2 }' "$T/scan" | median)"
	put "$name" index_ms "$(median <"$T/index")"
	set -- $(cpu_rss -n 5 -t 900 "$DA" --list "$IMG")
	put "$name" list_s "$1"; put "$name" list_kib "$2"
	set -- $(first_frame "$IMG")
	put "$name" first_s "$1"
	# key to paint: navigation keys once the index is done, the CPU of
	# the explorer's thread from each key to its screen update
	rm -f "$T/keys"
	cpu_rss -t 900 -p "$PTY" env TERM=xterm-256color DA_BENCH_KEYS=48 DA_BENCH_OUT="$T/keys" \
		LD_PRELOAD="$BIN/cpuclock.so" "$BIN/diskatlas-ncshared" "$IMG" >/dev/null
	if [ -s "$T/keys" ]; then
		read -r kmed kworst _ <"$T/keys"
		put "$name" key_med "$kmed"; put "$name" key_worst "$kworst"
	fi
	# frames: disk view, then the filesystem's own space
	DA_BENCH_CPU_CLOCK=1 DISKATLAS_FRAME_BENCH=$FRAMES preload "$DA" "$IMG" 2>/dev/null >"$T/frames" || true
	awk '/^frames: disk/ { d++ } /^frames: view/ { v++ }
		/^frames:/ { k = /^frames: disk/ ? "disk" : "fs"
			match($0, /median [0-9.]+ ms/); m = substr($0, RSTART + 7, RLENGTH - 10)
			match($0, /worst [0-9.]+ ms/); w = substr($0, RSTART + 6, RLENGTH - 9)
			if ((k == "disk" && d == 1) || (k == "fs" && v == 1)) print k "_med " m "\n" k "_worst " w }' "$T/frames" |
		while read -r k v; do put "$name" "$k" "$v"; done
	# lookups inside files
	if offsets "$name" "$IMG" "$OFF" "$FILES"; then
		head -1 "$T/$name.offsets" >"$T/one"
		set -- $(cpu_rss -i "$T/one" "$DA" --lookup - --json "$IMG")
		one=$1
		set -- $(cpu_rss -i "$T/$name.offsets" "$DA" --lookup - --json "$IMG")
		put "$name" lookups_s "$(awk -v a="$one" -v b="$1" -v n="$NLOOK" 'BEGIN {
			if (a == "-" || b == "-" || b <= a) print "-"; else printf "%.0f", (n - 1) / (b - a) }')"
		# 1,000 blocks: diskatlas, debugfs icheck, TSK ifind
		# (three rounds of the three, each a median of 5, the rounds'
		# medians kept: a slow spell of the host falls on all of them)
		cut -d' ' -f1 "$T/$name.truth" >"$T/k"
		blocks=$(cut -d' ' -f2 "$T/$name.truth" | tr '\n' ' ')
		: >"$T/k_da"; : >"$T/k_icheck"; : >"$T/k_floor"
		for _ in 1 2 3; do
			cpu_rss -n 5 -i "$T/k" "$DA" --lookup - --json "$IMG" | cut -d' ' -f1 >>"$T/k_da"
			# shellcheck disable=SC2086 # the block list is one argument
			cpu_rss -n 5 debugfs -R "icheck $blocks" "$IMG?offset=$OFF" | cut -d' ' -f1 >>"$T/k_icheck"
			# the floor under both: a program that does nothing
			cpu_rss -n 5 "$BIN/nothing" | cut -d' ' -f1 >>"$T/k_floor"
		done
		put "$name" k_da_s "$(grep -v '^-$' "$T/k_da" | median)"
		put "$name" k_icheck_s "$(grep -v '^-$' "$T/k_icheck" | median)"
		put "$name" k_floor_s "$(grep -v '^-$' "$T/k_floor" | median)"
		if command -v ifind >/dev/null 2>&1; then
			for b in $(head -3 "$T/$name.truth" | cut -d' ' -f2); do
				cpu_rss ifind -f ext4 -o $((OFF / 512)) -d "$b" "$IMG" | cut -d' ' -f1
			done | median >"$T/ifind"
			put "$name" k_ifind_s "$(awk '$1 != "-" { printf "%.3f", $1 * 1000 }' "$T/ifind")"
		fi
		# the answers beside the ground truth: the path of the file
		# written there, and debugfs icheck's inode for the block
		"$DA" --lookup - --json "$IMG" <"$T/k" 2>/dev/null |
			jq -r '[.owners[] | select(.kind == "filesystem")][0] | "\(.block) \(.inode // "-") \(.path // "-")"' >"$T/answers" || true
		debugfs -R "icheck $blocks" "$IMG?offset=$OFF" 2>/dev/null | awk 'NR > 1 { print $2 }' >"$T/inodes"
		put "$name" agree "$(awk -v f="$T/inodes" '{ getline ino <f; if ($2 == ino && $3 != "-") n++ } END { print n + 0 }' "$T/answers")"
		put "$name" agree_path "$(cut -d' ' -f3 "$T/$name.truth" | paste -d' ' "$T/answers" - | awk '$3 == $4 { n++ } END { print n + 0 }')"
	else
		echo "  $name: no file blocks found by debugfs: lookups skipped"
	fi
}

echo "== ext4 at any size: the performance goals ($MODE mode; CPU = user + system)"
for n in $IMAGES; do
	measure "$n"
done

row() { printf '  %-28s' "$1"; shift; for v in "$@"; do printf ' %11s' "$v"; done; printf '\n'; }
hdr() { row "" $IMAGES; }
asis() { echo "$1"; }
per1000() { echo "$1/1000"; }
ratio() { case $1 in [0-9]*) echo "$1x" ;; *) echo "$1" ;; esac; }
secs() { awk -v s="$1" 'BEGIN { if (s == "-" || s == "") print "-"; else printf "%.3f\n", s }'; }
# line LABEL KEY [FORMAT]: one row, an image a column
line() {
	_k=$2 _f=${3:-asis}
	# shellcheck disable=SC2046 # one word an image
	row "$1" $(for n in $IMAGES; do
		if [ "$(get "$n" skip)" = 1 ]; then echo skip; continue; fi
		v=$(get "$n" "$_k")
		if [ -z "$v" ] || [ "$v" = - ]; then echo -; else "$_f" "$v"; fi
	done)
}
# the ratios, beside the figures they come from
for n in $IMAGES; do
	put "$n" k_ratio "$(awk -v a="$(get "$n" k_da_s)" -v b="$(get "$n" k_icheck_s)" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", b / a; else print "-" }')"
	put "$n" k_above "$(awk -v a="$(get "$n" k_da_s)" -v b="$(get "$n" k_icheck_s)" -v f="$(get "$n" k_floor_s)" 'BEGIN {
		if (a + 0 > f + 0 && b + 0 > f + 0 && f + 0 > 0) printf "%.2f", (b - f) / (a - f); else print "-" }')"
	# the frame benchmark prints whole milliseconds: below 10 the ratio says little
	put "$n" index_ratio "$(awk -v a="$(get "$n" index_ms)" -v b="$(get "$n" bare_s)" 'BEGIN {
		if (a == "" || b + 0 <= 0) print "-"; else if (a < 10) print "(<10ms)"; else printf "%.2f", a / 1000 / b }')"
done

echo
echo "-- images (extents: leaf extents libext2fs walks, all files; made extents: debugfs dump_extents of the sparse (c) or interleaved (f) files)"
hdr
line "size" size
line "inodes in use" inodes
line "extents" extents
line "made extents (debugfs)" islands
echo
echo "-- start-up and memory (medians of 5); key to paint: 48 keys, CPU of the explorer's thread"
hdr
line "--list CPU s" list_s secs
line "--list peak RSS MiB" list_kib mib
line "start to first frame ms" first_s ms
line "key to paint median ms" key_med
line "key to paint worst ms" key_worst
echo
echo "-- lookups at offsets inside files: $NLOOK in one --lookup - --json, less a one-line run; 1,000 blocks, whole process"
echo "   (floor: the CPU of a program that does nothing, under every whole-process figure; on a virtual"
echo "   machine glibc's start-up can be most of it: it asks the CPU's cache sizes with tens of CPUID"
echo "   instructions, and each traps to the hypervisor)"
hdr
line "lookups/s" lookups_s
line "1,000: diskatlas ms" k_da_s ms
line "1,000: debugfs icheck ms" k_icheck_s ms
line "icheck / diskatlas" k_ratio ratio
line "1,000: floor ms (no-op run)" k_floor_s ms
line "icheck / diskatlas - floor" k_above ratio
line "1,000: TSK ifind s (from 3)" k_ifind_s
line "answers = icheck's inode" agree per1000
line "answers = path written" agree_path per1000
echo
echo "-- frames: CPU per 200x60 frame, $FRAMES frames over every zoom level and spread positions"
hdr
line "disk view median ms" disk_med
line "disk view worst ms" disk_worst
line "filesystem view median ms" fs_med
line "filesystem view worst ms" fs_worst
echo
echo "-- the file index beside a bare libext2fs inode scan and extent walk (tests/bench/e2scan.c), medians of 5, the two alternating"
hdr
line "diskatlas index ms" index_ms
line "e2scan ms" bare_s ms
line "index / e2scan" index_ratio ratio

# gd_place IMG OFF: the byte offset and length of the group descriptor
# table, from dumpe2fs -h's geometry (nothing when meta_bg scatters it)
gd_place() {
	dumpe2fs -h "$1?offset=$2" 2>/dev/null | awk -F: '
		/^Filesystem features/ && / meta_bg/ { bad = 1 }
		/^Block count/ { n = $2 } /^Blocks per group/ { g = $2 }
		/^First block/ { f = $2 } /^Block size/ { b = $2 }
		/^Group descriptor size/ { d = $2 }
		END { if (bad || g + 0 <= 0 || b + 0 <= 0) exit 1
			if (!d) d = 32
			printf "%.0f %.0f\n", (f + 1) * b, int((n - f + g - 1) / g) * d }'
}

echo
echo "-- empty ext4 from 128 GiB up (medians of 5)"
echo "   (gd dd: the group descriptors, which --list reads and checks every one"
echo "   of, copied by dd alone: the floor under --list as the disk grows)"
row "" "--list s" "peak MiB" "1st frame ms" "gd dd ms" "gd MiB"
# f's size empty: what f's extents cost is the difference
case " $IMAGES " in *" f "*) SWEEP="$SWEEP 12G" ;; esac
for s in $SWEEP; do
	if build "empty-$s"; then
		set -- $(cpu_rss -n 5 -t 900 "$DA" --list "$IMG")
		put "empty-$s" list_s "$1"; put "empty-$s" list_kib "$2"
		set -- $(first_frame "$IMG")
		put "empty-$s" first_s "$1"
		gd=- gdm=-
		if set -- $(gd_place "$IMG" "$OFF") && [ $# = 2 ]; then
			gdm=$(awk -v b="$2" 'BEGIN { printf "%.1f", b / 1048576 }')
			set -- $(cpu_rss -n 5 dd if="$IMG" of=/dev/null bs=256K \
				iflag=skip_bytes,count_bytes skip=$((OFF + $1)) count="$2" status=none)
			put "empty-$s" gd_s "$1"
			gd=$(ms "$1")
		fi
		row "$s" "$(secs "$(get "empty-$s" list_s)")" "$(mib "$(get "empty-$s" list_kib)")" "$(ms "$(get "empty-$s" first_s)")" "$gd" "$gdm"
	else
		put "empty-$s" skip 1
		row "$s" "skipped: $SKIP"
	fi
done

# the goals, each with its worst figure
echo
echo "== summary: the goals ($MODE mode)"
GOALS=$T/goals
: >"$GOALS"
goal() { # TEXT FIGURE MET(1/0/-)
	case $3 in 1) m=met ;; 0) m="NOT met" ;; *) m="not measured" ;; esac
	printf '  %-62s %-22s %s\n' "$1" "$2" "$m" >>"$GOALS"
}
lo=empty-128G
hi=empty-$(echo "$SWEEP" | awk '{ for (i = NF; i > 0; i--) if ($i != "12G") { print $i; exit } }')
his=${hi#empty-}
# a sweep of one size has no ratio: compare nothing with itself
[ "$hi" != "$lo" ] || hi=none
cmp() { # A B OP LIMIT: a/b, and whether it is within
	awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 <= 0) { print "- -"; exit }
		r = a / b; printf "%.2f %d\n", r, r <= l }'
}
set -- $(cmp "$(get "$hi" list_s)" "$(get $lo list_s)" 2)
goal "1. --list $his / 128 GiB within 2x" "$1x" "$2"
set -- $(cmp "$(get "$hi" gd_s)" "$(get $lo list_s)" 2)
printf '  %-62s %-22s %s\n' "   (floor: dd of $his's descriptors / 128 GiB --list)" "$1x" "a figure, not a goal" >>"$GOALS"
v=$(get "$hi" list_s)
goal "1. --list $his under 1 s" "$(secs "${v:--}") s" "$(awk -v v="$v" 'BEGIN { print (v == "" || v == "-") ? "-" : (v < 1) }')"
set -- $(cmp "$(get "$hi" first_s)" "$(get $lo first_s)" 2)
goal "1. first frame $his / 128 GiB within 2x" "$1x" "$2"
v=$(get "$hi" first_s)
goal "1. first frame $his under 1 s" "$(ms "$v") ms" "$(awk -v v="$v" 'BEGIN { print (v == "" || v == "-") ? "-" : (v < 1) }')"
set -- $(cmp "$(get "$hi" list_kib)" "$(get $lo list_kib)" 1.5)
goal "2. memory $his / 128 GiB within 1.5x" "$1x" "$2"
bpe=$(awk -v f="$(get f list_kib)" -v e="$(get empty-12G list_kib)" -v n="$(get f extents)" 'BEGIN {
	if (f == "" || e == "" || f == "-" || e == "-" || n + 0 <= 0) print "-"; else printf "%.0f", (f - e) * 1024 / n }')
goal "2. bytes per extent (f - empty 12 GiB) at most 64" "$bpe B" "$(awk -v v="$bpe" 'BEGIN { print v == "-" ? "-" : (v <= 64) }')"
v=$(get f list_kib)
# the 80 MiB is for f's 1.05M extents: a quick run's f has an eighth
goal "2. f under 80 MiB" "$(mib "$v") MiB" "$(awk -v v="$v" -v q="$QUICK" 'BEGIN { print (v == "" || v == "-" || q == 1) ? "-" : (v < 80 * 1024) }')"
# worst over the images: KEY, largest (max) or smallest (min)
worst() {
	for n in $IMAGES; do v=$(get "$n" "$1"); [ -n "$v" ] && [ "$v" != "-" ] && echo "$v $n"; done |
		sort -g -k1,1 | if [ "$2" = max ]; then tail -1; else head -1; fi
}
for k in disk_med fs_med; do
	set -- $(worst "$k" max) "" ""
	goal "3. frame median at most 2 ms ($(echo "$k" | sed 's/_med//; s/fs/filesystem/') views)" "${1:--} ms (${2:--})" \
		"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v <= 2) }')"
done
for k in disk_worst fs_worst; do
	set -- $(worst "$k" max) "" ""
	goal "3. frame worst at most 8 ms ($(echo "$k" | sed 's/_worst//; s/fs/filesystem/') views)" "${1:--} ms (${2:--})" \
		"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v <= 8) }')"
done
set -- $(worst key_med max) "" ""
goal "3. key to paint under 16 ms (median, every image)" "${1:--} ms (${2:--})" \
	"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v < 16) }')"
set -- $(worst lookups_s min) "" ""
goal "4. at least 1,000,000 lookups/s on every image" "${1:--}/s (${2:--})" \
	"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v >= 1000000) }')"
for n in $IMAGES; do v=$(get "$n" k_ratio); [ "$v" = - ] || echo "$v $n"; done | sort -g | head -1 >"$T/w"
set -- $(cat "$T/w") "" ""
goal "4. 1,000 lookups at least 5x faster than icheck, every image" "${1:--}x (${2:--})" \
	"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v >= 5) }')"
for n in $IMAGES; do v=$(get "$n" k_above); [ "$v" = - ] || echo "$v $n"; done | sort -g | head -1 >"$T/w"
set -- $(cat "$T/w") "" ""
printf '  %-62s %-22s %s\n' "   (the same, less a no-op program's CPU from both)" "${1:--}x (${2:--})" "a figure, not a goal" >>"$GOALS"
for n in $IMAGES; do v=$(get "$n" index_ratio); case $v in [0-9]*) echo "$v $n" ;; esac; done | sort -g | tail -1 >"$T/w"
set -- $(cat "$T/w") "" ""
goal "5. file index within 1.5x of a bare libext2fs scan" "${1:--}x (${2:--})" \
	"$(awk -v v="$1" 'BEGIN { print v == "" ? "-" : (v <= 1.5) }')"
cat "$GOALS"
if [ -s "$T/errors" ]; then
	echo "  (failed runs: $(sort -u "$T/errors" | head -5 | tr '\n' ';'))"
fi
