#!/bin/sh
# An ext4 that its image cuts short, in the middle of a block: the byte
# before the cut is still the filesystem's, and its block has the role the
# filesystem gives it (debugfs on the intact filesystem: testb, icheck,
# ncheck), not "unused"; a block past the filesystem's own end (a smaller
# filesystem than its device) stays unused.  The sample disk's root ext4
# (p2) is cut at the byte QA found (100000000, in a free block of group 3)
# and in the middle of a block of /boot/vmlinuz.
. "$(dirname "$0")/../lib.sh"
requires jq xz sfdisk debugfs dumpe2fs mkfs.ext4
xz -dc "$TOP/docs/samples/sample.img.xz" >"$T/sample.img"
start=$(sfdisk --json "$T/sample.img" | jq '.partitiontable.partitions[1].start')
size=$(sfdisk --json "$T/sample.img" | jq '.partitiontable.partitions[1].size')
dd if="$T/sample.img" of="$T/p2" bs=512 skip="$start" count="$size" status=none
dumpe2fs -h "$T/p2" >"$T/dump" 2>/dev/null || fail "dumpe2fs cannot read the sample's p2"
bs=$(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump")
blocks=$(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump")
p2=$((start * 512))
dbg() { debugfs -R "$1" "$T/p2" 2>/dev/null; }

# cut CUT: the sample cut to CUT bytes; the owners of its last byte
cut_at() {
	head -c "$1" "$T/sample.img" >"$T/cut.img"
	"$DA" --lookup $(($1 - 1)) --json "$T/cut.img" >"$T/l.json" 2>"$T/err" &&
		fail "a cut image exits 0"
	grep -q "truncated image" "$T/err" || fail "no truncated-image line: $(cat "$T/err")"
	jq -c '.owners[-1]' "$T/l.json"
}

# 1. QA's cut: a free block of group 3
o=$(cut_at 100000000)
blk=$(( (100000000 - 1 - p2) / bs ))
[ $(( (blk + 1) * bs )) -gt $((100000000 - p2)) ] || fail "the cut is not inside block $blk"
[ "$blk" -lt "$blocks" ] || fail "block $blk is not inside the filesystem ($blocks blocks)"
dbg "testb $blk" | grep -q "Block $blk not in use" || fail "debugfs: block $blk is in use"
check_eq "the cut free block" "$(echo "$o" | jq -r '"\(.block) \(.role)"')" "$blk free"
echo "ok: the last byte of a cut at 100000000 is block $blk, free (debugfs: not in use)"

# 2. a cut in the middle of a block of /boot/vmlinuz
blk=$(dbg "blocks /boot/vmlinuz" | tr ' ' '\n' | grep . | sed -n 100p)
[ -n "$blk" ] || fail "debugfs: no 100th block of /boot/vmlinuz"
dbg "testb $blk" | grep -q "Block $blk marked in use" || fail "debugfs: block $blk is not in use"
ino=$(dbg "icheck $blk" | awk -v b="$blk" '$1 == b { print $2 }')
path=$(dbg "ncheck $ino" | awk -v i="$ino" '$1 == i { print $2 }')
check_eq "debugfs: block $blk's file" "$path" /boot/vmlinuz
c=$((p2 + blk * bs + bs / 2))
o=$(cut_at "$c")
check_eq "the cut block of /boot/vmlinuz" \
	"$(echo "$o" | jq -r '"\(.block) \(.role) \(.inode) \(.path)"')" "$blk file_data $ino $path"
echo "ok: a cut in block $blk: file_data of $path (inode $ino), as debugfs says"

# 3. past the filesystem's own end: unused
truncate -s 4M "$T/small"
mkfs.ext4 -q -F -b 1024 "$T/small" 3072 || fail "mkfs.ext4"
end=$(( $(dumpe2fs -h "$T/small" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }') * 1024 ))
check_eq "the small filesystem's end" "$end" $((3 << 20))
check_eq "past the filesystem's end" \
	"$("$DA" --lookup $((end + 512)) --json "$T/small" | jq -r '.owners[-1].role')" unused
echo "ok: a byte past the filesystem's last block is unused"
