/* Private to the md RAID plugin: what md.c (member superblocks, regions)
 * and md_array.c (arrays assembled over the members of the whole
 * machine) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_MD_H
#define DA_MD_H

#include "util.h"

#define MD_MAGIC 0xa92b4efcu
#define MD_MAX_DISKS 1024u       /* raid_disks we accept (md allows 384
				    roles in a 1K superblock) */
#define MD_MAX_DEV 1920u         /* dev_roles entries: 4 KiB superblock */
#define MD_SB_AREA 4096u         /* bytes read at a superblock */

/* A member's role in its array. */
enum { MD_ROLE_SPARE = -1, MD_ROLE_FAULTY = -2 };

/* One member superblock, 0.90 or 1.x, in host form; every offset and
 * size is in bytes on the member device. */
struct md_sb {
	int major, minor;          /* 0.90, 1.0, 1.1, 1.2 */
	bool big_endian;           /* 0.90 written by a big-endian host */
	uint8_t uuid[16];          /* 0.90: the four words, big-endian */
	char name[33];             /* 1.x set_name ("host:name") */
	int32_t level;             /* -1 linear, 0, 1, 4, 5, 6, 10, -4 */
	uint32_t layout;
	uint64_t size;             /* component size the array uses */
	uint64_t chunk;
	uint32_t raid_disks;
	uint64_t events;
	uint64_t ctime;
	uint32_t feature_map;      /* 1.x; 0.90: bit 0 from state */
	uint64_t super_offset;
	uint64_t data_offset, data_size;
	bool has_bitmap;
	uint64_t bitmap_start;     /* absolute */
	bool has_bblog;
	uint64_t bblog_start, bblog_len;
	uint32_t dev_number;
	int role;                  /* >= 0, MD_ROLE_SPARE, MD_ROLE_FAULTY */
	uint32_t role_raw;         /* as stored (0xffff spare...) */
	uint32_t md_minor;         /* 0.90: the /dev/mdN it was */
	uint32_t csum_stored, csum_calc;
	bool reshape;              /* a reshape is in progress */
};

struct md_member {
	struct md_sb sb;
	const char *container;     /* "imsm", "ddf": only named */
	bool usable;               /* checksum right, geometry sane */
	bool assembled;            /* taken by an array (or refused) */
	char array[64];            /* the volume it is part of */
};

/* "raid5", "linear"...; the layout as mdadm --examine names it. */
const char *md_level_name(int32_t level);
void md_layout_name(int32_t level, uint32_t layout, char *buf, size_t len);
/* mdadm's form of the array UUID: four groups of 8 hex digits by ':'. */
void md_uuid_str(const struct md_sb *sb, char *buf);
/* Rebuild a member's regions once its array is known (parity chunks of
 * RAID4/5/6 become "parity").  assembled: the array was built, and the
 * ownership index tells its parity from data everywhere (the array's
 * unmap), so only the first runs are itemised here. */
void md_member_regions(struct da_node *n, int32_t level, uint32_t layout,
		       uint32_t raid_disks, uint64_t chunk, uint64_t used,
		       bool assembled);

extern const struct da_plugin da_plugin_md;
int md_assemble(struct da_machine *m, da_error *err);

#endif
