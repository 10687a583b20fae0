/* LUKS1 and LUKS2 encrypted volumes: headers, key slots, the payload.
 *
 * On disk (big endian; cryptsetup's docs/on-disk-format.pdf for LUKS1 and
 * docs/on-disk-format-luks2.pdf for LUKS2):
 *  - LUKS1: a 592-byte header ("LUKS\xba\xbe", version 1, cipher name
 *    and mode, hash, payload offset in sectors, key bytes, the master key
 *    digest, UUID) with 8 key slots (state, PBKDF2 iterations and salt,
 *    key material offset in sectors, anti-forensic stripes); each active
 *    slot's area holds key bytes x stripes of split, encrypted key.
 *  - LUKS2: two copies of a 4 KiB binary header ("LUKS\xba\xbe" at 0,
 *    "SKUL\xba\xbe" at hdr_size), each followed by a JSON area (the rest
 *    of hdr_size; luks2_json.c) and checked by a checksum over both; then
 *    the keyslots area, whose pieces the JSON assigns to key slots; the
 *    data segments where the JSON says.
 *
 * scan gives the regions (luks_header, luks_json, keyslot,
 * keyslot_unused, padding, encrypted: the names of the role vocabulary),
 * the key slots as children without a
 * device, and the cipher, sector size and UUID; assemble unlocks with a
 * key the user gave (luks_unlock.c) and adds the decrypted payload as a
 * volume.  A detached header, a reencryption in progress and OPAL are
 * named, never guessed at: their data stays locked.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks.h"
#include "luks_libs.h"

static const uint8_t magic1[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
static const uint8_t magic2[6] = { 'S', 'K', 'U', 'L', 0xba, 0xbe };

/* Where cryptsetup looks for a LUKS2 copy: the sizes a header may have. */
static const uint64_t hdr_offsets[] = {
	0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000,
	0x200000, 0x400000,
};

/* A fixed-size text field from the header, cut at its NUL and made
 * printable (JSON and text writers escape what remains). */
