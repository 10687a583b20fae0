#!/bin/sh
# Build lvm-raid1-a.img(.xz) and lvm-raid1-b.img(.xz): VG "mirrored" over
# two disks (a GPT partition on the first, the whole second disk), with
# "both", a raid1 LV whose two images (one on each disk) hold the same
# ext4, and "solo", a linear LV on the first disk.
# lvm cannot create a raid1 LV without device-mapper, so the builder makes
# plain LVs where the images and their metadata sub-LVs go, and rewrites
# the VG's metadata into raid1 form with vgcfgrestore, which checks it.
# The rmeta sub-LVs stay zeroed (dm-raid would write its superblock there).
# Beside them: lvm-raid1.lvs.json, .pvs.json, .vg, with loop devices
# written as DISK@OFFSET.
set -eu
cd "$(dirname "$0")"
. ./lvm-env.sh
name=lvm-raid1
[ "$(id -u)" -eq 0 ] || { echo "$name: needs root for loop devices" >&2; exit 1; }
lvm_begin
a="$LT/$name-a.img"; b="$LT/$name-b.img"
truncate -s 40M "$a"; truncate -s 32M "$b"
sgdisk --disk-guid=33333333-4444-4555-8666-777777777777 \
	-n 1:2048:+36M -t 1:8e00 -c 1:"mirror half" -u 1:D0000000-0000-4000-8000-000000000001 \
	"$a" >/dev/null
pva=$(loop_attach "$a" $((2048 * 512)) $((36 * 1024 * 1024)))
pvb=$(loop_attach "$b")
L pvcreate -u mirrAA-0000-1111-2222-3333-4444-555555 --norestorefile "$pva"
L pvcreate -u mirrBB-0000-1111-2222-3333-4444-555555 --norestorefile "$pvb"
L vgcreate -s 1M mirrored "$pva" "$pvb"
# names with _rmeta/_rimage are reserved: placeholders, renamed below
L lvcreate -an -Zn -l 2 -n solo mirrored "$pva"
L lvcreate -an -Zn -l 1 -n xmeta0 mirrored "$pva"
L lvcreate -an -Zn -l 12 -n ximage0 mirrored "$pva"
L lvcreate -an -Zn -l 1 -n xmeta1 mirrored "$pvb"
L lvcreate -an -Zn -l 12 -n ximage1 mirrored "$pvb"
R vgcfgbackup -f "$LT/plain.vg" mirrored >/dev/null
awk '
	/^\t\tx(meta|image)[01] \{/ { sub(/xmeta/, "both_rmeta_"); sub(/ximage/, "both_rimage_"); sub_lv = 1 }
	sub_lv && /status = / { sub(/, "VISIBLE"/, "") }
	/^\t\t}/ { sub_lv = 0 }
	{ print }
	/^\tlogical_volumes \{/ {
		print "\t\tboth {"
		print "\t\t\tid = \"mirrCC-0000-1111-2222-3333-4444-555555\""
		print "\t\t\tstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]"
		print "\t\t\tflags = []"
		print "\t\t\tsegment_count = 1"
		print "\t\t\tsegment1 {"
		print "\t\t\t\tstart_extent = 0"
		print "\t\t\t\textent_count = 12"
		print "\t\t\t\ttype = \"raid1\""
		print "\t\t\t\tdevice_count = 2"
		print "\t\t\t\tregion_size = 1024"
		print "\t\t\t\traids = [\"both_rmeta_0\", \"both_rimage_0\", \"both_rmeta_1\", \"both_rimage_1\"]"
		print "\t\t\t}"
		print "\t\t}"
	}' "$LT/plain.vg" >"$LT/raid1.vg"
L vgcfgrestore -f "$LT/raid1.vg" mirrored

mkdir -p "$LT/tree/docs/old" "$LT/tree/bin"
for i in $(seq 1 25); do printf 'copy %s\n' "$i" >"$LT/tree/docs/c$i"; done
seq 1 60000 >"$LT/tree/docs/old/numbers"
head -c 40000 /dev/urandom >"$LT/tree/bin/blob"
truncate -s 12M "$LT/both.fs"
mkfs.ext4 -q -F -L both -U 5a5a5a5a-0000-4000-8000-000000000031 \
	-E root_owner=0:0 -d "$LT/tree" "$LT/both.fs"
lv_write mirrored/both_rimage_0 "$LT/both.fs"
lv_write mirrored/both_rimage_1 "$LT/both.fs"

lvm_truth "$name"
sync
for d in a b; do
	cp --sparse=always "$LT/$name-$d.img" "$name-$d.img"
	rm -f "$name-$d.img.xz"
	xz -9 -T1 -k "$name-$d.img"
done
