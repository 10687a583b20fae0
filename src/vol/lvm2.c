/* LVM2 physical volumes and the volume groups they make.
 *
 * On disk (all little endian):
 *  - a label in one of the first four sectors: "LABELONE", its own sector
 *    number, a CRC of the rest of the sector, the offset of the PV header
 *    and the type "LVM2 001";
 *  - the PV header: the PV's UUID (32 characters), the device size, then
 *    two zero-terminated lists of (offset, size) pairs: data areas (the
 *    first starts the physical extents, pe_start) and metadata areas;
 *  - at each metadata area: a 512-byte header (CRC, magic
 *    " LVM2 x[5A%r0N*>", version, its own position and size, and a list of
 *    raw locations) and after it a circular buffer holding the VG's text
 *    metadata (lvm2_meta.c), which may wrap around the end of the area.
 *
 * scan reads one PV; assemble groups the PVs of the whole machine by VG
 * UUID, takes the metadata with the highest seqno, and builds each LV as a
 * linear device over the PVs (a striped segment becomes a striped device
 * under its linear piece; mirror and raid1 segments become mirror devices
 * over their sub-LVs).  Missing PVs leave holes (the VG is partial).
 * Afterwards each PV's extents are "allocated" or "unallocated".
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "lvm2_meta.h"

extern const struct da_plugin da_plugin_lvm2;

#define SECTOR 512u
#define LABEL_SECTORS 4u
#define LABEL_AREA (LABEL_SECTORS * SECTOR)
#define MDA_HEADER 512u
#define MAX_AREAS 8           /* data or metadata areas in a PV header */
#define MAX_RAW_LOCNS 4
#define LVM_CRC_INIT 0xf597a6cfu
#define ID_LEN 32
#define MAX_PVS 4096u         /* PVs of one VG */
#define MAX_LVS 65536u        /* LVs of one VG */
#define MAX_SEGS 65536u       /* segments of one LV */
#define MAX_STRIPES 128u      /* as LVM itself allows */
#define MAX_LV_DEPTH 6        /* sub-LVs of sub-LVs... */
#define MAX_NODES 65536u      /* PV nodes in a machine */

static const char mda_magic[16] = " LVM2 x[5A%r0N*>";

struct mda {
	uint64_t start, size;
	int64_t seqno;             /* of its text, -1 if none parsed */
	const char *problem;       /* static: why it was not used */
};

struct run {
	uint64_t start, len;       /* in extents */
	const char *role;          /* "allocated", "raid_metadata", ... */
};

struct pv_priv {
	char uuid[ID_LEN + 1];     /* as stored: no dashes */
	uint64_t dev_size;         /* from the PV header */
	uint64_t pe_start;         /* bytes, first data area */
	struct mda mdas[MAX_AREAS];
	size_t nmdas;
	struct lvm_meta meta;      /* the newest text among our areas */
	bool has_meta;
	int64_t seqno;
	const char *vg_uuid, *vg_name;   /* into meta */
	/* the PE area as the VG's chosen metadata describes it */
	uint64_t pe_size, pe_count;
	bool assembled;
	struct run *runs;          /* allocated extents */
	size_t nruns, capruns;
	struct da_bitmap *bm;      /* per extent: allocated */
};

/* LVM's CRC: the IEEE polynomial reflected, its own seed, no final xor:
 * the zlib-style da_crc32 with the complements undone. */
static uint32_t lvm_crc(const void *buf, size_t len)
{
	return ~da_crc32(~LVM_CRC_INIT, buf, len);
}

/* "abcdef-ghij-..." from the 32 stored characters. */
static void dashed_uuid(const char *u, char *out)
{
	static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
	size_t k = 0;
	for (int g = 0; g < 7; g++) {
		for (int i = 0; i < groups[g]; i++)
			*out++ = u[k++];
		if (g < 6)
			*out++ = '-';
	}
	*out = '\0';
}

