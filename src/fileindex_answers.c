/* The shared file index's answers (see fileindex.h for the contract):
 * the runs holding a byte, a file's names, paths, runs and next extent,
 * find, the files and roles of a range, and the engine's questions that
 * ask them.  Everything here reads an index published by fileindex.c,
 * which never changes after, from any thread.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex_priv.h"
#include "util.h"

/* ---- answers --------------------------------------------------------- */

const struct da_fileindex *da_fi_get(const struct da_node *n)
{
	return n ? __atomic_load_n(&n->files, __ATOMIC_ACQUIRE) : NULL;
}

size_t da_fi_files(const struct da_fileindex *x)
{
	return x ? x->nfiles : 0;
}
size_t da_fi_runs(const struct da_fileindex *x)
{
	return x ? x->nruns : 0;
}
uint64_t da_fi_conflict_bytes(const struct da_fileindex *x)
{
	return x ? x->conflict_bytes : 0;
}
const char *da_fi_reason(const struct da_fileindex *x)
{
	return x && x->warning[0] ? x->warning : NULL;
}

/* A published file's names and runs: up to where the next file's begin. */
static uint32_t file_nnames(const struct fi_file *f)
{
	return f[1].name_first - f->name_first;
}

/* (after fi_byfile) */
static uint32_t file_nruns(const struct da_fileindex *x, uint32_t file)
{
	return x->run_first[file + 1] - x->run_first[file];
}

int da_fi_file(const struct da_fileindex *x, uint32_t file,
	       struct da_fi_file *out)
{
	if (!x || file >= x->nfiles)
		return -1;
	const struct fi_file *f = &x->files[file];
	*out = (struct da_fi_file){
		.id = f->id, .kind = (enum da_file_kind)f->kind,
		.size = f->size, .flags = f->flags, .nnames = file_nnames(f),
	};
	return 0;
}

uint32_t da_fi_file_nruns(const struct da_fileindex *x, uint32_t file)
{
	if (!x || file >= x->nfiles || !fi_byfile(x))
		return 0;
	return file_nruns(x, file);
}

/* The first name of a file (the one the paths of its children use). */
static const struct fi_name *first_name(const struct da_fileindex *x,
					uint32_t file)
{
	const struct fi_file *f = &x->files[file];
	return f[1].name_first > f->name_first
		       ? &x->names[x->byname[f->name_first]] : NULL;
}

int da_fi_path(const struct da_fileindex *x, uint32_t file, uint32_t k,
	       char *out, size_t cap)
{
	if (!cap)
		return -1;
	out[0] = '\0';
	if (!x || file >= x->nfiles || cap < 8)
		return -1;
	if (file == x->root) {
		if (k)
			return -1;
		snprintf(out, cap, "/");
		return 0;
	}
	const struct fi_file *f = &x->files[file];
	if (k >= file_nnames(f))
		return -1;
	/* built from the end of out: the tail of a deep path is what
	 * tells; then moved to its start */
	size_t pos = cap - 1;
	out[pos] = '\0';
	bool cut = false;
	const struct fi_name *nm = &x->names[x->byname[f->name_first + k]];
	int depth = 0;
	for (;;) {
		if (++depth > FI_MAX_DEPTH || !nm) {
			out[0] = '\0';
			return -1;     /* a loop, or an orphan */
		}
		size_t l = nm->len;
		if (!cut && l + 1 + 4 <= pos) {
			pos -= l;
			memcpy(out + pos, x->text + nm->at, l);
			out[--pos] = '/';
		} else {
			cut = true;
		}
		if (nm->p.parent == x->root)
			break;
		if (nm->p.parent == UINT32_MAX) {
			out[0] = '\0';
			return -1;
		}
		nm = first_name(x, nm->p.parent);
	}
	if (cut) {
		/* "/…" then the tail that fitted */
		static const char ell[] = "/\xe2\x80\xa6";
		pos -= sizeof(ell) - 1;
		memcpy(out + pos, ell, sizeof(ell) - 1);
	}
	memmove(out, out + pos, cap - pos);
	return 0;
}

