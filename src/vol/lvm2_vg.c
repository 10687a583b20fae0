/* LVM2 volume groups: assembly groups the PVs of the whole machine by VG
 * UUID, takes the metadata with the highest seqno, and builds each LV as a
 * linear device over the PVs (a striped segment becomes a striped device
 * under its linear piece; mirror and raid1 segments become mirror devices
 * over their sub-LVs).  Missing PVs leave holes (the VG is partial); a
 * raid1 or mirror that lost a leg is degraded.  Each PV learns which of
 * its extents are in use (lvm2_pv_finish).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm2.h"

/* ---- assembly ---- */

struct vg_pv {
	const char *mname;         /* "pv0" in the metadata */
	char uuid[ID_LEN + 1];
	struct da_node *node;      /* NULL: missing */
	struct pv_priv *p;
	uint64_t pe_start, pe_count;   /* bytes; extents usable */
};

struct vg_lv {
	const struct lvm_item *sec;
	int state;                 /* 0 new, 1 building, 2 built */
	struct da_device *dev;     /* our reference */
	struct da_value *segments;
	bool partial;
	bool degraded;             /* a raid1/mirror leg lost; others serve */
	char reason[300];
};

/* Names to indices, open addressing: a hostile VG of 45,000 LVs whose
 * segments name 25,000 legs made the linear search quadratic. */
struct name_index {
	uint32_t *slot;            /* index + 1; 0: empty */
	size_t mask;
};

struct vg {
	const struct lvm_meta *meta;
	const struct lvm_item *sec;
	const char *name;
	uint64_t extent;           /* bytes */
	struct vg_pv *pvs;
	size_t npvs;
	struct vg_lv *lvs;
	size_t nlvs;
	struct name_index pv_index, lv_index;
};

static void lv_note(struct vg_lv *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lv_note(struct vg_lv *l, const char *fmt, ...)
{
	size_t used = strlen(l->reason);
	if (used + 4 >= sizeof(l->reason))
		return;
	if (used) {
		strcpy(l->reason + used, "; ");
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->reason + used, sizeof(l->reason) - used, fmt, ap);
	va_end(ap);
}

static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;        /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3u;
	return (size_t)(h ^ h >> 29);
}

static const char *pv_name(const struct vg *g, size_t i)
{
	return g->pvs[i].mname;
}

static const char *lv_name(const struct vg *g, size_t i)
{
	return g->lvs[i].sec->key;
}

/* The index of name among n names, or -1. */
static long index_find(const struct vg *g, const struct name_index *x,
		       const char *(*name)(const struct vg *, size_t),
		       const char *key)
{
	if (!x->slot)
		return -1;
	for (size_t h = name_hash(key) & x->mask; x->slot[h];
	     h = (h + 1) & x->mask)
		if (strcmp(name(g, x->slot[h] - 1), key) == 0)
			return (long)x->slot[h] - 1;
	return -1;
}

/* Index n names (at most half full); a name met again keeps its first
 * index, and dup (if not NULL) learns which ones repeat an earlier. */
static void index_build(const struct vg *g, struct name_index *x, size_t n,
			const char *(*name)(const struct vg *, size_t),
			bool *dup)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	x->slot = da_xcalloc(cap, sizeof(*x->slot));
	x->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = name_hash(name(g, i)) & x->mask;
		for (; x->slot[h]; h = (h + 1) & x->mask)
			if (strcmp(name(g, x->slot[h] - 1), name(g, i)) == 0)
				break;
		if (x->slot[h]) {
			if (dup)
				dup[i] = true;
			continue;
		}
		x->slot[h] = (uint32_t)i + 1;
	}
}

static struct vg_pv *vg_find_pv(struct vg *g, const char *mname)
{
	long i = index_find(g, &g->pv_index, pv_name, mname);
	return i < 0 ? NULL : &g->pvs[i];
}

static int vg_find_lv(struct vg *g, const char *name)
{
	return (int)index_find(g, &g->lv_index, lv_name, name);
}

