/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quic: read the TLS ClientHello out of a client's QUIC Initial packets (RFC 9000, 9001, 9369). */
#ifndef EMBARGO_QUIC_H
#define EMBARGO_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"
#include "embargo/quic_keys.h"
#include "embargo/stream.h"
#include "embargo/tls.h"

/* RFC 9000 section 17.2: in QUIC version 1 a connection ID is at most 20 bytes. */
#define QUIC_CID_MAX 20
/* RFC 9000 section 18.2: max_udp_payload_size tops out at 65527 bytes, the largest UDP payload
 * over IPv4 or IPv6 without jumbograms; no datagram to inspect can be longer. */
#define QUIC_DATAGRAM_MAX 65527
/* Packets walked in one datagram. Real senders coalesce at most one packet per number space
 * (Initial, 0-RTT, Handshake, 1-RTT: RFC 9000 section 12.2); the bound caps the work a crafted
 * datagram full of tiny packets can cause. */
#define QUIC_PACKETS_PER_DATAGRAM_MAX 8
/* Suggested size of the caller's CRYPTO reassembly storage: the largest ClientHello the TLS
 * parser accepts. */
#define QUIC_CRYPTO_MAX TLS_HELLO_MAX

/* Versions with a name in this library (RFC 9000 section 15; others are "unknown"). */
#define QUIC_VERSION_NEGOTIATION 0x00000000u
#define QUIC_VERSION_1		 0x00000001u /* RFC 9000 */
#define QUIC_VERSION_2		 0x6b3343cfu /* RFC 9369 */
#define QUIC_VERSION_DRAFT(n)	 (0xff000000u | (uint32_t)(n))
#define QUIC_VERSION_T050	 0x54303530u /* Google "T050": QUIC with TLS, own salt */
#define QUIC_VERSION_T051	 0x54303531u
#define QUIC_VERSION_MVFST_D22	 0xfaceb001u /* Facebook mvfst */
#define QUIC_VERSION_MVFST	 0xfaceb002u
#define QUIC_VERSION_MVFST_V1	 0xfaceb003u
#define QUIC_VERSION_MVFST_EXP	 0xfaceb00eu

/* What a packet is, from its first byte and version (RFC 9000 section 17). */
enum quic_packet_kind {
	QUIC_KIND_NONE = 0,	   /* not a QUIC packet (or nothing was read) */
	QUIC_KIND_INITIAL,	   /* long header, Initial type */
	QUIC_KIND_0RTT,		   /* long header, 0-RTT type */
	QUIC_KIND_HANDSHAKE,	   /* long header, Handshake type */
	QUIC_KIND_RETRY,	   /* long header, Retry type (server to client) */
	QUIC_KIND_VERSION_NEG,	   /* long header with version 0 */
	QUIC_KIND_SHORT,	   /* short header (1-RTT) */
	QUIC_KIND_UNKNOWN_VERSION, /* long header of a version this library cannot decrypt */
};

/*
 * Per-flow state, owned by the caller (one per client address and port), plain data that can
 * sit in an array: no allocation; its only pointers are to the caller's CRYPTO storage and to
 * static reason strings. A flow
 * follows one connection attempt: the keys come from the Destination Connection ID of its first
 * Initial (RFC 9001 section 5.2) and stay even when the client switches to the server's
 * connection ID; an Initial that only decrypts with keys from its own, different DCID (after a
 * Retry) or with another version (after Version Negotiation) starts the flow over.
 */
struct quic_flow {
	uint32_t version;	     /* version of the connection; valid when has_keys */
	uint8_t odcid[QUIC_CID_MAX]; /* DCID the keys were derived from */
	uint8_t odcid_len;	     /* bytes in odcid */
	bool has_keys;		     /* an Initial was decrypted; keys, version, odcid are set */
	bool has_pn;		     /* largest_pn is valid */
	bool hello_complete;	     /* the ClientHello is complete and parsed into hello */
	const char *hello_bad;	     /* static reason when the CRYPTO stream is not a valid
					 * ClientHello; NULL while it may still be one */
	uint64_t largest_pn;	     /* largest Initial packet number decrypted so far */
	uint32_t initials;	     /* Initial packets decrypted in this connection attempt */
	uint32_t restarts;	     /* times the flow started over (Retry, VN, new attempt) */
	struct quic_keys keys;	     /* client Initial keys of the connection */
	struct stream_buf crypto;    /* CRYPTO frame data of the Initial number space */
	struct tls_hello hello;	     /* valid when hello_complete; spans into crypto storage */
	uint8_t *storage;	     /* the caller's CRYPTO storage (kept for restarts) */
	uint32_t storage_cap;	     /* its size in bytes */
};

/* Result of one datagram. Spans point into the datagram (dcid) or the flow's CRYPTO storage
 * (hello); `reason` is a static string. */
