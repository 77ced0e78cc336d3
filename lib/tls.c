/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS ClientHello parsing from a record stream or a bare handshake message (RFC 8446 4.1.2,
 * RFC 5246 7.4.1.2, RFC 6066 section 3, RFC 7301 section 3.1). */
#include <string.h>

#include "embargo/rd.h"
#include "embargo/tls.h"

#define TLS_CONTENT_HANDSHAKE	   22
#define TLS_HANDSHAKE_CLIENT_HELLO 1
#define TLS_RECORD_HEADER_LEN	   5
#define TLS_HANDSHAKE_HEADER_LEN   4
/* RFC 8446 section 5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
#define TLS_RECORD_PLAINTEXT_MAX 16384
#define TLS_RANDOM_LEN		 32
#define TLS_SESSION_ID_MAX	 32 /* RFC 8446 section 4.1.2: legacy_session_id <0..32> */
#define TLS_SNI_HOST_NAME	 0  /* RFC 6066 section 3: NameType host_name */
/* Extensions remembered to find duplicates (RFC 8446 section 4.2: at most one of each type). */
#define TLS_EXTENSIONS_MAX 128
/* SSLv2-compatible CLIENT-HELLO (RFC 5246 appendix E.2): message type 1 after a 2-byte length
 * with the high bit set. */
#define SSL2_MT_CLIENT_HELLO 1

/* GREASE values (RFC 8701) are 0x?A?A with both bytes equal. */
static bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static bool ext_seen_before(uint16_t *seen, size_t *nseen, uint16_t type)
{
	for (size_t i = 0; i < *nseen; i++) {
		if (seen[i] == type) {
			return true;
		}
	}
	if (*nseen < TLS_EXTENSIONS_MAX) {
		seen[(*nseen)++] = type;
	}
	return false;
}

/*
 * server_name extension body (RFC 6066 section 3):
 *   ServerNameList: uint16 length { NameType (1) | HostName <1..2^16-1> }...
 * The first host_name entry is the name.
 */
static bool parse_sni(struct rd ext, struct tls_hello *out)
{
	uint16_t list_len = rd_u16be(&ext);
	struct rd list = rd_sub(&ext, list_len);
	if (!rd_done(&ext) || list_len == 0) {
		return false;
	}
	while (rd_left(&list) > 0) {
		uint8_t type = rd_u8(&list);
		uint16_t len = rd_u16be(&list);
		const uint8_t *name = rd_ptr(&list, len);
		if (!rd_ok(&list)) {
			return false;
		}
		if (type == TLS_SNI_HOST_NAME && !out->has_sni) {
			out->has_sni = true;
			out->sni.ptr = name;
			out->sni.len = len;
		}
	}
	return rd_ok(&list);
}

/* ALPN extension body (RFC 7301 section 3.1): uint16 list length { uint8 len | name }... */
static bool parse_alpn(struct rd ext, struct tls_hello *out)
{
	uint16_t list_len = rd_u16be(&ext);
	struct rd list = rd_sub(&ext, list_len);
	if (!rd_done(&ext)) {
		return false;
	}
	out->alpn.ptr = list.pos;
	out->alpn.len = list_len;
	bool first = true;
	while (rd_left(&list) > 0) {
		uint8_t len = rd_u8(&list);
		const uint8_t *proto = rd_ptr(&list, len);
		if (!rd_ok(&list) || len == 0) {
			return false;
		}
		if (first) {
			out->alpn_first.ptr = proto;
			out->alpn_first.len = len;
			first = false;
		}
	}
	return rd_ok(&list);
}

/* supported_versions in a ClientHello (RFC 8446 section 4.2.1): uint8 length, uint16 versions. */
static bool parse_versions(struct rd ext, struct tls_hello *out)
{
	uint8_t len = rd_u8(&ext);
	struct rd list = rd_sub(&ext, len);
	if (!rd_done(&ext) || len % 2 != 0) {
		return false;
	}
	while (rd_left(&list) > 0) {
		uint16_t v = rd_u16be(&list);
		if (!is_grease(v) && v > out->max_version) {
			out->max_version = v;
		}
	}
	return rd_ok(&list);
}

/*
 * encrypted_client_hello in a ClientHelloOuter (draft-ietf-tls-esni section 5):
 *   type (1: outer 0) | cipher_suite (kdf 2, aead 2) | config_id (1) | enc <0..2^16-1> |
 *   payload <1..2^16-1>
 * Only noted: a body in another form does not make the hello malformed (the server decides).
 */
