/* GPT partition tables: the primary header at LBA 1 and its entries, the
 * backup header at the last LBA, both with their CRC-32s.  The backup is
 * used when the primary is damaged, and the fact is reported.  LBAs are
 * the disk's logical sectors: 512 bytes, or 4096 on a 4K-native disk
 * (whose headers are found at byte 4096 and in the last 4 KiB).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "part.h"
#include "../signature.h"

extern const struct da_plugin da_plugin_gpt;

#define MAX_ENTRIES 4096u
#define MAX_ENTRIES_BYTES (1u << 20)
#define MAX_SECTOR 4096u
static const uint32_t sector_sizes[] = { 512, 4096 };

struct header {
	uint64_t my_lba, alt_lba, first_lba, last_lba, entries_lba;
	uint32_t nentries, entry_size, entries_crc;
	uint8_t disk_guid[16];
};

/* Read and check the header at lba: signature, size, CRC, and that it
 * says it is where it is.  On failure, why says what is wrong. */
static bool read_header(struct da_device *dev, uint32_t ss, uint64_t lba,
			struct header *h, const char **why)
{
	uint8_t s[MAX_SECTOR];
	uint64_t off;
	*why = "unreadable";
	if (!mul_ok(lba, ss, &off) || !range_ok(off, ss, dev->size) ||
	    da_device_read(dev, s, ss, off, NULL) < 0)
		return false;
	*why = "no signature";
	if (memcmp(s, "EFI PART", 8))
		return false;
	uint32_t hsize = le32(s + 12);
	*why = "bad header size";
	if (hsize < 92 || hsize > ss)
		return false;
	uint32_t crc = le32(s + 16);
	memset(s + 16, 0, 4);
	*why = "bad CRC";
	if (da_crc32(0, s, hsize) != crc)
		return false;
	h->my_lba = le64(s + 24);
	h->alt_lba = le64(s + 32);
	h->first_lba = le64(s + 40);
	h->last_lba = le64(s + 48);
	memcpy(h->disk_guid, s + 56, 16);
	h->entries_lba = le64(s + 72);
	h->nentries = le32(s + 80);
	h->entry_size = le32(s + 84);
	h->entries_crc = le32(s + 88);
	*why = "wrong location";
	if (h->my_lba != lba)
		return false;
	*why = "bad entry array";
	if (h->entry_size < 128 || h->entry_size > 4096 || h->entry_size % 8 ||
	    h->nentries > MAX_ENTRIES ||
	    (uint64_t)h->nentries * h->entry_size > MAX_ENTRIES_BYTES)
		return false;
	return true;
}

