#!/usr/bin/env python3
"""Damaged copies of the qcow2 seeds made by tests/fuzz/seeds/qcow2.sh, one
structure at a time, for the qcow2 reader's hostile paths: versions 1 and
4, absurd header lengths, cluster sizes and refcount orders, unknown,
dirty and corrupt feature bits, an unknown compression type, extended L2
with small clusters, empty and huge guests, L1 tables too large or past
the end, backing file names outside the first cluster or holding a NUL,
header extensions too long, unterminated or too many, an L2 table not
cluster-aligned, data clusters past the end or misaligned, an L2 table
on the header, compressed clusters past the end or not inflating,
refcount tables that list a block twice or point past the end, snapshot
and bitmap tables past the end or too large, AES encryption, a cut file,
a backing file without its format (qemu-img no longer writes one).
Usage: qcow2_damage.py V3 ZLIB BIG SNAPSHOTS BITMAPS BACKING OUTDIR
       (4 KiB clusters but BIG, 64 KiB; writes OUTDIR/qcow2-damage-*)"""
import sys

from ondisk import be32 as u32, be64 as u64, put_be32 as p32, put_be64 as p64

v3src, zsrc, bigsrc, snapsrc, bmsrc, backsrc, out = sys.argv[1:8]
MASK = 0x00fffffffffffe00


def load(p):
    return bytearray(open(p, 'rb').read())


def save(name, b):
    open('%s/qcow2-damage-%s' % (out, name), 'wb').write(bytes(b))


def l2_tables(b):
    """(offset of the L1 entry, L2 table offset) of each L2 table."""
    l1, n = u64(b, 40), u32(b, 36)
    for i in range(n):
        e = u64(b, l1 + 8 * i) & MASK
        if e:
            yield l1 + 8 * i, e


