/* The ownership index: for every disk, a sorted array of segments that
 * covers every byte with no gaps and no overlaps, each with the chain of
 * owners that claim it (outermost first) and each owner's offset.
 *
 * Built in three steps: every owner (a node's regions, a slot's device, a
 * volume) is a claim on a range of its own address space; each claim is
 * walked down to the disks in runs with contiguous/map_block; then a sweep
 * over each disk's claims cuts it into segments.  Claimants at the same
 * depth that overlap are a conflict: all of them stay in the segment.
 *
 * A striped device (stripes, parity RAID: ops->member and ops->unmap)
 * would cut every claim above it into a run a chunk.  The walk stops
 * there instead: such a device gets an index of its own address space,
 * after the disks', and each of its members one claim on the disks that
 * leads into it (da_claim.through), followed with the device's unmap.
 * Lookups in the index are ownership_lookup.c's.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ownership_priv.h"
#include "util.h"

/* Room for one more of n items in *p (capacity *cap), doubling. */
static bool grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp;
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 16;
	void *q = c > SIZE_MAX / size ? NULL : realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

static const char *keep(struct da_ownership *o, char *s)
{
	if (!grow(&o->strings, &o->capstrings, o->nstrings, sizeof(char *))) {
		free(s);
		o->nomem = true;
		return "?";
	}
	o->strings[o->nstrings++] = s;
	return s;
}

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
	return (size_t)(x ^ x >> 29);
}

static const char *str_prop(const struct da_value *props, const char *key)
{
	struct da_value *v = da_obj_get(props, key);
	return v && v->type == DA_V_STR && v->u.s[0] ? v->u.s : NULL;
}

static const char *node_kind(const struct da_node *n)
{
	switch (n->type) {
	case DA_NODE_PARTITIONS: return "partition_table";
	case DA_NODE_FILESYSTEM: return "filesystem";
	case DA_NODE_SWAP: return "swap";
	case DA_NODE_LVM2_PV: return "lvm2_pv";
	case DA_NODE_MD_MEMBER: return "md_member";
	case DA_NODE_LUKS: return "luks";
	case DA_NODE_EMPTY: return "empty";
	case DA_NODE_UNKNOWN: return "unknown";
	case DA_NODE_IMAGE: return "image";
	}
	return "unknown";
}

/* The name an owner goes by in lookups and the legend. */
static const char *node_name(struct da_ownership *o, const struct da_node *n)
{
	(void)o;
	const char *s;
	switch (n->type) {
	case DA_NODE_PARTITIONS:
		s = str_prop(n->props, "scheme");
		return s ? s : "partitions";
	case DA_NODE_FILESYSTEM:
	case DA_NODE_SWAP:
		s = str_prop(n->props, "label");
		if (s)
			return s;
		s = str_prop(n->props, "fstype");
		return s ? s : node_kind(n);
	case DA_NODE_LVM2_PV:
		return n->dev ? n->dev->name : "lvm2_pv";
	case DA_NODE_MD_MEMBER:
		return n->dev ? n->dev->name : "md_member";
	case DA_NODE_LUKS:
		return n->dev ? n->dev->name : "luks";
	case DA_NODE_UNKNOWN:
		s = str_prop(n->props, "signature");
		return s ? s : "unknown";
	case DA_NODE_IMAGE:
		s = str_prop(n->props, "format");
		return s ? s : "image";
	default:
		return node_kind(n);
	}
}

int ownership_disk_of(const struct da_ownership *o,
		      const struct da_device *dev)
{
	for (size_t i = 0; i < o->m->ndisks; i++)
		if (o->m->disks[i].dev == dev)
			return (int)i;
	return -1;
}

static void add_raw(struct da_ownership *o, int d, uint64_t start,
		    uint64_t len, uint64_t owner_start,
		    uint32_t tpl, bool copy)
{
	struct disk_index *di = &o->disks[d];
	uint64_t size = di->dev->size;
	if (start >= size || !len)
		return;
	if (len > size - start)
		len = size - start;
	if (o->total_raw >= MAX_RAW_CLAIMS) {
		o->overflow = true;
		return;
	}
	if (di->nraw == di->capraw) {
		size_t cap = di->capraw ? di->capraw * 2 : 64;
		struct raw_claim *r = realloc(di->raw, cap * sizeof(*r));
		if (!r) {
			o->overflow = true;
			return;
		}
		di->raw = r;
		di->capraw = cap;
	}
	/* seq fits its 31 bits: there are at most MAX_RAW_CLAIMS */
	di->raw[di->nraw++] = (struct raw_claim){ start, len, owner_start, tpl,
						  o->seq++, copy };
	o->total_raw++;
}

