#!/bin/sh
# Build gpt-damaged.img(.xz): gpt-five with its primary GPT header
# damaged (bytes overwritten inside LBA 1, so its CRC fails); the backup
# header at the last LBA is intact.
set -eu
cd "$(dirname "$0")"
out=gpt-damaged.img
rm -f "$out" "$out.xz"
sh ./gpt-five.sh "$out"
printf 'DAMAGED!' | dd of="$out" bs=1 seek=$((512 + 40)) conv=notrunc status=none
xz -9 -T1 -k "$out"
