/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of the inspection pipeline (inspect.c, tcpflow.c, tcpcopy.c, sniff.c,
 * quicflow.c) share. Internal to libembargo. */
#ifndef EMBARGO_INSPECT_INTERNAL_H
#define EMBARGO_INSPECT_INTERNAL_H

#include <string.h>

#include "embargo/http.h"
#include "embargo/inspect.h"
#include "flow.h"

#define DNS_PORT 53

/*
 * Where parsing of a client stream stands: the next message, and for HTTP the body still to
 * skip. Parsing works on a copy, so a copy that is not let through changes nothing; what was
 * parsed from the copy that is let through becomes the flow's once the caller decides.
 */
struct msg_cursor {
	uint32_t seq;	    /* the next message starts here */
	uint64_t body_left; /* HTTP: body bytes before it (Content-Length) */
	bool chunked;	    /* HTTP: a chunked body comes first */
	struct http_chunks chunks;
	uint32_t starts[MSG_STARTS_MAX]; /* starts of the messages judged */
	uint8_t nstarts;
	bool judged; /* at least one whole message was judged */
};

struct inspector {
	struct inspect_limits lim;
	struct flow_table *ft;
	uint8_t *tls_scratch; /* TLS_HELLO_MAX, for hellos that span records */
	uint8_t *view;	      /* buffer_bytes: a copy without urgent bytes */
	unsigned (*rank)(void *ctx, const struct name *n, enum inspect_proto p);
	void *rank_ctx;
	uint8_t ranks[INSPECT_NAMES_MAX]; /* rank of names[i] once the array filled up */
	bool ranked;
	/* The last packet's parse, committed by inspect_decide when it is let through. */
	struct flow *cand_flow;
	struct msg_cursor cand;
	/* DNS responses: read at all, the last packet's, and for a TCP segment where the
	 * server's next message starts once it passes (inspect_answer_passed). */
	bool responses;
	struct dns_answer answers[INSPECT_ANSWERS_MAX];
	struct flow *cand_srv_flow;
	uint32_t cand_srv_next;
	bool cand_srv_known;
	struct inspect_stats stats;
};

static inline void key_from_pkt(struct flow_key *k, const struct pkt *p, bool reverse)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, reverse ? p->dst : p->src, 16);
	memcpy(k->dst, reverse ? p->src : p->dst, 16);
	k->sport = reverse ? p->dport : p->sport;
	k->dport = reverse ? p->sport : p->dport;
	k->l4_proto = p->l4_proto;
	k->ip_version = p->ip_version;
}

/* Sequence-number order (RFC 9293 section 3.4): true when a comes before b. */
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- results (inspect.c) ---- */

void result_set(struct inspect_result *out, enum inspect_state st, const char *reason);
void result_add_name(struct inspector *in, struct inspect_result *out, const struct name *n,
		     uint16_t qtype);
/* A name given as text by a parser (SNI, Host): normalised, else the result is MALFORMED. */
void result_text_name(struct inspector *in, struct inspect_result *out, struct span s,
		      const char *bad_reason);
/* Names of every question of one DNS query message; `*bad` counts unusable ones. */
void dns_collect(struct inspector *in, const uint8_t *msg, size_t len, struct inspect_result *out,
		 unsigned *bad);
/* One DNS response message into the result's next answer; false when it is not one. */
bool answer_collect(struct inspector *in, const uint8_t *msg, size_t len, bool cut,
		    struct inspect_result *out);

/* ---- parsing a copy of a client stream (sniff.c) ---- */

/*
 * The first message of a TCP stream, `len` bytes of a copy from the stream start: TLS
 * ClientHello, HTTP request head, or something else. Fills out's proto, state, names; `*end`
 * gets the stream bytes the judged message took (0 while PENDING) and `*cur` the HTTP framing
 * that follows it.
 */
void sniff_first(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
		 struct inspect_result *out, struct msg_cursor *cur);

/* DNS over TCP: every whole message of the copy from `cur->seq` on (`data` starts at
 * `base_seq`). */
void sniff_dns(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
	       struct inspect_result *out, struct msg_cursor *cur);

/* HTTP after the first request: body framing, then every whole request head from `cur`. */
void sniff_http(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
		struct inspect_result *out, struct msg_cursor *cur);

/* ---- transports ---- */

void inspect_tcp(struct inspector *in, const struct pkt *p, const struct inspect_meta *meta,
		 uint64_t now_ms, struct inspect_result *out);
enum inspect_mark tcp_decide(struct inspector *in, struct flow *f, const struct inspect_result *res,
			     enum inspect_verdict v);

void inspect_quic(struct inspector *in, const struct pkt *p, struct flow *f,
		  const struct flow_key *k, uint32_t ifindex, uint64_t now_ms,
		  struct inspect_result *out);
/* A packet from the server of a QUIC flow: its first long-header packet makes the client's
 * allowed connections final. */
void quic_server_packet(struct inspector *in, struct flow *f, const struct pkt *p, uint32_t ifindex,
			struct inspect_result *out);
enum inspect_mark quic_decide(struct inspector *in, struct flow *f,
			      const struct inspect_result *res, enum inspect_verdict v);

#endif