static int space_index(struct da_ownership *o, struct da_device *dev,
		       int level);

/* Walk [off, off+len) of dev down to the disks, one linear run at a time,
 * or down to a striped space.  copy: the walk went through a mirror's
 * second or later copy. */
static void map_down(struct da_ownership *o, struct da_device *dev,
		     uint64_t off, uint64_t len, uint64_t owner_off,
		     uint32_t tpl, int level, bool copy)
{
	if (level > 32 || o->overflow)
		return;
	if (!dev->is_disk && dev->ops->member && dev->ops->unmap && !o->flat) {
		int s = space_index(o, dev, level);
		if (s >= 0) {
			add_raw(o, s, off, len, owner_off, tpl, copy);
			return;
		}
	}
	if (dev->is_disk) {
		int d = ownership_disk_of(o, dev);
		if (d >= 0)
			add_raw(o, d, off, len, owner_off, tpl, copy);
		return;
	}
	while (len > 0 && off < dev->size && !o->overflow) {
		uint64_t c = da_device_contiguous(dev, off);
		if (c == 0)
			break;
		if (c > len)
			c = len;
		struct da_target t[MAX_TARGETS];
		int n = da_device_map_block(dev, off, t, MAX_TARGETS);
		if (n > MAX_TARGETS)
			n = MAX_TARGETS;
		if (n > 1)
			o->fans_out = true;
		for (int i = 0; i < n; i++)
			map_down(o, t[i].dev, t[i].offset, c, owner_off, tpl,
				 level + 1, copy || i > 0);
		off += c;
		owner_off += c;
		len -= c;
	}
}

/* A new claim template, or -1 (out of memory). */
static long new_tpl(struct da_ownership *o, struct claim_tpl t)
{
	if (o->ntpls >= UINT32_MAX ||
	    !grow(&o->tpls, &o->captpls, o->ntpls, sizeof(*o->tpls))) {
		o->nomem = true;
		return -1;
	}
	t.rid = -1;
	o->tpls[o->ntpls] = t;
	return (long)o->ntpls++;
}

static void claim(struct da_ownership *o, struct da_device *dev,
		  uint64_t start, uint64_t len, const char *kind,
		  const char *name, const char *role, struct da_node *node,
		  struct da_device *space, int depth)
{
	if (start >= dev->size)
		return;
	if (len > dev->size - start)
		len = dev->size - start;
	long t = new_tpl(o, (struct claim_tpl){
		.kind = kind, .name = name, .role = role, .node = node,
		.space = space, .depth = depth, .through = -1,
		.parity_rid = -1,
	});
	if (t >= 0)
		map_down(o, dev, start, len, start, (uint32_t)t, 0, false);
}

static void slot_put(struct dev_slot *t, size_t cap, struct da_device *dev,
		     int v)
{
	for (size_t i = ptr_hash(dev) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (t[i].dev == dev)
			return;
		if (!t[i].dev) {
			t[i] = (struct dev_slot){ dev, v };
			return;
		}
	}
}

/* Note v for dev, unless dev has one already (the first one stays);
 * false when out of memory. */
static bool map_put(struct dev_map *m, struct da_device *dev, int v)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct dev_slot *t = calloc(cap, sizeof(*t));
		if (!t)
			return false;
		for (size_t i = 0; i < m->cap; i++)
			if (m->t[i].dev)
				slot_put(t, cap, m->t[i].dev, m->t[i].v);
		free(m->t);
		m->t = t;
		m->cap = cap;
	}
	m->n++;
	slot_put(m->t, m->cap, dev, v);
	return true;
}

