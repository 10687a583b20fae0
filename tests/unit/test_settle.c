/* A filesystem's settle (ext: the pass over every group descriptor;
 * NTFS: $Bitmap; FAT: the FAT; exFAT: its allocation bitmap) run later, as the explorer runs it, against the scan
 * that settles at once: before it, every answer is "not read yet" (ext:
 * usage pending, no metadata role, the role unread; NTFS: the same but
 * for the system files, which the scan placed); while another thread
 * settles, each answer is either that or the final one, and so is each
 * prop the settle fills; after it, usage, meta_role, the roles, the
 * props, the warnings and the reason are those of the machine that never
 * waited.  On the committed ext, NTFS, FAT and exFAT images, on an ext4 whose
 * descriptors are random bytes, an NTFS whose $Bitmap and a FAT32 whose
 * FAT cannot be read (warnings to carry).
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
#include "value.h"

extern const struct da_plugin da_plugin_ext;
extern const struct da_plugin da_plugin_ntfs;
extern const struct da_plugin da_plugin_fat;
extern const struct da_plugin da_plugin_exfat;

static char tmpdir[64];

#define MAX_FS 8
struct fs_list {
	const struct da_plugin *plugin;
	struct da_node *n[MAX_FS];
	int count;
};

static void collect(struct da_node *n, void *arg)
{
	struct fs_list *l = arg;
	if (n->plugin == l->plugin && l->count < MAX_FS)
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

/* Not read yet, as a plugin that knows some of its space before its
 * settle says it (NTFS's system files; FAT's reserved sectors, tables
 * and root directory, and the sectors past its clusters): those as the
 * settled a says them, at most, the rest pending, nothing used; the same
 * answer as usage0 where one is given. */
static bool is_unsettled(struct da_node *a, struct da_node *n, uint64_t off,
			 uint64_t len, const struct da_usage *usage0)
{
	struct da_usage u = { 0 }, x = { 0 };
	if (n->plugin->usage(n, off, len, &u) != 0)
		return false;
	if (usage0)
		return !memcmp(&u, usage0, sizeof(u));
	if (a->plugin->usage(a, off, len, &x) != 0)
		x = (struct da_usage){ .metadata = len, .free = len };
	return u.pending + u.metadata + u.free == len && !u.used &&
	       u.metadata <= x.metadata && u.free <= x.free;
}

/* What a prop the settle fills says (-1: not known). */
static int64_t prop_int(const struct da_node *n, const char *key)
{
	const struct da_value *v = da_obj_get(n->props, key);
	return v && v->type == DA_V_INT ? da_value_int(v) : -2;
}

static size_t nprops(const struct da_node *n)
{
	return n->props->u.c.n;
}

/* a's props in b, each as JSON; b's others are settle props not known
 * (a's settle could not fill them) */
