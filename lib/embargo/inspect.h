/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inspect: the per-packet pipeline shared by embargod, the replay and the benchmarks:
 * IP packet in, the names it carries (or why it carries none) out, with bounded flow state. */
#ifndef EMBARGO_INSPECT_H
#define EMBARGO_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"
#include "embargo/name.h"
#include "embargo/packet.h"

/* Names reported for one packet: DNS over TCP can pack many queries in one segment. */
#define INSPECT_NAMES_MAX 32

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
	INSPECT_IGNORED = 0, /* nothing to inspect here (other protocol, server-to-client data,
				pure ACK of an undecided flow, DNS response) */
	INSPECT_PENDING,     /* part of a name-carrying message; more packets are needed */
	INSPECT_NAMED,	     /* names[] holds what this packet completed */
	INSPECT_NAMELESS,    /* a complete message without a usable name, or a flow that hit its
				bound (bytes, packets, time) undecided: apply the nameless policy */
	INSPECT_MALFORMED,   /* the packet or the message breaks its protocol's rules */
	INSPECT_DECIDED,     /* the flow was decided earlier; `verdict` is what was decided */
};

/* Bounds of the per-flow state. Defaults (inspect_limits_default) are in the comments. */
struct inspect_limits {
	uint32_t max_flows;    /* flows tracked at once: 4096 */
	uint32_t max_buffers;  /* reassembly buffers at once (only split messages need one): 256 */
	uint32_t buffer_bytes; /* bytes per reassembly buffer: 16384 + record overhead */
	uint32_t flow_packets; /* client packets with payload before a flow is nameless: 512 */
	uint32_t flow_timeout_ms;    /* idle time before an undecided flow is forgotten: 10000 */
	uint32_t decided_timeout_ms; /* how long a decided flow is remembered: 120000 */
};

struct inspect_result {
	struct pkt pkt;
	enum inspect_proto proto;
	enum inspect_state state;
	uint8_t verdict;    /* INSPECT_DECIDED: the caller's verdict given to inspect_decide */
	const char *reason; /* short text for NAMELESS/MALFORMED/IGNORED ("no-sni", "bound", ...) */
	unsigned nnames;    /* names in names[] */
	unsigned names_dropped; /* names seen past INSPECT_NAMES_MAX */
	struct name names[INSPECT_NAMES_MAX];
	uint16_t qtypes[INSPECT_NAMES_MAX]; /* DNS: the qtype of each name */
	/* DNS over UDP: the message inside the packet (for forging a reply). */
	struct span dns_msg;
	uint32_t quic_version; /* QUIC: version of the packet, 0 otherwise */
	bool has_ech;	       /* TLS/QUIC: the hello offers ECH (the name is the outer one) */
	uint32_t flow_packets; /* packets of this flow inspected so far, this one included */
};

struct inspector;

/* Fill `lim` with the defaults listed in struct inspect_limits. */
void inspect_limits_default(struct inspect_limits *lim);

/* New inspector with its flow table and buffer pool allocated up front; NULL on failure. */
struct inspector *inspector_new(const struct inspect_limits *lim);
void inspector_free(struct inspector *in);

/*
 * Inspect one IP packet (`len` bytes from the IP header) seen at `now_ms` (any monotonic clock).
 * `truncated_ok` as in pkt_parse. Fills `out` completely. Never allocates.
 */
void inspect_packet(struct inspector *in, const uint8_t *ip, size_t len, bool truncated_ok,
		    uint64_t now_ms, struct inspect_result *out);

/*
 * Record the caller's decision for the flow of `res` (a TCP or QUIC flow that was NAMED,
 * NAMELESS or MALFORMED): its buffers are released and later packets of the flow come back
 * as INSPECT_DECIDED with this verdict. No effect for DNS over UDP.
 */
void inspect_decide(struct inspector *in, const struct inspect_result *res, uint8_t verdict);

/* Forget flows idle past their timeouts. Returns the number of flows expired. */
unsigned inspect_expire(struct inspector *in, uint64_t now_ms);

struct inspect_stats {
	uint64_t packets, flows_created, flows_expired, flows_evicted, buffers_exhausted;
	uint32_t flows_active, buffers_active;
};
void inspect_get_stats(const struct inspector *in, struct inspect_stats *st);

const char *inspect_proto_str(enum inspect_proto p);
const char *inspect_state_str(enum inspect_state s);

#endif
