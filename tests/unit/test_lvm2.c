/* Unit tests of the LVM2 plugin: the text metadata parser on crafted
 * strings, and whole PVs crafted in a temporary file (label, PV header,
 * metadata area with text that wraps around its circular buffer), good
 * and hostile.  The checksums are computed here from the format's
 * definition (CRC-32 polynomial, seed 0xf597a6cf, no final inversion).
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
#include "vol/lvm2_meta.h"

#define MiB (1024 * 1024)

/* ---- the parser ---- */

static int parse(const char *text, char *why)
{
	struct lvm_meta m;
	int r = da_lvm_meta_parse(text, strlen(text), &m, why, 200);
	if (r == 0)
		da_lvm_meta_free(&m);
	return r;
}

static void test_meta_parse(void **state)
{
	(void)state;
	const char *t =
		"# comment\n"
		"vg0 {\n"
		"  id = \"abc\"   # trailing\n"
		"  seqno = 12\n"
		"  neg = -3\n"
		"  f = 1.5\n"
		"  s = \"a \\\"q\\\" \\\\ b\"\n"
		"  status = [\"READ\", \"WRITE\",]\n"
		"  empty = []\n"
		"  sub { x = 1 }\n"
		"}\n"
		"contents = \"Text Format Volume Group\"\n";
	struct lvm_meta m;
	char why[200] = "";
	assert_int_equal(da_lvm_meta_parse(t, strlen(t) + 1, &m, why, 200), 0);
	const struct lvm_item *vg = da_lvm_get_section(&m, &m.items[0], "vg0");
	assert_non_null(vg);
	int64_t v;
	assert_true(da_lvm_get_int(&m, vg, "seqno", &v));
	assert_int_equal(v, 12);
	assert_true(da_lvm_get_int(&m, vg, "neg", &v));
	assert_int_equal(v, -3);
	assert_string_equal(da_lvm_get_str(&m, vg, "id"), "abc");
	assert_string_equal(da_lvm_get_str(&m, vg, "s"), "a \"q\" \\ b");
	assert_true(da_lvm_has_flag(&m, vg, "status", "WRITE"));
	assert_false(da_lvm_has_flag(&m, vg, "status", "VISIBLE"));
	assert_null(da_lvm_first(&m, da_lvm_get(&m, vg, "empty")));
	const struct lvm_item *sub = da_lvm_get_section(&m, vg, "sub");
	assert_true(da_lvm_get_int(&m, sub, "x", &v));
	assert_string_equal(da_lvm_get_str(&m, &m.items[0], "contents"),
			    "Text Format Volume Group");
	da_lvm_meta_free(&m);
}

static void test_meta_reject(void **state)
{
	(void)state;
	char why[200];
	static const struct { const char *text, *why; } bad[] = {
		{ "a = \"open", "unterminated string" },
		{ "a { b = 1", "unterminated section" },
		{ "a = 1 }", "unbalanced" },
		{ "a = [1, [2]]", "nested array" },
		{ "a = [1 2]", "expected ','" },
		{ "a = 12x", "malformed number" },
		{ "a = 99999999999999999999", "too large" },
		{ "a b = 1", "expected '=' or '{'" },
		{ "a = ", "expected a value" },
		{ "= 1", "unexpected '='" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(parse(bad[i].text, why), -1);
		if (!strstr(why, bad[i].why))
			fail_msg("'%s': reason '%s' lacks '%s'", bad[i].text,
				 why, bad[i].why);
	}
	/* line numbers */
	assert_int_equal(parse("a = 1\nb = 2\nc = \"x\n", why), -1);
	assert_non_null(strstr(why, "line 3"));
	/* depth */
	char deep[200] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "s{");
	assert_int_equal(parse(deep, why), -1);
	assert_non_null(strstr(why, "deeper"));
	/* items */
	size_t n = LVM_META_MAX_ITEMS + 10, len = 0;
	char *many = malloc(n * 4 + 1);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(many + len, "a=1\n");
	assert_int_equal(parse(many, why), -1);
	assert_non_null(strstr(why, "items"));
	free(many);
	/* size */
	char *big = malloc(LVM_META_MAX_TEXT + 16);
	memset(big, ' ', LVM_META_MAX_TEXT + 15);
	big[LVM_META_MAX_TEXT + 15] = '\0';
	assert_int_equal(parse(big, why), -1);
	assert_non_null(strstr(why, "bytes"));
	free(big);
	/* a NUL inside */
	struct lvm_meta m;
	assert_int_equal(da_lvm_meta_parse("a = 1\0b = 2", 11, &m, why, 200),
			 -1);
}

/* ---- crafted PVs ---- */

static uint32_t crc_table[256];

