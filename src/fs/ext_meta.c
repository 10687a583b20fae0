/* ext2/3/4: where the metadata lies and which blocks are in use, at a
 * cost that does not grow with the filesystem.
 *
 * Superblocks and descriptors lie in a few groups (0, 1 and the powers of
 * 3, 5 and 7 with sparse_super): a small table.  The bitmaps and inode
 * tables are every group's, so they are not tabled: mke2fs puts those of
 * a flex group one after the other (group h's at the first group's plus
 * h - first items), and the flex groups' runs in block order, so a
 * block's group is one binary search over the flex groups' first
 * descriptors, which libext2fs holds.  The scan checks that model once
 * per group (and that nothing overlaps, which is what e2fsck's first
 * check asks); a filesystem that does not follow it (resized, damaged)
 * gets the whole table instead, as before.
 *
 * Used blocks come from the descriptors' free counts for whole groups
 * (summed every 256 groups) and from a group's block bitmap, read when a
 * part of that group is asked about; an uninitialised group's bitmap is
 * what the kernel would make of it, never read.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>

#include "../fileindex.h"
#include "../util.h"
#include "ext.h"

#define USED_STEP 256              /* groups a used_before entry */

/* ---- superblocks and descriptors ------------------------------------ */

static uint64_t ngroups(const struct ext_priv *p)
{
	return p->ngroups;
}

/* The smallest power of base at or above g (UINT64_MAX past it). */
static uint64_t next_pow(uint64_t g, uint64_t base)
{
	uint64_t v = 1;
	while (v < g) {
		if (v > UINT64_MAX / base)
			return UINT64_MAX;
		v *= base;
	}
	return v;
}

/* The first group at or after g that may hold a superblock (a guess that
 * the caller checks: it is never past the true one). */
static uint64_t next_super_guess(const struct ext_priv *p, uint64_t g)
{
	struct ext2_super_block *sb = p->fs->super;
	if (g == 0)
		return 0;
	if (ext2fs_has_feature_sparse_super2(sb)) {
		uint64_t best = UINT64_MAX;
		for (int i = 0; i < 2; i++)
			if (sb->s_backup_bgs[i] >= g && sb->s_backup_bgs[i] < best)
				best = sb->s_backup_bgs[i];
		return best;
	}
	if (!ext2fs_has_feature_sparse_super(sb) || g <= 1)
		return g;
	uint64_t best = next_pow(g, 3), v = next_pow(g, 5);
	if (v < best)
		best = v;
	v = next_pow(g, 7);
	return v < best ? v : best;
}

/* The first group at or after g whose descriptors meta_bg places in it. */
static uint64_t next_meta_desc(const struct ext_priv *p, uint64_t g)
{
	struct ext2_super_block *sb = p->fs->super;
	if (!ext2fs_has_feature_meta_bg(sb))
		return UINT64_MAX;
	uint64_t dpb = EXT2_DESC_PER_BLOCK(sb);
	if (dpb < 2)
		return g;
	uint64_t first = (uint64_t)sb->s_first_meta_bg * dpb;
	if (g < first)
		g = first;
	uint64_t r = g % dpb;
	return r <= 1 ? g : g - r + dpb - 1;
}

struct sbgd {
	int n;
	uint64_t start[4], len[4];
	const char *role[4];
	uint32_t ino[4];
};

static void sbgd_add(struct sbgd *s, uint64_t start, uint64_t len,
		     const char *role, uint32_t ino)
{
	if (len == 0 || s->n >= 4)
		return;
	s->start[s->n] = start;
	s->len[s->n] = len;
	s->role[s->n] = role;
	s->ino[s->n++] = ino;
}

/* Group g's superblock copy, descriptors and reserved descriptor
 * blocks (which the resize inode, 7, owns). */