/* dev's number, or -1. */
static int map_get(const struct dev_map *m, const struct da_device *dev)
{
	if (!m->cap)
		return -1;
	size_t k = m->cap - 1;
	for (size_t i = ptr_hash(dev) & k; m->t[i].dev; i = (i + 1) & k)
		if (m->t[i].dev == dev)
			return m->t[i].v;
	return -1;
}

static void note_depth(struct da_ownership *o, struct da_device *dev,
		       int depth)
{
	if (dev && !map_put(&o->depths, dev, depth))
		o->nomem = true;
}

static int depth_of(const struct da_ownership *o, const struct da_device *dev)
{
	return map_get(&o->depths, dev);
}

/* The depth of the deepest node under byte off of dev (dev's own first). */
static int depth_under(const struct da_ownership *o, struct da_device *dev,
		       uint64_t off)
{
	for (int level = 0; level < 32 && dev; level++) {
		int d = depth_of(o, dev);
		if (d >= 0)
			return d;
		struct da_target t[MAX_TARGETS];
		int n = da_device_map_block(dev, off, t, MAX_TARGETS);
		if (n <= 0)
			break;
		dev = t[0].dev;
		off = t[0].offset;
	}
	return 3;
}

int ownership_space_find(const struct da_ownership *o,
			 const struct da_device *dev)
{
	return map_get(&o->spaces, dev);
}

/* The index of striped device dev, made on first sight: a new index, and
 * on the disks one claim a member area that leads into it.  -1 when no
 * index can be had (the caller then walks the chunks). */
static int space_index(struct da_ownership *o, struct da_device *dev,
		       int level)
{
	int s = ownership_space_find(o, dev);
	if (s >= 0)
		return s;
	if (o->nindex >= INT32_MAX / 2 ||
	    !grow(&o->disks, &o->capindex, o->nindex, sizeof(*o->disks))) {
		o->nomem = true;
		return -1;
	}
	s = (int)o->nindex;
	if (!map_put(&o->spaces, dev, s)) {
		o->nomem = true;
		return -1;
	}
	o->nindex++;
	o->disks[s] = (struct disk_index){ .dev = dev };
	/* copies (RAID10): the most targets among the first chunks, since
	 * a missing member's copies are not targets */
	int k0 = 1;
	uint64_t step = da_device_contiguous(dev, 0);
	for (uint64_t off = 0, i = 0; i < 64 && step && off < dev->size;
	     i++, off += step) {
		struct da_target t0[MAX_TARGETS];
		int k = da_device_map_block(dev, off, t0, MAX_TARGETS);
		if (k > k0)
			k0 = k;
	}
	o->disks[s].copies = (size_t)k0;
	if (k0 > 1)
		o->fans_out = true;        /* copies: da_owners_copies asks */
	/* members past 1,024 are refused by the devices themselves */
	for (size_t i = 0; i < 1024; i++) {
		struct da_target at;
		uint64_t len = 0;
		int r = dev->ops->member(dev, i, &at, &len);
		if (r < 0)
			break;
		o->disks[s].members++;
		if (r == 0 || !at.dev || at.offset >= at.dev->size) {
			o->disks[s].missing++;
			continue;
		}
		struct da_unmapped u;
		if (!o->disks[s].chunk &&
		    dev->ops->unmap(dev, i, at.offset, len, &u) == 0) {
			o->disks[s].chunk = u.run;
			o->disks[s].period = u.period;
			o->disks[s].parity = u.data < len;
		}
		long t = new_tpl(o, (struct claim_tpl){
			.kind = "stripes", .name = dev->name, .space = dev,
			.depth = depth_under(o, at.dev, at.offset) + 1,
			.through = s, .member = (uint32_t)i, .parity_rid = -1,
		});
		if (t < 0)
			return s;
		if (len > at.dev->size - at.offset)
			len = at.dev->size - at.offset;
		map_down(o, at.dev, at.offset, len, at.offset, (uint32_t)t,
			 level + 1, false);
	}
	return s;
}

static const char *slot_name(struct da_ownership *o, struct da_slot *s,
			     size_t i)
{
	const char *nm = str_prop(s->props, "name");
	if (nm)
		return nm;
	return keep(o, da_asprintf("%s%zu", s->kind, i + 1));
}

