/* The terminal: locale, curses start and end, and the signals that must
 * not leave a user's terminal in raw mode.  ui_end runs on every exit path
 * (normal return, atexit, SIGINT/SIGTERM/SIGHUP/SIGQUIT through the main
 * loop, out of memory in the engine, and a best-effort restore on fatal
 * signals).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui.h"

volatile sig_atomic_t ui_signal;

static SCREEN *screen;
static int input_fd = STDIN_FILENO;   /* the terminal ui_init reads */
static bool active;
static bool atexit_done;

/* Wide glyphs need a UTF-8 LC_CTYPE: with LANG unset or C they print as
 * blanks.  We draw block glyphs only when the user's own locale is UTF-8;
 * otherwise ncursesw still gets C.UTF-8 (so names with UTF-8 bytes are
 * measured right) and we draw ASCII. */
void ui_locale(struct ui *u)
{
	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	u->unicode = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	if (!u->unicode && !setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C.utf8");
	const char *a = getenv("DISKATLAS_ASCII");
	if (a && *a && strcmp(a, "0"))
		u->unicode = false;
}

void ui_end(void)
{
	if (!active)
		return;
	active = false;
	/* A terminal without an alternate screen (TERM=linux, vt100) keeps
	 * what curses drew, and endwin leaves the cursor on the last line,
	 * inside the status bar: the shell would write over it.  There,
	 * clear the screen (and home the cursor) after endwin, as leaving
	 * an alternate screen would have given a clean one back. */
	const char *rmcup = tigetstr("rmcup");
	bool alt = rmcup && rmcup != (char *)-1 && *rmcup;
	/* endwin also turns mouse reporting off and leaves the alternate
	 * screen (the tmux tests check both) */
	endwin();
	if (!alt) {
		const char *cl = tigetstr("clear");
		if (cl && cl != (char *)-1)
			putp(cl);
	}
	fflush(stdout);
	delscreen(screen);
	screen = NULL;
}

static void on_stop(int sig)
{
	ui_signal = sig;
}

/* Has the terminal gone (its window closed, the connection dropped)?
 * curses then reads end of file, which get_wch answers as it answers a
 * timeout, so a loop that waits for keys would go on for ever, a core
 * busy.  The kernel's SIGHUP does not always come: it goes to the
 * session's leader, and a leader that waits for us (make, for one)
 * never passes it on.  Then the end is as if SIGHUP had come. */
bool ui_input_gone(void)
{
	struct pollfd p = { .fd = input_fd, .events = POLLIN };
	if (poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
		ui_signal = SIGHUP;
		return true;
	}
	return false;
}

/* A crash must not leave the terminal raw: restore, then die as before. */
static void on_fatal(int sig)
{
	if (active) {
		active = false;
		endwin();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int ui_init(struct ui *u, FILE *out, FILE *in)
{
	const char *term = getenv("TERM");
	screen = newterm(NULL, out, in);
	if (!screen)
		return -1;
	input_fd = fileno(in);
	set_term(screen);
	active = true;
	if (!atexit_done) {
		atexit(ui_end);
		da_set_oom_handler(ui_end);
		atexit_done = true;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Ctrl-\ too: a core dump would leave the terminal raw */
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	/* Home/End as other terminals send them (tmux sends the VT220 forms
	 * whatever TERM says): known to the terminfo entry or not, they work */
	static const struct { const char *seq; int key; } extra[] = {
		{ "\033[1~", KEY_HOME }, { "\033[4~", KEY_END },
		{ "\033[7~", KEY_HOME }, { "\033[8~", KEY_END },
		{ "\033[H", KEY_HOME }, { "\033[F", KEY_END },
		{ "\033OH", KEY_HOME }, { "\033OF", KEY_END },
	};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (key_defined(extra[i].seq) == 0)
			define_key(extra[i].seq, extra[i].key);
	/* wake every 100 ms: signals, resize, index progress */
	timeout(100);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED |
		  BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	u->colors = 0;
	bool dumb = !term || !*term || !strcmp(term, "dumb");
	const char *nc = getenv("NO_COLOR");
	if (!dumb && !(nc && *nc) && has_colors()) {
		start_color();
		use_default_colors();
		u->colors = COLORS >= 256 ? 256 : 8;
	}
	u->colors = colors_init(u->colors, u->unicode, u->o);
	return 0;
}
