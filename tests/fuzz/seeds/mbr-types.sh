#!/bin/sh
# Seeds for the MBR reader and the partition type names: two small disks
# partitioned by sfdisk with every type the names table knows, primary
# and logical (an extended partition of type 0x0f, and one of 0x85).
# Usage: sh tests/fuzz/seeds/mbr-types.sh DIR   (writes DIR/mbr-types-*)
set -eu
out=$1
PATH=$PATH:/sbin:/usr/sbin
command -v sfdisk >/dev/null 2>&1 || exit 0
mk() {   # mk NAME EXTENDED-TYPE PRIMARY-TYPES... -- LOGICAL-TYPES...
	name=$1 ext=$2
	shift 2
	f="$out/mbr-types-$name"
	rm -f "$f"
	truncate -s 4M "$f"
	{
		echo "label: dos"
		for t in "$@"; do
			[ "$t" = -- ] && { echo "size=1600, type=$ext"; continue; }
			echo "size=64, type=$t"
		done
	} | sfdisk -q "$f" >/dev/null 2>&1 || rm -f "$f"
}
mk fat 0f 01 04 0b -- 0e 11 27 42 a5 a6 a9
mk linux 85 af ef fd -- 83 82 8e 07 0c 06
