/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tls: find and parse the TLS ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2). */
#ifndef EMBARGO_TLS_H
#define EMBARGO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"

/* Largest ClientHello this library reassembles, handshake header included. Post-quantum key
 * shares push real hellos to about 1.8 KiB; 16 KiB is a TLS record's maximum plaintext
 * (RFC 8446 section 5.1) and leaves room for large extensions. */
#define TLS_HELLO_MAX 16384

#define TLS_EXT_SERVER_NAME	   0x0000 /* RFC 6066 */
#define TLS_EXT_ALPN		   0x0010 /* RFC 7301 */
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b
#define TLS_EXT_ECH		   0xfe0d /* draft-ietf-tls-esni, encrypted_client_hello */
#define TLS_EXT_ESNI		   0xffce /* old ESNI drafts */

struct tls_hello {
	uint16_t legacy_version; /* client_version of the ClientHello */
	uint16_t max_version;	 /* highest non-GREASE value of supported_versions, else legacy */
	bool is_sslv2;		 /* an SSLv2-format hello: recognised, carries no extensions */
	bool has_sni;
	struct span sni;	/* first host_name of server_name; raw bytes, not validated */
	struct span alpn;	/* ALPN protocol_name_list without its 2-byte length (raw) */
	struct span alpn_first; /* the first protocol name of alpn */
	bool has_ech;	       /* encrypted_client_hello (0xfe0d) present (sni is the outer name) */
	bool ech_outer;	       /* ... and it is an outer ECHClientHello: a cipher suite, a config
			      id, an encapsulated key and a payload (real or GREASE: the two look
			      alike by design; the outer name tells them apart) */
	uint8_t ech_config_id; /* with ech_outer: the config_id it names */
	bool has_esni;	       /* old encrypted_server_name (0xffce) present */
	size_t hello_len;      /* bytes of the handshake message including its 4-byte header */
	size_t stream_len;     /* tls_stream_hello: stream bytes up to the end of the record that
			      completes the hello (what a server acknowledges once it has it) */
};

/*
 * Parse the ClientHello from the start of a TLS client byte stream (TCP payload from the first
 * byte): one or more handshake records (type 22) whose fragments are joined into `scratch`
 * (`scratch_size` >= TLS_HELLO_MAX is enough for any hello this accepts) when the hello spans
 * records. Spans in `out` point into `buf` or into `scratch`.
 *
 * Returns PARSE_OK; PARSE_NEED_MORE while the bytes so far are a valid prefix of a ClientHello;
 * PARSE_NOT_MINE when the stream does not start with a TLS handshake record holding a
 * ClientHello (an SSLv2 hello gives PARSE_OK with is_sslv2); PARSE_MALFORMED when lengths do not
 * nest or a hello exceeds TLS_HELLO_MAX.
 */
enum parse_result tls_stream_hello(const uint8_t *buf, size_t len, uint8_t *scratch,
				   size_t scratch_size, struct tls_hello *out);

/*
 * Parse a ClientHello handshake message (4-byte handshake header first, no record layer), as
 * carried in QUIC CRYPTO frames. Same results as tls_stream_hello; spans point into `buf`.
 */
enum parse_result tls_handshake_hello(const uint8_t *buf, size_t len, struct tls_hello *out);

#endif
