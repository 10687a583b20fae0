/* libFuzzer target: LVM2 metadata text on its own (what a PV's metadata
 * area holds once its checksums pass): the parser and the lookups the VG
 * assembly makes.  Seeds: the .vg texts of tests/images.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>

#include "diskatlas.h"
#include "vol/lvm2_meta.h"

/* Visit every item, asking what assembly asks of sections. */
static void walk(const struct lvm_meta *m, const struct lvm_item *it,
		 int depth)
{
	if (!it || depth > 64)
		return;
	for (const struct lvm_item *c = da_lvm_first(m, it); c;
	     c = da_lvm_next(m, c)) {
		if (c->type == LVM_SECTION) {
			int64_t v;
			da_lvm_get_int(m, c, "extent_count", &v);
			da_lvm_get_str(m, c, "id");
			da_lvm_get_section(m, c, "logical_volumes");
			da_lvm_has_flag(m, c, "status", "VISIBLE");
		}
		walk(m, c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lvm_meta m;
	char why[200];
	if (da_lvm_meta_parse((const char *)data, size, &m, why,
			      sizeof(why)) < 0)
		return 0;
	if (m.nitems)
		walk(&m, &m.items[0], 0);
	da_lvm_meta_free(&m);
	return 0;
}
