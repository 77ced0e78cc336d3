/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC Initial packet protection with OpenSSL libcrypto: HKDF keys, header mask, AES-GCM open. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "embargo_config.h"
#include "quic_crypto.h"

#if EMBARGO_HAVE_QUIC

#include <openssl/evp.h>
#include <openssl/kdf.h>

/* RFC 9001 section 5.2: the Initial secrets are SHA-256 sized. */
#define QUIC_SECRET_LEN 32
/* HkdfLabel of RFC 8446 section 7.1: 2-byte length, 1-byte label length, "tls13 " + label
 * (at most "tls13 quicv2 key" here), 1-byte empty context. */
#define QUIC_HKDF_LABEL_MAX 64

/*
 * HKDF (RFC 5869) with SHA-256. OpenSSL 3 has the EVP_KDF interface: one fetched HKDF context
 * serves all five steps of a key derivation, which costs a fraction of five EVP_PKEY contexts
 * (each of which fetches the implementation again). OpenSSL 1.1.1 has only EVP_PKEY_HKDF.
 */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L

#include <openssl/core_names.h>

struct quic_hkdf {
	EVP_KDF_CTX *ctx;
};

static int hkdf_open(struct quic_hkdf *h)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);

	h->ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf); /* the context keeps its own reference */
	return h->ctx != NULL ? 0 : -EIO;
}

static void hkdf_close(struct quic_hkdf *h)
{
	EVP_KDF_CTX_free(h->ctx);
	h->ctx = NULL;
}

/* Extract (salt != NULL: key is the IKM) or expand (salt == NULL: key is the PRK). */
static int hkdf_step(struct quic_hkdf *h, const uint8_t *salt, size_t salt_len, const uint8_t *key,
		     size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out,
		     size_t out_len)
{
	int mode = salt != NULL ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY : EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[6];
	size_t n = 0;

	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt != NULL) {
		params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
								salt_len);
	} else {
		params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
								info_len);
	}
	params[n] = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(h->ctx, out, out_len, params) > 0 ? 0 : -EIO;
}

#else /* OpenSSL 1.1.1 */

struct quic_hkdf {
	int unused;
};

static int hkdf_open(struct quic_hkdf *h)
{
	return 0;
}

static void hkdf_close(struct quic_hkdf *h)
{
}

static int hkdf_step(struct quic_hkdf *h, const uint8_t *salt, size_t salt_len, const uint8_t *key,
		     size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out,
		     size_t out_len)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	int mode =
		salt != NULL ? EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY : EVP_PKEY_HKDEF_MODE_EXPAND_ONLY;
	size_t n = out_len;
	int ok = p != NULL && EVP_PKEY_derive_init(p) > 0 && EVP_PKEY_CTX_hkdf_mode(p, mode) > 0 &&
		 EVP_PKEY_CTX_set_hkdf_md(p, EVP_sha256()) > 0 &&
		 EVP_PKEY_CTX_set1_hkdf_key(p, (unsigned char *)key, (int)key_len) > 0;
	if (ok && salt != NULL) {
		ok = EVP_PKEY_CTX_set1_hkdf_salt(p, (unsigned char *)salt, (int)salt_len) > 0;
	}
	if (ok && salt == NULL) {
		ok = EVP_PKEY_CTX_add1_hkdf_info(p, (unsigned char *)info, (int)info_len) > 0;
	}
	ok = ok && EVP_PKEY_derive(p, out, &n) > 0 && n == out_len;
	EVP_PKEY_CTX_free(p);
	return ok ? 0 : -EIO;
}

#endif

/* HKDF-Expand-Label(secret, prefix + label, "", out_len) of RFC 8446 section 7.1. */
static int expand_label(struct quic_hkdf *h, const uint8_t secret[QUIC_SECRET_LEN],
			const char *prefix, const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[QUIC_HKDF_LABEL_MAX];
	size_t plen = strlen(prefix);
	size_t llen = strlen(label);
	size_t full = sizeof("tls13 ") - 1 + plen + llen;
	size_t n = 0;

	if (4 + full > sizeof(info)) {
		return -EIO;
	}
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)full;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, prefix, plen);
	n += plen;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0; /* empty context */
	return hkdf_step(h, NULL, 0, secret, QUIC_SECRET_LEN, info, n, out, out_len);
}

