#!/bin/sh
# Explorer frame times: median and worst time to draw a whole frame (a
# 200x60 map, every cell summarised afresh, plus side pane and legend) over
# a sweep of zoom levels and positions, on a 2 TiB sparse disk with one
# ext4 partition and on a 1 GiB one with files, each in the disk view and
# in the view of the partition (summaries through the layers).  Figures, no assertions:
# a frame should cost the same whatever the disk's size.
# The explorer renders off screen when DISKATLAS_FRAME_BENCH=N is set.
set -eu
cd "$(dirname "$0")/../.."
DA="$(pwd)/diskatlas"
T=$(mktemp -d "${TMPDIR:-/tmp}/da-frames.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8
FRAMES=${FRAMES:-300}
now() { date +%s.%N; }

mkext4() {  # IMG SIZE [MKFS-OPTION...]: a GPT, one partition, ext4 in it
	img=$1
	truncate -s "$2" "$img"
	printf 'label: gpt\n,\n' | sfdisk -q "$img"
	start=$(sfdisk --json "$img" | jq '.partitiontable.partitions[0].start')
	size=$(sfdisk --json "$img" | jq '.partitiontable.partitions[0].size')
	shift 2
	# -b: without it mkfs.ext4 reads the size as KiB, a quarter of the disk
	mkfs.ext4 -q -F -b 4096 -E "offset=$((start * 512)),lazy_itable_init=1,lazy_journal_init=1" \
		"$@" "$img" $((size * 512 / 4096))
}

IMG="$T/big.img"
t0=$(now)
mkext4 "$IMG" 2T
t1=$(now)
echo "  2 TiB sparse image with ext4 made in $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
# the scan and the file index of a 2 TiB ext4: 16,384 groups, 134 million
# inodes, with flat bitmaps 64 MiB for the blocks alone
t0=$(now)
peak=$(/usr/bin/time -f %M "$DA" --list "$IMG" 2>&1 >/dev/null | tail -1)
t1=$(now)
echo "  --list of the 2 TiB ext4 (scan, bitmaps, file index): $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s, peak $peak KiB  [baseline: a flat block bitmap alone is 65,536 KiB]"
DISKATLAS_FRAME_BENCH=$FRAMES "$DA" "$IMG" | sed 's/^/  /'

# 1 GiB with a few thousand files spread over directories
mkdir -p "$T/tree"
for d in $(seq 1 40); do
	mkdir -p "$T/tree/d$d"
	for f in $(seq 1 50); do
		head -c $(( (d * 37 + f * 101) % 20000 + 1 )) /dev/urandom >"$T/tree/d$d/f$f"
	done
done
IMG="$T/one.img"
mkext4 "$IMG" 1G -d "$T/tree"
DISKATLAS_FRAME_BENCH=$FRAMES "$DA" "$IMG" | sed 's/^/  /'
