/* The shared file index's own: its tables (fileindex.c builds them,
 * fileindex_answers.c answers from them).  Not for plugins: they use
 * fileindex.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FILEINDEX_PRIV_H
#define DA_FILEINDEX_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fileindex.h"

/* Bounds on what a hostile filesystem can make us hold. */
#define FI_MAX_FILES (64u << 20)
#define FI_MAX_RUNS (64u << 20)
#define FI_MAX_NAMES (64u << 20)
#define FI_MAX_NAME_BYTES (1u << 31)
#define FI_MAX_DEPTH 4096          /* directories above a file */
#define FI_WALK 4096               /* runs walked back over an overlap */
#define FI_ACTIVE 4096             /* overlapping runs checked at once */
#define FI_TOP 16                  /* runs a top-level search entry */
#define FI_HIST_BITS 13            /* the radix sort's first digit */
#define FI_COUNT_FROM (1u << FI_HIST_BITS)  /* fewer runs sort without it */

/* What the sort of the runs needs to know of their order, kept as they
 * are added (each a few instructions on a run already in the cache)
 * instead of in three more passes over the table before it. */
struct fi_order {
	uint64_t top;              /* the highest start so far */
	size_t behind;             /* runs that started below top */
	bool unsorted;             /* a run came before the one added last */
	uint64_t ored;             /* every start or'ed: their low zero bits */
	int shift;                 /* count[b]: runs with start >> shift == b */
};

/* A run, as the sort moves it and lookups search it: 16 bytes, sorted by
 * start.  The rest of it stays in the order the runs were added
 * (rest[at & FI_AT]): the sort moves half the bytes it would move with
 * whole runs, and a binary search reads twice as many starts a line. */
struct fi_run {
	uint64_t start;
	uint32_t len;              /* bits 0-31 of the length */
	uint32_t at;               /* its rest; FI_LONG: the length has more
				      bits, in the rest's len_hi */
};
#define FI_LONG 0x80000000u
#define FI_AT 0x7fffffffu
#define FI_MAX_LEN (((uint64_t)1 << 48) - 4096)  /* longer: in pieces */

struct fi_rest {
	uint64_t file_off;
	uint32_t file;
	uint8_t role;              /* enum da_role */
	uint8_t flags;             /* DA_RUN_* */
	uint16_t len_hi;           /* bits 32-47 of the length */
};
_Static_assert(DA_ROLE_COUNT <= 256, "a run's role is a byte");

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
	struct fi_run *runs;       /* sorted by start once published */
	struct fi_rest *rest;      /* in the order added */
	size_t nruns, capruns, caprest, map_rest;
	struct fi_order order;     /* of runs as added */
	uint32_t *count;           /* order's count, 1 << FI_HIST_BITS of
				      them, made at the FI_COUNT_FROMth run
				      (NULL before, or without memory) */
	uint64_t *maxend;          /* max end of runs[0..i]; NULL where no
				      runs overlap (fi_maxend) */
	uint32_t *maxrun;          /* which run reaches it (in maxend's
				      table, of map_maxend bytes) */
	size_t map_maxend;
	uint64_t *top;             /* the start of every FI_TOP-th run */
	size_t ntop;
	uint32_t *byfile;          /* run numbers by (file, meta, file_off),
				      made when first asked for (fi_byfile) */
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

static inline const struct fi_rest *fi_rest(const struct da_fileindex *x,
					    const struct fi_run *r)
{
	return &x->rest[r->at & FI_AT];
}

/* A run's length from its two halves (t: its rest, read only where the
 * length has more than 32 bits). */
static inline uint64_t fi_len_of(const struct fi_run *r,
				 const struct fi_rest *t)
{
	if (r->at & FI_LONG)
		return (uint64_t)t->len_hi << 32 | r->len;
	return r->len;
}

static inline uint64_t fi_len(const struct da_fileindex *x,
			      const struct fi_run *r)
{
	return fi_len_of(r, fi_rest(x, r));
}

static inline uint64_t fi_end(const struct da_fileindex *x,
			      const struct fi_run *r)
{
	return r->start + fi_len(x, r);
}

static inline bool fi_holds(const struct da_fileindex *x,
			    const struct fi_run *r, uint64_t off)
{
	return off >= r->start && off - r->start < fi_len(x, r);
}

/* Run i (in start order) as readers get it. */
static inline struct da_fi_run fi_run_get(const struct da_fileindex *x,
					  size_t i)
{
	const struct fi_run *r = &x->runs[i];
	const struct fi_rest *t = fi_rest(x, r);
	return (struct da_fi_run){
		.start = r->start, .len = fi_len(x, r),
		.file_off = t->file_off, .file = t->file, .role = t->role,
		.flags = t->flags,
	};
}

/* The farthest end of runs [0, i], and the run that reaches it: the run
 * itself where no runs overlap. */
static inline uint64_t fi_maxend(const struct da_fileindex *x, size_t i)
{
	return x->maxend ? x->maxend[i] : fi_end(x, &x->runs[i]);
}

static inline size_t fi_maxrun(const struct da_fileindex *x, size_t i)
{
	return x->maxrun ? x->maxrun[i] : i;
}

/* fileindex.c's malloc, with a hint for huge pages for a big table */
void *fi_malloc(size_t bytes);

/* The pass over the runs in order of start (fileindex_sort.c), as far as
 * they are in their places: the farthest end so far, the start of every
 * FI_TOP-th run (top), and every overlap between runs of different
 * files: legal sharing when both runs are SHARED, else a conflict on
 * both.  The radix sort makes it as each bucket is done, while its runs
 * are in the cache. */
struct fi_scan {
	struct da_fileindex *x;
	size_t i;                  /* runs [0, i) are done */
	uint64_t m;                /* the farthest end of runs [0, i) */
	size_t na;
	bool capped, overlaps;     /* more than FI_ACTIVE at once; any */
	uint32_t active[FI_ACTIVE];
};

/* x's runs sorted by start (then by file), and the pass made over all of
 * them (sc: zeroed but for x). */
void fi_sort_runs(struct da_fileindex *x, struct fi_scan *sc);

/* Rounds of swaps in the radix sort's first pass before chains of moves
 * place the rest (40; tests set fewer). */
extern int fi_radix_rounds;

/* The run numbers of every file's runs in file order, files' runs from
 * x->run_first[file]: made the first time they are asked for (under a
 * lock, once), NULL when there is no memory for them. */
const uint32_t *fi_byfile(const struct da_fileindex *x);

#endif
