/* Map summaries: what one cell of the map shows.  A cell's cost is one
 * binary search plus one step per segment it covers, and a filesystem's
 * usage is a bitmap range count, so a frame costs the same on a 1 GiB and
 * a 2 TiB disk.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "util.h"

#define TRACKED 16

struct acc {
	struct da_cell *cell;
	int ids[TRACKED];
	uint64_t bytes[TRACKED];
	int nids;
	uint32_t distinct;
};

/* Only the counts: ids and bytes are read below nids (a cell at a time,
 * zeroing the arrays was a tenth of the engine's share of a frame). */
static inline void acc_init(struct acc *a, struct da_cell *c)
{
	a->cell = c;
	a->nids = 0;
	a->distinct = 0;
}

static void acc_region(struct acc *a, int id, uint64_t bytes)
{
	for (int i = 0; i < a->nids; i++) {
		if (a->ids[i] == id) {
			a->bytes[i] += bytes;
			return;
		}
	}
	a->distinct++;
	if (a->nids < TRACKED) {
		a->ids[a->nids] = id;
		a->bytes[a->nids++] = bytes;
	}
}

/* Usage of the innermost claim over [owner_off, owner_off+len): a
 * filesystem's own count, else its role's class. */
static void acc_usage(struct da_cell *c, const struct da_claim *cl,
		      const struct da_region_info *reg, uint64_t owner_off,
		      uint64_t len)
{
	struct da_node *n = cl ? cl->node : NULL;
	if (n && n->plugin && n->plugin->usage && !cl->role) {
		struct da_usage u = { 0 };
		if (n->plugin->usage(n, owner_off, len, &u) == 0) {
			c->used += u.used;
			c->free += u.free;
			c->metadata += u.metadata;
			c->pending += u.pending;
			return;
		}
	}
	enum da_role_class cls = reg ? reg->cls : DA_RC_FREE;
	if (!cl || cls == DA_RC_FREE || cls == DA_RC_UNALLOCATED)
		c->free += len;
	else if (cls == DA_RC_METADATA || cls == DA_RC_BOOKKEEPING)
		c->metadata += len;
	else if (!cl->node && !strcmp(cl->kind, "partition"))
		c->free += len;         /* a partition with nothing in it */
	else
		c->used += len;
}

static void summarize_disk(const struct da_ownership *o, size_t d,
			   uint64_t off, uint64_t len, struct acc *a,
			   size_t *hint, bool holes, int level);

/* A striped space's [off, off+len) summarised on the side and added to
 * a scaled to bytes of it (num <= len): the estimate for a range too long
 * to walk a chunk at a time.  The caller counts the cell's bytes. */
static void acc_scaled(const struct da_ownership *o, size_t d, uint64_t off,
		       uint64_t len, uint64_t bytes, bool holes, int level,
		       struct acc *a)
{
	struct da_cell *c = a->cell, t;
	struct acc ta;
	memset(&t, 0, sizeof(t));
	acc_init(&ta, &t);
	summarize_disk(o, d, off, len, &ta, NULL, holes, level);
	uint64_t h = t.bytes ? t.bytes : 1;
	for (int i = 0; i < ta.nids; i++)
		acc_region(a, ta.ids[i], mul_div(ta.bytes[i], bytes, h));
	c->used += mul_div(t.used, bytes, h);
	c->free += mul_div(t.free, bytes, h);
	c->metadata += mul_div(t.metadata, bytes, h);
	c->pending += mul_div(t.pending, bytes, h);
	c->hole += mul_div(t.hole, bytes, h);
	c->unmapped += mul_div(t.unmapped, bytes, h);
	c->conflict |= t.conflict;
	c->estimated = true;
}

/* Pieces of a striped space a short range is walked in: past them, the
 * range is summarised from the space's rows it comes from. */
#define EXACT_PIECES 16

/* [off, off+len) of a member's area of a striped space (claim via, whose
 * owner offsets off counts in): its data as the space's index says, its
 * parity as the member's own claim under it says (under, at under_off). */
static void acc_through(const struct da_ownership *o,
			const struct da_claim *via, const struct da_claim *under,
			int parity_id, const struct da_region_info *reg,
			uint64_t under_off,
			uint64_t off, uint64_t len, struct acc *a, int level)
{
	struct da_cell *c = a->cell;
	struct da_piece pc[EXACT_PIECES];
	uint64_t done, parity;
	size_t k = da_ownership_unstripe(o, via, off, len, pc, EXACT_PIECES,
					 &done, &parity);
	if (done == len) {
		size_t hint = 0;   /* the pieces come in the space's order */
		for (size_t i = 0; i < k; i++)
			summarize_disk(o, (size_t)via->through, pc[i].off,
				       pc[i].len, a, &hint, false, level + 1);
	} else {
		uint64_t h0, h1, data;
		if (da_ownership_hull(o, via, off, len, &h0, &h1, &data) < 0 ||
		    h1 <= h0) {
			data = 0;
		} else if (data) {
			acc_scaled(o, (size_t)via->through, h0, h1 - h0, data,
				   false, level + 1, a);
			c->bytes += data;
		}
		parity = len - (data < len ? data : len);
	}
	if (parity) {
		acc_region(a, parity_id, parity);
		if (under && under->conflict)
			c->conflict = true;
		acc_usage(c, under, reg, under_off, parity);
		c->bytes += parity;
	}
}

