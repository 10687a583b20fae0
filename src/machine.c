/* The machine: named disks, and the scan driver that probes every device
 * with the plugin tables and recurses into what it finds.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "signature.h"

/* Stacks deeper than this are refused: a partition table that points at
 * itself through nested partitions must not recurse for ever. */
#define MAX_DEPTH 12
/* Volume assembly rounds (LVs on PVs inside LVs...) */
#define MAX_ASSEMBLY_ROUNDS 8

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* "NAME=PATH" when there is an '=' and NAME has no '/'. */
static void split_spec(const char *spec, char **name, char **path)
{
	const char *eq = strchr(spec, '=');
	if (eq && eq != spec && !memchr(spec, '/', (size_t)(eq - spec))) {
		*name = strndup(spec, (size_t)(eq - spec));
		*path = da_strdup(eq + 1);
	} else {
		*name = da_strdup(base_name(spec));
		*path = da_strdup(spec);
	}
	if (!*name)
		abort();
}

struct da_machine *da_machine_open(const char *name, const char *const *specs,
				   size_t nspecs, da_error *err)
{
	if (nspecs == 0) {
		da_error_set(err, EINVAL, "no disk given");
		return NULL;
	}
	struct da_machine *m = da_xcalloc(1, sizeof(*m));
	m->name = da_strdup(name ? name : "machine");
	m->disks = da_xcalloc(nspecs, sizeof(*m->disks));
	for (size_t i = 0; i < nspecs; i++) {
		struct da_disk *d = &m->disks[i];
		char *dname, *path;
		split_spec(specs[i], &dname, &path);
		/* keep names unique: a second "disk.img" becomes "disk.img#2" */
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m->disks[j].name, dname) == 0) {
				char *u = da_asprintf("%s#%zu", dname, i + 1);
				free(dname);
				dname = u;
				break;
			}
		}
		d->name = dname;
		d->path = path;
		d->format = da_strdup("raw");
		m->ndisks = i + 1;
		d->dev = da_file_device_open(dname, path, err);
		if (!d->dev) {
			da_machine_close(m);
			return NULL;
		}
	}
	return m;
}

void da_machine_add_problem(struct da_machine *m, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char **p = realloc(m->problems, (m->nproblems + 1) * sizeof(*p));
	if (!p)
		return;
	m->problems = p;
	m->problems[m->nproblems++] = da_strdup(buf);
}

/* Nothing claimed the device: name it from the signature table, or say
 * it is empty (all zeros / a hole where we looked). */
static struct da_node *unclaimed_node(struct da_device *dev)
{
	char what[128];
	if (da_signature_match(dev, what, sizeof(what))) {
		struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_obj_set_str(n->props, "signature", what);
		da_node_set_reason(n, "%s (not supported)", what);
		return n;
	}
	int empty = da_signature_is_empty(dev);
	if (empty == 1)
		return da_node_new(DA_NODE_EMPTY, NULL, dev);
	struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
	da_node_set_reason(n, empty < 0 ? "cannot read the device"
			   : "no known partition table, volume or filesystem");
	return n;
}

static struct da_node *scan_at(struct da_device *dev, int depth)
{
	static const struct da_plugin *const *const tables[] = {
		da_part_plugins, da_vol_plugins, da_fs_plugins,
	};
	const struct da_plugin *found[8];
	int nfound = 0;
	char errors[256] = "";

