/* The shared file index (see fileindex.h for the contract).
 *
 * Storage: runs sorted by start, with (where some overlap) a prefix
 * maximum of their ends and which run reaches that far, so that the runs
 * holding a byte are found with one binary search and, where runs
 * overlap, a short walk back; the files in the order given, with an
 * order by id unless they came so; the names in the order given, with a
 * second order by file; a second order of the runs by file, made when
 * first asked for.  32 bytes a run: its start and length (16 bytes,
 * sorted in place) and the rest of it (file, offset in the file, role,
 * flags: 16 bytes, in the order added, never moved); 12 more for the
 * prefix maximum where runs overlap, 4 more once the order by file is
 * made; 24 bytes a file, 16 a name and its text.
 * The tables are sized from the plugin's estimate (da_fi_reserve) where it
 * gives one, and past 1 MiB grow in place in a mapping (map_table), never
 * by copying.  The runs are sorted, and the overlaps found, by
 * fileindex_sort.c.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fileindex_inplace.h"
#include "fileindex_priv.h"
#include "util.h"

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

void *fi_malloc(size_t bytes)
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

static void table_free(void *p, size_t mapped)
{
	if (mapped)
		munmap(p, mapped);
	else
		free(p);
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

/* A growing table past FI_MAP moves into a mapping of address space 8
 * times what it needs (at least FI_ROOM, at most max items, and one more
 * for the files' closing entry), 2 MiB aligned and hinted for huge pages,
 * and fills it in place: growing by doubling copied every table twice
 * over and faulted its pages in twice (a third of an index build of a
 * million extents was the kernel clearing pages).  Pages never written
 * are never made, so memory is what the table holds; the room is bounded
 * so that strict overcommit, which counts it all, is not exhausted.  A
 * table that outgrows its room moves again, to 8 times more.  False
 * when the mapping cannot be made (a limit on address space): the table
 * then grows by doubling. */
#define FI_ROOM ((size_t)64 << 20)
static bool map_table(void **v, size_t *cap, size_t *mapped, size_t n,
		      size_t size, size_t c, size_t max)
{
	size_t room = c > SIZE_MAX / 8 ? max : c * 8;
	if (room < FI_ROOM / size)
		room = FI_ROOM / size;
	if (room > max)
		room = max;
	if (room > SIZE_MAX / size - 1)
		return false;
	size_t bytes;
	char *a = map_aligned((room + 1) * size, &bytes);
	if (!a)
		return false;
	if (n)
		memcpy(a, *v, n * size);
	table_free(*v, *mapped);
	*v = a;
	*cap = room;
	*mapped = bytes;
	return true;
}

/* Make *v (of *cap items of size, n of them in use) hold c items (up to
 * max); false when it cannot. */
