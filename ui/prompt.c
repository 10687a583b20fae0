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

/* text cut to w columns, ending in an ellipsis when it had to be. */
static void cut_cols(const char *text, int w, char *buf, size_t len)
{
	const char *ell = draw_ellipsis();
	int ew = draw_unicode() ? 1 : 3;
	size_t k = 0, keep = 0;
	int cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t left = strlen(text);
	while (left) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, text + k, left, &st);
		int cw = 1;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof(st));
			n = 1;
		} else if (wcwidth(wc) >= 0) {
			cw = wcwidth(wc);
		}
		if (cols + cw <= w - ew)
			keep = k + n;     /* room for an ellipsis after it */
		cols += cw;
		if (cols > w)
			break;
		k += n;
		left -= n;
	}
	if (!left) {                  /* it all fits */
		snprintf(buf, len, "%s", text);
		return;
	}
	snprintf(buf, len, "%.*s%s", (int)keep, text, ell);
}

/* An error about what was typed, "INPUT: reason": a long input is cut so
 * that the reason stays on the status line. */
static void input_error(struct ui *u, const char *text, const char *reason)
{
	int room = u->cols - 2 - draw_text_cols(reason);
	char cut[sizeof(u->pbuf) + 8];
	cut_cols(text, room > 12 ? room : 12, cut, sizeof(cut));
	ui_message(u, true, "%s%s", cut, reason);
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
		size_t tl = strlen(text);
		if (da_parse_where_dev(u->m, text, &dev, &off, &err) < 0) {
			/* the engine's "INPUT: reason" */
			if (!strncmp(err.msg, text, tl))
				input_error(u, text, err.msg + tl);
			else
				ui_message(u, true, "%s", err.msg);
		} else if (view_goto_space(u, dev, off) < 0 &&
			   (dev->is_disk || view_enter_space(u, dev, off) < 0)) {
			input_error(u, text, " lies on no disk here");
		}
		return;
	}
	uint64_t off;
	if (parse_go(u, text, &off) < 0) {
		input_error(u, text, ": not an offset (try 1048576, 0x100000, "
			    "1M or 2048s)");
		return;
	}
	if (off >= v->size) {
		char why[300];
		snprintf(why, sizeof(why), " is past the end of %s (%" PRIu64
			 " bytes)", v->name, v->size);
		input_error(u, text, why);
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
