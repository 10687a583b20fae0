#!/bin/sh
# Hostile ext geometry for the metadata found by arithmetic and the
# lazily read bitmaps: a flex group size of 2^31 and 2^255, a first
# meta_bg and sparse_super2 backups past the end, descriptors whose free
# counts exceed their group, whose block bitmap lies past the end or on
# the superblock.  Each must list and answer lookups over the whole
# filesystem at once, with nothing on stderr.  (No metadata_csum, so that
# libext2fs opens what we poke.)
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 jq timeout

poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
le16() { printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)); }

orig="$T/orig.img"
truncate -s 32M "$orig"
mkfs.ext4 -q -F -b 1024 -g 1024 -O ^metadata_csum,uninit_bg "$orig" || fail "mkfs.ext4"
SB=1024 GDT=2048 DESC=32

run() {  # NAME
	name=$1 img="$T/$1.img"
	timeout 20 "$DA" --list --json "$img" >"$T/$name.json" 2>"$T/$name.err" || fail "$name: --list exit $?"
	[ ! -s "$T/$name.err" ] || fail "$name: stderr: $(head -2 "$T/$name.err")"
	awk 'BEGIN { for (b = 0; b < 32768; b += 37) print b * 1024 + 5 }' |
		timeout 20 "$DA" --lookup - --json "$img" >"$T/$name.look" 2>"$T/$name.err" ||
		fail "$name: --lookup - exit $? (124: a hang)"
	[ ! -s "$T/$name.err" ] || fail "$name: lookup stderr: $(head -2 "$T/$name.err")"
	[ "$(wc -l <"$T/$name.look")" -eq 886 ] || fail "$name: $(wc -l <"$T/$name.look") answers of 886"
	echo "ok: $name: $(jq -r '.disks[0].content | "\(.type) \(.fstype // "") \(.reason // "")"' "$T/$name.json" | cut -c1-120)"
}
fresh() { cp --sparse=always "$orig" "$T/$1.img"; echo "$T/$1.img"; }

cp --sparse=always "$orig" "$T/plain.img"; run plain
img=$(fresh flex31); poke "$img" $((SB + 0x174)) '\037'; run flex31
img=$(fresh flex255); poke "$img" $((SB + 0x174)) '\377'; run flex255
img=$(fresh metabg); poke "$img" $((SB + 0x104)) "$(le32 4294967295)"; run metabg
img=$(fresh backups)
# sparse_super2: compat bit 0x200, in the feature word's second byte
poke "$img" $((SB + 0x5d)) "$(printf '\\%03o' $(( $(od -An -tu1 -j $((SB + 0x5d)) -N1 "$img") | 2 )))"
poke "$img" $((SB + 0x24c)) "$(le32 4294967295)"; poke "$img" $((SB + 0x250)) "$(le32 7)"; run backups
img=$(fresh freecount)
for g in 0 1 2 3 4 5; do poke "$img" $((GDT + g * DESC + 0x0c)) "$(le16 65535)"; done; run freecount
img=$(fresh bbfar)
for g in 1 2 3; do poke "$img" $((GDT + g * DESC)) "$(le32 4294967295)"; done; run bbfar
img=$(fresh bbsuper); poke "$img" $((GDT + 2 * DESC)) "$(le32 1)"; run bbsuper
echo "ok: all"
