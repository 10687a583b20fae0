/* Unit tests of the shared file index (src/fileindex.c) on hand-made
 * runs, names and files, and of the role vocabulary.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diskatlas.h"
#include "fileindex.h"
#include "fileindex_priv.h"  /* whether the prefix maximum was made */

#define B 4096ull                  /* a block, for readable numbers */

static struct da_node *node_new(void)
{
	struct da_node *n = calloc(1, sizeof(*n));
	n->type = DA_NODE_FILESYSTEM;
	return n;
}

static void node_free(struct da_node *n)
{
	da_fi_node_free(n);
	free(n->reason);
	da_value_free(n->props);
	free(n);
}

/* One long run of file A, then more than 64 short runs of other files
 * that start inside it: the byte near A's end, past all of them, is A's
 * (a look-back of 64 runs missed it), and each short run is a conflict. */
static void test_conflict_far_apart(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	assert_non_null(x);
	da_fi_set_root(x, 2);
	uint32_t root = da_fi_add_file(x, 2, DA_FILE_DIR, 0, 0);
	uint32_t a = da_fi_add_file(x, 12, DA_FILE_REGULAR, 1000 * B, 0);
	assert_int_equal(da_fi_add_name(x, 12, 2, "big", 3), 0);
	assert_int_equal(da_fi_add_run(x, root, 5 * B, B, 0,
				       DA_ROLE_DIRECTORY, 0), 0);
	assert_int_equal(da_fi_add_run(x, a, 1000 * B, 1000 * B, 0,
				       DA_ROLE_FILE_DATA, 0), 0);
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "s%d", i);
		uint32_t f = da_fi_add_file(x, 100 + (uint64_t)i,
					    DA_FILE_REGULAR, B, 0);
		da_fi_add_name(x, 100 + (uint64_t)i, 2, name, strlen(name));
		da_fi_add_run(x, f, (1001 + 5 * (uint64_t)i) * B, B, 0,
			      DA_ROLE_FILE_DATA, 0);
	}
	da_fi_publish(n, x, NULL);
	const struct da_fileindex *ix = da_fi_get(n);
	assert_ptr_equal(ix, x);
	assert_int_equal(da_fi_conflict_bytes(ix), 100 * B);
	assert_non_null(n->reason);
	assert_non_null(strstr(n->reason, "claimed by more than one file"));

	struct da_fi_run r[4];
	/* past every short run: A alone, no conflict */
	assert_int_equal(da_fi_at(ix, 1995 * B + 7, r, 4), 1);
	assert_int_equal(r[0].file, a);
	struct da_block_info info;
	da_block_info_init(&info);
	assert_int_equal(da_fi_describe(n, 1995 * B + 7, &info), 1);
	assert_string_equal(info.path, "/big");
	assert_int_equal(info.inode, 12);
	assert_int_equal(info.file_offset, 995 * B + 7);
	assert_false(info.conflict);
	/* inside the 51st short run: both, the lower file number first */
	assert_int_equal(da_fi_at(ix, 1251 * B, r, 4), 2);
	assert_int_equal(r[0].file, a);
	assert_int_equal(r[1].file, a + 51);
	assert_true(r[0].flags & DA_RUN_CONFLICT);
	da_block_info_init(&info);
	da_fi_describe(n, 1251 * B, &info);
	assert_true(info.conflict);
	/* between two short runs, inside A only */
	assert_int_equal(da_fi_at(ix, 1252 * B, r, 4), 1);
	/* before everything, and in the directory */
	assert_int_equal(da_fi_at(ix, 0, r, 4), 0);
	assert_int_equal(da_fi_at(ix, 5 * B, r, 4), 1);
	assert_int_equal(r[0].file, root);
	node_free(n);
}

/* Reflinked runs are legal sharing, not a conflict; a hard-linked file
 * has every name; an unknown parent leaves a file without a path. */
static void test_sharing_and_names(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	da_fi_set_root(x, 1);
	da_fi_add_file(x, 1, DA_FILE_DIR, 0, 0);
	da_fi_add_file(x, 5, DA_FILE_DIR, 0, 0);
	uint32_t f = da_fi_add_file(x, 7, DA_FILE_REGULAR, 3 * B, 0);
	uint32_t g = da_fi_add_file(x, 8, DA_FILE_REGULAR, 3 * B, 0);
	uint32_t o = da_fi_add_file(x, 9, DA_FILE_REGULAR, B, 0);
	/* names may come before their directory's */
	da_fi_add_name(x, 7, 5, "a.txt", 5);
	da_fi_add_name(x, 5, 1, "dir", 3);
	da_fi_add_name(x, 7, 1, "link", 4);
	da_fi_add_name(x, 8, 1, "copy", 4);
	da_fi_add_name(x, 9, 77, "orphan", 6);
	da_fi_add_run(x, f, 10 * B, 3 * B, 0, DA_ROLE_FILE_DATA,
		      DA_RUN_SHARED);
	da_fi_add_run(x, g, 10 * B, 3 * B, 0, DA_ROLE_FILE_DATA,
		      DA_RUN_SHARED);
	da_fi_add_run(x, o, 20 * B, B, 0, DA_ROLE_FILE_DATA, 0);
	da_fi_publish(n, x, NULL);
	const struct da_fileindex *ix = da_fi_get(n);
	assert_int_equal(da_fi_conflict_bytes(ix), 0);
	assert_null(n->reason);
	struct da_block_info info;
	da_block_info_init(&info);
	assert_int_equal(da_fi_describe(n, 11 * B, &info), 1);
	assert_false(info.conflict);
	assert_int_equal(info.nshared, 1);
	assert_int_equal(info.nlinks, 2);
	char p[64];
	assert_int_equal(da_fi_path(ix, f, 0, p, sizeof(p)), 0);
	assert_string_equal(p, "/dir/a.txt");
	assert_int_equal(da_fi_path(ix, f, 1, p, sizeof(p)), 0);
	assert_string_equal(p, "/link");
	assert_int_equal(da_fi_path(ix, f, 2, p, sizeof(p)), -1);
	assert_int_equal(da_fi_path(ix, o, 0, p, sizeof(p)), -1);
	assert_string_equal(p, "");
	assert_int_equal(da_fi_find_id(ix, 8), g);
	assert_int_equal(da_fi_find_id(ix, 6), UINT32_MAX);
	node_free(n);
}

