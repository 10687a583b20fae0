/* The bytes: a screen of the current view's space from the cursor's block,
 * as a hex editor shows it (the offset in the view's space and on the
 * disk, hex, ASCII), with the known fields of the structures on screen
 * (fields.c: MBR, GPT, LVM label, LUKS, md, ext, FAT, NTFS, XFS, swap)
 * highlighted and named below with their values.  Reads go through the
 * engine's devices, never the image file.  Up, Down, PgUp and PgDn scroll
 * through the space, Left and Right select a field; Esc, x or q closes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "ui.h"

#define MAX_HITS 16

struct layout {
	int bpl;               /* bytes a line: 16, or 8 when narrow */
	bool disk_col;         /* a second offset column: the disk's */
	int offw;              /* hex digits of an offset */
	int lines;             /* hex lines */
	int fy, fh;            /* the field list: first row, rows */
	int fcols;             /* field list columns */
};

/* A structure on screen: where it starts in the view's space. */
struct shown {
	const struct fld_hit *h;
	int64_t vbase;
	const char *owner;
};

static int hex_digits(uint64_t v)
{
	int n = 1;
	while (v >>= 4)
		n++;
	return n;
}

static void lay_out(const struct ui *u, const struct view *v,
		    struct layout *l)
{
	uint64_t max = v->size ? v->size - 1 : 0;
	uint64_t dmax = 0;
	for (size_t d = 0; d < u->m->ndisks; d++)
		if (u->m->disks[d].dev->size > dmax)
			dmax = u->m->disks[d].dev->size;
	int dw = hex_digits(dmax ? dmax - 1 : 0);
	l->offw = hex_digits(max);
	if (l->offw < 8)
		l->offw = 8;
	if (dw < 8)
		dw = 8;
	if (dw > l->offw)
		l->offw = dw;
	bool inner = v->disk < 0;
	/* offsets, two blanks, "xx " a byte, a blank, a char a byte */
	int one = l->offw + 2, two = 2 * l->offw + 3;
	if (inner && two + 16 * 4 + 1 <= u->cols)
		l->bpl = 16, l->disk_col = true;
	else if (!inner && one + 16 * 4 + 1 <= u->cols)
		l->bpl = 16, l->disk_col = false;
	else if (inner && two + 8 * 4 + 1 <= u->cols)
		l->bpl = 8, l->disk_col = true;
	else
		l->bpl = 8, l->disk_col = false;
	int avail = u->rows - 2 - 2;          /* less the title and a rule */
	l->lines = avail * 3 / 5;
	if (l->lines < 1)
		l->lines = 1;
	l->fy = 1 + 1 + l->lines + 1;
	l->fh = u->rows - 1 - l->fy;
	if (l->fh < 0)
		l->fh = 0;
	l->fcols = u->cols >= 100 ? 2 : 1;
}

/* The structures whose bytes reach the screen, from the owners of its
 * first byte (innermost first). */
static int structures(struct ui *u, const struct view *v, uint64_t top,
		      uint64_t span, struct fld_hit *hits, struct shown *sh,
		      struct da_owner *w)
{
	struct da_location at;
	if (view_locate_all(u, v, top, &at, 1) < 1)
		return 0;
	int n = da_owners_at(u->o, at.disk, at.offset, w, UI_MAX_OWNERS, true);
	if (n > UI_MAX_OWNERS)
		n = UI_MAX_OWNERS;
	int k = 0;
	for (int i = n - 1; i >= 0 && k < MAX_HITS; i--) {
		int m = fields_find(&w[i], span, hits + k, MAX_HITS - k);
		for (int j = 0; j < m; j++) {
			int64_t vb = (int64_t)top + (int64_t)(hits[k + j].base -
							      w[i].offset);
			sh[k + j] = (struct shown){ &hits[k + j], vb, w[i].name };
		}
		k += m;
	}
	/* in the order of the bytes */
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && sh[j].vbase < sh[j - 1].vbase; j--) {
			struct shown t = sh[j];
			sh[j] = sh[j - 1];
			sh[j - 1] = t;
		}
	return k;
}

