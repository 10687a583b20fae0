/* ext2/3/4: where a group's metadata lies, as ext_meta.c (the metadata
 * map) and ext_used.c (the used-block counts) both ask it.  The layout
 * model's arithmetic is inline here: a map cell asks it of every group
 * it covers, thousands of times a frame.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DISKATLAS_EXT_LAYOUT_H
#define DISKATLAS_EXT_LAYOUT_H

#include "ext.h"

/* The per-group items: block bitmap, inode bitmap, inode table. */
enum { K_BB, K_IB, K_IT, NKINDS };

/* A group's superblock copy, descriptors and reserved descriptor blocks:
 * at most four runs, each with its role and owning reserved inode. */
struct sbgd {
	int n;
	uint64_t start[4], len[4];
	const char *role[4];
	uint32_t ino[4];
};
void ext_group_sbgd(const struct ext_priv *p, uint64_t g, struct sbgd *s);

/* Descriptor d's item of kind k: its first block. */
static inline uint64_t desc_loc(const struct ext_group *d, int k)
{
	return k == K_BB ? d->block_bitmap
	       : k == K_IB ? d->inode_bitmap : d->inode_table;
}

/* Where flex group f's run of kind k starts, by arithmetic, when the
 * model holds and the layout is regular. */
static inline uint64_t regular_start(const struct ext_priv *p, int k,
				     uint64_t f)
{
	if (f == 0)
		return p->first_loc[k];
	if (f + 1 == p->nflex)
		return p->last_loc[k];
	return p->fs->super->s_first_data_block + f * p->flex_blocks +
	       p->reg_off[k];
}

static inline uint64_t item_len(const struct ext_priv *p, int k)
{
	return k == K_IT ? p->fs->inode_blocks_per_group : 1;
}

/* Group g's item of kind k: its first block, without reading the
 * descriptor where the layout is regular; 0 when the descriptor cannot
 * be read (no item lies at block 0). */
static inline uint64_t item_loc(const struct ext_priv *p, int k,
				uint64_t g)
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

#endif