/* *hint: the segment the last cell of a row ended in, so that a row of
 * cells walks the segments once instead of searching for each cell. */
static void summarize_disk(const struct da_ownership *o, size_t d,
			   uint64_t off, uint64_t len, struct acc *a,
			   size_t *hint, bool holes, int level)
{
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *segs = da_ownership_segments(o, d, &nsegs,
							      &claims);
	long i;
	if (hint && *hint < nsegs && segs[*hint].start <= off &&
	    off - segs[*hint].start < segs[*hint].len)
		i = (long)*hint;
	else if (hint && *hint + 1 < nsegs && segs[*hint + 1].start <= off &&
		 off - segs[*hint + 1].start < segs[*hint + 1].len)
		i = (long)*hint + 1;
	else
		i = da_ownership_find(o, d, off);
	if (i < 0)
		return;
	size_t nregs;
	const struct da_region_info *regs = da_ownership_regions(o, &nregs);
	uint64_t end = off + len;
	struct da_cell *c = a->cell;
	size_t k;
	for (k = (size_t)i; k < nsegs && segs[k].start < end; k++) {
		const struct da_segment *s = &segs[k];
		uint64_t a0 = s->start > off ? s->start : off;
		uint64_t a1 = s->start + s->len < end ? s->start + s->len : end;
		if (a1 <= a0)
			continue;
		const struct da_claim *in = s->count
			? &claims[s->first + s->count - 1] : NULL;
		if (in && in->through >= 0 && level < 8) {
			const struct da_claim *un = s->count > 1 ? in - 1 : NULL;
			int pr = in->parity_region >= 0 ? in->parity_region
				 : un ? un->region_id : -1;
			acc_through(o, in, un, pr,
				    pr >= 0 && (size_t)pr < nregs ? &regs[pr]
								   : NULL,
				    un ? un->owner_start + (a0 - s->start) : 0,
				    in->owner_start + (a0 - s->start), a1 - a0,
				    a, level);
			continue;
		}
		acc_region(a, in ? in->region_id : -1, a1 - a0);
		if (in && in->conflict)
			c->conflict = true;
		acc_usage(c, in,
			  in && in->region_id >= 0 &&
				  (size_t)in->region_id < nregs
				  ? &regs[in->region_id] : NULL,
			  in ? in->owner_start + (a0 - s->start) : 0, a1 - a0);
		c->bytes += a1 - a0;
	}
	if (hint)
		*hint = k > (size_t)i ? k - 1 : (size_t)i;
	if (holes)
		c->hole += da_device_hole_bytes(da_ownership_machine_disk(o, d),
						off, len, true);
}

static void finish(struct acc *a)
{
	struct da_cell *c = a->cell;
	uint64_t best = 0;
	c->region_id = -1;
	for (int i = 0; i < a->nids; i++) {
		if (a->bytes[i] > best) {
			best = a->bytes[i];
			c->region_id = a->ids[i];
		}
	}
	c->nregions = a->distinct;
}

int da_summarize_disk(const struct da_ownership *o, size_t d, uint64_t off,
		      uint64_t len, struct da_cell *out)
{
	memset(out, 0, sizeof(*out));
	struct acc a;
	acc_init(&a, out);
	summarize_disk(o, d, off, len, &a, NULL, true, 0);
	finish(&a);
	return 0;
}

/* Where the last located run of a space went, so that the next cells of
 * a row that fall in the same linear run skip the walk down the stack. */
struct locate_cache {
	struct da_device *dev;
	uint64_t off, end;         /* [off, end) of dev maps linearly... */
	size_t disk;
	uint64_t doff;             /* ...onto disk from doff */
	size_t seg;                /* summarize_disk's segment hint */
};

static int locate_cached(const struct da_ownership *o, struct da_device *dev,
			 uint64_t off, size_t *d, uint64_t *doff,
			 uint64_t *run, struct locate_cache *lc)
{
	if (lc && lc->dev == dev && off >= lc->off && off < lc->end) {
		*d = lc->disk;
		*doff = lc->doff + (off - lc->off);
		*run = lc->end - off;
		return 0;
	}
	if (da_ownership_locate_index(o, dev, off, d, doff, run) < 0)
		return -1;
	if (lc) {
		lc->dev = dev;
		lc->off = off;
		lc->end = off + *run;
		lc->disk = *d;
		lc->doff = *doff;
	}
	return 0;
}

