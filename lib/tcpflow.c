/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP in the inspection pipeline: the connection as both sides show it.
 *
 * The server is the judge of what was sent (DESIGN.md principle 8): the client's bytes are held
 * as the server will take them and judged copy by copy (tcpcopy.c); here are the handshake, the
 * flow joined in the middle, the server's side, and the decision. An allow is tentative until
 * the server acknowledges the end of the bytes it was decided on; until then the flow stays
 * queued both ways. HTTP and DNS over TCP are judged message by message for the life of the
 * flow: their held copy slides to the next message boundary the server acknowledges, and the
 * responses of DNS over TCP are read for what they answer.
 */
#include "embargo/dns.h"
#include "tcpflow_internal.h"

static void tcp_start(struct flow *f, uint32_t isn1)
{
	struct tcp_state *t = &f->u.tcp;
	memset(t, 0, sizeof(*t));
	t->isn1 = t->win_seq = t->acked_seq = t->sent_end = t->msg_seq = isn1;
}

/* Move the held copy's start to `seq` (forward only); the other copy follows. */
static void rebase(struct inspector *in, struct flow *f, uint32_t seq)
{
	struct tcp_state *t = &f->u.tcp;
	uint32_t n = seq - t->win_seq;
	if (!seq_before(t->win_seq, seq)) {
		return;
	}
	t->win_seq = seq;
	if (f->buffer != FLOW_NONE) {
		struct stream_buf *h = tcp_held(in, f);
		if (n >= h->contiguous && h->nranges == 0) {
			flow_buffer_put(in->ft, f,
					&f->buffer); /* nothing held past the new start */
		} else {
			stream_shift(h, n);
		}
	}
	flow_buffer_put(in->ft, f, &f->alt_buffer);
}

/*
 * The server acknowledged up to acked_seq: release what it has. A sliding flow keeps its held
 * copy starting at a message boundary; HTTP skips a body once its head is acknowledged.
 */
static void release_acked(struct inspector *in, struct flow *f)
{
	struct tcp_state *t = &f->u.tcp;
	if (!tcp_is_sliding(f) || (t->flags & TCP_F_TENTATIVE) != 0) {
		return;
	}
	uint32_t to = t->win_seq;
	for (unsigned i = 0; i < t->nstarts; i++) {
		if (!seq_before(t->acked_seq, t->starts[i]) && seq_before(to, t->starts[i])) {
			to = t->starts[i];
		}
	}
	if (!seq_before(t->acked_seq, t->msg_seq) && seq_before(to, t->msg_seq)) {
		to = t->msg_seq;
	}
	/* The head framing this body is acknowledged: the body's bytes decide nothing, so the
	 * held copy starts again after it. */
	if (!(t->flags & TCP_F_CHUNKED) && t->body_left > 0 &&
	    !seq_before(t->acked_seq, t->msg_seq)) {
		uint32_t skip = t->body_left > (1u << 30) ? 1u << 30 : (uint32_t)t->body_left;
		t->msg_seq += skip;
		t->body_left -= skip;
		to = t->msg_seq;
	}
	rebase(in, f, to);
}

/* Allowed for good, or back under watch: the packet that showed it gets `mark`. */
static void confirm(struct inspector *in, struct flow *f, struct inspect_result *out)
{
	struct tcp_state *t = &f->u.tcp;
	t->flags &= (uint8_t)~TCP_F_TENTATIVE;
	in->stats.confirmed++;
	out->mark = t->tentative_mark;
	if (t->tentative_mark == INSPECT_MARK_ALLOW) {
		f->verdict = INSPECT_MARK_ALLOW;
		flow_set_state(in->ft, f, FLOW_DECIDED);
		return;
	}
	if (t->tentative_mark == INSPECT_MARK_WATCH) {
		t->flags |= TCP_F_WATCH;
	}
	release_acked(in, f);
}

/* What the server's packet says about the client's stream: its acknowledgement, a RST, the
 * SYN-ACK of a new connection. False when the flow is gone (the packet was a RST). */
