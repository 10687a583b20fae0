/* Private to the NTFS plugin: what ntfs.c (libntfs-3g on our devices,
 * identity, $Bitmap, block answers) and ntfs_index.c (the walk over the
 * MFT: every attribute's runs, names, streams) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_NTFS_H
#define DA_NTFS_H

/* util.h's byte readers share their names with libntfs-3g's endian
 * types: here they are util_le16() and so on */
#define le16 util_le16
#define le32 util_le32
#define le64 util_le64
#define be16 util_be16
#define be32 util_be32
#define be64 util_be64
#include "../util.h"
#undef le16
#undef le32
#undef le64
#undef be16
#undef be32
#undef be64

/* libntfs-3g's headers use these without including them */
#include <stddef.h>
#include <stdarg.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/runlist.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logging.h>

#include "../dl.h"
#include "../fileindex.h"

/* libntfs-3g is loaded when the first NTFS is scanned (dl.h); NT is its
 * table once ntfs_scan has loaded it. */
#define NTFS_FUNCS(X) X(ntfs_attr_get_search_ctx) X(ntfs_attr_lookup) X(ntfs_attr_pread) \
	X(ntfs_attr_put_search_ctx) X(ntfs_device_alloc) \
	X(ntfs_device_free) X(ntfs_device_mount) X(ntfs_file_record_read) \
	X(ntfs_inode_close) X(ntfs_inode_open) X(ntfs_log_set_handler) \
	X(ntfs_log_set_levels) X(ntfs_mapping_pairs_decompress) \
	X(ntfs_readdir) X(ntfs_ucstombs) X(ntfs_umount)
DA_DL_DECLARE(ntfs, NTFS_FUNCS)
#define NT (da_dl_ntfs(NULL))

/* Bounds on what a hostile volume can make us hold or do. */
#define NTFS_MAX_RECORDS (64u << 20)     /* MFT records walked */
#define NTFS_MAX_ATTRS 16384              /* attributes of one file */
#define NTFS_MAX_META 65536               /* system-file runs kept */
#define NTFS_MAX_DIR_ENTRIES (64u << 20)  /* names read from directories */
#define NTFS_MAX_STREAMS (1u << 20)       /* named streams in the volume */

/* A named data stream ("file:stream") is a file of its own in the index,
 * with this id: the bit, the stream's number, the record. */
#define NTFS_STREAM_BIT (1ull << 62)
#define NTFS_STREAM_REC_MASK ((1ull << 40) - 1)

extern const struct da_plugin da_plugin_ntfs;

/* A run of the volume with a role, from the system files (known at scan
 * time, answered while the file index is being built). */
struct ntfs_meta {
	uint64_t start, len;       /* bytes of the filesystem */
	uint64_t rec;              /* the file that owns it: an MFT record
				      number, or a stream's id */
	uint64_t file_off;         /* byte of that attribute at start */
	enum da_role role;
};

struct ntfs_priv {
	struct ntfs_device *ndev;
	ntfs_volume *vol;
	struct da_device *dev;
	uint32_t cs;               /* cluster size */
	uint32_t rec_size;         /* MFT record size */
	uint64_t nclusters;        /* the volume's, as its boot sector says */
	uint64_t fs_bytes;         /* nclusters * cs */
	/* the clusters the device holds, the last one perhaps only in part
	 * (an image cut short): nclusters when the volume fits */
	uint64_t dev_clusters;
	uint64_t dev_bytes;        /* dev_clusters * cs */
	uint64_t backup_boot;      /* byte of the backup boot sector, or 0 */
	uint32_t sector;
	uint64_t zone_start, zone_end;   /* the MFT zone, clusters */
	struct da_bitmap *used;    /* $Bitmap, clipped to nclusters (to
				      dev_clusters when the rest cannot be
				      read): read by the settle
				      (ntfs_settle), published with
				      settled */
	int settled;               /* 0: not yet, 1: used is read, -1: it
				      cannot be */
	/* system-file runs, sorted by start, with prefix sums of lengths */
	struct ntfs_meta *meta;
	size_t nmeta;
	uint64_t *meta_before;
	/* $MFT's own runs (sorted by start) map a byte to a record */
	struct ntfs_meta *mft;
	size_t nmft;
	/* after the index: the base record of every MFT record in use, or
	 * UINT32_MAX (published with ready) */
	uint32_t *base_of;
	uint64_t nrecords;
	int ready;
};

/* ntfs.c: what libntfs-3g last logged as an error in this thread, else
 * strerror(e) */
const char *last_ntfs_error(int e);
void clear_ntfs_error(void);

/* ntfs_index.c */
/* Every MFT record in use: its attributes' runs, names and streams into
 * the shared file index (may run in another thread). */
int ntfs_build_index(struct da_node *n, da_error *err);
/* The system files' runs (records 0..15) into p->meta; -1 when none can
 * be read. */
int ntfs_collect_meta(struct ntfs_priv *p, struct da_node *n);

#endif
