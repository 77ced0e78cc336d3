/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC: walk a client datagram's packets, decrypt its Initials and reassemble the ClientHello. */
#include <errno.h>
#include <string.h>

#include "embargo_config.h"
#include "embargo/quic.h"
#include "embargo/rd.h"
#include "quic_crypto.h"
#include "quic_versions.h"

/*
 * Long header (RFC 9000 section 17.2; RFC 9369 section 3.2 for the v2 type bits):
 *
 *   +-+-+-+-+-+-+-+-+
 *   |1|F| T | x x|PN|   F fixed bit, T type, x reserved, PN packet number length - 1
 *   +-+-+-+-+-+-+-+-+   (the low 4 bits are under header protection, RFC 9001 section 5.4)
 *   | Version (32)  | DCID Len (8) | DCID (0..160) | SCID Len (8) | SCID (0..160) |
 *   Initial:        Token Length (i), Token, Length (i), Packet Number (8..32), Payload
 *   0-RTT/Handshake: Length (i), Packet Number, Payload
 *   Retry:          Retry Token, Integrity Tag (to the end of the datagram)
 *   Version 0:      Version Negotiation, supported versions to the end of the datagram
 *
 * Length covers the packet number and the payload, so coalesced packets (section 12.2) are
 * walked by it. A short header (first bit 0) runs to the end of the datagram.
 */

/* RFC 9000 section 14.1: a server discards an Initial in a datagram smaller than 1200 bytes, so
 * such an Initial never starts a connection and its CRYPTO data is not taken either. */
#define QUIC_INITIAL_DATAGRAM_MIN 1200
/* RFC 9000 section 17.1: a packet number is encoded in 1 to 4 bytes; the header protection
 * sample starts 4 bytes after the packet number field (RFC 9001 section 5.4.2). */
#define QUIC_PN_MAX_LEN 4
/* RFC 9000 section 17.2: the two type bits of the first byte. */
#define QUIC_LONG_TYPE(b) (((b) >> 4) & 0x03)
/* RFC 9000 section 12.3: packet numbers run from 0 to 2^62 - 1. */
#define QUIC_PACKET_NUMBER_MAX ((1ull << 62) - 1)

const char *quic_kind_str(enum quic_packet_kind kind)
{
	switch (kind) {
	case QUIC_KIND_NONE:
		return "none";
	case QUIC_KIND_INITIAL:
		return "initial";
	case QUIC_KIND_0RTT:
		return "0rtt";
	case QUIC_KIND_HANDSHAKE:
		return "handshake";
	case QUIC_KIND_RETRY:
		return "retry";
	case QUIC_KIND_VERSION_NEG:
		return "version-negotiation";
	case QUIC_KIND_SHORT:
		return "short-header";
	case QUIC_KIND_UNKNOWN_VERSION:
		return "unknown-version";
	}
	return "?";
}

/* One packet of a datagram, as far as its header tells. Offsets are from the packet start. */
struct quic_hdr {
	enum quic_packet_kind kind;
	uint8_t first;	  /* first byte as sent (protected bits included) */
	uint32_t version; /* 0 for short headers */
	struct span dcid; /* empty for short headers (their DCID length is not on the wire) */
	struct span scid; /* long headers only */
	size_t pn_offset; /* where the packet number starts (Initial, 0-RTT, Handshake) */
	size_t len;	  /* bytes of the whole packet */
	const struct quic_version_info *vi; /* NULL for unknown versions */
};

/* Map the two type bits to a kind: v1 order Initial, 0-RTT, Handshake, Retry; v2 rotates them
 * (RFC 9369 section 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00). */
static enum quic_packet_kind long_kind(uint8_t first, bool v2)
{
	static const enum quic_packet_kind v1_kinds[4] = {QUIC_KIND_INITIAL, QUIC_KIND_0RTT,
							  QUIC_KIND_HANDSHAKE, QUIC_KIND_RETRY};
	unsigned t = QUIC_LONG_TYPE(first);

	if (v2) {
		t = (t + 3) & 0x03;
	}
	return v1_kinds[t];
}

/*
 * Read the header of the packet at the cursor and step over the whole packet. Returns
 * PARSE_OK (h filled), PARSE_NOT_MINE for an empty input, PARSE_MALFORMED when a known
 * version's header is cut short or breaks a length rule (kind/version are still set when
 * read).
 */
