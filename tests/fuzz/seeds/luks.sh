#!/bin/sh
# Seeds for the LUKS plugin, made by cryptsetup on plain files (no
# device-mapper) with the passphrase the fuzz target offers ("fuzz-seed",
# FUZZ_KEY in tests/fuzz/fuzz_scan.c), so that they are unlocked and their
# payload decrypted:
#  luks2-ext4      LUKS2 made by an offline encryption of an ext4 (4 KiB
#                  sectors), a second key slot with argon2id, a token, a
#                  label and a subsystem;
#  luks1-*         LUKS1 headers (aes-cbc-essiv, aes-xts) whose payload is
#                  whatever the file held (LUKS1 encryption needs
#                  device-mapper), a disabled slot, several active ones;
#  luks2-cbc-plain another IV mode;
#  luks2-wrongkey  a volume the fuzz passphrase does not open;
#  luks2-detached  a header made with --header (the data is elsewhere);
#  luks2-reencrypt an encryption started with --init-only (in progress);
#  luks-twins      a GPT disk holding one LUKS1 volume twice (one UUID);
# and luks_damage.py's damaged copies, one structure at a time.
# Usage: sh tests/fuzz/seeds/luks.sh DIR   (writes DIR/luks-*)
set -eu
out=$1
for t in cryptsetup python3 mkfs.ext4 sfdisk; do
	command -v "$t" >/dev/null 2>&1 || exit 0
done
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'fuzz-seed' >"$tmp/key"
printf 'another passphrase' >"$tmp/key2"
fast="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
fmt() {   # fmt FILE SIZE luksFormat-OPTIONS...
	f=$1 size=$2
	shift 2
	truncate -s "$size" "$f"
	cryptsetup luksFormat -q --key-file "$tmp/key" "$@" "$f" >/dev/null 2>&1
}
add() {   # add FILE luksAddKey-OPTIONS...
	f=$1
	shift
	cryptsetup luksAddKey -q --key-file "$tmp/key" "$@" "$f" "$tmp/key2" >/dev/null 2>&1
}

# an ext4 with files, encrypted in place behind a LUKS2 header
mkdir -p "$tmp/src/dir"
seq 1 30000 >"$tmp/src/dir/numbers.txt"
head -c 20000 /dev/zero | tr '\0' z >"$tmp/src/zeds"
truncate -s 3M "$tmp/e"
mkfs.ext4 -q -F -b 4096 -N 64 -O ^has_journal -d "$tmp/src" "$tmp/e" 2M
cryptsetup reencrypt -q --encrypt --type luks2 $fast --key-file "$tmp/key" \
	--reduce-device-size 1M --luks2-metadata-size 16k --luks2-keyslots-size 512k \
	--key-size 256 --sector-size 4096 "$tmp/e" >/dev/null 2>&1
add "$tmp/e" --pbkdf argon2id --pbkdf-memory 64 --pbkdf-force-iterations 4
printf '{"type":"fuzz-token","keyslots":["1"],"note":"seed"}' >"$tmp/token"
cryptsetup token import --json-file "$tmp/token" "$tmp/e" >/dev/null 2>&1
cryptsetup config --label seed-label --subsystem seed-subsystem "$tmp/e"
cp "$tmp/e" "$out/luks2-ext4"

# LUKS1: slot 0 the fuzz key, slot 1 another, slot 2 removed again
fmt "$tmp/l1" 1200K --type luks1 --pbkdf-force-iterations 1000 \
	--cipher aes-cbc-essiv:sha256 --key-size 256 --align-payload 2048
add "$tmp/l1" --pbkdf-force-iterations 1000
add "$tmp/l1" --pbkdf-force-iterations 1000 --key-slot 2
cryptsetup luksKillSlot -q --key-file "$tmp/key" "$tmp/l1" 2
cp "$tmp/l1" "$out/luks1-essiv"
fmt "$tmp/l1x" 1M --type luks1 --pbkdf-force-iterations 1000 \
	--cipher aes-xts-plain64 --key-size 256 --align-payload 1024
cp "$tmp/l1x" "$out/luks1-xts"

# another IV mode (serpent and twofish, which cryptsetup cannot make
# without device-mapper here, are luks_damage.py's renamed segments)
fmt "$tmp/cp" 1M --type luks2 $fast --cipher aes-cbc-plain --key-size 128 \
	--luks2-metadata-size 16k --luks2-keyslots-size 128k --offset 1024
cp "$tmp/cp" "$out/luks2-cbc-plain"

# a key the fuzz target does not have
truncate -s 1M "$tmp/w"
cryptsetup luksFormat -q --type luks2 $fast --key-file "$tmp/key2" \
	--luks2-metadata-size 16k --luks2-keyslots-size 128k --offset 1024 --key-size 256 "$tmp/w" >/dev/null 2>&1
cp "$tmp/w" "$out/luks2-wrongkey"

# a detached header: the file holds only the header, the data is elsewhere
truncate -s 1M "$tmp/data"
truncate -s 1M "$tmp/hdr"
cryptsetup luksFormat -q --type luks2 $fast --key-file "$tmp/key" \
	--luks2-metadata-size 16k --luks2-keyslots-size 128k --key-size 256 --header "$tmp/hdr" \
	"$tmp/data" >/dev/null 2>&1
cp "$tmp/hdr" "$out/luks2-detached"

# an encryption started and not run: a reencrypt key slot, requirements
truncate -s 2M "$tmp/r"
cryptsetup reencrypt -q --encrypt --init-only --type luks2 $fast --key-file "$tmp/key" \
	--reduce-device-size 1M --luks2-metadata-size 16k --luks2-keyslots-size 256k \
	"$tmp/r" >/dev/null 2>&1
cp "$tmp/r" "$out/luks2-reencrypt"

# one LUKS1 volume in two GPT partitions: two volumes of one UUID
truncate -s 3M "$tmp/twins"
printf 'label: gpt\nsize=2400\nsize=2400\n' | sfdisk -q "$tmp/twins" >/dev/null
for s in $(sfdisk -d "$tmp/twins" | sed -n 's/.*start= *\([0-9]*\).*/\1/p'); do
	dd if="$tmp/l1x" of="$tmp/twins" bs=512 seek="$s" count=2048 conv=notrunc status=none
done
cp "$tmp/twins" "$out/luks-twins"

python3 "$here/luks_damage.py" "$tmp/e" "$tmp/l1" "$out"
