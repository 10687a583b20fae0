#!/bin/sh
# Seeds for the qcow2 reader: small images made by qemu-img from a test
# image (v2, v3, compressed with zlib and zstd, extended L2, a snapshot).
# Usage: sh tests/fuzz/seeds/qcow2.sh DIR   (writes DIR/qcow2-*)
set -eu
out=$1
command -v qemu-img >/dev/null 2>&1 || exit 0
top=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
xz -dc "$top/tests/images/fat-12.img.xz" >"$tmp/raw"
q() { qemu-img convert -O qcow2 "$@"; }
q -o compat=0.10,cluster_size=4096 "$tmp/raw" "$out/qcow2-v2"
q -o cluster_size=4096 "$tmp/raw" "$out/qcow2-v3"
q -c -o cluster_size=4096 "$tmp/raw" "$out/qcow2-zlib"
q -c -o cluster_size=4096,compression_type=zstd "$tmp/raw" "$out/qcow2-zstd"
q -o cluster_size=16384,extended_l2=on "$tmp/raw" "$out/qcow2-extl2"
cp "$out/qcow2-v3" "$out/qcow2-snapshot"
qemu-img snapshot -c first "$out/qcow2-snapshot"
