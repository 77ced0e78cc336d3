/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-packet pipeline: IP packet -> protocol parser -> names, with bounded flow state for
 * names that span packets (TCP segments, QUIC Initials). Shared by embargod, replay and benches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "embargo_config.h"
#include "embargo/dns.h"
#include "embargo/gquic.h"
#include "embargo/http.h"
#include "embargo/inspect.h"
#include "embargo/quic.h"
#include "embargo/stream.h"
#include "embargo/tls.h"

#define DNS_PORT 53
#define NO_INDEX UINT32_MAX

/* Records of the handshake add 5 bytes each (RFC 8446 section 5.1): a hello cut into records of
 * a few bytes needs several times its own size of stream. */
#define INSPECT_BUFFER_DEFAULT 20480

enum flow_state {
	FLOW_FREE = 0,
	FLOW_UNDECIDED,
	FLOW_DECIDED,
};

/* Identity of a flow in the client-to-server direction. Addresses are 16 bytes (IPv4 in the
 * first 4); ports in host byte order. Kept free of padding so it can be hashed and compared
 * as bytes. */
struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t l4_proto;
	uint8_t ip_version;
	uint8_t pad[2];
};

struct flow {
	struct flow_key key;
	uint8_t state;	   /* enum flow_state */
	uint8_t proto;	   /* enum inspect_proto once known, NONE before */
	uint8_t verdict;   /* caller's verdict once decided */
	bool have_base;	   /* TCP: base_seq is known */
	uint32_t base_seq; /* TCP: sequence number of stream offset 0 of the buffer window */
	uint32_t packets;  /* client packets with payload */
	uint32_t buffer;   /* index into the buffer pool, NO_INDEX when none */
	uint32_t consumed; /* DNS over TCP: stream bytes already parsed as whole messages */
	uint64_t first_ms, last_ms;
	uint32_t hash_next; /* next flow in the same hash bucket */
	uint32_t lru_prev, lru_next;
	struct stream_buf sb; /* valid while buffer != NO_INDEX */
	/* The other copy of the stream, once a segment overlapped held bytes with different
	 * content (a decoy): the held copy stays in sb, the newer one is kept here. */
	uint32_t alt_buffer;	  /* index into the buffer pool, NO_INDEX when none */
	struct stream_buf alt_sb; /* valid while alt_buffer != NO_INDEX */
};

struct inspector {
	struct inspect_limits lim;
	struct flow *flows;
	uint32_t *buckets; /* heads of hash chains */
	uint32_t nbuckets; /* power of two */
	uint32_t free_head;
	uint32_t lru_head, lru_tail; /* most and least recently used */
	uint8_t *buffers;	     /* max_buffers * buffer_bytes */
	uint32_t *free_buffers;	     /* stack of free buffer indices */
	uint32_t nfree_buffers;
	uint8_t *tls_scratch;		  /* TLS_HELLO_MAX, for hellos that span records */
	struct quic_flow *quic;		  /* QUIC state of the flow holding buffer i, at index i */
	struct inspect_result alt_result; /* what the other copy of a stream holds */
	struct inspect_stats stats;
};

void inspect_limits_default(struct inspect_limits *lim)
{
	lim->max_flows = 4096;
	lim->max_buffers = 256;
	lim->buffer_bytes = INSPECT_BUFFER_DEFAULT;
	lim->flow_packets = 512;
	lim->flow_timeout_ms = 10000;
	lim->decided_timeout_ms = 120000;
}

