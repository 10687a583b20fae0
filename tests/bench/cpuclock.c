/* Preloaded into the explorer by make bench (LD_PRELOAD), never into a
 * test: the frame benchmark times frames with CLOCK_MONOTONIC, which on a
 * loaded machine measures the neighbours too; this answers that clock with
 * the process's CPU time instead, so the frame figures are CPU figures.
 * With DA_BENCH_FIRST_FRAME set, the process ends as soon as the curses
 * screen is first brought up to date: its CPU time (rusage, read by rus -p)
 * is then the cost from start to the first frame.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	if (clk == CLOCK_MONOTONIC && getenv("DA_BENCH_CPU_CLOCK"))
		clk = CLOCK_PROCESS_CPUTIME_ID;
	return real(clk, ts);
}

/* the explorer ends each frame with refresh(), ncurses' macro for this */
typedef struct _win_st WINDOW;
int wrefresh(WINDOW *w)
{
	static int (*real)(WINDOW *);
	if (!real)
		real = (int (*)(WINDOW *))dlsym(RTLD_NEXT, "wrefresh");
	int r = real(w);
	if (getenv("DA_BENCH_FIRST_FRAME"))
		_exit(0);
	return r;
}
