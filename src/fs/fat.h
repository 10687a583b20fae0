/* Private to the FAT plugin: what fat.c (boot sector, FAT, scan, lookups)
 * and fat_index.c (directory entries, long names, the cluster -> file
 * index) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FAT_H
#define DA_FAT_H

#include "util.h"
#include "fat_table.h"

#define FAT_MAX_DIR_BYTES (65536u * 32u)   /* a directory holds <= 65536 entries */
#define FAT_MAX_DEPTH 128
#define FAT_MAX_FILES (16u << 20)
#define FAT_MAX_BAD 4096                    /* bad runs kept for roles */

extern const struct da_plugin da_plugin_fat;

struct fat_geom {
	int type;                  /* 12, 16, 32 */
	uint32_t bps, spc, cs;     /* bytes/sector, sectors/cluster, bytes/cluster */
	uint32_t reserved, nfats, root_entries;
	uint64_t total_sectors, fat_sectors;
	uint32_t root_cluster, fsinfo, backup;
	uint32_t active;           /* FAT copy the driver uses */
	uint64_t fat_off;          /* first FAT, bytes */
	uint64_t fats_end;         /* end of the last FAT, bytes */
	uint64_t root_off, root_len;   /* FAT12/16 root region, bytes */
	uint64_t data_off, data_end;   /* cluster 2 .. clusters+1 */
	uint64_t fs_end;           /* min(filesystem size, device size) */
	uint32_t clusters;         /* the clusters the device holds, the
				      last one perhaps only in part (an
				      image cut short), of fs_clusters */
	uint32_t fs_clusters;      /* the filesystem's: the BPB's, as far
				      as the FAT describes them */
	uint32_t bpb_clusters;     /* what the BPB describes */
	uint32_t bad, eoc;         /* bad-cluster mark, first end-of-chain */
	uint8_t media;
};

/* The walk of the directory tree (fat_index.c) keeps its own files and
 * runs while it reads directories, then hands them to the shared file
 * index (src/fileindex.h) and frees them. */

/* One run of consecutive clusters of a file, in chain order. */
struct fat_run {
	uint32_t start, len;       /* cluster numbers */
	uint32_t file;             /* index into files */
};

struct fat_file {
	char *name;
	uint32_t parent;           /* index into files; the root is 0 */
	uint32_t depth;
	uint32_t first_cluster;
	uint32_t run_first, nruns;
	uint64_t size;
	int64_t inode;
	bool dir;
	bool cross;                /* its first cluster had another owner */
};

struct fat_index {
	struct fat_file *files;
	size_t nfiles, cap;
	struct fat_run *runs;
	size_t nruns, rcap;
	uint64_t conflicts;        /* clusters claimed twice */
	uint8_t *visited, *owned;  /* bit arrays over clusters (build only) */
	struct fat_table *fat;     /* (build only) */
	uint64_t budget;           /* chain steps left (build only) */
	char warning[256];
};

struct fat_priv {
	struct fat_geom g;
	bool compare;              /* the copies of the FAT should agree */
	/* what the pass over the FAT finds (fat_settle), published with
	 * settled: 0 not yet, 1 read, -1 it cannot be (settle_err) */
	int settled;
	da_error settle_err;
	struct da_bitmap *used;    /* bit k = cluster k + 2 */
	uint32_t bad_runs[FAT_MAX_BAD][2];
	size_t nbad_runs;
	uint64_t free_clusters, bad_clusters;
};

/* fat.c */
/* Entry c of the FAT t (read by fat_table_open_active), its meaningful
 * bits; -1 when it cannot be read. */
int fat_entry(struct fat_table *t, const struct fat_geom *g, uint32_t c,
	      uint32_t *v);
/* The active FAT as a table read on demand; NULL without memory. */
struct fat_table *fat_table_open_active(struct da_device *dev,
					const struct fat_geom *g);

/* fat_index.c */
int fat_build_index(struct da_node *n, da_error *err);
void fat_index_free(struct fat_index *x);
void fat_root_label(struct da_device *dev, const struct fat_geom *g,
		    char *label, size_t len);

#endif