struct quic_result {
	uint32_t version;	    /* version of the first packet; 0 for VN, short or not QUIC */
	enum quic_packet_kind kind; /* kind of the first packet in the datagram */
	struct span dcid;	    /* DCID of the first packet (empty for short headers) */
	struct span scid;	    /* SCID of the first packet (long headers) */
	unsigned packets;	    /* packets walked in the datagram (coalesced ones included) */
	unsigned initials;	    /* Initial packets decrypted from this datagram */
	bool hello_complete;	    /* the flow's ClientHello is complete (hello is valid) */
	bool crypto_conflict;	    /* CRYPTO bytes were offered twice with different content */
	bool crypto_overflow;	    /* CRYPTO bytes fell outside the storage or range table */
	bool restarted;		    /* this datagram started the flow over */
	struct tls_hello hello;	    /* copy of the flow's hello when hello_complete */
	const char *reason;	    /* why the result is not PARSE_OK, or a note; NULL if none */
};

/* Frame counts of a decrypted packet payload (RFC 9000 section 19). */
struct quic_frames {
	unsigned padding;      /* PADDING bytes */
	unsigned ping;	       /* PING frames */
	unsigned ack;	       /* ACK frames (both types) */
	unsigned crypto;       /* CRYPTO frames */
	unsigned close;	       /* CONNECTION_CLOSE frames (both types) */
	unsigned other;	       /* other known frames, skipped by their length */
	unsigned not_initial;  /* frames RFC 9000 section 12.4 forbids in Initial packets */
	uint64_t crypto_end;   /* largest CRYPTO offset + length seen */
	uint64_t close_error;  /* error code of the last CONNECTION_CLOSE */
	uint64_t unknown_type; /* the frame type that stopped the walk, when reason says so */
	const char *reason;    /* NULL when every frame was read */
};

/* Prepare `f` for a new flow using the caller's `crypto_storage` of `cap` bytes (QUIC_CRYPTO_MAX
 * fits any ClientHello the TLS parser accepts). */
void quic_flow_init(struct quic_flow *f, uint8_t *crypto_storage, uint32_t cap);

/*
 * Inspect one UDP payload sent by a client. Every packet coalesced in it is walked by its
 * Length field; Initial packets are decrypted, their CRYPTO frames placed by offset in the
 * flow's stream, and once the ClientHello is complete it is parsed with tls_handshake_hello().
 * Packets after the first whose DCID differs are ignored (RFC 9000 section 12.2).
 *
 * Returns PARSE_OK when the flow's ClientHello is complete (out->hello; its SNI may be absent),
 * PARSE_NEED_MORE when Initials were decrypted but the hello is not complete yet,
 * PARSE_NOT_MINE when the datagram holds no client Initial (version negotiation, Retry, 0-RTT
 * or Handshake only, short header, an unknown version, not QUIC, or "quic-disabled" when built
 * without libcrypto), PARSE_MALFORMED when an Initial is broken or does not decrypt
 * ("undecryptable") or its CRYPTO stream is not a valid ClientHello. out->reason says why.
 */
enum parse_result quic_datagram(struct quic_flow *f, const uint8_t *buf, size_t len,
				struct quic_result *out);

/*
 * Walk the frames of a decrypted packet payload of `len` bytes and, when `crypto` is not NULL,
 * place CRYPTO frame data in it by offset. Known frames without an effect here are skipped by
 * their encoded length. Returns PARSE_OK when every frame was read, PARSE_MALFORMED for an
 * empty payload, a truncated frame, a CRYPTO frame ending past 2^62-1 or a frame type it does
 * not know (out->reason; the walk stops there, data placed before stays placed).
 */
enum parse_result quic_frames_walk(const uint8_t *payload, size_t len, struct stream_buf *crypto,
				   struct quic_frames *out);

/*
 * The same for the Google QUIC frame encoding that Google's T050/T051 versions carry inside
 * TLS-protected Initial packets (PADDING, PING, CRYPTO 0x08, ACK 0x40-0x7f).
 */
enum parse_result quic_frames_walk_google(const uint8_t *payload, size_t len,
					  struct stream_buf *crypto, struct quic_frames *out);

/*
 * Derive the client Initial keys for `version` from the client's first Destination Connection
 * ID (`dcid_len` <= QUIC_CID_MAX). Returns 0, -EPROTONOSUPPORT for a version with no known salt,
 * -EINVAL for a too long DCID, -ENOTSUP without libcrypto, -EIO when libcrypto fails.
 */
int quic_client_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			     struct quic_keys *out);

/*
 * Build in `out` (`size` bytes) a Version Negotiation packet answering a client whose Initial
 * carried `dcid` and `scid` (the answer swaps them) and listing only a reserved version, so the
 * client finds none in common and abandons the attempt at once (RFC 9000 section 6.2). Returns
 * its length, -EINVAL for an ID over 255 bytes, or -ENOSPC.
 */
int quic_version_negotiation_build(const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
				   size_t scid_len, uint8_t *out, size_t size);

/*
 * Version and connection IDs of the long-header packet at the start of `buf`. Returns PARSE_OK,
 * PARSE_NOT_MINE for a short header or nothing, PARSE_MALFORMED for a cut header.
 */
enum parse_result quic_peek_long(const uint8_t *buf, size_t len, uint32_t *version,
				 struct span *dcid, struct span *scid);

/* True if `version` is one whose Initial packets this library can decrypt. */
bool quic_version_is_known(uint32_t version);

/* Short printable name of a packet kind ("initial", "0rtt", ...). */
const char *quic_kind_str(enum quic_packet_kind kind);

#endif
