/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Google QUIC: read the SNI tag of the unencrypted client hello (CHLO). */
#include <string.h>

#include "embargo/gquic.h"
#include "embargo/rd.h"

/*
 * Google QUIC, as Chromium's QUICHE implemented it (quic_framer.cc, crypto_framer.cc) and its
 * public design notes describe it. Two packet headers carry a client's version:
 *
 * Public header (Q024-Q043):
 *   Public Flags (8): 0x01 version present, 0x02 public reset, 0x04 diversification nonce
 *     (server only since Q033), 0x08 8-byte connection ID (0x0c before Q033), 0x30 packet
 *     number length (1, 2, 4, 6 bytes), 0x40 reserved, 0x80 unused (0)
 *   Connection ID (64), Version (32, "Qnnn"), Packet Number (8..48)
 *
 * Long header (Q046; IETF invariants, RFC 8999):
 *   |1|1|T T|0 0|PN| (T 0 = Initial), Version (32), DCIL|SCIL (4 bits each: 0, or length - 3),
 *   DCID, SCID, Packet Number (8..32)
 *
 * Then the null encryption: a 12-byte FNV-1a-128 hash, and before Q034 one private flags byte.
 * Frames: 0x00 PADDING (to the end), 0x07 PING, 0x80..0xff STREAM:
 *   |1|F|D|O O O|S S| F fin, D 16-bit data length present, OOO offset length (0 or OOO + 1
 *   bytes), SS stream ID length (SS + 1 bytes); fields little-endian before Q039.
 * The crypto stream is stream 1. A handshake message (all little-endian):
 *   Tag (32) "CHLO", Num Entries (16), Padding (16), Num Entries x (Tag (32), End Offset (32)),
 *   Values; each value runs from the previous end offset to its own, tags strictly increasing.
 * Q050 and later encrypt their Initial packets; T0xx use TLS (quic.c).
 */

#define GQUIC_FLAG_VERSION  0x01
#define GQUIC_FLAG_RESET    0x02
#define GQUIC_FLAG_NONCE    0x04
#define GQUIC_FLAG_CID8	    0x08
#define GQUIC_FLAG_CID_OLD  0x0c /* 8-byte connection ID before Q033 */
#define GQUIC_FLAG_RESERVED 0x40
#define GQUIC_NULL_HASH_LEN 12 /* FNV-1a-128 truncated to 96 bits */
#define GQUIC_CID_LEN	    8
#define GQUIC_CRYPTO_STREAM 1
#define GQUIC_FRAME_PADDING 0x00
#define GQUIC_FRAME_PING    0x07
#define GQUIC_FRAME_STREAM  0x80
#define GQUIC_TAG(a, b, c, d)                                                                      \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define GQUIC_TAG_CHLO GQUIC_TAG('C', 'H', 'L', 'O')
#define GQUIC_TAG_SNI  GQUIC_TAG('S', 'N', 'I', 0)

/* Versions whose client packets carry a readable CHLO; older ones are not seen any more. */
#define GQUIC_PUBLIC_HEADER_MIN 24
#define GQUIC_PUBLIC_HEADER_MAX 43
#define GQUIC_LONG_HEADER_VER	46
/* From Q050 the Initial packets are encrypted. */
#define GQUIC_ENCRYPTED_MIN 50

/* Little-endian readers on the shared cursor (gQUIC handshake messages are little-endian). */
static uint32_t read_le(struct rd *r, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v |= (uint32_t)rd_u8(r) << (8 * i);
	}
	return v;
}

/* An n-byte unsigned field in the frame's byte order. */
static uint64_t read_field(struct rd *r, size_t n, bool big_endian)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t b = rd_u8(r);
		v |= big_endian ? b << (8 * (n - 1 - i)) : b << (8 * i);
	}
	return v;
}

/* "Qnnn" -> nnn, or -1 when the version is not of that form. */
static int version_number(uint32_t version, uint8_t letter)
{
	uint8_t c[4] = {(uint8_t)(version >> 24), (uint8_t)(version >> 16), (uint8_t)(version >> 8),
			(uint8_t)version};
	if (c[0] != letter) {
		return -1;
	}
	int n = 0;
	for (unsigned i = 1; i < 4; i++) {
		if (c[i] < '0' || c[i] > '9') {
			return -1;
		}
		n = n * 10 + (c[i] - '0');
	}
	return n;
}