static void group_sbgd(const struct ext_priv *p, uint64_t g, struct sbgd *s)
{
	ext2_filsys fs = p->fs;
	blk64_t super = 0, old_desc = 0, new_desc = 0;
	blk_t used = 0;
	s->n = 0;
	ext2fs_super_and_bgd_loc2(fs, (dgrp_t)g, &super, &old_desc, &new_desc,
				  &used);
	/* group 0's is at byte 1024: libext2fs says block 1 for 1 KiB
	 * blocks even with bigalloc, where the group starts at block 0 */
	if (g == 0 || super)
		sbgd_add(s, super ? super : fs->super->s_first_data_block, 1,
			 "superblock", 0);
	if (old_desc) {
		sbgd_add(s, old_desc, fs->desc_blocks, "group_descriptors", 0);
		sbgd_add(s, old_desc + fs->desc_blocks,
			 fs->super->s_reserved_gdt_blocks, "reserved_gdt",
			 EXT2_RESIZE_INO);
	}
	if (new_desc)
		sbgd_add(s, new_desc, 1, "group_descriptors", 0);
}

/* The first group at or after g with a superblock or descriptors, or
 * the group count. */
static uint64_t next_sbgd_group(const struct ext_priv *p, uint64_t g)
{
	uint64_t ng = ngroups(p);
	while (g < ng) {
		uint64_t a = next_super_guess(p, g), b = next_meta_desc(p, g);
		uint64_t h = a < b ? a : b;
		if (h >= ng)
			return ng;
		struct sbgd s;
		group_sbgd(p, h, &s);
		if (s.n)
			return h;
		g = h + 1;
	}
	return ng;
}

/* ---- the layout model ------------------------------------------------ */

enum { K_BB, K_IB, K_IT, NKINDS };
static const char *const kind_role[NKINDS] = { "block_bitmap",
					       "inode_bitmap", "inode_table" };

static uint64_t desc_loc(const struct ext_group *d, int k)
{
	return k == K_BB ? d->block_bitmap
	       : k == K_IB ? d->inode_bitmap : d->inode_table;
}

/* Where flex group f's run of kind k starts, by arithmetic, when the
 * model holds and the layout is regular. */
static uint64_t regular_start(const struct ext_priv *p, int k, uint64_t f)
{
	if (f == 0)
		return p->first_loc[k];
	if (f + 1 == p->nflex)
		return p->last_loc[k];
	return p->fs->super->s_first_data_block + f * p->flex_blocks +
	       p->reg_off[k];
}

static uint64_t item_len(const struct ext_priv *p, int k);

/* 0 when the descriptor cannot be read (no item lies at block 0);
 * without reading it where the layout is regular */
static uint64_t item_loc(const struct ext_priv *p, int k, uint64_t g)
{
	if (p->model && p->regular) {
		/* a flex group is a power of two groups (else the one) */
		uint64_t f = g >> p->flex_shift, h = g & (p->flex - 1);
		if (p->flex & (p->flex - 1)) {
			f = g / p->flex;
			h = g % p->flex;
		}
		return regular_start(p, k, f) +
		       h * (k == K_IT ? p->fs->inode_blocks_per_group : 1);
	}
	struct ext_group d;
	if (ext_group_get((struct ext_priv *)p, g, &d))
		return 0;
	return desc_loc(&d, k);
}

static uint64_t item_len(const struct ext_priv *p, int k)
{
	return k == K_IT ? p->fs->inode_blocks_per_group : 1;
}

/* Flex group f's run of kind k: [*start, *start + *len). */
static void flex_run(const struct ext_priv *p, int k, uint64_t f,
		     uint64_t *start, uint64_t *len)
{
	uint64_t g0 = f * p->flex, n = ngroups(p) - g0;
	if (n > p->flex)
		n = p->flex;
	*start = item_loc(p, k, g0);
	*len = n * item_len(p, k);
}

/* The last flex group whose run of kind k starts at or before b, or
 * UINT64_MAX. */
