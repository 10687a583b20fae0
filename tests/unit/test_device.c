/* Unit tests of the device layer: file devices (errors, short reads,
 * holes), offset slices, block-size overlays, linear, striped and mirror
 * devices, checked byte by byte against a pattern the test wrote itself.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "diskatlas.h"

static char tmpdir[256];

/* The byte at offset i of test file number f: differs between files and
 * between nearby offsets, so a read from the wrong place shows. */
static uint8_t pat(int f, uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull + (uint64_t)f * 0x5851f42d4c957f2dull;
	return (uint8_t)(x >> 56 ^ x >> 29 ^ (uint64_t)f);
}

static char *path_of(const char *base)
{
	static char p[4][512];
	static int k;
	char *s = p[k++ & 3];
	snprintf(s, 512, "%s/%s", tmpdir, base);
	return s;
}

/* A file of size bytes filled with pattern f; returns its path. */
static const char *make_file(const char *base, int f, uint64_t size)
{
	const char *p = path_of(base);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	for (uint64_t i = 0; i < size; i++)
		fputc(pat(f, i), fp);
	assert_int_equal(fclose(fp), 0);
	return p;
}

static struct da_device *open_pattern(const char *base, int f, uint64_t size)
{
	da_error err = { 0 };
	struct da_device *d = da_file_device_open(base, make_file(base, f, size),
						  &err);
	if (!d)
		fail_msg("open %s: %s", base, err.msg);
	return d;
}

static int setup(void **state)
{
	(void)state;
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/da-test-device-XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* read [off, off+len) of d and compare with expect(off + i) */
typedef uint8_t (*expect_fn)(uint64_t off, void *arg);

static void check_read(struct da_device *d, uint64_t off, size_t len,
		       expect_fn expect, void *arg)
{
	uint8_t *buf = malloc(len ? len : 1);
	da_error err = { 0 };
	assert_non_null(buf);
	if (da_device_read(d, buf, len, off, &err) < 0)
		fail_msg("read %s %zu@%llu: %s", d->name, len,
			 (unsigned long long)off, err.msg);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != expect(off + i, arg))
			fail_msg("%s: byte %llu is %u, want %u", d->name,
				 (unsigned long long)(off + i), buf[i],
				 expect(off + i, arg));
	free(buf);
}

static uint8_t expect_file(uint64_t off, void *arg)
{
	return pat(*(int *)arg, off);
}

/* ---- file devices ---- */

