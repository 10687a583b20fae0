/* The FAT file index: directory entries (8.3 names in the OEM code page,
 * VFAT long names), the walk of the directory tree from the root, and
 * the cluster -> file lookups over the runs it finds.
 *
 * Every chain is bounded: a per-chain visited set stops loops, links out
 * of 2..clusters+1 stop a chain, a global step budget stops cross-linked
 * chains from multiplying the walk, and a directory whose first cluster
 * another file owns is not entered twice.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../fileindex.h"
#include "fat.h"

/* ---- names ----------------------------------------------------------- */

/* Short names are in the OEM code page; we read them as CP850, which is
 * what mtools writes. */
static const uint16_t cp850[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00f8, 0x00a3, 0x00d8, 0x00d7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x00ae, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00c1, 0x00c2, 0x00c0,
	0x00a9, 0x2563, 0x2551, 0x2557, 0x255d, 0x00a2, 0x00a5, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x00e3, 0x00c3,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x00a4,
	0x00f0, 0x00d0, 0x00ca, 0x00cb, 0x00c8, 0x0131, 0x00cd, 0x00ce,
	0x00cf, 0x2518, 0x250c, 0x2588, 0x2584, 0x00a6, 0x00cc, 0x2580,
	0x00d3, 0x00df, 0x00d4, 0x00d2, 0x00f5, 0x00d5, 0x00b5, 0x00fe,
	0x00de, 0x00da, 0x00db, 0x00d9, 0x00fd, 0x00dd, 0x00af, 0x00b4,
	0x00ad, 0x00b1, 0x2017, 0x00be, 0x00b6, 0x00a7, 0x00f7, 0x00b8,
	0x00b0, 0x00a8, 0x00b7, 0x00b9, 0x00b3, 0x00b2, 0x25a0, 0x00a0,
};

static size_t put_oem(char *out, size_t n, size_t cap, uint8_t c, bool lower)
{
	if (c >= 0x80)
		return da_put_utf8(out, n, cap, cp850[c - 0x80]);
	if (lower && c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	/* a path separator in a name would forge a path */
	return da_put_utf8(out, n, cap, c < 0x20 ? '?' : c == '/' ? '_' : c);
}

/* The 8.3 name of a directory entry, with the NT case bits (0x08 lower
 * case base, 0x10 lower case extension) that Windows and mtools set. */
static void short_name(const uint8_t *e, char *out, size_t cap)
{
	int blen = 8, elen = 3;
	while (blen > 0 && e[blen - 1] == ' ')
		blen--;
	while (elen > 0 && e[8 + elen - 1] == ' ')
		elen--;
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < blen; i++)
		n = put_oem(out, n, cap, i == 0 && e[0] == 0x05 ? 0xE5 : e[i],
			    e[12] & 0x08);
	if (elen) {
		n = da_put_utf8(out, n, cap, '.');
		for (int i = 0; i < elen; i++)
			n = put_oem(out, n, cap, e[8 + i], e[12] & 0x10);
	}
}

static uint8_t lfn_checksum(const uint8_t *e)
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + e[i]);
	return sum;
}

/* A long name being collected from LFN entries (which come last part
 * first, just before their short entry). */
struct lfn {
	uint16_t u[20 * 13 + 1];
	int expect;                /* sequence number of the next entry */
	int total;
	uint8_t sum;
	bool valid;
};

static void lfn_entry(struct lfn *l, const uint8_t *e)
{
	static const int pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24,
				     28, 30 };
	int seq = e[0] & 0x1F;
	if (e[0] & 0x40) {
		l->valid = seq >= 1 && seq <= 20;
		l->total = seq;
		l->sum = e[13];
		memset(l->u, 0, sizeof(l->u));
	} else if (!l->valid || seq != l->expect || e[13] != l->sum) {
		l->valid = false;
		return;
	}
	if (!l->valid)
		return;
	for (int i = 0; i < 13; i++)
		l->u[(seq - 1) * 13 + i] = le16(e + pos[i]);
	l->expect = seq - 1;
}

