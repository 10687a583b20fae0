/* Answers from the ownership index (ownership.c builds it): the segment
 * at an offset, the owners of a byte outermost first, where an owner's
 * offset lies on the disks (every copy, for mirrors), a region's hull.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "ownership_priv.h"
#include "util.h"

size_t da_ownership_nindexes(const struct da_ownership *o)
{
	return o->nindex;
}

const struct da_segment *da_ownership_segments(const struct da_ownership *o,
					       size_t d, size_t *n,
					       const struct da_claim **claims)
{
	if (d >= o->nindex) {
		*n = 0;
		return NULL;
	}
	*n = o->disks[d].nsegs;
	if (claims)
		*claims = o->disks[d].claims;
	return o->disks[d].segs;
}

const struct da_region_info *da_ownership_regions(const struct da_ownership *o,
						  size_t *n)
{
	*n = o->nregions;
	return o->regions;
}

long da_ownership_find(const struct da_ownership *o, size_t d, uint64_t off)
{
	if (d >= o->nindex)
		return -1;
	const struct disk_index *di = &o->disks[d];
	size_t lo = 0, hi = di->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct da_segment *s = &di->segs[mid];
		if (off < s->start)
			hi = mid;
		else if (off - s->start >= s->len)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

static int owners_at(const struct da_ownership *o, size_t d, uint64_t off,
		     struct da_owner *out, int max, bool detail, int level);

static void owner_info_init(struct da_block_info *i)
{
	i->role = NULL;
	i->block = i->inode = i->file_offset = -1;
	i->path[0] = i->governs[0] = '\0';
	i->nlinks = i->nshared = 0;
	i->conflict = i->indexing = false;
}

/* An image's byte that holds a byte of another disk (a qcow2 data cluster
 * and its guest byte): the owners go on down through that disk, after an
 * owner "guest" that names it, so a host byte is answered to the file. */
static int owners_through(const struct da_ownership *o,
			  const struct da_owner *inner, struct da_owner *out,
			  int max, bool detail, int level)
{
	struct da_device *dev = NULL;
	uint64_t doff = 0;
	if (level > 4 || !inner->node || !inner->node->plugin ||
	    !inner->node->plugin->through ||
	    inner->node->plugin->through(inner->node, inner->offset, &dev,
					 &doff) < 0 || !dev)
		return 0;
	int d = ownership_disk_of(o, dev);
	if (d < 0 || doff >= dev->size)
		return 0;
	if (max > 0) {
		*out = (struct da_owner){ .kind = "guest", .name = dev->name,
					  .offset = doff, .space = dev };
		owner_info_init(&out->info);
	}
	int k = owners_at(o, (size_t)d, doff, out + (max > 0),
			  max > 0 ? max - 1 : 0, detail, level + 1);
	return 1 + (k > 0 ? k : 0);
}

int da_owners_at(const struct da_ownership *o, size_t d, uint64_t off,
		 struct da_owner *out, int max, bool detail)
{
	return owners_at(o, d, off, out, max, detail, 0);
}

