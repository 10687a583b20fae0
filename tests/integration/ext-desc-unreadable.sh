#!/bin/sh
# ext group descriptors that cannot be read: a meta_bg filesystem keeps
# each meta group's descriptor block in that meta group, so an image cut
# short before the last one leaves its groups without descriptors.
# dumpe2fs (the ground truth) cannot open the cut image either; diskatlas
# must list an unknown node whose reason says how many groups are left
# without a descriptor and the first of them, at once, with nothing on
# stderr; the whole image must list as ext4 with no such reason.  Then a
# descriptor block past the end of the filesystem itself: a first_meta_bg
# that puts the descriptors of every group in meta groups beyond it.
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 dumpe2fs debugfs jq timeout

IMG=$T/mbg.img
truncate -s 512M "$IMG"
mkfs.ext4 -q -F -b 1024 -O meta_bg,^resize_inode "$IMG" >/dev/null 2>&1 ||
	fail "mkfs.ext4 -O meta_bg"
dumpe2fs "$IMG" >"$T/dump" 2>/dev/null || fail "dumpe2fs of the whole image"
GROUPS=$(grep -c '^Group [0-9]' "$T/dump")
# descriptors a block: 1024 / the descriptor size
DSZ=$(awk -F: '/^Group descriptor size/ { print $2 + 0 }' "$T/dump")
[ -n "$DSZ" ] || DSZ=32
DPB=$((1024 / DSZ))
[ "$GROUPS" -gt $((2 * DPB)) ] || fail "only $GROUPS groups: one meta group"
# the last meta group's first group, and its descriptor block (dumpe2fs:
# "Group descriptor at N" in that group's lines)
LASTMG=$(( (GROUPS - 1) / DPB * DPB ))
DBLK=$(awk -v g="$LASTMG" '
	/^Group [0-9]/ { cur = $2 + 0 }
	cur == g && /Group descriptor at/ { s = $0; sub(/.*Group descriptor at /, "", s); print s + 0; exit }' "$T/dump")
[ -n "$DBLK" ] || fail "no descriptor block named for group $LASTMG"

timeout 20 "$DA" --list --json "$IMG" >"$T/whole.json" 2>"$T/err" || fail "whole: exit $?"
[ ! -s "$T/err" ] || fail "whole: stderr: $(head -2 "$T/err")"
check_eq "whole image" "$(jq -r '.disks[0].content.fstype' "$T/whole.json")" ext4
! jq -e '.disks[0].content.reason // "" | test("cannot be read")' "$T/whole.json" >/dev/null ||
	fail "whole image: $(jq -r '.disks[0].content.reason' "$T/whole.json")"

# cut just before that block: groups LASTMG.. have no descriptor
cp --sparse=always "$IMG" "$T/cut.img"
truncate -s $((DBLK * 1024)) "$T/cut.img"
! dumpe2fs "$T/cut.img" >/dev/null 2>&1 || fail "dumpe2fs opens the cut image"
timeout 20 "$DA" --list --json "$T/cut.img" >"$T/cut.json" 2>"$T/err" || fail "cut: exit $?"
[ ! -s "$T/err" ] || fail "cut: stderr: $(head -2 "$T/err")"
check_eq "cut image type" "$(jq -r '.disks[0].content.type' "$T/cut.json")" unknown
REASON=$(jq -r '.disks[0].content.reason' "$T/cut.json")
WANT="group descriptors: $((GROUPS - LASTMG)) of $GROUPS cannot be read (first: group $LASTMG)"
case $REASON in
*"$WANT"*) ;;
*) fail "cut image: reason '$REASON', want '$WANT'" ;;
esac
# the text output and a lookup say it too, at once
timeout 20 "$DA" --list "$T/cut.img" >"$T/cut.txt" 2>"$T/err" || fail "cut --list: exit $?"
grep -q "$WANT" "$T/cut.txt" || fail "cut --list: $(cat "$T/cut.txt")"
timeout 20 "$DA" --lookup 4096 "$T/cut.img" >/dev/null 2>"$T/err" || fail "cut --lookup: exit $?"

# first_meta_bg past the groups: libext2fs reads every descriptor from
# the blocks after the superblock then, the same as ours
cp --sparse=always "$IMG" "$T/fmb.img"
debugfs -w -R "ssv first_meta_bg $((GROUPS / DPB + 5))" "$T/fmb.img" >/dev/null 2>&1 ||
	fail "debugfs ssv first_meta_bg"
if dumpe2fs "$T/fmb.img" >/dev/null 2>&1; then lib=ok; else lib=refused; fi
timeout 20 "$DA" --list --json "$T/fmb.img" >"$T/fmb.json" 2>"$T/err" || fail "first_meta_bg: exit $?"
[ ! -s "$T/err" ] || fail "first_meta_bg: stderr: $(head -2 "$T/err")"
TYPE=$(jq -r '.disks[0].content.type' "$T/fmb.json")
# whatever dumpe2fs makes of it, diskatlas answers it without a crash:
# listed (with the damage as warnings) or unknown with a reason
case $TYPE in
filesystem | unknown) ;;
*) fail "first_meta_bg: node type $TYPE (dumpe2fs: $lib)" ;;
esac
[ "$TYPE" = filesystem ] || [ -n "$(jq -r '.disks[0].content.reason // ""' "$T/fmb.json")" ] ||
	fail "first_meta_bg: unknown without a reason"
echo "meta_bg: $GROUPS groups, $DPB a block; cut before block $DBLK: $REASON; first_meta_bg: $TYPE (dumpe2fs $lib)"
