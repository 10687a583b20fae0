/* ext2/3/4's file index: every inode in use, the blocks it owns (data,
 * extent-tree, indirect and xattr blocks) and the names of every
 * directory entry, handed to the shared file index (src/fileindex.h).
 * Built by build_index, possibly in another thread.
 *
 * Read by our own walk, not by libext2fs's inode scan, extent handle,
 * block iterator and directory iterator: those read the inode through
 * the in-memory group descriptors, which the open path need not load.
 * Here each group's descriptor comes from ext_group_get, its inode table
 * (the part in use: itable_unused says where it ends) is read in large
 * bounded reads and decoded in place, extent trees and block maps are
 * walked as libext2fs walks them (same order, same stops on a bad block,
 * so the same answers), and directories are parsed from their blocks.
 * Checksums are not verified (what a damaged inode claims shows as a
 * conflict).  Every value read is hostile: depths, counts and block
 * numbers are bounded and checked against the filesystem.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "../fileindex.h"
#include "../util.h"
#include "ext.h"

/* Bounds on what a hostile filesystem can make us hold or do. */
#define MAX_DIR_ENTRIES (64u << 20)
#define IT_CHUNK (32u << 10)       /* inode-table bytes a read */
#define IT_VIEW (4u << 20)         /* inode-table bytes a view (mapped) */
#define IT_AHEAD 2048              /* inode-table bytes prefetched ahead */
/* libext2fs's inode scan reads 8 blocks at a time: after a failed large
 * read the table is read again so, to lose no more inodes than it did */
#define SCAN_BLOCKS 8
#define TREE_DEPTH 5               /* the kernel's deepest extent tree */
#define TREE_STEPS (1u << 24)      /* entries visited in one tree */
#define DIR_READ_BLOCKS 64         /* directory blocks a read */

/* ---- what a walk reads into ------------------------------------------ */

/* A directory's blocks, met while its inode is walked, whose entries are
 * read once every inode is: in inode order, each directory's blocks in
 * file order (the order libext2fs's directory iterator gives names in,
 * which decides a hard-linked file's first name). */
enum { DP_BLOCKS, DP_INLINE, DP_ERROR };
struct dir_piece {
	uint64_t pblk;
	uint32_t ino;
	uint32_t len;              /* blocks */
	uint8_t kind;              /* DP_*: blocks, inline data, or "the
				      walk of its blocks stopped here" */
};

/* One block a level of an extent tree, three for a block map. */
struct bufs {
	uint8_t *tree[TREE_DEPTH + 1];
	uint8_t *ind[3];
};

/* What the file index could not read, for the node's reason. */
struct index_gaps {
	uint64_t groups;           /* groups whose inodes were not read */
	char first_group[200];
	uint64_t tree_files;       /* extent-tree blocks that cannot be read */
	char first_tree[160];
	uint64_t dirs;             /* directories that could not be read */
};

struct walk {
	struct ext_priv *p;
	struct da_fileindex *x;
	uint32_t bs, isz, ipg, first_ino, ninodes;
	uint64_t fs_blocks;        /* as the superblock says */
	uint64_t first_data;
	uint64_t ngroups;
	uint64_t itable_blocks;    /* an inode table's blocks */
	bool is64;
	struct bufs b;
	bool paths;                /* directory pieces are being kept */
	struct dir_piece *dp;
	size_t ndp, capdp;
	struct index_gaps gaps;
};

/* Where collect_inode puts what it finds: the metadata table (the
 * journal, at scan time) or the shared file index (build_index). */
struct collect {
	struct ext_priv *p;
	uint32_t ino;
	struct da_fileindex *x;    /* NULL: into the metadata table */
	uint32_t file;             /* x's number for ino */
	enum da_role data_role;
	struct bufs *b;
	struct walk *w;            /* a directory's blocks go to w too */
	bool dir;
	uint64_t fs_blocks, first_data;
	struct index_gaps *gaps;   /* NULL: unreadable tree blocks unsaid */
};

enum piece { PIECE_DATA, PIECE_TREE, PIECE_INDIRECT };

static void push_piece(struct walk *w, uint32_t ino, uint8_t kind,
		       uint64_t pblk, uint64_t len)
{
	if (!w || !w->paths)
		return;
	if (kind == DP_BLOCKS && w->ndp) {
		struct dir_piece *l = &w->dp[w->ndp - 1];
		if (l->kind == DP_BLOCKS && l->ino == ino &&
		    l->pblk + l->len == pblk && len <= UINT32_MAX - l->len) {
			l->len += (uint32_t)len;
			return;
		}
	}
	if (w->ndp == w->capdp) {
		size_t c = w->capdp ? w->capdp * 2 : 1024;
		struct dir_piece *d = realloc(w->dp, c * sizeof(*d));
		if (!d) {
			w->paths = false;  /* no names rather than some */
			return;
		}
		w->dp = d;
		w->capdp = c;
	}
	w->dp[w->ndp++] = (struct dir_piece){
		.pblk = pblk, .ino = ino, .kind = kind,
		.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
	};
}

/* Blocks [start, start + *len) cut to the filesystem's (*len made
 * shorter); false when none of them lie in it. */
