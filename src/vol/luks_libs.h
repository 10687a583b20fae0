/* libcrypto, libcryptsetup and libgcrypt, loaded when a LUKS volume needs
 * them (dl.h): libcrypto when a LUKS2 header's checksum is checked or a
 * volume is decrypted, libcryptsetup only when a key is given, libgcrypt
 * only for the ciphers OpenSSL lacks (serpent, twofish).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_LUKS_LIBS_H
#define DA_LUKS_LIBS_H

#include <gcrypt.h>
#include <libcryptsetup.h>
#include <openssl/evp.h>

#include "../dl.h"

#define CRYPTO_FUNCS(X) X(EVP_get_digestbyname) X(EVP_get_cipherbyname)     \
	X(EVP_MD_get_size) X(EVP_Digest) X(EVP_CIPHER_get_key_length)        \
	X(EVP_CIPHER_get_iv_length) X(EVP_CIPHER_CTX_new)                    \
	X(EVP_CIPHER_CTX_free) X(EVP_CIPHER_CTX_set_padding)                 \
	X(EVP_DecryptInit_ex) X(EVP_DecryptUpdate) X(EVP_DecryptFinal_ex)    \
	X(EVP_EncryptInit_ex) X(EVP_EncryptUpdate)
DA_DL_DECLARE(crypto, CRYPTO_FUNCS)

#define CRYPTSETUP_FUNCS(X) X(crypt_init) X(crypt_load) X(crypt_free)       \
	X(crypt_set_log_callback) X(crypt_volume_key_get)
DA_DL_DECLARE(cryptsetup, CRYPTSETUP_FUNCS)

#define GCRYPT_FUNCS(X) X(gcry_check_version) X(gcry_cipher_open)           \
	X(gcry_cipher_close) X(gcry_cipher_setkey) X(gcry_cipher_setiv)      \
	X(gcry_cipher_encrypt) X(gcry_cipher_decrypt)                        \
	X(gcry_cipher_get_algo_keylen)
DA_DL_DECLARE(gcrypt, GCRYPT_FUNCS)

#endif
