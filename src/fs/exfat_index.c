/* The exFAT file index: the directory tree walked breadth first from the
 * root, each directory entry set (a File entry, its Stream Extension and
 * its File Name entries, under one checksum) turned into a file of the
 * shared index with its name and the runs of its clusters: a FAT chain,
 * or one contiguous run for a NoFatChain file.  Bytes past the valid
 * data length are allocated but unwritten.
 *
 * Bounded: a per-chain visited set stops a chain that loops, a link out
 * of the heap stops it, a global budget of chain steps stops cross-linked
 * chains from multiplying the walk, a directory whose first cluster was
 * already entered (a directory that contains itself) is not entered
 * again, a cluster two directories share is read for the first only (so
 * that no entry, and no file id, is read twice), and nesting stops at
 * EXFAT_MAX_DEPTH.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exfat.h"
#include "fat_table.h"
#include "fileindex.h"

#define T_FILE 0x85
#define T_STREAM 0xC0
#define T_NAME 0xC1
#define T_BITMAP 0x81
#define T_UPCASE 0x82
#define ATTR_DIR 0x10
#define FLAG_NOFATCHAIN 0x02

struct run {
	uint32_t start, len;       /* clusters */
};

struct dir {
	uint64_t id;
	uint32_t first, nclusters, depth;
	bool nofat;
};

struct walk {
	struct da_node *n;
	const struct exfat_geom *g;
	const struct exfat_priv *p;
	struct da_fileindex *x;
	struct fat_table *fat;     /* the active FAT, read as chains ask */
	uint8_t *visited;          /* clusters of the chain being followed */
	uint8_t *entered;          /* first clusters of directories queued */
	uint8_t *parsed;           /* clusters whose entries were read */
	uint64_t budget;           /* chain steps left */
	struct run *runs;
	size_t nruns, rcap;
	struct dir *q;
	size_t nq, qcap;
	uint64_t bad_sets, free_claims;
	bool full;                 /* the index refused more */
	bool oom;
};