static void parse_ech(struct rd ext, struct tls_hello *out)
{
	uint8_t type = rd_u8(&ext);
	rd_skip(&ext, 4);
	uint8_t config_id = rd_u8(&ext);
	rd_skip(&ext, rd_u16be(&ext));
	uint16_t payload = rd_u16be(&ext);
	rd_skip(&ext, payload);
	if (rd_done(&ext) && type == 0 && payload > 0) {
		out->ech_outer = true;
		out->ech_config_id = config_id;
	}
}

static enum parse_result parse_extensions(struct rd *r, struct tls_hello *out)
{
	uint16_t seen[TLS_EXTENSIONS_MAX];
	size_t nseen = 0;
	uint16_t total = rd_u16be(r);
	struct rd exts = rd_sub(r, total);
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	while (rd_left(&exts) > 0) {
		uint16_t type = rd_u16be(&exts);
		uint16_t len = rd_u16be(&exts);
		struct rd body = rd_sub(&exts, len);
		if (!rd_ok(&exts)) {
			return PARSE_MALFORMED;
		}
		if (ext_seen_before(seen, &nseen, type)) {
			return PARSE_MALFORMED;
		}
		bool ok = true;
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			ok = parse_sni(body, out);
			break;
		case TLS_EXT_ALPN:
			ok = parse_alpn(body, out);
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			ok = parse_versions(body, out);
			break;
		case TLS_EXT_ECH:
			out->has_ech = true;
			parse_ech(body, out);
			break;
		case TLS_EXT_ESNI:
			out->has_esni = true;
			break;
		default:
			break;
		}
		if (!ok) {
			return PARSE_MALFORMED;
		}
	}
	return PARSE_OK;
}

/*
 * ClientHello body (after the 4-byte handshake header), RFC 8446 section 4.1.2:
 *   legacy_version (2) | random (32) | legacy_session_id <0..32> |
 *   cipher_suites <2..2^16-2> | legacy_compression_methods <1..2^8-1> |
 *   extensions <8..2^16-1> (absent in old hellos)
 */
static enum parse_result parse_hello_body(struct rd body, struct tls_hello *out)
{
	out->legacy_version = rd_u16be(&body);
	rd_skip(&body, TLS_RANDOM_LEN);
	uint8_t sid_len = rd_u8(&body);
	rd_skip(&body, sid_len);
	uint16_t cs_len = rd_u16be(&body);
	rd_skip(&body, cs_len);
	uint8_t comp_len = rd_u8(&body);
	rd_skip(&body, comp_len);
	if (!rd_ok(&body) || sid_len > TLS_SESSION_ID_MAX || cs_len < 2 || cs_len % 2 != 0 ||
	    comp_len < 1) {
		return PARSE_MALFORMED;
	}
	out->max_version = out->legacy_version;
	if (rd_left(&body) == 0) {
		return PARSE_OK; /* a hello without extensions (SSL 3.0 / TLS 1.0 style) */
	}
	enum parse_result r = parse_extensions(&body, out);
	if (r != PARSE_OK) {
		return r;
	}
	/* Nothing may follow the extensions inside the handshake message. */
	return rd_done(&body) ? PARSE_OK : PARSE_MALFORMED;
}

static void hello_clear(struct tls_hello *out)
{
	memset(out, 0, sizeof(*out));
}

enum parse_result tls_handshake_hello(const uint8_t *buf, size_t len, struct tls_hello *out)
{
	struct rd r = rd_make(buf, len);

	hello_clear(out);
	if (len < 1) {
		return PARSE_NEED_MORE;
	}
	if (buf[0] != TLS_HANDSHAKE_CLIENT_HELLO) {
		return PARSE_NOT_MINE;
	}
	if (len < TLS_HANDSHAKE_HEADER_LEN) {
		return PARSE_NEED_MORE;
	}
	rd_skip(&r, 1);
	uint32_t body_len = rd_u24be(&r);
	if (body_len + TLS_HANDSHAKE_HEADER_LEN > TLS_HELLO_MAX) {
		return PARSE_MALFORMED;
	}
	if (rd_left(&r) < body_len) {
		return PARSE_NEED_MORE;
	}
	out->hello_len = body_len + TLS_HANDSHAKE_HEADER_LEN;
	enum parse_result res = parse_hello_body(rd_sub(&r, body_len), out);
	if (res != PARSE_OK) {
		struct tls_hello keep = *out;
		hello_clear(out);
		out->hello_len = keep.hello_len;
	}
	return res;
}

/*
 * SSLv2-compatible hello (RFC 5246 appendix E.2): 2-byte length with the high bit set, msg_type
 * 1, version, then cipher/session/challenge lengths. It has no extensions, so no name.
 */
