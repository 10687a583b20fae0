#!/bin/sh
# The cipher modes `cryptsetup benchmark` lists as common, each made by
# cryptsetup reencrypt --encrypt over the same ext4, open and their files
# agree with debugfs on the plaintext: aes in xts and cbc, with plain64,
# plain and essiv IVs, 128 and 256-bit keys (libcrypto), and serpent and
# twofish (libgcrypt).  Where cryptsetup cannot make serpent or twofish
# without device-mapper (its kernel crypto lacks them), an aes volume of
# the same key size is taken, its payload is encrypted again from the
# plaintext with that cipher by a small program built against libgcrypt
# (dm-crypt's IVs: 512-byte sector numbers from the payload's start), and
# its data segment is rewritten to name the cipher.
. "$(dirname "$0")/../lib.sh"
requires cryptsetup jq debugfs mkfs.ext4
. "$IMAGES/luks-env.sh"
mkdir -p "$T/src/a"
awk 'BEGIN { for (i = 0; i < 8000; i++) printf "cipher test line %d\n", i }' >"$T/src/a/f.txt"
truncate -s 12M "$T/plain.img"
mkfs.ext4 -q -F -b 1024 -E root_owner=0:0 -d "$T/src" "$T/plain.img" 6M
ino=$(debugfs -R "stat /a/f.txt" "$T/plain.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
blocks=$(debugfs -R "blocks /a/f.txt" "$T/plain.img" 2>/dev/null | tr -s ' ' '\n' | grep . | sed -n '1p;$p' | tr '\n' ' ')
printf 'k' >"$T/key"

# dmenc NAME MODE IV KEYHEX SECTOR <plain >cipher: dm-crypt's encryption
# of whole sectors with libgcrypt (IV plain64 or essiv:sha256)
cat >"$T/dmenc.c" <<'EOF'
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int algo(const char *name, size_t bytes)
{
	int serpent = !strcmp(name, "serpent");
	switch (bytes) {
	case 16: return serpent ? GCRY_CIPHER_SERPENT128 : GCRY_CIPHER_TWOFISH128;
	case 24: return serpent ? GCRY_CIPHER_SERPENT192 : 0;
	case 32: return serpent ? GCRY_CIPHER_SERPENT256 : GCRY_CIPHER_TWOFISH;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6 || !gcry_check_version(NULL))
		return 2;
	int xts = !strcmp(argv[2], "xts"), essiv = !strcmp(argv[3], "essiv");
	unsigned char key[64], salt[32], iv[16], le[16], buf[4096];
	size_t klen = strlen(argv[4]) / 2, sector = strtoul(argv[5], NULL, 0);
	if (klen > sizeof(key) || !sector || sector > sizeof(buf))
		return 2;
	for (size_t i = 0; i < klen; i++)
		sscanf(argv[4] + 2 * i, "%2hhx", &key[i]);
	gcry_cipher_hd_t h, e = NULL;
	int a = algo(argv[1], xts ? klen / 2 : klen);
	if (!a || gcry_cipher_open(&h, a, xts ? GCRY_CIPHER_MODE_XTS : GCRY_CIPHER_MODE_CBC, 0) ||
	    gcry_cipher_setkey(h, key, klen))
		return 3;
	if (essiv) {
		gcry_md_hash_buffer(GCRY_MD_SHA256, salt, key, klen);
		if (gcry_cipher_open(&e, algo(argv[1], 32), GCRY_CIPHER_MODE_ECB, 0) ||
		    gcry_cipher_setkey(e, salt, 32))
			return 3;
	}
	for (unsigned long long s = 0; fread(buf, sector, 1, stdin) == 1; s += sector / 512) {
		memset(le, 0, sizeof(le));
		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(s >> (8 * i));
		if (essiv)
			gcry_cipher_encrypt(e, iv, 16, le, 16);
		else
			memcpy(iv, le, 16);
		if (gcry_cipher_setiv(h, iv, 16) || gcry_cipher_encrypt(h, buf, sector, NULL, 0))
			return 4;
		fwrite(buf, sector, 1, stdout);
	}
	return 0;
}
EOF
command -v cc >/dev/null || skip "no C compiler to build the serpent/twofish encryptor"
pkg-config --exists libgcrypt || skip "no libgcrypt headers (libgcrypt20-dev) to build the serpent/twofish encryptor"
# shellcheck disable=SC2046
cc -o "$T/dmenc" "$T/dmenc.c" $(pkg-config --cflags --libs libgcrypt) ||
	fail "cannot build the serpent/twofish encryptor"
opened=0 rewritten=0
for spec in aes-xts-plain64:512 aes-xts-plain64:256 aes-xts-plain:512 aes-cbc-essiv:sha256:256 \
	aes-cbc-essiv:sha256:128 aes-cbc-plain64:256 aes-cbc-plain:128 \
	serpent-xts-plain64:512 twofish-xts-plain64:512 serpent-xts-plain64:256 \
	serpent-cbc-essiv:sha256:256 twofish-cbc-essiv:sha256:256 twofish-cbc-plain64:128; do
	cipher=${spec%:*} bits=${spec##*:}
	img="$T/$cipher-$bits.img"
	cp "$T/plain.img" "$img"
	if ! cryptsetup reencrypt -q --encrypt --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$T/key" --reduce-device-size 4M --cipher "$cipher" --key-size "$bits" "$img" >"$T/cs" 2>&1; then
		case $cipher in aes-*) fail "cryptsetup cannot make $cipher/$bits: $(tail -1 "$T/cs")" ;; esac
		echo "cryptsetup cannot make $cipher/$bits here ($(tail -1 "$T/cs")): encrypted with libgcrypt"
		name=${cipher%%-*} mode=${cipher#*-} mode=${mode%%-*} iv=${cipher##*-} iv=${iv%%:*}
		case $mode in xts) base=aes-xts-plain64-$bits ;; *) base=aes-cbc-essiv:sha256-$bits ;; esac
		cp "$T/$base.img" "$img"
		luks_json "$img" >"$T/j0.json"
		off=$(jq -r '.segments["0"].offset' "$T/j0.json")
		sec=$(jq -r '.segments["0"].sector_size' "$T/j0.json")
		vk=$(luks_vk_hex "$img" "$T/key")
		check_eq "$cipher/$bits volume key size" "${#vk}" "$((bits / 4))"
		# the payload: the plaintext's first bytes, as reencrypt moved them
		size=$(stat -c %s "$img")
		head -c "$((size - off))" "$T/plain.img" |
			"$T/dmenc" "$name" "$mode" "$iv" "$vk" "$sec" >"$T/payload" ||
			fail "$cipher/$bits: the encryptor failed"
		check_eq "$cipher/$bits payload size" "$(stat -c %s "$T/payload")" "$((size - off))"
		dd if="$T/payload" of="$img" bs=4096 seek="$((off / 4096))" conv=notrunc status=none
		jq -c ".segments[\"0\"].encryption = \"$cipher\"" "$T/j0.json" >"$T/j.json"
		luks2_rewrite "$img" "$T/j.json"
		rewritten=$((rewritten + 1))
	fi
	check_eq "$cipher/$bits cipher" "$("$DA" --list --json "$img" | jq -r '"\(.disks[0].content.cipher) \(.disks[0].content.key_size)"')" "$cipher $bits"
	uuid=$(cryptsetup luksUUID "$img")
	for b in $blocks; do
		check_eq "$cipher/$bits block $b" \
			"$("$DA" --json --key-file "$T/key" --lookup "luks-$uuid:$((b * 1024))" "$img" | jq -r '.owners[-1] | "\(.inode) \(.path)"')" \
			"$ino /a/f.txt"
	done
	"$DA" --key-file "$T/key" --list "$img" >"$T/out" 2>"$T/err" || fail "$cipher/$bits: $(cat "$T/err")"
	grep -q 'state=unlocked' "$T/out" || fail "$cipher/$bits: not unlocked"
	[ ! -s "$T/err" ] || fail "$cipher/$bits: stderr: $(cat "$T/err")"
	opened=$((opened + 1))
done
[ "$opened" -eq 13 ] || fail "only $opened volumes were made and opened"
echo "ok: $opened volumes opened and agree with debugfs ($rewritten serpent/twofish payloads encrypted with libgcrypt)"