/* The 32 characters of a dashed UUID, or false if it is not one. */
static bool undash_uuid(const char *s, char *out)
{
	size_t k = 0;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		if (k >= ID_LEN)
			return false;
		out[k++] = *s;
	}
	out[k] = '\0';
	return k == ID_LEN;
}

static bool uuid_chars_ok(const uint8_t *u)
{
	for (int i = 0; i < ID_LEN; i++)
		if (u[i] <= ' ' || u[i] >= 0x7f || u[i] == '"' || u[i] == '\\')
			return false;
	return true;
}

/* ---- probe and label ---- */

/* Find the label: fills sec (the 512-byte sector) and its index.
 * 1 found, 0 not, -1 read error. */
static int find_label(struct da_device *dev, uint8_t *sec, unsigned *where,
		      da_error *err)
{
	for (unsigned i = 0; i < LABEL_SECTORS; i++) {
		if (!range_ok((uint64_t)i * SECTOR, SECTOR, dev->size))
			break;
		if (da_device_read(dev, sec, SECTOR, (uint64_t)i * SECTOR,
				   err) < 0)
			return -1;
		if (memcmp(sec, "LABELONE", 8) == 0 && le64(sec + 8) == i &&
		    memcmp(sec + 24, "LVM2 001", 8) == 0) {
			*where = i;
			return 1;
		}
	}
	return 0;
}

static enum da_probe lvm2_probe(struct da_device *dev, da_error *err)
{
	uint8_t sec[SECTOR];
	unsigned where;
	int r = find_label(dev, sec, &where, err);
	if (r < 0)
		return DA_PROBE_ERROR;
	if (r > 0)
		da_trace("lvm2: label in sector %u of %s", where, dev->name);
	return r > 0 ? DA_PROBE_FOUND : DA_PROBE_NOT_MINE;
}

static void warn(struct da_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A warning goes into props.warnings and the first one into reason. */
static void warn(struct da_node *n, const char *fmt, ...)
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
	da_trace("lvm2: %s: %s", n->dev->name, buf);
}

/* Read the list of (offset, size) pairs at *pos in the label sector, up to
 * its zero terminator.  false when it runs off the sector. */
static bool read_locns(const uint8_t *sec, size_t *pos, uint64_t *offs,
		       uint64_t *sizes, size_t *n)
{
	*n = 0;
	for (;;) {
		if (*pos + 16 > SECTOR)
			return false;
		uint64_t o = le64(sec + *pos), s = le64(sec + *pos + 8);
		*pos += 16;
		if (o == 0)
			return true;
		if (*n < MAX_AREAS) {
			offs[*n] = o;
			sizes[*n] = s;
			(*n)++;
		}
	}
}

/* ---- metadata areas ---- */

/* Read the newest text of the metadata area m into meta.  0 on success;
 * -1 with m->problem (and why for parse errors) when there is none. */
