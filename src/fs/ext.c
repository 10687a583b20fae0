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
#define MAX_DIR_ENTRIES (64u << 20)

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

/* Reads that failed in this thread, and the last one's block: libext2fs's
 * block iterator skips an unreadable indirect block and, when a later one
 * reads, returns no error, so collect_inode counts failures here. */
static __thread uint64_t read_failures;
static __thread unsigned long long failed_block;

static errcode_t dio_read_fail(unsigned long long block)
{
	read_failures++;
	failed_block = block;
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

/* Where collect_inode puts what it finds: the metadata table (the
 * journal, at scan time) or the shared file index (build_index). */
struct collect {
	struct ext_priv *p;
	uint32_t ino;
	struct da_fileindex *x;    /* NULL: into the metadata table */
	uint32_t file;             /* x's number for ino */
	enum da_role data_role;
};

enum piece { PIECE_DATA, PIECE_TREE, PIECE_INDIRECT };

static void collect_add(struct collect *c, uint64_t start, uint64_t len,
			uint64_t lblk, enum piece kind, uint32_t flags)
{
	struct ext_priv *p = c->p;
	if (start >= p->nblocks || len == 0)
		return;
	if (len > p->nblocks - start)
		len = p->nblocks - start;
	if (!c->x) {
		ext_add_meta(p, start, len, da_role_name(c->data_role), c->ino);
		return;
	}
	enum da_role role = kind == PIECE_DATA ? c->data_role
			    : kind == PIECE_TREE ? DA_ROLE_EXTENT_TREE
			    : DA_ROLE_INDIRECT_BLOCK;
	if (kind != PIECE_DATA)
		flags |= DA_RUN_META;
	if (da_fi_add_run(c->x, c->file, start * p->bs, len * p->bs,
			  lblk * p->bs, role, flags) < 0)
		p->overflow = true;
}

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt,
		    blk64_t ref_blk, int ref_offset, void *priv)
{
	(void)ref_blk, (void)ref_offset;
	struct collect *c = priv;
	/* libext2fs skips it, and says nothing when a later one reads */
	if (blockcnt < 0 &&
	    (*blocknr >= ext2fs_blocks_count(fs->super) ||
	     *blocknr < fs->super->s_first_data_block))
		c->p->ind_outside = true;
	collect_add(c, *blocknr, 1, blockcnt < 0 ? 0 : (uint64_t)blockcnt,
		    blockcnt < 0 ? PIECE_INDIRECT : PIECE_DATA, 0);
	return c->p->overflow ? BLOCK_ABORT : 0;
}

/* An extent tree that lies wholly in the inode (depth 0: up to four
 * extents, what most files have), read here: libext2fs's extent handle
 * costs two allocations an inode.  false when the header is anything
 * else; libext2fs then walks (or refuses) it. */
static bool collect_inline_extents(struct collect *c,
				   const struct ext2_inode *inode)
{
	const uint8_t *h = (const uint8_t *)inode->i_block;
	unsigned entries = le16(h + 2), max = le16(h + 4);
	if (le16(h) != 0xf30a || le16(h + 6) != 0 || max == 0 || max > 4 ||
	    entries > max)
		return false;
	for (unsigned i = 0; i < entries && !c->p->overflow; i++) {
		const uint8_t *x = h + 12 + 12 * i;
		uint32_t len = le16(x + 4), flags = 0;
		/* past 32768, an unwritten extent of len - 32768 */
		if (len > 32768) {
			len -= 32768;
			flags = DA_RUN_UNWRITTEN;
		}
		collect_add(c, (uint64_t)le16(x + 6) << 32 | le32(x + 8), len,
			    le32(x), PIECE_DATA, flags);
	}
	return true;
}

