/* Line mode, for terminals that cannot move the cursor (TERM=dumb, an
 * Emacs shell buffer): the same panes are drawn into an off-screen curses
 * screen, printed as plain text, and keys are read a line at a time (each
 * character is one key, so "jjl" moves three times and "g1M" goes to 1 MiB).
 * No escape sequence is ever written.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "ui.h"

static void size_of_terminal(int *rows, int *cols)
{
	struct winsize ws;
	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row &&
	    ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
		return;
	}
	const char *l = getenv("LINES"), *c = getenv("COLUMNS");
	if (l && atoi(l) > 0)
		*rows = atoi(l);
	if (c && atoi(c) > 0)
		*cols = atoi(c);
}

/* stdscr as text on stdout, trailing blanks dropped; the map's cursor
 * (drawn reversed) becomes '@', since attributes are lost here. */
static void print_screen(const struct ui *u, FILE *f)
{
	for (int y = 0; y < LINES; y++) {
		wchar_t line[1024];
		int n = 0;
		for (int x = 0; x < COLS && n < 1023; x++) {
			cchar_t cc;
			wchar_t wc[CCHARW_MAX + 1];
			attr_t a;
			short p;
			if (mvin_wch(y, x, &cc) == ERR)
				break;
			if (getcchar(&cc, wc, &a, &p, NULL) == ERR || !wc[0])
				continue;      /* the right half of a wide char */
			bool in_map = y >= u->map.y && y < u->map.y + u->map.h &&
				      x >= u->map.x && x < u->map.x + u->map.w;
			line[n++] = in_map && (a & A_REVERSE) ? L'@' : wc[0];
		}
		while (n > 0 && line[n - 1] == L' ')
			n--;
		line[n] = 0;
		fprintf(f, "%ls\n", line);
	}
}

/* Arrow keys typed into a dumb terminal arrive as ESC [ A..D. */
static int escape_key(const char **p)
{
	const char *s = *p;
	if (s[0] != 27 || (s[1] != '[' && s[1] != 'O'))
		return 0;
	int k = 0;
	switch (s[2]) {
	case 'A': k = KEY_UP; break;
	case 'B': k = KEY_DOWN; break;
	case 'C': k = KEY_RIGHT; break;
	case 'D': k = KEY_LEFT; break;
	case 'H': k = KEY_HOME; break;
	case 'F': k = KEY_END; break;
	case '5': k = s[3] == '~' ? KEY_PPAGE : 0; break;
	case '6': k = s[3] == '~' ? KEY_NPAGE : 0; break;
	default: return 0;
	}
	if (!k)
		return 0;
	*p = s + (s[2] == '5' || s[2] == '6' ? 4 : 3);
	return k;
}

int line_run(struct ui *u)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in)
		return 1;
	int rows, cols;
	size_of_terminal(&rows, &cols);
	/* an off-screen screen: its escapes go to /dev/null */
	SCREEN *s = newterm("vt100", out, in);
	if (!s)
		return 1;
	set_term(s);
	u->colors = colors_init(0, u->unicode, u->o);
	u->line_mode = true;
	rows = rows > UI_MIN_ROWS + 1 ? rows - 1 : UI_MIN_ROWS;
	cols = cols > UI_MIN_COLS ? cols : UI_MIN_COLS;
	resizeterm(rows, cols);
	ui_layout(u);
	view_init_all(u);
	/* a transcript says the same every run: the file index is done
	 * before the first screen, not racing it */
	bg_index_join(&u->index);
	char buf[1024];
	bool eof = false;
	while (!u->quit && !ui_signal) {
		/* the map keeps the terminal's height; the side pane below it
		 * grows to hold every line, since nothing scrolls here */
		side_build(u);
		int extra = u->cols < UI_WIDE_COLS ? u->nside + 1 : 0;
		resizeterm(rows + extra, cols);
		ui_layout(u);
		ui_draw(u);
		print_screen(u, stdout);
		fputs(u->prompt ? "> " : "keys (? help, q quit, Enter "
		      "redraws)> ", stdout);
		fflush(stdout);
		if (!fgets(buf, sizeof(buf), stdin)) {
			eof = true;
			break;
		}
		const char *p = buf;
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		while (*p && !u->quit) {
			int k = escape_key(&p);
			if (k) {
				ui_key(u, k, true);
				continue;
			}
			wchar_t wc;
			size_t n = mbrtowc(&wc, p, strlen(p), &st);
			if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
				memset(&st, 0, sizeof(st));
				wc = (unsigned char)*p;
				n = 1;
			}
			p += n;
			/* the line's own newline only ends a prompt */
			if (wc == L'\n' && !u->prompt)
				continue;
			ui_key(u, (int)wc, false);
		}
	}
	/* the last prompt's line ends: a terminal echoes the Enter after
	 * q, but neither ^D nor keys read from a file or a pipe */
	if (eof || !isatty(STDIN_FILENO))
		putchar('\n');
	endwin();
	delscreen(s);
	fclose(out);
	fclose(in);
	return 0;
}
