/* The map pane: one summary a cell, computed only when the view, zoom,
 * scroll or layout change (a cursor move is just a redraw), and drawn from
 * that cache.  A frame costs cols x rows summaries, each O(log n) in the
 * number of segments: the same on a 1 GiB and a 2 TiB disk.  Its keys move
 * the cursor, zoom, go into and out of owners, and start g, /, n/N
 * (matches), e/E (extents) and M (the match list); a click moves the
 * cursor.  The chosen match's cells are drawn highlighted (search.c says
 * which: one binary search a cell).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"

/* Rows of cells the cache holds: twice the lines in half-block mode. */
static bool cache_ok(const struct ui *u, const struct view *v)
{
	return u->cache.valid && u->cache.dev == v->dev &&
	       u->cache.cell == v->cell && u->cache.top == v->top &&
	       u->cache.size == v->size && u->cache.cols == u->map_cols &&
	       u->cache.rows == u->map_rows;
}

void map_compute(struct ui *u)
{
	struct view *v = view_cur(u);
	if (cache_ok(u, v))
		return;
	size_t need = (size_t)u->map_cols * (size_t)u->map_rows;
	if (need > u->capcells) {
		struct da_cell *c = realloc(u->cells, need * sizeof(*c));
		if (!c) {
			ui_message(u, true, "out of memory for the map");
			return;
		}
		u->cells = c;
		u->capcells = need;
	}
	if (need > u->capfams) {
		signed char *f = realloc(u->fams, need);
		if (f)
			u->fams = f;
		unsigned char *fl = realloc(u->fills, need);
		if (fl)
			u->fills = fl;
		if (!f || !fl) {
			ui_message(u, true, "out of memory for the map");
			return;
		}
		u->capfams = need;
	}
	memset(u->fam_on_screen, 0, sizeof(u->fam_on_screen));
	u->ncells = need;
	size_t nreg;
	da_ownership_regions(u->o, &nreg);
	if (nreg != u->nregions || !u->on_screen) {
		free(u->on_screen);
		u->on_screen = calloc(nreg + 1, sizeof(bool));
		u->nregions = nreg;
	}
	if (u->on_screen)
		memset(u->on_screen, 0, (nreg + 1) * sizeof(bool));
	u->none_on_screen = u->holes_on_screen = false;
	u->conflicts_on_screen = u->pending_on_screen = false;
	for (int r = 0; r < u->map_rows; r++) {
		/* a row at once: the engine walks it once (the cells in it
		 * that start before the end of the space) */
		struct da_cell *row = &u->cells[(size_t)r * u->map_cols];
		uint64_t idx = (v->top + (uint64_t)r) * (uint64_t)u->map_cols;
		uint64_t off0;
		size_t in = 0;
		if (!__builtin_mul_overflow(idx, v->cell, &off0) &&
		    off0 < v->size && v->cell) {
			uint64_t left = (v->size - off0 + v->cell - 1) / v->cell;
			in = left < (uint64_t)u->map_cols ? (size_t)left
							  : (size_t)u->map_cols;
			view_summarize_row(u, v, off0, in, row);
		}
		for (int c = 0; c < u->map_cols; c++) {
			struct da_cell *cell = &row[c];
			if ((size_t)c >= in) {
				memset(cell, 0, sizeof(*cell));
				cell->region_id = -2;    /* past the end */
				u->fams[(size_t)r * u->map_cols + c] = -1;
				u->fills[(size_t)r * u->map_cols + c] = FILL_NONE;
				continue;
			}
			uint64_t off = (idx + (uint64_t)c) * v->cell;
			uint64_t len = v->size - off < v->cell
				? v->size - off : v->cell;
			enum fill f = cell_fill(cell);
			int fam = cell_family(u, v, off, len, cell, f);
			u->fams[(size_t)r * u->map_cols + c] = (signed char)fam;
			u->fills[(size_t)r * u->map_cols + c] = (unsigned char)f;
			if (fam >= 0 && fam < FAM_COUNT)
				u->fam_on_screen[fam] = true;
			if (cell->region_id >= 0 &&
			    (size_t)cell->region_id < nreg && u->on_screen)
				u->on_screen[cell->region_id] = true;
			else if (cell->region_id == -1)
				u->none_on_screen = true;
			if (cell->conflict)
				u->conflicts_on_screen = true;
			if (f == FILL_PENDING)
				u->pending_on_screen = true;
			if (cell->hole * 2 >= cell->bytes && cell->bytes)
				u->holes_on_screen = true;
		}
	}
	u->cache.dev = v->dev;
	u->cache.cell = v->cell;
	u->cache.top = v->top;
	u->cache.size = v->size;
	u->cache.cols = u->map_cols;
	u->cache.rows = u->map_rows;
	u->cache.valid = true;
}

