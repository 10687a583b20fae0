/* Search that finds all: `/` collects every owner (partition by name or
 * label, LV, filesystem by label...) and every file of every filesystem
 * whose name or path matches (a substring, or a glob with * ? [...]; the
 * filesystem's case rule for files, owners without case), n/N walk the
 * matches as less and vim do, M lists them (matchlist.c), and the chosen
 * match's bytes are highlighted on the map in whatever view is on screen.
 *
 * The highlight is a sorted list of ranges of the view's own space, made
 * once for each view the match is seen in (its runs placed down the stack
 * with da_space_place, or the view placed onto the match's space when the
 * view lies above it), so that drawing a cell is one binary search.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex.h"
#include "ui.h"
#include "search.h"

#define MAX_MATCHES 10000          /* kept; more are counted */
#define MAX_OWNERS 1024            /* distinct owners looked at */
#define MAX_PIECES 200000          /* highlight ranges of one view */

/* ---- ranges ---- */

static void ranges_add(struct ranges *rs, uint64_t start, uint64_t len)
{
	if (!len)
		return;
	if (rs->n == rs->cap) {
		if (rs->cap >= MAX_PIECES) {
			rs->cut = true;
			return;
		}
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct range *p = realloc(rs->r, cap * sizeof(*p));
		if (!p) {
			rs->cut = true;
			return;
		}
		rs->r = p;
		rs->cap = cap;
	}
	uint64_t end = start + len < start ? UINT64_MAX : start + len;
	rs->r[rs->n++] = (struct range){ start, end };
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge touching ranges. */
static void ranges_finish(struct ranges *rs)
{
	if (rs->n > 1)
		qsort(rs->r, rs->n, sizeof(*rs->r), cmp_range);
	size_t k = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (k && rs->r[k - 1].end >= rs->r[i].start) {
			if (rs->r[i].end > rs->r[k - 1].end)
				rs->r[k - 1].end = rs->r[i].end;
		} else {
			rs->r[k++] = rs->r[i];
		}
	}
	rs->n = k;
}

static void ranges_clear(struct ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* The first range that ends after off, or rs->n. */
static size_t ranges_after(const struct ranges *rs, uint64_t off)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->r[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ranges_meet(const struct ranges *rs, uint64_t off, uint64_t len)
{
	size_t i = ranges_after(rs, off);
	return i < rs->n && rs->r[i].start < off + len;
}

/* ---- the state ---- */

static void matches_free(struct search *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].where);
		free(s->m[i].layer);
	}
	free(s->m);
	s->m = NULL;
	s->n = s->cap = s->total = 0;
}

void search_free(struct ui *u)
{
	struct search *s = u->search;
	if (!s)
		return;
	matches_free(s);
	ranges_clear(&s->own);
	ranges_clear(&s->hl);
	free(s);
	u->search = NULL;
}

void search_clear(struct ui *u)
{
	search_free(u);
}

bool search_active(const struct ui *u)
{
	return u->search && u->search->cur >= 0;
}

bool search_list_open(const struct ui *u)
{
	return u->search && u->search->list;
}

static struct match *add_match(struct search *s)
{
	s->total++;
	if (s->n >= MAX_MATCHES)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct match *p = realloc(s->m, cap * sizeof(*p));
		if (!p)
			return NULL;
		s->m = p;
		s->cap = cap;
	}
	struct match *m = &s->m[s->n++];
	memset(m, 0, sizeof(*m));
	return m;
}

static char *dup_str(const char *t)
{
	char *p = strdup(t ? t : "");
	if (!p)
		da_out_of_memory();
	return p;
}

/* ---- owners ---- */

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Owner names have no case rule of their own: matched without case. */
static bool owner_match(const char *name, const char *pat, bool exact)
{
	if (!name || !name[0])
		return false;
	if (has_glob(pat))
		return !exact && fnmatch(pat, name, FNM_CASEFOLD) == 0;
	return exact ? !strcasecmp(name, pat) : strcasestr(name, pat) != NULL;
}

