/* Views: an address space on screen, its zoom (bytes a cell), cursor and
 * scroll, and the stack of views that Enter and Backspace walk.  Cells are
 * laid out row by row from the top left: cell i covers [i*cell,
 * (i+1)*cell) of the space, so every position is plain arithmetic.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

static uint64_t ncells(const struct view *v)
{
	return v->size ? (v->size - 1) / v->cell + 1 : 1;
}

static uint64_t map_cells(const struct ui *u)
{
	uint64_t c = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1) *
		     (uint64_t)(u->map_rows > 0 ? u->map_rows : 1);
	return c;
}

struct view *view_cur(struct ui *u)
{
	return &u->stacks[u->disk][u->depths[u->disk] - 1];
}

/* The shallowest zoom: the whole space on one screen. */
uint64_t view_fit_cell(const struct ui *u, const struct view *v)
{
	uint64_t cells = map_cells(u);
	uint64_t c = v->size / cells + (v->size % cells != 0);
	c = (c + v->min_cell - 1) / v->min_cell * v->min_cell;
	return c < v->min_cell ? v->min_cell : c;
}

int view_rows_total(const struct ui *u, const struct view *v)
{
	uint64_t cols = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1);
	uint64_t r = (ncells(v) + cols - 1) / cols;
	return r > INT32_MAX ? INT32_MAX : (int)r;
}

static uint64_t max_top(const struct ui *u, const struct view *v)
{
	uint64_t cols = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1);
	uint64_t rows = (ncells(v) + cols - 1) / cols;
	uint64_t shown = (uint64_t)(u->map_rows > 0 ? u->map_rows : 1);
	return rows > shown ? rows - shown : 0;
}

void view_keep_visible(struct ui *u, struct view *v)
{
	uint64_t cols = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1);
	uint64_t shown = (uint64_t)(u->map_rows > 0 ? u->map_rows : 1);
	uint64_t row = v->cursor / v->cell / cols;
	if (row < v->top)
		v->top = row;
	else if (row >= v->top + shown)
		v->top = row - shown + 1;
	uint64_t mt = max_top(u, v);
	if (v->top > mt)
		v->top = mt;
}

/* After a resize or a layout change: the zoom stays unless it no longer
 * fits (a zoom shallower than "all on one screen" is pointless). */
void view_clamp(struct ui *u, struct view *v)
{
	if (!v->min_cell)
		return;             /* not set up yet */
	uint64_t fit = view_fit_cell(u, v);
	if (v->cell > fit || v->cell < v->min_cell)
		v->cell = fit;
	if (v->cursor >= v->size)
		v->cursor = v->size ? v->size - 1 : 0;
	view_keep_visible(u, v);
}

void view_init_disk(struct ui *u, struct view *v, size_t d)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", u->m->disks[d].name);
	v->disk = (int)d;
	v->dev = u->m->disks[d].dev;
	v->size = v->dev->size;
	v->min_cell = 512;
	v->cell = view_fit_cell(u, v);
}

void view_init_all(struct ui *u)
{
	for (size_t d = 0; d < u->m->ndisks; d++)
		view_init_disk(u, &u->stacks[d][0], d);
}

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static uint64_t floor_pow2(uint64_t x)
{
	uint64_t p = 1;
	while (p <= x / 2)
		p <<= 1;
	return p;
}

/* Zoom in (dir > 0) or out around the cursor: cells are min_cell times a
 * power of two, up to the size that fits the whole space on screen.  The
 * cursor's byte stays where it is, on the same screen row if it can. */
