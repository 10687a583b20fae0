/* libFuzzer target: the whole engine on one hostile disk image — scan,
 * ownership, file indexes, lookups (of offsets and of ranges), list,
 * map and search.
 *
 * Two things make the seeds reach further than one image alone would:
 *  - a fixed passphrase (FUZZ_KEY) is offered to every LUKS volume, so
 *    seeds made with it are unlocked and their payload decrypted, when
 *    the key slots cost little to try (a mutated iteration count must
 *    not turn one input into minutes of PBKDF2);
 *  - a copy of a qcow2 input is open as file descriptor FUZZ_COPY_FD, so
 *    a seed whose backing file is named "200" (relative to the image's
 *    directory, /proc/self/fd) has a backing file to read, as raw or as
 *    qcow2; the copy names no backing file of its own (its header's
 *    backing offset and length are zeroed), so the chain ends there.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diskatlas.h"
#include "fileindex.h"
#include "fs/ext.h"
#include "vol/luks.h"

extern const struct da_plugin da_plugin_ext;

#define FUZZ_KEY "fuzz-seed"
#define FUZZ_COPY_FD 200
/* the KDF work a LUKS volume may ask before the key is offered */
#define MAX_ITERATIONS 20000
#define MAX_MEMORY_KIB 65536

/* the units the side pane counts in (an ext group from the superblock,
 * a PE, a cluster), at a few offsets of every node */
static void units(struct da_node *n, void *arg)
{
	(void)arg;
	struct da_unit_at u;
	uint64_t size = n->dev ? n->dev->size : 0;
	uint64_t at[] = { 0, 1024, size / 2, size ? size - 1 : 0, UINT64_MAX };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		da_node_unit(n, at[i], &u);
}

/* what the explorer's side pane and map ask a filesystem or volume:
 * used/free/metadata of ranges (whole, halves, a block, past the end),
 * the roles of those ranges, the role of single blocks, the next and
 * previous extent of a file */
static void usage(struct da_node *n, void *arg)
{
	(void)arg;
	if (!n->plugin || !n->dev)
		return;
	uint64_t size = n->dev->size;
	uint64_t r[][2] = { { 0, size }, { 0, size / 2 }, { size / 2, size },
			    { size / 3, 4096 }, { 1024, 1 },
			    { size ? size - 1 : 0, 1 }, { size, 4096 },
			    { UINT64_MAX - 10, 100 } };
	struct da_usage u;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (n->plugin->usage)
			n->plugin->usage(n, r[i][0], r[i][1], &u);
		if (n->plugin->meta_role)
			n->plugin->meta_role(n, r[i][0]);
		struct da_role_bytes rb[DA_RANGE_MAX_ROLES];
		if (n->plugin->range_roles)
			n->plugin->range_roles(n, r[i][0], r[i][1], rb,
					       DA_RANGE_MAX_ROLES);
		da_fs_next_extent(n, r[i][0], 1);
		da_fs_next_extent(n, r[i][0], -1);
	}
	/* ext: the placement model against the table it replaces (bounded:
	 * the old table is made for at most 2^22 blocks).  On damaged
	 * descriptors the two may disagree: that is printed, not fatal. */
	if (n->plugin == &da_plugin_ext && n->priv &&
	    ((struct ext_priv *)n->priv)->nblocks <= 1u << 22) {
		char why[256];
		if (ext_meta_crosscheck(n->priv, 1u << 22, why, sizeof(why)) < 0)
			fprintf(stderr, "ext placement model: %s\n", why);
	}
}

/* what the side pane asks of a cell and --lookup START-END of a range:
 * every owner, role and file of [off, off+len) of a space, and a file's
 * path */
static void range_of(const struct da_ownership *o, struct da_device *dev,
		     uint64_t off, uint64_t len, FILE *out, bool json)
{
	struct da_where w = { dev, dev->name, off, len, true };
	da_report_range(out, o, NULL, "fuzz", &w, json);
	struct da_range *r = da_range_scan(o, dev, off, len, DA_RANGE_FILES);
	if (r) {
		char path[1024];
		for (size_t i = 0; i < r->nfiles && i < 4; i++)
			da_range_file_path(&r->files[i], path, sizeof(path));
		da_range_free(r);
	}
}

