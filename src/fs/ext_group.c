/* ext2/3/4 group descriptors, read by us on demand: libext2fs is opened
 * with the superblock only (EXT2_FLAG_SUPER_ONLY), because its full open
 * reads and keeps every descriptor (32 MiB for 64 TiB) before anything
 * can be shown.  A descriptor is read with the few blocks around it into
 * a small cache (EXT_GD_SLOTS chunks of EXT_GD_CHUNK blocks) under a
 * lock, so any thread may ask; a pass over all groups reads chunk by
 * chunk outside the cache.  Every location is checked against the
 * filesystem before it is read.
 *
 * libext2fs, opened so, reads a descriptor block itself whenever one of
 * its group accessors is called, into one static buffer (not
 * thread-safe) and dereferences NULL when that read fails: nothing here
 * calls those accessors, and inode reads are answered by a hook
 * (fs->read_inode) that finds the inode table through this reader.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../crc32c.h"
#include "../util.h"
#include "ext.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

/* ---- geometry ---------------------------------------------------------- */

static void ext_groups_init_id(struct ext_priv *p);

void ext_groups_init(struct ext_priv *p)
{
	ext2_filsys fs = p->fs;
	pthread_mutex_init(&p->gd_lock, NULL);
	ext_groups_init_id(p);
	p->ngroups = fs->group_desc_count;
	p->blocks_total = ext2fs_blocks_count(fs->super);
	p->flex_bg = ext2fs_has_feature_flex_bg(fs->super);
	p->desc_size = EXT2_DESC_SIZE(fs->super);
	p->desc_per_block = p->desc_size ? p->bs / p->desc_size : 0;
	p->wide_desc = ext2fs_has_feature_64bit(fs->super) &&
		       p->desc_size >= EXT2_MIN_DESC_SIZE_64BIT;
	p->desc_blocks = p->desc_per_block
				 ? (p->ngroups + p->desc_per_block - 1) /
					   p->desc_per_block
				 : 0;
}

void ext_groups_free(struct ext_priv *p)
{
	for (int i = 0; i < EXT_GD_SLOTS; i++) {
		free(p->gd[i].buf);
		p->gd[i].buf = NULL;
		p->gd[i].state = 0;
	}
	pthread_mutex_destroy(&p->gd_lock);
}

/* Where descriptor block i lies (libext2fs's arithmetic from the
 * superblock alone: meta_bg puts blocks in their own meta group), or 0
 * when that is outside the filesystem. */
uint64_t ext_desc_block_loc(const struct ext_priv *p, uint64_t i)
{
	ext2_filsys fs = p->fs;
	if (i >= p->desc_blocks || i > UINT32_MAX)
		return 0;
	uint64_t b = ext2fs_descriptor_block_loc2(fs,
						  fs->super->s_first_data_block,
						  (dgrp_t)i);
	return b > 0 && b < p->nblocks ? b : 0;
}

/* Read descriptor blocks [i0, i0 + n) into buf (n * bs bytes), runs of
 * neighbours in one read; ok[k] says whether block i0 + k was read. */
static void read_desc_blocks(struct ext_priv *p, uint64_t i0, unsigned n,
			     uint8_t *buf, uint8_t *ok)
{
	unsigned k = 0;
	while (k < n) {
		uint64_t loc = ext_desc_block_loc(p, i0 + k);
		unsigned run = 1;
		while (loc && k + run < n &&
		       ext_desc_block_loc(p, i0 + k + run) == loc + run)
			run++;
		uint64_t off;
		bool got = loc && mul_ok(loc, p->bs, &off) &&
			   da_device_read(p->dev, buf + (size_t)k * p->bs,
					  (size_t)run * p->bs, off, NULL) == 0;
		if (!got && run > 1) {
			/* one bad block must not hide its neighbours */
			run = 1;
			got = loc && mul_ok(loc, p->bs, &off) &&
			      da_device_read(p->dev, buf + (size_t)k * p->bs,
					     p->bs, off, NULL) == 0;
		}
		for (unsigned j = 0; j < run; j++)
			ok[k + j] = got;
		if (!got)
			memset(buf + (size_t)k * p->bs, 0, (size_t)run * p->bs);
		__atomic_add_fetch(&p->gd_reads, 1, __ATOMIC_RELAXED);
		k += run;
	}
}

/* ---- decoding ---------------------------------------------------------- */

