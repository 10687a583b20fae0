#!/bin/sh
# Where a byte lives more than once, in --lookup --json: a RAID5 or RAID6
# byte's "parity" (P, and Q) and a RAID10 byte's "copies", each checked
# against md's layouts written out here by their documented rules, not by
# diskatlas's code:
#  - RAID5 left-symmetric (the committed md-raid5 disks; chunk, data
#    offset and roles from mdadm --examine): stripe s = chunk / (n-1) has
#    its parity on role (n-1) - s mod n and its k-th data chunk on role
#    (parity + 1 + k) mod n, all at data offset + s * chunk;
#  - RAID6 left-symmetric over five: P on (n-1) - s mod n, Q on the next;
#  - RAID10 far 2 over four: copy 1 striped as RAID0 over the first half
#    of each member, copy 2 the same over the second half, one member on;
#    offset 2 over three: each stripe written twice, the copy one member
#    on and one chunk down; far 2 with far sets over five: the second copy
#    moves one member on within its set ({0,1}, then {2,3,4}).
# The text form lists the same places.
. "$(dirname "$0")/../lib.sh"
requires jq mdadm python3
offsets="0 4095 65536 100000 131071 131072 200000 500000 1000000 1234567 2097152 3000000 4000000"

# --- RAID5 ---
a=$(image md-raid5-a); b=$(image md-raid5-b); c=$(image md-raid5-c)
for f in "$a" "$b" "$c"; do
	mdadm --examine "$f" >"$T/ex" 2>&1 || fail "mdadm --examine $f"
	grep -q 'Layout : left-symmetric' "$T/ex" || fail "$f: not left-symmetric"
	ch=$(($(sed -n 's/^ *Chunk Size : \([0-9]*\)K$/\1/p' "$T/ex") * 1024))
	doff=$(($(sed -n 's/^ *Data Offset : \([0-9]*\) sectors$/\1/p' "$T/ex") * 512))
	n=$(sed -n 's/^ *Raid Devices : //p' "$T/ex")
	role=$(sed -n 's/^ *Device Role : Active device //p' "$T/ex")
	eval "disk_$role=\$(basename \"\$f\")"
done
names="$disk_0 $disk_1 $disk_2"
for o in $offsets $((20 << 20)); do echo "data:$o"; done |
	"$DA" --lookup - --json "$a" "$b" "$c" >"$T/lk" || fail "--lookup - on the RAID5"
jq -r '"\(.where) \(.disk) \(.offset) " + ([.owners[] | select(.kind == "md_array") | .parity[] | "\(.which) \(.disk) \(.offset)"] | join(" "))' "$T/lk" >"$T/got"
for o in $offsets $((20 << 20)); do echo "$o"; done |
	awk -v n="$n" -v ch="$ch" -v doff="$doff" -v names="$names" '{
		split(names, nm, " ")
		c = int($1 / ch); s = int(c / (n - 1)); k = c % (n - 1)
		p = (n - 1) - s % n; d = (p + 1 + k) % n
		at = doff + s * ch + $1 % ch
		printf "data:%d %s %d P %s %d\n", $1, nm[d + 1], at, nm[p + 1], at
	}' >"$T/want"
diff "$T/want" "$T/got" >"$T/diff" || fail "RAID5 data and parity places differ (want, got): $(cat "$T/diff")"
# the text form
"$DA" --lookup data:200000 "$a" "$b" "$c" >"$T/text"
set -- $(grep "^data:200000 " "$T/want")
grep -qx "      parity: P on $5 @ $6" "$T/text" || fail "the text lookup does not list the parity $5 @ $6: $(cat "$T/text")"
echo "ok: RAID5 parity of $(wc -l <"$T/want") bytes"

