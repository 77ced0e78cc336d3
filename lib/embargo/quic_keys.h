/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quic_keys: the Initial packet protection keys, the one type quic.c and quic_crypto.c share
 * (so that the crypto layer needs nothing else of quic.h). */
#ifndef EMBARGO_QUIC_KEYS_H
#define EMBARGO_QUIC_KEYS_H

#include <stdint.h>

/* Sizes of the Initial packet protection keys (RFC 9001 section 5: AEAD_AES_128_GCM). */
#define QUIC_KEY_LEN 16
#define QUIC_IV_LEN  12
#define QUIC_HP_LEN  16

/* Initial packet protection keys of one direction (RFC 9001 section 5.2). */
struct quic_keys {
	uint8_t key[QUIC_KEY_LEN]; /* AEAD key */
	uint8_t iv[QUIC_IV_LEN];   /* AEAD IV, XORed with the packet number for the nonce */
	uint8_t hp[QUIC_HP_LEN];   /* header protection key (AES-128-ECB) */
};

#endif
