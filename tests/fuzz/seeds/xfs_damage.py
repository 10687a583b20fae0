#!/usr/bin/env python3
"""Damaged copies of an XFS seed made by tests/fuzz/seeds/xfs.sh, one
damage a copy, for the XFS plugin's hostile paths: superblock fields the
geometry refuses, AG headers (AGF, AGI, AGFL) with wrong magic, CRC,
length or free list, AG B+tree roots outside the AG, read twice, past
the device, of the wrong height, blocks with wrong magic, level, record
counts or CRC, inodes with wrong magic, version, CRC, fork offset or
extent counts, extents outside the AG, a bmbt whose root, pointers,
blocks, owner and levels are wrong, directories whose short form or data
blocks do not fit (one whose last entry would start 8 bytes before its
end), and a directory that contains itself.  CRCs are
recomputed after each damage (unless the damage is the CRC), so that the
damage alone is what the parser meets.
Usage: xfs_damage.py SEED OUTDIR   (writes OUTDIR/SEED-dmg-*)"""
import os
import struct
import sys

from ondisk import be16, be32, be64, put_be16 as put16, put_be32 as put32, put_be64 as put64

src, out = sys.argv[1], sys.argv[2]
base = bytearray(open(src, 'rb').read())
tag = os.path.basename(src).replace('-seed', '')


# CRC32c (Castagnoli), as XFS stores it: little-endian, field taken as 0
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for x in data:
        c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


bs = be32(base, 4)
agblocks = be32(base, 84)
ss = be16(base, 102)
isize = be16(base, 104)
inopblog = base[123]
agblklog = base[124]
v5 = be16(base, 100) & 0xF == 5
rootino = be64(base, 56)
dirbs = bs << base[192]
if v5:
    ftype = be32(base, 216) & 1 != 0
else:
    ftype = be16(base, 100) & 0x8000 != 0 and be32(base, 200) & 0x200 != 0
AGF, AGI, AGFL = ss, 2 * ss, 3 * ss


def fix(b, off, length, crc_off):
    """Recompute the CRC of [off, off+length) stored at off+crc_off."""
    if not v5:
        return
    struct.pack_into('<I', b, off + crc_off, 0)
    struct.pack_into('<I', b, off + crc_off,
                     crc32c(bytes(b[off:off + length])))


def fix_sb(b):
    fix(b, 0, ss, 224)


def fix_agf(b):
    fix(b, AGF, ss, 216)


def fix_agi(b):
    fix(b, AGI, ss, 312)


def blk(agbno):
    return agbno * bs


def fix_sblock(b, agbno):    # AG B+tree block: CRC at 52
    fix(b, blk(agbno), bs, 52)


def ino_off(ino):
    agno = ino >> (agblklog + inopblog)
    agino = ino & ((1 << (agblklog + inopblog)) - 1)
    return (agno * agblocks + (agino >> inopblog)) * bs + \
        (agino & ((1 << inopblog) - 1)) * isize


def fix_ino(b, ino):
    fix(b, ino_off(ino), isize, 100)


CORE = 176 if v5 else 100


def fsb_off(fsb):
    agno = fsb >> agblklog
    return (agno * agblocks + (fsb & ((1 << agblklog) - 1))) * bs


def children(b, dino):
    """name -> inode of a short-form or one-block directory."""
    f = ino_off(dino) + CORE
    kids = {}
    if b[ino_off(dino) + 5] == 2:          # extents: the first block
        l0, l1 = be64(b, f), be64(b, f + 8)
        o = fsb_off((l0 & 0x1FF) << 43 | l1 >> 21)
        pos, end = o + (64 if v5 else 16), o + dirbs - 8 - 8 * be32(
            b, o + dirbs - 8)
        while pos + 8 <= end:
            if be16(b, pos) == 0xFFFF:
                pos += be16(b, pos + 2)
                continue
            nlen = b[pos + 8]
            kids[bytes(b[pos + 9:pos + 9 + nlen]).decode()] = be64(b, pos)
            pos += (8 + 1 + nlen + (1 if ftype else 0) + 2 + 7) & ~7
        return kids
    count, i8 = b[f], b[f + 1]
    pos = f + 2 + (8 if i8 else 4)
    for _ in range(count):
        nlen = b[pos]
        name = bytes(b[pos + 3:pos + 3 + nlen]).decode()
        ip = pos + 3 + nlen + (1 if ftype else 0)
        kids[name] = be64(b, ip) if i8 else be32(b, ip)
        pos = ip + (8 if i8 else 4)
    return kids


root = children(base, rootino)
try:
    sf = children(base, root['sf'])
except (KeyError, IndexError, UnicodeDecodeError):
    raise SystemExit('xfs_damage: the seed has no /sf directory')


