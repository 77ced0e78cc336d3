/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client's side of a TCP flow: its byte stream held as the server will take it, and each
 * copy of it judged (tcpflow.c follows the connection and the server).
 *
 * Every client segment that passes is held (from win_seq on) until the server acknowledges it,
 * so a later copy of the same bytes can be compared. A copy that differs from what passed — a
 * decoy the server never took, or the real bytes after one — is parsed on its own and blocks
 * if it names a listed host; otherwise it is held back (dropped) until the flow has been quiet
 * for about two round trips and the copy starts where the server's acknowledgement stands, so
 * that one copy at a time is in flight and what passed is what the server has.
 *
 * Urgent data (RFC 9293 section 3.8.5): a server that does not read out of band removes the
 * urgent byte from the stream, so the first message is read both with and without it.
 */
#include "tcpflow_internal.h"

/* Quiet time before a differing copy may replace what passed: two round trips, within bounds;
 * without a measured round trip, the default. */
#define QUIET_DEFAULT_MS 200
#define QUIET_MIN_MS	 20
#define QUIET_MAX_MS	 1000

static uint32_t quiet_ms(const struct tcp_state *t)
{
	if (t->rtt_ms == 0) {
		return QUIET_DEFAULT_MS;
	}
	uint32_t q = t->rtt_ms * 2;
	return q < QUIET_MIN_MS ? QUIET_MIN_MS : q > QUIET_MAX_MS ? QUIET_MAX_MS : q;
}

/* Give `f` an empty buffer for its held copy; false when none is left for its client. */
static bool take_buffer(struct inspector *in, struct flow *f)
{
	if (f->buffer != FLOW_NONE) {
		return true;
	}
	f->buffer = flow_buffer_get(in->ft, f);
	if (f->buffer == FLOW_NONE) {
		return false;
	}
	stream_init(tcp_held(in, f), flow_buffer_data(in->ft, f->buffer),
		    flow_buffer_bytes(in->ft));
	return true;
}

/* Urgent pointer of a segment: the byte before it is out of band (RFC 9293 section 3.8.5, the
 * reading every common stack uses). */
static void note_urgent(struct tcp_state *t, const struct pkt *p)
{
	if (!(p->tcp_flags & PKT_TCP_URG) || p->tcp_urgent == 0) {
		return;
	}
	uint32_t seq = p->tcp_seq + p->tcp_urgent - 1;
	for (unsigned i = 0; i < t->nurgent; i++) {
		if (t->urgent[i] == seq) {
			return;
		}
	}
	if (t->nurgent < TCP_URGENT_MAX) {
		t->urgent[t->nurgent++] = seq;
	} else {
		/* The oldest mark is dropped: a stack keeps one urgent byte pending at a time. */
		memmove(t->urgent, t->urgent + 1, (TCP_URGENT_MAX - 1) * sizeof(t->urgent[0]));
		t->urgent[TCP_URGENT_MAX - 1] = seq;
	}
}

/*
 * The first message of a copy (`len` bytes from win_seq): read as it stands and, when urgent
 * bytes fall inside, also without them (the server's reading); names of both readings count,
 * the state and framing come from the server's reading.
 */
static void judge_first(struct inspector *in, struct flow *f, const uint8_t *data, size_t len,
			struct inspect_result *out, struct msg_cursor *cur)
{
	const struct tcp_state *t = &f->u.tcp;
	size_t nview = 0;
	uint32_t cut[TCP_URGENT_MAX];
	unsigned ncut = 0;
	for (unsigned i = 0; i < t->nurgent; i++) {
		uint32_t rel = t->urgent[i] - t->win_seq;
		if (!seq_before(t->urgent[i], t->win_seq) && rel < len) {
			cut[ncut++] = rel;
		}
	}
	if (ncut == 0) {
		sniff_first(in, data, len, t->win_seq, out, cur);
		return;
	}
	/* The reading as sent, names only. */
	struct msg_cursor raw = *cur;
	sniff_first(in, data, len, t->win_seq, out, &raw);
	for (size_t i = 0; i < len; i++) {
		bool skip = false;
		for (unsigned c = 0; c < ncut; c++) {
			skip |= cut[c] == i;
		}
		if (!skip) {
			in->view[nview++] = data[i];
		}
	}
	sniff_first(in, in->view, nview, t->win_seq, out, cur);
	if (cur->judged) {
		/* The judged end in stream bytes: urgent bytes before it count too. */
		uint32_t end = cur->seq - t->win_seq;
		for (unsigned c = 0; c < ncut; c++) {
			end += cut[c] < end ? 1u : 0u;
		}
		cur->seq = t->win_seq + end;
	}
	if (out->state != INSPECT_NAMED && out->nnames > 0) {
		result_set(out, INSPECT_NAMED, "urgent-data");
	}
}

