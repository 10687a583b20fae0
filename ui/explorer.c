/* The explorer's loop: set up the terminal and the views, start the file
 * index in the background, then read keys and hand them to the panes
 * (screen.c) until one says quit.  A frame is drawn only after something
 * changed: a key, or the index moving on.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explorer.h"
#include "ui.h"

/* The background work as the screen shows it: -2 when ready, else how
 * many filesystems are settled (their map read) and indexed, and which
 * of the two runs (the status bar says). */
static int index_state(struct ui *u)
{
	int done, total;
	bg_index_progress(&u->index, &done, &total);
	int settled = __atomic_load_n(&u->m->settle_done, __ATOMIC_ACQUIRE);
	if (index_ready(u))
		return -2;
	return (done & 0x1fff) << 18 | (settled & 0xffff) << 2 |
	       (int)bg_index_phase(&u->index);
}

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
		/* no cursor addressing: print screens, read lines (each
		 * one whole: the filesystems' maps first) */
		da_machine_settle(m);
		bg_index_start(&u.index, m);
		int st = line_run(&u);
		bg_index_join(&u.index);
		search_free(&u);
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
	view_init_all(&u);
	bool dirty = true, started = false;
	int shown = -1;
	while (!u.quit) {
		if (ui_signal) {
			u.exit_status = 128 + ui_signal;
			break;
		}
		if (dirty) {
			/* what this frame shows of the index, taken before it
			 * is drawn: an index that restarts (unlocking) and
			 * finishes between two ticks is still redrawn */
			int state = index_state(&u);
			if (state != shown) {
				/* cells and roles answered "not read yet" */
				u.cache.valid = false;
				u.files.valid = false;
			}
			shown = state;
			ui_draw(&u);
		}
		dirty = false;
		if (!started) {
			/* the filesystems' maps (settle) and the file index,
			 * after the first frame: it never waits for them */
			bg_index_start(&u.index, m);
			started = true;
		}
		wint_t ch;
		/* while the hole maps are learnt, a step between keys */
		bool learning = u.show_holes && !u.holes_known;
		timeout(learning ? 0 : 100);
		int r = get_wch(&ch);
		if (r == ERR) {
			if (ui_input_gone())
				continue;      /* ends as SIGHUP would */
			if (learning && holes_step(&u))
				dirty = true;
			/* a tick: redraw when the index moved on (the
			 * frame takes the new state) */
			if (index_state(&u) != shown)
				dirty = true;
			continue;
		}
		if (ui_key(&u, (int)ch, r == KEY_CODE_YES) & PANE_REDRAW)
			dirty = true;
	}
	ui_end();
	bg_index_join(&u.index);
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	search_free(&u);
	ui_free(&u);
	unlock_cleanup();          /* the indexes unlocking made */
	return u.exit_status;
}