struct owner {
	const char *kind, *name;
	struct da_device *space;
	struct da_node *node;
	size_t disk;               /* a disk it lies on */
	size_t index;              /* the index it was last seen in */
	uint64_t bytes, last_end;
	uint32_t pieces;
};

struct slot_label {
	struct da_device *dev;
	const char *label;
};

struct labels {
	struct slot_label l[MAX_OWNERS];
	size_t n;
};

static void collect_labels(struct da_node *n, void *arg)
{
	struct labels *ls = arg;
	for (size_t i = 0; i < n->nslots && ls->n < MAX_OWNERS; i++) {
		struct da_value *v = da_obj_get(n->slots[i].props, "label");
		if (n->slots[i].dev && v && v->type == DA_V_STR && v->u.s[0])
			ls->l[ls->n++] = (struct slot_label){ n->slots[i].dev,
							      v->u.s };
	}
}

static const char *label_of(const struct labels *ls, const struct da_device *d)
{
	for (size_t i = 0; d && i < ls->n; i++)
		if (ls->l[i].dev == d)
			return ls->l[i].label;
	return NULL;
}

/* Every distinct owner of the disks (kind, name, space), with the disk
 * bytes it claims and in how many pieces. */
static size_t list_owners(struct ui *u, struct owner *ow, size_t max)
{
	size_t n = 0;
	/* the disks, then the striped spaces (a RAID5's or a striped LV's
	 * owners are indexed in its own space: their bytes are its bytes,
	 * and their disk the one its first byte lies on) */
	for (size_t d = 0; d < da_ownership_nindexes(u->o); d++) {
		size_t disk = d, nsegs;
		uint64_t doff;
		if (d >= u->m->ndisks &&
		    da_ownership_locate(u->o, da_ownership_machine_disk(u->o, d),
					0, &disk, &doff, NULL) < 0)
			continue;
		const struct da_claim *claims;
		const struct da_segment *segs = da_ownership_segments(u->o, d,
								      &nsegs,
								      &claims);
		for (size_t i = 0; i < nsegs; i++) {
			for (uint32_t j = 0; j < segs[i].count; j++) {
				const struct da_claim *c = &claims[segs[i].first + j];
				if (!c->name || c->through >= 0)
					continue;
				size_t k;
				for (k = 0; k < n; k++)
					if (ow[k].space == c->space &&
					    ow[k].node == c->node &&
					    !strcmp(ow[k].kind, c->kind) &&
					    !strcmp(ow[k].name, c->name))
						break;
				if (k == n) {
					if (n == max)
						continue;
					ow[n++] = (struct owner){
						.kind = c->kind, .name = c->name,
						.space = c->space, .node = c->node,
						.disk = disk, .index = d };
				}
				/* a piece per run of touching segments */
				if (ow[k].pieces == 0 || ow[k].index != d ||
				    ow[k].last_end != segs[i].start)
					ow[k].pieces++;
				ow[k].index = d;
				ow[k].last_end = segs[i].start + segs[i].len;
				ow[k].bytes += segs[i].len;
			}
		}
	}
	return n;
}

static void add_owner_match(struct ui *u, struct search *s,
			    const struct owner *o, const char *label)
{
	struct match *m = add_match(s);
	if (!m)
		return;
	char name[512];
	if (label && strcmp(label, o->name))
		snprintf(name, sizeof(name), "%s %s (%s)", o->kind, o->name,
			 label);
	else
		snprintf(name, sizeof(name), "%s %s", o->kind, o->name);
	m->kind = MATCH_OWNER;
	m->node = o->node;
	m->space = o->space ? o->space : da_ownership_machine_disk(u->o, o->disk);
	m->name = dup_str(name);
	m->where = dup_str(o->kind);
	m->layer = dup_str(u->m->disks[o->disk].name);
	m->size = o->space ? o->space->size : o->bytes;
	m->extents = o->pieces;
}