static void test_file_basics(void **state)
{
	(void)state;
	const uint64_t size = 300000 + 123;
	struct da_device *d = open_pattern("basic.img", 1, size);
	int f = 1;
	da_error err = { 0 };
	uint8_t buf[4096];
	struct da_target t[2];

	assert_string_equal(d->name, "basic.img");
	assert_int_equal(d->size, size);
	assert_int_equal(d->block_size, 512);
	assert_true(d->is_disk);
	assert_int_equal(d->refcount, 1);

	check_read(d, 0, 512, expect_file, &f);
	check_read(d, 12345, 4000, expect_file, &f);
	check_read(d, size - 100, 100, expect_file, &f);
	check_read(d, 0, (size_t)size, expect_file, &f);
	assert_int_equal(da_device_read(d, buf, 0, size, &err), 0);

	/* past the end: EINVAL, naming device, offset and size */
	assert_int_equal(da_device_read(d, buf, 101, size - 100, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "basic.img"));
	assert_non_null(strstr(err.msg, "300023"));
	assert_non_null(strstr(err.msg, "300123"));
	assert_int_equal(da_device_read(d, buf, 1, UINT64_MAX, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_int_equal(da_device_read(d, buf, 16, UINT64_MAX - 8, &err), -1);

	/* the bottom of every stack */
	assert_int_equal(da_device_map_block(d, 0, t, 2), 0);
	assert_int_equal(da_device_contiguous(d, 0), size);
	assert_int_equal(da_device_contiguous(d, size - 1), 1);
	assert_int_equal(da_device_contiguous(d, size), 0);
	da_device_unref(d);
}

static void test_file_errors(void **state)
{
	(void)state;
	da_error err = { 0 };
	char want[600];
	const char *p;

	p = path_of("missing.img");
	assert_null(da_file_device_open("m", p, &err));
	assert_int_equal(err.code, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", p);
	assert_string_equal(err.msg, want);

	assert_null(da_file_device_open("d", tmpdir, &err));
	assert_int_equal(err.code, EISDIR);
	snprintf(want, sizeof(want), "%s: is a directory", tmpdir);
	assert_string_equal(err.msg, want);

	p = make_file("empty.img", 0, 0);
	assert_null(da_file_device_open("e", p, &err));
	snprintf(want, sizeof(want), "%s: empty file", p);
	assert_string_equal(err.msg, want);

	/* neither a file nor a block device; a FIFO must not hang the open */
	assert_null(da_file_device_open("n", "/dev/null", &err));
	assert_non_null(strstr(err.msg, "/dev/null: "));
	p = path_of("fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_null(da_file_device_open("f", p, &err));
	assert_non_null(strstr(err.msg, "fifo: "));

	/* permission denied: only meaningful when not root */
	if (geteuid() != 0) {
		p = make_file("secret.img", 2, 1000);
		assert_int_equal(chmod(p, 0), 0);
		assert_null(da_file_device_open("s", p, &err));
		assert_int_equal(err.code, EACCES);
		snprintf(want, sizeof(want), "%s: permission denied", p);
		assert_string_equal(err.msg, want);
	}
}

static void test_file_truncated(void **state)
{
	(void)state;
	struct da_device *d = open_pattern("trunc.img", 3, 8192);
	da_error err = { 0 };
	uint8_t buf[1024];
	int f = 3;
	assert_int_equal(truncate(path_of("trunc.img"), 5000), 0);
	check_read(d, 1000, 4000, expect_file, &f);
	assert_int_equal(da_device_read(d, buf, 1024, 4096, &err), -1);
	assert_int_equal(err.code, EIO);
	assert_non_null(strstr(err.msg, "trunc.img: short read at offset 5000"));
	da_device_unref(d);
}

/* Views: the same bytes as reads, at any alignment, through slices and
 * overlays; none past the end, none of a device that gives no views (a
 * linear device), and none past a file that shrank since it was opened
 * (a view is never made over bytes the file no longer has). */
static void check_view(struct da_device *d, uint64_t off, size_t len,
		       int f, uint64_t shift)
{
	struct da_view v;
	if (da_device_view(d, off, len, &v) < 0)
		fail_msg("view %s %zu@%llu failed", d->name, len,
			 (unsigned long long)off);
	for (size_t i = 0; i < len; i++)
		if (v.p[i] != pat(f, shift + off + i))
			fail_msg("%s: viewed byte %llu is %u, want %u", d->name,
				 (unsigned long long)(off + i), v.p[i],
				 pat(f, shift + off + i));
	da_device_unview(&v);
	assert_null(v.p);
}

static void test_file_view(void **state)
{
	(void)state;
	const uint64_t size = 300000 + 123;
	struct da_device *d = open_pattern("view.img", 5, size);
	da_error err = { 0 };
	struct da_view v;
	check_view(d, 0, 4096, 5, 0);
	check_view(d, 1, 1, 5, 0);
	check_view(d, 4095, 8193, 5, 0);
	check_view(d, 12345, (size_t)(size - 12345), 5, 0);
	assert_int_equal(da_device_view(d, size - 10, 11, &v), -1);
	assert_null(v.p);
	assert_int_equal(da_device_view(d, size, 1, &v), -1);
	assert_int_equal(da_device_view(d, UINT64_MAX - 1, 4, &v), -1);
	assert_int_equal(da_device_view(d, 0, 0, &v), -1);
	/* a slice of a slice, then an overlay: offsets add up */
	struct da_device *o = da_offset_device_new("o", d, 1000, 200000, &err);
	assert_non_null(o);
	struct da_device *o2 = da_offset_device_new("o2", o, 7, 100000, &err);
	assert_non_null(o2);
	struct da_device *b = da_blocksize_overlay_new(o2, 4096, &err);
	assert_non_null(b);
	check_view(o, 0, 200000, 5, 1000);
	check_view(b, 4093, 5000, 5, 1007);
	assert_int_equal(da_device_view(o2, 99999, 2, &v), -1);
	/* a linear device reads; it gives no view */
	struct da_linear_seg seg[1] = { { 0, 4096, d, 0 } };
	struct da_device *l = da_linear_device_new("lv", 4096, seg, 1, &err);
	assert_non_null(l);
	assert_int_equal(da_device_view(l, 0, 4096, &v), -1);
	/* the file shrinks: no view over what is gone, reads still fail
	 * cleanly, and what is left is still viewed */
	assert_int_equal(truncate(path_of("view.img"), 50000), 0);
	assert_int_equal(da_device_view(d, 40000, 20000, &v), -1);
	assert_int_equal(da_device_view(b, 60000, 4096, &v), -1);
	check_view(d, 100, 49900, 5, 0);
	da_device_unref(l);
	da_device_unref(b);
	da_device_unref(o2);
	da_device_unref(o);
	da_device_unref(d);
}

/* Does this filesystem report holes?  (tmpfs and ext4 do.) */
static bool holes_supported(const char *p)
{
	int fd = open(p, O_RDONLY);
	off_t r = fd < 0 ? -1 : lseek(fd, 0, SEEK_DATA);
	int e = errno;
	if (fd >= 0)
		close(fd);
	return r > 0 || (r < 0 && e == ENXIO);
}

static void write_at(const char *p, uint64_t off, size_t len)
{
	int fd = open(p, O_WRONLY);
	uint8_t buf[65536];
	assert_true(fd >= 0);
	assert_true(len <= sizeof(buf));
	memset(buf, 0xa5, len);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void test_file_holes(void **state)
{
	(void)state;
	const uint64_t M = 1 << 20;
	const char *p = path_of("sparse.img");
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(truncate(p, 16 * M), 0);
	write_at(p, 4 * M, 4096);
	write_at(p, 12 * M, 8192);
	if (!holes_supported(p))
		skip();

	da_error err = { 0 };
	struct da_device *d = da_file_device_open("sparse", p, &err);
	uint64_t run;
	assert_non_null(d);
	assert_int_equal(da_device_extent(d, 0, &run), 0);
	assert_int_equal(run, 4 * M);
	assert_int_equal(da_device_extent(d, 1000, &run), 0);
	assert_int_equal(run, 4 * M - 1000);
	assert_int_equal(da_device_extent(d, 4 * M, &run), 1);
	assert_int_equal(run, 4096);
	assert_int_equal(da_device_extent(d, 4 * M + 100, &run), 1);
	assert_int_equal(run, 4096 - 100);
	assert_int_equal(da_device_extent(d, 4 * M + 4096, &run), 0);
	assert_int_equal(run, 8 * M - 4096);
	assert_int_equal(da_device_extent(d, 12 * M, &run), 1);
	assert_int_equal(run, 8192);
	/* a hole to the end (SEEK_DATA answers ENXIO) */
	assert_int_equal(da_device_extent(d, 12 * M + 8192, &run), 0);
	assert_int_equal(run, 4 * M - 8192);
	assert_int_equal(da_device_extent(d, 16 * M - 1, &run), 0);
	assert_int_equal(run, 1);
	assert_int_equal(da_device_extent(d, 16 * M, &run), -1);

	/* walking the extents covers the device exactly */
	uint64_t off = 0, data = 0;
	while (off < d->size) {
		int r = da_device_extent(d, off, &run);
		assert_true(r == 0 || r == 1);
		assert_true(run >= 1 && run <= d->size - off);
		if (r)
			data += run;
		off += run;
	}
	assert_int_equal(off, d->size);
	assert_int_equal(data, 4096 + 8192);

	/* holes seen through a slice, clipped to it */
	struct da_device *s = da_offset_device_new("sparse/p1", d, 2 * M,
						   10 * M + 4096, &err);
	assert_non_null(s);
	assert_int_equal(da_device_extent(s, 0, &run), 0);
	assert_int_equal(run, 2 * M);
	assert_int_equal(da_device_extent(s, 2 * M, &run), 1);
	assert_int_equal(run, 4096);
	assert_int_equal(da_device_extent(s, 10 * M, &run), 1);
	assert_int_equal(run, 4096);           /* data runs past the slice */
	/* and through a linear device made of pieces of it */
	struct da_linear_seg seg[2] = {
		{ 0, 2 * M, d, 3 * M },     /* hole 1M, data 4K, hole */
		{ 2 * M, M, NULL, 0 },      /* missing: a hole */
	};
	struct da_device *l = da_linear_device_new("lv", 3 * M, seg, 2, &err);
	assert_non_null(l);
	assert_int_equal(da_device_extent(l, 0, &run), 0);
	assert_int_equal(run, M);
	assert_int_equal(da_device_extent(l, M, &run), 1);
	assert_int_equal(run, 4096);
	assert_int_equal(da_device_extent(l, M + 4096, &run), 0);
	assert_int_equal(run, M - 4096);
	assert_int_equal(da_device_extent(l, 2 * M, &run), 0);
	assert_int_equal(run, M);
	da_device_unref(l);
	da_device_unref(s);
	da_device_unref(d);
}

static void test_file_trace(void **state)
{
	(void)state;
	struct da_device *d = open_pattern("trace.img", 4, 4096);
	const char *log = path_of("trace.log");
	uint8_t buf[100];
	fflush(stderr);
	int saved = dup(2);
	int fd = open(log, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	da_debug = 1;
	int r = da_device_read(d, buf, 100, 1000, NULL);
	da_debug = 0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(r, 0);

	char text[512] = "";
	FILE *fp = fopen(log, "r");
	assert_non_null(fp);
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = 0;
	assert_non_null(strstr(text, "read trace.img off=1000 len=100"));
	da_device_unref(d);
}

/* ---- offset devices and overlays ---- */

struct shifted { int f; uint64_t base; };

static uint8_t expect_shifted(uint64_t off, void *arg)
{
	struct shifted *s = arg;
	return pat(s->f, s->base + off);
}

static void test_offset(void **state)
{
	(void)state;
	struct da_device *d = open_pattern("disk.img", 5, 100000);
	da_error err = { 0 };
	struct da_target t[2];
	uint8_t buf[64];

	struct da_device *p = da_offset_device_new("disk.img/p1", d, 10000,
						   50000, &err);
	assert_non_null(p);
	assert_int_equal(d->refcount, 2);
	assert_int_equal(p->size, 50000);
	assert_false(p->is_disk);
	assert_int_equal(p->block_size, 512);

	struct shifted sh = { 5, 10000 };
	check_read(p, 0, 50000, expect_shifted, &sh);
	check_read(p, 49990, 10, expect_shifted, &sh);
	/* a read straddling the slice's end fails, though the disk goes on */
	assert_int_equal(da_device_read(p, buf, 20, 49990, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "disk.img/p1"));

	assert_int_equal(da_device_map_block(p, 0, t, 2), 1);
	assert_ptr_equal(t[0].dev, d);
	assert_int_equal(t[0].offset, 10000);
	assert_int_equal(da_device_map_block(p, 49999, t, 2), 1);
	assert_int_equal(t[0].offset, 59999);
	assert_int_equal(da_device_map_block(p, 50000, t, 2), 0);
	assert_int_equal(da_device_contiguous(p, 0), 50000);
	assert_int_equal(da_device_contiguous(p, 49999), 1);
	assert_int_equal(da_device_contiguous(p, 50000), 0);

	/* a slice of a slice */
	struct da_device *q = da_offset_device_new("q", p, 100, 200, &err);
	assert_non_null(q);
	sh.base = 10100;
	check_read(q, 0, 200, expect_shifted, &sh);
	assert_int_equal(da_device_map_block(q, 5, t, 1), 1);
	assert_ptr_equal(t[0].dev, p);
	assert_int_equal(t[0].offset, 105);

	/* bad slices */
	assert_null(da_offset_device_new("x", d, 50001, 50000, &err));
	assert_int_equal(err.code, EINVAL);
	assert_null(da_offset_device_new("x", d, 0, 0, &err));
	assert_null(da_offset_device_new("x", d, UINT64_MAX - 10, 100, &err));
	assert_null(da_offset_device_new("x", d, 10, UINT64_MAX - 5, &err));
	assert_null(da_offset_device_new("x", NULL, 0, 1, &err));
	struct da_device *last = da_offset_device_new("x", d, 99999, 1, &err);
	assert_non_null(last);
	assert_int_equal(d->refcount, 3);
	da_device_unref(last);
	assert_int_equal(d->refcount, 2);

	/* children keep their parents alive */
	da_device_unref(d);
	assert_int_equal(d->refcount, 1);
	da_device_unref(p);
	assert_int_equal(p->refcount, 1);     /* q still holds it */
	check_read(q, 0, 200, expect_shifted, &sh);
	da_device_unref(q);                   /* frees q, p and d */
}

static void test_overlay(void **state)
{
	(void)state;
	struct da_device *d = open_pattern("ov.img", 6, 65536);
	da_error err = { 0 };
	struct da_target t[1];
	int f = 6;
	struct da_device *o = da_blocksize_overlay_new(d, 4096, &err);
	assert_non_null(o);
	assert_int_equal(o->block_size, 4096);
	assert_int_equal(d->block_size, 512);
	assert_int_equal(o->size, d->size);
	check_read(o, 4000, 5000, expect_file, &f);
	assert_int_equal(da_device_map_block(o, 777, t, 1), 1);
	assert_ptr_equal(t[0].dev, d);
	assert_int_equal(t[0].offset, 777);
	assert_int_equal(da_device_contiguous(o, 777), 65536 - 777);
	assert_null(da_blocksize_overlay_new(d, 0, &err));
	assert_null(da_blocksize_overlay_new(d, 3000, &err));
	assert_null(da_blocksize_overlay_new(NULL, 4096, &err));
	da_device_unref(d);
	check_read(o, 0, 65536, expect_file, &f);
	da_device_unref(o);
}

/* ---- linear devices ---- */

struct linear_ref {
	const struct da_linear_seg *segs;
	size_t n;
	int files[4];
	struct da_device *devs[4];
};

static uint8_t expect_linear(uint64_t off, void *arg)
{
	struct linear_ref *r = arg;
	for (size_t i = 0; i < r->n; i++) {
		const struct da_linear_seg *s = &r->segs[i];
		if (off >= s->start && off < s->start + s->len)
			for (int k = 0; k < 4; k++)
				if (r->devs[k] == s->target)
					return pat(r->files[k], s->target_off +
						   off - s->start);
	}
	fail_msg("offset %llu maps nowhere", (unsigned long long)off);
	return 0;
}

static void test_linear(void **state)
{
	(void)state;
	struct da_device *a = open_pattern("pv-a.img", 7, 200000);
	struct da_device *b = open_pattern("pv-b.img", 8, 200000);
	da_error err = { 0 };
	struct da_target t[2];
	uint8_t buf[100000];
	/* out of order on the PVs, with a missing piece in the middle */
	struct da_linear_seg segs[] = {
		{ 0, 100000, b, 50000 },
		{ 100000, 30000, a, 170000 },
		{ 130000, 40000, NULL, 0 },
		{ 170000, 70000, a, 0 },
		{ 240000, 1, b, 199999 },
	};
	struct da_device *l = da_linear_device_new("vg/lv", 240001, segs, 5,
						   &err);
	assert_non_null(l);
	assert_int_equal(a->refcount, 3);
	assert_int_equal(b->refcount, 3);
	struct linear_ref ref = { segs, 5, { 7, 8 }, { a, b } };

	/* reads inside a segment and straddling two present ones */
	check_read(l, 0, 100000, expect_linear, &ref);
	check_read(l, 99990, 30010, expect_linear, &ref);
	check_read(l, 170000, 70001, expect_linear, &ref);
	check_read(l, 239999, 2, expect_linear, &ref);
	/* anything touching the missing piece: ENXIO */
	assert_int_equal(da_device_read(l, buf, 20, 129990, &err), -1);
	assert_int_equal(err.code, ENXIO);
	assert_non_null(strstr(err.msg, "vg/lv"));
	assert_int_equal(da_device_read(l, buf, 1, 169999, &err), -1);
	assert_int_equal(err.code, ENXIO);
	assert_int_equal(da_device_read(l, buf, 2, 240000, &err), -1);
	assert_int_equal(err.code, EINVAL);

	/* map_block and contiguous at every segment edge */
	assert_int_equal(da_device_map_block(l, 0, t, 2), 1);
	assert_ptr_equal(t[0].dev, b);
	assert_int_equal(t[0].offset, 50000);
	assert_int_equal(da_device_contiguous(l, 0), 100000);
	assert_int_equal(da_device_map_block(l, 99999, t, 2), 1);
	assert_int_equal(t[0].offset, 149999);
	assert_int_equal(da_device_contiguous(l, 99999), 1);
	assert_int_equal(da_device_map_block(l, 100000, t, 2), 1);
	assert_ptr_equal(t[0].dev, a);
	assert_int_equal(t[0].offset, 170000);
	assert_int_equal(da_device_contiguous(l, 100000), 30000);
	assert_int_equal(da_device_map_block(l, 130000, t, 2), 0);
	assert_int_equal(da_device_map_block(l, 169999, t, 2), 0);
	assert_int_equal(da_device_contiguous(l, 135000), 35000);
	assert_int_equal(da_device_map_block(l, 200000, t, 2), 1);
	assert_int_equal(t[0].offset, 30000);
	assert_int_equal(da_device_contiguous(l, 200000), 40000);
	assert_int_equal(da_device_map_block(l, 240000, t, 2), 1);
	assert_ptr_equal(t[0].dev, b);
	assert_int_equal(t[0].offset, 199999);
	assert_int_equal(da_device_contiguous(l, 240000), 1);
	assert_int_equal(da_device_map_block(l, 240001, t, 2), 0);
	assert_int_equal(da_device_contiguous(l, 240001), 0);

	/* walking by contiguous visits every segment once */
	uint64_t off = 0;
	int steps = 0;
	while (off < l->size) {
		uint64_t c = da_device_contiguous(l, off);
		assert_true(c >= 1);
		off += c;
		steps++;
	}
	assert_int_equal(steps, 5);

	/* bad segment lists */
	struct da_linear_seg bad[3];
	memcpy(bad, segs, sizeof(bad));
	bad[1].start = 100001;                          /* a gap */
	assert_null(da_linear_device_new("x", 170000, bad, 3, &err));
	assert_int_equal(err.code, EINVAL);
	bad[1].start = 99999;                           /* an overlap */
	assert_null(da_linear_device_new("x", 170000, bad, 3, &err));
	memcpy(bad, segs, sizeof(bad));
	assert_null(da_linear_device_new("x", 170001, bad, 3, &err));
	assert_null(da_linear_device_new("x", 169999, bad, 3, &err));
	bad[1].target_off = 170001;                     /* past a's end */
	assert_null(da_linear_device_new("x", 170000, bad, 3, &err));
	memcpy(bad, segs, sizeof(bad));
	bad[0].len = 0;
	assert_null(da_linear_device_new("x", 170000, bad, 3, &err));
	memcpy(bad, segs, sizeof(bad));
	bad[2].len = UINT64_MAX - 1;                    /* overflow */
	assert_null(da_linear_device_new("x", 130000, bad, 3, &err));
	bad[2] = (struct da_linear_seg){ 130000, UINT64_MAX - 130000, a,
					 UINT64_MAX - 5 };
	assert_null(da_linear_device_new("x", UINT64_MAX, bad, 3, &err));
	assert_null(da_linear_device_new("x", 0, segs, 0, &err));
	assert_null(da_linear_device_new("x", 10, NULL, 1, &err));
	assert_int_equal(a->refcount, 3);

	da_device_unref(a);
	da_device_unref(b);
	check_read(l, 0, 130000, expect_linear, &ref);
	da_device_unref(l);
}

/* ---- striped devices ---- */

struct striped_ref {
	uint64_t chunk;
	size_t n;
	int files[4];
	uint64_t offs[4];
};

static void striped_naive(const struct striped_ref *r, uint64_t off,
			  size_t *stripe, uint64_t *where)
{
	uint64_t k = off / r->chunk;
	*stripe = k % r->n;
	*where = r->offs[*stripe] + k / r->n * r->chunk + off % r->chunk;
}

static uint8_t expect_striped(uint64_t off, void *arg)
{
	struct striped_ref *r = arg;
	size_t s;
	uint64_t w;
	striped_naive(r, off, &s, &w);
	return pat(r->files[s], w);
}

static void test_striped(void **state)
{
	(void)state;
	/* 3 stripes of odd 1000-byte chunks; the size ends mid-chunk */
	const uint64_t size = 3 * 1000 * 20 + 2500;
	struct striped_ref ref = { 1000, 3, { 9, 10, 11 }, { 0, 4096, 333 } };
	struct da_device *s[3] = {
		open_pattern("s0.img", 9, 30000),
		open_pattern("s1.img", 10, 30000),
		open_pattern("s2.img", 11, 30000),
	};
	da_error err = { 0 };
	struct da_target t[2];
	uint8_t buf[4000];
	struct da_device *d = da_striped_device_new("vg/stripes", size, 1000, 3,
						    s, ref.offs, &err);
	if (!d)
		fail_msg("%s", err.msg);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s[i]->refcount, 2);

	check_read(d, 0, (size_t)size, expect_striped, &ref);
	check_read(d, 999, 2, expect_striped, &ref);      /* chunk 0 -> 1 */
	check_read(d, 2500, 3001, expect_striped, &ref);  /* 4 chunks */
	check_read(d, size - 1, 1, expect_striped, &ref);
	srand(42);
	for (int i = 0; i < 300; i++) {
		uint64_t off = (uint64_t)rand() % size;
		size_t len = (size_t)rand() % 4000;
		if (len > size - off)
			len = (size_t)(size - off);
		check_read(d, off, len, expect_striped, &ref);
	}
	assert_int_equal(da_device_read(d, buf, 2, size - 1, &err), -1);

	/* map_block against the naive formula; contiguous stops at chunks */
	for (uint64_t off = 0; off < size; off += 37) {
		size_t st;
		uint64_t w;
		striped_naive(&ref, off, &st, &w);
		assert_int_equal(da_device_map_block(d, off, t, 2), 1);
		assert_ptr_equal(t[0].dev, s[st]);
		assert_int_equal(t[0].offset, w);
		uint64_t c = da_device_contiguous(d, off);
		uint64_t want = 1000 - off % 1000;
		if (want > size - off)
			want = size - off;
		assert_int_equal(c, want);
	}
	assert_int_equal(da_device_contiguous(d, 1000), 1000);
	assert_int_equal(da_device_contiguous(d, 1999), 1);
	assert_int_equal(da_device_contiguous(d, size - 500), 500);
	assert_int_equal(da_device_map_block(d, size, t, 2), 0);

	/* exact fit: stripe 0 needs 7 chunks + 500 bytes, the others 7 */
	struct da_device *tiny[3];
	tiny[0] = da_offset_device_new("t0", s[0], 0, 7500, &err);
	tiny[1] = da_offset_device_new("t1", s[1], 0, 7000, &err);
	tiny[2] = da_offset_device_new("t2", s[2], 0, 7000, &err);
	struct da_device *e = da_striped_device_new("exact", 3 * 7000 + 500,
						    1000, 3, tiny, NULL, &err);
	assert_non_null(e);
	da_device_unref(e);
	assert_null(da_striped_device_new("big", 3 * 7000 + 501, 1000, 3, tiny,
					  NULL, &err));
	assert_int_equal(err.code, EINVAL);
	uint64_t o1[3] = { 0, 1, 0 };
	assert_null(da_striped_device_new("off", 3 * 7000, 1000, 3, tiny, o1,
					  &err));
	for (int i = 0; i < 3; i++)
		da_device_unref(tiny[i]);
	assert_null(da_striped_device_new("x", size, 0, 3, s, NULL, &err));
	assert_null(da_striped_device_new("x", size, 1000, 0, s, NULL, &err));
	assert_null(da_striped_device_new("x", 0, 1000, 3, s, NULL, &err));
	uint64_t huge[3] = { UINT64_MAX - 10, 0, 0 };
	assert_null(da_striped_device_new("x", size, 1000, 3, s, huge, &err));

	/* a missing stripe: its chunks fail with ENXIO and map nowhere */
	struct da_device *holey[3] = { s[0], NULL, s[2] };
	struct da_device *m = da_striped_device_new("m", size, 1000, 3, holey,
						    ref.offs, &err);
	assert_non_null(m);
	check_read(m, 0, 1000, expect_striped, &ref);
	assert_int_equal(da_device_read(m, buf, 2, 999, &err), -1);
	assert_int_equal(err.code, ENXIO);
	check_read(m, 2000, 1000, expect_striped, &ref);
	assert_int_equal(da_device_map_block(m, 1500, t, 2), 0);
	assert_int_equal(da_device_contiguous(m, 1500), 500);
	uint64_t run;
	assert_int_equal(da_device_extent(m, 1500, &run), 0);
	assert_int_equal(run, 500);
	assert_int_equal(da_device_extent(m, 2000, &run), 1);
	assert_int_equal(run, 1000);
	da_device_unref(m);

	for (int i = 0; i < 3; i++)
		da_device_unref(s[i]);
	check_read(d, 0, (size_t)size, expect_striped, &ref);
	da_device_unref(d);
}

/* ---- mirrors ---- */

static void test_mirror(void **state)
{
	(void)state;
	struct da_device *a = open_pattern("m0.img", 12, 50000);
	struct da_device *b = open_pattern("m1.img", 13, 50000);
	struct da_device *c[3] = { a, NULL, b };
	uint64_t offs[3] = { 100, 0, 2000 };
	da_error err = { 0 };
	struct da_target t[3];
	uint8_t buf[16];
	struct da_device *m = da_mirror_device_new("md0", 40000, 3, c, offs,
						   &err);
	assert_non_null(m);
	struct shifted sh = { 12, 100 };
	check_read(m, 0, 40000, expect_shifted, &sh);

	/* map_block: every present copy, even beyond max */
	assert_int_equal(da_device_map_block(m, 10, t, 3), 2);
	assert_ptr_equal(t[0].dev, a);
	assert_int_equal(t[0].offset, 110);
	assert_ptr_equal(t[1].dev, b);
	assert_int_equal(t[1].offset, 2010);
	memset(t, 0, sizeof(t));
	assert_int_equal(da_device_map_block(m, 39999, t, 1), 2);
	assert_int_equal(t[0].offset, 40099);
	assert_null(t[1].dev);
	assert_int_equal(da_device_contiguous(m, 5), 39995);
	assert_int_equal(da_device_read(m, buf, 2, 39999, &err), -1);
	assert_int_equal(err.code, EINVAL);

	/* the first copy missing: reads come from the next */
	struct da_device *c2[2] = { NULL, b };
	struct da_device *m2 = da_mirror_device_new("md1", 40000, 2, c2, offs + 1,
						    &err);
	assert_non_null(m2);
	struct shifted sh2 = { 13, 2000 };
	check_read(m2, 0, 40000, expect_shifted, &sh2);
	assert_int_equal(da_device_map_block(m2, 0, t, 3), 1);
	assert_ptr_equal(t[0].dev, b);
	da_device_unref(m2);

	/* no copy at all */
	struct da_device *none[2] = { NULL, NULL };
	struct da_device *m3 = da_mirror_device_new("md2", 100, 2, none, NULL,
						    &err);
	assert_non_null(m3);
	assert_int_equal(da_device_read(m3, buf, 4, 0, &err), -1);
	assert_int_equal(err.code, ENXIO);
	assert_int_equal(da_device_map_block(m3, 0, t, 3), 0);
	assert_int_equal(da_device_contiguous(m3, 0), 100);
	da_device_unref(m3);

	/* copies that do not fit */
	offs[2] = 10001;
	assert_null(da_mirror_device_new("x", 40000, 3, c, offs, &err));
	assert_int_equal(err.code, EINVAL);
	offs[2] = UINT64_MAX;
	assert_null(da_mirror_device_new("x", 40000, 3, c, offs, &err));
	assert_null(da_mirror_device_new("x", 40000, 0, c, offs, &err));
	assert_null(da_mirror_device_new("x", 0, 3, c, NULL, &err));

	da_device_unref(a);
	da_device_unref(b);
	check_read(m, 0, 40000, expect_shifted, &sh);
	da_device_unref(m);
}

/* ---- a stack: slice of a striped LV on slices of disks ---- */

static void test_stack(void **state)
{
	(void)state;
	struct da_device *d0 = open_pattern("st0.img", 14, 1 << 16);
	struct da_device *d1 = open_pattern("st1.img", 15, 1 << 16);
	da_error err = { 0 };
	struct da_device *p0 = da_offset_device_new("st0/p1", d0, 4096, 60000,
						    &err);
	struct da_device *p1 = da_offset_device_new("st1/p1", d1, 8192, 50000,
						    &err);
	struct da_device *pvs[2] = { p0, p1 };
	uint64_t pe[2] = { 1024, 0 };
	struct da_device *lv = da_striped_device_new("vg/lv", 81920, 4096, 2,
						     pvs, pe, &err);
	assert_non_null(lv);
	struct da_device *fs = da_offset_device_new("vg/lv/p", lv, 6000, 20000,
						    &err);
	assert_non_null(fs);
	da_device_unref(p0);
	da_device_unref(p1);
	da_device_unref(d0);
	da_device_unref(d1);
	da_device_unref(lv);

	/* follow map_block down to a disk for every byte, and compare */
	uint8_t *buf = malloc(20000);
	assert_non_null(buf);
	assert_int_equal(da_device_read(fs, buf, 20000, 0, &err), 0);
	for (uint64_t off = 0; off < 20000; off++) {
		struct da_device *dev = fs;
		uint64_t o = off;
		struct da_target t;
		while (!dev->is_disk) {
			assert_int_equal(da_device_map_block(dev, o, &t, 1), 1);
			dev = t.dev;
			o = t.offset;
		}
		int f = strcmp(dev->name, "st0.img") == 0 ? 14 : 15;
		assert_int_equal(buf[off], pat(f, o));
	}
	free(buf);
	da_device_unref(fs);
}

/* da_space_place: a range of a space, piece by piece, in a space below
 * it (a partition, a disk), every copy under a mirror, missing pieces
 * skipped, the number of pieces bounded. */
struct placed {
	struct da_device *to[8];
	uint64_t from[8], at[8], len[8];
	int n;
};

static void note_place(void *arg, struct da_device *to, uint64_t from_off,
		       uint64_t to_off, uint64_t len)
{
	struct placed *p = arg;
	assert_true(p->n < 8);
	p->to[p->n] = to;
	p->from[p->n] = from_off;
	p->at[p->n] = to_off;
	p->len[p->n++] = len;
}

static void test_place(void **state)
{
	(void)state;
	struct da_device *a = open_pattern("pl-a.img", 21, 200000);
	struct da_device *b = open_pattern("pl-b.img", 22, 200000);
	da_error err = { 0 };
	struct da_device *p = da_offset_device_new("pl-a.img/p1", a, 1000,
						   100000, &err);
	assert_non_null(p);
	struct da_linear_seg segs[] = {
		{ 0, 30000, p, 5000 },
		{ 30000, 20000, b, 100 },
		{ 50000, 10000, NULL, 0 },
	};
	struct da_device *l = da_linear_device_new("vg/lv", 60000, segs, 3,
						   &err);
	assert_non_null(l);
	struct placed r = { .n = 0 };

	/* across two segments, down to the disks */
	assert_int_equal(da_space_place(l, 25000, 10000, NULL, 100,
					note_place, &r), 10000);
	assert_int_equal(r.n, 2);
	assert_ptr_equal(r.to[0], a);
	assert_int_equal(r.from[0], 25000);
	assert_int_equal(r.at[0], 1000 + 5000 + 25000);
	assert_int_equal(r.len[0], 5000);
	assert_ptr_equal(r.to[1], b);
	assert_int_equal(r.from[1], 30000);
	assert_int_equal(r.at[1], 100);
	assert_int_equal(r.len[1], 5000);

	/* to the partition: the piece on the other disk is not on it */
	r.n = 0;
	assert_int_equal(da_space_place(l, 25000, 10000, p, 100, note_place,
					&r), 5000);
	assert_int_equal(r.n, 1);
	assert_ptr_equal(r.to[0], p);
	assert_int_equal(r.at[0], 5000 + 25000);

	/* the missing segment places nothing; the range is cut at the end */
	r.n = 0;
	assert_int_equal(da_space_place(l, 45000, 100000, NULL, 100,
					note_place, &r), 5000);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], 100 + 15000);

	/* a space is its own: one piece, as it is */
	r.n = 0;
	assert_int_equal(da_space_place(l, 7, 3, l, 100, note_place, &r), 3);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], 7);

	/* bounded: one piece asked, one given */
	r.n = 0;
	da_space_place(l, 0, 60000, NULL, 1, note_place, &r);
	assert_int_equal(r.n, 1);
	/* nothing past the end, nothing of a space above */
	r.n = 0;
	assert_int_equal(da_space_place(l, 60000, 10, NULL, 100, note_place,
					&r), 0);
	assert_int_equal(da_space_place(a, 0, 10, l, 100, note_place, &r), 0);
	assert_int_equal(r.n, 0);

	/* a mirror: every copy */
	struct da_device *c[2] = { a, b };
	uint64_t offs[2] = { 150000, 160000 };
	struct da_device *m = da_mirror_device_new("md0", 20000, 2, c, offs,
						   &err);
	assert_non_null(m);
	r.n = 0;
	assert_int_equal(da_space_place(m, 10, 5, NULL, 100, note_place, &r),
			 10);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.at[0], 150010);
	assert_int_equal(r.at[1], 160010);
	da_device_unref(m);
	da_device_unref(l);
	da_device_unref(p);
	da_device_unref(a);
	da_device_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_basics),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_truncated),
		cmocka_unit_test(test_file_view),
		cmocka_unit_test(test_file_holes),
		cmocka_unit_test(test_file_trace),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_striped),
		cmocka_unit_test(test_mirror),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_place),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