static enum parse_result hdr_parse(struct rd *r, struct quic_hdr *h)
{
	const uint8_t *start = r->pos;
	size_t avail = rd_left(r);

	*h = (struct quic_hdr){0};
	if (avail == 0) {
		return PARSE_NOT_MINE;
	}
	h->first = rd_u8(r);
	if ((h->first & 0x80) == 0) {
		h->kind = QUIC_KIND_SHORT;
		h->len = avail;
		rd_skip(r, rd_left(r));
		return PARSE_OK;
	}
	h->version = rd_u32be(r);
	h->vi = quic_version_lookup(h->version);
	if (h->version == QUIC_VERSION_NEGOTIATION) {
		h->kind = QUIC_KIND_VERSION_NEG;
	} else if (h->vi == NULL) {
		h->kind = QUIC_KIND_UNKNOWN_VERSION;
	} else {
		h->kind = long_kind(h->first, h->vi->v2);
	}
	uint8_t dcil = rd_u8(r);
	h->dcid.ptr = rd_ptr(r, dcil);
	h->dcid.len = h->dcid.ptr != NULL ? dcil : 0;
	uint8_t scil = rd_u8(r);
	h->scid.ptr = rd_ptr(r, scil);
	h->scid.len = h->scid.ptr != NULL ? scil : 0;
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	if (h->vi == NULL) {
		/* Version negotiation lists versions to the end of the datagram; for an unknown
		 * version nothing past the connection IDs is defined (RFC 8999 section 5.1). */
		h->len = avail;
		rd_skip(r, rd_left(r));
		return PARSE_OK;
	}
	if (dcil > QUIC_CID_MAX || scil > QUIC_CID_MAX) {
		return PARSE_MALFORMED;
	}
	if (h->kind == QUIC_KIND_RETRY) {
		h->len = avail;
		rd_skip(r, rd_left(r));
		return PARSE_OK;
	}
	if (h->kind == QUIC_KIND_INITIAL) {
		uint64_t token_len = rd_quic_varint(r);
		if (token_len > rd_left(r)) {
			return PARSE_MALFORMED;
		}
		rd_skip(r, (size_t)token_len);
	}
	uint64_t length = rd_quic_varint(r);
	if (!rd_ok(r) || length > rd_left(r)) {
		return PARSE_MALFORMED;
	}
	h->pn_offset = rd_offset(r, start);
	rd_skip(r, (size_t)length);
	h->len = rd_offset(r, start);
	return PARSE_OK;
}

/* RFC 9000 appendix A.3: the full packet number closest to the next expected one. */
static uint64_t pn_decode(bool has_largest, uint64_t largest, uint64_t truncated, unsigned bits)
{
	uint64_t expected = has_largest ? largest + 1 : 0;
	uint64_t win = 1ull << bits;
	uint64_t hwin = win / 2;
	uint64_t candidate = (expected & ~(win - 1)) | truncated;

	if (candidate + hwin <= expected && candidate < QUIC_PACKET_NUMBER_MAX + 1 - win) {
		return candidate + win;
	}
	if (candidate > expected + hwin && candidate >= win) {
		return candidate - win;
	}
	return candidate;
}

/* Scratch for one decryption: the plaintext and what the header said after unmasking. */
struct quic_plain {
	uint8_t *buf; /* QUIC_DATAGRAM_MAX bytes */
	size_t len;
	uint64_t pn;
	uint8_t first; /* unprotected first byte */
};

/*
 * Remove header protection from the Initial `pkt` (h->len bytes) and decrypt it with `k`.
 * Returns 0, -EBADMSG when it does not authenticate with these keys, -EMSGSIZE when it is too
 * short to carry a sample and a tag, or another negative errno from the crypto layer.
 */
static int initial_open(struct quic_crypto *c, const struct quic_keys *k, const uint8_t *pkt,
			const struct quic_hdr *h, bool has_largest, uint64_t largest,
			struct quic_plain *p)
{
	struct rd r = rd_make(pkt, h->len);
	uint8_t mask[QUIC_HP_MASK_LEN];