/* A path deeper than the buffer keeps its end; a directory loop ends. */
static void test_deep_and_looping_paths(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	da_fi_set_root(x, 2);
	da_fi_add_file(x, 2, DA_FILE_DIR, 0, 0);
	for (uint64_t d = 0; d < 400; d++) {
		da_fi_add_file(x, 1000 + d, DA_FILE_DIR, 0, 0);
		da_fi_add_name(x, 1000 + d, d ? 999 + d : 2, "dd", 2);
	}
	uint32_t leaf = da_fi_add_file(x, 5000, DA_FILE_REGULAR, 1, 0);
	da_fi_add_name(x, 5000, 1399, "leaf.txt", 8);
	/* two directories inside each other, reached from nowhere */
	uint32_t l1 = da_fi_add_file(x, 60, DA_FILE_DIR, 0, 0);
	da_fi_add_file(x, 61, DA_FILE_DIR, 0, 0);
	da_fi_add_name(x, 60, 61, "a", 1);
	da_fi_add_name(x, 61, 60, "b", 1);
	da_fi_publish(n, x, NULL);
	const struct da_fileindex *ix = da_fi_get(n);
	char p[1024];
	assert_int_equal(da_fi_path(ix, leaf, 0, p, sizeof(p)), 0);
	assert_true(strlen(p) < sizeof(p));
	assert_memory_equal(p, "/\xe2\x80\xa6/", 5);
	const char *tail = "/dd/dd/leaf.txt";
	assert_string_equal(p + strlen(p) - strlen(tail), tail);
	char big[4096];
	assert_int_equal(da_fi_path(ix, leaf, 0, big, sizeof(big)), 0);
	assert_int_equal(strlen(big), 400 * 3 + strlen("/leaf.txt"));
	assert_int_equal(da_fi_path(ix, l1, 0, p, sizeof(p)), -1);
	node_free(n);
}

/* Find: substrings and globs, the case rule, next and previous extent,
 * the files in a range. */
static void test_find_extents_range(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(true);
	da_fi_set_root(x, 2);
	da_fi_add_file(x, 2, DA_FILE_DIR, 0, 0);
	da_fi_add_file(x, 3, DA_FILE_DIR, 0, 0);
	da_fi_add_name(x, 3, 2, "LOG", 3);
	uint32_t f[20];
	for (int i = 0; i < 17; i++) {
		char name[32];
		snprintf(name, sizeof(name), "App%d.Log", i);
		f[i] = da_fi_add_file(x, 10 + (uint64_t)i, DA_FILE_REGULAR,
				      2 * B, 0);
		da_fi_add_name(x, 10 + (uint64_t)i, 3, name, strlen(name));
	}
	/* file 1 in three pieces, out of order on disk */
	da_fi_add_run(x, f[1], 300 * B, B, 0, DA_ROLE_FILE_DATA, 0);
	da_fi_add_run(x, f[1], 100 * B, B, B, DA_ROLE_FILE_DATA, 0);
	da_fi_add_run(x, f[1], 200 * B, B, 2 * B, DA_ROLE_FILE_DATA, 0);
	da_fi_add_run(x, f[1], 50 * B, B, 0, DA_ROLE_EXTENT_TREE,
		      DA_RUN_META);
	da_fi_add_run(x, f[2], 101 * B, 4 * B, 0, DA_ROLE_FILE_DATA, 0);
	da_fi_publish(n, x, NULL);
	const struct da_fileindex *ix = da_fi_get(n);
	uint32_t out[32];
	assert_int_equal(da_fi_find(ix, "app1", out, 32), 8); /* 1, 10-16 */
	assert_int_equal(da_fi_find(ix, "/log/APP1.", out, 32), 1);
	assert_int_equal(out[0], f[1]);
	assert_int_equal(da_fi_find(ix, "app1?.log", out, 32), 7);
	assert_int_equal(da_fi_find(ix, "/log/*", out, 32), 17);
	assert_int_equal(da_fi_find(ix, "nothing", out, 32), 0);
	uint64_t at;
	char path[64];
	assert_int_equal(da_fs_find(n, "app1.log", &at, path, sizeof(path)),
			 1);
	assert_int_equal(at, 300 * B);   /* the file's first byte */
	assert_string_equal(path, "/LOG/App1.Log");
	/* in file order: 300, 100, 200, then the tree block */
	struct da_fi_run r;
	assert_int_equal(da_fi_file_run(ix, f[1], 0, &r), 0);
	assert_int_equal(r.start, 300 * B);
	assert_int_equal(da_fi_file_run(ix, f[1], 3, &r), 0);
	assert_int_equal(r.role, DA_ROLE_EXTENT_TREE);
	/* next and previous in disk order */
	assert_int_equal(da_fs_next_extent(n, 100 * B + 5, 1), 200 * B);
	assert_int_equal(da_fs_next_extent(n, 200 * B, 1), 300 * B);
	assert_int_equal(da_fs_next_extent(n, 300 * B, 1), -1);
	assert_int_equal(da_fs_next_extent(n, 100 * B, -1), 50 * B);
	/* files in blocks 100..103: file 2 has 3 blocks, file 1 one */
	struct da_fi_share sh[4];
	bool sampled;
	assert_int_equal(da_fi_files_in(ix, 100 * B, 4 * B, sh, 4, &sampled),
			 2);
	assert_false(sampled);
	assert_int_equal(sh[0].file, f[2]);
	assert_int_equal(sh[0].bytes, 3 * B);
	assert_int_equal(sh[1].file, f[1]);
	assert_int_equal(sh[1].bytes, B);
	node_free(n);
}

/* Readers of a node with no index yet are told it is indexing; an index
 * that could not be made is published empty, with its reason. */
static void test_publish_rules(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_block_info info;
	da_block_info_init(&info);
	assert_int_equal(da_fi_describe(n, 0, &info), 0);
	assert_true(info.indexing);
	assert_int_equal(da_fs_next_extent(n, 0, 1), -1);
	assert_int_equal(da_fs_find(n, "x", NULL, NULL, 0), -1);
	da_fi_publish(n, NULL, "cannot scan the inodes");
	assert_non_null(da_fi_get(n));
	assert_string_equal(n->reason, "file index: cannot scan the inodes");
	da_block_info_init(&info);
	assert_int_equal(da_fi_describe(n, 0, &info), 0);
	assert_false(info.indexing);
	/* a second publish keeps the first */
	struct da_fileindex *x = da_fi_new(false);
	da_fi_publish(n, x, NULL);
	assert_int_equal(da_fi_files(da_fi_get(n)), 0);
	node_free(n);
}

