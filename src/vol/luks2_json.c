/* The LUKS2 JSON metadata (cryptsetup's docs/on-disk-format-luks2.pdf):
 * an object with "keyslots", "tokens", "segments", "digests" and
 * "config".  Objects are keyed by decimal ids; 64-bit offsets and sizes
 * are decimal strings (JSON numbers lose precision past 2^53).  Parsed
 * with json-c, bounded in length and depth; every offset is checked
 * against the device.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../dl.h"
#include "luks.h"

/* json-c is loaded when the first LUKS2 header is read (dl.h) */
#define JSON_FUNCS(X) X(json_object_array_get_idx) X(json_object_array_length) \
	X(json_object_get_int64) X(json_object_get_object) \
	X(json_object_get_string) X(json_object_is_type) \
	X(json_object_object_get_ex) X(json_object_object_length) \
	X(json_object_put) X(json_tokener_error_desc) X(json_tokener_free) \
	X(json_tokener_get_error) X(json_tokener_get_parse_end) \
	X(json_tokener_new_ex) X(json_tokener_parse_ex)
DA_DL_DECLARE(jsonc, JSON_FUNCS)
DA_DL_DEFINE(jsonc, JSON_FUNCS, "libjson-c.so.5",
	     "LUKS2 metadata needs json-c", "libjson-c5")
#define J (da_dl_jsonc(NULL))
/* json_object_object_foreach names it */
#define json_object_get_object(o) (J->json_object_get_object(o))

static void problem(struct luks_meta *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct luks_meta *m, const char *fmt, ...)
{
	if (m->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->problem, sizeof(m->problem), fmt, ap);
	va_end(ap);
}

static struct json_object *get(struct json_object *o, const char *key,
			       enum json_type type)
{
	struct json_object *v;
	if (!o || !J->json_object_object_get_ex(o, key, &v) ||
	    !J->json_object_is_type(v, type))
		return NULL;
	return v;
}

static void get_str(struct json_object *o, const char *key, char *out,
		    size_t len)
{
	struct json_object *v = get(o, key, json_type_string);
	snprintf(out, len, "%s", v ? J->json_object_get_string(v) : "");
}