struct inspector *inspector_new(const struct inspect_limits *lim)
{
	struct inspector *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		return NULL;
	}
	in->lim = *lim;
	if (in->lim.max_flows < 2) {
		in->lim.max_flows = 2;
	}
	if (in->lim.max_flows > (1u << 24)) {
		in->lim.max_flows = 1u << 24;
	}
	if (in->lim.buffer_bytes < 64) {
		in->lim.buffer_bytes = 64;
	}
	in->nbuckets = 1;
	while (in->nbuckets < in->lim.max_flows * 2) {
		in->nbuckets <<= 1;
	}
	in->flows = calloc(in->lim.max_flows, sizeof(*in->flows));
	in->buckets = malloc(in->nbuckets * sizeof(*in->buckets));
	in->buffers = malloc((size_t)in->lim.max_buffers * in->lim.buffer_bytes + 1);
	in->free_buffers = malloc(((size_t)in->lim.max_buffers + 1) * sizeof(uint32_t));
	in->tls_scratch = malloc(TLS_HELLO_MAX);
	in->quic = calloc((size_t)in->lim.max_buffers + 1, sizeof(*in->quic));
	if (in->flows == NULL || in->buckets == NULL || in->buffers == NULL ||
	    in->free_buffers == NULL || in->tls_scratch == NULL || in->quic == NULL) {
		inspector_free(in);
		return NULL;
	}
	for (uint32_t i = 0; i < in->nbuckets; i++) {
		in->buckets[i] = NO_INDEX;
	}
	for (uint32_t i = 0; i < in->lim.max_flows; i++) {
		in->flows[i].hash_next = i + 1 < in->lim.max_flows ? i + 1 : NO_INDEX;
		in->flows[i].buffer = NO_INDEX;
		in->flows[i].alt_buffer = NO_INDEX;
	}
	in->free_head = 0;
	in->lru_head = in->lru_tail = NO_INDEX;
	for (uint32_t i = 0; i < in->lim.max_buffers; i++) {
		in->free_buffers[i] = in->lim.max_buffers - 1 - i;
	}
	in->nfree_buffers = in->lim.max_buffers;
	return in;
}

void inspector_free(struct inspector *in)
{
	if (in == NULL) {
		return;
	}
	free(in->flows);
	free(in->buckets);
	free(in->buffers);
	free(in->free_buffers);
	free(in->tls_scratch);
	free(in->quic);
	free(in);
}

/* ---- flow table ---- */

static uint32_t key_hash(const struct flow_key *k)
{
	/* FNV-1a over the key bytes, then a final avalanche so low bits spread. */
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static void key_from_pkt(struct flow_key *k, const struct pkt *p, bool reverse)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, reverse ? p->dst : p->src, 16);
	memcpy(k->dst, reverse ? p->src : p->dst, 16);
	k->sport = reverse ? p->dport : p->sport;
	k->dport = reverse ? p->sport : p->dport;
	k->l4_proto = p->l4_proto;
	k->ip_version = p->ip_version;
}

static void lru_unlink(struct inspector *in, uint32_t i)
{
	struct flow *f = &in->flows[i];
	if (f->lru_prev != NO_INDEX) {
		in->flows[f->lru_prev].lru_next = f->lru_next;
	} else {
		in->lru_head = f->lru_next;
	}
	if (f->lru_next != NO_INDEX) {
		in->flows[f->lru_next].lru_prev = f->lru_prev;
	} else {
		in->lru_tail = f->lru_prev;
	}
}

static void lru_push_front(struct inspector *in, uint32_t i)
{
	struct flow *f = &in->flows[i];
	f->lru_prev = NO_INDEX;
	f->lru_next = in->lru_head;
	if (in->lru_head != NO_INDEX) {
		in->flows[in->lru_head].lru_prev = i;
	}
	in->lru_head = i;
	if (in->lru_tail == NO_INDEX) {
		in->lru_tail = i;
	}
}

static void pool_put(struct inspector *in, uint32_t *index)
{
	if (*index != NO_INDEX) {
		in->free_buffers[in->nfree_buffers++] = *index;
		*index = NO_INDEX;
		in->stats.buffers_active--;
	}
}

/* A buffer from the pool, NO_INDEX when it is exhausted. */
static uint32_t pool_get(struct inspector *in)
{
	if (in->nfree_buffers == 0) {
		in->stats.buffers_exhausted++;
		return NO_INDEX;
	}
	in->stats.buffers_active++;
	return in->free_buffers[--in->nfree_buffers];
}

static uint8_t *pool_data(struct inspector *in, uint32_t index)
{
	return in->buffers + (size_t)index * in->lim.buffer_bytes;
}

static void buffer_release(struct inspector *in, struct flow *f)
{
	pool_put(in, &f->buffer);
	pool_put(in, &f->alt_buffer);
}

/* Give `f` an empty reassembly buffer; false when the pool is exhausted. */
static bool buffer_take(struct inspector *in, struct flow *f)
{
	if (f->buffer != NO_INDEX) {
		return true;
	}
	f->buffer = pool_get(in);
	if (f->buffer == NO_INDEX) {
		return false;
	}
	stream_init(&f->sb, pool_data(in, f->buffer), in->lim.buffer_bytes);
	return true;
}

