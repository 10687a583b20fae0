/* md's RAID10 and RAID4/5/6 arrays as a device: where each array byte
 * lives (RAID10's copies over near, far, offset layouts and far sets;
 * RAID4/5/6 data through the parity rotation), and how a chunk whose
 * member is missing is read back: another copy, the XOR of its stripe,
 * or, for RAID6, a solve over P and Q in GF(2^8).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The kernel's layout numbers for RAID5/6 (md_p.h / raid5.h): which member
 * holds P and Q in stripe s, and which holds data chunk k of it. */
enum {
	ALG_LEFT_ASYM = 0, ALG_RIGHT_ASYM = 1, ALG_LEFT_SYM = 2,
	ALG_RIGHT_SYM = 3, ALG_PARITY_0 = 4, ALG_PARITY_N = 5,
	ALG_LEFT_ASYM_6 = 16, ALG_RIGHT_ASYM_6 = 17, ALG_LEFT_SYM_6 = 18,
	ALG_RIGHT_SYM_6 = 19, ALG_PARITY_0_6 = 20,
};

#define RAID_MAX_COPIES 256

/* RAID10's far_set_size as the kernel's setup_geo derives it from layout
 * bits 17-18: 0 the original layout (one set of all members), 1 the
 * "improved" layout of Linux 3.9 (n / far), 2 its fix (near * far); 0
 * for a layout the kernel refuses. */
static size_t far_set_size(uint32_t layout, size_t n)
{
	size_t near = layout & 0xff, far = (layout >> 8) & 0xff;
	switch (layout >> 17) {
	case 0: return n;
	case 1: return far ? n / far : 0;
	case 2: return near * far;
	default: return 0;
	}
}

bool da_raid_layout_ok(int level, uint32_t layout, size_t n)
{
	if (level == 10) {
		uint32_t near = layout & 0xff, far = (layout >> 8) & 0xff;
		/* bit 16: offset; bits 17-18: far sets; nothing above */
		return near >= 1 && far >= 1 && !(layout >> 19) &&
		       near * far <= n && near * far <= RAID_MAX_COPIES &&
		       n <= 1024 && far_set_size(layout, n) >= 1;
	}
	if (level == 4)
		return n >= 2 && n <= 1024;
	if (level == 5)
		return n >= 2 && n <= 1024 && layout <= ALG_PARITY_N;
	if (level == 6)
		return n >= 4 && n <= 1024 &&
		       (layout <= ALG_PARITY_N ||
			(layout >= ALG_LEFT_ASYM_6 && layout <= ALG_PARITY_0_6));
	return false;
}

/* P and Q members (q = -1 for RAID4/5) of stripe s, and the member of its
 * data chunk k (when k >= 0). */
static void parity_place(int level, uint32_t layout, size_t n, uint64_t s,
			 int64_t k, size_t *p, int64_t *q, size_t *dd)
{
	size_t nd = n - (level == 6 ? 2 : 1);
	size_t r = (size_t)(s % n), pd = 0, d = k >= 0 ? (size_t)k : 0;
	int64_t qd = -1;
	if (level == 4) {
		pd = nd;
	} else if (level == 5) {
		switch (layout) {
		case ALG_LEFT_ASYM: pd = nd - r; if (d >= pd) d++; break;
		case ALG_RIGHT_ASYM: pd = r; if (d >= pd) d++; break;
		case ALG_LEFT_SYM: pd = nd - r; d = (pd + 1 + d) % n; break;
		case ALG_RIGHT_SYM: pd = r; d = (pd + 1 + d) % n; break;
		case ALG_PARITY_0: pd = 0; d++; break;
		default: pd = nd; break;          /* parity_n */
		}
	} else if (layout >= ALG_LEFT_ASYM_6) {
		/* RAID5 over the first n-1 members, Q on the last */
		size_t r1 = (size_t)(s % (n - 1));
		qd = (int64_t)(n - 1);
		switch (layout) {
		case ALG_LEFT_ASYM_6: pd = nd - r1; if (d >= pd) d++; break;
		case ALG_RIGHT_ASYM_6: pd = r1; if (d >= pd) d++; break;
		case ALG_LEFT_SYM_6: pd = nd - r1; d = (pd + 1 + d) % (n - 1);
			break;
		case ALG_RIGHT_SYM_6: pd = r1; d = (pd + 1 + d) % (n - 1);
			break;
		default: pd = 0; d++; break;      /* parity_0_6 */
		}
	} else {
		switch (layout) {
		case ALG_LEFT_ASYM:
		case ALG_RIGHT_ASYM:
			pd = layout == ALG_LEFT_ASYM ? n - 1 - r : r;
			qd = (int64_t)pd + 1;
			if (pd == n - 1) {
				d++;              /* Q D D D P */
				qd = 0;
			} else if (d >= pd) {
				d += 2;           /* D D P Q D */
			}
			break;
		case ALG_LEFT_SYM:
		case ALG_RIGHT_SYM:
			pd = layout == ALG_LEFT_SYM ? n - 1 - r : r;
			qd = (int64_t)((pd + 1) % n);
			d = (pd + 2 + d) % n;
			break;
		case ALG_PARITY_0: pd = 0; qd = 1; d += 2; break;
		default: pd = nd; qd = (int64_t)nd + 1; break;
		}
	}
	*p = pd;
	*q = qd;
	*dd = d;
}

