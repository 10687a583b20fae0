#!/bin/sh
# Build luks-ubuntu.img(.xz): a disk laid out as an encrypted Ubuntu
# install, before its encryption:
#   p1  EFI system partition (FAT)
#   p2  /boot (ext4: a kernel, an initrd, grub.cfg)
#   p3  the LVM2 PV of VG "luks-ubuntu-vg" with LVs "root" (ext4, files
#       under /etc, /home/user and /usr/share/doc) and "swap_1" (swap)
# p3's PV fills its first 32 MiB; the last 16 MiB are kept free so that
# the tests can encrypt p3 in place with `cryptsetup reencrypt --encrypt
# --reduce-device-size 16M` (LUKS2 at the head, the PV shifted behind it):
# encrypted data does not compress, so the committed image is the
# plaintext one.  Beside it: luks-ubuntu.lvs.json, .pvs.json, .vg.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=luks-ubuntu
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
img="$LT/$name.img"
truncate -s 80M "$img"
sgdisk --disk-guid=44444444-5555-4666-8777-888888888888 \
	-n 1:2048:+8M -t 1:ef00 -c 1:"EFI System Partition" -u 1:C0000000-0000-4000-8000-000000000001 \
	-n 2:0:+16M -t 2:8300 -c 2:"boot" -u 2:C0000000-0000-4000-8000-000000000002 \
	-n 3:0:+48M -t 3:8309 -c 3:"luks" -u 3:C0000000-0000-4000-8000-000000000003 \
	"$img" >/dev/null
start() { sfdisk --json "$img" | jq ".partitiontable.partitions[$1].start"; }
size() { sfdisk --json "$img" | jq ".partitiontable.partitions[$1].size"; }

# the ESP
mkfs.fat -n ESP -i 2468ACE0 --offset "$(start 0)" "$img" $(($(size 0) / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$img@@$(($(start 0) * 512))" ::/EFI ::/EFI/ubuntu
printf 'shim, not really\n' >"$LT/shimx64.efi"
mcopy -i "$img@@$(($(start 0) * 512))" "$LT/shimx64.efi" ::/EFI/ubuntu/

# /boot
mkdir -p "$LT/boot/grub"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "kernel image line %d\n", i }' >"$LT/boot/vmlinuz-6.8.0-generic"
awk 'BEGIN { for (i = 0; i < 9000; i++) printf "initrd line %d\n", i }' >"$LT/boot/initrd.img-6.8.0-generic"
printf 'menuentry "Ubuntu" {\n\tlinux /vmlinuz-6.8.0-generic root=/dev/mapper/luks--ubuntu--vg-root\n}\n' >"$LT/boot/grub/grub.cfg"
truncate -s $(($(size 1) * 512)) "$LT/boot.fs"
mkfs.ext4 -q -L boot -U 44444444-0000-4000-8000-000000000002 -E root_owner=0:0 -d "$LT/boot" "$LT/boot.fs"
dd if="$LT/boot.fs" of="$img" bs=512 seek="$(start 1)" conv=notrunc,sparse status=none

# the PV in p3's first 32 MiB
pv=$(loop_attach "$img" $(($(start 2) * 512)) $((32 * 1024 * 1024)))
L pvcreate -u luksPV-0000-1111-2222-3333-4444-555555 --norestorefile "$pv"
L vgcreate -s 1M luks-ubuntu-vg "$pv"
L lvcreate -an -Zn -L 24M -n root luks-ubuntu-vg
L lvcreate -an -Zn -L 4M -n swap_1 luks-ubuntu-vg
mkdir -p "$LT/root/etc" "$LT/root/home/user/notes" "$LT/root/usr/share/doc"
echo "ubuntu-luks" >"$LT/root/etc/hostname"
printf 'luks-ubuntu-vg-root / ext4 errors=remount-ro 0 1\n' >"$LT/root/etc/fstab"
printf 'dm_crypt-0 UUID=... none luks,discard\n' >"$LT/root/etc/crypttab"
awk 'BEGIN { for (i = 0; i < 6000; i++) printf "diary of a disk, line %d\n", i }' >"$LT/root/home/user/diary.txt"
for i in 1 2 3 4 5; do printf 'note %s\n' "$i" >"$LT/root/home/user/notes/n$i.txt"; done
awk 'BEGIN { for (i = 0; i < 30000; i++) printf "changelog entry %d\n", i }' >"$LT/root/usr/share/doc/changelog"
truncate -s 24M "$LT/root.fs"
mkfs.ext4 -q -L root -U 44444444-0000-4000-8000-000000000003 -E root_owner=0:0 -d "$LT/root" "$LT/root.fs"
truncate -s 4M "$LT/swap.fs"
mkswap -L swap -U 44444444-0000-4000-8000-000000000004 "$LT/swap.fs" >/dev/null 2>&1
lv_write luks-ubuntu-vg/root "$LT/root.fs"
lv_write luks-ubuntu-vg/swap_1 "$LT/swap.fs"

lvm_truth "$name"
sync
cp --sparse=always "$img" "$name.img"
rm -f "$name.img.xz"
xz -9 -T1 -k "$name.img"
rm -f "$name.img"