static bool in_fs(const struct ext_priv *p, uint64_t start, uint64_t *len)
{
	if (start >= p->nblocks || *len == 0)
		return false;
	if (*len > p->nblocks - start)
		*len = p->nblocks - start;
	return true;
}

static void collect_add(struct collect *c, uint64_t start, uint64_t len,
			uint64_t lblk, enum piece kind, uint32_t flags)
{
	struct ext_priv *p = c->p;
	if (c->dir && kind == PIECE_DATA && len)
		push_piece(c->w, c->ino, DP_BLOCKS, start, len);
	if (!in_fs(p, start, &len))
		return;
	if (!c->x) {
		ext_add_meta(p, start, len, da_role_name(c->data_role), c->ino);
		return;
	}
	enum da_role role = kind == PIECE_DATA ? c->data_role
			    : kind == PIECE_TREE ? DA_ROLE_EXTENT_TREE
			    : DA_ROLE_INDIRECT_BLOCK;
	if (kind != PIECE_DATA)
		flags |= DA_RUN_META;
	if (da_fi_add_run(c->x, c->file, start * p->bs, len * p->bs,
			  lblk * p->bs, role, flags) < 0)
		p->overflow = true;
}

/* Block blk of the filesystem into buf; -1 when it cannot be read. */
static int read_block(struct ext_priv *p, uint64_t blk, uint8_t *buf)
{
	uint64_t off;
	if (!mul_ok(blk, p->bs, &off) || !range_ok(off, p->bs, p->dev->size))
		return -1;
	return da_device_read(p->dev, buf, p->bs, off, NULL) < 0 ? -1 : 0;
}

/* ---- extent trees ----------------------------------------------------- */

/* An extent-tree node's header, as libext2fs checks it: its magic, no
 * more entries than room, and room for what size holds (less two: the
 * checksum tail). */
static bool tree_header_ok(const uint8_t *h, size_t size)
{
	unsigned entries = le16(h + 2), max = le16(h + 4);
	unsigned room = (unsigned)((size - 12) / 12);
	return le16(h) == 0xf30a && entries <= max && max <= room &&
	       max + 2 >= room;
}

/* A leaf extent (12 bytes at e): its first block, how many, the first
 * block of the file there; past 32768, an unwritten extent of
 * len - 32768. */
struct leaf {
	uint64_t start, len;
	uint32_t lblk, flags;
};

static struct leaf leaf_decode(const uint8_t *e)
{
	struct leaf l = { .start = (uint64_t)le16(e + 6) << 32 | le32(e + 8),
			  .len = le16(e + 4), .lblk = le32(e) };
	if (l.len > 32768) {
		l.len -= 32768;
		l.flags = DA_RUN_UNWRITTEN;
	}
	return l;
}

static void leaf_extent(struct collect *c, const uint8_t *e)
{
	struct leaf l = leaf_decode(e);
	collect_add(c, l.start, l.len, l.lblk, PIECE_DATA, l.flags);
}

/* n leaf extents at e.  Into the index, a batch at a time
 * (da_fi_add_runs: a call an extent was a fifth of an index of a million
 * extents); a directory's (its blocks are kept for its names too), and
 * those for the metadata table, one at a time through collect_add. */
#define LEAF_BATCH 128

static void leaf_extents(struct collect *c, const uint8_t *e, unsigned n)
{
	if (!c->x || c->dir) {
		for (unsigned i = 0; i < n && !c->p->overflow; i++)
			leaf_extent(c, e + 12 * (size_t)i);
		return;
	}
	struct ext_priv *p = c->p;
	struct da_fi_piece v[LEAF_BATCH];
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		struct leaf l = leaf_decode(e + 12 * (size_t)i);
		if (in_fs(p, l.start, &l.len))
			v[k++] = (struct da_fi_piece){
				.start = l.start * p->bs, .len = l.len * p->bs,
				.file_off = (uint64_t)l.lblk * p->bs,
				.flags = l.flags,
			};
		if (k == LEAF_BATCH || (k && i + 1 == n)) {
			if (da_fi_add_runs(c->x, c->file, c->data_role, v,
					   k) < 0) {
				p->overflow = true;
				return;
			}
			k = 0;
		}
	}
}

/* The entries of one node at level (the leaves at depth), depth first in
 * file order, as libext2fs's extent handle visits them: an index entry's
 * block is claimed before it is read, and the walk ends (-1) at the
 * first block that cannot be read or is no tree node, or has no entry. */
