/* The NTFS walk: every MFT record in use, every attribute of it (those in
 * extension records too, through the attribute list, as libntfs-3g's
 * lookup follows it), the runs of the non-resident ones with a role, and
 * the names from the directory tree, read once per directory.  The scan
 * uses the same walk on the system files (records 0..15) so that their
 * roles are known before the file index is.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs.h"

/* One attribute of the file being walked. */
struct attr {
	ATTR_TYPES type;
	char *name;                /* UTF-8, "" when unnamed */
	uint16_t flags;            /* ATTR_IS_COMPRESSED, _SPARSE, _ENCRYPTED */
	bool nonres;
	uint64_t size;             /* data size (of this extent's attribute) */
	runlist_element *rl;       /* non-resident: this extent's runs */
	uint64_t lowest_vcn;
	uint8_t cu;                /* log2 of the compression unit (clusters) */
	uint64_t init;             /* initialized size (first extent only) */
};

/* A named stream, in record order: its file in the index and its name. */
struct stream {
	uint64_t rec, id;
	uint32_t file;             /* its number in the index */
	char *name;
};

/* A run waiting for the file's others: one file's runs are checked for
 * overlaps among themselves (a runlist that loops) before they go in. */
struct pend {
	uint64_t start, len, off;
	uint32_t file;
	uint16_t role, flags;
};

struct walk {
	struct ntfs_priv *p;
	struct da_node *n;
	struct da_fileindex *x;    /* NULL: the scan's system-file walk */
	/* the scan's output */
	struct ntfs_meta *meta;
	size_t nmeta, capmeta;
	/* this file's attributes */
	struct attr *attrs;
	size_t nattrs, capattrs;
	/* the index's streams, and the directories to read */
	struct stream *streams;
	size_t nstreams, capstreams;
	uint64_t *dirs;
	size_t ndirs, capdirs;
	uint64_t cur_dir;          /* the directory filldir is reading */
	struct pend *pend;
	size_t npend, cappend;
	uint64_t entries;
	uint64_t bad_records, bad_runs;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
warn(struct walk *w, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->x)
		da_fi_warn(w->x, "%s", msg);
	else
		da_warn(w->n, "%s", msg);
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 64;
	void *r = realloc(*v, c * size);
	if (!r)
		return false;
	*v = r;
	*cap = c;
	return true;
}

static char *utf8(const ntfschar *s, int len)
{
	char *out = NULL;
	if (len <= 0)
		return da_strdup("");
	if (NT->ntfs_ucstombs(s, len, &out, 0) < 0 || !out)
		return NULL;
	return out;
}

static void clear_attrs(struct walk *w)
{
	for (size_t i = 0; i < w->nattrs; i++) {
		free(w->attrs[i].name);
		free(w->attrs[i].rl);
	}
	w->nattrs = 0;
}

/* ---- what a record is ---- */

struct file_class {
	uint64_t rec;
	bool dir, system, usn;
	uint64_t parent;           /* of its first name, or UINT64_MAX */
};

/* Read the FILE_NAMEs: $Extend's children are system files, and one of
 * them is the change journal. */
static void classify(ntfs_inode *ni, struct file_class *c)
{
	c->rec = ni->mft_no;
	c->dir = ni->mrec->flags & MFT_RECORD_IS_DIRECTORY;
	c->system = ni->mft_no < FILE_first_user;
	c->usn = false;
	c->parent = UINT64_MAX;
	ntfs_attr_search_ctx *ctx = NT->ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return;
	for (int guard = 0; guard < 64 &&
	     !NT->ntfs_attr_lookup(AT_FILE_NAME, NULL, 0, CASE_SENSITIVE, 0, NULL,
			       0, ctx); guard++) {
		ATTR_RECORD *a = ctx->attr;
		if (a->non_resident)
			continue;
		uint32_t vlen = le32_to_cpu(a->value_length);
		uint16_t voff = le16_to_cpu(a->value_offset);
		if (vlen < sizeof(FILE_NAME_ATTR) ||
		    (uint64_t)voff + vlen > le32_to_cpu(a->length))
			continue;
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((uint8_t *)a + voff);
		if (sizeof(FILE_NAME_ATTR) + 2u * fn->file_name_length > vlen)
			continue;
		uint64_t parent = MREF_LE(fn->parent_directory);
		if (c->parent == UINT64_MAX)
			c->parent = parent;
		if (parent == FILE_Extend) {
			c->system = true;
			char *name = utf8((const ntfschar *)((uint8_t *)fn +
							  sizeof(FILE_NAME_ATTR)),
					  fn->file_name_length);
			if (name && !strcmp(name, "$UsnJrnl"))
				c->usn = true;
			free(name);
		}
	}
	NT->ntfs_attr_put_search_ctx(ctx);
}

