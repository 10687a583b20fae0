/* qcow2 host view: the image file's own layout as a node on the file
 * opened raw.  Every host cluster gets one role from a walk of the
 * metadata (header, L1, L2, refcount table and blocks, snapshots,
 * bitmaps, encryption header, data, compressed) and of the refcounts
 * (free: count 0; leaked: counted but referenced by nothing).  A data
 * cluster's guest offset is kept in a host -> guest map, which the node's
 * `through` gives to lookups, so a host byte is answered down to the
 * guest's partition, LV, filesystem and file.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2.h"
#include "qcow2_libs.h"

/* Files with more clusters than this are classified up to it. */
#define MAX_HOST_CLUSTERS (1u << 26)
#define MAX_SNAPSHOTS 65536u
#define MAX_SNAP_TABLE (64u << 20)

enum role {
	R_NONE, R_HEADER, R_L1, R_L2, R_REFTABLE, R_REFBLOCK, R_SNAPTABLE,
	R_SNAP_L1, R_DATA, R_SNAP_DATA, R_COMPRESSED, R_BITMAP, R_CRYPT,
	R_FREE, R_LEAKED, R_PAST, R_SHADOWED,
};

static const char *const role_names[] = {
	[R_NONE] = "unused", [R_HEADER] = "qcow2_header", [R_L1] = "l1_table",
	[R_L2] = "l2_table", [R_REFTABLE] = "refcount_table",
	[R_REFBLOCK] = "refcount_block", [R_SNAPTABLE] = "snapshot_table",
	[R_SNAP_L1] = "snapshot_l1_table", [R_DATA] = "data_cluster",
	[R_SNAP_DATA] = "snapshot_data", [R_COMPRESSED] = "compressed_cluster",
	[R_BITMAP] = "dirty_bitmap", [R_CRYPT] = "luks_header",
	[R_FREE] = "free", [R_LEAKED] = "leaked_cluster", [R_PAST] = "unused",
	[R_SHADOWED] = "shadowed_data",
};

/* host [host, host+len) holds guest [guest, guest+len) */
struct hmap {
	uint64_t host, guest, len;
};

struct host_priv {
	struct da_device *guest;
	struct qcow2 *q;           /* this file's reader (the guest owns it) */
	struct hmap *map;
	size_t nmap, cap;
	struct hmap *zmap;         /* compressed: host bytes -> guest cluster */
	size_t nzmap, zcap;
};

struct walk {
	struct qcow2 *q;
	struct da_node *n;
	struct host_priv *hp;
	uint8_t *cls;
	uint64_t nclusters;
	uint64_t conflicts, past;
	uint64_t allocated, compressed, zero_clusters, l2_tables;
	struct da_device *guest;   /* the top of the chain */
	int link;                  /* q is file number link of the chain */
	uint64_t shadowed;
	bool encrypted;
	bool oom;
};

/* Give clusters [off, off+len) a role; a cluster already given another
 * role keeps it (counted: two structures claim one cluster). */
static void mark(struct walk *w, uint64_t off, uint64_t len, enum role r,
		 const char *what)
{
	if (!len)
		return;
	struct qcow2 *q = w->q;
	if (off >= q->file_size || len > q->file_size - off) {
		if (!w->past++)
			da_warn(w->n, "%s at offset %" PRIu64 " lies past the "
				"end of the file (%" PRIu64 " bytes)", what,
				off, q->file_size);
		if (off >= q->file_size)
			return;
		len = q->file_size - off;
	}
	uint64_t first = off >> q->cluster_bits;
	uint64_t last = (off + len - 1) >> q->cluster_bits;
	for (uint64_t c = first; c <= last && c < w->nclusters; c++) {
		uint8_t cur = w->cls[c];
		if (cur == R_NONE || (cur == R_SNAP_DATA && r == R_DATA)) {
			w->cls[c] = (uint8_t)r;
		} else if (cur != r &&
			   !(cur == R_DATA && r == R_SNAP_DATA) &&
			   !(cur == R_COMPRESSED && r == R_COMPRESSED)) {
			if (!w->conflicts++)
				da_warn(w->n, "host cluster %" PRIu64 " is both "
					"%s and %s", c, role_names[cur],
					role_names[r]);
		}
	}
}