/* Every role has a name, a text and a class; names are unique and found
 * again. */
static void test_roles(void **state)
{
	(void)state;
	assert_null(da_role(DA_ROLE_NONE));
	for (int r = 1; r < DA_ROLE_COUNT; r++) {
		const struct da_role_info *i = da_role((enum da_role)r);
		assert_non_null(i);
		assert_non_null(i->name);
		assert_true(strlen(i->text) > 10);
		assert_int_equal(da_role_by_name(i->name), r);
		char copy[64];
		snprintf(copy, sizeof(copy), "%s", i->name);
		assert_int_equal(da_role_by_name(copy), r);
	}
	assert_int_equal(da_role_by_name("no_such_role"), DA_ROLE_NONE);
	assert_string_equal(da_role_class_name(
		da_role(DA_ROLE_INODE_TABLE)->cls), "metadata");
}

/* Thousands of runs in a random order (some overlapping, some runs of a
 * file out of file order, ids added out of order): every answer of the
 * sorted table (the runs at a byte, a file's runs in file order, the
 * file of an id) against a naive search of what was added. */
struct naive_run {
	uint64_t start, len, file_off;
	uint32_t file;
	bool meta;
};

static void test_against_naive(void **state)
{
	(void)state;
	enum { FILES = 300, RUNS = 5000 };
	static struct naive_run v[RUNS];
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	uint64_t ids[FILES];
	srand(11);
	for (uint32_t f = 0; f < FILES; f++) {
		ids[f] = (uint64_t)(FILES - f) * 7 + (f % 3);
		assert_int_equal(da_fi_add_file(x, ids[f], DA_FILE_REGULAR,
						0, 0), f);
	}
	uint64_t off[FILES] = { 0 };
	for (int i = 0; i < RUNS; i++) {
		uint32_t f = (uint32_t)rand() % FILES;
		bool meta = rand() % 10 == 0;
		uint64_t start = (uint64_t)(rand() % 200000) * B;
		uint64_t len = (uint64_t)(1 + rand() % (i % 50 ? 3 : 400)) * B;
		/* a file's offsets mostly grow, sometimes jump back */
		uint64_t fo = rand() % 8 ? off[f] : off[f] / 2 + B;
		v[i] = (struct naive_run){ start, len, meta ? 0 : fo, f, meta };
		off[f] = fo + len + B;  /* never merges with the next */
		assert_int_equal(da_fi_add_run(x, f, start, len, fo,
					       meta ? DA_ROLE_EXTENT_TREE
						    : DA_ROLE_FILE_DATA,
					       meta ? DA_RUN_META : 0), 0);
	}
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	assert_int_equal(da_fi_runs(x), RUNS);
	/* the runs at a byte: how many, and the lowest file first */
	for (int k = 0; k < 20000; k++) {
		uint64_t o = (uint64_t)(rand() % 200500) * B + (uint64_t)(rand() % 4096);
		int want = 0;
		uint32_t lowest = UINT32_MAX;
		for (int i = 0; i < RUNS; i++)
			if (o >= v[i].start && o - v[i].start < v[i].len) {
				want++;
				if (v[i].file < lowest)
					lowest = v[i].file;
			}
		struct da_fi_run got[4];
		assert_int_equal(da_fi_at(x, o, got, 4), want);
		if (want)
			assert_int_equal(got[0].file, lowest);
	}
	/* a file's runs: all of them, data by file offset, metadata last */
	for (uint32_t f = 0; f < FILES; f++) {
		int want = 0;
		for (int i = 0; i < RUNS; i++)
			want += v[i].file == f;
		struct da_fi_file info;
		assert_int_equal(da_fi_file(x, f, &info), 0);
		uint32_t nruns = da_fi_file_nruns(x, f);
		assert_int_equal(nruns, want);
		struct da_fi_run prev, r;
		for (uint32_t k = 0; k < nruns; k++) {
			assert_int_equal(da_fi_file_run(x, f, k, &r), 0);
			assert_int_equal(r.file, f);
			if (k) {
				bool pm = prev.flags & DA_RUN_META,
				     rm = r.flags & DA_RUN_META;
				assert_true(pm <= rm);
				if (pm == rm)
					assert_true(pm ? prev.start <= r.start
						       : prev.file_off <= r.file_off);
			}
			prev = r;
		}
		assert_int_equal(da_fi_file_run(x, f, nruns, &r), -1);
		assert_int_equal(da_fi_find_id(x, ids[f]), f);
	}
	assert_int_equal(da_fi_find_id(x, 1), UINT32_MAX);
	node_free(n);
}

/* A fragmented filesystem's worth of runs (files of random extents
 * interleaved on the disk, given file by file: the radix sort, whose
 * buckets are sorted by their low digits), against what every block
 * should answer.  Without overlaps no prefix maximum is made; then with
 * runs of a second file at the same start as a first's (ties, put by
 * file) and runs starting inside others, a block's last byte has every
 * owner.  unit: the filesystem's block (512: low digits that a
 * 4 KiB block would leave out). */