void view_zoom(struct ui *u, struct view *v, int dir)
{
	uint64_t fit = view_fit_cell(u, v);
	uint64_t q = v->cell / v->min_cell, nc = v->cell;
	bool exact = v->cell % v->min_cell == 0 && pow2(q);
	if (dir > 0) {
		if (v->cell <= v->min_cell)
			return;
		nc = exact ? v->cell / 2 : v->min_cell * floor_pow2(q);
		if (nc == v->cell)
			nc = v->cell / 2;
		if (nc < v->min_cell)
			nc = v->min_cell;
	} else {
		if (v->cell >= fit)
			return;
		nc = exact && v->cell <= fit / 2 ? v->cell * 2 : fit;
	}
	uint64_t cols = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1);
	uint64_t row = v->cursor / v->cell / cols;
	uint64_t srow = row >= v->top ? row - v->top : 0;
	v->cell = nc;
	uint64_t nrow = v->cursor / v->cell / cols;
	v->top = nrow > srow ? nrow - srow : 0;
	uint64_t mt = max_top(u, v);
	if (v->top > mt)
		v->top = mt;
	view_keep_visible(u, v);
}

void view_set_cursor(struct ui *u, struct view *v, uint64_t off)
{
	if (off >= v->size)
		off = v->size ? v->size - 1 : 0;
	v->cursor = off;
	view_keep_visible(u, v);
}

void view_move_cells(struct ui *u, struct view *v, int64_t d)
{
	uint64_t ci = v->cursor / v->cell, last = ncells(v) - 1;
	if (d < 0)
		ci = (uint64_t)-d > ci ? 0 : ci - (uint64_t)-d;
	else
		ci = (uint64_t)d > last - ci ? last : ci + (uint64_t)d;
	view_set_cursor(u, v, ci * v->cell);
}

void view_move_rows(struct ui *u, struct view *v, int64_t drows)
{
	uint64_t cols = (uint64_t)(u->map_cols > 0 ? u->map_cols : 1);
	uint64_t ci = v->cursor / v->cell, last = ncells(v) - 1;
	if (drows < 0) {
		uint64_t back = (uint64_t)-drows * cols;
		ci = back > ci ? ci % cols : ci - back;
	} else {
		uint64_t fwd = (uint64_t)drows * cols;
		if (fwd <= last - ci)
			ci += fwd;
		else if (ci / cols != last / cols)
			ci = last;
	}
	view_set_cursor(u, v, ci * v->cell);
}

void view_summarize(const struct ui *u, const struct view *v, uint64_t off,
		    uint64_t len, struct da_cell *c)
{
	/* never written is an overlay, shown on request (w): by default a
	 * sparse image and its non-sparse copy give the same screen, and
	 * the hole map is not learnt (a walk of the image's extents up to
	 * the cell, the first time) */
	if (len == 0) {
		memset(c, 0, sizeof(*c));
		c->region_id = -1;
		return;
	}
	da_summarize_cells(u->o, v->dev, v->disk, off, len, 1,
			   u->show_holes && u->holes_known, c);
}

/* n cells of the view from off, one row of the map: one walk for all. */
void view_summarize_row(const struct ui *u, const struct view *v,
			uint64_t off, size_t n, struct da_cell *c)
{
	da_summarize_cells(u->o, v->dev, v->disk, off, v->cell, n,
			   u->show_holes && u->holes_known, c);
}

/* Every disk byte that holds byte off of the view: one for a plain stack,
 * one per copy under a mirror, none where a PV is missing. */
int view_locate_all(const struct ui *u, const struct view *v, uint64_t off,
		    struct da_location *out, int max)
{
	if (v->disk >= 0) {
		out[0] = (struct da_location){ (size_t)v->disk, off };
		return 1;
	}
	return da_ownership_locate_all(u->o, v->dev, off, out, max);
}

uint64_t view_sector_size(const struct ui *u)
{
	/* every view of a stack lies on its disk */
	return da_machine_sector_size(u->m, u->m->disks[u->disk].dev);
}

/* The finest cell of an owner's space: its block size, which a
 * filesystem or swap area gives its space (da_node_set_block_size). */