static void map_add(struct walk *w, uint64_t host, uint64_t guest,
		    uint64_t len)
{
	struct host_priv *hp = w->hp;
	if (hp->nmap && hp->map[hp->nmap - 1].host + hp->map[hp->nmap - 1].len == host &&
	    hp->map[hp->nmap - 1].guest + hp->map[hp->nmap - 1].len == guest) {
		hp->map[hp->nmap - 1].len += len;
		return;
	}
	if (hp->nmap == hp->cap) {
		size_t cap = hp->cap ? hp->cap * 2 : 256;
		struct hmap *m = realloc(hp->map, cap * sizeof(*m));
		if (!m) {
			w->oom = true;
			return;
		}
		hp->map = m;
		hp->cap = cap;
	}
	hp->map[hp->nmap++] = (struct hmap){ host, guest, len };
}

/* Does a file above this one in the chain hold guest byte g itself? */
static bool shadowed(struct walk *w, uint64_t g)
{
	for (int i = 0; i < w->link; i++) {
		struct qcow2 *u = qcow2_link(w->guest, i);
		if (u && qcow2_kind_at(u, g) != Q_UNALLOC)
			return true;
	}
	return false;
}

static void zmap_add(struct walk *w, uint64_t host, uint64_t guest,
		     uint64_t len)
{
	struct host_priv *hp = w->hp;
	if (hp->nzmap == hp->zcap) {
		size_t cap = hp->zcap ? hp->zcap * 2 : 256;
		struct hmap *m = realloc(hp->zmap, cap * sizeof(*m));
		if (!m) {
			w->oom = true;
			return;
		}
		hp->zmap = m;
		hp->zcap = cap;
	}
	hp->zmap[hp->nzmap++] = (struct hmap){ host, guest, len };
}

static bool table_ok(struct walk *w, uint64_t off, uint64_t len,
		     const char *what)
{
	struct qcow2 *q = w->q;
	if (off % q->cluster_size || !range_ok(off, len, q->file_size)) {
		if (!w->past++)
			da_warn(w->n, "%s at offset %" PRIu64 " lies outside "
				"the file (%" PRIu64 " bytes) or is not "
				"cluster-aligned", what, off, q->file_size);
		return false;
	}
	return true;
}

/* The bytes of the data cluster at host offset h that must lie inside
 * the file.  Without subclusters, the whole cluster.  With extended L2
 * entries qemu writes only the subclusters a write touches (the rest are
 * never read from this cluster: zeros or the backing file's), so the
 * file may end inside the last cluster: up to the end of its last
 * allocated subcluster must exist, and the clusters' bytes past the end
 * of the file are no damage (qemu-img check agrees).  What the file holds
 * of the cluster is marked; less than that is what a cut image lacks. */
static uint64_t data_len(const struct qcow2 *q, uint64_t h, uint64_t bm)
{
	if (!q->ext_l2)
		return q->cluster_size;
	uint32_t alloc = (uint32_t)bm;
	unsigned sb = q->cluster_bits - 5;
	uint64_t need = alloc ? (uint64_t)(32 - __builtin_clz(alloc)) << sb : 0;
	uint64_t inside = h < q->file_size ? q->file_size - h : 0;
	if (need > inside)
		return need;           /* cut: mark() says so */
	return inside < q->cluster_size ? inside : q->cluster_size;
}

/* One L1 table (the active one, or a snapshot's): its L2 tables and
 * every cluster they point to. */
