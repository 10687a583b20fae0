#!/bin/sh
# A RAID5 the size of a small NAS: three sparse 2 TiB members written by
# mdraid.py (left-symmetric, 64 KiB chunks, 4 MiB of random bytes at the
# array's start), 32 million chunks a member.  The array's size is
# mdadm --examine's; the owners of member bytes are checked against the
# bytes themselves near the start (a data byte holds the array byte the
# lookup names, a parity byte is the XOR of the other members') and
# against md's layout as mdraid.py writes it everywhere else, up to the
# members' last chunk; and one lookup's peak memory stays far below what
# a run a chunk would take (the index keeps the array's own space).
. "$(dirname "$0")/../lib.sh"
requires jq mdadm python3
head -c 4M /dev/urandom >"$T/data"
for k in 0 1 2; do truncate -s 2T "$T/m$k.img"; done
python3 "$IMAGES/mdraid.py" --data "$T/data" --uuid 0123456789abcdef0011223344556677 \
	--name test:nas --level 5 --layout 2 --chunk 65536 "$T/m0.img" "$T/m1.img" "$T/m2.img" ||
	fail "mdraid.py"
M="$T/m0.img $T/m1.img $T/m2.img"
# shellcheck disable=SC2086 # the members are three arguments
"$DA" --list --json $M >"$T/list.json" || fail "--list"
kib=$(mdadm --examine "$T/m0.img" | sed -n 's/^ *Array Size : \([0-9]*\) KiB.*/\1/p')
check_eq "array size" "$(jq -r '.volumes[] | select(.name == "nas") | .size' "$T/list.json")" \
	"$((kib * 1024))"
doff=$(($(mdadm --examine "$T/m0.img" | sed -n 's/^ *Data Offset : \([0-9]*\) sectors.*/\1/p') * 512))

# where: 200 offsets in the first 3 MiB of each member's data area, 200
# anywhere up to its last chunk
python3 - "$doff" "$kib" >"$T/where" <<'EOF'
import random, sys
doff, kib = int(sys.argv[1]), int(sys.argv[2])
per = kib * 1024 // 2                  # data area used on each member
random.seed(5)
for m in range(3):
    for i in range(200):
        print("m%d.img:%d" % (m, doff + random.randrange(3 << 20)))
    for i in range(200):
        print("m%d.img:%d" % (m, doff + random.randrange(per)))
EOF
peak=$(/usr/bin/time -f %M "$DA" --lookup - --json $M <"$T/where" 2>"$T/time" >"$T/owners" && tail -1 "$T/time")
[ "$(wc -l <"$T/owners")" -eq 1200 ] || fail "1200 answers expected, got $(wc -l <"$T/owners")"
[ "$peak" -lt 32768 ] || fail "1,200 lookups on a 3 x 2 TiB RAID5 peaked at $peak KiB"

