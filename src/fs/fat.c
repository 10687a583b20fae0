/* FAT12, FAT16 and FAT32, parsed from Microsoft's FAT specification
 * (fatgen103): the BPB, the FAT, directories with VFAT long names.
 *
 * Address space: the filesystem's own device.  Blocks are sectors in the
 * reserved area, the FATs and the FAT12/16 root directory, and clusters
 * (numbered from 2, as the FAT numbers them) in the data area.
 *
 * File ids ("inode") are The Sleuth Kit's FAT inode numbers, so that they
 * can be handed to istat/ffind: the root directory is 2, and a directory
 * entry at byte E of the filesystem is 3 + (E - end of the last FAT) / 32.
 *
 * FAT type: FAT32 when the BPB has the FAT32 layout (16-bit FAT size 0),
 * as the Linux driver and dosfstools decide (mkfs.fat makes FAT32 volumes
 * below the spec's 65525 clusters); otherwise FAT12 or FAT16 by the
 * spec's cluster count rule (< 4085 clusters is FAT12), never by the
 * label string.
 *
 * Usage: the reserved area, the FATs and the fixed root directory are
 * metadata; clusters are used when their FAT entry is not 0 (bad clusters
 * count as used); sectors past the last whole cluster and past the
 * filesystem are free.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../fileindex.h"
#include "fat.h"
#include "../signature.h"

/* ---- the boot sector ------------------------------------------------- */

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Check the BPB in the boot sector bs against a device of dev_size bytes
 * and fill g.  0 when it is a FAT; -1 with why filled when not. */
static int parse_bpb(const uint8_t *bs, uint64_t dev_size, struct fat_geom *g,
		     char *why, size_t whylen)
{
	memset(g, 0, sizeof(*g));
#define NOT(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)
	if (bs[510] != 0x55 || bs[511] != 0xAA)
		NOT("no 0x55AA boot signature");
	if (bs[0] != 0xEB && bs[0] != 0xE9)
		NOT("no jump instruction (0x%02x)", bs[0]);
	g->bps = le16(bs + 11);
	g->spc = bs[13];
	g->reserved = le16(bs + 14);
	g->nfats = bs[16];
	g->root_entries = le16(bs + 17);
	g->media = bs[21];
	uint32_t fat16sz = le16(bs + 22);
	uint32_t tot16 = le16(bs + 19);
	if (!pow2(g->bps) || g->bps < 512 || g->bps > 4096)
		NOT("bytes per sector %u", g->bps);
	if (!pow2(g->spc))
		NOT("sectors per cluster %u", g->spc);
	if (g->reserved < 1)
		NOT("no reserved sectors");
	if (g->nfats < 1 || g->nfats > 4)
		NOT("%u FATs", g->nfats);
	if (g->media != 0xF0 && g->media < 0xF8)
		NOT("media byte 0x%02x", g->media);
	g->cs = g->bps * g->spc;
	g->total_sectors = tot16 ? tot16 : le32(bs + 32);
	g->fat_sectors = fat16sz ? fat16sz : le32(bs + 36);
	if (!g->total_sectors || !g->fat_sectors)
		NOT("no sectors or no FAT");
	/* FAT32 is a zero 16-bit FAT size, whatever the cluster count, as
	 * the kernel and libblkid decide; mkfs.fat -F 32 on a volume below
	 * 32 MiB keeps the sector count in the 16-bit field */
	bool fat32 = fat16sz == 0;
	if (fat32 && g->root_entries)
		NOT("FAT32 layout with a fixed root directory");
	if (!fat32 && !g->root_entries)
		NOT("FAT12/16 layout without a root directory");
	uint64_t root_sectors = ((uint64_t)g->root_entries * 32 + g->bps - 1) /
				g->bps;
	uint64_t meta = g->reserved + g->nfats * g->fat_sectors + root_sectors;
	if (meta >= g->total_sectors)
		NOT("metadata (%llu sectors) fills the volume",
		    (unsigned long long)meta);
	uint64_t clusters = (g->total_sectors - meta) / g->spc;
	if (fat32) {
		g->type = 32;
		if (clusters > 0x0FFFFFF5)
			NOT("%llu clusters", (unsigned long long)clusters);
	} else {
		g->type = clusters < 4085 ? 12 : 16;
		if (clusters >= 65525)
			NOT("%llu clusters in a FAT16 layout",
			    (unsigned long long)clusters);
	}
	if (clusters < 1)
		NOT("no data clusters");
	g->bpb_clusters = g->clusters = (uint32_t)clusters;
	g->fat_off = (uint64_t)g->reserved * g->bps;
	g->fats_end = g->fat_off + g->nfats * g->fat_sectors * g->bps;
	g->root_off = g->fats_end;
	g->root_len = root_sectors * g->bps;
	g->data_off = g->root_off + g->root_len;
	if (g->data_off > dev_size)
		NOT("metadata (%llu bytes) past the end of the device",
		    (unsigned long long)g->data_off);
	if (g->type == 32) {
		g->root_cluster = le32(bs + 44);
		g->fsinfo = le16(bs + 48);
		g->backup = le16(bs + 50);
		uint32_t ext = le16(bs + 40);
		if ((ext & 0x80) && (ext & 0x0F) < g->nfats)
			g->active = ext & 0x0F;
	}
	g->bad = g->type == 12 ? 0xFF7 : g->type == 16 ? 0xFFF7 : 0x0FFFFFF7;
	g->eoc = g->type == 12 ? 0xFF8 : g->type == 16 ? 0xFFF8 : 0x0FFFFFF8;
#undef NOT
	return 0;
}

