#!/bin/sh
# fat-12.sh's checks on the FAT16 inside an MBR (tests/images/fat-16.sh).
FAT_NAME=fat-16
. "$(dirname "$0")/fat-12.sh"