void ext_group_decode(const struct ext_priv *p, const uint8_t *d,
		      struct ext_group *out)
{
	bool wide = p->wide_desc;
	out->block_bitmap = le32(d);
	out->inode_bitmap = le32(d + 4);
	out->inode_table = le32(d + 8);
	out->free_blocks = le16(d + 12);
	out->free_inodes = le16(d + 14);
	out->used_dirs = le16(d + 16);
	out->flags = le16(d + 18);
	out->itable_unused = le16(d + 28);
	if (wide) {
		out->block_bitmap |= (uint64_t)le32(d + 32) << 32;
		out->inode_bitmap |= (uint64_t)le32(d + 36) << 32;
		out->inode_table |= (uint64_t)le32(d + 40) << 32;
		out->free_blocks |= (uint32_t)le16(d + 44) << 16;
		out->free_inodes |= (uint32_t)le16(d + 46) << 16;
		out->used_dirs |= (uint32_t)le16(d + 48) << 16;
		out->itable_unused |= (uint32_t)le16(d + 50) << 16;
	}
}

/* crc16 (the ARC one: polynomial 0x8005, reflected), which gdt_csum
 * descriptors carry; libext2fs has one but does not export it. */
static uint16_t crc16_table[256];
static pthread_once_t crc16_once = PTHREAD_ONCE_INIT;

static void crc16_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (uint16_t)(c >> 1 ^ 0xa001) : c >> 1;
		crc16_table[i] = c;
	}
}

static uint16_t crc16(uint16_t crc, const uint8_t *b, size_t len)
{
	while (len--)
		crc = (uint16_t)(crc >> 8 ^ crc16_table[(crc ^ *b++) & 0xff]);
	return crc;
}

/* What a metadata_csum descriptor's crc32c covers, into buf (4 + size
 * bytes): the group number, then descriptor d with its checksum zeroed,
 * in one run. */
static void csum_input(uint8_t *buf, uint64_t g, const uint8_t *d,
		       size_t size)
{
	buf[0] = (uint8_t)g;
	buf[1] = (uint8_t)(g >> 8);
	buf[2] = (uint8_t)(g >> 16);
	buf[3] = (uint8_t)(g >> 24);
	memcpy(buf + 4, d, size);
	buf[4 + 30] = buf[4 + 31] = 0;
}

bool ext_group_csum_ok(const struct ext_priv *p, uint64_t g, const uint8_t *d)
{
	ext2_filsys fs = p->fs;
	if (!ext2fs_has_group_desc_csum(fs))
		return true;
	uint8_t le[4] = { (uint8_t)g, (uint8_t)(g >> 8), (uint8_t)(g >> 16),
			  (uint8_t)(g >> 24) };
	uint16_t want = le16(d + 30), got;
	size_t size = p->desc_size;
	if (ext2fs_has_feature_metadata_csum(fs->super)) {
		uint8_t buf[4 + EXT2_MAX_DESC_SIZE];
		if (size > EXT2_MAX_DESC_SIZE)
			return false;
		csum_input(buf, g, d, size);
		got = (uint16_t)da_crc32c(fs->csum_seed, buf, 4 + size);
	} else {
		pthread_once(&crc16_once, crc16_init);
		got = crc16(0xffff, fs->super->s_uuid,
			    sizeof(fs->super->s_uuid));
		got = crc16(got, le, 4);
		got = crc16(got, d, 30);
		if (size > 32)
			got = crc16(got, d + 32, size - 32);
	}
	return got == want;
}

/* Three metadata_csum descriptors' crc32c at once, read where they lie:
 * the group number, then the descriptor eight bytes at a time with its
 * checksum (bytes 30 and 31, the top of the fourth word) taken as zero.
 * One crc32 instruction takes three cycles to give its result but can
 * start every cycle, so three independent streams cost about what one
 * does.  size: a multiple of 8, at least 32. */
#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static void
desc_crc3(uint32_t seed, uint64_t g, const uint8_t *d, size_t size,
	  uint32_t out[3])
{
	uint64_t c[3];
	for (size_t k = 0; k < 3; k++)
		c[k] = _mm_crc32_u32(seed, (uint32_t)(g + k));
	for (size_t i = 0; i < size; i += 8) {
		uint64_t keep = i == 24 ? UINT64_C(0x0000ffffffffffff)
					: UINT64_MAX;
#pragma GCC unroll 3
		for (size_t k = 0; k < 3; k++) {
			uint64_t v;
			memcpy(&v, d + k * size + i, 8);
			c[k] = _mm_crc32_u64(c[k], v & keep);
		}
	}
	for (size_t k = 0; k < 3; k++)
		out[k] = (uint32_t)c[k];
}
#endif

void ext_group_csum_run(const struct ext_priv *p, uint64_t g,
			const uint8_t *d, size_t n, uint8_t *ok)
{
	size_t size = p->desc_size, i = 0;
#if defined(__x86_64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	ext2_filsys fs = p->fs;
	if (da_crc32c_hw() && ext2fs_has_feature_metadata_csum(fs->super) &&
	    size <= EXT2_MAX_DESC_SIZE && size >= 32 && size % 8 == 0) {
		for (; i + 3 <= n; i += 3) {
			uint32_t got[3];
			desc_crc3(fs->csum_seed, g + i, d + i * size, size,
				  got);
			for (size_t k = 0; k < 3; k++)
				ok[i + k] = (uint16_t)got[k] ==
					    le16(d + (i + k) * size + 30);
		}
	}
#endif
	for (; i < n; i++)
		ok[i] = ext_group_csum_ok(p, g + i, d + i * size);
}