static bool server_ack(struct inspector *in, struct flow *f, const struct pkt *p, uint64_t now_ms,
		       struct inspect_result *out)
{
	struct tcp_state *t = &f->u.tcp;
	flow_touch(in->ft, f, now_ms);
	if (p->tcp_flags & PKT_TCP_RST) {
		/* Only the server side can send this: the connection is over. */
		flow_remove(in->ft, f);
		return false;
	}
	if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == (PKT_TCP_SYN | PKT_TCP_ACK)) {
		if ((t->flags & TCP_F_NEW_SYN) && p->tcp_ack == t->pending_isn1) {
			/* The server took the other SYN: a new connection on this tuple. */
			flow_buffer_put(in->ft, f, &f->buffer);
			flow_buffer_put(in->ft, f, &f->alt_buffer);
			uint8_t proto = f->proto == INSPECT_PROTO_DNS_TCP ? f->proto : 0;
			tcp_start(f, p->tcp_ack);
			t->flags = TCP_F_SYN;
			t->syn_ms = now_ms;
			f->proto = proto;
			f->packets = 0;
			f->first_ms = now_ms;
			result_set(out, INSPECT_IGNORED, "new-handshake");
			t->srv_next = p->tcp_seq;
			t->flags |= TCP_F_SRV;
			return true;
		}
		/* The server's stream starts after its SYN. */
		t->srv_next = p->tcp_seq; /* (pkt_parse counts the SYN) */
		t->flags |= TCP_F_SRV;
	}
	if (!(p->tcp_flags & PKT_TCP_ACK)) {
		return true;
	}
	/* An acknowledgement counts when it moves forward and covers only bytes let through. */
	uint32_t a = p->tcp_ack;
	if (seq_before(a, t->win_seq) || seq_before(t->sent_end, a)) {
		return true;
	}
	if (!(t->flags & TCP_F_ACKED) || seq_before(t->acked_seq, a)) {
		t->acked_seq = a;
		t->flags |= TCP_F_ACKED;
	}
	if ((t->flags & TCP_F_TENTATIVE) && !seq_before(t->acked_seq, t->confirm_seq)) {
		confirm(in, f, out);
		result_set(out, INSPECT_IGNORED, "confirmed");
		return true;
	}
	release_acked(in, f);
	return true;
}