static void flow_remove(struct inspector *in, uint32_t i)
{
	struct flow *f = &in->flows[i];
	uint32_t *link = &in->buckets[key_hash(&f->key) & (in->nbuckets - 1)];

	while (*link != NO_INDEX && *link != i) {
		link = &in->flows[*link].hash_next;
	}
	if (*link == i) {
		*link = f->hash_next;
	}
	lru_unlink(in, i);
	buffer_release(in, f);
	f->state = FLOW_FREE;
	f->hash_next = in->free_head;
	in->free_head = i;
	in->stats.flows_active--;
}

static uint32_t flow_find(struct inspector *in, const struct flow_key *k)
{
	uint32_t i = in->buckets[key_hash(k) & (in->nbuckets - 1)];
	while (i != NO_INDEX && memcmp(&in->flows[i].key, k, sizeof(*k)) != 0) {
		i = in->flows[i].hash_next;
	}
	return i;
}

/* A fresh undecided flow for `k`; evicts the least recently used flow when the table is full. */
static struct flow *flow_create(struct inspector *in, const struct flow_key *k, uint64_t now_ms)
{
	if (in->free_head == NO_INDEX) {
		flow_remove(in, in->lru_tail);
		in->stats.flows_evicted++;
	}
	uint32_t i = in->free_head;
	struct flow *f = &in->flows[i];
	in->free_head = f->hash_next;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->state = FLOW_UNDECIDED;
	f->buffer = NO_INDEX;
	f->alt_buffer = NO_INDEX;
	f->first_ms = f->last_ms = now_ms;
	uint32_t *head = &in->buckets[key_hash(k) & (in->nbuckets - 1)];
	f->hash_next = *head;
	*head = i;
	lru_push_front(in, i);
	in->stats.flows_created++;
	in->stats.flows_active++;
	return f;
}

static void flow_touch(struct inspector *in, struct flow *f, uint64_t now_ms)
{
	uint32_t i = (uint32_t)(f - in->flows);
	f->last_ms = now_ms;
	if (in->lru_head != i) {
		lru_unlink(in, i);
		lru_push_front(in, i);
	}
}

unsigned inspect_expire(struct inspector *in, uint64_t now_ms)
{
	unsigned n = 0;

	/* The LRU tail is the flow idle the longest; stop at the first one still fresh enough for
	 * the longer of the two timeouts, and skip fresh decided flows below it. */
	uint32_t i = in->lru_tail;
	while (i != NO_INDEX) {
		struct flow *f = &in->flows[i];
		uint32_t prev = f->lru_prev;
		uint64_t idle = now_ms >= f->last_ms ? now_ms - f->last_ms : 0;
		uint32_t limit = f->state == FLOW_DECIDED ? in->lim.decided_timeout_ms
							  : in->lim.flow_timeout_ms;
		if (idle > limit) {
			flow_remove(in, i);
			n++;
		} else if (idle <= in->lim.flow_timeout_ms && idle <= in->lim.decided_timeout_ms) {
			break;
		}
		i = prev;
	}
	in->stats.flows_expired += n;
	return n;
}

/* ---- results ---- */

static void result_add_name(struct inspect_result *out, const struct name *n, uint16_t qtype)
{
	if (out->nnames >= INSPECT_NAMES_MAX) {
		out->names_dropped++;
		return;
	}
	out->names[out->nnames] = *n;
	out->qtypes[out->nnames] = qtype;
	out->nnames++;
}

static void result_set(struct inspect_result *out, enum inspect_state st, const char *reason)
{
	out->state = st;
	out->reason = reason;
}

/* A name given as text by a parser (SNI, Host): normalised, or the result is MALFORMED. */
static void result_text_name(struct inspect_result *out, struct span s, const char *bad_reason)
{
	struct name n;
	if (name_from_text(&n, (const char *)s.ptr, s.len) == 0) {
		result_add_name(out, &n, 0);
		result_set(out, INSPECT_NAMED, NULL);
	} else {
		result_set(out, INSPECT_MALFORMED, bad_reason);
	}
}

