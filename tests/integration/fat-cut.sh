#!/bin/sh
# A FAT that its image cuts short, in the middle of a cluster (fat-12 has
# 1 KiB clusters): the byte before the cut is still the filesystem's, and
# its cluster has the role the filesystem gives it on the intact image (a
# file's cluster as The Sleuth Kit's istat and fls give it, a free one as
# the FAT itself says), not "unused"; --list gives the whole filesystem's
# clusters, used and free, as fsck.fat -n -v and mdir count them on the
# intact image; a byte past the filesystem's own end (a device larger
# than it) stays unused.
. "$(dirname "$0")/../lib.sh"
requires jq xz fls istat fsck.fat mdir od
IMG=$(image fat-12)
bs=$(od -An -tu2 -j11 -N2 "$IMG" | tr -d ' ')
spc=$(od -An -tu1 -j13 -N1 "$IMG" | tr -d ' ')
res=$(od -An -tu2 -j14 -N2 "$IMG" | tr -d ' ')
nfats=$(od -An -tu1 -j16 -N1 "$IMG" | tr -d ' ')
rootents=$(od -An -tu2 -j17 -N2 "$IMG" | tr -d ' ')
fatsz=$(od -An -tu2 -j22 -N2 "$IMG" | tr -d ' ')
cs=$((bs * spc))
data=$(( (res + nfats * fatsz) * bs + rootents * 32 ))   # cluster 2's byte
check_eq "fat-12's cluster size (boot sector)" "$cs" 1024
# entry C of the first FAT (FAT12: 12 bits, two entries in three bytes)
entry() {
	v=$(od -An -tu2 -j $((res * bs + $1 * 3 / 2)) -N2 "$IMG" | tr -d ' ')
	if [ $(($1 % 2)) -eq 1 ]; then echo $((v >> 4)); else echo $((v & 0xFFF)); fi
}

# cut_at CUT: fat-12 cut to CUT bytes; the owners of its last byte
cut_at() {
	head -c "$1" "$IMG" >"$T/cut.img"
	"$DA" --lookup $(($1 - 1)) --json "$T/cut.img" >"$T/l.json" 2>"$T/err" &&
		fail "a cut image exits 0"
	grep -q "truncated image" "$T/err" || fail "no truncated-image line: $(cat "$T/err")"
	jq -c '.owners[-1]' "$T/l.json"
}

# 1. a cut in the middle of a cluster of a file: its first cluster
path="Documents and Settings/A rather long directory name/level3/level4/deep file.txt"
ino=$(fls -r -p "$IMG" | awk -F'\t' -v p="$path" '$2 == p { split($1, a, /[ :]+/); print a[2] }')
[ -n "$ino" ] || fail "fls: no $path"
s=$(istat "$IMG" "$ino" | sed -n '/^Sectors:/{n;p}' | awk '{ print $1 }')
c=$(( (s * bs - data) / cs + 2 ))
[ $(( (c - 2) * cs + data )) -eq $((s * bs)) ] || fail "istat: sector $s does not start a cluster"
[ "$(entry "$c")" -ne 0 ] || fail "the FAT: cluster $c is free"
o=$(cut_at $((s * bs + cs / 2 + 100)))
check_eq "the cut cluster of $path" \
	"$(echo "$o" | jq -r '"\(.block) \(.role) \(.inode) \(.path)"')" "$c file_data $ino /$path"
echo "ok: a cut in cluster $c: file_data of /$path (inode $ino), as istat says"

# 2. the whole filesystem's clusters, used and free, on the cut image
# ("214 files, 785/4067 clusters"; mdir's "bytes free" agree).  fsck.fat
# -n exits 1: it would copy the root directory's label to the boot sector
fsck.fat -n -v "$IMG" >"$T/fsck" 2>&1 || true
used=$(sed -n 's/.* files, \([0-9]*\)\/[0-9]* clusters$/\1/p' "$T/fsck")
total=$(sed -n 's/.* files, [0-9]*\/\([0-9]*\) clusters$/\1/p' "$T/fsck")
[ -n "$used" ] && [ -n "$total" ] || fail "fsck.fat -n -v: $(tail -1 "$T/fsck")"
freeb=$(MTOOLS_SKIP_CHECK=1 mdir -i "$IMG" :: | sed -n 's/ bytes free$//p' | tr -d ' ')
check_eq "mdir's free bytes against fsck.fat" "$freeb" $(( (total - used) * cs ))
"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null || true
check_eq "clusters, used and free of the cut filesystem (fsck.fat -n -v)" \
	"$(jq -r '.disks[0].content | "\(.clusters) \(.free_clusters) \(.used) \(.free)"' "$T/list.json")" \
	"$total $((total - used)) $((used * cs)) $(( (total - used) * cs ))"
echo "ok: the cut filesystem: $total clusters, $used used (fsck.fat on the intact image)"

# 3. a cut in the middle of a free cluster
c=$((total - 100))
while [ "$(entry "$c")" -ne 0 ]; do c=$((c - 1)); [ "$c" -gt 2 ] || fail "no free cluster"; done
o=$(cut_at $((data + (c - 2) * cs + cs / 2)))
check_eq "the cut free cluster" "$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$c free"
echo "ok: a cut in cluster $c: free, as the FAT says"

# 4. past the filesystem's own end: unused
cp "$IMG" "$T/big.img"
end=$(stat -c %s "$IMG")
truncate -s $((end + (1 << 20))) "$T/big.img"
check_eq "past the filesystem's end" \
	"$("$DA" --lookup $((end + 4096)) --json "$T/big.img" | jq -r '.owners[-1].role')" unused
echo "ok: a byte past the filesystem's end is unused"
