/* What the command line prints: --list, --lookup and --map, as text for
 * people and as JSON for scripts (the contract in the manual page).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "value.h"

/* ---- --list ---- */

static void json_node(FILE *f, const struct da_node *n);

/* The props n's settle fills: those still -1 are not known (a settle
 * that failed), and are left out. */
static const char *const *node_unknown(const struct da_node *n)
{
	return n->plugin ? n->plugin->settle_props : NULL;
}

static void json_slots(FILE *f, const struct da_node *n)
{
	fprintf(f, ",\"%s\":[", n->type == DA_NODE_PARTITIONS ? "partitions"
							       : "children");
	for (size_t i = 0; i < n->nslots; i++) {
		const struct da_slot *s = &n->slots[i];
		bool first = true;
		if (i)
			fputc(',', f);
		fputc('{', f);
		da_json_members(f, s->props, &first);
		if (!first)
			fputc(',', f);
		fputs("\"content\":", f);
		json_node(f, s->content);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_node(FILE *f, const struct da_node *n)
{
	if (!n) {
		fputs("null", f);
		return;
	}
	fputs("{\"type\":", f);
	da_json_string(f, da_node_type_name(n->type));
	bool first = false;
	da_json_members_known(f, n->props, &first, node_unknown(n));
	if (n->reason) {
		fputs(",\"reason\":", f);
		da_json_string(f, n->reason);
	}
	if (n->nslots || n->type == DA_NODE_PARTITIONS)
		json_slots(f, n);
	fputc('}', f);
}

static void list_json(FILE *f, struct da_machine *m)
{
	fputs("{\"version\":1,\"disks\":[", f);
	for (size_t i = 0; i < m->ndisks; i++) {
		const struct da_disk *d = &m->disks[i];
		if (i)
			fputc(',', f);
		fputs("{\"name\":", f);
		da_json_string(f, d->name);
		fputs(",\"path\":", f);
		da_json_string(f, d->path);
		fprintf(f, ",\"size\":%" PRIu64 ",\"format\":", d->dev->size);
		da_json_string(f, d->format);
		fputs(",\"content\":", f);
		json_node(f, d->content);
		fputc('}', f);
	}
	fputs("],\"volumes\":[", f);
	for (size_t i = 0; i < m->nvolumes; i++) {
		const struct da_volume *v = &m->volumes[i];
		if (i)
			fputc(',', f);
		fputs("{\"name\":", f);
		da_json_string(f, v->name);
		fputs(",\"kind\":", f);
		da_json_string(f, v->kind);
		fprintf(f, ",\"size\":%" PRIu64,
			v->dev ? v->dev->size : (uint64_t)0);
		bool first = false;
		da_json_members(f, v->props, &first);
		fputs(",\"content\":", f);
		json_node(f, v->content);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* A string from the image, escaped for a terminal (see da_text_string). */
#define put da_text_string

/* The scalars of a node's props people read, "  key=value" on the line
 * being written (warnings go on lines of their own: text_warnings). */
static void text_props(FILE *f, const struct da_value *props,
		       const char *const *unknown)
{
	static const char *const skip[] = { "name", "number", "start", "size",
					    "type", "type_name", "fstype", NULL };
	if (!props || props->type != DA_V_OBJ)
		return;
	for (size_t i = 0; i < props->u.c.n; i++) {
		const char *k = props->u.c.keys[i];
		const struct da_value *v = props->u.c.v[i];
		bool skipped = false;
		for (const char *const *s = skip; *s; s++)
			if (!strcmp(*s, k))
				skipped = true;
		if (skipped || da_prop_unknown(unknown, k, v))
			continue;
		switch (v->type) {
		case DA_V_STR:
			if (v->u.s[0]) {
				fprintf(f, "  %s=", k);
				put(f, v->u.s);
			}
			break;
		case DA_V_INT:
			if (!strcmp(k, "used") || !strcmp(k, "free") ||
			    !strcmp(k, "dev_size") || !strcmp(k, "pe_size")) {
				char h[32];
				da_human_size((uint64_t)v->u.i, h, sizeof(h));
				fprintf(f, "  %s=%s", k, h);
			} else if (v->uns) {
				fprintf(f, "  %s=%llu", k,
					(unsigned long long)v->u.i);
			} else {
				fprintf(f, "  %s=%lld", k, (long long)v->u.i);
			}
			break;
		case DA_V_BOOL:
			if (v->u.b)
				fprintf(f, "  %s", k);
			break;
		default:
			break;
		}
	}
}

/* One line "INDENT  warning: ..." for each of props' warnings, and for
 * reason when it is not one of them (a node's reason is its first
 * warning, or a warning of its own such as a file index's). */
static void text_warnings(FILE *f, const struct da_value *props,
			  const char *reason, const char *indent)
{
	const struct da_value *w = da_obj_get(props, "warnings");
	bool said = false;
	if (w && w->type == DA_V_ARR) {
		for (size_t j = 0; j < w->u.c.n; j++) {
			if (w->u.c.v[j]->type != DA_V_STR)
				continue;
			fprintf(f, "%s  warning: ", indent);
			put(f, w->u.c.v[j]->u.s);
			fputc('\n', f);
			if (!reason)
				continue;
			/* a reason "WARNING; more" says only "more" again */
			size_t wl = strlen(w->u.c.v[j]->u.s);
			if (!strcmp(w->u.c.v[j]->u.s, reason))
				said = true;
			else if (!strncmp(w->u.c.v[j]->u.s, reason, wl) &&
				 !strncmp(reason + wl, "; ", 2))
				reason += wl + 2;
		}
	}
	if (reason && reason[0] && !said) {
		fprintf(f, "%s  warning: ", indent);
		put(f, reason);
		fputc('\n', f);
	}
}

static int64_t int_prop(const struct da_value *props, const char *key,
			int64_t dflt)
{
	struct da_value *v = da_obj_get(props, key);
	return v && v->type == DA_V_INT ? v->u.i : dflt;
}

static const char *str_prop(const struct da_value *props, const char *key)
{
	struct da_value *v = da_obj_get(props, key);
	return v && v->type == DA_V_STR ? v->u.s : "";
}

/* An image's internal snapshots (qcow2), one line each. */
static void text_snapshots(FILE *f, const struct da_value *props,
			   const char *indent)
{
	const struct da_value *a = da_obj_get(props, "snapshots");
	if (!a || a->type != DA_V_ARR)
		return;
	for (size_t i = 0; i < a->u.c.n; i++) {
		const struct da_value *sn = a->u.c.v[i];
		fprintf(f, "%s  snapshot ", indent);
		put(f, str_prop(sn, "id"));
		fputc(' ', f);
		put(f, str_prop(sn, "name"));
		fprintf(f, "  date=%lld vm_state_size=%lld\n",
			(long long)int_prop(sn, "date", 0),
			(long long)int_prop(sn, "vm_state_size", 0));
	}
}

/* A node's line, its warnings and its snapshots. */
static void text_node(FILE *f, const struct da_node *n, const char *indent)
{
	if (!n) {
		fprintf(f, "%s(not scanned)\n", indent);
		return;
	}
	fprintf(f, "%s%s", indent, da_node_type_name(n->type));
	const char *fstype = str_prop(n->props, "fstype");
	if (fstype[0]) {
		fputc(' ', f);
		put(f, fstype);
	}
	text_props(f, n->props, node_unknown(n));
	/* an unknown node's reason is what it is: on its line */
	bool why = n->type == DA_NODE_UNKNOWN && n->reason;
	if (why) {
		fputs("  (", f);
		put(f, n->reason);
		fputc(')', f);
	}
	fputc('\n', f);
	text_warnings(f, n->props, why ? NULL : n->reason, indent);
	text_snapshots(f, n->props, indent);
}

/* A slot's line (a partition, a key slot) and its warnings. */
static void text_slot(FILE *f, const struct da_slot *s, const char *indent)
{
	char hs[32];
	da_human_size((uint64_t)int_prop(s->props, "size", 0), hs, sizeof(hs));
	fputs(indent, f);
	put(f, s->kind);
	fputc(' ', f);
	put(f, str_prop(s->props, "name"));
	fprintf(f, "  start=%llu size=%llu (%s)",
		(unsigned long long)int_prop(s->props, "start", 0),
		(unsigned long long)int_prop(s->props, "size", 0), hs);
	const char *t = str_prop(s->props, "type");
	const char *tn = str_prop(s->props, "type_name");
	if (t[0]) {
		fputs("  type=", f);
		put(f, t);
	}
	if (tn[0]) {
		fputs(" (", f);
		put(f, tn);
		fputc(')', f);
	}
	text_props(f, s->props, NULL);
	fputc('\n', f);
	char sub[300];
	snprintf(sub, sizeof(sub), "%s  ", indent);
	text_warnings(f, s->props, NULL, sub);
}

static void text_volume(FILE *f, const struct da_volume *v)
{
	char hs[32];
	da_human_size(v->dev ? v->dev->size : 0, hs, sizeof(hs));
	fputs("  ", f);
	put(f, v->kind);
	fputc(' ', f);
	put(f, v->name);
	fprintf(f, "  %s", hs);
	const struct da_value *segs = da_obj_get(v->props, "segments");
	if (segs && segs->type == DA_V_ARR)
		fprintf(f, "  %zu segment%s", segs->u.c.n,
			segs->u.c.n == 1 ? "" : "s");
	const char *st = str_prop(v->props, "status");
	if (st[0]) {
		fputs("  ", f);
		put(f, st);
	}
	struct da_value *partial = da_obj_get(v->props, "partial");
	if (partial && partial->type == DA_V_BOOL && partial->u.b)
		fputs("  PARTIAL", f);
	struct da_value *degraded = da_obj_get(v->props, "degraded");
	if (degraded && degraded->type == DA_V_BOOL && degraded->u.b)
		fputs("  DEGRADED", f);
	const char *why = str_prop(v->props, "reason");
	if (why[0]) {
		fputs("  (", f);
		put(f, why);
		fputc(')', f);
	}
	fputc('\n', f);
}

/* One item of the walk (src/tree.c) as a line: two columns a level, and
 * four more under a volume, whose line is set apart under "volumes:". */
static int text_item(const struct da_tree_item *it, void *arg)
{
	FILE *f = arg;
	char indent[256];
	int cols = 2 * it->depth + (it->volume && it->depth ? 4 : 0);
	if (cols > (int)sizeof(indent) - 1)
		cols = (int)sizeof(indent) - 1;
	memset(indent, ' ', (size_t)cols);
	indent[cols] = '\0';
	switch (it->type) {
	case DA_TREE_DISK: {
		const struct da_disk *d = it->disk;
		char hs[32];
		da_human_size(d->dev->size, hs, sizeof(hs));
		put(f, d->name);
		fputs("  ", f);
		put(f, d->format);
		fprintf(f, "  %s  (%" PRIu64 " bytes)\n", hs, d->dev->size);
		break;
	}
	case DA_TREE_VOLUME:
		if (it->index == 0)
			fputs("volumes:\n", f);
		text_volume(f, it->volume);
		break;
	case DA_TREE_NODE:
		text_node(f, it->node, indent);
		break;
	case DA_TREE_SLOT:
		text_slot(f, it->slot, indent);
		break;
	}
	return 0;
}

int da_report_list(FILE *f, struct da_machine *m, bool json)
{
	if (json) {
		list_json(f, m);
		return 0;
	}
	da_machine_walk(m, text_item, f);
	return 0;
}

/* ---- --lookup ---- */

/* What the scan or the file index of an owner could not read, so that an
 * answer from a damaged filesystem says it may be incomplete. */
static const char *owner_warning(const struct da_owner *x)
{
	const struct da_node *n = x->node;
	if (!n || !n->reason || !n->reason[0] || n->type == DA_NODE_UNKNOWN)
		return NULL;
	return n->reason;
}

/* The side pane of the explorer asks the same (diskatlas.h). */
const char *da_owner_governs(const struct da_owner *x, char *buf, size_t len)
{
	if (x->has_info && x->info.governs[0])
		return x->info.governs;
	/* most owners have neither role: their first letter says so */
	if (x->node && x->role && (x->role[0] == 'm' || x->role[0] == 'l') &&
	    (!strcmp(x->role, "metadata") || !strcmp(x->role, "label"))) {
		struct da_value *vg = da_obj_get(x->node->props, "vg");
		if (vg && vg->type == DA_V_STR) {
			snprintf(buf, len, "volume group %s", vg->u.s);
			return buf;
		}
	}
	return NULL;
}

#define MAX_OWNERS 32
#define MAX_COPIES 8

/* The disk bytes that hold the parity of owner x's byte (an md RAID4/5/6
 * array), P first; how many. */
static int owner_parity(const struct da_machine *m, const struct da_owner *x,
			struct da_location *out, char *which)
{
	/* the array itself, not what it holds (the same space) */
	if (!x->kind || strcmp(x->kind, "md_array") != 0)
		return 0;
	return da_raid_parity_on_disks(m, x->space, x->offset, out, which, 2);
}

/* The answer is built in a buffer and written with one fwrite: a stdio
 * call (and its lock) a field made --lookup - spend a third of its time in
 * fwrite and printf.  Strings that are plain ASCII (names, roles, most
 * paths) are copied; any other goes through the one escaping writer. */
struct obuf {
	FILE *f;
	size_t n;
	char b[8192];
};

static void ob_flush(struct obuf *o)
{
	if (o->n)
		fwrite(o->b, 1, o->n, o->f);
	o->n = 0;
}

/* What does not fit: flushed, then buffered or written straight. */
static void __attribute__((noinline))
ob_mem_slow(struct obuf *o, const char *s, size_t len)
{
	ob_flush(o);
	if (len > sizeof(o->b)) {
		fwrite(s, 1, len, o->f);
		return;
	}
	memcpy(o->b, s, len);
	o->n = len;
}

/* Inlined, so that a literal's copy is a few moves, not a call. */
static inline __attribute__((always_inline)) void
ob_mem(struct obuf *o, const char *s, size_t len)
{
	if (len > sizeof(o->b) - o->n) {
		ob_mem_slow(o, s, len);
		return;
	}
	memcpy(o->b + o->n, s, len);
	o->n += len;
}

#define ob_lit(o, s) ob_mem(o, s, sizeof(s) - 1)

static void ob_c(struct obuf *o, char c)
{
	if (o->n == sizeof(o->b))
		ob_flush(o);
	o->b[o->n++] = c;
}

/* Two digits a step: "00" to "99". */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* The decimal digits of v: from its bit length (1233/4096 is just over
 * log10(2)), one compare to correct. */
static int dec_digits(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull,
		10000000000000000000ull };
	if (v < 10)
		return 1;
	int bits = 64 - __builtin_clzll(v);
	int n = (bits * 1233) >> 12;
	return n + (v >= pow10[n]);
}

/* v in decimal, written backwards into its place in the buffer. */
static void ob_u64(struct obuf *o, uint64_t v)
{
	if (sizeof(o->b) - o->n < 20)
		ob_flush(o);
	int len = dec_digits(v);
	char *p = o->b + o->n + len;
	o->n += (size_t)len;
	while (v > UINT32_MAX) {
		p -= 2;
		memcpy(p, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	/* most numbers are done in 32 bits, where dividing is cheaper */
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		p -= 2;
		memcpy(p, digits2 + 2 * (w % 100), 2);
		w /= 100;
	}
	if (w >= 10)
		memcpy(p - 2, digits2 + 2 * w, 2);
	else
		p[-1] = (char)('0' + w);
}

static void ob_i64(struct obuf *o, int64_t v)
{
	if (v < 0) {
		ob_c(o, '-');
		ob_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		ob_u64(o, (uint64_t)v);
	}
}

static void ob_hex(struct obuf *o, uint64_t v)
{
	char t[16];
	int i = 16;
	do
		t[--i] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	ob_mem(o, t + i, (size_t)(16 - i));
}

static void ob_pad(struct obuf *o, int n)
{
	for (; n > 0; n--)
		ob_c(o, ' ');
}

/* The bytes a string cannot be copied with: 1 for JSON (controls, DEL
 * and above, '"' and backslash), 2 for text (the same but '"'), so that a
 * test is one load a byte; NUL (3) ends a string. */
static const unsigned char escapes[256] = {
	[0] = 3,
	[1 ... 0x1f] = 3, ['"'] = 1, ['\\'] = 3, [0x7f ... 0xff] = 3,
};

/* The longest string copied on the fast path (room is made for it). */
#define FAST_LEN 256

/* s copied while no byte of it is in class cls (1: JSON, 2: text), at
 * most FAST_LEN bytes, to d; how many. */
static inline size_t copy_plain(char *d, const char *s, unsigned cls)
{
	size_t i = 0;
	unsigned char c;
	/* four bytes a step, the bound tested once (FAST_LEN is a multiple
	 * of 4); each byte is read only when the ones before it were not
	 * the end */
#define COPY_ONE                                                        \
	if (escapes[c = (unsigned char)s[i]] & cls)                     \
		return i;                                               \
	d[i++] = (char)c;
	do {
		COPY_ONE COPY_ONE COPY_ONE COPY_ONE
	} while (i < FAST_LEN);
#undef COPY_ONE
	return i;
}

/* What copy_plain stopped in after n bytes: an escape (the whole string
 * then goes through the escaping writer), or a plain string longer than
 * FAST_LEN. */
static void __attribute__((noinline))
ob_str_slow(struct obuf *o, const char *s, size_t n, unsigned cls, bool json)
{
	size_t len = n + strlen(s + n);
	bool plain = true;
	for (size_t i = n; i < len && plain; i++)
		plain = !(escapes[(unsigned char)s[i]] & cls);
	if (!plain) {
		ob_flush(o);
		if (json)
			da_json_string(o->f, s);
		else
			da_text_string(o->f, s);
		return;
	}
	if (json)
		ob_c(o, '"');
	ob_mem(o, s, len);
	if (json)
		ob_c(o, '"');
}

/* s as a JSON string: plain ASCII (names, kinds, roles, most paths) is
 * copied, any other goes through the one escaping writer. */
static void ob_json(struct obuf *o, const char *s)
{
	if (!s)
		s = "";
	if (sizeof(o->b) - o->n < FAST_LEN + 2)
		ob_flush(o);
	char *d = o->b + o->n;
	d[0] = '"';
	size_t n = copy_plain(d + 1, s, 1);
	if (s[n]) {
		ob_str_slow(o, s, n, 1, true);
		return;
	}
	d[n + 1] = '"';
	o->n += n + 2;
}

/* s for a terminal, the same way (see da_text_string). */
static void ob_text(struct obuf *o, const char *s)
{
	if (!s)
		s = "";
	if (sizeof(o->b) - o->n < FAST_LEN)
		ob_flush(o);
	size_t n = copy_plain(o->b + o->n, s, 2);
	if (s[n]) {
		ob_str_slow(o, s, n, 2, false);
		return;
	}
	o->n += n;
}

static void lookup_json(struct obuf *b, struct da_machine *m, const struct da_owner *w, int n,
			uint64_t off, const char *disk, bool on_disk,
			const char *where,
			int mirrored, const struct da_location *copies,
			int ncopies)
{
	ob_c(b, '{');
	if (where) {
		ob_lit(b, "\"where\":");
		ob_json(b, where);
		ob_c(b, ',');
	}
	if (on_disk) {
		ob_lit(b, "\"disk\":");
		ob_json(b, disk);
	} else {
		/* a striped space's byte on a missing member */
		ob_lit(b, "\"space\":");
		ob_json(b, disk);
		ob_lit(b, ",\"on_no_disk\":true");
	}
	ob_lit(b, ",\"offset\":");
	ob_u64(b, off);
	ob_lit(b, ",\"owners\":[");
	if (n <= 0) {
		ob_lit(b, "{\"kind\":\"none\",\"offset\":");
		ob_u64(b, off);
		ob_c(b, '}');
	}
	for (int i = 0; i < n; i++) {
		const struct da_owner *x = &w[i];
		if (i)
			ob_c(b, ',');
		ob_lit(b, "{\"kind\":");
		ob_json(b, x->kind);
		ob_lit(b, ",\"name\":");
		ob_json(b, x->name);
		ob_lit(b, ",\"offset\":");
		ob_u64(b, x->offset);
		if (x->fstype) {
			ob_lit(b, ",\"fstype\":");
			ob_json(b, x->fstype);
		}
		const char *role = x->role;
		if (x->has_info && x->info.role)
			role = x->info.role;
		if (role) {
			ob_lit(b, ",\"role\":");
			ob_json(b, role);
		}
		if (x->has_info) {
			if (x->info.block >= 0) {
				ob_lit(b, ",\"block\":");
				ob_i64(b, x->info.block);
			}
			if (x->info.inode >= 0) {
				ob_lit(b, ",\"inode\":");
				ob_i64(b, x->info.inode);
			}
			if (x->info.path[0]) {
				ob_lit(b, ",\"path\":");
				ob_json(b, x->info.path);
			}
			if (x->info.nlinks > 1) {
				ob_lit(b, ",\"nlinks\":");
				ob_u64(b, x->info.nlinks);
			}
			if (x->info.nshared) {
				ob_lit(b, ",\"shared_with\":");
				ob_u64(b, x->info.nshared);
			}
			if (x->info.indexing)
				ob_lit(b, ",\"indexing\":true");
			if (x->info.conflict)
				ob_lit(b, ",\"file_conflict\":true");
		}
		if (x->conflict)
			ob_lit(b, ",\"conflict\":true");
		char gb[200];
		const char *gov = da_owner_governs(x, gb, sizeof(gb));
		if (gov) {
			ob_lit(b, ",\"governs\":");
			ob_json(b, gov);
		}
		if (x->has_info && x->info.file_offset >= 0) {
			ob_lit(b, ",\"file_offset\":");
			ob_i64(b, x->info.file_offset);
		}
		const char *warn = owner_warning(x);
		if (warn) {
			ob_lit(b, ",\"warning\":");
			ob_json(b, warn);
		}
		struct da_location par[2];
		char pw[2];
		int np = owner_parity(m, x, par, pw);
		if (np > 0) {
			ob_lit(b, ",\"parity\":[");
			for (int k = 0; k < np; k++) {
				if (k)
					ob_c(b, ',');
				ob_lit(b, "{\"which\":\"");
				ob_c(b, pw[k]);
				ob_lit(b, "\",\"disk\":");
				ob_json(b, m->disks[par[k].disk].name);
				ob_lit(b, ",\"offset\":");
				ob_u64(b, par[k].offset);
				ob_c(b, '}');
			}
			ob_c(b, ']');
		}
		if (i == mirrored) {
			ob_lit(b, ",\"copies\":[");
			for (int k = 0; k < ncopies; k++) {
				if (k)
					ob_c(b, ',');
				ob_lit(b, "{\"disk\":");
				ob_json(b, m->disks[copies[k].disk].name);
				ob_lit(b, ",\"offset\":");
				ob_u64(b, copies[k].offset);
				ob_c(b, '}');
			}
			ob_c(b, ']');
		}
		ob_c(b, '}');
	}
	ob_lit(b, "]}\n");
}

static void lookup_text(struct obuf *b, struct da_machine *m, const struct da_owner *w, int n,
			uint64_t off, const char *disk, bool on_disk,
			int mirrored,
			const struct da_location *copies, int ncopies)
{
	char hs[32];
	da_human_size(off, hs, sizeof(hs));
	ob_text(b, disk);
	ob_lit(b, " @ ");
	ob_u64(b, off);
	ob_lit(b, " (0x");
	ob_hex(b, off);
	ob_lit(b, ", ");
	ob_mem(b, hs, strlen(hs));
	ob_c(b, ')');
	if (!on_disk)
		ob_lit(b, ": on no disk here (a missing RAID member?)");
	ob_c(b, '\n');
	if (n <= 0)
		ob_lit(b, "  no owner\n");
	for (int i = 0; i < n; i++) {
		const struct da_owner *x = &w[i];
		ob_pad(b, 2 + 2 * i);
		ob_text(b, x->kind);
		ob_c(b, ' ');
		ob_text(b, x->name);
		ob_lit(b, "  offset ");
		ob_u64(b, x->offset);
		if (x->fstype && strcmp(x->fstype, x->name)) {
			ob_lit(b, "  ");
			ob_text(b, x->fstype);
		}
		const char *role = x->role;
		if (x->has_info && x->info.role)
			role = x->info.role;
		if (role) {
			ob_lit(b, "  role ");
			ob_text(b, role);
		}
		if (x->has_info) {
			if (x->info.block >= 0) {
				ob_lit(b, "  block ");
				ob_i64(b, x->info.block);
			}
			if (x->info.inode >= 0) {
				ob_lit(b, "  inode ");
				ob_i64(b, x->info.inode);
			}
			if (x->info.path[0]) {
				ob_lit(b, "  ");
				ob_text(b, x->info.path);
			}
			if (x->info.nlinks > 1) {
				ob_lit(b, " (");
				ob_u64(b, x->info.nlinks);
				ob_lit(b, " links)");
			}
			if (x->info.nshared) {
				ob_lit(b, "  (shared with ");
				ob_u64(b, x->info.nshared);
				if (x->info.nshared == 1)
					ob_lit(b, " other file)");
				else
					ob_lit(b, " other files)");
			}
			if (x->info.conflict)
				ob_lit(b, "  (also claimed by another file)");
			if (x->info.indexing)
				ob_lit(b, "  (indexing)");
		}
		if (x->conflict)
			ob_lit(b, "  CONFLICT");
		ob_c(b, '\n');
		char gb[200];
		const char *gov = da_owner_governs(x, gb, sizeof(gb));
		if (gov) {
			ob_pad(b, 4 + 2 * i);
			ob_lit(b, "governs ");
			ob_text(b, gov);
			ob_c(b, '\n');
		}
		const char *warn = owner_warning(x);
		if (warn) {
			ob_pad(b, 4 + 2 * i);
			ob_lit(b, "warning: ");
			ob_text(b, warn);
			ob_c(b, '\n');
		}
		struct da_location par[2];
		char pw[2];
		int np = owner_parity(m, x, par, pw);
		if (np > 0) {
			ob_pad(b, 4 + 2 * i);
			ob_lit(b, "parity:");
			for (int k = 0; k < np; k++) {
				if (k)
					ob_c(b, ',');
				ob_c(b, ' ');
				ob_c(b, pw[k]);
				ob_lit(b, " on ");
				ob_text(b, m->disks[par[k].disk].name);
				ob_lit(b, " @ ");
				ob_u64(b, par[k].offset);
			}
			ob_c(b, '\n');
		}
		if (i == mirrored) {
			ob_pad(b, 4 + 2 * i);
			ob_u64(b, (uint64_t)ncopies);
			ob_lit(b, " copies:");
			for (int k = 0; k < ncopies; k++) {
				if (k)
					ob_c(b, ',');
				ob_c(b, ' ');
				ob_text(b, m->disks[copies[k].disk].name);
				ob_lit(b, " @ ");
				ob_u64(b, copies[k].offset);
			}
			ob_c(b, '\n');
		}
	}
}

int da_report_lookup(FILE *f, const struct da_ownership *o,
		     struct da_machine *m, size_t d, uint64_t off, bool json,
		     const char *where)
{
	struct da_owner w[MAX_OWNERS];
	struct obuf b;
	int n = da_owners_at(o, d, off, w, MAX_OWNERS, true);
	if (n > MAX_OWNERS)
		n = MAX_OWNERS;
	const struct da_device *dev = da_ownership_machine_disk(o, d);
	bool on_disk = !dev || dev->is_disk;
	const char *disk = d < m->ndisks ? m->disks[d].name : dev->name;
	struct da_location copies[MAX_COPIES];
	int mirrored = -1;
	int ncopies = da_owners_copies(o, w, n > 0 ? n : 0, &mirrored, copies,
				       MAX_COPIES);
	b.f = f;
	b.n = 0;
	if (json)
		lookup_json(&b, m, w, n, off, disk, on_disk, where, mirrored,
			    copies, ncopies);
	else
		lookup_text(&b, m, w, n, off, disk, on_disk, mirrored, copies,
			    ncopies);
	ob_flush(&b);
	return 0;
}

/* ---- --map ---- */

static bool region_free(const struct da_region_info *r)
{
	return r->cls == DA_RC_FREE || r->cls == DA_RC_UNALLOCATED;
}

/* The stack's own bookkeeping: tables, labels, metadata areas, padding. */
static bool region_bookkeeping(const struct da_region_info *r)
{
	return r->cls == DA_RC_METADATA || r->cls == DA_RC_BOOKKEEPING;
}

/* A 256-colour foreground for a region: free space grey, bookkeeping
 * (tables, labels, metadata areas) yellow, the rest from a palette in
 * the order regions appear.  Letters stay: colour only helps the eye. */
static int region_sgr(const struct da_region_info *r, size_t nreg, int id)
{
	static const short pal[] = { 33, 40, 208, 44, 170, 142, 75, 203, 112,
				     109, 99, 37, 168, 69, 150, 173 };
	if (id < 0 || (size_t)id >= nreg)
		return 242;
	if (region_free(&r[id]))
		return 250;
	if (region_bookkeeping(&r[id]))
		return 226;
	int k = 0;                  /* palette slot: ordinary regions before */
	for (int i = 0; i < id; i++)
		if (!region_free(&r[i]) && !region_bookkeeping(&r[i]))
			k++;
	return pal[k % (int)(sizeof(pal) / sizeof(pal[0]))];
}

int da_report_map(FILE *f, const struct da_ownership *o,
		  struct da_machine *m, size_t d, int width, int height,
		  bool color)
{
	uint64_t size = m->disks[d].dev->size;
	uint64_t cells = (uint64_t)width * (uint64_t)height;
	uint64_t cell = (size + cells - 1) / cells;
	cell = (cell + 511) / 512 * 512;
	if (cell == 0)
		cell = 512;
	char hs[32], hc[32];
	da_human_size(size, hs, sizeof(hs));
	da_human_size(cell, hc, sizeof(hc));
	put(f, m->disks[d].name);
	fprintf(f, "  %s  1 cell = %s (%" PRIu64 " bytes)\n", hs, hc, cell);

	size_t nreg;
	const struct da_region_info *regs = da_ownership_regions(o, &nreg);
	bool *shown = calloc(nreg + 1, sizeof(*shown));
	if (!shown)
		return -1;
	int *sgr = calloc(nreg + 1, sizeof(*sgr));
	if (!sgr) {
		free(shown);
		return -1;
	}
	for (size_t i = 0; color && i < nreg; i++)
		sgr[i] = region_sgr(regs, nreg, (int)i);
	bool none = false, holes = false, conflicts = false;
	for (uint64_t row = 0; row * width * cell < size; row++) {
		int cur = -2;           /* colour in force on this row */
		for (int col = 0; col < width; col++) {
			uint64_t off = (row * width + (uint64_t)col) * cell;
			if (off >= size)
				break;
			uint64_t len = size - off < cell ? size - off : cell;
			struct da_cell c;
			da_summarize_disk(o, d, off, len, &c);
			char ch = da_region_letter(c.region_id);
			if (c.region_id >= 0 && (size_t)c.region_id < nreg)
				shown[c.region_id] = true;
			else
				none = true;
			if (c.conflict) {
				ch = '!';
				conflicts = true;
			} else if (c.hole == c.bytes && c.bytes &&
				   c.region_id < 0) {
				ch = ' ';
				holes = true;
			} else if (c.region_id >= 0 &&
				   (c.used + c.metadata < c.free ||
				    c.hole == c.bytes)) {
				ch = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a'
								: ch);
			}
			if (color) {
				/* used cells bright, mostly free ones dim */
				int want = c.conflict ? -3 : c.region_id >= 0 &&
					   (size_t)c.region_id < nreg
					   ? c.region_id * 2 + (ch >= 'a')
					   : -1;
				if (want != cur) {
					if (want == -3)
						fputs("\033[1;37;41m", f);
					else if (want == -1)
						fputs("\033[0;38;5;242m", f);
					else
						fprintf(f, "\033[0;%s38;5;%dm",
							want & 1 ? "2;" : "1;",
							sgr[c.region_id]);
					cur = want;
				}
			}
			fputc(ch, f);
		}
		if (color)
			fputs("\033[0m", f);
		fputc('\n', f);
	}
	fputs("legend (upper case: mostly used; lower case: mostly free):\n", f);
	for (size_t i = 0; i < nreg; i++) {
		if (!shown[i])
			continue;
		/* the explorer's legend's size: each byte once, however
		 * many copies of it the disks hold */
		char hb[32];
		da_human_size(regs[i].own_bytes, hb, sizeof(hb));
		if (color)
			fprintf(f, "  \033[1;38;5;%dm%c\033[0m  ", sgr[i],
				da_region_letter((int)i));
		else
			fprintf(f, "  %c  ", da_region_letter((int)i));
		put(f, regs[i].kind);
		fputc(' ', f);
		put(f, regs[i].name);
		if (regs[i].role) {
			fputc(' ', f);
			put(f, regs[i].role);
		}
		fprintf(f, "  %s\n", hb);
	}
	if (none)
		fputs("  .  no owner\n", f);
	if (holes)
		fputs("     no owner, never written (a hole in the image)\n", f);
	if (conflicts)
		fputs("  !  conflict: several owners claim these bytes\n", f);
	free(sgr);
	free(shown);
	return 0;
}
