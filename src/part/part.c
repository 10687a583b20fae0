/* Helpers shared by the partition-table plugins: covering the table's
 * space with regions, type names, warnings, clipped slots.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "part.h"

static int cmp_piece(const void *a, const void *b)
{
	const struct part_piece *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* A gap [from, to): unallocated up to end, past_table from there. */
static void add_gap(struct da_node *n, uint64_t from, uint64_t to,
		    uint64_t end)
{
	if (from < end && from < to)
		da_node_add_region(n, from, (to < end ? to : end) - from,
				   "unallocated", -1);
	if (to > end && to > from) {
		uint64_t at = from > end ? from : end;
		da_node_add_region(n, at, to - at, "past_table", -1);
	}
}

void part_cover_upto(struct da_node *n, struct part_piece *p, size_t count,
		     uint64_t end)
{
	uint64_t size = n->dev->size, at = 0;
	da_sort(p, count, sizeof(*p), cmp_piece);
	for (size_t i = 0; i < count; i++) {
		if (p[i].start >= size || p[i].len == 0)
			continue;
		uint64_t len = p[i].len;
		if (len > size - p[i].start)
			len = size - p[i].start;
		if (p[i].start > at)
			add_gap(n, at, p[i].start, end);
		da_node_add_region(n, p[i].start, len, p[i].role, p[i].slot);
		if (p[i].start + len > at)
			at = p[i].start + len;
	}
	if (at < size)
		add_gap(n, at, size, end);
}

void part_cover(struct da_node *n, struct part_piece *p, size_t count)
{
	part_cover_upto(n, p, count, UINT64_MAX);
}

int part_add(struct da_node *n, struct da_value *props, int number,
	     uint64_t start, uint64_t size, int nest)
{
	uint64_t dsize = n->dev->size;
	char name[32], devname[300];
	snprintf(name, sizeof(name), "p%d", number);
	da_obj_set_int(props, "number", number);
	da_obj_set_str(props, "name", name);
	da_obj_set_uint(props, "start", start);
	da_obj_set_uint(props, "size", size);
	struct da_device *dev = NULL;
	if (start >= dsize) {
		da_obj_set_bool(props, "clipped", true);
		da_warn(n, "partition %d starts past the end of the disk",
			number);
	} else {
		uint64_t len = size;
		if (len > dsize - start) {
			len = dsize - start;
			da_obj_set_bool(props, "clipped", true);
			da_warn(n, "partition %d runs past the end of the "
				"disk: clipped to %llu bytes", number,
				(unsigned long long)len);
		}
		snprintf(devname, sizeof(devname), "%.250s/%s", n->dev->name,
			 name);
		if (len)
			dev = da_offset_device_new(devname, n->dev, start, len,
						   NULL);
	}
	struct da_slot *s = da_node_add_slot(n, "partition", props, dev);
	if (!s)
		return -1;
	s->nest = nest;
	return (int)(n->nslots - 1);
}

const char *part_mbr_type_name(uint8_t t)
{
	switch (t) {
	case 0x01: return "FAT12";
	case 0x04: return "FAT16 <32M";
	case 0x05: return "Extended";
	case 0x06: return "FAT16";
	case 0x07: return "HPFS/NTFS/exFAT";
	case 0x0b: return "W95 FAT32";
	case 0x0c: return "W95 FAT32 (LBA)";
	case 0x0e: return "W95 FAT16 (LBA)";
	case 0x0f: return "W95 Extended (LBA)";
	case 0x11: return "Hidden FAT12";
	case 0x27: return "Hidden NTFS WinRE";
	case 0x42: return "SFS";
	case 0x82: return "Linux swap / Solaris";
	case 0x83: return "Linux";
	case 0x85: return "Linux extended";
	case 0x8e: return "Linux LVM";
	case 0xa5: return "FreeBSD";
	case 0xa6: return "OpenBSD";
	case 0xa9: return "NetBSD";
	case 0xaf: return "HFS / HFS+";
	case 0xee: return "GPT protective";
	case 0xef: return "EFI (FAT-12/16/32)";
	case 0xfd: return "Linux raid autodetect";
	default: return "";
	}
}

static const struct { const char *guid, *name; } gpt_types[] = {
	{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System" },
	{ "21686148-6449-6E6F-744E-656564454649", "BIOS boot" },
	{ "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem" },
	{ "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap" },
	{ "E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM" },
	{ "A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID" },
	{ "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)" },
	{ "44479540-F297-41B2-9AF7-D131D5F0458A", "Linux root (x86)" },
	{ "933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home" },
	{ "BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot" },
	{ "CA7D7CCB-63ED-4C53-861C-1742536059CC", "Linux LUKS" },
	{ "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data" },
	{ "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved" },
	{ "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery environment" },
	{ "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", "Windows LDM metadata" },
	{ "AF9B60A0-1431-4F62-BC68-3311714A69AD", "Windows LDM data" },
	{ "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D", "Windows Storage Spaces" },
	{ "48465300-0000-11AA-AA11-00306543ECAC", "Apple HFS/HFS+" },
	{ "7C3457EF-0000-11AA-AA11-00306543ECAC", "Apple APFS" },
	{ "516E7CB4-6ECF-11D6-8FF8-00022D09712B", "FreeBSD data" },
	{ "6A898CC3-1DD2-11B2-99A6-080020736631", "Solaris /usr & Apple ZFS" },
};

const char *part_gpt_type_name(const char *guid)
{
	for (size_t i = 0; i < sizeof(gpt_types) / sizeof(gpt_types[0]); i++)
		if (!strcasecmp(gpt_types[i].guid, guid))
			return gpt_types[i].name;
	return "";
}