	if (depth > MAX_DEPTH) {
		struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_node_set_reason(n, "stack nested deeper than %d levels",
				   MAX_DEPTH);
		return n;
	}
	for (size_t t = 0; t < 3; t++) {
		bool table_found = false;
		for (const struct da_plugin *const *p = tables[t]; *p; p++) {
			da_error err = { 0 };
			enum da_probe r = (*p)->probe(dev, &err);
			da_trace("probe %s on %s: %s", (*p)->name, dev->name,
				 r == DA_PROBE_FOUND ? "found" :
				 r == DA_PROBE_ERROR ? err.msg : "not mine");
			if (r == DA_PROBE_ERROR && !errors[0])
				snprintf(errors, sizeof(errors), "%.40s: %.200s",
					 (*p)->name, err.msg);
			/* within a table the first (most specific) wins:
			 * GPT over its protective MBR */
			if (r == DA_PROBE_FOUND && !table_found &&
			    nfound < (int)(sizeof(found) / sizeof(found[0]))) {
				found[nfound++] = *p;
				table_found = true;
			}
		}
	}
	if (nfound == 0) {
		struct da_node *n = unclaimed_node(dev);
		if (errors[0] && n->type == DA_NODE_UNKNOWN)
			da_node_set_reason(n, "%s", errors);
		return n;
	}

	const struct da_plugin *p = found[0];
	da_error err = { 0 };
	struct da_node *n = p->scan(dev, &err);
	if (!n) {
		n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_obj_set_str(n->props, "probed", p->name);
		da_node_set_reason(n, "%s: %s", p->name,
				   err.msg[0] ? err.msg : "does not parse");
		return n;
	}
	if (nfound > 1) {
		/* two formats claim the device: say so, never hide it */
		struct da_value *amb = da_arr_new();
		char list[200] = "";
		for (int i = 1; i < nfound; i++) {
			da_arr_push(amb, da_str_new(found[i]->name));
			size_t l = strlen(list);
			snprintf(list + l, sizeof(list) - l, "%s%s",
				 l ? ", " : "", found[i]->name);
		}
		da_obj_set(n->props, "ambiguous", amb);
		da_node_set_reason(n, "ambiguous: %s also matches %s", p->name,
				   list);
	}
	for (size_t i = 0; i < n->nslots; i++) {
		struct da_slot *s = &n->slots[i];
		if (s->dev && !s->content && !s->container)
			s->content = scan_at(s->dev, depth + 1 + s->nest);
	}
	return n;
}

struct da_node *da_scan_device(struct da_device *dev, int level)
{
	return scan_at(dev, level);
}

static void note_clipped(struct da_machine *m, struct da_disk *d)
{
	struct da_node *n = d->content;
	if (!n || n->type != DA_NODE_PARTITIONS)
		return;
	struct da_value *t = da_obj_get(n->props, "truncated");
	if (t && t->type == DA_V_BOOL && t->u.b) {
		da_machine_add_problem(m, "%s: truncated image: the partition "
				       "table describes a larger disk than "
				       "the file's %llu bytes", d->path,
				       (unsigned long long)d->dev->size);
		return;
	}
	for (size_t i = 0; i < n->nslots; i++) {
		struct da_value *c = da_obj_get(n->slots[i].props, "clipped");
		struct da_value *nm = da_obj_get(n->slots[i].props, "name");
		if (c && c->type == DA_V_BOOL && c->u.b &&
		    n->slots[i].props) {
			da_machine_add_problem(m,
				"%s: truncated image: partition %s runs past "
				"the end of the disk (%llu bytes)", d->path,
				nm && nm->type == DA_V_STR ? nm->u.s : "?",
				(unsigned long long)d->dev->size);
			return;
		}
	}
}

/* Volumes without content yet: scan them. */
static void scan_new_volumes(struct da_machine *m)
{
	for (size_t i = 0; i < m->nvolumes; i++) {
		struct da_volume *v = &m->volumes[i];
		if (!v->content && v->dev)
			v->content = scan_at(v->dev, 1);
	}
}

/* Ask every volume plugin to assemble, scan what it added, and again
 * while something new comes (LVs on PVs inside LVs...). */
static void assemble_rounds(struct da_machine *m)
{
	for (int round = 0; round < MAX_ASSEMBLY_ROUNDS; round++) {
		int added = 0;
		for (const struct da_plugin *const *p = da_vol_plugins; *p; p++) {
			if (!(*p)->assemble)
				continue;
			da_error e = { 0 };
			int r = (*p)->assemble(m, &e);
			if (r < 0)
				da_trace("assemble %s: %s", (*p)->name, e.msg);
			else
				added += r;
		}
		if (!added)
			break;
		scan_new_volumes(m);
	}
}

