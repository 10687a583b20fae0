/* Opening a LUKS volume with a key the user gave.
 *
 * The volume key is derived by libcryptsetup, which reads a header only
 * from a file: the header bytes (up to the payload) are copied into an
 * anonymous memory file (memfd) that never reaches a disk, and the
 * library is pointed at /proc/self/fd/N.  The payload is then decrypted
 * sector by sector with libcrypto (or libgcrypt for serpent and twofish,
 * which OpenSSL has never had), as dm-crypt does: the IV counts
 * 512-byte sectors from the start of the payload (plus the segment's
 * iv_tweak) even when the encryption sector is larger.
 *
 * Keys live only in locked memory marked MADV_DONTDUMP and are wiped with
 * explicit_bzero when freed; once a key is held the process also makes
 * itself undumpable, since libcrypto and libgcrypt keep their key
 * schedules in memory we do not allocate.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "luks.h"
#include "luks_libs.h"

DA_DL_DEFINE(crypto, CRYPTO_FUNCS, "libcrypto.so.3",
	     "LUKS needs libcrypto", "libssl3")
DA_DL_DEFINE(cryptsetup, CRYPTSETUP_FUNCS, "libcryptsetup.so.12",
	     "unlocking LUKS needs libcryptsetup", "libcryptsetup12")
DA_DL_DEFINE(gcrypt, GCRYPT_FUNCS, "libgcrypt.so.20",
	     "serpent and twofish need libgcrypt", "libgcrypt20")

/* The tables, once the entry points (luks_cipher_unsupported,
 * luks_volume_key, luks_crypt_device_new) have checked they load. */
#define C (da_dl_crypto(NULL))
#define CS (da_dl_cryptsetup(NULL))
#define G (da_dl_gcrypt(NULL))

/* libgcrypt wants gcry_check_version called once before anything else. */
static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;

static void gcry_init(void)
{
	G->gcry_check_version(NULL);
}

static const struct da_dl_gcrypt *gcry_lib(const char **why)
{
	const struct da_dl_gcrypt *g = da_dl_gcrypt(why);
	if (g)
		pthread_once(&gcry_once, gcry_init);
	return g;
}

/* ---- secret memory ---- */

void *da_secret_alloc(size_t len)
{
	static bool undumpable;
	if (!undumpable) {
		struct rlimit no = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		undumpable = true;
	}
	if (!len)
		return NULL;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_DONTDUMP);
	mlock(p, len);             /* may fail under a low RLIMIT_MEMLOCK */
	return p;
}

void da_secret_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	munlock(p, len);
	munmap(p, len);
}

/* ---- the cipher ---- */

enum iv_mode { IV_PLAIN, IV_PLAIN64, IV_PLAIN64BE, IV_ESSIV, IV_NULL };

struct cipher_spec {
	const EVP_CIPHER *evp;     /* libcrypto's cipher, or NULL and... */
	int galgo, gmode;          /* ...libgcrypt's */
	bool serpent;              /* which of libgcrypt's (for ESSIV) */
	const EVP_MD *essiv_hash;
	enum iv_mode iv;
};

/* libgcrypt's serpent or twofish for a key of bits, 0 if it has none */
static int gcry_algo(bool serpent, uint32_t bits)
{
	switch (bits) {
	case 128:
		return serpent ? GCRY_CIPHER_SERPENT128 : GCRY_CIPHER_TWOFISH128;
	case 192:
		return serpent ? GCRY_CIPHER_SERPENT192 : 0;
	case 256:
		return serpent ? GCRY_CIPHER_SERPENT256 : GCRY_CIPHER_TWOFISH;
	}
	return 0;
}