static size_t be16_at(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* Responses read from one segment before the rest is skipped (each costs a parse). */
#define SERVER_MESSAGES_MAX 64

/*
 * DNS over TCP: the responses that start in the server's segment. Where the next one starts
 * is known from the server's SYN (or, for a connection joined in the middle, from a segment
 * that starts like a response); a response the segment cuts is read as far as it goes and the
 * rest of it is skipped. Where the stream goes next becomes the flow's only once the packet
 * passes (inspect_answer_passed), so a response held back is read again when it comes again.
 * A segment that starts past a gap falls back to the guess.
 */
static void server_answers(struct inspector *in, struct flow *f, const struct pkt *p,
			   struct inspect_result *out)
{
	const struct tcp_state *t = &f->u.tcp;
	const uint8_t *data = p->payload;
	size_t n = p->payload_len, pos = 0;
	int64_t d = (int32_t)(t->srv_next - p->tcp_seq);
	bool known = (t->flags & TCP_F_SRV) != 0;
	if (known && d > 0 && (size_t)d >= n) {
		return; /* inside a response already read (or skipped) */
	}
	if (!known || d < 0) {
		if (n < 2 + DNS_HEADER_LEN || (data[4] & 0x80) == 0 ||
		    be16_at(data) < DNS_HEADER_LEN) {
			return;
		}
		known = true;
	} else {
		pos = (size_t)d;
	}
	for (unsigned i = 0; pos + 2 <= n; i++) {
		size_t len = be16_at(data + pos);
		if (len == 0 || i == SERVER_MESSAGES_MAX) {
			known = false; /* framing lost, or too many to read: guess again later */
			break;
		}
		size_t have = n - pos - 2;
		bool cut = have < len;
		answer_collect(in, data + pos + 2, cut ? have : len, cut, out);
		pos += 2 + len;
	}
	in->cand_srv_flow = f;
	in->cand_srv_next = p->tcp_seq + (uint32_t)pos;
	in->cand_srv_known = known;
	if (out->nanswers > 0) {
		result_set(out, INSPECT_ANSWER, NULL);
	}
}

/* A packet from the server of a flow the client opened. */
static void server_packet(struct inspector *in, struct flow *f, const struct pkt *p,
			  const struct inspect_meta *meta, uint64_t now_ms,
			  struct inspect_result *out)
{
	out->proto = (enum inspect_proto)f->proto;
	result_set(out, INSPECT_IGNORED, "server-side");
	if (f->state == FLOW_DECIDED) {
		return;
	}
	if (meta->in_ifindex != 0 && meta->in_ifindex == f->u.tcp.client_ifindex) {
		/* It claims to be the server but comes from the client's side: a client forging
		 * the acknowledgement of its own decoy (or an answer to teach). It speaks for
		 * nobody. */
		result_set(out, INSPECT_IGNORED, "server-from-client-side");
		return;
	}
	if (!server_ack(in, f, p, now_ms, out)) {
		return;
	}
	if (f->proto == INSPECT_PROTO_DNS_TCP && p->payload_len > 0 && in->responses) {
		server_answers(in, f, p, out);
	}
}

/* A SYN from the client: a new flow, a retransmission, or another SYN on the same tuple. */
static bool client_syn(struct inspector *in, struct flow **fp, const struct flow_key *k,
		       const struct pkt *p, uint32_t ifindex, uint64_t now_ms,
		       struct inspect_result *out)
{
	struct flow *f = *fp;
	if (f != NULL && f->u.tcp.isn1 == p->tcp_seq && (f->u.tcp.flags & TCP_F_SYN)) {
		if (f->state == FLOW_DECIDED) {
			out->mark = f->verdict;
			result_set(out, INSPECT_DECIDED, "syn-again");
		} else {
			out->mark = INSPECT_MARK_FOLLOW;
			result_set(out, INSPECT_IGNORED, "syn-again");
		}
		return true;
	}
	if (f != NULL) {
		/* Only the server can say this SYN starts a new connection (its SYN-ACK answers
		 * it); until then the flow goes on as it was. */
		f->u.tcp.pending_isn1 = p->tcp_seq;
		f->u.tcp.flags |= TCP_F_NEW_SYN;
		out->mark = f->state == FLOW_DECIDED ? f->verdict : INSPECT_MARK_NONE;
		result_set(out, f->state == FLOW_DECIDED ? INSPECT_DECIDED : INSPECT_IGNORED,
			   "other-syn");
		return true;
	}
	f = flow_create(in->ft, k, now_ms);
	tcp_start(f, p->tcp_seq);
	f->u.tcp.flags = TCP_F_SYN;
	f->u.tcp.syn_ms = now_ms;
	f->u.tcp.syn_ttl = p->ttl;
	f->u.tcp.client_ifindex = ifindex;
	if (p->dport == DNS_PORT) {
		f->proto = INSPECT_PROTO_DNS_TCP;
	}
	*fp = f;
	if (p->payload_len == 0) {
		out->mark = INSPECT_MARK_FOLLOW;
		result_set(out, INSPECT_IGNORED, "syn");
		return true;
	}
	return false; /* data on the SYN (TCP Fast Open): inspected like any data */
}

/*
 * A flow this inspector has no state for. The kernel's mark tells what it knows: a flow the
 * daemon followed and lost (its first message can no longer be judged), an HTTP connection
 * under watch (its next request is judged from here), or one never seen (opened before the
 * daemon started: joined here, the segment read as a stream start). DNS over TCP is always
 * joined again.
 */
static struct flow *unknown_flow(struct inspector *in, const struct flow_key *k,
				 const struct pkt *p, const struct inspect_meta *meta,
				 uint64_t now_ms, struct inspect_result *out)
{
	if (p->payload_len == 0) {
		result_set(out, INSPECT_IGNORED, "no-payload");
		return NULL;
	}
	struct flow *f = flow_create(in->ft, k, now_ms);
	tcp_start(f, p->tcp_seq);
	f->u.tcp.client_ifindex = meta->in_ifindex;
	uint8_t kernel_mark = meta->kernel_mark;
	if (p->dport == DNS_PORT) {
		f->proto = INSPECT_PROTO_DNS_TCP;
	}
	if (kernel_mark == INSPECT_MARK_FOLLOW && f->proto != INSPECT_PROTO_DNS_TCP) {
		/* DNS over TCP is judged message by message and a client idle long enough to be
		 * forgotten starts its next query on a message boundary: it is joined again. */
		f->lost = true;
	} else if (kernel_mark == INSPECT_MARK_WATCH) {
		f->proto = INSPECT_PROTO_HTTP;
		f->u.tcp.flags |= TCP_F_WATCH;
	}
	return f;
}

void inspect_tcp(struct inspector *in, const struct pkt *p, const struct inspect_meta *meta,
		 uint64_t now_ms, struct inspect_result *out)
{
	struct flow_key k;
	key_from_pkt(&k, p, false);
	struct flow *f = flow_find(in->ft, &k);
	if (f == NULL) {
		struct flow_key rk;
		key_from_pkt(&rk, p, true);
		struct flow *rf = flow_find(in->ft, &rk);
		if (rf != NULL) {
			server_packet(in, rf, p, meta, now_ms, out);
			return;
		}
		if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == (PKT_TCP_SYN | PKT_TCP_ACK)) {
			/* The handshake's answer seen first: the client is the destination. */
			struct flow *cf = flow_create(in->ft, &rk, now_ms);
			tcp_start(cf, p->tcp_ack);
			cf->u.tcp.flags = TCP_F_ACKED | TCP_F_SRV;
			cf->u.tcp.srv_next = p->tcp_seq;
			if (p->sport == DNS_PORT) {
				cf->proto = INSPECT_PROTO_DNS_TCP;
			}
			out->mark = INSPECT_MARK_FOLLOW;
			result_set(out, INSPECT_IGNORED, "syn-ack");
			return;
		}
	}
	if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		if (client_syn(in, &f, &k, p, meta->in_ifindex, now_ms, out)) {
			return;
		}
	} else if (p->tcp_flags & PKT_TCP_SYN) {
		result_set(out, INSPECT_IGNORED, "syn-ack");
		return;
	}
	if (f == NULL) {
		f = unknown_flow(in, &k, p, meta, now_ms, out);
		if (f == NULL) {
			return;
		}
	}
	if (f->state == FLOW_DECIDED) {
		flow_touch(in->ft, f, now_ms);
		out->proto = (enum inspect_proto)f->proto;
		out->mark = f->verdict;
		result_set(out, INSPECT_DECIDED, NULL);
		return;
	}
	flow_touch(in->ft, f, now_ms);
	if (p->payload_len == 0) {
		/* A pure ACK, FIN or RST from the client: it may be a fake, so the flow is kept
		 * (it expires). The handshake's last ACK gives the round trip. */
		struct tcp_state *t = &f->u.tcp;
		if ((t->flags & TCP_F_SYN) && t->rtt_ms == 0 && (p->tcp_flags & PKT_TCP_ACK) &&
		    p->tcp_seq == t->isn1 && now_ms > t->syn_ms) {
			t->rtt_ms = (uint32_t)(now_ms - t->syn_ms);
		}
		out->proto = (enum inspect_proto)f->proto;
		result_set(out, INSPECT_IGNORED, "no-payload");
		return;
	}
	tcp_client_data(in, f, p, meta, now_ms, out);
}

