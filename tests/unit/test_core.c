/* Unit tests of the engine's core: offset parsing, values, and the
 * ownership index on hand-built scan trees (no plugins involved).
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
#include "value.h"

static void test_parse_offset(void **state)
{
	uint64_t v;
	(void)state;
	assert_int_equal(da_parse_offset("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(da_parse_offset("2048s", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(da_parse_offset("0x100000", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(da_parse_offset("1M", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(da_parse_offset("3K", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(da_parse_offset("2T", &v), 0);
	assert_int_equal(v, 2ull << 40);
	assert_int_equal(da_parse_offset("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(da_parse_offset("", &v), -1);
	assert_int_equal(da_parse_offset("0x", &v), -1);
	assert_int_equal(da_parse_offset("12Q", &v), -1);
	assert_int_equal(da_parse_offset("-5", &v), -1);
	assert_int_equal(da_parse_offset("99999999999999999999", &v), -1);
	assert_int_equal(da_parse_offset("18446744073709551615T", &v), -1);
}

static void test_human_size(void **state)
{
	char b[32];
	(void)state;
	da_human_size(512, b, sizeof(b));
	assert_string_equal(b, "512 B");
	da_human_size(1536, b, sizeof(b));
	assert_string_equal(b, "1.5 KiB");
	da_human_size(64ull << 20, b, sizeof(b));
	assert_string_equal(b, "64 MiB");
	/* as printf's %.1f and %.0f round: a tie to even, 1023.999 up */
	da_human_size(1280, b, sizeof(b));
	assert_string_equal(b, "1.2 KiB");
	da_human_size(1331, b, sizeof(b));
	assert_string_equal(b, "1.3 KiB");
	da_human_size(1048575, b, sizeof(b));
	assert_string_equal(b, "1024 KiB");
	da_human_size(UINT64_MAX, b, sizeof(b));
	assert_string_equal(b, "16 EiB");
	da_human_size(1536, b, 4);
	assert_string_equal(b, "1.5");
}

static void test_json(void **state)
{
	(void)state;
	struct da_value *o = da_obj_new();
	da_obj_set_str(o, "name", "a\"b\\c\n");
	da_obj_set_int(o, "size", -3);
	da_obj_set_bool(o, "ok", true);
	struct da_value *a = da_arr_new();
	da_arr_push(a, da_int_new(1));
	da_arr_push(a, da_str_new("x"));
	da_obj_set(o, "list", a);
	da_obj_set_int(o, "size", 7); /* replaces */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	da_json_value(f, o);
	fclose(f);
	assert_string_equal(buf, "{\"name\":\"a\\\"b\\\\c\\n\",\"size\":7,"
			    "\"ok\":true,\"list\":[1,\"x\"]}");
	free(buf);
	da_value_free(o);
}

