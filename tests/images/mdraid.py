#!/usr/bin/env python3
"""Write md RAID members without the md driver: superblocks as mdadm
writes them (0.90 and 1.0/1.1/1.2, with their checksums) and the array's
bytes placed on the members by md's documented layouts (linear, RAID0
strip zones, RAID1, RAID10 near/far/offset with far sets, RAID4/5/6 with
P, and Q for RAID6 in every md layout).  mdadm --examine is the judge of the superblocks.

usage: mdraid.py --level L --metadata V --data FILE --uuid HEX32
                 [--layout N] [--chunk BYTES] [--name HOST:NAME]
                 [--bitmap] [--events N]
                 MEMBER... (each PATH[@OFFSET[+SIZE]][=ROLE])
A member is PATH (the whole file) or a slice of it; ROLE is a number,
'spare' or 'faulty' (default: its place in the list).  Files must exist
and be large enough; only the members' own bytes are written.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import struct

MAGIC = 0xA92B4EFC
SECTOR = 512


def fold(s):
    return ((s & 0xFFFFFFFF) + (s >> 32)) & 0xFFFFFFFF


class Member:
    def __init__(self, spec, idx):
        role = str(idx)
        if '=' in spec:
            spec, role = spec.rsplit('=', 1)
        self.role = role
        off, size = 0, None
        if '@' in spec:
            spec, where = spec.split('@', 1)
            if '+' in where:
                off, size = (int(x, 0) for x in where.split('+'))
            else:
                off = int(where, 0)
        self.path, self.off = spec, off
        with open(spec, 'rb') as f:
            f.seek(0, 2)
            total = f.tell()
        self.size = size if size is not None else total - off
        self.f = open(spec, 'r+b')

    def write(self, at, data):
        assert at + len(data) <= self.size, (self.path, at, len(data))
        self.f.seek(self.off + at)
        self.f.write(data)


def sb1(a, m, dev_number, roles, sb_off, data_off, data_size, bitmap_rel,
        bblog_rel):
    b = bytearray(4096)
    feature = 1 if bitmap_rel is not None else 0
    struct.pack_into('<IIII', b, 0, MAGIC, 1, feature, 0)
    b[16:32] = a.uuid
    b[32:32 + len(a.name)] = a.name.encode()
    struct.pack_into('<QiIQII', b, 64, 1700000000, a.level, a.layout,
                     a.component // SECTOR, a.chunk // SECTOR, a.raid_disks)
    struct.pack_into('<i', b, 96, bitmap_rel if bitmap_rel is not None else 0)
    struct.pack_into('<QQQQ', b, 128, data_off // SECTOR, data_size // SECTOR,
                     sb_off // SECTOR, 0)
    struct.pack_into('<II', b, 160, dev_number, 0)
    b[168:184] = bytes((dev_number * 17 + i) & 0xFF for i in range(16))
    if bblog_rel is not None:
        struct.pack_into('<BBHi', b, 184, 0, 0, 8, bblog_rel)
    struct.pack_into('<QQQ', b, 192, 1700000100, a.events, 0xFFFFFFFFFFFFFFFF)
    max_dev = len(roles)
    struct.pack_into('<I', b, 220, max_dev)
    for i, r in enumerate(roles):
        struct.pack_into('<H', b, 256 + 2 * i, r)
    n = 256 + 2 * max_dev
    s = sum(struct.unpack_from('<I', b, i)[0] for i in range(0, n - n % 4, 4))
    if n % 4:
        s += struct.unpack_from('<H', b, n - 2)[0]
    struct.pack_into('<I', b, 216, fold(s))
    return bytes(b)


def bitmap_sb(a, sync_sectors):
    b = bytearray(256)
    struct.pack_into('<II', b, 0, 0x6D746962, 4)
    b[8:24] = a.uuid
    struct.pack_into('<QQQIIIII', b, 24, a.events, a.events, sync_sectors, 0,
                     64 << 20, 5, 0, 0)
    return bytes(b)


def disk_state0(role):
    # a 0.90 disk's state: active and in sync (bits 1, 2), faulty (bit 0,
    # MD_DISK_FAULTY), or none of them (a spare)
    return 6 if role >= 0 else 1 if role == -2 else 0


def sb0(a, me, members, endian, sb_off):
    w = [0] * 1024
    u = struct.unpack('>IIII', a.uuid)
    w[0:4] = [MAGIC, 0, 90, 0]
    w[5], w[6], w[7] = u[0], 1700000000, a.level & 0xFFFFFFFF
    w[8] = a.component // 1024
    w[9], w[10], w[11] = len(members), a.raid_disks, a.md_minor
    w[13], w[14], w[15] = u[1], u[2], u[3]
    w[32], w[33] = 1700000100, 1          # utime, state clean
    active = sum(1 for x in members if x[1] >= 0)
    failed = sum(1 for x in members if x[1] == -2)
    w[34:38] = [active, active, failed, len(members) - active - failed]
    w[39], w[40] = a.events & 0xFFFFFFFF, a.events >> 32
    w[64], w[65] = a.layout, a.chunk
    for i, (num, role) in enumerate(members):
        base = 128 + 32 * i
        w[base:base + 5] = [num, 8, 16 * num,
                            role if role >= 0 else len(members) + i,
                            disk_state0(role)]
    num, role = me
    w[992:997] = [num, 8, 16 * num, role if role >= 0 else a.raid_disks + num,
                  disk_state0(role)]
    w[38] = fold(sum(w))
    if endian == 'big':
        w[39], w[40] = w[40], w[39]       # the halves of events swap too
        return struct.pack('>1024I', *w)
    return struct.pack('<1024I', *w)


# ---- layouts: where array chunk c lives (member role, chunk on member) ----

def raid5_place(level, layout, n, stripe, k):
    nd = n - (2 if level == 6 else 1)
    r = stripe % n
    q = None
    d = k
    if level == 4:
        p = nd
    elif level == 5:
        if layout == 0:
            p = nd - r; d = k + 1 if k >= p else k
        elif layout == 1:
            p = r; d = k + 1 if k >= p else k
        elif layout == 2:
            p = nd - r; d = (p + 1 + k) % n
        elif layout == 3:
            p = r; d = (p + 1 + k) % n
        elif layout == 4:
            p = 0; d = k + 1
        else:
            p = nd
    elif layout >= 16:
        # RAID5's layout over the first n-1 members, Q on the last
        q = n - 1
        r1 = stripe % (n - 1)
        if layout == 16:
            p = nd - r1; d = k + 1 if k >= p else k
        elif layout == 17:
            p = r1; d = k + 1 if k >= p else k
        elif layout == 18:
            p = nd - r1; d = (p + 1 + k) % (n - 1)
        elif layout == 19:
            p = r1; d = (p + 1 + k) % (n - 1)
        else:
            p = 0; d = k + 1
    elif layout in (0, 1):
        p = n - 1 - r if layout == 0 else r
        if p == n - 1:
            q, d = 0, k + 1                   # Q D D D P
        else:
            q, d = p + 1, k + 2 if k >= p else k
    elif layout in (2, 3):
        p = n - 1 - r if layout == 2 else r
        q = (p + 1) % n
        d = (p + 2 + k) % n
    elif layout == 4:
        p, q, d = 0, 1, k + 2
    else:
        p, q, d = nd, nd + 1, k
    return p, q, d


def q_slots(n, p, q):
    """The data members of a RAID6 stripe in the order Q weighs them:
    from the member after Q, round the array (raid5.c raid6_d0 and
    raid6_idx_to_slot), not the order of the chunks in the array."""
    d0 = 0 if q == n - 1 else q + 1
    order = [(d0 + i) % n for i in range(n)]
    return [m for m in order if m not in (p, q)]


def gf_mul2(x):
    x <<= 1
    return (x ^ 0x11D) & 0xFF if x & 0x100 else x


MUL2 = bytes(gf_mul2(x) for x in range(256))   # for bytes.translate


def xor(a, b):
    n = len(a)
    return (int.from_bytes(a, 'little') ^
            int.from_bytes(b, 'little')).to_bytes(n, 'little')


def place(a, data, members):
    """Write the array bytes in data onto the members' data areas."""
    C = a.chunk
    n = a.raid_disks
    lvl = a.level
    by_role = {m.r: m for m in members if m.r >= 0}

    def put(role, moff, buf):
        m = by_role.get(role)
        if m is not None and any(buf):
            m.write(m.data_off + moff, buf)

    if lvl in (1, -4):
        for role in range(n):
            for at in range(0, min(len(data), a.component), 1 << 20):
                put(role, at, data[at:min(at + (1 << 20), a.component)])
        return
    if lvl == -1:
        at = 0
        for role in range(n):
            sz = a.sizes[role] // C * C if C else a.sizes[role]
            put(role, 0, data[at:at + sz])
            at += sz
        return
    if lvl == 0:
        sizes = [a.sizes[r] // C * C for r in range(n)]
        start, zstart = 0, 0
        while True:
            devs = [r for r in range(n) if sizes[r] > start]
            if not devs:
                break
            small = min(sizes[r] for r in devs)
            zsize = (small - start) * len(devs)
            for c in range(min(zsize // C, max(0, len(data) - zstart) // C + 1)):
                ac = zstart // C + c           # the array's chunk number
                sel = ac if a.layout != 2 else c
                role = devs[sel % len(devs)]
                moff = start + (c // len(devs)) * C
                put(role, moff, data[zstart + c * C:zstart + (c + 1) * C])
            zstart += zsize
            start = small
        return
    if lvl == 10:
        near, far = a.layout & 0xFF, (a.layout >> 8) & 0xFF
        offset = (a.layout >> 16) & 1
        # far sets (raid10.c setup_geo): which members a far copy
        # rotates within
        fss = {0: n, 1: n // far, 2: near * far}[a.layout >> 17]
        last_start = (n // fss - 1) * fss
        last_size = fss + n % fss

        def next_far(d):
            st = d // fss
            d += near
            if n % fss and d > last_start:
                return (d - last_start) % last_size + last_start
            return d % fss + fss * st
        chunks = a.component // C
        ac = chunks // far * n // near
        used = (ac * near * far + n - 1) // n
        stride = C if offset else used // far * C
        for c in range(min(ac, len(data) // C + 1)):
            buf = data[c * C:(c + 1) * C]
            first = c * near
            d, stripe = first % n, first // n
            if offset:
                stripe *= far
            sec = stripe * C
            for _ in range(near):
                dn, s = d, sec
                put(dn, s, buf)
                for _f in range(1, far):
                    dn = next_far(dn)
                    s += stride
                    put(dn, s, buf)
                d += 1
                if d >= n:
                    d, sec = 0, sec + C
        return
    # RAID4/5/6
    nd = n - (2 if lvl == 6 else 1)
    stripes = min(a.component // C, len(data) // (C * nd) + 1)
    for s in range(stripes):
        chunks = [data[(s * nd + k) * C:(s * nd + k + 1) * C] for k in range(nd)]
        chunks = [c + bytes(C - len(c)) for c in chunks]
        p, q, _ = raid5_place(lvl, a.layout, n, s, 0)
        par = bytearray(C)
        qs = bytearray(C)
        for k in range(nd):
            _, _, d = raid5_place(lvl, a.layout, n, s, k)
            put(d, s * C, chunks[k])
            par = xor(par, chunks[k])
        if lvl == 6:
            # Horner over the data slots, highest first: Q = sum g^z D_z
            by_member = {raid5_place(lvl, a.layout, n, s, k)[2]: chunks[k]
                         for k in range(nd)}
            for m in reversed(q_slots(n, p, q)):
                qs = xor(bytes(qs).translate(MUL2), by_member[m])
        put(p, s * C, bytes(par))
        if q is not None:
            put(q, s * C, bytes(qs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--level', type=int, required=True)
    ap.add_argument('--layout', type=int, default=0)
    ap.add_argument('--chunk', type=int, default=65536)
    ap.add_argument('--metadata', default='1.2')
    ap.add_argument('--data', required=True)
    ap.add_argument('--uuid', required=True)
    ap.add_argument('--name', default='')
    ap.add_argument('--md-minor', type=int, default=0)
    ap.add_argument('--events', type=int, default=20)
    ap.add_argument('--bitmap', action='store_true')
    ap.add_argument('--endian', default='little')
    ap.add_argument('--data-offset', type=int, default=1 << 20)
    ap.add_argument('--component', type=int, default=0,
                    help='bytes of each member the array uses (default: all)')
    ap.add_argument('member', nargs='+')
    a = ap.parse_args()
    a.uuid = bytes.fromhex(a.uuid.replace('-', '').replace(':', ''))
    members = [Member(s, i) for i, s in enumerate(a.member)]
    roles = []
    for m in members:
        m.r = -1 if m.role == 'spare' else -2 if m.role == 'faulty' else int(m.role)
        roles.append(0xFFFF if m.r == -1 else 0xFFFE if m.r == -2 else m.r)
    a.raid_disks = sum(1 for m in members if m.r >= 0)
    if hasattr(a, 'raid_disks_override'):
        pass
    ver = a.metadata
    for m in members:
        if ver == '0.90':
            m.sb_off = (m.size & ~0xFFFF) - 0x10000
            m.data_off, m.data_size = 0, m.sb_off
        elif ver == '1.0':
            m.sb_off = ((m.size // SECTOR - 16) & ~7) * SECTOR
            m.data_off = 0
            # bitmap and bad-block log sit below the superblock
            m.data_size = m.sb_off - (8 + (8 if a.bitmap else 0)) * SECTOR
            m.data_size = m.data_size // (64 << 10) * (64 << 10)
        else:
            m.sb_off = 0 if ver == '1.1' else 4096
            m.data_off = a.data_offset
            m.data_size = m.size - m.data_off
    chunk_round = a.chunk if a.level not in (1, -1) and a.chunk else 64 << 10
    comp = min(m.data_size for m in members) // chunk_round * chunk_round
    if a.component:
        comp = min(comp, a.component)
    a.component = comp
    a.sizes = {m.r: m.data_size for m in members if m.r >= 0}
    with open(a.data, 'rb') as f:
        data = f.read()
    place(a, data, members)
    for i, m in enumerate(members):
        if ver == '0.90':
            allm = [(j, x.r) for j, x in enumerate(members)]
            m.write(m.sb_off, sb0(a, (i, m.r), allm, a.endian, m.sb_off))
            if a.bitmap:
                m.write(m.sb_off + 4096, bitmap_sb(a, comp // SECTOR))
            continue
        if ver == '1.0':
            bb = -8
            bm = -16 if a.bitmap else None
        else:
            bm = 8 if a.bitmap else None
            bb = 16 if a.bitmap else 8
        m.write(m.sb_off, sb1(a, m, i, roles, m.sb_off, m.data_off,
                              m.data_size, bm, bb))
        if bm is not None:
            m.write(m.sb_off + bm * SECTOR, bitmap_sb(a, comp // SECTOR))
    for m in members:
        m.f.close()


def patch(argv):
    """patch PATH SBOFF [OFF:FMT:VALUE]... [--keep-csum]: set fields of
    the 1.x superblock at byte SBOFF of PATH (struct formats, '<' added)
    and fix its checksum unless told not to: hostile members for tests."""
    path, sboff = argv[0], int(argv[1], 0)
    keep = '--keep-csum' in argv
    with open(path, 'r+b') as f:
        f.seek(sboff)
        b = bytearray(f.read(4096))
        for spec in argv[2:]:
            if spec.startswith('--'):
                continue
            off, fmt, val = spec.split(':')
            struct.pack_into('<' + fmt, b, int(off, 0), int(val, 0))
        if not keep:
            max_dev = min(struct.unpack_from('<I', b, 220)[0], 1920)
            n = 256 + 2 * max_dev
            struct.pack_into('<I', b, 216, 0)
            s = sum(struct.unpack_from('<I', b, i)[0]
                    for i in range(0, n - n % 4, 4))
            if n % 4:
                s += struct.unpack_from('<H', b, n - 2)[0]
            struct.pack_into('<I', b, 216, fold(s))
        f.seek(sboff)
        f.write(b)


if __name__ == '__main__':
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == 'patch':
        patch(sys.argv[2:])
    else:
        main()
