/* Used/free bitmaps stored as sorted runs of set bits, with prefix sums so
 * that "how many set in [a, b)" is two binary searches.  Memory grows with
 * the number of runs, not with the size of the filesystem.
 *
 * Invariant after da_bitmap_finish: runs sorted by start, non-empty, not
 * overlapping and not touching (adjacent runs are merged), all inside
 * [0, nbits); before[i] is the number of set bits in runs[0..i-1].
 * count and test finish a bitmap lazily when runs were added since: a
 * bitmap shared between threads must be finished before it is shared.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "util.h"

struct run {
	uint64_t start, len;
};

struct da_bitmap {
	uint64_t nbits;
	struct run *runs;
	uint64_t *before;          /* set bits before runs[i] */
	size_t n, cap;
	bool dirty;                /* runs appended since the last finish */
};

struct da_bitmap *da_bitmap_new(uint64_t nbits)
{
	struct da_bitmap *b = calloc(1, sizeof(*b));
	if (b)
		b->nbits = nbits;
	return b;
}

int da_bitmap_set_run(struct da_bitmap *b, uint64_t start, uint64_t len)
{
	if (start >= b->nbits || len == 0)
		return 0;
	if (len > b->nbits - start)
		len = b->nbits - start;
	/* extend the last run when runs arrive in order (the common case) */
	if (b->n && !b->dirty) {
		struct run *last = &b->runs[b->n - 1];
		if (start >= last->start && start <= last->start + last->len) {
			uint64_t end = start + len;
			if (end > last->start + last->len)
				last->len = end - last->start;
			free(b->before);
			b->before = NULL;
			return 0;
		}
		if (start < last->start)
			b->dirty = true;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct run *r = realloc(b->runs, cap * sizeof(*r));
		if (!r)
			return -1;
		b->runs = r;
		b->cap = cap;
	}
	b->runs[b->n++] = (struct run){ start, len };
	free(b->before);
	b->before = NULL;
	return 0;
}

static int cmp_run(const void *x, const void *y)
{
	const struct run *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

void da_bitmap_finish(struct da_bitmap *b)
{
	if (b->dirty) {
		da_sort(b->runs, b->n, sizeof(*b->runs), cmp_run);
		size_t k = 0;
		for (size_t i = 0; i < b->n; i++) {
			struct run r = b->runs[i];
			if (k && r.start <= b->runs[k - 1].start +
						     b->runs[k - 1].len) {
				uint64_t end = r.start + r.len;
				struct run *l = &b->runs[k - 1];
				if (end > l->start + l->len)
					l->len = end - l->start;
			} else {
				b->runs[k++] = r;
			}
		}
		b->n = k;
		b->dirty = false;
	}
	/* give back what the merge freed: memory tracks the runs */
	if (b->cap > b->n + b->n / 8 + 16) {
		size_t cap = b->n ? b->n : 1;
		struct run *r = realloc(b->runs, cap * sizeof(*r));
		if (r) {
			b->runs = r;
			b->cap = cap;
		}
	}
	if (!b->before) {
		b->before = malloc((b->n + 1) * sizeof(*b->before));
		if (!b->before)
			return;
		uint64_t sum = 0;
		for (size_t i = 0; i < b->n; i++) {
			b->before[i] = sum;
			sum += b->runs[i].len;
		}
		b->before[b->n] = sum;
	}
}

uint64_t da_bitmap_size(const struct da_bitmap *b)
{
	return b->nbits;
}

/* set bits in [0, x) */
static uint64_t count_below(const struct da_bitmap *b, uint64_t x)
{
	/* first run starting at or after x */
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->runs[mid].start < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct run *r = &b->runs[lo - 1];
	uint64_t in = x - r->start < r->len ? x - r->start : r->len;
	if (b->before)
		return b->before[lo - 1] + in;
	/* the prefix sums could not be allocated: slow but right */
	uint64_t sum = in;
	for (size_t i = 0; i + 1 < lo; i++)
		sum += b->runs[i].len;
	return sum;
}

uint64_t da_bitmap_count(const struct da_bitmap *b, uint64_t start,
			 uint64_t len)
{
	if (b->dirty || !b->before)
		da_bitmap_finish((struct da_bitmap *)b);
	if (start >= b->nbits)
		return 0;
	if (len > b->nbits - start)
		len = b->nbits - start;
	return count_below(b, start + len) - count_below(b, start);
}

bool da_bitmap_test(const struct da_bitmap *b, uint64_t bit)
{
	return da_bitmap_count(b, bit, 1) == 1;
}

uint64_t da_bitmap_bytes_set(const struct da_bitmap *b, uint64_t off,
			     uint64_t len, uint64_t unit)
{
	if (!len || !unit)
		return 0;
	uint64_t k0 = off / unit, k1 = (off + len - 1) / unit;
	if (k0 == k1)
		return da_bitmap_test(b, k0) ? len : 0;
	uint64_t head = (k0 + 1) * unit - off, tail = off + len - k1 * unit;
	uint64_t r = (da_bitmap_test(b, k0) ? head : 0) +
		     (da_bitmap_test(b, k1) ? tail : 0);
	if (k1 > k0 + 1)
		r += da_bitmap_count(b, k0 + 1, k1 - k0 - 1) * unit;
	return r;
}

size_t da_bitmap_runs(const struct da_bitmap *b)
{
	return b->n;
}

size_t da_bitmap_memory(const struct da_bitmap *b)
{
	return sizeof(*b) + b->cap * sizeof(*b->runs) +
	       (b->before ? (b->n + 1) * sizeof(*b->before) : 0);
}

void da_bitmap_free(struct da_bitmap *b)
{
	if (!b)
		return;
	free(b->runs);
	free(b->before);
	free(b);
}
