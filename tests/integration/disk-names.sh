#!/bin/sh
# Disk names stay unique as the man page says: the second disk of a name
# already taken is NAME#2, the third NAME#3, wherever they stand on the
# command line; a suffixed name a user gave (NAME=PATH) is not taken
# twice; and WHERE finds each disk by its name.
. "$(dirname "$0")/../lib.sh"

mkdir "$T/x" "$T/y"
for f in a.img b.img x/a.img y/a.img; do truncate -s 1M "$T/$f"; done
# each disk a different size, to tell which path got which name
truncate -s 2M "$T/x/a.img"; truncate -s 3M "$T/y/a.img"

# names as --list gives them, one a line
names() { "$DA" --list --json "$@" | python3 -c '
import json, sys
for d in json.load(sys.stdin)["disks"]: print(d["name"], d["size"])'; }

check_eq "a duplicate after another disk" "$(names "$T/a.img" "$T/b.img" "$T/x/a.img" | tr '\n' ,)" \
	"a.img 1048576,b.img 1048576,a.img#2 2097152,"
check_eq "three of a name, apart" "$(names "$T/a.img" "$T/b.img" "$T/x/a.img" "$T/b.img" "$T/y/a.img" | tr '\n' ,)" \
	"a.img 1048576,b.img 1048576,a.img#2 2097152,b.img#2 1048576,a.img#3 3145728,"
# a#2 given by the user: the next a.img skips it
check_eq "a suffix already taken" "$(names "$T/a.img" "a.img#2=$T/b.img" "$T/x/a.img" | tr '\n' ,)" \
	"a.img 1048576,a.img#2 1048576,a.img#3 2097152,"

# the text --list shows the same names
"$DA" --list "$T/a.img" "$T/b.img" "$T/x/a.img" >"$T/list"
grep -q '^a\.img#2  raw  2 MiB' "$T/list" || fail "--list: $(cat "$T/list")"
grep -q '#3' "$T/list" && fail "--list names a #3: $(cat "$T/list")"

# and --lookup finds the disk by it
"$DA" --json --lookup 'a.img#2:1048576' "$T/a.img" "$T/b.img" "$T/x/a.img" >"$T/look"
grep -q '"disk":"a.img#2"' "$T/look" || fail "--lookup a.img#2: $(cat "$T/look")"
echo "ok"
