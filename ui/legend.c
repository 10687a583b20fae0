/* The legend: an entry for each owner colour on screen (with the owner's
 * name and its size: the bytes of its owner's space it is the innermost
 * owner of, each counted once however many copies the disks hold, so
 * that a mirrored filesystem is its own size, not twice it), then
 * one for each structure family on screen (headers, tables, bitmaps...),
 * what the fullness glyphs mean, never written, no owner and conflict.
 * Entries flow along the lines, never over each other: when they do not
 * all fit, the sizes go first, then the last entries give way to a count
 * of what is not shown.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define MAX_ENTRIES 96
#define GAP 2

enum kind { E_TITLE, E_OWNER, E_FAMILY, E_FULLNESS, E_HOLE, E_NONE, E_CONFLICT,
	    E_PENDING };

struct entry {
	enum kind kind;
	int region;                /* an owner's region */
	int fam;                   /* a family */
	char text[128];
	char size[32];
	char brief[64];            /* the text when room is short */
};

/* Regions the legend names: owners, not the stack's structures (their
 * family entry names them). */
static bool is_owner(const struct da_region_info *r)
{
	if (!r->role)
		return true;
	return r->family == DA_FAM_DATA || r->family == DA_FAM_OPAQUE;
}

static int owner_entries(struct ui *u, struct entry *out, int max,
			 bool all)
{
	size_t nreg;
	const struct da_region_info *r = da_ownership_regions(u->o, &nreg);
	int n = 0;
	for (size_t i = 0; i < nreg && n < max; i++) {
		if (!all && (i >= u->nregions || !u->on_screen ||
			     !u->on_screen[i]))
			continue;
		if (!is_owner(&r[i]))
			continue;
		struct entry *e = &out[n++];
		e->kind = E_OWNER;
		e->region = (int)i;
		e->fam = -1;
		da_human_size(r[i].own_bytes, e->size, sizeof(e->size));
		/* two filesystems without labels both go by their type:
		 * say which device each is on */
		bool fs = r[i].node && (!strcmp(r[i].kind, "filesystem") ||
					!strcmp(r[i].kind, "swap"));
		snprintf(e->brief, sizeof(e->brief), "%s", r[i].name);
		snprintf(e->text, sizeof(e->text), "%s%s%s%s%s",
			 r[i].name, r[i].role ? " " : "",
			 r[i].role ? r[i].role : "", fs ? " on " : "",
			 fs && r[i].node->dev ? r[i].node->dev->name : "");
	}
	return n;
}

static int simple(struct entry *e, enum kind k, int fam, const char *text)
{
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->region = -1;
	e->fam = fam;
	snprintf(e->text, sizeof(e->text), "%s", text);
	return 1;
}

/* Room is short: owners by their bare names. */
static void brief(struct entry *e, int n)
{
	for (int i = 0; i < n; i++)
		if (e[i].brief[0])
			snprintf(e[i].text, sizeof(e[i].text), "%s", e[i].brief);
}

static int entries(struct ui *u, struct entry *out, int max)
{
	int n = simple(&out[0], E_TITLE, -1, "legend:");
	n += simple(&out[n], E_FULLNESS, -1, !u->colors
		    ? "A-Z owner: UPPER used, lower free"
		    : "used/mostly/partly");
	snprintf(out[n - 1].brief, sizeof(out[n - 1].brief), "%s",
		 u->colors ? "full" : "A-Z owner");
	n += owner_entries(u, out + n, max - n, false);
	for (int f = 0; f < FAM_COUNT && n < max; f++)
		if (u->fam_on_screen[f] && (u->colors || f != DA_FAM_FREE))
			n += simple(&out[n], E_FAMILY, f, family_label(f));
	/* without colours a never-written cell is its owner's lower case */
	if (u->holes_on_screen && u->colors && n < max)
		n += simple(&out[n], E_HOLE, -1, "never written");
	if (u->none_on_screen && n < max)
		n += simple(&out[n], E_NONE, -1, "no owner");
	if (u->conflicts_on_screen && n < max)
		n += simple(&out[n], E_CONFLICT, -1, "conflict");
	if (u->pending_on_screen && n < max)
		n += simple(&out[n], E_PENDING, -1, "not read yet");
	return n;
}

/* Columns of the swatch: three glyphs for the fullness key. */
static int swatch_w(const struct entry *e, bool colors)
{
	if (e->kind == E_TITLE)
		return -2;             /* "legend:" and one space, not two */
	if (e->kind == E_FULLNESS && !colors)
		return -1;             /* no swatch, no space after it */
	return e->kind == E_FULLNESS ? 3 : 1;
}

static int text_cols(const char *s)
{
	int c = 0;
	for (; *s; s++)
		c += ((unsigned char)*s & 0xC0) != 0x80;
	return c;
}

static int entry_w(const struct entry *e, bool sizes, bool colors)
{
	int w = swatch_w(e, colors) + 1 + text_cols(e->text);
	if (sizes && e->size[0])
		w += 1 + text_cols(e->size);
	return w;
}

/* Lay entries out on rows of width w, greedily; returns how many fit
 * on the rows.  When not all do, the last ones give way until the count
 * of the rest ("+N more") fits after them: *more_row, *more_col. */