/* A decimal string ("32768"), as the format stores 64-bit values. */
static bool dec_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' ||
		    !mul_ok(v, 10, &v) || !add_ok(v, (uint64_t)(*s - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

static bool get_u64(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v = get(o, key, json_type_string);
	return v && dec_u64(J->json_object_get_string(v), out);
}

static int64_t get_int(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v = get(o, key, json_type_int);
	return v ? J->json_object_get_int64(v) : dflt;
}

/* An object's id: "0".."31" (more is not LUKS2). */
static int id_of(const char *key, int max)
{
	uint64_t v;
	if (!dec_u64(key, &v) || v >= (uint64_t)max || strlen(key) > 3)
		return -1;
	return (int)v;
}

static void parse_slot(struct luks_meta *m, int id, struct json_object *o,
		       uint64_t dev_size)
{
	if (m->nslots >= LUKS_MAX_SLOTS)
		return;
	struct luks_slot *s = &m->slots[m->nslots++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->active = true;
	s->digest = -1;
	get_str(o, "type", s->type, sizeof(s->type));
	int64_t ks = get_int(o, "key_size", 0);
	s->key_size = ks > 0 && ks <= 4096 ? (uint32_t)ks : 0;
	s->priority = (int)get_int(o, "priority", 1);
	struct json_object *area = get(o, "area", json_type_object);
	get_str(area, "encryption", s->cipher, sizeof(s->cipher));
	int64_t aks = get_int(area, "key_size", 0);
	s->area_key_size = aks > 0 && aks <= 4096 ? (uint32_t)aks : 0;
	if (!get_u64(area, "offset", &s->off) ||
	    !get_u64(area, "size", &s->size))
		problem(m, "key slot %d: area without offset or size", id);
	else if (!range_ok(s->off, s->size, dev_size) || !s->size)
		problem(m, "key slot %d: area %llu+%llu lies outside the "
			"device (%llu bytes)", id, (unsigned long long)s->off,
			(unsigned long long)s->size,
			(unsigned long long)dev_size);
	else
		s->area_ok = true;
	struct json_object *kdf = get(o, "kdf", json_type_object);
	get_str(kdf, "type", s->kdf, sizeof(s->kdf));
	get_str(kdf, "hash", s->hash, sizeof(s->hash));
	s->iterations = get_int(kdf, "iterations", get_int(kdf, "time", 0));
	s->memory = get_int(kdf, "memory", 0);
	s->parallel = get_int(kdf, "cpus", 0);
	struct json_object *af = get(o, "af", json_type_object);
	int64_t st = get_int(af, "stripes", 0);
	s->stripes = st > 0 && st < (1 << 20) ? (uint32_t)st : 0;
	if (!strcmp(s->type, "reencrypt"))
		m->reencrypt = true;
}

static void parse_seg(struct luks_meta *m, int id, struct json_object *o)
{
	if (m->nsegs >= LUKS_MAX_SEGS)
		return;
	struct luks_seg *s = &m->segs[m->nsegs++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	get_str(o, "type", s->type, sizeof(s->type));
	get_str(o, "encryption", s->cipher, sizeof(s->cipher));
	get_str(o, "integrity", s->integrity, sizeof(s->integrity));
	struct json_object *integ = get(o, "integrity", json_type_object);
	if (integ)
		get_str(integ, "type", s->integrity, sizeof(s->integrity));
	int64_t ss = get_int(o, "sector_size", 512);
	s->sector_size = ss == 512 || ss == 1024 || ss == 2048 || ss == 4096
			 ? (uint32_t)ss : 0;
	if (!strcmp(s->type, "crypt") && !s->sector_size)
		problem(m, "segment %d: sector size %lld", id, (long long)ss);
	get_u64(o, "iv_tweak", &s->iv_tweak);
	struct json_object *sz = get(o, "size", json_type_string);
	/* checked against the device by the caller: with a detached
	 * header, the data lies on another device */
	if (!get_u64(o, "offset", &s->off))
		problem(m, "segment %d: no offset", id);
	if (sz && !strcmp(J->json_object_get_string(sz), "dynamic"))
		s->dynamic = true;
	else if (!get_u64(o, "size", &s->size))
		problem(m, "segment %d: bad size", id);
	if (!strncmp(s->type, "hw-opal", 7))
		m->opal = true;
	struct json_object *fl = get(o, "flags", json_type_array);
	for (size_t i = 0; fl && i < J->json_object_array_length(fl) && i < 16;
	     i++) {
		struct json_object *f = J->json_object_array_get_idx(fl, i);
		if (J->json_object_is_type(f, json_type_string) &&
		    !strncmp(J->json_object_get_string(f), "backup-", 7))
			s->backup = true;
	}
}

/* A list of ids (["0","1"]) as a bit set. */
static uint32_t id_set(struct json_object *arr, int max)
{
	uint32_t set = 0;
	for (size_t i = 0; arr && i < J->json_object_array_length(arr) && i < 64;
	     i++) {
		struct json_object *e = J->json_object_array_get_idx(arr, i);
		int id = J->json_object_is_type(e, json_type_string)
			 ? id_of(J->json_object_get_string(e), max) : -1;
		if (id >= 0)
			set |= 1u << id;
	}
	return set;
}

static void parse_digest(struct luks_meta *m, int id, struct json_object *o)
{
	if (m->ndigests >= LUKS_MAX_DIGESTS)
		return;
	struct luks_digest *d = &m->digests[m->ndigests++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	get_str(o, "type", d->type, sizeof(d->type));
	get_str(o, "hash", d->hash, sizeof(d->hash));
	d->iterations = get_int(o, "iterations", 0);
	/* base64: 4 characters for 3 bytes, '=' pads */
	char b64[1024];
	get_str(o, "digest", b64, sizeof(b64));
	size_t bl = strlen(b64);
	while (bl && b64[bl - 1] == '=')
		bl--;
	d->bytes = (uint32_t)(bl * 3 / 4);
	d->slots = id_set(get(o, "keyslots", json_type_array), LUKS_MAX_SLOTS);
	d->segs = id_set(get(o, "segments", json_type_array), 32);
	for (int i = 0; i < m->nslots; i++)
		if (d->slots & (1u << m->slots[i].id))
			m->slots[i].digest = id;
}

/* The strings of an array, joined with commas. */
static void join(struct json_object *arr, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; arr && i < J->json_object_array_length(arr) && i < 16;
	     i++) {
		struct json_object *e = J->json_object_array_get_idx(arr, i);
		if (!J->json_object_is_type(e, json_type_string))
			continue;
		size_t l = strlen(out);
		snprintf(out + l, len - l, "%s%s", l ? "," : "",
			 J->json_object_get_string(e));
	}
}

static int cmp_slot(const void *a, const void *b)
{
	const struct luks_slot *x = a, *y = b;
	return x->id - y->id;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct luks_seg *x = a, *y = b;
	return x->id - y->id;
}

bool luks2_parse_json(const char *text, size_t len, uint64_t dev_size,
		      struct luks_meta *m)
{
	/* the area is NUL-padded: the text ends at the first NUL */
	size_t n = strnlen(text, len);
	if (n == len) {
		problem(m, "JSON area is not terminated within its %zu bytes",
			len);
		return false;
	}
	if (n > (size_t)INT32_MAX) {
		problem(m, "JSON area too large");
		return false;
	}
	const char *need = NULL;
	if (!da_dl_jsonc(&need)) {
		problem(m, "%s", need);
		return false;
	}
	struct json_tokener *tok = J->json_tokener_new_ex(LUKS2_MAX_JSON_DEPTH);
	if (!tok) {
		problem(m, "out of memory");
		return false;
	}
	struct json_object *root = J->json_tokener_parse_ex(tok, text, (int)n);
	enum json_tokener_error je = J->json_tokener_get_error(tok);
	size_t used = J->json_tokener_get_parse_end(tok);
	J->json_tokener_free(tok);
	if (!root || je != json_tokener_success) {
		if (je == json_tokener_error_depth)
			problem(m, "JSON metadata nests deeper than %d levels",
				LUKS2_MAX_JSON_DEPTH);
		else
			problem(m, "JSON metadata does not parse at byte %zu: "
				"%s", used,
				je == json_tokener_continue
				? "truncated" : J->json_tokener_error_desc(je));
		J->json_object_put(root);
		return false;
	}
	if (!J->json_object_is_type(root, json_type_object)) {
		problem(m, "JSON metadata is not an object");
		J->json_object_put(root);
		return false;
	}
	struct json_object *slots = get(root, "keyslots", json_type_object);
	struct json_object *segs = get(root, "segments", json_type_object);
	struct json_object *digs = get(root, "digests", json_type_object);
	struct json_object *cfg = get(root, "config", json_type_object);
	struct json_object *toks = get(root, "tokens", json_type_object);
	if (!slots || !segs || !digs || !cfg) {
		problem(m, "JSON metadata lacks %s", !slots ? "keyslots" :
			!segs ? "segments" : !digs ? "digests" : "config");
		J->json_object_put(root);
		return false;
	}
	if (!get_u64(cfg, "json_size", &m->json_size) ||
	    !get_u64(cfg, "keyslots_size", &m->keyslots_size))
		problem(m, "config lacks json_size or keyslots_size");
	else if (m->json_size != m->hdr_size - LUKS2_BIN_SIZE)
		problem(m, "config.json_size %llu disagrees with the header "
			"size %llu", (unsigned long long)m->json_size,
			(unsigned long long)m->hdr_size);
	else if (!range_ok(2 * m->hdr_size, m->keyslots_size, dev_size))
		problem(m, "keyslots area (%llu bytes) runs past the device",
			(unsigned long long)m->keyslots_size);
	join(get(cfg, "flags", json_type_array), m->flags, sizeof(m->flags));
	struct json_object *req = get(cfg, "requirements", json_type_object);
	join(get(req, "mandatory", json_type_array), m->requirements,
	     sizeof(m->requirements));
	if (strstr(m->requirements, "reencrypt"))
		m->reencrypt = true;
	if (strstr(m->requirements, "opal"))
		m->opal = true;
	if (toks)
		m->ntokens = J->json_object_object_length(toks);

	json_object_object_foreach(slots, ks, vs) {
		int id = id_of(ks, LUKS_MAX_SLOTS);
		if (id < 0 || !J->json_object_is_type(vs, json_type_object))
			problem(m, "key slot id %.20s is not 0-%d", ks,
				LUKS_MAX_SLOTS - 1);
		else
			parse_slot(m, id, vs, dev_size);
	}
	da_sort(m->slots, (size_t)m->nslots, sizeof(m->slots[0]), cmp_slot);
	json_object_object_foreach(segs, kg, vg) {
		int id = id_of(kg, LUKS_MAX_SEGS);
		if (id < 0 || !J->json_object_is_type(vg, json_type_object))
			problem(m, "segment id %.20s is not 0-%d", kg,
				LUKS_MAX_SEGS - 1);
		else
			parse_seg(m, id, vg);
	}
	da_sort(m->segs, (size_t)m->nsegs, sizeof(m->segs[0]), cmp_seg);
	json_object_object_foreach(digs, kd, vd) {
		int id = id_of(kd, LUKS_MAX_DIGESTS);
		if (id >= 0 && J->json_object_is_type(vd, json_type_object))
			parse_digest(m, id, vd);
	}
	J->json_object_put(root);

	/* more than one segment, or a linear one: data half converted */
	int crypt = 0;
	for (int i = 0; i < m->nsegs; i++) {
		if (strcmp(m->segs[i].type, "crypt") || m->segs[i].backup)
			m->reencrypt |= !strcmp(m->segs[i].type, "linear");
		if (!strcmp(m->segs[i].type, "crypt") && !m->segs[i].backup)
			crypt++;
	}
	if (crypt > 1)
		m->reencrypt = true;
	if (m->nsegs == 0) {
		problem(m, "no data segment");
		return false;
	}
	const struct luks_seg *s0 = &m->segs[0];
	snprintf(m->cipher, sizeof(m->cipher), "%s", s0->cipher);
	m->sector_size = s0->sector_size;
	m->payload = s0->off;
	m->payload_size = s0->dynamic ? 0 : s0->size;
	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].digest >= 0 && !m->key_bytes)
			m->key_bytes = m->slots[i].key_size;
	return true;
}
