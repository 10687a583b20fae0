/* XFS (v4 and v5), parsed from xfsprogs' libxfs/xfs_format.h and the XFS
 * on-disk format documentation: the superblock, every allocation group's
 * headers (secondary superblock, AGF, AGI, AGFL) and B+trees, the inode
 * chunks and the internal log.
 *
 * Address space: the filesystem's own device.  Blocks are "linear": agno *
 * agblocks + agbno, that is the byte offset over the block size (what
 * xfs_db calls a daddr, in blocks instead of sectors).
 *
 * Usage: free space is the by-block free-space B+tree's records; known
 * metadata (AG headers, the AGFL's blocks, every B+tree block, inode
 * chunks, the log) is metadata; every other block is used (files,
 * directories, bmbt blocks: the file index says whose).  The map sees the
 * metadata as regions of their own roles.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "xfs.h"
#include "fileindex.h"

/* ---- CRC32C (Castagnoli), as v5 metadata is checked ----------------- */

/* The CRC of buf with its 4-byte CRC field at crc_off taken as zeros. */
uint32_t xfs_crc32c(const void *buf, size_t len, size_t crc_off)
{
	const uint8_t *b = buf;
	static const uint8_t zero[4];
	uint32_t crc = da_crc32c(0xffffffffu, b, crc_off);
	crc = da_crc32c(crc, zero, 4);
	crc = da_crc32c(crc, b + crc_off + 4, len - crc_off - 4);
	return ~crc;
}

/* XFS stores the CRC little-endian. */
bool xfs_crc_ok(const void *buf, size_t len, size_t crc_off)
{
	if (crc_off + 4 > len)
		return false;
	return xfs_crc32c(buf, len, crc_off) ==
	       le32((const uint8_t *)buf + crc_off);
}

/* ---- addresses ------------------------------------------------------- */

uint64_t xfs_ag_blocks(const struct xfs_geom *g, uint32_t agno)
{
	if (agno >= g->agcount)
		return 0;
	uint64_t start = (uint64_t)agno * g->agblocks;
	uint64_t left = g->dblocks > start ? g->dblocks - start : 0;
	return left < g->agblocks ? left : g->agblocks;
}

bool xfs_fsb_linear(const struct xfs_geom *g, uint64_t fsb, uint64_t *lin)
{
	uint64_t agno = fsb >> g->agblklog;
	uint64_t agbno = fsb & (((uint64_t)1 << g->agblklog) - 1);
	if (agno >= g->agcount || agbno >= xfs_ag_blocks(g, (uint32_t)agno))
		return false;
	*lin = agno * g->agblocks + agbno;
	return true;
}

int xfs_read_block(struct da_device *dev, const struct xfs_geom *g,
		   uint64_t lin, uint32_t count, void *buf, da_error *err)
{
	uint64_t off, len;
	if (!mul_ok(lin, g->bs, &off) || !mul_ok(count, g->bs, &len) ||
	    !range_ok(off, len, dev->size))
		return da_error_set(err, EINVAL, "block %llu past the end of "
				    "the device", (unsigned long long)lin);
	return da_device_read(dev, buf, (size_t)len, off, err);
}

void xfs_add_meta(struct da_node *n, uint64_t start, uint64_t len,
		  enum da_role role)
{
	struct xfs_priv *p = n->priv;
	while (len) {
		uint32_t l = len > 0x80000000u ? 0x80000000u : (uint32_t)len;
		if (p->nm == p->capm) {
			if (p->nm >= XFS_MAX_META)
				return;
			size_t cap = p->capm ? p->capm * 2 : 256;
			struct xfs_meta *m = realloc(p->m, cap * sizeof(*m));
			if (!m)
				return;
			p->m = m;
			p->capm = cap;
		}
		p->m[p->nm++] = (struct xfs_meta){ start, l, (uint16_t)role, 0 };
		start += l;
		len -= l;
	}
}

/* ---- the superblock -------------------------------------------------- */

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint32_t log2u(uint64_t v)
{
	uint32_t l = 0;
	while (v > 1) {
		v >>= 1;
		l++;
	}
	return l;
}