static uint64_t flex_at(const struct ext_priv *p, int k, uint64_t b)
{
	uint64_t lo = 0, hi = p->nflex;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (item_loc(p, k, mid * p->flex) <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : UINT64_MAX;
}

/* The model, checked as the scan's pass hands over each group in
 * order: every group's items at its flex group's first plus (h - first)
 * items, each flex group's runs in block order and within the
 * filesystem, and apart from the table and from each other.  Runs that
 * all lie within 4 flex groups' blocks of their own flex group's start
 * (mke2fs's layout: local) can only meet those of the 4 flex groups
 * before, which the pass keeps; else ext_meta_build merges every run. */
void ext_model_begin(struct ext_priv *p)
{
	ext2_filsys fs = p->fs;
	uint64_t ng = ngroups(p);
	struct ext_model_scan *m = &p->mscan;
	memset(m, 0, sizeof(*m));
	m->ok = ng > 0 && fs->inode_blocks_per_group > 0 && !p->overflow;
	uint64_t F = 1;
	if (ext2fs_has_feature_flex_bg(fs->super)) {
		unsigned lg = fs->super->s_log_groups_per_flex;
		F = lg < 63 ? (uint64_t)1 << lg : ng;
		if (F > ng)
			F = ng;
	}
	if (F == 0)
		F = 1;
	p->flex = F;
	p->flex_shift = (unsigned)__builtin_ctzll(F);
	p->flex_blocks = F * EXT2_BLOCKS_PER_GROUP(fs->super);
	p->nflex = (ng + F - 1) / F;
	uint64_t fblocks = F * EXT2_BLOCKS_PER_GROUP(fs->super);
	p->local = fblocks > 0 && fblocks / F == EXT2_BLOCKS_PER_GROUP(fs->super);
	p->reach = 0;
	p->regular = p->local;
}

/* Does [s, e) meet a table run? */
static bool meets_table(const struct ext_priv *p, uint64_t s, uint64_t e)
{
	size_t at;
	if (ext_find_run(p->meta, p->nmeta, s, &at))
		return true;
	return at < p->nmeta && p->meta[at].start < e;
}

/* The new flex group's runs against each other, the table, and the
 * runs of the flex groups before it that are kept. */
static void model_window(struct ext_priv *p, const uint64_t *st,
			 const uint64_t *en)
{
	struct ext_model_scan *m = &p->mscan;
	for (int k = 0; k < NKINDS && m->ok; k++) {
		if (meets_table(p, st[k], en[k]))
			m->ok = false;
		for (int j = 0; j < k; j++)
			if (st[k] < en[j] && st[j] < en[k])
				m->ok = false;
		for (int r = 0; r < m->nring; r++)
			for (int j = 0; j < NKINDS; j++)
				if (st[k] < m->ring_e[r][j] &&
				    m->ring_s[r][j] < en[k])
					m->ok = false;
	}
	int r = m->ring_at;
	memcpy(m->ring_s[r], st, sizeof(m->ring_s[r]));
	memcpy(m->ring_e[r], en, sizeof(m->ring_e[r]));
	m->ring_at = (r + 1) % 4;
	if (m->nring < 4)
		m->nring++;
}

void ext_model_group(struct ext_priv *p, uint64_t g, const struct ext_group *d)
{
	struct ext_model_scan *m = &p->mscan;
	if (!m->ok)
		return;
	if (!d) {
		m->ok = false;
		return;
	}
	uint64_t F = p->flex, f = g / F, h = g % F;
	uint64_t fblocks = F * EXT2_BLOCKS_PER_GROUP(p->fs->super);
	uint64_t base = p->fs->super->s_first_data_block + f * fblocks;
	for (int k = 0; k < NKINDS; k++) {
		uint64_t loc = desc_loc(d, k), sz = item_len(p, k);
		if (h) {
			if (loc != m->first[k] + h * sz)
				m->ok = false;
			continue;
		}
		uint64_t n = ngroups(p) - g, end;
		if (n > F)
			n = F;
		if (loc == 0 || loc < m->prev_end[k] ||
		    __builtin_add_overflow(loc, n * sz, &end) ||
		    end > p->nblocks) {
			m->ok = false;
			return;
		}
		if (loc < base || end - base > 4 * fblocks)
			p->local = false;
		else if (end - base > p->reach)
			p->reach = end - base;
		m->first[k] = loc;
		m->prev_end[k] = end;
		/* regular: every flex group but the first and the last has
		 * its runs at one offset from its start */
		if (f == 0)
			p->first_loc[k] = loc;
		if (f + 1 == p->nflex)
			p->last_loc[k] = loc;
		else if (f == 1 && loc >= base)
			p->reg_off[k] = loc - base;
		else if (f >= 1 && loc != base + p->reg_off[k])
			p->regular = false;
	}
	if (!h && p->local)
		model_window(p, m->first, m->prev_end);
}

/* No run overlaps another, nor the table (superblocks, descriptors, the
 * journal): a merge of the four sorted streams. */
static bool model_disjoint(struct ext_priv *p)
{
	uint64_t cur[NKINDS] = { 0 }, t = 0, maxend = 0;
	for (;;) {
		int best = -1;
		uint64_t bs = UINT64_MAX, bl = 0;
		for (int k = 0; k < NKINDS; k++) {
			if (cur[k] >= p->nflex)
				continue;
			uint64_t s, l;
			flex_run(p, k, cur[k], &s, &l);
			if (s < bs) {
				bs = s;
				bl = l;
				best = k;
			}
		}
		if (t < p->nmeta && p->meta[t].start < bs) {
			bs = p->meta[t].start;
			bl = p->meta[t].len;
			best = NKINDS;
		}
		if (best < 0)
			break;
		if (bs < maxend)
			return false;
		maxend = bs + bl;
		if (best == NKINDS)
			t++;
		else
			cur[best]++;
	}
	return true;
}

/* ---- the table ------------------------------------------------------- */

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static bool group_item(const char *role)
{
	for (int k = 0; k < NKINDS; k++)
		if (role == kind_role[k])
			return true;
	return false;
}

static bool group_meta(const char *role)
{
	return group_item(role) || !strcmp(role, "superblock") ||
	       !strcmp(role, "group_descriptors");
}

/* e2fsck's words for a group's bitmap or table that lands on metadata */
static errcode_t overlap_code(const char *role)
{
	if (role == kind_role[K_BB])
		return EXT2_ET_GDESC_BAD_BLOCK_MAP;
	if (role == kind_role[K_IB])
		return EXT2_ET_GDESC_BAD_INODE_MAP;
	return EXT2_ET_GDESC_BAD_INODE_TABLE;
}

/* Sort, cut overlaps (a later run loses what an earlier one holds),
 * prefix sums.  The first overlap between groups' own metadata is
 * returned as e2fsck's error code (0: none). */
static errcode_t table_finish(struct ext_priv *p)
{
	errcode_t code = 0;
	if (p->nmeta > 1)
		da_sort(p->meta, p->nmeta, sizeof(*p->meta), cmp_run);
	size_t k = 0;
	uint64_t end = 0;
	const char *end_role = NULL;
	for (size_t i = 0; i < p->nmeta; i++) {
		struct run r = p->meta[i];
		if (r.start < end) {
			if (!code && group_meta(r.role) && end_role &&
			    group_meta(end_role) &&
			    (group_item(r.role) || group_item(end_role)))
				code = overlap_code(group_item(r.role)
							    ? r.role : end_role);
			if (r.start + r.len <= end)
				continue;
			r.len -= (uint32_t)(end - r.start);
			r.start = end;
		}
		p->meta[k++] = r;
		end = r.start + r.len;
		end_role = r.role;
	}
	p->nmeta = k;
	free(p->meta_before);
	p->meta_before = malloc((k + 1) * sizeof(*p->meta_before));
	if (p->meta_before) {
		uint64_t sum = 0;
		for (size_t i = 0; i < k; i++) {
			p->meta_before[i] = sum;
			sum += p->meta[i].len;
		}
		p->meta_before[k] = sum;
	}
	return code;
}

static int add_items(void *ctx, uint64_t g, const struct ext_group *d,
		     const uint8_t *raw)
{
	(void)g, (void)raw;
	struct ext_priv *p = ctx;
	for (int k = 0; d && k < NKINDS; k++)
		ext_add_meta(p, desc_loc(d, k), item_len(p, k), kind_role[k],
			     0);
	return p->overflow;
}

/* The table: the boot blocks, every superblock and descriptor copy, the
 * resize inode's and the journal's blocks, and with items every group's
 * bitmaps and inode table. */
static void table_build(struct ext_priv *p, bool items)
{
	ext2_filsys fs = p->fs;
	struct ext2_super_block *sb = fs->super;
	free(p->meta);
	p->meta = NULL;
	p->nmeta = p->capmeta = 0;
	if (sb->s_first_data_block > 0)
		ext_add_meta(p, 0, sb->s_first_data_block, "boot", 0);
	for (uint64_t g = next_sbgd_group(p, 0); g < ngroups(p);
	     g = next_sbgd_group(p, g + 1)) {
		struct sbgd s;
		group_sbgd(p, g, &s);
		for (int i = 0; i < s.n; i++)
			ext_add_meta(p, s.start[i], s.len[i], s.role[i],
				     s.ino[i]);
	}
	if (items)
		ext_groups_each(p, 0, ngroups(p), add_items, p);
	/* the resize inode (7) owns the reserved GDT blocks (above) through
	 * a doubly indirect block of its own */
	struct ext2_inode ri;
	if ((sb->s_feature_compat & EXT2_FEATURE_COMPAT_RESIZE_INODE) &&
	    !ext2fs_read_inode(fs, EXT2_RESIZE_INO, &ri) &&
	    ri.i_block[EXT2_DIND_BLOCK])
		ext_add_meta(p, ri.i_block[EXT2_DIND_BLOCK], 1, "resize_inode",
			     EXT2_RESIZE_INO);
	ext_add_journal(p);
}

void ext_meta_table(struct ext_priv *p)
{
	table_build(p, false);
	table_finish(p);
}

void ext_meta_build(struct ext_priv *p, struct da_node *n, bool warn)
{
	/* the pass checked every run against its neighbours and the
	 * table; that is all when every run lies near its flex group */
	p->model = !p->overflow && p->mscan.ok &&
		   (p->local || model_disjoint(p));
	da_trace("ext: metadata by %s (%llu groups, %llu a flex group, "
		 "%zu table runs)", p->model ? "arithmetic" : "table",
		 (unsigned long long)ngroups(p), (unsigned long long)p->flex,
		 p->nmeta);
	if (p->model)
		return;
	table_build(p, true);
	errcode_t code = table_finish(p);
	if (code && warn)
		da_warn(n, "group descriptors: %s", error_message(code));
}

const struct run *ext_find_run(const struct run *v, size_t n, uint64_t b,
			       size_t *at)
{
	/* the table has no overlaps: the last run starting at or before b
	 * is the only one that may hold it */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].start <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && b - v[lo - 1].start < v[lo - 1].len) {
		if (at)
			*at = lo - 1;
		return &v[lo - 1];
	}
	if (at)
		*at = lo;
	return NULL;
}

