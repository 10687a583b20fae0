/* The file index's runs put in order of start, and the pass over them
 * that finds where they overlap (fileindex.c's finish calls it once the
 * runs are all added): an in-place sort where they came nearly in order,
 * else a radix sort that scans each bucket as it is done.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex_inplace.h"
#include "fileindex_priv.h"

/* By start, then by file (ctx: the index, where the files are). */
static int cmp_run(const void *a, const void *b, const void *ctx)
{
	const struct fi_run *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	uint32_t fx = fi_rest(ctx, x)->file, fy = fi_rest(ctx, y)->file;
	return fx < fy ? -1 : fx > fy;
}

/* One pass over the sorted runs: see struct fi_scan. */
static void scan_upto(struct fi_scan *sc, size_t end)
{
	struct da_fileindex *x = sc->x;
	uint64_t m = sc->m;
	size_t na = sc->na;
	for (size_t i = sc->i; i < end; i++) {
		const struct fi_run *r = &x->runs[i];
		uint64_t r_end = fi_end(x, r);
		if (i % FI_TOP == 0)
			x->top[i / FI_TOP] = r->start;
		if (r->start >= m) {
			/* past the end of every run before it (most are):
			 * nothing to compare */
			m = r_end;
			sc->active[0] = (uint32_t)i;
			na = 1;
			continue;
		}
		sc->overlaps = true;
		if (r_end > m)
			m = r_end;
		size_t k = 0;
		struct fi_rest *rt = &x->rest[r->at & FI_AT];
		for (size_t j = 0; j < na; j++) {
			const struct fi_run *a = &x->runs[sc->active[j]];
			uint64_t a_end = fi_end(x, a);
			if (a_end <= r->start)
				continue;  /* ended: drop */
			sc->active[k++] = sc->active[j];
			struct fi_rest *at = &x->rest[a->at & FI_AT];
			if (at->file == rt->file)
				continue;
			uint64_t e = a_end < r_end ? a_end : r_end;
			if ((at->flags & DA_RUN_SHARED) &&
			    (rt->flags & DA_RUN_SHARED)) {
				x->shared_bytes += e - r->start;
			} else {
				at->flags |= DA_RUN_CONFLICT;
				rt->flags |= DA_RUN_CONFLICT;
				x->conflict_bytes += e - r->start;
			}
		}
		na = k;
		if (na < FI_ACTIVE)
			sc->active[na++] = (uint32_t)i;
		else
			sc->capped = true;
	}
	sc->m = m;
	sc->na = na;
	if (end > sc->i)
		sc->i = end;
}

/* Runs far from disk order (a fragmented filesystem: files interleaved
 * on the disk come file by file) by an in-place radix sort on the start
 * (RADIX_BITS a pass from the highest bit that differs, each item
 * swapped into its bucket in place), buckets that fit in
 * the cache by their low digits (sort_small), buckets of a few by
 * comparison: linear where the introsort was n log n.  13 bits: 8192
 * buckets of about 128 runs for a million runs over 12 GiB, sorted in
 * the first level of the cache (11 bits were 2.5 ms slower there). */
#define RADIX_BITS FI_HIST_BITS
#define RADIX_SMALL 24
/* the rounds of swaps before chains place the rest (a variable: the
 * tests run the chains from a half-placed table with fewer) */
int fi_radix_rounds = 40;

/* A bucket that fits in the cache (at most RADIX_LSD runs), by radix
 * from its starts' lowest digit, through tmp: each pass is a count and a
 * copy, where the recursion below made a thousand buckets of one or two
 * for it and visited each (two thirds of the sort of a million runs).
 * Its starts differ in bits [low, low + bits) of start - base only (the
 * bits above are the bucket's).  Stable: runs of one start keep their
 * order, and where some tie an insertion sort puts them by file. */
#define RADIX_LSD 8192

