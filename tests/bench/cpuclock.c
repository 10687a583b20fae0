/* Preloaded into the explorer by make bench (LD_PRELOAD), never into a
 * test or an installed program.  Three measuring modes, by environment:
 *
 * DA_BENCH_CPU_CLOCK: the frame benchmark times frames with CLOCK_MONOTONIC,
 *   which on a loaded machine measures the neighbours too; that clock is
 *   answered with the process's CPU time instead.
 * DA_BENCH_FIRST_FRAME: the process ends as soon as the screen is first
 *   brought up to date, so its CPU time (rus -p) is start to first frame.
 * DA_BENCH_KEYS=N (with DA_BENCH_OUT=FILE): once the background index is
 *   done (the process is down to one thread), N navigation keys are pushed
 *   one at a time (ungetch) and the CPU the explorer's thread spends from
 *   each key to the next screen update is measured; FILE gets
 *   "MEDIAN_MS WORST_MS N" and the process ends.  A key that paints
 *   nothing (zooming out at the top) is not counted.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <curses.h>
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_fn)(clockid_t, struct timespec *);
static clock_fn real_clock;

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (!real_clock)
		real_clock = (clock_fn)dlsym(RTLD_NEXT, "clock_gettime");
	if (clk == CLOCK_MONOTONIC && getenv("DA_BENCH_CPU_CLOCK"))
		clk = CLOCK_PROCESS_CPUTIME_ID;
	return real_clock(clk, ts);
}

static double thread_ms(void)
{
	struct timespec ts;
	if (!real_clock)
		real_clock = (clock_fn)dlsym(RTLD_NEXT, "clock_gettime");
	real_clock(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return 1;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#define MAX_KEYS 1000
static const int keys[] = {
	KEY_RIGHT, KEY_DOWN, '+', KEY_LEFT, '+', KEY_UP, KEY_NPAGE, '-',
	KEY_RIGHT, KEY_PPAGE, '-', KEY_DOWN,
};
static double took[MAX_KEYS];
static int nkeys = -1, done, skipped;
static double key_at = -1;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void keys_done(void)
{
	qsort(took, (size_t)done, sizeof(*took), cmp_double);
	const char *out = getenv("DA_BENCH_OUT");
	FILE *f = out ? fopen(out, "w") : NULL;
	if (f && done > 0) {
		fprintf(f, "%.3f %.3f %d\n", took[done / 2], took[done - 1], done);
	}
	if (f)
		fclose(f);
	_exit(0);
}

/* the explorer ends each frame with refresh(), ncurses' macro for this */
int wrefresh(WINDOW *w)
{
	static int (*real)(WINDOW *);
	if (!real)
		real = (int (*)(WINDOW *))dlsym(RTLD_NEXT, "wrefresh");
	int r = real(w);
	if (getenv("DA_BENCH_FIRST_FRAME"))
		_exit(0);
	if (key_at >= 0) {
		took[done++] = thread_ms() - key_at;
		key_at = -1;
		if (done >= nkeys)
			keys_done();
	}
	return r;
}

/* the explorer waits for a key here (get_wch is a macro for it) */
int wget_wch(WINDOW *w, wint_t *ch)
{
	static int (*real)(WINDOW *, wint_t *);
	static int (*unget)(int);
	if (!real) {
		real = (int (*)(WINDOW *, wint_t *))dlsym(RTLD_NEXT, "wget_wch");
		unget = (int (*)(int))dlsym(RTLD_NEXT, "ungetch");
		const char *n = getenv("DA_BENCH_KEYS");
		nkeys = n ? atoi(n) : 0;
		if (nkeys > MAX_KEYS)
			nkeys = MAX_KEYS;
	}
	if (nkeys > 0 && unget) {
		/* a key that changed nothing is not counted */
		if (key_at >= 0 && ++skipped > nkeys)
			keys_done();
		/* the index thread first: keys then meet a finished index */
		for (int k = 0; k < 60000 && threads() > 1; k++)
			usleep(10000);
		unget(keys[done % (sizeof(keys) / sizeof(keys[0]))]);
		key_at = thread_ms();
	}
	return real(w, ch);
}