static int walk_tree(struct collect *c, const uint8_t *node, unsigned level,
		     unsigned depth, uint32_t *steps)
{
	unsigned entries = le16(node + 2);
	if (level == depth) {
		/* a leaf: as many entries as the steps left allow, as the
		 * loop below takes an index node's */
		uint32_t left = *steps < TREE_STEPS ? TREE_STEPS - *steps : 0;
		unsigned n = entries < left ? entries : left;
		if (c->p->overflow)
			return -1;
		leaf_extents(c, node + 12, n);
		*steps += n;
		if (n < entries) {
			*steps = TREE_STEPS + 1;
			return -1;
		}
		return c->p->overflow ? -1 : 0;
	}
	for (unsigned i = 0; i < entries; i++) {
		const uint8_t *e = node + 12 + 12 * (size_t)i;
		if (++*steps > TREE_STEPS || c->p->overflow)
			return -1;
		uint64_t blk = le32(e + 4) | (uint64_t)le16(e + 8) << 32;
		collect_add(c, blk, 1, 0, PIECE_TREE, 0);
		uint8_t *child = c->b->tree[level + 1];
		bool outside = blk >= c->p->nblocks;
		if (outside || read_block(c->p, blk, child) < 0) {
			/* libext2fs's handle stopped here without a word */
			if (c->gaps && c->gaps->tree_files++ == 0)
				snprintf(c->gaps->first_tree,
					 sizeof(c->gaps->first_tree),
					 "inode %u, block %llu: %s",
					 (unsigned)c->ino,
					 (unsigned long long)blk,
					 outside ? "outside the filesystem"
						 : "a read error");
			return -1;
		}
		if (!tree_header_ok(child, c->p->bs) || le16(child + 2) == 0)
			return -1;
		if (walk_tree(c, child, level + 1, depth, steps) < 0)
			return -1;
	}
	return 0;
}

/* An inode's extent tree; -1 when its walk stopped short. */
static int collect_extents(struct collect *c, const uint8_t *inode)
{
	const uint8_t *h = inode + 40;
	unsigned entries = le16(h + 2), max = le16(h + 4), depth = le16(h + 6);
	/* the tree wholly in the inode, as most files have: libext2fs
	 * would refuse max < 2; every version of this index took it */
	if (le16(h) == 0xf30a && depth == 0 && max != 0 && max <= 4 &&
	    entries <= max) {
		leaf_extents(c, h + 12, entries);
		return 0;
	}
	if (!tree_header_ok(h, 60) || depth > TREE_DEPTH)
		return -1;
	uint32_t steps = 0;
	return walk_tree(c, h, 0, depth, &steps);
}

/* ---- block maps (ext2, ext3) ----------------------------------------- */

/* libext2fs's block iterator, step for step: each indirect block is
 * claimed before it is checked and read; one outside the filesystem or
 * unreadable stops its parent's loop; the error it returns is the last
 * one set (a later read that works clears it). */
#define B_ABORT 1
#define B_ERROR 2

struct bmap {
	uint64_t bcount;
	errcode_t errcode;
	uint64_t failures;         /* reads that failed */
	uint64_t failed_block;
	bool outside;              /* an indirect block outside the fs */
};

static int map_block(struct collect *c, struct bmap *m, uint64_t blk,
		     int64_t blockcnt)
{
	if (blockcnt < 0 && (blk >= c->fs_blocks || blk < c->first_data))
		m->outside = true;
	collect_add(c, blk, 1, blockcnt < 0 ? 0 : (uint64_t)blockcnt,
		    blockcnt < 0 ? PIECE_INDIRECT : PIECE_DATA, 0);
	return c->p->overflow ? B_ABORT : 0;
}

static int map_level(struct collect *c, struct bmap *m, uint32_t blk,
		     int level)
{
	static const errcode_t bad[] = { EXT2_ET_BAD_IND_BLOCK,
					 EXT2_ET_BAD_DIND_BLOCK,
					 EXT2_ET_BAD_TIND_BLOCK };
	uint64_t limit = c->p->bs / 4, span = limit;
	for (int l = 1; l < level; l++)
		span *= limit;
	int ret = map_block(c, m, blk, -level);
	if (!blk || (ret & B_ABORT)) {
		m->bcount += span;
		return ret;
	}
	if (blk >= c->fs_blocks || blk < c->first_data) {
		m->errcode = bad[level - 1];
		return ret | B_ERROR;
	}
	uint8_t *buf = c->b->ind[level - 1];
	if (read_block(c->p, blk, buf) < 0) {
		m->errcode = EXT2_ET_SHORT_READ;
		m->failures++;
		m->failed_block = blk;
		return ret | B_ERROR;
	}
	m->errcode = 0;
	for (uint64_t i = 0; i < limit; i++) {
		uint32_t b = le32(buf + 4 * i);
		if (level == 1) {
			int r = b ? map_block(c, m, b, (int64_t)m->bcount) : 0;
			if (r & B_ABORT)
				return ret | B_ABORT;
			m->bcount++;
			continue;
		}
		if (!b) {
			m->bcount += span / limit;
			continue;
		}
		int r = map_level(c, m, b, level - 1);
		if (r & (B_ABORT | B_ERROR))
			return ret | (r & (B_ABORT | B_ERROR));
	}
	return ret;
}