static int parse_sb(const uint8_t *sb, struct xfs_geom *g, char *why,
		    size_t whylen)
{
	memset(g, 0, sizeof(*g));
#define NOT(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)
	if (memcmp(sb, "XFSB", 4))
		NOT("no XFSB magic");
	g->bs = be32(sb + 4);
	g->dblocks = be64(sb + 8);
	g->rblocks = be64(sb + 16);
	memcpy(g->uuid, sb + 32, 16);
	uint64_t logstart = be64(sb + 48);
	g->rootino = be64(sb + 56);
	g->rbmino = be64(sb + 64);
	g->rsumino = be64(sb + 72);
	g->agblocks = be32(sb + 84);
	g->agcount = be32(sb + 88);
	g->logblocks = be32(sb + 96);
	uint16_t ver = be16(sb + 100);
	g->version = ver & 0xf;
	g->ss = be16(sb + 102);
	g->isize = be16(sb + 104);
	g->blocklog = sb[120];
	g->inopblog = sb[123];
	g->agblklog = sb[124];
	g->uquotino = be64(sb + 160);
	g->gquotino = be64(sb + 168);
	g->dirblklog = sb[192];
	g->features2 = (ver & 0x8000) ? be32(sb + 200) : 0;
	if (g->version != 4 && g->version != 5)
		NOT("version %d", g->version);
	if (!pow2(g->bs) || g->bs < 512 || g->bs > 65536 ||
	    log2u(g->bs) != g->blocklog)
		NOT("block size %u (log %u)", g->bs, g->blocklog);
	if (!pow2(g->ss) || g->ss < 512 || g->ss > 32768 || g->ss > g->bs)
		NOT("sector size %u", g->ss);
	if (!pow2(g->isize) || g->isize < 256 || g->isize > 2048 ||
	    g->isize > g->bs || g->inopblog != log2u(g->bs / g->isize))
		NOT("inode size %u", g->isize);
	if (g->agcount == 0 || g->agblocks < 5)
		NOT("%u AGs of %u blocks", g->agcount, g->agblocks);
	if (g->agblklog > 31 || g->agblklog != log2u(g->agblocks) +
	    !pow2(g->agblocks))
		NOT("AG block log %u for %u blocks", g->agblklog, g->agblocks);
	if (g->agblklog + g->inopblog > 32)
		NOT("inode numbers of %u bits", g->agblklog + g->inopblog);
	uint64_t most = (uint64_t)g->agcount * g->agblocks;
	if (g->dblocks == 0 || g->dblocks > most ||
	    g->dblocks <= most - g->agblocks)
		NOT("%llu blocks for %u AGs of %u",
		    (unsigned long long)g->dblocks, g->agcount, g->agblocks);
	if (g->dirblklog > 16 || (g->bs << g->dirblklog) > 65536)
		NOT("directory block log %u", g->dirblklog);
	if (4 * g->ss > g->bs * (uint64_t)g->agblocks)
		NOT("AG headers larger than the AG");
	if (g->version == 5) {
		g->crc = true;
		g->ro_compat = be32(sb + 212);
		g->incompat = be32(sb + 216);
		g->pquotino = be64(sb + 232);
		memcpy(g->meta_uuid, sb + 248, 16);
		g->ftype = g->incompat & XFS_IN_FTYPE;
		g->spinodes = g->incompat & XFS_IN_SPINODES;
		g->nrext64 = g->incompat & XFS_IN_NREXT64;
		g->finobt = g->ro_compat & XFS_RO_FINOBT;
		g->rmapbt = g->ro_compat & XFS_RO_RMAPBT;
		g->reflink = g->ro_compat & XFS_RO_REFLINK;
	} else {
		g->ftype = g->features2 & XFS_F2_FTYPE;
	}
	if (logstart) {
		if (!xfs_fsb_linear(g, logstart, &g->logstart) ||
		    g->logblocks == 0 ||
		    g->logblocks > xfs_ag_blocks(g, (uint32_t)(logstart >>
							      g->agblklog)))
			NOT("internal log at %llu of %llu blocks",
			    (unsigned long long)logstart,
			    (unsigned long long)g->logblocks);
	}
	g->sbhdr_bytes = 4 * g->ss;
#undef NOT
	return 0;
}

