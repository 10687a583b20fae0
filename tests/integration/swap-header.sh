#!/bin/sh
# Linux swap areas made by mkswap (and patched with dd where mkswap cannot:
# bad pages, v0, hibernation, the other byte order), checked against
# blkid -p, swaplabel and mkswap's own size line; then the swap partitions
# of the test images.
. "$(dirname "$0")/../lib.sh"
requires jq mkswap blkid swaplabel

# poke FILE OFFSET 'printf-escaped bytes'
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
be32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
ours() { "$DA" --list --json "$1" | jq -c '.disks[0].content'; }
prop() { echo "$1" | jq -r ".$2 // empty"; }
bk() { blkid -p -o export "$1" | sed -n "s/^$2=//p"; }
lookup() { echo "$2" | "$DA" --lookup - --json "$1" |
	jq -r '.owners[-1] | "\(.role) \(.block)"'; }

# ---- v1 as mkswap makes it ----
S="$T/swap.img"
truncate -s 8M "$S"
UUID=0f5a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b
msize=$(mkswap -L myswap -U "$UUID" "$S" 2>/dev/null |
	sed -n 's/.*(\([0-9]*\) bytes).*/\1/p')
[ -n "$msize" ] || fail "mkswap printed no size"
j=$(ours "$S")
check_eq "type" "$(prop "$j" type)" swap
check_eq "fstype" "$(prop "$j" fstype)" swap
check_eq "label (blkid)" "$(prop "$j" label)" "$(bk "$S" LABEL)"
check_eq "uuid (blkid)" "$(prop "$j" uuid)" "$(bk "$S" UUID)"
check_eq "version (blkid)" "$(prop "$j" version)" "$(bk "$S" VERSION)"
check_eq "label (swaplabel)" "$(prop "$j" label)" \
	"$(swaplabel "$S" | sed -n 's/^LABEL: *//p')"
check_eq "uuid (swaplabel)" "$(prop "$j" uuid)" \
	"$(swaplabel "$S" | sed -n 's/^UUID: *//p')"
check_eq "usable size (mkswap)" "$(prop "$j" usable_size)" "$msize"
check_eq "size" "$(prop "$j" size)" "$(stat -c %s "$S")"
check_eq "page size" "$(prop "$j" page_size)" 4096
check_eq "bad pages" "$(prop "$j" bad_pages)" 0
check_eq "header role" "$(lookup "$S" 100)" "header 0"
check_eq "data role" "$(lookup "$S" $((4096 * 7 + 5)))" "swap_data 7"
echo "v1: label, uuid, version, size agree with blkid, swaplabel and mkswap"

# ---- a bad page list (mkswap -c needs a real device: patch it in) ----
poke "$S" 1032 "$(le32 3)"
poke "$S" 1536 "$(le32 5)$(le32 100)$(le32 2000)"
check_eq "label after patching (swaplabel)" \
	"$(swaplabel "$S" | sed -n 's/^LABEL: *//p')" myswap
j=$(ours "$S")
check_eq "label (blkid, bad pages)" "$(prop "$j" label)" "$(bk "$S" LABEL)"
check_eq "bad pages" "$(prop "$j" bad_pages)" 3
check_eq "bad page list" "$(prop "$j" 'bad_page_list | join(",")')" "5,100,2000"
check_eq "usable size with bad pages" "$(prop "$j" usable_size)" $((msize - 3 * 4096))
check_eq "bad page role" "$(lookup "$S" $((4096 * 100 + 1)))" "bad 100"
check_eq "next page role" "$(lookup "$S" $((4096 * 101)))" "swap_data 101"
# a hostile count: more than the page holds, entries past the end
poke "$S" 1032 "$(le32 4000000000)"
poke "$S" 1548 "$(le32 4000000000)"
j=$(ours "$S")
check_eq "hostile bad list: still swap" "$(prop "$j" type)" swap
[ "$(prop "$j" bad_pages)" -le 637 ] || fail "bad page count not bounded"
echo "bad pages: list, roles and usable size agree"

