/* What a range of any space holds: every owner with the bytes it owns
 * there, the roles inside its filesystems, and its files (src/diskatlas.h,
 * da_range_scan).  --lookup START-END prints it; the explorer's cell
 * summary asks it.
 *
 * The range is walked in pieces that stay contiguous down to a disk (a
 * volume's range may lie on several disks), each piece segment by
 * segment of the disk index; a filesystem's roles come from its
 * range_roles op (exact, from its metadata runs, the file index and its
 * bitmaps) or else are asked a block at a time (sampled past a bound),
 * and its files come from the shared file index's range question.  Every
 * loop is bounded.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "fileindex.h"
#include "util.h"

#define MAX_PIECES 65536
#define ROLE_BLOCKS 65536          /* blocks asked for their role */
#define STRIPE_PIECES 65536        /* chunks of striped spaces walked */

/* Bytes as the walk counts them: scaled while a striped range is
 * estimated from its rows (walk_through). */
static uint64_t sc(const struct da_range *r, uint64_t x)
{
	if (r->scale_num == r->scale_den)
		return x;
	return mul_div(x, r->scale_num, r->scale_den);
}

static bool same_owner(const struct da_claim *a, const struct da_claim *b)
{
	return a->space == b->space && a->node == b->node &&
	       a->depth == b->depth && a->name == b->name &&
	       (a->role == b->role ||
		(a->role && b->role && !strcmp(a->role, b->role)));
}

static void add_owner(struct da_range *r, const struct da_claim *c,
		      uint64_t owner_off, uint64_t bytes)
{
	bytes = sc(r, bytes);
	for (size_t i = 0; i < r->nowners; i++) {
		struct da_range_owner *a = &r->owners[i];
		if (same_owner(a->c, c)) {
			a->bytes += bytes;
			if (owner_off < a->offset)
				a->offset = owner_off;
			a->conflict |= c->conflict > 0;
			return;
		}
	}
	if (r->nowners == DA_RANGE_MAX_OWNERS) {
		r->owners_cut = true;
		return;
	}
	r->owners[r->nowners++] = (struct da_range_owner){ c, owner_off, bytes,
						      c->conflict > 0 };
}

static void add_role(struct da_range *r, const struct da_claim *c,
		     const char *role, uint64_t bytes)
{
	if (!(r->what & DA_RANGE_ROLES))
		return;
	bytes = sc(r, bytes);
	for (size_t i = 0; i < r->nroles; i++) {
		struct da_range_role *a = &r->roles[i];
		/* by text too: two files' copies of one literal ("free")
		 * need not be one pointer */
		if (a->node == c->node &&
		    (a->role == role || !strcmp(a->role, role))) {
			a->bytes += bytes;
			return;
		}
	}
	if (r->nroles < DA_RANGE_MAX_ROLES)
		r->roles[r->nroles++] = (struct da_range_role){ c->node, c->name,
							   role, bytes };
}

static void add_file(struct da_range *r, const struct da_claim *c,
		     const struct da_fi_share *s)
{
	uint64_t bytes = sc(r, s->bytes);
	for (size_t i = 0; i < r->nfiles; i++) {
		struct da_range_file *a = &r->files[i];
		if (a->node == c->node && a->file == s->file) {
			a->bytes += bytes;
			if (s->first < a->first) {
				a->first = s->first;
				a->file_off = s->file_off;
			}
			return;
		}
	}
	if (r->nfiles == DA_RANGE_MAX_FILES) {
		r->files_cut = true;
		return;
	}
	struct da_fi_file ff;
	uint64_t id = da_fi_file(da_fi_get(c->node), s->file, &ff) == 0 ? ff.id
									 : 0;
	r->files[r->nfiles++] = (struct da_range_file){ c->node, c->name,
							s->file, id, bytes,
							s->file_off, s->first };
}

/* A filesystem's roles over [off, off+len) of its space: all at once
 * where its plugin can, else a block at a time (sampled past a bound). */
