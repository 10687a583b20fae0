/* The units people count a format in (an ext block group, a FAT, exFAT
 * or NTFS cluster, an LVM physical extent): what a teacher writes on the
 * board beside a byte offset.  From the node's props, and for ext from
 * its superblock (blocks per group is not among its props).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "diskatlas.h"
#include "util.h"

static int64_t int_prop(const struct da_node *n, const char *key)
{
	const struct da_value *v = n->props ? da_obj_get(n->props, key) : NULL;
	return v && v->type == DA_V_INT ? v->u.i : -1;
}

/* ext: the superblock's geometry, every value checked before use */
static int ext_group(const struct da_node *n, uint64_t off,
		     struct da_unit_at *out)
{
	uint8_t sb[1024];
	if (!n->dev || da_device_read(n->dev, sb, sizeof(sb), 1024, NULL) < 0)
		return -1;
	if (le16(sb + 56) != 0xEF53)
		return -1;
	uint32_t first = le32(sb + 20), log = le32(sb + 24);
	uint32_t bpg = le32(sb + 32);
	if (log > 6 || bpg == 0)
		return -1;
	uint64_t bs = 1024ull << log, b = off / bs;
	if (b < first)
		return -1;
	out->name = "group";
	out->number = (int64_t)((b - first) / bpg);
	out->size = (uint64_t)bpg * bs;
	out->offset = (b - first) % bpg * bs + off % bs;
	return 0;
}

int da_node_unit(const struct da_node *n, uint64_t off, struct da_unit_at *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return -1;
	const char *plugin = n->plugin ? n->plugin->name : "";
	if (n->type == DA_NODE_LVM2_PV) {
		int64_t start = int_prop(n, "pe_start");
		int64_t size = int_prop(n, "pe_size");
		if (start < 0 || size <= 0 || off < (uint64_t)start)
			return -1;
		out->name = "PE";
		out->number = (int64_t)((off - (uint64_t)start) /
					(uint64_t)size);
		out->size = (uint64_t)size;
		out->offset = (off - (uint64_t)start) % (uint64_t)size;
		return 0;
	}
	if (n->type != DA_NODE_FILESYSTEM)
		return -1;
	if (!strcmp(plugin, "ext"))
		return ext_group(n, off, out);
	int64_t cs = int_prop(n, "cluster_size");
	if (cs <= 0)
		return -1;
	/* FAT and exFAT number the clusters of the data area from 2 */
	int64_t data = 0, first = 0;
	if (!strcmp(plugin, "fat") || !strcmp(plugin, "exfat")) {
		data = int_prop(n, "data_start");
		first = 2;
	} else if (strcmp(plugin, "ntfs")) {
		return -1;
	}
	if (data < 0 || off < (uint64_t)data)
		return -1;
	out->name = "cluster";
	out->number = first + (int64_t)((off - (uint64_t)data) / (uint64_t)cs);
	out->size = (uint64_t)cs;
	out->offset = (off - (uint64_t)data) % (uint64_t)cs;
	return 0;
}
