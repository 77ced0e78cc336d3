/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gquic: the server name of Google QUIC's unencrypted client hello (CHLO), versions Q024-Q046. */
#ifndef EMBARGO_GQUIC_H
#define EMBARGO_GQUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"

/* Largest number of tag/value pairs in a handshake message; Chromium's crypto framer refuses
 * more (QUICHE crypto_framer.cc, kMaxEntries = 128). */
#define GQUIC_CHLO_TAGS_MAX 128

struct gquic_result {
	uint32_t version;   /* as on the wire, e.g. 0x51303436 for "Q046"; 0 when not read */
	struct span cid;    /* connection ID (the DCID of a long header), empty when absent */
	unsigned tags;	    /* tag/value pairs in the CHLO */
	bool has_sni;	    /* the CHLO has an SNI tag */
	struct span sni;    /* its value: raw bytes in the datagram, not validated */
	const char *reason; /* static string: why the result is not PARSE_OK; NULL otherwise */
};

/*
 * Find the client hello in one UDP payload sent by a Google QUIC client: a STREAM frame on the
 * crypto stream (stream 1) whose data starts with a "CHLO" handshake message, in a packet
 * protected only by the null encryption's 12-byte hash. The public header of Q024-Q043 and the
 * long header of Q046 are read; spans point into `udp_payload`.
 *
 * Returns PARSE_OK when a CHLO was found (has_sni says whether it names a server),
 * PARSE_NOT_MINE when this is not a gQUIC client packet carrying a CHLO: not gQUIC at all,
 * no version in the header, a server or reset packet, an encrypted version ("gquic-encrypted"
 * for Q050 and later, "gquic-tls" for T0xx, which quic.c reads), another version
 * ("gquic-unsupported-version"), or no CHLO in the frames; PARSE_MALFORMED when a CHLO or its
 * frame breaks the format (out->reason).
 */
enum parse_result gquic_chlo_sni(const uint8_t *udp_payload, size_t len, struct gquic_result *out);

#endif
