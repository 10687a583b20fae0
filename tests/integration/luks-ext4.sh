#!/bin/sh
# LUKS straight over ext4, made here from a plaintext ext4 (mkfs.ext4 -d)
# with cryptsetup on plain files: LUKS2 aes-xts-plain64 with 4 KiB
# sectors, and LUKS1 aes-cbc-essiv:sha256 (LUKS2 converted with
# cryptsetup convert; LUKS1 reencryption needs device-mapper).  Headers
# and key slots against luksDump; every file's first and last block,
# unlocked, against debugfs on the plaintext; a wrong key and a missing
# key file in one line; keys never in the output or the --debug trace.
. "$(dirname "$0")/../lib.sh"
requires cryptsetup jq debugfs mkfs.ext4
. "$IMAGES/luks-env.sh"
. "$IMAGES/ext-tree.inc"
tree "$T/src" 4 12
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "big file line %d\n", i }' >"$T/src/big.txt"
truncate -s 40M "$T/plain.img"
mkfs.ext4 -q -F -b 4096 -L plain -E root_owner=0:0 -d "$T/src" "$T/plain.img" 24M
printf 'the passphrase' >"$T/key"
cp "$T/plain.img" "$T/luks2.img"
luks_encrypt "$T/luks2.img" "$T/key" --reduce-device-size 16M --sector-size 4096
cp "$T/plain.img" "$T/luks1.img"
luks_encrypt "$T/luks1.img" "$T/key" --reduce-device-size 8M --cipher aes-cbc-essiv:sha256 --key-size 256
cryptsetup convert -q --type luks1 "$T/luks1.img" || fail "cryptsetup convert --type luks1"

