/* ext's metadata and used blocks, found by arithmetic and read lazily,
 * against the slow ways over every ext filesystem of the committed test
 * images: every block's role and the metadata counts against the whole
 * table of every group's runs; every block's used bit and range counts
 * against libext2fs's own block bitmap; the map's metadata role of
 * every block against usage and describe_block.
 * Run from the top of the tree (tests/run.sh does).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "diskatlas.h"
#include "fs/ext.h"

extern const struct da_plugin da_plugin_ext;

static char tmpdir[64];

struct ctx {
	const char *image;
	int filesystems;
	int by_model;
};

static void check_used(const char *where, struct da_node *n,
		       struct ext_priv *p)
{
	/* libext2fs's whole bitmap: the slow way, read once here by a
	 * full open (the scan's holds the superblock only) */
	ext2_filsys fs = NULL;
	assert_int_equal(ext_open_lib(n->dev, EXT2_FLAG_64BITS, &fs), 0);
	fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	assert_int_equal(ext2fs_read_block_bitmap(fs), 0);
	uint64_t first = fs->super->s_first_data_block, naive = 0;
	uint64_t *before = malloc((p->nblocks + 1) * sizeof(*before));
	assert_non_null(before);
	for (uint64_t b = 0; b < p->nblocks; b++) {
		before[b] = naive;
		bool want = b < first || ext2fs_test_block_bitmap2(fs->block_map,
								  b);
		if (ext_used_test(p, b) != want)
			fail_msg("%s: block %llu: used %d, libext2fs says %d",
				 where, (unsigned long long)b, !want, want);
		naive += want;
	}
	before[p->nblocks] = naive;
	/* ranges that start and end anywhere: whole groups by the
	 * descriptors, the ends by the bitmaps */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint64_t a = (uint64_t)rand() % (p->nblocks + 1);
		uint64_t e = (uint64_t)rand() % (p->nblocks + 1);
		if (i == 0)
			a = 0, e = p->nblocks;
		if (e < a) {
			uint64_t t = a;
			a = e;
			e = t;
		}
		uint64_t got = ext_used_count(p, a, e);
		if (got != before[e] - before[a])
			fail_msg("%s: used in [%llu, %llu): %llu, libext2fs "
				 "says %llu", where, (unsigned long long)a,
				 (unsigned long long)e,
				 (unsigned long long)got,
				 (unsigned long long)(before[e] - before[a]));
	}
	free(before);
	ext2fs_close_free(&fs);
}

/* The map's cheap question, meta_role, against the two it stands for:
 * usage says the block is metadata, describe_block names its role. */
static void check_meta_role(const char *where, struct da_node *n,
			    struct ext_priv *p)
{
	uint64_t step = p->nblocks / 200000 + 1, metas = 0;
	for (uint64_t b = 0; b < p->nblocks + 2; b += step) {
		uint64_t off = b * p->bs;
		struct da_usage u = { 0 };
		const char *want = NULL;
		if (da_plugin_ext.usage(n, off, p->bs, &u) == 0 &&
		    u.metadata) {
			struct da_block_info info;
			assert_int_equal(da_plugin_ext.describe_block(n, off,
								      &info),
					 0);
			want = info.role;
		}
		const char *got = da_plugin_ext.meta_role(n, off);
		if ((got == NULL) != (want == NULL) ||
		    (got && strcmp(got, want)))
			fail_msg("%s: block %llu: meta_role %s, usage and "
				 "describe_block say %s", where,
				 (unsigned long long)b, got ? got : "none",
				 want ? want : "none");
		metas += got != NULL;
	}
	assert_true(metas > 0);
}

static void node_check(struct da_node *n, void *arg)
{
	struct ctx *c = arg;
	if (n->plugin != &da_plugin_ext || !n->priv)
		return;
	struct ext_priv *p = n->priv;
	char where[256], why[256] = "";
	snprintf(where, sizeof(where), "%s: %s", c->image,
		 n->dev ? n->dev->name : "?");
	c->filesystems++;
	c->by_model += p->model;
	if (ext_meta_crosscheck(p, 1u << 21, why, sizeof(why)) < 0)
		fail_msg("%s: %s", where, why);
	check_used(where, n, p);
	check_meta_role(where, n, p);
}

static void check_image(const char *name, struct ctx *c)
{
	char path[192], cmd[512];
	snprintf(path, sizeof(path), "%s/%s.img", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "xz -dc tests/images/%s.img.xz > %s", name,
		 path);
	assert_int_equal(system(cmd), 0);
	const char *specs[] = { path };
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("test", specs, 1, &err);
	if (!m)
		fail_msg("%s: %s", name, err.msg);
	da_machine_scan(m);
	c->image = name;
	da_machine_each_node(m, node_check, c);
	da_machine_close(m);
	unlink(path);
}

static void test_committed_images(void **state)
{
	(void)state;
	struct ctx c = { 0 };
	check_image("mbr-ext", &c);
	check_image("gpt-esp-ext4", &c);
	print_message("%d ext filesystems checked, %d by the layout model\n",
		      c.filesystems, c.by_model);
	assert_int_equal(c.filesystems, 4);
	/* the model is what most filesystems get: a test that only ever
	 * compared the table with itself would prove nothing */
	assert_true(c.by_model >= 3);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-extmeta.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_images),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