static bool bit_get(const uint8_t *b, uint32_t i)
{
	return b[i >> 3] & (1u << (i & 7));
}
static void bit_set(uint8_t *b, uint32_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static int push_run(struct walk *w, uint32_t c, uint32_t len)
{
	if (w->nruns && w->runs[w->nruns - 1].start +
			w->runs[w->nruns - 1].len == c) {
		w->runs[w->nruns - 1].len += len;
		return 0;
	}
	if (w->nruns == w->rcap) {
		size_t cap = w->rcap ? w->rcap * 2 : 64;
		struct run *r = realloc(w->runs, cap * sizeof(*r));
		if (!r) {
			w->oom = true;
			return -1;
		}
		w->runs = r;
		w->rcap = cap;
	}
	w->runs[w->nruns++] = (struct run){ c, len };
	return 0;
}

/* The clusters of a file into w->runs, in file order: want clusters from
 * first, contiguous (NoFatChain) or along the FAT.  Returns how many were
 * found (want UINT64_MAX: to the chain's end); problems become index
 * warnings naming the file. */
static uint64_t clusters_of(struct walk *w, const char *name, uint32_t first,
			    uint64_t want, bool nofat)
{
	const struct exfat_geom *g = w->g;
	w->nruns = 0;
	if (!want)
		return 0;
	if (!exfat_cluster_ok(g, first)) {
		da_fi_warn(w->x, "%s starts at cluster %u, outside 2..%u",
			   name, first, g->clusters + 1);
		return 0;
	}
	if (nofat) {
		uint64_t room = (uint64_t)g->clusters + 2 - first;
		if (want > room) {
			da_fi_warn(w->x, "%s: %llu contiguous clusters from %u "
				   "run past the cluster heap", name,
				   (unsigned long long)want, first);
			want = room;
		}
		push_run(w, first, (uint32_t)want);
		return want;
	}
	uint64_t got = 0;
	uint32_t c = first;
	while (got < want) {
		if (!w->budget) {
			da_fi_warn(w->x, "cross-linked chains: gave up following");
			break;
		}
		w->budget--;
		if (bit_get(w->visited, c - 2)) {
			da_fi_warn(w->x, "%s: cluster chain loops at cluster %u",
				   name, c);
			break;
		}
		bit_set(w->visited, c - 2);
		if (push_run(w, c, 1) < 0)
			break;
		got++;
		uint32_t v;
		if (fat_table_get(w->fat, c, &v) < 0) {
			da_fi_warn(w->x, "%s: the FAT entry of cluster %u cannot "
				   "be read", name, c);
			break;
		}
		if (v >= 0xFFFFFFF8u) {
			if (got < want && want != UINT64_MAX)
				da_fi_warn(w->x, "%s: chain ends after %llu of "
					   "%llu clusters", name,
					   (unsigned long long)got,
					   (unsigned long long)want);
			break;
		}
		if (got < want && !exfat_cluster_ok(g, v)) {
			da_fi_warn(w->x, "%s: cluster %u links to %s %#x", name,
				   c, v == 0 ? "free" : v == 0xFFFFFFF7u ?
				   "bad" : "invalid", v);
			break;
		}
		c = v;
	}
	/* the visited set is per chain: clear what this one marked */
	for (size_t i = 0; i < w->nruns; i++)
		for (uint32_t j = 0; j < w->runs[i].len; j++)
			w->visited[(w->runs[i].start + j - 2) >> 3] = 0;
	return got;
}

/* Give w->runs to file number f: bytes past valid are unwritten. */
static void emit_runs(struct walk *w, uint32_t f, enum da_role role,
		      uint64_t valid, uint32_t flags)
{
	const struct exfat_geom *g = w->g;
	uint64_t file_off = 0;
	for (size_t i = 0; i < w->nruns && !w->full; i++) {
		uint64_t start = exfat_cluster_off(g, w->runs[i].start);
		uint64_t len = (uint64_t)w->runs[i].len * g->cs;
		uint64_t inuse = da_bitmap_count(w->p->used, w->runs[i].start - 2,
						 w->runs[i].len);
		w->free_claims += w->runs[i].len - inuse;
		uint64_t head = valid > file_off ? valid - file_off : 0;
		if (head > len)
			head = len;
		if (head && da_fi_add_run(w->x, f, start, head, file_off, role,
					  flags) < 0)
			w->full = true;
		if (head < len &&
		    da_fi_add_run(w->x, f, start + head, len - head,
				  file_off + head, role,
				  flags | DA_RUN_UNWRITTEN) < 0)
			w->full = true;
		file_off += len;
	}
}

static uint32_t add_file(struct walk *w, uint64_t id, enum da_file_kind kind,
			 uint64_t size)
{
	uint32_t f = da_fi_add_file(w->x, id, kind, size, 0);
	if (f == UINT32_MAX)
		w->full = true;
	return f;
}

static void queue_dir(struct walk *w, const char *name, uint64_t id,
		      uint32_t first, uint64_t nclusters, bool nofat,
		      uint32_t depth)
{
	const struct exfat_geom *g = w->g;
	if (!nclusters || !exfat_cluster_ok(g, first))
		return;
	if (bit_get(w->entered, first - 2)) {
		da_fi_warn(w->x, "%s: directory loops back to a directory "
			   "already read (cluster %u)", name, first);
		return;
	}
	if (depth > EXFAT_MAX_DEPTH) {
		da_fi_warn(w->x, "directories nested deeper than %d",
			   EXFAT_MAX_DEPTH);
		return;
	}
	if (w->nq == w->qcap) {
		size_t cap = w->qcap ? w->qcap * 2 : 64;
		struct dir *q = realloc(w->q, cap * sizeof(*q));
		if (!q) {
			w->oom = true;
			return;
		}
		w->q = q;
		w->qcap = cap;
	}
	bit_set(w->entered, first - 2);
	w->q[w->nq++] = (struct dir){ id, first,
				      nclusters > UINT32_MAX ? UINT32_MAX :
				      (uint32_t)nclusters, depth, nofat };
}

static uint16_t set_checksum(const uint8_t *e, size_t len)
{
	uint16_t sum = 0;
	for (size_t i = 0; i < len; i++) {
		if (i == 2 || i == 3)
			continue;
		sum = (uint16_t)(((sum & 1) ? 0x8000 : 0) + (sum >> 1) + e[i]);
	}
	return sum;
}

/* One entry set at buf (count entries), its File entry at disk byte
 * at, in directory d. */
static void file_set(struct walk *w, const struct dir *d, const uint8_t *e,
		     unsigned count, uint64_t at)
{
	const struct exfat_geom *g = w->g;
	uint64_t id = exfat_entry_id(g, at);
	char name[1024];
	const uint8_t *s = e + 32;
	if (set_checksum(e, (size_t)count * 32) != le16(e + 2))
		w->bad_sets++;
	if (s[0] != T_STREAM) {
		da_fi_warn(w->x, "entry set %llu has no stream extension",
			   (unsigned long long)id);
		return;
	}
	unsigned nlen = s[3];
	uint16_t u[255 + 15];
	size_t k = 0;
	for (unsigned i = 2; i < count && k < nlen; i++) {
		const uint8_t *ne = e + 32 * (size_t)i;
		if (ne[0] != T_NAME)
			break;
		for (int j = 0; j < 15 && k < nlen; j++)
			u[k++] = le16(ne + 2 + 2 * j);
	}
	exfat_utf8(u, k, name, sizeof(name));
	bool dir = le16(e + 4) & ATTR_DIR;
	bool nofat = s[1] & FLAG_NOFATCHAIN;
	uint64_t valid = le64(s + 8), size = le64(s + 24);
	uint32_t first = le32(s + 20);
	char label[1100];
	snprintf(label, sizeof(label), "%s", name[0] ? name : "(no name)");
	if (valid > size) {
		da_fi_warn(w->x, "%s: valid data length %llu past its "
			   "allocation %llu", label, (unsigned long long)valid,
			   (unsigned long long)size);
		valid = size;
	}
	uint32_t f = add_file(w, id, dir ? DA_FILE_DIR : DA_FILE_REGULAR, size);
	if (f == UINT32_MAX)
		return;
	if (!name[0])
		da_fi_warn(w->x, "entry set %llu has no name",
			   (unsigned long long)id);
	else if (da_fi_add_name(w->x, id, d->id, name, strlen(name)) < 0)
		w->full = true;
	uint64_t want = (size + g->cs - 1) / g->cs;
	if (!first && !size)
		return;
	uint64_t got = clusters_of(w, label, first, want, nofat);
	emit_runs(w, f, dir ? DA_ROLE_DIRECTORY : DA_ROLE_FILE_DATA,
		  dir ? size : valid, 0);
	if (dir)
		queue_dir(w, label, id, first, got, nofat, d->depth + 1);
}

/* The allocation bitmap's or up-case table's entry: a file of the
 * filesystem's own, contiguous, named as The Sleuth Kit names it. */
static void meta_file(struct walk *w, const struct dir *d, const uint8_t *e,
		      uint64_t at)
{
	const struct exfat_geom *g = w->g;
	bool bitmap = e[0] == T_BITMAP;
	const char *name = bitmap ? "$ALLOC_BITMAP" : "$UPCASE_TABLE";
	uint64_t id = exfat_entry_id(g, at), size = le64(e + 24);
	uint32_t f = add_file(w, id, DA_FILE_META, size);
	if (f == UINT32_MAX)
		return;
	if (da_fi_add_name(w->x, id, d->id, name, strlen(name)) < 0)
		w->full = true;
	clusters_of(w, name, le32(e + 20), (size + g->cs - 1) / g->cs, true);
	emit_runs(w, f, bitmap ? DA_ROLE_ALLOCATION_BITMAP :
		  DA_ROLE_UPCASE_TABLE, size, 0);
}

/* Read directory d and add what it holds. */
static void walk_dir(struct walk *w, const struct dir *d)
{
	const struct exfat_geom *g = w->g;
	char what[64];
	snprintf(what, sizeof(what), "directory %llu",
		 (unsigned long long)d->id);
	uint64_t max = EXFAT_MAX_DIR_BYTES / g->cs;
	uint64_t want = d->nclusters;
	if (want > max) {
		da_fi_warn(w->x, "%s: longer than 256 MiB", what);
		want = max ? max : 1;
	}
	uint64_t got = clusters_of(w, what, d->first, want, d->nofat);
	if (!got)
		return;
	uint64_t *offs = malloc(got * sizeof(*offs));
	uint8_t *buf = malloc(got * g->cs);
	if (!offs || !buf) {
		free(offs);
		free(buf);
		w->oom = true;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < w->nruns; i++)
		for (uint32_t j = 0; j < w->runs[i].len; j++, k++) {
			uint32_t c = w->runs[i].start + j;
			offs[k] = exfat_cluster_off(g, c);
			/* a cluster two directories share is read once: its
			 * entries (and file ids) belong to the first */
			if (bit_get(w->parsed, c - 2)) {
				da_fi_warn(w->x, "%s: cluster %u belongs to "
					   "another directory too", what, c);
				memset(buf + k * g->cs, 0x01, g->cs);
				continue;
			}
			bit_set(w->parsed, c - 2);
			if (da_device_read(w->n->dev, buf + k * g->cs, g->cs,
					   offs[k], NULL) < 0) {
				da_fi_warn(w->x, "%s: cluster %u unreadable",
					   what, c);
				memset(buf + k * g->cs, 0, g->cs);
			}
		}
	size_t len = (size_t)(got * g->cs);
	for (size_t pos = 0; pos + 32 <= len && !w->full && !w->oom;
	     pos += 32) {
		const uint8_t *e = buf + pos;
		uint64_t at = offs[pos / g->cs] + pos % g->cs;
		if (e[0] == 0x00)
			break;             /* end of the directory */
		if ((e[0] == T_BITMAP || e[0] == T_UPCASE) && d->depth == 0) {
			meta_file(w, d, e, at);
			continue;
		}
		if (e[0] != T_FILE)
			continue;          /* unused, label, GUID, strays */
		unsigned count = 1u + e[1];
		if (count < 3 || count > 19) {
			da_fi_warn(w->x, "%s: entry set at byte %llu with %u "
				   "secondary entries", what,
				   (unsigned long long)at, e[1]);
			continue;
		}
		if (pos + 32 * (size_t)count > len) {
			da_fi_warn(w->x, "%s: entry set at byte %llu runs past "
				   "the directory's end", what,
				   (unsigned long long)at);
			break;
		}
		file_set(w, d, e, count, at);
		pos += 32 * (size_t)(count - 1);
	}
	free(buf);
	free(offs);
}

int exfat_build_index(struct da_node *n, da_error *err)
{
	/* the allocation bitmap says which clusters a file claims free */
	if (exfat_settle(n, err) < 0)
		return -1;
	struct exfat_priv *p = n->priv;
	const struct exfat_geom *g = &p->g;
	struct walk w = { .n = n, .g = g, .p = p };
	w.x = da_fi_new(true);
	if (!w.x) {
		da_fi_publish(n, NULL, "no memory for the file index");
		return da_error_set(err, ENOMEM, "no memory for the file index");
	}
	/* the FAT is read as chains ask it: a file stored contiguously
	 * (NoFatChain) never does */
	uint64_t fat_len = ((uint64_t)g->clusters + 2) * 4;
	struct fat_table *fat = NULL;
	size_t bits = ((size_t)g->clusters + 7) / 8 + 1;
	int rc = 0;
	if (!range_ok(g->fat_off, fat_len, n->dev->size)) {
		da_fi_warn(w.x, "FAT: the FAT runs past the end of the device");
		rc = da_error_set(err, EINVAL, "the FAT runs past the end of "
				  "the device");
		goto publish;
	}
	fat = fat_table_open(n->dev, g->fat_off, fat_len, 32);
	w.visited = calloc(1, bits);
	w.entered = calloc(1, bits);
	w.parsed = calloc(1, bits);
	if (!fat || !w.visited || !w.entered || !w.parsed) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	w.fat = fat;
	w.budget = 8ull * g->clusters + (1u << 20);
	uint32_t root = add_file(&w, EXFAT_ROOT_ID, DA_FILE_DIR, 0);
	if (root == UINT32_MAX)
		goto publish;
	da_fi_set_root(w.x, EXFAT_ROOT_ID);
	/* the root directory has no entry: its length is its chain's */
	uint64_t got = clusters_of(&w, "root directory", g->root_cluster,
				   UINT64_MAX, false);
	emit_runs(&w, root, DA_ROLE_DIRECTORY, UINT64_MAX, 0);
	queue_dir(&w, "/", EXFAT_ROOT_ID, g->root_cluster, got, false, 0);
	for (size_t i = 0; i < w.nq && !w.full && !w.oom; i++) {
		struct dir d = w.q[i];
		walk_dir(&w, &d);
	}
	if (w.oom)
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
	if (w.bad_sets)
		da_fi_warn(w.x, "%llu directory entry sets fail their checksum",
			   (unsigned long long)w.bad_sets);
	if (w.free_claims)
		da_fi_warn(w.x, "%llu clusters of files are free in the "
			   "allocation bitmap",
			   (unsigned long long)w.free_claims);
publish:
	fat_table_close(fat);
	free(w.visited);
	free(w.entered);
	free(w.parsed);
	free(w.runs);
	free(w.q);
	da_fi_publish(n, w.x, rc < 0 ? err->msg : NULL);
	return rc;
}
