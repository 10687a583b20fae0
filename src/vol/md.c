/* md RAID members: the superblock of Linux software RAID.
 *
 * Where (md_p.h, mdadm super0.c/super1.c):
 *  - 0.90: 4 KiB at (size & ~64 KiB) - 64 KiB, 32-bit words in the byte
 *    order of the host that wrote it; the data starts at byte 0.
 *  - 1.0: at ((sectors - 16) & ~7) sectors, near the end; data from 0.
 *  - 1.1: at byte 0.  1.2: at 4 KiB.  Little endian; the superblock
 *    says where it is itself (super_offset) and where the data is.
 * Checksums: 0.90 sums the 1024 words, 1.x the 256 bytes and the roles
 * table, as 32-bit words folded from 64 bits.  Regions of a member:
 * superblock, write-intent bitmap, bad-block log, data (and parity,
 * once the array is known: md_array.c).  IMSM and DDF containers are
 * named by their anchors and not read further.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

#define SECTOR 512u
#define MAX_PARITY_REGIONS (1u << 16)
#define MAX_PARITY_REGIONS_ASSEMBLED 1024u
#define MAX_PARITY_STRIPES (1ull << 26)   /* looked at, one by one */

static const char imsm_sig[] = "Intel Raid ISM Cfg Sig. ";

/* ---- names ---- */

const char *md_level_name(int32_t level)
{
	switch (level) {
	case -4: return "multipath";
	case -1: return "linear";
	case 0: return "raid0";
	case 1: return "raid1";
	case 4: return "raid4";
	case 5: return "raid5";
	case 6: return "raid6";
	case 10: return "raid10";
	default: return "unknown";
	}
}

void md_layout_name(int32_t level, uint32_t layout, char *buf, size_t len)
{
	static const char *const r5[] = {
		"left-asymmetric", "right-asymmetric", "left-symmetric",
		"right-symmetric", "parity-first", "parity-last",
	};
	static const char *const r6[] = {
		"left-asymmetric-6", "right-asymmetric-6", "left-symmetric-6",
		"right-symmetric-6", "parity-first-6",
	};
	if ((level == 5 || level == 6) && layout < 6)
		snprintf(buf, len, "%s", r5[layout]);
	else if (level == 6 && layout >= 16 && layout <= 20)
		snprintf(buf, len, "%s", r6[layout - 16]);
	else if (level == 4)
		snprintf(buf, len, "parity-last");
	else if (level == 10) {
		/* mdadm: near=2, far=2, offset=2, or a mix */
		unsigned nc = layout & 0xff, fc = (layout >> 8) & 0xff;
		if (layout >> 16 & 1 && nc > 1)
			snprintf(buf, len, "near=%u, offset=%u", nc, fc);
		else if (layout >> 16 & 1)
			snprintf(buf, len, "offset=%u", fc);
		else if (fc > 1 && nc > 1)
			snprintf(buf, len, "near=%u, far=%u", nc, fc);
		else if (fc > 1)
			snprintf(buf, len, "far=%u", fc);
		else
			snprintf(buf, len, "near=%u", nc);
	} else if (level == 0 && layout == 1)
		snprintf(buf, len, "original");
	else if (level == 0 && layout == 2)
		snprintf(buf, len, "alternate");
	else
		snprintf(buf, len, "%u", layout);
}

void md_uuid_str(const struct md_sb *sb, char *buf)
{
	char *p = buf;
	for (int i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			*p++ = ':';
		p += sprintf(p, "%02x", sb->uuid[i]);
	}
	*p = '\0';
}

/* ---- superblocks ---- */

