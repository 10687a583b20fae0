/* What trying a LUKS key slot may cost.
 *
 * A key slot's KDF parameters are on-disk values: a header asking for
 * 2^32 PBKDF2 iterations, or argon2 over terabytes, would keep
 * libcryptsetup deriving for hours.  Each slot is priced before it is
 * tried, its digest's PBKDF2 included (it runs once for every slot
 * tried), and refused past these limits.  They leave room over what
 * cryptsetup 2.6 makes with its defaults (about 2 s of one core for
 * PBKDF2; argon2id for 2 s with at most 1 GiB and 4 threads) on a
 * machine several times as fast as the one measured, a 2-core Xeon with
 * SHA instructions, where cryptsetup's 2 s was 3,758,336 PBKDF2-sha256
 * iterations for a 512-bit key (7.5 million rounds), a master key digest
 * of 238,746, and argon2id at 4 passes over 394,906 KiB:
 *  - PBKDF2: iterations times output blocks (the bytes derived over the
 *    hash's size: 2 for a 512-bit key with sha256) at most 2^26
 *    (9 times that machine's default; 18 s of one core there);
 *  - argon2: time cost times memory at most 2^25 KiB (32 passes over
 *    1 GiB; 4 passes over 1 GiB took 5.5 s of CPU there), memory at most
 *    4 GiB (cryptsetup's own maximum), at most 16 threads (cryptsetup
 *    writes at most 4).
 * DISKATLAS_KDF_LIMIT=N multiplies the limits by N (1 to 1024), for a
 * header made to cost more on purpose.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks.h"
#include "luks_libs.h"

#define PBKDF2_MAX_ROUNDS (1ull << 26)
#define ARGON2_MAX_WORK (1ull << 25)          /* KiB x passes */
#define ARGON2_MAX_MEMORY (4ull << 20)        /* KiB */
#define ARGON2_MAX_THREADS 16ull
#define MAX_FACTOR 1024

/* DISKATLAS_KDF_LIMIT, or 1 when unset or not a number 1..MAX_FACTOR */
static uint64_t factor(void)
{
	const char *s = getenv("DISKATLAS_KDF_LIMIT");
	char *end;
	unsigned long v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || v < 1 || v > MAX_FACTOR)
		return 1;
	return v;
}

/* The hash's output bytes, 0 if libcrypto does not know it (then
 * libcryptsetup, which hashes with libcrypto too, fails at once). */
static unsigned hash_bytes(const char *hash)
{
	const struct da_dl_crypto *C = da_dl_crypto(NULL);
	const EVP_MD *md = C && hash[0] ? C->EVP_get_digestbyname(hash) : NULL;
	int n = md ? C->EVP_MD_get_size(md) : 0;
	return n > 0 ? (unsigned)n : 0;
}

/* PBKDF2 deriving out bytes with hash: iterations past the limit? */
static bool pbkdf2_costly(int64_t iter, const char *hash, uint32_t out,
			  const char *what, char *why, size_t len)
{
	unsigned hl = hash_bytes(hash);
	uint64_t blocks = hl && out ? (out + hl - 1) / hl : 1;
	uint64_t limit = PBKDF2_MAX_ROUNDS * factor() / blocks;
	/* libcryptsetup reads a negative count as a huge unsigned one */
	if (iter >= 0 && (uint64_t)iter <= limit)
		return false;
	char per[80] = "";
	if (blocks > 1)
		snprintf(per, sizeof(per), " for a %u-bit key with %s",
			 out * 8, hash);
	snprintf(why, len, "asks for %lld PBKDF2 iterations%s, more than "
		 "diskatlas will run (limit %llu%s)", (long long)iter, what,
		 (unsigned long long)limit, per);
	return true;
}

static bool argon2_costly(const struct luks_slot *s, char *why, size_t len)
{
	uint64_t f = factor();
	uint64_t mem = ARGON2_MAX_MEMORY * f, threads = ARGON2_MAX_THREADS * f;
	if (s->memory < 0 || (uint64_t)s->memory > mem) {
		snprintf(why, len, "asks for %lld KiB of %s memory, more than "
			 "diskatlas will give (limit %llu)",
			 (long long)s->memory, s->kdf, (unsigned long long)mem);
		return true;
	}
	if (s->parallel < 0 || (uint64_t)s->parallel > threads) {
		snprintf(why, len, "asks for %lld %s threads, more than "
			 "diskatlas will start (limit %llu)",
			 (long long)s->parallel, s->kdf,
			 (unsigned long long)threads);
		return true;
	}
	uint64_t passes = ARGON2_MAX_WORK * f /
			  (s->memory > 0 ? (uint64_t)s->memory : 1);
	if (s->iterations < 0 || (uint64_t)s->iterations > passes) {
		snprintf(why, len, "asks for %s time cost %lld over %lld KiB, "
			 "more than diskatlas will run (limit %llu at that "
			 "memory)", s->kdf, (long long)s->iterations,
			 (long long)s->memory, (unsigned long long)passes);
		return true;
	}
	return false;
}

bool luks_slot_too_costly(const struct luks_meta *m,
			  const struct luks_slot *s, char *why, size_t len)
{
	if (!strcmp(s->kdf, "pbkdf2")) {
		if (pbkdf2_costly(s->iterations, s->hash, s->area_key_size ?
				  s->area_key_size : s->key_size, "", why, len))
			return true;
	} else if (!strncmp(s->kdf, "argon2", 6)) {
		if (argon2_costly(s, why, len))
			return true;
	}
	/* other KDFs libcryptsetup refuses at once */
	for (int i = 0; i < m->ndigests; i++) {
		const struct luks_digest *d = &m->digests[i];
		if (d->id == s->digest && !strcmp(d->type, "pbkdf2") &&
		    pbkdf2_costly(d->iterations, d->hash, d->bytes ? d->bytes
				  : 32, " of its digest", why, len))
			return true;
	}
	return false;
}
