/* Unit tests of the LUKS2 JSON metadata parser on crafted texts: a good
 * one as cryptsetup writes it, and hostile ones (not terminated, too
 * deep, offsets past the device or past 2^64, slot ids out of range,
 * missing sections, a size that disagrees with the header); and the
 * pricing of a key slot's KDF (luks_kdf.c).
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
#include "vol/luks.h"

#define MiB (1024 * 1024)

static const char good[] =
	"{\"keyslots\":{\"0\":{\"type\":\"luks2\",\"key_size\":64,"
	"\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"},"
	"\"area\":{\"type\":\"raw\",\"offset\":\"32768\",\"size\":\"258048\","
	"\"encryption\":\"aes-xts-plain64\",\"key_size\":64},"
	"\"kdf\":{\"type\":\"pbkdf2\",\"hash\":\"sha256\",\"iterations\":1000,"
	"\"salt\":\"AAAA\"}}},"
	"\"tokens\":{},"
	"\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\","
	"\"size\":\"dynamic\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\","
	"\"sector_size\":4096}},"
	"\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],"
	"\"segments\":[\"0\"],\"hash\":\"sha256\",\"iterations\":1000,"
	"\"salt\":\"AAAA\",\"digest\":\"AAAA\"}},"
	"\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\"}}";

static bool parse(const char *text, uint64_t dev, struct luks_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr_size = 16384;
	size_t len = strlen(text) + 1;
	char *area = calloc(1, len + 16);
	memcpy(area, text, len - 1);
	bool ok = luks2_parse_json(area, len + 16, dev, m);
	free(area);
	return ok;
}

/* good with one replacement of from by to */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	assert_non_null(at);
	size_t n = strlen(good) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	return s;
}

static void test_good(void **state)
{
	(void)state;
	struct luks_meta m;
	assert_true(parse(good, 64 * MiB, &m));
	assert_string_equal(m.problem, "");
	assert_int_equal(m.nslots, 1);
	assert_true(m.slots[0].area_ok);
	assert_int_equal(m.slots[0].off, 32768);
	assert_int_equal(m.slots[0].size, 258048);
	assert_int_equal(m.slots[0].stripes, 4000);
	assert_int_equal(m.slots[0].digest, 0);
	assert_int_equal(m.nsegs, 1);
	assert_true(m.segs[0].dynamic);
	assert_int_equal(m.payload, 16 * MiB);
	assert_int_equal(m.sector_size, 4096);
	assert_int_equal(m.key_bytes, 64);
	assert_string_equal(m.cipher, "aes-xts-plain64");
	assert_false(m.reencrypt || m.opal || m.detached);
}

static void test_unterminated(void **state)
{
	(void)state;
	struct luks_meta m;
	memset(&m, 0, sizeof(m));
	m.hdr_size = 16384;
	assert_false(luks2_parse_json(good, strlen(good), 64 * MiB, &m));
	assert_non_null(strstr(m.problem, "not terminated"));
}

static void test_truncated(void **state)
{
	(void)state;
	struct luks_meta m;
	char cut[200];
	snprintf(cut, sizeof(cut), "%.150s", good);
	assert_false(parse(cut, 64 * MiB, &m));
	assert_non_null(strstr(m.problem, "truncated"));
}

static void test_deep(void **state)
{
	(void)state;
	struct luks_meta m;
	char deep[4000] = "{\"keyslots\":";
	for (int i = 0; i < 1000; i++)
		strcat(deep, "[");
	assert_false(parse(deep, 64 * MiB, &m));
	assert_non_null(strstr(m.problem, "nests deeper"));
	/* the format's own depth passes */
	assert_true(parse(good, 64 * MiB, &m));
}

static void test_offsets(void **state)
{
	(void)state;
	struct luks_meta m;
	/* a key slot area past the device */
	char *s = edit("\"offset\":\"32768\"", "\"offset\":\"1099511627776\"");
	parse(s, 64 * MiB, &m);
	assert_false(m.slots[0].area_ok);
	assert_non_null(strstr(m.problem, "lies outside the device"));
	free(s);
	/* past 2^64, and not a number */
	s = edit("\"offset\":\"32768\"", "\"offset\":\"99999999999999999999\"");
	parse(s, 64 * MiB, &m);
	assert_false(m.slots[0].area_ok);
	free(s);
	s = edit("\"size\":\"258048\"", "\"size\":\"-1\"");
	parse(s, 64 * MiB, &m);
	assert_false(m.slots[0].area_ok);
	free(s);
	/* offset + size wraps around */
	s = edit("\"size\":\"258048\"", "\"size\":\"18446744073709551615\"");
	parse(s, 64 * MiB, &m);
	assert_false(m.slots[0].area_ok);
	free(s);
	/* the keyslots area larger than the device */
	assert_true(parse(good, 8 * MiB, &m));
	assert_non_null(strstr(m.problem, "keyslots area"));
}