/* Read and check the entry array of h; returns it (malloc'd) or NULL. */
static uint8_t *read_entries(struct da_device *dev, uint32_t ss,
			     const struct header *h, const char **why)
{
	size_t len = (size_t)h->nentries * h->entry_size;
	uint64_t off;
	*why = "entry array outside the disk";
	if (!mul_ok(h->entries_lba, ss, &off) ||
	    !range_ok(off, len, dev->size))
		return NULL;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return NULL;
	*why = "entry array unreadable";
	if (len && da_device_read(dev, buf, len, off, NULL) < 0) {
		free(buf);
		return NULL;
	}
	*why = "entry array CRC mismatch";
	if (da_crc32(0, buf, len) != h->entries_crc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The sector size whose primary or backup header is valid, 512 first;
 * 0 when neither is. */
static uint32_t find_sector_size(struct da_device *dev)
{
	for (size_t i = 0; i < sizeof(sector_sizes) / sizeof(*sector_sizes);
	     i++) {
		uint32_t ss = sector_sizes[i];
		struct header h;
		const char *why;
		uint64_t sectors = dev->size / ss;
		if (sectors < 3)
			continue;
		if (read_header(dev, ss, 1, &h, &why) ||
		    read_header(dev, ss, sectors - 1, &h, &why))
			return ss;
	}
	return 0;
}

static enum da_probe gpt_probe(struct da_device *dev, da_error *err)
{
	(void)err;             /* an unreadable header is "not mine" */
	return find_sector_size(dev) ? DA_PROBE_FOUND : DA_PROBE_NOT_MINE;
}

/* UTF-16LE name (up to n units) to UTF-8 */
static void utf16_name(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = le16(p + 2 * i);
		if (c == 0)
			break;
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
			uint32_t lo = le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		char u[4];
		size_t k;
		if (c < 0x80) {
			u[0] = (char)c; k = 1;
		} else if (c < 0x800) {
			u[0] = (char)(0xc0 | c >> 6);
			u[1] = (char)(0x80 | (c & 0x3f)); k = 2;
		} else if (c < 0x10000) {
			u[0] = (char)(0xe0 | c >> 12);
			u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			u[2] = (char)(0x80 | (c & 0x3f)); k = 3;
		} else {
			u[0] = (char)(0xf0 | c >> 18);
			u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
			u[3] = (char)(0x80 | (c & 0x3f)); k = 4;
		}
		if (o + k >= outlen)
			break;
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = '\0';
}

/* The attributes as sgdisk -i prints them (16 hex digits), and the bits
 * with a meaning named: the UEFI ones for every type, and Windows' for
 * its basic data and recovery partitions (which Windows gives the basic
 * data attributes: a recovery partition is 8000000000000001). */
#define BASIC_DATA_TYPE "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define RECOVERY_TYPE "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"
#define MSR_TYPE "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"

static void set_attributes(struct da_value *p, uint64_t attrs,
			   const char *type)
{
	static const struct { int bit; const char *name; bool windows; } bits[] = {
		{ 0, "required", false },
		{ 1, "no_block_io", false },
		{ 2, "legacy_bios_bootable", false },
		{ 60, "read_only", true },
		{ 61, "shadow_copy", true },
		{ 62, "hidden", true },
		{ 63, "no_automount", true },
	};
	if (!attrs)
		return;
	char hex[24], names[160] = "";
	snprintf(hex, sizeof(hex), "%016llX", (unsigned long long)attrs);
	da_obj_set_str(p, "attributes", hex);
	bool windows = !strcasecmp(type, BASIC_DATA_TYPE) ||
		       !strcasecmp(type, RECOVERY_TYPE);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(attrs >> bits[i].bit & 1) || (bits[i].windows && !windows))
			continue;
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", l ? "," : "",
			 bits[i].name);
	}
	if (names[0])
		da_obj_set_str(p, "attribute_names", names);
}

/* A Microsoft reserved partition holds nothing Windows has written yet
 * (all zeros): it is reserved space, not an empty partition. */
static void mark_reserved(struct da_slot *s)
{
	if (!s->dev || da_signature_is_empty(s->dev) != 1)
		return;    /* something is there: let the scan name it */
	struct da_node *c = da_node_new(DA_NODE_UNKNOWN, NULL, s->dev);
	da_obj_set_str(c->props, "signature", "Microsoft reserved partition");
	da_node_set_reason(c, "Microsoft reserved partition: kept by Windows "
			   "for its own use, holding nothing yet");
	da_node_add_region(c, 0, s->dev->size, "reserved", -1);
	s->content = c;
}

/* The protective MBR's size against the disk, as libfdisk checks it
 * (sfdisk's "GPT PMBR size mismatch"): its 0xEE entry from LBA 1 should
 * cover the disk to its last LBA, or say 0xFFFFFFFF on a disk too big
 * for 32 bits.  A hybrid MBR (other entries beside it) is not checked:
 * it need not cover the disk. */
static void check_pmbr(struct da_node *n, struct da_device *dev,
		       uint64_t last)
{
	uint8_t s[512];
	da_error e = { 0 };
	if (da_device_read(dev, s, sizeof(s), 0, &e) < 0) {
		da_warn(n, "protective MBR: %s: its size is not checked",
			e.msg[0] ? e.msg : "unreadable");
		return;
	}
	if (s[510] != 0x55 || s[511] != 0xaa)
		return;
	int pe = -1;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = s + 446 + 16 * i;
		if (e[4] == 0xee && pe < 0)
			pe = i;
		else if (e[4] != 0)
			return;
	}
	if (pe < 0 || le32(s + 446 + 16 * pe + 8) != 1)
		return;
	uint32_t size = le32(s + 446 + 16 * pe + 12);
	if (size != last && size != 0xffffffffu)
		da_warn(n, "GPT PMBR size mismatch (%u != %llu): the "
			"protective MBR covers LBAs 1-%u, not the whole "
			"disk", size, (unsigned long long)last, size);
}