/* Clamp the filesystem's clusters to what the FAT can describe, and the
 * clusters to what the device holds; returns a warning or NULL. */
static const char *clamp_geom(struct fat_geom *g, uint64_t dev_size,
			      char *buf, size_t len)
{
	const char *w = NULL;
	uint64_t fat_len = g->fat_sectors * g->bps;
	uint64_t cap = g->type == 12 ? fat_len * 2 / 3 : g->type == 16 ?
		       fat_len / 2 : fat_len / 4;
	if (cap < (uint64_t)g->clusters + 2) {
		g->clusters = cap > 2 ? (uint32_t)(cap - 2) : 0;
		snprintf(buf, len, "the FAT describes only %u of %u clusters",
			 g->clusters, g->bpb_clusters);
		w = buf;
	}
	g->fs_clusters = g->clusters;
	/* the clusters the device holds, the last one perhaps only in
	 * part: a byte of a cluster the device's end cuts is still the
	 * filesystem's, with the role its FAT and files give it (its
	 * reads fail, as any past the end do) */
	uint64_t fit = (dev_size - g->data_off) / g->cs +
		       ((dev_size - g->data_off) % g->cs != 0);
	if (fit < g->clusters) {
		snprintf(buf, len, "truncated: %llu of %u clusters are on the "
			 "device", (unsigned long long)fit, g->bpb_clusters);
		g->clusters = (uint32_t)fit;
		w = buf;
	}
	g->data_end = g->data_off + (uint64_t)g->clusters * g->cs;
	uint64_t fs = g->total_sectors * g->bps;
	g->fs_end = fs < dev_size ? fs : dev_size;
	if (g->fs_end < g->data_end)
		g->fs_end = g->data_end;
	return w;
}

static enum da_probe fat_probe(struct da_device *dev, da_error *err)
{
	uint8_t bs[512];
	if (dev->size < 512)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, bs, sizeof(bs), 0, err) < 0)
		return DA_PROBE_ERROR;
	struct fat_geom g;
	char why[128];
	if (parse_bpb(bs, dev->size, &g, why, sizeof(why)) < 0) {
		if (bs[510] == 0x55 && bs[511] == 0xAA)
			da_trace("fat on %s: not mine: %s", dev->name, why);
		return DA_PROBE_NOT_MINE;
	}
	if (da_signature_bitlocker(dev)) {
		/* BitLocker To Go wears a FAT boot sector: as libblkid does,
		 * leave it to the signature that names it */
		da_trace("fat on %s: not mine: BitLocker To Go", dev->name);
		return DA_PROBE_NOT_MINE;
	}
	da_trace("fat on %s: FAT%d, %u clusters of %u bytes", dev->name,
		 g.type, g.clusters, g.cs);
	return DA_PROBE_FOUND;
}

