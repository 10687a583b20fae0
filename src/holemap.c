/* The hole map of a disk: which bytes were never written (a sparse
 * file's holes, a qcow2's unallocated clusters), asked of the device's
 * extent op once and kept.  The image is opened read-only, so what was
 * learnt stays true.  It is learnt lazily as a prefix: a question about
 * [a, b) walks the extents from where the last walk stopped up to b, one
 * extent op call per data or hole run, so a sparse 2 TiB file costs a few
 * calls however far into it the map looks.  Answers are then a binary
 * search over the data runs and a difference of prefix sums.  A caller
 * that must not wait for a long walk (the explorer draws a frame in a
 * few milliseconds; a 16 TiB image may hold tens of thousands of runs)
 * learns the map ahead a bounded step at a time (da_device_holes_learn).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdlib.h>

#include "util.h"

/* 16 bytes a run: 2^22 runs is 64 MiB.  A file more fragmented than that
 * is answered without the cache, by the old bounded walk. */
#define MAX_RUNS (1u << 22)

struct da_holemap {
	uint64_t *start, *end;     /* data runs, sorted, merged */
	uint64_t *before;          /* data bytes before run i */
	size_t n, cap;
	uint64_t known;            /* [0, known) has been walked */
	bool overflow;
};

/* Summaries may be asked from more than one thread (the explorer draws
 * while its index builds): one lock for every map; it is never held
 * across anything but the walk. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool push_data(struct da_holemap *h, uint64_t s, uint64_t e)
{
	if (h->n && h->end[h->n - 1] == s) {
		h->end[h->n - 1] = e;
		return true;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		if (cap > MAX_RUNS)
			return false;
		uint64_t *a = realloc(h->start, cap * sizeof(*a));
		if (!a)
			return false;
		h->start = a;
		uint64_t *b = realloc(h->end, cap * sizeof(*b));
		if (!b)
			return false;
		h->end = b;
		uint64_t *c = realloc(h->before, cap * sizeof(*c));
		if (!c)
			return false;
		h->before = c;
		h->cap = cap;
	}
	h->before[h->n] = h->n ? h->before[h->n - 1] +
				 (h->end[h->n - 1] - h->start[h->n - 1]) : 0;
	h->start[h->n] = s;
	h->end[h->n] = e;
	h->n++;
	return true;
}

/* Walk the extents on to at least upto, in at most calls extent calls. */
static void learn(struct da_device *dev, struct da_holemap *h, uint64_t upto,
		  uint64_t calls)
{
	for (; calls > 0 && h->known < upto && h->known < dev->size &&
	       !h->overflow; calls--) {
		uint64_t run = 0;
		int data = da_device_extent(dev, h->known, &run);
		if (data < 0 || run == 0)
			run = dev->size - h->known;   /* unreadable: data */
		if (data != 0 && !push_data(h, h->known, h->known + run)) {
			h->overflow = true;
			return;
		}
		h->known += run;
	}
}

/* Data bytes in [0, x), x <= known. */
static uint64_t data_below(const struct da_holemap *h, uint64_t x)
{
	size_t lo = 0, hi = h->n;      /* first run that starts at or past x */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->start[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	size_t i = lo - 1;
	uint64_t e = h->end[i] < x ? h->end[i] : x;
	return h->before[i] + (e - h->start[i]);
}

/* The uncached answer: at most 64 extent calls, as before the map. */
static uint64_t walk_holes(struct da_device *dev, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, hole = 0;
	for (int guard = 0; off < end && guard < 64; guard++) {
		uint64_t run = 0;
		int data = da_device_extent(dev, off, &run);
		if (data < 0 || run == 0)
			break;
		if (run > end - off)
			run = end - off;
		if (data == 0)
			hole += run;
		off += run;
	}
	return hole;
}

uint64_t da_device_hole_bytes(struct da_device *dev, uint64_t off,
			      uint64_t len, bool cached)
{
	if (off >= dev->size || !len || !dev->ops->extent)
		return 0;
	if (len > dev->size - off)
		len = dev->size - off;
	if (!cached)
		return walk_holes(dev, off, len);
	uint64_t hole = 0;
	pthread_mutex_lock(&lock);
	if (!dev->holes)
		dev->holes = calloc(1, sizeof(*dev->holes));
	struct da_holemap *h = dev->holes;
	if (h)
		learn(dev, h, off + len, UINT64_MAX);
	bool ok = h && !h->overflow;
	if (ok)
		hole = len - (data_below(h, off + len) - data_below(h, off));
	pthread_mutex_unlock(&lock);
	return ok ? hole : walk_holes(dev, off, len);
}

bool da_device_holes_learn(struct da_device *dev, unsigned calls)
{
	if (!dev->ops->extent)
		return true;
	pthread_mutex_lock(&lock);
	if (!dev->holes)
		dev->holes = calloc(1, sizeof(*dev->holes));
	struct da_holemap *h = dev->holes;
	if (h)
		learn(dev, h, dev->size, calls);
	/* without a map (no memory, too many runs) answers walk a few
	 * extents a cell, as before: nothing more to learn */
	bool done = !h || h->overflow || h->known >= dev->size;
	pthread_mutex_unlock(&lock);
	return done;
}

void da_holemap_free(struct da_holemap *h)
{
	if (!h)
		return;
	free(h->start);
	free(h->end);
	free(h->before);
	free(h);
}
