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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FAT_MAX_DIR_BYTES (65536u * 32u)   /* a directory holds <= 65536 entries */
#define FAT_MAX_DEPTH 128
#define FAT_MAX_FILES (16u << 20)
#define FAT_MAX_FAT_BYTES (1024ull << 20)
#define FAT_MAX_BAD 4096                    /* bad runs kept for roles */

extern const struct da_plugin da_plugin_fat;

struct fat_geom {
	int type;                  /* 12, 16, 32 */
	uint32_t bps, spc, cs;     /* bytes/sector, sectors/cluster, bytes/cluster */
	uint32_t reserved, nfats, root_entries;
	uint64_t total_sectors, fat_sectors;
	uint32_t root_cluster, fsinfo, backup;
	uint32_t active;           /* FAT copy the driver uses */
	uint64_t fat_off;          /* first FAT, bytes */
	uint64_t fats_end;         /* end of the last FAT, bytes */
	uint64_t root_off, root_len;   /* FAT12/16 root region, bytes */
	uint64_t data_off, data_end;   /* cluster 2 .. clusters+1 */
	uint64_t fs_end;           /* min(filesystem size, device size) */
	uint32_t clusters;         /* usable clusters after clamping */
	uint32_t bpb_clusters;     /* what the BPB describes */
	uint32_t bad, eoc;         /* bad-cluster mark, first end-of-chain */
	uint8_t media;
};

/* One run of consecutive clusters of a file, in chain order. */
struct fat_run {
	uint32_t start, len;       /* cluster numbers */
	uint32_t file;             /* index into files */
};

struct fat_file {
	char *name;
	uint32_t parent;           /* index into files; the root is 0 */
	uint32_t depth;
	uint32_t first_cluster;
	uint32_t run_first, nruns;
	uint64_t size;
	int64_t inode;
	bool dir;
	bool cross;                /* its first cluster had another owner */
};

struct fat_index {
	struct fat_file *files;
	size_t nfiles, cap;
	struct fat_run *runs;
	size_t nruns, rcap;
	uint32_t *order;           /* runs sorted by start cluster */
	uint32_t *maxend;          /* prefix maximum of run ends in order */
	uint64_t conflicts;        /* clusters claimed twice */
	uint8_t *visited, *owned;  /* bit arrays over clusters (build only) */
	const uint8_t *fat;        /* (build only) */
	uint64_t budget;           /* chain steps left (build only) */
	char warning[256];
};

struct fat_priv {
	struct fat_geom g;
	struct da_bitmap *used;    /* bit k = cluster k + 2 */
	uint32_t bad_runs[FAT_MAX_BAD][2];
	size_t nbad_runs;
	uint64_t free_clusters, bad_clusters;
	struct fat_index *idx;     /* valid once ready */
	int ready;
};

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
	bool fat32 = fat16sz == 0;
	if (fat32 && (g->root_entries || tot16))
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

/* Bytes of one FAT that entries 0 .. n-1 take. */
static uint64_t fat_bytes_for(int type, uint64_t n)
{
	return type == 12 ? (n * 3 + 1) / 2 : type == 16 ? n * 2 : n * 4;
}

/* Clamp the clusters to what the FAT can describe and the device holds;
 * returns a warning or NULL. */
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
	uint64_t fit = (dev_size - g->data_off) / g->cs;
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
	da_trace("fat on %s: FAT%d, %u clusters of %u bytes", dev->name,
		 g.type, g.clusters, g.cs);
	return DA_PROBE_FOUND;
}

/* ---- the FAT --------------------------------------------------------- */

static uint32_t fat_get(const struct fat_geom *g, const uint8_t *fat,
			uint32_t c)
{
	if (g->type == 12) {
		uint32_t o = c + c / 2;
		uint32_t v = le16(fat + o);
		return c & 1 ? v >> 4 : v & 0xFFF;
	}
	if (g->type == 16)
		return le16(fat + 2 * (size_t)c);
	return le32(fat + 4 * (size_t)c) & 0x0FFFFFFF;
}

/* Read the active FAT's entries 0 .. clusters+1 (one spare byte of zeros
 * so that FAT12's last entry reads two bytes). */
