/* ext2/3/4: what ext.c (libext2fs, the scan, the file index) and
 * ext_meta.c (where the metadata lies and which blocks are in use,
 * answered from the geometry and read lazily) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FS_EXT_H
#define DA_FS_EXT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "../diskatlas.h"

/* A run of metadata blocks in the table (sorted, no overlaps). */
struct run {
	uint64_t start;            /* block */
	uint32_t len;
	uint32_t ino;
	const char *role;
	bool conflict;
};

/* A group's block bitmap, read when a question needs it; group g lives
 * in slot g % EXT_BMAP_SLOTS (at most 256 blocks held, whatever the
 * filesystem's size; slots are allocated when first used). */
struct ext_bmap_slot {
	uint64_t group;
	uint8_t state;             /* 0 empty, 1 read, 2 unreadable */
	uint8_t *bits;
};
#define EXT_BMAP_SLOTS 256

/* Descriptor blocks cached by ext_group_get: EXT_GD_SLOTS chunks of
 * EXT_GD_CHUNK neighbouring blocks (256 KiB with 4 KiB blocks). */
#define EXT_GD_CHUNK 16
/* At most this many groups are read (a descriptor table of 1 GiB, 2 PiB
 * of 4 KiB blocks) */
#define EXT_MAX_GROUPS (UINT64_C(1) << 24)
/* At most this many groups' used counts are kept (8 MiB where they
 * vary most) */
#define EXT_MAX_COUNTED_GROUPS (UINT64_C(1) << 22)
/* Groups a block of the counts table (a bit each in its mask) */
#define EXT_COUNT_BLOCK 64
struct ext_count_block {
	uint64_t mask;             /* groups that count c[1], else c[0] */
	uint16_t c[2];
	uint8_t seen;              /* how many of c are given */
	uint16_t *own;             /* a third count came: every group's */
};
#define EXT_GD_SLOTS 4
struct ext_gd_slot {
	uint64_t chunk;            /* descriptor blocks chunk * EXT_GD_CHUNK.. */
	uint64_t used;             /* when last asked (gd_clock) */
	uint8_t state;             /* 0 empty, 1 read */
	uint8_t ok[EXT_GD_CHUNK];  /* block k read (else zeros) */
	uint8_t *buf;
};

struct ext_priv {
	ext2_filsys fs;            /* opened with the superblock only */
	struct da_device *dev;
	uint32_t bs;
	uint64_t nblocks;
	/* the group descriptors (ext_group.c) */
	uint64_t id;               /* never reused: the thread caches' key */
	uint64_t ngroups, desc_blocks;
	uint64_t blocks_total;     /* the superblock's, not cut to the device */
	bool flex_bg;
	uint32_t desc_size, desc_per_block;
	bool wide_desc;            /* 64-bit descriptors: the high halves too */
	pthread_mutex_t gd_lock;
	uint64_t gd_clock;
	uint64_t gd_reads;         /* device reads of descriptor blocks */
	struct ext_gd_slot gd[EXT_GD_SLOTS];
	/* groups with inodes in use (not INODE_UNINIT, or fewer unused than
	 * the group holds): one bit a group, from the scan's pass */
	uint64_t *inode_groups;
	/* metadata not found by arithmetic (see ext_meta.c): the boot
	 * blocks, superblocks and descriptors, the journal, the resize
	 * inode; and every group's bitmaps and inode table when they do
	 * not follow the layout model.  Sorted, non-overlapping, with
	 * prefix sums. */
	struct run *meta;
	size_t nmeta, capmeta;
	uint64_t *meta_before;
	bool overflow;
	/* the layout model: group h's block bitmap, inode bitmap and inode
	 * table lie at the first group of its flex group's plus
	 * (h - first) items, and flex groups' runs come in block order */
	bool model;
	uint64_t flex;             /* groups a flex group (1 without flex_bg) */
	unsigned flex_shift;       /* its log2, when it is a power of two */
	uint64_t flex_blocks;      /* blocks of flex groups */
	uint64_t nflex;
	/* and each run lies within reach blocks of its flex group's first
	 * block (mke2fs's layout): a block's candidates are then one or
	 * two flex groups, not a binary search */
	bool local;
	uint64_t reach;
	/* and regular (mke2fs's): each flex group's runs but the first's
	 * and the last's at reg_off from its start; no descriptor is read
	 * to place them */
	bool regular;
	uint64_t reg_off[3], first_loc[3], last_loc[3];
	/* groups whose block bitmap is not initialised, a bit each */
	uint64_t *block_uninit;
	struct ext_model_scan {    /* the model, checked group by group */
		bool ok;
		uint64_t first[3], prev_end[3];
		uint64_t next[3];  /* where the group in hand's items should be */
		/* the last 4 flex groups' runs, start and end */
		uint64_t ring_s[4][3], ring_e[4][3];
		int nring, ring_at;
	} mscan;
	/* used blocks, from the descriptors' free counts, every 256
	 * groups (made when first asked, under bmap_lock); whole groups
	 * after groups_ok are not counted so */
	bool used_ready;
	uint64_t *used_before, used_sum;
	/* and every group's (ext_count), by blocks of EXT_COUNT_BLOCK
	 * groups: most blocks hold at most two counts (a lazily made
	 * filesystem's groups count their metadata: the flex group's first
	 * its tables, the others none), kept as two and a mask, 160 KiB for
	 * 64 TiB where a count a group was 1 MiB; NULL when none are kept */
	struct ext_count_block *counts;
	uint64_t groups_ok;        /* groups that lie wholly on the device */
	pthread_mutex_t bmap_lock;
	struct ext_bmap_slot bmap[EXT_BMAP_SLOTS];
	/* inode tables whose descriptor points outside the filesystem (or
	 * their group): set aside at scan time, for the index's reason */
	uint64_t bad_itables;
	char first_bad_itable[160];
	/* files whose indirect blocks could not be read; whether the file
	 * being walked has one outside the filesystem */
	uint64_t bad_ind;
	char first_bad_ind[160];
	bool ind_outside;
	/* the pass over the descriptors (ext_settle), maybe on another
	 * thread: 0 not yet, 1 done, -1 failed (settle_err says why); read
	 * with acquire, written once with release, and nothing the pass
	 * makes (the bits and counts above, the metadata table and model)
	 * is read before it says 1 */
	int settled;
	da_error settle_err;
	bool fits;                 /* the filesystem lies within its device */
};

