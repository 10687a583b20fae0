/* Devices: the original virt-df device class as an ops table.  A disk
 * comes from an image back end (src/image/); every other device is a
 * mapping onto others (a slice, a concatenation, stripes, mirrors), which
 * is what map_block and contiguous describe to the ownership build.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

/* ---- the generic calls ---- */

int da_device_read(struct da_device *dev, void *buf, size_t len, uint64_t off,
		   da_error *err)
{
	if (!range_ok(off, len, dev->size))
		return da_error_set(err, EINVAL, "%s: read of %zu bytes at "
				    "offset %llu is past the end (%llu bytes)",
				    dev->name, len, (unsigned long long)off,
				    (unsigned long long)dev->size);
	if (len == 0)
		return 0;
	return dev->ops->read(dev, buf, len, off, err);
}

int da_device_view(struct da_device *dev, uint64_t off, size_t len,
		   struct da_view *v)
{
	memset(v, 0, sizeof(*v));
	if (len == 0 || !range_ok(off, len, dev->size) || !dev->ops->view)
		return -1;
	if (dev->ops->view(dev, off, len, v) < 0) {
		memset(v, 0, sizeof(*v));
		return -1;
	}
	return 0;
}

void da_device_unview(struct da_view *v)
{
	if (v->base)
		munmap(v->base, v->maplen);
	memset(v, 0, sizeof(*v));
}

int da_device_map_block(struct da_device *dev, uint64_t off,
			struct da_target *out, int max)
{
	if (off >= dev->size || !dev->ops->map_block)
		return 0;
	return dev->ops->map_block(dev, off, out, max);
}

uint64_t da_device_contiguous(struct da_device *dev, uint64_t off)
{
	if (off >= dev->size)
		return 0;
	uint64_t c = dev->ops->contiguous ? dev->ops->contiguous(dev, off)
					  : dev->size - off;
	if (c == 0)
		c = 1;
	if (c > dev->size - off)
		c = dev->size - off;
	return c;
}

int da_device_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	if (off >= dev->size) {
		*run = 0;
		return -1;
	}
	if (!dev->ops->extent) {
		*run = dev->size - off;
		return 1;
	}
	int r = dev->ops->extent(dev, off, run);
	if (*run == 0 || *run > dev->size - off)
		*run = dev->size - off;
	return r;
}

/* Atomic: a background index build may hold references too. */
struct da_device *da_device_ref(struct da_device *dev)
{
	if (dev)
		__atomic_add_fetch(&dev->refcount, 1, __ATOMIC_RELAXED);
	return dev;
}

