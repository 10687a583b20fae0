#!/bin/sh
# Windows partitions named, not read: a GPT made by sgdisk with a
# Microsoft reserved partition (all zeros: reserved space, not empty), a
# basic data partition holding a BitLocker volume header, a recovery
# partition with the attributes Windows gives it (8000000000000001), a
# Storage Spaces member with its SPACEDB header, a BitLocker To Go volume
# (a FAT32 boot sector pointing to FVE metadata), LDM metadata.  The
# BitLocker headers are written by hand after libblkid's layout; blkid -p
# must call them BitLocker before we are asked.  Attributes and their
# names are checked against sgdisk -i N and sgdisk -A N:show.
. "$(dirname "$0")/../lib.sh"
requires jq sgdisk blkid mkfs.fat
img="$T/win.img"
truncate -s 120M "$img"
sgdisk -n1:2048:+16M -t1:0c01 -c1:"Microsoft reserved partition" \
	-n2:0:+16M -t2:0700 -c2:"Basic data partition" -A2:set:63 \
	-n3:0:+16M -t3:2700 -c3:"Recovery" -A3:set:0 -A3:set:63 \
	-n4:0:+16M -t4:4202 -c4:"Storage pool" \
	-n5:0:+34M -t5:0700 -c5:"BitLocker To Go" -A5:set:2 -A5:set:60 -A5:set:62 \
	-n6:0:+1M -t6:4201 -A6:set:1 "$img" >/dev/null
start() { sgdisk -i "$1" "$img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
# put OFFSET BYTES...: octal-escaped bytes at a byte offset
put() {
	o=$1; shift
	printf "$*" | dd of="$img" bs=1 seek="$o" conv=notrunc status=none
}
le64() { v=$1; s=""; for i in 0 1 2 3 4 5 6 7; do s="$s$(printf '\\%03o' $(((v >> (8 * i)) & 255)))"; done; printf "%s" "$s"; }
# p2: a BitLocker (Windows 7 and later) volume header, its FVE metadata
# block at 64 KiB
p2=$(($(start 2) * 512))
put $p2 '\353\130\220-FVE-FS-'
put $((p2 + 176)) "$(le64 65536)"
put $((p2 + 510)) '\125\252'
put $((p2 + 65536)) '\055FVE-FS-\060\000\002\000'
# p4: the SPACEDB header of a Storage Spaces pool member
p4=$(($(start 4) * 512))
put $p4 'SPACEDB \000\000'
put $((p4 + 4096)) 'SDBC    '
# p5: BitLocker To Go: a FAT32 boot sector (mkfs.fat) says MSWIN4.1 and
# points at byte 440 to FVE metadata
p5=$(($(start 5) * 512))
dd if=/dev/zero of="$T/togo" bs=1M count=34 status=none
mkfs.fat -F 32 "$T/togo" >/dev/null 2>&1
dd if="$T/togo" of="$img" bs=512 seek=$(start 5) conv=notrunc status=none
put $((p5 + 3)) 'MSWIN4.1'
put $((p5 + 440)) "$(le64 1048576)"
put $((p5 + 1048576)) '\055FVE-FS-\060\000\002\000'
for n in 2 5; do
	t=$(blkid -p -O $(($(start $n) * 512)) -o value -s TYPE "$img" 2>/dev/null || true)
	check_eq "blkid on p$n" "$t" BitLocker
done

j=$("$DA" --list --json "$img")
part() { echo "$j" | jq -r ".disks[0].content.partitions[] | select(.number == $1) | $2 // empty"; }
for n in 1 2 3 4 5 6; do
	want=$(sgdisk -i $n "$img" | sed -n 's/^Attribute flags: //p')
	[ "$want" = 0000000000000000 ] && want=""
	check_eq "p$n attributes (sgdisk -i)" "$(part $n .attributes)" "$want"
	# sgdisk's names of the set bits, in our words
	names=$(sgdisk -A $n:show "$img" | sed -n 's/^[0-9]*:[0-9]*:1 (\(.*\))$/\1/p' |
		sed 's/^system partition$/required/; s/^hide from EFI$/no_block_io/;
		     s/^legacy BIOS bootable$/legacy_bios_bootable/; s/^read-only$/read_only/;
		     s/^shadow copy$/shadow_copy/; s/^do not automount$/no_automount/' |
		paste -sd, -)
	check_eq "p$n attribute names (sgdisk -A show)" "$(part $n .attribute_names)" "$names"
	echo "p$n: attributes '$want' ($names)"
done
for n in 1 2 4 6; do
	want=$(sgdisk -i $n "$img" | sed -n 's/^Partition GUID code: [-0-9A-F]* (\(.*\))$/\1/p')
	check_eq "p$n type name (sgdisk)" "$(part $n .type_name)" "$want"
done
check_eq "p1 content" "$(part 1 '.content | "\(.type) \(.signature)"')" \
	"unknown Microsoft reserved partition"
r=$("$DA" --lookup $(($(start 1) * 512 + 8 * 1048576)) --json "$img" | jq -r '.owners[-1].role')
check_eq "a byte of the MSR" "$r" reserved
check_eq "p2 content" "$(part 2 .content.signature)" "BitLocker encrypted volume"
check_eq "p4 content" "$(part 4 .content.signature)" "Windows Storage Spaces pool member"
check_eq "p5 content (To Go is not read as FAT)" "$(part 5 '.content | "\(.type) \(.signature)"')" \
	"unknown BitLocker encrypted volume"
# a MSR that holds something is scanned like any partition
mkfs.fat -F 16 -n INMSR --offset $(start 1) "$img" $((16 * 1024)) >/dev/null 2>&1
check_eq "a MSR holding FAT" "$("$DA" --list --json "$img" |
	jq -r '.disks[0].content.partitions[0].content.fstype')" fat16
echo "ok"