static enum da_probe xfs_probe(struct da_device *dev, da_error *err)
{
	uint8_t sb[512];
	if (dev->size < 4096)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, sb, sizeof(sb), 0, err) < 0)
		return DA_PROBE_ERROR;
	if (memcmp(sb, "XFSB", 4))
		return DA_PROBE_NOT_MINE;
	da_trace("xfs on %s: XFSB magic", dev->name);
	return DA_PROBE_FOUND;
}

/* ---- scan ------------------------------------------------------------ */

struct free_ext {
	uint64_t start, len;
};

struct scan_acc {
	struct da_node *n;
	struct free_ext *fr;
	size_t nfr, capfr;
	bool nomem;
	uint64_t shared;
};

static void bno_rec(void *arg, uint32_t agno, const uint8_t *rec)
{
	struct scan_acc *a = arg;
	struct xfs_priv *p = a->n->priv;
	uint32_t s = be32(rec), l = be32(rec + 4);
	uint64_t aglen = xfs_ag_blocks(&p->g, agno);
	if (l == 0 || s >= aglen || l > aglen - s) {
		da_warn(a->n, "AG %u bnobt: free extent %u+%u outside the AG",
			agno, s, l);
		return;
	}
	if (a->nfr == a->capfr) {
		size_t cap = a->capfr ? a->capfr * 2 : 1024;
		struct free_ext *f = realloc(a->fr, cap * sizeof(*f));
		if (!f) {
			a->nomem = true;
			return;
		}
		a->fr = f;
		a->capfr = cap;
	}
	a->fr[a->nfr++] = (struct free_ext){
		(uint64_t)agno * p->g.agblocks + s, l };
	p->free_blocks += l;
}

static void ino_rec(void *arg, uint32_t agno, const uint8_t *rec)
{
	struct scan_acc *a = arg;
	struct xfs_priv *p = a->n->priv;
	const struct xfs_geom *g = &p->g;
	uint32_t startino = be32(rec);
	uint16_t hole = g->spinodes ? be16(rec + 4) : 0;
	uint64_t freem = be64(rec + 8);
	uint64_t agbno = startino >> g->inopblog;
	/* a chunk starts on a block, or on 64 inodes within a block */
	uint32_t align = g->inopblog < 6 ? (1u << g->inopblog) : 64;
	if ((startino & (align - 1)) || agbno >= xfs_ag_blocks(g, agno)) {
		da_warn(a->n, "AG %u inobt: chunk at inode %u outside the AG",
			agno, startino);
		return;
	}
	if (p->nchunks == p->capchunks) {
		size_t cap = p->capchunks ? p->capchunks * 2 : 256;
		struct xfs_chunk *c = realloc(p->chunks, cap * sizeof(*c));
		if (!c) {
			a->nomem = true;
			return;
		}
		p->chunks = c;
		p->capchunks = cap;
	}
	p->chunks[p->nchunks++] = (struct xfs_chunk){ agno, startino, hole,
						      freem };
	/* the chunk's blocks, four inodes at a time for sparse chunks */
	uint64_t base = ((uint64_t)agno * g->agblocks << g->inopblog) + startino;
	for (int k = 0; k < 16; k++) {
		if (hole & (1u << k))
			continue;
		int j = k;
		while (j + 1 < 16 && !(hole & (1u << (j + 1))))
			j++;
		uint64_t b0 = (base + 4 * (uint64_t)k) * g->isize;
		uint64_t b1 = (base + 4 * (uint64_t)(j + 1)) * g->isize;
		uint64_t first = b0 / g->bs, last = (b1 + g->bs - 1) / g->bs;
		if (last > xfs_ag_blocks(g, agno) + (uint64_t)agno * g->agblocks)
			last = xfs_ag_blocks(g, agno) +
			       (uint64_t)agno * g->agblocks;
		if (last > first)
			xfs_add_meta(a->n, first, last - first, DA_ROLE_INODES);
		k = j;
	}
}

