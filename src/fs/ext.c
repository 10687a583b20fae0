/* ext2/3/4 through libext2fs, the library e2fsck trusts, reading through
 * our device layer with a custom io_manager: an ext4 inside an LV inside
 * a partition reads like one on a plain file.  Identity and the used/free
 * bitmap come at scan time; the block -> inode index (inode scan, extent
 * trees, indirect blocks, xattr blocks) and the paths (every directory
 * entry, sorted by inode: all the names of a hard-linked file) are built
 * by build_index, possibly in another thread.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "../fileindex.h"
#include "../util.h"
#include "ext_check.h"
#include "ext.h"

extern const struct da_plugin da_plugin_ext;

/* Bounds on what a hostile filesystem can make us hold. */
#define MAX_RUNS (64u << 20)
#define MAX_PATH_DEPTH 256

/* ---- libext2fs's messages ---- */

/* libext2fs reports some problems itself through com_err (a bitmap mark
 * out of range, for one), which prints on stderr: over the explorer's
 * screen, and into scripts' error output.  Those lines go to the --debug
 * trace instead.  The hook is process-wide, like com_err itself; the
 * ext2 error table is registered once so that error_message() names
 * the reasons instead of "Unknown code ext2 NN". */
static void __attribute__((format(printf, 3, 0)))
com_err_to_trace(const char *whoami, long code, const char *fmt, va_list ap)
{
	char msg[400] = "";
	if (fmt)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	da_trace("ext: libext2fs%s%s: %s%s%s", whoami ? " " : "",
		 whoami ? whoami : "", code ? error_message(code) : "",
		 code && msg[0] ? " " : "", msg);
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init_once(void)
{
	initialize_ext2_error_table();
	set_com_err_hook(com_err_to_trace);
}

static void lib_init(void)
{
	pthread_once(&lib_once, lib_init_once);
}

void ext_lib_init(void)
{
	lib_init();
}

/* ---- io_manager onto a da_device ---- */

static struct struct_io_manager da_io_manager;

static errcode_t dio_open(const char *name, int flags, io_channel *channel)
{
	void *ptr = NULL;
	if (!name || sscanf(name, "da:%p", &ptr) != 1 || !ptr)
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	io_channel io;
	errcode_t e = ext2fs_get_mem(sizeof(struct struct_io_channel), &io);
	if (e)
		return e;
	memset(io, 0, sizeof(*io));
	e = ext2fs_get_mem(strlen(name) + 1, &io->name);
	if (e) {
		ext2fs_free_mem(&io);
		return e;
	}
	strcpy(io->name, name);
	io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	io->manager = &da_io_manager;
	io->block_size = 1024;
	io->refcount = 1;
	io->private_data = ptr;
	*channel = io;
	return 0;
}

static errcode_t dio_close(io_channel io)
{
	if (--io->refcount > 0)
		return 0;
	ext2fs_free_mem(&io->name);
	ext2fs_free_mem(&io);
	return 0;
}

static errcode_t dio_set_blksize(io_channel io, int blksize)
{
	if (blksize <= 0 || blksize > (1 << 26))
		return EXT2_ET_INVALID_ARGUMENT;
	io->block_size = blksize;
	return 0;
}

/* A read libext2fs asked for that cannot be made: what it reports as
 * a short read.  (The file index reads through the device itself.) */
static errcode_t dio_read_fail(unsigned long long block)
{
	(void)block;
	return EXT2_ET_SHORT_READ;
}

static errcode_t dio_read_blk64(io_channel io, unsigned long long block,
				int count, void *data)
{
	struct da_device *dev = io->private_data;
	uint64_t size, off;
	/* a negative count is a size in bytes */
	if (count < 0)
		size = (uint64_t)-(int64_t)count;
	else if (!mul_ok((uint64_t)count, (uint64_t)io->block_size, &size))
		return dio_read_fail(block);
	if (!mul_ok(block, (uint64_t)io->block_size, &off) ||
	    !range_ok(off, size, dev->size)) {
		memset(data, 0, (size_t)size);
		return dio_read_fail(block);
	}
	if (da_device_read(dev, data, (size_t)size, off, NULL) < 0)
		return dio_read_fail(block);
	return 0;
}

static errcode_t dio_read_blk(io_channel io, unsigned long block, int count,
			      void *data)
{
	return dio_read_blk64(io, block, count, data);
}

static errcode_t dio_write_blk(io_channel io, unsigned long block, int count,
			       const void *data)
{
	(void)io, (void)block, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t dio_write_blk64(io_channel io, unsigned long long block,
				 int count, const void *data)
{
	(void)io, (void)block, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t dio_flush(io_channel io)
{
	(void)io;
	return 0;
}

static errcode_t dio_set_option(io_channel io, const char *option,
				const char *arg)
{
	(void)io, (void)option, (void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static struct struct_io_manager da_io_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "diskatlas device",
	.open = dio_open,
	.close = dio_close,
	.set_blksize = dio_set_blksize,
	.read_blk = dio_read_blk,
	.write_blk = dio_write_blk,
	.flush = dio_flush,
	.set_option = dio_set_option,
	.read_blk64 = dio_read_blk64,
	.write_blk64 = dio_write_blk64,
};

int ext_push_run(struct run **v, size_t *n, size_t *cap, uint64_t start,
		 uint64_t len, uint32_t ino, const char *role)
{
	while (len > 0) {
		if (*n >= MAX_RUNS)
			return -1;
		/* extend the previous run when it continues it */
		if (*n && (*v)[*n - 1].ino == ino &&
		    (*v)[*n - 1].role == role &&
		    (*v)[*n - 1].start + (*v)[*n - 1].len == start &&
		    (*v)[*n - 1].len < UINT32_MAX - 65536) {
			uint64_t add = len;
			if (add > UINT32_MAX - 65536 - (*v)[*n - 1].len)
				add = UINT32_MAX - 65536 - (*v)[*n - 1].len;
			(*v)[*n - 1].len += (uint32_t)add;
			start += add;
			len -= add;
			continue;
		}
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			struct run *r = realloc(*v, c * sizeof(*r));
			if (!r)
				return -1;
			*v = r;
			*cap = c;
		}
		uint32_t l = len > 0x40000000 ? 0x40000000 : (uint32_t)len;
		(*v)[(*n)++] = (struct run){ start, l, ino, role, false };
		start += l;
		len -= l;
	}
	return 0;
}

/* ---- scan: identity, bitmap, metadata ---- */

static const char *fs_type(const struct ext2_super_block *sb)
{
	uint32_t incompat_ext4 = EXT3_FEATURE_INCOMPAT_EXTENTS |
				 EXT4_FEATURE_INCOMPAT_64BIT |
				 EXT4_FEATURE_INCOMPAT_FLEX_BG |
				 EXT4_FEATURE_INCOMPAT_MMP |
				 EXT4_FEATURE_INCOMPAT_INLINE_DATA;
	uint32_t ro_ext4 = EXT4_FEATURE_RO_COMPAT_HUGE_FILE |
			   EXT4_FEATURE_RO_COMPAT_GDT_CSUM |
			   EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
			   EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
			   EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
	if ((sb->s_feature_incompat & incompat_ext4) ||
	    (sb->s_feature_ro_compat & ro_ext4))
		return "ext4";
	if (sb->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL)
		return "ext3";
	return "ext2";
}

void ext_add_meta(struct ext_priv *p, uint64_t start, uint64_t len,
		  const char *role, uint32_t ino)
{
	if (start >= p->nblocks || len == 0)
		return;
	if (len > p->nblocks - start)
		len = p->nblocks - start;
	if (ext_push_run(&p->meta, &p->nmeta, &p->capmeta, start, len, ino,
		     role) < 0)
		p->overflow = true;
}

/* The journal inode's blocks, tree blocks included. */
void ext_add_journal(struct ext_priv *p)
{
	struct ext2_super_block *sb = p->fs->super;
	if (sb->s_journal_inum && sb->s_journal_inum < sb->s_inodes_count) {
		struct ext2_inode ji;
		if (!ext2fs_read_inode(p->fs, sb->s_journal_inum, &ji)) {
			ext_collect_meta(p, sb->s_journal_inum, &ji,
					 DA_ROLE_JOURNAL);
		}
	}
}

/* ---- the scan's one pass over the group descriptors ---- */

/* What the pass finds: each descriptor's checksum and where it puts the
 * bitmaps and the inode table (the filesystem is still mapped as far as
 * it can be; what is wrong goes into warnings), the free counts against
 * the superblock's, the layout model, the used-block sums, and which
 * groups have inodes in use.  Nothing a group is kept but that bit. */
struct pass {
	struct ext_priv *p;
	struct ext_counts counts;
	bool csum;
	uint32_t ipg;
	uint64_t bad_csum, first_csum, bad_loc, unreadable, first_unreadable;
	char where[160];
	/* the checksums of groups [run_g, run_g + run_n), the rest of one
	 * descriptor block's, made together (three at a time) */
	uint8_t *run_ok;
	uint64_t run_g, run_n;
};

/* Is group g's checksum right (raw: its descriptor, inside the block
 * the walk holds)? */
static bool pass_csum(struct pass *s, uint64_t g, const uint8_t *raw)
{
	struct ext_priv *p = s->p;
	if (!s->run_ok)
		return ext_group_csum_ok(p, g, raw);
	if (g < s->run_g || g - s->run_g >= s->run_n) {
		uint64_t dpb = p->desc_per_block;
		uint64_t end = (g / dpb + 1) * dpb;
		if (end > p->ngroups)
			end = p->ngroups;
		s->run_g = g;
		s->run_n = end - g;
		ext_group_csum_run(p, g, raw, (size_t)s->run_n, s->run_ok);
	}
	return s->run_ok[g - s->run_g];
}

static int pass_group(void *ctx, uint64_t g, const struct ext_group *d,
		      const uint8_t *raw)
{
	struct pass *s = ctx;
	struct ext_priv *p = s->p;
	ext_model_group(p, g, d);
	ext_used_group(p, g, d);
	if (!d) {
		if (s->unreadable++ == 0)
			s->first_unreadable = g;
		return 0;
	}
	if (s->csum && !pass_csum(s, g, raw) && s->bad_csum++ == 0)
		s->first_csum = g;
	if (ext_group_misplaced(p, g, d, false, s->bad_loc ? NULL : s->where,
				sizeof(s->where))) {
		s->bad_loc++;
		/* libext2fs trusts an inode table's location once it is
		 * inside the filesystem: a misplaced one is set aside (read
		 * as missing) */
		char why[160];
		if (d->inode_table &&
		    ext_group_misplaced(p, g, d, true, why, sizeof(why)) &&
		    p->bad_itables++ == 0)
			snprintf(p->first_bad_itable,
				 sizeof(p->first_bad_itable), "%s", why);
	}
	ext_check_group(p->fs, &s->counts, g, d->free_blocks, d->free_inodes);
	if (s->csum && (d->flags & EXT2_BG_BLOCK_UNINIT) && p->block_uninit)
		p->block_uninit[g / 64] |= UINT64_C(1) << (g % 64);
	/* the inodes in use are the first ipg - itable_unused */
	if (s->csum && ((d->flags & EXT2_BG_INODE_UNINIT) ||
			d->itable_unused >= s->ipg))
		p->inode_groups[g / 64] &= ~(UINT64_C(1) << (g % 64));
	return 0;
}

bool ext_group_has_inodes(const struct ext_priv *p, uint64_t g)
{
	return !p->inode_groups || g >= p->ngroups ||
	       (p->inode_groups[g / 64] >> (g % 64) & 1);
}

/* The pass; false (err set) when a descriptor block cannot be read,
 * as libext2fs's full open would refuse. */
static bool groups_pass(struct ext_priv *p, struct da_node *n, bool *placed,
			da_error *err)
{
	ext2_filsys fs = p->fs;
	struct pass s = { .p = p, .csum = ext2fs_has_group_desc_csum(fs),
			  .ipg = EXT2_INODES_PER_GROUP(fs->super) };
	s.run_ok = s.csum ? malloc(p->desc_per_block) : NULL;
	size_t words = (size_t)(p->ngroups / 64 + 1);
	p->inode_groups = malloc(words * sizeof(uint64_t));
	if (p->inode_groups)
		memset(p->inode_groups, 0xff, words * sizeof(uint64_t));
	p->block_uninit = calloc(words, sizeof(uint64_t));
	ext_model_begin(p);
	if (ext_used_init(p) < 0)
		da_warn(n, "no memory for the used-block counts");
	int rc = ext_groups_each(p, 0, p->ngroups, pass_group, &s);
	free(s.run_ok);
	if (rc) {
		da_error_set(err, ENOMEM, "no memory for the group descriptors");
		return false;
	}
	if (s.unreadable) {
		/* where: the first such block, and the device's own words
		 * (a second read of it, on this path only) */
		uint64_t blk = ext_desc_block_loc(p, s.first_unreadable /
						     p->desc_per_block), off;
		da_error rd = { 0 };
		uint8_t *b = malloc(p->bs);
		if (b && blk && mul_ok(blk, p->bs, &off))
			da_device_read(p->dev, b, p->bs, off, &rd);
		free(b);
		da_error_set(err, EIO, "group descriptors: %llu of %llu cannot "
			     "be read (first: group %llu, in block %llu): %s",
			     (unsigned long long)s.unreadable,
			     (unsigned long long)p->ngroups,
			     (unsigned long long)s.first_unreadable,
			     (unsigned long long)blk, rd.msg[0] ? rd.msg :
			     error_message(EXT2_ET_SHORT_READ));
		return false;
	}
	ext_used_ready(p);
	if (s.bad_csum)
		da_warn(n, "group descriptors: %llu of %llu fail their checksum "
			"(first: group %llu)", (unsigned long long)s.bad_csum,
			(unsigned long long)p->ngroups,
			(unsigned long long)s.first_csum);
	if (s.bad_loc)
		da_warn(n, "group descriptors: %llu of %llu place a bitmap or "
			"the inode table outside %s (%s)",
			(unsigned long long)s.bad_loc,
			(unsigned long long)p->ngroups,
			ext2fs_has_feature_flex_bg(fs->super) ? "the filesystem"
							      : "their group",
			s.where);
	ext_check_super(fs, n);
	ext_check_counts(fs, &s.counts, n);
	/* overlaps (what e2fsck checks first) are found where the metadata
	 * map is made, without a bitmap of the whole filesystem */
	*placed = s.bad_loc == 0;
	return true;
}

static void ext_free(struct da_node *n)
{
	struct ext_priv *p = n->priv;
	if (!p)
		return;
	if (p->fs)
		ext2fs_close_free(&p->fs);
	ext_used_free(p);
	ext_groups_free(p);
	free(p->inode_groups);
	free(p->block_uninit);
	free(p->meta);
	free(p->meta_before);
	free(p);
	n->priv = NULL;
}

static enum da_probe ext_probe(struct da_device *dev, da_error *err)
{
	uint8_t sb[1024];
	if (dev->size < 2048)
		return DA_PROBE_NOT_MINE;
	if (da_device_read(dev, sb, sizeof(sb), 1024, err) < 0)
		return DA_PROBE_ERROR;
	if (le16(sb + 56) != EXT2_SUPER_MAGIC)
		return DA_PROBE_NOT_MINE;
	uint32_t log = le32(sb + 24);
	return log <= 6 ? DA_PROBE_FOUND : DA_PROBE_NOT_MINE;
}

errcode_t ext_open_lib(struct da_device *dev, int flags, ext2_filsys *out)
{
	lib_init();
	char name[64];
	snprintf(name, sizeof(name), "da:%p", (void *)dev);
	return ext2fs_open2(name, NULL, flags, 0, 0, &da_io_manager, out);
}

/* Does every descriptor block lie on the device?  Arithmetic only (a
 * few thousand blocks at 64 TiB): the pass reads them later.  false
 * with err as the pass would set it. */
static bool desc_blocks_placed(struct ext_priv *p, da_error *err)
{
	uint64_t dpb = p->desc_per_block, bad = 0, first = 0;
	for (uint64_t i = 0; dpb && i < p->desc_blocks; i++) {
		if (ext_desc_block_loc(p, i))
			continue;
		uint64_t g0 = i * dpb;
		uint64_t in = p->ngroups - g0 < dpb ? p->ngroups - g0 : dpb;
		if (bad == 0)
			first = g0;
		bad += in;
	}
	if (!bad)
		return true;
	da_error_set(err, EIO, "group descriptors: %llu of %llu cannot be "
		     "read (first: group %llu): %s", (unsigned long long)bad,
		     (unsigned long long)p->ngroups, (unsigned long long)first,
		     error_message(EXT2_ET_SHORT_READ));
	return false;
}

static struct da_node *ext_scan(struct da_device *dev, da_error *err)
{
	ext2_filsys fs = NULL;
	/* the superblock only: the descriptors are ours to read (below, and
	 * ext_group.c), a pass now and a few blocks at a time after */
	errcode_t e = ext_open_lib(dev, EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY,
				   &fs);
	if (e) {
		da_error_set(err, EINVAL, "%s", error_message(e));
		return NULL;
	}
	/* any bitmap libext2fs would make for us is a red-black tree of
	 * runs, as e2fsck uses: a flat bit array would cost 64 MiB for a
	 * 2 TiB filesystem, and its block count is read from the image */
	fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	struct ext2_super_block *sb = fs->super;
	struct ext_priv *p = da_xcalloc(1, sizeof(*p));
	p->fs = fs;
	p->dev = dev;
	p->bs = (uint32_t)fs->blocksize;
	p->nblocks = ext2fs_blocks_count(sb);
	ext_groups_init(p);
	/* libext2fs reads inodes (the journal's, a directory's) through
	 * our descriptors: its own would read a descriptor block per call
	 * into a static buffer */
	fs->priv_data = p;
	fs->read_inode = ext_read_inode_hook;
	struct da_node *n = da_node_new(DA_NODE_FILESYSTEM, &da_plugin_ext,
					dev);
	n->priv = p;
	uint64_t fs_bytes;
	bool fits = mul_ok(p->nblocks, p->bs, &fs_bytes) &&
		    fs_bytes <= dev->size;
	if (!fits) {
		da_node_set_reason(n, "the filesystem (%llu blocks of %u) is "
				   "larger than its device (%llu bytes)",
				   (unsigned long long)p->nblocks, p->bs,
				   (unsigned long long)dev->size);
		/* the blocks the device holds, the last one perhaps only
		 * in part: a byte of a block the device's end cuts is
		 * still the filesystem's, free or used as its bitmap says
		 * (its reads fail, as any past the end do) */
		if (p->bs)
			p->nblocks = dev->size / p->bs +
				     (dev->size % p->bs != 0);
	}

	char uuid[40], label[EXT2_LABEL_LEN + 1];
	da_uuid_str(sb->s_uuid, uuid);
	memcpy(label, sb->s_volume_name, EXT2_LABEL_LEN);
	label[EXT2_LABEL_LEN] = '\0';
	da_obj_set_str(n->props, "fstype", fs_type(sb));
	da_obj_set_str(n->props, "label", label);
	da_obj_set_str(n->props, "uuid", uuid);
	da_obj_set_int(n->props, "block_size", p->bs);
	da_obj_set_int(n->props, "blocks", (int64_t)ext2fs_blocks_count(sb));
	da_obj_set_int(n->props, "inode_count", sb->s_inodes_count);
	da_obj_set_int(n->props, "free_inodes", sb->s_free_inodes_count);
	da_obj_set_int(n->props, "blocks_per_group", sb->s_blocks_per_group);
	da_obj_set_int(n->props, "first_data_block", sb->s_first_data_block);

	/* the counts dumpe2fs shows; the block bitmaps themselves are read
	 * when a question needs them (ext_meta.c) */
	uint64_t total = ext2fs_blocks_count(sb), nfree = ext2fs_free_blocks_count(sb);
	if (nfree > total)
		nfree = total;
	da_obj_set_int(n->props, "free_blocks", (int64_t)nfree);
	da_obj_set_int(n->props, "used", (int64_t)((total - nfree) * p->bs));
	da_obj_set_int(n->props, "free", (int64_t)(nfree * p->bs));

	/* the pass reads every descriptor: a superblock claiming billions
	 * of groups (libext2fs allows 2^32) would keep it reading for
	 * minutes where libext2fs's full open failed to allocate at once */
	if (p->ngroups > EXT_MAX_GROUPS) {
		da_error_set(err, EFBIG, "%llu block groups: more than the %llu "
			     "diskatlas reads (%s)",
			     (unsigned long long)p->ngroups,
			     (unsigned long long)EXT_MAX_GROUPS,
			     error_message(EXT2_ET_CORRUPT_SUPERBLOCK));
		da_node_free(n);
		return NULL;
	}
	/* a descriptor block outside the device fails the scan now, as the
	 * pass would (it fails later only on a read error) */
	if (!desc_blocks_placed(p, err)) {
		da_node_free(n);
		return NULL;
	}
	p->fits = fits;
	ext_meta_table(p);
	da_node_set_block_size(n, p->bs);
	/* the pass over every descriptor is ext_settle's */
	return n;
}

static bool ext_settled(const struct ext_priv *p)
{
	return __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE) == 1;
}

/* The pass over the descriptors and the metadata map made from it: all
 * that grows with the filesystem, which the explorer's first frames do
 * without.  Warnings go onto n (its props' "warnings" array is made by
 * the scan when this runs on another thread). */
static int ext_settle(struct da_node *n, da_error *err)
{
	struct ext_priv *p = n->priv;
	if (!p)
		return 0;
	int st = __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
	if (st == 0) {
		bool placed = true;
		if (!groups_pass(p, n, &placed, &p->settle_err)) {
			st = -1;
		} else {
			ext_meta_build(p, n, placed && p->fits);
			if (p->overflow)
				da_node_set_reason(n, "too many metadata runs");
			st = 1;
		}
		__atomic_store_n(&p->settled, st, __ATOMIC_RELEASE);
	}
	if (st < 0 && err)
		*err = p->settle_err;
	return st < 0 ? -1 : 0;
}

/* The file index asks which groups have inodes in use: the pass first
 * (a test may build an index without the machine's settle). */
static int ext_build_index_settled(struct da_node *n, da_error *err)
{
	if (ext_settle(n, err) < 0)
		return -1;
	return ext_build_index(n, err);
}

/* The paths of the files among inodes [first, first+count), up to three,
 * into buf at o. */
static void inode_files(const struct da_node *n, uint32_t first,
			uint32_t count, char *buf, size_t len, size_t o)
{
	const struct da_fileindex *x = da_fi_get(n);
	if (!x)
		return;
	int shown = 0, more = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t f = da_fi_find_id(x, first + i);
		char path[256];
		if (f == UINT32_MAX || da_fi_path(x, f, 0, path,
						  sizeof(path)) < 0)
			continue;
		if (shown == 3) {
			more++;
			continue;
		}
		int w = snprintf(buf + o, len - o, "%s%s", shown ? ", " : ": ",
				 path);
		if (w < 0 || (size_t)w >= len - o)
			return;
		o += (size_t)w;
		shown++;
	}
	if (more)
		snprintf(buf + o, len - o, " (+%d more)", more);
}

/* The group whose descriptor puts a bitmap or the inode table (kind
 * 0, 1, 2) over block b, for a filesystem off the layout model: a pass
 * over the descriptors (the model gives the group by arithmetic). */
struct find_item {
	int kind;
	uint64_t b, itable_len, group;
	struct ext_group d;
};

static int find_item_cb(void *ctx, uint64_t g, const struct ext_group *d,
			const uint8_t *raw)
{
	(void)raw;
	struct find_item *f = ctx;
	if (!d)
		return 0;
	uint64_t at = f->kind == 0 ? d->block_bitmap
		      : f->kind == 1 ? d->inode_bitmap : d->inode_table;
	uint64_t len = f->kind == 2 ? f->itable_len : 1;
	if (!at || f->b < at || f->b - at >= len)
		return 0;
	f->group = g;
	f->d = *d;
	return 1;
}

/* What metadata block b (of role) describes: which group's inodes,
 * bitmap or descriptors.  The group is known (group), or for superblocks
 * and descriptors the one they lie in; else (a filesystem off the layout
 * model) the descriptors are searched. */
static void ext_governs(const struct da_node *n, struct ext_priv *p,
			uint64_t b, const char *role, uint64_t group,
			char *buf, size_t len)
{
	ext2_filsys fs = p->fs;
	uint32_t ipg = EXT2_INODES_PER_GROUP(fs->super);
	uint32_t ipb = p->bs / EXT2_INODE_SIZE(fs->super);
	uint64_t bpg = EXT2_BLOCKS_PER_GROUP(fs->super);
	buf[0] = '\0';
	int kind = !strcmp(role, "block_bitmap") ? 0
		   : !strcmp(role, "inode_bitmap") ? 1
		   : !strcmp(role, "inode_table") ? 2 : -1;
	bool sbgd = !strcmp(role, "superblock") ||
		    !strcmp(role, "group_descriptors");
	if (kind < 0 && !sbgd)
		return;            /* the journal, the resize inode... */
	struct ext_group d;
	if (kind >= 0) {
		if (group < p->ngroups) {
			if (ext_group_get(p, group, &d))
				return;
		} else {
			struct find_item f = { kind, b,
					       fs->inode_blocks_per_group,
					       UINT64_MAX, { 0 } };
			ext_groups_each(p, 0, p->ngroups, find_item_cb, &f);
			if (f.group == UINT64_MAX)
				return;
			group = f.group;
			d = f.d;
		}
	}
	dgrp_t g = (dgrp_t)group;
	if (kind == 2) {
		uint64_t t = d.inode_table;
		if (!t || b < t || b - t >= fs->inode_blocks_per_group)
			return;
		uint32_t first = g * ipg + (uint32_t)(b - t) * ipb + 1;
		int w = snprintf(buf, len, "inodes %u-%u of group %u", first,
				 first + ipb - 1, (unsigned)g);
		if (w > 0 && (size_t)w < len)
			inode_files(n, first, ipb, buf, len, (size_t)w);
		return;
	}
	if (kind == 0 && d.block_bitmap == b) {
		snprintf(buf, len, "the block bitmap of group %u "
			 "(blocks %llu-%llu)", (unsigned)g,
			 (unsigned long long)ext2fs_group_first_block2(fs, g),
			 (unsigned long long)ext2fs_group_last_block2(fs, g));
		return;
	}
	if (kind == 1 && d.inode_bitmap == b) {
		snprintf(buf, len, "the inode bitmap of group %u "
			 "(inodes %u-%u)", (unsigned)g, g * ipg + 1,
			 (g + 1) * ipg);
		return;
	}
	if (kind >= 0)
		return;
	/* superblocks and descriptors: the group they lie in */
	if (group == UINT64_MAX && bpg && b >= fs->super->s_first_data_block)
		group = (b - fs->super->s_first_data_block) / bpg;
	if (group >= p->ngroups)
		return;
	g = (dgrp_t)group;
	blk64_t super = 0, old_desc = 0, new_desc = 0;
	blk_t used = 0;
	ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc, &used);
	if (g == 0 && !super)
		super = fs->super->s_first_data_block;
	if (!strcmp(role, "superblock") && super == b) {
		snprintf(buf, len, g ? "the backup superblock in group %u"
				     : "the primary superblock", (unsigned)g);
		return;
	}
	uint32_t dpb = p->desc_per_block;
	if (old_desc && b >= old_desc && b < old_desc + fs->desc_blocks) {
		uint64_t k = b - old_desc;
		uint64_t g0 = k * dpb, g1 = g0 + dpb - 1;
		if (g1 >= p->ngroups)
			g1 = p->ngroups - 1;
		snprintf(buf, len, "the descriptors of groups %llu-%llu (%s "
			 "copy in group %u)", (unsigned long long)g0,
			 (unsigned long long)g1, g ? "backup" : "primary",
			 (unsigned)g);
		return;
	}
	if (new_desc && b == new_desc) {
		uint64_t g0 = (uint64_t)g / dpb * dpb;
		snprintf(buf, len, "the descriptors of groups %llu-%llu "
			 "(meta_bg)", (unsigned long long)g0,
			 (unsigned long long)(g0 + dpb - 1));
	}
}