/* ---- one group, cached -------------------------------------------------- */

/* The slot holding descriptor chunk `chunk`, read into the one used
 * longest ago when none does; NULL without memory.  Under gd_lock. */
static struct ext_gd_slot *chunk_slot(struct ext_priv *p, uint64_t chunk)
{
	struct ext_gd_slot *s = NULL, *old = &p->gd[0];
	for (int i = 0; i < EXT_GD_SLOTS; i++) {
		if (p->gd[i].state && p->gd[i].chunk == chunk) {
			s = &p->gd[i];
			break;
		}
		if (!p->gd[i].state ||
		    (old->state && p->gd[i].used < old->used))
			old = &p->gd[i];
	}
	if (!s) {
		s = old;
		if (!s->buf)
			s->buf = malloc((size_t)EXT_GD_CHUNK * p->bs);
		if (!s->buf) {
			s->state = 0;
			return NULL;
		}
		uint64_t i0 = chunk * EXT_GD_CHUNK;
		unsigned n = p->desc_blocks - i0 < EXT_GD_CHUNK
				     ? (unsigned)(p->desc_blocks - i0)
				     : EXT_GD_CHUNK;
		read_desc_blocks(p, i0, n, s->buf, s->ok);
		s->chunk = chunk;
		s->state = 1;
	}
	s->used = ++p->gd_clock;
	return s;
}

size_t ext_group_get_many(struct ext_priv *p, uint64_t g, size_t n,
			  struct ext_group *out)
{
	if (g >= p->ngroups || !p->desc_per_block || n == 0)
		return 0;
	uint64_t dpb = p->desc_per_block, blk = g / dpb;
	uint64_t chunk = blk / EXT_GD_CHUNK, i0 = chunk * EXT_GD_CHUNK;
	/* as far as the chunk and the groups go */
	uint64_t end = (i0 + EXT_GD_CHUNK) * dpb;
	if (end > p->ngroups)
		end = p->ngroups;
	if (n > end - g)
		n = (size_t)(end - g);
	size_t got = 0;
	pthread_mutex_lock(&p->gd_lock);
	struct ext_gd_slot *s = chunk_slot(p, chunk);
	for (; s && got < n; got++, g++) {
		uint64_t k = g / dpb - i0;
		if (!s->ok[k])
			break;
		ext_group_decode(p, s->buf + k * p->bs +
					    (g % dpb) * p->desc_size,
				 &out[got]);
	}
	pthread_mutex_unlock(&p->gd_lock);
	return got;
}

/* The last descriptors this thread decoded, by filesystem (a number
 * never reused, not the pointer) and group: describing a cell's blocks
 * one by one asks the same few groups thousands of times, and a
 * descriptor never changes (the image is read-only). */
#define TLS_GROUPS 8
static __thread struct {
	uint64_t id, g;
	struct ext_group d;
} tls_gd[TLS_GROUPS];
static uint64_t next_id;

static void ext_groups_init_id(struct ext_priv *p)
{
	p->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
}

