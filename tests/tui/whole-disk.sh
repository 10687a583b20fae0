#!/bin/sh
# A filesystem on a whole disk (no partition table) can be entered as one
# in a partition can, whatever its block size: Enter on the NTFS of
# ntfs-small (512-byte clusters, the disk's own block size, as ntfsinfo
# says) and on the XFS of xfs-small opens the filesystem's own view at the
# same byte, whose owners agree with --lookup; Backspace comes back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires blkid ntfsinfo
[ -x "$DA" ] || fail "diskatlas is not built"

for name in ntfs-small xfs-small; do
	need_image "$name"
	type=$(blkid -o value -s TYPE "$IMG")
	[ -n "$type" ] || fail "blkid finds no filesystem on $name"
	if [ "$type" = ntfs ]; then
		cs=$(ntfsinfo -m "$IMG" 2>/dev/null | awk -F: '/Cluster Size/ { print $2 + 0 }')
		echo "$name: ntfs, clusters of $cs bytes (ntfsinfo)"
	fi
	off=$(($(stat -c %s "$IMG") / 3 + 123))
	tui_start "$IMG"
	wait_indexed
	keys g; typed "$off"; keys Enter
	check_side_vs_lookup "$name at $off"
	keys Enter
	wait_for "view $name.img:$type " ||
		fail "Enter on the $type of $name did not open it: $(screen | head -1) / $(screen | tail -1)"
	check_eq "$name: the offset in the $type" "$(cursor_offset)" "$off"
	got=$(side_owners)
	want=$(lookup_owners "$off")
	check_eq "$name: the owners in the $type's view" "$got" "$want"
	keys BSpace
	wait_for "view $name.img " || fail "Backspace did not come back: $(screen | head -1)"
	check_eq "$name: back on the disk" "$(cursor_offset)" "$off"
	echo "ok: $name: Enter opens $name.img:$type at $off, Backspace comes back"
	keys q
	wait_for '^EXIT=0$' || fail "q"
	tui_stop
done
echo ok
