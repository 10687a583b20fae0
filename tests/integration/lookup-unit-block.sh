#!/bin/sh
# --unit block: a bare number counts the blocks of the filesystem that the
# disk or volume named holds directly, numbered as that filesystem's own
# tools number them, and the logical sectors of any other space:
#  - ext4 with 4 KiB blocks on a whole disk: debugfs's blocks, icheck's
#    inodes and ncheck's paths, for --lookup and --lookup - alike;
#  - ext4 with 1 KiB blocks in an LV (vg/lv:N): icheck's inodes for
#    blocks all over it (debugfs reads the LV's bytes);
#  - NTFS with 4 KiB clusters: ntfscluster's LCNs, both ways;
#  - FAT16 with 4 KiB clusters: mshowfat's clusters, from 2 (cluster 1 is
#    an error that says so);
#  - XFS with agblocks not a power of 2: agno * agblocks + agbno, from
#    xfs_db's bmap and AG 1's superblock;
#  - a GPT disk (512-byte and 4K-native) counts sfdisk's sectors, an LV
#    that holds swap its own 512-byte sectors;
#  - a length (START+N) is N blocks, an END (START-END) a block number.
. "$(dirname "$0")/../lib.sh"
requires jq xz debugfs mkfs.ext4
export MTOOLS_SKIP_CHECK=1
mkdir "$T/d" "$T/d/sub"
seq 1 200000 >"$T/d/numbers.txt"
seq 1 30000 >"$T/d/sub/small.txt"
head -c 300000 /dev/urandom >"$T/d/sub/random.bin"

# fs BLOCK IMG [NAME]: "block inode path" of the filesystem owner of block
# BLOCK of NAME (the first disk when none), under --unit block
fs() {
	"$DA" --unit block --json --lookup "${3:+$3:}$1" "$2" | jq -r '
		[.owners[] | select(.kind == "filesystem")][0] |
		"\(.block) \(.inode // "-") \(.path // "-")"'
}

# ---- ext4, 4 KiB blocks, the whole disk
truncate -s 32M "$T/ext.img"
mkfs.ext4 -q -b 4096 -d "$T/d" "$T/ext.img"
for f in /numbers.txt /sub/small.txt /sub/random.bin; do
	b=$(debugfs -R "blocks $f" "$T/ext.img" 2>/dev/null | awk '{ print $NF }')
	[ -n "$b" ] || fail "debugfs: no blocks for $f"
	ino=$(debugfs -R "icheck $b" "$T/ext.img" 2>/dev/null | awk 'NR == 2 { print $2 }')
	path=$(debugfs -R "ncheck $ino" "$T/ext.img" 2>/dev/null | awk 'NR == 2 { print $2 }' | tr -s /)
	check_eq "ext4 block $b (the last of $f)" "$(fs "$b" "$T/ext.img")" "$b $ino $path"
done
# the inode table of group 0, where dumpe2fs puts it
it=$(dumpe2fs "$T/ext.img" 2>/dev/null | sed -n 's/^ *Inode table at \([0-9]*\)-.*/\1/p' | head -1)
check_eq "ext4 block $it: inode table" \
	"$("$DA" --unit block --json --lookup "$it" "$T/ext.img" | jq -r '.owners[0] | "\(.block) \(.role)"')" "$it inode_table"
# --lookup - follows --unit block: blocks all over the disk, against icheck
blocks=$(seq 0 41 8191 | tr '\n' ' ')
debugfs -R "icheck $blocks" "$T/ext.img" 2>/dev/null |
	awk 'NR > 1 { print $1, ($2 ~ /^[0-9]+$/ ? $2 : "-") }' >"$T/icheck"
awk '{ print $1 }' "$T/icheck" | "$DA" --unit block --json --lookup - "$T/ext.img" |
	jq -r '.owners[0] | "\(.block) \(.inode // "-")"' >"$T/da"
