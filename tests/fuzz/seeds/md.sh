#!/bin/sh
# Seeds for md arrays on one disk (the fuzz target takes one image): a
# GPT disk whose partitions are md members, written by mdraid.py.
#  md-raid6-degraded: a five-member RAID6 holding an ext4, with only
#    members 0, 2 and 4 present, so that every read of the array solves
#    lost chunks from P and Q;
#  md-raid10-farsets: a five-member RAID10 far 2 with far sets.
# Usage: sh tests/fuzz/seeds/md.sh DIR   (writes DIR/md-*)
set -eu
out=$1
for t in python3 sfdisk mkfs.ext4; do command -v $t >/dev/null 2>&1 || exit 0; done
top=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# disk NAME: a 4 MiB GPT disk of five 640 KiB partitions; their slices
# (PATH@OFFSET+SIZE) in $parts
disk() {
	truncate -s 4M "$tmp/$1"
	{ echo 'label: gpt'
	  for i in 1 2 3 4 5; do echo 'size=1280, type=A19D880F-05FC-4D3B-A006-743F0F84911E'; done
	} | sfdisk -q "$tmp/$1" >/dev/null
	parts=$(sfdisk -d "$tmp/$1" | awk -v f="$tmp/$1" -F'[=,]' '/start=/ {
		printf "%s@%d+%d ", f, $2 * 512, $4 * 512 }')
}
md() {
	python3 "$top/tests/images/mdraid.py" --chunk 65536 --data-offset 65536 \
		--uuid 0123456789abcdef00112233445566ff --name seed:md "$@"
}
mkdir -p "$tmp/src"
seq 1 20000 >"$tmp/src/numbers.txt"
truncate -s 1728K "$tmp/fs"
mkfs.ext4 -q -F -b 1024 -d "$tmp/src" "$tmp/fs" 2>/dev/null
# RAID6: write all five members on scratch files, then copy 0, 2, 4 in
disk md-raid6-degraded
i=0 m=""
for p in $parts; do truncate -s 640K "$tmp/m$i"; m="$m $tmp/m$i"; i=$((i + 1)); done
md --level 6 --layout 2 --data "$tmp/fs" $m
i=0
for p in $parts; do
	off=${p#*@}; off=${off%+*}
	[ $((i % 2)) = 0 ] && dd if="$tmp/m$i" of="$tmp/md-raid6-degraded" bs=512 \
		seek=$((off / 512)) conv=notrunc status=none
	i=$((i + 1))
done
cp "$tmp/md-raid6-degraded" "$out/md-raid6-degraded"
disk md-raid10-farsets
head -c 4M /dev/urandom >"$tmp/data"
md --level 10 --layout $((0x40201)) --data "$tmp/data" $parts
cp "$tmp/md-raid10-farsets" "$out/md-raid10-farsets"