int ext_group_get(struct ext_priv *p, uint64_t g, struct ext_group *out)
{
	if (g >= p->ngroups || !p->desc_per_block)
		return EINVAL;
	unsigned k = (unsigned)(g % TLS_GROUPS);
	if (tls_gd[k].id == p->id && tls_gd[k].g == g) {
		*out = tls_gd[k].d;
		return 0;
	}
	if (ext_group_get_many(p, g, 1, out) == 1) {
		tls_gd[k].id = p->id;
		tls_gd[k].g = g;
		tls_gd[k].d = *out;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return EIO;
}

/* ---- every group, in order ---------------------------------------------- */

int ext_groups_each(struct ext_priv *p, uint64_t g0, uint64_t g1,
		    ext_group_fn fn, void *ctx)
{
	if (g1 > p->ngroups)
		g1 = p->ngroups;
	if (g0 >= g1 || !p->desc_per_block)
		return 0;
	uint8_t *buf = malloc((size_t)EXT_GD_CHUNK * p->bs);
	uint8_t ok[EXT_GD_CHUNK];
	if (!buf)
		return ENOMEM;
	uint64_t dpb = p->desc_per_block;
	int rc = 0;
	for (uint64_t i = g0 / dpb; !rc && i * dpb < g1; i += EXT_GD_CHUNK) {
		unsigned n = p->desc_blocks - i < EXT_GD_CHUNK
				     ? (unsigned)(p->desc_blocks - i)
				     : EXT_GD_CHUNK;
		read_desc_blocks(p, i, n, buf, ok);
		uint64_t a = i * dpb, e = (i + n) * dpb;
		if (a < g0)
			a = g0;
		if (e > g1)
			e = g1;
		for (uint64_t g = a; !rc && g < e; g++) {
			uint64_t k = g / dpb - i;
			const uint8_t *d = buf + k * p->bs +
					   (g % dpb) * p->desc_size;
			struct ext_group gd;
			if (ok[k])
				ext_group_decode(p, d, &gd);
			else
				memset(&gd, 0, sizeof(gd));
			rc = fn(ctx, g, ok[k] ? &gd : NULL, ok[k] ? d : NULL);
		}
	}
	free(buf);
	return rc < 0 ? 0 : rc;
}

/* ---- where a group's bitmaps and table may lie --------------------------- */

/* Do len blocks from start lie inside [lo, hi]?  Overflow-safe: on-disk
 * locations are 64-bit and may be anything. */
static bool blocks_inside(uint64_t start, uint64_t len, uint64_t lo,
			  uint64_t hi)
{
	if (len == 0)
		len = 1;
	return start >= lo && start <= hi && len - 1 <= hi - start;
}

bool ext_group_misplaced(const struct ext_priv *p, uint64_t g,
			 const struct ext_group *d, bool itable_only,
			 char *why, size_t len)
{
	ext2_filsys fs = p->fs;
	/* ext2fs_group_first_block2 and _last_block2, inline: the pass
	 * asks every group */
	uint64_t lo = fs->super->s_first_data_block, hi = p->blocks_total - 1;
	if (!p->flex_bg) {
		uint64_t bpg = EXT2_BLOCKS_PER_GROUP(fs->super);
		lo += g * bpg;
		if (g + 1 < p->ngroups)
			hi = lo + bpg - 1;
	}
	const char *what = NULL;
	uint64_t at = 0;
	if (!itable_only && !blocks_inside(at = d->block_bitmap, 1, lo, hi))
		what = "block bitmap";
	else if (!itable_only &&
		 !blocks_inside(at = d->inode_bitmap, 1, lo, hi))
		what = "inode bitmap";
	else if (!blocks_inside(at = d->inode_table,
				fs->inode_blocks_per_group, lo, hi))
		what = "inode table";
	if (what && why)
		snprintf(why, len, "group %llu: %s at block %llu",
			 (unsigned long long)g, what, (unsigned long long)at);
	return what != NULL;
}

/* ---- inodes for libext2fs ------------------------------------------------ */

errcode_t ext_read_inode_hook(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode *inode)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	(void)fs, (void)ino, (void)inode;
	return EXT2_ET_CALLBACK_NOTHANDLED;    /* libext2fs swaps: let it */
#else
	struct ext_priv *p = fs->priv_data;
	if (!p)
		return EXT2_ET_CALLBACK_NOTHANDLED;
	uint32_t ipg = EXT2_INODES_PER_GROUP(fs->super);
	uint32_t isz = EXT2_INODE_SIZE(fs->super);
	if (ino == 0 || ino > fs->super->s_inodes_count || !ipg)
		return EXT2_ET_BAD_INODE_NUM;
	if (isz < sizeof(*inode) || isz > p->bs)
		return EXT2_ET_CORRUPT_SUPERBLOCK;
	uint64_t g = (ino - 1) / ipg;
	struct ext_group d;
	if (ext_group_get(p, g, &d))
		return EXT2_ET_GDESC_READ;
	/* a table outside the filesystem (or its group) is set aside, as
	 * one that is missing */
	if (!d.inode_table || ext_group_misplaced(p, g, &d, true, NULL, 0))
		return EXT2_ET_MISSING_INODE_TABLE;
	uint64_t off;
	if (!mul_ok(d.inode_table, p->bs, &off))
		return EXT2_ET_MISSING_INODE_TABLE;
	off += (uint64_t)((ino - 1) % ipg) * isz;
	/* the whole inode only when its checksum is to be verified */
	bool csum = !(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
		    ext2fs_has_feature_metadata_csum(fs->super);
	size_t want = csum ? isz : sizeof(*inode);
	_Alignas(8) uint8_t small[1024];
	uint8_t *buf = want <= sizeof(small) ? small : malloc(want);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	errcode_t e = 0;
	if (da_device_read(p->dev, buf, want, off, NULL) < 0)
		e = EXT2_ET_SHORT_READ;
	else {
		memcpy(inode, buf, sizeof(*inode));
		if (csum && !ext2fs_inode_csum_verify(
				    fs, ino, (struct ext2_inode_large *)buf))
			e = EXT2_ET_INODE_CSUM_INVALID;
	}
	if (buf != small)
		free(buf);
	return e;
#endif
}