/* serpent and twofish: OpenSSL has never had them, libgcrypt has both */
static const char *gcry_parse(const char *name, const char *mode,
			      uint32_t keylen, struct cipher_spec *out)
{
	const char *need = NULL;
	if (!gcry_lib(&need))
		return need;
	bool xts = !strcmp(mode, "xts");
	out->serpent = !strcmp(name, "serpent");
	out->galgo = gcry_algo(out->serpent, keylen * 8 / (xts ? 2 : 1));
	out->gmode = xts ? GCRY_CIPHER_MODE_XTS
		   : !strcmp(mode, "cbc") ? GCRY_CIPHER_MODE_CBC
		   : GCRY_CIPHER_MODE_ECB;
	if (!out->galgo || keylen % (xts ? 2 : 1) ||
	    G->gcry_cipher_get_algo_keylen(out->galgo) * (xts ? 2 : 1) != keylen)
		return "its key size does not fit the cipher";
	return NULL;
}

/* "aes-xts-plain64", "aes-cbc-essiv:sha256": the libcrypto cipher for a
 * key of keylen bytes and the IV generator; NULL if it is not one of
 * ours, else why. */
static const char *cipher_parse(const char *spec, uint32_t keylen,
				struct cipher_spec *out)
{
	char name[32], mode[32], iv[48];
	const char *d1 = strchr(spec, '-');
	const char *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	if (!d1 || !d2 || d1 - spec >= 32 || d2 - d1 - 1 >= 32 ||
	    strlen(d2 + 1) >= sizeof(iv))
		return "the cipher is not NAME-MODE-IV";
	snprintf(name, sizeof(name), "%.*s", (int)(d1 - spec), spec);
	snprintf(mode, sizeof(mode), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	snprintf(iv, sizeof(iv), "%s", d2 + 1);
	memset(out, 0, sizeof(*out));
	if (!strcmp(iv, "plain"))
		out->iv = IV_PLAIN;
	else if (!strcmp(iv, "plain64"))
		out->iv = IV_PLAIN64;
	else if (!strcmp(iv, "plain64be"))
		out->iv = IV_PLAIN64BE;
	else if (!strcmp(iv, "null"))
		out->iv = IV_NULL;
	else if (!strncmp(iv, "essiv:", 6)) {
		out->iv = IV_ESSIV;
		out->essiv_hash = C->EVP_get_digestbyname(iv + 6);
		if (!out->essiv_hash)
			return "its ESSIV hash is not in libcrypto";
	} else {
		return "its IV generator is not supported (plain, plain64, "
		       "plain64be, essiv, null are)";
	}
	if (strcmp(mode, "xts") && strcmp(mode, "cbc") && strcmp(mode, "ecb"))
		return "its cipher mode is not supported (xts, cbc, ecb are)";
	if (!strcmp(name, "serpent") || !strcmp(name, "twofish"))
		return gcry_parse(name, mode, keylen, out);
	uint32_t bits = keylen * 8 / (strcmp(mode, "xts") ? 1 : 2);
	char evp[96];
	snprintf(evp, sizeof(evp), "%s-%u-%s", name, bits, mode);
	out->evp = C->EVP_get_cipherbyname(evp);
	if (!out->evp)
		return "its cipher is not in libcrypto";
	if ((uint32_t)C->EVP_CIPHER_get_key_length(out->evp) != keylen)
		return "its key size does not fit the cipher";
	return NULL;
}

const char *luks_cipher_unsupported(const struct luks_meta *m)
{
	struct cipher_spec cs;
	const char *need = NULL;
	if (!da_dl_crypto(&need) || !da_dl_cryptsetup(&need))
		return need;
	if (!m->key_bytes || m->key_bytes > LUKS_MAX_KEY)
		return "its key size is unknown";
	if (!m->sector_size)
		return "its sector size is unknown";
	const char *why = cipher_parse(m->cipher, m->key_bytes, &cs);
	if (!why && cs.iv == IV_ESSIV &&
	    C->EVP_MD_get_size(cs.essiv_hash) != 16 &&
	    C->EVP_MD_get_size(cs.essiv_hash) != 24 &&
	    C->EVP_MD_get_size(cs.essiv_hash) != 32)
		why = "its ESSIV hash size fits no key of the cipher";
	if (!why && cs.iv == IV_ESSIV && cs.galgo &&
	    !gcry_algo(cs.serpent, (uint32_t)C->EVP_MD_get_size(cs.essiv_hash) * 8))
		why = "its ESSIV hash size fits no key of the cipher";
	return why;
}

/* ---- the volume key ---- */

static void cs_log(int level, const char *msg, void *arg)
{
	(void)arg;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	if (level != CRYPT_LOG_DEBUG)
		da_trace("luks: libcryptsetup: %.*s", (int)n, msg);
}

/* How much of the device the header needs: through the last key slot
 * and up to the payload. */
static uint64_t meta_bytes(const struct luks_meta *m, uint64_t size)
{
	uint64_t end = m->version == 1 ? LUKS1_HDR_SIZE
				       : 2 * m->hdr_size + m->keyslots_size;
	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].area_ok && m->slots[i].off + m->slots[i].size >
		    end)
			end = m->slots[i].off + m->slots[i].size;
	if (!m->detached && m->payload > end)
		end = m->payload;
	return end < size ? end : size;
}

