/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4 / IPv6 / UDP / TCP header parsing (RFC 791, RFC 8200, RFC 768, RFC 9293). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "embargo/packet.h"
#include "embargo/rd.h"

#define IPV4_HEADER_MIN 20 /* RFC 791: IHL >= 5 words */
#define IPV6_HEADER_LEN 40 /* RFC 8200 section 3 */
#define UDP_HEADER_LEN	8  /* RFC 768 */
#define TCP_HEADER_MIN	20 /* RFC 9293 section 3.1: data offset >= 5 words */

/* IPv6 extension headers (RFC 8200 section 4, RFC 4302 for AH). */
#define IP6_EXT_HOPOPTS	 0
#define IP6_EXT_ROUTING	 43
#define IP6_EXT_FRAGMENT 44
#define IP6_EXT_ESP	 50
#define IP6_EXT_AH	 51
#define IP6_EXT_NONE	 59
#define IP6_EXT_DSTOPTS	 60
#define IP6_EXT_MOBILITY 135

/*
 * IPv4 header:
 *   0      4      8              16     19             31
 *   |ver|ihl|  tos  |        total length        |
 *   |    identification   |flg|  fragment offset   |
 *   |  ttl  | protocol |     header checksum        |
 *   source address, destination address, options (ihl*4 - 20 bytes)
 */
static enum parse_result parse_ipv4(struct rd *r, const uint8_t *buf, size_t *l4_len,
				    bool truncated_ok, struct pkt *out)
{
	uint8_t vihl = rd_u8(r);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	rd_skip(r, 1);
	uint16_t total = rd_u16be(r);
	rd_skip(r, 2);
	uint16_t frag = rd_u16be(r);
	out->ttl = rd_u8(r);
	out->l4_proto = rd_u8(r);
	rd_skip(r, 2);
	const uint8_t *src = rd_ptr(r, 4);
	const uint8_t *dst = rd_ptr(r, 4);
	if (!rd_ok(r) || ihl < IPV4_HEADER_MIN || total < ihl) {
		return PARSE_MALFORMED;
	}
	memcpy(out->src, src, 4);
	memcpy(out->dst, dst, 4);
	rd_skip(r, ihl - IPV4_HEADER_MIN); /* options */
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	size_t have = rd_offset(r, buf) + rd_left(r);
	if (total > have && !truncated_ok) {
		return PARSE_MALFORMED;
	}
	out->ip_total_len = total <= have ? total : have;
	out->l3_len = ihl;
	*l4_len = out->ip_total_len - ihl;
	uint16_t offset = frag & 0x1fff;
	bool more = (frag & 0x2000) != 0;
	out->is_fragment = more || offset != 0;
	out->first_fragment = out->is_fragment && offset == 0;
	return PARSE_OK;
}

/*
 * IPv6 fixed header (40 bytes): version/class/flow (4), payload length (2), next header (1),
 * hop limit (1), source (16), destination (16); then extension headers until the transport.
 */
static enum parse_result parse_ipv6(struct rd *r, const uint8_t *buf, size_t *l4_len,
				    bool truncated_ok, struct pkt *out)
{
	rd_skip(r, 4);
	uint16_t plen = rd_u16be(r);
	uint8_t next = rd_u8(r);
	out->ttl = rd_u8(r);
	const uint8_t *src = rd_ptr(r, 16);
	const uint8_t *dst = rd_ptr(r, 16);
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	memcpy(out->src, src, 16);
	memcpy(out->dst, dst, 16);
	/* Payload length 0 means a jumbogram (RFC 2675), which needs a hop-by-hop option this
	 * parser does not read; such packets do not reach a gateway's 1500-byte links. */
	if (plen == 0) {
		return PARSE_MALFORMED;
	}
	size_t have = rd_left(r);
	if (plen > have && !truncated_ok) {
		return PARSE_MALFORMED;
	}
	size_t payload = plen <= have ? plen : have;
	struct rd ext = rd_sub(r, payload);
	/* Every extension header takes at least 8 bytes of the payload (RFC 8200 section 4), so
	 * the walk ends within payload / 8 steps. */
	for (;;) {
		if (next == IP6_EXT_HOPOPTS || next == IP6_EXT_ROUTING || next == IP6_EXT_DSTOPTS ||
		    next == IP6_EXT_MOBILITY) {
			next = rd_u8(&ext);
			size_t hlen = ((size_t)rd_u8(&ext) + 1) * 8;
			rd_skip(&ext, hlen - 2);
		} else if (next == IP6_EXT_AH) {
			next = rd_u8(&ext);
			size_t hlen = ((size_t)rd_u8(&ext) + 2) * 4;
			rd_skip(&ext, hlen - 2);
		} else if (next == IP6_EXT_FRAGMENT) {
			next = rd_u8(&ext);
			rd_skip(&ext, 1);
			uint16_t frag = rd_u16be(&ext);
			rd_skip(&ext, 4);
			uint16_t offset = frag >> 3;
			out->is_fragment = true;
			out->first_fragment = offset == 0;
			if (offset != 0) {
				break; /* no further headers in a later fragment */
			}
		} else {
			break;
		}
		if (!rd_ok(&ext)) {
			return PARSE_MALFORMED;
		}
	}
	if (!rd_ok(&ext)) {
		return PARSE_MALFORMED;
	}
	out->l4_proto = next;
	out->l3_len = rd_offset(&ext, buf);
	out->ip_total_len = IPV6_HEADER_LEN + payload;
	*l4_len = rd_left(&ext);
	return PARSE_OK;
}

