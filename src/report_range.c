/* --lookup START-END and START+LENGTH: every owner of a range with the
 * bytes it owns there, the roles inside its filesystems, and its files.
 *
 * The range is walked in pieces that stay contiguous down to a disk (a
 * volume's range may lie on several disks), each piece segment by
 * segment of the disk index; a filesystem's roles are asked a block at a
 * time (sampled past a bound) and its files come from the shared file
 * index's range question.  Every loop is bounded.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "fileindex.h"
#include "util.h"

#define MAX_PIECES 65536
#define MAX_OWNERS 64
#define MAX_ROLES 64
#define MAX_FILES 256
#define ROLE_BLOCKS 65536          /* blocks asked for their role */
#define SHOW_FILES 64

struct owner_acc {
	const struct da_claim *c;  /* the first claim seen (for its names) */
	uint64_t offset, bytes;
	bool conflict;
};

struct role_acc {
	const struct da_node *node;
	const char *owner;         /* the filesystem's name */
	const char *role;
	uint64_t bytes;
};

struct file_acc {
	const struct da_node *node;
	const char *owner;
	uint32_t file;
	uint64_t bytes;
	int64_t file_off;
	uint64_t first;            /* in the filesystem's space */
};

struct range {
	const struct da_ownership *o;
	struct owner_acc owners[MAX_OWNERS];
	size_t nowners;
	struct role_acc roles[MAX_ROLES];
	size_t nroles;
	struct file_acc files[MAX_FILES];
	size_t nfiles;
	uint64_t unmapped, role_blocks;
	bool owners_cut, files_cut, roles_sampled;
};

static bool same_owner(const struct da_claim *a, const struct da_claim *b)
{
	return a->space == b->space && a->node == b->node &&
	       a->depth == b->depth && a->name == b->name &&
	       (a->role == b->role ||
		(a->role && b->role && !strcmp(a->role, b->role)));
}

static void add_owner(struct range *r, const struct da_claim *c,
		      uint64_t owner_off, uint64_t bytes)
{
	for (size_t i = 0; i < r->nowners; i++) {
		struct owner_acc *a = &r->owners[i];
		if (same_owner(a->c, c)) {
			a->bytes += bytes;
			if (owner_off < a->offset)
				a->offset = owner_off;
			a->conflict |= c->conflict > 0;
			return;
		}
	}
	if (r->nowners == MAX_OWNERS) {
		r->owners_cut = true;
		return;
	}
	r->owners[r->nowners++] = (struct owner_acc){ c, owner_off, bytes,
						      c->conflict > 0 };
}

static void add_role(struct range *r, const struct da_claim *c,
		     const char *role, uint64_t bytes)
{
	for (size_t i = 0; i < r->nroles; i++) {
		struct role_acc *a = &r->roles[i];
		if (a->node == c->node && a->role == role) {
			a->bytes += bytes;
			return;
		}
	}
	if (r->nroles < MAX_ROLES)
		r->roles[r->nroles++] = (struct role_acc){ c->node, c->name,
							   role, bytes };
}

static void add_file(struct range *r, const struct da_claim *c,
		     const struct da_fi_share *s)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		struct file_acc *a = &r->files[i];
		if (a->node == c->node && a->file == s->file) {
			a->bytes += s->bytes;
			if (s->first < a->first) {
				a->first = s->first;
				a->file_off = s->file_off;
			}
			return;
		}
	}
	if (r->nfiles == MAX_FILES) {
		r->files_cut = true;
		return;
	}
	r->files[r->nfiles++] = (struct file_acc){ c->node, c->name, s->file,
						   s->bytes, s->file_off,
						   s->first };
}

/* Inside a filesystem (or swap): its roles block by block, its files from
 * the file index, over [off, off+len) of its space. */