static uint64_t min_cell_for(const struct da_owner *w)
{
	uint64_t bs = w->space ? w->space->block_size : 0;
	if (bs > (1 << 24))
		bs = 1 << 24;
	if (bs < 512 || !pow2(bs))
		bs = 512;
	return bs;
}

int view_cursor_owners(struct ui *u, struct da_location *at,
		       struct da_owner *w, bool with_info)
{
	struct view *v = view_cur(u);
	if (view_locate_all(u, v, v->cursor, at, 1) < 1) {
		ui_message(u, true, "this byte maps to no disk");
		return -1;
	}
	int n = da_owners_at(u->o, at->disk, at->offset, w, UI_MAX_OWNERS,
			     with_info);
	return n > UI_MAX_OWNERS ? UI_MAX_OWNERS : n;
}

int view_enter(struct ui *u)
{
	struct view *v = view_cur(u);
	if (u->depths[u->disk] >= UI_MAX_DEPTH) {
		ui_message(u, true, "too many views deep");
		return -1;
	}
	struct da_location at;
	struct da_owner w[UI_MAX_OWNERS];
	int n = view_cursor_owners(u, &at, w, false);
	if (n < 0)
		return -1;
	/* owners below the current view's own space only */
	int from = 0;
	for (int i = 0; i < n; i++)
		if (w[i].space == v->dev)
			from = i + 1;
	int pick = -1;
	for (int i = n - 1; i >= from; i--) {
		if (w[i].space && w[i].space != v->dev &&
		    !w[i].space->is_disk && w[i].space->size) {
			pick = i;
			break;
		}
	}
	if (pick < 0) {
		ui_message(u, false, "nothing deeper under the cursor");
		return -1;
	}
	struct da_owner *o = &w[pick];
	/* the owner whose content this is: a filesystem on the same space
	 * names the view, as in "p2:ext4" */
	const char *what = NULL;
	for (int i = pick; i < n; i++)
		if (w[i].space == o->space && w[i].fstype)
			what = w[i].fstype;
	struct view nv;
	memset(&nv, 0, sizeof(nv));
	if (what)
		snprintf(nv.name, sizeof(nv.name), "%s:%s", o->space->name,
			 what);
	else
		snprintf(nv.name, sizeof(nv.name), "%s", o->space->name);
	nv.disk = -1;
	nv.dev = o->space;
	nv.size = o->space->size;
	nv.min_cell = 512;
	for (int i = pick; i < n; i++)
		if (w[i].space == o->space && w[i].node &&
		    min_cell_for(&w[i]) > nv.min_cell)
			nv.min_cell = min_cell_for(&w[i]);
	nv.cell = view_fit_cell(u, &nv);
	nv.cursor = o->offset < nv.size ? o->offset : 0;
	u->stacks[u->disk][u->depths[u->disk]++] = nv;
	view_keep_visible(u, view_cur(u));
	u->side_scroll = 0;
	ui_message(u, false, "in %s: Backspace goes back out", nv.name);
	return 0;
}

/* Where the byte under inner's cursor lies in outer's space: on outer's
 * disk, or in the owner chain as the space outer shows.  A mirrored byte
 * has several places: the first on outer's disk. */
static bool outer_offset(struct ui *u, const struct view *inner,
			 const struct view *outer, uint64_t *off)
{
	struct da_location at[UI_MAX_COPIES];
	int n = view_locate_all(u, inner, inner->cursor, at, UI_MAX_COPIES);
	if (n > UI_MAX_COPIES)
		n = UI_MAX_COPIES;
	for (int k = 0; k < n; k++) {
		if (outer->disk >= 0) {
			if (at[k].disk != (size_t)outer->disk)
				continue;
			*off = at[k].offset;
			return true;
		}
		struct da_owner w[UI_MAX_OWNERS];
		int m = da_owners_at(u->o, at[k].disk, at[k].offset, w,
				     UI_MAX_OWNERS, false);
		if (m > UI_MAX_OWNERS)
			m = UI_MAX_OWNERS;
		for (int i = 0; i < m; i++) {
			if (w[i].space == outer->dev &&
			    w[i].offset < outer->size) {
				*off = w[i].offset;
				return true;
			}
		}
	}
	return false;
}

