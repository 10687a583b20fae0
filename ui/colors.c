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

/* Owners get a colour of a palette, chosen so that owners next to each
 * other on a disk never share one (8 colours have only five to give);
 * swap and unreadable contents keep their family's hue, a shade each. */
static const short pal256[] = { 33, 40, 170, 44, 142, 75, 203, 112, 99, 37,
				168, 69, 150, 173, 109, 62 };
static const short pal256_dim[] = { 25, 28, 96, 30, 100, 67, 131, 64, 60,
				    23, 125, 61, 106, 137, 66, 55 };
static const short pal8[] = { COLOR_GREEN, COLOR_BLUE, COLOR_CYAN,
			      COLOR_MAGENTA, COLOR_RED };
#define NPAL256 (sizeof(pal256) / sizeof(pal256[0]))
#define NPAL8 (sizeof(pal8) / sizeof(pal8[0]))

enum hue { HUE_NORMAL, HUE_FREE, HUE_TABLE, HUE_SWAP, HUE_UNKNOWN,
	   HUE_COUNT };

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

/* The structure families (enum da_role_family, plus FAM_META): a colour
 * in 256 colours, a glyph with block characters, a character in ASCII
 * and without colour, and the legend's word for them.  No owner's
 * palette colour is one of these. */
struct fam_style {
	short fg256;
	const wchar_t *uni;
	char ascii;
	const char *label;
};
static const struct fam_style fam_styles[FAM_COUNT] = {
	[DA_FAM_HEADER] = { 226, L"\u2580", '^', "headers" },
	[DA_FAM_TABLE] = { 208, L"\u2261", '=', "tables" },
	[DA_FAM_ALLOC] = { 46, L"\u259a", ':', "bitmaps" },
	[DA_FAM_INODES] = { 51, L"\u25a6", '&', "inodes" },
	[DA_FAM_JOURNAL] = { 141, L"\u25a4", '~', "journal" },
	[DA_FAM_VOLUME] = { 180, L"\u25a3", '$', "volume meta" },
	[DA_FAM_REDUNDANCY] = { 225, L"\u259e", '"', "copies" },
	[DA_FAM_DIRECTORY] = { 120, L"\u25a7", '/', "directories" },
	[DA_FAM_BAD] = { 196, L"\u00d7", '*', "bad" },
	[DA_FAM_FREE] = { 246, L"\u2591", '-', "free" },
	[DA_FAM_UNALLOCATED] = { 244, L"\u2581", '_', "unallocated" },
	[FAM_META] = { 227, L"\u2599", ';', "metadata" },
};

_Static_assert(DA_FAM_BAD < FAM_META, "FAM_META is not an engine family");

static bool fam_known(int fam)
{
	return fam >= 0 && fam < FAM_COUNT && fam_styles[fam].label;
}

const char *family_label(int fam)
{
	return fam_known(fam) ? fam_styles[fam].label : "";
}

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
	if (r->cls == DA_RC_METADATA || r->cls == DA_RC_BOOKKEEPING ||
	    r->cls == DA_RC_REDUNDANCY)
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

/* Which owners lie next to which on the disks: owners in a row of
 * segments, looking through the tables and free space between them (a
 * partition table's gap does not keep two partitions apart on a map).
 * An n x n matrix; NULL when there are too many owners to care. */
#define ADJ_MAX 2048
static bool *neighbours(const struct da_ownership *o, size_t n,
			const bool *owner)
{
	if (n == 0 || n > ADJ_MAX)
		return NULL;
	bool *adj = calloc(n * n, sizeof(bool));
	if (!adj)
		return NULL;
	for (size_t d = 0; d < 1024; d++) {
		size_t nsegs;
		const struct da_claim *cl;
		if (!da_ownership_machine_disk(o, d))
			break;
		const struct da_segment *s = da_ownership_segments(o, d, &nsegs,
								   &cl);
		if (!s)
			break;
		int last = -1;
		for (size_t k = 0; k < nsegs && k < 1000000; k++) {
			if (!s[k].count)
				continue;
			int id = cl[s[k].first + s[k].count - 1].region_id;
			if (id < 0 || (size_t)id >= n || !owner[id])
				continue;
			if (last >= 0 && last != id)
				adj[(size_t)last * n + (size_t)id] =
					adj[(size_t)id * n + (size_t)last] = true;
			last = id;
		}
	}
	return adj;
}

/* Greedy colouring: each owner the least used palette colour that no
 * neighbour coloured before it has. */
static void pick_owner_colors(const struct da_ownership *o, size_t n,
			      const bool *owner, int npal, int *choice)
{
	bool *adj = neighbours(o, n, owner);
	int uses[NPAL256] = { 0 };
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		choice[i] = -1;
		if (!owner[i])
			continue;
		int best = -1;
		for (int c = 0; c < npal; c++) {
			bool taken = false;
			for (size_t j = 0; adj && j < i && !taken; j++)
				taken = adj[i * n + j] && choice[j] == c;
			if (taken)
				continue;
			if (best < 0 || uses[c] < uses[best])
				best = c;
		}
		if (best < 0)
			best = (int)(k % (size_t)npal);
		choice[i] = best;
		uses[best]++;
		k++;
	}
	free(adj);
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
	bool *owner = calloc(n + 1, sizeof(bool));
	int *choice = calloc(n + 1, sizeof(int));
	if (!region_fg || !region_dim || !owner || !choice)
		da_out_of_memory();
	for (size_t i = 0; i < n; i++) {
		enum hue h = hue_of(&r[i]);
		owner[i] = h == HUE_NORMAL ||
			   (theme != 256 && (h == HUE_SWAP || h == HUE_UNKNOWN));
	}
	pick_owner_colors(o, n, owner, theme == 256 ? (int)NPAL256
			  : (int)NPAL8, choice);
	size_t shade[HUE_COUNT] = { 0 };
	for (size_t i = 0; i < n; i++) {
		int fg, dim;
		enum hue h = hue_of(&r[i]);
		if (owner[i] && theme == 256) {
			fg = pal256[choice[i]];
			dim = pal256_dim[choice[i]];
		} else if (owner[i]) {
			fg = dim = pal8[choice[i]];
		} else if (theme == 256) {
			fg = family256[h][shade[h] % SHADES];
			dim = family256_dim[h][shade[h] % SHADES];
			shade[h]++;
		} else {
			fg = h == HUE_TABLE ? COLOR_YELLOW : COLOR_WHITE;
			dim = fg;
		}
		region_fg[i] = fg;
		region_dim[i] = dim;
	}
	free(owner);
	free(choice);
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
	bool dim = f == FILL_FREE || f == FILL_HOLE || f == FILL_PENDING;
	if (region < 0 || (size_t)region >= nregion_colors)
		return dim ? none_dim : none_fg;
	return dim ? region_dim[region] : region_fg[region];
}


