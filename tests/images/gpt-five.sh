#!/bin/sh
# Build gpt-five.img(.xz): a GPT disk with five named partitions of
# common types, gaps between them and free space at the end.  Made with
# sgdisk; gpt-damaged.sh damages a copy.
set -eu
cd "$(dirname "$0")"
out=${1:-gpt-five.img}
rm -f "$out" "$out.xz"
truncate -s 48M "$out"
sgdisk --disk-guid=11111111-2222-4333-8444-555555555555 \
	-n 1:2048:+4M   -t 1:ef00 -c 1:"EFI system" -u 1:A0000000-0000-4000-8000-000000000001 \
	-n 2:12288:+8M  -t 2:8300 -c 2:"root" -u 2:A0000000-0000-4000-8000-000000000002 \
	-n 3:30720:+4M  -t 3:8200 -c 3:"swap space" -u 3:A0000000-0000-4000-8000-000000000003 \
	-n 4:40960:+12M -t 4:8e00 -c 4:"lvm pv" -u 4:A0000000-0000-4000-8000-000000000004 \
	-n 5:69632:+6M  -t 5:0700 -c 5:"Données" -u 5:A0000000-0000-4000-8000-000000000005 \
	-A 2:set:2 "$out" >/dev/null
[ "$out" = gpt-five.img ] && xz -9 -T1 -k "$out"
true
