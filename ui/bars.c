/* The title bar (the view, the zoom, the cursor, the disks) and the status
 * bar (key hints, the last message, the index's progress).  The title
 * bar's pane also holds the keys of the whole explorer: quit, help, the
 * disk switch and the focus.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

static void title_draw(struct ui *u)
{
	struct view *v = view_cur(u);
	char line[1024], hc[64], cs[32];
	draw_cell_size(v->cell, cs, sizeof(cs));
	if (v->cell & (v->cell - 1))   /* not a round size: say it exactly */
		snprintf(hc, sizeof(hc), "%s (%" PRIu64 " B)", cs, v->cell);
	else
		snprintf(hc, sizeof(hc), "%s", cs);
	/* what matters most first: narrow terminals cut the tail */
	int k = snprintf(line, sizeof(line), " diskatlas | view %s | 1 cell = "
			 "%s | @ 0x%" PRIx64 " |", v->name, hc, v->cursor);
	if (k > u->cols)           /* narrow: the zoom before the name */
		k = snprintf(line, sizeof(line), " 1 cell = %s | %s | @ 0x%"
			     PRIx64 " |", hc, v->name, v->cursor);
	for (size_t d = 0; d < u->m->ndisks && k < 900; d++) {
		char hs[32];
		da_human_size(u->m->disks[d].dev->size, hs, sizeof(hs));
		k += snprintf(line + k, sizeof(line) - (size_t)k,
			      d == u->disk ? " [%s %s]" : " %s %s",
			      u->m->disks[d].name, hs);
	}
	role_on(ROLE_TITLE);
	fill_line(0, 0, u->cols);
	put_text(0, 0, u->cols, line);
	role_on(ROLE_TEXT);
}