def first_entry(b, want):
    """Offset of the first L2 entry for which want(entry) holds."""
    cs = 1 << u32(b, 20)
    for _, l2 in l2_tables(b):
        for k in range(cs // 8):
            if want(u64(b, l2 + 8 * k)):
                return l2 + 8 * k
    raise SystemExit('qcow2_damage.py: no such L2 entry')


def extensions(b):
    """(offset of the type, type, length) of each header extension."""
    off = u32(b, 100) if u32(b, 4) >= 3 else 72
    while True:
        t, n = u32(b, off), u32(b, off + 4)
        if t == 0:
            return
        yield off, t, n
        off += 8 + ((n + 7) & ~7)


def variant(name, src, change):
    b = bytearray(src)
    change(b)
    save(name, b)


v3 = load(v3src)
size = len(v3)
variant('version1', v3, lambda b: p32(b, 4, 1))
variant('version4', v3, lambda b: p32(b, 4, 4))
variant('hdrlen-small', v3, lambda b: p32(b, 100, 20))
variant('hdrlen-big', v3, lambda b: p32(b, 100, 0x10000))
variant('cluster-bits-8', v3, lambda b: p32(b, 20, 8))
variant('cluster-bits-30', v3, lambda b: p32(b, 20, 30))
variant('refcount-order', v3, lambda b: p32(b, 96, 9))
variant('incompat-unknown', v3, lambda b: p64(b, 72, u64(b, 72) | 0x100))
variant('dirty', v3, lambda b: p64(b, 72, u64(b, 72) | 1))
variant('corrupt', v3, lambda b: p64(b, 72, u64(b, 72) | 2))
variant('data-file-bit', v3, lambda b: p64(b, 72, u64(b, 72) | 4))


def compression(b):
    p64(b, 72, u64(b, 72) | 8)
    b[104] = 7


variant('compression-type', v3, compression)
variant('extl2-small', v3, lambda b: p64(b, 72, u64(b, 72) | 16))
variant('size-0', v3, lambda b: p64(b, 24, 0))
variant('size-huge', v3, lambda b: p64(b, 24, 1 << 62))
variant('l1-size-huge', v3, lambda b: p32(b, 36, 0x7fffffff))
variant('l1-past-end', v3, lambda b: p64(b, 40, (size + (1 << 20)) & ~0xfff))
variant('aes', v3, lambda b: p32(b, 32, 1))


def backing_out(b):
    p64(b, 8, 8000)
    p32(b, 16, 10)


def backing_nul(b):
    b[3000:3005] = b'ab\0cd'
    p64(b, 8, 3000)
    p32(b, 16, 5)


variant('backing-outside', v3, backing_out)
variant('backing-nul', v3, backing_nul)


def ext_huge(b):
    off = u32(b, 100)
    p32(b, off, 0x6803f857)
    p32(b, off + 4, 0x7fffffff)


def ext_unterminated(b):
    hl = u32(b, 100)
    cs = 1 << u32(b, 20)
    for off in range(hl, cs - 7, 8):
        p32(b, off, 0x12345678)
        p32(b, off + 4, 0)


variant('ext-huge', v3, ext_huge)
variant('ext-unterminated', v3, ext_unterminated)
variant('ext-many', load(bigsrc), ext_unterminated)


def l2_unaligned(b):
    at, l2 = next(l2_tables(b))
    p64(b, at, (u64(b, at) & ~MASK) | (l2 + 0x200))


def l2_on_header(b):
    at, _ = next(l2_tables(b))
    p64(b, at, (u64(b, at) & ~MASK) | 0)
    p64(b, at, u64(b, at) | (1 << 63))


def data(b):
    return first_entry(b, lambda e: e & MASK and not e & (1 << 62))


def data_past_end(b):
    at = data(b)
    p64(b, at, (u64(b, at) & ~MASK) | ((size * 4) & ~0xfff))


def data_unaligned(b):
    at = data(b)
    p64(b, at, u64(b, at) + 0x200)


def data_on_l1(b):
    at = data(b)
    p64(b, at, (u64(b, at) & ~MASK) | u64(b, 40))


variant('l2-unaligned', v3, l2_unaligned)
variant('l2-on-header', v3, l2_on_header)
variant('data-past-end', v3, data_past_end)
variant('data-unaligned', v3, data_unaligned)
variant('data-on-l1', v3, data_on_l1)


def refcount_twice(b):
    rt = u64(b, 48)
    p32(b, 56, max(u32(b, 56), 1))
    p64(b, rt + 8, u64(b, rt))


def refcount_past(b):
    rt = u64(b, 48)
    p64(b, rt, (size * 8) & ~0xfff)


variant('refcount-twice', v3, refcount_twice)
variant('refcount-past-end', v3, refcount_past)
variant('refcount-table-past-end', v3, lambda b: p64(b, 48, (size * 8) & ~0xfff))
variant('truncated', v3, lambda b: b.__delitem__(slice(size // 2, None)))

# compressed clusters: past the end, and onto bytes that do not inflate
z = load(zsrc)
zsize = len(z)
C = 1 << 62


def comp_at(b, host):
    at = first_entry(b, lambda e: e & C)
    cs_bits = u32(b, 20)
    x = 62 - (cs_bits - 8)          # bits of the offset field
    p64(b, at, C | (1 << x) | host)   # two sectors from host


variant('zlib-past-end', z, lambda b: comp_at(b, zsize * 2))
variant('zlib-garbage', z, lambda b: comp_at(b, 0))

# snapshots: too many, a table past the end, more than the table holds
s = load(snapsrc)
variant('snapshots-absurd', s, lambda b: p32(b, 60, 1 << 20))
variant('snapshots-past-end', s, lambda b: p64(b, 64, (len(s) * 4) & ~0xfff))


def snap_tail(b):
    p32(b, 60, 2000)


variant('snapshots-more', s, snap_tail)

# bitmaps: the directory past the end, too large, more than it holds
bm = load(bmsrc)


def bm_ext(b, change):
    for off, t, n in extensions(b):
        if t == 0x23852875:
            change(b, off + 8)
            return
    raise SystemExit('qcow2_damage.py: no bitmaps extension')


variant('bitmaps-past-end', bm, lambda b: bm_ext(
    b, lambda b, d: p64(b, d + 16, (len(bm) * 4) & ~0xfff)))
variant('bitmaps-dir-huge', bm, lambda b: bm_ext(
    b, lambda b, d: p64(b, d + 8, 1 << 40)))
variant('bitmaps-more', bm, lambda b: bm_ext(
    b, lambda b, d: p32(b, d, 500)))


def bm_table_huge(b, d):
    dirat = u64(b, d + 16)
    p32(b, dirat + 8, 0x7fffffff)


variant('bitmaps-table-huge', bm, lambda b: bm_ext(b, bm_table_huge))


# a backing file named without its format: the format extension renamed
def no_format(b):
    for off, t, n in extensions(b):
        if t == 0xe2792aca:
            p32(b, off, 0x0bad0bad)
            return
    raise SystemExit('qcow2_damage.py: no backing format extension')


variant('backing-noformat', load(backsrc), no_format)
