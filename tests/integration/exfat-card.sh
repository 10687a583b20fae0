#!/bin/sh
# The exFAT card (tests/images/exfat-card.sh) against the tools that know
# exFAT: blkid (label, serial, version), dump.exfat (the boot sector's
# layout, the bitmap and up-case clusters, free clusters), fsck.exfat -n -v
# (directories), and per file The Sleuth Kit: fls -r -p (paths and inode
# numbers), istat (every sector of every file and directory, looked up
# here by path and inode) and ifind -d (the owner of each file's first
# sector).  TSK runs under timeout: its fsstat can hang on exFAT.
# The NoFatChain and fragmented files are checked from the raw stream
# entries and istat, not from our own output.
. "$(dirname "$0")/../lib.sh"
requires jq xz blkid fls istat ifind timeout dump.exfat fsck.exfat
img=$(image exfat-card)
P=$((2048 * 512))
dd if="$img" of="$T/fs" bs=1M skip=1 status=none
j=$("$DA" --list --json "$img" | jq -c '.disks[0].content.partitions[0].content')
p() { echo "$j" | jq -r ".$1 // empty"; }
check_eq "type" "$(p type) $(p fstype)" "filesystem exfat"

# identity: blkid
blkid -p -o export "$T/fs" >"$T/blkid" || { cat "$T/blkid"; fail "blkid -p failed"; }
grep -q '^TYPE=exfat$' "$T/blkid" || { cat "$T/blkid"; fail "blkid does not see exFAT"; }
bk() { sed -n "s/^$1=//p" "$T/blkid"; }
check_eq "label (blkid)" "$(p label)" "$(bk LABEL)"
check_eq "serial (blkid)" "$(p volume_id)" "$(bk UUID)"
check_eq "version (blkid)" "$(p version)" "$(bk VERSION)"

# layout: dump.exfat
dump.exfat "$T/fs" >"$T/dump" 2>/dev/null
d() { sed -n "s/^$1[^0-9]*\([0-9a-fx]*\)\$/\1/p" "$T/dump" | head -1; }
bps=$((1 << $(d 'Sector Size Bits')))
cs=$((bps << $(d 'Sector per Cluster bits')))
check_eq "sector size" "$(p sector_size)" "$bps"
check_eq "cluster size" "$(p cluster_size)" "$cs"
check_eq "size" "$(p size)" "$(($(d 'Volume Length') * bps))"
check_eq "FAT offset" "$(p fat_offset)" "$(($(d 'FAT Offset') * bps))"
check_eq "FAT size" "$(p fat_size)" "$(($(d 'FAT Length') * bps))"
check_eq "cluster heap" "$(p data_start)" "$(($(d 'Cluster Heap Offset') * bps))"
check_eq "clusters" "$(p clusters)" "$(d 'Cluster Count')"
check_eq "root cluster" "$(p root_cluster)" "$(d 'Root Cluster')"
check_eq "bitmap cluster" "$(p bitmap_cluster)" "$(d 'Bitmap start cluster')"
check_eq "up-case cluster" "$(p upcase_cluster)" "$(d 'Upcase table start cluster')"
check_eq "free clusters" "$(p free_clusters)" "$(d 'Free Clusters')"
check_eq "serial (dump.exfat)" "$(p volume_id | tr -d - | tr A-F a-f)" \
	"$(d 'Volume Serial' | sed 's/^0x//')"
heap=$(p data_start)
echo "identity and layout agree with blkid and dump.exfat"

# metadata roles, at places dump.exfat gives
role() { "$DA" --lookup $((P + $1)) --json "$img" | jq -r '.owners[-1].role'; }
check_eq "sector 0" "$(role 0)" boot_region
check_eq "sector 11" "$(role $((11 * bps)))" boot_region
check_eq "sector 12" "$(role $((12 * bps)))" backup_boot_region
check_eq "FAT" "$(role "$(p fat_offset)")" fat
check_eq "bitmap" "$(role $((heap + ($(p bitmap_cluster) - 2) * cs)))" allocation_bitmap
check_eq "up-case table" "$(role $((heap + ($(p upcase_cluster) - 2) * cs)))" upcase_table
check_eq "root directory" "$("$DA" --lookup $((P + heap + ($(p root_cluster) - 2) * cs)) --json "$img" |
	jq -r '.owners[-1] | "\(.role) \(.path)"')" "directory /"
check_eq "last cluster" "$(role $((heap + ($(p clusters) - 1) * cs)))" free

# every file and directory, sector by sector, against istat
timeout 60 fls -r -p -f exfat "$T/fs" >"$T/fls" || fail "fls failed or hung"
grep -E '^(r/r|d/d) [0-9]+:	[^$]' "$T/fls" | grep -v '(Volume Label Entry)' |
	sed 's/^\(.\)\/. \([0-9]*\):\t/\1 \2 /' >"$T/files"