/* One segment as the metadata gives it. */
struct seg {
	const struct lvm_item *sec;
	uint64_t start, count;     /* extents */
	const char *type;
};

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The segments of an LV, sorted; NULL with a note when malformed. */
static struct seg *lv_segments(struct vg *g, struct vg_lv *l, size_t *n)
{
	size_t cap = 0, listed = 0;
	*n = 0;
	for (const struct lvm_item *c = da_lvm_first(g->meta, l->sec); c;
	     c = da_lvm_next(g->meta, c))
		if (c->type == LVM_SECTION && listed++ < MAX_SEGS)
			cap++;
	if (listed > cap)
		lv_note(l, "%zu segments: only the first %u are read", listed,
			MAX_SEGS);
	if (!cap) {
		lv_note(l, "no segments");
		return NULL;
	}
	struct seg *s = malloc(cap * sizeof(*s));
	if (!s)
		return NULL;
	for (const struct lvm_item *c = da_lvm_first(g->meta, l->sec);
	     c && *n < cap; c = da_lvm_next(g->meta, c)) {
		if (c->type != LVM_SECTION)
			continue;
		int64_t st, cnt;
		const char *type = da_lvm_get_str(g->meta, c, "type");
		if (!da_lvm_get_int(g->meta, c, "start_extent", &st) ||
		    !da_lvm_get_int(g->meta, c, "extent_count", &cnt) ||
		    !type || st < 0 || cnt <= 0 || st > (int64_t)1 << 48 ||
		    cnt > (int64_t)1 << 48) {
			lv_note(l, "%s: malformed segment", c->key);
			free(s);
			return NULL;
		}
		uint64_t bytes;
		if (!mul_ok((uint64_t)(st + cnt), g->extent, &bytes)) {
			lv_note(l, "%s: extents past 2^64 bytes", c->key);
			free(s);
			return NULL;
		}
		s[(*n)++] = (struct seg){ c, (uint64_t)st, (uint64_t)cnt,
					  type };
	}
	da_sort(s, *n, sizeof(*s), cmp_seg);
	return s;
}

/* Mark extents [pe, pe+count) of a PV allocated, with their role. */
static void mark(struct vg_pv *v, uint64_t pe, uint64_t count,
		 const char *role)
{
	struct pv_priv *p = v->p;
	if (!p || pe >= v->pe_count)
		return;
	if (count > v->pe_count - pe)
		count = v->pe_count - pe;
	if (p->nruns == p->capruns) {
		size_t cap = p->capruns ? p->capruns * 2 : 16;
		if (cap > (1u << 24))
			return;
		struct run *r = realloc(p->runs, cap * sizeof(*r));
		if (!r)
			return;
		p->runs = r;
		p->capruns = cap;
	}
	p->runs[p->nruns++] = (struct run){ pe, count, role };
}

static struct da_device *lv_build(struct vg *g, int idx, int depth);

/* The (pv name, first extent) pairs of a striped segment, checked.  */
static bool stripe_areas(struct vg *g, struct vg_lv *l, const struct seg *s,
			 uint64_t nstripes, struct vg_pv **pv, uint64_t *pe)
{
	const struct lvm_item *arr = da_lvm_get(g->meta, s->sec, "stripes");
	if (!arr || arr->type != LVM_ARRAY) {
		lv_note(l, "%s: no stripes", s->sec->key);
		return false;
	}
	const struct lvm_item *e = da_lvm_first(g->meta, arr);
	for (uint64_t i = 0; i < nstripes; i++) {
		const struct lvm_item *pe_it = da_lvm_next(g->meta, e);
		if (!e || !pe_it || e->type != LVM_STR ||
		    pe_it->type != LVM_INT || pe_it->i < 0) {
			lv_note(l, "%s: malformed stripes list", s->sec->key);
			return false;
		}
		pv[i] = vg_find_pv(g, e->s);
		if (!pv[i]) {
			lv_note(l, "%s: unknown PV %.40s", s->sec->key, e->s);
			return false;
		}
		pe[i] = (uint64_t)pe_it->i;
		e = da_lvm_next(g->meta, pe_it);
	}
	if (e)
		lv_note(l, "%s: more stripes listed than stripe_count",
			s->sec->key);
	return true;
}

