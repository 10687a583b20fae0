#!/bin/sh
# Build tests/images/gpt-4k.img(.xz): a 4K-native disk (4096-byte logical
# sectors) with a GPT made by sfdisk on a loop device of that sector size:
#   p1  8 MiB   EFI System: FAT12 with 4096-byte sectors (mkfs.fat -S 4096)
#   p2  12 MiB  Linux filesystem: ext4 with a few files (mkfs.ext4 -d)
#   p3  6 MiB   Linux swap
# and free space after p3.  sfdisk's own answer, read through the loop
# device, is kept as gpt-4k.sfdisk.json: on a plain file sfdisk reads
# 512-byte sectors and cannot see this table.  Needs root for losetup.
set -eu
cd "$(dirname "$0")"
OUT=gpt-4k.img
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8
W=$(mktemp -d)
LOOP=
cleanup() { [ -n "$LOOP" ] && losetup -d "$LOOP"; rm -rf "$W" "$OUT-t"; }
trap cleanup EXIT
rm -f "$OUT-t"
truncate -s 32M "$OUT-t"
LOOP=$(losetup -f --show -b 4096 "$OUT-t")
printf '%s\n' 'label: gpt' 'label-id: 4B000000-0000-4000-8000-000000000000' \
	'start=256, size=2048, type=U, name="ESP 4K", uuid=4B000000-0000-4000-8000-000000000001' \
	'start=2560, size=3072, type=L, name="root", uuid=4B000000-0000-4000-8000-000000000002' \
	'start=5888, size=1536, type=S, name="swap", uuid=4B000000-0000-4000-8000-000000000003' |
	sfdisk -q "$LOOP" 2>/dev/null || true   # re-reading a loop file's table fails
sfdisk --json "$LOOP" >"$W/sfdisk.json"
losetup -d "$LOOP"; LOOP=
jq -e '.partitiontable.sectorsize == 4096 and (.partitiontable.partitions | length) == 3' \
	"$W/sfdisk.json" >/dev/null || { echo "sfdisk did not make a 4K GPT" >&2; exit 1; }

# p1: FAT with 4 KiB logical sectors, at byte 1 MiB
text() { seq -f "line %06g of $2" 1 "$1"; }
# the block count is in KiB: 8 MiB, the whole partition
mkfs.fat -S 4096 -s 1 -n ESP4K -i 4B4B0001 --offset 256 "$OUT-t" 8192 >/dev/null
FAT="$OUT-t@@$((256 * 4096))"
mmd -i "$FAT" ::/EFI ::/EFI/BOOT
text 3000 boot >"$W/boot"; text 200 cfg >"$W/cfg"
mcopy -i "$FAT" "$W/boot" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$FAT" "$W/cfg" "::/a long config name.cfg"

# p2: ext4 from a tree, at byte 10 MiB
mkdir -p "$W/tree/etc" "$W/tree/home/user"
text 2000 hosts >"$W/tree/etc/hosts"
text 9000 notes >"$W/tree/home/user/notes.txt"
for i in 1 2 3 4 5; do text $((i * 400)) "f$i" >"$W/tree/home/user/file$i"; done
mkfs.ext4 -q -F -b 4096 -L root4k -U 4b000000-0000-4000-8000-0000000000e4 \
	-E offset=$((2560 * 4096)) -d "$W/tree" "$OUT-t" 3072

# p3: swap, made in a file and copied in place
truncate -s $((1536 * 4096)) "$W/swap"
mkswap -L swap4k -U 4b000000-0000-4000-8000-0000000000f3 "$W/swap" >/dev/null 2>&1
dd if="$W/swap" of="$OUT-t" bs=4096 seek=5888 conv=notrunc,sparse status=none

mv "$OUT-t" "$OUT"
jq . "$W/sfdisk.json" | sed 's|"device": "[^"]*"|"device": "gpt-4k.img"|; s|"node": "[^"]*\(p[0-9]*\)"|"node": "gpt-4k.img\1"|' >gpt-4k.sfdisk.json
rm -f "$OUT.xz"
xz -9 -T1 -k "$OUT"
