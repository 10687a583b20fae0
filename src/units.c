/* The units people count a format in (an ext block group, a FAT, exFAT
 * or NTFS cluster, an LVM physical extent): what a teacher writes on the
 * board beside a byte offset.  From the node's props.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "diskatlas.h"
#include "util.h"

static int64_t int_prop(const struct da_node *n, const char *key)
{
	const struct da_value *v = n->props ? da_obj_get(n->props, key) : NULL;
	return v && v->type == DA_V_INT ? v->u.i : -1;
}

/* ext: block groups from the geometry the plugin recorded (the values
 * dumpe2fs calls Block size, Blocks per group and First block) */
static int ext_group(const struct da_node *n, uint64_t off,
		     struct da_unit_at *out)
{
	int64_t bs = int_prop(n, "block_size");
	int64_t bpg = int_prop(n, "blocks_per_group");
	int64_t first = int_prop(n, "first_data_block");
	if (bs <= 0 || bpg <= 0 || first < 0)
		return -1;
	uint64_t b = off / (uint64_t)bs;
	if (b < (uint64_t)first)
		return -1;
	b -= (uint64_t)first;
	out->name = "group";
	out->number = (int64_t)(b / (uint64_t)bpg);
	out->size = (uint64_t)bpg * (uint64_t)bs;
	out->offset = b % (uint64_t)bpg * (uint64_t)bs + off % (uint64_t)bs;
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
		int64_t count = int_prop(n, "pe_count");
		if (start < 0 || size <= 0 || off < (uint64_t)start)
			return -1;
		/* the padding after the last extent is in none */
		if (count >= 0 &&
		    (off - (uint64_t)start) / (uint64_t)size >= (uint64_t)count)
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