/* Mark every PV extent the striped segments of every LV use. */
/* What a PV's extents hold for the LV that uses them: LVM reserves
 * these suffixes for the metadata sub-LVs of raid, mirror, thin and
 * cache LVs (lvcreate refuses them as names), so they are reliable. */
static const char *extents_role(const char *lv)
{
	static const struct { const char *suffix, *role; } roles[] = {
		{ "_rmeta_", "raid_metadata" },
		{ "_mlog", "mirror_log" },
		{ "_tmeta", "thin_metadata" },
		{ "_cmeta", "cache_metadata" },
		{ "_pmspare", "spare_metadata" },
	};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strstr(lv, roles[i].suffix))
			return roles[i].role;
	return "allocated";
}

static void mark_all(struct vg *g)
{
	for (size_t i = 0; i < g->nlvs; i++) {
		const char *role = extents_role(g->lvs[i].sec->key);
		/* notes go to a scratch copy: lv_build says them once */
		struct vg_lv scratch = { .sec = g->lvs[i].sec };
		size_t n;
		struct seg *s = lv_segments(g, &scratch, &n);
		for (size_t k = 0; s && k < n; k++) {
			int64_t sc = 1;
			if (strcmp(s[k].type, "striped") &&
			    strcmp(s[k].type, "linear"))
				continue;
			da_lvm_get_int(g->meta, s[k].sec, "stripe_count", &sc);
			if (sc < 1 || sc > (int64_t)MAX_STRIPES ||
			    s[k].count % (uint64_t)sc)
				continue;
			struct vg_pv *pv[MAX_STRIPES];
			uint64_t pe[MAX_STRIPES];
			if (!stripe_areas(g, &scratch, &s[k], (uint64_t)sc,
					  pv, pe))
				continue;
			for (int64_t j = 0; j < sc; j++)
				mark(pv[j], pe[j], s[k].count / (uint64_t)sc,
				     role);
		}
		free(s);
	}
}

/* A striped segment (1 stripe: the PV itself at its extent).  Sets *off
 * to the offset in the returned device (a new reference or NULL), and
 * *fit to how many of the segment's extents it maps (fewer when a single
 * stripe runs past the end of a truncated PV). */