static int read_mda(struct da_device *dev, struct mda *m,
		    struct lvm_meta *meta, char *why, size_t whylen)
{
	uint8_t h[MDA_HEADER];
	m->seqno = -1;
	why[0] = '\0';
	if (m->size < MDA_HEADER + 1 || !range_ok(m->start, m->size,
						   dev->size)) {
		m->problem = "metadata area outside the device";
		return -1;
	}
	if (da_device_read(dev, h, MDA_HEADER, m->start, NULL) < 0) {
		m->problem = "metadata area unreadable";
		return -1;
	}
	if (memcmp(h + 4, mda_magic, sizeof(mda_magic)) != 0) {
		m->problem = "metadata area header: bad magic";
		return -1;
	}
	if (le32(h) != lvm_crc(h + 4, MDA_HEADER - 4)) {
		m->problem = "metadata area header: bad checksum";
		return -1;
	}
	if (le32(h + 20) != 1) {
		m->problem = "metadata area header: unknown version";
		return -1;
	}
	if (le64(h + 24) != m->start) {
		m->problem = "metadata area header: wrong position";
		return -1;
	}
	/* the first raw location is the committed metadata */
	const uint8_t *rl = h + 40;
	uint64_t off = le64(rl), size = le64(rl + 8);
	uint32_t crc = le32(rl + 16), flags = le32(rl + 20);
	if (off == 0) {
		m->problem = "no metadata (an orphan PV)";
		return -1;
	}
	if (flags & 1) {
		m->problem = "metadata area ignored";
		return -1;
	}
	uint64_t room = m->size - MDA_HEADER;
	if (off < MDA_HEADER || off >= m->size || size == 0 || size > room) {
		m->problem = "metadata location outside its area";
		return -1;
	}
	if (size > LVM_META_MAX_TEXT) {
		m->problem = "metadata text larger than 1 MiB";
		return -1;
	}
	char *text = malloc(size);
	if (!text) {
		m->problem = "out of memory";
		return -1;
	}
	/* a circular buffer after the header: the text may wrap */
	uint64_t first = m->size - off < size ? m->size - off : size;
	if (da_device_read(dev, text, first, m->start + off, NULL) < 0 ||
	    (first < size &&
	     da_device_read(dev, text + first, size - first,
			    m->start + MDA_HEADER, NULL) < 0)) {
		free(text);
		m->problem = "metadata text unreadable";
		return -1;
	}
	if (lvm_crc(text, size) != crc) {
		free(text);
		m->problem = "metadata text: bad checksum";
		return -1;
	}
	int r = da_lvm_meta_parse(text, size, meta, why, whylen);
	free(text);
	if (r < 0) {
		m->problem = "metadata text does not parse";
		return -1;
	}
	return 0;
}

/* The VG section of a metadata text: the first section at the top. */
static const struct lvm_item *vg_section(const struct lvm_meta *meta)
{
	if (!meta->nitems)
		return NULL;
	for (const struct lvm_item *c = da_lvm_first(meta, &meta->items[0]); c;
	     c = da_lvm_next(meta, c))
		if (c->type == LVM_SECTION)
			return c;
	return NULL;
}

/* ---- regions ---- */

struct ival {
	uint64_t start, len;
	const char *role;
};

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Replace the node's regions: the label, the metadata areas, the
 * extents (allocated or not, by runs), padding in between; sorted, no
 * overlaps, covering the device. */
static void set_regions(struct da_node *n)
{
	struct pv_priv *p = n->priv;
	uint64_t size = n->dev->size;
	size_t cap = 2 + p->nmdas + 2 * p->nruns + 2, k = 0;
	struct ival *iv = malloc(cap * sizeof(*iv));
	if (!iv)
		return;
	free(n->regions);
	n->regions = NULL;
	n->nregions = 0;

	iv[k++] = (struct ival){ 0, LABEL_AREA, "label" };
	for (size_t i = 0; i < p->nmdas; i++)
		iv[k++] = (struct ival){ p->mdas[i].start, p->mdas[i].size,
					 "metadata" };
	uint64_t pe_bytes;
	if (p->pe_size && p->pe_count &&
	    mul_ok(p->pe_count, p->pe_size, &pe_bytes)) {
		uint64_t at = 0;
		for (size_t i = 0; i < p->nruns; i++) {
			const struct run *r = &p->runs[i];
			if (r->start > at)
				iv[k++] = (struct ival){
					p->pe_start + at * p->pe_size,
					(r->start - at) * p->pe_size,
					"unallocated" };
			iv[k++] = (struct ival){ p->pe_start +
						 r->start * p->pe_size,
						 r->len * p->pe_size,
						 r->role };
			if (r->start + r->len > at)
				at = r->start + r->len;
		}
		if (at < p->pe_count)
			iv[k++] = (struct ival){
				p->pe_start + at * p->pe_size,
				(p->pe_count - at) * p->pe_size,
				"unallocated" };
	} else if (p->pe_start < size) {
		/* no VG says where the extents end: all of it is free */
		iv[k++] = (struct ival){ p->pe_start, size - p->pe_start,
					 "unallocated" };
	}
	qsort(iv, k, sizeof(*iv), cmp_ival);
	uint64_t at = 0;
	for (size_t i = 0; i < k && at < size; i++) {
		uint64_t s = iv[i].start, e;
		if (!add_ok(s, iv[i].len, &e) || e > size)
			e = size;
		if (s < at)
			s = at;          /* overlapping areas: first wins */
		if (e <= s)
			continue;
		if (s > at)
			da_node_add_region(n, at, s - at, "padding", -1);
		da_node_add_region(n, s, e - s, iv[i].role, -1);
		at = e;
	}
	if (at < size)
		da_node_add_region(n, at, size - at, "padding", -1);
	free(iv);
}

