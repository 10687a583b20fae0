#!/bin/sh
# Hostile LVM2 metadata (tests/images/hostile.py): a VG of 45,000 LVs and
# an LV of 195 mirror segments of 128 legs that name missing LVs (about
# 1 MiB of text) costs well under a second; two LVs named lv0 are named
# apart (vg0/lv0#2) with a warning, and each is reached by NAME:OFFSET
# where LVM's own pvck says its extents are.
. "$(dirname "$0")/../lib.sh"
requires python3 pvck jq
python3 "$IMAGES/hostile.py" "$T" lvm-dup lvm-many
cpu() {
	/usr/bin/time -f '%U %S' -o "$T/time" timeout 20 "$DA" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	awk '{ printf "%.2f\n", $1 + $2 }' "$T/time" | tail -1
	return $rc
}
# pvck reads the crafted metadata as LVM does (its checksums, its text)
pvck --dump metadata "$T/lvm-many.img" 2>/dev/null >"$T/many.txt" || fail "pvck refuses lvm-many"
check_eq "pvck: LVs in lvm-many" "$(grep -c '^l[0-9]* {  }$' "$T/many.txt")" 45000
for mode in --list --map "--lookup 3M" "--list --json"; do
	# shellcheck disable=SC2086
	s=$(cpu $mode "$T/lvm-many.img") || fail "lvm-many $mode: exit $? $(cat "$T/err")"
	awk -v s="$s" 'BEGIN { exit !(s < 1.0) }' || fail "lvm-many $mode: $s s of CPU"
	echo "ok: lvm-many $mode: $s s"
done
"$DA" --list --json "$T/lvm-many.img" >"$T/many.json"
check_eq "lvm-many: legs listed in a segment" \
	"$(jq '.volumes[0].segments[0].legs | length' "$T/many.json")" 128
jq -e '.volumes[0].reason | test("leg gone0 unusable")' "$T/many.json" >/dev/null ||
	fail "lvm-many: no reason for the missing legs"

# duplicate names: the truth from pvck's dump of the text
pvck --dump metadata "$T/lvm-dup.img" 2>/dev/null >"$T/dup.txt" || fail "pvck refuses lvm-dup"
check_eq "pvck: two sections lv0" "$(grep -c '^lv0 {' "$T/dup.txt")" 2
ext=$(sed -n 's/^extent_size = \([0-9]*\)$/\1/p' "$T/dup.txt")
pe_start=$(sed -n 's/.* pe_start = \([0-9]*\) .*/\1/p' "$T/dup.txt")
"$DA" --list --json "$T/lvm-dup.img" >"$T/dup.json"
check_eq "volume names" "$(jq -r '[.volumes[].name] | join(" ")' "$T/dup.json")" "vg0/lv0 vg0/lv1 vg0/lv0#2"
jq -e '.disks[0].content.warnings | any(test("two LVs named lv0: the second is vg0/lv0#2"))' "$T/dup.json" >/dev/null ||
	fail "no warning about the two lv0"
k=0
grep '^lv0 {' "$T/dup.txt" | sed 's/.*stripes = \["pv0", \([0-9]*\)\].*/\1/' | while read -r pe; do
	k=$((k + 1))
	name=vg0/lv0; [ $k -eq 2 ] && name='vg0/lv0#2'
	want=$(((pe_start + pe * ext) * 512 + 100))
	got=$("$DA" --lookup "$name:100" --json "$T/lvm-dup.img" | jq -r '"\(.offset) \(.owners[-1].name)"')
	check_eq "$name:100" "$got" "$want $name"
	echo "ok: $name:100 is disk byte $want"
done
echo "ok: hostile LVM2 metadata"