static int ext_describe_block(struct da_node *n, uint64_t off,
			      struct da_block_info *out)
{
	struct ext_priv *p = n->priv;
	da_block_info_init(out);
	if (!p || !p->bs)
		return -1;
	uint64_t b = off / p->bs;
	out->block = (int64_t)b;
	if (b >= p->nblocks) {
		out->role = "unused";
		return 0;
	}
	int st = __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
	if (st == 0) {
		/* the pass has not said where the metadata lies yet */
		out->role = "unread";
		out->indexing = true;
		return 0;
	}
	if (st < 0) {
		/* the pass could not read the descriptors (the node's
		 * warning says which): used, as the map draws it */
		out->role = "used";
		return 0;
	}
	struct ext_meta_hit m;
	if (ext_meta_at(p, b, &m)) {
		out->role = m.role;
		if (m.ino)
			out->inode = m.ino;
		ext_governs(n, p, b, m.role, m.group, out->governs,
			    sizeof(out->governs));
		/* a file that claims metadata is a conflict worth naming */
		struct da_block_info f;
		da_block_info_init(&f);
		if (da_fi_describe(n, off, &f) == 1 &&
		    f.inode != (int64_t)m.ino) {
			out->conflict = true;
			if (!m.ino) {
				out->inode = f.inode;
				memcpy(out->path, f.path, sizeof(out->path));
			}
		}
		return 0;
	}
	/* a file's block has the file's role: the bitmap (maybe a read)
	 * is asked only of blocks no file claims */
	if (da_fi_describe(n, off, out) == 1)
		return 0;
	out->role = ext_used_test(p, b) ? "used" : "free";
	return 0;
}

