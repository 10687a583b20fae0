#!/bin/sh
# Build xfs-rhel.img(.xz): a disk laid out as RHEL, Rocky or Alma install
# it: GPT; an EFI system partition (FAT); /boot on XFS; an LVM2 PV of VG
# "xfs_rhel" with LVs "root" (XFS) and "swap".  Each XFS is made with
# mkfs.xfs's defaults (v5: CRCs, finobt, sparse inodes, reflink) where it
# lies, through a loop device over its bytes (-o/--sizelimit), and filled
# through a mount.  LVM runs without device-mapper (--driverloaded n).
# Beside it: xfs-rhel.lvs.json, .pvs.json, .vg (the LVM tools' reports).
# mkfs.xfs refuses filesystems under 300 MiB unless it runs under the XFS
# test suite's variables, set here to keep the image small.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=xfs-rhel
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
img="$LT/$name.img"
truncate -s 200M "$img"
sgdisk --disk-guid=7e1a7e1a-0000-4000-8000-000000000001 \
	-n 1:2048:+16M -t 1:ef00 -c 1:"EFI System Partition" \
	-n 2:0:+48M -t 2:8300 -c 2:"boot" \
	-n 3:0:0 -t 3:8e00 -c 3:"lvm" "$img" >/dev/null
part() { sfdisk --json "$img" | jq ".partitiontable.partitions[$1].$2"; }
mkxfs() {
	TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1 mkfs.xfs -q -f "$@"
}
mnt="$LT/mnt"; mkdir -p "$mnt"
# the ESP
mkfs.fat -F 16 -n ESP -i 7E1A0001 --offset "$(part 0 start)" "$img" $(($(part 0 size) / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
esp="$img@@$(($(part 0 start) * 512))"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/redhat
printf 'shim, not really\n' >"$LT/BOOTX64.EFI"
printf 'set root=(hd0,gpt2)\n' >"$LT/grub.cfg"
mcopy -i "$esp" "$LT/BOOTX64.EFI" ::/EFI/BOOT/
mcopy -i "$esp" "$LT/grub.cfg" ::/EFI/redhat/
# /boot
boot=$(loop_attach "$img" $(($(part 1 start) * 512)) $(($(part 1 size) * 512)))
mkxfs -L boot -m uuid=7e1a7e1a-0000-4000-8000-0000000000b0 "$boot"
mount "$boot" "$mnt"
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "vmlinuz-5.14.0 block %08d\n", i }' >"$mnt/vmlinuz-5.14.0-362.el9.x86_64"
awk 'BEGIN { for (i = 0; i < 90000; i++) printf "initramfs line %014d\n", i }' >"$mnt/initramfs-5.14.0-362.el9.x86_64.img"
mkdir -p "$mnt/grub2" "$mnt/loader/entries" "$mnt/efi"
printf 'set timeout=5\nblscfg\n' >"$mnt/grub2/grub.cfg"
printf 'GRUB_ENV=1\n' >"$mnt/grub2/grubenv"
printf 'title Red Hat Enterprise Linux\nlinux /vmlinuz-5.14.0-362.el9.x86_64\n' \
	>"$mnt/loader/entries/0123-5.14.0-362.el9.x86_64.conf"
ln -s vmlinuz-5.14.0-362.el9.x86_64 "$mnt/vmlinuz"
umount "$mnt"
# LVM: root and swap
pv=$(loop_attach "$img" $(($(part 2 start) * 512)) $(($(part 2 size) * 512)))
L pvcreate -u RhelPV-0000-1111-2222-3333-4444-555555 --norestorefile "$pv"
L vgcreate -s 4M xfs_rhel "$pv"
L lvcreate -an -Zn -L 16M -n swap xfs_rhel
L lvcreate -an -Zn -l 100%FREE -n root xfs_rhel
ext=$(R vgs --noheadings --nosuffix --units b -o vg_extent_size xfs_rhel | tr -d ' ')
pes=$(R pvs --noheadings --nosuffix --units b -o pe_start "$pv" | tr -d ' ')
lvoff() {   # byte offset of an LV (one segment) in the disk image
	pe=$(R lvs --noheadings -o seg_pe_ranges "xfs_rhel/$1" | tr -d ' ')
	pe=${pe#*:}; pe=${pe%%-*}
	echo $(($(part 2 start) * 512 + pes + pe * ext))
}
lvsize() { R lvs --noheadings --nosuffix --units b -o lv_size "xfs_rhel/$1" | tr -d ' '; }
swap=$(loop_attach "$img" "$(lvoff swap)" "$(lvsize swap)")
mkswap -L swap -U 7e1a7e1a-0000-4000-8000-0000000000f0 "$swap" >/dev/null
root=$(loop_attach "$img" "$(lvoff root)" "$(lvsize root)")
mkxfs -L root -m uuid=7e1a7e1a-0000-4000-8000-0000000000a0 "$root"
mount "$root" "$mnt"
. ./ext-tree.inc
tree "$mnt/usr/share/doc" 8 30
mkdir -p "$mnt/etc" "$mnt/home/alice" "$mnt/var/log"
printf 'rhel-like\n' >"$mnt/etc/hostname"
printf 'UUID=7e1a7e1a-0000-4000-8000-0000000000a0 / xfs defaults 0 0\n' >"$mnt/etc/fstab"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "messages line %020d\n", i }' >"$mnt/var/log/messages"
ln "$mnt/etc/hostname" "$mnt/home/alice/hostname-link"
ln -s ../usr/share/doc "$mnt/etc/docs"
umount "$mnt"
lvm_truth "$name"
sync
cp --sparse=always "$img" "$name.img"
rm -f "$name.img.xz"
xz -9 -T1 -k "$name.img"
ls -ls "$name.img" "$name.img.xz"
