/* e and E: the next or previous extent of what is under the cursor: the
 * file's next run when a file owns the byte (the shared file index's
 * da_fs_next_extent), else the next run of the same innermost owner in
 * the view's own offsets.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "ui.h"

struct run {
	uint64_t off, len;
};

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int file_extent(struct ui *u, const struct da_owner *w, int dir)
{
	struct da_node *n = w->node;
	int64_t next = da_fs_next_extent(n, w->offset, dir);
	if (next < 0) {
		ui_message(u, false, "no %s extent of %s",
			   dir > 0 ? "next" : "previous",
			   w->info.path[0] ? w->info.path : "this file");
		return -1;
	}
	if (view_goto_space(u, n->dev, (uint64_t)next) < 0) {
		ui_message(u, true, "that extent maps to no disk");
		return -1;
	}
	ui_message(u, false, "%s extent of %s", dir > 0 ? "next" : "previous",
		   w->info.path[0] ? w->info.path : "the file");
	return 0;
}

static bool add_run(struct run **runs, size_t *n, size_t *cap, uint64_t off,
		    uint64_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct run *p = realloc(*runs, c * sizeof(*p));
		if (!p)
			return false;
		*runs = p;
		*cap = c;
	}
	(*runs)[(*n)++] = (struct run){ off, len };
	return true;
}

/* Chunks of striped spaces looked at for one search. */
#define MEMBER_PIECES (1u << 20)

/* The runs of region rid inside a member's area of a striped space (the
 * segment sg, whose innermost claim via leads into it), at base in the
 * view's offsets: its data where the space's index has rid, its parity
 * where the member's own claim (under) is rid. */
static bool member_runs(struct ui *u, const struct da_segment *sg,
			const struct da_claim *via, const struct da_claim *under,
			int rid, uint64_t base, struct run **runs, size_t *n,
			size_t *cap, size_t *budget)
{
	bool parity_is = via->parity_region >= 0 ? via->parity_region == rid
			 : under && under->region_id == rid;
	uint64_t at = via->owner_start, left = sg->len, pos = 0;
	while (left > 0 && *budget > 0) {
		struct da_piece pc[64];
		uint64_t done, parity;
		size_t k = da_ownership_unstripe(u->o, via, at, left, pc, 64,
						 &done, &parity);
		if (done == 0)
			break;
		*budget = *budget > k ? *budget - k : 0;
		for (size_t i = 0; i < k; i++) {
			uint64_t from = (at - via->owner_start) + pc[i].from;
			if (parity_is && from > pos &&
			    !add_run(runs, n, cap, base + pos, from - pos))
				return false;
			pos = from + pc[i].len;
			size_t ns;
			const struct da_claim *cl;
			const struct da_segment *ss = da_ownership_segments(
				u->o, (size_t)via->through, &ns, &cl);
			long j = da_ownership_find(u->o, (size_t)via->through,
						   pc[i].off);
			uint64_t end = pc[i].off + pc[i].len;
			for (; j >= 0 && (size_t)j < ns && ss[j].start < end;
			     j++) {
				if (!ss[j].count ||
				    cl[ss[j].first + ss[j].count - 1].region_id
					    != rid)
					continue;
				uint64_t a = ss[j].start > pc[i].off
					? ss[j].start : pc[i].off;
				uint64_t b = ss[j].start + ss[j].len < end
					? ss[j].start + ss[j].len : end;
				if (!add_run(runs, n, cap,
					     base + from + (a - pc[i].off), b - a))
					return false;
			}
		}
		uint64_t stop = (at - via->owner_start) + done;
		if (parity_is && stop > pos &&
		    !add_run(runs, n, cap, base + pos, stop - pos))
			return false;
		pos = stop;
		at += done;
		left -= done;
	}
	return true;
}

int extent_next(struct ui *u, int dir)
{
	struct view *v = view_cur(u);
	struct da_location at[1];
	struct da_owner w[UI_MAX_OWNERS];
	int n = view_cursor_owners(u, at, w, true);
	if (n < 0)
		return -1;
	if (n > 0) {
		struct da_owner *in = &w[n - 1];
		if (in->has_info && in->info.inode >= 0 && in->node)
			return file_extent(u, in, dir);
	}
	if (da_ownership_find(u->o, at[0].disk, at[0].offset) < 0)
		return -1;
	int rid = da_ownership_region_at(u->o, at[0].disk, at[0].offset);

	/* every run of that region, in the view's own offsets: the disks'
	 * and the striped spaces' indexes, a member's area of one a chunk
	 * at a time */
	struct run *runs = NULL;
	size_t nruns = 0, cap = 0, nsegs, budget = MEMBER_PIECES;
	for (size_t d = 0; d < da_ownership_nindexes(u->o); d++) {
		if (v->disk >= 0 && (size_t)v->disk != d)
			continue;
		const struct da_claim *cl;
		const struct da_segment *sg = da_ownership_segments(u->o, d,
								    &nsegs, &cl);
		for (size_t i = 0; i < nsegs; i++) {
			const struct da_claim *in = sg[i].count
				? &cl[sg[i].first + sg[i].count - 1] : NULL;
			uint64_t off = sg[i].start;
			bool in_view = v->disk >= 0;
			for (uint32_t q = 0; !in_view && q < sg[i].count; q++) {
				if (cl[sg[i].first + q].space == v->dev) {
					off = cl[sg[i].first + q].owner_start;
					in_view = true;
				}
			}
			if (!in_view)
				continue;
			if (in && in->through >= 0) {
				if (!member_runs(u, &sg[i], in,
						 sg[i].count > 1 ? in - 1 : NULL,
						 rid, off, &runs, &nruns, &cap,
						 &budget)) {
					free(runs);
					return -1;
				}
				continue;
			}
			if ((in ? in->region_id : -1) != rid)
				continue;
			if (!add_run(&runs, &nruns, &cap, off, sg[i].len)) {
				free(runs);
				return -1;
			}
		}
	}
	if (nruns > 1)   /* runs is NULL when there are none */
		qsort(runs, nruns, sizeof(*runs), cmp_run);
	/* merge touching runs: an extent is a maximal run */
	size_t m = 0;
	for (size_t i = 0; i < nruns; i++) {
		if (m && runs[m - 1].off + runs[m - 1].len >= runs[i].off) {
			uint64_t end = runs[i].off + runs[i].len;
			if (end > runs[m - 1].off + runs[m - 1].len)
				runs[m - 1].len = end - runs[m - 1].off;
		} else {
			runs[m++] = runs[i];
		}
	}
	uint64_t cur = v->cursor;
	long pick = -1;
	if (dir > 0) {
		for (size_t i = 0; i < m; i++)
			if (runs[i].off > cur) {
				pick = (long)i;
				break;
			}
	} else {
		for (size_t i = m; i-- > 0;)
			if (runs[i].off + runs[i].len <= cur) {
				pick = (long)i;
				break;
			}
	}
	size_t nreg;
	const struct da_region_info *ri = da_ownership_regions(u->o, &nreg);
	const char *name = rid >= 0 && (size_t)rid < nreg ? ri[rid].name
							   : "no owner";
	if (pick < 0) {
		ui_message(u, false, "no %s extent of %s",
			   dir > 0 ? "next" : "previous", name);
	} else {
		view_set_cursor(u, v, runs[pick].off);
		ui_message(u, false, "%s extent of %s",
			   dir > 0 ? "next" : "previous", name);
	}
	free(runs);
	return pick < 0 ? -1 : 0;
}
