#!/bin/sh
# xfs-blockuse.sh on xfs-extra.img, an XFS v5 with sparse inodes whose log
# is on another device: every block agrees with xfs_db, and --list names
# the log as external.
. "$(dirname "$0")/../lib.sh"
requires jq xz
img=$(image xfs-extra)
"$DA" --list --json "$img" | jq -r '.disks[0].content.log' | grep -q '^external' ||
	fail "the external log is not named"
XFS_IMAGE=xfs-extra sh "$(dirname "$0")/xfs-blockuse.sh"
