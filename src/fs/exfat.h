/* Private to the exFAT plugin: what exfat.c (boot region, FAT, bitmap,
 * up-case table, scan, lookups) and exfat_index.c (directory entry sets,
 * the walk into the shared file index) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_EXFAT_H
#define DA_EXFAT_H

#include "util.h"

#define EXFAT_MAX_DIR_BYTES (256u << 20)   /* the spec's directory limit */
#define EXFAT_MAX_DEPTH 128

extern const struct da_plugin da_plugin_exfat;

struct exfat_geom {
	uint32_t bps, spc, cs;     /* bytes/sector, sectors/cluster, bytes/cluster */
	uint32_t bps_bits, spc_bits;
	uint64_t vol_sectors;      /* VolumeLength */
	uint32_t fat_sector, fat_sectors, heap_sector;
	uint32_t bpb_clusters;     /* ClusterCount */
	uint32_t clusters;         /* the clusters the device holds, the
				      last one perhaps only in part (an
				      image cut short), of bpb_clusters */
	uint32_t root_cluster;
	uint32_t nfats, active;    /* FAT copies; the one in use */
	uint16_t flags;            /* VolumeFlags */
	uint64_t fat_off, fat_len; /* the active FAT, bytes */
	uint64_t fats_end;         /* end of the last FAT, bytes */
	uint64_t heap_off, heap_end;   /* cluster 2 .. clusters+1 */
	uint64_t fs_end;           /* min(volume, device) */
};

/* A file the scan knows: the allocation bitmap, the up-case table. */
struct exfat_meta {
	uint32_t first, nclusters; /* contiguous, as the Linux driver reads them */
	uint64_t size;
	uint64_t entry_off;        /* its directory entry, bytes */
	bool found;
};

struct exfat_priv {
	struct exfat_geom g;
	struct exfat_meta bitmap, upcase;
	/* what the allocation bitmap gives (exfat_settle), published with
	 * settled: 0 not yet, 1 read, -1 no memory (settle_err) */
	int settled;
	da_error settle_err;
	struct da_bitmap *used;    /* bit k = cluster k + 2, from the bitmap */
	uint64_t free_clusters;
	/* an image cut before the root directory's first cluster: the
	 * bitmap's and up-case table's entries cannot be read (the scan) */
	bool root_cut;
	/* the cut leaves the allocation bitmap (or the entry saying where it
	 * is) out: which clusters are in use is not known, used and free are
	 * not given, and clusters no file holds are "unknown"; used is then
	 * all set (published with settled) */
	bool unknown;
};

/* exfat.c: the allocation bitmap read (exfat_index.c settles first, so
 * that an index built without the machine's settle has it too) */
int exfat_settle(struct da_node *n, da_error *err);

/* exfat.c */
static inline uint64_t exfat_cluster_off(const struct exfat_geom *g,
					 uint32_t c)
{
	return g->heap_off + (uint64_t)(c - 2) * g->cs;
}
static inline bool exfat_cluster_ok(const struct exfat_geom *g, uint32_t c)
{
	return c >= 2 && c <= g->clusters + 1;
}
/* UTF-16 to UTF-8 (a '/' becomes '_': a name must not forge a path);
 * returns the length written, NUL-terminated. */
size_t exfat_utf8(const uint16_t *u, size_t n, char *out, size_t cap);

/* exfat_index.c */
int exfat_build_index(struct da_node *n, da_error *err);
/* The file id of the directory entry at byte off (The Sleuth Kit's
 * inode number: 3 + entries from the start of the cluster heap). */
static inline uint64_t exfat_entry_id(const struct exfat_geom *g,
				      uint64_t off)
{
	return 3 + (off - g->heap_off) / 32;
}
#define EXFAT_ROOT_ID 2

#endif