static void switch_disk(struct ui *u, int dir)
{
	size_t n = u->m->ndisks;
	if (n < 2) {
		ui_message(u, false, "only one disk");
		return;
	}
	u->disk = (u->disk + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
	view_clamp(u, view_cur(u));
	u->side_scroll = 0;
	ui_message(u, false, "disk %s", u->m->disks[u->disk].name);
}

static int title_key(struct ui *u, int ch, bool code)
{
	if (code && ch == KEY_F(1)) {
		u->help = true;
		u->help_scroll = 0;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (code && ch == KEY_F(10)) {
		u->exit_status = 0;
		return PANE_HANDLED | PANE_QUIT;
	}
	if (code) {
		if (ch != KEY_BTAB)
			return PANE_PASS;
		u->focus = u->focus == FOCUS_MAP ? FOCUS_SIDE : FOCUS_MAP;
		return PANE_HANDLED | PANE_REDRAW;
	}
	switch (ch) {
	case 'q': case 'Q':
		u->exit_status = 0;
		return PANE_HANDLED | PANE_QUIT;
	case '\t':
		u->focus = u->focus == FOCUS_MAP ? FOCUS_SIDE : FOCUS_MAP;
		break;
	case '[': switch_disk(u, -1); break;
	case ']': switch_disk(u, +1); break;
	case '?': u->help = true; u->help_scroll = 0; break;
	case 27: break;
	default: return PANE_PASS;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_class title_pane = {
	.name = "title",
	.draw = title_draw,
	.key = title_key,
};

/* The key hints of each screen, most needed first: a narrow line drops
 * whole hints from the end, never a word. */
static const char *const help_hints[] = {
	"Esc closes help", "arrows PgUp/PgDn Home/End scroll",
	"(any other key closes it too)", NULL,
};
static const char *const tree_hints[] = {
	"t/q/Esc close", "arrows select (the map follows)", "Enter into",
	NULL,
};
static const char *const hex_hints[] = {
	"x/q/Esc close", "Up/Down/PgUp/PgDn scroll", "Left/Right field", NULL,
};
static const char *const side_hints[] = {
	"Tab map", "arrows scroll", "q quit", "? help", NULL,
};
static const char *const map_hints[] = {
	"q quit", "? help", "+/- zoom", "Enter in", "Bksp out", "g go",
	"/ find", "n/N match", "e/E extent", "t tree", "x hex", "w holes",
	NULL,
};

/* " h1  h2  h3" with as many whole hints as fit in w columns. */
static void fit_hints(const char *const *h, int w, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	for (; *h; h++) {
		size_t n = strlen(*h);
		size_t sep = k ? 2 : 1;
		if ((int)(k + sep + n) > w || k + sep + n >= len)
			break;
		memcpy(buf + k, "  ", sep);
		memcpy(buf + k + sep, *h, n + 1);
		k += sep + n;
	}
}

/* Does the message already say what the right-hand field says (the
 * search's "match 2/11: ..." and the counter "match 2/11, 1 ext")?
 * The field's words up to its first comma, as whole words. */
static bool said_in(const char *msg, const char *field)
{
	while (*field == ' ')
		field++;
	size_t n = strcspn(field, ",");
	while (n && field[n - 1] == ' ')
		n--;
	if (!n)
		return false;
	for (const char *p = msg; (p = strstr(p, "match")) != NULL; p++)
		if (!strncmp(p, field, n) &&
		    !(p[n] >= '0' && p[n] <= '9'))
			return true;
	return false;
}

/* The status line: on the left the last message, else the key hints; on
 * the right a field for the state that lasts (holes, the background
 * work, the chosen match).  Neither overwrites the other: the field is
 * shown whole or not at all; hints give way to it a whole hint at a
 * time; a message is shown whole beside it when both fit, else the
 * message takes the line and the field waits for the next frame; a
 * field the message already says is not said twice. */
static void status_draw(struct ui *u)
{
	role_on(ROLE_STATUS);
	fill_line(u->status.y, 0, u->cols);
	char right[64] = "";
	bool indexing = !index_ready(u);
	if (u->show_holes && u->holes_known)
		snprintf(right, sizeof(right), " holes shown ");
	else if (u->show_holes)   /* drawn without them until known */
		snprintf(right, sizeof(right), " finding holes%s ",
			 draw_ellipsis());
	if (indexing && bg_index_phase(&u->index) == BG_SETTLING) {
		/* the filesystems' maps (ext's descriptors): the cells not
		 * read yet wait for them; short where the hints need room */
		snprintf(right, sizeof(right), " reading %s%s ",
			 u->cols < 80 ? "maps" : "the filesystems' maps",
			 draw_ellipsis());
	} else if (indexing) {
		int done, total;
		bg_index_progress(&u->index, &done, &total);
		snprintf(right, sizeof(right), " indexing files%s %d%% ",
			 draw_ellipsis(), total > 0 ? done * 100 / total : 0);
	} else {
		char found[64] = "";
		search_status(u, found, sizeof(found));   /* "3/12 ..." */
		if (found[0])
			snprintf(right, sizeof(right), "%s", found);
	}
	int rw = right[0] ? draw_text_cols(right) : 0;
	if (rw > u->cols)
		rw = 0;
	if (u->msg[0]) {
		char m[300];
		snprintf(m, sizeof(m), " %s ", u->msg);
		if (rw && (said_in(u->msg, right) ||
			   draw_text_cols(m) > u->cols - rw))
			rw = 0;
		role_on(u->msg_error ? ROLE_ERROR : ROLE_MESSAGE);
		put_text_cut(u->status.y, 0, u->cols - rw, m);
	} else {
		const char *const *h = u->help ? help_hints
			: u->tree ? tree_hints
			: u->hex ? hex_hints
			: u->focus == FOCUS_SIDE ? side_hints : map_hints;
		char hints[256];
		fit_hints(h, u->cols - rw, hints, sizeof(hints));
		put_text(u->status.y, 0, u->cols - rw, hints);
	}
	if (rw) {
		role_on(ROLE_MESSAGE);
		put_text(u->status.y, u->cols - rw, rw, right);
	}
	role_on(ROLE_TEXT);
}

const struct pane_class status_pane = {
	.name = "status",
	.draw = status_draw,
};