/* Parse a copy (the held one, or the other after a conflict) from the flow's next message. */
static void judge_copy(struct inspector *in, struct flow *f, const struct stream_buf *s,
		       struct inspect_result *out, struct msg_cursor *cur)
{
	const struct tcp_state *t = &f->u.tcp;
	uint32_t have = stream_contiguous(s);
	cur->seq = t->msg_seq;
	cur->body_left = t->body_left;
	cur->chunked = (t->flags & TCP_F_CHUNKED) != 0;
	cur->chunks = t->chunks;
	cur->nstarts = 0;
	cur->judged = false;
	if (f->proto == INSPECT_PROTO_DNS_TCP) {
		sniff_dns(in, s->data, have, t->win_seq, out, cur);
	} else if ((t->flags & TCP_F_WATCH) ||
		   (f->proto == INSPECT_PROTO_HTTP && t->msg_seq != t->win_seq)) {
		/* Every request of an HTTP connection is judged, not only the first. */
		sniff_http(in, s->data, have, t->win_seq, out, cur);
	} else if (f->proto != INSPECT_PROTO_NONE && t->msg_seq != t->win_seq) {
		/* TLS or another protocol whose first message was judged: what follows it
		 * (encrypted records) names nothing. */
		out->proto = (enum inspect_proto)f->proto;
		result_set(out, INSPECT_IGNORED, "after-first-message");
	} else if (have == 0) {
		result_set(out, INSPECT_PENDING, "gap");
	} else {
		judge_first(in, f, s->data, have, out, cur);
		if (out->proto == INSPECT_PROTO_HTTP && cur->judged &&
		    out->state != INSPECT_MALFORMED) {
			/* Requests pipelined behind the first, in the same bytes. */
			enum inspect_state st = out->state;
			const char *reason = out->reason;
			sniff_http(in, s->data, have, t->win_seq, out, cur);
			if (out->state != INSPECT_NAMED && out->state != INSPECT_MALFORMED) {
				result_set(out, st, reason);
			}
		}
	}
}

/* The bytes of [seq, seq + n) passed: remember how far and when. */
static void passed(struct tcp_state *t, uint32_t seq, size_t n, uint64_t now_ms)
{
	uint32_t end = seq + (uint32_t)n;
	if (seq_before(t->sent_end, end)) {
		t->sent_end = end;
	}
	t->pass_ms = now_ms;
}

/* Make the parse of the copy that passed the flow's candidate, for inspect_decide; a pending
 * parse (body bytes, chunk framing) moves the flow on at once. */
static void set_candidate(struct inspector *in, struct flow *f, const struct msg_cursor *cur,
			  const struct inspect_result *out)
{
	struct tcp_state *t = &f->u.tcp;
	in->cand_flow = f;
	in->cand = *cur;
	if (out->proto != INSPECT_PROTO_NONE && f->proto == INSPECT_PROTO_NONE) {
		f->proto = (uint8_t)out->proto;
	}
	if (out->state == INSPECT_PENDING && tcp_is_sliding(f)) {
		t->msg_seq = cur->seq;
		t->body_left = cur->body_left;
		t->chunks = cur->chunks;
		t->flags =
			(uint8_t)((t->flags & ~TCP_F_CHUNKED) | (cur->chunked ? TCP_F_CHUNKED : 0));
	}
}

