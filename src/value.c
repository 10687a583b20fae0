/* Small JSON-shaped values: what plugins say about what they found, and
 * what --list prints.  Objects keep insertion order.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "value.h"

static struct da_value *value_new(enum da_value_type t)
{
	struct da_value *v = da_xcalloc(1, sizeof(*v));
	v->type = t;
	return v;
}

struct da_value *da_obj_new(void) { return value_new(DA_V_OBJ); }
struct da_value *da_arr_new(void) { return value_new(DA_V_ARR); }

struct da_value *da_str_new(const char *s)
{
	struct da_value *v = value_new(DA_V_STR);
	v->u.s = da_strdup(s ? s : "");
	return v;
}

struct da_value *da_int_new(int64_t i)
{
	struct da_value *v = value_new(DA_V_INT);
	v->u.i = i;
	return v;
}

struct da_value *da_uint_new(uint64_t u)
{
	struct da_value *v = value_new(DA_V_INT);
	v->u.i = (int64_t)u;
	v->uns = true;
	return v;
}

struct da_value *da_bool_new(bool b)
{
	struct da_value *v = value_new(DA_V_BOOL);
	v->u.b = b;
	return v;
}

static void container_push(struct da_value *c, const char *key,
			   struct da_value *v)
{
	if (c->u.c.n == c->u.c.cap) {
		size_t cap = c->u.c.cap ? c->u.c.cap * 2 : 8;
		struct da_value **nv = realloc(c->u.c.v, cap * sizeof(*nv));
		char **nk = realloc(c->u.c.keys, cap * sizeof(*nk));
		if (!nv || !nk)
			da_out_of_memory();
		c->u.c.v = nv;
		c->u.c.keys = nk;
		c->u.c.cap = cap;
	}
	c->u.c.keys[c->u.c.n] = key ? da_strdup(key) : NULL;
	c->u.c.v[c->u.c.n++] = v;
}

void da_obj_set(struct da_value *obj, const char *key, struct da_value *v)
{
	if (!obj || obj->type != DA_V_OBJ || !v) {
		da_value_free(v);
		return;
	}
	for (size_t i = 0; i < obj->u.c.n; i++) {
		if (strcmp(obj->u.c.keys[i], key) == 0) {
			da_value_free(obj->u.c.v[i]);
			obj->u.c.v[i] = v;
			return;
		}
	}
	container_push(obj, key, v);
}

void da_obj_set_str(struct da_value *obj, const char *key, const char *s)
{
	da_obj_set(obj, key, da_str_new(s));
}

void da_obj_set_int(struct da_value *obj, const char *key, int64_t i)
{
	da_obj_set(obj, key, da_int_new(i));
}

void da_obj_set_uint(struct da_value *obj, const char *key, uint64_t u)
{
	da_obj_set(obj, key, da_uint_new(u));
}

void da_obj_fill_int(struct da_value *obj, const char *key, int64_t i)
{
	struct da_value *v = da_obj_get(obj, key);
	if (v && v->type == DA_V_INT && !v->uns) {
		__atomic_store_n(&v->u.i, i, __ATOMIC_RELEASE);
		return;
	}
	da_obj_set_int(obj, key, i);
}

int64_t da_value_int(const struct da_value *v)
{
	return __atomic_load_n(&v->u.i, __ATOMIC_ACQUIRE);
}

void da_obj_set_bool(struct da_value *obj, const char *key, bool b)
{
	da_obj_set(obj, key, da_bool_new(b));
}

void da_arr_push(struct da_value *arr, struct da_value *v)
{
	if (!arr || arr->type != DA_V_ARR || !v) {
		da_value_free(v);
		return;
	}
	container_push(arr, NULL, v);
}

struct da_value *da_obj_get(const struct da_value *obj, const char *key)
{
	if (!obj || obj->type != DA_V_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->u.c.n; i++)
		if (strcmp(obj->u.c.keys[i], key) == 0)
			return obj->u.c.v[i];
	return NULL;
}

void da_value_free(struct da_value *v)
{
	if (!v)
		return;
	if (v->type == DA_V_STR) {
		free(v->u.s);
	} else if (v->type == DA_V_ARR || v->type == DA_V_OBJ) {
		for (size_t i = 0; i < v->u.c.n; i++) {
			da_value_free(v->u.c.v[i]);
			free(v->u.c.keys[i]);
		}
		free(v->u.c.v);
		free(v->u.c.keys);
	}
	free(v);
}

struct da_value *da_value_copy(const struct da_value *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case DA_V_NULL: return value_new(DA_V_NULL);
	case DA_V_BOOL: return da_bool_new(v->u.b);
	case DA_V_INT:
		return v->uns ? da_uint_new((uint64_t)v->u.i) : da_int_new(v->u.i);
	case DA_V_STR: return da_str_new(v->u.s);
	case DA_V_ARR:
	case DA_V_OBJ: {
		struct da_value *c = value_new(v->type);
		for (size_t i = 0; i < v->u.c.n; i++)
			container_push(c, v->u.c.keys[i],
				       da_value_copy(v->u.c.v[i]));
		return c;
	}
	}
	return NULL;
}

/* ---- strings from the image, for people and for JSON ---- */

