#!/bin/sh
# An MBR whose extended chain loops: diskatlas stops at the loop, says so,
# and keeps the logicals before it (sfdisk follows the loop until its own
# limit, repeating them).
. "$(dirname "$0")/../lib.sh"
requires sfdisk jq xz
img=$(image mbr-loop)
timeout 10 "$DA" --list --json "$img" >"$T/da.json" || fail "--list failed or hung (exit $?)"
jq -e '.disks[0].content.warnings | any(test("loops"))' "$T/da.json" >/dev/null || fail "no loop warning"
# the distinct logicals sfdisk sees, in chain order
sfdisk --json "$img" 2>/dev/null | jq -r '[.partitiontable.partitions[] | select((.node | capture("(?<n>[0-9]+)$").n | tonumber) >= 5) | "\(.start * 512) \(.size * 512)"] | unique | .[]' | sort -n >"$T/want"
jq -r '.disks[0].content.partitions[] | select(.number >= 5) | "\(.start) \(.size)"' "$T/da.json" | sort -n >"$T/got"
diff "$T/want" "$T/got" || fail "logicals differ from sfdisk's distinct ones"
timeout 10 "$DA" --lookup 5M --json "$img" >/dev/null || fail "--lookup failed or hung"
timeout 10 "$DA" --map "$img" >/dev/null || fail "--map failed or hung"
echo "ok: $(wc -l <"$T/got") logicals before the loop"
