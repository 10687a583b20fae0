/* NTFS through libntfs-3g, the library the format's maintainers keep,
 * mounted read-only through our own device layer (its device-operations
 * table): an NTFS inside a partition inside an LV reads like one on a
 * plain file.  The scan gives identity and the system files' runs; the
 * settle, used/free from $Bitmap (the explorer draws before it); the file
 * index (ntfs_index.c) walks every MFT record.  libntfs-3g's messages go
 * to the --debug trace, never stderr.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs.h"

DA_DL_DEFINE(ntfs, NTFS_FUNCS, "libntfs-3g.so.89",
	     "NTFS support needs libntfs-3g", "libntfs-3g89")

/* ---- libntfs-3g's messages ---- */

/* The last error libntfs-3g logged in this thread: a mount that fails
 * says why in the node's reason, not only in errno. */
static __thread char last_error[200];

static int __attribute__((format(printf, 6, 0)))
log_to_trace(const char *function, const char *file, int line, u32 level,
	     void *data, const char *format, va_list args)
{
	(void)file, (void)line, (void)data;
	char msg[400] = "";
	if (format)
		vsnprintf(msg, sizeof(msg), format, args);
	size_t l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = '\0';
	if (level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR |
		     NTFS_LOG_LEVEL_CRITICAL))
		snprintf(last_error, sizeof(last_error), "%.*s",
			 (int)sizeof(last_error) - 1, msg);
	if (da_debug)
		da_trace("ntfs: libntfs-3g %s: %s", function ? function : "",
			 msg);
	return (int)l;
}

const char *last_ntfs_error(int e)
{
	return last_error[0] ? last_error : strerror(e);
}

void clear_ntfs_error(void)
{
	last_error[0] = '\0';
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init_once(void)
{
	/* process-wide, like the library's own handler (stderr) */
	NT->ntfs_log_set_handler(log_to_trace);
	NT->ntfs_log_set_levels(NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR |
			    NTFS_LOG_LEVEL_CRITICAL | NTFS_LOG_LEVEL_WARNING);
}

/* ---- device operations onto a da_device ---- */

struct ndev_priv {
	struct da_device *dev;
	s64 pos;
	/* reads of [ov_dst, ov_dst+ov_len) return the bytes at ov_src: one
	 * copy of the MFT's first records read in place of the other */
	uint64_t ov_dst, ov_src, ov_len;
};

static struct da_device *ndev_da(struct ntfs_device *nd)
{
	return ((struct ndev_priv *)nd->d_private)->dev;
}

static int nd_open(struct ntfs_device *nd, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return -1;
	}
	NDevSetOpen(nd);
	NDevSetReadOnly(nd);
	return 0;
}

static int nd_close(struct ntfs_device *nd)
{
	NDevClearOpen(nd);
	return 0;
}

static s64 nd_seek(struct ntfs_device *nd, s64 offset, int whence)
{
	struct ndev_priv *q = nd->d_private;
	s64 base = whence == SEEK_SET ? 0
		 : whence == SEEK_CUR ? q->pos
		 : whence == SEEK_END ? (s64)q->dev->size : -1;
	if (base < 0 || (offset < 0 && -offset > base)) {
		errno = EINVAL;
		return -1;
	}
	q->pos = base + offset;
	return q->pos;
}

