/* ext2/3/4: which blocks are in use, at a cost that does not grow with
 * the filesystem.
 *
 * Whole groups are counted from their descriptors' free counts (given
 * once, in the scan's pass over the descriptors, and summed every
 * USED_STEP groups); a part of a group from that group's block bitmap,
 * read when asked about and kept with a rank index for its counts.  An
 * uninitialised group's bitmap is what the kernel would make of it,
 * never read.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "ext.h"
#include "ext_layout.h"

#define USED_STEP 256              /* groups a used_before entry */

/* libext2fs's ext2fs_group_first_block2 and _last_block2 + 1, inline:
 * the pass and every map cell ask them */
static uint64_t group_first(const struct ext_priv *p, uint64_t g)
{
	return p->fs->super->s_first_data_block +
	       g * EXT2_BLOCKS_PER_GROUP(p->fs->super);
}

/* One past the group's last block (the last group may be short). */
static uint64_t group_end(const struct ext_priv *p, uint64_t g)
{
	return g + 1 >= p->ngroups ? p->blocks_total
				   : group_first(p, g + 1);
}

/* Group g's used blocks by its descriptor's free count (d NULL: read
 * it; an unreadable one counts as all used). */
static uint64_t used_by_desc(struct ext_priv *p, uint64_t g,
			     const struct ext_group *d)
{
	uint64_t blocks = group_end(p, g) - group_first(p, g);
	struct ext_group own;
	if (!d) {
		if (ext_group_get(p, g, &own))
			return blocks;
		d = &own;
	}
	uint64_t free_ = (uint64_t)d->free_blocks * EXT2FS_CLUSTER_RATIO(p->fs);
	return free_ < blocks ? blocks - free_ : 0;
}

static void count_drop(struct ext_priv *p);

int ext_used_init(struct ext_priv *p)
{
	uint64_t ng = p->ngroups;
	pthread_mutex_init(&p->bmap_lock, NULL);
	/* groups wholly on the device (a short image cuts the last ones) */
	uint64_t ok = ng;
	if (p->nblocks < ext2fs_blocks_count(p->fs->super)) {
		ok = 0;
		while (ok < ng && group_end(p, ok) <= p->nblocks)
			ok++;
	}
	p->groups_ok = ok;
	p->used_sum = 0;
	p->used_before = malloc((ok / USED_STEP + 1) * sizeof(uint64_t));
	if (!p->used_before)
		return -1;
	/* every group's used count (ext_count): a map cell over a large
	 * filesystem covers dozens of groups, and a frame sweeps hundreds
	 * of thousands, far more than the descriptor cache holds.  Without
	 * it (a count that does not fit, too many groups) the descriptors
	 * are read. */
	if (EXT2_BLOCKS_PER_GROUP(p->fs->super) <= UINT16_MAX &&
	    ok <= EXT_MAX_COUNTED_GROUPS)
		p->counts = calloc(ok / EXT_COUNT_BLOCK + 1,
				   sizeof(*p->counts));
	return 0;
}

/* Forget the counts (no memory for a block's own): the descriptors
 * answer instead. */
static void count_drop(struct ext_priv *p)
{
	if (p->counts)
		for (uint64_t b = 0; b <= p->groups_ok / EXT_COUNT_BLOCK; b++)
			free(p->counts[b].own);
	free(p->counts);
	p->counts = NULL;
}

/* Group g's used count is v (each group's given once, by the pass). */
static void count_set(struct ext_priv *p, uint64_t g, uint16_t v)
{
	struct ext_count_block *k = &p->counts[g / EXT_COUNT_BLOCK];
	unsigned i = (unsigned)(g % EXT_COUNT_BLOCK);
	if (k->own) {
		k->own[i] = v;
		return;
	}
	if (k->seen == 0 || v == k->c[0]) {
		k->c[0] = v;
		if (k->seen == 0)
			k->seen = 1;
		return;
	}
	if (k->seen == 1 || v == k->c[1]) {
		k->c[1] = v;
		k->seen = 2;
		k->mask |= (uint64_t)1 << i;
		return;
	}
	k->own = malloc(EXT_COUNT_BLOCK * sizeof(*k->own));
	if (!k->own) {
		count_drop(p);
		return;
	}
	for (unsigned j = 0; j < EXT_COUNT_BLOCK; j++)
		k->own[j] = k->c[k->mask >> j & 1];
	k->own[i] = v;
}

