/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC in the inspection pipeline: one decision per connection. A client's connection is known
 * by the Destination Connection ID of its first Initial, whose keys protect all its Initials
 * (RFC 9001 section 5.2); an Initial with an ID not judged yet that decrypts with keys of its
 * own ID is a new connection and is judged on its own, so a decoy connection on the same UDP
 * 4-tuple decides nothing for the next one. (The firewall queues every client long-header
 * packet on UDP 443, decided flows included, for this.)
 *
 * As for TCP, a block is final at once and an allow only once the server has answered the
 * connection (its first long-header packet). Until then every Initial of the connection is
 * read, and one whose CRYPTO bytes differ from what came before — the real Initial after a
 * decoy with the same IDs that the server never took — is read on its own and blocks if it
 * names a listed host.
 */
#include "inspect_internal.h"

static bool same_id(const uint8_t *a, size_t alen, struct span b)
{
	return alen == b.len && (alen == 0 || memcmp(a, b.ptr, alen) == 0);
}

static struct quic_decided *decided_find(struct flow *f, struct span dcid)
{
	struct quic_state *q = &f->u.quic;
	for (unsigned i = 0; i < q->ndecided; i++) {
		if (same_id(q->decided[i].dcid, q->decided[i].dcid_len, dcid)) {
			return &q->decided[i];
		}
	}
	return NULL;
}

static void entry_release(struct inspector *in, struct flow *f, struct quic_decided *d)
{
	flow_buffer_put(in->ft, f, &d->buffer);
	flow_buffer_put(in->ft, f, &d->alt);
	d->tentative = false;
}

/* The entry for `dcid`, added (the oldest replaced when full) if new. */
static struct quic_decided *decided_entry(struct inspector *in, struct flow *f, const uint8_t *dcid,
					  size_t len)
{
	struct quic_state *q = &f->u.quic;
	len = len > QUIC_CID_MAX ? QUIC_CID_MAX : len;
	struct span id = {dcid, len};
	struct quic_decided *d = decided_find(f, id);
	if (d != NULL) {
		return d;
	}
	if (q->ndecided < QUIC_DECIDED_MAX) {
		d = &q->decided[q->ndecided++];
	} else {
		d = &q->decided[q->next];
		q->next = (uint8_t)((q->next + 1) % QUIC_DECIDED_MAX);
		entry_release(in, f, d);
	}
	memcpy(d->dcid, dcid, len);
	d->dcid_len = (uint8_t)len;
	d->buffer = d->alt = FLOW_NONE;
	d->tentative = false;
	d->verdict = INSPECT_MARK_NONE;
	return d;
}

static bool any_tentative(const struct flow *f)
{
	for (unsigned i = 0; i < f->u.quic.ndecided; i++) {
		if (f->u.quic.decided[i].tentative) {
			return true;
		}
	}
	return false;
}

static void decided_result(uint8_t mark, struct inspect_result *out, const char *why)
{
	out->proto = INSPECT_PROTO_QUIC;
	out->mark = mark;
	result_set(out, INSPECT_DECIDED, why);
}

/* A fresh attempt state in a buffer of the flow's client; FLOW_NONE when none is left. */
static uint32_t attempt_new(struct inspector *in, struct flow *f)
{
	uint32_t b = flow_buffer_get(in->ft, f);
	if (b != FLOW_NONE) {
		quic_flow_init(flow_buffer_quic(in->ft, b), flow_buffer_data(in->ft, b),
			       flow_buffer_bytes(in->ft));
	}
	return b;
}

/* The hello's name (or why there is none) into `out`. */
static void hello_result(struct inspector *in, const struct quic_result *qr, enum parse_result r,
			 struct inspect_result *out)
{
	if (r == PARSE_MALFORMED) {
		result_set(out, INSPECT_MALFORMED, qr->reason);
	} else if (r == PARSE_NEED_MORE) {
		result_set(out, INSPECT_PENDING, NULL);
	} else if (!qr->hello.has_sni) {
		out->has_ech = qr->hello.has_ech;
		out->ech_outer = qr->hello.ech_outer;
		result_set(out, INSPECT_NAMELESS, "no-sni");
	} else {
		out->has_ech = qr->hello.has_ech;
		out->ech_outer = qr->hello.ech_outer;
		result_text_name(in, out, qr->hello.sni, "bad-sni");
	}
}