/* Owners named pat exactly (exact), or whose name contains it. */
static void find_owners(struct ui *u, struct search *s, bool exact)
{
	struct owner *ow = calloc(MAX_OWNERS, sizeof(*ow));
	struct labels *ls = calloc(1, sizeof(*ls));
	if (!ow || !ls) {
		free(ow);
		free(ls);
		return;
	}
	da_machine_each_node(u->m, collect_labels, ls);
	size_t n = list_owners(u, ow, MAX_OWNERS);
	for (size_t i = 0; i < n; i++) {
		const char *label = label_of(ls, ow[i].space);
		bool hit = owner_match(ow[i].name, s->pattern, exact) ||
			   owner_match(label, s->pattern, exact);
		/* exact ones came first: not twice */
		if (!exact && (owner_match(ow[i].name, s->pattern, true) ||
			       owner_match(label, s->pattern, true)))
			hit = false;
		if (hit)
			add_owner_match(u, s, &ow[i], label);
	}
	free(ow);
	free(ls);
}

/* ---- files ---- */

static const char *str_prop(const struct da_node *n, const char *key)
{
	struct da_value *v = da_obj_get(n->props, key);
	return v && v->type == DA_V_STR && v->u.s[0] ? v->u.s : NULL;
}

/* A file's extents: its data runs in the filesystem's space, touching
 * ones counted once; with the largest gap between neighbours. */
static uint32_t file_extents(const struct da_fileindex *x, uint32_t f,
			     struct ranges *out, uint64_t *gap)
{
	struct ranges data = { 0 };
	struct da_fi_run r;
	for (uint32_t k = 0; da_fi_file_run(x, f, k, &r) == 0; k++) {
		if (out)
			ranges_add(out, r.start, r.len);
		if (!(r.flags & DA_RUN_META))
			ranges_add(&data, r.start, r.len);
	}
	ranges_finish(&data);
	uint64_t g = 0;
	for (size_t i = 1; i < data.n; i++)
		if (data.r[i].start - data.r[i - 1].end > g)
			g = data.r[i].start - data.r[i - 1].end;
	if (gap)
		*gap = g;
	uint32_t n = data.n > UINT32_MAX ? UINT32_MAX : (uint32_t)data.n;
	ranges_clear(&data);
	return n;
}

static bool path_match(const char *path, const char *pat, bool nocase)
{
	if (has_glob(pat)) {
		/* a glob without '/' is matched against the name */
		const char *base = strrchr(path, '/');
		const char *subject = strchr(pat, '/') || !base ? path : base + 1;
		return fnmatch(pat, subject, nocase ? FNM_CASEFOLD : 0) == 0;
	}
	return nocase ? strcasestr(path, pat) != NULL : strstr(path, pat) != NULL;
}

/* The name a hard-linked file matched by: the first of its paths that
 * matches with case, else without (the filesystem's rule decided that
 * it matched at all), else its first path.  -1 for an orphan. */
static int matching_path(const struct da_fileindex *x, uint32_t f,
			 const char *pat, char *out, size_t cap)
{
	struct da_fi_file info;
	if (da_fi_file(x, f, &info) == 0 && info.nnames > 1) {
		for (int nocase = 0; nocase < 2; nocase++)
			for (uint32_t k = 0; k < info.nnames && k < 64; k++)
				if (da_fi_path(x, f, k, out, cap) == 0 &&
				    path_match(out, pat, nocase))
					return 0;
	}
	if (da_fi_path(x, f, 0, out, cap) < 0 || !out[0])
		return -1;
	return 0;
}

struct file_hit {
	uint32_t file;
	char *path;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct file_hit *x = a, *y = b;
	return strcmp(x->path, y->path);
}

struct file_walk {
	struct ui *u;
	struct search *s;
	struct da_node *first;     /* the filesystem under the cursor */
	bool first_pass;
};

