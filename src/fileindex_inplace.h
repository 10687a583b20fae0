/* The in-place sort of the file index's tables (fileindex.c's orders of
 * the files and names, fileindex_sort.c's runs): in a header so that each
 * table's sort is made with its element size and comparison as
 * constants.  Only for those two files.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FILEINDEX_INPLACE_H
#define DA_FILEINDEX_INPLACE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex_priv.h"

/* An introsort of our own: quicksort with a median of three, heapsort
 * past a depth of 2 log n, insertion sort for short ranges.  In place
 * (glibc's qsort copies the whole table first: as much memory again as
 * the runs), and with a context argument, which C11's qsort lacks. */
typedef int (*fi_cmp)(const void *a, const void *b, const void *ctx);

#define SORT_MAX_SIZE 64           /* the largest element sorted */
/* inlined into a sort of each table (below), where the element size and
 * the comparison are constants: several times faster than through
 * pointers */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE void swap_items(char *a, char *b, size_t size)
{
	char t[SORT_MAX_SIZE];
	memcpy(t, a, size);
	memcpy(a, b, size);
	memcpy(b, t, size);
}

static ALWAYS_INLINE void
sift_down(char *v, size_t root, size_t n, size_t size, fi_cmp cmp,
	  const void *ctx)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && cmp(v + c * size, v + (c + 1) * size, ctx) < 0)
			c++;
		if (cmp(v + root * size, v + c * size, ctx) >= 0)
			return;
		swap_items(v + root * size, v + c * size, size);
		root = c;
	}
}

static ALWAYS_INLINE void
heap_sort(char *v, size_t n, size_t size, fi_cmp cmp, const void *ctx)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n, size, cmp, ctx);
	for (size_t end = n; end-- > 1;) {
		swap_items(v, v + end * size, size);
		sift_down(v, 0, end, size, cmp, ctx);
	}
}

static ALWAYS_INLINE void
insertion_sort(char *v, size_t n, size_t size, fi_cmp cmp, const void *ctx)
{
	char t[SORT_MAX_SIZE];
	for (size_t i = 1; i < n; i++) {
		if (cmp(v + (i - 1) * size, v + i * size, ctx) <= 0)
			continue;
		memcpy(t, v + i * size, size);
		size_t j = i;
		while (j > 0 && cmp(v + (j - 1) * size, t, ctx) > 0) {
			memcpy(v + j * size, v + (j - 1) * size, size);
			j--;
		}
		memcpy(v + j * size, t, size);
	}
}

static ALWAYS_INLINE void
intro_sort(char *v, size_t n, size_t size, fi_cmp cmp, const void *ctx,
	   int depth)
{
	/* the larger side waits on a stack, the smaller is sorted first:
	 * at most log2(n) entries */
	struct {
		char *v;
		size_t n;
		int depth;
	} stack[64];
	int sp = 0;
	char pivot[SORT_MAX_SIZE];
	for (;;) {
		while (n > 16) {
			if (depth-- <= 0) {
				heap_sort(v, n, size, cmp, ctx);
				n = 0;
				break;
			}
			/* the median of the first, middle and last */
			char *a = v, *m = v + n / 2 * size;
			char *z = v + (n - 1) * size;
			if (cmp(m, a, ctx) < 0)
				swap_items(m, a, size);
			if (cmp(z, m, ctx) < 0) {
				swap_items(z, m, size);
				if (cmp(m, a, ctx) < 0)
					swap_items(m, a, size);
			}
			memcpy(pivot, m, size);
			/* Hoare's partition: [0, j] <= pivot <= [j+1, n) */
			size_t i = 0, j = n - 1;
			for (;;) {
				while (cmp(v + i * size, pivot, ctx) < 0)
					i++;
				while (cmp(v + j * size, pivot, ctx) > 0)
					j--;
				if (i >= j)
					break;
				swap_items(v + i * size, v + j * size, size);
				i++;
				j--;
			}
			size_t left = j + 1, right = n - left;
			char *rv = v + left * size;
			if (left < right) {
				stack[sp].v = rv;
				stack[sp].n = right;
				stack[sp++].depth = depth;
				n = left;
			} else {
				stack[sp].v = v;
				stack[sp].n = left;
				stack[sp++].depth = depth;
				v = rv;
				n = right;
			}
		}
		insertion_sort(v, n, size, cmp, ctx);
		if (sp == 0)
			return;
		sp--;
		v = stack[sp].v;
		n = stack[sp].n;
		depth = stack[sp].depth;
	}
}

/* A table in order but for a few items out of place (the runs of
 * extent-tree blocks among a file's data): those are set aside (at most
 * an eighth of the table), sorted, and merged back from the end.  false
 * when there are too many, the table then unchanged as a set. */
static ALWAYS_INLINE bool
sort_nearly(char *v, size_t n, size_t size, fi_cmp cmp, const void *ctx)
{
	size_t cap = n / 8, w = 0, k = 0;
	char *aside = cap ? fi_malloc(cap * size) : NULL;
	if (!aside)
		return false;
	for (size_t i = 0; i < n; i++) {
		char *cur = v + i * size;
		/* below what is kept, or a spike above a next item that
		 * continues what is kept */
		bool out = (w && cmp(v + (w - 1) * size, cur, ctx) > 0) ||
			   (i + 1 < n && cmp(cur, cur + size, ctx) > 0 &&
			    (!w || cmp(v + (w - 1) * size, cur + size, ctx) <= 0));
		if (!out) {
			if (w != i)
				memcpy(v + w * size, cur, size);
			w++;
			continue;
		}
		if (k == cap) {
			/* too many: put them back (w + k == i) and give up */
			memcpy(v + w * size, aside, k * size);
			free(aside);
			return false;
		}
		memcpy(aside + k++ * size, cur, size);
	}
	intro_sort(aside, k, size, cmp, ctx, 64);
	/* merge from the end: the gap is at the end of v */
	size_t a = w, b = k, o = n;
	while (b > 0) {
		if (a > 0 && cmp(v + (a - 1) * size, aside + (b - 1) * size,
				 ctx) > 0) {
			memcpy(v + --o * size, v + --a * size, size);
		} else {
			memcpy(v + --o * size, aside + --b * size, size);
		}
	}
	free(aside);
	return true;
}

/* What sorts a table far from order (NULL: the introsort). */
typedef void (*fi_sort_far)(void *v, size_t n, const void *ctx);

static ALWAYS_INLINE void
sort_in_place(void *v, size_t n, size_t size, fi_cmp cmp, const void *ctx,
	      fi_sort_far far)
{
	if (n < 2)
		return;
	int depth = 0;
	for (size_t k = n; k; k >>= 1)
		depth += 2;
	/* already in order (runs often come so): one pass */
	char *c = v;
	size_t i = 1;
	while (i < n && cmp(c + (i - 1) * size, c + i * size, ctx) <= 0)
		i++;
	if (i == n)
		return;
	if (n - i > 16) {
		if (sort_nearly(v, n, size, cmp, ctx))
			return;
		if (far)
			far(v, n, ctx);
		else
			intro_sort(v, n, size, cmp, ctx, depth);
		return;
	}
	/* in order but for a few added last (ext's reserved inodes): each
	 * goes where a binary search puts it */
	char t[SORT_MAX_SIZE];
	for (; i < n; i++) {
		size_t lo = 0, hi = i;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp(c + mid * size, c + i * size, ctx) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == i)
			continue;
		memcpy(t, c + i * size, size);
		memmove(c + (lo + 1) * size, c + lo * size, (i - lo) * size);
		memcpy(c + lo * size, t, size);
	}
}


#endif
