/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inspect: the per-packet pipeline shared by embargod, the replay and the benchmarks:
 * IP packet in, the names it carries (or why it carries none) out, with bounded flow state. */
#ifndef EMBARGO_INSPECT_H
#define EMBARGO_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/answer.h"
#include "embargo/common.h"
#include "embargo/name.h"
#include "embargo/packet.h"

/* Names reported for one packet: DNS over TCP can pack many queries in one segment. */
#define INSPECT_NAMES_MAX 32
/* DNS responses read from one TCP segment (a UDP datagram holds one); further messages in the
 * segment pass unread and are counted in answers_dropped. */
#define INSPECT_ANSWERS_MAX 4

enum inspect_proto {
	INSPECT_PROTO_NONE = 0,
	INSPECT_PROTO_DNS,     /* DNS over UDP */
	INSPECT_PROTO_DNS_TCP, /* DNS over TCP */
	INSPECT_PROTO_TLS,     /* TLS ClientHello over TCP */
	INSPECT_PROTO_HTTP,    /* HTTP/1.x request */
	INSPECT_PROTO_QUIC,    /* IETF QUIC Initial (and Google's TLS-based T05x) */
	INSPECT_PROTO_GQUIC,   /* Google QUIC (Q04x) CHLO */
};

enum inspect_state {
	INSPECT_IGNORED = 0, /* nothing to judge here (another protocol, a pure ACK, the server
				talking, bytes the server already has): pass it, with `mark` */
	INSPECT_PENDING,     /* part of a name-carrying message; more packets are needed */
	INSPECT_NAMED,	     /* names[] holds what this packet completed */
	INSPECT_NAMELESS,    /* a complete message without a usable name, or a flow that hit its
				bound without one: apply the nameless policy */
	INSPECT_UNFINISHED,  /* a recognised message still incomplete at the flow's bound, or a
				flow whose state was lost: apply the unfinished policy */
	INSPECT_MALFORMED,   /* the message breaks its protocol's rules */
	INSPECT_DECIDED,     /* the flow was decided earlier; `mark` is what was decided */
	INSPECT_ANSWER,	     /* a DNS response from the server side: `answers` says what it tells
				(names[] holds their chains, for display); pass it with `mark`
				unless its chain decides otherwise */
};

/*
 * What the kernel is asked to remember about a flow: the mark a verdict carries, which the
 * firewall rules turn into the connection's mark (and, before queueing, back into the packet's
 * mark, so the daemon learns what the kernel holds for a flow it has no state for).
 */
enum inspect_mark {
	INSPECT_MARK_NONE = 0, /* no mark: the packet passes as it is */
	INSPECT_MARK_FOLLOW,   /* followed: every packet of the flow, both ways, is queued */
	INSPECT_MARK_WATCH,    /* HTTP under watch: only the client's data packets are queued */
	INSPECT_MARK_ALLOW,    /* allowed for good: not queued again (QUIC long headers aside) */
	INSPECT_MARK_DROP,     /* blocked: this packet and every later one of the flow dropped */
	INSPECT_MARK_REJECT,   /* blocked: reset (TCP) or ICMP, later packets dropped */
};

/* Bounds of the per-flow state. Defaults (inspect_limits_default) are in the comments. */
struct inspect_limits {
	uint32_t max_flows;	     /* flows tracked at once: 4096 */
	uint32_t max_buffers;	     /* reassembly buffers at once (a flow holds one while its first
				  message is inspected or its allow waits for the server): 512 */
	uint32_t buffer_bytes;	     /* bytes per reassembly buffer: 16384 + record overhead */
	uint32_t flow_packets;	     /* client packets with payload before a flow is judged: 512 */
	uint32_t flow_timeout_ms;    /* idle time before an undecided flow is forgotten: 10000 */
	uint32_t decided_timeout_ms; /* how long a decided flow is remembered: 120000 */
	uint32_t source_flows;	     /* flows one client address may hold: 0 = an eighth */
	uint32_t source_buffers;     /* buffers one client address may hold: 0 = an eighth */
};

struct inspect_result {
	struct pkt pkt;
	enum inspect_proto proto;
	enum inspect_state state;
	uint8_t mark;	    /* IGNORED, PENDING, DECIDED: enum inspect_mark the packet carries */
	bool hold;	    /* a copy the server may not take yet (conflicting bytes, no buffer
			       for them, a packet that cannot be parsed): drop it, and block the
			       flow if a name in names[] is listed */
	const char *reason; /* short text for states other than NAMED ("no-sni", "bound", ...) */
	unsigned nnames;    /* names in names[] */
	unsigned names_dropped; /* names seen past INSPECT_NAMES_MAX (see inspect_set_ranker) */
	struct name names[INSPECT_NAMES_MAX];
	uint16_t qtypes[INSPECT_NAMES_MAX]; /* DNS: the qtype of each name */
	/* DNS over UDP: the message inside the packet (for forging a reply). */
	struct span dns_msg;
	uint32_t quic_version;		  /* QUIC: version of the packet, 0 otherwise */
	struct span quic_dcid, quic_scid; /* QUIC: connection IDs of the Initial (into the
					     packet), for a forged Version Negotiation */
	/* INSPECT_ANSWER: the responses the packet carries (into the inspector's own storage,
	 * valid until the next packet), and those past INSPECT_ANSWERS_MAX. */
	const struct dns_answer *answers;
	struct span answer_msgs[INSPECT_ANSWERS_MAX]; /* each one's message, in the packet */
	uint8_t nanswers, answers_dropped;
	bool has_ech;	       /* TLS/QUIC: the hello offers ECH (the name is the outer one) */
	bool ech_outer;	       /* ... as an outer ECHClientHello (real or GREASE) */
	uint32_t flow_packets; /* packets of this flow inspected so far, this one included */
};