int view_leave(struct ui *u)
{
	if (u->depths[u->disk] <= 1) {
		ui_message(u, false, "already at the disk");
		return -1;
	}
	struct view *inner = view_cur(u);
	uint64_t off;
	bool found = outer_offset(u, inner, &u->stacks[u->disk][
					  u->depths[u->disk] - 2], &off);
	u->depths[u->disk]--;
	struct view *v = view_cur(u);
	view_clamp(u, v);
	/* back out to where the cursor is now, not where it went in: a walk
	 * inside an LV ends on the disk byte it reached */
	if (found)
		view_set_cursor(u, v, off);
	u->side_scroll = 0;
	ui_message(u, false, "back in %s", v->name);
	return 0;
}

/* Whether a view of space a shows space b: the same device, or a's
 * device is b's bytes as they are, byte for byte (a filesystem's
 * block-size overlay of its LV or array, which is what Enter opens). */
bool view_same_space(struct da_device *a, const struct da_device *b)
{
	/* a disk is shown by its own view: g DISK:OFF goes there */
	if (b->is_disk)
		return a == b;
	for (int level = 0; level < 8 && a; level++) {
		if (a == b)
			return true;
		struct da_target t[2];
		if (a->is_disk || da_device_map_block(a, 0, t, 2) != 1 ||
		    !t[0].dev || t[0].offset != 0 || t[0].dev->size != a->size ||
		    da_device_contiguous(a, 0) < a->size)
			return false;
		a = t[0].dev;
	}
	return false;
}

int view_goto_space(struct ui *u, struct da_device *dev, uint64_t off)
{
	/* a view of that space on this disk's stack: go back up to it */
	for (int i = u->depths[u->disk] - 1; i >= 0; i--) {
		struct view *v = &u->stacks[u->disk][i];
		if (view_same_space(v->dev, dev) && off < v->size) {
			u->depths[u->disk] = i + 1;
			view_clamp(u, v);
			view_set_cursor(u, v, off);
			return 0;
		}
	}
	size_t d;
	uint64_t doff, run;
	if (da_ownership_locate(u->o, dev, off, &d, &doff, &run) < 0)
		return -1;
	if (d >= u->m->ndisks)
		return -1;
	u->disk = d;
	u->depths[d] = 1;
	struct view *v = view_cur(u);
	view_clamp(u, v);
	view_set_cursor(u, v, doff);
	return 0;
}

enum fill cell_fill(const struct da_cell *c)
{
	if (c->bytes == 0)
		return FILL_NONE;
	if (c->unmapped * 2 > c->bytes)
		return FILL_UNMAPPED;
	/* neither free nor used until the filesystem's map is read */
	if (c->pending * 2 > c->bytes)
		return FILL_PENDING;
	uint64_t denom = c->used + c->free + c->metadata;
	uint64_t busy = c->used + c->metadata;
	/* never written wins: zeros that were never stored are what a
	 * sparse image shows, whoever claims them */
	if (c->hole * 2 >= c->bytes && c->metadata * 2 <= c->bytes)
		return FILL_HOLE;
	if (denom == 0)
		return FILL_FULL;
	if (c->metadata * 2 > denom)
		return FILL_META;
	if (busy * 8 >= denom * 7)
		return FILL_FULL;
	if (busy * 2 >= denom)
		return FILL_MOSTLY;
	if (busy > 0)
		return FILL_PARTLY;
	return FILL_FREE;
}

/* Where byte off of dev lies in view v's space: v's disk byte, or the
 * offset of the owner of that disk byte whose space v shows. */
