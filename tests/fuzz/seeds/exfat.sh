#!/bin/sh
# Seeds for the exFAT plugin and its file index: the exFAT of the memory
# card test image on its own (nested directories, contiguous (NoFatChain)
# and fragmented (FAT-chained) files, a directory of several clusters,
# Unicode names, a label), its first 4 MiB; empty volumes made by
# mkfs.exfat in other geometries (512-byte and 64 KiB clusters, the
# bitmap packed into the FAT segment, a small boundary alignment, no
# label); and damaged copies of the card's volume (exfat_damage.py: one
# structure at a time).
# Usage: sh tests/fuzz/seeds/exfat.sh DIR   (writes DIR/exfat-*)
set -eu
out=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
card=$top/tests/images/exfat-card.img.xz
if [ -f "$card" ]; then
	# the partition starts at 1 MiB (exfat-card.sh)
	xz -dc "$card" | tail -c +1048577 | head -c 4194304 >"$out/exfat-card-fs-seed"
	if command -v python3 >/dev/null 2>&1; then
		python3 "$(dirname "$0")/exfat_damage.py" "$out/exfat-card-fs-seed" "$out" || true
	fi
fi
command -v mkfs.exfat >/dev/null 2>&1 || exit 0
mk() {   # mk NAME SIZE MKFS-OPTIONS...
	n=$1 size=$2; shift 2
	truncate -s "$size" "$tmp/$n"
	mkfs.exfat "$@" "$tmp/$n" >/dev/null 2>&1 || return 0
	head -c 4194304 "$tmp/$n" >"$out/$n"
}
mk exfat-c512 3M -c 512 -L SMALL512
mk exfat-c64k 4M -c 64K
mk exfat-packed 4M -c 4K --pack-bitmap -L PACKED
mk exfat-align 2M -c 1K -b 4K -L ALIGNED
exit 0