/* Where the table's space ends: after the backup header the header in
 * use places (the primary's alternate LBA, or the backup's own), and
 * never before its last usable LBA.  A disk grown after the table was
 * written has bytes past it that no partition may use yet. */
static uint64_t table_end(const struct header *use, bool primary,
			  uint64_t last, uint32_t ss)
{
	uint64_t lba = primary ? use->alt_lba : use->my_lba;
	if (lba > last)
		lba = last;
	if (use->last_lba > lba && use->last_lba <= last)
		lba = use->last_lba;
	return (lba + 1) * ss;
}

static struct da_node *gpt_scan(struct da_device *dev, da_error *err)
{
	uint32_t ss = find_sector_size(dev);
	if (!ss) {
		da_error_set(err, EINVAL, "GPT: no valid header");
		return NULL;
	}
	uint64_t last = dev->size / ss - 1;
	struct header prim, back, *use = NULL;
	const char *pwhy, *bwhy, *why;
	uint8_t *entries = NULL;
	bool pok = read_header(dev, ss, 1, &prim, &pwhy);
	uint8_t *pent = pok ? read_entries(dev, ss, &prim, &pwhy) : NULL;
	pok = pok && pent;
	/* the backup is where the primary says, or at the last LBA */
	bool bok = false;
	uint64_t blba = pok ? prim.alt_lba : last;
	if (blba <= last)
		bok = read_header(dev, ss, blba, &back, &bwhy);
	else
		bwhy = "past the end of the disk";
	if (!bok && blba != last) {
		blba = last;
		bok = read_header(dev, ss, last, &back, &bwhy);
	}
	uint8_t *bent = bok ? read_entries(dev, ss, &back, &bwhy) : NULL;
	bok = bok && bent;

	struct da_node *n = da_node_new(DA_NODE_PARTITIONS, &da_plugin_gpt,
					dev);
	da_obj_set_str(n->props, "scheme", "gpt");
	da_obj_set_int(n->props, "sector_size", ss);
	if (pok) {
		use = &prim;
		entries = pent;
		free(bent);
		if (!bok) {
			da_warn(n, "backup GPT header at LBA %llu: %s",
				(unsigned long long)blba, bwhy);
			if (prim.alt_lba > last) {
				da_obj_set_bool(n->props, "truncated", true);
				da_warn(n, "the primary header places the "
					"backup at LBA %llu, past the end "
					"of the disk (LBA %llu): the image "
					"is truncated",
					(unsigned long long)prim.alt_lba,
					(unsigned long long)last);
			}
		}
	} else if (bok) {
		use = &back;
		entries = bent;
		da_warn(n, "primary GPT header damaged (%s); using the backup "
			"at LBA %llu", pwhy, (unsigned long long)blba);
	} else {
		free(pent);
		free(bent);
		da_node_free(n);
		why = pwhy;
		da_error_set(err, EINVAL, "GPT: primary header: %s; backup "
			     "header: %s", why, bwhy);
		return NULL;
	}

	char g[40];
	da_guid_str(use->disk_guid, g);
	da_obj_set_str(n->props, "id", g);
	da_obj_set_uint(n->props, "first_lba", use->first_lba);
	da_obj_set_uint(n->props, "last_lba", use->last_lba);
	da_obj_set_int(n->props, "entries", use->nentries);
	if (use->last_lba > last)
		da_warn(n, "last usable LBA %llu is past the end of the "
			"disk", (unsigned long long)use->last_lba);
	uint64_t end = table_end(use, use == &prim, last, ss);
	/* sfdisk's "The backup GPT table is not on the end of the device" */
	if (use == &prim && prim.alt_lba < last) {
		char h[32];
		da_human_size(dev->size - end, h, sizeof(h));
		da_warn(n, "the backup GPT header is at LBA %llu, not at the "
			"end of the disk (LBA %llu): the disk has grown since "
			"the table was written, and the %s past the table "
			"are usable by no partition until sgdisk -e or "
			"growpart moves the backup to the end",
			(unsigned long long)prim.alt_lba,
			(unsigned long long)last, h);
	}
	check_pmbr(n, dev, last);

