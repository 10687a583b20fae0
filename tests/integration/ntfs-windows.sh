#!/bin/sh
# Both NTFS volumes of tests/images/windows, and the bare
# tests/images/ntfs-small (512-byte clusters), against ntfs-3g's own tools:
# - clusters and free clusters as ntfsinfo -m and ntfscluster count them;
# - every run of every attribute of every file ntfsinfo -v -i N lists
#   (extension records through the attribute list, streams, compressed and
#   sparse files, directory indexes, the system files): its first and last
#   cluster are owned by N with the role its attribute has;
# - random clusters: owner, path and stream as ntfscluster -c C-C names
#   them, free where it finds no inode;
# - every name ntfsls -R lists: the file's MFT record is owned by it (a
#   file that fits in its record lives there) and its path is one of its
#   names; the hard link has two names.
. "$(dirname "$0")/../lib.sh"
requires ntfsinfo ntfscluster ntfsls sfdisk jq xz
win=$(image windows)

SAMPLES=${NTFS_SAMPLES:-80}
check_fs() {  # IMAGE PARTNUMBER (0: the whole image is the filesystem)
	img=$1 n=$2
	fs="$T/fs$n.img"
	if [ "$n" = 0 ]; then
		start=0
		cp --sparse=always "$img" "$fs"
		node=".disks[0].content"
	else
		start=$(sfdisk --json "$img" | jq ".partitiontable.partitions[] | select(.node | test(\"[^0-9]$n\$\")) | .start")
		size=$(sfdisk --json "$img" | jq ".partitiontable.partitions[] | select(.node | test(\"[^0-9]$n\$\")) | .size")
		dd if="$img" of="$fs" bs=512 skip="$start" count="$size" conv=sparse status=none
		node=".disks[0].content.partitions[] | select(.number == $n) | .content"
	fi
	ntfsinfo -m "$fs" >"$T/info" 2>/dev/null || fail "ntfsinfo cannot read p$n"
	cs=$(awk -F: '/Cluster Size/ { print $2 + 0 }' "$T/info")
	clusters=$(awk -F: '/Volume Size in Clusters/ { print $2 + 0 }' "$T/info")
	free=$(awk -F: '/Free Clusters/ { print $2 + 0 }' "$T/info")
	rs=$(awk -F: '/MFT Record Size/ { print $2 + 0 }' "$T/info")
	"$DA" --list --json "$img" >"$T/list.json"
	check_eq "p$n fstype" "$(jq -r "$node.fstype" "$T/list.json")" ntfs
	check_eq "p$n clusters" "$(jq "$node.clusters" "$T/list.json")" "$clusters"
	check_eq "p$n free clusters (ntfsinfo)" "$(jq "$node.free_clusters" "$T/list.json")" "$free"
	nc_free=$(ntfscluster "$fs" 2>/dev/null | awk -F: '/clusters of free space/ { print $2 + 0 }')
	check_eq "p$n free clusters (ntfscluster)" "$(jq "$node.free_clusters" "$T/list.json")" "$nc_free"
	check_eq "p$n label" "$(jq -r "$node.label" "$T/list.json")" "$(ntfslabel "$fs" 2>/dev/null || jq -r "$node.label" "$T/list.json")"
	if command -v blkid >/dev/null 2>&1; then
		check_eq "p$n uuid (blkid)" "$(jq -r "$node.uuid" "$T/list.json")" "$(blkid -p -o value -s UUID "$fs")"
	fi
	# the MFT zone as libntfs-3g computes it; its free clusters are mft_zone
	zs=$(awk -F: '/MFT Zone Start/ { print $2 + 0 }' "$T/info")
	ze=$(awk -F: '/MFT Zone End/ { print $2 + 0 }' "$T/info")
	check_eq "p$n mft zone" "$(jq -c "$node | [.mft_zone_start, .mft_zone_end]" "$T/list.json")" "[$zs,$ze]"
	zfree=$(ntfscluster -c "$((ze - 1))-$((ze - 1))" "$fs" 2>/dev/null | grep -c 'no inode found' || true)
	if [ "$zfree" = 1 ]; then
		echo $((start * 512 + (ze - 1) * cs)) | "$DA" --lookup - --json "$img" >"$T/z.json"
		check_eq "p$n cluster $((ze - 1)), free in the MFT zone" "$(jq -r '.owners[-1].role' "$T/z.json")" mft_zone
	fi
	# the backup boot sector: the sector past the last one the boot sector
	# counts, a copy of it (ntfsinfo's sectors are the volume's)
	nsec=$(od -An -tu8 -j 40 -N8 "$fs" | tr -d ' ')
	bps=$(od -An -tu2 -j 11 -N2 "$fs" | tr -d ' ')
	cmp -s -n "$bps" -i "0:$((nsec * bps))" "$fs" "$fs" || fail "p$n: no copy of the boot sector at sector $nsec"
	echo $((start * 512 + nsec * bps + 3)) | "$DA" --lookup - --json "$img" >"$T/z.json"
	check_eq "p$n sector $nsec" "$(jq -r '.owners[-1].role' "$T/z.json")" backup_boot_sector
	jq -e "$node.warnings == null" "$T/list.json" >/dev/null || fail "p$n: warnings on a clean volume: $(jq -c "$node.warnings" "$T/list.json")"
	base=$((start * 512))

	# names: inode -> paths, from ntfsls
	ntfsls -R -a -s -i "$fs" 2>/dev/null | awk '
		/^\/.*:$/ { dir = substr($0, 1, length($0) - 1); if (dir == "/") dir = ""; next }
		NF >= 2 { ino = $1; sub(/^ *[0-9]+ /, ""); if ($0 == "." || $0 == "..") next; print ino "\t" dir "/" $0 }' >"$T/names"
	[ -s "$T/names" ] || fail "p$n: ntfsls listed nothing"
	cut -f1 "$T/names" | sort -n -u >"$T/inodes"

	# runs: every attribute of every file, from ntfsinfo
	: >"$T/runs"
	for ino in $(cat "$T/inodes"); do
		ntfsinfo -v -i "$ino" "$fs" 2>/dev/null | awk -v ino="$ino" '
			function hex(s,  i, v) {
				s = tolower(s); sub(/^0x/, "", s); v = 0
				for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
				return v
			}
			/^Dumping attribute / { type = $3; name = ""; next }
			/Attribute name:/ { name = $0; sub(/.*Attribute name:[ \t]*/, "", name); gsub(/^'\''|'\''$/, "", name); next }
			/^\t\t\t0x[0-9a-f]+\t+0x[0-9a-f]+\t+0x[0-9a-f]+$/ {
				printf "%s\t%s\t%s\t%d\t%d\n", ino, type, name, hex($2), hex($3)
			}' >>"$T/runs" || true
	done
	[ -s "$T/runs" ] || fail "p$n: ntfsinfo listed no runs"
	# the role each attribute's bytes must have
	awk -F'\t' -v OFS='\t' '
		function role(ino, type, name) {
			if (ino == 0) return type == "$DATA" ? "mft" : "mft_bitmap"
			if (ino == 9) return "secure"
			if (type == "$ATTRIBUTE_LIST") return "attribute_list"
			if (type == "$INDEX_ALLOCATION" || type == "$BITMAP") return name == "$I30" ? "directory" : "system_file"
			if (type == "$DATA") {
				if (ino == 1) return "mft_mirror"
				if (ino == 2) return "log"
				if (ino == 6) return "ntfs_bitmap"
				if (ino == 7) return "boot_sector"
				if (ino == 8 && name == "$Bad") return "bad"
				if (ino == 10) return "upcase"
				if (ino < 16 || ino == 24 || ino == 25 || ino == 26) return "system_file"
				return name == "" ? "file_data" : "alternate_stream"
			}
			return "xattr"
		}
		{ r = role($1, $2, $3); print $1, r, $4; print $1, r, $4 + $5 - 1 }' "$T/runs" >"$T/want"
	awk -F'\t' -v b="$base" -v cs="$cs" '{ print b + $3 * cs + 5 }' "$T/want" >"$T/offs"
	"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.owners[-1] | "\(.inode // "-")\t\(.role)\t\(.block)"' >"$T/got"
	[ "$(wc -l <"$T/got")" -eq "$(wc -l <"$T/want")" ] || fail "p$n: lookups missing"
	bad=$(paste "$T/want" "$T/got" | awk -F'\t' '
		$2 != $5 || $3 != $6 || ($1 != 0 && $1 != $4) { print "cluster " $3 ": want inode " $1 " " $2 ", got inode " $4 " " $5; n++ }
		END { exit 0 }' | head -5)
	[ -z "$bad" ] || fail "p$n runs against ntfsinfo: $bad"
	nruns=$(wc -l <"$T/runs")

	# random clusters against ntfscluster
	awk -v n="$SAMPLES" -v c="$clusters" -v seed="$n" 'BEGIN { srand(seed); for (i = 0; i < n; i++) print int(rand() * c) }' >"$T/sample"
	# and the first cluster of every run of a user file
	awk -F'\t' '$1 >= 64 { print $4 }' "$T/runs" | head -40 >>"$T/sample"
	# and every stream's (ntfscluster names them file/$DATA(stream))
	awk -F'\t' '$2 == "$DATA" && $3 != "" { print $4 }' "$T/runs" >>"$T/sample"
	sort -n -u "$T/sample" -o "$T/sample"
	: >"$T/nc"
	for c in $(cat "$T/sample"); do
		o=$(ntfscluster -c "$c-$c" "$fs" 2>/dev/null | sed -n 's/^Inode \([0-9]*\) \(.*\)$/\1\t\2/p' | head -1)
		printf '%s\t%s\n' "$c" "${o:-"-	-"}" >>"$T/nc"
	done
	awk -F'\t' -v b="$base" -v cs="$cs" '{ print b + $1 * cs + 100 }' "$T/nc" >"$T/offs"
	"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.owners[-1] | "\(.inode // "-")\t\(.role)\t\(.path // "")"' >"$T/got"
	bad=$(paste "$T/nc" "$T/got" | awk -F'\t' -v names="$T/names" '
		BEGIN { while ((getline l < names) > 0) { split(l, a, "\t"); paths[a[1]] = paths[a[1]] "|" a[2] "|" } }
		{
			c = $1; ino = $2; p = $3; gino = $4; grole = $5; gpath = $6
			if (ino == "-") {
				if (grole != "free" && grole != "mft_zone") print "cluster " c ": free per ntfscluster, ours " grole " " gino
				next
			}
			if (ino == 0) { if (grole != "mft") print "cluster " c ": $MFT per ntfscluster, ours " grole; next }
			if (gino != ino) { print "cluster " c ": inode " ino " per ntfscluster, ours " gino; next }
			# "/dir/file/$DATA(stream)" -> "/dir/file:stream"
			stream = ""
			if (match(p, /\/\$DATA\(.*\)$/)) stream = ":" substr(p, RSTART + 7, RLENGTH - 8)
			sub(/\/\$[A-Z_]+(\(.*\))?$/, "", p)
			# the root names itself "/." ("/./$INDEX_ALLOCATION($I30)")
			if (p == "" || p == "/.") p = "/"
			# a hard-linked file: any of its names (ntfscluster picks one)
			if (p stream != gpath && index(paths[ino], "|" substr(gpath, 1, length(gpath) - length(stream)) "|") == 0)
				print "cluster " c ": " p stream " per ntfscluster, ours " gpath
		}' | head -5)
	[ -z "$bad" ] || fail "p$n against ntfscluster: $bad"

	# every name: the file's MFT record is its own, and names it
	mftlcn=$(awk -F: '/LCN of Data Attribute for FILE_MFT/ { print $2 + 0 }' "$T/info")
	[ "$(awk -F'\t' '$1 == 0 && $2 == "$DATA" { print $4; exit }' "$T/runs")" = "$mftlcn" ] ||
		fail "p$n: \$MFT does not start at LCN $mftlcn"
	mftlen=$(awk -F'\t' '$1 == 0 && $2 == "$DATA" { print $5; exit }' "$T/runs")
	awk -v b="$base" -v m="$mftlcn" -v cs="$cs" -v rs="$rs" -v len="$mftlen" '
		$1 * rs < len * cs { print b + m * cs + $1 * rs + 100 }' "$T/inodes" >"$T/offs"
	"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.owners[-1] | "\(.inode // "-")\t\(.role)\t\(.path // "")\t\(.nlinks // 1)"' >"$T/got"
	bad=$(paste "$T/inodes" "$T/got" | awk -F'\t' -v names="$T/names" '
		BEGIN { while ((getline l < names) > 0) { split(l, a, "\t"); paths[a[1]] = paths[a[1]] "|" a[2] "|"; count[a[1]]++ } }
		{
			if ($2 != $1 || $3 != "mft") { print "record " $1 ": ours inode " $2 " " $3; next }
			if (index(paths[$1], "|" $4 "|") == 0) print "record " $1 ": path " $4 " is not among" paths[$1]
			if (count[$1] > 1 && $5 != count[$1]) print "record " $1 ": " count[$1] " names, ours says " $5 " links"
		}' | head -5)
	[ -z "$bad" ] || fail "p$n names against ntfsls: $bad"
	echo "ok: p$n: $clusters clusters, $free free, $nruns runs of $(wc -l <"$T/inodes") files against ntfsinfo, $(wc -l <"$T/sample") clusters against ntfscluster, $(wc -l <"$T/names") names against ntfsls"
}
# features() : what the Windows volume was made to have is really there
features() {
	ino() { awk -F'\t' -v p="$1" '$2 == p { print $1; exit }' "$T/names"; }
	many=$(ino "/Program Files/App/many.dat")
	[ "$(awk -F'\t' -v i="$many" '$1 == i && $2 == "$DATA"' "$T/runs" | wc -l)" -gt 100 ] ||
		fail "many.dat is not fragmented"
	ntfsinfo -v -i "$many" "$T/fs3.img" 2>/dev/null | grep -q 'Dumping attribute $DATA (0x80) from mft record [0-9]* ' ||
		fail "many.dat has no runs"
	ntfsinfo -v -i "$many" "$T/fs3.img" 2>/dev/null | grep 'Dumping attribute $DATA' | grep -qv "record $many " ||
		fail "many.dat has no extension record"
	awk -F'\t' '$2 == "$DATA" && $3 == "Zone.Identifier"' "$T/runs" | grep -q . || fail "no non-resident stream"
	[ "$(awk -F'\t' -v i="$(ino /Users/Public/tiny.txt)" '$1 == i' "$T/runs" | wc -l)" -eq 0 ] || fail "tiny.txt is not resident"
	sw=$(ino /Windows/System32/config/SOFTWARE)
	[ "$(awk -F'\t' -v i="$sw" '$1 == i' "$T/names" | wc -l)" -eq 2 ] || fail "SOFTWARE has no hard link"
	ntfsinfo -v -i "$(ino /Compressed/log.txt)" "$T/fs3.img" 2>/dev/null | grep -q 'Compression unit:[^0-9]*[1-9]' || fail "log.txt is not compressed"
	ntfsinfo -v -i "$(ino /sparse.vhd)" "$T/fs3.img" 2>/dev/null | grep -q '<HOLE>' || fail "sparse.vhd has no hole"
}
check_fs "$win" 3
features
check_fs "$win" 4
check_fs "$(image ntfs-small)" 0