static void emit_node(struct da_ownership *o, struct da_node *n, int depth)
{
	if (!n || depth > 64)
		return;
	n->depth = depth;
	note_depth(o, n->dev, depth);
	const char *kind = node_kind(n);
	const char *name = node_name(o, n);
	if (n->type != DA_NODE_EMPTY) {
		if (n->nregions == 0)
			claim(o, n->dev, 0, n->dev->size, kind, name, NULL, n,
			      n->dev, depth);
		for (size_t i = 0; i < n->nregions; i++) {
			const struct da_region *r = &n->regions[i];
			claim(o, n->dev, r->start, r->len, kind, name, r->role,
			      n, n->dev, depth);
		}
	}
	for (size_t i = 0; i < n->nslots; i++) {
		struct da_slot *s = &n->slots[i];
		if (!s->dev)
			continue;
		int sd = depth + 1 + (s->nest > 0 && s->nest < 8 ? s->nest : 0);
		claim(o, s->dev, 0, s->dev->size, s->kind, slot_name(o, s, i),
		      NULL, NULL, s->dev, sd);
		emit_node(o, s->content, sd + 1);
	}
}

/* An LV sits one level below the deepest node its first byte lands on. */
static int volume_depth(const struct da_ownership *o, struct da_device *dev)
{
	uint64_t off = 0;
	for (int level = 0; level < 32; level++) {
		struct da_target t[MAX_TARGETS];
		int n = da_device_map_block(dev, off, t, MAX_TARGETS);
		if (n <= 0)
			return 4;
		if (n > MAX_TARGETS)
			n = MAX_TARGETS;
		int best = -1;
		for (int i = 0; i < n; i++) {
			int d = depth_of(o, t[i].dev);
			if (d > best)
				best = d;
		}
		if (best >= 0)
			return best + 1;
		dev = t[0].dev;
		off = t[0].offset;
	}
	return 4;
}

