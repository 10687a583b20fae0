/* The explorer: layout, the title and status bars, the key and mouse
 * dispatch, and the background file index.  The loop only dispatches: each
 * pane draws itself from struct ui (ui.h), and a frame is drawn only after
 * something changed.
 *
 * DISKATLAS_FRAME_BENCH=N renders N frames off screen (a curses screen on
 * /dev/null, map 200x60) over a sweep of zooms and positions and prints the
 * median and worst frame times instead of opening the explorer.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "explorer.h"
#include "ui.h"

void ui_message(struct ui *u, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_error = error;
}

bool index_ready(struct ui *u)
{
	return __atomic_load_n(&u->index_ready, __ATOMIC_ACQUIRE) != 0;
}

/* UTF-8 text, cut to w columns; bytes that do not decode become '?'. */
void put_text(int y, int x, int w, const char *s)
{
	wchar_t buf[512];
	int n = 0, cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t len = strlen(s);
	while (len > 0 && n < 511) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, len, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			k = 1;
		}
		int cw = wcwidth(wc);
		if (cw < 0) {
			wc = L'?';
			cw = 1;
		}
		if (cols + cw > w)
			break;
		buf[n++] = wc;
		cols += cw;
		s += k;
		len -= k;
	}
	buf[n] = 0;
	if (n)
		mvaddnwstr(y, x, buf, n);
}

/* ---- layout ---- */

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
	size_t nreg;
	da_ownership_regions(u->o, &nreg);
	int per = area.w / 26 > 0 ? area.w / 26 : 1;
	int lh = (int)((nreg + 2 + (size_t)per - 1) / (size_t)per) + 1;
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

/* ---- bars ---- */

static void fill_line(int y, int cols)
{
	move(y, 0);
	for (int x = 0; x < cols; x++)
		addch(' ');
}

static void title_draw(struct ui *u)
{
	struct view *v = view_cur(u);
	char line[1024], hc[48];
	da_human_size(v->cell, hc, sizeof(hc));
	if (v->cell & (v->cell - 1))     /* not a round size: say it exactly */
		snprintf(hc + strlen(hc), sizeof(hc) - strlen(hc), " (%" PRIu64
			 " B)", v->cell);
	/* what matters most first: narrow terminals cut the tail */
	int k = snprintf(line, sizeof(line), " diskatlas | view %s | 1 cell = "
			 "%s | @ 0x%" PRIx64 " |", v->name, hc, v->cursor);
	if (k > u->cols)           /* narrow: the zoom before the name */
		k = snprintf(line, sizeof(line), " 1 cell = %s | %s | @ 0x%"
			     PRIx64 " |", hc, v->name, v->cursor);
	for (size_t d = 0; d < u->m->ndisks && k < 900; d++) {
		char hs[32];
		da_human_size(u->m->disks[d].dev->size, hs, sizeof(hs));
		k += snprintf(line + k, sizeof(line) - (size_t)k,
			      d == u->disk ? " [%s %s]" : " %s %s",
			      u->m->disks[d].name, hs);
	}
	role_on(ROLE_TITLE);
	fill_line(0, u->cols);
	put_text(0, 0, u->cols, line);
	role_on(ROLE_TEXT);
}

static void status_draw(struct ui *u)
{
	if (u->prompt) {
		prompt_draw(u);
		return;
	}
	role_on(ROLE_STATUS);
	fill_line(u->status.y, u->cols);
	char right[64] = "";
	if (!index_ready(u)) {
		int done = __atomic_load_n(&u->m->index_done, __ATOMIC_ACQUIRE);
		int total = __atomic_load_n(&u->m->index_total, __ATOMIC_ACQUIRE);
		snprintf(right, sizeof(right), " indexing files%s %d%% ",
			 ELLIPSIS(u), total > 0 ? done * 100 / total : 0);
	}
	/* columns, not bytes: the Unicode ellipsis is 3 bytes wide 1 */
	int rw = (int)strlen(right) - (u->unicode && right[0] ? 2 : 0);
	const char *hints = u->help ? " ?/q/Esc close help  arrows scroll"
		: u->focus == FOCUS_SIDE
		? " Tab map  arrows scroll  q quit  ? help"
		: " q quit  ? help  arrows move  +/- zoom  Enter into  "
		  "Bksp out  g go  / find  n/N next  Tab side";
	if (u->msg[0]) {
		role_on(u->msg_error ? ROLE_ERROR : ROLE_MESSAGE);
		char m[300];
		snprintf(m, sizeof(m), " %s ", u->msg);
		put_text(u->status.y, 0, u->cols - rw, m);
	} else {
		put_text(u->status.y, 0, u->cols - rw, hints);
	}
	if (rw) {
		role_on(ROLE_MESSAGE);
		put_text(u->status.y, u->cols - rw, rw, right);
	}
	role_on(ROLE_TEXT);
}

