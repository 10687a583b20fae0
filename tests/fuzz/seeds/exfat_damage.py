#!/usr/bin/env python3
"""Damaged copies of an exFAT seed made by tests/fuzz/seeds/exfat.sh (a
volume with nested directories, contiguous (NoFatChain) and FAT-chained
files and a directory of several clusters), one damage a copy, for the
exFAT plugin's hostile paths: boot sector fields the geometry refuses
(with the backup intact, and with both bad), a wrong boot checksum, two
FATs with the second active, root entries (allocation bitmap, up-case
table) missing, short, outside the heap or with a wrong checksum, a
volume GUID entry, a root cluster chain leaving the heap, entry sets
with a wrong checksum, no stream extension, no name, a valid length past
the allocation, bad secondary counts or running past their directory,
chains that loop, end early or lead to a free cluster, contiguous files
past the heap, directories that loop back, share a cluster or are longer
than the spec allows, names with UTF-16 surrogates, and clusters the
bitmap marks used that no file reaches.
Usage: exfat_damage.py SEED OUTDIR   (writes OUTDIR/exfat-dmg-*)"""
import os
import struct
import sys

from ondisk import le16, le32, le64, put_le16 as p16, put_le32 as p32, put_le64 as p64

src, out = sys.argv[1], sys.argv[2]
base = bytearray(open(src, 'rb').read())


bps = 1 << base[108]
cs = bps << base[109]
fat_sector = le32(base, 80)
fat_sectors = le32(base, 84)
heap = le32(base, 88) * bps
nclusters = le32(base, 92)
rootc = le32(base, 96)
FAT = fat_sector * bps


def coff(c):
    return heap + (c - 2) * cs


def fat_get(b, c):
    return le32(b, FAT + 4 * c)


def fat_set(b, c, v):
    p32(b, FAT + 4 * c, v)


def boot_sum(b, at):
    s = 0
    for i in range(11 * bps):
        if i in (106, 107, 112):
            continue
        s = ((0x80000000 if s & 1 else 0) + (s >> 1) + b[at + i]) & 0xFFFFFFFF
    return s


def fix_boot(b, at=0):
    s = boot_sum(b, at)
    for i in range(0, bps, 4):
        p32(b, at + 11 * bps + i, s)


def set_sum(b, o, count):
    s = 0
    for i in range(count * 32):
        if i in (2, 3):
            continue
        s = ((0x8000 if s & 1 else 0) + (s >> 1) + b[o + i]) & 0xFFFF
    p16(b, o + 2, s)


