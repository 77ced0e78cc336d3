/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Forged answers and resets: built in lib/ (dns_reply_build, pkt_build_udp_reply,
 * pkt_build_tcp_reset) and sent here through raw sockets that carry their own IP header. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inject.h"

/* A reply never needs more than the query plus one record and an OPT record; queries over UDP
 * are at most 64 KiB but a gateway sees far smaller ones. */
#define INJECT_BUF 4096

int inject_open(struct inject *inj)
{
	inj->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	/* IPPROTO_RAW on AF_INET6 implies that the IPv6 header is included. */
	inj->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (inj->fd4 == -1 && inj->fd6 == -1) {
		return -errno;
	}
	return 0;
}

void inject_close(struct inject *inj)
{
	if (inj->fd4 != -1) {
		close(inj->fd4);
		inj->fd4 = -1;
	}
	if (inj->fd6 != -1) {
		close(inj->fd6);
		inj->fd6 = -1;
	}
}

/* Send the IP packet `pkt` (its own header included) toward `dst`. */
static int send_raw(const struct inject *inj, uint8_t ip_version, const uint8_t *dst,
		    const uint8_t *pkt, size_t n)
{
	ssize_t sent;
	if (ip_version == 4) {
		struct sockaddr_in to = {.sin_family = AF_INET};
		memcpy(&to.sin_addr, dst, 4);
		if (inj->fd4 == -1) {
			return -EAFNOSUPPORT;
		}
		sent = sendto(inj->fd4, pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
	} else {
		struct sockaddr_in6 to = {.sin6_family = AF_INET6};
		memcpy(&to.sin6_addr, dst, 16);
		if (inj->fd6 == -1) {
			return -EAFNOSUPPORT;
		}
		sent = sendto(inj->fd6, pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
	}
	return sent == -1 ? -errno : 0;
}

int inject_udp_reply(const struct inject *inj, const struct pkt *query, const uint8_t *payload,
		     size_t len)
{
	uint8_t datagram[INJECT_BUF + 64];
	int n = pkt_build_udp_reply(query, payload, len, datagram, sizeof(datagram));
	if (n < 0) {
		return n;
	}
	return send_raw(inj, query->ip_version, query->src, datagram, (size_t)n);
}

int inject_dns_reply(const struct inject *inj, const struct pkt *query, const uint8_t *dns,
		     size_t dns_len, const struct dns_reply_opts *opts)
{
	uint8_t reply[INJECT_BUF];
	struct dns_msg msg;

	/* A query the parser calls malformed (a pointer that does not point backwards) was
	 * still read whole: it is answered like any other. */
	enum parse_result r = dns_msg_parse(dns, dns_len, &msg);
	if (r == PARSE_NOT_MINE || (r == PARSE_MALFORMED && msg.questions_end == 0)) {
		return -EINVAL;
	}
	int n = dns_reply_build(dns, dns_len, &msg, opts, reply, sizeof(reply));
	if (n < 0) {
		return n;
	}
	if (!msg.is_response) {
		return inject_udp_reply(inj, query, reply, (size_t)n);
	}
	/* A response is replaced: the answer goes on to where it was going, from its server. */
	uint8_t datagram[INJECT_BUF + 64];
	n = pkt_build_udp_onward(query, reply, (size_t)n, datagram, sizeof(datagram));
	if (n < 0) {
		return n;
	}
	return send_raw(inj, query->ip_version, query->dst, datagram, (size_t)n);
}

int inject_tcp_resets(const struct inject *inj, const struct pkt *seg)
{
	uint8_t rst[128];
	int rc = 0;
	for (int toward_dst = 1; toward_dst >= 0; toward_dst--) {
		int n = pkt_build_tcp_reset(seg, toward_dst != 0, rst, sizeof(rst));
		int r = n < 0 ? n
			      : send_raw(inj, seg->ip_version, toward_dst ? seg->dst : seg->src,
					 rst, (size_t)n);
		rc = rc != 0 ? rc : r;
	}
	return rc;
}

int inject_quic_vn(const struct inject *inj, const struct pkt *initial, struct span dcid,
		   struct span scid)
{
	uint8_t vn[2 * QUIC_CID_MAX + 16];
	/* The answer's DCID is the client's SCID and its SCID the client's DCID. */
	int n = quic_version_negotiation_build(scid.ptr, scid.len, dcid.ptr, dcid.len, vn,
					       sizeof(vn));
	if (n < 0) {
		return n;
	}
	return inject_udp_reply(inj, initial, vn, (size_t)n);
}