/* A block-mapped inode; -1 when the map could not all be read. */
static int collect_map(struct collect *c, const uint8_t *inode)
{
	struct ext_priv *p = c->p;
	struct bmap m = { 0 };
	uint64_t limit = p->bs / 4;
	int ret = 0;
	for (int i = 0; i < EXT2_NDIR_BLOCKS && !(ret & B_ABORT); i++) {
		uint32_t b = le32(inode + 40 + 4 * i);
		if (b)
			ret |= map_block(c, &m, b, (int64_t)m.bcount);
		m.bcount++;
	}
	for (int level = 1; level <= 3 && !(ret & B_ABORT); level++) {
		uint32_t b = le32(inode + 40 + 4 * (EXT2_NDIR_BLOCKS + level - 1));
		if (b)
			ret |= map_level(c, &m, b, level);
		else
			m.bcount += level == 1 ? limit : level == 2 ? limit * limit : 0;
	}
	errcode_t e = (ret & B_ERROR) ? m.errcode : 0;
	/* an unreadable indirect block hides the blocks it maps: the index
	 * says so */
	if (m.failures && p->bad_ind++ == 0)
		snprintf(p->first_bad_ind, sizeof(p->first_bad_ind),
			 "inode %u, block %llu: %s", (unsigned)c->ino,
			 (unsigned long long)m.failed_block,
			 error_message(EXT2_ET_SHORT_READ));
	else if ((e || m.outside) && !m.failures && p->bad_ind++ == 0)
		snprintf(p->first_bad_ind, sizeof(p->first_bad_ind),
			 "inode %u: %s", (unsigned)c->ino,
			 error_message(e ? e : EXT2_ET_BAD_IND_BLOCK));
	return e || m.failures ? -1 : 0;
}

/* ---- inodes ------------------------------------------------------------ */

/* Does the inode map blocks (ext2fs_inode_has_valid_blocks2's rule):
 * directories, regular files and symlinks that are not fast, and not
 * inline data. */
static bool valid_blocks(const uint8_t *inode, uint64_t acl)
{
	uint16_t mode = le16(inode);
	if (!LINUX_S_ISDIR(mode) && !LINUX_S_ISREG(mode) &&
	    !LINUX_S_ISLNK(mode))
		return false;
	if (LINUX_S_ISLNK(mode)) {
		uint32_t size = le32(inode + 4);
		if (acl == 0) {
			if (le32(inode + 28) == 0)
				return false;
		} else {
			if (size >= EXT2_N_BLOCKS * 4)
				return true;
			if (size > 4 && le32(inode + 44) == 0)
				return true;
			return false;
		}
	}
	return !(le32(inode + 32) & EXT4_INLINE_DATA_FL);
}

/* Every block of one inode: data, extent-tree or indirect blocks.  -1
 * when its blocks could not all be walked. */
static int collect_inode(struct collect *c, const uint8_t *inode)
{
	if (le32(inode + 32) & EXT4_EXTENTS_FL)
		return collect_extents(c, inode);
	return collect_map(c, inode);
}

static enum da_file_kind inode_kind(uint16_t mode)
{
	if (LINUX_S_ISDIR(mode))
		return DA_FILE_DIR;
	if (LINUX_S_ISREG(mode))
		return DA_FILE_REGULAR;
	if (LINUX_S_ISLNK(mode))
		return DA_FILE_SYMLINK;
	return DA_FILE_OTHER;
}

static void walk_inode(struct walk *w, uint32_t ino, const uint8_t *inode)
{
	struct ext_priv *p = w->p;
	if (ino != EXT2_ROOT_INO && ino < w->first_ino)
		return;                    /* reserved: journal, resize... */
	if (le16(inode + 26) == 0)
		return;                    /* no links: not in use */
	uint16_t mode = le16(inode);
	enum da_file_kind kind = inode_kind(mode);
	uint64_t size = le32(inode + 4) | (uint64_t)le32(inode + 108) << 32;
	uint32_t f = da_fi_add_file(w->x, ino, kind, size, 0);
	if (f == UINT32_MAX) {
		p->overflow = true;
		return;
	}
	struct collect c = {
		.p = p, .ino = ino, .x = w->x, .file = f,
		.data_role = kind == DA_FILE_DIR ? DA_ROLE_DIRECTORY
						 : DA_ROLE_FILE_DATA,
		.b = &w->b, .w = w, .dir = kind == DA_FILE_DIR,
		.fs_blocks = w->fs_blocks, .first_data = w->first_data,
		.gaps = &w->gaps,
	};
	/* a shared xattr block is shared by design: legal */
	uint64_t acl = le32(inode + 104) |
		       (w->is64 ? (uint64_t)le16(inode + 118) << 32 : 0);
	if (acl && acl < p->nblocks &&
	    da_fi_add_run(w->x, f, acl * p->bs, p->bs, 0, DA_ROLE_XATTR,
			  DA_RUN_META | DA_RUN_SHARED) < 0)
		p->overflow = true;
	if (valid_blocks(inode, acl)) {
		/* a directory whose blocks could not all be walked is one
		 * libext2fs could not iterate: its names stop there */
		if (collect_inode(&c, inode) < 0 && c.dir)
			push_piece(w, ino, DP_ERROR, 0, 0);
	} else if (c.dir && (le32(inode + 32) & EXT4_INLINE_DATA_FL)) {
		push_piece(w, ino, DP_INLINE, 0, 0);
	}
}

static void __attribute__((format(printf, 3, 4)))
group_gap(struct walk *w, uint64_t g, const char *fmt, ...)
{
	if (w->gaps.groups++)
		return;
	int o = snprintf(w->gaps.first_group, sizeof(w->gaps.first_group),
			 "group %llu: ", (unsigned long long)g);
	va_list ap;
	va_start(ap, fmt);
	if (o > 0 && (size_t)o < sizeof(w->gaps.first_group))
		vsnprintf(w->gaps.first_group + o,
			  sizeof(w->gaps.first_group) - (size_t)o, fmt, ap);
	va_end(ap);
}