/* UTF-16 to UTF-8; false if the name is empty. */
static bool lfn_name(const struct lfn *l, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	int len = l->total * 13;
	for (int i = 0; i < len; i++) {
		uint32_t c = l->u[i];
		if (c == 0 || c == 0xFFFF)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < len &&
		    l->u[i + 1] >= 0xDC00 && l->u[i + 1] < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) +
			    (l->u[i + 1] - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		n = da_put_utf8(out, n, cap, c == '/' ? '_' : c);
	}
	return n > 0;
}

/* ---- the file index -------------------------------------------------- */

static bool bit_get(const uint8_t *b, uint32_t i)
{
	return b[i >> 3] & (1u << (i & 7));
}
static void bit_set(uint8_t *b, uint32_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static void bit_clear(uint8_t *b, uint32_t i)
{
	b[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static void idx_warn(struct fat_index *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void idx_warn(struct fat_index *x, const char *fmt, ...)
{
	if (x->warning[0])
		return;            /* the first problem is the telling one */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->warning, sizeof(x->warning), fmt, ap);
	va_end(ap);
}

static int add_run(struct fat_index *x, uint32_t c, uint32_t file)
{
	struct fat_file *f = &x->files[file];
	if (f->nruns) {
		struct fat_run *r = &x->runs[x->nruns - 1];
		if (c == r->start + r->len) {
			r->len++;
			return 0;
		}
	}
	if (x->nruns == x->rcap) {
		size_t cap = x->rcap ? x->rcap * 2 : 1024;
		struct fat_run *r = realloc(x->runs, cap * sizeof(*r));
		if (!r)
			return -1;
		x->runs = r;
		x->rcap = cap;
	}
	if (!f->nruns)
		f->run_first = (uint32_t)x->nruns;
	x->runs[x->nruns++] = (struct fat_run){ c, 1, file };
	f->nruns++;
	return 0;
}

/* Follow the chain of file from cluster c: runs in chain order, loops
 * and links out of range stop it with a warning. */
static int follow_chain(struct fat_index *x, const struct fat_geom *g,
			uint32_t file, uint32_t c)
{
	uint32_t last = g->clusters + 1;
	if (c < 2 || c > last) {
		idx_warn(x, "%s starts at cluster %u, outside 2..%u",
			 x->files[file].name, c, last);
		return 0;
	}
	int rc = 0;
	for (;;) {
		if (!x->budget) {
			idx_warn(x, "cross-linked chains: gave up following");
			break;
		}
		x->budget--;
		uint32_t k = c - 2;
		if (bit_get(x->visited, k)) {
			idx_warn(x, "%s: cluster chain loops at cluster %u",
				 x->files[file].name, c);
			break;
		}
		bit_set(x->visited, k);
		if (bit_get(x->owned, k)) {
			x->conflicts++;
			if (!x->files[file].nruns)
				x->files[file].cross = true;
		}
		bit_set(x->owned, k);
		if (add_run(x, c, file) < 0) {
			rc = -1;
			break;
		}
		uint32_t v;
		if (fat_entry(x->fat, g, c, &v) < 0) {
			idx_warn(x, "%s: the FAT entry of cluster %u cannot be "
				 "read", x->files[file].name, c);
			break;
		}
		if (v >= g->eoc)
			break;
		if (v < 2 || v > last) {
			idx_warn(x, "%s: cluster %u links to %s %#x",
				 x->files[file].name, c,
				 v == 0 ? "free" : v == g->bad ? "bad" :
				 "invalid", v);
			break;
		}
		c = v;
	}
	/* clear what this chain visited: the visited set is per chain */
	struct fat_file *f = &x->files[file];
	for (uint32_t i = 0; i < f->nruns; i++) {
		const struct fat_run *r = &x->runs[f->run_first + i];
		for (uint32_t j = 0; j < r->len; j++)
			bit_clear(x->visited, r->start + j - 2);
	}
	return rc;
}

static int64_t entry_inode(const struct fat_geom *g, uint64_t entry_off)
{
	return 3 + (int64_t)((entry_off - g->fats_end) / 32);
}

static int add_file(struct fat_index *x, const char *name, uint32_t parent,
		    const uint8_t *e, uint64_t entry_off,
		    const struct fat_geom *g)
{
	if (x->nfiles >= FAT_MAX_FILES) {
		idx_warn(x, "more than %u files: index stops", FAT_MAX_FILES);
		return 1;
	}
	if (x->nfiles == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		struct fat_file *f = realloc(x->files, cap * sizeof(*f));
		if (!f)
			return -1;
		x->files = f;
		x->cap = cap;
	}
	struct fat_file *f = &x->files[x->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = da_strdup(name);
	f->parent = parent;
	f->depth = parent == 0 && x->nfiles == 0 ? 0 :
		   x->files[parent].depth + 1;
	if (e) {
		f->dir = e[11] & 0x10;
		f->size = f->dir ? 0 : le32(e + 28);
		f->first_cluster = le16(e + 26);
		if (g->type == 32)
			f->first_cluster |= (uint32_t)le16(e + 20) << 16;
		f->inode = entry_inode(g, entry_off);
	} else {
		f->dir = true;
		f->inode = 2;
	}
	x->nfiles++;
	return 0;
}

/* Read the directory file (its runs already followed) into a buffer:
 * the fixed root region, or its clusters up to the 65536-entry limit. */
static uint8_t *read_dir(struct da_device *dev, const struct fat_geom *g,
			 struct fat_index *x, uint32_t file, size_t *len,
			 uint64_t **offs, da_error *err)
{
	struct fat_file *f = &x->files[file];
	uint64_t want = 0;
	if (file == 0 && g->type != 32) {
		want = g->root_len;
	} else {
		for (uint32_t i = 0; i < f->nruns; i++)
			want += (uint64_t)x->runs[f->run_first + i].len * g->cs;
	}
	if (want > FAT_MAX_DIR_BYTES) {
		idx_warn(x, "%s: directory longer than 65536 entries",
			 f->name);
		want = FAT_MAX_DIR_BYTES;
	}
	/* offs[k]: where byte k * cs of the buffer lives (cluster starts) */
	size_t ncl = (size_t)(want / g->cs) + 1;
	uint8_t *buf = malloc(want ? want : 1);
	uint64_t *o = calloc(ncl, sizeof(*o));
	if (!buf || !o) {
		free(buf);
		free(o);
		da_error_set(err, ENOMEM, "no memory for a directory");
		return NULL;
	}
	if (file == 0 && g->type != 32) {
		if (da_device_read(dev, buf, want, g->root_off, err) < 0)
			goto fail;
		for (size_t k = 0; k < ncl; k++)
			o[k] = g->root_off + k * (uint64_t)g->cs;
	} else {
		uint64_t done = 0;
		size_t k = 0;
		for (uint32_t i = 0; i < f->nruns && done < want; i++) {
			const struct fat_run *r = &x->runs[f->run_first + i];
			for (uint32_t j = 0; j < r->len && done < want; j++) {
				uint64_t at = g->data_off +
					(uint64_t)(r->start + j - 2) * g->cs;
				if (da_device_read(dev, buf + done, g->cs, at,
						   err) < 0)
					goto fail;
				o[k++] = at;
				done += g->cs;
			}
		}
	}
	*len = want;
	*offs = o;
	return buf;
fail:
	free(buf);
	free(o);
	return NULL;
}

/* Parse directory file's entries, adding its children.  label_out (the
 * root only) gets the volume label entry. */
static int walk_dir(struct da_device *dev, const struct fat_geom *g,
		    struct fat_index *x, uint32_t file, char *label_out,
		    size_t label_len, da_error *err)
{
	size_t len = 0;
	uint64_t *offs = NULL;
	uint8_t *buf = read_dir(dev, g, x, file, &len, &offs, err);
	if (!buf)
		return -1;
	struct lfn l = { .valid = false };
	char name[1024];
	int rc = 0;
	for (size_t p = 0; p + 32 <= len; p += 32) {
		const uint8_t *e = buf + p;
		if (e[0] == 0x00)
			break;
		if (e[0] == 0xE5) {
			l.valid = false;
			continue;
		}
		if ((e[11] & 0x3F) == 0x0F) {
			lfn_entry(&l, e);
			continue;
		}
		if (e[11] & 0x08) {
			if (label_out && !(e[11] & 0x10)) {
				/* 11 characters, no dot, trailing blanks */
				int k = 11;
				while (k > 0 && (e[k - 1] == ' ' || !e[k - 1]))
					k--;
				size_t m = 0;
				label_out[0] = 0;
				for (int i = 0; i < k; i++)
					m = put_oem(label_out, m, label_len,
						    e[i], false);
				label_out = NULL;
			}
			l.valid = false;
			continue;
		}
		bool have_lfn = l.valid && l.expect == 0 &&
				l.sum == lfn_checksum(e) &&
				lfn_name(&l, name, sizeof(name));
		l.valid = false;
		if (!have_lfn)
			short_name(e, name, sizeof(name));
		if (e[0] == '.' && (!strcmp(name, ".") || !strcmp(name, "..")))
			continue;
		uint64_t at = offs[p / g->cs] + p % g->cs;
		int r = add_file(x, name, file, e, at, g);
		if (r) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		uint32_t child = (uint32_t)x->nfiles - 1;
		struct fat_file *cf = &x->files[child];
		if (cf->first_cluster &&
		    follow_chain(x, g, child, cf->first_cluster) < 0) {
			rc = -1;
			break;
		}
	}
	free(buf);
	free(offs);
	if (rc < 0)
		da_error_set(err, ENOMEM, "no memory for the file index");
	return rc;
}

void fat_index_free(struct fat_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nfiles; i++)
		free(x->files[i].name);
	free(x->files);
	free(x->runs);
	free(x->visited);
	free(x->owned);
	free(x);
}

/* Hand the walk's files, names and cluster runs to the shared file
 * index, in bytes of the filesystem.  NULL when it cannot be made. */
static struct da_fileindex *emit(const struct fat_index *x,
				 const struct fat_geom *g)
{
	struct da_fileindex *fi = da_fi_new(true);   /* FAT ignores case */
	if (!fi)
		return NULL;
	da_fi_set_root(fi, 2);
	for (size_t i = 0; i < x->nfiles; i++) {
		const struct fat_file *f = &x->files[i];
		uint32_t k = da_fi_add_file(fi, (uint64_t)f->inode,
					    f->dir ? DA_FILE_DIR
						   : DA_FILE_REGULAR,
					    f->size, 0);
		if (k == UINT32_MAX)
			break;
		if (i > 0)
			da_fi_add_name(fi, (uint64_t)f->inode,
				       (uint64_t)x->files[f->parent].inode,
				       f->name, strlen(f->name));
		uint64_t file_off = 0;
		/* FAT12/16: the root directory is a fixed region */
		if (i == 0 && g->type != 32 && g->root_len)
			da_fi_add_run(fi, k, g->root_off, g->root_len, 0,
				      DA_ROLE_ROOT_DIRECTORY, 0);
		for (uint32_t j = 0; j < f->nruns; j++) {
			const struct fat_run *r = &x->runs[f->run_first + j];
			uint64_t len = (uint64_t)r->len * g->cs;
			da_fi_add_run(fi, k, g->data_off +
				      (uint64_t)(r->start - 2) * g->cs, len,
				      file_off, f->dir ? DA_ROLE_DIRECTORY
						       : DA_ROLE_FILE_DATA, 0);
			file_off += len;
		}
	}
	if (x->warning[0])
		da_fi_warn(fi, "%s", x->warning);
	return fi;
}

int fat_build_index(struct da_node *n, da_error *err)
{
	struct fat_priv *p = n->priv;
	if (da_fi_get(n))
		return 0;
	const struct fat_geom *g = &p->g;
	struct fat_index *x = calloc(1, sizeof(*x));
	if (!x)
		return da_error_set(err, ENOMEM, "no memory for the file index");
	struct fat_table *fat = fat_table_open_active(n->dev, g);
	size_t bits = ((size_t)g->clusters + 7) / 8 + 1;
	x->visited = calloc(1, bits);
	x->owned = calloc(1, bits);
	int rc = 0;
	if (!fat || !x->visited || !x->owned) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	x->fat = fat;
	x->budget = 8ull * g->clusters + (1u << 20);
	if (add_file(x, "/", 0, NULL, 0, g) != 0) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	if (g->type == 32 && follow_chain(x, g, 0, g->root_cluster) < 0) {
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
		goto publish;
	}
	/* breadth first: files[] is the queue; a directory whose first
	 * cluster another file already owns is not entered again, which
	 * bounds the walk on directory loops */
	for (size_t i = 0; i < x->nfiles; i++) {
		struct fat_file *f = &x->files[i];
		if (!f->dir)
			continue;
		if (i > 0) {
			if (!f->nruns)
				continue;
			if (f->cross) {
				idx_warn(x, "%s: directory loops back to "
					 "another directory", f->name);
				continue;
			}
			if (f->depth > FAT_MAX_DEPTH) {
				idx_warn(x, "directories nested deeper than "
					 "%d", FAT_MAX_DEPTH);
				continue;
			}
		}
		da_error e = { 0 };
		if (walk_dir(n->dev, g, x, (uint32_t)i, NULL, 0, &e) < 0) {
			if (e.code == ENOMEM) {
				rc = da_error_set(err, ENOMEM, "%s", e.msg);
				break;
			}
			idx_warn(x, "directory %s: %s", x->files[i].name,
				 e.msg);
		}
	}
publish:
	fat_table_close(fat);
	x->fat = NULL;
	free(x->visited);
	free(x->owned);
	x->visited = x->owned = NULL;
	struct da_fileindex *fi = emit(x, g);
	fat_index_free(x);
	if (!fi && rc == 0)
		rc = da_error_set(err, ENOMEM, "no memory for the file index");
	da_fi_publish(n, fi, fi ? NULL : "no memory for the file index");
	return rc;
}

/* The label in the root directory: read its first clusters only. */
void fat_root_label(struct da_device *dev, const struct fat_geom *g,
		    char *label, size_t len)
{
	struct fat_index x;
	memset(&x, 0, sizeof(x));
	size_t bits = ((size_t)g->clusters + 7) / 8 + 1;
	x.visited = calloc(1, bits);
	x.owned = calloc(1, bits);
	x.fat = fat_table_open_active(dev, g);
	x.budget = 64;             /* the label is near the start */
	da_error e = { 0 };
	if (x.fat && x.visited && x.owned &&
	    add_file(&x, "/", 0, NULL, 0, g) == 0 &&
	    (g->type != 32 || follow_chain(&x, g, 0, g->root_cluster) == 0)) {
		/* walk_dir adds the children too: cheap for one directory,
		 * and it shares the entry parser with the index */
		x.budget = 0;      /* no child chains */
		walk_dir(dev, g, &x, 0, label, len, &e);
	}
	for (size_t i = 0; i < x.nfiles; i++)
		free(x.files[i].name);
	free(x.files);
	free(x.runs);
	free(x.visited);
	free(x.owned);
	fat_table_close(x.fat);
}
