"""Integers in on-disk structures, read and written in place in a
bytearray, for the damage scripts beside this file (each edits one field
of a seed at a time)."""
import struct


def _get(fmt):
    return lambda b, o: struct.unpack_from(fmt, b, o)[0]


def _put(fmt):
    return lambda b, o, v: struct.pack_into(fmt, b, o, v)


le16, le32, le64 = _get('<H'), _get('<I'), _get('<Q')
be16, be32, be64 = _get('>H'), _get('>I'), _get('>Q')
put_le16, put_le32, put_le64 = _put('<H'), _put('<I'), _put('<Q')
put_be16, put_be32, put_be64 = _put('>H'), _put('>I'), _put('>Q')
