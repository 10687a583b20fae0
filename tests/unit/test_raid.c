/* Unit tests of the md raid device: which layouts it knows, where parity
 * goes (the kernel's own examples in md_p.h's comments: left-symmetric
 * RAID5 puts stripe 0's parity on the last member), reads that rebuild a
 * lost chunk (RAID6 from P and Q, Q written here by Horner's rule in
 * GF(2^8) mod 0x11d, over enough members that 2^k wraps), and reads that
 * cannot (every copy, two chunks of a RAID5 stripe or three of a RAID6
 * one gone) failing with ENXIO instead of returning wrong bytes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "diskatlas.h"

#define CHUNK 4096u
#define MEMBER (16 * CHUNK)

static char tmpdir[256];

/* Members 0..n-1 of a RAID5 or RAID6 (left-symmetric) whose data chunk k
 * is filled with the byte k+1, P as XOR and Q as md's syndrome: written
 * by the test. */
static struct da_device *member(int i, int n, int level)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/m%d", tmpdir, i);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	int nd = n - (level == 6 ? 2 : 1);
	for (uint64_t s = 0; s < MEMBER / CHUNK; s++) {
		uint8_t buf[CHUNK];
		int r = da_raid_chunk_role(level, 2, (size_t)n, (size_t)i, s);
		uint8_t v = 0;
		if (r == 'D') {
			/* data index of member i in stripe s (left-symmetric:
			 * (pd + 1 + k) % n, pd = nd - s % n for RAID5) */
			int pd = level == 6 ? n - 1 - (int)(s % (uint64_t)n)
					    : nd - (int)(s % (uint64_t)n);
			int first = level == 6 ? pd + 2 : pd + 1;
			int k = ((i - first) % n + n) % n;
			v = (uint8_t)(s * (uint64_t)nd + (uint64_t)k + 1);
		} else if (r == 'P') {
			for (int k = 0; k < nd; k++)
				v ^= (uint8_t)(s * (uint64_t)nd + (uint64_t)k + 1);
		} else {
			/* Q = sum 2^k D_k (left-symmetric: the data slot is
			 * the chunk's place in the stripe), highest first */
			for (int k = nd - 1; k >= 0; k--) {
				v = (uint8_t)((v << 1) ^ (v & 0x80 ? 0x1d : 0));
				v ^= (uint8_t)(s * (uint64_t)nd + (uint64_t)k + 1);
			}
		}
		memset(buf, v, sizeof(buf));
		assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	}
	assert_int_equal(fclose(f), 0);
	da_error err = { 0 };
	struct da_device *d = da_file_device_open(path + strlen(tmpdir) + 1,
						  path, &err);
	assert_non_null(d);
	return d;
}

static void test_layouts(void **state)
{
	(void)state;
	assert_true(da_raid_layout_ok(5, 2, 3));
	assert_true(da_raid_layout_ok(6, 18, 4));
	assert_true(da_raid_layout_ok(10, 0x102, 2));
	assert_true(da_raid_layout_ok(10, 0x10201, 3));
	assert_false(da_raid_layout_ok(5, 6, 3));
	assert_false(da_raid_layout_ok(6, 2, 3));          /* too few */
	assert_false(da_raid_layout_ok(10, 0x103, 2));     /* 3 copies on 2 */
	assert_true(da_raid_layout_ok(10, 0x20102, 4));    /* far sets 1 */
	assert_true(da_raid_layout_ok(10, 0x40201, 5));    /* far sets 2 */
	assert_false(da_raid_layout_ok(10, 0x60201, 5));   /* no version 3 */
	assert_false(da_raid_layout_ok(10, 0x80201, 5));   /* bit 19 */
	assert_false(da_raid_layout_ok(1, 0, 2));
	/* left-symmetric RAID5 over 3: P on 2, 1, 0, 2... */
	assert_int_equal(da_raid_chunk_role(5, 2, 3, 2, 0), 'P');
	assert_int_equal(da_raid_chunk_role(5, 2, 3, 1, 1), 'P');
	assert_int_equal(da_raid_chunk_role(5, 2, 3, 0, 2), 'P');
	assert_int_equal(da_raid_chunk_role(5, 2, 3, 0, 0), 'D');
	/* right-asymmetric: P on 0, 1, 2 */
	assert_int_equal(da_raid_chunk_role(5, 1, 3, 0, 0), 'P');
	assert_int_equal(da_raid_chunk_role(5, 1, 3, 2, 2), 'P');
	/* RAID4: always the last; RAID6 left-symmetric over 4: P 3, Q 0 */
	assert_int_equal(da_raid_chunk_role(4, 0, 4, 3, 7), 'P');
	assert_int_equal(da_raid_chunk_role(6, 2, 4, 3, 0), 'P');
	assert_int_equal(da_raid_chunk_role(6, 2, 4, 0, 0), 'Q');
	assert_int_equal(da_raid_chunk_role(6, 2, 4, 2, 1), 'P');
	assert_int_equal(da_raid_chunk_role(6, 2, 4, 3, 1), 'Q');
}