/* A field with bytes on screen, in the order of the structures. */
struct vis {
	const struct shown *sh;
	const struct fld *f;
	int64_t at;            /* its first byte in the view's space */
	bool first;            /* the first of its structure on screen */
};
#define MAX_VIS 256

static int visible(const struct ui *u, const struct layout *l,
		   const struct shown *sh, int nsh, struct vis *out)
{
	int64_t lo = (int64_t)u->hex_top;
	int64_t hi = lo + (int64_t)l->lines * l->bpl;
	int n = 0;
	for (int i = 0; i < nsh; i++) {
		const struct fld_struct *s = sh[i].h->s;
		bool first = true;
		for (int j = 0; j < s->nf && n < MAX_VIS; j++) {
			int64_t a = sh[i].vbase + s->f[j].off;
			if (a + (int64_t)s->f[j].len <= lo || a >= hi || a < 0)
				continue;
			out[n++] = (struct vis){ &sh[i], &s->f[j], a, first };
			first = false;
		}
	}
	return n;
}

/* The visible field that holds view byte off; -1. */
static int field_at(const struct vis *v, int n, int64_t off)
{
	for (int i = 0; i < n; i++)
		if (off >= v[i].at && off < v[i].at + (int64_t)v[i].f->len)
			return i;
	return -1;
}

static enum ui_role field_role(const struct ui *u, int idx)
{
	if (idx == u->hex_field)
		return ROLE_CURSOR;
	return idx % 2 ? ROLE_HEADING : ROLE_FOCUS;
}

static void hex_lines(struct ui *u, const struct view *v,
		      const struct layout *l, const struct vis *vs, int nvs)
{
	uint64_t top = u->hex_top;
	size_t want = (size_t)l->lines * (size_t)l->bpl;
	uint8_t *buf = malloc(want ? want : 1);
	if (!buf) {
		role_on(ROLE_ERROR);
		put_text(2, 0, u->cols, "out of memory");
		return;
	}
	size_t got = top < v->size ? (size_t)(v->size - top < want
					      ? v->size - top : want) : 0;
	da_error err = { 0 };
	if (got && da_device_read(v->dev, buf, got, top, &err) < 0) {
		role_on(ROLE_ERROR);
		put_text_cut(2, 0, u->cols, err.msg);
		free(buf);
		return;
	}
	for (int y = 0; y < l->lines; y++) {
		uint64_t off = top + (uint64_t)y * (uint64_t)l->bpl;
		size_t at = (size_t)y * (size_t)l->bpl;
		if (at >= got)
			break;
		char o[64];
		int x = 0;
		role_on(ROLE_DIM);
		snprintf(o, sizeof(o), "%0*" PRIx64, l->offw, off);
		put_text(2 + y, x, l->offw, o);
		x += l->offw + 1;
		if (l->disk_col) {
			size_t d;
			uint64_t doff, run;
			if (da_ownership_locate(u->o, v->dev, off, &d, &doff,
						&run) == 0)
				snprintf(o, sizeof(o), "%0*" PRIx64, l->offw,
					 doff);
			else
				snprintf(o, sizeof(o), "%*s", l->offw, "-");
			put_text(2 + y, x, l->offw, o);
			x += l->offw + 1;
		}
		x++;
		int ax = x + l->bpl * 3 + 1 + (l->bpl == 16);
		for (int i = 0; i < l->bpl; i++) {
			if (at + (size_t)i >= got)
				break;
			uint8_t c = buf[at + (size_t)i];
			int fi = field_at(vs, nvs, (int64_t)(off + (uint64_t)i));
			role_on(fi >= 0 ? field_role(u, fi) : c ? ROLE_TEXT
							   : ROLE_DIM);
			snprintf(o, sizeof(o), "%02x", c);
			put_text(2 + y, x + 3 * i + (i >= 8 && l->bpl == 16),
				 2, o);
			char a[2] = { c >= 0x20 && c < 0x7f ? (char)c : '.', 0 };
			put_text(2 + y, ax + i, 1, a);
		}
	}
	role_on(ROLE_TEXT);
	free(buf);
}

/* The fields on screen, a line each under a line naming their
 * structure, scrolled to keep the selected one in sight. */
