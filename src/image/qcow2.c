/* qcow2 guest view: a disk device whose bytes are the guest's, read
 * through L1 -> L2 -> host clusters, with zero and unallocated clusters
 * as holes, compressed clusters (zlib, zstd) decompressed, extended L2
 * subclusters, and backing files for what the image does not hold.
 * Layout: qemu's docs/interop/qcow2.txt.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2.h"
#include "qcow2_libs.h"

DA_DL_DEFINE(zlib, ZLIB_FUNCS, "libz.so.1",
	     "compressed qcow2 clusters need zlib", "zlib1g")
DA_DL_DEFINE(zstd, ZSTD_FUNCS, "libzstd.so.1",
	     "zstd-compressed qcow2 clusters need libzstd", "libzstd1")

const char *qcow2_codec(int t)
{
	const char *need = NULL;
	if (t == 0 ? !da_dl_zlib(&need) : !da_dl_zstd(&need))
		return need;
	return NULL;
}

/* Bounds on what a header may ask of us (qemu's own limits or above). */
#define MAX_L1_BYTES (32u << 20)
#define MAX_L2_CACHE_BYTES (4u << 20)
#define MAX_EXT_LEN (1u << 20)
#define MAX_BACKING_NAME 1023
/* the files of a chain this near its top get the whole L2 cache */
#define CHAIN_FULL_CACHE 16
/* incompatible features we read: dirty, corrupt, compression type,
 * extended L2 (external data files are refused) */
#define INCOMPAT_DIRTY 1ULL
#define INCOMPAT_CORRUPT 2ULL
#define INCOMPAT_DATA_FILE 4ULL
#define INCOMPAT_COMPRESSION 8ULL
#define INCOMPAT_EXTL2 16ULL

static bool qcow2_probe(const uint8_t *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "QFI\xfb", 4);
}

static int fail(da_error *err, int code, const struct qcow2 *q,
		const char *what)
{
	return da_error_set(err, code, "%s: qcow2: %s", q->path, what);
}