static uint32_t lvm_crc(const void *buf, size_t len)
{
	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	uint32_t c = 0xf597a6cfu;
	const uint8_t *p = buf;
	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define MDA_START 4096u
#define MDA_SIZE (MiB - 4096u)
#define PV_SIZE (16u * MiB)

/* A PV of PV_SIZE bytes with uuid (32 chars) whose metadata area holds
 * text at offset toff from the area's start (wrapping if it must). */
static uint8_t *make_pv(const char *uuid, const char *text, uint64_t toff)
{
	uint8_t *d = calloc(1, PV_SIZE);
	uint8_t *l = d + 512;
	memcpy(l, "LABELONE", 8);
	put64(l + 8, 1);
	put32(l + 20, 32);
	memcpy(l + 24, "LVM2 001", 8);
	uint8_t *h = l + 32;
	memcpy(h, uuid, 32);
	put64(h + 32, PV_SIZE);
	put64(h + 40, MiB);             /* data area: pe_start */
	put64(h + 72, MDA_START);       /* metadata area */
	put64(h + 80, MDA_SIZE);
	put32(l + 16, lvm_crc(l + 20, 512 - 20));

	size_t len = strlen(text) + 1;
	uint8_t *m = d + MDA_START;
	memcpy(m + 4, " LVM2 x[5A%r0N*>", 16);
	put32(m + 20, 1);
	put64(m + 24, MDA_START);
	put64(m + 32, MDA_SIZE);
	put64(m + 40, toff);
	put64(m + 48, len);
	put32(m + 56, lvm_crc(text, len));
	put32(m, lvm_crc(m + 4, 512 - 4));
	size_t first = MDA_SIZE - toff < len ? MDA_SIZE - toff : len;
	memcpy(m + toff, text, first);
	memcpy(m + 512, text + first, len - first);
	return d;
}

static char path[64];

static struct da_machine *open_pv(uint8_t *img)
{
	strcpy(path, "/tmp/da-lvm-unit.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, PV_SIZE), PV_SIZE);
	close(fd);
	free(img);
	char spec[80];
	snprintf(spec, sizeof(spec), "pv=%s", path);
	const char *specs[] = { spec };
	da_error err;
	struct da_machine *m = da_machine_open("t", specs, 1, &err);
	assert_non_null(m);
	da_machine_scan(m);
	unlink(path);
	return m;
}

#define UUID "AAAAAA0000111122223333444455BBBB"
#define UUID_D "AAAAAA-0000-1111-2222-3333-4444-55BBBB"

static char *vg_text(const char *pv_extra, const char *lvs)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf),
		 "vg {\nid = \"VGVGVG-0000-1111-2222-3333-4444-555555\"\n"
		 "seqno = 3\nextent_size = 2048\n"
		 "physical_volumes {\npv0 {\nid = \"" UUID_D "\"\n"
		 "pe_start = 2048\npe_count = 15\n%s}\n}\n"
		 "logical_volumes {\n%s}\n}\n", pv_extra, lvs);
	return buf;
}

static const char *warnings(const struct da_machine *m)
{
	static char all[2048];
	all[0] = '\0';
	struct da_value *w = da_obj_get(m->disks[0].content->props,
					"warnings");
	for (size_t i = 0; w && i < w->u.c.n; i++) {
		strncat(all, w->u.c.v[i]->u.s, sizeof(all) - strlen(all) - 2);
		strcat(all, "|");
	}
	return all;
}

static struct da_volume *volume(struct da_machine *m, const char *name)
{
	for (size_t i = 0; i < m->nvolumes; i++)
		if (!strcmp(m->volumes[i].name, name))
			return &m->volumes[i];
	return NULL;
}

static const char *reason(struct da_volume *v)
{
	struct da_value *r = da_obj_get(v->props, "reason");
	return r ? r->u.s : "";
}

/* Two segments listed out of order, the text wrapping around the end of
 * the circular buffer. */
