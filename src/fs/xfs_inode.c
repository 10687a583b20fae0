/* XFS inodes and their forks, from xfsprogs' libxfs/xfs_format.h
 * (xfs_dinode) and xfs_bmap_btree.h: the core (100 bytes, 176 for v3
 * inodes with a CRC), the data fork after it and the attribute fork at
 * forkoff * 8, each local (bytes in the inode), a list of extents, or the
 * root of a bmbt whose blocks hold the extents.
 *
 * An extent record is two big-endian 64-bit words: the unwritten flag,
 * 54 bits of file block, 52 bits of fsblock, 21 bits of length.  Extents
 * that leave their AG, bmbt pointers out of range, levels that do not
 * fall by one, blocks read twice and absurd extent counts are counted and
 * skipped, never followed.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "xfs.h"

void xfs_ictx_warn(struct xfs_ictx *c, const char *fmt, ...)
{
	char buf[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (c->warn)
		c->warn(c->warn_arg, buf);
}

int xfs_inode_parse(struct xfs_ictx *c, const uint8_t *raw, uint64_t ino,
		    struct xfs_inode *out)
{
	const struct xfs_geom *g = c->g;
	memset(out, 0, sizeof(*out));
	out->ino = ino;
	out->raw = raw;
	if (be16(raw) != 0x494e) {
		c->bad_inodes++;
		xfs_ictx_warn(c, "inode %llu: no IN magic",
			      (unsigned long long)ino);
		return -1;
	}
	out->mode = be16(raw + 2);
	out->version = raw[4];
	out->format = raw[5];
	if (out->version < 1 || out->version > 3 ||
	    (g->crc && out->version != 3)) {
		c->bad_inodes++;
		xfs_ictx_warn(c, "inode %llu: version %d",
			      (unsigned long long)ino, out->version);
		return -1;
	}
	out->core = out->version == 3 ? 176 : 100;
	if (out->version == 3 && !xfs_crc_ok(raw, g->isize, 100)) {
		c->crc_errors++;
		xfs_ictx_warn(c, "inode %llu fails its CRC",
			      (unsigned long long)ino);
	}
	out->size = be64(raw + 56);
	out->flags = be16(raw + 90);
	out->flags2 = out->version == 3 ? be64(raw + 120) : 0;
	uint32_t forkoff = raw[82];
	out->aformat = (int8_t)raw[83];
	if (out->version == 3 && (out->flags2 & 0x10)) {  /* NREXT64 */
		out->nextents = be64(raw + 24);
		out->anextents = be32(raw + 76);
	} else {
		out->nextents = be32(raw + 76);
		out->anextents = be16(raw + 80);
	}
	uint32_t room = g->isize - out->core;
	if (forkoff * 8 >= room) {
		c->bad_inodes++;
		xfs_ictx_warn(c, "inode %llu: attribute fork at %u of %u "
			      "bytes", (unsigned long long)ino, forkoff * 8,
			      room);
		return -1;
	}
	out->dsize = forkoff ? forkoff * 8 : room;
	out->aoff = forkoff ? out->core + forkoff * 8 : 0;
	out->asize = forkoff ? room - forkoff * 8 : 0;
	return 0;
}

static bool push(struct xfs_extlist *l, uint64_t off, uint64_t lin,
		 uint64_t len, bool unw)
{
	if (l->n && l->v[l->n - 1].off + l->v[l->n - 1].len == off &&
	    l->v[l->n - 1].lin + l->v[l->n - 1].len == lin &&
	    l->v[l->n - 1].unwritten == unw && off) {
		l->v[l->n - 1].len += len;
		return true;
	}
	if (l->n == l->cap) {
		if (l->n >= XFS_MAX_EXTENTS)
			return false;
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct xfs_ext *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct xfs_ext){ off, lin, len, unw };
	return true;
}

struct fork_walk {
	struct xfs_ictx *c;
	const struct xfs_inode *ip;
	struct xfs_extlist *out, *bmbt;
	uint64_t left;             /* records still accepted */
	bool stopped;
	bool rt;                   /* realtime data: another device's blocks */
};

static void add_rec(struct fork_walk *w, const uint8_t *r)
{
	const struct xfs_geom *g = w->c->g;
	if (w->left == 0) {
		w->stopped = true;
		return;
	}
	w->left--;
	uint64_t l0 = be64(r), l1 = be64(r + 8);
	bool unw = l0 >> 63;
	uint64_t off = (l0 >> 9) & ((1ULL << 54) - 1);
	uint64_t fsb = (l0 & 0x1ff) << 43 | l1 >> 21;
	uint64_t len = l1 & 0x1fffff;
	uint64_t lin;
	if (w->rt) {
		/* realtime data: blocks of the realtime device, kept as they
		 * are */
		push(w->out, off, fsb, len, unw);
		return;
	}
	if (!len || !xfs_fsb_linear(g, fsb, &lin) ||
	    (lin % g->agblocks) + len > xfs_ag_blocks(g, (uint32_t)(lin /
								   g->agblocks))) {
		w->c->bad_extents++;
		xfs_ictx_warn(w->c, "inode %llu: extent %llu+%llu at file "
			      "block %llu is outside its AG",
			      (unsigned long long)w->ip->ino,
			      (unsigned long long)fsb, (unsigned long long)len,
			      (unsigned long long)off);
		return;
	}
	if (!push(w->out, off, lin, len, unw))
		w->stopped = true;
}

