/* The screen: where each pane goes, drawing every pane, and handing keys
 * and mouse events to the panes (pane.h).  This is the only dispatch: a
 * pane never calls another pane's handlers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

void ui_layout(struct ui *u)
{
	/* a view showing all of its space keeps doing so after a resize */
	bool *fit = calloc(u->m->ndisks * UI_MAX_DEPTH, sizeof(bool));
	for (size_t d = 0; fit && d < u->m->ndisks; d++)
		for (int i = 0; i < u->depths[d]; i++)
			fit[d * UI_MAX_DEPTH + (size_t)i] = u->stacks[d][i].min_cell &&
				u->stacks[d][i].cell >= view_fit_cell(u, &u->stacks[d][i]);
	u->rows = LINES;
	u->cols = COLS;
	u->too_small = u->cols < UI_MIN_COLS || u->rows < UI_MIN_ROWS;
	if (u->too_small) {
		free(fit);
		return;
	}
	int body = u->rows - 2;
	u->title = (struct rect){ 0, 0, 1, u->cols };
	u->status = (struct rect){ u->rows - 1, 0, 1, u->cols };
	struct rect area;
	u->side_below = u->cols < UI_WIDE_COLS;
	if (!u->side_below) {
		int sw = UI_SIDE_COLS + 1;
		u->side = (struct rect){ 1, u->cols - sw, body, sw };
		area = (struct rect){ 1, 0, body, u->cols - sw - 1 };
	} else {
		int sh = body / 3 < 6 ? 6 : body / 3;
		if (u->line_mode)
			sh = u->nside + 1;    /* printed, not scrolled */
		if (sh > body - 3)
			sh = body - 3;
		u->side = (struct rect){ 1 + body - sh, 0, sh, u->cols };
		area = (struct rect){ 1, 0, body - sh, u->cols };
	}
	/* the legend: sized for every region there is, so the layout does
	 * not jump as the map scrolls; at most a third of the area */
	int lh = legend_lines(u, area.w);
	int cap = area.h / 3 > 2 ? area.h / 3 : 2;
	if (lh > cap)
		lh = cap;
	if (area.h - lh < 2)
		lh = area.h - 2 > 0 ? area.h - 2 : 0;
	u->legend = (struct rect){ area.y + area.h - lh, area.x, lh, area.w };
	u->map = (struct rect){ area.y, area.x, area.h - lh, area.w };
	u->map_cols = u->map.w > 0 ? u->map.w : 1;
	u->map_rows = (u->map.h > 0 ? u->map.h : 1) * (u->half ? 2 : 1);
	for (size_t d = 0; d < u->m->ndisks; d++) {
		for (int i = 0; i < u->depths[d]; i++) {
			struct view *v = &u->stacks[d][i];
			if (fit && fit[d * UI_MAX_DEPTH + (size_t)i])
				v->cell = view_fit_cell(u, v);
			view_clamp(u, v);
		}
	}
	free(fit);
}

/* ---- drawing ---- */

static void too_small_draw(struct ui *u)
{
	/* the longest wording that fits whole: the size needed is what
	 * matters, so it is never cut off (a single '!' below 5 columns) */
	char forms[4][48];
	snprintf(forms[0], sizeof(forms[0]), "terminal too small (need %dx%d)",
		 UI_MIN_COLS, UI_MIN_ROWS);
	snprintf(forms[1], sizeof(forms[1]), "too small: %dx%d", UI_MIN_COLS,
		 UI_MIN_ROWS);
	snprintf(forms[2], sizeof(forms[2]), "%dx%d", UI_MIN_COLS, UI_MIN_ROWS);
	snprintf(forms[3], sizeof(forms[3]), "!");
	int i = 0;
	while (i < 3 && (int)strlen(forms[i]) > u->cols)
		i++;
	role_on(ROLE_TEXT);
	put_text(0, 0, u->cols, forms[i]);
	curs_set(0);
}

void ui_draw(struct ui *u)
{
	erase();
	if (u->too_small) {
		too_small_draw(u);
		refresh();
		return;
	}
	/* the help screen covers the body; the prompt takes the status line */
	static const struct pane_class *const body[] = {
		&map_pane, &legend_pane, &side_pane,
	};
	/* never-written bytes are drawn once every disk's hole map is
	 * known: a frame learns a bounded step of it (the explorer's idle
	 * ticks learn the rest, then redraw); a printed screen waits */
	if (u->show_holes)
		while (!holes_step(u) && u->line_mode)
			;
	title_pane.draw(u);
	if (u->help)
		help_pane.draw(u);
	else if (u->tree)
		tree_pane.draw(u);
	else if (u->hex)
		hex_pane.draw(u);
	else if (search_list_open(u))
		search_pane.draw(u);
	else
		for (size_t i = 0; i < sizeof(body) / sizeof(body[0]); i++)
			body[i]->draw(u);
	if (!u->prompt)
		curs_set(0);
	(u->prompt ? &prompt_pane : &status_pane)->draw(u);
	refresh();
}

