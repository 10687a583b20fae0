#!/bin/sh
# Build mbr-logical.img(.xz): an MBR disk with three primaries (one
# bootable), an extended partition holding three logicals, gaps between
# partitions and free space at the end.  Made with sfdisk.
set -eu
cd "$(dirname "$0")"
out=mbr-logical.img
rm -f "$out" "$out.xz"
truncate -s 64M "$out"
sfdisk --quiet "$out" <<'TABLE'
label: dos
label-id: 0x1badcafe
start=2048, size=8192, type=83, bootable
start=12288, size=8192, type=82
start=22528, size=4096, type=c
start=28672, size=81920, type=5
start=30720, size=10240, type=83
start=43008, size=8192, type=8e
start=53248, size=20480, type=7
TABLE
xz -9 -T1 -k "$out"
