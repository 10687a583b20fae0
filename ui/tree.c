/* The tree of the stack: disks, partition tables, partitions, PVs, VGs,
 * LVs, arrays, LUKS volumes, filesystems and swap, one line each with
 * start, size, type, label and use, as lsblk and cfdisk show them; the
 * selected line's exact numbers below.  Rows come from the engine's walk
 * of the scan tree (da_machine_walk, the one --list prints), rebuilt at
 * each draw.  Moving the selection moves the map to that owner's first
 * byte; Enter enters its space; Esc, t or q closes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define NO_VALUE UINT64_MAX

struct tree_row {
	int depth;
	char name[96], kind[16], type[64], label[64];
	uint64_t start, size, used, free;   /* NO_VALUE: none */
	char detail[400];                   /* exact numbers */
	struct da_device *dev;              /* where Enter goes */
};

/* ---- props ---- */

static const char *sprop(const struct da_value *props, const char *key)
{
	const struct da_value *v = da_obj_get(props, key);
	return v && v->type == DA_V_STR ? v->u.s : "";
}

static uint64_t uprop(const struct da_value *props, const char *key)
{
	const struct da_value *v = da_obj_get(props, key);
	int64_t i = v && v->type == DA_V_INT ? da_value_int(v) : -1;
	return i >= 0 ? (uint64_t)i : NO_VALUE;
}

/* a * b, NO_VALUE when either is missing or it overflows */
static uint64_t mul(uint64_t a, uint64_t b)
{
	uint64_t r;
	if (a == NO_VALUE || b == NO_VALUE || __builtin_mul_overflow(a, b, &r))
		return NO_VALUE;
	return r;
}

/* Text from an image goes through the engine's escaping, as --list's. */
static void clean(char *out, size_t len, const char *s)
{
	FILE *f = fmemopen(out, len, "w");
	if (!f) {
		snprintf(out, len, "?");
		return;
	}
	da_text_string(f, s);
	fputc('\0', f);
	fclose(f);
	out[len - 1] = '\0';
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t k = strlen(buf);
	if (k >= len - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + k, len - k, fmt, ap);
	va_end(ap);
}

/* ---- rows ---- */

struct build {
	struct ui *u;
	char vg[64];           /* the VG whose LVs are being listed, or "" */
	int shift;             /* LVs and what they hold sit under their VG */
};

static struct tree_row *add_row(struct ui *u)
{
	if (u->ntree == u->captree) {
		int cap = u->captree ? u->captree * 2 : 64;
		struct tree_row *r = realloc(u->tree_rows,
					     (size_t)cap * sizeof(*r));
		if (!r)
			return NULL;
		u->tree_rows = r;
		u->captree = cap;
	}
	struct tree_row *r = &u->tree_rows[u->ntree++];
	memset(r, 0, sizeof(*r));
	r->start = r->size = r->used = r->free = NO_VALUE;
	return r;
}