bool ext_meta_at(const struct ext_priv *p, uint64_t b,
		 struct ext_meta_hit *out)
{
	out->group = UINT64_MAX;
	out->ino = 0;
	const struct run *r = ext_find_run(p->meta, p->nmeta, b, NULL);
	if (r) {
		out->role = r->role;
		out->ino = r->ino;
		return true;
	}
	if (!p->model)
		return false;
	uint64_t first = p->fs->super->s_first_data_block;
	if (p->local && b >= first) {
		/* the flex groups whose first block lies within reach
		 * below b: one, or two where a run spills over */
		uint64_t fblocks = p->flex * EXT2_BLOCKS_PER_GROUP(p->fs->super);
		uint64_t rel = b - first;
		uint64_t hi = rel / fblocks;
		uint64_t lo = rel >= p->reach ? (rel - p->reach) / fblocks : 0;
		if (hi >= p->nflex)
			hi = p->nflex - 1;
		for (uint64_t f = lo; f <= hi; f++)
			for (int k = 0; k < NKINDS; k++) {
				uint64_t s, l;
				flex_run(p, k, f, &s, &l);
				if (b < s || b - s >= l)
					continue;
				out->role = kind_role[k];
				out->group = f * p->flex + (b - s) / item_len(p, k);
				return true;
			}
		return false;
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t f = flex_at(p, k, b);
		if (f == UINT64_MAX)
			continue;
		uint64_t s, l;
		flex_run(p, k, f, &s, &l);
		if (b - s >= l)
			continue;
		out->role = kind_role[k];
		out->group = f * p->flex + (b - s) / item_len(p, k);
		return true;
	}
	return false;
}