static int ext_usage(struct da_node *n, uint64_t off, uint64_t len,
		     struct da_usage *out)
{
	struct ext_priv *p = n->priv;
	if (!p || !p->bs || len == 0)
		return -1;
	int st = __atomic_load_n(&p->settled, __ATOMIC_ACQUIRE);
	if (st == 0) {
		out->pending += len;
		return 0;
	}
	if (st < 0 || !p->used_ready)
		return -1;
	/* past the last block: free, and not a share of the blocks before
	 * (a cell across the end would be scaled, and round) */
	uint64_t end = p->nblocks * p->bs;
	if (off + len > end) {
		uint64_t past = off >= end ? len : off + len - end;
		out->free += past;
		len -= past;
		if (len == 0)
			return 0;
	}
	uint64_t b0 = off / p->bs, b1 = (off + len + p->bs - 1) / p->bs;
	uint64_t blocks = b1 - b0;
	uint64_t used = ext_used_count(p, b0, b1);
	/* metadata is counted among the used blocks: none to look for in
	 * a free range */
	uint64_t meta = used ? ext_meta_count(p, b0, b1) : 0;
	if (meta > used)
		meta = used;
	if (len == blocks * p->bs) {
		/* whole blocks, as most cells are: no scaling */
		out->metadata += meta * p->bs;
		out->used += (used - meta) * p->bs;
		out->free += (blocks - used) * p->bs;
		return 0;
	}
	/* scale whole blocks to the bytes asked for */
	double k = (double)len / ((double)blocks * p->bs);
	out->metadata += (uint64_t)((double)meta * p->bs * k);
	out->used += (uint64_t)((double)(used - meta) * p->bs * k);
	out->free += (uint64_t)((double)(blocks - used) * p->bs * k);
	return 0;
}

/* What ext_usage and ext_describe_block say of one block, for the map's
 * colours: a metadata block that the bitmap marks used (usage counts no
 * more metadata than used blocks) has its table role. */
static const char *ext_meta_role(struct da_node *n, uint64_t off)
{
	struct ext_priv *p = n->priv;
	if (!p || !p->bs || !ext_settled(p) || !p->used_ready)
		return NULL;
	uint64_t b = off / p->bs;
	struct ext_meta_hit m;
	if (b >= p->nblocks || !ext_meta_at(p, b, &m) || !ext_used_test(p, b))
		return NULL;
	return m.role;
}

const struct da_plugin da_plugin_ext = {
	.name = "ext",
	.layer = DA_LAYER_FS,
	.probe = ext_probe,
	.scan = ext_scan,
	.build_index = ext_build_index_settled,
	.describe_block = ext_describe_block,
	.usage = ext_usage,
	.meta_role = ext_meta_role,
	.range_roles = ext_range_roles,
	.free = ext_free,
	.settle = ext_settle,
};