static const struct da_cell *cell_at(const struct ui *u, int r, int c)
{
	if (r < 0 || r >= u->map_rows || c < 0 || c >= u->map_cols ||
	    !u->cells)
		return NULL;
	return &u->cells[(size_t)r * u->map_cols + c];
}

/* The bytes of cell (r, c) of the screen, false past the end. */
static bool cell_range(const struct ui *u, const struct view *v, int r,
		       int c, uint64_t *off, uint64_t *len)
{
	if (r < 0 || r >= u->map_rows || c < 0 || c >= u->map_cols)
		return false;
	uint64_t idx = (v->top + (uint64_t)r) * (uint64_t)u->map_cols +
		       (uint64_t)c;
	if (__builtin_mul_overflow(idx, v->cell, off) || *off >= v->size)
		return false;
	*len = v->size - *off < v->cell ? v->size - *off : v->cell;
	return true;
}

static bool marked(struct ui *u, const struct view *v, int r, int c)
{
	uint64_t off, len;
	return cell_range(u, v, r, c, &off, &len) &&
	       search_marked(u, v, off, len);
}

/* Highlight colours: the glyph in black on yellow; underlined without
 * colours (the letter still names the owner). */
#define MARK_BG256 226
#define MARK_FG256 16

static int mark_bg(const struct ui *u)
{
	return u->colors == 256 ? MARK_BG256 : COLOR_YELLOW;
}

static void mark_cell(struct ui *u, cchar_t *cc)
{
	wchar_t wc[CCHARW_MAX + 1];
	attr_t a;
	short p;
	int pair = 0;
	if (getcchar(cc, wc, &a, &p, &pair) == ERR)
		return;
	if (!u->colors) {
		setcchar(cc, wc, a | A_UNDERLINE | A_BOLD, 0, NULL);
		return;
	}
	pair = colors_pair(u->colors == 256 ? MARK_FG256 : COLOR_BLACK,
			   mark_bg(u));
	setcchar(cc, wc, a & ~A_DIM, (short)(pair < 256 ? pair : 0), &pair);
}

/* Half blocks: the marked half (1 upper, 2 lower, 3 both) in the
 * highlight's colour. */
static void mark_half(struct ui *u, cchar_t *cc, int halves)
{
	wchar_t wc[CCHARW_MAX + 1];
	attr_t a;
	short p;
	int pair = 0, fg = -1, bg = -1;
	if (getcchar(cc, wc, &a, &p, &pair) == ERR)
		return;
	if (pair > 0)
		extended_pair_content(pair, &fg, &bg);
	int up = -1, lo = -1;
	if (wc[0] == L'\u2580') {
		up = fg;
		lo = bg;
	} else if (wc[0] == L'\u2584') {
		lo = fg;
	}
	if (halves & 1)
		up = mark_bg(u);
	if (halves & 2)
		lo = mark_bg(u);
	wchar_t out[2] = { L'\u2580', 0 };
	if (up != -1) {
		pair = colors_pair(up, lo);
	} else {
		out[0] = L'\u2584';
		pair = colors_pair(lo, -1);
	}
	setcchar(cc, out, a, (short)(pair < 256 ? pair : 0), &pair);
}

/* The cells of one screen line, written with one call: a cell at a time
 * through add_wch cost ncurses a third of a frame. */
static cchar_t *line_buf(int w)
{
	static cchar_t *buf;
	static int cap;
	if (w > cap) {
		cchar_t *b = realloc(buf, (size_t)w * sizeof(*b));
		if (!b)
			return NULL;
		buf = b;
		cap = w;
	}
	return buf;
}

/* A step: about 1 ms of this thread's CPU, in pieces of 4 extent calls
 * (what a call costs depends on the host's filesystem and on how far it
 * seeks: on tmpfs one SEEK_DATA over a hole of terabytes takes 0.4 ms; a
 * 16 TiB image of tens of thousands of runs takes a few dozen steps,
 * most of them between keys). */
#define HOLES_STEP_MS 1.0

