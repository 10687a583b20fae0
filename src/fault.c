/* The fault-injecting device (fault.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "util.h"

#define MAX_RULES 64

struct fault_priv {
	struct da_device *parent;
	struct da_fault_rule rules[MAX_RULES];
	size_t nrules;
	da_read_log_fn log;
	void *log_arg;
	bool disk;                 /* stands for a disk: maps to nothing below */
	/* atomic: a background index build may read too */
	uint64_t reads, faults;
};

/* The first rule that [off, off+len) touches, or NULL. */
static const struct da_fault_rule *hit(const struct fault_priv *p,
				       uint64_t off, size_t len)
{
	const struct da_fault_rule *best = NULL;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct da_fault_rule *r = &p->rules[i];
		if (r->len == 0 || r->start >= off + len ||
		    off >= r->start + r->len)
			continue;
		if (!best || r->start < best->start)
			best = r;
	}
	return best;
}

static int fault_read(struct da_device *dev, void *buf, size_t len,
		      uint64_t off, da_error *err)
{
	struct fault_priv *p = dev->priv;
	__atomic_add_fetch(&p->reads, 1, __ATOMIC_RELAXED);
	if (p->log)
		p->log(p->log_arg, off, len);
	const struct da_fault_rule *r = hit(p, off, len);
	if (!r)
		return da_device_read(p->parent, buf, len, off, err);
	__atomic_add_fetch(&p->faults, 1, __ATOMIC_RELAXED);
	if (r->kind == DA_FAULT_SHORT) {
		uint64_t head = r->start > off ? r->start - off : 0;
		if (head && da_device_read(p->parent, buf, (size_t)head, off,
					   err) < 0)
			return -1;
		return da_error_set(err, EIO, "%s: short read at offset %llu "
				    "(injected)", dev->name,
				    (unsigned long long)(off + head));
	}
	return da_error_set(err, EIO, "%s: read error at offset %llu: "
			    "injected I/O error", dev->name,
			    (unsigned long long)(r->start > off ? r->start
								: off));
}

static int fault_map(struct da_device *dev, uint64_t off,
		     struct da_target *out, int max)
{
	struct fault_priv *p = dev->priv;
	if (p->disk)
		return 0;
	if (max > 0)
		out[0] = (struct da_target){ p->parent, off };
	return 1;
}

static uint64_t fault_contiguous(struct da_device *dev, uint64_t off)
{
	return dev->size - off;
}

static int fault_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct fault_priv *p = dev->priv;
	return da_device_extent(p->parent, off, run);
}

static void fault_close(struct da_device *dev)
{
	struct fault_priv *p = dev->priv;
	da_device_unref(p->parent);
	free(p);
}

static const struct da_device_ops fault_ops = {
	.read = fault_read,
	.map_block = fault_map,
	.contiguous = fault_contiguous,
	.extent = fault_extent,
	.close = fault_close,
};

struct da_device *da_fault_device_new(struct da_device *parent,
				      const struct da_fault_rule *rules,
				      size_t nrules, da_error *err)
{
	if (!parent || nrules > MAX_RULES || (nrules && !rules)) {
		da_error_set(err, EINVAL, "fault device: %zu rules (at most "
			     "%d)", nrules, MAX_RULES);
		return NULL;
	}
	struct fault_priv *p = da_xcalloc(1, sizeof(*p));
	p->parent = da_device_ref(parent);
	if (nrules)
		memcpy(p->rules, rules, nrules * sizeof(*rules));
	p->nrules = nrules;
	struct da_device *d = da_device_alloc(&fault_ops, parent->name,
					      parent->size, p);
	d->block_size = parent->block_size;
	return d;
}

void da_fault_device_log(struct da_device *dev, da_read_log_fn fn, void *arg)
{
	struct fault_priv *p = dev->priv;
	p->log = fn;
	p->log_arg = arg;
}

void da_fault_device_stats(const struct da_device *dev, uint64_t *reads,
			   uint64_t *faults)
{
	const struct fault_priv *p = dev->priv;
	*reads = __atomic_load_n(&p->reads, __ATOMIC_RELAXED);
	*faults = __atomic_load_n(&p->faults, __ATOMIC_RELAXED);
}

struct da_device *da_fault_device_from_env(struct da_device *dev)
{
	const char *s = getenv("DISKATLAS_TEST_FAULT");
	if (!dev || !s || !*s)
		return dev;
	struct da_fault_rule rules[MAX_RULES];
	size_t n = 0;
	while (*s) {
		char *end;
		errno = 0;
		/* strtoull takes "-1" as the largest number: refuse signs */
		if (*s < '0' || *s > '9')
			return dev;
		uint64_t start = strtoull(s, &end, 0);
		if (*end != '+' || errno || n == MAX_RULES)
			return dev;
		s = end + 1;
		if (*s < '0' || *s > '9')
			return dev;
		uint64_t len = strtoull(s, &end, 0);
		if ((*end && *end != ',') || errno || len == 0)
			return dev;
		if (len > UINT64_MAX - start)      /* to the end, no wrap */
			len = UINT64_MAX - start;
		rules[n++] = (struct da_fault_rule){ start, len, DA_FAULT_EIO };
		s = *end ? end + 1 : end;
	}
	da_error err = { 0 };
	struct da_device *f = da_fault_device_new(dev, rules, n, &err);
	if (!f)
		return dev;
	/* the machine's disk: owners are found on it, not on the file */
	((struct fault_priv *)f->priv)->disk = true;
	f->is_disk = dev->is_disk;
	da_device_unref(dev);      /* f holds its own */
	return f;
}