/* table blocks in [0, b) */
static uint64_t table_below(const struct ext_priv *p, uint64_t b)
{
	if (!p->meta_before || p->nmeta == 0)
		return 0;
	size_t at;
	const struct run *r = ext_find_run(p->meta, p->nmeta, b, &at);
	if (r)
		return p->meta_before[at] + (b - r->start);
	return p->meta_before[at];
}

uint64_t ext_meta_count(const struct ext_priv *p, uint64_t b0, uint64_t b1)
{
	if (b1 <= b0)
		return 0;
	uint64_t sum = table_below(p, b1) - table_below(p, b0);
	if (!p->model)
		return sum;
	/* the first flex group whose runs may reach into [b0, b1) */
	uint64_t local_first = 0;
	uint64_t first = p->fs->super->s_first_data_block;
	if (p->local && b0 >= first) {
		uint64_t fblocks = p->flex * EXT2_BLOCKS_PER_GROUP(p->fs->super);
		uint64_t rel = b0 - first;
		local_first = rel >= p->reach ? (rel - p->reach) / fblocks : 0;
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t f = local_first;
		if (!p->local) {
			f = flex_at(p, k, b0);
			if (f == UINT64_MAX)
				f = 0;
		}
		for (; f < p->nflex; f++) {
			uint64_t s, l;
			flex_run(p, k, f, &s, &l);
			if (s >= b1)
				break;
			uint64_t a = s > b0 ? s : b0;
			uint64_t e = s + l < b1 ? s + l : b1;
			if (e > a)
				sum += e - a;
		}
	}
	return sum;
}

