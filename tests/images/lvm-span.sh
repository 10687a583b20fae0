#!/bin/sh
# Build lvm-span-a.img(.xz) and lvm-span-b.img(.xz): one VG "span" over two
# disks, with an LV "big" (ext4) that starts on the first disk and ends on
# the second, and a small LV "tail" on the second.  The first disk has an
# MBR partition (type 8e) for its PV, the second is a PV as a whole with
# no metadata area of its own (--metadatacopies 0: only the first PV's
# metadata says what it holds).
# Beside them: lvm-span.lvs.json, lvm-span.pvs.json, lvm-span.vg, with loop
# devices written as DISK@OFFSET.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=lvm-span
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
a="$LT/$name-a.img"; b="$LT/$name-b.img"
truncate -s 32M "$a" "$b"
echo 'label: dos
label-id: 0x5a5a0001
start=2048, type=8e' | sfdisk -q "$a"
pva=$(loop_attach "$a" $((2048 * 512)) $((32 * 1024 * 1024 - 2048 * 512)))
pvb=$(loop_attach "$b")
L pvcreate -u spanAA-0000-1111-2222-3333-4444-555555 --norestorefile "$pva"
L pvcreate --metadatacopies 0 -u spanBB-0000-1111-2222-3333-4444-555555 --norestorefile "$pvb"
L vgcreate -s 2M span "$pva" "$pvb"
# all of the first PV and some of the second
L lvcreate -an -Zn -l 15 -n big span "$pva"
L lvextend -l +8 span/big "$pvb"
L lvcreate -an -Zn -l 2 -n tail span "$pvb"

mkdir -p "$LT/tree/a/b" "$LT/tree/c"
for i in $(seq 1 20); do printf 'file %s\n' "$i" >"$LT/tree/a/f$i"; done
seq 1 100000 >"$LT/tree/a/b/numbers"
head -c 30000 /dev/urandom >"$LT/tree/c/random"
truncate -s $((23 * 2))M "$LT/big.fs"
mkfs.ext4 -q -F -L big -U 5a5a5a5a-0000-4000-8000-000000000011 \
	-E root_owner=0:0 -d "$LT/tree" "$LT/big.fs"
lv_write span/big "$LT/big.fs"

lvm_truth "$name"
sync
for d in a b; do
	cp --sparse=always "$LT/$name-$d.img" "$name-$d.img"
	rm -f "$name-$d.img.xz"
	xz -9 -T1 -k "$name-$d.img"
done