/* What a filesystem or swap area is, with its use in bytes and blocks. */
static void node_row(struct tree_row *r, const struct da_node *n)
{
	const struct da_value *p = n->props;
	char lab[64];
	clean(lab, sizeof(lab), sprop(p, "label"));
	r->dev = n->dev;
	r->size = n->dev ? n->dev->size : NO_VALUE;
	const char *t = da_node_type_name(n->type);
	switch (n->type) {
	case DA_NODE_PARTITIONS: {
		clean(r->name, sizeof(r->name), sprop(p, "scheme"));
		snprintf(r->kind, sizeof(r->kind), "table");
		snprintf(r->type, sizeof(r->type), "%.63s", r->name);
		uint64_t ss = uprop(p, "sector_size");
		snprintf(r->detail, sizeof(r->detail), "%s partition table, "
			 "%" PRIu64 "-byte sectors", r->name,
			 ss == NO_VALUE ? 512 : ss);
		if (uprop(p, "first_lba") != NO_VALUE)
			append(r->detail, sizeof(r->detail), ", usable LBA "
			       "%" PRIu64 "-%" PRIu64, uprop(p, "first_lba"),
			       uprop(p, "last_lba"));
		if (uprop(p, "entries") != NO_VALUE)
			append(r->detail, sizeof(r->detail), ", %" PRIu64
			       " entries", uprop(p, "entries"));
		return;
	}
	case DA_NODE_FILESYSTEM: {
		clean(r->name, sizeof(r->name), sprop(p, "fstype"));
		snprintf(r->kind, sizeof(r->kind), "fs");
		snprintf(r->type, sizeof(r->type), "%.63s", r->name);
		snprintf(r->label, sizeof(r->label), "%s", lab);
		r->used = uprop(p, "used");
		r->free = uprop(p, "free");
		/* blocks (ext, xfs) or clusters (FAT, NTFS, exFAT) */
		uint64_t bs = uprop(p, "block_size"), nb = uprop(p, "blocks");
		uint64_t fb = uprop(p, "free_blocks");
		const char *unit = "blocks";
		if (nb == NO_VALUE || fb == NO_VALUE) {
			bs = uprop(p, "cluster_size");
			nb = uprop(p, "clusters");
			fb = uprop(p, "free_clusters");
			unit = "clusters";
		}
		snprintf(r->detail, sizeof(r->detail), "%s \"%s\"", r->name,
			 lab);
		if (nb != NO_VALUE && bs != NO_VALUE) {
			append(r->detail, sizeof(r->detail), ": %" PRIu64
			       " %s of %" PRIu64 " B = %" PRIu64 " B", nb, unit,
			       bs, mul(nb, bs));
			if (fb != NO_VALUE)
				append(r->detail, sizeof(r->detail), "; free %"
				       PRIu64 " %s = %" PRIu64 " B", fb, unit,
				       mul(fb, bs));
		}
		if (r->used != NO_VALUE)
			append(r->detail, sizeof(r->detail), "; used %" PRIu64
			       " B, free %" PRIu64 " B", r->used, r->free);
		return;
	}
	case DA_NODE_SWAP:
		snprintf(r->name, sizeof(r->name), "swap");
		snprintf(r->kind, sizeof(r->kind), "swap");
		snprintf(r->type, sizeof(r->type), "swap v%" PRIu64,
			 uprop(p, "version") == NO_VALUE ? 1 : uprop(p, "version"));
		snprintf(r->label, sizeof(r->label), "%s", lab);
		snprintf(r->detail, sizeof(r->detail), "swap \"%s\": %" PRIu64
			 " pages of %" PRIu64 " B, usable %" PRIu64 " B", lab,
			 uprop(p, "pages"), uprop(p, "page_size"),
			 uprop(p, "usable_size"));
		return;
	case DA_NODE_LVM2_PV: {
		char vg[64];
		clean(vg, sizeof(vg), sprop(p, "vg"));
		uint64_t pe = uprop(p, "pe_size");
		snprintf(r->name, sizeof(r->name), "PV");
		snprintf(r->kind, sizeof(r->kind), "lvm2_pv");
		snprintf(r->type, sizeof(r->type), "LVM2");
		snprintf(r->label, sizeof(r->label), "vg %.60s", vg);
		r->used = mul(uprop(p, "pe_allocated"), pe);
		r->free = mul(uprop(p, "pe_free"), pe);
		snprintf(r->detail, sizeof(r->detail), "PV of VG %s: data at "
			 "%" PRIu64 ", %" PRIu64 " PE of %" PRIu64 " B, %"
			 PRIu64 " allocated, %" PRIu64 " free", vg,
			 uprop(p, "pe_start"), uprop(p, "pe_count"), pe,
			 uprop(p, "pe_allocated"), uprop(p, "pe_free"));
		return;
	}
	case DA_NODE_LUKS:
		snprintf(r->name, sizeof(r->name), "LUKS%" PRIu64,
			 uprop(p, "version") == NO_VALUE ? 0 : uprop(p, "version"));
		snprintf(r->kind, sizeof(r->kind), "luks");
		clean(r->type, sizeof(r->type), sprop(p, "cipher"));
		snprintf(r->label, sizeof(r->label), "%s", lab);
		snprintf(r->detail, sizeof(r->detail), "%s %s, payload at %"
			 PRIu64 ", %" PRIu64 " B", r->name, sprop(p, "state"),
			 uprop(p, "payload_offset"), uprop(p, "payload_size"));
		return;
	case DA_NODE_MD_MEMBER:
		snprintf(r->name, sizeof(r->name), "md member");
		snprintf(r->kind, sizeof(r->kind), "md");
		clean(r->type, sizeof(r->type), sprop(p, "level"));
		clean(r->label, sizeof(r->label), sprop(p, "array"));
		snprintf(r->detail, sizeof(r->detail), "md %s member of %s: "
			 "data at %" PRIu64 ", %" PRIu64 " B", sprop(p, "level"),
			 r->label, uprop(p, "data_offset"), uprop(p, "data_size"));
		return;
	default:
		snprintf(r->name, sizeof(r->name), "%s", t);
		snprintf(r->kind, sizeof(r->kind), "%s", t);
		if (n->reason)
			clean(r->type, sizeof(r->type), n->reason);
		snprintf(r->detail, sizeof(r->detail), "%s", t);
		if (n->reason) {
			char why[300];
			clean(why, sizeof(why), n->reason);
			append(r->detail, sizeof(r->detail), ": %s", why);
		}
		return;
	}
}