/* Read every chunk; expect the byte k+1 in chunk k, or ENXIO. */
static void read_all(struct da_device *d, int expect_fail)
{
	int failed = 0;
	for (uint64_t c = 0; c < d->size / CHUNK; c++) {
		uint8_t buf[CHUNK];
		da_error err = { 0 };
		if (da_device_read(d, buf, sizeof(buf), c * CHUNK, &err) < 0) {
			assert_int_equal(err.code, ENXIO);
			failed++;
			continue;
		}
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != (uint8_t)(c + 1))
				fail_msg("chunk %llu byte %zu: %u, want %u",
					 (unsigned long long)c, i, buf[i],
					 (unsigned)(uint8_t)(c + 1));
	}
	if (expect_fail)
		assert_true(failed > 0);
	else
		assert_int_equal(failed, 0);
}

/* The array over n members but those in the bit mask lost. */
static struct da_device *array(int level, int n, unsigned lost)
{
	struct da_device *m[16];
	for (int i = 0; i < n; i++)
		m[i] = member(i, n, level);
	struct da_device *use[16];
	for (int i = 0; i < n; i++)
		use[i] = lost >> i & 1 ? NULL : m[i];
	struct da_raid_geom g = { level, 2, CHUNK, MEMBER, (size_t)n };
	uint64_t size = 0;
	da_error err = { 0 };
	struct da_device *d = da_raid_device_new("md", &g, use, NULL, &size,
						 &err);
	if (!d)
		fail_msg("%s", err.msg);
	assert_int_equal(size, (uint64_t)(n - (level == 6 ? 2 : 1)) * MEMBER);
	for (int i = 0; i < n; i++)
		da_device_unref(m[i]);
	return d;
}

#define L(i) (1u << (i))

static void test_rebuild(void **state)
{
	(void)state;
	struct da_device *d = array(5, 3, 0);
	read_all(d, 0);
	da_device_unref(d);
	for (int miss = 0; miss < 4; miss++) {
		d = array(5, 4, L(miss));         /* one lost: XOR of the rest */
		read_all(d, 0);
		da_device_unref(d);
	}
	d = array(5, 4, L(0) | L(2));            /* two lost: ENXIO */
	read_all(d, 1);
	da_device_unref(d);
	d = array(6, 5, L(1));                   /* RAID6, one lost: P */
	read_all(d, 0);
	da_device_unref(d);
	/* RAID6, every pair lost: two data (P and Q), data and P (Q),
	 * data and Q (P) */
	for (int a = 0; a < 5; a++)
		for (int b = a + 1; b < 5; b++) {
			d = array(6, 5, L(a) | L(b));
			read_all(d, 0);
			da_device_unref(d);
		}
	/* twelve members: data slots up to 9, where 2^8 = 0x1d */
	for (int a = 0; a < 12; a += 5) {
		d = array(6, 12, L(a) | L((a + 7) % 12));
		read_all(d, 0);
		da_device_unref(d);
	}
	d = array(6, 5, L(0) | L(1) | L(3));     /* three lost: ENXIO */
	read_all(d, 1);
	da_device_unref(d);
}

static void test_parity_targets(void **state)
{
	(void)state;
	struct da_device *d = array(6, 4, 0);
	struct da_target t[2];
	char w[2];
	/* stripe 0: P on member 3, Q on member 0 */
	assert_int_equal(da_raid_parity(d, 100, t, w, 2), 2);
	assert_int_equal(w[0], 'P');
	assert_int_equal(w[1], 'Q');
	assert_string_equal(t[0].dev->name, "m3");
	assert_string_equal(t[1].dev->name, "m0");
	assert_int_equal(t[0].offset, 100);
	/* not a raid device: none */
	assert_int_equal(da_raid_parity(t[0].dev, 0, t, w, 2), 0);
	da_device_unref(d);
}

static void test_hostile(void **state)
{
	(void)state;
	struct da_device *m0 = member(0, 3, 5), *m1 = member(1, 3, 5);
	struct da_device *use[3] = { m0, m1, NULL };
	da_error err = { 0 };
	uint64_t size;
	struct da_raid_geom g = { 5, 2, 0, MEMBER, 3 };
	assert_null(da_raid_device_new("md", &g, use, NULL, &size, &err));
	g.chunk = CHUNK;
	g.dev_size = 2 * MEMBER;                 /* larger than the members */
	assert_null(da_raid_device_new("md", &g, use, NULL, &size, &err));
	g.dev_size = MEMBER;
	g.n = 0;
	assert_null(da_raid_device_new("md", &g, use, NULL, &size, &err));
	g.n = 3;
	uint64_t offs[3] = { UINT64_MAX - 5, 0, 0 };
	assert_null(da_raid_device_new("md", &g, use, offs, &size, &err));
	struct da_raid_geom big = { 10, 0x102, 1ull << 32, UINT64_MAX, 2 };
	assert_null(da_raid_device_new("md", &big, use, NULL, &size, &err));
	da_device_unref(m0);
	da_device_unref(m1);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-raid.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_parity_targets),
		cmocka_unit_test(test_hostile),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		r = r ? r : 1;
	return r;
}
