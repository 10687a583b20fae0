/* exFAT, parsed from Microsoft's exFAT file system specification: the
 * boot region and its backup (checksums checked), the FAT, the allocation
 * bitmap, the up-case table and the root directory's volume entries.
 * exfat_index.c walks the directory entry sets into the file index.
 *
 * Address space: the filesystem's own device.  Blocks are sectors before
 * the cluster heap and clusters (numbered from 2) inside it.
 *
 * Usage: everything before the cluster heap is metadata; a cluster is
 * used when the allocation bitmap says so (the bitmap, not the FAT, is
 * the authority: files without a FAT chain leave their FAT entries 0);
 * bytes past the last whole cluster are free.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exfat.h"
#include "fileindex.h"

#define BOOT_SECTORS 12u           /* boot, 8 extended, OEM, reserved, checksum */
#define ROOT_SCAN_CLUSTERS 16u     /* where the scan looks for volume entries */

/* ---- the boot region ------------------------------------------------- */

static uint32_t boot_checksum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < len; i++) {
		if (i == 106 || i == 107 || i == 112)
			continue;  /* VolumeFlags and PercentInUse change */
		sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + b[i];
	}
	return sum;
}

/* Check the boot sector bs against a device of dev_size bytes and fill g;
 * 0 when it is exFAT, -1 with why when not. */
static int parse_boot(const uint8_t *bs, uint64_t dev_size,
		      struct exfat_geom *g, char *why, size_t whylen)
{
	memset(g, 0, sizeof(*g));
#define NOT(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)
	if (memcmp(bs + 3, "EXFAT   ", 8))
		NOT("no EXFAT signature");
	if (bs[510] != 0x55 || bs[511] != 0xAA)
		NOT("no 0x55AA boot signature");
	for (int i = 11; i < 64; i++)
		if (bs[i])
			NOT("byte %d of the legacy BPB is not zero", i);
	g->bps_bits = bs[108];
	g->spc_bits = bs[109];
	if (g->bps_bits < 9 || g->bps_bits > 12)
		NOT("bytes per sector shift %u", g->bps_bits);
	if (g->spc_bits > 25 - g->bps_bits)
		NOT("sectors per cluster shift %u", g->spc_bits);
	g->bps = 1u << g->bps_bits;
	g->spc = 1u << g->spc_bits;
	g->cs = g->bps << g->spc_bits;
	g->vol_sectors = le64(bs + 72);
	g->fat_sector = le32(bs + 80);
	g->fat_sectors = le32(bs + 84);
	g->heap_sector = le32(bs + 88);
	g->bpb_clusters = le32(bs + 92);
	g->root_cluster = le32(bs + 96);
	g->flags = le16(bs + 106);
	g->nfats = bs[110];
	if (g->nfats != 1 && g->nfats != 2)
		NOT("%u FATs", g->nfats);
	g->active = g->nfats == 2 ? (g->flags & 1) : 0;
	if (g->fat_sector < 24)
		NOT("FAT at sector %u, inside the boot regions", g->fat_sector);
	if (!g->fat_sectors)
		NOT("FAT of no sectors");
	uint64_t fats_end = (uint64_t)g->fat_sector +
			    (uint64_t)g->nfats * g->fat_sectors;
	if (g->heap_sector < fats_end)
		NOT("cluster heap (sector %u) overlaps the FATs", g->heap_sector);
	if (g->vol_sectors <= g->heap_sector)
		NOT("cluster heap (sector %u) past the volume (%llu sectors)",
		    g->heap_sector, (unsigned long long)g->vol_sectors);
	if (!g->bpb_clusters || g->bpb_clusters > 0xFFFFFFF5u ||
	    g->bpb_clusters > (g->vol_sectors - g->heap_sector) >> g->spc_bits)
		NOT("%u clusters do not fit the volume", g->bpb_clusters);
	if ((uint64_t)g->fat_sectors * g->bps / 4 < (uint64_t)g->bpb_clusters + 2)
		NOT("the FAT (%u sectors) is too small for %u clusters",
		    g->fat_sectors, g->bpb_clusters);
	if (g->root_cluster < 2 || g->root_cluster > g->bpb_clusters + 1)
		NOT("root directory cluster %u outside 2..%u", g->root_cluster,
		    g->bpb_clusters + 1);
	g->fat_off = ((uint64_t)g->fat_sector +
		      (uint64_t)g->active * g->fat_sectors) << g->bps_bits;
	g->fat_len = (uint64_t)g->fat_sectors << g->bps_bits;
	g->fats_end = fats_end << g->bps_bits;
	g->heap_off = (uint64_t)g->heap_sector << g->bps_bits;
	uint64_t vol = g->vol_sectors << g->bps_bits;
	/* an image cut before the cluster heap is still this volume, with
	 * no cluster on the device; a volume that fits its device and puts
	 * them past its end is not one */
	if ((g->fats_end > dev_size || g->heap_off > dev_size) &&
	    vol <= dev_size)
		NOT("the FATs or the cluster heap start past the end of the "
		    "device");
	g->clusters = g->bpb_clusters;
	/* the clusters the device holds, the last one perhaps only in
	 * part: a byte of a cluster the device's end cuts is still the
	 * volume's, with the role its bitmap and files give it (its reads
	 * fail, as any past the end do) */
	uint64_t on = dev_size > g->heap_off ? dev_size - g->heap_off : 0;
	uint64_t fit = on / g->cs + (on % g->cs != 0);
	if (fit < g->clusters)
		g->clusters = (uint32_t)fit;
	g->heap_end = g->heap_off + (uint64_t)g->clusters * g->cs;
	g->fs_end = vol < dev_size ? vol : dev_size;
#undef NOT
	return 0;
}

