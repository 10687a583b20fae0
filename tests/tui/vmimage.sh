#!/bin/sh
# A qcow2 in the explorer: the guest disk first, its image file one more
# disk (] reaches it, [ goes back); g to a host byte that qemu-img map
# says holds guest byte G shows the data cluster, then the guest at G and
# the guest's own owners there, as --lookup gives them; Enter steps into
# the guest's filesystem and Backspace comes back to the host byte.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires qemu-img
[ -x "$DA" ] || fail "diskatlas is not built"
raw=$(image lvm-gpt)
qemu-img convert -O qcow2 "$raw" "$T/vm.qcow2"
IMG="$T/vm.qcow2"
# the third extent qemu-img places in the file (inside the LVM partition)
set -- $(qemu-img map --output=json "$IMG" |
	jq -r '[.[] | select(.offset != null)][2] | "\(.offset) \(.start)"')
host=$1 guest=$2
tui_start "$IMG"
wait_indexed
screen | head -1 | grep -q '\[vm.qcow2 96 MiB\]' || fail "the guest is not the first disk: $(screen | head -1)"
keys ']'
wait_for 'view vm.qcow2@host' || fail "] did not reach the image file: $(screen | head -1)"
keys g
typed "$host"
keys Enter
wait_for "offset 0x[0-9a-f]* \\($host\\)" || fail "g did not go to $host: $(side)"
got=$(side_owners)
echo "$got" | head -2 | tr '\n' ';' | grep -q "^image qcow2 $host;guest vm.qcow2 $guest;$" ||
	fail "the host byte is not shown as guest byte $guest: $got"
want=$("$DA" --lookup "vm.qcow2@host:$host" --json "$IMG" | jq -r '.owners[] | "\(.kind) \(.name) \(.offset)"')
check_eq "side pane vs --lookup" "$got" "$want"
echo "ok: host byte $host: $(echo "$got" | tr '\n' ';')"
# Enter steps from the host cluster into the guest's innermost owner (the
# LV's ext4 here) and Backspace comes back out to the same host byte
keys Enter
wait_for 'view atlas/data:ext4' || fail "Enter did not step into the guest: $(screen | head -1)"
keys BSpace
wait_for "view vm.qcow2@host .*@ 0x$(printf %x "$host") " || fail "Backspace did not come back to the host byte: $(screen | head -1)"
echo "ok: Enter into the guest's filesystem and back out to host byte $host"
keys '['
wait_for 'view vm.qcow2 ' || fail "[ did not go back to the guest: $(screen | head -1)"
echo "ok: [ and ] between the guest and its image file"