/* The last run starting at or before off, or -1. */
static long last_at_or_before(const struct da_fileindex *x, uint64_t off)
{
	/* first among every FI_TOP-th run's start (small: in the cache),
	 * then among the FI_TOP runs it leads to */
	size_t lo = 0, hi = x->ntop;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->top[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	hi = lo * FI_TOP < x->nruns ? lo * FI_TOP : x->nruns;
	lo = (lo - 1) * FI_TOP;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->runs[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

int da_fi_at(const struct da_fileindex *x, uint64_t off,
	     struct da_fi_run *out, int max)
{
	if (!x || !x->nruns)
		return 0;
	long i = last_at_or_before(x, off);
	int n = 0;
	/* walk back while some earlier run still reaches past off; past
	 * the bound, jump to the run that reaches farthest */
	for (int steps = 0; i >= 0 && fi_maxend(x, (size_t)i) > off; steps++) {
		if (steps >= FI_WALK)
			i = (long)fi_maxrun(x, (size_t)i);
		if (fi_holds(x, &x->runs[i], off)) {
			if (n < max) {
				out[n] = fi_run_get(x, (size_t)i);
				/* the lowest file number first */
				if (n > 0 && out[n].file < out[0].file) {
					struct da_fi_run t = out[0];
					out[0] = out[n];
					out[n] = t;
				}
			}
			n++;
		}
		i--;
	}
	return n;
}

int da_fi_file_run(const struct da_fileindex *x, uint32_t file, uint32_t k,
		   struct da_fi_run *out)
{
	const uint32_t *by = x ? fi_byfile(x) : NULL;
	if (!by || file >= x->nfiles || k >= file_nruns(x, file))
		return -1;
	*out = fi_run_get(x, by[x->run_first[file] + k]);
	return 0;
}

int64_t da_fi_next_extent(const struct da_fileindex *x, uint64_t off,
			  int dir)
{
	struct da_fi_run here;
	if (da_fi_at(x, off, &here, 1) < 1)
		return -1;
	const uint32_t *by = fi_byfile(x);
	if (!by)
		return -1;
	int64_t best = -1;
	const uint32_t *mine = by + x->run_first[here.file];
	for (uint32_t k = 0, nr = file_nruns(x, here.file); k < nr; k++) {
		const struct fi_run *r = &x->runs[mine[k]];
		if (dir > 0 && r->start >= here.start + here.len &&
		    (best < 0 || r->start < (uint64_t)best))
			best = (int64_t)r->start;
		if (dir < 0 && fi_end(x, r) <= here.start &&
		    (best < 0 || r->start > (uint64_t)best))
			best = (int64_t)r->start;
	}
	return best;
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

static bool path_matches(const struct da_fileindex *x, const char *pattern,
			 const char *path)
{
	if (has_glob(pattern)) {
		int fl = x->ci ? FNM_CASEFOLD : 0;
		/* without a '/', a glob is matched against the name, as
		 * find -name does */
		if (!strchr(pattern, '/')) {
			const char *base = strrchr(path, '/');
			return fnmatch(pattern, base ? base + 1 : path, fl) == 0;
		}
		return fnmatch(pattern, path, fl) == 0;
	}
	return x->ci ? strcasestr(path, pattern) != NULL
		     : strstr(path, pattern) != NULL;
}

size_t da_fi_find(const struct da_fileindex *x, const char *pattern,
		  uint32_t *out, size_t max)
{
	if (!x || !pattern || !pattern[0])
		return 0;
	char path[1024];
	size_t found = 0;
	if (x->root != UINT32_MAX && !strcmp(pattern, "/")) {
		if (max)
			out[0] = x->root;
		return 1;
	}
	for (size_t f = 0; f < x->nfiles; f++) {
		uint32_t nn = file_nnames(&x->files[f]);
		for (uint32_t k = 0; k < nn; k++) {
			if (da_fi_path(x, (uint32_t)f, k, path,
				       sizeof(path)) < 0)
				continue;
			if (!path_matches(x, pattern, path))
				continue;
			if (found < max)
				out[found] = (uint32_t)f;
			found++;
			break;         /* a file counts once */
		}
	}
	return found;
}

#define SHARE_SLOTS 1024
#define SHARE_WHERE 4096
#define SHARE_STEPS 65536

size_t da_fi_files_in(const struct da_fileindex *x, uint64_t off,
		      uint64_t len, struct da_fi_share *out, size_t max,
		      bool *sampled)
{
	if (sampled)
		*sampled = false;
	if (!x || !x->nruns || len == 0)
		return 0;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	struct da_fi_share slot[SHARE_SLOTS];
	bool used[SHARE_SLOTS];
	memset(used, 0, sizeof(used));
	/* which slot holds a file (file + 1, 0 empty): a quarter full at
	 * most, so a file is found, or known to be absent, in a probe or
	 * two.  Without it, once every slot is taken each new file probed
	 * all of them (a cell over thousands of small files: tens of
	 * millions of steps).  The slots themselves are placed as before. */
	uint32_t where_file[SHARE_WHERE];
	uint16_t where_slot[SHARE_WHERE];
	memset(where_file, 0, sizeof(where_file));
	size_t distinct = 0;
	/* from the first run that may reach off */
	long i = last_at_or_before(x, off);
	for (int steps = 0;
	     i > 0 && fi_maxend(x, (size_t)i - 1) > off && steps < FI_WALK;
	     steps++)
		i--;
	if (i < 0)
		i = 0;
	size_t steps = 0;
	for (size_t k = (size_t)i; k < x->nruns && x->runs[k].start < end; k++) {
		if (++steps > SHARE_STEPS) {
			if (sampled)
				*sampled = true;
			break;
		}
		const struct fi_run *r = &x->runs[k];
		uint64_t a = r->start > off ? r->start : off;
		uint64_t r_end = fi_end(x, r);
		uint64_t b = r_end < end ? r_end : end;
		if (b <= a)
			continue;
		const struct fi_rest *t = fi_rest(x, r);
		size_t w = (t->file * 2654435761u) % SHARE_WHERE, s;
		while (where_file[w] && where_file[w] != t->file + 1)
			w = (w + 1) % SHARE_WHERE;
		if (where_file[w]) {
			s = where_slot[w];
		} else if (distinct == SHARE_SLOTS) {
			if (sampled)
				*sampled = true;
			continue;
		} else {
			/* a new file: the first free slot from its hash */
			s = (t->file * 2654435761u) % SHARE_SLOTS;
			while (used[s])
				s = (s + 1) % SHARE_SLOTS;
			used[s] = true;
			slot[s] = (struct da_fi_share){ t->file, 0, UINT64_MAX,
							-1 };
			distinct++;
			where_file[w] = t->file + 1;
			where_slot[w] = (uint16_t)s;
		}
		slot[s].bytes += b - a;
		if (a < slot[s].first) {
			slot[s].first = a;
			slot[s].file_off = (t->flags & DA_RUN_META)
				? -1
				: (int64_t)(t->file_off + (a - r->start));
		}
	}
	/* the biggest max, by selection: max is small */
	size_t n = 0;
	for (size_t s = 0; s < SHARE_SLOTS; s++) {
		if (!used[s])
			continue;
		size_t at = n < max ? n++ : max;
		if (at == max) {
			if (!max || slot[s].bytes <= out[max - 1].bytes)
				continue;
			at = max - 1;
		}
		while (at > 0 && out[at - 1].bytes < slot[s].bytes) {
			if (at < max)
				out[at] = out[at - 1];
			at--;
		}
		out[at] = slot[s];
	}
	return distinct;
}

/* The run da_fi_describe names among the holders of a byte (run
 * numbers in act[0..n)): da_fi_at lists them from the highest number
 * down and puts the lowest file first, the first listed on a tie. */
static const struct fi_rest *named_run(const struct da_fileindex *x,
				       const uint32_t *act, int n)
{
	const struct fi_rest *best = NULL;
	uint32_t best_i = 0;
	for (int i = 0; i < n; i++) {
		const struct fi_rest *r = fi_rest(x, &x->runs[act[i]]);
		if (!best || r->file < best->file ||
		    (r->file == best->file && act[i] > best_i)) {
			best = r;
			best_i = act[i];
		}
	}
	return best;
}

#define ROLES_HOLDERS 8            /* da_fi_describe asks da_fi_at for 8 */

int da_fi_roles_in(const struct da_fileindex *x, uint64_t off, uint64_t len,
		   size_t max_steps, da_fi_role_fn fn, void *ctx)
{
	if (!x || !x->nruns || len == 0)
		return 0;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	uint32_t act[ROLES_HOLDERS];
	int nact = 0;
	/* the holders of off, as da_fi_at finds them: back from the last
	 * run that starts at or before it while an earlier one reaches
	 * past it; where da_fi_at would jump (FI_WALK runs back), the run
	 * that reaches past off holds it and lies farther back than the
	 * walk below accepts, so the range is declined here, not after a
	 * walk back over every run of the index */
	long last = last_at_or_before(x, off);
	for (long i = last; i >= 0 && fi_maxend(x, (size_t)i) > off; i--) {
		if (last - i >= FI_WALK)
			return -1;
		if (!fi_holds(x, &x->runs[i], off))
			continue;
		if (nact == ROLES_HOLDERS)
			return -1;         /* more than it looks at */
		act[nact++] = (uint32_t)i;
	}
	size_t k = (size_t)(last + 1), steps = 0;
	uint64_t pos = off, piece = off, plen = 0;
	const char *prole = NULL;  /* the piece not yet given to fn */
	while (pos < end) {
		if (++steps > max_steps)
			return -1;
		/* the next place where the holders change */
		uint64_t next = end;
		if (k < x->nruns && x->runs[k].start < next)
			next = x->runs[k].start;
		for (int i = 0; i < nact; i++) {
			uint64_t e = fi_end(x, &x->runs[act[i]]);
			if (e < next)
				next = e;
		}
		const char *role = nact ? da_role_name((enum da_role)
					  named_run(x, act, nact)->role) : NULL;
		if (prole && (role != prole || piece + plen != pos)) {
			if (fn(ctx, piece, plen, prole))
				return -1;
			prole = NULL;
		}
		if (role && !prole) {
			piece = pos;
			plen = 0;
			prole = role;
		}
		if (role)
			plen += next - pos;
		pos = next;
		/* runs that end here leave, runs that start here come in */
		int j = 0;
		for (int i = 0; i < nact; i++)
			if (fi_end(x, &x->runs[act[i]]) > pos)
				act[j++] = act[i];
		nact = j;
		for (; pos < end && k < x->nruns && x->runs[k].start <= pos;
		     k++) {
			if (!fi_holds(x, &x->runs[k], pos))
				continue;
			if (nact == ROLES_HOLDERS)
				return -1;
			act[nact++] = (uint32_t)k;
		}
		/* da_fi_at walks back from the last run starting at or
		 * before pos down to the lowest holder: past FI_WALK it
		 * jumps */
		for (int i = 0; i < nact; i++)
			if (k - 1 - act[i] >= FI_WALK - 1)
				return -1;
	}
	if (prole && fn(ctx, piece, plen, prole))
		return -1;
	return 0;
}

int da_fi_describe(const struct da_node *n, uint64_t off,
		   struct da_block_info *out)
{
	const struct da_fileindex *x = da_fi_get(n);
	if (!x) {
		out->indexing = true;
		return 0;
	}
	struct da_fi_run r[64];
	int count = da_fi_at(x, off, r, 64);
	if (count < 1)
		return 0;
	const struct fi_file *f = &x->files[r[0].file];
	out->role = da_role_name((enum da_role)r[0].role);
	out->inode = (int64_t)f->id;
	da_fi_path(x, r[0].file, 0, out->path, sizeof(out->path));
	out->nlinks = f->kind == DA_FILE_DIR ? 0 : file_nnames(f);
	out->file_offset = (r[0].flags & DA_RUN_META)
				   ? -1
				   : (int64_t)(r[0].file_off + (off - r[0].start));
	bool conflict = false;
	uint32_t shared = 0;
	for (int i = 1; i < count && i < 64; i++) {
		if (r[i].file == r[0].file)
			continue;
		if ((r[0].flags & DA_RUN_SHARED) && (r[i].flags & DA_RUN_SHARED))
			shared++;
		else
			conflict = true;
	}
	/* past the 64 written: sharers of a shared block too */
	if (count > 64 && (r[0].flags & DA_RUN_SHARED))
		shared += (uint32_t)(count - 64);
	out->conflict = conflict;
	out->nshared = shared;
	return 1;
}

/* ---- a plugin's range_roles from exact pieces (fileindex.h) ---------- */

#define ROLES_STEPS (UINT64_C(1) << 22)    /* runs a range may walk */

void da_roles_init(struct da_roles *w, const struct da_node *n, uint64_t off,
		   uint64_t len, struct da_role_bytes *out, int max)
{
	uint64_t bs = n->dev && n->dev->block_size ? n->dev->block_size : 512;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	*w = (struct da_roles){ out, 0, max, max < 1, off, end, bs,
				da_fi_get(n), NULL };
}

/* The first byte at or after x whose block the caller counts from it:
 * the range's start, a block's start inside it, else the range's end. */
static uint64_t sample_at(const struct da_roles *w, uint64_t x)
{
	if (x <= w->off)
		return w->off;
	if (x >= w->end)
		return w->end;
	if (x % w->bs == 0)
		return x;
	uint64_t up = (x / w->bs + 1) * w->bs;
	return up < w->end ? up : w->end;
}

bool da_role_bytes_add(struct da_role_bytes *out, int *n, int max,
		       const char *role, uint64_t bytes)
{
	if (!bytes)
		return true;
	for (int i = 0; i < *n; i++) {
		if (out[i].role == role || !strcmp(out[i].role, role)) {
			out[i].bytes += bytes;
			return true;
		}
	}
	if (*n == max)
		return false;
	out[(*n)++] = (struct da_role_bytes){ role, bytes };
	return true;
}

static void add_bytes(struct da_roles *w, const char *role, uint64_t bytes)
{
	if (!w->failed && !da_role_bytes_add(w->out, &w->n, w->max, role, bytes))
		w->failed = true;
}

void da_roles_put(struct da_roles *w, uint64_t s, uint64_t e,
		  const char *role)
{
	if (!role || s >= e)
		return;
	uint64_t a = sample_at(w, s), b = sample_at(w, e);
	if (a < b)
		add_bytes(w, role, b - a);
}

void da_roles_bits(struct da_roles *w, const struct da_bitmap *bm,
		   uint64_t base, uint64_t unit, uint64_t s, uint64_t e,
		   const char *set, const char *clear)
{
	uint64_t a = sample_at(w, s), b = sample_at(w, e);
	if (a >= b || w->failed)
		return;
	if (!bm || unit != w->bs || a < base) {
		w->failed = true;
		return;
	}
	/* a counts up to the next block; then each block is counted from
	 * its start, which lies in the unit after the last one (units are
	 * blocks, perhaps not aligned with them), the last one up to b */
	uint64_t bs = w->bs, ns = (a / bs + 1) * bs;
	add_bytes(w, da_bitmap_test(bm, (a - base) / unit) ? set : clear,
		  (ns < b ? ns : b) - a);
	if (ns >= b)
		return;
	uint64_t ls = (b - 1) / bs * bs;   /* the last block's start */
	uint64_t k = (ns - base) / unit, whole = (ls - ns) / bs;
	uint64_t used = whole ? da_bitmap_count(bm, k, whole) : 0;
	add_bytes(w, set, used * bs);
	add_bytes(w, clear, (whole - used) * bs);
	add_bytes(w, da_bitmap_test(bm, k + whole) ? set : clear, b - ls);
}

struct roles_files {
	struct da_roles *w;
	da_roles_gap_fn gap;
	void *ctx;
	uint64_t at;               /* bytes before it are answered */
};

static int roles_piece(void *ctx, uint64_t start, uint64_t len,
		       const char *role)
{
	struct roles_files *f = ctx;
	struct da_roles *w = f->w;
	if (f->at < start)
		f->gap(w, f->at, start, f->ctx);
	uint64_t a = sample_at(w, start), b = sample_at(w, start + len);
	if (w->files_on && a < b) {
		uint64_t k0 = a / w->bs, k1 = (b - 1) / w->bs + 1;
		if (da_bitmap_count(w->files_on, k0, k1 - k0) != k1 - k0)
			w->failed = true;
	}
	da_roles_put(w, start, start + len, role);
	f->at = start + len;
	return f->w->failed;
}

void da_roles_files(struct da_roles *w, uint64_t s, uint64_t e,
		    da_roles_gap_fn gap, void *ctx)
{
	const struct da_fileindex *x = w->x;
	if (s < w->off)
		s = w->off;
	if (e > w->end)
		e = w->end;
	if (s >= e || w->failed)
		return;
	struct roles_files f = { w, gap, ctx, s };
	if (x && da_fi_roles_in(x, s, e - s, ROLES_STEPS, roles_piece, &f) < 0) {
		w->failed = true;
		return;
	}
	if (f.at < e)
		gap(w, f.at, e, ctx);
}

int da_roles_done(const struct da_roles *w)
{
	return w->failed ? -1 : w->n;
}

/* ---- the engine's questions (diskatlas.h) ---------------------------- */

int64_t da_fs_next_extent(const struct da_node *n, uint64_t off, int dir)
{
	if (n && n->plugin && n->plugin->file_next_extent)
		return n->plugin->file_next_extent((struct da_node *)n, off,
						   dir);
	const struct da_fileindex *x = da_fi_get(n);
	return x ? da_fi_next_extent(x, off, dir) : -1;
}

long da_fs_find(const struct da_node *n, const char *pattern,
		uint64_t *first_off, char *path_out, size_t path_len)
{
	const struct da_fileindex *x = da_fi_get(n);
	if (!x || !pattern || !pattern[0])
		return -1;
	uint32_t found[256];
	size_t count = da_fi_find(x, pattern, found, 256);
	bool have = false;
	for (size_t i = 0; i < count && i < 256 && !have; i++) {
		struct da_fi_run r;
		if (da_fi_file_run(x, found[i], 0, &r) < 0)
			continue;      /* nothing to show for an empty file */
		have = true;
		if (first_off)
			*first_off = r.start;
		if (path_out && path_len) {
			/* the name that matched, for a hard-linked file */
			char p[1024];
			path_out[0] = '\0';
			for (uint32_t k = 0;
			     da_fi_path(x, found[i], k, p, sizeof(p)) == 0; k++)
				if (path_matches(x, pattern, p)) {
					snprintf(path_out, path_len, "%s", p);
					break;
				}
			if (!path_out[0])
				da_fi_path(x, found[i], 0, path_out, path_len);
		}
	}
	return have ? (long)count : 0;
}
