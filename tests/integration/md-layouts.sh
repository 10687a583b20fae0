#!/bin/sh
# Every level and layout md writes, on members made here by mdraid.py
# from random bytes: mdadm --examine accepts each member (checksum
# correct, same level, layout and role as diskatlas), and --cat of the
# assembled array gives back the bytes the array was made from: linear,
# RAID0 over equal and unequal members (both zone layouts), RAID1 under
# 1.0/1.1/1.2/0.90, RAID10 near/far/offset over even and odd member
# counts, with three copies, near+far and far sets, RAID4, RAID5 in its
# six layouts, RAID6 (left-symmetric, left-asymmetric, left-symmetric-6),
# and a 0.90 array written by a big-endian host (mdadm here cannot read
# one: diskatlas must read it as it reads the same array in little
# endian); the redundant levels also without one member (RAID10 reads
# the other copy, RAID4/5/6 rebuild from P; md-raid6.sh leaves out two).
. "$(dirname "$0")/../lib.sh"
requires jq mdadm python3
head -c 24M /dev/urandom >"$T/data"
n=0
# run NAME VOLUME "SIZES" ARGS...: build, examine, assemble, compare
run() {
	name=$1 vol=$2 sizes=$3; shift 3
	files="" i=0
	for s in $sizes; do
		truncate -s "$s" "$T/$name$i.img"
		files="$files $T/$name$i.img"
		i=$((i + 1))
	done
	python3 "$IMAGES/mdraid.py" --data "$T/data" --uuid 0123456789abcdef0011223344556677 \
		--name "test:$name" "$@" $files || fail "$name: mdraid.py"
	"$DA" --list --json $files >"$T/list.json" || fail "$name: --list"
	i=0
	for f in $files; do
		if [ "${endian:-}" != big ]; then
			mdadm --examine "$f" >"$T/ex" 2>&1 || fail "$name: mdadm --examine $f"
			grep -q 'Checksum : .* - correct' "$T/ex" || fail "$name: $f: checksum not correct"
			check_eq "$name$i level" "$(sed -n 's/^ *Raid Level : //p' "$T/ex")" \
				"$(jq -r ".disks[$i].content.level" "$T/list.json")"
			lay=$(sed -n 's/^ *Layout : //p' "$T/ex")
			[ -z "$lay" ] || check_eq "$name$i layout" "$lay" "$(jq -r ".disks[$i].content.layout" "$T/list.json")"
			role=$(sed -n 's/^ *Device Role : Active device //p' "$T/ex")
			[ -n "$role" ] || role=$(awk '$1 == "this" { print $5 }' "$T/ex")
			check_eq "$name$i role" "$role" "$(jq -r ".disks[$i].content.role" "$T/list.json")"
		fi
		i=$((i + 1))
	done
	size=$(jq -r --arg v "$vol" '.volumes[] | select(.name == $v) | .size' "$T/list.json")
	[ -n "$size" ] && [ "$size" -gt 0 ] || fail "$name: no array $vol: $(jq -c '.volumes' "$T/list.json")"
	check_eq "$name state" "$(jq -r --arg v "$vol" '.volumes[] | select(.name == $v) | .state' "$T/list.json")" clean
	"$DA" --cat "$vol:0+$size" $files >"$T/out" || fail "$name: --cat"
	cmp -s -n "$size" "$T/out" "$T/data" || fail "$name: the array's bytes differ from what it was made of"
	# without member $without: degraded, and the same bytes
	if [ -n "${without:-}" ]; then
		set --
		i=0
		for f in $files; do [ $i = "$without" ] || set -- "$@" "$f"; i=$((i + 1)); done
		"$DA" --list --json "$@" >"$T/list.json"
		check_eq "$name without member $without" \
			"$(jq -r --arg v "$vol" '.volumes[] | select(.name == $v) | .state' "$T/list.json")" degraded
		"$DA" --cat "$vol:0+$size" "$@" >"$T/out" || fail "$name without member $without: --cat"
		cmp -s -n "$size" "$T/out" "$T/data" || fail "$name without member $without: the bytes differ"
		echo "ok: $name without member $without"
	fi
	without="" endian=""
	rm -f $files
	n=$((n + 1))
}
run linear linear "4M 6M 3M" --level -1 --chunk 0
run raid0 raid0 "4M 4M 4M" --level 0 --chunk 65536
run raid0-zones raid0-zones "4M 6M 8M" --level 0 --chunk 65536 --layout 2
run raid0-orig raid0-orig "4M 6M 8M 6M" --level 0 --chunk 32768 --layout 1
run raid1-10 raid1-10 "4M 4M" --level 1 --chunk 0 --metadata 1.0
run raid1-11 raid1-11 "4M 4M 4M" --level 1 --chunk 0 --metadata 1.1 --bitmap
run raid1-12 raid1-12 "4M 4M" --level 1 --chunk 0 --metadata 1.2
run raid1-090 md0 "4M 4M" --level 1 --chunk 65536 --metadata 0.90
run raid0-090 md5 "4M 4M" --level 0 --chunk 65536 --metadata 0.90 --md-minor 5
without=1 run raid10-n2 raid10-n2 "4M 4M 4M 4M" --level 10 --layout 258 --chunk 65536
run raid10-n2-odd raid10-n2-odd "4M 4M 4M" --level 10 --layout 258 --chunk 65536
run raid10-f2 raid10-f2 "4M 4M 4M 4M" --level 10 --layout 513 --chunk 65536
without=2 run raid10-f2-odd raid10-f2-odd "4M 4M 4M" --level 10 --layout 513 --chunk 65536
without=0 run raid10-o2 raid10-o2 "4M 4M 4M" --level 10 --layout $((0x10201)) --chunk 65536
run raid10-n3 raid10-n3 "4M 4M 4M 4M 4M" --level 10 --layout 259 --chunk 65536
# far and offset with three copies, near and far together, and far sets
# (layout bits 17-18: 1 the set of n/far members, 2 of near*far, the last
# set taking the remainder), as the kernel's raid10.c maps them
without=1 run raid10-f3 raid10-f3 "4M 4M 4M 4M" --level 10 --layout $((0x301)) --chunk 65536
run raid10-f3-odd raid10-f3-odd "4M 4M 4M 4M 4M" --level 10 --layout $((0x301)) --chunk 65536
without=2 run raid10-o3 raid10-o3 "4M 4M 4M 4M" --level 10 --layout $((0x10301)) --chunk 65536
without=4 run raid10-n2f2 raid10-n2f2 "4M 4M 4M 4M 4M" --level 10 --layout $((0x202)) --chunk 65536
without=3 run raid10-n2o2 raid10-n2o2 "4M 4M 4M 4M" --level 10 --layout $((0x10202)) --chunk 65536
without=4 run raid10-f2-sets raid10-f2-sets "4M 4M 4M 4M 4M" --level 10 --layout $((0x40201)) --chunk 65536
without=1 run raid10-f2-sets1 raid10-f2-sets1 "4M 4M 4M 4M 4M" --level 10 --layout $((0x20201)) --chunk 65536
without=0 run raid10-o2-sets raid10-o2-sets "4M 4M 4M 4M 4M" --level 10 --layout $((0x50201)) --chunk 65536
run raid10-f3-sets raid10-f3-sets "4M 4M 4M 4M 4M 4M 4M" --level 10 --layout $((0x40301)) --chunk 65536
without=1 run raid4 raid4 "4M 4M 4M" --level 4 --layout 5 --chunk 65536
for l in 0 1 2 3 4 5; do
	without=$((l % 4)) run raid5-$l raid5-$l "4M 4M 4M 4M" --level 5 --layout $l --chunk 65536
done
without=3 run raid6 raid6 "4M 4M 4M 4M 4M" --level 6 --layout 2 --chunk 131072
without=0 run raid6-la raid6-la "4M 4M 4M 4M 4M 4M" --level 6 --layout 0 --chunk 65536
without=4 run raid6-ls6 raid6-ls6 "4M 4M 4M 4M 4M" --level 6 --layout 18 --chunk 65536
endian=big run raid5-090-be md0 "4M 4M 4M" --level 5 --layout 2 --chunk 65536 --metadata 0.90 --endian big
check_eq "big-endian byte order" "$(jq -r '.disks[0].content.byte_order' "$T/list.json")" big
echo "md-layouts: $n arrays"
