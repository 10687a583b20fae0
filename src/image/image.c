/* The table of image formats, detection by magic, and opening a disk
 * with its format.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

/* Most specific first; raw last: it matches everything. */
const struct da_image_format *const da_image_formats[] = {
	&da_image_qcow2, &da_image_vmdk, &da_image_vhdx, &da_image_vdi,
	&da_image_vpc, &da_image_qed, &da_image_nbd, &da_image_raw, NULL,
};

const char *const *da_image_format_names(void)
{
	static const char *names[sizeof(da_image_formats) /
				  sizeof(da_image_formats[0])];
	for (size_t i = 0; da_image_formats[i]; i++)
		names[i] = da_image_formats[i]->name;
	return names;
}

const struct da_image_format *da_image_find(const char *name)
{
	for (size_t i = 0; da_image_formats[i]; i++)
		if (!strcmp(da_image_formats[i]->name, name))
			return da_image_formats[i];
	return NULL;
}

bool da_image_is_uri(const char *path)
{
	return !strncmp(path, "nbd://", 6) || !strncmp(path, "nbd+unix://", 11) ||
	       !strncmp(path, "nbds://", 7) || !strncmp(path, "nbds+unix://", 12);
}

const char *da_image_open_error(int e)
{
	if (e == EACCES)
		return "permission denied";
	if (e == EMFILE)   /* a long backing chain, or many disks */
		return "more files open than this process may have (see "
		       "ulimit -n)";
	return strerror(e);
}

/* The first bytes of the file; -1 with err when it cannot be opened. */
static ssize_t head(const char *path, uint8_t *buf, size_t len, da_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		da_error_set(err, e, "%s: %s", path, da_image_open_error(e));
		return -1;
	}
	ssize_t n = pread(fd, buf, len, 0);
	close(fd);
	return n < 0 ? 0 : n;     /* a directory: the raw open says so */
}

/* The last len bytes of the file (fewer when it is shorter), 0 when it
 * cannot be read; -1 with err when it cannot be opened. */
static ssize_t tail(const char *path, uint8_t *buf, size_t len, da_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		da_error_set(err, e, "%s: %s", path, da_image_open_error(e));
		return -1;
	}
	off_t end = lseek(fd, 0, SEEK_END);     /* a block device's size too */
	ssize_t n = 0;
	if (end > 0) {
		off_t at = end > (off_t)len ? end - (off_t)len : 0;
		n = pread(fd, buf, (size_t)(end - at), at);
	}
	close(fd);
	return n < 0 ? 0 : n;
}

const struct da_image_format *da_image_detect(const char *path,
					      da_error *err)
{
	if (da_image_is_uri(path))
		return &da_image_nbd;
	uint8_t buf[512];
	ssize_t n = head(path, buf, sizeof(buf), err);
	if (n < 0)
		return NULL;
	for (size_t i = 0; da_image_formats[i]; i++)
		if (da_image_formats[i]->probe &&
		    da_image_formats[i]->probe(buf, (size_t)n))
			return da_image_formats[i];
	return &da_image_raw;
}

struct da_device *da_image_open(const char *name, const char *path,
				const char *format,
				struct da_image_chain *chain,
				const struct da_image_format **used,
				da_error *err)
{
	const struct da_image_format *f;
	if (format && strcmp(format, "auto") != 0) {
		f = da_image_find(format);
		if (!f) {
			da_error_set(err, EINVAL, "%s: unknown image format "
				     "'%s'", path, format);
			return NULL;
		}
		if (da_image_is_uri(path))
			f = &da_image_nbd;
		else if (f->probe) {
			/* a forced format must be what the file is */
			uint8_t buf[512];
			ssize_t n = head(path, buf, sizeof(buf), err);
			if (n < 0)
				return NULL;
			bool mine = f->probe(buf, (size_t)n);
			if (!mine && f->probe_end) {
				/* a fixed VHD has its footer only, at the end */
				uint8_t end[DA_IMAGE_TAIL];
				ssize_t m = tail(path, end, sizeof(end), err);
				if (m < 0)
					return NULL;
				mine = f->probe_end(end, (size_t)m);
			}
			if (!mine) {
				const struct da_image_format *is =
					da_image_detect(path, NULL);
				da_error_set(err, EINVAL, "%s: not a %s image "
					     "(%s%s)", path, f->name,
					     is && is != &da_image_raw ?
					     "it looks like " : "no ",
					     is && is != &da_image_raw ?
					     is->name : "header of that format");
				return NULL;
			}
		} else if (f == &da_image_nbd) {
			da_error_set(err, EINVAL, "%s: --format nbd wants an "
				     "NBD URI (nbd://HOST/EXPORT or "
				     "nbd+unix:///EXPORT?socket=PATH)", path);
			return NULL;
		}
	} else {
		f = da_image_detect(path, err);
		if (!f)
			return NULL;
	}
	if (used)
		*used = f;
	struct da_image_chain top = { .top = path };
	return f->open(name, path, f->name, chain ? chain : &top, err);
}