static void count_place(void *arg, struct da_device *to, uint64_t from_off,
			uint64_t to_off, uint64_t len)
{
	(void)to;
	(void)from_off;
	(void)to_off;
	*(uint64_t *)arg += len;
}

/* a space's ranges (whole, a cell, a sector, the last byte, the second
 * half), and where it lies on the disks (what the search places) */
static void spaces(const struct da_ownership *o, struct da_device *dev,
		   FILE *out)
{
	uint64_t size = dev->size;
	if (size == 0)
		return;
	uint64_t r[][2] = { { 0, size }, { size / 3, 4096 }, { 0, 512 },
			    { size - 1, 1 }, { size / 2, size - size / 2 } };
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t len = r[i][1];
		if (r[i][0] + len > size)
			len = size - r[i][0];
		if (len)
			range_of(o, dev, r[i][0], len, out, i % 2 == 0);
	}
	uint64_t placed = 0;
	da_space_place(dev, 0, size, NULL, 64, count_place, &placed);
}

struct node_ranges {
	const struct da_ownership *o;
	FILE *out;
	int left;                  /* filesystems still to ask */
};

/* a filesystem's own space (the explorer's view inside it) and the
 * search over its names; a few filesystems an input (nested tables make
 * thousands of nodes, each walk a whole stack: the harness's time, not
 * one question's) */
static void node_ranges(struct da_node *n, void *arg)
{
	struct node_ranges *a = arg;
	if (!n->plugin || !n->dev || n->type != DA_NODE_FILESYSTEM ||
	    a->left <= 0)
		return;
	a->left--;
	spaces(a->o, n->dev, a->out);
	static const char *const patterns[] = { "/", "a", "*", "*[a-z]?",
						"\xff" };
	char path[256];
	uint64_t first;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		da_fs_find(n, patterns[i], &first, path, sizeof(path));
}

/* what the explorer's first frames ask of a node not settled yet */
static void unsettled(struct da_node *n, void *arg)
{
	(void)arg;
	if (!n->plugin || !n->dev)
		return;
	uint64_t size = n->dev->size;
	for (uint64_t off = 0; off < size; off += size / 3 + 1) {
		struct da_usage u = { 0 };
		struct da_block_info info;
		if (n->plugin->usage)
			n->plugin->usage(n, off, size - off, &u);
		if (n->plugin->meta_role)
			n->plugin->meta_role(n, off);
		da_block_info_init(&info);
		if (n->plugin->describe_block)
			n->plugin->describe_block(n, off, &info);
	}
}

/* the LUKS volumes of the machine whose key slots cost little to try */
struct kdf_check {
	bool cheap;
};

static void kdf_cost(struct da_node *n, void *arg)
{
	struct kdf_check *c = arg;
	if (n->plugin != &da_plugin_luks || !n->priv)
		return;
	const struct luks_meta *m = &((struct luks_priv *)n->priv)->meta;
	for (int i = 0; i < m->nslots && i < LUKS_MAX_SLOTS; i++)
		if (m->slots[i].iterations > MAX_ITERATIONS ||
		    m->slots[i].memory > MAX_MEMORY_KIB)
			c->cheap = false;
	for (int i = 0; i < m->ndigests && i < LUKS_MAX_DIGESTS; i++)
		if (m->digests[i].iterations > MAX_ITERATIONS)
			c->cheap = false;
}

static int key(void *arg, const char *volume, char *buf, size_t max)
{
	(void)volume;
	struct kdf_check c = { true };
	da_machine_each_node(arg, kdf_cost, &c);
	if (!c.cheap || max < sizeof(FUZZ_KEY))
		return -1;
	memcpy(buf, FUZZ_KEY, sizeof(FUZZ_KEY) - 1);
	return (int)sizeof(FUZZ_KEY) - 1;
}

static int memfd_of(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd >= 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Half the inputs as a sparse image: every 4 KiB page of zeros a hole,
 * so that the hole maps (SEEK_DATA over the image file) and the cells
 * that show never-written bytes meet hostile structures too. */
static void punch_zero_pages(int fd, const uint8_t *data, size_t size)
{
	static const uint8_t zero[4096];
	for (size_t off = 0; off + sizeof(zero) <= size; off += sizeof(zero))
		if (!memcmp(data + off, zero, sizeof(zero)))
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)off, sizeof(zero));
}

