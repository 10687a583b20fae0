/* Field tables of the structures a student meets on the way down a
 * stack, from the formats' published layouts (UEFI for GPT, the
 * kernel's and the tools' headers for the rest), and the rules that place
 * them in an owner's space.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diskatlas.h"
#include "fields.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
#define STRUCT(var, title, tab, sz) \
	static const struct fld_struct var = { title, tab, N(tab), sz }

/* ---- partition tables ---- */

static const struct fld mbr_f[] = {
	{ "disk signature", 440, 4, F_LE32 },
	{ "entry 1 status", 446, 1, F_U8 },
	{ "entry 1 type", 450, 1, F_U8 },
	{ "entry 1 first LBA", 454, 4, F_LE32 },
	{ "entry 1 sectors", 458, 4, F_LE32 },
	{ "entry 2 status", 462, 1, F_U8 },
	{ "entry 2 type", 466, 1, F_U8 },
	{ "entry 2 first LBA", 470, 4, F_LE32 },
	{ "entry 2 sectors", 474, 4, F_LE32 },
	{ "entry 3 status", 478, 1, F_U8 },
	{ "entry 3 type", 482, 1, F_U8 },
	{ "entry 3 first LBA", 486, 4, F_LE32 },
	{ "entry 3 sectors", 490, 4, F_LE32 },
	{ "entry 4 status", 494, 1, F_U8 },
	{ "entry 4 type", 498, 1, F_U8 },
	{ "entry 4 first LBA", 502, 4, F_LE32 },
	{ "entry 4 sectors", 506, 4, F_LE32 },
	{ "boot signature", 510, 2, F_HEX },
};
STRUCT(mbr_s, "MBR", mbr_f, 512);
STRUCT(ebr_s, "EBR", mbr_f, 512);

static const struct fld gpt_f[] = {
	{ "signature", 0, 8, F_ASCII },
	{ "revision", 8, 4, F_LE32 },
	{ "header size", 12, 4, F_LE32 },
	{ "header CRC32", 16, 4, F_LE32 },
	{ "this LBA", 24, 8, F_LE64 },
	{ "other header LBA", 32, 8, F_LE64 },
	{ "first usable LBA", 40, 8, F_LE64 },
	{ "last usable LBA", 48, 8, F_LE64 },
	{ "disk GUID", 56, 16, F_GUID },
	{ "entries LBA", 72, 8, F_LE64 },
	{ "entry count", 80, 4, F_LE32 },
	{ "entry size", 84, 4, F_LE32 },
	{ "entries CRC32", 88, 4, F_LE32 },
};
STRUCT(gpt_s, "GPT header", gpt_f, 92);
STRUCT(gpt_backup_s, "GPT backup header", gpt_f, 92);

static const struct fld gpte_f[] = {
	{ "type GUID", 0, 16, F_GUID },
	{ "partition GUID", 16, 16, F_GUID },
	{ "first LBA", 32, 8, F_LE64 },
	{ "last LBA", 40, 8, F_LE64 },
	{ "attributes", 48, 8, F_LE64 },
	{ "name", 56, 72, F_UTF16 },
};
STRUCT(gpte_s, "GPT entry", gpte_f, 128);

/* ---- volumes ---- */

static const struct fld lvl_f[] = {
	{ "label id", 0, 8, F_ASCII },
	{ "label sector", 8, 8, F_LE64 },
	{ "label CRC", 16, 4, F_LE32 },
	{ "header offset", 20, 4, F_LE32 },
	{ "label type", 24, 8, F_ASCII },
	{ "PV UUID", 32, 32, F_ASCII },
	{ "device size", 64, 8, F_LE64 },
	{ "data area offset", 72, 8, F_LE64 },
	{ "data area size", 80, 8, F_LE64 },
	{ "metadata area offset", 104, 8, F_LE64 },
	{ "metadata area size", 112, 8, F_LE64 },
};
STRUCT(lvl_s, "LVM label", lvl_f, 120);

