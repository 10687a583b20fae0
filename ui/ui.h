/* The explorer's private interface: one struct holds every piece of state
 * (views, layout, prompt, caches), and each pane draws itself from it.
 * Nothing is remembered only on the screen, so resize, zoom and a change
 * of layer are just a redraw.
 *
 * The modules, each calling only those listed after it (no circles:
 * tests/integration/ui-layers.sh checks):
 *   explorer.c  the loop: set up, read keys, dispatch, draw when changed
 *   bench.c     the frame benchmark (DISKATLAS_FRAME_BENCH)
 *   line.c      line mode for terminals that cannot move the cursor
 *   screen.c    layout; draw every pane; keys and clicks to the panes
 *   bars.c legend.c side.c map.c help.c prompt.c tree.c hex.c
 *               the panes (pane.h)
 *   fields.c    the known fields of on-disk structures (hex.c's data)
 *   matchlist.c search.c extent.c   M: the match list (a pane); / n N:
 *               every match and the map's highlight; e E: next extent
 *   family.c    the structure family of a map cell
 *   view.c      address-space math: views, zoom, cursor, Enter/Backspace
 *   state.c     struct ui's life and the status message
 *   term.c      the terminal on every exit path
 *   bgindex.c   the background file index
 *   draw.c colors.c   the drawing toolkit (draw.h), a leaf
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_UI_H
#define DA_UI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <curses.h>

#include "diskatlas.h"
#include "bgindex.h"
#include "draw.h"
#include "pane.h"

#define UI_MIN_COLS 40
#define UI_MIN_ROWS 10
#define UI_SIDE_COLS 40        /* side pane width when beside the map */
#define UI_WIDE_COLS 100       /* below this the side pane goes under */
#define UI_MAX_DEPTH 16        /* views stacked with Enter */
#define UI_MAX_OWNERS 32
#define UI_MAX_COPIES 8        /* mirrors: copies shown in the side pane */

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

enum focus { FOCUS_MAP, FOCUS_SIDE };

/* The files under a cell that covers many blocks (side.c), kept until
 * the cell, the view or the index changes. */
#define UI_TOP_FILES 3
#define UI_TOP_ROLES 5
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
	/* the roles inside its filesystems, most bytes first */
	struct {
		const char *role;
		uint64_t bytes;
	} roles[UI_TOP_ROLES];
	int nroles;
	uint64_t role_bytes;       /* bytes of every role seen */
	bool roles_sampled;
};

struct tree_row;

/* One line of the side pane. */
struct side_line {
	char text[256];
	enum ui_role role;
	int region;                /* >= -1: draw a swatch of this region */
	int fam;                   /* >= 0: the swatch is this family's */
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
	bool show_holes;           /* w: never-written bytes shown */
	bool holes_known;          /* and every disk's hole map learnt: until
				      then the map is drawn without them */
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

	/* the structure family of each cell (family.c), beside cells */
	signed char *fams;
	unsigned char *fills;      /* and its fill (enum fill), beside cells */
	size_t capfams;
	bool fam_on_screen[FAM_COUNT];

	/* regions on screen, for the legend */
	bool *on_screen;
	size_t nregions;
	bool none_on_screen, holes_on_screen, conflicts_on_screen;
	bool pending_on_screen;    /* cells not read yet (FILL_PENDING) */

	/* the background file index */
	struct bg_index index;

	/* the tree of the stack (tree.c) and the bytes (hex.c): screens
	 * over the body while open */
	bool tree;
	int tree_sel, tree_scroll, ntree, captree;
	struct tree_row *tree_rows;
	bool hex;
	struct da_device *hex_dev; /* the view's space when it opened */
	uint64_t hex_top;          /* first byte on screen */
	int hex_field;             /* the field selected (Left, Right) */
	/* the last search (search.c), NULL when none */
	struct search *search;

	bool quit;
	int exit_status;
};