static void check_buckets(uint64_t unit, bool overlap)
{
	enum { BLOCKS = 300000, FILES = 700 };
	uint8_t *count = calloc(BLOCKS, 1);
	uint32_t *lowest = malloc(BLOCKS * sizeof(*lowest));
	uint64_t *fo = malloc(BLOCKS * sizeof(*fo));
	uint32_t *order = malloc(BLOCKS * sizeof(*order));
	assert_non_null(count);
	assert_non_null(lowest);
	assert_non_null(fo);
	assert_non_null(order);
	/* every block goes to a random file; a file's extents are its
	 * blocks in disk order, merged where they touch */
	srand(unit == 512 ? 7 : 8);
	for (uint32_t b = 0; b < BLOCKS; b++)
		order[b] = (uint32_t)rand() % FILES;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	for (uint32_t f = 0; f < FILES; f++)
		assert_int_equal(da_fi_add_file(x, f + 11, DA_FILE_REGULAR, 0, 0),
				 f);
	size_t runs = 0;
	for (uint32_t f = 0; f < FILES; f++) {
		uint64_t at = 0;
		for (uint32_t b = 0; b < BLOCKS;) {
			if (order[b] != f) {
				b++;
				continue;
			}
			uint32_t e = b;
			while (e < BLOCKS && order[e] == f)
				e++;
			assert_int_equal(da_fi_add_run(x, f, b * unit,
						       (e - b) * unit, at,
						       DA_ROLE_FILE_DATA, 0), 0);
			for (uint32_t k = b; k < e; k++) {
				count[k] = 1;
				lowest[k] = f;
				fo[k] = at + (k - b) * unit;
			}
			at += (e - b) * unit + unit;  /* never merges */
			runs++;
			b = e;
		}
	}
	if (overlap) {
		/* a tie on every 97th block's start, a run from the middle
		 * of a block's run over the next 3 on every 1009th */
		for (uint32_t b = 0; b < BLOCKS; b += 97) {
			if (b && order[b - 1] == order[b])
				continue;  /* not a run's start */
			uint32_t f = (order[b] + 1) % FILES;
			assert_int_equal(da_fi_add_run(x, f, b * unit, unit,
						       7 * unit,
						       DA_ROLE_FILE_DATA, 0), 0);
			count[b]++;
			if (f < lowest[b])
				lowest[b] = f;
			runs++;
		}
		for (uint32_t b = 5; b + 3 < BLOCKS; b += 1009) {
			uint32_t f = (order[b] + 3) % FILES;
			assert_int_equal(da_fi_add_run(x, f, b * unit + unit / 2,
						       3 * unit, 0,
						       DA_ROLE_FILE_DATA, 0), 0);
			/* the blocks whose last byte it holds */
			for (uint32_t k = b; k < b + 3; k++) {
				count[k]++;
				if (f < lowest[k])
					lowest[k] = f;
			}
			runs++;
		}
	}
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	assert_int_equal(da_fi_runs(x), runs);
	assert_true((x->maxend != NULL) == overlap);
	struct da_fi_run r[4];
	for (uint32_t b = 0; b < BLOCKS; b++) {
		uint64_t o = b * unit + unit - 1;
		int got = da_fi_at(x, o, r, 4);
		if (got != count[b])
			fail_msg("block %u: %d owners, want %u", b, got, count[b]);
		assert_int_equal(r[0].file, lowest[b]);
		if (count[b] == 1)
			assert_int_equal(r[0].file_off + (o - r[0].start),
					 fo[b] + unit - 1);
	}
	assert_int_equal(da_fi_at(x, (uint64_t)BLOCKS * unit, r, 4), 0);
	node_free(n);
	free(count);
	free(lowest);
	free(fo);
	free(order);
}

static void test_buckets(void **state)
{
	(void)state;
	check_buckets(B, false);
	check_buckets(512, false);
	check_buckets(B, true);
	check_buckets(512, true);
	/* the chains of moves that finish what rounds of swaps left, from
	 * a table one round placed in part, and from the start */
	int rounds = fi_radix_rounds;
	for (int r = 0; r < 2; r++) {
		fi_radix_rounds = r;
		check_buckets(B, true);
		check_buckets(512, false);
	}
	fi_radix_rounds = rounds;
}

/* Lengths past 32 bits (kept in a run's rest) and past 48 (in pieces):
 * two 3 GiB runs that continue each other merge into one of 6 GiB; a
 * 300 TiB run is two pieces, one after the other, whose bytes have the
 * right offsets in their file. */
static void test_long_runs(void **state)
{
	(void)state;
	const uint64_t G = 1ull << 30, T = 1ull << 40;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	assert_int_equal(da_fi_add_file(x, 20, DA_FILE_REGULAR, 0, 0), 0);
	assert_int_equal(da_fi_add_file(x, 21, DA_FILE_REGULAR, 0, 0), 1);
	assert_int_equal(da_fi_add_run(x, 1, 400 * T, 300 * T, 5 * B,
				       DA_ROLE_FILE_DATA, 0), 0);
	assert_int_equal(da_fi_add_run(x, 0, 10 * G, 3 * G, 0,
				       DA_ROLE_FILE_DATA, 0), 0);
	assert_int_equal(da_fi_add_run(x, 0, 13 * G, 3 * G, 3 * G,
				       DA_ROLE_FILE_DATA, 0), 0);
	assert_int_equal(da_fi_add_run(x, 0, 4 * G, B, 0,
				       DA_ROLE_EXTENT_TREE, DA_RUN_META), 0);
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	assert_int_equal(da_fi_runs(x), 4);
	struct da_fi_run r;
	assert_int_equal(da_fi_at(x, 16 * G - 1, &r, 1), 1);
	assert_int_equal(r.file, 0);
	assert_int_equal(r.start, 10 * G);
	assert_int_equal(r.len, 6 * G);
	assert_int_equal(r.file_off, 0);
	assert_int_equal(da_fi_at(x, 16 * G, &r, 1), 0);
	assert_int_equal(da_fi_at(x, 4 * G + 7, &r, 1), 1);
	assert_int_equal(r.role, DA_ROLE_EXTENT_TREE);
	assert_true(r.flags & DA_RUN_META);
	/* the pieces of the long run */
	assert_int_equal(da_fi_file_nruns(x, 1), 2);
	uint64_t at = 400 * T, fo = 5 * B;
	for (uint32_t k = 0; k < 2; k++) {
		assert_int_equal(da_fi_file_run(x, 1, k, &r), 0);
		assert_int_equal(r.start, at);
		assert_int_equal(r.file_off, fo);
		at += r.len;
		fo += r.len;
	}
	assert_int_equal(at, 700 * T);
	uint64_t o = 650 * T + 12345;
	assert_int_equal(da_fi_at(x, o, &r, 1), 1);
	assert_int_equal(r.file, 1);
	assert_int_equal(r.file_off + (o - r.start), 5 * B + 250 * T + 12345);
	assert_int_equal(da_fi_at(x, 700 * T, &r, 1), 0);
	assert_int_equal(da_fi_next_extent(x, 11 * G, 1), -1);
	assert_int_equal(da_fi_next_extent(x, 11 * G, -1), (int64_t)(4 * G));
	node_free(n);
}

