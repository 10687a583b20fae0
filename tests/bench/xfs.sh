#!/bin/sh
# make bench, XFS: the same tree of 50,000 files in an XFS (mkfs.xfs -p, a
# prototype file: no mount needed) and in an ext4 (mkfs.ext4 -d), each
# 1 GiB and then 16 TiB (sparse), with the time (scan, ownership and the
# file index: --lookup 0) and peak memory side by side.  The 16 TiB images
# need a filesystem that holds files of 16 TiB (ext4 stops 4 KiB short):
# tmpfs in /dev/shm does, sparse; BENCH_DIR overrides.
set -eu
cd "$(dirname "$0")/../.."
DA="$(pwd)/diskatlas"
NFILES=${NFILES:-50000}
for t in mkfs.xfs mkfs.ext4 /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/sbin/$t" ] || [ -x "/usr/sbin/$t" ] ||
		{ echo "  skipped: $t is not installed"; exit 0; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/da-bench-xfs.XXXXXX")
BIG=${BENCH_DIR:-/dev/shm}
B=""
cleanup() { rm -rf "$W"; [ -z "$B" ] || rm -rf "$B"; }
trap cleanup EXIT
now() { date +%s.%N; }
# measure LABEL IMG: the time and peak memory of --lookup 0 (scan,
# ownership, file index); --list's warnings, if any
measure() {
	t0=$(now)
	/usr/bin/time -f %M -o "$W/peak" "$DA" --lookup 0 "$2" >"$W/list" 2>&1 || { echo "  $1: --lookup failed"; tail -3 "$W/list"; return; }
	t1=$(now)
	echo "$t0 $t1 $(cat "$W/peak")" | awk -v l="$1" '{ printf "  %-22s %8.3f s  peak %8d KiB\n", l, $2 - $1, $3 }'
	"$DA" --list "$2" | grep 'warning' | head -3 | sed 's/^/    /' || true
}
# the tree: 500 directories of 100 small files (mkfs.ext4 -d slows with
# many files in one directory)
dirs=$((NFILES / 100))
awk -v top="$W/tree" -v nd="$dirs" 'BEGIN {
	for (d = 0; d < nd; d++) {
		dir = sprintf("%s/d%03d", top, d); system("mkdir -p " dir)
		for (i = 0; i < 100; i++) {
			f = sprintf("%s/f%03d", dir, i)
			k = (i * 7 + d * 13) % 20 + 1
			for (j = 0; j < k; j++) printf "line %d of file %d in %d, the quick brown fox\n", j, i, d > f
			close(f)
		}
	} }'
{
	echo /dev/null; echo "0 0"; echo "d--755 0 0"
	for d in "$W"/tree/d*; do
		echo "$(basename "$d") d--755 0 0"
		for f in "$d"/*; do echo "$(basename "$f") ---644 0 0 $f"; done
		echo '$'
	done
	echo '$'
} >"$W/proto"
# build SIZE DIR: both filesystems of SIZE in DIR
build() {
	t0=$(now)
	truncate -s "$1" "$2/xfs.img" "$2/ext4.img"
	TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f -l size=64m -p "$W/proto" "$2/xfs.img"
	t1=$(now)
	mkfs.ext4 -q -F -E root_owner=0:0 -d "$W/tree" "$2/ext4.img"
	echo "$t0 $t1 $(now)" | awk -v s="$1" '{ printf "  (made in %.1f s by mkfs.xfs -p, %.1f s by mkfs.ext4 -d, %s each)\n", $2 - $1, $3 - $2, s }'
}
echo "== XFS beside ext4: the same $NFILES files; --lookup (scan, ownership, file index)"
build 1G "$W"
measure "xfs 1 GiB" "$W/xfs.img"
measure "ext4 1 GiB" "$W/ext4.img"
rm -f "$W/xfs.img" "$W/ext4.img"
if [ -d "$BIG" ] && B=$(mktemp -d "$BIG/da-bench-xfs.XXXXXX" 2>/dev/null) &&
	truncate -s 16T "$B/probe" 2>/dev/null; then
	rm -f "$B/probe"
	build 16T "$B"
	measure "xfs 16 TiB (sparse)" "$B/xfs.img"
	measure "ext4 16 TiB (sparse)" "$B/ext4.img"
	echo "  (on disk: xfs $(du -k "$B/xfs.img" | cut -f1) KiB, ext4 $(du -k "$B/ext4.img" | cut -f1) KiB)"
else
	echo "  16 TiB: skipped: no directory here holds a 16 TiB sparse file (set BENCH_DIR)"
fi
