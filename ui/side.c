/* The side pane: where the cursor is and who owns it, outermost first,
 * down to the filesystem block and the file; in a layer view, where that
 * byte lives on each disk (every copy under a mirror); and what the cell
 * holds when it covers many blocks.  Built as lines, then drawn with a
 * scroll offset; focused (Tab, or a click on it), its keys scroll it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* One row of the pane: n bytes of s. */
static struct side_line *add_row(struct ui *u, enum ui_role role,
				 const char *s, size_t n)
{
	if (u->nside == u->capside) {
		int cap = u->capside ? u->capside * 2 : 64;
		struct side_line *l = realloc(u->side_lines,
					      (size_t)cap * sizeof(*l));
		if (!l)
			return NULL;
		u->side_lines = l;
		u->capside = cap;
	}
	struct side_line *l = &u->side_lines[u->nside++];
	memset(l, 0, sizeof(*l));
	l->role = role;
	l->region = -1;
	l->fam = -1;
	if (n >= sizeof(l->text))
		n = sizeof(l->text) - 1;
	memcpy(l->text, s, n);
	l->text[n] = '\0';
	return l;
}

/* How much of s (len bytes) goes on a line of at most max bytes: up to
 * the last space when there is one in the second half (words stay
 * whole), never inside a UTF-8 sequence. */