static s64 nd_pread(struct ntfs_device *nd, void *buf, s64 count, s64 offset)
{
	struct da_device *dev = ndev_da(nd);
	if (count < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	struct ndev_priv *q = nd->d_private;
	uint64_t a = (uint64_t)offset, end = dev->size;
	/* the overlay reads even past the device's end: a $MFTMirr that an
	 * image's cut leaves out */
	if (q->ov_len && a >= q->ov_dst && a - q->ov_dst < q->ov_len &&
	    q->ov_dst + q->ov_len > end)
		end = q->ov_dst + q->ov_len;
	if (a >= end)
		return 0;
	uint64_t n = (uint64_t)count;
	if (n > end - a)
		n = end - a;                      /* a short read, as pread */
	uint64_t on_dev = a < dev->size ? (n < dev->size - a ? n
							     : dev->size - a)
					: 0;
	if (on_dev && da_device_read(dev, buf, (size_t)on_dev, a, NULL) < 0) {
		errno = EIO;
		return -1;
	}
	uint64_t b = a + n;
	if (q->ov_len && a < q->ov_dst + q->ov_len && q->ov_dst < b) {
		uint64_t s0 = a > q->ov_dst ? a : q->ov_dst;
		uint64_t s1 = b < q->ov_dst + q->ov_len ? b : q->ov_dst + q->ov_len;
		if (da_device_read(dev, (uint8_t *)buf + (s0 - a),
				   (size_t)(s1 - s0),
				   q->ov_src + (s0 - q->ov_dst), NULL) < 0) {
			errno = EIO;
			return -1;
		}
	}
	return (s64)n;
}

static s64 nd_read(struct ntfs_device *nd, void *buf, s64 count)
{
	struct ndev_priv *q = nd->d_private;
	s64 r = nd_pread(nd, buf, count, q->pos);
	if (r > 0)
		q->pos += r;
	return r;
}

static s64 nd_write(struct ntfs_device *nd, const void *buf, s64 count)
{
	(void)nd, (void)buf, (void)count;
	errno = EROFS;
	return -1;
}

static s64 nd_pwrite(struct ntfs_device *nd, const void *buf, s64 count,
		     s64 offset)
{
	(void)nd, (void)buf, (void)count, (void)offset;
	errno = EROFS;
	return -1;
}

static int nd_sync(struct ntfs_device *nd)
{
	(void)nd;
	return 0;
}

static int nd_stat(struct ntfs_device *nd, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)ndev_da(nd)->size;
	st->st_blksize = 512;
	return 0;
}

static int nd_ioctl(struct ntfs_device *nd, unsigned long request, void *argp)
{
	(void)nd, (void)request, (void)argp;
	errno = ENOTTY;
	return -1;
}

static struct ntfs_device_operations nd_ops = {
	.open = nd_open,
	.close = nd_close,
	.seek = nd_seek,
	.read = nd_read,
	.write = nd_write,
	.pread = nd_pread,
	.pwrite = nd_pwrite,
	.sync = nd_sync,
	.stat = nd_stat,
	.ioctl = nd_ioctl,
};

/* ---- scan ---- */

static enum da_probe ntfs_probe(struct da_device *dev, da_error *err)
{
	/* the BIOS parameter block ends at 0x54: a device cut after it
	 * (even inside the boot sector) is a cut NTFS, still named */
	uint8_t b[512] = { 0 };
	if (dev->size < 0x54)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, b, dev->size < sizeof(b) ? dev->size
							 : sizeof(b),
			   0, err) < 0)
		return DA_PROBE_ERROR;
	if (memcmp(b + 3, "NTFS    ", 8) != 0)
		return DA_PROBE_NOT_MINE;
	uint16_t bps = util_le16(b + 11);
	if (bps < 256 || bps > 4096 || (bps & (bps - 1)) || b[13] == 0)
		return DA_PROBE_NOT_MINE;
	return DA_PROBE_FOUND;
}

static void ntfs_free(struct da_node *n)
{
	struct ntfs_priv *p = n->priv;
	if (!p)
		return;
	struct ndev_priv *q = p->ndev ? p->ndev->d_private : NULL;
	if (p->vol)
		NT->ntfs_umount(p->vol, TRUE);  /* frees ndev too */
	else if (p->ndev)
		NT->ntfs_device_free(p->ndev);
	free(q);
	da_bitmap_free(p->used);
	free(p->meta);
	free(p->meta_before);
	free(p->mft);
	free(p->base_of);
	free(p);
	n->priv = NULL;
}

/* $Bitmap's first nbits bits into a bitmap of runs: bits past the last
 * cluster are set on disk (the attribute is rounded up to 8 bytes) and
 * ignored here.  NULL when they cannot be read. */