/* ---- the FAT --------------------------------------------------------- */

int fat_entry(struct fat_table *t, const struct fat_geom *g, uint32_t c,
	      uint32_t *v)
{
	if (fat_table_get(t, c, v) < 0)
		return -1;
	if (g->type == 32)
		*v &= 0x0FFFFFFF;
	return 0;
}

struct fat_table *fat_table_open_active(struct da_device *dev,
					const struct fat_geom *g)
{
	uint64_t len = fat_table_bytes((unsigned)g->type,
				       (uint64_t)g->clusters + 2);
	uint64_t off = g->fat_off +
		       (uint64_t)g->active * g->fat_sectors * g->bps;
	return fat_table_open(dev, off, len, (unsigned)g->type);
}

/* Entry i of a FAT piece that starts at an even entry (FAT12 packs two
 * entries in three bytes), with every bit the disk holds. */
static uint32_t raw_entry(int type, const uint8_t *b, size_t i)
{
	if (type == 12) {
		uint32_t v = le16(b + i + i / 2);
		return i & 1 ? v >> 4 : v & 0xFFF;
	}
	return type == 16 ? le16(b + 2 * i) : le32(b + 4 * i);
}

struct fat_mismatch {
	uint64_t entries;          /* entries that differ from the copy read */
	uint32_t first;            /* the first of them (a cluster number) */
	bool unreadable;
};

static bool cluster_bad(const struct fat_priv *p, uint32_t k)
{
	for (size_t i = 0; i < p->nbad_runs; i++)
		if (k >= p->bad_runs[i][0] &&
		    k < p->bad_runs[i][0] + p->bad_runs[i][1])
			return true;
	return false;
}

/* Cluster k (k + 2 on disk) has entry v: the bitmap's runs, the free
 * and bad counts. */
static void count_entry(struct fat_priv *p, struct da_bitmap_builder *b,
			uint32_t k, uint32_t v)
{
	const struct fat_geom *g = &p->g;
	if (v == 0) {
		p->free_clusters++;
		return;
	}
	if (v == g->bad) {
		p->bad_clusters++;
		size_t n = p->nbad_runs;
		if (n && p->bad_runs[n - 1][0] + p->bad_runs[n - 1][1] == k)
			p->bad_runs[n - 1][1]++;
		else if (n < FAT_MAX_BAD) {
			p->bad_runs[n][0] = k;
			p->bad_runs[n][1] = 1;
			p->nbad_runs++;
		}
	}
	da_bitmap_build(b, k, 1);
}

/* One pass over the active FAT, a piece at a time, so that a FAT of any
 * size costs two bounded buffers: the used/free bitmap and the bad
 * clusters, and, when compare is set, each other copy against it entry
 * by entry (m[k] for copy k), as fsck.fat compares them before it
 * chooses one.  -1 (err set) when the active FAT cannot be read or there
 * is no memory. */
