/* The help screen: every key, one line each.  While open it takes the
 * keys (Up/Down, j/k, PgUp/PgDn, Home/End scroll, Left/Right do nothing,
 * any other key closes it) and a click closes it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "ui.h"

static const char *const lines[] = {
	"diskatlas explorer: keys",
	"",
	"  arrows, h j k l    move the cursor one cell",
	"  PgUp PgDn          move one screen",
	"  Home End           first / last cell of the view",
	"  + - (or z Z)       zoom in / out around the cursor",
	"  mouse wheel        over the map: zoom in / out; over the side",
	"                     pane: scroll it; click moves the cursor",
	"  Enter (or i)       zoom into the owner under the cursor",
	"                     (a partition, an LV, a filesystem's space);",
	"                     on a locked LUKS payload: asks its passphrase",
	"  Backspace (or o)   back out to the enclosing view, same byte",
	"  [ ]                previous / next disk",
	"  g                  go to an offset: 1048576, 0x100000, 1M, 2048s",
	"                     (DISK:OFFSET switches disk, vg/lv:OFFSET",
	"                     goes to a byte of an LV)",
	"  /                  find owners and files: every match, counted;",
	"                     a part of the path, or a glob (* ? [...]) on",
	"                     the name; FAT, exFAT and NTFS names without case",
	"  n N                next / previous match (around at the ends)",
	"  M                  list the matches: path, size, extents,",
	"                     filesystem, layer (Enter goes to one)",
	"  Esc                drop the search and its highlight",
	"  e E                next / previous extent of the owner",
	"                     (or of the file) under the cursor",
	"  t                  the tree of the stack: disks, partitions,",
	"                     PVs, VGs, LVs, arrays, filesystems with start,",
	"                     size, type, label and use; arrows select (the",
	"                     map follows), Enter goes into it, t/Esc closes",
	"  x                  the bytes at the cursor: hex and ASCII, with",
	"                     the fields of known headers named (GPT, MBR,",
	"                     LVM, LUKS, md, ext, FAT, NTFS, XFS, swap);",
	"                     Up/Down/PgUp/PgDn scroll, Left/Right pick a",
	"                     field, x/Esc closes",
	"  v                  half-block mode: two cell rows a line",
	"  w                  show / hide never-written bytes (holes of a",
	"                     sparse image, unallocated qcow2 clusters)",
	"  Tab                focus the side pane (arrows scroll it)",
	"  ? (or F1)          this help: arrows, PgUp/PgDn, Home/End scroll",
	"                     it, any other key closes it",
	"  q (or F10)         quit",
	"",
	"Each cell is an equal range of the view's address space; its colour",
	"(or letter without colours) is the innermost owner, its glyph how",
	"full it is: used, partly used, free; with w, never written too.",
	"Structures have a glyph (and colour) of their own, named in the",
	"legend: headers, tables, bitmaps, inodes, journal, volume metadata,",
	"copies.",
	"A '!' marks bytes that two owners claim (a conflict).",
	"The chosen match's cells are highlighted (black on yellow;",
	"underlined without colours), in every view of the stack.",
};

static int help_lines(void)
{
	return (int)(sizeof(lines) / sizeof(lines[0]));
}

static void help_draw(struct ui *u)
{
	int n = help_lines();
	int h = u->rows - 2;
	if (u->help_scroll > n - h)
		u->help_scroll = n - h > 0 ? n - h : 0;
	if (u->help_scroll < 0)
		u->help_scroll = 0;
	for (int y = 0; y < h; y++) {
		int i = u->help_scroll + y;
		if (i >= n)
			break;
		role_on(i == 0 ? ROLE_HEADING : ROLE_TEXT);
		put_text(1 + y, 2, u->cols - 3, lines[i]);
	}
	role_on(ROLE_TEXT);
}

static int help_key(struct ui *u, int ch, bool code)
{
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		u->help_scroll--;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		u->help_scroll++;
	else if (code && ch == KEY_PPAGE)
		u->help_scroll -= u->rows / 2;
	else if (code && ch == KEY_NPAGE)
		u->help_scroll += u->rows / 2;
	else if (code && ch == KEY_HOME)
		u->help_scroll = 0;
	else if (code && ch == KEY_END)
		u->help_scroll = help_lines();   /* help_draw clamps it */
	else if (code && (ch == KEY_LEFT || ch == KEY_RIGHT || ch == KEY_MOUSE ||
			  ch == KEY_RESIZE))
		return PANE_HANDLED;   /* arrows scroll or do nothing */
	else
		u->help = false;
	return PANE_HANDLED | PANE_REDRAW;
}

static int help_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)y;
	(void)x;
	(void)buttons;
	u->help = false;
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_class help_pane = {
	.name = "help",
	.draw = help_draw,
	.key = help_key,
	.mouse = help_mouse,
};