static const struct fld mda_f[] = {
	{ "checksum", 0, 4, F_LE32 },
	{ "magic", 4, 16, F_ASCII },
	{ "version", 20, 4, F_LE32 },
	{ "area start", 24, 8, F_LE64 },
	{ "area size", 32, 8, F_LE64 },
	{ "metadata offset", 40, 8, F_LE64 },
	{ "metadata size", 48, 8, F_LE64 },
	{ "metadata checksum", 56, 4, F_LE32 },
};
STRUCT(mda_s, "LVM metadata area header", mda_f, 60);

static const struct fld luks1_f[] = {
	{ "magic", 0, 6, F_HEX },
	{ "version", 6, 2, F_BE16 },
	{ "cipher", 8, 32, F_ASCII },
	{ "cipher mode", 40, 32, F_ASCII },
	{ "hash", 72, 32, F_ASCII },
	{ "payload offset (sectors)", 104, 4, F_BE32 },
	{ "key bytes", 108, 4, F_BE32 },
	{ "master key digest", 112, 20, F_HEX },
	{ "digest salt", 132, 32, F_HEX },
	{ "digest iterations", 164, 4, F_BE32 },
	{ "UUID", 168, 40, F_ASCII },
	{ "key slot 0 active", 208, 4, F_BE32 },
	{ "key slot 0 iterations", 212, 4, F_BE32 },
	{ "key slot 0 material", 248, 4, F_BE32 },
	{ "key slot 0 stripes", 252, 4, F_BE32 },
};
STRUCT(luks1_s, "LUKS1 header", luks1_f, 592);

static const struct fld luks2_f[] = {
	{ "magic", 0, 6, F_HEX },
	{ "version", 6, 2, F_BE16 },
	{ "header size", 8, 8, F_BE64 },
	{ "sequence id", 16, 8, F_BE64 },
	{ "label", 24, 48, F_ASCII },
	{ "checksum algorithm", 72, 32, F_ASCII },
	{ "salt", 104, 64, F_HEX },
	{ "UUID", 168, 40, F_ASCII },
	{ "subsystem", 208, 48, F_ASCII },
	{ "header offset", 256, 8, F_BE64 },
	{ "checksum", 448, 64, F_HEX },
};
STRUCT(luks2_s, "LUKS2 header", luks2_f, 512);

static const struct fld md1_f[] = {
	{ "magic", 0, 4, F_LE32 },
	{ "major version", 4, 4, F_LE32 },
	{ "feature map", 8, 4, F_LE32 },
	{ "array UUID", 16, 16, F_UUID },
	{ "array name", 32, 32, F_ASCII },
	{ "created", 64, 8, F_LE64 },
	{ "level", 72, 4, F_LE32 },
	{ "layout", 76, 4, F_LE32 },
	{ "size (sectors)", 80, 8, F_LE64 },
	{ "chunk (sectors)", 88, 4, F_LE32 },
	{ "raid disks", 92, 4, F_LE32 },
	{ "data offset", 128, 8, F_LE64 },
	{ "data size", 136, 8, F_LE64 },
	{ "superblock offset", 144, 8, F_LE64 },
	{ "device number", 160, 4, F_LE32 },
	{ "device UUID", 168, 16, F_UUID },
	{ "events", 200, 8, F_LE64 },
	{ "checksum", 216, 4, F_LE32 },
};
STRUCT(md1_s, "md superblock 1.x", md1_f, 256);

static const struct fld md09_f[] = {
	{ "magic", 0, 4, F_LE32 },
	{ "major version", 4, 4, F_LE32 },
	{ "minor version", 8, 4, F_LE32 },
	{ "level", 28, 4, F_LE32 },
	{ "size (KiB)", 32, 4, F_LE32 },
	{ "disks", 36, 4, F_LE32 },
	{ "raid disks", 40, 4, F_LE32 },
};
STRUCT(md09_s, "md superblock 0.90", md09_f, 44);

