#!/bin/sh
# Structures you can see and explained, on the sample disk:
#  - each structure family has its own glyph (and in 256 colours its own
#    colour, no owner's) on the map, and its own character without
#    colour: checked at structures the real tools place (sgdisk, dumpe2fs,
#    debugfs, fsck.fat, pvck), with the cursor on them;
#  - in 8 colours the owners on screen all differ;
#  - the legend fits at 50x12, 80x24, 100x30 and 200x60: every entry
#    whole and one of the owners or families, sizes those of sfdisk;
#  - the side pane explains roles (src/roles.def) and gives PE and LE
#    (pvck), the ext block group (dumpe2fs), the FAT cluster (fsck.fat),
#    the offset in the file (debugfs), the partition's type, label and
#    size (sgdisk) and the filesystem's size, used and free (dumpe2fs);
#  - at 80x24 the whole owner chain of a file is on screen at once; the
#    wheel scrolls the side pane it turns over; F1 helps, F10 quits.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xz sfdisk sgdisk dumpe2fs debugfs fsck.fat pvck python3
[ -x "$DA" ] || fail "diskatlas is not built"
export LVM_SYSTEM_DIR="$T/lvm" LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p "$T/lvm"
IMG="$T/sample.img"
xz -dc "$TOP/docs/samples/sample.img.xz" | cp --sparse=always /dev/stdin "$IMG"

# ---- the truth, from the real tools ----
part() {   # part N: "START SIZE" in sectors (sfdisk)
	sfdisk --json "$IMG" | jq -r ".partitiontable.partitions[$(($1 - 1))] | \"\\(.start) \\(.size)\""
}
set -- $(part 1); p1s=$1 p1n=$2
set -- $(part 2); p2s=$1 p2n=$2
set -- $(part 4); p4s=$1 p4n=$2
dd if="$IMG" of="$T/p1" bs=512 skip="$p1s" count="$p1n" status=none
dd if="$IMG" of="$T/p2" bs=512 skip="$p2s" count="$p2n" status=none
dd if="$IMG" of="$T/pv" bs=512 skip="$p4s" count="$p4n" status=none
size=$(stat -c %s "$IMG")
# root (ext4 on p2): where dumpe2fs and debugfs put its structures
dumpe2fs "$T/p2" 2>/dev/null >"$T/p2.dump"
rbs=$(sed -n 's/^Block size: *//p' "$T/p2.dump")
rsb=$(sed -n 's/^ *Primary superblock at \([0-9]*\),.*/\1/p' "$T/p2.dump" | head -1)
rgd=$(sed -n 's/.*Group descriptors at \([0-9]*\)-.*/\1/p' "$T/p2.dump" | head -1)
rbb=$(sed -n 's/^ *Block bitmap at \([0-9]*\) .*/\1/p' "$T/p2.dump" | head -1)
rit=$(sed -n 's/^ *Inode table at \([0-9]*\)-.*/\1/p' "$T/p2.dump" | head -1)
rj=$(debugfs -R "bmap <8> 100" "$T/p2" 2>/dev/null)
[ -n "$rbs" ] && [ -n "$rsb" ] && [ -n "$rgd" ] && [ -n "$rbb" ] && [ -n "$rit" ] && [ -n "$rj" ] ||
	fail "dumpe2fs/debugfs: no geometry for p2"