def chain(b, first, nofat, size):
    n = max(1, (size + cs - 1) // cs)
    if nofat:
        return list(range(first, first + n))
    out = []
    c = first
    while 2 <= c < nclusters + 2 and len(out) < 100000:
        out.append(c)
        c = fat_get(b, c)
    return out


class Entry:
    pass


def read_dir(b, clusters, path):
    """Entry sets of a directory (its clusters), recursively."""
    data = b''.join(bytes(b[coff(c):coff(c) + cs]) for c in clusters)
    found = []
    pos = 0
    while pos + 32 <= len(data):
        t = data[pos]
        if t == 0:
            break
        if t == 0x85:
            e = Entry()
            e.count = data[pos + 1] + 1
            k = pos // cs
            e.at = coff(clusters[k]) + pos % cs
            s = pos + 32
            e.stream = coff(clusters[s // cs]) + s % cs
            nlen = data[s + 3]
            units = []
            for i in range(2, e.count):
                n = pos + 32 * i
                units += struct.unpack_from('<15H', data, n + 2)
            e.name = ''.join(chr(u) for u in units[:nlen]
                             if not 0xD800 <= u < 0xE000)
            e.path = path + '/' + e.name
            e.dir = bool(le16(data, pos + 4) & 0x10)
            e.nofat = bool(data[s + 1] & 2)
            e.first = le32(data, s + 20)
            e.size = le64(data, s + 24)
            e.clusters = chain(b, e.first, e.nofat, e.size)
            e.parent = clusters
            found.append(e)
            if e.dir and e.path.count('/') < 20:
                found += read_dir(b, e.clusters, e.path)
            pos += 32 * e.count
            continue
        pos += 32
    return found


root_clusters = chain(base, rootc, False, 0)
files = read_dir(base, root_clusters, '')
if not files:
    raise SystemExit('exfat_damage: no files in the seed')


def pick(cond, what):
    for e in files:
        if cond(e):
            return e
    raise SystemExit('exfat_damage: the seed has no %s' % what)


chained = pick(lambda e: not e.dir and not e.nofat and len(e.clusters) > 2,
               'fragmented file')
contig = pick(lambda e: not e.dir and e.nofat and e.size > cs, 'NoFatChain file')
subdir = pick(lambda e: e.dir and len(e.clusters) == 1, 'one-cluster directory')
bigdir = pick(lambda e: e.dir and len(e.clusters) > 1, 'long directory')
named = pick(lambda e: not e.dir and len(e.name) > 4, 'file with a long name')


def root_entry(b, t):
    o = coff(rootc)
    for i in range(0, cs, 32):
        if b[o + i] == t:
            return o + i
        if b[o + i] == 0:
            return o + i
    return o


made = 0


def variant(name, fn):
    global made
    b = bytearray(base)
    fn(b)
    with open(os.path.join(out, 'exfat-dmg-' + name), 'wb') as f:
        f.write(b)
    made += 1


# ---- the boot region: the main one damaged, the backup intact ---------------
def boot(setter, fix=False, backup_too=False):
    def f(b):
        setter(b, 0)
        if fix:
            fix_boot(b, 0)
        if backup_too:
            setter(b, 12 * bps)
    return f


variant('boot-signature', boot(lambda b, o: p16(b, o + 510, 0)))
variant('boot-legacy-bpb', boot(lambda b, o: b.__setitem__(o + 20, 1)))
variant('boot-sector-shift', boot(lambda b, o: b.__setitem__(o + 108, 8)))
variant('boot-cluster-shift', boot(lambda b, o: b.__setitem__(o + 109, 20)))
variant('boot-nfats', boot(lambda b, o: b.__setitem__(o + 110, 3)))
variant('boot-fat-sector', boot(lambda b, o: p32(b, o + 80, 10)))
variant('boot-fat-empty', boot(lambda b, o: p32(b, o + 84, 0)))
variant('boot-heap-overlap', boot(lambda b, o: p32(b, o + 88, fat_sector + 1)))
variant('boot-heap-past', boot(lambda b, o: p64(b, o + 72, le32(b, o + 88))))
variant('boot-clusters-zero', boot(lambda b, o: p32(b, o + 92, 0)))
variant('boot-fat-small', boot(lambda b, o: p32(b, o + 84, 1)))
variant('boot-root-cluster', boot(lambda b, o: p32(b, o + 96, 1)))


def fats_past(b, o):
    far = 1 << 24
    p32(b, o + 80, far)
    p32(b, o + 88, far + fat_sectors)
    p64(b, o + 72, far + fat_sectors + (nclusters + 8) * (cs // bps))


variant('boot-fats-past-device', boot(fats_past))
variant('boot-checksum', lambda b: p32(b, 11 * bps + 8, 0x12345678))
variant('boot-both', boot(lambda b, o: p16(b, o + 510, 0), backup_too=True))
variant('boot-backup', lambda b: p16(b, 12 * bps + 510, 0))


def texfat(b):
    # two FATs, the second active: FAT 1 is a copy of FAT 0 placed right
    # after it (the seed's FAT region leaves room before the heap)
    if fat_sector + 2 * fat_sectors > le32(b, 88):
        return
    for o in (0, 12 * bps):
        b[o + 110] = 2
        p16(b, o + 106, le16(b, o + 106) | 1)
    n = fat_sectors * bps
    b[FAT + n:FAT + 2 * n] = b[FAT:FAT + n]
    fix_boot(b, 0)
    fix_boot(b, 12 * bps)


variant('two-fats', texfat)

# ---- root entries -------------------------------------------------------------
variant('no-bitmap', lambda b: b.__setitem__(root_entry(b, 0x81), 0x01))
variant('bitmap-short', lambda b: p64(b, root_entry(b, 0x81) + 24, 3))
variant('bitmap-outside', lambda b: p32(b, root_entry(b, 0x81) + 20,
                                        nclusters + 100))
variant('no-upcase', lambda b: b.__setitem__(root_entry(b, 0x82), 0x02))
variant('upcase-empty', lambda b: p64(b, root_entry(b, 0x82) + 24, 0))
variant('upcase-checksum', lambda b: p32(b, root_entry(b, 0x82) + 4, 1))
variant('no-label', lambda b: b.__setitem__(root_entry(b, 0x83), 0x03))


def guid(b):
    o = root_entry(b, 0xFF)           # the end of the root directory
    b[o:o + 32] = bytes([0xA0, 1]) + bytes(4) + bytes(range(1, 17)) + bytes(10)


variant('volume-guid', guid)
variant('root-chain-outside', lambda b: fat_set(b, rootc, 0x0FFFFFF0))
variant('root-cluster-unread', boot(lambda b, o: p32(
    b, o + 96, nclusters + 1), fix=True))


def lost(b):
    # clusters the bitmap marks used that no file reaches
    o = coff(le32(b, root_entry(b, 0x81) + 20))
    for i in range(nclusters // 8 - 4, nclusters // 8):
        b[o + i] = 0xFF


variant('bitmap-lost', lost)

# ---- entry sets ---------------------------------------------------------------
def es(e, setter, fix=True):
    def f(b):
        setter(b)
        if fix:
            set_sum(b, e.at, e.count)
    return f


variant('set-checksum', es(named, lambda b: p16(b, named.at + 2, 0), False))
variant('set-no-stream', es(named, lambda b: b.__setitem__(named.stream, 0x40)))
variant('set-no-name', es(named, lambda b: b.__setitem__(named.stream + 3, 0)))
variant('set-valid-past', es(contig, lambda b: p64(b, contig.stream + 8,
                                                   contig.size + 5 * cs)))
variant('set-count-small', lambda b: b.__setitem__(named.at + 1, 0))
variant('set-count-large', lambda b: b.__setitem__(named.at + 1, 30))


def surrogates(b):
    n = named.at + 64 + 2
    p16(b, n, 0xD83D)
    p16(b, n + 2, 0xDE00)          # a pair: U+1F600
    p16(b, n + 4, 0xD800)          # alone: U+FFFD
    set_sum(b, named.at, named.count)


variant('name-surrogates', surrogates)


def set_past_end(b):
    # the root's last slot holds a File entry whose set would run past the
    # directory's end; the free slots before it are marked unused
    o = coff(rootc)
    end = o + cs
    i = o
    while i < end and b[i] != 0:
        i += 32
    while i < end - 32:
        b[i] = 0x05
        i += 32
    b[end - 32:end] = bytes([0x85, 2]) + bytes(30)


variant('set-past-end', set_past_end)

# ---- chains ---------------------------------------------------------------------
cl = chained.clusters
variant('chain-loop', es(chained, lambda b: (
    fat_set(b, cl[-1], cl[0]),
    p64(b, chained.stream + 24, (len(cl) + 4) * cs))))
variant('chain-short', lambda b: fat_set(b, cl[1], 0xFFFFFFFF))
variant('chain-free', lambda b: fat_set(b, cl[1], 0))
variant('chain-bad', lambda b: fat_set(b, cl[1], 0xFFFFFFF7))
variant('contig-past-heap', es(contig, lambda b: p64(
    b, contig.stream + 24, (nclusters + 50) * cs)))
variant('start-outside', es(contig, lambda b: p32(b, contig.stream + 20, 1)))


def cross(b):
    # every chained file of the volume ends in one shared cluster chain
    for e in files:
        if not e.dir and not e.nofat and len(e.clusters) > 1:
            fat_set(b, e.clusters[-1], cl[0])


variant('chains-cross', cross)

# ---- directories ------------------------------------------------------------------
variant('dir-loop', es(subdir, lambda b: (p32(b, subdir.stream + 20, rootc),
                                          b.__setitem__(subdir.stream + 1,
                                                        b[subdir.stream + 1]
                                                        | 2))))
variant('dir-shared', es(subdir, lambda b: (p32(b, subdir.stream + 20,
                                                bigdir.clusters[1]),
                                            b.__setitem__(subdir.stream + 1,
                                                          b[subdir.stream + 1]
                                                          | 2))))
variant('dir-huge', es(subdir, lambda b: (p64(b, subdir.stream + 24, 1 << 29),
                                          b.__setitem__(subdir.stream + 1,
                                                        b[subdir.stream + 1]
                                                        | 2))))
variant('dir-chain-free', lambda b: fat_set(b, bigdir.clusters[0], 0)
        if not bigdir.nofat else None)
print('exfat_damage: %d copies' % made, file=sys.stderr) \
    if os.environ.get('DA_SEEDS_VERBOSE') else None
