#!/bin/sh
# docs/tutorial.md stays true.  In a scratch copy of the sample disk:
#  - every fenced block whose first line is "$ diskatlas ...", "$ dd ...",
#    "$ debugfs ..." or "$ printf ..." is run, command by command (each
#    "$ " line; standard error is not compared), and what follows each
#    command must be its output.  A line "..." stands for any number of
#    lines; a line ending in "..." for any line that begins with the rest.
#  - every block after a line "<!-- screen: KEY... -->" is what the
#    explorer shows (tmux, 110 x 32) after those keys from a fresh start;
#    a key name (Enter, Left, BSpace) is a key, anything else is typed.
#  - the walk down the stack is redone from the real tools' answers
#    (sfdisk, pvck, dumpe2fs, debugfs), without diskatlas, and the numbers
#    must be the ones the tutorial gives and diskatlas finds.
. "$(dirname "$0")/../lib.sh"
requires xz jq tmux sfdisk dumpe2fs debugfs pvck ifind ffind
[ -x "$DA" ] || fail "diskatlas is not built"
DOC="$TOP/docs/tutorial.md"
[ -f "$DOC" ] || fail "no docs/tutorial.md"

mkdir "$T/bin" "$T/lesson" "$T/lvm" "$T/b"
ln -s "$DA" "$T/bin/diskatlas"
PATH="$T/bin:$PATH:/sbin:/usr/sbin"
# pvck reads the files it is given, with no configuration from the host
export LVM_SYSTEM_DIR="$T/lvm" LVM_SUPPRESS_FD_WARNINGS=1
W="$T/lesson"
cd "$W"
xz -dc "$TOP/docs/samples/sample.img.xz" >sample.img
# what the tutorial shows of never-written blocks needs the holes
[ "$(du -k sample.img | cut -f1)" -lt 131072 ] ||
	skip "the scratch directory does not keep sample.img sparse"