static void refc_rec(void *arg, uint32_t agno, const uint8_t *rec)
{
	struct scan_acc *a = arg;
	(void)agno;
	uint32_t l = be32(rec + 4), refs = be32(rec + 8);
	if (refs > 1)
		a->shared += l;
}

static int cmp_free(const void *x, const void *y)
{
	const struct free_ext *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int cmp_meta(const void *x, const void *y)
{
	const struct xfs_meta *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->role < b->role ? -1 : a->role > b->role;
}

/* One AG's headers: check them and walk its trees. */
static void scan_ag(struct da_node *n, uint32_t agno, uint8_t *hb,
		    struct scan_acc *acc)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	uint64_t lin0 = (uint64_t)agno * g->agblocks;
	uint64_t aglen = xfs_ag_blocks(g, agno);
	uint32_t hdrblocks = (g->sbhdr_bytes + g->bs - 1) / g->bs;
	xfs_add_meta(n, lin0, hdrblocks, DA_ROLE_SUPERBLOCK);
	da_error e;
	uint64_t off = lin0 * g->bs;
	if (!range_ok(off, g->sbhdr_bytes, n->dev->size) ||
	    da_device_read(n->dev, hb, g->sbhdr_bytes, off, &e) < 0) {
		da_warn(n, "AG %u: headers cannot be read (past the end of "
			"the device?)", agno);
		return;
	}
	const uint8_t *sb = hb, *agf = hb + g->ss, *agi = hb + 2 * g->ss,
		      *agfl = hb + 3 * g->ss;
	if (memcmp(sb, "XFSB", 4))
		da_warn(n, "AG %u: no superblock magic", agno);
	else {
		if (g->crc && !xfs_crc_ok(sb, g->ss, 224))
			da_warn(n, "AG %u: superblock fails its CRC", agno);
		if (be32(sb + 84) != g->agblocks || be32(sb + 88) != g->agcount)
			da_warn(n, "AG %u: secondary superblock disagrees on "
				"the geometry", agno);
	}
	/* AGF */
	bool agf_ok = !memcmp(agf, "XAGF", 4) && be32(agf + 8) == agno;
	if (!agf_ok)
		da_warn(n, "AG %u: AGF magic or number wrong", agno);
	else if (g->crc && !xfs_crc_ok(agf, g->ss, 216))
		da_warn(n, "AG %u: AGF fails its CRC", agno);
	if (agf_ok && be32(agf + 12) != aglen)
		da_warn(n, "AG %u: AGF says %u blocks, the superblock %llu",
			agno, be32(agf + 12), (unsigned long long)aglen);
	/* AGI */
	bool agi_ok = !memcmp(agi, "XAGI", 4) && be32(agi + 8) == agno;
	if (!agi_ok)
		da_warn(n, "AG %u: AGI magic or number wrong", agno);
	else if (g->crc && !xfs_crc_ok(agi, g->ss, 312))
		da_warn(n, "AG %u: AGI fails its CRC", agno);
	/* AGFL: a circular list of blocks kept for the trees */
	uint32_t flhdr = 0;
	if (g->crc) {
		flhdr = 36;
		if (memcmp(agfl, "XAFL", 4))
			da_warn(n, "AG %u: AGFL magic wrong", agno);
		else if (!xfs_crc_ok(agfl, g->ss, 32))
			da_warn(n, "AG %u: AGFL fails its CRC", agno);
	}
	if (agf_ok) {
		uint32_t size = (g->ss - flhdr) / 4;
		uint32_t first = be32(agf + 40), count = be32(agf + 48);
		p->agf_free += be32(agf + 52);
		if (count > size || (count && first >= size))
			da_warn(n, "AG %u: AGFL of %u entries from %u (room for "
				"%u)", agno, count, first, size);
		else
			for (uint32_t i = 0; i < count; i++) {
				uint32_t b = be32(agfl + flhdr +
						  4 * ((first + i) % size));
				if (b >= aglen || b < hdrblocks)
					da_warn(n, "AG %u: AGFL block %u outside "
						"the AG", agno, b);
				else
					xfs_add_meta(n, lin0 + b, 1,
						     DA_ROLE_AGFL);
			}
		xfs_walk_agbt(n, XFS_BT_BNO, agno, be32(agf + 16),
			      be32(agf + 28), bno_rec, acc);
		xfs_walk_agbt(n, XFS_BT_CNT, agno, be32(agf + 20),
			      be32(agf + 32), NULL, NULL);
		if (g->rmapbt)
			xfs_walk_agbt(n, XFS_BT_RMAP, agno, be32(agf + 24),
				      be32(agf + 36), NULL, NULL);
		if (g->reflink)
			xfs_walk_agbt(n, XFS_BT_REFC, agno, be32(agf + 88),
				      be32(agf + 92), refc_rec, acc);
	}
	if (agi_ok) {
		xfs_walk_agbt(n, XFS_BT_INO, agno, be32(agi + 20),
			      be32(agi + 24), ino_rec, acc);
		if (g->finobt)
			xfs_walk_agbt(n, XFS_BT_FINO, agno, be32(agi + 328),
				      be32(agi + 332), NULL, NULL);
	}
}

