#!/bin/sh
# Seeds for md arrays on one disk (the fuzz target takes one image): a
# GPT disk whose partitions are md members, written by mdraid.py.
#  md-raid6-degraded: a five-member RAID6 holding an ext4, with only
#    members 0, 2 and 4 present, so that every read of the array solves
#    lost chunks from P and Q;
#  md-raid10-farsets: a five-member RAID10 far 2 with far sets;
#  md-raid0-zones-N: RAID0 over three members of unequal sizes (strip
#    zones) in layout N (0: unset, read as the original; 2: alternate),
#    and beside it a RAID0 with a member missing;
#  md-linear: two linear arrays of unequal members, one missing a member,
#    whose names mdadm would not use (both become md0 and md1), and a
#    0.90 array with its minor number;
#  md-raid1-odd: a RAID1 whose name is the disk's, with a spare, a faulty
#    member, one out of date, one claiming a role already taken, one
#    that disagrees on the number of members, and an array of only a
#    faulty member.
# Usage: sh tests/fuzz/seeds/md.sh DIR   (writes DIR/md-*)
set -eu
out=$1
for t in python3 sfdisk mkfs.ext4; do command -v $t >/dev/null 2>&1 || exit 0; done
top=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# disk NAME [SECTORS...]: a 4 MiB GPT disk of partitions of those sizes
# (default: five of 640 KiB); their slices (PATH@OFFSET+SIZE) in $parts
disk() {
	d=$1
	shift
	[ $# -gt 0 ] || set -- 1280 1280 1280 1280 1280
	truncate -s 4M "$tmp/$d"
	{ echo 'label: gpt'
	  for s in "$@"; do echo "size=$s, type=A19D880F-05FC-4D3B-A006-743F0F84911E"; done
	} | sfdisk -q "$tmp/$d" >/dev/null
	parts=$(sfdisk -d "$tmp/$d" | awk -v f="$tmp/$d" -F'[=,]' '/start=/ {
		printf "%s@%d+%d ", f, $2 * 512, $4 * 512 }')
}
# part N: the Nth slice of $parts
part() { echo "$parts" | tr ' ' '\n' | sed -n "$1p"; }
md() {
	python3 "$top/tests/images/mdraid.py" --chunk 65536 --data-offset 65536 \
		--uuid 0123456789abcdef00112233445566ff --name seed:md "$@"
}
# md2 UUID-TAIL OPTIONS...: another array (its own UUID), 16 KiB chunks
md2() {
	u=$1
	shift
	python3 "$top/tests/images/mdraid.py" --chunk 16384 --data-offset 65536 \
		--uuid "0123456789abcdef0011223344${u}" "$@"
}
mkdir -p "$tmp/src"
seq 1 20000 >"$tmp/src/numbers.txt"
truncate -s 1728K "$tmp/fs"
mkfs.ext4 -q -F -b 1024 -d "$tmp/src" "$tmp/fs" 2>/dev/null
# RAID6: write all five members on scratch files, then copy 0, 2, 4 in
disk md-raid6-degraded
i=0 m=""
for p in $parts; do truncate -s 640K "$tmp/m$i"; m="$m $tmp/m$i"; i=$((i + 1)); done
md --level 6 --layout 2 --data "$tmp/fs" $m
i=0
for p in $parts; do
	off=${p#*@}; off=${off%+*}
	[ $((i % 2)) = 0 ] && dd if="$tmp/m$i" of="$tmp/md-raid6-degraded" bs=512 \
		seek=$((off / 512)) conv=notrunc status=none
	i=$((i + 1))
done
cp "$tmp/md-raid6-degraded" "$out/md-raid6-degraded"
disk md-raid10-farsets
head -c 4M /dev/urandom >"$tmp/data"
md --level 10 --layout $((0x40201)) --data "$tmp/data" $parts
cp "$tmp/md-raid10-farsets" "$out/md-raid10-farsets"

# RAID0 strip zones: members of 272, 512 and 768 KiB (so that the second
# zone starts at an odd chunk), and a second RAID0
# whose third member is not on the disk
head -c 2M /dev/urandom >"$tmp/rand"
for lay in 0 2; do
	disk md-raid0-zones-$lay 544 1024 1536 512 512
	md2 000001 --level 0 --layout $lay --name seed:zones --data "$tmp/rand" \
		$(part 1) $(part 2) $(part 3)
	truncate -s 256K "$tmp/gone"
	md2 000002 --level 0 --name seed:partial --data "$tmp/rand" \
		$(part 4) $(part 5) "$tmp/gone"
	cp "$tmp/md-raid0-zones-$lay" "$out/md-raid0-zones-$lay"
done

# linear arrays named so that mdadm's names do not apply, and a 0.90 one
disk md-linear 384 640 896 512 512 640 640
md2 000003 --level -1 --name 'seed:' --data "$tmp/rand" $(part 1) $(part 2) $(part 3)
truncate -s 256K "$tmp/gone"
md2 000004 --level -1 --name 'seed:a/b' --data "$tmp/rand" $(part 4) $(part 5) "$tmp/gone"
md2 000005 --level 1 --metadata 0.90 --md-minor 7 --data "$tmp/rand" $(part 6) $(part 7)
cp "$tmp/md-linear" "$out/md-linear"

# one RAID1 and the members that do not fit it
disk md-raid1-odd 512 512 512 512 512 512 512 512
for i in 1 2; do truncate -s 256K "$tmp/x$i"; done
md2 000006 --level 1 --name host:fuzz --events 20 --data "$tmp/rand" \
	$(part 1) $(part 2) "$(part 3)=spare" "$(part 4)=faulty"
md2 000006 --level 1 --name host:fuzz --events 5 --data "$tmp/rand" \
	"$(part 5)=1" "$tmp/x1=0"
md2 000006 --level 1 --name host:fuzz --events 20 --data "$tmp/rand" \
	"$(part 6)=0" "$tmp/x1=1"
md2 000006 --level 1 --name host:fuzz --events 20 --data "$tmp/rand" \
	"$(part 7)=2" "$tmp/x1=0" "$tmp/x2=1"
md2 000007 --level 1 --name host:lonely --data "$tmp/rand" \
	"$(part 8)=faulty" "$tmp/x1=0" "$tmp/x2=1"
cp "$tmp/md-raid1-odd" "$out/md-raid1-odd"

# every RAID5 and RAID6 layout md has, each with members missing so that
# reads solve lost chunks (RAID5: member 1; RAID6: members 1 and 3):
# md-raid5-layout-N, md-raid6-layout-N
for spec in 5:0 5:1 5:2 5:3 5:4 5:5 6:0 6:1 6:3 6:4 6:5 6:16 6:17 6:18 6:19 6:20; do
	lvl=${spec%:*} lay=${spec#*:}
	name=md-raid$lvl-layout-$lay
	disk "$name"
	i=0 m=""
	for p in $parts; do
		: >"$tmp/m$i"
		truncate -s 640K "$tmp/m$i"
		m="$m $tmp/m$i"
		i=$((i + 1))
	done
	md2 "$(printf '01%02x%02x' "$lvl" "$lay")" --level "$lvl" --layout "$lay" \
		--name seed:layouts --data "$tmp/rand" $m || continue
	i=0
	for p in $parts; do
		off=${p#*@}; off=${off%+*}
		case "$lvl:$i" in 5:1|6:1|6:3) ;; *)
			dd if="$tmp/m$i" of="$tmp/$name" bs=512 seek=$((off / 512)) \
				conv=notrunc status=none ;;
		esac
		i=$((i + 1))
	done
	cp "$tmp/$name" "$out/$name"
done
