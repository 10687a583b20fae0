/* A file allocation table read page by page as a walk asks it (see
 * fat_table.h).  Pages are kept in a direct-mapped cache: a chain read
 * in order asks one page for a thousand entries.  A walk that jumps
 * about the table reads pages again; past FAT_TABLE_REREADS of those,
 * the table is read whole, once.  Used by one thread at a time (the
 * walk that opened it).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "fat_table.h"

struct fat_table {
	struct da_device *dev;
	uint64_t off, len;
	unsigned bits;
	uint8_t *whole;            /* the whole table, once read */
	bool whole_failed;         /* it could not be: pages go on */
	uint8_t *pages;            /* FAT_TABLE_SLOTS pages */
	uint64_t tag[FAT_TABLE_SLOTS];  /* page number + 1 held; 0 none */
	uint8_t *seen;             /* a bit a page: read once already */
	uint64_t rereads, reads;
};

struct fat_table *fat_table_open(struct da_device *dev, uint64_t off,
				 uint64_t len, unsigned bits)
{
	struct fat_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dev = dev;
	t->off = off;
	t->len = len;
	t->bits = bits;
	uint64_t npages = len / FAT_TABLE_PAGE + 1;
	t->pages = malloc((size_t)FAT_TABLE_SLOTS * FAT_TABLE_PAGE);
	t->seen = calloc(1, (size_t)(npages / 8 + 1));
	if (!t->pages || !t->seen) {
		fat_table_close(t);
		return NULL;
	}
	return t;
}

void fat_table_close(struct fat_table *t)
{
	if (!t)
		return;
	free(t->whole);
	free(t->pages);
	free(t->seen);
	free(t);
}

uint64_t fat_table_reads(const struct fat_table *t)
{
	return t->reads;
}

bool fat_table_is_whole(const struct fat_table *t)
{
	return t->whole != NULL;
}

/* Read the whole table; false when it cannot be. */
static bool read_whole(struct fat_table *t)
{
	if (t->len > FAT_TABLE_WHOLE_MAX)
		return false;
	uint8_t *w = malloc(t->len ? (size_t)t->len : 1);
	if (!w)
		return false;
	t->reads++;
	if (da_device_read(t->dev, w, (size_t)t->len, t->off, NULL) < 0) {
		free(w);
		return false;
	}
	t->whole = w;
	return true;
}

/* Page p of the table, read if it is not held; NULL when unreadable. */
static const uint8_t *page(struct fat_table *t, uint64_t p)
{
	size_t s = (size_t)(p % FAT_TABLE_SLOTS);
	uint8_t *b = t->pages + s * FAT_TABLE_PAGE;
	if (t->tag[s] == p + 1)
		return b;
	if (t->seen[p / 8] >> (p % 8) & 1 &&
	    ++t->rereads >= FAT_TABLE_REREADS && !t->whole_failed &&
	    !read_whole(t))
		t->whole_failed = true;
	if (t->whole)
		return NULL;       /* the caller reads from the whole table */
	uint64_t at = p * FAT_TABLE_PAGE;
	size_t n = t->len - at < FAT_TABLE_PAGE ? (size_t)(t->len - at)
						: FAT_TABLE_PAGE;
	t->tag[s] = 0;
	t->reads++;
	if (da_device_read(t->dev, b, n, t->off + at, NULL) < 0)
		return NULL;
	memset(b + n, 0, FAT_TABLE_PAGE - n);
	t->tag[s] = p + 1;
	t->seen[p / 8] |= (uint8_t)(1u << (p % 8));
	return b;
}

/* Byte i of the table (zero past its end); -1 when unreadable. */
static int byte_at(struct fat_table *t, uint64_t i)
{
	if (i >= t->len)
		return 0;
	if (!t->whole) {
		const uint8_t *b = page(t, i / FAT_TABLE_PAGE);
		if (b)
			return b[i % FAT_TABLE_PAGE];
		if (!t->whole)
			return -1;
	}
	return t->whole[i];
}

int fat_table_get(struct fat_table *t, uint32_t c, uint32_t *v)
{
	unsigned width = t->bits == 32 ? 4 : 2;
	uint64_t at = t->bits == 12 ? (uint64_t)c + c / 2
				    : (uint64_t)c * width;
	uint8_t b[4];
	/* the common case: the entry inside one page held, or the whole */
	if (t->whole && at + width <= t->len) {
		memcpy(b, t->whole + at, width);
	} else if (!t->whole && at + width <= t->len &&
		   at % FAT_TABLE_PAGE + width <= FAT_TABLE_PAGE) {
		const uint8_t *p = page(t, at / FAT_TABLE_PAGE);
		if (p)
			memcpy(b, p + at % FAT_TABLE_PAGE, width);
		else if (t->whole)
			memcpy(b, t->whole + at, width);
		else
			return -1;
	} else {
		/* across two pages (FAT12), or at the table's end */
		for (unsigned k = 0; k < width; k++) {
			int x = byte_at(t, at + k);
			if (x < 0)
				return -1;
			b[k] = (uint8_t)x;
		}
	}
	if (t->bits == 12) {
		uint32_t w = le16(b);
		*v = c & 1 ? w >> 4 : w & 0xFFF;
	} else {
		*v = t->bits == 16 ? le16(b) : le32(b);
	}
	return 0;
}