static void same_props(const char *where, struct da_node *a,
		       struct da_node *b)
{
	for (size_t i = 0; i < nprops(b); i++) {
		const char *k = b->props->u.c.keys[i];
		const struct da_value *va = da_obj_get(a->props, k);
		const struct da_value *vb = b->props->u.c.v[i];
		char *ja = NULL, *jb = NULL;
		size_t la = 0, lb = 0;
		FILE *fa = open_memstream(&ja, &la), *fb = open_memstream(&jb, &lb);
		assert_non_null(fa);
		assert_non_null(fb);
		if (va)
			da_json_value(fa, va);
		da_json_value(fb, vb);
		fclose(fa);
		fclose(fb);
		/* made for the settle's warnings, and none came */
		bool empty = !strcmp(k, "warnings") && !strcmp(jb, "[]");
		if (!va && !empty &&
		    !(vb->type == DA_V_INT && da_value_int(vb) == -1))
			fail_msg("%s: prop %s only settled later: %s", where, k,
				 jb);
		if (va && strcmp(ja, jb))
			fail_msg("%s: prop %s: %s, settled later %s", where, k,
				 ja, jb);
		free(ja);
		free(jb);
	}
	for (size_t i = 0; i < nprops(a); i++)
		if (!da_obj_get(b->props, a->props->u.c.keys[i]))
			fail_msg("%s: prop %s never settled later", where,
				 a->props->u.c.keys[i]);
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

/* b's settle, as the machine's background pass runs it (machine.c's
 * settle_node): what it could not read is a warning on the node */
static void *settle_main(void *arg)
{
	struct da_node *b = arg;
	da_error err = { 0 };
	if (b->plugin->settle(b, &err) < 0)
		da_warn(b, "%s: %s", b->plugin->name,
			err.msg[0] ? err.msg : "does not parse");
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
	bool ext = a->plugin == &da_plugin_ext;
	const char *const *fills = a->plugin->settle_props;
	assert_true(bs >= 512);
	/* the explorer's props readers never see a key appear: the
	 * warnings and what the settle fills are made with the node */
	assert_non_null(da_obj_get(b->props, "warnings"));
	for (const char *const *k = fills; k && *k; k++)
		if (prop_int(b, *k) != -1)
			fail_msg("%s: prop %s is %lld before settle", where, *k,
				 (long long)prop_int(b, *k));
	size_t keys = nprops(b);
	static struct da_usage usage0[SAMPLES];
	int unread = 0;
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t off = sample(a, i, SAMPLES);
		uint64_t len = a->dev->size - off < 64 * (uint64_t)bs
				       ? a->dev->size - off : 64 * (uint64_t)bs;
		if (ext ? !is_pending(b, off, len)
			: !is_unsettled(a, b, off, len, NULL))
			fail_msg("%s: %llu: not pending before settle", where,
				 (unsigned long long)off);
		if (b->plugin->meta_role)
			assert_null(b->plugin->meta_role(b, off));
		/* unread, or (NTFS) a system file's role, as it will be */
		const char *rb = role_of(b, off);
		unread += !strcmp(rb, "unread");
		if (strcmp(rb, "unread") &&
		    (ext || strcmp(rb, role_of(a, off))))
			fail_msg("%s: %llu: role %s before settle", where,
				 (unsigned long long)off, rb);
		usage0[i] = (struct da_usage){ 0 };
		b->plugin->usage(b, off, bs, &usage0[i]);
	}
	/* a test of a settle that leaves nothing unread proves nothing */
	assert_true(unread > SAMPLES / 4);
	/* settled on another thread while this one asks */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, settle_main, b), 0);
	/* until a thousand answers came after it ended (bounded) */
	long asked = 0, pending = 0, final = 0;
	for (; asked < 20000000 && final < 1000; asked++) {
		int i = (int)(asked % SAMPLES);
		uint64_t off = sample(a, i, SAMPLES);
		uint64_t len = bs;
		bool pend = is_unsettled(a, b, off, len, &usage0[i]);
		bool fin = same_usage(a, b, off, len);
		if (!pend && !fin)
			fail_msg("%s: %llu: usage while settling is neither "
				 "pending nor final", where,
				 (unsigned long long)off);
		for (const char *const *k = fills; k && *k; k++) {
			int64_t v = prop_int(b, *k);
			if (v != -1 && v != prop_int(a, *k))
				fail_msg("%s: prop %s is %lld while settling",
					 where, *k, (long long)v);
		}
		/* an answer that is both (NTFS: a system file's cell) says
		 * nothing of where the settle is */
		pending += pend && !fin;
		final += fin && !pend;
	}
	assert_int_equal(nprops(b), keys);
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
		const char *ma = NULL, *mb = NULL;
		if (a->plugin->meta_role) {
			ma = a->plugin->meta_role(a, off);
			mb = b->plugin->meta_role(b, off);
		}
		if (ma != mb)
			fail_msg("%s: %llu: meta_role %s, settled later %s",
				 where, (unsigned long long)off,
				 ma ? ma : "none", mb ? mb : "none");
		if (strcmp(role_of(a, off), role_of(b, off)))
			fail_msg("%s: %llu: role %s, settled later %s", where,
				 (unsigned long long)off, role_of(a, off),
				 role_of(b, off));
	}
	same_props(where, a, b);
	char wa[4096], wb[4096];
	assert_string_equal(warnings_text(a, wa, sizeof(wa)),
			    warnings_text(b, wb, sizeof(wb)));
	assert_string_equal(a->reason ? a->reason : "",
			    b->reason ? b->reason : "");
	/* again: the same answer, nothing more */
	da_error ea = { 0 }, eb = { 0 };
	assert_int_equal(b->plugin->settle(b, &eb), a->plugin->settle(a, &ea));
	assert_string_equal(ea.msg, eb.msg);
	assert_string_equal(warnings_text(b, wb, sizeof(wb)), wa);
}

