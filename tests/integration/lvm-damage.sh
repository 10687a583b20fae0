#!/bin/sh
# Damaged LVM2 images: a truncated disk, a metadata area header and a label
# with bad bytes.  Each must be reported with a reason, never crash, and
# keep what can still be mapped.  Offsets come from the lvs/pvs truth.
. "$(dirname "$0")/../lib.sh"
requires jq xz
checked=0
ok() { checked=$((checked + 1)); }
src=$(image lvm-gpt)
pvoff=1048576      # partition 1 (the PV) starts at 2048s, see lvm-gpt.sh
pes=$(jq -r '.report[0].pv[0].pe_start | rtrimstr("B")' "$IMAGES/lvm-gpt.pvs.json")
ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$IMAGES/lvm-gpt.pvs.json")
# data's second segment, from lvs
seg2=$(jq -r '.report[0].seg[] | select(.lv_name == "data" and .seg_start_pe == "8") | .seg_pe_ranges | sub(".*:"; "") | sub("-.*"; "")' "$IMAGES/lvm-gpt.lvs.json")

# --- truncated in the middle of data's second segment ---
cp --sparse=always "$src" "$T/trunc.img"
cut=$((pvoff + pes + (seg2 + 5) * ext))
truncate -s "$cut" "$T/trunc.img"
"$DA" --list --json "$T/trunc.img" >"$T/trunc.json" 2>"$T/err" || true
jq -e '.volumes[] | select(.name == "atlas/data") | .reason | test("beyond")' "$T/trunc.json" >/dev/null ||
	fail "truncated: atlas/data has no reason"; ok
jq -e '[.. | objects | select(.type? == "lvm2_pv")][0].warnings | map(test("do not fit")) | any' "$T/trunc.json" >/dev/null ||
	fail "truncated: the PV does not warn"; ok
# the extents that remain still map to the LV, at the LV's offset
at=$((pvoff + pes + (seg2 + 2) * ext + 100))
got=$("$DA" --lookup "$at" --json "$T/trunc.img" 2>/dev/null | jq -r '.owners[] | select(.kind == "lv") | "\(.name) \(.offset)"')
check_eq "truncated: lookup in the remaining extents" "$got" "atlas/data $(((8 + 2) * ext + 100))"; ok

# --- a metadata area header with a bad byte: no VG, a warning ---
cp --sparse=always "$src" "$T/mda.img"
printf 'X' | dd of="$T/mda.img" bs=1 seek=$((pvoff + 4096 + 8)) conv=notrunc status=none
"$DA" --list --json "$T/mda.img" >"$T/mda.json" || fail "--list on a bad metadata area"
jq -e '.volumes | length == 0' "$T/mda.json" >/dev/null || fail "bad metadata area: volumes found"; ok
jq -e '[.. | objects | select(.type? == "lvm2_pv")][0].warnings | map(test("metadata area")) | any' "$T/mda.json" >/dev/null ||
	fail "bad metadata area: no warning"; ok
got=$("$DA" --lookup $((pvoff + pes + 100)) --json "$T/mda.img" | jq -r '.owners[-1] | "\(.kind) \(.role)"')
check_eq "bad metadata area: extents" "$got" "lvm2_pv unallocated"; ok

# --- a label with a bad byte: unknown, with the reason ---
cp --sparse=always "$src" "$T/label.img"
printf 'X' | dd of="$T/label.img" bs=1 seek=$((pvoff + 512 + 40)) conv=notrunc status=none
"$DA" --list --json "$T/label.img" >"$T/label.json" || fail "--list on a bad label"
got=$(jq -r '.disks[0].content.partitions[0].content | "\(.type) \(.reason)"' "$T/label.json")
case $got in "unknown lvm2: label in sector 1: bad checksum") ;; *) fail "bad label: got '$got'" ;; esac; ok
echo "$checked checks"
