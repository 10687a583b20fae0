/* ext's own group descriptor reader (ext_group_get, the scan's pass, the
 * checksums, the inode hook) against libext2fs opened the slow way, with
 * every descriptor read by its full open: every group of every ext
 * filesystem of the committed test images, and of filesystems mke2fs
 * makes here with the layouts those lack (crc16 checksums, 32-byte
 * descriptors, meta_bg, bigalloc, ext2).  Then from four threads at once.
 * Run from the top of the tree (tests/run.sh does).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
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
	int filesystems, regular;
	uint64_t groups, csum_checked, inodes;
};

/* The layout model (the regular arithmetic included) against the whole
 * table, and used blocks against libext2fs's bitmap: single blocks and
 * ranges up to two groups long, anywhere. */
static void check_layout(const char *where, struct ext_priv *p,
			 ext2_filsys full)
{
	char why[256] = "";
	if (ext_meta_crosscheck(p, 50000, why, sizeof(why)) < 0)
		fail_msg("%s: %s", where, why);
	full->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	assert_int_equal(ext2fs_read_block_bitmap(full), 0);
	uint64_t first = full->super->s_first_data_block;
	uint64_t bpg = EXT2_BLOCKS_PER_GROUP(full->super);
	unsigned seed = 11;
	for (int i = 0; i < 3000; i++) {
		uint64_t a = (uint64_t)rand_r(&seed) * 65536 % p->nblocks;
		uint64_t e = a + (uint64_t)rand_r(&seed) % (2 * bpg + 1);
		if (i % 3 == 0)
			e = a + 1;
		if (e > p->nblocks)
			e = p->nblocks;
		uint64_t want = 0;
		for (uint64_t b = a; b < e; b++)
			want += b < first ||
				ext2fs_test_block_bitmap2(full->block_map, b);
		uint64_t got = ext_used_count(p, a, e);
		if (got != want)
			fail_msg("%s: used in [%llu, %llu): %llu, libext2fs "
				 "says %llu", where, (unsigned long long)a,
				 (unsigned long long)e,
				 (unsigned long long)got,
				 (unsigned long long)want);
	}
}

/* what the full open says of group g */
static void lib_group(ext2_filsys fs, dgrp_t g, struct ext_group *o)
{
	o->block_bitmap = ext2fs_block_bitmap_loc(fs, g);
	o->inode_bitmap = ext2fs_inode_bitmap_loc(fs, g);
	o->inode_table = ext2fs_inode_table_loc(fs, g);
	o->free_blocks = ext2fs_bg_free_blocks_count(fs, g);
	o->free_inodes = ext2fs_bg_free_inodes_count(fs, g);
	o->used_dirs = ext2fs_bg_used_dirs_count(fs, g);
	o->itable_unused = ext2fs_bg_itable_unused(fs, g);
	o->flags = ext2fs_bg_flags(fs, g);
}

static void same_group(const char *where, uint64_t g,
		       const struct ext_group *a, const struct ext_group *b)
{
	if (a->block_bitmap != b->block_bitmap ||
	    a->inode_bitmap != b->inode_bitmap ||
	    a->inode_table != b->inode_table ||
	    a->free_blocks != b->free_blocks ||
	    a->free_inodes != b->free_inodes ||
	    a->used_dirs != b->used_dirs ||
	    a->itable_unused != b->itable_unused || a->flags != b->flags)
		fail_msg("%s: group %llu: ours bb %llu ib %llu it %llu free "
			 "%u/%u dirs %u unused %u flags %#x; libext2fs bb %llu "
			 "ib %llu it %llu free %u/%u dirs %u unused %u flags "
			 "%#x", where, (unsigned long long)g,
			 (unsigned long long)a->block_bitmap,
			 (unsigned long long)a->inode_bitmap,
			 (unsigned long long)a->inode_table, a->free_blocks,
			 a->free_inodes, a->used_dirs, a->itable_unused,
			 a->flags, (unsigned long long)b->block_bitmap,
			 (unsigned long long)b->inode_bitmap,
			 (unsigned long long)b->inode_table, b->free_blocks,
			 b->free_inodes, b->used_dirs, b->itable_unused,
			 b->flags);
}

struct csum_walk {
	const char *where;
	ext2_filsys full;
	struct ext_priv *p;
	uint64_t seen;
};

