/* Small helpers shared by the engine: errors, the debug trace, CRC-32,
 * strings and GUIDs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

int da_debug;

static void (*oom_handler)(void);

void da_set_oom_handler(void (*fn)(void))
{
	oom_handler = fn;
}

void da_out_of_memory(void)
{
	static const char msg[] = "diskatlas: out of memory\n";
	if (oom_handler)
		oom_handler();
	/* write(2), not stdio: stdio may need the memory that is missing */
	ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(1);
}

int da_error_set(da_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return -1;
}

void da_trace(const char *fmt, ...)
{
	if (!da_debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* one line at a time, even from the background index thread */
	flockfile(stderr);
	fputs("diskatlas: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

static uint32_t crc_table[8][256];

/* the reflected IEEE polynomial, one entry per byte value; table k is a
 * byte followed by k zero bytes, so that eight bytes take one step */
static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (int k = 1; k < 8; k++)
		for (int i = 0; i < 256; i++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
				crc_table[0][crc_table[k - 1][i] & 0xff];
}

uint32_t da_crc32(uint32_t crc, const void *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_init);
	const uint32_t (*t)[256] = crc_table;
	const uint8_t *p = buf;
	crc = ~crc;
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
		      t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
		      t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
	}
	while (len--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

char *da_strdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		da_out_of_memory();
	return d;
}

void *da_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		da_out_of_memory();
	return p;
}

char *da_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		da_out_of_memory();
	return s;
}

void da_guid_str(const uint8_t g[16], char *buf)
{
	snprintf(buf, 37,
		 "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11],
		 g[12], g[13], g[14], g[15]);
}

void da_uuid_str(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

size_t da_put_utf8(char *out, size_t n, size_t cap, uint32_t cp)
{
	char b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	if (n + k < cap) {
		memcpy(out + n, b, k);
		n += k;
	}
	out[n] = 0;
	return n;
}