static struct da_device *striped_target(struct vg *g, struct vg_lv *l,
					const struct seg *s,
					struct da_value *sp, uint64_t *off,
					uint64_t *fit)
{
	int64_t sc = 1, ss = 0;
	*off = 0;
	*fit = s->count;
	da_lvm_get_int(g->meta, s->sec, "stripe_count", &sc);
	if (sc < 1 || sc > (int64_t)MAX_STRIPES) {
		lv_note(l, "%s: %lld stripes", s->sec->key, (long long)sc);
		return NULL;
	}
	uint64_t n = (uint64_t)sc, area = s->count / n;
	if (s->count % n) {
		lv_note(l, "%s: %llu extents do not divide into %llu stripes",
			s->sec->key, (unsigned long long)s->count,
			(unsigned long long)n);
		return NULL;
	}
	if (n > 1) {
		if (!da_lvm_get_int(g->meta, s->sec, "stripe_size", &ss) ||
		    ss <= 0 || ss > (int64_t)1 << 32) {
			lv_note(l, "%s: bad stripe_size", s->sec->key);
			return NULL;
		}
		da_obj_set_int(sp, "stripe_size", ss * (int64_t)SECTOR);
	}
	struct vg_pv *pv[MAX_STRIPES];
	uint64_t pe[MAX_STRIPES], offs[MAX_STRIPES];
	struct da_device *devs[MAX_STRIPES];
	if (!stripe_areas(g, l, s, n, pv, pe))
		return NULL;
	struct da_value *stripes = da_arr_new();
	for (uint64_t i = 0; i < n; i++) {
		struct da_value *o = da_obj_new();
		char u[64];
		lvm2_dashed_uuid(pv[i]->uuid, u);
		da_obj_set_str(o, "pv_uuid", u);
		if (pv[i]->node)
			da_obj_set_str(o, "pv", pv[i]->node->dev->name);
		else
			da_obj_set_bool(o, "missing", true);
		da_obj_set_uint(o, "pe_start", pe[i]);
		devs[i] = NULL;
		offs[i] = 0;
		if (!pv[i]->node) {
			l->partial = true;
			lv_note(l, "%s: PV %s (%s) is missing", s->sec->key, u,
				pv[i]->mname);
		} else if (n == 1 && pe[i] < pv[i]->pe_count &&
			   area > pv[i]->pe_count - pe[i]) {
			*fit = pv[i]->pe_count - pe[i];
			lv_note(l, "%s: extents %llu+%llu are beyond the %llu "
				"of %s: the last %llu are unmapped",
				s->sec->key, (unsigned long long)pe[i],
				(unsigned long long)area,
				(unsigned long long)pv[i]->pe_count,
				pv[i]->node->dev->name,
				(unsigned long long)(area - *fit));
			devs[i] = pv[i]->node->dev;
			offs[i] = pv[i]->pe_start + pe[i] * g->extent;
			da_obj_set_uint(o, "offset", offs[i]);
		} else if (pe[i] > pv[i]->pe_count ||
			   area > pv[i]->pe_count - pe[i]) {
			lv_note(l, "%s: extents %llu+%llu are beyond the %llu "
				"of %s", s->sec->key,
				(unsigned long long)pe[i],
				(unsigned long long)area,
				(unsigned long long)pv[i]->pe_count,
				pv[i]->node->dev->name);
		} else {
			devs[i] = pv[i]->node->dev;
			offs[i] = pv[i]->pe_start + pe[i] * g->extent;
			da_obj_set_uint(o, "offset", offs[i]);
		}
		da_arr_push(stripes, o);
	}
	da_obj_set(sp, "stripes", stripes);
	if (n == 1) {
		*off = offs[0];
		return da_device_ref(devs[0]);
	}
	char *name = da_asprintf("%s/%s/%s", g->name, l->sec->key,
				 s->sec->key);
	da_error e = { 0 };
	struct da_device *d = da_striped_device_new(name, s->count * g->extent,
						    (uint64_t)ss * SECTOR,
						    (size_t)n, devs, offs, &e);
	free(name);
	if (!d)
		lv_note(l, "%s: %s", s->sec->key, e.msg);
	return d;
}

/* mirror ("mirrors" = [lv, le, ...]) and raid1 ("raids" = [meta, image,
 * ...]): a mirror device over the sub-LVs. */
static struct da_device *mirror_target(struct vg *g, struct vg_lv *l,
				       const struct seg *s, bool raid,
				       struct da_value *sp, int depth)
{
	const struct lvm_item *arr = da_lvm_get(g->meta, s->sec,
						raid ? "raids" : "mirrors");
	if (!arr || arr->type != LVM_ARRAY) {
		lv_note(l, "%s: no %s list", s->sec->key,
			raid ? "raids" : "mirrors");
		return NULL;
	}
	struct da_device *copies[MAX_STRIPES];
	uint64_t offs[MAX_STRIPES];
	size_t n = 0;
	uint64_t bytes = s->count * g->extent;
	struct da_value *legs = da_arr_new();
	const struct lvm_item *e = da_lvm_first(g->meta, arr);
	while (e && n < MAX_STRIPES) {
		const struct lvm_item *sub = e, *second = da_lvm_next(g->meta, e);
		uint64_t le = s->start;
		if (raid) {
			sub = second;         /* skip the rmeta sub-LV */
		} else if (second && second->type == LVM_INT &&
			   second->i >= 0 && second->i < (int64_t)1 << 48) {
			le = (uint64_t)second->i;
		}
		if (!sub || sub->type != LVM_STR) {
			lv_note(l, "%s: malformed leg list", s->sec->key);
			break;
		}
		da_arr_push(legs, da_str_new(sub->s));
		int k = vg_find_lv(g, sub->s);
		struct da_device *d = k >= 0 ? lv_build(g, k, depth + 1)
					     : NULL;
		uint64_t off = le * g->extent;
		if (d && !range_ok(off, bytes, d->size)) {
			da_device_unref(d);
			d = NULL;
		}
		if (!d)
			lv_note(l, "%s: leg %.60s unusable", s->sec->key,
				sub->s);
		else if (g->lvs[k].partial)
			lv_note(l, "%s: leg %.60s lies on a missing PV",
				s->sec->key, sub->s);
		if (!d || g->lvs[k].partial)
			l->degraded = true;
		copies[n] = d;
		offs[n++] = off;
		e = second ? da_lvm_next(g->meta, second) : NULL;
	}
	if (e && n == MAX_STRIPES)
		lv_note(l, "%s: more than %u legs: only the first are used",
			s->sec->key, MAX_STRIPES);
	da_obj_set(sp, "legs", legs);
	struct da_device *m = NULL;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= copies[i] != NULL;
	if (any) {
		char *name = da_asprintf("%s/%s/%s", g->name, l->sec->key,
					 s->sec->key);
		da_error err = { 0 };
		m = da_mirror_device_new(name, bytes, n, copies, offs, &err);
		if (!m)
			lv_note(l, "%s: %s", s->sec->key, err.msg);
		free(name);
	}
	for (size_t i = 0; i < n; i++)
		da_device_unref(copies[i]);
	return m;
}