/* Both machines on path: the filesystems of plugin of each, in the same
 * order; how many warnings the first one's carry. */
static int check_path(const char *name, const char *path,
		      const struct da_plugin *plugin)
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
	struct fs_list la = { .plugin = plugin }, lb = { .plugin = plugin };
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
	static const struct {
		const char *image, *name;
		const struct da_plugin *plugin;
	} cases[] = {
		{ "mbr-ext", "mbr-ext", &da_plugin_ext },
		{ "gpt-esp-ext4", "gpt-esp-ext4", &da_plugin_ext },
		{ "ntfs-small", "ntfs-small", &da_plugin_ntfs },
		{ "fat-12", "fat-12", &da_plugin_fat },
		{ "fat-32", "fat-32", &da_plugin_fat },
		{ "gpt-esp-ext4", "gpt-esp-ext4's ESP", &da_plugin_fat },
		{ "exfat-card", "exfat-card", &da_plugin_exfat },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unpack(cases[i].image, path, sizeof(path));
		/* ntfs-small is sound: its settle must not warn */
		int warned = check_path(cases[i].name, path, cases[i].plugin);
		if (cases[i].plugin == &da_plugin_ntfs)
			assert_int_equal(warned, 0);
		unlink(path);
	}
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
	struct fs_list l = { .plugin = &da_plugin_ext };
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
	assert_true(check_path("gpt-esp-ext4, damaged", path,
			       &da_plugin_ext) > 0);
	unlink(path);
}

/* image with every read of the first byte of role (plus skip) failing
 * (the fault device, as the integration tests use it): both machines
 * warn, neither knows used or free */
static void check_unreadable(const char *image, const struct da_plugin *plugin,
			     const char *role, uint64_t skip)
{
	char path[192];
	unpack(image, path, sizeof(path));
	const char *specs[] = { path };
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("find", specs, 1, &err);
	assert_non_null(m);
	da_machine_scan(m);
	struct fs_list l = { .plugin = plugin };
	da_machine_each_node(m, collect, &l);
	assert_int_equal(l.count, 1);
	/* the whole image is the filesystem: the role's first byte */
	struct da_node *n = l.n[0];
	uint64_t at = UINT64_MAX;
	for (uint64_t off = 0; off < n->dev->size && at == UINT64_MAX;
	     off += 512)
		if (!strcmp(role_of(n, off), role))
			at = off + skip;
	da_machine_close(m);
	assert_true(at != UINT64_MAX);
	char rule[64], where[128];
	snprintf(rule, sizeof(rule), "%llu+1", (unsigned long long)at);
	setenv("DISKATLAS_TEST_FAULT", rule, 1);
	snprintf(where, sizeof(where), "%s, %s unreadable", image, role);
	assert_true(check_path(where, path, plugin) > 0);
	/* the map of its space is not known: usage cannot say, and every
	 * block no structure or file holds is used, as the map draws it,
	 * never free */
	m = da_machine_open("failed", specs, 1, &err);
	assert_non_null(m);
	da_machine_scan(m);
	da_machine_build_indexes(m);
	l.count = 0;
	da_machine_each_node(m, collect, &l);
	assert_int_equal(l.count, 1);
	n = l.n[0];
	struct da_usage u = { 0 };
	assert_int_equal(n->plugin->usage(n, 0, n->dev->size, &u), -1);
	int used = 0;
	for (int i = 0; i < SAMPLES; i++) {
		const char *r = role_of(n, sample(n, i, SAMPLES));
		if (!strcmp(r, "free") || !strcmp(r, "unread"))
			fail_msg("%s: role %s", where, r);
		used += !strcmp(r, "used");
	}
	assert_true(used > 0);
	da_machine_close(m);
	unsetenv("DISKATLAS_TEST_FAULT");
	unlink(path);
}

/* NTFS's $Bitmap; a FAT's table past its first sector (the scan reads
 * entry 0 itself) */
static void test_map_unreadable(void **state)
{
	(void)state;
	check_unreadable("ntfs-small", &da_plugin_ntfs, "ntfs_bitmap", 0);
	check_unreadable("fat-32", &da_plugin_fat, "fat", 512);
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
		cmocka_unit_test(test_map_unreadable),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