	/* RFC 9001 section 5.4.2: the sample starts 4 bytes into the packet number field; a
	 * packet too short for it cannot be a valid Initial. */
	const uint8_t *hdr = rd_ptr(&r, h->pn_offset);
	struct rd pn_r = r; /* from the packet number to the end of the packet */
	rd_skip(&r, QUIC_PN_MAX_LEN);
	const uint8_t *sample = rd_ptr(&r, QUIC_HP_SAMPLE_LEN);
	if (hdr == NULL || sample == NULL) {
		return -EMSGSIZE;
	}
	int rc = quic_crypto_hp_mask(c, k->hp, sample, mask);
	if (rc != 0) {
		return rc;
	}
	p->first = (uint8_t)(h->first ^ (mask[0] & 0x0f));
	unsigned pn_len = (p->first & 0x03) + 1u;
	const uint8_t *pn_field = rd_ptr(&pn_r, pn_len); /* pn_len <= 4: checked above */
	uint8_t pn_bytes[QUIC_PN_MAX_LEN];
	uint64_t truncated = 0;
	for (unsigned i = 0; i < pn_len && pn_field != NULL; i++) {
		pn_bytes[i] = (uint8_t)(pn_field[i] ^ mask[1 + i]);
		truncated = truncated << 8 | pn_bytes[i];
	}
	p->pn = pn_decode(has_largest, largest, truncated, 8 * pn_len);

	/* The rest is the ciphertext and the tag; a packet must carry at least one frame. */
	size_t body = rd_left(&pn_r);
	if (pn_field == NULL || body <= QUIC_TAG_LEN) {
		return -EMSGSIZE;
	}
	const uint8_t *ct = rd_ptr(&pn_r, body - QUIC_TAG_LEN);
	const uint8_t *tag = rd_ptr(&pn_r, QUIC_TAG_LEN);
	const struct span aad[3] = {
		{&p->first, 1},
		{hdr + 1, h->pn_offset - 1},
		{pn_bytes, pn_len},
	};
	p->len = body - QUIC_TAG_LEN;
	return quic_crypto_open(c, k, p->pn, aad, 3, ct, p->len, tag, p->buf);
}

void quic_flow_init(struct quic_flow *f, uint8_t *crypto_storage, uint32_t cap)
{
	memset(f, 0, sizeof(*f));
	f->storage = crypto_storage;
	f->storage_cap = cap;
	stream_init(&f->crypto, crypto_storage, cap);
}

/* Start the flow over for a new connection attempt with these keys. */
static void flow_restart(struct quic_flow *f, const struct quic_hdr *h, const struct quic_keys *k)
{
	uint8_t *storage = f->storage;
	uint32_t cap = f->storage_cap;
	uint32_t restarts = f->restarts + (f->has_keys ? 1u : 0u);

	quic_flow_init(f, storage, cap);
	f->restarts = restarts;
	f->has_keys = true;
	f->version = h->version;
	f->keys = *k;
	memcpy(f->odcid, h->dcid.ptr, h->dcid.len);
	f->odcid_len = (uint8_t)h->dcid.len;
}

/* Check the CRYPTO prefix for a ClientHello: handshake type 1, 24-bit length (RFC 8446
 * section 4), and parse it once every byte of it is there. */
static void hello_update(struct quic_flow *f)
{
	uint32_t have = stream_contiguous(&f->crypto);
	struct rd r = rd_make(f->crypto.data, have);

	if (f->hello_complete || f->hello_bad != NULL || have == 0) {
		return;
	}
	if (rd_u8(&r) != 1) {
		f->hello_bad = "not-client-hello";
		return;
	}
	uint32_t body = rd_u24be(&r);
	if (!rd_ok(&r)) {
		return;
	}
	if ((uint64_t)body + 4 > f->crypto.cap) {
		f->hello_bad = "hello-too-large";
		return;
	}
	if (have < body + 4) {
		return;
	}
	if (tls_handshake_hello(f->crypto.data, body + 4u, &f->hello) != PARSE_OK) {
		f->hello_bad = "bad-client-hello";
		return;
	}
	f->hello_complete = true;
}

/* Outcome of one Initial packet. */
enum initial_outcome {
	INITIAL_TAKEN = 0, /* decrypted, frames valid, CRYPTO placed */
	INITIAL_BAD,	   /* not decrypted or not valid (out->reason says why) */
};

/*
 * Decrypt one Initial with the flow's keys or, when its DCID or version is not the flow's,
 * with keys derived from its own DCID (a new attempt: the flow starts over if that works).
 */