# The blocks: b/N.cmd (a command block) or b/N.screen with b/N.keys.
awk -v dir="$T/b" '
	/^```/ {
		if (!inb) {
			inb = 1; n++; first = 1; kind = ""
			if (prev ~ /^<!-- screen: .* -->$/) {
				kind = "screen"; k = prev
				sub(/^<!-- screen: /, "", k); sub(/ -->$/, "", k)
				print k > (dir "/" n ".keys"); close(dir "/" n ".keys")
			}
			next
		}
		inb = 0; if (kind != "") close(dir "/" n "." kind); prev = $0; next
	}
	inb && first {
		first = 0
		if (kind == "" && $0 ~ /^\$ (diskatlas|dd|debugfs|printf) /) kind = "cmd"
	}
	inb && kind != "" { print > (dir "/" n "." kind) }
	{ prev = $0 }' "$DOC"
ls "$T/b" | grep -q '\.cmd$' || fail "no command blocks found in the tutorial"

# match EXPECTED GOT: the expected lines (with "..." as above) against the
# real ones; trailing blanks and TABs (as 8 columns) do not count.
norm() { expand "$1" | sed 's/[[:space:]]*$//'; }
match() {
	norm "$1" >"$T/m.want"; norm "$2" >"$T/m.got"
	awk -v wantf="$T/m.want" '
		function line_ok(e, g,   p) {
			if (e ~ /[^.]\.\.\.$/) { p = substr(e, 1, length(e) - 3); return substr(g, 1, length(p)) == p }
			return e == g
		}
		function m(i, j,   k) {
			if (i > ne) return j > ng
			if (E[i] == "...") { for (k = j; k <= ng + 1; k++) if (m(i + 1, k)) return 1; return 0 }
			if (j > ng || !line_ok(E[i], G[j])) return 0
			return m(i + 1, j + 1)
		}
		BEGIN { while ((getline l < wantf) > 0) E[++ne] = l }
		{ G[++ng] = $0 }
		END { exit m(1, 1) ? 0 : 1 }' "$T/m.got"
}

claims() {   # claims TEXT...: the tutorial says each TEXT
	for c in "$@"; do
		grep -qF -- "$c" "$DOC" || fail "the tutorial does not say '$c'"
	done
}

# Command blocks, in the order of the tutorial (later ones use the files
# earlier ones make).
ncmd=0
for f in $(ls "$T/b" | grep '\.cmd$' | sort -n); do
	awk -v dir="$T/b" -v f="${f%.cmd}" '
		/^\$ / {
			if (c) { close(out ".sh"); close(out ".want") }
			c++; out = dir "/" f "-" c; print substr($0, 3) > (out ".sh"); printf "" > (out ".want"); next
		}
		{ print > (out ".want") }' "$T/b/$f"
	for c in $(ls "$T/b" | grep "^${f%.cmd}-[0-9]*\.sh$" | sort -t- -k2 -n); do
		cmd=$(cat "$T/b/$c")
		w="$T/b/${c%.sh}.want"
		set +e
		sh -c "$cmd" >"$T/got" 2>"$T/err"
		rc=$?
		set -e
		[ $rc -eq 0 ] || fail "\$ $cmd: exit status $rc: $(head -3 "$T/err")"
		match "$w" "$T/got" || fail "\$ $cmd: the tutorial shows
$(cat "$w")
but the output is
$(cat "$T/got")"
		ncmd=$((ncmd + 1))
	done
done
echo "ok: $ncmd commands print what the tutorial shows"

# Screens.
SOCK="da-tut-$$"
stop_tmux() { tmux -L "$SOCK" kill-server 2>/dev/null || true; }
trap 'stop_tmux; rm -rf "$T"' EXIT
cap() { tmux -L "$SOCK" capture-pane -p; }
# wait until the explorer is up, its file index built, and the screen still
settle() {
	i=0; last=""
	while [ $i -lt 60 ]; do
		sleep 0.1; now=$(cap)
		case $now in *diskatlas*) ;; *) i=$((i + 1)); continue ;; esac
		case $now in *indexing*|*"reading the filesystems"*|*"reading maps"*)
			i=$((i + 1)); continue ;; esac
		[ "$now" = "$last" ] && return 0
		last=$now; i=$((i + 1))
	done
	fail "the explorer's screen did not settle: $(cap | head -3)"
}
nscreen=0
for f in $(ls "$T/b" | grep '\.screen$' | sort -n); do
	keys=$(cat "$T/b/${f%.screen}.keys")
	# a server of its own for each screen: a new session on the socket
	# of a server still shutting down fails ("server exited unexpectedly")
	SOCK="da-tut-$$-${f%.screen}"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 110 -y 32 -c "$W" \
		"env -u LC_ALL -u LC_CTYPE LANG=C.UTF-8 TERM=xterm-256color '$DA' sample.img; sleep 600"
	settle
	for k in $keys; do
		case $k in
		[A-Z][A-Za-z]*) tmux -L "$SOCK" send-keys "$k" ;;
		*) tmux -L "$SOCK" send-keys -l "$k" ;;
		esac
		sleep 0.15
	done
	# the screen the tutorial shows, once the explorer has caught up
	i=0
	while :; do
		cap >"$T/screen"
		match "$T/b/$f" "$T/screen" && break
		i=$((i + 1))
		[ $i -lt 30 ] || break
		sleep 0.1
	done
	stop_tmux
	match "$T/b/$f" "$T/screen" || fail "after the keys $keys the tutorial shows
$(cat "$T/b/$f")
but the screen is
$(cat "$T/screen")"
	nscreen=$((nscreen + 1))
done
[ $nscreen -gt 0 ] || fail "no screens found in the tutorial"
echo "ok: $nscreen screens are what the explorer shows"

# The walk down the stack from the real tools alone.  The byte is the one
# the tutorial follows: its first "$ diskatlas --lookup N sample.img".
OFF=$(sed -n 's/^\$ diskatlas --lookup \([0-9]*\) sample\.img$/\1/p' "$DOC" | head -1)
[ -n "$OFF" ] || fail "the tutorial follows no byte"
set -- $(sfdisk --json sample.img | jq -r '.partitiontable.partitions[] | select(.type == "E6D6D379-F507-44C2-A23C-238F2A3DF928") | "\(.start) \(.size)"')
[ $# -eq 2 ] || fail "sfdisk finds no single LVM partition"
p4s=$1 p4n=$2
dd if=sample.img of="$T/pv" bs=512 skip="$p4s" count="$p4n" status=none
pvck --dump metadata "$T/pv" 2>/dev/null >"$T/meta"
pe_start=$(sed -n 's/^pe_start = \([0-9]*\)$/\1/p' "$T/meta")
ext=$(sed -n 's/^extent_size = \([0-9]*\)$/\1/p' "$T/meta")
pe_count=$(sed -n 's/^pe_count = \([0-9]*\)$/\1/p' "$T/meta")
[ -n "$pe_start" ] && [ -n "$ext" ] && [ -n "$pe_count" ] || fail "pvck gives no pe_start, extent_size or pe_count"
# segments: LV START_EXTENT EXTENT_COUNT FIRST_PE
awk '
	/^logical_volumes \{$/ { inlv = 1; d = 0; next }
	inlv && /\{$/ { d++; if (d == 1) { lv = $1 } }
	inlv && /^\}$/ { if (d == 0) inlv = 0; else d-- }
	inlv && /^start_extent = / { se = $3 }
	inlv && /^extent_count = / { ec = $3 }
	inlv && /^"pv0", / { print lv, se, ec, $2 }' "$T/meta" >"$T/segs"
[ "$(grep -c '^data ' "$T/segs")" -eq 2 ] || fail "pvck: vault/data has not two segments: $(cat "$T/segs")"
E=$((ext * 512)) P0=$((p4s * 512 + pe_start * 512))
# assemble vault/data from its segments, in the order of its extents
: >"$T/lv"
while read -r lv se ec pe; do
	[ "$lv" = data ] || continue
	dd if=sample.img of="$T/lv" bs=512 skip=$((p4s + pe_start + pe * ext)) count=$((ec * ext)) \
		seek=$((se * ext)) conv=notrunc status=none
done <"$T/segs"
# the slices the tutorial cuts with dd are the partitions and the LV
for f in "$W"/p[0-9]*.img; do
	[ -f "$f" ] || continue
	n=$(basename "$f" .img); n=${n#p}
	set -- $(sfdisk --json sample.img | jq -r ".partitiontable.partitions[] | select(.node | test(\"[^0-9]$n\$\")) | \"\\(.start) \\(.size)\"")
	[ $# -eq 2 ] || fail "sfdisk has no partition $n"
	dd if=sample.img bs=512 skip="$1" count="$2" status=none | cmp -s - "$f" || fail "p$n.img is not partition $n"
	claims "skip=$1 count=$2"
done
[ -f "$W/data.lv" ] || fail "the tutorial assembles no data.lv"
cmp -s "$W/data.lv" "$T/lv" || fail "the tutorial's data.lv is not vault/data"
while read -r lv se ec pe; do
	[ "$lv" = data ] || continue
	claims "(sector $((p4s + pe_start + pe * ext)))"
done <"$T/segs"
claims "$p4s + $pe_start + $ext"
bs=$(dumpe2fs -h "$T/lv" 2>/dev/null | sed -n 's/^Block size: *\([0-9]*\)$/\1/p')
[ -n "$bs" ] || fail "dumpe2fs reads no block size from the assembled LV"
# lv_to_disk LV_OFFSET: the disk byte, through the segment that maps it
lv_to_disk() {
	awk -v o="$1" -v E="$E" -v P0="$P0" '
		$1 == "data" { le = int(o / E); if (le >= $2 && le < $2 + $3) { printf "%d\n", P0 + ($4 + le - $2) * E + o % E; exit } }' "$T/segs"
}

# disk -> partition -> PV extent -> LV extent -> block -> inode -> path
part=$((OFF - p4s * 512))
data=$((part - pe_start * 512))
pe=$((data / E)) within=$((data % E))
le=$(awk -v pe="$pe" '$1 == "data" && pe >= $4 && pe < $4 + $3 { print $2 + pe - $4 }' "$T/segs")
[ -n "$le" ] || fail "PE $pe of the PV is in no segment of vault/data"
lvoff=$((le * E + within))
block=$((lvoff / bs))
inode=$(debugfs -R "icheck $block" "$T/lv" 2>/dev/null | awk -v b="$block" '$1 == b { print $2 }')
path=$(debugfs -R "ncheck $inode" "$T/lv" 2>/dev/null | awk -v i="$inode" '$1 == i { sub(/^[0-9]+[ \t]+/, ""); print }')
[ -n "$inode" ] && [ -n "$path" ] || fail "debugfs: block $block of vault/data belongs to no file"
echo "byte $OFF: p4 $part, PE $pe + $within, LE $le, LV $lvoff, block $block, inode $inode, $path"
check_eq "the way back up" "$(lv_to_disk $lvoff)" "$OFF"
"$DA" --lookup "$OFF" --json sample.img >"$T/look"
check_eq "diskatlas: offset in the LV" "$(jq -r '.owners[] | select(.kind == "lv") | .offset' "$T/look")" "$lvoff"
check_eq "diskatlas: block" "$(jq -r '.owners[-1].block' "$T/look")" "$block"
check_eq "diskatlas: inode" "$(jq -r '.owners[-1].inode' "$T/look")" "$inode"
check_eq "diskatlas: path" "$(jq -r '.owners[-1].path' "$T/look")" "$path"
claims "**$part**" "**physical extent $pe**" "**LE $le**" "**$lvoff**" "**block $block**" \
	"icheck $block" "ncheck $inode" "$inode	$path"

# exercise 2: group 3's backup superblock, through segment2
sb3=$(dumpe2fs "$T/lv" 2>/dev/null | sed -n 's/^ *Backup superblock at \([0-9]*\),.*/\1/p' | sed -n 2p)
[ -n "$sb3" ] || fail "dumpe2fs finds no second backup superblock"
d=$(lv_to_disk $((sb3 * bs)))
check_eq "diskatlas: role at disk byte $d" "$("$DA" --lookup "$d" --json sample.img | jq -r '.owners[-1] | "\(.role) \(.block)"')" "superblock $sb3"
claims "block $sb3 of the LV" "**$d**"
# exercise 4: the first block of /music/track1.ogg
b=$(debugfs -R "ex /music/track1.ogg" "$T/lv" 2>/dev/null | awk 'NR == 2 { print $8 }')
d=$(lv_to_disk $((b * bs)))
check_eq "diskatlas: file at disk byte $d" "$("$DA" --lookup "$d" --json sample.img | jq -r '.owners[-1].path')" /music/track1.ogg
claims "**$d**"
# exercise 3: the extents no segment uses, and where they are on the disk
free=$(awk -v n="$pe_count" '{ for (i = $4; i < $4 + $3; i++) u[i] = 1 } END { for (i = 0; i < n; i++) if (!(i in u)) { if (f == "") f = i; l = i } print f, l }' "$T/segs")
set -- $free
claims "PEs $1–$2 are free" "$(($2 - $1 + 1)) × 2 MiB" "(disk $((P0 + $1 * E)))" "(disk $((P0 + ($2 + 1) * E)))"
echo ok
