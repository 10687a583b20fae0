/* Private to the LUKS plugin: what luks.c (binary headers, regions, the
 * node), luks2_json.c (the LUKS2 JSON metadata) and luks_unlock.c (the
 * volume key and the decrypting device) share.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_LUKS_H
#define DA_LUKS_H

#include "util.h"

#define LUKS_SECTOR 512u
#define LUKS1_HDR_SIZE 592u
#define LUKS1_SLOTS 8
#define LUKS1_ACTIVE 0x00AC71F3u
#define LUKS1_DISABLED 0x0000DEADu
#define LUKS2_BIN_SIZE 4096u
#define LUKS2_MAX_HDR (4u << 20)      /* hdr_size: 16 KiB .. 4 MiB */
#define LUKS2_MAX_JSON_DEPTH 12       /* the format nests 4 deep */
#define LUKS_MAX_SLOTS 32             /* LUKS2 allows 32 key slots */
#define LUKS_MAX_SEGS 16
#define LUKS_MAX_DIGESTS 32
#define LUKS_MAX_KEY 128              /* volume key bytes (512-bit XTS: 64) */
/* the header bytes given to libcryptsetup: at most this much */
#define LUKS_MAX_META (256u << 20)

struct luks_slot {
	int id;
	bool active;
	char type[16];             /* luks1, luks2, reencrypt */
	uint64_t off, size;        /* the area, bytes */
	bool area_ok;              /* inside the device and sane */
	char cipher[72];           /* area encryption */
	uint32_t key_size;         /* volume key bytes */
	char kdf[16];              /* pbkdf2, argon2i, argon2id */
	char hash[32];
	int64_t iterations;        /* pbkdf2; argon2: time cost */
	int64_t memory;            /* argon2, KiB */
	int64_t parallel;          /* argon2: threads (lanes) */
	uint32_t area_key_size;    /* bytes the KDF derives (LUKS2: area.key_size) */
	uint32_t stripes;
	int priority;              /* LUKS2: 0 ignore, 1 normal, 2 prefer */
	int digest;                /* the digest that checks it, or -1 */
};

struct luks_seg {
	int id;
	char type[16];             /* crypt, linear, hw-opal, hw-opal-crypt */
	uint64_t off;              /* bytes */
	uint64_t size;             /* bytes; 0 with dynamic */
	bool dynamic;              /* to the end of the device */
	uint64_t iv_tweak;         /* sectors */
	char cipher[72];
	uint32_t sector_size;
	char integrity[32];
	bool backup;               /* flags: backup-* (a reencryption's) */
};

struct luks_digest {
	int id;
	char type[16];
	char hash[32];
	int64_t iterations;
	uint32_t bytes;            /* the digest's length: what PBKDF2 derives */
	uint32_t slots, segs;      /* bit sets of the ids it covers */
};

/* What the headers say, LUKS1 and LUKS2 alike. */
struct luks_meta {
	int version;               /* 1 or 2 */
	char uuid[41];
	char label[49], subsystem[49];
	uint64_t seqid;
	uint64_t hdr_size;         /* LUKS2: one copy (binary + JSON) */
	bool primary_ok, secondary_ok;   /* LUKS2 checksums */
	uint64_t json_size;        /* LUKS2: config.json_size */
	uint64_t keyslots_size;    /* LUKS2: config.keyslots_size */
	/* LUKS1: cipher, mode, hash; LUKS2: from segment 0 */
	char cipher[72];
	char hash[32];
	uint32_t key_bytes;
	uint32_t sector_size;
	uint64_t payload;          /* bytes: where the data starts */
	uint64_t payload_size;     /* bytes: 0 = to the end */
	struct luks_slot slots[LUKS_MAX_SLOTS];
	int nslots;
	struct luks_seg segs[LUKS_MAX_SEGS];
	int nsegs;
	struct luks_digest digests[LUKS_MAX_DIGESTS];
	int ndigests;
	char flags[160];           /* config.flags, comma separated */
	char requirements[160];    /* config.requirements.mandatory */
	int ntokens;
	bool detached;             /* the data is not on this device */
	bool reencrypt;            /* a reencryption is in progress */
	bool opal;                 /* hardware (OPAL) encryption */
	char problem[200];         /* why the metadata is not trusted */
};

/* Parse the JSON area text (len bytes, not necessarily terminated) of a
 * LUKS2 header into m; dev_size bounds offsets.  false with m->problem
 * when it does not parse (too long, too deep, missing sections). */
bool luks2_parse_json(const char *text, size_t len, uint64_t dev_size,
		      struct luks_meta *m);

/* The plugin's node state. */
struct luks_priv {
	struct luks_meta meta;
	bool tried;                /* the key source was asked */
	bool unlocked;
};

extern const struct da_plugin da_plugin_luks;

/* Would trying key slot s of m (its KDF, then its digest's) cost more
 * than diskatlas runs (luks_kdf.c)?  true with why: "asks for ...,
 * more than diskatlas will run (limit N)", to follow "key slot N ". */
bool luks_slot_too_costly(const struct luks_meta *m,
			  const struct luks_slot *s, char *why, size_t len);

/* Derive the volume key from the header bytes of dev (copied into a
 * memfd for libcryptsetup) with the passphrase or key file contents,
 * trying the active key slots whose ids are in the bit set slots, in
 * the order libcryptsetup would (LUKS2: "prefer" first, "ignore" never).
 * Writes the key into vk (locked memory, at most LUKS_MAX_KEY) and its
 * length; -1 with err: a wrong key (EPERM), no slot to try (ENOENT), or
 * what libcryptsetup refused. */
int luks_volume_key(struct da_device *dev, const struct luks_meta *m,
		    uint32_t slots, const char *pass, size_t passlen,
		    unsigned char *vk, size_t *vklen, int *slot,
		    da_error *err);
/* Is the cipher of segment 0 one we can decrypt?  NULL if so, else why. */
const char *luks_cipher_unsupported(const struct luks_meta *m);
/* The decrypted payload of dev as a device named name.  The key goes
 * into libcrypto's cipher contexts, cleansed when the device closes;
 * the caller wipes vk. */
struct da_device *luks_crypt_device_new(const char *name,
					struct da_device *dev,
					const struct luks_meta *m,
					const unsigned char *vk, size_t vklen,
					da_error *err);

#endif
