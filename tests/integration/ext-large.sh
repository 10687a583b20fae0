#!/bin/sh
# A 2 TiB ext4 (sparse, lazily initialised: 16,384 groups, 134 million
# inodes) with a few files: free blocks agree with dumpe2fs, metadata of
# the last groups and every block of the files agree with debugfs, and
# --list stays small in memory: the block bitmaps are runs, not a flat
# 64 MiB array (a ceiling on memory, not a time).
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs dumpe2fs jq /usr/bin/time

mkdir -p "$T/tree/a/b" "$T/tree/c"
for f in one two three; do head -c 300000 /dev/urandom >"$T/tree/a/b/$f"; done
head -c 5000 /dev/urandom >"$T/tree/c/small"
img="$T/big.img"
truncate -s 2T "$img"
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=1,lazy_journal_init=1 -d "$T/tree" "$img" ||
	fail "mkfs.ext4 of a 2 TiB image"
dumpe2fs "$img" >"$T/dump" 2>/dev/null || fail "dumpe2fs"

peak=$(/usr/bin/time -f %M "$DA" --list --json "$img" 2>&1 >"$T/list.json" | tail -1)
fs='.disks[0].content'
check_eq "fstype" "$(jq -r "$fs.fstype" "$T/list.json")" ext4
check_eq "blocks" "$(jq -r "$fs.blocks" "$T/list.json")" "$(awk -F: '/^Block count/ { print $2 + 0 }' "$T/dump")"
check_eq "free blocks" "$(jq -r "$fs.free_blocks" "$T/list.json")" "$(awk -F: '/^Free blocks/ { print $2 + 0; exit }' "$T/dump")"
[ "$peak" -lt 32768 ] || fail "--list of a 2 TiB ext4 peaked at $peak KiB (a flat block bitmap is 65,536 KiB)"
echo "ok: 2 TiB ext4: counts agree with dumpe2fs, peak $peak KiB"

# the metadata of the last group, and of the last group with a backup
# superblock, where dumpe2fs puts them
last=$(awk '/^Group [0-9]+:/ { g = $2 } END { print g + 0 }' "$T/dump")
awk -v g="$last" '$1 == "Group" && $2 + 0 == g { on = 1 } on && /Block bitmap at/ { sub(/.*Block bitmap at /, ""); print $1 + 0, "block_bitmap"; exit }' "$T/dump" >"$T/want"
awk -v g="$last" '$1 == "Group" && $2 + 0 == g { on = 1 } on && /Inode table at/ { sub(/.*Inode table at /, ""); sub(/-.*/, ""); print $1 + 0, "inode_table"; exit }' "$T/dump" >>"$T/want"
awk '/Backup superblock at/ { sub(/.*Backup superblock at /, ""); sub(/,.*/, ""); b = $1 } END { print b + 0, "superblock" }' "$T/dump" >>"$T/want"
# every block of the files, with their inodes and paths from debugfs
for p in /a/b/one /a/b/two /a/b/three /c/small; do
	ino=$(debugfs -R "stat $p" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	[ -n "$ino" ] || fail "debugfs cannot stat $p"
	debugfs -R "blocks $p" "$img" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' |
		awk -v i="$ino" -v p="$p" '{ print $1, "file_data", i, p }' >>"$T/want"
done
[ "$(wc -l <"$T/want")" -gt 200 ] || fail "too few blocks to check: $(wc -l <"$T/want")"
awk '{ printf "%.0f\n", $1 * 4096 }' "$T/want" | "$DA" --lookup - --json "$img" |
	jq -r '.owners[-1] | "\(.block) \(.role)" + (if .inode then " \(.inode) \(.path)" else "" end)' >"$T/got"
cut -d' ' -f1-4 "$T/want" | diff - "$T/got" >"$T/diff" ||
	fail "lookups disagree with dumpe2fs/debugfs: $(head -4 "$T/diff")"
echo "ok: $(wc -l <"$T/want") blocks agree with dumpe2fs and debugfs (last group $last)"