static void walk_l1(struct walk *w, const uint64_t *l1, uint32_t l1_size,
		    bool active)
{
	struct qcow2 *q = w->q;
	uint64_t per_l2 = 1ULL << q->l2_bits;
	for (uint32_t i = 0; i < l1_size; i++) {
		uint64_t l2off = l1[i] & QCOW2_OFFSET_MASK;
		if (!l2off)
			continue;
		if (!table_ok(w, l2off, q->cluster_size, "an L2 table"))
			continue;
		bool seen = w->cls[l2off >> q->cluster_bits] == R_L2;
		mark(w, l2off, q->cluster_size, R_L2, "an L2 table");
		if (seen && !active)
			continue;      /* shared with the active L1: done */
		if (!seen)
			w->l2_tables++;
		da_error e;
		const uint8_t *t = qcow2_l2(q, l2off, &e);
		if (!t)
			continue;
		for (uint64_t j = 0; j < per_l2; j++) {
			uint64_t ent = be64(t + j * q->entry_size);
			uint64_t bm = q->ext_l2 ? be64(t + j * q->entry_size + 8) : 0;
			uint64_t guest = (((uint64_t)i << q->l2_bits) + j)
					 << q->cluster_bits;
			if (guest >= q->size)
				break;
			if (ent & QCOW2_COMPRESSED) {
				uint64_t off, len;
				qcow2_compressed_range(q, ent, &off, &len);
				if (off + len > q->file_size && off < q->file_size)
					len = q->file_size - off;  /* the last */
				mark(w, off, len, R_COMPRESSED,
				     "a compressed cluster");
				if (active) {
					w->compressed++;
					w->allocated++;
					if (!(w->link > 0 && shadowed(w, guest)) &&
					    off < q->file_size)
						zmap_add(w, off, guest, len);
				}
				continue;
			}
			uint64_t h = ent & QCOW2_OFFSET_MASK;
			if (!h) {
				if (active && ((!q->ext_l2 && (ent & 1)) ||
					       (q->ext_l2 && bm >> 32)))
					w->zero_clusters++;
				continue;
			}
			uint64_t len = data_len(q, h, bm);
			if (active && w->link > 0 && shadowed(w, guest)) {
				/* a file above in the chain has its own
				 * cluster here: the guest never reads this */
				mark(w, h, len, R_SHADOWED, "a data cluster");
				w->allocated++;
				w->shadowed++;
				continue;
			}
			if (w->encrypted) {
				mark(w, h, len, R_DATA, "a data cluster");
			} else {
				mark(w, h, len, active ? R_DATA : R_SNAP_DATA,
				     "a data cluster");
			}
			if (active) {
				w->allocated++;
				if (len && h + len <= q->file_size)
					map_add(w, h, guest, len);
			}
		}
	}
}