/* The role of an attribute's bytes, and whether they are the file's own
 * metadata rather than its contents. */
static enum da_role attr_role(const struct file_class *c, const struct attr *a,
			      uint32_t *flags)
{
	*flags = 0;
	switch (a->type) {
	case AT_DATA:
		if (c->usn)
			return DA_ROLE_USN_JOURNAL;
		if (!c->system)
			return a->name[0] ? DA_ROLE_ALTERNATE_STREAM
					  : DA_ROLE_FILE_DATA;
		if (a->name[0] == '\0') {
			switch (c->rec) {
			case FILE_MFT: return DA_ROLE_MFT;
			case FILE_MFTMirr: return DA_ROLE_MFT_MIRROR;
			case FILE_LogFile: return DA_ROLE_LOG;
			case FILE_Bitmap: return DA_ROLE_NTFS_BITMAP;
			case FILE_Boot: return DA_ROLE_BOOT_SECTOR;
			case FILE_UpCase: return DA_ROLE_UPCASE;
			case FILE_Secure: return DA_ROLE_SECURE;
			default: return DA_ROLE_SYSTEM_FILE;
			}
		}
		if (c->rec == FILE_BadClus && !strcmp(a->name, "$Bad"))
			return DA_ROLE_BAD;
		if (c->rec == FILE_Secure)
			return DA_ROLE_SECURE;
		return DA_ROLE_SYSTEM_FILE;
	case AT_INDEX_ALLOCATION:
		if (c->rec == FILE_Secure)
			return DA_ROLE_SECURE;
		if (c->dir && !strcmp(a->name, "$I30"))
			return DA_ROLE_DIRECTORY;
		*flags = DA_RUN_META;
		return DA_ROLE_SYSTEM_FILE;
	case AT_BITMAP:
		*flags = DA_RUN_META;
		if (c->rec == FILE_MFT)
			return DA_ROLE_MFT_BITMAP;
		if (c->rec == FILE_Secure)
			return DA_ROLE_SECURE;
		if (c->dir && !strcmp(a->name, "$I30"))
			return DA_ROLE_DIRECTORY;
		return DA_ROLE_SYSTEM_FILE;
	case AT_ATTRIBUTE_LIST:
		*flags = DA_RUN_META;
		return DA_ROLE_ATTRIBUTE_LIST;
	default:
		/* $EA, $LOGGED_UTILITY_STREAM, $REPARSE_POINT, $OBJECT_ID,
		 * security descriptors: kept outside the record */
		*flags = DA_RUN_META;
		return c->system ? DA_ROLE_SYSTEM_FILE : DA_ROLE_XATTR;
	}
}

/* ---- the walk of one record ---- */