	size_t cap = use->nentries + 8;
	struct part_piece *ps = malloc(cap * sizeof(*ps));
	if (!ps)
		da_out_of_memory();
	size_t np = 0;
	uint64_t esize = (uint64_t)use->nentries * use->entry_size;
	uint64_t esec = (esize + ss - 1) / ss * ss;
	/* the entries were read, so their LBAs times ss do not overflow */
	/* each structure its own role, so that a map and a lookup tell
	 * the protective MBR, the headers and the entries apart */
	ps[np++] = (struct part_piece){ 0, ss, "protective_mbr", -1 };
	if (pok) {
		ps[np++] = (struct part_piece){ ss, ss, "gpt_header", -1 };
		ps[np++] = (struct part_piece){ prim.entries_lba * ss, esec,
						"gpt_entries", -1 };
	}
	if (bok) {
		ps[np++] = (struct part_piece){ back.entries_lba * ss, esec,
						"gpt_backup_entries", -1 };
		ps[np++] = (struct part_piece){ blba * ss, ss,
						"gpt_backup_header", -1 };
	}

	for (uint32_t i = 0; i < use->nentries; i++) {
		const uint8_t *e = entries + (size_t)i * use->entry_size;
		static const uint8_t zero[16];
		if (!memcmp(e, zero, 16))
			continue;
		uint64_t first = le64(e + 32), lastl = le64(e + 40);
		uint64_t attrs = le64(e + 48);
		struct da_value *p = da_obj_new();
		char type[40], uuid[40], name[160];
		da_guid_str(e, type);
		da_guid_str(e + 16, uuid);
		utf16_name(e + 56, 36, name, sizeof(name));
		da_obj_set_str(p, "type", type);
		da_obj_set_str(p, "type_name", part_gpt_type_name(type));
		da_obj_set_str(p, "uuid", uuid);
		da_obj_set_str(p, "label", name);
		da_obj_set_bool(p, "bootable", (attrs >> 2) & 1);
		set_attributes(p, attrs, type);
		uint64_t start, size, end;
		const char *bad = NULL;
		if (lastl < first)
			bad = "first LBA after last LBA";
		/* LBAs that do not fit in 64-bit byte offsets: 0 to
		 * 2^64-1 would wrap to a size of 0 */
		else if (!mul_ok(first, ss, &start) ||
			 lastl - first == UINT64_MAX ||
			 !mul_ok(lastl - first + 1, ss, &size) ||
			 !add_ok(start, size, &end))
			bad = "overflow: the range does not fit in 64-bit "
			      "byte offsets";
		if (bad) {
			da_warn(n, "entry %u: LBAs %llu-%llu: %s: ignored",
				i + 1, (unsigned long long)first,
				(unsigned long long)lastl, bad);
			da_value_free(p);
			continue;
		}
		if (first < use->first_lba || lastl > use->last_lba)
			da_warn(n, "partition %u lies outside the usable "
				"LBAs %llu-%llu", i + 1,
				(unsigned long long)use->first_lba,
				(unsigned long long)use->last_lba);
		int slot = part_add(n, p, (int)i + 1, start, size, 0);
		if (slot >= 0 && !strcasecmp(type, MSR_TYPE))
			mark_reserved(&n->slots[slot]);
		if (slot >= 0 && n->slots[slot].dev && np < cap)
			ps[np++] = (struct part_piece){
				start, n->slots[slot].dev->size, "partition",
				slot };
	}
	part_cover_upto(n, ps, np, end);
	free(ps);
	free(entries);
	return n;
}

const struct da_plugin da_plugin_gpt = {
	.name = "gpt",
	.layer = DA_LAYER_PART,
	.probe = gpt_probe,
	.scan = gpt_scan,
};
