#!/bin/sh
# LVM2 on a GPT partition: three LVs, one in two segments apart on the PV
# (ext4), one FAT, one swap.  Segments, PV figures and lookups against
# lvs/pvs (live on loop devices when allowed, else the committed truth).
# alone: attaches loop devices (losetup -f), which scripts running at once would race for
. "$(dirname "$0")/../lib.sh"
requires jq xz
. "$IMAGES/lvm-check.sh"
lvm_check lvm-gpt "atlas/data:filesystem:ext* atlas/logs:filesystem:fat* atlas/swap:swap:*" lvm-gpt