void da_device_unref(struct da_device *dev)
{
	if (!dev || __atomic_sub_fetch(&dev->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (dev->ops->close)
		dev->ops->close(dev);
	da_holemap_free(dev->holes);
	free(dev->name);
	free(dev);
}

struct da_device *da_device_alloc(const struct da_device_ops *ops,
				  const char *name, uint64_t size, void *priv)
{
	struct da_device *d = da_xcalloc(1, sizeof(*d));
	d->ops = ops;
	d->name = da_strdup(name ? name : "?");
	d->size = size;
	d->block_size = 512;
	d->refcount = 1;
	d->priv = priv;
	return d;
}

/* ---- offset device: a linear slice of a parent (partitions) ---- */

struct offset_priv {
	struct da_device *parent;
	uint64_t start;
};

static int offset_read(struct da_device *dev, void *buf, size_t len,
		       uint64_t off, da_error *err)
{
	struct offset_priv *p = dev->priv;
	return da_device_read(p->parent, buf, len, p->start + off, err);
}

static int offset_view(struct da_device *dev, uint64_t off, size_t len,
		       struct da_view *v)
{
	struct offset_priv *p = dev->priv;
	return da_device_view(p->parent, p->start + off, len, v);
}

static int offset_map(struct da_device *dev, uint64_t off,
		      struct da_target *out, int max)
{
	struct offset_priv *p = dev->priv;
	if (max > 0)
		out[0] = (struct da_target){ p->parent, p->start + off };
	return 1;
}

static uint64_t offset_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

static int offset_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct offset_priv *p = dev->priv;
	int r = da_device_extent(p->parent, p->start + off, run);
	if (r < 0 || *run == 0 || *run > dev->size - off)
		*run = dev->size - off;
	return r < 0 ? 1 : r;
}

static void offset_close(struct da_device *dev)
{
	struct offset_priv *p = dev->priv;
	da_device_unref(p->parent);
	free(p);
}

static const struct da_device_ops offset_ops = {
	.read = offset_read,
	.map_block = offset_map,
	.contiguous = offset_contiguous,
	.extent = offset_extent,
	.close = offset_close,
	.view = offset_view,
};

struct da_device *da_offset_device_new(const char *name,
				       struct da_device *parent,
				       uint64_t start, uint64_t size,
				       da_error *err)
{
	if (!parent || size == 0 || !range_ok(start, size, parent->size)) {
		da_error_set(err, EINVAL, "%s: slice %llu+%llu does not fit "
			     "in %s (%llu bytes)", name,
			     (unsigned long long)start,
			     (unsigned long long)size,
			     parent ? parent->name : "?",
			     parent ? (unsigned long long)parent->size : 0ull);
		return NULL;
	}
	struct offset_priv *p = da_xcalloc(1, sizeof(*p));
	p->parent = da_device_ref(parent);
	p->start = start;
	struct da_device *d = da_device_alloc(&offset_ops, name, size, p);
	d->block_size = parent->block_size;
	return d;
}

/* ---- block-size overlay: the same bytes, another natural block size ---- */

struct da_device *da_blocksize_overlay_new(struct da_device *parent,
					   uint32_t block_size, da_error *err)
{
	if (!parent || block_size == 0 || (block_size & (block_size - 1)) ||
	    block_size > (1u << 30)) {
		da_error_set(err, EINVAL, "block size %u is not a power of 2",
			     block_size);
		return NULL;
	}
	struct da_device *d = da_offset_device_new(parent->name, parent, 0,
						   parent->size, err);
	if (d)
		d->block_size = block_size;
	return d;
}

/* ---- linear device: segments of other devices, end to end ---- */

struct linear_priv {
	struct da_linear_seg *segs;
	size_t n;
};

/* the segment holding off (segments cover [0, size) in order) */
static const struct da_linear_seg *linear_find(const struct linear_priv *p,
					       uint64_t off)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct da_linear_seg *s = &p->segs[mid];
		if (off < s->start)
			hi = mid;
		else if (off - s->start >= s->len)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static int linear_read(struct da_device *dev, void *buf, size_t len,
		       uint64_t off, da_error *err)
{
	struct linear_priv *p = dev->priv;
	uint8_t *b = buf;
	while (len > 0) {
		const struct da_linear_seg *s = linear_find(p, off);
		if (!s)
			return da_error_set(err, EINVAL, "%s: offset %llu "
					    "maps nowhere", dev->name,
					    (unsigned long long)off);
		uint64_t in = off - s->start;
		size_t n = s->len - in < len ? (size_t)(s->len - in) : len;
		if (!s->target)
			return da_error_set(err, ENXIO, "%s: offset %llu is "
					    "on a missing device", dev->name,
					    (unsigned long long)off);
		if (da_device_read(s->target, b, n, s->target_off + in,
				   err) < 0)
			return -1;
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int linear_map(struct da_device *dev, uint64_t off,
		      struct da_target *out, int max)
{
	const struct da_linear_seg *s = linear_find(dev->priv, off);
	if (!s || !s->target)
		return 0;
	if (max > 0)
		out[0] = (struct da_target){ s->target,
					     s->target_off + (off - s->start) };
	return 1;
}

static uint64_t linear_contiguous(struct da_device *dev, uint64_t off)
{
	const struct da_linear_seg *s = linear_find(dev->priv, off);
	return s ? s->len - (off - s->start) : 1;
}

static int linear_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	const struct da_linear_seg *s = linear_find(dev->priv, off);
	if (!s || !s->target) {
		*run = s ? s->len - (off - s->start) : 1;
		return 0;
	}
	int r = da_device_extent(s->target, s->target_off + (off - s->start),
				 run);
	uint64_t left = s->len - (off - s->start);
	if (r < 0 || *run == 0 || *run > left)
		*run = left;
	return r < 0 ? 1 : r;
}

static void linear_close(struct da_device *dev)
{
	struct linear_priv *p = dev->priv;
	for (size_t i = 0; i < p->n; i++)
		da_device_unref(p->segs[i].target);
	free(p->segs);
	free(p);
}

static const struct da_device_ops linear_ops = {
	.read = linear_read,
	.map_block = linear_map,
	.contiguous = linear_contiguous,
	.extent = linear_extent,
	.close = linear_close,
};

struct da_device *da_linear_device_new(const char *name, uint64_t size,
				       const struct da_linear_seg *segs,
				       size_t nsegs, da_error *err)
{
	uint64_t at = 0;
	if (!segs || nsegs == 0 || size == 0 || nsegs > (1u << 24)) {
		da_error_set(err, EINVAL, "%s: %zu segments for %llu bytes",
			     name, nsegs, (unsigned long long)size);
		return NULL;
	}
	for (size_t i = 0; i < nsegs; i++) {
		const struct da_linear_seg *s = &segs[i];
		if (s->start != at || s->len == 0 ||
		    !add_ok(at, s->len, &at) ||
		    (s->target && !range_ok(s->target_off, s->len,
					    s->target->size))) {
			da_error_set(err, EINVAL, "%s: segment %zu (%llu+%llu) "
				     "is out of order or does not fit its "
				     "device", name, i,
				     (unsigned long long)s->start,
				     (unsigned long long)s->len);
			return NULL;
		}
	}
	if (at != size) {
		da_error_set(err, EINVAL, "%s: segments cover %llu bytes, "
			     "not %llu", name, (unsigned long long)at,
			     (unsigned long long)size);
		return NULL;
	}
	struct linear_priv *p = da_xcalloc(1, sizeof(*p));
	p->segs = malloc(nsegs * sizeof(*p->segs));
	if (!p->segs) {
		free(p);
		da_error_set(err, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	memcpy(p->segs, segs, nsegs * sizeof(*segs));
	for (size_t i = 0; i < nsegs; i++)
		da_device_ref(p->segs[i].target);
	p->n = nsegs;
	return da_device_alloc(&linear_ops, name, size, p);
}

/* ---- striped device: chunk k on stripe k % n ---- */

struct striped_priv {
	uint64_t chunk;
	size_t n;
	struct da_device **stripes;
	uint64_t *offs;
};

/* Where off lands, and in *left how many bytes remain in its chunk (never
 * past the end of the device). */
static struct da_target striped_where(const struct da_device *dev,
				      uint64_t off, uint64_t *left)
{
	const struct striped_priv *p = dev->priv;
	uint64_t k = off / p->chunk, in = off % p->chunk;
	size_t s = (size_t)(k % p->n);
	*left = p->chunk - in;
	if (*left > dev->size - off)
		*left = dev->size - off;
	/* the constructor checked that this cannot overflow */
	return (struct da_target){ p->stripes[s],
				   p->offs[s] + (k / p->n) * p->chunk + in };
}

static int striped_read(struct da_device *dev, void *buf, size_t len,
			uint64_t off, da_error *err)
{
	uint8_t *b = buf;
	while (len > 0) {
		uint64_t left;
		struct da_target t = striped_where(dev, off, &left);
		size_t n = left < len ? (size_t)left : len;
		if (!t.dev)
			return da_error_set(err, ENXIO, "%s: offset %llu is "
					    "on a missing stripe", dev->name,
					    (unsigned long long)off);
		if (da_device_read(t.dev, b, n, t.offset, err) < 0)
			return -1;
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int striped_map(struct da_device *dev, uint64_t off,
		       struct da_target *out, int max)
{
	uint64_t left;
	struct da_target t = striped_where(dev, off, &left);
	if (!t.dev)
		return 0;
	if (max > 0)
		out[0] = t;
	return 1;
}

static uint64_t striped_contiguous(struct da_device *dev, uint64_t off)
{
	uint64_t left;
	striped_where(dev, off, &left);
	return left;
}

static int striped_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	uint64_t left;
	struct da_target t = striped_where(dev, off, &left);
	if (!t.dev) {
		*run = left;
		return 0;
	}
	int r = da_device_extent(t.dev, t.offset, run);
	if (r < 0 || *run == 0 || *run > left)
		*run = left;
	return r < 0 ? 1 : r;
}

static uint64_t stripe_need(uint64_t size, uint64_t chunk, size_t n,
			    size_t i);

static int striped_member(struct da_device *dev, size_t i,
			  struct da_target *at, uint64_t *len)
{
	const struct striped_priv *p = dev->priv;
	if (i >= p->n)
		return -1;
	if (!p->stripes[i])
		return 0;
	*at = (struct da_target){ p->stripes[i], p->offs[i] };
	*len = stripe_need(dev->size, p->chunk, p->n, i);
	return *len > 0;
}

/* Chunk row of stripe i is chunk row * n + i of the device. */
static int striped_unmap(struct da_device *dev, size_t i, uint64_t off,
			 uint64_t len, struct da_unmapped *u)
{
	const struct striped_priv *p = dev->priv;
	if (i >= p->n || off < p->offs[i])
		return -1;
	uint64_t rel = off - p->offs[i];
	uint64_t need = stripe_need(dev->size, p->chunk, p->n, i);
	if (rel >= need)
		return -1;
	uint64_t row = rel / p->chunk, in = rel % p->chunk;
	uint64_t rowbytes = p->chunk > UINT64_MAX / p->n ? UINT64_MAX
							 : p->n * p->chunk;
	u->what = 'D';
	u->off = (row * p->n + i) * p->chunk + in;
	u->run = p->chunk - in < need - rel ? p->chunk - in : need - rel;
	u->row_start = row ? row * rowbytes : 0;  /* row > 0: no overflow */
	u->row_end = dev->size - u->row_start < rowbytes ? dev->size
							   : u->row_start + rowbytes;
	u->data = len < need - rel ? len : need - rel;
	u->period = rowbytes == UINT64_MAX ? 0 : rowbytes;
	return 0;
}

static void striped_close(struct da_device *dev)
{
	struct striped_priv *p = dev->priv;
	for (size_t i = 0; i < p->n; i++)
		da_device_unref(p->stripes[i]);
	free(p->stripes);
	free(p->offs);
	free(p);
}

static const struct da_device_ops striped_ops = {
	.read = striped_read,
	.map_block = striped_map,
	.contiguous = striped_contiguous,
	.extent = striped_extent,
	.close = striped_close,
	.member = striped_member,
	.unmap = striped_unmap,
};

/* Bytes of stripe i that a striped device of size bytes uses: its chunks
 * are i, i+n, i+2n, ... and only the very last chunk may be partial. */
static uint64_t stripe_need(uint64_t size, uint64_t chunk, size_t n,
			    size_t i)
{
	uint64_t chunks = size / chunk + (size % chunk != 0);
	if (chunks <= i)
		return 0;
	uint64_t mine = (chunks - 1 - i) / n + 1;
	uint64_t last = i + (mine - 1) * n;       /* my last chunk */
	uint64_t tail = last == chunks - 1 && size % chunk ? size % chunk
							   : chunk;
	return (mine - 1) * chunk + tail;         /* <= size: no overflow */
}

struct da_device *da_striped_device_new(const char *name, uint64_t size,
					uint64_t stripe_size, size_t nstripes,
					struct da_device *const *stripes,
					const uint64_t *stripe_off,
					da_error *err)
{
	if (stripe_size == 0 || nstripes == 0 || nstripes > 1024 ||
	    size == 0 || !stripes) {
		da_error_set(err, EINVAL, "%s: bad striping (%zu stripes of "
			     "%llu bytes)", name, nstripes,
			     (unsigned long long)stripe_size);
		return NULL;
	}
	/* every present stripe must hold exactly its share of the chunks */
	for (size_t i = 0; i < nstripes; i++) {
		uint64_t off = stripe_off ? stripe_off[i] : 0;
		uint64_t need = stripe_need(size, stripe_size, nstripes, i);
		if (stripes[i] && !range_ok(off, need, stripes[i]->size)) {
			da_error_set(err, EINVAL, "%s: stripe %zu (%llu bytes "
				     "at %llu) does not fit in %s (%llu "
				     "bytes)", name, i,
				     (unsigned long long)need,
				     (unsigned long long)off, stripes[i]->name,
				     (unsigned long long)stripes[i]->size);
			return NULL;
		}
	}
	struct striped_priv *p = da_xcalloc(1, sizeof(*p));
	p->chunk = stripe_size;
	p->n = nstripes;
	p->stripes = da_xcalloc(nstripes, sizeof(*p->stripes));
	p->offs = da_xcalloc(nstripes, sizeof(*p->offs));
	for (size_t i = 0; i < nstripes; i++) {
		p->stripes[i] = da_device_ref(stripes[i]);
		p->offs[i] = stripe_off ? stripe_off[i] : 0;
	}
	return da_device_alloc(&striped_ops, name, size, p);
}

/* ---- mirror device: identical copies ---- */

struct mirror_priv {
	size_t n;
	struct da_device **copies;
	uint64_t *offs;
};

/* Reads come from the first present copy; a failing copy falls through
 * to the next, and the last failure is the one reported. */
static int mirror_read(struct da_device *dev, void *buf, size_t len,
		       uint64_t off, da_error *err)
{
	struct mirror_priv *p = dev->priv;
	bool tried = false;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->copies[i])
			continue;
		if (da_device_read(p->copies[i], buf, len, p->offs[i] + off,
				   err) == 0)
			return 0;
		tried = true;
	}
	if (tried)
		return -1;
	return da_error_set(err, ENXIO, "%s: offset %llu: no copy present",
			    dev->name, (unsigned long long)off);
}

static int mirror_map(struct da_device *dev, uint64_t off,
		      struct da_target *out, int max)
{
	struct mirror_priv *p = dev->priv;
	int n = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->copies[i])
			continue;
		if (n < max)
			out[n] = (struct da_target){ p->copies[i],
						     p->offs[i] + off };
		n++;
	}
	return n;
}

static uint64_t mirror_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

/* What the first present copy says (that is where reads come from). */
static int mirror_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct mirror_priv *p = dev->priv;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->copies[i])
			continue;
		int r = da_device_extent(p->copies[i], p->offs[i] + off, run);
		if (r < 0 || *run == 0 || *run > dev->size - off)
			*run = dev->size - off;
		return r < 0 ? 1 : r;
	}
	*run = dev->size - off;
	return 0;
}

