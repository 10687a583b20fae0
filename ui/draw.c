/* The drawing toolkit's text: cut to columns, blanks, rules.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"

static bool unicode;

void draw_set_unicode(bool on)
{
	unicode = on;
}

bool draw_unicode(void)
{
	return unicode;
}

const char *draw_ellipsis(void)
{
	return unicode ? "\u2026" : "...";
}

const char *draw_hrule(void)
{
	return unicode ? "\u2500" : "-";
}

const char *draw_vrule(void)
{
	return unicode ? "\u2502" : "|";
}

void put_text(int y, int x, int w, const char *s)
{
	wchar_t buf[512];
	int n = 0, cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t len = strlen(s);
	while (len > 0 && n < 511) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, len, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			k = 1;
		}
		int cw = wcwidth(wc);
		if (cw < 0) {
			wc = L'?';
			cw = 1;
		}
		if (cols + cw > w)
			break;
		buf[n++] = wc;
		cols += cw;
		s += k;
		len -= k;
	}
	buf[n] = 0;
	if (n)
		mvaddnwstr(y, x, buf, n);
}

int draw_text_cols(const char *s)
{
	wchar_t w[256];
	size_t n = mbstowcs(w, s, 255);
	if (n == (size_t)-1)
		return (int)strlen(s);
	w[n] = 0;
	int c = wcswidth(w, n);
	return c < 0 ? (int)n : c;
}

void put_text_cut(int y, int x, int w, const char *s)
{
	if (draw_text_cols(s) <= w) {
		put_text(y, x, w, s);
		return;
	}
	int dw = unicode ? 1 : 3;
	put_text(y, x, w - dw, s);
	mvaddstr(y, x + w - dw, draw_ellipsis());
}

void fill_line(int y, int x, int w)
{
	move(y, x);
	for (int i = 0; i < w; i++)
		addch(' ');
}

const char *draw_cell_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	int u = 0;
	while (u < 6 && bytes >> (10 * (u + 1)))
		u++;
	if (!u) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	/* tenths, truncated; from the part below the unit, since bytes * 10
	 * could overflow (rest * 10 < 10 << 60 cannot) */
	uint64_t whole = bytes >> (10 * u);
	uint64_t rest = bytes & ((1ull << (10 * u)) - 1);
	unsigned tenth = (unsigned)(rest * 10 >> (10 * u));
	if (tenth)
		snprintf(buf, len, "%" PRIu64 ".%u %s", whole, tenth, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 " %s", whole, units[u]);
	return buf;
}
