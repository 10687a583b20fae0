#!/bin/sh
# Damaged NTFS, made from the Windows volume of tests/images/windows: an
# MFT record whose fixups do not match, a runlist that points back at its
# own clusters (loops), one that runs past the end of the volume, an
# attribute list whose entries point at its own record, a broken $MFT
# record 0 (read from $MFTMirr, as libntfs-3g will not), a $MFTMirr that
# differs from $MFT, and both broken.  Each must finish at once, with a warning that names the
# record and no owner for what it cannot read, the rest of the volume
# intact, and nothing from libntfs-3g on stderr.  And four clusters that
# $BadClus marks bad (as chkdsk would): role bad, /$BadClus:$Bad, as
# ntfscluster says, and only those.
. "$(dirname "$0")/../lib.sh"
requires ntfsinfo ntfsls ntfscluster sfdisk jq xz od
img=$(image windows)
start=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .start')
size=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | test("[^0-9]3$")) | .size')
ORIG="$T/orig.img"
dd if="$img" of="$ORIG" bs=512 skip="$start" count="$size" conv=sparse status=none
ntfsinfo -m "$ORIG" >"$T/info" 2>/dev/null || fail "ntfsinfo cannot read the volume"
CS=$(awk -F: '/Cluster Size/ { print $2 + 0 }' "$T/info")
RS=$(awk -F: '/MFT Record Size/ { print $2 + 0 }' "$T/info")
MFT=$(($(awk -F: '/LCN of Data Attribute for FILE_MFT/ { print $2 + 0 }' "$T/info") * CS))
ntfsls -R -a -i "$ORIG" 2>/dev/null | awk '
	/^\/.*:$/ { dir = substr($0, 1, length($0) - 1); if (dir == "/") dir = ""; next }
	NF >= 2 { ino = $1; sub(/^ *[0-9]+ /, ""); print ino "\t" dir "/" $0 }' >"$T/names"
