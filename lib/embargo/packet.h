/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet: IPv4/IPv6 (with extension headers), UDP and TCP headers of one IP packet. */
#ifndef EMBARGO_PACKET_H
#define EMBARGO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"

/* IP protocol numbers (IANA). */
#define PKT_PROTO_TCP 6
#define PKT_PROTO_UDP 17

/* TCP flag bits (RFC 9293 section 3.1). */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20

/*
 * One parsed IP packet. Addresses are in network byte order; IPv4 addresses sit in the first
 * 4 bytes of `src`/`dst` (the rest zero). Ports and sequence numbers are in host byte order.
 */
struct pkt {
	uint8_t ip_version;  /* 4 or 6 */
	uint8_t l4_proto;    /* IP protocol number of the transport header (after extensions) */
	uint8_t ttl;	     /* IPv4 TTL or IPv6 hop limit */
	bool is_fragment;    /* any fragment: MF set or offset != 0 (IPv4), or a Fragment header */
	bool first_fragment; /* fragment with offset 0 (its transport header is present) */
	uint8_t src[16];
	uint8_t dst[16];
	size_t l3_len;	     /* bytes of IP header including IPv6 extension headers */
	size_t ip_total_len; /* datagram length the IP header claims (<= the buffer length) */

	uint16_t sport; /* 0 when no transport header was parsed */
	uint16_t dport;
	/* TCP only: */
	uint32_t tcp_seq; /* sequence number of the first payload byte (SYN counts as one) */
	uint32_t tcp_ack;
	uint8_t tcp_flags; /* PKT_TCP_* bits */
	uint16_t tcp_window;
	uint16_t tcp_urgent; /* urgent pointer (meaningful with PKT_TCP_URG) */

	/* Transport payload: points into the buffer given to pkt_parse. Empty when no transport
	 * header was parsed (fragments other than the first, other protocols). */
	const uint8_t *payload;
	size_t payload_len;
	size_t l4_offset; /* offset of the transport header from the start of the IP packet */
};

/*
 * Parse one IP packet starting at its IP header (`len` bytes captured). The IP header's own
 * length fields win over `len` (trailing link padding is ignored); a packet shorter than its
 * header claims is MALFORMED unless `truncated_ok` is set (a capture cut at snaplen), in which
 * case the payload is what is present.
 *
 * Returns PARSE_OK (TCP or UDP header parsed, or another protocol / later fragment with only the
 * IP fields filled in), PARSE_NOT_MINE (not IPv4/IPv6), or PARSE_MALFORMED (bad header length,
 * IHL < 5, TCP data offset < 5, an IPv6 extension chain that runs past the packet). Any number
 * of IPv6 extension headers is walked: each takes at least 8 bytes, so the packet bounds them.
 */
enum parse_result pkt_parse(const uint8_t *buf, size_t len, bool truncated_ok, struct pkt *out);

/* Link-layer header types of capture files (LINKTYPE_* values of the pcap/pcapng formats). */
enum pkt_linktype {
	PKT_LINK_NULL = 0,	   /* BSD loopback: 4-byte address family, host byte order */
	PKT_LINK_ETHERNET = 1,	   /* Ethernet II, 802.1Q/802.1ad VLAN tags, PPPoE session */
	PKT_LINK_PPP = 9,	   /* PPP in HDLC-like framing (RFC 1662) or bare protocol field */
	PKT_LINK_RAW = 101,	   /* raw IPv4 or IPv6 */
	PKT_LINK_LOOP = 108,	   /* OpenBSD loopback: 4-byte address family, network order */
	PKT_LINK_LINUX_SLL = 113,  /* Linux cooked capture v1 (16-byte header) */
	PKT_LINK_IPV4 = 228,	   /* raw IPv4 */
	PKT_LINK_IPV6 = 229,	   /* raw IPv6 */
	PKT_LINK_LINUX_SLL2 = 276, /* Linux cooked capture v2 (20-byte header) */
};

/* VLAN tags walked before a frame is called malformed (QinQ uses two). */
#define PKT_VLAN_MAX 4

/* Where the IP packet starts inside a captured frame, and the sender's MAC when the frame has
 * one (Ethernet; cooked captures with a 6-byte link address). */
struct pkt_link {
	size_t ip_offset;
	bool has_mac;
	uint8_t src_mac[6];
};

/*
 * Strip the link-layer header of a captured frame of type `linktype` (enum pkt_linktype; the
 * historical DLT_RAW values 12 and 14 are accepted as raw IP). Returns PARSE_OK with
 * `out->ip_offset` set when the frame carries IPv4 or IPv6; PARSE_NOT_MINE for other payloads
 * (ARP, LLDP, an unsupported link type); PARSE_MALFORMED when the header is cut short.
 */
enum parse_result pkt_link_decap(int linktype, const uint8_t *frame, size_t len,
				 struct pkt_link *out);

/*
 * Build, in `out` (`size` bytes), an IP + UDP datagram answering the UDP packet `query`: source
 * and destination addresses and ports swapped, `payload` as data, hop limit 64, header and UDP
 * checksums computed. Returns the datagram length, or -EINVAL (query not UDP) / -ENOSPC.
 */
int pkt_build_udp_reply(const struct pkt *query, const uint8_t *payload, size_t len, uint8_t *out,
			size_t size);

/* The same, but a datagram that goes on the way `p` went (its source and ports kept): the
 * answer that replaces a response. */
int pkt_build_udp_onward(const struct pkt *p, const uint8_t *payload, size_t len, uint8_t *out,
			 size_t size);

/*
 * Build a TCP RST for the connection of segment `seg`: toward its destination (from its
 * source, with its sequence number) or, `toward_dst` false, toward its source (from its
 * destination, with its acknowledgement number as the sequence number): each lies where the
 * receiver expects the next byte. Returns the packet length or -EINVAL (not TCP) / -ENOSPC.
 */
int pkt_build_tcp_reset(const struct pkt *seg, bool toward_dst, uint8_t *out, size_t size);

/* Recompute the IPv4 header checksum and the TCP or UDP checksum of the packet `ip` (`len`
 * bytes, parsed into `p` from these bytes) after its payload was changed in place. Returns 0,
 * or -EINVAL (not TCP or UDP, a fragment, or cut short). */
int pkt_fix_checksums(uint8_t *ip, size_t len, const struct pkt *p);

/* Format the packet's address `addr` (src or dst of `p`) into `buf` (at least 46 bytes). */
const char *pkt_addr_str(const struct pkt *p, const uint8_t *addr, char *buf, size_t size);

#endif