static enum da_probe exfat_probe(struct da_device *dev, da_error *err)
{
	uint8_t bs[512];
	if (dev->size < 24 * 512)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, bs, sizeof(bs), 0, err) < 0)
		return DA_PROBE_ERROR;
	if (memcmp(bs + 3, "EXFAT   ", 8))
		return DA_PROBE_NOT_MINE;
	/* the backup boot region may still hold a good copy: the scan
	 * decides and says why it cannot read one */
	da_trace("exfat on %s: signature found", dev->name);
	return DA_PROBE_FOUND;
}

/* Read the boot region at sector `first` (0, or 12 for the backup) and
 * check it; 0 when good, -1 with why.  The backup's place depends on the
 * sector size it declares: each size is tried. */
static int read_region(struct da_device *dev, uint32_t first, uint8_t *buf,
		       struct exfat_geom *g, char *why, size_t whylen)
{
	da_error e;
	uint64_t at = 0;
	int ok = -1;
	for (uint32_t bits = 9; bits <= 12 && ok < 0; bits++) {
		at = (uint64_t)first << bits;
		if (!range_ok(at, 512, dev->size) ||
		    da_device_read(dev, buf, 512, at, &e) < 0) {
			snprintf(why, whylen, "unreadable");
			break;
		}
		ok = parse_boot(buf, dev->size, g, why, whylen);
		if (ok == 0 && first && g->bps_bits != bits)
			ok = -1;
		if (!first)
			break;
	}
	if (ok < 0)
		return -1;
	size_t len = (size_t)BOOT_SECTORS << g->bps_bits;
	if (!range_ok(at, len, dev->size) ||
	    da_device_read(dev, buf, len, at, &e) < 0) {
		snprintf(why, whylen, "unreadable");
		return -1;
	}
	uint32_t sum = boot_checksum(buf, (size_t)11 << g->bps_bits);
	const uint8_t *cs = buf + ((size_t)11 << g->bps_bits);
	for (uint32_t i = 0; i < g->bps; i += 4)
		if (le32(cs + i) != sum) {
			snprintf(why, whylen, "checksum %08X, sector 11 says "
				 "%08X", sum, le32(cs + i));
			return -1;
		}
	return 0;
}

/* ---- names ----------------------------------------------------------- */

size_t exfat_utf8(const uint16_t *u, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t c = u[i];
		if (c == 0)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < len &&
		    u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		n = da_put_utf8(out, n, cap, c == '/' ? '_' : c);
	}
	return n;
}

/* ---- the root directory's volume entries ----------------------------- */

struct root_info {
	char label[64];
	bool has_label;
	uint32_t upcase_sum;
	char guid[40];
	int nbitmaps;
};

static uint32_t fat_next(struct da_device *dev, const struct exfat_geom *g,
			 uint32_t c)
{
	uint8_t b[4];
	if (da_device_read(dev, b, 4, g->fat_off + (uint64_t)c * 4, NULL) < 0)
		return 0xFFFFFFFFu;
	return le32(b);
}

