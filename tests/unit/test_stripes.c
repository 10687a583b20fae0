/* Striped spaces (an index of their own for a RAID4/5/6 array or a
 * striped device, src/ownership.c) against the slow path they replace,
 * da_ownership_build_flat, which walks every claim down to the disks a
 * chunk at a time.  On every committed image: the owners of every 4 KiB
 * of every disk, field by field with the filesystems' detail; the map's
 * cells of every disk and every volume at several zooms; the regions'
 * byte counts; and the owners, roles and files of ranges.  The images
 * with striped volumes must have made spaces, so that the comparison is
 * not of one path with itself.  Run from the top of the tree.
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
#include "committed.h"

static char tmpdir[64];
static size_t striped, lookups, cells, estimated, ranges;

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Region a of index x and region b of index y name the same owner. */
static bool same_region(const struct da_ownership *x, int a,
			const struct da_ownership *y, int b)
{
	if (a < 0 || b < 0)
		return a == b;
	size_t nx, ny;
	const struct da_region_info *rx = da_ownership_regions(x, &nx);
	const struct da_region_info *ry = da_ownership_regions(y, &ny);
	assert_true((size_t)a < nx && (size_t)b < ny);
	return rx[a].node == ry[b].node && same_str(rx[a].kind, ry[b].kind) &&
	       same_str(rx[a].name, ry[b].name) &&
	       same_str(rx[a].role, ry[b].role);
}

static void owners_equal(const char *label, size_t d, uint64_t off,
			 const struct da_ownership *fast,
			 const struct da_ownership *slow)
{
	struct da_owner a[16], b[16];
	int na = da_owners_at(fast, d, off, a, 16, true);
	int nb = da_owners_at(slow, d, off, b, 16, true);
	/* a mirrored owner's copies (RAID10), as the side pane lists them */
	struct da_location ca[8], cb[8];
	int wa = -1, wb = -1;
	int ka = na > 0 ? da_owners_copies(fast, a, na < 16 ? na : 16, &wa,
					   ca, 8) : 0;
	int kb = nb > 0 ? da_owners_copies(slow, b, nb < 16 ? nb : 16, &wb,
					   cb, 8) : 0;
	if (ka != kb || wa != wb)
		fail_msg("%s disk %zu offset %llu: %d copies of owner %d, flat "
			 "%d of %d", label, d, (unsigned long long)off, ka, wa,
			 kb, wb);
	for (int i = 0; i < ka && i < 8; i++)
		if (ca[i].disk != cb[i].disk || ca[i].offset != cb[i].offset)
			fail_msg("%s disk %zu offset %llu: copy %d differs",
				 label, d, (unsigned long long)off, i);
	if (na != nb)
		fail_msg("%s disk %zu offset %llu: %d owners, flat %d", label,
			 d, (unsigned long long)off, na, nb);
	for (int i = 0; i < na && i < 16; i++) {
		const struct da_owner *x = &a[i], *y = &b[i];
		if (!same_str(x->kind, y->kind) || !same_str(x->name, y->name) ||
		    !same_str(x->role, y->role) || x->node != y->node ||
		    x->space != y->space || x->offset != y->offset ||
		    x->conflict != y->conflict || x->has_info != y->has_info ||
		    !same_str(x->info.role, y->info.role) ||
		    x->info.block != y->info.block ||
		    x->info.inode != y->info.inode ||
		    strcmp(x->info.path, y->info.path))
			fail_msg("%s disk %zu offset %llu owner %d: %s %s %s "
				 "at %llu, flat %s %s %s at %llu", label, d,
				 (unsigned long long)off, i, x->kind, x->name,
				 x->role ? x->role : "-",
				 (unsigned long long)x->offset, y->kind, y->name,
				 y->role ? y->role : "-",
				 (unsigned long long)y->offset);
	}
	lookups++;
}