static void test_pv_wrap(void **state)
{
	(void)state;
	const char *lvs =
		"lv1 {\nid = \"x\"\nstatus = [\"READ\", \"VISIBLE\"]\n"
		"segment2 {\nstart_extent = 2\nextent_count = 1\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 9]\n}\n"
		"segment1 {\nstart_extent = 0\nextent_count = 2\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 3]\n}\n"
		"}\n";
	char *text = vg_text("", lvs);
	struct da_machine *m = open_pv(make_pv(UUID, text, MDA_SIZE - 100));
	struct da_node *n = m->disks[0].content;
	assert_int_equal(n->type, DA_NODE_LVM2_PV);
	assert_string_equal(warnings(m), "");
	assert_string_equal(da_obj_get(n->props, "uuid")->u.s, UUID_D);
	assert_int_equal(da_obj_get(n->props, "pe_allocated")->u.i, 3);
	struct da_volume *v = volume(m, "vg/lv1");
	assert_non_null(v);
	assert_int_equal(v->dev->size, 3 * MiB);
	struct da_target t;
	assert_int_equal(da_device_map_block(v->dev, 0, &t, 1), 1);
	assert_ptr_equal(t.dev, n->dev);
	assert_int_equal(t.offset, MiB + 3 * MiB);
	assert_int_equal(da_device_map_block(v->dev, 2 * MiB + 5, &t, 1), 1);
	assert_int_equal(t.offset, MiB + 9 * MiB + 5);
	/* regions: label, metadata, extents, padding; no gaps */
	uint64_t at = 0;
	for (size_t i = 0; i < n->nregions; i++) {
		assert_int_equal(n->regions[i].start, at);
		at += n->regions[i].len;
	}
	assert_int_equal(at, PV_SIZE);
	struct da_usage u;
	assert_int_equal(n->plugin->usage(n, MiB, 15 * MiB, &u), 0);
	assert_int_equal(u.used, 3 * MiB);
	assert_int_equal(u.free, 12 * MiB);
	da_machine_close(m);
}

static void test_pv_hostile(void **state)
{
	(void)state;
	const char *lvs =
		/* beyond the PV's 15 extents */
		"far {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 4\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 13]\n}\n}\n"
		/* overlapping another LV: allowed, ownership shows it */
		"over {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 2\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 13]\n}\n}\n"
		"thin {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 2\n"
		"type = \"thin\"\n}\n}\n"
		/* a mirror whose leg is itself */
		"loop {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 1\n"
		"type = \"mirror\"\nmirror_count = 1\nmirrors = [\"loop\", 0]\n}\n}\n"
		/* stripes that do not match stripe_count, unknown PV */
		"bad {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 4\n"
		"type = \"striped\"\nstripe_count = 2\nstripe_size = 128\n"
		"stripes = [\"pv0\", 0]\n}\n"
		"segment2 {\nstart_extent = 4\nextent_count = 1\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv9\", 0]\n}\n}\n"
		/* segments that overlap each other, huge extents */
		"huge {\nstatus = [\"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 281474976710655\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 0]\n}\n"
		"segment2 {\nstart_extent = 1\nextent_count = 1\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 0]\n}\n}\n"
		/* hidden: not a volume of its own */
		"hidden {\nstatus = [\"READ\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 1\n"
		"type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 5]\n}\n}\n";
	struct da_machine *m = open_pv(make_pv(UUID, vg_text("", lvs), 512));
	struct da_node *n = m->disks[0].content;
	assert_int_equal(n->type, DA_NODE_LVM2_PV);
	assert_non_null(strstr(reason(volume(m, "vg/far")), "beyond"));
	assert_non_null(volume(m, "vg/over")->dev);
	assert_non_null(strstr(reason(volume(m, "vg/thin")), "not supported"));
	assert_non_null(strstr(reason(volume(m, "vg/loop")), "loop"));
	assert_non_null(strstr(reason(volume(m, "vg/bad")), "malformed"));
	assert_non_null(strstr(reason(volume(m, "vg/bad")), "unknown PV"));
	assert_null(volume(m, "vg/huge")->dev);
	assert_null(volume(m, "vg/hidden"));
	/* extents 13, 14 (far, over) and 5 (hidden); huge is rejected */
	assert_int_equal(da_obj_get(n->props, "pe_allocated")->u.i, 3);
	/* the ownership index still builds */
	da_error err;
	struct da_ownership *o = da_ownership_build(m, &err);
	assert_non_null(o);
	da_ownership_free(o);
	da_machine_close(m);
}

/* raid1 over two hidden image sub-LVs (as LVM writes it; lvm cannot make
 * one without device-mapper, so the metadata is written here) */