static enum parse_result sslv2_hello(const uint8_t *buf, size_t len, struct tls_hello *out)
{
	struct rd r = rd_make(buf, len);
	uint16_t rec_len = rd_u16be(&r) & 0x7fff;
	uint8_t type = rd_u8(&r);
	uint16_t version = rd_u16be(&r);
	if (!rd_ok(&r)) {
		return PARSE_NEED_MORE;
	}
	if (type != SSL2_MT_CLIENT_HELLO || (version >> 8) > 3 || rec_len < 9) {
		return PARSE_NOT_MINE;
	}
	if (len - 2 < rec_len) {
		return PARSE_NEED_MORE;
	}
	out->is_sslv2 = true;
	out->legacy_version = version;
	out->max_version = version;
	out->hello_len = rec_len;
	out->stream_len = (size_t)rec_len + 2;
	return PARSE_OK;
}

/* Is this the start of a TLS handshake record? 0x16 0x03 0x0X. */
static enum parse_result record_start(const uint8_t *buf, size_t len)
{
	if (buf[0] != TLS_CONTENT_HANDSHAKE) {
		return PARSE_NOT_MINE;
	}
	if (len >= 2 && buf[1] != 0x03) {
		return PARSE_NOT_MINE;
	}
	return PARSE_OK;
}

enum parse_result tls_stream_hello(const uint8_t *buf, size_t len, uint8_t *scratch,
				   size_t scratch_size, struct tls_hello *out)
{
	hello_clear(out);
	if (len == 0) {
		return PARSE_NEED_MORE;
	}
	if ((buf[0] & 0x80) != 0) {
		return sslv2_hello(buf, len, out);
	}
	if (record_start(buf, len) != PARSE_OK) {
		return PARSE_NOT_MINE;
	}

	/* Walk records; the handshake message is read from the first record's fragment when it
	 * fits there, else joined into scratch. */
	struct rd r = rd_make(buf, len);
	size_t joined = 0; /* bytes of handshake data gathered so far */
	size_t need = 0;   /* total handshake message bytes, once the header is known */
	const uint8_t *first = NULL;
	size_t first_len = 0;
	unsigned records = 0;

	while (rd_left(&r) > 0) {
		if (rd_left(&r) < TLS_RECORD_HEADER_LEN) {
			/* A partial header: its first bytes must still look like a record. */
			if (record_start(r.pos, rd_left(&r)) != PARSE_OK) {
				return PARSE_MALFORMED;
			}
			return PARSE_NEED_MORE;
		}
		uint8_t type = rd_u8(&r);
		uint8_t major = rd_u8(&r);
		rd_skip(&r, 1);
		uint16_t rec_len = rd_u16be(&r);
		if (type != TLS_CONTENT_HANDSHAKE || major != 3) {
			/* Another record before the hello completed. */
			return records == 0 ? PARSE_NOT_MINE : PARSE_MALFORMED;
		}
		if (rec_len == 0 || rec_len > TLS_RECORD_PLAINTEXT_MAX) {
			return PARSE_MALFORMED;
		}
		records++;
		size_t avail = rd_left(&r) < rec_len ? rd_left(&r) : rec_len;
		const uint8_t *frag = rd_ptr(&r, avail);
		if (records == 1) {
			first = frag;
			first_len = avail;
		} else {
			if (records == 2) {
				/* Switch to scratch: copy what the first record had. */
				if (first_len > scratch_size) {
					return PARSE_MALFORMED;
				}
				memcpy(scratch, first, first_len);
				joined = first_len;
			}
			size_t take = avail;
			if (need > 0 && joined + take > need) {
				take = need - joined;
			}
			if (joined + take > scratch_size) {
				return PARSE_MALFORMED;
			}
			memcpy(scratch + joined, frag, take);
			joined += take;
		}
		const uint8_t *msg = records == 1 ? first : scratch;
		size_t have = records == 1 ? first_len : joined;
		if (need == 0 && have >= TLS_HANDSHAKE_HEADER_LEN) {
			if (msg[0] != TLS_HANDSHAKE_CLIENT_HELLO) {
				return PARSE_NOT_MINE;
			}
			need = ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]) +
			       TLS_HANDSHAKE_HEADER_LEN;
			if (need > TLS_HELLO_MAX) {
				return PARSE_MALFORMED;
			}
		} else if (need == 0 && have > 0 && msg[0] != TLS_HANDSHAKE_CLIENT_HELLO) {
			return PARSE_NOT_MINE;
		}
		if (need > 0 && have >= need) {
			enum parse_result res = tls_handshake_hello(msg, need, out);
			out->stream_len = rd_offset(&r, buf);
			return res;
		}
		if (avail < rec_len) {
			return PARSE_NEED_MORE; /* the record itself is cut */
		}
	}
	return PARSE_NEED_MORE;
}