ino() { awk -F'\t' -v p="$1" '$2 == p { print $1; exit }' "$T/names"; }
# first real LCN of the unnamed $DATA of inode N
lcn1() { ntfsinfo -v -i "$1" "$ORIG" 2>/dev/null | awk '
	function hex(s,  i, v) { s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	/^Dumping attribute \$DATA/ { d = 1; next } /^Dumping/ { d = 0 }
	d && /^\t\t\t0x[0-9a-f]+\t+0x[0-9a-f]+/ { print hex($2); exit }'; }

u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
byte() { printf '\\%03o' "$1"; }
fresh() { cp --sparse=always "$ORIG" "$T/d.img"; echo "$T/d.img"; }
rec() { echo $((MFT + $1 * RS)); }
# the offset of the first attribute of TYPE (decimal) in record N
attr() {
	f=$1 r=$(rec "$2") a=$(($(rec "$2") + $(u16 "$1" $(($(rec "$2") + 20)))))
	while [ $((a - r)) -lt "$RS" ]; do
		t=$(u32 "$f" "$a")
		[ "$t" = "$3" ] && { echo "$a"; return; }
		[ "$t" = 4294967295 ] && break
		a=$((a + $(u32 "$f" $((a + 4)))))
	done
	fail "record $2 has no attribute $3"
}
# run DA on FILE with a time limit: stdout to $T/out, stderr must stay empty
run() {
	timeout 20 "$DA" "$@" >"$T/out" 2>"$T/err" || fail "diskatlas $* failed or hung (exit $?)"
	[ ! -s "$T/err" ] || fail "stderr not empty: $(head -3 "$T/err")"
}
# owner of cluster C: "role inode"
look() {
	echo $(($2 * CS + 7)) >"$T/q"
	run --lookup - --json "$1" <"$T/q"
	jq -r '.owners[-1] | "\(.role) \(.inode // "-")"' "$T/out"
}
warnings() { run --list --json "$1"; jq -r '.disks[0].content | (.warnings // [] | .[]), (.reason // empty)' "$T/out"; }

SW=$(ino /Windows/System32/config/SOFTWARE)
FA=$(ino "/Program Files/App/fragA.dat")
FB=$(ino "/Program Files/App/fragB.dat")
MANY=$(ino "/Program Files/App/many.dat")
TINY=$(ino /Users/Public/tiny.txt)
[ -n "$SW" ] && [ -n "$FA" ] && [ -n "$FB" ] && [ -n "$MANY" ] || fail "ntfsls did not list the files"
SWC=$(lcn1 "$SW") FAC=$(lcn1 "$FA") FBC=$(lcn1 "$FB")

# the volume as made: all owned
d=$(fresh)
check_eq "SOFTWARE before" "$(look "$d" "$SWC")" "file_data $SW"
check_eq "fragB before" "$(look "$d" "$FBC")" "file_data $FB"

# 1. broken fixups: the second sector's last two bytes no longer match
d=$(fresh)
r=$(rec "$SW")
poke "$d" $((r + 1022)) "$(byte $(( ($(u8 "$d" $((r + 1022))) + 1) & 255)))"
check_eq "SOFTWARE with broken fixups" "$(look "$d" "$SWC")" "used -"
warnings "$d" | grep -q "MFT record $SW" || fail "no warning names record $SW: $(warnings "$d")"
check_eq "fragA beside it" "$(look "$d" "$FAC")" "file_data $FA"

# 2. a runlist that loops: fragA's second run points back at its first
d=$(fresh)
mp=$(attr "$d" "$FA" 128)
mp=$((mp + $(u16 "$d" $((mp + 32)))))
h=$(u8 "$d" "$mp")
mp2=$((mp + 1 + (h & 15) + (h >> 4)))
h2=$(u8 "$d" "$mp2")
[ $((h2 >> 4)) -gt 0 ] || fail "fragA's second run has no LCN"
i=0; while [ $i -lt $((h2 >> 4)) ]; do poke "$d" $((mp2 + 1 + (h2 & 15) + i)) '\000'; i=$((i + 1)); done
check_eq "fragA's first cluster (looping runlist)" "$(look "$d" "$FAC")" "file_data $FA"
warnings "$d" | grep -q "MFT record $FA: runs that overlap" || fail "no warning for the loop: $(warnings "$d")"

# 3. a run past the end of the volume: fragB's first LCN made huge
d=$(fresh)
mp=$(attr "$d" "$FB" 128)
mp=$((mp + $(u16 "$d" $((mp + 32)))))
h=$(u8 "$d" "$mp")
poke "$d" $((mp + (h & 15) + (h >> 4))) '\100'
check_eq "fragB's first cluster (its run moved away)" "$(look "$d" "$FBC")" "used -"
warnings "$d" | grep -q "MFT record $FB: a run .* past the end of the volume" ||
	fail "no warning for the run past the end: $(warnings "$d")"

# 4. an attribute list whose entries all point at its own record
d=$(fresh)
al=$(attr "$d" "$MANY" 32)
if [ "$(u8 "$d" $((al + 8)))" = 0 ]; then
	v=$((al + $(u16 "$d" $((al + 20)))))
	vend=$((v + $(u32 "$d" $((al + 16)))))
else
	# non-resident (as ntfs-3g writes it): one run, its LCN little endian
	mp=$((al + $(u16 "$d" $((al + 32)))))
	h=$(u8 "$d" "$mp")
	lcn=0 i=$((h >> 4))
	while [ $i -gt 0 ]; do lcn=$((lcn * 256 + $(u8 "$d" $((mp + (h & 15) + i))))); i=$((i - 1)); done
	v=$((lcn * CS))
	vend=$((v + $(u32 "$d" $((al + 48)))))
fi
self=$(u16 "$d" $((v + 16)))
e=$v
while [ $e -lt $vend ]; do
	poke "$d" $((e + 16)) "$(byte $((MANY & 255)))$(byte $((MANY >> 8 & 255)))"
	e=$((e + $(u16 "$d" $((e + 4)))))
done
[ "$self" = "$MANY" ] || fail "many.dat's first attribute list entry is not its own record"
warnings "$d" | grep -q "MFT record $MANY" || fail "no warning names record $MANY: $(warnings "$d")"
MC=$(lcn1 "$MANY")
case "$(look "$d" "$MC")" in
"used -"|"file_data $MANY") ;;
*) fail "many.dat's first cluster with a self-pointing attribute list: $(look "$d" "$MC")" ;;
esac
check_eq "fragA beside a self-pointing attribute list" "$(look "$d" "$FAC")" "file_data $FA"