/* The valid UTF-8 sequence at p: its length (1 to 4) with its code point
 * in *cp, or 0 when the byte at p does not begin one (a stray
 * continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF, a sequence cut short).  p is NUL-terminated, and NUL is never
 * a continuation byte, so this never reads past the end. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t len;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xc2 && b <= 0xdf) {
		len = 2; c = b & 0x1f; min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3; c = b & 0x0f; min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4; c = b & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that must not reach a terminal as they are: C0 controls,
 * DEL, C1 controls (0x9b is a CSI on some terminals), and the
 * bidirectional embeddings, overrides and isolates, which reorder what
 * follows them on screen. */
static bool hidden_char(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* The length of the run at p that both writers copy as it is: valid
 * UTF-8, nothing hidden, neither of the bytes a and b.  Written with one
 * fwrite: a call a character made --lookup - three times slower. */
static size_t plain_run(const unsigned char *p, unsigned char a,
			unsigned char b)
{
	size_t n = 0;
	for (;;) {
		if (p[n] == 0 || p[n] == a || p[n] == b)
			return n;
		if (p[n] >= 0x20 && p[n] < 0x7f) {
			n++;               /* printable ASCII: most of it */
			continue;
		}
		uint32_t c;
		size_t len = utf8_seq(p + n, &c);
		if (len == 0 || hidden_char(c))
			return n;
		n += len;
	}
}

void da_text_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t run = plain_run(p, '\\', '\\');
		if (run) {
			fwrite(p, 1, run, f);
			p += run;
			continue;
		}
		uint32_t c;
		size_t len = utf8_seq(p, &c);
		if (len == 0) {
			fprintf(f, "\\x%02x", *p++);
			continue;
		}
		switch (c) {
		case '\\': fputs("\\\\", f); break;
		case '\033': fputs("\\e", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x80)
				fprintf(f, "\\x%02x", (unsigned)c);
			else
				fprintf(f, "\\u%04x", (unsigned)c);
		}
		p += len;
	}
}

void da_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	fputc('"', f);
	while (*p) {
		size_t run = plain_run(p, '"', '\\');
		if (run) {
			fwrite(p, 1, run, f);
			p += run;
			continue;
		}
		uint32_t c;
		size_t len = utf8_seq(p, &c);
		if (len == 0) {
			/* not UTF-8: one replacement character a byte */
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			fprintf(f, "\\u%04x", (unsigned)c);
		}
		p += len;
	}
	fputc('"', f);
}

/* ---- JSON output ---- */

void da_json_value(FILE *f, const struct da_value *v)
{
	if (!v) {
		fputs("null", f);
		return;
	}
	switch (v->type) {
	case DA_V_NULL: fputs("null", f); break;
	case DA_V_BOOL: fputs(v->u.b ? "true" : "false", f); break;
	case DA_V_INT:
		if (v->uns)
			fprintf(f, "%llu", (unsigned long long)v->u.i);
		else
			fprintf(f, "%lld", (long long)v->u.i);
		break;
	case DA_V_STR: da_json_string(f, v->u.s); break;
	case DA_V_ARR:
		fputc('[', f);
		for (size_t i = 0; i < v->u.c.n; i++) {
			if (i)
				fputc(',', f);
			da_json_value(f, v->u.c.v[i]);
		}
		fputc(']', f);
		break;
	case DA_V_OBJ:
		fputc('{', f);
		for (size_t i = 0; i < v->u.c.n; i++) {
			if (i)
				fputc(',', f);
			da_json_string(f, v->u.c.keys[i]);
			fputc(':', f);
			da_json_value(f, v->u.c.v[i]);
		}
		fputc('}', f);
		break;
	}
}

bool da_prop_unknown(const char *const *unknown, const char *key,
		     const struct da_value *v)
{
	if (v->type != DA_V_INT || v->uns || da_value_int(v) != -1)
		return false;
	for (const char *const *k = unknown; k && *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

/* The members of obj (without braces), each preceded by a comma when
 * *first is false: lets a caller splice props into an object it writes. */
void da_json_members(FILE *f, const struct da_value *obj, bool *first)
{
	da_json_members_known(f, obj, first, NULL);
}

void da_json_members_known(FILE *f, const struct da_value *obj, bool *first,
			   const char *const *unknown)
{
	if (!obj || obj->type != DA_V_OBJ)
		return;
	for (size_t i = 0; i < obj->u.c.n; i++) {
		if (unknown && da_prop_unknown(unknown, obj->u.c.keys[i],
					       obj->u.c.v[i]))
			continue;
		if (!*first)
			fputc(',', f);
		*first = false;
		da_json_string(f, obj->u.c.keys[i]);
		fputc(':', f);
		da_json_value(f, obj->u.c.v[i]);
	}
}