static void field_list(struct ui *u, const struct view *v,
		       const struct layout *l, const struct vis *vs, int nvs)
{
	int room = l->fh * l->fcols, cw = u->cols / l->fcols;
	if (!nvs && l->fh > 0) {
		role_on(ROLE_DIM);
		put_text_cut(l->fy, 0, u->cols, "no known field on screen "
			     "(MBR, GPT, LVM, LUKS, md, ext, FAT, exFAT, NTFS, "
			     "XFS and swap headers are named)");
		role_on(ROLE_TEXT);
		return;
	}
	/* lines: a heading before each structure's first field */
	int nlines = 0, sel_line = 0;
	for (int i = 0; i < nvs; i++) {
		nlines += vs[i].first ? 2 : 1;
		if (i == u->hex_field)
			sel_line = nlines - 1;
	}
	int skip = sel_line >= room ? sel_line - room + 1 : 0;
	int line = 0, slot = 0;
	for (int i = 0; i < nvs && slot < room; i++) {
		for (int part = vs[i].first ? 0 : 1; part < 2 && slot < room;
		     part++, line++) {
			if (line < skip)
				continue;
			int y = l->fy + slot % l->fh, x = slot / l->fh * cw;
			slot++;
			char text[256], val[160];
			if (part == 0) {
				const struct fld_hit *h = vs[i].sh->h;
				char num[16] = "";
				if (h->number)
					snprintf(num, sizeof(num), " %d",
						 h->number);
				snprintf(text, sizeof(text), "%s%s at 0x%" PRIx64
					 " (%s +%" PRIu64 ")", h->s->name, num,
					 (uint64_t)vs[i].sh->vbase,
					 vs[i].sh->owner, h->base);
				role_on(ROLE_TEXT);
				attron(A_BOLD);
				put_text_cut(y, x, cw - 1, text);
				attroff(A_BOLD);
				continue;
			}
			const struct fld *f = vs[i].f;
			uint8_t b[128];
			da_error e = { 0 };
			uint32_t n = f->len < sizeof(b) ? f->len : sizeof(b);
			if ((uint64_t)vs[i].at + n <= v->size &&
			    da_device_read(v->dev, b, n, (uint64_t)vs[i].at,
					   &e) == 0)
				fields_value(f, b, val, sizeof(val));
			else
				snprintf(val, sizeof(val), "(unreadable)");
			role_on(field_role(u, i));
			snprintf(text, sizeof(text), " +%03x", f->off);
			put_text(y, x, 5, text);
			role_on(ROLE_TEXT);
			snprintf(text, sizeof(text), " %s = %s", f->name, val);
			put_text_cut(y, x + 5, cw - 6, text);
		}
	}
	if (nlines - skip > room && l->fh > 0) {
		char more[48];
		snprintf(more, sizeof(more), " %d more (Right) ",
			 nlines - skip - room);
		role_on(ROLE_DIM);
		put_text(l->fy + l->fh - 1, u->cols - (int)strlen(more),
			 (int)strlen(more), more);
	}
	role_on(ROLE_TEXT);
}

static void hex_draw(struct ui *u)
{
	struct view *v = view_cur(u);
	if (v->dev != u->hex_dev) {   /* the view changed under us */
		u->hex = false;
		return;
	}
	struct layout l;
	lay_out(u, v, &l);
	struct fld_hit hits[MAX_HITS];
	struct shown sh[MAX_HITS];
	struct da_owner w[UI_MAX_OWNERS];
	int nsh = structures(u, v, u->hex_top,
			     (uint64_t)l.lines * (uint64_t)l.bpl, hits, sh, w);
	struct vis *vs = malloc(MAX_VIS * sizeof(*vs));
	int nvs = vs ? visible(u, &l, sh, nsh, vs) : 0;
	if (u->hex_field >= nvs)
		u->hex_field = nvs - 1;
	/* the title: whose bytes, where */
	char t[512];
	int k = snprintf(t, sizeof(t), "bytes of %s at 0x%" PRIx64, v->name,
			 u->hex_top);
	if (l.disk_col)
		k += snprintf(t + k, sizeof(t) - (size_t)k, "  (columns: %s, "
			      "disk)", v->name);
	for (int i = 0; i < nsh && k < 400; i++)
		if (i == 0 || sh[i].h->s != sh[i - 1].h->s)
			k += snprintf(t + k, sizeof(t) - (size_t)k, "%s%s",
				      i ? ", " : "  | ", sh[i].h->s->name);
	role_on(ROLE_HEADING);
	fill_line(1, 0, u->cols);
	put_text_cut(1, 0, u->cols, t);
	hex_lines(u, v, &l, vs, nvs);
	role_on(ROLE_FRAME);
	move(l.fy - 1, 0);
	for (int x = 0; x < u->cols; x++)
		addstr(draw_hrule());
	role_on(ROLE_TEXT);
	field_list(u, v, &l, vs, nvs);
	free(vs);
}

