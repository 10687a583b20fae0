/* The known fields of on-disk structures, as tables (name, offset,
 * length, format), and where each structure lies in an owner's space,
 * chosen by the owner's kind, format and role at a byte.  No curses, no
 * explorer state: the hex screen (hex.c) draws what this finds.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FIELDS_H
#define DA_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct da_owner;

enum fld_fmt {
	F_HEX,                 /* bytes as hex */
	F_ASCII,               /* text to its first NUL, other bytes '.' */
	F_U8, F_LE16, F_LE32, F_LE64, F_BE16, F_BE32, F_BE64,
	F_GUID,                /* a GPT GUID (first three parts LE) */
	F_UUID,                /* 16 bytes as they are */
	F_UTF16,               /* UTF-16LE text */
};

struct fld {
	const char *name;
	uint32_t off, len;
	enum fld_fmt fmt;
};

struct fld_struct {
	const char *name;
	const struct fld *f;
	int nf;
	uint32_t size;         /* bytes of one copy */
};

/* One structure found: its table and where it starts in the owner's
 * space; a repeated one (GPT entries) is one hit a copy, numbered. */
struct fld_hit {
	const struct fld_struct *s;
	uint64_t base;
	int number;            /* 1.. for repeated entries, else 0 */
};

/* The structures of owner w (one of the owners of a byte, w->offset in
 * its space) that overlap [w->offset, w->offset + span) of that space;
 * how many were written (at most max). */
int fields_find(const struct da_owner *w, uint64_t span,
		struct fld_hit *out, int max);
/* A field's value as text from its bytes (f->len of them). */
void fields_value(const struct fld *f, const uint8_t *b, char *out,
		  size_t len);

#endif
