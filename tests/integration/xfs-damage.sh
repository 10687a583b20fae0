#!/bin/sh
# Damaged XFS, made from xfs-rmap.img with xfs_db -x (which rewrites the
# CRC of what it changes, so that the damage is structural) and with dd
# (a bad CRC): B+tree pointers that loop or leave the AG, a bad magic in
# the middle of a tree (a bmbt leaf), a level that does not fall, an inode
# with an absurd extent count, a directory that contains itself, a
# truncated image.  Each must give warnings naming the damage, exit 0
# (a truncated image: 1, with the man page's one line saying so), and
# answer lookups; nothing may hang (timeout) or crash.
. "$(dirname "$0")/../lib.sh"
requires xfs_db jq xz timeout
orig=$(image xfs-rmap)
n=0
# damage NAME EXPECTED-WARNING XFS_DB-COMMAND...
damage() {
	name=$1 want=$2; shift 2
	img="$T/$name.img"
	cp --sparse=always "$orig" "$img"
	for c in "$@"; do set -- "$@" -c "$c"; shift; done
	xfs_db -x "$@" "$img" >/dev/null 2>&1 || fail "$name: xfs_db could not make the damage"
	check "$name" "$want" "$img"
}
# check NAME EXPECTED-WARNING IMAGE [EXIT-STATUS]
check() {
	want_rc=${4:-0}
	rc=0; timeout 60 "$DA" --list --json "$3" >"$T/$1.json" 2>"$T/$1.err" || rc=$?
	[ "$rc" -eq "$want_rc" ] || { cat "$T/$1.err"; fail "$1: --list exited $rc, not $want_rc"; }
	[ "$want_rc" -eq 0 ] || grep -q "truncated image" "$T/$1.err" || fail "$1: no 'truncated image' line: $(cat "$T/$1.err")"
	jq -r '.. | objects | select(.fstype? == "xfs") | ((.warnings // [])[], (.reason // empty))' "$T/$1.json" >"$T/$1.warn"
	grep -q -- "$2" "$T/$1.warn" || { cat "$T/$1.warn"; fail "$1: no warning matching '$2'"; }
	# lookups still answer, over the whole filesystem
	size=$(stat -c %s "$3")
	awk -v size="$size" 'BEGIN { for (o = 0; o < size; o += 65536) print o }' >"$T/where"
	rc=0; timeout 60 "$DA" --lookup - --json "$3" <"$T/where" >"$T/$1.look" 2>/dev/null || rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$1: --lookup exited $rc"
	check_eq "$1: answers" "$(wc -l <"$T/$1.look")" "$(wc -l <"$T/where")"
	n=$((n + 1))
	echo "ok $1: $(head -1 "$T/$1.warn")"
}
bs=4096
damage cnt-loop "cntbt: block 1 reached twice" 'agf 0' 'write cntroot 1'
damage ino-outside "inobt: pointer to block 99999 outside the AG" 'agi 1' 'write root 99999'
# AG 1's inodes are lost with its inobt: the rmapbt says whose blocks those were
check ino-outside "rmapbt disagrees at block 8216 (inode 90240)" "$T/ino-outside.img"
damage bno-level "bnobt: block 1 at level 0, expected 1" 'agf 0' 'write bnolevel 2'
damage bmbt-magic "bmbt block 195 has magic" 'fsblock 195' 'type bmapbtd' 'write -d magic 0x12345678'
damage absurd-extents "inode 3910: 4000000000 extents" 'inode 3910' 'write core.nextents 4000000000'
damage absurd-bmbt "inode 319: 4000000000 extents (absurd)" 'inode 319' 'write core.nextents 4000000000'
damage self-dir "directory 128 contains itself" 'inode 128' 'write u3.sfdir3.list[0].inumber.i4 128'
# a flipped byte in the AGF of AG 1, CRC not rewritten
img="$T/agf-crc.img"; cp --sparse=always "$orig" "$img"
off=$(( $(xfs_db -r -c 'sb 0' -c 'p agblocks' "$orig" | awk '{print $3}') * bs + 512 + 60 ))
printf '\377' | dd of="$img" bs=1 seek=$off conv=notrunc 2>/dev/null
check agf-crc "AG 1: AGF fails its CRC" "$img"
# the first 4 MiB only
head -c 4194304 "$orig" >"$T/short.img"
check truncated "truncated" "$T/short.img" 1
# a primary superblock that does not parse: an unknown node with the reason
img="$T/sb.img"; cp --sparse=always "$orig" "$img"
printf '\0\0\0\7' | dd of="$img" bs=1 seek=4 conv=notrunc 2>/dev/null
timeout 60 "$DA" --list --json "$img" >"$T/sb.json" || fail "sb: --list failed"
check_eq "bad superblock" "$(jq -r '.disks[0].content | .type + ": " + .reason' "$T/sb.json")" \
	"unknown: xfs: superblock: block size 7 (log 12)"
check_eq "damaged images" "$n" 10
echo "ok: $n damaged images give warnings, answer lookups, never hang"
