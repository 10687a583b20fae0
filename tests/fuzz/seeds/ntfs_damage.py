#!/usr/bin/env python3
"""Damaged copies of an NTFS seed made by tests/fuzz/seeds/ntfs.sh, one
damage a copy, for the NTFS plugin's hostile paths: $MFT's first record
or $MFTMirr's damaged (the plugin reads one copy in place of the other),
both damaged, a boot sector whose $MFT lies past the device, a volume
larger than its device, a user record with a wrong magic or update
sequence, runs past the end of the volume, runs that overlap, a runlist
that does not decode, a file renamed into $Extend as the change journal,
the encrypted flag, a directory whose index cannot be read.  Records are
edited with their update sequence (fixups) undone and redone, so that
only the intended damage is seen.
Usage: ntfs_damage.py SEED OUTDIR   (writes OUTDIR/SEED-dmg-*)"""
import os
import struct
import sys

from ondisk import le16, le32, le64

src, out = sys.argv[1], sys.argv[2]
base = bytearray(open(src, 'rb').read())
tag = os.path.basename(src).replace('-seed', '')


bps = le16(base, 11)
nclusters = le64(base, 0x28) // base[13]
spc = base[13]
cs = bps * spc
mft_lcn = le64(base, 0x30)
mirr_lcn = le64(base, 0x38)
cpr = struct.unpack_from('<b', base, 0x40)[0]
rs = cpr * cs if cpr > 0 else 1 << -cpr


def unfix(rec):
    """A record with its update sequence undone (a copy)."""
    r = bytearray(rec)
    uo, un = le16(r, 4), le16(r, 6)
    for i in range(1, un):
        end = i * 512 - 2
        if end + 2 <= len(r):
            r[end:end + 2] = r[uo + 2 * i:uo + 2 * i + 2]
    return r


def refix(r):
    """The update sequence redone on a record edited in the clear."""
    r = bytearray(r)
    uo, un = le16(r, 4), le16(r, 6)
    usn = r[uo:uo + 2]
    for i in range(1, un):
        end = i * 512 - 2
        if end + 2 <= len(r):
            r[uo + 2 * i:uo + 2 * i + 2] = r[end:end + 2]
            r[end:end + 2] = usn
    return r


def attrs(r):
    """(offset, type) of each attribute of a record in the clear."""
    o = le16(r, 0x14)
    while o + 8 <= len(r):
        t = le32(r, o)
        if t == 0xFFFFFFFF:
            return
        n = le32(r, o + 4)
        if n < 16 or o + n > len(r):
            return
        yield o, t
        o += n


def runs(r, o):
    """(offset of the pair, lcn) of each run of a non-resident attribute."""
    p = o + le16(r, o + 0x20)
    lcn = 0
    while r[p]:
        h = r[p]
        nl, no = h & 0xF, h >> 4
        delta = int.from_bytes(r[p + 1 + nl:p + 1 + nl + no], 'little',
                               signed=True) if no else 0
        lcn += delta
        length = int.from_bytes(r[p + 1:p + 1 + nl], 'little')
        yield p, lcn, length, no
        p += 1 + nl + no


# $MFT's own runs, from its record 0: record number -> byte offset
rec0 = unfix(base[mft_lcn * cs:mft_lcn * cs + rs])
mft_runs = []
for o, t in attrs(rec0):
    if t == 0x80 and rec0[o + 8]:
        vcn = 0
        for _, lcn, length, _ in runs(rec0, o):
            mft_runs.append((vcn, lcn, length))
            vcn += length


def rec_off(n):
    byte = n * rs
    for vcn, lcn, length in mft_runs:
        if vcn * cs <= byte < (vcn + length) * cs:
            return lcn * cs + byte - vcn * cs
    return None


def name_of(r):
    for o, t in attrs(r):
        if t == 0x30 and not r[o + 8]:
            v = o + le16(r, o + 0x14)
            n = r[v + 0x40]
            return bytes(r[v + 0x42:v + 0x42 + 2 * n]).decode('utf-16-le',
                                                              'replace')
    return None


