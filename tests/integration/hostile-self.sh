#!/bin/sh
# Tables that contain themselves (tests/images/hostile.py): an MBR whose
# entries are its own sector, three entries spanning a 1 MiB disk from
# LBA 0, GPTs of 2 and 128 entries from LBA 0 to the end, a chain of
# MBRs each pointing four times at the next, and a tree of 2,048
# distinct tables (256 of which are scanned).  Each gives a bounded answer: --list, --map and
# --lookup in well under a second of CPU, the repeated table named, the
# scan's budget said where it stops; and under a memory limit the end is
# one line and exit 1, never abort().
. "$(dirname "$0")/../lib.sh"
requires python3 jq sfdisk
python3 "$IMAGES/hostile.py" "$T" self4 self3 gpt-self2 gpt-self128 mbr-chain mbr-tree

# CPU seconds (user + system) of one run, from GNU time
cpu() {
	/usr/bin/time -f '%U %S' -o "$T/time" timeout 20 "$DA" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	awk '{ printf "%.2f\n", $1 + $2 }' "$T/time" | tail -1
	return $rc
}
for img in self4 self3 gpt-self2 gpt-self128 mbr-chain mbr-tree; do
	for mode in --list --map "--lookup 300" "--list --json"; do
		# shellcheck disable=SC2086
		s=$(cpu $mode "$T/$img.img") || fail "$img $mode: exit $? $(cat "$T/err")"
		awk -v s="$s" 'BEGIN { exit !(s < 1.0) }' || fail "$img $mode: $s s of CPU"
		echo "ok: $img $mode: $s s"
	done
done

# the partitions sfdisk reads are the ones listed, and each of them is
# named as the disk's own table again, not scanned
for img in self4 self3; do
	want=$(sfdisk --json "$T/$img.img" | jq -r '.partitiontable.partitions[] | "\(.start * 512) \(.size * 512)"')
	"$DA" --list --json "$T/$img.img" >"$T/$img.json"
	got=$(jq -r '.disks[0].content.partitions[] | "\(.start) \(.size)"' "$T/$img.json")
	check_eq "$img partitions against sfdisk" "$got" "$want"
	n=$(echo "$want" | wc -l)
	reps=$(jq -r "[.disks[0].content.partitions[].content | select(.repeats == \"$img.img\")] | length" "$T/$img.json")
	check_eq "$img: partitions named as the same table" "$reps" "$n"
	warns=$(jq -r '[.disks[0].content.warnings[] | select(test("holds this mbr again"))] | length' "$T/$img.json")
	check_eq "$img: warnings" "$warns" "$n"
done
"$DA" --list --json "$T/gpt-self128.img" >"$T/g.json"
check_eq "gpt-self128: entries named as the same GPT" \
	"$(jq '[.disks[0].content.partitions[].content | select(.repeats)] | length' "$T/g.json")" 128

# the small EBR chains of the fuzz seeds read as sfdisk reads them
python3 "$IMAGES/hostile.py" "$T" mbr-logical3 mbr-ebr-loop
for img in mbr-logical3 mbr-ebr-loop; do
	want=$(sfdisk --json "$T/$img.img" 2>/dev/null | jq -r '[.partitiontable.partitions[] | "\(.start * 512) \(.size * 512)"] | unique | .[]')
	got=$("$DA" --list --json "$T/$img.img" | jq -r '[.disks[0].content.partitions[] | "\(.start) \(.size)"] | unique | .[]')
	check_eq "$img against sfdisk" "$got" "$want"
done
"$DA" --list "$T/mbr-ebr-loop.img" | grep -q "chain loops back" || fail "mbr-ebr-loop: no loop warning"

# the chain: four entries on one range hold one table, scanned once
"$DA" --list --json "$T/mbr-chain.img" >"$T/c.json"
jq -e '[.. | objects | select(.same_as)] | length > 0' "$T/c.json" >/dev/null ||
	fail "mbr-chain: no partition named as the same bytes as another"
# the tree: the budget stops it, and says so
"$DA" --list "$T/mbr-tree.img" >"$T/tree.txt"
grep -q "warning: the scan stopped at .*limit of 256 devices in a disk or volume" "$T/tree.txt" ||
	fail "mbr-tree: no budget warning"
grep -q "not scanned: the scan's limit" "$T/tree.txt" || fail "mbr-tree: no node says it was not scanned"

# out of memory: one line and exit 1 (or success), never a signal
if (ulimit -v 400000 && "$DA" --version) >/dev/null 2>&1; then
	# from the least address space the program starts in (its libraries
	# take their share), 36 MB more in steps of 2 MB
	base=4000
	while [ $base -lt 400000 ] && ! (ulimit -v $base && "$DA" --version) >/dev/null 2>&1; do
		base=$((base + 2000))
	done
	lim=$base oom=0
	while [ $lim -le $((base + 36000)) ]; do
		rc=0
		(ulimit -v $lim; exec "$DA" --map "$T/mbr-tree.img") >/dev/null 2>"$T/err" || rc=$?
		case $rc in
		0) ;;
		1) [ "$(wc -l <"$T/err")" -eq 1 ] || fail "ulimit -v $lim: $(cat "$T/err")"
		   grep -q '^diskatlas: out of memory$' "$T/err" && oom=$((oom + 1)) ;;
		127) ;;  # the loader itself had no room
		*) fail "ulimit -v $lim: exit $rc: $(cat "$T/err")" ;;
		esac
		lim=$((lim + 2000))
	done
	[ $oom -gt 0 ] || fail "no memory limit from $base to $((base + 36000)) KB made the scan run out"
	echo "ok: under memory limits, one line and exit 1 at worst ($oom runs out of memory)"
fi
echo "ok: tables that contain themselves"