static void roles_inside(struct da_range *r, const struct da_claim *c,
			 uint64_t off, uint64_t len)
{
	struct da_node *n = c->node;
	if (n->plugin->range_roles) {
		struct da_role_bytes rb[DA_RANGE_MAX_ROLES];
		int k = n->plugin->range_roles(n, off, len, rb,
					       DA_RANGE_MAX_ROLES);
		for (int i = 0; i < k; i++)
			add_role(r, c, rb[i].role, rb[i].bytes);
		if (k >= 0)
			return;
	}
	uint64_t bs = n->dev && n->dev->block_size ? n->dev->block_size : 512;
	uint64_t end = off + len;
	/* meta_role is tried first where metadata may start: at the
	 * range's start and after each change of role; inside a run of
	 * data or free blocks describe_block alone answers (either way the
	 * role is the same string) */
	bool try_meta = n->plugin->meta_role != NULL;
	const char *last = NULL;
	for (uint64_t b = off / bs * bs; b < end; b += bs) {
		uint64_t a0 = b > off ? b : off;
		uint64_t a1 = b + bs < end ? b + bs : end;
		if (r->role_blocks >= ROLE_BLOCKS) {
			r->roles_sampled = true;
			break;
		}
		r->role_blocks++;
		/* a metadata block's role without the text describe_block
		 * writes for it (the explorer asks this of every block of
		 * the cell under the cursor) */
		const char *role = try_meta ? n->plugin->meta_role(n, a0)
					    : NULL;
		if (!role) {
			struct da_block_info info;
			da_block_info_init(&info);
			if (n->plugin->describe_block(n, a0, &info) == 0)
				role = info.role;
			try_meta = n->plugin->meta_role && role != last;
		}
		if (role)
			add_role(r, c, role, a1 - a0);
		last = role;
	}
}

/* Inside a filesystem (or swap): its roles, its files from the file
 * index, over [off, off+len) of its space. */
static void inside(struct da_range *r, const struct da_claim *c,
		   uint64_t off, uint64_t len)
{
	struct da_node *n = c->node;
	if (!n || !n->plugin || !n->plugin->describe_block || c->role)
		return;
	if (r->what & DA_RANGE_ROLES)
		roles_inside(r, c, off, len);
	const struct da_fileindex *x = da_fi_get(n);
	if (!x) {
		r->indexing = true;
		return;
	}
	if (!(r->what & DA_RANGE_FILES))
		return;
	struct da_fi_share sh[DA_RANGE_MAX_FILES];
	bool sampled = false;
	size_t k = da_fi_files_in(x, off, len, sh, DA_RANGE_MAX_FILES, &sampled);
	if (sampled || k > DA_RANGE_MAX_FILES)
		r->files_cut = true;
	for (size_t i = 0; i < k && i < DA_RANGE_MAX_FILES; i++)
		add_file(r, c, &sh[i]);
}

static void walk_disk(struct da_range *r, size_t d, uint64_t off,
		      uint64_t len, int level);

/* [off, off+len) of a member's area of a striped space (claim via): its
 * data in the space's index, a chunk at a time while the walk's budget
 * lasts, then the rows of the space it comes from, scaled to its bytes
 * of data.  Its parity is the member's own claim's, under it. */
static void walk_through(struct da_range *r, const struct da_claim *via,
			 uint64_t off, uint64_t len, int level)
{
	struct da_piece pc[64];
	while (len > 0 && r->pieces < STRIPE_PIECES) {
		uint64_t done, parity;
		size_t k = da_ownership_unstripe(r->o, via, off, len, pc, 64,
						 &done, &parity);
		if (done == 0)
			return;
		for (size_t i = 0; i < k; i++)
			walk_disk(r, (size_t)via->through, pc[i].off, pc[i].len,
				  level + 1);
		r->pieces += k;
		off += done;
		len -= done;
	}
	uint64_t h0, h1, data;
	if (len == 0 || r->scale_num != r->scale_den ||
	    da_ownership_hull(r->o, via, off, len, &h0, &h1, &data) < 0 ||
	    h1 <= h0 || data == 0)
		return;
	r->estimated = true;
	r->scale_num = data;
	r->scale_den = h1 - h0;
	walk_disk(r, (size_t)via->through, h0, h1 - h0, level + 1);
	r->scale_num = r->scale_den = 1;
}