records = {}
n = 0
while True:
    o = rec_off(n)
    if o is None or o + rs > len(base):
        break
    if base[o:o + 4] == b'FILE':
        r = unfix(base[o:o + rs])
        nm = name_of(r)
        if nm and le64(r, 0x20) == 0 and le16(r, 0x16) & 1:
            records.setdefault(nm, n)
    n += 1


def edit(b, num, fn):
    o = rec_off(num)
    r = unfix(b[o:o + rs])
    if fn(r) is False:
        return False
    b[o:o + rs] = refix(r)
    if num < 4:                # $MFTMirr holds the first four: alike
        m = mirr_lcn * cs + num * rs
        b[m:m + rs] = b[o:o + rs]


def attr_of(r, t, named=False):
    for o, at in attrs(r):
        if at == t and bool(r[o + 9]) == named:
            return o
    return None


made = 0


def variant(name, fn):
    global made
    b = bytearray(base)
    r = fn(b)
    if r is False:
        return
    if isinstance(r, int) and not isinstance(r, bool):
        b = b[:r]                  # the copy is cut there
    with open(os.path.join(out, '%s-dmg-%s' % (tag, name)), 'wb') as f:
        f.write(b)
    made += 1


# ---- $MFT and $MFTMirr ------------------------------------------------------
variant('mft-record0', lambda b: b.__setitem__(
    slice(mft_lcn * cs, mft_lcn * cs + 4), b'BAAD'))
variant('mirror-record0', lambda b: b.__setitem__(
    slice(mirr_lcn * cs, mirr_lcn * cs + 4), b'BAAD'))
variant('mft-and-mirror', lambda b: (
    b.__setitem__(slice(mft_lcn * cs, mft_lcn * cs + 4), b'BAAD'),
    b.__setitem__(slice(mirr_lcn * cs, mirr_lcn * cs + 4), b'BAAD')))
variant('mft-volume-record', lambda b: b.__setitem__(
    slice(mft_lcn * cs + 3 * rs, mft_lcn * cs + 3 * rs + 4), b'XXXX'))


def boot_set(fmt, off, v):
    def f(b):
        struct.pack_into(fmt, b, off, v)
    return f


variant('boot-mft-past', lambda b: (
    b.__setitem__(slice(mft_lcn * cs, mft_lcn * cs + 4), b'BAAD'),
    struct.pack_into('<Q', b, 0x30, 1 << 40)))
variant('boot-cluster-code', lambda b: (
    b.__setitem__(slice(mft_lcn * cs, mft_lcn * cs + 4), b'BAAD'),
    b.__setitem__(13, 0xF8)))
variant('boot-record-size', lambda b: (
    b.__setitem__(slice(mft_lcn * cs, mft_lcn * cs + 4), b'BAAD'),
    b.__setitem__(0x40, 0)))