/* Every attribute of ni, through its attribute list: names and runs. */
static int read_attrs(struct walk *w, ntfs_inode *ni)
{
	clear_attrs(w);
	ntfs_attr_search_ctx *ctx = NT->ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return -1;
	int rc = 0, guard = 0;
	errno = 0;
	/* ntfs_attrs_walk, through the loaded table */
	while (!NT->ntfs_attr_lookup(AT_UNUSED, NULL, 0, CASE_SENSITIVE, 0,
				     NULL, 0, ctx)) {
		if (++guard > NTFS_MAX_ATTRS) {
			warn(w, "MFT record %llu: more than %d attributes",
			     (unsigned long long)ni->mft_no, NTFS_MAX_ATTRS);
			rc = -1;
			break;
		}
		ATTR_RECORD *a = ctx->attr;
		if (a->type == AT_END)
			break;
		uint32_t alen = le32_to_cpu(a->length);
		uint16_t noff = le16_to_cpu(a->name_offset);
		if ((uint64_t)noff + 2u * a->name_length > alen)
			continue;
		if (!grow((void **)&w->attrs, &w->capattrs, w->nattrs,
			  sizeof(*w->attrs))) {
			rc = -1;
			break;
		}
		struct attr *t = &w->attrs[w->nattrs];
		memset(t, 0, sizeof(*t));
		t->type = a->type;
		t->flags = le16_to_cpu(a->flags);
		t->nonres = a->non_resident;
		t->name = utf8((ntfschar *)((uint8_t *)a + noff),
			       a->name_length);
		if (!t->name)
			t->name = da_strdup("?");
		if (t->nonres) {
			t->size = (uint64_t)sle64_to_cpu(a->data_size);
			t->lowest_vcn = (uint64_t)sle64_to_cpu(a->lowest_vcn);
			t->cu = a->compression_unit;
			t->init = (uint64_t)sle64_to_cpu(a->initialized_size);
			t->rl = NT->ntfs_mapping_pairs_decompress(ni->vol, a, NULL);
			if (!t->rl) {
				warn(w, "MFT record %llu: a runlist that "
				     "does not decode",
				     (unsigned long long)ni->mft_no);
				w->bad_runs++;
			}
		} else {
			t->size = le32_to_cpu(a->value_length);
		}
		/* an extension record belongs to this file */
		if (w->x && w->p->base_of && ctx->ntfs_ino &&
		    ctx->ntfs_ino->mft_no < w->p->nrecords)
			w->p->base_of[ctx->ntfs_ino->mft_no] =
				(uint32_t)ni->mft_no;
		w->nattrs++;
	}
	if (rc == 0 && errno && errno != ENOENT) {
		warn(w, "MFT record %llu: attributes cannot be read: %s",
		     (unsigned long long)ni->mft_no, strerror(errno));
		rc = -1;
	}
	NT->ntfs_attr_put_search_ctx(ctx);
	return rc;
}

static void add_meta(struct walk *w, uint64_t rec, enum da_role role,
		     uint64_t start, uint64_t len, uint64_t file_off)
{
	if (w->nmeta >= NTFS_MAX_META || !grow((void **)&w->meta, &w->capmeta,
					       w->nmeta, sizeof(*w->meta))) {
		w->full = true;
		return;
	}
	w->meta[w->nmeta++] = (struct ntfs_meta){ start, len, rec, file_off,
						  role };
}

/* The id of what an attribute belongs to: a named stream's (its number
 * among the file's named $DATA streams, in attribute order), else the
 * record's.  The scan and the index number them alike. */
static uint64_t attr_id(const struct walk *w, uint64_t rec,
			const struct attr *a)
{
	if (a->type != AT_DATA || !a->name[0])
		return rec;
	uint64_t k = 0;
	for (size_t i = 0; i < w->nattrs; i++) {
		const struct attr *b = &w->attrs[i];
		if (b->type != AT_DATA || !b->name[0] || b->lowest_vcn != 0)
			continue;
		k++;
		if (!strcmp(b->name, a->name))
			return NTFS_STREAM_BIT | k << 40 | rec;
	}
	return rec;
}

static const struct attr *first_extent(const struct walk *w,
				       ATTR_TYPES type, const char *name);

static void push_run(struct walk *w, uint64_t id, enum da_role role,
		     uint64_t start, uint64_t bytes, uint64_t off,
		     uint32_t file, uint32_t flags)
{
	if (!w->x) {
		add_meta(w, id, role, start, bytes, off);
		return;
	}
	if (!grow((void **)&w->pend, &w->cappend, w->npend,
		  sizeof(*w->pend))) {
		w->full = true;
		return;
	}
	w->pend[w->npend++] = (struct pend){ start, bytes, off, file,
					     (uint16_t)role, (uint16_t)flags };
}

/* Is every cluster of VCNs [v0, v1) allocated in this runlist?  A
 * compression unit that is stored compressed ends in a hole. */
static bool all_real(const runlist_element *rl, uint64_t v0, uint64_t v1)
{
	uint64_t got = 0;
	size_t guard = 0;
	for (const runlist_element *r = rl; r->length > 0; r++) {
		if (++guard > (1u << 24))
			break;
		if (r->lcn < 0 || r->vcn < 0)
			continue;
		uint64_t a = (uint64_t)r->vcn, b = a + (uint64_t)r->length;
		if (a < v0)
			a = v0;
		if (b > v1)
			b = v1;
		if (a < b)
			got += b - a;
	}
	return got == v1 - v0;
}

