/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Walk the frames of a decrypted QUIC packet payload and collect its CRYPTO data (RFC 9000 §19). */
#include "embargo/quic.h"
#include "embargo/rd.h"

/*
 * Frame types (RFC 9000 section 19 and table 3 in section 12.4; DATAGRAM from RFC 9221). Types
 * are variable-length integers; every type defined there is below 0x40.
 */
enum quic_frame_type {
	QUIC_FRAME_PADDING = 0x00,
	QUIC_FRAME_PING = 0x01,
	QUIC_FRAME_ACK = 0x02,
	QUIC_FRAME_ACK_ECN = 0x03,
	QUIC_FRAME_RESET_STREAM = 0x04,
	QUIC_FRAME_STOP_SENDING = 0x05,
	QUIC_FRAME_CRYPTO = 0x06,
	QUIC_FRAME_NEW_TOKEN = 0x07,
	QUIC_FRAME_STREAM = 0x08, /* 0x08..0x0f: low bits OFF (0x04), LEN (0x02), FIN (0x01) */
	QUIC_FRAME_MAX_DATA = 0x10,
	QUIC_FRAME_MAX_STREAM_DATA = 0x11,
	QUIC_FRAME_MAX_STREAMS_BIDI = 0x12,
	QUIC_FRAME_MAX_STREAMS_UNI = 0x13,
	QUIC_FRAME_DATA_BLOCKED = 0x14,
	QUIC_FRAME_STREAM_DATA_BLOCKED = 0x15,
	QUIC_FRAME_STREAMS_BLOCKED_BIDI = 0x16,
	QUIC_FRAME_STREAMS_BLOCKED_UNI = 0x17,
	QUIC_FRAME_NEW_CONNECTION_ID = 0x18,
	QUIC_FRAME_RETIRE_CONNECTION_ID = 0x19,
	QUIC_FRAME_PATH_CHALLENGE = 0x1a,
	QUIC_FRAME_PATH_RESPONSE = 0x1b,
	QUIC_FRAME_CONNECTION_CLOSE = 0x1c,
	QUIC_FRAME_CONNECTION_CLOSE_APP = 0x1d,
	QUIC_FRAME_HANDSHAKE_DONE = 0x1e,
	QUIC_FRAME_DATAGRAM = 0x30, /* RFC 9221: 0x30 runs to the end, 0x31 has a Length */
	QUIC_FRAME_DATAGRAM_LEN = 0x31,
};

/* RFC 9000 section 16: the largest value a variable-length integer holds; a CRYPTO frame whose
 * offset + length exceeds it is a FRAME_ENCODING_ERROR (section 19.6). */
#define QUIC_VARINT_MAX ((1ull << 62) - 1)
/* RFC 9000 section 19.8: PATH_CHALLENGE / PATH_RESPONSE carry 8 bytes of data. */
#define QUIC_PATH_DATA_LEN 8
/* RFC 9000 section 10.3: a stateless reset token is 16 bytes. */
#define QUIC_RESET_TOKEN_LEN 16

/* Skip a variable-length-integer length field and that many bytes. */
static void skip_counted(struct rd *r)
{
	uint64_t n = rd_quic_varint(r);
	if (n > rd_left(r)) {
		rd_fail(r);
		return;
	}
	rd_skip(r, (size_t)n);
}

/*
 * ACK frame (RFC 9000 section 19.3):
 *   Largest Acknowledged (i), ACK Delay (i), ACK Range Count (i), First ACK Range (i),
 *   ACK Range (..) x count: Gap (i), ACK Range Length (i),
 *   [type 0x03] ECN Counts: ECT0 (i), ECT1 (i), ECN-CE (i)
 * The range count is attacker-chosen up to 2^62; the loop stops at the first failed read, so
 * its cost is bounded by the payload length.
 */
static void skip_ack(struct rd *r, uint64_t type)
{
	(void)rd_quic_varint(r); /* largest acknowledged */
	(void)rd_quic_varint(r); /* ack delay */
	uint64_t count = rd_quic_varint(r);
	(void)rd_quic_varint(r); /* first ack range */
	for (uint64_t i = 0; i < count && rd_ok(r); i++) {
		(void)rd_quic_varint(r); /* gap */
		(void)rd_quic_varint(r); /* range length */
	}
	if (type == QUIC_FRAME_ACK_ECN) {
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
	}
}