/* ---- filesystems and swap ---- */

static const struct fld ext_f[] = {
	{ "inode count", 0, 4, F_LE32 },
	{ "block count", 4, 4, F_LE32 },
	{ "reserved blocks", 8, 4, F_LE32 },
	{ "free blocks", 12, 4, F_LE32 },
	{ "free inodes", 16, 4, F_LE32 },
	{ "first data block", 20, 4, F_LE32 },
	{ "log2(block size)-10", 24, 4, F_LE32 },
	{ "blocks per group", 32, 4, F_LE32 },
	{ "inodes per group", 40, 4, F_LE32 },
	{ "magic", 56, 2, F_LE16 },
	{ "state", 58, 2, F_LE16 },
	{ "revision", 76, 4, F_LE32 },
	{ "inode size", 88, 2, F_LE16 },
	{ "group of this copy", 90, 2, F_LE16 },
	{ "compat features", 92, 4, F_LE32 },
	{ "incompat features", 96, 4, F_LE32 },
	{ "ro-compat features", 100, 4, F_LE32 },
	{ "UUID", 104, 16, F_UUID },
	{ "volume name", 120, 16, F_ASCII },
	{ "last mounted on", 136, 64, F_ASCII },
};
STRUCT(ext_s, "ext superblock", ext_f, 1024);

#define FAT_COMMON \
	{ "jump", 0, 3, F_HEX }, \
	{ "OEM name", 3, 8, F_ASCII }, \
	{ "bytes per sector", 11, 2, F_LE16 }, \
	{ "sectors per cluster", 13, 1, F_U8 }, \
	{ "reserved sectors", 14, 2, F_LE16 }, \
	{ "FAT count", 16, 1, F_U8 }, \
	{ "root entries", 17, 2, F_LE16 }, \
	{ "sectors (16 bits)", 19, 2, F_LE16 }, \
	{ "media", 21, 1, F_U8 }, \
	{ "sectors per FAT (16)", 22, 2, F_LE16 }, \
	{ "hidden sectors", 28, 4, F_LE32 }, \
	{ "sectors (32 bits)", 32, 4, F_LE32 }

static const struct fld fat32_f[] = {
	FAT_COMMON,
	{ "sectors per FAT", 36, 4, F_LE32 },
	{ "root cluster", 44, 4, F_LE32 },
	{ "FSInfo sector", 48, 2, F_LE16 },
	{ "backup boot sector", 50, 2, F_LE16 },
	{ "boot signature", 66, 1, F_U8 },
	{ "volume id", 67, 4, F_LE32 },
	{ "volume label", 71, 11, F_ASCII },
	{ "FAT32 signature", 82, 8, F_ASCII },
	{ "sector signature", 510, 2, F_HEX },
};
STRUCT(fat32_s, "FAT32 boot sector", fat32_f, 512);

static const struct fld fat16_f[] = {
	FAT_COMMON,
	{ "boot signature", 38, 1, F_U8 },
	{ "volume id", 39, 4, F_LE32 },
	{ "volume label", 43, 11, F_ASCII },
	{ "FAT type", 54, 8, F_ASCII },
	{ "sector signature", 510, 2, F_HEX },
};
STRUCT(fat16_s, "FAT12/16 boot sector", fat16_f, 512);

static const struct fld exfat_f[] = {
	{ "jump", 0, 3, F_HEX },
	{ "file system name", 3, 8, F_ASCII },
	{ "partition offset", 64, 8, F_LE64 },
	{ "volume length", 72, 8, F_LE64 },
	{ "FAT offset", 80, 4, F_LE32 },
	{ "FAT length", 84, 4, F_LE32 },
	{ "cluster heap offset", 88, 4, F_LE32 },
	{ "cluster count", 92, 4, F_LE32 },
	{ "root cluster", 96, 4, F_LE32 },
	{ "serial", 100, 4, F_LE32 },
	{ "bytes/sector shift", 108, 1, F_U8 },
	{ "sectors/cluster shift", 109, 1, F_U8 },
	{ "FAT count", 110, 1, F_U8 },
	{ "sector signature", 510, 2, F_HEX },
};
STRUCT(exfat_s, "exFAT boot sector", exfat_f, 512);

