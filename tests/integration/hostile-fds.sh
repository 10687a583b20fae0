#!/bin/sh
# Standard descriptors closed at start: the image must not become fd 0
# (read as --lookup -'s offsets) or fd 1/2 (written into).  A closed
# standard input reads as empty, a closed standard output is an error
# that says so, a closed standard error only loses the messages.
. "$(dirname "$0")/../lib.sh"
requires python3
python3 "$IMAGES/hostile.py" "$T" self3
img="$T/self3.img"
"$DA" --list "$img" >"$T/want.txt" 2>/dev/null || true

# stdin closed: no offset read, no answer, success
rc=0; "$DA" --lookup - "$img" <&- >"$T/out" 2>"$T/err" || rc=$?
check_eq "stdin closed: exit" "$rc" 0
check_eq "stdin closed: answers" "$(wc -c <"$T/out")" 0
# while stdin is open, the same stream answers (the check can fail)
check_eq "stdin open: answers" "$(echo 1K | "$DA" --lookup - "$img" | grep -c '^self3.img @')" 1

# stdout closed: one line on stderr, exit 1, the image untouched
sum=$(cksum <"$img")
rc=0; "$DA" --list "$img" >&- 2>"$T/err" || rc=$?
check_eq "stdout closed: exit" "$rc" 1
grep -q '^diskatlas: standard output: Bad file descriptor$' "$T/err" ||
	fail "stdout closed: $(cat "$T/err")"
check_eq "stdout closed: image unchanged" "$(cksum <"$img")" "$sum"

# stderr closed: the same output as with it open
rc=0; "$DA" --list "$img" 2>&- >"$T/got.txt" || rc=$?
check_eq "stderr closed: exit" "$rc" 0
cmp -s "$T/want.txt" "$T/got.txt" || fail "stderr closed: other output"
# all three closed: still no crash and the image unchanged
rc=0; "$DA" --lookup - "$img" <&- >&- 2>&- || rc=$?
check_eq "all closed: exit" "$rc" 0
check_eq "all closed: image unchanged" "$(cksum <"$img")" "$sum"
echo "ok: closed standard descriptors"