def first_extent(b, ino):
    """(file offset, fsblock, length) of an extents-format fork's first."""
    o = ino_off(ino) + CORE
    l0, l1 = be64(b, o), be64(b, o + 8)
    return ((l0 >> 9) & ((1 << 54) - 1),
            (l0 & 0x1FF) << 43 | l1 >> 21, l1 & 0x1FFFFF)


def bmbt_root(b, ino):
    """(offset of the root, its maxrecs) of a btree-format data fork."""
    o = ino_off(ino) + CORE
    return o, (isize - CORE - 4) // 16


def bmbt_child(b, ino):
    o, mx = bmbt_root(b, ino)
    return fsb_off(be64(b, o + 4 + mx * 8))


def fix_lblock(b, off):      # a bmbt block: CRC at 64
    fix(b, off, bs, 64)


made = 0


def variant(name, fn, cut=None):
    global made
    b = bytearray(base)
    fn(b)
    if cut:
        b = b[:cut]
    with open(os.path.join(out, '%s-dmg-%s' % (tag, name)), 'wb') as f:
        f.write(b)
    made += 1


# ---- the superblock ------------------------------------------------------
def sb(setter):
    def f(b):
        setter(b)
        fix_sb(b)
    return f


variant('sb-version', sb(lambda b: put16(b, 100, (be16(b, 100) & ~0xF) | 3)))
variant('sb-blocksize', sb(lambda b: put32(b, 4, 3000)))
variant('sb-sectsize', sb(lambda b: put16(b, 102, 300)))
variant('sb-inodesize', sb(lambda b: put16(b, 104, 128)))
variant('sb-agcount', sb(lambda b: put32(b, 88, 0)))
variant('sb-agblklog', sb(lambda b: b.__setitem__(124, agblklog + 1)))
variant('sb-dblocks', sb(lambda b: put64(b, 8, 0)))
variant('sb-dirblklog', sb(lambda b: b.__setitem__(192, 17)))
variant('sb-logstart', sb(lambda b: (put64(b, 48, 1 << 40),
                                     put32(b, 96, 100))))


def inode_bits(b):
    # AGs of 2^31 blocks: agblklog + inopblog past 32 bits
    put32(b, 84, (1 << 30) + 1)
    b[124] = 31
    put64(b, 8, (1 << 30) + 1)
    put32(b, 88, 1)
    fix_sb(b)


variant('sb-inobits', inode_bits)


def small_ags(b):
    # sixteen AGs of a sixteenth of the blocks: AG 1 starts inside the
    # seed where no AG header is
    q = agblocks // 16
    put32(b, 84, q)
    b[124] = q.bit_length() - 1
    put32(b, 88, 16)
    fix_sb(b)


variant('sb-small-ags', small_ags)

# ---- AG headers ------------------------------------------------------------
variant('agf-magic', lambda b: (put32(b, AGF, 0x58414700), fix_agf(b)))
variant('agf-crc', lambda b: b.__setitem__(AGF + 200, b[AGF + 200] ^ 0xFF))
variant('agf-length', lambda b: (put32(b, AGF + 12, agblocks - 1),
                                 fix_agf(b)))
variant('agf-freeblks', lambda b: (put32(b, AGF + 52, 7), fix_agf(b)))
variant('agi-magic', lambda b: (put32(b, AGI, 0x58414900), fix_agi(b)))
variant('agi-crc', lambda b: b.__setitem__(AGI + 300, b[AGI + 300] ^ 0xFF))
if v5:
    variant('agfl-magic', lambda b: put32(b, AGFL, 0x58414600))
    variant('agfl-crc', lambda b: b.__setitem__(AGFL + 100,
                                                b[AGFL + 100] ^ 0xFF))
variant('agfl-count', lambda b: (put32(b, AGF + 48, 5000), fix_agf(b)))


def agfl_outside(b):
    hdr = 36 if v5 else 0
    first = be32(b, AGF + 40)
    put32(b, AGFL + hdr + 4 * first, 0xFFFFFFF0)
    put32(b, AGF + 48, max(1, be32(b, AGF + 48)))
    put32(b, AGF + 44, first + be32(b, AGF + 48) - 1)
    fix_agf(b)
    fix(b, AGFL, ss, 32)


variant('agfl-outside', agfl_outside)

# ---- the AG B+trees (roots in the AGF: bno 16, cnt 20; AGI: ino 20) --------
bnoroot = be32(base, AGF + 16)
inoroot = be32(base, AGI + 20)


def agf_set(off, v):
    def f(b):
        put32(b, AGF + off, v)
        fix_agf(b)
    return f