static int fat_pass(struct fat_priv *p, struct da_device *dev, bool compare,
		    struct fat_mismatch *m, da_error *err)
{
	enum { PIECE = 3 << 18 };  /* whole entries of every width */
	const struct fat_geom *g = &p->g;
	/* every cluster of the filesystem, also those an image cut short
	 * leaves out (its FATs are whole on the device): used and free are
	 * the whole filesystem's, as fsck.fat counts them */
	uint64_t len = fat_table_bytes((unsigned)g->type,
				       (uint64_t)g->fs_clusters + 2);
	uint64_t base = g->fat_off;
	uint64_t end = (uint64_t)g->fs_clusters + 2;
	p->used = da_bitmap_new(g->fs_clusters);
	uint8_t *act = malloc(PIECE + 2), *cp = malloc(PIECE + 2);
	if (!p->used || !act || !cp) {
		free(act);
		free(cp);
		return da_error_set(err, ENOMEM, "no memory for the FAT");
	}
	struct da_bitmap_builder bb = { .b = p->used };
	uint64_t at = base + (uint64_t)g->active * g->fat_sectors * g->bps;
	int rc = 0;
	for (uint64_t done = 0; done < len && rc == 0; done += PIECE) {
		size_t n = len - done > PIECE ? PIECE : (size_t)(len - done);
		if (da_device_read(dev, act, n, at + done, err) < 0) {
			rc = -1;
			break;
		}
		act[n] = act[n + 1] = 0;
		/* the piece's entries: 2 a 3 bytes (FAT12), 1 a 2 or 4 */
		uint64_t first = g->type == 12 ? done / 3 * 2
					       : done / (uint64_t)(g->type / 8);
		uint64_t count = g->type == 12 ? ((uint64_t)n * 2 + 2) / 3
					       : n / (uint64_t)(g->type / 8);
		if (count > end - first)
			count = end - first;
		for (uint64_t i = first < 2 ? 2 - first : 0; i < count; i++) {
			uint32_t v = raw_entry(g->type, act, (size_t)i);
			if (g->type == 32)
				v &= 0x0FFFFFFF;
			count_entry(p, &bb, (uint32_t)(first + i - 2), v);
		}
		for (uint32_t k = 0; compare && k < g->nfats; k++) {
			if (k == g->active || m[k].unreadable)
				continue;
			uint64_t o = base + (uint64_t)k * g->fat_sectors * g->bps;
			if (da_device_read(dev, cp, n, o + done, NULL) < 0) {
				m[k].unreadable = true;
				continue;
			}
			if (!memcmp(cp, act, n))
				continue;
			cp[n] = cp[n + 1] = 0;
			for (uint64_t i = 0; i < count; i++) {
				if (raw_entry(g->type, cp, (size_t)i) ==
				    raw_entry(g->type, act, (size_t)i))
					continue;
				if (!m[k].entries++)
					m[k].first = (uint32_t)(first + i);
			}
		}
	}
	free(act);
	free(cp);
	if (rc == 0 && da_bitmap_build_end(&bb) < 0)
		rc = da_error_set(err, ENOMEM, "no memory for the bitmap");
	return rc;
}

/* Says which copies of the FAT differ from the one read. */
static void warn_copies(struct da_node *n, const struct fat_geom *g,
			const struct fat_mismatch *m)
{
	for (uint32_t k = 0; k < g->nfats; k++) {
		if (k == g->active)
			continue;
		if (m[k].unreadable)
			da_warn(n, "FAT %u could not be read to compare it with FAT %u",
				k + 1, g->active + 1);
		else if (m[k].entries)
			da_warn(n, "FAT %u differs from FAT %u (the copy read) in "
				"%llu entr%s, the first for cluster %u", k + 1,
				g->active + 1, (unsigned long long)m[k].entries,
				m[k].entries == 1 ? "y" : "ies", m[k].first);
	}
}

static void trim_copy(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	for (size_t i = n; i > 0 && (dst[i - 1] == ' ' || dst[i - 1] == 0); i--)
		dst[i - 1] = 0;
}

