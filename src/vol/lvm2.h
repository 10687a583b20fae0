/* Private to the LVM2 plugin: what lvm2.c (physical volumes: label,
 * metadata areas, regions, usage) and lvm2_vg.c (volume groups: assembly
 * of the LVs over the PVs of the whole machine) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_LVM2_H
#define DA_LVM2_H

#include "util.h"
#include "lvm2_meta.h"

#define SECTOR 512u
#define LABEL_SECTORS 4u
#define LABEL_AREA (LABEL_SECTORS * SECTOR)
#define MDA_HEADER 512u
#define MAX_AREAS 8           /* data or metadata areas in a PV header */
#define MAX_RAW_LOCNS 4
#define LVM_CRC_INIT 0xf597a6cfu
#define ID_LEN 32
#define MAX_PVS 4096u         /* PVs of one VG */
#define MAX_LVS 65536u        /* LVs of one VG */
#define MAX_SEGS 65536u       /* segments of one LV */
#define MAX_STRIPES 128u      /* as LVM itself allows */
#define MAX_LV_DEPTH 6        /* sub-LVs of sub-LVs... */
#define MAX_NODES 65536u      /* PV nodes in a machine */


struct mda {
	uint64_t start, size;
	int64_t seqno;             /* of its text, -1 if none parsed */
	const char *problem;       /* static: why it was not used */
};

struct run {
	uint64_t start, len;       /* in extents */
	const char *role;          /* "allocated", "raid_metadata", ... */
};

struct pv_priv {
	char uuid[ID_LEN + 1];     /* as stored: no dashes */
	uint64_t dev_size;         /* from the PV header */
	uint64_t pe_start;         /* bytes, first data area */
	struct mda mdas[MAX_AREAS];
	size_t nmdas;
	struct lvm_meta meta;      /* the newest text among our areas */
	bool has_meta;
	int64_t seqno;
	const char *vg_uuid, *vg_name;   /* into meta */
	/* the PE area as the VG's chosen metadata describes it */
	uint64_t pe_size, pe_count;
	bool assembled;
	struct run *runs;          /* allocated extents */
	size_t nruns, capruns;
	struct da_bitmap *bm;      /* per extent: allocated */
};

/* "abcdef-ghij-..." from the 32 stored characters (out: ID_LEN + 7). */
void lvm2_dashed_uuid(const char *u, char *out);
/* The 32 characters of a dashed UUID, or false if it is not one. */
bool lvm2_undash_uuid(const char *s, char *out);
/* The VG section of a metadata text; the PV section of uuid in it. */
const struct lvm_item *lvm2_vg_section(const struct lvm_meta *meta);
const struct lvm_item *lvm2_find_pv_section(const struct lvm_meta *meta,
					    const struct lvm_item *vg,
					    const char *uuid);
/* The extents of PV node n as the VG describes them (pe_count clipped
 * to the device); false with *why when unusable. */
bool lvm2_pv_geometry(struct da_node *n, const struct lvm_meta *meta,
		      const struct lvm_item *vg, const struct lvm_item *pvs,
		      uint64_t *pe_start, uint64_t *pe_size,
		      uint64_t *pe_count, const char **why);
/* Sort and merge a PV's runs of used extents, build its bitmap, its
 * regions and its counts (after assembly). */
void lvm2_pv_finish(struct da_node *n);
extern const struct da_plugin da_plugin_lvm2;
/* The plugin's assemble (lvm2_vg.c). */
int lvm2_assemble(struct da_machine *m, da_error *err);

#endif
