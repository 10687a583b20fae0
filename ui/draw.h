/* The drawing toolkit: text roles and their colours, map-cell glyphs, and
 * text cut to a width.  A leaf: it knows curses and the engine's region
 * table, nothing of the explorer (not its state), and includes no other
 * ui/ header (tests/integration/ui-layers.sh checks).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_DRAW_H
#define DA_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

struct da_ownership;

/* A rectangle of the screen. */
struct rect {
	int y, x, h, w;
};

static inline bool rect_has(const struct rect *r, int y, int x)
{
	return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

/* Colour roles for text; map cells use region colours. */
enum ui_role {
	ROLE_TITLE, ROLE_STATUS, ROLE_MESSAGE, ROLE_ERROR, ROLE_HEADING,
	ROLE_TEXT, ROLE_DIM, ROLE_FRAME, ROLE_FOCUS, ROLE_CURSOR, ROLE_PROMPT,
	ROLE_CONFLICT, ROLE_COUNT
};

/* What a cell's glyph says about the bytes under it. */
enum fill {
	FILL_FULL, FILL_MOSTLY, FILL_PARTLY, FILL_FREE, FILL_HOLE, FILL_META,
	FILL_UNMAPPED, FILL_NONE,
	FILL_PENDING,              /* not read yet (da_cell.pending) */
	FILL_COUNT
};

/* Structure families of map cells: the engine's enum da_role_family,
 * and FAM_META for metadata whose kind is not known.  -1: none (the
 * cell's glyph says how full it is). */
#define FAM_META 14
#define FAM_COUNT 15

/* colors.c: the theme, from 0, 8 or 256 colours (after start_color) and
 * whether block glyphs can be drawn; a colour per region of o.  Returns
 * the colours in effect (0 when the pair table cannot be had). */
int colors_init(int colors, bool unicode, const struct da_ownership *o);
void colors_free(void);
/* Attributes and extended pair for a text role. */
void colors_role(enum ui_role r, attr_t *attr, int *pair);
/* Foreground colour for a region (-1: no owner) in the current theme. */
int colors_region_fg(int region);
/* A pair for (fg, bg) colours, allocated on first use. */
int colors_pair(int fg, int bg);
/* Set the text attributes for a role on stdscr. */
void role_on(enum ui_role r);
/* A cchar_t for a map cell; without colours the region's letter. */
void cell_glyph(int region, enum fill f, bool conflict, bool cursor,
		cchar_t *out);
/* The same, for a cell whose bytes are mostly one structure family (fam
 * >= 0): the family's glyph and colour (a character without colours). */
void cell_glyph_fam(int region, enum fill f, int fam, bool conflict,
		    bool cursor, cchar_t *out);
/* The legend's word for a family ("headers", "inodes"), "" if none. */
const char *family_label(int fam);
/* A family's colour in the current theme. */
int colors_family_fg(int fam);
/* Half-block: upper and lower cells in one character. */
void half_glyph(int up, enum fill fu, int down, enum fill fd,
		int cursor_half, cchar_t *out);
/* The same with each half's structure family (its colour, in 256). */
void half_glyph_fam(int up, enum fill fu, int fam_up, int down,
		    enum fill fd, int fam_down, int cursor_half, cchar_t *out);

/* draw.c */
/* Block glyphs and Unicode rules (a UTF-8 locale), else ASCII. */
void draw_set_unicode(bool on);
bool draw_unicode(void);
/* UTF-8 text at (y, x), cut to w columns; bytes that do not decode
 * become '?'. */
void put_text(int y, int x, int w, const char *s);
/* The same, ending in an ellipsis when it had to be cut. */
void put_text_cut(int y, int x, int w, const char *s);
/* Columns the UTF-8 text takes on screen (its first 255 characters). */
int draw_text_cols(const char *s);
/* Blanks over w columns from (y, x). */
void fill_line(int y, int x, int w);
/* "\u2026" in a UTF-8 theme, else "..." */
const char *draw_ellipsis(void);
/* A horizontal or vertical rule's character for the theme. */
const char *draw_hrule(void);
const char *draw_vrule(void);
/* What one map cell covers, as the title bar and the side pane both say
 * it: "64 KiB", "70.5 KiB" (72192 B), "512 B".  One decimal, never
 * rounded up (31.5 KiB for 32256 B, not 32); the exact bytes go beside
 * it when the size is not a power of two.  Returns buf. */
const char *draw_cell_size(uint64_t bytes, char *buf, size_t len);

#endif
