/* The one-line prompt for g (go to an offset) and / (find an owner or a
 * file), and the jumps they and n/N make.  While open, the prompt is a
 * pane over the status line that takes every key.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

void prompt_start(struct ui *u, int kind)
{
	u->prompt = kind;
	u->plen = 0;
	u->pbuf[0] = '\0';
	u->msg[0] = '\0';
}

static void go_offset(struct ui *u, const char *text)
{
	struct view *v = view_cur(u);
	if (strrchr(text, ':')) {
		/* NAME:OFFSET: a disk, or a volume (its view if one is
		 * open, else the disk byte it lives on) */
		struct da_device *dev;
		uint64_t off;
		da_error err = { 0 };
		if (da_parse_where_dev(u->m, text, &dev, &off, &err) < 0)
			ui_message(u, true, "%s", err.msg);
		else if (view_goto_space(u, dev, off) < 0)
			ui_message(u, true, "%s lies on no disk here", text);
		return;
	}
	uint64_t off;
	if (da_parse_offset(text, &off) < 0) {
		ui_message(u, true, "%s: not an offset (try 1048576, 0x100000, "
			   "1M or 2048s)", text);
		return;
	}
	if (off >= v->size) {
		ui_message(u, true, "%s is past the end of %s (%" PRIu64
			   " bytes)", text, v->name, v->size);
		return;
	}
	view_set_cursor(u, v, off);
}

static void run_prompt(struct ui *u)
{
	char text[sizeof(u->pbuf)];
	snprintf(text, sizeof(text), "%s", u->pbuf);
	int kind = u->prompt;
	u->prompt = 0;
	if (!text[0])
		return;
	if (kind == 'g')
		go_offset(u, text);
	else
		search_run(u, text);
}

static int prompt_key(struct ui *u, int ch, bool is_key_code)
{
	if (!u->prompt)
		return PANE_PASS;
	if ((!is_key_code && (ch == 27 || ch == 7)) ||
	    (is_key_code && ch == KEY_EXIT)) {
		u->prompt = 0;
		ui_message(u, false, "cancelled");
		return PANE_HANDLED | PANE_REDRAW;
	}
	if ((!is_key_code && (ch == '\n' || ch == '\r')) ||
	    (is_key_code && ch == KEY_ENTER)) {
		run_prompt(u);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if ((is_key_code && ch == KEY_BACKSPACE) ||
	    (!is_key_code && (ch == 127 || ch == 8))) {
		/* drop one character, with its UTF-8 continuation bytes */
		while (u->plen > 0 &&
		       ((unsigned char)u->pbuf[u->plen - 1] & 0xc0) == 0x80)
			u->plen--;
		if (u->plen > 0)
			u->plen--;
		u->pbuf[u->plen] = '\0';
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!is_key_code && ch == 21) {   /* ^U */
		u->plen = 0;
		u->pbuf[0] = '\0';
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!is_key_code && ch >= 32) {
		char mb[8];
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		size_t k = wcrtomb(mb, (wchar_t)ch, &st);
		if (k == (size_t)-1 || u->plen + (int)k >= (int)sizeof(u->pbuf))
			return PANE_HANDLED;
		memcpy(u->pbuf + u->plen, mb, k);
		u->plen += (int)k;
		u->pbuf[u->plen] = '\0';
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static void prompt_draw(struct ui *u)
{
	role_on(ROLE_PROMPT);
	fill_line(u->status.y, 0, u->cols);
	char line[320];
	snprintf(line, sizeof(line), "%s %s",
		 u->prompt == 'g' ? "go to offset:" : "find owner or file:",
		 u->pbuf);
	put_text(u->status.y, 0, u->cols - 1, line);
	int len = (int)strlen(line);
	curs_set(1);
	move(u->status.y, len < u->cols - 1 ? len : u->cols - 1);
	role_on(ROLE_TEXT);
}

const struct pane_class prompt_pane = {
	.name = "prompt",
	.draw = prompt_draw,
	.key = prompt_key,
};

/* ---- / : owners by name, then files ---- */

static bool name_match(const char *name, const char *text, bool exact)
{
	if (!name)
		return false;
	return exact ? !strcasecmp(name, text) : strcasestr(name, text) != NULL;
}

/* The first segment (current disk first) with a claim whose name
 * matches; jumps there, in the current view when it shows that space. */
static bool find_owner(struct ui *u, const char *text, bool exact)
{
	size_t nd = u->m->ndisks;
	for (size_t k = 0; k < nd; k++) {
		size_t d = (u->disk + k) % nd;
		size_t nsegs;
		const struct da_claim *claims;
		const struct da_segment *segs = da_ownership_segments(u->o, d,
								      &nsegs,
								      &claims);
		for (size_t i = 0; i < nsegs; i++) {
			for (uint32_t j = 0; j < segs[i].count; j++) {
				const struct da_claim *c = &claims[segs[i].first + j];
				if (!name_match(c->name, text, exact))
					continue;
				/* stay in a layer view that holds it */
				struct view *v = view_cur(u);
				for (uint32_t q = 0; q < segs[i].count; q++) {
					const struct da_claim *s =
						&claims[segs[i].first + q];
					if (v->disk < 0 && s->space == v->dev) {
						view_set_cursor(u, v, s->owner_start);
						ui_message(u, false, "%s %s", c->kind,
							   c->name);
						return true;
					}
				}
				view_goto_space(u, da_ownership_machine_disk(u->o, d),
						segs[i].start);
				ui_message(u, false, "%s %s", c->kind, c->name);
				return true;
			}
		}
	}
	return false;
}

struct file_search {
	const char *text;
	struct da_node *node;
	int64_t off;
	char path[1024];
};

static void find_in_node(struct da_node *n, void *arg)
{
	struct file_search *s = arg;
	if (s->node)
		return;
	char path[1024] = "";
	uint64_t off;
	if (da_fs_find(n, s->text, &off, path, sizeof(path)) > 0) {
		s->node = n;
		s->off = (int64_t)off;
		snprintf(s->path, sizeof(s->path), "%s", path);
	}
}

/* An owner named exactly so, else a file whose path contains the text,
 * else an owner whose name contains it: "file" finds a file before it
 * finds a partition named "Linux filesystem". */
int search_run(struct ui *u, const char *text)
{
	if (find_owner(u, text, true))
		return 0;
	struct file_search s = { .text = text, .node = NULL, .off = -1 };
	/* the filesystem on screen first */
	struct view *v = view_cur(u);
	struct da_owner w[UI_MAX_OWNERS];
	struct da_location at[1];
	if (view_locate_all(u, v, v->cursor, at, 1) == 1) {
		int n = da_owners_at(u->o, at[0].disk, at[0].offset, w,
				     UI_MAX_OWNERS, false);
		for (int i = 0; i < n && i < UI_MAX_OWNERS; i++)
			if (w[i].node)
				find_in_node(w[i].node, &s);
	}
	if (!s.node)
		da_machine_each_node(u->m, find_in_node, &s);
	if (!s.node && find_owner(u, text, false))
		return 0;
	if (!s.node) {
		if (!index_ready(u))
			ui_message(u, true, "'%s' not found (files are still "
				   "being indexed)", text);
		else
			ui_message(u, true, "'%s': no owner or file by that "
				   "name", text);
		return -1;
	}
	if (view_goto_space(u, s.node->dev, (uint64_t)s.off) < 0) {
		ui_message(u, true, "%s: maps to no disk", s.path);
		return -1;
	}
	ui_message(u, false, "file %s", s.path[0] ? s.path : text);
	return 0;
}

/* ---- n / N ---- */

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
