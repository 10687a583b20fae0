#!/bin/sh
# Key slots that ask for more KDF work than diskatlas will run: real
# headers made by cryptsetup luksFormat, their PBKDF2 iteration counts
# (key slot and digest, LUKS1 and LUKS2) and argon2 costs (time, memory,
# threads) poked up.  With the right key each is refused at once, in one
# line naming the slot and the value, and left locked (exit 1); a cheap
# slot beside a refused one is still tried and opens the volume (exit 0,
# the refusal a warning); the images as cryptsetup made them still
# unlock; DISKATLAS_KDF_LIMIT raises the limits.  The timeouts are far
# above what a refusal takes and far below what the work would.
. "$(dirname "$0")/../lib.sh"
requires cryptsetup jq
. "$IMAGES/luks-env.sh"
printf 'k' >"$T/key"
fast="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
U32=4294967295

# run NAME [ENV=VALUE]: --list --json with the key, status in $st
run() {
	st=0
	env ${2:+"$2"} timeout 60 "$DA" --list --json --key-file "$T/key" "$T/$1.img" \
		>"$T/$1.out" 2>"$T/$1.err" || st=$?
	[ "$st" -ne 124 ] || fail "$1: still deriving after 60 s"
}
state() { jq -r '.disks[0].content.state // "none"' "$T/$1.out"; }
warnings() { jq -r '.disks[0].content.warnings // [] | .[]' "$T/$1.out"; }
# refused NAME LINE: locked, exit 1, stderr is exactly that one line
refused() {
	run "$1"
	check_eq "$1: status" "$st" 1
	check_eq "$1: state" "$(state "$1")" locked
	check_eq "$1: stderr" "$(cat "$T/$1.err")" "diskatlas: $1.img: LUKS $2"
	warnings "$1" | grep -qxF "$2: not tried" || fail "$1: no warning '$2: not tried' in $(warnings "$1")"
}
unlocks() {
	run "$1"
	check_eq "$1: status ($(cat "$T/$1.err"))" "$st" 0
	check_eq "$1: state" "$(state "$1")" unlocked
}

# ---- LUKS1: the slot's and the master key digest's counts (be32) ----
truncate -s 3M "$T/l1.img"
cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-size 512 \
	--key-file "$T/key" "$T/l1.img" || fail "luksFormat luks1"
unlocks l1
check_eq "l1: slot" "$(jq '.disks[0].content.unlocked_by_keyslot' "$T/l1.out")" 0
cp "$T/l1.img" "$T/l1-slot.img"
_puthex "$T/l1-slot.img" $((208 + 4)) ffffffff
cryptsetup luksDump "$T/l1-slot.img" | grep -q "Iterations:[[:space:]]*$U32" || fail "l1-slot: not poked"
# a 512-bit key with sha256 is two PBKDF2 blocks: half the rounds
refused l1-slot "key slot 0 asks for $U32 PBKDF2 iterations, more than diskatlas will run (limit 33554432 for a 512-bit key with sha256)"
cp "$T/l1.img" "$T/l1-digest.img"
_puthex "$T/l1-digest.img" 164 ffffffff
cryptsetup luksDump "$T/l1-digest.img" | grep -q "MK iterations:[[:space:]]*$U32" || fail "l1-digest: not poked"
refused l1-digest "key slot 0 asks for $U32 PBKDF2 iterations of its digest, more than diskatlas will run (limit 67108864)"

# slot 0 refused, slot 2 (the same key) still tried and opens it
cp "$T/l1.img" "$T/l1-two.img"
cryptsetup luksAddKey -q --pbkdf-force-iterations 1000 --key-slot 2 --key-file "$T/key" \
	"$T/l1-two.img" "$T/key" || fail "luksAddKey"
_puthex "$T/l1-two.img" $((208 + 4)) ffffffff
unlocks l1-two
check_eq "l1-two: slot" "$(jq '.disks[0].content.unlocked_by_keyslot' "$T/l1-two.out")" 2
warnings l1-two | grep -q "^key slot 0 asks for $U32 PBKDF2 iterations" || fail "l1-two: no warning"
# a wrong key: both said, in one line
printf 'wrong' >"$T/wrong"
st=0
timeout 60 "$DA" --list --key-file "$T/wrong" "$T/l1-two.img" >/dev/null 2>"$T/wrong.err" || st=$?
check_eq "l1-two, wrong key: status" "$st" 1
check_eq "l1-two, wrong key: stderr" "$(cat "$T/wrong.err")" \
	"diskatlas: l1-two.img: wrong key: no other key slot opens with it; LUKS key slot 0 asks for $U32 PBKDF2 iterations, more than diskatlas will run (limit 33554432 for a 512-bit key with sha256)"