/* Names of the questions of one DNS message (query direction only). */
static void dns_collect(const uint8_t *msg, size_t len, struct inspect_result *out, unsigned *bad)
{
	struct dns_msg m;
	enum parse_result r = dns_msg_parse(msg, len, &m);

	if (r == PARSE_NOT_MINE || (r == PARSE_OK && m.is_response)) {
		return;
	}
	for (unsigned i = 0; i < m.nquestions; i++) {
		if (m.q[i].name_ok) {
			result_add_name(out, &m.q[i].name, m.q[i].qtype);
		} else {
			(*bad)++;
		}
	}
	if (r == PARSE_MALFORMED) {
		(*bad)++;
	}
}

static void inspect_dns_udp(const struct pkt *p, struct inspect_result *out)
{
	struct dns_msg m;
	unsigned bad = 0;

	out->proto = INSPECT_PROTO_DNS;
	out->dns_msg.ptr = p->payload;
	out->dns_msg.len = p->payload_len;
	enum parse_result r = dns_msg_parse(p->payload, p->payload_len, &m);
	if (r == PARSE_OK && m.is_response) {
		result_set(out, INSPECT_IGNORED, "dns-response");
		return;
	}
	if (r == PARSE_NOT_MINE) {
		result_set(out, INSPECT_MALFORMED, "not-dns");
		return;
	}
	dns_collect(p->payload, p->payload_len, out, &bad);
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, NULL);
	} else if (r == PARSE_MALFORMED || bad > 0) {
		result_set(out, INSPECT_MALFORMED, "bad-question");
	} else {
		result_set(out, INSPECT_NAMELESS, "no-question");
	}
}

/* ---- TCP streams ---- */

/* Parse the stream bytes known so far for the flow's protocol. */
static void stream_parse(struct inspector *in, struct flow *f, const uint8_t *data, size_t len,
			 struct inspect_result *out)
{
	if (f->proto == INSPECT_PROTO_NONE || f->proto == INSPECT_PROTO_TLS) {
		struct tls_hello h;
		enum parse_result r =
			tls_stream_hello(data, len, in->tls_scratch, TLS_HELLO_MAX, &h);
		if (r != PARSE_NOT_MINE) {
			f->proto = INSPECT_PROTO_TLS;
			out->proto = INSPECT_PROTO_TLS;
			if (r == PARSE_NEED_MORE) {
				result_set(out, INSPECT_PENDING, NULL);
			} else if (r == PARSE_MALFORMED) {
				result_set(out, INSPECT_MALFORMED, "bad-client-hello");
			} else if (!h.has_sni) {
				out->has_ech = h.has_ech;
				result_set(out, INSPECT_NAMELESS, h.is_sslv2 ? "sslv2" : "no-sni");
			} else {
				out->has_ech = h.has_ech;
				result_text_name(out, h.sni, "bad-sni");
			}
			return;
		}
	}
	struct http_request req;
	enum parse_result r = http_request_parse(data, len, &req);
	if (r == PARSE_NOT_MINE) {
		out->proto = INSPECT_PROTO_NONE;
		/* One byte cannot tell a TLS record from anything else yet. */
		if (len < 2) {
			result_set(out, INSPECT_PENDING, NULL);
		} else {
			result_set(out, INSPECT_NAMELESS, "unknown-protocol");
		}
		return;
	}
	f->proto = INSPECT_PROTO_HTTP;
	out->proto = INSPECT_PROTO_HTTP;
	if (r == PARSE_NEED_MORE) {
		result_set(out, INSPECT_PENDING, NULL);
	} else if (r == PARSE_MALFORMED) {
		result_set(out, INSPECT_MALFORMED, "bad-http-request");
	} else if (req.host.len == 0) {
		result_set(out, INSPECT_NAMELESS, "no-host");
	} else {
		result_text_name(out, req.host, "bad-host");
		if (req.host_conflict && out->state == INSPECT_NAMED) {
			struct name second;
			if (name_from_text(&second, (const char *)req.host2.ptr, req.host2.len) ==
			    0) {
				result_add_name(out, &second, 0);
			}
		}
	}
}

/* DNS over TCP: every whole message from `consumed` on; the window slides past parsed bytes. */
static void stream_parse_dns(struct flow *f, const uint8_t *data, size_t len,
			     struct inspect_result *out)
{
	unsigned bad = 0;
	size_t pos = f->consumed;