/* The header blocks of an AG, sector by sector. */
static void add_header_regions(struct da_node *n, uint64_t start,
			       uint64_t end)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	static const char *const roles[4] = { "superblock", "agf", "agi",
					      "agfl" };
	for (int i = 0; i < 4 && start + (uint64_t)i * g->ss < end; i++)
		da_node_add_region(n, start + (uint64_t)i * g->ss, g->ss,
				   roles[i], -1);
	if (start + 4 * (uint64_t)g->ss < end)
		da_node_add_region(n, start + 4 * (uint64_t)g->ss,
				   end - start - 4 * (uint64_t)g->ss,
				   "reserved", -1);
}

/* Sort and merge the metadata extents, make the bitmaps and the map's
 * regions (metadata with their roles, the rest the filesystem's own). */
static int finish_meta(struct da_node *n, struct scan_acc *acc, da_error *err)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	da_sort(p->m, p->nm, sizeof(*p->m), cmp_meta);
	size_t k = 0;
	for (size_t i = 0; i < p->nm; i++) {
		struct xfs_meta *m = &p->m[i];
		if (k) {
			struct xfs_meta *l = &p->m[k - 1];
			uint64_t lend = l->start + l->len;
			/* overlaps keep the first role: damage, warned by the
			 * tree walk */
			if (m->start < lend) {
				if (m->start + m->len <= lend)
					continue;
				uint64_t cut = lend - m->start;
				m->start = lend;
				m->len -= (uint32_t)cut;
			}
			if (l->role == m->role && lend == m->start &&
			    (uint64_t)l->len + m->len < 0x80000000u &&
			    m->role != DA_ROLE_SUPERBLOCK) {
				l->len += m->len;
				continue;
			}
		}
		p->m[k++] = *m;
	}
	p->nm = k;
	p->used = da_bitmap_new(g->dblocks);
	p->meta = da_bitmap_new(g->dblocks);
	if (!p->used || !p->meta)
		return da_error_set(err, ENOMEM, "no memory for the bitmaps");
	for (size_t i = 0; i < p->nm; i++)
		if (da_bitmap_set_run(p->meta, p->m[i].start, p->m[i].len) < 0)
			return da_error_set(err, ENOMEM, "no memory");
	da_bitmap_finish(p->meta);
	da_sort(acc->fr, acc->nfr, sizeof(*acc->fr), cmp_free);
	uint64_t at = 0;
	for (size_t i = 0; i < acc->nfr; i++) {
		if (acc->fr[i].start > at &&
		    da_bitmap_set_run(p->used, at, acc->fr[i].start - at) < 0)
			return da_error_set(err, ENOMEM, "no memory");
		uint64_t e = acc->fr[i].start + acc->fr[i].len;
		if (e > at)
			at = e;
	}
	if (at < g->dblocks &&
	    da_bitmap_set_run(p->used, at, g->dblocks - at) < 0)
		return da_error_set(err, ENOMEM, "no memory");
	da_bitmap_finish(p->used);

	/* regions over the whole device, in order */
	uint64_t fs_end = g->dblocks * g->bs;
	if (fs_end > n->dev->size)
		fs_end = n->dev->size;
	uint64_t pos = 0;
	for (size_t i = 0; i < p->nm && pos < fs_end; i++) {
		uint64_t s = p->m[i].start * g->bs;
		uint64_t e = (p->m[i].start + p->m[i].len) * g->bs;
		if (s >= fs_end)
			break;
		if (e > fs_end)
			e = fs_end;
		if (s > pos)
			da_node_add_region(n, pos, s - pos, NULL, -1);
		if (p->m[i].role == DA_ROLE_SUPERBLOCK)
			add_header_regions(n, s, e);
		else
			da_node_add_region(n, s, e - s,
					   da_role_name(p->m[i].role), -1);
		pos = e;
	}
	if (pos < fs_end)
		da_node_add_region(n, pos, fs_end - pos, NULL, -1);
	if (fs_end < n->dev->size)
		da_node_add_region(n, fs_end, n->dev->size - fs_end, "unused",
				   -1);
	return 0;
}

