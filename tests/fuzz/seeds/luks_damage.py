#!/usr/bin/env python3
"""Changed copies of the LUKS seeds made by tests/fuzz/seeds/luks.sh, one
structure at a time, for the LUKS plugin's hostile paths.

LUKS2 (both header copies rewritten with right checksums unless the
checksum is the damage): the data segment renamed to serpent, twofish
and other ciphers, authenticated (integrity), OPAL, with flags and
requirements, a payload past the end, key slot and segment ids out of
range, areas outside the device, bad sector sizes, missing sections,
JSON that does not parse, nests too deep, is not an object, is not
terminated, key slot and digest KDF costs past diskatlas's limits;
the binary headers: a wrong checksum in either copy or both,
an unknown checksum algorithm, a wrong hdr_offset, an impossible header
size, copies of different seqid, the primary's magic gone.
LUKS1: a zero key size, a slot state that is neither active nor
disabled, zero stripes, a key slot area past the end, a payload past the
end, no UUID, a slot's and the master key digest's iteration counts of
2^32 - 1.
Usage: luks_damage.py LUKS2-SEED LUKS1-SEED OUTDIR   (writes OUTDIR/luks-damage-*)"""
import hashlib
import json
import struct
import sys

l2src, l1src, out = sys.argv[1:4]


def save(name, b):
    open('%s/luks-damage-%s' % (out, name), 'wb').write(bytes(b))


# ---- LUKS2 ----
base = bytearray(open(l2src, 'rb').read())
hs, = struct.unpack_from('>Q', base, 8)        # one copy: binary + JSON


def meta(b):
    t = bytes(b[4096:hs]).split(b'\0', 1)[0]
    return json.loads(t)


# the copies keep 64 KiB of the payload: enough to decrypt, small to replay
base = base[:int(meta(base)['segments']['0']['offset']) + 65536]


def seal(b, off):
    """The checksum of the copy at off: SHA-256 with its field zeroed."""
    b[off + 448:off + 512] = bytes(64)
    b[off + 448:off + 480] = hashlib.sha256(bytes(b[off:off + hs])).digest()


def put_json(b, text, seal_it=True):
    raw = text if isinstance(text, bytes) else text.encode()
    for off in (0, hs):
        b[off + 4096:off + hs] = bytes(hs - 4096)
        b[off + 4096:off + 4096 + min(len(raw), hs - 4096)] = raw[:hs - 4096]
        if seal_it:
            seal(b, off)


def variant(name, change):
    b = bytearray(base)
    m = meta(b)
    change(m)
    put_json(b, json.dumps(m))
    save(name, b)


def seg0(m):
    return m['segments']['0']


variant('serpent', lambda m: seg0(m).update(encryption='serpent-xts-plain64'))
variant('twofish', lambda m: seg0(m).update(encryption='twofish-cbc-essiv:sha256',
                                            sector_size=512))
variant('aes-ecb', lambda m: seg0(m).update(encryption='aes-ecb'))
variant('cbc-null', lambda m: seg0(m).update(encryption='aes-cbc-null'))
variant('benbi', lambda m: seg0(m).update(encryption='aes-cbc-benbi'))
variant('essiv-md5', lambda m: seg0(m).update(encryption='aes-cbc-essiv:md5'))
variant('cipher-unknown', lambda m: seg0(m).update(encryption='rot13-xts-plain64'))
variant('integrity', lambda m: seg0(m).update(
    integrity={'type': 'hmac(sha256)', 'journal_encryption': 'none',
               'journal_integrity': 'none'}))
variant('opal', lambda m: seg0(m).update(type='hw-opal-crypt'))
variant('linear', lambda m: seg0(m).update(type='linear'))
variant('flags', lambda m: m['config'].update(
    flags=['allow-discards', 'no-read-workqueue'],
    requirements={'mandatory': ['online-reencrypt-v2', 'other']}))
variant('iv-tweak', lambda m: seg0(m).update(iv_tweak='8', size='32768'))
variant('payload-past-end', lambda m: seg0(m).update(offset='1099511627776'))
variant('seg-no-offset', lambda m: seg0(m).pop('offset'))
variant('seg-bad-size', lambda m: seg0(m).update(size='many'))
variant('seg-sector', lambda m: seg0(m).update(sector_size=1000))
variant('seg-id', lambda m: m.update(segments={'77': seg0(m)}))
variant('no-segment', lambda m: m.update(segments={}))
variant('two-segments', lambda m: m['segments'].update(
    {'1': dict(seg0(m), offset='2097152', flags=['backup-previous'])}))