void ui_draw(struct ui *u)
{
	erase();
	if (u->too_small) {
		/* one line, the longest form that fits */
		char notes[3][64];
		snprintf(notes[0], sizeof(notes[0]), "terminal too small "
			 "(need %dx%d)", UI_MIN_COLS, UI_MIN_ROWS);
		snprintf(notes[1], sizeof(notes[1]), "terminal too small, "
			 "need %dx%d", UI_MIN_COLS, UI_MIN_ROWS);
		snprintf(notes[2], sizeof(notes[2]), "terminal too small");
		int i = 0;
		while (i < 2 && (int)strlen(notes[i]) > u->cols)
			i++;
		role_on(ROLE_TEXT);
		put_text(0, 0, u->cols, notes[i]);
		curs_set(0);
		refresh();
		return;
	}
	title_draw(u);
	if (u->help) {
		help_draw(u);
	} else {
		map_draw(u);
		legend_draw(u);
		side_draw(u);
	}
	if (!u->prompt)
		curs_set(0);
	status_draw(u);
	refresh();
}

/* ---- input ---- */

static void zoom(struct ui *u, int dir)
{
	struct view *v = view_cur(u);
	uint64_t before = v->cell;
	view_zoom(u, v, dir);
	if (v->cell == before)
		ui_message(u, false, dir > 0 ? "deepest zoom: one block a cell"
			   : "shallowest zoom: the whole view on screen");
}

static void switch_disk(struct ui *u, int dir)
{
	size_t n = u->m->ndisks;
	if (n < 2) {
		ui_message(u, false, "only one disk");
		return;
	}
	u->disk = (u->disk + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
	view_clamp(u, view_cur(u));
	u->side_scroll = 0;
	ui_message(u, false, "disk %s", u->m->disks[u->disk].name);
}

static void on_mouse(struct ui *u)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		zoom(u, +1);
	} else if (ev.bstate & BUTTON5_PRESSED) {
		zoom(u, -1);
	} else if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
		uint64_t off;
		if (u->help) {
			u->help = false;
		} else if (map_hit(u, ev.y, ev.x, &off) == 0) {
			u->focus = FOCUS_MAP;
			view_set_cursor(u, view_cur(u), off);
		} else if (ev.y >= u->side.y && ev.y < u->side.y + u->side.h &&
			   ev.x >= u->side.x && ev.x < u->side.x + u->side.w) {
			u->focus = FOCUS_SIDE;
		}
	}
}

static bool side_key(struct ui *u, int ch, bool code)
{
	int page = u->side.h > 2 ? u->side.h - 2 : 1;
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		u->side_scroll--;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		u->side_scroll++;
	else if (code && ch == KEY_PPAGE)
		u->side_scroll -= page;
	else if (code && ch == KEY_NPAGE)
		u->side_scroll += page;
	else if (code && ch == KEY_HOME)
		u->side_scroll = 0;
	else if (code && ch == KEY_END)
		u->side_scroll = 1 << 20;
	else
		return false;
	return true;
}

static void help_key(struct ui *u, int ch, bool code)
{
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		u->help_scroll--;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		u->help_scroll++;
	else if (code && ch == KEY_PPAGE)
		u->help_scroll -= u->rows / 2;
	else if (code && ch == KEY_NPAGE)
		u->help_scroll += u->rows / 2;
	else if (code && (ch == KEY_MOUSE || ch == KEY_RESIZE))
		return;
	else
		u->help = false;
}