/* Does [off, off+len) of dev cross at most EXACT_PIECES linear runs? */
static bool few_runs(struct da_device *dev, uint64_t off, uint64_t len)
{
	for (int i = 0; i < EXACT_PIECES; i++) {
		uint64_t c = da_device_contiguous(dev, off);
		if (c == 0 || c >= len)
			return true;
		off += c;
		len -= c;
	}
	return false;
}

/* The bytes at off that nothing maps, as far as they stay linear (up to
 * len), counted unmapped into out; how many. */
static uint64_t count_unmapped(struct da_cell *out, struct da_device *dev,
			       uint64_t off, uint64_t len)
{
	uint64_t run = da_device_contiguous(dev, off);
	if (run == 0 || run > len)
		run = len;
	out->unmapped += run;
	out->bytes += run;
	return run;
}

/* [off, off+len) of dev a linear piece at a time down to the disks:
 * where a degraded space's missing chunks must be told apart exactly. */
static void summarize_down(const struct da_ownership *o,
			   struct da_device *dev, uint64_t off, uint64_t len,
			   struct acc *a, bool holes)
{
	struct da_cell *out = a->cell;
	for (int guard = 0; len > 0 && guard < 4 * EXACT_PIECES; guard++) {
		size_t d;
		uint64_t doff, run;
		if (da_ownership_locate(o, dev, off, &d, &doff, &run) < 0) {
			run = count_unmapped(out, dev, off, len);
		} else {
			if (run > len)
				run = len;
			summarize_disk(o, d, doff, run, a, NULL, holes, 0);
		}
		off += run;
		len -= run;
	}
}

/* [doff, doff+run) of a degraded striped space, too long to walk: its
 * summary scaled to the bytes on a disk, the rest unmapped. */
static void summarize_degraded(const struct da_ownership *o, size_t d,
			       uint64_t doff, uint64_t run, uint64_t mapped,
			       struct acc *a, bool holes)
{
	acc_scaled(o, d, doff, run, mapped, holes, 0, a);
	a->cell->unmapped += run - mapped;
	a->cell->bytes += run;
}

static void summarize_space(const struct da_ownership *o,
			    struct da_device *dev, uint64_t off, uint64_t len,
			    struct da_cell *out, struct locate_cache *lc,
			    bool holes)
{
	memset(out, 0, sizeof(*out));
	struct acc a;
	acc_init(&a, out);
	if (off >= dev->size) {
		finish(&a);
		return;
	}
	if (len > dev->size - off)
		len = dev->size - off;
	/* bounded: a striped LV cut into chunks costs a step a chunk */
	for (int guard = 0; len > 0 && guard < 65536; guard++) {
		size_t d;
		uint64_t doff, run;
		if (locate_cached(o, dev, off, &d, &doff, &run, lc) < 0) {
			run = count_unmapped(out, dev, off, len);
		} else {
			if (run > len)
				run = len;
			uint64_t mapped = da_ownership_mapped_bytes(o, d, doff,
								    run);
			struct da_device *sp = da_ownership_machine_disk(o, d);
			if (mapped == run)
				summarize_disk(o, d, doff, run, &a,
					       lc ? &lc->seg : NULL, holes, 0);
			else if (few_runs(sp, doff, run))
				summarize_down(o, dev, off, run, &a, holes);
			else
				summarize_degraded(o, d, doff, run, mapped, &a,
						   holes);
		}
		off += run;
		len -= run;
	}
	finish(&a);
}

int da_summarize_space(const struct da_ownership *o, struct da_device *dev,
		       uint64_t off, uint64_t len, struct da_cell *out)
{
	summarize_space(o, dev, off, len, out, NULL, true);
	return 0;
}

/* A row of cells: the same answers as one call a cell, for less (the
 * segment and the located run carry over from cell to cell). */
int da_summarize_cells(const struct da_ownership *o, struct da_device *dev,
		       long disk, uint64_t off, uint64_t cell, size_t n,
		       bool holes, struct da_cell *out)
{
	struct locate_cache lc = { .dev = NULL };
	uint64_t size = disk >= 0
		? da_ownership_machine_disk(o, (size_t)disk)->size
		: dev->size;
	for (size_t i = 0; i < n; i++, off += cell) {
		if (off >= size || cell == 0) {
			memset(&out[i], 0, sizeof(out[i]));
			out[i].region_id = -1;
			continue;
		}
		uint64_t len = size - off < cell ? size - off : cell;
		if (disk >= 0) {
			memset(&out[i], 0, sizeof(out[i]));
			struct acc a;
			acc_init(&a, &out[i]);
			summarize_disk(o, (size_t)disk, off, len, &a, &lc.seg,
				       holes, 0);
			finish(&a);
		} else {
			summarize_space(o, dev, off, len, &out[i], &lc, holes);
		}
		if (off + cell < off)
			break;          /* wrapped: nothing past 2^64 */
	}
	return 0;
}