int da_raid_chunk_role(int level, uint32_t layout, size_t n, size_t member,
		       uint64_t stripe)
{
	if (level != 4 && level != 5 && level != 6)
		return 'D';
	size_t p, dd;
	int64_t q;
	parity_place(level, layout, n, stripe, -1, &p, &q, &dd);
	if (member == p)
		return 'P';
	if (q >= 0 && member == (size_t)q)
		return 'Q';
	return 'D';
}

struct raid_priv {
	int level;
	uint32_t layout;
	uint64_t chunk;
	size_t n;
	struct da_device **m;      /* NULL: missing */
	uint64_t *offs;
	/* RAID10 */
	size_t near, far;
	bool offset;
	uint64_t stride;           /* bytes between far copies */
	size_t set, last_start, last_size;   /* far sets */
	size_t missing;
	/* RAID4/5/6: what member i holds in a stripe of rotation phase r,
	 * as member_chunk answers, at inv[r * n + i] (NULL when the table
	 * would be large: member_chunk searches then) */
	int16_t *inv;
	/* RAID10: chunks a member holds, the array's chunks, and which base
	 * device's f-th far copy lands on member i, at unshift[f * n + i]
	 * (-1: none; NULL: searched) */
	uint64_t mchunks, achunks;
	int16_t *unshift;
};

/* Every copy of array byte off (RAID10: near * far of them; parity
 * levels: the one data chunk), present or not, with in *left the bytes to
 * the end of its chunk.  Returns how many were written. */
static int raid_where(const struct da_device *dev, uint64_t off,
		      size_t *mem, uint64_t *moff, int max, uint64_t *left)
{
	const struct raid_priv *p = dev->priv;
	uint64_t c = off / p->chunk, in = off % p->chunk;
	*left = p->chunk - in;
	if (*left > dev->size - off)
		*left = dev->size - off;
	if (p->level != 10) {
		size_t nd = p->n - (p->level == 6 ? 2 : 1);
		uint64_t stripe = c / nd;
		size_t pd, dd;
		int64_t qd;
		parity_place(p->level, p->layout, p->n, stripe,
			     (int64_t)(c % nd), &pd, &qd, &dd);
		if (max < 1)
			return 0;
		mem[0] = dd;
		moff[0] = stripe * p->chunk + in;
		return 1;
	}
	/* RAID10, as the kernel's __raid10_find_phys walks it */
	uint64_t first = c * p->near;
	size_t d = (size_t)(first % p->n);
	uint64_t stripe = first / p->n;
	if (p->offset)
		stripe *= p->far;
	uint64_t sec = stripe * p->chunk + in;
	int k = 0;
	for (size_t nc = 0; nc < p->near; nc++) {
		size_t dn = d;
		uint64_t s = sec;
		if (k < max) {
			mem[k] = dn;
			moff[k] = s;
		}
		k++;
		for (size_t f = 1; f < p->far; f++) {
			/* the next far copy: near members on, within the
			 * copy's far set (the last set takes the remainder) */
			size_t set = dn / p->set;
			dn += p->near;
			if (p->n % p->set && dn > p->last_start) {
				dn = (dn - p->last_start) % p->last_size +
				     p->last_start;
			} else {
				dn = dn % p->set + p->set * set;
			}
			s += p->stride;
			if (k < max) {
				mem[k] = dn;
				moff[k] = s;
			}
			k++;
		}
		if (++d >= p->n) {
			d = 0;
			sec += p->chunk;
		}
	}
	return k < max ? k : max;
}

