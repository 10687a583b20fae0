#!/bin/sh
# md arrays assembled from the test images' members, checked with the
# tools that read what they hold: --cat of each array (whole, and with a
# member missing) passes e2fsck -fn or fsck.fat -n, dumpe2fs agrees on the
# filesystem, debugfs's blocks/icheck/ncheck on the extracted array agree
# with --lookup inside it, a byte's disk location holds the array's byte,
# and each chunk a member calls parity is the XOR of the others.
. "$(dirname "$0")/../lib.sh"
requires jq xz e2fsck dumpe2fs debugfs fsck.fat mtype
n=0
vol() { jq -r --arg v "$1" ".volumes[] | select(.name == \$v) | $2" "$T/list.json"; }

# ext_check NAME ARRAYFILE DISKS...: the ext4 inside, down to the file
ext_check() {
	name=$1 arr=$2; shift 2
	e2fsck -fn "$arr" >"$T/fsck" 2>&1 || fail "$name: e2fsck -fn: $(tail -5 "$T/fsck")"
	dumpe2fs -h "$arr" >"$T/dump" 2>/dev/null || fail "$name: dumpe2fs"
	d() { sed -n "s/^$1: *//p" "$T/dump"; }
	check_eq "$name uuid" "$(vol "$name" .content.uuid)" "$(d 'Filesystem UUID')"
	check_eq "$name blocks" "$(vol "$name" .content.blocks)" "$(d 'Block count')"
	bs=$(d 'Block size')
	for path in $(debugfs -R "ls -p /" "$arr" 2>/dev/null | awk -F/ '$6 != "." && $6 != ".." && $6 != "lost+found" && $6 != "" { print $6 }' | head -4); do
		[ -n "$(debugfs -R "stat /$path" "$arr" 2>/dev/null | grep -i 'type: directory')" ] && {
			sub=$(debugfs -R "ls -p /$path" "$arr" 2>/dev/null | awk -F/ '$6 ~ /txt$/ { print $6 }' | tail -1)
			path="$path/$sub"
		}
		blk=$(debugfs -R "blocks /$path" "$arr" 2>/dev/null | awk '{ print $NF }')
		[ -n "$blk" ] || fail "$name: debugfs gives no block for /$path"
		ino=$(debugfs -R "icheck $blk" "$arr" 2>/dev/null | awk 'NR == 2 { print $2 }')
		npath=$(debugfs -R "ncheck $ino" "$arr" 2>/dev/null | awk 'NR == 2 { print $2 }')
		"$DA" --lookup "$name:$((blk * bs))" --json "$@" >"$T/lk" || fail "$name: --lookup $name:$((blk * bs))"
		check_eq "$name /$path inode" "$(jq -r '.owners[-1].inode' "$T/lk")" "$ino"
		check_eq "$name /$path path" "$(jq -r '.owners[-1].path' "$T/lk")" "/${npath#/}"
		check_eq "$name /$path block" "$(jq -r '.owners[-1].block' "$T/lk")" "$blk"
		# the disk byte the lookup names holds the array's byte
		disk=$(jq -r .disk "$T/lk"); off=$(jq -r .offset "$T/lk")
		for f in "$@"; do [ "$(basename "$f")" = "$disk" ] && df=$f; done
		check_eq "$name /$path bytes on $disk" \
			"$(dd if="$df" bs=1 skip="$off" count=64 status=none | od -An -tx1)" \
			"$(dd if="$arr" bs=1 skip=$((blk * bs)) count=64 status=none | od -An -tx1)"
		n=$((n + 1))
	done
}

# --- RAID5 over three disks ---
a=$(image md-raid5-a); b=$(image md-raid5-b); c=$(image md-raid5-c)
"$DA" --list --json "$a" "$b" "$c" >"$T/list.json"
check_eq "raid5 volume" "$(vol data '"\(.kind) \(.level) \(.layout) \(.chunk_size) \(.state) \(.size)"')" \
	"md_array raid5 left-symmetric 65536 clean $((22 << 20))"
