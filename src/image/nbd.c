/* Every other image format qemu reads (vmdk, vhdx, vdi, vpc, qed), and
 * NBD servers already running, through libnbd: a file is served by a
 * `qemu-nbd --read-only` child of ours (one per image, started on a socket
 * that leaves nothing in the filesystem: qemu_nbd.c), an nbd:// or
 * nbd+unix:// URI is connected to as it is.  Holes come from the
 * base:allocation metadata context.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libnbd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dl.h"
#include "image.h"
#include "qemu_nbd.h"

/* libnbd is loaded when the first such image is opened (dl.h) */
#define NBD_FUNCS(X) X(nbd_create) X(nbd_close) X(nbd_get_error)             \
	X(nbd_get_errno) X(nbd_add_meta_context) X(nbd_can_meta_context)     \
	X(nbd_connect_uri) X(nbd_aio_connect_socket) X(nbd_poll)             \
	X(nbd_aio_is_connecting) X(nbd_aio_is_ready)                         \
	X(nbd_get_size) X(nbd_get_block_size) X(nbd_pread) X(nbd_block_status)
DA_DL_DECLARE(nbd, NBD_FUNCS)
DA_DL_DEFINE(nbd, NBD_FUNCS, "libnbd.so.0",
	     "vmdk, vhdx, vdi, vpc, qed images and NBD URIs need libnbd",
	     "libnbd0")

/* qemu-nbd opens every file of the image before it answers: one that
 * never gives its bytes (a FIFO a vmdk descriptor names as an extent)
 * would hold the handshake for ever.  A minute is far more than any real
 * image takes to open. */
#define HANDSHAKE_MS 60000

/* Requests are cut to this size: below every server's maximum. */
#define MAX_REQUEST (4u << 20)
#define STATUS_SPAN (1u << 30)

struct nbd_priv {
	const struct da_dl_nbd *lib;
	struct nbd_handle *h;
	char *what;                /* the path or URI, for messages */
	pid_t child;               /* our qemu-nbd; 0 for a URI */
	char *damage;              /* what qemu-img check says, or NULL */
	bool allocation;           /* base:allocation was negotiated */
	uint64_t align;            /* the server's minimum block size */
	pthread_mutex_t lock;
	/* the last block-status answer: [st_off, st_off+st_len) */
	uint64_t st_off, st_len;
	uint64_t *st_ext;          /* pairs: end offset, hole flag */
	size_t st_n, st_cap;
};

static bool magic_at(const uint8_t *buf, size_t len, size_t off,
		     const char *m, size_t mlen)
{
	return len >= off + mlen && !memcmp(buf + off, m, mlen);
}

static bool vmdk_probe(const uint8_t *b, size_t len)
{
	return magic_at(b, len, 0, "KDMV", 4) ||
	       magic_at(b, len, 0, "# Disk DescriptorFile", 21);
}
static bool vhdx_probe(const uint8_t *b, size_t len)
{
	return magic_at(b, len, 0, "vhdxfile", 8);
}
static bool vdi_probe(const uint8_t *b, size_t len)
{
	return magic_at(b, len, 0x40, "\x7f\x10\xda\xbe", 4);
}
static bool vpc_probe(const uint8_t *b, size_t len)
{
	return magic_at(b, len, 0, "conectix", 8);
}
/* A fixed VHD: the footer (cookie, then disk type 2 at byte 60) only in
 * the file's last 512 bytes, as qemu's vpc driver looks for it */
static bool vpc_probe_end(const uint8_t *b, size_t len)
{
	return len == 512 && magic_at(b, len, 0, "conectix", 8) &&
	       be32(b + 60) == 2;
}
static bool qed_probe(const uint8_t *b, size_t len)
{
	return magic_at(b, len, 0, "QED\0", 4);
}

static int nbd_fail(const struct da_dl_nbd *L, da_error *err,
		    const char *what, const char *doing)
{
	const char *e = L->nbd_get_error();
	int no = L->nbd_get_errno();
	return da_error_set(err, no ? no : EIO,
			    "%s: %s: %s", what, doing, e ? e : "NBD error");
}