static void slot_row(struct tree_row *r, const struct da_tree_item *it)
{
	const struct da_value *p = it->slot->props;
	clean(r->name, sizeof(r->name), sprop(p, "name"));
	clean(r->kind, sizeof(r->kind), it->slot->kind ? it->slot->kind : "");
	if (!strcmp(r->kind, "partition"))      /* as lsblk says it */
		snprintf(r->kind, sizeof(r->kind), "part");
	const char *tn = sprop(p, "type_name");
	clean(r->type, sizeof(r->type), tn[0] ? tn : sprop(p, "type"));
	clean(r->label, sizeof(r->label), sprop(p, "label"));
	r->start = uprop(p, "start");
	r->size = uprop(p, "size");
	r->dev = it->slot->dev;
	uint64_t ss = it->parent ? uprop(it->parent->props, "sector_size")
				 : NO_VALUE;
	if (ss == NO_VALUE || ss == 0)
		ss = 512;
	snprintf(r->detail, sizeof(r->detail), "%s %s: start %" PRIu64,
		 r->kind, r->name, r->start);
	if (r->start != NO_VALUE && r->start % ss == 0)
		append(r->detail, sizeof(r->detail), " (sector %" PRIu64 ")",
		       r->start / ss);
	append(r->detail, sizeof(r->detail), ", size %" PRIu64 " B", r->size);
	if (r->size != NO_VALUE && r->size % ss == 0)
		append(r->detail, sizeof(r->detail), " (%" PRIu64 " sectors)",
		       r->size / ss);
	char t[96];
	clean(t, sizeof(t), sprop(p, "type"));
	if (t[0])
		append(r->detail, sizeof(r->detail), ", type %s%s%s%s", t,
		       tn[0] ? " (" : "", tn[0] ? r->type : "",
		       tn[0] ? ")" : "");
	if (r->label[0])
		append(r->detail, sizeof(r->detail), ", label %s", r->label);
}

/* The VG of an LV ("vg/lv"): its PVs' extents added up. */
struct vg_sum {
	const char *vg;
	uint64_t pvs, pe, count, alloc, free;
};

static void vg_add(struct da_node *n, void *arg)
{
	struct vg_sum *s = arg;
	if (n->type != DA_NODE_LVM2_PV || strcmp(sprop(n->props, "vg"), s->vg))
		return;
	s->pvs++;
	s->pe = uprop(n->props, "pe_size");
	uint64_t c = uprop(n->props, "pe_count");
	uint64_t a = uprop(n->props, "pe_allocated");
	uint64_t f = uprop(n->props, "pe_free");
	s->count += c == NO_VALUE ? 0 : c;
	s->alloc += a == NO_VALUE ? 0 : a;
	s->free += f == NO_VALUE ? 0 : f;
}

static struct da_device *first_pv(struct ui *u, const char *vg)
{
	for (int i = 0; i < u->ntree; i++)
		if (!strcmp(u->tree_rows[i].kind, "lvm2_pv") &&
		    !strcmp(u->tree_rows[i].label + 3, vg))
			return u->tree_rows[i].dev;
	return NULL;
}