static enum initial_outcome initial_packet(struct quic_flow *f, struct quic_crypto *c,
					   const uint8_t *pkt, const struct quic_hdr *h,
					   struct quic_plain *p, struct quic_result *out)
{
	bool same_version = f->has_keys && f->version == h->version;
	bool same_dcid = same_version && f->odcid_len == h->dcid.len &&
			 memcmp(f->odcid, h->dcid.ptr, h->dcid.len) == 0;
	int rc = -EBADMSG;

	/* The client keeps the original keys when it moves to the server's CID (RFC 9001
	 * section 5.2), so the flow's keys are tried first whenever the version matches. */
	if (same_version) {
		rc = initial_open(c, &f->keys, pkt, h, f->has_pn, f->largest_pn, p);
	}
	if (rc == -EBADMSG && !same_dcid) {
		struct quic_keys k;
		rc = quic_client_initial_keys(h->version, h->dcid.ptr, h->dcid.len, &k);
		if (rc == 0) {
			rc = initial_open(c, &k, pkt, h, false, 0, p);
		}
		if (rc == 0) {
			out->restarted = f->has_keys;
			flow_restart(f, h, &k);
		}
	}
	if (rc != 0) {
		out->reason = rc == -EMSGSIZE ? "packet-too-short" : "undecryptable";
		return INITIAL_BAD;
	}
	/* RFC 9000 section 17.2: reserved bits must be 0 once protection is removed. */
	if (p->first & 0x0c) {
		out->reason = "reserved-bits";
		return INITIAL_BAD;
	}
	struct quic_frames fr;
	/* First check the whole payload, then place its CRYPTO data: a server drops a packet
	 * whose frames do not parse, so none of its bytes may count. */
	enum parse_result (*walk)(const uint8_t *, size_t, struct stream_buf *,
				  struct quic_frames *) =
		h->vi->gquic_frames ? quic_frames_walk_google : quic_frames_walk;
	if (walk(p->buf, p->len, NULL, &fr) != PARSE_OK) {
		out->reason = fr.reason;
		return INITIAL_BAD;
	}
	(void)walk(p->buf, p->len, &f->crypto, &fr);
	if (!f->has_pn || p->pn > f->largest_pn) {
		f->largest_pn = p->pn;
	}
	f->has_pn = true;
	f->initials++;
	return INITIAL_TAKEN;
}

/* The reason for a datagram whose first packet is not a client Initial. */
static const char *not_mine_reason(const struct quic_hdr *h)
{
	/* Google QUIC versions "Qxxx" are read by gquic.c. */
	if (h->kind == QUIC_KIND_UNKNOWN_VERSION && (h->version >> 24) == 'Q') {
		return "gquic-version";
	}
	return quic_kind_str(h->kind);
}

/* Fill the header facts of the first packet into out. */
static void note_first(const struct quic_hdr *h, struct quic_result *out)
{
	out->kind = h->kind;
	out->version = h->version;
	out->dcid = h->dcid;
	out->scid = h->scid;
}

/*
 * The result of a datagram in which `seen` Initials were found and out->initials taken, `bad`
 * the last problem met (NULL if none): see quic_datagram() in quic.h.
 */
static enum parse_result datagram_outcome(const struct quic_flow *f, size_t len,
					  const struct quic_hdr *first, unsigned seen,
					  const char *bad, struct quic_result *out)
{
	out->crypto_conflict = f->crypto.conflict;
	out->crypto_overflow = f->crypto.overflow;
	out->reason = bad;
	if (!EMBARGO_HAVE_QUIC) {
		out->reason = "quic-disabled";
		return PARSE_NOT_MINE;
	}
	if (seen == 0) {
		out->reason = len == 0 ? "empty" : not_mine_reason(first);
		return PARSE_NOT_MINE;
	}
	/* A complete hello stands, unless every Initial of this datagram was refused. */
	if (f->hello_complete && (out->initials > 0 || bad == NULL)) {
		out->hello_complete = true;
		out->hello = f->hello;
		return PARSE_OK;
	}
	if (f->hello_bad != NULL) {
		out->reason = f->hello_bad;
		return PARSE_MALFORMED;
	}
	if (out->initials > 0) {
		return PARSE_NEED_MORE;
	}
	if (out->reason == NULL) {
		out->reason = "undecryptable";
	}
	return PARSE_MALFORMED;
}