static struct da_node *fat_scan(struct da_device *dev, da_error *err)
{
	uint8_t bs[512];
	if (da_device_read(dev, bs, sizeof(bs), 0, err) < 0)
		return NULL;
	struct fat_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		da_error_set(err, ENOMEM, "no memory");
		return NULL;
	}
	struct fat_geom *g = &p->g;
	char why[160];
	if (parse_bpb(bs, dev->size, g, why, sizeof(why)) < 0) {
		da_error_set(err, EINVAL, "boot sector: %s", why);
		free(p);
		return NULL;
	}
	char wbuf[160];
	const char *warn = clamp_geom(g, dev->size, wbuf, sizeof(wbuf));
	if (g->clusters == 0) {
		da_error_set(err, EINVAL, "%s", warn ? warn : "no clusters");
		free(p);
		return NULL;
	}
	if (g->type == 32 && (g->root_cluster < 2 ||
			      g->root_cluster > g->clusters + 1)) {
		da_error_set(err, EINVAL, "root directory cluster %u outside "
			     "2..%u", g->root_cluster, g->clusters + 1);
		free(p);
		return NULL;
	}
	/* a FAT32 with mirroring turned off (the extended flags' bit 7)
	 * keeps one live copy, and the others may differ by design */
	p->compare = !(g->type == 32 && (le16(bs + 40) & 0x80));
	/* entry 0 (the media byte again): the rest of the FAT, which
	 * grows with the volume (512 MiB for both copies at 2 TiB), is
	 * fat_settle's */
	uint8_t e0[4];
	if (da_device_read(dev, e0, sizeof(e0), g->fat_off +
			   (uint64_t)g->active * g->fat_sectors * g->bps,
			   err) < 0) {
		free(p);
		return NULL;
	}
	uint32_t media_entry = raw_entry(g->type, e0, 0) & 0xFF;
	char dir_label[64] = "";
	fat_root_label(dev, g, dir_label, sizeof(dir_label));

	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_fat, dev);
	n->priv = p;
	struct da_value *v = n->props;
	char buf[64];
	snprintf(buf, sizeof(buf), "fat%d", g->type);
	da_obj_set_str(v, "fstype", buf);

	/* extended boot record: serial and label */
	const uint8_t *ebpb = bs + (g->type == 32 ? 64 : 36);
	char bpb_label[12] = "";
	if (ebpb[2] == 0x29 || ebpb[2] == 0x28) {
		uint32_t id = le32(ebpb + 3);
		snprintf(buf, sizeof(buf), "%04X-%04X", id >> 16, id & 0xFFFF);
		da_obj_set_str(v, "volume_id", buf);
		if (ebpb[2] == 0x29) {
			trim_copy(bpb_label, ebpb + 7, 11);
			if (!strcmp(bpb_label, "NO NAME"))
				bpb_label[0] = 0;
		}
	}
	/* the label is the root directory's volume label entry only, as
	 * blkid, lsblk and udev have it (Windows erases that entry and
	 * leaves the boot sector's); the boot sector's is its own prop,
	 * blkid's LABEL_FATBOOT */
	if (dir_label[0] && strcmp(dir_label, "NO NAME"))
		da_obj_set_str(v, "label", dir_label);
	if (bpb_label[0])
		da_obj_set_str(v, "bpb_label", bpb_label);
	char oem[9];
	trim_copy(oem, bs + 3, 8);
	if (oem[0])
		da_obj_set_str(v, "oem_name", oem);
	da_obj_set_int(v, "sector_size", g->bps);
	da_obj_set_int(v, "cluster_size", g->cs);
	da_obj_set_int(v, "clusters", g->fs_clusters);
	/* not known until fat_settle (settle_props) */
	da_obj_set_int(v, "free_clusters", -1);
	da_obj_set_int(v, "bad_clusters", -1);
	da_obj_set_int(v, "size", (int64_t)(g->total_sectors * g->bps));
	da_obj_set_int(v, "used", -1);
	da_obj_set_int(v, "free", -1);
	da_obj_set_int(v, "fat_count", g->nfats);
	da_obj_set_int(v, "fat_size", (int64_t)(g->fat_sectors * g->bps));
	da_obj_set_int(v, "reserved_sectors", g->reserved);
	da_obj_set_int(v, "data_start", (int64_t)g->data_off);
	if (g->type == 32) {
		da_obj_set_int(v, "root_cluster", g->root_cluster);
		uint8_t fsi[512];
		da_error e;
		if (g->fsinfo && g->fsinfo < g->reserved &&
		    da_device_read(dev, fsi, sizeof(fsi),
				   (uint64_t)g->fsinfo * g->bps, &e) == 0 &&
		    le32(fsi) == 0x41615252 && le32(fsi + 484) == 0x61417272 &&
		    le32(fsi + 488) != 0xFFFFFFFF)
			da_obj_set_int(v, "fsinfo_free_clusters",
				       le32(fsi + 488));
	}
	if (warn)
		da_node_set_reason(n, "%s", warn);
	else if (media_entry != g->media)
		da_node_set_reason(n, "FAT[0] (0x%02x) does not match the "
				   "media byte (0x%02x)", media_entry,
				   g->media);
	da_node_set_block_size(n, g->cs);
	return n;
}

