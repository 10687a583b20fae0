#!/bin/sh
# An exFAT that its image cuts short, in the middle of a cluster (the
# card's clusters are 4 KiB): the byte before the cut is still the
# volume's, and its cluster has the role the volume gives it on the intact
# image (a file's cluster as The Sleuth Kit's istat and fls give it, a
# free one as the allocation bitmap itself says), not "unused"; --list
# gives the whole volume's clusters, used and free, as dump.exfat counts
# them on the intact image; a byte past the volume's own end stays unused.
. "$(dirname "$0")/../lib.sh"
requires jq xz fls istat dump.exfat od
img=$(image exfat-card)
dd if="$img" of="$T/fs" bs=1M skip=1 status=none    # the partition at 1 MiB
dump.exfat "$T/fs" >"$T/dump" 2>/dev/null || fail "dump.exfat cannot read the card"
d() { sed -n "s/^$1[^0-9]*\([0-9]*\)\$/\1/p" "$T/dump" | head -1; }
cs=$(d 'Cluster size:')
total=$(d 'Total Clusters:')
free=$(d 'Free Clusters:')
heap=$(( $(d 'Cluster Heap Offset') * 512 ))
bmc=$(d 'Bitmap start cluster:')
vol=$(( $(d 'Volume Length') * 512 ))
check_eq "the card's cluster size (dump.exfat)" "$cs" 4096
# bit C - 2 of the allocation bitmap: 1 used, 0 free
bit() {
	b=$(od -An -tu1 -j $((heap + (bmc - 2) * cs + ($1 - 2) / 8)) -N1 "$T/fs" | tr -d ' ')
	echo $(( b >> (($1 - 2) % 8) & 1 ))
}

# cut_at CUT: the card's exFAT cut to CUT bytes; the owners of its last byte
cut_at() {
	head -c "$1" "$T/fs" >"$T/cut.img"
	"$DA" --lookup $(($1 - 1)) --json "$T/cut.img" >"$T/l.json" 2>"$T/err" &&
		fail "a cut image exits 0"
	grep -q "truncated image" "$T/err" || fail "no truncated-image line: $(cat "$T/err")"
	jq -c '.owners[-1]' "$T/l.json"
}

# 1. a cut in the middle of a file's cluster: its last whole cluster
path="Music/Artist/Album/01 Überschrift.mp3"
ino=$(fls -r -p "$T/fs" | awk -F'\t' -v p="$path" '$2 == p { split($1, a, /[ :]+/); print a[2] }')
[ -n "$ino" ] || fail "fls: no $path"
s=$(istat "$T/fs" "$ino" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' | grep '^[0-9][0-9]*$' | sed -n 9p)
[ -n "$s" ] || fail "istat: no 9th sector of $path"
c=$(( (s * 512 - heap) / cs + 2 ))
[ $(( (c - 2) * cs + heap )) -eq $((s * 512)) ] || fail "istat: sector $s does not start a cluster"
[ "$(bit "$c")" -eq 1 ] || fail "the bitmap: cluster $c is free"
o=$(cut_at $((heap + (c - 2) * cs + cs / 2 + 100)))
check_eq "the cut cluster of $path" \
	"$(echo "$o" | jq -r '"\(.block) \(.role) \(.inode) \(.path)"')" "$c file_data $ino /$path"
echo "ok: a cut in cluster $c: file_data of /$path (inode $ino), as istat says"

# 2. the whole volume's clusters, used and free, on the cut image
"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null || true
check_eq "clusters, used and free of the cut volume (dump.exfat)" \
	"$(jq -r '.disks[0].content | "\(.clusters) \(.free_clusters) \(.used) \(.free)"' "$T/list.json")" \
	"$total $free $(( (total - free) * cs )) $((free * cs))"
echo "ok: the cut volume: $total clusters, $free free (dump.exfat on the intact image)"

# 3. a cut in the middle of a free cluster
c=$((total - 100))
while [ "$(bit "$c")" -ne 0 ]; do c=$((c - 1)); [ "$c" -gt 2 ] || fail "no free cluster"; done
o=$(cut_at $((heap + (c - 2) * cs + cs / 2)))
check_eq "the cut free cluster" "$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$c free"
echo "ok: a cut in cluster $c: free, as the allocation bitmap says"

# 4. past the volume's own end: unused
cp "$T/fs" "$T/big.img"
truncate -s $((vol + (1 << 20))) "$T/big.img"
check_eq "past the volume's end" \
	"$("$DA" --lookup $((vol + 4096)) --json "$T/big.img" | jq -r '.owners[-1].role')" unused
echo "ok: a byte past the volume's end is unused"