/* A 1 MiB disk file, all zeros (sparse). */
static char *make_disk(uint64_t size)
{
	char *path = strdup("/tmp/da-unit-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return path;
}

static const struct da_plugin fake = { .name = "fake" };

/* A hand-made partition table: table sectors, two partitions that overlap
 * (a conflict), and free space. */
static void test_ownership_invariants(void **state)
{
	(void)state;
	char *path = make_disk(1 << 20);
	char spec[64];
	snprintf(spec, sizeof(spec), "d=%s", path);
	const char *specs[] = { spec };
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("t", specs, 1, &err);
	assert_non_null(m);
	struct da_device *disk = m->disks[0].dev;

	struct da_node *n = da_node_new(DA_NODE_PARTITIONS, &fake, disk);
	da_obj_set_str(n->props, "scheme", "test");
	da_node_add_region(n, 0, 4096, "table", -1);
	struct da_device *p1 = da_offset_device_new("d/p1", disk, 4096,
						    300 * 1024, &err);
	struct da_device *p2 = da_offset_device_new("d/p2", disk, 204800,
						    200 * 1024, &err);
	assert_non_null(p1);
	assert_non_null(p2);
	struct da_value *pr = da_obj_new();
	da_obj_set_str(pr, "name", "p1");
	da_node_add_slot(n, "partition", pr, p1);
	pr = da_obj_new();
	da_obj_set_str(pr, "name", "p2");
	da_node_add_slot(n, "partition", pr, p2);
	da_node_add_region(n, 4096, 300 * 1024, "partition", 0);
	da_node_add_region(n, 204800, 200 * 1024, "partition", 1);
	m->disks[0].content = n;
	m->scanned = true;

	struct da_ownership *o = da_ownership_build(m, &err);
	assert_non_null(o);
	size_t ns;
	const struct da_claim *cl;
	const struct da_segment *s = da_ownership_segments(o, 0, &ns, &cl);
	/* no gaps, no overlaps, covers the disk */
	uint64_t at = 0;
	for (size_t i = 0; i < ns; i++) {
		assert_int_equal(s[i].start, at);
		assert_true(s[i].len > 0);
		at += s[i].len;
	}
	assert_int_equal(at, 1 << 20);

	struct da_owner w[8];
	/* the table */
	assert_int_equal(da_owners_at(o, 0, 100, w, 8, true), 1);
	assert_string_equal(w[0].kind, "partition_table");
	assert_string_equal(w[0].role, "table");
	/* inside p1 only */
	assert_int_equal(da_owners_at(o, 0, 5000, w, 8, true), 2);
	assert_string_equal(w[1].kind, "partition");
	assert_string_equal(w[1].name, "p1");
	assert_int_equal(w[1].offset, 5000 - 4096);
	assert_false(w[1].conflict);
	/* p1 and p2 overlap at 204800..311296: both listed, in conflict */
	int k = da_owners_at(o, 0, 250000, w, 8, true);
	assert_int_equal(k, 4);
	assert_true(w[2].conflict && w[3].conflict);
	assert_string_equal(w[2].name, "p1");
	assert_int_equal(w[2].offset, 250000 - 4096);
	assert_string_equal(w[3].name, "p2");
	assert_int_equal(w[3].offset, 250000 - 204800);
	/* past every claim: nobody */
	assert_int_equal(da_owners_at(o, 0, 1000000, w, 8, true), 0);
	/* locate from a partition down to the disk */
	size_t d;
	uint64_t doff, run;
	assert_int_equal(da_ownership_locate(o, p2, 10, &d, &doff, &run), 0);
	assert_int_equal(d, 0);
	assert_int_equal(doff, 204810);
	assert_int_equal(run, 200 * 1024 - 10);
	/* summary of the whole disk: most of it no owner */
	struct da_cell c;
	da_summarize_disk(o, 0, 0, 1 << 20, &c);
	assert_int_equal(c.region_id, -1);
	assert_true(c.conflict);
	assert_int_equal(c.bytes, 1 << 20);
	assert_int_equal(c.hole, 1 << 20);

	da_ownership_free(o);
	da_machine_close(m);
	unlink(path);
	free(path);
}

/* The units the side pane counts in, from hostile values: ext props
 * whose blocks per group is 0 or whose block size is absurd give no
 * group; PV and FAT props out of range give no extent or cluster; good
 * values give the numbers the formats define. */
static void test_units(void **state)
{
	(void)state;
	char *path = make_disk(1 << 20);
	da_error err = { 0 };
	struct da_device *dev = NULL;
	struct da_unit_at u;
	static const struct da_plugin ext = { .name = "ext" };
	static const struct da_plugin fat = { .name = "fat" };
	/* ext: groups from the props the plugin records */
	struct { int64_t first, bs, bpg; int64_t group; } cases[] = {
		{ 1, 1024, 8192, 2 },       /* 1 KiB blocks, from block 1 */
		{ 0, 4096, 32768, 0 },      /* 4 KiB blocks */
		{ 1, 1024, 0, -1 },         /* no blocks per group */
		{ 0, -4096, 8192, -1 },     /* a negative block size */
		{ -1, 1024, 8192, -1 },     /* no first block */
		{ 70000, 1024, 8192, -1 },  /* before the first block */
	};
	dev = da_file_device_open("d", path, &err);
	assert_non_null(dev);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &ext, dev);
		da_obj_set_int(n->props, "block_size", cases[i].bs);
		da_obj_set_int(n->props, "blocks_per_group", cases[i].bpg);
		if (cases[i].first >= 0)
			da_obj_set_int(n->props, "first_data_block",
				       cases[i].first);
		/* block 16385 of 1 KiB blocks; byte 65536 of 4 KiB ones */
		uint64_t off = cases[i].bs == 4096 ? 65536 : 16385 * 1024 + 7;
		int r = da_node_unit(n, off, &u);
		if (cases[i].group < 0) {
			assert_int_equal(r, -1);
		} else {
			assert_int_equal(r, 0);
			assert_string_equal(u.name, "group");
			assert_int_equal(u.number, cases[i].group);
		}
		da_node_free(n);
	}
	da_device_unref(dev);
	dev = da_file_device_open("d", path, &err);
	assert_non_null(dev);
	/* an LVM PV: extents from pe_start; none before it or of size 0 */
	struct da_node *pv = da_node_new(DA_NODE_LVM2_PV, &fake, dev);
	da_obj_set_int(pv->props, "pe_start", 1048576);
	da_obj_set_int(pv->props, "pe_size", 4194304);
	assert_int_equal(da_node_unit(pv, 1048576 + 3 * 4194304 + 5, &u), 0);
	assert_string_equal(u.name, "PE");
	assert_int_equal(u.number, 3);
	assert_int_equal(u.offset, 5);
	assert_int_equal(da_node_unit(pv, 100, &u), -1);
	/* with pe_count 4: PEs 0-3, and the padding past them in none */
	da_obj_set_int(pv->props, "pe_count", 4);
	assert_int_equal(da_node_unit(pv, 1048576 + 3 * 4194304 + 5, &u), 0);
	assert_int_equal(u.number, 3);
	assert_int_equal(da_node_unit(pv, 1048576 + 4 * 4194304, &u), -1);
	assert_int_equal(da_node_unit(pv, 1048576 + 9 * 4194304 + 5, &u), -1);
	da_obj_set_int(pv->props, "pe_size", 0);
	assert_int_equal(da_node_unit(pv, 1048576 + 5, &u), -1);
	da_node_free(pv);
	/* FAT: clusters from 2 at the data area; none before it */
	struct da_node *fs = da_node_new(DA_NODE_FILESYSTEM, &fat, dev);
	da_obj_set_int(fs->props, "cluster_size", 512);
	da_obj_set_int(fs->props, "data_start", 1049600);
	assert_int_equal(da_node_unit(fs, 1049600 + 37 * 512 + 10, &u), 0);
	assert_string_equal(u.name, "cluster");
	assert_int_equal(u.number, 39);
	assert_int_equal(da_node_unit(fs, 1000, &u), -1);
	da_obj_set_int(fs->props, "cluster_size", -4);
	assert_int_equal(da_node_unit(fs, 1049600 + 10, &u), -1);
	da_node_free(fs);
	assert_int_equal(da_node_unit(NULL, 0, &u), -1);
	da_device_unref(dev);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_offset),
		cmocka_unit_test(test_human_size),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ownership_invariants),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
