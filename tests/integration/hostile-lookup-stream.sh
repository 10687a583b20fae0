#!/bin/sh
# --lookup -: exactly one answer for each input line, by one rule: a
# final CR and blanks at both ends are dropped; an empty line and a line
# with a NUL byte are errors (exit 1), answered in place.
. "$(dirname "$0")/../lib.sh"
requires python3 jq
python3 "$IMAGES/hostile.py" "$T" self3
img="$T/self3.img"
# 10 lines, the last without a newline
printf '1K\n\n  2K  \n3K\000junk\n\0002K\r\n4K\r\n\t\nzz\n\t5K\t\n6K' >"$T/in"
rc=0; "$DA" --lookup - --json "$img" <"$T/in" >"$T/out.json" || rc=$?
check_eq "exit status" "$rc" 1
check_eq "JSON answers" "$(wc -l <"$T/out.json")" 10
jq -e . "$T/out.json" >/dev/null || fail "not JSON Lines: $(cat "$T/out.json")"
got=$(jq -r 'if .error then "E" else .offset end' "$T/out.json" | tr '\n' ' ')
check_eq "answers in order" "$got" "1024 E 2048 E E 4096 E E 5120 6144 "
jq -r 'select(.error) | .error' "$T/out.json" >"$T/errors"
check_eq "empty lines" "$(grep -c '^empty line' "$T/errors")" 2
check_eq "NUL lines" "$(grep -c 'NUL byte' "$T/errors")" 2
# the line is echoed whole, each NUL as U+FFFD
check_eq "NUL echo" "$(jq -r 'select(.error) | .where' "$T/out.json" | sed -n 2p)" "3K�junk"
check_eq "leading NUL echo" "$(jq -r 'select(.error) | .where' "$T/out.json" | sed -n 3p)" "�2K"
# text: one answer block (a line at column 0) per input line
rc=0; "$DA" --lookup - "$img" <"$T/in" >"$T/out.txt" || rc=$?
check_eq "text exit status" "$rc" 1
check_eq "text answers" "$(grep -c '^[^ ]' "$T/out.txt")" 10
check_eq "text errors" "$(grep -c '^error: ' "$T/out.txt")" 5
# a stream of good lines exits 0
printf '1K\n2K\n' | "$DA" --lookup - --json "$img" >/dev/null || fail "good lines: exit $?"
echo "ok: one answer a line"
