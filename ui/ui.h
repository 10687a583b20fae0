/* The explorer's private interface: one struct holds every piece of state
 * (views, layout, prompt, caches), and each pane draws itself from it.
 * Nothing is remembered only on the screen, so resize, zoom and a change
 * of layer are just a redraw.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_UI_H
#define DA_UI_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <curses.h>

#include "diskatlas.h"

#define UI_MIN_COLS 40
#define UI_MIN_ROWS 10
#define UI_SIDE_COLS 40        /* side pane width when beside the map */
#define UI_WIDE_COLS 100       /* below this the side pane goes under */
#define UI_MAX_DEPTH 16        /* views stacked with Enter */
#define UI_MAX_OWNERS 32
#define UI_MAX_COPIES 8        /* mirrors: copies shown in the side pane */
#define ELLIPSIS(u) ((u)->unicode ? "\u2026" : "...")

/* One address space on screen: a disk, or an owner's space (an LV, a
 * partition, a filesystem) entered with Enter. */
struct view {
	char name[160];            /* "disk.img", "vg/lv", "p2:ext4" */
	int disk;                  /* disk index for a disk view, else -1 */
	struct da_device *dev;     /* the space (borrowed from the machine) */
	uint64_t size;
	uint64_t cell;             /* bytes a cell */
	uint64_t min_cell;         /* deepest zoom */
	uint64_t cursor;           /* byte offset in the space */
	uint64_t top;              /* first map row on screen */
};

struct rect {
	int y, x, h, w;
};

enum focus { FOCUS_MAP, FOCUS_SIDE };

/* Colour roles for text; map cells use region colours (colors.c). */
enum ui_role {
	ROLE_TITLE, ROLE_STATUS, ROLE_MESSAGE, ROLE_ERROR, ROLE_HEADING,
	ROLE_TEXT, ROLE_DIM, ROLE_FRAME, ROLE_FOCUS, ROLE_CURSOR, ROLE_PROMPT,
	ROLE_CONFLICT, ROLE_COUNT
};

/* What a cell's glyph says about the bytes under it. */
enum fill {
	FILL_FULL, FILL_MOSTLY, FILL_PARTLY, FILL_FREE, FILL_HOLE, FILL_META,
	FILL_UNMAPPED, FILL_NONE, FILL_COUNT
};

/* The files under a cell that covers many blocks (side.c), kept until
 * the cell, the view or the index changes. */
#define UI_TOP_FILES 3
struct cell_files {
	struct da_device *dev;
	uint64_t start, len;
	bool ready, valid;
	uint32_t samples;          /* blocks in the cell (the share's base) */
	uint64_t blocks;           /* blocks in the cell */
	uint32_t owned;            /* of those, blocks a file owns */
	uint32_t distinct;         /* distinct files among them */
	bool sampled;              /* more files than the engine lists */
	struct {
		uint32_t hits;
		int64_t inode;
		char path[1024];
	} top[UI_TOP_FILES];
	int ntop;
};

/* One line of the side pane. */
struct side_line {
	char text[256];
	enum ui_role role;
	int region;                /* >= -1: draw a swatch of this region */
	bool swatch;
};

struct ui {
	struct da_machine *m;
	struct da_ownership *o;

	/* a stack of views for each disk; [ and ] switch disks */
	struct view (*stacks)[UI_MAX_DEPTH];
	int *depths;
	size_t disk;               /* the disk on screen */

	/* terminal */
	bool unicode;              /* block glyphs (UTF-8 locale) */
	bool half;                 /* half-block mode: two cell rows a line */
	int colors;                /* 0, 8 or 256 */
	bool too_small;
	int rows, cols;
	bool line_mode;            /* line.c: the side pane gets every line */

	/* layout */
	struct rect title, map, legend, side, status;
	bool side_below;
	int map_cols, map_rows;    /* cells across and down */

	/* panes */
	enum focus focus;
	int side_scroll;
	struct side_line *side_lines;
	int nside, capside;
	bool help;
	int help_scroll;

	/* the g and / prompt */
	int prompt;                /* 0 none, 'g' or '/' */
	char pbuf[256];
	int plen;

	char msg[256];
	bool msg_error;

	/* the map's cells for the screen as it stands (cols*rows summaries),
	 * recomputed only when the view, zoom, scroll or layout change */
	struct da_cell *cells;
	size_t ncells, capcells;
	struct {
		struct da_device *dev;
		uint64_t cell, top, size;
		int cols, rows;
		int index_state;
		bool valid;
	} cache;

	struct cell_files files;

