#!/bin/sh
# What the NTFS file index says of compressed and sparse files, asked of
# the engine through its API (the report does not print run flags), against
# ntfsinfo's runlists: in a compressed file a compression unit (16
# clusters) that ends in a hole is stored compressed and its clusters are
# DA_RUN_COMPRESSED, one with no hole is stored as it is and they are not;
# the files are flagged compressed and sparse as their attributes say, a
# plain file is neither; a preallocated file's clusters past its
# initialized size are DA_RUN_UNWRITTEN.
. "$(dirname "$0")/../lib.sh"
requires ntfsinfo ntfsls sfdisk jq xz cc pkg-config
[ -f "$TOP/build/libdiskatlas.a" ] || fail "build/libdiskatlas.a is not built"
img=$(image windows)
start=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .start')
size=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .size')
fs="$T/fs.img"
dd if="$img" of="$fs" bs=512 skip="$start" count="$size" conv=sparse status=none

# the helper: "CLUSTER" a line in, "CLUSTER RUNFLAGS FILEFLAGS ID" out
cat >"$T/flags.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "diskatlas.h"
#include "fileindex.h"
static struct da_node *found;
static void pick(struct da_node *n, void *arg)
{
	(void)arg;
	struct da_value *t = da_obj_get(n->props, "fstype");
	if (!found && t && t->type == DA_V_STR && !strcmp(t->u.s, "ntfs"))
		found = n;
}
int main(int argc, char **argv)
{
	const char *specs[] = { argv[1] };
	da_error err;
	struct da_machine *m = da_machine_open("t", specs, 1, &err);
	if (argc < 2 || !m) return 2;
	da_machine_scan(m);
	da_machine_build_indexes(m);
	da_machine_each_node(m, pick, NULL);
	if (!found) return 3;
	const struct da_fileindex *x = da_fi_get(found);
	int64_t cs = da_obj_get(found->props, "cluster_size")->u.i;
	long long c;
	while (scanf("%lld", &c) == 1) {
		struct da_fi_run r;
		struct da_fi_file f;
		if (da_fi_at(x, (uint64_t)c * cs, &r, 1) < 1 || da_fi_file(x, r.file, &f) < 0) {
			printf("%lld - - -\n", c);
			continue;
		}
		printf("%lld %u %u %llu\n", c, r.flags, f.flags, (unsigned long long)f.id);
	}
	da_machine_close(m);
	return 0;
}
EOF
cd "$TOP"
# with the library's sanitizers where make check SAN=1 built it with them
san=
if nm build/libdiskatlas.a 2>/dev/null | grep -q __asan_init; then
	san=-fsanitize=address,undefined
fi
cc -std=c11 -D_GNU_SOURCE -Isrc $san -o "$T/flags" "$T/flags.c" build/libdiskatlas.a \
	$(pkg-config --libs $(engine_pkgs)) -lpthread || fail "the helper does not build"

