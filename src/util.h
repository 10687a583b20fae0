/* Private helpers shared by the engine's files: endian reads, checked
 * arithmetic, allocation that reports failure through da_error.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_UTIL_H
#define DA_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diskatlas.h"

/* qsort, except for fewer than two items: qsort's base must not be NULL
 * even when there is nothing to sort (an empty table's pointer often is). */
static inline void da_sort(void *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static inline uint16_t le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
static inline uint64_t le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}
static inline uint16_t be16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}
static inline uint64_t be64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

/* a*b, false on overflow */
static inline bool mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}
static inline bool add_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}
/* [off, off+len) inside [0, size)? */
/* x * num / den without overflow in between (num <= den: no overflow
 * after either) */
static inline uint64_t mul_div(uint64_t x, uint64_t num, uint64_t den)
{
	return (uint64_t)((unsigned __int128)x * num / den);
}

static inline bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Append code point cp to out[0..n) as UTF-8 and return the new length;
 * a code point that does not fit before cap - 1 is dropped; out stays
 * NUL-terminated.  FAT's and exFAT's names go through it. */
size_t da_put_utf8(char *out, size_t n, size_t cap, uint32_t cp);

/* CRC-32 (IEEE 802.3, as GPT uses): crc32(0, buf, len). */
uint32_t da_crc32(uint32_t crc, const void *buf, size_t len);

/* strdup that never returns NULL for a non-NULL argument (out of memory:
 * da_out_of_memory; small strings only). */
char *da_strdup(const char *s);
/* calloc that ends in da_out_of_memory on failure: for small structures
 * only; sizes read from disk are bounded and use plain malloc. */
void *da_xcalloc(size_t n, size_t size);
/* printf into a new string */
char *da_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* GUID on disk (mixed endian, as GPT and LVM-less formats store it) to
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" upper case; buf >= 37 bytes. */
void da_guid_str(const uint8_t g[16], char *buf);
/* 16 bytes in order to the lower-case dashed form (ext, btrfs UUIDs) */
void da_uuid_str(const uint8_t u[16], char *buf);

/* Read helper that also checks the range: like da_device_read. */
static inline int dev_read(struct da_device *d, void *buf, size_t len,
			   uint64_t off, da_error *err)
{
	return da_device_read(d, buf, len, off, err);
}

/* A new device with refcount 1 and 512-byte blocks (src/device.c): what
 * every device constructor, in device.c and the image back ends, starts
 * from. */
struct da_device *da_device_alloc(const struct da_device_ops *ops,
				  const char *name, uint64_t size, void *priv);

/* Frees a device's hole map (src/holemap.c), from da_device_unref. */
struct da_holemap;
void da_holemap_free(struct da_holemap *h);

#endif
