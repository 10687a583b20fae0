/* A filesystem's settle (ext: the pass over every group descriptor) run
 * later, as the explorer runs it, against the scan that settles at once:
 * before it, every answer is "not read yet" (usage pending, no metadata
 * role, the role unread); while another thread settles, each answer is
 * either that or the final one; after it, usage, meta_role, the roles,
 * the warnings and the reason are those of the machine that never
 * waited.  On the committed ext images, and on a copy whose descriptors
 * are random bytes (warnings to carry).
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
#include "fileindex.h"

extern const struct da_plugin da_plugin_ext;

static char tmpdir[64];

#define MAX_FS 8
struct fs_list {
	struct da_node *n[MAX_FS];
	int count;
};

static void collect(struct da_node *n, void *arg)
{
	struct fs_list *l = arg;
	if (n->plugin == &da_plugin_ext && l->count < MAX_FS)
		l->n[l->count++] = n;
}

/* Offsets spread over the filesystem, block 0 and the last included. */
static uint64_t sample(const struct da_node *n, int i, int of)
{
	uint64_t size = n->dev->size;
	return (uint64_t)i * (size / (uint64_t)of) % size;
}

#define SAMPLES 997

static bool is_pending(struct da_node *n, uint64_t off, uint64_t len)
{
	struct da_usage u = { 0 };
	if (n->plugin->usage(n, off, len, &u) != 0)
		return false;
	return u.pending == len && !u.used && !u.free && !u.metadata;
}

static bool same_usage(struct da_node *a, struct da_node *b, uint64_t off,
		       uint64_t len)
{
	struct da_usage x = { 0 }, y = { 0 };
	int rx = a->plugin->usage(a, off, len, &x);
	int ry = b->plugin->usage(b, off, len, &y);
	return rx == ry && !memcmp(&x, &y, sizeof(x));
}

static const char *role_of(struct da_node *n, uint64_t off)
{
	struct da_block_info info;
	da_block_info_init(&info);
	if (n->plugin->describe_block(n, off, &info) != 0)
		return "(none)";
	return info.role ? info.role : "(null)";
}

/* b's answers while another thread settles it: not read yet, or a's */
struct hammer {
	struct da_node *a, *b;
	int bad;
};

static void *settle_main(void *arg)
{
	struct da_node *b = arg;
	da_error err = { 0 };
	b->plugin->settle(b, &err);
	return NULL;
}

static const char *warnings_text(const struct da_node *n, char *buf,
				 size_t len)
{
	const struct da_value *w = da_obj_get(n->props, "warnings");
	buf[0] = '\0';
	for (size_t i = 0; w && i < w->u.c.n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s|", w->u.c.v[i]->u.s);
	}
	return buf;
}

static void check_pair(const char *where, struct da_node *a,
		       struct da_node *b)
{
	uint32_t bs = (uint32_t)a->dev->block_size;
	assert_true(bs >= 512);
	/* the explorer's props readers never see the key appear */
	assert_non_null(da_obj_get(b->props, "warnings"));
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t off = sample(a, i, SAMPLES);
		uint64_t len = a->dev->size - off < 64 * (uint64_t)bs
				       ? a->dev->size - off : 64 * (uint64_t)bs;
		if (!is_pending(b, off, len))
			fail_msg("%s: %llu: not pending before settle", where,
				 (unsigned long long)off);
		assert_null(b->plugin->meta_role(b, off));
		if (strcmp(role_of(b, off), "unread"))
			fail_msg("%s: %llu: role %s before settle", where,
				 (unsigned long long)off, role_of(b, off));
	}
	/* settled on another thread while this one asks */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, settle_main, b), 0);
	/* until a thousand answers came after it ended (bounded) */
	long asked = 0, pending = 0, final = 0;
	for (; asked < 20000000 && final < 1000; asked++) {
		uint64_t off = sample(a, (int)(asked % SAMPLES), SAMPLES);
		uint64_t len = bs;
		bool pend = is_pending(b, off, len);
		if (!pend && !same_usage(a, b, off, len))
			fail_msg("%s: %llu: usage while settling is neither "
				 "pending nor final", where,
				 (unsigned long long)off);
		pending += pend;
		final += !pend;
	}
	pthread_join(th, NULL);
	print_message("%s: %ld answers not read yet, %ld final, while "
		      "settling\n", where, pending, final);
	assert_int_equal(final, 1000);
	/* then b answers as a does */
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t off = sample(a, i, SAMPLES);
		for (uint64_t len = bs; len <= 4096 * (uint64_t)bs; len *= 16) {
			if (len > a->dev->size - off)
				break;
			if (!same_usage(a, b, off, len))
				fail_msg("%s: %llu+%llu: usage differs after "
					 "settle", where,
					 (unsigned long long)off,
					 (unsigned long long)len);
		}
		const char *ma = a->plugin->meta_role(a, off);
		const char *mb = b->plugin->meta_role(b, off);
		if (ma != mb)
			fail_msg("%s: %llu: meta_role %s, settled later %s",
				 where, (unsigned long long)off,
				 ma ? ma : "none", mb ? mb : "none");
		if (strcmp(role_of(a, off), role_of(b, off)))
			fail_msg("%s: %llu: role %s, settled later %s", where,
				 (unsigned long long)off, role_of(a, off),
				 role_of(b, off));
	}
	char wa[4096], wb[4096];
	assert_string_equal(warnings_text(a, wa, sizeof(wa)),
			    warnings_text(b, wb, sizeof(wb)));
	assert_string_equal(a->reason ? a->reason : "",
			    b->reason ? b->reason : "");
	/* again: the same, nothing more */
	da_error err = { 0 };
	assert_int_equal(b->plugin->settle(b, &err), 0);
	assert_string_equal(warnings_text(b, wb, sizeof(wb)), wa);
}

