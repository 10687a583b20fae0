#!/bin/sh
# Hostile and unusual LUKS headers, made from real ones by cryptsetup and
# then rewritten (both JSON areas and their checksums): truncated JSON,
# JSON nested too deep, absurd offsets, bad key slot ids, a primary copy
# with a wrong checksum, a LUKS1 slot pointing past the device; and the
# real odd cases: a detached header, a reencryption in progress (made by
# cryptsetup reencrypt --init-only), OPAL.  Each is listed (never a crash
# or a hang), says what is wrong, and is not unlocked.
. "$(dirname "$0")/../lib.sh"
requires cryptsetup jq
. "$IMAGES/luks-env.sh"
printf 'k' >"$T/key"
truncate -s 20M "$T/base.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$T/key" "$T/base.img" || fail "luksFormat"
luks_json "$T/base.img" >"$T/base.json"

# case NAME JQ-FILTER|FILE: a copy with its JSON rewritten
mk() {
	cp --sparse=always "$T/base.img" "$T/$1.img"
	if [ -f "$2" ]; then [ "$2" = "$T/$1.json" ] || cp "$2" "$T/$1.json"; else jq -c "$2" "$T/base.json" >"$T/$1.json"; fi
	luks2_rewrite "$T/$1.img" "$T/$1.json"
}
# list NAME: --list --json must succeed (within 10 s); prints the LUKS node
list() {
	timeout 10 "$DA" --list --json "$T/$1.img" >"$T/$1.out" 2>"$T/$1.err" ||
		fail "$1: --list exit $? $(cat "$T/$1.err")"
	jq -c '.disks[0].content' "$T/$1.out"
}
reason_has() {
	got=$(jq -r '.disks[0].content | [.reason // "", (.warnings // [])[]] | join(" | ")' "$T/$1.out")
	case $got in *"$2"*) ;; *) fail "$1: wanted '$2' in the warnings, got '$got'" ;; esac
}
locked_with_key() {
	st=0
	timeout 10 "$DA" --list --key-file "$T/key" "$T/$1.img" >/dev/null 2>"$T/$1.err" || st=$?
	check_eq "$1 with the key: status" "$st" 1
	check_eq "$1 with the key: lines" "$(wc -l <"$T/$1.err")" 1
	grep -q "cannot be unlocked: $2" "$T/$1.err" || fail "$1: $(cat "$T/$1.err")"
}

# the rewrite itself keeps a header cryptsetup and diskatlas accept
mk same '.'
cryptsetup luksDump "$T/same.img" >/dev/null || fail "the rewritten header is refused by cryptsetup"
"$DA" --list --key-file "$T/key" "$T/same.img" | grep -q 'state=unlocked' || fail "rewritten header does not unlock"

