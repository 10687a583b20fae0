/* The shared file index: what a filesystem plugin emits, and the block ->
 * file answers the engine gives for every filesystem alike.
 *
 * A plugin's build_index (which may run in another thread) makes an index
 * with da_fi_new, adds its files (da_fi_add_file), their names
 * (da_fi_add_name) and the runs of the filesystem's address space each
 * file owns (da_fi_add_run), and hands it to da_fi_publish.  Publishing
 * sorts and checks the runs and makes the index visible to readers; from
 * then on it never changes until the node is freed.
 *
 * Units: byte offsets and lengths in the node's own device (the
 * filesystem's address space), whatever the format's block size.
 *
 * Invariants after publishing: runs sorted by start; every byte claimed
 * by runs of two different files is found, and is either legal sharing
 * (both runs DA_RUN_SHARED: reflinks, a shared xattr block) or a
 * conflict, flagged on every run involved; a file's runs can be listed in
 * file order.  The metadata the scan already knows (superblocks, tables,
 * bitmaps) stays with the plugin, which answers it in describe_block
 * before asking da_fi_describe for everything else.
 *
 * Threading: readers call da_fi_get(n), which is NULL until the index is
 * published (the answer is then "indexing") and never blocks.  A partial
 * or failed index is still published, with its reason (da_fi_warn), so
 * that no reader waits for ever.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FILEINDEX_H
#define DA_FILEINDEX_H

#include <string.h>

#include "diskatlas.h"

/* ---- building (plugins) ---------------------------------------------- */

/* Flags of a run. */
#define DA_RUN_SHARED     0x01  /* may be shared with other SHARED runs */
#define DA_RUN_UNWRITTEN  0x02  /* allocated, reads as zeros (prealloc) */
#define DA_RUN_COMPRESSED 0x04
#define DA_RUN_META       0x08  /* the file's own metadata (extent tree,
				   indirect block, bmbt): no file offset */
#define DA_RUN_CONFLICT   0x80  /* set by publishing: another file claims
				   some of these bytes */

/* Flags of a file. */
#define DA_FILE_SPARSE     0x01
#define DA_FILE_COMPRESSED 0x02
#define DA_FILE_ENCRYPTED  0x04

struct da_fileindex;

/* A new, empty index; case_insensitive for FAT, exFAT, NTFS names.
 * NULL on allocation failure. */
struct da_fileindex *da_fi_new(bool case_insensitive);

/* How many files and runs the plugin expects (inodes in use, say): the
 * tables are made that size at once instead of growing by doubling.  An
 * estimate only: a wrong one costs memory or a realloc, never an answer. */
void da_fi_reserve(struct da_fileindex *x, size_t files, size_t runs);

/* Add a file: id is the format's own number (inode, MFT record, directory
 * entry), unique in the index.  Returns its index number (what runs name),
 * or UINT32_MAX when the index is full or out of memory (the reason is
 * recorded; stop adding). */
uint32_t da_fi_add_file(struct da_fileindex *x, uint64_t id,
			enum da_file_kind kind, uint64_t size, uint32_t flags);

/* One name of a file: file id `id` is called name[0..len) in directory
 * `parent_id` (ids, not index numbers: a name may come before its
 * directory's file).  The root directory is the file whose id is given to
 * da_fi_set_root; it needs no name.  -1 when full or out of memory. */
int da_fi_add_name(struct da_fileindex *x, uint64_t id, uint64_t parent_id,
		   const char *name, size_t len);
void da_fi_set_root(struct da_fileindex *x, uint64_t root_id);

/* Bytes [start, start+len) of the filesystem belong to file (an index
 * number from da_fi_add_file) at byte file_off of it, with a role
 * (DA_ROLE_FILE_DATA, DA_ROLE_DIRECTORY, DA_ROLE_EXTENT_TREE...) and
 * DA_RUN_* flags.  Runs may come in any order; one that continues the
 * previous run of the same file merges with it.  -1 when full. */
int da_fi_add_run(struct da_fileindex *x, uint32_t file, uint64_t start,
		  uint64_t len, uint64_t file_off, enum da_role role,
		  uint32_t flags);

/* Runs of one file and one role, as found (a leaf of an extent tree):
 * what da_fi_add_run does for each, in one call. */
