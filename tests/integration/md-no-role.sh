#!/bin/sh
# An md array none of whose members holds a role (a spare and a faulty
# member only: mdadm --examine gives neither an active role): no array is assembled, and each
# member says why in a warning (before, nothing named the array at all).
. "$(dirname "$0")/../lib.sh"
requires jq python3 mdadm
P="$IMAGES/mdraid.py"
head -c 1M /dev/urandom >"$T/data"
for i in 0 1 2 3; do truncate -s 2M "$T/m$i"; done
# m0 and m1 active (made, then left out), m2 a spare, m3 faulty
python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344550001 --name t:lone \
	--level 1 "$T/m0" "$T/m1" "$T/m2=spare" "$T/m3=faulty" || fail "mdraid.py"
for i in 2 3; do
	mdadm --examine "$T/m$i" >"$T/ex$i" 2>&1 || fail "mdadm --examine m$i: $(cat "$T/ex$i")"
done
# neither holds an active role (mdadm 4.2 prints "spare" for a faulty one)
for i in 2 3; do
	grep -Eq 'Device Role : (spare|faulty)' "$T/ex$i" ||
		fail "mdadm gives m$i an active role: $(grep Role "$T/ex$i")"
done
"$DA" --list --json "$T/m2" "$T/m3" >"$T/list.json" 2>"$T/err" || fail "--list: $(cat "$T/err")"
check_eq "arrays" "$(jq '[.volumes[]? | select(.kind == "md_array")] | length' "$T/list.json")" 0
for d in 0 1; do
	jq -r ".disks[$d].content.warnings[]?" "$T/list.json" |
		grep -q 'array lone not assembled: no member present' ||
		fail "m$((d + 2)): no warning naming the array: $(jq -c ".disks[$d].content" "$T/list.json")"
done
echo "ok: an array of only a spare and a faulty member is named in a warning on each"