static void meta_entry(struct exfat_meta *m, const struct exfat_geom *g,
		       const uint8_t *e, uint64_t off)
{
	m->found = true;
	m->first = le32(e + 20);
	m->size = le64(e + 24);
	m->entry_off = off;
	uint64_t n = (m->size + g->cs - 1) / g->cs;
	m->nclusters = n > g->clusters ? g->clusters : (uint32_t)n;
}

/* Read the first clusters of the root directory for the bitmap, up-case
 * and label entries (primary entries that live only there). */
static void read_root(struct da_device *dev, struct exfat_priv *p,
		      struct root_info *ri, struct da_node *n)
{
	const struct exfat_geom *g = &p->g;
	uint8_t *buf = malloc(g->cs);
	if (!buf)
		return;
	uint32_t c = g->root_cluster;
	bool end = false;
	if (!range_ok(exfat_cluster_off(g, c), g->cs, dev->size)) {
		/* inside the volume (parse_boot checks it), past the cut */
		p->root_cut = true;
		da_warn(n, "the root directory (cluster %u) lies past the "
			"device's end: where the allocation bitmap and the "
			"up-case table lie is not known, nor used and free",
			c);
		free(buf);
		return;
	}
	for (uint32_t k = 0; k < ROOT_SCAN_CLUSTERS && !end; k++) {
		if (!exfat_cluster_ok(g, c)) {
			da_warn(n, "root directory: cluster %u outside 2..%u",
				c, g->clusters + 1);
			break;
		}
		uint64_t at = exfat_cluster_off(g, c);
		if (da_device_read(dev, buf, g->cs, at, NULL) < 0) {
			da_warn(n, "root directory: cluster %u unreadable", c);
			break;
		}
		for (uint32_t i = 0; i + 32 <= g->cs; i += 32) {
			const uint8_t *e = buf + i;
			if (e[0] == 0x00) {
				end = true;
				break;
			}
			if (e[0] == 0x81) {
				/* with two FATs (TexFAT) each has a bitmap,
				 * flag bit 0 saying which */
				if (!p->bitmap.found ||
				    (e[1] & 1) == g->active)
					meta_entry(&p->bitmap, g, e, at + i);
				ri->nbitmaps++;
			} else if (e[0] == 0x82 && !p->upcase.found) {
				meta_entry(&p->upcase, g, e, at + i);
				ri->upcase_sum = le32(e + 4);
			} else if (e[0] == 0x83 && !ri->has_label) {
				uint16_t u[11];
				int cnt = e[1] > 11 ? 11 : e[1];
				for (int j = 0; j < cnt; j++)
					u[j] = le16(e + 2 + 2 * j);
				exfat_utf8(u, (size_t)cnt, ri->label,
					   sizeof(ri->label));
				ri->has_label = true;
			} else if (e[0] == 0xA0 && !ri->guid[0]) {
				da_guid_str(e + 6, ri->guid);
			}
		}
		uint32_t next = fat_next(dev, g, c);
		if (next >= 0xFFFFFFF8u)
			break;
		c = next;
	}
	free(buf);
}

/* Clusters [k0, k0 + n) from the bitmap bytes b (bit k0 is bit 0 of
 * b[0]): the used ones' runs, the free ones counted.  Eight bytes at a
 * time where they are all free or all used (most of a large disk). */
static void bitmap_piece(struct exfat_priv *p, struct da_bitmap_builder *r,
			 const uint8_t *b, uint64_t k0, uint64_t n)
{
	uint64_t i = 0;
	while (i < n) {
		if (i % 64 == 0 && n - i >= 64) {
			uint64_t w;
			memcpy(&w, b + i / 8, 8);
			if (w == 0) {
				p->free_clusters += 64;
				i += 64;
				continue;
			}
			if (w == UINT64_MAX) {
				da_bitmap_build(r, k0 + i, 64);
				i += 64;
				continue;
			}
		}
		if (b[i / 8] >> (i % 8) & 1)
			da_bitmap_build(r, k0 + i, 1);
		else
			p->free_clusters++;
		i++;
	}
}

/* The bytes of the allocation bitmap m that hold nbits bits. */
static uint64_t bitmap_len(const struct exfat_meta *m, uint64_t nbits)
{
	uint64_t need = (nbits + 7) / 8;
	return m->size < need ? m->size : need;
}