/* Does group g's inode table lie where it may: anywhere in the
 * filesystem with flex_bg, else in its own group (ext2fs_check_desc's
 * rule); overflow-safe. */
static bool itable_placed(const struct walk *w, uint64_t g, uint64_t t)
{
	ext2_filsys fs = w->p->fs;
	uint64_t lo = w->first_data, hi = w->fs_blocks - 1;
	if (!ext2fs_has_feature_flex_bg(fs->super)) {
		uint64_t bpg = fs->super->s_blocks_per_group;
		lo = w->first_data + g * bpg;
		if (g + 1 < w->ngroups)
			hi = lo + bpg - 1;
	}
	uint64_t len = w->itable_blocks ? w->itable_blocks : 1;
	return t >= lo && t <= hi && len - 1 <= hi - t;
}

/* The inodes [0, want) of group g's table at block t, read IT_CHUNK at a
 * time; a read that fails is made again SCAN_BLOCKS blocks at a time,
 * and the group stops at the piece that fails, as libext2fs's scan does. */
static void walk_group(struct walk *w, uint64_t g, uint64_t t, uint32_t want,
		       uint8_t *buf)
{
	struct ext_priv *p = w->p;
	uint64_t bytes = (uint64_t)want * w->isz;
	uint64_t span = (bytes + w->bs - 1) / w->bs * w->bs;
	uint64_t base = t * w->bs;
	uint32_t ino0 = (uint32_t)(g * w->ipg) + 1;
	for (uint64_t done = 0; done < span && !p->overflow;) {
		/* in place where the device can (an image file's pages):
		 * no copy of the table */
		struct da_view v;
		uint64_t vlen = span - done < IT_VIEW ? span - done : IT_VIEW;
		if (da_device_view(p->dev, base + done, (size_t)vlen, &v) == 0) {
			for (uint64_t o = 0; o + w->isz <= vlen &&
					     done + o < bytes && !p->overflow;
			     o += w->isz) {
				/* the table comes from memory, not a
				 * cache-warm copy: ask for what
				 * walk_inode reads (its first 128 bytes)
				 * a few inodes ahead */
				if (o + IT_AHEAD + 128 <= vlen) {
					__builtin_prefetch(v.p + o + IT_AHEAD);
					__builtin_prefetch(v.p + o + IT_AHEAD +
							   64);
				}
				walk_inode(w, ino0 + (uint32_t)((done + o) /
								w->isz),
					   v.p + o);
			}
			da_device_unview(&v);
			done += vlen;
			continue;
		}
		uint64_t len = span - done < IT_CHUNK ? span - done : IT_CHUNK;
		uint64_t piece = len;
		if (!range_ok(base + done, len, p->dev->size) ||
		    da_device_read(p->dev, buf, len, base + done, NULL) < 0) {
			piece = (uint64_t)SCAN_BLOCKS * w->bs;
			for (uint64_t s = 0; s < len; s += piece) {
				uint64_t l = len - s < piece ? len - s : piece;
				if (!range_ok(base + done + s, l, p->dev->size) ||
				    da_device_read(p->dev, buf + s, l,
						   base + done + s, NULL) < 0) {
					len = s;   /* what was read */
					piece = 0;
					break;
				}
			}
		}
		for (uint64_t o = 0; o + w->isz <= len && done + o < bytes &&
				     !p->overflow; o += w->isz)
			walk_inode(w, ino0 + (uint32_t)((done + o) / w->isz),
				   buf + o);
		if (piece == 0) {
			group_gap(w, g, "%s", error_message(EXT2_ET_NEXT_INODE_READ));
			return;
		}
		done += len;
	}
}

/* ---- directories -------------------------------------------------------- */

struct names {
	struct walk *w;
	uint64_t entries;
};

/* A directory block's entries (or inline data's), as libext2fs's
 * ext2fs_process_dir_block reads them; -1 when an entry is corrupt (the
 * names before it are kept, as they were given), 1 when names must stop. */
static int parse_entries(struct names *nm, uint32_t dir, const uint8_t *buf,
			 size_t buflen)
{
	struct walk *w = nm->w;
	size_t offset = 0;
	while (buflen > 8 && offset < buflen - 8) {
		const uint8_t *d = buf + offset;
		uint32_t rec_len = le16(d + 4);
		if (w->bs >= 65536)
			rec_len = rec_len == 65535 || rec_len == 0
					  ? w->bs
					  : (rec_len & 65532) | ((rec_len & 3) << 16);
		unsigned name_len = d[6];
		if (offset + rec_len > buflen || rec_len < 8 || rec_len % 4 ||
		    name_len + 8 > rec_len)
			return -1;
		uint32_t ino = le32(d);
		if (ino) {
			if (++nm->entries > MAX_DIR_ENTRIES)
				return 1;
			const char *name = (const char *)d + 8;
			bool dots = (name_len == 1 && name[0] == '.') ||
				    (name_len == 2 && name[0] == '.' &&
				     name[1] == '.');
			if (ino <= w->ninodes && name_len && !dots &&
			    da_fi_add_name(w->x, ino, dir, name, name_len) < 0)
				return 1;
		}
		offset += rec_len;
	}
	return 0;
}

