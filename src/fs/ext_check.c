/* The ext superblock's counts against each other and the groups, as
 * e2fsck's check_super_block compares them: libext2fs opens a filesystem
 * whose free counts are impossible (it refuses one whose inode count is
 * not inodes per group x groups, or whose groups do not fit the block
 * count), and such a filesystem would otherwise be listed as if sound.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "ext_check.h"

static void count(struct ext_tally *t, uint64_t g, uint64_t free_,
		  uint64_t has)
{
	t->sum += free_;
	if (free_ > has && t->over++ == 0) {
		t->first = g;
		t->first_free = free_;
		t->first_has = has;
	}
}

void ext_check_super(ext2_filsys fs, struct da_node *n)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t blocks = ext2fs_blocks_count(sb);
	uint64_t free_blocks = ext2fs_free_blocks_count(sb);
	if (free_blocks > blocks)
		da_warn(n, "superblock: free_blocks_count=%llu is more than "
			"blocks_count=%llu", (unsigned long long)free_blocks,
			(unsigned long long)blocks);
	if (sb->s_free_inodes_count > sb->s_inodes_count)
		da_warn(n, "superblock: free_inodes_count=%u is more than "
			"inodes_count=%u", sb->s_free_inodes_count,
			sb->s_inodes_count);
	/* block 0 holds the boot block and, with 1 KiB blocks, nothing
	 * else: the superblock is then block 1 (bigalloc clusters start
	 * at 0 whatever the block size) */
	unsigned want = sb->s_log_block_size == 0 &&
			EXT2FS_CLUSTER_RATIO(fs) == 1;
	if (sb->s_first_data_block != want)
		da_warn(n, "superblock: first_data_block=%u, should be %u for "
			"%u-byte blocks%s", sb->s_first_data_block, want,
			fs->blocksize,
			EXT2FS_CLUSTER_RATIO(fs) > 1 ? " with bigalloc" : "");
}

void ext_check_group(ext2_filsys fs, struct ext_counts *c, uint64_t g,
		     uint64_t free_clusters, uint64_t free_inodes)
{
	/* every group but the last has blocks_per_group blocks: libext2fs
	 * is asked only of the last (the pass asks every group) */
	uint64_t blocks =
		g + 1 < fs->group_desc_count
			? (uint64_t)EXT2_BLOCKS_PER_GROUP(fs->super)
			: (uint64_t)ext2fs_group_blocks_count(fs, (dgrp_t)g);
	uint64_t clusters = blocks >> fs->cluster_ratio_bits;
	count(&c->blocks, g, free_clusters, clusters);
	count(&c->inodes, g, free_inodes, EXT2_INODES_PER_GROUP(fs->super));
	c->groups++;
}

void ext_check_counts(ext2_filsys fs, const struct ext_counts *c,
		      struct da_node *n)
{
	struct ext2_super_block *sb = fs->super;
	const struct ext_tally *b = &c->blocks, *in = &c->inodes;
	uint64_t free_blocks = ext2fs_free_blocks_count(sb);
	if (b->over)
		da_warn(n, "group descriptors: %llu of %u count more free "
			"blocks than their group holds (first: group %llu, "
			"%llu free of %llu)", (unsigned long long)b->over,
			(unsigned)fs->group_desc_count,
			(unsigned long long)b->first,
			(unsigned long long)b->first_free,
			(unsigned long long)b->first_has);
	if (in->over)
		da_warn(n, "group descriptors: %llu of %u count more free "
			"inodes than their group holds (first: group %llu, "
			"%llu free of %llu)", (unsigned long long)in->over,
			(unsigned)fs->group_desc_count,
			(unsigned long long)in->first,
			(unsigned long long)in->first_free,
			(unsigned long long)in->first_has);
	/* group counts are in clusters, the superblock's in blocks */
	uint64_t sum_blocks = b->sum << fs->cluster_ratio_bits;
	if (sum_blocks != free_blocks)
		da_warn(n, "superblock: free_blocks_count=%llu, but the "
			"groups' free blocks add up to %llu",
			(unsigned long long)free_blocks,
			(unsigned long long)sum_blocks);
	if (in->sum != sb->s_free_inodes_count)
		da_warn(n, "superblock: free_inodes_count=%u, but the groups' "
			"free inodes add up to %llu", sb->s_free_inodes_count,
			(unsigned long long)in->sum);
}