/* How many clusters the bitmap is read for: the whole volume's, as
 * dump.exfat counts them, also on an image cut short; the clusters on
 * the device when the cut leaves part of the bitmap out (a warning says
 * so). */
static uint32_t bitmap_bits(struct da_device *dev, const struct exfat_priv *p,
			    struct da_node *n)
{
	const struct exfat_geom *g = &p->g;
	const struct exfat_meta *m = &p->bitmap;
	if (g->clusters >= g->bpb_clusters || !m->found ||
	    !exfat_cluster_ok(g, m->first) ||
	    range_ok(exfat_cluster_off(g, m->first),
		     bitmap_len(m, g->bpb_clusters), dev->size))
		return g->bpb_clusters;
	if (range_ok(exfat_cluster_off(g, m->first),
		     bitmap_len(m, g->clusters), dev->size))
		da_warn(n, "the allocation bitmap past the device's end cannot "
			"be read: used and free count the %u clusters on the "
			"device only", g->clusters);
	return g->clusters;
}

/* Whether the image's cut leaves out the allocation bitmap's bits for the
 * clusters on the device (or the root directory that says where it is):
 * then none of used and free can be given, and a warning says why. */
static bool bitmap_cut(struct da_device *dev, const struct exfat_priv *p,
		       struct da_node *n)
{
	const struct exfat_geom *g = &p->g;
	const struct exfat_meta *m = &p->bitmap;
	if (p->root_cut)
		return true;    /* the scan said why */
	if (!m->found || m->first < 2 || m->first > g->bpb_clusters + 1u ||
	    range_ok(exfat_cluster_off(g, m->first),
		     bitmap_len(m, g->clusters), dev->size))
		return false;   /* readable, or damage load_bitmap names */
	da_warn(n, "the allocation bitmap (cluster %u) lies past the "
		"device's end: used and free are not known", m->first);
	return true;
}

/* The allocation bitmap (read contiguously, as the Linux driver does,
 * a piece at a time): fills p->used and p->free_clusters for nbits
 * clusters.  Clusters past the bitmap's bytes count as used. */
static int load_bitmap(struct da_device *dev, struct exfat_priv *p,
		       struct da_node *n, uint32_t nbits, da_error *err)
{
	enum { PIECE = 1 << 20 };
	const struct exfat_geom *g = &p->g;
	p->used = da_bitmap_new(nbits);
	if (!p->used)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	const struct exfat_meta *m = &p->bitmap;
	if (!m->found) {
		da_warn(n, "no allocation bitmap entry in the root directory: "
			"every cluster counted as used");
		da_bitmap_set_run(p->used, 0, nbits);
		da_bitmap_finish(p->used);
		return 0;
	}
	uint64_t len = bitmap_len(m, nbits);
	if (len < ((uint64_t)nbits + 7) / 8)
		da_warn(n, "allocation bitmap of %llu bytes for %u clusters: "
			"the rest counted as used",
			(unsigned long long)m->size, nbits);
	/* the heap's clusters the volume has: the bitmap lies in them */
	uint64_t heap_all = g->heap_off + (uint64_t)g->bpb_clusters * g->cs;
	if (!exfat_cluster_ok(g, m->first) ||
	    !range_ok(exfat_cluster_off(g, m->first), len, heap_all)) {
		da_warn(n, "allocation bitmap at cluster %u lies outside the "
			"cluster heap: every cluster counted as used",
			m->first);
		len = 0;
	}
	uint8_t *bm = malloc(PIECE);
	if (!bm)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	struct da_bitmap_builder r = { .b = p->used };
	uint64_t at = exfat_cluster_off(g, m->first);
	for (uint64_t done = 0; done < len; done += PIECE) {
		size_t nb = len - done > PIECE ? PIECE : (size_t)(len - done);
		if (da_device_read(dev, bm, nb, at + done, NULL) < 0) {
			/* as if none of it had been read */
			da_warn(n, "allocation bitmap unreadable: every cluster "
				"counted as used");
			da_bitmap_free(p->used);
			p->used = da_bitmap_new(nbits);
			p->free_clusters = 0;
			r = (struct da_bitmap_builder){ .b = p->used };
			len = 0;
			break;
		}
		uint64_t k0 = done * 8, nk = (uint64_t)nb * 8;
		if (nk > nbits - k0)
			nk = nbits - k0;
		bitmap_piece(p, &r, bm, k0, nk);
	}
	free(bm);
	if (!p->used)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	/* clusters the bitmap's bytes do not reach */
	if (len * 8 < nbits)
		da_bitmap_build(&r, len * 8, nbits - len * 8);
	if (da_bitmap_build_end(&r) < 0)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	return 0;
}