/* Where inode ino lies on the device, for the inline directories read
 * again; false when it cannot be known. */
static bool inode_at(struct walk *w, uint32_t ino, uint64_t *off)
{
	if (!ino || ino > w->ninodes || !w->ipg)
		return false;
	uint64_t g = (ino - 1) / w->ipg, k = (ino - 1) % w->ipg;
	struct ext_group gd;
	if (ext_group_get(w->p, g, &gd) || !gd.inode_table ||
	    !itable_placed(w, g, gd.inode_table))
		return false;
	*off = gd.inode_table * w->bs + k * w->isz;
	return true;
}

/* An inline-data directory: entries after the parent's number in i_block,
 * then in the "system.data" attribute in the inode; as libext2fs, what
 * does not parse here is passed over in silence. */
static void parse_inline_dir(struct names *nm, uint32_t ino, uint8_t *inode)
{
	struct walk *w = nm->w;
	uint64_t off;
	if (!inode_at(w, ino, &off) ||
	    !range_ok(off, w->isz, w->p->dev->size) ||
	    da_device_read(w->p->dev, inode, w->isz, off, NULL) < 0)
		return;
	if (parse_entries(nm, ino, inode + 44, 56) > 0 || w->isz <= 132)
		return;
	uint32_t extra = le16(inode + 128);
	uint64_t at = 128 + (uint64_t)extra;
	if (extra % 4 || at + 4 > w->isz || le32(inode + at) != 0xea020000)
		return;
	uint64_t base = at + 4, e = base;
	for (unsigned k = 0; k < 256 && e + 16 <= w->isz && le32(inode + e);
	     k++) {
		unsigned nlen = inode[e], index = inode[e + 1];
		uint64_t voff = le16(inode + e + 2), vsize = le32(inode + e + 8);
		if (e + 16 + nlen > w->isz)
			return;
		if (index == 7 && nlen == 4 && !memcmp(inode + e + 16, "data", 4)) {
			if (vsize && base + voff + vsize <= w->isz)
				parse_entries(nm, ino, inode + base + voff,
					      (size_t)vsize);
			return;
		}
		e += (16 + nlen + 3) & ~3u;
	}
}

/* Reads piece i and the pieces right after it on the disk into win (at
 * most DIR_READ_BLOCKS blocks, all inside the filesystem); false when
 * none follows it or the read fails (the piece is then read alone, as
 * ever, with its own error rules). */
static bool dir_window(struct walk *w, size_t i, uint8_t *win,
		       uint64_t *win_blk, uint64_t *win_n)
{
	const struct dir_piece *d = &w->dp[i];
	uint64_t n = d->len, off;
	for (size_t j = i + 1; j < w->ndp; j++) {
		const struct dir_piece *e = &w->dp[j];
		if (e->kind == DP_INLINE)
			continue;
		if (e->kind != DP_BLOCKS || e->pblk != d->pblk + n ||
		    e->len > DIR_READ_BLOCKS - n)
			break;
		n += e->len;
	}
	*win_n = 0;
	if (n == d->len || d->pblk >= w->p->nblocks ||
	    n > w->p->nblocks - d->pblk || !mul_ok(d->pblk, w->bs, &off) ||
	    !range_ok(off, n * w->bs, w->p->dev->size) ||
	    da_device_read(w->p->dev, win, n * w->bs, off, NULL) < 0)
		return false;
	*win_blk = d->pblk;
	*win_n = n;
	return true;
}