static int settled(const struct fat_priv *p)
{
	return __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
}

/* The pass over the FAT (fat_pass): after the explorer's first frames.
 * What it finds is published with one release store; until then the
 * data area is "unread". */
static int fat_settle(struct da_node *n, da_error *err)
{
	struct fat_priv *p = n->priv;
	if (!p)
		return 0;
	int st = settled(p);
	if (st == 0) {
		const struct fat_geom *g = &p->g;
		struct fat_mismatch m[4] = { { 0 } };  /* at most 4 FATs */
		if (fat_pass(p, n->dev, p->compare, m, &p->settle_err) < 0) {
			da_bitmap_free(p->used);
			p->used = NULL;
			st = -1;
		} else {
			if (p->compare)
				warn_copies(n, g, m);
			da_node_fill_space(n, g->fs_clusters,
					   p->free_clusters, g->cs);
			if (p->bad_clusters)
				da_obj_fill_int(n->props, "bad_clusters",
						(int64_t)p->bad_clusters);
			st = 1;
		}
		__atomic_store_n(&p->settled, st, __ATOMIC_RELEASE);
	}
	if (st < 0 && err)
		*err = p->settle_err;
	return st < 0 ? -1 : 0;
}

/* ---- lookups --------------------------------------------------------- */

/* The role of a sector of the reserved region. */
static const char *reserved_role(const struct fat_geom *g, uint64_t sector)
{
	if (sector == 0 || (g->type == 32 && g->backup && sector == g->backup))
		return "boot_sector";
	if (g->type == 32 && g->fsinfo &&
	    (sector == g->fsinfo ||
	     (g->backup && sector == (uint64_t)g->backup + g->fsinfo)))
		return "fsinfo";
	return "reserved";
}

static int fat_describe_block(struct da_node *n, uint64_t off,
			      struct da_block_info *out)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	da_block_info_init(out);
	if (off >= n->dev->size)
		return -1;
	uint64_t sector = off / g->bps;
	if (off < g->fat_off) {
		out->block = (int64_t)sector;
		out->role = reserved_role(g, sector);
		return 0;
	}
	if (off < g->fats_end) {
		out->block = (int64_t)sector;
		out->role = "fat";
		return 0;
	}
	if (off < g->data_off) {
		out->block = (int64_t)sector;
		out->role = "root_directory";
		out->inode = 2;
		out->file_offset = (int64_t)(off - g->root_off);
		snprintf(out->path, sizeof(out->path), "/");
		return 0;
	}
	if (off >= g->data_end) {
		out->block = (int64_t)sector;
		out->role = "unused";
		return 0;
	}
	uint32_t k = (uint32_t)((off - g->data_off) / g->cs);
	out->block = k + 2;
	int st = settled(p);
	if (st == 0) {
		/* the FAT is not read yet */
		out->role = "unread";
		out->indexing = true;
		return 0;
	}
	if (st < 0) {
		/* it cannot be (the node's warning says why): used, as the
		 * map draws it, or the file the index found there */
		out->role = "used";
		if (da_fi_get(n))
			da_fi_describe(n, off, out);
		else
			out->indexing = true;
		return 0;
	}
	bool used = da_bitmap_test(p->used, k);
	bool bad = used && cluster_bad(p, k);
	/* allocated in the FAT but reached by no file: what fsck.fat calls
	 * lost clusters */
	out->role = !used ? "free" : bad ? "bad" : "lost";
	if (!da_fi_get(n)) {
		out->indexing = used;
		if (used && !bad)
			out->role = "file_data";
		return 0;
	}
	da_fi_describe(n, off, out);
	return 0;
}