/*
 * An Initial of a connection allowed but not answered yet: read again. When its CRYPTO bytes
 * differ from what came before, the copy made of the differing datagrams is read on its own;
 * its name counts.
 */
static void tentative_packet(struct inspector *in, struct flow *f, struct quic_decided *d,
			     const struct pkt *p, struct inspect_result *out)
{
	struct quic_result qr;
	decided_result(INSPECT_MARK_NONE, out, "quic-connection-unanswered");
	if (d->buffer == FLOW_NONE) {
		return;
	}
	quic_datagram(flow_buffer_quic(in->ft, d->buffer), p->payload, p->payload_len, &qr);
	if (!qr.crypto_conflict && d->alt == FLOW_NONE) {
		return;
	}
	if (d->alt == FLOW_NONE) {
		in->stats.conflicts++;
		d->alt = attempt_new(in, f);
		if (d->alt == FLOW_NONE) {
			in->stats.held_back++;
			out->hold = true;
			result_set(out, INSPECT_PENDING, "no-buffer");
			return;
		}
	}
	enum parse_result r =
		quic_datagram(flow_buffer_quic(in->ft, d->alt), p->payload, p->payload_len, &qr);
	if (r == PARSE_OK) {
		out->quic_version = qr.version;
		hello_result(in, &qr, r, out);
		if (out->state == INSPECT_NAMED) {
			out->reason = "other-copy";
		}
	}
}

void inspect_quic(struct inspector *in, const struct pkt *p, struct flow *f,
		  const struct flow_key *k, uint32_t ifindex, uint64_t now_ms,
		  struct inspect_result *out)
{
	uint32_t version = 0;
	if (quic_peek_long(p->payload, p->payload_len, &version, &out->quic_dcid,
			   &out->quic_scid) == PARSE_OK) {
		out->quic_version = version;
		struct quic_decided *d = f != NULL ? decided_find(f, out->quic_dcid) : NULL;
		if (d != NULL) {
			flow_touch(in->ft, f, now_ms);
			if (d->tentative) {
				tentative_packet(in, f, d, p, out);
			} else {
				decided_result(d->verdict, out, "quic-connection-decided");
			}
			return;
		}
	}
	bool fresh = f == NULL;
	if (fresh) {
		f = flow_create(in->ft, k, now_ms);
		f->u.quic.client_ifindex = ifindex;
	}
	/* A judged tuple meets an ID it has not judged: a packet of a connection already
	 * judged (protected with that connection's keys), or a new connection. */
	bool probe = f->buffer == FLOW_NONE && f->u.quic.ndecided > 0;
	if (f->buffer == FLOW_NONE) {
		f->buffer = attempt_new(in, f);
		if (f->buffer == FLOW_NONE) {
			out->proto = INSPECT_PROTO_QUIC;
			in->stats.held_back++;
			out->hold = true;
			result_set(out, INSPECT_PENDING, "no-buffer");
			return;
		}
	}
	struct quic_result qr;
	enum parse_result r =
		quic_datagram(flow_buffer_quic(in->ft, f->buffer), p->payload, p->payload_len, &qr);
	if (probe && (r == PARSE_NOT_MINE || (r == PARSE_MALFORMED && qr.initials == 0))) {
		flow_buffer_put(in->ft, f, &f->buffer);
		flow_touch(in->ft, f, now_ms);
		decided_result(f->verdict, out, "quic-connection-decided");
		return;
	}
	if (r == PARSE_NOT_MINE) {
		/* Not a client Initial: keep no state for it unless its flow was already one. */
		if (fresh || f->proto != INSPECT_PROTO_QUIC) {
			flow_remove(in->ft, f);
		}
		result_set(out, INSPECT_IGNORED,
			   qr.reason != NULL ? qr.reason : "not-quic-initial");
		return;
	}
	if (probe) {
		flow_set_state(in->ft, f, FLOW_UNDECIDED); /* a new connection to judge */
		f->first_ms = now_ms;
		f->packets = 0;
	}
	flow_touch(in->ft, f, now_ms);
	f->proto = INSPECT_PROTO_QUIC;
	f->packets++;
	out->proto = INSPECT_PROTO_QUIC;
	out->quic_version = qr.version;
	out->flow_packets = f->packets;
	hello_result(in, &qr, r, out);
	if (r == PARSE_NEED_MORE && f->packets > in->lim.flow_packets) {
		result_set(out, INSPECT_UNFINISHED, "bound-packets");
	} else if (r == PARSE_NEED_MORE && now_ms - f->first_ms > in->lim.flow_timeout_ms) {
		result_set(out, INSPECT_UNFINISHED, "bound-time");
	}
}

