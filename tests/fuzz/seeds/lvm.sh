#!/bin/sh
# Seeds for the LVM2 plugin, made by the LVM tools on loop devices without
# device-mapper (tests/images/lvm-env.sh: a private configuration that
# sees only our own loop devices): a 4 MiB GPT disk holding two small PVs
# (one with two metadata areas, 64 KiB extents) of one VG, with a linear
# LV in two segments across both PVs holding a FAT, a striped LV, and a
# hole where an LV was removed (lvm-two-pvs); then copies of it put
# together from the disk at other moments:
#  lvm-missing-pv   the second PV wiped: partial LVs;
#  lvm-old-mda      the first PV's second metadata area from just after
#                   vgcreate (an older seqno than its first);
#  lvm-reduced      the first PV after vgreduce of the second, which still
#                   holds the older metadata naming itself.
# Needs root (loop devices); writes nothing otherwise.
# Usage: sh tests/fuzz/seeds/lvm.sh DIR   (writes DIR/lvm-*)
set -eu
out=$(cd "$1" && pwd)
[ "$(id -u)" -eq 0 ] || exit 0
for t in lvm losetup sfdisk mkfs.fat; do
	command -v "$t" >/dev/null 2>&1 || exit 0
done
cd "$(dirname "$0")/../../images"
. ./lvm-env.sh
lvm_begin
img=$LT/disk
truncate -s 4M "$img"
printf 'label: gpt\nsize=3700\nsize=3700\n' | sfdisk -q "$img" >/dev/null
# partition N's byte offset and size
slice() { sfdisk -d "$img" | awk -F'[=,]' -v n="$1" '/start=/ && ++k == n {
	printf "%d %d", $2 * 512, $4 * 512 }'; }
set -- $(slice 1)
o1=$1 n1=$2
set -- $(slice 2)
o2=$1 n2=$2
pv1=$(loop_attach "$img" "$o1" "$n1") || exit 0
pv2=$(loop_attach "$img" "$o2" "$n2") || exit 0
# PVs under LVM's 2 MiB minimum, their extents from 128 KiB
sed -i 's/^devices {/devices {\n\tpv_min_size = 512/' "$LT/etc/lvm.conf"
L pvcreate --norestorefile --pvmetadatacopies 2 --metadatasize 64k --dataalignment 64k \
	-u fzpvAA-0000-1111-2222-3333-4444-555555 "$pv1"
L pvcreate --norestorefile --metadatasize 64k --dataalignment 64k \
	-u fzpvBB-0000-1111-2222-3333-4444-555555 "$pv2"
L vgcreate -s 64k fz "$pv1" "$pv2"
cp "$img" "$LT/at-create"
L lvcreate -an -Zn -l 3 -n a fz "$pv1"
L lvcreate -an -Zn -l 2 -n gap fz "$pv1"
L lvcreate -an -Zn -l 3 -n b fz "$pv1"
L lvextend -l +2 fz/a "$pv2"
L lvremove -f fz/gap
L lvcreate -an -Zn -i 2 -I 64k -l 4 -n s fz
mkfs.fat -C "$LT/fat" 320 >/dev/null
seq 1 9000 >"$LT/numbers"
command -v mcopy >/dev/null 2>&1 && mcopy -i "$LT/fat" "$LT/numbers" ::numbers.txt
lv_write fz/a "$LT/fat"
sync
cp "$img" "$out/lvm-two-pvs"
cp "$img" "$LT/full"
dd if=/dev/zero of="$out/lvm-two-pvs" bs=512 seek=$((o2 / 512)) count=$((n2 / 512)) \
	conv=notrunc status=none
mv "$out/lvm-two-pvs" "$out/lvm-missing-pv"
cp "$LT/full" "$out/lvm-two-pvs"
# the first PV's second metadata area (its last 128 KiB) from vgcreate
cp "$LT/full" "$LT/old"
dd if="$LT/at-create" of="$LT/old" bs=512 skip=$(((o1 + n1) / 512 - 256)) \
	seek=$(((o1 + n1) / 512 - 256)) count=256 conv=notrunc status=none
cp "$LT/old" "$out/lvm-old-mda"
# the second PV taken out of the VG; the first PV from then, the second
# from before
L lvremove -f fz/s
L lvreduce -f -l 3 fz/a
L vgreduce fz "$pv2"
sync
cp "$LT/full" "$LT/reduced"
dd if="$img" of="$LT/reduced" bs=512 skip=$((o1 / 512)) seek=$((o1 / 512)) \
	count=$((n1 / 512)) conv=notrunc status=none
cp "$LT/reduced" "$out/lvm-reduced"
