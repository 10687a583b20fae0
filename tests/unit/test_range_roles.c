/* A filesystem's range_roles op (the roles of a whole range at once, what
 * the side pane and --lookup START-END show) against describe_block asked
 * a block at a time, over every committed test image and the ext images
 * the fuzz seeds make (1 KiB blocks, bigalloc, meta_bg, resized, flex
 * groups of one and of more than the groups, block maps, inline data,
 * descriptors made to overlap or to disagree with the bitmaps):
 * the same roles in the same order with the same bytes, before the file
 * index is built and after, on the whole space, on ranges at random
 * (unaligned ones too), around every block group's edges and past the
 * filesystem's end.  And on the disks, windows across every edge of the
 * disk index (partitions, LVs, tables): da_range_scan gives the same
 * roles with the op as without it.  Run from the top of the tree
 * (tests/run.sh does).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
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
#include "committed.h"
#include "fileindex.h"

#define MAX_ROLES DA_RANGE_MAX_ROLES

static char tmpdir[64];
static size_t op_checks, scan_checks, op_declined;

/* Ranges compared and declined by plugin: every op must be exercised. */
static struct {
	const char *name;
	size_t checks, declined;
} per[16];

static void tally(const struct da_node *n, bool declined)
{
	size_t i = 0;
	while (i < 16 && per[i].name && strcmp(per[i].name, n->plugin->name))
		i++;
	if (i == 16)
		return;
	per[i].name = n->plugin->name;
	if (declined)
		per[i].declined++;
	else
		per[i].checks++;
}

