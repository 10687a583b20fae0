#!/bin/sh
# Build md-raid1-lvm-{a,b}.img(.xz): two disks, whole, making an md RAID1
# (superblock 1.2, write-intent bitmap, data at 1 MiB) that is an LVM PV:
# VG "mdraid_vg" with "root", an ext4 with files, and "scratch", unused.
# The array is first made as a plain file: lvm (--driverloaded n, on a
# loop device) writes the PV and the VG there, the ext4 is made apart and
# copied into the LV's extents; then mdraid.py writes the superblocks as
# mdadm does and the array's bytes on both halves.  Beside them:
# md-raid1-lvm.lvs.json, .pvs.json, .vg (lvm's own reports).
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
. ./ext-tree.inc
name=md-raid1-lvm
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
for d in a b; do
	rm -f "$name-$d.img" "$name-$d.img.xz"
	truncate -s 24M "$name-$d.img"
done
# the array: 24 MiB less the 1 MiB before the data
truncate -s 23M "$LT/array"
pv=$(loop_attach "$LT/array")
L pvcreate -u mdrdPV-0000-1111-2222-3333-4444-555555 --norestorefile "$pv"
L vgcreate -s 1M mdraid_vg "$pv"
L lvcreate -an -Zn -l 16 -n root mdraid_vg
L lvcreate -an -Zn -l 2 -n scratch mdraid_vg
tree "$LT/src" 4 30
seq 1 30000 >"$LT/src/numbers.txt"
truncate -s 16M "$LT/root.fs"
mkfs.ext4 -q -F -b 1024 -L mdroot -U 5a5a5a5a-0000-4000-8000-0000000000d1 \
	-E root_owner=0:0 -d "$LT/src" "$LT/root.fs"
lv_write mdraid_vg/root "$LT/root.fs"
lvm_truth "$name"
# the PV is the array, not a file of the machine
sed -i "s/array@0/md-raid1-lvm-array/" "$name.lvs.json" "$name.pvs.json" "$name.vg"
sync
python3 mdraid.py --level 1 --chunk 0 --metadata 1.2 --bitmap \
	--uuid d1d1d1d1-0000-4000-8000-00000000a1a1 --name server:pv \
	--data "$LT/array" "$name-a.img" "$name-b.img"
for d in a b; do
	xz -9 -T1 -k "$name-$d.img"
	rm -f "$name-$d.img"
done
