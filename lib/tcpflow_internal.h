/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the two halves of TCP inspection share: tcpflow.c (the connection, the server's side,
 * the decision) and tcpcopy.c (the client's bytes, held and judged copy by copy). Internal to
 * libembargo. */
#ifndef EMBARGO_TCPFLOW_INTERNAL_H
#define EMBARGO_TCPFLOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "inspect_internal.h"

/* Flows judged message by message, whose held copy slides as the server acknowledges. */
static inline bool tcp_is_sliding(const struct flow *f)
{
	return f->proto == INSPECT_PROTO_DNS_TCP || (f->u.tcp.flags & TCP_F_WATCH) != 0;
}

/* The held copy of `f`: the stream of its buffer (f->buffer must not be FLOW_NONE). */
static inline struct stream_buf *tcp_held(struct inspector *in, const struct flow *f)
{
	return flow_buffer_stream(in->ft, f->buffer);
}

/* A segment with data from the client of an undecided flow (tcpcopy.c): held, compared with
 * what passed, judged; the verdict-to-be in `out`. */
void tcp_client_data(struct inspector *in, struct flow *f, const struct pkt *p,
		     const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *out);

#endif