static void inside(struct range *r, const struct da_claim *c, uint64_t off,
		   uint64_t len)
{
	struct da_node *n = c->node;
	if (!n || !n->plugin || !n->plugin->describe_block || c->role)
		return;
	uint64_t bs = n->dev && n->dev->block_size ? n->dev->block_size : 512;
	uint64_t end = off + len;
	for (uint64_t b = off / bs * bs; b < end; b += bs) {
		uint64_t a0 = b > off ? b : off;
		uint64_t a1 = b + bs < end ? b + bs : end;
		if (r->role_blocks >= ROLE_BLOCKS) {
			r->roles_sampled = true;
			break;
		}
		r->role_blocks++;
		struct da_block_info info;
		da_block_info_init(&info);
		if (n->plugin->describe_block(n, a0, &info) == 0 && info.role)
			add_role(r, c, info.role, a1 - a0);
	}
	const struct da_fileindex *x = da_fi_get(n);
	if (!x)
		return;
	struct da_fi_share sh[MAX_FILES];
	bool sampled = false;
	size_t k = da_fi_files_in(x, off, len, sh, MAX_FILES, &sampled);
	if (sampled || k > MAX_FILES)
		r->files_cut = true;
	for (size_t i = 0; i < k && i < MAX_FILES; i++)
		add_file(r, c, &sh[i]);
}

static void walk_disk(struct range *r, size_t d, uint64_t off, uint64_t len)
{
	size_t nsegs;
	const struct da_claim *claims;
	const struct da_segment *segs = da_ownership_segments(r->o, d, &nsegs,
							      &claims);
	long i = da_ownership_find(r->o, d, off);
	if (i < 0)
		return;
	uint64_t end = off + len;
	for (size_t k = (size_t)i; k < nsegs && segs[k].start < end; k++) {
		const struct da_segment *s = &segs[k];
		uint64_t a0 = s->start > off ? s->start : off;
		uint64_t a1 = s->start + s->len < end ? s->start + s->len : end;
		if (a1 <= a0)
			continue;
		for (uint32_t j = 0; j < s->count; j++) {
			const struct da_claim *c = &claims[s->first + j];
			uint64_t at = c->owner_start + (a0 - s->start);
			add_owner(r, c, at, a1 - a0);
			if (j == s->count - 1)
				inside(r, c, at, a1 - a0);
		}
	}
}

