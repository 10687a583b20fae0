/* Private to the XFS plugin: what xfs.c (superblock, AG headers, scan,
 * lookups), xfs_btree.c (the AG B+trees), xfs_inode.c (inodes and their
 * forks), xfs_dir.c (directories) and xfs_index.c (the file index) share.
 *
 * Addresses: a "linear" block is agno * agblocks + agbno, which is also
 * the byte offset divided by the block size; on-disk fsblock numbers
 * (agno << agblklog | agbno) are turned into linear blocks at once.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_XFS_H
#define DA_XFS_H

#include "util.h"

extern const struct da_plugin da_plugin_xfs;

#define XFS_MAX_LEVELS 9           /* B+tree height bound (xfs allows < 9) */
#define XFS_MAX_META (1u << 22)    /* metadata extents kept for roles */
#define XFS_MAX_EXTENTS (1u << 24) /* a fork's extents we accept */

/* superblock feature bits */
#define XFS_RO_FINOBT 0x1
#define XFS_RO_RMAPBT 0x2
#define XFS_RO_REFLINK 0x4
#define XFS_IN_FTYPE 0x1
#define XFS_IN_SPINODES 0x2
#define XFS_IN_NREXT64 0x20
#define XFS_F2_FTYPE 0x200          /* v4 features2 */

struct xfs_geom {
	int version;               /* 4 or 5 */
	bool crc;                  /* v5: CRCs, 56/72-byte btree headers */
	uint32_t bs, ss, isize;    /* block, sector, inode size */
	uint32_t blocklog, inopblog, agblklog, dirblklog;
	uint32_t agblocks, agcount;
	uint64_t dblocks;
	uint64_t logstart, logblocks;   /* logstart as a linear block; 0: external */
	uint64_t rootino, rbmino, rsumino, uquotino, gquotino, pquotino;
	uint32_t ro_compat, incompat, features2;
	bool ftype, spinodes, nrext64, finobt, rmapbt, reflink;
	uint8_t uuid[16], meta_uuid[16];
	uint64_t rblocks;
	uint32_t sbhdr_bytes;      /* bytes of block 0 of an AG the headers use */
};

/* One extent of known metadata, in linear blocks, with its role. */
struct xfs_meta {
	uint64_t start;
	uint32_t len;
	uint16_t role;             /* enum da_role */
	uint16_t pad;
};

/* One inode chunk from the inode B+tree. */
struct xfs_chunk {
	uint32_t agno, startino;   /* startino: AG inode number */
	uint16_t holemask;         /* bit k: inodes 4k..4k+3 are a hole */
	uint64_t free;             /* bit i: inode startino+i is free */
};

/* A set of 64-bit numbers (blocks visited), for loops and sharing. */
struct xfs_set {
	uint64_t *v;
	size_t n, cap;
};

struct xfs_priv {
	struct xfs_geom g;
	struct da_bitmap *used;    /* linear blocks not free in the bnobt */
	struct da_bitmap *meta;    /* linear blocks of known metadata */
	struct xfs_meta *m;        /* sorted by start */
	size_t nm, capm;
	struct xfs_chunk *chunks;
	size_t nchunks, capchunks;
	uint64_t free_blocks;      /* sum of the bnobt records */
	uint64_t agf_free;         /* sum of agf_freeblks */
	struct xfs_set seen;       /* B+tree blocks visited (scan only) */
	uint64_t refcount_shared;  /* blocks with refcount > 1 */
	uint64_t budget;           /* B+tree blocks left to read */
};

/* xfs.c */
uint32_t xfs_crc32c(const void *buf, size_t len, size_t crc_off);
bool xfs_crc_ok(const void *buf, size_t len, size_t crc_off);
/* fsblock (agno << agblklog | agbno) to a linear block; false when the
 * AG or the block is out of range. */
bool xfs_fsb_linear(const struct xfs_geom *g, uint64_t fsb, uint64_t *lin);
uint64_t xfs_ag_blocks(const struct xfs_geom *g, uint32_t agno);
int xfs_read_block(struct da_device *dev, const struct xfs_geom *g,
		   uint64_t lin, uint32_t count, void *buf, da_error *err);