/* The up-case table's checksum, as its directory entry gives it. */
static void check_upcase(struct da_device *dev, const struct exfat_priv *p,
			 uint32_t want, struct da_node *n)
{
	const struct exfat_geom *g = &p->g;
	const struct exfat_meta *m = &p->upcase;
	if (!m->found && p->root_cut)
		return;   /* the scan said why */
	if (!m->found) {
		da_warn(n, "no up-case table entry in the root directory");
		return;
	}
	/* the table maps at most 65536 UTF-16 units */
	if (m->size == 0 || m->size > 2 * 65536 || !exfat_cluster_ok(g, m->first) ||
	    !range_ok(exfat_cluster_off(g, m->first), m->size, g->heap_end)) {
		da_warn(n, "up-case table of %llu bytes at cluster %u: out of "
			"bounds", (unsigned long long)m->size, m->first);
		return;
	}
	uint8_t *t = malloc(m->size);
	if (!t)
		return;
	if (da_device_read(dev, t, m->size, exfat_cluster_off(g, m->first),
			   NULL) == 0) {
		uint32_t sum = 0;
		for (uint64_t i = 0; i < m->size; i++)
			sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + t[i];
		if (sum != want)
			da_warn(n, "up-case table checksum %08X, its entry "
				"says %08X", sum, want);
	} else {
		da_warn(n, "up-case table at cluster %u cannot be read",
			m->first);
	}
	free(t);
}

/* ---- scan ------------------------------------------------------------ */

static struct da_node *exfat_scan(struct da_device *dev, da_error *err)
{
	uint8_t *reg = malloc((size_t)BOOT_SECTORS << 12);
	struct exfat_priv *p = calloc(1, sizeof(*p));
	if (!reg || !p) {
		free(reg);
		free(p);
		da_error_set(err, ENOMEM, "no memory");
		return NULL;
	}
	char mwhy[160] = "", bwhy[160] = "";
	struct exfat_geom bg;
	bool mok = read_region(dev, 0, reg, &p->g, mwhy, sizeof(mwhy)) == 0;
	bool bok = read_region(dev, BOOT_SECTORS, reg, &bg, bwhy,
			       sizeof(bwhy)) == 0;
	if (!mok && !bok) {
		da_error_set(err, EINVAL, "boot region: %s; backup boot region: "
			     "%s", mwhy, bwhy);
		free(reg);
		free(p);
		return NULL;
	}
	/* the boot sector (main, else backup) for the serial and revision */
	uint8_t bs[512];
	if (da_device_read(dev, bs, sizeof(bs),
			   mok ? 0 : (uint64_t)BOOT_SECTORS << bg.bps_bits,
			   err) < 0) {
		free(reg);
		free(p);
		return NULL;
	}
	free(reg);
	if (!mok)
		p->g = bg;
	struct exfat_geom *g = &p->g;
	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_exfat,
					dev);
	n->priv = p;
	if (!mok)
		da_warn(n, "boot region damaged (%s): using the backup", mwhy);
	else if (!bok)
		da_warn(n, "backup boot region: %s", bwhy);
	if (g->clusters < g->bpb_clusters)
		da_warn(n, "truncated: %u of %u clusters are on the device",
			g->clusters, g->bpb_clusters);

	struct root_info ri;
	memset(&ri, 0, sizeof(ri));
	read_root(dev, p, &ri, n);
	/* the allocation bitmap, which grows with the volume, is
	 * exfat_settle's */
	check_upcase(dev, p, ri.upcase_sum, n);

	struct da_value *v = n->props;
	char buf[64];
	da_obj_set_str(v, "fstype", "exfat");
	if (ri.has_label && ri.label[0])
		da_obj_set_str(v, "label", ri.label);
	uint32_t serial = le32(bs + 100);
	snprintf(buf, sizeof(buf), "%04X-%04X", serial >> 16, serial & 0xFFFF);
	da_obj_set_str(v, "volume_id", buf);
	if (ri.guid[0])
		da_obj_set_str(v, "volume_guid", ri.guid);
	snprintf(buf, sizeof(buf), "%u.%u", bs[105], bs[104]);
	da_obj_set_str(v, "version", buf);
	da_obj_set_int(v, "sector_size", g->bps);
	da_obj_set_int(v, "cluster_size", g->cs);
	da_obj_set_int(v, "clusters", g->bpb_clusters);
	/* not known until exfat_settle (settle_props) */
	da_obj_set_int(v, "free_clusters", -1);
	da_obj_set_int(v, "size", (int64_t)(g->vol_sectors << g->bps_bits));
	da_obj_set_int(v, "used", -1);
	da_obj_set_int(v, "free", -1);
	da_obj_set_int(v, "fat_count", g->nfats);
	da_obj_set_int(v, "fat_offset", (int64_t)((uint64_t)g->fat_sector <<
						  g->bps_bits));
	da_obj_set_int(v, "fat_size", (int64_t)g->fat_len);
	da_obj_set_int(v, "data_start", (int64_t)g->heap_off);
	da_obj_set_int(v, "root_cluster", g->root_cluster);
	if (p->bitmap.found)
		da_obj_set_int(v, "bitmap_cluster", p->bitmap.first);
	if (p->upcase.found)
		da_obj_set_int(v, "upcase_cluster", p->upcase.first);
	if (g->nfats == 2)
		da_obj_set_int(v, "active_fat", g->active);
	da_obj_set_bool(v, "dirty", g->flags & 2);
	if (bs[112] <= 100)
		da_obj_set_int(v, "percent_in_use", bs[112]);
	da_node_set_block_size(n, g->cs);
	return n;
}

