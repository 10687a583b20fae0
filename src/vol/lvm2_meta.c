/* The LVM2 text metadata format, as LVM writes it into a PV's metadata
 * area and into vgcfgbackup files:
 *
 *	vg0 {                        # a section
 *		id = "Xq3j4a-..."       # key = string (\" and \\ escaped)
 *		seqno = 7               # key = integer
 *		status = ["READ", "WRITE"]   # key = array of scalars
 *		physical_volumes { pv0 { ... } }
 *	}
 *
 * A bounded recursive-descent parser: text, nesting and item counts are
 * capped, and every failure says which line and why.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm2_meta.h"

struct parser {
	const char *p, *end;
	int line;
	struct lvm_meta *m;
	char *why;
	size_t whylen;
	bool failed;
};

static int perr(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *ps, const char *fmt, ...)
{
	if (ps->failed)
		return -1;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->why, ps->whylen, "line %d: %s", ps->line, msg);
	ps->failed = true;
	return -1;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+' ||
	       c == '-';
}

/* A new item; returns its index or -1. */
static int32_t new_item(struct parser *ps, enum lvm_type type,
			const char *key)
{
	struct lvm_meta *m = ps->m;
	if (m->nitems >= LVM_META_MAX_ITEMS)
		return perr(ps, "more than %u items", LVM_META_MAX_ITEMS);
	if (m->nitems == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct lvm_item *it = realloc(m->items, cap * sizeof(*it));
		if (!it)
			return perr(ps, "out of memory");
		m->items = it;
		m->cap = cap;
	}
	m->items[m->nitems] = (struct lvm_item){
		.key = key, .type = type, .child = -1, .next = -1 };
	return (int32_t)m->nitems++;
}

/* Room in the string pool: sized at parse start so that pointers into
 * it stay valid; the text cannot need more than twice its length. */
static char *pool_take(struct parser *ps, size_t n)
{
	struct lvm_meta *m = ps->m;
	if (n > m->capstrings - m->nstrings) {
		perr(ps, "string pool exhausted");
		return NULL;
	}
	char *s = m->strings + m->nstrings;
	m->nstrings += n;
	return s;
}

static const char *parse_ident(struct parser *ps)
{
	const char *s = ps->p;
	while (ps->p < ps->end && ident_char(*ps->p))
		ps->p++;
	size_t n = (size_t)(ps->p - s);
	if (n == 0) {
		if (ps->p < ps->end)
			perr(ps, "unexpected '%c'", *ps->p);
		else
			perr(ps, "unexpected end of text");
		return NULL;
	}
	char *k = pool_take(ps, n + 1);
	if (!k)
		return NULL;
	memcpy(k, s, n);
	k[n] = '\0';
	return k;
}

static const char *parse_string(struct parser *ps)
{
	int start_line = ps->line;
	ps->p++;                        /* the opening quote */
	const char *s = ps->p;
	size_t n = 0;
	/* first pass: find the end and the unescaped length */
	for (const char *q = s; ; q++) {
		if (q >= ps->end) {
			ps->line = start_line;
			perr(ps, "unterminated string");
			return NULL;
		}
		if (*q == '"')
			break;
		if (*q == '\\') {
			q++;
			if (q >= ps->end) {
				ps->line = start_line;
				perr(ps, "unterminated string");
				return NULL;
			}
		}
		n++;
	}
	char *out = pool_take(ps, n + 1);
	if (!out)
		return NULL;
	size_t k = 0;
	while (*ps->p != '"') {
		if (*ps->p == '\\')
			ps->p++;
		if (*ps->p == '\n')
			ps->line++;
		out[k++] = *ps->p++;
	}
	ps->p++;                        /* the closing quote */
	out[k] = '\0';
	return out;
}

/* A scalar: string, integer or float.  Returns the item index or -1. */
static int32_t parse_scalar(struct parser *ps, const char *key)
{
	if (ps->p >= ps->end)
		return perr(ps, "unexpected end of text, expected a value");
	char c = *ps->p;
	if (c == '"') {
		const char *s = parse_string(ps);
		if (!s)
			return -1;
		int32_t i = new_item(ps, LVM_STR, key);
		if (i >= 0)
			ps->m->items[i].s = s;
		return i;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		const char *s = ps->p;
		bool neg = c == '-', dot = false;
		uint64_t v = 0;
		int digits = 0;
		if (neg)
			ps->p++;
		while (ps->p < ps->end) {
			char d = *ps->p;
			if (d >= '0' && d <= '9') {
				if (!dot) {
					if (v > (UINT64_MAX - 9) / 10)
						return perr(ps, "integer too "
							    "large");
					v = v * 10 + (uint64_t)(d - '0');
				}
				digits++;
			} else if (d == '.' && !dot) {
				dot = true;
			} else {
				break;
			}
			ps->p++;
		}
		if (!digits)
			return perr(ps, "malformed number");
		if (ps->p < ps->end && ident_char(*ps->p))
			return perr(ps, "malformed number");
		if (dot) {
			size_t n = (size_t)(ps->p - s);
			char *t = pool_take(ps, n + 1);
			if (!t)
				return -1;
			memcpy(t, s, n);
			t[n] = '\0';
			int32_t i = new_item(ps, LVM_FLOAT, key);
			if (i >= 0)
				ps->m->items[i].s = t;
			return i;
		}
		if (v > (uint64_t)INT64_MAX + neg)
			return perr(ps, "integer too large");
		int32_t i = new_item(ps, LVM_INT, key);
		if (i >= 0)
			ps->m->items[i].i = neg ? (int64_t)(0 - v) : (int64_t)v;
		return i;
	}
	return perr(ps, "unexpected '%c', expected a value", c);
}

