/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-packet pipeline: IP packet -> transport -> protocol parser -> names, with bounded flow
 * state for names that span packets. Shared by embargod, replay and benches. TCP streams are in
 * tcpflow.c, their parsing in sniff.c, QUIC connections in quicflow.c, the table in flow.c. */
#include <stdlib.h>

#include "embargo/dns.h"
#include "embargo/gquic.h"
#include "embargo/tls.h"
#include "inspect_internal.h"

/* Records of the handshake add 5 bytes each (RFC 8446 section 5.1): a hello cut into records of
 * a few bytes needs several times its own size of stream. */
#define INSPECT_BUFFER_DEFAULT 20480

void inspect_limits_default(struct inspect_limits *lim)
{
	lim->max_flows = 4096;
	lim->max_buffers = 512;
	lim->buffer_bytes = INSPECT_BUFFER_DEFAULT;
	lim->flow_packets = 512;
	lim->flow_timeout_ms = 10000;
	lim->decided_timeout_ms = 120000;
	lim->source_flows = 0;
	lim->source_buffers = 0;
}

struct inspector *inspector_new(const struct inspect_limits *lim)
{
	struct inspector *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		return NULL;
	}
	in->lim = *lim;
	in->ft = flow_table_new(lim);
	in->tls_scratch = malloc(TLS_HELLO_MAX);
	in->view = in->ft != NULL ? malloc(flow_buffer_bytes(in->ft)) : NULL;
	if (in->ft == NULL || in->tls_scratch == NULL || in->view == NULL) {
		inspector_free(in);
		return NULL;
	}
	return in;
}

void inspector_free(struct inspector *in)
{
	if (in == NULL) {
		return;
	}
	flow_table_free(in->ft);
	free(in->tls_scratch);
	free(in->view);
	free(in);
}

void inspect_set_responses(struct inspector *in, bool on)
{
	in->responses = on;
}

void inspect_answer_passed(struct inspector *in, const struct inspect_result *res)
{
	if (res->state != INSPECT_ANSWER || in->cand_srv_flow == NULL) {
		return;
	}
	struct tcp_state *t = &in->cand_srv_flow->u.tcp;
	t->srv_next = in->cand_srv_next;
	t->flags = (uint8_t)((t->flags & ~TCP_F_SRV) | (in->cand_srv_known ? TCP_F_SRV : 0));
	in->cand_srv_flow = NULL;
}

void inspect_set_ranker(struct inspector *in,
			unsigned (*rank)(void *ctx, const struct name *n, enum inspect_proto p),
			void *ctx)
{
	in->rank = rank;
	in->rank_ctx = ctx;
}

unsigned inspect_expire(struct inspector *in, uint64_t now_ms)
{
	return flow_expire(in->ft, now_ms);
}

/* ---- results ---- */

void result_set(struct inspect_result *out, enum inspect_state st, const char *reason)
{
	out->state = st;
	out->reason = reason;
}

void result_add_name(struct inspector *in, struct inspect_result *out, const struct name *n,
		     uint16_t qtype)
{
	if (out->nnames < INSPECT_NAMES_MAX) {
		name_copy(&out->names[out->nnames], n);
		out->qtypes[out->nnames] = qtype;
		out->nnames++;
		return;
	}
	/* Full: keep the names that matter most, so none is let through unjudged. */
	out->names_dropped++;
	if (in->rank == NULL) {
		return;
	}
	if (!in->ranked) {
		for (unsigned i = 0; i < INSPECT_NAMES_MAX; i++) {
			unsigned r = in->rank(in->rank_ctx, &out->names[i], out->proto);
			in->ranks[i] = (uint8_t)(r > UINT8_MAX ? UINT8_MAX : r);
		}
		in->ranked = true;
	}
	unsigned r = in->rank(in->rank_ctx, n, out->proto);
	unsigned low = 0;
	for (unsigned i = 1; i < INSPECT_NAMES_MAX; i++) {
		low = in->ranks[i] < in->ranks[low] ? i : low;
	}
	if (r > in->ranks[low]) {
		name_copy(&out->names[low], n);
		out->qtypes[low] = qtype;
		in->ranks[low] = (uint8_t)(r > UINT8_MAX ? UINT8_MAX : r);
	}
}

void result_text_name(struct inspector *in, struct inspect_result *out, struct span s,
		      const char *bad_reason)
{
	struct name n;
	if (name_from_text(&n, (const char *)s.ptr, s.len) == 0) {
		result_add_name(in, out, &n, 0);
		result_set(out, INSPECT_NAMED, NULL);
	} else {
		result_set(out, INSPECT_MALFORMED, bad_reason);
	}
}