variant('bno-root-zero', agf_set(16, 0))
variant('bno-root-past', agf_set(16, agblocks + 5))
variant('cnt-root-same', agf_set(20, bnoroot))
variant('bno-root-unread', agf_set(16, agblocks - 2))   # past the cut
variant('bno-height-zero', agf_set(28, 0))
variant('bno-height-ten', agf_set(28, 10))


def bt_block(agbno, setter, crc=True):
    def f(b):
        setter(b, blk(agbno))
        if crc:
            fix_sblock(b, agbno)
    return f


variant('bno-magic', bt_block(bnoroot, lambda b, o: put32(b, o, 0x41425400)))
if v5:
    variant('bno-crc', bt_block(bnoroot, lambda b, o: b.__setitem__(
        o + bs - 1, b[o + bs - 1] ^ 0xFF), crc=False))
variant('bno-level', bt_block(bnoroot, lambda b, o: put16(b, o + 4, 1)))
variant('bno-nrecs', bt_block(bnoroot, lambda b, o: put16(b, o + 6, 0xFFFF)))


def bno_node(nrecs):
    def f(b):
        # the AGF says two levels: the leaf is read as a node
        put32(b, AGF + 28, 2)
        fix_agf(b)
        o = blk(bnoroot)
        put16(b, o + 4, 1)
        put16(b, o + 6, nrecs)
        fix_sblock(b, bnoroot)
    return f


variant('bno-node-empty', bno_node(0))
variant('bno-node-full', bno_node(0xFFFF))
variant('bno-node-some', bno_node(3))
variant('ino-root-past', lambda b: (put32(b, AGI + 20, agblocks + 1),
                                    fix_agi(b)))
variant('ino-magic', bt_block(inoroot, lambda b, o: put32(b, o, 0x49414200)))
variant('ino-nrecs', bt_block(inoroot, lambda b, o: put16(b, o + 6, 0x3FF)))


def ino_startino(b):
    o = blk(inoroot) + (56 if v5 else 16)
    put32(b, o, 0xFFFFFFC0)                # a chunk outside the AG
    fix_sblock(b, inoroot)


variant('ino-chunk-outside', ino_startino)


def bno_record_outside(b):
    o = blk(bnoroot) + (56 if v5 else 16)
    put32(b, o, agblocks - 3)
    put32(b, o + 4, 100)
    fix_sblock(b, bnoroot)


variant('bno-record-outside', bno_record_outside)

# ---- inodes -----------------------------------------------------------------
medium = root['medium']


def ino(i, setter, crc=True):
    def f(b):
        setter(b, ino_off(i))
        if crc:
            fix_ino(b, i)
    return f


variant('inode-magic', ino(medium, lambda b, o: put16(b, o, 0x4E4E)))
variant('inode-version', ino(medium, lambda b, o: b.__setitem__(
    o + 4, 2 if v5 else 7)))
if v5:
    variant('inode-crc', ino(medium, lambda b, o: b.__setitem__(
        o + isize - 1, b[o + isize - 1] ^ 0xFF), crc=False))
variant('inode-forkoff', ino(medium, lambda b, o: b.__setitem__(o + 82, 250)))
variant('inode-nextents', ino(medium, lambda b, o: put32(b, o + 76, 1000)))
variant('inode-realtime', ino(medium, lambda b, o: put16(
    b, o + 90, be16(b, o + 90) | 1)))


def extent_outside(b, o):
    p = o + CORE
    l1 = be64(b, p + 8)
    put64(b, p + 8, (l1 & 0x1FFFFF) | ((agblocks - 1) << 21))
    put64(b, p, be64(b, p) & ~0x1FF)


variant('extent-outside', ino(medium, extent_outside))
variant('extent-zero-length', ino(medium, lambda b, o: put64(
    b, o + CORE + 8, be64(b, o + CORE + 8) & ~0x1FFFFF)))


def dir_sf_self(b, o):
    # /sf names itself as its child 'a'
    f = o + CORE
    pos = f + 2 + 4
    nlen = b[pos]
    put32(b, pos + 3 + nlen + (1 if ftype else 0), root['sf'])


variant('dir-self', ino(root['sf'], dir_sf_self))
variant('dir-sf-count', ino(root['sf'], lambda b, o: b.__setitem__(
    o + CORE, 40)))
variant('dir-sf-small', ino(root['sf'], lambda b, o: put64(b, o + 56, 3)))
variant('dir-sf-nlen0', ino(root['sf'], lambda b, o: b.__setitem__(
    o + CORE + 6, 0)))

# a block-form and a data-form directory block
blockdir = root['block']
_, bfsb, _ = first_extent(base, blockdir)
bdb = fsb_off(bfsb)


def dblock(setter, crc=True):
    def f(b):
        setter(b, bdb)
        if crc:
            fix(b, bdb, dirbs, 4)
    return f