static int settled(const struct exfat_priv *p)
{
	return __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
}

/* The allocation bitmap (16 MiB at 16 TiB of 128 KiB clusters, 512 MiB
 * of 4 KiB ones): after the explorer's first frames.  What it gives is
 * published with one release store; until then the clusters neither the
 * bitmap nor the up-case table holds are "unread". */
int exfat_settle(struct da_node *n, da_error *err)
{
	struct exfat_priv *p = n->priv;
	if (!p)
		return 0;
	int st = settled(p);
	if (st == 0) {
		const struct exfat_geom *g = &p->g;
		if (bitmap_cut(n->dev, p, n)) {
			/* every cluster "in use" for the file index, which
			 * then says none of a file's is free */
			p->used = da_bitmap_new(g->clusters);
			if (p->used) {
				da_bitmap_set_run(p->used, 0, g->clusters);
				da_bitmap_finish(p->used);
			}
			p->unknown = true;
			st = p->used ? 1 : -1;
			if (st < 0)
				da_error_set(&p->settle_err, ENOMEM,
					     "no memory for the bitmap");
			__atomic_store_n(&p->settled, st, __ATOMIC_RELEASE);
			if (st < 0 && err)
				*err = p->settle_err;
			return st < 0 ? -1 : 0;
		}
		uint32_t nbits = bitmap_bits(n->dev, p, n);
		if (load_bitmap(n->dev, p, n, nbits, &p->settle_err) < 0) {
			da_bitmap_free(p->used);
			p->used = NULL;
			st = -1;
		} else {
			da_node_fill_space(n, nbits, p->free_clusters, g->cs);
			st = 1;
		}
		__atomic_store_n(&p->settled, st, __ATOMIC_RELEASE);
	}
	if (st < 0 && err)
		*err = p->settle_err;
	return st < 0 ? -1 : 0;
}

/* ---- lookups --------------------------------------------------------- */

/* "clusters A-B" (B clipped to last) in out->governs; nothing when A is
 * past last. */
static void range_text(struct da_block_info *out, const char *what,
		       uint64_t a, uint64_t b, uint64_t last)
{
	if (a > last)
		return;
	if (b > last)
		b = last;
	snprintf(out->governs, sizeof(out->governs), "%s %llu-%llu", what,
		 (unsigned long long)a, (unsigned long long)b);
}

