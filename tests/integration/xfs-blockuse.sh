#!/bin/sh
# XFS v4 (mkfs.xfs -m crc=0 -p prototype: tests/images/xfs-tree.sh), which
# has no rmapbt: the role, inode and path of every block of every AG
# against xfs_db's blockget/blockuse (the block map xfs_check built by
# walking every inode), paths against xfs_db ncheck, free space against
# xfs_db freesp.
. "$(dirname "$0")/../lib.sh"
requires xfs_db jq xz
img=$(image "${XFS_IMAGE:-xfs-v4}")
# an external log is another device: xfs_db wants one, a zeroed file will do
logopt=""
if xfs_db -r -c 'sb 0' -c 'p logstart' "$img" 2>/dev/null | grep -q '= 0$'; then
	truncate -s 64M "$T/log"; logopt="-l $T/log"
fi
db() { xfs_db -r $logopt "$@" "$img" 2>/dev/null; }
sbv() { db -c 'sb 0' -c "p $1" | awk '{print $3}'; }
bs=$(sbv blocksize); agb=$(sbv agblocks); agc=$(sbv agcount)
agl=$(sbv agblklog); dblocks=$(sbv dblocks)
: >"$T/use"
a=0
while [ "$a" -lt "$agc" ]; do
	n=$agb
	[ $((a * agb + n)) -gt "$dblocks" ] && n=$((dblocks - a * agb))
	db -c 'blockget -n' -c "fsblock $((a << agl))" -c "blockuse -n -c $n" >>"$T/use"
	a=$((a + 1))
done
check_eq "blocks listed by blockuse" "$(wc -l <"$T/use")" "$dblocks"
# "block F (A/B) type T [inode I [path]]" -> linear block, type, inode
awk -v agb="$agb" '{ split($3, x, /[(\/)]/); print x[2] * agb + x[3], $5, ($6 == "inode" ? $7 : -1), $2 }' \
	"$T/use" >"$T/truth"
awk -v bs="$bs" '{ print $1 * bs }' "$T/truth" >"$T/where"
"$DA" --lookup - --json "$img" <"$T/where" >"$T/answers" || fail "--lookup failed"
jq -r '.owners[-1] | [(.block|tostring), .role, ((.inode // -1)|tostring), (.path // ""), ((.shared_with // 0)|tostring)] | join("\t")' \
	"$T/answers" >"$T/got"
check_eq "answers" "$(wc -l <"$T/got")" "$dblocks"
db -c 'blockget -n' -c ncheck | awk '{ p = $2; sub(/\/\.$/, "", p); print $1 "\t/" p }' >"$T/paths"
paste -d'\t' "$T/truth" "$T/got" | awk -F'\t' -v paths="$T/paths" -v bmbtfile="$T/bmbt" '
	BEGIN {
		while ((getline l < paths) > 0) { split(l, r, "\t"); p[r[1]] = p[r[1]] "|" r[2] "|" }
		role["sb"] = role["agf"] = role["agi"] = role["agfl"] = "(superblock|agf|agi|agfl|reserved)"
		role["btbno"] = "bnobt"
		role["btcnt"] = "cntbt"; role["btino"] = "inobt"; role["btfino"] = "finobt"
		role["btrmap"] = "rmapbt"; role["btrefc"] = role["btrefcnt"] = "refcountbt";
		role["rldata"] = "file_data"; role["freelist"] = "agfl"
		role["inode"] = "inodes"; role["free1"] = "free"; role["free2"] = "free"
		role["log"] = "log"; role["data"] = "file_data"; role["dir"] = "directory"
		role["symlink"] = "symlink"; role["attr"] = "xattr"; role["btbmapd"] = "bmbt"
		role["btbmapa"] = "bmbt"; role["rtbitmap"] = "realtime_bitmap"
		role["rtsum"] = "realtime_summary"; role["quota"] = "quota"
	}
	{
		split($1, t, " "); type = t[2]; want_ino = t[3]
		# a reflinked block: blockuse names its last owner, we the first
		if (type == "rldata") want_ino = -1
		blk = $2; got = $3; ino = $4; path = $5; shared = $6
		n++
		# a reflinked block says it is shared, a block of one file not
		if ((type == "rldata") != (shared > 0)) {
			if (bad < 20) print "block " t[1] ": xfs_db says " type ", we say shared with " shared
			bad++; next
		}
		if (type == "rldata") rl++
		if (!(type in role)) { if (bad < 20) print "block " t[1] ": unknown blockuse type " type; bad++; next }
		# blockuse types a bmbt block by its fork (dir, data): checked
		# below with xfs_db reading the block as a bmbt
		if (got == "bmbt" && (type == "dir" || type == "data") && ino == want_ino) {
			print t[4] > bmbtfile; files++; next
		}
		if (got !~ ("^" role[type] "$") || (want_ino >= 0 && ino != want_ino)) {
			if (bad < 20) print "block " t[1] ": xfs_db says " type " inode " want_ino ", we say " got " inode " ino
			bad++; next
		}
		if (want_ino >= 0) {
			files++
			if ((ino in p) && index(p[ino], "|" path "|") == 0) {
				if (bad < 20) print "block " t[1] ": path " path ", ncheck says " p[ino]
				bad++
			}
		}
	}
	END { printf "%d blocks checked, %d of files (%d reflinked), %d wrong\n", n, files, rl, bad; exit bad > 0 || files < 100 }' \
	|| fail "owners disagree with xfs_db blockuse"
if [ -s "$T/bmbt" ]; then
	while read -r f; do
		m=$(db -c "fsblock $f" -c 'type bmapbtd' -c 'p magic' | awk '{print $3}')
		case $m in 0x424d4150|0x424d4133) ;; *) fail "fsblock $f: we say bmbt, xfs_db reads magic $m";; esac
	done <"$T/bmbt"
fi
total=$(db -c 'freesp -s' | awk '/total free blocks/ {print $4}')
fl=0; a=0
while [ "$a" -lt "$agc" ]; do
	fl=$((fl + $(db -c "agf $a" -c 'p flcount' | awk '{print $3}'))); a=$((a + 1))
done
ours=$("$DA" --list --json "$img" | jq '.disks[0].content.free_blocks')
check_eq "free blocks + AGFL" "$((ours + fl))" "$total"
w=$("$DA" --list --json "$img" | jq -r '.disks[0].content | (.warnings // []) | length')
check_eq "warnings on a clean image" "$w" 0
echo "ok: blockuse, ncheck and freesp agree"