/* Every block of one inode: data, extent-tree or indirect blocks. */
static void collect_inode(struct collect *c, ext2_ino_t ino,
			  struct ext2_inode *inode)
{
	ext2_filsys fs = c->p->fs;
	if ((inode->i_flags & EXT4_EXTENTS_FL) &&
	    collect_inline_extents(c, inode))
		return;
	if (inode->i_flags & EXT4_EXTENTS_FL) {
		ext2_extent_handle_t h;
		if (ext2fs_extent_open2(fs, ino, inode, &h))
			return;
		struct ext2fs_extent e;
		errcode_t err = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
		/* bounded: a looping tree cannot keep us here */
		for (uint64_t guard = 0; !err && guard < (1u << 24); guard++) {
			if (!(e.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)) {
				if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
					collect_add(c, e.e_pblk, e.e_len,
						    e.e_lblk, PIECE_DATA,
						    (e.e_flags &
						     EXT2_EXTENT_FLAGS_UNINIT)
							    ? DA_RUN_UNWRITTEN
							    : 0);
				else
					collect_add(c, e.e_pblk, 1, 0,
						    PIECE_TREE, 0);
			}
			if (c->p->overflow)
				break;
			err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT, &e);
		}
		ext2fs_extent_free(h);
	} else {
		/* an unreadable indirect block hides the blocks it maps:
		 * the index says so (libext2fs goes on with the next one) */
		uint64_t failures = read_failures;
		c->p->ind_outside = false;
		errcode_t e = ext2fs_block_iterate3(fs, ino,
						    BLOCK_FLAG_READ_ONLY, NULL,
						    block_cb, c);
		struct ext_priv *p = c->p;
		if (read_failures != failures && p->bad_ind++ == 0)
			snprintf(p->first_bad_ind, sizeof(p->first_bad_ind),
				 "inode %u, block %llu: %s", (unsigned)ino,
				 failed_block, error_message(EXT2_ET_SHORT_READ));
		else if ((e || p->ind_outside) && read_failures == failures &&
			 p->bad_ind++ == 0)
			snprintf(p->first_bad_ind, sizeof(p->first_bad_ind),
				 "inode %u: %s", (unsigned)ino,
				 error_message(e ? e : EXT2_ET_BAD_IND_BLOCK));
	}
}