static const struct fld ntfs_f[] = {
	{ "jump", 0, 3, F_HEX },
	{ "OEM id", 3, 8, F_ASCII },
	{ "bytes per sector", 11, 2, F_LE16 },
	{ "sectors per cluster", 13, 1, F_U8 },
	{ "media", 21, 1, F_U8 },
	{ "hidden sectors", 28, 4, F_LE32 },
	{ "total sectors", 40, 8, F_LE64 },
	{ "$MFT cluster", 48, 8, F_LE64 },
	{ "$MFTMirr cluster", 56, 8, F_LE64 },
	{ "clusters per MFT record", 64, 1, F_U8 },
	{ "clusters per index", 68, 1, F_U8 },
	{ "serial", 72, 8, F_LE64 },
	{ "sector signature", 510, 2, F_HEX },
};
STRUCT(ntfs_s, "NTFS boot sector", ntfs_f, 512);

static const struct fld xfs_f[] = {
	{ "magic", 0, 4, F_ASCII },
	{ "block size", 4, 4, F_BE32 },
	{ "data blocks", 8, 8, F_BE64 },
	{ "UUID", 32, 16, F_UUID },
	{ "log start", 48, 8, F_BE64 },
	{ "root inode", 56, 8, F_BE64 },
	{ "AG blocks", 84, 4, F_BE32 },
	{ "AG count", 88, 4, F_BE32 },
	{ "log blocks", 96, 4, F_BE32 },
	{ "version", 100, 2, F_BE16 },
	{ "sector size", 102, 2, F_BE16 },
	{ "inode size", 104, 2, F_BE16 },
	{ "name", 108, 12, F_ASCII },
	{ "inodes", 128, 8, F_BE64 },
	{ "free inodes", 136, 8, F_BE64 },
	{ "free blocks", 144, 8, F_BE64 },
};
STRUCT(xfs_s, "XFS superblock", xfs_f, 512);

static const struct fld swap_f[] = {
	{ "version", 0, 4, F_LE32 },
	{ "last page", 4, 4, F_LE32 },
	{ "bad pages", 8, 4, F_LE32 },
	{ "UUID", 12, 16, F_UUID },
	{ "label", 28, 16, F_ASCII },
};
STRUCT(swap_s, "swap header", swap_f, 44);

static const struct fld swapsig_f[] = {
	{ "magic", 0, 10, F_ASCII },
};
STRUCT(swapsig_s, "swap signature", swapsig_f, 10);

/* ---- placing them ---- */

static uint64_t uprop(const struct da_node *n, const char *key, uint64_t d)
{
	const struct da_value *v = n ? da_obj_get(n->props, key) : NULL;
	int64_t i = v && v->type == DA_V_INT ? da_value_int(v) : -1;
	return i >= 0 ? (uint64_t)i : d;
}

static const char *sprop(const struct da_node *n, const char *key)
{
	const struct da_value *v = n ? da_obj_get(n->props, key) : NULL;
	return v && v->type == DA_V_STR ? v->u.s : "";
}

struct finder {
	uint64_t lo, hi;       /* the window, in the owner's space */
	struct fld_hit *out;
	int n, max;
};

/* Structure s at base (count copies, stride bytes apart) where it
 * overlaps the window. */
static void put(struct finder *f, const struct fld_struct *s, uint64_t base,
		uint64_t count, uint64_t stride)
{
	for (uint64_t k = 0; k < count && f->n < f->max; k++) {
		uint64_t b;
		if (__builtin_mul_overflow(k, stride, &b) ||
		    __builtin_add_overflow(b, base, &b))
			return;
		if (b >= f->hi)
			return;
		if (b + s->size <= f->lo)
			continue;
		f->out[f->n++] = (struct fld_hit){ s, b,
						   count > 1 ? (int)k + 1 : 0 };
	}
}

