#!/bin/sh
# make bench: performance figures beside their goals and baselines, in CPU
# time where the machine may be shared.  Prints numbers; asserts nothing.
# shellcheck disable=SC2046 # rus's "CPU PEAK" splits on purpose
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)
DA="$TOP/diskatlas"
T=$(mktemp -d "${TMPDIR:-/tmp}/da-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8

# the bench's own tools beyond make check's: TSK's ifind (sleuthkit) is a
# yardstick for lookups; the rest build and read the images
need=""
for c in ifind:sleuthkit sgdisk:gdisk debugfs:e2fsprogs jq:jq python3:python3; do
	command -v "${c%%:*}" >/dev/null 2>&1 || [ -x "/sbin/${c%%:*}" ] || need="$need ${c#*:}"
done
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ] && command -v apt-get >/dev/null 2>&1; then
	echo "bench: installing$need"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	# shellcheck disable=SC2086 # a list of packages
	$SUDO apt-get install -y -q $need >/dev/null 2>&1 ||
		echo "bench: could not install$need; the figures that need them are skipped"
fi

# the performance goals on ext4 images from 1 GiB to 64 TiB
sh tests/bench/ext4.sh

# shellcheck disable=SC2216 # cp reads /dev/stdin as a file, keeping holes
img() { xz -dc "tests/images/$1.img.xz" | cp --sparse=always /dev/stdin "$T/$1.img"; echo "$T/$1.img"; }
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
# "CPU-SECONDS PEAK-KIB" of a command (user + system, from rusage); rus -i
# gives it a file as standard input
rus() { "$TOP/build/bench/rus" "$@" || echo "- -"; }

echo "== lookups: --lookup - --json, one million random offsets (CPU time)"
if [ -f tests/images/lvm-gpt.img.xz ]; then
	i=$(img lvm-gpt)
	size=$(stat -c %s "$i")
	awk -v n=1000000 -v size="$size" 'BEGIN { srand(7); for (k = 0; k < n; k++) printf "%d\n", int(rand() * size) }' >"$T/offsets"
	head -1 "$T/offsets" >"$T/one"
	base=$(rus -i "$T/one" "$DA" --lookup - --json "$i")
	all=$(rus -i "$T/offsets" "$DA" --lookup - --json "$i")
	echo "${base% *} $all" | awk '{ r = 1000000 / ($2 - $1); printf "  lvm-gpt: 1000000 answers in %.3f s CPU (start-up and build %.3f s): %.0f lookups/s, peak %d KiB  [goal: 1,000,000 lookups/s]\n", $2, $1, r, $3 }'
else
	echo "  skipped: tests/images/lvm-gpt.img.xz is missing"
fi

echo "== build: scan + ownership + file index, beside debugfs icheck of 1000 blocks (CPU time)"
if [ -f tests/images/gpt-esp-ext4.img.xz ]; then
	i=$(img gpt-esp-ext4)
	# the ext4 partition: the largest Linux filesystem partition sfdisk sees
	start=0 size=0
	eval "$(sfdisk --json "$i" | jq -r '.partitiontable.partitions | map(select(.type == "0FC63DAF-8483-4772-8E79-3D69D8477DE4")) | max_by(.size) | "start=\(.start) size=\(.size)"')"
	off=$((start * 512))
	echo "$off" >"$T/one"
	set -- $(rus -n 5 -i "$T/one" "$DA" --lookup - "$i")
	echo "  diskatlas scan+index: $1 s, peak $2 KiB"
	blocks=$(dumpe2fs -h "$i?offset=$off" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }')
	list=$(awk -v n=1000 -v b="$blocks" 'BEGIN { srand(3); for (k = 0; k < n; k++) printf "%d ", int(rand() * b) }')
	set -- $(rus -n 5 debugfs -R "icheck $list" "$i?offset=$off" 2>/dev/null)
	echo "  debugfs icheck (1000 blocks): $1 s  [baseline]"
else
	echo "  skipped: tests/images/gpt-esp-ext4.img.xz is missing"
fi

echo "== images: scan + index (--list) and 100,000 lookups, raw vs qcow2 vs vmdk of the same disk (CPU time)"
if [ -f tests/images/gpt-esp-ext4.img.xz ] && command -v qemu-img >/dev/null 2>&1; then
	i=$(img gpt-esp-ext4)
	qemu-img convert -O qcow2 "$i" "$T/disk.qcow2"
	qemu-img convert -c -O qcow2 "$i" "$T/disk-zlib.qcow2"
	qemu-img convert -O vmdk "$i" "$T/disk.vmdk"
	size=$(stat -c %s "$i")
	awk -v n=100000 -v size="$size" 'BEGIN { srand(11); for (k = 0; k < n; k++) printf "%d\n", int(rand() * size) }' >"$T/img-offsets"
	for f in "$i" "$T/disk.qcow2" "$T/disk-zlib.qcow2" "$T/disk.vmdk"; do
		set -- $(rus "$DA" --list "$f") $(rus -i "$T/img-offsets" "$DA" --lookup - "$f")
		printf "  %-16s --list %s s (peak %s KiB); 100k lookups %s s (peak %s KiB)\n" \
			"$(basename "$f")" "$1" "$2" "$3" "$4"
	done