/* ---- input ---- */

static int finish(struct ui *u, int r)
{
	if (r & PANE_LAYOUT)
		ui_layout(u);
	if (r & PANE_QUIT)
		u->quit = true;
	return r;
}

/* The wheel scrolls the pane it turns over (the side pane, the help) and
 * zooms the map; a click goes to the pane under it (the help screen,
 * while open, takes every click). */
static int on_mouse(struct ui *u)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return PANE_HANDLED;
	/* the tree and the bytes: the wheel scrolls, a click selects */
	const struct pane_class *modal = u->tree ? &tree_pane
		: u->hex ? &hex_pane : NULL;
	if (modal && (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)))
		return modal->key(u, ev.bstate & BUTTON4_PRESSED ? KEY_UP
				  : KEY_DOWN, true);
	if (modal && (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return modal->mouse(u, ev.y, ev.x, ev.bstate);
	if (modal)
		return PANE_HANDLED;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		bool up = ev.bstate & BUTTON4_PRESSED;
		if (u->help)
			return help_pane.key(u, up ? KEY_UP : KEY_DOWN, true);
		if (search_list_open(u))
			return search_pane.key(u, up ? KEY_UP : KEY_DOWN, true);
		if (rect_has(&u->side, ev.y, ev.x)) {
			/* three lines a notch, as terminals scroll */
			int r = 0;
			for (int k = 0; k < 3; k++)
				r |= side_pane.key(u, up ? KEY_UP : KEY_DOWN,
						   true);
			return r;
		}
		return map_pane.key(u, up ? '+' : '-', false);
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return PANE_HANDLED;
	if (u->help)
		return help_pane.mouse(u, ev.y, ev.x, ev.bstate);
	if (search_list_open(u))
		return search_pane.mouse(u, ev.y, ev.x, ev.bstate);
	static const struct pane_class *const hit[] = { &map_pane, &side_pane };
	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++) {
		const struct pane_class *p = hit[i];
		if (!p->mouse || !p->area || !rect_has(p->area(u), ev.y, ev.x))
			continue;
		int r = p->mouse(u, ev.y, ev.x, ev.bstate);
		if (r & PANE_HANDLED)
			return r;
	}
	return PANE_HANDLED;
}

int ui_key(struct ui *u, int ch, bool code)
{
	if (code && ch == KEY_RESIZE) {
		ui_layout(u);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (u->too_small)
		return finish(u, (!code && (ch == 'q' || ch == 'Q')) ||
			      (code && ch == KEY_F(10))
			      ? PANE_HANDLED | PANE_QUIT : PANE_REDRAW);
	/* modal: the prompt takes every key, the help every key but the
	 * mouse's */
	if (u->prompt)
		return finish(u, prompt_pane.key(u, ch, code) | PANE_REDRAW);
	if (code && ch == KEY_MOUSE)
		return finish(u, on_mouse(u) | PANE_REDRAW);
	if (u->help)
		return finish(u, help_pane.key(u, ch, code) | PANE_REDRAW);
	if (u->tree)
		return finish(u, tree_pane.key(u, ch, code) | PANE_REDRAW);
	if (u->hex)
		return finish(u, hex_pane.key(u, ch, code) | PANE_REDRAW);
	if (search_list_open(u))
		return finish(u, search_pane.key(u, ch, code) | PANE_REDRAW);
	/* a key clears the last message; the focused pane first, then the
	 * map's keys, then the keys of the whole explorer (the title bar's) */
	u->msg[0] = '\0';
	const struct pane_class *chain[3];
	int n = 0;
	if (u->focus == FOCUS_SIDE)
		chain[n++] = &side_pane;
	chain[n++] = &map_pane;
	chain[n++] = &title_pane;
	for (int i = 0; i < n; i++) {
		int r = chain[i]->key(u, ch, code);
		if (r & PANE_HANDLED)
			return finish(u, r | PANE_REDRAW);
	}
	return PANE_REDRAW;
}