int ext_meta_crosscheck(const struct ext_priv *p, uint64_t samples, char *why,
			size_t len)
{
	/* the whole table, made the old way, in a copy */
	struct ext_priv q = *p;
	q.meta = NULL;
	q.meta_before = NULL;
	q.nmeta = q.capmeta = 0;
	q.overflow = false;
	table_build(&q, true);
	table_finish(&q);
	int rc = 0;
	if (q.overflow || !q.meta_before) {
		snprintf(why, len, "the whole table cannot be made");
		rc = -1;
	}
	/* the model both ways: near each flex group's start, and by the
	 * binary search that a layout off mke2fs's would use */
	struct ext_priv far = *p;
	far.local = false;
	uint64_t step = p->nblocks / (samples ? samples : 1) + 1;
	for (uint64_t i = 0; !rc && i < 2 * p->nblocks; i += step) {
		uint64_t b = i % p->nblocks;
		struct ext_meta_hit h;
		const struct ext_priv *m = i < p->nblocks ? p : &far;
		bool got = ext_meta_at(m, b, &h);
		const struct run *r = ext_find_run(q.meta, q.nmeta, b, NULL);
		if (got != (r != NULL) ||
		    (got && (strcmp(h.role, r->role) || h.ino != r->ino))) {
			snprintf(why, len, "block %llu: %s, the table says %s",
				 (unsigned long long)b, got ? h.role : "none",
				 r ? r->role : "none");
			rc = -1;
		} else if (ext_meta_count(m, 0, b) != table_below(&q, b) ||
			   ext_meta_count(m, b, p->nblocks) !=
				   table_below(&q, p->nblocks) -
					   table_below(&q, b)) {
			snprintf(why, len, "metadata below block %llu: %llu, "
				 "the table says %llu", (unsigned long long)b,
				 (unsigned long long)ext_meta_count(m, 0, b),
				 (unsigned long long)table_below(&q, b));
			rc = -1;
		}
	}
	free(q.meta);
	free(q.meta_before);
	return rc;
}