static int csum_cb(void *arg, uint64_t g, const struct ext_group *d,
		   const uint8_t *raw)
{
	struct csum_walk *w = arg;
	struct ext_group want;
	assert_non_null(d);
	lib_group(w->full, (dgrp_t)g, &want);
	same_group(w->where, g, d, &want);
	bool ours = ext_group_csum_ok(w->p, g, raw);
	bool lib = ext2fs_group_desc_csum_verify(w->full, (dgrp_t)g);
	if (ours != lib)
		fail_msg("%s: group %llu: checksum ok %d, libext2fs says %d",
			 w->where, (unsigned long long)g, ours, lib);
	/* and a descriptor changed by one bit must fail where csums are
	 * kept */
	if (ext2fs_has_group_desc_csum(w->full)) {
		uint8_t copy[64];
		memcpy(copy, raw, w->p->desc_size);
		copy[12] ^= 1;
		assert_false(ext_group_csum_ok(w->p, g, copy));
	}
	/* the pass's checksums, a descriptor block's at once (three
	 * interleaved), against libext2fs; then with one of them changed */
	uint64_t dpb = w->p->desc_per_block;
	if (g % dpb == 0) {
		size_t n = (size_t)(w->p->ngroups - g < dpb ? w->p->ngroups - g
							     : dpb);
		size_t size = w->p->desc_size;
		uint8_t *ok = malloc(n), *blk = malloc(n * size);
		assert_non_null(ok);
		assert_non_null(blk);
		ext_group_csum_run(w->p, g, raw, n, ok);
		for (size_t i = 0; i < n; i++)
			if (ok[i] != ext2fs_group_desc_csum_verify(
					     w->full, (dgrp_t)(g + i)))
				fail_msg("%s: group %llu: checksum run says %d",
					 w->where, (unsigned long long)(g + i),
					 ok[i]);
		if (ext2fs_has_group_desc_csum(w->full)) {
			size_t k = n / 2;
			memcpy(blk, raw, n * size);
			blk[k * size + 12] ^= 1;
			uint8_t was = ok[k];
			ext_group_csum_run(w->p, g, blk, n, ok);
			assert_false(ok[k] && was);
			if (n > 1)
				assert_int_equal(ok[n - 1 - (k == n - 1)],
						 ext2fs_group_desc_csum_verify(
							 w->full,
							 (dgrp_t)(g + n - 1 -
								  (k == n - 1))));
		}
		free(ok);
		free(blk);
	}
	w->seen++;
	return 0;
}

struct thread_arg {
	struct ext_priv *p;
	ext2_filsys full;
	unsigned seed;
	int bad;
};

static void *hammer(void *arg)
{
	struct thread_arg *t = arg;
	for (int i = 0; i < 4000; i++) {
		uint64_t g = (uint64_t)rand_r(&t->seed) % t->p->ngroups;
		struct ext_group a, b;
		if (ext_group_get(t->p, g, &a) != 0) {
			t->bad++;
			continue;
		}
		lib_group(t->full, (dgrp_t)g, &b);
		t->bad += memcmp(&a.block_bitmap, &b.block_bitmap, 24) != 0 ||
			  a.free_blocks != b.free_blocks ||
			  a.flags != b.flags;
	}
	return NULL;
}