/* Both machines on path: the ext filesystems of each, in the same
 * order; how many warnings the first one's carry. */
static int check_path(const char *name, const char *path)
{
	const char *specs[] = { path };
	da_error err = { 0 };
	struct da_machine *ma = da_machine_open("now", specs, 1, &err);
	struct da_machine *mb = da_machine_open("later", specs, 1, &err);
	assert_non_null(ma);
	assert_non_null(mb);
	mb->defer_settle = true;
	da_machine_scan(ma);
	da_machine_scan(mb);
	struct fs_list la = { .count = 0 }, lb = { .count = 0 };
	da_machine_each_node(ma, collect, &la);
	da_machine_each_node(mb, collect, &lb);
	assert_int_equal(la.count, lb.count);
	assert_true(la.count > 0);
	int warned = 0;
	for (int i = 0; i < la.count; i++) {
		char where[128];
		snprintf(where, sizeof(where), "%s fs %d", name, i);
		check_pair(where, la.n[i], lb.n[i]);
		const struct da_value *w = da_obj_get(la.n[i]->props,
						      "warnings");
		warned += w && w->u.c.n > 0;
	}
	/* the machine's own settle finds nothing left to do */
	da_machine_settle(mb);
	da_machine_close(ma);
	da_machine_close(mb);
	return warned;
}

static void unpack(const char *name, char *path, size_t len)
{
	char cmd[512];
	snprintf(path, len, "%s/%s.img", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "xz -dc tests/images/%s.img.xz > %s", name,
		 path);
	assert_int_equal(system(cmd), 0);
}

static void test_committed_images(void **state)
{
	(void)state;
	char path[192];
	unpack("mbr-ext", path, sizeof(path));
	check_path("mbr-ext", path);
	unlink(path);
	unpack("gpt-esp-ext4", path, sizeof(path));
	check_path("gpt-esp-ext4", path);
	unlink(path);
}

/* gpt-esp-ext4 with its ext4's descriptor table (after a 1 KiB-block
 * superblock) overwritten by bytes of the compressed image */
static void test_damaged_descriptors(void **state)
{
	(void)state;
	char path[192];
	unpack("gpt-esp-ext4", path, sizeof(path));
	const char *specs[] = { path };
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("find", specs, 1, &err);
	assert_non_null(m);
	da_machine_scan(m);
	struct fs_list l = { .count = 0 };
	da_machine_each_node(m, collect, &l);
	assert_int_equal(l.count, 1);
	/* the filesystem's first byte on the disk, down the stack */
	struct da_device *dev = l.n[0]->dev;
	uint64_t start = 0;
	for (int depth = 0; !dev->is_disk && depth < 8; depth++) {
		struct da_target t;
		assert_int_equal(da_device_map_block(dev, start, &t, 1), 1);
		dev = t.dev;
		start = t.offset;
	}
	assert_true(dev->is_disk);
	assert_true(start > 0);
	da_machine_close(m);

	uint8_t junk[1024];
	FILE *x = fopen("tests/images/gpt-esp-ext4.img.xz", "rb");
	assert_non_null(x);
	assert_int_equal(fseek(x, 4096, SEEK_SET), 0);
	assert_int_equal(fread(junk, 1, sizeof(junk), x), sizeof(junk));
	fclose(x);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)(start + 2048), SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	/* a test of warnings that carries none would prove nothing */
	assert_true(check_path("gpt-esp-ext4, damaged", path) > 0);
	unlink(path);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-settle.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_images),
		cmocka_unit_test(test_damaged_descriptors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