static void walk_bmbt(struct fork_walk *w, uint64_t fsb, int level, int depth)
{
	struct xfs_ictx *c = w->c;
	const struct xfs_geom *g = c->g;
	unsigned long long ino = (unsigned long long)w->ip->ino;
	uint64_t lin;
	if (w->stopped)
		return;
	if (depth >= XFS_MAX_LEVELS || !xfs_fsb_linear(g, fsb, &lin)) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: bmbt pointer %llu outside the "
			      "filesystem", ino, (unsigned long long)fsb);
		return;
	}
	if (!xfs_set_add(&c->seen, lin)) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu reached twice",
			      ino, (unsigned long long)lin);
		return;
	}
	uint8_t *buf = c->bufs + (size_t)depth * g->bs;
	da_error e;
	if (xfs_read_block(c->dev, g, lin, 1, buf, &e) < 0) {
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu: %s", ino,
			      (unsigned long long)lin, e.msg);
		return;
	}
	uint32_t magic = be32(buf), want = g->crc ? 0x424d4133 : 0x424d4150;
	if (magic != want) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu has magic "
			      "0x%08x", ino, (unsigned long long)lin, magic);
		return;
	}
	if (w->bmbt)
		push(w->bmbt, 0, lin, 1, false);
	uint32_t hdr = g->crc ? 72 : 24;
	if (g->crc && !xfs_crc_ok(buf, g->bs, 64)) {
		c->crc_errors++;
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu fails its CRC",
			      ino, (unsigned long long)lin);
	}
	if (g->crc && be64(buf + 56) != w->ip->ino)
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu belongs to "
			      "inode %llu", ino, (unsigned long long)lin,
			      (unsigned long long)be64(buf + 56));
	int lv = be16(buf + 4);
	uint32_t nrec = be16(buf + 6);
	uint32_t max = (g->bs - hdr) / 16;
	if (lv != level || nrec > max) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: bmbt block %llu at level %d "
			      "(expected %d) with %u records", ino,
			      (unsigned long long)lin, lv, level, nrec);
		return;
	}
	if (level == 0) {
		for (uint32_t i = 0; i < nrec && !w->stopped; i++)
			add_rec(w, buf + hdr + 16 * i);
		return;
	}
	for (uint32_t i = 0; i < nrec && !w->stopped; i++)
		walk_bmbt(w, be64(buf + hdr + max * 8 + 8 * i), level - 1,
			  depth + 1);
}

void xfs_fork_extents(struct xfs_ictx *c, const struct xfs_inode *ip,
		      int fork, struct xfs_extlist *out,
		      struct xfs_extlist *bmbt)
{
	int fmt = fork == XFS_DATA_FORK ? ip->format : ip->aformat;
	uint32_t fsize = fork == XFS_DATA_FORK ? ip->dsize : ip->asize;
	const uint8_t *f = ip->raw + (fork == XFS_DATA_FORK ? ip->core
							    : ip->aoff);
	uint64_t count = fork == XFS_DATA_FORK ? ip->nextents : ip->anextents;
	if (fork == XFS_ATTR_FORK && !ip->aoff)
		return;
	unsigned long long ino = (unsigned long long)ip->ino;
	struct fork_walk w = { c, ip, out, bmbt, 0, false,
				fork == XFS_DATA_FORK && (ip->flags & 1) };
	if (fmt == XFS_FMT_EXTENTS) {
		uint64_t room = fsize / 16;
		if (count > room) {
			c->bad_extents++;
			xfs_ictx_warn(c, "inode %llu: %llu extents in a fork of "
				      "%u bytes", ino,
				      (unsigned long long)count, fsize);
			count = room;
		}
		w.left = count;
		for (uint64_t i = 0; i < count && !w.stopped; i++)
			add_rec(&w, f + 16 * i);
		return;
	}
	if (fmt != XFS_FMT_BTREE)
		return;
	/* the root: level, numrecs, keys, then pointers at maxrecs */
	int level = be16(f);
	uint32_t nrec = be16(f + 2);
	uint32_t max = fsize >= 4 ? (fsize - 4) / 16 : 0;
	if (level < 1 || level >= XFS_MAX_LEVELS || nrec == 0 || nrec > max) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: bmbt root at level %d with %u "
			      "pointers", ino, level, nrec);
		return;
	}
	if (count > XFS_MAX_EXTENTS) {
		c->bad_extents++;
		xfs_ictx_warn(c, "inode %llu: %llu extents (absurd): the first "
			      "%u kept", ino, (unsigned long long)count,
			      XFS_MAX_EXTENTS);
		count = XFS_MAX_EXTENTS;
	}
	w.left = count;
	for (uint32_t i = 0; i < nrec && !w.stopped; i++)
		walk_bmbt(&w, be64(f + 4 + max * 8 + 8 * i), level - 1, 0);
	if (w.left && !w.stopped)
		xfs_ictx_warn(c, "inode %llu: %llu extents expected, %llu "
			      "found", ino, (unsigned long long)count,
			      (unsigned long long)(count - w.left));
}
