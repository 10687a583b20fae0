/* One interface for every pane of the explorer (the map, the legend, the
 * side pane, the title and status bars, the help screen, the prompt): it
 * draws itself from struct ui, handles a key, handles a mouse event.
 * Handlers answer with a small mask; the explorer's loop only dispatches
 * (screen.c): keys to the modal pane (prompt, help) or along the focus
 * chain, mouse clicks to the pane whose rectangle holds them, the wheel as
 * the scroll keys of the pane it turns over (the map's zoom keys there).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_PANE_H
#define DA_PANE_H

#include <stdbool.h>

#include <curses.h>

struct ui;
struct rect;

enum pane_result {
	PANE_PASS = 0,             /* not mine: try the next pane */
	PANE_HANDLED = 1,
	PANE_REDRAW = 2,           /* the screen changed */
	PANE_QUIT = 4,             /* leave the explorer */
	PANE_LAYOUT = 8,           /* the layout changed (half blocks) */
};

struct pane_class {
	const char *name;
	/* where it is on screen (NULL: nowhere mouse events go) */
	const struct rect *(*area)(const struct ui *u);
	void (*draw)(struct ui *u);
	/* a key: a character, or a curses key code when code */
	int (*key)(struct ui *u, int ch, bool code);
	/* a press or click at (y, x), inside area */
	int (*mouse)(struct ui *u, int y, int x, mmask_t buttons);
};

extern const struct pane_class title_pane;   /* bars.c: app-wide keys */
extern const struct pane_class status_pane;  /* bars.c */
extern const struct pane_class map_pane;     /* map.c */
extern const struct pane_class legend_pane;  /* legend.c */
extern const struct pane_class side_pane;    /* side.c */
extern const struct pane_class help_pane;    /* help.c */
extern const struct pane_class prompt_pane;  /* prompt.c */
extern const struct pane_class tree_pane;    /* tree.c */
extern const struct pane_class hex_pane;     /* hex.c */
extern const struct pane_class search_pane;  /* matchlist.c: the matches */

#endif