int da_machine_rescan(struct da_machine *m)
{
	size_t before = m->nvolumes;
	scan_new_volumes(m);
	assemble_rounds(m);
	return (int)(m->nvolumes - before);
}

int da_machine_scan(struct da_machine *m, da_error *err)
{
	if (m->scanned)
		return 0;
	for (size_t i = 0; i < m->ndisks; i++) {
		struct da_disk *d = &m->disks[i];
		d->content = scan_at(d->dev, 0);
		note_clipped(m, d);
	}
	assemble_rounds(m);
	m->scanned = true;
	(void)err;
	return 0;
}

struct da_volume *da_machine_add_volume(struct da_machine *m, const char *name,
					const char *kind, struct da_device *dev,
					struct da_value *props)
{
	struct da_volume *v = realloc(m->volumes,
				      (m->nvolumes + 1) * sizeof(*v));
	if (!v)
		abort();
	m->volumes = v;
	v = &m->volumes[m->nvolumes++];
	memset(v, 0, sizeof(*v));
	v->name = da_strdup(name);
	v->kind = da_strdup(kind ? kind : "volume");
	v->dev = dev;
	v->props = props ? props : da_obj_new();
	return v;
}

void da_machine_set_key_source(struct da_machine *m, da_key_fn fn,
			       void *arg)
{
	m->key_fn = fn;
	m->key_arg = arg;
}

static void each_node(struct da_node *n, da_node_fn fn, void *arg)
{
	if (!n)
		return;
	fn(n, arg);
	for (size_t i = 0; i < n->nslots; i++)
		each_node(n->slots[i].content, fn, arg);
}

void da_machine_each_node(struct da_machine *m, da_node_fn fn, void *arg)
{
	for (size_t i = 0; i < m->ndisks; i++)
		each_node(m->disks[i].content, fn, arg);
	for (size_t i = 0; i < m->nvolumes; i++)
		each_node(m->volumes[i].content, fn, arg);
}

static void count_indexable(struct da_node *n, void *arg)
{
	if (n->plugin && n->plugin->build_index)
		(*(int *)arg)++;
}

struct index_run {
	struct da_machine *m;
	int failures;
};

static void index_one(struct da_node *n, void *arg)
{
	struct index_run *r = arg;
	if (!n->plugin || !n->plugin->build_index)
		return;
	da_error e = { 0 };
	if (n->plugin->build_index(n, &e) < 0) {
		r->failures++;
		if (!n->reason)
			da_node_set_reason(n, "file index: %s", e.msg);
	}
	__atomic_add_fetch(&r->m->index_done, 1, __ATOMIC_RELEASE);
}

int da_machine_build_indexes(struct da_machine *m, da_error *err)
{
	int total = 0;
	da_machine_each_node(m, count_indexable, &total);
	__atomic_store_n(&m->index_total, total, __ATOMIC_RELEASE);
	struct index_run r = { m, 0 };
	da_machine_each_node(m, index_one, &r);
	(void)err;
	/* a filesystem whose index failed still answers metadata roles */
	return 0;
}

void da_machine_close(struct da_machine *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nvolumes; i++) {
		da_node_free(m->volumes[i].content);
		if (m->volumes[i].dev)
			da_device_unref(m->volumes[i].dev);
		da_value_free(m->volumes[i].props);
		free(m->volumes[i].name);
		free(m->volumes[i].kind);
	}
	free(m->volumes);
	for (size_t i = 0; i < m->ndisks; i++) {
		struct da_disk *d = &m->disks[i];
		da_node_free(d->content);
		if (d->dev)
			da_device_unref(d->dev);
		free(d->name);
		free(d->path);
		free(d->format);
	}
	free(m->disks);
	for (size_t i = 0; i < m->nproblems; i++)
		free(m->problems[i]);
	free(m->problems);
	free(m->name);
	free(m);
}