static void vg_row(struct build *b, const char *vg)
{
	struct tree_row *r = add_row(b->u);
	if (!r)
		return;
	struct vg_sum s = { .vg = vg };
	da_machine_each_node(b->u->m, vg_add, &s);
	clean(r->name, sizeof(r->name), vg);
	snprintf(r->kind, sizeof(r->kind), "vg");
	snprintf(r->type, sizeof(r->type), "LVM2");
	r->size = mul(s.count, s.pe);
	r->used = mul(s.alloc, s.pe);
	r->free = mul(s.free, s.pe);
	r->dev = first_pv(b->u, r->name);
	snprintf(r->detail, sizeof(r->detail), "VG %s: %" PRIu64 " PV%s, %"
		 PRIu64 " PE of %" PRIu64 " B = %" PRIu64 " B, %" PRIu64
		 " allocated, %" PRIu64 " free", r->name, s.pvs,
		 s.pvs == 1 ? "" : "s", s.count, s.pe, r->size, s.alloc,
		 s.free);
}

static void volume_row(struct build *b, const struct da_volume *v)
{
	/* an LV comes under its VG's line, made before the VG's first LV */
	const char *slash = strchr(v->name, '/');
	b->shift = 0;
	if (!strcmp(v->kind, "lv") && slash) {
		char vg[64];
		snprintf(vg, sizeof(vg), "%.*s", (int)(slash - v->name),
			 v->name);
		if (strcmp(b->vg, vg)) {
			vg_row(b, vg);
			snprintf(b->vg, sizeof(b->vg), "%s", vg);
		}
		b->shift = 1;
	} else {
		b->vg[0] = '\0';
	}
	struct tree_row *r = add_row(b->u);
	if (!r)
		return;
	r->depth = b->shift;
	clean(r->name, sizeof(r->name), b->shift ? slash + 1 : v->name);
	clean(r->kind, sizeof(r->kind), v->kind);
	r->size = v->dev ? v->dev->size : NO_VALUE;
	r->dev = v->dev;
	const struct da_value *segs = da_obj_get(v->props, "segments");
	size_t nseg = segs && segs->type == DA_V_ARR ? segs->u.c.n : 0;
	const char *st = sprop(v->props, "status");
	if (st[0])
		clean(r->type, sizeof(r->type), st);
	else if (nseg)
		snprintf(r->type, sizeof(r->type), "%zu segment%s", nseg,
			 nseg == 1 ? "" : "s");
	char full[160];
	clean(full, sizeof(full), v->name);
	snprintf(r->detail, sizeof(r->detail), "%s %s: %" PRIu64 " B", v->kind,
		 full, r->size);
	if (nseg)
		append(r->detail, sizeof(r->detail), " in %zu segment%s", nseg,
		       nseg == 1 ? "" : "s");
	if (st[0])
		append(r->detail, sizeof(r->detail), ", %s", r->type);
}

static int item_row(const struct da_tree_item *it, void *arg)
{
	struct build *b = arg;
	struct tree_row *r;
	switch (it->type) {
	case DA_TREE_DISK:
		b->vg[0] = '\0';
		b->shift = 0;
		if (!(r = add_row(b->u)))
			return 1;
		clean(r->name, sizeof(r->name), it->disk->name);
		snprintf(r->kind, sizeof(r->kind), "disk");
		clean(r->type, sizeof(r->type), it->disk->format);
		r->size = it->disk->dev->size;
		r->dev = it->disk->dev;
		snprintf(r->detail, sizeof(r->detail), "disk %s: %" PRIu64
			 " B (%" PRIu64 " sectors of 512), %s image", r->name,
			 r->size, r->size / 512, r->type);
		return 0;
	case DA_TREE_VOLUME:
		volume_row(b, it->volume);
		return 0;
	case DA_TREE_NODE:
		if (!(r = add_row(b->u)))
			return 1;
		r->depth = it->depth + b->shift;
		if (!it->node) {
			snprintf(r->name, sizeof(r->name), "(not scanned)");
			r->dev = it->dev;
			return 0;
		}
		node_row(r, it->node);
		return 0;
	case DA_TREE_SLOT:
		if (!(r = add_row(b->u)))
			return 1;
		r->depth = it->depth + b->shift;
		slot_row(r, it);
		return 0;
	}
	return 0;
}

static void tree_build(struct ui *u)
{
	u->ntree = 0;
	struct build b = { .u = u };
	da_machine_walk(u->m, item_row, &b);
}

/* ---- columns ---- */

enum { C_KIND, C_START, C_SIZE, C_TYPE, C_LABEL, C_USED, C_FREE, NCOLS };
static const struct {
	const char *title;
	int w;
	bool right;
} cols[NCOLS] = {
	[C_KIND] = { "TYPE", 8, false },
	[C_START] = { "START", 10, true },
	[C_SIZE] = { "SIZE", 9, true },
	[C_TYPE] = { "PART/FS TYPE", 16, false },
	[C_LABEL] = { "LABEL", 10, false },
	[C_USED] = { "USED", 9, true },
	[C_FREE] = { "FREE", 9, true },
};
#define NAME_MIN 16

