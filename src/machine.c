/* The machine: named disks, and the scan driver that probes every device
 * with the plugin tables and recurses into what it finds.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "util.h"
#include "signature.h"
#include "image/image.h"

/* Stacks deeper than this are refused: a partition table that points at
 * itself through nested partitions must not recurse for ever. */
#define MAX_DEPTH 12
/* The scan's budget: devices found inside others (partitions and what
 * they hold), 256 under one disk or volume and 4,096 in all, and 2^20
 * claims (regions and slots of every node).  Tables that contain each
 * other through different sectors multiply at every level; this bounds
 * the work and the memory whatever the image says (real machines are far
 * below: a few dozen devices, a few thousand regions).  Devices that
 * overlap cost the ownership index the square of their number per
 * segment: at 256 on one disk, a tree of tables that all reach its end
 * builds in a few hundredths of a second.  An assembled volume's own LVs
 * are bounded by its plugin. */
#define SCAN_TREE_NODES 256u
#define SCAN_MAX_NODES 4096u
#define SCAN_MAX_CLAIMS (1u << 20)
/* Volume assembly rounds (LVs on PVs inside LVs...) */
#define MAX_ASSEMBLY_ROUNDS 8

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* "NAME=PATH" when there is an '=' and NAME has no '/' (NULL name: the
 * default). */
static void split_spec(const char *spec, char **name, char **path)
{
	const char *eq = strchr(spec, '=');
	if (eq && eq != spec && !memchr(spec, '/', (size_t)(eq - spec))) {
		*name = strndup(spec, (size_t)(eq - spec));
		*path = da_strdup(eq + 1);
		if (!*name)
			da_out_of_memory();
	} else {
		*name = NULL;
		*path = da_strdup(spec);
	}
}

/* A disk's default name: an NBD URI has no base name worth a name. */
static char *default_name(const char *path)
{
	if (da_image_is_uri(path))
		return da_strdup("nbd");
	return da_strdup(base_name(path));
}

static bool disk_named(const struct da_machine *m, const char *name)
{
	for (size_t j = 0; j < m->ndisks; j++)
		if (strcmp(m->disks[j].name, name) == 0)
			return true;
	return false;
}

/* Keep names unique: the second "disk.img" becomes "disk.img#2", the
 * third "disk.img#3", wherever they stand on the command line (the
 * suffix counts uses of the name, not disks).  A suffixed name already
 * taken (given as NAME=) is skipped; m->ndisks + 2 tries always find one
 * free. */
static char *unique_name(struct da_machine *m, char *dname)
{
	if (!disk_named(m, dname))
		return dname;
	char *u = NULL;
	for (size_t n = 2; n <= m->ndisks + 2; n++) {
		free(u);
		u = da_asprintf("%s#%zu", dname, n);
		if (!disk_named(m, u))
			break;
	}
	free(dname);
	return u;
}

/* One more disk: file number link of disk g's chain, opened raw, whose
 * content is that file's layout. */
static int add_host_disk(struct da_machine *m, size_t g,
			 const struct da_image_format *fmt, int link,
			 const char *path, da_error *err)
{
	struct da_disk *gd = &m->disks[g];
	struct da_disk *h = &m->disks[m->ndisks];
	char *hname = link ? da_asprintf("%s@backing%d", gd->name, link)
			   : da_asprintf("%s@host", gd->name);
	h->name = unique_name(m, hname);
	h->path = da_strdup(path);
	h->format = da_strdup("host");
	m->ndisks++;
	h->dev = da_file_device_open(h->name, h->path, err);
	if (!h->dev)
		return -1;
	da_error e = { 0 };
	h->content = fmt->host_view(gd->dev, link, h->dev, &e);
	if (!h->content) {
		h->content = da_node_new(DA_NODE_UNKNOWN, NULL, h->dev);
		da_node_set_reason(h->content, "%s", e.msg);
	}
	struct da_value *t = da_obj_get(h->content->props, "truncated");
	if (t && t->type == DA_V_BOOL && t->u.b)
		da_machine_add_problem(m, "%s: truncated or damaged image: %s",
				       h->path, h->content->reason ?
				       h->content->reason :
				       "clusters lie past its end");
	return 0;
}

