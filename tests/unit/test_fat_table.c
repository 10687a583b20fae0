/* The FAT read on demand (src/fs/fat_table.c) against the same bytes
 * decoded from memory, the slow path it replaced: every entry in order
 * and at random, for 12-, 16- and 32-bit entries (FAT12's straddle page
 * boundaries), a table past the cache's size, one that is read whole
 * once the walk jumps about, and pages that cannot be read.
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
#include "fault.h"
#include "fs/fat_table.h"

#define AT 1000u                   /* the table's byte offset in the file */
#define LEN (3u << 20)             /* three times what the cache holds */

static char tmpdir[64];
static char path[128];
static uint8_t *bytes;             /* the table, as written */

/* Entry c decoded from memory, zeros past len. */
static uint32_t slow_entry(unsigned bits, uint64_t len, uint32_t c)
{
	uint64_t at = bits == 12 ? (uint64_t)c + c / 2
				 : (uint64_t)c * (bits / 8);
	uint8_t b[4] = { 0 };
	for (unsigned k = 0; k < (bits == 32 ? 4u : 2u); k++)
		b[k] = at + k < len ? bytes[at + k] : 0;
	if (bits == 12) {
		uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8;
		return c & 1 ? w >> 4 : w & 0xFFF;
	}
	if (bits == 16)
		return (uint32_t)b[0] | (uint32_t)b[1] << 8;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static uint32_t entries_in(unsigned bits, uint64_t len)
{
	return (uint32_t)(bits == 12 ? len * 2 / 3 : len / (bits / 8));
}

static struct da_device *open_dev(const struct da_fault_rule *r, size_t n)
{
	da_error err = { 0 };
	struct da_device *d = da_file_device_open("table", path, &err);
	assert_non_null(d);
	struct da_device *f = da_fault_device_new(d, r, n, &err);
	assert_non_null(f);
	da_device_unref(d);
	return f;
}

/* In order: each page is read once, the table is never read whole;
 * then at random: the walk jumps, the table is read whole, and every
 * answer is still the bytes'. */
static void in_order_then_random(unsigned bits, uint64_t len)
{
	struct da_device *dev = open_dev(NULL, 0);
	struct fat_table *t = fat_table_open(dev, AT, len, bits);
	assert_non_null(t);
	uint32_t n = entries_in(bits, len), v;
	for (uint32_t c = 0; c < n; c++) {
		assert_int_equal(fat_table_get(t, c, &v), 0);
		if (v != slow_entry(bits, len, c))
			fail_msg("%u-bit entry %u: %#x, the bytes say %#x",
				 bits, c, v, slow_entry(bits, len, c));
	}
	uint64_t pages = (len + FAT_TABLE_PAGE - 1) / FAT_TABLE_PAGE;
	assert_int_equal(fat_table_reads(t), pages);
	assert_false(fat_table_is_whole(t));
	unsigned seed = bits;
	for (int i = 0; i < 50000; i++) {
		uint32_t c = (uint32_t)rand_r(&seed) % n;
		assert_int_equal(fat_table_get(t, c, &v), 0);
		if (v != slow_entry(bits, len, c))
			fail_msg("%u-bit entry %u at random: %#x, the bytes "
				 "say %#x", bits, c, v, slow_entry(bits, len, c));
	}
	assert_true(fat_table_is_whole(t));
	/* pages read again: about FAT_TABLE_REREADS, then the whole once */
	uint64_t reads = fat_table_reads(t);
	assert_true(reads < pages + 2 * FAT_TABLE_REREADS + LEN / (1u << 20) + 1);
	/* the last entry and past it: zeros beyond the table */
	assert_int_equal(fat_table_get(t, n, &v), 0);
	assert_int_equal(v, slow_entry(bits, len, n));
	fat_table_close(t);
	da_device_unref(dev);
}

static void test_fat12(void **state)
{
	(void)state;
	in_order_then_random(12, LEN - 1);   /* an odd length: a half entry */
}

static void test_fat16(void **state)
{
	(void)state;
	in_order_then_random(16, LEN - 6);
}

static void test_fat32(void **state)
{
	(void)state;
	in_order_then_random(32, LEN);
}

/* A table the cache holds: never read twice, never whole. */
static void test_small(void **state)
{
	(void)state;
	struct da_device *dev = open_dev(NULL, 0);
	uint64_t len = 200000;
	struct fat_table *t = fat_table_open(dev, AT, len, 32);
	assert_non_null(t);
	unsigned seed = 7;
	uint32_t v;
	for (int i = 0; i < 100000; i++) {
		uint32_t c = (uint32_t)rand_r(&seed) % entries_in(32, len);
		assert_int_equal(fat_table_get(t, c, &v), 0);
		assert_int_equal(v, slow_entry(32, len, c));
	}
	assert_int_equal(fat_table_reads(t), (len + FAT_TABLE_PAGE - 1) /
						     FAT_TABLE_PAGE);
	assert_false(fat_table_is_whole(t));
	fat_table_close(t);
	da_device_unref(dev);
}

/* A page that cannot be read: its entries say so (-1), the others are
 * the bytes'; the whole table cannot be read either, so the walk goes
 * on page by page. */
static void test_unreadable(void **state)
{
	(void)state;
	struct da_fault_rule bad = { AT + 5 * FAT_TABLE_PAGE + 100, 1,
				     DA_FAULT_EIO };
	struct da_device *dev = open_dev(&bad, 1);
	struct fat_table *t = fat_table_open(dev, AT, LEN, 16);
	assert_non_null(t);
	uint32_t v, n = entries_in(16, LEN);
	unsigned seed = 3;
	for (int i = 0; i < 50000; i++) {
		uint32_t c = i < 5000 ? (uint32_t)i : (uint32_t)rand_r(&seed) % n;
		uint64_t at = (uint64_t)c * 2;
		int rc = fat_table_get(t, c, &v);
		if (at / FAT_TABLE_PAGE == 5) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(v, slow_entry(16, LEN, c));
	}
	assert_false(fat_table_is_whole(t));
	fat_table_close(t);
	da_device_unref(dev);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/da-fat-table-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/table.img", tmpdir);
	bytes = malloc(LEN);
	if (!bytes)
		return -1;
	unsigned seed = 42;
	for (size_t i = 0; i < LEN; i++)
		bytes[i] = (uint8_t)rand_r(&seed);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	for (unsigned i = 0; i < AT; i++)
		fputc(0xEE, fp);
	size_t w = fwrite(bytes, 1, LEN, fp);
	/* a tail after the table: what is past it must read as zeros */
	for (unsigned i = 0; i < 64; i++)
		fputc(0xDD, fp);
	fclose(fp);
	return w == LEN ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(bytes);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fat12),
		cmocka_unit_test(test_fat16),
		cmocka_unit_test(test_fat32),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
