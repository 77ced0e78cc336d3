/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC in the inspection pipeline: one decision per connection. A client's connection is known
 * by the Destination Connection ID of its first Initial, whose keys protect all its Initials
 * (RFC 9001 section 5.2); an Initial with an ID not judged yet that decrypts with keys of its
 * own ID is a new connection and is judged on its own, so a decoy connection on the same UDP
 * 4-tuple decides nothing for the next one. (The firewall queues every client long-header
 * packet on UDP 443, decided flows included, for this.)
 */
#include "inspect_internal.h"

static bool same_id(const uint8_t *a, size_t alen, struct span b)
{
	return alen == b.len && (alen == 0 || memcmp(a, b.ptr, alen) == 0);
}

static const struct quic_decided *decided_find(const struct flow *f, struct span dcid)
{
	const struct quic_state *q = &f->u.quic;
	for (unsigned i = 0; i < q->ndecided; i++) {
		if (same_id(q->decided[i].dcid, q->decided[i].dcid_len, dcid)) {
			return &q->decided[i];
		}
	}
	return NULL;
}

static void decided_add(struct flow *f, const uint8_t *dcid, size_t len, uint8_t verdict)
{
	struct quic_state *q = &f->u.quic;
	struct quic_decided *d;
	if (q->ndecided < QUIC_DECIDED_MAX) {
		d = &q->decided[q->ndecided++];
	} else {
		d = &q->decided[q->next];
		q->next = (uint8_t)((q->next + 1) % QUIC_DECIDED_MAX);
	}
	len = len > QUIC_CID_MAX ? QUIC_CID_MAX : len;
	memcpy(d->dcid, dcid, len);
	d->dcid_len = (uint8_t)len;
	d->verdict = verdict;
	/* Blocks outrank allows (enum order), so the tuple keeps its most severe verdict. */
	if (verdict > f->verdict) {
		f->verdict = verdict;
	}
}

static void decided_result(struct flow *f, uint8_t mark, struct inspect_result *out,
			   const char *why)
{
	out->proto = INSPECT_PROTO_QUIC;
	out->mark = mark;
	result_set(out, INSPECT_DECIDED, why);
	(void)f;
}

void inspect_quic(struct inspector *in, const struct pkt *p, struct flow *f,
		  const struct flow_key *k, uint64_t now_ms, struct inspect_result *out)
{
	uint32_t version = 0;
	if (quic_peek_long(p->payload, p->payload_len, &version, &out->quic_dcid,
			   &out->quic_scid) == PARSE_OK) {
		out->quic_version = version;
		const struct quic_decided *d = f != NULL ? decided_find(f, out->quic_dcid) : NULL;
		if (d != NULL) {
			flow_touch(in->ft, f, now_ms);
			decided_result(f, d->verdict, out, "quic-connection-decided");
			return;
		}
	}
	bool fresh = f == NULL;
	if (fresh) {
		f = flow_create(in->ft, k, now_ms);
	}
	/* A decided tuple meets an ID it has not judged: a packet of a connection already
	 * judged (protected with that connection's keys), or a new connection. */
	bool probe = f->buffer == FLOW_NONE && f->u.quic.ndecided > 0;
	if (f->buffer == FLOW_NONE) {
		f->buffer = flow_buffer_get(in->ft, f);
		if (f->buffer == FLOW_NONE) {
			out->proto = INSPECT_PROTO_QUIC;
			in->stats.held_back++;
			out->hold = true;
			result_set(out, INSPECT_PENDING, "no-buffer");
			return;
		}
		quic_flow_init(flow_buffer_quic(in->ft, f->buffer),
			       flow_buffer_data(in->ft, f->buffer), flow_buffer_bytes(in->ft));
	}
	struct quic_result qr;
	enum parse_result r =
		quic_datagram(flow_buffer_quic(in->ft, f->buffer), p->payload, p->payload_len, &qr);
	if (probe && (r == PARSE_NOT_MINE || (r == PARSE_MALFORMED && qr.initials == 0))) {
		flow_buffer_put(in->ft, f, &f->buffer);
		flow_touch(in->ft, f, now_ms);
		decided_result(f, f->verdict, out, "quic-connection-decided");
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
	if (r == PARSE_MALFORMED) {
		result_set(out, INSPECT_MALFORMED, qr.reason);
	} else if (r == PARSE_NEED_MORE) {
		result_set(out, INSPECT_PENDING, NULL);
		if (f->packets > in->lim.flow_packets) {
			result_set(out, INSPECT_UNFINISHED, "bound-packets");
		} else if (now_ms - f->first_ms > in->lim.flow_timeout_ms) {
			result_set(out, INSPECT_UNFINISHED, "bound-time");
		}
	} else if (!qr.hello.has_sni) {
		out->has_ech = qr.hello.has_ech;
		result_set(out, INSPECT_NAMELESS, "no-sni");
	} else {
		out->has_ech = qr.hello.has_ech;
		result_text_name(in, out, qr.hello.sni, "bad-sni");
	}
}

enum inspect_mark quic_decide(struct inspector *in, struct flow *f,
			      const struct inspect_result *res, enum inspect_verdict v)
{
	/* A QUIC client ignores ICMP: a rejected connection is dropped (the caller answers it
	 * with a Version Negotiation). */
	uint8_t mark = v == INSPECT_VERDICT_ALLOW ? INSPECT_MARK_ALLOW : INSPECT_MARK_DROP;
	const struct quic_flow *q =
		f->buffer != FLOW_NONE ? flow_buffer_quic(in->ft, f->buffer) : NULL;
	if (q != NULL && q->has_keys) {
		decided_add(f, q->odcid, q->odcid_len, mark);
	} else {
		decided_add(f, res->quic_dcid.ptr, res->quic_dcid.len, mark);
	}
	flow_set_state(in->ft, f, FLOW_DECIDED);
	return mark;
}
