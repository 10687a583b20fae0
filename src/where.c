/* WHERE as people write it: "[NAME:]OFFSET", "[NAME:]START-END" or
 * "[NAME:]START+LENGTH", NAME a disk or an assembled volume, numbers in
 * bytes (decimal, 0x hex, K/M/G/T) or sectors ("2048s"), and bare numbers
 * read in the unit the caller chose (--unit).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "util.h"

uint32_t da_machine_sector_size(const struct da_machine *m,
				const struct da_device *dev)
{
	for (size_t i = 0; i < m->ndisks; i++) {
		if (m->disks[i].dev != dev || !m->disks[i].content)
			continue;
		/* the partition table knows the disk's logical sectors */
		struct da_value *v = da_obj_get(m->disks[i].content->props,
						"sector_size");
		if (v && v->type == DA_V_INT && v->u.i >= 512 &&
		    v->u.i <= 65536 && !(v->u.i & (v->u.i - 1)))
			return (uint32_t)v->u.i;
	}
	return 512;
}

/* What a number in a WHERE counts: the sector size is looked up only when
 * a number asks for it (a trailing s, --unit sector), and the block only
 * for a bare number under --unit block, as most never do. */
struct units {
	struct da_machine *m;
	const struct da_device *dev;
	const struct da_node *content;   /* of the space named */
	enum da_unit unit;
	uint64_t sector;           /* 0 until looked up */
	/* --unit block: block N is at byte base + (N - first) * block */
	uint64_t block, base, first;
	bool below_first;          /* a number before the first block */
	const char *fsname;        /* whose blocks start at first */
};

static uint64_t sector_bytes(struct units *u)
{
	if (!u->sector)
		u->sector = da_machine_sector_size(u->m, u->dev);
	return u->sector;
}

static int64_t int_prop(const struct da_node *n, const char *key)
{
	const struct da_value *v = n->props ? da_obj_get(n->props, key) : NULL;
	return v && v->type == DA_V_INT ? v->u.i : -1;
}

/* The block of --unit block.  A space that holds a filesystem directly
 * counts in that filesystem's block, numbered as its own tools number
 * it: ext from byte 0 (debugfs), XFS from byte 0 (agno * agblocks +
 * agbno), NTFS clusters from byte 0 (ntfscluster's LCN), FAT and exFAT
 * clusters from 2 at the start of the data area (fsck.fat, the FAT
 * itself).  Any other space counts in its logical sector: a disk's as
 * its partition table gives it (or --sector-size), a volume's own. */
static void block_unit(struct units *u)
{
	const struct da_node *n = u->content;
	u->base = 0;
	u->first = 0;
	if (n && n->type == DA_NODE_FILESYSTEM && n->dev &&
	    n->dev->block_size >= 512 && n->dev->size == u->dev->size) {
		u->block = n->dev->block_size;
		const char *plugin = n->plugin ? n->plugin->name : "";
		int64_t data = int_prop(n, "data_start");
		if ((!strcmp(plugin, "fat") || !strcmp(plugin, "exfat")) &&
		    data >= 0) {
			u->base = (uint64_t)data;
			u->first = 2;
			u->fsname = strcmp(plugin, "fat") ? "exFAT" : "FAT";
		}
		return;
	}
	if (u->dev->is_disk || !u->dev->block_size)
		u->block = sector_bytes(u);
	else
		u->block = u->dev->block_size;
}

/* The bytes a bare number of units counts (a length), as --unit says. */
static uint64_t bare_bytes(struct units *u)
{
	if (u->unit == DA_UNIT_SECTOR)
		return sector_bytes(u);
	if (u->unit == DA_UNIT_BLOCK) {
		if (!u->block)
			block_unit(u);
		return u->block;
	}
	return 1;
}

/* The byte a bare number names (a position): bare_bytes each, from the
 * first block on (FAT's cluster 2 is its data area's first byte). */
