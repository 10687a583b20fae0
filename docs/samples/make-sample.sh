#!/bin/sh
# Build docs/samples/sample.img(.xz), the demo disk: a 256 MiB GPT disk
# (sparse) with every layer diskatlas knows:
#   p1  EFI system partition, FAT32, a few files (mtools)
#   p2  Linux root, ext4, a few hundred files of varied sizes
#   p3  Linux swap
#   p4  LVM2 PV of VG "vault": LV "data" (ext4, in two segments apart on
#       the PV) and LV "swap"
# Made with the real tools (sgdisk, mkfs.fat, mtools, mkfs.ext4 -d, mkswap,
# lvm2 on loop devices without device-mapper, as tests/images/lvm-env.sh
# explains); needs root for the loop devices.
set -eu
cd "$(dirname "$0")"
here=$(pwd)
. "$here/../../tests/images/lvm-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "make-sample: needs root for loop devices" >&2; exit 1; }
lvm_begin
img="$LT/sample.img"
MiB=1048576
truncate -s 256M "$img"
sgdisk --disk-guid=D15CA7A5-0000-4000-8000-000000000000 \
	-n 1:2048:+64M  -t 1:ef00 -c 1:"EFI system" -u 1:D15CA7A5-0000-4000-8000-000000000001 \
	-n 2:0:+96M     -t 2:8304 -c 2:"root"       -u 2:D15CA7A5-0000-4000-8000-000000000002 \
	-n 3:0:+16M     -t 3:8200 -c 3:"swap"       -u 3:D15CA7A5-0000-4000-8000-000000000003 \
	-n 4:0:0        -t 4:8e00 -c 4:"vault"      -u 4:D15CA7A5-0000-4000-8000-000000000004 \
	"$img" >/dev/null
first() { sgdisk -i "$1" "$img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
last() { sgdisk -i "$1" "$img" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'; }
put() {   # put FILE PARTITION: copy a filesystem image into a partition
	dd if="$1" of="$img" bs=1M oflag=seek_bytes seek=$(($(first "$2") * 512)) \
		conv=notrunc,sparse status=none
}

# p1: the ESP
truncate -s 64M "$LT/esp.fs"
mkfs.fat -F 32 -s 1 -n ESP -i 5a5a0001 "$LT/esp.fs" >/dev/null
mmd -i "$LT/esp.fs" ::/EFI ::/EFI/BOOT ::/EFI/debian
printf 'MZ%s' "$(seq 1 20000 | tr -d '\n' | head -c 60000)" >"$LT/bootx64.efi"
mcopy -i "$LT/esp.fs" "$LT/bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
seq 1 3000 >"$LT/grub.cfg"
mcopy -i "$LT/esp.fs" "$LT/grub.cfg" ::/EFI/debian/grub.cfg
echo "sample disk" >"$LT/readme.txt"
mcopy -i "$LT/esp.fs" "$LT/readme.txt" ::/README.TXT
put "$LT/esp.fs" 1

# p2: a root filesystem with a few hundred files of varied sizes
r="$LT/root"
mkdir -p "$r/etc/default" "$r/usr/bin" "$r/usr/lib" "$r/usr/share/doc" \
	"$r/home/user/docs" "$r/home/user/photos" "$r/var/log" "$r/boot"
for d in $(seq 1 12); do mkdir -p "$r/usr/share/doc/pkg$d"; done
echo sample >"$r/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' >"$r/etc/passwd"
for i in $(seq 1 40); do printf 'option%s=yes\n' $(seq 1 "$i") >"$r/etc/default/conf$i"; done
for i in $(seq 1 60); do
	# programs: sizes from 2 KiB to about 120 KiB
	seq "$i" $((i * 700 + 400)) | head -c $((i * 2000)) >"$r/usr/bin/tool$i"
done
for i in $(seq 1 30); do seq 1 $((i * 900)) >"$r/usr/lib/lib$i.so"; done
for d in $(seq 1 12); do
	for i in $(seq 1 10); do
		printf 'Documentation %s of package %s\n' "$i" "$d" >"$r/usr/share/doc/pkg$d/README$i"
		seq "$d" "$((d * i * 10))" >>"$r/usr/share/doc/pkg$d/README$i"
	done
done
for i in $(seq 1 40); do
	printf 'Chapter %s\n' "$i" >"$r/home/user/docs/chapter$i.txt"
	yes "All work and no play makes a dull disk image, line $i." | head -n $((i * 40)) \
		>>"$r/home/user/docs/chapter$i.txt"
done
for i in 1 2 3 4; do head -c $((i * 24000)) /dev/urandom >"$r/home/user/photos/img$i.jpg"; done
for i in $(seq 1 20); do seq 1 $((i * 300)) | sed 's/^/log entry /' >"$r/var/log/app$i.log"; done
seq 1 50000 >"$r/boot/vmlinuz"
ln -s ../usr/bin/tool1 "$r/etc/tool-link"
ln "$r/usr/bin/tool2" "$r/usr/bin/tool2-hardlink"
truncate -s 96M "$LT/root.fs"
mkfs.ext4 -q -F -L root -U d15ca7a5-0000-4000-8000-0000000000e2 \
	-E root_owner=0:0 -d "$r" "$LT/root.fs"
put "$LT/root.fs" 2

# p3: swap
truncate -s 16M "$LT/swap.fs"
mkswap -L swap -U d15ca7a5-0000-4000-8000-0000000000e3 "$LT/swap.fs" >/dev/null 2>&1
put "$LT/swap.fs" 3

# p4: LVM: "data" made, then "swap" after it, then "data" extended
s4=$(first 4); e4=$(last 4)
pv=$(loop_attach "$img" $((s4 * 512)) $(((e4 - s4 + 1) * 512)))
L pvcreate -u vault0-0000-1111-2222-3333-4444-555555 --norestorefile "$pv"
L vgcreate -s 2M vault "$pv"
L lvcreate -an -Zn -L 24M -n data vault
L lvcreate -an -Zn -L 8M -n swap vault
L lvextend -L 40M vault/data
d="$LT/data"
mkdir -p "$d/projects/atlas" "$d/music" "$d/backup"
for i in $(seq 1 25); do seq 1 $((i * 500)) >"$d/projects/atlas/notes$i.txt"; done
head -c 64000 /dev/urandom >"$d/music/track1.ogg"
seq 1 400000 >"$d/backup/numbers.txt"
truncate -s 40M "$LT/data.fs"
mkfs.ext4 -q -F -L data -U d15ca7a5-0000-4000-8000-0000000000d1 \
	-E root_owner=0:0 -d "$d" "$LT/data.fs"
lv_write vault/data "$LT/data.fs"
truncate -s 8M "$LT/lvswap.fs"
mkswap -L lvswap -U d15ca7a5-0000-4000-8000-0000000000d2 "$LT/lvswap.fs" >/dev/null 2>&1
lv_write vault/swap "$LT/lvswap.fs"
sync

cp --sparse=always "$img" "$here/sample.img"
rm -f "$here/sample.img.xz"
xz -9 -T1 -k "$here/sample.img"
ls -l "$here/sample.img.xz"