rb() { echo $((p2s * 512 + $1 * rbs + 100)); }   # a byte of root's block N
# the ESP (FAT32 on p1): its first FAT and its data area (fsck.fat)
fsck.fat -v -n "$T/p1" >"$T/p1.fsck" 2>&1 || true
fat1=$(sed -n 's/^First FAT starts at byte \([0-9]*\).*/\1/p' "$T/p1.fsck")
fdata=$(sed -n 's/^Data area starts at byte \([0-9]*\).*/\1/p' "$T/p1.fsck")
fcs=$(sed -n 's/^ *\([0-9]*\) bytes per cluster$/\1/p' "$T/p1.fsck")
[ -n "$fat1" ] && [ -n "$fdata" ] && [ -n "$fcs" ] || fail "fsck.fat gives no geometry: $(cat "$T/p1.fsck")"
# the PV (p4): its label sector and metadata area, extents (pvck)
pvck --dump metadata "$T/pv" 2>/dev/null >"$T/meta"
pe_start=$(sed -n 's/^pe_start = \([0-9]*\)$/\1/p' "$T/meta")
ext=$(sed -n 's/^extent_size = \([0-9]*\)$/\1/p' "$T/meta")
[ -n "$pe_start" ] && [ -n "$ext" ] || fail "pvck gives no pe_start or extent_size"
# the metadata area: the pv_header's location after the list's end
mda=$(pvck --dump headers "$T/pv" 2>/dev/null | awk '/# location of metadata area/ { on = 1; next } on && /\.offset / { print $2; exit }')
[ -n "$mda" ] || fail "pvck gives no metadata area"
awk '
	/^logical_volumes \{$/ { inlv = 1; d = 0; next }
	inlv && /\{$/ { d++; if (d == 1) { lv = $1 } }
	inlv && /^\}$/ { if (d == 0) inlv = 0; else d-- }
	inlv && /^start_extent = / { se = $3 }
	inlv && /^extent_count = / { ec = $3 }
	inlv && /^"pv0", / { print lv, se, ec, $2 }' "$T/meta" >"$T/segs"
grep -q '^data ' "$T/segs" || fail "pvck: no segments of vault/data"

# ---- the cursor's cell: its glyph and colour, from capture-pane -e ----
cat >"$T/cursor.py" <<'EOF'
import re, sys
# the first reversed character of the map (rows 2.. until the legend);
# attributes carry over from line to line, as tmux writes them
esc = re.compile(r'\x1b\[([0-9;]*)m')
rev, fg = False, ''
for row, line in enumerate(sys.stdin.read().split('\n')):
    if line.startswith('legend'):
        break
    i = 0
    while i < len(line):
        m = esc.match(line, i)
        if m:
            codes = m.group(1).split(';') if m.group(1) else ['0']
            k = 0
            while k < len(codes):
                c = codes[k]
                if c in ('0', ''):
                    rev, fg = False, ''
                elif c == '7':
                    rev = True
                elif c == '27':
                    rev = False
                elif c == '38' and k + 2 < len(codes):
                    fg = '38;5;' + codes[k + 2]; k += 2
                elif c == '39':
                    fg = ''
                elif c.isdigit() and (30 <= int(c) <= 37 or 90 <= int(c) <= 97):
                    fg = c
                k += 1
            i = m.end()
            continue
        if row > 0 and line[i] == '\u2502':
            break
        if row > 0 and rev:
            print(line[i], fg or '-')
            sys.exit(0)
        i += 1
sys.exit(1)
EOF
# cell OFFSET: "GLYPH COLOUR" of the cell the cursor is on after g OFFSET
cell() {
	keys g; typed "$1"; keys Enter
	sleep 0.2
	screen_e | python3 "$T/cursor.py" || fail "no cursor on the map after g $1: $(screen)"
}
deepest() {   # zoom in until one sector a cell
	i=0
	while ! screen | head -1 | grep -q '1 cell = 512 B' && [ $i -lt 30 ]; do
		keys +; i=$((i + 1))
	done
	screen | head -1 | grep -q '1 cell = 512 B' || fail "cannot zoom to one sector: $(screen | head -1)"
}

# family OFFSETS by name: the structures the tools place
lba() { echo $(($1 * 512 + 10)); }
structures="header $(lba 1) $(rb "$rsb")
tables $(lba 0) $(lba 2) $(rb "$rgd")
bitmaps $(rb "$rbb") $((p1s * 512 + fat1 + 10))
inodes $(rb "$rit")
journal $(rb "$rj")
volume $((p4s * 512 + 512 + 10)) $((p4s * 512 + mda + 10))
copies $((size - 100)) $((size - 512 - 100))"

check_families() {   # THEME: each family one glyph (and one colour)
	: >"$T/fam.$1"
	echo "$structures" | while read -r fam offs; do
		for o in $offs; do
			echo "$fam $(cell "$o")" >>"$T/fam.$1"
		done
	done
	# one glyph (and in 256 colours one colour) a family; 8 colours
	# draw a filesystem's structures in its owner's colour
	for fam in $(awk '{ print $1 }' "$T/fam.$1" | sort -u); do
		n=$(awk -v f="$fam" -v t="$1" '$1 == f { print $2, (t == "8" ? "" : $3) }' "$T/fam.$1" | sort -u | wc -l)
		[ "$n" -eq 1 ] || fail "$1: $fam drawn $n ways: $(grep "^$fam " "$T/fam.$1" | tr '\n' ';')"
	done
	# no two families alike
	check_eq "$1: distinct family glyphs" "$(awk '{ print $2 }' "$T/fam.$1" | sort -u | wc -l)" \
		"$(awk '{ print $1 }' "$T/fam.$1" | sort -u | wc -l)"
	echo "ok: $1: $(awk '{ print $1 "=" $2 }' "$T/fam.$1" | sort -u | tr '\n' ' ')"
}

echo "== 256 colours: a glyph and a colour a family, none an owner's"
TUI_W=200 TUI_H=60
tui_start "$IMG"
wait_indexed
# the owners' colours, from the legend's swatches (full blocks)
screen_e | sed -n '/legend:/,$p' | grep -o "38;5;[0-9]*m█$(printf '\033')\[39m [^ ]*" |
	sed 's/m█.* / /' | sort -u >"$T/owners256"
[ "$(wc -l <"$T/owners256")" -ge 5 ] || fail "fewer than 5 owners in the legend: $(cat "$T/owners256")"
deepest
check_families 256
check_eq "256: distinct family colours" "$(awk '{ print $3 }' "$T/fam.256" | sort -u | wc -l)" \
	"$(awk '{ print $1 }' "$T/fam.256" | sort -u | wc -l)"
awk '{ print $3 }' "$T/fam.256" | sort -u >"$T/famcol"
awk '{ print $1 }' "$T/owners256" | sort -u | comm -12 - "$T/famcol" >"$T/shared"
[ ! -s "$T/shared" ] || fail "an owner shares a family's colour: $(cat "$T/shared")"
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop

echo "== 8 colours: neighbouring owners apart, families by glyph"
tui_start "$IMG" TERM=xterm
wait_indexed
# "COLOUR NAME" of each owner's swatch in the legend
screen_e | sed -n '/legend:/,$p' | grep -o "\[3[0-7]m█[^ ]* [^ ]*" |
	sed 's/^\[\(3[0-7]\)m█.* \([^ ]*\)$/\1 \2/' | sort -u >"$T/owners8"
[ "$(wc -l <"$T/owners8")" -ge 5 ] || fail "8 colours: fewer than 5 owners in the legend: $(cat "$T/owners8")"
col8() { awk -v n="$1" '$2 == n { print $1 }' "$T/owners8"; }
# neighbours on the disk (sfdisk's order, the LV segments of pvck),
# and the two pairs that looked alike: root and data, both swaps
for pair in "ESP root" "root swap" "swap data" "data lvswap" "root data" "swap lvswap"; do
	set -- $pair
	[ -n "$(col8 "$1")" ] && [ -n "$(col8 "$2")" ] || fail "8 colours: no swatch for $1 or $2: $(cat "$T/owners8")"
	[ "$(col8 "$1")" != "$(col8 "$2")" ] || fail "8 colours: $1 and $2 share colour $(col8 "$1")"
done
echo "ok: 8 colours: $(tr '\n' ' ' <"$T/owners8")"
deepest
check_families 8
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop

echo "== NO_COLOR: a character a family"
tui_start "$IMG" NO_COLOR=1
wait_indexed
for c in '= tables' '& inodes' '~ journal' ': bitmaps' '$ volume meta'; do
	screen | sed -n '/^legend:/,$p' | grep -qF "$c" || fail "NO_COLOR: the legend does not say '$c': $(screen | sed -n '/^legend:/,$p')"
done
deepest
check_families mono
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop

echo "== the legend at every size"
# owner SIZE-as-shown: the sizes sfdisk gives the partitions
esp=$(human $((p1n * 512))) root=$(human $((p2n * 512)))
for size in 50x12 80x24 100x30 200x60; do
	TUI_W=${size%x*} TUI_H=${size#*x}
	tui_start "$IMG"
	wait_indexed
	# never written is an overlay: w shows it, and the legend must say so
	[ "$size" = 100x30 ] && { keys w; wait_for 'holes shown' || fail "100x30: w did not show the holes: $(screen)"; }
	# the legend's lines: from "legend:" to the side pane or the status
	screen | sed 's/ *│.*//' | awk '/^legend:/ { on = 1 } on && (/^──/ || /^ q quit/ || / holes shown *$/) { exit } on' >"$T/legend"
	[ -s "$T/legend" ] || fail "$size: no legend: $(screen)"
	# entries are two spaces apart; each must be one we know, whole
	sed 's/^legend: //' "$T/legend" | sed 's/   */\n/g' | sed '/^$/d' >"$T/entries"
	while read -r e; do
		case "$e" in
		'█▓▒ used/mostly/partly'|'█▓▒ full') ;;
		'≡ tables'|'▀ headers'|'▚ bitmaps'|'▦ inodes'|'▤ journal'|'▣ volume meta'|'▞ copies'|'▁ unallocated'|'░ free'|'· never written'|'▙ metadata') ;;
		"█ ESP on sample.img/p1 $esp"|"█ root on sample.img/p2 $root"|'█ swap on sample.img/p3 16 MiB'|'█ data on vault/data 40 MiB'|'█ lvswap on vault/swap 8 MiB') ;;
		'█ ESP on sample.img/p1'|'█ root on sample.img/p2'|'█ swap on sample.img/p3'|'█ data on vault/data'|'█ lvswap on vault/swap') ;;
		'█ ESP'|'█ root'|'█ swap'|'█ data'|'█ lvswap') ;;
		+[0-9]*' more') [ "$size" = 50x12 ] || fail "$size: '$e' where there is room: $(cat "$T/legend")" ;;
		*) fail "$size: a legend entry is cut or overwritten: '$e' in
