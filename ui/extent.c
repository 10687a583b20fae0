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
	long si = da_ownership_find(u->o, at[0].disk, at[0].offset);
	if (si < 0)
		return -1;
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *segs = da_ownership_segments(u->o, at[0].disk,
							      &nsegs, &claims);
	const struct da_segment *cs = &segs[si];
	int rid = cs->count ? claims[cs->first + cs->count - 1].region_id : -1;

	/* every run of that region, in the view's own offsets */
	struct run *runs = NULL;
	size_t nruns = 0, cap = 0;
	for (size_t d = 0; d < u->m->ndisks; d++) {
		if (v->disk >= 0 && (size_t)v->disk != d)
			continue;
		const struct da_claim *cl;
		const struct da_segment *sg = da_ownership_segments(u->o, d,
								    &nsegs, &cl);
		for (size_t i = 0; i < nsegs; i++) {
			int r = sg[i].count
				? cl[sg[i].first + sg[i].count - 1].region_id : -1;
			if (r != rid)
				continue;
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
			if (nruns == cap) {
				cap = cap ? cap * 2 : 64;
				struct run *p = realloc(runs, cap * sizeof(*p));
				if (!p) {
					free(runs);
					return -1;
				}
				runs = p;
			}
			runs[nruns++] = (struct run){ off, sg[i].len };
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