/* The first block of the block holding w's byte: where a backup
 * superblock starts. */
static uint64_t block_start(const struct da_owner *w)
{
	uint64_t bs = w->space && w->space->block_size ? w->space->block_size
						      : 512;
	return w->offset / bs * bs;
}

static bool role_is(const struct da_owner *w, const char *r)
{
	const char *x = w->has_info && w->info.role ? w->info.role : w->role;
	return x && !strcmp(x, r);
}

static void partition_table(struct finder *f, const struct da_owner *w)
{
	const struct da_node *n = w->node;
	uint64_t ss = uprop(n, "sector_size", 512);
	if (ss < 512 || ss > 65536)
		ss = 512;
	if (!strcmp(w->name, "gpt")) {
		uint64_t count = uprop(n, "entries", 128), size = w->space
			? w->space->size : 0;
		if (count > 4096)
			count = 4096;
		put(f, &mbr_s, 0, 1, 0);
		put(f, &gpt_s, ss, 1, 0);
		put(f, &gpte_s, 2 * ss, count, 128);
		if (size >= 2 * ss + count * 128) {
			put(f, &gpte_s, size - ss - count * 128, count, 128);
			put(f, &gpt_backup_s, size - ss, 1, 0);
		}
		return;
	}
	/* dos: the MBR, and an EBR at the start of each other table sector
	 * run */
	put(f, &mbr_s, 0, 1, 0);
	for (size_t i = 0; n && i < n->nregions; i++) {
		const struct da_region *r = &n->regions[i];
		if (r->start && r->slot < 0 && r->role &&
		    (!strcmp(r->role, "table") || !strcmp(r->role, "ebr")))
			put(f, &ebr_s, r->start, 1, 0);
	}
}

static void lvm_pv(struct finder *f, const struct da_owner *w)
{
	const struct da_node *n = w->node;
	uint64_t ls = uprop(n, "label_sector", 1);
	if (ls < 4)
		put(f, &lvl_s, ls * 512, 1, 0);
	for (size_t i = 0; n && i < n->nregions; i++) {
		const struct da_region *r = &n->regions[i];
		if (r->role && !strcmp(r->role, "metadata"))
			put(f, &mda_s, r->start, 1, 0);
	}
}

static void filesystem(struct finder *f, const struct da_owner *w)
{
	const char *t = w->fstype ? w->fstype : sprop(w->node, "fstype");
	if (!strncmp(t, "ext", 3)) {
		put(f, &ext_s, 1024, 1, 0);
		/* a backup copy at the start of its group's first block */
		if (role_is(w, "superblock") && block_start(w) >= 2048)
			put(f, &ext_s, block_start(w), 1, 0);
	} else if (!strcmp(t, "fat32")) {
		put(f, &fat32_s, 0, 1, 0);
		uint64_t bk = 0;
		/* the backup boot sector FAT32 keeps (sector 6 by default) */
		if (role_is(w, "boot_sector") && w->offset >= 512)
			bk = w->offset / 512 * 512;
		if (bk)
			put(f, &fat32_s, bk, 1, 0);
	} else if (!strncmp(t, "fat", 3)) {
		put(f, &fat16_s, 0, 1, 0);
	} else if (!strcmp(t, "exfat")) {
		put(f, &exfat_s, 0, 1, 0);
		put(f, &exfat_s, 12 * 512, 1, 0);
	} else if (!strcmp(t, "ntfs")) {
		put(f, &ntfs_s, 0, 1, 0);
	} else if (!strcmp(t, "xfs")) {
		put(f, &xfs_s, 0, 1, 0);
		/* each AG's copy, at its first sector */
		if (role_is(w, "superblock") && block_start(w))
			put(f, &xfs_s, block_start(w), 1, 0);
	}
}

