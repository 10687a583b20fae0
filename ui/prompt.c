/* The one-line prompt for g (go to an offset) and / (find owners and
 * files: search.c), and the jump g makes.  While open, the prompt is a
 * pane over the status line that takes every key.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

void prompt_start(struct ui *u, int kind)
{
	u->prompt = kind;
	u->plen = 0;
	u->pbuf[0] = '\0';
	u->msg[0] = '\0';
}

/* An offset as g takes it, da_parse_offset's forms with one difference:
 * s counts the disk's own logical sectors (4096 bytes on a 4K-native
 * disk), as it does in --lookup. */
static int parse_go(const struct ui *u, const char *text, uint64_t *off)
{
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n < 2 || n > 64 || (text[n - 1] != 's' && text[n - 1] != 'S'))
		return da_parse_offset(text, off);
	char buf[72];
	uint64_t v, ss = view_sector_size(u);
	memcpy(buf, text, n - 1);
	buf[n - 1] = '\0';
	/* a plain number before the s: "1Ms" is no offset */
	if (!isxdigit((unsigned char)buf[n - 2]) ||
	    da_parse_offset(buf, &v) < 0 || v > UINT64_MAX / ss)
		return -1;
	*off = v * ss;
	return 0;
}

static void go_offset(struct ui *u, const char *text)
{
	struct view *v = view_cur(u);
	if (strrchr(text, ':')) {
		/* NAME:OFFSET: a disk, or a volume (its view if one is
		 * open, else the disk byte it lives on) */
		struct da_device *dev;
		uint64_t off;
		da_error err = { 0 };
		if (da_parse_where_dev(u->m, text, &dev, &off, &err) < 0)
			ui_message(u, true, "%s", err.msg);
		else if (view_goto_space(u, dev, off) < 0 &&
			 (dev->is_disk || view_enter_space(u, dev, off) < 0))
			ui_message(u, true, "%s lies on no disk here", text);
		return;
	}
	uint64_t off;
	if (parse_go(u, text, &off) < 0) {
		ui_message(u, true, "%s: not an offset (try 1048576, 0x100000, "
			   "1M or 2048s)", text);
		return;
	}
	if (off >= v->size) {
		ui_message(u, true, "%s is past the end of %s (%" PRIu64
			   " bytes)", text, v->name, v->size);
		return;
	}
	view_set_cursor(u, v, off);
}

static void run_prompt(struct ui *u)
{
	char text[sizeof(u->pbuf)];
	snprintf(text, sizeof(text), "%s", u->pbuf);
	int kind = u->prompt;
	u->prompt = 0;
	if (!text[0])
		return;
	if (kind == 'g')
		go_offset(u, text);
	else
		search_run(u, text);
}

static int prompt_key(struct ui *u, int ch, bool is_key_code)
{
	if (!u->prompt)
		return PANE_PASS;
	if ((!is_key_code && (ch == 27 || ch == 7)) ||
	    (is_key_code && ch == KEY_EXIT)) {
		u->prompt = 0;
		ui_message(u, false, "cancelled");
		return PANE_HANDLED | PANE_REDRAW;
	}
	if ((!is_key_code && (ch == '\n' || ch == '\r')) ||
	    (is_key_code && ch == KEY_ENTER)) {
		run_prompt(u);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if ((is_key_code && ch == KEY_BACKSPACE) ||
	    (!is_key_code && (ch == 127 || ch == 8))) {
		/* drop one character, with its UTF-8 continuation bytes */
		while (u->plen > 0 &&
		       ((unsigned char)u->pbuf[u->plen - 1] & 0xc0) == 0x80)
			u->plen--;
		if (u->plen > 0)
			u->plen--;
		u->pbuf[u->plen] = '\0';
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!is_key_code && ch == 21) {   /* ^U */
		u->plen = 0;
		u->pbuf[0] = '\0';
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!is_key_code && ch >= 32) {
		char mb[8];
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		size_t k = wcrtomb(mb, (wchar_t)ch, &st);
		if (k == (size_t)-1 || u->plen + (int)k >= (int)sizeof(u->pbuf))
			return PANE_HANDLED;
		memcpy(u->pbuf + u->plen, mb, k);
		u->plen += (int)k;
		u->pbuf[u->plen] = '\0';
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static void prompt_draw(struct ui *u)
{
	role_on(ROLE_PROMPT);
	fill_line(u->status.y, 0, u->cols);
	char line[320];
	snprintf(line, sizeof(line), "%s %s",
		 u->prompt == 'g' ? "go to offset:" : "find owner or file:",
		 u->pbuf);
	put_text(u->status.y, 0, u->cols - 1, line);
	int len = (int)strlen(line);
	curs_set(1);
	move(u->status.y, len < u->cols - 1 ? len : u->cols - 1);
	role_on(ROLE_TEXT);
}

const struct pane_class prompt_pane = {
	.name = "prompt",
	.draw = prompt_draw,
	.key = prompt_key,
};
