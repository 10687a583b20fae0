/* The search's state, shared by search.c (finding, choosing, the
 * highlight) and matchlist.c (the M pane): private to those two.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_SEARCH_H
#define DA_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ui;
struct da_node;
struct da_device;

enum match_kind { MATCH_OWNER, MATCH_FILE };

struct match {
	enum match_kind kind;
	struct da_node *node;      /* the filesystem of a file */
	uint32_t file;             /* in the node's file index */
	struct da_device *space;   /* where its bytes are counted */
	char *name;                /* a path, or "kind name" */
	char *where;               /* "root (ext4)", or the owner's kind */
	char *layer;               /* the space it lies on */
	uint64_t size;
	uint32_t extents;
};

struct range {
	uint64_t start, end;
};

struct ranges {
	struct range *r;
	size_t n, cap;
	bool cut;                  /* more than the bound: cut short */
};

struct search {
	char pattern[256];
	struct match *m;
	size_t n, cap, total;      /* kept, room, found in all */
	bool indexing;             /* some filesystem had no index yet */
	long cur;                  /* the chosen match, -1 none */
	/* the chosen match's bytes in its own space, sorted, merged */
	struct ranges own;
	uint64_t first;            /* where it begins (a file's byte 0) */
	uint32_t extents;
	uint64_t largest_gap;
	/* the highlight in the space of one view */
	struct ranges hl;
	struct da_device *hl_dev;
	bool hl_valid;
	/* the match list */
	bool list;
	long sel, top;
};

/* Go to match k and highlight it; false when it has no bytes to go to. */
bool search_choose(struct ui *u, long k);

#endif
