#!/bin/sh
# Seeds for the qcow2 reader: small images made by qemu-img and qemu-io
# from a test image: v2, v3, compressed with zlib and zstd, extended L2
# with subclusters, snapshots with writes between them, zero and
# discarded clusters, refcounts of 1 and 64 bits, persistent bitmaps,
# LUKS encryption, an external data file, backing files (the fuzz
# target's copy of the input, file descriptor 200: as qcow2 and as raw,
# shorter than the guest), a backing file that is missing and one that is
# a URI; then qcow2_damage.py's damaged copies.
# Usage: sh tests/fuzz/seeds/qcow2.sh DIR   (writes DIR/qcow2-*)
set -eu
out=$1
command -v qemu-img >/dev/null 2>&1 || exit 0
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
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
command -v qemu-io >/dev/null 2>&1 || exit 0
io() {   # io IMAGE COMMAND...: qemu-io commands on a qcow2 file
	f=$1 n=$(($# - 1))
	shift
	while [ "$n" -gt 0 ]; do set -- "$@" -c "$1"; shift; n=$((n - 1)); done
	qemu-io -f qcow2 "$@" "$f" >/dev/null
}

# subclusters: parts of clusters written, zeroed, and left alone
q -o cluster_size=32768,extended_l2=on "$tmp/raw" "$tmp/x"
qemu-img resize -q "$tmp/x" 6M
io "$tmp/x" "write -P 0x61 4M 2k" "write -z 4104k 4k" "write -P 0x62 5000k 1k" \
	"write -z 5200k 64k" "discard 64k 32k"
cp "$tmp/x" "$out/qcow2-subclusters"

# snapshots with writes between them (copy on write), zero and discarded
# clusters; refcounts of 1 bit and 64 bits
q -o cluster_size=4096 "$tmp/raw" "$tmp/s"
qemu-img snapshot -c one "$tmp/s"
io "$tmp/s" "write -P 0x71 0 16k" "write -z 64k 16k" "discard 128k 64k"
qemu-img snapshot -c two "$tmp/s"
io "$tmp/s" "write -P 0x72 8k 8k"
cp "$tmp/s" "$out/qcow2-snapshots-cow"
q -o cluster_size=4096,refcount_bits=1 "$tmp/raw" "$tmp/r1"
io "$tmp/r1" "write -P 0x73 0 16k" "discard 128k 64k"
cp "$tmp/r1" "$out/qcow2-refcount1"
q -o cluster_size=4096,refcount_bits=64 "$tmp/raw" "$tmp/r64"
io "$tmp/r64" "write -z 0 64k" "discard 256k 256k"
cp "$tmp/r64" "$out/qcow2-refcount64"

# persistent dirty bitmaps with data
q -o cluster_size=4096 "$tmp/raw" "$tmp/b"
qemu-img bitmap --add "$tmp/b" bm0
qemu-img bitmap --add --granularity 65536 "$tmp/b" bm1
io "$tmp/b" "write -P 0x55 0 64k" "write -P 0x56 512k 4k"
cp "$tmp/b" "$out/qcow2-bitmaps"

# LUKS encryption of the guest's data (qemu-img times its PBKDF2 on the
# CPU clock, and fails when the clock has not moved yet: SHA-512 makes
# that rare, and a failure is tried again)
n=0
until qemu-img create -q -f qcow2 --object secret,id=s0,data=fuzz-seed \
	-o encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10,encrypt.hash-alg=sha512,cluster_size=4096 \
	"$tmp/e" 256k 2>"$tmp/e.err"; do
	n=$((n + 1))
	[ "$n" -lt 8 ] || { cat "$tmp/e.err" >&2; exit 1; }
done
cp "$tmp/e" "$out/qcow2-luks"

# an external data file: the header names it, the file is not ours
qemu-img create -q -f qcow2 -o data_file="$tmp/e.raw",cluster_size=4096 "$tmp/d" 1M
cp "$tmp/d" "$out/qcow2-datafile"

# backing files: the fuzz target's copy of the input, as qcow2 (its
# clusters shadow every allocated one of the top) and as raw, shorter
# than the guest (its tail reads as zeros)
cp "$out/qcow2-v3" "$tmp/bq"
qemu-img rebase -q -u -b 200 -F qcow2 "$tmp/bq"
cp "$tmp/bq" "$out/qcow2-backing-qcow2"
cp "$out/qcow2-zlib" "$tmp/br"
qemu-img resize -q "$tmp/br" 6M
qemu-img rebase -q -u -b 200 -F raw "$tmp/br"
cp "$tmp/br" "$out/qcow2-backing-raw"
cp "$out/qcow2-v3" "$tmp/bm"
qemu-img rebase -q -u -b missing-backing.qcow2 -F qcow2 "$tmp/bm"
cp "$tmp/bm" "$out/qcow2-backing-missing"
cp "$out/qcow2-v3" "$tmp/bu"
qemu-img rebase -q -u -b nbd://localhost/backing -F raw "$tmp/bu"
cp "$tmp/bu" "$out/qcow2-backing-uri"

command -v python3 >/dev/null 2>&1 || exit 0
q -o cluster_size=65536 "$tmp/raw" "$tmp/big"
python3 "$here/qcow2_damage.py" "$out/qcow2-v3" "$out/qcow2-zlib" "$tmp/big" \
	"$out/qcow2-snapshots-cow" "$out/qcow2-bitmaps" "$out/qcow2-backing-qcow2" "$out"