static void on_key(struct ui *u, int ch, bool code)
{
	if (code && ch == KEY_RESIZE) {
		ui_layout(u);
		return;
	}
	if (u->too_small) {
		if (!code && (ch == 'q' || ch == 'Q'))
			u->quit = true;
		return;
	}
	if (u->prompt && prompt_key(u, ch, code))
		return;
	if (code && ch == KEY_MOUSE) {
		on_mouse(u);
		return;
	}
	if (u->help) {
		help_key(u, ch, code);
		return;
	}
	u->msg[0] = '\0';
	if (u->focus == FOCUS_SIDE && side_key(u, ch, code))
		return;
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
			if (!unlock_at_cursor(u))
				view_enter(u);
			break;
		case KEY_BACKSPACE: view_leave(u); break;
		case KEY_BTAB:
			u->focus = u->focus == FOCUS_MAP ? FOCUS_SIDE : FOCUS_MAP;
			break;
		default: break;
		}
		return;
	}
	switch (ch) {
	case 'q': case 'Q': u->quit = true; u->exit_status = 0; break;
	case 'h': view_move_cells(u, v, -1); break;
	case 'l': view_move_cells(u, v, 1); break;
	case 'k': view_move_rows(u, v, -1); break;
	case 'j': view_move_rows(u, v, 1); break;
	case '+': case '=': case 'z': zoom(u, +1); break;
	case '-': case '_': case 'Z': zoom(u, -1); break;
	case '\r': case '\n': case 'i':
		if (!unlock_at_cursor(u))
			view_enter(u);
		break;
	case 127: case 8: case 'o': view_leave(u); break;
	case '\t':
		u->focus = u->focus == FOCUS_MAP ? FOCUS_SIDE : FOCUS_MAP;
		break;
	case 'g': prompt_start(u, 'g'); break;
	case '/': prompt_start(u, '/'); break;
	case 'n': extent_next(u, +1); break;
	case 'N': extent_next(u, -1); break;
	case '[': switch_disk(u, -1); break;
	case ']': switch_disk(u, +1); break;
	case '?': u->help = true; u->help_scroll = 0; break;
	case 'v':
		if (!u->unicode || !u->colors) {
			ui_message(u, true, "half-block mode needs a UTF-8 "
				   "terminal with colours");
			break;
		}
		u->half = !u->half;
		ui_layout(u);
		ui_message(u, false, u->half ? "half blocks: two cell rows a "
			   "line" : "one cell a character");
		break;
	case 27: break;
	default: break;
	}
}

/* ---- the background index ---- */

static void *index_main(void *arg)
{
	struct ui *u = arg;
	da_error err = { 0 };
	da_machine_build_indexes(u->m, &err);
	__atomic_store_n(&u->index_ready, 1, __ATOMIC_RELEASE);
	return NULL;
}

void index_start(struct ui *u)
{
	if (pthread_create(&u->index_thread, NULL, index_main, u) == 0) {
		u->index_started = true;
	} else {
		/* no thread: build it now, the map waits */
		index_main(u);
	}
}

void index_join(struct ui *u)
{
	if (u->index_started)
		pthread_join(u->index_thread, NULL);
	u->index_started = false;
}

/* ---- setup ---- */

static int ui_alloc(struct ui *u, struct da_machine *m, struct da_ownership *o)
{
	memset(u, 0, sizeof(*u));
	u->m = m;
	u->o = o;
	if (!m->ndisks)
		return -1;
	u->stacks = calloc(m->ndisks, sizeof(*u->stacks));
	u->depths = calloc(m->ndisks, sizeof(*u->depths));
	if (!u->stacks || !u->depths)
		return -1;
	for (size_t d = 0; d < m->ndisks; d++)
		u->depths[d] = 1;
	return 0;
}

static void ui_views(struct ui *u)
{
	for (size_t d = 0; d < u->m->ndisks; d++)
		view_init_disk(u, &u->stacks[d][0], d);
}

static void ui_free(struct ui *u)
{
	colors_free();
	unlock_cleanup();
	free(u->stacks);
	free(u->depths);
	free(u->cells);
	free(u->side_lines);
	free(u->on_screen);
}

/* ---- the frame bench ---- */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Draw frames over the zoom levels a user steps through with + and over
 * spread positions, every cell summarised afresh; print median and worst. */
