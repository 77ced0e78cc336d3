/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-side QUIC packet builder: client Initials protected with OpenSSL, other long headers. */
#ifndef EMBARGO_TEST_QUIC_BUILDER_H
#define EMBARGO_TEST_QUIC_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "embargo/quic.h"

/* Append a QUIC variable-length integer of the smallest size (RFC 9000 section 16). */
static inline size_t qb_varint(uint8_t *out, uint64_t v)
{
	if (v < 0x40) {
		out[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x4000) {
		out[0] = (uint8_t)(0x40 | v >> 8);
		out[1] = (uint8_t)v;
		return 2;
	}
	if (v < 0x40000000) {
		out[0] = (uint8_t)(0x80 | v >> 24);
		out[1] = (uint8_t)(v >> 16);
		out[2] = (uint8_t)(v >> 8);
		out[3] = (uint8_t)v;
		return 4;
	}
	out[0] = (uint8_t)(0xc0 | v >> 56);
	for (unsigned i = 1; i < 8; i++) {
		out[i] = (uint8_t)(v >> (8 * (7 - i)));
	}
	return 8;
}

/* A CRYPTO frame carrying data[off, off+n) at stream offset off. */
static inline size_t qb_crypto(uint8_t *out, const uint8_t *data, uint64_t off, size_t n)
{
	size_t k = 0;
	out[k++] = 0x06;
	k += qb_varint(out + k, off);
	k += qb_varint(out + k, n);
	memcpy(out + k, data + off, n);
	return k + n;
}

/* A minimal TLS 1.3 ClientHello handshake message for `sni` (NULL: no server_name), with a
 * padding extension of `pad` bytes to make it as large as needed. Returns its length. */
static inline size_t qb_client_hello(uint8_t *out, const char *sni, size_t pad)
{
	size_t k = 4;
	out[k++] = 0x03;
	out[k++] = 0x03;
	for (unsigned i = 0; i < 32; i++) {
		out[k++] = (uint8_t)(0xa0 + i);
	}
	out[k++] = 0; /* session id */
	out[k++] = 0; /* cipher suites length */
	out[k++] = 2;
	out[k++] = 0x13; /* TLS_AES_128_GCM_SHA256 */
	out[k++] = 0x01;
	out[k++] = 1; /* compression methods */
	out[k++] = 0;
	size_t ext_len_at = k;
	k += 2;
	if (sni != NULL) {
		size_t n = strlen(sni);
		out[k++] = 0x00; /* server_name */
		out[k++] = 0x00;
		out[k++] = (uint8_t)((n + 5) >> 8);
		out[k++] = (uint8_t)(n + 5);
		out[k++] = (uint8_t)((n + 3) >> 8);
		out[k++] = (uint8_t)(n + 3);
		out[k++] = 0; /* host_name */
		out[k++] = (uint8_t)(n >> 8);
		out[k++] = (uint8_t)n;
		memcpy(out + k, sni, n);
		k += n;
	}
	if (pad > 0) {
		out[k++] = 0x00; /* padding (RFC 7685) */
		out[k++] = 0x15;
		out[k++] = (uint8_t)(pad >> 8);
		out[k++] = (uint8_t)pad;
		memset(out + k, 0, pad);
		k += pad;
	}
	size_t ext_len = k - ext_len_at - 2;
	out[ext_len_at] = (uint8_t)(ext_len >> 8);
	out[ext_len_at + 1] = (uint8_t)ext_len;
	size_t body = k - 4;
	out[0] = 0x01;
	out[1] = (uint8_t)(body >> 16);
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	return k;
}

/* Long header type bits for a packet kind in `version` (RFC 9000 17.2, RFC 9369 3.2). */
static inline uint8_t qb_type_bits(uint32_t version, enum quic_packet_kind kind)
{
	unsigned t = kind == QUIC_KIND_INITIAL	   ? 0
		     : kind == QUIC_KIND_0RTT	   ? 1
		     : kind == QUIC_KIND_HANDSHAKE ? 2
						   : 3;
	if (version == QUIC_VERSION_2) {
		t = (t + 1) & 3;
	}
	return (uint8_t)(t << 4);
}

/* What a protected client Initial should look like. */
struct qb_initial {
	uint32_t version;
	const uint8_t *dcid;
	size_t dcid_len;
	const uint8_t *scid;
	size_t scid_len;
	const uint8_t *token;
	size_t token_len;
	uint64_t pn;		      /* full packet number (nonce) */
	unsigned pn_len;	      /* 1..4 bytes on the wire: the low bytes of pn */
	uint8_t reserved;	      /* reserved bits (0x0c) to set, normally 0 */
	const struct quic_keys *keys; /* keys to protect with */
};

/*
 * Protect `payload` as a client Initial into `out`; the payload is padded with PADDING frames
 * to `pad_to` bytes (0: none). Returns the packet length. Follows RFC 9001 sections 5.3-5.4.
 */
static inline size_t qb_initial(uint8_t *out, const struct qb_initial *q, const uint8_t *payload,
				size_t plen, size_t pad_to)
{
	uint8_t plain[QUIC_DATAGRAM_MAX];
	size_t k = 0;

	memcpy(plain, payload, plen);
	if (pad_to > plen) {
		memset(plain + plen, 0, pad_to - plen);
		plen = pad_to;
	}
	out[k++] = (uint8_t)(0xc0 | qb_type_bits(q->version, QUIC_KIND_INITIAL) | q->reserved |
			     (q->pn_len - 1));
	out[k++] = (uint8_t)(q->version >> 24);
	out[k++] = (uint8_t)(q->version >> 16);
	out[k++] = (uint8_t)(q->version >> 8);
	out[k++] = (uint8_t)q->version;
	out[k++] = (uint8_t)q->dcid_len;
	memcpy(out + k, q->dcid, q->dcid_len);
	k += q->dcid_len;
	out[k++] = (uint8_t)q->scid_len;
	if (q->scid_len > 0) {
		memcpy(out + k, q->scid, q->scid_len);
	}
	k += q->scid_len;
	k += qb_varint(out + k, q->token_len);
	if (q->token_len > 0) {
		memcpy(out + k, q->token, q->token_len);
	}
	k += q->token_len;
	size_t length = q->pn_len + plen + 16;
	out[k++] = (uint8_t)(0x40 | length >> 8); /* always the 2-byte form */
	out[k++] = (uint8_t)length;
	size_t pn_off = k;
	for (unsigned i = 0; i < q->pn_len; i++) {
		out[k++] = (uint8_t)(q->pn >> (8 * (q->pn_len - 1 - i)));
	}
	uint8_t nonce[12];
	memcpy(nonce, q->keys->iv, 12);
	for (unsigned i = 0; i < 8; i++) {
		nonce[11 - i] ^= (uint8_t)(q->pn >> (8 * i));
	}
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, q->keys->key, nonce);
	EVP_EncryptUpdate(c, NULL, &n, out, (int)k);
	EVP_EncryptUpdate(c, out + k, &n, plain, (int)plen);
	EVP_EncryptFinal_ex(c, out + k + plen, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + k + plen);
	k += plen + 16;
	uint8_t mask[16];
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, q->keys->hp, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, mask, &n, out + pn_off + 4, 16);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (unsigned i = 0; i < q->pn_len; i++) {
		out[pn_off + i] ^= mask[1 + i];
	}
	return k;
}

/* An unprotected-looking long header packet of another kind with `body_len` filler bytes
 * after the Length field (a 0-RTT or Handshake packet needs no valid crypto to be skipped). */
static inline size_t qb_long_other(uint8_t *out, uint32_t version, enum quic_packet_kind kind,
				   const uint8_t *dcid, size_t dcid_len, size_t body_len)
{
	size_t k = 0;
	out[k++] = (uint8_t)(0xc0 | qb_type_bits(version, kind) | 0x03);
	out[k++] = (uint8_t)(version >> 24);
	out[k++] = (uint8_t)(version >> 16);
	out[k++] = (uint8_t)(version >> 8);
	out[k++] = (uint8_t)version;
	out[k++] = (uint8_t)dcid_len;
	memcpy(out + k, dcid, dcid_len);
	k += dcid_len;
	out[k++] = 0;
	if (kind != QUIC_KIND_RETRY) {
		out[k++] = (uint8_t)(0x40 | body_len >> 8);
		out[k++] = (uint8_t)body_len;
	}
	for (size_t i = 0; i < body_len; i++) {
		out[k++] = (uint8_t)(0x5a ^ i);
	}
	return k;
}

#endif