/* Which columns fit in w, most wanted first, and their widths: what is
 * left goes to the name, then to the partition type (cut at 16 columns
 * it loses "(x86-64)"), then to the name again.  Returns the name's. */
static int layout(int w, bool on[NCOLS], int width[NCOLS])
{
	static const int want[NCOLS] = { C_SIZE, C_KIND, C_START, C_TYPE,
					 C_FREE, C_LABEL, C_USED };
	int used = NAME_MIN;
	memset(on, 0, NCOLS * sizeof(bool));
	for (int c = 0; c < NCOLS; c++)
		width[c] = cols[c].w;
	for (int i = 0; i < NCOLS; i++) {
		int c = want[i];
		if (used + 1 + cols[c].w > w)
			break;
		on[c] = true;
		used += 1 + cols[c].w;
	}
	int extra = w - used, name = NAME_MIN;
	int k = extra < 8 ? extra : 8;
	name += k;
	extra -= k;
	if (on[C_TYPE]) {
		k = extra < 8 ? extra : 8;
		width[C_TYPE] += k;
		extra -= k;
	}
	return name + extra;
}

static void size_text(char *buf, size_t len, uint64_t v)
{
	if (v == NO_VALUE)
		buf[0] = '\0';
	else
		da_human_size(v, buf, len);
}

static void row_text(const struct tree_row *r, int c, char *buf, size_t len)
{
	switch (c) {
	case C_KIND: snprintf(buf, len, "%s", r->kind); break;
	case C_START: size_text(buf, len, r->start); break;
	case C_SIZE: size_text(buf, len, r->size); break;
	case C_TYPE: snprintf(buf, len, "%s", r->type); break;
	case C_LABEL: snprintf(buf, len, "%s", r->label); break;
	case C_USED: size_text(buf, len, r->used); break;
	case C_FREE: size_text(buf, len, r->free); break;
	}
}

