/* Unit tests of the qcow2 reader on an image built byte by byte here
 * (qemu's docs/interop/qcow2.txt): 512-byte clusters, one L2 table with a
 * data cluster, a zero cluster, an unallocated one, a zlib-compressed one
 * and another data cluster.  The guest's bytes, its holes, the host
 * view's roles and its way down into the guest; then damage: an L2 entry
 * past the file, a compressed cluster past the file, an absurd header.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "diskatlas.h"

#define CS 512u                 /* cluster size: 2^9 */
#define NCL 8u                  /* clusters in the file */

static char path[256];
static uint8_t img[CS * NCL];

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint8_t pat(int k, size_t i)
{
	return (uint8_t)(k * 37 + i * 13 + (i >> 5));
}

/* The layout: 0 header, 1 L1, 2 refcount table, 3 L2, 4 refcount block,
 * 5 data (guest cluster 0), 6 compressed (guest 3), 7 data (guest 4). */
static void build(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "QFI\xfb", 4);
	put32(img + 4, 3);                 /* version */
	put32(img + 20, 9);                /* cluster bits */
	put64(img + 24, 8 * CS);           /* guest size */
	put32(img + 36, 1);                /* L1 entries */
	put64(img + 40, 1 * CS);
	put64(img + 48, 2 * CS);           /* refcount table */
	put32(img + 56, 1);
	put32(img + 96, 4);                /* refcount order: 16 bits */
	put32(img + 100, 104);             /* header length; extensions end */
	put64(img + CS, 3 * CS | 1ULL << 63);
	put64(img + 2 * CS, 4 * CS);
	for (unsigned c = 0; c < NCL; c++)
		img[4 * CS + 2 * c + 1] = 1;
	uint8_t *l2 = img + 3 * CS;
	put64(l2 + 0, 5 * CS | 1ULL << 63);
	put64(l2 + 8, 1);                  /* zero cluster */
	/* l2 + 16: unallocated */
	uint8_t plain[CS], packed[CS];
	for (size_t i = 0; i < CS; i++)
		plain[i] = pat(3, i) & 0x0f;   /* compressible */
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -12, 9,
				      Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = plain;
	z.avail_in = CS;
	z.next_out = packed;
	z.avail_out = CS;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t zlen = z.total_out;
	deflateEnd(&z);
	assert_true(zlen < CS);
	memcpy(img + 6 * CS, packed, zlen);
	/* x = 62 - (9 - 8) = 61: offset in bits 0-60, no extra sector */
	put64(l2 + 24, 1ULL << 62 | 6 * CS);
	put64(l2 + 32, 7 * CS | 1ULL << 63);
	for (size_t i = 0; i < CS; i++) {
		img[5 * CS + i] = pat(0, i);
		img[7 * CS + i] = pat(4, i);
	}
}

