/* The ownership index's own structures: ownership.c builds it,
 * ownership_lookup.c answers from it.  Not for anything else: the rest of
 * the engine uses diskatlas.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_OWNERSHIP_PRIV_H
#define DA_OWNERSHIP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diskatlas.h"

/* Raw claims are bounded: a striped LV makes one per chunk, and a hostile
 * table must not make us exhaust memory. */
#define MAX_RAW_CLAIMS (1u << 24)
#define MAX_TARGETS 8

/* What every disk run of one owner shares (one a claim() call): a raw
 * claim names it by number, so that a striped LV's million chunks cost
 * 32 bytes each during the build, not 80. */
struct claim_tpl {
	const char *kind, *name, *role;
	struct da_node *node;
	struct da_device *space;
	int depth;
	int rid;                   /* region id once the sweep has seen it */
	int through;               /* da_claim.through, member */
	uint32_t member;
	int parity_rid;            /* da_claim.parity_region, once known */
};

struct raw_claim {
	uint64_t start, len;       /* on the disk */
	uint64_t owner_start;      /* offset in the owner's space at start */
	uint32_t tpl;              /* into da_ownership.tpls */
	uint32_t seq : 31;         /* creation order: stable sort key */
	uint32_t copy : 1;         /* reached through a mirror's second or
				      later copy: its bytes are counted in
				      the regions' disk bytes, not in their
				      own bytes */
};

/* A disk's index, or a striped space's. */
struct disk_index {
	struct da_device *dev;
	/* a striped space: how many disk bytes hold each of its bytes, for
	 * the regions' byte counts (RAID10 keeps copies, a missing member's
	 * chunks are on no disk).  The layout repeats every period bytes;
	 * with members missing, present[k] is how many copies of the first
	 * k chunks of a period are on a disk (NULL: estimated). */
	size_t members, missing, copies;
	uint64_t chunk, period;
	uint64_t *present;
	uint64_t *mapped;          /* the same, counting a chunk once when
				      any copy of it is on a disk */
	bool parity;               /* its members hold parity chunks */
	struct da_segment *segs;
	size_t nsegs;
	struct da_claim *claims;
	size_t nclaims;
	struct raw_claim *raw;     /* during the build */
	size_t nraw, capraw;
};

/* A number for each device, hashed by the device's address (open
 * addressing): the content depth of a device, the index of a space. */
struct dev_slot {
	struct da_device *dev;     /* NULL: an empty slot of the table */
	int v;
};
struct dev_map {
	struct dev_slot *t;
	size_t n, cap;
};

struct da_ownership {
	struct da_machine *m;
	struct disk_index *disks;  /* the machine's disks, then spaces */
	size_t ndisks, nindex, capindex;
	struct dev_map spaces;     /* index number of each striped space */
	struct da_region_info *regions;
	size_t nregions, capregions;
	int *rhash;                /* region ids by (node, kind, name, role):
				      open addressing, -1 empty */
	size_t caprhash;
	char **strings;            /* names we own */
	size_t nstrings, capstrings;
	struct dev_map depths;     /* content depth of each device: volume_depth
				      asks it for every volume (65,536 LVs) */
	struct claim_tpl *tpls;
	size_t ntpls, captpls;
	size_t total_raw;
	uint32_t seq;
	bool overflow;
	bool nomem;                /* an allocation failed: the build fails */
	bool fans_out;             /* some space maps onto several copies */
	bool flat;                 /* no striped spaces: every chunk walked */
};

/* The machine disk number of dev, or -1. */
int ownership_disk_of(const struct da_ownership *o,
		      const struct da_device *dev);
/* The index number of striped space dev, or -1 when it has none. */
int ownership_space_find(const struct da_ownership *o,
			 const struct da_device *dev);

#endif