static struct da_bitmap *read_bitmap(const struct ntfs_priv *p, uint64_t nbits)
{
	ntfs_attr *na = p->vol->lcnbmp_na;
	struct da_bitmap *used = da_bitmap_new(nbits);
	enum { CHUNK = 65536 };
	uint8_t *buf = used && na ? malloc(CHUNK) : NULL;
	if (!buf) {
		da_bitmap_free(used);
		return NULL;
	}
	uint64_t bytes = (nbits + 7) / 8, run_start = 0;
	bool in_run = false;
	int rc = 0;
	for (uint64_t at = 0; at < bytes && rc == 0; at += CHUNK) {
		s64 want = (s64)(bytes - at < CHUNK ? bytes - at : CHUNK);
		s64 got = NT->ntfs_attr_pread(na, (s64)at, want, buf);
		if (got != want) {
			rc = -1;
			break;
		}
		for (s64 i = 0; i < got; i++) {
			/* eight bytes a step while they continue the run in
			 * hand, used or free (most of a large volume) */
			while (i + 8 <= got &&
			       (at + (uint64_t)i + 8) * 8 <= nbits) {
				uint64_t w;
				memcpy(&w, buf + i, 8);
				if (w != (in_run ? UINT64_MAX : 0))
					break;
				i += 8;
			}
			if (i >= got)
				break;
			uint8_t v = buf[i];
			if ((v == 0 && !in_run) || (v == 0xff && in_run))
				continue;
			for (int k = 0; k < 8; k++) {
				uint64_t c = (at + (uint64_t)i) * 8 + (uint64_t)k;
				if (c >= nbits)
					break;
				bool set = v >> k & 1;
				if (set && !in_run) {
					run_start = c;
					in_run = true;
				} else if (!set && in_run) {
					if (da_bitmap_set_run(used, run_start,
							      c - run_start) < 0)
						rc = -1;
					in_run = false;
				}
			}
		}
	}
	if (rc == 0 && in_run &&
	    da_bitmap_set_run(used, run_start, nbits - run_start) < 0)
		rc = -1;
	free(buf);
	if (rc < 0) {
		da_bitmap_free(used);
		return NULL;
	}
	da_bitmap_finish(used);
	return used;
}

static void set_identity(struct ntfs_priv *p, struct da_node *n,
			 const uint8_t *boot)
{
	ntfs_volume *vol = p->vol;
	char buf[64];
	da_obj_set_str(n->props, "fstype", "ntfs");
	da_obj_set_str(n->props, "label", vol->vol_name ? vol->vol_name : "");
	/* the serial number as blkid and lsblk print it (UUID=) */
	snprintf(buf, sizeof(buf), "%016llX",
		 (unsigned long long)util_le64(boot + 0x48));
	da_obj_set_str(n->props, "uuid", buf);
	snprintf(buf, sizeof(buf), "%u.%u", vol->major_ver, vol->minor_ver);
	da_obj_set_str(n->props, "version", buf);
	da_obj_set_int(n->props, "sector_size", p->sector);
	da_obj_set_int(n->props, "cluster_size", p->cs);
	da_obj_set_int(n->props, "block_size", p->cs);
	da_obj_set_int(n->props, "clusters", (int64_t)p->nclusters);
	da_obj_set_int(n->props, "mft_record_size", p->rec_size);
	da_obj_set_int(n->props, "size", (int64_t)p->fs_bytes);
	da_obj_set_int(n->props, "mft_zone_start", (int64_t)p->zone_start);
	da_obj_set_int(n->props, "mft_zone_end", (int64_t)p->zone_end);
}

/* What the boot sector says, checked: enough to name a volume libntfs-3g
 * will not mount, and to find $MFT and $MFTMirr. */
struct boot_geom {
	uint32_t bps, cs, rs;      /* sector, cluster, MFT record sizes */
	uint64_t nsectors;         /* the volume's, the backup boot sector's
				      included */
	uint64_t nclusters;
	uint64_t mft, mirr;        /* bytes */
};

/* false when boot makes no sense as an NTFS boot sector */
static bool boot_geom(const uint8_t *boot, struct boot_geom *g)
{
	memset(g, 0, sizeof(*g));
	if (memcmp(boot + 3, "NTFS    ", 8) != 0)
		return false;
	uint32_t bps = util_le16(boot + 11), spc = boot[13];
	if (bps < 256 || bps > 4096 || (bps & (bps - 1)))
		return false;
	/* above 0x80 a negative shift: 2^(256 - spc) sectors */
	if (spc > 0x80)
		spc = spc < 0xf4 ? 0 : 1u << (256 - spc);
	if (!spc || (spc & (spc - 1)) || (uint64_t)bps * spc > (2u << 20))
		return false;
	g->bps = bps;
	g->cs = bps * spc;
	int8_t cpr = (int8_t)boot[0x40];
	if (cpr == 0 || cpr < -31 || (cpr > 0 && cpr > 64))
		return false;
	g->rs = cpr > 0 ? (uint32_t)cpr * g->cs : 1u << -cpr;
	g->nsectors = util_le64(boot + 0x28);
	g->nclusters = g->nsectors / spc;
	return mul_ok(util_le64(boot + 0x30), g->cs, &g->mft) &&
	       mul_ok(util_le64(boot + 0x38), g->cs, &g->mirr) &&
	       g->nsectors != 0;
}