/* Group g's used count (counts kept, g < groups_ok). */
static uint16_t ext_count(const struct ext_priv *p, uint64_t g)
{
	const struct ext_count_block *k = &p->counts[g / EXT_COUNT_BLOCK];
	unsigned i = (unsigned)(g % EXT_COUNT_BLOCK);
	return k->own ? k->own[i] : k->c[k->mask >> i & 1];
}

void ext_used_group(struct ext_priv *p, uint64_t g, const struct ext_group *d)
{
	if (!p->used_before || g >= p->groups_ok)
		return;
	if (g % USED_STEP == 0)
		p->used_before[g / USED_STEP] = p->used_sum;
	uint64_t used = used_by_desc(p, g, d ? d : &(struct ext_group){
		.free_blocks = 0 });
	p->used_sum += used;
	if (p->counts)
		count_set(p, g, (uint16_t)used);
	if (g + 1 == p->groups_ok && p->groups_ok % USED_STEP == 0)
		p->used_before[p->groups_ok / USED_STEP] = p->used_sum;
}

void ext_used_ready(struct ext_priv *p)
{
	p->used_ready = p->used_before != NULL;
}

static const uint64_t *used_prefix(struct ext_priv *p)
{
	return p->used_before;
}

void ext_used_free(struct ext_priv *p)
{
	for (int i = 0; i < EXT_BMAP_SLOTS; i++)
		free(p->bmap[i].bits);
	free(p->used_before);
	p->used_before = NULL;
	count_drop(p);
	pthread_mutex_destroy(&p->bmap_lock);
}