struct da_machine *da_machine_open_disks(const char *name,
					 const struct da_disk_spec *specs,
					 size_t nspecs, da_error *err)
{
	if (nspecs == 0) {
		da_error_set(err, EINVAL, "no disk given");
		return NULL;
	}
	struct da_machine *m = da_xcalloc(1, sizeof(*m));
	m->name = da_strdup(name ? name : "machine");
	/* each image may bring its file and its backing files as disks */
	m->disks = da_xcalloc((DA_IMAGE_MAX_CHAIN + 2) * nspecs,
			      sizeof(*m->disks));
	const struct da_image_format **fmts = da_xcalloc(nspecs, sizeof(*fmts));
	for (size_t i = 0; i < nspecs; i++) {
		struct da_disk *d = &m->disks[i];
		char *dname = specs[i].name ? da_strdup(specs[i].name)
					    : default_name(specs[i].path);
		d->name = unique_name(m, dname);
		d->path = da_strdup(specs[i].path);
		d->format = da_strdup("raw");
		m->ndisks = i + 1;
		d->dev = da_image_open(d->name, d->path, specs[i].format, NULL,
				       &fmts[i], err);
		if (!d->dev) {
			free(fmts);
			da_machine_close(m);
			return NULL;
		}
		free(d->format);
		d->format = da_strdup(fmts[i]->name);
		const char *bad = fmts[i]->damage ? fmts[i]->damage(d->dev)
						  : NULL;
		if (bad)
			da_machine_add_problem(m, "%s: truncated or damaged "
					       "image: %s", d->path, bad);
	}
	/* the host view: the image file itself, raw, with its layout, and
	 * each file of its backing chain that has one */
	size_t n = m->ndisks;
	for (size_t i = 0; i < n; i++) {
		if (!fmts[i]->host_view)
			continue;
		for (int link = 0; link <= DA_IMAGE_MAX_CHAIN; link++) {
			const char *hpath = fmts[i]->host_path(m->disks[i].dev,
							       link);
			if (!hpath)
				break;
			if (add_host_disk(m, i, fmts[i], link, hpath, err) < 0) {
				free(fmts);
				da_machine_close(m);
				return NULL;
			}
		}
	}
	free(fmts);
	/* a test knob: reads of the first disk fail where it says */
	m->disks[0].dev = da_fault_device_from_env(m->disks[0].dev);
	return m;
}

