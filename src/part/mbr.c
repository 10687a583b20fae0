/* MBR (DOS) partition tables: four primary entries, and the extended
 * partition's chain of EBRs holding the logical partitions.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "part.h"

extern const struct da_plugin da_plugin_mbr;

/* An extended chain longer than this is refused: real ones hold a few
 * dozen logicals, and a hostile one must not make us loop. */
#define MAX_LOGICALS 128

struct entry {
	uint8_t status, type;
	uint32_t lba, count;
};

static void read_entry(const uint8_t *sec, int i, struct entry *e)
{
	const uint8_t *p = sec + 446 + 16 * i;
	e->status = p[0];
	e->type = p[4];
	e->lba = le32(p + 8);
	e->count = le32(p + 12);
}

static bool is_extended(uint8_t t)
{
	return t == 0x05 || t == 0x0f || t == 0x85;
}

/* A FAT or NTFS boot sector also ends in 55AA: it is a filesystem, not a
 * partition table. */
static bool looks_like_vbr(const uint8_t *s)
{
	if (!memcmp(s + 3, "NTFS    ", 8) || !memcmp(s + 3, "EXFAT   ", 8))
		return true;
	uint16_t bps = le16(s + 11);
	uint8_t spc = s[13];
	bool jump = s[0] == 0xeb || s[0] == 0xe9;
	return jump && (bps == 512 || bps == 1024 || bps == 2048 ||
			bps == 4096) && spc && !(spc & (spc - 1)) &&
	       le16(s + 14) >= 1 && s[16] >= 1 && s[16] <= 4;
}

static enum da_probe mbr_probe(struct da_device *dev, da_error *err)
{
	uint8_t s[SECTOR];
	if (dev->size < SECTOR)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, s, SECTOR, 0, err) < 0)
		return DA_PROBE_ERROR;
	if (s[510] != 0x55 || s[511] != 0xaa || looks_like_vbr(s))
		return DA_PROBE_NOT_MINE;
	int used = 0;
	for (int i = 0; i < 4; i++) {
		struct entry e;
		read_entry(s, i, &e);
		if (e.status != 0 && e.status != 0x80)
			return DA_PROBE_NOT_MINE;
		if (e.type && e.count)
			used++;
	}
	return used ? DA_PROBE_FOUND : DA_PROBE_NOT_MINE;
}

static struct da_value *entry_props(const struct entry *e)
{
	struct da_value *p = da_obj_new();
	char t[8];
	snprintf(t, sizeof(t), "%x", e->type);
	da_obj_set_str(p, "type", t);
	da_obj_set_str(p, "type_name", part_mbr_type_name(e->type));
	da_obj_set_bool(p, "bootable", e->status == 0x80);
	return p;
}

struct pieces {
	struct part_piece *v;
	size_t n, cap;
};

static void add_piece(struct pieces *ps, uint64_t start, uint64_t len,
		      const char *role, int slot)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
		if (!ps->v)
			da_out_of_memory();
	}
	ps->v[ps->n++] = (struct part_piece){ start, len, role, slot };
}

/* Walk the EBR chain of the extended partition at [ext, ext+ext_len). */
static void scan_logicals(struct da_node *n, struct pieces *ps, uint64_t ext,
			  uint64_t ext_len)
{
	uint64_t visited[MAX_LOGICALS];
	size_t nvisited = 0;
	uint64_t ebr = ext;            /* in sectors */
	int number = 5;
	uint64_t dsec = n->dev->size / SECTOR;

	for (int i = 0; i < MAX_LOGICALS; i++) {
		for (size_t k = 0; k < nvisited; k++) {
			if (visited[k] == ebr) {
				da_warn(n, "the extended partition's chain "
					"loops back to sector %llu: stopped "
					"there", (unsigned long long)ebr);
				return;
			}
		}
		visited[nvisited++] = ebr;
		if (ebr >= dsec) {
			da_warn(n, "EBR at sector %llu is past the end of the "
				"disk", (unsigned long long)ebr);
			return;
		}
		uint8_t s[SECTOR];
		if (da_device_read(n->dev, s, SECTOR, ebr * SECTOR, NULL) < 0) {
			da_warn(n, "cannot read the EBR at sector %llu",
				(unsigned long long)ebr);
			return;
		}
		if (s[510] != 0x55 || s[511] != 0xaa) {
			da_warn(n, "EBR at sector %llu has no 55AA signature",
				(unsigned long long)ebr);
			return;
		}
		add_piece(ps, ebr * SECTOR, SECTOR, "ebr", -1);
		struct entry l, next;
		read_entry(s, 0, &l);
		read_entry(s, 1, &next);
		if (l.type && l.count) {
			uint64_t start = (ebr + l.lba) * SECTOR;
			uint64_t size = (uint64_t)l.count * SECTOR;
			if (start < ext * SECTOR ||
			    start + size > (ext * SECTOR) + ext_len)
				da_warn(n, "logical partition %d lies outside "
					"the extended partition", number);
			int slot = part_add(n, entry_props(&l), number, start,
					    size, 1);
			if (slot >= 0 && n->slots[slot].dev)
				add_piece(ps, start, n->slots[slot].dev->size,
					  "partition", slot);
			number++;
		}
		if (!is_extended(next.type) || next.lba == 0)
			return;
		ebr = ext + next.lba;
	}
	da_warn(n, "more than %d logical partitions: stopped",
		MAX_LOGICALS);
}

static struct da_node *mbr_scan(struct da_device *dev, da_error *err)
{
	uint8_t s[SECTOR];
	if (da_device_read(dev, s, SECTOR, 0, err) < 0)
		return NULL;
	struct da_node *n = da_node_new(DA_NODE_PARTITIONS, &da_plugin_mbr,
					dev);
	da_obj_set_str(n->props, "scheme", "dos");
	da_obj_set_int(n->props, "sector_size", SECTOR);
	char id[16];
	snprintf(id, sizeof(id), "0x%08x", le32(s + 440));
	da_obj_set_str(n->props, "id", id);

	struct pieces ps = { 0 };
	add_piece(&ps, 0, SECTOR, "mbr", -1);
	bool extended_seen = false;
	for (int i = 0; i < 4; i++) {
		struct entry e;
		read_entry(s, i, &e);
		if (!e.type || !e.count)
			continue;
		uint64_t start = (uint64_t)e.lba * SECTOR;
		uint64_t size = (uint64_t)e.count * SECTOR;
		if (e.type == 0xee)
			da_warn(n, "protective MBR (type ee) but no valid GPT "
				"header: the GPT is damaged or missing");
		int slot = part_add(n, entry_props(&e), i + 1, start, size, 0);
		if (slot < 0)
			continue;
		struct da_device *sd = n->slots[slot].dev;
		if (is_extended(e.type) && !extended_seen && sd) {
			/* the container holds EBRs and logicals: its slot
			 * claims it one level down, logicals nest inside, and
			 * the table's regions there are EBRs and gaps */
			extended_seen = true;
			n->slots[slot].container = true;
			da_obj_set_bool(n->slots[slot].props, "extended", true);
			scan_logicals(n, &ps, e.lba, sd->size);
		} else if (sd) {
			add_piece(&ps, start, sd->size, "partition", slot);
		}
	}
	part_cover(n, ps.v, ps.n);
	free(ps.v);
	return n;
}

const struct da_plugin da_plugin_mbr = {
	.name = "mbr",
	.layer = DA_LAYER_PART,
	.probe = mbr_probe,
	.scan = mbr_scan,
};