static enum parse_result parse_udp(struct rd *r, size_t l4_len, bool truncated_ok, struct pkt *out)
{
	out->sport = rd_u16be(r);
	out->dport = rd_u16be(r);
	uint16_t ulen = rd_u16be(r);
	rd_skip(r, 2);
	if (!rd_ok(r) || ulen < UDP_HEADER_LEN) {
		return PARSE_MALFORMED;
	}
	size_t have = l4_len - UDP_HEADER_LEN;
	size_t want = (size_t)ulen - UDP_HEADER_LEN;
	if (want > have && !truncated_ok) {
		return PARSE_MALFORMED;
	}
	out->payload_len = want <= have ? want : have;
	out->payload = rd_ptr(r, out->payload_len);
	return rd_ok(r) ? PARSE_OK : PARSE_MALFORMED;
}

static enum parse_result parse_tcp(struct rd *r, size_t l4_len, struct pkt *out)
{
	out->sport = rd_u16be(r);
	out->dport = rd_u16be(r);
	uint32_t seq = rd_u32be(r);
	out->tcp_ack = rd_u32be(r);
	uint8_t off = rd_u8(r);
	out->tcp_flags = rd_u8(r);
	out->tcp_window = rd_u16be(r);
	rd_skip(r, 2); /* checksum */
	out->tcp_urgent = rd_u16be(r);
	size_t hlen = (size_t)(off >> 4) * 4;
	if (!rd_ok(r) || hlen < TCP_HEADER_MIN || hlen > l4_len) {
		return PARSE_MALFORMED;
	}
	rd_skip(r, hlen - TCP_HEADER_MIN); /* options: skipped as a block by the data offset */
	/* Data on a SYN (TCP Fast Open) starts one past the SYN's own sequence number. */
	out->tcp_seq = (out->tcp_flags & PKT_TCP_SYN) ? seq + 1 : seq;
	out->payload_len = l4_len - hlen;
	out->payload = rd_ptr(r, out->payload_len);
	return rd_ok(r) ? PARSE_OK : PARSE_MALFORMED;
}

enum parse_result pkt_parse(const uint8_t *buf, size_t len, bool truncated_ok, struct pkt *out)
{
	struct rd r = rd_make(buf, len);
	size_t l4_len = 0;
	enum parse_result res;

	memset(out, 0, sizeof(*out));
	if (len < 1) {
		return PARSE_NOT_MINE;
	}
	out->ip_version = buf[0] >> 4;
	if (out->ip_version == 4) {
		res = parse_ipv4(&r, buf, &l4_len, truncated_ok, out);
	} else if (out->ip_version == 6) {
		res = parse_ipv6(&r, buf, &l4_len, truncated_ok, out);
	} else {
		return PARSE_NOT_MINE;
	}
	if (res != PARSE_OK) {
		return res;
	}
	/* Later fragments carry no transport header; report the IP fields only. */
	if (out->is_fragment && !out->first_fragment) {
		return PARSE_OK;
	}
	out->l4_offset = out->l3_len;
	struct rd l4 = rd_make(buf + out->l3_len, l4_len);
	if (out->l4_proto == PKT_PROTO_UDP) {
		if (l4_len < UDP_HEADER_LEN) {
			return out->is_fragment ? PARSE_OK : PARSE_MALFORMED;
		}
		res = parse_udp(&l4, l4_len, truncated_ok || out->is_fragment, out);
	} else if (out->l4_proto == PKT_PROTO_TCP) {
		if (l4_len < TCP_HEADER_MIN) {
			return out->is_fragment ? PARSE_OK : PARSE_MALFORMED;
		}
		res = parse_tcp(&l4, l4_len, out);
	} else {
		return PARSE_OK;
	}
	return res;
}

