/* A file allocation table read as a walk asks it, for FAT12/16/32 and
 * exFAT: entries come through a cache of pages, so that what is kept
 * does not grow with the filesystem (the FAT of a 16 TiB exFAT is
 * 512 MiB, and a file stored contiguously never asks it).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FAT_TABLE_H
#define DA_FAT_TABLE_H

#include "util.h"

#define FAT_TABLE_PAGE 4096u
#define FAT_TABLE_SLOTS 256u       /* pages kept: 1 MiB */
/* Pages read a second time (the walk jumps about a fragmented table)
 * before the whole table is read instead, when it is at most
 * FAT_TABLE_WHOLE_MAX bytes: the cost of a walk is then bounded by the
 * table's size, as when it was always read whole. */
#define FAT_TABLE_REREADS 1024u
#define FAT_TABLE_WHOLE_MAX (1024ull << 20)

struct fat_table;

/* The table of len bytes at byte off of dev, whose entries are bits
 * wide (12, 16 or 32); NULL without memory.  Nothing is read yet. */
struct fat_table *fat_table_open(struct da_device *dev, uint64_t off,
				 uint64_t len, unsigned bits);
/* Entry c's bits as they lie on the disk (bytes past the table read as
 * zeros); -1 when they cannot be read. */
int fat_table_get(struct fat_table *t, uint32_t c, uint32_t *v);
/* Device reads made so far (pages and the whole table), for tests. */
uint64_t fat_table_reads(const struct fat_table *t);
bool fat_table_is_whole(const struct fat_table *t);
void fat_table_close(struct fat_table *t);

/* The bytes that entries 0 .. n-1 take. */
static inline uint64_t fat_table_bytes(unsigned bits, uint64_t n)
{
	return bits == 12 ? (n * 3 + 1) / 2 : bits == 16 ? n * 2 : n * 4;
}

#endif