/* The journal inode's blocks, tree blocks included. */
void ext_add_journal(struct ext_priv *p)
{
	struct ext2_super_block *sb = p->fs->super;
	if (sb->s_journal_inum && sb->s_journal_inum < sb->s_inodes_count) {
		struct ext2_inode ji;
		if (!ext2fs_read_inode(p->fs, sb->s_journal_inum, &ji)) {
			struct collect c = { p, sb->s_journal_inum, NULL, 0,
					     DA_ROLE_JOURNAL };
			collect_inode(&c, sb->s_journal_inum, &ji);
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
};

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
	if (s->csum && !ext_group_csum_ok(p, g, raw) && s->bad_csum++ == 0)
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
	size_t words = (size_t)(p->ngroups / 64 + 1);
	p->inode_groups = malloc(words * sizeof(uint64_t));
	if (p->inode_groups)
		memset(p->inode_groups, 0xff, words * sizeof(uint64_t));
	p->block_uninit = calloc(words, sizeof(uint64_t));
	ext_model_begin(p);
	if (ext_used_init(p) < 0)
		da_warn(n, "no memory for the used-block counts");
	if (ext_groups_each(p, 0, p->ngroups, pass_group, &s)) {
		da_error_set(err, ENOMEM, "no memory for the group descriptors");
		return false;
	}
	if (s.unreadable) {
		da_error_set(err, EIO, "group descriptors: %llu of %llu cannot "
			     "be read (first: group %llu): %s",
			     (unsigned long long)s.unreadable,
			     (unsigned long long)p->ngroups,
			     (unsigned long long)s.first_unreadable,
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
		if (p->bs)
			p->nblocks = dev->size / p->bs;
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
	bool placed = true;
	ext_meta_table(p);
	if (!groups_pass(p, n, &placed, err)) {
		da_node_free(n);
		return NULL;
	}
	ext_meta_build(p, n, placed && fits);
	if (p->overflow)
		da_node_set_reason(n, "too many metadata runs");
	da_node_set_block_size(n, p->bs);
	return n;
}

/* ---- the file index ---- */

struct dir_ctx {
	struct da_fileindex *x;
	uint32_t ninodes;
	uint64_t entries;
};

static int dir_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent,
		  int offset, int blocksize, char *buf, void *priv)
{
	(void)entry, (void)offset, (void)blocksize, (void)buf;
	struct dir_ctx *c = priv;
	if (++c->entries > MAX_DIR_ENTRIES)
		return DIRENT_ABORT;
	ext2_ino_t ino = dirent->inode;
	int len = ext2fs_dirent_name_len(dirent);
	if (!ino || ino > c->ninodes || len <= 0)
		return 0;
	if ((len == 1 && dirent->name[0] == '.') ||
	    (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
		return 0;
	return da_fi_add_name(c->x, ino, dir, dirent->name, (size_t)len) < 0
		       ? DIRENT_ABORT : 0;
}

/* What the file index could not read, for the node's reason. */
struct index_gaps {
	uint64_t groups;           /* groups whose inodes were not read */
	char first_group[200];
	uint64_t bad_inodes;       /* in use, but their checksum fails */
	uint64_t dirs;             /* directories that could not be read */
};

static void __attribute__((format(printf, 4, 5)))
say(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	if (*o + 3 >= len)
		return;
	if (*o) {
		memcpy(buf + *o, "; ", 3);
		*o += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (w > 0)
		*o += (size_t)w < len - *o ? (size_t)w : len - *o - 1;
}

static void gaps_reason(struct ext_priv *p, const struct index_gaps *g,
			char *why, size_t len)
{
	size_t o = 0;
	why[0] = '\0';
	if (g->groups)
		say(why, len, &o, "the inodes of %llu of %u groups "
		    "are not read (%s)", (unsigned long long)g->groups,
		    (unsigned)p->fs->group_desc_count, g->first_group);
	if (g->bad_inodes)
		say(why, len, &o, "%llu inodes fail their checksum "
		    "and are left out", (unsigned long long)g->bad_inodes);
	if (p->bad_ind)
		say(why, len, &o, "%llu files have indirect blocks that "
		    "cannot be read: the blocks they map are not known "
		    "(first: %s)", (unsigned long long)p->bad_ind,
		    p->first_bad_ind);
	if (g->dirs)
		say(why, len, &o, "%llu directories cannot be read: "
		    "their files have no path", (unsigned long long)g->dirs);
	if (p->overflow)
		say(why, len, &o, "cut short: too many runs");
}

static int push_dir(uint32_t **v, size_t *n, size_t *cap, uint32_t ino)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		uint32_t *d = realloc(*v, c * sizeof(*d));
		if (!d)
			return -1;
		*v = d;
		*cap = c;
	}
	(*v)[(*n)++] = ino;
	return 0;
}

static enum da_file_kind inode_kind(const struct ext2_inode *inode)
{
	if (LINUX_S_ISDIR(inode->i_mode))
		return DA_FILE_DIR;
	if (LINUX_S_ISREG(inode->i_mode))
		return DA_FILE_REGULAR;
	if (LINUX_S_ISLNK(inode->i_mode))
		return DA_FILE_SYMLINK;
	return DA_FILE_OTHER;
}

/* The file index is published even when it could not be built, or only
 * in part: lookups then answer with what the scan knows (metadata roles,
 * used/free) instead of "indexing" for ever. */
static int ext_build_index(struct da_node *n, da_error *err)
{
	struct ext_priv *p = n->priv;
	if (!p || da_fi_get(n))
		return 0;
	lib_init();
	ext2_filsys fs = p->fs;
	uint32_t ninodes = fs->super->s_inodes_count;
	bool paths = true;
	uint32_t *dirs = NULL;
	size_t ndirs = 0, capdirs = 0;
	struct index_gaps gaps = { 0 };
	char why[400];

	struct da_fileindex *x = da_fi_new(false);
	if (!x) {
		da_fi_publish(n, NULL, "no memory for the file index");
		return da_error_set(err, ENOMEM, "no memory for the file index");
	}
	da_fi_set_root(x, EXT2_ROOT_INO);
	ext2_inode_scan scan;
	errcode_t e = ext2fs_open_inode_scan(fs, 0, &scan);
	if (e) {
		snprintf(why, sizeof(why), "cannot scan the inodes: %s",
			 error_message(e));
		da_fi_publish(n, x, why);
		return da_error_set(err, EIO, "%s", why);
	}
	ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	uint32_t ipg = EXT2_INODES_PER_GROUP(fs->super);
	/* group by group, so that one bad descriptor costs its own group
	 * only: libext2fs's scan stops at the first bad inode table */
	gaps.groups = p->bad_itables;
	snprintf(gaps.first_group, sizeof(gaps.first_group), "%s",
		 p->first_bad_itable);
	/* where the scan went when it left a group: it skips the groups it
	 * has nothing to read in (uninitialised, no table) by itself, and
	 * going to each of those again would cost groups squared */
	dgrp_t next = 0;
	/* no inode or extent-block checksums: a quarter of the walk, and
	 * what a damaged inode claims shows as a conflict */
	int fs_flags = fs->flags;
	fs->flags |= EXT2_FLAG_IGNORE_CSUM_ERRORS;
	for (dgrp_t g = 0; g < fs->group_desc_count && !p->overflow; g++) {
		if (g < next || !ext2fs_inode_table_loc(fs, g))
			continue;          /* empty, missing, or set aside */
		/* the inodes in use are the first ipg - itable_unused (as
		 * libext2fs's lazy scan reads): stop there, so that the scan
		 * never walks on through the empty groups by itself */
		uint32_t want = ipg;
		if (ext2fs_has_group_desc_csum(fs)) {
			uint32_t unused = ext2fs_bg_itable_unused(fs, g);
			if (ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT) ||
			    unused >= ipg)
				continue;
			want = ipg - unused;
		}
		e = ext2fs_inode_scan_goto_blockgroup(scan, g);
		for (uint32_t k = 0; !e && k < want; k++) {
			ext2_ino_t ino;
			struct ext2_inode inode;
			e = ext2fs_get_next_inode(scan, &ino, &inode);
			if (e == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE) {
				e = 0;
				continue;
			}
			if (e == EXT2_ET_INODE_CSUM_INVALID ||
			    e == EXT2_ET_INODE_IS_GARBAGE) {
				if (inode.i_links_count && inode.i_mode)
					gaps.bad_inodes++;
				e = 0;
				continue;
			}
			/* the scan moved on: an unused or missing table */
			if (!e && ino == 0)
				next = fs->group_desc_count;
			else if (!e && (ino - 1) / ipg > g)
				next = (ino - 1) / ipg;
			if (e || ino == 0 || (ino - 1) / ipg != g)
				break;
			if (ino != EXT2_ROOT_INO &&
			    ino < EXT2_FIRST_INODE(fs->super))
				continue;  /* reserved: journal, resize... */
			if (inode.i_links_count == 0)
				continue;
			enum da_file_kind kind = inode_kind(&inode);
			uint32_t f = da_fi_add_file(x, ino, kind,
						    EXT2_I_SIZE(&inode), 0);
			if (f == UINT32_MAX) {
				p->overflow = true;
				break;
			}
			if (kind == DA_FILE_DIR && paths &&
			    push_dir(&dirs, &ndirs, &capdirs, ino) < 0)
				paths = false;
			struct collect c = { p, ino, x, f,
					     kind == DA_FILE_DIR
						     ? DA_ROLE_DIRECTORY
						     : DA_ROLE_FILE_DATA };
			/* a shared xattr block is shared by design: legal */
			blk64_t acl = ext2fs_file_acl_block(fs, &inode);
			if (acl && acl < p->nblocks &&
			    da_fi_add_run(x, f, acl * p->bs, p->bs, 0,
					  DA_ROLE_XATTR,
					  DA_RUN_META | DA_RUN_SHARED) < 0)
				p->overflow = true;
			if (ext2fs_inode_has_valid_blocks2(fs, &inode))
				collect_inode(&c, ino, &inode);
			if (p->overflow)
				break;
		}
		if (e && gaps.groups++ == 0)
			snprintf(gaps.first_group, sizeof(gaps.first_group),
				 "group %u: %s", (unsigned)g,
				 error_message(e));
	}
	fs->flags = fs_flags;
	ext2fs_close_inode_scan(scan);

	/* the reserved inodes that own blocks (the journal, the resize
	 * inode): files without a path, so that a range's files name them
	 * as debugfs icheck does */
	uint32_t seen_ino[8], seen_f[8];
	size_t nseen = 0;
	for (size_t i = 0; i < p->nmeta && !p->overflow; i++) {
		const struct run *m = &p->meta[i];
		if (!m->ino)
			continue;
		uint32_t f = UINT32_MAX;
		for (size_t k = 0; k < nseen; k++)
			if (seen_ino[k] == m->ino)
				f = seen_f[k];
		if (f == UINT32_MAX) {
			f = da_fi_add_file(x, m->ino, DA_FILE_META, 0, 0);
			if (nseen < 8) {
				seen_ino[nseen] = m->ino;
				seen_f[nseen++] = f;
			}
		}
		if (f == UINT32_MAX ||
		    da_fi_add_run(x, f, m->start * p->bs,
				  (uint64_t)m->len * p->bs, 0,
				  da_role_by_name(m->role), DA_RUN_META) < 0)
			p->overflow = true;
	}
	if (paths) {
		struct dir_ctx c = { x, ninodes, 0 };
		for (size_t i = 0; i < ndirs; i++)
			if (ext2fs_dir_iterate2(fs, dirs[i], 0, NULL, dir_cb,
						&c))
				gaps.dirs++;
	}
	free(dirs);
	gaps_reason(p, &gaps, why, sizeof(why));
	da_fi_publish(n, x, why);
	return 0;
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
	if (!p || !p->bs || !p->used_ready || len == 0)
		return -1;
	uint64_t b0 = off / p->bs, b1 = (off + len + p->bs - 1) / p->bs;
	if (b1 > p->nblocks)
		b1 = p->nblocks;
	if (b0 >= b1) {
		out->free += len;
		return 0;
	}
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
	if (!p || !p->bs || !p->used_ready)
		return NULL;
	uint64_t b = off / p->bs;
	struct ext_meta_hit m;
	if (b >= p->nblocks || !ext_meta_at(p, b, &m) || !ext_used_test(p, b))
		return NULL;
	return m.role;
}

/* The file index still reads inodes with libext2fs's inode scan, which
 * asks libext2fs's own descriptor table: it is made here, on the index's
 * thread, zeroed (calloc'd: pages never written cost no memory) and
 * filled from ext_group.c's reader for the groups with inodes in use
 * only.  A zero descriptor has no inode table, which the scan skips as
 * it skips an uninitialised group; a misplaced table is set aside so
 * (location 0, which inode reads refuse too).  Nothing else reads that
 * table: an index that reads the inode tables through ext_group_get
 * needs none of this. */
static int table_fill(struct ext_priv *p)
{
	ext2_filsys fs = p->fs;
	void *t = NULL;
	if (ext2fs_get_arrayzero(p->desc_blocks ? p->desc_blocks : 1, p->bs,
				 &t))
		return -1;
	fs->group_desc = t;
	for (uint64_t g = 0; g < p->ngroups; g++) {
		if (p->inode_groups && !p->inode_groups[g / 64]) {
			g |= 63;           /* a word of empty groups */
			continue;
		}
		struct ext_group d;
		if (!ext_group_has_inodes(p, g) || ext_group_get(p, g, &d))
			continue;
		dgrp_t h = (dgrp_t)g;
		ext2fs_block_bitmap_loc_set(fs, h, d.block_bitmap);
		ext2fs_inode_bitmap_loc_set(fs, h, d.inode_bitmap);
		ext2fs_inode_table_loc_set(fs, h,
					   ext_group_misplaced(p, g, &d, true,
							       NULL, 0)
						   ? 0 : d.inode_table);
		ext2fs_bg_free_blocks_count_set(fs, h, d.free_blocks);
		ext2fs_bg_free_inodes_count_set(fs, h, d.free_inodes);
		ext2fs_bg_used_dirs_count_set(fs, h, d.used_dirs);
		ext2fs_bg_itable_unused_set(fs, h, d.itable_unused);
		ext2fs_bg_flags_set(fs, h, d.flags);
	}
	return 0;
}

static int ext_index_with_table(struct da_node *n, da_error *err)
{
	struct ext_priv *p = n->priv;
	if (p && !da_fi_get(n) && !p->fs->group_desc && table_fill(p) < 0) {
		da_fi_publish(n, NULL, "no memory for the group descriptors");
		return da_error_set(err, ENOMEM, "no memory for the group "
				    "descriptors");
	}
	return ext_build_index(n, err);
}

const struct da_plugin da_plugin_ext = {
	.name = "ext",
	.layer = DA_LAYER_FS,
	.probe = ext_probe,
	.scan = ext_scan,
	.build_index = ext_index_with_table,
	.describe_block = ext_describe_block,
	.usage = ext_usage,
	.meta_role = ext_meta_role,
	.free = ext_free,
};