	/* regions on screen, for the legend */
	bool *on_screen;
	size_t nregions;
	bool none_on_screen, holes_on_screen, conflicts_on_screen;

	/* the background file index */
	pthread_t index_thread;
	bool index_started;
	int index_ready;           /* atomic: 1 when the thread is done */
	int index_shown;           /* last progress drawn */

	bool quit;
	int exit_status;
};

/* term.c: the terminal, on every exit path */
extern volatile sig_atomic_t ui_signal;
int ui_init(struct ui *u, FILE *out, FILE *in);
void ui_end(void);
void ui_locale(struct ui *u);

/* colors.c */
void colors_init(struct ui *u);
void colors_free(void);
/* Attributes and extended pair for a text role. */
void colors_role(enum ui_role r, attr_t *attr, int *pair);
/* Foreground colour for a region (-1: no owner) in the current theme. */
int colors_region_fg(int region);
/* A pair for (fg, bg) colours, allocated on first use. */
int colors_pair(int fg, int bg);
/* Set the text attributes for a role on stdscr. */
void role_on(enum ui_role r);
/* The letter that stands for a region without colours. */
/* A cchar_t for a map cell. */
void cell_glyph(const struct ui *u, int region, enum fill f, bool conflict,
		bool cursor, cchar_t *out);
/* Half-block: upper and lower cells in one character. */
void half_glyph(const struct ui *u, int up, enum fill fu, int down,
		enum fill fd, int cursor_half, cchar_t *out);

/* view.c: address-space math */
void view_init_disk(struct ui *u, struct view *v, size_t d);
struct view *view_cur(struct ui *u);
uint64_t view_fit_cell(const struct ui *u, const struct view *v);
void view_clamp(struct ui *u, struct view *v);
void view_zoom(struct ui *u, struct view *v, int dir);
void view_move_cells(struct ui *u, struct view *v, int64_t dcells);
void view_move_rows(struct ui *u, struct view *v, int64_t drows);
void view_set_cursor(struct ui *u, struct view *v, uint64_t off);
void view_keep_visible(struct ui *u, struct view *v);
int view_rows_total(const struct ui *u, const struct view *v);
/* Summarise [off, off+len) of the view's space. */
void view_summarize(const struct ui *u, const struct view *v, uint64_t off,
		    uint64_t len, struct da_cell *c);
/* Owners of byte off of the view: through every copy down to the disks. */
int view_locate_all(const struct ui *u, const struct view *v, uint64_t off,
		    struct da_location *out, int max);
/* The owners (at most UI_MAX_OWNERS, into w) of the byte under the cursor
 * on its first disk copy, *at; -1 with a message when it maps to none. */
int view_cursor_owners(struct ui *u, struct da_location *at,
		       struct da_owner *w, bool with_info);
/* Push a view into the innermost owner under the cursor. */
int view_enter(struct ui *u);
int view_leave(struct ui *u);
/* Move to (dev, off): in the view when it is that space, else on a disk. */
int view_goto_space(struct ui *u, struct da_device *dev, uint64_t off);
enum fill cell_fill(const struct da_cell *c);

/* map.c */
void map_compute(struct ui *u);
void map_draw(struct ui *u);
/* Screen position to a byte offset of the view; -1 outside the map. */
int map_hit(struct ui *u, int y, int x, uint64_t *off);

/* side.c */
void side_build(struct ui *u);
void side_draw(struct ui *u);

/* legend.c */
int legend_rows_needed(struct ui *u, int width);
void legend_draw(struct ui *u);

/* help.c */
void help_draw(struct ui *u);
int help_lines(void);

/* prompt.c */
void prompt_start(struct ui *u, int kind);
/* A key for the prompt; true when it was consumed. */
bool prompt_key(struct ui *u, int ch, bool is_key_code);
void prompt_draw(struct ui *u);
int search_run(struct ui *u, const char *text);
int extent_next(struct ui *u, int dir);

/* line.c: terminals that cannot address the cursor */
int line_run(struct ui *u, void (*key)(struct ui *u, int ch, bool code));

/* explorer.c */
void ui_message(struct ui *u, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ui_layout(struct ui *u);
void ui_draw(struct ui *u);
bool index_ready(struct ui *u);
/* The background file index (explorer.c): start it, wait for it. */
void index_start(struct ui *u);
void index_join(struct ui *u);

/* unlock.c: Enter on a locked LUKS volume asks its passphrase and opens
 * it; false when the cursor is on no locked volume. */
bool unlock_at_cursor(struct ui *u);
/* Free the ownership indexes unlocking made (at the explorer's end). */
void unlock_cleanup(void);
void put_text(int y, int x, int w, const char *s);

#endif