static void sort_small(const struct da_fileindex *x, struct fi_run *v,
		       size_t n, uint64_t base, int low, int bits,
		       struct fi_run *tmp)
{
	int passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
	int digit = passes ? (bits + passes - 1) / passes : 0;
	struct fi_run *src = v, *dst = tmp;
	uint32_t count[1 << RADIX_BITS];
	for (int p = 0; p < passes; p++) {
		int shift = low + p * digit;
		size_t nb = (size_t)1 << digit, mask = nb - 1;
		memset(count, 0, nb * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[((src[i].start - base) >> shift) & mask]++;
		uint32_t at = 0;
		for (size_t b = 0; b < nb; b++) {
			uint32_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[((src[i].start - base) >> shift) & mask]++] =
				src[i];
		struct fi_run *t = src;
		src = dst;
		dst = t;
	}
	/* in order of start now; runs of one start (rare) by file */
	bool tie = false;
	for (size_t i = 0; i < n; i++) {
		if (src != v)
			v[i] = src[i];
		tie |= i && src[i].start == src[i - 1].start;
	}
	if (tie)
		insertion_sort((char *)v, n, sizeof(*v), cmp_run, x);
}

static void radix_runs(const struct da_fileindex *x, struct fi_run *v,
		       size_t n, uint64_t base, int low, int bits_left,
		       struct fi_scan *sc, size_t pos, struct fi_run *tmp,
		       const uint32_t *counted)
{
	if (n <= RADIX_SMALL || bits_left <= 0) {
		int depth = 0;
		for (size_t k = n; k; k >>= 1)
			depth += 2;
		intro_sort((char *)v, n, sizeof(*v), cmp_run, x, depth);
		if (sc)
			scan_upto(sc, pos + n);
		return;
	}
	/* no more buckets than items: a bucket's counts are cleared and
	 * scanned whether it holds anything or not */
	int bits = 1;
	while (bits < RADIX_BITS && ((size_t)1 << bits) < n)
		bits++;
	if (bits > bits_left)
		bits = bits_left;
	int shift = bits_left - bits;
	size_t nb = (size_t)1 << bits, mask = nb - 1;
	uint32_t count[1 << RADIX_BITS], head[1 << RADIX_BITS],
		end[1 << RADIX_BITS];
	if (counted) {
		memcpy(count, counted, nb * sizeof(*count));
	} else {
		memset(count, 0, nb * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[((v[i].start - base) >> (low + shift)) & mask]++;
	}
	uint32_t at = 0;
	for (size_t b = 0; b < nb; b++) {
		head[b] = at;
		at += count[b];
		end[b] = at;
		if (count[b] == n) {
			/* one bucket holds all: on to the next bits */
			radix_runs(x, v, n, base, low, shift, sc, pos, tmp,
				   NULL);
			return;
		}
	}
	/* Each bucket's slots not yet placed, [head[b], end[b]), are walked
	 * in order: each run there is swapped with the next free slot of
	 * its bucket (placed for good), and what comes back waits for the
	 * next round.  The slots the swaps reach are independent of each
	 * other, so their cache misses overlap, where a chain of moves
	 * (each destination read from the run the last one displaced)
	 * waited on them one by one: a million runs of f, 1.4 ms less.
	 * Every swap places one run; the unplaced about halve a round (15
	 * rounds for f), and past fi_radix_rounds the chains place the rest,
	 * so that no order of runs makes rounds of a few swaps each. */
	bool more = true;
	for (int round = 0; more && round < fi_radix_rounds; round++) {
		more = false;
		for (size_t b = 0; b < nb; b++) {
			size_t i = head[b], e = end[b];
			for (; i < e; i++) {
				size_t d = ((v[i].start - base) >>
					    (low + shift)) & mask;
				size_t to = head[d]++;
				struct fi_run t = v[to];
				v[to] = v[i];
				v[i] = t;
			}
			if (head[b] < end[b])
				more = true;
		}
	}
	for (size_t b = 0; more && b < nb; b++)
		while (head[b] < end[b]) {
			struct fi_run r = v[head[b]];
			size_t d = ((r.start - base) >> (low + shift)) & mask;
			while (d != b) {
				struct fi_run o = v[head[d]];
				v[head[d]++] = r;
				r = o;
				d = ((r.start - base) >> (low + shift)) & mask;
			}
			v[head[b]++] = r;
		}
	for (size_t b = 0, first = 0; b < nb; first += count[b++]) {
		if (count[b] > RADIX_SMALL && count[b] <= RADIX_LSD && tmp)
			sort_small(x, v + first, count[b], base, low, shift,
				   tmp);
		else if (count[b] > 1)
			radix_runs(x, v + first, count[b], base, low, shift,
				   sc, pos + first, tmp, NULL);
		if (sc)
			scan_upto(sc, pos + first + count[b]);
	}
}

/* The zero bits below the lowest set bit of every start or'ed (a
 * block's bytes sort nothing); 63 at most. */
static int low_zeros(uint64_t ored)
{
	return __builtin_ctzll(ored | (uint64_t)1 << 63);
}

/* The range of the starts: the lowest, the low zero bits, the bits that
 * vary. */
static void runs_span(const struct fi_run *v, size_t n, uint64_t *base,
		      int *lowp, int *bitsp)
{
	uint64_t lo = UINT64_MAX, hi = 0, ored = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].start < lo)
			lo = v[i].start;
		if (v[i].start > hi)
			hi = v[i].start;
		ored |= v[i].start;
	}
	int low = low_zeros(ored);
	while (low > 0 && (lo & (((uint64_t)1 << low) - 1)))
		low--;
	int bits = 0;
	for (uint64_t span = (hi - lo) >> low; span; span >>= 1)
		bits++;
	*base = lo;
	*lowp = low;
	*bitsp = bits;
}

