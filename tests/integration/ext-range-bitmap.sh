#!/bin/sh
# The roles of a range that covers whole ext groups come from the block
# bitmaps, as each block's own lookup does, never from a descriptor's
# free count that disagrees with them: an ext4 with flex_bg (groups 2, 4,
# 6... hold no metadata of their own) whose group 4 descriptor says 100
# free blocks (debugfs set_bg), while its bitmap, as dumpe2fs lists it,
# has every block free.  --lookup START+LENGTH over the group, and over
# groups 4-5 with the end of group 3, must give what the blocks' own
# lookups give.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs dumpe2fs jq
IMG=$T/g.img
truncate -s 64M "$IMG"
mkfs.ext4 -q -F -b 1024 -O flex_bg "$IMG" || fail "mkfs.ext4"
debugfs -w -R "set_bg 4 free_blocks_count 100" "$IMG" >/dev/null 2>&1 || fail "debugfs set_bg"
dumpe2fs "$IMG" 2>/dev/null | sed -n '/^Group 4:/,/^Group 5:/p' >"$T/g4"
grep -q '^  100 free blocks' "$T/g4" || fail "the count is not 100: $(cat "$T/g4")"
range=$(sed -n 's/^Group 4: (Blocks \([0-9]*-[0-9]*\)).*/\1/p' "$T/g4")
check_eq "group 4's free blocks, by its bitmap" "$(sed -n 's/^  Free blocks: //p' "$T/g4")" "$range"
grep -q '^  Block bitmap at [0-9]* (bg #0 ' "$T/g4" || fail "group 4 holds its own bitmap: $(cat "$T/g4")"
a=${range%-*} b=${range#*-}
bs=1024
printf '%s\n' "$((a * bs))+$(((b - a + 1) * bs))" "$(((a - 3) * bs))+$(((b - a + 4) * bs + 8192 * bs))" |
	"$DA" --lookup - --json "$IMG" >"$T/roles" || fail "--lookup: exit $?"
check_eq "group 4" "$(sed -n 1p "$T/roles" | jq -c '.roles | map([.role, .bytes])')" \
	"[[\"free\",$(((b - a + 1) * bs))]]"
# the blocks one by one agree (a few of them)
for blk in "$a" $((a + 1000)) "$b"; do
	check_eq "block $blk" "$("$DA" --lookup $((blk * bs)) --json "$IMG" | jq -r '.owners[-1].role')" free
done
# groups 3 (its end) to 5: no block counted used by the wrong count
used=$(sed -n 2p "$T/roles" | jq '[.roles[] | select(.role == "used") | .bytes] | add // 0')
check_eq "used bytes over groups 3-5" "$used" 0
echo "ok: group $range free by its bitmap, whatever its descriptor counts"