/* How many ranges of plugin name were compared. */
static size_t checks_of(const char *name)
{
	for (size_t i = 0; i < 16 && per[i].name; i++)
		if (!strcmp(per[i].name, name))
			return per[i].checks;
	return 0;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* describe_block a block, the roles in the order they first come; -1
 * past MAX_ROLES roles */
static int slow_roles(struct da_node *n, uint64_t off, uint64_t len,
		      struct da_role_bytes *out)
{
	uint64_t bs = n->dev->block_size ? n->dev->block_size : 512;
	uint64_t end = off + len;
	int k = 0;
	for (uint64_t b = off / bs * bs; b < end; b += bs) {
		uint64_t a0 = b > off ? b : off;
		uint64_t a1 = b + bs < end ? b + bs : end;
		struct da_block_info info;
		da_block_info_init(&info);
		if (n->plugin->describe_block(n, a0, &info) || !info.role)
			continue;
		int i = 0;
		while (i < k && strcmp(out[i].role, info.role))
			i++;
		if (i == k) {
			if (k == MAX_ROLES)
				return -1;
			out[k++] = (struct da_role_bytes){ info.role, 0 };
		}
		out[i].bytes += a1 - a0;
	}
	return k;
}

static void compare_op(const char *label, struct da_node *n, uint64_t off,
		       uint64_t len)
{
	if (len == 0)
		return;
	struct da_role_bytes fast[MAX_ROLES], slow[MAX_ROLES];
	int a = n->plugin->range_roles(n, off, len, fast, MAX_ROLES);
	int b = slow_roles(n, off, len, slow);
	tally(n, a < 0);
	if (a < 0) {
		op_declined++;     /* allowed: the caller asks block by block */
		return;
	}
	op_checks++;
	bool same = a == b;
	for (int i = 0; same && i < a; i++)
		same = !strcmp(fast[i].role, slow[i].role) &&
		       fast[i].bytes == slow[i].bytes;
	if (same)
		return;
	char got[1024] = "", want[1024] = "";
	size_t g = 0, w = 0;
	for (int i = 0; i < a && g < sizeof(got); i++)
		g += (size_t)snprintf(got + g, sizeof(got) - g, " %s=%llu",
				      fast[i].role,
				      (unsigned long long)fast[i].bytes);
	for (int i = 0; i < b && w < sizeof(want); i++)
		w += (size_t)snprintf(want + w, sizeof(want) - w, " %s=%llu",
				      slow[i].role,
				      (unsigned long long)slow[i].bytes);
	fail_msg("%s: roles of [%llu, +%llu):%s; describe_block a block "
		 "says:%s", label, (unsigned long long)off,
		 (unsigned long long)len, got, want);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The ranges a node's op is asked about. */
static void node_ranges(const char *label, struct da_node *n)
{
	uint64_t size = n->dev->size;
	uint64_t bs = n->dev->block_size ? n->dev->block_size : 512;
	if (!size)
		return;
	compare_op(label, n, 0, size);
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ size;
	for (int i = 0; i < 150; i++) {
		uint64_t off = rnd(&seed) % size;
		uint64_t span = i % 3 == 0 ? 64 * bs : i % 3 == 1 ? 4096 * bs
								  : size;
		uint64_t len = 1 + rnd(&seed) % span;
		if (i % 2 == 0)         /* whole blocks, as map cells are */
			off = off / bs * bs, len = (len + bs - 1) / bs * bs;
		if (len > size - off)
			len = size - off;
		compare_op(label, n, off, len);
	}
	/* across the edges of the units it counts in (ext's block
	 * groups): a few blocks either side, and a group and a bit */
	struct da_unit_at u;
	if (da_node_unit(n, size / 2, &u) == 0 && u.size) {
		uint64_t first = size / 2 - u.offset, step = u.size;
		while (first >= step)
			first -= step;
		for (uint64_t e = first; e < size; e += step) {
			uint64_t lo = e > 3 * bs + 100 ? e - 3 * bs - 100 : 0;
			compare_op(label, n, lo, 6 * bs + 200 < size - lo
						 ? 6 * bs + 200 : size - lo);
			uint64_t l2 = step + 5 * bs;
			compare_op(label, n, lo, l2 < size - lo ? l2 : size - lo);
		}
	}
	/* from where a role changes to past the second change after it:
	 * each range then starts with a role the gap after it does not
	 * (the order the roles first come in is part of the answer) */
	uint64_t nb = (size + bs - 1) / bs, every = nb / 400000 + 1;
	uint64_t changes[400], nch = 0, seen = 0;
	const char *prev = NULL;
	for (uint64_t b = 0; b < nb; b += every) {
		struct da_block_info info;
		da_block_info_init(&info);
		const char *role = n->plugin->describe_block(n, b * bs, &info)
					   ? NULL : info.role;
		if (b && role != prev && (!role || !prev || strcmp(role, prev))) {
			/* a spread of at most 400 of them */
			if (nch < 400)
				changes[nch++] = b;
			else if (rnd(&seed) % ++seen < 400)
				changes[rnd(&seed) % 400] = b;
		}
		prev = role;
	}
	qsort(changes, nch, sizeof(*changes), cmp_u64);
	for (uint64_t i = 0; i + 2 < nch; i++) {
		uint64_t a = changes[i] * bs, e = changes[i + 2] * bs + bs;
		compare_op(label, n, a, (e < size ? e : size) - a);
	}
	/* the tail, and past the filesystem's own end where the device
	 * has room (its size as the plugin reads it) */
	uint64_t tail = size > 64 * bs ? size - 64 * bs : 0;
	compare_op(label, n, tail, size - tail);
	compare_op(label, n, size - 1, 1);
}

struct ctx {
	const char *image;
	int pass;
	size_t nodes;
};

static void node_fn(struct da_node *n, void *arg)
{
	struct ctx *c = arg;
	if (!n->plugin || !n->plugin->range_roles ||
	    !n->plugin->describe_block || !n->dev)
		return;
	char label[300];
	snprintf(label, sizeof(label), "%s: %s (%s)", c->image, n->dev->name,
		 c->pass ? "indexed" : "before the index");
	node_ranges(label, n);
	c->nodes++;
}

/* Nodes whose op is switched off, and their plugins as they were. */
struct swap {
	struct da_node *node[64];
	const struct da_plugin *was[64];
	struct da_plugin copy[64];
	size_t n;
};

static void swap_fn(struct da_node *n, void *arg)
{
	struct swap *s = arg;
	if (!n->plugin || !n->plugin->range_roles || s->n == 64)
		return;
	s->node[s->n] = n;
	s->was[s->n] = n->plugin;
	s->copy[s->n] = *n->plugin;
	s->copy[s->n].range_roles = NULL;
	n->plugin = &s->copy[s->n];
	s->n++;
}

/* Does r's roles list say the same as q's (a filesystem at a time, the
 * role by its text)? */
static bool same_roles(const struct da_range *r, const struct da_range *q)
{
	if (r->nroles != q->nroles)
		return false;
	for (size_t i = 0; i < r->nroles; i++) {
		size_t j = 0;
		while (j < q->nroles &&
		       (q->roles[j].node != r->roles[i].node ||
			strcmp(q->roles[j].role, r->roles[i].role) ||
			q->roles[j].bytes != r->roles[i].bytes))
			j++;
		if (j == q->nroles)
			return false;
	}
	return true;
}

/* Windows of the disk across every edge of its index, with and without
 * the op. */
static void disk_edges(const char *label, struct da_machine *m,
		       const struct da_ownership *o, size_t d)
{
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *s = da_ownership_segments(o, d, &nsegs,
							   &claims);
	struct da_device *dev = m->disks[d].dev;
	static struct swap sw;
	for (size_t i = 1; i < nsegs && i < 512; i++) {
		uint64_t e = s[i].start;
		for (int w = 0; w < 2; w++) {
			uint64_t half = w ? 300 * 1024 : 9 * 1024 + 512;
			uint64_t lo = e > half ? e - half : 0;
			uint64_t len = 2 * half < dev->size - lo
					       ? 2 * half : dev->size - lo;
			struct da_range *fast = da_range_scan(o, dev, lo, len,
							      DA_RANGE_ROLES);
			sw.n = 0;
			da_machine_each_node(m, swap_fn, &sw);
			struct da_range *slow = da_range_scan(o, dev, lo, len,
							      DA_RANGE_ROLES);
			for (size_t k = 0; k < sw.n; k++)
				sw.node[k]->plugin = sw.was[k];
			assert_non_null(fast);
			assert_non_null(slow);
			if (slow->roles_sampled)
				fail_msg("%s: a window of %llu bytes sampled",
					 label, (unsigned long long)len);
			if (fast->roles_sampled)
				fail_msg("%s disk %zu: [%llu, +%llu) says "
					 "sampled with the op", label, d,
					 (unsigned long long)lo,
					 (unsigned long long)len);
			if (!same_roles(fast, slow) || !same_roles(slow, fast))
				fail_msg("%s disk %zu: roles of [%llu, +%llu) "
					 "differ with the op (%zu roles) and "
					 "without (%zu)", label, d,
					 (unsigned long long)lo,
					 (unsigned long long)len,
					 fast->nroles, slow->nroles);
			scan_checks++;
			da_range_free(fast);
			da_range_free(slow);
		}
	}
}

static size_t check_machine(const char *label, const char *const *specs,
			    size_t nspecs)
{
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("test", specs, nspecs, &err);
	if (!m)
		fail_msg("%s: %s", label, err.msg);
	da_machine_scan(m);
	struct ctx c = { label, 0, 0 };
	da_machine_each_node(m, node_fn, &c);
	da_machine_build_indexes(m);
	c.pass = 1;
	da_machine_each_node(m, node_fn, &c);
	struct da_ownership *o = da_ownership_build(m, &err);
	if (!o)
		fail_msg("%s: %s", label, err.msg);
	if (c.nodes)
		for (size_t d = 0; d < m->ndisks; d++)
			disk_edges(label, m, o, d);
	da_ownership_free(o);
	da_machine_close(m);
	return c.nodes;
}

static void test_committed_images(void **state)
{
	(void)state;
	size_t nodes = committed_each(tmpdir, check_machine);
	/* the ext images at least (gpt-esp-ext4, mbr-ext, the LVM and md
	 * ones): an op that nothing implements would pass for nothing */
	assert_true(nodes >= 10);
	print_message("%zu filesystem passes; %zu ranges compared with "
		      "describe_block (%zu declined), %zu disk windows with "
		      "and without the op\n", nodes, op_checks, op_declined,
		      scan_checks);
	for (size_t i = 0; i < 16 && per[i].name; i++)
		print_message("  %s: %zu compared, %zu declined\n",
			      per[i].name, per[i].checks, per[i].declined);
	/* the formats with the op and committed images of them */
	assert_true(checks_of("ext") > 1000);
	assert_true(checks_of("fat") > 1000);
	assert_true(checks_of("exfat") > 1000);
	assert_true(checks_of("ntfs") > 1000);
	assert_true(checks_of("xfs") > 1000);
}

/* Every image in dir, each a machine of its own, removed after (and dir
 * too): how many images; *nodes gets the filesystem passes. */
static size_t check_dir(const char *dir, size_t *nodes)
{
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	size_t n = 0;
	*nodes = 0;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		char path[400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		const char *specs[] = { path };
		*nodes += check_machine(e->d_name, specs, 1);
		unlink(path);
		n++;
	}
	closedir(dp);
	rmdir(dir);
	return n;
}

/* The layouts and the damage the ext fuzz seeds make (mkfs.ext4 and
 * debugfs): descriptors whose free counts disagree with the bitmaps, a
 * file that claims the superblock, block maps, inline data... */
static void test_ext_layouts(void **state)
{
	(void)state;
	if (system("command -v mkfs.ext4 >/dev/null 2>&1") != 0) {
		print_message("no mkfs.ext4: the committed images only\n");
		return;
	}
	char dir[128], cmd[600];
	snprintf(dir, sizeof(dir), "%s/layouts", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && sh "
		 "tests/fuzz/seeds/ext-layouts.sh '%s' && sh "
		 "tests/fuzz/seeds/ext.sh '%s'", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	size_t nodes, before = op_checks;
	size_t n = check_dir(dir, &nodes);
	assert_true(n >= 30);
	assert_true(nodes >= 30);
	print_message("%zu layouts, %zu filesystem passes, %zu ranges "
		      "compared\n", n, nodes, op_checks - before);
}

/* The FAT, exFAT, NTFS and XFS fuzz seeds (the real tools' volumes and
 * their damaged copies: loops, cross links, bad clusters, trees that
 * point anywhere).  A script whose tools are missing makes none. */
static void test_other_seeds(void **state)
{
	(void)state;
	char dir[128], cmd[900];
	snprintf(dir, sizeof(dir), "%s/seeds", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && for f in fat exfat ntfs "
		 "xfs; do sh tests/fuzz/seeds/$f.sh '%s' >/dev/null 2>&1 || "
		 "exit 1; done", dir, dir);
	assert_int_equal(system(cmd), 0);
	size_t nodes, before = op_checks, declined = op_declined;
	size_t n = check_dir(dir, &nodes);
	if (system("command -v mkfs.fat >/dev/null 2>&1 && "
		   "command -v mcopy >/dev/null 2>&1") == 0)
		assert_true(nodes >= 5);
	print_message("%zu seed images, %zu filesystem passes, %zu ranges "
		      "compared (%zu declined)\n", n, nodes,
		      op_checks - before, op_declined - declined);
}

/* A swap area mkswap made, with bad pages written into its header
 * (out of order, one twice, one the last page) and room past its end. */
static void test_swap_bad_pages(void **state)
{
	(void)state;
	if (system("command -v mkswap >/dev/null 2>&1") != 0) {
		print_message("no mkswap: the committed images only\n");
		return;
	}
	char path[128], cmd[600];
	snprintf(path, sizeof(path), "%s/swap-bad.img", tmpdir);
	snprintf(cmd, sizeof(cmd), "truncate -s %d '%s' && mkswap -q -p 4096 "
		 "'%s' >/dev/null 2>&1 && truncate -s %d '%s'", 20 * 4096,
		 path, path, 20 * 4096 + 5000, path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	/* nr_badpages at 1032, the list at 1536, little-endian */
	const uint32_t bad[] = { 7, 2, 3, 3, 19 };
	uint8_t b[4] = { 5, 0, 0, 0 };
	assert_int_equal(fseek(f, 1032, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, 4, f), 4);
	assert_int_equal(fseek(f, 1536, SEEK_SET), 0);
	for (size_t i = 0; i < 5; i++) {
		uint8_t v[4] = { (uint8_t)bad[i], 0, 0, 0 };
		assert_int_equal(fwrite(v, 1, 4, f), 4);
	}
	fclose(f);
	size_t before = op_checks;
	const char *specs[] = { path };
	assert_int_equal(check_machine("swap-bad", specs, 1), 2);
	unlink(path);
	assert_true(checks_of("swap") > 0 && op_checks - before > 100);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-rroles.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_images),
		cmocka_unit_test(test_ext_layouts),
		cmocka_unit_test(test_other_seeds),
		cmocka_unit_test(test_swap_bad_pages),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