static size_t line_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	for (size_t k = max; k > max / 2; k--)
		if (s[k] == ' ')
			return k + 1;
	size_t k = max;
	while (k > 1 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

/* A long value (a path, a warning) over as many rows as it takes: the
 * first after label, the others indented.  The first row, or NULL. */
static struct side_line *add_wrapped(struct ui *u, enum ui_role role,
				     const char *label, const char *s,
				     int width)
{
	int first = width - (int)strlen(label);
	int rest = width - 6;
	if (first < 8)
		first = 8;
	if (rest < 8)
		rest = 8;
	char row[sizeof(((struct side_line *)0)->text)];
	size_t len = strlen(s);
	size_t k = line_cut(s, len, (size_t)first);
	snprintf(row, sizeof(row), "%s%.*s", label, (int)k, s);
	int at = u->nside;
	if (!add_row(u, role, row, strlen(row)))
		return NULL;
	while (k < len) {
		size_t n = line_cut(s + k, len - k, (size_t)rest);
		snprintf(row, sizeof(row), "      %.*s", (int)n, s + k);
		add_row(u, role, row, strlen(row));
		k += n;
	}
	return &u->side_lines[at];
}

/* A line of the pane; one too wide for it goes on over more rows, as
 * a cut line would hide what it ends with.  Its first row, or NULL. */
static struct side_line *add(struct ui *u, enum ui_role role,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct side_line *add(struct ui *u, enum ui_role role,
			     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return add_wrapped(u, role, "", buf, u->side.w - 2);
}

static const char *owner_role(const struct da_owner *w)
{
	if (w->has_info && w->info.role)
		return w->info.role;
	return w->role;
}

static const char *role_text(const char *role)
{
	const struct da_role_info *ri = role ? da_role(da_role_by_name(role))
					     : NULL;
	return ri ? ri->text : NULL;
}

static int role_family(const char *role)
{
	const struct da_role_info *ri = role ? da_role(da_role_by_name(role))
					     : NULL;
	if (!ri || ri->family == DA_FAM_DATA || ri->family == DA_FAM_OPAQUE)
		return -1;
	return ri->family < FAM_COUNT ? (int)ri->family : -1;
}

static const char *str_of(const struct da_value *props, const char *key)
{
	const struct da_value *v = props ? da_obj_get((struct da_value *)props,
						      key) : NULL;
	return v && v->type == DA_V_STR && v->u.s[0] ? v->u.s : NULL;
}

static int64_t int_of(const struct da_value *props, const char *key)
{
	const struct da_value *v = props ? da_obj_get((struct da_value *)props,
						      key) : NULL;
	return v && v->type == DA_V_INT ? da_value_int(v) : -1;
}

/* A partition's props: the slot of the table above it whose device is
 * the partition's space. */
static const struct da_value *part_props(const struct da_owner *w, int i)
{
	if (i < 1 || !w[i - 1].node || !w[i].space)
		return NULL;
	const struct da_node *t = w[i - 1].node;
	for (size_t k = 0; k < t->nslots; k++)
		if (t->slots[k].dev == w[i].space)
			return t->slots[k].props;
	return NULL;
}

/* "Linux LVM, "vault", 79 MiB" */
static void part_facts(const struct da_value *p, char *buf, size_t len)
{
	const char *type = str_of(p, "type_name");
	if (!type)
		type = str_of(p, "type");
	const char *label = str_of(p, "label");
	int64_t size = int_of(p, "size");
	char hs[32] = "";
	if (size >= 0)
		da_human_size((uint64_t)size, hs, sizeof(hs));
	snprintf(buf, len, "%s%s%s%s%s%s", type ? type : "",
		 label && type ? ", \"" : label ? "\"" : "",
		 label ? label : "", label ? "\"" : "",
		 hs[0] && (type || label) ? ", " : "", hs);
}

/* The filesystem's own size, as its superblock gives it: "size", or
 * "blocks" of "block_size"; 0 when neither is known. */
static uint64_t fs_own_size(const struct da_node *n)
{
	int64_t sz = int_of(n->props, "size");
	int64_t nb = int_of(n->props, "blocks");
	int64_t bs = int_of(n->props, "block_size");
	if (sz > 0)
		return (uint64_t)sz;
	if (nb > 0 && bs > 0 && (uint64_t)nb <= UINT64_MAX / (uint64_t)bs)
		return (uint64_t)nb * (uint64_t)bs;
	return 0;
}

/* "40 MiB: 11 MiB used, 29 MiB free"; a filesystem larger than its
 * device (an image cut short) "96 MiB (30 MiB of it on the device): ..." */
static void fs_facts(const struct da_node *n, char *buf, size_t len)
{
	char hs[96] = "", hu[32] = "", hf[32] = "";
	if (n->dev) {
		uint64_t own = fs_own_size(n);
		char ho[32], hd[32];
		da_human_size(n->dev->size, hd, sizeof(hd));
		if (own > n->dev->size) {
			da_human_size(own, ho, sizeof(ho));
			snprintf(hs, sizeof(hs), "%s (%s of it on the device)",
				 ho, hd);
		} else {
			snprintf(hs, sizeof(hs), "%s", hd);
		}
	}
	int64_t used = int_of(n->props, "used"), fr = int_of(n->props, "free");
	if (used >= 0)
		da_human_size((uint64_t)used, hu, sizeof(hu));
	if (fr >= 0)
		da_human_size((uint64_t)fr, hf, sizeof(hf));
	if (used >= 0 && fr >= 0)
		snprintf(buf, len, "%s: %s used, %s free", hs, hu, hf);
	else
		snprintf(buf, len, "%s", hs);
}

/* The units of owner i: a PE of a PV, an LE of an LV (from the PV's
 * extent size), an ext group or a cluster.  "" when none. */
static void unit_of(const struct da_owner *w, int i, uint64_t *pe_size,
		    char *buf, size_t len)
{
	struct da_unit_at un;
	buf[0] = '\0';
	if (w[i].node && da_node_unit(w[i].node, w[i].offset, &un) == 0) {
		if (!strcmp(un.name, "PE"))
			*pe_size = un.size;
		/* a filesystem's unit goes with its block number */
		snprintf(buf, len, "%s %" PRId64, un.name, un.number);
		return;
	}
	if (!strcmp(w[i].kind, "lv") && *pe_size)
		snprintf(buf, len, "LE %" PRIu64, w[i].offset / *pe_size);
}

/* An explanation under a role, dim and indented. */
static void add_explained(struct ui *u, const char *role, int width)
{
	const char *t = role_text(role);
	if (t)
		add_wrapped(u, ROLE_DIM, "     ", t, width);
}

/* Under a mirrored owner in a disk view: where the other copies are. */
static void add_copies(struct ui *u, size_t d, uint64_t off,
		       const struct da_location *c, int n)
{
	add(u, ROLE_TEXT, "   %d copies:", n);
	for (int k = 0; k < n; k++)
		add(u, c[k].disk == d && c[k].offset == off ? ROLE_TEXT
							    : ROLE_HEADING,
		    "   %s %s @ 0x%" PRIx64,
		    c[k].disk == d && c[k].offset == off ? "*" : "-",
		    u->m->disks[c[k].disk].name, c[k].offset);
}

/* Under an md RAID4/5/6 array: where its stripe's parity is (P, and Q
 * for RAID6), found through the array's own mapping. */
static void add_parity(struct ui *u, const struct da_owner *x)
{
	struct da_location at[2];
	char which[2];
	if (!x->space || !x->kind || strcmp(x->kind, "md_array") != 0)
		return;
	int n = da_raid_parity_on_disks(u->m, x->space, x->offset, at, which,
					2);
	if (n > 0)
		add(u, ROLE_TEXT, "   parity:");
	for (int k = 0; k < n; k++)
		add(u, ROLE_HEADING, "   %c %s @ 0x%" PRIx64, which[k],
		    u->m->disks[at[k].disk].name, at[k].offset);
}

/* The compact chain, for a short pane: one line an owner, outermost
 * first (a table whose role is only "partition" folds into the
 * partition's line), then the file, then what the innermost role is. */
static void add_owners_compact(struct ui *u, const struct da_owner *w, int n,
			       int width)
{
	uint64_t pe = 0;
	const char *last_role = NULL;
	for (int i = 0; i < n; i++) {
		const struct da_owner *x = &w[i];
		const char *role = owner_role(x);
		char unit[48], facts[160] = "", blk[48] = "";
		unit_of(w, i, &pe, unit, sizeof(unit));
		if (!strcmp(x->kind, "partition_table") && i + 1 < n &&
		    role && !strcmp(role, "partition"))
			continue;
		if (!strcmp(x->kind, "partition"))
			part_facts(part_props(w, i), facts, sizeof(facts));
		if (x->has_info && x->info.block >= 0)
			snprintf(blk, sizeof(blk), "block %" PRId64 " ",
				 x->info.block);
		const char *kind = x->fstype ? x->fstype
			: !strcmp(x->kind, "lvm2_pv") ? "PV"
			: !strcmp(x->kind, "lv") ? "LV" : x->kind;
		bool show_role = role && strcmp(role, "partition") &&
				 strcmp(role, "allocated");
		char line[600];
		snprintf(line, sizeof(line),
			 "%s %s @ %" PRIu64 "%s%s%s%s%s%s%s", kind, x->name,
			 x->offset, blk[0] || unit[0] ? "  " : "", blk, unit,
			 facts[0] ? "  " : "", facts, show_role ? "  " : "",
			 show_role ? role : "");
		add_wrapped(u, x->conflict || (x->has_info && x->info.conflict)
			    ? ROLE_CONFLICT : ROLE_TEXT, "", line, width);
		char gb[200];
		const char *gov = da_owner_governs(x, gb, sizeof(gb));
		if (gov)
			add_wrapped(u, ROLE_TEXT, "   governs ", gov, width);
		if (role)
			last_role = role;
		if (x->has_info && x->info.path[0]) {
			char fl[1200];
			int k = snprintf(fl, sizeof(fl), "%s", x->info.path);
			if (x->info.file_offset >= 0 && k > 0 &&
			    (size_t)k < sizeof(fl))
				snprintf(fl + k, sizeof(fl) - (size_t)k,
					 "  @ %" PRId64 "  inode %" PRId64,
					 x->info.file_offset, x->info.inode);
			add_wrapped(u, ROLE_HEADING, "file ", fl, width);
			if (x->info.nshared)
				add(u, ROLE_TEXT, "   shared with %u other "
				    "file%s", x->info.nshared,
				    x->info.nshared == 1 ? "" : "s");
		}
		if (x->has_info && x->info.indexing && !index_ready(u))
			add(u, ROLE_DIM, "   indexing files%s", draw_ellipsis());
	}
	if (last_role && role_text(last_role)) {
		char head[64];
		snprintf(head, sizeof(head), "%s: ", last_role);
		add_wrapped(u, ROLE_DIM, head, role_text(last_role), width);
	}
	for (int i = 0; i < n; i++)
		if (w[i].node && w[i].fstype) {
			char facts[160];
			fs_facts(w[i].node, facts, sizeof(facts));
			add(u, ROLE_DIM, "%s %s: %s", w[i].fstype, w[i].name,
			    facts);
		}
}

static void add_owners(struct ui *u, size_t d, uint64_t off, int width,
		       bool show_copies, bool compact, bool explain)
{
	struct da_owner w[UI_MAX_OWNERS];
	int n = da_owners_at(u->o, d, off, w, UI_MAX_OWNERS, true);
	if (n > UI_MAX_OWNERS)
		n = UI_MAX_OWNERS;
	if (n <= 0) {
		add(u, ROLE_DIM, "  (no owner)");
		return;
	}
	struct da_location copies[UI_MAX_COPIES];
	int mirrored = -1, ncopies = 0;
	if (show_copies)
		ncopies = da_owners_copies(u->o, w, n, &mirrored, copies,
					   UI_MAX_COPIES);
	if (compact) {
		add_owners_compact(u, w, n, width);
		if (mirrored >= 0)
			add_copies(u, d, off, copies, ncopies);
		return;
	}
	uint64_t pe = 0;
	for (int i = 0; i < n; i++) {
		const struct da_owner *x = &w[i];
		char head[64];
		snprintf(head, sizeof(head), "%d. %s ", i + 1, x->kind);
		add_wrapped(u, x->conflict ? ROLE_CONFLICT : ROLE_TEXT, head,
			    x->name, width);
		const char *role = owner_role(x);
		char hs[32], unit[48];
		da_human_size(x->offset, hs, sizeof(hs));
		unit_of(w, i, &pe, unit, sizeof(unit));
		bool fs_unit = x->has_info && x->info.block >= 0;
		add(u, ROLE_TEXT, "   @ %" PRIu64 "  (%s)%s%s", x->offset, hs,
		    unit[0] && !fs_unit ? "  " : "", fs_unit ? "" : unit);
		if (explain && !strcmp(x->kind, "partition")) {
			char facts[160];
			part_facts(part_props(w, i), facts, sizeof(facts));
			if (facts[0])
				add_wrapped(u, ROLE_DIM, "   ", facts, width);
		}
		if (explain && x->node && x->fstype) {
			char facts[160];
			fs_facts(x->node, facts, sizeof(facts));
			char line[256];
			snprintf(line, sizeof(line), "%s%s%s",
				 strcmp(x->fstype, x->name) ? x->fstype : "",
				 strcmp(x->fstype, x->name) ? ", " : "", facts);
			add_wrapped(u, ROLE_DIM, "   ", line, width);
		}
		char gb[200];
		const char *gov = da_owner_governs(x, gb, sizeof(gb));
		if (x->has_info) {
			if (x->info.block >= 0) {
				/* a big filesystem's role and group outgrow
				 * a narrow pane: wrapped, as paths are */
				char lb[48], rl[160];
				snprintf(lb, sizeof(lb), "   block %" PRId64 "  ",
					 x->info.block);
				snprintf(rl, sizeof(rl), "%s%s%s",
					 role ? role : "", unit[0] ? ", " : "",
					 unit);
				add_wrapped(u, ROLE_TEXT, lb, rl, width);
			} else if (role) {
				add(u, ROLE_TEXT, "   role %s", role);
			}
			if (gov)
				add_wrapped(u, ROLE_TEXT, "   governs ", gov,
					    width);
			if (explain)
				add_explained(u, role, width);
			if (x->info.inode >= 0)
				add(u, ROLE_TEXT, "   inode %" PRId64 "%s",
				    x->info.inode, x->info.nlinks > 1
				    ? "  (hard links)" : "");
			if (x->info.path[0])
				add_wrapped(u, ROLE_HEADING, "   path ",
					    x->info.path, width);
			if (x->info.file_offset >= 0 && x->info.path[0])
				add(u, ROLE_TEXT, "   file offset %" PRId64,
				    x->info.file_offset);
			/* once the background work is done nothing is
			 * indexing: a filesystem whose pass failed has no
			 * index to wait for */
			if (x->info.indexing && !index_ready(u))
				add(u, ROLE_DIM, "   indexing files%s",
				    draw_ellipsis());
			if (x->info.nshared)
				add(u, ROLE_TEXT, "   shared with %u other "
				    "file%s (reflink)", x->info.nshared,
				    x->info.nshared == 1 ? "" : "s");
			if (x->info.conflict)
				add(u, ROLE_CONFLICT, "   several files claim it");
		} else if (role) {
			add(u, ROLE_TEXT, "   role %s", role);
			if (gov)
				add_wrapped(u, ROLE_TEXT, "   governs ", gov,
					    width);
			/* "partition" says all there is to say */
			if (explain && strcmp(role, "partition"))
				add_explained(u, role, width);
		}
		if (x->conflict)
			add(u, ROLE_CONFLICT, "   CONFLICT: claimed twice");
		/* what the scan or the index could not read; only once the
		 * index thread is done, as it may still be writing reasons */
		if (index_ready(u) && x->node && x->node->reason &&
		    x->node->reason[0] && x->node->type != DA_NODE_UNKNOWN)
			add_wrapped(u, ROLE_CONFLICT, "   warning: ",
				    x->node->reason, width);
		if (i == mirrored)
			add_copies(u, d, off, copies, ncopies);
		add_parity(u, x);
	}
}

#define SHARES 16

struct shares {
	int id[SHARES];
	uint64_t bytes[SHARES];
	int n;
	uint64_t other;
};

static void share_add(struct shares *s, int id, uint64_t bytes)
{
	for (int i = 0; i < s->n; i++) {
		if (s->id[i] == id) {
			s->bytes[i] += bytes;
			return;
		}
	}
	if (s->n < SHARES) {
		s->id[s->n] = id;
		s->bytes[s->n++] = bytes;
	} else {
		s->other += bytes;
	}
}

static void shares_disk(const struct ui *u, size_t d, uint64_t off,
			uint64_t len, struct shares *s, int *budget);

/* A member's area of a striped space (claim via, from at): its data's
 * regions in the space's index, its parity the member's own claim's. */
static void shares_member(const struct ui *u, const struct da_claim *via,
			  const struct da_claim *under, uint64_t at,
			  uint64_t len, struct shares *s, int *budget)
{
	while (len > 0 && *budget > 0) {
		struct da_piece pc[16];
		uint64_t done, parity;
		size_t k = da_ownership_unstripe(u->o, via, at, len, pc, 16,
						 &done, &parity);
		if (done == 0)
			return;
		for (size_t i = 0; i < k && *budget > 0; i++)
			shares_disk(u, (size_t)via->through, pc[i].off,
				    pc[i].len, s, budget);
		if (parity)
			share_add(s, via->parity_region >= 0
				  ? via->parity_region
				  : under ? under->region_id : -1, parity);
		at += done;
		len -= done;
	}
}

/* Innermost regions over [off, off+len) of disk d, bounded. */
static void shares_disk(const struct ui *u, size_t d, uint64_t off,
			uint64_t len, struct shares *s, int *budget)
{
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *segs = da_ownership_segments(u->o, d, &nsegs,
							      &claims);
	long i = da_ownership_find(u->o, d, off);
	if (i < 0)
		return;
	uint64_t end = off + len;
	for (size_t k = (size_t)i; k < nsegs && segs[k].start < end &&
	     *budget > 0; k++, (*budget)--) {
		uint64_t a = segs[k].start > off ? segs[k].start : off;
		uint64_t b = segs[k].start + segs[k].len < end
			? segs[k].start + segs[k].len : end;
		if (b <= a)
			continue;
		const struct da_claim *in = segs[k].count
			? &claims[segs[k].first + segs[k].count - 1] : NULL;
		if (in && in->through >= 0) {
			shares_member(u, in, segs[k].count > 1 ? in - 1 : NULL,
				      in->owner_start + (a - segs[k].start),
				      b - a, s, budget);
			continue;
		}
		share_add(s, in ? in->region_id : -1, b - a);
	}
}

static void shares_of(const struct ui *u, const struct view *v, uint64_t off,
		      uint64_t len, struct shares *s)
{
	int budget = 4096;
	if (v->disk >= 0) {
		shares_disk(u, (size_t)v->disk, off, len, s, &budget);
		return;
	}
	for (int guard = 0; len > 0 && guard < 1024 && budget > 0; guard++) {
		size_t d;
		uint64_t doff, run;
		int at = da_ownership_locate_index(u->o, v->dev, off, &d, &doff,
						   &run);
		uint64_t r = run < len ? run : len;
		/* a degraded array's missing chunks: a chunk at a time */
		if (at == 0 && da_ownership_mapped_bytes(u->o, d, doff, r) < r)
			at = da_ownership_locate(u->o, v->dev, off, &d, &doff,
						 &run);
		if (at < 0) {
			run = da_device_contiguous(v->dev, off);
			if (!run)
				break;
		} else {
			if (run > len)
				run = len;
			shares_disk(u, d, doff, run, s, &budget);
		}
		if (run > len)
			run = len;
		off += run;
		len -= run;
	}
}

/* ---- the files in a cell ---------------------------------------------
 * The engine's range question (da_range_scan) over the cell: every file
 * with bytes there, from the filesystems' file indexes, the biggest
 * first.  A share is shown in blocks of the view. */

static void count_files(struct ui *u, const struct view *v, uint64_t start,
			uint64_t len, struct cell_files *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->dev = v->dev;
	cf->start = start;
	cf->len = len;
	cf->ready = index_ready(u);
	cf->valid = true;
	uint64_t bs = v->min_cell ? v->min_cell : 512;
	uint64_t blocks = (len + bs - 1) / bs;
	cf->blocks = blocks;
	if (blocks < 2)
		return;
	struct da_range *r = da_range_scan(u->o, v->dev, start, len,
					   DA_RANGE_ROLES | (cf->ready
							     ? DA_RANGE_FILES
							     : 0));
	if (!r)
		return;
	/* the roles inside filesystems, most bytes first (the range lists
	 * them a filesystem at a time: one role of two filesystems adds) */
	cf->roles_sampled = r->roles_sampled;
	for (size_t i = 0; i < r->nroles; i++) {
		const char *role = r->roles[i].role;
		if (!role)
			continue;
		cf->role_bytes += r->roles[i].bytes;
		int k = 0;
		while (k < cf->nroles && strcmp(cf->roles[k].role, role))
			k++;
		if (k < cf->nroles)
			cf->roles[k].bytes += r->roles[i].bytes;
		else if (k < UI_TOP_ROLES) {
			cf->roles[k].role = role;
			cf->roles[k].bytes = r->roles[i].bytes;
			cf->nroles++;
		}
	}
	if (!cf->ready) {
		da_range_free(r);
		return;
	}
	cf->samples = blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)blocks;
	cf->distinct = (uint32_t)r->nfiles;
	cf->sampled = r->files_cut;
	for (size_t i = 0; i < r->nfiles; i++)
		cf->owned += (uint32_t)((r->files[i].bytes + bs - 1) / bs);
	for (size_t i = 0; i < r->nfiles && cf->ntop < UI_TOP_FILES; i++) {
		const struct da_range_file *f = &r->files[i];
		int t = cf->ntop++;
		cf->top[t].hits = (uint32_t)((f->bytes + bs - 1) / bs);
		cf->top[t].inode = (int64_t)f->id;
		/* a file without a path (the resize inode, the journal, an
		 * orphan) goes by its number and what its blocks are */
		char path[sizeof(cf->top[t].path)];
		if (da_range_file_path(f, path, sizeof(path)) == 0 && path[0]) {
			memcpy(cf->top[t].path, path, sizeof(path));
		} else {
			struct da_block_info info;
			memset(&info, 0, sizeof(info));
			const struct da_node *n = f->node;
			const char *role = NULL;
			if (n->plugin && n->plugin->describe_block &&
			    n->plugin->describe_block((struct da_node *)n,
						      f->first, &info) == 0)
				role = info.role;
			snprintf(cf->top[t].path, sizeof(cf->top[t].path),
				 "(inode %" PRIu64 "%s%s)", f->id,
				 role ? ", " : "", role ? role : "");
		}
	}
	da_range_free(r);
}

static void add_cell_files(struct ui *u, const struct view *v, uint64_t start,
			   uint64_t len, int width)
{
	struct cell_files *cf = &u->files;
	if (!cf->valid || cf->dev != v->dev || cf->start != start ||
	    cf->len != len || cf->ready != index_ready(u))
		count_files(u, v, start, len, cf);
	if (cf->nroles > 1 || (cf->nroles == 1 &&
				role_family(cf->roles[0].role) >= 0)) {
		add(u, ROLE_TEXT, "   roles%s:", cf->roles_sampled
		    ? " (sampled)" : "");
		for (int i = 0; i < cf->nroles; i++) {
			uint64_t pct = cf->roles[i].bytes * 100 /
				       (cf->role_bytes ? cf->role_bytes : 1);
			struct side_line *l = add(u, ROLE_TEXT, "   %3u%% %s",
						  (unsigned)pct,
						  cf->roles[i].role);
			int fam = role_family(cf->roles[i].role);
			if (l && fam >= 0) {
				l->swatch = true;
				l->fam = fam;
			}
		}
	}
	if (!cf->ready || !cf->samples || !cf->owned)
		return;
	/* a disk's or an LV's smallest unit is the sector */
	const char *unit = v->min_cell == 512 ? "sectors" : "blocks";
	if (cf->sampled)
		add(u, ROLE_TEXT, "   files: %u+ in %u %s", cf->distinct,
		    cf->samples, unit);
	else
		add(u, ROLE_TEXT, "   files: %u in %u %s", cf->distinct,
		    cf->samples, unit);
	for (int i = 0; i < cf->ntop; i++) {
		char head[32];
		snprintf(head, sizeof(head), "   %3u%% ",
			 (unsigned)(cf->top[i].hits * 100ull / cf->samples));
		add_wrapped(u, ROLE_TEXT, head, cf->top[i].path, width);
	}
}

static void add_region_shares(struct ui *u, const struct view *v,
			      uint64_t start, uint64_t len,
			      const struct da_cell *cp);

static void add_cell_summary(struct ui *u, const struct view *v, int width)
{
	uint64_t start = v->cursor / v->cell * v->cell;
	uint64_t len = v->size - start < v->cell ? v->size - start : v->cell;
	struct da_cell c;
	view_summarize(u, v, start, len, &c);
	char hc[32];
	add(u, ROLE_HEADING, "this cell (%s)",
	    draw_cell_size(len, hc, sizeof(hc)));
	uint64_t denom = c.used + c.free + c.metadata;
	if (denom) {
		unsigned pu = (unsigned)(c.used * 100 / denom);
		unsigned pm = (unsigned)(c.metadata * 100 / denom);
		add(u, ROLE_TEXT, "   used %u%%  metadata %u%%  free %u%%", pu,
		    pm, 100 - pu - pm > 100 ? 0 : 100 - pu - pm);
	}
	if (c.estimated)
		add_wrapped(u, ROLE_DIM, "   ", "estimated from the striped "
			    "volume's rows: too many chunks to walk", width);
	if (c.hole)
		add(u, ROLE_TEXT, "   never written %u%%",
		    (unsigned)(c.hole * 100 / (c.bytes ? c.bytes : 1)));
	if (c.unmapped)
		add(u, ROLE_CONFLICT, "   on no disk (missing PV or member) %u%%",
		    (unsigned)(c.unmapped * 100 / (c.bytes ? c.bytes : 1)));
	if (c.pending)
		add(u, ROLE_DIM, "   not read yet %u%%%s",
		    (unsigned)(c.pending * 100 / (c.bytes ? c.bytes : 1)),
		    draw_ellipsis());
	if (c.conflict)
		add(u, ROLE_CONFLICT, "   has conflicting claims");
	add(u, ROLE_TEXT, "   %u region%s", c.nregions,
	    c.nregions == 1 ? "" : "s");
	if (c.nregions > 1 && c.bytes)
		add_region_shares(u, v, start, len, &c);
	if (v->cell > v->min_cell)
		add_cell_files(u, v, start, len, width);
}

/* The top few innermost regions of a cell by bytes. */
static void add_region_shares(struct ui *u, const struct view *v,
			      uint64_t start, uint64_t len,
			      const struct da_cell *cp)
{
	const struct da_cell c = *cp;
	struct shares s = { .n = 0 };
	shares_of(u, v, start, len, &s);
	size_t nreg;
	const struct da_region_info *r = da_ownership_regions(u->o, &nreg);
	for (int shown = 0; shown < 4; shown++) {
		int best = -1;
		for (int i = 0; i < s.n; i++)
			if (s.bytes[i] && (best < 0 || s.bytes[i] > s.bytes[best]))
				best = i;
		if (best < 0)
			break;
		int id = s.id[best];
		unsigned pct = (unsigned)(s.bytes[best] * 100 / c.bytes);
		struct side_line *l;
		if (id >= 0 && (size_t)id < nreg)
			l = add(u, ROLE_TEXT, "   %3u%% %s%s%s", pct, r[id].name,
				r[id].role ? " " : "",
				r[id].role ? r[id].role : "");
		else
			l = add(u, ROLE_TEXT, "   %3u%% no owner", pct);
		if (l) {
			l->swatch = true;
			l->region = id;
			if (id >= 0 && (size_t)id < nreg && r[id].role)
				l->fam = role_family(r[id].role);
		}
		s.bytes[best] = 0;
	}
}

/* The lines the pane shows at once.  Below the map its first row is the
 * rule with the title, and the scroll counter goes in that rule; beside
 * the map a pane with more lines than rows keeps its last row for the
 * counter.  Either way the counter never covers a line. */
static int side_rows(const struct ui *u)
{
	int h = u->side.h - (u->side_below ? 1 : 0);
	if (!u->side_below && u->nside > h && h > 2)
		h--;
	return h > 1 ? h : 1;
}

void side_build(struct ui *u)
{
	struct view *v = view_cur(u);
	int width = u->side.w - 2;
	/* a short pane under the map: the owner chain first, a line each */
	bool compact = u->side_below && !u->line_mode;
	u->nside = 0;
	char hs[32], hc[32];
	uint64_t start = v->cursor / v->cell * v->cell;
	if (compact) {
		da_human_size(v->cursor, hs, sizeof(hs));
		add(u, ROLE_HEADING, "offset 0x%" PRIx64 " (%" PRIu64 ") = %s"
		    " of %s", v->cursor, v->cursor, hs, v->name);
	} else {
		da_human_size(v->size, hs, sizeof(hs));
		add(u, ROLE_HEADING, "%s  (%s)", v->name, hs);
		add(u, ROLE_TEXT, "offset 0x%" PRIx64 " (%" PRIu64 ")",
		    v->cursor, v->cursor);
		da_human_size(v->cursor, hs, sizeof(hs));
		add(u, ROLE_DIM, "   = %s, sector %" PRIu64, hs,
		    v->cursor / view_sector_size(u));
		add(u, ROLE_DIM, "cell %s = %" PRIu64 " B",
		    draw_cell_size(v->cell, hc, sizeof(hc)), v->cell);
		add(u, ROLE_DIM, "   from 0x%" PRIx64, start);
		add(u, ROLE_TEXT, "%s", "");
	}

	struct da_location at[UI_MAX_COPIES];
	int n = view_locate_all(u, v, v->cursor, at, UI_MAX_COPIES);
	size_t sp;
	uint64_t spoff;
	if (n > 0) {
		/* on a disk: the owners below */
	} else if (da_ownership_locate_index(u->o, v->dev, v->cursor, &sp,
					     &spoff, NULL) == 0 &&
		   !da_ownership_machine_disk(u->o, sp)->is_disk) {
		/* on a missing member of a striped space: its own index
		 * still says what lies there */
		add(u, ROLE_CONFLICT, "on no disk here (a missing RAID "
		    "member?)");
		if (!compact)
			add(u, ROLE_HEADING, "owners inside %s:",
			    da_ownership_machine_disk(u->o, sp)->name);
		add_owners(u, sp, spoff, width, true, compact, true);
		if (!compact)
			add(u, ROLE_TEXT, "%s", "");
	} else {
		add(u, ROLE_CONFLICT, "maps to no disk (missing PV?)");
	}
	for (int i = 0; i < n; i++) {
		if (compact) {
			if (v->disk < 0 || n > 1)
				add(u, ROLE_HEADING, "%s %s @ %" PRIu64,
				    n > 1 ? "copy on" : "on disk",
				    u->m->disks[at[i].disk].name,
				    at[i].offset);
			add_owners(u, at[i].disk, at[i].offset, width,
				   v->disk >= 0, true, i == 0);
			continue;
		}
		if (v->disk < 0 || n > 1) {
			add(u, ROLE_HEADING, "%s %s @ 0x%" PRIx64,
			    n > 1 ? "copy on" : "on disk",
			    u->m->disks[at[i].disk].name, at[i].offset);
			add(u, ROLE_DIM, "   (%" PRIu64 ")", at[i].offset);
		}
		add(u, ROLE_HEADING, "owners, outermost first:");
		/* the roles of every copy are the same: explained once */
		add_owners(u, at[i].disk, at[i].offset, width, v->disk >= 0,
			   false, i == 0);
		add(u, ROLE_TEXT, "%s", "");
	}
	if (compact)
		add(u, ROLE_TEXT, "%s", "");
	if (v->cell > v->min_cell || v->cell > 512)
		add_cell_summary(u, v, width);
	if (!index_ready(u)) {
		int done, total;
		bg_index_progress(&u->index, &done, &total);
		add(u, ROLE_DIM, "%s", "");
		/* the count only once the index has said how many */
		if (bg_index_phase(&u->index) == BG_SETTLING)
			add(u, ROLE_DIM, "reading the filesystems' maps%s",
			    draw_ellipsis());
		else if (total > 0)
			add(u, ROLE_DIM, "indexing files%s %d of %d",
			    draw_ellipsis(), done, total);
		else
			add(u, ROLE_DIM, "indexing files%s", draw_ellipsis());
	}
	/* End shows the last line that says something, not a blank one */
	while (u->nside > 0 && !u->side_lines[u->nside - 1].text[0])
		u->nside--;
	int maxs = u->nside - side_rows(u);
	if (u->side_scroll > maxs)
		u->side_scroll = maxs > 0 ? maxs : 0;
	if (u->side_scroll < 0)
		u->side_scroll = 0;
}

static void side_draw(struct ui *u)
{
	struct rect *r = &u->side;
	if (r->h <= 0 || r->w <= 0)
		return;
	side_build(u);
	role_on(u->focus == FOCUS_SIDE ? ROLE_FOCUS : ROLE_FRAME);
	int y0 = r->y, x0 = r->x, h = r->h, w = r->w;
	int rows = side_rows(u);
	char more[32] = "";
	if (u->nside > rows)
		snprintf(more, sizeof(more), "%d/%d", u->side_scroll + 1,
			 u->nside - rows + 1);
	if (u->side_below) {
		/* a rule above the pane */
		move(y0, x0);
		for (int x = 0; x < w; x++)
			addstr(draw_hrule());
		const char *t = u->focus == FOCUS_SIDE ? " owners (Tab: map) "
						       : " owners (Tab) ";
		mvaddstr(y0, x0 + 2, t);
		/* the counter at the rule's end, when it clears the title */
		int mx = x0 + w - (int)strlen(more) - 3;
		if (more[0] && mx > x0 + 2 + (int)strlen(t)) {
			role_on(ROLE_DIM);
			mvprintw(y0, mx, " %s ", more);
		}
		y0++;
		h--;
	} else {
		for (int y = 0; y < h; y++)
			mvaddstr(y0 + y, x0, draw_vrule());
		x0 += 2;
		w -= 2;
	}
	role_on(ROLE_TEXT);
	for (int y = 0; y < rows && y < h; y++) {
		int i = u->side_scroll + y;
		move(y0 + y, x0);
		if (i >= u->nside)
			continue;
		struct side_line *l = &u->side_lines[i];
		int x = x0;
		if (l->swatch) {
			cchar_t cc;
			cell_glyph_fam(l->region, l->fam >= 0 ? FILL_META
				       : FILL_FULL, l->fam, false, false, &cc);
			mvadd_wch(y0 + y, x0 + 1, &cc);
			role_on(ROLE_TEXT);
		}
		role_on(l->role);
		put_text(y0 + y, x, w, l->text);
		if (l->swatch) {
			cchar_t cc;
			if (l->fam >= 0)
				cell_glyph_fam(l->region, FILL_META, l->fam,
					       false, false, &cc);
			else
				cell_glyph(l->region, FILL_FULL, false, false,
					   &cc);
			mvadd_wch(y0 + y, x0 + 1, &cc);
		}
		role_on(ROLE_TEXT);
	}
	/* beside the map: the counter on the row kept for it */
	if (more[0] && !u->side_below && rows < h) {
		role_on(ROLE_DIM);
		mvaddstr(y0 + h - 1, x0 + w - (int)strlen(more), more);
		role_on(ROLE_TEXT);
	}
}

static int side_key(struct ui *u, int ch, bool code)
{
	int page = side_rows(u) > 2 ? side_rows(u) - 1 : 1;
	if ((code && ch == KEY_UP) || (!code && ch == 'k'))
		u->side_scroll--;
	else if ((code && ch == KEY_DOWN) || (!code && ch == 'j'))
		u->side_scroll++;
	else if (code && ch == KEY_PPAGE)
		u->side_scroll -= page;
	else if (code && ch == KEY_NPAGE)
		u->side_scroll += page;
	else if (code && ch == KEY_HOME)
		u->side_scroll = 0;
	else if (code && ch == KEY_END)
		u->side_scroll = 1 << 20;
	else
		return PANE_PASS;
	return PANE_HANDLED | PANE_REDRAW;
}

static int side_mouse(struct ui *u, int y, int x, mmask_t buttons)
{
	(void)y;
	(void)x;
	(void)buttons;
	u->focus = FOCUS_SIDE;
	return PANE_HANDLED | PANE_REDRAW;
}

static const struct rect *side_area(const struct ui *u)
{
	return &u->side;
}

const struct pane_class side_pane = {
	.name = "side",
	.area = side_area,
	.draw = side_draw,
	.key = side_key,
	.mouse = side_mouse,
};