/* All of x's runs by radix, each bucket scanned as it is sorted where sc
 * is given.  The first digit is the one counted as runs were added
 * (start >> shift, below 1 << RADIX_BITS) where there is that count,
 * else the starts' span is found first. */
static void radix_all(const struct da_fileindex *x, struct fi_scan *sc)
{
	struct fi_run *v = x->runs, *tmp = fi_malloc(RADIX_LSD * sizeof(*tmp));
	size_t n = x->nruns;
	const struct fi_order *o = &x->order;
	int low = low_zeros(o->ored);
	if (n >= (1u << RADIX_BITS) && x->count && o->shift >= low) {
		radix_runs(x, v, n, 0, low, o->shift - low + RADIX_BITS, sc, 0,
			   tmp, x->count);
	} else {
		uint64_t base;
		int bits;
		runs_span(v, n, &base, &low, &bits);
		radix_runs(x, v, n, base, low, bits, sc, 0, tmp, NULL);
	}
	free(tmp);
}

/* For sort_in_place: v and n are all of ctx's runs (fi_sort_runs). */
static void sort_runs_far(void *v, size_t n, const void *ctx)
{
	(void)v, (void)n;
	radix_all(ctx, NULL);
}

/* Sort x's runs by start and scan them (scan_upto).  Far from order (more
 * than an eighth start below a run before them: files interleaved on the
 * disk, each in order) the radix sort scans each bucket as it is done,
 * and the in-place sort's test for a few out of place (a pass and a table
 * aside before it gives up) is not made. */
void fi_sort_runs(struct da_fileindex *x, struct fi_scan *sc)
{
	size_t n = x->nruns;
	const struct fi_order *o = &x->order;
	if (!o->unsorted) {
		/* nothing to move (most come so) */
	} else if (n > 16 && o->behind > n / 8) {
		radix_all(x, sc);
	} else {
		sort_in_place(x->runs, n, sizeof(*x->runs), cmp_run, x,
			      sort_runs_far);
	}
	scan_upto(sc, n);
}