else
	echo "  skipped: tests/images/gpt-esp-ext4.img.xz or qemu-img is missing"
fi

echo "== NTFS beside ext4: 50,000 files (100 directories of 500), scan + file index"
# the same tree in both: ext4 from mkfs.ext4 -d, NTFS written by ntfs-3g
# (FUSE) on a fresh mkntfs; the figure is one --lookup (scan, ownership,
# every file indexed)
tree50k() {
	awk -v root="$1" 'BEGIN {
		for (d = 0; d < 100; d++) {
			dir = sprintf("%s/d%03d", root, d)
			system("mkdir -p \"" dir "\"")
			for (i = 0; i < 500; i++) {
				f = sprintf("%s/f%05d.txt", dir, i)
				k = (i * 7 + d) % 30 + 1
				for (j = 0; j < k; j++)
					printf "file %d of dir %d line %d padding text\n", i, d, j > f
				close(f)
			}
		}
	}'
}
if command -v mkntfs >/dev/null 2>&1 && command -v ntfs-3g >/dev/null 2>&1 && [ -c /dev/fuse ] && [ "$(id -u)" -eq 0 ]; then
	truncate -s 256M "$T/ntfs50k.img"
	mkntfs -F -Q -q -L bench "$T/ntfs50k.img" >/dev/null 2>&1
	mkdir "$T/mnt"
	t0=$(now)
	if ntfs-3g "$T/ntfs50k.img" "$T/mnt"; then
		tree50k "$T/mnt"
		umount "$T/mnt"
		t1=$(now)
		echo "  (ntfs-3g wrote the tree in $(secs "$t0" "$t1") s)"
		echo 0 >"$T/one"
		"$DA" --lookup - "$T/ntfs50k.img" <"$T/one" >/dev/null
		t0=$(now); "$DA" --lookup - "$T/ntfs50k.img" <"$T/one" >/dev/null; t1=$(now)
		echo "  ntfs: scan+index $(secs "$t0" "$t1") s, peak $(peak_kib "$DA" --lookup - "$T/ntfs50k.img" <"$T/one") KiB"
		rm -f "$T/ntfs50k.img"
	else
		echo "  skipped: ntfs-3g cannot mount here"
	fi
	mkdir "$T/src50k"
	tree50k "$T/src50k"
	truncate -s 256M "$T/ext50k.img"
	mkfs.ext4 -q -d "$T/src50k" "$T/ext50k.img"
	rm -rf "$T/src50k"
	"$DA" --lookup - "$T/ext50k.img" <"$T/one" >/dev/null
	t0=$(now); "$DA" --lookup - "$T/ext50k.img" <"$T/one" >/dev/null; t1=$(now)
	echo "  ext4: scan+index $(secs "$t0" "$t1") s, peak $(peak_kib "$DA" --lookup - "$T/ext50k.img" <"$T/one") KiB  [baseline]"
	rm -f "$T/ext50k.img"
else
	echo "  skipped: needs mkntfs, ntfs-3g, /dev/fuse and root"
fi

if [ -f tests/bench/xfs.sh ]; then
	sh tests/bench/xfs.sh
fi

# Striped volumes keep an ownership index of their own address space (one
# claim a member on the disks, not a run a chunk): this row shows that
# their memory no longer grows with the array.
echo "== md RAID5 and RAID10 at scale: sparse members (tests/images/mdraid.py), empty arrays, CPU time  [goal: memory that does not grow with the disk]"
head -c 1048576 /dev/urandom >"$T/md-data"
echo 0 >"$T/one"
for size in 16G 256G 2T; do
	for k in 0 1 2; do rm -f "$T/md$k.img"; truncate -s "$size" "$T/md$k.img"; done
	if ! python3 tests/images/mdraid.py --data "$T/md-data" --uuid 0123456789abcdef0011223344556677 \
		--name bench:r5 --level 5 --layout 2 --chunk 524288 "$T/md0.img" "$T/md1.img" "$T/md2.img" 2>/dev/null; then
		echo "  skipped: mdraid.py could not write the members"
		break
	fi
	set -- $(rus "$DA" --list "$T/md0.img" "$T/md1.img" "$T/md2.img")
	list="--list $1 s, peak $2 KiB"
	if "$DA" --lookup - "$T/md0.img" "$T/md1.img" "$T/md2.img" <"$T/one" >/dev/null 2>"$T/md-err"; then
		set -- $(rus -i "$T/one" "$DA" --lookup - "$T/md0.img" "$T/md1.img" "$T/md2.img")
		look="one lookup $1 s, peak $2 KiB"
	else
		look="one lookup fails: $(head -1 "$T/md-err" | sed 's/^diskatlas: //')"
	fi
	printf '  3 x %-5s %s; %s\n' "$size" "$list" "$look"