static void write_img(const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct da_machine *open_img(da_error *err)
{
	struct da_disk_spec s = { "q", path, NULL };
	return da_machine_open_disks("t", &s, 1, err);
}

static void test_guest(void **state)
{
	(void)state;
	build();
	write_img(img, sizeof(img));
	da_error err = { 0 };
	struct da_machine *m = open_img(&err);
	if (!m)
		fail_msg("%s", err.msg);
	assert_int_equal(m->ndisks, 2);
	assert_string_equal(m->disks[0].format, "qcow2");
	assert_string_equal(m->disks[1].format, "host");
	assert_string_equal(m->disks[1].name, "q@host");
	struct da_device *g = m->disks[0].dev;
	assert_int_equal(g->size, 8 * CS);
	uint8_t buf[8 * CS];
	assert_int_equal(da_device_read(g, buf, sizeof(buf), 0, &err), 0);
	for (size_t i = 0; i < CS; i++) {
		assert_int_equal(buf[i], pat(0, i));
		assert_int_equal(buf[CS + i], 0);
		assert_int_equal(buf[2 * CS + i], 0);
		assert_int_equal(buf[3 * CS + i], pat(3, i) & 0x0f);
		assert_int_equal(buf[4 * CS + i], pat(4, i));
		assert_int_equal(buf[7 * CS + i], 0);
	}
	/* a read across clusters, from inside one */
	assert_int_equal(da_device_read(g, buf, 700, 3 * CS + 100, &err), 0);
	assert_int_equal(buf[0], pat(3, 100) & 0x0f);
	assert_int_equal(buf[500], pat(4, 88));
	/* holes: zero and unallocated clusters, as a sparse file's */
	uint64_t run;
	assert_int_equal(da_device_extent(g, 0, &run), 1);
	assert_int_equal(run, CS);
	assert_int_equal(da_device_extent(g, CS, &run), 0);
	assert_int_equal(run, 2 * CS);
	assert_int_equal(da_device_extent(g, 3 * CS + 7, &run), 1);
	assert_int_equal(run, 2 * CS - 7);
	assert_int_equal(da_device_extent(g, 5 * CS, &run), 0);
	assert_int_equal(run, 3 * CS);
	da_machine_close(m);
}

/* A guest of four L2 tables' reach (64 clusters each) with the second
 * and fourth L1 entries empty: what no L2 table maps is unallocated, in
 * one answer however far it reaches, with the same holes and bytes as
 * a cluster at a time. */
static void test_no_l2(void **state)
{
	(void)state;
	build();
	const uint64_t reach = 64 * CS;   /* an L2 table's: CS / 8 entries */
	put64(img + 24, 4 * reach);        /* guest size */
	put32(img + 36, 4);                /* L1 entries */
	put64(img + CS + 16, 3 * CS | 1ULL << 63);   /* L1[2]: the same L2 */
	write_img(img, sizeof(img));
	da_error err = { 0 };
	struct da_machine *m = open_img(&err);
	if (!m)
		fail_msg("%s", err.msg);
	struct da_device *g = m->disks[0].dev;
	assert_int_equal(g->size, 4 * reach);
	uint64_t run;
	/* from guest cluster 5: unallocated to the end of L1[0]'s reach,
	 * then L1[1] has no table; data again at L1[2]'s first cluster */
	assert_int_equal(da_device_extent(g, 5 * CS, &run), 0);
	assert_int_equal(run, 2 * reach - 5 * CS);
	assert_int_equal(da_device_extent(g, reach + 100, &run), 0);
	assert_int_equal(run, reach - 100);
	assert_int_equal(da_device_extent(g, 2 * reach, &run), 1);
	assert_int_equal(run, CS);
	/* L1[3]: no table, to the end of the guest */
	assert_int_equal(da_device_extent(g, 3 * reach + 7, &run), 0);
	assert_int_equal(run, reach - 7);
	/* bytes across a reach with no table: zeros, then L1[2]'s data */
	uint8_t buf[3 * CS];
	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(da_device_read(g, buf, sizeof(buf),
					2 * reach - 2 * CS, &err), 0);
	for (size_t i = 0; i < CS; i++) {
		assert_int_equal(buf[i], 0);
		assert_int_equal(buf[CS + i], 0);
		assert_int_equal(buf[2 * CS + i], pat(0, i));
	}
	da_machine_close(m);
}

static void test_host_view(void **state)
{
	(void)state;
	build();
	write_img(img, sizeof(img));
	da_error err = { 0 };
	struct da_machine *m = open_img(&err);
	assert_non_null(m);
	da_machine_scan(m);
	struct da_ownership *o = da_ownership_build(m, &err);
	assert_non_null(o);
	static const char *const roles[NCL] = {
		"qcow2_header", "l1_table", "refcount_table", "l2_table",
		"refcount_block", "data_cluster", "compressed_cluster",
		"data_cluster",
	};
	struct da_owner w[16];
	for (unsigned c = 0; c < NCL; c++) {
		int n = da_owners_at(o, 1, c * CS + (c ? 200 : 50), w, 16, true);
		assert_true(n >= 1);
		assert_string_equal(w[0].kind, "image");
		assert_string_equal(w[0].role, roles[c]);
	}
	/* the first cluster past the header and its extensions */
	assert_true(da_owners_at(o, 1, 200, w, 16, true) >= 1);
	assert_string_equal(w[0].role, "padding");
	assert_true(da_owners_at(o, 1, 106, w, 16, true) >= 1);
	assert_string_equal(w[0].role, "header_extension");
	/* a data cluster: the guest byte it holds comes next */
	int n = da_owners_at(o, 1, 7 * CS + 10, w, 16, true);
	assert_true(n >= 2);
	assert_string_equal(w[1].kind, "guest");
	assert_string_equal(w[1].name, "q");
	assert_int_equal(w[1].offset, 4 * CS + 10);
	/* a compressed one: its first byte decodes the guest cluster's start */
	n = da_owners_at(o, 1, 6 * CS, w, 16, true);
	assert_true(n >= 2);
	assert_int_equal(w[1].offset, 3 * CS);
	struct da_value *a = da_obj_get(m->disks[1].content->props,
					"allocated_clusters");
	assert_non_null(a);
	assert_int_equal(a->u.i, 3);
	assert_int_equal(m->nproblems, 0);
	da_ownership_free(o);
	da_machine_close(m);
}

static void test_damage(void **state)
{
	(void)state;
	da_error err = { 0 };
	uint8_t buf[CS];

	/* guest cluster 0 at 1 TiB: that read fails, the file is damaged */
	build();
	put64(img + 3 * CS, 1ULL << 40);
	write_img(img, sizeof(img));
	struct da_machine *m = open_img(&err);
	assert_non_null(m);
	assert_int_equal(da_device_read(m->disks[0].dev, buf, CS, 0, &err), -1);
	assert_int_equal(err.code, EIO);
	assert_int_equal(da_device_read(m->disks[0].dev, buf, CS, 4 * CS, &err), 0);
	assert_int_equal(m->nproblems, 1);
	da_machine_close(m);

	/* a compressed cluster past the end of the file */
	build();
	put64(img + 3 * CS + 24, 1ULL << 62 | 100 * CS);
	write_img(img, sizeof(img));
	m = open_img(&err);
	assert_non_null(m);
	assert_int_equal(da_device_read(m->disks[0].dev, buf, CS, 3 * CS, &err), -1);
	da_machine_close(m);

	/* a refcount table that lists itself: read once, warned */
	build();
	put64(img + 2 * CS + 8, 2 * CS);
	write_img(img, sizeof(img));
	m = open_img(&err);
	assert_non_null(m);
	assert_non_null(m->disks[1].content->reason);
	assert_non_null(strstr(m->disks[1].content->reason, "listed twice"));
	da_machine_close(m);

	/* absurd header fields: refused in one line, nothing opened */
	static const struct { size_t off; int width; uint64_t v; const char *why; } bad[] = {
		{ 20, 4, 40, "absurd cluster size" },
		{ 24, 8, 1ULL << 62, "absurd guest size" },
		{ 36, 4, 0x7fffffff, "absurd L1" },
		{ 100, 4, 0xffff0, "absurd header length" },
		{ 4, 4, 7, "version 7" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build();
		if (bad[i].width == 4)
			put32(img + bad[i].off, (uint32_t)bad[i].v);
		else
			put64(img + bad[i].off, bad[i].v);
		write_img(img, sizeof(img));
		memset(&err, 0, sizeof(err));
		assert_null(open_img(&err));
		if (!strstr(err.msg, bad[i].why))
			fail_msg("%s: got '%s'", bad[i].why, err.msg);
	}
	/* truncated inside the header */
	build();
	write_img(img, 90);
	assert_null(open_img(&err));
	assert_non_null(strstr(err.msg, "truncated"));
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/da-qcow2-%d.img",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest),
		cmocka_unit_test(test_no_l2),
		cmocka_unit_test(test_host_view),
		cmocka_unit_test(test_damage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