static int nbdev_read(struct da_device *dev, void *buf, size_t len,
		      uint64_t off, da_error *err)
{
	struct nbd_priv *p = dev->priv;
	uint8_t *b = buf;
	if (da_debug)
		da_trace("read %s off=%llu len=%zu", dev->name,
			 (unsigned long long)off, len);
	uint64_t a = p->align;
	if ((off | len) & (a - 1)) {
		/* the server wants whole blocks (vhdx: 512 bytes): read the
		 * blocks around the request and copy out */
		uint64_t s = off & ~(a - 1);
		uint64_t e = (off + len + a - 1) & ~(a - 1);
		if (e > dev->size)
			e = dev->size;
		uint8_t *tmp = malloc((size_t)(e - s));
		if (!tmp)
			return da_error_set(err, ENOMEM, "out of memory");
		for (uint64_t at = s; at < e;) {
			size_t n = e - at < MAX_REQUEST ? (size_t)(e - at) : MAX_REQUEST;
			if (p->lib->nbd_pread(p->h, tmp + (at - s), n, at, 0) < 0) {
				free(tmp);
				return nbd_fail(p->lib, err, p->what, "read");
			}
			at += n;
		}
		memcpy(b, tmp + (off - s), len);
		free(tmp);
		return 0;
	}
	while (len) {
		size_t n = len < MAX_REQUEST ? len : MAX_REQUEST;
		if (p->lib->nbd_pread(p->h, b, n, off, 0) < 0)
			return nbd_fail(p->lib, err, p->what, "read");
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

static uint64_t nbdev_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

static int status_cb(void *user, const char *ctx, uint64_t off,
		     uint32_t *entries, size_t n, int *error)
{
	struct nbd_priv *p = user;
	(void)error;
	if (strcmp(ctx, "base:allocation") != 0)
		return 0;
	uint64_t at = off;
	p->st_n = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (p->st_n + 2 > p->st_cap) {
			size_t cap = p->st_cap ? p->st_cap * 2 : 64;
			uint64_t *e = realloc(p->st_ext, cap * sizeof(*e));
			if (!e)
				break;
			p->st_ext = e;
			p->st_cap = cap;
		}
		at += entries[i];
		p->st_ext[p->st_n++] = at;
		p->st_ext[p->st_n++] = entries[i + 1] & 1;   /* NBD_STATE_HOLE */
	}
	p->st_off = off;
	p->st_len = at - off;
	return 0;
}

static int nbdev_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct nbd_priv *p = dev->priv;
	if (!p->allocation) {
		*run = dev->size - off;
		return 1;
	}
	pthread_mutex_lock(&p->lock);
	if (!(off >= p->st_off && off - p->st_off < p->st_len)) {
		uint64_t span = dev->size - off < STATUS_SPAN ? dev->size - off
							       : STATUS_SPAN;
		p->st_len = 0;
		if (p->lib->nbd_block_status(p->h, span, off,
				     (nbd_extent_callback){ .callback = status_cb,
							    .user_data = p },
				     0) < 0)
			p->st_len = 0;
	}
	int answer = 1;
	*run = dev->size - off;
	uint64_t start = p->st_off;
	for (size_t i = 0; i + 1 < p->st_n && p->st_len; i += 2) {
		uint64_t end = p->st_ext[i];
		if (off >= start && off < end) {
			answer = p->st_ext[i + 1] ? 0 : 1;
			*run = end - off;
			break;
		}
		start = end;
	}
	pthread_mutex_unlock(&p->lock);
	return answer;
}