/* ---- scan ---- */

static void pv_free(struct da_node *n)
{
	struct pv_priv *p = n->priv;
	if (!p)
		return;
	da_lvm_meta_free(&p->meta);
	free(p->runs);
	da_bitmap_free(p->bm);
	free(p);
	n->priv = NULL;
}

/* Props and the extent geometry from a VG section, for PV uuid. */
static const struct lvm_item *find_pv_section(const struct lvm_meta *meta,
					      const struct lvm_item *vg,
					      const char *uuid)
{
	const struct lvm_item *pvs = da_lvm_get_section(meta, vg,
							"physical_volumes");
	size_t count = 0;
	for (const struct lvm_item *c = da_lvm_first(meta, pvs);
	     c && count < MAX_PVS; c = da_lvm_next(meta, c), count++) {
		const char *id = da_lvm_get_str(meta, c, "id");
		char u[ID_LEN + 1];
		if (c->type == LVM_SECTION && id && undash_uuid(id, u) &&
		    strcmp(u, uuid) == 0)
			return c;
	}
	return NULL;
}

/* Geometry of the extents of PV p in the VG metadata: pe_size, pe_count
 * (clipped to the device), pe_start.  false with why when unusable. */
static bool pv_geometry(struct da_node *n, const struct lvm_meta *meta,
			const struct lvm_item *vg, const struct lvm_item *pvs,
			uint64_t *pe_start, uint64_t *pe_size,
			uint64_t *pe_count, const char **why)
{
	int64_t ext, start, count;
	*why = "no extent_size in the VG metadata";
	if (!da_lvm_get_int(meta, vg, "extent_size", &ext))
		return false;
	*why = "bad extent_size in the VG metadata";
	if (ext <= 0 || ext > (int64_t)1 << 40)
		return false;
	*why = "no pe_start or pe_count for this PV in the VG metadata";
	if (!pvs || !da_lvm_get_int(meta, pvs, "pe_start", &start) ||
	    !da_lvm_get_int(meta, pvs, "pe_count", &count))
		return false;
	*why = "bad pe_start or pe_count in the VG metadata";
	if (start < 0 || count < 0 || (uint64_t)start > UINT64_MAX / SECTOR)
		return false;
	*pe_size = (uint64_t)ext * SECTOR;
	*pe_start = (uint64_t)start * SECTOR;
	*pe_count = (uint64_t)count;
	uint64_t bytes, end;
	if (!mul_ok(*pe_count, *pe_size, &bytes) ||
	    !add_ok(*pe_start, bytes, &end) || end > n->dev->size) {
		uint64_t fit = *pe_start < n->dev->size
			? (n->dev->size - *pe_start) / *pe_size : 0;
		warn(n, "%llu extents of %llu bytes from %llu do not fit in "
		     "the device (%llu bytes): only %llu are read",
		     (unsigned long long)*pe_count,
		     (unsigned long long)*pe_size,
		     (unsigned long long)*pe_start,
		     (unsigned long long)n->dev->size,
		     (unsigned long long)fit);
		*pe_count = fit;
	}
	return true;
}