void quic_server_packet(struct inspector *in, struct flow *f, const struct pkt *p, uint32_t ifindex,
			struct inspect_result *out)
{
	out->proto = INSPECT_PROTO_QUIC;
	result_set(out, INSPECT_IGNORED, "server-side");
	if (!any_tentative(f) || p->payload_len < 5 || (p->payload[0] & 0x80) == 0 ||
	    (p->payload[1] | p->payload[2] | p->payload[3] | p->payload[4]) == 0) {
		return; /* not a long header of a version (version negotiation is 0) */
	}
	if (ifindex != 0 && ifindex == f->u.quic.client_ifindex) {
		result_set(out, INSPECT_IGNORED, "server-from-client-side");
		return;
	}
	/* The server answered: what it took was read. */
	for (unsigned i = 0; i < f->u.quic.ndecided; i++) {
		if (f->u.quic.decided[i].tentative) {
			entry_release(in, f, &f->u.quic.decided[i]);
			in->stats.confirmed++;
		}
	}
	if (f->buffer == FLOW_NONE) {
		flow_set_state(in->ft, f, FLOW_DECIDED);
	}
	out->mark = f->verdict;
	result_set(out, INSPECT_IGNORED, "confirmed");
}

enum inspect_mark quic_decide(struct inspector *in, struct flow *f,
			      const struct inspect_result *res, enum inspect_verdict v)
{
	/* A QUIC client ignores ICMP: a rejected connection is dropped (the caller answers it
	 * with a Version Negotiation). */
	uint8_t mark = v == INSPECT_VERDICT_ALLOW ? INSPECT_MARK_ALLOW : INSPECT_MARK_DROP;
	const struct quic_flow *q =
		f->buffer != FLOW_NONE ? flow_buffer_quic(in->ft, f->buffer) : NULL;
	struct quic_decided *d =
		q != NULL && q->has_keys
			? decided_entry(in, f, q->odcid, q->odcid_len)
			: decided_entry(in, f, res->quic_dcid.ptr, res->quic_dcid.len);
	/* Blocks outrank allows (enum order), so the tuple keeps its most severe verdict. */
	if (mark > f->verdict) {
		f->verdict = mark;
	}
	if (mark == INSPECT_MARK_DROP) {
		d->verdict = mark;
		entry_release(in, f, d);
		for (unsigned i = 0; i < f->u.quic.ndecided; i++) {
			entry_release(in, f, &f->u.quic.decided[i]);
		}
		flow_buffer_put(in->ft, f, &f->buffer);
		flow_set_state(in->ft, f, FLOW_DECIDED);
		return mark;
	}
	if (d->verdict == 0) {
		d->verdict = mark;
	}
	if (!d->tentative && d->buffer == FLOW_NONE) {
		/* The attempt's state stays with the connection until the server answers. */
		d->tentative = true;
		d->buffer = f->buffer;
		f->buffer = FLOW_NONE;
	}
	return INSPECT_MARK_FOLLOW;
}
