#!/bin/sh
# The explorer's modules form layers, not a circle: the include graph of
# ui/*.h and ui/*.c, and the graph of which object calls a function another
# defines (from nm), have no cycle; the drawing toolkit (draw.h, draw.c,
# colors.c) includes no other ui/ header, never sees struct ui, and calls
# into no other ui/ module.  Each check is first shown to catch a made-up
# cycle, so it cannot pass on nothing.
. "$(dirname "$0")/../lib.sh"
requires nm tsort
cd "$TOP"
TOOLKIT="draw.h draw.c colors.c"

# includes FILE...: "file header" for each #include "x.h" of a ui/ header
includes() {
	for f in "$@"; do
		sed -n 's/^#include "\([^"]*\)".*/\1/p' "ui/$f" | while read -r h; do
			# (an if: a last include outside ui/ must not end the
			# loop with a failing status under set -e)
			if [ -f "ui/$h" ]; then echo "$(basename "$f") $h"; fi
		done
	done
	return 0
}
# acyclic WHAT < EDGES: tsort reads "a b" pairs and reports a loop
acyclic() {
	if ! tsort >/dev/null 2>"$T/tsort.err"; then
		fail "$1 has a cycle: $(tr '\n' ' ' <"$T/tsort.err")"
	fi
}
# tsort must see a cycle where there is one
printf 'a.c b.h\nb.h c.h\nc.h b.h\n' | tsort >/dev/null 2>&1 &&
	fail "tsort does not report a made-up cycle"

cd ui
files=$(ls *.c *.h)
cd ..
includes $files >"$T/inc"
[ "$(wc -l <"$T/inc")" -ge 10 ] || fail "the include graph has only $(wc -l <"$T/inc") edges"
acyclic "the include graph of ui/" <"$T/inc"
echo "ok: ui/ includes, $(wc -l <"$T/inc") edges, no cycle"

# the toolkit is a leaf
for f in $TOOLKIT; do
	bad=$(includes "$f" | awk '$2 != "draw.h" { print $2 }')
	[ -z "$bad" ] || fail "toolkit file ui/$f includes $bad"
	! grep -n 'struct ui\b' "ui/$f" || fail "toolkit file ui/$f knows struct ui"
done
echo "ok: the toolkit includes only draw.h and never sees struct ui"

# calls between modules, from the objects the build made
[ -f build/ui/explorer.o ] || fail "build/ui/*.o are missing: run make first"
: >"$T/defs"
for o in build/ui/*.o; do
	m=$(basename "$o" .o)
	nm -g --defined-only "$o" | awk -v m="$m" 'NF == 3 { print $3, m }' >>"$T/defs"
done
: >"$T/calls"
for o in build/ui/*.o; do
	m=$(basename "$o" .o)
	nm -u "$o" | awk '{ print $NF }' | sort -u |
		awk -v m="$m" -v defs="$T/defs" '
			BEGIN { while ((getline l < defs) > 0) { split(l, a, " "); d[a[1]] = a[2] } }
			($1 in d) && d[$1] != m { print m, d[$1] }' >>"$T/calls"
done
sort -u "$T/calls" -o "$T/calls"
cat "$T/calls"
[ "$(wc -l <"$T/calls")" -ge 10 ] || fail "the call graph has only $(wc -l <"$T/calls") edges"
acyclic "the call graph of ui/ modules" <"$T/calls"
for m in draw colors; do
	bad=$(awk -v m="$m" '$1 == m && $2 != "draw" && $2 != "colors" { print $2 }' "$T/calls")
	[ -z "$bad" ] || fail "toolkit module $m calls into $bad"
done
# the loop only dispatches: no pane calls back into the loop or the
# dispatcher
bad=$(awk '($2 == "explorer" && $1 != "main") || ($2 == "screen" && $1 != "explorer" && $1 != "line" && $1 != "bench")' "$T/calls")
[ -z "$bad" ] || fail "calls back up into the loop or the dispatcher: $bad"
echo "ok: ui/ modules call in layers ($(wc -l <"$T/calls") edges, no cycle)"