	out->proto = INSPECT_PROTO_DNS_TCP;
	while (pos < len) {
		struct span msg;
		size_t used = 0;
		enum parse_result r = dns_tcp_next(data + pos, len - pos, &msg, &used);
		if (r == PARSE_NEED_MORE) {
			break;
		}
		if (r != PARSE_OK) {
			bad++;
			pos = len; /* framing lost: nothing more can be read from this stream */
			break;
		}
		dns_collect(msg.ptr, msg.len, out, &bad);
		pos += used;
	}
	f->consumed = (uint32_t)pos;
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, NULL);
	} else if (bad > 0) {
		result_set(out, INSPECT_MALFORMED, "bad-dns-message");
	} else {
		result_set(out, INSPECT_PENDING, NULL);
	}
}

/* After DNS messages were consumed from a buffered window, slide the window: keep only the
 * unparsed tail, re-based at offset 0. */
static void dns_slide(struct inspector *in, struct flow *f)
{
	if (f->consumed == 0) {
		return;
	}
	if (f->buffer == NO_INDEX) {
		f->base_seq += f->consumed;
		f->consumed = 0;
		return;
	}
	uint32_t keep = stream_contiguous(&f->sb) - f->consumed;
	if (f->sb.nranges > 0 || f->sb.conflict) {
		/* Pieces beyond a gap: keep the window as it is until the gap fills. */
		return;
	}
	uint8_t *data = f->sb.data;
	memmove(data, data + f->consumed, keep);
	f->base_seq += f->consumed;
	f->consumed = 0;
	if (keep == 0) {
		buffer_release(in, f);
	} else {
		uint32_t cap = f->sb.cap;
		stream_init(&f->sb, data, cap);
		f->sb.contiguous = keep;
	}
}

/*
 * A segment overlapped bytes already held with different content: a decoy and the real thing
 * for the same part of the stream, and which one the server keeps depends on its TCP stack.
 * From then on the flow keeps both copies: the held one in sb, and in alt_sb the same stream
 * with this segment's bytes in place. Returns false when no buffer is left for the copy.
 */
static bool start_other_copy(struct inspector *in, struct flow *f, uint32_t rel,
			     const struct pkt *p)
{
	f->alt_buffer = pool_get(in);
	if (f->alt_buffer == NO_INDEX) {
		return false;
	}
	uint8_t *data = pool_data(in, f->alt_buffer);
	memcpy(data, f->sb.data, f->sb.cap);
	f->alt_sb = f->sb;
	f->alt_sb.data = data;
	size_t n = p->payload_len;
	if (n > f->sb.cap - rel) {
		n = f->sb.cap - rel;
	}
	memcpy(data + rel, p->payload, n);
	return true;
}

/* Parse the other copy of the stream and fold its names and state into `out`: names of both
 * copies are reported, and the flow stays pending while either copy is incomplete. */
static void parse_other_copy(struct inspector *in, struct flow *f, struct inspect_result *out)
{
	struct inspect_result *alt = &in->alt_result;
	alt->nnames = 0;
	alt->names_dropped = 0;
	stream_parse(in, f, f->alt_sb.data, stream_contiguous(&f->alt_sb), alt);
	for (unsigned i = 0; i < alt->nnames; i++) {
		result_add_name(out, &alt->names[i], 0);
	}
	if (alt->state == INSPECT_PENDING) {
		out->nnames = 0;
		result_set(out, INSPECT_PENDING, "overlap-conflict");
	} else if (out->state == INSPECT_PENDING) {
		/* keep waiting for the held copy */
	} else if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, "overlap-conflict");
	}
}

/*
 * The flow reached a bound (packets, time, bytes) undecided. Normally that makes it nameless;
 * but when it holds two copies of its stream and one of them is complete, its names are
 * reported, so that a copy kept incomplete on purpose cannot hide the name of the other.
 */
static void result_bound(struct inspector *in, struct flow *f, struct inspect_result *out,
			 const char *why)
{
	out->nnames = 0;
	if (f->alt_buffer != NO_INDEX) {
		struct inspect_result *alt = &in->alt_result;
		stream_parse(in, f, f->sb.data, stream_contiguous(&f->sb), out);
		alt->nnames = 0;
		stream_parse(in, f, f->alt_sb.data, stream_contiguous(&f->alt_sb), alt);
		for (unsigned i = 0; i < alt->nnames; i++) {
			result_add_name(out, &alt->names[i], 0);
		}
		if (out->nnames > 0) {
			result_set(out, INSPECT_NAMED, why);
			return;
		}
	}
	result_set(out, INSPECT_NAMELESS, why);
}