variant('truncated', lambda b: len(b) * 3 // 4 // 512 * 512)
variant('boot-larger', boot_set('<Q', 0x28, le64(base, 0x28) * 4))


# ---- user records -------------------------------------------------------------
def pick(*names):
    for nm in names:
        if nm in records:
            return records[nm]
    return None


data_file = pick('big.txt', 'frag.bin')
frag = pick('frag.bin', 'sparse.bin')
small = pick('small.txt', 'linked.txt')

if small is not None:
    variant('record-magic', lambda b: b.__setitem__(
        slice(rec_off(small), rec_off(small) + 4), b'BAAD'))
    variant('record-usa', lambda b: b.__setitem__(
        rec_off(small) + 510, b[rec_off(small) + 510] ^ 0xFF))

    def encrypted(r):
        o = attr_of(r, 0x10)
        v = o + le16(r, o + 0x14)
        struct.pack_into('<I', r, v + 32, le32(r, v + 32) | 0x4000)

    variant('record-encrypted', lambda b: edit(b, small, encrypted))

    def usn(r):
        # named $UsnJrnl in $Extend (record 11): the change journal
        o = attr_of(r, 0x30)
        v = o + le16(r, o + 0x14)
        struct.pack_into('<Q', r, v, 11 | 1 << 48)
        r[v + 0x40] = 8
        r[v + 0x42:v + 0x42 + 16] = '$UsnJrnl'.encode('utf-16-le')

    journal = pick('journal8')        # a name as long as $UsnJrnl
    if journal is not None:
        variant('record-usnjrnl', lambda b: edit(b, journal, usn))

    def short_name_attr(r):
        o = attr_of(r, 0x30)
        struct.pack_into('<I', r, o + 0x10, 0x20)   # value shorter than one
    variant('filename-short', lambda b: edit(b, small, short_name_attr))

if data_file is not None:
    def run_past(r):
        o = attr_of(r, 0x80)
        if not r[o + 8]:
            return
        p, lcn, length, no = next(runs(r, o))
        v = 1 << (8 * no - 2)
        r[p + 1 + (r[p] & 0xF):p + 1 + (r[p] & 0xF) + no] = \
            v.to_bytes(no, 'little')

    variant('run-past-end', lambda b: edit(b, data_file, run_past))

    def run_garbage(r):
        o = attr_of(r, 0x80)
        if r[o + 8]:
            r[o + le16(r, o + 0x20)] = 0x0F

    variant('runlist-garbage', lambda b: edit(b, data_file, run_garbage))

    def run_partly_past(r):
        # the first run starts two clusters before the volume's end
        o = attr_of(r, 0x80)
        if not r[o + 8]:
            return False
        p, lcn, length, no = next(runs(r, o))
        want = nclusters - 2
        if length < 3 or want >= 1 << (8 * no - 1):
            return False
        s = p + 1 + (r[p] & 0xF)
        r[s:s + no] = want.to_bytes(no, 'little')

    variant('run-partly-past', lambda b: edit(b, data_file, run_partly_past))

    def stream_name(r):
        # a named stream whose name is not UTF-16 (a lone surrogate)
        o = attr_of(r, 0x80, named=True)
        if o is None:
            return False
        struct.pack_into('<H', r, o + le16(r, o + 10), 0xD800)

    variant('stream-name', lambda b: edit(b, data_file, stream_name))

if frag is not None:
    def overlap(r):
        o = attr_of(r, 0x80)
        if not r[o + 8]:
            return False
        rl = list(runs(r, o))
        for p, lcn, length, no in rl[1:]:
            if no:
                s = p + 1 + (r[p] & 0xF)
                r[s:s + no] = bytes(no)    # the same clusters again
                return
        return False

    variant('runs-overlap', lambda b: edit(b, frag, overlap))


def system_run(num, lcn_of):
    # the first run of system file num's $DATA moved to lcn_of(b)
    def f(r):
        o = attr_of(r, 0x80)
        if o is None or not r[o + 8]:
            return False
        p, lcn, length, no = next(runs(r, o))
        want = lcn_of
        if want >= 1 << (8 * no - 1):
            return False
        s = p + 1 + (r[p] & 0xF)
        r[s:s + no] = want.to_bytes(no, 'little')
    return f


# $LogFile (record 2) onto $MFT's clusters, and past the volume
variant('logfile-on-mft', lambda b: edit(b, 2, system_run(2, mft_lcn)))
variant('logfile-past-end', lambda b: edit(b, 2, system_run(
    2, nclusters + 5)))


def mft_bitmap_past(r):
    o = attr_of(r, 0xB0)
    if o is None or not r[o + 8]:
        return False
    p, lcn, length, no = next(runs(r, o))
    v = 1 << (8 * no - 2)
    s = p + 1 + (r[p] & 0xF)
    r[s:s + no] = v.to_bytes(no, 'little')


variant('mft-bitmap-past', lambda b: edit(b, 0, mft_bitmap_past))


ibs = le32(base, 0x44) if base[0x44] < 0x80 else \
    1 << (256 - base[0x44])
ibs = ibs * cs if base[0x44] < 0x80 else ibs


def index_entry(setter):
    # the first user file's entry in the first index block (INDX) of a
    # directory, edited with the block's update sequence undone
    def f(b):
        for o in range(0, len(b) - ibs, cs):
            if b[o:o + 4] != b'INDX':
                continue
            r = unfix(b[o:o + ibs])
            e = 0x18 + le32(r, 0x18)
            end = 0x18 + le32(r, 0x1C)
            while e + 0x52 < end:
                elen = le16(r, e + 8)
                if elen < 0x10 or le16(r, e + 12) & 2:
                    break
                if le64(r, e) & 0xFFFFFFFFFFFF >= 16:
                    setter(r, e + 0x10)
                    b[o:o + ibs] = refix(r)
                    return
                e += elen
        return False
    return f


variant('index-dos-name', index_entry(
    lambda r, fn: r.__setitem__(fn + 0x41, 2)))
variant('index-bad-name', index_entry(
    lambda r, fn: struct.pack_into('<H', r, fn + 0x42, 0xDC00)))
variant('index-self-entry', index_entry(
    lambda r, fn: struct.pack_into('<Q', r, fn - 0x10, 5 | 5 << 48)))
variant('bitmap-past-end', lambda b: edit(b, 6, system_run(
    6, nclusters + 5)))
variant('boot-bps', lambda b: struct.pack_into('<H', b, 11, 300))

# an attribute list naming a record that does not hold the attribute: a
# file with extension records (their base record is not zero)
linked = None
for k in range(16, n):
    o = rec_off(k)
    if o is not None and base[o:o + 4] == b'FILE' and \
            le64(base, o + 0x20) & 0xFFFFFFFFFFFF >= 16:
        linked = le64(base, o + 0x20) & 0xFFFFFFFFFFFF
        break
if linked is not None:
    def alist(r):
        o = attr_of(r, 0x20)
        if o is None or r[o + 8]:
            return False
        v = o + le16(r, o + 0x14)
        end = v + le32(r, o + 0x10)
        e = v
        while e + 26 <= end:
            ref = le64(r, e + 16) & 0xFFFFFFFFFFFF
            if ref != linked:
                struct.pack_into('<Q', r, e + 16, 3 | 3 << 48)
                return
            e += max(le16(r, e + 4), 8)
        return False

    variant('attribute-list', lambda b: edit(b, linked, alist))

    def extension(b):
        # the first extension record of the file: unreadable
        for k in range(16, n):
            o = rec_off(k)
            if o is not None and base[o:o + 4] == b'FILE' and \
                    le64(base, o + 0x20) & 0xFFFFFFFFFFFF == linked:
                b[o:o + 4] = b'BAAD'
                return
        return False

    variant('extension-record', extension)

# a directory whose index blocks cannot be read (the root where there is
# no larger one)
many = pick('many')
if many is None:
    many = 5
if True:
    def indx(b):
        r = unfix(b[rec_off(many):rec_off(many) + rs])
        o = attr_of(r, 0xA0, named=True)
        if o is None or not r[o + 8]:
            return False
        for p, lcn, length, no in runs(r, o):
            b[lcn * cs:lcn * cs + 4] = b'XXXX'
            return
    variant('dir-index-block', indx)

    def root_entries(r):
        o = attr_of(r, 0x90, named=True)
        if o is None:
            return False
        v = o + le16(r, o + 0x14)
        struct.pack_into('<I', r, v + 0x10, 0xFFF0)   # entries offset
    variant('dir-index-root', lambda b: edit(b, many, root_entries))

print('ntfs_damage: %d copies of %s' % (made, tag), file=sys.stderr) \
    if os.environ.get('DA_SEEDS_VERBOSE') else None
