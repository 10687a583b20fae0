/* The map's fast paths against the slow ones.  The hole map
 * (src/holemap.c): on a sparse file written at known offsets, and on
 * every committed test image unpacked sparse, the cached count of
 * never-written bytes of many ranges (asked far end first, then in a
 * sweep) equals an unbounded walk of the device's extent op, and the
 * map's cells add up to the same holes.  Rows of cells
 * (da_summarize_cells, what the explorer draws) equal one
 * da_summarize_disk or da_summarize_space call a cell, field by field,
 * on every disk and every volume and partition of every image, at
 * several zooms.  A filesystem's meta_role gives the very role string
 * describe_block gives, and the roles of a range (da_range_scan, the
 * side pane's "roles" lines, which asks meta_role first) add up to one
 * describe_block a block.  Run from the top of the tree (tests/run.sh
 * does).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
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
#include "fileindex.h"

static char tmpdir[64];
static size_t range_checks, meta_checks;     /* comparisons made */

/* Never-written bytes of [off, off+len), one extent call a run. */
static uint64_t slow_holes(struct da_device *dev, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, hole = 0;
	while (off < end) {
		uint64_t run = 0;
		int data = da_device_extent(dev, off, &run);
		if (data < 0 || run == 0)
			break;
		if (run > end - off)
			run = end - off;
		if (data == 0)
			hole += run;
		off += run;
	}
	return hole;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Many ranges of dev, cached against slow; returns the holes of the
 * whole device. */
static uint64_t compare_ranges(const char *label, struct da_device *dev)
{
	uint64_t size = dev->size, seed = 0x9e3779b97f4a7c15ull;
	/* the far end first: the map must learn past what it knows */
	uint64_t tail = size > 4096 ? size - 4096 : 0;
	if (da_device_hole_bytes(dev, tail, size - tail, true) !=
	    slow_holes(dev, tail, size - tail))
		fail_msg("%s: holes of the last 4 KiB differ", label);
	for (int i = 0; i < 2000; i++) {
		uint64_t off = rnd(&seed) % size;
		uint64_t len = 1 + rnd(&seed) % (i & 1 ? size / 8 + 1 : 65536);
		if (len > size - off)
			len = size - off;
		uint64_t a = da_device_hole_bytes(dev, off, len, true);
		uint64_t b = slow_holes(dev, off, len);
		if (a != b)
			fail_msg("%s: holes of [%llu, +%llu): cached %llu, "
				 "walked %llu", label,
				 (unsigned long long)off,
				 (unsigned long long)len,
				 (unsigned long long)a, (unsigned long long)b);
	}
	for (uint64_t cell = 512; cell < size; cell *= 16)
		for (uint64_t off = 0; off < size; off += cell * 7) {
			uint64_t len = size - off < cell ? size - off : cell;
			if (da_device_hole_bytes(dev, off, len, true) !=
			    slow_holes(dev, off, len))
				fail_msg("%s: holes of cell %llu+%llu differ",
					 label, (unsigned long long)off,
					 (unsigned long long)len);
		}
	uint64_t all = da_device_hole_bytes(dev, 0, size, true);
	assert_int_equal(all, slow_holes(dev, 0, size));
	return all;
}

/* A sparse file written at known 64 KiB blocks: the holes are the rest. */
static void test_known_file(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/known.img", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	const uint64_t blk = 65536, nblk = 256;
	assert_int_equal(ftruncate(fd, (off_t)(blk * nblk)), 0);
	static char buf[65536];
	memset(buf, 0xa5, sizeof(buf));
	uint64_t written = 0;
	for (uint64_t k = 0; k < nblk; k++) {
		if (k % 7 == 3 || k % 11 == 0 || k == nblk - 1) {
			assert_int_equal(pwrite(fd, buf, blk, (off_t)(k * blk)),
					 (ssize_t)blk);
			written++;
		}
	}
	close(fd);
	da_error err = { 0 };
	struct da_device *dev = da_file_device_open("known", path, &err);
	assert_non_null(dev);
	/* learnt ahead a step of one extent call at a time, as the explorer
	 * does between keys: done after one step a data or hole run, not
	 * before; the answers are then the walk's */
	unsigned steps = 1;
	while (!da_device_holes_learn(dev, 1))
		steps++;
	assert_true(da_device_holes_learn(dev, 1));
	uint64_t runs = 0;
	for (uint64_t off = 0, run = 0; off < blk * nblk; off += run, runs++)
		assert_true(da_device_extent(dev, off, &run) >= 0 && run > 0);
	assert_int_equal(steps, runs);
	uint64_t holes = compare_ranges("known.img", dev);
	uint64_t never = (nblk - written) * blk;
	if (holes == 0) {
		/* this filesystem keeps no holes: nothing more to learn */
		print_message("no holes on this filesystem\n");
	} else {
		assert_int_equal(holes, never);
		assert_int_equal(da_device_hole_bytes(dev, 3 * blk, blk, true),
				 0);
		assert_int_equal(da_device_hole_bytes(dev, blk, 2 * blk, true),
				 2 * blk);
		assert_int_equal(da_device_hole_bytes(dev, blk + 100, blk * 2,
						      true), 2 * blk - 100);
	}
	da_device_unref(dev);
	unlink(path);
}

static void same_cell(const char *label, uint64_t off, const struct da_cell *a,
		      const struct da_cell *b)
{
	if (a->region_id != b->region_id || a->nregions != b->nregions ||
	    a->conflict != b->conflict || a->bytes != b->bytes ||
	    a->used != b->used || a->free != b->free ||
	    a->metadata != b->metadata || a->hole != b->hole ||
	    a->unmapped != b->unmapped)
		fail_msg("%s: cell at %llu: row gives region %d used %llu "
			 "free %llu meta %llu hole %llu bytes %llu; one call "
			 "gives region %d used %llu free %llu meta %llu hole "
			 "%llu bytes %llu", label, (unsigned long long)off,
			 a->region_id, (unsigned long long)a->used,
			 (unsigned long long)a->free,
			 (unsigned long long)a->metadata,
			 (unsigned long long)a->hole,
			 (unsigned long long)a->bytes, b->region_id,
			 (unsigned long long)b->used,
			 (unsigned long long)b->free,
			 (unsigned long long)b->metadata,
			 (unsigned long long)b->hole,
			 (unsigned long long)b->bytes);
}

/* Rows of 200 cells over a space at zooms from the whole space on 60
 * rows down to 512 bytes a cell, against a call a cell. */
static void compare_rows(const char *label, const struct da_ownership *o,
			 struct da_device *dev, long disk)
{
	static struct da_cell row[200];
	uint64_t size = dev->size;
	for (uint64_t cell = size / (200 * 60) + 1;; cell /= 8) {
		if (cell < 512)
			cell = 512;
		uint64_t rows = (size + cell * 200 - 1) / (cell * 200);
		/* a few rows: the first, the last and some between */
		for (uint64_t r = 0; r < rows; r += rows / 7 + 1) {
			uint64_t off = r * 200 * cell;
			da_summarize_cells(o, dev, disk, off, cell, 200, true,
					   row);
			for (size_t i = 0; i < 200; i++) {
				uint64_t at = off + i * cell;
				struct da_cell one;
				if (at >= size) {
					assert_int_equal(row[i].bytes, 0);
					continue;
				}
				uint64_t len = size - at < cell ? size - at
								: cell;
				if (disk >= 0)
					da_summarize_disk(o, (size_t)disk, at,
							  len, &one);
				else
					da_summarize_space(o, dev, at, len,
							   &one);
				same_cell(label, at, &row[i], &one);
			}
			da_summarize_cells(o, dev, disk, off, cell, 200, false,
					   row);
			for (size_t i = 0; i < 200; i++)
				assert_int_equal(row[i].hole, 0);
		}
		if (cell == 512)
			break;
	}
}

struct rows_ctx {
	const struct da_ownership *o;
	const char *image;
	size_t spaces;
};

/* The roles of [off, off+len) of n's space, a describe_block a block,
 * against da_range_scan's for n. */
static void compare_range_roles(const char *label,
				const struct da_ownership *o,
				struct da_node *n, uint64_t off, uint64_t len)
{
	struct da_range *r = da_range_scan(o, n->dev, off, len,
					   DA_RANGE_ROLES);
	assert_non_null(r);
	/* only ranges that n holds whole (past a filesystem's end the
	 * device's bytes are someone else's) */
	uint64_t held = 0;
	for (size_t j = 0; j < r->nowners; j++)
		if (r->owners[j].c->node == n && !r->owners[j].c->role)
			held += r->owners[j].bytes;
	if (held != len) {
		da_range_free(r);
		return;
	}
	uint64_t bs = n->dev->block_size ? n->dev->block_size : 512;
	const char *roles[DA_RANGE_MAX_ROLES];
	uint64_t bytes[DA_RANGE_MAX_ROLES];
	size_t k = 0;
	uint64_t end = off + len;
	for (uint64_t b = off / bs * bs; b < end; b += bs) {
		struct da_block_info info;
		da_block_info_init(&info);
		if (n->plugin->describe_block(n, b > off ? b : off, &info) ||
		    !info.role)
			continue;
		uint64_t a0 = b > off ? b : off;
		uint64_t a1 = b + bs < end ? b + bs : end;
		size_t i = 0;
		/* the same text: copies of one literal in two files are
		 * one string only where the linker merges them (not under
		 * AddressSanitizer) */
		while (i < k && strcmp(roles[i], info.role) != 0)
			i++;
		if (i == k) {
			if (k == DA_RANGE_MAX_ROLES) {
				da_range_free(r);
				return;          /* more than the range keeps */
			}
			roles[k] = info.role;
			bytes[k++] = 0;
		}
		bytes[i] += a1 - a0;
	}
	size_t got = 0;
	range_checks++;
	for (size_t j = 0; j < r->nroles; j++) {
		if (r->roles[j].node != n)
			continue;
		got++;
		size_t i = 0;
		while (i < k && strcmp(roles[i], r->roles[j].role) != 0)
			i++;
		if (i == k || bytes[i] != r->roles[j].bytes)
			fail_msg("%s: roles of [%llu, +%llu): %s %llu bytes, "
				 "describe_block says %llu", label,
				 (unsigned long long)off,
				 (unsigned long long)len, r->roles[j].role,
				 (unsigned long long)r->roles[j].bytes,
				 (unsigned long long)(i < k ? bytes[i] : 0));
	}
	if (got != k)
		fail_msg("%s: roles of [%llu, +%llu): %zu, describe_block "
			 "gives %zu", label, (unsigned long long)off,
			 (unsigned long long)len, got, k);
	da_range_free(r);
}

/* A filesystem's meta_role against describe_block on every block (the
 * same string, not a copy: ranges add roles up by pointer), and its
 * ranges' roles against a describe_block a block. */
static void compare_roles(const char *label, const struct da_ownership *o,
			  struct da_node *n)
{
	if (!n->plugin || !n->plugin->describe_block || !n->dev)
		return;
	uint64_t bs = n->dev->block_size ? n->dev->block_size : 512;
	uint64_t size = n->dev->size;
	uint64_t step = size / bs > 200000 ? size / bs / 200000 * bs : bs;
	if (n->plugin->meta_role) {
		for (uint64_t off = 0; off < size; off += step) {
			const char *m = n->plugin->meta_role(n, off);
			if (!m)
				continue;
			meta_checks++;
			struct da_block_info info;
			da_block_info_init(&info);
			assert_int_equal(n->plugin->describe_block(n, off,
								   &info), 0);
			if (info.role != m)
				fail_msg("%s: block at %llu: meta_role %s, "
					 "describe_block %s", label,
					 (unsigned long long)off, m,
					 info.role ? info.role : "none");
		}
	}
	/* ranges up to 4096 blocks (none sampled), some across edges */
	uint64_t seed = 0x2545f4914f6cdd1dull ^ size;
	for (int i = 0; i < 40; i++) {
		uint64_t off = rnd(&seed) % size;
		uint64_t len = 1 + rnd(&seed) % (i & 1 ? 4096 * bs : 64 * bs);
		if (len > size - off)
			len = size - off;
		compare_range_roles(label, o, n, off, len);
	}
	compare_range_roles(label, o, n, 0, size < 4096 * bs ? size
							     : 4096 * bs);
}

static void node_rows(struct da_node *n, void *arg)
{
	struct rows_ctx *c = arg;
	char name[300];
	snprintf(name, sizeof(name), "%s: %s", c->image,
		 n->dev ? n->dev->name : "?");
	compare_roles(name, c->o, n);
	for (size_t i = 0; i < n->nslots; i++) {
		if (!n->slots[i].dev)
			continue;
		char label[300];
		snprintf(label, sizeof(label), "%s: %s", c->image,
			 n->slots[i].dev->name);
		compare_rows(label, c->o, n->slots[i].dev, -1);
		c->spaces++;
	}
}

/* Every committed image: the hole map against the walk, and the map's
 * cells over the whole disk add up to the disk's holes; rows of cells
 * against single cells on the disk, its partitions and its volumes. */
static void test_every_image(void **state)
{
	(void)state;
	DIR *dir = opendir("tests/images");
	assert_non_null(dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);
		if (l <= 7 || strcmp(e->d_name + l - 7, ".img.xz"))
			continue;
		char name[256], path[400], cmd[1024];
		snprintf(name, sizeof(name), "%.*s", (int)(l - 7), e->d_name);
		snprintf(path, sizeof(path), "%s/%s.img", tmpdir, name);
		snprintf(cmd, sizeof(cmd), "xz -dc 'tests/images/%s' | "
			 "cp --sparse=always /dev/stdin '%s'", e->d_name,
			 path);
		assert_int_equal(system(cmd), 0);
		const char *specs[] = { path };
		da_error err = { 0 };
		struct da_machine *m = da_machine_open("t", specs, 1, &err);
		if (!m)
			fail_msg("%s: %s", name, err.msg);
		da_machine_scan(m);
		struct da_ownership *o = da_ownership_build(m, &err);
		if (!o)
			fail_msg("%s: %s", name, err.msg);
		struct da_device *dev = m->disks[0].dev;
		uint64_t holes = compare_ranges(name, dev);
		uint64_t cells = 0, size = dev->size, cell = size / 12000 + 1;
		for (uint64_t off = 0; off < size; off += cell) {
			struct da_cell c;
			uint64_t len = size - off < cell ? size - off : cell;
			da_summarize_disk(o, 0, off, len, &c);
			cells += c.hole;
		}
		assert_int_equal(cells, holes);
		compare_rows(name, o, dev, 0);
		struct rows_ctx rc = { o, name, 0 };
		da_machine_each_node(m, node_rows, &rc);
		for (size_t v = 0; v < m->nvolumes; v++) {
			if (!m->volumes[v].dev)
				continue;
			char label[300];
			snprintf(label, sizeof(label), "%s: %s", name,
				 m->volumes[v].name);
			compare_rows(label, o, m->volumes[v].dev, -1);
		}
		da_ownership_free(o);
		da_machine_close(m);
		unlink(path);
		n++;
	}
	closedir(dir);
	assert_true(n >= 10);
	print_message("%zu images checked; %zu ranges' roles and %zu metadata "
		      "blocks' roles compared\n", n, range_checks, meta_checks);
	assert_true(range_checks >= 100 && meta_checks >= 100);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-holes.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_file),
		cmocka_unit_test(test_every_image),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