/* da_fi_add_runs gives the index da_fi_add_run gives, piece by piece:
 * batches of random size with empty pieces, pieces that continue the
 * one before (merged, across batches too) and one past 256 TiB (in
 * pieces); the same runs, the same owners at every sampled byte. */
static void test_batches(void **state)
{
	(void)state;
	enum { FILES = 40, PIECES = 6000 };
	static struct da_fi_piece v[PIECES];
	static uint32_t file[PIECES];
	srand(21);
	uint64_t at = 0;
	for (int i = 0; i < PIECES; i++) {
		file[i] = i ? file[i - 1] : 0;
		if (rand() % 5 == 0)
			file[i] = (uint32_t)rand() % FILES;
		uint64_t len = rand() % 13 == 0 ? 0 : (uint64_t)(1 + rand() % 4) * B;
		if (i == PIECES / 2)
			len = 300ull << 40;
		/* most continue the last piece on the disk, some jump */
		if (rand() % 3 == 0)
			at = (uint64_t)(rand() % 100000) * B;
		v[i] = (struct da_fi_piece){ .start = at, .len = len,
					     .file_off = at / 2,
					     .flags = rand() % 7 == 0 ? DA_RUN_UNWRITTEN : 0 };
		at += len;
	}
	struct da_node *n1 = node_new(), *n2 = node_new();
	struct da_fileindex *x1 = da_fi_new(false), *x2 = da_fi_new(false);
	for (uint32_t f = 0; f < FILES; f++) {
		assert_int_equal(da_fi_add_file(x1, f, DA_FILE_REGULAR, 0, 0), f);
		assert_int_equal(da_fi_add_file(x2, f, DA_FILE_REGULAR, 0, 0), f);
	}
	for (int i = 0; i < PIECES;) {
		/* a batch: pieces of one file, up to 50 */
		int e = i + 1;
		while (e < PIECES && e - i < 1 + rand() % 50 && file[e] == file[i])
			e++;
		assert_int_equal(da_fi_add_runs(x2, file[i], DA_ROLE_FILE_DATA,
						v + i, (size_t)(e - i)), 0);
		for (int k = i; k < e; k++)
			assert_int_equal(da_fi_add_run(x1, file[k], v[k].start,
						       v[k].len, v[k].file_off,
						       DA_ROLE_FILE_DATA,
						       v[k].flags), 0);
		i = e;
	}
	da_fi_publish(n1, x1, NULL);
	da_fi_publish(n2, x2, NULL);
	x1 = (struct da_fileindex *)da_fi_get(n1);
	x2 = (struct da_fileindex *)da_fi_get(n2);
	assert_true(da_fi_runs(x1) > PIECES / 2);
	assert_int_equal(da_fi_runs(x2), da_fi_runs(x1));
	assert_int_equal(da_fi_conflict_bytes(x2), da_fi_conflict_bytes(x1));
	for (int k = 0; k < 30000; k++) {
		uint64_t o = k < 20000 ? (uint64_t)(rand() % 110000) * B + 5
				       : v[PIECES / 2].start +
						 (uint64_t)rand() * 4096 * 4096;
		struct da_fi_run a[4], b[4];
		int na = da_fi_at(x1, o, a, 4), nb = da_fi_at(x2, o, b, 4);
		assert_int_equal(nb, na);
		for (int j = 0; j < na && j < 4; j++) {
			assert_int_equal(b[j].start, a[j].start);
			assert_int_equal(b[j].len, a[j].len);
			assert_int_equal(b[j].file, a[j].file);
			assert_int_equal(b[j].file_off, a[j].file_off);
			assert_int_equal(b[j].flags, a[j].flags);
		}
	}
	node_free(n1);
	node_free(n2);
}

/* Runs that come almost in disk order (a file's data, with its tree
 * blocks far away now and then, and a few that come early): the sort
 * that sets the few aside must give the same answers as any. */
static void test_nearly_sorted(void **state)
{
	(void)state;
	enum { RUNS = 20000 };
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	assert_int_equal(da_fi_add_file(x, 12, DA_FILE_REGULAR, 0, 0), 0);
	assert_int_equal(da_fi_add_file(x, 13, DA_FILE_REGULAR, 0, 0), 1);
	uint64_t tree = 0;
	for (uint64_t i = 0; i < RUNS; i++) {
		/* data at 2i (gaps keep runs apart), file offset i */
		assert_int_equal(da_fi_add_run(x, 0, 2 * i * B, B, i * B,
					       DA_ROLE_FILE_DATA, 0), 0);
		if (i % 97 == 0)   /* a tree block past all the data */
			assert_int_equal(da_fi_add_run(x, 0,
						       (3 * RUNS + tree++) * 2 * B,
						       B, 0, DA_ROLE_EXTENT_TREE,
						       DA_RUN_META), 0);
		if (i % 1001 == 500)   /* another file's block, early */
			assert_int_equal(da_fi_add_run(x, 1, (2 * i - 601) * B,
						       B, i * B,
						       DA_ROLE_FILE_DATA, 0), 0);
	}
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	struct da_fi_run r[2];
	for (uint64_t i = 0; i < RUNS; i++) {
		assert_int_equal(da_fi_at(x, 2 * i * B + 1, r, 2), 1);
		assert_int_equal(r[0].file, 0);
		assert_int_equal(r[0].file_off, i * B);
		assert_int_equal(da_fi_at(x, (2 * i + 1) * B, r, 2),
				 i % 1001 == 199 ? 1 : 0);
	}
	for (uint64_t t = 0; t < tree; t++) {
		assert_int_equal(da_fi_at(x, (3 * RUNS + t) * 2 * B, r, 2), 1);
		assert_true(r[0].flags & DA_RUN_META);
	}
	/* file order: data by offset, then the tree blocks by place */
	struct da_fi_run prev, cur;
	struct da_fi_file info;
	assert_int_equal(da_fi_file(x, 0, &info), 0);
	assert_int_equal(da_fi_file_nruns(x, 0), RUNS + tree);
	for (uint32_t k = 0; k < RUNS + tree; k++) {
		assert_int_equal(da_fi_file_run(x, 0, k, &cur), 0);
		if (k < RUNS)
			assert_int_equal(cur.file_off, (uint64_t)k * B);
		else
			assert_true((cur.flags & DA_RUN_META) &&
				    (k == RUNS || cur.start > prev.start));
		prev = cur;
	}
	node_free(n);
}

