/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-side builder of IPv4/IPv6 + UDP/TCP packets, for round trips through the parsers. */
#ifndef EMBARGO_PKTBUILD_H
#define EMBARGO_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pb_opts {
	int ip_version; /* 4 or 6 */
	uint8_t proto;	/* 6 or 17 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags;
	size_t tcp_options; /* bytes of NOP options (multiple of 4) */
	size_t ip_options;  /* IPv4: bytes of options (multiple of 4); IPv6: bytes of one
			       destination-options extension header (multiple of 8, >= 8) */
};

static inline void pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Default options: IPv4 10.0.0.1:40000 -> 10.0.0.2:dport. */
static inline struct pb_opts pb_default(uint8_t proto, uint16_t dport)
{
	struct pb_opts o;
	memset(&o, 0, sizeof(o));
	o.ip_version = 4;
	o.proto = proto;
	o.src[0] = 10, o.src[3] = 1;
	o.dst[0] = 10, o.dst[3] = 2;
	o.sport = 40000;
	o.dport = dport;
	o.seq = 1000;
	o.tcp_flags = 0x18; /* PSH ACK */
	return o;
}

/* Build the packet into out (cap bytes); returns its length. Checksums are left zero. */
static inline size_t pb_build(const struct pb_opts *o, const uint8_t *payload, size_t plen,
			      uint8_t *out, size_t cap)
{
	size_t l4h = o->proto == 6 ? 20 + o->tcp_options : 8;
	size_t l3h = o->ip_version == 4 ? 20 + o->ip_options : 40 + o->ip_options;
	size_t total = l3h + l4h + plen;
	if (total > cap) {
		return 0;
	}
	memset(out, 0, l3h + l4h);
	if (o->ip_version == 4) {
		out[0] = (uint8_t)(0x40 | (l3h / 4));
		pb_put16(out + 2, (uint16_t)total);
		out[8] = 64;
		out[9] = o->proto;
		memcpy(out + 12, o->src, 4);
		memcpy(out + 16, o->dst, 4);
		memset(out + 20, 1, o->ip_options); /* NOP options */
	} else {
		out[0] = 0x60;
		pb_put16(out + 4, (uint16_t)(total - 40));
		out[6] = o->ip_options > 0 ? 60 : o->proto;
		out[7] = 64;
		memcpy(out + 8, o->src, 16);
		memcpy(out + 24, o->dst, 16);
		if (o->ip_options > 0) {
			out[40] = o->proto;
			out[41] = (uint8_t)(o->ip_options / 8 - 1);
			out[42] = 1; /* PadN option covering the rest */
			out[43] = (uint8_t)(o->ip_options - 4);
		}
	}
	uint8_t *l4 = out + l3h;
	pb_put16(l4, o->sport);
	pb_put16(l4 + 2, o->dport);
	if (o->proto == 6) {
		pb_put32(l4 + 4, o->seq);
		pb_put32(l4 + 8, o->ack);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = o->tcp_flags;
		pb_put16(l4 + 14, 65535);
		memset(l4 + 20, 1, o->tcp_options);
	} else {
		pb_put16(l4 + 4, (uint16_t)(8 + plen));
	}
	if (plen > 0) {
		memcpy(out + l3h + l4h, payload, plen);
	}
	return total;
}

#endif
