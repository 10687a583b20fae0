#!/usr/bin/env python3
"""Write hostile images into a directory (default: the current one).

    python3 tests/images/hostile.py [DIR] [NAME...]

Each image is a few sectors crafted byte by byte, as an attacker would,
from the published layouts (MBR, GPT in the UEFI specification, Linux swap
in include/linux/swap.h): tables that contain themselves, sizes at and
past 2^63, an old swap area.  They are small, so they are made when a
test runs rather than committed.  The tests in tests/integration/hostile-*
say what each one must give.
"""
import os
import struct
import sys
import zlib

SECTOR = 512


def mbr(entries, disk_id=0):
    """A master boot record: entries are (type, first LBA, sectors)."""
    b = bytearray(SECTOR)
    struct.pack_into("<I", b, 440, disk_id)
    for i, (typ, lba, count) in enumerate(entries):
        e = 446 + 16 * i
        b[e + 4] = typ
        struct.pack_into("<II", b, e + 8, lba, count)
    b[510:512] = b"\x55\xaa"
    return b


def write(path, size, pieces):
    """A sparse file of size bytes with each (offset, bytes) in place."""
    with open(path, "wb") as f:
        f.truncate(size)
        for off, data in pieces:
            f.seek(off)
            f.write(data)


GUID_LINUX = bytes.fromhex("af3dc60f838472478e793d69d8477de4")  # 0FC63DAF-...


