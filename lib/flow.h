/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flow: the bounded flow table and reassembly buffer pool behind inspect, shared fairly between
 * clients. Internal to libembargo. */
#ifndef EMBARGO_FLOW_H
#define EMBARGO_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/http.h"
#include "embargo/inspect.h"
#include "embargo/quic.h"
#include "embargo/stream.h"

#define FLOW_NONE UINT32_MAX

enum flow_state {
	FLOW_FREE = 0,
	FLOW_UNDECIDED, /* still inspected: no name yet, or an allow not yet confirmed */
	FLOW_DECIDED,	/* final: `verdict` answers every later packet */
};

/* Identity of a flow in the client-to-server direction. Addresses are 16 bytes (IPv4 in the
 * first 4); ports in host byte order. Free of padding so it can be hashed and compared as bytes. */
struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t l4_proto;
	uint8_t ip_version;
	uint8_t pad[2];
};

/* TCP flow flags. */
enum tcp_flag {
	TCP_F_SYN = 1 << 0,	  /* the client's SYN was seen: isn1 is its stream start */
	TCP_F_ACKED = 1 << 1,	  /* acked_seq holds an acknowledgement from the server */
	TCP_F_TENTATIVE = 1 << 2, /* an allow waits for the server to acknowledge confirm_seq */
	TCP_F_NEW_SYN = 1 << 3,	  /* another SYN (pending_isn1) waits for the server's answer */
	TCP_F_WATCH = 1 << 4,	  /* HTTP kept under watch: each request is judged */
	TCP_F_CHUNKED = 1 << 5,	  /* HTTP: the request body is chunked (framing follows) */
	TCP_F_SRV = 1 << 6,	  /* DNS over TCP: srv_next holds where the server's next
				     response starts */
};

/* Bound on urgent bytes remembered per flow (each URG segment marks one, RFC 9293 3.8.5). */
#define TCP_URGENT_MAX 4
/* Message starts remembered per flow (DNS messages, HTTP requests): where the held copy may
 * begin once the server has acknowledged what lies before. */
#define MSG_STARTS_MAX 8

/*
 * Client byte stream of a TCP flow. Sequence numbers are the client's (host byte order); the
 * held copy in the flow's buffer starts at win_seq. Bytes below acked_seq have been
 * acknowledged by the server: whatever copy of them it took, it will not take another.
 */
struct tcp_state {
	uint32_t isn1;	       /* sequence number of the first stream byte (ISN + 1) */
	uint32_t pending_isn1; /* TCP_F_NEW_SYN: stream start of the other SYN */
	uint32_t win_seq;      /* sequence number of offset 0 of the held copy */
	uint32_t acked_seq;    /* highest acknowledgement from the server (TCP_F_ACKED) */
	uint32_t sent_end;     /* one past the highest client byte let through */
	uint32_t confirm_seq;  /* TCP_F_TENTATIVE: the end of the bytes the allow was decided on */
	uint32_t msg_seq;      /* where the next message starts (the first: win_seq) */
	uint64_t body_left;    /* HTTP: bytes of the current request body still to skip */
	struct http_chunks chunks;	 /* HTTP: where a chunked body stands (TCP_F_CHUNKED) */
	uint32_t starts[MSG_STARTS_MAX]; /* the latest message starts, oldest first */
	uint32_t urgent[TCP_URGENT_MAX]; /* sequence numbers of urgent bytes (BSD semantics) */
	uint8_t nstarts;
	uint64_t syn_ms;	 /* when the SYN was seen */
	uint64_t pass_ms;	 /* when a segment with unacknowledged bytes last passed */
	uint32_t rtt_ms;	 /* SYN to handshake-completing ACK; 0 when unknown */
	uint32_t client_ifindex; /* interface the client's packets come in on, 0 unknown */
	uint8_t nurgent;
	uint8_t flags;		/* enum tcp_flag bits */
	uint8_t syn_ttl;	/* TTL / hop limit of the SYN */
	uint8_t tentative_mark; /* TCP_F_TENTATIVE: the mark the confirming packet gets */
	uint32_t srv_next;	/* TCP_F_SRV: the server's sequence number of its next message */
};

/* QUIC connections judged on one UDP 4-tuple, by the Destination Connection ID of their first
 * Initial (RFC 9000 section 7.2): a new ID is a new connection and is judged on its own. */