/* Remember [start, start+len) linear blocks as metadata of a role. */
void xfs_add_meta(struct da_node *n, uint64_t start, uint64_t len,
		  enum da_role role);

/* xfs_btree.c */
bool xfs_set_add(struct xfs_set *s, uint64_t v);   /* false: already in */
void xfs_set_free(struct xfs_set *s);
/* The kinds of AG B+tree. */
enum xfs_bt { XFS_BT_BNO, XFS_BT_CNT, XFS_BT_INO, XFS_BT_FINO, XFS_BT_RMAP,
	      XFS_BT_REFC };
typedef void (*xfs_rec_fn)(void *arg, uint32_t agno, const uint8_t *rec);
/* Walk one AG tree from root at height levels: every block is added as
 * metadata of the tree's role, each leaf record handed to fn (may be
 * NULL).  Damage becomes warnings on n; the walk never loops. */
void xfs_walk_agbt(struct da_node *n, enum xfs_bt kind, uint32_t agno,
		   uint32_t root, uint32_t levels, xfs_rec_fn fn, void *arg);
/* The same, without a node (for the index's second rmapbt pass). */
struct xfs_bt_ctx {
	struct da_device *dev;
	const struct xfs_geom *g;
	struct da_node *warn_to;   /* or NULL */
	struct xfs_set *seen;
	struct da_node *meta_to;   /* add blocks as metadata, or NULL */
	uint64_t *budget;
	char first_warning[256];
	unsigned warnings;
};
void xfs_walk_agbt_ctx(struct xfs_bt_ctx *c, enum xfs_bt kind, uint32_t agno,
		       uint32_t root, uint32_t levels, xfs_rec_fn fn,
		       void *arg);

/* xfs_inode.c: inodes and their forks */
struct xfs_ext {
	uint64_t off;              /* file block */
	uint64_t lin;              /* linear block */
	uint64_t len;              /* blocks */
	bool unwritten;
};
struct xfs_extlist {
	struct xfs_ext *v;
	size_t n, cap;
};
struct xfs_inode {
	uint64_t ino;
	uint16_t mode;
	int version, format, aformat;
	uint64_t size, nextents, anextents;
	uint32_t core;             /* 176 (v3) or 100 bytes */
	uint32_t dsize, aoff, asize;   /* data fork size, attr fork place */
	uint16_t flags;
	uint64_t flags2;
	const uint8_t *raw;        /* isize bytes */
};
#define XFS_FMT_LOCAL 1
#define XFS_FMT_EXTENTS 2
#define XFS_FMT_BTREE 3
#define XFS_DATA_FORK 0
#define XFS_ATTR_FORK 1
/* What reading inodes needs: the device, the geometry, a block buffer
 * stack for bmbt walks, and where problems go. */
struct xfs_ictx {
	struct da_device *dev;
	const struct xfs_geom *g;
	uint8_t *bufs;             /* XFS_MAX_LEVELS blocks */
	struct xfs_set seen;       /* bmbt blocks visited */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	uint64_t bad_extents, bad_inodes, crc_errors;
	uint64_t dir_budget;       /* directory blocks left to read */
	bool dir_over;             /* said so */
};
int xfs_inode_parse(struct xfs_ictx *c, const uint8_t *raw, uint64_t ino,
		    struct xfs_inode *out);
/* A fork's extents (sorted by file block) into out, its bmbt blocks (as
 * extents with off 0) into bmbt (may be NULL).  Bad records are counted
 * and skipped. */
void xfs_fork_extents(struct xfs_ictx *c, const struct xfs_inode *ip,
		      int fork, struct xfs_extlist *out,
		      struct xfs_extlist *bmbt);
void xfs_ictx_warn(struct xfs_ictx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* xfs_dir.c: the names in a directory */
typedef void (*xfs_name_fn)(void *arg, uint64_t dir, uint64_t child,
			    const uint8_t *name, size_t len);
void xfs_dir_names(struct xfs_ictx *c, const struct xfs_inode *ip,
		   const struct xfs_extlist *ext, xfs_name_fn fn, void *arg);

/* xfs_index.c */
int xfs_build_index(struct da_node *n, da_error *err);

#endif
