#!/bin/sh
# Damaged ext4 group descriptors: the whole table overwritten with random
# bytes, and single descriptors whose block bitmap or inode table points
# at an extreme block, or at another group's bitmap.  Each must be listed
# as ext4 with a warning that names the damage in words, looked up at once
# with no "indexing" left over (what the scan still knows: roles, used or
# free, the files of the groups that are intact), and nothing from
# libext2fs on stderr.  The undamaged image must have no such warning.
. "$(dirname "$0")/../lib.sh"
requires jq xz timeout

ORIG=$(image gpt-esp-ext4)
"$DA" --list --json "$ORIG" >"$T/list.json"
ext='[.. | objects | select(.type == "filesystem" and .fstype == "ext4")][0]'
PART=$(jq -r '.disks[0].content.partitions[] | select(.content.fstype == "ext4") | .start' "$T/list.json")
BS=$(jq -r "$ext.block_size" "$T/list.json")
[ -n "$PART" ] && [ "$BS" -gt 0 ] || fail "no ext4 partition in gpt-esp-ext4"
# the group descriptor table: the block after the superblock's; 64-byte
# descriptors (64bit feature): block bitmap at +0 (high half +0x20),
# inode table at +8 (high half +0x28)
if [ "$BS" -eq 1024 ]; then GDT=$((PART + 2048)); else GDT=$((PART + BS)); fi
DESC=64

poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
fresh() { cp --sparse=always "$ORIG" "$T/d.img"; echo "$T/d.img"; }

# blocks of files in the first group (inodes 12..2048) and the second,
# from the undamaged image: "OFFSET INODE" a line
awk -v p="$PART" -v bs="$BS" 'BEGIN { for (b = 300; b < 16000; b += 7) print p + b * bs }' |
	"$DA" --lookup - --json "$ORIG" |
	jq -r '.offset as $o | .owners[-1] | select(.role == "file_data") | "\($o) \(.inode)"' >"$T/files"
IPG=$(( $(jq -r "$ext.inode_count" "$T/list.json") / ( ($(jq -r "$ext.blocks" "$T/list.json") + 8191) / 8192 ) ))
G0=$(awk -v n="$IPG" '$2 > 11 && $2 <= n { print $1; exit }' "$T/files")
G0INO=$(awk -v n="$IPG" '$2 > 11 && $2 <= n { print $2; exit }' "$T/files")
G1=$(awk -v n="$IPG" '$2 > n && $2 <= 2 * n { print $1; exit }' "$T/files")
[ -n "$G0" ] && [ -n "$G1" ] || fail "no file blocks found in groups 0 and 1 (ipg $IPG)"

# list IMG NAME: --list and --list --json; exit 0, nothing on stderr
list() {
	timeout 20 "$DA" --list "$1" >"$T/$2.txt" 2>"$T/$2.err" || fail "$2: --list exit $?"
	timeout 20 "$DA" --list --json "$1" >"$T/$2.json" 2>>"$T/$2.err" || fail "$2: --list --json exit $?"
	[ ! -s "$T/$2.err" ] || fail "$2: stderr: $(head -3 "$T/$2.err")"
	! grep -q "Unknown code" "$T/$2.txt" "$T/$2.json" || fail "$2: an error code without its text: $(grep -h -o 'Unknown code[^)]*' "$T/$2.txt" | head -1)"
}
# look IMG NAME OFFSET: the innermost owner of OFFSET as JSON, at once,
# with no "indexing", nothing on stderr
look() {
	t0=$(date +%s%N)
	echo "$3" | timeout 20 "$DA" --lookup - --json "$1" >"$T/$2.look" 2>"$T/$2.lerr"
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$rc" -eq 0 ] || fail "$2: --lookup $3 exit $rc (124: a hang)"
	[ ! -s "$T/$2.lerr" ] || fail "$2: --lookup stderr: $(head -3 "$T/$2.lerr")"
	! grep -q indexing "$T/$2.look" || fail "$2: still indexing: $(cat "$T/$2.look")"
	[ "$ms" -lt 10000 ] || fail "$2: --lookup took $ms ms"
	echo "ok: $2: lookup $3 in $ms ms: $(jq -c '.owners[-1] | {role, inode}' "$T/$2.look")" >&2
	jq -c '.owners[-1]' "$T/$2.look"
}
warnings() { jq -r "$ext | (.warnings // [])[]" "$T/$1.json"; }

# --- undamaged: no warning, files owned ---
list "$ORIG" orig
[ -z "$(warnings orig)" ] || fail "undamaged: warnings: $(warnings orig)"
! grep -q "group descriptors" "$T/orig.txt" || fail "undamaged: --list warns"
look "$ORIG" orig "$G0" | tail -1 | jq -e --argjson i "$G0INO" '.role == "file_data" and .inode == $i and .warning == null' >/dev/null ||
	fail "undamaged: $G0 is not inode $G0INO's"

# --- the whole table overwritten with random bytes (high-entropy bytes
# taken from the compressed image, so that every run is the same) ---
img=$(fresh)
dd if="$IMAGES/gpt-esp-ext4.img.xz" of="$img" bs=1 skip=4096 count=1024 seek="$GDT" conv=notrunc status=none
list "$img" random
jq -e "$ext | .fstype == \"ext4\"" "$T/random.json" >/dev/null || fail "random: not listed as ext4"
grep -q "warning: group descriptors: .* fail their checksum" "$T/random.txt" || fail "random: no checksum warning in --list"
grep -q "warning: group descriptors: .* outside the filesystem" "$T/random.txt" || fail "random: no placement warning in --list"
got=$(look "$img" random "$G0" | tail -1)
echo "$got" | jq -e '.role == "free" or .role == "used" or .role == "file_data"' >/dev/null || fail "random: role $got"
# the whole map still answers, nothing says indexing
awk -v p="$PART" -v bs="$BS" 'BEGIN { for (b = 0; b < 81920; b += 997) print p + b * bs }' |
	timeout 20 "$DA" --lookup - --json "$img" >"$T/many" 2>"$T/many.err" || fail "random: --lookup - failed"
