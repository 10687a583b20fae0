/* ext2/3/4's file index: every inode in use, the blocks it owns (data,
 * extent-tree, indirect and xattr blocks) and the names of every
 * directory entry, handed to the shared file index (src/fileindex.h).
 * Built by build_index, possibly in another thread.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "../fileindex.h"
#include "../util.h"
#include "ext.h"

/* Bounds on what a hostile filesystem can make us hold. */
#define MAX_DIR_ENTRIES (64u << 20)

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
		uint64_t failures = ext_read_failures(NULL);
		c->p->ind_outside = false;
		errcode_t e = ext2fs_block_iterate3(fs, ino,
						    BLOCK_FLAG_READ_ONLY, NULL,
						    block_cb, c);
		struct ext_priv *p = c->p;
		unsigned long long failed_block;
		uint64_t read_failures = ext_read_failures(&failed_block);
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
int ext_build_index(struct da_node *n, da_error *err)
{
	struct ext_priv *p = n->priv;
	if (!p || da_fi_get(n))
		return 0;
	ext_lib_init();
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

void ext_collect_meta(struct ext_priv *p, uint32_t ino,
		      struct ext2_inode *inode, enum da_role role)
{
	struct collect c = { p, ino, NULL, 0, role };
	collect_inode(&c, ino, inode);
}