struct place {
	int row, col;
};
static int flow(const struct entry *e, int n, int w, int rows, bool sizes,
		bool colors, struct place *p, int *more_row, int *more_col)
{
	int row = 0, col = 0;
	for (int i = 0; i < n; i++) {
		int ew = entry_w(&e[i], sizes, colors);
		if (ew > w)
			ew = w;
		if (col > 0 && col + ew > w) {
			row++;
			col = 0;
		}
		p[i].row = row;
		p[i].col = col;
		col += ew + GAP;
	}
	int fit = 0;
	while (fit < n && p[fit].row < rows)
		fit++;
	if (fit == n)
		return n;
	for (; fit >= 0; fit--) {
		char more[32];
		int m = snprintf(more, sizeof(more), "+%d more", n - fit);
		if (fit == 0) {
			*more_row = 0;
			*more_col = 0;
			return 0;
		}
		int ew = entry_w(&e[fit - 1], sizes, colors);
		int end = p[fit - 1].col + (ew > w ? w : ew);
		if (end + GAP + m <= w) {
			*more_row = p[fit - 1].row;
			*more_col = end + GAP;
			return fit;
		}
		if (p[fit - 1].row + 1 < rows) {
			*more_row = p[fit - 1].row + 1;
			*more_col = 0;
			return fit;
		}
	}
	return 0;
}

static void swatch(struct ui *u, const struct entry *e, int y, int x)
{
	cchar_t cc;
	role_on(ROLE_TEXT);            /* no attribute of the text before */
	switch (e->kind) {
	case E_TITLE:
		return;
	case E_OWNER:
		cell_glyph(e->region, FILL_FULL, false, false, &cc);
		break;
	case E_FAMILY:
		cell_glyph_fam(-1, FILL_META, e->fam, false, false, &cc);
		break;
	case E_FULLNESS:
		if (!u->colors)
			return;
		for (int k = 0; k < 3; k++) {
			static const enum fill fl[3] = { FILL_FULL, FILL_MOSTLY,
							 FILL_PARTLY };
			cell_glyph(-1, fl[k], false, false, &cc);
			mvadd_wch(y, x + k, &cc);
		}
		return;
	case E_HOLE:
		if (!u->colors) {
			role_on(ROLE_DIM);
			mvaddstr(y, x, " ");
			return;
		}
		cell_glyph(-1, FILL_HOLE, false, false, &cc);
		break;
	case E_NONE:
		cell_glyph(-1, FILL_FULL, false, false, &cc);
		break;
	case E_CONFLICT:
		cell_glyph(0, FILL_FULL, true, false, &cc);
		break;
	case E_PENDING:
		cell_glyph(-1, FILL_PENDING, false, false, &cc);
		break;
	}
	mvadd_wch(y, x, &cc);
}

static void legend_draw(struct ui *u)
{
	struct rect *r = &u->legend;
	if (r->h <= 0 || r->w <= 0)
		return;
	struct entry *e = malloc(MAX_ENTRIES * sizeof(*e));
	struct place *p = malloc(MAX_ENTRIES * sizeof(*p));
	if (!e || !p) {
		free(e);
		free(p);
		return;
	}
	int n = entries(u, e, MAX_ENTRIES);
	bool sizes = true;
	int mr = 0, mc = 0;
	int fit = flow(e, n, r->w, r->h, true, u->colors, p, &mr, &mc);
	if (fit < n) {
		sizes = false;
		fit = flow(e, n, r->w, r->h, false, u->colors, p, &mr, &mc);
	}
	if (fit < n) {
		brief(e, n);
		fit = flow(e, n, r->w, r->h, false, u->colors, p, &mr, &mc);
	}
	for (int i = 0; i < fit; i++) {
		int y = r->y + p[i].row, x = r->x + p[i].col;
		int ew = entry_w(&e[i], sizes, u->colors);
		if (ew > r->w)
			ew = r->w;
		if (e[i].kind == E_TITLE) {
			role_on(ROLE_DIM);
			put_text(y, x, r->w, e[i].text);
			continue;
		}
		swatch(u, &e[i], y, x);
		int sw = swatch_w(&e[i], u->colors) + 1;
		int zw = sizes && e[i].size[0] ? text_cols(e[i].size) + 1 : 0;
		role_on(e[i].kind == E_TITLE ? ROLE_DIM : ROLE_TEXT);
		put_text_cut(y, x + sw, ew - sw - zw, e[i].text);
		if (zw) {
			role_on(ROLE_DIM);
			put_text(y, x + ew - zw + 1, zw - 1, e[i].size);
		}
	}
	if (fit < n) {
		char more[32];
		snprintf(more, sizeof(more), "+%d more", n - fit);
		role_on(ROLE_DIM);
		put_text(r->y + mr, r->x + mc, r->w - mc, more);
	}
	role_on(ROLE_TEXT);
	free(e);
	free(p);
}

/* Lines the legend wants at width w: every owner there is (so that the
 * layout does not jump as the map scrolls), and room for the families. */
int legend_lines(struct ui *u, int w)
{
	if (w <= 0)
		return 1;
	struct entry *e = malloc(MAX_ENTRIES * sizeof(*e));
	if (!e)
		return 2;
	int n = owner_entries(u, e, MAX_ENTRIES, true);
	int total = 0;
	for (int i = 0; i < n; i++)
		total += entry_w(&e[i], true, u->colors) + GAP;
	free(e);
	/* the heading, the fullness key and a few families, as they
	 * usually come */
	total += 100;
	int lines = 1, col = 0;
	for (int left = total; left > 0;) {
		int take = left < w - col ? left : w - col;
		left -= take;
		col += take;
		if (left > 0) {
			lines++;
			col = 0;
		}
	}
	return lines;
}

const struct pane_class legend_pane = {
	.name = "legend",
	.draw = legend_draw,
};
