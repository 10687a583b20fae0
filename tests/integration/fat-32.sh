#!/bin/sh
# fat-12.sh's checks on the bare FAT32 (tests/images/fat-32.sh).
FAT_NAME=fat-32
. "$(dirname "$0")/fat-12.sh"

