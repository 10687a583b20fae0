/* Private to the ext plugin: the superblock's counts checked against each
 * other and the group descriptors (ext_check.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_EXT_CHECK_H
#define DA_EXT_CHECK_H

#include <ext2fs/ext2fs.h>

#include "../diskatlas.h"

/* The groups whose free count is more than they hold: how many, the
 * first, and the sum of every group's count. */
struct ext_tally {
	uint64_t over, sum;
	uint64_t first;
	uint64_t first_free, first_has;
};

struct ext_counts {
	struct ext_tally blocks, inodes;
	uint64_t groups;
};

/* A warning on n for each count that cannot be: more free than there
 * are, a first data block the block size does not allow. */
void ext_check_super(ext2_filsys fs, struct da_node *n);
/* Group g's free counts (clusters and inodes) into c, as the scan's
 * pass over the descriptors meets them. */
void ext_check_group(ext2_filsys fs, struct ext_counts *c, uint64_t g,
		     uint64_t free_clusters, uint64_t free_inodes);
/* Then a warning for groups that count more free blocks or inodes than
 * they hold, and for group free counts that do not add up to the
 * superblock's. */
void ext_check_counts(ext2_filsys fs, const struct ext_counts *c,
		      struct da_node *n);

#endif
