/* Linux swap areas: the v1 header ("SWAPSPACE2" at the end of the first
 * page), the obsolete v0 bitmap header ("SWAP-SPACE"), and swap holding a
 * hibernation image (S1SUSPEND, S2SUSPEND, ULSUSPEND, LINHIB0001,
 * TuxOnIce), whose header fields stay those of v1.
 *
 * The header page (union swap_header in the kernel's <linux/swap.h>):
 * bootbits[1024], then version, last_page, nr_badpages (32-bit, in the
 * writer's byte order), uuid[16], label[16], padding, and the bad page
 * list at byte 1536; the magic ends the page.  The page size is the one
 * at whose end the magic sits (4 KiB to 64 KiB).
 *
 * Blocks are pages.  Usage: the header page is metadata; every other page
 * of the area (bad pages included) counts as used, because what swap
 * holds cannot be known from the outside; bytes past the area are free.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileindex.h"
#include "util.h"

extern const struct da_plugin da_plugin_swap;

#define SWAP_BADPAGES_OFF 1536

struct swap_priv {
	uint32_t page_size;
	uint64_t area;             /* bytes the header describes (clamped) */
	uint32_t *bad;             /* sorted bad page numbers */
	size_t nbad;
};

static const struct {
	const char *magic;
	size_t len;
	int version;               /* 0, 1; -1: hibernation (v1 fields) */
} swap_magics[] = {
	{ "SWAPSPACE2", 10, 1 },
	{ "SWAP-SPACE", 10, 0 },
	{ "S1SUSPEND", 9, -1 },
	{ "S2SUSPEND", 9, -1 },
	{ "ULSUSPEND", 9, -1 },
	{ "LINHIB0001", 10, -1 },
	{ "\xed\xc3\x02\xe9\x98\x56\xe5\x0c", 8, -1 },   /* TuxOnIce */
};

/* Which magic ends a page of which size: the index into swap_magics, or
 * -1; 0 on success, -1 on a read error. */
static int find_magic(struct da_device *dev, uint32_t *page_size, int *which,
		      da_error *err)
{
	*which = -1;
	for (uint32_t ps = 4096; ps <= 65536; ps <<= 1) {
		uint8_t m[10];
		if (dev->size < ps)
			break;
		if (da_device_read(dev, m, sizeof(m), ps - 10, err) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(swap_magics) / sizeof(swap_magics[0]);
		     i++) {
			if (!memcmp(m, swap_magics[i].magic, swap_magics[i].len)) {
				*page_size = ps;
				*which = (int)i;
				return 0;
			}
		}
	}
	return 0;
}

