#!/bin/sh
# An exFAT that its image cuts short, in the middle of a cluster (the
# card's clusters are 4 KiB): the byte before the cut is still the
# volume's, and its cluster has the role the volume gives it on the intact
# image (a file's cluster as The Sleuth Kit's istat and fls give it, a
# free one as the allocation bitmap itself says), not "unused"; --list
# gives the whole volume's clusters, used and free, as dump.exfat counts
# them on the intact image; a byte past the volume's own end stays unused.
# A cut before the allocation bitmap (before the cluster heap, where
# dump.exfat puts the card's bitmap), or before the root directory that
# says where the bitmap lies: still the volume (its clusters, cluster size
# and serial as dump.exfat gives them), exit 1 with the truncated-image
# line, used and free not given (nothing on the device says them), a
# warning saying why, and a heap cluster no file holds "unknown".
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

# 5. cuts before the allocation bitmap's first byte and before the root
# directory's, which holds the bitmap's entry
root=$(d 'Root Cluster')
serial=$(sed -n 's/^Volume Serial:[^0-9]*0x\([0-9a-f]*\)$/\1/p' "$T/dump" | tr a-f A-F)
[ -n "$root" ] && [ -n "$serial" ] || fail "dump.exfat: no root cluster or serial"
serial=$(printf '%08s' "$serial" | tr ' ' 0)
bm=$((heap + (bmc - 2) * cs))
rt=$((heap + (root - 2) * cs))
[ "$bm" -lt "$rt" ] || fail "the card's bitmap (cluster $bmc) is not before its root directory (cluster $root)"
# unknown_at CUT WHAT: the cut volume's --list (what dump.exfat gives, no
# used or free, a warning); prints the owners of the cut's last byte
unknown_at() {
	o=$(cut_at "$1")
	"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null && fail "$2: --list exits 0"
	check_eq "$2: the volume (dump.exfat)" \
		"$(jq -r '.disks[0].content | "\(.type) \(.fstype) \(.clusters) \(.cluster_size) \(.volume_id) \(.used) \(.free) \(.free_clusters)"' "$T/list.json")" \
		"filesystem exfat $total $cs $(echo "$serial" | cut -c1-4)-$(echo "$serial" | cut -c5-8) null null null"
	jq -r '.disks[0].content.warnings[]' "$T/list.json" | grep -q "past the device's end.*used and free" ||
		fail "$2: no warning: $(jq -c '.disks[0].content.warnings' "$T/list.json")"
	echo "$o"
}
o=$(unknown_at $((bm - 100)) "a cut before the allocation bitmap")
# between the FATs and the heap (dump.exfat's FAT offset and length)
fat_end=$(( ($(d 'FAT Offset') + $(d 'FAT Length')) * 512 ))
[ "$fat_end" -lt $((bm - 100)) ] || fail "the cut is not between the FAT and the heap"
check_eq "the last byte of a cut before the allocation bitmap" \
	"$(echo "$o" | jq -r '"\(.fstype) \(.role)"')" "exfat padding"
echo "ok: a cut before the allocation bitmap (cluster $bmc): the volume, used and free not known"
o=$(unknown_at $((bm + 100)) "a cut in the allocation bitmap, before the root directory")
check_eq "the last byte of a cut before the root directory" \
	"$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$bmc unknown"
echo "ok: a cut before the root directory (cluster $root): the bitmap's cluster $bmc is unknown"

# 6. the old warning's case: the root directory on the device, the bitmap
# past the cut.  The card's bitmap entry is moved to a far cluster (its
# 928 bytes copied there), as dump.exfat then reads it
far=$((total - 100))
python3 - "$T/fs" "$T/moved" "$heap" "$cs" "$rt" "$bmc" "$far" <<'PY'
import struct, sys
src, dst, heap, cs, rt, bmc, far = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
d = bytearray(open(src, 'rb').read())
for i in range(rt, rt + cs, 32):
    if d[i] == 0x81:
        n = struct.unpack_from('<Q', d, i + 24)[0]
        struct.pack_into('<I', d, i + 20, far)
        a, b = heap + (bmc - 2) * cs, heap + (far - 2) * cs
        d[b:b + n] = d[a:a + n]
        break
open(dst, 'wb').write(d)
PY
moved=$(dump.exfat "$T/moved" 2>/dev/null | sed -n 's/^Bitmap start cluster:[^0-9a-f]*\([0-9a-f]*\)$/\1/p')
check_eq "the moved bitmap's cluster (dump.exfat)" "$((0x$moved))" "$far"
cp "$T/moved" "$T/fs"
o=$(unknown_at $((heap + (far - 200) * cs + 100)) "a cut before the moved allocation bitmap")
c=$((far - 198))

check_eq "the last byte of a cut before the moved bitmap" \
	"$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$c unknown"
check_eq "the moved bitmap's cluster, named" \
	"$(jq -r '.disks[0].content.bitmap_cluster' "$T/list.json")" "$far"
echo "ok: a cut before the allocation bitmap at cluster $far, the root directory read: used and free not known"
