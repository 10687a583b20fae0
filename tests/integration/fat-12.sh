#!/bin/sh
# A FAT image against the tools' own answers:
#   identity   label, serial, FAT type           blkid -p
#   space      clusters, used, free              fsck.fat -n -v, mdir
#   files      every path and its size           fls -r -p -l, mdir -/ -b -a
#   clusters   owner of every data cluster       mshowfat (each path's clusters)
#              and allocation of every cluster   blkls -e -l
#              owner of 150 random sectors       ifind -d
# File ids are The Sleuth Kit's inode numbers, so they are compared as they
# are.  The same checks run on fat-16 and fat-32 (those scripts set
# FAT_NAME and source this one) and on the ESP of gpt-esp-ext4.
. "$(dirname "$0")/../lib.sh"
requires jq xz mdir mshowfat fls ifind blkls fsck.fat blkid
FAT_NAME=${FAT_NAME:-fat-12}

# the filesystem's start (sectors): 0 for a bare image, else its partition
# as sfdisk sees it (type FAT, or the EFI system partition)
fs_sector() {
	case $FAT_NAME in
	fat-12|fat-32) echo 0 ;;
	*) requires sfdisk
	   sfdisk --json "$1" | jq -r '[.partitiontable.partitions[] |
		select(.type | test("^(6|b|c|e|C12A7328-F81F-11D2-BA4B-00A0C93EC93B)$"; "i"))][0].start' ;;
	esac
}

IMG=$(image "$FAT_NAME")
SEC=$(fs_sector "$IMG")
OFF=$((SEC * 512))
MT="$IMG@@$OFF"
export MTOOLS_SKIP_CHECK=1

# our view of the filesystem node
"$DA" --list --json "$IMG" >"$T/list.json"
jq --argjson off "$OFF" '[.disks[0].content |
	if .type == "filesystem" then . else
	(.partitions // [])[] | select(.start == $off) | .content end |
	select(.type == "filesystem" and (.fstype | test("^fat")))][0]' \
	"$T/list.json" >"$T/fs.json"
# a partition table that no longer lists its partitions is a failure too
[ "$(jq -r 'type' "$T/fs.json")" = object ] ||
	fail "no FAT filesystem found at offset $OFF: $(jq -c .disks[0].content "$T/list.json")"
get() { jq -r ".$1 // empty" "$T/fs.json"; }

# ---- identity: blkid ----
dd if="$IMG" of="$T/fs.img" bs=512 skip="$SEC" count="$(($(get size) / 512))" \
	conv=sparse status=none
blkid -p -o export "$T/fs.img" >"$T/blkid"
bk() { sed -n "s/^$1=//p" "$T/blkid"; }
check_eq "fstype" "$(get fstype)" "$(bk VERSION | tr A-Z a-z)"
check_eq "label" "$(get label)" "$(bk LABEL)"
check_eq "volume id" "$(get volume_id)" "$(bk UUID)"
[ -z "$(bk LABEL_FATBOOT)" ] || check_eq "BPB label" "$(get bpb_label)" "$(bk LABEL_FATBOOT)"

