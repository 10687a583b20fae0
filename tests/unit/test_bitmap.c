/* Unit tests of the run-length bitmaps (against a plain bit array) and of
 * the small helpers they sit beside (CRC-32, GUID and UUID strings).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diskatlas.h"
#include "util.h"

/* a deterministic generator, so a failure can be replayed */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- the naive reference: one byte per bit ---- */

static uint64_t naive_count(const uint8_t *bits, uint64_t nbits,
			    uint64_t start, uint64_t len)
{
	uint64_t c = 0;
	for (uint64_t i = start; i < nbits && i - start < len; i++)
		c += bits[i];
	return c;
}

static void naive_set(uint8_t *bits, uint64_t nbits, uint64_t start,
		      uint64_t len)
{
	for (uint64_t i = start; i < nbits && i - start < len; i++)
		bits[i] = 1;
}

static size_t naive_runs(const uint8_t *bits, uint64_t nbits)
{
	size_t n = 0;
	for (uint64_t i = 0; i < nbits; i++)
		if (bits[i] && (i == 0 || !bits[i - 1]))
			n++;
	return n;
}

static void test_basics(void **state)
{
	(void)state;
	struct da_bitmap *b = da_bitmap_new(1000);
	assert_non_null(b);
	assert_int_equal(da_bitmap_size(b), 1000);
	assert_int_equal(da_bitmap_count(b, 0, 1000), 0);
	assert_false(da_bitmap_test(b, 0));
	assert_int_equal(da_bitmap_runs(b), 0);

	assert_int_equal(da_bitmap_set_run(b, 10, 5), 0);     /* 10..14 */
	assert_int_equal(da_bitmap_set_run(b, 15, 5), 0);     /* touching */
	assert_int_equal(da_bitmap_set_run(b, 100, 1), 0);
	da_bitmap_finish(b);
	assert_int_equal(da_bitmap_runs(b), 2);
	assert_int_equal(da_bitmap_count(b, 0, 1000), 11);
	assert_int_equal(da_bitmap_count(b, 0, 10), 0);
	assert_int_equal(da_bitmap_count(b, 9, 2), 1);
	assert_int_equal(da_bitmap_count(b, 12, 3), 3);
	assert_int_equal(da_bitmap_count(b, 19, 82), 2);
	assert_int_equal(da_bitmap_count(b, 20, 80), 0);
	assert_int_equal(da_bitmap_count(b, 100, 0), 0);
	assert_true(da_bitmap_test(b, 10));
	assert_true(da_bitmap_test(b, 19));
	assert_false(da_bitmap_test(b, 20));
	assert_true(da_bitmap_test(b, 100));
	assert_false(da_bitmap_test(b, 101));
	assert_false(da_bitmap_test(b, 5000));

	/* counts are clipped to the bitmap, even with huge lengths */
	assert_int_equal(da_bitmap_count(b, 0, UINT64_MAX), 11);
	assert_int_equal(da_bitmap_count(b, 100, UINT64_MAX), 1);
	assert_int_equal(da_bitmap_count(b, 1000, 10), 0);
	assert_int_equal(da_bitmap_count(b, UINT64_MAX, UINT64_MAX), 0);

	/* runs are clipped to nbits; empty and out-of-range runs ignored */
	assert_int_equal(da_bitmap_set_run(b, 990, 100), 0);
	assert_int_equal(da_bitmap_set_run(b, 2000, 10), 0);
	assert_int_equal(da_bitmap_set_run(b, 500, 0), 0);
	assert_int_equal(da_bitmap_set_run(b, UINT64_MAX - 1, UINT64_MAX), 0);
	assert_int_equal(da_bitmap_count(b, 0, 1000), 21);
	assert_true(da_bitmap_test(b, 999));

	/* out of order after a finish re-opens, and merges overlaps */
	assert_int_equal(da_bitmap_set_run(b, 5, 10), 0);     /* 5..14 */
	assert_int_equal(da_bitmap_set_run(b, 50, 60), 0);    /* 50..109 */
	assert_int_equal(da_bitmap_count(b, 0, 1000), 15 + 60 + 10);
	assert_int_equal(da_bitmap_runs(b), 3);
	assert_true(da_bitmap_memory(b) > 0);
	da_bitmap_free(b);
	da_bitmap_free(NULL);

	/* a full bitmap, and an empty one */
	b = da_bitmap_new(64);
	assert_int_equal(da_bitmap_set_run(b, 0, UINT64_MAX), 0);
	assert_int_equal(da_bitmap_count(b, 0, 64), 64);
	assert_int_equal(da_bitmap_runs(b), 1);
	da_bitmap_free(b);
	b = da_bitmap_new(0);
	assert_int_equal(da_bitmap_set_run(b, 0, 1), 0);
	assert_int_equal(da_bitmap_count(b, 0, 1), 0);
	da_bitmap_free(b);
}