nfiles=$(grep -c '^r ' "$T/files"); ndirs=$(grep -c '^d ' "$T/files")
[ "$nfiles" -gt 150 ] && [ "$ndirs" -ge 8 ] || fail "fls lists $nfiles files, $ndirs directories"
dirs=$(fsck.exfat -n -v "$T/fs" 2>&1 | sed -n 's/.*directories \([0-9]*\), files \([0-9]*\)$/\1 \2/p')
check_eq "directories and files (fsck.exfat; the root counts)" "$dirs" "$((ndirs + 1)) $nfiles"
# (istat costs a process and a filesystem open each: two at a time)
mkdir "$T/istat"
export T
cut -d' ' -f2 "$T/files" | xargs -P 2 -n 16 sh -c '
	for ino; do timeout 20 istat -f exfat "$T/fs" "$ino" >"$T/istat/$ino" || exit 255; done' sh ||
	fail "istat failed or hung"
: >"$T/want"; : >"$T/offs"; : >"$T/first"
while read -r kind ino path; do
	r=file_data; [ "$kind" = d ] && r=directory
	sed -n '/^Sectors:/,$p' "$T/istat/$ino" | tr ' ' '\n' | grep -E '^[1-9][0-9]*$' |
		awk -v p="$P" -v bps="$bps" -v w="$r $ino /$path" -v o="$T/offs" -v f="$T/want" -v first="$T/first" -v ino="$ino" '
			NR == 1 { print $1, ino >>first }
			{ printf "%.0f\n", p + $1 * bps >>o; print w >>f }'
done <"$T/files"
"$DA" --lookup - --json "$img" <"$T/offs" |
	jq -r '.owners[-1] | "\(.role) \(.inode) \(.path)"' >"$T/got"
n=$(wc -l <"$T/want")
[ "$n" -gt 1000 ] || fail "only $n sectors to check"
if ! cmp -s "$T/got" "$T/want"; then
	diff "$T/want" "$T/got" | head -10
	fail "owners of file sectors differ from istat"
fi
echo "$n sectors of $nfiles files and $ndirs directories: role, inode and path agree with istat and fls"

# every cluster of the heap: the used ones (dump.exfat's count) all belong
# to a file, directory, the bitmap or the up-case table, and the files
# that own them are those istat gave sectors, the root and the two
# metadata files: no more
seq 0 $(($(p clusters) - 1)) | awk -v b=$((P + heap)) -v cs="$cs" '{ printf "%.0f\n", b + $1 * cs }' |
	"$DA" --lookup - --json "$img" | jq -r '.owners[-1] | "\(.role) \(.inode)"' >"$T/all"
used=$(($(d 'Cluster Count') - $(d 'Free Clusters')))
check_eq "clusters owned (dump.exfat's used)" \
	"$(grep -cE '^(file_data|directory|allocation_bitmap|upcase_table) ' "$T/all")" "$used"
check_eq "lost clusters" "$(grep -c '^lost ' "$T/all" || true)" 0
check_eq "files owning clusters" "$(awk '$1 != "free" { print $2 }' "$T/all" | sort -u | wc -l)" \
	"$(($(wc -l <"$T/first") + 3))"
echo "$used used clusters, all owned; $(($(wc -l <"$T/first") + 3)) owners"

# ifind -d: the owner of the first sector of every third file (a second
# route through The Sleuth Kit, one process each)
m=0
awk 'NR % 3 == 1' "$T/first" >"$T/first3"
while read -r s ino; do
	got=$(timeout 20 ifind -f exfat -d "$s" "$T/fs") || fail "ifind -d $s failed or hung"
	check_eq "ifind -d $s" "$got" "$ino"
	m=$((m + 1))
done <"$T/first3"
echo "$m first sectors: ifind -d names the same inode"

# a NoFatChain file and a fragmented one, from the raw entries and istat
stream_flags() {     # the stream entry follows the file entry of inode $1
	od -An -tu1 -j $((heap + ($1 - 3) * 32 + 32 + 1)) -N1 "$T/fs" | tr -d ' '
}
ino=$(awk '$3 == "DCIM/100CARD/IMG_0001.JPG" { print $2 }' "$T/files")
check_eq "IMG_0001.JPG is NoFatChain (stream flags)" "$(($(stream_flags "$ino") & 2))" 2
ino=$(awk '$3 == "Documents/grown.log" { print $2 }' "$T/files")
check_eq "grown.log has a FAT chain (stream flags)" "$(($(stream_flags "$ino") & 2))" 0
gaps=$(timeout 20 istat -f exfat "$T/fs" "$ino" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' |
	grep -E '^[1-9][0-9]*$' | awk 'NR > 1 && $1 != prev + 1 { g++ } { prev = $1 } END { print g + 0 }')
[ "$gaps" -ge 1 ] || fail "grown.log is not fragmented"
echo "NoFatChain and fragmented files present and read"
"$DA" --list "$img" | grep -q warning && { "$DA" --list "$img"; fail "warnings on a clean card"; }
echo "ok"
