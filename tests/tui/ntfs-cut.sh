#!/bin/sh
# The explorer on ntfs-small cut at 2000000 bytes (512-byte clusters, the
# cut inside cluster 3906): g to the last byte shows its cluster with the
# role and file ntfscluster gives it on the intact image ($LogFile, inode
# 2), not "unused", and the volume's own size with its used and free as
# ntfsinfo -m counts them on the intact image.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires xz ntfsinfo ntfscluster
[ -x "$DA" ] || fail "diskatlas is not built"
IMG=$(image ntfs-small)
head -c 2000000 "$IMG" >"$T/cut.img"
ntfscluster -c 3906 "$IMG" 2>/dev/null | grep -q '^Inode 2 /\$LogFile/\$DATA$' ||
	fail "ntfscluster: cluster 3906 is not \$LogFile's"
ntfsinfo -m "$IMG" >"$T/info" 2>/dev/null || fail "ntfsinfo cannot read ntfs-small"
nc=$(awk -F: '/Volume Size in Clusters/ { print $2 + 0 }' "$T/info")
free=$(awk -F: '/Free Clusters/ { print $2 + 0 }' "$T/info")
tui_start "$T/cut.img"
wait_indexed
keys g; typed 1999999; keys Enter
check_eq "the cursor" "$(cursor_offset)" 1999999
side | grep -q "^   block 3906  log, cluster 3906" ||
	fail "the side pane does not say cluster 3906 is the log: $(side)"
side | grep -q '^   path /\$LogFile$' || fail "no path /\$LogFile: $(side)"
! side | grep -q "past the end of what the format describes" ||
	fail "the side pane says the cluster is past the format's end: $(side)"
echo "ok: cluster 3906 of the cut NTFS is \$LogFile's in the side pane, as ntfscluster says"
# the volume's own size, and its used and free (ntfsinfo -m): 1008 KiB
# and 2.0 MiB of 512-byte clusters
facts=$(side | tr '\n' ' ' | tr -s ' ' | sed -n 's/.*ntfs, \([0-9.]* [KMG]iB\) (\([0-9.]* [KMG]iB\) of it on the device): \([0-9.]* [KMG]iB\) used, \([0-9.]* [KMG]iB\) free.*/\1 \2 \3 \4/p')
[ -n "$facts" ] || fail "the side pane does not give the NTFS's own size and the device's: $(side)"
echo "$facts" | awk -v own=$((nc * 512)) -v dev=2000000 -v used=$(( (nc - free) * 512 )) -v fr=$((free * 512)) '
	function b(v, u) { return v * (u == "KiB" ? 1024 : u == "MiB" ? 1048576 : 1073741824) }
	function near(v, u, want) { h = b(index(v, ".") ? 0.05 : 0.5, u); return want >= b(v, u) - h && want <= b(v, u) + h }
	{ if (!near($1, $2, own) || !near($3, $4, dev) || !near($5, $6, used) || !near($7, $8, fr)) exit 1 }' ||
	fail "sizes $facts, want $((nc * 512)), 2000000 on the device, $(( (nc - free) * 512 )) used, $((free * 512)) free"
echo "ok: the cut NTFS: $facts (ntfsinfo -m on the intact image)"
keys q
wait_for '^EXIT=' || fail "q"
