#!/bin/sh
# The cipher modes `cryptsetup benchmark` lists as common, each made by
# cryptsetup reencrypt --encrypt over the same ext4: those libcrypto has
# (aes in xts and cbc, with plain64, plain and essiv IVs, 128 and 256-bit
# keys) open and their files agree with debugfs on the plaintext; those it
# lacks (serpent, twofish) are named and left locked in one line.  Where
# cryptsetup cannot make those without device-mapper (its kernel crypto
# lacks them), an aes volume's data segment is rewritten to name them.
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
opened=0 locked=0
for spec in aes-xts-plain64:512 aes-xts-plain64:256 aes-xts-plain:512 aes-cbc-essiv:sha256:256 \
	aes-cbc-essiv:sha256:128 aes-cbc-plain64:256 aes-cbc-plain:128 \
	serpent-xts-plain64:512 twofish-xts-plain64:512 serpent-cbc-essiv:sha256:256; do
	cipher=${spec%:*} bits=${spec##*:}
	img="$T/$cipher-$bits.img"
	cp "$T/plain.img" "$img"
	if ! cryptsetup reencrypt -q --encrypt --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$T/key" --reduce-device-size 4M --cipher "$cipher" --key-size "$bits" "$img" >"$T/cs" 2>&1; then
		case $cipher in aes-*) fail "cryptsetup cannot make $cipher/$bits: $(tail -1 "$T/cs")" ;; esac
		echo "cryptsetup cannot make $cipher/$bits here ($(tail -1 "$T/cs")): the JSON names it"
		case $cipher in *-xts-*) base=aes-xts-plain64-512 ;; *) base=aes-cbc-essiv:sha256-256 ;; esac
		cp "$T/$base.img" "$img"
		luks_json "$img" | jq -c ".segments[\"0\"].encryption = \"$cipher\"" >"$T/j.json"
		luks2_rewrite "$img" "$T/j.json"
	fi
	check_eq "$cipher/$bits cipher" "$("$DA" --list --json "$img" | jq -r '"\(.disks[0].content.cipher) \(.disks[0].content.key_size)"')" "$cipher $bits"
	case $cipher in
	aes-*)
		uuid=$(cryptsetup luksUUID "$img")
		for b in $blocks; do
			check_eq "$cipher/$bits block $b" \
				"$("$DA" --json --key-file "$T/key" --lookup "luks-$uuid:$((b * 1024))" "$img" | jq -r '.owners[-1] | "\(.inode) \(.path)"')" \
				"$ino /a/f.txt"
		done
		opened=$((opened + 1)) ;;
	*)
		st=0
		"$DA" --list --key-file "$T/key" "$img" >"$T/out" 2>"$T/err" || st=$?
		check_eq "$cipher status" "$st" 1
		check_eq "$cipher lines" "$(wc -l <"$T/err")" 1
		# the line names the cipher and says why
		grep -q "($cipher) cannot be unlocked: its cipher is not in libcrypto: OpenSSL implements neither serpent nor twofish" "$T/err" ||
			fail "$cipher: $(cat "$T/err")"
		grep -q 'state=locked' "$T/out" || fail "$cipher: not listed as locked"
		locked=$((locked + 1)) ;;
	esac
done
[ "$opened" -eq 7 ] || fail "only $opened aes volumes were made and opened"
[ "$locked" -eq 3 ] || fail "only $locked serpent/twofish volumes were checked"
echo "ok: $opened aes volumes opened and agree with debugfs; $locked serpent/twofish volumes named and kept locked"
