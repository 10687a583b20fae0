/* The shared file index (see fileindex.h for the contract).
 *
 * Storage: runs sorted by start, with a prefix maximum of their ends (and
 * which run reaches that far), so that the runs holding a byte are found
 * with one binary search and, where runs overlap, a short walk back; the
 * files in the order given, with an order by id unless they came so; the
 * names in the order given, with a second order by file; a second order
 * of the runs by file, made when first asked for.  44 bytes a run (32
 * for the run, 12 for the prefix maximum; 4 more once the order by file
 * is made), sorted in place; 24 bytes a file, 16 a name and its text.
 * The tables are sized from the plugin's estimate (da_fi_reserve) where it
 * gives one, and past 1 MiB grow in place in a mapping (map_table), never
 * by copying.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fileindex.h"
#include "util.h"

/* Bounds on what a hostile filesystem can make us hold. */
#define FI_MAX_FILES (64u << 20)
#define FI_MAX_RUNS (64u << 20)
#define FI_MAX_NAMES (64u << 20)
#define FI_MAX_NAME_BYTES (1u << 31)
#define FI_MAX_DEPTH 4096          /* directories above a file */
#define FI_WALK 4096               /* runs walked back over an overlap */
#define FI_ACTIVE 4096             /* overlapping runs checked at once */
#define FI_TOP 16                  /* runs a top-level search entry */

/* A file's names are byname[name_first, next file's name_first), its runs
 * byfile[run_first[file], run_first[file + 1]): files[nfiles] closes the
 * names, run_first[nfiles] the runs.  24 bytes a file. */
struct fi_file {
	uint64_t id;
	uint64_t size;
	uint32_t name_first;
	uint8_t kind;
	uint8_t flags;             /* DA_FILE_* */
};

/* 16 bytes a name: while building, its file's id (its directory's is in
 * the dirs table: a directory's names come together); once published,
 * file numbers. */
struct fi_name {
	union {
		uint64_t id;               /* while building */
		struct {
			uint32_t file, parent;    /* once published */
		} p;
	};
	uint32_t at;               /* into text */
	uint32_t len;
};

/* While building: names [first, next's first) are in directory id. */
struct fi_dir {
	uint64_t id;
	size_t first;
};

struct da_fileindex {
	bool ci;
	struct fi_file *files;
	size_t nfiles, capfiles;
	uint32_t *by_id;           /* file numbers sorted by id (NULL: the
				      files came in id order) */
	size_t map_by_id;
	struct fi_name *names;     /* in the order given */
	size_t nnames, capnames;
	uint32_t *byname;          /* name numbers by file, each file's in
				      the order given (the first is the one
				      its children's paths use) */
	size_t map_byname;
	struct fi_dir *dirs;       /* while building */
	size_t ndirs, capdirs, map_dirs;
	size_t hint_files, hint_runs;  /* da_fi_reserve's */
	/* bytes of the mapping a table lives in (0: it was malloc'd) */
	size_t map_files, map_names, map_text, map_runs;
	char *text;
	size_t ntext, captext;
	struct da_fi_run *runs;
	size_t nruns, capruns;
	uint64_t *maxend;          /* max end of runs[0..i] */
	uint32_t *maxrun;          /* which run reaches it (in maxend's
				      table, of map_maxend bytes) */
	size_t map_maxend;
	uint64_t *top;             /* the start of every FI_TOP-th run */
	size_t ntop;
	uint32_t *byfile;          /* run numbers by (file, meta, file_off),
				      made when first asked for (byfile_get) */
	uint32_t *run_first;       /* made with byfile */
	size_t map_byfile, map_run_first;
	pthread_mutex_t lazy;      /* held while it is made */
	uint64_t root_id;
	uint32_t root;             /* file number, UINT32_MAX if unknown */
	uint64_t conflict_bytes, shared_bytes;
	bool full;
	bool published;            /* finish made the tables readers use */
	unsigned nwarn;
	char warning[300];
};

/* An index that could not be made at all: what readers get then. */
static struct da_fileindex empty_index = {
	.root = UINT32_MAX, .lazy = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- building -------------------------------------------------------- */

struct da_fileindex *da_fi_new(bool case_insensitive)
{
	struct da_fileindex *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->ci = case_insensitive;
	if (pthread_mutex_init(&x->lazy, NULL) != 0) {
		free(x);
		return NULL;
	}
	x->root = UINT32_MAX;
	x->root_id = UINT64_MAX;
	return x;
}

void da_fi_warn(struct da_fileindex *x, const char *fmt, ...)
{
	if (!x || x == &empty_index)
		return;
	if (x->nwarn++)
		return;            /* the first problem is the telling one */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->warning, sizeof(x->warning), fmt, ap);
	va_end(ap);
}

/* The tables of a big index are tens of megabytes written once: backed
 * by transparent huge pages where the kernel allows (madvise mode), they
 * cost a fault every 2 MiB instead of every 4 KiB, which was a fifth of
 * an index build's time.  Only a hint: without it nothing changes. */
#define FI_HUGE (4u << 20)
/* and a growing table moves into its own mapping (map_table) past this:
 * its first megabytes grown by doubling were most of the page faults of
 * an index of a quarter million extents */
#define FI_MAP (1u << 20)
static void *huge_hint(void *p, size_t bytes)
{
	if (p && bytes >= FI_HUGE) {
		const uintptr_t huge = (uintptr_t)2 << 20;
		uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
		uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);
		if (e > a)
			madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
	return p;
}

static void *fi_malloc(size_t bytes)
{
	return huge_hint(malloc(bytes), bytes);
}

/* realloc, but a big table is hinted before its new pages are touched
 * (realloc's own copy would fault them in small pages first) */
static void *fi_realloc(void *p, size_t had, size_t bytes)
{
	if (bytes < FI_HUGE || bytes <= had)
		return realloc(p, bytes);
	void *q = fi_malloc(bytes);
	if (q && p)
		memcpy(q, p, had);
	if (q)
		free(p);
	return q;
}

/* A table past FI_MAP moves once into a mapping of address space for
 * its largest size (max items, and one more for the files' closing
 * entry), 2 MiB aligned and hinted for huge pages, and then fills it in
 * place: growing by doubling copied every table twice over and faulted
 * its pages in twice (a third of an index build of a million extents was
 * the kernel clearing pages).  Untouched pages are never made, so memory
 * is what the table holds.  False when the mapping cannot be made (a
 * limit on address space, strict overcommit): the table then grows as
 * before. */
/* A mapping of at least want bytes (*bytes: how many, a whole number of
 * 2 MiB), 2 MiB aligned and hinted for huge pages, or NULL. */
static void *map_aligned(size_t want, size_t *bytes)
{
	const size_t huge = (size_t)2 << 20;
	if (want > SIZE_MAX - 2 * huge)
		return NULL;
	size_t b = (want + huge - 1) & ~(huge - 1);
	char *m = mmap(NULL, b + huge, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + b < m + b + huge)
		munmap(a + b, (size_t)(m + b + huge - (a + b)));
	madvise(a, b, MADV_HUGEPAGE);
	*bytes = b;
	return a;
}