static double thread_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool holes_step(struct ui *u)
{
	double t0 = thread_ms();
	for (size_t d = 0; !u->holes_known && d < u->m->ndisks; d++)
		while (!da_device_holes_learn(u->m->disks[d].dev, 4))
			if (thread_ms() - t0 > HOLES_STEP_MS)
				return false;
	if (!u->holes_known)
		u->cache.valid = false;
	u->holes_known = true;
	return true;
}

static void map_draw(struct ui *u)
{
	struct view *v = view_cur(u);
	map_compute(u);
	uint64_t ci = v->cursor / v->cell;
	uint64_t crow = ci / (uint64_t)u->map_cols;
	int cur_r = crow >= v->top && crow - v->top < (uint64_t)u->map_rows
		? (int)(crow - v->top) : -1;
	int cur_c = (int)(ci % (uint64_t)u->map_cols);
	int w = u->map_cols < u->map.w ? u->map_cols : u->map.w;
	cchar_t *line = line_buf(w);
	role_on(ROLE_TEXT);
	if (!line || w <= 0)
		return;
	/* past the end of the space: a blank in the text's colours */
	cchar_t blank;
	{
		attr_t a;
		int p;
		colors_role(ROLE_TEXT, &a, &p);
		setcchar(&blank, L" ", a, (short)(p < 256 ? p : 0), &p);
	}
	/* the search's highlight: only when a match is chosen */
	bool marks = search_active(u);
	struct last_glyph {
		int region;
		enum fill f;
		int fam;
		bool conflict, ok;
		cchar_t cc;
	} last = { 0 };
	int lines = u->half ? (u->map_rows + 1) / 2 : u->map_rows;
	for (int y = 0; y < lines && y < u->map.h; y++) {
		for (int x = 0; x < w; x++) {
			cchar_t *cc = &line[x];
			if (u->half) {
				const struct da_cell *a = cell_at(u, 2 * y, x);
				const struct da_cell *b = cell_at(u, 2 * y + 1, x);
				int ra = a ? a->region_id : -2;
				int rb = b ? b->region_id : -2;
				size_t ia = (size_t)(2 * y) * u->map_cols + x;
				size_t ib = ia + (size_t)u->map_cols;
				enum fill fa = a && ra != -2
					? (enum fill)u->fills[ia] : FILL_NONE;
				enum fill fb = b && rb != -2
					? (enum fill)u->fills[ib] : FILL_NONE;
				if (a && a->conflict)
					ra = -3;
				if (b && b->conflict)
					rb = -3;
				int ch = 0;
				if (x == cur_c && cur_r == 2 * y)
					ch = 1;
				else if (x == cur_c && cur_r == 2 * y + 1)
					ch = 2;
				int mfa = a ? u->fams[ia] : -1;
				int mfb = b ? u->fams[ib] : -1;
				half_glyph_fam(ra, fa, mfa, rb, fb, mfb, ch, cc);
				int halves = marks ?
					(ch != 1 && marked(u, v, 2 * y, x)) |
					(ch != 2 && marked(u, v, 2 * y + 1, x)) << 1 : 0;
				if (halves)
					mark_half(u, cc, halves);
			} else {
				const struct da_cell *a = cell_at(u, y, x);
				if (!a || a->region_id == -2) {
					*cc = blank;
					continue;
				}
				bool cur = y == cur_r && x == cur_c;
				enum fill f = (enum fill)u->fills[(size_t)y * u->map_cols + x];
				int fam = u->fams[(size_t)y * u->map_cols + x];
				/* neighbours mostly look alike: the last
				 * glyph again, without its colour lookup */
				if (!cur && last.ok &&
				    last.region == a->region_id &&
				    last.f == f && last.fam == fam &&
				    last.conflict == a->conflict) {
					*cc = last.cc;
				} else {
					cell_glyph_fam(a->region_id, f, fam,
						       a->conflict, cur, cc);
					if (!cur)
						last = (struct last_glyph){
							a->region_id, f, fam,
							a->conflict, true, *cc };
				}
				if (!cur && marks && marked(u, v, y, x))
					mark_cell(u, cc);
			}
		}
		mvadd_wchnstr(u->map.y + y, u->map.x, line, w);
	}
}

int map_hit(struct ui *u, int y, int x, uint64_t *off)
{
	struct view *v = view_cur(u);
	if (y < u->map.y || y >= u->map.y + u->map.h || x < u->map.x ||
	    x >= u->map.x + u->map_cols)
		return -1;
	uint64_t r = (uint64_t)(y - u->map.y) * (u->half ? 2 : 1);
	if (r >= (uint64_t)u->map_rows)
		return -1;
	uint64_t idx = (v->top + r) * (uint64_t)u->map_cols +
		       (uint64_t)(x - u->map.x);
	uint64_t o;
	if (__builtin_mul_overflow(idx, v->cell, &o) || o >= v->size)
		return -1;
	*off = o;
	return 0;
}