def gpt_pieces_with(sectors, ents):
    """gpt() with an entry array given byte for byte."""
    return gpt(sectors, [], len(ents) // 128, ents)


def gpt(sectors, parts, nentries=128, raw=None):
    """A GPT for a disk of sectors 512-byte LBAs: parts are (first LBA,
    last LBA).  Returns the (offset, bytes) pieces: protective MBR,
    primary header and entries, backup entries and header, with their
    CRC-32s as the UEFI specification defines them."""
    esize = 128
    ents = bytearray(nentries * esize) if raw is None else bytearray(raw)
    for i, (first, last) in enumerate(parts):
        e = i * esize
        ents[e:e + 16] = GUID_LINUX
        ents[e + 16:e + 32] = struct.pack("<QQ", 0x1234 + i, 0x5678)
        struct.pack_into("<QQ", ents, e + 32, first, last)
        name = ("p%d" % (i + 1)).encode("utf-16-le")
        ents[e + 56:e + 56 + len(name)] = name
    ecrc = zlib.crc32(bytes(ents)) & 0xffffffff
    esec = (len(ents) + SECTOR - 1) // SECTOR
    last_lba = sectors - 1

    def header(my, alt, entries_lba):
        h = bytearray(SECTOR)
        h[0:8] = b"EFI PART"
        struct.pack_into("<II", h, 8, 0x10000, 92)
        struct.pack_into("<QQQQ", h, 24, my, alt, 2 + esec,
                         last_lba - 1 - esec)
        h[56:72] = bytes(range(16))
        struct.pack_into("<QIII", h, 72, entries_lba, nentries, esize,
                         ecrc)
        struct.pack_into("<I", h, 16, zlib.crc32(bytes(h[:92])) & 0xffffffff)
        return h

    pmbr = mbr([(0xee, 1, min(sectors - 1, 0xffffffff))])
    return [(0, pmbr),
            (SECTOR, header(1, last_lba, 2)),
            (2 * SECTOR, ents),
            ((last_lba - esec) * SECTOR, ents),
            (last_lba * SECTOR, header(last_lba, 1, last_lba - esec))]


def ebr_chain(first, links, size_sectors):
    """Pieces of an MBR with an extended partition at LBA first holding
    logicals: links is a list of (EBR LBA relative to the extended start,
    next EBR's relative LBA or None, or 'nosig' to leave out 55AA)."""
    pieces = [(0, mbr([(0x83, 1, first - 1), (0x05, first,
                                                size_sectors - first)]))]
    for rel, nxt in links:
        ents = [(0x83, 1, 8)]
        if nxt is not None and nxt != "nosig":
            ents.append((0x05, nxt, 16))
        b = mbr(ents)
        if nxt == "nosig":
            b[510:512] = b"\0\0"
        pieces.append(((first + rel) * SECTOR, b))
    return pieces


def swap(version, pages, bad=(), magic=b"SWAPSPACE2", endian="<",
         nbad=None):
    """A Linux swap area of pages 4 KiB pages.  Version 0 ends its first
    page with SWAP-SPACE and a bitmap of usable pages before it; version
    1 (SWAPSPACE2) has a header with the last page and the bad pages
    (nbad: the count the header gives, if not len(bad))."""
    page = bytearray(4096)
    if version == 0:
        for p in range(1, pages):
            if p not in bad and p < 8 * (4096 - 10):
                page[p // 8] |= 1 << (p % 8)
        page[4096 - 10:] = b"SWAP-SPACE"
    else:
        struct.pack_into(endian + "III", page, 1024, version, pages - 1,
                         len(bad) if nbad is None else nbad)
        page[1024 + 12:1024 + 28] = bytes(range(16))
        page[1024 + 28:1024 + 34] = b"hostil"
        for i, p in enumerate(bad):
            struct.pack_into(endian + "I", page, 1024 + 512 + 4 * i, p)
        page[4096 - 10:4096 - 10 + len(magic)] = magic
    return [(0, page)]


def lvm_crc(data):
    """LVM2's checksum: CRC-32 with its own seed and no final xor."""
    return zlib.crc32(data, 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff


def lvm_pv(size, text, uuid="hostil00001111222233334444555556",
           damage=None):
    """A whole-disk LVM2 PV: label in sector 1, one metadata area at 4 KiB
    holding text (as the LVM2 on-disk format describes it: mda header,
    raw location with the text's checksum), data from 2 MiB.  damage(
    what, buf) may change the label, header or text (what: "label",
    "mda", "text") before its checksum, or after ("label!", ...)."""
    damage = damage or (lambda what, buf: None)
    uuid = uuid.encode()
    mda_start, mda_size, pe_start = 4096, 2 * MIB - 4096, 2 * MIB
    text = bytearray(text.encode() + b"\0")
    damage("text", text)
    lab = bytearray(SECTOR)
    lab[0:8] = b"LABELONE"
    struct.pack_into("<QII", lab, 8, 1, 0, 32)
    lab[24:32] = b"LVM2 001"
    lab[32:64] = uuid
    struct.pack_into("<QQQQQQQQQ", lab, 64, size, pe_start, 0, 0, 0,
                     mda_start, mda_size, 0, 0)
    damage("label", lab)
    struct.pack_into("<I", lab, 16, lvm_crc(bytes(lab[20:])))
    damage("label!", lab)
    mh = bytearray(SECTOR)
    mh[4:20] = b" LVM2 x[5A%r0N*>"
    struct.pack_into("<IQQ", mh, 20, 1, mda_start, mda_size)
    struct.pack_into("<QQII", mh, 40, SECTOR, len(text),
                     lvm_crc(bytes(text)), 0)
    damage("mda", mh)
    struct.pack_into("<I", mh, 0, lvm_crc(bytes(mh[4:])))
    damage("mda!", mh)
    return [(SECTOR, lab), (mda_start, mh), (mda_start + SECTOR, text)]


def poke(what, off, data):
    """A damage function for lvm_pv: bytes data at off of what."""
    def f(w, buf):
        if w == what:
            buf[off:off + len(data)] = data
    return f


def lvm_text(vg, pe_count, lvs, extent_sectors=2048):
    """VG metadata text: lvs is a list of (name, body) sections."""
    out = ['%s {' % vg,
           'id = "hostil-0000-1111-2222-3333-4444-vg0000"',
           'seqno = 1', 'format = "lvm2"',
           'status = ["RESIZEABLE", "READ", "WRITE"]',
           'extent_size = %d' % extent_sectors,
           'physical_volumes {',
           'pv0 { id = "hostil-0000-1111-2222-3333-4444-555556"',
           'status = ["ALLOCATABLE"] pe_start = 4096 pe_count = %d }' %
           pe_count,
           '}', 'logical_volumes {']
    for name, body in lvs:
        out.append('%s { %s }' % (name, body))
    out += ['}', '}', 'contents = "Text Format Volume Group"',
            'version = 1']
    return "\n".join(out) + "\n"


def linear_lv(first_pe, count):
    return ('id = "hostil-lv00-1111-2222-3333-4444-555555" '
            'status = ["READ", "WRITE", "VISIBLE"] segment_count = 1 '
            'segment1 { start_extent = 0 extent_count = %d '
            'type = "striped" stripe_count = 1 stripes = ["pv0", %d] }'
            % (count, first_pe))


MIB = 1 << 20


def fat(total=2048, bps=512, spc=1, reserved=1, nfats=2, root_entries=16,
        media=0xF8, fat_sectors=6, fat32=False, root_cluster=2, ext=0,
        fat0=None, bad=(), label=b"FAT12   "):
    """A FAT boot sector (its BIOS parameter block as Microsoft's FAT
    specification lays it out), its FATs and a root directory holding one
    file of three clusters: any field can be made wrong."""
    bs = bytearray(SECTOR)
    bs[0:3] = b"\xeb\x3c\x90"
    bs[3:11] = b"HOSTILE "
    struct.pack_into("<HBHBHHBH", bs, 11, bps, spc, reserved, nfats,
                     root_entries, total if total < 65536 and not fat32
                     else 0, media, 0 if fat32 else fat_sectors)
    struct.pack_into("<I", bs, 32, total)
    if fat32:
        struct.pack_into("<IHHIHH", bs, 36, fat_sectors, ext, 0,
                         root_cluster, 1, 6)
        bs[82:90] = b"FAT32   "
    else:
        bs[54:62] = label
    bs[510:512] = b"\x55\xaa"
    fatb = bytearray(fat_sectors * bps)
    width = 4 if fat32 else 1.5

    def put(n, v):
        if fat32:
            struct.pack_into("<I", fatb, 4 * n, v)
            return
        o = n * 3 // 2
        if o + 1 >= len(fatb):
            return
        cur = fatb[o] | fatb[o + 1] << 8
        cur = (cur & 0x000F) | (v << 4) if n & 1 else (cur & 0xF000) | v
        fatb[o], fatb[o + 1] = cur & 0xFF, cur >> 8
    eoc = 0x0FFFFFFF if fat32 else 0xFFF
    put(0, fat0 if fat0 is not None else (0x0FFFFF00 if fat32 else 0xF00) |
        media)
    put(1, eoc)
    first = 3 if fat32 else 2        # FAT32's root directory is cluster 2
    if fat32:
        put(2, eoc)
    put(first, first + 1)
    put(first + 1, first + 2)
    put(first + 2, eoc)
    for b in bad:
        put(b, 0x0FFFFFF7 if fat32 else 0xFF7)
    del width
    pieces = [(0, bs)]
    for k in range(nfats):
        pieces.append(((reserved + k * fat_sectors) * bps, bytes(fatb)))
    root = bytearray(32)
    root[0:11] = b"A       TXT"
    root[11] = 0x20
    struct.pack_into("<HI", root, 26, first, 3 * spc * bps)
    root_at = reserved + nfats * fat_sectors
    if fat32:
        root_at += (root_cluster - 2) * spc
    pieces.append((root_at * bps, root))
    return pieces


def images():
    """name -> (size, pieces)"""
    out = {}
    # a one-sector MBR whose four entries are the sector itself
    out["self4"] = (SECTOR, [(0, mbr([(0x83, 0, 1)] * 4))])
    # three entries that each span the whole 1 MiB disk from LBA 0
    out["self3"] = (MIB, [(0, mbr([(0x83, 0, 2048)] * 3))])
    # GPT entries covering LBA 0 to the end: two, then all 128
    sectors = 8 * MIB // SECTOR
    out["gpt-self2"] = (8 * MIB, gpt(sectors, [(0, sectors - 1)] * 2))
    out["gpt-self128"] = (8 * MIB, gpt(sectors, [(0, sectors - 1)] * 128))
    # tables that contain each other through different sectors: the MBR
    # at LBA k has four entries, all the rest of the disk from LBA k+1,
    # where the next MBR is (4^depth devices without a budget)
    chain = [(k * SECTOR, mbr([(0x83, 1, 64 - k - 1)] * 4, k + 1))
             for k in range(63)]
    out["mbr-chain"] = (64 * SECTOR, chain)
    # a tree of distinct tables, as a heap: the MBR at LBA i has four
    # partitions from LBA 4i+1 .. 4i+4 to the end of the disk, each
    # holding the next MBRs: no two devices are the same bytes, so only
    # the scan's budget stops it (2048 tables)
    n = 2048
    tree = [(i * SECTOR, mbr([(0x83, c - i, n - c)
                              for c in range(4 * i + 1, 4 * i + 5) if c < n],
                             i + 1)) for i in range(n)]
    out["mbr-tree"] = (n * SECTOR, tree)
    # sizes at and past 2^63 bytes: an entry of exactly 2^63 bytes, one
    # from LBA 0 to 2^64-1, one whose first LBA times 512 overflows
    big = [(2048, 2048 + (1 << 54) - 1), (0, (1 << 64) - 1),
           (1 << 60, (1 << 60) + 7), (4096, 4096 + 2047)]
    out["gpt-huge"] = (4 * MIB, gpt(4 * MIB // SECTOR, big))
    # swap areas: an old version 0 one with no bad pages, version 1 with
    # and without bad pages
    out["swap-v0"] = (64 * 4096, swap(0, 64))
    out["swap-v1"] = (64 * 4096, swap(1, 64))
    out["swap-v1-bad"] = (64 * 4096, swap(1, 64, bad=(3, 9, 10)))
    # more swap headers: big-endian, a hibernation image, an unknown
    # version, more bad pages than fit, bad pages out of range, a last
    # page of 0, more pages than the device holds
    out["swap-be"] = (64 * 4096, swap(1, 64, bad=(5,), endian=">"))
    out["swap-hibernation"] = (64 * 4096, swap(1, 64, magic=b"S1SUSPEND"))
    out["swap-v2"] = (64 * 4096, swap(2, 64))
    out["swap-toomanybad"] = (64 * 4096, swap(1, 64, bad=(3,), nbad=5000))
    out["swap-badrange"] = (64 * 4096, swap(1, 64, bad=(0, 64, 99999)))
    out["swap-lastzero"] = (64 * 4096, swap(1, 1))
    out["swap-short"] = (16 * 4096, swap(1, 64))
    # MBR extended chains in a small disk: three logicals, a loop back to
    # the first EBR, an EBR past the end, one without its signature
    out["mbr-logical3"] = (MIB, ebr_chain(100, [(0, 20), (20, 40),
                                                (40, None)], 2048))
    out["mbr-ebr-loop"] = (MIB, ebr_chain(100, [(0, 20), (20, 20)], 2048))
    out["mbr-ebr-past"] = (MIB, ebr_chain(100, [(0, 5000)], 2048))
    out["mbr-ebr-nosig"] = (MIB, ebr_chain(100, [(0, 20), (20, "nosig")],
                                          2048))
    # GPT: the primary header damaged (the backup serves), names in
    # UTF-16 with surrogate pairs and lone surrogates, an entry whose
    # first LBA is after its last
    pieces = gpt(2048, [(40, 99), (100, 199), (300, 200)])
    pieces[1] = (SECTOR, bytearray(b"EFI PART" + bytes(504)))
    out["gpt-backup-only"] = (MIB, pieces)
    pieces = gpt(2048, [(40, 99), (100, 199)])
    ents = bytearray(pieces[2][1])
    ents[56:56 + 10] = "\U0001f4be\u00e9\u20ac".encode("utf-16-le") + \
        b"\x00\xd8"
    ents[128 + 56:128 + 60] = b"\x00\xdc\x41\x00"
    pieces = gpt_pieces_with(2048, ents)
    out["gpt-names"] = (MIB, pieces)
    # FAT: a good FAT12 and FAT32, then one wrong field each
    out["fat12"] = (MIB, fat(bad=(10, 11, 20)))
    f32 = dict(total=70000, reserved=32, root_entries=0, fat_sectors=547,
               fat32=True)
    out["fat32"] = (70000 * SECTOR, fat(**f32))
    wrong = {
        "bps": dict(bps=300), "spc": dict(spc=3), "reserved": dict(reserved=0),
        "nfats": dict(nfats=9), "media": dict(media=0x12),
        "nosectors": dict(total=0), "noroot": dict(root_entries=0),
        "fills": dict(fat_sectors=1100), "shortfat": dict(fat_sectors=1),
        "fat0": dict(fat0=0xF0F), "onecluster": dict(total=16),
    }
    for name, kw in wrong.items():
        out["fat-" + name] = (MIB, fat(**kw))
    wrong32 = {
        "rootentries": dict(root_entries=512),
        "rootcluster": dict(root_cluster=999999),
        "active": dict(ext=0x81),
        "small": dict(total=5000, fat_sectors=40),
    }
    for name, kw in wrong32.items():
        out["fat32-" + name] = (70000 * SECTOR, fat(**dict(f32, **kw)))
    # an MBR whose only partition runs past the end of a disk that is
    # not truncated (a damaged table) and one that is cut inside it
    out["mbr-past-end"] = (MIB, [(0, mbr([(0x83, 1024, 4096)]))])
    # LVM2: two LVs both named lv0 (the second on extents 4-5), and a VG
    # of 45,000 empty LVs and one LV of 195 mirror segments of 128 legs
    # each naming LVs that do not exist (near 1 MiB of metadata)
    size = 8 * MIB
    dup = lvm_text("vg0", 6, [("lv0", linear_lv(0, 2)),
                              ("lv1", linear_lv(2, 2)),
                              ("lv0", linear_lv(4, 2))])
    out["lvm-dup"] = (size, lvm_pv(size, dup))
    legs = ", ".join('"gone%d", 0' % k for k in range(128))
    segs = " ".join('s%d { start_extent = %d extent_count = 1 '
                    'type = "mirror" mirror_count = 128 mirrors = [%s] }'
                    % (k, k, legs) for k in range(195))
    many = [("l%d" % k, "") for k in range(45000)]
    many.append(("m", 'status = ["READ", "WRITE", "VISIBLE"] ' + segs))
    out["lvm-many"] = (size, lvm_pv(size, lvm_text("vg1", 6, many)))
    # LVs with every kind of malformed segment, one each, beside good
    # linear and striped ones: the assembly says what is wrong with each
    vis = 'status = ["READ", "WRITE", "VISIBLE"] '

    def seg(body, start=0, count=2, name="segment1"):
        return '%s { start_extent = %d extent_count = %d %s }' % (
            name, start, count, body)
    lin = 'type = "striped" stripe_count = 1 stripes = ["pv0", %d]'
    legs130 = ", ".join('"lin", 0' for _ in range(130))
    bad = [
        ("lin", vis + seg(lin % 0)),
        ("striped", vis + seg('type = "striped" stripe_count = 2 '
                              'stripe_size = 128 stripes = ["pv0", 2, '
                              '"pv0", 3]')),
        ("noextent", vis + 'segment1 { type = "striped" }'),
        ("huge", vis + seg(lin % 0, count=1 << 47)),
        ("nostripes", vis + seg('type = "striped" stripe_count = 1')),
        ("badlist", vis + seg('type = "striped" stripe_count = 2 '
                              'stripes = ["pv0"]')),
        ("unknownpv", vis + seg('type = "striped" stripe_count = 1 '
                                'stripes = ["pv9", 0]')),
        ("morestripes", vis + seg('type = "striped" stripe_count = 1 '
                                  'stripes = ["pv0", 0, "pv0", 1]')),
        ("zerostripes", vis + seg('type = "striped" stripe_count = 0 '
                                  'stripes = []')),
        ("oddstripes", vis + seg('type = "striped" stripe_count = 2 '
                                 'stripe_size = 128 stripes = ["pv0", 0, '
                                 '"pv0", 1]', count=3)),
        ("badstripesize", vis + seg('type = "striped" stripe_count = 2 '
                                    'stripe_size = 0 stripes = ["pv0", 0, '
                                    '"pv0", 1]')),
        ("nomirrors", vis + seg('type = "mirror" mirror_count = 2')),
        ("badlegs", vis + seg('type = "mirror" mirrors = [1, 2]')),
        ("legoutside", vis + seg('type = "mirror" mirrors = ["lin", 99]')),
        ("manylegs", vis + seg('type = "mirror" mirrors = [%s]' % legs130)),
        ("loop", vis + seg('type = "mirror" mirrors = ["loop", 0]')),
        ("raid", vis + seg('type = "raid1" raids = ["lin", "lin", '
                           '"lin", "lin"]')),
        ("overlap", vis + seg(lin % 0) + " " +
         seg(lin % 1, start=1, name="segment2")),
        ("gap", vis + seg(lin % 0, start=2)),
        ("thin", vis + seg('type = "thin" thin_pool = "pool"')),
        ("hidden", seg(lin % 4)),
        ("lin_rmeta_0", vis + seg(lin % 5, count=1)),
    ]
    out["lvm-segments"] = (size, lvm_pv(size, lvm_text("vg3", 6, bad)))
    out["lvm-extent-size"] = (size, lvm_pv(size, lvm_text(
        "vg4", 6, [("lin", vis + seg(lin % 0))], extent_sectors=0)))
    # one damage at a time in the PV label, the metadata area header and
    # the text: each must become a warning or an unknown node's reason
    q = struct.pack
    damages = {
        "label-crc": poke("label!", 16, b"\0\0\0\0"),
        "label-hoff": poke("label", 20, q("<I", 500)),
        "label-uuid": poke("label", 32, b"\x01"),
        "label-areas": poke("label", 72, b"\x01" * 440),
        "no-data-area": poke("label", 72, bytes(16)),
        "data-past-end": poke("label", 72, q("<Q", 1 << 40)),
        "mda-outside": poke("label", 104, q("<Q", 1 << 40)),
        "mda-magic": poke("mda", 4, b"X"),
        "mda-crc": poke("mda!", 0, b"\0\0\0\0"),
        "mda-version": poke("mda", 20, q("<I", 7)),
        "mda-position": poke("mda", 24, q("<Q", 8192)),
        "mda-orphan": poke("mda", 40, bytes(8)),
        "mda-ignored": poke("mda", 60, q("<I", 1)),
        "mda-outside-area": poke("mda", 40, q("<Q", 1 << 30)),
        "mda-too-large": poke("mda", 48, q("<Q", MIB + 512)),
        "mda-wraps": poke("mda", 40, q("<Q", 2 * MIB - 4096 - 100)),
        "text-crc": poke("mda", 56, b"\0\0\0\0"),
        "text-garbage": poke("text", 0, b"vg0 { = ] }"),
        "text-nul": poke("text", 10, b"\0"),
    }
    for name, dmg in damages.items():
        out["lvm-" + name] = (size, lvm_pv(size, dup, damage=dmg))
    return out


def main():
    args = sys.argv[1:]
    outdir = args.pop(0) if args else "."
    made = images()
    for name in args or sorted(made):
        size, pieces = made[name]
        write(os.path.join(outdir, name + ".img"), size, pieces)


if __name__ == "__main__":
    main()