static bool table_resize(void **v, size_t *cap, size_t *mapped, size_t n,
			 size_t size, size_t c, size_t max)
{
	if (c <= *cap)
		return true;
	if (c > max)
		c = max;
	if (c * size >= FI_MAP && map_table(v, cap, mapped, n, size, c, max))
		return true;
	if (*mapped)
		return false;      /* no room for a bigger mapping */
	void *p = fi_realloc(*v, n * size, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

/* Make *v (of *cap items of size, used of them in use) hold want items;
 * false when it cannot or when that is more than max.  It doubles, but
 * past an estimate (hint) grows an eighth at a time, up to twice it: the
 * estimate was near. */
static bool table_room(void **v, size_t *cap, size_t *mapped, size_t used,
		       size_t size, size_t want, size_t max, size_t hint)
{
	if (want <= *cap)
		return true;
	if (want > max)
		return false;
	size_t c = *cap ? *cap * 2 : 256;
	if (hint && *cap >= hint && *cap < 2 * hint)
		c = *cap + *cap / 8 + 256;
	if (c < want)
		c = want;
	return table_resize(v, cap, mapped, used, size, c, max) &&
	       *cap >= want;
}

/* Room for one more than n. */
static bool grow(void **v, size_t *cap, size_t *mapped, size_t n, size_t size,
		 size_t max, size_t hint)
{
	return table_room(v, cap, mapped, n, size, n + 1, max, hint);
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
	table_resize((void **)&x->rest, &x->caprest, &x->map_rest, x->nruns,
		     sizeof(*x->rest), runs, FI_MAX_RUNS);
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
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the last few bytes as one word too, where the text table holds
	 * eight from here: the bytes past the name count as neither */
	if (i < len && !odd && x->ntext + i + 8 <= x->captext) {
		uint64_t w, s, past = ~(((uint64_t)1 << (8 * (len - i))) - 1);
		memcpy(&w, d + i, 8);
		s = (w ^ slashes) | past;
		w |= past;
		odd = (((w - ones) & ~w) | ((s - ones) & ~s)) & highs;
		i = len;
	}
#endif
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

/* The count of the first digit, with start: its buckets are halved
 * (their neighbours added) when a start is past them, at most 64 times
 * an index. */
static inline __attribute__((always_inline)) void
count_add(struct fi_order *o, uint32_t *count, uint64_t start)
{
	enum { NB = 1 << FI_HIST_BITS };
	while (start >> o->shift >= NB) {
		for (size_t b = 0; b < NB / 2; b++)
			count[b] = count[2 * b] + count[2 * b + 1];
		memset(count + NB / 2, 0, NB / 2 * sizeof(*count));
		o->shift++;
	}
	count[start >> o->shift]++;
}

/* The order of the runs as added (struct fi_order) with a new run at
 * start, of file, after prev (NULL: the first); count: the first
 * digit's, where it is kept. */
static inline __attribute__((always_inline)) void
order_add(struct fi_order *o, uint32_t *count, uint64_t start, uint32_t file,
	  const struct fi_run *prev, uint32_t prev_file)
{
	if (prev) {
		if (start < prev->start ||
		    (start == prev->start && file < prev_file))
			o->unsorted = true;
		if (start < o->top)
			o->behind++;
		else
			o->top = start;
	} else {
		o->top = start;
	}
	o->ored |= start;
	if (count)
		count_add(o, count, start);
}

/* Where runs are added: x's tables, how many, and the order so far, in
 * a copy that a batch keeps in registers (x's fields, reached through x,
 * were read again after every store to a run, which may alias them). */
struct fi_cursor {
	struct fi_run *runs;
	struct fi_rest *rest;
	uint32_t *count;
	size_t n;
	struct fi_order o;
};

static inline struct fi_cursor cursor_of(struct da_fileindex *x)
{
	return (struct fi_cursor){ .runs = x->runs, .rest = x->rest,
				   .count = x->count, .n = x->nruns,
				   .o = x->order };
}

static inline void cursor_done(struct da_fileindex *x,
			       const struct fi_cursor *c)
{
	x->nruns = c->n;
	x->order = c->o;
	x->count = c->count;
}

/* The count of the first digit, made when the runs are enough to be
 * sorted by it (a small index has none: 32 KiB of pages a filesystem),
 * with the runs so far. */
static uint32_t *count_make(struct fi_cursor *c)
{
	uint32_t *count = calloc((size_t)1 << FI_HIST_BITS, sizeof(*count));
	for (size_t i = 0; count && i < c->n; i++)
		count_add(&c->o, count, c->runs[i].start);
	return count;
}

/* One run of at most FI_MAX_LEN bytes, merged with the last where it
 * continues it, into tables with room for it. */
static inline __attribute__((always_inline)) void
add_piece(struct fi_cursor *c, uint32_t file, uint64_t start, uint64_t len,
	  uint64_t file_off, uint8_t role, uint8_t flags)
{
	size_t i = c->n;
	if (i) {
		struct fi_run *r = &c->runs[i - 1];
		struct fi_rest *t = &c->rest[i - 1];
		uint64_t had = fi_len_of(r, t);
		if (t->file == file && t->role == role && t->flags == flags &&
		    r->start + had == start && len <= FI_MAX_LEN - had &&
		    ((flags & DA_RUN_META) || t->file_off + had == file_off)) {
			len += had;
			r->len = (uint32_t)len;
			r->at = (r->at & FI_AT) | (len >> 32 ? FI_LONG : 0);
			t->len_hi = (uint16_t)(len >> 32);
			return;
		}
	}
	c->runs[i] = (struct fi_run){
		.start = start, .len = (uint32_t)len,
		.at = (uint32_t)i | (len >> 32 ? FI_LONG : 0),
	};
	c->rest[i] = (struct fi_rest){
		.file_off = (flags & DA_RUN_META) ? 0 : file_off,
		.file = file, .role = role, .flags = flags,
		.len_hi = (uint16_t)(len >> 32),
	};
	if (!c->count && i + 1 == FI_COUNT_FROM)
		c->count = count_make(c);
	order_add(&c->o, c->count, start, file, i ? &c->runs[i - 1] : NULL,
		  i ? c->rest[i - 1].file : 0);
	c->n = i + 1;
}

/* Room for n more runs in both tables. */
static bool runs_room(struct da_fileindex *x, size_t n)
{
	size_t want = x->nruns + n;
	return table_room((void **)&x->runs, &x->capruns, &x->map_runs,
			  x->nruns, sizeof(*x->runs), want, FI_MAX_RUNS,
			  x->hint_runs) &&
	       table_room((void **)&x->rest, &x->caprest, &x->map_rest,
			  x->nruns, sizeof(*x->rest), want, FI_MAX_RUNS,
			  x->hint_runs);
}

/* A run's role and flags as kept: a byte each, CONFLICT the index's own. */
static uint8_t run_role(enum da_role role)
{
	return (unsigned)role < DA_ROLE_COUNT ? (uint8_t)role : DA_ROLE_NONE;
}

static uint8_t run_flags(uint32_t flags)
{
	return (uint8_t)(flags & 0xff & ~(uint32_t)DA_RUN_CONFLICT);
}

int da_fi_add_run(struct da_fileindex *x, uint32_t file, uint64_t start,
		  uint64_t len, uint64_t file_off, enum da_role role,
		  uint32_t flags)
{
	if (!x || x->full || file >= x->nfiles || len == 0)
		return x && !x->full && len == 0 ? 0 : -1;
	if (start + len < start)
		len = UINT64_MAX - start;
	/* longer than a run holds (256 TiB): in pieces, one after another */
	for (;;) {
		uint64_t piece = len > FI_MAX_LEN ? FI_MAX_LEN : len;
		/* the test first, here: a call a run cost a tenth of a
		 * build */
		if ((x->nruns >= x->capruns || x->nruns >= x->caprest) &&
		    !runs_room(x, 1)) {
			full(x, "runs");
			return -1;
		}
		struct fi_cursor c = cursor_of(x);
		add_piece(&c, file, start, piece, file_off, run_role(role),
			  run_flags(flags));
		cursor_done(x, &c);
		if (piece == len)
			return 0;
		start += piece;
		file_off += piece;
		len -= piece;
	}
}

/* Runs one at a time: up to where the index is full. */
static int add_runs_slow(struct da_fileindex *x, uint32_t file,
			 enum da_role role, const struct da_fi_piece *v,
			 size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (da_fi_add_run(x, file, v[k].start, v[k].len, v[k].file_off,
				  role, v[k].flags) < 0)
			return -1;
	return 0;
}

int da_fi_add_runs(struct da_fileindex *x, uint32_t file, enum da_role role,
		   const struct da_fi_piece *v, size_t n)
{
	if (n == 0)
		return 0;
	if (!x || x->full || file >= x->nfiles)
		return -1;
	if ((x->nruns + n > x->capruns || x->nruns + n > x->caprest) &&
	    !runs_room(x, n))
		return add_runs_slow(x, file, role, v, n);
	/* the tables and the order in registers for the batch (a call a
	 * run, with the order in memory, was a fifth of an index of a
	 * million runs) */
	struct fi_cursor c = cursor_of(x);
	for (size_t k = 0; k < n; k++) {
		uint64_t start = v[k].start, len = v[k].len;
		if (len == 0)
			continue;
		if (len > FI_MAX_LEN || start + len < start) {
			/* the long way, in pieces (rare), then the rest */
			cursor_done(x, &c);
			return add_runs_slow(x, file, role, v + k, n - k);
		}
		add_piece(&c, file, start, len, v[k].file_off, run_role(role),
			  run_flags(v[k].flags));
	}
	cursor_done(x, &c);
	return 0;
}

/* ---- publishing ------------------------------------------------------ */

static int cmp_byfile(const void *a, const void *b, const void *ctx)
{
	const struct da_fileindex *fi = ctx;
	const struct fi_run *x = &fi->runs[*(const uint32_t *)a];
	const struct fi_run *y = &fi->runs[*(const uint32_t *)b];
	const struct fi_rest *tx = fi_rest(fi, x), *ty = fi_rest(fi, y);
	if (tx->file != ty->file)
		return tx->file < ty->file ? -1 : 1;
	int mx = !!(tx->flags & DA_RUN_META), my = !!(ty->flags & DA_RUN_META);
	if (mx != my)
		return mx - my;
	uint64_t kx = mx ? x->start : tx->file_off;
	uint64_t ky = my ? y->start : ty->file_off;
	return kx < ky ? -1 : kx > ky;
}

static int cmp_by_id(const void *a, const void *b, const void *ctx)
{
	const struct da_fileindex *fi = ctx;
	const struct fi_file *x = &fi->files[*(const uint32_t *)a];
	const struct fi_file *y = &fi->files[*(const uint32_t *)b];
	return x->id < y->id ? -1 : x->id > y->id;
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

/* Where runs overlap, lookups walk back from the last run starting at or
 * before an offset while an earlier run reaches past it: the prefix
 * maximum of the runs' ends, and which run reaches it.  Without overlaps
 * that is each run's own end, and the table (12 bytes a run, pages the
 * kernel clears: a tenth of an index build of a million runs) is not
 * made. */
static int make_maxend(struct da_fileindex *x)
{
	x->maxend = table_new((x->nruns + 1) * (sizeof(*x->maxend) +
						sizeof(*x->maxrun)),
			      &x->map_maxend);
	if (!x->maxend)
		return -1;
	x->maxrun = (uint32_t *)(x->maxend + x->nruns + 1);
	uint64_t m = 0;
	uint32_t mr = 0;
	for (size_t i = 0; i < x->nruns; i++) {
		uint64_t e = fi_end(x, &x->runs[i]);
		if (e > m) {
			m = e;
			mr = (uint32_t)i;
		}
		x->maxend[i] = m;
		x->maxrun[i] = mr;
	}
	return 0;
}

static int finish(struct da_fileindex *x)
{
	shrink((void **)&x->runs, &x->capruns, x->map_runs, x->nruns,
	       sizeof(*x->runs));
	shrink((void **)&x->rest, &x->caprest, x->map_rest, x->nruns,
	       sizeof(*x->rest));
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
	x->ntop = (x->nruns + FI_TOP - 1) / FI_TOP;
	x->top = fi_malloc((x->ntop + 1) * sizeof(*x->top));
	struct fi_scan *sc = malloc(sizeof(*sc));
	if (!x->top || !sc) {
		free(sc);
		return -1;
	}
	*sc = (struct fi_scan){ .x = x };
	fi_sort_runs(x, sc);
	if (sc->capped)
		da_fi_warn(x, "more than %d runs overlap at once: conflicts "
			   "past those are not all found", FI_ACTIVE);
	bool overlaps = sc->overlaps;
	free(sc);
	if (overlaps && make_maxend(x) < 0)
		return -1;
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
	table_free(x->rest, x->map_rest);
	free(x->count);
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
		uint32_t f = x->rest[i].file;
		mend[f]++;
		dend[f] += !!(x->rest[i].flags & DA_RUN_META);
	}
	uint32_t at = 0;
	for (size_t i = 0; i <= x->nfiles; i++) {
		at += mend[i];
		mend[i] = at;
		dend[i] = at - dend[i];
	}
	for (size_t i = x->nruns; i-- > 0;) {
		const struct fi_rest *t = fi_rest(x, &x->runs[i]);
		if (t->flags & DA_RUN_META)
			by[--mend[t->file]] = (uint32_t)i;
		else
			by[--dend[t->file]] = (uint32_t)i;
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

const uint32_t *fi_byfile(const struct da_fileindex *cx)
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