static void walk_disk(struct da_range *r, size_t d, uint64_t off,
		      uint64_t len, int level)
{
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *segs = da_ownership_segments(r->o, d, &nsegs,
							      &claims);
	long i = da_ownership_find(r->o, d, off);
	if (i < 0)
		return;
	uint64_t end = off + len;
	for (size_t k = (size_t)i; k < nsegs && segs[k].start < end; k++) {
		const struct da_segment *s = &segs[k];
		uint64_t a0 = s->start > off ? s->start : off;
		uint64_t a1 = s->start + s->len < end ? s->start + s->len : end;
		if (a1 <= a0)
			continue;
		for (uint32_t j = 0; j < s->count; j++) {
			const struct da_claim *c = &claims[s->first + j];
			uint64_t at = c->owner_start + (a0 - s->start);
			if (c->through >= 0 && j == s->count - 1 && level < 8) {
				walk_through(r, c, at, a1 - a0, level);
				break;
			}
			add_owner(r, c, at, a1 - a0);
			if (j == s->count - 1)
				inside(r, c, at, a1 - a0);
		}
	}
}

static int cmp_owner(const void *a, const void *b)
{
	const struct da_range_owner *x = a, *y = b;
	if (x->c->depth != y->c->depth)
		return x->c->depth < y->c->depth ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int cmp_role(const void *a, const void *b)
{
	const struct da_range_role *x = a, *y = b;
	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

static int cmp_file(const void *a, const void *b)
{
	const struct da_range_file *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}


struct da_range *da_range_scan(const struct da_ownership *o,
			       struct da_device *dev, uint64_t off,
			       uint64_t len, unsigned what)
{
	struct da_range *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->o = o;
	r->what = what;
	r->scale_num = r->scale_den = 1;
	/* down to the disks a linear piece at a time, so that the owners
	 * under a striped space are counted too; past MAX_PIECES pieces the
	 * rest is walked in the striped spaces' own indexes (a run at a
	 * time, without the owners under them: estimated) */
	for (int guard = 0; len > 0 && guard < 2 * MAX_PIECES; guard++) {
		size_t d;
		uint64_t doff, run;
		int at = guard < MAX_PIECES
			? da_ownership_locate(o, dev, off, &d, &doff, &run)
			: da_ownership_locate_index(o, dev, off, &d, &doff,
						    &run);
		if (guard >= MAX_PIECES && at == 0 &&
		    !da_ownership_machine_disk(o, d)->is_disk)
			r->estimated = true;
		if (at < 0) {
			run = da_device_contiguous(dev, off);
			if (run == 0 || run > len)
				run = len;
			r->unmapped += run;
			/* on a missing member of a striped space: the owners
			 * inside the space are still known (da_where_locate) */
			if (da_ownership_locate_index(o, dev, off, &d, &doff,
						      NULL) == 0 &&
			    !da_ownership_machine_disk(o, d)->is_disk)
				walk_disk(r, d, doff, run, 0);
		} else {
			if (run == 0 || run > len)
				run = len;
			walk_disk(r, d, doff, run, 0);
		}
		off += run;
		len -= run;
	}
	da_sort(r->owners, r->nowners, sizeof(*r->owners), cmp_owner);
	da_sort(r->roles, r->nroles, sizeof(*r->roles), cmp_role);
	da_sort(r->files, r->nfiles, sizeof(*r->files), cmp_file);
	return r;
}

void da_range_free(struct da_range *r)
{
	free(r);
}

int da_range_file_path(const struct da_range_file *f, char *out, size_t len)
{
	return da_fi_path(da_fi_get(f->node), f->file, 0, out, len);
}