/* Two files written in turn, a block each (a fragmented filesystem),
 * come file by file: far from disk order, sorted by radix.  With starts
 * shared by two files (a conflict at every tenth block), and with a
 * reserve too small and one too large: the same answers.  The run table
 * (176k runs) passes 4 MiB, where it is grown on huge pages. */
static void test_interleaved(void **state)
{
	(void)state;
	enum { HALF = 80000 };
	for (int hint = 0; hint < 3; hint++) {
		struct da_node *n = node_new();
		struct da_fileindex *x = da_fi_new(false);
		if (hint)
			da_fi_reserve(x, hint == 1 ? 1 : 10, hint == 1 ? 10 : 4 * HALF);
		assert_int_equal(da_fi_add_file(x, 12, DA_FILE_REGULAR, 0, 0), 0);
		assert_int_equal(da_fi_add_file(x, 13, DA_FILE_REGULAR, 0, 0), 1);
		assert_int_equal(da_fi_add_file(x, 14, DA_FILE_REGULAR, 0, 0), 2);
		for (int f = 0; f < 2; f++)
			for (uint64_t i = 0; i < HALF; i++)
				assert_int_equal(da_fi_add_run(x, (uint32_t)f,
					(2 * i + (uint64_t)f) * B, B, i * B,
					DA_ROLE_FILE_DATA, 0), 0);
		/* file 2 on every tenth of file 1's blocks, last to first */
		for (uint64_t i = HALF; i-- > 0;)
			if (i % 10 == 0)
				assert_int_equal(da_fi_add_run(x, 2,
					(2 * i + 1) * B, B, i * B,
					DA_ROLE_FILE_DATA, 0), 0);
		da_fi_publish(n, x, NULL);
		x = (struct da_fileindex *)da_fi_get(n);
		assert_int_equal(da_fi_runs(x), 2 * HALF + HALF / 10);
		assert_int_equal(da_fi_conflict_bytes(x), HALF / 10 * B);
		struct da_fi_run r[3];
		for (uint64_t b = 0; b < 2 * HALF; b++) {
			int want = b % 2 && (b / 2) % 10 == 0 ? 2 : 1;
			assert_int_equal(da_fi_at(x, b * B + 5, r, 3), want);
			assert_int_equal(r[0].file, b % 2);
			assert_int_equal(r[0].file_off, b / 2 * B);
			if (want == 2)
				assert_int_equal(r[1].file, 2);
		}
		assert_int_equal(da_fi_at(x, 2 * HALF * B, r, 3), 0);
		struct da_fi_file info;
		assert_int_equal(da_fi_file(x, 2, &info), 0);
		assert_int_equal(da_fi_file_nruns(x, 2), HALF / 10);
		struct da_fi_run prev, cur;
		for (uint32_t k = 0; k < HALF / 10; k++) {
			assert_int_equal(da_fi_file_run(x, 2, k, &cur), 0);
			if (k)
				assert_true(cur.file_off > prev.file_off);
			prev = cur;
		}
		node_free(n);
	}
}

/* Names given directory by directory: a hard-linked file's first name is
 * the first given, whatever came between; names of files the index does
 * not hold are dropped; a file without names has none. */
static void test_names_by_file(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	da_fi_reserve(x, 2, 2);    /* too small: the tables grow */
	da_fi_set_root(x, 2);
	uint32_t root = da_fi_add_file(x, 2, DA_FILE_DIR, 0, 0);
	uint32_t d1 = da_fi_add_file(x, 20, DA_FILE_DIR, 0, 0);
	uint32_t a = da_fi_add_file(x, 30, DA_FILE_REGULAR, 7, DA_FILE_SPARSE);
	uint32_t none = da_fi_add_file(x, 31, DA_FILE_REGULAR, 0, 0);
	uint32_t b = da_fi_add_file(x, 32, DA_FILE_SYMLINK, 0, 0);
	assert_int_equal(da_fi_add_name(x, 30, 20, "first", 5), 0);
	assert_int_equal(da_fi_add_name(x, 32, 20, "b/x", 3), 0);
	assert_int_equal(da_fi_add_name(x, 99, 20, "ghost", 5), 0);
	assert_int_equal(da_fi_add_name(x, 20, 2, "d1", 2), 0);
	assert_int_equal(da_fi_add_name(x, 30, 2, "second", 6), 0);
	assert_int_equal(da_fi_add_name(x, 30, 20, "third", 5), 0);
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	char p[64];
	assert_int_equal(da_fi_path(x, a, 0, p, sizeof(p)), 0);
	assert_string_equal(p, "/d1/first");
	assert_int_equal(da_fi_path(x, a, 1, p, sizeof(p)), 0);
	assert_string_equal(p, "/second");
	assert_int_equal(da_fi_path(x, a, 2, p, sizeof(p)), 0);
	assert_string_equal(p, "/d1/third");
	assert_int_equal(da_fi_path(x, a, 3, p, sizeof(p)), -1);
	assert_int_equal(da_fi_path(x, b, 0, p, sizeof(p)), 0);
	assert_string_equal(p, "/d1/b_x");
	assert_int_equal(da_fi_path(x, none, 0, p, sizeof(p)), -1);
	assert_int_equal(da_fi_path(x, root, 0, p, sizeof(p)), 0);
	assert_string_equal(p, "/");
	struct da_fi_file info;
	assert_int_equal(da_fi_file(x, a, &info), 0);
	assert_int_equal(info.nnames, 3);
	assert_int_equal(info.size, 7);
	assert_int_equal(info.flags, DA_FILE_SPARSE);
	assert_int_equal(info.kind, DA_FILE_REGULAR);
	assert_int_equal(da_fi_file(x, none, &info), 0);
	assert_int_equal(info.nnames, 0);
	assert_int_equal(da_fi_file(x, b, &info), 0);
	assert_int_equal(info.nnames, 1);
	assert_int_equal(info.kind, DA_FILE_SYMLINK);
	assert_int_equal(da_fi_file(x, d1, &info), 0);
	assert_int_equal(info.nnames, 1);
	uint32_t found[8];
	assert_int_equal(da_fi_find(x, "ghost", found, 8), 0);
	assert_int_equal(da_fi_find(x, "*ir*", found, 8), 1);
	assert_int_equal(found[0], a);
	node_free(n);
}

