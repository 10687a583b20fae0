/* CRC-32C (src/crc32c.c): the instruction and the table walk against each
 * other and against libext2fs's ext2fs_crc32c_le, the code e2fsck trusts,
 * on every length from 0 to 300 at every alignment, and on the check value
 * of the catalogue of CRCs ("123456789" gives 0xE3069283 from ~0, inverted).
 * The module is included whole, so that both paths can be called here
 * whatever this processor has.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ext2fs/ext2fs.h>

#include "crc32c.c"

static void test_check_value(void **state)
{
	(void)state;
	const char *s = "123456789";
	assert_int_equal(~da_crc32c(~0u, s, 9), 0xE3069283u);
	table_init();
	assert_int_equal(~crc_table(~0u, (const uint8_t *)s, 9), 0xE3069283u);
}

static void test_paths_agree(void **state)
{
	(void)state;
	uint8_t buf[512];
	unsigned seed = 5;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand_r(&seed);
	table_init();
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++) {
			uint32_t seed_crc = (uint32_t)rand_r(&seed);
			uint32_t want = ext2fs_crc32c_le(seed_crc, buf + off, len);
			if (crc_table(seed_crc, buf + off, len) != want)
				fail_msg("table: %zu bytes at %zu", len, off);
			if (da_crc32c(seed_crc, buf + off, len) != want)
				fail_msg("da_crc32c: %zu bytes at %zu", len, off);
#if defined(__x86_64__)
			if (da_crc32c_hw() &&
			    crc_hw(seed_crc, buf + off, len) != want)
				fail_msg("instruction: %zu bytes at %zu", len,
					 off);
#endif
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_paths_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