/* Parse the handshake message at the start of the crypto stream data `r`. */
static enum parse_result chlo_parse(struct rd *r, struct gquic_result *out)
{
	if (rd_left(r) < 4 || read_le(r, 4) != GQUIC_TAG_CHLO) {
		out->reason = "gquic-no-chlo";
		return PARSE_NOT_MINE;
	}
	uint32_t n = read_le(r, 2);
	rd_skip(r, 2);
	if (!rd_ok(r)) {
		out->reason = "chlo-truncated";
		return PARSE_MALFORMED;
	}
	if (n > GQUIC_CHLO_TAGS_MAX) {
		out->reason = "chlo-too-many-tags";
		return PARSE_MALFORMED;
	}
	struct rd index = rd_sub(r, (size_t)n * 8);
	uint32_t prev_tag = 0;
	uint32_t prev_end = 0;
	uint32_t sni_start = 0, sni_end = 0;
	for (uint32_t i = 0; i < n && rd_ok(&index); i++) {
		uint32_t tag = read_le(&index, 4);
		uint32_t end = read_le(&index, 4);
		if (i > 0 && tag <= prev_tag) {
			out->reason = "chlo-tag-order";
			return PARSE_MALFORMED;
		}
		if (end < prev_end) {
			out->reason = "chlo-offsets";
			return PARSE_MALFORMED;
		}
		if (tag == GQUIC_TAG_SNI) {
			out->has_sni = true;
			sni_start = prev_end;
			sni_end = end;
		}
		prev_tag = tag;
		prev_end = end;
	}
	if (!rd_ok(&index) || prev_end > rd_left(r)) {
		out->has_sni = false;
		out->reason = "chlo-truncated";
		return PARSE_MALFORMED;
	}
	out->tags = n;
	if (out->has_sni) {
		rd_skip(r, sni_start);
		out->sni.len = sni_end - sni_start;
		out->sni.ptr = rd_ptr(r, out->sni.len);
	}
	return PARSE_OK;
}

/* Walk the frames after the null-encryption hash up to the crypto stream's STREAM frame. */
static enum parse_result frames_walk(struct rd *r, bool big_endian, struct gquic_result *out)
{
	while (rd_left(r) > 0) {
		uint8_t type = rd_u8(r);
		if (type == GQUIC_FRAME_PADDING) {
			break;
		}
		if (type == GQUIC_FRAME_PING) {
			continue;
		}
		if ((type & GQUIC_FRAME_STREAM) == 0) {
			/* ACK, STOP_WAITING and the rest do not come before a first CHLO. */
			out->reason = "gquic-unsupported-frame";
			return PARSE_NOT_MINE;
		}
		unsigned off_code = (type >> 2) & 0x07;
		size_t off_len = off_code == 0 ? 0 : off_code + 1u;
		size_t sid_len = (type & 0x03) + 1u;
		uint64_t sid = read_field(r, sid_len, big_endian);
		(void)read_field(r, off_len, big_endian);
		size_t data_len = (type & 0x20) ? (size_t)read_field(r, 2, big_endian) : rd_left(r);
		struct rd data = rd_sub(r, data_len);
		if (!rd_ok(r)) {
			out->reason = "truncated-frame";
			return PARSE_MALFORMED;
		}
		if (sid == GQUIC_CRYPTO_STREAM) {
			return chlo_parse(&data, out);
		}
	}
	out->reason = "gquic-no-chlo";
	return PARSE_NOT_MINE;
}

/* Classify a version found in a header: which of ours can be read. */
static enum parse_result check_version(uint32_t version, bool long_header, struct gquic_result *out)
{
	int n = version_number(version, 'Q');