/* What a sector before the cluster heap describes. */
static void governs(const struct exfat_geom *g, uint64_t off,
		    struct da_block_info *out)
{
	uint64_t sector = off >> g->bps_bits;
	if (sector < 2 * BOOT_SECTORS) {
		static const char *const what[BOOT_SECTORS] = {
			"the volume's geometry", "extended boot code",
			"extended boot code", "extended boot code",
			"extended boot code", "extended boot code",
			"extended boot code", "extended boot code",
			"extended boot code", "OEM parameters", "reserved",
			"the checksum of sectors 0-10",
		};
		snprintf(out->governs, sizeof(out->governs), "%s%s",
			 what[sector % BOOT_SECTORS],
			 sector >= BOOT_SECTORS ? " (backup)" : "");
		return;
	}
	uint64_t fat0 = (uint64_t)g->fat_sector << g->bps_bits;
	if (off >= fat0 && off < g->fats_end) {
		/* each copy of the FAT: entry k is cluster k */
		uint64_t in = (off - fat0) % g->fat_len;
		uint64_t first = in / g->bps * g->bps / 4;
		range_text(out, "clusters", first < 2 ? 2 : first,
			   first + g->bps / 4 - 1, g->clusters + 1ull);
	}
}

static bool in_meta(const struct exfat_meta *m, uint32_t c)
{
	return m->found && c >= m->first && c - m->first < m->nclusters;
}

/* The role of a byte outside the cluster heap. */
static const char *outside_role(const struct exfat_geom *g, uint64_t off)
{
	uint64_t sector = off >> g->bps_bits;
	return sector < BOOT_SECTORS ? "boot_region" :
	       sector < 2 * BOOT_SECTORS ? "backup_boot_region" :
	       sector < g->fat_sector ? "reserved" :
	       off < g->fats_end ? "fat" :
	       off < g->heap_off ? "padding" : "unused";
}

static int exfat_describe_block(struct da_node *n, uint64_t off,
				struct da_block_info *out)
{
	struct exfat_priv *p = n->priv;
	const struct exfat_geom *g = &p->g;
	da_block_info_init(out);
	if (off >= n->dev->size)
		return -1;
	uint64_t sector = off >> g->bps_bits;
	if (off < g->heap_off || off >= g->heap_end) {
		out->block = (int64_t)sector;
		out->role = outside_role(g, off);
		governs(g, off, out);
		return 0;
	}
	uint32_t k = (uint32_t)((off - g->heap_off) / g->cs);
	uint32_t c = k + 2;
	out->block = c;
	if (da_fi_describe(n, off, out) == 1) {
		if (out->role && !strcmp(out->role, "allocation_bitmap") &&
		    in_meta(&p->bitmap, c)) {
			uint64_t bit = (off - exfat_cluster_off(g, p->bitmap.first)) /
				       g->bps * g->bps * 8;
			range_text(out, "clusters", bit + 2,
				   bit + 2 + g->bps * 8ull - 1, g->clusters + 1ull);
		}
		return 0;
	}
	bool indexing = out->indexing;
	int st = settled(p);
	/* not read yet, or no memory to read it: used, as the map draws
	 * it */
	bool used = st <= 0 || da_bitmap_test(p->used, k);
	out->indexing = false;
	if (in_meta(&p->bitmap, c)) {
		out->role = "allocation_bitmap";
		/* bit k of the bitmap is cluster k + 2 */
		uint64_t bit = (off - exfat_cluster_off(g, p->bitmap.first)) /
			       g->bps * g->bps * 8;
		range_text(out, "clusters", bit + 2, bit + 2 + g->bps * 8ull - 1,
			   g->clusters + 1ull);
	}
	else if (in_meta(&p->upcase, c))
		out->role = "upcase_table";
	else if (st == 0)
		out->role = "unread", out->indexing = true;
	else if (p->unknown)
		out->role = "unknown";  /* the cut left the bitmap out */
	else if (!used)
		out->role = "free";
	else if (indexing)
		out->role = "used", out->indexing = true;
	else
		out->role = "lost";  /* allocated, but no file reaches it */
	return 0;
}

static int exfat_usage(struct da_node *n, uint64_t off, uint64_t len,
		       struct da_usage *out)
{
	struct exfat_priv *p = n->priv;
	const struct exfat_geom *g = &p->g;
	int st = settled(p);
	if (st < 0 || (st > 0 && p->unknown))
		return -1;
	uint64_t end = da_usage_start(n, off, len, out);
	if (off >= end)
		return 0;
	da_usage_below(&out->metadata, &off, end, g->heap_off);
	da_usage_heap(out, off, end, g->heap_off, g->heap_end,
		      st ? p->used : NULL, g->cs);
	return 0;
}