/* One line of columns at y: the titles (r NULL) or a row. */
static void draw_line(int y, int namew, const bool on[NCOLS],
		      const int width[NCOLS], const struct tree_row *r)
{
	char buf[128];
	if (r)
		snprintf(buf, sizeof(buf), "%*s%s", 2 * (r->depth > 20 ? 20
							 : r->depth), "",
			 r->name);
	else
		snprintf(buf, sizeof(buf), "NAME");
	put_text_cut(y, 0, namew, buf);
	int x = namew;
	for (int c = 0; c < NCOLS; c++) {
		if (!on[c])
			continue;
		x++;
		if (r)
			row_text(r, c, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", cols[c].title);
		int n = (int)strlen(buf);
		if (cols[c].right && n < width[c])
			put_text(y, x + width[c] - n, n, buf);
		else
			put_text_cut(y, x, width[c], buf);
		x += width[c];
	}
}

/* The list's lines on screen: the body less the titles and the detail. */
static int list_lines(const struct ui *u)
{
	int h = u->rows - 2 - 1 - 3;
	return h > 1 ? h : 1;
}

static void clamp(struct ui *u)
{
	if (u->tree_sel >= u->ntree)
		u->tree_sel = u->ntree - 1;
	if (u->tree_sel < 0)
		u->tree_sel = 0;
	int h = list_lines(u);
	if (u->tree_scroll > u->tree_sel)
		u->tree_scroll = u->tree_sel;
	if (u->tree_sel >= u->tree_scroll + h)
		u->tree_scroll = u->tree_sel - h + 1;
	if (u->tree_scroll > u->ntree - h)
		u->tree_scroll = u->ntree - h;
	if (u->tree_scroll < 0)
		u->tree_scroll = 0;
}

static void tree_draw(struct ui *u)
{
	tree_build(u);
	clamp(u);
	int w = u->cols;
	bool on[NCOLS];
	int width[NCOLS];
	int namew = layout(w, on, width);
	role_on(ROLE_HEADING);
	fill_line(1, 0, w);
	draw_line(1, namew, on, width, NULL);
	int h = list_lines(u);
	for (int y = 0; y < h; y++) {
		int i = u->tree_scroll + y;
		if (i >= u->ntree)
			break;
		role_on(i == u->tree_sel ? ROLE_CURSOR : ROLE_TEXT);
		if (i == u->tree_sel)
			fill_line(2 + y, 0, w);
		draw_line(2 + y, namew, on, width, &u->tree_rows[i]);
	}
	/* the selected line's exact numbers, over three lines */
	int y0 = 2 + h;
	role_on(ROLE_FRAME);
	move(y0, 0);
	for (int x = 0; x < w; x++)
		addstr(draw_hrule());
	if (u->ntree > h) {
		char pos[32];
		snprintf(pos, sizeof(pos), " %d/%d ", u->tree_sel + 1, u->ntree);
		mvaddstr(y0, w - (int)strlen(pos) - 1, pos);
	}
	role_on(ROLE_TEXT);
	if (u->ntree) {
		const char *s = u->tree_rows[u->tree_sel].detail;
		size_t len = strlen(s);
		for (int k = 1; k <= 2 && len; k++) {
			size_t n = len;
			if (n > (size_t)w - 1) {
				n = (size_t)w - 1;
				for (size_t j = n; j > n / 2; j--)
					if (s[j] == ' ') {
						n = j + 1;
						break;
					}
			}
			char line[512];
			snprintf(line, sizeof(line), "%.*s", (int)n, s);
			if (k == 2)
				put_text_cut(y0 + k, 0, w, line);
			else
				put_text(y0 + k, 0, w, line);
			s += n;
			len -= n;
		}
	}
}

/* ---- keys ---- */

/* The map follows the selection: the owner's first byte. */
static void follow(struct ui *u)
{
	if (u->tree_sel < 0 || u->tree_sel >= u->ntree)
		return;
	struct tree_row *r = &u->tree_rows[u->tree_sel];
	if (r->dev && view_show(u, r->dev, 0) < 0)
		ui_message(u, true, "%s lies on no disk", r->name);
}

static int tree_key(struct ui *u, int ch, bool code)
{
	if (!u->ntree)
		tree_build(u);
	int page = list_lines(u) > 1 ? list_lines(u) - 1 : 1;
	int sel = u->tree_sel;
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		sel--;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		sel++;
	else if (code && ch == KEY_PPAGE)
		sel -= page;
	else if (code && ch == KEY_NPAGE)
		sel += page;
	else if (code && ch == KEY_HOME)
		sel = 0;
	else if (code && ch == KEY_END)
		sel = u->ntree - 1;
	else if ((code && ch == KEY_ENTER) || (!code && (ch == '\r' ||
							  ch == '\n'))) {
		u->tree = false;
		if (u->tree_sel < u->ntree && u->tree_rows[u->tree_sel].dev)
			view_enter_space(u, u->tree_rows[u->tree_sel].dev, 0);
		return PANE_HANDLED | PANE_REDRAW;
	} else if (!code && (ch == 27 || ch == 't' || ch == 'q' ||
			     ch == 'Q')) {
		u->tree = false;
		return PANE_HANDLED | PANE_REDRAW;
	} else if (code && (ch == KEY_MOUSE || ch == KEY_RESIZE)) {
		return PANE_HANDLED;
	} else {
		return PANE_HANDLED;
	}
	if (sel >= u->ntree)
		sel = u->ntree - 1;
	if (sel < 0)
		sel = 0;
	u->tree_sel = sel;
	clamp(u);
	follow(u);
	return PANE_HANDLED | PANE_REDRAW;
}

static int tree_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)x;
	(void)buttons;
	int i = u->tree_scroll + y - 2;
	if (y < 2 || y >= 2 + list_lines(u) || i < 0 || i >= u->ntree)
		return PANE_HANDLED;
	u->tree_sel = i;
	follow(u);
	return PANE_HANDLED | PANE_REDRAW;
}

/* Open the tree on the line of the view's own space, when it has one. */
void tree_open(struct ui *u)
{
	tree_build(u);
	struct view *v = view_cur(u);
	u->tree = true;
	u->tree_sel = 0;
	for (int i = 0; i < u->ntree; i++)
		if (u->tree_rows[i].dev == v->dev) {
			u->tree_sel = i;
			break;
		}
	clamp(u);
}

const struct pane_class tree_pane = {
	.name = "tree",
	.draw = tree_draw,
	.key = tree_key,
	.mouse = tree_mouse,
};