/* Build LV idx (and the sub-LVs it needs): a new reference, or NULL. */
static struct da_device *lv_build(struct vg *g, int idx, int depth)
{
	struct vg_lv *l = &g->lvs[idx];
	if (l->state == 2)
		return da_device_ref(l->dev);
	if (l->state == 1 || depth > MAX_LV_DEPTH) {
		lv_note(l, "sub-LVs refer to each other in a loop");
		return NULL;
	}
	l->state = 1;
	size_t n;
	struct seg *s = lv_segments(g, l, &n);
	l->segments = da_arr_new();
	/* a segment makes at most 3 pieces: a gap before it, itself and
	 * its unmapped tail */
	struct da_linear_seg *ls = s ? malloc((3 * n + 1) * sizeof(*ls))
				     : NULL;
	size_t nls = 0;
	uint64_t at = 0;           /* extents */
	bool ok = s && ls;
	for (size_t k = 0; ok && k < n; k++) {
		if (s[k].start < at) {
			lv_note(l, "%s overlaps the previous segment",
				s[k].sec->key);
			ok = false;
			break;
		}
		if (s[k].start > at) {
			lv_note(l, "no segment for extents %llu-%llu",
				(unsigned long long)at,
				(unsigned long long)s[k].start - 1);
			ls[nls++] = (struct da_linear_seg){
				at * g->extent, (s[k].start - at) * g->extent,
				NULL, 0 };
		}
		struct da_value *sp = da_obj_new();
		da_obj_set_uint(sp, "start_extent", s[k].start);
		da_obj_set_uint(sp, "extent_count", s[k].count);
		const char *type = s[k].type;
		if (!strcmp(type, "striped") || !strcmp(type, "linear")) {
			int64_t sc = 1;
			da_lvm_get_int(g->meta, s[k].sec, "stripe_count", &sc);
			da_obj_set_str(sp, "type", sc == 1 ? "linear"
							   : "striped");
		} else {
			da_obj_set_str(sp, "type", type);
		}
		struct da_device *t = NULL;
		uint64_t toff = 0, fit = s[k].count;
		if (!strcmp(type, "striped") || !strcmp(type, "linear"))
			t = striped_target(g, l, &s[k], sp, &toff, &fit);
		else if (!strcmp(type, "mirror"))
			t = mirror_target(g, l, &s[k], false, sp, depth);
		else if (!strcmp(type, "raid1"))
			t = mirror_target(g, l, &s[k], true, sp, depth);
		else
			lv_note(l, "%s: segment type %.40s is not supported",
				s[k].sec->key, type);
		da_arr_push(l->segments, sp);
		if (t && fit < s[k].count) {
			/* the part past a truncated PV maps nowhere */
			if (fit)
				ls[nls++] = (struct da_linear_seg){
					s[k].start * g->extent,
					fit * g->extent, t, toff };
			else
				da_device_unref(t);
			ls[nls++] = (struct da_linear_seg){
				(s[k].start + fit) * g->extent,
				(s[k].count - fit) * g->extent, NULL, 0 };
		} else {
			ls[nls++] = (struct da_linear_seg){
				s[k].start * g->extent, s[k].count * g->extent,
				t, toff };
		}
		at = s[k].start + s[k].count;
	}
	struct da_device *dev = NULL;
	if (ok && nls) {
		char *name = da_asprintf("%s/%s", g->name, l->sec->key);
		da_error e = { 0 };
		dev = da_linear_device_new(name, at * g->extent, ls, nls, &e);
		if (!dev)
			lv_note(l, "%s", e.msg);
		free(name);
	}
	for (size_t k = 0; ls && k < nls; k++)
		da_device_unref(ls[k].target);
	free(ls);
	free(s);
	l->dev = dev;
	l->state = 2;
	return da_device_ref(dev);
}

