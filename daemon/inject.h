/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inject: send forged answers (DNS, QUIC Version Negotiation) to clients through raw sockets. */
#ifndef EMBARGOD_INJECT_H
#define EMBARGOD_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "embargo/dns.h"
#include "embargo/packet.h"
#include "embargo/quic.h"

struct inject {
	int fd4; /* AF_INET raw socket with IP_HDRINCL, -1 if unavailable */
	int fd6; /* AF_INET6 raw socket with the header included, -1 if unavailable */
};

/* Open the raw sockets (needs CAP_NET_RAW). Returns 0, or -errno when neither opens. */
int inject_open(struct inject *inj);
void inject_close(struct inject *inj);

/*
 * Answer the DNS query carried by `query` (the client's packet, as parsed) with the reply the
 * options ask for, sent from the server's address and port back to the client. `dns` is the
 * query message inside the packet. When `query` is a response instead (the server's packet),
 * the reply replaces it: built from its question, sent on to the client from the server.
 * Returns 0 or -errno (-EINVAL when the query cannot be answered, e.g. it has no question).
 */
int inject_dns_reply(const struct inject *inj, const struct pkt *query, const uint8_t *dns,
		     size_t dns_len, const struct dns_reply_opts *opts);

/* Send `payload` as a UDP datagram from the destination of `query` back to its source.
 * Returns 0 or -errno. */
int inject_udp_reply(const struct inject *inj, const struct pkt *query, const uint8_t *payload,
		     size_t len);

/* Reset the connection of the TCP segment `seg` toward both its ends (the segment itself is
 * dropped by the caller). Returns 0 or the first -errno. */
int inject_tcp_resets(const struct inject *inj, const struct pkt *seg);

/* Answer the client Initial `initial` (connection IDs `dcid`, `scid`) with a Version
 * Negotiation that lists no version it speaks. Returns 0 or -errno. */
int inject_quic_vn(const struct inject *inj, const struct pkt *initial, struct span dcid,
		   struct span scid);

#endif
