#!/bin/sh
# Build tests/images/xfs-extra.img(.xz): an XFS v5 (mkfs.xfs defaults:
# sparse inodes, finobt, reflink) whose log is external (another file, not
# kept: diskatlas sees the data device alone), filled through a loop
# mount: inode chunks made sparse by allocating inodes after the free
# space was cut into 4-block holes.  (No realtime device: the kernel here
# mounts none.)
set -eu
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "xfs-extra: needs root for loop devices" >&2; exit 1; }
img=xfs-extra.img
W=$(mktemp -d)
mnt="$W/mnt"; mkdir "$mnt"
logd=""
cleanup() {
	umount "$mnt" 2>/dev/null || true
	[ -z "$logd" ] || losetup -d "$logd"
	rm -rf "$W"
}
trap cleanup EXIT
rm -f "$img" "$img.xz"
truncate -s 24M "$img"
truncate -s 8M "$W/log"
logd=$(losetup -f --show "$W/log")
TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f -L xfs-extra \
	-d agcount=1 -l logdev="$logd",size=8m "$img"
mount -o loop,logdev="$logd" "$img" "$mnt"
# fill the data device with 16 KiB files, free every other one, then
# make inodes: chunks that fit only as sparse chunks
mkdir "$mnt/fill" "$mnt/inodes"
i=0
while head -c 16384 /dev/zero | tr '\0' 'f' >"$mnt/fill/$i" 2>/dev/null; do i=$((i + 1)); done
rm -f "$mnt/fill/$i"
k=0; while [ $k -lt $i ]; do rm -f "$mnt/fill/$k"; k=$((k + 2)); done
j=0; while [ $j -lt 3000 ] && touch "$mnt/inodes/$j" 2>/dev/null; do j=$((j + 1)); done
printf 'kept\n' >"$mnt/inodes/kept"
umount "$mnt"
xfs_db -r -c 'agi 0' -c 'p' "$img" | grep -E '^(count|freecount)' || true
xz -9 -k -T1 "$img"
ls -ls "$img" "$img.xz"