struct ext_group {            /* one group descriptor, decoded (32- or 64-byte form) */
	uint64_t block_bitmap, inode_bitmap, inode_table;
	uint32_t free_blocks, free_inodes, used_dirs, itable_unused;
	uint16_t flags;           /* EXT4_BG_INODE_UNINIT, _BLOCK_UNINIT, _INODE_ZEROED */
};
/* group g's descriptor, read on demand (safe from the index thread); 0 or an errno */
int ext_group_get(struct ext_priv *p, uint64_t g, struct ext_group *out);

/* Up to n descriptors from group g on, as far as one cached chunk of
 * them goes, under one lock: how many were decoded into out (0 when g
 * is past the last group or its block cannot be read). */
size_t ext_group_get_many(struct ext_priv *p, uint64_t g, size_t n,
			  struct ext_group *out);
/* Where descriptor block i lies, or 0 when outside the filesystem. */
uint64_t ext_desc_block_loc(const struct ext_priv *p, uint64_t i);
/* The descriptors' geometry from the superblock; the cache's end. */
void ext_groups_init(struct ext_priv *p);
void ext_groups_free(struct ext_priv *p);
/* Descriptor bytes d (desc_size of them) decoded. */
void ext_group_decode(const struct ext_priv *p, const uint8_t *d,
		      struct ext_group *out);
/* Does group g's descriptor d carry the checksum the filesystem's
 * features ask for (true when they ask for none)? */
bool ext_group_csum_ok(const struct ext_priv *p, uint64_t g,
		       const uint8_t *d);
/* The same for n neighbouring descriptors from group g at d (one
 * descriptor block's worth), ok[i] for group g + i: three at a time. */
void ext_group_csum_run(const struct ext_priv *p, uint64_t g,
			const uint8_t *d, size_t n, uint8_t *ok);
/* Every group in [g0, g1) in order, read a chunk at a time outside the
 * cache: fn gets the decoded descriptor and its bytes, or NULL for both
 * when its block cannot be read; a non-zero answer stops the walk.
 * 0, fn's positive answer, or ENOMEM. */
typedef int (*ext_group_fn)(void *ctx, uint64_t g, const struct ext_group *d,
			    const uint8_t *raw);
int ext_groups_each(struct ext_priv *p, uint64_t g0, uint64_t g1,
		    ext_group_fn fn, void *ctx);
/* Where d puts a bitmap or the inode table (only the table with
 * itable_only) outside the blocks group g may use: the whole filesystem
 * with flex_bg, else the group itself (as ext2fs_check_desc).  why gets
 * "group G: inode table at block N". */
bool ext_group_misplaced(const struct ext_priv *p, uint64_t g,
			 const struct ext_group *d, bool itable_only,
			 char *why, size_t len);