static enum da_probe swap_probe(struct da_device *dev, da_error *err)
{
	uint32_t ps;
	int which;
	if (find_magic(dev, &ps, &which, err) < 0)
		return DA_PROBE_ERROR;
	if (which < 0)
		return DA_PROBE_NOT_MINE;
	da_trace("swap on %s: %s at %u", dev->name,
		 which == 6 ? "TuxOnIce" : swap_magics[which].magic, ps - 10);
	return DA_PROBE_FOUND;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static struct da_node *swap_scan(struct da_device *dev, da_error *err)
{
	uint32_t ps;
	int which;
	if (find_magic(dev, &ps, &which, err) < 0)
		return NULL;
	if (which < 0) {
		da_error_set(err, EINVAL, "no swap signature");
		return NULL;
	}
	uint8_t *hdr = malloc(ps);
	struct swap_priv *p = calloc(1, sizeof(*p));
	if (!hdr || !p) {
		free(hdr);
		free(p);
		da_error_set(err, ENOMEM, "no memory");
		return NULL;
	}
	if (da_device_read(dev, hdr, ps, 0, err) < 0) {
		free(hdr);
		free(p);
		return NULL;
	}
	p->page_size = ps;
	struct da_node *n = da_node_new(DA_NODE_SWAP, &da_plugin_swap, dev);
	n->priv = p;
	struct da_value *v = n->props;
	da_obj_set_str(v, "fstype", "swap");
	da_obj_set_int(v, "page_size", ps);
	uint64_t dev_pages = dev->size / ps;
	char warn[200] = "";

	if (swap_magics[which].version == 0) {
		/* v0: the page is a bitmap of usable pages, bit 0 the header */
		da_obj_set_int(v, "version", 0);
		uint64_t cap = (uint64_t)(ps - 10) * 8;
		uint64_t pages = dev_pages < cap ? dev_pages : cap;
		p->area = pages * ps;
		da_obj_set_uint(v, "size", p->area);
		da_obj_set_uint(v, "pages", pages);
		snprintf(warn, sizeof(warn), "obsolete version 0 swap area");
		goto done;
	}
	if (swap_magics[which].version < 0) {
		da_obj_set_str(v, "hibernation",
			       which == 6 ? "TuxOnIce" : swap_magics[which].magic);
		snprintf(warn, sizeof(warn), "holds a hibernation image (%s)",
			 which == 6 ? "TuxOnIce" : swap_magics[which].magic);
	}
	/* the writer's byte order: version is 1 */
	bool be = le32(hdr + 1024) != 1 && be32(hdr + 1024) == 1;
#define U32(o) (be ? be32(hdr + (o)) : le32(hdr + (o)))
	uint32_t version = U32(1024);
	uint32_t last_page = U32(1028);
	uint32_t nr_bad = U32(1032);
	da_obj_set_int(v, "version", version);
	if (be)
		da_obj_set_str(v, "byte_order", "big_endian");
	if (version != 1 && !warn[0])
		snprintf(warn, sizeof(warn), "unknown header version %u",
			 version);
	static const uint8_t zero[16];
	if (memcmp(hdr + 1036, zero, 16)) {
		char u[40];
		da_uuid_str(hdr + 1036, u);
		da_obj_set_str(v, "uuid", u);
	}
	char label[17];
	memcpy(label, hdr + 1052, 16);
	label[16] = 0;
	if (label[0])
		da_obj_set_str(v, "label", label);

	uint64_t pages = (uint64_t)last_page + 1;
	if (last_page == 0 || pages > dev_pages) {
		if (!warn[0])
			snprintf(warn, sizeof(warn), "header says %llu pages, "
				 "the device holds %llu",
				 (unsigned long long)pages,
				 (unsigned long long)dev_pages);
		if (pages > dev_pages) {
			/* the exit-status rule for short images */
			da_obj_set_bool(v, "past_end", true);
			da_obj_set_uint(v, "claimed_size", pages * ps);
		}
		if (last_page == 0 || pages > dev_pages)
			pages = dev_pages;
	}
	p->area = pages * ps;
	da_obj_set_uint(v, "size", p->area);
	da_obj_set_uint(v, "pages", pages);

	/* the bad page list fills the page up to the magic */
	uint32_t max_bad = (ps - 10 - SWAP_BADPAGES_OFF) / 4;
	if (nr_bad > max_bad) {
		if (!warn[0])
			snprintf(warn, sizeof(warn), "%u bad pages, at most %u "
				 "fit in the header", nr_bad, max_bad);
		nr_bad = max_bad;
	}
	p->bad = calloc(nr_bad ? nr_bad : 1, sizeof(*p->bad));
	if (!p->bad) {
		da_node_free(n);
		free(hdr);
		da_error_set(err, ENOMEM, "no memory");
		return NULL;
	}
	struct da_value *list = da_arr_new();
	for (uint32_t i = 0; i < nr_bad; i++) {
		uint32_t b = U32(SWAP_BADPAGES_OFF + 4 * i);
		if (b == 0 || b >= pages) {
			if (!warn[0])
				snprintf(warn, sizeof(warn), "bad page %u "
					 "outside 1..%llu", b,
					 (unsigned long long)pages - 1);
			continue;
		}
		p->bad[p->nbad++] = b;
		da_arr_push(list, da_int_new(b));
	}
#undef U32
	da_sort(p->bad, p->nbad, sizeof(*p->bad), cmp_u32);
	da_obj_set_uint(v, "bad_pages", p->nbad);
	if (p->nbad)
		da_obj_set(v, "bad_page_list", list);
	else
		da_value_free(list);
	/* what swapon can use: the header and bad pages excluded (mkswap
	 * prints this as the size without bad pages) */
	da_obj_set_int(v, "usable_size",
		       (int64_t)((pages - 1 - p->nbad) * (uint64_t)ps));
done:
	free(hdr);
	if (warn[0])
		da_node_set_reason(n, "%s", warn);
	da_node_set_block_size(n, p->page_size);
	return n;
}

static bool page_bad(const struct swap_priv *p, uint64_t page)
{
	/* no bad pages (a version 0 area has no list): bsearch's base must
	 * not be NULL even for zero items */
	return p->nbad && page <= UINT32_MAX &&
	       bsearch(&(uint32_t){ (uint32_t)page }, p->bad, p->nbad,
		       sizeof(*p->bad), cmp_u32);
}

static int swap_describe_block(struct da_node *n, uint64_t off,
			       struct da_block_info *out)
{
	struct swap_priv *p = n->priv;
	out->block = (int64_t)(off / p->page_size);
	out->inode = -1;
	out->path[0] = 0;
	out->nlinks = 0;
	out->conflict = out->indexing = false;
	if (off >= n->dev->size)
		return -1;
	if (off >= p->area)
		out->role = "unused";
	else if (off < p->page_size)
		out->role = "header";
	else if (page_bad(p, off / p->page_size))
		out->role = "bad";
	else
		out->role = "swap_data";
	return 0;
}

static int swap_usage(struct da_node *n, uint64_t off, uint64_t len,
		      struct da_usage *out)
{
	struct swap_priv *p = n->priv;
	uint64_t end = da_usage_start(n, off, len, out);
	if (off >= end)
		return 0;
	da_usage_below(&out->metadata, &off, end, p->page_size);
	da_usage_below(&out->used, &off, end, p->area);
	if (off < end)
		out->free += end - off;
	return 0;
}

static int swap_range_roles(struct da_node *n, uint64_t off, uint64_t len,
			    struct da_role_bytes *out, int max)
{
	struct swap_priv *p = n->priv;
	uint64_t size = n->dev->size;
	if (!p || !p->page_size || len > size || off > size - len)
		return -1;
	struct da_roles w;
	da_roles_init(&w, n, off, len, out, max);
	uint64_t ps = p->page_size, area = p->area, end = off + len;
	uint64_t at = ps < area ? ps : area;
	da_roles_put(&w, 0, at, "header");
	/* the bad pages from the range's first page on, each once */
	size_t lo = 0, hi = p->nbad;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)p->bad[mid] * ps + ps <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < p->nbad && at < area && at < end; i++) {
		uint64_t b = (uint64_t)p->bad[i] * ps;
		if (b < at)
			continue;
		if (b >= area)
			break;
		uint64_t be = b + ps < area ? b + ps : area;
		da_roles_put(&w, at, b, "swap_data");
		da_roles_put(&w, b, be, "bad");
		at = be;
	}
	da_roles_put(&w, at, area, "swap_data");
	da_roles_put(&w, area > at ? area : at, size, "unused");
	return da_roles_done(&w);
}

static void swap_free(struct da_node *n)
{
	struct swap_priv *p = n->priv;
	if (!p)
		return;
	free(p->bad);
	free(p);
	n->priv = NULL;
}

const struct da_plugin da_plugin_swap = {
	.name = "swap",
	.layer = DA_LAYER_FS,
	.probe = swap_probe,
	.scan = swap_scan,
	.describe_block = swap_describe_block,
	.usage = swap_usage,
	.range_roles = swap_range_roles,
	.free = swap_free,
};