ino() { ntfsls -R -a -i "$fs" 2>/dev/null | awk -v want="$1" '
	/^\/.*:$/ { dir = substr($0, 1, length($0) - 1); if (dir == "/") dir = ""; next }
	NF >= 2 { i = $1; sub(/^ *[0-9]+ /, ""); if (dir "/" $0 == want) { print i; exit } }'; }
# "VCN LCN LENGTH" of the unnamed $DATA, holes as LCN -1
runs() { ntfsinfo -v -i "$1" "$fs" 2>/dev/null | awk '
	function hex(s,  i, v) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	/^Dumping attribute \$DATA/ { d = 1; next } /^Dumping/ { d = 0 }
	d && /^\t\t\t0x[0-9a-f]+\t+(0x[0-9a-f]+|<HOLE>)\t+0x[0-9a-f]+$/ { print hex($1), ($2 == "<HOLE>" ? -1 : hex($2)), hex($3) }'; }
# every real cluster of a compressed file: "CLUSTER WANT_COMPRESSED"
want_compressed() {
	runs "$1" | awk '
		{ v[NR] = $1; l[NR] = $2; n[NR] = $3 }
		END {
			for (i = 1; i <= NR; i++) if (l[i] < 0) for (k = v[i]; k < v[i] + n[i]; k++) hole[int(k / 16)] = 1
			for (i = 1; i <= NR; i++) if (l[i] >= 0) for (k = 0; k < n[i]; k++) print l[i] + k, (int((v[i] + k) / 16) in hole) ? 1 : 0
		}'
}
MIXED=$(ino /Compressed/mixed.bin) LOG=$(ino /Compressed/log.txt) SPARSE=$(ino /sparse.vhd) FRAG=$(ino "/Program Files/App/fragA.dat")
[ -n "$MIXED" ] && [ -n "$LOG" ] && [ -n "$SPARSE" ] && [ -n "$FRAG" ] || fail "ntfsls does not list the files"
{ want_compressed "$MIXED"; want_compressed "$LOG"; } >"$T/wantc"
grep -q ' 1$' "$T/wantc" || fail "ntfsinfo shows no compressed unit"
grep -q ' 0$' "$T/wantc" || fail "ntfsinfo shows no unit stored as it is"
cut -d' ' -f1 "$T/wantc" | "$T/flags" "$img" >"$T/got" || fail "the helper failed"
bad=$(paste -d' ' "$T/wantc" "$T/got" | awk '
	$1 != $3 { print "cluster " $1 ": the helper answered cluster " $3; next }
	$4 == "-" { print "cluster " $1 ": no file"; next }
	(int($4 / 4) % 2) != $2 { print "cluster " $1 ": compressed should be " $2 ", run flags " $4 }
	int($5 / 2) % 2 != 1 { print "cluster " $1 ": the file is not flagged compressed (" $5 ")" }' | head -5)
[ -z "$bad" ] || fail "$bad"
# preallocated: the clusters past the initialized size are unwritten
PRE=$(ino /Users/Public/prealloc.bin)
[ -n "$PRE" ] || fail "ntfsls does not list prealloc.bin"
init=$(ntfsinfo -v -i "$PRE" "$fs" 2>/dev/null | awk -F: '/Initialized size/ { print $2 + 0 }' | tail -1)
cs=$(ntfsinfo -m "$fs" 2>/dev/null | awk -F: '/Cluster Size/ { print $2 + 0 }')
runs "$PRE" | awk -v iv=$(( (init + cs - 1) / cs )) '$2 >= 0 { for (k = 0; k < $3; k++) print $2 + k, ($1 + k >= iv) ? 1 : 0 }' >"$T/want"
grep -q ' 1$' "$T/want" || fail "ntfsinfo shows no cluster past prealloc.bin's initialized size ($init)"
grep -q ' 0$' "$T/want" || fail "ntfsinfo shows no initialized cluster of prealloc.bin"
cut -d' ' -f1 "$T/want" | "$T/flags" "$img" >"$T/got" || fail "the helper failed"
bad=$(paste -d' ' "$T/want" "$T/got" | awk '
	$1 != $3 || $4 == "-" { print "cluster " $1 ": no answer"; next }
	(int($4 / 2) % 2) != $2 { print "cluster " $1 ": unwritten should be " $2 ", run flags " $4 }' | head -5)
[ -z "$bad" ] || fail "prealloc.bin: $bad"
npre=$(wc -l <"$T/want")

# sparse and plain files
sp=$(runs "$SPARSE" | awk '$2 >= 0 { print $2; exit }')
fr=$(runs "$FRAG" | awk '$2 >= 0 { print $2; exit }')
set -- $(printf '%s\n%s\n' "$sp" "$fr" | "$T/flags" "$img" | awk '{ print $3 }')
check_eq "sparse.vhd's file flags (sparse)" $(($1 & 1)) 1
check_eq "fragA.dat's file flags" "$2" 0
echo "ok: $npre clusters of a preallocated file, $(wc -l <"$T/wantc") clusters of two compressed files ($(grep -c ' 1$' "$T/wantc") in compressed units) and the sparse and plain files' flags agree with ntfsinfo"