done
rm -f "$T"/md?.img
# RAID10 (near 2, 64 KiB chunks) over four 2 TiB members: each array byte
# on two disks, 32 million chunks a member
for k in 0 1 2 3; do rm -f "$T/r$k.img"; truncate -s 2T "$T/r$k.img"; done
if python3 tests/images/mdraid.py --data "$T/md-data" --uuid 00112233445566778899aabbccddeeff \
	--name bench:r10 --level 10 --layout 258 --chunk 65536 "$T/r0.img" "$T/r1.img" "$T/r2.img" "$T/r3.img" 2>/dev/null; then
	set -- $(rus "$DA" --list "$T"/r?.img)
	list="--list $1 s, peak $2 KiB"
	set -- $(rus -i "$T/one" "$DA" --lookup - "$T"/r?.img)
	printf '  RAID10, 4 x 2T %s; one lookup %s s, peak %s KiB\n' "$list" "$1" "$2"
fi
rm -f "$T"/r?.img

echo "== FAT32, exFAT, NTFS and qcow2 at scale: empty or nearly, sparse, CPU time  [goal: memory that does not grow with the disk]"
# the FATs and the exFAT allocation bitmap are read a piece at a time and
# not kept (the explorer reads them, and NTFS's $Bitmap, after its first
# frame); an exFAT's FAT is read only as chains ask it; a qcow2's holes
# are an answer per empty L1 entry, and an overlay keeps its backing
# file's last answer
scale() { # LABEL FILE: --list and --map, CPU and peak
	set -- "$1" $(rus "$DA" --list "$2") $(rus "$DA" --map "$2")
	printf '  %-30s --list %s s, peak %s KiB; --map %s s, peak %s KiB\n' "$1" "$2" "$3" "$4" "$5"
}
# the explorer's first frame (as tests/bench/ext4.sh times it: the CPU
# of a 240x70 explorer up to its first screen, median of 5)
first_frame() { # LABEL FILE
	set -- "$1" $(rus -n 5 -t 900 -p 240x70 env TERM=xterm-256color DA_BENCH_FIRST_FRAME=1 \
		LD_PRELOAD="$TOP/build/bench/cpuclock.so" "$TOP/build/bench/diskatlas-ncshared" "$2")
	printf '  %-30s first frame %s s, peak %s KiB\n' "$1" "$2" "$3"
}
rm -f "$T/fat.img" && truncate -s 2047G "$T/fat.img"
if mkfs.fat -F 32 -s 64 "$T/fat.img" >/dev/null 2>&1; then
	scale "FAT32 2 TiB (256 MiB FAT)" "$T/fat.img"
	first_frame "FAT32 2 TiB" "$T/fat.img"
else
	echo "  FAT32: skipped: mkfs.fat could not make 2 TiB here"
fi
rm -f "$T/fat.img"
for size in 1T 8T; do
	rm -f "$T/exfat.img" && truncate -s "$size" "$T/exfat.img"
	if mkfs.exfat "$T/exfat.img" >/dev/null 2>&1; then
		scale "exFAT $size" "$T/exfat.img"
		if [ "$size" = 8T ]; then first_frame "exFAT 8T" "$T/exfat.img"; fi
	else
		echo "  exFAT $size: skipped: mkfs.exfat could not make it here"
	fi
done
rm -f "$T/exfat.img"
# NTFS's $Bitmap is read whole (used/free), a piece at a time: its CPU
# grows with the volume, its memory does not; the explorer reads it after
# its first frame (15 TiB: ext4 holds no file of 16)
rm -f "$T/ntfs.img"
if truncate -s 15T "$T/ntfs.img" 2>/dev/null && command -v mkntfs >/dev/null 2>&1 &&
	mkntfs -q -F -Q "$T/ntfs.img" >/dev/null 2>&1; then
	scale "NTFS 15 TiB (480 MiB \$Bitmap)" "$T/ntfs.img"
	first_frame "NTFS 15 TiB" "$T/ntfs.img"
else
	echo "  NTFS 15 TiB: skipped: no sparse file of 15 TiB, or mkntfs failed"
fi
rm -f "$T/ntfs.img"
if command -v qemu-img >/dev/null 2>&1 && command -v qemu-io >/dev/null 2>&1; then
	qemu-img create -q -f qcow2 "$T/q.qcow2" 64T
	scale "qcow2 64 TiB, empty" "$T/q.qcow2"
	qemu-img create -q -f qcow2 "$T/base.qcow2" 16G
	qemu-io -f qcow2 -c "write -P 0x11 2G 2M" -c "write -P 0x12 9G 64k" "$T/base.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -b "$T/base.qcow2" -F qcow2 "$T/top.qcow2" 16G
	qemu-io -f qcow2 -c "write -P 0x22 3G 64k" "$T/top.qcow2" >/dev/null
	scale "qcow2 16 GiB overlay" "$T/top.qcow2"
	rm -f "$T"/*.qcow2
else
	echo "  qcow2: skipped: qemu-img or qemu-io is missing"
fi