/* A memfd holding the first len bytes of dev (holes stay holes). */
static int header_memfd(struct da_device *dev, uint64_t len, da_error *err)
{
	int fd = memfd_create("luks-header", MFD_CLOEXEC);
	if (fd < 0)
		return da_error_set(err, errno, "memfd_create: %s",
				    strerror(errno));
	if (ftruncate(fd, (off_t)len) < 0) {
		int e = errno;
		close(fd);
		return da_error_set(err, e, "memfd: %s", strerror(e));
	}
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = malloc(CHUNK);
	if (!buf) {
		close(fd);
		return da_error_set(err, ENOMEM, "out of memory");
	}
	for (uint64_t off = 0; off < len;) {
		uint64_t run = 0;
		if (da_device_extent(dev, off, &run) == 0 && run) {
			off += run < len - off ? run : len - off;
			continue;
		}
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		if (dev_read(dev, buf, n, off, err) < 0 ||
		    pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			if (!err || !err->msg[0])
				da_error_set(err, EIO, "memfd: short write");
			free(buf);
			close(fd);
			return -1;
		}
		off += n;
	}
	free(buf);
	return fd;
}

/* The slots of set in the order libcryptsetup tries them for any slot:
 * LUKS2 "prefer" ones first, then "normal" ones; "ignore" ones never. */
static int slot_order(const struct luks_meta *m, uint32_t set, int *out)
{
	int n = 0;
	for (int want = 2; want >= 1; want--)      /* LUKS1 slots are 1 */
		for (int i = 0; i < m->nslots; i++) {
			const struct luks_slot *s = &m->slots[i];
			if (s->active && (set & (1u << s->id)) &&
			    s->priority == want)
				out[n++] = s->id;
		}
	return n;
}

