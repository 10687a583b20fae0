#!/bin/sh
# What the command line prints must be safe and well formed whatever the
# image holds: an ext4 made here with hostile names (ESC, newline, TAB,
# 0x01, a byte that is not UTF-8, a quote, a backslash) and a hostile
# label must give text with every control character escaped and one
# answer where one is asked, and JSON that parses and decodes to the
# documented representation.  Also: --lookup - error lines, write and read
# errors, usage errors, one warning a line in --list, and a FAT whose
# chains are damaged (the conflict in text --lookup, the warning in --list).
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs xz iconv
HAVE_PY=1
command -v python3 >/dev/null 2>&1 || HAVE_PY=0
[ "$HAVE_PY" -eq 1 ] || echo "note: python3 is not installed: the JSON checks are skipped"

# has_raw_controls FILE: true when FILE has a control byte other than a
# newline, or bytes that are not UTF-8
has_raw_controls() {
	LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]' && return 0
	iconv -f UTF-8 -t UTF-8 <"$1" >/dev/null 2>&1 || return 0
	return 1
}
# py SCRIPT ARG...: run a python3 check, failing the test with its output
py() {
	s=$1; shift
	python3 -c "$s" "$@" >"$T/py.out" 2>&1 || fail "$(cat "$T/py.out")"
}

# ---- an ext4 with hostile names ----
ESC=$(printf '\033')
N1=$(printf 'a\033[2Jb\nc\377')              # ESC, newline, not UTF-8
N2=$(printf 'tab\there\001x')                # TAB, 0x01
N3='quote"and\back'                          # a quote, a backslash
N4='é日本'                                   # valid UTF-8: shown as is
LABEL=$(printf 'L\033]0;x\007\377')          # a title-setting escape
mkdir -p "$T/tree/d1" "$T/tree/d2" "$T/tree/d3" "$T/tree/d4"
i=1
for n in "$N1" "$N2" "$N3" "$N4"; do
	yes "file $i" | head -c 3000 >"$T/tree/d$i/$n"
	i=$((i + 1))
done
IMG="$T/hostile.img"
mkfs.ext4 -q -b 1024 -L "$LABEL" -d "$T/tree" "$IMG" 4M >/dev/null 2>"$T/mkfs.err" ||
	skip "mkfs.ext4 -d failed: $(head -1 "$T/mkfs.err")"

# the first data block of the one file in /dI, from debugfs
block_of() {
	ino=$(debugfs -R "ls -p /d$1" "$IMG" 2>/dev/null | sed -n 's|^/\([0-9]*\)/100[0-7]*/.*|\1|p' | head -1)
	[ -n "$ino" ] || fail "debugfs found no file in /d$1"
	b=$(debugfs -R "bmap <$ino> 0" "$IMG" 2>/dev/null | tail -1)
	case $b in ''|*[!0-9]*) fail "debugfs bmap <$ino> 0 gave '$b'" ;; esac
	echo "$b"
}
# the same paths as the text output must show them, and as JSON decodes them
WANT_T1='/d1/a\e[2Jb\nc\xff'
WANT_T2='/d2/tab\there\x01x'
WANT_T3='/d3/quote"and\\back'
WANT_T4='/d4/é日本'
for i in 1 2 3 4; do
	echo $(($(block_of $i) * 1024 + 5))
done >"$T/offs"

# text: each answer is a header and the filesystem's line, nothing raw
i=1
for off in $(cat "$T/offs"); do
	"$DA" --lookup "$off" "$IMG" >"$T/text" || fail "--lookup $off failed"
	check_eq "text --lookup of /d$i: lines" "$(wc -l <"$T/text")" 2
	has_raw_controls "$T/text" && fail "text --lookup of /d$i has raw control bytes: $(od -c "$T/text" | head -5)"
	eval want=\$WANT_T$i
	line=$(tail -1 "$T/text")
	case $line in
	*"  $want") ;;
	*) fail "text --lookup of /d$i: '$line' does not end with '$want'" ;;
	esac
	i=$((i + 1))
done
# --lookup -: four answers, two lines each, whatever the names hold
"$DA" --lookup - "$IMG" <"$T/offs" >"$T/text"
check_eq "text --lookup - lines for 4 answers" "$(wc -l <"$T/text")" 8
has_raw_controls "$T/text" && fail "text --lookup - has raw control bytes"
grep -q "^  filesystem.*$ESC" "$T/text" && fail "ESC reached the output"

