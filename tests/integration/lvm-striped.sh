#!/bin/sh
# A striped LV (2 stripes of 64 KiB) over two PVs on one GPT disk, with an
# ext4 written chunk by chunk, and a linear LV.  Lookups in each stripe
# must land at the chunk's offset in the LV.
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq xz
. "$IMAGES/lvm-check.sh"
lvm_check lvm-striped "stripes/fast:filesystem:ext*" lvm-striped
