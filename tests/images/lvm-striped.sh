#!/bin/sh
# Build lvm-striped.img(.xz): a GPT disk with two LVM2 PVs (partitions 1
# and 2) in VG "stripes", holding "fast", striped over both (-i2 -I64k)
# with an ext4 in it written chunk by chunk, and "plain", linear.
# Beside it: lvm-striped.lvs.json, .pvs.json and .vg, with loop devices
# written as DISK@OFFSET.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=lvm-striped
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
img="$LT/$name.img"
truncate -s 64M "$img"
sgdisk --disk-guid=22222222-3333-4444-8555-777777777777 \
	-n 1:2048:+28M -t 1:8e00 -c 1:"pv one" -u 1:C0000000-0000-4000-8000-000000000001 \
	-n 2:0:+28M -t 2:8e00 -c 2:"pv two" -u 2:C0000000-0000-4000-8000-000000000002 \
	"$img" >/dev/null
s2=$(sgdisk -i 2 "$img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
pv1=$(loop_attach "$img" $((2048 * 512)) $((28 * 1024 * 1024)))
pv2=$(loop_attach "$img" $((s2 * 512)) $((28 * 1024 * 1024)))
L pvcreate -u strpAA-0000-1111-2222-3333-4444-555555 --norestorefile "$pv1"
L pvcreate -u strpBB-0000-1111-2222-3333-4444-555555 --norestorefile "$pv2"
L vgcreate -s 1M stripes "$pv1" "$pv2"
L lvcreate -an -Zn -L 2M -n plain stripes "$pv2"
L lvcreate -an -Zn -i 2 -I 64k -L 16M -n fast stripes

mkdir -p "$LT/tree/x/y"
for i in $(seq 1 30); do seq "$i" 3000 >"$LT/tree/x/s$i"; done
head -c 20000 /dev/urandom >"$LT/tree/x/y/random"
truncate -s 16M "$LT/fast.fs"
mkfs.ext4 -q -F -L fast -U 5a5a5a5a-0000-4000-8000-000000000021 \
	-E root_owner=0:0 -d "$LT/tree" "$LT/fast.fs"
lv_write stripes/fast "$LT/fast.fs"

lvm_truth "$name"
sync
cp --sparse=always "$img" "$name.img"
rm -f "$name.img.xz"
xz -9 -T1 -k "$name.img"