static int fat_usage(struct da_node *n, uint64_t off, uint64_t len,
		     struct da_usage *out)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	int st = settled(p);
	if (st < 0)
		return -1;
	uint64_t end = da_usage_start(n, off, len, out);
	if (off >= end)
		return 0;
	/* metadata: everything before cluster 2 */
	da_usage_below(&out->metadata, &off, end, g->data_off);
	da_usage_heap(out, off, end, g->data_off, g->data_end,
		      st ? p->used : NULL, g->cs);
	return 0;
}

/* The clusters of [s, e) of the data area that no file holds: free,
 * bad, or allocated (lost, or file data until the index says). */
static void data_gap(struct da_roles *w, uint64_t s, uint64_t e, void *ctx)
{
	const struct fat_priv *p = ctx;
	const struct fat_geom *g = &p->g;
	if (settled(p) == 0) {
		/* the FAT is not read yet */
		da_roles_put(w, s, e, "unread");
		return;
	}
	const char *used = w->x ? "lost" : "file_data";
	for (size_t i = 0; i < p->nbad_runs && s < e; i++) {
		uint64_t bs = g->data_off + (uint64_t)p->bad_runs[i][0] * g->cs;
		uint64_t be = bs + (uint64_t)p->bad_runs[i][1] * g->cs;
		if (be <= s)
			continue;
		if (bs >= e)
			break;
		if (bs > s)
			da_roles_bits(w, p->used, g->data_off, g->cs, s, bs, used,
				      "free");
		uint64_t x = be < e ? be : e;
		da_roles_bits(w, p->used, g->data_off, g->cs,
			      bs > s ? bs : s, x, "bad", "free");
		s = x;
	}
	if (s < e)
		da_roles_bits(w, p->used, g->data_off, g->cs, s, e, used, "free");
}

static int fat_range_roles(struct da_node *n, uint64_t off, uint64_t len,
			   struct da_role_bytes *out, int max)
{
	struct fat_priv *p = n->priv;
	if (!p || settled(p) < 0)
		return -1;
	const struct fat_geom *g = &p->g;
	uint64_t size = n->dev->size;
	if (len > size || off > size - len)
		return -1;
	struct da_roles w;
	da_roles_init(&w, n, off, len, out, max);
	/* the reserved region: its few special sectors and the rest */
	uint64_t cut[10] = { 0, 1, g->fat_off / g->bps };
	size_t nc = 3;
	if (g->type == 32) {
		uint64_t b = g->backup, f = g->fsinfo;
		uint64_t at[] = { b, b + 1, f, f + 1, b + f, b + f + 1 };
		for (size_t i = 0; i < 6; i++)
			cut[nc++] = at[i];
	}
	for (size_t i = 1; i < nc; i++)         /* few: insertion sort */
		for (size_t j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
			uint64_t t = cut[j];
			cut[j] = cut[j - 1];
			cut[j - 1] = t;
		}
	uint64_t res_end = g->fat_off / g->bps;
	for (size_t i = 0; i + 1 < nc && cut[i] < res_end; i++) {
		uint64_t e = cut[i + 1] < res_end ? cut[i + 1] : res_end;
		if (e > cut[i])
			da_roles_put(&w, cut[i] * g->bps, e * g->bps,
				     reserved_role(g, cut[i]));
	}
	da_roles_put(&w, g->fat_off, g->fats_end, "fat");
	da_roles_put(&w, g->fats_end, g->data_off, "root_directory");
	da_roles_files(&w, g->data_off, g->data_end, data_gap, p);
	da_roles_put(&w, g->data_end, size, "unused");
	return da_roles_done(&w);
}

static void fat_free(struct da_node *n)
{
	struct fat_priv *p = n->priv;
	if (!p)
		return;
	da_bitmap_free(p->used);
	free(p);
	n->priv = NULL;
}

const struct da_plugin da_plugin_fat = {
	.name = "fat",
	.layer = DA_LAYER_FS,
	.probe = fat_probe,
	.scan = fat_scan,
	.build_index = fat_build_index,
	.describe_block = fat_describe_block,
	.usage = fat_usage,
	.range_roles = fat_range_roles,
	.free = fat_free,
	.settle = fat_settle,
	.settle_props = (const char *const[]){ "free_clusters", "bad_clusters",
					       "used", "free", NULL },
};