int luks_volume_key(struct da_device *dev, const struct luks_meta *m,
		    uint32_t slots, const char *pass, size_t passlen,
		    unsigned char *vk, size_t *vklen, int *slot,
		    da_error *err)
{
	const char *need = NULL;
	if (!da_dl_crypto(&need) || !da_dl_cryptsetup(&need))
		return da_error_set(err, ENOENT, "%s: %s", dev->name, need);
	int order[LUKS_MAX_SLOTS];
	int norder = slot_order(m, slots, order);
	if (!norder)
		return da_error_set(err, ENOENT, "%s: no key slot to try: none "
				    "is active for the data segment",
				    dev->name);
	uint64_t len = meta_bytes(m, dev->size);
	if (len > LUKS_MAX_META)
		return da_error_set(err, EFBIG, "%s: LUKS metadata of %llu "
				    "bytes is too large", dev->name,
				    (unsigned long long)len);
	int fd = header_memfd(dev, len, err);
	if (fd < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct crypt_device *cd = NULL;
	CS->crypt_set_log_callback(NULL, cs_log, NULL);
	int r = CS->crypt_init(&cd, path);
	if (r >= 0) {
		CS->crypt_set_log_callback(cd, cs_log, NULL);
		r = CS->crypt_load(cd, CRYPT_LUKS, NULL);
	}
	if (r < 0) {
		da_error_set(err, -r, "%s: libcryptsetup cannot read the LUKS "
			     "header: %s", dev->name, strerror(-r));
		CS->crypt_free(cd);
		close(fd);
		return -1;
	}
	/* one slot at a time: only those priced (luks_slot_too_costly) */
	int other = 0, other_slot = -1;
	size_t size = 0;
	for (int k = 0; k < norder; k++) {
		size = LUKS_MAX_KEY;
		r = CS->crypt_volume_key_get(cd, order[k], (char *)vk, &size,
					     pass, passlen);
		da_trace("luks: %s: key slot %d: %s", dev->name, order[k],
			 r >= 0 ? "opened" : strerror(-r));
		if (r >= 0)
			break;
		if (r != -EPERM && r != -ENOENT && !other) {
			other = r;
			other_slot = order[k];
		}
	}
	CS->crypt_free(cd);
	close(fd);
	if (r < 0) {
		if (!other)
			return da_error_set(err, EPERM, "%s: wrong key: no key "
					    "slot opens with it", dev->name);
		return da_error_set(err, -other, "%s: cannot derive the volume "
				    "key from key slot %d: %s", dev->name,
				    other_slot, strerror(-other));
	}
	if (size != m->key_bytes) {
		explicit_bzero(vk, LUKS_MAX_KEY);
		return da_error_set(err, EINVAL, "%s: volume key of %zu bytes, "
				    "the header says %u", dev->name, size,
				    m->key_bytes);
	}
	*vklen = size;
	*slot = r;
	return 0;
}

/* ---- the decrypting device ---- */

struct crypt_priv {
	struct da_device *parent;
	uint64_t off;              /* payload start in parent */
	uint32_t sector;           /* encryption unit */
	uint64_t iv_tweak;
	struct cipher_spec cs;
	EVP_CIPHER_CTX *ctx, *essiv;
	gcry_cipher_hd_t gh, gessiv;  /* instead, for serpent and twofish */
	pthread_mutex_t lock;      /* the contexts are not thread-safe */
};

/* dm-crypt's IV for the unit whose first 512-byte sector is s. */
static bool make_iv(struct crypt_priv *p, uint64_t s, unsigned char *iv,
		    int ivlen)
{
	memset(iv, 0, (size_t)ivlen);
	unsigned char le[16] = { 0 };
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(s >> (8 * i));
	switch (p->cs.iv) {
	case IV_NULL:
		return true;
	case IV_PLAIN:
		memcpy(iv, le, ivlen < 4 ? (size_t)ivlen : 4);
		return true;
	case IV_PLAIN64:
		memcpy(iv, le, ivlen < 8 ? (size_t)ivlen : 8);
		return true;
	case IV_PLAIN64BE:
		for (int i = 0; i < 8 && i < ivlen; i++)
			iv[ivlen - 8 + i] = (unsigned char)(s >> (56 - 8 * i));
		return true;
	case IV_ESSIV: {
		int out = 0;
		unsigned char blk[32];
		if (ivlen > 16)
			return false;
		if (p->cs.galgo) {
			if (G->gcry_cipher_encrypt(p->gessiv, blk, 16, le, 16))
				return false;
		} else if (!C->EVP_EncryptUpdate(p->essiv, blk, &out, le, 16) ||
			   out != 16) {
			return false;
		}
		memcpy(iv, blk, (size_t)ivlen);
		explicit_bzero(blk, sizeof(blk));
		return true;
	}
	}
	return false;
}

static int crypt_read(struct da_device *dev, void *buf, size_t len,
		      uint64_t off, da_error *err)
{
	struct crypt_priv *p = dev->priv;
	if (!range_ok(off, len, dev->size))
		return da_error_set(err, EINVAL, "%s: read of %zu bytes at "
				    "%llu is past the end", dev->name, len,
				    (unsigned long long)off);
	enum { CHUNK = 256 * 1024 };
	/* whole encryption units around the bytes asked, at most CHUNK */
	uint64_t span = (off + len + p->sector - 1) / p->sector * p->sector -
			off / p->sector * p->sector;
	size_t cap = span < CHUNK ? (size_t)span : CHUNK;
	if (cap < p->sector)
		cap = p->sector;
	uint8_t *tmp = malloc(cap);
	if (!tmp)
		return da_error_set(err, ENOMEM, "out of memory");
	uint8_t *out = buf;
	int ret = 0;
	/* serpent and twofish have 16-byte blocks; ecb takes no IV */
	int ivlen = !p->cs.galgo ? C->EVP_CIPHER_get_iv_length(p->cs.evp)
		    : p->cs.gmode == GCRY_CIPHER_MODE_ECB ? 0 : 16;
	pthread_mutex_lock(&p->lock);
	while (len) {
		uint64_t a = off / p->sector * p->sector;
		uint64_t want = off - a + len;
		uint64_t units = (want + p->sector - 1) / p->sector;
		if (units * p->sector > cap)
			units = cap / p->sector;
		size_t n = (size_t)(units * p->sector);
		if (dev_read(p->parent, tmp, n, p->off + a, err) < 0) {
			ret = -1;
			break;
		}
		for (uint64_t u = 0; u < units; u++) {
			unsigned char iv[16];
			uint8_t *c = tmp + u * p->sector;
			int outl = 0, fin = 0;
			uint64_t s = (a + u * p->sector) / LUKS_SECTOR +
				     p->iv_tweak;
			bool ok = make_iv(p, s, iv, ivlen);
			if (ok && p->cs.galgo)
				ok = (!ivlen || !G->gcry_cipher_setiv(p->gh, iv,
							(size_t)ivlen)) &&
				     !G->gcry_cipher_decrypt(p->gh, c, p->sector,
							     NULL, 0);
			else if (ok)
				ok = C->EVP_DecryptInit_ex(p->ctx, NULL, NULL,
							   NULL, iv) &&
				     C->EVP_DecryptUpdate(p->ctx, c, &outl, c,
							  (int)p->sector) &&
				     C->EVP_DecryptFinal_ex(p->ctx, c + outl,
							    &fin);
			if (!ok) {
				ret = da_error_set(err, EIO, "%s: decryption "
						   "failed at %llu", dev->name,
						   (unsigned long long)(a +
						   u * p->sector));
				break;
			}
		}
		if (ret < 0)
			break;
		size_t skip = (size_t)(off - a);
		size_t take = n - skip < len ? n - skip : len;
		memcpy(out, tmp + skip, take);
		out += take;
		off += take;
		len -= take;
	}
	pthread_mutex_unlock(&p->lock);
	explicit_bzero(tmp, cap);
	free(tmp);
	return ret;
}

static int crypt_map(struct da_device *dev, uint64_t off,
		     struct da_target *out, int max)
{
	struct crypt_priv *p = dev->priv;
	if (off >= dev->size)
		return 0;
	if (max > 0)
		out[0] = (struct da_target){ p->parent, p->off + off };
	return 1;
}

static uint64_t crypt_contig(struct da_device *dev, uint64_t off)
{
	return off < dev->size ? dev->size - off : 0;
}

/* A hole in the ciphertext was never written: say so, as the disk does. */
static int crypt_extent(struct da_device *dev, uint64_t off, uint64_t *run)
{
	struct crypt_priv *p = dev->priv;
	int r = da_device_extent(p->parent, p->off + off, run);
	if (*run > dev->size - off)
		*run = dev->size - off;
	return r;
}

static void crypt_close(struct da_device *dev)
{
	struct crypt_priv *p = dev->priv;
	if (!p)
		return;
	C->EVP_CIPHER_CTX_free(p->ctx);     /* cleanses its key schedule */
	C->EVP_CIPHER_CTX_free(p->essiv);
	if (p->gh)                          /* gcry_cipher_close wipes it */
		G->gcry_cipher_close(p->gh);
	if (p->gessiv)
		G->gcry_cipher_close(p->gessiv);
	pthread_mutex_destroy(&p->lock);
	da_device_unref(p->parent);
	free(p);
	dev->priv = NULL;
}

static const struct da_device_ops crypt_ops = {
	.read = crypt_read,
	.map_block = crypt_map,
	.contiguous = crypt_contig,
	.extent = crypt_extent,
	.close = crypt_close,
};

struct da_device *luks_crypt_device_new(const char *name,
					struct da_device *dev,
					const struct luks_meta *m,
					const unsigned char *vk, size_t vklen,
					da_error *err)
{
	const struct luks_seg *g = &m->segs[0];
	const char *need = NULL;
	if (!da_dl_crypto(&need)) {
		da_error_set(err, ENOENT, "%s: %s", name, need);
		return NULL;
	}
	struct crypt_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		da_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	const char *why = cipher_parse(m->cipher, (uint32_t)vklen, &p->cs);
	uint64_t size = g->dynamic || g->size > dev->size - m->payload
			? dev->size - m->payload : g->size;
	size -= size % m->sector_size;
	if (why || !size) {
		da_error_set(err, EINVAL, "%s: %s", name,
			     why ? why : "the payload is empty");
		free(p);
		return NULL;
	}
	p->parent = da_device_ref(dev);
	p->off = m->payload;
	p->sector = m->sector_size;
	p->iv_tweak = g->iv_tweak;
	pthread_mutex_init(&p->lock, NULL);
	bool ok;
	if (p->cs.galgo) {
		ok = !G->gcry_cipher_open(&p->gh, p->cs.galgo, p->cs.gmode, 0) &&
		     !G->gcry_cipher_setkey(p->gh, vk, vklen);
	} else {
		p->ctx = C->EVP_CIPHER_CTX_new();
		ok = p->ctx &&
		     C->EVP_DecryptInit_ex(p->ctx, p->cs.evp, NULL, vk, NULL) &&
		     C->EVP_CIPHER_CTX_set_padding(p->ctx, 0);
	}
	if (ok && p->cs.iv == IV_ESSIV && p->cs.galgo) {
		/* the same cipher in ecb mode, keyed with the hash */
		unsigned char salt[EVP_MAX_MD_SIZE];
		unsigned int slen = 0;
		ok = C->EVP_Digest(vk, vklen, salt, &slen, p->cs.essiv_hash, NULL);
		int algo = ok ? gcry_algo(p->cs.serpent, slen * 8) : 0;
		ok = algo &&
		     !G->gcry_cipher_open(&p->gessiv, algo, GCRY_CIPHER_MODE_ECB,
					  0) &&
		     !G->gcry_cipher_setkey(p->gessiv, salt, slen);
		explicit_bzero(salt, sizeof(salt));
	} else if (ok && p->cs.iv == IV_ESSIV) {
		/* ESSIV: the IV is the sector number encrypted with the
		 * hash of the volume key */
		unsigned char salt[EVP_MAX_MD_SIZE];
		unsigned int slen = 0;
		char ecb[32];
		ok = C->EVP_Digest(vk, vklen, salt, &slen, p->cs.essiv_hash, NULL);
		snprintf(ecb, sizeof(ecb), "aes-%u-ecb", slen * 8);
		const EVP_CIPHER *e = C->EVP_get_cipherbyname(ecb);
		p->essiv = C->EVP_CIPHER_CTX_new();
		ok = ok && e && p->essiv &&
		     C->EVP_EncryptInit_ex(p->essiv, e, NULL, salt, NULL) &&
		     C->EVP_CIPHER_CTX_set_padding(p->essiv, 0);
		explicit_bzero(salt, sizeof(salt));
	}
	if (!ok) {
		da_error_set(err, EINVAL, "%s: %s refused the key for "
			     "%s", name, p->cs.galgo ? "libgcrypt" : "libcrypto",
			     m->cipher);
		crypt_close(&(struct da_device){ .priv = p });
		return NULL;
	}
	struct da_device *d = da_device_alloc(&crypt_ops, name, size, p);
	if (!d) {
		crypt_close(&(struct da_device){ .priv = p });
		da_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	d->block_size = m->sector_size;
	return d;
}