/* the backing file of a qcow2 input: a copy without a backing file name
 * (bytes 8-19 of the header: its offset and length) */
static void backing_copy(const uint8_t *data, size_t size)
{
	int fd = memfd_of(data, size);
	if (fd < 0)
		return;
	static const uint8_t none[12];
	if (size >= 20 && pwrite(fd, none, sizeof(none), 8) != sizeof(none)) {
		close(fd);
		return;
	}
	dup2(fd, FUZZ_COPY_FD);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int fd = memfd_of(data, size);
	if (fd < 0)
		return 0;
	if (size / 2 % 2)
		punch_zero_pages(fd, data, size);
	bool qcow2 = size >= 4 && !memcmp(data, "QFI\xfb", 4);
	if (qcow2)
		backing_copy(data, size);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* qcow2 is read by our own code; the formats served by qemu-nbd
	 * are not ours to fuzz (and would start a process per input) */
	struct da_disk_spec spec = { "fuzz", path, qcow2 ? "qcow2" : "raw" };
	da_error err;
	struct da_machine *m = da_machine_open_disks("fuzz", &spec, 1, &err);
	if (m) {
		da_machine_set_key_source(m, key, m);
		/* half the inputs as the explorer scans: filesystems'
		 * settle after the ownership build and the first cells */
		m->defer_settle = size % 2 == 1;
		da_machine_scan(m);
		FILE *null = fopen("/dev/null", "w");
		da_report_list(null, m, true);
		struct da_ownership *o = da_ownership_build(m, &err);
		if (o) {
			if (m->defer_settle) {
				struct da_cell first;
				da_summarize_disk(o, 0, 0, size, &first);
				da_machine_each_node(m, unsettled, NULL);
			}
			da_machine_build_indexes(m);
			/* text and JSON: the escaping of hostile names too */
			da_report_list(null, m, false);
			for (size_t d = 0; d < m->ndisks; d++)
				for (uint64_t off = 0; off < size &&
				     off < m->disks[d].dev->size; off += 509)
					da_report_lookup(null, o, m, d, off,
							 (off / 509) % 2 == 0, "fuzz");
			/* a volume's bytes as --lookup NAME:OFF answers
			 * them: on a disk, or inside the space of a degraded
			 * array where they lie on its missing member */
			for (size_t v = 0; v < m->nvolumes && v < 8; v++) {
				struct da_device *vd = m->volumes[v].dev;
				for (uint64_t off = 0; vd && off < vd->size &&
				     off < 64 * 4099; off += 4099) {
					struct da_where w = { .dev = vd,
						.name = m->volumes[v].name,
						.off = off, .len = 1 };
					size_t d;
					uint64_t doff;
					if (da_where_locate(o, "fuzz", &w, &d, &doff,
							    &err) >= 0)
						da_report_lookup(null, o, m, d, doff,
								 off % 2 == 0, "fuzz");
				}
			}
			da_report_map(null, o, m, 0, 16, 4, true);
			/* what the explorer's cells ask: fullness of a disk
			 * at a few zooms, and of every volume as a whole */
			struct da_cell cell;
			for (uint64_t cells = 1; cells <= 4096; cells *= 64)
				for (uint64_t c = 0; c < cells; c++)
					da_summarize_disk(o, 0, c * (size / cells),
							  size / cells + 1, &cell);
			for (size_t v = 0; v < m->nvolumes; v++)
				if (m->volumes[v].dev)
					da_summarize_space(o, m->volumes[v].dev, 0,
							   m->volumes[v].dev->size,
							   &cell);
			da_machine_each_node(m, units, NULL);
			da_machine_each_node(m, usage, NULL);
			for (size_t d = 0; d < m->ndisks; d++)
				spaces(o, m->disks[d].dev, null);
			for (size_t v = 0; v < m->nvolumes && v < 8; v++)
				if (m->volumes[v].dev)
					spaces(o, m->volumes[v].dev, null);
			struct node_ranges nr = { o, null, 8 };
			da_machine_each_node(m, node_ranges, &nr);
			da_ownership_free(o);
		}
		fclose(null);
	}
	da_machine_close(m);
	if (qcow2)
		close(FUZZ_COPY_FD);
	close(fd);
	return 0;
}