static void set_bits(uint8_t *bits, uint64_t nbits, uint64_t from,
		     uint64_t to)
{
	for (uint64_t i = from; i < to && i < nbits; i++)
		bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Group g's bitmaps' and table's locations and its BLOCK_UNINIT flag
 * (nothing else of d): by the regular layout's arithmetic and the
 * pass's bit where they hold, else from the descriptor.  0 or an
 * errno. */
static int group_places(struct ext_priv *p, uint64_t g, struct ext_group *d)
{
	if (!p->block_uninit || !p->model || !p->regular)
		return ext_group_get(p, g, d);
	memset(d, 0, sizeof(*d));
	d->block_bitmap = item_loc(p, K_BB, g);
	d->inode_bitmap = item_loc(p, K_IB, g);
	d->inode_table = item_loc(p, K_IT, g);
	if (p->block_uninit[g / 64] >> (g % 64) & 1)
		d->flags = EXT2_BG_BLOCK_UNINIT;
	return 0;
}

/* What the kernel makes of a BLOCK_UNINIT group's bitmap: its superblock
 * and descriptors, and its own bitmaps and table where they lie in it. */
static void uninit_bitmap(struct ext_priv *p, uint64_t g, uint8_t *bits)
{
	uint64_t gs = group_first(p, g), ge = group_end(p, g);
	unsigned cb = p->fs->cluster_ratio_bits;
	uint64_t nbits = (uint64_t)p->bs * 8;
	memset(bits, 0, p->bs);
	struct ext_group d;
	if (group_places(p, g, &d))
		return;
	struct sbgd s;
	ext_group_sbgd(p, g, &s);
	for (int i = 0; i < s.n; i++) {
		uint64_t a = s.start[i], e = s.start[i] + s.len[i];
		if (a < gs)
			a = gs;
		if (e > ge)
			e = ge;
		if (e > a)
			set_bits(bits, nbits, (a - gs) >> cb,
				 ((e - gs - 1) >> cb) + 1);
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t a = desc_loc(&d, k), e = a + item_len(p, k);
		if (a < gs || a >= ge)
			continue;
		if (e > ge || e < a)
			e = ge;
		set_bits(bits, nbits, (a - gs) >> cb, ((e - gs - 1) >> cb) + 1);
	}
}

/* Without -mpopcnt, __builtin_popcountll is a library call. */
static inline uint64_t popcount64(uint64_t w)
{
	w -= (w >> 1) & 0x5555555555555555ull;
	w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (w * 0x0101010101010101ull) >> 56;
}

#define RANK_BITS 512               /* bits a rank entry */

/* The set bits before every RANK_BITS of a bitmap (after the bitmap in
 * its slot): a cell's count then costs at most two times eight words,
 * not a word for every 64 blocks it covers. */
static uint32_t *slot_rank(const struct ext_priv *p, uint8_t *bits)
{
	return (uint32_t *)(void *)(bits + p->bs);
}

static void make_rank(const struct ext_priv *p, uint8_t *bits)
{
	uint32_t *rank = slot_rank(p, bits), r = 0;
	uint64_t nbits = (uint64_t)p->bs * 8;
	for (uint64_t k = 0; k * RANK_BITS <= nbits; k++) {
		rank[k] = r;
		for (uint64_t w = k * RANK_BITS / 64;
		     w < (k + 1) * RANK_BITS / 64 && w < nbits / 64; w++)
			r += (uint32_t)popcount64(le64(bits + w * 8));
	}
}

/* Set bits in [0, x) (x at most the bitmap's bits). */
static uint64_t rank_at(const struct ext_priv *p, const uint8_t *bits,
			uint64_t x)
{
	const uint32_t *rank = slot_rank(p, (uint8_t *)bits);
	uint64_t r = rank[x / RANK_BITS];
	for (uint64_t w = x / RANK_BITS * (RANK_BITS / 64); w < x / 64; w++)
		r += popcount64(le64(bits + w * 8));
	if (x % 64)
		r += popcount64(le64(bits + x / 64 * 8) &
				((UINT64_C(1) << (x % 64)) - 1));
	return r;
}

/* Group g's bitmap, read or made once; NULL when it cannot be (the
 * group then counts as used).  Under bmap_lock. */
static const uint8_t *group_bitmap(struct ext_priv *p, uint64_t g)
{
	struct ext_bmap_slot *s = &p->bmap[g % EXT_BMAP_SLOTS];
	if (s->state && s->group != g)
		s->state = 0;
	if (!s->state) {
		s->group = g;
		s->state = 2;
		if (!s->bits)
			s->bits = malloc(p->bs + ((uint64_t)p->bs * 8 /
						  RANK_BITS + 1) *
						 sizeof(uint32_t));
		struct ext_group d;
		if (s->bits && group_places(p, g, &d) == 0) {
			uint64_t loc = d.block_bitmap, off;
			if (ext2fs_has_group_desc_csum(p->fs) &&
			    (d.flags & EXT2_BG_BLOCK_UNINIT)) {
				uninit_bitmap(p, g, s->bits);
				s->state = 1;
			} else if (loc && loc < p->nblocks &&
				   mul_ok(loc, p->bs, &off) &&
				   da_device_read(p->dev, s->bits, p->bs, off,
						  NULL) == 0) {
				s->state = 1;
			}
		}
		if (s->state == 1)
			make_rank(p, s->bits);
	}
	return s->state == 1 ? s->bits : NULL;
}

/* BLOCK_UNINIT group g's used ranges (descriptor d): what
 * uninit_bitmap marks, as sorted disjoint ranges inside the group
 * (without bigalloc), so that a map cell over a lazily initialised
 * filesystem makes no bitmap.  The last group's are kept per thread:
 * describing a cell asks its blocks one by one. */
#define UNINIT_RANGES (4 + NKINDS)
static __thread struct {
	uint64_t id, g;
	int n;
	uint64_t lo[UNINIT_RANGES], hi[UNINIT_RANGES];
} tls_uninit;

static uint64_t uninit_used(const struct ext_priv *p, uint64_t g,
			    const struct ext_group *d, uint64_t a, uint64_t e)
{
	if (tls_uninit.id != p->id || tls_uninit.g != g) {
		uint64_t gs = group_first(p, g), ge = group_end(p, g);
		uint64_t *lo = tls_uninit.lo, *hi = tls_uninit.hi;
		int n = 0;
		struct sbgd s;
		ext_group_sbgd(p, g, &s);
		for (int i = 0; i < s.n + NKINDS; i++) {
			uint64_t x, y;
			if (i < s.n) {
				x = s.start[i];
				y = s.start[i] + s.len[i];
			} else {
				int k = i - s.n;
				x = desc_loc(d, k);
				y = x + item_len(p, k);
				if (x < gs || x >= ge)
					continue;
				if (y > ge || y < x)
					y = ge;
			}
			if (x < gs)
				x = gs;
			if (y > ge)
				y = ge;
			if (x >= y)
				continue;
			/* by start, merged: a handful of ranges */
			int j = n++;
			while (j > 0 && lo[j - 1] > x) {
				lo[j] = lo[j - 1];
				hi[j] = hi[j - 1];
				j--;
			}
			lo[j] = x;
			hi[j] = y;
		}
		int m = 0;
		for (int i = 0; i < n; i++) {
			if (m && lo[i] <= hi[m - 1]) {
				if (hi[i] > hi[m - 1])
					hi[m - 1] = hi[i];
				continue;
			}
			lo[m] = lo[i];
			hi[m++] = hi[i];
		}
		tls_uninit.n = m;
		tls_uninit.id = p->id;
		tls_uninit.g = g;
	}
	uint64_t used = 0;
	for (int i = 0; i < tls_uninit.n; i++) {
		uint64_t x = tls_uninit.lo[i] > a ? tls_uninit.lo[i] : a;
		uint64_t y = tls_uninit.hi[i] < e ? tls_uninit.hi[i] : e;
		if (y > x)
			used += y - x;
	}
	return used;
}

/* Used blocks in [a, e) of group g (both inside it). */
static uint64_t group_used(struct ext_priv *p, uint64_t g, uint64_t a,
			   uint64_t e)
{
	uint64_t gs = group_first(p, g);
	unsigned cb = p->fs->cluster_ratio_bits;
	uint64_t nbits = (uint64_t)p->bs * 8, used = 0;
	struct ext_group d;
	if (cb == 0 && ext2fs_has_group_desc_csum(p->fs) &&
	    group_places(p, g, &d) == 0 && (d.flags & EXT2_BG_BLOCK_UNINIT))
		return uninit_used(p, g, &d, a, e);
	/* a group whose descriptor counts as many used blocks as it holds
	 * metadata (an empty filesystem's flex groups' first groups, where
	 * every bitmap and inode table lies) uses exactly those, since
	 * metadata is always marked: no bitmap for the map's coarse cells.
	 * The descriptor is trusted as it is for whole groups. */
	if (cb == 0 && p->counts && g < p->groups_ok) {
		uint64_t gs = group_first(p, g), ge = group_end(p, g);
		uint16_t counted = ext_count(p, g);
		if (counted == ge - gs)
			return e - a;
		if (counted == ext_meta_count(p, gs, ge))
			return ext_meta_count(p, a, e);
	}
	pthread_mutex_lock(&p->bmap_lock);
	const uint8_t *bits = group_bitmap(p, g);
	if (!bits) {
		used = e - a;
	} else if (cb == 0) {
		uint64_t i = a - gs, end = e - gs;
		if (end > nbits) {
			used += end - (i > nbits ? i : nbits);
			end = i > nbits ? i : nbits;
		}
		/* a map cell asks a few blocks or most of a group,
		 * thousands of times a frame: two ranks */
		if (i < end)
			used += rank_at(p, bits, end) - rank_at(p, bits, i);
	} else {
		for (uint64_t b = a; b < e; b++) {
			uint64_t c = (b - gs) >> cb;
			used += c >= nbits || (bits[c / 8] >> (c % 8) & 1);
		}
	}
	pthread_mutex_unlock(&p->bmap_lock);
	return used;
}

/* Used blocks of whole groups [g, h) (h at most groups_ok). */
static uint64_t groups_used(struct ext_priv *p, uint64_t g, uint64_t h)
{
	const bool counted = p->counts != NULL;
	const uint64_t *pre = used_prefix(p);
	uint64_t used = 0;
	while (g < h) {
		if (pre && g % USED_STEP == 0 && g + USED_STEP <= h) {
			used += pre[g / USED_STEP + 1] - pre[g / USED_STEP];
			g += USED_STEP;
			continue;
		}
		if (counted) {
			used += ext_count(p, g++);
			continue;
		}
		/* a cached chunk's descriptors at a time, under one lock */
		struct ext_group d[64];
		uint64_t n = h - g, step = USED_STEP - g % USED_STEP;
		if (n > step)
			n = step;
		size_t got = ext_group_get_many(p, g, n < 64 ? (size_t)n : 64,
						d);
		if (!got) {
			used += used_by_desc(p, g++, NULL);
			continue;
		}
		for (size_t i = 0; i < got; i++)
			used += used_by_desc(p, g + i, &d[i]);
		g += got;
	}
	return used;
}

/* Used blocks of [b0, b1), group by group: runs of whole groups by
 * their descriptors' counts (by_desc), else each group by its bitmap, as
 * ext_used_test sees blocks one at a time (a damaged bitmap may not
 * match its descriptor's count).  A group of one block is asked of its
 * descriptor either way. */
uint64_t ext_used_walk(struct ext_priv *p, uint64_t b0, uint64_t b1,
			  bool by_desc)
{
	uint64_t first = p->fs->super->s_first_data_block, used = 0;
	if (b1 > p->nblocks)
		b1 = p->nblocks;
	if (b0 < first) {
		/* the boot blocks before group 0 */
		uint64_t e = b1 < first ? b1 : first;
		used += e > b0 ? e - b0 : 0;
		b0 = first;
	}
	uint64_t bpg = EXT2_BLOCKS_PER_GROUP(p->fs->super);
	if (!bpg)
		return used;
	while (b0 < b1) {
		uint64_t g = (b0 - first) / bpg;
		if (g >= p->ngroups)
			break;
		uint64_t gs = group_first(p, g), ge = group_end(p, g);
		if (b0 == gs && g < p->groups_ok && ge <= b1 &&
		    (by_desc || ge == gs + 1)) {
			/* whole groups [g, h): by the descriptors */
			uint64_t h = g + 1;
			if (by_desc) {
				h = (b1 - first) / bpg;
				if (h < p->ngroups && group_end(p, h) <= b1)
					h++;       /* the last group, short */
				if (h > p->groups_ok)
					h = p->groups_ok;
			}
			used += groups_used(p, g, h);
			if (h >= p->ngroups)
				break;
			b0 = group_first(p, h);
			continue;
		}
		uint64_t e = b1 < ge ? b1 : ge;
		used += group_used(p, g, b0, e);
		b0 = e;
	}
	return used;
}

uint64_t ext_used_count(struct ext_priv *p, uint64_t b0, uint64_t b1)
{
	return ext_used_walk(p, b0, b1, true);
}

bool ext_used_test(struct ext_priv *p, uint64_t b)
{
	return b < p->nblocks && ext_used_count(p, b, b + 1) > 0;
}