/* ---- keys and clicks ---- */

static void zoom(struct ui *u, int dir)
{
	struct view *v = view_cur(u);
	uint64_t before = v->cell;
	view_zoom(u, v, dir);
	if (v->cell == before)
		ui_message(u, false, dir > 0 ? "deepest zoom: one block a cell"
			   : "shallowest zoom: the whole view on screen");
}

static int map_key(struct ui *u, int ch, bool code)
{
	struct view *v = view_cur(u);
	int page = u->map_rows > 1 ? u->map_rows - 1 : 1;
	if (code) {
		switch (ch) {
		case KEY_LEFT: view_move_cells(u, v, -1); break;
		case KEY_RIGHT: view_move_cells(u, v, 1); break;
		case KEY_UP: view_move_rows(u, v, -1); break;
		case KEY_DOWN: view_move_rows(u, v, 1); break;
		case KEY_PPAGE: view_move_rows(u, v, -page); break;
		case KEY_NPAGE: view_move_rows(u, v, page); break;
		case KEY_HOME: view_set_cursor(u, v, 0); break;
		case KEY_END:
			view_set_cursor(u, v, v->size ? (v->size - 1) / v->cell
					* v->cell : 0);
			break;
		case KEY_ENTER:
			/* a locked LUKS volume asks its key, and the machine
			 * may grow: a new layout */
			if (unlock_at_cursor(u))
				return PANE_HANDLED | PANE_REDRAW | PANE_LAYOUT;
			view_enter(u);
			break;
		case KEY_BACKSPACE: view_leave(u); break;
		default: return PANE_PASS;
		}
		return PANE_HANDLED | PANE_REDRAW;
	}
	switch (ch) {
	case 'h': view_move_cells(u, v, -1); break;
	case 'l': view_move_cells(u, v, 1); break;
	case 'k': view_move_rows(u, v, -1); break;
	case 'j': view_move_rows(u, v, 1); break;
	case '+': case '=': case 'z': zoom(u, +1); break;
	case '-': case '_': case 'Z': zoom(u, -1); break;
	case '\r': case '\n': case 'i':
		if (unlock_at_cursor(u))
			return PANE_HANDLED | PANE_REDRAW | PANE_LAYOUT;
		view_enter(u);
		break;
	case 127: case 8: case 'o': view_leave(u); break;
	case 'g': prompt_start(u, 'g'); break;
	case '/': prompt_start(u, '/'); break;
	case 't': tree_open(u); break;
	case 'x': hex_open(u); break;
	case 'n': search_next(u, +1); break;
	case 'N': search_next(u, -1); break;
	case 'e': extent_next(u, +1); break;
	case 'E': extent_next(u, -1); break;
	case 'M': search_list_show(u); break;
	case 27:
		/* Esc drops the search's highlight, as :noh does */
		if (!search_active(u))
			return PANE_PASS;
		search_clear(u);
		ui_message(u, false, "search cleared");
		break;
	case 'w':
		u->show_holes = !u->show_holes;
		u->cache.valid = false;
		ui_message(u, false, u->show_holes
			   ? "never-written bytes shown (w hides them)"
			   : "never-written bytes hidden (w shows them)");
		break;
	case 'v':
		if (!u->unicode || !u->colors) {
			ui_message(u, true, "half-block mode needs a UTF-8 "
				   "terminal with colours");
			break;
		}
		u->half = !u->half;
		ui_message(u, false, u->half ? "half blocks: two cell rows a "
			   "line" : "one cell a character");
		return PANE_HANDLED | PANE_REDRAW | PANE_LAYOUT;
	default: return PANE_PASS;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static int map_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)buttons;
	uint64_t off;
	if (map_hit(u, y, x, &off) < 0)
		return PANE_PASS;
	u->focus = FOCUS_MAP;
	view_set_cursor(u, view_cur(u), off);
	return PANE_HANDLED | PANE_REDRAW;
}

static const struct rect *map_area(const struct ui *u)
{
	return &u->map;
}

const struct pane_class map_pane = {
	.name = "map",
	.area = map_area,
	.draw = map_draw,
	.key = map_key,
	.mouse = map_mouse,
};