static int cmp_owner(const void *a, const void *b)
{
	const struct owner_acc *x = a, *y = b;
	if (x->c->depth != y->c->depth)
		return x->c->depth < y->c->depth ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int cmp_role(const void *a, const void *b)
{
	const struct role_acc *x = a, *y = b;
	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

static int cmp_file(const void *a, const void *b)
{
	const struct file_acc *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void file_path(const struct file_acc *a, char *out, size_t len)
{
	da_fi_path(da_fi_get(a->node), a->file, 0, out, len);
}

static uint64_t file_id(const struct file_acc *a)
{
	struct da_fi_file f;
	if (da_fi_file(da_fi_get(a->node), a->file, &f) < 0)
		return 0;
	return f.id;
}

static void print_json(FILE *f, const struct range *r, const char *where,
		       const struct da_where *w)
{
	fputs("{\"where\":", f);
	da_json_string(f, where);
	fputs(",\"space\":", f);
	da_json_string(f, w->name);
	fprintf(f, ",\"start\":%" PRIu64 ",\"length\":%" PRIu64, w->off,
		w->len);
	if (r->unmapped)
		fprintf(f, ",\"unmapped\":%" PRIu64, r->unmapped);
	fputs(",\"owners\":[", f);
	for (size_t i = 0; i < r->nowners; i++) {
		const struct owner_acc *a = &r->owners[i];
		fputs(i ? ",{\"kind\":" : "{\"kind\":", f);
		da_json_string(f, a->c->kind);
		fputs(",\"name\":", f);
		da_json_string(f, a->c->name);
		if (a->c->role) {
			fputs(",\"role\":", f);
			da_json_string(f, a->c->role);
		}
		fprintf(f, ",\"offset\":%" PRIu64 ",\"bytes\":%" PRIu64,
			a->offset, a->bytes);
		if (a->conflict)
			fputs(",\"conflict\":true", f);
		fputc('}', f);
	}
	fputs("],\"roles\":[", f);
	for (size_t i = 0; i < r->nroles; i++) {
		const struct role_acc *a = &r->roles[i];
		fputs(i ? ",{\"owner\":" : "{\"owner\":", f);
		da_json_string(f, a->owner);
		fputs(",\"role\":", f);
		da_json_string(f, a->role);
		fprintf(f, ",\"bytes\":%" PRIu64 "}", a->bytes);
	}
	fputs("],\"files\":[", f);
	char path[1024];
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct file_acc *a = &r->files[i];
		fputs(i ? ",{\"owner\":" : "{\"owner\":", f);
		da_json_string(f, a->owner);
		fprintf(f, ",\"inode\":%" PRIu64, file_id(a));
		file_path(a, path, sizeof(path));
		if (path[0]) {
			fputs(",\"path\":", f);
			da_json_string(f, path);
		}
		fprintf(f, ",\"bytes\":%" PRIu64 ",\"offset\":%" PRIu64,
			a->bytes, a->first);
		if (a->file_off >= 0)
			fprintf(f, ",\"file_offset\":%" PRId64, a->file_off);
		fputc('}', f);
	}
	fputc(']', f);
	if (r->roles_sampled)
		fputs(",\"roles_sampled\":true", f);
	if (r->files_cut || r->owners_cut)
		fputs(",\"incomplete\":true", f);
	fputs("}\n", f);
}

static void print_text(FILE *f, const struct range *r,
		       const struct da_where *w)
{
	char hs[32];
	da_human_size(w->len, hs, sizeof(hs));
	da_text_string(f, w->name);
	fprintf(f, " @ %" PRIu64 "-%" PRIu64 " (%s)\n", w->off,
		w->off + w->len, hs);
	if (r->unmapped) {
		da_human_size(r->unmapped, hs, sizeof(hs));
		fprintf(f, "  %s on no disk here (a missing PV?)\n", hs);
	}
	if (!r->nowners)
		fputs("  no owner\n", f);
	for (size_t i = 0; i < r->nowners; i++) {
		const struct owner_acc *a = &r->owners[i];
		da_human_size(a->bytes, hs, sizeof(hs));
		fprintf(f, "  %*s", 2 * a->c->depth, "");
		da_text_string(f, a->c->kind);
		fputc(' ', f);
		da_text_string(f, a->c->name);
		if (a->c->role) {
			fputs("  role ", f);
			da_text_string(f, a->c->role);
		}
		fprintf(f, "  %s from offset %" PRIu64 "%s\n", hs, a->offset,
			a->conflict ? "  CONFLICT" : "");
	}
	if (r->nroles) {
		fprintf(f, "roles inside%s:\n",
			r->roles_sampled ? " (sampled)" : "");
		for (size_t i = 0; i < r->nroles; i++) {
			da_human_size(r->roles[i].bytes, hs, sizeof(hs));
			fputs("  ", f);
			da_text_string(f, r->roles[i].owner);
			fputs("  ", f);
			da_text_string(f, r->roles[i].role);
			fprintf(f, "  %s\n", hs);
		}
	}
	if (r->nfiles) {
		fprintf(f, "files (%zu%s):\n", r->nfiles,
			r->files_cut ? " or more" : "");
		char path[1024];
		for (size_t i = 0; i < r->nfiles && i < SHOW_FILES; i++) {
			const struct file_acc *a = &r->files[i];
			da_human_size(a->bytes, hs, sizeof(hs));
			fputs("  ", f);
			da_text_string(f, a->owner);
			fprintf(f, "  inode %" PRIu64 "  ", file_id(a));
			file_path(a, path, sizeof(path));
			da_text_string(f, path[0] ? path : "(no path)");
			fprintf(f, "  %s", hs);
			if (a->file_off >= 0)
				fprintf(f, " from file offset %" PRId64,
					a->file_off);
			fputc('\n', f);
		}
		if (r->nfiles > SHOW_FILES)
			fprintf(f, "  ... and %zu more\n",
				r->nfiles - SHOW_FILES);
	}
}

int da_report_range(FILE *f, const struct da_ownership *o,
		    struct da_machine *m, const char *where,
		    const struct da_where *w, bool json)
{
	(void)m;
	struct range *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->o = o;
	uint64_t off = w->off, len = w->len;
	for (int guard = 0; len > 0 && guard < MAX_PIECES; guard++) {
		size_t d;
		uint64_t doff, run;
		if (da_ownership_locate(o, w->dev, off, &d, &doff, &run) < 0) {
			run = da_device_contiguous(w->dev, off);
			if (run == 0 || run > len)
				run = len;
			r->unmapped += run;
		} else {
			if (run == 0 || run > len)
				run = len;
			walk_disk(r, d, doff, run);
		}
		off += run;
		len -= run;
	}
	da_sort(r->owners, r->nowners, sizeof(*r->owners), cmp_owner);
	da_sort(r->roles, r->nroles, sizeof(*r->roles), cmp_role);
	da_sort(r->files, r->nfiles, sizeof(*r->files), cmp_file);
	if (json)
		print_json(f, r, where, w);
	else
		print_text(f, r, w);
	free(r);
	return 0;
}