static int32_t parse_array(struct parser *ps, const char *key)
{
	int32_t arr = new_item(ps, LVM_ARRAY, key);
	if (arr < 0)
		return -1;
	ps->p++;                        /* '[' */
	int32_t last = -1;
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end)
			return perr(ps, "unterminated array");
		if (*ps->p == ']') {
			ps->p++;
			return arr;
		}
		if (*ps->p == '[')
			return perr(ps, "nested array");
		int32_t el = parse_scalar(ps, NULL);
		if (el < 0)
			return -1;
		if (last < 0)
			ps->m->items[arr].child = el;
		else
			ps->m->items[last].next = el;
		last = el;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',')
			ps->p++;
		else if (ps->p < ps->end && *ps->p != ']')
			return perr(ps, "expected ',' or ']' in array");
	}
}

/* Members of a section up to its '}' (or the end of the text at the
 * top level).  Appends them as children of sec. */
static int parse_members(struct parser *ps, int32_t sec, int depth)
{
	int32_t last = -1;
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end) {
			if (depth > 0)
				return perr(ps, "unterminated section");
			return 0;
		}
		if (*ps->p == '}') {
			if (depth == 0)
				return perr(ps, "unbalanced '}'");
			ps->p++;
			return 0;
		}
		const char *key = parse_ident(ps);
		if (!key)
			return -1;
		skip_space(ps);
		int32_t it;
		if (ps->p < ps->end && *ps->p == '{') {
			if (depth + 1 >= LVM_META_MAX_DEPTH)
				return perr(ps, "sections nested deeper than "
					    "%d", LVM_META_MAX_DEPTH);
			ps->p++;
			it = new_item(ps, LVM_SECTION, key);
			if (it < 0 || parse_members(ps, it, depth + 1) < 0)
				return -1;
		} else if (ps->p < ps->end && *ps->p == '=') {
			ps->p++;
			skip_space(ps);
			if (ps->p < ps->end && *ps->p == '[')
				it = parse_array(ps, key);
			else
				it = parse_scalar(ps, key);
			if (it < 0)
				return -1;
		} else {
			return perr(ps, "expected '=' or '{' after \"%.40s\"",
				    key);
		}
		if (last < 0)
			ps->m->items[sec].child = it;
		else
			ps->m->items[last].next = it;
		last = it;
	}
}

int da_lvm_meta_parse(const char *text, size_t len, struct lvm_meta *out,
		      char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	while (len > 0 && text[len - 1] == '\0')
		len--;
	if (len > LVM_META_MAX_TEXT) {
		snprintf(why, whylen, "metadata text of %zu bytes (more than "
			 "%u)", len, LVM_META_MAX_TEXT);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		snprintf(why, whylen, "NUL byte inside the metadata text");
		return -1;
	}
	out->capstrings = 2 * len + 16;
	out->strings = malloc(out->capstrings);
	if (!out->strings) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	struct parser ps = { .p = text, .end = text + len, .line = 1,
			     .m = out, .why = why, .whylen = whylen };
	int32_t root = new_item(&ps, LVM_SECTION, "");
	if (root < 0 || parse_members(&ps, root, 0) < 0) {
		da_lvm_meta_free(out);
		return -1;
	}
	return 0;
}

void da_lvm_meta_free(struct lvm_meta *m)
{
	free(m->items);
	free(m->strings);
	memset(m, 0, sizeof(*m));
}

const struct lvm_item *da_lvm_first(const struct lvm_meta *m,
				    const struct lvm_item *it)
{
	if (!it || it->child < 0 || (size_t)it->child >= m->nitems)
		return NULL;
	return &m->items[it->child];
}

const struct lvm_item *da_lvm_next(const struct lvm_meta *m,
				   const struct lvm_item *it)
{
	if (!it || it->next < 0 || (size_t)it->next >= m->nitems)
		return NULL;
	return &m->items[it->next];
}

const struct lvm_item *da_lvm_get(const struct lvm_meta *m,
				  const struct lvm_item *sec, const char *key)
{
	if (!sec || sec->type != LVM_SECTION)
		return NULL;
	for (const struct lvm_item *c = da_lvm_first(m, sec); c;
	     c = da_lvm_next(m, c))
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

bool da_lvm_get_int(const struct lvm_meta *m, const struct lvm_item *sec,
		    const char *key, int64_t *out)
{
	const struct lvm_item *it = da_lvm_get(m, sec, key);
	if (!it || it->type != LVM_INT)
		return false;
	*out = it->i;
	return true;
}

const char *da_lvm_get_str(const struct lvm_meta *m,
			   const struct lvm_item *sec, const char *key)
{
	const struct lvm_item *it = da_lvm_get(m, sec, key);
	return it && it->type == LVM_STR ? it->s : NULL;
}

const struct lvm_item *da_lvm_get_section(const struct lvm_meta *m,
					  const struct lvm_item *sec,
					  const char *key)
{
	const struct lvm_item *it = da_lvm_get(m, sec, key);
	return it && it->type == LVM_SECTION ? it : NULL;
}

bool da_lvm_has_flag(const struct lvm_meta *m, const struct lvm_item *sec,
		     const char *key, const char *flag)
{
	const struct lvm_item *a = da_lvm_get(m, sec, key);
	if (!a || a->type != LVM_ARRAY)
		return false;
	for (const struct lvm_item *e = da_lvm_first(m, a); e;
	     e = da_lvm_next(m, e))
		if (e->type == LVM_STR && strcmp(e->s, flag) == 0)
			return true;
	return false;
}
