/* Where a range of one address space lies in another below it: the bytes
 * of a file's runs (a filesystem's space) on the LV, the partition or the
 * disk that holds them, as the ownership build walks owners down, but
 * towards any space of the stack (src/diskatlas.h, da_space_place).
 * Every loop is bounded: the depth of the stack, the pieces reported.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "diskatlas.h"

#define MAX_DEPTH 32
#define MAX_TARGETS 8

struct walk {
	struct da_device *to;
	da_place_fn fn;
	void *arg;
	uint64_t placed;
	size_t budget;             /* pieces (and steps) left */
};

static void place(struct walk *w, struct da_device *dev, uint64_t off,
		  uint64_t len, uint64_t from_off, int level)
{
	if (dev == w->to || (!w->to && dev->is_disk)) {
		if (w->budget == 0)
			return;
		w->budget--;
		w->fn(w->arg, dev, from_off, off, len);
		w->placed += len;
		return;
	}
	if (dev->is_disk || level >= MAX_DEPTH)
		return;                 /* the bottom, not the space asked */
	while (len > 0 && off < dev->size && w->budget > 0) {
		uint64_t c = da_device_contiguous(dev, off);
		if (c == 0)
			break;
		if (c > len)
			c = len;
		if (c > dev->size - off)
			c = dev->size - off;
		struct da_target t[MAX_TARGETS];
		int n = da_device_map_block(dev, off, t, MAX_TARGETS);
		if (n > MAX_TARGETS)
			n = MAX_TARGETS;
		for (int i = 0; i < n; i++)
			if (t[i].dev)
				place(w, t[i].dev, t[i].offset, c, from_off,
				      level + 1);
		if (w->budget)
			w->budget--;   /* steps count too: bounded walks */
		off += c;
		from_off += c;
		len -= c;
	}
}

uint64_t da_space_place(struct da_device *from, uint64_t off, uint64_t len,
			struct da_device *to, size_t max_pieces,
			da_place_fn fn, void *arg)
{
	if (!from || !fn || off >= from->size)
		return 0;
	if (len > from->size - off)
		len = from->size - off;
	struct walk w = { to, fn, arg, 0, max_pieces };
	place(&w, from, off, len, off, 0);
	return w.placed;
}