# ---- space: fsck.fat and mdir ----
# (fat-12's two labels differ on purpose: fsck.fat -n then exits 1)
fsck.fat -n -v "$T/fs.img" >"$T/fsck" 2>&1 || true
set -- $(sed -n 's/.* files, \([0-9]*\)\/\([0-9]*\) clusters$/\1 \2/p' "$T/fsck")
[ $# -eq 2 ] || fail "fsck.fat gives no cluster count: $(tail -3 "$T/fsck")"
check_eq "clusters" "$(get clusters)" "$2"
check_eq "used clusters" "$(($(get clusters) - $(get free_clusters)))" "$1"
free=$(mdir -i "$MT" -a :: | sed -n 's/^ *\([0-9 ]*\) bytes free$/\1/p' | tr -d ' ')
check_eq "free bytes" "$(get free)" "$free"
echo "identity and space agree: $(get fstype) '$(get label)' $(get volume_id), $1/$2 clusters used"

# ---- the truth: files, their sectors, allocation ----
CS=$(get cluster_size)
DATA=$(get data_start)
NCL=$(get clusters)
SPC=$((CS / 512))
DSEC=$((DATA / 512))
fls -r -p -l -o "$SEC" "$IMG" | awk -F'\t' '
	$1 ~ /\*/ || $1 ~ /^v\/v/ || $1 ~ /^V\/V/ || $2 ~ /\(Volume Label Entry\)$/ { next }
	{ split($1, a, /[ :]+/); print a[2] "\t" substr(a[1], 1, 1) "\t" $7 "\t/" $2 }' \
	>"$T/tsk.files"                              # inode type size /path
[ -s "$T/tsk.files" ] || fail "fls lists no files"
mdir -i "$MT" -/ -b -a :: | sed 's|^::||; s|/$||' | sort >"$T/mdir.paths"
cut -f4 "$T/tsk.files" | sort >"$T/tsk.paths"
cmp -s "$T/mdir.paths" "$T/tsk.paths" ||
	fail "mdir and fls disagree on the paths: $(diff "$T/mdir.paths" "$T/tsk.paths" | head -5)"
# cluster -> inode: each path's clusters from mtools' mshowfat (one process
# for every path; the root's too), each path's inode from fls
{ echo "::/"; mdir -i "$MT" -/ -b -a :: | sed 's|/$||'; } | tr '\n' '\0' |
	xargs -0 mshowfat -i "$MT" >"$T/showfat" || fail "mshowfat failed"
awk -F'\t' 'FILENAME == ARGV[1] { ino[$4] = $1; next }
	{
		i = index($0, " <"); if (!i) next            # an empty file
		p = substr($0, 3, i - 3); if (p == "/") n = 2; else if (p in ino) n = ino[p]; else { print "no inode for " p > "/dev/stderr"; exit 1 }
		k = split(substr($0, i + 1), r, " ")
		for (j = 1; j <= k; j++) {
			gsub(/[<>]/, "", r[j]); split(r[j], ab, "-"); if (ab[2] == "") ab[2] = ab[1]
			for (c = ab[1]; c <= ab[2]; c++) print c, n
		}
	}' "$T/tsk.files" "$T/showfat" >"$T/tsk.owner" || fail "mshowfat names a path fls does not list"
[ -s "$T/tsk.owner" ] || fail "mshowfat gave no clusters"
blkls -e -l -o "$SEC" "$IMG" | awk -F'|' -v d="$DSEC" -v spc="$SPC" \
	'$1 ~ /^[0-9]+$/ && $1 >= d && ($1 - d) % spc == 0 { print int(($1 - d) / spc) + 2, $2 }' \
	>"$T/tsk.alloc"

# ---- ours: every data cluster through --lookup ----
awk -v n="$NCL" -v base="$((OFF + DATA))" -v cs="$CS" \
	'BEGIN { for (k = 0; k < n; k++) printf "%.0f\n", base + k * cs }' |
	"$DA" --lookup - --json "$IMG" |
	jq -r '[.owners[] | select(.kind == "filesystem")][-1] |
		"\(.block)\t\(.role)\t\(.inode // "-")\t\(.path // "")\t\(.file_conflict // false)"' \
	>"$T/ours"
check_eq "lookups answered" "$(wc -l <"$T/ours")" "$NCL"

awk -F'\t' -v cs="$CS" '
	FILENAME == ARGV[1] { type[$1] = $2; size[$1] = $3; path[$1] = $4; next }
	FILENAME == ARGV[2] { split($0, a, " "); owner[a[1]] = a[2]; tskn[a[2]]++; next }
	FILENAME == ARGV[3] { split($0, a, " "); alloc[a[1]] = a[2]; next }
	{
		c = $1; role = $2; ino = $3; p = $4
		if (c in owner) {
			o = owner[c]
			want = (o == 2 || type[o] == "d") ? "directory" : "file_data"
			wp = o == 2 ? "/" : path[o]
			if (ino != o || role != want || p != wp || $5 == "true") {
				bad++; if (bad <= 5) printf "cluster %s: ours %s %s %s, mshowfat says %s %s %s\n", c, role, ino, p, o, want, wp
			} else agree++
			ours[ino]++
		} else if (alloc[c] == "a") {
			if (role == "lost" || role == "bad") agree++
			else { bad++; if (bad <= 5) printf "cluster %s: ours %s %s, allocated to no file by TSK\n", c, role, ino }
		} else {
			if (role == "free") { agree++; nfree++ }
			else { bad++; if (bad <= 5) printf "cluster %s: ours %s %s %s, free by blkls\n", c, role, ino, p }
		}
		n++
	}
	END {
		# sizes: a file has the clusters its size needs
		for (i in type) if (type[i] == "r") {
			need = int((size[i] + cs - 1) / cs)
			if (ours[i] + 0 != need || tskn[i] + 0 != need) {
				bad++; printf "%s: size %s needs %d clusters, ours %d, mshowfat %d\n", path[i], size[i], need, ours[i], tskn[i]
			} else files++
		} else if (ours[i] + 0 < 1) { bad++; printf "directory %s has no cluster\n", path[i] } else dirs++
		printf "clusters: %d of %d agree (%d free), %d disagree; %d files and %d directories with the right clusters\n", agree, n, nfree, bad, files, dirs
		exit bad > 0
	}' "$T/tsk.files" "$T/tsk.owner" "$T/tsk.alloc" "$T/ours" ||
	fail "cluster ownership disagrees with mshowfat/blkls"

# ---- a second route: ifind on random clusters (and the metadata) ----
# The first sector of each cluster: ifind maps only the sectors a file's
# size covers, while the whole cluster is the file's.
awk -v n="$NCL" -v spc="$SPC" -v d="$DSEC" -v seed="${FAT_SEED:-7}" 'BEGIN {
	srand(seed)
	for (k = 0; k < 100; k++) print d + int(rand() * n) * spc
	print d - 1; print 0 }' >"$T/sectors"
while read -r s; do
	t=$(ifind -o "$SEC" -d "$s" "$IMG" 2>&1 | head -1)
	case $t in *[!0-9]*|"") t=- ;; esac
	# TSK's virtual files ($MBR, $FAT1...) own the metadata: no file for us
	[ "$t" != - ] && [ "$t" != 2 ] && ! grep -q "^$t	" "$T/tsk.files" && t=-
	echo "$t"
done <"$T/sectors" >"$T/ifind"
awk -v off="$OFF" '{ printf "%.0f\n", off + $1 * 512 }' "$T/sectors" |
	"$DA" --lookup - --json "$IMG" |
	jq -r '[.owners[] | select(.kind == "filesystem")][-1].inode // "-"' >"$T/ours.ifind"
paste "$T/sectors" "$T/ours.ifind" "$T/ifind" | awk '
	$2 == $3 { agree++; next }
	{ bad++; printf "sector %s: ours %s, ifind %s\n", $1, $2, $3 }
	END { printf "ifind: %d of %d sectors agree\n", agree, agree + bad; exit bad > 0 }' ||
	fail "ifind disagrees"
exit 0