variant('slot-id', lambda m: m.update(keyslots={'40': m['keyslots']['0']}))
variant('slot-area-out', lambda m: m['keyslots']['0']['area'].update(
    offset='1099511627776'))
variant('slot-area-none', lambda m: m['keyslots']['0']['area'].pop('size'))
variant('slot-reencrypt', lambda m: m['keyslots']['0'].update(type='reencrypt'))
# KDF costs past what diskatlas will run (slot 0 pbkdf2, slot 1 argon2id)
variant('kdf-iterations', lambda m: m['keyslots']['0']['kdf'].update(
    iterations=4294967295))
variant('kdf-negative', lambda m: m['keyslots']['0']['kdf'].update(iterations=-1))
variant('kdf-time', lambda m: m['keyslots']['1']['kdf'].update(time=4294967295))
variant('kdf-memory', lambda m: m['keyslots']['1']['kdf'].update(memory=1 << 40))
variant('kdf-cpus', lambda m: m['keyslots']['1']['kdf'].update(cpus=1 << 24))
variant('kdf-digest', lambda m: m['digests']['0'].update(iterations=2147483647))
variant('no-digests', lambda m: m.pop('digests'))
variant('no-config', lambda m: m.pop('config'))
variant('json-size', lambda m: m['config'].update(json_size='4096'))
variant('keyslots-size', lambda m: m['config'].update(keyslots_size='1099511627776'))
variant('config-empty', lambda m: m.update(config={}))

# JSON text that is not LUKS2 metadata
for name, text in (('json-junk', b'{"keyslots": [1, 2,'),
                   ('json-array', b'[1, 2, 3]'),
                   ('json-deep', b'{"a":' * 40 + b'1' + b'}' * 40)):
    b = bytearray(base)
    put_json(b, text)
    save(name, b)
b = bytearray(base)                  # not terminated within the area
put_json(b, b'{"x":"' + b'y' * (hs - 4096))
save('json-unterminated', b)

# the binary headers
b = bytearray(base)
b[0 + 448] ^= 1
save('csum-primary', b)
b = bytearray(base)
b[hs + 448] ^= 1
save('csum-secondary', b)
b[448] ^= 1
save('csum-both', b)
b = bytearray(base)
b[72:72 + 32] = b'whirlpool'.ljust(32, b'\0')      # checksum_alg
save('csum-alg', b)
b = bytearray(base)
b[0:6] = bytes(6)                                # primary gone
save('magic-primary', b)
b = bytearray(base)
struct.pack_into('>Q', b, hs + 256, 12345)      # hdr_offset of the second
seal(b, hs)
save('hdr-offset', b)
b = bytearray(base)
struct.pack_into('>Q', b, 8, 12345)             # hdr_size
save('hdr-size', b)
b = bytearray(base)
struct.pack_into('>Q', b, hs + 16, struct.unpack_from('>Q', b, 16)[0] + 5)
seal(b, hs)
save('seqid', b)
b = bytearray(base)
struct.pack_into('>Q', b, 16, struct.unpack_from('>Q', b, 16)[0] + 5)
m = meta(b)
m['segments']['0']['encryption'] = 'bogus'
raw = json.dumps(m).encode()
b[4096:hs] = bytes(hs - 4096)
b[4096:4096 + len(raw)] = raw
seal(b, 0)
save('seqid-newer-bad', b)
save('truncated', base[:hs + 2048])

# ---- LUKS1 ----
base = bytearray(open(l1src, 'rb').read())


def v1(name, change):
    b = bytearray(base)
    change(b)
    save(name, b)


v1('l1-keybytes', lambda b: struct.pack_into('>I', b, 108, 0))
v1('l1-state', lambda b: struct.pack_into('>I', b, 208 + 48 * 3, 0x12345678))
v1('l1-stripes', lambda b: struct.pack_into('>I', b, 208 + 44, 0))
v1('l1-area-out', lambda b: struct.pack_into('>I', b, 208 + 40, 0x7fffffff))
v1('l1-payload-out', lambda b: struct.pack_into('>I', b, 104, 0x7fffffff))
v1('l1-payload-end', lambda b: struct.pack_into('>I', b, 104, len(b) // 512))
v1('l1-no-uuid', lambda b: b.__setitem__(slice(168, 208), bytes(40)))
v1('l1-iterations', lambda b: struct.pack_into('>I', b, 208 + 4, 4000000000))
v1('l1-digest-iterations', lambda b: struct.pack_into('>I', b, 164, 4294967295))
v1('l1-version', lambda b: struct.pack_into('>H', b, 6, 3))