static void bench_view(struct ui *u, double *t, int frames, double index_ms)
{
	struct view *v = view_cur(u);
	uint64_t levels[64];
	int nl = 0;
	v->cell = view_fit_cell(u, v);
	levels[nl++] = v->cell;
	while (nl < 64) {
		view_zoom(u, v, +1);
		if (v->cell == levels[nl - 1])
			break;
		levels[nl++] = v->cell;
	}
	int n = 0;
	for (int k = 0; n < frames; k++) {
		v->cell = levels[k % nl];
		uint64_t pos = (uint64_t)((k * 7919) % 97) * (v->size / 97);
		view_set_cursor(u, v, pos);
		u->cache.valid = false;
		double a = now_ms();
		ui_draw(u);
		t[n++] = now_ms() - a;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	char hs[32], lo[32], hi[32];
	da_human_size(v->size, hs, sizeof(hs));
	da_human_size(levels[nl - 1], lo, sizeof(lo));
	da_human_size(levels[0], hi, sizeof(hi));
	printf("frames: %s %s (%s): map %dx%d, %d frames over %d zoom levels "
	       "(1 cell = %s .. %s) and spread positions: median %.2f ms, "
	       "worst %.2f ms; index build %.0f ms\n",
	       v->disk >= 0 ? "disk" : "view", v->name, hs, u->map_cols,
	       u->map_rows, n, nl, lo, hi, t[n / 2], t[n - 1], index_ms);
}

static int frame_bench(struct ui *u, int frames)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in)
		return 1;
	const char *term = getenv("TERM");
	if (!term || !*term || !strcmp(term, "dumb"))
		setenv("TERM", "xterm-256color", 1);
	u->unicode = true;
	if (ui_init(u, out, in) < 0) {
		fprintf(stderr, "diskatlas: cannot open a curses screen\n");
		return 1;
	}
	/* a 200x60 map: 200 + side pane wide, 60 + legend + bars high */
	resizeterm(80, 200 + UI_SIDE_COLS + 2);
	ui_layout(u);
	resizeterm(LINES + 60 - u->map_rows, 200 + UI_SIDE_COLS + 2);
	ui_layout(u);
	ui_views(u);
	double t0 = now_ms();
	index_main(u);
	double index_ms = now_ms() - t0;
	if (frames < 1)
		frames = 200;
	double *t = calloc((size_t)frames, sizeof(*t));
	if (!t)
		return 1;
	for (size_t d = 0; d < u->m->ndisks; d++) {
		u->disk = d;
		bench_view(u, t, frames, index_ms);
		/* and the space of what owns the middle of the disk (a
		 * partition's filesystem, an LV): summaries through locate */
		struct view *v = view_cur(u);
		view_set_cursor(u, v, v->size / 2);
		if (view_enter(u) == 0)
			bench_view(u, t, frames, index_ms);
	}
	free(t);
	ui_end();
	fclose(out);
	fclose(in);
	return 0;
}

/* ---- the loop ---- */

int explorer_run(struct da_machine *m, struct da_ownership *o)
{
	struct ui u;
	if (ui_alloc(&u, m, o) < 0) {
		fprintf(stderr, "diskatlas: out of memory\n");
		ui_free(&u);
		return 1;
	}
	ui_locale(&u);
	const char *bench = getenv("DISKATLAS_FRAME_BENCH");
	if (bench && *bench) {
		int st = frame_bench(&u, atoi(bench));
		ui_free(&u);
		return st;
	}
	const char *term = getenv("TERM");
	if (!term || !*term || !strcmp(term, "dumb")) {
		/* no cursor addressing: print screens, read lines */
		index_start(&u);
		int st = line_run(&u, on_key);
		index_join(&u);
		ui_free(&u);
		return st ? st : u.exit_status;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "diskatlas: the explorer needs a terminal; try "
			"--list, --lookup or --map\n");
		ui_free(&u);
		return 1;
	}
	if (ui_init(&u, stdout, stdin) < 0) {
		fprintf(stderr, "diskatlas: cannot drive the terminal '%s'; try "
			"--map\n", term ? term : "");
		ui_free(&u);
		return 1;
	}
	/* nothing may write to the terminal under curses: a --debug trace
	 * to the same terminal goes nowhere (redirect it to keep it) */
	int saved_err = -1;
	if (isatty(STDERR_FILENO)) {
		int null = open("/dev/null", O_WRONLY);
		saved_err = dup(STDERR_FILENO);
		if (null >= 0 && saved_err >= 0)
			dup2(null, STDERR_FILENO);
		if (null >= 0)
			close(null);
		if (da_debug)
			ui_message(&u, false, "--debug: the trace goes only to a "
				   "redirected standard error (2>file)");
	}
	ui_layout(&u);
	ui_views(&u);
	index_start(&u);
	bool dirty = true;
	int shown = -1;
	while (!u.quit) {
		if (ui_signal) {
			u.exit_status = 128 + ui_signal;
			break;
		}
		if (dirty)
			ui_draw(&u);
		dirty = false;
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR) {
			/* a tick: redraw when the index moved on */
			int done = __atomic_load_n(&m->index_done, __ATOMIC_ACQUIRE);
			int state = index_ready(&u) ? -2 : done;
			if (state != shown) {
				shown = state;
				dirty = true;
			}
			continue;
		}
		on_key(&u, (int)ch, r == KEY_CODE_YES);
		dirty = true;
		/* a key may restart the index (unlocking a volume): the next
		 * tick looks at its state afresh */
		shown = -1;
	}
	ui_end();
	index_join(&u);
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	ui_free(&u);
	return u.exit_status;
}