# truncated JSON
head -c 300 "$T/base.json" >"$T/cutsrc.json"
mk truncated "$T/cutsrc.json"
check_eq "truncated: type" "$(list truncated | jq -r '"\(.type) \(.version) \(.children // [] | length)"')" "luks 2 0"
reason_has truncated "truncated"
locked_with_key truncated "its metadata is damaged"

# nested too deep
{ printf '{"keyslots":'; i=0; while [ $i -lt 200 ]; do printf '['; i=$((i + 1)); done
  i=0; while [ $i -lt 200 ]; do printf ']'; i=$((i + 1)); done; printf '}'; } >"$T/deepsrc.json"
mk deep "$T/deepsrc.json"
check_eq "deep: type" "$(list deep | jq -r .type)" luks
reason_has deep "nests deeper than"
locked_with_key deep "its metadata is damaged"

# absurd offsets: a key slot past 2^64, another past the device, the data past its end
mk offsets '.keyslots["0"].area.offset = "99999999999999999999999"'
list offsets >/dev/null
reason_has offsets "key slot 0: area without offset or size"
mk slotpast '.keyslots["0"].area.offset = "1099511627776"'
list slotpast >/dev/null
reason_has slotpast "key slot 0: area 1099511627776+258048 lies outside the device"
mk datapast '.segments["0"].offset = "18446744073709551615"'
list datapast >/dev/null
reason_has datapast "payload offset 18446744073709551615 is past the end"
locked_with_key datapast "its metadata is damaged"
mk sizebad '.config.keyslots_size = "-1"'
list sizebad >/dev/null
reason_has sizebad "config lacks json_size or keyslots_size"

# key slot ids out of range, and a missing section
mk ids '.keyslots = {"77": .keyslots["0"]}'
list ids >/dev/null
reason_has ids "key slot id 77 is not 0-31"
mk nosegs 'del(.segments)'
list nosegs >/dev/null
reason_has nosegs "lacks segments"

# the primary copy's checksum broken: the secondary is used, and opens
cp --sparse=always "$T/base.img" "$T/primary.img"
printf 'X' | dd of="$T/primary.img" bs=1 seek=5000 conv=notrunc status=none
list primary >/dev/null
reason_has primary "primary LUKS2 header has a wrong checksum: the secondary copy is used"
"$DA" --list --key-file "$T/key" "$T/primary.img" | grep -q 'state=unlocked' || fail "primary broken: not unlocked"

# the primary copy wiped: found by its second copy, which opens
cp --sparse=always "$T/base.img" "$T/wiped.img"
dd if=/dev/zero of="$T/wiped.img" bs=4096 count=1 conv=notrunc status=none
check_eq "wiped primary" "$(list wiped | jq -r '"\(.type) \(.uuid)"')" "luks $(cryptsetup luksUUID "$T/base.img")"
reason_has wiped "primary LUKS2 header has no LUKS2 magic: the secondary copy is used"
"$DA" --list --key-file "$T/key" "$T/wiped.img" | grep -q 'state=unlocked' || fail "primary wiped: not unlocked"
# a stale second copy whose checksum fails is not taken for LUKS
printf 'X' | dd of="$T/wiped.img" bs=1 seek=20000 conv=notrunc status=none
check_eq "stale copy" "$(list wiped | jq -r .type)" "unknown"

# LUKS1: a key slot beyond the device
truncate -s 4M "$T/l1.img"
cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-file "$T/key" "$T/l1.img" || fail "luksFormat luks1"
printf '\377\377\377\377' | dd of="$T/l1.img" bs=1 seek=$((208 + 48 * 3 + 40)) conv=notrunc status=none
list l1 >/dev/null
reason_has l1 "key slot 3: area 2199023255040+256000 lies outside the device"

# a detached header (cryptsetup luksFormat --header)
truncate -s 8M "$T/data.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$T/key" \
	--header "$T/detached.img" "$T/data.img" || fail "luksFormat --header"
check_eq "detached" "$(list detached | jq -r '"\(.detached_header) \(.children | length)"')" "true 1"
reason_has detached "detached header: the data (from byte 0) is on another device"
locked_with_key detached "its header is detached"

# a reencryption in progress (initialised, not run)
truncate -s 40M "$T/reenc.img"
cryptsetup reencrypt -q --encrypt --init-only --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$T/key" --reduce-device-size 16M "$T/reenc.img" || fail "reencrypt --init-only"
luks_json "$T/reenc.img" >"$T/reenc.json"
check_eq "reencrypt" "$(list reenc | jq -r '"\(.reencryption) \(.requirements) \(.segments | length)"')" \
	"true $(jq -r '.config.requirements.mandatory | join(",")' "$T/reenc.json") $(jq '.segments | length' "$T/reenc.json")"
reason_has reenc "reencryption in progress"
locked_with_key reenc "a reencryption is in progress"

# OPAL (cryptsetup 2.7 metadata; no drive here, so the JSON is written)
mk opal '.segments["0"].type = "hw-opal-crypt" | .config.requirements = {"mandatory": ["opal"]}'
check_eq "opal" "$(list opal | jq -r .opal)" true
reason_has opal "OPAL hardware encryption"
locked_with_key opal "it uses OPAL hardware encryption"
echo "ok: every damaged or unusual header listed, named and kept locked"