static bool same_vg(const struct pv_priv *a, const struct pv_priv *b)
{
	return a->has_meta && b->has_meta && a->vg_uuid && b->vg_uuid &&
	       strcmp(a->vg_uuid, b->vg_uuid) == 0;
}

static struct da_value *status_array(const struct lvm_meta *meta,
				     const struct lvm_item *sec)
{
	struct da_value *a = da_arr_new();
	const struct lvm_item *st = da_lvm_get(meta, sec, "status");
	if (st && st->type == LVM_ARRAY)
		for (const struct lvm_item *e = da_lvm_first(meta, st); e;
		     e = da_lvm_next(meta, e))
			if (e->type == LVM_STR)
				da_arr_push(a, da_str_new(e->s));
	return a;
}

/* Assemble the VG of nodes[first]; returns how many LVs were added. */
static int assemble_vg(struct da_machine *m, const struct da_node_list *all,
		       size_t first)
{
	struct da_node **group = malloc(all->n * sizeof(*group));
	if (!group)
		return 0;
	size_t ng = 0;
	bool earlier = false;
	struct pv_priv *best = NULL;
	for (size_t i = 0; i < all->n; i++) {
		struct pv_priv *p = all->v[i]->priv;
		if (!same_vg(p, all->v[first]->priv))
			continue;
		earlier |= p->assembled;
		group[ng++] = all->v[i];
		if (!best || p->seqno > best->seqno)
			best = p;
	}
	for (size_t i = 0; i < ng; i++)
		((struct pv_priv *)group[i]->priv)->assembled = true;
	if (earlier) {
		/* a PV that appeared after its VG was built (inside one of
		 * the VG's own LVs?): never add the LVs twice */
		for (size_t i = 0; i < ng; i++)
			if (!group[i]->reason)
				da_warn(group[i], "VG already assembled "
					"without this PV");
		free(group);
		return 0;
	}

	struct vg g = { .meta = &best->meta };
	g.sec = lvm2_vg_section(g.meta);
	g.name = g.sec->key;
	int64_t ext = 0;
	if (!da_lvm_get_int(g.meta, g.sec, "extent_size", &ext) || ext <= 0 ||
	    ext > (int64_t)1 << 40) {
		for (size_t i = 0; i < ng; i++)
			da_warn(group[i], "VG %s: bad extent_size", g.name);
		free(group);
		return 0;
	}
	g.extent = (uint64_t)ext * SECTOR;

	/* PVs without metadata areas (pvcreate --metadatacopies 0) are
	 * known only by the UUID another PV's metadata lists */
	size_t ncand = ng;
	for (size_t i = 0; i < all->n; i++) {
		struct pv_priv *p = all->v[i]->priv;
		if (!p->has_meta && !p->assembled)
			group[ncand++] = all->v[i];
	}

	/* the PVs of the chosen metadata, matched by UUID */
	const struct lvm_item *pvs = da_lvm_get_section(g.meta, g.sec,
							"physical_volumes");
	size_t cap = 0, listed_pvs = 0;
	for (const struct lvm_item *c = da_lvm_first(g.meta, pvs); c;
	     c = da_lvm_next(g.meta, c))
		if (listed_pvs++ < MAX_PVS)
			cap++;
	for (size_t i = 0; listed_pvs > cap && i < ng; i++)
		da_warn(group[i], "VG %s lists %zu PVs: only the first %u are "
			"read", g.name, listed_pvs, MAX_PVS);
	g.pvs = da_xcalloc(cap ? cap : 1, sizeof(*g.pvs));
	char missing[300] = "";
	for (const struct lvm_item *c = da_lvm_first(g.meta, pvs);
	     c && g.npvs < cap; c = da_lvm_next(g.meta, c)) {
		const char *id = da_lvm_get_str(g.meta, c, "id");
		struct vg_pv *v = &g.pvs[g.npvs];
		if (c->type != LVM_SECTION || !id || !lvm2_undash_uuid(id, v->uuid))
			continue;
		v->mname = c->key;
		g.npvs++;
		for (size_t i = 0; i < ncand; i++) {
			struct pv_priv *p = group[i]->priv;
			if (strcmp(p->uuid, v->uuid) != 0)
				continue;
			if (v->node) {
				da_warn(group[i], "duplicate of PV %s on %s: "
					"not used", id, v->node->dev->name);
				continue;
			}
			uint64_t st, sz, cnt;
			const char *why;
			if (!lvm2_pv_geometry(group[i], g.meta, g.sec, c, &st, &sz,
					 &cnt, &why)) {
				da_warn(group[i], "%s", why);
				continue;
			}
			v->node = group[i];
			v->p = p;
			v->pe_start = st;
			v->pe_count = cnt;
			p->pe_start = st;
			p->pe_size = sz;
			p->pe_count = cnt;
			p->nruns = 0;
			da_obj_set_uint(group[i]->props, "pe_start", st);
			da_obj_set_uint(group[i]->props, "pe_size", sz);
			da_obj_set_uint(group[i]->props, "pe_count", cnt);
		}
		if (!v->node) {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, "%s%s (%s)",
				 l ? ", " : "", id, c->key);
		}
	}
	for (size_t i = ng; i < ncand; i++) {
		for (size_t k = 0; k < g.npvs; k++) {
			if (g.pvs[k].node != group[i])
				continue;
			struct da_node *t = group[ng];
			group[ng++] = group[i];
			group[i] = t;
			((struct pv_priv *)group[ng - 1]->priv)->assembled =
				true;
			da_obj_set_str(group[ng - 1]->props, "vg", g.name);
			if (best->vg_uuid)
				da_obj_set_str(group[ng - 1]->props,
					       "vg_uuid", best->vg_uuid);
			break;
		}
	}
	for (size_t i = 0; i < ng; i++) {
		struct pv_priv *p = group[i]->priv;
		bool listed = false;
		for (size_t k = 0; k < g.npvs; k++)
			listed |= g.pvs[k].node == group[i];
		if (!listed && !lvm2_find_pv_section(g.meta, g.sec, p->uuid))
			da_warn(group[i], "not a PV of VG %s any more (seqno "
				"%lld)", g.name, (long long)best->seqno);
		if (missing[0])
			da_warn(group[i], "VG %s is partial: missing %s", g.name,
				missing);
		if (p->has_meta && p != best && p->seqno != best->seqno)
			da_warn(group[i], "older metadata (seqno %lld) than "
				"another PV of VG %s (%lld)",
				(long long)p->seqno, g.name,
				(long long)best->seqno);
	}

	const struct lvm_item *lvs = da_lvm_get_section(g.meta, g.sec,
							"logical_volumes");
	cap = 0;
	size_t listed_lvs = 0;
	for (const struct lvm_item *c = da_lvm_first(g.meta, lvs); c;
	     c = da_lvm_next(g.meta, c))
		if (c->type == LVM_SECTION && listed_lvs++ < MAX_LVS)
			cap++;
	g.lvs = da_xcalloc(cap ? cap : 1, sizeof(*g.lvs));
	for (const struct lvm_item *c = da_lvm_first(g.meta, lvs);
	     c && g.nlvs < cap; c = da_lvm_next(g.meta, c))
		if (c->type == LVM_SECTION)
			g.lvs[g.nlvs++].sec = c;
	for (size_t i = 0; listed_lvs > cap && i < ng; i++)
		da_warn(group[i], "VG %s lists %zu LVs: only the first %u are "
			"read", g.name, listed_lvs, MAX_LVS);
	index_build(&g, &g.pv_index, g.npvs, pv_name, NULL);
	bool *dup = da_xcalloc(g.nlvs ? g.nlvs : 1, sizeof(*dup));
	index_build(&g, &g.lv_index, g.nlvs, lv_name, dup);

	mark_all(&g);
	int added = 0;
	for (size_t i = 0; i < g.nlvs; i++) {
		struct vg_lv *l = &g.lvs[i];
		/* sub-LVs (mirror legs, raid images, thin pool data) are
		 * reached through the LV that uses them */
		if (!da_lvm_has_flag(g.meta, l->sec, "status", "VISIBLE"))
			continue;
		struct da_device *dev = lv_build(&g, (int)i, 0);
		struct da_value *props = da_obj_new();
		da_obj_set_str(props, "vg", g.name);
		da_obj_set_str(props, "lv", l->sec->key);
		const char *id = da_lvm_get_str(g.meta, l->sec, "id");
		if (id)
			da_obj_set_str(props, "uuid", id);
		if (best->vg_uuid)
			da_obj_set_str(props, "vg_uuid", best->vg_uuid);
		da_obj_set(props, "status", status_array(g.meta, l->sec));
		da_obj_set_uint(props, "extent_size", g.extent);
		da_obj_set_int(props, "seqno", best->seqno);
		da_obj_set(props, "segments", l->segments);
		l->segments = NULL;
		if (l->partial || missing[0])
			da_obj_set_bool(props, "partial", l->partial);
		if (l->degraded)
			da_obj_set_bool(props, "degraded", true);
		if (l->reason[0])
			da_obj_set_str(props, "reason", l->reason);
		char *name = da_asprintf("%s/%s", g.name, l->sec->key);
		struct da_volume *v = da_machine_add_volume(m, name, "lv", dev,
							    props);
		/* two LVs of one name: the second is named apart (by the
		 * machine) and only the first serves as a sub-LV */
		for (size_t k = 0; dup[i] && k < ng; k++)
			da_warn(group[k], "VG %s has two LVs named %.100s: the "
				"second is %.120s", g.name, l->sec->key,
				v->name);
		da_trace("lvm2: LV %s, %llu bytes%s%s", name,
			 (unsigned long long)(dev ? dev->size : 0),
			 l->reason[0] ? ": " : "", l->reason);
		free(name);
		added++;
	}
	for (size_t i = 0; i < g.nlvs; i++) {
		da_device_unref(g.lvs[i].dev);
		da_value_free(g.lvs[i].segments);
	}
	for (size_t i = 0; i < ng; i++)
		lvm2_pv_finish(group[i]);
	free(dup);
	free(g.lv_index.slot);
	free(g.pv_index.slot);
	free(g.lvs);
	free(g.pvs);
	free(group);
	return added;
}

int lvm2_assemble(struct da_machine *m, da_error *err)
{
	(void)err;             /* a VG that fails is reported on its PVs */
	struct da_node_list all = da_machine_nodes_of(m, &da_plugin_lvm2,
						      MAX_NODES);
	int added = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct pv_priv *p = all.v[i]->priv;
		if (!p->assembled && p->has_meta && p->vg_uuid)
			added += assemble_vg(m, &all, i);
	}
	/* what no VG took: orphans, PVs of VGs whose metadata is lost */
	for (size_t i = 0; i < all.n; i++) {
		struct pv_priv *p = all.v[i]->priv;
		if (!p->assembled) {
			p->assembled = true;
			if (p->nmdas == 0)
				da_warn(all.v[i], "no metadata area: its VG is "
					"described only on its other PVs, which "
					"were not found");
			lvm2_pv_finish(all.v[i]);
		}
	}
	free(all.v);
	return added;
}
