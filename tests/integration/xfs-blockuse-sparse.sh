#!/bin/sh
# xfs-blockuse.sh on xfs-sparse.img, whose inode B+tree has a sparse chunk
# (half its inodes a hole, those blocks another file's): every block agrees
# with xfs_db, the chunk's hole included.
. "$(dirname "$0")/../lib.sh"
requires xfs_db xz
img=$(image xfs-sparse)
xfs_db -r -c 'agi 0' -c 'addr root' -c 'p recs' "$img" | grep ':\[' | grep -qv ',0,64,' ||
	fail "xfs-sparse.img has no sparse inode chunk"
XFS_IMAGE=xfs-sparse sh "$(dirname "$0")/xfs-blockuse.sh"
