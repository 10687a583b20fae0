#!/bin/sh
# Enter on a locked LUKS volume asks its passphrase on the status line
# (never echoed); a wrong one says so in one line and leaves it locked;
# the right one opens it: the volume appears in the side pane and Enter
# goes into it, where the filesystem inside is seen, as --lookup with
# --key-file sees it.  The volume is made here with cryptsetup (LUKS2
# over an ext4 from mkfs.ext4 -d).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires cryptsetup mkfs.ext4
. "$IMAGES/luks-env.sh"
[ -x "$DA" ] || fail "diskatlas is not built"
mkdir -p "$T/src/docs"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "secret line %d\n", i }' >"$T/src/docs/plans.txt"
truncate -s 24M "$T/luks.img"
mkfs.ext4 -q -F -L inside -E root_owner=0:0 -d "$T/src" "$T/luks.img" 16M
printf 'open sesame' >"$T/key"
luks_encrypt "$T/luks.img" "$T/key" --reduce-device-size 8M
IMG="$T/luks.img"
uuid=$(cryptsetup luksUUID "$IMG")
pay=$(luks_json "$IMG" | jq -r '.segments["0"].offset')

tui_start "$IMG"
wait_indexed
# on the header, Enter does not ask
keys g; typed 0; keys Enter
keys Enter
screen | grep -q "Passphrase for" && fail "Enter on the header asked for a passphrase"
# on the payload it does; Esc cancels
keys g; typed "$((pay + 8192))"; keys Enter
keys Enter
wait_for "Passphrase for luks-$uuid" || fail "Enter on the payload did not ask: $(screen | tail -2)"
keys Escape
wait_for "not unlocked" || fail "Esc did not cancel: $(screen | tail -1)"
side | grep -q 'luks' || fail "no luks owner in the side pane: $(screen)"
keys Enter
wait_for "Passphrase for luks-$uuid" || fail "Enter did not ask: $(screen | tail -2)"
typed "not it"; keys Enter
wait_for "wrong key" || fail "a wrong passphrase: $(screen | tail -1)"
screen | grep -q "not it" && fail "the passphrase was shown"
keys Enter
wait_for "Passphrase for" || fail "Enter did not ask again"
typed "open sesame"
screen | grep -q "open sesame" && fail "the passphrase is on the screen"
keys Enter
wait_for "unlocked luks-$uuid" || fail "not unlocked: $(screen | tail -1)"
wait_indexed
# the side pane now names the volume and the filesystem in it
check_side_vs_lookup_key() {
	off=$(cursor_offset)
	got=$(side_owners)
	want=$("$DA" --lookup "$off" --json --key-file "$T/key" "$IMG" |
		jq -r '.owners[] | "\(.kind) \(.name) \(.offset)"')
	[ "$got" = "$want" ] || fail "$1: at $off the side pane says
$got
but --lookup --key-file says
$want"
	echo "ok: $1 ($(echo "$want" | tr '\n' ';'))"
}
check_side_vs_lookup_key "after unlocking"
side_owners | grep -q "^luks luks-$uuid " || fail "the volume is not among the owners"
side_owners | grep -q "^filesystem inside " || fail "the filesystem inside is not seen"
keys Enter
wait_for "view luks-$uuid" || fail "Enter did not go into the volume: $(screen | head -1)"
screen | grep -q "open sesame" && fail "the passphrase is on the screen"
keys q
wait_for "EXIT=0" || fail "did not quit cleanly: $(screen | tail -3)"
echo "ok: asked, refused a wrong passphrase, unlocked with the right one, entered the volume"