enum parse_result quic_datagram(struct quic_flow *f, const uint8_t *buf, size_t len,
				struct quic_result *out)
{
	struct rd r = rd_make(buf, len);
	struct quic_hdr first = {0};
	struct quic_crypto c;
	uint8_t plain_buf[QUIC_DATAGRAM_MAX];
	struct quic_plain p = {plain_buf, 0, 0, 0};
	unsigned seen = 0;  /* Initial packets seen */
	unsigned taken = 0; /* Initial packets decrypted and valid */
	const char *bad = NULL;

	memset(out, 0, sizeof(*out));
	quic_crypto_init(&c);
	while (rd_left(&r) > 0 && out->packets < QUIC_PACKETS_PER_DATAGRAM_MAX) {
		const uint8_t *pkt = r.pos;
		struct quic_hdr h;
		enum parse_result hr = hdr_parse(&r, &h);
		if (out->packets == 0) {
			first = h;
			note_first(&h, out);
		}
		if (hr != PARSE_OK) {
			/* A broken header in a later packet ends the walk; in the first one it
			 * makes the datagram malformed only for a version we know. */
			if (out->packets == 0 && h.vi != NULL) {
				bad = "bad-header";
				seen += h.kind == QUIC_KIND_INITIAL;
			}
			break;
		}
		out->packets++;
		if (out->packets > 1 &&
		    (h.kind == QUIC_KIND_SHORT || h.dcid.len != first.dcid.len ||
		     memcmp(h.dcid.ptr, first.dcid.ptr, h.dcid.len) != 0)) {
			/* RFC 9000 section 12.2: ignore packets for another connection; a short
			 * header here is as likely trailing padding as a 1-RTT packet. */
			continue;
		}
		if (h.kind != QUIC_KIND_INITIAL) {
			continue;
		}
		seen++;
		if (!EMBARGO_HAVE_QUIC) {
			break;
		}
		if (len < QUIC_INITIAL_DATAGRAM_MIN) {
			bad = "short-datagram";
			continue;
		}
		if (initial_packet(f, &c, pkt, &h, &p, out) == INITIAL_TAKEN) {
			taken++;
			hello_update(f);
		} else {
			bad = out->reason;
		}
	}
	quic_crypto_free(&c);
	if (rd_left(&r) > 0 && out->packets == QUIC_PACKETS_PER_DATAGRAM_MAX) {
		bad = bad != NULL ? bad : "packet-limit";
	}
	out->initials = taken;
	return datagram_outcome(f, len, &first, seen, bad, out);
}

/*
 * Version Negotiation (RFC 8999 section 6, RFC 9000 section 17.2.1):
 *   1 | unused (7) | Version 0 (32) | DCID len (8) | DCID | SCID len (8) | SCID |
 *   Supported Version (32)...
 */
int quic_version_negotiation_build(const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
				   size_t scid_len, uint8_t *out, size_t size)
{
	/* A version reserved for exercising negotiation (RFC 9000 section 15): no client
	 * speaks it, so none finds a version in common. */
	static const uint8_t reserved[4] = {0x1a, 0x2a, 0x3a, 0x4a};
	size_t need = 1 + 4 + 1 + dcid_len + 1 + scid_len + sizeof(reserved);
	if (dcid_len > 255 || scid_len > 255) {
		return -EINVAL;
	}
	if (need > size) {
		return -ENOSPC;
	}
	size_t w = 0;
	/* The fixed bit set, as RFC 9000 section 17.2.1 advises for demultiplexing. */
	out[w++] = 0xc0;
	memset(out + w, 0, 4);
	w += 4;
	out[w++] = (uint8_t)dcid_len;
	memcpy(out + w, dcid, dcid_len);
	w += dcid_len;
	out[w++] = (uint8_t)scid_len;
	memcpy(out + w, scid, scid_len);
	w += scid_len;
	memcpy(out + w, reserved, sizeof(reserved));
	w += sizeof(reserved);
	return (int)w;
}

enum parse_result quic_peek_long(const uint8_t *buf, size_t len, uint32_t *version,
				 struct span *dcid, struct span *scid)
{
	struct rd r = rd_make(buf, len);
	struct quic_hdr h;
	enum parse_result res = hdr_parse(&r, &h);
	if (res != PARSE_OK) {
		return res;
	}
	if (h.kind == QUIC_KIND_SHORT) {
		return PARSE_NOT_MINE;
	}
	*version = h.version;
	*dcid = h.dcid;
	*scid = h.scid;
	return PARSE_OK;
}