static void cells_equal(const char *label, struct da_device *dev, long disk,
			const struct da_ownership *fast,
			const struct da_ownership *slow)
{
	static const size_t counts[] = { 7, 64, 500, 4096 };
	for (size_t z = 0; z < sizeof(counts) / sizeof(*counts); z++) {
		size_t n = counts[z];
		/* whole blocks: a filesystem's usage of a part of a block
		 * is a share of it, and the flat path cuts at chunks */
		uint64_t cell = ((dev->size + n - 1) / n + 4095) / 4096 * 4096;
		n = (size_t)((dev->size + cell - 1) / cell);
		struct da_cell *a = calloc(n, sizeof(*a));
		struct da_cell *b = calloc(n, sizeof(*b));
		assert_non_null(a);
		assert_non_null(b);
		da_summarize_cells(fast, dev, disk, 0, cell, n, true, a);
		da_summarize_cells(slow, dev, disk, 0, cell, n, true, b);
		for (size_t i = 0; i < n; i++) {
			const struct da_cell *x = &a[i], *y = &b[i];
			if (x->estimated) {
				/* rows scaled to the cell: the same bytes,
				 * usage near the chunk walk's */
				uint64_t q = x->bytes / 4;
				if (x->bytes != y->bytes ||
				    x->unmapped != y->unmapped ||
				    x->hole + q < y->hole || y->hole + q < x->hole ||
				    x->used + q < y->used || y->used + q < x->used ||
				    x->free + q < y->free || y->free + q < x->free)
					fail_msg("%s %s: estimated cell %zu of %zu "
						 "too far off: used %llu/%llu, free "
						 "%llu/%llu of %llu", label,
						 dev->name, i, n,
						 (unsigned long long)x->used,
						 (unsigned long long)y->used,
						 (unsigned long long)x->free,
						 (unsigned long long)y->free,
						 (unsigned long long)x->bytes);
				estimated++;
				continue;
			}
			if (!same_region(fast, x->region_id, slow, y->region_id) ||
			    x->nregions != y->nregions ||
			    x->conflict != y->conflict || x->bytes != y->bytes ||
			    x->used != y->used || x->free != y->free ||
			    x->metadata != y->metadata || x->hole != y->hole ||
			    x->unmapped != y->unmapped ||
			    x->pending != y->pending)
				fail_msg("%s %s: cell %zu of %zu differs: "
					 "region %d/%d, %u/%u regions, bytes "
					 "%llu/%llu, used %llu/%llu, free "
					 "%llu/%llu, hole %llu/%llu", label,
					 dev->name, i, n, x->region_id,
					 y->region_id, x->nregions, y->nregions,
					 (unsigned long long)x->bytes,
					 (unsigned long long)y->bytes,
					 (unsigned long long)x->used,
					 (unsigned long long)y->used,
					 (unsigned long long)x->free,
					 (unsigned long long)y->free,
					 (unsigned long long)x->hole,
					 (unsigned long long)y->hole);
			cells++;
		}
		free(a);
		free(b);
	}
}

/* fast's bytes of x: at least flat's, at most flat's and the unmapped */
static bool covers(uint64_t fast, uint64_t flat, uint64_t unmapped)
{
	return fast >= flat && fast - flat <= unmapped;
}

/* Every owner, role and file of the flat range in the indexed one, with
 * as many bytes or more, the more at most the bytes on no disk. */
static void ranges_cover(const char *where, const struct da_range *a,
			 const struct da_range *b)
{
	uint64_t u = a->unmapped;
	for (size_t j = 0; j < b->nowners; j++) {
		size_t i = 0;
		while (i < a->nowners &&
		       !(same_str(a->owners[i].c->name, b->owners[j].c->name) &&
			 same_str(a->owners[i].c->role, b->owners[j].c->role) &&
			 a->owners[i].c->depth == b->owners[j].c->depth))
			i++;
		if (i == a->nowners ||
		    !covers(a->owners[i].bytes, b->owners[j].bytes, u))
			fail_msg("%s: flat owner %s (%llu bytes) not covered",
				 where, b->owners[j].c->name,
				 (unsigned long long)b->owners[j].bytes);
	}
	for (size_t j = 0; j < b->nroles; j++) {
		size_t i = 0;
		while (i < a->nroles &&
		       !(!strcmp(a->roles[i].role, b->roles[j].role) &&
			 same_str(a->roles[i].owner, b->roles[j].owner)))
			i++;
		if (i == a->nroles ||
		    !covers(a->roles[i].bytes, b->roles[j].bytes, u))
			fail_msg("%s: flat role %s (%llu bytes) not covered",
				 where, b->roles[j].role,
				 (unsigned long long)b->roles[j].bytes);
	}
	for (size_t j = 0; j < b->nfiles; j++) {
		size_t i = 0;
		while (i < a->nfiles && a->files[i].id != b->files[j].id)
			i++;
		if (i == a->nfiles ||
		    !covers(a->files[i].bytes, b->files[j].bytes, u))
			fail_msg("%s: flat file %llu (%llu bytes) not covered",
				 where, (unsigned long long)b->files[j].id,
				 (unsigned long long)b->files[j].bytes);
	}
	/* and the space's index does answer for bytes on no disk */
	uint64_t more = 0;
	for (size_t i = 0; i < a->nowners; i++)
		more += a->owners[i].bytes;
	for (size_t j = 0; j < b->nowners; j++)
		more -= b->owners[j].bytes;
	if (more == 0)
		fail_msg("%s: %llu bytes on no disk, and no owner for them",
			 where, (unsigned long long)u);
}

