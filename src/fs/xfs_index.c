/* XFS: the file index.  Every inode in use (from the inode B+tree's
 * chunks, sparse ones included) becomes a file of the shared index with
 * its data and attribute fork extents and its bmbt blocks as runs, and
 * every directory entry a name.  Reflinked files' extents are shared
 * runs (legal sharing), unwritten extents are flagged, realtime files are
 * named without runs (their data is on the realtime device).
 *
 * When the filesystem has a reverse-mapping B+tree, its inode owners are
 * compared with what the inode walk found, and the first block where the
 * two disagree is reported.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "xfs.h"
#include "fileindex.h"

#define MAX_OWNED (1u << 22)   /* runs kept for the rmapbt cross-check */

/* One block run owned by an inode, for the rmapbt cross-check. */
struct owned {
	uint64_t owner, start, len;
};

struct owned_list {
	struct owned *v;
	size_t n, cap;
	bool full;
};

static void own(struct owned_list *l, uint64_t owner, uint64_t start,
		uint64_t len)
{
	if (l->full)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct owned *v = cap > MAX_OWNED ? NULL
			: realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->full = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct owned){ owner, start, len };
}

static int cmp_owned(const void *x, const void *y)
{
	const struct owned *a = x, *b = y;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Sort by owner and start and merge what touches or overlaps. */
static void normalise(struct owned_list *l)
{
	da_sort(l->v, l->n, sizeof(*l->v), cmp_owned);
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (k && l->v[k - 1].owner == l->v[i].owner &&
		    l->v[k - 1].start + l->v[k - 1].len >= l->v[i].start) {
			uint64_t e = l->v[i].start + l->v[i].len;
			if (e > l->v[k - 1].start + l->v[k - 1].len)
				l->v[k - 1].len = e - l->v[k - 1].start;
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

struct index_build {
	struct da_node *n;
	struct xfs_priv *p;
	struct da_fileindex *x;
	struct xfs_ictx c;
	struct owned_list walk, rmap;
	uint64_t names, self_links;
	bool full;
};

static void warn_fi(void *arg, const char *msg)
{
	struct index_build *b = arg;
	da_fi_warn(b->x, "%s", msg);
}

static void add_name(void *arg, uint64_t dir, uint64_t child,
		     const uint8_t *name, size_t len)
{
	struct index_build *b = arg;
	if (child == dir) {
		if (!b->self_links++)
			da_fi_warn(b->x, "directory %llu contains itself (as "
				   "'%.*s')", (unsigned long long)dir,
				   (int)(len > 64 ? 64 : len), name);
		return;
	}
	if (b->full)
		return;
	if (da_fi_add_name(b->x, child, dir, (const char *)name, len) < 0)
		b->full = true;
	b->names++;
}

static enum da_file_kind kind_of(uint16_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return DA_FILE_DIR;
	case S_IFREG: return DA_FILE_REGULAR;
	case S_IFLNK: return DA_FILE_SYMLINK;
	default: return DA_FILE_OTHER;
	}
}

static void add_runs(struct index_build *b, uint32_t file,
		     const struct xfs_extlist *l, enum da_role role,
		     uint32_t flags, uint64_t owner, bool file_offsets)
{
	const struct xfs_geom *g = &b->p->g;
	for (size_t i = 0; i < l->n && !b->full; i++) {
		const struct xfs_ext *e = &l->v[i];
		uint32_t f = flags | (e->unwritten ? DA_RUN_UNWRITTEN : 0);
		if (da_fi_add_run(b->x, file, e->lin * g->bs, e->len * g->bs,
				  file_offsets ? e->off * g->bs : 0, role, f) < 0)
			b->full = true;
		own(&b->walk, owner, e->lin, e->len);
	}
}

static void one_inode(struct index_build *b, const uint8_t *raw, uint64_t ino)
{
	const struct xfs_geom *g = &b->p->g;
	struct xfs_inode ip;
	if (xfs_inode_parse(&b->c, raw, ino, &ip) < 0)
		return;
	if (ip.mode == 0)
		return;             /* allocated in the inobt, not in use */
	enum da_file_kind kind = kind_of(ip.mode);
	enum da_role role = kind == DA_FILE_DIR ? DA_ROLE_DIRECTORY :
			    kind == DA_FILE_SYMLINK ? DA_ROLE_SYMLINK :
			    DA_ROLE_FILE_DATA;
	if (ino == g->rbmino || ino == g->rsumino || (ino && (ino == g->uquotino ||
	    ino == g->gquotino || ino == g->pquotino))) {
		kind = DA_FILE_META;
		role = ino == g->rbmino ? DA_ROLE_REALTIME_BITMAP :
		       ino == g->rsumino ? DA_ROLE_REALTIME_SUMMARY :
		       DA_ROLE_QUOTA;
	}
	struct xfs_extlist data = { 0 }, attr = { 0 }, bmbt = { 0 };
	xfs_fork_extents(&b->c, &ip, XFS_DATA_FORK, &data, &bmbt);
	xfs_fork_extents(&b->c, &ip, XFS_ATTR_FORK, &attr, &bmbt);
	bool rt = ip.flags & 1;
	uint64_t mapped = 0;
	for (size_t i = 0; i < data.n; i++)
		mapped += data.v[i].len;
	uint32_t fflags = 0;
	if (ip.format != XFS_FMT_LOCAL &&
	    mapped * g->bs < (ip.size + g->bs - 1) / g->bs * g->bs)
		fflags |= DA_FILE_SPARSE;
	uint32_t file = da_fi_add_file(b->x, ino, kind, ip.size, fflags);
	if (file == UINT32_MAX) {
		b->full = true;
		goto out;
	}
	/* reflinked data may be shared with other files: legal */
	uint32_t shared = (ip.flags2 & 0x2) ? DA_RUN_SHARED : 0;
	if (!rt)
		add_runs(b, file, &data, role, shared, ino, true);
	add_runs(b, file, &attr, DA_ROLE_XATTR, DA_RUN_META, ino, false);
	add_runs(b, file, &bmbt, DA_ROLE_BMBT, DA_RUN_META, ino, false);
	if (kind == DA_FILE_DIR)
		xfs_dir_names(&b->c, &ip, &data, add_name, b);
out:
	free(data.v);
	free(attr.v);
	free(bmbt.v);
}

static void walk_chunks(struct index_build *b)
{
	const struct xfs_geom *g = &b->p->g;
	size_t clen = (size_t)64 * g->isize;
	uint8_t *buf = malloc(clen);
	if (!buf) {
		da_fi_warn(b->x, "no memory for an inode chunk");
		return;
	}
	for (size_t i = 0; i < b->p->nchunks && !b->full; i++) {
		const struct xfs_chunk *ch = &b->p->chunks[i];
		uint64_t first = ((uint64_t)ch->agno * g->agblocks <<
				  g->inopblog) + ch->startino;
		uint64_t ino0 = ((uint64_t)ch->agno << (g->agblklog +
							g->inopblog)) |
				ch->startino;
		/* read the chunk a run of present inodes at a time: the
		 * holes of a sparse chunk may be other files' blocks */
		for (int k = 0; k < 16; k++) {
			if (ch->holemask & (1u << k))
				continue;
			int j = k;
			while (j + 1 < 16 && !(ch->holemask & (1u << (j + 1))))
				j++;
			size_t off = (size_t)4 * k * g->isize;
			size_t len = (size_t)4 * (j + 1 - k) * g->isize;
			da_error e;
			if (da_device_read(b->n->dev, buf + off, len,
					   (first + 4 * (uint64_t)k) * g->isize,
					   &e) < 0) {
				da_fi_warn(b->x, "inode chunk %llu: %s",
					   (unsigned long long)ino0, e.msg);
				k = j;
				continue;
			}
			for (int s = 4 * k; s < 4 * (j + 1); s++)
				if (!(ch->free >> s & 1))
					one_inode(b, buf + (size_t)s * g->isize,
						  ino0 + (uint64_t)s);
			k = j;
		}
	}
	free(buf);
}

/* ---- the rmapbt cross-check ------------------------------------------ */

static void rmap_rec(void *arg, uint32_t agno, const uint8_t *rec)
{
	struct index_build *b = arg;
	const struct xfs_geom *g = &b->p->g;
	uint64_t owner = be64(rec + 8);
	if (owner >> 63)
		return;             /* the filesystem's own: headers, trees */
	own(&b->rmap, owner, (uint64_t)agno * g->agblocks + be32(rec),
	    be32(rec + 4));
}

static void cross_check(struct index_build *b)
{
	const struct xfs_geom *g = &b->p->g;
	struct xfs_set seen = { 0 };
	uint64_t budget = g->dblocks;
	struct xfs_bt_ctx c = { .dev = b->n->dev, .g = g, .seen = &seen,
				.budget = &budget };
	uint8_t hdr[1024];
	for (uint32_t a = 0; a < g->agcount; a++) {
		da_error e;
		uint64_t off = (uint64_t)a * g->agblocks * g->bs + g->ss;
		if (da_device_read(b->n->dev, hdr, 512, off, &e) < 0 ||
		    memcmp(hdr, "XAGF", 4))
			continue;
		xfs_walk_agbt_ctx(&c, XFS_BT_RMAP, a, be32(hdr + 24),
				  be32(hdr + 36), rmap_rec, b);
	}
	xfs_set_free(&seen);
	if (b->walk.full || b->rmap.full) {
		/* not a fault of the filesystem: the index is whole */
		da_trace("xfs on %s: too many extents to compare with the "
			 "rmapbt", b->n->dev->name);
		return;
	}
	normalise(&b->walk);
	normalise(&b->rmap);
	size_t i = 0, j = 0;
	while (i < b->walk.n || j < b->rmap.n) {
		const struct owned *w = i < b->walk.n ? &b->walk.v[i] : NULL;
		const struct owned *r = j < b->rmap.n ? &b->rmap.v[j] : NULL;
		if (w && r && w->owner == r->owner && w->start == r->start &&
		    w->len == r->len) {
			i++;
			j++;
			continue;
		}
		/* the first block one side has and the other has not */
		uint64_t blk, owner;
		const char *who;
		if (!r || (w && cmp_owned(w, r) < 0) ||
		    (w && w->owner == r->owner && w->start == r->start &&
		     w->len > r->len)) {
			owner = w->owner;
			blk = r && r->owner == w->owner && r->start == w->start
			      ? w->start + r->len : w->start;
			who = "the inode walk finds it, the rmapbt does not";
		} else {
			owner = r->owner;
			blk = w && w->owner == r->owner && w->start == r->start
			      ? r->start + w->len : r->start;
			who = "the rmapbt has it, the inode walk does not";
		}
		da_fi_warn(b->x, "rmapbt disagrees at block %llu (inode %llu): "
			   "%s", (unsigned long long)blk,
			   (unsigned long long)owner, who);
		return;
	}
}

int xfs_build_index(struct da_node *n, da_error *err)
{
	struct xfs_priv *p = n->priv;
	const struct xfs_geom *g = &p->g;
	struct index_build b = { .n = n, .p = p };
	b.x = da_fi_new(false);
	if (!b.x) {
		da_fi_publish(n, NULL, "no memory for the file index");
		return da_error_set(err, ENOMEM, "no memory for the file index");
	}
	b.c = (struct xfs_ictx){ .dev = n->dev, .g = g, .warn = warn_fi,
				 .warn_arg = &b, .dir_budget = g->dblocks };
	b.c.bufs = malloc((size_t)g->bs * XFS_MAX_LEVELS);
	if (!b.c.bufs) {
		da_fi_publish(n, b.x, "no memory");
		return da_error_set(err, ENOMEM, "no memory");
	}
	walk_chunks(&b);
	da_fi_set_root(b.x, g->rootino);
	if (g->rmapbt && !b.full)
		cross_check(&b);
	if (b.full)
		da_fi_warn(b.x, "the file index is full");
	free(b.c.bufs);
	xfs_set_free(&b.c.seen);
	free(b.walk.v);
	free(b.rmap.v);
	da_fi_publish(n, b.x, NULL);
	return 0;
}