const char *pkt_addr_str(const struct pkt *p, const uint8_t *addr, char *buf, size_t size)
{
	if (inet_ntop(p->ip_version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)size) ==
	    NULL) {
		snprintf(buf, size, "?");
	}
	return buf;
}

/* EtherTypes (IEEE registry) and PPP protocol numbers (RFC 1332, RFC 5072). */
#define ETHERTYPE_IPV4	 0x0800
#define ETHERTYPE_IPV6	 0x86dd
#define ETHERTYPE_VLAN	 0x8100
#define ETHERTYPE_QINQ	 0x88a8
#define ETHERTYPE_PPPOES 0x8864
#define PPP_PROTO_IPV4	 0x0021
#define PPP_PROTO_IPV6	 0x0057
/* Address families as BSD loopback headers write them (AF_INET6 differs between systems). */
#define BSD_AF_INET 2

static bool ethertype_is_ip(uint16_t type)
{
	return type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6;
}

/* PPP protocol field (after optional 0xff 0x03 address/control) -> IP or not. */
static enum parse_result ppp_payload(struct rd *r, const uint8_t *frame, struct pkt_link *out)
{
	if (rd_left(r) >= 2 && r->pos[0] == 0xff && r->pos[1] == 0x03) {
		rd_skip(r, 2);
	}
	uint16_t proto = rd_u16be(r);
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	if (proto != PPP_PROTO_IPV4 && proto != PPP_PROTO_IPV6) {
		return PARSE_NOT_MINE;
	}
	out->ip_offset = rd_offset(r, frame);
	return PARSE_OK;
}

static enum parse_result ethernet_payload(struct rd *r, const uint8_t *frame, struct pkt_link *out)
{
	rd_skip(r, 6); /* destination */
	const uint8_t *src = rd_ptr(r, 6);
	uint16_t type = rd_u16be(r);
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	memcpy(out->src_mac, src, 6);
	out->has_mac = true;
	for (unsigned i = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); i++) {
		if (i >= PKT_VLAN_MAX) {
			return PARSE_MALFORMED;
		}
		rd_skip(r, 2); /* tag control information */
		type = rd_u16be(r);
		if (!rd_ok(r)) {
			return PARSE_MALFORMED;
		}
	}
	if (type == ETHERTYPE_PPPOES) {
		rd_skip(r, 6); /* version/type, code, session id, length (RFC 2516 section 4) */
		uint16_t proto = rd_u16be(r);
		if (!rd_ok(r)) {
			return PARSE_MALFORMED;
		}
		if (proto != PPP_PROTO_IPV4 && proto != PPP_PROTO_IPV6) {
			return PARSE_NOT_MINE;
		}
		out->ip_offset = rd_offset(r, frame);
		return PARSE_OK;
	}
	if (!ethertype_is_ip(type)) {
		return PARSE_NOT_MINE;
	}
	out->ip_offset = rd_offset(r, frame);
	return PARSE_OK;
}

/* Linux cooked captures (SLL, SLL2): the header has been read up to the payload; a 6-byte link
 * address is the sender's MAC. */
static enum parse_result cooked_payload(const struct rd *r, const uint8_t *frame, size_t alen,
					const uint8_t *addr, uint16_t proto, struct pkt_link *out)
{
	if (!rd_ok(r)) {
		return PARSE_MALFORMED;
	}
	if (alen == 6) {
		memcpy(out->src_mac, addr, 6);
		out->has_mac = true;
	}
	if (!ethertype_is_ip(proto)) {
		return PARSE_NOT_MINE;
	}
	out->ip_offset = rd_offset(r, frame);
	return PARSE_OK;
}

enum parse_result pkt_link_decap(int linktype, const uint8_t *frame, size_t len,
				 struct pkt_link *out)
{
	struct rd r = rd_make(frame, len);