/* The runs of one attribute extent, clipped to the volume: into the
 * scan's table (id) or the index (file).  In a compressed attribute each
 * compression unit that has a hole is stored compressed
 * (DA_RUN_COMPRESSED); a unit with none is stored as it is. */
static void emit_runs(struct walk *w, const struct file_class *c,
		      const struct attr *a, uint64_t id, uint32_t file)
{
	struct ntfs_priv *p = w->p;
	/* the first cluster past the stream's initialized size (its sizes
	 * are in its first extent's record) */
	uint64_t uw_vcn = UINT64_MAX;
	const struct attr *first = a->type == AT_DATA
		? first_extent(w, AT_DATA, a->name) : NULL;
	if (first && first->nonres && first->init < first->size)
		uw_vcn = first->init / p->cs + (first->init % p->cs != 0);
	uint32_t flags;
	enum da_role role = attr_role(c, a, &flags);
	bool compressed = (a->flags & ATTR_IS_COMPRESSED) && a->cu > 0 &&
			  a->cu < 32;
	size_t guard = 0;
	for (const runlist_element *r = a->rl; r->length > 0; r++) {
		if (++guard > (1u << 24))
			break;
		if (r->lcn < 0 || r->vcn < 0)
			continue;     /* a hole (sparse), or not this extent */
		uint64_t lcn = (uint64_t)r->lcn, len = (uint64_t)r->length;
		if (lcn >= p->nclusters || len > p->nclusters - lcn) {
			warn(w, "MFT record %llu: a run (clusters %llu+%llu) "
			     "past the end of the volume (%llu clusters)",
			     (unsigned long long)c->rec,
			     (unsigned long long)lcn, (unsigned long long)len,
			     (unsigned long long)p->nclusters);
			w->bad_runs++;
		}
		/* on an image cut short, the clusters the device holds (the
		 * node's reason says the rest is missing) */
		if (lcn >= p->dev_clusters)
			continue;
		if (len > p->dev_clusters - lcn)
			len = p->dev_clusters - lcn;
		uint64_t vcn = (uint64_t)r->vcn;
		if (!compressed) {
			/* clusters past the initialized size are allocated
			 * but read as zeros (a preallocated tail) */
			uint64_t k = uw_vcn > vcn ? uw_vcn - vcn : 0;
			if (k > len)
				k = len;
			if (k)
				push_run(w, id, role, lcn * p->cs, k * p->cs,
					 vcn * p->cs, file, flags);
			if (k < len)
				push_run(w, id, role, (lcn + k) * p->cs,
					 (len - k) * p->cs, (vcn + k) * p->cs,
					 file, flags | DA_RUN_UNWRITTEN);
			continue;
		}
		/* piece by piece, one compression unit at a time */
		uint64_t unit = 1ull << a->cu;
		for (uint64_t k = 0; k < len && !w->full;) {
			uint64_t v = vcn + k, u0 = v & ~(unit - 1);
			uint64_t n = u0 + unit - v;
			if (n > len - k)
				n = len - k;
			uint32_t f = flags;
			if (!all_real(a->rl, u0, u0 + unit))
				f |= DA_RUN_COMPRESSED;
			push_run(w, id, role, (lcn + k) * p->cs, n * p->cs,
				 v * p->cs, file, f);
			k += n;
		}
	}
}

static uint32_t file_flags(ntfs_inode *ni, const struct attr *data)
{
	uint32_t f = 0;
	uint16_t af = data ? data->flags : 0;
	if ((ni->flags & FILE_ATTR_SPARSE_FILE) || (af & ATTR_IS_SPARSE))
		f |= DA_FILE_SPARSE;
	if ((ni->flags & FILE_ATTR_COMPRESSED) || (af & ATTR_IS_COMPRESSED))
		f |= DA_FILE_COMPRESSED;
	if ((ni->flags & FILE_ATTR_ENCRYPTED) || (af & ATTR_IS_ENCRYPTED))
		f |= DA_FILE_ENCRYPTED;
	return f;
}

static int cmp_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The file's runs into the index, each byte once: where its runs overlap
 * (a runlist that points back at itself) the first keeps the bytes. */