static void test_pv_raid1(void **state)
{
	(void)state;
#define SUB(name, pe) name " {\nstatus = [\"READ\"]\nsegment1 {\n" \
	"start_extent = 0\nextent_count = 2\ntype = \"striped\"\n" \
	"stripe_count = 1\nstripes = [\"pv0\", " #pe "]\n}\n}\n"
	const char *lvs =
		"r {\nstatus = [\"READ\", \"VISIBLE\"]\n"
		"segment1 {\nstart_extent = 0\nextent_count = 2\n"
		"type = \"raid1\"\ndevice_count = 2\n"
		"raids = [\"r_rmeta_0\", \"r_rimage_0\", \"r_rmeta_1\", "
		"\"r_rimage_1\"]\n}\n}\n"
		SUB("r_rimage_0", 1) SUB("r_rimage_1", 6)
		"r_rmeta_0 {\nstatus = [\"READ\"]\nsegment1 {\n"
		"start_extent = 0\nextent_count = 1\ntype = \"striped\"\n"
		"stripe_count = 1\nstripes = [\"pv0\", 0]\n}\n}\n"
		"r_rmeta_1 {\nstatus = [\"READ\"]\nsegment1 {\n"
		"start_extent = 0\nextent_count = 1\ntype = \"striped\"\n"
		"stripe_count = 1\nstripes = [\"pv0\", 5]\n}\n}\n";
#undef SUB
	struct da_machine *m = open_pv(make_pv(UUID, vg_text("", lvs), 512));
	struct da_node *n = m->disks[0].content;
	assert_int_equal(m->nvolumes, 1);
	struct da_volume *v = volume(m, "vg/r");
	assert_non_null(v);
	assert_string_equal(reason(v), "");
	assert_int_equal(v->dev->size, 2 * MiB);
	/* both copies, down on the PV */
	struct da_target mir, t[4];
	assert_int_equal(da_device_map_block(v->dev, MiB + 7, &mir, 1), 1);
	assert_int_equal(da_device_map_block(mir.dev, mir.offset, t, 4), 2);
	uint64_t want[2] = { MiB + 2 * MiB + 7, MiB + 7 * MiB + 7 };
	for (int i = 0; i < 2; i++) {
		struct da_target d;
		assert_int_equal(da_device_map_block(t[i].dev, t[i].offset,
						     &d, 1), 1);
		assert_ptr_equal(d.dev, n->dev);
		assert_int_equal(d.offset, want[i]);
	}
	assert_int_equal(da_obj_get(n->props, "pe_allocated")->u.i, 6);
	da_machine_close(m);
}

static void test_pv_damaged(void **state)
{
	(void)state;
	/* more extents than the device holds: clipped, with a warning */
	struct da_machine *m = open_pv(make_pv(UUID,
		vg_text("", ""), 512));
	assert_string_equal(warnings(m), "");
	da_machine_close(m);
	char *t = vg_text("", "");
	char *p = strstr(t, "pe_count = 15");
	memcpy(p, "pe_count = 99", 13);
	m = open_pv(make_pv(UUID, t, 512));
	assert_non_null(strstr(warnings(m), "do not fit"));
	assert_int_equal(da_obj_get(m->disks[0].content->props,
				    "pe_count")->u.i, 15);
	da_machine_close(m);

	/* a text checksum that does not match */
	uint8_t *img = make_pv(UUID, vg_text("", ""), 512);
	img[MDA_START + 56] ^= 1;
	put32(img + MDA_START, lvm_crc(img + MDA_START + 4, 512 - 4));
	m = open_pv(img);
	assert_int_equal(m->disks[0].content->type, DA_NODE_LVM2_PV);
	assert_non_null(strstr(warnings(m), "text: bad checksum"));
	assert_int_equal(m->nvolumes, 0);
	da_machine_close(m);

	/* text that does not parse (with a good checksum) */
	m = open_pv(make_pv(UUID, "vg { seqno = 1\n id = \"x\"", 512));
	assert_non_null(strstr(warnings(m), "does not parse: line 2"));
	da_machine_close(m);

	/* a text location outside its area */
	img = make_pv(UUID, vg_text("", ""), 512);
	put64(img + MDA_START + 40, MDA_SIZE + 10);
	put32(img + MDA_START, lvm_crc(img + MDA_START + 4, 512 - 4));
	m = open_pv(img);
	assert_non_null(strstr(warnings(m), "outside"));
	da_machine_close(m);

	/* a label with a bad checksum: unknown, with the reason */
	img = make_pv(UUID, vg_text("", ""), 512);
	img[512 + 40] ^= 1;
	m = open_pv(img);
	assert_int_equal(m->disks[0].content->type, DA_NODE_UNKNOWN);
	assert_non_null(strstr(m->disks[0].content->reason, "checksum"));
	da_machine_close(m);

	/* area lists that run off the sector */
	img = make_pv(UUID, vg_text("", ""), 512);
	for (int i = 72; i < 512 - 32; i += 8)
		put64(img + 512 + 32 + i, 4096);
	put32(img + 512 + 16, lvm_crc(img + 512 + 20, 512 - 20));
	m = open_pv(img);
	assert_int_equal(m->disks[0].content->type, DA_NODE_UNKNOWN);
	da_machine_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_meta_reject),
		cmocka_unit_test(test_pv_wrap),
		cmocka_unit_test(test_pv_hostile),
		cmocka_unit_test(test_pv_raid1),
		cmocka_unit_test(test_pv_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
