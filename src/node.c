/* Scan-tree nodes: what a plugin found on a device.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex.h"
#include "util.h"

/* No node may hold more than this many regions or slots: bounds what a
 * hostile table can make us allocate. */
#define MAX_REGIONS (1u << 22)
#define MAX_SLOTS 65536u

const char *da_node_type_name(enum da_node_type t)
{
	switch (t) {
	case DA_NODE_EMPTY: return "empty";
	case DA_NODE_UNKNOWN: return "unknown";
	case DA_NODE_PARTITIONS: return "partitions";
	case DA_NODE_FILESYSTEM: return "filesystem";
	case DA_NODE_LVM2_PV: return "lvm2_pv";
	case DA_NODE_MD_MEMBER: return "md_member";
	case DA_NODE_LUKS: return "luks";
	case DA_NODE_SWAP: return "swap";
	case DA_NODE_IMAGE: return "image";
	}
	return "unknown";
}

struct da_node *da_node_new(enum da_node_type type,
			    const struct da_plugin *plugin,
			    struct da_device *dev)
{
	struct da_node *n = da_xcalloc(1, sizeof(*n));
	n->type = type;
	n->plugin = plugin;
	n->dev = dev ? da_device_ref(dev) : NULL;
	n->props = da_obj_new();
	return n;
}

int da_node_set_block_size(struct da_node *n, uint32_t block_size)
{
	/* a filesystem on a whole disk gets a space of its own all the
	 * same, as one in a partition has: the explorer enters it */
	if (!n->dev || (n->dev->block_size == block_size && !n->dev->is_disk))
		return 0;
	struct da_device *ov = da_blocksize_overlay_new(n->dev, block_size,
							NULL);
	if (!ov)
		return -1;
	da_device_unref(n->dev);   /* the overlay holds its parent */
	n->dev = ov;
	return 0;
}

int da_node_add_region(struct da_node *n, uint64_t start, uint64_t len,
		       const char *role, int slot)
{
	if (!len)
		return 0;
	if (n->nregions >= MAX_REGIONS)
		return -1;
	/* capacity: 4, then doubled whenever the count reaches a power of 2 */
	size_t k = n->nregions;
	if (k == 0 || (k >= 4 && (k & (k - 1)) == 0)) {
		size_t cap = k ? k * 2 : 4;
		struct da_region *r = realloc(n->regions, cap * sizeof(*r));
		if (!r)
			return -1;
		n->regions = r;
	}
	n->regions[n->nregions++] = (struct da_region){ start, len, role, slot };
	return 0;
}

struct da_slot *da_node_add_slot(struct da_node *n, const char *kind,
				 struct da_value *props, struct da_device *dev)
{
	if (n->nslots >= MAX_SLOTS) {
		da_value_free(props);
		if (dev)
			da_device_unref(dev);
		return NULL;
	}
	struct da_slot *s = realloc(n->slots, (n->nslots + 1) * sizeof(*s));
	if (!s)
		da_out_of_memory();
	n->slots = s;
	s = &n->slots[n->nslots++];
	memset(s, 0, sizeof(*s));
	s->props = props ? props : da_obj_new();
	s->dev = dev;
	s->kind = da_strdup(kind ? kind : "partition");
	return s;
}

void da_node_set_reason(struct da_node *n, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(n->reason);
	n->reason = da_strdup(buf);
}

void da_warn(struct da_node *n, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct da_value *w = da_obj_get(n->props, "warnings");
	if (!w) {
		w = da_arr_new();
		da_obj_set(n->props, "warnings", w);
	}
	if (w->u.c.n >= 32)
		return;
	for (size_t i = 0; i < w->u.c.n; i++)
		if (w->u.c.v[i]->type == DA_V_STR &&
		    strcmp(w->u.c.v[i]->u.s, buf) == 0)
			return;         /* said already (scan, then assembly) */
	da_arr_push(w, da_str_new(buf));
	if (!n->reason)
		da_node_set_reason(n, "%s", buf);
	da_trace("%s: %s: %s", n->plugin ? n->plugin->name : "scan",
		 n->dev ? n->dev->name : "?", buf);
}

void da_node_fill_space(struct da_node *n, uint64_t clusters, uint64_t free,
			uint64_t unit)
{
	if (free > clusters)
		free = clusters;
	da_obj_fill_int(n->props, "free_clusters", (int64_t)free);
	da_obj_fill_int(n->props, "used", (int64_t)((clusters - free) * unit));
	da_obj_fill_int(n->props, "free", (int64_t)(free * unit));
}

void da_node_free(struct da_node *n)
{
	if (!n)
		return;
	if (n->plugin && n->plugin->free)
		n->plugin->free(n);
	da_fi_node_free(n);
	for (size_t i = 0; i < n->nslots; i++) {
		struct da_slot *s = &n->slots[i];
		da_node_free(s->content);
		if (s->dev)
			da_device_unref(s->dev);
		da_value_free(s->props);
		free(s->kind);
	}
	free(n->slots);
	free(n->regions);
	da_value_free(n->props);
	free(n->reason);
	if (n->dev)
		da_device_unref(n->dev);
	free(n);
}

uint64_t da_usage_start(const struct da_node *n, uint64_t off, uint64_t len,
			struct da_usage *out)
{
	out->used = out->free = out->metadata = 0;
	uint64_t end = off + len;
	if (end < off || end > n->dev->size)
		end = n->dev->size;
	return end;
}

void da_usage_below(uint64_t *bytes, uint64_t *off, uint64_t end,
		    uint64_t limit)
{
	if (*off >= end || *off >= limit)
		return;
	uint64_t e = end < limit ? end : limit;
	*bytes += e - *off;
	*off = e;
}

void da_usage_heap(struct da_usage *out, uint64_t off, uint64_t end,
		   uint64_t heap_off, uint64_t heap_end,
		   const struct da_bitmap *used, uint64_t cs)
{
	if (off < end && off < heap_end) {
		uint64_t e = end < heap_end ? end : heap_end;
		if (!used) {
			out->pending += e - off;
		} else {
			uint64_t u = da_bitmap_bytes_set(used, off - heap_off,
							 e - off, cs);
			out->used += u;
			out->free += (e - off) - u;
		}
		off = e;
	}
	if (off < end)
		out->free += end - off;
}
