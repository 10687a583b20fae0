#!/bin/sh
# The explorer on an XFS (xfs-rmap.img): the map's legend names the kinds
# of structure the AG trees, the inode chunks and the log are; going (g)
# to the first extent of each kind of owner xfs_db fsmap reports (AG
# headers, the AG B+trees and AGFL, inode B+trees, inode chunks, the
# refcount B+tree, the log) and to AG 1's AGF, the side pane names the
# role and agrees with --lookup.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xfs_db
[ -x "$DA" ] || fail "diskatlas is not built"
need_image xfs-rmap
bs=$(xfs_db -r -c 'sb 0' -c 'p blocksize' "$IMG" | awk '{print $3}')
agb=$(xfs_db -r -c 'sb 0' -c 'p agblocks' "$IMG" | awk '{print $3}')
xfs_db -r -c fsmap "$IMG" | awk -v agb="$agb" -v bs="$bs" '
	{ split($2, a, "/"); o = $6 }
	o < 0 && !(o in seen) { seen[o] = 1; print (a[1] * agb + a[2]) * bs, o }' >"$T/firsts"
check_eq "owner kinds found by fsmap" "$(awk '{print $2}' "$T/firsts" | sort | tr '\n' ' ')" "-3 -4 -5 -6 -7 -8 "
echo "$((agb * bs + 512)) agf" >>"$T/firsts"

tui_start "$IMG"
wait_indexed
scr=$(screen)
# inode chunks, the log, the free-space and reverse-mapping trees
for r in '▦ inodes' '▤ journal' '▚ bitmaps'; do
	echo "$scr" | sed -n '/^legend:/,$p' | grep -qF "$r" || fail "the legend does not name $r: $scr"
done
while read -r off owner; do
	keys g; typed "$off"; keys Enter
	check_side_vs_lookup "fsmap owner $owner"
	role=$(side | sed -n 's/^   block [0-9]*  \([a-z_]*\).*/\1/p' | head -1)
	case $owner in
	-3) want="superblock" ;; -4) want="log" ;; -5) want="bnobt|cntbt|rmapbt|agfl" ;;
	-6) want="inobt|finobt" ;; -7) want="inodes" ;; -8) want="refcountbt" ;; agf) want="agf" ;;
	esac
	echo "$role" | grep -Eqx "$want" || fail "at $off (fsmap owner $owner) the side pane says '$role', want $want"
	check_eq "role by --lookup at $off" "$(lookup_field "$off" role)" "$role"
	echo "ok: $off: $role"
done <"$T/firsts"
# a reflinked block: the first record of AG 0's refcount B+tree (a leaf)
# gives its blocks and how many files share them
xfs_db -r -c 'agf 0' -c 'addr refcntroot' -c p "$IMG" >"$T/refc"
grep -q '^level = 0$' "$T/refc" || fail "AG 0's refcount B+tree is not one leaf"
set -- $(sed -n 's/^1:\[\([0-9]*\),\([0-9]*\),\([0-9]*\),0\]$/\1 \2 \3/p' "$T/refc")
[ $# -eq 3 ] && [ "$3" -ge 2 ] || fail "no shared extent in AG 0's refcount B+tree: $(cat "$T/refc")"
others=$(($3 - 1))
[ "$others" -eq 1 ] && want="shared with 1 other file" || want="shared with $others other files"
for b in "$1" $(($1 + $2 - 1)); do
	keys g; typed "$((b * bs))"; keys Enter
	wait_for "$want" || fail "block $b (refcount $3): the side pane does not say '$want': $(side)"
	check_eq "--lookup's shared_with at block $b" "$(lookup_field "$((b * bs))" shared_with)" "$others"
	echo "ok: block $b: $want"
done
keys q
wait_for '^EXIT=0$' || fail "q"
echo ok