/* Random runs in random order, checked against the naive array:
 * counts over random ranges, every bit, and the number of runs. */
static void random_round(uint64_t nbits, int nruns, uint64_t maxlen,
			 bool sorted, bool finish)
{
	uint8_t *bits = calloc(nbits, 1);
	struct da_bitmap *b = da_bitmap_new(nbits);
	assert_non_null(bits);
	assert_non_null(b);
	uint64_t at = 0;
	for (int i = 0; i < nruns; i++) {
		uint64_t start, len = 1 + rnd_below(maxlen);
		if (sorted) {
			/* in order, sometimes touching or overlapping */
			start = at + rnd_below(maxlen) - (rnd() & 1 ? 0 : 1);
			if (start > at + maxlen)
				start = at;
			at = start + len;
		} else {
			start = rnd_below(nbits + maxlen);
		}
		naive_set(bits, nbits, start, len);
		assert_int_equal(da_bitmap_set_run(b, start, len), 0);
		/* counting mid-way must be right too (lazy finish) */
		if (i % 97 == 0) {
			uint64_t s = rnd_below(nbits), l = rnd_below(nbits);
			assert_int_equal(da_bitmap_count(b, s, l), naive_count(bits, nbits, s, l));
		}
	}
	if (finish)
		da_bitmap_finish(b);
	assert_int_equal(da_bitmap_count(b, 0, nbits), naive_count(bits, nbits, 0, nbits));
	assert_int_equal(da_bitmap_runs(b), naive_runs(bits, nbits));
	for (int q = 0; q < 5000; q++) {
		uint64_t s = rnd_below(nbits + 10), l = rnd_below(nbits / 3 + 2);
		uint64_t want = naive_count(bits, nbits, s, l);
		uint64_t got = da_bitmap_count(b, s, l);
		if (got != want)
			fail_msg("count(%llu, %llu) = %llu, want %llu",
				 (unsigned long long)s, (unsigned long long)l,
				 (unsigned long long)got,
				 (unsigned long long)want);
	}
	for (uint64_t i = 0; i < nbits; i++)
		if (da_bitmap_test(b, i) != (bits[i] != 0))
			fail_msg("bit %llu", (unsigned long long)i);
	da_bitmap_free(b);
	free(bits);
}

static void test_random(void **state)
{
	(void)state;
	rng_state = 0x2545f4914f6cdd1dull;
	random_round(100000, 2000, 200, false, true);
	random_round(100000, 2000, 200, false, false);
	random_round(100000, 3000, 40, true, true);
	random_round(100000, 3000, 40, true, false);
	random_round(5000, 20000, 5, false, true);     /* dense, many merges */
	random_round(777, 50, 2000, false, true);      /* runs past the end */
	for (int i = 0; i < 50; i++)
		random_round(1 + rnd_below(3000), (int)rnd_below(200),
			     1 + rnd_below(100), rnd() & 1, rnd() & 1);
}

/* A 2 TiB filesystem of 4 KiB blocks (2^29 bits) with a few thousand
 * runs: the run form must stay far below a flat bitmap's 64 MiB. */
static void test_two_tib(void **state)
{
	(void)state;
	const uint64_t nbits = 1ull << 29;
	const int nruns = 5000;
	struct da_bitmap *b = da_bitmap_new(nbits);
	uint64_t *st = malloc(nruns * sizeof(*st)), *ln = malloc(nruns * sizeof(*ln));
	assert_non_null(b);
	assert_non_null(st);
	assert_non_null(ln);
	rng_state = 0x9e3779b97f4a7c15ull;
	/* disjoint, separated runs, added in a scrambled order */
	uint64_t step = nbits / nruns;
	for (int i = 0; i < nruns; i++) {
		st[i] = (uint64_t)i * step + rnd_below(step / 2);
		ln[i] = 1 + rnd_below(step / 2 - 1);
	}
	for (int i = nruns - 1; i > 0; i--) {
		int j = (int)rnd_below((uint64_t)i + 1);
		uint64_t t = st[i]; st[i] = st[j]; st[j] = t;
		t = ln[i]; ln[i] = ln[j]; ln[j] = t;
	}
	uint64_t total = 0;
	for (int i = 0; i < nruns; i++) {
		assert_int_equal(da_bitmap_set_run(b, st[i], ln[i]), 0);
		total += ln[i];
	}
	da_bitmap_finish(b);
	assert_int_equal(da_bitmap_runs(b), nruns);
	assert_int_equal(da_bitmap_count(b, 0, nbits), total);

	/* each run counted on its own and with a margin either side */
	for (int i = 0; i < nruns; i++) {
		assert_int_equal(da_bitmap_count(b, st[i], ln[i]), ln[i]);
		assert_int_equal(da_bitmap_count(b, st[i] - (st[i] ? 1 : 0), ln[i] + 2), ln[i]);
		assert_true(da_bitmap_test(b, st[i]));
		assert_true(da_bitmap_test(b, st[i] + ln[i] - 1));
		assert_false(da_bitmap_test(b, st[i] + ln[i]));
	}
	/* halves add up */
	uint64_t half = nbits / 2 + 12345;
	assert_int_equal(da_bitmap_count(b, 0, half) + da_bitmap_count(b, half, nbits), total);

	size_t mem = da_bitmap_memory(b);
	size_t flat = (size_t)(nbits / 8);              /* 64 MiB */
	print_message("2 TiB bitmap: %d runs, %zu bytes (flat: %zu)\n",
		      nruns, mem, flat);
	assert_true(mem < flat / 100);
	assert_true(mem < 256 * 1024);
	free(st);
	free(ln);
	da_bitmap_free(b);
}