static void set_props(struct da_node *n, const uint8_t *sb)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	struct da_value *v = n->props;
	char buf[64];
	da_obj_set_str(v, "fstype", "xfs");
	char label[13];
	memcpy(label, sb + 108, 12);
	label[12] = 0;
	if (label[0])
		da_obj_set_str(v, "label", label);
	da_uuid_str(g->uuid, buf);
	da_obj_set_str(v, "uuid", buf);
	da_obj_set_int(v, "version", g->version);
	da_obj_set_int(v, "block_size", g->bs);
	da_obj_set_int(v, "sector_size", g->ss);
	da_obj_set_int(v, "inode_size", g->isize);
	da_obj_set_int(v, "blocks", (int64_t)g->dblocks);
	da_obj_set_int(v, "ag_count", g->agcount);
	da_obj_set_int(v, "ag_blocks", g->agblocks);
	da_obj_set_int(v, "free_blocks", (int64_t)p->free_blocks);
	da_obj_set_int(v, "inode_chunks", (int64_t)p->nchunks);
	da_obj_set_int(v, "size", (int64_t)(g->dblocks * g->bs));
	uint64_t freeb = p->free_blocks * g->bs;
	da_obj_set_int(v, "used", (int64_t)(g->dblocks * g->bs - freeb));
	da_obj_set_int(v, "free", (int64_t)freeb);
	da_obj_set_int(v, "root_inode", (int64_t)g->rootino);
	struct da_value *f = da_arr_new();
	if (g->crc)
		da_arr_push(f, da_str_new("crc"));
	if (g->ftype)
		da_arr_push(f, da_str_new("ftype"));
	if (g->finobt)
		da_arr_push(f, da_str_new("finobt"));
	if (g->spinodes)
		da_arr_push(f, da_str_new("sparse_inodes"));
	if (g->rmapbt)
		da_arr_push(f, da_str_new("rmapbt"));
	if (g->reflink)
		da_arr_push(f, da_str_new("reflink"));
	if (g->nrext64)
		da_arr_push(f, da_str_new("nrext64"));
	da_obj_set(v, "features", f);
	if (g->logstart) {
		da_obj_set_str(v, "log", "internal");
		da_obj_set_int(v, "log_start", (int64_t)(g->logstart * g->bs));
		da_obj_set_int(v, "log_size", (int64_t)(g->logblocks * g->bs));
	} else {
		da_obj_set_str(v, "log", "external (on another device)");
	}
	if (g->rblocks) {
		da_obj_set_int(v, "realtime_blocks", (int64_t)g->rblocks);
		da_obj_set_str(v, "realtime", "on another device");
	}
	if (g->reflink)
		da_obj_set_int(v, "shared_blocks", (int64_t)p->refcount_shared);
}

static void priv_free(struct xfs_priv *p)
{
	if (!p)
		return;
	da_bitmap_free(p->used);
	da_bitmap_free(p->meta);
	free(p->m);
	free(p->chunks);
	xfs_set_free(&p->seen);
	free(p);
}

