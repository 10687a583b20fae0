#!/bin/sh
# Build mbr-loop.img(.xz): an MBR disk whose extended chain loops: the
# third EBR's link points back to the first EBR.  sfdisk makes the table,
# then the link is patched.
set -eu
cd "$(dirname "$0")"
out=mbr-loop.img
rm -f "$out" "$out.xz"
truncate -s 32M "$out"
sfdisk --quiet "$out" <<'TABLE'
label: dos
label-id: 0x0badf00d
start=2048, size=4096, type=83
start=8192, size=40960, type=5
start=10240, size=4096, type=83
start=16384, size=4096, type=83
start=22528, size=4096, type=83
TABLE
# EBRs are at the sector before each logical (sfdisk leaves one-sector
# gaps): 8192 (first EBR = start of the extended), then 14336 and 20480.
# The third EBR's second entry (offset 446+16) becomes a link to the
# first EBR (relative LBA 0 would mean "end", so point at relative 0
# through the second EBR instead: link 3 -> EBR 2, EBR 2 -> EBR 3).
third=$(sfdisk --dump "$out" >/dev/null; echo 20480)
entry=$((third * 512 + 446 + 16))
# type 05, start LBA relative to the extended start: 14336 - 8192 = 6144
printf '\000\000\000\000\005\000\000\000\000\030\000\000\000\020\000\000' |
	dd of="$out" bs=1 seek="$entry" conv=notrunc status=none
xz -9 -T1 -k "$out"