struct da_fi_piece {
	uint64_t start, len, file_off;
	uint32_t flags;
};
int da_fi_add_runs(struct da_fileindex *x, uint32_t file, enum da_role role,
		   const struct da_fi_piece *v, size_t n);

/* Why the index is partial (the first reason is kept; later ones count).
 * Shown as the node's "file index: ..." warning. */
void da_fi_warn(struct da_fileindex *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sort, find overlaps, and make x the node's index (x may be NULL: the
 * index could not be made at all; reason then says why).  After this the
 * plugin must not touch x; it is freed with the node (da_node_free). */
void da_fi_publish(struct da_node *n, struct da_fileindex *x,
		   const char *reason);

/* A block answer with nothing known yet: no block, file or offset. */
static inline void da_block_info_init(struct da_block_info *out)
{
	memset(out, 0, sizeof(*out));
	out->block = out->inode = out->file_offset = -1;
}

/* Free a node's index (da_node_free calls it). */
void da_fi_node_free(struct da_node *n);

/* ---- answers (the engine, the report, the explorer) ------------------ */

/* For a plugin's describe_block: fill out's role, inode, path, nlinks,
 * file_offset and conflict from the index for byte off.  Returns 1 when a
 * file owns off, 0 when none does (out untouched but for indexing), and
 * sets out->indexing while the index is not published. */
int da_fi_describe(const struct da_node *n, uint64_t off,
		   struct da_block_info *out);

/* The published index of a filesystem node, or NULL while indexing. */
const struct da_fileindex *da_fi_get(const struct da_node *n);

/* How many files, runs, conflicting bytes. */
size_t da_fi_files(const struct da_fileindex *x);
size_t da_fi_runs(const struct da_fileindex *x);
uint64_t da_fi_conflict_bytes(const struct da_fileindex *x);
const char *da_fi_reason(const struct da_fileindex *x);

/* A file of the index by number. */
struct da_fi_file {
	uint64_t id;
	enum da_file_kind kind;
	uint64_t size;
	uint32_t flags;
	uint32_t nnames;           /* names found in directories */
};
int da_fi_file(const struct da_fileindex *x, uint32_t file,
	       struct da_fi_file *out);
/* How many runs a file has (da_fi_file_run's k < this).  The first call
 * of this, da_fi_file_run or da_fi_next_extent puts every file's runs in
 * file order, once: lookups and the map never need it. */
uint32_t da_fi_file_nruns(const struct da_fileindex *x, uint32_t file);
/* The number of the file with this id, or UINT32_MAX. */
uint32_t da_fi_find_id(const struct da_fileindex *x, uint64_t id);
/* Its k-th path ("/a/b"; the root is "/"): every name of a hard-linked
 * file in turn.  A path too long for cap keeps its end, "/…/b/c".  Writes
 * "" and returns -1 when k is out of range or the directories above are
 * unknown (an orphan). */
int da_fi_path(const struct da_fileindex *x, uint32_t file, uint32_t k,
	       char *out, size_t cap);

/* One run, as stored. */
struct da_fi_run {
	uint64_t start, len;       /* bytes of the filesystem */
	uint64_t file_off;         /* byte of the file at start */
	uint32_t file;
	uint16_t role;             /* enum da_role */
	uint16_t flags;            /* DA_RUN_* */
};

/* Every run holding byte off, first the one a lookup names (the lowest
 * file number), then the others (conflicts or legal sharing); returns how
 * many hold it (may exceed max; only max are written). */
int da_fi_at(const struct da_fileindex *x, uint64_t off,
	     struct da_fi_run *out, int max);
/* The file's k-th run in file order (by file_off; metadata runs last).
 * -1 when k is out of range. */
int da_fi_file_run(const struct da_fileindex *x, uint32_t file, uint32_t k,
		   struct da_fi_run *out);
/* The start of the next (dir > 0) or previous (dir < 0) run of the same
 * file as the run holding off, in disk order; -1 when none. */
int64_t da_fi_next_extent(const struct da_fileindex *x, uint64_t off,
			  int dir);

/* Files whose path matches pattern: a glob (* ? [...]) when it has one of
 * those characters, else a substring; case follows the filesystem's
 * rule; a glob without '/' is matched against the file's name, as
 * find -name does.  Writes up to max file numbers in file order and
 * returns how many match in all (a file counts once). */
