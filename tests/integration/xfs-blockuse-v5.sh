#!/bin/sh
# xfs-blockuse.sh on the v5 image with rmapbt and reflink (xfs-rmap.img):
# xfs_db's inode walk and ours agree on every block too.
XFS_IMAGE=xfs-rmap exec sh "$(dirname "$0")/xfs-blockuse.sh"
