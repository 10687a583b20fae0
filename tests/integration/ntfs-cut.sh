#!/bin/sh
# An NTFS that its image cuts short, in the middle of a cluster: the byte
# before the cut is still the volume's, and its cluster has the role the
# volume gives it on the intact image (ntfscluster names its file, $Bitmap
# read by ntfscat says used or free), not "unused"; --list gives the whole
# volume's clusters, used and free, as ntfsinfo -m counts them on the
# intact image; a byte past the volume's own end (a device larger than
# it) stays unused.  ntfs-small has 512-byte clusters: a cut at 2000000
# (QA's) falls in cluster 3906, of $LogFile.
# Cut before $MFTMirr (ntfsinfo -m: its LCN), which libntfs-3g reads to
# mount: read with $MFT's first records in its place, the volume reads
# as far as the cut goes.  Cut before what the mount needs ($UpCase,
# ntfsinfo -i 10), or inside the boot sector: still an NTFS of the size,
# cluster size and serial (blkid) its boot sector gives, its boot sector
# and $MFT's first record where they are, the rest "unknown" with the
# reason, and used and free not given.  Every cut exits 1 with the
# truncated-image line.
. "$(dirname "$0")/../lib.sh"
requires jq xz ntfsinfo ntfscluster ntfscat blkid
IMG=$(image ntfs-small)
ntfsinfo -m "$IMG" >"$T/info" 2>/dev/null || fail "ntfsinfo cannot read ntfs-small"
cs=$(awk -F: '/^\tCluster Size/ { print $2 + 0 }' "$T/info")
nc=$(awk -F: '/Volume Size in Clusters/ { print $2 + 0 }' "$T/info")
free=$(awk -F: '/Free Clusters/ { print $2 + 0 }' "$T/info")
check_eq "ntfs-small's cluster size (ntfsinfo)" "$cs" 512
ntfscat "$IMG" '$Bitmap' >"$T/bitmap" 2>/dev/null || fail "ntfscat cannot read \$Bitmap"
# bit C of $Bitmap: 1 used, 0 free
bit() { echo $(( $(od -An -tu1 -j $(($1 / 8)) -N1 "$T/bitmap") >> ($1 % 8) & 1 )); }

# cut_at CUT: ntfs-small cut to CUT bytes; the owners of its last byte
cut_at() {
	head -c "$1" "$IMG" >"$T/cut.img"
	"$DA" --lookup $(($1 - 1)) --json "$T/cut.img" >"$T/l.json" 2>"$T/err" &&
		fail "a cut image exits 0"
	grep -q "truncated image" "$T/err" || fail "no truncated-image line: $(cat "$T/err")"
	jq -c '.owners[-1]' "$T/l.json"
}

# 1. QA's cut, in a cluster of $LogFile
c=$((1999999 / cs))
[ $(( (c + 1) * cs )) -gt 2000000 ] || fail "the cut is not inside cluster $c"
ntfscluster -c "$c" "$IMG" >"$T/nc" 2>/dev/null || fail "ntfscluster -c $c"
grep -q '^Inode 2 /\$LogFile/\$DATA$' "$T/nc" || fail "ntfscluster: cluster $c is not \$LogFile's: $(cat "$T/nc")"
check_eq "\$Bitmap: cluster $c" "$(bit "$c")" 1
o=$(cut_at 2000000)
check_eq "the cut cluster of \$LogFile" \
	"$(echo "$o" | jq -r '"\(.block) \(.role) \(.inode) \(.path)"')" "$c log 2 /\$LogFile"
echo "ok: the last byte of a cut at 2000000 is cluster $c of \$LogFile (inode 2), as ntfscluster says"

# 2. the whole volume's clusters, used and free, on the cut image
"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null || true
check_eq "clusters, used and free of the cut volume (ntfsinfo -m)" \
	"$(jq -r '.disks[0].content | "\(.clusters) \(.free_clusters) \(.used) \(.free)"' "$T/list.json")" \
	"$nc $free $(( (nc - free) * cs )) $((free * cs))"
echo "ok: the cut volume: $nc clusters, $free free (ntfsinfo -m on the intact image)"

# 3. a cut in the middle of a free cluster past the MFT zone
ze=$(awk -F: '/MFT Zone End/ { print $2 + 0 }' "$T/info")
c=$((nc - 200))
while [ "$(bit "$c")" -ne 0 ]; do c=$((c - 1)); [ "$c" -gt "$ze" ] || fail "no free cluster"; done
ntfscluster -c "$c" "$IMG" 2>/dev/null | grep -q 'no inode found' || fail "ntfscluster: cluster $c has a file"
o=$(cut_at $((c * cs + cs / 2 + 1)))
check_eq "the cut free cluster" "$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$c free"
echo "ok: a cut in free cluster $c: free, as \$Bitmap says"

# 4. past the volume's own end (and its backup boot sector): unused
cp "$IMG" "$T/big.img"
truncate -s 4M "$T/big.img"
check_eq "past the volume's end" \
	"$("$DA" --lookup $((3 << 20 | 4096)) --json "$T/big.img" | jq -r '.owners[-1].role')" unused
echo "ok: a byte past the volume's end is unused"

