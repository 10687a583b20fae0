#!/bin/sh
# A striped LV the size of a small server's: two sparse 2 TiB PVs on loop
# devices, and lvcreate -i2 -I64k over all of both (lvm2 with
# --driverloaded n; 64 million chunks).  The owners of 400 PV bytes are
# the LV at the offset that lvs' segment (its stripes' PE ranges, stripe
# size) and pvs' pe_start give, and the peak memory of those lookups
# stays far below a run a chunk (the LV keeps an index of its own).
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq lvm losetup python3
can_loop || skip "loop devices cannot be attached here"
. "$IMAGES/lvm-env.sh"
lvm_begin
for k in 0 1; do truncate -s 2T "$T/pv$k.img"; done
pv0=$(loop_attach "$T/pv0.img")
pv1=$(loop_attach "$T/pv1.img")
L pvcreate --norestorefile "$pv0"
L pvcreate --norestorefile "$pv1"
L vgcreate -s 4M scalevg "$pv0" "$pv1"
L lvcreate -an -Zn -i 2 -I 64k -l 100%FREE -n wide scalevg
ext=$(R vgs --noheadings --nosuffix --units b -o vg_extent_size scalevg | tr -d ' ')
R pvs --noheadings --nosuffix --units b -o pv_name,pe_start >"$T/pes"
R lvs --segments --noheadings --nosuffix --units b --separator ' ' \
	-o seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges scalevg/wide >"$T/segs"
[ "$(wc -l <"$T/segs")" -eq 1 ] || fail "one segment expected: $(cat "$T/segs")"
read -r _ count nstripes ssize ranges <"$T/segs"
check_eq "stripes" "$nstripes" 2
# each stripe: its image, where its PE range starts, in bytes
i=0
for r in $ranges; do
	dev=${r%%:*}; pe=${r#*:}; pe=${pe%%-*}
	pes=$(awk -v d="$dev" '$1 == d { print $2 }' "$T/pes")
	img=$(awk -v d="$dev" '$1 == d { print $2 }' "$LT/map")
	echo "$i ${img%@*} $((pes + pe * ext))" >>"$T/stripes"
	i=$((i + 1))
done
area=$((count / nstripes * ext))
python3 - "$T" "$area" <<'EOF' >"$T/where"
import random, sys
T, area = sys.argv[1], int(sys.argv[2])
random.seed(11)
for line in open(T + "/stripes"):
    i, img, base = line.split()
    for k in range(200):
        print("%s:%d" % (img, int(base) + random.randrange(area)))
EOF
# shellcheck disable=SC2086
peak=$(/usr/bin/time -f %M "$DA" --lookup - --json "$T/pv0.img" "$T/pv1.img" <"$T/where" \
	2>"$T/time" >"$T/owners" && tail -1 "$T/time")
[ "$(wc -l <"$T/owners")" -eq 400 ] || fail "400 answers expected: $(head -3 "$T/time")"
[ "$peak" -lt 32768 ] || fail "400 lookups on a 4 TiB striped LV peaked at $peak KiB"
jq -r '[.disk, .offset, ((.owners[] | select(.name == "scalevg/wide") | .offset) // -1)] | @tsv' \
	"$T/owners" >"$T/got"
python3 - "$T" "$ssize" "$nstripes" <<'EOF' || fail "LV offsets differ from lvs' segment"
import sys
T, ssize, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stripes = {}
for line in open(T + "/stripes"):
    i, img, base = line.split()
    stripes[img] = (int(i), int(base))
bad = 0
for line in open(T + "/got"):
    disk, off, lv = line.split("\t")
    i, base = stripes[disk]
    rel = int(off) - base
    want = (rel // ssize * n + i) * ssize + rel % ssize
    if int(lv) != want:
        print("%s:%s: LV offset %s, lvs says %d" % (disk, off, lv, want))
        bad += 1
sys.exit(1 if bad else 0)
EOF
echo "ok: a 4 TiB LV striped over two 2 TiB PVs: 400 owners agree with lvs, peak $peak KiB"