check_eq "ext4: $(wc -l <"$T/icheck") blocks through --lookup -" "$(cat "$T/da")" "$(cat "$T/icheck")"
# a range: a length in blocks, an end a block number
check_eq "ext4 range 100+3" "$("$DA" --unit block --json --lookup 100+3 "$T/ext.img" | jq -c '[.start, .length]')" \
	"[$((100 * 4096)),$((3 * 4096))]"
check_eq "ext4 range 100-103" "$("$DA" --unit block --json --lookup 100-103 "$T/ext.img" | jq -c '[.start, .length]')" \
	"[$((100 * 4096)),$((3 * 4096))]"
# suffixed numbers keep their meaning
check_eq "ext4 2048s under --unit block" "$("$DA" --unit block --json --lookup 2048s "$T/ext.img" | jq '.offset')" 1048576
echo "ok: ext4 on a whole disk: debugfs's blocks, icheck, ncheck, dumpe2fs"

# ---- ext4 with 1 KiB blocks in an LV, and a swap LV; the GPT disk under them
img=$(image lvm-gpt)
"$DA" --cat atlas/data:0+20M "$img" >"$T/data.img"
debugfs -R "stats" "$T/data.img" 2>/dev/null | grep -q '^Block size: *1024$' || fail "atlas/data: not 1 KiB blocks"
blocks=$(seq 0 37 20479 | tr '\n' ' ')
debugfs -R "icheck $blocks" "$T/data.img" 2>/dev/null |
	awk 'NR > 1 { print $1, ($2 ~ /^[0-9]+$/ ? $2 : "-") }' >"$T/icheck"
grep -qv ' -$' "$T/icheck" || fail "atlas/data: icheck found no file block"
awk '{ print "atlas/data:" $1 }' "$T/icheck" | "$DA" --unit block --json --lookup - "$img" |
	jq -r '[.owners[] | select(.kind == "filesystem")][0] | "\(.block) \(.inode // "-")"' >"$T/da"
check_eq "atlas/data: $(wc -l <"$T/icheck") blocks against icheck" "$(cat "$T/da")" "$(cat "$T/icheck")"
check_eq "atlas/swap:3 (a swap LV: 512-byte sectors)" \
	"$("$DA" --unit block --json --lookup atlas/swap:3 "$img" | jq '.owners[-1].offset')" 1536
p1=$("$DA" --list --json "$img" | jq '.disks[0].content.partitions[0].start')
check_eq "lvm-gpt block $((p1 / 512)) (p1's first sector)" \
	"$("$DA" --unit block --json --lookup $((p1 / 512)) "$img" | jq -c '[.owners[1].name, .owners[1].offset]')" '["p1",0]'
echo "ok: ext4 in an LV against icheck; a swap LV and a GPT disk count sectors"

# ---- a 4K-native GPT disk counts sfdisk's 4096-byte sectors
img=$(image gpt-4k)
s1=$(jq '.partitiontable.partitions[1].start' "$IMAGES/gpt-4k.sfdisk.json")
check_eq "gpt-4k block $s1 (p2's first LBA)" \
	"$("$DA" --unit block --json --lookup "$s1" "$img" | jq -c '[.offset, .owners[1].name, .owners[1].offset]')" \
	"[$((s1 * 4096)),\"p2\",0]"
echo "ok: a 4K-native disk: sfdisk's LBAs"

# ---- NTFS, 4 KiB clusters: ntfscluster's LCNs
if command -v mkntfs >/dev/null && command -v ntfscp >/dev/null && command -v ntfscluster >/dev/null; then
	truncate -s 32M "$T/ntfs.img"
	mkntfs -F -q -Q -c 4096 "$T/ntfs.img" >/dev/null 2>&1
	ntfscp "$T/ntfs.img" "$T/d/numbers.txt" /numbers.txt >/dev/null 2>&1
	lcn=$(ntfscluster -F /numbers.txt "$T/ntfs.img" 2>/dev/null | awk '$1 == 0 && NF == 3 { print $2 }')
	[ -n "$lcn" ] || fail "ntfscluster gave no LCN for /numbers.txt"
	ino=$(ntfscluster -c "$lcn" "$T/ntfs.img" 2>/dev/null | sed -n 's/^Inode \([0-9]*\) .*/\1/p')
	check_eq "ntfs cluster $lcn" "$(fs "$lcn" "$T/ntfs.img")" "$lcn $ino /numbers.txt"
	last=$((lcn + 300))
	check_eq "ntfs cluster $last" "$(fs "$last" "$T/ntfs.img")" "$last $ino /numbers.txt"
	echo "ok: NTFS: ntfscluster's LCNs"