/* GF(2^8) as md computes RAID6's Q (lib/raid6, H. Peter Anvin's "The
 * mathematics of RAID-6"): the polynomial x^8+x^4+x^3+x^2+1 (0x11d),
 * generator 2; Q = sum over data slots z of 2^z * D_z. */
static uint8_t gf_exp[510], gf_log[256];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static void gf_init(void)
{
	unsigned x = 1;
	for (int i = 0; i < 255; i++) {
		gf_exp[i] = gf_exp[i + 255] = (uint8_t)x;
		gf_log[x] = (uint8_t)i;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
}

/* row[x] = c * x */
static void gf_row(uint8_t c, uint8_t row[256])
{
	row[0] = 0;
	for (unsigned x = 1; x < 256; x++)
		row[x] = c ? gf_exp[gf_log[c] + gf_log[x]] : 0;
}

static uint8_t gf_inv(uint8_t c)          /* c != 0 */
{
	return gf_exp[(255 - gf_log[c]) % 255];
}

/* A data chunk whose member is missing, rebuilt from the rest of its
 * stripe: the XOR of the others and P when P is there (RAID4/5, RAID6
 * with one data chunk lost); else, for RAID6, from Q: with P also lost,
 * D_x = (Q + Q_x) / 2^x; with a second data chunk y lost, D_x = (Q + Q_xy
 * + 2^y (P + P_xy)) / (2^x + 2^y), where P_xy and Q_xy are P and Q of the
 * stripe's present data.  The slot z of a data member in Q is its place
 * counted from the member after Q (raid5.c: raid6_d0, raid6_idx_to_slot),
 * which is not the chunk's place in the array for the asymmetric
 * layouts. */
static int raid_rebuild(struct da_device *dev, uint8_t *buf, size_t len,
			uint64_t off, uint64_t moff, size_t lost,
			da_error *err)
{
	struct raid_priv *p = dev->priv;
	uint64_t stripe = moff / p->chunk;
	size_t pd, dd, other = SIZE_MAX;
	int64_t qd;
	parity_place(p->level, p->layout, p->n, stripe, -1, &pd, &qd, &dd);
	for (size_t i = 0; i < p->n; i++) {
		if (i == lost || i == pd || (qd >= 0 && i == (size_t)qd) ||
		    p->m[i])
			continue;
		if (other != SIZE_MAX)
			return da_error_set(err, ENXIO, "%s: offset %llu: three "
					    "members of its stripe are missing",
					    dev->name, (unsigned long long)off);
		other = i;
	}
	/* use_p: the XOR alone; use_q: a solve with Q (and P, when a
	 * second data chunk is lost) */
	bool use_p = p->m[pd] && other == SIZE_MAX;
	bool use_q = !use_p && qd >= 0 && p->m[qd] &&
		     (other == SIZE_MAX || p->m[pd]);
	bool read_p = use_p || (use_q && other != SIZE_MAX);
	if (!use_p && !use_q)
		return da_error_set(err, ENXIO, "%s: offset %llu: %s", dev->name,
				    (unsigned long long)off, qd < 0 ?
				    (p->m[pd] ? "two members of its stripe are "
				     "missing" : "its member and the parity "
				     "are both missing") :
				    "its member and two others of its stripe "
				    "(P or Q among them) are missing");
	if (use_q)
		pthread_once(&gf_once, gf_init);
	/* the data slots in Q's order, from the member after Q */
	size_t d0 = qd < 0 || (size_t)qd == p->n - 1 ? 0 : (size_t)qd + 1;
	size_t sx = 0, sy = 0;
	for (size_t k = 0, z = 0, i = d0; k < p->n; k++, i = (i + 1) % p->n) {
		if (i == pd || (qd >= 0 && i == (size_t)qd))
			continue;
		if (i == lost)
			sx = z;
		if (i == other)
			sy = z;
		z++;
	}
	uint8_t gx = use_q ? gf_exp[sx % 255] : 1;
	uint8_t gy = use_q && other != SIZE_MAX ? gf_exp[sy % 255] : 0;
	if (use_q && gx == gy)
		return da_error_set(err, ENXIO, "%s: offset %llu: two lost "
				    "chunks have one Q coefficient (over 257 "
				    "members): no solve", dev->name,
				    (unsigned long long)off);
	uint8_t tmp[4096], pacc[4096], qacc[4096];
	uint8_t row[256], rowy[256], rowa[256];
	if (use_q) {
		gf_row(gy, rowy);
		gf_row(gf_inv(gx ^ gy), rowa);
	}
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(tmp) ? len - done : sizeof(tmp);
		memset(pacc, 0, n);
		memset(qacc, 0, n);
		for (size_t k = 0, z = 0, i = d0; k < p->n;
		     k++, i = (i + 1) % p->n) {
			bool is_p = i == pd, is_q = qd >= 0 && i == (size_t)qd;
			size_t slot = z;
			z += !is_p && !is_q;
			if (!p->m[i] || (is_p && !read_p) || (is_q && !use_q))
				continue;
			if (da_device_read(p->m[i], tmp, n,
					   p->offs[i] + moff + done, err) < 0)
				return -1;
			if (is_q) {
				for (size_t j = 0; j < n; j++)
					qacc[j] ^= tmp[j];
				continue;
			}
			for (size_t j = 0; j < n; j++)
				pacc[j] ^= tmp[j];
			if (use_q && !is_p) {
				gf_row(gf_exp[slot % 255], row);
				for (size_t j = 0; j < n; j++)
					qacc[j] ^= row[tmp[j]];
			}
		}
		uint8_t *out = buf + done;
		if (use_p)
			memcpy(out, pacc, n);
		else          /* gy = 0 when only P is lost: D_x = Q' / g^x */
			for (size_t j = 0; j < n; j++)
				out[j] = rowa[qacc[j] ^ rowy[pacc[j]]];
		done += n;
	}
	return 0;
}

