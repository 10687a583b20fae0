#!/bin/sh
# The bytes (x): the GPT header shows 45 46 49 20 50 41 52 54 and
# "EFI PART" with its fields named; the ext superblock of p2 shows its magic
# 53 ef, named, with dumpe2fs's magic number and block count; the LVM label
# shows LABELONE and LVM2 001; every hex line on screen is the image's own
# bytes (od), scrolling included; in an LV's view the second column is the
# disk byte, found by hand from sfdisk and pvck; 50x12 still shows bytes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires sfdisk dumpe2fs pvck od
[ -x "$DA" ] || fail "diskatlas is not built"
PATH="$PATH:/sbin:/usr/sbin"
export LVM_SYSTEM_DIR="$T/lvm" LVM_SUPPRESS_FD_WARNINGS=1
mkdir "$T/lvm"

xz -dc "$TOP/docs/samples/sample.img.xz" | cp --sparse=always /dev/stdin "$T/sample.img"
IMG="$T/sample.img"
sfdisk --json "$IMG" >"$T/sf.json"
pstart() { echo $(($(jq -r ".partitiontable.partitions[$(($1 - 1))].start" "$T/sf.json") * 512)); }

# hex_lines: "OFFSET[ DISKOFF] xx xx ..." of the hex lines on screen
hex_lines() {
	screen | awk 'NR > 2 && /^──|^--/ { exit } NR > 2' |
		sed -n 's/^\([0-9a-f]\{8,\}\)\( [0-9a-f]\{8,\}\)\{0,1\}  \(\([0-9a-f][0-9a-f]  \{0,1\}\)*\).*/\1 \3/p'
}
# every hex line against od at that offset of FILE, plus BASE
check_bytes() {
	file=$1 base=$2 what=$3
	hex_lines >"$T/lines"
	[ "$(wc -l <"$T/lines")" -ge 3 ] || fail "$what: no hex lines: $(screen)"
	while read -r off bytes; do
		n=$(echo $bytes | wc -w)
		want=$(od -An -tx1 -v -j $((0x$off + base)) -N "$n" "$file" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
		got=$(echo $bytes)
		[ "$got" = "$want" ] || fail "$what: at 0x$off the screen shows $got, od shows $want"
	done <"$T/lines"
	echo "ok: $what: $(wc -l <"$T/lines") lines are the image's bytes"
}
fieldval() { screen | grep -o -- "$1 = .*" | head -1 | sed 's/  .*//; s/ *$//'; }

tui_start "$IMG"
wait_indexed

# the GPT header in LBA 1
keys g; typed 512; keys Enter; keys x
wait_for 'GPT header' || fail "x at LBA 1: no GPT header named: $(screen)"
screen | grep -q '^00000200  45 46 49 20 50 41 52 54 ' || fail "the signature's bytes are not at 0x200: $(screen)"
screen | grep -q 'EFI PART' || fail "no EFI PART in the ASCII column"
check_eq "signature field" "$(fieldval signature)" 'signature = "EFI PART"'
ll=$(sfdisk -d "$IMG" | sed -n 's/^last-lba: //p')
check_eq "last usable LBA (sfdisk)" "$(fieldval 'last usable LBA')" "last usable LBA = $ll (0x$(printf %x "$ll"))"
check_bytes "$IMG" 0 "GPT header"
keys NPage
check_bytes "$IMG" 0 "after PgDn"
screen | grep -q 'GPT entry 1 at 0x400' || fail "PgDn: the first GPT entry is not named: $(screen)"
keys x
sleep 0.2
# the hex lines and the field list are gone (the side pane may still
# explain the GPT header's role in words)
screen | grep -q '^00000200  45 46 49 20' && fail "x did not close the bytes"
screen | grep -q 'GPT entry 1 at 0x400' && fail "x did not close the field list"
wait_for '│' || fail "x did not bring the map back: $(screen)"

# the ext superblock of p2
p2=$(pstart 2)
dd if="$IMG" of="$T/p2" bs=1M iflag=skip_bytes,count_bytes skip="$p2" count=$((96 * 1048576)) status=none
dumpe2fs -h "$T/p2" 2>/dev/null >"$T/dump"
magic=$(sed -n 's/^Filesystem magic number: *0x//p' "$T/dump" | tr A-F a-f)
bc=$(sed -n 's/^Block count: *//p' "$T/dump")
[ "$magic" = ef53 ] || fail "dumpe2fs: magic $magic"
keys g; typed $((p2 + 1024)); keys Enter; keys x
wait_for 'ext superblock' || fail "x at p2's byte 1024: no ext superblock: $(screen)"
line=$(printf '%08x' $((p2 + 1024 + 48)))
screen | grep -Eq "^$line  [0-9a-f ]{24} 53 ef " || fail "the magic's bytes are not at +0x38: $(screen)"
check_eq "magic field" "$(fieldval magic)" "magic = $((0x$magic)) (0x$magic)"
check_eq "block count field" "$(fieldval 'block count')" "block count = $bc (0x$(printf %x "$bc"))"
check_bytes "$IMG" 0 "ext superblock"
keys Escape
sleep 0.2

# the LVM label in p4's sector 1
p4=$(pstart 4)
keys g; typed $((p4 + 512)); keys Enter; keys x
wait_for 'LVM label' || fail "x at p4's sector 1: no LVM label: $(screen)"
check_eq "label id" "$(fieldval 'label id')" 'label id = "LABELONE"'
check_eq "label type" "$(fieldval 'label type')" 'label type = "LVM2 001"'
check_bytes "$IMG" 0 "LVM label"
keys q
sleep 0.2

# in vault/data's own view: the second column is the disk byte
dd if="$IMG" of="$T/pv" bs=1M iflag=skip_bytes skip="$p4" status=none
pvck --dump metadata "$T/pv" 2>/dev/null >"$T/meta"
pe_start=$(sed -n 's/^pe_start = \([0-9]*\)$/\1/p' "$T/meta")
first=$(awk '/^data \{$/ { on = 1 } on && /^"pv0", / { print $2; exit }' "$T/meta")
seg1=$(awk '/^data \{$/ { on = 1 } on && /^start_extent = / { print $3; exit }' "$T/meta")
ext=$(sed -n 's/^extent_size = \([0-9]*\)$/\1/p' "$T/meta")
[ -n "$pe_start" ] && [ -n "$first" ] && [ "$seg1" = 0 ] || fail "pvck: no pe_start or first segment of data"
disk=$((p4 + pe_start * 512 + first * ext * 512 + 1024))
keys g; typed $((p4 + pe_start * 512 + first * ext * 512 + 4096)); keys Enter; keys Enter
wait_for 'view vault/data' || fail "Enter did not open vault/data: $(screen | head -1)"
keys g; typed 1024; keys Enter; keys x
wait_for 'ext superblock' || fail "x in vault/data: no ext superblock: $(screen)"
screen | grep -q "^00000400 $(printf '%08x' "$disk")  " || fail "vault/data byte 1024: the disk column is not $disk: $(screen)"
dd if="$IMG" of="$T/lv" bs=1M iflag=skip_bytes skip=$((disk - 1024)) count=1 status=none
check_bytes "$T/lv" 0 "vault/data's superblock"
echo "ok: vault/data byte 1024 is disk byte $disk"

# small: 50x12 still shows bytes and a field
tmux_ resize-window -x 50 -y 12
sleep 0.4
screen | grep -Eq '^00000400 [0-9a-f]{8}  00 28 00 00' || screen | grep -Eq '^00000400  00 28' ||
	fail "50x12: no hex line: $(screen)"
[ "$(screen | wc -L)" -le 50 ] || fail "50x12: lines wider than the terminal"
screen | grep -q 'inode count = ' || fail "50x12: no field named: $(screen)"
echo "ok: 50x12"