size_t da_fi_find(const struct da_fileindex *x, const char *pattern,
		  uint32_t *out, size_t max);

/* The files with bytes in [off, off+len): up to max of them, the biggest
 * share first, with how many bytes each has there.  Returns how many
 * distinct files were seen (sampled beyond a bound, which *sampled says). */
struct da_fi_share {
	uint32_t file;
	uint64_t bytes;
	uint64_t first;            /* its first byte in the range */
	int64_t file_off;          /* the file's byte there, -1: metadata */
};
size_t da_fi_files_in(const struct da_fileindex *x, uint64_t off,
		      uint64_t len, struct da_fi_share *out, size_t max,
		      bool *sampled);

/* The roles files give the bytes of [off, off+len), in address order:
 * fn(ctx, start, len, role) for each piece that files own, with the role
 * da_fi_describe names for every byte of it (where runs overlap, the
 * lowest-numbered file's); bytes no file owns are left out, and
 * neighbouring pieces of one role come as one.  0; -1 when that would
 * take more than max_steps steps, when overlaps are too deep to answer
 * as da_fi_describe would, or when fn returns non-zero (the caller then
 * asks byte by byte).  The role is a static string. */
typedef int (*da_fi_role_fn)(void *ctx, uint64_t start, uint64_t len,
			     const char *role);
int da_fi_roles_in(const struct da_fileindex *x, uint64_t off, uint64_t len,
		   size_t max_steps, da_fi_role_fn fn, void *ctx);

/* ---- a plugin's range_roles from exact pieces ------------------------- */

/* Adds bytes of role to the list out[0..*n) (the entry of an equal
 * role, else a new one): false when a new one would pass max. */
bool da_role_bytes_add(struct da_role_bytes *out, int *n, int max,
		       const char *role, uint64_t bytes);

/* The caller of range_roles (and its test) counts a block's bytes under
 * the role describe_block gives its first byte in the range: the range's
 * start, then every multiple of the node's block size.  A plugin that
 * knows the exact role of every byte (its fixed regions, the file
 * index's runs, its bitmaps for the rest) gives them here in address
 * order, and da_roles counts each piece's bytes as those blocks do.
 *
 *   struct da_roles w;
 *   da_roles_init(&w, n, off, len, out, max);
 *   da_roles_put(&w, start, end, "superblock");        (a fixed region)
 *   da_roles_files(&w, start, end, gap, ctx);          (files; gap()
 *       is asked the bytes no file holds, it calls da_roles_put or
 *       da_roles_bits)
 *   return da_roles_done(&w);                          (count, or -1)
 */
struct da_roles {
	struct da_role_bytes *out;
	int n, max;
	bool failed;               /* the answer is not exact: decline */
	uint64_t off, end, bs;
	const struct da_fileindex *x;  /* da_fi_get at init: NULL, not built */
	/* optional: a bitmap of the node's blocks that every block a file
	 * names must have set, else the answer is declined (a format whose
	 * describe_block says free before it asks the file index) */
	const struct da_bitmap *files_on;
};
void da_roles_init(struct da_roles *w, const struct da_node *n, uint64_t off,
		   uint64_t len, struct da_role_bytes *out, int max);
/* Bytes [s, e) have role (pieces come in address order; parts outside
 * the range are ignored). */
void da_roles_put(struct da_roles *w, uint64_t s, uint64_t e,
		  const char *role);
/* Bytes [s, e) of units of unit bytes from base, unit k with role set
 * when bit k of bm is set, else clear.  Counted, not walked: the units
 * must be the node's blocks in size (unit the block size; base need not
 * be a multiple of it), else the answer is declined. */
void da_roles_bits(struct da_roles *w, const struct da_bitmap *bm,
		   uint64_t base, uint64_t unit, uint64_t s, uint64_t e,
		   const char *set, const char *clear);
/* Bytes [s, e) as the file index (w->x) names them, gap(w, a, b, ctx)
 * for the pieces no file holds (all of them while w->x is NULL). */
typedef void (*da_roles_gap_fn)(struct da_roles *w, uint64_t s, uint64_t e,
				void *ctx);
void da_roles_files(struct da_roles *w, uint64_t s, uint64_t e,
		    da_roles_gap_fn gap, void *ctx);
/* How many roles were written, or -1 when the answer is not exact. */
int da_roles_done(const struct da_roles *w);

#endif