static bool bare_position(struct units *u, uint64_t v, uint64_t *out)
{
	uint64_t size = bare_bytes(u);
	if (u->unit != DA_UNIT_BLOCK || !u->first)
		return mul_ok(v, size, out);
	if (v < u->first) {
		u->below_first = true;
		return false;
	}
	return mul_ok(v - u->first, size, out) && add_ok(*out, u->base, out);
}

/* s when it is only decimal digits, at most 19 of them (no overflow):
 * the common case of --lookup -, read without copying or suffixes. */
static bool plain_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 19)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || s[i])
		return false;
	*out = v;
	return true;
}

/* A number with its unit: a trailing s is sectors, a bare number is in
 * the unit --unit says (a position from the first block when position),
 * K/M/G/T are powers of 1024. */
static int parse_number(const char *s, struct units *u, bool position,
			uint64_t *out)
{
	uint64_t v;
	if (plain_decimal(s, &v))
		return (position ? bare_position(u, v, out)
				 : mul_ok(v, bare_bytes(u), out)) ? 0 : -1;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > 64)
		return -1;
	char buf[72];
	memcpy(buf, s, n);
	buf[n] = '\0';
	char last = buf[n - 1];
	bool hex = n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
	bool bare = false;
	uint64_t mult = 1;
	if ((last == 's' || last == 'S')) {
		buf[n - 1] = '\0';
		mult = sector_bytes(u);
	} else if (isdigit((unsigned char)last) ||
		   (hex && isxdigit((unsigned char)last))) {
		bare = true;
	}
	if (da_parse_offset(buf, &v) < 0)
		return -1;
	if (bare)
		return (position ? bare_position(u, v, out)
				 : mul_ok(v, bare_bytes(u), out)) ? 0 : -1;
	if (!mul_ok(v, mult, &v))
		return -1;
	*out = v;
	return 0;
}

/* FAT and exFAT have no cluster 0 or 1: say where their numbers start,
 * and how to reach what lies before. */
static int below_first(const struct units *u, const char *where,
		       const struct da_where *w, da_error *err)
{
	return da_error_set(err, EINVAL, "%s: the %s on %s numbers its "
			    "clusters from %" PRIu64 ", at byte %" PRIu64
			    " (give bytes or sectors for what lies before)",
			    where, u->fsname, w->name, u->first, u->base);
}