else
	echo "mkntfs, ntfscp or ntfscluster missing: NTFS not checked"
fi

# ---- FAT16, 4 KiB clusters: mshowfat's clusters, from 2
if command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null; then
	mkfs.fat -C -s 8 -F 16 "$T/fat.img" 32768 >/dev/null
	mcopy -i "$T/fat.img" "$T/d/sub/small.txt" ::/small.txt
	mcopy -i "$T/fat.img" "$T/d/numbers.txt" ::/numbers.txt
	r=$(mshowfat -i "$T/fat.img" ::/numbers.txt | sed -n 's/.*<\([0-9]*\)-\([0-9]*\)>.*/\1 \2/p')
	[ -n "$r" ] || fail "mshowfat: $(mshowfat -i "$T/fat.img" ::/numbers.txt)"
	set -- $r
	for c in "$1" "$2"; do
		got=$(fs "$c" "$T/fat.img")
		check_eq "fat cluster $c" "${got%% *} ${got##* }" "$c /numbers.txt"
	done
	c=$(mshowfat -i "$T/fat.img" ::/small.txt | sed -n 's/.*<\([0-9]*\)[->].*/\1/p')
	got=$(fs "$c" "$T/fat.img")
	check_eq "fat cluster $c" "${got%% *} ${got##* }" "$c /small.txt"
	set +e
	"$DA" --unit block --lookup 1 "$T/fat.img" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	check_eq "fat cluster 1: exit status" "$rc" 1
	grep -q 'numbers its clusters from 2' "$T/err" || fail "fat cluster 1: $(cat "$T/err")"
	echo "ok: FAT16: mshowfat's clusters, from 2"
else
	echo "mkfs.fat or mtools missing: FAT not checked"
fi

# ---- XFS, agblocks not a power of 2: agno * agblocks + agbno
if command -v mkfs.xfs >/dev/null && command -v xfs_db >/dev/null; then
	printf '/dev/null\n0 0\nd--755 0 0\nnumbers.txt ---644 0 0 %s\n$\n' "$T/d/numbers.txt" >"$T/proto"
	truncate -s 64M "$T/xfs.img"
	# mkfs.xfs makes filesystems under 300 MiB only for the XFS test suite
	TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 \
		mkfs.xfs -q -f -b size=4096 -d agcount=3 -p "$T/proto" "$T/xfs.img"
	agb=$(xfs_db -r -c 'sb 0' -c 'p agblocks' "$T/xfs.img" | awk '{ print $3 }')
	[ $((agb & (agb - 1))) -ne 0 ] || fail "agblocks $agb is a power of 2: the test tells nothing"
	check_eq "xfs block $agb (AG 1's superblock)" \
		"$("$DA" --unit block --json --lookup "$agb" "$T/xfs.img" | jq -r '.owners[0] | "\(.block) \(.role)"')" "$agb superblock"
	ino=$(xfs_db -r -c 'ls /' "$T/xfs.img" | awk '$NF == "(good)" && $(NF-1) == "numbers.txt" { print $2 }')
	set -- $(xfs_db -r -c "inode $ino" -c bmap "$T/xfs.img" | sed -n 's/.*startblock [0-9]* (\([0-9]*\)\/\([0-9]*\)) count \([0-9]*\).*/\1 \2 \3/p')
	b=$(($1 * agb + $2 + $3 - 1))
	check_eq "xfs block $b (the last of /numbers.txt)" "$(fs "$b" "$T/xfs.img")" "$b $ino /numbers.txt"
	echo "ok: XFS: xfs_db's agno/agbno as agno * agblocks + agbno"
else
	echo "mkfs.xfs or xfs_db missing: XFS not checked"
fi