/* Set q's overlay for retry k: 0 reads $MFT's first records where
 * $MFTMirr is (also when the mirror lies past the device's end: an image
 * cut before it), 1 the other way round.  Geometry from the boot sector;
 * false when it makes no sense. */
static bool mirror_overlay(struct ndev_priv *q, const uint8_t *boot, int k)
{
	struct boot_geom g;
	if (!boot_geom(boot, &g))
		return false;
	uint64_t len = 4 * (uint64_t)g.rs;  /* $MFTMirr holds four records */
	if (!range_ok(g.mft, len, q->dev->size) ||
	    !range_ok(g.mirr, len, UINT64_MAX) || g.mft == g.mirr ||
	    (k == 1 && !range_ok(g.mirr, len, q->dev->size)))
		return false;
	q->ov_dst = k == 0 ? g.mirr : g.mft;
	q->ov_src = k == 0 ? g.mft : g.mirr;
	q->ov_len = len;
	return true;
}

/* A volume libntfs-3g will not mount because its image is cut short
 * (its boot sector counts more clusters than the device holds): what
 * the boot sector gives, its own sector and $MFT's first record, and
 * the reason.  NULL when it is not cut (damage: the caller's error). */
static struct da_node *cut_node(struct da_device *dev, const uint8_t *boot,
				const char *why)
{
	struct boot_geom g;
	uint64_t fs_bytes;
	if (!boot_geom(boot, &g) || !mul_ok(g.nclusters, g.cs, &fs_bytes) ||
	    fs_bytes <= dev->size)
		return NULL;
	struct ntfs_priv *p = da_xcalloc(1, sizeof(*p));
	p->dev = dev;
	p->cs = g.cs;
	p->rec_size = g.rs;
	p->sector = g.bps;
	p->nclusters = g.nclusters;
	p->fs_bytes = fs_bytes;
	p->dev_clusters = dev->size / g.cs + (dev->size % g.cs != 0);
	p->dev_bytes = p->dev_clusters * g.cs;
	p->settled = -1;           /* $Bitmap is out of reach */
	p->ready = 1;              /* and no record beyond the first */
	/* the boot sector begins $Boot (record 7), $MFT's first record is
	 * its own (record 0): where they are on the device */
	p->meta = da_xcalloc(2, sizeof(*p->meta));
	p->meta[p->nmeta++] = (struct ntfs_meta){
		0, g.bps < dev->size ? g.bps : dev->size, FILE_Boot, 0,
		DA_ROLE_BOOT_SECTOR };
	if (g.mft >= g.bps && g.mft < dev->size)
		p->meta[p->nmeta++] = (struct ntfs_meta){
			g.mft, g.rs < dev->size - g.mft ? g.rs
							: dev->size - g.mft,
			FILE_MFT, 0, DA_ROLE_MFT };
	p->meta_before = da_xcalloc(p->nmeta + 1, sizeof(*p->meta_before));
	for (size_t i = 0; i < p->nmeta; i++)
		p->meta_before[i + 1] = p->meta_before[i] + p->meta[i].len;
	uint64_t bb;
	if (mul_ok(g.nsectors, g.bps, &bb) && bb >= fs_bytes)
		p->backup_boot = bb;  /* past the end: unused, as any byte */
	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_ntfs,
					dev);
	n->priv = p;
	char buf[32];
	da_obj_set_str(n->props, "fstype", "ntfs");
	snprintf(buf, sizeof(buf), "%016llX",
		 (unsigned long long)util_le64(boot + 0x48));
	da_obj_set_str(n->props, "uuid", buf);
	da_obj_set_int(n->props, "sector_size", p->sector);
	da_obj_set_int(n->props, "cluster_size", p->cs);
	da_obj_set_int(n->props, "block_size", p->cs);
	da_obj_set_int(n->props, "clusters", (int64_t)p->nclusters);
	da_obj_set_int(n->props, "mft_record_size", p->rec_size);
	da_obj_set_int(n->props, "size", (int64_t)p->fs_bytes);
	da_obj_set_int(n->props, "mft_cluster", (int64_t)(g.mft / g.cs));
	da_obj_set_int(n->props, "mftmirr_cluster", (int64_t)(g.mirr / g.cs));
	da_warn(n, "cut short: the volume (%llu clusters of %u) is larger "
		"than its device (%llu bytes), and libntfs-3g cannot mount "
		"it (%s): its files, used and free cannot be read; what is "
		"known comes from its boot sector",
		(unsigned long long)p->nclusters, p->cs,
		(unsigned long long)dev->size, why);
	da_node_set_block_size(n, p->cs);
	return n;
}