	memset(out, 0, sizeof(*out));
	switch (linktype) {
	case PKT_LINK_ETHERNET:
		return ethernet_payload(&r, frame, out);
	case PKT_LINK_RAW:
	case 12: /* DLT_RAW on most systems */
	case 14: /* DLT_RAW on OpenBSD */
	case PKT_LINK_IPV4:
	case PKT_LINK_IPV6:
		out->ip_offset = 0;
		return len > 0 ? PARSE_OK : PARSE_MALFORMED;
	case PKT_LINK_NULL:
	case PKT_LINK_LOOP: {
		const uint8_t *fam = rd_ptr(&r, 4);
		if (fam == NULL) {
			return PARSE_MALFORMED;
		}
		/* The family is in the writer's byte order (NULL) or network order (LOOP); the IP
		 * version nibble that follows is what decides. */
		uint32_t le = (uint32_t)fam[0] | (uint32_t)fam[1] << 8 | (uint32_t)fam[2] << 16 |
			      (uint32_t)fam[3] << 24;
		uint32_t be = (uint32_t)fam[3] | (uint32_t)fam[2] << 8 | (uint32_t)fam[1] << 16 |
			      (uint32_t)fam[0] << 24;
		bool known = le == BSD_AF_INET || be == BSD_AF_INET || le == 10 || le == 24 ||
			     le == 28 || le == 30 || be == 10 || be == 24 || be == 28 || be == 30;
		if (!known) {
			return PARSE_NOT_MINE;
		}
		out->ip_offset = 4;
		return PARSE_OK;
	}
	case PKT_LINK_PPP:
		return ppp_payload(&r, frame, out);
	case PKT_LINK_LINUX_SLL: {
		/* packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2) */
		rd_skip(&r, 4);
		uint16_t alen = rd_u16be(&r);
		const uint8_t *addr = rd_ptr(&r, 8);
		uint16_t proto = rd_u16be(&r);
		return cooked_payload(&r, frame, alen, addr, proto, out);
	}
	case PKT_LINK_LINUX_SLL2: {
		/* protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
		 * address length (1), address (8) */
		uint16_t proto = rd_u16be(&r);
		rd_skip(&r, 8);
		rd_skip(&r, 1);
		uint8_t alen = rd_u8(&r);
		const uint8_t *addr = rd_ptr(&r, 8);
		return cooked_payload(&r, frame, alen, addr, proto, out);
	}
	default:
		return PARSE_NOT_MINE;
	}
}

/* Internet checksum (RFC 1071) accumulation over `len` bytes, big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (len % 2 != 0) {
		sum += (uint32_t)p[len - 1] << 8;
	}
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static void put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The transport checksum (RFC 768, RFC 9293 3.1, RFC 8200 8.1) over the pseudo-header of
 * `src`, `dst` (4 or 16 bytes by `ip_version`) and `len` bytes of transport header and data. */
static uint16_t l4_checksum(uint8_t ip_version, uint8_t proto, const uint8_t *src,
			    const uint8_t *dst, const uint8_t *l4, size_t len)
{
	size_t addr_len = ip_version == 4 ? 4 : 16;
	uint8_t pseudo[8] = {0};
	pseudo[5] = proto;
	pseudo[6] = (uint8_t)(len >> 8);
	pseudo[7] = (uint8_t)len;
	uint32_t sum = csum_add(0, src, addr_len);
	sum = csum_add(sum, dst, addr_len);
	sum = csum_add(sum, ip_version == 4 ? pseudo + 4 : pseudo, ip_version == 4 ? 4 : 8);
	sum = csum_add(sum, l4, len);
	uint16_t c = csum_fold(sum);
	return proto == PKT_PROTO_UDP && c == 0 ? 0xffff : c; /* 0 means "none" in UDP */
}

/* An IP header (no options, hop limit 64) from `src` to `dst` carrying `l4_len` bytes of
 * `proto`; returns its length. The caller checked that `out` has room. */
static size_t put_ip_header(uint8_t *out, uint8_t ip_version, uint8_t proto, const uint8_t *src,
			    const uint8_t *dst, size_t l4_len)
{
	if (ip_version == 4) {
		memset(out, 0, IPV4_HEADER_MIN);
		out[0] = 0x45;
		put_be16(out + 2, IPV4_HEADER_MIN + l4_len);
		out[6] = 0x40; /* don't fragment */
		out[8] = 64;
		out[9] = proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		put_be16(out + 10, csum_fold(csum_add(0, out, IPV4_HEADER_MIN)));
		return IPV4_HEADER_MIN;
	}
	memset(out, 0, IPV6_HEADER_LEN);
	out[0] = 0x60;
	put_be16(out + 4, l4_len);
	out[6] = proto;
	out[7] = 64;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	return IPV6_HEADER_LEN;
}

