/* Private to the ext plugin: the superblock's counts checked against each
 * other and the group descriptors (ext_check.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_EXT_CHECK_H
#define DA_EXT_CHECK_H

#include <ext2fs/ext2fs.h>

#include "../diskatlas.h"

/* A warning on n for each count that cannot be: more free than there
 * are, a first data block the block size does not allow, groups that
 * count more free blocks or inodes than they hold, and group free counts
 * that do not add up to the superblock's.  One pass over the group
 * descriptors libext2fs has already read. */
void ext_check_counts(ext2_filsys fs, struct da_node *n);

#endif