static bool is_dns_port(const struct pkt *p)
{
	return p->dport == DNS_PORT;
}

static void inspect_tcp(struct inspector *in, const struct pkt *p, uint64_t now_ms,
			struct inspect_result *out)
{
	struct flow_key k;
	uint32_t idx;

	key_from_pkt(&k, p, false);
	idx = flow_find(in, &k);
	/* A SYN-ACK or any packet of a known flow's reverse direction is the server talking. */
	if (idx == NO_INDEX) {
		struct flow_key rk;
		key_from_pkt(&rk, p, true);
		uint32_t ridx = flow_find(in, &rk);
		if (ridx != NO_INDEX) {
			result_set(out, INSPECT_IGNORED, "server-side");
			return;
		}
		if ((p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == (PKT_TCP_SYN | PKT_TCP_ACK)) {
			/* The handshake's answer seen first: the client is the destination. */
			struct flow *cf = flow_create(in, &rk, now_ms);
			cf->have_base = true;
			cf->base_seq = p->tcp_ack;
			result_set(out, INSPECT_IGNORED, "server-side");
			return;
		}
	}
	struct flow *f = idx != NO_INDEX ? &in->flows[idx] : NULL;

	if (p->tcp_flags & PKT_TCP_SYN) {
		if (p->tcp_flags & PKT_TCP_ACK) {
			result_set(out, INSPECT_IGNORED, "syn-ack");
			return;
		}
		/* A new connection (or a reused tuple): start over. */
		if (f != NULL && f->state == FLOW_DECIDED && f->have_base &&
		    f->base_seq == p->tcp_seq) {
			out->verdict = f->verdict; /* a retransmitted SYN of a decided flow */
			result_set(out, INSPECT_DECIDED, NULL);
			return;
		}
		if (f != NULL) {
			flow_remove(in, (uint32_t)(f - in->flows));
		}
		f = flow_create(in, &k, now_ms);
		f->have_base = true;
		f->base_seq = p->tcp_seq;
		if (is_dns_port(p)) {
			f->proto = INSPECT_PROTO_DNS_TCP;
		}
		if (p->payload_len == 0) {
			result_set(out, INSPECT_IGNORED, "syn");
			return;
		}
	}
	if (f != NULL && f->state == FLOW_DECIDED) {
		flow_touch(in, f, now_ms);
		out->proto = (enum inspect_proto)f->proto;
		out->verdict = f->verdict;
		result_set(out, INSPECT_DECIDED, NULL);
		if (p->tcp_flags & PKT_TCP_RST) {
			flow_remove(in, (uint32_t)(f - in->flows));
		}
		return;
	}
	if (p->payload_len == 0) {
		if (f != NULL && (p->tcp_flags & PKT_TCP_RST)) {
			flow_remove(in, (uint32_t)(f - in->flows));
		}
		result_set(out, INSPECT_IGNORED, "no-payload");
		return;
	}
	if (f == NULL) {
		/* Joined mid-stream (capture or daemon started late): this segment is offset 0. */
		f = flow_create(in, &k, now_ms);
		f->have_base = true;
		f->base_seq = p->tcp_seq;
		if (is_dns_port(p)) {
			f->proto = INSPECT_PROTO_DNS_TCP;
		}
	}
	if (!f->have_base) {
		f->have_base = true;
		f->base_seq = p->tcp_seq;
	}
	flow_touch(in, f, now_ms);
	f->packets++;
	out->proto = (enum inspect_proto)f->proto;
	out->flow_packets = f->packets;

	uint32_t rel = p->tcp_seq - f->base_seq;
	if (rel >= 0x80000000u) {
		/* Before the window: a retransmission of bytes already parsed. */
		result_set(out, INSPECT_IGNORED, "old-data");
		return;
	}
	bool dns = f->proto == INSPECT_PROTO_DNS_TCP;
	if (f->proto != INSPECT_PROTO_DNS_TCP && f->packets > in->lim.flow_packets) {
		result_bound(in, f, out, "bound-packets");
		return;
	}
	if (!dns && now_ms - f->first_ms > in->lim.flow_timeout_ms) {
		result_bound(in, f, out, "bound-time");
		return;
	}
	/* Fast path: the whole message usually arrives in the first segment; parse it in place. */
	if (f->buffer == NO_INDEX && rel == 0 && !dns) {
		stream_parse(in, f, p->payload, p->payload_len, out);
		if (out->state != INSPECT_PENDING) {
			return;
		}
	} else if (f->buffer == NO_INDEX && rel == 0 && dns) {
		stream_parse_dns(f, p->payload, p->payload_len, out);
		if (f->consumed == p->payload_len) {
			dns_slide(in, f);
			return;
		}
	}
	if (!buffer_take(in, f)) {
		result_set(out, INSPECT_NAMELESS, "bound-buffers");
		return;
	}
	bool had_conflict = f->sb.conflict;
	size_t added = stream_put(&f->sb, rel, p->payload, p->payload_len);
	if (f->alt_buffer != NO_INDEX) {
		stream_put(&f->alt_sb, rel, p->payload, p->payload_len);
	} else if (f->sb.conflict && !had_conflict && !dns) {
		start_other_copy(in, f, rel, p);
	}
	if (f->sb.overflow) {
		result_bound(in, f, out, "bound-bytes");
		return;
	}
	if (added == 0 && !f->sb.conflict) {
		result_set(out, INSPECT_PENDING, "retransmission");
		return;
	}
	uint32_t have = stream_contiguous(&f->sb);
	if (dns) {
		stream_parse_dns(f, f->sb.data, have, out);
		dns_slide(in, f);
	} else if (have > 0) {
		stream_parse(in, f, f->sb.data, have, out);
		if (f->alt_buffer != NO_INDEX) {
			parse_other_copy(in, f, out);
		}
	} else {
		result_set(out, INSPECT_PENDING, "gap");
	}
}

/* ---- UDP ---- */

/* Google QUIC (Q043..Q046): the CHLO is in clear text. True when the datagram was one. */
static bool inspect_gquic(const struct pkt *p, struct inspect_result *out)
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
		result_text_name(out, g.sni, "bad-sni");
	}
	return true;
}