# text --list: the label escaped, no raw byte
"$DA" --list "$IMG" >"$T/list" || fail "--list failed"
has_raw_controls "$T/list" && fail "text --list has raw control bytes: $(od -c "$T/list" | head -8)"
grep -qF 'label=L\e]0;x\x07\xff' "$T/list" || fail "label not escaped as expected: $(grep label "$T/list")"

if [ "$HAVE_PY" -eq 1 ]; then
	# JSON: strict UTF-8, parses, the paths decode as documented
	"$DA" --lookup - --json "$IMG" <"$T/offs" >"$T/json"
	py '
import json, sys
want = ["/d1/a\x1b[2Jb\nc\ufffd", "/d2/tab\there\x01x", "/d3/quote\"and\\back", "/d4/\u00e9\u65e5\u672c"]
lines = open(sys.argv[1], "rb").read().decode("utf-8").split("\n")
assert lines[-1] == "", "no final newline"
lines = lines[:-1]
assert len(lines) == 4, "%d JSON lines, want 4" % len(lines)
for got, w in zip(lines, want):
    p = json.loads(got)["owners"][-1].get("path")
    assert p == w, "path %r, want %r" % (p, w)
' "$T/json"
	"$DA" --list --json "$IMG" >"$T/list.json"
	py '
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
label = d["disks"][0]["content"]["label"]
assert label == "L\x1b]0;x\x07\ufffd", "label %r" % label
' "$T/list.json"
fi

# ---- --lookup - error lines echo what was read ----
set +e
printf 'a\tb\n\001x\n"q\\\n' | "$DA" --lookup - --json "$IMG" >"$T/err.json"
rc=$?
set -e
check_eq "--lookup - with bad lines: status" "$rc" 1
check_eq "--lookup - with bad lines: answers" "$(wc -l <"$T/err.json")" 3
has_raw_controls "$T/err.json" && fail "error lines hold raw control bytes: $(od -c "$T/err.json" | head)"
if [ "$HAVE_PY" -eq 1 ]; then
	py '
import json, sys
want = ["a\tb", "\x01x", "\"q\\"]
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
for got, w in zip(lines, want):
    o = json.loads(got)
    assert o["where"] == w, "where %r, want %r" % (o["where"], w)
    assert o["error"].startswith(w + ": "), "error %r does not quote %r" % (o["error"], w)
' "$T/err.json"
fi

# ---- output and input errors: status 1, one line ----
# expect STATUS LINE CMD...: the status, and stderr is exactly LINE (one
# line; with status 2 the hint follows)
expect() {
	want=$1 msg=$2; shift 2
	set +e
	"$@" 2>"$T/stderr"
	rc=$?
	set -e
	check_eq "$*: status" "$rc" "$want"
	check_eq "$*: first line on stderr" "$(head -1 "$T/stderr")" "$msg"
	if [ "$want" -eq 2 ]; then
		check_eq "$*: lines on stderr" "$(wc -l <"$T/stderr")" 2
		check_eq "$*: hint" "$(tail -1 "$T/stderr")" "Try 'diskatlas --help' for more information."
	else
		check_eq "$*: lines on stderr" "$(wc -l <"$T/stderr")" 1
	fi
}
if [ -w /dev/full ]; then
	expect 1 "diskatlas: standard output: No space left on device" \
		sh -c '"$0" --list "$1" >/dev/full' "$DA" "$IMG"
	expect 1 "diskatlas: standard output: No space left on device" \
		sh -c '"$0" --lookup - --json "$1" <"$2" >/dev/full' "$DA" "$IMG" "$T/offs"
else
	echo "note: no /dev/full here: the write-error checks are skipped"
fi
expect 1 "diskatlas: standard input: Is a directory" \
	sh -c '"$0" --lookup - --json "$1" <"$2" >/dev/null' "$DA" "$IMG" "$T"