/* da_fi_roles_in against da_fi_describe a sector at a time, on runs that
 * overlap (sharing and conflicts, up to more than da_fi_describe looks
 * at), of several roles, unaligned, with one long run under more short
 * runs than da_fi_at walks back over. */
struct piece_log {
	const char *role[4096];
	uint64_t base;
	uint64_t last_end;
	bool bad_order;
};

static int log_piece(void *ctx, uint64_t start, uint64_t len,
		     const char *role)
{
	struct piece_log *l = ctx;
	if (start < l->last_end || len == 0)
		l->bad_order = true;
	l->last_end = start + len;
	for (uint64_t o = start; o < start + len; o += 512)
		l->role[(o - l->base) / 512] = role;
	return 0;
}

static void roles_in_check(struct da_node *n, uint64_t off, uint64_t len,
			   size_t *answered, size_t *declined)
{
	static struct piece_log l;
	memset(&l, 0, sizeof(l));
	l.base = off;
	assert_true(len / 512 <= 4096);
	if (da_fi_roles_in(da_fi_get(n), off, len, 1u << 20, log_piece,
			   &l) < 0) {
		++*declined;
		return;
	}
	++*answered;
	assert_false(l.bad_order);
	for (uint64_t o = off; o < off + len; o += 512) {
		struct da_block_info info;
		da_block_info_init(&info);
		const char *want = da_fi_describe(n, o, &info) == 1 ? info.role
								  : NULL;
		const char *got = l.role[(o - off) / 512];
		if (want != got)
			fail_msg("byte %llu: roles_in %s, da_fi_describe %s",
				 (unsigned long long)o, got ? got : "none",
				 want ? want : "none");
	}
}

static void test_roles_in(void **state)
{
	(void)state;
	static const enum da_role roles[] = { DA_ROLE_FILE_DATA,
					      DA_ROLE_EXTENT_TREE,
					      DA_ROLE_DIRECTORY, DA_ROLE_XATTR };
	size_t answered = 0, declined = 0;
	for (int density = 0; density < 3; density++) {
		struct da_node *n = node_new();
		struct da_fileindex *x = da_fi_new(false);
		srand(100 + density);
		for (uint32_t f = 0; f < 60; f++)
			da_fi_add_file(x, 20 + f, DA_FILE_REGULAR, 0, 0);
		/* sparse, overlapping a little, piled up */
		int nruns = density == 0 ? 300 : density == 1 ? 1500 : 6000;
		for (int i = 0; i < nruns; i++) {
			uint32_t f = (uint32_t)rand() % 60;
			int k = rand() % 4;
			uint64_t start = (uint64_t)(rand() % 8000) * 512;
			uint64_t len = (uint64_t)(1 + rand() % 24) * 512;
			da_fi_add_run(x, f, start, len, (uint64_t)i * 65536,
				      roles[k], (k == 3 ? DA_RUN_SHARED : 0) |
				      (k == 1 ? DA_RUN_META : 0));
		}
		da_fi_publish(n, x, NULL);
		for (int i = 0; i < 300; i++) {
			uint64_t off = (uint64_t)(rand() % 8100) * 512;
			uint64_t len = (uint64_t)(1 + rand() % 600) * 512;
			roles_in_check(n, off, len, &answered, &declined);
		}
		node_free(n);
	}
	/* the sparse index is answered every time */
	assert_true(answered >= 300);
	/* the piled-up one is deeper than da_fi_describe looks: declined */
	assert_true(declined > 0);
	/* a long run of file 0 under 5000 one-sector runs of file 1 (each a
	 * conflict): past FI_WALK runs back, da_fi_at jumps, so ranges there
	 * are declined, ranges near the start answered */
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	uint32_t a = da_fi_add_file(x, 5, DA_FILE_REGULAR, 0, 0);
	uint32_t b = da_fi_add_file(x, 6, DA_FILE_REGULAR, 0, 0);
	da_fi_add_run(x, a, 0, 20000 * 512, 0, DA_ROLE_FILE_DATA, 0);
	for (uint64_t i = 0; i < 5000; i++)
		da_fi_add_run(x, b, (2 * i + 1) * 512, 512, i * 1024,
			      DA_ROLE_DIRECTORY, 0);
	da_fi_publish(n, x, NULL);
	size_t before = declined;
	roles_in_check(n, 0, 3000 * 512, &answered, &declined);
	assert_int_equal(declined, before);
	roles_in_check(n, 9000 * 512, 2000 * 512, &answered, &declined);
	assert_int_equal(declined, before + 1);
	node_free(n);
}

/* More distinct files in a range than da_fi_files_in keeps: the first
 * 1,024 met (in disk order) are counted, the rest make it sampled. */
static void test_files_in_many(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	for (uint32_t f = 0; f < 3000; f++) {
		uint32_t k = da_fi_add_file(x, 100 + f, DA_FILE_REGULAR, B, 0);
		/* file f at block 3000 - f: disk order is reverse file
		 * order; one in 7 also has a second, later block */
		da_fi_add_run(x, k, (3000 - f) * B, B, 0, DA_ROLE_FILE_DATA, 0);
		if (f % 7 == 0)
			da_fi_add_run(x, k, (5000 + f) * B, B, B,
				      DA_ROLE_FILE_DATA, 0);
	}
	da_fi_publish(n, x, NULL);
	struct da_fi_share sh[64];
	bool sampled = false;
	size_t got = da_fi_files_in(da_fi_get(n), 0, 9000 * B, sh, 64,
				    &sampled);
	assert_int_equal(got, 1024);
	assert_true(sampled);
	/* the first 1,024 met are files 2999..1976; those with a second
	 * block have two blocks and come first */
	for (size_t i = 0; i < 64; i++) {
		assert_true(sh[i].file >= 1976);
		bool two = sh[i].file % 7 == 0;
		assert_int_equal(sh[i].bytes, two ? 2 * B : B);
		if (i)
			assert_true(sh[i - 1].bytes >= sh[i].bytes);
	}
	assert_int_equal(sh[0].bytes, 2 * B);
	/* fewer than it keeps: every one, not sampled */
	got = da_fi_files_in(da_fi_get(n), 2000 * B, 500 * B, sh, 64, &sampled);
	assert_int_equal(got, 500);
	assert_false(sampled);
	node_free(n);
}