/* Every directory's names, from the pieces the inode walk kept. */
static void read_names(struct walk *w)
{
	struct names nm = { w, 0 };
	/* room for the longest piece, up to DIR_READ_BLOCKS blocks */
	uint64_t longest = 1;
	for (size_t i = 0; i < w->ndp; i++)
		if (w->dp[i].kind == DP_BLOCKS && w->dp[i].len > longest)
			longest = w->dp[i].len;
	if (longest > DIR_READ_BLOCKS)
		longest = DIR_READ_BLOCKS;
	size_t cap = (size_t)w->bs * longest;
	uint8_t *buf = malloc(cap > w->isz ? cap : w->isz);
	if (!buf) {
		w->gaps.dirs++;
		return;
	}
	uint32_t failed = 0;           /* a directory given up on */
	bool stop = false;
	/* pieces that follow one another on the disk (mke2fs lays small
	 * directories out so) are read together: a window of blocks */
	uint8_t *win = malloc((size_t)w->bs * DIR_READ_BLOCKS);
	uint64_t win_blk = 0, win_n = 0;
	for (size_t i = 0; i < w->ndp && !stop; i++) {
		const struct dir_piece *d = &w->dp[i];
		if (d->ino == failed)
			continue;
		if (d->kind == DP_INLINE) {
			parse_inline_dir(&nm, d->ino, buf);
			continue;
		}
		if (d->kind == DP_ERROR) {
			w->gaps.dirs++;
			failed = d->ino;
			continue;
		}
		bool bad = false, enough = false;
		bool held = win_n && d->pblk >= win_blk &&
			    d->pblk - win_blk <= win_n &&
			    d->len <= win_n - (d->pblk - win_blk);
		if (!held && win && d->len < DIR_READ_BLOCKS)
			held = dir_window(w, i, win, &win_blk, &win_n);
		if (held) {
			const uint8_t *b = win + (d->pblk - win_blk) * w->bs;
			for (uint64_t j = 0; j < d->len && !bad && !enough;
			     j++) {
				int r = parse_entries(&nm, d->ino, b + j * w->bs,
						      w->bs);
				bad = r < 0;
				enough = r > 0;
			}
		}
		uint64_t most = cap / w->bs;
		for (uint64_t k = 0; !held && k < d->len && !bad && !enough;) {
			uint64_t n = d->len - k < most ? d->len - k : most;
			uint64_t blk = d->pblk + k, off;
			/* blocks past the filesystem are no directory's */
			if (blk >= w->p->nblocks || n > w->p->nblocks - blk ||
			    !mul_ok(blk, w->bs, &off) ||
			    !range_ok(off, n * w->bs, w->p->dev->size) ||
			    da_device_read(w->p->dev, buf, n * w->bs, off,
					   NULL) < 0) {
				if (n == 1)
					bad = true;
				most = 1;  /* again a block at a time */
				continue;
			}
			for (uint64_t j = 0; j < n && !bad && !enough; j++) {
				int r = parse_entries(&nm, d->ino,
						      buf + j * w->bs, w->bs);
				bad = r < 0;
				enough = r > 0;
			}
			k += n;
		}
		/* a corrupt or unreadable block ends its directory, as
		 * a full index or too many entries end it unsaid */
		if (bad)
			w->gaps.dirs++;
		if (bad || enough)
			failed = d->ino;
		if (nm.entries > MAX_DIR_ENTRIES)
			stop = true;
	}
	free(win);
	free(buf);
}

/* ---- the index ------------------------------------------------------------ */