/* ---- the helpers ---- */

/* da_bitmap_bytes_set against counting unit by unit the bytes each
 * covers: ranges of a small bitmap, units of 1, 3 and 512 bytes. */
static void test_bytes_set(void **state)
{
	(void)state;
	const uint64_t nbits = 40;
	struct da_bitmap *b = da_bitmap_new(nbits);
	assert_non_null(b);
	assert_int_equal(da_bitmap_set_run(b, 3, 5), 0);
	assert_int_equal(da_bitmap_set_run(b, 12, 1), 0);
	assert_int_equal(da_bitmap_set_run(b, 20, 15), 0);
	da_bitmap_finish(b);
	const uint64_t units[] = { 1, 3, 512 };
	for (size_t u = 0; u < 3; u++) {
		uint64_t unit = units[u], bytes = nbits * unit;
		uint64_t step = unit > 8 ? unit / 8 + 1 : 1;
		for (uint64_t off = 0; off < bytes; off += step)
			for (uint64_t len = 0; off + len <= bytes; len += step) {
				uint64_t want = 0;
				for (uint64_t k = 0; k < nbits; k++) {
					uint64_t lo = k * unit, hi = lo + unit;
					if (lo < off)
						lo = off;
					if (hi > off + len)
						hi = off + len;
					if (lo < hi && da_bitmap_test(b, k))
						want += hi - lo;
				}
				assert_int_equal(da_bitmap_bytes_set(b, off, len,
								     unit), want);
			}
	}
	assert_int_equal(da_bitmap_bytes_set(b, 0, 10, 0), 0);
	da_bitmap_free(b);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(da_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(da_crc32(0, "", 0), 0);
	/* incremental equals one pass */
	uint32_t c = da_crc32(0, "1234", 4);
	assert_int_equal(da_crc32(c, "56789", 5), 0xcbf43926u);
	uint8_t z[32] = { 0 };
	assert_int_equal(da_crc32(0, z, 32), 0x190a55adu);
}

static void test_strings(void **state)
{
	(void)state;
	char buf[64];
	/* the EFI system partition type as GPT stores it */
	const uint8_t esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2,
				  0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
				  0xc9, 0x3b };
	da_guid_str(esp, buf);
	assert_string_equal(buf, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
	const uint8_t u[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
				0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
				0x32, 0x10 };
	da_uuid_str(u, buf);
	assert_string_equal(buf, "01234567-89ab-cdef-fedc-ba9876543210");

	char *s = da_asprintf("%s-%d", "p", 7);
	assert_string_equal(s, "p-7");
	free(s);
	s = da_strdup("abc");
	assert_string_equal(s, "abc");
	free(s);
	assert_null(da_strdup(NULL));
	int *z = da_xcalloc(4, sizeof(int));
	assert_int_equal(z[3], 0);
	free(z);

	da_error err = { 0 };
	assert_int_equal(da_error_set(&err, 5, "%s at %d", "x", 3), -1);
	assert_int_equal(err.code, 5);
	assert_string_equal(err.msg, "x at 3");
	assert_int_equal(da_error_set(NULL, 5, "nothing"), -1);
	/* long messages are cut, not overflowed */
	char longs[2000];
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	da_error_set(&err, 1, "%s", longs);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);

	/* checked arithmetic */
	uint64_t r;
	assert_true(mul_ok(1ull << 31, 1ull << 32, &r));
	assert_false(mul_ok(1ull << 32, 1ull << 32, &r));
	assert_false(add_ok(UINT64_MAX, 1, &r));
	assert_true(range_ok(0, 10, 10));
	assert_true(range_ok(10, 0, 10));
	assert_false(range_ok(11, 0, 10));
	assert_false(range_ok(5, UINT64_MAX, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_two_tib),
		cmocka_unit_test(test_bytes_set),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