/*
 * The flow reached a bound (packets, time, bytes) undecided: its first message, if recognised
 * and still incomplete, is unfinished; otherwise the flow is nameless.
 */
static void result_bound(struct inspector *in, struct flow *f, struct inspect_result *out,
			 const char *why)
{
	out->nnames = 0;
	out->proto = (enum inspect_proto)f->proto;
	struct msg_cursor cur = {0};
	if (f->buffer != FLOW_NONE && !tcp_is_sliding(f)) {
		judge_copy(in, f, tcp_held(in, f), out, &cur);
		if (out->state == INSPECT_NAMED) {
			set_candidate(in, f, &cur, out);
			return;
		}
	}
	bool recognised =
		out->proto == INSPECT_PROTO_TLS || out->proto == INSPECT_PROTO_HTTP || f->lost;
	out->nnames = 0;
	cur.seq = f->u.tcp.sent_end;
	cur.judged = true;
	set_candidate(in, f, &cur, out);
	result_set(out, recognised ? INSPECT_UNFINISHED : INSPECT_NAMELESS, why);
}

/* Hold the packet back: it may not pass (yet). Names found stay in out, to block on. */
static void hold_back(struct inspector *in, struct inspect_result *out, const char *why)
{
	in->stats.held_back++;
	out->hold = true;
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, why);
	} else {
		result_set(out, INSPECT_PENDING, why);
	}
}

/* Read the other copy on its own (whatever the held one was taken for) into `out`: its names
 * count, its framing does not. */
static void read_other(struct inspector *in, struct flow *f, struct inspect_result *out)
{
	struct tcp_state t = f->u.tcp;
	struct msg_cursor cur;
	uint8_t proto = f->proto;
	/* From the start of what is held, which is a message boundary. */
	f->u.tcp.msg_seq = t.win_seq;
	f->u.tcp.body_left = 0;
	f->u.tcp.flags &= (uint8_t)~TCP_F_CHUNKED;
	if (!tcp_is_sliding(f)) {
		f->proto = INSPECT_PROTO_NONE;
	}
	judge_copy(in, f, flow_buffer_stream(in->ft, f->alt_buffer), out, &cur);
	f->proto = proto;
	f->u.tcp = t;
}

/* After the held copy was judged: names in the other copy count as well. */
static void judge_other(struct inspector *in, struct flow *f, struct inspect_result *out)
{
	struct inspect_result *o = out;
	enum inspect_state st = o->state;
	enum inspect_proto proto = o->proto;
	const char *reason = o->reason;
	unsigned before = o->nnames;
	read_other(in, f, o);
	o->proto = proto;
	if (o->nnames > before && st != INSPECT_NAMED) {
		result_set(o, INSPECT_NAMED, "other-copy");
	} else {
		result_set(o, st, reason);
	}
}

/* A client segment that differs from the held copy: see the comment at the top. */
static void conflicting_segment(struct inspector *in, struct flow *f, uint32_t rel,
				const uint8_t *data, size_t n, bool at_floor, uint64_t now_ms,
				struct inspect_result *out)
{
	struct tcp_state *t = &f->u.tcp;
	struct msg_cursor cur;
	in->stats.conflicts++;
	if (f->alt_buffer == FLOW_NONE) {
		f->alt_buffer = flow_buffer_get(in->ft, f);
		if (f->alt_buffer == FLOW_NONE) {
			hold_back(in, out, "no-buffer");
			return;
		}
		struct stream_buf *alt = flow_buffer_stream(in->ft, f->alt_buffer);
		alt->data = flow_buffer_data(in->ft, f->alt_buffer);
		stream_copy(alt, tcp_held(in, f));
	}
	stream_write(flow_buffer_stream(in->ft, f->alt_buffer), rel, data, n);
	read_other(in, f, out);
	bool quiet = now_ms - t->pass_ms >= quiet_ms(t);
	if (!quiet || !at_floor || (t->flags & TCP_F_CHUNKED)) {
		hold_back(in, out, "conflict");
		return;
	}
	/* Nothing passed for two round trips and the server's acknowledgement stands where this
	 * copy starts: the server has none of the earlier copy past it, so this one replaces
	 * it. Judge the flow again from the start of what is held. */
	stream_write(tcp_held(in, f), rel, data, n);
	/* What the replaced copy had past this one came with it and died with it. */
	stream_truncate(tcp_held(in, f), rel + (uint32_t)n);
	flow_buffer_put(in->ft, f, &f->alt_buffer);
	passed(t, t->win_seq + rel, n, now_ms);
	if (!tcp_is_sliding(f)) {
		f->proto = INSPECT_PROTO_NONE;
	}
	t->msg_seq = t->win_seq;
	t->body_left = 0;
	t->flags &= (uint8_t) ~(TCP_F_TENTATIVE | TCP_F_CHUNKED);
	out->nnames = 0;
	out->names_dropped = 0;
	in->ranked = false;
	judge_copy(in, f, tcp_held(in, f), out, &cur);
	set_candidate(in, f, &cur, out);
}

