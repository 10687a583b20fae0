#!/bin/sh
# Build lvm-gpt.img(.xz): a GPT disk whose one partition is an LVM2 PV of
# VG "atlas" with three LVs:
#   data  ext4, in two segments that are not adjacent on the PV
#         (created, then "logs" after it, then extended)
#   logs  FAT
#   swap  Linux swap
# Device-mapper is not needed: the LVs are created without activation and
# their contents are made in files and copied to their extents with dd.
# Beside it: lvm-gpt.lvs.json, lvm-gpt.pvs.json (lvs/pvs reports) and
# lvm-gpt.vg (vgcfgbackup), loop devices written as DISK@OFFSET.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=lvm-gpt
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
img="$LT/$name.img"
truncate -s 96M "$img"
sgdisk --disk-guid=22222222-3333-4444-8555-666666666666 \
	-n 1:2048:+88M -t 1:8e00 -c 1:"lvm pv" -u 1:B0000000-0000-4000-8000-000000000001 \
	"$img" >/dev/null
pv=$(loop_attach "$img" $((2048 * 512)) $((88 * 1024 * 1024)))
L pvcreate -u pvGptA-0000-1111-2222-3333-4444-555555 --norestorefile "$pv"
L vgcreate -s 1M atlas "$pv"
L lvcreate -an -Zn -L 8M -n data atlas
L lvcreate -an -Zn -L 6M -n logs atlas
L lvcreate -an -Zn -L 4M -n swap atlas
L lvextend -L 20M atlas/data

# the contents, made in files of the LVs' sizes
mkdir -p "$LT/tree/etc" "$LT/tree/docs/notes" "$LT/tree/bin"
echo "atlas" >"$LT/tree/etc/hostname"
printf 'line %s\n' $(seq 1 400) >"$LT/tree/docs/lines.txt"
head -c 40000 /dev/urandom >"$LT/tree/bin/blob"
for i in 1 2 3 4 5 6; do
	printf 'note %s\n' "$i" >"$LT/tree/docs/notes/n$i.txt"
done
truncate -s 20M "$LT/data.fs"
mkfs.ext4 -q -F -L data -U 5a5a5a5a-0000-4000-8000-000000000001 \
	-E root_owner=0:0 -d "$LT/tree" "$LT/data.fs"
truncate -s 6M "$LT/logs.fs"
mkfs.fat -n LOGS -i 1234abcd "$LT/logs.fs" >/dev/null
echo "first log" >"$LT/log1.txt"
mcopy -i "$LT/logs.fs" "$LT/log1.txt" ::/LOG1.TXT
truncate -s 4M "$LT/swap.fs"
mkswap -L swap -U 5a5a5a5a-0000-4000-8000-000000000002 "$LT/swap.fs" >/dev/null 2>&1
lv_write atlas/data "$LT/data.fs"
lv_write atlas/logs "$LT/logs.fs"
lv_write atlas/swap "$LT/swap.fs"

lvm_truth "$name"
sync
cp --sparse=always "$img" "$name.img"
rm -f "$name.img.xz"
xz -9 -T1 -k "$name.img"