static void test_ids_and_sections(void **state)
{
	(void)state;
	struct luks_meta m;
	char *s = edit("\"keyslots\":{\"0\"", "\"keyslots\":{\"32\"");
	parse(s, 64 * MiB, &m);
	assert_int_equal(m.nslots, 0);
	assert_non_null(strstr(m.problem, "key slot id 32"));
	free(s);
	s = edit("\"segments\":{\"0\"", "\"segmentz\":{\"0\"");
	assert_false(parse(s, 64 * MiB, &m));
	assert_non_null(strstr(m.problem, "lacks segments"));
	free(s);
	s = edit("\"json_size\":\"12288\"", "\"json_size\":\"4096\"");
	parse(s, 64 * MiB, &m);
	assert_non_null(strstr(m.problem, "json_size"));
	free(s);
	assert_false(parse("[1,2,3]", 64 * MiB, &m));
	assert_false(parse("", 64 * MiB, &m));
}

static void test_odd_cases(void **state)
{
	(void)state;
	struct luks_meta m;
	char *s = edit("\"type\":\"crypt\"", "\"type\":\"hw-opal-crypt\"");
	assert_true(parse(s, 64 * MiB, &m));
	assert_true(m.opal);
	free(s);
	s = edit("\"config\":{", "\"config\":{\"requirements\":{\"mandatory\":"
		 "[\"online-reencrypt-v2\"]},");
	assert_true(parse(s, 64 * MiB, &m));
	assert_true(m.reencrypt);
	assert_string_equal(m.requirements, "online-reencrypt-v2");
	free(s);
	s = edit("\"sector_size\":4096", "\"sector_size\":3000");
	parse(s, 64 * MiB, &m);
	assert_non_null(strstr(m.problem, "sector size"));
	free(s);
}

/* good with its slot's KDF replaced: is it past the limits? */
static bool costly(const char *kdf, char *why, size_t len)
{
	struct luks_meta m;
	char *s = edit("{\"type\":\"pbkdf2\",\"hash\":\"sha256\",\"iterations\":1000,"
		       "\"salt\":\"AAAA\"}", kdf);
	assert_true(parse(s, 64 * MiB, &m));
	free(s);
	why[0] = '\0';
	return luks_slot_too_costly(&m, &m.slots[0], why, len);
}

/* The limits at their edges: PBKDF2 rounds (iterations times the blocks
 * of the 64-byte area key: 2 with sha256, 1 with sha512), argon2 work
 * (time times memory, so a small memory may take many passes), memory
 * and threads; DISKATLAS_KDF_LIMIT multiplies them. */
static void test_kdf_cost(void **state)
{
	(void)state;
	char why[200];
	unsetenv("DISKATLAS_KDF_LIMIT");
	assert_false(costly("{\"type\":\"pbkdf2\",\"hash\":\"sha256\","
			    "\"iterations\":33554432}", why, sizeof(why)));
	assert_true(costly("{\"type\":\"pbkdf2\",\"hash\":\"sha256\","
			   "\"iterations\":33554433}", why, sizeof(why)));
	assert_string_equal(why, "asks for 33554433 PBKDF2 iterations, more "
			    "than diskatlas will run (limit 33554432 for a "
			    "512-bit key with sha256)");
	assert_false(costly("{\"type\":\"pbkdf2\",\"hash\":\"sha512\","
			    "\"iterations\":67108864}", why, sizeof(why)));
	assert_false(costly("{\"type\":\"argon2id\",\"time\":32,"
			    "\"memory\":1048576,\"cpus\":4}", why, sizeof(why)));
	assert_true(costly("{\"type\":\"argon2id\",\"time\":33,"
			   "\"memory\":1048576,\"cpus\":4}", why, sizeof(why)));
	assert_string_equal(why, "asks for argon2id time cost 33 over 1048576 "
			    "KiB, more than diskatlas will run (limit 32 at "
			    "that memory)");
	assert_false(costly("{\"type\":\"argon2i\",\"time\":1048576,"
			    "\"memory\":32,\"cpus\":1}", why, sizeof(why)));
	assert_true(costly("{\"type\":\"argon2i\",\"time\":4,"
			   "\"memory\":4194305,\"cpus\":1}", why, sizeof(why)));
	assert_true(costly("{\"type\":\"argon2i\",\"time\":4,"
			   "\"memory\":1024,\"cpus\":17}", why, sizeof(why)));
	assert_true(costly("{\"type\":\"argon2i\",\"time\":-4,"
			   "\"memory\":1024,\"cpus\":1}", why, sizeof(why)));
	setenv("DISKATLAS_KDF_LIMIT", "2", 1);
	assert_false(costly("{\"type\":\"argon2id\",\"time\":64,"
			    "\"memory\":1048576,\"cpus\":4}", why, sizeof(why)));
	setenv("DISKATLAS_KDF_LIMIT", "0", 1);
	assert_true(costly("{\"type\":\"argon2id\",\"time\":64,"
			   "\"memory\":1048576,\"cpus\":4}", why, sizeof(why)));
	unsetenv("DISKATLAS_KDF_LIMIT");
	/* the digest's PBKDF2 counts too */
	struct luks_meta m;
	char *s = edit("\"iterations\":1000,\"salt\":\"AAAA\",\"digest\"",
		       "\"iterations\":67108865,\"salt\":\"AAAA\",\"digest\"");
	assert_true(parse(s, 64 * MiB, &m));
	free(s);
	assert_true(luks_slot_too_costly(&m, &m.slots[0], why, sizeof(why)));
	assert_non_null(strstr(why, "67108865 PBKDF2 iterations of its digest"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_ids_and_sections),
		cmocka_unit_test(test_odd_cases),
		cmocka_unit_test(test_kdf_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