/* A UDP datagram from `src`:`sport` to `dst`:`dport` carrying `payload`. */
static int build_udp(uint8_t ip_version, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		     uint16_t dport, const uint8_t *payload, size_t len, uint8_t *out, size_t size)
{
	size_t l3 = ip_version == 4 ? IPV4_HEADER_MIN : IPV6_HEADER_LEN;
	size_t total = l3 + UDP_HEADER_LEN + len;
	if (total > size || UDP_HEADER_LEN + len > UINT16_MAX) {
		return -ENOSPC;
	}
	put_ip_header(out, ip_version, PKT_PROTO_UDP, src, dst, UDP_HEADER_LEN + len);
	uint8_t *udp = out + l3;
	put_be16(udp, sport);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, UDP_HEADER_LEN + len);
	put_be16(udp + 6, 0);
	memcpy(udp + UDP_HEADER_LEN, payload, len);
	put_be16(udp + 6,
		 l4_checksum(ip_version, PKT_PROTO_UDP, src, dst, udp, UDP_HEADER_LEN + len));
	return (int)total;
}

int pkt_build_udp_reply(const struct pkt *query, const uint8_t *payload, size_t len, uint8_t *out,
			size_t size)
{
	if (query->l4_proto != PKT_PROTO_UDP) {
		return -EINVAL;
	}
	return build_udp(query->ip_version, query->dst, query->src, query->dport, query->sport,
			 payload, len, out, size);
}

int pkt_build_udp_onward(const struct pkt *p, const uint8_t *payload, size_t len, uint8_t *out,
			 size_t size)
{
	if (p->l4_proto != PKT_PROTO_UDP) {
		return -EINVAL;
	}
	return build_udp(p->ip_version, p->src, p->dst, p->sport, p->dport, payload, len, out,
			 size);
}

int pkt_build_tcp_reset(const struct pkt *seg, bool toward_dst, uint8_t *out, size_t size)
{
	if (seg->l4_proto != PKT_PROTO_TCP) {
		return -EINVAL;
	}
	size_t l3 = seg->ip_version == 4 ? IPV4_HEADER_MIN : IPV6_HEADER_LEN;
	if (l3 + TCP_HEADER_MIN > size) {
		return -ENOSPC;
	}
	const uint8_t *src = toward_dst ? seg->src : seg->dst;
	const uint8_t *dst = toward_dst ? seg->dst : seg->src;
	put_ip_header(out, seg->ip_version, PKT_PROTO_TCP, src, dst, TCP_HEADER_MIN);
	uint8_t *tcp = out + l3;
	memset(tcp, 0, TCP_HEADER_MIN);
	put_be16(tcp, toward_dst ? seg->sport : seg->dport);
	put_be16(tcp + 2, toward_dst ? seg->dport : seg->sport);
	/* In the receiver's window: the segment's own sequence number for its destination, its
	 * acknowledgement (what the source expects next) for its source. */
	uint32_t seq = toward_dst ? seg->tcp_seq : seg->tcp_ack;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = (TCP_HEADER_MIN / 4) << 4;
	tcp[13] = PKT_TCP_RST;
	put_be16(tcp + 16,
		 l4_checksum(seg->ip_version, PKT_PROTO_TCP, src, dst, tcp, TCP_HEADER_MIN));
	return (int)(l3 + TCP_HEADER_MIN);
}

int pkt_fix_checksums(uint8_t *ip, size_t len, const struct pkt *p)
{
	if ((p->l4_proto != PKT_PROTO_TCP && p->l4_proto != PKT_PROTO_UDP) || p->is_fragment ||
	    p->l4_offset >= len || p->ip_total_len > len || p->ip_total_len <= p->l4_offset) {
		return -EINVAL;
	}
	uint8_t *l4 = ip + p->l4_offset;
	size_t l4_len = p->ip_total_len - p->l4_offset;
	size_t at = p->l4_proto == PKT_PROTO_TCP ? 16 : 6;
	if (l4_len < (p->l4_proto == PKT_PROTO_TCP ? TCP_HEADER_MIN : UDP_HEADER_LEN)) {
		return -EINVAL;
	}
	if (p->ip_version == 4) {
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_fold(csum_add(0, ip, p->l3_len)));
	}
	put_be16(l4 + at, 0);
	put_be16(l4 + at, l4_checksum(p->ip_version, p->l4_proto, p->src, p->dst, l4, l4_len));
	return 0;
}