static void flush_runs(struct walk *w, uint64_t rec)
{
	da_sort(w->pend, w->npend, sizeof(*w->pend), cmp_pend);
	uint64_t end = 0;
	bool overlap = false;
	for (size_t i = 0; i < w->npend && !w->full; i++) {
		struct pend r = w->pend[i];
		if (i > 0 && r.start < end) {
			overlap = true;
			if (r.start + r.len <= end)
				continue;
			r.off += end - r.start;
			r.len -= end - r.start;
			r.start = end;
		}
		end = r.start + r.len;
		if (da_fi_add_run(w->x, r.file, r.start, r.len, r.off,
				  (enum da_role)r.role, r.flags) < 0)
			w->full = true;
	}
	if (overlap) {
		w->bad_runs++;
		warn(w, "MFT record %llu: runs that overlap each other (a "
		     "runlist that loops)", (unsigned long long)rec);
	}
	w->npend = 0;
}

/* The data size of a stream: that of its first extent (lowest VCN 0). */
static const struct attr *first_extent(const struct walk *w, ATTR_TYPES type,
				       const char *name)
{
	for (size_t i = 0; i < w->nattrs; i++)
		if (w->attrs[i].type == type && w->attrs[i].lowest_vcn == 0 &&
		    !strcmp(w->attrs[i].name, name))
			return &w->attrs[i];
	return NULL;
}

static void walk_inode(struct walk *w, ntfs_inode *ni)
{
	struct file_class c;
	classify(ni, &c);
	if (read_attrs(w, ni) < 0)
		w->bad_records++;
	if (!w->x) {
		for (size_t i = 0; i < w->nattrs; i++)
			if (w->attrs[i].nonres && w->attrs[i].rl)
				emit_runs(w, &c, &w->attrs[i],
					  attr_id(w, ni->mft_no,
						  &w->attrs[i]), 0);
		return;
	}
	const struct attr *data = first_extent(w, AT_DATA, "");
	enum da_file_kind kind = c.dir ? DA_FILE_DIR
			       : c.system ? DA_FILE_META : DA_FILE_REGULAR;
	uint32_t file = da_fi_add_file(w->x, ni->mft_no, kind,
				       data ? data->size : 0,
				       file_flags(ni, data));
	if (file == UINT32_MAX) {
		w->full = true;
		return;
	}
	if (c.dir && !grow((void **)&w->dirs, &w->capdirs, w->ndirs,
			   sizeof(*w->dirs)))
		w->full = true;
	else if (c.dir)
		w->dirs[w->ndirs++] = ni->mft_no;
	/* named streams are files of their own ("file:stream") */
	for (size_t i = 0; i < w->nattrs; i++) {
		struct attr *a = &w->attrs[i];
		if (a->type != AT_DATA || !a->name[0] || a->lowest_vcn != 0)
			continue;
		if (w->nstreams >= NTFS_MAX_STREAMS ||
		    !grow((void **)&w->streams, &w->capstreams, w->nstreams,
			  sizeof(*w->streams))) {
			w->full = true;
			break;
		}
		uint64_t id = attr_id(w, ni->mft_no, a);
		uint32_t sf = da_fi_add_file(w->x, id, c.system ? DA_FILE_META
							       : DA_FILE_REGULAR,
					     a->size, file_flags(ni, a));
		if (sf == UINT32_MAX) {
			w->full = true;
			break;
		}
		w->streams[w->nstreams++] = (struct stream){
			ni->mft_no, id, sf, da_strdup(a->name) };
	}
	for (size_t i = 0; i < w->nattrs && !w->full; i++) {
		struct attr *a = &w->attrs[i];
		if (!a->nonres || !a->rl)
			continue;
		uint64_t id = attr_id(w, ni->mft_no, a);
		uint32_t f = file;
		/* a stream's runs are its own file's (found among this
		 * record's streams: the index answers ids once published) */
		for (size_t k = w->nstreams; id != ni->mft_no && k > 0; k--) {
			if (w->streams[k - 1].rec != ni->mft_no)
				break;
			if (w->streams[k - 1].id == id)
				f = w->streams[k - 1].file;
		}
		emit_runs(w, &c, a, id, f);
	}
	flush_runs(w, ni->mft_no);
}

/* ---- the system files, at scan time ---- */