	if (n < 0) {
		out->reason = version_number(version, 'T') >= 0 ? "gquic-tls" : "not-gquic";
		return PARSE_NOT_MINE;
	}
	if (n >= GQUIC_ENCRYPTED_MIN) {
		out->reason = "gquic-encrypted";
		return PARSE_NOT_MINE;
	}
	bool ok = long_header ? n == GQUIC_LONG_HEADER_VER
			      : n >= GQUIC_PUBLIC_HEADER_MIN && n <= GQUIC_PUBLIC_HEADER_MAX;
	if (!ok) {
		out->reason = "gquic-unsupported-version";
		return PARSE_NOT_MINE;
	}
	return PARSE_OK;
}

/* Q046 long header, after its first byte: PARSE_OK with the cursor at the null hash. */
static enum parse_result long_header(struct rd *r, uint8_t first, struct gquic_result *out)
{
	out->version = rd_u32be(r);
	enum parse_result v = check_version(out->version, true, out);
	if (!rd_ok(r) || v != PARSE_OK) {
		if (out->reason == NULL) {
			out->reason = "not-gquic";
		}
		return PARSE_NOT_MINE;
	}
	if (((first >> 4) & 0x03) != 0) {
		/* 0-RTT and Handshake packets are encrypted; Retry comes from servers. */
		out->reason = "gquic-not-initial";
		return PARSE_NOT_MINE;
	}
	uint8_t cil = rd_u8(r);
	size_t dcil = (cil >> 4) == 0 ? 0 : (cil >> 4) + 3u;
	size_t scil = (cil & 0x0f) == 0 ? 0 : (cil & 0x0f) + 3u;
	out->cid.ptr = rd_ptr(r, dcil);
	out->cid.len = out->cid.ptr != NULL ? dcil : 0;
	rd_skip(r, scil);
	rd_skip(r, (first & 0x03) + 1u);
	return PARSE_OK;
}

/* Q024-Q043 public header, after its flags byte: PARSE_OK with the cursor at the null hash. */
static enum parse_result public_header(struct rd *r, uint8_t flags, struct gquic_result *out)
{
	static const size_t pn_lens[4] = {1, 2, 4, 6};

	if (flags & (GQUIC_FLAG_RESERVED | GQUIC_FLAG_RESET)) {
		out->reason = (flags & GQUIC_FLAG_RESERVED) ? "not-gquic" : "gquic-reset";
		return PARSE_NOT_MINE;
	}
	if ((flags & GQUIC_FLAG_VERSION) == 0) {
		out->reason = "gquic-no-version";
		return PARSE_NOT_MINE;
	}
	if ((flags & GQUIC_FLAG_CID_OLD) != GQUIC_FLAG_CID_OLD &&
	    (flags & GQUIC_FLAG_CID_OLD) != GQUIC_FLAG_CID8) {
		/* A client's first packets carry the 8-byte connection ID; without it (or with a
		 * server's nonce) this is not a client hello packet. */
		out->reason = "not-gquic";
		return PARSE_NOT_MINE;
	}
	out->cid.ptr = rd_ptr(r, GQUIC_CID_LEN);
	out->cid.len = out->cid.ptr != NULL ? GQUIC_CID_LEN : 0;
	out->version = rd_u32be(r);
	if (!rd_ok(r)) {
		out->reason = "not-gquic";
		return PARSE_NOT_MINE;
	}
	if (check_version(out->version, false, out) != PARSE_OK) {
		return PARSE_NOT_MINE;
	}
	rd_skip(r, pn_lens[(flags >> 4) & 0x03]);
	return PARSE_OK;
}

enum parse_result gquic_chlo_sni(const uint8_t *udp_payload, size_t len, struct gquic_result *out)
{
	struct rd r = rd_make(udp_payload, len);

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		out->reason = "empty";
		return PARSE_NOT_MINE;
	}
	uint8_t first = rd_u8(&r);
	enum parse_result h =
		(first & 0x80) ? long_header(&r, first, out) : public_header(&r, first, out);
	if (h != PARSE_OK) {
		return h;
	}
	int n = version_number(out->version, 'Q');
	rd_skip(&r, GQUIC_NULL_HASH_LEN);
	if (n < 34) {
		rd_skip(&r, 1); /* private flags */
	}
	if (!rd_ok(&r)) {
		out->reason = "truncated-packet";
		return PARSE_MALFORMED;
	}
	return frames_walk(&r, n >= 39, out);
}