/* IETF QUIC: decrypt the client's Initials and read the ClientHello they carry, which may
 * span several datagrams; the flow keeps a reassembly buffer until the hello is complete. */
static void inspect_quic(struct inspector *in, const struct pkt *p, struct flow *f,
			 const struct flow_key *k, uint64_t now_ms, struct inspect_result *out)
{
	bool fresh = f == NULL;
	if (fresh) {
		f = flow_create(in, k, now_ms);
	}
	if (f->buffer == NO_INDEX) {
		if (!buffer_take(in, f)) {
			out->proto = INSPECT_PROTO_QUIC;
			result_set(out, INSPECT_NAMELESS, "bound-buffers");
			return;
		}
		quic_flow_init(&in->quic[f->buffer], f->sb.data, f->sb.cap);
	}
	struct quic_result qr;
	enum parse_result r = quic_datagram(&in->quic[f->buffer], p->payload, p->payload_len, &qr);
	if (r == PARSE_NOT_MINE) {
		/* Not a client Initial: keep no state for it unless its flow was already one. */
		if (fresh || f->proto != INSPECT_PROTO_QUIC) {
			flow_remove(in, (uint32_t)(f - in->flows));
		}
		result_set(out, INSPECT_IGNORED,
			   qr.reason != NULL ? qr.reason : "not-quic-initial");
		return;
	}
	flow_touch(in, f, now_ms);
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
			result_set(out, INSPECT_NAMELESS, "bound-packets");
		} else if (now_ms - f->first_ms > in->lim.flow_timeout_ms) {
			result_set(out, INSPECT_NAMELESS, "bound-time");
		}
	} else if (!qr.hello.has_sni) {
		out->has_ech = qr.hello.has_ech;
		result_set(out, INSPECT_NAMELESS, "no-sni");
	} else {
		out->has_ech = qr.hello.has_ech;
		result_text_name(out, qr.hello.sni, "bad-sni");
	}
}