/* Does group g have inodes in use (by the scan's pass)?  true when not
 * known. */
bool ext_group_has_inodes(const struct ext_priv *p, uint64_t g);
/* libext2fs's fs->read_inode: an inode through ext_group_get, so that
 * libext2fs never reads a descriptor itself (fs->priv_data is the
 * ext_priv).  A set-aside (misplaced) inode table answers
 * EXT2_ET_MISSING_INODE_TABLE. */
errcode_t ext_read_inode_hook(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode *inode);

/* libext2fs opened on dev through our io_manager with flags (ext_scan
 * uses the superblock only; tests open it whole, the slow way). */
errcode_t ext_open_lib(struct da_device *dev, int flags, ext2_filsys *out);

/* What a metadata block is. */
struct ext_meta_hit {
	const char *role;
	uint32_t ino;              /* the reserved inode owning it, or 0 */
	uint64_t group;            /* the group it serves, UINT64_MAX: ask */
};

/* The table of what arithmetic cannot give (superblocks, descriptors,
 * the journal, the resize inode), before the pass over the groups. */
void ext_meta_table(struct ext_priv *p);
/* Where the metadata lies: the table of what arithmetic cannot give and
 * the layout model, or (when the model does not hold) the table of all.
 * Warns on n what overlaps (as e2fsck's first check would) when warn.
 * Call once the descriptors are final but for bad inode tables. */
void ext_meta_build(struct ext_priv *p, struct da_node *n, bool warn);
/* The metadata holding block b, or false. */
bool ext_meta_at(const struct ext_priv *p, uint64_t b,
		 struct ext_meta_hit *out);
/* How many metadata blocks lie in [b0, b1). */
uint64_t ext_meta_count(const struct ext_priv *p, uint64_t b0, uint64_t b1);
/* The same from the whole table made the old way (every group's runs),
 * at about samples blocks spread over the filesystem (both ways): for
 * tests, which compare the two.  -1 when it cannot be made. */
int ext_meta_crosscheck(const struct ext_priv *p, uint64_t samples, char *why,
			size_t len);

/* The layout model, checked group by group in the scan's pass over the
 * descriptors (begin, then every group in order; d NULL: unreadable),
 * before ext_meta_build. */
void ext_model_begin(struct ext_priv *p);
void ext_model_group(struct ext_priv *p, uint64_t g,
		     const struct ext_group *d);

/* Used blocks: the descriptors' counts for whole groups (summed every
 * 256 groups in the scan's pass: init, every group in order, ready),
 * the block bitmaps (read on demand, a few kept) for parts of groups. */
int ext_used_init(struct ext_priv *p);
void ext_used_group(struct ext_priv *p, uint64_t g,
		    const struct ext_group *d);
void ext_used_ready(struct ext_priv *p);
uint64_t ext_used_count(struct ext_priv *p, uint64_t b0, uint64_t b1);
bool ext_used_test(struct ext_priv *p, uint64_t b);
/* ext_used_count's walk; by_desc false: each group by its bitmap, as
 * ext_used_test sees blocks one at a time (ext_range_roles asks so). */
uint64_t ext_used_walk(struct ext_priv *p, uint64_t b0, uint64_t b1,
		       bool by_desc);
void ext_used_free(struct ext_priv *p);
/* The plugin's range_roles: describe_block's roles of a range, from the
 * metadata runs, the file index's runs and the bitmaps. */
int ext_range_roles(struct da_node *n, uint64_t off, uint64_t len,
		    struct da_role_bytes *out, int max);

/* Metadata tables (ext.c): push a run (merged with the previous one when
 * it continues it), add clipped to the filesystem. */
int ext_push_run(struct run **v, size_t *n, size_t *cap, uint64_t start,
		 uint64_t len, uint32_t ino, const char *role);
void ext_add_meta(struct ext_priv *p, uint64_t start, uint64_t len,
		  const char *role, uint32_t ino);
const struct run *ext_find_run(const struct run *v, size_t n, uint64_t b,
			       size_t *at);
/* The journal's blocks into the metadata table. */
void ext_add_journal(struct ext_priv *p);

/* libext2fs's error table and message hook, once a process (ext.c). */
void ext_lib_init(void);

/* The file index (ext_index.c): build_index; and every block of an inode
 * into the metadata table under role (the journal, at scan time). */
int ext_build_index(struct da_node *n, da_error *err);
void ext_collect_meta(struct ext_priv *p, uint32_t ino,
		      struct ext2_inode *inode, enum da_role role);

#endif