static struct da_node *lvm2_scan(struct da_device *dev, da_error *err)
{
	uint8_t sec[SECTOR];
	unsigned where;
	int r = find_label(dev, sec, &where, err);
	if (r <= 0) {
		if (r == 0)
			da_error_set(err, EINVAL, "no LVM2 label");
		return NULL;
	}
	if (le32(sec + 16) != lvm_crc(sec + 20, SECTOR - 20)) {
		da_error_set(err, EINVAL, "label in sector %u: bad checksum",
			     where);
		return NULL;
	}
	uint32_t hoff = le32(sec + 20);
	if (hoff < 32 || hoff > SECTOR - (ID_LEN + 8 + 32)) {
		da_error_set(err, EINVAL, "label in sector %u: PV header "
			     "offset %u outside the sector", where, hoff);
		return NULL;
	}
	const uint8_t *h = sec + hoff;
	if (!uuid_chars_ok(h)) {
		da_error_set(err, EINVAL, "PV header: the UUID is not text");
		return NULL;
	}
	uint64_t da_off[MAX_AREAS], da_size[MAX_AREAS];
	uint64_t ma_off[MAX_AREAS], ma_size[MAX_AREAS];
	size_t nda, nma, pos = hoff + ID_LEN + 8;
	if (!read_locns(sec, &pos, da_off, da_size, &nda) ||
	    !read_locns(sec, &pos, ma_off, ma_size, &nma)) {
		da_error_set(err, EINVAL, "PV header: area lists run past "
			     "the label sector");
		return NULL;
	}

	struct da_node *n = da_node_new(DA_NODE_LVM2_PV, &da_plugin_lvm2, dev);
	struct pv_priv *p = da_xcalloc(1, sizeof(*p));
	n->priv = p;
	memcpy(p->uuid, h, ID_LEN);
	p->dev_size = le64(h + ID_LEN);
	p->seqno = -1;
	char u[64];
	dashed_uuid(p->uuid, u);
	da_obj_set_str(n->props, "uuid", u);
	da_obj_set_int(n->props, "label_sector", where);
	da_obj_set_int(n->props, "dev_size", (int64_t)p->dev_size);
	if (p->dev_size > dev->size)
		warn(n, "the PV header says %llu bytes, the device has %llu "
		     "(truncated?)", (unsigned long long)p->dev_size,
		     (unsigned long long)dev->size);
	if (nda == 0) {
		warn(n, "no data area in the PV header");
		p->pe_start = dev->size;
	} else {
		p->pe_start = da_off[0];
		if (p->pe_start > dev->size) {
			warn(n, "data area at %llu is past the end of the "
			     "device", (unsigned long long)p->pe_start);
			p->pe_start = dev->size;
		}
	}
	da_obj_set_int(n->props, "pe_start", (int64_t)p->pe_start);

	/* every metadata area: keep the text with the highest seqno */
	struct da_value *mdas = da_arr_new();
	for (size_t i = 0; i < nma; i++) {
		struct mda *m = &p->mdas[p->nmdas++];
		m->start = ma_off[i];
		m->size = ma_size[i];
		struct lvm_meta meta;
		char why[256];
		struct da_value *o = da_obj_new();
		da_obj_set_int(o, "offset", (int64_t)m->start);
		da_obj_set_int(o, "size", (int64_t)m->size);
		if (read_mda(dev, m, &meta, why, sizeof(why)) == 0) {
			const struct lvm_item *vg = vg_section(&meta);
			int64_t seq = -1;
			if (!vg || !da_lvm_get_int(&meta, vg, "seqno", &seq) ||
			    seq < 0) {
				m->problem = "metadata without a VG section "
					     "and seqno";
				da_lvm_meta_free(&meta);
			} else {
				m->seqno = seq;
				da_obj_set_int(o, "seqno", seq);
				if (seq > p->seqno) {
					if (p->has_meta)
						da_lvm_meta_free(&p->meta);
					p->meta = meta;
					p->has_meta = true;
					p->seqno = seq;
				} else {
					da_lvm_meta_free(&meta);
				}
			}
		}
		if (m->problem) {
			da_obj_set_str(o, "problem", m->problem);
			/* an orphan PV has no VG: not worth a warning */
			if (m->seqno < 0 && strncmp(m->problem, "no metadata",
						    11) != 0)
				warn(n, "metadata area at %llu: %s%s%s",
				     (unsigned long long)m->start, m->problem,
				     why[0] ? ": " : "", why);
		}
		da_arr_push(mdas, o);
	}
	da_obj_set(n->props, "mdas", mdas);
	for (size_t i = 0; i < p->nmdas; i++)
		if (p->mdas[i].seqno >= 0 && p->mdas[i].seqno != p->seqno)
			warn(n, "metadata area at %llu holds an older seqno "
			     "(%lld, not %lld)",
			     (unsigned long long)p->mdas[i].start,
			     (long long)p->mdas[i].seqno, (long long)p->seqno);