# ---- LUKS2: slot 0 PBKDF2, slot 1 argon2id (both cheap as made) ----
truncate -s 4M "$T/l2.img"
cryptsetup luksFormat -q --type luks2 $fast --key-size 256 --luks2-metadata-size 16k \
	--luks2-keyslots-size 512k --key-file "$T/key" "$T/l2.img" || fail "luksFormat luks2"
cryptsetup luksAddKey -q --pbkdf argon2id --pbkdf-memory 256 --pbkdf-parallel 1 \
	--pbkdf-force-iterations 4 --key-file "$T/key" "$T/l2.img" "$T/key" || fail "luksAddKey argon2id"
unlocks l2
luks_json "$T/l2.img" >"$T/l2.json"
# poke NAME JQ: a copy with its JSON rewritten (both copies, checksums right)
poke() {
	cp --sparse=always "$T/l2.img" "$T/$1.img"
	jq -c "$2" "$T/l2.json" >"$T/$1.json"
	luks2_rewrite "$T/$1.img" "$T/$1.json"
	cryptsetup luksDump "$T/$1.img" >/dev/null 2>&1 || fail "$1: cryptsetup refuses the poked header"
}
# both slots made costly: nothing is tried
poke l2-pbkdf2 ".keyslots[\"0\"].kdf.iterations = $U32 | .keyslots[\"1\"].kdf.memory = 4194305"
refused l2-pbkdf2 "key slot 0 asks for $U32 PBKDF2 iterations, more than diskatlas will run (limit 67108864)"
warnings l2-pbkdf2 | grep -qxF "key slot 1 asks for 4194305 KiB of argon2id memory, more than diskatlas will give (limit 4194304): not tried" ||
	fail "l2-pbkdf2: slot 1's memory not named: $(warnings l2-pbkdf2)"
poke l2-time ".keyslots[\"0\"].kdf.iterations = -1 | .keyslots[\"1\"].kdf.time = $U32"
refused l2-time "key slot 0 asks for -1 PBKDF2 iterations, more than diskatlas will run (limit 67108864)"
warnings l2-time | grep -qxF "key slot 1 asks for argon2id time cost $U32 over 256 KiB, more than diskatlas will run (limit 131072 at that memory): not tried" ||
	fail "l2-time: slot 1's time cost not named: $(warnings l2-time)"
poke l2-digest ".digests[\"0\"].iterations = 2147483647"
refused l2-digest "key slot 0 asks for 2147483647 PBKDF2 iterations of its digest, more than diskatlas will run (limit 67108864)"
# a slot of priority "ignore" is never tried, whatever it costs
poke l2-threads ".keyslots[\"0\"].priority = 0 | .keyslots[\"0\"].kdf.iterations = $U32 | .keyslots[\"1\"].kdf.cpus = 17"
refused l2-threads "key slot 1 asks for 17 argon2id threads, more than diskatlas will start (limit 16)"
poke l2-one ".keyslots[\"1\"].kdf.cpus = 17"
# one slot refused, the other opens: the volume is unlocked, the refusal a warning
unlocks l2-one
check_eq "l2-one: slot" "$(jq '.disks[0].content.unlocked_by_keyslot' "$T/l2-one.out")" 0
warnings l2-one | grep -qxF "key slot 1 asks for 17 argon2id threads, more than diskatlas will start (limit 16): not tried" ||
	fail "l2-one: no warning: $(warnings l2-one)"

# DISKATLAS_KDF_LIMIT=2 doubles the limits: the 17 threads are tried
# (and, poked, derive another key: the key is wrong for it)
poke l2-raised ".keyslots[\"0\"].kdf.iterations = $U32 | .keyslots[\"1\"].kdf.cpus = 17"
run l2-raised DISKATLAS_KDF_LIMIT=2
check_eq "l2-raised: status" "$st" 1
check_eq "l2-raised: stderr" "$(cat "$T/l2-raised.err")" \
	"diskatlas: l2-raised.img: wrong key: no other key slot opens with it; LUKS key slot 0 asks for $U32 PBKDF2 iterations, more than diskatlas will run (limit 134217728)"
run l2-raised DISKATLAS_KDF_LIMIT=junk
grep -q "key slot 0 asks for $U32 PBKDF2 iterations, more than diskatlas will run (limit 67108864)" "$T/l2-raised.err" ||
	fail "DISKATLAS_KDF_LIMIT=junk: $(cat "$T/l2-raised.err")"
echo "ok"
