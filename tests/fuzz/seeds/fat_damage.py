#!/usr/bin/env python3
"""Damaged copies of a FAT12 seed made by tests/fuzz/seeds/fat.sh, one
damage a copy, for the FAT plugin's hostile paths: a chain that loops, two
files on one chain (cross-linked), a start cluster past the last, a chain
into a free and into a bad cluster, a directory that is its own parent's
child again (a loop), a long-name entry with a wrong checksum, a short
name with CP850 bytes, a long name with a UTF-16 surrogate pair, and FATs
that differ.
Usage: fat_damage.py SEED OUTDIR   (writes OUTDIR/fat-damage-*)"""
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
base = bytearray(open(src, 'rb').read())
bps, = struct.unpack_from('<H', base, 11)
spc = base[13]
res, = struct.unpack_from('<H', base, 14)
nfats = base[16]
nroot, = struct.unpack_from('<H', base, 17)
fatsz, = struct.unpack_from('<H', base, 22)
fat0 = res * bps
root = (res + nfats * fatsz) * bps
data = root + nroot * 32


def fat_get(b, n):
    v, = struct.unpack_from('<H', b, fat0 + n * 3 // 2)
    return v >> 4 if n & 1 else v & 0xFFF


def fat_set(b, n, val):
    for f in range(nfats):
        o = fat0 + f * fatsz * bps + n * 3 // 2
        v, = struct.unpack_from('<H', b, o)
        v = (v & 0x000F) | (val << 4) if n & 1 else (v & 0xF000) | val
        struct.pack_into('<H', b, o, v)


def entries(b, at, count):
    """(offset, 11-byte name) of each entry of a directory."""
    for i in range(count):
        o = at + i * 32
        if b[o] == 0:
            return
        yield o, bytes(b[o:o + 11])


def find(b, at, count, name):
    for o, n in entries(b, at, count):
        if n == name:
            return o
    raise SystemExit('fat_damage: no %r in the seed' % name)


def cluster(b, o):
    return struct.unpack_from('<H', b, o + 26)[0]


def clus_off(c):
    return data + (c - 2) * spc * bps


def chain(b, c):
    out = [c]
    while fat_get(b, c) < 0xFF8 and len(out) < 4096:
        c = fat_get(b, c)
        out.append(c)
    return out


def save(name, b):
    open('%s/fat-damage-%s' % (out, name), 'wb').write(b)


f1 = find(base, root, nroot, b'FRAG1   BIN')
f2 = find(base, root, nroot, b'FRAG2   BIN')
fr = find(base, root, nroot, b'FRAGME~1BIN')
c1 = chain(base, cluster(base, f1))

b = bytearray(base)                      # the chain loops
fat_set(b, c1[-1], c1[0])
save('loop', b)

b = bytearray(base)                      # cross-linked: two files, one chain
struct.pack_into('<H', b, f2 + 26, cluster(b, f1))
fat_set(b, chain(b, cluster(b, fr))[1], c1[1])
save('cross', b)

b = bytearray(base)                      # a start past the last cluster
struct.pack_into('<H', b, f1 + 26, 0xFF0)
save('start', b)

b = bytearray(base)                      # links to a free, a bad cluster
fat_set(b, c1[0], 0)
cf = chain(b, cluster(b, fr))
fat_set(b, cf[2], 0xFF7)
save('free-bad', b)

b = bytearray(base)                      # a directory loop
docs = find(b, root, nroot, b'DOCUME~1   ')
dc = cluster(b, docs)
rep = find(b, clus_off(dc), spc * bps // 32, b'REPORTS    ')
struct.pack_into('<H', b, rep + 26, dc)
save('dirloop', b)

b = bytearray(base)                      # a long name whose checksum is wrong
for o, n in entries(b, root, nroot):
    if b[o + 11] == 0x0F:
        b[o + 13] ^= 0x5A
        break
save('lfn-sum', b)

b = bytearray(base)                      # CP850 in a short name, a surrogate
o = find(b, root, nroot, b'EMPTY   DAT')
b[o:o + 11] = b'\x82T\x99\xa4    DAT'
for o, n in entries(b, root, nroot):
    if b[o + 11] == 0x0F:
        struct.pack_into('<HH', b, o + 1, 0xD83D, 0xDE00)
        struct.pack_into('<H', b, o + 14, 0xDC00)   # a lone low half
        break
save('names', b)

b = bytearray(base)                      # the two FATs differ
fat_set(b, c1[0], 0xFFF)
o = fat0 + fatsz * bps + 30
b[o] ^= 0xFF
save('fats', b)