void dns_collect(struct inspector *in, const uint8_t *msg, size_t len, struct inspect_result *out,
		 unsigned *bad)
{
	if (len < DNS_HEADER_LEN || (msg[2] & 0x80) != 0) {
		return; /* not a query */
	}
	unsigned qdcount = (unsigned)msg[4] << 8 | msg[5];
	size_t pos = DNS_HEADER_LEN;
	bool pointer = false, forward = false;
	/* Every question, however many the header claims: each takes at least 5 bytes, so the
	 * message bounds the walk. */
	for (unsigned i = 0; i < qdcount; i++) {
		struct dns_question q;
		if (dns_question_next(msg, len, &pos, &q, &pointer, &forward) != PARSE_OK) {
			(*bad)++;
			return;
		}
		if (q.name_ok) {
			result_add_name(in, out, &q.name, q.qtype);
		} else {
			(*bad)++;
		}
	}
	if (forward) {
		(*bad)++;
	}
}

bool answer_collect(struct inspector *in, const uint8_t *msg, size_t len, bool cut,
		    struct inspect_result *out)
{
	if (out->nanswers == INSPECT_ANSWERS_MAX) {
		out->answers_dropped++;
		return true;
	}
	struct dns_answer *a = &in->answers[out->nanswers];
	if (dns_answer_parse(msg, len, cut, a) != PARSE_OK) {
		return false;
	}
	out->answers = in->answers;
	out->answer_msgs[out->nanswers].ptr = msg;
	out->answer_msgs[out->nanswers].len = len;
	out->nanswers++;
	/* For display: the chains (the verdict reads `answers`). */
	for (unsigned i = 0; i < a->nchain && out->nnames < INSPECT_NAMES_MAX; i++) {
		out->names[out->nnames] = a->chain[i];
		out->qtypes[out->nnames++] = a->qtype;
	}
	return true;
}

/* A DNS response over UDP from the server's side. */
static void inspect_dns_response(struct inspector *in, const struct pkt *p,
				 struct inspect_result *out)
{
	out->proto = INSPECT_PROTO_DNS;
	out->dns_msg.ptr = p->payload;
	out->dns_msg.len = p->payload_len;
	if (!in->responses) {
		result_set(out, INSPECT_IGNORED, "dns-response");
	} else if (answer_collect(in, p->payload, p->payload_len, false, out)) {
		result_set(out, INSPECT_ANSWER, NULL);
	} else {
		result_set(out, INSPECT_IGNORED, "bad-response");
	}
}

static void inspect_dns_udp(struct inspector *in, const struct pkt *p, struct inspect_result *out)
{
	unsigned bad = 0;

	out->proto = INSPECT_PROTO_DNS;
	out->dns_msg.ptr = p->payload;
	out->dns_msg.len = p->payload_len;
	if (p->payload_len < DNS_HEADER_LEN) {
		result_set(out, INSPECT_MALFORMED, "not-dns");
		return;
	}
	if (p->payload[2] & 0x80) {
		result_set(out, INSPECT_IGNORED, "dns-response");
		return;
	}
	dns_collect(in, p->payload, p->payload_len, out, &bad);
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, bad > 0 ? "bad-question" : NULL);
	} else if (bad > 0) {
		result_set(out, INSPECT_MALFORMED, "bad-question");
	} else {
		result_set(out, INSPECT_NAMELESS, "no-question");
	}
}

/* ---- UDP ---- */

/* Google QUIC (Q043..Q046): the CHLO is in clear text. True when the datagram was one. */
static bool inspect_gquic(struct inspector *in, const struct pkt *p, struct inspect_result *out)
{
	struct gquic_result g;
	enum parse_result r = gquic_chlo_sni(p->payload, p->payload_len, &g);
	if (r == PARSE_NOT_MINE) {
		return false;
	}
	out->proto = INSPECT_PROTO_GQUIC;
	out->quic_version = g.version;
	if (r == PARSE_MALFORMED) {
		result_set(out, INSPECT_MALFORMED, g.reason);
	} else if (r == PARSE_NEED_MORE) {
		result_set(out, INSPECT_PENDING, g.reason);
	} else if (!g.has_sni) {
		result_set(out, INSPECT_NAMELESS, "no-sni");
	} else {
		result_text_name(in, out, g.sni, "bad-sni");
	}
	return true;
}