# each answer: disk, offset, the member's role, the array's offset
jq -r '[.disk, .offset, (.owners[] | select(.kind == "md_member") | .role),
	((.owners[] | select(.kind == "md_array") | .offset) // -1)] | @tsv' "$T/owners" >"$T/got"
python3 - "$T" "$doff" "$IMAGES" <<'EOF' || fail "owners differ from the layout or the bytes"
import sys
T, doff = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from mdraid import raid5_place
chunk, n = 65536, 3
data = open(T + "/data", "rb").read()
files = [open("%s/m%d.img" % (T, k), "rb") for k in range(n)]
def at(k, off, ln=16):
    files[k].seek(off)
    return files[k].read(ln)
bad = checked_bytes = 0
for line in open(T + "/got"):
    disk, off, role, aoff = line.split("\t")
    k, off, aoff = int(disk[1]), int(off), int(aoff)
    rel = off - doff
    stripe, inside = rel // chunk, rel % chunk
    p, q, _ = raid5_place(5, 2, n, stripe, 0)
    if k == p:
        want_role, want = "parity", -1
    else:
        d = [j for j in range(n - 1) if raid5_place(5, 2, n, stripe, j)[2] == k][0]
        want_role, want = "data", (stripe * (n - 1) + d) * chunk + inside
    if (role, aoff) != (want_role, want):
        print("%s:%d: %s at %d, the layout says %s at %d" % (disk, off, role, aoff, want_role, want))
        bad += 1
        continue
    if rel + 16 <= 2 << 20:             # 32 stripes: the 4 MiB written
        got = at(k, off)
        if role == "data":
            ok = got == data[aoff:aoff + 16]
        else:
            x = bytes(a ^ b for a, b in zip(*(at(j, off) for j in range(n) if j != k)))
            ok = got == x and any(got)
        checked_bytes += 1
        if not ok:
            print("%s:%d: the bytes there are not the %s they are said to be" % (disk, off, role))
            bad += 1
print("%d answers checked against the layout, %d against the bytes" % (sum(1 for _ in open(T + "/got")), checked_bytes))
sys.exit(1 if bad else 0)
EOF
echo "ok: 3 x 2 TiB RAID5: 1,200 owners agree with the layout, peak $peak KiB"

# RAID10, two near copies over four members: member i's chunk row r holds
# array chunk (r * 4 + i) / 2
for k in 0 1 2; do rm -f "$T/m$k.img"; done
for k in 0 1 2 3; do truncate -s 2T "$T/r$k.img"; done
python3 "$IMAGES/mdraid.py" --data "$T/data" --uuid 00112233445566778899aabbccddeeff \
	--name test:r10 --level 10 --layout 258 --chunk 65536 "$T/r0.img" "$T/r1.img" "$T/r2.img" "$T/r3.img" ||
	fail "mdraid.py (RAID10)"
R="$T/r0.img $T/r1.img $T/r2.img $T/r3.img"
# shellcheck disable=SC2086 # the members are four arguments
"$DA" --list --json $R >"$T/list.json" || fail "--list (RAID10)"
kib=$(mdadm --examine "$T/r0.img" | sed -n 's/^ *Array Size : \([0-9]*\) KiB.*/\1/p')
check_eq "RAID10 size" "$(jq -r '.volumes[] | select(.name == "r10") | .size' "$T/list.json")" \
	"$((kib * 1024))"
{ sed 's/^m\([0-9]\)/r\1/' "$T/where"; sed -n 's/^m0/r3/p' "$T/where"; } >"$T/where10"
# shellcheck disable=SC2086
peak=$(/usr/bin/time -f %M "$DA" --lookup - --json $R <"$T/where10" 2>"$T/time" >"$T/owners" && tail -1 "$T/time")
[ "$peak" -lt 32768 ] || fail "1,600 lookups on a 4 x 2 TiB RAID10 peaked at $peak KiB"
jq -r '[.disk, .offset, ((.owners[] | select(.kind == "md_array") | .offset) // -1)] | @tsv' \
	"$T/owners" >"$T/got"
python3 - "$T" "$doff" <<'EOF' || fail "RAID10 owners differ from the layout or the bytes"
import sys
T, doff = sys.argv[1], int(sys.argv[2])
chunk, n = 65536, 4
data = open(T + "/data", "rb").read()
bad = checked = 0
for line in open(T + "/got"):
    disk, off, aoff = line.split("\t")
    k, off, aoff = int(disk[1]), int(off), int(aoff)
    rel = off - doff
    want = (rel // chunk * n + k) // 2 * chunk + rel % chunk
    if aoff != want:
        print("%s:%d: array offset %d, the layout says %d" % (disk, off, aoff, want))
        bad += 1
    elif want + 16 <= len(data):
        with open("%s/r%d.img" % (T, k), "rb") as f:
            f.seek(off)
            if f.read(16) != data[want:want + 16]:
                print("%s:%d: the bytes are not array byte %d" % (disk, off, want))
                bad += 1
        checked += 1
print("RAID10: %d answers checked against the layout, %d against the bytes" % (sum(1 for _ in open(T + "/got")), checked))
sys.exit(1 if bad else 0)
EOF
echo "ok: 4 x 2 TiB RAID10: 1,600 owners agree with the layout, peak $peak KiB"