$(cat "$T/legend")" ;;
		esac
	done <"$T/entries"
	# the cell size in the title is never rounded up: "31.5 KiB (32256 B)"
	t=$(screen | head -1 | sed -n 's/.*1 cell = \([0-9.]*\) \([KMG]i\)B (\([0-9]*\) B).*/\1 \2 \3/p')
	if [ -n "$t" ]; then
		set -- $t
		case $2 in Ki) m=1024 ;; Mi) m=1048576 ;; Gi) m=1073741824 ;; esac
		awk -v x="$1" -v m="$m" -v n="$3" 'BEGIN { exit !(x * m <= n && n - x * m < m / 10) }' ||
			fail "$size: the title says $1 $2B for a cell of $3 B"
	fi
	case $size in
	80x24) grep -qF '█ lvswap on vault/swap 8 MiB' "$T/legend" || fail "80x24: lvswap's size is lost: $(cat "$T/legend")" ;;
	100x30) grep -qF '· never written' "$T/legend" || fail "100x30: never written is not explained: $(cat "$T/legend")" ;;
	esac
	echo "ok: $size: $(wc -l <"$T/entries") entries on $(wc -l <"$T/legend") lines"
	keys q; wait_for '^EXIT=0$' || fail "q at $size"
	tui_stop
done

