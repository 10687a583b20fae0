/* The match list (M): every match of the last search, one a line with
 * its size, extents, filesystem and the space it lies on; Enter (or a
 * click) goes to one.  A modal pane over the body while open.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "ui.h"
#include "search.h"

void search_list_show(struct ui *u)
{
	struct search *s = u->search;
	if (!s || !s->n) {
		ui_message(u, false, "no matches to list: / searches");
		return;
	}
	s->list = true;
	s->sel = s->cur >= 0 ? s->cur : 0;
}

static void list_draw(struct ui *u)
{
	struct search *s = u->search;
	int y0 = 1, h = u->rows - 2, w = u->cols;
	if (!s || h < 3)
		return;
	for (int y = 0; y < h; y++) {
		role_on(ROLE_TEXT);
		fill_line(y0 + y, 0, w);
	}
	char line[512];
	snprintf(line, sizeof(line), " %zu match%s for '%s'%s  (Enter go, "
		 "Esc close, arrows move)", s->total, s->total == 1 ? "" : "es",
		 s->pattern, s->n < s->total ? ", first ones" : "");
	role_on(ROLE_HEADING);
	put_text_cut(y0, 0, w, line);
	/* columns: name, size, extents, filesystem, layer */
	int layer_w = w >= 100 ? 18 : w >= 70 ? 14 : 0;
	int fs_w = w >= 80 ? 18 : w >= 60 ? 12 : 0;
	int name_w = w - 2 - 10 - 6 - (fs_w ? fs_w + 1 : 0) -
		     (layer_w ? layer_w + 1 : 0);
	if (name_w < 8)
		name_w = 8;
	int x_size = 2 + name_w, x_ext = x_size + 10, x_fs = x_ext + 6;
	int x_layer = x_fs + (fs_w ? fs_w + 1 : 0);
	role_on(ROLE_DIM);
	put_text(y0 + 1, 2, name_w, "path or owner");
	put_text(y0 + 1, x_size + 5, 4, "size");
	put_text(y0 + 1, x_ext + 2, 3, "ext");
	if (fs_w)
		put_text(y0 + 1, x_fs + 1, fs_w, "filesystem");
	if (layer_w)
		put_text(y0 + 1, x_layer + 1, layer_w, "layer");
	int rows = h - 2;
	long n = (long)s->n;
	if (s->sel < 0)
		s->sel = 0;
	if (s->sel >= n)
		s->sel = n - 1;
	if (s->sel < s->top)
		s->top = s->sel;
	if (s->sel >= s->top + rows)
		s->top = s->sel - rows + 1;
	for (int r = 0; r < rows; r++) {
		long i = s->top + r;
		if (i >= n)
			break;
		const struct match *m = &s->m[i];
		int y = y0 + 2 + r;
		role_on(i == s->sel ? ROLE_CURSOR : ROLE_TEXT);
		fill_line(y, 0, w);
		put_text(y, 0, 1, i == s->sel ? ">" : " ");
		/* a long path keeps its end, where the name is */
		const char *name = m->name;
		size_t nl = strlen(name);
		if ((int)nl > name_w) {
			size_t k = nl - (size_t)(name_w - 3);
			while (k < nl && ((unsigned char)name[k] & 0xc0) == 0x80)
				k++;
			snprintf(line, sizeof(line), "...%s", name + k);
			name = line;
		}
		put_text(y, 2, name_w, name);
		char hs[32], ext[16];
		da_human_size(m->size, hs, sizeof(hs));
		put_text(y, x_size + 9 - (int)strlen(hs), 10, hs);
		snprintf(ext, sizeof(ext), "%5u", m->extents);
		put_text(y, x_ext, 6, ext);
		if (fs_w)
			put_text_cut(y, x_fs + 1, fs_w, m->where);
		if (layer_w)
			put_text_cut(y, x_layer + 1, layer_w, m->layer);
	}
	role_on(ROLE_TEXT);
}

static int list_key(struct ui *u, int ch, bool code)
{
	struct search *s = u->search;
	if (!s || !s->list)
		return PANE_PASS;
	int page = u->rows > 6 ? u->rows - 5 : 1;
	if (code) {
		switch (ch) {
		case KEY_UP: s->sel--; break;
		case KEY_DOWN: s->sel++; break;
		case KEY_PPAGE: s->sel -= page; break;
		case KEY_NPAGE: s->sel += page; break;
		case KEY_HOME: s->sel = 0; break;
		case KEY_END: s->sel = (long)s->n - 1; break;
		case KEY_ENTER: goto go;
		case KEY_MOUSE: case KEY_RESIZE: return PANE_HANDLED;
		default: return PANE_HANDLED;
		}
	} else {
		switch (ch) {
		case 'k': s->sel--; break;
		case 'j': s->sel++; break;
		case '\n': case '\r': goto go;
		case 27: case 'q': case 'M':
			s->list = false;
			break;
		default: return PANE_HANDLED;
		}
	}
	if (s->sel < 0)
		s->sel = 0;
	if (s->sel >= (long)s->n)
		s->sel = (long)s->n - 1;
	return PANE_HANDLED | PANE_REDRAW;
go:
	s->list = false;
	search_choose(u, s->sel);
	return PANE_HANDLED | PANE_REDRAW;
}

static int list_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)x;
	(void)buttons;
	struct search *s = u->search;
	if (!s || !s->list)
		return PANE_PASS;
	long i = s->top + (y - 3);
	if (y >= 3 && i >= 0 && i < (long)s->n) {
		s->sel = i;
		s->list = false;
		search_choose(u, i);
	}
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_class search_pane = {
	.name = "matches",
	.draw = list_draw,
	.key = list_key,
	.mouse = list_mouse,
};
