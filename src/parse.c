/* Offsets as people type them, and sizes as people read them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>

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

void da_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	int u = 0;
	double v = (double)bytes;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else if (v < 10 && v != (double)(uint64_t)v)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
}
