/* ext2/3/4: where the metadata lies, at a cost that does not grow with
 * the filesystem.
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
 * gets the whole table instead, as before.  Which blocks are in use is
 * ext_used.c's; the roles of a range, which ask both, are here.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>

#include "../fileindex.h"
#include "../util.h"
#include "ext.h"
#include "ext_layout.h"

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
void ext_group_sbgd(const struct ext_priv *p, uint64_t g, struct sbgd *s)
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
		ext_group_sbgd(p, h, &s);
		if (s.n)
			return h;
		g = h + 1;
	}
	return ng;
}

/* ---- the layout model ------------------------------------------------ */

static const char *const kind_role[NKINDS] = { "block_bitmap",
					       "inode_bitmap", "inode_table" };

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
	/* a flex group is a power of two groups, or every group (F = the
	 * group count): then g < F */
	uint64_t F = p->flex;
	uint64_t f = F & (F - 1) ? g / F : g >> p->flex_shift;
	uint64_t h = F & (F - 1) ? g % F : g & (F - 1);
	if (h) {
		/* the common case, one group after another: each item where
		 * the one before it ends */
		for (int k = 0; k < NKINDS; k++)
			m->next[k] += item_len(p, k);
		if (d->block_bitmap != m->next[K_BB] ||
		    d->inode_bitmap != m->next[K_IB] ||
		    d->inode_table != m->next[K_IT])
			m->ok = false;
		return;
	}
	uint64_t fblocks = F * EXT2_BLOCKS_PER_GROUP(p->fs->super);
	uint64_t base = p->fs->super->s_first_data_block + f * fblocks;
	for (int k = 0; k < NKINDS; k++) {
		uint64_t loc = desc_loc(d, k), sz = item_len(p, k);
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
		m->first[k] = m->next[k] = loc;
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
	if (p->local)
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
	/* the 1,024 bytes before the primary superblock: block 0 with
	 * 1 KiB blocks, where first_data_block is 1, or 0 with bigalloc
	 * (the superblock is in block 1 all the same) */
	uint64_t boot = sb->s_first_data_block;
	if (!boot && fs->blocksize == 1024)
		boot = 1;
	if (boot)
		ext_add_meta(p, 0, boot, "boot", 0);
	for (uint64_t g = next_sbgd_group(p, 0); g < ngroups(p);
	     g = next_sbgd_group(p, g + 1)) {
		struct sbgd s;
		ext_group_sbgd(p, g, &s);
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
		uint64_t used = ext_used_walk(p, b, b1, false);
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