echo "== the side pane explains, and counts as the tools do"
TUI_W=120 TUI_H=60
# a byte of vault/data's file: the tutorial's, through pvck's segments
OFF=190000000
data=$((OFF - p4s * 512 - pe_start * 512))
E=$((ext * 512))
pe=$((data / E))
le=$(awk -v pe="$pe" '$1 == "data" && pe >= $4 && pe < $4 + $3 { print $2 + pe - $4 }' "$T/segs")
[ -n "$le" ] || fail "PE $pe is in no segment of vault/data"
lvoff=$((le * E + data % E))
: >"$T/lv"
while read -r lv se ec first; do
	[ "$lv" = data ] || continue
	dd if="$IMG" of="$T/lv" bs=512 skip=$((p4s + pe_start + first * ext)) count=$((ec * ext)) \
		seek=$((se * ext)) conv=notrunc status=none
done <"$T/segs"
dumpe2fs -h "$T/lv" 2>/dev/null >"$T/lv.dump"
bs=$(sed -n 's/^Block size: *//p' "$T/lv.dump")
bpg=$(sed -n 's/^Blocks per group: *//p' "$T/lv.dump")
fdb=$(sed -n 's/^First block: *//p' "$T/lv.dump")
blocks=$(sed -n 's/^Block count: *//p' "$T/lv.dump")
freeb=$(sed -n 's/^Free blocks: *//p' "$T/lv.dump")
block=$((lvoff / bs)) group=$(( (lvoff / bs - fdb) / bpg ))
inode=$(debugfs -R "icheck $block" "$T/lv" 2>/dev/null | awk -v b="$block" '$1 == b { print $2 }')
path=$(debugfs -R "ncheck $inode" "$T/lv" 2>/dev/null | awk -v i="$inode" '$1 == i { sub(/^[0-9]+[ \t]+/, ""); print }')
# the file's byte: the extent that holds the block (debugfs ex)
fbyte=$(debugfs -R "ex $path" "$T/lv" 2>/dev/null | awk -v b="$block" '
	NR > 1 { l = $0; gsub(/ *- */, "-", l); n = split(l, f, " "); k = 0
		for (i = 1; i <= n; i++) if (f[i] ~ /^[0-9]+(-[0-9]+)?$/ && i > 4) { k++; r[k] = f[i] }
		split(r[1], lo, "-"); split(r[2], ph, "-"); if (ph[2] == "") ph[2] = ph[1]
		if (b >= ph[1] && b <= ph[2]) { print lo[1] + b - ph[1]; exit } }')
[ -n "$inode" ] && [ -n "$path" ] && [ -n "$fbyte" ] || fail "debugfs: no file, path or extent for block $block"
fbyte=$((fbyte * bs + lvoff % bs))
ptype=$(sgdisk -i 4 "$IMG" | sed -n 's/^Partition GUID code: .* (\(.*\))$/\1/p')
plabel=$(sgdisk -i 4 "$IMG" | sed -n "s/^Partition name: '\(.*\)'$/\1/p")
explain() { sed -n "s/^DA_ROLE([A-Z_0-9]*, \"$1\", [A-Z_]*, [A-Z_]*, \"\(.*\)\")$/\1/p" "$TOP/src/roles.def"; }
# the side pane's text, its wrapped lines joined, spaces squeezed
joined() { side | tr '\n' ' ' | sed 's/  */ /g'; }
has() { joined | grep -qF -- "$(echo "$1" | sed 's/  */ /g')"; }
tui_start "$IMG"
wait_indexed
keys g; typed "$OFF"; keys Enter
s=$(side)
want_pe="@ $((OFF - p4s * 512))  ($(human $((OFF - p4s * 512))))  PE $pe"
has "$want_pe" || fail "no '$want_pe' under the PV: $s"
has "LE $le" || fail "no LE $le under the LV: $s"
has "block $block  file_data, group $group" || fail "no 'block $block  file_data, group $group': $s"
has "file offset $fbyte" || fail "no file offset $fbyte: $s"
has "$(explain file_data)" || fail "file_data is not explained: $s"
has "$(explain allocated)" || fail "allocated is not explained: $s"
has "$ptype, \"$plabel\", $(human $((p4n * 512)))" || fail "no '$ptype, \"$plabel\"' under p4: $s"
want_fs="ext4, $(human $((blocks * bs))): $(human $(( (blocks - freeb) * bs))) used, $(human $((freeb * bs))) free"
has "$want_fs" || fail "no '$want_fs' under the filesystem: $s"
echo "ok: PE $pe, LE $le, block $block group $group, file offset $fbyte of $path, $ptype \"$plabel\", $want_fs"
# an inode table block of root: the role and its explanation
keys g; typed "$(rb "$rit")"; keys Enter
s=$(side)
has "block $rit  inode_table, group 0" || fail "no 'block $rit  inode_table, group 0': $s"
has "$(explain inode_table)" || fail "inode_table is not explained: $s"
# a cluster of the ESP, numbered as FAT numbers them
c=37
keys g; typed "$((p1s * 512 + fdata + c * fcs + 10))"; keys Enter
side | grep -q "cluster $((c + 2))\$" || fail "no 'cluster $((c + 2))' in the ESP: $(side)"
# GPT's header, explained
keys g; typed 512; keys Enter
side | grep -qx '   role gpt_header' || fail "LBA 1 is not the GPT header: $(side)"
has "$(explain gpt_header)" || fail "gpt_header is not explained: $(side)"
# a cell of many blocks names the metadata roles in it
keys g; typed "$(rb "$rbb")"; keys Enter
i=0; while [ $i -lt 8 ] && ! screen | head -1 | grep -q '1 cell = [0-9.]* KiB'; do keys -; i=$((i + 1)); done
side | grep -q 'roles' || fail "the cell's summary names no roles: $(side)"
side | grep -q '% block_bitmap' || fail "the cell's summary does not name block_bitmap: $(side)"
echo "ok: inode_table, cluster $((c + 2)), gpt_header explained; a cell's roles named"
keys q; wait_for '^EXIT=0$' || fail "q"
tui_stop

echo "== 80x24: the whole chain at once; the wheel scrolls the pane under it"
TUI_W=80 TUI_H=24
tui_start "$IMG"
wait_indexed
keys g; typed "$OFF"; keys Enter
s=$(screen | sed -n '/^── owners/,$p')
for want in "partition p4 @ $((OFF - p4s * 512))" "PE $pe" "LV vault/data @ $lvoff  LE $le" \
	"ext4 data @ $lvoff  block $block group $group  file_data" "file $path  @ $fbyte  inode $inode"; do
	echo "$s" | grep -qF "$want" || fail "80x24: '$want' is not on screen: $s"
done
echo "ok: 80x24 shows partition, PV, LV, filesystem and file together"
first=$(screen | sed -n '/^── owners/{n;p;}')
cell0=$(screen | head -1 | sed 's/.*1 cell = \([^|]*\).*/\1/')
y=$(screen | grep -n '^── owners' | cut -d: -f1)
# wheel down over the side pane (SGR 65), three lines a notch
tmux_ send-keys -l "$(printf '\033[<65;10;%dM' $((y + 2)))"; sleep 0.3
[ "$(screen | sed -n '/^── owners/{n;p;}')" != "$first" ] || fail "the wheel over the side pane did not scroll it: $(screen)"
check_eq "the wheel over the side pane zooms nothing" "$(screen | head -1 | sed 's/.*1 cell = \([^|]*\).*/\1/')" "$cell0"
# over the map it zooms
tmux_ send-keys -l "$(printf '\033[<64;10;3M')"; sleep 0.3
[ "$(screen | head -1 | sed 's/.*1 cell = \([^|]*\).*/\1/')" != "$cell0" ] || fail "the wheel over the map did not zoom"
echo "ok: the wheel scrolls the side pane, zooms the map"
keys F1
wait_for 'diskatlas explorer: keys' || fail "F1 shows no help: $(screen)"
keys q
keys F10
wait_for '^EXIT=0$' || fail "F10 does not quit: $(screen)"
echo "ok: F1 help, F10 quit"
tui_stop