static int owners_at(const struct da_ownership *o, size_t d, uint64_t off,
		     struct da_owner *out, int max, bool detail, int level)
{
	long i = da_ownership_find(o, d, off);
	if (i < 0)
		return -1;
	const struct disk_index *di = &o->disks[d];
	const struct da_segment *s = &di->segs[i];
	int n = 0;
	/* a member's area of a striped space is not an owner of its own:
	 * the owners go on in the space's index, where unmap says */
	const struct da_claim *via = s->count &&
		di->claims[s->first + s->count - 1].through >= 0 && level < 8
		? &di->claims[s->first + s->count - 1] : NULL;
	for (uint32_t k = 0; k < s->count - (via != NULL); k++, n++) {
		if (n >= max)
			continue;
		const struct da_claim *c = &di->claims[s->first + k];
		struct da_owner *w = &out[n];
		/* not a memset of the 1.3 KiB answer: its strings are empty
		 * when their first byte is (a lookup a microsecond counts) */
		w->kind = c->kind;
		w->name = c->name;
		w->role = c->role;
		w->node = c->node;
		w->space = c->space;
		w->offset = c->owner_start + (off - s->start);
		w->conflict = c->conflict > 0;
		w->fstype = c->region_id >= 0 ? o->regions[c->region_id].fstype
					      : NULL;
		w->has_info = false;
		owner_info_init(&w->info);
		if (c->node) {
			if (detail && c->node->plugin &&
			    c->node->plugin->describe_block &&
			    c->node->plugin->describe_block(c->node, w->offset,
							    &w->info) == 0)
				w->has_info = true;
		}
	}
	if (via) {
		struct da_unmapped u;
		uint64_t at = via->owner_start + (off - s->start);
		if (via->space->ops->unmap(via->space, via->member, at, 1,
					   &u) < 0)
			return n;
		if (u.what != 'D') {
			/* parity: the member's own claim is the last owner;
			 * past md's itemised runs its region says "data" */
			if (n > 0 && n <= max && via->parity_region >= 0)
				out[n - 1].role = "parity";
			return n;
		}
		int k = owners_at(o, (size_t)via->through, u.off,
				  out + (n < max ? n : max),
				  n < max ? max - n : 0, detail, level + 1);
		return n + (k > 0 ? k : 0);
	}
	if (n > 0 && n <= max)
		n += owners_through(o, &out[n - 1], out + n, max - n, detail,
				    level);
	return n;
}

int da_ownership_locate_index(const struct da_ownership *o,
			      struct da_device *dev, uint64_t off,
			      size_t *index, uint64_t *index_off,
			      uint64_t *run)
{
	if (off >= dev->size)
		return -1;
	uint64_t r = UINT64_MAX;
	for (int level = 0; level < 32; level++) {
		int s = dev->is_disk ? ownership_disk_of(o, dev)
				      : ownership_space_find(o, dev);
		if (s >= 0) {
			*index = (size_t)s;
			*index_off = off;
			if (run) {
				uint64_t left = dev->size - off;
				*run = r < left ? r : left;
			}
			return 0;
		}
		if (dev->is_disk)
			return -1;
		struct da_target t[MAX_TARGETS];
		if (da_device_map_block(dev, off, t, MAX_TARGETS) <= 0)
			return -1;
		uint64_t c = da_device_contiguous(dev, off);
		if (c < r)
			r = c ? c : 1;
		dev = t[0].dev;
		off = t[0].offset;
	}
	return -1;
}

size_t da_ownership_unstripe(const struct da_ownership *o,
			     const struct da_claim *c, uint64_t off,
			     uint64_t len, struct da_piece *out, size_t max,
			     uint64_t *done, uint64_t *parity)
{
	(void)o;
	size_t k = 0;
	*done = *parity = 0;
	if (c->through < 0)
		return 0;
	while (len > 0 && k < max) {
		struct da_unmapped u;
		if (c->space->ops->unmap(c->space, c->member, off, 1, &u) < 0 ||
		    u.run == 0)
			break;
		uint64_t n = u.run < len ? u.run : len;
		if (u.what == 'D')
			out[k++] = (struct da_piece){ u.off, n, *done };
		else
			*parity += n;
		*done += n;
		off += n;
		len -= n;
	}
	return k;
}

int da_ownership_region_at(const struct da_ownership *o, size_t d,
			   uint64_t off)
{
	for (int level = 0; level < 8; level++) {
		long i = da_ownership_find(o, d, off);
		if (i < 0)
			return -1;
		const struct disk_index *di = &o->disks[d];
		const struct da_segment *s = &di->segs[i];
		if (!s->count)
			return -1;
		const struct da_claim *c = &di->claims[s->first + s->count - 1];
		if (c->through < 0)
			return c->region_id;
		struct da_unmapped u;
		if (c->space->ops->unmap(c->space, c->member, c->owner_start +
					 (off - s->start), 1, &u) < 0 ||
		    u.what != 'D')
			return c->parity_region >= 0 ? c->parity_region
			       : s->count > 1 ? c[-1].region_id : -1;
		d = (size_t)c->through;
		off = u.off;
	}
	return -1;
}

