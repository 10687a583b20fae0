/* The frame benchmark: DISKATLAS_FRAME_BENCH=N renders N frames off screen
 * (a curses screen on /dev/null, map 200x60) over a sweep of zooms and
 * positions and prints the median and worst frame CPU times instead of
 * opening the explorer; with DISKATLAS_FRAME_SEARCH=PATTERN, with that
 * search's match highlighted.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"

/* CPU time, not wall-clock: the figure must not move with the load that
 * other processes put on the machine. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Every cell of the screen (character, attributes, colour pair), a line
 * of text a screen line: two drawings that dump alike look alike. */
static void dump_screen(FILE *f)
{
	for (int y = 0; y < LINES; y++) {
		for (int x = 0; x < COLS; x++) {
			cchar_t cc;
			wchar_t wc[CCHARW_MAX + 1] = { 0 };
			attr_t a = 0;
			short p = 0;
			int pair = 0;
			if (mvin_wch(y, x, &cc) == ERR ||
			    getcchar(&cc, wc, &a, &p, &pair) == ERR)
				wc[0] = 0;
			fprintf(f, "%x.%lx.%d ", (unsigned)wc[0],
				(unsigned long)a, pair);
		}
		fputc('\n', f);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Draw frames over the zoom levels a user steps through with + and over
 * spread positions, every cell summarised afresh; print median and worst. */
static void bench_view(struct ui *u, double *t, int frames, double index_ms,
		       FILE *dump)
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
	/* DISKATLAS_FRAME_EACH: each frame's zoom, cursor and time on
	 * standard error, to find the slow ones */
	const char *e = getenv("DISKATLAS_FRAME_EACH");
	bool each = e && *e;
	/* DISKATLAS_FRAME_LEVEL=K: only the Kth zoom level (0 the whole
	 * view), to profile one */
	const char *lv = getenv("DISKATLAS_FRAME_LEVEL");
	int only = lv && *lv ? atoi(lv) : -1;
	if (only >= nl)
		only = nl - 1;
	for (int k = 0; n < frames; k++) {
		v->cell = levels[only >= 0 ? only : k % nl];
		uint64_t pos = (uint64_t)((k * 7919) % 97) * (v->size / 97);
		view_set_cursor(u, v, pos);
		u->cache.valid = false;
		double a = now_ms();
		ui_draw(u);
		t[n++] = now_ms() - a;
		if (dump)
			dump_screen(dump);
		if (each)
			fprintf(stderr, "frame %d: cell %llu cursor %llu: %.2f ms\n",
				n - 1, (unsigned long long)v->cell,
				(unsigned long long)v->cursor, t[n - 1]);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	char hs[32], lo[32], hi[32];
	da_human_size(v->size, hs, sizeof(hs));
	da_human_size(levels[nl - 1], lo, sizeof(lo));
	da_human_size(levels[0], hi, sizeof(hi));
	printf("frames: %s %s (%s): map %dx%d, %d frames over %d zoom levels "
	       "(1 cell = %s .. %s) and spread positions: median %.2f ms, "
	       "worst %.2f ms CPU; index build %.0f ms CPU\n",
	       v->disk >= 0 ? "disk" : "view", v->name, hs, u->map_cols,
	       u->map_rows, n, nl, lo, hi, t[n / 2], t[n - 1], index_ms);
}

int frame_bench(struct ui *u, int frames)
{
	/* DISKATLAS_FRAME_OUT=FILE: what the terminal would be sent */
	const char *to = getenv("DISKATLAS_FRAME_OUT");
	FILE *out = fopen(to && *to ? to : "/dev/null", "w");
	FILE *in = fopen("/dev/null", "r");
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
	view_init_all(u);
	/* the filesystems' settle pass (ext's descriptors) first, so that
	 * "index build" is the file index alone */
	double t0 = now_ms();
	da_machine_settle(u->m);
	double settle_ms = now_ms() - t0;
	t0 = now_ms();
	bg_index_build(&u->index, u->m);
	double index_ms = now_ms() - t0;
	printf("settle %.1f ms CPU; index build %.1f ms CPU\n", settle_ms,
	       index_ms);
	/* DISKATLAS_FRAME_SEARCH=PATTERN: frames with that search's first
	 * match highlighted */
	const char *pat = getenv("DISKATLAS_FRAME_SEARCH");
	if (pat && *pat && search_run(u, pat) < 0)
		fprintf(stderr, "diskatlas: DISKATLAS_FRAME_SEARCH: %s\n", u->msg);
	if (frames < 1)
		frames = 200;
	double *t = calloc((size_t)frames, sizeof(*t));
	if (!t)
		return 1;
	/* DISKATLAS_FRAME_DUMP=FILE: every frame's cells into FILE, to
	 * compare two builds' screens; DISKATLAS_FRAME_HALF: half blocks */
	const char *dp = getenv("DISKATLAS_FRAME_DUMP");
	FILE *dump = dp && *dp ? fopen(dp, "w") : NULL;
	/* DISKATLAS_FRAME_HOLES: with never-written bytes shown (w) */
	const char *holes = getenv("DISKATLAS_FRAME_HOLES");
	if (holes && *holes)
		u->show_holes = true;
	const char *half = getenv("DISKATLAS_FRAME_HALF");
	if (half && *half && u->colors) {
		u->half = true;
		ui_layout(u);
	}
	for (size_t d = 0; d < u->m->ndisks; d++) {
		u->disk = d;
		bench_view(u, t, frames, index_ms, dump);
		/* and the space of what owns the middle of the disk (a
		 * partition's filesystem, an LV): summaries through locate */
		struct view *v = view_cur(u);
		view_set_cursor(u, v, v->size / 2);
		if (view_enter(u) == 0)
			bench_view(u, t, frames, index_ms, dump);
	}
	free(t);
	if (dump)
		fclose(dump);
	search_free(u);
	ui_end();
	fclose(out);
	fclose(in);
	return 0;
}