# members N SIZE: N empty member files m0..m(N-1), their paths in $files
members() {
	files="" i=0
	while [ $i -lt "$1" ]; do
		rm -f "$T/m$i"; truncate -s "$2" "$T/m$i"
		files="$files $T/m$i"; i=$((i + 1))
	done
}
head -c 8M /dev/urandom >"$T/data"
UUID=0123456789abcdef0011223344556677
# build LEVEL LAYOUT N: members of 64 KiB + 2 MiB, data at 64 KiB
build() {
	members "$3" 2112K
	python3 "$IMAGES/mdraid.py" --level "$1" --layout "$2" --chunk 65536 \
		--data-offset 65536 --uuid $UUID --name t:arr --data "$T/data" $files ||
		fail "mdraid.py level $1 layout $2"
}
# lookups KEY: the array's offsets looked up, one line each: where, then
# KEY's places (which disk offset), sorted
lookups() {
	for o in $offsets; do echo "arr:$o"; done |
		"$DA" --lookup - --json $files >"$T/lk" || fail "--lookup -"
	jq -r --arg k "$1" '"\(.where) " + ([.owners[] | select(.kind == "md_array") | .[$k][]? | "\(.which // "-") \(.disk) \(.offset)"] | sort | join(" "))' "$T/lk"
}

# --- RAID6 left-symmetric over five ---
build 6 2 5
lookups parity >"$T/got"
for o in $offsets; do echo "$o"; done |
	awk -v n=5 -v ch=65536 -v doff=65536 '{
		c = int($1 / ch); s = int(c / (n - 2))
		p = (n - 1) - s % n; q = (p + 1) % n
		at = doff + s * ch + $1 % ch
		printf "arr:%d P m%d %d Q m%d %d\n", $1, p, at, q, at
	}' >"$T/want"
diff "$T/want" "$T/got" >"$T/diff" || fail "RAID6 P and Q places differ (want, got): $(cat "$T/diff")"
echo "ok: RAID6 P and Q of $(wc -l <"$T/want") bytes"

# --- RAID10 ---
# check NAME: $T/want (two places a line, in any order) against the lookups' copies
check_copies() {
	lookups copies >"$T/got"
	awk '{ a = "- " $2 " " $3; b = "- " $4 " " $5
		if (a > b) { t = a; a = b; b = t }
		print $1, a, b }' "$T/want" >"$T/want.s"
	diff "$T/want.s" "$T/got" >"$T/diff" || fail "$1: copies differ (want, got): $(cat "$T/diff")"
	echo "ok: $1 copies of $(wc -l <"$T/want") bytes"
}
# far 2 over four: 32 chunks a member, the second half from chunk 16
build 10 $((0x201)) 4
for o in $offsets; do echo "$o"; done | awk -v n=4 -v ch=65536 -v doff=65536 '{
	c = int($1 / ch); d = c % n; row = int(c / n); in_ = $1 % ch
	printf "arr:%d m%d %d m%d %d\n", $1, d, doff + row * ch + in_,
		(d + 1) % n, doff + (16 + row) * ch + in_ }' >"$T/want"
check_copies "RAID10 far 2"
# offset 2 over three (3 MiB)
offsets=${offsets% 4000000}
build 10 $((0x10201)) 3
for o in $offsets; do echo "$o"; done | awk -v n=3 -v ch=65536 -v doff=65536 '{
	c = int($1 / ch); d = c % n; row = int(c / n); in_ = $1 % ch
	printf "arr:%d m%d %d m%d %d\n", $1, d, doff + 2 * row * ch + in_,
		(d + 1) % n, doff + (2 * row + 1) * ch + in_ }' >"$T/want"
check_copies "RAID10 offset 2"
# far 2, far sets of near*far = 2 members over five: {0,1} {2,3,4}
build 10 $((0x40201)) 5
for o in $offsets; do echo "$o"; done | awk -v n=5 -v ch=65536 -v doff=65536 '{
	c = int($1 / ch); d = c % n; row = int(c / n); in_ = $1 % ch
	e = d < 2 ? 1 - d : 2 + (d - 2 + 1) % 3
	printf "arr:%d m%d %d m%d %d\n", $1, d, doff + row * ch + in_,
		e, doff + (16 + row) * ch + in_ }' >"$T/want"
check_copies "RAID10 far 2 in far sets"
check_eq "far set size" "$("$DA" --list --json $files | jq '.volumes[0].far_set_size')" 2
"$DA" --lookup arr:200000 $files | grep -q "2 copies: m[0-9] @ [0-9]*, m[0-9] @ [0-9]*" ||
	fail "the text lookup does not list both copies: $("$DA" --lookup arr:200000 $files)"