static uint8_t *load_fat(struct da_device *dev, const struct fat_geom *g,
			 da_error *err)
{
	uint64_t len = fat_bytes_for(g->type, (uint64_t)g->clusters + 2);
	if (len > FAT_MAX_FAT_BYTES) {
		da_error_set(err, EFBIG, "FAT of %llu bytes is too large",
			     (unsigned long long)len);
		return NULL;
	}
	uint8_t *fat = calloc(1, len + 2);
	if (!fat) {
		da_error_set(err, ENOMEM, "no memory for a FAT of %llu bytes",
			     (unsigned long long)len);
		return NULL;
	}
	uint64_t off = g->fat_off + (uint64_t)g->active * g->fat_sectors *
		       g->bps;
	for (uint64_t done = 0; done < len;) {
		size_t chunk = len - done > (1u << 20) ? (1u << 20)
						       : (size_t)(len - done);
		if (da_device_read(dev, fat + done, chunk, off + done, err) < 0) {
			free(fat);
			return NULL;
		}
		done += chunk;
	}
	return fat;
}

/* ---- names ----------------------------------------------------------- */

/* Short names are in the OEM code page; we read them as CP850, which is
 * what mtools writes. */
static const uint16_t cp850[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00f8, 0x00a3, 0x00d8, 0x00d7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x00ae, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00c1, 0x00c2, 0x00c0,
	0x00a9, 0x2563, 0x2551, 0x2557, 0x255d, 0x00a2, 0x00a5, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x00e3, 0x00c3,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x00a4,
	0x00f0, 0x00d0, 0x00ca, 0x00cb, 0x00c8, 0x0131, 0x00cd, 0x00ce,
	0x00cf, 0x2518, 0x250c, 0x2588, 0x2584, 0x00a6, 0x00cc, 0x2580,
	0x00d3, 0x00df, 0x00d4, 0x00d2, 0x00f5, 0x00d5, 0x00b5, 0x00fe,
	0x00de, 0x00da, 0x00db, 0x00d9, 0x00fd, 0x00dd, 0x00af, 0x00b4,
	0x00ad, 0x00b1, 0x2017, 0x00be, 0x00b6, 0x00a7, 0x00f7, 0x00b8,
	0x00b0, 0x00a8, 0x00b7, 0x00b9, 0x00b3, 0x00b2, 0x25a0, 0x00a0,
};

/* Append code point cp as UTF-8; returns the new length (never past
 * cap - 1, always NUL-terminated). */
static size_t put_utf8(char *out, size_t n, size_t cap, uint32_t cp)
{
	char b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	if (n + k < cap) {
		memcpy(out + n, b, k);
		n += k;
	}
	out[n] = 0;
	return n;
}

static size_t put_oem(char *out, size_t n, size_t cap, uint8_t c, bool lower)
{
	if (c >= 0x80)
		return put_utf8(out, n, cap, cp850[c - 0x80]);
	if (lower && c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	/* a path separator in a name would forge a path */
	return put_utf8(out, n, cap, c < 0x20 ? '?' : c == '/' ? '_' : c);
}

/* The 8.3 name of a directory entry, with the NT case bits (0x08 lower
 * case base, 0x10 lower case extension) that Windows and mtools set. */
static void short_name(const uint8_t *e, char *out, size_t cap)
{
	int blen = 8, elen = 3;
	while (blen > 0 && e[blen - 1] == ' ')
		blen--;
	while (elen > 0 && e[8 + elen - 1] == ' ')
		elen--;
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < blen; i++)
		n = put_oem(out, n, cap, i == 0 && e[0] == 0x05 ? 0xE5 : e[i],
			    e[12] & 0x08);
	if (elen) {
		n = put_utf8(out, n, cap, '.');
		for (int i = 0; i < elen; i++)
			n = put_oem(out, n, cap, e[8 + i], e[12] & 0x10);
	}
}

static uint8_t lfn_checksum(const uint8_t *e)
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + e[i]);
	return sum;
}

/* A long name being collected from LFN entries (which come last part
 * first, just before their short entry). */
struct lfn {
	uint16_t u[20 * 13 + 1];
	int expect;                /* sequence number of the next entry */
	int total;
	uint8_t sum;
	bool valid;
};