	if (p->has_meta) {
		const struct lvm_item *vg = vg_section(&p->meta);
		p->vg_name = vg->key;
		p->vg_uuid = da_lvm_get_str(&p->meta, vg, "id");
		da_obj_set_str(n->props, "vg", vg->key);
		if (p->vg_uuid)
			da_obj_set_str(n->props, "vg_uuid", p->vg_uuid);
		else
			warn(n, "VG %s has no id", vg->key);
		da_obj_set_int(n->props, "seqno", p->seqno);
		const struct lvm_item *me = find_pv_section(&p->meta, vg,
							    p->uuid);
		uint64_t st, sz, cnt;
		const char *why;
		if (!me) {
			warn(n, "this PV is not in the metadata of VG %s",
			     vg->key);
		} else if (!pv_geometry(n, &p->meta, vg, me, &st, &sz, &cnt,
					&why)) {
			warn(n, "%s", why);
		} else {
			if (st != p->pe_start)
				warn(n, "pe_start %llu in the metadata, %llu "
				     "in the PV header",
				     (unsigned long long)st,
				     (unsigned long long)p->pe_start);
			p->pe_start = st;
			p->pe_size = sz;
			p->pe_count = cnt;
			da_obj_set_int(n->props, "pe_start", (int64_t)st);
			da_obj_set_int(n->props, "pe_size", (int64_t)sz);
			da_obj_set_int(n->props, "pe_count", (int64_t)cnt);
		}
	}
	set_regions(n);
	return n;
}

/* ---- usage: allocated extents are used, the rest of the PE area free,
 * everything else (label, metadata, padding) metadata ---- */

static int lvm2_usage(struct da_node *n, uint64_t off, uint64_t len,
		      struct da_usage *out)
{
	struct pv_priv *p = n->priv;
	memset(out, 0, sizeof(*out));
	if (!p || off >= n->dev->size)
		return -1;
	if (len > n->dev->size - off)
		len = n->dev->size - off;
	uint64_t end = off + len, a = p->pe_start, b = a, bytes;
	/* [a, b) is the PE area; without a bitmap it is empty */
	if (!p->bm || !p->pe_size ||
	    !mul_ok(p->pe_count, p->pe_size, &bytes) || !add_ok(a, bytes, &b))
		b = a;
	uint64_t x = off > a ? off : a, y = end < b ? end : b;
	if (y <= x) {
		out->metadata = len;
		return 0;
	}
	out->metadata = len - (y - x);
	uint64_t pe = p->pe_size, e0 = (x - a) / pe, e1 = (y - 1 - a) / pe;
	uint64_t used;
	if (e0 == e1) {
		used = da_bitmap_test(p->bm, e0) ? y - x : 0;
	} else {
		used = 0;
		if (da_bitmap_test(p->bm, e0))
			used += a + (e0 + 1) * pe - x;
		if (da_bitmap_test(p->bm, e1))
			used += y - (a + e1 * pe);
		used += da_bitmap_count(p->bm, e0 + 1, e1 - e0 - 1) * pe;
	}
	out->used = used;
	out->free = (y - x) - used;
	return 0;
}

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