/* A table made once at its size: past FI_MAP in a mapping of its own
 * (*mapped its bytes: the pages of a malloc'd one past 4 MiB were mostly
 * small, and a page fault costs microseconds), else malloc'd (*mapped
 * 0).  Freed by table_free. */
static void *table_new(size_t bytes, size_t *mapped)
{
	*mapped = 0;
	if (bytes >= FI_MAP) {
		void *p = map_aligned(bytes, mapped);
		if (p)
			return p;
	}
	return malloc(bytes);
}

static bool map_table(void **v, size_t *cap, size_t *mapped, size_t n,
		      size_t size, size_t max)
{
	size_t bytes;
	if (max > SIZE_MAX / size - 1)
		return false;
	char *a = map_aligned((max + 1) * size, &bytes);
	if (!a)
		return false;
	if (n)
		memcpy(a, *v, n * size);
	free(*v);
	*v = a;
	*cap = max;
	*mapped = bytes;
	return true;
}

static void table_free(void *p, size_t mapped)
{
	if (mapped)
		munmap(p, mapped);
	else
		free(p);
}

/* Make *v (of *cap items of size, n of them in use) hold c items (up to
 * max); false when it cannot. */
static bool table_resize(void **v, size_t *cap, size_t *mapped, size_t n,
			 size_t size, size_t c, size_t max)
{
	if (*mapped || c <= *cap)
		return c <= *cap;
	if (c > max)
		c = max;
	if (c * size >= FI_MAP && map_table(v, cap, mapped, n, size, max))
		return true;
	void *p = fi_realloc(*v, n * size, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

/* Grow *v (of *cap items of size) to hold one more; false when it cannot
 * or when max items are reached.  Past an estimate (hint) the table grows
 * an eighth at a time, up to twice it: the estimate was near. */
static bool grow(void **v, size_t *cap, size_t *mapped, size_t n, size_t size,
		 size_t max, size_t hint)
{
	if (n < *cap)
		return true;
	if (n >= max)
		return false;
	size_t c = *cap ? *cap * 2 : 256;
	if (hint && *cap >= hint && *cap < 2 * hint)
		c = *cap + *cap / 8 + 256;
	return table_resize(v, cap, mapped, n, size, c, max);
}

void da_fi_reserve(struct da_fileindex *x, size_t files, size_t runs)
{
	if (!x || x == &empty_index)
		return;
	if (files > FI_MAX_FILES)
		files = FI_MAX_FILES;
	if (runs > FI_MAX_RUNS)
		runs = FI_MAX_RUNS;
	x->hint_files = files;
	x->hint_runs = runs;
	/* a wrong estimate costs a realloc, never an answer; most files
	 * have one name */
	table_resize((void **)&x->files, &x->capfiles, &x->map_files, x->nfiles,
		     sizeof(*x->files), files, FI_MAX_FILES);
	table_resize((void **)&x->names, &x->capnames, &x->map_names, x->nnames,
		     sizeof(*x->names), files, FI_MAX_NAMES);
	table_resize((void **)&x->runs, &x->capruns, &x->map_runs, x->nruns,
		     sizeof(*x->runs), runs, FI_MAX_RUNS);
}

static void full(struct da_fileindex *x, const char *what)
{
	if (!x->full)
		da_fi_warn(x, "cut short: too many %s (or no memory)", what);
	x->full = true;
}

uint32_t da_fi_add_file(struct da_fileindex *x, uint64_t id,
			enum da_file_kind kind, uint64_t size, uint32_t flags)
{
	if (!x || x->full ||
	    (x->nfiles >= x->capfiles &&
	     !grow((void **)&x->files, &x->capfiles, &x->map_files, x->nfiles,
		   sizeof(*x->files), FI_MAX_FILES, x->hint_files))) {
		if (x)
			full(x, "files");
		return UINT32_MAX;
	}
	x->files[x->nfiles] = (struct fi_file){
		.id = id, .size = size, .flags = (uint8_t)flags,
		.kind = (uint8_t)kind,
	};
	return (uint32_t)x->nfiles++;
}

int da_fi_add_name(struct da_fileindex *x, uint64_t id, uint64_t parent_id,
		   const char *name, size_t len)
{
	if (!x || x->full)
		return -1;
	if (len == 0)
		return 0;
	if (len > 4096)
		len = 4096;
	if ((x->nnames >= x->capnames &&
	     !grow((void **)&x->names, &x->capnames, &x->map_names, x->nnames,
		   sizeof(*x->names), FI_MAX_NAMES, x->hint_files)) ||
	    x->ntext + len + 1 > FI_MAX_NAME_BYTES) {
		full(x, "names");
		return -1;
	}
	while (x->ntext + len + 1 > x->captext) {
		size_t c = x->captext ? x->captext * 2 : 65536;
		if (!table_resize((void **)&x->text, &x->captext, &x->map_text,
				  x->ntext, 1, c, FI_MAX_NAME_BYTES)) {
			full(x, "names");
			return -1;
		}
	}
	if (!x->ndirs || x->dirs[x->ndirs - 1].id != parent_id) {
		if (x->ndirs >= x->capdirs &&
		    !grow((void **)&x->dirs, &x->capdirs, &x->map_dirs,
			  x->ndirs, sizeof(*x->dirs), FI_MAX_NAMES, 0)) {
			full(x, "names");
			return -1;
		}
		x->dirs[x->ndirs++] = (struct fi_dir){ parent_id, x->nnames };
	}
	x->names[x->nnames] = (struct fi_name){
		.id = id, .at = (uint32_t)x->ntext, .len = (uint32_t)len,
	};
	x->nnames++;
	char *d = x->text + x->ntext;
	memcpy(d, name, len);
	d[len] = '\0';
	/* a '/' inside a name would forge a path, a NUL cut it: looked for
	 * eight bytes at a time (a byte is zero where a word has one) */
	const uint64_t ones = 0x0101010101010101u, highs = ones << 7;
	const uint64_t slashes = ones * '/';
	bool odd = false;
	size_t i = 0;
	for (; i + 8 <= len && !odd; i += 8) {
		uint64_t w, s;
		memcpy(&w, d + i, 8);
		s = w ^ slashes;
		odd = (((w - ones) & ~w) | ((s - ones) & ~s)) & highs;
	}
	for (; i < len && !odd; i++)
		odd = d[i] == '/' || d[i] == '\0';
	if (odd)
		for (i = 0; i < len; i++)
			d[i] = d[i] == '/' ? '_' : d[i] ? d[i] : '?';
	x->ntext += len + 1;
	return 0;
}

void da_fi_set_root(struct da_fileindex *x, uint64_t root_id)
{
	if (x)
		x->root_id = root_id;
}

int da_fi_add_run(struct da_fileindex *x, uint32_t file, uint64_t start,
		  uint64_t len, uint64_t file_off, enum da_role role,
		  uint32_t flags)
{
	if (!x || x->full || file >= x->nfiles || len == 0)
		return x && !x->full && len == 0 ? 0 : -1;
	if (start + len < start)
		len = UINT64_MAX - start;
	flags &= ~(uint32_t)DA_RUN_CONFLICT;
	if (x->nruns) {
		struct da_fi_run *r = &x->runs[x->nruns - 1];
		if (r->file == file && r->role == role && r->flags == flags &&
		    r->start + r->len == start &&
		    ((flags & DA_RUN_META) ||
		     r->file_off + r->len == file_off)) {
			r->len += len;
			return 0;
		}
	}
	/* grow's test first, here: a call a run cost a tenth of a build */
	if (x->nruns >= x->capruns &&
	    !grow((void **)&x->runs, &x->capruns, &x->map_runs, x->nruns,
		  sizeof(*x->runs), FI_MAX_RUNS, x->hint_runs)) {
		full(x, "runs");
		return -1;
	}
	x->runs[x->nruns++] = (struct da_fi_run){
		.start = start, .len = len,
		.file_off = (flags & DA_RUN_META) ? 0 : file_off,
		.file = file, .role = (uint16_t)role, .flags = (uint16_t)flags,
	};
	return 0;
}

/* ---- publishing ------------------------------------------------------ */

/* ---- sorting in place ---------------------------------------------- */

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
typedef void (*fi_sort_far)(void *v, size_t n);

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
			far(v, n);
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

static int cmp_run(const void *a, const void *b, const void *ctx)
{
	(void)ctx;
	const struct da_fi_run *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->file < y->file ? -1 : x->file > y->file;
}

static int cmp_byfile(const void *a, const void *b, const void *ctx)
{
	const struct da_fileindex *fi = ctx;
	const struct da_fi_run *x = &fi->runs[*(const uint32_t *)a];
	const struct da_fi_run *y = &fi->runs[*(const uint32_t *)b];
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	int mx = !!(x->flags & DA_RUN_META), my = !!(y->flags & DA_RUN_META);
	if (mx != my)
		return mx - my;
	uint64_t kx = mx ? x->start : x->file_off;
	uint64_t ky = my ? y->start : y->file_off;
	return kx < ky ? -1 : kx > ky;
}

static int cmp_by_id(const void *a, const void *b, const void *ctx)
{
	const struct da_fileindex *fi = ctx;
	const struct fi_file *x = &fi->files[*(const uint32_t *)a];
	const struct fi_file *y = &fi->files[*(const uint32_t *)b];
	return x->id < y->id ? -1 : x->id > y->id;
}

/* One pass over the sorted runs, as far as they are in their places: the
 * prefix maximum of their ends (and which run reaches it), the start of
 * every FI_TOP-th, and every overlap between runs of different files:
 * legal sharing when both runs are SHARED, else a conflict on both.  The
 * radix sort calls it as each bucket is done, while its runs are in the
 * cache. */
struct scan {
	struct da_fileindex *x;
	size_t i;                  /* runs [0, i) are done */
	uint64_t m;
	uint32_t mr;
	size_t na;
	bool capped;
	uint32_t active[FI_ACTIVE];
};

static void scan_upto(struct scan *sc, size_t end)
{
	struct da_fileindex *x = sc->x;
	for (size_t i = sc->i; i < end; i++) {
		struct da_fi_run *r = &x->runs[i];
		if (r->start + r->len > sc->m) {
			sc->m = r->start + r->len;
			sc->mr = (uint32_t)i;
		}
		x->maxend[i] = sc->m;
		x->maxrun[i] = sc->mr;
		if (i % FI_TOP == 0)
			x->top[i / FI_TOP] = r->start;
		size_t k = 0;
		for (size_t j = 0; j < sc->na; j++) {
			struct da_fi_run *a = &x->runs[sc->active[j]];
			if (a->start + a->len <= r->start)
				continue;  /* ended: drop */
			sc->active[k++] = sc->active[j];
			if (a->file == r->file)
				continue;
			uint64_t e = a->start + a->len < r->start + r->len
					     ? a->start + a->len
					     : r->start + r->len;
			if ((a->flags & DA_RUN_SHARED) &&
			    (r->flags & DA_RUN_SHARED)) {
				x->shared_bytes += e - r->start;
			} else {
				a->flags |= DA_RUN_CONFLICT;
				r->flags |= DA_RUN_CONFLICT;
				x->conflict_bytes += e - r->start;
			}
		}
		sc->na = k;
		if (sc->na < FI_ACTIVE)
			sc->active[sc->na++] = (uint32_t)i;
		else
			sc->capped = true;
	}
	if (end > sc->i)
		sc->i = end;
}

/* Runs far from disk order (a fragmented filesystem: files interleaved
 * on the disk come file by file) by an in-place radix sort on the start
 * (American flag sort: RADIX_BITS a pass from the highest bit that
 * differs, each item moved to its bucket by cycles), buckets of a few
 * finished by comparison: linear where the introsort was n log n. */
#define RADIX_BITS 11
#define RADIX_SMALL 24
#define RADIX_AHEAD 16             /* runs: 512 bytes, 8 cache lines */

static void radix_runs(struct da_fi_run *v, size_t n, uint64_t base,
		       int low, int bits_left, struct scan *sc, size_t pos)
{
	if (n <= RADIX_SMALL || bits_left <= 0) {
		int depth = 0;
		for (size_t k = n; k; k >>= 1)
			depth += 2;
		intro_sort((char *)v, n, sizeof(*v), cmp_run, NULL, depth);
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
	memset(count, 0, nb * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[((v[i].start - base) >> (low + shift)) & mask]++;
	uint32_t at = 0;
	for (size_t b = 0; b < nb; b++) {
		head[b] = at;
		at += count[b];
		end[b] = at;
		if (count[b] == n) {
			/* one bucket holds all: on to the next bits */
			radix_runs(v, n, base, low, shift, sc, pos);
			return;
		}
	}
	for (size_t b = 0; b < nb; b++)
		while (head[b] < end[b]) {
			struct da_fi_run r = v[head[b]];
			size_t d = ((r.start - base) >> (low + shift)) & mask;
			while (d != b) {
				struct da_fi_run o = v[head[d]];
				v[head[d]++] = r;
				/* the chain comes back to bucket d some
				 * thousand moves later: its slots are asked
				 * for now, to be in the cache then (each
				 * move waited on memory: the sort was a third
				 * of an index build of a million extents) */
				if (head[d] + RADIX_AHEAD < end[d])
					__builtin_prefetch(&v[head[d] +
							      RADIX_AHEAD], 1);
				r = o;
				d = ((r.start - base) >> (low + shift)) & mask;
			}
			v[head[b]++] = r;
		}
	for (size_t b = 0, first = 0; b < nb; first += count[b++]) {
		if (count[b] > 1)
			radix_runs(v + first, count[b], base, low, shift, sc,
				   pos + first);
		else if (sc)
			scan_upto(sc, pos + first + count[b]);
	}
}

/* The range of the starts: the lowest, the bits below every start's
 * lowest set bit (a block's bytes sort nothing), the bits that vary. */
static void runs_span(const struct da_fi_run *v, size_t n, uint64_t *base,
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
	int low = 0;
	for (uint64_t o = ored | (uint64_t)1 << 63; !(o & 1); o >>= 1)
		low++;
	while (low > 0 && (lo & (((uint64_t)1 << low) - 1)))
		low--;
	int bits = 0;
	for (uint64_t span = (hi - lo) >> low; span; span >>= 1)
		bits++;
	*base = lo;
	*lowp = low;
	*bitsp = bits;
}

static void sort_runs_far(void *p, size_t n)
{
	uint64_t base;
	int low, bits;
	runs_span(p, n, &base, &low, &bits);
	radix_runs(p, n, base, low, bits, NULL, 0);
}

/* Sort x's runs by start and scan them (scan_upto).  Far from order (more
 * than an eighth start below a run before them: files interleaved on the
 * disk, each in order) the radix sort scans each bucket as it is done,
 * and the in-place sort's test for a few out of place (a pass and a table
 * aside before it gives up) is not made. */
static void sort_runs(struct da_fileindex *x, struct scan *sc)
{
	struct da_fi_run *v = x->runs;
	size_t n = x->nruns, behind = 0;
	uint64_t top = n ? v[0].start : 0;
	for (size_t k = 1; k < n && behind <= n / 8; k++) {
		if (v[k].start < top)
			behind++;
		else
			top = v[k].start;
	}
	if (n > 16 && behind > n / 8) {
		uint64_t base;
		int low, bits;
		runs_span(v, n, &base, &low, &bits);
		radix_runs(v, n, base, low, bits, sc, 0);
	} else {
		sort_in_place(v, n, sizeof(*v), cmp_run, NULL, sort_runs_far);
	}
	scan_upto(sc, n);
}

static void sort_byfile(uint32_t *v, size_t n, const struct da_fileindex *x)
{
	sort_in_place(v, n, sizeof(*v), cmp_byfile, x, NULL);
}

static void sort_by_id(uint32_t *v, size_t n, const struct da_fileindex *x)
{
	sort_in_place(v, n, sizeof(*v), cmp_by_id, x, NULL);
}

/* The file number i-th by id. */
static uint32_t by_id(const struct da_fileindex *x, size_t i)
{
	return x->by_id ? x->by_id[i] : (uint32_t)i;
}

uint32_t da_fi_find_id(const struct da_fileindex *x, uint64_t id)
{
	if (!x || !x->published)
		return UINT32_MAX;
	size_t lo = 0, hi = x->nfiles;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->files[by_id(x, mid)].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->nfiles && x->files[by_id(x, lo)].id == id
		       ? by_id(x, lo) : UINT32_MAX;
}


/* Ids to file numbers while names are resolved: a direct table when the
 * ids are dense (inode numbers), else the binary search. */
struct dense {
	uint32_t *map;
	uint64_t lo, n;
	size_t mapped;             /* table_new's */
};

static void dense_make(const struct da_fileindex *x, struct dense *d)
{
	d->map = NULL;
	d->mapped = 0;
	if (x->nfiles < 1024 || x->nnames < 1024)
		return;
	d->lo = x->files[by_id(x, 0)].id;
	uint64_t span = x->files[by_id(x, x->nfiles - 1)].id - d->lo + 1;
	if (span == 0 || span / 4 > x->nfiles)
		return;
	d->n = span;
	d->map = table_new(span * sizeof(*d->map), &d->mapped);
	if (!d->map)
		return;
	memset(d->map, 0xff, span * sizeof(*d->map));
	/* a repeated id answers as the search would: the first by id */
	for (size_t i = x->nfiles; i-- > 0;) {
		const struct fi_file *f = &x->files[by_id(x, i)];
		d->map[f->id - d->lo] = by_id(x, i);
	}
}

static uint32_t dense_find(const struct da_fileindex *x,
			   const struct dense *d, uint64_t id)
{
	if (!d->map)
		return da_fi_find_id(x, id);
	return id >= d->lo && id - d->lo < d->n ? d->map[id - d->lo]
						: UINT32_MAX;
}

/* Give back what growing left over (before the next arrays are made, so
 * that the peak is the table, not twice it). */
static void shrink(void **v, size_t *cap, size_t mapped, size_t n,
		   size_t size)
{
	/* a mapping holds no more than its touched pages */
	if (mapped || n == 0 || n >= *cap)
		return;
	void *p = realloc(*v, n * size);
	if (p) {
		*v = p;
		*cap = n;
	}
}

static int finish(struct da_fileindex *x)
{
	shrink((void **)&x->runs, &x->capruns, x->map_runs, x->nruns,
	       sizeof(*x->runs));
	/* one more file: the end of the last one's names and runs */
	if (!x->map_files && x->capfiles < x->nfiles + 1) {
		struct fi_file *f = fi_realloc(x->files, x->nfiles * sizeof(*f),
					    (x->nfiles + 1) * sizeof(*f));
		if (!f)
			return -1;
		x->files = f;
		x->capfiles = x->nfiles + 1;
	}
	shrink((void **)&x->files, &x->capfiles, x->map_files, x->nfiles + 1,
	       sizeof(*x->files));
	x->files[x->nfiles] = (struct fi_file){ .id = UINT64_MAX };
	/* maxend and maxrun: one table, 12 bytes a run */
	x->maxend = table_new((x->nruns + 1) * (sizeof(*x->maxend) +
						sizeof(*x->maxrun)),
			      &x->map_maxend);
	x->maxrun = x->maxend ? (uint32_t *)(x->maxend + x->nruns + 1) : NULL;
	x->ntop = (x->nruns + FI_TOP - 1) / FI_TOP;
	x->top = fi_malloc((x->ntop + 1) * sizeof(*x->top));
	struct scan *sc = malloc(sizeof(*sc));
	if (!x->maxend || !x->maxrun || !x->top || !sc) {
		free(sc);
		return -1;
	}
	*sc = (struct scan){ .x = x };
	sort_runs(x, sc);
	if (sc->capped)
		da_fi_warn(x, "more than %d runs overlap at once: conflicts "
			   "past those are not all found", FI_ACTIVE);
	free(sc);
	/* the files by id: none needed when they came in id order (ext's
	 * inodes do) */
	size_t sorted = 1;
	while (sorted < x->nfiles &&
	       x->files[sorted - 1].id <= x->files[sorted].id)
		sorted++;
	if (sorted < x->nfiles) {
		x->by_id = table_new((x->nfiles + 1) * sizeof(*x->by_id),
				     &x->map_by_id);
		if (!x->by_id)
			return -1;
		for (size_t i = 0; i < x->nfiles; i++)
			x->by_id[i] = (uint32_t)i;
		sort_by_id(x->by_id, x->nfiles, x);
	}
	x->published = true;
	/* names: ids to file numbers; names of unknown files are dropped;
	 * a directory's names come together: one search for them */
	size_t k = 0;
	struct dense d;
	dense_make(x, &d);
	for (size_t dir = 0, i = 0; dir < x->ndirs; dir++) {
		size_t end = dir + 1 < x->ndirs ? x->dirs[dir + 1].first
						: x->nnames;
		uint32_t parent = dense_find(x, &d, x->dirs[dir].id);
		for (; i < end; i++) {
			struct fi_name nm = x->names[i];
			nm.p.file = dense_find(x, &d, x->names[i].id);
			nm.p.parent = parent;
			if (nm.p.file != UINT32_MAX)
				x->names[k++] = nm;
		}
	}
	table_free(d.map, d.mapped);
	table_free(x->dirs, x->map_dirs);
	x->dirs = NULL;
	x->ndirs = x->capdirs = x->map_dirs = 0;
	x->nnames = k;
	shrink((void **)&x->names, &x->capnames, x->map_names, x->nnames,
	       sizeof(*x->names));
	/* the names by file, a counting sort as for the runs: each file's
	 * in the order given (name_first is 0 from da_fi_add_file) */
	x->byname = table_new((x->nnames + 1) * sizeof(*x->byname),
			      &x->map_byname);
	if (!x->byname)
		return -1;
	for (size_t i = 0; i < x->nnames; i++)
		x->files[x->names[i].p.file].name_first++;
	uint32_t at = 0;
	for (size_t i = 0; i <= x->nfiles; i++) {
		at += x->files[i].name_first;
		x->files[i].name_first = at;
	}
	for (size_t i = x->nnames; i-- > 0;)
		x->byname[--x->files[x->names[i].p.file].name_first] =
			(uint32_t)i;
	x->root = da_fi_find_id(x, x->root_id);
	return 0;
}

static void fi_free(struct da_fileindex *x)
{
	if (!x || x == &empty_index)
		return;
	table_free(x->files, x->map_files);
	table_free(x->by_id, x->map_by_id);
	table_free(x->names, x->map_names);
	table_free(x->byname, x->map_byname);
	table_free(x->text, x->map_text);
	table_free(x->runs, x->map_runs);
	table_free(x->dirs, x->map_dirs);
	table_free(x->run_first, x->map_run_first);
	table_free(x->maxend, x->map_maxend);
	free(x->top);
	table_free(x->byfile, x->map_byfile);
	pthread_mutex_destroy(&x->lazy);
	free(x);
}

/* The node's reason gets "file index: why" after what the scan said. */
static void index_reason(struct da_node *n, const char *why)
{
	da_trace("%s: file index: %s", n->dev ? n->dev->name : "?", why);
	if (n->reason) {
		char *old = n->reason;
		n->reason = NULL;
		da_node_set_reason(n, "%s; file index: %s", old, why);
		free(old);
	} else {
		da_node_set_reason(n, "file index: %s", why);
	}
}

void da_fi_publish(struct da_node *n, struct da_fileindex *x,
		   const char *reason)
{
	char why[400] = "";
	if (x) {
		/* the sorts take their context as an argument: indexes of
		 * several filesystems may publish at once */
		int rc = finish(x);
		if (rc < 0) {
			fi_free(x);
			x = NULL;
			reason = "no memory for the file index";
		}
	}
	if (reason && reason[0])
		snprintf(why, sizeof(why), "%s", reason);
	else if (x && x->warning[0])
		snprintf(why, sizeof(why), "%s", x->warning);
	if (x && x->conflict_bytes) {
		size_t o = strlen(why);
		snprintf(why + o, sizeof(why) - o, "%s%llu bytes claimed by "
			 "more than one file", o ? "; " : "",
			 (unsigned long long)x->conflict_bytes);
	}
	if (why[0])
		index_reason(n, why);
	if (!x)
		x = &empty_index;
	struct da_fileindex *old = NULL;
	if (!__atomic_compare_exchange_n(&n->files, &old, x, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		fi_free(x);        /* published already: keep the first */
}

void da_fi_node_free(struct da_node *n)
{
	fi_free(n->files);
	n->files = NULL;
}

/* The runs by file, made the first time a file's runs are asked for (a
 * file's extents, the next extent, search): lookups and the map never
 * ask, and the sort is a seventh of a build of a million extents.  A
 * counting sort on the file, placed from each file's end backwards: data
 * runs first, then metadata, each in disk order (a file laid out in order
 * is then in file order already); then each file's own by file offset.
 * NULL when there is no memory for it (the files then have no runs). */
static uint32_t *make_byfile(struct da_fileindex *x)
{
	size_t map_by, map_dend;
	uint32_t *by = table_new((x->nruns + 1) * sizeof(*by), &map_by);
	/* per file: where its metadata runs end, then where its data do
	 * (which becomes where its runs begin) */
	uint32_t *mend = calloc(x->nfiles + 1, sizeof(*mend));
	uint32_t *dend = table_new((x->nfiles + 1) * sizeof(*dend), &map_dend);
	if (!by || !mend || !dend) {
		table_free(by, map_by);
		free(mend);
		table_free(dend, map_dend);
		return NULL;
	}
	memset(dend, 0, (x->nfiles + 1) * sizeof(*dend));
	for (size_t i = 0; i < x->nruns; i++) {
		uint32_t f = x->runs[i].file;
		mend[f]++;
		dend[f] += !!(x->runs[i].flags & DA_RUN_META);
	}
	uint32_t at = 0;
	for (size_t i = 0; i <= x->nfiles; i++) {
		at += mend[i];
		mend[i] = at;
		dend[i] = at - dend[i];
	}
	for (size_t i = x->nruns; i-- > 0;) {
		const struct da_fi_run *r = &x->runs[i];
		if (r->flags & DA_RUN_META)
			by[--mend[r->file]] = (uint32_t)i;
		else
			by[--dend[r->file]] = (uint32_t)i;
	}
	/* each file's runs begin where its data runs do */
	for (size_t i = 1; i <= x->nfiles; i++)
		if (dend[i] - dend[i - 1] > 1)
			sort_byfile(by + dend[i - 1], dend[i] - dend[i - 1], x);
	free(mend);
	x->run_first = dend;
	x->map_run_first = map_dend;
	x->map_byfile = map_by;
	return by;
}

static const uint32_t *byfile_get(const struct da_fileindex *cx)
{
	struct da_fileindex *x = (struct da_fileindex *)cx;
	uint32_t *by = __atomic_load_n(&x->byfile, __ATOMIC_ACQUIRE);
	if (by || x->nfiles == 0)
		return by;
	pthread_mutex_lock(&x->lazy);
	by = x->byfile;
	if (!by) {
		by = make_byfile(x);
		__atomic_store_n(&x->byfile, by, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&x->lazy);
	return by;
}

/* ---- answers --------------------------------------------------------- */

const struct da_fileindex *da_fi_get(const struct da_node *n)
{
	return n ? __atomic_load_n(&n->files, __ATOMIC_ACQUIRE) : NULL;
}

size_t da_fi_files(const struct da_fileindex *x)
{
	return x ? x->nfiles : 0;
}
size_t da_fi_runs(const struct da_fileindex *x)
{
	return x ? x->nruns : 0;
}
uint64_t da_fi_conflict_bytes(const struct da_fileindex *x)
{
	return x ? x->conflict_bytes : 0;
}
const char *da_fi_reason(const struct da_fileindex *x)
{
	return x && x->warning[0] ? x->warning : NULL;
}

/* A published file's names and runs: up to where the next file's begin. */
static uint32_t file_nnames(const struct fi_file *f)
{
	return f[1].name_first - f->name_first;
}

/* (after byfile_get) */
static uint32_t file_nruns(const struct da_fileindex *x, uint32_t file)
{
	return x->run_first[file + 1] - x->run_first[file];
}

int da_fi_file(const struct da_fileindex *x, uint32_t file,
	       struct da_fi_file *out)
{
	if (!x || file >= x->nfiles)
		return -1;
	const struct fi_file *f = &x->files[file];
	*out = (struct da_fi_file){
		.id = f->id, .kind = (enum da_file_kind)f->kind,
		.size = f->size, .flags = f->flags, .nnames = file_nnames(f),
	};
	return 0;
}

uint32_t da_fi_file_nruns(const struct da_fileindex *x, uint32_t file)
{
	if (!x || file >= x->nfiles || !byfile_get(x))
		return 0;
	return file_nruns(x, file);
}

/* The first name of a file (the one the paths of its children use). */
static const struct fi_name *first_name(const struct da_fileindex *x,
					uint32_t file)
{
	const struct fi_file *f = &x->files[file];
	return f[1].name_first > f->name_first
		       ? &x->names[x->byname[f->name_first]] : NULL;
}

int da_fi_path(const struct da_fileindex *x, uint32_t file, uint32_t k,
	       char *out, size_t cap)
{
	if (!cap)
		return -1;
	out[0] = '\0';
	if (!x || file >= x->nfiles || cap < 8)
		return -1;
	if (file == x->root) {
		if (k)
			return -1;
		snprintf(out, cap, "/");
		return 0;
	}
	const struct fi_file *f = &x->files[file];
	if (k >= file_nnames(f))
		return -1;
	/* built from the end of out: the tail of a deep path is what
	 * tells; then moved to its start */
	size_t pos = cap - 1;
	out[pos] = '\0';
	bool cut = false;
	const struct fi_name *nm = &x->names[x->byname[f->name_first + k]];
	int depth = 0;
	for (;;) {
		if (++depth > FI_MAX_DEPTH || !nm) {
			out[0] = '\0';
			return -1;     /* a loop, or an orphan */
		}
		size_t l = nm->len;
		if (!cut && l + 1 + 4 <= pos) {
			pos -= l;
			memcpy(out + pos, x->text + nm->at, l);
			out[--pos] = '/';
		} else {
			cut = true;
		}
		if (nm->p.parent == x->root)
			break;
		if (nm->p.parent == UINT32_MAX) {
			out[0] = '\0';
			return -1;
		}
		nm = first_name(x, nm->p.parent);
	}
	if (cut) {
		/* "/…" then the tail that fitted */
		static const char ell[] = "/\xe2\x80\xa6";
		pos -= sizeof(ell) - 1;
		memcpy(out + pos, ell, sizeof(ell) - 1);
	}
	memmove(out, out + pos, cap - pos);
	return 0;
}

/* The last run starting at or before off, or -1. */
static long last_at_or_before(const struct da_fileindex *x, uint64_t off)
{
	/* first among every FI_TOP-th run's start (small: in the cache),
	 * then among the FI_TOP runs it leads to */
	size_t lo = 0, hi = x->ntop;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->top[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	hi = lo * FI_TOP < x->nruns ? lo * FI_TOP : x->nruns;
	lo = (lo - 1) * FI_TOP;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->runs[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static bool holds(const struct da_fi_run *r, uint64_t off)
{
	return off >= r->start && off - r->start < r->len;
}

int da_fi_at(const struct da_fileindex *x, uint64_t off,
	     struct da_fi_run *out, int max)
{
	if (!x || !x->nruns)
		return 0;
	long i = last_at_or_before(x, off);
	int n = 0;
	/* walk back while some earlier run still reaches past off; past
	 * the bound, jump to the run that reaches farthest */
	for (int steps = 0; i >= 0 && x->maxend[i] > off; steps++) {
		if (steps >= FI_WALK)
			i = x->maxrun[i];
		const struct da_fi_run *r = &x->runs[i];
		if (holds(r, off)) {
			if (n < max) {
				out[n] = *r;
				/* the lowest file number first */
				if (n > 0 && out[n].file < out[0].file) {
					struct da_fi_run t = out[0];
					out[0] = out[n];
					out[n] = t;
				}
			}
			n++;
		}
		i--;
	}
	return n;
}

int da_fi_file_run(const struct da_fileindex *x, uint32_t file, uint32_t k,
		   struct da_fi_run *out)
{
	const uint32_t *by = x ? byfile_get(x) : NULL;
	if (!by || file >= x->nfiles || k >= file_nruns(x, file))
		return -1;
	*out = x->runs[by[x->run_first[file] + k]];
	return 0;
}

int64_t da_fi_next_extent(const struct da_fileindex *x, uint64_t off,
			  int dir)
{
	struct da_fi_run here;
	if (da_fi_at(x, off, &here, 1) < 1)
		return -1;
	const uint32_t *by = byfile_get(x);
	if (!by)
		return -1;
	int64_t best = -1;
	const uint32_t *mine = by + x->run_first[here.file];
	for (uint32_t k = 0, nr = file_nruns(x, here.file); k < nr; k++) {
		const struct da_fi_run *r = &x->runs[mine[k]];
		if (dir > 0 && r->start >= here.start + here.len &&
		    (best < 0 || r->start < (uint64_t)best))
			best = (int64_t)r->start;
		if (dir < 0 && r->start + r->len <= here.start &&
		    (best < 0 || r->start > (uint64_t)best))
			best = (int64_t)r->start;
	}
	return best;
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

static bool path_matches(const struct da_fileindex *x, const char *pattern,
			 const char *path)
{
	if (has_glob(pattern)) {
		int fl = x->ci ? FNM_CASEFOLD : 0;
		/* without a '/', a glob is matched against the name, as
		 * find -name does */
		if (!strchr(pattern, '/')) {
			const char *base = strrchr(path, '/');
			return fnmatch(pattern, base ? base + 1 : path, fl) == 0;
		}
		return fnmatch(pattern, path, fl) == 0;
	}
	return x->ci ? strcasestr(path, pattern) != NULL
		     : strstr(path, pattern) != NULL;
}

size_t da_fi_find(const struct da_fileindex *x, const char *pattern,
		  uint32_t *out, size_t max)
{
	if (!x || !pattern || !pattern[0])
		return 0;
	char path[1024];
	size_t found = 0;
	if (x->root != UINT32_MAX && !strcmp(pattern, "/")) {
		if (max)
			out[0] = x->root;
		return 1;
	}
	for (size_t f = 0; f < x->nfiles; f++) {
		uint32_t nn = file_nnames(&x->files[f]);
		for (uint32_t k = 0; k < nn; k++) {
			if (da_fi_path(x, (uint32_t)f, k, path,
				       sizeof(path)) < 0)
				continue;
			if (!path_matches(x, pattern, path))
				continue;
			if (found < max)
				out[found] = (uint32_t)f;
			found++;
			break;         /* a file counts once */
		}
	}
	return found;
}

#define SHARE_SLOTS 1024
#define SHARE_WHERE 4096
#define SHARE_STEPS 65536

size_t da_fi_files_in(const struct da_fileindex *x, uint64_t off,
		      uint64_t len, struct da_fi_share *out, size_t max,
		      bool *sampled)
{
	if (sampled)
		*sampled = false;
	if (!x || !x->nruns || len == 0)
		return 0;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	struct da_fi_share slot[SHARE_SLOTS];
	bool used[SHARE_SLOTS];
	memset(used, 0, sizeof(used));
	/* which slot holds a file (file + 1, 0 empty): a quarter full at
	 * most, so a file is found, or known to be absent, in a probe or
	 * two.  Without it, once every slot is taken each new file probed
	 * all of them (a cell over thousands of small files: tens of
	 * millions of steps).  The slots themselves are placed as before. */
	uint32_t where_file[SHARE_WHERE];
	uint16_t where_slot[SHARE_WHERE];
	memset(where_file, 0, sizeof(where_file));
	size_t distinct = 0;
	/* from the first run that may reach off */
	long i = last_at_or_before(x, off);
	for (int steps = 0; i > 0 && x->maxend[i - 1] > off && steps < FI_WALK;
	     steps++)
		i--;
	if (i < 0)
		i = 0;
	size_t steps = 0;
	for (size_t k = (size_t)i; k < x->nruns && x->runs[k].start < end; k++) {
		if (++steps > SHARE_STEPS) {
			if (sampled)
				*sampled = true;
			break;
		}
		const struct da_fi_run *r = &x->runs[k];
		uint64_t a = r->start > off ? r->start : off;
		uint64_t b = r->start + r->len < end ? r->start + r->len : end;
		if (b <= a)
			continue;
		size_t w = (r->file * 2654435761u) % SHARE_WHERE, s;
		while (where_file[w] && where_file[w] != r->file + 1)
			w = (w + 1) % SHARE_WHERE;
		if (where_file[w]) {
			s = where_slot[w];
		} else if (distinct == SHARE_SLOTS) {
			if (sampled)
				*sampled = true;
			continue;
		} else {
			/* a new file: the first free slot from its hash */
			s = (r->file * 2654435761u) % SHARE_SLOTS;
			while (used[s])
				s = (s + 1) % SHARE_SLOTS;
			used[s] = true;
			slot[s] = (struct da_fi_share){ r->file, 0, UINT64_MAX,
							-1 };
			distinct++;
			where_file[w] = r->file + 1;
			where_slot[w] = (uint16_t)s;
		}
		slot[s].bytes += b - a;
		if (a < slot[s].first) {
			slot[s].first = a;
			slot[s].file_off = (r->flags & DA_RUN_META)
				? -1
				: (int64_t)(r->file_off + (a - r->start));
		}
	}
	/* the biggest max, by selection: max is small */
	size_t n = 0;
	for (size_t s = 0; s < SHARE_SLOTS; s++) {
		if (!used[s])
			continue;
		size_t at = n < max ? n++ : max;
		if (at == max) {
			if (!max || slot[s].bytes <= out[max - 1].bytes)
				continue;
			at = max - 1;
		}
		while (at > 0 && out[at - 1].bytes < slot[s].bytes) {
			if (at < max)
				out[at] = out[at - 1];
			at--;
		}
		out[at] = slot[s];
	}
	return distinct;
}

/* The run da_fi_describe names among the holders of a byte (run
 * numbers in act[0..n)): da_fi_at lists them from the highest number
 * down and puts the lowest file first, the first listed on a tie. */
static const struct da_fi_run *named_run(const struct da_fileindex *x,
					 const uint32_t *act, int n)
{
	const struct da_fi_run *best = NULL;
	uint32_t best_i = 0;
	for (int i = 0; i < n; i++) {
		const struct da_fi_run *r = &x->runs[act[i]];
		if (!best || r->file < best->file ||
		    (r->file == best->file && act[i] > best_i)) {
			best = r;
			best_i = act[i];
		}
	}
	return best;
}

#define ROLES_HOLDERS 8            /* da_fi_describe asks da_fi_at for 8 */

int da_fi_roles_in(const struct da_fileindex *x, uint64_t off, uint64_t len,
		   size_t max_steps, da_fi_role_fn fn, void *ctx)
{
	if (!x || !x->nruns || len == 0)
		return 0;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	uint32_t act[ROLES_HOLDERS];
	int nact = 0;
	/* the holders of off, as da_fi_at finds them: back from the last
	 * run that starts at or before it while an earlier one reaches
	 * past it */
	long last = last_at_or_before(x, off);
	for (long i = last; i >= 0 && x->maxend[i] > off; i--) {
		if (0)
			return -1;         /* da_fi_at would jump here */
		if (!holds(&x->runs[i], off))
			continue;
		if (nact == ROLES_HOLDERS)
			return -1;         /* more than it looks at */
		act[nact++] = (uint32_t)i;
	}
	size_t k = (size_t)(last + 1), steps = 0;
	uint64_t pos = off, piece = off, plen = 0;
	const char *prole = NULL;  /* the piece not yet given to fn */
	while (pos < end) {
		if (++steps > max_steps)
			return -1;
		/* the next place where the holders change */
		uint64_t next = end;
		if (k < x->nruns && x->runs[k].start < next)
			next = x->runs[k].start;
		for (int i = 0; i < nact; i++) {
			const struct da_fi_run *r = &x->runs[act[i]];
			if (r->start + r->len < next)
				next = r->start + r->len;
		}
		const char *role = nact ? da_role_name((enum da_role)
					  named_run(x, act, nact)->role) : NULL;
		if (prole && (role != prole || piece + plen != pos)) {
			if (fn(ctx, piece, plen, prole))
				return -1;
			prole = NULL;
		}
		if (role && !prole) {
			piece = pos;
			plen = 0;
			prole = role;
		}
		if (role)
			plen += next - pos;
		pos = next;
		/* runs that end here leave, runs that start here come in */
		int j = 0;
		for (int i = 0; i < nact; i++) {
			const struct da_fi_run *r = &x->runs[act[i]];
			if (r->start + r->len > pos)
				act[j++] = act[i];
		}
		nact = j;
		for (; pos < end && k < x->nruns && x->runs[k].start <= pos;
		     k++) {
			if (!holds(&x->runs[k], pos))
				continue;
			if (nact == ROLES_HOLDERS)
				return -1;
			act[nact++] = (uint32_t)k;
		}
		/* da_fi_at walks back from the last run starting at or
		 * before pos down to the lowest holder: past FI_WALK it
		 * jumps */
		for (int i = 0; i < nact; i++)
			if (k - 1 - act[i] >= FI_WALK - 1)
				return -1;
	}
	if (prole && fn(ctx, piece, plen, prole))
		return -1;
	return 0;
}

int da_fi_describe(const struct da_node *n, uint64_t off,
		   struct da_block_info *out)
{
	const struct da_fileindex *x = da_fi_get(n);
	if (!x) {
		out->indexing = true;
		return 0;
	}
	struct da_fi_run r[8];
	int count = da_fi_at(x, off, r, 8);
	if (count < 1)
		return 0;
	const struct fi_file *f = &x->files[r[0].file];
	out->role = da_role_name((enum da_role)r[0].role);
	out->inode = (int64_t)f->id;
	da_fi_path(x, r[0].file, 0, out->path, sizeof(out->path));
	out->nlinks = f->kind == DA_FILE_DIR ? 0 : file_nnames(f);
	out->file_offset = (r[0].flags & DA_RUN_META)
				   ? -1
				   : (int64_t)(r[0].file_off + (off - r[0].start));
	bool conflict = false;
	uint32_t shared = 0;
	for (int i = 1; i < count && i < 8; i++) {
		if (r[i].file == r[0].file)
			continue;
		if ((r[0].flags & DA_RUN_SHARED) && (r[i].flags & DA_RUN_SHARED))
			shared++;
		else
			conflict = true;
	}
	out->conflict = conflict;
	out->nshared = shared;
	return 1;
}

/* ---- a plugin's range_roles from exact pieces (fileindex.h) ---------- */

#define ROLES_STEPS (UINT64_C(1) << 22)    /* runs a range may walk */

void da_roles_init(struct da_roles *w, const struct da_node *n, uint64_t off,
		   uint64_t len, struct da_role_bytes *out, int max)
{
	uint64_t bs = n->dev && n->dev->block_size ? n->dev->block_size : 512;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	*w = (struct da_roles){ out, 0, max, max < 1, off, end, bs,
				da_fi_get(n), NULL };
}

/* The first byte at or after x whose block the caller counts from it:
 * the range's start, a block's start inside it, else the range's end. */
static uint64_t sample_at(const struct da_roles *w, uint64_t x)
{
	if (x <= w->off)
		return w->off;
	if (x >= w->end)
		return w->end;
	if (x % w->bs == 0)
		return x;
	uint64_t up = (x / w->bs + 1) * w->bs;
	return up < w->end ? up : w->end;
}

bool da_role_bytes_add(struct da_role_bytes *out, int *n, int max,
		       const char *role, uint64_t bytes)
{
	if (!bytes)
		return true;
	for (int i = 0; i < *n; i++) {
		if (out[i].role == role || !strcmp(out[i].role, role)) {
			out[i].bytes += bytes;
			return true;
		}
	}
	if (*n == max)
		return false;
	out[(*n)++] = (struct da_role_bytes){ role, bytes };
	return true;
}

static void add_bytes(struct da_roles *w, const char *role, uint64_t bytes)
{
	if (!w->failed && !da_role_bytes_add(w->out, &w->n, w->max, role, bytes))
		w->failed = true;
}

void da_roles_put(struct da_roles *w, uint64_t s, uint64_t e,
		  const char *role)
{
	if (!role || s >= e)
		return;
	uint64_t a = sample_at(w, s), b = sample_at(w, e);
	if (a < b)
		add_bytes(w, role, b - a);
}

void da_roles_bits(struct da_roles *w, const struct da_bitmap *bm,
		   uint64_t base, uint64_t unit, uint64_t s, uint64_t e,
		   const char *set, const char *clear)
{
	uint64_t a = sample_at(w, s), b = sample_at(w, e);
	if (a >= b || w->failed)
		return;
	if (!bm || unit != w->bs || a < base) {
		w->failed = true;
		return;
	}
	/* a counts up to the next block; then each block is counted from
	 * its start, which lies in the unit after the last one (units are
	 * blocks, perhaps not aligned with them), the last one up to b */
	uint64_t bs = w->bs, ns = (a / bs + 1) * bs;
	add_bytes(w, da_bitmap_test(bm, (a - base) / unit) ? set : clear,
		  (ns < b ? ns : b) - a);
	if (ns >= b)
		return;
	uint64_t ls = (b - 1) / bs * bs;   /* the last block's start */
	uint64_t k = (ns - base) / unit, whole = (ls - ns) / bs;
	uint64_t used = whole ? da_bitmap_count(bm, k, whole) : 0;
	add_bytes(w, set, used * bs);
	add_bytes(w, clear, (whole - used) * bs);
	add_bytes(w, da_bitmap_test(bm, k + whole) ? set : clear, b - ls);
}

struct roles_files {
	struct da_roles *w;
	da_roles_gap_fn gap;
	void *ctx;
	uint64_t at;               /* bytes before it are answered */
};

static int roles_piece(void *ctx, uint64_t start, uint64_t len,
		       const char *role)
{
	struct roles_files *f = ctx;
	struct da_roles *w = f->w;
	if (f->at < start)
		f->gap(w, f->at, start, f->ctx);
	uint64_t a = sample_at(w, start), b = sample_at(w, start + len);
	if (w->files_on && a < b) {
		uint64_t k0 = a / w->bs, k1 = (b - 1) / w->bs + 1;
		if (da_bitmap_count(w->files_on, k0, k1 - k0) != k1 - k0)
			w->failed = true;
	}
	da_roles_put(w, start, start + len, role);
	f->at = start + len;
	return f->w->failed;
}

void da_roles_files(struct da_roles *w, uint64_t s, uint64_t e,
		    da_roles_gap_fn gap, void *ctx)
{
	const struct da_fileindex *x = w->x;
	if (s < w->off)
		s = w->off;
	if (e > w->end)
		e = w->end;
	if (s >= e || w->failed)
		return;
	struct roles_files f = { w, gap, ctx, s };
	if (x && da_fi_roles_in(x, s, e - s, ROLES_STEPS, roles_piece, &f) < 0) {
		w->failed = true;
		return;
	}
	if (f.at < e)
		gap(w, f.at, e, ctx);
}

int da_roles_done(const struct da_roles *w)
{
	return w->failed ? -1 : w->n;
}

/* ---- the engine's questions (diskatlas.h) ---------------------------- */

int64_t da_fs_next_extent(const struct da_node *n, uint64_t off, int dir)
{
	if (n && n->plugin && n->plugin->file_next_extent)
		return n->plugin->file_next_extent((struct da_node *)n, off,
						   dir);
	const struct da_fileindex *x = da_fi_get(n);
	return x ? da_fi_next_extent(x, off, dir) : -1;
}

long da_fs_find(const struct da_node *n, const char *pattern,
		uint64_t *first_off, char *path_out, size_t path_len)
{
	const struct da_fileindex *x = da_fi_get(n);
	if (!x || !pattern || !pattern[0])
		return -1;
	uint32_t found[256];
	size_t count = da_fi_find(x, pattern, found, 256);
	bool have = false;
	for (size_t i = 0; i < count && i < 256 && !have; i++) {
		struct da_fi_run r;
		if (da_fi_file_run(x, found[i], 0, &r) < 0)
			continue;      /* nothing to show for an empty file */
		have = true;
		if (first_off)
			*first_off = r.start;
		if (path_out && path_len) {
			/* the name that matched, for a hard-linked file */
			char p[1024];
			path_out[0] = '\0';
			for (uint32_t k = 0;
			     da_fi_path(x, found[i], k, p, sizeof(p)) == 0; k++)
				if (path_matches(x, pattern, p)) {
					snprintf(path_out, path_len, "%s", p);
					break;
				}
			if (!path_out[0])
				da_fi_path(x, found[i], 0, path_out, path_len);
		}
	}
	return have ? (long)count : 0;
}
