#!/bin/sh
# Seeds for the NTFS plugin and its file index, made by mkntfs and the
# ntfs-3g tools:
#   ntfs-tools-seed  filled without mounting (ntfscp, ntfsfallocate,
#                    ntfstruncate, ntfsmftalloc): files in the root (enough
#                    for index blocks), named streams (enough for an
#                    attribute list), preallocated space past the
#                    initialized size, a sparse file with runs in its
#                    holes, extra MFT records
#   ntfs-fuse-seed   filled through ntfs-3g (FUSE, on the image file, when
#                    it can mount here): a compressed directory with
#                    compressible and incompressible files, a directory
#                    large enough for an $INDEX_ALLOCATION, a file with so
#                    many hard links and streams that its attributes
#                    overflow into an attribute list, files of many
#                    owners ($Secure's indexes grow), a fragmented file
#   ntfs-4k-seed     4 KiB sectors, clusters and MFT records, a volume 1 MiB
#                    shorter than its image (mkntfs and ntfscp)
# and damaged copies of the first two (ntfs_damage.py: one structure at a
# time).
# Usage: sh tests/fuzz/seeds/ntfs.sh DIR   (writes DIR/ntfs-*)
set -eu
out=$1
for t in mkntfs ntfscp; do
	command -v "$t" >/dev/null 2>&1 || exit 0
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/da-seeds.XXXXXX")
mnt=$tmp/mnt
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT
lines() { awk -v w="$2" -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s line %06d\n", w, i }'; }
damage() { command -v python3 >/dev/null 2>&1 && python3 "$(dirname "$0")/ntfs_damage.py" "$@"; }

# ---- without mounting -------------------------------------------------------
img=$tmp/tools
truncate -s 3M "$img"
mkntfs -F -Q -q -L tools -s 512 -c 512 "$img" >/dev/null 2>&1
lines 10 small >"$tmp/small"
lines 2000 big >"$tmp/big"
lines 300 stream >"$tmp/stream"
ntfscp -q "$img" "$tmp/small" small.txt
ntfscp -q "$img" "$tmp/big" big.txt
ntfscp -q "$img" "$tmp/big" journal8
ntfscp -q "$img" "$tmp/small" prealloc.bin
ntfscp -q -N extra "$img" "$tmp/stream" big.txt 2>/dev/null || true
# clusters allocated past the initialized size
ntfsfallocate -l 65536 "$img" prealloc.bin >/dev/null 2>&1 || true
ntfscp -q "$img" "$tmp/small" sparse.bin
ino() { ntfsls -i "$img" | awk -v n="$1" '$2 == n { print $1 }'; }
# grown past its data: a sparse tail
ntfstruncate "$img" "$(ino sparse.bin)" 1048576 >/dev/null 2>&1 || true
# clusters allocated inside its holes: runs between sparse runs
for o in 65536 262144 524288; do
	ntfsfallocate -n -o $o -l 8192 "$img" sparse.bin >/dev/null 2>&1 || true
done
# streams until the record is full: an attribute list and extension
# records
ntfscp -q "$img" "$tmp/small" streams.bin
i=0
while [ $i -lt 24 ]; do
	ntfscp -q -N "a stream with a longer name $i" "$img" "$tmp/stream" streams.bin 2>/dev/null || true
	i=$((i + 1))
done
# names enough for the root directory's own index blocks
i=0
while [ $i -lt 30 ]; do
	ntfscp -q "$img" "$tmp/small" "a file in the root directory $i" 2>/dev/null || true
	i=$((i + 1))
done
# new MFT records: a base record with no name, and an extension record
# of big.txt that its attributes do not use
if command -v ntfsmftalloc >/dev/null 2>&1; then
	ntfsmftalloc "$img" >/dev/null 2>&1 || true
	ntfsmftalloc "$img" "$(ino big.txt)" >/dev/null 2>&1 || true
fi
cp "$img" "$out/ntfs-tools-seed"
damage "$out/ntfs-tools-seed" "$out" || true

img=$tmp/big4k
truncate -s 4M "$img"
# the volume ends 1 MiB before the image does
mkntfs -F -Q -q -L big4k -s 4096 -c 4096 "$img" 768 >/dev/null 2>&1 &&
	ntfscp -q "$img" "$tmp/big" big.txt && cp "$img" "$out/ntfs-4k-seed"

# ---- through ntfs-3g ----------------------------------------------------------
command -v ntfs-3g >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
	[ -c /dev/fuse ] || exit 0
img=$tmp/fuse
truncate -s 4M "$img"
mkntfs -F -Q -q -L fuse -s 512 -c 512 "$img" >/dev/null 2>&1
mkdir "$mnt"
ntfs-3g -o streams_interface=windows,compression,permissions "$img" "$mnt" 2>/dev/null || exit 0
python3 - "$mnt" <<'EOF' || true
import os, random, struct, sys
m = sys.argv[1]
def lines(n, w):
    return ''.join('%s line %06d\n' % (w, i) for i in range(n)).encode()
# a compressed directory: new files in it are compressed
os.mkdir(m + '/packed')
os.setxattr(m + '/packed', 'system.ntfs_attrib_be', struct.pack('>I', 0x810))
open(m + '/packed/text.txt', 'wb').write(lines(3000, 'compressible'))
random.seed(12)
open(m + '/packed/noise.bin', 'wb').write(random.randbytes(40000))
# a directory with more names than its record holds: $INDEX_ALLOCATION
os.mkdir(m + '/many')
for i in range(300):
    open(m + '/many/a file with a rather long name %03d.txt' % i, 'wb').write(b'x')
# hard links and streams until the attributes need an attribute list
open(m + '/linked.txt', 'wb').write(lines(5, 'linked'))
os.mkdir(m + '/links')
for i in range(24):
    os.link(m + '/linked.txt', m + '/links/another name for the linked file %02d' % i)
for i in range(12):
    open(m + '/linked.txt:stream%02d' % i, 'wb').write(lines(20, 'stream %d' % i))
os.symlink('links', m + '/symlink')
# files of many owners: a security descriptor each, so that $Secure's
# indexes grow out of their records
os.mkdir(m + '/owners')
for i in range(150):
    p = m + '/owners/owned by %d' % i
    open(p, 'wb').close()
    os.chown(p, 1000 + i, 2000 + i)
    os.chmod(p, 0o600 + i % 64)
# names enough for the root directory's own index blocks
for i in range(60):
    open(m + '/in the root directory %02d' % i, 'wb').write(b'r')
# a fragmented file: the volume filled with small files, every other one
# deleted, then a file written into the holes
os.mkdir(m + '/fill')
n = 0
try:
    while n < 5000:
        with open(m + '/fill/%d' % n, 'wb') as f:
            f.write(b'f' * 4096)
        n += 1
except OSError:
    pass
for k in range(0, n, 2):
    os.remove(m + '/fill/%d' % k)
with open(m + '/frag.bin', 'wb') as f:
    f.write(lines(1500, 'fragmented')[:n // 2 * 4096 - 8192])
EOF
umount "$mnt"
cp "$img" "$out/ntfs-fuse-seed"
damage "$out/ntfs-fuse-seed" "$out" || true
exit 0