/* A name's bytes as they are, but a '/' (which would forge a path) as
 * '_' and a NUL (which would cut it) as '?', wherever they are in names
 * of every length around the eight bytes looked at together; and a
 * directory's names given in two groups with another's between. */
static void test_name_bytes(void **state)
{
	(void)state;
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	da_fi_set_root(x, 2);
	da_fi_add_file(x, 2, DA_FILE_DIR, 0, 0);
	da_fi_add_file(x, 3, DA_FILE_DIR, 0, 0);
	da_fi_add_name(x, 3, 2, "d", 1);
	enum { LENS = 40 };
	uint64_t id = 100;
	for (size_t len = 1; len <= LENS; len++)
		for (size_t at = 0; at <= len; at++)
			for (int bad = 0; bad < 2; bad++, id++) {
				char name[LENS];
				for (size_t i = 0; i < len; i++)
					name[i] = (char)('a' + (i + id) % 26);
				if (at < len)
					name[at] = bad ? '\0' : '/';
				da_fi_add_file(x, id, DA_FILE_REGULAR, 0, 0);
				/* every other name in the root, between d's */
				da_fi_add_name(x, id, id % 2 ? 2 : 3, name, len);
			}
	da_fi_publish(n, x, NULL);
	const struct da_fileindex *ix = da_fi_get(n);
	id = 100;
	for (size_t len = 1; len <= LENS; len++)
		for (size_t at = 0; at <= len; at++)
			for (int bad = 0; bad < 2; bad++, id++) {
				char want[LENS + 8], got[LENS + 8];
				size_t o = (size_t)sprintf(want, "%s",
							   id % 2 ? "/" : "/d/");
				for (size_t i = 0; i < len; i++)
					want[o + i] = (char)('a' + (i + id) % 26);
				if (at < len)
					want[o + at] = bad ? '?' : '_';
				want[o + len] = '\0';
				uint32_t f = da_fi_find_id(ix, id);
				assert_int_not_equal(f, UINT32_MAX);
				assert_int_equal(da_fi_path(ix, f, 0, got,
							    sizeof(got)), 0);
				assert_string_equal(got, want);
			}
	node_free(n);
}

struct byfile_reader {
	const struct da_fileindex *x;
	uint32_t files;
	int bad;
};

static void *read_files(void *arg)
{
	struct byfile_reader *r = arg;
	for (uint32_t f = 0; f < r->files; f++) {
		struct da_fi_file info;
		struct da_fi_run run;
		if (da_fi_file(r->x, f, &info) < 0 ||
		    da_fi_file_nruns(r->x, f) != 3) {
			r->bad++;
			continue;
		}
		for (uint32_t k = 0; k < 3; k++)
			if (da_fi_file_run(r->x, f, k, &run) < 0 ||
			    run.file != f || run.file_off != k * B)
				r->bad++;
	}
	return NULL;
}

/* A file's runs are put in file order the first time they are asked
 * for: four readers asking at once all get the whole answer. */
static void test_runs_by_file_at_once(void **state)
{
	(void)state;
	enum { FILES = 20000, READERS = 4 };
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	for (uint32_t f = 0; f < FILES; f++)
		assert_int_equal(da_fi_add_file(x, 10 + (uint64_t)f,
						DA_FILE_REGULAR, 3 * B, 0), f);
	/* three runs a file, interleaved on the disk, last offset first */
	for (uint32_t k = 3; k-- > 0;)
		for (uint32_t f = 0; f < FILES; f++)
			assert_int_equal(da_fi_add_run(x, f,
				((uint64_t)k * FILES + f) * 2 * B, B, k * B,
				DA_ROLE_FILE_DATA, 0), 0);
	da_fi_publish(n, x, NULL);
	struct byfile_reader r[READERS];
	pthread_t t[READERS];
	for (int i = 0; i < READERS; i++) {
		r[i] = (struct byfile_reader){ da_fi_get(n), FILES, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, read_files, &r[i]),
				 0);
	}
	for (int i = 0; i < READERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	/* the next extent of a file, through the same order */
	assert_int_equal(da_fi_next_extent(da_fi_get(n), 2 * B * 7 + 1, 1),
			 (int64_t)((FILES + 7) * 2 * B));
	node_free(n);
}

/* A table that outgrows the room of its mapping (64 MiB of runs) moves
 * to a bigger one: 2.3 million runs of three files written in turn, every
 * one found where it was put. */
static void test_table_outgrows_room(void **state)
{
	(void)state;
	enum { FILES = 3, EACH = 770000 };
	struct da_node *n = node_new();
	struct da_fileindex *x = da_fi_new(false);
	for (uint32_t f = 0; f < FILES; f++)
		assert_int_equal(da_fi_add_file(x, 20 + (uint64_t)f,
						DA_FILE_REGULAR, 0, 0), f);
	for (uint32_t f = 0; f < FILES; f++)
		for (uint64_t i = 0; i < EACH; i++)
			assert_int_equal(da_fi_add_run(x, f,
				(i * FILES + f) * 2 * B, B, i * B,
				DA_ROLE_FILE_DATA, 0), 0);
	da_fi_publish(n, x, NULL);
	x = (struct da_fileindex *)da_fi_get(n);
	assert_int_equal(da_fi_runs(x), (size_t)FILES * EACH);
	assert_null(da_fi_reason(x));
	struct da_fi_run r[2];
	for (uint64_t b = 0; b < (uint64_t)FILES * EACH; b += 997) {
		assert_int_equal(da_fi_at(x, b * 2 * B + 7, r, 2), 1);
		assert_int_equal(r[0].file, b % FILES);
		assert_int_equal(r[0].file_off, b / FILES * B);
		assert_int_equal(da_fi_at(x, (b * 2 + 1) * B, r, 2), 0);
	}
	node_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflict_far_apart),
		cmocka_unit_test(test_sharing_and_names),
		cmocka_unit_test(test_deep_and_looping_paths),
		cmocka_unit_test(test_find_extents_range),
		cmocka_unit_test(test_publish_rules),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_against_naive),
		cmocka_unit_test(test_nearly_sorted),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_long_runs),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_names_by_file),
		cmocka_unit_test(test_roles_in),
		cmocka_unit_test(test_files_in_many),
		cmocka_unit_test(test_name_bytes),
		cmocka_unit_test(test_runs_by_file_at_once),
		cmocka_unit_test(test_table_outgrows_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