# ---- 64 KiB pages ----
S64="$T/swap64.img"
truncate -s 8M "$S64"
msize=$(mkswap -p 65536 -L big "$S64" 2>/dev/null | sed -n 's/.*(\([0-9]*\) bytes).*/\1/p')
j=$(ours "$S64")
check_eq "64K page size" "$(prop "$j" page_size)" 65536
check_eq "64K label (blkid)" "$(prop "$j" label)" "$(bk "$S64" LABEL)"
check_eq "64K usable size (mkswap)" "$(prop "$j" usable_size)" "$msize"
check_eq "64K header role" "$(lookup "$S64" 65535)" "header 0"

# ---- the other byte order (a big-endian writer) ----
SBE="$T/swapbe.img"
truncate -s 4M "$SBE"
mkswap -L bigend "$SBE" >/dev/null 2>&1
poke "$SBE" 1024 "$(be32 1)$(be32 1023)"
j=$(ours "$SBE")
check_eq "big endian label (blkid)" "$(prop "$j" label)" "$(bk "$SBE" LABEL)"
check_eq "big endian size" "$(prop "$j" size)" $((1024 * 4096))
check_eq "big endian byte order" "$(prop "$j" byte_order)" big_endian

# ---- hibernation: the signature replaced, header fields kept ----
poke "$S64" $((65536 - 10)) 'S1SUSPEND\000'
j=$(ours "$S64")
check_eq "hibernation type (blkid says swsuspend)" "$(bk "$S64" TYPE)" swsuspend
check_eq "hibernation: still swap" "$(prop "$j" type)" swap
check_eq "hibernation signature" "$(prop "$j" hibernation)" S1SUSPEND
check_eq "hibernation label (blkid)" "$(prop "$j" label)" "$(bk "$S64" LABEL)"

# ---- v0 ----
S0="$T/swap0.img"
truncate -s 1M "$S0"
poke "$S0" 4086 'SWAP-SPACE'
j=$(ours "$S0")
check_eq "v0 type (blkid)" "$(bk "$S0" TYPE)" swap
check_eq "v0 version (blkid)" "$(prop "$j" version)" "$(bk "$S0" VERSION)"
check_eq "v0: ours" "$(prop "$j" type)" swap
echo "64 KiB pages, big endian, hibernation and v0 agree with blkid"

# ---- swap partitions inside the test images ----
requires sfdisk
parts=0
for name in fat-16 mbr-ext; do
	[ -f "$IMAGES/$name.img.xz" ] || { echo "($name.img.xz not there yet)"; continue; }
	img=$(image "$name")
	list=$("$DA" --list --json "$img")
	if ! echo "$list" | jq -e '.disks[0].content.partitions' >/dev/null; then
		echo "($name: no partition table plugin yet)"
		continue
	fi
	for start in $(sfdisk --json "$img" | jq -r '.partitiontable.partitions[] |
			select(.type == "82") | .start'); do
		off=$((start * 512))
		size=$(sfdisk --json "$img" | jq -r --argjson s "$start" \
			'.partitiontable.partitions[] | select(.start == $s) | .size')
		j=$(echo "$list" | jq -c --argjson o "$off" \
			'[.. | objects | select(.start? == $o and .content?)][0].content')
		blk=$(blkid -p -o export -O "$off" -S $((size * 512)) "$img")
		check_eq "$name@$off type" "$(prop "$j" type)" swap
		check_eq "$name@$off label" "$(prop "$j" label)" "$(echo "$blk" | sed -n 's/^LABEL=//p')"
		check_eq "$name@$off uuid" "$(prop "$j" uuid)" "$(echo "$blk" | sed -n 's/^UUID=//p')"
		check_eq "$name@$off size" "$(prop "$j" size)" $((size * 512 / 4096 * 4096))
		parts=$((parts + 1))
	done
done
echo "swap partitions in images checked: $parts"
exit 0