static struct da_node *ntfs_scan(struct da_device *dev, da_error *err)
{
	const char *need = NULL;
	if (!da_dl_ntfs(&need)) {
		da_error_set(err, ENOENT, "%s", need);
		return NULL;
	}
	pthread_once(&lib_once, lib_init_once);
	/* a device cut inside the boot sector: the rest reads as zeros */
	uint8_t boot[512] = { 0 };
	if (da_device_read(dev, boot, dev->size < sizeof(boot) ? dev->size
							       : sizeof(boot),
			   0, err) < 0)
		return NULL;
	struct ndev_priv *q = da_xcalloc(1, sizeof(*q));
	q->dev = dev;
	struct ntfs_device *nd = NT->ntfs_device_alloc(dev->name, 0, &nd_ops, q);
	if (!nd) {
		free(q);
		da_error_set(err, ENOMEM, "cannot allocate an NTFS device");
		return NULL;
	}
	clear_ntfs_error();
	errno = 0;
	ntfs_volume *vol = NT->ntfs_device_mount(nd, NTFS_MNT_RDONLY |
						 NTFS_MNT_FORENSIC);
	char first[sizeof(last_error)], *note = NULL;
	snprintf(first, sizeof(first), "%s", last_ntfs_error(errno));
	for (size_t l = strlen(first); l && first[l - 1] == '.'; l--)
		first[l - 1] = '\0';
	int e = errno ? errno : EINVAL;
	/* libntfs-3g will not mount a volume whose $MFTMirr differs from
	 * $MFT's first records, nor one whose first records are damaged:
	 * read with one copy in place of the other, and say so */
	for (int k = 0; !vol && k < 2; k++) {
		if (!mirror_overlay(q, boot, k))
			break;
		clear_ntfs_error();
		vol = NT->ntfs_device_mount(nd, NTFS_MNT_RDONLY | NTFS_MNT_FORENSIC);
		bool cut = q->ov_dst + q->ov_len > dev->size;
		if (!vol && cut) {
			/* past the mirror: what stops the mount now */
			snprintf(first, sizeof(first), "%s",
				 last_ntfs_error(errno ? errno : EIO));
			for (size_t l = strlen(first); l && first[l - 1] == '.';
			     l--)
				first[l - 1] = '\0';
		}
		if (vol && cut)
			note = da_asprintf("$MFTMirr lies past the device's "
					   "end: read with $MFT's records in "
					   "its place");
		else if (vol)
			note = da_asprintf("%s: read with %s", first,
					   k == 0 ? "$MFT's records in place of "
						    "$MFTMirr's"
						  : "$MFTMirr's records in "
						    "place of $MFT's");
	}
	if (!vol) {
		NT->ntfs_device_free(nd);
		free(q);
		struct da_node *n = cut_node(dev, boot, first);
		if (!n)
			da_error_set(err, e, "libntfs-3g cannot mount it: %s",
				     first);
		return n;
	}
	struct ntfs_priv *p = da_xcalloc(1, sizeof(*p));
	p->ndev = nd;
	p->vol = vol;
	p->dev = dev;
	p->cs = vol->cluster_size;
	p->rec_size = vol->mft_record_size;
	p->sector = vol->sector_size ? vol->sector_size : 512;
	p->nclusters = vol->nr_clusters > 0 ? (uint64_t)vol->nr_clusters : 0;
	p->zone_start = vol->mft_zone_start > 0 ? (uint64_t)vol->mft_zone_start
						: 0;
	p->zone_end = vol->mft_zone_end > 0 ? (uint64_t)vol->mft_zone_end : 0;
	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_ntfs,
					dev);
	n->priv = p;
	p->dev_clusters = p->nclusters;
	bool sized = p->cs && mul_ok(p->nclusters, p->cs, &p->fs_bytes);
	if (!sized || p->fs_bytes > dev->size) {
		da_node_set_reason(n, "the filesystem (%llu clusters of %u) is "
				   "larger than its device (%llu bytes)",
				   (unsigned long long)p->nclusters, p->cs,
				   (unsigned long long)dev->size);
		/* the clusters the device holds, the last one perhaps only
		 * in part: a byte of a cluster the device's end cuts is
		 * still the volume's, with the role $Bitmap and its file
		 * give it (its reads fail, as any past the end do) */
		p->dev_clusters = p->cs ? dev->size / p->cs +
					  (dev->size % p->cs != 0) : 0;
		if (!sized) {
			/* no size in bytes: the device's is all there is */
			p->nclusters = p->dev_clusters;
			p->fs_bytes = p->nclusters * p->cs;
		}
	}
	p->dev_bytes = p->dev_clusters * p->cs;
	/* the backup boot sector: the last sector the boot sector counts,
	 * outside the clusters */
	uint64_t nsec = util_le64(boot + 0x28), bb;
	if (mul_ok(nsec, p->sector, &bb) && bb >= p->fs_bytes &&
	    range_ok(bb, p->sector, dev->size))
		p->backup_boot = bb;
	set_identity(p, n, boot);
	if (note) {
		da_warn(n, "%s", note);
		free(note);
	}
	if (ntfs_collect_meta(p, n) < 0)
		da_warn(n, "cannot read the system files");
	/* the space counts clusters (block numbers, the explorer's finest
	 * zoom); $Bitmap, which grows with the volume, is ntfs_settle's */
	da_node_set_block_size(n, p->cs);
	return n;
}

