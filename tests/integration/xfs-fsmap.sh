#!/bin/sh
# XFS with a reverse-mapping B+tree (mkfs.xfs -m rmapbt=1,reflink=1, filled
# through a loop mount: tests/images/xfs-tree.sh): every record of
# xfs_db's fsmap (owner of each extent, in filesystem blocks) against
# --lookup at the first and last block of the extent: the AG headers,
# the free-space, inode, rmap and refcount B+trees, the AGFL, inode
# chunks, the log, and each inode's data, attribute and bmbt blocks (a
# reflinked block may name either of its owners); the paths against
# xfs_db ncheck; free space against xfs_db freesp (which also counts the
# AGFL's blocks) and every free extent's blocks as free.
. "$(dirname "$0")/../lib.sh"
requires xfs_db jq xz
img=$(image "${XFS_IMAGE:-xfs-rmap}")
db() { xfs_db -r "$@" "$img"; }
bs=$(db -c 'sb 0' -c 'p blocksize' | awk '{print $3}')
agb=$(db -c 'sb 0' -c 'p agblocks' | awk '{print $3}')
agc=$(db -c 'sb 0' -c 'p agcount' | awk '{print $3}')

# fsmap: "N: agno/agbno len L owner O offset F bmbt B attrfork A extflag E"
db -c fsmap | awk -v agb="$agb" '{
	split($2, a, "/"); lin = a[1] * agb + a[2]
	print lin, $4, $6, $10, $12 }' >"$T/fsmap"
[ -s "$T/fsmap" ] || fail "xfs_db fsmap printed nothing"
# owners of every block that more than one extent covers (reflinks)
awk '{ for (b = $1; b < $1 + $2; b++) own[b] = own[b] " " $3 }
     END { for (b in own) print b, own[b] }' "$T/fsmap" >"$T/owners"
# the blocks to ask: first and last of each extent
awk -v bs="$bs" '{ print $1 * bs; if ($2 > 1) print ($1 + $2 - 1) * bs }' "$T/fsmap" >"$T/where"
"$DA" --lookup - --json "$img" <"$T/where" >"$T/answers" || fail "--lookup failed"
jq -r '.owners[-1] | [(.block|tostring), .role, ((.inode // -1)|tostring), (.path // "")] | join("\t")' \
	"$T/answers" >"$T/got"
check_eq "answers" "$(wc -l <"$T/got")" "$(wc -l <"$T/where")"
# reflinked blocks are legal sharing, never a conflict
check_eq "conflicts" "$(grep -c conflict "$T/answers" || true)" 0
shared=$(awk '{ for (b = $1; b < $1 + $2; b++) n[b]++ } END { for (b in n) if (n[b] > 1) k++; print k + 0 }' "$T/fsmap")
[ "$shared" -gt 0 ] || fail "fsmap shows no block with two owners: no reflink to test"
db -c 'blockget -n' -c ncheck | awk '{ p = $2; sub(/\/\.$/, "", p); print $1 "\t/" p }' >"$T/paths"
# expectations, one per asked block, in the same order as $T/where
awk '{ print $3, $4, $5; if ($2 > 1) print $3, $4, $5 }' "$T/fsmap" >"$T/expect"
paste "$T/expect" "$T/got" | awk -F'\t' -v owners="$T/owners" -v paths="$T/paths" '
	BEGIN {
		while ((getline l < owners) > 0) { n = split(l, r, " "); o = " "; for (i = 2; i <= n; i++) o = o r[i] " "; own[r[1]] = o }
		while ((getline l < paths) > 0) { split(l, r, "\t"); p[r[1]] = p[r[1]] "|" r[2] "|" }
	}
	{
		split($1, e, " "); owner = e[1]; bmbt = e[2]; attr = e[3]
		blk = $2; role = $3; ino = $4; path = $5
		ok = 0
		if (owner == -3) ok = role ~ /^(superblock|agf|agi|agfl|reserved)$/
		else if (owner == -4) ok = role == "log"
		else if (owner == -5) ok = role ~ /^(bnobt|cntbt|rmapbt|agfl)$/
		else if (owner == -6) ok = role ~ /^(inobt|finobt)$/
		else if (owner == -7) ok = role == "inodes"
		else if (owner == -8) ok = role == "refcountbt"
		else if (owner >= 0) {
			want = bmbt ? "bmbt" : attr ? "xattr" : "(file_data|directory|symlink|realtime_bitmap|realtime_summary|quota)"
			ok = role ~ ("^" want "$") && index(own[blk], " " ino " ") > 0
			if (ok && !bmbt && !attr && (ino in p) && index(p[ino], "|" path "|") == 0) {
				print "block " blk ": path " path ", xfs_db ncheck says " p[ino]; bad++; next
			}
			if (ok) files++
		} else ok = 1
		if (!ok) { print "block " blk ": owner " owner " (bmbt " bmbt ", attr " attr "), got role " role " inode " ino; bad++ }
		n++
	}
	END { printf "%d blocks checked, %d of files, %d wrong\n", n, files, bad; exit bad > 0 || files < 100 }' \
	|| fail "owners disagree with xfs_db fsmap"

# free space: every free extent (xfs_db freesp -d, which lists the AGFL's
# blocks too) is free in ours, or on the AGFL
db -c 'freesp -d' | awk -v agb="$agb" -v bs="$bs" 'NF == 3 && $1 ~ /^[0-9]+$/ {
	print ($1 * agb + $2) * bs; print ($1 * agb + $2 + $3 - 1) * bs }' >"$T/free"
"$DA" --lookup - --json "$img" <"$T/free" | jq -r '.owners[-1].role' | sort | uniq -c >"$T/freeroles"
check_eq "roles of free extents" "$(awk '{print $2}' "$T/freeroles" | grep -v '^agfl$')" "free"
# the totals: freesp counts the AGFL's blocks as free, the bnobt does not
total=$(db -c 'freesp -s' | awk '/total free blocks/ {print $4}')
fl=0; a=0
while [ "$a" -lt "$agc" ]; do
	fl=$((fl + $(db -c "agf $a" -c 'p flcount' | awk '{print $3}'))); a=$((a + 1))
done
ours=$("$DA" --list --json "$img" | jq '.disks[0].content.free_blocks')
check_eq "free blocks + AGFL" "$((ours + fl))" "$total"
# no warning on a clean filesystem (CRCs, trees, the rmapbt cross-check)
w=$("$DA" --list --json "$img" | jq -r '.disks[0].content | (.warnings // []) | length')
check_eq "warnings on a clean image" "$w" 0
echo "ok: fsmap, ncheck and freesp agree"
