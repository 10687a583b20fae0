/* The scan tree in the order people read it: each disk, what it holds,
 * its slots and what they hold, then each volume and what it holds.  One
 * walk serves both --list's text and the explorer's tree, so the two
 * never disagree about what is under what.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "diskatlas.h"

struct walk {
	da_tree_fn fn;
	void *arg;
	struct da_tree_item base;   /* disk or volume, for every item */
	int stop;
};

static void emit(struct walk *w, const struct da_tree_item *it)
{
	if (!w->stop)
		w->stop = w->fn(it, w->arg);
}

/* A node and, below it, its slots and their contents (a slot without
 * content has no item of its own: nothing was scanned there). */
static void walk_node(struct walk *w, const struct da_node *n,
		      struct da_device *dev, int depth)
{
	struct da_tree_item it = w->base;
	it.type = DA_TREE_NODE;
	it.depth = depth;
	it.node = n;
	it.dev = n && n->dev ? n->dev : dev;
	emit(w, &it);
	for (size_t i = 0; n && i < n->nslots && !w->stop; i++) {
		const struct da_slot *s = &n->slots[i];
		struct da_tree_item si = w->base;
		si.type = DA_TREE_SLOT;
		si.depth = depth + 1;
		si.parent = n;
		si.slot = s;
		si.dev = s->dev;
		emit(w, &si);
		if (s->content && !w->stop)
			walk_node(w, s->content, s->dev, depth + 2);
	}
}

void da_machine_walk(const struct da_machine *m, da_tree_fn fn, void *arg)
{
	struct walk w = { .fn = fn, .arg = arg };
	for (size_t i = 0; i < m->ndisks && !w.stop; i++) {
		memset(&w.base, 0, sizeof(w.base));
		w.base.disk = &m->disks[i];
		w.base.index = i;
		struct da_tree_item it = w.base;
		it.type = DA_TREE_DISK;
		it.dev = m->disks[i].dev;
		emit(&w, &it);
		if (!w.stop)
			walk_node(&w, m->disks[i].content, m->disks[i].dev, 1);
	}
	for (size_t i = 0; i < m->nvolumes && !w.stop; i++) {
		memset(&w.base, 0, sizeof(w.base));
		w.base.volume = &m->volumes[i];
		w.base.index = i;
		struct da_tree_item it = w.base;
		it.type = DA_TREE_VOLUME;
		it.dev = m->volumes[i].dev;
		emit(&w, &it);
		if (!w.stop)
			walk_node(&w, m->volumes[i].content, m->volumes[i].dev,
				  1);
	}
}
