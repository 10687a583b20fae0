/* Colours as named roles, with a value per theme (256 colours, 8 colours,
 * none), and the glyphs of map cells.  Without colours every region gets a
 * letter, so the map still tells owners apart.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "diskatlas.h"
#include "draw.h"

struct role_style {
	short fg256, bg256;
	short fg8, bg8;
	attr_t attr8;              /* attributes in both colour themes */
	attr_t mono;               /* attributes without colours */
};

#define BLK COLOR_BLACK
#define WHT COLOR_WHITE
static const struct role_style role_styles[ROLE_COUNT] = {
	[ROLE_TITLE]    = { 231, 24, WHT, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[ROLE_STATUS]   = { 252, 236, BLK, WHT, 0, A_REVERSE },
	[ROLE_MESSAGE]  = { 229, 236, COLOR_YELLOW, BLK, A_BOLD, A_REVERSE | A_BOLD },
	[ROLE_ERROR]    = { 203, 236, COLOR_RED, BLK, A_BOLD, A_REVERSE | A_BOLD },
	[ROLE_HEADING]  = { 117, -1, COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[ROLE_TEXT]     = { -1, -1, -1, -1, 0, 0 },
	[ROLE_DIM]      = { 246, -1, -1, -1, 0, A_DIM },
	[ROLE_FRAME]    = { 240, -1, -1, -1, 0, 0 },
	[ROLE_FOCUS]    = { 214, -1, COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[ROLE_CURSOR]   = { 16, 231, BLK, WHT, A_BOLD, A_REVERSE | A_BOLD },
	[ROLE_PROMPT]   = { 231, 238, WHT, BLK, A_BOLD, A_BOLD },
	[ROLE_CONFLICT] = { 196, -1, COLOR_RED, -1, A_BOLD | A_REVERSE, A_BOLD | A_REVERSE },
};

/* Owners in the order regions appear; the special kinds get fixed hues. */
static const short pal256[] = { 33, 40, 208, 44, 170, 142, 75, 203, 112, 109,
				99, 37, 168, 69, 150, 173 };
static const short pal256_dim[] = { 25, 28, 130, 30, 96, 100, 67, 131, 64,
				    136, 60, 23, 125, 61, 106, 137 };
static const short pal8[] = { COLOR_GREEN, COLOR_BLUE, COLOR_CYAN,
			      COLOR_MAGENTA, COLOR_RED };
#define NPAL256 (sizeof(pal256) / sizeof(pal256[0]))
#define NPAL8 (sizeof(pal8) / sizeof(pal8[0]))

enum hue { HUE_NORMAL, HUE_FREE, HUE_TABLE, HUE_SWAP, HUE_UNKNOWN,
	   HUE_COUNT };

/* The special kinds keep their family's hue, each region a shade of it,
 * so that unpartitioned space and a PV's free extents, or two swap
 * areas, are not the same colour. */
#define SHADES 6
static const short family256[HUE_COUNT][SHADES] = {
	[HUE_FREE] = { 250, 246, 253, 243, 248, 241 },
	[HUE_TABLE] = { 226, 220, 229, 214, 190, 221 },
	[HUE_SWAP] = { 201, 213, 165, 219, 171, 207 },
	[HUE_UNKNOWN] = { 160, 124, 196, 88, 167, 131 },
};
static const short family256_dim[HUE_COUNT][SHADES] = {
	[HUE_FREE] = { 244, 240, 247, 238, 242, 236 },
	[HUE_TABLE] = { 178, 172, 185, 166, 148, 136 },
	[HUE_SWAP] = { 127, 132, 91, 175, 97, 163 },
	[HUE_UNKNOWN] = { 88, 52, 124, 52, 95, 94 },
};

static int theme;                  /* 0, 8, 256 */
static int *region_fg, *region_dim;
static size_t nregion_colors;
static int *pair_of;               /* (fg+1)*(ncol+1)+(bg+1) -> pair */
static int ncol, next_pair, max_pairs;
static int none_fg, none_dim, cursor_fg, conflict_fg;

static enum hue hue_of(const struct da_region_info *r)
{
	if (r->cls == DA_RC_FREE || r->cls == DA_RC_UNALLOCATED)
		return HUE_FREE;
	/* the stack's own bookkeeping: tables, labels, metadata areas and
	 * the padding before a PV's first extent */
	if (r->cls == DA_RC_METADATA || r->cls == DA_RC_BOOKKEEPING)
		return HUE_TABLE;
	if (r->family == DA_FAM_OPAQUE)
		return HUE_SWAP;
	if (r->family == DA_FAM_BAD)
		return HUE_UNKNOWN;
	return HUE_NORMAL;
}

void colors_free(void)
{
	free(pair_of);
	free(region_fg);
	free(region_dim);
	pair_of = NULL;
	region_fg = region_dim = NULL;
	nregion_colors = 0;
}

int colors_pair(int fg, int bg)
{
	if (!theme)
		return 0;
	if (fg < -1 || fg >= ncol || bg < -1 || bg >= ncol)
		return 0;
	if (fg == -1 && bg == -1)
		return 0;
	int *slot = &pair_of[(fg + 1) * (ncol + 1) + (bg + 1)];
	if (*slot)
		return *slot;
	if (next_pair >= max_pairs)
		return 0;
	int p = next_pair++;
	if (init_extended_pair(p, fg, bg) == ERR)
		return 0;
	*slot = p;
	return p;
}

int colors_init(int colors, bool unicode, const struct da_ownership *o)
{
	draw_set_unicode(unicode);
	theme = colors;
	free(pair_of);
	pair_of = NULL;
	free(region_fg);
	free(region_dim);
	region_fg = region_dim = NULL;
	next_pair = 1;
	if (theme) {
		ncol = theme == 256 ? 256 : 8;
		max_pairs = COLOR_PAIRS;
		pair_of = calloc((size_t)(ncol + 1) * (size_t)(ncol + 1),
				 sizeof(*pair_of));
		if (!pair_of)
			theme = 0;
	}
	size_t n;
	const struct da_region_info *r = da_ownership_regions(o, &n);
	nregion_colors = n;
	region_fg = calloc(n + 1, sizeof(int));
	region_dim = calloc(n + 1, sizeof(int));
	if (!region_fg || !region_dim)
		da_out_of_memory();
	size_t k = 0, shade[HUE_COUNT] = { 0 };
	for (size_t i = 0; i < n; i++) {
		int fg, dim;
		enum hue h = hue_of(&r[i]);
		if (theme == 256 && h != HUE_NORMAL) {
			fg = family256[h][shade[h] % SHADES];
			dim = family256_dim[h][shade[h] % SHADES];
			shade[h]++;
		} else if (theme == 256) {
			fg = pal256[k % NPAL256];
			dim = pal256_dim[k % NPAL256];
			k++;
		} else {
			switch (h) {
			case HUE_FREE: fg = COLOR_WHITE; break;
			case HUE_TABLE: fg = COLOR_YELLOW; break;
			case HUE_SWAP: fg = COLOR_MAGENTA; break;
			case HUE_UNKNOWN: fg = COLOR_RED; break;
			default: fg = pal8[k++ % NPAL8];
			}
			dim = fg;
		}
		region_fg[i] = fg;
		region_dim[i] = dim;
	}
	none_fg = theme == 256 ? 242 : COLOR_WHITE;
	none_dim = theme == 256 ? 238 : COLOR_WHITE;
	cursor_fg = theme == 256 ? 231 : COLOR_WHITE;
	conflict_fg = theme == 256 ? 196 : COLOR_RED;
	return theme;
}

void colors_role(enum ui_role r, attr_t *attr, int *pair)
{
	const struct role_style *s = &role_styles[r];
	if (!theme) {
		*attr = s->mono;
		*pair = 0;
		return;
	}
	*attr = s->attr8;
	if (theme == 256)
		*pair = colors_pair(s->fg256, s->bg256);
	else
		*pair = colors_pair(s->fg8, s->bg8);
	if (theme == 8 && r == ROLE_DIM)
		*attr |= A_DIM;
}

void role_on(enum ui_role r)
{
	attr_t a;
	int p;
	colors_role(r, &a, &p);
	attr_set(a, (short)(p < 256 ? p : 0), &p);
}

int colors_region_fg(int region)
{
	if (region < 0 || (size_t)region >= nregion_colors)
		return none_fg;
	return region_fg[region];
}

static int region_color(int region, enum fill f)
{
	bool dim = f == FILL_FREE || f == FILL_HOLE;
	if (region < 0 || (size_t)region >= nregion_colors)
		return dim ? none_dim : none_fg;
	return dim ? region_dim[region] : region_fg[region];
}


static const wchar_t *const uni_glyph[FILL_COUNT] = {
	[FILL_FULL] = L"\u2588", [FILL_MOSTLY] = L"\u2593",
	[FILL_PARTLY] = L"\u2592", [FILL_FREE] = L"\u2591",
	[FILL_HOLE] = L"\u00b7", [FILL_META] = L"\u259a",
	[FILL_UNMAPPED] = L"?", [FILL_NONE] = L"\u00b7",
};
static const char ascii_glyph[FILL_COUNT] = {
	[FILL_FULL] = '#', [FILL_MOSTLY] = '%', [FILL_PARTLY] = '+',
	[FILL_FREE] = '-', [FILL_HOLE] = '.', [FILL_META] = '=',
	[FILL_UNMAPPED] = '?', [FILL_NONE] = '.',
};

void cell_glyph(int region, enum fill f, bool conflict, bool cursor,
		cchar_t *out)
{
	wchar_t wc[2] = { L' ', 0 };
	attr_t a = 0;
	int pair = 0;
	if (conflict) {
		wc[0] = L'!';
		colors_role(ROLE_CONFLICT, &a, &pair);
	} else if (!theme) {
		/* no colours: the letter is the owner, its case the fullness */
		char ch;
		if (f == FILL_UNMAPPED)
			ch = '?';
		else if (region < 0)
			ch = f == FILL_HOLE ? ' ' : '.';
		else {
			ch = da_region_letter(region);
			if ((f == FILL_PARTLY || f == FILL_FREE ||
			     f == FILL_HOLE) && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
		}
		wc[0] = (wchar_t)ch;
		if (f == FILL_FULL || f == FILL_META)
			a = A_BOLD;
	} else {
		if (draw_unicode())
			wc[0] = uni_glyph[f][0];
		else
			wc[0] = (wchar_t)ascii_glyph[f];
		pair = colors_pair(region_color(region, f), -1);
		if (f == FILL_FULL && theme == 8)
			a = A_BOLD;
	}
	if (cursor) {
		a |= A_REVERSE | A_BOLD;
		if (wc[0] == L' ')
			wc[0] = draw_unicode() ? L'\u00b7' : L'.';
	}
	setcchar(out, wc, a, (short)(pair < 256 ? pair : 0), &pair);
}

static int half_color(int region, enum fill f)
{
	if (f == FILL_NONE)
		return -1;             /* past the end of the view */
	if (f == FILL_UNMAPPED)
		return theme == 256 ? 52 : COLOR_RED;
	if (region == -3)
		return conflict_fg;
	return region_color(region, f);
}

void half_glyph(int up, enum fill fu, int down, enum fill fd,
		int cursor_half, cchar_t *out)
{
	int fg = half_color(up, fu), bg = half_color(down, fd);
	if (up == -2)
		fg = -1;
	if (down == -2)
		bg = -1;
	if (cursor_half == 1)
		fg = cursor_fg;
	else if (cursor_half == 2)
		bg = cursor_fg;
	wchar_t wc[2] = { L'\u2580', 0 };
	int pair = colors_pair(fg, bg);
	if (fg == -1 && bg != -1) {
		/* default colour cannot be a foreground on a coloured bg in
		 * every terminal: draw the lower half instead */
		wc[0] = L'\u2584';
		pair = colors_pair(bg, -1);
	} else if (fg == -1 && bg == -1) {
		wc[0] = L' ';
	}
	setcchar(out, wc, 0, (short)(pair < 256 ? pair : 0), &pair);
}
