/* The structure family of a map cell: which kind of structure (headers,
 * tables, bitmaps, inodes, journal...) most of its bytes are, so that the
 * map draws each family in a colour and glyph of its own.  A region with a
 * role (a GPT header, an LVM label) says its family itself; inside a
 * filesystem, whose metadata lives in the plugin and not in the disk
 * index, a cell that is mostly metadata asks the plugin about a few of
 * its blocks (at most SAMPLES describe_block calls a cell, and only for
 * such cells).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "ui.h"

#define SAMPLES 6
#define CACHE 4096             /* blocks whose family is remembered */

/* Families of blocks asked before (describe_block is the cost here), per
 * node and block, direct-mapped: scrolling and zooming ask the same
 * blocks again.  The explorer draws from one thread. */
static struct {
	const struct da_node *node;
	uint64_t block;
	signed char fam;           /* -1: not metadata */
} cache[CACHE];

/* A metadata role's family, -1 for data and free space. */
static int role_family(const char *role)
{
	const struct da_role_info *ri = da_role(da_role_by_name(role));
	if (ri && ri->family < FAM_META && ri->family != DA_FAM_DATA &&
	    ri->family != DA_FAM_FREE)
		return (int)ri->family;
	return -1;
}

static int block_family(struct da_node *n, uint64_t at, uint64_t bs)
{
	uint64_t b = at / bs;
	size_t slot = (size_t)((b * 0x9E3779B97F4A7C15ull ^ (uintptr_t)n) >> 52)
		      % CACHE;
	if (cache[slot].node == n && cache[slot].block == b)
		return cache[slot].fam;
	int fam = -1;
	if (n->plugin->meta_role) {
		/* its roles are static strings: a pointer names one, and a
		 * few remembered save the search by name */
		static struct {
			const char *role;
			int fam;
		} known[8];
		const char *role = n->plugin->meta_role(n, at);
		if (role) {
			size_t k = ((uintptr_t)role >> 3) % 8;
			if (known[k].role != role) {
				known[k].role = role;
				known[k].fam = role_family(role);
			}
			fam = known[k].fam;
		}
		goto out;
	}
	struct da_usage us = { 0 };
	bool meta = !n->plugin->usage ||
		    (n->plugin->usage(n, at, bs, &us) == 0 && us.metadata);
	struct da_block_info info;
	memset(&info, 0, sizeof(info));
	if (meta && n->plugin->describe_block(n, at, &info) == 0 &&
	    info.role)
		fam = role_family(info.role);
out:
	cache[slot].node = n;
	cache[slot].block = b;
	cache[slot].fam = (signed char)fam;
	return fam;
}

/* The filesystem offset of byte off of the view, for the node of region
 * r; -1 when the byte does not lie in it. */
static int64_t node_offset(const struct ui *u, const struct view *v,
			   uint64_t off, const struct da_node *n)
{
	if (n->dev == v->dev)
		return (int64_t)off;
	struct da_location at[1];
	if (view_locate_all(u, v, off, at, 1) < 1)
		return -1;
	struct da_owner w[UI_MAX_OWNERS];
	int k = da_owners_at(u->o, at[0].disk, at[0].offset, w, UI_MAX_OWNERS,
			     false);
	if (k > UI_MAX_OWNERS)
		k = UI_MAX_OWNERS;
	for (int i = k - 1; i >= 0; i--)
		if (w[i].node == n)
			return (int64_t)w[i].offset;
	return -1;
}

/* The family most of the sampled metadata blocks of [off, off+len) of
 * the filesystem n belong to; FAM_META when no sample was metadata. */
static int sample_family(struct da_node *n, uint64_t off, uint64_t len)
{
	uint64_t bs = n->dev->block_size ? n->dev->block_size : 512;
	uint64_t size = n->dev->size;
	int votes[FAM_COUNT] = { 0 };
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t at = off + len / SAMPLES * (uint64_t)i +
			      len / (2 * SAMPLES);
		at = at / bs * bs;
		if (at >= size)
			break;
		int fam = block_family(n, at, bs);
		/* two alike settle it: most cells are one structure */
		if (fam >= 0 && ++votes[fam] == 2)
			return fam;
	}
	int best = FAM_META;
	for (int f = 0; f < FAM_COUNT; f++)
		if (votes[f] && (best == FAM_META || votes[f] > votes[best]))
			best = f;
	return best;
}

int cell_family(const struct ui *u, const struct view *v, uint64_t off,
		uint64_t len, const struct da_cell *c, enum fill f)
{
	if (c->region_id < 0 || c->conflict || f == FILL_HOLE ||
	    f == FILL_UNMAPPED || f == FILL_NONE || f == FILL_PENDING)
		return -1;
	size_t nreg;
	const struct da_region_info *r = da_ownership_regions(u->o, &nreg);
	if ((size_t)c->region_id >= nreg)
		return -1;
	r += c->region_id;
	if (r->role) {
		/* the stack's own structures say their family */
		if (r->cls == DA_RC_UNALLOCATED)
			return DA_FAM_UNALLOCATED;
		if (r->family == DA_FAM_DATA || r->family == DA_FAM_OPAQUE)
			return f == FILL_FREE ? DA_FAM_FREE : -1;
		return r->family;
	}
	if (f == FILL_FREE)
		return DA_FAM_FREE;
	/* a new index (a volume unlocked) may bring nodes where old ones
	 * were: forget what was learnt */
	static const struct da_ownership *learnt_on;
	if (learnt_on != u->o) {
		memset(cache, 0, sizeof(cache));
		learnt_on = u->o;
	}
	struct da_node *n = r->node;
	if (f != FILL_META || !n || !n->plugin || !n->plugin->describe_block ||
	    !n->dev)
		return -1;
	/* a cell across the filesystem's edge: find a byte inside it */
	uint64_t probe[3] = { off, off + len / 2, off + len - 1 };
	for (int i = 0; i < 3; i++) {
		int64_t at = node_offset(u, v, probe[i], n);
		if (at < 0)
			continue;
		uint64_t back = probe[i] - off;
		uint64_t start = (uint64_t)at > back ? (uint64_t)at - back : 0;
		return sample_family(n, start, len);
	}
	return FAM_META;
}