static void lfn_entry(struct lfn *l, const uint8_t *e)
{
	static const int pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24,
				     28, 30 };
	int seq = e[0] & 0x1F;
	if (e[0] & 0x40) {
		l->valid = seq >= 1 && seq <= 20;
		l->total = seq;
		l->sum = e[13];
		memset(l->u, 0, sizeof(l->u));
	} else if (!l->valid || seq != l->expect || e[13] != l->sum) {
		l->valid = false;
		return;
	}
	if (!l->valid)
		return;
	for (int i = 0; i < 13; i++)
		l->u[(seq - 1) * 13 + i] = le16(e + pos[i]);
	l->expect = seq - 1;
}

/* UTF-16 to UTF-8; false if the name is empty. */
static bool lfn_name(const struct lfn *l, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	int len = l->total * 13;
	for (int i = 0; i < len; i++) {
		uint32_t c = l->u[i];
		if (c == 0 || c == 0xFFFF)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < len &&
		    l->u[i + 1] >= 0xDC00 && l->u[i + 1] < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) +
			    (l->u[i + 1] - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		n = put_utf8(out, n, cap, c == '/' ? '_' : c);
	}
	return n > 0;
}

/* ---- the file index -------------------------------------------------- */

static bool bit_get(const uint8_t *b, uint32_t i)
{
	return b[i >> 3] & (1u << (i & 7));
}
static void bit_set(uint8_t *b, uint32_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static void bit_clear(uint8_t *b, uint32_t i)
{
	b[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static void idx_warn(struct fat_index *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void idx_warn(struct fat_index *x, const char *fmt, ...)
{
	if (x->warning[0])
		return;            /* the first problem is the telling one */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->warning, sizeof(x->warning), fmt, ap);
	va_end(ap);
}

static int add_run(struct fat_index *x, uint32_t c, uint32_t file)
{
	struct fat_file *f = &x->files[file];
	if (f->nruns) {
		struct fat_run *r = &x->runs[x->nruns - 1];
		if (c == r->start + r->len) {
			r->len++;
			return 0;
		}
	}
	if (x->nruns == x->rcap) {
		size_t cap = x->rcap ? x->rcap * 2 : 1024;
		struct fat_run *r = realloc(x->runs, cap * sizeof(*r));
		if (!r)
			return -1;
		x->runs = r;
		x->rcap = cap;
	}
	if (!f->nruns)
		f->run_first = (uint32_t)x->nruns;
	x->runs[x->nruns++] = (struct fat_run){ c, 1, file };
	f->nruns++;
	return 0;
}

/* Follow the chain of file from cluster c: runs in chain order, loops
 * and links out of range stop it with a warning. */
static int follow_chain(struct fat_index *x, const struct fat_geom *g,
			uint32_t file, uint32_t c)
{
	uint32_t last = g->clusters + 1;
	if (c < 2 || c > last) {
		idx_warn(x, "%s starts at cluster %u, outside 2..%u",
			 x->files[file].name, c, last);
		return 0;
	}
	int rc = 0;
	for (;;) {
		if (!x->budget) {
			idx_warn(x, "cross-linked chains: gave up following");
			break;
		}
		x->budget--;
		uint32_t k = c - 2;
		if (bit_get(x->visited, k)) {
			idx_warn(x, "%s: cluster chain loops at cluster %u",
				 x->files[file].name, c);
			break;
		}
		bit_set(x->visited, k);
		if (bit_get(x->owned, k)) {
			x->conflicts++;
			if (!x->files[file].nruns)
				x->files[file].cross = true;
		}
		bit_set(x->owned, k);
		if (add_run(x, c, file) < 0) {
			rc = -1;
			break;
		}
		uint32_t v = fat_get(g, x->fat, c);
		if (v >= g->eoc)
			break;
		if (v < 2 || v > last) {
			idx_warn(x, "%s: cluster %u links to %s %#x",
				 x->files[file].name, c,
				 v == 0 ? "free" : v == g->bad ? "bad" :
				 "invalid", v);
			break;
		}
		c = v;
	}
	/* clear what this chain visited: the visited set is per chain */
	struct fat_file *f = &x->files[file];
	for (uint32_t i = 0; i < f->nruns; i++) {
		const struct fat_run *r = &x->runs[f->run_first + i];
		for (uint32_t j = 0; j < r->len; j++)
			bit_clear(x->visited, r->start + j - 2);
	}
	return rc;
}

static int64_t entry_inode(const struct fat_geom *g, uint64_t entry_off)
{
	return 3 + (int64_t)((entry_off - g->fats_end) / 32);
}

static int add_file(struct fat_index *x, const char *name, uint32_t parent,
		    const uint8_t *e, uint64_t entry_off,
		    const struct fat_geom *g)
{
	if (x->nfiles >= FAT_MAX_FILES) {
		idx_warn(x, "more than %u files: index stops", FAT_MAX_FILES);
		return 1;
	}
	if (x->nfiles == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		struct fat_file *f = realloc(x->files, cap * sizeof(*f));
		if (!f)
			return -1;
		x->files = f;
		x->cap = cap;
	}
	struct fat_file *f = &x->files[x->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = da_strdup(name);
	f->parent = parent;
	f->depth = parent == 0 && x->nfiles == 0 ? 0 :
		   x->files[parent].depth + 1;
	if (e) {
		f->dir = e[11] & 0x10;
		f->size = f->dir ? 0 : le32(e + 28);
		f->first_cluster = le16(e + 26);
		if (g->type == 32)
			f->first_cluster |= (uint32_t)le16(e + 20) << 16;
		f->inode = entry_inode(g, entry_off);
	} else {
		f->dir = true;
		f->inode = 2;
	}
	x->nfiles++;
	return 0;
}

/* Read the directory file (its runs already followed) into a buffer:
 * the fixed root region, or its clusters up to the 65536-entry limit. */
static uint8_t *read_dir(struct da_device *dev, const struct fat_geom *g,
			 struct fat_index *x, uint32_t file, size_t *len,
			 uint64_t **offs, da_error *err)
{
	struct fat_file *f = &x->files[file];
	uint64_t want = 0;
	if (file == 0 && g->type != 32) {
		want = g->root_len;
	} else {
		for (uint32_t i = 0; i < f->nruns; i++)
			want += (uint64_t)x->runs[f->run_first + i].len * g->cs;
	}
	if (want > FAT_MAX_DIR_BYTES) {
		idx_warn(x, "%s: directory longer than 65536 entries",
			 f->name);
		want = FAT_MAX_DIR_BYTES;
	}
	/* offs[k]: where byte k * cs of the buffer lives (cluster starts) */
	size_t ncl = (size_t)(want / g->cs) + 1;
	uint8_t *buf = malloc(want ? want : 1);
	uint64_t *o = calloc(ncl, sizeof(*o));
	if (!buf || !o) {
		free(buf);
		free(o);
		da_error_set(err, ENOMEM, "no memory for a directory");
		return NULL;
	}
	if (file == 0 && g->type != 32) {
		if (da_device_read(dev, buf, want, g->root_off, err) < 0)
			goto fail;
		for (size_t k = 0; k < ncl; k++)
			o[k] = g->root_off + k * (uint64_t)g->cs;
	} else {
		uint64_t done = 0;
		size_t k = 0;
		for (uint32_t i = 0; i < f->nruns && done < want; i++) {
			const struct fat_run *r = &x->runs[f->run_first + i];
			for (uint32_t j = 0; j < r->len && done < want; j++) {
				uint64_t at = g->data_off +
					(uint64_t)(r->start + j - 2) * g->cs;
				if (da_device_read(dev, buf + done, g->cs, at,
						   err) < 0)
					goto fail;
				o[k++] = at;
				done += g->cs;
			}
		}
	}
	*len = want;
	*offs = o;
	return buf;
fail:
	free(buf);
	free(o);
	return NULL;
}

/* Parse directory file's entries, adding its children.  label_out (the
 * root only) gets the volume label entry. */
static int walk_dir(struct da_device *dev, const struct fat_geom *g,
		    struct fat_index *x, uint32_t file, char *label_out,
		    size_t label_len, da_error *err)
{
	size_t len = 0;
	uint64_t *offs = NULL;
	uint8_t *buf = read_dir(dev, g, x, file, &len, &offs, err);
	if (!buf)
		return -1;
	struct lfn l = { .valid = false };
	char name[1024];
	int rc = 0;
	for (size_t p = 0; p + 32 <= len; p += 32) {
		const uint8_t *e = buf + p;
		if (e[0] == 0x00)
			break;
		if (e[0] == 0xE5) {
			l.valid = false;
			continue;
		}
		if ((e[11] & 0x3F) == 0x0F) {
			lfn_entry(&l, e);
			continue;
		}
		if (e[11] & 0x08) {
			if (label_out && !(e[11] & 0x10)) {
				/* 11 characters, no dot, trailing blanks */
				int k = 11;
				while (k > 0 && (e[k - 1] == ' ' || !e[k - 1]))
					k--;
				size_t m = 0;
				label_out[0] = 0;
				for (int i = 0; i < k; i++)
					m = put_oem(label_out, m, label_len,
						    e[i], false);
				label_out = NULL;
			}
			l.valid = false;
			continue;
		}
		bool have_lfn = l.valid && l.expect == 0 &&
				l.sum == lfn_checksum(e) &&
				lfn_name(&l, name, sizeof(name));
		l.valid = false;
		if (!have_lfn)
			short_name(e, name, sizeof(name));
		if (e[0] == '.' && (!strcmp(name, ".") || !strcmp(name, "..")))
			continue;
		uint64_t at = offs[p / g->cs] + p % g->cs;
		int r = add_file(x, name, file, e, at, g);
		if (r) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		uint32_t child = (uint32_t)x->nfiles - 1;
		struct fat_file *cf = &x->files[child];
		if (cf->first_cluster &&
		    follow_chain(x, g, child, cf->first_cluster) < 0) {
			rc = -1;
			break;
		}
	}
	free(buf);
	free(offs);
	if (rc < 0)
		da_error_set(err, ENOMEM, "no memory for the file index");
	return rc;
}

static int cmp_u32_run(const void *a, const void *b, void *arg)
{
	const struct fat_run *r = arg;
	uint32_t x = r[*(const uint32_t *)a].start;
	uint32_t y = r[*(const uint32_t *)b].start;
	return x < y ? -1 : x > y;
}

static void index_free(struct fat_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nfiles; i++)
		free(x->files[i].name);
	free(x->files);
	free(x->runs);
	free(x->order);
	free(x->maxend);
	free(x->visited);
	free(x->owned);
	free(x);
}

/* Sort the runs by cluster for lookups. */
static int index_finish(struct fat_index *x)
{
	x->order = malloc((x->nruns + 1) * sizeof(*x->order));
	x->maxend = malloc((x->nruns + 1) * sizeof(*x->maxend));
	if (!x->order || !x->maxend)
		return -1;
	for (size_t i = 0; i < x->nruns; i++)
		x->order[i] = (uint32_t)i;
	qsort_r(x->order, x->nruns, sizeof(*x->order), cmp_u32_run, x->runs);
	uint32_t m = 0;
	for (size_t i = 0; i < x->nruns; i++) {
		const struct fat_run *r = &x->runs[x->order[i]];
		if (r->start + r->len > m)
			m = r->start + r->len;
		x->maxend[i] = m;
	}
	return 0;
}

static int fat_build_index(struct da_node *n, da_error *err)
{
	struct fat_priv *p = n->priv;
	if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
		return 0;
	const struct fat_geom *g = &p->g;
	struct fat_index *x = calloc(1, sizeof(*x));
	if (!x)
		return da_error_set(err, ENOMEM, "no memory for the file index");
	uint8_t *fat = load_fat(n->dev, g, err);
	size_t bits = ((size_t)g->clusters + 7) / 8 + 1;
	x->visited = calloc(1, bits);
	x->owned = calloc(1, bits);
	int rc = 0;
	if (!fat || !x->visited || !x->owned) {
		if (fat)
			da_error_set(err, ENOMEM, "no memory for the file index");
		rc = -1;
		goto publish;
	}
	x->fat = fat;
	x->budget = 8ull * g->clusters + (1u << 20);
	if (add_file(x, "/", 0, NULL, 0, g) != 0) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	if (g->type == 32 && follow_chain(x, g, 0, g->root_cluster) < 0) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	/* breadth first: files[] is the queue; a directory whose first
	 * cluster another file already owns is not entered again, which
	 * bounds the walk on directory loops */
	for (size_t i = 0; i < x->nfiles; i++) {
		struct fat_file *f = &x->files[i];
		if (!f->dir)
			continue;
		if (i > 0) {
			if (!f->nruns)
				continue;
			if (f->cross) {
				idx_warn(x, "%s: directory loops back to "
					 "another directory", f->name);
				continue;
			}
			if (f->depth > FAT_MAX_DEPTH) {
				idx_warn(x, "directories nested deeper than "
					 "%d", FAT_MAX_DEPTH);
				continue;
			}
		}
		da_error e = { 0 };
		if (walk_dir(n->dev, g, x, (uint32_t)i, NULL, 0, &e) < 0) {
			if (e.code == ENOMEM) {
				rc = da_error_set(err, ENOMEM, "%s", e.msg);
				break;
			}
			idx_warn(x, "directory %s: %s", x->files[i].name,
				 e.msg);
		}
	}
publish:
	free(fat);
	x->fat = NULL;
	free(x->visited);
	free(x->owned);
	x->visited = x->owned = NULL;
	if (index_finish(x) < 0 && rc == 0)
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
	if (x->conflicts && !x->warning[0])
		snprintf(x->warning, sizeof(x->warning),
			 "%llu clusters claimed by more than one file",
			 (unsigned long long)x->conflicts);
	if (x->warning[0] && !n->reason)
		da_node_set_reason(n, "file index: %s", x->warning);
	p->idx = x;
	__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
	return rc;
}

/* The index of the last run (in order) starting at or before cluster c,
 * or -1. */
static long find_run(const struct fat_index *x, uint32_t c)
{
	long lo = 0, hi = (long)x->nruns - 1, ans = -1;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		if (x->runs[x->order[mid]].start <= c) {
			ans = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return ans;
}

/* The run holding cluster c (the earliest file's when several do), how
 * many runs hold it in *count; NULL when none. */
static const struct fat_run *owner_of(const struct fat_index *x, uint32_t c,
				      int *count)
{
	const struct fat_run *best = NULL;
	*count = 0;
	long i = find_run(x, c);
	for (int guard = 0; i >= 0 && x->maxend[i] > c && guard < 4096;
	     i--, guard++) {
		const struct fat_run *r = &x->runs[x->order[i]];
		if (c >= r->start && c < r->start + r->len) {
			(*count)++;
			if (!best || r->file < best->file)
				best = r;
		}
	}
	return best;
}

static void file_path(const struct fat_index *x, uint32_t file, char *out,
		      size_t cap)
{
	uint32_t chain[FAT_MAX_DEPTH + 8];
	int n = 0;
	for (uint32_t f = file; f != 0 && n < (int)(sizeof(chain) /
						    sizeof(chain[0]));
	     f = x->files[f].parent)
		chain[n++] = f;
	size_t len = 0;
	out[0] = 0;
	if (n == 0)
		snprintf(out, cap, "/");
	while (n-- > 0 && len + 1 < cap) {
		int k = snprintf(out + len, cap - len, "/%s",
				 x->files[chain[n]].name);
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

/* ---- scan ------------------------------------------------------------ */

static bool cluster_bad(const struct fat_priv *p, uint32_t k)
{
	for (size_t i = 0; i < p->nbad_runs; i++)
		if (k >= p->bad_runs[i][0] &&
		    k < p->bad_runs[i][0] + p->bad_runs[i][1])
			return true;
	return false;
}

/* The used/free bitmap from the FAT, and the bad clusters. */
static int build_bitmap(struct fat_priv *p, const uint8_t *fat, da_error *err)
{
	const struct fat_geom *g = &p->g;
	p->used = da_bitmap_new(g->clusters);
	if (!p->used)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	uint32_t run_start = 0, run_len = 0;
	for (uint32_t k = 0; k < g->clusters; k++) {
		uint32_t v = fat_get(g, fat, k + 2);
		if (v == 0) {
			p->free_clusters++;
			continue;
		}
		if (v == g->bad) {
			p->bad_clusters++;
			size_t b = p->nbad_runs;
			if (b && p->bad_runs[b - 1][0] + p->bad_runs[b - 1][1] == k)
				p->bad_runs[b - 1][1]++;
			else if (b < FAT_MAX_BAD) {
				p->bad_runs[b][0] = k;
				p->bad_runs[b][1] = 1;
				p->nbad_runs++;
			}
		}
		if (run_len && run_start + run_len == k) {
			run_len++;
			continue;
		}
		if (run_len && da_bitmap_set_run(p->used, run_start, run_len) < 0)
			return da_error_set(err, ENOMEM, "no memory for the bitmap");
		run_start = k;
		run_len = 1;
	}
	if (run_len && da_bitmap_set_run(p->used, run_start, run_len) < 0)
		return da_error_set(err, ENOMEM, "no memory for the bitmap");
	da_bitmap_finish(p->used);
	return 0;
}

static void trim_copy(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	for (size_t i = n; i > 0 && (dst[i - 1] == ' ' || dst[i - 1] == 0); i--)
		dst[i - 1] = 0;
}

/* The label in the root directory: read its first clusters only. */
static void root_label(struct da_device *dev, const struct fat_geom *g,
		       const uint8_t *fat, char *label, size_t len)
{
	struct fat_index x;
	memset(&x, 0, sizeof(x));
	size_t bits = ((size_t)g->clusters + 7) / 8 + 1;
	x.visited = calloc(1, bits);
	x.owned = calloc(1, bits);
	x.fat = fat;
	x.budget = 64;             /* the label is near the start */
	da_error e = { 0 };
	if (x.visited && x.owned && add_file(&x, "/", 0, NULL, 0, g) == 0 &&
	    (g->type != 32 || follow_chain(&x, g, 0, g->root_cluster) == 0)) {
		/* walk_dir adds the children too: cheap for one directory,
		 * and it shares the entry parser with the index */
		x.budget = 0;      /* no child chains */
		walk_dir(dev, g, &x, 0, label, len, &e);
	}
	for (size_t i = 0; i < x.nfiles; i++)
		free(x.files[i].name);
	free(x.files);
	free(x.runs);
	free(x.visited);
	free(x.owned);
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
	uint8_t *fat = load_fat(dev, g, err);
	if (!fat) {
		free(p);
		return NULL;
	}
	if (build_bitmap(p, fat, err) < 0) {
		free(fat);
		da_bitmap_free(p->used);
		free(p);
		return NULL;
	}
	char dir_label[64] = "";
	root_label(dev, g, fat, dir_label, sizeof(dir_label));
	uint32_t media_entry = fat_get(g, fat, 0) & 0xFF;
	free(fat);

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
	/* the root directory's label wins, as mlabel and blkid have it */
	const char *label = dir_label[0] ? dir_label : bpb_label;
	if (label[0])
		da_obj_set_str(v, "label", label);
	if (bpb_label[0])
		da_obj_set_str(v, "bpb_label", bpb_label);
	char oem[9];
	trim_copy(oem, bs + 3, 8);
	if (oem[0])
		da_obj_set_str(v, "oem_name", oem);
	da_obj_set_int(v, "sector_size", g->bps);
	da_obj_set_int(v, "cluster_size", g->cs);
	da_obj_set_int(v, "clusters", g->clusters);
	da_obj_set_int(v, "free_clusters", (int64_t)p->free_clusters);
	if (p->bad_clusters)
		da_obj_set_int(v, "bad_clusters", (int64_t)p->bad_clusters);
	da_obj_set_int(v, "size", (int64_t)(g->total_sectors * g->bps));
	da_obj_set_int(v, "used", (int64_t)((g->clusters - p->free_clusters) *
					    (uint64_t)g->cs));
	da_obj_set_int(v, "free", (int64_t)(p->free_clusters * g->cs));
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
	return n;
}

/* ---- lookups --------------------------------------------------------- */

static int fat_describe_block(struct da_node *n, uint64_t off,
			      struct da_block_info *out)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	bool ready = __atomic_load_n(&p->ready, __ATOMIC_ACQUIRE);
	out->role = NULL;
	out->block = out->inode = -1;
	out->path[0] = 0;
	out->nlinks = 0;
	out->conflict = false;
	out->indexing = false;
	if (off >= n->dev->size)
		return -1;
	uint64_t sector = off / g->bps;
	if (off < g->fat_off) {
		out->block = (int64_t)sector;
		if (sector == 0 || (g->type == 32 && g->backup &&
				    sector == g->backup))
			out->role = "boot_sector";
		else if (g->type == 32 && g->fsinfo &&
			 (sector == g->fsinfo ||
			  (g->backup && sector == (uint64_t)g->backup +
					g->fsinfo)))
			out->role = "fsinfo";
		else
			out->role = "reserved";
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
		snprintf(out->path, sizeof(out->path), "/");
		return 0;
	}
	if (off >= g->data_end) {
		out->block = (int64_t)sector;
		out->role = "unused";
		return 0;
	}
	uint32_t k = (uint32_t)((off - g->data_off) / g->cs);
	uint32_t c = k + 2;
	out->block = c;
	bool used = da_bitmap_test(p->used, k);
	if (!ready) {
		out->indexing = used;
		out->role = !used ? "free" : cluster_bad(p, k) ? "bad" :
			    "file_data";
		return 0;
	}
	const struct fat_index *x = p->idx;
	int count;
	const struct fat_run *r = owner_of(x, c, &count);
	if (!r) {
		/* allocated in the FAT but reached by no file: what
		 * fsck.fat calls lost clusters */
		out->role = !used ? "free" : cluster_bad(p, k) ? "bad" : "lost";
		return 0;
	}
	const struct fat_file *f = &x->files[r->file];
	out->role = f->dir ? "directory" : "file_data";
	out->inode = f->inode;
	out->nlinks = 1;
	out->conflict = count > 1;
	file_path(x, r->file, out->path, sizeof(out->path));
	return 0;
}

static int fat_usage(struct da_node *n, uint64_t off, uint64_t len,
		     struct da_usage *out)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	out->used = out->free = out->metadata = 0;
	uint64_t end = off + len;
	if (end < off || end > n->dev->size)
		end = n->dev->size;
	if (off >= end)
		return 0;
	/* metadata: everything before cluster 2 */
	if (off < g->data_off) {
		uint64_t e = end < g->data_off ? end : g->data_off;
		out->metadata += e - off;
		off = e;
	}
	if (off < end && off < g->data_end) {
		uint64_t e = end < g->data_end ? end : g->data_end;
		uint64_t a = off - g->data_off, b = e - g->data_off;
		uint64_t k0 = a / g->cs, k1 = (b - 1) / g->cs;
		if (k0 == k1) {
			if (da_bitmap_test(p->used, k0))
				out->used += b - a;
			else
				out->free += b - a;
		} else {
			/* partial first and last clusters, whole ones between */
			uint64_t head = (k0 + 1) * g->cs - a;
			uint64_t tail = b - k1 * g->cs;
			if (da_bitmap_test(p->used, k0))
				out->used += head;
			else
				out->free += head;
			if (da_bitmap_test(p->used, k1))
				out->used += tail;
			else
				out->free += tail;
			uint64_t mid = k1 - k0 - 1;
			uint64_t u = mid ? da_bitmap_count(p->used, k0 + 1,
							   mid) : 0;
			out->used += u * g->cs;
			out->free += (mid - u) * g->cs;
		}
		off = e;
	}
	if (off < end)
		out->free += end - off;
	return 0;
}

static int64_t fat_file_next_extent(struct da_node *n, uint64_t off, int dir)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
		return -1;
	if (off < g->data_off || off >= g->data_end)
		return -1;
	const struct fat_index *x = p->idx;
	uint32_t c = (uint32_t)((off - g->data_off) / g->cs) + 2;
	int count;
	const struct fat_run *r = owner_of(x, c, &count);
	if (!r)
		return -1;
	const struct fat_file *f = &x->files[r->file];
	size_t i = (size_t)(r - x->runs);
	if (dir > 0 && i + 1 < (size_t)f->run_first + f->nruns)
		r = &x->runs[i + 1];
	else if (dir < 0 && i > f->run_first)
		r = &x->runs[i - 1];
	else
		return -1;
	return (int64_t)(g->data_off + (uint64_t)(r->start - 2) * g->cs);
}

static int64_t fat_find_file(struct da_node *n, const char *name,
			     char *path_out, size_t path_len)
{
	struct fat_priv *p = n->priv;
	const struct fat_geom *g = &p->g;
	if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) || !name[0])
		return -1;
	const struct fat_index *x = p->idx;
	char path[1024];
	for (size_t i = 1; i < x->nfiles; i++) {
		const struct fat_file *f = &x->files[i];
		if (!f->nruns)
			continue;  /* nothing to show for an empty file */
		file_path(x, (uint32_t)i, path, sizeof(path));
		if (!strstr(path, name))
			continue;
		if (path_out && path_len)
			snprintf(path_out, path_len, "%s", path);
		return (int64_t)(g->data_off +
				 (uint64_t)(x->runs[f->run_first].start - 2) *
				 g->cs);
	}
	return -1;
}

static void fat_free(struct da_node *n)
{
	struct fat_priv *p = n->priv;
	if (!p)
		return;
	da_bitmap_free(p->used);
	index_free(p->idx);
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
	.file_next_extent = fat_file_next_extent,
	.find_file = fat_find_file,
	.free = fat_free,
};