/* CRYPTO frame (RFC 9000 section 19.6): Offset (i), Length (i), Crypto Data. */
static void read_crypto(struct rd *r, struct stream_buf *crypto, struct quic_frames *out)
{
	uint64_t off = rd_quic_varint(r);
	uint64_t n = rd_quic_varint(r);
	if (!rd_ok(r)) {
		return;
	}
	if (n > rd_left(r)) {
		rd_fail(r);
		return;
	}
	if (off > QUIC_VARINT_MAX - n) {
		out->reason = "crypto-offset-too-large";
		rd_fail(r);
		return;
	}
	const uint8_t *data = rd_ptr(r, (size_t)n);
	if (crypto != NULL && n > 0) {
		(void)stream_put(crypto, off, data, (size_t)n);
	}
	if (off + n > out->crypto_end) {
		out->crypto_end = off + n;
	}
	out->crypto++;
}

/* STREAM frame (RFC 9000 section 19.8): Stream ID (i), [Offset (i)], [Length (i)], Data; without
 * the LEN bit the data runs to the end of the packet. */
static void skip_stream(struct rd *r, uint64_t type)
{
	(void)rd_quic_varint(r);
	if (type & 0x04) {
		(void)rd_quic_varint(r);
	}
	if (type & 0x02) {
		skip_counted(r);
	} else {
		rd_skip(r, rd_left(r));
	}
}

/* Skip the body of a frame that has no effect here. Returns false for a type not known. */
static bool skip_other(struct rd *r, uint64_t type)
{
	switch (type) {
	case QUIC_FRAME_RESET_STREAM: /* stream id, error code, final size */
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
		return true;
	case QUIC_FRAME_STOP_SENDING:	     /* stream id, error code */
	case QUIC_FRAME_MAX_STREAM_DATA:     /* stream id, maximum */
	case QUIC_FRAME_STREAM_DATA_BLOCKED: /* stream id, limit */
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
		return true;
	case QUIC_FRAME_NEW_TOKEN: /* token length, token */
		skip_counted(r);
		return true;
	case QUIC_FRAME_MAX_DATA:
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
	case QUIC_FRAME_DATA_BLOCKED:
	case QUIC_FRAME_STREAMS_BLOCKED_BIDI:
	case QUIC_FRAME_STREAMS_BLOCKED_UNI:
	case QUIC_FRAME_RETIRE_CONNECTION_ID:
		(void)rd_quic_varint(r);
		return true;
	case QUIC_FRAME_NEW_CONNECTION_ID: {
		/* sequence, retire prior to, length (8 bits, 1..20), CID, reset token */
		(void)rd_quic_varint(r);
		(void)rd_quic_varint(r);
		uint8_t n = rd_u8(r);
		if (n < 1 || n > QUIC_CID_MAX) {
			rd_fail(r);
			return true;
		}
		rd_skip(r, n);
		rd_skip(r, QUIC_RESET_TOKEN_LEN);
		return true;
	}
	case QUIC_FRAME_PATH_CHALLENGE:
	case QUIC_FRAME_PATH_RESPONSE:
		rd_skip(r, QUIC_PATH_DATA_LEN);
		return true;
	case QUIC_FRAME_HANDSHAKE_DONE:
		return true;
	case QUIC_FRAME_DATAGRAM:
		rd_skip(r, rd_left(r));
		return true;
	case QUIC_FRAME_DATAGRAM_LEN:
		skip_counted(r);
		return true;
	}
	if (type >= QUIC_FRAME_STREAM && type <= (QUIC_FRAME_STREAM | 0x07)) {
		skip_stream(r, type);
		return true;
	}
	return false;
}

/*
 * CONNECTION_CLOSE (RFC 9000 section 19.19): Error Code (i), [0x1c only: Frame Type (i)],
 * Reason Phrase Length (i), Reason Phrase.
 */
static void read_close(struct rd *r, uint64_t type, struct quic_frames *out)
{
	out->close_error = rd_quic_varint(r);
	if (type == QUIC_FRAME_CONNECTION_CLOSE) {
		(void)rd_quic_varint(r);
	}
	skip_counted(r);
	out->close++;
}

/* RFC 9000 section 12.4, table 3: the only frames an Initial packet may carry. */
static bool allowed_in_initial(uint64_t type)
{
	return type == QUIC_FRAME_PADDING || type == QUIC_FRAME_PING || type == QUIC_FRAME_ACK ||
	       type == QUIC_FRAME_ACK_ECN || type == QUIC_FRAME_CRYPTO ||
	       type == QUIC_FRAME_CONNECTION_CLOSE;
}

enum parse_result quic_frames_walk(const uint8_t *payload, size_t len, struct stream_buf *crypto,
				   struct quic_frames *out)
{
	struct rd r = rd_make(payload, len);