/* Few cut points, sorted in place. */
static void sort_cuts(uint64_t *c, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && c[j - 1] > c[j]; j--) {
			uint64_t t = c[j];
			c[j] = c[j - 1];
			c[j - 1] = t;
		}
}

/* The bytes of the heap a file the scan knows covers (in_meta's
 * clusters). */
static void meta_bytes(const struct exfat_geom *g, const struct exfat_meta *m,
		       uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = g->heap_off;
	if (!m->found)
		return;
	uint64_t first = m->first < 2 ? 2 : m->first;
	uint64_t last = (uint64_t)m->first + m->nclusters;
	if (last <= first)
		return;
	*lo = g->heap_off + (first - 2) * g->cs;
	*hi = g->heap_off + (last - 2) * g->cs;
	if (*hi > g->heap_end)
		*hi = g->heap_end;
	if (*lo > *hi)
		*lo = *hi;
}

/* The clusters of [s, e) of the heap no file holds: the bitmap's and
 * the up-case table's (the scan knows them before the index), else the
 * allocation bitmap's used or free. */
static void heap_gap(struct da_roles *w, uint64_t s, uint64_t e, void *ctx)
{
	const struct exfat_priv *p = ctx;
	const struct exfat_geom *g = &p->g;
	uint64_t c[6] = { s, e };
	meta_bytes(g, &p->bitmap, &c[2], &c[3]);
	meta_bytes(g, &p->upcase, &c[4], &c[5]);
	sort_cuts(c, 6);
	for (size_t i = 0; i + 1 < 6; i++) {
		uint64_t a = c[i] > s ? c[i] : s, b = c[i + 1] < e ? c[i + 1] : e;
		if (a >= b)
			continue;
		uint32_t k = (uint32_t)((a - g->heap_off) / g->cs);
		if (in_meta(&p->bitmap, k + 2))
			da_roles_put(w, a, b, "allocation_bitmap");
		else if (in_meta(&p->upcase, k + 2))
			da_roles_put(w, a, b, "upcase_table");
		else if (settled(p) == 0)
			da_roles_put(w, a, b, "unread");
		else if (p->unknown)
			da_roles_put(w, a, b, "unknown");
		else
			da_roles_bits(w, p->used, g->heap_off, g->cs, a, b,
				      w->x ? "lost" : "used", "free");
	}
}

static int exfat_range_roles(struct da_node *n, uint64_t off, uint64_t len,
			     struct da_role_bytes *out, int max)
{
	struct exfat_priv *p = n->priv;
	if (!p)
		return -1;
	const struct exfat_geom *g = &p->g;
	uint64_t size = n->dev->size;
	if (len > size || off > size - len || g->heap_end < g->heap_off ||
	    settled(p) < 0)
		return -1;
	struct da_roles w;
	da_roles_init(&w, n, off, len, out, max);
	/* the roles outside the heap change only at these */
	uint64_t c[8] = { 0, (uint64_t)BOOT_SECTORS << g->bps_bits,
			  (uint64_t)2 * BOOT_SECTORS << g->bps_bits,
			  (uint64_t)g->fat_sector << g->bps_bits, g->fats_end,
			  g->heap_off, g->heap_end, size };
	sort_cuts(c, 8);
	for (size_t i = 0; i + 1 < 8; i++) {
		uint64_t a = c[i], b = c[i + 1] < size ? c[i + 1] : size;
		if (a >= b)
			continue;
		if (a >= g->heap_off && a < g->heap_end)
			da_roles_files(&w, a, b, heap_gap, p);
		else
			da_roles_put(&w, a, b, outside_role(g, a));
	}
	return da_roles_done(&w);
}

static void exfat_free(struct da_node *n)
{
	struct exfat_priv *p = n->priv;
	if (!p)
		return;
	da_bitmap_free(p->used);
	free(p);
	n->priv = NULL;
}

const struct da_plugin da_plugin_exfat = {
	.name = "exfat",
	.layer = DA_LAYER_FS,
	.probe = exfat_probe,
	.scan = exfat_scan,
	.build_index = exfat_build_index,
	.describe_block = exfat_describe_block,
	.usage = exfat_usage,
	.range_roles = exfat_range_roles,
	.free = exfat_free,
	.settle = exfat_settle,
	.settle_props = (const char *const[]){ "free_clusters", "used", "free",
					       NULL },
};