static void mirror_close(struct da_device *dev)
{
	struct mirror_priv *p = dev->priv;
	for (size_t i = 0; i < p->n; i++)
		da_device_unref(p->copies[i]);
	free(p->copies);
	free(p->offs);
	free(p);
}

static const struct da_device_ops mirror_ops = {
	.read = mirror_read,
	.map_block = mirror_map,
	.contiguous = mirror_contiguous,
	.extent = mirror_extent,
	.close = mirror_close,
};

struct da_device *da_mirror_device_new(const char *name, uint64_t size,
				       size_t ncopies,
				       struct da_device *const *copies,
				       const uint64_t *copy_off, da_error *err)
{
	if (ncopies == 0 || ncopies > 64 || size == 0 || !copies) {
		da_error_set(err, EINVAL, "%s: bad mirror (%zu copies)", name,
			     ncopies);
		return NULL;
	}
	for (size_t i = 0; i < ncopies; i++) {
		uint64_t off = copy_off ? copy_off[i] : 0;
		if (copies[i] && !range_ok(off, size, copies[i]->size)) {
			da_error_set(err, EINVAL, "%s: copy %zu (%llu bytes at "
				     "%llu) does not fit in %s (%llu bytes)",
				     name, i, (unsigned long long)size,
				     (unsigned long long)off, copies[i]->name,
				     (unsigned long long)copies[i]->size);
			return NULL;
		}
	}
	struct mirror_priv *p = da_xcalloc(1, sizeof(*p));
	p->n = ncopies;
	p->copies = da_xcalloc(ncopies, sizeof(*p->copies));
	p->offs = da_xcalloc(ncopies, sizeof(*p->offs));
	for (size_t i = 0; i < ncopies; i++) {
		p->copies[i] = da_device_ref(copies[i]);
		p->offs[i] = copy_off ? copy_off[i] : 0;
	}
	return da_device_alloc(&mirror_ops, name, size, p);
}