static void nbdev_close(struct da_device *dev)
{
	struct nbd_priv *p = dev->priv;
	if (p->h)
		p->lib->nbd_close(p->h);      /* our qemu-nbd sees its client go */
	if (p->child > 0)
		qemu_nbd_reap(p->child);
	free(p->st_ext);
	free(p->what);
	free(p->damage);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct da_device_ops nbd_ops = {
	.read = nbdev_read,
	.contiguous = nbdev_contiguous,
	.extent = nbdev_extent,
	.close = nbdev_close,
};

/* HANDSHAKE_MS, or DISKATLAS_TEST_NBD_WAIT_MS (a test knob: tests wait a
 * second, not a minute) */
static long handshake_ms(void)
{
	const char *s = getenv("DISKATLAS_TEST_NBD_WAIT_MS");
	if (s && *s) {
		char *end;
		long ms = strtol(s, &end, 10);
		if (!*end && ms > 0 && ms <= HANDSHAKE_MS)
			return ms;
	}
	return HANDSHAKE_MS;
}

/* The NBD handshake on sock, for at most ms milliseconds (*waited: how
 * long it took): 0, -1 when it failed (libnbd's error says why), -2 when
 * the server did not finish it in time. */
static int handshake(const struct da_dl_nbd *L, struct nbd_handle *h,
		     int sock, long ms, long *waited)
{
	if (L->nbd_aio_connect_socket(h, sock) < 0)
		return -1;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (L->nbd_aio_is_connecting(h) == 1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		*waited = (t.tv_sec - t0.tv_sec) * 1000 +
			  (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (*waited >= ms)
			return -2;
		if (L->nbd_poll(h, (int)(ms - *waited)) < 0)
			return -1;
	}
	return L->nbd_aio_is_ready(h) == 1 ? 0 : -1;
}

/* A new handle, asking for holes, connected to path's server. */
static struct nbd_handle *connect_file(const struct da_dl_nbd *L,
				       const char *path, const char *format,
				       const char *exe, pid_t *pid,
				       da_error *err)
{
	struct nbd_handle *h = L->nbd_create();
	if (!h) {
		nbd_fail(L, err, path, "libnbd");
		return NULL;
	}
	L->nbd_add_meta_context(h, "base:allocation");
	int msg = qemu_nbd_msg_fd();
	int sock;
	if (qemu_nbd_spawn(exe, path, format, msg, pid, &sock, err) < 0) {
		if (msg >= 0)
			close(msg);
		L->nbd_close(h);
		return NULL;
	}
	/* from here the handle owns sock, failing or not (libnbd closes it
	 * on its own failures) */
	long waited = 0;
	int r = handshake(L, h, sock, handshake_ms(), &waited);
	if (r == -2) {
		L->nbd_close(h);
		qemu_nbd_kill(*pid);
		da_error_set(err, ETIMEDOUT, "%s: qemu-nbd did not answer in "
			     "%.1f s: a file the image names gives no bytes (a "
			     "FIFO?)", path, (double)waited / 1000);
		if (msg >= 0)
			close(msg);
		return NULL;
	}
	if (r < 0) {
		const char *e = L->nbd_get_error();
		char nbd_error[200];
		snprintf(nbd_error, sizeof(nbd_error), "%s", e ? e : "");
		int no = L->nbd_get_errno();
		L->nbd_close(h);
		qemu_nbd_reap(*pid);      /* and its message is whole */
		qemu_nbd_why(path, exe, msg, nbd_error, no, err);
		if (msg >= 0)
			close(msg);
		return NULL;
	}
	if (msg >= 0)
		close(msg);
	return h;
}

static struct da_device *nbd_open(const char *name, const char *path,
				  const char *format,
				  struct da_image_chain *chain, da_error *err)
{
	(void)chain;
	bool uri = da_image_is_uri(path);
	char *exe = NULL;
	if (!uri) {
		if (access(path, R_OK) < 0) {
			da_error_set(err, errno, "%s: %s", path, strerror(errno));
			return NULL;
		}
		exe = qemu_nbd_find();
		if (!exe) {
			da_error_set(err, ENOENT, "%s: reading %s images needs "
				     "qemu-nbd: install the qemu-utils package",
				     path, format);
			return NULL;
		}
	}
	const char *why = NULL;
	const struct da_dl_nbd *L = da_dl_nbd(&why);
	if (!L) {
		da_error_set(err, ENOENT, "%s: %s", path, why);
		free(exe);
		return NULL;
	}
	struct nbd_handle *h;
	pid_t child = 0;
	if (uri) {
		h = L->nbd_create();
		if (!h) {
			nbd_fail(L, err, path, "libnbd");
			return NULL;
		}
		L->nbd_add_meta_context(h, "base:allocation");
		if (L->nbd_connect_uri(h, path) < 0) {
			nbd_fail(L, err, path, "cannot connect");
			L->nbd_close(h);
			return NULL;
		}
	} else {
		h = connect_file(L, path, format, exe, &child, err);
		free(exe);
		if (!h)
			return NULL;
	}
	int64_t size = L->nbd_get_size(h);
	if (size <= 0) {
		if (size < 0)
			nbd_fail(L, err, path, "size");
		else
			da_error_set(err, EINVAL, "%s: empty disk", path);
		L->nbd_close(h);
		if (child > 0)
			qemu_nbd_reap(child);
		return NULL;
	}
	struct nbd_priv *p = da_xcalloc(1, sizeof(*p));
	p->lib = L;
	p->h = h;
	p->child = child;
	p->what = da_strdup(path);
	p->allocation = L->nbd_can_meta_context(h, "base:allocation") == 1;
	int64_t minb = L->nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);
	p->align = minb > 1 && minb <= 65536 && !(minb & (minb - 1))
		   ? (uint64_t)minb : 1;
	/* the format's own check, once qemu-nbd could open every file of
	 * the image (a FIFO it names has failed by now, not held us here):
	 * qemu reads zeros where a table points past the end of the file,
	 * which only the check tells from real zeros */
	if (!uri)
		p->damage = qemu_img_check(path, format, handshake_ms());
	pthread_mutex_init(&p->lock, NULL);
	struct da_device *d = da_device_alloc(&nbd_ops, name, (uint64_t)size, p);
	d->is_disk = true;
	return d;
}

static const char *nbd_damage(struct da_device *guest)
{
	const struct nbd_priv *p = guest->priv;
	return p->damage;
}

const struct da_image_format da_image_vmdk = {
	.name = "vmdk", .probe = vmdk_probe, .open = nbd_open,
	.damage = nbd_damage,
};
const struct da_image_format da_image_vhdx = {
	.name = "vhdx", .probe = vhdx_probe, .open = nbd_open,
	.damage = nbd_damage,
};
const struct da_image_format da_image_vdi = {
	.name = "vdi", .probe = vdi_probe, .open = nbd_open,
	.damage = nbd_damage,
};
const struct da_image_format da_image_vpc = {
	.name = "vpc", .probe = vpc_probe, .probe_end = vpc_probe_end,
	.open = nbd_open,
	.damage = nbd_damage,
};
const struct da_image_format da_image_qed = {
	.name = "qed", .probe = qed_probe, .open = nbd_open,
	.damage = nbd_damage,
};
/* a URI: detected by its scheme, never by magic */
const struct da_image_format da_image_nbd = {
	.name = "nbd", .open = nbd_open,
};
