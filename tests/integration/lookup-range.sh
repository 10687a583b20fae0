#!/bin/sh
# --lookup over ranges (START-END, START+LENGTH), --unit, --sector-size,
# the "where" echo and what a metadata block governs, against the tools
# that made the images: debugfs (a fragmented file's extents, bmap),
# dumpe2fs (inode tables, inode counts, the free blocks and the journal of
# a whole filesystem's roles), sfdisk (partition starts), lvs
# and pvs (where an LV's segments lie).
. "$(dirname "$0")/../lib.sh"
requires debugfs dumpe2fs sfdisk jq xz

# ---- a fragmented ext4 file, by range ----
img=$(image gpt-esp-ext4)
start=$(sfdisk --json "$img" | jq '.partitiontable.partitions[1].start')
size=$(sfdisk --json "$img" | jq '.partitiontable.partitions[1].size')
pstart=$((start * 512))
fs="$T/root.img"
dd if="$img" of="$fs" bs=512 skip="$start" count="$size" conv=sparse status=none
bs=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
ino=$(debugfs -R "stat /fragmented.txt" "$fs" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
# logical block 0 and 1 of the file: a range over exactly those two blocks
# when they are adjacent on disk, else over the first one
b0=$(debugfs -R "bmap /fragmented.txt 0" "$fs" 2>/dev/null)
b1=$(debugfs -R "bmap /fragmented.txt 1" "$fs" 2>/dev/null)
n=1; [ "$b1" -eq $((b0 + 1)) ] && n=2
"$DA" --lookup "$((pstart + b0 * bs))+$((n * bs))" --json "$img" >"$T/r.json"
check_eq "range where" "$(jq -r .where "$T/r.json")" "$((pstart + b0 * bs))+$((n * bs))"
check_eq "range length" "$(jq .length "$T/r.json")" "$((n * bs))"
check_eq "files in range" "$(jq -c '[.files[] | [.inode, .path, .bytes, .file_offset]]' "$T/r.json")" \
	"[[$ino,\"/fragmented.txt\",$((n * bs)),0]]"
check_eq "partition bytes" "$(jq '.owners[] | select(.kind == "partition") | .bytes' "$T/r.json")" "$((n * bs))"
check_eq "partition offset" "$(jq '.owners[] | select(.kind == "partition") | .offset' "$T/r.json")" "$((b0 * bs))"
check_eq "roles" "$(jq -c '[.roles[] | [.role, .bytes]]' "$T/r.json")" "[[\"file_data\",$((n * bs))]]"
# the whole file, extent by extent: for each of its blocks debugfs names,
# a one-block range answers the file and the byte of the file it holds
nblocks=$(debugfs -R "stat /fragmented.txt" "$fs" 2>/dev/null | sed -n 's/^User: .*Size: \([0-9]*\)$/\1/p')
nblocks=$(( (nblocks + bs - 1) / bs ))
k=0; : >"$T/want"; : >"$T/offs"
while [ $k -lt "$nblocks" ]; do
	b=$(debugfs -R "bmap /fragmented.txt $k" "$fs" 2>/dev/null)
	echo "$((pstart + b * bs + 100))+16" >>"$T/offs"
	echo "$ino /fragmented.txt $((k * bs + 100))" >>"$T/want"
	k=$((k + 1))
done
"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.files[0] | "\(.inode) \(.path) \(.file_offset)"' >"$T/got"
cmp -s "$T/got" "$T/want" || fail "file offsets of /fragmented.txt differ from debugfs bmap: $(diff "$T/want" "$T/got" | head -5)"
# single lookups carry the same file offset, and echo their input
"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.where' | head -1 >"$T/w1"
check_eq "stream where" "$(cat "$T/w1")" "$(head -1 "$T/offs")"
o1=$(head -1 "$T/offs"); o1=${o1%+16}
check_eq "single file_offset" "$("$DA" --lookup "$o1" --json "$img" | jq '.owners[-1].file_offset')" "100"
echo "ok: range and file offsets of /fragmented.txt ($nblocks blocks) agree with debugfs"

# ---- the whole filesystem (81,920 blocks: more than a block at a time
# would ask): its roles exact, as dumpe2fs counts them ----
"$DA" --lookup "$pstart+$((size * 512))" --json "$img" >"$T/all.json"
check_eq "whole filesystem: sampled" "$(jq '.roles_sampled // false' "$T/all.json")" false
role_bytes() { jq --arg r "$1" '[.roles[] | select(.role == $r) | .bytes] | add // 0' "$T/all.json"; }
dh() { dumpe2fs -h "$fs" 2>/dev/null | awk -F: -v k="$1" '$1 == k { print $2 + 0 }'; }
groups=$(( ($(dh "Block count") - $(dh "First block") + $(dh "Blocks per group") - 1) / $(dh "Blocks per group") ))
check_eq "free bytes (dumpe2fs Free blocks)" "$(role_bytes free)" "$(($(dh "Free blocks") * bs))"
jsize=$(dumpe2fs -h "$fs" 2>/dev/null | sed -n 's/^Total journal size: *\([0-9]*\)k$/\1/p')
check_eq "journal bytes" "$(role_bytes journal)" "$((jsize * 1024))"
check_eq "inode table bytes" "$(role_bytes inode_table)" "$((groups * $(dh "Inode blocks per group") * bs))"
check_eq "block bitmap bytes" "$(role_bytes block_bitmap)" "$((groups * bs))"
check_eq "every byte has a role" "$(jq '[.roles[].bytes] | add' "$T/all.json")" "$((size * 512))"
"$DA" --lookup "$pstart+$((size * 512))" "$img" | grep -q '^roles inside:$' ||
	fail "the text answer does not say its roles plainly: $("$DA" --lookup "$pstart+$((size * 512))" "$img" | grep roles)"
echo "ok: the whole filesystem's roles ($groups groups) agree with dumpe2fs, none sampled"

# ---- group 0's inode table: roles and what its blocks govern ----
it=$(dumpe2fs "$fs" 2>/dev/null | sed -n 's/.*Inode table at \([0-9]*\)-\([0-9]*\).*/\1 \2/p' | head -1)
it0=${it% *}; it1=${it#* }
isz=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Inode size/ { print $2 + 0 }')
ipb=$((bs / isz))
"$DA" --lookup "$((pstart + it0 * bs))-$((pstart + (it1 + 1) * bs))" --json "$img" >"$T/it.json"
check_eq "inode table roles" "$(jq -c '[.roles[] | [.role, .bytes]]' "$T/it.json")" "[[\"inode_table\",$(((it1 - it0 + 1) * bs))]]"
# the block of an inode table that holds /fragmented.txt's inode: its
# group's table (dumpe2fs), the inodes it holds, their paths (ncheck)
ipg=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Inodes per group/ { print $2 + 0 }')
g=$(( (ino - 1) / ipg ))
tg=$(dumpe2fs "$fs" 2>/dev/null | awk -v g="$g" '/^Group [0-9]+:/ { n = $2 + 0 } /Inode table at/ && n == g { split($4, a, "-"); print a[1] + 0 }')
blk=$((tg + (ino - 1) % ipg / ipb))
first=$((g * ipg + (ino - 1) % ipg / ipb * ipb + 1))
gov=$("$DA" --lookup "$((pstart + blk * bs))" --json "$img" | jq -r '.owners[-1].governs')
case "$gov" in
"inodes $first-$((first + ipb - 1)) of group $g"*) ;;
*) fail "inode table block $blk governs '$gov', want inodes $first-$((first + ipb - 1)) of group $g" ;;
esac
debugfs -R "ncheck $(seq "$first" $((first + ipb - 1)) | tr '\n' ' ')" "$fs" 2>/dev/null | awk -F'\t' 'NR > 1 { sub(/^\/\//, "/", $2); print $2 }' >"$T/paths"
echo "$gov" | sed 's/^[^:]*: //; s/ (+[0-9]* more)$//' | tr ',' '\n' | sed 's/^ //' | while read -r p; do
	grep -qxF "$p" "$T/paths" || fail "governs names $p, which is not among inodes $first-$((first + ipb - 1)) (ncheck)"
