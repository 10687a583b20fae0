#!/bin/sh
# RAID6 with two members missing: the lost chunks come back from P and Q.
# Members are written by mdraid.py (P the XOR, Q md's syndrome in
# GF(2^8), the data slots counted from the member after Q as raid5.c
# does), then members are left out:
#  - an ext4 on a five-member left-symmetric array (mdadm's default):
#    every pair of members left out, --cat gives back the filesystem the
#    array was made of byte for byte, and e2fsck -fn passes on it;
#  - random bytes in every RAID6 layout md has (0-5, 16-20) over five and
#    six members, every pair left out: two data chunks (P and Q solve),
#    one data chunk and P (Q solve), data and Q, P and Q;
#  - three members left out: the array is failed and --cat fails in one
#    line that names the stripe's trouble.
. "$(dirname "$0")/../lib.sh"
requires jq python3 mkfs.ext4 e2fsck debugfs mdadm
. "$IMAGES/ext-tree.inc"
UUID=0123456789abcdef0011223344556677
vol() { jq -r --arg v "$1" ".volumes[] | select(.name == \$v) | $2" "$T/list.json"; }
# members N SIZE: N empty member files, their paths in $files
members() {
	files="" i=0
	while [ $i -lt "$1" ]; do
		rm -f "$T/m$i"; truncate -s "$2" "$T/m$i"
		files="$files $T/m$i"; i=$((i + 1))
	done
}
# without A B: the member files but A and B, one a line
without() {
	i=0
	for f in $files; do
		[ $i = "$1" ] || [ $i = "$2" ] || printf '%s\n' "$f"
		i=$((i + 1))
	done
}

# --- ext4 on five members, left-symmetric ---
tree "$T/src" 4 30
seq 1 30000 >"$T/src/numbers.txt"
truncate -s 9M "$T/fs"
mkfs.ext4 -q -F -b 1024 -U 6a6a6a6a-0000-4000-8000-000000000066 -d "$T/src" "$T/fs"
members 5 4M
python3 "$IMAGES/mdraid.py" --level 6 --layout 2 --chunk 65536 --uuid $UUID \
	--name nas:r6 --data "$T/fs" $files || fail "mdraid.py"
for f in $files; do
	mdadm --examine "$f" >"$T/ex" 2>&1 || fail "mdadm --examine $f"
	grep -q 'Checksum : .* - correct' "$T/ex" || fail "$f: checksum not correct"
	grep -q 'Raid Level : raid6' "$T/ex" || fail "$f: not raid6: $(cat "$T/ex")"
done
"$DA" --list --json $files >"$T/list.json"
size=$(vol r6 .size)
check_eq "array size (3 data members of 3 MiB)" "$size" $((9 << 20))
pairs=0
for a in 0 1 2 3 4; do
	for b in 0 1 2 3 4; do
		[ $a -lt $b ] || continue
		# shellcheck disable=SC2046
		set -- $(without $a $b)
		"$DA" --list --json "$@" >"$T/list.json"
		check_eq "state without $a and $b" "$(vol r6 .state)" degraded
		"$DA" --cat "r6:0+$size" "$@" >"$T/out" 2>"$T/err" ||
			fail "--cat without members $a and $b: $(cat "$T/err")"
		cmp -s "$T/out" "$T/fs" || fail "without members $a and $b: the array's bytes differ from the filesystem it was made of"
		e2fsck -fn "$T/out" >"$T/fsck" 2>&1 || fail "without members $a and $b: e2fsck -fn: $(tail -5 "$T/fsck")"
		pairs=$((pairs + 1))
	done
done
check_eq "pairs left out" $pairs 10
# a file inside, read by debugfs from the array rebuilt without two members
debugfs -R "cat /numbers.txt" "$T/out" 2>/dev/null | cmp -s - "$T/src/numbers.txt" ||
	fail "debugfs cat /numbers.txt of the rebuilt array differs"
# three members missing: failed, and a read that needs them fails in one line
set -- "$T/m0" "$T/m1"
"$DA" --list --json "$@" >"$T/list.json"
check_eq "state without three members" "$(vol r6 .state)" failed
if "$DA" --cat "r6:0+$size" "$@" >"$T/out" 2>"$T/err"; then
	fail "--cat of an array without three members succeeded"
fi
check_eq "error lines" "$(wc -l <"$T/err")" 1
grep -q "missing" "$T/err" || fail "the error does not say what is missing: $(cat "$T/err")"

# --- random bytes, every layout, every pair ---
head -c 4M /dev/urandom >"$T/data"
runs=0
for lay in 0 1 2 3 4 5 16 17 18 19 20; do
	for n in 5 6; do
		members $n 1088K
		python3 "$IMAGES/mdraid.py" --level 6 --layout $lay --chunk 65536 \
			--data-offset 65536 --uuid $UUID --name t:r6 --data "$T/data" $files || fail "mdraid.py layout $lay"
		size=$("$DA" --list --json $files | jq '.volumes[0].size')
		check_eq "layout $lay over $n: size" "$size" $(((n - 2) << 20))
		a=0
		while [ $a -lt $n ]; do
			b=$((a + 1))
			while [ $b -lt $n ]; do
				# shellcheck disable=SC2046
				set -- $(without $a $b)
				"$DA" --cat "r6:0+$size" "$@" >"$T/out" 2>"$T/err" ||
					fail "layout $lay over $n without $a and $b: $(cat "$T/err")"
				cmp -s -n "$size" "$T/out" "$T/data" ||
					fail "layout $lay over $n without $a and $b: the bytes differ"
				runs=$((runs + 1))
				b=$((b + 1))
			done
			a=$((a + 1))
		done
	done
done
check_eq "arrays read without two members" $runs 275
echo "md-raid6: ext4 read back without each of 10 pairs; 11 layouts, $runs degraded reads"