static void ranges_equal(const char *label, struct da_device *dev,
			 uint64_t off, uint64_t len,
			 const struct da_ownership *fast,
			 const struct da_ownership *slow)
{
	unsigned what = DA_RANGE_ROLES | DA_RANGE_FILES;
	struct da_range *a = da_range_scan(fast, dev, off, len, what);
	struct da_range *b = da_range_scan(slow, dev, off, len, what);
	assert_non_null(a);
	assert_non_null(b);
	char where[256];
	snprintf(where, sizeof(where), "%s %s [%llu, +%llu)", label, dev->name,
		 (unsigned long long)off, (unsigned long long)len);
	if (a->unmapped && a->unmapped == b->unmapped && !a->estimated) {
		/* a degraded space: what lies on its missing members is
		 * known from the space's index only, which the flat build
		 * has not */
		ranges_cover(where, a, b);
		da_range_free(a);
		da_range_free(b);
		ranges++;
		return;
	}
	if (a->nowners != b->nowners || a->nroles != b->nroles ||
	    a->nfiles != b->nfiles || a->unmapped != b->unmapped ||
	    a->estimated)
		fail_msg("%s: %zu owners, %zu roles, %zu files%s; flat %zu, "
			 "%zu, %zu", where, a->nowners, a->nroles, a->nfiles,
			 a->estimated ? " (estimated)" : "", b->nowners,
			 b->nroles, b->nfiles);
	for (size_t i = 0; i < a->nowners; i++)
		if (!same_str(a->owners[i].c->name, b->owners[i].c->name) ||
		    !same_str(a->owners[i].c->role, b->owners[i].c->role) ||
		    a->owners[i].bytes != b->owners[i].bytes ||
		    a->owners[i].offset != b->owners[i].offset)
			fail_msg("%s: owner %zu %s %llu bytes from %llu, flat "
				 "%s %llu from %llu", where, i,
				 a->owners[i].c->name,
				 (unsigned long long)a->owners[i].bytes,
				 (unsigned long long)a->owners[i].offset,
				 b->owners[i].c->name,
				 (unsigned long long)b->owners[i].bytes,
				 (unsigned long long)b->owners[i].offset);
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].role, b->roles[i].role) ||
		    a->roles[i].bytes != b->roles[i].bytes)
			fail_msg("%s: role %s %llu bytes, flat %s %llu", where,
				 a->roles[i].role,
				 (unsigned long long)a->roles[i].bytes,
				 b->roles[i].role,
				 (unsigned long long)b->roles[i].bytes);
	for (size_t i = 0; i < a->nfiles; i++)
		if (a->files[i].id != b->files[i].id ||
		    a->files[i].bytes != b->files[i].bytes)
			fail_msg("%s: file %llu %llu bytes, flat %llu %llu",
				 where, (unsigned long long)a->files[i].id,
				 (unsigned long long)a->files[i].bytes,
				 (unsigned long long)b->files[i].id,
				 (unsigned long long)b->files[i].bytes);
	da_range_free(a);
	da_range_free(b);
	ranges++;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t check_machine(const char *label, const char *const *specs,
			    size_t nspecs)
{
	da_error err = { 0 };
	struct da_machine *m = da_machine_open("test", specs, nspecs, &err);
	if (!m)
		fail_msg("%s: %s", label, err.msg);
	da_machine_scan(m);
	da_machine_build_indexes(m);
	struct da_ownership *fast = da_ownership_build(m, &err);
	struct da_ownership *slow = da_ownership_build_flat(m, &err);
	if (!fast || !slow)
		fail_msg("%s: %s", label, err.msg);
	assert_int_equal(da_ownership_nindexes(slow), m->ndisks);
	bool spaces = da_ownership_nindexes(fast) > m->ndisks;
	/* the machines whose volumes are striped or parity RAID */
	if (!strcmp(label, "md-raid5") || !strcmp(label, "lvm-striped") ||
	    !strcmp(label, "md-small-090"))
		assert_true(spaces);
	striped += spaces;

	for (size_t d = 0; d < m->ndisks; d++) {
		struct da_device *dev = m->disks[d].dev;
		for (uint64_t off = 0; off < dev->size; off += 4096)
			owners_equal(label, d, off, fast, slow);
		owners_equal(label, d, dev->size - 1, fast, slow);
		cells_equal(label, dev, (long)d, fast, slow);
		uint64_t seed = 0x9e3779b97f4a7c15ull ^ d;
		for (int i = 0; i < 40; i++) {
			uint64_t off = rnd(&seed) % dev->size;
			uint64_t len = 1 + rnd(&seed) % (dev->size / 8 + 1);
			if (len > dev->size - off)
				len = dev->size - off;
			ranges_equal(label, dev, off, len, fast, slow);
		}
	}
	for (size_t v = 0; v < m->nvolumes; v++) {
		struct da_device *dev = m->volumes[v].dev;
		if (!dev)
			continue;
		cells_equal(label, dev, -1, fast, slow);
		ranges_equal(label, dev, 0, dev->size, fast, slow);
	}
	/* every region the flat index shows has the same bytes, on the
	 * disks and in its owner's space (each once, copies aside) */
	size_t nf, ns;
	const struct da_region_info *rf = da_ownership_regions(fast, &nf);
	const struct da_region_info *rs = da_ownership_regions(slow, &ns);
	for (size_t j = 0; j < ns; j++) {
		uint64_t bytes = 0, own = 0;
		for (size_t i = 0; i < nf; i++)
			if (same_region(fast, (int)i, slow, (int)j)) {
				bytes = rf[i].bytes;
				own = rf[i].own_bytes;
			}
		if (bytes != rs[j].bytes || own != rs[j].own_bytes)
			fail_msg("%s: region %s %s %s has %llu bytes (%llu "
				 "once), flat %llu (%llu)", label, rs[j].kind,
				 rs[j].name, rs[j].role ? rs[j].role : "-",
				 (unsigned long long)bytes,
				 (unsigned long long)own,
				 (unsigned long long)rs[j].bytes,
				 (unsigned long long)rs[j].own_bytes);
		if (rs[j].own_bytes > rs[j].bytes)
			fail_msg("%s: region %s %s %s: %llu bytes once, more "
				 "than its %llu on the disks", label,
				 rs[j].kind, rs[j].name,
				 rs[j].role ? rs[j].role : "-",
				 (unsigned long long)rs[j].own_bytes,
				 (unsigned long long)rs[j].bytes);
	}
	da_ownership_free(fast);
	da_ownership_free(slow);
	da_machine_close(m);
	return 1;
}