# 5. $MFT's own record broken: libntfs-3g will not mount it, so it is
# read with $MFTMirr's copy, and said so; broken in both: unknown
MIRR=$(($(awk -F: '/LCN of Data Attribute for File_MFTMirr/ { print $2 + 0 }' "$T/info") * CS))
d=$(fresh)
poke "$d" $(($(rec 0) + 510)) '\377\377'
run --list --json "$d"
check_eq "fstype with a broken \$MFT record 0" "$(jq -r '.disks[0].content.fstype' "$T/out")" ntfs
warnings "$d" | grep -q "read with \$MFTMirr's records in place of \$MFT's" || fail "no warning for \$MFT: $(warnings "$d")"
check_eq "SOFTWARE with \$MFT read from its mirror" "$(look "$d" "$SWC")" "file_data $SW"
poke "$d" $((MIRR + 510)) '\377\377'
run --list --json "$d"
check_eq "fstype with \$MFT and \$MFTMirr broken" "$(jq -r '.disks[0].content.type' "$T/out")" unknown
jq -r '.disks[0].content.reason' "$T/out" | grep -q "libntfs-3g" || fail "no reason: $(jq -c .disks[0].content "$T/out")"
look "$d" 0 >/dev/null

# 5b. $MFTMirr differs from $MFT (as after a crash): read with $MFT's
d=$(fresh)
poke "$d" $((MIRR + 2 * RS + 100)) 'XXXX'
run --list --json "$d"
check_eq "fstype with a stale \$MFTMirr" "$(jq -r '.disks[0].content.fstype' "$T/out")" ntfs
warnings "$d" | grep -q "\$MFTMirr does not match \$MFT (record 2): read with \$MFT's records in place of \$MFTMirr's" ||
	fail "no warning for \$MFTMirr: $(warnings "$d")"
check_eq "SOFTWARE beside a stale \$MFTMirr" "$(look "$d" "$SWC")" "file_data $SW"

# 6. bad clusters: four free clusters given to $BadClus:$Bad, as chkdsk
# marks them (its sparse runlist rewritten: 4 at LCN B, then a hole)
d=$(fresh)
B=
c=40
while [ $c -lt 120 ] && [ -z "$B" ]; do
	ntfscluster -c "$c-$((c + 3))" "$d" 2>/dev/null | grep -q 'no inode found' && B=$c
	c=$((c + 4))
done
[ -n "$B" ] || fail "no four free clusters below 128"
bad=$(attr "$d" 8 128)
while [ "$(u8 "$d" $((bad + 9)))" = 0 ]; do bad=$((bad + $(u32 "$d" $((bad + 4))))); done
[ "$(u8 "$d" $((bad + 8)))" = 1 ] || fail "\$BadClus:\$Bad is resident"
[ "$(u32 "$d" $((bad + 4)))" -ge $(($(u16 "$d" $((bad + 32))) + 8)) ] || fail "no room for the runlist"
total=$(( $(u32 "$d" $((bad + 24))) + 1 ))
rest=$((total - 4))
[ $rest -lt 32768 ] || fail "the volume is too big for a 2-byte hole"
poke "$d" $((bad + $(u16 "$d" $((bad + 32))))) "\021\004$(byte "$B")\002$(byte $((rest & 255)))$(byte $((rest >> 8)))\000"
ntfscluster -c "$B-$B" "$d" 2>/dev/null | grep -q 'Inode 8 /\$BadClus/\$DATA(\$Bad)' ||
	fail "ntfscluster does not see the bad clusters: $(ntfscluster -c "$B-$B" "$d" 2>&1 | tail -2)"
check_eq "a bad cluster" "$(look "$d" $((B + 3)))" "bad 8"
check_eq "the cluster after the bad ones" "$(look "$d" $((B + 4)))" "$(look "$ORIG" $((B + 4)))"
jq -r '.owners[-1].path' "$T/out" >/dev/null
echo $((B * CS)) >"$T/q"; run --lookup - --json "$d" <"$T/q"
check_eq "a bad cluster's path" "$(jq -r '.owners[-1].path' "$T/out")" '/$BadClus:$Bad'
echo "ok: broken fixups, a looping runlist, a run past the end, a self-pointing attribute list, a broken \$MFT or \$MFTMirr: warnings, no owner, no hang, nothing on stderr; bad clusters as \$BadClus marks them"
