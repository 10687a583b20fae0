#!/bin/sh
# xfs-blockuse.sh on xfs-small.img: 1 KiB blocks (AG headers over two
# blocks) and directory blocks of four filesystem blocks.
XFS_IMAGE=xfs-small exec sh "$(dirname "$0")/xfs-blockuse.sh"
