/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP in the inspection pipeline: the client's byte stream held as the server will take it.
 *
 * The server is the judge of what was sent (DESIGN.md principle 8). Every client segment that
 * passes is held (from win_seq on) until the server acknowledges it, so a later copy of the
 * same bytes can be compared. A copy that differs from what passed — a decoy the server never
 * took, or the real bytes after one — is parsed on its own and blocks if it names a listed
 * host; otherwise it is held back (dropped) until the flow has been quiet for about two round
 * trips and the copy starts where the server's acknowledgement stands, so that one copy at a
 * time is in flight and what passed is what the server has. An allow is tentative until the
 * server acknowledges the end of the bytes it was decided on; until then the flow stays queued
 * both ways. HTTP and DNS over TCP are judged message by message for the life of the flow.
 *
 * Urgent data (RFC 9293 section 3.8.5): a server that does not read out of band removes the
 * urgent byte from the stream, so the first message is read both with and without it.
 */
#include "embargo/dns.h"
#include "embargo/tls.h"
#include "inspect_internal.h"

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

static void tcp_start(struct flow *f, uint32_t isn1)
{
	struct tcp_state *t = &f->u.tcp;
	memset(t, 0, sizeof(*t));
	t->isn1 = t->win_seq = t->acked_seq = t->sent_end = t->msg_seq = isn1;
}

/* Flows judged message by message, whose held copy slides as the server acknowledges. */
static bool is_sliding(const struct flow *f)
{
	return f->proto == INSPECT_PROTO_DNS_TCP || (f->u.tcp.flags & TCP_F_WATCH) != 0;
}

static struct stream_buf *held(struct inspector *in, const struct flow *f)
{
	return flow_buffer_stream(in->ft, f->buffer);
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
	stream_init(held(in, f), flow_buffer_data(in->ft, f->buffer), flow_buffer_bytes(in->ft));
	return true;
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
		struct stream_buf *h = held(in, f);
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
	if (!is_sliding(f) || (t->flags & TCP_F_TENTATIVE) != 0) {
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
	if (out->state == INSPECT_PENDING && is_sliding(f)) {
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
	if (f->buffer != FLOW_NONE && !is_sliding(f)) {
		judge_copy(in, f, held(in, f), out, &cur);
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
	if (!is_sliding(f)) {
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
		stream_copy(alt, held(in, f));
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
	stream_write(held(in, f), rel, data, n);
	/* What the replaced copy had past this one came with it and died with it. */
	stream_truncate(held(in, f), rel + (uint32_t)n);
	flow_buffer_put(in->ft, f, &f->alt_buffer);
	passed(t, t->win_seq + rel, n, now_ms);
	if (!is_sliding(f)) {
		f->proto = INSPECT_PROTO_NONE;
	}
	t->msg_seq = t->win_seq;
	t->body_left = 0;
	t->flags &= (uint8_t) ~(TCP_F_TENTATIVE | TCP_F_CHUNKED);
	out->nnames = 0;
	out->names_dropped = 0;
	in->ranked = false;
	judge_copy(in, f, held(in, f), out, &cur);
	set_candidate(in, f, &cur, out);
}

/* A segment with data from the client of an undecided flow. */
static void client_data(struct inspector *in, struct flow *f, const struct pkt *p,
			const struct inspect_meta *meta, uint64_t now_ms,
			struct inspect_result *out)
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
	bool first_pending = !is_sliding(f) && t->msg_seq == t->win_seq;
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
		if (is_sliding(f)) {
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
	struct stream_buf *h = held(in, f);
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
	client_data(in, f, p, meta, now_ms, out);
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