static int settled(const struct ntfs_priv *p)
{
	return __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
}

/* $Bitmap (512 MiB on a 16 TiB volume of 4 KiB clusters): read after
 * the explorer's first frames.  What it gives is published with one
 * release store; until then the clusters no system file holds are
 * "unread". */
static int ntfs_settle(struct da_node *n, da_error *err)
{
	(void)err;
	struct ntfs_priv *p = n->priv;
	if (!p || settled(p) != 0)
		return 0;
	/* used and free are the whole volume's, as ntfsinfo counts them,
	 * also on an image cut short; when the cut leaves part of $Bitmap
	 * out, those of the clusters on the device, and a warning */
	uint64_t nbits = p->nclusters;
	struct da_bitmap *used = read_bitmap(p, nbits);
	if (!used && p->dev_clusters < p->nclusters) {
		nbits = p->dev_clusters;
		used = read_bitmap(p, nbits);
		if (used)
			da_warn(n, "$Bitmap past the device's end cannot be "
				"read: used and free count the %llu clusters "
				"on the device only",
				(unsigned long long)nbits);
	}
	if (!used) {
		da_warn(n, "cannot read $Bitmap");
		__atomic_store_n(&p->settled, -1, __ATOMIC_RELEASE);
		return 0;
	}
	uint64_t nused = da_bitmap_count(used, 0, nbits);
	p->used = used;
	da_node_fill_space(n, nbits, nbits - nused, p->cs);
	__atomic_store_n(&p->settled, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- block answers ---- */

/* The entry of v (sorted by start, non-overlapping) holding byte off. */
static const struct ntfs_meta *find_meta(const struct ntfs_meta *v, size_t n,
					 uint64_t off, size_t *at)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	if (lo > 0 && off - v[lo - 1].start < v[lo - 1].len) {
		if (at)
			*at = lo - 1;
		return &v[lo - 1];
	}
	return NULL;
}

/* The record, path and link count of file id (a record or a stream) from
 * the published index. */
static void fill_file(const struct da_node *n, uint64_t rec,
		      struct da_block_info *out)
{
	const struct da_fileindex *x = da_fi_get(n);
	out->inode = (int64_t)(rec & NTFS_STREAM_REC_MASK);
	if (!x)
		return;
	uint32_t f = da_fi_find_id(x, rec);
	struct da_fi_file ff;
	if (f == UINT32_MAX || da_fi_file(x, f, &ff) < 0)
		return;
	da_fi_path(x, f, 0, out->path, sizeof(out->path));
	if (ff.kind != DA_FILE_DIR)
		out->nlinks = ff.nnames;
}

static int ntfs_describe_block(struct da_node *n, uint64_t off,
			       struct da_block_info *out)
{
	struct ntfs_priv *p = n->priv;
	memset(out, 0, sizeof(*out));
	out->inode = -1;
	out->file_offset = -1;
	if (!p || !p->cs)
		return -1;
	out->block = (int64_t)(off / p->cs);
	if (off >= p->dev_bytes) {
		out->block = -1;
		if (p->backup_boot && off >= p->backup_boot &&
		    off - p->backup_boot < p->sector)
			out->role = da_role_name(DA_ROLE_BACKUP_BOOT_SECTOR);
		else
			out->role = da_role_name(DA_ROLE_UNUSED);
		return 0;
	}
	bool ready = __atomic_load_n(&p->ready, __ATOMIC_ACQUIRE);
	const struct ntfs_meta *m = find_meta(p->meta, p->nmeta, off, NULL);
	if (m) {
		out->role = da_role_name(m->role);
		out->file_offset = (int64_t)(m->file_off + (off - m->start));
		uint64_t rec = m->rec;
		/* a byte of the MFT belongs to the file whose record it is:
		 * resident files live there */
		const struct ntfs_meta *mm = m->role == DA_ROLE_MFT ?
			find_meta(p->mft, p->nmft, off, NULL) : NULL;
		if (mm && p->rec_size) {
			uint64_t r = (mm->file_off + (off - mm->start)) /
				     p->rec_size;
			if (ready && r < p->nrecords &&
			    p->base_of[r] != UINT32_MAX) {
				rec = p->base_of[r];
				out->file_offset = -1;
			}
		}
		fill_file(n, rec, out);
		if (!ready)
			out->indexing = true;
		return 0;
	}
	if (da_fi_describe(n, off, out) == 1) {
		/* a stream is a file of its own in the index: its record is
		 * the low bits of its id */
		if (out->inode >= 0)
			out->inode &= (int64_t)NTFS_STREAM_REC_MASK;
		return 0;
	}
	int st = settled(p);
	if (st == 0) {
		/* $Bitmap is not read yet */
		out->role = da_role_name(DA_ROLE_UNREAD);
		out->indexing = true;
		return 0;
	}
	/* not mounted (an image cut short): nothing says what it holds */
	if (!p->vol) {
		out->role = da_role_name(DA_ROLE_UNKNOWN);
		return 0;
	}
	/* $Bitmap could not be read (the node's warning says why): used,
	 * as the map draws it */
	bool used = st < 0 || da_bitmap_test(p->used, off / p->cs);
	uint64_t c = off / p->cs;
	if (used)
		out->role = da_role_name(DA_ROLE_USED);
	else if (c >= p->zone_start && c < p->zone_end)
		out->role = da_role_name(DA_ROLE_MFT_ZONE);
	else
		out->role = da_role_name(DA_ROLE_FREE);
	return 0;
}

/* metadata bytes in [0, off) */
static uint64_t meta_below(const struct ntfs_priv *p, uint64_t off)
{
	if (!p->meta_before || p->nmeta == 0)
		return 0;
	size_t at;
	const struct ntfs_meta *m = find_meta(p->meta, p->nmeta, off, &at);
	if (m)
		return p->meta_before[at] + (off - m->start);
	return p->meta_before[at];
}

static int ntfs_usage(struct da_node *n, uint64_t off, uint64_t len,
		      struct da_usage *out)
{
	struct ntfs_priv *p = n->priv;
	if (!p || !p->cs || len == 0)
		return -1;
	int st = settled(p);
	if (st < 0)
		return -1;
	uint64_t c0 = off / p->cs, c1 = (off + len + p->cs - 1) / p->cs;
	if (c1 > p->dev_clusters)
		c1 = p->dev_clusters;
	if (c0 >= c1) {
		out->free += len;
		return 0;
	}
	uint64_t clusters = c1 - c0;
	uint64_t meta = (meta_below(p, c1 * p->cs) -
			 meta_below(p, c0 * p->cs)) / p->cs;
	/* scale whole clusters to the bytes asked for */
	double k = (double)len / ((double)clusters * p->cs);
	if (st == 0) {
		/* before $Bitmap: the system files, and the rest not read */
		if (meta > clusters)
			meta = clusters;
		uint64_t m = (uint64_t)((double)meta * p->cs * k);
		if (m > len)
			m = len;           /* rounding */
		out->metadata += m;
		out->pending += len - m;
		return 0;
	}
	uint64_t used = da_bitmap_count(p->used, c0, clusters);
	if (meta > used)
		meta = used;
	out->metadata += (uint64_t)((double)meta * p->cs * k);
	out->used += (uint64_t)((double)(used - meta) * p->cs * k);
	out->free += (uint64_t)((double)(clusters - used) * p->cs * k);
	return 0;
}

/* The clusters of [s, e) that neither a system file nor a file holds:
 * used or free as $Bitmap says, free ones in the MFT zone its own. */
static void ntfs_gap(struct da_roles *w, uint64_t s, uint64_t e, void *ctx)
{
	const struct ntfs_priv *p = ctx;
	if (!p->vol) {
		/* not mounted (an image cut short) */
		da_roles_put(w, s, e, da_role_name(DA_ROLE_UNKNOWN));
		return;
	}
	if (settled(p) == 0) {
		/* $Bitmap is not read yet */
		da_roles_put(w, s, e, da_role_name(DA_ROLE_UNREAD));
		return;
	}
	const char *used = da_role_name(DA_ROLE_USED);
	const char *zone = da_role_name(DA_ROLE_MFT_ZONE);
	const char *free_ = da_role_name(DA_ROLE_FREE);
	uint64_t zs = p->zone_start * p->cs, ze = p->zone_end * p->cs;
	if (p->zone_start >= p->zone_end ||
	    p->zone_end > UINT64_MAX / p->cs)
		zs = ze = 0;
	uint64_t c[4] = { s, zs > s ? (zs < e ? zs : e) : s,
			  ze > s ? (ze < e ? ze : e) : s, e };
	for (int i = 0; i < 3; i++)
		if (c[i] < c[i + 1])
			da_roles_bits(w, p->used, 0, p->cs, c[i], c[i + 1], used,
				      c[i] >= zs && c[i] < ze ? zone : free_);
}

static int ntfs_range_roles(struct da_node *n, uint64_t off, uint64_t len,
			    struct da_role_bytes *out, int max)
{
	struct ntfs_priv *p = n->priv;
	uint64_t end = off + len;
	if (!p || !p->cs || (settled(p) < 0 && p->vol) || end < off)
		return -1;
	struct da_roles w;
	da_roles_init(&w, n, off, len, out, max);
	uint64_t hi = end < p->dev_bytes ? end : p->dev_bytes, at = off;
	size_t i = 0;
	if (p->nmeta)
		find_meta(p->meta, p->nmeta, off, &i);
	for (; at < hi && i < p->nmeta && !w.failed; i++) {
		const struct ntfs_meta *m = &p->meta[i];
		if (m->start + m->len <= at)
			continue;
		if (m->start >= hi)
			break;
		if (m->start > at)
			da_roles_files(&w, at, m->start, ntfs_gap, p);
		uint64_t me = m->start + m->len < hi ? m->start + m->len : hi;
		da_roles_put(&w, m->start > at ? m->start : at, me,
			     da_role_name(m->role));
		at = me;
	}
	if (at < hi)
		da_roles_files(&w, at, hi, ntfs_gap, p);
	/* past the clusters: the backup boot sector, else unused */
	uint64_t bb = p->backup_boot, be = bb + p->sector;
	if (!bb || be < bb || be <= p->fs_bytes)
		bb = be = p->fs_bytes;
	else if (bb < p->fs_bytes)
		bb = p->fs_bytes;
	const char *unused = da_role_name(DA_ROLE_UNUSED);
	da_roles_put(&w, p->fs_bytes, bb, unused);
	da_roles_put(&w, bb, be, da_role_name(DA_ROLE_BACKUP_BOOT_SECTOR));
	da_roles_put(&w, be > p->fs_bytes ? be : p->fs_bytes, end, unused);
	return da_roles_done(&w);
}

const struct da_plugin da_plugin_ntfs = {
	.name = "ntfs",
	.layer = DA_LAYER_FS,
	.probe = ntfs_probe,
	.scan = ntfs_scan,
	.build_index = ntfs_build_index,
	.describe_block = ntfs_describe_block,
	.usage = ntfs_usage,
	.range_roles = ntfs_range_roles,
	.free = ntfs_free,
	.settle = ntfs_settle,
	.settle_props = (const char *const[]){ "free_clusters", "used", "free",
					       NULL },
};