	*out = (struct quic_frames){0};
	if (len == 0) {
		/* RFC 9000 section 12.4: a packet with no frames is a PROTOCOL_VIOLATION. */
		out->reason = "empty-payload";
		return PARSE_MALFORMED;
	}
	/* Each pass consumes at least one byte, so the loop is bounded by len. */
	while (rd_left(&r) > 0) {
		uint64_t type = rd_quic_varint(&r);
		if (!rd_ok(&r)) {
			break;
		}
		if (!allowed_in_initial(type)) {
			out->not_initial++;
		}
		switch (type) {
		case QUIC_FRAME_PADDING:
			/* Padding is most of an Initial: count the whole run at once. */
			out->padding++;
			while (rd_left(&r) > 0 && *r.pos == 0) {
				rd_skip(&r, 1);
				out->padding++;
			}
			break;
		case QUIC_FRAME_PING:
			out->ping++;
			break;
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			skip_ack(&r, type);
			out->ack++;
			break;
		case QUIC_FRAME_CRYPTO:
			read_crypto(&r, crypto, out);
			break;
		case QUIC_FRAME_CONNECTION_CLOSE:
		case QUIC_FRAME_CONNECTION_CLOSE_APP:
			read_close(&r, type, out);
			break;
		default:
			if (!skip_other(&r, type)) {
				out->unknown_type = type;
				out->reason = "unknown-frame";
				return PARSE_MALFORMED;
			}
			out->other++;
			break;
		}
	}
	if (!rd_ok(&r)) {
		if (out->reason == NULL) {
			out->reason = "truncated-frame";
		}
		return PARSE_MALFORMED;
	}
	return PARSE_OK;
}

/*
 * Google's T050/T051 protect IETF-style long header packets with TLS Initial keys but keep the
 * Google QUIC frame encoding inside (Chromium QUICHE quic_framer.cc, versions 46-51):
 *   0x00        PADDING: the rest of the packet
 *   0x07        PING
 *   0x08        CRYPTO: Offset (i), Length (i), Crypto Data (IETF variable-length integers)
 *   0x40..0x7f  ACK, type bits 01nullmm: n = ack blocks present, ll / mm = byte lengths
 *               (1, 2, 4, 6) of Largest Acked / ack block lengths:
 *               Largest Acked (ll), Ack Delay (16), [Num Blocks (8)], First Block (mm),
 *               Num Blocks x (Gap (8), Block (mm)), Num Timestamps (8),
 *               [Delta (8), Time (32), (Num Timestamps - 1) x (Delta (8), Time (16))]
 * Other frame types stop the walk.
 */
#define GQUIC_FRAME_PADDING 0x00
#define GQUIC_FRAME_PING    0x07
#define GQUIC_FRAME_CRYPTO  0x08
#define GQUIC_FRAME_ACK_MIN 0x40
#define GQUIC_FRAME_ACK_MAX 0x7f

static size_t gquic_len_code(unsigned code)
{
	static const size_t lens[4] = {1, 2, 4, 6};
	return lens[code & 0x03];
}

static void gquic_skip_ack(struct rd *r, uint8_t type)
{
	size_t largest = gquic_len_code(type >> 2);
	size_t block = gquic_len_code(type);

	rd_skip(r, largest);
	rd_skip(r, 2); /* ack delay, 16-bit float */
	unsigned blocks = (type & 0x20) ? rd_u8(r) : 0;
	rd_skip(r, block);
	for (unsigned i = 0; i < blocks && rd_ok(r); i++) {
		rd_skip(r, 1 + block);
	}
	unsigned stamps = rd_u8(r);
	if (stamps > 0) {
		rd_skip(r, 1 + 4);
		for (unsigned i = 1; i < stamps && rd_ok(r); i++) {
			rd_skip(r, 1 + 2);
		}
	}
}

enum parse_result quic_frames_walk_google(const uint8_t *payload, size_t len,
					  struct stream_buf *crypto, struct quic_frames *out)
{
	struct rd r = rd_make(payload, len);

	*out = (struct quic_frames){0};
	if (len == 0) {
		out->reason = "empty-payload";
		return PARSE_MALFORMED;
	}
	while (rd_left(&r) > 0) {
		uint8_t type = rd_u8(&r);
		if (type == GQUIC_FRAME_PADDING) {
			out->padding += (unsigned)rd_left(&r) + 1;
			rd_skip(&r, rd_left(&r));
		} else if (type == GQUIC_FRAME_PING) {
			out->ping++;
		} else if (type == GQUIC_FRAME_CRYPTO) {
			read_crypto(&r, crypto, out);
		} else if (type >= GQUIC_FRAME_ACK_MIN && type <= GQUIC_FRAME_ACK_MAX) {
			gquic_skip_ack(&r, type);
			out->ack++;
		} else {
			out->unknown_type = type;
			out->reason = "unknown-frame";
			return PARSE_MALFORMED;
		}
	}
	if (!rd_ok(&r)) {
		if (out->reason == NULL) {
			out->reason = "truncated-frame";
		}
		return PARSE_MALFORMED;
	}
	return PARSE_OK;
}