struct vg {
	const struct lvm_meta *meta;
	const struct lvm_item *sec;
	const char *name;
	uint64_t extent;           /* bytes */
	struct vg_pv *pvs;
	size_t npvs;
	struct vg_lv *lvs;
	size_t nlvs;
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

static struct vg_pv *vg_find_pv(struct vg *g, const char *mname)
{
	for (size_t i = 0; i < g->npvs; i++)
		if (strcmp(g->pvs[i].mname, mname) == 0)
			return &g->pvs[i];
	return NULL;
}

static int vg_find_lv(struct vg *g, const char *name)
{
	for (size_t i = 0; i < g->nlvs; i++)
		if (strcmp(g->lvs[i].sec->key, name) == 0)
			return (int)i;
	return -1;
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
	size_t cap = 0;
	*n = 0;
	for (const struct lvm_item *c = da_lvm_first(g->meta, l->sec); c;
	     c = da_lvm_next(g->meta, c))
		if (c->type == LVM_SECTION && cap < MAX_SEGS)
			cap++;
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
	qsort(s, *n, sizeof(*s), cmp_seg);
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
		dashed_uuid(pv[i]->uuid, u);
		da_obj_set_str(o, "pv_uuid", u);
		if (pv[i]->node)
			da_obj_set_str(o, "pv", pv[i]->node->dev->name);
		else
			da_obj_set_bool(o, "missing", true);
		da_obj_set_int(o, "pe_start", (int64_t)pe[i]);
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
			da_obj_set_int(o, "offset", (int64_t)offs[i]);
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
			da_obj_set_int(o, "offset", (int64_t)offs[i]);
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
		da_obj_set_int(sp, "start_extent", (int64_t)s[k].start);
		da_obj_set_int(sp, "extent_count", (int64_t)s[k].count);
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

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge a PV's allocated runs, build its bitmap, redo its
 * regions and its counts. */
static void pv_finish(struct da_node *n)
{
	struct pv_priv *p = n->priv;
	if (p->nruns)
		qsort(p->runs, p->nruns, sizeof(*p->runs), cmp_run);
	size_t k = 0;
	for (size_t i = 0; i < p->nruns; i++) {
		struct run r = p->runs[i];
		if (k && r.role == p->runs[k - 1].role &&
		    r.start <= p->runs[k - 1].start + p->runs[k - 1].len) {
			uint64_t e = r.start + r.len;
			struct run *q = &p->runs[k - 1];
			if (e > q->start + q->len)
				q->len = e - q->start;
		} else {
			p->runs[k++] = r;
		}
	}
	p->nruns = k;
	da_bitmap_free(p->bm);
	p->bm = NULL;
	uint64_t used = 0;
	if (p->pe_count) {
		p->bm = da_bitmap_new(p->pe_count);
		for (size_t i = 0; p->bm && i < p->nruns; i++)
			da_bitmap_set_run(p->bm, p->runs[i].start,
					  p->runs[i].len);
		if (p->bm) {
			da_bitmap_finish(p->bm);
			/* runs of different roles may overlap in bad
			 * metadata: count extents, not runs */
			used = da_bitmap_count(p->bm, 0, p->pe_count);
		}
	}
	if (p->pe_count) {
		da_obj_set_int(n->props, "pe_allocated", (int64_t)used);
		da_obj_set_int(n->props, "pe_free",
			       (int64_t)(p->pe_count - used));
	}
	set_regions(n);
}

struct node_list {
	struct da_node **v;
	size_t n, cap;
};

static void collect(struct da_node *n, void *arg)
{
	struct node_list *l = arg;
	if (n->plugin != &da_plugin_lvm2 || !n->priv || l->n >= MAX_NODES)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct da_node **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = n;
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
static int assemble_vg(struct da_machine *m, struct node_list *all,
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
				warn(group[i], "VG already assembled "
				     "without this PV");
		free(group);
		return 0;
	}

	struct vg g = { .meta = &best->meta };
	g.sec = vg_section(g.meta);
	g.name = g.sec->key;
	int64_t ext = 0;
	if (!da_lvm_get_int(g.meta, g.sec, "extent_size", &ext) || ext <= 0 ||
	    ext > (int64_t)1 << 40) {
		for (size_t i = 0; i < ng; i++)
			warn(group[i], "VG %s: bad extent_size", g.name);
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
	size_t cap = 0;
	for (const struct lvm_item *c = da_lvm_first(g.meta, pvs);
	     c && cap < MAX_PVS; c = da_lvm_next(g.meta, c))
		cap++;
	g.pvs = da_xcalloc(cap ? cap : 1, sizeof(*g.pvs));
	char missing[300] = "";
	for (const struct lvm_item *c = da_lvm_first(g.meta, pvs);
	     c && g.npvs < cap; c = da_lvm_next(g.meta, c)) {
		const char *id = da_lvm_get_str(g.meta, c, "id");
		struct vg_pv *v = &g.pvs[g.npvs];
		if (c->type != LVM_SECTION || !id || !undash_uuid(id, v->uuid))
			continue;
		v->mname = c->key;
		g.npvs++;
		for (size_t i = 0; i < ncand; i++) {
			struct pv_priv *p = group[i]->priv;
			if (strcmp(p->uuid, v->uuid) != 0)
				continue;
			if (v->node) {
				warn(group[i], "duplicate of PV %s on %s: "
				     "not used", id, v->node->dev->name);
				continue;
			}
			uint64_t st, sz, cnt;
			const char *why;
			if (!pv_geometry(group[i], g.meta, g.sec, c, &st, &sz,
					 &cnt, &why)) {
				warn(group[i], "%s", why);
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
			da_obj_set_int(group[i]->props, "pe_start", (int64_t)st);
			da_obj_set_int(group[i]->props, "pe_size", (int64_t)sz);
			da_obj_set_int(group[i]->props, "pe_count", (int64_t)cnt);
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
		if (!listed && !find_pv_section(g.meta, g.sec, p->uuid))
			warn(group[i], "not a PV of VG %s any more (seqno "
			     "%lld)", g.name, (long long)best->seqno);
		if (missing[0])
			warn(group[i], "VG %s is partial: missing %s", g.name,
			     missing);
		if (p->has_meta && p != best && p->seqno != best->seqno)
			warn(group[i], "older metadata (seqno %lld) than "
			     "another PV of VG %s (%lld)",
			     (long long)p->seqno, g.name,
			     (long long)best->seqno);
	}

	const struct lvm_item *lvs = da_lvm_get_section(g.meta, g.sec,
							"logical_volumes");
	cap = 0;
	for (const struct lvm_item *c = da_lvm_first(g.meta, lvs);
	     c && cap < MAX_LVS; c = da_lvm_next(g.meta, c))
		if (c->type == LVM_SECTION)
			cap++;
	g.lvs = da_xcalloc(cap ? cap : 1, sizeof(*g.lvs));
	for (const struct lvm_item *c = da_lvm_first(g.meta, lvs);
	     c && g.nlvs < cap; c = da_lvm_next(g.meta, c))
		if (c->type == LVM_SECTION)
			g.lvs[g.nlvs++].sec = c;

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
		da_obj_set_int(props, "extent_size", (int64_t)g.extent);
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
		da_machine_add_volume(m, name, "lv", dev, props);
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
		pv_finish(group[i]);
	free(g.lvs);
	free(g.pvs);
	free(group);
	return added;
}

static int lvm2_assemble(struct da_machine *m, da_error *err)
{
	struct node_list all = { 0 };
	da_machine_each_node(m, collect, &all);
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
				warn(all.v[i], "no metadata area: its VG is "
				     "described only on its other PVs, which "
				     "were not found");
			pv_finish(all.v[i]);
		}
	}
	free(all.v);
	return added;
}

const struct da_plugin da_plugin_lvm2 = {
	.name = "lvm2",
	.layer = DA_LAYER_VOL,
	.probe = lvm2_probe,
	.scan = lvm2_scan,
	.assemble = lvm2_assemble,
	.usage = lvm2_usage,
	.free = pv_free,
};