static int cmp_raw_start(const void *a, const void *b)
{
	const struct raw_claim *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t str_hash(size_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static size_t region_hash(const char *kind, const char *name,
			  const char *role, const struct da_node *node)
{
	size_t h = ptr_hash(node) ^ 0xcbf29ce484222325ull;
	h = str_hash(h, kind);
	h = str_hash(h, name);
	return role ? str_hash(h, role) : h;
}

static bool region_is(const struct da_region_info *r, const char *kind,
		      const char *name, const char *role,
		      const struct da_node *node)
{
	return r->node == node && strcmp(r->kind, kind) == 0 &&
	       strcmp(r->name, name) == 0 &&
	       (r->role == role ||
		(r->role && role && strcmp(r->role, role) == 0));
}

static void rhash_put(int *t, size_t cap, size_t h, int id)
{
	size_t i = h & (cap - 1);
	while (t[i] >= 0)
		i = (i + 1) & (cap - 1);
	t[i] = id;
}

/* The id of a (kind, name, role, node), made on first sight: ids follow
 * the order the sweep meets them in (the map's letters and palette). */
static int region_id(struct da_ownership *o, const char *kind,
		     const char *name, const char *role, struct da_node *node)
{
	size_t h = region_hash(kind, name, role, node);
	if (o->caprhash) {
		size_t m = o->caprhash - 1;
		for (size_t i = h & m; o->rhash[i] >= 0; i = (i + 1) & m)
			if (region_is(&o->regions[o->rhash[i]], kind, name,
				      role, node))
				return o->rhash[i];
	}
	if (o->nregions >= INT32_MAX / 4 ||
	    !grow(&o->regions, &o->capregions, o->nregions,
		  sizeof(*o->regions))) {
		o->nomem = true;
		return -1;
	}
	if (2 * (o->nregions + 1) > o->caprhash) {
		size_t cap = o->caprhash ? o->caprhash * 2 : 64;
		int *t = malloc(cap * sizeof(*t));
		if (!t) {
			o->nomem = true;
			return -1;
		}
		memset(t, 0xff, cap * sizeof(*t));
		for (size_t i = 0; i < o->nregions; i++) {
			const struct da_region_info *r = &o->regions[i];
			rhash_put(t, cap, region_hash(r->kind, r->name,
						      r->role, r->node),
				  (int)i);
		}
		free(o->rhash);
		o->rhash = t;
		o->caprhash = cap;
	}
	rhash_put(o->rhash, o->caprhash, h, (int)o->nregions);
	struct da_region_info *r = &o->regions[o->nregions];
	*r = (struct da_region_info){ kind, name, role, node, 0, 0,
				      DA_RC_DATA, DA_FAM_DATA, NULL };
	if (node)
		r->fstype = str_prop(node->props, "fstype");
	const struct da_role_info *ri = da_role(da_role_by_name(role));
	if (ri) {
		r->cls = ri->cls;
		r->family = ri->family;
	} else if (!strcmp(kind, "swap")) {
		r->family = DA_FAM_OPAQUE;
	} else if (!strcmp(kind, "unknown") || !strcmp(kind, "empty")) {
		r->family = DA_FAM_BAD;
	}
	return (int)o->nregions++;
}

char da_region_letter(int id)
{
	static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	if (id < 0)
		return '.';
	return letters[id % (int)(sizeof(letters) - 1)];
}

/* Active claims sorted by depth, then by creation order. */
static bool active_before(const struct claim_tpl *t,
			  const struct raw_claim *x, const struct raw_claim *y)
{
	int dx = t[x->tpl].depth, dy = t[y->tpl].depth;
	return dx != dy ? dx < dy : x->seq < y->seq;
}

#define PRESENT_CHUNKS 65536

/* For a striped space with missing members: the chunks of one period
 * that are on a disk, as prefix counts. */
static void learn_present(struct disk_index *di)
{
	struct da_device *dev = di->dev;
	if (!di->missing || !di->chunk || !di->period)
		return;
	uint64_t n = di->period / di->chunk;
	if (di->period % di->chunk || n > PRESENT_CHUNKS ||
	    di->period > dev->size)
		return;
	di->present = malloc((n + 1) * sizeof(*di->present));
	di->mapped = malloc((n + 1) * sizeof(*di->mapped));
	if (!di->present || !di->mapped) {
		free(di->present);
		free(di->mapped);
		di->present = di->mapped = NULL;
		return;
	}
	di->present[0] = di->mapped[0] = 0;
	for (uint64_t k = 0; k < n; k++) {
		struct da_target t[MAX_TARGETS];
		int on = da_device_map_block(dev, k * di->chunk, t,
					     MAX_TARGETS);
		di->present[k + 1] = di->present[k] + (on > 0 ? (uint64_t)on : 0);
		di->mapped[k + 1] = di->mapped[k] + (on > 0);
	}
}

/* Bytes of [0, x) of a striped space that are on a disk, from table t
 * (present: a byte once a copy; mapped: once). */
static uint64_t below(const struct disk_index *di, const uint64_t *t,
		      uint64_t x)
{
	uint64_t n = di->period / di->chunk, in = x % di->period;
	uint64_t k = in / di->chunk;
	struct da_target tg[MAX_TARGETS];
	int on = in % di->chunk ? da_device_map_block(
		di->dev, x - in % di->chunk, tg, MAX_TARGETS) : 0;
	if (on > 1 && t == di->mapped)
		on = 1;
	uint64_t part = on > 0 ? in % di->chunk * (uint64_t)on : 0;
	return (x / di->period * t[n] + t[k]) * di->chunk + part;
}

static uint64_t present_below(const struct disk_index *di, uint64_t x)
{
	return below(di, di->present, x);
}

/* Of [s, e) of index di, the bytes on a disk, each once however many
 * copies of it there are. */
static uint64_t bytes_once(const struct disk_index *di, uint64_t s,
			   uint64_t e)
{
	if (!di->missing)
		return e - s;
	if (di->mapped)
		return below(di, di->mapped, e) - below(di, di->mapped, s);
	return (e - s) / di->members * (di->members - di->missing);
}

uint64_t da_ownership_mapped_bytes(const struct da_ownership *o, size_t d,
				   uint64_t off, uint64_t len)
{
	if (d >= o->nindex || d < o->ndisks)
		return len;
	return bytes_once(&o->disks[d], off, off + len);
}

/* Of [s, e) of index di, the bytes on a disk. */
static uint64_t bytes_on_disk(const struct disk_index *di, uint64_t s,
			      uint64_t e)
{
	if (!di->missing)
		return (e - s) * (di->copies ? di->copies : 1);
	if (di->present)
		return present_below(di, e) - present_below(di, s);
	return (e - s) / di->members * (di->members - di->missing) *
	       (di->copies ? di->copies : 1);
}

/* Bytes where a region is innermost: on_disk of them on the disks, once
 * of them in its owner's space (none when this run is a mirror's second
 * copy: the first one counted them).  A member's area of a striped space
 * counts its parity only: its data is counted in the space's index, and
 * the parity belongs to the claim under it (the member's own region). */
static void count_bytes(struct da_ownership *o, const struct da_claim *c,
			struct raw_claim *const *rc, size_t n, uint64_t len,
			uint64_t on_disk, uint64_t once)
{
	const struct da_claim *in = &c[n - 1];
	bool copy = rc[n - 1]->copy;
	if (in->through >= 0) {
		struct da_unmapped u;
		if (in->space->ops->unmap(in->space, in->member,
					  in->owner_start, len, &u) < 0)
			u.data = 0;
		len -= u.data < len ? u.data : len;
		if (!len)
			return;
		if (in->parity_region >= 0) {
			o->regions[in->parity_region].bytes += len;
			if (!copy)
				o->regions[in->parity_region].own_bytes += len;
			return;
		}
		if (n < 2)
			return;
		in = &c[n - 2];
		copy = rc[n - 2]->copy;
		on_disk = once = len;
	}
	if (in->region_id >= 0) {
		o->regions[in->region_id].bytes += on_disk;
		if (!copy)
			o->regions[in->region_id].own_bytes += once;
	}
}

/* One pass over the boundaries with the claims active in each piece:
 * counting (segs NULL: how many claims the segments will hold) or
 * writing them.  Counting first lets the claims be allocated once, at
 * their size: doubling them was the build's peak on a striped array. */
static size_t sweep_pass(struct da_ownership *o, struct disk_index *di,
			 const uint64_t *bounds, size_t nb,
			 struct raw_claim **active, bool write)
{
	size_t nactive = 0, next = 0, nclaims = 0;
	for (size_t b = 0; b + 1 < nb; b++) {
		uint64_t s = bounds[b], e = bounds[b + 1];
		/* drop claims that ended, add those that start here where
		 * they belong: the active list stays sorted by depth */
		size_t k = 0;
		for (size_t i = 0; i < nactive; i++)
			if (active[i]->start + active[i]->len > s)
				active[k++] = active[i];
		nactive = k;
		while (next < di->nraw && di->raw[next].start <= s) {
			struct raw_claim *r = &di->raw[next++];
			if (r->start + r->len <= s)
				continue;
			size_t lo = 0, hi = nactive;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (active_before(o->tpls, active[mid], r))
					lo = mid + 1;
				else
					hi = mid;
			}
			memmove(active + lo + 1, active + lo,
				(nactive - lo) * sizeof(*active));
			active[lo] = r;
			nactive++;
		}
		if (!write) {
			nclaims += nactive;
			continue;
		}
		struct da_segment *seg = &di->segs[di->nsegs++];
		seg->start = s;
		seg->len = e - s;
		seg->first = (uint32_t)di->nclaims;
		seg->count = (uint32_t)nactive;
		int same = 0;              /* claimants at this depth */
		for (size_t i = 0; i < nactive; i++) {
			const struct raw_claim *rc = active[i];
			struct claim_tpl *r = &o->tpls[rc->tpl];
			if (i == 0 ||
			    o->tpls[active[i - 1]->tpl].depth != r->depth) {
				size_t j = i + 1;
				while (j < nactive &&
				       o->tpls[active[j]->tpl].depth == r->depth)
					j++;
				same = (int)(j - i);
			}
			if (r->rid < 0)
				r->rid = region_id(o, r->kind, r->name, r->role,
						   r->node);
			/* a member's parity shows as the member's own
			 * "parity" region (the claim under it names it) */
			if (r->through >= 0 && r->parity_rid < 0 && i > 0 &&
			    o->disks[r->through].parity) {
				const struct claim_tpl *un =
					&o->tpls[active[i - 1]->tpl];
				r->parity_rid = region_id(o, un->kind, un->name,
							  "parity", un->node);
			}
			di->claims[di->nclaims++] = (struct da_claim){
				.kind = r->kind, .name = r->name,
				.role = r->role, .node = r->node,
				.space = r->space,
				.owner_start = rc->owner_start +
					       (s - rc->start),
				.depth = r->depth,
				.conflict = same > 1 ? same : 0,
				.region_id = r->rid,
				.through = r->through,
				.member = r->member,
				.parity_region = r->through >= 0 ? r->parity_rid
								  : -1,
			};
		}
		if (nactive)
			count_bytes(o, &di->claims[di->nclaims - nactive],
				    active, nactive, e - s,
				    bytes_on_disk(di, s, e),
				    bytes_once(di, s, e));
	}
	return write ? di->nclaims : nclaims;
}

static int sweep_disk(struct da_ownership *o, size_t d, da_error *err)
{
	struct disk_index *di = &o->disks[d];
	uint64_t size = di->dev->size;
	learn_present(di);
	da_sort(di->raw, di->nraw, sizeof(*di->raw), cmp_raw_start);

	size_t nb = 0;
	uint64_t *bounds = malloc((2 * di->nraw + 2) * sizeof(*bounds));
	struct raw_claim **active = malloc((di->nraw + 1) * sizeof(*active));
	if (!bounds || !active) {
		free(bounds);
		free(active);
		return da_error_set(err, ENOMEM, "%s: out of memory",
				    di->dev->name);
	}
	bounds[nb++] = 0;
	bounds[nb++] = size;
	for (size_t i = 0; i < di->nraw; i++) {
		bounds[nb++] = di->raw[i].start;
		bounds[nb++] = di->raw[i].start + di->raw[i].len;
	}
	da_sort(bounds, nb, sizeof(*bounds), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < nb; i++)
		if (bounds[i] <= size && (u == 0 || bounds[i] != bounds[u - 1]))
			bounds[u++] = bounds[i];
	nb = u;

	size_t nclaims = sweep_pass(o, di, bounds, nb, active, false);
	if (nclaims > UINT32_MAX) {
		free(bounds);
		free(active);
		return da_error_set(err, E2BIG, "%s: more than %u owner runs: "
				    "the ownership index would be too large",
				    di->dev->name, UINT32_MAX);
	}
	di->segs = malloc((nb ? nb : 1) * sizeof(*di->segs));
	di->claims = malloc((nclaims ? nclaims : 1) * sizeof(*di->claims));
	if (!di->segs || !di->claims) {
		free(bounds);
		free(active);
		return da_error_set(err, ENOMEM, "%s: out of memory",
				    di->dev->name);
	}
	sweep_pass(o, di, bounds, nb, active, true);
	free(bounds);
	free(active);
	free(di->raw);
	di->raw = NULL;
	di->nraw = di->capraw = 0;
	return 0;
}

/* Region ids in the order a walk over the disks meets them, going into a
 * striped space's index where its first member's area is met: the map's
 * letters and palette then follow the disks, as they did when striped
 * spaces were walked a chunk at a time. */
static void number_space(const struct da_ownership *o, size_t d, int *newid,
			 int *next, bool *seen, int level)
{
	const struct disk_index *di = &o->disks[d];
	if (seen[d] || level > 8)
		return;
	seen[d] = true;
	for (size_t i = 0; i < di->nclaims; i++) {
		const struct da_claim *c = &di->claims[i];
		/* a member's area never shows: its id comes last */
		if (c->region_id >= 0 && newid[c->region_id] < 0 &&
		    c->through < 0)
			newid[c->region_id] = (*next)++;
		if (c->through >= 0 && (size_t)c->through < o->nindex)
			number_space(o, (size_t)c->through, newid, next, seen,
				     level + 1);
	}
}

static int renumber_regions(struct da_ownership *o)
{
	if (o->nindex == o->ndisks || !o->nregions)
		return 0;
	int *newid = malloc(o->nregions * sizeof(*newid));
	bool *seen = calloc(o->nindex, sizeof(*seen));
	struct da_region_info *r = malloc(o->nregions * sizeof(*r));
	if (!newid || !seen || !r) {
		free(newid);
		free(seen);
		free(r);
		return -1;
	}
	memset(newid, 0xff, o->nregions * sizeof(*newid));
	int next = 0;
	for (size_t d = 0; d < o->nindex; d++)
		number_space(o, d, newid, &next, seen, 0);
	for (size_t i = 0; i < o->nregions; i++)
		if (newid[i] < 0)
			newid[i] = next++;
	for (size_t i = 0; i < o->nregions; i++)
		r[newid[i]] = o->regions[i];
	free(o->regions);
	o->regions = r;
	o->capregions = o->nregions;
	for (size_t d = 0; d < o->nindex; d++)
		for (size_t i = 0; i < o->disks[d].nclaims; i++) {
			int *id = &o->disks[d].claims[i].region_id;
			if (*id >= 0)
				*id = newid[*id];
			id = &o->disks[d].claims[i].parity_region;
			if (*id >= 0)
				*id = newid[*id];
		}
	/* the lookup hash is only needed while building */
	free(o->rhash);
	o->rhash = NULL;
	o->caprhash = 0;
	free(newid);
	free(seen);
	return 0;
}

static struct da_ownership *build(struct da_machine *m, bool flat,
				  da_error *err)
{
	struct da_ownership *o = da_xcalloc(1, sizeof(*o));
	o->m = m;
	o->flat = flat;
	o->ndisks = o->nindex = o->capindex = m->ndisks;
	o->disks = da_xcalloc(m->ndisks ? m->ndisks : 1, sizeof(*o->disks));
	for (size_t i = 0; i < m->ndisks; i++)
		o->disks[i].dev = m->disks[i].dev;

	for (size_t i = 0; i < m->ndisks; i++) {
		note_depth(o, m->disks[i].dev, 0);
		emit_node(o, m->disks[i].content, 0);
	}
	for (size_t i = 0; i < m->nvolumes; i++) {
		struct da_volume *v = &m->volumes[i];
		if (!v->dev)
			continue;
		int d = volume_depth(o, v->dev);
		claim(o, v->dev, 0, v->dev->size, v->kind, v->name, NULL, NULL,
		      v->dev, d);
		emit_node(o, v->content, d + 1);
	}
	if (o->nomem) {
		da_error_set(err, ENOMEM, "out of memory building the "
			     "ownership index");
		da_ownership_free(o);
		return NULL;
	}
	if (o->overflow) {
		da_error_set(err, E2BIG, "more than %u owner runs: the "
			     "ownership index would be too large",
			     MAX_RAW_CLAIMS);
		da_ownership_free(o);
		return NULL;
	}
	for (size_t d = 0; d < o->nindex; d++) {
		if (sweep_disk(o, d, err) < 0) {
			da_ownership_free(o);
			return NULL;
		}
		if (o->nomem) {
			da_error_set(err, ENOMEM, "out of memory building the "
				     "ownership index");
			da_ownership_free(o);
			return NULL;
		}
	}
	if (renumber_regions(o) < 0) {
		da_error_set(err, ENOMEM, "out of memory building the "
			     "ownership index");
		da_ownership_free(o);
		return NULL;
	}
	return o;
}

struct da_ownership *da_ownership_build(struct da_machine *m, da_error *err)
{
	return build(m, false, err);
}

struct da_ownership *da_ownership_build_flat(struct da_machine *m,
					     da_error *err)
{
	return build(m, true, err);
}

void da_ownership_free(struct da_ownership *o)
{
	if (!o)
		return;
	for (size_t d = 0; d < o->nindex; d++) {
		free(o->disks[d].segs);
		free(o->disks[d].claims);
		free(o->disks[d].raw);
		free(o->disks[d].present);
		free(o->disks[d].mapped);
	}
	free(o->disks);
	free(o->regions);
	free(o->rhash);
	free(o->tpls);
	for (size_t i = 0; i < o->nstrings; i++)
		free(o->strings[i]);
	free(o->strings);
	free(o->depths.t);
	free(o->spaces.t);
	free(o);
}
