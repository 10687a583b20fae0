/* Private helpers shared by the partition-table plugins.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_PART_H
#define DA_PART_H
#include "../util.h"

#define SECTOR 512u

/* A piece of the table's address space before gaps are filled in. */
struct part_piece {
	uint64_t start, len;
	const char *role;          /* "gpt_header", "mbr", "partition"... */
	int slot;
};

/* Add the pieces as regions of n, sorted, with every gap (and the tail)
 * as "unallocated", so the regions cover the whole device. */
void part_cover(struct da_node *n, struct part_piece *pieces, size_t count);
/* The same, with the gaps from byte end on "past_table": past the end of
 * the space the table describes (a GPT on a disk grown after it was
 * written), which no partition may use as the table stands. */
void part_cover_upto(struct da_node *n, struct part_piece *pieces,
		     size_t count, uint64_t end);

/* Human names for MBR type bytes and GPT type GUIDs ("" when unknown). */
const char *part_mbr_type_name(uint8_t type);
const char *part_gpt_type_name(const char *guid);

/* A slot for a partition at [start, start+size) of dev, clipped to the
 * device (with a warning and "clipped": true when it runs past the end).
 * props gets start/size filled in; returns the slot index or -1. */
int part_add(struct da_node *n, struct da_value *props, int number,
	     uint64_t start, uint64_t size, int nest);
#endif