static uint64_t *read_l1(struct walk *w, uint64_t off, uint32_t n)
{
	struct qcow2 *q = w->q;
	if (!n || n > (32u << 20) / 8 ||
	    !table_ok(w, off, (uint64_t)n * 8, "a snapshot's L1 table"))
		return NULL;
	uint8_t *raw = malloc((size_t)n * 8);
	uint64_t *l1 = malloc((size_t)n * sizeof(*l1));
	if (!raw || !l1 ||
	    da_device_read(w->n->dev, raw, (size_t)n * 8, off, NULL) < 0) {
		free(raw);
		free(l1);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		l1[i] = be64(raw + 8 * (size_t)i);
	free(raw);
	(void)q;
	return l1;
}

static void walk_snapshots(struct walk *w)
{
	struct qcow2 *q = w->q;
	if (!q->nb_snapshots)
		return;
	if (q->nb_snapshots > MAX_SNAPSHOTS) {
		da_warn(w->n, "absurd snapshot count %u", q->nb_snapshots);
		return;
	}
	if (!table_ok(w, q->snap_off, 40, "the snapshot table"))
		return;
	uint64_t avail = q->file_size - q->snap_off;
	size_t len = avail < MAX_SNAP_TABLE ? (size_t)avail : MAX_SNAP_TABLE;
	uint8_t *t = malloc(len);
	if (!t || da_device_read(w->n->dev, t, len, q->snap_off, NULL) < 0) {
		free(t);
		return;
	}
	struct da_value *list = da_arr_new();
	size_t off = 0;
	for (uint32_t i = 0; i < q->nb_snapshots; i++) {
		if (off + 40 > len) {
			da_warn(w->n, "the snapshot table runs past the end of "
				"the file");
			break;
		}
		const uint8_t *s = t + off;
		uint64_t l1off = be64(s);
		uint32_t l1n = be32(s + 8);
		uint16_t idlen = be16(s + 12), namelen = be16(s + 14);
		uint32_t extra = be32(s + 36);
		size_t need = 40 + (size_t)extra + idlen + namelen;
		if (extra > 65536 || off + need > len) {
			da_warn(w->n, "snapshot %u runs past the table", i + 1);
			break;
		}
		struct da_value *o = da_obj_new();
		char *id = strndup((const char *)s + 40 + extra, idlen);
		char *name = strndup((const char *)s + 40 + extra + idlen,
				     namelen);
		da_obj_set_str(o, "id", id ? id : "");
		da_obj_set_str(o, "name", name ? name : "");
		free(id);
		free(name);
		da_obj_set_int(o, "date", be32(s + 16));
		da_obj_set_int(o, "vm_state_size", be32(s + 32));
		if (extra >= 16)
			da_obj_set_int(o, "disk_size", (int64_t)be64(s + 48));
		da_obj_set_int(o, "l1_table_offset", (int64_t)l1off);
		da_arr_push(list, o);
		mark(w, l1off, (uint64_t)l1n * 8, R_SNAP_L1,
		     "a snapshot's L1 table");
		uint64_t *l1 = read_l1(w, l1off, l1n);
		if (l1) {
			walk_l1(w, l1, l1n, false);
			free(l1);
		}
		off += (need + 7) & ~(size_t)7;
	}
	/* the last entry's padding may run past the end of the file */
	mark(w, q->snap_off, off < len ? off : len, R_SNAPTABLE,
	     "the snapshot table");
	free(t);
	da_obj_set(w->n->props, "snapshots", list);
}

static void walk_bitmaps(struct walk *w)
{
	struct qcow2 *q = w->q;
	if (!q->bm_dir_size)
		return;
	if (q->bm_dir_size > MAX_SNAP_TABLE ||
	    !table_ok(w, q->bm_dir_off, q->bm_dir_size, "the bitmap directory"))
		return;
	mark(w, q->bm_dir_off, q->bm_dir_size, R_BITMAP, "the bitmap directory");
	size_t len = (size_t)q->bm_dir_size;
	uint8_t *t = malloc(len);
	if (!t || da_device_read(w->n->dev, t, len, q->bm_dir_off, NULL) < 0) {
		free(t);
		return;
	}
	size_t off = 0;
	for (uint32_t i = 0; i < q->nb_bitmaps && off + 24 <= len; i++) {
		const uint8_t *b = t + off;
		uint64_t toff = be64(b);
		uint32_t tsize = be32(b + 8);
		uint16_t nlen = be16(b + 18);
		uint32_t extra = be32(b + 20);
		if (tsize > (32u << 20) / 8 || extra > 65536)
			break;
		mark(w, toff, (uint64_t)tsize * 8, R_BITMAP, "a bitmap table");
		uint8_t *bt = tsize ? malloc((size_t)tsize * 8) : NULL;
		if (bt && table_ok(w, toff, (uint64_t)tsize * 8, "a bitmap table") &&
		    da_device_read(w->n->dev, bt, (size_t)tsize * 8, toff, NULL) == 0)
			for (uint32_t k = 0; k < tsize; k++) {
				uint64_t d = be64(bt + 8 * (size_t)k) & QCOW2_OFFSET_MASK;
				if (d)
					mark(w, d, q->cluster_size, R_BITMAP,
					     "a bitmap cluster");
			}
		free(bt);
		off += (24 + (size_t)extra + nlen + 7) & ~(size_t)7;
	}
	free(t);
}

/* The refcount table and blocks; then every cluster nothing else took is
 * free (count 0) or leaked (counted, referenced by nothing). */
static void walk_refcounts(struct walk *w, uint64_t *nfree, uint64_t *nleaked)
{
	struct qcow2 *q = w->q;
	uint64_t rtlen = (uint64_t)q->rt_clusters << q->cluster_bits;
	uint8_t *counted = calloc(w->nclusters ? w->nclusters : 1, 1);
	if (!counted) {
		w->oom = true;
		return;
	}
	if (q->rt_clusters && rtlen <= (64u << 20) &&
	    table_ok(w, q->rt_off, rtlen, "the refcount table")) {
		mark(w, q->rt_off, rtlen, R_REFTABLE, "the refcount table");
		uint8_t *rt = malloc((size_t)rtlen);
		uint8_t *blk = malloc(q->cluster_size);
		unsigned bits = 1u << q->refcount_order;
		uint64_t per_block = q->cluster_size * 8 / bits;
		if (rt && blk &&
		    da_device_read(w->n->dev, rt, (size_t)rtlen, q->rt_off, NULL) == 0) {
			for (uint64_t i = 0; i < rtlen / 8; i++) {
				uint64_t b = be64(rt + 8 * i) & QCOW2_OFFSET_MASK;
				if (!b)
					continue;
				if (!table_ok(w, b, q->cluster_size,
					      "a refcount block"))
					continue;
				uint8_t cur = w->cls[b >> q->cluster_bits];
				if (cur == R_REFBLOCK || cur == R_REFTABLE) {
					/* a table that points at itself or
					 * twice at one block: read it once */
					if (!w->conflicts++)
						da_warn(w->n, "refcount block at "
							"%" PRIu64 " is listed "
							"twice (a loop)", b);
					continue;
				}
				mark(w, b, q->cluster_size, R_REFBLOCK,
				     "a refcount block");
				if (da_device_read(w->n->dev, blk, q->cluster_size,
						   b, NULL) < 0)
					continue;
				for (uint64_t k = 0; k < per_block; k++) {
					uint64_t c = i * per_block + k;
					if (c >= w->nclusters)
						break;
					uint64_t bit = k * bits;
					uint64_t v;
					if (bits >= 8) {
						v = 0;
						for (unsigned x = 0; x < bits / 8; x++)
							v = v << 8 | blk[bit / 8 + x];
					} else {
						v = blk[bit / 8] >> (bit % 8) &
						    ((1u << bits) - 1);
					}
					counted[c] = v != 0;
				}
			}
		}
		free(rt);
		free(blk);
	}
	for (uint64_t c = 0; c < w->nclusters; c++) {
		if (w->cls[c] != R_NONE)
			continue;
		w->cls[c] = counted[c] ? R_LEAKED : R_FREE;
		if (counted[c])
			(*nleaked)++;
		else
			(*nfree)++;
	}
	free(counted);
}

static int cmp_hmap(const void *a, const void *b)
{
	const struct hmap *x = a, *y = b;
	return x->host < y->host ? -1 : x->host > y->host;
}

static const struct hmap *find(const struct hmap *map, size_t n,
			       uint64_t off)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hmap *m = &map[mid];
		if (off < m->host)
			hi = mid;
		else if (off - m->host >= m->len)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/* How many bytes of its cluster the compressed bytes [0, k) decode to:
 * the guest byte that compressed byte k - 1 helps decode. */
static uint64_t decoded_by(struct qcow2 *q, const uint8_t *in, size_t k,
			   uint8_t *out)
{
	if (qcow2_codec(q->compression))
		return 0;
	if (q->compression == 0) {
		z_stream s;
		memset(&s, 0, sizeof(s));
		if (z_inflate_init(&s, -12) != Z_OK)
			return 0;
		s.next_in = (Bytef *)in;
		s.avail_in = (uInt)k;
		s.next_out = out;
		s.avail_out = (uInt)q->cluster_size;
		Z->inflate(&s, Z_SYNC_FLUSH);
		uint64_t n = s.total_out;
		Z->inflateEnd(&s);
		return n;
	}
	ZSTD_DCtx *z = ZS->ZSTD_createDCtx();
	if (!z)
		return 0;
	ZSTD_inBuffer zi = { in, k, 0 };
	ZSTD_outBuffer zo = { out, q->cluster_size, 0 };
	for (int i = 0; i < 1024 && zi.pos < zi.size && zo.pos < zo.size; i++)
		if (ZS->ZSTD_isError(ZS->ZSTD_decompressStream(z, &zo, &zi)))
			break;
	ZS->ZSTD_freeDCtx(z);
	return zo.pos;
}

/* A byte of a compressed cluster: the guest byte its decoding reaches
 * (compressed data decodes in order, so the answer climbs through the
 * guest cluster as the host byte does). */
static int compressed_through(struct host_priv *hp, const struct hmap *m,
			      uint64_t off, uint64_t *dev_off)
{
	struct qcow2 *q = hp->q;
	uint8_t *in = malloc((size_t)m->len), *out = malloc(q->cluster_size);
	size_t k = (size_t)(off - m->host) + 1;
	int rc = -1;
	if (in && out && pread(q->fd, in, (size_t)m->len, (off_t)m->host) ==
			 (ssize_t)m->len) {
		uint64_t n = decoded_by(q, in, k, out);
		if (n >= q->cluster_size)
			n = q->cluster_size - 1;
		*dev_off = m->guest + n;
		rc = 0;
	}
	free(in);
	free(out);
	return rc;
}

static int host_through(struct da_node *n, uint64_t off,
			struct da_device **dev, uint64_t *dev_off)
{
	struct host_priv *hp = n->priv;
	if (!hp)
		return -1;
	const struct hmap *m = find(hp->map, hp->nmap, off);
	if (m) {
		*dev = hp->guest;
		*dev_off = m->guest + (off - m->host);
		return 0;
	}
	m = find(hp->zmap, hp->nzmap, off);
	if (m && compressed_through(hp, m, off, dev_off) == 0) {
		*dev = hp->guest;
		return 0;
	}
	return -1;
}

static void host_free(struct da_node *n)
{
	struct host_priv *hp = n->priv;
	if (!hp)
		return;
	free(hp->map);
	free(hp->zmap);
	free(hp);
	n->priv = NULL;
}

/* Not in the plugin tables: the node is made by the machine when it opens
 * a qcow2, never probed. */
static const struct da_plugin qcow2_host_plugin = {
	.name = "qcow2",
	.layer = DA_LAYER_VOL,
	.through = host_through,
	.free = host_free,
};

static void add_regions(struct walk *w)
{
	struct qcow2 *q = w->q;
	struct da_node *n = w->n;
	uint64_t cs = q->cluster_size;
	/* the first cluster: header, extensions (with the backing name) */
	uint64_t hl = q->header_len, ee = q->ext_end ? q->ext_end : hl;
	uint64_t c0 = cs < q->file_size ? cs : q->file_size;
	uint64_t bend = q->backing_off ? q->backing_off + q->backing_len : 0;
	if (bend > ee && bend <= c0)
		ee = bend;
	if (ee > c0)
		ee = c0;
	da_node_add_region(n, 0, hl < c0 ? hl : c0, "qcow2_header", -1);
	if (ee > hl)
		da_node_add_region(n, hl, ee - hl, "header_extension", -1);
	if (c0 > ee)
		da_node_add_region(n, ee, c0 - ee, "padding", -1);
	uint64_t c = 1;
	while (c < w->nclusters) {
		uint64_t e = c + 1;
		while (e < w->nclusters && w->cls[e] == w->cls[c])
			e++;
		uint64_t start = c * cs, end = e * cs;
		if (end > q->file_size)
			end = q->file_size;
		const char *role = role_names[w->cls[c]];
		if (w->encrypted && w->cls[c] == R_DATA)
			role = "encrypted";
		da_node_add_region(n, start, end - start, role, -1);
		c = e;
	}
	if (w->nclusters * cs < q->file_size)
		da_node_add_region(n, w->nclusters * cs,
				   q->file_size - w->nclusters * cs, "unused",
				   -1);
}

struct da_node *da_qcow2_host_view(struct da_device *guest, int link,
				   struct da_device *host, da_error *err)
{
	struct qcow2 *q = qcow2_link(guest, link);
	if (!q) {
		da_error_set(err, EINVAL, "%s: not a qcow2 device", guest->name);
		return NULL;
	}
	struct da_node *n = da_node_new(DA_NODE_IMAGE, &qcow2_host_plugin, host);
	struct host_priv *hp = da_xcalloc(1, sizeof(*hp));
	hp->guest = guest;         /* the machine keeps it: no reference */
	hp->q = q;
	n->priv = hp;
	da_obj_set_str(n->props, "format", "qcow2");
	da_obj_set_int(n->props, "version", q->version);
	da_obj_set_int(n->props, "cluster_size", (int64_t)q->cluster_size);
	da_obj_set_int(n->props, "guest_size", (int64_t)q->size);
	da_obj_set_str(n->props, "guest_disk", guest->name);
	da_obj_set_int(n->props, "refcount_bits", 1 << q->refcount_order);
	if (q->version >= 3)
		da_obj_set_str(n->props, "compression",
			       q->compression ? "zstd" : "zlib");
	if (q->ext_l2)
		da_obj_set_bool(n->props, "extended_l2", true);
	if (q->backing_name)
		da_obj_set_str(n->props, "backing_file", q->backing_name);
	if (q->backing_fmt)
		da_obj_set_str(n->props, "backing_format", q->backing_fmt);
	if (q->chain_desc)
		da_obj_set_str(n->props, "backing_chain", q->chain_desc);
	if (q->crypt_method)
		da_obj_set_str(n->props, "encryption",
			       q->crypt_method == 1 ? "aes" : "luks");
	if (q->incompat & 1)
		da_warn(n, "the image was not closed cleanly (dirty): "
			"refcounts may be stale");
	if (q->incompat & 2)
		da_warn(n, "qemu marked the image corrupt");

	struct walk w = { .q = q, .n = n, .hp = hp, .guest = guest,
			  .link = link, .encrypted = q->crypt_method != 0 };
	if (link > 0) {
		da_obj_set_int(n->props, "chain_link", link);
		da_obj_set_str(n->props, "backing_of",
			       qcow2_link(guest, link - 1)->path);
	}
	w.nclusters = (q->file_size + q->cluster_size - 1) >> q->cluster_bits;
	if (w.nclusters > MAX_HOST_CLUSTERS) {
		da_warn(n, "only the first %u clusters of the file are "
			"classified", MAX_HOST_CLUSTERS);
		w.nclusters = MAX_HOST_CLUSTERS;
	}
	w.cls = calloc(w.nclusters ? w.nclusters : 1, 1);
	if (!w.cls) {
		da_node_free(n);
		da_error_set(err, ENOMEM, "%s: out of memory", q->path);
		return NULL;
	}
	pthread_mutex_lock(&q->lock);
	if (w.nclusters)
		w.cls[0] = R_HEADER;
	if (q->crypt_len)
		mark(&w, q->crypt_off, q->crypt_len, R_CRYPT,
		     "the encryption header");
	mark(&w, q->l1_off, (uint64_t)q->l1_size * 8, R_L1, "the L1 table");
	walk_l1(&w, q->l1, q->l1_size, true);
	walk_snapshots(&w);
	walk_bitmaps(&w);
	uint64_t nfree = 0, nleaked = 0;
	walk_refcounts(&w, &nfree, &nleaked);
	pthread_mutex_unlock(&q->lock);

	da_sort(hp->map, hp->nmap, sizeof(*hp->map), cmp_hmap);
	/* two guest clusters on one host cluster (a damaged table): keep
	 * the first, so the map stays sorted and disjoint */
	size_t k = 0;
	for (size_t i = 0; i < hp->nmap; i++) {
		if (k && hp->map[i].host < hp->map[k - 1].host + hp->map[k - 1].len)
			continue;
		hp->map[k++] = hp->map[i];
	}
	hp->nmap = k;
	/* compressed ranges: their sector counts round up over the next
	 * one's first bytes; each ends where the next begins */
	da_sort(hp->zmap, hp->nzmap, sizeof(*hp->zmap), cmp_hmap);
	k = 0;
	for (size_t i = 0; i < hp->nzmap; i++) {
		if (k && hp->zmap[i].host < hp->zmap[k - 1].host + hp->zmap[k - 1].len)
			hp->zmap[k - 1].len = hp->zmap[i].host - hp->zmap[k - 1].host;
		if (k && !hp->zmap[k - 1].len)
			k--;
		hp->zmap[k++] = hp->zmap[i];
	}
	hp->nzmap = k;

	da_obj_set_int(n->props, "allocated_clusters", (int64_t)w.allocated);
	da_obj_set_int(n->props, "compressed_clusters", (int64_t)w.compressed);
	da_obj_set_int(n->props, "zero_clusters", (int64_t)w.zero_clusters);
	if (link > 0)
		da_obj_set_int(n->props, "shadowed_clusters",
			       (int64_t)w.shadowed);
	da_obj_set_int(n->props, "l2_tables", (int64_t)w.l2_tables);
	da_obj_set_int(n->props, "free_clusters", (int64_t)nfree);
	da_obj_set_int(n->props, "leaked_clusters", (int64_t)nleaked);
	if (w.conflicts > 1)
		da_warn(n, "%" PRIu64 " clusters are claimed twice",
			w.conflicts);
	if (w.past)
		da_obj_set_bool(n->props, "truncated", true);
	if (w.past > 1)
		da_warn(n, "%" PRIu64 " references lie outside the file",
			w.past);
	add_regions(&w);
	free(w.cls);
	if (w.oom)
		da_warn(n, "out of memory: the host map is incomplete");
	return n;
}
