/* --lookup START-END and START+LENGTH: what da_range_scan finds in a
 * range, as text or one line of JSON.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "util.h"

#define SHOW_FILES 64

static void print_json(FILE *f, const struct da_range *r, const char *where,
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
		const struct da_range_owner *a = &r->owners[i];
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
		const struct da_range_role *a = &r->roles[i];
		fputs(i ? ",{\"owner\":" : "{\"owner\":", f);
		da_json_string(f, a->owner);
		fputs(",\"role\":", f);
		da_json_string(f, a->role);
		fprintf(f, ",\"bytes\":%" PRIu64 "}", a->bytes);
	}
	fputs("],\"files\":[", f);
	char path[1024];
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct da_range_file *a = &r->files[i];
		fputs(i ? ",{\"owner\":" : "{\"owner\":", f);
		da_json_string(f, a->owner);
		fprintf(f, ",\"inode\":%" PRIu64, a->id);
		da_range_file_path(a, path, sizeof(path));
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
	if (r->estimated)
		fputs(",\"estimated\":true", f);
	fputs("}\n", f);
}

static void print_text(FILE *f, const struct da_range *r,
		       const struct da_where *w)
{
	char hs[32];
	da_human_size(w->len, hs, sizeof(hs));
	da_text_string(f, w->name);
	fprintf(f, " @ %" PRIu64 "-%" PRIu64 " (%s)\n", w->off,
		w->off + w->len, hs);
	if (r->unmapped) {
		da_human_size(r->unmapped, hs, sizeof(hs));
		fprintf(f, "  %s on no disk here (a missing PV or RAID "
			"member?)\n", hs);
	}
	if (!r->nowners)
		fputs("  no owner\n", f);
	if (r->estimated)
		fputs("  (estimated: past 65536 pieces the striped volumes' "
		      "own indexes were walked, without the owners under "
		      "them)\n", f);
	for (size_t i = 0; i < r->nowners; i++) {
		const struct da_range_owner *a = &r->owners[i];
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
			const struct da_range_file *a = &r->files[i];
			da_human_size(a->bytes, hs, sizeof(hs));
			fputs("  ", f);
			da_text_string(f, a->owner);
			fprintf(f, "  inode %" PRIu64 "  ", a->id);
			da_range_file_path(a, path, sizeof(path));
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
	struct da_range *r = da_range_scan(o, w->dev, w->off, w->len,
					   DA_RANGE_ROLES | DA_RANGE_FILES);
	if (!r)
		return -1;
	if (json)
		print_json(f, r, where, w);
	else
		print_text(f, r, w);
	da_range_free(r);
	return 0;
}