variant('dir-block-magic', dblock(lambda b, o: put32(b, o, 0x58444200)))
if v5:
    variant('dir-block-crc', dblock(lambda b, o: b.__setitem__(
        o + 70, b[o + 70] ^ 0xFF), crc=False))
variant('dir-block-count', dblock(lambda b, o: put32(
    b, o + dirbs - 8, 0x00FFFFFF)))
variant('dir-block-nlen', dblock(lambda b, o: b.__setitem__(
    o + (64 if v5 else 16) + 8, 0)))
variant('dir-block-unused', dblock(lambda b, o: (put16(
    b, o + (64 if v5 else 16) + 8 * 4, 0xFFFF), put16(
    b, o + (64 if v5 else 16) + 8 * 4 + 2, 3))))


def data_form_tail(b, o):
    """The block as a data-form block (no leaf at its end), its first
    entry turned into unused space up to the block's last 8 bytes: the
    next entry would start there, its name's length past the block."""
    put32(b, o, 0x58444433 if v5 else 0x58443244)   # XDD3 / XD2D
    first = o + (64 if v5 else 16)
    put16(b, first, 0xFFFF)
    put16(b, first + 2, o + dirbs - 8 - first)


variant('dir-data-tail', dblock(data_form_tail))
variant('dir-size-huge', ino(blockdir, lambda b, o: (
    put32(b, o + CORE + 8, (be32(b, o + CORE + 8) & ~0x1FFFFF) |
          min(0x1FFFFF, agblocks)))))

# ---- the fragmented directory's bmbt ----------------------------------------
frag = root['frag']
if base[ino_off(frag) + 5] == 3:
    def root_set(setter):
        def f(b):
            o, mx = bmbt_root(b, frag)
            setter(b, o, mx)
            fix_ino(b, frag)
        return f

    variant('bmbt-root-level', root_set(lambda b, o, mx: put16(b, o, 0)))
    variant('bmbt-root-nrecs', root_set(lambda b, o, mx: put16(b, o + 2, 0)))
    variant('bmbt-ptr-outside', root_set(lambda b, o, mx: put64(
        b, o + 4 + mx * 8, (1 << 50) - 1)))
    variant('bmbt-ptr-twice', root_set(lambda b, o, mx: (
        put16(b, o + 2, 2), put64(b, o + 4 + mx * 8 + 8,
                                  be64(b, o + 4 + mx * 8)))))
    variant('bmbt-absurd-count', root_set(lambda b, o, mx: put32(
        b, o - CORE + 76, 1 << 25)))
    variant('bmbt-fewer-extents', root_set(lambda b, o, mx: put32(
        b, o - CORE + 76, 3)))
    variant('bmbt-more-extents', root_set(lambda b, o, mx: put32(
        b, o - CORE + 76, 300)))

    def leaf_set(setter, crc=True):
        def f(b):
            o = bmbt_child(b, frag)
            setter(b, o)
            if crc:
                fix_lblock(b, o)
        return f

    variant('bmbt-magic', leaf_set(lambda b, o: put32(b, o, 0x424D4100)))
    if v5:
        variant('bmbt-crc', leaf_set(lambda b, o: b.__setitem__(
            o + bs - 1, b[o + bs - 1] ^ 0xFF), crc=False))
        variant('bmbt-owner', leaf_set(lambda b, o: put64(b, o + 56, 12345)))
    variant('bmbt-level', leaf_set(lambda b, o: put16(b, o + 4, 3)))
    variant('bmbt-nrecs', leaf_set(lambda b, o: put16(b, o + 6, 0xFFFF)))

    def two_levels(b):
        # the root says two levels: the leaf's records are read as keys
        # and pointers of a node
        o, mx = bmbt_root(b, frag)
        put16(b, o, 2)
        fix_ino(b, frag)
        c = bmbt_child(b, frag)
        put16(b, c + 4, 1)
        fix_lblock(b, c)

    variant('bmbt-two-levels', two_levels)

    def extent_overlap(b):
        # the leaf's second record maps the first one's blocks again
        c = bmbt_child(b, frag)
        h = c + (72 if v5 else 24)
        l0, l1 = be64(b, h), be64(b, h + 8)
        n1 = be64(b, h + 16)
        put64(b, h + 16, (n1 & ~0x1FF) | (l0 & 0x1FF))
        put64(b, h + 24, (l1 & ~0x1FFFFF) | 0x1FFFFF)
        fix_lblock(b, c)

    variant('bmbt-extent-long', extent_overlap)
print('xfs_damage: %d damaged copies of %s' % (made, tag), file=sys.stderr) \
    if os.environ.get('DA_SEEDS_VERBOSE') else None
