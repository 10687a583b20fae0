/* XFS directories, from xfsprogs' libxfs/xfs_da_format.h: the short form
 * in the inode, and the data blocks of the block, leaf and node forms
 * (directory blocks of blocksize << dirblklog bytes below the 32 GiB leaf
 * offset; the leaf, node and free blocks above it hold no names).
 *
 * Every entry is checked against its block before it is read; "." and
 * ".." are not names of the directory's children.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "xfs.h"

#define DIR_LEAF_OFFSET (32ULL << 30)

static uint64_t get_ino(const uint8_t *p, bool i8)
{
	return i8 ? be64(p) : be32(p);
}

static void shortform(struct xfs_ictx *c, const struct xfs_inode *ip,
		      xfs_name_fn fn, void *arg)
{
	const struct xfs_geom *g = c->g;
	const uint8_t *f = ip->raw + ip->core;
	uint32_t size = ip->dsize;
	if (ip->size < size)
		size = (uint32_t)ip->size;
	unsigned long long ino = (unsigned long long)ip->ino;
	if (size < 6) {
		xfs_ictx_warn(c, "directory %llu: short form of %u bytes", ino,
			      size);
		return;
	}
	uint32_t count = f[0];
	bool i8 = f[1] != 0;
	uint32_t pos = 2 + (i8 ? 8 : 4);
	uint32_t isz = i8 ? 8 : 4;
	for (uint32_t i = 0; i < count; i++) {
		if (pos + 3 > size)
			goto bad;
		uint32_t nlen = f[pos];
		uint32_t need = 3 + nlen + (g->ftype ? 1 : 0) + isz;
		if (nlen == 0 || pos + need > size)
			goto bad;
		const uint8_t *name = f + pos + 3;
		uint64_t child = get_ino(name + nlen + (g->ftype ? 1 : 0), i8);
		fn(arg, ip->ino, child, name, nlen);
		pos += need;
	}
	return;
bad:
	xfs_ictx_warn(c, "directory %llu: short-form entries run past the "
		      "fork", ino);
}

/* The names in one directory data block (block or data form). */
static void data_block(struct xfs_ictx *c, const struct xfs_inode *ip,
		       const uint8_t *b, uint32_t len, xfs_name_fn fn,
		       void *arg)
{
	const struct xfs_geom *g = c->g;
	unsigned long long ino = (unsigned long long)ip->ino;
	uint32_t magic = be32(b);
	bool block_form;
	if (magic == (g->crc ? 0x58444233u : 0x58443242u))       /* XDB3 / XD2B */
		block_form = true;
	else if (magic == (g->crc ? 0x58444433u : 0x58443244u))  /* XDD3 / XD2D */
		block_form = false;
	else {
		xfs_ictx_warn(c, "directory %llu: data block with magic "
			      "0x%08x", ino, magic);
		return;
	}
	if (g->crc && !xfs_crc_ok(b, len, 4)) {
		c->crc_errors++;
		xfs_ictx_warn(c, "directory %llu: data block fails its CRC",
			      ino);
	}
	uint32_t pos = g->crc ? 64 : 16;
	uint32_t end = len;
	if (block_form) {
		uint32_t count = be32(b + len - 8);
		if ((uint64_t)count * 8 + 8 + pos > len) {
			xfs_ictx_warn(c, "directory %llu: %u leaf entries in a "
				      "block", ino, count);
			return;
		}
		end = len - 8 - count * 8;
	}
	while (pos + 8 <= end) {
		if (be16(b + pos) == 0xffff) {          /* unused space */
			uint32_t l = be16(b + pos + 2);
			if (l < 8 || (l & 7) || pos + l > end)
				goto bad;
			pos += l;
			continue;
		}
		if (pos + 9 > end)      /* the name's length byte */
			goto bad;
		uint64_t child = be64(b + pos);
		uint32_t nlen = b[pos + 8];
		uint32_t esz = (8 + 1 + nlen + (g->ftype ? 1 : 0) + 2 + 7) & ~7u;
		if (nlen == 0 || pos + esz > end)
			goto bad;
		const uint8_t *name = b + pos + 9;
		bool dot = (nlen == 1 && name[0] == '.') ||
			   (nlen == 2 && name[0] == '.' && name[1] == '.');
		if (!dot)
			fn(arg, ip->ino, child, name, nlen);
		pos += esz;
	}
	return;
bad:
	xfs_ictx_warn(c, "directory %llu: a data block's entries do not fit",
		      ino);
}

void xfs_dir_names(struct xfs_ictx *c, const struct xfs_inode *ip,
		   const struct xfs_extlist *ext, xfs_name_fn fn, void *arg)
{
	const struct xfs_geom *g = c->g;
	if (ip->format == XFS_FMT_LOCAL) {
		shortform(c, ip, fn, arg);
		return;
	}
	uint32_t fsbs = 1u << g->dirblklog;           /* blocks a dir block */
	uint32_t dlen = g->bs << g->dirblklog;
	uint64_t leaf = DIR_LEAF_OFFSET >> g->blocklog;
	uint8_t *b = malloc(dlen);
	if (!b)
		return;
	/* directory blocks start at multiples of fsbs; one may span
	 * extents, so each block is read a filesystem block at a time from
	 * the extent that maps it */
	for (size_t i = 0; i < ext->n; i++) {
		const struct xfs_ext *e = &ext->v[i];
		if (e->off >= leaf)
			break;
		uint64_t first = (e->off + fsbs - 1) / fsbs * fsbs;
		for (uint64_t d = first; d < e->off + e->len && d < leaf;
		     d += fsbs) {
			/* every block could be a directory block once: more
			 * means extents that claim the same blocks again */
			if (c->dir_budget < fsbs) {
				if (!c->dir_over)
					xfs_ictx_warn(c, "directories claim more "
						      "blocks than the filesystem "
						      "has: names not all read");
				c->dir_over = true;
				free(b);
				return;
			}
			c->dir_budget -= fsbs;
			size_t k = i;
			bool ok = true;
			for (uint32_t j = 0; j < fsbs && ok; j++) {
				uint64_t fb = d + j;
				while (k < ext->n && ext->v[k].off + ext->v[k].len
				       <= fb)
					k++;
				if (k == ext->n || ext->v[k].off > fb) {
					ok = false;
					break;
				}
				da_error err;
				if (xfs_read_block(c->dev, g, ext->v[k].lin + fb -
						   ext->v[k].off, 1,
						   b + (size_t)j * g->bs,
						   &err) < 0)
					ok = false;
			}
			if (ok)
				data_block(c, ip, b, dlen, fn, arg);
			else
				xfs_ictx_warn(c, "directory %llu: block %llu "
					      "cannot be read whole",
					      (unsigned long long)ip->ino,
					      (unsigned long long)d);
		}
	}
	free(b);
}
