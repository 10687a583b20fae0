/* e2scan: the yardstick for the file index, a bare libext2fs pass over an
 * ext2/3/4 filesystem: open it, scan every inode, walk the extents (or the
 * block map) of every inode in use.  Prints the CPU seconds of the open and
 * of the scan with the walk, the inodes in use and the extents (leaf
 * extents; a block-mapped file counts one a block run) it saw:
 *   OPEN_S SCAN_S INODES EXTENTS
 * usage: e2scan IMAGE [BYTE-OFFSET]
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <ext2fs/ext2fs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct runs {
	blk64_t next;
	uint64_t n;
};

/* block-mapped files: count the runs of physically consecutive blocks */
static int count_run(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t bcnt,
		     blk64_t ref, int off, void *arg)
{
	struct runs *r = arg;
	(void)fs, (void)ref, (void)off;
	if (bcnt < 0)
		return 0;
	if (*blk != r->next)
		r->n++;
	r->next = *blk + 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: e2scan IMAGE [BYTE-OFFSET]\n");
		return 2;
	}
	char opts[64] = "";
	if (argc == 3)
		snprintf(opts, sizeof(opts), "offset=%s", argv[2]);
	double t0 = cpu_s();
	ext2_filsys fs;
	errcode_t err = ext2fs_open2(argv[1], opts, EXT2_FLAG_64BITS, 0, 0,
				     unix_io_manager, &fs);
	if (err) {
		fprintf(stderr, "e2scan: %s: %s\n", argv[1], error_message(err));
		return 1;
	}
	double t1 = cpu_s();
	ext2_inode_scan scan;
	if ((err = ext2fs_open_inode_scan(fs, 0, &scan))) {
		fprintf(stderr, "e2scan: inode scan: %s\n", error_message(err));
		return 1;
	}
	size_t isz = EXT2_INODE_SIZE(fs->super);
	struct ext2_inode *inode = malloc(isz);
	uint64_t inodes = 0, extents = 0;
	ext2_ino_t ino;
	while (inode) {
		err = ext2fs_get_next_inode_full(scan, &ino, inode, (int)isz);
		if (err == EXT2_ET_INODE_CSUM_INVALID || err == EXT2_ET_INODE_IS_GARBAGE)
			continue;
		if (err || ino == 0)
			break;
		if (inode->i_links_count == 0 && ino != EXT2_RESIZE_INO &&
		    ino != EXT2_JOURNAL_INO)
			continue;
		inodes++;
		if (inode->i_flags & EXT4_INLINE_DATA_FL ||
		    !ext2fs_inode_has_valid_blocks2(fs, inode))
			continue;
		if (inode->i_flags & EXT4_EXTENTS_FL) {
			ext2_extent_handle_t h;
			if (ext2fs_extent_open2(fs, ino, inode, &h))
				continue;
			struct ext2fs_extent e;
			int op = EXT2_EXTENT_ROOT;
			while (!ext2fs_extent_get(h, op, &e)) {
				op = EXT2_EXTENT_NEXT;
				if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
					extents++;
			}
			ext2fs_extent_free(h);
		} else {
			struct runs r = { 0, 0 };
			ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY,
					      NULL, count_run, &r);
			if (ino != EXT2_RESIZE_INO)
				extents += r.n;
		}
	}
	double t2 = cpu_s();
	printf("%.6f %.6f %" PRIu64 " %" PRIu64 "\n", t1 - t0, t2 - t1,
	       inodes, extents);
	free(inode);
	ext2fs_close_inode_scan(scan);
	ext2fs_close_free(&fs);
	return 0;
}