/* state.c */
int ui_alloc(struct ui *u, struct da_machine *m, struct da_ownership *o);
void ui_free(struct ui *u);
void ui_message(struct ui *u, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline bool index_ready(struct ui *u)
{
	return bg_index_ready(&u->index);
}

/* term.c: the terminal, on every exit path */
extern volatile sig_atomic_t ui_signal;
int ui_init(struct ui *u, FILE *out, FILE *in);
void ui_end(void);
/* After get_wch's ERR: true (and ui_signal set to SIGHUP) when the
 * terminal has hung up, not merely timed out. */
bool ui_input_gone(void);
void ui_locale(struct ui *u);

/* view.c: address-space math */
void view_init_disk(struct ui *u, struct view *v, size_t d);
/* A view of each disk, at the shallowest zoom. */
void view_init_all(struct ui *u);
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
void view_summarize_row(const struct ui *u, const struct view *v,
			uint64_t off, size_t n, struct da_cell *c);
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
/* Whether a view of space a shows space b (b itself, or the same bytes
 * under another block size). */
bool view_same_space(struct da_device *a, const struct da_device *b);
/* The logical sector size of the disk on screen (4096 on a 4K-native
 * disk): what g's s suffix and the side pane's sector number count. */
uint64_t view_sector_size(const struct ui *u);
/* Move to (dev, off): in the view when it is that space, else on a disk. */
int view_goto_space(struct ui *u, struct da_device *dev, uint64_t off);
/* Move the cursor to byte off of dev: in the current view when its space
 * holds that byte, else on the disk view; -1 when it lies on no disk. */
int view_show(struct ui *u, struct da_device *dev, uint64_t off);
/* The same, then a view of dev's own space pushed on top (as Enter). */
int view_enter_space(struct ui *u, struct da_device *dev, uint64_t off);
enum fill cell_fill(const struct da_cell *c);

/* map.c */
void map_compute(struct ui *u);
/* Learn the disks' hole maps on by a bounded step (a few milliseconds):
 * true once they are all known (u->holes_known). */
bool holes_step(struct ui *u);
/* Screen position to a byte offset of the view; -1 outside the map. */
int map_hit(struct ui *u, int y, int x, uint64_t *off);

/* legend.c: the lines the legend wants at width w */
int legend_lines(struct ui *u, int w);

/* family.c: the family most of a cell's bytes are (FAM_*, -1 none) */
int cell_family(const struct ui *u, const struct view *v, uint64_t off,
		uint64_t len, const struct da_cell *c, enum fill f);

/* side.c: the side pane's lines (line mode sizes the screen by them) */
void side_build(struct ui *u);

/* prompt.c */
void prompt_start(struct ui *u, int kind);

/* search.c: / collects every matching owner and file, n/N walk them, the
 * chosen one is highlighted on the map; matchlist.c: M lists them
 * (search_pane) */
int search_run(struct ui *u, const char *text);
int search_next(struct ui *u, int dir);
void search_list_show(struct ui *u);
bool search_list_open(const struct ui *u);
bool search_active(const struct ui *u);
/* Does [off, off+len) of view v hold bytes of the chosen match? */
bool search_marked(struct ui *u, const struct view *v, uint64_t off,
		   uint64_t len);
/* The status bar's match counter ("" when no match is chosen). */
void search_status(struct ui *u, char *buf, size_t len);
void search_clear(struct ui *u);
void search_free(struct ui *u);
/* extent.c: e/E, the next or previous extent of the owner or file under
 * the cursor */
int extent_next(struct ui *u, int dir);

/* tree.c, hex.c: open the tree of the stack, the bytes at the cursor */
void tree_open(struct ui *u);
void hex_open(struct ui *u);

/* screen.c */
void ui_layout(struct ui *u);
void ui_draw(struct ui *u);
/* unlock.c: Enter on a locked LUKS volume asks its passphrase and opens
 * it; false when the cursor is on no locked volume. */
bool unlock_at_cursor(struct ui *u);
/* Free the ownership indexes unlocking made (at the explorer's end). */
void unlock_cleanup(void);
/* A key (or KEY_MOUSE, KEY_RESIZE) to the panes; a pane_result mask. */
int ui_key(struct ui *u, int ch, bool code);

/* line.c: terminals that cannot address the cursor */
int line_run(struct ui *u);

/* bench.c: DISKATLAS_FRAME_BENCH */
int frame_bench(struct ui *u, int frames);

#endif