static int hex_key(struct ui *u, int ch, bool code)
{
	struct view *v = view_cur(u);
	struct layout l;
	lay_out(u, v, &l);
	uint64_t line = (uint64_t)l.bpl;
	uint64_t page = (uint64_t)(l.lines > 1 ? l.lines - 1 : 1) * line;
	uint64_t last = v->size > line ? (v->size - 1) / line * line : 0;
	uint64_t top = u->hex_top;
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		top = top >= line ? top - line : 0;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		top = top + line <= last ? top + line : last;
	else if (code && ch == KEY_PPAGE)
		top = top >= page ? top - page : 0;
	else if (code && ch == KEY_NPAGE)
		top = top + page <= last ? top + page : last;
	else if ((code && ch == KEY_RIGHT) || (!code && ch == 'l'))
		u->hex_field++;
	else if ((code && ch == KEY_LEFT) || (!code && ch == 'h'))
		u->hex_field = u->hex_field > 0 ? u->hex_field - 1 : 0;
	else if (code && ch == KEY_HOME)
		top = 0;
	else if (code && ch == KEY_END)
		top = last > page ? last - page + line : 0;
	else if (!code && (ch == 27 || ch == 'x' || ch == 'q' || ch == 'Q')) {
		u->hex = false;
		return PANE_HANDLED | PANE_REDRAW;
	} else {
		return PANE_HANDLED;
	}
	u->hex_top = top / line * line;
	return PANE_HANDLED | PANE_REDRAW;
}

static int hex_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)u;
	(void)y;
	(void)x;
	(void)buttons;
	return PANE_HANDLED;
}

/* From the cursor's block; when a known structure starts inside that
 * block (ext's superblock in block 0 of a 4 KiB-block ext4), from it. */
void hex_open(struct ui *u)
{
	struct view *v = view_cur(u);
	uint64_t blk = v->min_cell ? v->cursor / v->min_cell * v->min_cell
				   : v->cursor;
	u->hex = true;
	u->hex_dev = v->dev;
	u->hex_top = blk / 16 * 16;
	u->hex_field = 0;
	struct fld_hit hits[MAX_HITS];
	struct shown sh[MAX_HITS];
	struct da_owner w[UI_MAX_OWNERS];
	int n = structures(u, v, blk, v->min_cell, hits, sh, w);
	for (int i = 0; i < n; i++) {
		if (sh[i].vbase >= (int64_t)blk &&
		    sh[i].vbase < (int64_t)(blk + v->min_cell)) {
			u->hex_top = (uint64_t)sh[i].vbase / 16 * 16;
			break;
		}
	}
	/* an MBR's fields begin after 440 bytes of boot code: start where
	 * the first one is on screen */
	struct layout l;
	lay_out(u, v, &l);
	uint64_t span = (uint64_t)l.lines * (uint64_t)l.bpl;
	for (int i = 0; i < n; i++) {
		int64_t a = sh[i].vbase + sh[i].h->s->f[0].off;
		if (sh[i].vbase > (int64_t)u->hex_top ||
		    sh[i].vbase + (int64_t)sh[i].h->s->size <= (int64_t)u->hex_top)
			continue;
		if (a >= (int64_t)(u->hex_top + span))
			u->hex_top = (uint64_t)a / 16 * 16;
		break;
	}
}

const struct pane_class hex_pane = {
	.name = "hex",
	.draw = hex_draw,
	.key = hex_key,
	.mouse = hex_mouse,
};