/* ---- used blocks ------------------------------------------------------ */

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
	uint64_t ng = ngroups(p);
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
	group_sbgd(p, g, &s);
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
		group_sbgd(p, g, &s);
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
static uint64_t used_walk(struct ext_priv *p, uint64_t b0, uint64_t b1,
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
		if (g >= ngroups(p))
			break;
		uint64_t gs = group_first(p, g), ge = group_end(p, g);
		if (b0 == gs && g < p->groups_ok && ge <= b1 &&
		    (by_desc || ge == gs + 1)) {
			/* whole groups [g, h): by the descriptors */
			uint64_t h = g + 1;
			if (by_desc) {
				h = (b1 - first) / bpg;
				if (h < ngroups(p) && group_end(p, h) <= b1)
					h++;       /* the last group, short */
				if (h > p->groups_ok)
					h = p->groups_ok;
			}
			used += groups_used(p, g, h);
			if (h >= ngroups(p))
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
	return used_walk(p, b0, b1, true);
}

bool ext_used_test(struct ext_priv *p, uint64_t b)
{
	return b < p->nblocks && ext_used_count(p, b, b + 1) > 0;
}

/* ---- the roles of a range ------------------------------------------- */

#define ROLES_STEPS (UINT64_C(1) << 22)    /* runs a range may walk */

struct roles_walk {
	struct ext_priv *p;
	const struct da_fileindex *x;
	struct da_role_bytes *out;
	int n, max;
	bool failed;
	uint64_t at;               /* bytes before it are answered */
	uint64_t steps;
};

static void put(struct roles_walk *w, const char *role, uint64_t bytes)
{
	if (!da_role_bytes_add(w->out, &w->n, w->max, role, bytes))
		w->failed = true;
}

/* Bytes [a, e) that neither metadata nor a file holds: used or free as
 * the bitmap says, the first block's first (the order they come in). */
static void gap(struct roles_walk *w, uint64_t a, uint64_t e)
{
	struct ext_priv *p = w->p;
	uint64_t bs = p->bs;
	while (a < e) {
		uint64_t b = a / bs, be = (b + 1) * bs;
		if (a % bs || e < be) {
			uint64_t x = e < be ? e : be;
			put(w, ext_used_test(p, b) ? "used" : "free", x - a);
			a = x;
			continue;
		}
		uint64_t b1 = e / bs, all = b1 - b;
		uint64_t used = used_walk(p, b, b1, false);
		if (used == all || (used && ext_used_test(p, b))) {
			put(w, "used", used * bs);
			put(w, "free", (all - used) * bs);
		} else {
			put(w, "free", (all - used) * bs);
			put(w, "used", used * bs);
		}
		a = b1 * bs;
	}
}

static int file_piece(void *ctx, uint64_t start, uint64_t len,
		      const char *role)
{
	struct roles_walk *w = ctx;
	gap(w, w->at, start);
	put(w, role, len);
	w->at = start + len;
	return w->failed;
}

/* Bytes [a, e) outside the metadata: the files' roles, the bitmap's
 * between them. */
static void files_and_gaps(struct roles_walk *w, uint64_t a, uint64_t e)
{
	if (a >= e || w->failed)
		return;
	w->at = a;
	if (w->x && da_fi_roles_in(w->x, a, e - a, ROLES_STEPS, file_piece,
				   w) < 0) {
		w->failed = true;
		return;
	}
	gap(w, w->at, e);
}

/* The metadata runs in block order: the table's and, with the layout
 * model, the flex groups' runs of each kind, merged. */
struct meta_walk {
	size_t t;                  /* the next table run */
	uint64_t f[NKINDS];        /* the next flex group of each kind */
};

static void meta_walk_init(const struct ext_priv *p, struct meta_walk *m,
			   uint64_t b0)
{
	ext_find_run(p->meta, p->nmeta, b0, &m->t);
	uint64_t first = p->fs->super->s_first_data_block, local_first = 0;
	if (p->local && b0 >= first) {
		uint64_t fblocks = p->flex * EXT2_BLOCKS_PER_GROUP(p->fs->super);
		uint64_t rel = b0 - first;
		local_first = rel >= p->reach ? (rel - p->reach) / fblocks : 0;
	}
	for (int k = 0; k < NKINDS; k++) {
		m->f[k] = local_first;
		if (!p->local) {
			m->f[k] = flex_at(p, k, b0);
			if (m->f[k] == UINT64_MAX)
				m->f[k] = 0;
		}
		if (!p->model)
			m->f[k] = UINT64_MAX;
	}
}

/* The first run that ends past b and starts before b1: its blocks and
 * role; false when there is none. */
static bool meta_next(const struct ext_priv *p, struct meta_walk *m,
		      uint64_t b, uint64_t b1, uint64_t *s, uint64_t *e,
		      const char **role, uint64_t *steps)
{
	bool got = false;
	while (m->t < p->nmeta &&
	       p->meta[m->t].start + p->meta[m->t].len <= b) {
		m->t++;
		++*steps;
	}
	if (m->t < p->nmeta && p->meta[m->t].start < b1) {
		*s = p->meta[m->t].start;
		*e = *s + p->meta[m->t].len;
		*role = p->meta[m->t].role;
		got = true;
	}
	for (int k = 0; k < NKINDS; k++) {
		for (; m->f[k] < p->nflex; m->f[k]++, ++*steps) {
			uint64_t rs, rl;
			flex_run(p, k, m->f[k], &rs, &rl);
			if (rs + rl <= b)
				continue;
			if (rs < b1 && (!got || rs < *s)) {
				*s = rs;
				*e = rs + rl;
				*role = kind_role[k];
				got = true;
			}
			break;
		}
	}
	return got;
}

int ext_range_roles(struct da_node *n, uint64_t off, uint64_t len,
		    struct da_role_bytes *out, int max)
{
	struct ext_priv *p = n->priv;
	if (!p || !p->bs || max < 1)
		return -1;
	uint64_t bs = p->bs, end = off + len;
	if (end < off)
		return -1;
	struct roles_walk w = { p, da_fi_get(n), out, 0, max, false, 0, 0 };
	/* describe_block's "unused" past the filesystem's blocks */
	uint64_t fs_end = p->nblocks * bs, hi = end < fs_end ? end : fs_end;
	if (__atomic_load_n(&p->settled, __ATOMIC_ACQUIRE) == 0) {
		/* before the settle pass: "unread", as describe_block */
		if (off < hi)
			put(&w, "unread", hi - off);
		if (end > hi && !w.failed)
			put(&w, "unused", end - (off > hi ? off : hi));
		return w.failed ? -1 : w.n;
	}
	if (!p->used_ready)
		return -1;
	if (off < hi) {
		struct meta_walk m;
		meta_walk_init(p, &m, off / bs);
		uint64_t at = off, s = 0, e = 0;
		const char *role = NULL;
		while (at < hi && !w.failed &&
		       meta_next(p, &m, at / bs, (hi - 1) / bs + 1, &s, &e,
				 &role, &w.steps)) {
			if (w.steps > ROLES_STEPS)
				return -1;
			uint64_t ms = s * bs > at ? s * bs : at;
			uint64_t me = e * bs < hi ? e * bs : hi;
			files_and_gaps(&w, at, ms);
			put(&w, role, me - ms);
			at = me;
		}
		files_and_gaps(&w, at, hi);
	}
	if (end > hi)
		put(&w, "unused", end - (off > hi ? off : hi));
	return w.failed ? -1 : w.n;
}