int da_where_parse(struct da_machine *m, const char *where,
		   const struct da_where_opts *opts, struct da_where *out,
		   da_error *err)
{
	memset(out, 0, sizeof(*out));
	/* a bare decimal offset (most of --lookup -) has no name and no
	 * range: it is read once, here */
	uint64_t plain;
	bool is_plain = plain_decimal(where, &plain);
	const char *colon = is_plain ? NULL : strrchr(where, ':');
	const char *num = where;
	out->name = m->ndisks ? m->disks[0].name : "";
	out->dev = m->ndisks ? m->disks[0].dev : NULL;
	const struct da_node *content = m->ndisks ? m->disks[0].content : NULL;
	if (colon) {
		size_t len = (size_t)(colon - where);
		out->dev = NULL;
		for (size_t i = 0; i < m->ndisks && !out->dev; i++)
			if (strlen(m->disks[i].name) == len &&
			    !strncmp(m->disks[i].name, where, len)) {
				out->dev = m->disks[i].dev;
				out->name = m->disks[i].name;
				content = m->disks[i].content;
			}
		/* an assembled volume: "vg/lv:OFFSET" */
		for (size_t i = 0; i < m->nvolumes && !out->dev; i++)
			if (m->volumes[i].dev &&
			    strlen(m->volumes[i].name) == len &&
			    !strncmp(m->volumes[i].name, where, len)) {
				out->dev = m->volumes[i].dev;
				out->name = m->volumes[i].name;
				content = m->volumes[i].content;
			}
		if (!out->dev)
			return da_error_set(err, EINVAL, "%s: no disk or "
					    "volume named '%.*s'", where,
					    (int)len, where);
		num = colon + 1;
	}
	if (!out->dev)
		return da_error_set(err, EINVAL, "%s: no disk", where);
	struct units u = { .m = m, .dev = out->dev, .content = content,
			   .unit = opts ? opts->unit : DA_UNIT_BYTE,
			   .sector = opts ? opts->sector_size : 0 };
	/* a range: START-END (END not included) or START+LENGTH */
	char first[72];
	const char *sep = is_plain ? NULL : strpbrk(num, "-+");
	const char *second = NULL;
	if (sep) {
		size_t l = (size_t)(sep - num);
		if (l == 0 || l >= sizeof(first))
			return da_error_set(err, EINVAL, "%s: not a range "
					    "(try 1M-2M or 1M+4K)", where);
		memcpy(first, num, l);
		first[l] = '\0';
		second = sep + 1;
		num = first;
	}
	if (is_plain ? !bare_position(&u, plain, &out->off)
		     : parse_number(num, &u, true, &out->off) < 0)
		return u.below_first ? below_first(&u, where, out, err)
		     : da_error_set(err, EINVAL, "%s: not an offset (try "
				    "1048576, 0x100000, 1M or 2048s)", where);
	if (out->off >= out->dev->size)
		return da_error_set(err, ERANGE, "%s: offset %" PRIu64
				    " is past the end of %s (%" PRIu64
				    " bytes)", where, out->off, out->name,
				    out->dev->size);
	out->len = 1;
	if (!second)
		return 0;
	uint64_t v;
	if (parse_number(second, &u, *sep == '-', &v) < 0)
		return u.below_first ? below_first(&u, where, out, err)
		     : da_error_set(err, EINVAL, "%s: not a range (try 1M-2M "
				    "or 1M+4K)", where);
	out->range = true;
	if (*sep == '-') {
		if (v <= out->off)
			return da_error_set(err, EINVAL, "%s: the range ends "
					    "before it starts", where);
		out->len = v - out->off;
	} else {
		if (v == 0)
			return da_error_set(err, EINVAL, "%s: an empty range",
					    where);
		out->len = v;
	}
	/* a range that runs past the end stops there */
	if (out->len > out->dev->size - out->off)
		out->len = out->dev->size - out->off;
	return 0;
}

int da_parse_where_dev(struct da_machine *m, const char *where,
		       struct da_device **dev, uint64_t *off, da_error *err)
{
	struct da_where w;
	if (da_where_parse(m, where, NULL, &w, err) < 0)
		return -1;
	if (w.range)
		return da_error_set(err, EINVAL, "%s: one offset, not a "
				    "range", where);
	*dev = w.dev;
	*off = w.off;
	return 0;
}

int da_where_locate(const struct da_ownership *o, const char *where,
		    const struct da_where *w, size_t *d, uint64_t *off,
		    da_error *err)
{
	/* a disk locates to itself; a volume through its mapping */
	if (da_ownership_locate(o, w->dev, w->off, d, off, NULL) == 0)
		return 0;
	/* on a missing member of a striped space (a degraded RAID5, say):
	 * the space's own index still knows what lies inside it */
	size_t s;
	uint64_t soff;
	if (da_ownership_locate_index(o, w->dev, w->off, &s, &soff, NULL) == 0 &&
	    !da_ownership_machine_disk(o, s)->is_disk) {
		*d = s;
		*off = soff;
		return 1;
	}
	return da_error_set(err, ENXIO, "%s: byte %" PRIu64 " of %s lies on "
			    "no disk here (a missing PV or RAID member?)",
			    where, w->off, w->dev->name);
}

int da_resolve_where(const struct da_ownership *o, struct da_machine *m,
		     const char *where, size_t *d, uint64_t *off,
		     da_error *err)
{
	struct da_where w;
	if (da_where_parse(m, where, NULL, &w, err) < 0)
		return -1;
	if (w.range)
		return da_error_set(err, EINVAL, "%s: one offset, not a "
				    "range", where);
	return da_where_locate(o, where, &w, d, off, err);
}
