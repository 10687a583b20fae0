#!/bin/sh
# Sizes at and past 2^63 (tests/images/hostile.py gpt-huge): an entry of
# exactly 2^63 bytes prints as 9223372036854775808 in text and JSON, never
# negative; an entry from LBA 0 to 2^64-1 and one whose first LBA times
# 512 passes 2^64 are reported as overflow, not as "first after last".
# Sizes from sfdisk --json, read exactly (jq would round them).
. "$(dirname "$0")/../lib.sh"
requires python3 sfdisk
python3 "$IMAGES/hostile.py" "$T" gpt-huge
img="$T/gpt-huge.img"
sfdisk --json "$img" >"$T/sfdisk.json" 2>/dev/null || fail "sfdisk cannot read the table"
want=$(python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))["partitiontable"]["partitions"][0]
print(p["start"] * 512, p["size"] * 512)' "$T/sfdisk.json")
check_eq "sfdisk's partition 1 is 2^63 bytes" "${want#* }" 9223372036854775808

"$DA" --list "$img" >"$T/list.txt" 2>"$T/err" || true
grep -q "partition p1  start=${want% *} size=${want#* } (8 EiB)" "$T/list.txt" ||
	fail "text: $(grep 'partition p1' "$T/list.txt")"
"$DA" --list --json "$img" >"$T/list.json" 2>/dev/null || true
python3 - "$T/list.json" "$want" <<'PY' || fail "JSON sizes"
import json, sys
d = json.load(open(sys.argv[1]))
start, size = map(int, sys.argv[2].split())
p = d["disks"][0]["content"]["partitions"]
assert [(q["number"], q["start"], q["size"]) for q in p][0] == (1, start, size), p[0]
assert all(q["size"] >= 0 and q["start"] >= 0 for q in p)
assert [q["number"] for q in p] == [1, 4], [q["number"] for q in p]
PY
grep -q -- ':-[0-9]' "$T/list.json" && fail "a negative number in the JSON: $(grep -o -- '"[a-z_]*":-[0-9]*' "$T/list.json")"
for e in 2 3; do
	grep -q "warning: entry $e: LBAs .*: overflow: the range does not fit in 64-bit byte offsets: ignored" "$T/list.txt" ||
		fail "entry $e: $(grep "entry $e" "$T/list.txt")"
done
grep -q "first LBA after last LBA" "$T/list.txt" && fail "overflow called first after last"
# entry 1 runs past the end of this 4 MiB disk: the short-image rule
grep -q "truncated image or damaged table: partition p1 runs past the end" "$T/err" ||
	fail "no past-the-end line: $(cat "$T/err")"
echo "ok: sizes past 2^63"