[ ! -s "$T/many.err" ] || fail "random: --lookup - stderr: $(head -3 "$T/many.err")"
! grep -q indexing "$T/many" || fail "random: some lookups say indexing"
# and each answer from the damaged filesystem says why it may be wrong
jq -e -s 'all(.[]; .owners[-1].warning // "" | test("^group descriptors: .* fail their checksum"))' "$T/many" >/dev/null ||
	fail "random: a lookup without the warning: $(jq -c '.owners[-1]' "$T/many" | head -1)"
"$DA" --lookup "$G0" "$img" | grep -q '^ *warning: group descriptors: ' || fail "random: no warning in text --lookup"
# --list says what the index could not read once, not the scan's warning twice
[ "$(grep -c 'fail their checksum' "$T/random.txt")" -eq 1 ] || fail "random: a warning repeated: $(grep -c 'fail their checksum' "$T/random.txt")"
grep -q "warning: file index: the inodes of" "$T/random.txt" || fail "random: the file index's warning is not in --list"

# --- group 1's block bitmap at the last 64-bit block ---
img=$(fresh)
poke "$img" $((GDT + DESC)) "$(le32 4294967295)"
poke "$img" $((GDT + DESC + 32)) "$(le32 4294967295)"
list "$img" bbitmap
grep -q "warning: group descriptors: 1 of [0-9]* place a bitmap or the inode table outside the filesystem (group 1: block bitmap at block 18446744073709551615)" "$T/bbitmap.txt" ||
	fail "bbitmap: no warning: $(grep -o 'warning: [^ ]* [^ ]* [^(]*' "$T/bbitmap.txt")"
# the index does not need bitmaps: files are still found
look "$img" bbitmap "$G1" | tail -1 | jq -e '.role == "file_data" and (.path | length > 1)' >/dev/null ||
	fail "bbitmap: group 1's file lost: $(cat "$T/bbitmap.look")"

# --- group 1's inode table at an extreme block: group 0's files stay ---
img=$(fresh)
poke "$img" $((GDT + DESC + 8)) "$(le32 4294967040)"
poke "$img" $((GDT + DESC + 40)) "$(le32 4294967295)"
list "$img" itable1
grep -q "outside the filesystem (group 1: inode table at block" "$T/itable1.txt" || fail "itable1: no warning in --list"
look "$img" itable1 "$G0" | tail -1 | jq -e --argjson i "$G0INO" '.inode == $i and (.path | length > 1)' >/dev/null ||
	fail "itable1: group 0's file lost: $(cat "$T/itable1.look")"
look "$img" itable1 "$G1" | tail -1 | jq -e '.inode == null' >/dev/null ||
	fail "itable1: a file from a table set aside: $(cat "$T/itable1.look")"

# --- group 0's inode table at block 0xffffffff00000000 (an inode scan
# would not even start): no file known, still no "indexing" ---
img=$(fresh)
poke "$img" $((GDT + 8)) "$(le32 0)"
poke "$img" $((GDT + 40)) "$(le32 4294967295)"
list "$img" itable0
grep -q "(group 0: inode table at block 18446744069414584320)" "$T/itable0.txt" || fail "itable0: no warning in --list"
look "$img" itable0 "$G0" | tail -1 | jq -e '.role == "used" and .inode == null' >/dev/null ||
	fail "itable0: $(cat "$T/itable0.look")"

# --- group 1's block bitmap on group 0's: inside the filesystem, but
# e2fsck's own check and the bitmap checksum say it is wrong, in words ---
img=$(fresh)
b0=$(od -An -tu4 -j "$GDT" -N4 "$img" | tr -d ' ')
poke "$img" $((GDT + DESC)) "$(le32 "$b0")"
list "$img" shared
grep -q "checksum" "$T/shared.txt" || fail "shared: no checksum warning: $(grep -o 'warning: .*' "$T/shared.txt" | head -2)"
grep -Eq "warning: (group descriptors|block bitmaps): [A-Z][a-z]+ [a-z]" "$T/shared.txt" ||
	fail "shared: no warning in libext2fs's words: $(grep -o 'warning: .*' "$T/shared.txt" | head -2)"
look "$img" shared "$G0" >/dev/null

# --- a damaged superblock is still "unknown", with a reason in words ---
img=$(fresh)
poke "$img" $((PART + 1024)) "$(le32 12345)"   # s_inodes_count
list "$img" super
jq -e '[.. | objects | select(.type == "unknown" and (.reason // "" | test("^ext: [A-Z][a-z]+ ")))] | length == 1' "$T/super.json" >/dev/null ||
	fail "super: $(jq -c '.disks[0].content.partitions[1].content | {type, reason}' "$T/super.json")"
echo "ok: super: $(jq -r '.disks[0].content.partitions[1].content.reason' "$T/super.json")"
for c in random bbitmap itable1 itable0 shared; do echo "$c: $(warnings "$c" | tr "\n" "|")"; done
echo "ok: all"
