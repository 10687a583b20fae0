/* Over every committed test image (each tests/images/NAME.img.xz, the disks of a
 * multi-disk machine opened together): the disk index's invariant
 * (sorted, no gaps, no overlaps, covering the disk, claims outermost
 * first), and every role that a region, a claim or a filesystem's block
 * answer names is declared in the role vocabulary (src/roles.def).
 * Run from the top of the tree (tests/run.sh does).
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

static char tmpdir[64];

static void check_role(const char *where, const char *role)
{
	if (role && da_role_by_name(role) == DA_ROLE_NONE)
		fail_msg("%s: role '%s' is not declared in src/roles.def",
			 where, role);
}

struct roles_ctx {
	const char *image;
	size_t nodes;
};

static void node_roles(struct da_node *n, void *arg)
{
	struct roles_ctx *c = arg;
	char where[256];
	snprintf(where, sizeof(where), "%s: %s", c->image,
		 n->dev ? n->dev->name : "?");
	c->nodes++;
	for (size_t i = 0; i < n->nregions; i++)
		check_role(where, n->regions[i].role);
	if (!n->plugin || !n->plugin->describe_block || !n->dev)
		return;
	/* every 4 KiB (every block of these small images; a 2^18th of a
	 * larger space), and every sector of the first and last 64 KiB */
	uint64_t size = n->dev->size, step = size / 262144 + 1;
	if (step < 4096)
		step = 4096;
	for (uint64_t off = 0; off < size; off += off < 65536 ||
						     off + 65536 >= size
							     ? 512 : step) {
		struct da_block_info info;
		memset(&info, 0, sizeof(info));
		if (n->plugin->describe_block(n, off, &info) == 0)
			check_role(where, info.role);
	}
}

/* 1: one machine checked */
static size_t check_machine(const char *label, const char *const *specs,
			    size_t nspecs)
{
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("test", specs, nspecs, &err);
	if (!m)
		fail_msg("%s: %s", label, err.msg);
	da_machine_scan(m);
	da_machine_build_indexes(m);
	struct da_ownership *o = da_ownership_build(m, &err);
	if (!o)
		fail_msg("%s: %s", label, err.msg);
	for (size_t d = 0; d < m->ndisks; d++) {
		size_t n;
		const struct da_claim *claims;
		const struct da_segment *s = da_ownership_segments(o, d, &n,
								   &claims);
		uint64_t at = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i].start != at || s[i].len == 0)
				fail_msg("%s disk %zu: segment %zu starts at "
					 "%llu, len %llu, expected start "
					 "%llu", label, d, i,
					 (unsigned long long)s[i].start,
					 (unsigned long long)s[i].len,
					 (unsigned long long)at);
			at = s[i].start + s[i].len;
			for (uint32_t k = 0; k < s[i].count; k++) {
				const struct da_claim *c = &claims[s[i].first + k];
				check_role(label, c->role);
				if (k && c->depth < claims[s[i].first + k - 1].depth)
					fail_msg("%s disk %zu segment %zu: "
						 "claims not outermost first",
						 label, d, i);
			}
		}
		if (at != m->disks[d].dev->size)
			fail_msg("%s disk %zu: segments end at %llu, disk has "
				 "%llu bytes", label, d, (unsigned long long)at,
				 (unsigned long long)m->disks[d].dev->size);
	}
	struct roles_ctx c = { label, 0 };
	da_machine_each_node(m, node_roles, &c);
	assert_true(c.nodes > 0);
	da_ownership_free(o);
	da_machine_close(m);
	return 1;
}

static void test_every_image(void **state)
{
	(void)state;
	size_t machines = committed_each(tmpdir, check_machine);
	print_message("%zu machines checked\n", machines);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-images.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_image),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