static int cmp_meta(const void *a, const void *b)
{
	const struct ntfs_meta *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* Sorted, overlaps dropped (the first claimant keeps the bytes). */
static size_t sort_meta(struct ntfs_meta *v, size_t n)
{
	da_sort(v, n, sizeof(*v), cmp_meta);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && v[i].start < v[k - 1].start + v[k - 1].len) {
			uint64_t end = v[k - 1].start + v[k - 1].len;
			if (v[i].start + v[i].len <= end)
				continue;
			v[i].file_off += end - v[i].start;
			v[i].len -= end - v[i].start;
			v[i].start = end;
		}
		v[k++] = v[i];
	}
	return k;
}

int ntfs_collect_meta(struct ntfs_priv *p, struct da_node *n)
{
	struct walk w = { .p = p, .n = n };
	int opened = 0;
	for (uint64_t rec = 0; rec < FILE_first_user; rec++) {
		ntfs_inode *ni = NT->ntfs_inode_open(p->vol, rec);
		if (!ni)
			continue;
		if (ni->mrec->flags & MFT_RECORD_IN_USE) {
			opened++;
			walk_inode(&w, ni);
		}
		NT->ntfs_inode_close(ni);
	}
	clear_attrs(&w);
	free(w.attrs);
	if (w.full)
		da_warn(n, "too many system-file runs");
	p->nmeta = sort_meta(w.meta, w.nmeta);
	p->meta = w.meta;
	p->meta_before = calloc(p->nmeta + 1, sizeof(*p->meta_before));
	if (p->meta_before)
		for (size_t i = 0; i < p->nmeta; i++)
			p->meta_before[i + 1] = p->meta_before[i] +
						p->meta[i].len;
	else
		p->nmeta = 0;
	/* $MFT's runs alone, to turn a byte into a record number */
	size_t nm = 0;
	for (size_t i = 0; i < p->nmeta; i++)
		nm += p->meta[i].role == DA_ROLE_MFT;
	p->mft = calloc(nm ? nm : 1, sizeof(*p->mft));
	if (p->mft)
		for (size_t i = 0; i < p->nmeta; i++)
			if (p->meta[i].role == DA_ROLE_MFT)
				p->mft[p->nmft++] = p->meta[i];
	return opened ? 0 : -1;
}

/* ---- the file index ---- */

static int filldir(void *priv, const ntfschar *name, const int name_len,
		   const int name_type, const s64 pos, const MFT_REF mref,
		   const unsigned dt_type)
{
	(void)pos, (void)dt_type;
	struct walk *w = priv;
	if (name_type == FILE_NAME_DOS)
		return 0;             /* the 8.3 alias of a long name */
	if (++w->entries > NTFS_MAX_DIR_ENTRIES) {
		w->full = true;
		return -1;
	}
	char *s = utf8(name, name_len);
	if (!s)
		return 0;
	uint64_t child = MREF(mref), dir = w->cur_dir;
	if (strcmp(s, ".") && strcmp(s, "..") && child != dir) {
		if (da_fi_add_name(w->x, child, dir, s, strlen(s)) < 0)
			w->full = true;
		/* its streams, under every name it has: "file:stream" */
		size_t lo = 0, hi = w->nstreams;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w->streams[mid].rec < child)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < w->nstreams && w->streams[lo].rec == child; lo++) {
			char *sn = da_asprintf("%s:%s", s,
					       w->streams[lo].name);
			if (da_fi_add_name(w->x, w->streams[lo].id, dir, sn,
					   strlen(sn)) < 0)
				w->full = true;
			free(sn);
		}
	}
	free(s);
	return w->full ? -1 : 0;
}

/* Read every directory once: names come from the tree, as ntfsls and
 * Windows see it, hard links included. */
static void read_dirs(struct walk *w)
{
	for (size_t i = 0; i < w->ndirs && !w->full; i++) {
		ntfs_inode *ni = NT->ntfs_inode_open(w->p->vol, w->dirs[i]);
		if (!ni) {
			warn(w, "directory %llu cannot be opened",
			     (unsigned long long)w->dirs[i]);
			continue;
		}
		w->cur_dir = w->dirs[i];
		s64 pos = 0;
		if (NT->ntfs_readdir(ni, &pos, w, filldir) < 0 && !w->full)
			warn(w, "directory %llu cannot be read",
			     (unsigned long long)w->dirs[i]);
		NT->ntfs_inode_close(ni);
	}
}