static void field(char *out, size_t outlen, const uint8_t *p, size_t len)
{
	size_t n = strnlen((const char *)p, len);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static const char *luks2_copy(struct da_device *dev, uint64_t off,
			      const uint8_t *magic, uint8_t **hdr,
			      uint64_t *hdr_size, uint64_t *seqid);

static enum da_probe luks_probe(struct da_device *dev, da_error *err)
{
	uint8_t b[8];
	if (dev->size < 4096)
		return DA_PROBE_NOT_MINE;
	if (dev_read(dev, b, sizeof(b), 0, err) < 0)
		return DA_PROBE_ERROR;
	if (!memcmp(b, magic1, 6) && (be16(b + 6) == 1 || be16(b + 6) == 2))
		return DA_PROBE_FOUND;
	/* the primary LUKS2 header damaged: its second copy still names it,
	 * if its checksum says it is one (not stale bytes under a new
	 * filesystem) */
	for (size_t i = 0; i < sizeof(hdr_offsets) / sizeof(hdr_offsets[0]);
	     i++) {
		if (!range_ok(hdr_offsets[i], 4096, dev->size))
			break;
		uint8_t *h = NULL;
		uint64_t hs, seq;
		if (dev_read(dev, b, sizeof(b), hdr_offsets[i], NULL) == 0 &&
		    !memcmp(b, magic2, 6) && be16(b + 6) == 2 &&
		    !luks2_copy(dev, hdr_offsets[i], magic2, &h, &hs, &seq)) {
			free(h);
			return DA_PROBE_FOUND;
		}
	}
	return DA_PROBE_NOT_MINE;
}

/* ---- LUKS1 ---- */

static bool luks1_parse(struct da_device *dev, const uint8_t *h,
			struct luks_meta *m)
{
	char name[33], mode[33];
	m->version = 1;
	field(name, sizeof(name), h + 8, 32);
	field(mode, sizeof(mode), h + 40, 32);
	snprintf(m->cipher, sizeof(m->cipher), "%s-%s", name, mode);
	field(m->hash, sizeof(m->hash), h + 72, 32);
	field(m->uuid, sizeof(m->uuid), h + 168, 40);
	m->key_bytes = be32(h + 108);
	m->sector_size = LUKS_SECTOR;
	m->payload = (uint64_t)be32(h + 104) * LUKS_SECTOR;
	if (m->key_bytes == 0 || m->key_bytes > LUKS_MAX_KEY)
		snprintf(m->problem, sizeof(m->problem), "key size of %u "
			 "bytes", m->key_bytes);
	m->ndigests = 1;
	m->digests[0] = (struct luks_digest){ .id = 0, .type = "pbkdf2",
		.iterations = be32(h + 164), .bytes = 20, .slots = 0xff,
		.segs = 1 };
	snprintf(m->digests[0].hash, sizeof(m->digests[0].hash), "%s",
		 m->hash);
	for (int i = 0; i < LUKS1_SLOTS; i++) {
		const uint8_t *k = h + 208 + 48 * i;
		struct luks_slot *s = &m->slots[m->nslots++];
		uint32_t state = be32(k);
		s->id = i;
		snprintf(s->type, sizeof(s->type), "luks1");
		s->active = state == LUKS1_ACTIVE;
		s->digest = s->active ? 0 : -1;
		s->iterations = be32(k + 4);
		s->stripes = be32(k + 44);
		s->key_size = s->area_key_size = m->key_bytes;
		snprintf(s->kdf, sizeof(s->kdf), "pbkdf2");
		snprintf(s->hash, sizeof(s->hash), "%s", m->hash);
		snprintf(s->cipher, sizeof(s->cipher), "%s", m->cipher);
		s->priority = 1;
		uint64_t bytes;
		s->off = (uint64_t)be32(k + 40) * LUKS_SECTOR;
		if (state != LUKS1_ACTIVE && state != LUKS1_DISABLED &&
		    !m->problem[0])
			snprintf(m->problem, sizeof(m->problem), "key slot %d: "
				 "state 0x%08x is neither active nor disabled",
				 i, state);
		/* the split key, in whole sectors, as LUKS1 lays it out */
		if (s->stripes == 0 || s->stripes > 1u << 20 ||
		    !mul_ok(m->key_bytes, s->stripes, &bytes)) {
			if (s->active && !m->problem[0])
				snprintf(m->problem, sizeof(m->problem),
					 "key slot %d: %u stripes", i,
					 s->stripes);
			continue;
		}
		s->size = (bytes + LUKS_SECTOR - 1) / LUKS_SECTOR * LUKS_SECTOR;
		s->area_ok = s->off >= LUKS1_HDR_SIZE &&
			     range_ok(s->off, s->size, dev->size);
		if (!s->area_ok && !m->problem[0])
			snprintf(m->problem, sizeof(m->problem), "key slot %d: "
				 "area %llu+%llu lies outside the device", i,
				 (unsigned long long)s->off,
				 (unsigned long long)s->size);
	}
	m->nsegs = 1;
	m->segs[0] = (struct luks_seg){ .id = 0, .type = "crypt",
		.off = m->payload, .dynamic = true,
		.sector_size = LUKS_SECTOR };
	snprintf(m->segs[0].cipher, sizeof(m->segs[0].cipher), "%s",
		 m->cipher);
	return true;
}

/* ---- LUKS2 ---- */

/* One binary header copy at off: its hdr_size and seqid when its magic,
 * version and checksum are right; else why not. */
static const char *luks2_copy(struct da_device *dev, uint64_t off,
			      const uint8_t *magic, uint8_t **hdr,
			      uint64_t *hdr_size, uint64_t *seqid)
{
	uint8_t b[LUKS2_BIN_SIZE];
	*hdr = NULL;
	if (!range_ok(off, sizeof(b), dev->size) ||
	    dev_read(dev, b, sizeof(b), off, NULL) < 0)
		return "cannot be read";
	if (memcmp(b, magic, 6) || be16(b + 6) != 2)
		return "has no LUKS2 magic";
	uint64_t hs = be64(b + 8);
	if (hs < 0x4000 || hs > LUKS2_MAX_HDR || (hs & (hs - 1)))
		return "has an impossible header size";
	if (be64(b + 256) != off)
		return "says it lies elsewhere (hdr_offset)";
	if (!range_ok(off, hs, dev->size))
		return "runs past the end of the device";
	uint8_t *h = malloc(hs);
	if (!h)
		return "out of memory";
	if (dev_read(dev, h, hs, off, NULL) < 0) {
		free(h);
		return "cannot be read";
	}
	/* without libcrypto the checksum goes unchecked (luks2_parse
	 * says so) */
	const struct da_dl_crypto *C = da_dl_crypto(NULL);
	char alg[33];
	field(alg, sizeof(alg), h + 72, 32);
	const EVP_MD *md = C ? C->EVP_get_digestbyname(alg) : NULL;
	unsigned char want[64], got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	memcpy(want, h + 448, 64);
	memset(h + 448, 0, 64);
	if (C && (!md || C->EVP_MD_get_size(md) > 64 ||
		  !C->EVP_Digest(h, hs, got, &glen, md, NULL))) {
		free(h);
		return "has an unknown checksum algorithm";
	}
	memcpy(h + 448, want, 64);
	if (C && memcmp(want, got, glen)) {
		free(h);
		return "has a wrong checksum";
	}
	*hdr = h;
	*hdr_size = hs;
	*seqid = be64(b + 16);
	return NULL;
}

/* Both copies: the newest whose checksum and JSON are right wins; the
 * other's trouble becomes a warning. */
static bool luks2_parse(struct da_device *dev, struct luks_meta *m,
			struct da_node *n)
{
	uint8_t *h[2] = { NULL, NULL };
	uint64_t hs[2] = { 0, 0 }, seq[2] = { 0, 0 };
	const char *why[2], *need = NULL;
	if (!da_dl_crypto(&need))
		da_warn(n, "LUKS2 header checksums not checked: %s", need);
	why[0] = luks2_copy(dev, 0, magic1, &h[0], &hs[0], &seq[0]);
	if (h[0]) {
		why[1] = luks2_copy(dev, hs[0], magic2, &h[1], &hs[1], &seq[1]);
	} else {
		why[1] = "not found";
		for (size_t i = 0;
		     i < sizeof(hdr_offsets) / sizeof(hdr_offsets[0]); i++) {
			const char *w = luks2_copy(dev, hdr_offsets[i], magic2,
						   &h[1], &hs[1], &seq[1]);
			if (h[1] || strcmp(w, "has no LUKS2 magic"))
				why[1] = w;
			if (h[1])
				break;
		}
	}
	if (h[0] && h[1] && (hs[0] != hs[1] || seq[0] != seq[1]))
		da_warn(n, "LUKS2 header copies differ (seqid %llu and %llu)",
			(unsigned long long)seq[0], (unsigned long long)seq[1]);
	int order[2] = { 0, 1 };
	if (h[1] && (!h[0] || seq[1] > seq[0])) {
		order[0] = 1;
		order[1] = 0;
	}
	bool ok = false;
	char bad[2][210] = { "", "" };
	for (int k = 0; k < 2 && !ok; k++) {
		int i = order[k];
		if (!h[i]) {
			snprintf(bad[i], sizeof(bad[i]), "%s", why[i]);
			continue;
		}
		struct luks_meta t = *m;
		t.version = 2;
		t.hdr_size = hs[i];
		t.seqid = seq[i];
		field(t.label, sizeof(t.label), h[i] + 24, 48);
		field(t.uuid, sizeof(t.uuid), h[i] + 168, 40);
		field(t.subsystem, sizeof(t.subsystem), h[i] + 208, 48);
		ok = luks2_parse_json((const char *)h[i] + LUKS2_BIN_SIZE,
				      hs[i] - LUKS2_BIN_SIZE, dev->size, &t);
		if (ok) {
			*m = t;
			break;
		}
		snprintf(bad[i], sizeof(bad[i]), "JSON: %.190s",
			 t.problem[0] ? t.problem : "unusable");
		if (!m->version) {
			/* keep what the binary header says */
			*m = t;
			m->nslots = m->nsegs = m->ndigests = 0;
			m->key_bytes = 0;
			m->cipher[0] = '\0';
		}
	}
	if (ok && order[0] == 1 && !h[0])
		da_warn(n, "primary LUKS2 header %s: the secondary copy is used",
			why[0]);
	else if (ok && bad[order[0]][0])
		da_warn(n, "%s LUKS2 header %s: the %s copy is used",
			order[0] ? "secondary" : "primary", bad[order[0]],
			order[0] ? "primary" : "secondary");
	else if (ok && !h[1])
		da_warn(n, "secondary LUKS2 header %s", why[1]);
	if (!ok) {
		m->version = 2;
		if (h[0] || h[1]) {
			const char *b = bad[h[0] ? 0 : 1];
			snprintf(m->problem, sizeof(m->problem), "%s",
				 strncmp(b, "JSON: ", 6) ? b : b + 6);
		}
		else
			snprintf(m->problem, sizeof(m->problem), "no LUKS2 "
				 "header copy is usable: primary %s; secondary "
				 "%s", why[0], why[1]);
	}
	free(h[0]);
	free(h[1]);
	return ok;
}

/* ---- regions ---- */

struct span {
	uint64_t start, len;
	const char *role;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Regions from spans: sorted, overlaps clipped, gaps before the end of
 * the metadata padded. */
static void add_regions(struct da_node *n, struct span *sp, size_t ns,
			uint64_t meta_end)
{
	da_sort(sp, ns, sizeof(*sp), cmp_span);
	uint64_t at = 0;
	for (size_t i = 0; i < ns; i++) {
		uint64_t s = sp[i].start, e = s + sp[i].len;
		if (e <= at)
			continue;
		if (s < at)
			s = at;
		if (s > at && at < meta_end)
			da_node_add_region(n, at, (s < meta_end ? s : meta_end)
					   - at, "padding", -1);
		da_node_add_region(n, s, e - s, sp[i].role, -1);
		at = e;
	}
	if (at < meta_end)
		da_node_add_region(n, at, meta_end - at, "padding", -1);
}

static void make_regions(struct da_node *n, const struct luks_meta *m)
{
	struct span sp[LUKS_MAX_SLOTS + LUKS_MAX_SEGS + 8];
	size_t ns = 0;
	uint64_t size = n->dev->size, meta_end = 0;
	if (m->version == 1) {
		sp[ns++] = (struct span){ 0, LUKS1_HDR_SIZE, "luks_header" };
		meta_end = LUKS1_HDR_SIZE;
	} else if (m->hdr_size) {
		for (int c = 0; c < 2; c++) {
			uint64_t o = c * m->hdr_size;
			if (!range_ok(o, m->hdr_size, size))
				continue;
			sp[ns++] = (struct span){ o, LUKS2_BIN_SIZE, "luks_header" };
			sp[ns++] = (struct span){ o + LUKS2_BIN_SIZE,
				m->hdr_size - LUKS2_BIN_SIZE, "luks_json" };
			meta_end = o + m->hdr_size;
		}
	}
	for (int i = 0; i < m->nslots; i++) {
		const struct luks_slot *s = &m->slots[i];
		if (!s->area_ok)
			continue;
		sp[ns++] = (struct span){ s->off, s->size,
					  s->active ? "keyslot" : "keyslot_unused" };
		if (s->off + s->size > meta_end)
			meta_end = s->off + s->size;
	}
	/* the rest of the LUKS2 keyslots area: space no slot uses */
	uint64_t ks_end = 2 * m->hdr_size + m->keyslots_size;
	if (m->version == 2 && m->keyslots_size && ks_end <= size &&
	    ks_end > meta_end)
		meta_end = ks_end;
	if (!m->detached && m->nsegs && m->payload <= size) {
		if (m->payload > meta_end)
			meta_end = m->payload;
		for (int i = 0; i < m->nsegs; i++) {
			const struct luks_seg *g = &m->segs[i];
			if (g->backup || g->off >= size)
				continue;
			uint64_t len = g->dynamic || g->size > size - g->off
				       ? size - g->off : g->size;
			sp[ns++] = (struct span){ g->off, len, "encrypted" };
		}
	}
	if (meta_end > size)
		meta_end = size;
	/* keyslot space past the used areas is keyslot_unused, not padding */
	if (m->version == 2 && m->keyslots_size && ks_end <= size) {
		uint64_t at = 2 * m->hdr_size;
		struct span free_sp[LUKS_MAX_SLOTS + 1];
		size_t nf = 0;
		struct span used[LUKS_MAX_SLOTS];
		size_t nu = 0;
		for (int i = 0; i < m->nslots; i++)
			if (m->slots[i].area_ok)
				used[nu++] = (struct span){ m->slots[i].off,
					m->slots[i].size, NULL };
		da_sort(used, nu, sizeof(used[0]), cmp_span);
		for (size_t i = 0; i < nu && nf < LUKS_MAX_SLOTS; i++) {
			if (used[i].start > at && used[i].start <= ks_end)
				free_sp[nf++] = (struct span){ at,
					used[i].start - at, "keyslot_unused" };
			if (used[i].start + used[i].len > at)
				at = used[i].start + used[i].len;
		}
		if (at < ks_end)
			free_sp[nf++] = (struct span){ at, ks_end - at,
						       "keyslot_unused" };
		for (size_t i = 0; i < nf && ns < sizeof(sp) / sizeof(sp[0]);
		     i++)
			sp[ns++] = free_sp[i];
	}
	add_regions(n, sp, ns, meta_end);
}

/* ---- the node ---- */

static const char *priority_name(int p)
{
	return p == 0 ? "ignore" : p == 2 ? "prefer" : "normal";
}

static void add_slots(struct da_node *n, const struct luks_meta *m)
{
	for (int i = 0; i < m->nslots; i++) {
		const struct luks_slot *s = &m->slots[i];
		struct da_value *p = da_obj_new();
		char name[16];
		snprintf(name, sizeof(name), "%d", s->id);
		da_obj_set_int(p, "number", s->id);
		da_obj_set_str(p, "name", name);
		if (s->off || s->size) {
			da_obj_set_int(p, "start", (int64_t)s->off);
			da_obj_set_int(p, "size", (int64_t)s->size);
			if (!s->area_ok)
				da_obj_set_bool(p, "outside_device", true);
		}
		da_obj_set_str(p, "type", s->type);
		da_obj_set_str(p, "state", s->active ? "active" : "inactive");
		if (s->active || m->version == 2) {
			da_obj_set_str(p, "cipher", s->cipher);
			da_obj_set_int(p, "key_size", (int64_t)s->key_size * 8);
			da_obj_set_str(p, "kdf", s->kdf);
			if (s->hash[0])
				da_obj_set_str(p, "hash", s->hash);
			if (s->iterations)
				da_obj_set_int(p, !strcmp(s->kdf, "pbkdf2")
					       ? "iterations" : "time_cost",
					       s->iterations);
			if (s->memory)
				da_obj_set_int(p, "memory_kib", s->memory);
			if (s->stripes)
				da_obj_set_int(p, "stripes", s->stripes);
			if (s->digest >= 0)
				da_obj_set_int(p, "digest", s->digest);
			if (m->version == 2)
				da_obj_set_str(p, "priority",
					       priority_name(s->priority));
		}
		struct da_slot *sl = da_node_add_slot(n, "keyslot", p, NULL);
		if (sl)
			sl->container = true;
	}
}

static struct da_value *segments_value(const struct luks_meta *m)
{
	struct da_value *a = da_arr_new();
	for (int i = 0; i < m->nsegs; i++) {
		const struct luks_seg *g = &m->segs[i];
		struct da_value *o = da_obj_new();
		da_obj_set_int(o, "number", g->id);
		da_obj_set_str(o, "type", g->type);
		da_obj_set_int(o, "offset", (int64_t)g->off);
		if (g->dynamic)
			da_obj_set_str(o, "size", "dynamic");
		else
			da_obj_set_int(o, "size", (int64_t)g->size);
		if (g->cipher[0])
			da_obj_set_str(o, "cipher", g->cipher);
		if (g->sector_size)
			da_obj_set_int(o, "sector_size", g->sector_size);
		if (g->iv_tweak)
			da_obj_set_int(o, "iv_tweak", (int64_t)g->iv_tweak);
		if (g->integrity[0])
			da_obj_set_str(o, "integrity", g->integrity);
		if (g->backup)
			da_obj_set_bool(o, "backup", true);
		da_arr_push(a, o);
	}
	return a;
}

static struct da_value *digests_value(const struct luks_meta *m)
{
	struct da_value *a = da_arr_new();
	for (int i = 0; i < m->ndigests; i++) {
		const struct luks_digest *d = &m->digests[i];
		struct da_value *o = da_obj_new(), *ks = da_arr_new(),
				*sg = da_arr_new();
		da_obj_set_int(o, "number", d->id);
		da_obj_set_str(o, "type", d->type);
		da_obj_set_str(o, "hash", d->hash);
		da_obj_set_int(o, "iterations", d->iterations);
		for (int k = 0; k < 32; k++) {
			if (d->slots & (1u << k))
				da_arr_push(ks, da_int_new(k));
			if (d->segs & (1u << k))
				da_arr_push(sg, da_int_new(k));
		}
		da_obj_set(o, "keyslots", ks);
		da_obj_set(o, "segments", sg);
		da_arr_push(a, o);
	}
	return a;
}

static void set_props(struct da_node *n, const struct luks_meta *m)
{
	struct da_value *p = n->props;
	da_obj_set_int(p, "version", m->version);
	if (m->uuid[0])
		da_obj_set_str(p, "uuid", m->uuid);
	if (m->label[0])
		da_obj_set_str(p, "label", m->label);
	if (m->subsystem[0])
		da_obj_set_str(p, "subsystem", m->subsystem);
	if (m->cipher[0])
		da_obj_set_str(p, "cipher", m->cipher);
	if (m->key_bytes)
		da_obj_set_int(p, "key_size", (int64_t)m->key_bytes * 8);
	if (m->sector_size)
		da_obj_set_int(p, "sector_size", m->sector_size);
	if (m->version == 1 && m->hash[0])
		da_obj_set_str(p, "hash", m->hash);
	if (m->version == 2) {
		da_obj_set_int(p, "hdr_size", (int64_t)m->hdr_size);
		da_obj_set_int(p, "seqid", (int64_t)m->seqid);
		if (m->keyslots_size)
			da_obj_set_int(p, "keyslots_size",
				       (int64_t)m->keyslots_size);
		if (m->flags[0])
			da_obj_set_str(p, "flags", m->flags);
		if (m->requirements[0])
			da_obj_set_str(p, "requirements", m->requirements);
		if (m->ntokens)
			da_obj_set_int(p, "tokens", m->ntokens);
	}
	if (m->nsegs) {
		da_obj_set_int(p, "payload_offset", (int64_t)m->payload);
		uint64_t ps = m->payload_size;
		if (!ps && !m->detached && m->payload < n->dev->size)
			ps = n->dev->size - m->payload;
		if (!m->detached)
			da_obj_set_int(p, "payload_size", (int64_t)ps);
	}
	int active = 0;
	for (int i = 0; i < m->nslots; i++)
		active += m->slots[i].active;
	da_obj_set_int(p, "active_keyslots", active);
	if (m->detached)
		da_obj_set_bool(p, "detached_header", true);
	if (m->reencrypt)
		da_obj_set_bool(p, "reencryption", true);
	if (m->opal)
		da_obj_set_bool(p, "opal", true);
	da_obj_set_str(p, "state", "locked");
	if (m->nsegs)
		da_obj_set(p, "segments", segments_value(m));
	if (m->ndigests)
		da_obj_set(p, "digests", digests_value(m));
}

/* Where the data is not here, or not readable with a key, say why. */
static void explain(struct da_node *n, const struct luks_meta *m)
{
	if (m->detached)
		da_warn(n, "detached header: the data (from byte %llu) is on "
			"another device", (unsigned long long)m->payload);
	if (m->reencrypt)
		da_warn(n, "reencryption in progress (%s): the data is partly "
			"in one form, partly in another, and is not unlocked",
			m->requirements[0] ? m->requirements : "segments");
	if (m->opal)
		da_warn(n, "OPAL hardware encryption: the drive decrypts, an "
			"image holds only what it stored");
}

static struct da_node *luks_scan(struct da_device *dev, da_error *err)
{
	struct luks_priv *pv = calloc(1, sizeof(*pv));
	if (!pv) {
		da_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	struct luks_meta *m = &pv->meta;
	struct da_node *n = da_node_new(DA_NODE_LUKS, &da_plugin_luks, dev);
	n->priv = pv;
	uint8_t h[LUKS1_HDR_SIZE];
	if (dev_read(dev, h, sizeof(h), 0, err) < 0) {
		da_node_free(n);
		return NULL;
	}
	bool ok;
	if (!memcmp(h, magic1, 6) && be16(h + 6) == 1)
		ok = luks1_parse(dev, h, m);
	else
		ok = luks2_parse(dev, m, n);
	if (ok && m->nsegs) {
		/* the data cannot start inside the metadata: then it lies on
		 * another device, and this is a detached header */
		uint64_t meta = m->version == 1 ? LUKS1_HDR_SIZE
						: 2 * m->hdr_size;
		for (int i = 0; i < m->nslots; i++)
			if (m->slots[i].area_ok &&
			    m->slots[i].off + m->slots[i].size > meta)
				meta = m->slots[i].off + m->slots[i].size;
		if (m->version == 2 && 2 * m->hdr_size + m->keyslots_size >
		    meta)
			meta = 2 * m->hdr_size + m->keyslots_size;
		if (m->payload < meta)
			m->detached = true;
		else if (m->payload > dev->size && !m->problem[0])
			snprintf(m->problem, sizeof(m->problem), "payload "
				 "offset %llu is past the end of the device "
				 "(%llu bytes)", (unsigned long long)m->payload,
				 (unsigned long long)dev->size);
	}
	set_props(n, m);
	make_regions(n, m);
	add_slots(n, m);
	if (m->problem[0])
		da_warn(n, "%s", m->problem);
	explain(n, m);
	da_trace("luks: LUKS%d %s on %s, payload at %llu", m->version,
		 m->uuid, dev->name, (unsigned long long)m->payload);
	return n;
}

static void luks_free(struct da_node *n)
{
	free(n->priv);
	n->priv = NULL;
}

/* ---- unlocking ---- */

#define MAX_LOCKED 4096u          /* LUKS volumes asked about in a machine */

/* Why a volume cannot be opened whatever the key; NULL if it can. */
static const char *cannot_open(const struct da_node *n,
			       const struct luks_meta *m)
{
	if (!m->problem[0] && m->nsegs && !m->detached &&
	    m->payload + m->sector_size > n->dev->size)
		return "its payload is empty (the device ends where it starts)";
	if (m->detached)
		return "its header is detached";
	if (m->reencrypt)
		return "a reencryption is in progress";
	if (m->opal)
		return "it uses OPAL hardware encryption";
	if (m->problem[0] || !m->nsegs)
		return "its metadata is damaged";
	if (strcmp(m->segs[0].type, "crypt"))
		return "its data segment is not of type crypt";
	if (m->segs[0].integrity[0])
		return "it uses authenticated encryption (dm-integrity)";
	return luks_cipher_unsupported(m);
}

/* The name of the opened volume: luks-UUID, as udev names the mapping. */
static char *volume_name(const struct da_node *n, const struct luks_meta *m)
{
	if (m->uuid[0])
		return da_asprintf("luks-%s", m->uuid);
	return da_asprintf("luks-%s", n->dev->name);
}

/* A clone's volume (the same UUID) gets "#2", "#3"...: names stay unique. */
static char *unique_name(struct da_machine *m, char *name)
{
	for (int k = 2; k < 1000; k++) {
		bool taken = false;
		for (size_t i = 0; i < m->nvolumes && !taken; i++)
			taken = !strcmp(m->volumes[i].name, name);
		if (!taken)
			return name;
		char *base = strchr(name, '#');
		char *next = da_asprintf("%.*s#%d", base ? (int)(base - name)
					 : (int)strlen(name), name, k);
		free(name);
		name = next;
	}
	return name;
}

/* The key slots worth trying (a bit set of ids): active, of the data
 * segment's digest, and within what diskatlas will run; each refused
 * one becomes a warning, the first also goes into refused ("key slot 2
 * asks for ..."). */
static uint32_t try_slots(struct da_node *n, const struct luks_meta *m,
			  char *refused, size_t len)
{
	uint32_t set = 0;
	for (int i = 0; i < m->nslots; i++) {
		const struct luks_slot *s = &m->slots[i];
		const struct luks_digest *d = NULL;
		for (int k = 0; k < m->ndigests; k++)
			if (m->digests[k].id == s->digest)
				d = &m->digests[k];
		/* LUKS2 "ignore" slots are not tried */
		if (!s->active || !d || (s->priority != 1 && s->priority != 2) ||
		    !(d->segs & (1u << (m->segs[0].id & 31))))
			continue;
		char why[160];
		if (luks_slot_too_costly(m, s, why, sizeof(why))) {
			da_warn(n, "key slot %d %s: not tried", s->id, why);
			if (!refused[0])
				snprintf(refused, len, "key slot %d %s", s->id,
					 why);
			continue;
		}
		set |= 1u << s->id;
	}
	return set;
}

int da_luks_unlock(struct da_machine *m, struct da_node *n, const char *key,
		   size_t keylen, da_error *err)
{
	if (!n || n->plugin != &da_plugin_luks || !n->priv)
		return da_error_set(err, EINVAL, "not a LUKS volume");
	struct luks_priv *pv = n->priv;
	const struct luks_meta *lm = &pv->meta;
	char *name = volume_name(n, lm);
	if (pv->unlocked) {
		free(name);
		return 0;
	}
	const char *why = cannot_open(n, lm);
	if (why) {
		da_error_set(err, ENOTSUP, "%s: %s (%s) cannot be unlocked: "
			     "%s", n->dev->name, name, lm->cipher[0] ?
			     lm->cipher : "cipher unknown", why);
		free(name);
		return -1;
	}
	char refused[200] = "";
	uint32_t slots = try_slots(n, lm, refused, sizeof(refused));
	if (!slots && refused[0]) {
		da_error_set(err, E2BIG, "%s: LUKS %s", n->dev->name, refused);
		free(name);
		return -1;
	}
	unsigned char *vk = da_secret_alloc(LUKS_MAX_KEY);
	if (!vk) {
		free(name);
		return da_error_set(err, ENOMEM, "out of locked memory");
	}
	size_t vklen = 0;
	int slot = -1;
	int r = luks_volume_key(n->dev, lm, slots, key, keylen, vk, &vklen,
				&slot, err);
	if (r < 0 && err && err->code == EPERM && refused[0])
		da_error_set(err, EPERM, "%s: wrong key: no other key slot "
			     "opens with it; LUKS %s", n->dev->name, refused);
	struct da_device *d = NULL;
	if (r == 0)
		d = luks_crypt_device_new(name, n->dev, lm, vk, vklen, err);
	da_secret_free(vk, LUKS_MAX_KEY);
	if (!d) {
		free(name);
		return -1;
	}
	name = unique_name(m, name);
	free(d->name);
	d->name = da_strdup(name);
	pv->unlocked = true;
	da_obj_set_str(n->props, "state", "unlocked");
	da_obj_set_str(n->props, "volume", name);
	da_obj_set_int(n->props, "unlocked_by_keyslot", slot);
	struct da_value *props = da_obj_new();
	da_obj_set_str(props, "luks", n->dev->name);
	if (lm->uuid[0])
		da_obj_set_str(props, "uuid", lm->uuid);
	da_obj_set_str(props, "cipher", lm->cipher);
	da_obj_set_int(props, "sector_size", lm->sector_size);
	da_obj_set_int(props, "payload_offset", (int64_t)lm->payload);
	da_obj_set_int(props, "keyslot", slot);
	da_machine_add_volume(m, name, "luks", d, props);
	da_trace("luks: %s unlocked by key slot %d, %llu bytes", name, slot,
		 (unsigned long long)d->size);
	free(name);
	if (m->scanned)
		da_machine_rescan(m);
	return 0;
}

/* Each locked volume not asked about yet: ask the key source, unlock. */
static int luks_assemble(struct da_machine *m, da_error *err)
{
	(void)err;
	if (!m->key_fn)
		return 0;
	struct da_node_list all = da_machine_nodes_of(m, &da_plugin_luks,
						      MAX_LOCKED);
	int added = 0;
	char *key = da_secret_alloc(DA_MAX_KEY);
	for (size_t i = 0; key && i < all.n; i++) {
		struct da_node *n = all.v[i];
		struct luks_priv *pv = n->priv;
		if (pv->tried || pv->unlocked)
			continue;
		pv->tried = true;
		char *name = volume_name(n, &pv->meta);
		const char *why = cannot_open(n, &pv->meta);
		if (why) {
			da_machine_add_problem(m, "%s: %s (%s) cannot be "
					       "unlocked: %s", n->dev->name,
					       name, pv->meta.cipher[0] ?
					       pv->meta.cipher :
					       "cipher unknown", why);
			free(name);
			continue;
		}
		int len = m->key_fn(m->key_arg, name, key, DA_MAX_KEY);
		free(name);
		if (len < 0)
			continue;
		da_error e = { 0 };
		if (da_luks_unlock(m, n, key, (size_t)len, &e) < 0)
			da_machine_add_problem(m, "%s", e.msg);
		else
			added++;
		explicit_bzero(key, DA_MAX_KEY);
	}
	da_secret_free(key, DA_MAX_KEY);
	free(all.v);
	return added;
}

const struct da_plugin da_plugin_luks = {
	.name = "luks",
	.layer = DA_LAYER_VOL,
	.probe = luks_probe,
	.scan = luks_scan,
	.assemble = luks_assemble,
	.free = luks_free,
};
