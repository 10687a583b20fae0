/* The legend: one entry per colour on screen, with the owner's name and
 * how many bytes of the disks it is the innermost owner of.  Entries flow
 * in columns under the map.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define ENTRY_MIN 34            /* room for "sample/p4 unallocated 28 MiB" */
#define ENTRY_MAX 48

struct entry {
	int region;                /* -1 no owner, -5 conflict */
	char text[128];
	char size[32];
};

static int entries(struct ui *u, struct entry *out, int max)
{
	size_t nreg;
	const struct da_region_info *r = da_ownership_regions(u->o, &nreg);
	int n = 0;
	for (size_t i = 0; i < nreg && i < u->nregions && n < max; i++) {
		if (!u->on_screen || !u->on_screen[i])
			continue;
		out[n].region = (int)i;
		da_human_size(r[i].bytes, out[n].size, sizeof(out[n].size));
		/* two filesystems without labels both go by their type:
		 * say which device each is on */
		bool fs = r[i].node && (!strcmp(r[i].kind, "filesystem") ||
					!strcmp(r[i].kind, "swap"));
		snprintf(out[n].text, sizeof(out[n].text), "%s%s%s%s%s",
			 r[i].name, r[i].role ? " " : "",
			 r[i].role ? r[i].role : "", fs ? " on " : "",
			 fs && r[i].node->dev ? r[i].node->dev->name : "");
		n++;
	}
	if (u->none_on_screen && n < max) {
		out[n].region = -1;
		snprintf(out[n].text, sizeof(out[n].text), "no owner");
		out[n].size[0] = '\0';
		n++;
	}
	if (u->conflicts_on_screen && n < max) {
		out[n].region = -5;
		snprintf(out[n].text, sizeof(out[n].text), "conflict");
		out[n].size[0] = '\0';
		n++;
	}
	return n;
}

static int entry_width(int width)
{
	int cols = width / ENTRY_MIN;
	if (cols < 1)
		cols = 1;
	int w = width / cols;
	return w > ENTRY_MAX ? ENTRY_MAX : w;
}

static void legend_draw(struct ui *u)
{
	struct rect *r = &u->legend;
	if (r->h <= 0)
		return;
	struct entry e[64];
	int n = entries(u, e, 64);
	int ew = entry_width(r->w);
	int cols = r->w / ew;
	if (cols < 1)
		cols = 1;
	/* the glyph key first, what the glyphs mean, when there is room */
	bool key = r->h >= 2;
	int rows = r->h - key;
	role_on(ROLE_DIM);
	if (!key)
		;
	else if (u->colors && u->unicode)
		put_text(r->y, r->x, r->w, u->half
			 ? "legend (half blocks: two cell rows a line)"
			 : "legend: \u2588 used  \u2593 mostly  \u2592 partly  "
			   "\u2591 free  \u259a metadata  \u00b7 never written");
	else if (u->colors)
		put_text(r->y, r->x, r->w, "legend: # used  % mostly  + partly"
			 "  - free  = metadata  . never written");
	else
		put_text(r->y, r->x, r->w, "legend: A-Z owner: UPPER used,"
			 " lower free; . no owner; ! conflict");
	role_on(ROLE_TEXT);
	int shown = 0;
	int y0 = r->y + key;
	for (int i = 0; i < n; i++) {
		int row = i / cols, col = i % cols;
		if (row >= rows)
			break;
		int y = y0 + row, x = r->x + col * ew;
		cchar_t cc;
		if (e[i].region == -5)
			cell_glyph(0, FILL_FULL, true, false, &cc);
		else
			cell_glyph(e[i].region, FILL_FULL, false, false, &cc);
		mvadd_wch(y, x, &cc);
		role_on(ROLE_TEXT);
		/* the size stays whole; the name gives way */
		int sw = (int)strlen(e[i].size);
		int tw = ew - 3 - (sw ? sw + 1 : 0);
		/* the name in its columns, cut with an ellipsis rather than
		 * silently */
		put_text_cut(y, x + 2, tw > 4 ? tw : 4, e[i].text);
		if (sw && tw > 4) {
			role_on(ROLE_DIM);
			put_text(y, x + 2 + tw + 1, sw, e[i].size);
		}
		shown++;
	}
	if (shown < n) {
		char more[32];
		snprintf(more, sizeof(more), "+%d more", n - shown);
		role_on(ROLE_DIM);
		mvaddstr(r->y + r->h - 1, r->x + r->w - (int)strlen(more), more);
		role_on(ROLE_TEXT);
	}
}

const struct pane_class legend_pane = {
	.name = "legend",
	.draw = legend_draw,
};