int fields_find(const struct da_owner *w, uint64_t span,
		struct fld_hit *out, int max)
{
	struct finder f = { .out = out, .max = max };
	f.lo = w->offset;
	if (__builtin_add_overflow(w->offset, span, &f.hi))
		f.hi = UINT64_MAX;
	const char *k = w->kind ? w->kind : "";
	const struct da_node *n = w->node;
	if (!strcmp(k, "partition_table") && w->name) {
		partition_table(&f, w);
	} else if (!strcmp(k, "lvm2_pv")) {
		lvm_pv(&f, w);
	} else if (!strcmp(k, "luks")) {
		if (uprop(n, "version", 1) == 2) {
			put(&f, &luks2_s, 0, 1, 0);
			uint64_t hs = uprop(n, "hdr_size", 0);
			if (hs >= 4096 && hs <= (1u << 22))
				put(&f, &luks2_s, hs, 1, 0);
		} else {
			put(&f, &luks1_s, 0, 1, 0);
		}
	} else if (!strcmp(k, "md_member")) {
		uint64_t so = uprop(n, "super_offset", UINT64_MAX);
		if (so != UINT64_MAX)
			put(&f, strncmp(sprop(n, "metadata_version"), "0.",
					2) ? &md1_s : &md09_s, so, 1, 0);
	} else if (!strcmp(k, "filesystem")) {
		filesystem(&f, w);
	} else if (!strcmp(k, "swap")) {
		uint64_t ps = uprop(n, "page_size", 4096);
		put(&f, &swap_s, 1024, 1, 0);
		if (ps >= 2048 && ps <= 65536)
			put(&f, &swapsig_s, ps - 10, 1, 0);
	}
	return f.n;
}

/* ---- values ---- */

static uint64_t le(const uint8_t *b, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint64_t be(const uint8_t *b, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

void fields_value(const struct fld *f, const uint8_t *b, char *out,
		  size_t len)
{
	uint64_t v = 0;
	size_t k = 0;
	out[0] = '\0';
	switch (f->fmt) {
	case F_U8: v = b[0]; break;
	case F_LE16: v = le(b, 2); break;
	case F_LE32: v = le(b, 4); break;
	case F_LE64: v = le(b, 8); break;
	case F_BE16: v = be(b, 2); break;
	case F_BE32: v = be(b, 4); break;
	case F_BE64: v = be(b, 8); break;
	case F_HEX:
		for (uint32_t i = 0; i < f->len && k + 4 < len; i++) {
			if (i == 16) {
				snprintf(out + k, len - k, "...");
				return;
			}
			k += (size_t)snprintf(out + k, len - k, "%s%02x",
					      i ? " " : "", b[i]);
		}
		return;
	case F_ASCII:
	case F_UTF16: {
		uint32_t step = f->fmt == F_UTF16 ? 2 : 1;
		if (len < 3)
			return;
		out[k++] = '"';
		for (uint32_t i = 0; i + step <= f->len && k + 2 < len;
		     i += step) {
			unsigned c = b[i];
			/* C strings end at their first NUL */
			if (f->fmt == F_UTF16 ? (c | b[i + 1]) == 0 : c == 0)
				break;
			if (f->fmt == F_UTF16 && b[i + 1])
				c = '?';
			out[k++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
		}
		out[k++] = '"';
		out[k] = '\0';
		return;
	}
	case F_GUID:
		snprintf(out, len, "%08" PRIX64 "-%04" PRIX64 "-%04" PRIX64
			 "-%02X%02X-%02X%02X%02X%02X%02X%02X", le(b, 4),
			 le(b + 4, 2), le(b + 6, 2), b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
		return;
	case F_UUID:
		snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
			 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
			 b[14], b[15]);
		return;
	}
	snprintf(out, len, "%" PRIu64 " (0x%" PRIx64 ")", v, v);
}