# ---- usage errors: status 2, one line naming the option, the hint ----
expect 2 "diskatlas: --lookup needs an argument (WHERE)" "$DA" --lookup
expect 2 "diskatlas: -L needs an argument (WHERE)" "$DA" -L
expect 2 "diskatlas: --width needs an argument (N)" "$DA" --map --width
expect 2 "diskatlas: --format needs an argument (FMT)" "$DA" --format
expect 2 "diskatlas: unknown option '--bogus'" "$DA" --bogus "$IMG"
expect 2 "diskatlas: unknown option '-q'" "$DA" -q "$IMG"
expect 2 "diskatlas: --list takes no argument" "$DA" --list=x "$IMG"
"$DA" --lookup 2>"$T/stderr" || true
grep -q "$DA\|requires an argument" "$T/stderr" && fail "getopt's own message is still printed: $(cat "$T/stderr")"

# ---- --list: one warning a line, under its node ----
G=$(image gpt-five)
truncate -s 3M "$G"
"$DA" --list "$G" >"$T/gpt.txt" 2>/dev/null || true
nw=$(grep -c 'warning:' "$T/gpt.txt" || true)
[ "$nw" -ge 2 ] || fail "truncated gpt-five: $nw warnings in --list, want several: $(cat "$T/gpt.txt")"
grep 'warning:' "$T/gpt.txt" | grep -qv '^ *warning: ' &&
	fail "a warning is not on a line of its own: $(grep 'warning:' "$T/gpt.txt" | grep -v '^ *warning: ' | head -1)"
grep -A1 '^  partitions' "$T/gpt.txt" | tail -1 | grep -q '^    warning: ' ||
	fail "the warnings are not indented under the partition table: $(head -4 "$T/gpt.txt")"
if [ "$HAVE_PY" -eq 1 ]; then
	"$DA" --list --json "$G" 2>/dev/null >"$T/gpt.json" || true
	njson=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["disks"][0]["content"]["warnings"]))' "$T/gpt.json")
	check_eq "truncated gpt-five: warning lines against JSON warnings" "$nw" "$njson"
fi

# ---- a FAT16 whose chains are damaged: entries 2..199 lead into a 2 <-> 3 loop ----
F=$(image fat-16)
"$DA" --list "$F" >"$T/fat.txt"
grep -q 'warning:' "$T/fat.txt" && fail "the undamaged FAT16 has a warning: $(grep warning: "$T/fat.txt")"
pstart=$(sed -n 's/^    partition p1  start=\([0-9]*\) .*/\1/p' "$T/fat.txt")
resv=$(sed -n 's/.*filesystem fat16 .* reserved_sectors=\([0-9]*\).*/\1/p' "$T/fat.txt")
data=$(sed -n 's/.*filesystem fat16 .* data_start=\([0-9]*\).*/\1/p' "$T/fat.txt")
csize=$(sed -n 's/.*filesystem fat16 .* cluster_size=\([0-9]*\).*/\1/p' "$T/fat.txt")
[ -n "$pstart" ] && [ -n "$resv" ] && [ -n "$data" ] && [ -n "$csize" ] ||
	fail "no FAT16 geometry in --list: $(cat "$T/fat.txt")"
C3=$((pstart + data + csize + 7))           # a byte of cluster 3
"$DA" --lookup "$C3" "$F" >"$T/c3.txt"
grep -q 'also claimed' "$T/c3.txt" && fail "undamaged FAT16: cluster 3 is marked as claimed twice"
ents='\003\000'                              # entry 2 -> 3
c=3
while [ $c -le 199 ]; do ents="$ents\\002\\000"; c=$((c + 1)); done   # 3..199 -> 2
printf "$ents" | dd of="$F" bs=1 seek=$((pstart + resv * 512 + 4)) conv=notrunc status=none
"$DA" --lookup "$C3" "$F" >"$T/c3.txt"
grep -q '^ *filesystem .* file_data .*(also claimed by another file)$' "$T/c3.txt" ||
	fail "damaged FAT16: text --lookup does not show the conflict: $(cat "$T/c3.txt")"
if [ "$HAVE_PY" -eq 1 ]; then
	"$DA" --lookup "$C3" --json "$F" | python3 -c 'import json,sys; assert json.load(sys.stdin)["owners"][-1].get("file_conflict") is True' ||
		fail "damaged FAT16: JSON has no file_conflict"
fi
"$DA" --list "$F" >"$T/fat.txt"
grep -q '^        warning: file index: .*loops' "$T/fat.txt" ||
	fail "damaged FAT16: no warning about the loop under the filesystem in --list: $(cat "$T/fat.txt")"

echo "hostile names escaped in text and valid in JSON, error lines echoed, output/input/usage errors, warnings a line each, FAT conflicts shown"
exit 0
