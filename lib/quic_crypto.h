/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quic_crypto: Initial key derivation, header protection and AEAD for quic.c (libcrypto). */
#ifndef EMBARGO_QUIC_CRYPTO_H
#define EMBARGO_QUIC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"
#include "embargo/quic_keys.h"

/* RFC 9001 section 5.2: initial salts are 20 bytes. */
#define QUIC_SALT_LEN 20
/* RFC 9001 section 5.4.2: the header protection sample is 16 bytes; the mask uses 5. */
#define QUIC_HP_SAMPLE_LEN 16
#define QUIC_HP_MASK_LEN   5
/* RFC 9001 section 5.3: AEAD_AES_128_GCM expands the payload by a 16-byte tag. */
#define QUIC_TAG_LEN 16

/* libcrypto cipher contexts, made on first use and reused for every packet of one datagram;
 * opaque here so that quic.c needs no libcrypto header. */
struct quic_crypto {
	void *ecb; /* EVP_CIPHER_CTX for AES-128-ECB (header protection) */
	void *gcm; /* EVP_CIPHER_CTX for AES-128-GCM (payload) */
};

static inline void quic_crypto_init(struct quic_crypto *c)
{
	c->ecb = NULL;
	c->gcm = NULL;
}

/* Free the contexts of `c` (no-op for ones never made). */
void quic_crypto_free(struct quic_crypto *c);

/*
 * Client Initial keys: HKDF-Extract(salt, dcid), HKDF-Expand-Label(.., "client in", 32), then
 * "<prefix> key", "<prefix> iv", "<prefix> hp" where prefix is "quic" or "quicv2" (RFC 9001
 * section 5.2, RFC 9369 section 3.3.2). Returns 0, -ENOTSUP without libcrypto, -EIO on failure.
 */
int quic_crypto_client_keys(const uint8_t salt[QUIC_SALT_LEN], const char *label_prefix,
			    const uint8_t *dcid, size_t dcid_len, struct quic_keys *out);

/* mask = AES-ECB(hp, sample)[0..5) (RFC 9001 section 5.4.3). Returns 0 or -EIO / -ENOTSUP. */
int quic_crypto_hp_mask(struct quic_crypto *c, const uint8_t hp[QUIC_HP_LEN],
			const uint8_t sample[QUIC_HP_SAMPLE_LEN], uint8_t mask[QUIC_HP_MASK_LEN]);

/*
 * AEAD_AES_128_GCM open (RFC 9001 section 5.3): nonce = iv XOR packet number, associated data
 * the `naad` pieces of the unprotected header in order, `ct` the ciphertext of `ct_len` bytes
 * followed by the tag `tag`. Writes ct_len bytes of plaintext to `out`. Returns 0, or -EBADMSG
 * when the tag does not verify, -EIO / -ENOTSUP otherwise.
 */
int quic_crypto_open(struct quic_crypto *c, const struct quic_keys *k, uint64_t pn,
		     const struct span *aad, size_t naad, const uint8_t *ct, size_t ct_len,
		     const uint8_t tag[QUIC_TAG_LEN], uint8_t *out);

#endif