# 5. a cut before $MFTMirr, in a free cluster: the volume still reads
mirr=$(awk -F: '/LCN of Data Attribute for File_MFTMirr/ { print $2 + 0 }' "$T/info")
[ -n "$mirr" ] && [ "$mirr" -gt 0 ] || fail "ntfsinfo -m: no \$MFTMirr LCN"
c=$((mirr - 10))
while [ "$(bit "$c")" -ne 0 ]; do c=$((c - 1)); [ "$c" -gt "$ze" ] || fail "no free cluster before \$MFTMirr"; done
ntfscluster -c "$c" "$IMG" 2>/dev/null | grep -q 'no inode found' || fail "ntfscluster: cluster $c has a file"
o=$(cut_at $((c * cs + cs / 2)))
check_eq "a cut before \$MFTMirr (cluster $mirr), in free cluster $c" \
	"$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$c free"
"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null || true
check_eq "clusters, used and free of the volume cut before \$MFTMirr (ntfsinfo -m)" \
	"$(jq -r '.disks[0].content | "\(.type) \(.clusters) \(.free_clusters) \(.used) \(.free)"' "$T/list.json")" \
	"filesystem $nc $free $(( (nc - free) * cs )) $((free * cs))"
jq -r '.disks[0].content.warnings[]' "$T/list.json" | grep -q 'MFTMirr.*past the device' ||
	fail "no warning that \$MFTMirr is past the device's end: $(jq -c '.disks[0].content.warnings' "$T/list.json")"
# a cluster of $UpCase, as ntfscluster names it
ntfsinfo -v -i 10 "$IMG" 2>/dev/null >"$T/upcase"
up=$(awk '/Dumping attribute \$DATA/ { d = 1 } d && /^\t\t\t0x/ { print $2; exit }' "$T/upcase")
[ -n "$up" ] || fail "ntfsinfo -i 10: no \$UpCase run"
up=$((up))
ntfscluster -c "$up" "$IMG" 2>/dev/null | grep -q '^Inode 10 /\$UpCase/\$DATA$' || fail "ntfscluster: cluster $up is not \$UpCase's"
check_eq "\$UpCase's first cluster on the cut image" \
	"$("$DA" --lookup $((up * cs)) --json "$T/cut.img" 2>/dev/null | jq -r '.owners[-1] | "\(.block) \(.role) \(.inode) \(.path)"')" \
	"$up upcase 10 /\$UpCase"
echo "ok: a cut before \$MFTMirr (cluster $mirr) in free cluster $c: the volume reads, $nc clusters, $free free"

# 6. a cut inside $UpCase, which the mount reads: what the boot sector gives
mft=$(awk -F: '/LCN of Data Attribute for FILE_MFT/ { print $2 + 0 }' "$T/info")
uuid=$(blkid -o value -s UUID "$IMG")
[ -n "$uuid" ] || fail "blkid: no UUID for ntfs-small"
# early CUT WHAT: the cut's --list, and its lookups of byte 100 (the
# boot sector), of $MFT's first byte and of the last byte
early() {
	o=$(cut_at "$1")
	"$DA" --list --json "$T/cut.img" >"$T/list.json" 2>/dev/null && fail "$2: --list exits 0"
	check_eq "$2: what the boot sector gives (ntfsinfo -m, blkid)" \
		"$(jq -r '.disks[0].content | "\(.type) \(.fstype) \(.clusters) \(.cluster_size) \(.uuid) \(.used) \(.free)"' "$T/list.json")" \
		"filesystem ntfs $nc $cs $uuid null null"
	jq -r '.disks[0].content.warnings[]' "$T/list.json" | grep -q 'cut short.*cannot mount' ||
		fail "$2: no reason: $(jq -c '.disks[0].content' "$T/list.json")"
	check_eq "$2: byte 100" \
		"$("$DA" --lookup 100 --json "$T/cut.img" 2>/dev/null | jq -r '.owners[-1] | "\(.fstype) \(.block) \(.role) \(.inode)"')" \
		"ntfs 0 boot_sector 7"
	echo "$o"
}
cut=$(( (up + 10) * cs + 100 ))
o=$(early "$cut" "a cut inside \$UpCase")
check_eq "the last byte of a cut inside \$UpCase" \
	"$(echo "$o" | jq -r '"\(.fstype) \(.block) \(.role) \(.warning != null)"')" \
	"ntfs $(( (cut - 1) / cs )) unknown true"
check_eq "\$MFT's first byte (cluster $mft, ntfsinfo -m)" \
	"$("$DA" --lookup $((mft * cs)) --json "$T/cut.img" 2>/dev/null | jq -r '.owners[-1] | "\(.block) \(.role) \(.inode)"')" \
	"$mft mft 0"
echo "ok: a cut inside \$UpCase: an NTFS of $nc clusters of $cs, serial $uuid, its boot sector and \$MFT named"

# 7. a cut inside the boot sector
o=$(early 300 "a cut inside the boot sector")
check_eq "the last byte of a cut inside the boot sector" \
	"$(echo "$o" | jq -r '"\(.block) \(.role)"')" "0 boot_sector"
echo "ok: a cut inside the boot sector: the NTFS its boot sector gives"
