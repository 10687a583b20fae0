/* XFS: the allocation group's short-form B+trees (free space by block and
 * by size, inodes, free inodes, reverse mappings, reference counts), from
 * xfsprogs' libxfs/xfs_format.h: a header (16 bytes, 56 with CRCs), then
 * records in leaves, or keys and then pointers (at header + maxrecs *
 * keysize, maxrecs from the block size, not numrecs) in nodes.
 *
 * Every block read is checked: magic, level, record count, CRC on v5.
 * Pointers are AG block numbers and must stay inside the AG; levels must
 * fall by one at each step and a block is never read twice, so a damaged
 * tree cannot loop; a budget bounds the whole walk.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "xfs.h"

/* ---- a set of numbers ------------------------------------------------ */

static uint64_t mix(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

bool xfs_set_add(struct xfs_set *s, uint64_t v)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *nv = calloc(cap, sizeof(*nv));
		if (!nv)
			return true;       /* no memory: do not claim a loop */
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t h = mix(s->v[i]) & (cap - 1);
			while (nv[h])
				h = (h + 1) & (cap - 1);
			nv[h] = s->v[i];
		}
		free(s->v);
		s->v = nv;
		s->cap = cap;
	}
	uint64_t key = v + 1;          /* 0 marks an empty slot */
	size_t h = mix(key) & (s->cap - 1);
	while (s->v[h]) {
		if (s->v[h] == key)
			return false;
		h = (h + 1) & (s->cap - 1);
	}
	s->v[h] = key;
	s->n++;
	return true;
}

void xfs_set_free(struct xfs_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- the trees ------------------------------------------------------- */

struct bt_kind {
	const char *name;
	uint32_t magic4, magic5;       /* 0: not in that version */
	uint32_t reclen, keylen;
	enum da_role role;
};

static const struct bt_kind kinds[] = {
	[XFS_BT_BNO] = { "bnobt", 0x41425442, 0x41423342, 8, 8, DA_ROLE_BNOBT },
	[XFS_BT_CNT] = { "cntbt", 0x41425443, 0x41423343, 8, 8, DA_ROLE_CNTBT },
	[XFS_BT_INO] = { "inobt", 0x49414254, 0x49414233, 16, 4, DA_ROLE_INOBT },
	[XFS_BT_FINO] = { "finobt", 0x46494254, 0x46494233, 16, 4,
			  DA_ROLE_FINOBT },
	/* rmap nodes keep a low and a high key of 20 bytes each */
	[XFS_BT_RMAP] = { "rmapbt", 0, 0x524d4233, 24, 40, DA_ROLE_RMAPBT },
	[XFS_BT_REFC] = { "refcountbt", 0, 0x52334643, 12, 4,
			  DA_ROLE_REFCOUNTBT },
};

static void bt_warn(struct xfs_bt_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bt_warn(struct xfs_bt_ctx *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c->warnings++)
		snprintf(c->first_warning, sizeof(c->first_warning), "%s", buf);
	if (c->warn_to)
		da_warn(c->warn_to, "%s", buf);
}

static void walk(struct xfs_bt_ctx *c, const struct bt_kind *k, uint32_t agno,
		 uint32_t agbno, int level, uint8_t *buf, xfs_rec_fn fn,
		 void *arg)
{
	const struct xfs_geom *g = c->g;
	uint64_t aglen = xfs_ag_blocks(g, agno);
	if (agbno == 0 || agbno >= aglen) {
		bt_warn(c, "AG %u %s: pointer to block %u outside the AG",
			agno, k->name, agbno);
		return;
	}
	uint64_t lin = (uint64_t)agno * g->agblocks + agbno;
	if (!xfs_set_add(c->seen, lin)) {
		bt_warn(c, "AG %u %s: block %u reached twice (a loop or a "
			"block of two trees)", agno, k->name, agbno);
		return;
	}
	if (*c->budget == 0) {
		bt_warn(c, "AG %u %s: too many B+tree blocks, walk stopped",
			agno, k->name);
		return;
	}
	(*c->budget)--;
	da_error e;
	if (xfs_read_block(c->dev, g, lin, 1, buf, &e) < 0) {
		bt_warn(c, "AG %u %s: block %u: %s", agno, k->name, agbno,
			e.msg);
		return;
	}
	uint32_t magic = be32(buf);
	uint32_t want = g->crc ? k->magic5 : k->magic4;
	if (magic != want) {
		bt_warn(c, "AG %u %s: block %u has magic 0x%08x, not 0x%08x",
			agno, k->name, agbno, magic, want);
		return;
	}
	if (c->meta_to)
		xfs_add_meta(c->meta_to, lin, 1, k->role);
	uint32_t hdr = g->crc ? 56 : 16;
	if (g->crc && !xfs_crc_ok(buf, g->bs, 52))
		bt_warn(c, "AG %u %s: block %u fails its CRC", agno, k->name,
			agbno);
	int lv = be16(buf + 4);
	uint32_t nrec = be16(buf + 6);
	if (lv != level) {
		bt_warn(c, "AG %u %s: block %u at level %d, expected %d",
			agno, k->name, agbno, lv, level);
		return;
	}
	if (level == 0) {
		uint32_t max = (g->bs - hdr) / k->reclen;
		if (nrec > max) {
			bt_warn(c, "AG %u %s: block %u has %u records (at most "
				"%u)", agno, k->name, agbno, nrec, max);
			nrec = max;
		}
		if (fn)
			for (uint32_t i = 0; i < nrec; i++)
				fn(arg, agno, buf + hdr + i * k->reclen);
		return;
	}
	uint32_t max = (g->bs - hdr) / (k->keylen + 4);
	if (nrec > max || nrec == 0) {
		bt_warn(c, "AG %u %s: node %u has %u pointers (1 to %u)", agno,
			k->name, agbno, nrec, max);
		if (nrec > max)
			nrec = max;
	}
	/* the children are read into the next buffer of the stack */
	uint32_t ptrs = hdr + max * k->keylen;
	uint8_t *child = buf + g->bs;
	for (uint32_t i = 0; i < nrec; i++)
		walk(c, k, agno, be32(buf + ptrs + 4 * i), level - 1, child,
		     fn, arg);
}

void xfs_walk_agbt_ctx(struct xfs_bt_ctx *c, enum xfs_bt kind, uint32_t agno,
		       uint32_t root, uint32_t levels, xfs_rec_fn fn,
		       void *arg)
{
	const struct bt_kind *k = &kinds[kind];
	if (levels == 0 || levels > XFS_MAX_LEVELS) {
		bt_warn(c, "AG %u %s: height %u", agno, k->name, levels);
		return;
	}
	/* one block buffer per level: no allocation in the recursion */
	uint8_t *stack = malloc((size_t)c->g->bs * levels);
	if (!stack) {
		bt_warn(c, "AG %u %s: no memory", agno, k->name);
		return;
	}
	walk(c, k, agno, root, (int)levels - 1, stack, fn, arg);
	free(stack);
}

void xfs_walk_agbt(struct da_node *n, enum xfs_bt kind, uint32_t agno,
		   uint32_t root, uint32_t levels, xfs_rec_fn fn, void *arg)
{
	struct xfs_priv *p = n->priv;
	struct xfs_bt_ctx c = {
		.dev = n->dev, .g = &p->g, .warn_to = n, .seen = &p->seen,
		.meta_to = n, .budget = &p->budget,
	};
	xfs_walk_agbt_ctx(&c, kind, agno, root, levels, fn, arg);
}
