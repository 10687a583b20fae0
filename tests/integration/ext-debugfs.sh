#!/bin/sh
# ext2/3/4 against debugfs and dumpe2fs: for a few hundred random blocks of
# each filesystem (fixed seed), every metadata block dumpe2fs names and
# the blocks of the resize inode and the journal,
# --lookup must agree on free vs used (testb), the owning inode (icheck),
# the path (ncheck, any of a hard link's names) and the metadata roles;
# free block counts must equal dumpe2fs's.
. "$(dirname "$0")/../lib.sh"
requires debugfs dumpe2fs sfdisk jq xz

SAMPLES=${EXT_SAMPLES:-300}
total=0
check_fs() {  # IMG PARTNUMBER
	img=$1 n=$2
	start=$(sfdisk --json "$img" | jq ".partitiontable.partitions[] | select(.node | test(\"[^0-9]$n\$\")) | .start")
	size=$(sfdisk --json "$img" | jq ".partitiontable.partitions[] | select(.node | test(\"[^0-9]$n\$\")) | .size")
	fs="$T/fs$n.img"
	dd if="$img" of="$fs" bs=512 skip="$start" count="$size" conv=sparse status=none
	dumpe2fs "$fs" >"$T/dump" 2>/dev/null || fail "dumpe2fs cannot read p$n"
	bs=$(awk -F: '/^Block size/ { print $2 + 0 }' "$T/dump")
	blocks=$(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump")
	free=$(awk -F: '/^Free blocks/ { print $2 + 0; exit }' "$T/dump")
	got_free=$("$DA" --list --json "$img" | jq ".disks[0].content.partitions[] | select(.number == $n) | .content.free_blocks")
	check_eq "$(basename "$img") p$n free blocks" "$got_free" "$free"

	# the sample: random blocks, plus every block dumpe2fs says is metadata
	awk -v n="$SAMPLES" -v b="$blocks" -v seed="$n" 'BEGIN { srand(seed); for (i = 0; i < n; i++) print int(rand() * b) }' >"$T/blocks"
	sed -n 's/.*\(superblock\|Superblock\) at \([0-9]*\).*/\2/p; s/.*Block bitmap at \([0-9]*\).*/\1/p; s/.*Inode bitmap at \([0-9]*\).*/\1/p; s/.*Inode table at \([0-9]*\)-.*/\1/p' "$T/dump" >>"$T/blocks"
	# and the blocks of the reserved inodes that own some: the resize
	# inode (7: its indirect blocks) and the journal (8)
	for ino in 7 8; do
		debugfs -R "blocks <$ino>" "$fs" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' | head -64 >>"$T/blocks"
	done
	sort -n -u "$T/blocks" -o "$T/blocks"
	# truth: in use? which inode? which paths?
	for b in $(cat "$T/blocks"); do echo "testb $b"; done >"$T/cmds"
	debugfs -f "$T/cmds" "$fs" 2>/dev/null | sed -n 's/^Block \([0-9]*\) marked in use$/\1 used/p; s/^Block \([0-9]*\) not in use$/\1 free/p' >"$T/testb"
	# testb answers every block but 0: without its answers the in-use
	# checks below would pass on nothing
	want_testb=$(grep -cv '^0$' "$T/blocks" || true)
	[ "$(wc -l <"$T/testb")" -eq "$want_testb" ] || fail "p$n: debugfs testb answered $(wc -l <"$T/testb") of $want_testb blocks"
	debugfs -R "icheck $(tr '\n' ' ' <"$T/blocks")" "$fs" 2>/dev/null | awk 'NR > 1 { print $1, ($2 ~ /^[0-9]+$/ ? $2 : "-") }' >"$T/icheck"
	inodes=$(awk '$2 != "-" && $2 > 11 { print $2 }' "$T/icheck" | sort -n -u | tr '\n' ' ')
	: >"$T/ncheck"
	[ -n "$inodes" ] && debugfs -R "ncheck $inodes" "$fs" 2>/dev/null | awk -F'\t' 'NR > 1 { sub(/^\/\//, "/", $2); print $1 "\t" $2 }' >"$T/ncheck"
	# ours
	awk -v s="$start" -v bs="$bs" '{ print s * 512 + $1 * bs + 17 }' "$T/blocks" >"$T/offs"
	"$DA" --lookup - --json "$img" <"$T/offs" | jq -r '.owners[-1] | "\(.block) \(.role) \(.inode // "-")\t\(.path // "")"' >"$T/ours"
	[ "$(wc -l <"$T/ours")" -eq "$(wc -l <"$T/blocks")" ] || fail "p$n: lookups missing"
	# join on the block number (testb refuses block 0: no answer there)
	bad=$(awk -v testb="$T/testb" -v icheck="$T/icheck" -v ncheck="$T/ncheck" '
		BEGIN {
			FS = "\t"
			while ((getline l < testb) > 0) { split(l, a, " "); state[a[1]] = a[2] }
			while ((getline l < icheck) > 0) { split(l, a, " "); inode[a[1]] = a[2] }
			while ((getline l < ncheck) > 0) { split(l, a, "\t"); paths[a[1]] = paths[a[1]] "|" a[2] "|" }
		}
		{
			split($1, o, " "); blk = o[1]; role = o[2]; oino = o[3]; path = $2
			if (!(blk in inode)) { print "block " blk ": icheck has no answer"; next }
			ino = inode[blk]
			if (state[blk] == "free") { if (role != "free") print "block " blk ": free per testb, ours " role; next }
			if (state[blk] == "used" && role == "free") { print "block " blk ": in use per testb, ours free"; next }
			if (ino == "-") {
				if (oino != "-" || role == "file_data" || role == "directory")
					print "block " blk ": no inode per icheck, ours " role " inode " oino
				next
			}
			if (oino != ino) { print "block " blk ": inode " ino " per icheck, ours " oino " (" role ")"; next }
			if (ino > 11 && index(paths[ino], "|" path "|") == 0)
				print "block " blk ": path " path " not among ncheck " paths[ino]
		}' "$T/ours")
	[ -z "$bad" ] || { echo "$bad" | head -20; fail "$(basename "$img") p$n: $(echo "$bad" | wc -l) disagreements"; }
	total=$((total + $(wc -l <"$T/blocks")))
	# metadata roles named by dumpe2fs
	for pair in "Block bitmap at:block_bitmap" "Inode bitmap at:inode_bitmap" "Inode table at:inode_table"; do
		key=${pair%%:*} role=${pair#*:}
		b=$(sed -n "s/.*$key \([0-9]*\).*/\1/p" "$T/dump" | tail -1)
		got=$("$DA" --lookup $((start * 512 + b * bs)) --json "$img" | jq -r '.owners[-1].role')
		check_eq "p$n block $b" "$got" "$role"
	done
	b=$(sed -n 's/.*Backup superblock at \([0-9]*\).*/\1/p' "$T/dump" | head -1)
	if [ -n "$b" ]; then
		got=$("$DA" --lookup $((start * 512 + b * bs)) --json "$img" | jq -r '.owners[-1].role')
		check_eq "p$n backup superblock $b" "$got" superblock
	fi
}

img=$(image mbr-ext)
check_fs "$img" 1
check_fs "$img" 2
check_fs "$img" 3
img=$(image gpt-esp-ext4)
check_fs "$img" 2
echo "ok: $total blocks agree with debugfs testb/icheck/ncheck"