"$DA" --cat data:0+22M "$a" "$b" "$c" >"$T/r5.img" || fail "--cat data"
ext_check data "$T/r5.img" "$a" "$b" "$c"
# parity: a chunk md-raid5-a calls parity is the XOR of the other two
# a byte of the array names where its stripe's parity is: another member,
# the same row, and there the XOR of the stripe's data
po=$(( $(debugfs -R "blocks /numbers.txt" "$T/r5.img" 2>/dev/null | awk '{ print $1 }') * 1024 ))
"$DA" --lookup data:$po --json "$a" "$b" "$c" >"$T/lk"
set -- $(jq -r '.disk as $d | .offset as $o | .owners[] | select(.kind == "md_array") |
	"\($d) \($o) \(.parity | length) \(.parity[0].which) \(.parity[0].disk) \(.parity[0].offset)"' "$T/lk")
[ "$3 $4" = "1 P" ] || fail "no parity named for data:$po: $(cat "$T/lk")"
[ "$1" != "$5" ] && [ "$2" = "$6" ] || fail "parity of data:$po at $5 @ $6, data at $1 @ $2"
x=$(python3 -c "
import sys
d, o, p = sys.argv[1], int(sys.argv[2]), sys.argv[3]
third = [f for f in sys.argv[4:] if not f.endswith('/' + d) and not f.endswith('/' + p)][0]
r = lambda f: open(f if '/' in f else [g for g in sys.argv[4:] if g.endswith('/' + f)][0], 'rb').read()[o:o + 4096]
print(bytes(x ^ y for x, y in zip(r(d), r(third))) == r(p) and any(r(d)))" "$1" "$2" "$5" "$a" "$b" "$c")
check_eq "parity of data:$po (/numbers.txt) is the XOR of its stripe" "$x" True
test "$("$DA" --lookup data:$po "$a" "$b" "$c" | grep -c "^ *parity: P on $5 @ $6$")" = 1 ||
	fail "the text lookup does not name the parity: $("$DA" --lookup data:$po "$a" "$b" "$c")"
n=$((n + 1))
# every chunk of md-raid5-a's data area
k=0; : >"$T/where"
while [ $k -lt 176 ]; do echo "md-raid5-a.img:$(((1 << 20) + k * 65536))" >>"$T/where"; k=$((k + 1)); done
"$DA" --lookup - --json "$a" "$b" "$c" <"$T/where" >"$T/lks"
jq -r 'select(.owners[-1].role == "parity") | .offset' "$T/lks" >"$T/parity"
# left-symmetric over 3: the first member holds the parity of stripes 2, 5, 8...
check_eq "parity chunks on md-raid5-a" "$(wc -l <"$T/parity")" 58
x=$(python3 -c "
import sys
offs = [int(l) for l in open(sys.argv[1])]
m = [open(f, 'rb').read() for f in sys.argv[2:]]
bad = [o for o in offs if bytes(p ^ q for p, q in zip(m[1][o:o + 65536], m[2][o:o + 65536])) != m[0][o:o + 65536]]
print(len(bad), sum(1 for o in offs if any(m[0][o:o + 65536])) > 0)" "$T/parity" "$a" "$b" "$c")
check_eq "parity chunks that are not the XOR of the others (and some not zero)" "$x" "0 True"
n=$((n + 1))
# blocks across the array that debugfs icheck gives to an inode: with a
# member missing, their owners inside the array are still known
bs=$(dumpe2fs -h "$T/r5.img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
nb=$(dumpe2fs -h "$T/r5.img" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }')
debugfs -R "icheck $(awk -v n="$nb" 'BEGIN { for (b = 7; b < n; b += 37) printf "%d ", b }')" "$T/r5.img" 2>/dev/null |
	awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $2 }' >"$T/icheck"
[ "$(wc -l <"$T/icheck")" -gt 50 ] || fail "icheck gives too few file blocks in the RAID5's ext4"
awk -v bs="$bs" '{ printf "data:%d\n", $1 * bs }' "$T/icheck" >"$T/fileblocks"
# any one member missing: degraded, the same bytes (rebuilt by XOR)
for miss in a b c; do
	set --
	for d in a b c; do [ $d = $miss ] || set -- "$@" "$T/md-raid5-$d.img"; done
	"$DA" --list --json "$@" >"$T/list.json"
	check_eq "raid5 without $miss" "$(vol data '"\(.state) \(.degraded)"')" "degraded true"
	"$DA" --cat data:0+22M "$@" >"$T/deg.img" || fail "--cat data without $miss"
	cmp -s "$T/deg.img" "$T/r5.img" || fail "raid5 without $miss: bytes differ"
	# every file block answered with icheck's inode; those whose chunk
	# was on the missing member name no disk, only the array's space
	"$DA" --lookup - --json "$@" <"$T/fileblocks" >"$T/lks" || fail "raid5 without $miss: --lookup -"
	jq -r '"\(.owners[-1].inode) \(.on_no_disk // false) \(.disk // .space)"' "$T/lks" >"$T/got"
	check_eq "raid5 without $miss: file blocks whose inode is icheck's" \
		"$(cut -d' ' -f2 "$T/icheck" | paste -d' ' - "$T/got" | awk '$1 == $2 { k++ } END { print k + 0 }')" \
		"$(wc -l <"$T/icheck")"
	on_none=$(awk '$2 == "true" && $3 == "data" { k++ } END { print k + 0 }' "$T/got")
	[ "$on_none" -gt 10 ] || fail "raid5 without $miss: only $on_none file blocks on the missing member"
	check_eq "raid5 without $miss: answers on no disk" "$on_none" \
		"$(awk '$2 == "true" { k++ } END { print k + 0 }' "$T/got")"
	# the range form says the same of one such block
	b=$(cut -d' ' -f1 "$T/icheck" | paste -d' ' - "$T/got" | awk '$3 == "true" { print $1; exit }')
	"$DA" --lookup "data:$((b * bs))+$bs" --json "$@" >"$T/rg" || fail "raid5 without $miss: range lookup"
	check_eq "raid5 without $miss: range on the missing member" \
		"$(jq -r '"\(.unmapped) \(.files[0].inode)"' "$T/rg")" \
		"$bs $(awk -v b="$b" '$1 == b { print $2 }' "$T/icheck")"
	n=$((n + 1))
done
# two missing: failed, and --cat says so in one line
"$DA" --list --json "$a" >"$T/list.json"
check_eq "raid5 with one member" "$(vol data .state)" failed
"$DA" --cat data:0+22M "$a" >/dev/null 2>"$T/err" && fail "--cat of a failed array succeeded"
check_eq "failed --cat message lines" "$(wc -l <"$T/err")" 1

# --- RAID1 holding LVM holding ext4 ---
a=$(image md-raid1-lvm-a); b=$(image md-raid1-lvm-b)
"$DA" --list --json "$a" "$b" >"$T/list.json"
check_eq "raid1 volume" "$(vol pv '"\(.kind) \(.level) \(.state) \(.content.type)"')" "md_array raid1 clean lvm2_pv"
pvs="$IMAGES/md-raid1-lvm.pvs.json"
check_eq "PV on the array" "$(vol pv '"\(.content.uuid) \(.content.pe_start) \(.content.pe_count)"')" \
	"$(jq -r '.report[0].pv[0] | "\(.pv_uuid) \(.pe_start | rtrimstr("B")) \(.pv_pe_count)"' "$pvs")"
size=$(vol mdraid_vg/root .size)
check_eq "LV root size" "$size" "$(jq -r '[.report[0].seg[] | select(.lv_name == "root")][0].lv_size | rtrimstr("B")' "$IMAGES/md-raid1-lvm.lvs.json")"
"$DA" --cat "mdraid_vg/root:0+$size" "$a" "$b" >"$T/root.img" || fail "--cat mdraid_vg/root"
ext_check mdraid_vg/root "$T/root.img" "$a" "$b"
# a byte of the LV lives on both halves
"$DA" --lookup mdraid_vg/root:4096 "$a" "$b" | grep -q "2 copies: md-raid1-lvm-a.img @ [0-9]*, md-raid1-lvm-b.img @ " ||
	fail "no copies listed for a RAID1 byte: $("$DA" --lookup mdraid_vg/root:4096 "$a" "$b")"
for only in "$a" "$b"; do
	"$DA" --list --json "$only" >"$T/list.json"
	check_eq "raid1 from $(basename "$only")" "$(vol pv '"\(.state) \(.degraded)"')" "degraded true"
	"$DA" --cat "mdraid_vg/root:0+$size" "$only" >"$T/one.img" || fail "--cat of the degraded RAID1"
	cmp -s "$T/one.img" "$T/root.img" || fail "degraded RAID1 from $(basename "$only"): bytes differ"
	n=$((n + 1))
done

# --- 0.90 RAID1: each half looks like a bare ext4 ---
a=$(image md-090-a); b=$(image md-090-b)
"$DA" --list --json "$a" "$b" >"$T/list.json"
check_eq "0.90 members" "$(jq -r '[.disks[].content.type] | join(" ")' "$T/list.json")" "md_member md_member"
size=$(vol md3 .size)
check_eq "0.90 array" "$(vol md3 '"\(.level) \(.metadata_version) \(.state)"')" "raid1 0.90 clean"
"$DA" --cat "md3:0+$size" "$a" "$b" >"$T/md3.img" || fail "--cat md3"
ext_check md3 "$T/md3.img" "$a" "$b"

# --- the mirrored ESP on md 1.0 ---
a=$(image md-esp-a); b=$(image md-esp-b)
"$DA" --list --json "$a" "$b" >"$T/list.json"
check_eq "ESP halves" "$(jq -r '[.disks[].content.partitions[0].content.type] | join(" ")' "$T/list.json")" "md_member md_member"
size=$(vol esp .size)
check_eq "ESP array" "$(vol esp '"\(.level) \(.metadata_version) \(.content.fstype)"')" "raid1 1.0 fat32"
"$DA" --cat "esp:0+$size" "$a" "$b" >"$T/esp.img" || fail "--cat esp"
fsck.fat -n "$T/esp.img" >"$T/fsck" 2>&1 || fail "fsck.fat -n: $(cat "$T/fsck")"
MTOOLS_SKIP_CHECK=1 mtype -i "$T/esp.img" ::/EFI/debian/grub.cfg >"$T/grub.cfg"
check_eq "grub.cfg from the array" "$(md5sum <"$T/grub.cfg")" \
	"$(awk 'BEGIN { for (i = 0; i < 3000; i++) printf "grub config line %d\n", i }' | md5sum)"
# the superblock's own sector is the md superblock, not FAT's
so=$(jq -r '.disks[0].content.partitions[0].content.super_offset' "$T/list.json")
st=$(jq -r '.disks[0].content.partitions[0].start' "$T/list.json")
"$DA" --lookup "md-esp-a.img:$((st + so))" --json "$a" "$b" >"$T/lk"
check_eq "ESP superblock owner" "$(jq -r '.owners[-1] | "\(.kind) \(.role)"' "$T/lk")" "md_member superblock"
n=$((n + 4))
echo "md-arrays: $n checks"
