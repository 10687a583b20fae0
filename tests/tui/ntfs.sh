#!/bin/sh
# The explorer down to a file inside NTFS on the Windows-like disk: `g` to
# a byte of a fragmented file shows its path and MFT record (ntfsinfo gives
# its runs), `e` goes to its next fragment (ntfsinfo's next run), `/`
# with a stream's name lands on a cluster ntfscluster says is that stream,
# Enter goes into the volume's own space at the same cluster, and the side
# pane agrees with --lookup throughout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires sfdisk ntfsinfo ntfscluster ntfsls jq
[ -x "$DA" ] || fail "diskatlas is not built"
need_image windows

start=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .start')
size=$(sfdisk --json "$IMG" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .size')
fs="$T/fs.img"
dd if="$IMG" of="$fs" bs=512 skip="$start" count="$size" conv=sparse status=none
part=$((start * 512))
cs=$(ntfsinfo -m "$fs" 2>/dev/null | awk -F: '/Cluster Size/ { print $2 + 0 }')
path="/Program Files/App/fragA.dat"
ino=$(ntfsls -R -a -i "$fs" 2>/dev/null | awk '/^\/.*:$/ { d = $0 } d == "/Program Files/App:" && $2 == "fragA.dat" { print $1 }')
[ -n "$ino" ] || fail "ntfsls does not list $path"
# its runs, in file order: "LCN LENGTH"
ntfsinfo -v -i "$ino" "$fs" 2>/dev/null | awk '
	function hex(s,  i, v) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	/^Dumping attribute \$DATA/ { d = 1; next } /^Dumping/ { d = 0 }
	d && /^\t\t\t0x[0-9a-f]+\t+0x[0-9a-f]+\t+0x[0-9a-f]+$/ { print hex($2), hex($3) }' >"$T/runs"
[ "$(wc -l <"$T/runs")" -ge 2 ] || fail "$path is not fragmented per ntfsinfo"
set -- $(sed -n 1p "$T/runs"); lcn1=$1 len1=$2
off=$((part + lcn1 * cs + 100))
foff=$off   # check_side_vs_lookup sets $off itself

tui_start "$IMG"
wait_indexed
keys g; typed "$off"; keys Enter
check_eq "g $off" "$(cursor_offset)" "$off"
side_paths | grep -qxF "$path" || fail "g $off does not show $path: $(side)"
side | grep -q "^   inode $ino\\b" || fail "g $off does not show MFT record $ino: $(side)"
check_side_vs_lookup "in $path"

# e: the next fragment in disk order is one of the file's runs
keys e
off2=$(cursor_offset)
[ "$off2" != "$off" ] || fail "e did not move: $(screen | tail -1)"
c2=$(( (off2 - part) / cs ))
awk -v c="$c2" '$1 <= c && c < $1 + $2 { ok = 1 } END { exit !ok }' "$T/runs" ||
	fail "e landed on cluster $c2, not a run of $path per ntfsinfo"
side_paths | grep -qxF "$path" || fail "e: the side pane does not show $path: $(side)"
echo "ok: e moved to cluster $c2, still $path"

# / with a stream's name: ntfscluster says the cluster is that stream
keys g; typed 0; keys Enter
keys /; typed "Zone.Identifier"; keys Enter
found=$(cursor_offset)
[ "$found" != 0 ] || fail "/ Zone.Identifier did not move: $(screen | tail -1)"
fc=$(( (found - part) / cs ))
ntfscluster -c "$fc-$fc" "$fs" 2>/dev/null | grep -q '/setup.exe/\$DATA(Zone.Identifier)$' ||
	fail "/ Zone.Identifier landed on cluster $fc: $(ntfscluster -c "$fc-$fc" "$fs" 2>/dev/null | grep Inode)"
side_paths | grep -qxF "/Users/Public/Documents/setup.exe:Zone.Identifier" ||
	fail "/ Zone.Identifier: the side pane shows no stream path: $(side)"
check_side_vs_lookup "/ Zone.Identifier"

# into the volume's own space: the same cluster, in NTFS clusters
keys g; typed "$foff"; keys Enter
check_eq "g $foff again" "$(cursor_offset)" "$foff"
keys Enter
wait_for 'view [^|]*:' || fail "Enter did not go into the volume: $(screen | head -1)"
check_eq "offset in the volume" "$(cursor_offset)" $((foff - part))
i=0
while [ $i -lt 40 ]; do keys +; i=$((i + 1)); done
screen | head -1 | grep -q "1 cell = $((cs / 1024)) KiB |" || fail "deepest zoom is not one cluster: $(screen | head -1)"
side | grep -q "^   block $lcn1 " || fail "cluster $lcn1 not in the side pane: $(side)"
side_paths | grep -qxF "$path" || fail "in the volume: the side pane does not show $path: $(side)"
keys BSpace
wait_for "view $(basename "$IMG") " || fail "Backspace did not return: $(screen | head -1)"
keys q
wait_for '^EXIT=0$' || fail "q"
tui_stop
echo ok
