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
 * scan reads one PV here; lvm2_vg.c assembles the VGs over all of them.
 * After assembly each PV's extents are "allocated" (or the role of the
 * metadata sub-LV that uses them) or "unallocated".
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm2.h"

static const char mda_magic[16] = " LVM2 x[5A%r0N*>";


/* LVM's CRC: the IEEE polynomial reflected, its own seed, no final xor:
 * the zlib-style da_crc32 with the complements undone. */
static uint32_t lvm_crc(const void *buf, size_t len)
{
	return ~da_crc32(~LVM_CRC_INIT, buf, len);
}

/* "abcdef-ghij-..." from the 32 stored characters. */
void lvm2_dashed_uuid(const char *u, char *out)
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
bool lvm2_undash_uuid(const char *s, char *out)
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
const struct lvm_item *lvm2_vg_section(const struct lvm_meta *meta)
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
void lvm2_set_regions(struct da_node *n)
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
	da_sort(iv, k, sizeof(*iv), cmp_ival);
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
const struct lvm_item *lvm2_find_pv_section(const struct lvm_meta *meta,
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
		if (c->type == LVM_SECTION && id && lvm2_undash_uuid(id, u) &&
		    strcmp(u, uuid) == 0)
			return c;
	}
	return NULL;
}

/* Geometry of the extents of PV p in the VG metadata: pe_size, pe_count
 * (clipped to the device), pe_start.  false with why when unusable. */
bool lvm2_pv_geometry(struct da_node *n, const struct lvm_meta *meta,
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
		da_warn(n, "%llu extents of %llu bytes from %llu do not fit in "
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
	lvm2_dashed_uuid(p->uuid, u);
	da_obj_set_str(n->props, "uuid", u);
	da_obj_set_int(n->props, "label_sector", where);
	da_obj_set_uint(n->props, "dev_size", p->dev_size);
	if (p->dev_size > dev->size)
		da_warn(n, "the PV header says %llu bytes, the device has %llu "
			"(truncated?)", (unsigned long long)p->dev_size,
			(unsigned long long)dev->size);
	if (nda == 0) {
		da_warn(n, "no data area in the PV header");
		p->pe_start = dev->size;
	} else {
		p->pe_start = da_off[0];
		if (p->pe_start > dev->size) {
			da_warn(n, "data area at %llu is past the end of the "
				"device", (unsigned long long)p->pe_start);
			p->pe_start = dev->size;
		}
	}
	da_obj_set_uint(n->props, "pe_start", p->pe_start);

	/* every metadata area: keep the text with the highest seqno */
	struct da_value *mdas = da_arr_new();
	for (size_t i = 0; i < nma; i++) {
		struct mda *m = &p->mdas[p->nmdas++];
		m->start = ma_off[i];
		m->size = ma_size[i];
		struct lvm_meta meta;
		char why[256];
		struct da_value *o = da_obj_new();
		da_obj_set_uint(o, "offset", m->start);
		da_obj_set_uint(o, "size", m->size);
		if (read_mda(dev, m, &meta, why, sizeof(why)) == 0) {
			const struct lvm_item *vg = lvm2_vg_section(&meta);
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
				da_warn(n, "metadata area at %llu: %s%s%s",
					(unsigned long long)m->start, m->problem,
					why[0] ? ": " : "", why);
		}
		da_arr_push(mdas, o);
	}
	da_obj_set(n->props, "mdas", mdas);
	for (size_t i = 0; i < p->nmdas; i++)
		if (p->mdas[i].seqno >= 0 && p->mdas[i].seqno != p->seqno)
			da_warn(n, "metadata area at %llu holds an older seqno "
				"(%lld, not %lld)",
				(unsigned long long)p->mdas[i].start,
				(long long)p->mdas[i].seqno, (long long)p->seqno);

	if (p->has_meta) {
		const struct lvm_item *vg = lvm2_vg_section(&p->meta);
		p->vg_name = vg->key;
		p->vg_uuid = da_lvm_get_str(&p->meta, vg, "id");
		da_obj_set_str(n->props, "vg", vg->key);
		if (p->vg_uuid)
			da_obj_set_str(n->props, "vg_uuid", p->vg_uuid);
		else
			da_warn(n, "VG %s has no id", vg->key);
		da_obj_set_int(n->props, "seqno", p->seqno);
		const struct lvm_item *me = lvm2_find_pv_section(&p->meta, vg,
							    p->uuid);
		uint64_t st, sz, cnt;
		const char *why;
		if (!me) {
			da_warn(n, "this PV is not in the metadata of VG %s",
				vg->key);
		} else if (!lvm2_pv_geometry(n, &p->meta, vg, me, &st, &sz, &cnt,
					&why)) {
			da_warn(n, "%s", why);
		} else {
			if (st != p->pe_start)
				da_warn(n, "pe_start %llu in the metadata, %llu "
					"in the PV header",
					(unsigned long long)st,
					(unsigned long long)p->pe_start);
			p->pe_start = st;
			p->pe_size = sz;
			p->pe_count = cnt;
			da_obj_set_uint(n->props, "pe_start", st);
			da_obj_set_uint(n->props, "pe_size", sz);
			da_obj_set_uint(n->props, "pe_count", cnt);
		}
	}
	lvm2_set_regions(n);
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

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge a PV's allocated runs, build its bitmap, redo its
 * regions and its counts. */
void lvm2_pv_finish(struct da_node *n)
{
	struct pv_priv *p = n->priv;
	if (p->nruns)
		da_sort(p->runs, p->nruns, sizeof(*p->runs), cmp_run);
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
		da_obj_set_uint(n->props, "pe_allocated", used);
		da_obj_set_int(n->props, "pe_free",
			       (int64_t)(p->pe_count - used));
	}
	lvm2_set_regions(n);
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