static const wchar_t *const uni_glyph[FILL_COUNT] = {
	[FILL_FULL] = L"\u2588", [FILL_MOSTLY] = L"\u2593",
	[FILL_PARTLY] = L"\u2592", [FILL_FREE] = L"\u2591",
	[FILL_HOLE] = L"\u00b7", [FILL_META] = L"\u259a",
	[FILL_UNMAPPED] = L"?", [FILL_NONE] = L"\u00b7",
	[FILL_PENDING] = L"~",
};
static const char ascii_glyph[FILL_COUNT] = {
	[FILL_FULL] = '#', [FILL_MOSTLY] = '%', [FILL_PARTLY] = '+',
	[FILL_FREE] = '-', [FILL_HOLE] = '.', [FILL_META] = '=',
	[FILL_UNMAPPED] = '?', [FILL_NONE] = '.',
	[FILL_PENDING] = ',',       /* '~' is the journal's */
};

/* The colour of a family's cell: its own in 256 colours; in 8, the
 * stack's structures yellow and a filesystem's its owner's colour (the
 * glyph tells the family), free and unallocated white. */
static int fam_color(int region, int fam)
{
	if (theme == 256)
		return fam_styles[fam].fg256;
	if (fam == DA_FAM_FREE)
		return region_color(region, FILL_FREE);
	if (fam == DA_FAM_UNALLOCATED)
		return COLOR_WHITE;
	if (fam == DA_FAM_BAD)
		return COLOR_RED;
	return region_color(region, FILL_FULL);
}

int colors_family_fg(int fam)
{
	if (!fam_known(fam))
		return none_fg;
	return theme == 256 ? fam_styles[fam].fg256 : COLOR_YELLOW;
}

void cell_glyph_fam(int region, enum fill f, int fam, bool conflict,
		    bool cursor, cchar_t *out)
{
	wchar_t wc[2] = { L' ', 0 };
	attr_t a = 0;
	int pair = 0;
	bool family = fam_known(fam) && !conflict && f != FILL_HOLE &&
		      f != FILL_UNMAPPED && f != FILL_NONE &&
		      f != FILL_PENDING;
	if (family && fam == DA_FAM_FREE && !theme)
		family = false;        /* the owner's lower-case letter */
	if (conflict) {
		wc[0] = L'!';
		colors_role(ROLE_CONFLICT, &a, &pair);
	} else if (family) {
		if (theme && draw_unicode())
			wc[0] = fam_styles[fam].uni[0];
		else
			wc[0] = (wchar_t)fam_styles[fam].ascii;
		if (theme)
			pair = colors_pair(fam_color(region, fam), -1);
		else
			a = A_BOLD;
	} else if (!theme) {
		/* no colours: the letter is the owner, its case the fullness */
		char ch;
		if (f == FILL_UNMAPPED)
			ch = '?';
		else if (f == FILL_PENDING)
			ch = ',';
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

void cell_glyph(int region, enum fill f, bool conflict, bool cursor,
		cchar_t *out)
{
	cell_glyph_fam(region, f, -1, conflict, cursor, out);
}

static int half_color(int region, enum fill f)
{
	if (f == FILL_NONE)
		return -1;             /* past the end of the view */
	if (f == FILL_UNMAPPED)
		return theme == 256 ? 52 : COLOR_RED;
	if (f == FILL_PENDING)     /* no glyph here: a grey of its own */
		return theme == 256 ? 239 : COLOR_BLUE;
	if (region == -3)
		return conflict_fg;
	return region_color(region, f);
}

/* A family's colour in half blocks, where no glyph can tell it: in 256
 * colours its own, else the cell's as it would be without a family. */
static int half_fam_color(int region, enum fill f, int fam)
{
	if (theme == 256 && fam_known(fam) && f != FILL_HOLE &&
	    f != FILL_NONE && f != FILL_UNMAPPED && f != FILL_PENDING &&
	    region != -3)
		return fam == DA_FAM_FREE ? region_color(region, f)
					  : fam_styles[fam].fg256;
	return half_color(region, f);
}

void half_glyph_fam(int up, enum fill fu, int fam_up, int down,
		    enum fill fd, int fam_down, int cursor_half, cchar_t *out)
{
	int fg = half_fam_color(up, fu, fam_up);
	int bg = half_fam_color(down, fd, fam_down);
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

void half_glyph(int up, enum fill fu, int down, enum fill fd,
		int cursor_half, cchar_t *out)
{
	half_glyph_fam(up, fu, -1, down, fd, -1, cursor_half, out);
}