#define QUIC_DECIDED_MAX 4
struct quic_decided {
	uint8_t dcid[QUIC_CID_MAX];
	uint8_t dcid_len;
	uint8_t verdict;
	/* An allow the server has not answered yet: the connection's Initials are still read
	 * (`buffer`), and a copy whose CRYPTO bytes differ is read on its own (`alt`). */
	bool tentative;
	uint32_t buffer, alt; /* FLOW_NONE when none */
};
struct quic_state {
	struct quic_decided decided[QUIC_DECIDED_MAX];
	uint8_t ndecided;	 /* entries used; the oldest is replaced when full */
	uint8_t next;		 /* the entry replaced next */
	uint32_t client_ifindex; /* interface the client's packets come in on, 0 unknown */
};

struct flow {
	struct flow_key key;
	uint8_t state;	 /* enum flow_state */
	uint8_t proto;	 /* enum inspect_proto once known, NONE before */
	uint8_t verdict; /* FLOW_DECIDED: the caller's verdict (enum inspect_mark) */
	bool lost;	 /* its buffers were taken by a client holding fewer: judge it unfinished */
	uint32_t source; /* index into the source table */
	uint32_t packets;
	uint64_t first_ms, last_ms;
	uint32_t hash_next;
	uint32_t lru_prev, lru_next; /* in the list of its state */
	uint32_t src_prev, src_next; /* in its source's list, most recently used first */
	uint32_t buffer;     /* held copy (TCP) or QUIC attempt state; FLOW_NONE when none */
	uint32_t alt_buffer; /* TCP: the other copy after a conflict; FLOW_NONE when none */
	union {
		struct tcp_state tcp;
		struct quic_state quic;
	} u;
};

struct flow_table;

/* Table and pool sized by `lim` (max_flows at least 2). NULL on allocation failure, or when the
 * pool (max_buffers * buffer_bytes) would exceed INSPECT_POOL_BYTES_MAX. */
struct flow_table *flow_table_new(const struct inspect_limits *lim);
void flow_table_free(struct flow_table *t);

/* The flow with key `k`, or NULL. */
struct flow *flow_find(struct flow_table *t, const struct flow_key *k);

/*
 * A fresh undecided flow for `k` (zeroed, no buffers). Room is made first: when the client
 * already holds its share of flows its own least recently used flow goes; when the table is
 * full, the least recently used decided flow, else the oldest flow of the client holding the
 * most. Never fails.
 */
struct flow *flow_create(struct flow_table *t, const struct flow_key *k, uint64_t now_ms);

void flow_remove(struct flow_table *t, struct flow *f);

/* Mark `f` used at `now_ms` (it moves to the front of its lists). */
void flow_touch(struct flow_table *t, struct flow *f, uint64_t now_ms);

/* Move `f` to `state` (FLOW_UNDECIDED or FLOW_DECIDED); decided flows release their buffers. */
void flow_set_state(struct flow_table *t, struct flow *f, enum flow_state state);

/*
 * A reassembly buffer for `f`, or FLOW_NONE. A client that holds its share of buffers gets none;
 * when the pool is empty, a client holding fewer than an equal share takes the buffers of the
 * oldest flow of the client holding the most (that flow is marked `lost`).
 */
uint32_t flow_buffer_get(struct flow_table *t, struct flow *f);

/* Return the buffer `*index` of `f` to the pool (no effect for FLOW_NONE); sets FLOW_NONE. */
void flow_buffer_put(struct flow_table *t, struct flow *f, uint32_t *index);

/* The storage of buffer `index` and its size in bytes. */
uint8_t *flow_buffer_data(const struct flow_table *t, uint32_t index);
uint32_t flow_buffer_bytes(const struct flow_table *t);

/* The reassembly state kept with buffer `index` (TCP) and the QUIC attempt state (QUIC). */
struct stream_buf *flow_buffer_stream(struct flow_table *t, uint32_t index);
struct quic_flow *flow_buffer_quic(struct flow_table *t, uint32_t index);

/* Forget flows idle past their timeouts (undecided: flow_timeout_ms, decided:
 * decided_timeout_ms). Returns the number removed. */
unsigned flow_expire(struct flow_table *t, uint64_t now_ms);

/* Counters of the table (the flow and buffer fields of struct inspect_stats). */
void flow_table_stats(const struct flow_table *t, struct inspect_stats *st);

/* Flows and buffers the client of `f` holds. */
void flow_source_usage(const struct flow_table *t, const struct flow *f, uint32_t *flows,
		       uint32_t *buffers);

#endif