static bool offset_in_view(struct ui *u, const struct view *v, size_t d,
			   uint64_t doff, uint64_t *off)
{
	if (v->disk >= 0) {
		*off = doff;
		return (size_t)v->disk == d;
	}
	struct da_owner w[UI_MAX_OWNERS];
	int m = da_owners_at(u->o, d, doff, w, UI_MAX_OWNERS, false);
	if (m > UI_MAX_OWNERS)
		m = UI_MAX_OWNERS;
	for (int i = 0; i < m; i++) {
		if (w[i].space == v->dev && w[i].offset < v->size) {
			*off = w[i].offset;
			return true;
		}
	}
	return false;
}

int view_show(struct ui *u, struct da_device *dev, uint64_t off)
{
	struct view *v = view_cur(u);
	if (view_same_space(v->dev, dev)) {
		view_set_cursor(u, v, off);
		return 0;
	}
	size_t d;
	uint64_t doff, run, voff;
	if (da_ownership_locate(u->o, dev, off, &d, &doff, &run) < 0 ||
	    d >= u->m->ndisks)
		return -1;
	if (d == u->disk && offset_in_view(u, v, d, doff, &voff)) {
		view_set_cursor(u, v, voff);
		return 0;
	}
	u->disk = d;
	u->depths[d] = 1;
	v = view_cur(u);
	view_clamp(u, v);
	view_set_cursor(u, v, doff);
	u->side_scroll = 0;
	return 0;
}

/* A byte of dev that lies on a disk, the first of dev's first runs (a
 * degraded array's missing chunks are skipped); UINT64_MAX if none. */
static uint64_t first_mapped(const struct ui *u, struct da_device *dev)
{
	uint64_t x = 0;
	for (int k = 0; k < 256 && x < dev->size; k++) {
		size_t d;
		uint64_t doff;
		if (da_ownership_locate(u->o, dev, x, &d, &doff, NULL) == 0)
			return x;
		uint64_t c = da_device_contiguous(dev, x);
		if (c == 0)
			break;
		x += c;
	}
	return UINT64_MAX;
}

int view_enter_space(struct ui *u, struct da_device *dev, uint64_t off)
{
	/* a byte on no disk (a missing RAID member): the view is entered
	 * from one that maps, then the cursor goes to off */
	if (view_show(u, dev, off) < 0 &&
	    (dev->is_disk || first_mapped(u, dev) == UINT64_MAX ||
	     view_show(u, dev, first_mapped(u, dev)) < 0)) {
		ui_message(u, true, "%s maps to no disk", dev->name);
		return -1;
	}
	struct view *v = view_cur(u);
	if (view_same_space(v->dev, dev) || dev->is_disk || !dev->size)
		return 0;
	if (u->depths[u->disk] >= UI_MAX_DEPTH) {
		ui_message(u, true, "too many views deep");
		return -1;
	}
	struct da_location at;
	struct da_owner w[UI_MAX_OWNERS];
	int n = view_cursor_owners(u, &at, w, false);
	struct view nv;
	memset(&nv, 0, sizeof(nv));
	nv.disk = -1;
	nv.dev = dev;
	nv.size = dev->size;
	nv.min_cell = 512;
	const char *what = NULL;
	for (int i = 0; i < n; i++) {
		if (w[i].space != dev)
			continue;
		if (w[i].fstype)
			what = w[i].fstype;
		if (w[i].node && min_cell_for(&w[i]) > nv.min_cell)
			nv.min_cell = min_cell_for(&w[i]);
	}
	if (what)
		snprintf(nv.name, sizeof(nv.name), "%s:%s", dev->name, what);
	else
		snprintf(nv.name, sizeof(nv.name), "%s", dev->name);
	nv.cell = view_fit_cell(u, &nv);
	nv.cursor = off < nv.size ? off : 0;
	u->stacks[u->disk][u->depths[u->disk]++] = nv;
	view_keep_visible(u, view_cur(u));
	u->side_scroll = 0;
	ui_message(u, false, "in %s: Backspace goes back out", nv.name);
	return 0;
}