done
echo "ok: group 0's inode table ($it0-$it1), and block $blk: $gov"

# ---- a range across the partition table and p1 ----
p1=$(sfdisk --json "$img" | jq '.partitiontable.partitions[0].start')
"$DA" --lookup "$(( (p1 - 8) * 512 ))+8K" --json "$img" >"$T/p.json"
check_eq "p1 bytes" "$(jq '.owners[] | select(.kind == "partition" and .name == "p1") | .bytes' "$T/p.json")" "$((8192 - 4096))"
check_eq "before p1" "$(jq '[.owners[] | select(.kind == "partition_table" and .role != "partition") | .bytes] | add' "$T/p.json")" 4096
"$DA" --lookup "$(( (p1 - 8) * 512 ))+8K" "$img" >"$T/p.txt"
grep -q '^    partition p1  4 KiB from offset 0$' "$T/p.txt" || fail "text range: $(cat "$T/p.txt")"

# ---- an LV range over two segments (lvs, pvs) ----
img=$(image lvm-gpt)
pe=$(jq -r '.report[0].pv[0].pe_start' "$IMAGES/lvm-gpt.pvs.json" | tr -d B)
ext=$(jq -r '.report[0].pv[0].vg_extent_size' "$IMAGES/lvm-gpt.pvs.json" | tr -d B)
# data: LE 0-7 on PE 0-7, LE 8-19 on PE 18-29
pe8=$(jq -r '.report[0].seg[] | select(.lv_name == "data" and .seg_start_pe == "8") | .seg_pe_ranges' "$IMAGES/lvm-gpt.lvs.json" | sed 's/.*:\([0-9]*\)-.*/\1/')
"$DA" --lookup "atlas/data:$((7 * ext))+$((2 * ext))" --json "$img" >"$T/lv.json"
check_eq "lv bytes" "$(jq '.owners[] | select(.kind == "lv") | .bytes' "$T/lv.json")" "$((2 * ext))"
check_eq "pv bytes" "$(jq '[.owners[] | select(.kind == "lvm2_pv") | .bytes] | add' "$T/lv.json")" "$((2 * ext))"
# the first byte of the range is PE 7, the lowest PV offset it reaches
check_eq "pv offset" "$(jq '.owners[] | select(.kind == "lvm2_pv") | .offset' "$T/lv.json")" "$((pe + 7 * ext))"
echo "ok: atlas/data LE 7-8 lie on PE 7 and PE $pe8"

# ---- units and sector sizes on a 4K-native disk ----
img=$(image gpt-4k)
check_eq "256s on 4Kn" "$("$DA" --lookup 256s --json "$img" | jq .offset)" 1048576
check_eq "--unit sector" "$("$DA" --lookup 256 --unit sector --json "$img" | jq .offset)" 1048576
check_eq "--sector-size 512" "$("$DA" --lookup 256s --sector-size 512 --json "$img" | jq .offset)" 131072
check_eq "--unit byte" "$("$DA" --lookup 256 --json "$img" | jq .offset)" 256
check_eq "hex counts sectors too" "$("$DA" --lookup 0x100 --unit sector --json "$img" | jq .offset)" 1048576
st=0; "$DA" --lookup 256 --unit parsec "$img" 2>"$T/err" || st=$?
check_eq "bad --unit status" "$st" 2
st=0; "$DA" --lookup 2M-1M "$img" 2>"$T/err" || st=$?
check_eq "backwards range status" "$st" 1
grep -q "ends before it starts" "$T/err" || fail "backwards range: $(cat "$T/err")"
echo "ranges, file offsets, governs, units and sector sizes agree with debugfs, dumpe2fs, sfdisk, lvs and pvs"