static struct da_node *xfs_scan(struct da_device *dev, da_error *err)
{
	uint8_t sb[512];
	if (da_device_read(dev, sb, sizeof(sb), 0, err) < 0)
		return NULL;
	struct xfs_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		da_error_set(err, ENOMEM, "no memory");
		return NULL;
	}
	char why[160];
	if (parse_sb(sb, &p->g, why, sizeof(why)) < 0) {
		da_error_set(err, EINVAL, "superblock: %s", why);
		free(p);
		return NULL;
	}
	const struct xfs_geom *g = &p->g;
	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_xfs, dev);
	n->priv = p;
	uint64_t fs_bytes = g->dblocks * g->bs;
	if (fs_bytes > dev->size)
		da_warn(n, "truncated: the filesystem has %llu bytes, the "
			"device %llu", (unsigned long long)fs_bytes,
			(unsigned long long)dev->size);
	/* every B+tree block of the filesystem at most once */
	p->budget = g->dblocks;
	uint8_t *hb = malloc(g->sbhdr_bytes);
	struct scan_acc acc = { .n = n };
	if (!hb) {
		da_error_set(err, ENOMEM, "no memory");
		da_node_free(n);
		return NULL;
	}
	for (uint32_t a = 0; a < g->agcount; a++)
		scan_ag(n, a, hb, &acc);
	free(hb);
	p->refcount_shared = acc.shared;
	if (g->logstart)
		xfs_add_meta(n, g->logstart, g->logblocks, DA_ROLE_LOG);
	if (acc.nomem)
		da_warn(n, "no memory for every free extent or inode chunk");
	if (p->agf_free != p->free_blocks)
		da_warn(n, "the by-block free-space trees hold %llu free "
			"blocks, the AGFs say %llu",
			(unsigned long long)p->free_blocks,
			(unsigned long long)p->agf_free);
	if (p->nm >= XFS_MAX_META)
		da_warn(n, "too many metadata extents: roles kept for the "
			"first %u", XFS_MAX_META);
	int r = finish_meta(n, &acc, err);
	free(acc.fr);
	xfs_set_free(&p->seen);
	if (r < 0) {
		da_node_free(n);
		return NULL;
	}
	set_props(n, sb);
	da_node_set_block_size(n, p->g.bs);
	return n;
}

/* ---- lookups --------------------------------------------------------- */

static const struct xfs_meta *meta_at(const struct xfs_priv *p, uint64_t b)
{
	size_t lo = 0, hi = p->nm;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->m[mid].start + p->m[mid].len <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nm && p->m[lo].start <= b)
		return &p->m[lo];
	return NULL;
}

static int xfs_describe_block(struct da_node *n, uint64_t off,
			      struct da_block_info *out)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	da_block_info_init(out);
	if (off >= n->dev->size)
		return -1;
	uint64_t b = off / g->bs;
	out->block = (int64_t)b;
	if (b >= g->dblocks) {
		out->role = "unused";
		return 0;
	}
	const struct xfs_meta *m = meta_at(p, b);
	if (m) {
		if (m->role == DA_ROLE_SUPERBLOCK) {
			uint64_t in = off - (b - (b % g->agblocks)) * g->bs;
			static const char *const roles[4] = {
				"superblock", "agf", "agi", "agfl" };
			out->role = in < 4 * (uint64_t)g->ss ? roles[in / g->ss]
							     : "reserved";
		} else {
			out->role = da_role_name(m->role);
		}
		return 0;
	}
	if (!da_bitmap_test(p->used, b)) {
		out->role = "free";
		return 0;
	}
	if (da_fi_describe(n, off, out) == 1)
		return 0;
	out->role = out->indexing ? "used" : "lost";
	return 0;
}

static int xfs_usage(struct da_node *n, uint64_t off, uint64_t len,
		     struct da_usage *out)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	uint64_t end = da_usage_start(n, off, len, out);
	if (off >= end)
		return 0;
	uint64_t fs_end = g->dblocks * g->bs;
	uint64_t e = end < fs_end ? end : fs_end;
	if (off < e) {
		uint64_t meta = da_bitmap_bytes_set(p->meta, off, e - off, g->bs);
		uint64_t used = da_bitmap_bytes_set(p->used, off, e - off, g->bs);
		out->metadata = meta;
		out->used = used > meta ? used - meta : 0;
		out->free = (e - off) - out->used - out->metadata;
		off = e;
	}
	if (off < end)
		out->free += end - off;
	return 0;
}