struct da_machine *da_machine_open(const char *name, const char *const *specs,
				   size_t nspecs, da_error *err)
{
	struct da_disk_spec *s = da_xcalloc(nspecs ? nspecs : 1, sizeof(*s));
	char **names = da_xcalloc(nspecs ? nspecs : 1, sizeof(*names));
	char **paths = da_xcalloc(nspecs ? nspecs : 1, sizeof(*paths));
	for (size_t i = 0; i < nspecs; i++) {
		split_spec(specs[i], &names[i], &paths[i]);
		s[i].name = names[i];
		s[i].path = paths[i];
	}
	struct da_machine *m = da_machine_open_disks(name, s, nspecs, err);
	for (size_t i = 0; i < nspecs; i++) {
		free(names[i]);
		free(paths[i]);
	}
	free(names);
	free(paths);
	free(s);
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
	uint64_t claimed;
	if (da_signature_cut_fat(dev, &claimed)) {
		/* not parsed, but what it is and why are known */
		struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_obj_set_str(n->props, "signature", "FAT filesystem");
		da_obj_set_uint(n->props, "size", claimed);
		da_obj_set_bool(n->props, "past_end", true);
		da_node_set_reason(n, "FAT filesystem of %llu bytes cut short: "
				   "its metadata runs past the end of the "
				   "device (%llu bytes)",
				   (unsigned long long)claimed,
				   (unsigned long long)dev->size);
		return n;
	}
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

/* One scan's running totals and the partition tables it has scanned
 * (with where their first byte lies on a disk), and the devices above the
 * one being scanned: to catch a table that contains itself. */
struct seen {
	const struct da_plugin *plugin;
	struct da_device *dev, *disk;
	uint64_t at, size;
};

struct scan {
	bool defer;                /* leave filesystems' settle for later */
	size_t nodes, tree_nodes, claims;
	struct seen seen[SCAN_MAX_NODES];   /* partition tables scanned */
	size_t nseen;
};

struct above {
	const struct da_plugin *plugin;
	struct da_device *dev;
	struct da_device *disk;
	uint64_t at;
	const struct above *up;
};

/* The disk byte under byte 0 of dev (first copy of a mirror); false when
 * it maps nowhere. */
static bool disk_start(struct da_device *dev, struct da_device **disk,
		       uint64_t *at)
{
	uint64_t off = 0;
	for (int level = 0; level < 64; level++) {
		if (dev->is_disk) {
			*disk = dev;
			*at = off;
			return true;
		}
		struct da_target t[8];
		if (da_device_map_block(dev, off, t, 8) < 1 || !t[0].dev)
			return false;
		dev = t[0].dev;
		off = t[0].offset;
	}
	return false;
}

static struct da_node *not_scanned(struct da_device *dev, const char *why)
{
	struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
	da_node_set_reason(n, "%s", why);
	return n;
}

/* A filesystem's settle, at once (--list, --lookup, --map) or in the
 * background (the explorer), with one answer: what the pass could not
 * read is a warning on a node that stays what its superblock says. */
static void settle_node(struct da_node *n)
{
	da_error e = { 0 };
	if (n->plugin->settle(n, &e) < 0)
		da_warn(n, "%s: %s", n->plugin->name,
			e.msg[0] ? e.msg : "does not parse");
}

static struct da_node *scan_at(struct scan *sc, struct da_device *dev,
			       int depth, const struct above *up)
{
	static const struct da_plugin *const *const tables[] = {
		da_part_plugins, da_vol_plugins, da_fs_plugins,
	};
	const struct da_plugin *found[8];
	int nfound = 0;
	char errors[256] = "";
	char first_error[sizeof(((da_error *)0)->msg)] = ""; /* unprefixed */
	int nerrors = 0;
	bool same_error = true;

	if (depth > MAX_DEPTH) {
		struct da_node *n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_node_set_reason(n, "stack nested deeper than %d levels",
				   MAX_DEPTH);
		return n;
	}
	if (depth > 0 && up &&
	    (sc->tree_nodes >= SCAN_TREE_NODES || sc->nodes >= SCAN_MAX_NODES ||
	     sc->claims >= SCAN_MAX_CLAIMS)) {
		char why[160];
		snprintf(why, sizeof(why), "not scanned: the scan's limit of "
			 "%u devices in a disk or volume (%u in all) and %u "
			 "regions is reached", SCAN_TREE_NODES, SCAN_MAX_NODES,
			 SCAN_MAX_CLAIMS);
		struct da_node *n = not_scanned(dev, why);
		da_obj_set_bool(n->props, "budget", true);
		return n;
	}
	if (up)
		sc->nodes++, sc->tree_nodes++;
	/* a plugin that must be asked first (md 1.0, 0.90) and says found
	 * is the only answer */
	for (size_t t = 0; t < 3 && !nfound; t++)
		for (const struct da_plugin *const *p = tables[t]; *p; p++) {
			if (!(*p)->probe_first)
				continue;
			da_error err = { 0 };
			enum da_probe r = (*p)->probe(dev, &err);
			da_trace("probe %s (first) on %s: %s", (*p)->name,
				 dev->name, r == DA_PROBE_FOUND ? "found" :
				 r == DA_PROBE_ERROR ? err.msg : "not mine");
			if (r == DA_PROBE_FOUND) {
				found[nfound++] = *p;
				break;
			}
		}
	bool first = nfound > 0;
	for (size_t t = 0; t < 3 && !first; t++) {
		bool table_found = false;
		for (const struct da_plugin *const *p = tables[t]; *p; p++) {
			if ((*p)->probe_first)
				continue;
			da_error err = { 0 };
			enum da_probe r = (*p)->probe(dev, &err);
			da_trace("probe %s on %s: %s", (*p)->name, dev->name,
				 r == DA_PROBE_FOUND ? "found" :
				 r == DA_PROBE_ERROR ? err.msg : "not mine");
			if (r == DA_PROBE_ERROR && !errors[0]) {
				snprintf(errors, sizeof(errors), "%.40s: %.200s",
					 (*p)->name, err.msg);
				memcpy(first_error, err.msg, sizeof(first_error));
			} else if (r == DA_PROBE_ERROR &&
				   strcmp(first_error, err.msg)) {
				same_error = false;
			}
			nerrors += r == DA_PROBE_ERROR;
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
		/* one error that stopped every probe is the device's (it
		 * cannot be read), not the first format's that met it */
		if (errors[0] && n->type == DA_NODE_UNKNOWN)
			da_node_set_reason(n, "%s", nerrors > 1 && same_error &&
					   first_error[0] ? first_error
							  : errors);
		return n;
	}

	const struct da_plugin *p = found[0];
	/* A partition that starts where its own table is (entries from LBA
	 * 0) holds that table again, and so on at every level: entries to
	 * the power of the depth.  The same format on the same disk bytes as
	 * a device above is the same structure: it is named, not rescanned. */
	struct above here = { p, dev, NULL, 0, up };
	if (disk_start(dev, &here.disk, &here.at)) {
		for (const struct above *a = up; a; a = a->up) {
			if (a->plugin != p || a->disk != here.disk ||
			    a->at != here.at)
				continue;
			struct da_node *n = not_scanned(dev, "");
			da_obj_set_str(n->props, "repeats", a->dev->name);
			da_node_set_reason(n, "not scanned: the same %s as %s "
					   "(it starts on the same bytes)",
					   p->name, a->dev->name);
			return n;
		}
		/* two partitions on the same bytes hold the same table: the
		 * second is named, not scanned (tables that list one range
		 * many times multiply too) */
		for (size_t i = 0; p->layer == DA_LAYER_PART && i < sc->nseen;
		     i++) {
			const struct seen *w = &sc->seen[i];
			if (w->plugin != p || w->disk != here.disk ||
			    w->at != here.at || w->size != dev->size)
				continue;
			struct da_node *n = not_scanned(dev, "");
			da_obj_set_str(n->props, "same_as", w->dev->name);
			da_node_set_reason(n, "not scanned: the same %s as %s "
					   "(the same bytes)", p->name,
					   w->dev->name);
			return n;
		}
		if (p->layer == DA_LAYER_PART && sc->nseen < SCAN_MAX_NODES)
			sc->seen[sc->nseen++] = (struct seen){
				p, dev, here.disk, here.at, dev->size };
	}
	da_error err = { 0 };
	struct da_node *n = p->scan(dev, &err);
	if (n && p->settle && !sc->defer) {
		settle_node(n);
	} else if (n && p->settle && sc->defer &&
		   !da_obj_get(n->props, "warnings")) {
		/* settle warns from another thread: the key is made now,
		 * so that the props readers walk never grow under them */
		da_obj_set(n->props, "warnings", da_arr_new());
	}
	/* and what it fills: not known yet (where the scan has not made
	 * them in their place) */
	for (const char *const *k = p->settle_props; n && sc->defer && k && *k;
	     k++)
		if (!da_obj_get(n->props, *k))
			da_obj_set_int(n->props, *k, -1);
	if (!n) {
		n = da_node_new(DA_NODE_UNKNOWN, NULL, dev);
		da_obj_set_str(n->props, "probed", p->name);
		da_node_set_reason(n, "%s: %s", p->name,
				   err.msg[0] ? err.msg : "does not parse");
		return n;
	}
	sc->claims += n->nregions + n->nslots;
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
		if (!s->dev || s->content || s->container)
			continue;
		s->content = scan_at(sc, s->dev, depth + 1 + s->nest, &here);
		const struct da_value *cp = s->content->props;
		if (da_obj_get(cp, "repeats"))
			da_warn(n, "%s holds this %s again (it starts on the "
				"same bytes): not scanned again", s->dev->name,
				p->name);
		if (da_obj_get(cp, "budget"))
			da_warn(n, "the scan stopped at %s: its limit of %u "
				"devices in a disk or volume (%u in all) and "
				"%u regions is reached (tables that contain "
				"each other?)", s->dev->name, SCAN_TREE_NODES,
				SCAN_MAX_NODES, SCAN_MAX_CLAIMS);
	}
	return n;
}

/* The exit-status rule for short images: a structure that reaches past
 * the end of the device holding it is a problem of the machine (status 1,
 * one line per disk or volume), whatever the format; every other damage
 * is a warning in the output.  These are the bytes each node says it
 * spans, beyond its device's size; 0 when it fits. */
static uint64_t past_end(const struct da_node *n, const char **what)
{
	const struct da_value *v;
	uint64_t size = n->dev ? n->dev->size : 0, want = 0;
	*what = NULL;
	if ((v = da_obj_get(n->props, "past_end")) && v->type == DA_V_BOOL &&
	    v->u.b) {
		/* what the header claims, else the size it gives */
		v = da_obj_get(n->props, "claimed_size");
		if (!v)
			v = da_obj_get(n->props, "size");
		want = v && v->type == DA_V_INT ? (uint64_t)v->u.i : size + 1;
	} else if (n->type == DA_NODE_FILESYSTEM) {
		/* "size" in bytes, or "blocks" of "block_size" */
		const struct da_value *b = da_obj_get(n->props, "blocks");
		const struct da_value *bs = da_obj_get(n->props, "block_size");
		v = da_obj_get(n->props, "size");
		if (v && v->type == DA_V_INT)
			want = (uint64_t)v->u.i;
		else if (b && bs && b->type == DA_V_INT && bs->type == DA_V_INT &&
			 !mul_ok((uint64_t)b->u.i, (uint64_t)bs->u.i, &want))
			want = UINT64_MAX;
	} else if (n->type == DA_NODE_LVM2_PV) {
		v = da_obj_get(n->props, "dev_size");
		if (v && v->type == DA_V_INT)
			want = (uint64_t)v->u.i;
	}
	if (want <= size)
		return 0;
	v = da_obj_get(n->props, "fstype");
	*what = v && v->type == DA_V_STR ? v->u.s : da_node_type_name(n->type);
	if (n->type == DA_NODE_LVM2_PV)
		*what = "LVM2 PV";
	else if (n->type == DA_NODE_SWAP)
		*what = "swap area";
	else if (n->type == DA_NODE_UNKNOWN)
		*what = "FAT";
	return want;
}

/* The first structure of n's tree that runs past the end of its device,
 * as one line into buf; false when none does. */
static bool find_past_end(const struct da_node *n, char *buf, size_t len)
{
	if (!n)
		return false;
	const char *what;
	uint64_t want = past_end(n, &what);
	if (want) {
		snprintf(buf, len, "the %s%s on %s is %llu bytes, past the end "
			 "of its device (%llu bytes)", what,
			 n->type == DA_NODE_FILESYSTEM ||
			 n->type == DA_NODE_UNKNOWN ? " filesystem" : "",
			 n->dev->name,
			 (unsigned long long)want,
			 (unsigned long long)n->dev->size);
		return true;
	}
	const struct da_value *t = da_obj_get(n->props, "truncated");
	if (n->type == DA_NODE_PARTITIONS && t && t->type == DA_V_BOOL &&
	    t->u.b) {
		snprintf(buf, len, "the partition table on %s describes a "
			 "larger disk than its %llu bytes", n->dev->name,
			 (unsigned long long)n->dev->size);
		return true;
	}
	for (size_t i = 0; i < n->nslots; i++) {
		const struct da_value *c = da_obj_get(n->slots[i].props,
						      "clipped");
		const struct da_value *nm = da_obj_get(n->slots[i].props,
						       "name");
		if (c && c->type == DA_V_BOOL && c->u.b) {
			snprintf(buf, len, "partition %s runs past the end of "
				 "%s (%llu bytes)",
				 nm && nm->type == DA_V_STR ? nm->u.s : "?",
				 n->dev->name,
				 (unsigned long long)n->dev->size);
			return true;
		}
	}
	for (size_t i = 0; i < n->nslots; i++)
		if (find_past_end(n->slots[i].content, buf, len))
			return true;
	return false;
}

static void note_past_end(struct da_machine *m)
{
	char what[400];
	for (size_t i = 0; i < m->ndisks; i++)
		if (find_past_end(m->disks[i].content, what, sizeof(what)))
			da_machine_add_problem(m, "%s: truncated image or "
					       "damaged table: %s",
					       m->disks[i].path, what);
	for (size_t i = 0; i < m->nvolumes; i++)
		if (find_past_end(m->volumes[i].content, what, sizeof(what)))
			da_machine_add_problem(m, "%s: damaged volume: %s",
					       m->volumes[i].name, what);
}

/* Volumes without content yet: scan them. */
static void scan_new_volumes(struct da_machine *m, struct scan *sc)
{
	for (size_t i = 0; i < m->nvolumes; i++) {
		struct da_volume *v = &m->volumes[i];
		if (!v->content && v->dev) {
			sc->tree_nodes = 0;
			v->content = scan_at(sc, v->dev, 1, NULL);
		}
	}
}

/* Ask every volume plugin to assemble, scan what it added, and again
 * while something new comes (LVs on PVs inside LVs...). */
static void assemble_rounds(struct da_machine *m, struct scan *sc)
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
		scan_new_volumes(m, sc);
	}
}