# the files and their blocks, from debugfs on the plaintext
(cd "$T/src" && find . -type f | sed 's/^\.//' | sort) >"$T/files"
: >"$T/blocks"
while read -r f; do
	ino=$(debugfs -R "stat $f" "$T/plain.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	for b in $(debugfs -R "blocks $f" "$T/plain.img" 2>/dev/null | tr -s ' ' '\n' | grep . | sed -n '1p;$p'); do
		echo "$b $ino $f" >>"$T/blocks"
	done
done <"$T/files"
[ "$(wc -l <"$T/blocks")" -gt 40 ] || fail "too few blocks from debugfs"

for v in 1 2; do
	img="$T/luks$v.img"
	uuid=$(cryptsetup luksUUID "$img")
	"$DA" --list --json "$img" >"$T/l.json" || fail "--list LUKS$v"
	check_eq "LUKS$v type" "$(jq -r '.disks[0].content | "\(.type) \(.version) \(.uuid)"' "$T/l.json")" "luks $v $uuid"
	if [ $v = 2 ]; then
		luks_json "$img" >"$T/m.json"
		check_eq "LUKS2 payload" "$(jq -r '.disks[0].content.payload_offset' "$T/l.json")" "$(jq -r '.segments["0"].offset' "$T/m.json")"
		check_eq "LUKS2 sector" "$(jq -r '.disks[0].content.sector_size' "$T/l.json")" 4096
		check_eq "LUKS2 slots" "$(jq -r '[.disks[0].content.children[] | "\(.start)+\(.size)"] | join(" ")' "$T/l.json")" \
			"$(jq -r '[.keyslots[] | "\(.area.offset)+\(.area.size)"] | join(" ")' "$T/m.json")"
	else
		cryptsetup luksDump "$img" >"$T/d.txt"
		check_eq "LUKS1 cipher" "$(jq -r '.disks[0].content.cipher' "$T/l.json")" \
			"$(awk -F'\t' '/^Cipher name/ { n = $2 } /^Cipher mode/ { m = $2 } END { print n "-" m }' "$T/d.txt")"
		check_eq "LUKS1 payload" "$(jq -r '.disks[0].content.payload_offset' "$T/l.json")" \
			$(( $(awk -F'\t' '/^Payload offset/ { print $2 }' "$T/d.txt") * 512 ))
		check_eq "LUKS1 key bits" "$(jq -r '.disks[0].content.key_size' "$T/l.json")" "$(awk -F'\t' '/^MK bits/ { print $2 }' "$T/d.txt")"
		check_eq "LUKS1 slot states" "$(jq -r '[.disks[0].content.children[] | .state] | join(" ")' "$T/l.json")" \
			"$(sed -n 's/^Key Slot [0-7]: \(.*\)/\1/p' "$T/d.txt" | sed 's/ENABLED/active/; s/DISABLED/inactive/' | tr '\n' ' ' | sed 's/ $//')"
		check_eq "LUKS1 slot 0 offset" "$(jq -r '.disks[0].content.children[0].start' "$T/l.json")" \
			$(( $(sed -n 's/.*Key material offset:[[:space:]]*\([0-9]*\).*/\1/p' "$T/d.txt" | head -1) * 512 ))
		check_eq "LUKS1 slot 0 stripes" "$(jq -r '.disks[0].content.children[0].stripes' "$T/l.json")" \
			"$(sed -n 's/.*AF stripes:[[:space:]]*\([0-9]*\).*/\1/p' "$T/d.txt" | head -1)"
	fi

	# unlocked: every block debugfs names, through the volume
	awk -v u="luks-$uuid" '{ print u ":" $1 * 4096 }' "$T/blocks" >"$T/where"
	"$DA" --json --key-file "$T/key" --lookup - "$img" <"$T/where" >"$T/answers" 2>"$T/err" ||
		{ cat "$T/err"; fail "LUKS$v: --lookup - with the key"; }
	check_eq "LUKS$v blocks" "$(jq -r '.owners[-1] | "\(.block) \(.inode) \(.path)"' "$T/answers")" "$(cat "$T/blocks")"
	check_eq "LUKS$v volume over the payload" "$(jq -r '.owners[1] | "\(.kind) \(.name)"' "$T/answers" | sort -u)" "luks luks-$uuid"

	# a wrong key: the list as without a key, and one line
	printf 'not the passphrase' >"$T/bad"
	st=0
	"$DA" --list --key-file "$T/bad" "$img" >"$T/out" 2>"$T/err" || st=$?
	check_eq "LUKS$v wrong key status" "$st" 1
	check_eq "LUKS$v wrong key lines" "$(wc -l <"$T/err")" 1
	grep -q "wrong key" "$T/err" || fail "LUKS$v wrong key: $(cat "$T/err")"
	grep -q "state=locked" "$T/out" || fail "LUKS$v wrong key: not listed as locked"

	# nothing secret in any output, the --debug trace included
	vk=$(luks_vk_hex "$img" "$T/key")
	[ ${#vk} -ge 64 ] || fail "LUKS$v: no volume key from luksDump"
	DISKATLAS_DEBUG=1 "$DA" --list --json --key-file "$T/key" "$img" >"$T/out" 2>"$T/trace" || fail "--debug run"
	grep -q 'unlocked by key slot' "$T/trace" || fail "LUKS$v: the trace does not show the unlock"
	for f in "$T/out" "$T/trace"; do
		od -An -tx1 -v "$f" | tr -d ' \n' >"$T/hex"
		! grep -q "$(printf 'the passphrase' | od -An -tx1 | tr -d ' \n')" "$T/hex" || fail "LUKS$v: the passphrase is in $f"
		! grep -qi "$(echo "$vk" | cut -c1-16)" "$T/hex" || fail "LUKS$v: the volume key is in $f"
		! grep -qi "$(echo "$vk" | cut -c1-16)" "$f" || fail "LUKS$v: the volume key (as hex) is in $f"
	done
done

# a missing key file: one line, before anything is scanned
st=0
"$DA" --list --key-file "$T/nosuch" "$T/luks2.img" >"$T/out" 2>"$T/err" || st=$?
check_eq "missing key file status" "$st" 1
check_eq "missing key file message" "$(cat "$T/err")" "diskatlas: --key-file $T/nosuch: No such file or directory"
check_eq "missing key file output" "$(wc -c <"$T/out")" 0
st=0
"$DA" --list --key-file "$T/key" --ask-key "$T/luks2.img" >/dev/null 2>&1 || st=$?
check_eq "--key-file with --ask-key" "$st" 2

# --ask-key reads the passphrase from the terminal without echo
if command -v script >/dev/null 2>&1; then
	(sleep 1; printf 'the passphrase\n') | script -qec "$DA --list --ask-key $T/luks2.img" /dev/null >"$T/tty" 2>&1 || true
	grep -q "Passphrase for luks-" "$T/tty" || fail "--ask-key: no prompt: $(cat "$T/tty")"
	grep -q "state=unlocked" "$T/tty" || fail "--ask-key: not unlocked: $(cat "$T/tty")"
	! grep -q "the passphrase" "$T/tty" || fail "--ask-key: the passphrase was echoed"
fi
echo "ok: LUKS1 and LUKS2 agree with luksDump; $(wc -l <"$T/blocks") blocks each agree with debugfs"
