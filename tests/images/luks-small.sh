#!/bin/sh
# Build luks2-small.img(.xz) and luks1-head.img(.xz): small LUKS headers
# made by cryptsetup luksFormat (plain files, no device-mapper), seeds for
# the fuzz target and images every image-wide test (valgrind, damage)
# goes over.  luks2-small: a 16 KiB header, 256 KiB of key slots, two
# slots made and the second removed again (its area is free), 128-bit
# XTS, an empty payload.  luks1-head: the first 8 KiB of a LUKS1 volume
# with two active slots (cryptsetup fills all eight slot areas with random
# bytes, which do not compress: the slots lie past the end of this cut).
# The key is "luks-small".  Beside each: NAME.luksDump.
set -eu
cd "$(dirname "$0")"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
printf 'luks-small' >"$W/key"
printf 'second' >"$W/key2"
opts="--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file $W/key"

truncate -s 1M "$W/luks2-small.img"
cryptsetup luksFormat -q --type luks2 $opts --key-size 256 --luks2-metadata-size 16k \
	--luks2-keyslots-size 256k --offset 1024 --uuid 5a5a5a5a-1111-4222-8333-444444444444 \
	--label small "$W/luks2-small.img"
cryptsetup luksAddKey -q $opts --pbkdf pbkdf2 "$W/luks2-small.img" "$W/key2"
cryptsetup luksKillSlot -q --key-file "$W/key" "$W/luks2-small.img" 1

truncate -s 1M "$W/luks1-small.img"
cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-file "$W/key" \
	--key-size 256 --uuid 5a5a5a5a-1111-4222-8333-555555555555 "$W/luks1-small.img"
cryptsetup luksAddKey -q --pbkdf-force-iterations 1000 --key-file "$W/key" "$W/luks1-small.img" "$W/key2"

cryptsetup luksDump "$W/luks1-small.img" | sed "s|$W/luks1-small.img|luks1-head.img|" >luks1-head.luksDump
head -c 8192 "$W/luks1-small.img" >"$W/luks1-head.img"
rm -f luks1-head.img.xz
xz -9 -T1 -c "$W/luks1-head.img" >luks1-head.img.xz
for n in luks2-small; do
	cryptsetup luksDump "$W/$n.img" | sed "s|$W/||" >"$n.luksDump"
	rm -f "$n.img.xz"
	xz -9 -T1 -c "$W/$n.img" >"$n.img.xz"
done