int ntfs_build_index(struct da_node *n, da_error *err)
{
	(void)err;
	struct ntfs_priv *p = n->priv;
	if (!p || !p->vol) {
		da_fi_publish(n, NULL, "the volume is not mounted");
		return 0;
	}
	ntfs_volume *vol = p->vol;
	struct da_fileindex *x = da_fi_new(true);
	if (!x) {
		da_fi_publish(n, NULL, "out of memory");
		return 0;
	}
	struct walk w = { .p = p, .n = n, .x = x };
	/* records: what $MFT holds; in use: its $BITMAP */
	uint64_t nrec = vol->mft_na && p->rec_size ?
		(uint64_t)vol->mft_na->initialized_size / p->rec_size : 0;
	/* a record takes rec_size bytes of the device: no more can exist
	 * whatever $MFT's sizes say */
	if (p->rec_size && nrec > p->dev->size / p->rec_size)
		nrec = p->dev->size / p->rec_size;
	if (nrec > NTFS_MAX_RECORDS) {
		da_fi_warn(x, "only the first %u of %llu MFT records",
			   NTFS_MAX_RECORDS, (unsigned long long)nrec);
		nrec = NTFS_MAX_RECORDS;
	}
	uint64_t bmbytes = (nrec + 7) / 8;
	uint8_t *inuse = calloc(bmbytes ? bmbytes : 1, 1);
	uint32_t *base_of = malloc((nrec ? nrec : 1) * sizeof(*base_of));
	if (!inuse || !base_of) {
		free(inuse);
		free(base_of);
		da_fi_publish(n, x, "out of memory");
		return 0;
	}
	memset(base_of, 0xff, (nrec ? nrec : 1) * sizeof(*base_of));
	p->base_of = base_of;
	p->nrecords = nrec;
	s64 got = vol->mftbmp_na ? NT->ntfs_attr_pread(vol->mftbmp_na, 0,
						   (s64)bmbytes, inuse) : -1;
	if (got < 0) {
		da_fi_warn(x, "the MFT's bitmap cannot be read");
		got = 0;
	}
	for (uint64_t rec = 0; rec < nrec && !w.full; rec++) {
		if ((uint64_t)got <= rec / 8 || !(inuse[rec / 8] >> (rec % 8) & 1))
			continue;
		clear_ntfs_error();
		ntfs_inode *ni = NT->ntfs_inode_open(vol, rec);
		if (!ni) {
			/* an extension record will not open as an inode: its
			 * base owns it */
			int e = errno;
			MFT_RECORD *m = NULL;
			if (!NT->ntfs_file_record_read(vol, rec, &m, NULL) &&
			    (m->flags & MFT_RECORD_IN_USE) &&
			    MREF_LE(m->base_mft_record)) {
				uint64_t base = MREF_LE(m->base_mft_record);
				if (base < nrec && base_of[rec] == UINT32_MAX)
					base_of[rec] = (uint32_t)base;
				free(m);
				continue;
			}
			free(m);
			w.bad_records++;
			da_fi_warn(x, "MFT record %llu cannot be read: %s",
				   (unsigned long long)rec,
				   last_ntfs_error(e));
			continue;
		}
		uint64_t base = MREF_LE(ni->mrec->base_mft_record);
		if (!(ni->mrec->flags & MFT_RECORD_IN_USE)) {
			/* the bitmap and the record disagree: trust the
			 * record, as chkdsk does */
		} else if (base) {
			if (base < nrec && base_of[rec] == UINT32_MAX)
				base_of[rec] = (uint32_t)base;
		} else {
			base_of[rec] = (uint32_t)rec;
			walk_inode(&w, ni);
		}
		NT->ntfs_inode_close(ni);
	}
	clear_attrs(&w);
	free(w.attrs);
	free(w.pend);
	free(inuse);
	da_fi_set_root(x, FILE_root);
	read_dirs(&w);
	for (size_t i = 0; i < w.nstreams; i++)
		free(w.streams[i].name);
	free(w.streams);
	free(w.dirs);
	if (w.full)
		da_fi_warn(x, "the index is full: some files are missing");
	if (w.bad_records)
		da_fi_warn(x, "%llu MFT records could not be read",
			   (unsigned long long)w.bad_records);
	da_fi_publish(n, x, NULL);
	__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
	return 0;
}
