/* Offsets as people type them, and sizes as people read them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int da_parse_offset(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	const char *p = s;
	if (!s || !*s)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	const char *digits = p;
	for (; *p; p++) {
		unsigned d;
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (!mul_ok(v, base, &v) || !add_ok(v, d, &v))
			return -1;
	}
	if (p == digits)
		return -1;
	uint64_t mult = 1;
	switch (*p) {
	case '\0': break;
	case 's': case 'S': mult = 512; p++; break;
	case 'k': case 'K': mult = 1ull << 10; p++; break;
	case 'm': case 'M': mult = 1ull << 20; p++; break;
	case 'g': case 'G': mult = 1ull << 30; p++; break;
	case 't': case 'T': mult = 1ull << 40; p++; break;
	default: return -1;
	}
	/* accept "KiB"/"KB"-style tails after a size suffix */
	if (mult > 512 && (*p == 'i' || *p == 'I'))
		p++;
	if (mult > 512 && (*p == 'b' || *p == 'B'))
		p++;
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	if (!mul_ok(v, mult, &v))
		return -1;
	*out = v;
	return 0;
}

/* What printf("%.1f") or ("%.0f") makes of d / 2^shift (d an integer, so
 * the value is exact): rounded to the nearest, a tie to even, as glibc's
 * printf does, in integers (the explorer and --lookup call this for every
 * line). */
static uint64_t round_shift(unsigned __int128 d, int shift)
{
	unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
	unsigned __int128 r = d & ((half << 1) - 1);
	uint64_t q = (uint64_t)(d >> shift);
	return q + (r > half || (r == half && (q & 1)));
}

static char *put_dec(char *p, uint64_t v)
{
	char t[20];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = t[--n];
	return p;
}

void da_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	/* the size as a double (53 bits, as it used to be printed), an exact
	 * integer: its value in unit u is d / 2^(10u) */
	unsigned __int128 d = (unsigned __int128)(double)bytes;
	int u = 0;
	while (u < 6 && d >> (10 * (u + 1)))
		u++;
	char t[48], *p = t;
	int shift = 10 * u;
	if (u == 0) {
		p = put_dec(p, bytes);
	} else if (d >> shift < 10 && (d & (((unsigned __int128)1 << shift) - 1))) {
		/* below 10 with a fraction: one decimal */
		uint64_t tenths = round_shift(d * 10, shift);
		p = put_dec(p, tenths / 10);
		*p++ = '.';
		*p++ = (char)('0' + tenths % 10);
	} else {
		p = put_dec(p, round_shift(d, shift));
	}
	*p++ = ' ';
	for (const char *s = units[u]; *s; s++)
		*p++ = *s;
	if (!len)
		return;
	size_t n = (size_t)(p - t) < len - 1 ? (size_t)(p - t) : len - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
}
