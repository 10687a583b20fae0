#!/bin/sh
# Hostile md superblocks, made here from a good three-member RAID5 (1.2)
# by patching fields with mdraid.py patch (the checksum fixed unless the
# case is a wrong checksum): each is named in a warning on its member,
# the member is left out, the array assembles from the rest (degraded,
# with the same bytes) or not at all, and nothing crashes.  Also: a spare,
# an IMSM and a DDF container, a 1.0 member with a wrong checksum that
# carries a FAT (still an md member, never the FAT), RAID10 layouts the
# kernel refuses (far sets version 3, more copies than members).
. "$(dirname "$0")/../lib.sh"
requires jq python3 mkfs.fat
P="$IMAGES/mdraid.py"
head -c 8M /dev/urandom >"$T/data"
n=0
fresh() {
	for i in 0 1 2 3; do rm -f "$T/m$i"; truncate -s 4M "$T/m$i"; done
	python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344556677 --name t:r5 \
		--level 5 --layout 2 --chunk 65536 "$T/m0" "$T/m1" "$T/m2" || fail "mdraid.py"
}
fresh
"$DA" --cat r5:0+6M "$T/m0" "$T/m1" "$T/m2" >"$T/good" || fail "--cat of the good array"
cmp -s -n $((6 << 20)) "$T/good" "$T/data" || fail "the good array's bytes"
# case NAME MEMBER WARNING STATE PATCH...: patch member MEMBER's superblock
case_() {
	name=$1 mem=$2 want=$3 state=$4; shift 4
	fresh
	python3 "$P" patch "$T/m$mem" 4096 "$@" || fail "$name: patch"
	"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" >"$T/list.json" 2>"$T/err" ||
		fail "$name: --list failed: $(cat "$T/err")"
	jq -r ".disks[$mem].content.warnings[]?" "$T/list.json" | grep -q "$want" ||
		fail "$name: no warning '$want' on m$mem: $(jq -c ".disks[$mem].content.warnings" "$T/list.json")"
	got=$(jq -r '.volumes[] | select(.name == "r5") | .state' "$T/list.json")
	check_eq "$name: array state" "${got:-none}" "$state"
	if [ "$state" = degraded ]; then
		"$DA" --cat r5:0+6M "$T/m0" "$T/m1" "$T/m2" >"$T/out" || fail "$name: --cat"
		cmp -s "$T/out" "$T/good" || fail "$name: the degraded array's bytes differ"
	fi
	n=$((n + 1))
}
case_ "wrong checksum" 1 "checksum is wrong" degraded 32:B:0x41 --keep-csum
case_ "level disagrees" 2 "disagrees with .* on the RAID level" degraded 72:i:6
case_ "members disagree" 2 "disagrees with .* on the number of members" degraded 92:I:4
case_ "chunk disagrees" 0 "disagrees with .* on the chunk size" degraded 88:I:256
case_ "role out of range" 0 "device role out of range" degraded 256:H:7
case_ "role twice" 1 "role 0 is already" degraded 258:H:0
case_ "out of date" 2 "out of date" degraded 200:Q:5
case_ "data past the end" 1 "data area runs past the end" degraded 128:Q:0x10000000000
case_ "absurd max_dev" 1 "checksum is wrong" degraded 220:I:0xffffffff --keep-csum
case_ "no members" 0 "raid_disks out of range" degraded 92:I:0
case_ "huge raid_disks" 0 "raid_disks out of range" degraded 92:I:0xffffffff
case_ "chunk not a power of 2" 0 "chunk size is not a power of 2" degraded 88:I:129
case_ "component past data" 0 "component size is larger" degraded 80:Q:0xffffffffff
case_ "unknown level" 0 "unknown RAID level" degraded 72:i:42
case_ "reshape" 0 "reshape" degraded 8:I:4
# two members bad: RAID5 cannot give the data
fresh
python3 "$P" patch "$T/m0" 4096 72:i:42
python3 "$P" patch "$T/m1" 4096 92:I:0
"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" >"$T/list.json" || fail "two bad members: --list"
check_eq "two bad members" "$(jq -r '.volumes[] | select(.name == "r5") | .state' "$T/list.json")" failed
# a truncated member: its data area runs past the file
fresh
truncate -s 2M "$T/m2"
"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" >"$T/list.json" || fail "truncated member: --list"
jq -r '.disks[2].content.warnings[]?' "$T/list.json" | grep -q "runs past the end" || fail "truncated member not named"
# a spare is named
fresh
python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344556677 --name t:r5 \
	--level 5 --layout 2 --chunk 65536 "$T/m0" "$T/m1" "$T/m2" "$T/m3=spare"