static int pread_all(struct qcow2 *q, void *buf, size_t len, uint64_t off,
		     da_error *err)
{
	if (!range_ok(off, len, q->file_size))
		return da_error_set(err, EIO, "%s: qcow2: %zu bytes at offset "
				    "%llu lie past the end of the file (%llu "
				    "bytes; truncated?)", q->path, len,
				    (unsigned long long)off,
				    (unsigned long long)q->file_size);
	uint8_t *b = buf;
	while (len) {
		ssize_t n = pread(q->fd, b, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return da_error_set(err, EIO, "%s: read error at offset "
					    "%llu", q->path,
					    (unsigned long long)off);
		b += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Header extensions: type, length, data padded to 8 bytes; type 0 ends. */
static int parse_extensions(struct qcow2 *q, const uint8_t *c, da_error *err)
{
	uint64_t off = q->version >= 3 ? q->header_len : 72;
	uint64_t end = q->cluster_size;
	for (int k = 0; k < 1024; k++) {
		if (off + 8 > end)
			return fail(err, EINVAL, q, "header extensions run past "
				    "the first cluster");
		uint32_t type = be32(c + off), len = be32(c + off + 4);
		off += 8;
		if (type == 0) {
			q->ext_end = off;
			return 0;
		}
		if (len > MAX_EXT_LEN || len > end - off)
			return fail(err, EINVAL, q, "a header extension runs "
				    "past the first cluster");
		const uint8_t *d = c + off;
		switch (type) {
		case 0xe2792acaU:          /* backing file format name */
			free(q->backing_fmt);
			q->backing_fmt = strndup((const char *)d, len < 64 ? len : 64);
			break;
		case 0x0537be77U:          /* full disk encryption header */
			if (len >= 16) {
				q->crypt_off = be64(d);
				q->crypt_len = be64(d + 8);
			}
			break;
		case 0x23852875U:          /* bitmaps */
			if (len >= 24) {
				q->nb_bitmaps = be32(d);
				q->bm_dir_size = be64(d + 8);
				q->bm_dir_off = be64(d + 16);
			}
			break;
		case 0x44415441U:          /* external data file name */
			q->data_file_ext = 1;
			break;
		default:
			break;
		}
		off += ((uint64_t)len + 7) & ~7ULL;
	}
	return fail(err, EINVAL, q, "too many header extensions");
}

int qcow2_parse(struct qcow2 *q, int fd, const char *path, da_error *err)
{
	q->fd = fd;
	q->path = da_strdup(path);
	pthread_mutex_init(&q->lock, NULL);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail(err, errno, q, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		q->file_size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		/* a qcow2 on a block device (an LV, as some VM hosts keep them) */
		if (ioctl(fd, BLKGETSIZE64, &q->file_size) < 0)
			return fail(err, errno, q, "cannot get the size of the "
				    "block device");
	} else {
		return fail(err, EINVAL, q, "neither a regular file nor a block "
			    "device");
	}
	if (q->file_size > (uint64_t)INT64_MAX)
		return fail(err, EFBIG, q, "too large");
	uint8_t h[112];
	if (q->file_size < 72)
		return fail(err, EINVAL, q, "file shorter than a header "
			    "(truncated)");
	memset(h, 0, sizeof(h));
	if (pread_all(q, h, q->file_size < 112 ? 72 : 112, 0, err) < 0)
		return -1;
	if (memcmp(h, "QFI\xfb", 4))
		return fail(err, EINVAL, q, "no QFI\\xfb magic");
	q->version = be32(h + 4);
	if (q->version != 2 && q->version != 3)
		return da_error_set(err, EINVAL, "%s: qcow2 version %u is not "
				    "supported (2 and 3 are)", path,
				    q->version);
	q->backing_off = be64(h + 8);
	q->backing_len = be32(h + 16);
	q->cluster_bits = be32(h + 20);
	q->size = be64(h + 24);
	q->crypt_method = be32(h + 32);
	q->l1_size = be32(h + 36);
	q->l1_off = be64(h + 40);
	q->rt_off = be64(h + 48);
	q->rt_clusters = be32(h + 56);
	q->nb_snapshots = be32(h + 60);
	q->snap_off = be64(h + 64);
	q->refcount_order = 4;
	q->header_len = 72;
	if (q->version >= 3 && q->file_size < 104)
		return fail(err, EINVAL, q, "file shorter than its header "
			    "(truncated)");
	if (q->version >= 3) {
		q->incompat = be64(h + 72);
		q->compat = be64(h + 80);
		q->autoclear = be64(h + 88);
		q->refcount_order = be32(h + 96);
		q->header_len = be32(h + 100);
		if (q->header_len < 104 || q->header_len > 4096 ||
		    q->header_len % 8)
			return da_error_set(err, EINVAL, "%s: qcow2: absurd "
					    "header length %u", path,
					    q->header_len);
		if (q->header_len > 104)
			q->compression = h[104];
	}
	if (q->cluster_bits < 9 || q->cluster_bits > 21)
		return da_error_set(err, EINVAL, "%s: qcow2: absurd cluster "
				    "size 2^%u (9 to 21 are valid)", path,
				    q->cluster_bits);
	q->cluster_size = 1ULL << q->cluster_bits;
	if (q->file_size < q->header_len)
		return fail(err, EINVAL, q, "file shorter than its header "
			    "(truncated)");
	if (q->refcount_order > 6)
		return da_error_set(err, EINVAL, "%s: qcow2: absurd refcount "
				    "order %u", path, q->refcount_order);
	uint64_t known = INCOMPAT_DIRTY | INCOMPAT_CORRUPT |
			 INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION |
			 INCOMPAT_EXTL2;
	if (q->incompat & ~known)
		return da_error_set(err, ENOTSUP, "%s: qcow2: unknown "
				    "incompatible features 0x%llx", path,
				    (unsigned long long)(q->incompat & ~known));
	if (q->incompat & INCOMPAT_DATA_FILE)
		return fail(err, ENOTSUP, q, "an external data file is not "
			    "supported");
	if (!(q->incompat & INCOMPAT_COMPRESSION))
		q->compression = 0;
	if (q->compression > 1)
		return da_error_set(err, ENOTSUP, "%s: qcow2: unknown "
				    "compression type %u", path,
				    q->compression);
	q->ext_l2 = q->incompat & INCOMPAT_EXTL2;
	if (q->ext_l2 && q->cluster_bits < 14)
		return fail(err, EINVAL, q, "extended L2 with clusters under "
			    "16 KiB");
	q->entry_size = q->ext_l2 ? 16 : 8;
	q->l2_bits = q->cluster_bits - (q->ext_l2 ? 4 : 3);

	/* the guest size must be addressable by an L1 table within bounds */
	uint64_t per_l1 = q->cluster_size << q->l2_bits;   /* <= 2^38 */
	uint64_t need = q->size / per_l1 + (q->size % per_l1 != 0);
	if (q->size > (1ULL << 60) || need > MAX_L1_BYTES / 8)
		return da_error_set(err, EFBIG, "%s: qcow2: absurd guest size "
				    "%llu bytes", path,
				    (unsigned long long)q->size);
	if (q->size == 0)
		return fail(err, EINVAL, q, "the guest disk is empty (size 0)");
	if (q->l1_size > MAX_L1_BYTES / 8)
		return da_error_set(err, EFBIG, "%s: qcow2: absurd L1 table "
				    "size %u entries", path, q->l1_size);
	if (q->l1_size && (q->l1_off % q->cluster_size ||
			   !range_ok(q->l1_off, (uint64_t)q->l1_size * 8,
				     q->file_size)))
		return da_error_set(err, EINVAL, "%s: qcow2: the L1 table "
				    "(%u entries at %llu) lies outside the "
				    "file (%llu bytes; truncated?)", path,
				    q->l1_size, (unsigned long long)q->l1_off,
				    (unsigned long long)q->file_size);

	/* the first cluster: header extensions and the backing file name */
	uint64_t c0 = q->cluster_size < q->file_size ? q->cluster_size
						     : q->file_size;
	uint8_t *c = calloc(1, q->cluster_size);
	if (!c)
		return fail(err, ENOMEM, q, "out of memory");
	if (pread_all(q, c, c0, 0, err) < 0 || parse_extensions(q, c, err) < 0) {
		free(c);
		return -1;
	}
	if (q->backing_off) {
		if (q->backing_len == 0 || q->backing_len > MAX_BACKING_NAME ||
		    !range_ok(q->backing_off, q->backing_len, c0)) {
			free(c);
			return fail(err, EINVAL, q, "the backing file name lies "
				    "outside the first cluster");
		}
		q->backing_name = strndup((const char *)c + q->backing_off,
					  q->backing_len);
		if (!q->backing_name || strlen(q->backing_name) != q->backing_len) {
			free(c);
			return fail(err, EINVAL, q, "the backing file name holds "
				    "a NUL byte");
		}
	}
	free(c);

	q->l1 = calloc(q->l1_size ? q->l1_size : 1, sizeof(*q->l1));
	if (!q->l1)
		return fail(err, ENOMEM, q, "out of memory");
	if (q->l1_size) {
		uint8_t *raw = malloc((size_t)q->l1_size * 8);
		if (!raw)
			return fail(err, ENOMEM, q, "out of memory");
		if (pread_all(q, raw, (size_t)q->l1_size * 8, q->l1_off, err) < 0) {
			free(raw);
			return -1;
		}
		for (uint32_t i = 0; i < q->l1_size; i++)
			q->l1[i] = be64(raw + 8 * (size_t)i);
		free(raw);
	}
	q->nl2c = MAX_L2_CACHE_BYTES / q->cluster_size;
	if (q->nl2c < 2)
		q->nl2c = 2;
	if (q->nl2c > 64)
		q->nl2c = 64;
	q->l2c = da_xcalloc(q->nl2c, sizeof(*q->l2c));
	return 0;
}

void qcow2_free(struct qcow2 *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->backing)
		da_device_unref(q->backing);
	for (size_t i = 0; i < q->nl2c; i++)
		free(q->l2c[i].buf);
	free(q->l2c);
	for (size_t i = 0; i < 4; i++)
		free(q->zc[i].buf);
	free(q->zin);
	if (q->zstd)
		ZS->ZSTD_freeDCtx(q->zstd);
	free(q->l1);
	free(q->path);
	free(q->backing_name);
	free(q->backing_fmt);
	free(q->chain_desc);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

const uint8_t *qcow2_l2(struct qcow2 *q, uint64_t off, da_error *err)
{
	struct qcow2_l2_cache *victim = &q->l2c[0];
	for (size_t i = 0; i < q->nl2c; i++) {
		if (q->l2c[i].off == off && q->l2c[i].buf) {
			q->l2c[i].used = ++q->stamp;
			return q->l2c[i].buf;
		}
		if (q->l2c[i].used < victim->used)
			victim = &q->l2c[i];
	}
	if (off % q->cluster_size) {
		da_error_set(err, EIO, "%s: qcow2: L2 table offset %llu is not "
			     "cluster-aligned", q->path,
			     (unsigned long long)off);
		return NULL;
	}
	if (!victim->buf && !(victim->buf = malloc(q->cluster_size))) {
		da_error_set(err, ENOMEM, "%s: out of memory", q->path);
		return NULL;
	}
	victim->off = 0;
	if (pread_all(q, victim->buf, q->cluster_size, off, err) < 0)
		return NULL;
	victim->off = off;
	victim->used = ++q->stamp;
	return victim->buf;
}

int qcow2_entry(struct qcow2 *q, uint64_t c, uint64_t *entry,
		uint64_t *bitmap, da_error *err)
{
	*entry = *bitmap = 0;
	uint64_t l1i = c >> q->l2_bits;
	if (l1i >= q->l1_size)
		return 0;
	uint64_t l2off = q->l1[l1i] & QCOW2_OFFSET_MASK;
	if (!l2off)
		return 0;
	const uint8_t *t = qcow2_l2(q, l2off, err);
	if (!t)
		return -1;
	uint64_t i = c & ((1ULL << q->l2_bits) - 1);
	*entry = be64(t + i * q->entry_size);
	if (q->ext_l2)
		*bitmap = be64(t + i * q->entry_size + 8);
	return 0;
}

void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry,
			    uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	*off = entry & ((1ULL << x) - 1);
	uint64_t sectors = ((entry & ~(QCOW2_COMPRESSED | QCOW2_COPIED)) >> x) + 1;
	*len = sectors * 512 - (*off & 511);
}

/* ---- the guest device ---- */

/* What guest byte off is, and for how many bytes from off that holds
 * (within its cluster or subcluster); *host gets the host byte of data.
 * Caller holds q->lock. */
static int classify(struct qcow2 *q, uint64_t off, enum qcow2_kind *kind,
		    uint64_t *host, uint64_t *entry_out, uint64_t *run,
		    da_error *err)
{
	uint64_t c = off >> q->cluster_bits, in = off & (q->cluster_size - 1);
	uint64_t entry, bitmap;
	/* no L2 table: every cluster it would map is unallocated, in one
	 * answer (a 64 TiB image with nothing written is 131,072 of them,
	 * where a cluster at a time was a billion) */
	uint64_t l1i = c >> q->l2_bits;
	if (l1i >= q->l1_size || !(q->l1[l1i] & QCOW2_OFFSET_MASK)) {
		*entry_out = 0;
		*host = 0;
		*kind = Q_UNALLOC;
		*run = ((l1i + 1) << (q->l2_bits + q->cluster_bits)) - off;
		return 0;
	}
	if (qcow2_entry(q, c, &entry, &bitmap, err) < 0)
		return -1;
	*entry_out = entry;
	*run = q->cluster_size - in;
	*host = 0;
	if (entry & QCOW2_COMPRESSED) {
		*kind = Q_COMPRESSED;
		return 0;
	}
	uint64_t h = entry & QCOW2_OFFSET_MASK;
	if (q->ext_l2) {
		unsigned sb = q->cluster_bits - 5;
		unsigned s = (unsigned)(in >> sb);
		*run = (1ULL << sb) - (in & ((1ULL << sb) - 1));
		if (bitmap >> s & 1)
			*kind = Q_DATA;
		else if (bitmap >> (32 + s) & 1)
			*kind = Q_ZERO;
		else
			*kind = Q_UNALLOC;
	} else if (entry & 1) {
		*kind = Q_ZERO;
	} else {
		*kind = h ? Q_DATA : Q_UNALLOC;
	}
	if (*kind == Q_DATA) {
		if (!h || h % q->cluster_size)
			return da_error_set(err, EIO, "%s: qcow2: guest cluster "
					    "%llu has a bad host offset %llu",
					    q->path, (unsigned long long)c,
					    (unsigned long long)h);
		*host = h + in;
	}
	return 0;
}

static int decompress(struct qcow2 *q, const uint8_t *in, size_t inlen,
		      uint8_t *out, da_error *err)
{
	const char *need = qcow2_codec(q->compression);
	if (need)
		return fail(err, ENOENT, q, need);
	if (q->compression == 0) {
		z_stream s;
		memset(&s, 0, sizeof(s));
		if (z_inflate_init(&s, -12) != Z_OK)
			return fail(err, EIO, q, "zlib does not start");
		s.next_in = (Bytef *)in;
		s.avail_in = (uInt)inlen;
		s.next_out = out;
		s.avail_out = (uInt)q->cluster_size;
		int r = Z->inflate(&s, Z_FINISH);
		bool ok = (r == Z_STREAM_END || r == Z_BUF_ERROR) &&
			  s.avail_out == 0;
		Z->inflateEnd(&s);
		return ok ? 0 : fail(err, EIO, q, "a compressed cluster does "
				     "not inflate (zlib)");
	}
	if (!q->zstd && !(q->zstd = ZS->ZSTD_createDCtx()))
		return fail(err, ENOMEM, q, "out of memory");
	ZS->ZSTD_DCtx_reset(q->zstd, ZSTD_reset_session_only);
	ZSTD_inBuffer zi = { in, inlen, 0 };
	ZSTD_outBuffer zo = { out, q->cluster_size, 0 };
	for (int k = 0; k < 1024 && zo.pos < zo.size; k++) {
		size_t r = ZS->ZSTD_decompressStream(q->zstd, &zo, &zi);
		if (ZS->ZSTD_isError(r))
			break;
		if (zi.pos == zi.size && r != 0)
			break;
		if (r == 0)
			break;
	}
	return zo.pos == zo.size ? 0 : fail(err, EIO, q, "a compressed "
					    "cluster does not decompress "
					    "(zstd)");
}

/* The decompressed cluster of a compressed L2 entry, through the cache. */
static const uint8_t *compressed_cluster(struct qcow2 *q, uint64_t entry,
					 da_error *err)
{
	struct qcow2_z_cache *victim = &q->zc[0];
	for (size_t i = 0; i < 4; i++) {
		if (q->zc[i].buf && q->zc[i].entry == entry) {
			q->zc[i].used = ++q->stamp;
			return q->zc[i].buf;
		}
		if (q->zc[i].used < victim->used)
			victim = &q->zc[i];
	}
	uint64_t off, len;
	qcow2_compressed_range(q, entry, &off, &len);
	if (off >= q->file_size) {
		da_error_set(err, EIO, "%s: qcow2: a compressed cluster at %llu "
			     "lies past the end of the file", q->path,
			     (unsigned long long)off);
		return NULL;
	}
	if (len > q->file_size - off)      /* the last one may end the file */
		len = q->file_size - off;
	if (len > 2 * q->cluster_size + 512)
		len = 2 * q->cluster_size + 512;
	if (!q->zin && !(q->zin = malloc(2 * q->cluster_size + 512)))
		return NULL;
	if (!victim->buf && !(victim->buf = malloc(q->cluster_size))) {
		da_error_set(err, ENOMEM, "%s: out of memory", q->path);
		return NULL;
	}
	victim->entry = 0;
	if (pread_all(q, q->zin, len, off, err) < 0 ||
	    decompress(q, q->zin, len, victim->buf, err) < 0)
		return NULL;
	victim->entry = entry;
	victim->used = ++q->stamp;
	return victim->buf;
}

static int qdev_read(struct da_device *dev, void *buf, size_t len,
		     uint64_t off, da_error *err)
{
	struct qcow2 *q = dev->priv;
	uint8_t *b = buf;
	if (q->crypt_method)
		return da_error_set(err, EACCES, "%s: the guest's data is "
				    "encrypted (qcow2 %s); diskatlas does not "
				    "decrypt it (--key-file is for LUKS volumes "
				    "inside a disk): decrypt a copy with "
				    "qemu-img convert (diskatlas(1), IMAGE "
				    "FORMATS); %s@host shows the image's own "
				    "layout", q->path,
				    q->crypt_method == 1 ? "AES" : "LUKS",
				    dev->name);
	if (da_debug)
		da_trace("read %s off=%llu len=%zu", dev->name,
			 (unsigned long long)off, len);
	pthread_mutex_lock(&q->lock);
	int rc = 0;
	while (len && rc == 0) {
		enum qcow2_kind k;
		uint64_t host, entry, run;
		if (classify(q, off, &k, &host, &entry, &run, err) < 0) {
			rc = -1;
			break;
		}
		size_t n = run < len ? (size_t)run : len;
		switch (k) {
		case Q_DATA:
			rc = pread_all(q, b, n, host, err);
			break;
		case Q_ZERO:
			memset(b, 0, n);
			break;
		case Q_UNALLOC:
			if (!q->backing || off >= q->backing->size) {
				memset(b, 0, n);
			} else {
				size_t m = n;
				if (m > q->backing->size - off)
					m = (size_t)(q->backing->size - off);
				memset(b + m, 0, n - m);
				rc = da_device_read(q->backing, b, m, off, err);
			}
			break;
		case Q_COMPRESSED: {
			const uint8_t *z = compressed_cluster(q, entry, err);
			if (!z)
				rc = -1;
			else
				memcpy(b, z + (off & (q->cluster_size - 1)), n);
			break;
		}
		}
		b += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static uint64_t qdev_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

/* Data (1) or hole (0) at off: zero and unallocated clusters are holes,
 * unless a backing file holds data there. */
static int qdev_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct qcow2 *q = dev->priv;
	if (q->crypt_method) {
		*run = dev->size - off;
		return 1;
	}
	pthread_mutex_lock(&q->lock);
	int answer = -1;
	uint64_t total = 0;
	/* a few thousand clusters a call: the caller asks again */
	for (int steps = 0; steps < 65536 && off < dev->size; steps++) {
		enum qcow2_kind k;
		uint64_t host, entry, r;
		da_error e;
		if (classify(q, off, &k, &host, &entry, &r, &e) < 0) {
			if (answer < 0) {      /* unreadable: call it data */
				answer = 1;
				total = q->cluster_size - (off & (q->cluster_size - 1));
			}
			break;
		}
		int a = k == Q_DATA || k == Q_COMPRESSED;
		if (k == Q_UNALLOC && q->backing && off < q->backing->size) {
			if (!(off >= q->bk_off && off - q->bk_off < q->bk_run)) {
				uint64_t br;
				q->bk_answer = da_device_extent(q->backing, off,
								&br) == 1;
				q->bk_off = off;
				q->bk_run = br ? br : 1;
			}
			a = q->bk_answer;
			uint64_t br = q->bk_run - (off - q->bk_off);
			if (br < r)
				r = br;
		}
		if (answer >= 0 && a != answer)
			break;
		answer = a;
		if (r > dev->size - off)
			r = dev->size - off;
		total += r;
		off += r;
	}
	pthread_mutex_unlock(&q->lock);
	*run = total ? total : 1;
	return answer < 0 ? 1 : answer;
}

static void qdev_close(struct da_device *dev)
{
	qcow2_free(dev->priv);
}

static const struct da_device_ops qcow2_ops = {
	.read = qdev_read,
	.contiguous = qdev_contiguous,
	.extent = qdev_extent,
	.close = qdev_close,
};

struct qcow2 *qcow2_of(struct da_device *dev)
{
	return dev && dev->ops == &qcow2_ops ? dev->priv : NULL;
}

struct qcow2 *qcow2_link(struct da_device *dev, int link)
{
	struct qcow2 *q = qcow2_of(dev);
	for (int i = 0; q && i < link && i <= DA_IMAGE_MAX_CHAIN; i++)
		q = qcow2_of(q->backing);
	return q;
}

enum qcow2_kind qcow2_kind_at(struct qcow2 *q, uint64_t off)
{
	if (off >= q->size)
		return Q_UNALLOC;
	enum qcow2_kind k;
	uint64_t host, entry, run;
	da_error e;
	pthread_mutex_lock(&q->lock);
	if (classify(q, off, &k, &host, &entry, &run, &e) < 0)
		k = Q_UNALLOC;
	pthread_mutex_unlock(&q->lock);
	return k;
}

static const char *qcow2_host_path(struct da_device *guest, int link)
{
	struct qcow2 *q = qcow2_link(guest, link);
	return q ? q->path : NULL;
}

/* The backing file's path: relative names are relative to the image's
 * directory, as qemu resolves them. */
static char *backing_path(const char *image, const char *name)
{
	if (name[0] == '/')
		return da_strdup(name);
	char *dup = da_strdup(image);
	char *p = da_asprintf("%s/%s", dirname(dup), name);
	free(dup);
	return p;
}

static int open_backing(struct qcow2 *q, const char *name,
			struct da_image_chain *chain, da_error *err)
{
	if (chain->depth >= DA_IMAGE_MAX_CHAIN)
		return da_error_set(err, ELOOP, "%s: backing chain longer than "
				    "%d files, the most followed: the last one "
				    "followed, %s, has a backing file too",
				    chain->top, DA_IMAGE_MAX_CHAIN, q->path);
	if (da_image_is_uri(q->backing_name))
		return da_error_set(err, ENOTSUP, "%s: backing file %s: a URI "
				    "is not followed", q->path,
				    q->backing_name);
	char *path = backing_path(q->path, q->backing_name);
	struct stat st;
	if (stat(path, &st) < 0) {
		da_error_set(err, errno, "%s: backing file %s: %s", q->path,
			     path, strerror(errno));
		free(path);
		return -1;
	}
	for (const struct da_image_chain *c = chain; c; c = c->up) {
		if (c->dev == (unsigned long long)st.st_dev &&
		    c->ino == (unsigned long long)st.st_ino) {
			da_error_set(err, ELOOP, "%s: backing chain loops back "
				     "to %s", q->path, path);
			free(path);
			return -1;
		}
	}
	struct da_image_chain next = {
		.depth = chain->depth + 1, .top = chain->top, .up = chain,
		.dev = (unsigned long long)st.st_dev,
		.ino = (unsigned long long)st.st_ino,
	};
	char *bname = da_asprintf("%s<-%s", name, q->backing_name);
	const struct da_image_format *used = NULL;
	const char *fmt = q->backing_fmt && q->backing_fmt[0] ? q->backing_fmt
							      : NULL;
	/* any format we open: a qcow2 by our own reader, a vmdk or vhdx
	 * through a qemu-nbd child of its own */
	q->backing = da_image_open(bname, path, fmt, &next, &used, err);
	free(bname);
	if (!q->backing) {
		free(path);
		return -1;
	}
	struct qcow2 *bq = qcow2_of(q->backing);
	q->chain_desc = da_asprintf("%s (%s)%s%s", path, used->name,
				    bq && bq->chain_desc ? " <- " : "",
				    bq && bq->chain_desc ? bq->chain_desc : "");
	free(path);
	return 0;
}

static struct da_device *qcow2_open(const char *name, const char *path,
				    const char *format,
				    struct da_image_chain *chain,
				    da_error *err)
{
	(void)format;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		da_error_set(err, e, "%s: %s", path, da_image_open_error(e));
		return NULL;
	}
	struct qcow2 *q = da_xcalloc(1, sizeof(*q));
	if (qcow2_parse(q, fd, path, err) < 0) {
		qcow2_free(q);
		return NULL;
	}
	/* deep in a long chain, a small L2 cache a file: a scan reads each
	 * file's tables in order, and 256 full caches would be a GiB */
	if (chain->depth >= CHAIN_FULL_CACHE && q->nl2c > 2)
		q->nl2c = 2;
	if (chain->depth == 0) {
		struct stat st;
		if (fstat(fd, &st) == 0) {
			chain->dev = (unsigned long long)st.st_dev;
			chain->ino = (unsigned long long)st.st_ino;
		}
	}
	if (q->backing_name && open_backing(q, name, chain, err) < 0) {
		qcow2_free(q);
		return NULL;
	}
	struct da_device *d = da_device_alloc(&qcow2_ops, name, q->size, q);
	d->is_disk = true;
	return d;
}

struct da_node *da_qcow2_host_view(struct da_device *guest, int link,
				   struct da_device *host, da_error *err);

const struct da_image_format da_image_qcow2 = {
	.name = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_open,
	.host_path = qcow2_host_path,
	.host_view = da_qcow2_host_view,
};