enum inspect_mark tcp_decide(struct inspector *in, struct flow *f, const struct inspect_result *res,
			     enum inspect_verdict v)
{
	struct tcp_state *t = &f->u.tcp;
	if (v != INSPECT_VERDICT_ALLOW) {
		f->verdict = v == INSPECT_VERDICT_DROP ? INSPECT_MARK_DROP : INSPECT_MARK_REJECT;
		flow_set_state(in->ft, f, FLOW_DECIDED);
		return f->verdict;
	}
	if (in->cand_flow != f || !in->cand.judged) {
		/* Names only another copy had, all allowed: nothing of this flow was judged. */
		return INSPECT_MARK_NONE;
	}
	{
		const struct msg_cursor *c = &in->cand;
		t->msg_seq = c->seq;
		t->body_left = c->body_left;
		t->chunks = c->chunks;
		t->flags =
			(uint8_t)((t->flags & ~TCP_F_CHUNKED) | (c->chunked ? TCP_F_CHUNKED : 0));
		for (unsigned i = 0; i < c->nstarts; i++) {
			if (t->nstarts < MSG_STARTS_MAX) {
				t->starts[t->nstarts++] = c->starts[i];
			} else {
				memmove(t->starts, t->starts + 1,
					(MSG_STARTS_MAX - 1) * sizeof(t->starts[0]));
				t->starts[MSG_STARTS_MAX - 1] = c->starts[i];
			}
		}
	}
	in->cand_flow = NULL;
	if (f->proto == INSPECT_PROTO_NONE || f->proto == INSPECT_PROTO_GQUIC) {
		f->proto = (uint8_t)res->proto;
	}
	/* Allowed on the bytes up to the end of what was judged: final once the server has
	 * them. */
	t->confirm_seq = seq_before(t->sent_end, t->msg_seq) ? t->sent_end : t->msg_seq;
	t->flags |= TCP_F_TENTATIVE;
	t->tentative_mark = f->proto == INSPECT_PROTO_DNS_TCP ? INSPECT_MARK_NONE
			    : f->proto == INSPECT_PROTO_HTTP  ? INSPECT_MARK_WATCH
							      : INSPECT_MARK_ALLOW;
	if ((t->flags & TCP_F_ACKED) && !seq_before(t->acked_seq, t->confirm_seq)) {
		struct inspect_result dummy;
		dummy.mark = INSPECT_MARK_NONE;
		confirm(in, f, &dummy);
		return dummy.mark;
	}
	return INSPECT_MARK_FOLLOW;
}