static void test_spaces_match_flat(void **state)
{
	(void)state;
	size_t machines = committed_each(tmpdir, check_machine);
	print_message("%zu machines (%zu with striped spaces): %zu lookups, "
		      "%zu cells (%zu estimated), %zu ranges compared\n",
		      machines, striped, lookups, cells, estimated, ranges);
	assert_true(striped >= 3);
}

/* md arrays made here by tests/images/mdraid.py in every striped level
 * and layout, holding an ext4 made by mkfs.ext4 -d (files to find), and
 * each parity level again without a member (degraded: its lost chunks
 * are on no disk). */
static void test_generated_arrays(void **state)
{
	(void)state;
	static const struct {
		const char *name, *args;
		int n, without;
	} arrays[] = {
		{ "raid0", "--level 0 --chunk 65536", 3, -1 },
		{ "raid0-zones", "--level 0 --chunk 65536 --layout 2", 3, -1 },
		{ "raid4", "--level 4 --layout 5 --chunk 65536", 3, 1 },
		{ "raid5-0", "--level 5 --layout 0 --chunk 65536", 4, 0 },
		{ "raid5-1", "--level 5 --layout 1 --chunk 65536", 4, 1 },
		{ "raid5-2", "--level 5 --layout 2 --chunk 65536", 4, 2 },
		{ "raid5-3", "--level 5 --layout 3 --chunk 32768", 5, 3 },
		{ "raid5-4", "--level 5 --layout 4 --chunk 65536", 3, 0 },
		{ "raid5-5", "--level 5 --layout 5 --chunk 65536", 3, 2 },
		{ "raid6-2", "--level 6 --layout 2 --chunk 65536", 5, 3 },
		{ "raid6-0", "--level 6 --layout 0 --chunk 65536", 6, 0 },
		{ "raid6-18", "--level 6 --layout 18 --chunk 65536", 5, 4 },
		{ "raid6-16", "--level 6 --layout 16 --chunk 32768", 5, 1 },
		{ "raid6-20", "--level 6 --layout 20 --chunk 65536", 4, 2 },
		/* RAID10: near, far, offset, over even and odd counts, three
		 * copies, near and far together, far sets */
		{ "raid10-n2", "--level 10 --layout 258 --chunk 65536", 4, 1 },
		{ "raid10-n2-odd", "--level 10 --layout 258 --chunk 65536", 3, 0 },
		{ "raid10-f2", "--level 10 --layout 513 --chunk 65536", 4, 3 },
		{ "raid10-f2-odd", "--level 10 --layout 513 --chunk 65536", 3, 2 },
		{ "raid10-o2", "--level 10 --layout 66049 --chunk 65536", 3, 0 },
		{ "raid10-n3", "--level 10 --layout 259 --chunk 65536", 5, 2 },
		{ "raid10-f3", "--level 10 --layout 769 --chunk 65536", 4, 1 },
		{ "raid10-o3", "--level 10 --layout 66305 --chunk 32768", 4, 2 },
		{ "raid10-n2f2", "--level 10 --layout 514 --chunk 65536", 5, 4 },
		{ "raid10-n2o2", "--level 10 --layout 66050 --chunk 65536", 4, 3 },
		{ "raid10-f2-sets", "--level 10 --layout 262657 --chunk 65536", 5, 4 },
		{ "raid10-f2-sets1", "--level 10 --layout 131585 --chunk 65536", 5, 1 },
		{ "raid10-o2-sets", "--level 10 --layout 328193 --chunk 65536", 5, 0 },
		{ "raid10-f3-sets", "--level 10 --layout 262913 --chunk 65536", 7, -1 },
	};
	char cmd[2048], dir[128];
	snprintf(dir, sizeof(dir), "%s/gen", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/files/a/b && "
		 "seq 1 40000 >%s/files/a/numbers && "
		 "head -c 300000 /dev/urandom >%s/files/a/b/noise && "
		 "truncate -s 7M %s/data && "
		 "mkfs.ext4 -q -F -b 1024 -d %s/files %s/data", dir, dir, dir,
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	size_t before = striped;
	for (size_t a = 0; a < sizeof(arrays) / sizeof(*arrays); a++) {
		char paths[8][192];
		const char *specs[8];
		assert_true(arrays[a].n <= 8);
		int n = arrays[a].n;
		size_t l = (size_t)snprintf(cmd, sizeof(cmd),
			"python3 tests/images/mdraid.py --data %s/data "
			"--uuid 0123456789abcdef0011223344556677 --name t:%s %s",
			dir, arrays[a].name, arrays[a].args);
		for (int i = 0; i < n; i++) {
			snprintf(paths[i], sizeof(paths[i]), "%s/%s-%d.img",
				 dir, arrays[a].name, i);
			char t[256];
			/* unequal members make RAID0 zones */
			snprintf(t, sizeof(t), "truncate -s %dM %s", 4 + (a == 1) * i * 2,
				 paths[i]);
			assert_int_equal(system(t), 0);
			l += (size_t)snprintf(cmd + l, sizeof(cmd) - l, " %s",
					      paths[i]);
			specs[i] = paths[i];
		}
		assert_int_equal(system(cmd), 0);
		check_machine(arrays[a].name, specs, (size_t)n);
		if (arrays[a].without >= 0) {
			const char *rest[8];
			int k = 0;
			for (int i = 0; i < n; i++)
				if (i != arrays[a].without)
					rest[k++] = specs[i];
			check_machine(arrays[a].name, rest, (size_t)k);
		}
		for (int i = 0; i < n; i++)
			unlink(paths[i]);
	}
	/* every one of them made a striped space */
	assert_int_equal(striped - before, 28 + 25);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	print_message("%zu lookups, %zu cells (%zu estimated), %zu ranges "
		      "compared in all\n", lookups, cells, estimated, ranges);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-stripes.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spaces_match_flat),
		cmocka_unit_test(test_generated_arrays),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return r;
}