void tcp_client_data(struct inspector *in, struct flow *f, const struct pkt *p,
		     const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *out)
{
	struct tcp_state *t = &f->u.tcp;
	const uint8_t *data = p->payload;
	size_t n = p->payload_len;
	uint32_t seq = p->tcp_seq;

	out->proto = (enum inspect_proto)f->proto;
	if (f->lost) {
		result_bound(in, f, out, "evicted");
		return;
	}
	f->packets++;
	out->flow_packets = f->packets;
	note_urgent(t, p);
	/* What the server may still take starts at its acknowledgement: bytes before it are
	 * discarded by the server, whatever they say. */
	uint32_t floor = t->win_seq;
	if ((t->flags & TCP_F_ACKED) && seq_before(floor, t->acked_seq)) {
		floor = t->acked_seq;
	}
	int64_t d = (int32_t)(seq - floor);
	if (d + (int64_t)n <= 0) {
		result_set(out, INSPECT_IGNORED, "old-data");
		return;
	}
	bool at_floor = d <= 0;
	if (d < 0) {
		data += -d;
		n -= (size_t)-d;
		seq = floor;
	}
	bool first_pending = !tcp_is_sliding(f) && t->msg_seq == t->win_seq;
	if (first_pending && f->packets > in->lim.flow_packets) {
		result_bound(in, f, out, "bound-packets");
		return;
	}
	if (first_pending && now_ms - f->first_ms > in->lim.flow_timeout_ms) {
		result_bound(in, f, out, "bound-time");
		return;
	}
	uint32_t rel = seq - t->win_seq;
	uint32_t cap = flow_buffer_bytes(in->ft);
	if (rel >= cap) {
		/* Far ahead of what is held: it cannot change the bytes being judged. A sliding
		 * flow takes it once it has moved on. */
		if (tcp_is_sliding(f)) {
			hold_back(in, out, "beyond-window");
		} else {
			passed(t, seq, n, now_ms);
			result_set(out, INSPECT_IGNORED, "beyond-window");
		}
		return;
	}
	if (meta->truncated && first_pending) {
		/* Bytes of this segment were not copied to us: they cannot be judged. */
		result_bound(in, f, out, "truncated");
		return;
	}
	if (!take_buffer(in, f)) {
		hold_back(in, out, "no-buffer");
		return;
	}
	size_t n_in = n < cap - rel ? n : cap - rel;
	struct stream_buf *h = tcp_held(in, f);
	if (stream_differs(h, rel, data, n_in)) {
		conflicting_segment(in, f, rel, data, n_in, at_floor, now_ms, out);
		return;
	}
	stream_put(h, rel, data, n_in);
	if (f->alt_buffer != FLOW_NONE) {
		stream_write(flow_buffer_stream(in->ft, f->alt_buffer), rel, data, n_in);
	}
	passed(t, seq, n, now_ms);
	if (h->overflow && first_pending) {
		result_bound(in, f, out, "bound-bytes");
		return;
	}
	struct msg_cursor cur;
	judge_copy(in, f, h, out, &cur);
	set_candidate(in, f, &cur, out);
	if (f->alt_buffer != FLOW_NONE) {
		judge_other(in, f, out);
	}
}
