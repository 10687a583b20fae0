#!/bin/sh
# FAT geometries made at test time by mkfs.fat: FAT32s below the
# specification's 65525 clusters (which mkfs.fat makes and Linux mounts;
# below 32 MiB with the sector count in the 16-bit field),
# 4 KiB sectors, a 1.44 MB floppy, a single FAT, 64 KiB clusters.  Each is
# checked against blkid (type, label, serial), fsck.fat (clusters used)
# and istat (the clusters of a copied file, by The Sleuth Kit's inode).
# mtools and The Sleuth Kit go by the cluster count and cannot read the
# small FAT32: there fsck.fat and blkid are the truth, and the root
# directory's cluster must be the root's.
. "$(dirname "$0")/../lib.sh"
requires jq mkfs.fat mcopy blkid fsck.fat fls istat
export MTOOLS_SKIP_CHECK=1
seq 1 20000 >"$T/data"
n=0
while read -r name size file args; do
	img="$T/$name.img"
	rm -f "$img"
	if [ "$size" = floppy ]; then
		mkfs.fat -C $args "$img" 1440 >/dev/null
	else
		truncate -s "$size" "$img"
		mkfs.fat $args "$img" >/dev/null 2>&1
	fi
	[ "$file" = no ] || mcopy -i "$img" "$T/data" "::/a data file.txt"
	j=$("$DA" --list --json "$img" | jq -c '.disks[0].content')
	p() { echo "$j" | jq -r ".$1 // empty"; }
	bk() { blkid -p -o export "$img" | sed -n "s/^$1=//p"; }
	check_eq "$name type" "$(p fstype)" "$(bk VERSION | tr A-Z a-z)"
	check_eq "$name label" "$(p label)" "$(bk LABEL)"
	check_eq "$name serial" "$(p volume_id)" "$(bk UUID)"
	used=$(fsck.fat -n -v "$img" 2>&1 | sed -n 's/.* files, \([0-9]*\)\/[0-9]* clusters$/\1/p')
	check_eq "$name used clusters (fsck.fat)" "$(($(p clusters) - $(p free_clusters)))" "$used"
	bps=$(p sector_size); cs=$(p cluster_size); data=$(p data_start)
	if [ "$file" = no ]; then
		r=$("$DA" --lookup "$(($data + ($(p root_cluster) - 2) * cs))" --json "$img" |
			jq -r '.owners[-1] | "\(.role) \(.inode) \(.path)"')
		check_eq "$name root directory" "$r" "directory 2 /"
		echo "$name: $(p fstype), $(p clusters) clusters of $cs bytes: identity and space agree"
		n=$((n + 1))
		continue
	fi
	ino=$(fls "$img" | awk -F'\t' '$2 == "a data file.txt" { split($1, a, /[ :]+/); print a[2] }')
	want="$ino /a data file.txt"
	istat "$img" "$ino" | sed -n '/^Sectors:/,$p' | tr ' ' '\n' |
		awk -v d=$((data / bps)) -v spc=$((cs / bps)) \
		'$1 ~ /^[0-9]+$/ && $1 >= d && ($1 - d) % spc == 0 { print int(($1 - d) / spc) }' >"$T/k"
	[ -s "$T/k" ] || fail "$name: istat lists no clusters for inode $ino"
	awk -v b="$data" -v cs="$cs" '{ printf "%.0f\n", b + $1 * cs }' "$T/k" |
		"$DA" --lookup - --json "$img" |
		jq -r '.owners[-1] | "\(.inode) \(.path)"' | sort -u >"$T/got"
	check_eq "$name owner of the file's clusters" "$(cat "$T/got")" "$want"
	echo "$name: $(p fstype), $(p clusters) clusters of $cs bytes, $(wc -l <"$T/k") clusters of the file agree"
	n=$((n + 1))
done <<'LIST'
small32 40M no -F 32 -s 8 -n SMALL32
tiny32 20M no -F 32 -s 1 -n TINY32
sect4k 32M yes -F 16 -S 4096 -s 1 -n SECT4K
floppy floppy yes -F 12 -n FLOPPY
onefat 16M yes -F 16 -f 1 -s 2 -n ONEFAT
big64k 64M yes -F 12 -s 128 -n BIGCLUST
LIST
check_eq "geometries checked" "$n" 6