static uint32_t fold(uint64_t sum)
{
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

static uint64_t sb1_location(uint64_t size, int minor)
{
	if (minor == 1)
		return 0;
	if (minor == 2)
		return 4096;
	uint64_t sectors = size / SECTOR;
	if (sectors < 16 + 8)
		return UINT64_MAX;
	return ((sectors - 16) & ~(uint64_t)7) * SECTOR;
}

/* 1 when a 1.x superblock is at loc, 0 when not; sb filled. */
static int parse_sb1(const uint8_t *b, uint64_t loc, int minor,
		     uint64_t dev_size, struct md_sb *sb)
{
	if (le32(b) != MD_MAGIC || le32(b + 4) != 1 ||
	    le64(b + 144) != loc / SECTOR)
		return 0;
	memset(sb, 0, sizeof(*sb));
	sb->major = 1;
	sb->minor = minor;
	sb->super_offset = loc;
	sb->feature_map = le32(b + 8);
	memcpy(sb->uuid, b + 16, 16);
	memcpy(sb->name, b + 32, 32);
	sb->name[32] = '\0';
	sb->ctime = le64(b + 64) & 0xffffffffffull;
	sb->level = (int32_t)le32(b + 72);
	sb->layout = le32(b + 76);
	uint64_t size = le64(b + 80), chunk = le32(b + 88);
	sb->raid_disks = le32(b + 92);
	int32_t bitmap = (int32_t)le32(b + 96);
	sb->reshape = sb->feature_map & 4;
	uint64_t doff = le64(b + 128), dsize = le64(b + 136);
	sb->dev_number = le32(b + 160);
	sb->bblog_len = (uint64_t)le16(b + 186) * SECTOR;
	int32_t bblog = (int32_t)le32(b + 188);
	sb->events = le64(b + 200);
	sb->csum_stored = le32(b + 216);
	uint32_t max_dev = le32(b + 220);
	/* sizes from disk: kept below 2^54 sectors so bytes fit */
	if (size >> 54 || doff >> 54 || dsize >> 54)
		size = doff = dsize = 0;
	sb->size = size * SECTOR;
	sb->chunk = chunk * SECTOR;
	sb->data_offset = doff * SECTOR;
	sb->data_size = dsize * SECTOR;
	if ((sb->feature_map & 1) && !(sb->feature_map & 1024)) {
		int64_t at = (int64_t)loc + (int64_t)bitmap * SECTOR;
		sb->has_bitmap = at >= 0 && (uint64_t)at < dev_size;
		sb->bitmap_start = sb->has_bitmap ? (uint64_t)at : 0;
	}
	if (sb->bblog_len && bblog) {
		int64_t at = (int64_t)loc + (int64_t)bblog * SECTOR;
		sb->has_bblog = at >= 0 && (uint64_t)at < dev_size;
		sb->bblog_start = sb->has_bblog ? (uint64_t)at : 0;
	}
	/* the checksum covers the roles table: max_dev is bounded by the
	 * 4 KiB we read */
	uint32_t n = max_dev > MD_MAX_DEV ? MD_MAX_DEV : max_dev;
	uint64_t sum = 0;
	size_t bytes = 256 + (size_t)n * 2;
	for (size_t i = 0; i + 4 <= bytes; i += 4)
		sum += i == 216 ? 0 : le32(b + i);
	if (bytes % 4)
		sum += le16(b + bytes - 2);
	sb->csum_calc = fold(sum);
	if (max_dev > MD_MAX_DEV)
		sb->csum_calc = ~sb->csum_stored;      /* never right */
	sb->role_raw = sb->dev_number < n ? le16(b + 256 + 2 * sb->dev_number)
					  : 0xffff;
	sb->role = sb->role_raw == 0xffff ? MD_ROLE_SPARE :
		   sb->role_raw == 0xfffe ? MD_ROLE_FAULTY : (int)sb->role_raw;
	return 1;
}

static uint64_t sb0_location(uint64_t size)
{
	if (size < 2 * 65536)
		return UINT64_MAX;
	return (size & ~(uint64_t)65535) - 65536;
}

static int parse_sb0(const uint8_t *b, uint64_t loc, struct md_sb *sb)
{
	bool be;
	if (le32(b) == MD_MAGIC)
		be = false;
	else if (be32(b) == MD_MAGIC)
		be = true;
	else
		return 0;
#define W(i) (be ? be32(b + 4 * (i)) : le32(b + 4 * (i)))
	if (W(1) != 0 || W(2) != 90)
		return 0;
	memset(sb, 0, sizeof(*sb));
	sb->major = 0;
	sb->minor = 90;
	sb->big_endian = be;
	sb->super_offset = loc;
	static const int uw[4] = { 5, 13, 14, 15 };
	for (int i = 0; i < 4; i++) {
		uint32_t w = W(uw[i]);
		sb->uuid[4 * i] = (uint8_t)(w >> 24);
		sb->uuid[4 * i + 1] = (uint8_t)(w >> 16);
		sb->uuid[4 * i + 2] = (uint8_t)(w >> 8);
		sb->uuid[4 * i + 3] = (uint8_t)w;
	}
	sb->ctime = W(6);
	sb->level = (int32_t)W(7);
	sb->size = (uint64_t)W(8) * 1024;
	sb->raid_disks = W(10);
	sb->md_minor = W(11);
	uint32_t state = W(33);
	sb->csum_stored = W(38);
	/* events: lo then hi as the writing host stored its u64 halves */
	sb->events = be ? (uint64_t)W(39) << 32 | W(40)
			: (uint64_t)W(40) << 32 | W(39);
	sb->layout = W(64);
	sb->chunk = W(65);
	sb->dev_number = W(992);
	sb->role_raw = W(995);
	uint32_t dstate = W(996);
	uint64_t sum = 0;
	for (int i = 0; i < 1024; i++)
		sum += i == 38 ? 0 : W(i);
	sb->csum_calc = fold(sum);
#undef W
	sb->data_offset = 0;
	sb->data_size = loc;
	if (state & (1u << 8)) {       /* MD_SB_BITMAP_PRESENT */
		sb->has_bitmap = true;
		sb->bitmap_start = loc + 4096;
		sb->feature_map |= 1;
	}
	if (dstate & 1)                /* MD_DISK_FAULTY */
		sb->role = MD_ROLE_FAULTY;
	else if ((dstate & 4) && sb->role_raw < sb->raid_disks)  /* SYNC */
		sb->role = (int)sb->role_raw;
	else
		sb->role = MD_ROLE_SPARE;
	return 1;
}

/* Look for a superblock of any version: 1 found (sb filled), 0 none,
 * -1 read error.  Newest formats first. */
static int find_sb(struct da_device *dev, struct md_sb *sb, uint8_t *buf,
		   da_error *err)
{
	static const int minors[] = { 2, 1, 0 };
	for (int i = 0; i < 3; i++) {
		uint64_t loc = sb1_location(dev->size, minors[i]);
		if (loc == UINT64_MAX || !range_ok(loc, SECTOR, dev->size))
			continue;
		size_t len = dev->size - loc < MD_SB_AREA
			     ? (size_t)(dev->size - loc) : MD_SB_AREA;
		memset(buf, 0, MD_SB_AREA);
		if (da_device_read(dev, buf, len, loc, err) < 0)
			return -1;
		if (parse_sb1(buf, loc, minors[i], dev->size, sb))
			return 1;
	}
	uint64_t loc = sb0_location(dev->size);
	if (loc != UINT64_MAX) {
		if (da_device_read(dev, buf, MD_SB_AREA, loc, err) < 0)
			return -1;
		if (parse_sb0(buf, loc, sb))
			return 1;
	}
	return 0;
}

/* IMSM keeps its anchor in the second last sector, DDF in the last. */
static const char *find_container(struct da_device *dev)
{
	uint8_t b[SECTOR];
	if (dev->size < 4 * SECTOR)
		return NULL;
	if (da_device_read(dev, b, SECTOR, dev->size - 2 * SECTOR, NULL) == 0 &&
	    memcmp(b, imsm_sig, sizeof(imsm_sig) - 1) == 0)
		return "imsm";
	if (da_device_read(dev, b, SECTOR, dev->size - SECTOR, NULL) == 0 &&
	    be32(b) == 0xde11de11u)
		return "ddf";
	return NULL;
}

static enum da_probe md_probe(struct da_device *dev, da_error *err)
{
	uint8_t buf[MD_SB_AREA];
	struct md_sb sb;
	int r = find_sb(dev, &sb, buf, err);
	if (r < 0)
		return DA_PROBE_ERROR;
	if (r > 0 || find_container(dev))
		return DA_PROBE_FOUND;
	return DA_PROBE_NOT_MINE;
}

/* ---- regions ---- */

struct item {
	uint64_t start, len;
	const char *role;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The superblock's own areas, clipped to the device, first come first
 * served where they overlap (a hostile superblock), gaps "reserved". */
static void set_regions(struct da_node *n, struct item *it, size_t ni)
{
	uint64_t size = n->dev->size;
	free(n->regions);
	n->regions = NULL;
	n->nregions = 0;
	for (size_t i = 0; i < ni; i++) {
		if (it[i].start >= size)
			it[i].len = 0;
		else if (it[i].len > size - it[i].start)
			it[i].len = size - it[i].start;
	}
	da_sort(it, ni, sizeof(*it), cmp_item);
	uint64_t at = 0;
	for (size_t i = 0; i < ni; i++) {
		uint64_t s = it[i].start, e = s + it[i].len;
		if (!it[i].len || e <= at)
			continue;
		if (s < at)
			s = at;
		if (s > at)
			da_node_add_region(n, at, s - at, "reserved", -1);
		da_node_add_region(n, s, e - s, it[i].role, -1);
		at = e;
	}
	if (at < size)
		da_node_add_region(n, at, size - at, "reserved", -1);
}

/* Bytes of the write-intent bitmap at start: its 256-byte header and a
 * bit per bitmap chunk of the synced range. */
static uint64_t bitmap_len(struct da_device *dev, uint64_t start)
{
	uint8_t b[256];
	if (da_device_read(dev, b, sizeof(b), start, NULL) < 0 ||
	    memcmp(b, "bitm", 4) != 0)
		return 4096;
	uint64_t reserved = (uint64_t)le32(b + 64) * SECTOR;
	uint64_t sync = le64(b + 40), chunk = le32(b + 52);
	if (reserved)
		return reserved;
	if (!chunk || sync >> 54)
		return 4096;
	uint64_t bits = (sync * SECTOR + chunk - 1) / chunk;
	uint64_t bytes = 256 + (bits + 7) / 8;
	return (bytes + 4095) / 4096 * 4096;
}

/* What every member has: superblock, bitmap, bad-block log, data. */
static size_t base_items(struct da_node *n, struct item *it)
{
	struct md_member *mm = n->priv;
	const struct md_sb *sb = &mm->sb;
	size_t k = 0;
	it[k++] = (struct item){ sb->super_offset, MD_SB_AREA, "superblock" };
	if (sb->has_bitmap)
		it[k++] = (struct item){ sb->bitmap_start,
					 bitmap_len(n->dev, sb->bitmap_start),
					 "bitmap" };
	if (sb->has_bblog)
		it[k++] = (struct item){ sb->bblog_start, sb->bblog_len,
					 "bad_block_log" };
	return k;
}

void md_member_regions(struct da_node *n, int32_t level, uint32_t layout,
		       uint32_t raid_disks, uint64_t chunk, uint64_t used,
		       bool assembled)
{
	struct md_member *mm = n->priv;
	const struct md_sb *sb = &mm->sb;
	bool parity = (level == 4 || level == 5 || level == 6) &&
		      mm->sb.role >= 0 && chunk && used >= chunk;
	uint64_t stripes = parity ? used / chunk : 0;
	if (stripes > MAX_PARITY_STRIPES)
		stripes = MAX_PARITY_STRIPES;
	/* one region a run of data or parity chunks, while that stays
	 * small; past it the rest is one data region, and a warning */
	size_t most = assembled ? MAX_PARITY_REGIONS_ASSEMBLED
				: MAX_PARITY_REGIONS;
	size_t cap = 4 + (stripes < most ? stripes : most);
	struct item *it = malloc(cap * sizeof(*it));
	if (!it)
		return;
	size_t k = base_items(n, it);
	if (!parity) {
		/* a spare's data area is held in reserve: no array byte
		 * maps there until md rebuilds onto it; a faulty member's
		 * was failed out of the array, which maps nothing there
		 * either (its bytes are stale) */
		it[k++] = (struct item){ sb->data_offset, used ? used
					 : sb->data_size,
					 sb->role == MD_ROLE_SPARE ? "spare"
					 : sb->role == MD_ROLE_FAULTY ? "faulty"
					 : "data" };
	} else {
		uint64_t s = 0;
		while (s < stripes && k < cap - 1) {
			int r = da_raid_chunk_role(level, layout, raid_disks,
						   (size_t)sb->role, s);
			uint64_t e = s + 1;
			while (e < stripes && (da_raid_chunk_role(level, layout,
					raid_disks, (size_t)sb->role, e) == 'D')
				== (r == 'D'))
				e++;
			it[k++] = (struct item){ sb->data_offset + s * chunk,
						 (e - s) * chunk,
						 r == 'D' ? "data" : "parity" };
			s = e;
		}
		if (s < used / chunk) {
			it[k++] = (struct item){ sb->data_offset + s * chunk,
						 used - s * chunk, "data" };
			if (!assembled)
				da_warn(n, "parity chunks past %llu bytes of "
					"the data area are not told apart from "
					"data", (unsigned long long)(s * chunk));
		}
	}
	set_regions(n, it, k);
	free(it);
}

/* ---- scan ---- */

static const char *version_str(const struct md_sb *sb)
{
	if (sb->major == 0)
		return "0.90";
	return sb->minor == 0 ? "1.0" : sb->minor == 1 ? "1.1" : "1.2";
}

/* Is the geometry one an array can be built from?  NULL or why not. */
static const char *sb_problem(const struct md_sb *sb, uint64_t dev_size)
{
	if (sb->csum_stored != sb->csum_calc)
		return "superblock checksum is wrong";
	if (sb->reshape)
		return "a reshape is in progress (not followed)";
	switch (sb->level) {
	case -4: case -1: case 0: case 1: case 4: case 5: case 6: case 10:
		break;
	default:
		return "unknown RAID level";
	}
	if (sb->raid_disks == 0 || sb->raid_disks > MD_MAX_DISKS)
		return "raid_disks out of range";
	bool striped = sb->level == 0 || sb->level >= 4;
	if (striped && (sb->chunk < 4096 || sb->chunk > (1u << 30) ||
			(sb->chunk & (sb->chunk - 1))))
		return "chunk size is not a power of 2 from 4 KiB to 1 GiB";
	if (!range_ok(sb->data_offset, sb->data_size, dev_size))
		return "data area runs past the end of the device";
	if (sb->major == 1 && sb->super_offset >= sb->data_offset &&
	    sb->super_offset < sb->data_offset + sb->data_size)
		return "superblock lies inside the data area";
	if (sb->level >= 1 && sb->size > sb->data_size)
		return "component size is larger than the data area";
	if (sb->role >= 0 && (uint32_t)sb->role >= sb->raid_disks)
		return "device role out of range";
	return NULL;
}

static void member_props(struct da_node *n)
{
	struct md_member *mm = n->priv;
	const struct md_sb *sb = &mm->sb;
	struct da_value *p = n->props;
	char buf[64];
	da_obj_set_str(p, "metadata_version", version_str(sb));
	md_uuid_str(sb, buf);
	da_obj_set_str(p, "uuid", buf);
	if (sb->name[0])
		da_obj_set_str(p, "name", sb->name);
	da_obj_set_str(p, "level", md_level_name(sb->level));
	if (sb->level == 0 || sb->level >= 4) {
		md_layout_name(sb->level, sb->layout, buf, sizeof(buf));
		da_obj_set_str(p, "layout", buf);
		da_obj_set_int(p, "chunk_size", (int64_t)sb->chunk);
	}
	da_obj_set_int(p, "raid_disks", sb->raid_disks);
	if (sb->role >= 0)
		da_obj_set_int(p, "role", sb->role);
	else
		da_obj_set_str(p, "role", sb->role == MD_ROLE_SPARE ? "spare"
							     : "faulty");
	da_obj_set_int(p, "device_number", sb->dev_number);
	da_obj_set_int(p, "events", (int64_t)sb->events);
	da_obj_set_int(p, "super_offset", (int64_t)sb->super_offset);
	da_obj_set_int(p, "data_offset", (int64_t)sb->data_offset);
	da_obj_set_int(p, "data_size", (int64_t)sb->data_size);
	if (sb->level >= 1)
		da_obj_set_int(p, "component_size", (int64_t)sb->size);
	if (sb->has_bitmap)
		da_obj_set_int(p, "bitmap_offset", (int64_t)sb->bitmap_start);
	if (sb->has_bblog)
		da_obj_set_int(p, "bad_block_log_offset",
			       (int64_t)sb->bblog_start);
	if (sb->major == 0) {
		da_obj_set_str(p, "byte_order", sb->big_endian ? "big"
							       : "little");
		da_obj_set_int(p, "md_minor", sb->md_minor);
	}
	snprintf(buf, sizeof(buf), "%08x %s", sb->csum_stored,
		 sb->csum_stored == sb->csum_calc ? "correct" : "wrong");
	da_obj_set_str(p, "checksum", buf);
}

static struct da_node *md_scan(struct da_device *dev, da_error *err)
{
	uint8_t buf[MD_SB_AREA];
	struct md_member *mm = da_xcalloc(1, sizeof(*mm));
	int r = find_sb(dev, &mm->sb, buf, err);
	if (r < 0) {
		free(mm);
		return NULL;
	}
	struct da_node *n = da_node_new(DA_NODE_MD_MEMBER, &da_plugin_md, dev);
	n->priv = mm;
	if (r == 0) {
		mm->container = find_container(dev);
		mm->assembled = true;
		da_obj_set_str(n->props, "metadata", mm->container ?
			       mm->container : "?");
		da_node_set_reason(n, "%s container metadata (not supported)",
				   mm->container && !strcmp(mm->container, "imsm")
				   ? "Intel Matrix Storage (IMSM)" : "SNIA DDF");
		return n;
	}
	member_props(n);
	const char *why = sb_problem(&mm->sb, dev->size);
	mm->usable = !why;
	if (why)
		da_warn(n, "md %s superblock: %s", version_str(&mm->sb), why);
	/* the data area until assembly says what of it the array uses */
	md_member_regions(n, 1, 0, 0, 0, why ? 0 : mm->sb.data_size, false);
	return n;
}

static void md_free(struct da_node *n)
{
	free(n->priv);
	n->priv = NULL;
}

const struct da_plugin da_plugin_md = {
	.name = "md",
	.layer = DA_LAYER_VOL,
	.probe_first = true,
	.probe = md_probe,
	.scan = md_scan,
	.assemble = md_assemble,
	.free = md_free,
};
