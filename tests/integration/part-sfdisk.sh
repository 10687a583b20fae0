#!/bin/sh
# Partition tables against sfdisk: every partition with the same number,
# start, size and type; GPT names and UUIDs; the disk id.
. "$(dirname "$0")/../lib.sh"
requires sfdisk sgdisk jq xz

checked=0
for name in mbr-logical gpt-five gpt-damaged; do
	img=$(image "$name")
	sfdisk --json "$img" >"$T/sf.json" 2>/dev/null || fail "$name: sfdisk cannot read it"
	"$DA" --list --json "$img" >"$T/da.json" || fail "$name: diskatlas --list failed"
	# sfdisk: number from the node name's trailing digits; sectors -> bytes;
	# dos types as sfdisk prints them ("83", "5"), gpt types as GUIDs
	jq -r '.partitiontable as $t | $t.partitions[] |
		[(.node | capture("(?<n>[0-9]+)$").n), (.start * 512), (.size * 512),
		 (.type | ascii_downcase), (.uuid // "" | ascii_upcase), (.name // "")] | @tsv' \
		"$T/sf.json" | sort >"$T/want"
	jq -r '.disks[0].content.partitions[] |
		[(.number | tostring), .start, .size, (.type | ascii_downcase),
		 (.uuid // ""), (.label // "")] | @tsv' "$T/da.json" | sort >"$T/got"
	diff "$T/want" "$T/got" >"$T/diff" || { cat "$T/diff"; fail "$name: partitions differ from sfdisk"; }
	want_id=$(jq -r '.partitiontable.id | ascii_downcase' "$T/sf.json")
	got_id=$(jq -r '.disks[0].content.id | ascii_downcase' "$T/da.json")
	check_eq "$name: disk id" "$got_id" "$want_id"
	want_label=$(jq -r '.partitiontable.label' "$T/sf.json")
	got_label=$(jq -r '.disks[0].content.scheme' "$T/da.json")
	check_eq "$name: scheme" "$got_label" "$want_label"
	checked=$((checked + $(wc -l <"$T/want")))
done

# the damaged primary header is reported, the backup used: sgdisk first
# says so (else the image does not test what it should), then we must
img=$(image gpt-damaged)
sgdisk -v "$img" >"$T/sgdisk-v" 2>&1 || true
grep -q '^Main header: ERROR' "$T/sgdisk-v" && grep -q '^Backup header: OK' "$T/sgdisk-v" ||
	fail "gpt-damaged: sgdisk -v does not see a damaged main header and a good backup: $(cat "$T/sgdisk-v")"
"$DA" --list --json "$img" | jq -e '.disks[0].content.warnings | any(test("primary GPT header damaged.*backup"))' >/dev/null ||
	fail "gpt-damaged: no warning about the primary header"

# bootable flags: MBR p1 (sfdisk's "bootable": true), GPT p2 (attribute bit 2)
img=$(image mbr-logical)
want=$(sfdisk --json "$img" | jq -c '[.partitiontable.partitions[] | select(.bootable == true) | .start * 512]')
got=$("$DA" --list --json "$img" | jq -c '[.disks[0].content.partitions[] | select(.bootable) | .start]')
check_eq "mbr-logical: bootable" "$got" "$want"
img=$(image gpt-five)
got=$("$DA" --list --json "$img" | jq -c '[.disks[0].content.partitions[] | select(.bootable) | .number]')
want=$(sgdisk -A 2:show "$img" | grep -c "legacy BIOS bootable" | sed 's/^1$/[2]/')
check_eq "gpt-five: bootable" "$got" "$want"
echo "ok: $checked partitions agree with sfdisk"