/* The blocks of [s, e) outside the metadata no file holds: used (lost
 * once the index is built) or free. */
static void xfs_gap(struct da_roles *w, uint64_t s, uint64_t e, void *ctx)
{
	const struct xfs_priv *p = ctx;
	da_roles_bits(w, p->used, 0, p->g.bs, s, e, w->x ? "lost" : "used",
		      "free");
}

/* Bytes [s, e) of a superblock run: the first sectors of its group's
 * first block name the headers, the rest is reserved. */
static void ag_headers(struct da_roles *w, const struct xfs_geom *g,
		       uint64_t s, uint64_t e)
{
	static const char *const roles[4] = { "superblock", "agf", "agi",
					      "agfl" };
	uint64_t b = s / g->bs, ag0 = (b - b % g->agblocks) * g->bs;
	if (e > ag0 + (uint64_t)g->agblocks * g->bs) {
		w->failed = true;          /* across a group: not a header */
		return;
	}
	for (int i = 0; i < 4; i++)
		da_roles_put(w, s > ag0 + (uint64_t)i * g->ss
				     ? s : ag0 + (uint64_t)i * g->ss,
			     e < ag0 + (uint64_t)(i + 1) * g->ss
				     ? e : ag0 + (uint64_t)(i + 1) * g->ss,
			     roles[i]);
	uint64_t r = ag0 + 4 * (uint64_t)g->ss;
	da_roles_put(w, s > r ? s : r, e, "reserved");
}

static int xfs_range_roles(struct da_node *n, uint64_t off, uint64_t len,
			   struct da_role_bytes *out, int max)
{
	struct xfs_priv *p = n->priv;
	if (!p || !p->used)
		return -1;
	const struct xfs_geom *g = &p->g;
	uint64_t size = n->dev->size;
	if (len > size || off > size - len || !g->agblocks ||
	    g->dblocks > UINT64_MAX / g->bs)
		return -1;
	struct da_roles w;
	da_roles_init(&w, n, off, len, out, max);
	w.files_on = p->used;
	uint64_t fs_end = g->dblocks * g->bs, end = off + len;
	uint64_t hi = end < fs_end ? end : fs_end, at = off;
	/* the first metadata run that ends past off */
	size_t lo = 0, top = p->nm;
	while (lo < top) {
		size_t mid = lo + (top - lo) / 2;
		if ((p->m[mid].start + p->m[mid].len) * g->bs <= off)
			lo = mid + 1;
		else
			top = mid;
	}
	for (size_t i = lo; i < p->nm && at < hi && !w.failed; i++) {
		const struct xfs_meta *m = &p->m[i];
		uint64_t ms = m->start * g->bs, me = (m->start + m->len) * g->bs;
		if (ms >= hi)
			break;
		if (ms > at)
			da_roles_files(&w, at, ms, xfs_gap, p);
		if (ms < at)
			ms = at;
		if (me > hi)
			me = hi;
		if (m->role == DA_ROLE_SUPERBLOCK)
			ag_headers(&w, g, ms, me);
		else
			da_roles_put(&w, ms, me, da_role_name(m->role));
		at = me;
	}
	if (at < hi)
		da_roles_files(&w, at, hi, xfs_gap, p);
	da_roles_put(&w, fs_end, end, "unused");
	return da_roles_done(&w);
}

static void xfs_free(struct da_node *n)
{
	priv_free(n->priv);
	n->priv = NULL;
}

const struct da_plugin da_plugin_xfs = {
	.name = "xfs",
	.layer = DA_LAYER_FS,
	.probe = xfs_probe,
	.scan = xfs_scan,
	.build_index = xfs_build_index,
	.describe_block = xfs_describe_block,
	.usage = xfs_usage,
	.range_roles = xfs_range_roles,
	.free = xfs_free,
};