static void inspect_udp(struct inspector *in, const struct pkt *p, const struct inspect_meta *meta,
			uint64_t now_ms, struct inspect_result *out)
{
	if (p->sport == DNS_PORT && p->payload_len >= DNS_HEADER_LEN && (p->payload[2] & 0x80)) {
		/* From the server's port: what it answered (a "response" sent to a server's port
		 * 53 is the client's, and teaches nothing). */
		inspect_dns_response(in, p, out);
		return;
	}
	if (p->dport == DNS_PORT) {
		inspect_dns_udp(in, p, out);
		return;
	}
	if (p->sport == DNS_PORT) {
		result_set(out, INSPECT_IGNORED, "dns-response");
		return;
	}
	struct flow_key k, rk;
	key_from_pkt(&k, p, false);
	key_from_pkt(&rk, p, true);
	struct flow *f = flow_find(in->ft, &k);
	struct flow *rf = f == NULL ? flow_find(in->ft, &rk) : NULL;
	if (rf != NULL) {
		if (rf->proto == INSPECT_PROTO_QUIC) {
			quic_server_packet(in, rf, p, meta->in_ifindex, out);
		} else {
			result_set(out, INSPECT_IGNORED, "server-side");
		}
		return;
	}
	if (inspect_gquic(in, p, out)) {
		return;
	}
	/* Only a long header (first bit set) can be a client Initial (RFC 9000 section 17.2);
	 * a short header belongs to a connection decided before. */
	if (p->payload_len < 7 || (p->payload[0] & 0x80) == 0) {
		if (f != NULL && f->state == FLOW_DECIDED) {
			flow_touch(in->ft, f, now_ms);
			out->proto = (enum inspect_proto)f->proto;
			out->mark = f->verdict;
			result_set(out, INSPECT_DECIDED, NULL);
			return;
		}
		/* Another protocol, or a connection older than this inspector: nothing to judge
		 * in it, and its long-header packets still reach us (see quicflow.c). */
		out->mark = f == NULL ? INSPECT_MARK_ALLOW : INSPECT_MARK_NONE;
		result_set(out, INSPECT_IGNORED, f != NULL ? "quic-short-header" : "udp-other");
		return;
	}
	inspect_quic(in, p, f, &k, meta->in_ifindex, now_ms, out);
}

void inspect_packet(struct inspector *in, const uint8_t *ip, size_t len,
		    const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *out)
{
	static const struct inspect_meta none = {false, INSPECT_MARK_NONE, 0};
	if (meta == NULL) {
		meta = &none;
	}
	out->proto = INSPECT_PROTO_NONE;
	out->state = INSPECT_IGNORED;
	out->mark = INSPECT_MARK_NONE;
	out->hold = false;
	out->reason = NULL;
	out->nnames = 0;
	out->names_dropped = 0;
	out->dns_msg.ptr = NULL;
	out->dns_msg.len = 0;
	out->quic_version = 0;
	out->quic_dcid.ptr = out->quic_scid.ptr = NULL;
	out->quic_dcid.len = out->quic_scid.len = 0;
	out->has_ech = out->ech_outer = false;
	out->answers = NULL;
	out->nanswers = out->answers_dropped = 0;
	in->cand_srv_flow = NULL;
	out->flow_packets = 0;
	in->ranked = false;
	in->cand_flow = NULL;
	in->stats.packets++;

	enum parse_result r = pkt_parse(ip, len, meta->truncated, &out->pkt);
	if (r == PARSE_NOT_MINE) {
		result_set(out, INSPECT_IGNORED, "not-ip");
		return;
	}
	if (r != PARSE_OK) {
		/* Judged alone: it decides nothing for its connection, and what cannot be read
		 * cannot pass as if it had been. */
		out->hold = true;
		result_set(out, INSPECT_MALFORMED, "bad-ip-header");
		return;
	}
	const struct pkt *p = &out->pkt;
	if (p->is_fragment) {
		/* Names are not guessed from pieces; conntrack reassembles before the queue. */
		result_set(out, INSPECT_IGNORED, "fragment");
		return;
	}
	if (p->l4_proto == PKT_PROTO_TCP) {
		inspect_tcp(in, p, meta, now_ms, out);
	} else if (p->l4_proto == PKT_PROTO_UDP) {
		inspect_udp(in, p, meta, now_ms, out);
	} else {
		result_set(out, INSPECT_IGNORED, "other-protocol");
	}
}

enum inspect_mark inspect_decide(struct inspector *in, const struct inspect_result *res,
				 enum inspect_verdict v)
{
	const struct pkt *p = &res->pkt;
	struct flow_key k;

	if (res->proto == INSPECT_PROTO_DNS || (res->hold && v == INSPECT_VERDICT_ALLOW) ||
	    (p->l4_proto != PKT_PROTO_TCP && p->l4_proto != PKT_PROTO_UDP)) {
		return INSPECT_MARK_NONE; /* every DNS query over UDP is judged on its own */
	}
	key_from_pkt(&k, p, false);
	struct flow *f = flow_find(in->ft, &k);
	if (f == NULL) {
		return v == INSPECT_VERDICT_ALLOW  ? INSPECT_MARK_NONE
		       : v == INSPECT_VERDICT_DROP ? INSPECT_MARK_DROP
						   : INSPECT_MARK_REJECT;
	}
	if (p->l4_proto == PKT_PROTO_TCP) {
		return tcp_decide(in, f, res, v);
	}
	return quic_decide(in, f, res, v);
}

void inspect_get_stats(const struct inspector *in, struct inspect_stats *st)
{
	*st = in->stats;
	flow_table_stats(in->ft, st);
}

const char *inspect_proto_str(enum inspect_proto p)
{
	static const char *const names[] = {"none", "dns",  "dns-tcp", "tls",
					    "http", "quic", "gquic"};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

const char *inspect_state_str(enum inspect_state s)
{
	static const char *const names[] = {"ignored",	  "pending",   "named",	  "nameless",
					    "unfinished", "malformed", "decided", "answer"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *inspect_mark_str(enum inspect_mark m)
{
	static const char *const names[] = {"none", "follow", "watch", "allow", "drop", "reject"};
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}
