/* qcow2 (v2 and v3), read by our own code: the header, the guest mapping
 * (L1 -> L2 -> clusters) and the caches, shared by the guest device
 * (qcow2.c) and the host view (qcow2_host.c).  Layout: qemu's
 * docs/interop/qcow2.txt.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_QCOW2_H
#define DA_QCOW2_H

#include <pthread.h>

#include "image.h"

#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL   /* bits 9-55 */
#define QCOW2_COMPRESSED (1ULL << 62)
#define QCOW2_COPIED (1ULL << 63)

/* What a guest cluster (or subcluster) is. */
enum qcow2_kind { Q_UNALLOC, Q_ZERO, Q_DATA, Q_COMPRESSED };

struct qcow2_l2_cache {
	uint64_t off;              /* host offset of the table, 0: empty */
	uint64_t used;             /* LRU stamp */
	uint8_t *buf;
};

struct qcow2_z_cache {
	uint64_t entry;            /* the L2 entry decompressed, 0: empty */
	uint64_t used;
	uint8_t *buf;
};

struct qcow2 {
	int fd;
	char *path;
	uint64_t file_size;
	uint32_t version;
	unsigned cluster_bits;
	uint64_t cluster_size;
	uint64_t size;             /* guest bytes */
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_off;
	uint64_t *l1;
	uint64_t rt_off;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t snap_off;
	uint64_t incompat, compat, autoclear;
	unsigned refcount_order;
	uint32_t header_len;
	unsigned compression;      /* 0 zlib, 1 zstd */
	bool ext_l2;               /* 128-bit L2 entries, 32 subclusters */
	unsigned l2_bits;          /* log2 of entries per L2 table */
	unsigned entry_size;       /* 8 or 16 */
	uint64_t ext_end;          /* end of the header extensions */
	uint64_t backing_off;
	uint32_t backing_len;
	char *backing_name;
	char *backing_fmt;
	uint64_t crypt_off, crypt_len;
	uint64_t bm_dir_off, bm_dir_size;
	uint32_t nb_bitmaps;
	uint64_t data_file_ext;    /* external data file name present */
	struct da_device *backing; /* the next link of the chain, or NULL */
	/* the backing file's last extent answer, [bk_off, bk_off + bk_run)
	 * data (1) or hole (0): the walk over this file's unallocated
	 * clusters asks the backing file cluster by cluster (under lock) */
	uint64_t bk_off, bk_run;
	int bk_answer;
	char *chain_desc;          /* "a.qcow2 -> base.qcow2 (raw)" */

	pthread_mutex_t lock;
	uint64_t stamp;
	struct qcow2_l2_cache *l2c;
	size_t nl2c;
	struct qcow2_z_cache zc[4];
	uint8_t *zin;              /* compressed input buffer */
	void *zstd;                /* ZSTD_DCtx */
};

/* Read and check the header, extensions and L1 table of the image open
 * on fd (which q takes).  -1 with err: not readable as qcow2. */
int qcow2_parse(struct qcow2 *q, int fd, const char *path, da_error *err);
void qcow2_free(struct qcow2 *q);
/* The L2 table at host offset off (cluster_size bytes), through the
 * cache; NULL with err.  Caller holds q->lock. */
const uint8_t *qcow2_l2(struct qcow2 *q, uint64_t off, da_error *err);
/* The entry (and extended bitmap) of guest cluster c; *l2_off gets the
 * table's offset (0: no table).  Caller holds q->lock. */
int qcow2_entry(struct qcow2 *q, uint64_t c, uint64_t *entry,
		uint64_t *bitmap, da_error *err);
/* Host byte range of a compressed entry. */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry,
			    uint64_t *off, uint64_t *len);
/* The qcow2 behind a device that da_image_qcow2 opened, or NULL. */
struct qcow2 *qcow2_of(struct da_device *dev);
/* File number link of the chain under dev (0: dev's own), if a qcow2. */
struct qcow2 *qcow2_link(struct da_device *dev, int link);
/* What guest byte off is in q alone (its own lock taken); Q_UNALLOC
 * also past q's size or when unreadable. */
enum qcow2_kind qcow2_kind_at(struct qcow2 *q, uint64_t off);

#endif