struct inspector;

/* Fill `lim` with the defaults listed in struct inspect_limits. */
void inspect_limits_default(struct inspect_limits *lim);

/* Bytes the reassembly buffer pool (max_buffers * buffer_bytes) may take: far above what a
 * gateway needs (the defaults take about 4 MiB), and small enough that the size cannot wrap a
 * 32-bit size_t. */
#define INSPECT_POOL_BYTES_MAX (1u << 30)

/* New inspector with its flow table and buffer pool allocated up front. NULL when memory runs
 * out or the buffer pool would exceed INSPECT_POOL_BYTES_MAX. */
struct inspector *inspector_new(const struct inspect_limits *lim);
void inspector_free(struct inspector *in);

/* What the caller knows of a packet beyond its bytes (all zero: nothing). */
struct inspect_meta {
	bool truncated;	     /* the copy is shorter than the packet */
	uint8_t kernel_mark; /* enum inspect_mark the kernel holds for the packet's flow (NONE
				when unknown, as in a capture): tells a flow this inspector lost
				from one it never saw */
	uint32_t in_ifindex; /* interface the packet came in on; 0 when unknown or local. A
				packet on the client's side cannot speak for the server. */
};

/*
 * Inspect one IP packet (`len` bytes from the IP header) seen at `now_ms` (any monotonic clock),
 * with what `meta` says of it (NULL: nothing). Fills `out` completely. Never allocates.
 */
void inspect_packet(struct inspector *in, const uint8_t *ip, size_t len,
		    const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *out);

/* How a judged packet's flow goes on (inspect_decide). */
enum inspect_verdict {
	INSPECT_VERDICT_ALLOW = 0, /* let it through; TCP: final once the server acknowledges */
	INSPECT_VERDICT_DROP,	   /* blocked: drop, final at once */
	INSPECT_VERDICT_REJECT,	   /* blocked: reject, final at once */
};

/*
 * Record the caller's verdict for the packet of `res` (NAMED, NAMELESS, UNFINISHED or
 * MALFORMED; a `hold` result only for a block). Returns the mark the packet leaves with. A block is final at once;
 * an allow on TCP becomes final only when the server acknowledges the bytes it was decided on
 * (the flow stays followed until then, and every copy of those bytes is inspected); HTTP and
 * DNS over TCP stay under inspection request by request; QUIC allows one connection ID.
 */
enum inspect_mark inspect_decide(struct inspector *in, const struct inspect_result *res,
				 enum inspect_verdict v);

/* Read DNS responses (INSPECT_ANSWER) or let them pass unread (IGNORED, "dns-response"); off
 * until switched on. */
void inspect_set_responses(struct inspector *in, bool on);

/* A packet of INSPECT_ANSWER passed: the responses it carried are taken as read (a TCP
 * stream moves past them). One that did not pass is read again when it comes again. */
void inspect_answer_passed(struct inspector *in, const struct inspect_result *res);

/*
 * Names past INSPECT_NAMES_MAX in one packet are not dropped unseen: `rank` (may be NULL) says
 * how much each matters (higher = more severe, e.g. the action a policy gives it) and the
 * highest ranked are kept in names[]. `ctx` is passed through.
 */
void inspect_set_ranker(struct inspector *in,
			unsigned (*rank)(void *ctx, const struct name *n, enum inspect_proto p),
			void *ctx);

/* Forget flows idle past their timeouts. Returns the number of flows expired. */
unsigned inspect_expire(struct inspector *in, uint64_t now_ms);

struct inspect_stats {
	uint64_t packets, flows_created, flows_expired, flows_evicted;
	uint64_t buffers_exhausted; /* a flow needed a buffer and its client had no share left */
	uint64_t buffers_taken;	    /* buffers taken from the client holding the most */
	uint64_t conflicts;	    /* segments whose bytes differ from a copy let through */
	uint64_t held_back;	    /* packets dropped until the server shows what it took */
	uint64_t confirmed;	    /* allows made final by the server's acknowledgement */
	uint32_t flows_active, buffers_active, sources_active;
};
void inspect_get_stats(const struct inspector *in, struct inspect_stats *st);

const char *inspect_proto_str(enum inspect_proto p);
const char *inspect_state_str(enum inspect_state s);
const char *inspect_mark_str(enum inspect_mark m);

#endif