static void __attribute__((format(printf, 4, 5)))
say(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	if (*o + 3 >= len)
		return;
	if (*o) {
		memcpy(buf + *o, "; ", 3);
		*o += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (w > 0)
		*o += (size_t)w < len - *o ? (size_t)w : len - *o - 1;
}

static void gaps_reason(struct walk *w, char *why, size_t len)
{
	struct ext_priv *p = w->p;
	const struct index_gaps *g = &w->gaps;
	size_t o = 0;
	why[0] = '\0';
	if (g->groups)
		say(why, len, &o, "the inodes of %llu of %llu groups "
		    "are not read (%s)", (unsigned long long)g->groups,
		    (unsigned long long)w->ngroups, g->first_group);
	if (p->bad_ind)
		say(why, len, &o, "%llu files have indirect blocks that "
		    "cannot be read: the blocks they map are not known "
		    "(first: %s)", (unsigned long long)p->bad_ind,
		    p->first_bad_ind);
	if (g->tree_files)
		say(why, len, &o, "%llu files have extent-tree blocks that "
		    "cannot be read: the blocks below them are not known "
		    "(first: %s)", (unsigned long long)g->tree_files,
		    g->first_tree);
	if (g->dirs)
		say(why, len, &o, "%llu directories cannot be read: "
		    "their files have no path", (unsigned long long)g->dirs);
	if (p->overflow)
		say(why, len, &o, "cut short: too many runs");
}

static bool bufs_alloc(struct bufs *b, uint32_t bs)
{
	memset(b, 0, sizeof(*b));
	uint8_t *m = malloc((size_t)bs * (TREE_DEPTH + 1 + 3));
	if (!m)
		return false;
	for (int i = 0; i <= TREE_DEPTH; i++)
		b->tree[i] = m + (size_t)bs * i;
	for (int i = 0; i < 3; i++)
		b->ind[i] = m + (size_t)bs * (TREE_DEPTH + 1 + i);
	return true;
}

static void bufs_free(struct bufs *b)
{
	free(b->tree[0]);
}

/* The reserved inodes that own blocks (the journal, the resize inode):
 * files without a path, so that a range's files name them as debugfs
 * icheck does. */
static void add_reserved(struct ext_priv *p, struct da_fileindex *x)
{
	uint32_t seen_ino[8], seen_f[8];
	size_t nseen = 0;
	for (size_t i = 0; i < p->nmeta && !p->overflow; i++) {
		const struct run *m = &p->meta[i];
		if (!m->ino)
			continue;
		uint32_t f = UINT32_MAX;
		for (size_t k = 0; k < nseen; k++)
			if (seen_ino[k] == m->ino)
				f = seen_f[k];
		if (f == UINT32_MAX) {
			f = da_fi_add_file(x, m->ino, DA_FILE_META, 0, 0);
			if (nseen < 8) {
				seen_ino[nseen] = m->ino;
				seen_f[nseen++] = f;
			}
		}
		if (f == UINT32_MAX ||
		    da_fi_add_run(x, f, m->start * p->bs,
				  (uint64_t)m->len * p->bs, 0,
				  da_role_by_name(m->role), DA_RUN_META) < 0)
			p->overflow = true;
	}
}

/* The file index is published even when it could not be built, or only
 * in part: lookups then answer with what the scan knows (metadata roles,
 * used/free) instead of "indexing" for ever. */
int ext_build_index(struct da_node *n, da_error *err)
{
	struct ext_priv *p = n->priv;
	if (!p || da_fi_get(n))
		return 0;
	ext_lib_init();
	struct ext2_super_block *sb = p->fs->super;
	char why[600];
	struct walk w = {
		.p = p, .bs = p->bs, .isz = EXT2_INODE_SIZE(sb),
		.ipg = sb->s_inodes_per_group, .first_ino = EXT2_FIRST_INODE(sb),
		.ninodes = sb->s_inodes_count,
		.fs_blocks = ext2fs_blocks_count(sb),
		.first_data = sb->s_first_data_block,
		/* from the superblock alone: the open path need not have
		 * made libext2fs's group geometry */
		.ngroups = sb->s_blocks_per_group && ext2fs_blocks_count(sb) >
							     sb->s_first_data_block
				   ? (ext2fs_blocks_count(sb) -
				      sb->s_first_data_block +
				      sb->s_blocks_per_group - 1) /
					     sb->s_blocks_per_group
				   : 0,
		.is64 = ext2fs_has_feature_64bit(sb), .paths = true,
	};
	w.itable_blocks = ((uint64_t)w.ipg * w.isz + w.bs - 1) / w.bs;
	struct da_fileindex *x = da_fi_new(false);
	uint8_t *buf = NULL;
	if (!x || w.isz < 128 || w.isz > w.bs || (w.isz & (w.isz - 1)) ||
	    !bufs_alloc(&w.b, w.bs) || !(buf = malloc(IT_CHUNK))) {
		const char *r = x ? "cannot read the inodes: no memory or "
				    "an inode size of the superblock's that "
				    "cannot be" : "no memory for the file index";
		free(buf);
		bufs_free(&w.b);
		da_fi_publish(n, x, r);
		return da_error_set(err, x ? EIO : ENOMEM, "%s", r);
	}
	w.x = x;
	da_fi_set_root(x, EXT2_ROOT_INO);
	/* the tables sized from the inodes in use (the superblock's count:
	 * an estimate, bounded by what the groups hold) */
	uint64_t in_use = sb->s_inodes_count > sb->s_free_inodes_count
				  ? sb->s_inodes_count - sb->s_free_inodes_count
				  : 0;
	if (in_use > (uint64_t)w.ipg * w.ngroups)
		in_use = (uint64_t)w.ipg * w.ngroups;
	/* most files are one run; a few more for the fragmented, the
	 * extent-tree blocks and the reserved inodes */
	da_fi_reserve(x, (size_t)in_use + 8,
		      (size_t)(in_use + in_use / 4 + 64));
	bool gdcsum = ext2fs_has_group_desc_csum(p->fs);
	for (uint64_t g = 0; g < w.ngroups && !p->overflow; g++) {
		/* groups the scan's pass saw with no inode in use are not
		 * asked again (a 64 TiB ext4 has half a million); unless some
		 * inode table is misplaced, which is said for every group */
		if (!p->bad_itables && p->inode_groups &&
		    !p->inode_groups[g / 64]) {
			g |= 63;
			continue;
		}
		if (!p->bad_itables && !ext_group_has_inodes(p, g))
			continue;
		struct ext_group gd;
		int e = ext_group_get(p, g, &gd);
		if (e) {
			group_gap(&w, g, "its descriptor cannot be read: %s",
				  strerror(e));
			continue;
		}
		if (!gd.inode_table)
			continue;          /* no table: nothing to read */
		if (!itable_placed(&w, g, gd.inode_table)) {
			group_gap(&w, g, "inode table at block %llu",
				  (unsigned long long)gd.inode_table);
			continue;
		}
		/* the inodes in use are the first ipg - itable_unused (what
		 * libext2fs's lazy scan reads) */
		uint32_t want = w.ipg;
		if (gdcsum) {
			if ((gd.flags & EXT2_BG_INODE_UNINIT) ||
			    gd.itable_unused >= w.ipg)
				continue;
			want = w.ipg - gd.itable_unused;
		}
		walk_group(&w, g, gd.inode_table, want, buf);
	}
	free(buf);
	add_reserved(p, x);
	if (w.paths)
		read_names(&w);
	free(w.dp);
	bufs_free(&w.b);
	gaps_reason(&w, why, sizeof(why));
	da_fi_publish(n, x, why);
	return 0;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* A scan-time inode (the journal) read by libext2fs: back to its on-disk
 * form (little-endian) for the walk. */
void ext_collect_meta(struct ext_priv *p, uint32_t ino,
		      struct ext2_inode *inode, enum da_role role)
{
	uint8_t raw[128] = { 0 };
	put32(raw + 32, inode->i_flags);
	for (int i = 0; i < EXT2_N_BLOCKS; i++)
		put32(raw + 40 + 4 * i, inode->i_block[i]);
	struct bufs b;
	if (!bufs_alloc(&b, p->bs))
		return;
	struct collect c = {
		.p = p, .ino = ino, .data_role = role, .b = &b,
		.fs_blocks = ext2fs_blocks_count(p->fs->super),
		.first_data = p->fs->super->s_first_data_block,
	};
	collect_inode(&c, raw);
	bufs_free(&b);
}
