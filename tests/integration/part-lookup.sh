#!/bin/sh
# --lookup on partitioned disks at chosen offsets: in the tables, at the
# first, middle and last byte of every partition, in the gaps, past the
# last partition, at the last byte of the disk.  The expected owners are
# computed from sfdisk's report, never from ours.
. "$(dirname "$0")/../lib.sh"
requires sfdisk jq xz

checked=0
# owners IMG OFFSET: the compact owner chain "kind:name:offset:role ..."
owners() {
	"$DA" --lookup "$2" --json "$1" |
		jq -r '[.owners[] | "\(.kind):\(.name // ""):\(.offset):\(.role // "")"] | join(" ")'
}
expect() {
	got=$(owners "$1" "$2")
	[ "$got" = "$3" ] || fail "$(basename "$1") @ $2: got '$got', want '$3'"
	checked=$((checked + 1))
}

# --- GPT: gpt-five ---
img=$(image gpt-five)
size=$(stat -c %s "$img")
expect "$img" 0 "partition_table:gpt:0:protective_mbr"
expect "$img" 512 "partition_table:gpt:512:gpt_header"
expect "$img" 1024 "partition_table:gpt:1024:gpt_entries"
expect "$img" $((size - 1)) "partition_table:gpt:$((size - 1)):gpt_backup_header"
expect "$img" $((size - 512 - 1)) "partition_table:gpt:$((size - 513)):gpt_backup_entries"
sfdisk --json "$img" | jq -r '.partitiontable.partitions[] | "\(.node | capture("(?<n>[0-9]+)$").n) \(.start * 512) \(.size * 512)"' >"$T/parts"
prev_end=0
while read -r n start len; do
	for o in 0 $((len / 2)) $((len - 1)); do
		at=$((start + o))
		expect "$img" "$at" "partition_table:gpt:$at:partition partition:p$n:$o:"
	done
	# the gap before this partition, past the table's own sectors
	if [ "$prev_end" -gt 0 ] && [ "$start" -gt "$prev_end" ]; then
		expect "$img" "$prev_end" "partition_table:gpt:$prev_end:unallocated"
		expect "$img" $((start - 1)) "partition_table:gpt:$((start - 1)):unallocated"
	fi
	prev_end=$((start + len))
done <"$T/parts"
# past the last partition, before the backup entries
expect "$img" "$prev_end" "partition_table:gpt:$prev_end:unallocated"

# sectors and JSON shape: 2048s is p1's first byte
"$DA" --lookup 2048s --json "$img" | jq -e '.disk == "gpt-five.img" and .offset == 1048576 and
	(.owners | length == 2) and .owners[1].kind == "partition" and .owners[1].offset == 0' >/dev/null ||
	fail "--lookup 2048s --json"

# --lookup -: one JSON line an input line, the same answers as one by one
awk -v size="$size" 'BEGIN { srand(5); for (i = 0; i < 300; i++) printf "%d\n", int(rand() * size) }' >"$T/offs"
"$DA" --lookup - --json "$img" <"$T/offs" >"$T/lines"
check_eq "--lookup - line count" "$(wc -l <"$T/lines")" 300
jq -e . "$T/lines" >/dev/null || fail "--lookup - gave invalid JSON"
for off in $(head -20 "$T/offs"); do
	one=$("$DA" --lookup "$off" --json "$img")
	grep -qxF "$one" "$T/lines" || fail "--lookup - differs from --lookup $off"
done
# WHERE with the disk's name, and sectors
check_eq "DISK:OFFSET" "$(echo "gpt-five.img:2048s" | "$DA" --lookup - --json "$img" | jq -c .owners[1])" \
	"$("$DA" --lookup 1M --json "$img" | jq -c .owners[1])"

# --- MBR with logicals: mbr-logical ---
img=$(image mbr-logical)
size=$(stat -c %s "$img")
sfdisk --json "$img" | jq -r '.partitiontable.partitions[] | "\(.node | capture("(?<n>[0-9]+)$").n) \(.start * 512) \(.size * 512) \(.type)"' >"$T/parts"
expect "$img" 0 "partition_table:dos:0:mbr"
expect "$img" 511 "partition_table:dos:511:mbr"
expect "$img" 512 "partition_table:dos:512:unallocated"
expect "$img" $((size - 1)) "partition_table:dos:$((size - 1)):unallocated"
ext_start=$(awk '$4 == "5" { print $2 }' "$T/parts")
ext_n=$(awk '$4 == "5" { print $1 }' "$T/parts")
# the first EBR is the extended partition's first sector
expect "$img" "$ext_start" "partition_table:dos:$ext_start:ebr partition:p$ext_n:0:"
while read -r n start len type; do
	[ "$type" = 5 ] && continue
	for o in 0 $((len / 2)) $((len - 1)); do
		at=$((start + o))
		if [ "$n" -ge 5 ]; then
			expect "$img" "$at" "partition_table:dos:$at:partition partition:p$ext_n:$((at - ext_start)): partition:p$n:$o:"
		else
			expect "$img" "$at" "partition_table:dos:$at:partition partition:p$n:$o:"
		fi
	done
	if [ "$n" -ge 6 ]; then
		# the sector before a later logical is its EBR, inside the extended
		ebr=$((start - 512 * 2048))
		[ "$ebr" -ge "$ext_start" ] &&
			expect "$img" "$((start - 1))" "partition_table:dos:$((start - 1)):unallocated partition:p$ext_n:$((start - 1 - ext_start)):"
	fi
done <"$T/parts"
echo "ok: $checked lookups agree with sfdisk's layout"
