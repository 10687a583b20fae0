#!/bin/sh
# The holes of a qcow2 over a backing file, cell by cell, against
# `qemu-img map --output=json`: a 64 KiB cell of --map is "never written"
# (blank) exactly where qemu-img says no layer holds data.  The top image
# has 4 KiB clusters, so one L2 table reaches 2 MiB and most of its L1
# entries are empty (whole reaches answered at once); its unallocated
# clusters over the base's data and holes are asked of the base, and a
# zero cluster hides base data under it.
. "$(dirname "$0")/../lib.sh"
requires jq qemu-img qemu-io
cd "$T"
qemu-img create -q -f qcow2 base.qcow2 64M
qemu-io -f qcow2 -c "write -P 0x11 1M 128k" -c "write -P 0x12 10M 64k" \
	-c "write -P 0x13 63M 1M" -c "write -P 0x14 30M 2M" base.qcow2 >/dev/null
qemu-img create -q -f qcow2 -o cluster_size=4096 -b base.qcow2 -F qcow2 top.qcow2 64M
qemu-io -f qcow2 -c "write -P 0x22 2M 64k" -c "write -z 1088k 64k" \
	-c "write -P 0x23 40M 192k" -c "write -z 31M 64k" top.qcow2 >/dev/null

# the cells qemu-img says hold data (64 KiB each; every write is aligned)
qemu-img map --output=json top.qcow2 |
	jq -r '.[] | select(.data) | "\(.start) \(.length)"' |
	awk '{ for (c = $1 / 65536; c < ($1 + $2) / 65536; c++) print c }' |
	sort -n >want
[ "$(wc -l <want)" -gt 40 ] || fail "qemu-img map: too few data cells: $(wc -l <want)"

# the cells --map does not draw blank, in the first disk's rows
"$DA" --map --width 64 --height 16 top.qcow2 >map.txt
head -1 map.txt | grep -q '1 cell = 64 KiB' || fail "--map: not 64 KiB a cell: $(head -1 map.txt)"
sed -n '2,17p' map.txt | awk '{ for (i = 1; i <= 64; i++) if (substr($0, i, 1) != " " && substr($0, i, 1) != "") print (NR - 1) * 64 + i - 1 }' |
	sort -n >got
diff want got >&2 || fail "cells with data: --map (>) and qemu-img map (<) differ"
echo "ok: $(wc -l <got) cells with data, the other $((1024 - $(wc -l <got))) holes, as qemu-img map"