static void node_check(struct da_node *n, void *arg)
{
	struct ctx *c = arg;
	if (n->plugin != &da_plugin_ext || !n->priv)
		return;
	struct ext_priv *p = n->priv;
	char where[256];
	snprintf(where, sizeof(where), "%s: %s", c->image,
		 n->dev ? n->dev->name : "?");
	c->filesystems++;
	/* the scan opened the superblock only */
	assert_null(p->fs->group_desc);
	ext2_filsys full = NULL;
	assert_int_equal(ext_open_lib(n->dev, EXT2_FLAG_64BITS, &full), 0);
	assert_non_null(full->group_desc);
	assert_int_equal(p->ngroups, full->group_desc_count);
	assert_int_equal(p->desc_blocks, full->desc_blocks);
	uint32_t ipg = EXT2_INODES_PER_GROUP(full->super);
	bool csum = ext2fs_has_group_desc_csum(full);

	/* one at a time, from the cache, and the scan's inode bits */
	uint64_t reads = p->gd_reads;
	for (uint64_t g = 0; g < p->ngroups; g++) {
		struct ext_group a, b;
		assert_int_equal(ext_group_get(p, g, &a), 0);
		lib_group(full, (dgrp_t)g, &b);
		same_group(where, g, &a, &b);
		bool has = !csum || (!(b.flags & EXT2_BG_INODE_UNINIT) &&
				     b.itable_unused < ipg);
		if (ext_group_has_inodes(p, g) != has)
			fail_msg("%s: group %llu: inodes in use %d, the "
				 "descriptor says %d", where,
				 (unsigned long long)g,
				 ext_group_has_inodes(p, g), has);
	}
	/* a chunk a read: never a read a group */
	uint64_t chunks = (p->desc_blocks + EXT_GD_CHUNK - 1) / EXT_GD_CHUNK;
	assert_true(p->gd_reads - reads <= chunks * 2);
	struct ext_group none;
	assert_int_not_equal(ext_group_get(p, p->ngroups, &none), 0);

	/* the pass and the checksums */
	struct csum_walk w = { where, full, p, 0 };
	assert_int_equal(ext_groups_each(p, 0, p->ngroups, csum_cb, &w), 0);
	assert_int_equal(w.seen, p->ngroups);
	c->csum_checked += csum ? w.seen : 0;
	c->groups += p->ngroups;

	/* inodes through the hook against libext2fs's own reader */
	uint32_t ninodes = full->super->s_inodes_count;
	for (uint32_t ino = 1; ino <= ninodes; ino += ino < 64 ? 1 : 97) {
		struct ext2_inode a, b;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		errcode_t ea = ext_read_inode_hook(p->fs, ino, &a);
		errcode_t eb = ext2fs_read_inode(full, ino, &b);
		if (ea != eb || (!ea && memcmp(&a, &b, sizeof(a))))
			fail_msg("%s: inode %u: hook %ld, libext2fs %ld%s",
				 where, ino, (long)ea, (long)eb,
				 ea == eb ? ", bytes differ" : "");
		c->inodes++;
	}
	assert_int_equal(ext_read_inode_hook(p->fs, 0, &(struct ext2_inode){ 0 }),
			 EXT2_ET_BAD_INODE_NUM);

	check_layout(where, p, full);
	c->regular += p->model && p->regular && p->nflex >= 3;

	/* four threads at once, on a cache smaller than the groups */
	pthread_t th[4];
	struct thread_arg ta[4];
	for (int i = 0; i < 4; i++) {
		ta[i] = (struct thread_arg){ p, full, 17u + (unsigned)i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &ta[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ta[i].bad, 0);
	}
	ext2fs_close_free(&full);
}

static void check_file(const char *name, const char *path, struct ctx *c)
{
	const char *specs[] = { path };
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("test", specs, 1, &err);
	if (!m)
		fail_msg("%s: %s", name, err.msg);
	da_machine_scan(m);
	c->image = name;
	int before = c->filesystems;
	da_machine_each_node(m, node_check, c);
	if (c->filesystems == before)
		fail_msg("%s: no ext filesystem scanned", name);
	da_machine_close(m);
}

static void check_image(const char *name, struct ctx *c)
{
	char path[192], cmd[512];
	snprintf(path, sizeof(path), "%s/%s.img", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "xz -dc tests/images/%s.img.xz > %s", name,
		 path);
	assert_int_equal(system(cmd), 0);
	check_file(name, path, c);
	unlink(path);
}

/* A filesystem mke2fs makes (sparse), with options. */
static bool check_made(const char *name, const char *size, const char *opts,
		       struct ctx *c)
{
	char path[192], cmd[768];
	snprintf(path, sizeof(path), "%s/%s.img", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "truncate -s %s %s && mke2fs -q -F %s %s "
		 ">/dev/null 2>&1", size, path, opts, path);
	if (system(cmd) != 0) {
		unlink(path);
		return false;
	}
	check_file(name, path, c);
	unlink(path);
	return true;
}

static void test_committed_images(void **state)
{
	(void)state;
	struct ctx c = { 0 };
	check_image("mbr-ext", &c);
	check_image("gpt-esp-ext4", &c);
	print_message("%d ext filesystems, %llu groups (%llu with checksums), "
		      "%llu inodes checked\n", c.filesystems,
		      (unsigned long long)c.groups,
		      (unsigned long long)c.csum_checked,
		      (unsigned long long)c.inodes);
	assert_int_equal(c.filesystems, 4);
	assert_true(c.csum_checked > 0);
}

static void test_made_layouts(void **state)
{
	(void)state;
	if (system("command -v mke2fs >/dev/null 2>&1") != 0) {
		print_message("mke2fs missing: made layouts not checked\n");
		skip();
	}
	struct ctx c = { 0 };
	/* crc16 (gdt_csum) over 32- and 64-byte descriptors */
	assert_true(check_made("crc16-32", "64M", "-t ext4 -b 1024 -O "
			       "^metadata_csum,uninit_bg,^64bit", &c));
	assert_true(check_made("crc16-64", "64M", "-t ext4 -b 1024 -O "
			       "^metadata_csum,uninit_bg,64bit", &c));
	/* descriptors in their own meta groups: 64 groups, 16 a block */
	assert_true(check_made("meta-bg", "512M", "-t ext4 -b 1024 -O "
			       "meta_bg,^resize_inode", &c));
	/* more groups than a cache holds (4 KiB blocks, 32-byte) */
	assert_true(check_made("many", "40G", "-t ext4 -b 1024 -O ^64bit "
			       "-N 5000", &c));
	assert_true(check_made("bigalloc", "256M", "-t ext4 -O bigalloc "
			       "-C 16384", &c));
	assert_true(check_made("ext2", "32M", "-t ext2 -b 1024", &c));
	/* the regular layout's arithmetic was asked, not only the table */
	assert_true(c.regular >= 1);
	print_message("%d made filesystems, %llu groups (%llu with "
		      "checksums), %llu inodes checked\n", c.filesystems,
		      (unsigned long long)c.groups,
		      (unsigned long long)c.csum_checked,
		      (unsigned long long)c.inodes);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-extgroup.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_images),
		cmocka_unit_test(test_made_layouts),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