static void inspect_udp(struct inspector *in, const struct pkt *p, uint64_t now_ms,
			struct inspect_result *out)
{
	if (p->dport == DNS_PORT) {
		inspect_dns_udp(p, out);
		return;
	}
	if (p->sport == DNS_PORT) {
		result_set(out, INSPECT_IGNORED, "dns-response");
		return;
	}
	struct flow_key k, rk;
	key_from_pkt(&k, p, false);
	key_from_pkt(&rk, p, true);
	uint32_t idx = flow_find(in, &k);
	if (idx == NO_INDEX && flow_find(in, &rk) != NO_INDEX) {
		result_set(out, INSPECT_IGNORED, "server-side");
		return;
	}
	struct flow *f = idx != NO_INDEX ? &in->flows[idx] : NULL;
	if (f != NULL && f->state == FLOW_DECIDED) {
		flow_touch(in, f, now_ms);
		out->proto = (enum inspect_proto)f->proto;
		out->verdict = f->verdict;
		result_set(out, INSPECT_DECIDED, NULL);
		return;
	}
	if (inspect_gquic(p, out)) {
		return;
	}
	/* Only a long header (first bit set) can be a client Initial (RFC 9000 section 17.2). */
	if (p->payload_len < 7 || (p->payload[0] & 0x80) == 0) {
		result_set(out, INSPECT_IGNORED, f != NULL ? "quic-short-header" : "udp-other");
		return;
	}
	inspect_quic(in, p, f, &k, now_ms, out);
}

void inspect_packet(struct inspector *in, const uint8_t *ip, size_t len, bool truncated_ok,
		    uint64_t now_ms, struct inspect_result *out)
{
	out->proto = INSPECT_PROTO_NONE;
	out->state = INSPECT_IGNORED;
	out->verdict = 0;
	out->reason = NULL;
	out->nnames = 0;
	out->names_dropped = 0;
	out->dns_msg.ptr = NULL;
	out->dns_msg.len = 0;
	out->quic_version = 0;
	out->has_ech = false;
	out->flow_packets = 0;
	in->stats.packets++;

	enum parse_result r = pkt_parse(ip, len, truncated_ok, &out->pkt);
	if (r == PARSE_NOT_MINE) {
		result_set(out, INSPECT_IGNORED, "not-ip");
		return;
	}
	if (r != PARSE_OK) {
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
		inspect_tcp(in, p, now_ms, out);
	} else if (p->l4_proto == PKT_PROTO_UDP) {
		inspect_udp(in, p, now_ms, out);
	} else {
		result_set(out, INSPECT_IGNORED, "other-protocol");
	}
}

void inspect_decide(struct inspector *in, const struct inspect_result *res, uint8_t verdict)
{
	const struct pkt *p = &res->pkt;
	struct flow_key k;

	if (res->proto == INSPECT_PROTO_DNS || res->proto == INSPECT_PROTO_DNS_TCP) {
		return; /* every DNS message is inspected on its own */
	}
	if (p->l4_proto != PKT_PROTO_TCP && p->l4_proto != PKT_PROTO_UDP) {
		return;
	}
	key_from_pkt(&k, p, false);
	uint32_t idx = flow_find(in, &k);
	if (idx == NO_INDEX) {
		return;
	}
	struct flow *f = &in->flows[idx];
	buffer_release(in, f);
	f->state = FLOW_DECIDED;
	f->verdict = verdict;
}

void inspect_get_stats(const struct inspector *in, struct inspect_stats *st)
{
	*st = in->stats;
}

const char *inspect_proto_str(enum inspect_proto p)
{
	switch (p) {
	case INSPECT_PROTO_NONE:
		return "none";
	case INSPECT_PROTO_DNS:
		return "dns";
	case INSPECT_PROTO_DNS_TCP:
		return "dns-tcp";
	case INSPECT_PROTO_TLS:
		return "tls";
	case INSPECT_PROTO_HTTP:
		return "http";
	case INSPECT_PROTO_QUIC:
		return "quic";
	case INSPECT_PROTO_GQUIC:
		return "gquic";
	}
	return "?";
}

const char *inspect_state_str(enum inspect_state s)
{
	switch (s) {
	case INSPECT_IGNORED:
		return "ignored";
	case INSPECT_PENDING:
		return "pending";
	case INSPECT_NAMED:
		return "named";
	case INSPECT_NAMELESS:
		return "nameless";
	case INSPECT_MALFORMED:
		return "malformed";
	case INSPECT_DECIDED:
		return "decided";
	}
	return "?";
}