static void find_files_in(struct da_node *n, void *arg)
{
	struct file_walk *w = arg;
	if (n->type != DA_NODE_FILESYSTEM)
		return;
	if ((n == w->first) != w->first_pass)
		return;
	const struct da_fileindex *x = da_fi_get(n);
	if (!x) {
		if (n->plugin && n->plugin->build_index)
			w->s->indexing = true;
		return;
	}
	struct search *s = w->s;
	size_t room = s->n < MAX_MATCHES ? MAX_MATCHES - s->n : 0;
	uint32_t *ids = malloc((room ? room : 1) * sizeof(*ids));
	if (!ids)
		return;
	size_t total = da_fi_find(x, s->pattern, ids, room);
	size_t got = total < room ? total : room;
	s->total += total - got;   /* counted, not kept */
	struct file_hit *h = calloc(got ? got : 1, sizeof(*h));
	if (!h) {
		free(ids);
		return;
	}
	for (size_t i = 0; i < got; i++) {
		char path[1024];
		if (matching_path(x, ids[i], s->pattern, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "(file %" PRIu64 ")",
				 (uint64_t)ids[i]);
		h[i] = (struct file_hit){ ids[i], dup_str(path) };
	}
	qsort(h, got, sizeof(*h), cmp_hit);
	const char *label = str_prop(n, "label"), *type = str_prop(n, "fstype");
	char where[160];
	if (label && type)
		snprintf(where, sizeof(where), "%s (%s)", label, type);
	else
		snprintf(where, sizeof(where), "%s", label ? label
			 : type ? type : "filesystem");
	for (size_t i = 0; i < got; i++) {
		struct match *m = add_match(s);
		if (!m) {
			free(h[i].path);
			continue;
		}
		struct da_fi_file f;
		memset(&f, 0, sizeof(f));
		da_fi_file(x, h[i].file, &f);
		m->kind = MATCH_FILE;
		m->node = n;
		m->file = h[i].file;
		m->space = n->dev;
		m->name = h[i].path;
		m->where = dup_str(where);
		m->layer = dup_str(n->dev ? n->dev->name : "");
		m->size = f.size;
		m->extents = file_extents(x, h[i].file, NULL, NULL);
	}
	free(h);
	free(ids);
}

/* ---- the highlight ---- */

static void place_fwd(void *arg, struct da_device *to, uint64_t from_off,
		      uint64_t to_off, uint64_t len)
{
	(void)to;
	(void)from_off;
	ranges_add(arg, to_off, len);
}

struct rev {
	const struct ranges *own;
	struct ranges *out;
};

/* A piece of the view that lies on the match's space: the part of it
 * inside the match's ranges, in the view's offsets. */
static void place_rev(void *arg, struct da_device *to, uint64_t from_off,
		      uint64_t to_off, uint64_t len)
{
	(void)to;
	struct rev *r = arg;
	uint64_t end = to_off + len;
	for (size_t i = ranges_after(r->own, to_off);
	     i < r->own->n && r->own->r[i].start < end && !r->out->cut; i++) {
		uint64_t a = r->own->r[i].start > to_off ? r->own->r[i].start
							 : to_off;
		uint64_t b = r->own->r[i].end < end ? r->own->r[i].end : end;
		if (b > a)
			ranges_add(r->out, from_off + (a - to_off), b - a);
	}
}

static void build_highlight(struct search *s, const struct view *v)
{
	ranges_clear(&s->hl);
	s->hl_dev = v->dev;
	s->hl_valid = true;
	if (s->cur < 0)
		return;
	struct match *m = &s->m[s->cur];
	/* the match's bytes down to the view's space... */
	for (size_t i = 0; i < s->own.n && !s->hl.cut &&
	     s->hl.n < MAX_PIECES; i++)
		da_space_place(m->space, s->own.r[i].start,
			       s->own.r[i].end - s->own.r[i].start, v->dev,
			       MAX_PIECES - s->hl.n, place_fwd, &s->hl);
	/* ...or, a view above the match's space (a filesystem in the LV
	 * that is the match), the view's bytes down onto it */
	if (!s->hl.n && v->dev != m->space) {
		struct rev r = { &s->own, &s->hl };
		da_space_place(v->dev, 0, v->size, m->space, MAX_PIECES,
			       place_rev, &r);
	}
	ranges_finish(&s->hl);
}

bool search_marked(struct ui *u, const struct view *v, uint64_t off,
		   uint64_t len)
{
	struct search *s = u->search;
	if (!s || s->cur < 0)
		return false;
	if (!s->hl_valid || s->hl_dev != v->dev)
		build_highlight(s, v);
	return ranges_meet(&s->hl, off, len);
}

/* ---- choosing a match ---- */

/* Go to match k and highlight it; false when it has no bytes to go to
 * (an empty file, data inline in its inode) or they lie on no disk. */
bool search_choose(struct ui *u, long k)
{
	struct search *s = u->search;
	struct match *m = &s->m[k];
	s->cur = k;
	s->hl_valid = false;
	ranges_clear(&s->own);
	s->extents = m->extents;
	s->largest_gap = 0;
	s->first = 0;
	const struct da_fileindex *x = m->kind == MATCH_FILE ? da_fi_get(m->node)
							     : NULL;
	if (x) {
		s->extents = file_extents(x, m->file, &s->own, &s->largest_gap);
		struct da_fi_run r;
		if (da_fi_file_run(x, m->file, 0, &r) == 0)
			s->first = r.start;
	} else {
		ranges_add(&s->own, 0, m->space ? m->space->size : 0);
	}
	ranges_finish(&s->own);
	if (m->kind == MATCH_FILE && !s->own.n) {
		ui_message(u, false, "match %ld/%zu: %s has no bytes of its "
			   "own on disk (empty or inline)", k + 1, s->total,
			   m->name);
		return false;
	}
	/* in the view on screen when it shows those bytes; else the view
	 * that holds them, and say which */
	struct view *v = view_cur(u);
	struct da_location at[1];
	uint64_t there = 0;
	bool here = false;
	struct ranges tmp = { 0 };
	if (da_space_place(m->space, s->first, 1, v->dev, 1, place_fwd,
			   &tmp) && tmp.n) {
		there = tmp.r[0].start;
		here = true;
	}
	ranges_clear(&tmp);
	char note[200] = "";
	if (here) {
		view_set_cursor(u, v, there);
	} else {
		size_t before_disk = u->disk;
		int before_depth = u->depths[u->disk];
		if (view_goto_space(u, m->space, s->first) < 0 ||
		    da_ownership_locate_all(u->o, m->space, s->first, at, 1) < 1) {
			ui_message(u, true, "match %ld/%zu: %s lies on no disk",
				   k + 1, s->total, m->name);
			return false;
		}
		struct view *nv = view_cur(u);
		if (u->disk != before_disk || u->depths[u->disk] != before_depth)
			snprintf(note, sizeof(note), "switched to view %s; ",
				 nv->name);
	}
	/* how fragmented: extents per MiB of the file, the largest gap
	 * between two of its extents in the filesystem */
	char frag[96] = "";
	if (m->kind == MATCH_FILE && s->extents > 1) {
		char gap[32];
		da_human_size(s->largest_gap, gap, sizeof(gap));
		double mib = (double)m->size / 1048576.0;
		snprintf(frag, sizeof(frag), ", %u extents, %.1f/MiB, "
			 "largest gap %s", s->extents,
			 mib > 0 ? s->extents / mib : 0.0, gap);
	} else if (m->kind == MATCH_FILE) {
		snprintf(frag, sizeof(frag), ", %u extent%s", s->extents,
			 s->extents == 1 ? "" : "s");
	}
	ui_message(u, false, "%smatch %ld/%zu: %s%s", note, k + 1, s->total,
		   m->name, frag);
	return true;
}

/* ---- / and n/N ---- */

/* The filesystem under the cursor, searched first. */
static struct da_node *fs_under_cursor(struct ui *u)
{
	struct view *v = view_cur(u);
	struct da_location at[1];
	if (view_locate_all(u, v, v->cursor, at, 1) != 1)
		return NULL;
	struct da_owner w[UI_MAX_OWNERS];
	int n = da_owners_at(u->o, at[0].disk, at[0].offset, w,
			     UI_MAX_OWNERS, false);
	if (n > UI_MAX_OWNERS)
		n = UI_MAX_OWNERS;
	for (int i = n - 1; i >= 0; i--)
		if (w[i].node && w[i].node->type == DA_NODE_FILESYSTEM)
			return w[i].node;
	return NULL;
}

/* Owners named exactly so, then files (the filesystem on screen first,
 * each filesystem's by path), then owners whose name holds the text:
 * "root" finds the filesystem before the files under /root. */
int search_run(struct ui *u, const char *text)
{
	search_free(u);
	struct search *s = calloc(1, sizeof(*s));
	if (!s) {
		ui_message(u, true, "out of memory for the search");
		return -1;
	}
	u->search = s;
	s->cur = -1;
	snprintf(s->pattern, sizeof(s->pattern), "%s", text);
	find_owners(u, s, true);
	struct file_walk w = { u, s, fs_under_cursor(u), true };
	if (w.first)
		find_files_in(w.first, &w);
	w.first_pass = false;
	da_machine_each_node(u->m, find_files_in, &w);
	find_owners(u, s, false);
	if (!s->n) {
		if (s->indexing)
			ui_message(u, true, "no owner matches (files are still "
				   "being indexed): '%s'", text);
		else
			ui_message(u, true, "no owner or file matches '%s'",
				   text);
		search_free(u);
		return -1;
	}
	/* the first match with bytes to show (a bounded look) */
	long first = -1;
	for (long k = 0; k < (long)s->n && k < 1000 && first < 0; k++)
		if (search_choose(u, k))
			first = k;
	if (first < 0)
		search_choose(u, 0);
	char head[120];
	snprintf(head, sizeof(head), "%zu match%s%s", s->total,
		 s->total == 1 ? "" : "es",
		 s->n < s->total ? " (first ones kept)" : "");
	/* the count first, then what the first match is */
	char rest[sizeof(u->msg)];
	snprintf(rest, sizeof(rest), "%s", u->msg);
	bool err = u->msg_error;
	ui_message(u, err, "%s%s; %s", head, s->total > 1
		   ? " (n/N, M list)" : "", rest);
	return 0;
}

int search_next(struct ui *u, int dir)
{
	struct search *s = u->search;
	if (!s || !s->n) {
		ui_message(u, false, "no search yet: / finds owners and files "
			   "(e/E: next extent)");
		return -1;
	}
	long n = (long)s->n, k = s->cur < 0 ? 0 : s->cur + (dir > 0 ? 1 : -1);
	bool wrapped = k >= n || k < 0;
	k = (k % n + n) % n;
	search_choose(u, k);
	if (wrapped && !u->msg_error) {
		char rest[sizeof(u->msg)];
		snprintf(rest, sizeof(rest), "%s", u->msg);
		ui_message(u, false, "%s; %s", dir > 0
			   ? "wrapped to the first" : "wrapped to the last",
			   rest);
	}
	return 0;
}

/* The right end of the status bar while a match is chosen:
 * "match 3/12, 4 ext" (ASCII: its width is its length). */
void search_status(struct ui *u, char *buf, size_t len)
{
	struct search *s = u->search;
	if (!s || s->cur < 0) {
		buf[0] = '\0';
		return;
	}
	const struct match *m = &s->m[s->cur];
	if (m->kind == MATCH_FILE)
		snprintf(buf, len, " match %ld/%zu, %u ext ", s->cur + 1,
			 s->total, s->extents);
	else
		snprintf(buf, len, " match %ld/%zu ", s->cur + 1, s->total);
}