int da_machine_rescan(struct da_machine *m)
{
	size_t before = m->nvolumes;
	/* an unlocked volume: a scan of its own, with its own budget */
	struct scan *sc = da_xcalloc(1, sizeof(*sc));
	sc->defer = m->defer_settle;
	scan_new_volumes(m, sc);
	assemble_rounds(m, sc);
	free(sc);
	return (int)(m->nvolumes - before);
}

void da_machine_scan(struct da_machine *m)
{
	if (m->scanned)
		return;
	struct scan *sc = da_xcalloc(1, sizeof(*sc));
	sc->defer = m->defer_settle;
	for (size_t i = 0; i < m->ndisks; i++) {
		struct da_disk *d = &m->disks[i];
		if (d->content)        /* a host view, made when opened */
			continue;
		sc->tree_nodes = 0;
		d->content = scan_at(sc, d->dev, 0, NULL);
	}
	assemble_rounds(m, sc);
	free(sc);
	note_past_end(m);
	m->scanned = true;
}

static bool volume_named(const struct da_machine *m, const char *name,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m->volumes[i].name, name) == 0)
			return true;
	return false;
}

struct da_volume *da_machine_add_volume(struct da_machine *m, const char *name,
					const char *kind, struct da_device *dev,
					struct da_value *props)
{
	/* capacity doubles: 45,000 LVs were 45,000 reallocs */
	size_t k = m->nvolumes;
	if (k == 0 || (k >= 8 && (k & (k - 1)) == 0)) {
		struct da_volume *nv = realloc(m->volumes,
					       (k ? k * 2 : 8) * sizeof(*nv));
		if (!nv)
			da_out_of_memory();
		m->volumes = nv;
	}
	struct da_volume *v = &m->volumes[m->nvolumes++];
	memset(v, 0, sizeof(*v));
	/* names stay unique, as --lookup NAME:OFFSET needs: a second
	 * "vg0/lv0" (two VGs of one name, an LV listed twice) becomes
	 * "vg0/lv0#2" */
	v->name = da_strdup(name);
	for (unsigned n = 2; volume_named(m, v->name, m->nvolumes - 1); n++) {
		free(v->name);
		v->name = da_asprintf("%s#%u", name, n);
	}
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

struct nodes_of {
	const struct da_plugin *plugin;
	size_t max, cap;
	struct da_node_list l;
};

static void collect_node(struct da_node *n, void *arg)
{
	struct nodes_of *c = arg;
	if (n->plugin != c->plugin || !n->priv || c->l.n >= c->max)
		return;
	if (c->l.n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct da_node **v = realloc(c->l.v, cap * sizeof(*v));
		if (!v)
			da_out_of_memory();
		c->l.v = v;
		c->cap = cap;
	}
	c->l.v[c->l.n++] = n;
}

struct da_node_list da_machine_nodes_of(struct da_machine *m,
					const struct da_plugin *plugin,
					size_t max)
{
	struct nodes_of c = { .plugin = plugin, .max = max };
	da_machine_each_node(m, collect_node, &c);
	return c.l;
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

static void settle_one(struct da_node *n, void *arg)
{
	struct da_machine *m = arg;
	if (!n->plugin || !n->plugin->settle)
		return;
	settle_node(n);
	__atomic_add_fetch(&m->settle_done, 1, __ATOMIC_RELEASE);
}

void da_machine_settle(struct da_machine *m)
{
	da_machine_each_node(m, settle_one, m);
}

void da_machine_build_indexes(struct da_machine *m)
{
	/* the indexes ask what settle finds (ext: groups with inodes) */
	da_machine_settle(m);
	int total = 0;
	da_machine_each_node(m, count_indexable, &total);
	__atomic_store_n(&m->index_total, total, __ATOMIC_RELEASE);
	struct index_run r = { m, 0 };
	/* a filesystem whose index failed still answers metadata roles */
	da_machine_each_node(m, index_one, &r);
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