"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" "$T/m3" >"$T/list.json"
check_eq "spare" "$(jq -r '.volumes[] | select(.name == "r5") | "\(.state) \(.spares | join(","))"' "$T/list.json")" "clean m3"
check_eq "spare's role" "$(jq -r '.disks[3].content.role' "$T/list.json")" spare
# containers named by their anchors
truncate -s 1M "$T/imsm" "$T/ddf"
printf 'Intel Raid ISM Cfg Sig. 1.0.00' | dd of="$T/imsm" bs=1 seek=$(((1 << 20) - 1024)) conv=notrunc status=none
printf '\336\021\336\021' | dd of="$T/ddf" bs=1 seek=$(((1 << 20) - 512)) conv=notrunc status=none
"$DA" --list --json "$T/imsm" "$T/ddf" >"$T/list.json"
check_eq "IMSM" "$(jq -r '.disks[0].content | "\(.type) \(.metadata)"' "$T/list.json")" "md_member imsm"
check_eq "DDF" "$(jq -r '.disks[1].content | "\(.type) \(.metadata)"' "$T/list.json")" "md_member ddf"
# a 1.0 member with a wrong checksum that carries a FAT
truncate -s 0 "$T/esp"; truncate -s 8M "$T/esp"
mkfs.fat -F 12 "$T/esp" >/dev/null
python3 "$P" --data /dev/null --uuid 0123456789abcdef0011223344556677 --level 1 --chunk 0 \
	--metadata 1.0 "$T/esp"
so=$(((8 * 2048 - 16) / 8 * 8 * 512))
python3 "$P" patch "$T/esp" "$so" 32:B:0x41 --keep-csum
"$DA" --list --json "$T/esp" >"$T/list.json"
check_eq "damaged 1.0 over a FAT" "$(jq -r '.disks[0].content.type' "$T/list.json")" md_member
# RAID10 with far sets of a version the kernel does not know (layout bits
# 17-18 = 3), on every member: named on each, no array
for i in 0 1 2 3; do rm -f "$T/m$i"; truncate -s 4M "$T/m$i"; done
python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344556677 --name t:r10 \
	--level 10 --layout $((0x40201)) --chunk 65536 "$T/m0" "$T/m1" "$T/m2" "$T/m3"
for i in 0 1 2 3; do python3 "$P" patch "$T/m$i" 4096 76:I:$((0x60201)); done
"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" "$T/m3" >"$T/list.json" || fail "far sets 3: --list"
jq -r '.disks[0].content.warnings[]?' "$T/list.json" | grep -q "unsupported raid geometry (level 10, layout 393729" ||
	fail "far sets 3: not named: $(jq -c '.disks[0].content.warnings' "$T/list.json")"
check_eq "far sets 3: volumes" "$(jq '.volumes | length' "$T/list.json")" 0
# RAID10 with more copies than members
for i in 0 1 2 3; do python3 "$P" patch "$T/m$i" 4096 76:I:$((0x202 + 0x100)); done
"$DA" --list --json "$T/m0" "$T/m1" "$T/m2" "$T/m3" >"$T/list.json" || fail "6 copies on 4: --list"
jq -r '.disks[0].content.warnings[]?' "$T/list.json" | grep -q "unsupported raid geometry" ||
	fail "6 copies on 4: not named: $(jq -c '.disks[0].content.warnings' "$T/list.json")"
n=$((n + 8))
echo "md-damage: $n cases"