int quic_crypto_client_keys(const uint8_t salt[QUIC_SALT_LEN], const char *label_prefix,
			    const uint8_t *dcid, size_t dcid_len, struct quic_keys *out)
{
	uint8_t initial[QUIC_SECRET_LEN];
	uint8_t client[QUIC_SECRET_LEN];
	struct quic_hkdf h;
	int rc = hkdf_open(&h);

	if (rc == 0) {
		rc = hkdf_step(&h, salt, QUIC_SALT_LEN, dcid, dcid_len, NULL, 0, initial,
			       sizeof(initial));
	}
	if (rc == 0) {
		rc = expand_label(&h, initial, "", "client in", client, sizeof(client));
	}
	if (rc == 0) {
		rc = expand_label(&h, client, label_prefix, " key", out->key, sizeof(out->key));
	}
	if (rc == 0) {
		rc = expand_label(&h, client, label_prefix, " iv", out->iv, sizeof(out->iv));
	}
	if (rc == 0) {
		rc = expand_label(&h, client, label_prefix, " hp", out->hp, sizeof(out->hp));
	}
	hkdf_close(&h);
	/* The secrets are public (derived from a DCID on the wire), but leave no copies around. */
	memset(initial, 0, sizeof(initial));
	memset(client, 0, sizeof(client));
	return rc;
}

void quic_crypto_free(struct quic_crypto *c)
{
	EVP_CIPHER_CTX_free(c->ecb);
	EVP_CIPHER_CTX_free(c->gcm);
	c->ecb = NULL;
	c->gcm = NULL;
}

int quic_crypto_hp_mask(struct quic_crypto *c, const uint8_t hp[QUIC_HP_LEN],
			const uint8_t sample[QUIC_HP_SAMPLE_LEN], uint8_t mask[QUIC_HP_MASK_LEN])
{
	uint8_t block[QUIC_HP_SAMPLE_LEN];
	int n = 0;

	if (c->ecb == NULL) {
		c->ecb = EVP_CIPHER_CTX_new();
		if (c->ecb == NULL) {
			return -EIO;
		}
	}
	if (EVP_EncryptInit_ex(c->ecb, EVP_aes_128_ecb(), NULL, hp, NULL) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(c->ecb, 0) <= 0 ||
	    EVP_EncryptUpdate(c->ecb, block, &n, sample, QUIC_HP_SAMPLE_LEN) <= 0 ||
	    n != QUIC_HP_SAMPLE_LEN) {
		return -EIO;
	}
	memcpy(mask, block, QUIC_HP_MASK_LEN);
	return 0;
}

int quic_crypto_open(struct quic_crypto *c, const struct quic_keys *k, uint64_t pn,
		     const struct span *aad, size_t naad, const uint8_t *ct, size_t ct_len,
		     const uint8_t tag[QUIC_TAG_LEN], uint8_t *out)
{
	uint8_t nonce[QUIC_IV_LEN];
	int n = 0;

	/* libcrypto takes lengths as int; no Initial comes near (a datagram is at most 64 KiB). */
	if (ct_len > INT_MAX) {
		return -EIO;
	}
	if (c->gcm == NULL) {
		c->gcm = EVP_CIPHER_CTX_new();
		if (c->gcm == NULL ||
		    EVP_DecryptInit_ex(c->gcm, EVP_aes_128_gcm(), NULL, NULL, NULL) <= 0) {
			return -EIO;
		}
	}
	/* RFC 9001 section 5.3: the 62-bit packet number, left-padded to the IV size, XOR iv. */
	memcpy(nonce, k->iv, sizeof(nonce));
	for (unsigned i = 0; i < 8; i++) {
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(pn >> (8 * i));
	}
	if (EVP_DecryptInit_ex(c->gcm, NULL, NULL, k->key, nonce) <= 0) {
		return -EIO;
	}
	for (size_t i = 0; i < naad; i++) {
		if (aad[i].len > 0 &&
		    EVP_DecryptUpdate(c->gcm, NULL, &n, aad[i].ptr, (int)aad[i].len) <= 0) {
			return -EIO;
		}
	}
	if (EVP_DecryptUpdate(c->gcm, out, &n, ct, (int)ct_len) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(c->gcm, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, (void *)tag) <= 0) {
		return -EIO;
	}
	int fin = 0;
	if (EVP_DecryptFinal_ex(c->gcm, out + n, &fin) <= 0) {
		return -EBADMSG;
	}
	return 0;
}

#else /* !EMBARGO_HAVE_QUIC: built without libcrypto, nothing can be decrypted. */

int quic_crypto_client_keys(const uint8_t salt[QUIC_SALT_LEN], const char *label_prefix,
			    const uint8_t *dcid, size_t dcid_len, struct quic_keys *out)
{
	return -ENOTSUP;
}

void quic_crypto_free(struct quic_crypto *c)
{
}

int quic_crypto_hp_mask(struct quic_crypto *c, const uint8_t hp[QUIC_HP_LEN],
			const uint8_t sample[QUIC_HP_SAMPLE_LEN], uint8_t mask[QUIC_HP_MASK_LEN])
{
	return -ENOTSUP;
}

int quic_crypto_open(struct quic_crypto *c, const struct quic_keys *k, uint64_t pn,
		     const struct span *aad, size_t naad, const uint8_t *ct, size_t ct_len,
		     const uint8_t tag[QUIC_TAG_LEN], uint8_t *out)
{
	return -ENOTSUP;
}

#endif
