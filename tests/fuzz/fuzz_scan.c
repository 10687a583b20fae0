/* libFuzzer target: the whole engine on one hostile disk image — scan,
 * ownership, file indexes, lookups, list and map.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diskatlas.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* qcow2 is read by our own code; the formats served by qemu-nbd
	 * are not ours to fuzz (and would start a process per input) */
	struct da_disk_spec spec = {
		"fuzz", path,
		size >= 4 && !memcmp(data, "QFI\xfb", 4) ? "qcow2" : "raw" };
	da_error err;
	struct da_machine *m = da_machine_open_disks("fuzz", &spec, 1, &err);
	if (m) {
		da_machine_scan(m);
		FILE *null = fopen("/dev/null", "w");
		da_report_list(null, m, true);
		struct da_ownership *o = da_ownership_build(m, &err);
		if (o) {
			da_machine_build_indexes(m);
			/* text and JSON: the escaping of hostile names too */
			da_report_list(null, m, false);
			for (size_t d = 0; d < m->ndisks; d++)
				for (uint64_t off = 0; off < size &&
				     off < m->disks[d].dev->size; off += 509)
					da_report_lookup(null, o, m, d, off,
							 (off / 509) % 2 == 0, "fuzz");
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
			da_ownership_free(o);
		}
		fclose(null);
	}
	da_machine_close(m);
	close(fd);
	return 0;
}