int da_ownership_hull(const struct da_ownership *o, const struct da_claim *c,
		      uint64_t off, uint64_t len, uint64_t *start,
		      uint64_t *end, uint64_t *data)
{
	(void)o;
	struct da_unmapped a, b;
	if (c->through < 0 || len == 0 ||
	    c->space->ops->unmap(c->space, c->member, off, len, &a) < 0 ||
	    c->space->ops->unmap(c->space, c->member, off + len - 1, 1, &b) < 0)
		return -1;
	*start = a.row_start;
	*end = b.row_end > a.row_start ? b.row_end : a.row_start;
	*data = a.data;
	return 0;
}

int da_ownership_locate(const struct da_ownership *o, struct da_device *dev,
			uint64_t off, size_t *disk, uint64_t *disk_off,
			uint64_t *run)
{
	if (off >= dev->size)
		return -1;
	uint64_t r = da_device_contiguous(dev, off);
	for (int level = 0; level < 32 && !dev->is_disk; level++) {
		struct da_target t[MAX_TARGETS];
		int n = da_device_map_block(dev, off, t, MAX_TARGETS);
		if (n <= 0)
			return -1;
		uint64_t c = da_device_contiguous(dev, off);
		if (c < r)
			r = c;
		dev = t[0].dev;
		off = t[0].offset;
		c = da_device_contiguous(dev, off);
		if (c < r)
			r = c;
	}
	if (!dev->is_disk)
		return -1;
	int d = ownership_disk_of(o, dev);
	if (d < 0)
		return -1;
	*disk = (size_t)d;
	*disk_off = off;
	if (run)
		*run = r ? r : 1;
	return 0;
}

static void locate_rec(const struct da_ownership *o, struct da_device *dev,
		       uint64_t off, struct da_location *out, int max, int *n,
		       int level, int *budget)
{
	/* the budget bounds the walk when mirrors nest over missing legs */
	if (level > 32 || *n >= max || off >= dev->size || --*budget < 0)
		return;
	if (dev->is_disk) {
		int d = ownership_disk_of(o, dev);
		if (d >= 0)
			out[(*n)++] = (struct da_location){ (size_t)d, off };
		return;
	}
	struct da_target t[MAX_TARGETS];
	int k = da_device_map_block(dev, off, t, MAX_TARGETS);
	if (k > MAX_TARGETS)
		k = MAX_TARGETS;
	for (int i = 0; i < k; i++)
		locate_rec(o, t[i].dev, t[i].offset, out, max, n, level + 1,
			   budget);
}

int da_ownership_locate_all(const struct da_ownership *o,
			    struct da_device *dev, uint64_t off,
			    struct da_location *out, int max)
{
	int n = 0, budget = 4096;
	if (dev && max > 0)
		locate_rec(o, dev, off, out, max, &n, 0, &budget);
	return n;
}

int da_owners_copies(const struct da_ownership *o, const struct da_owner *w,
		     int n, int *which, struct da_location *out, int max)
{
	if (!o->fans_out)
		return 0;          /* no mirror anywhere: spare the walk */
	for (int i = 0; i < n; i++) {
		if (!w[i].space || w[i].space->is_disk)
			continue;
		int k = da_ownership_locate_all(o, w[i].space, w[i].offset,
						out, max);
		if (k > 1) {
			*which = i;
			return k;
		}
	}
	return 0;
}

struct da_device *da_ownership_machine_disk(const struct da_ownership *o,
					    size_t d)
{
	return d < o->nindex ? o->disks[d].dev : NULL;
}
