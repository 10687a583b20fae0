#!/bin/sh
# One VG over two disks (an MBR partition and a whole disk): an ext4 LV
# that starts on one disk and ends on the other.  Both disks are given;
# lookups on each must find the LV at the right offset.
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq xz
. "$IMAGES/lvm-check.sh"
lvm_check lvm-span "span/big:filesystem:ext*" lvm-span-a lvm-span-b

# with one disk only, the VG is partial: the LV still maps what it can
a=$(image lvm-span-a)
"$DA" --list --json "$a" >"$T/one.json" || fail "--list with one disk of two"
jq -e '.volumes[] | select(.name == "span/big") | .partial == true and (.reason | test("missing"))' "$T/one.json" >/dev/null ||
	fail "span/big is not reported partial with lvm-span-b missing"
jq -e '[.. | objects | select(.type? == "lvm2_pv")][0].warnings | map(test("partial")) | any' "$T/one.json" >/dev/null ||
	fail "the PV does not say its VG is partial"
# its first extent is still found through the present disk
pes=$(jq -r '.report[0].pv[] | select(.pv_name | startswith("lvm-span-a")) | .pe_start | rtrimstr("B")' "$IMAGES/lvm-span.pvs.json")
at=$((1048576 + pes))
"$DA" --lookup "$at" --json "$a" | jq -e '.owners | map(.kind) | index("lv") != null' >/dev/null ||
	fail "lookup in a partial VG's LV"
echo "partial VG: 3 checks"
