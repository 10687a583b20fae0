/* The raw image back end: an image file or a host block device, opened
 * read-only and read with pread; a sparse file tells its holes through
 * SEEK_DATA/SEEK_HOLE, so the map can show never-written space.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

struct file_priv {
	int fd;
	char *path;
	bool holes;                /* SEEK_DATA/SEEK_HOLE work here */
	bool regular;              /* a regular file: views are mappings */
};

static int file_read(struct da_device *dev, void *buf, size_t len,
		     uint64_t off, da_error *err)
{
	struct file_priv *p = dev->priv;
	uint8_t *b = buf;
	if (da_debug)
		da_trace("read %s off=%llu len=%zu", dev->name,
			 (unsigned long long)off, len);
	while (len > 0) {
		/* one call at most 1 GiB: pread's count must fit ssize_t */
		size_t want = len < (1u << 30) ? len : (1u << 30);
		ssize_t n = pread(p->fd, b, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return da_error_set(err, errno, "%s: read error at "
					    "offset %llu: %s", p->path,
					    (unsigned long long)off,
					    strerror(errno));
		if (n == 0)
			return da_error_set(err, EIO, "%s: short read at "
					    "offset %llu (truncated?)",
					    p->path, (unsigned long long)off);
		b += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* A view is a read-only shared mapping of the pages asked for, which
 * spares the copy a pread makes.  Not MAP_POPULATE: the kernel then maps
 * page by page, where a fault maps the 16 pages around it from the page
 * cache in one go (an index on 511k inodes costs 4% less; none of the
 * bench's images is slower).  Regular files only: a
 * block device's read error would be a SIGBUS here.  The file's size is
 * checked first, so that a view never reaches past its end when made. */
static int file_view(struct da_device *dev, uint64_t off, size_t len,
		     struct da_view *v)
{
	struct file_priv *p = dev->priv;
	if (!p->regular)
		return -1;
	/* asked each time: views come from the index and explorer threads */
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;
	struct stat st;
	if (fstat(p->fd, &st) < 0 || st.st_size < 0 ||
	    !range_ok(off, len, (uint64_t)st.st_size))
		return -1;
	uint64_t at = off / (uint64_t)page * (uint64_t)page;
	size_t maplen = (size_t)(off - at) + len;
	void *m = mmap(NULL, maplen, PROT_READ, MAP_SHARED,
		       p->fd, (off_t)at);
	if (m == MAP_FAILED)
		return -1;
	if (da_debug)
		da_trace("view %s off=%llu len=%zu", dev->name,
			 (unsigned long long)off, len);
	v->base = m;
	v->maplen = maplen;
	v->p = (const uint8_t *)m + (off - at);
	return 0;
}

static uint64_t file_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

static int file_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct file_priv *p = dev->priv;
	if (!p->holes) {
		*run = dev->size - off;
		return 1;
	}
	off_t data = lseek(p->fd, (off_t)off, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO) {          /* a hole to the end */
			*run = dev->size - off;
			return 0;
		}
		*run = dev->size - off;
		return 1;
	}
	if ((uint64_t)data >= dev->size) {   /* the file grew: still a hole */
		*run = dev->size - off;
		return 0;
	}
	if ((uint64_t)data > off) {
		*run = (uint64_t)data - off;
		return 0;
	}
	off_t hole = lseek(p->fd, (off_t)off, SEEK_HOLE);
	if (hole < 0 || (uint64_t)hole <= off || (uint64_t)hole > dev->size)
		hole = (off_t)dev->size;
	*run = (uint64_t)hole - off;
	return 1;
}

static void file_close(struct da_device *dev)
{
	struct file_priv *p = dev->priv;
	close(p->fd);
	free(p->path);
	free(p);
}

static const struct da_device_ops file_ops = {
	.read = file_read,
	.contiguous = file_contiguous,
	.extent = file_extent,
	.close = file_close,
	.view = file_view,
};

struct da_device *da_file_device_open(const char *name, const char *path,
				      da_error *err)
{
	/* O_NONBLOCK so that a FIFO cannot hang the open; cleared below */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		da_error_set(err, e, "%s: %s", path, da_image_open_error(e));
		return NULL;
	}
	struct stat st;
	uint64_t size = 0;
	if (fstat(fd, &st) < 0) {
		da_error_set(err, errno, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		da_error_set(err, EISDIR, "%s: is a directory", path);
		close(fd);
		return NULL;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			da_error_set(err, errno, "%s: cannot get the size of "
				     "the block device: %s", path,
				     strerror(errno));
			close(fd);
			return NULL;
		}
	} else {
		da_error_set(err, EINVAL, "%s: not a disk image (neither a "
			     "regular file nor a block device)", path);
		close(fd);
		return NULL;
	}
	if (size == 0) {
		da_error_set(err, EINVAL, "%s: empty %s", path,
			     S_ISREG(st.st_mode) ? "file" : "device");
		close(fd);
		return NULL;
	}
	if (size > (uint64_t)INT64_MAX) {
		da_error_set(err, EFBIG, "%s: too large", path);
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct file_priv *p = da_xcalloc(1, sizeof(*p));
	p->fd = fd;
	p->path = da_strdup(path);
	p->regular = S_ISREG(st.st_mode);
	p->holes = S_ISREG(st.st_mode) &&
		   lseek(fd, 0, SEEK_HOLE) >= 0;
	struct da_device *d = da_device_alloc(&file_ops, name, size, p);
	d->is_disk = true;
	return d;
}

static struct da_device *raw_open(const char *name, const char *path,
				  const char *format,
				  struct da_image_chain *chain, da_error *err)
{
	(void)format;
	(void)chain;
	return da_file_device_open(name, path, err);
}

const struct da_image_format da_image_raw = {
	.name = "raw",
	.open = raw_open,
};