static int raid_read(struct da_device *dev, void *buf, size_t len,
		     uint64_t off, da_error *err)
{
	struct raid_priv *p = dev->priv;
	uint8_t *b = buf;
	while (len > 0) {
		size_t mem[RAID_MAX_COPIES];
		uint64_t moff[RAID_MAX_COPIES], left;
		int k = raid_where(dev, off, mem, moff, RAID_MAX_COPIES, &left);
		size_t n = left < len ? (size_t)left : len;
		int done = -1;
		for (int i = 0; i < k && done < 0; i++) {
			if (!p->m[mem[i]])
				continue;
			done = da_device_read(p->m[mem[i]], b, n,
					      p->offs[mem[i]] + moff[i], err);
		}
		if (done < 0 && k > 0 && p->level != 10 && !p->m[mem[0]])
			done = raid_rebuild(dev, b, n, off, moff[0], mem[0], err);
		if (done < 0) {
			if (k > 0 && p->level == 10) {
				bool any = false;
				for (int i = 0; i < k; i++)
					any |= p->m[mem[i]] != NULL;
				if (!any)
					da_error_set(err, ENXIO, "%s: offset "
						     "%llu: every copy is on a "
						     "missing member", dev->name,
						     (unsigned long long)off);
			}
			return -1;
		}
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int raid_map(struct da_device *dev, uint64_t off,
		    struct da_target *out, int max)
{
	struct raid_priv *p = dev->priv;
	size_t mem[RAID_MAX_COPIES];
	uint64_t moff[RAID_MAX_COPIES], left;
	int k = raid_where(dev, off, mem, moff, RAID_MAX_COPIES, &left);
	int n = 0;
	for (int i = 0; i < k; i++) {
		if (!p->m[mem[i]])
			continue;
		if (n < max)
			out[n] = (struct da_target){ p->m[mem[i]],
						     p->offs[mem[i]] + moff[i] };
		n++;
	}
	return n;
}

static uint64_t raid_contiguous(struct da_device *dev, uint64_t off)
{
	size_t mem[1];
	uint64_t moff[1], left;
	raid_where(dev, off, mem, moff, 1, &left);
	return left;
}

static int raid_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct raid_priv *p = dev->priv;
	size_t mem[RAID_MAX_COPIES];
	uint64_t moff[RAID_MAX_COPIES], left;
	int k = raid_where(dev, off, mem, moff, RAID_MAX_COPIES, &left);
	for (int i = 0; i < k; i++) {
		if (!p->m[mem[i]])
			continue;
		int r = da_device_extent(p->m[mem[i]],
					 p->offs[mem[i]] + moff[i], run);
		if (r < 0 || *run == 0 || *run > left)
			*run = left;
		return r < 0 ? 1 : r;
	}
	*run = left;
	return 1;              /* rebuilt from the others: data */
}

static void raid_close(struct da_device *dev)
{
	struct raid_priv *p = dev->priv;
	for (size_t i = 0; i < p->n; i++)
		da_device_unref(p->m[i]);
	free(p->m);
	free(p->offs);
	free(p->inv);
	free(p->unshift);
	free(p);
}

/* RAID4/5/6 as a striped space for the ownership index: member i's area
 * is one chunk a stripe, its data chunk or its parity. */
static uint64_t parity_rows(const struct da_device *dev)
{
	const struct raid_priv *p = dev->priv;
	size_t nd = p->n - (p->level == 6 ? 2 : 1);
	return dev->size / p->chunk / nd;
}

/* Member i's area: RAID10's whole data area (its copies), a parity
 * level's chunk a stripe. */
static int raid_member(struct da_device *dev, size_t i, struct da_target *at,
		       uint64_t *len)
{
	const struct raid_priv *p = dev->priv;
	if (i >= p->n)
		return -1;
	if (!p->m[i])
		return 0;
	*at = (struct da_target){ p->m[i], p->offs[i] };
	*len = (p->level == 10 ? p->mchunks : parity_rows(dev)) * p->chunk;
	return *len > 0;
}

/* Which chunk of stripe s member i holds: the data chunk number, or -1
 * for P and -2 for Q (a search over the stripe's data chunks: at most
 * 1,022 steps, once a piece). */
static int64_t member_chunk(const struct raid_priv *p, size_t i, uint64_t s)
{
	size_t nd = p->n - (p->level == 6 ? 2 : 1), pd, dd;
	int64_t qd;
	parity_place(p->level, p->layout, p->n, s, -1, &pd, &qd, &dd);
	if (i == pd)
		return -1;
	if (qd >= 0 && i == (size_t)qd)
		return -2;
	for (size_t k = 0; k < nd; k++) {
		parity_place(p->level, p->layout, p->n, s, (int64_t)k, &pd,
			     &qd, &dd);
		if (dd == i)
			return (int64_t)k;
	}
	return -1;
}

static size_t rotation(const struct raid_priv *p);

/* member_chunk from the table, made once (lookups and map cells ask it
 * for every chunk they cross) */
static int64_t member_chunk_fast(const struct raid_priv *p, size_t i,
				 uint64_t s)
{
	return p->inv ? p->inv[(s % rotation(p)) * p->n + i]
		      : member_chunk(p, i, s);
}

static void make_inv(struct raid_priv *p)
{
	size_t per = rotation(p);
	/* at most 1,024 x 1,024 entries (2 MiB): without the table a map
	 * cell of a 1,024-member array would search a stripe a chunk */
	if (per * p->n > (1u << 20))
		return;
	p->inv = malloc(per * p->n * sizeof(*p->inv));
	if (!p->inv)
		return;
	/* each phase's data chunks placed, and its P and Q: one
	 * parity_place a chunk, not a search a member */
	size_t nd = p->n - (p->level == 6 ? 2 : 1);
	for (size_t r = 0; r < per; r++) {
		int16_t *row = p->inv + r * p->n;
		size_t pd, dd;
		int64_t qd;
		for (size_t i = 0; i < p->n; i++)
			row[i] = -1;
		for (size_t k = 0; k < nd; k++) {
			parity_place(p->level, p->layout, p->n, r, (int64_t)k,
				     &pd, &qd, &dd);
			if (dd < p->n)
				row[dd] = (int16_t)k;
		}
		parity_place(p->level, p->layout, p->n, r, -1, &pd, &qd, &dd);
		if (pd < p->n)
			row[pd] = -1;
		if (qd >= 0 && (size_t)qd < p->n)
			row[qd] = -2;
	}
}

/* The parity rotation repeats every this many stripes: parity_place looks
 * only at s % n, or s % (n - 1) for RAID6's "-6" layouts. */
static size_t rotation(const struct raid_priv *p)
{
	return p->level == 6 && p->layout >= ALG_LEFT_ASYM_6 ? p->n - 1 : p->n;
}

/* Stripes in [s0, s1) where member i holds data. */
static uint64_t data_rows(const struct raid_priv *p, size_t i, uint64_t s0,
			  uint64_t s1)
{
	if (s1 <= s0)
		return 0;
	size_t per = rotation(p);
	uint64_t rows = s1 - s0, cycle = 0, k = 0;
	for (size_t r = 0; r < per; r++) {
		bool data = member_chunk_fast(p, i, s0 + r) >= 0;
		cycle += data;
		if (r < rows % per)
			k += data;
	}
	return rows / per * cycle + k;
}

static int raid_unmap(struct da_device *dev, size_t i, uint64_t off,
		      uint64_t len, struct da_unmapped *u)
{
	const struct raid_priv *p = dev->priv;
	uint64_t area = parity_rows(dev) * p->chunk;
	if (i >= p->n || off < p->offs[i] || off - p->offs[i] >= area)
		return -1;
	size_t nd = p->n - (p->level == 6 ? 2 : 1);
	uint64_t rel = off - p->offs[i], s = rel / p->chunk, in = rel % p->chunk;
	int64_t k = member_chunk_fast(p, i, s);
	u->what = k >= 0 ? 'D' : k == -1 ? 'P' : 'Q';
	u->off = k >= 0 ? (s * nd + (uint64_t)k) * p->chunk + in : 0;
	u->run = p->chunk - in;
	u->row_start = s * nd * p->chunk;         /* inside the array */
	u->row_end = u->row_start + nd * p->chunk;
	u->period = rotation(p) * nd * p->chunk;  /* n * chunk: no overflow */
	if (u->period > dev->size)
		u->period = 0;
	uint64_t end = len < area - rel ? rel + len : area;
	uint64_t s1 = (end - 1) / p->chunk;       /* the last stripe */
	if (s1 == s) {
		u->data = k >= 0 ? end - rel : 0;
		return 0;
	}
	u->data = k >= 0 ? p->chunk - in : 0;
	if (member_chunk_fast(p, i, s1) >= 0)
		u->data += end - s1 * p->chunk;
	u->data += data_rows(p, i, s + 1, s1) * p->chunk;
	return 0;
}

/* ---- RAID10 as a striped space: member i's chunk holds one copy of one
 * array chunk; the inverse of raid_where, checked against it ---- */

/* The device of the next far copy after device dn (raid_where's step). */
static size_t far_shift(const struct raid_priv *p, size_t dn)
{
	size_t set = dn / p->set;
	dn += p->near;
	if (p->n % p->set && dn > p->last_start)
		return (dn - p->last_start) % p->last_size + p->last_start;
	return dn % p->set + p->set * set;
}

static void make_unshift(struct raid_priv *p)
{
	/* far <= 256 and n <= 1,024: at most 512 KiB */
	if (p->far * p->n > (1u << 18))
		return;
	p->unshift = malloc(p->far * p->n * sizeof(*p->unshift));
	if (!p->unshift)
		return;
	memset(p->unshift, 0xff, p->far * p->n * sizeof(*p->unshift));
	for (size_t b = 0; b < p->n; b++) {
		size_t d = b;
		for (size_t f = 0; f < p->far; f++) {
			if (f)
				d = far_shift(p, d);
			p->unshift[f * p->n + d] = (int16_t)b;
		}
	}
}

/* The base device whose f-th far copy is member i, or -1. */
static int64_t base_of(const struct raid_priv *p, size_t f, size_t i)
{
	if (p->unshift)
		return p->unshift[f * p->n + i];
	for (size_t b = 0; b < p->n; b++) {
		size_t d = b;
		for (size_t k = 0; k < f; k++)
			d = far_shift(p, d);
		if (d == i)
			return (int64_t)b;
	}
	return -1;
}

/* How many base rows of far section f of member i hold a copy. */
static uint64_t used_rows(const struct raid_priv *p, size_t f, size_t i)
{
	int64_t b = base_of(p, f, i);
	uint64_t pos = p->achunks * p->near;    /* positions in use */
	if (b < 0 || pos <= (uint64_t)b)
		return 0;
	return (pos - (uint64_t)b + p->n - 1) / p->n;
}

/* Bytes of [0, x) of member i's area that hold a copy. */
static uint64_t r10_used_below(const struct raid_priv *p, size_t i,
			       uint64_t x)
{
	uint64_t sum = 0;
	for (size_t f = 0; f < p->far; f++) {
		uint64_t rows = used_rows(p, f, i);
		if (!p->offset) {
			uint64_t s = f * p->stride, e = s + rows * p->chunk;
			if (e > s + p->stride)
				e = s + p->stride;
			if (x > s)
				sum += (x < e ? x : e) - s;
			continue;
		}
		/* offset: row r0 * far + f; whole rows below x, then a part */
		uint64_t xr = x / p->chunk, part = x % p->chunk;
		uint64_t below = xr > f ? (xr - f + p->far - 1) / p->far : 0;
		sum += (below < rows ? below : rows) * p->chunk;
		if (part && xr % p->far == f && xr / p->far < rows)
			sum += part;
	}
	return sum;
}

static int raid10_unmap(struct da_device *dev, size_t i, uint64_t off,
			uint64_t len, struct da_unmapped *u)
{
	const struct raid_priv *p = dev->priv;
	uint64_t area = p->mchunks * p->chunk;
	if (i >= p->n || off < p->offs[i] || off - p->offs[i] >= area)
		return -1;
	uint64_t rel = off - p->offs[i], r = rel / p->chunk, in = rel % p->chunk;
	uint64_t f, r0;
	if (p->offset) {
		f = r % p->far;
		r0 = r / p->far;
	} else {
		f = p->stride ? rel / p->stride : 0;
		r0 = (rel - f * p->stride) / p->chunk;
	}
	int64_t b = f < p->far ? base_of(p, (size_t)f, i) : -1;
	if (b < 0)
		return -1;
	uint64_t c = (r0 * p->n + (uint64_t)b) / p->near;
	if (c >= p->achunks)
		return -1;
	/* the forward map must agree (a copy of chunk c lies here) */
	size_t mem[RAID_MAX_COPIES];
	uint64_t moff[RAID_MAX_COPIES], left;
	int k = raid_where(dev, c * p->chunk + in, mem, moff, RAID_MAX_COPIES,
			   &left);
	bool found = false;
	for (int j = 0; j < k && !found; j++)
		found = mem[j] == i && moff[j] == rel;
	if (!found)
		return -1;
	u->what = 'D';
	u->off = c * p->chunk + in;
	u->run = p->chunk - in;
	u->row_start = r0 * p->n / p->near * p->chunk;
	u->row_end = ((r0 + 1) * p->n + p->near - 1) / p->near * p->chunk;
	if (u->row_end > dev->size)
		u->row_end = dev->size;
	uint64_t end = len < area - rel ? rel + len : area;
	u->data = r10_used_below(p, i, end) - r10_used_below(p, i, rel);
	u->period = p->n * p->chunk <= dev->size ? p->n * p->chunk : 0;
	return 0;
}

static int raid_unmap_any(struct da_device *dev, size_t i, uint64_t off,
			  uint64_t len, struct da_unmapped *u)
{
	const struct raid_priv *p = dev->priv;
	return p->level == 10 ? raid10_unmap(dev, i, off, len, u)
			      : raid_unmap(dev, i, off, len, u);
}

static const struct da_device_ops raid_ops = {
	.read = raid_read,
	.map_block = raid_map,
	.contiguous = raid_contiguous,
	.extent = raid_extent,
	.close = raid_close,
	.member = raid_member,
	.unmap = raid_unmap_any,
};

struct da_device *da_raid_device_new(const char *name,
				     const struct da_raid_geom *g,
				     struct da_device *const *members,
				     const uint64_t *member_off,
				     uint64_t *size_out, da_error *err)
{
	if (!g || !members || g->chunk == 0 || g->chunk > (1ull << 32) ||
	    g->dev_size < g->chunk || !da_raid_layout_ok(g->level, g->layout,
							 g->n)) {
		da_error_set(err, EINVAL, "%s: unsupported raid geometry "
			     "(level %d, layout %u, %zu members, chunk %llu)",
			     name, g ? g->level : -1, g ? g->layout : 0,
			     g ? g->n : 0,
			     g ? (unsigned long long)g->chunk : 0ull);
		return NULL;
	}
	struct raid_priv *p = da_xcalloc(1, sizeof(*p));
	p->level = g->level;
	p->layout = g->layout;
	p->chunk = g->chunk;
	p->n = g->n;
	uint64_t chunks = g->dev_size / g->chunk;     /* per member */
	uint64_t size;
	if (g->level == 10) {
		p->near = g->layout & 0xff;
		p->far = (g->layout >> 8) & 0xff;
		p->offset = (g->layout >> 16) & 1;
		p->set = far_set_size(g->layout, g->n);
		p->last_start = (g->n / p->set - 1) * p->set;
		p->last_size = p->set + g->n % p->set;
		/* the array size and the far stride as the kernel's
		 * raid10_size and setup_conf compute them */
		uint64_t ac = chunks / p->far * p->n / p->near;
		uint64_t used = (ac * p->near * p->far + p->n - 1) / p->n;
		p->stride = p->offset ? g->chunk : used / p->far * g->chunk;
		p->mchunks = chunks;
		p->achunks = ac;
		if (!mul_ok(ac, g->chunk, &size))
			size = 0;
	} else {
		size_t nd = g->n - (g->level == 6 ? 2 : 1);
		if (!mul_ok(chunks, nd, &size) || !mul_ok(size, g->chunk, &size))
			size = 0;
	}
	if (size == 0) {
		free(p);
		da_error_set(err, EINVAL, "%s: an array of 0 bytes, or past "
			     "2^64", name);
		return NULL;
	}
	for (size_t i = 0; i < g->n; i++) {
		uint64_t off = member_off ? member_off[i] : 0;
		if (members[i] && !range_ok(off, chunks * g->chunk,
					    members[i]->size)) {
			free(p);
			da_error_set(err, EINVAL, "%s: member %zu (%llu bytes "
				     "at %llu) does not fit in %s", name, i,
				     (unsigned long long)(chunks * g->chunk),
				     (unsigned long long)off, members[i]->name);
			return NULL;
		}
	}
	p->m = da_xcalloc(g->n, sizeof(*p->m));
	p->offs = da_xcalloc(g->n, sizeof(*p->offs));
	for (size_t i = 0; i < g->n; i++) {
		p->m[i] = da_device_ref(members[i]);
		p->offs[i] = member_off ? member_off[i] : 0;
		p->missing += !members[i];
	}
	if (g->level != 10)
		make_inv(p);
	else
		make_unshift(p);
	if (size_out)
		*size_out = size;
	return da_device_alloc(&raid_ops, name, size, p);
}

int da_raid_parity(struct da_device *dev, uint64_t off, struct da_target *out,
		   char *which, int max)
{
	if (!dev || dev->ops != &raid_ops || off >= dev->size)
		return 0;
	const struct raid_priv *p = dev->priv;
	if (p->level == 10)
		return 0;
	size_t nd = p->n - (p->level == 6 ? 2 : 1);
	uint64_t stripe = off / p->chunk / nd, in = off % p->chunk;
	size_t pd, dd;
	int64_t qd;
	parity_place(p->level, p->layout, p->n, stripe, -1, &pd, &qd, &dd);
	int k = 0;
	size_t at[2] = { pd, qd >= 0 ? (size_t)qd : 0 };
	for (int i = 0; i < (qd >= 0 ? 2 : 1); i++) {
		if (!p->m[at[i]] || k >= max)
			continue;
		out[k] = (struct da_target){ p->m[at[i]], p->offs[at[i]] +
					     stripe * p->chunk + in };
		which[k++] = i ? 'Q' : 'P';
	}
	return k;
}

int da_raid_parity_on_disks(const struct da_machine *m, struct da_device *dev,
			    uint64_t off, struct da_location *out, char *which,
			    int max)
{
	struct da_target t[2];
	char wh[2];
	int n = da_raid_parity(dev, off, t, wh, 2), k = 0;
	for (int i = 0; i < n && k < max; i++) {
		struct da_device *d = t[i].dev;
		uint64_t o = t[i].offset;
		/* a member may be a partition or an LV: go down to a disk */
		for (int level = 0; level < 32 && d && !d->is_disk; level++) {
			struct da_target below;
			if (da_device_map_block(d, o, &below, 1) <= 0) {
				d = NULL;
				break;
			}
			d = below.dev;
			o = below.offset;
		}
		for (size_t j = 0; d && d->is_disk && j < m->ndisks; j++) {
			if (m->disks[j].dev != d)
				continue;
			out[k] = (struct da_location){ j, o };
			which[k++] = wh[i];
			break;
		}
	}
	return k;
}
