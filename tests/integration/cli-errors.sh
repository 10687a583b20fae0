#!/bin/sh
# Errors a user can meet: exit 1 (runtime) or 2 (usage) and one clear line
# on stderr naming the path and the problem.
. "$(dirname "$0")/../lib.sh"

# expect STATUS PATTERN CMD...: the exit status, and stderr is one line
# matching PATTERN (grep -E)
expect() {
	want=$1 pat=$2; shift 2
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want; stderr: $(cat "$T/err")"
	lines=$(wc -l <"$T/err")
	if [ "$want" -eq 1 ]; then
		[ "$lines" -eq 1 ] || fail "$*: $lines lines on stderr, want 1: $(cat "$T/err")"
	fi
	grep -Eq -e "$pat" "$T/err" || fail "$*: stderr '$(cat "$T/err")' does not match '$pat'"
}

mkdir -p "$T/pub" && chmod 755 "$T" "$T/pub"
expect 1 "diskatlas: $T/pub/missing.img: No such file or directory" "$DA" --list "$T/pub/missing.img"
expect 1 "diskatlas: $T/pub: is a directory" "$DA" --list "$T/pub"
: >"$T/pub/empty.img"
expect 1 "diskatlas: $T/pub/empty.img: empty file" "$DA" --list "$T/pub/empty.img"

# permission denied: as root every file is readable, so ask as nobody
truncate -s 1M "$T/pub/secret.img" && chmod 600 "$T/pub/secret.img"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	expect 1 "diskatlas: $T/pub/secret.img: [Pp]ermission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$DA" --list "$T/pub/secret.img"
elif [ "$(id -u)" -ne 0 ]; then
	expect 1 "diskatlas: $T/pub/secret.img: [Pp]ermission denied" "$DA" --list "$T/pub/secret.img"
fi

# a truncated image: its partition table describes more than the file holds
img=$(image gpt-five)
size=$(stat -c %s "$img")
truncate -s $((size / 2)) "$img"
expect 1 "diskatlas: .*gpt-five.img: truncated image" "$DA" --list "$img"

# usage errors: exit 2
expect 2 "no disk given" "$DA" --list
expect 2 "unknown option|unrecognized option" "$DA" --bogus x.img
# a disk whose name starts with '-' is read as options: the line says how
# to name it, and both ways work
cp "$img" "$T/pub/-dash.img"
(cd "$T/pub" && expect 2 "^diskatlas: -dash.img is read as options: for the file, write ./-dash.img or put -- before it$" "$DA" --list -dash.img)
(cd "$T/pub" && "$DA" --list ./-dash.img | grep -q "^-dash.img ") || fail "./-dash.img is not listed"
(cd "$T/pub" && "$DA" --list -- -dash.img | grep -q "^-dash.img ") || fail "-- -dash.img is not listed"
expect 2 "unknown option '-x'" "$DA" --list -x
expect 2 "--width" "$DA" --map --width 0 "$img"

# bad lookups: exit 1, one line
truncate -s 1M "$T/pub/zero.img"
expect 1 "past the end" "$DA" --lookup 2M "$T/pub/zero.img"
expect 1 "not an offset" "$DA" --lookup 12Q "$T/pub/zero.img"
expect 1 "no disk or volume named" "$DA" --lookup other:0 "$T/pub/zero.img"

# an all-zero disk lists as empty, a random one as unknown with a reason
"$DA" --list --json "$T/pub/zero.img" | jq -e '.disks[0].content.type == "empty"' >/dev/null ||
	fail "zero image is not empty"
head -c 1048576 /dev/urandom >"$T/pub/noise.img"
"$DA" --list --json "$T/pub/noise.img" |
	jq -e '.disks[0].content.type == "unknown" and (.disks[0].content.reason | length > 0)' >/dev/null ||
	fail "random image is not unknown with a reason"
echo ok
