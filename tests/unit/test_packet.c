/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for IP/UDP/TCP header parsing and link-layer decapsulation. */
#include <errno.h>

#include "test.h"

#include "embargo/packet.h"
#include "pktbuild.h"

static const uint8_t payload[] = "payload bytes";

static void check_round_trip(const struct pb_opts *o)
{
	uint8_t buf[512];
	struct pkt p;
	size_t len = pb_build(o, payload, sizeof(payload), buf, sizeof(buf));
	assert_true(len > 0);
	uint8_t *copy = test_exact_copy(buf, len);
	assert_int_equal(pkt_parse(copy, len, false, &p), PARSE_OK);
	assert_int_equal(p.ip_version, o->ip_version);
	assert_int_equal(p.l4_proto, o->proto);
	assert_memory_equal(p.src, o->src, o->ip_version == 4 ? 4 : 16);
	assert_memory_equal(p.dst, o->dst, o->ip_version == 4 ? 4 : 16);
	assert_int_equal(p.sport, o->sport);
	assert_int_equal(p.dport, o->dport);
	assert_int_equal(p.payload_len, sizeof(payload));
	assert_memory_equal(p.payload, payload, sizeof(payload));
	assert_false(p.is_fragment);
	if (o->proto == 6) {
		assert_int_equal(p.tcp_seq, o->seq);
		assert_int_equal(p.tcp_flags, o->tcp_flags);
	}
	/* Every shorter prefix must be rejected or cut cleanly, never read past its end. */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *pre = test_exact_copy(buf, cut);
		enum parse_result r = pkt_parse(pre, cut, false, &p);
		assert_true(r == PARSE_MALFORMED || r == PARSE_NOT_MINE);
		r = pkt_parse(pre, cut, true, &p);
		if (r == PARSE_OK) {
			assert_true(p.payload_len <= sizeof(payload));
			assert_true(p.payload == NULL || p.payload + p.payload_len <= pre + cut);
		}
		free(pre);
	}
	free(copy);
}

static void test_ipv4_udp_tcp(void **state)
{
	struct pb_opts o = pb_default(17, 53);
	check_round_trip(&o);
	o = pb_default(6, 443);
	check_round_trip(&o);
	o.tcp_options = 20; /* data offset 10 words */
	o.ip_options = 8;   /* IHL 7 */
	check_round_trip(&o);
}

static void test_ipv6_udp_tcp(void **state)
{
	struct pb_opts o = pb_default(17, 443);
	o.ip_version = 6;
	o.src[0] = 0xfd, o.src[15] = 1;
	o.dst[0] = 0xfd, o.dst[15] = 2;
	check_round_trip(&o);
	o.proto = 6;
	o.tcp_flags = 0x02; /* SYN: data would start at seq + 1 */
	o.ip_options = 16;  /* a destination options header of 16 bytes */
	uint8_t buf[512];
	struct pkt p;
	size_t len = pb_build(&o, payload, sizeof(payload), buf, sizeof(buf));
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_OK);
	assert_int_equal(p.l3_len, 56);
	assert_int_equal(p.tcp_seq, o.seq + 1);
	assert_int_equal(p.payload_len, sizeof(payload));
}

static void test_ipv4_bad_headers(void **state)
{
	uint8_t buf[512];
	struct pkt p;
	struct pb_opts o = pb_default(6, 443);
	size_t len = pb_build(&o, payload, sizeof(payload), buf, sizeof(buf));

	buf[0] = 0x44; /* IHL 4 < 5 */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	buf[0] = 0x45;
	buf[20 + 12] = 0x40; /* TCP data offset 4 < 5 */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	buf[20 + 12] = 0xf0; /* data offset 60 bytes: past the packet */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	buf[20 + 12] = 0x50;
	pb_put16(buf + 2, (uint16_t)(len + 10)); /* total length past the buffer */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	assert_int_equal(pkt_parse(buf, len, true, &p), PARSE_OK);
	assert_int_equal(p.payload_len, sizeof(payload));
	pb_put16(buf + 2, (uint16_t)(len - 4)); /* link padding after the datagram is ignored */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_OK);
	assert_int_equal(p.payload_len, sizeof(payload) - 4);
	buf[0] = 0x55; /* not IP */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_NOT_MINE);
}

static void test_udp_length(void **state)
{
	uint8_t buf[512];
	struct pkt p;
	struct pb_opts o = pb_default(17, 53);
	size_t len = pb_build(&o, payload, sizeof(payload), buf, sizeof(buf));

	pb_put16(buf + 24, 7); /* shorter than the UDP header */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	pb_put16(buf + 24, (uint16_t)(8 + sizeof(payload) + 1)); /* past the IP datagram */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_MALFORMED);
	pb_put16(buf + 24, 8 + 3); /* shorter: the payload is what UDP says */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_OK);
	assert_int_equal(p.payload_len, 3);
}

static void test_fragments(void **state)
{
	uint8_t buf[512];
	struct pkt p;
	struct pb_opts o = pb_default(17, 53);
	size_t len = pb_build(&o, payload, sizeof(payload), buf, sizeof(buf));

	buf[6] = 0x20; /* MF set, offset 0: first fragment, UDP header present */
	pb_put16(buf + 24, 1000);
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_OK);
	assert_true(p.is_fragment);
	assert_true(p.first_fragment);
	assert_int_equal(p.sport, 40000);
	buf[6] = 0x00;
	buf[7] = 0x10; /* offset 16*8: a later fragment, no transport header */
	assert_int_equal(pkt_parse(buf, len, false, &p), PARSE_OK);
	assert_true(p.is_fragment);
	assert_false(p.first_fragment);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.payload_len, 0);

	/* IPv6 Fragment header, later fragment. */
	uint8_t v6[40 + 8 + 16];
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	pb_put16(v6 + 4, 8 + 16);
	v6[6] = 44;
	v6[40] = 17;
	pb_put16(v6 + 42, (uint16_t)(100 << 3));
	assert_int_equal(pkt_parse(v6, sizeof(v6), false, &p), PARSE_OK);
	assert_true(p.is_fragment);
	assert_false(p.first_fragment);
	assert_int_equal(p.l4_proto, 17);
}

static void test_ipv6_extension_chain_bounds(void **state)
{
	/* Any number of extension headers is walked, as the server's stack walks them: 20
	 * destination-options headers, then TCP with data. */
	enum {
		NEXT = 20
	};
	uint8_t v6[40 + 8 * NEXT + 20 + 4];
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	pb_put16(v6 + 4, (uint16_t)(sizeof(v6) - 40));
	v6[6] = 60;
	for (unsigned i = 0; i < NEXT; i++) {
		v6[40 + 8 * i] = i + 1 < NEXT ? 60 : 6; /* the last one leads to TCP */
	}
	uint8_t *tcp = v6 + 40 + 8 * NEXT;
	pb_put16(tcp, 40000);
	pb_put16(tcp + 2, 443);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	memcpy(tcp + 20, "\x16\x03\x01\x02", 4);
	struct pkt p;
	assert_int_equal(pkt_parse(v6, sizeof(v6), false, &p), PARSE_OK);
	assert_int_equal(p.l4_proto, 6);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.payload_len, 4);
	assert_int_equal(p.payload[0], 0x16);
	/* A chain that never reaches a transport header runs out of packet: malformed. */
	v6[40 + 8 * (NEXT - 1)] = 60;
	memset(tcp, 0, 24);
	tcp[0] = 60;
	assert_int_equal(pkt_parse(v6, sizeof(v6), false, &p), PARSE_MALFORMED);
	/* A header whose length runs past the packet. */
	v6[40] = 17;
	v6[41] = 200;
	assert_int_equal(pkt_parse(v6, sizeof(v6), false, &p), PARSE_MALFORMED);
	/* Jumbogram payload length 0. */
	pb_put16(v6 + 4, 0);
	assert_int_equal(pkt_parse(v6, sizeof(v6), false, &p), PARSE_MALFORMED);
}

static void test_link_ethernet_vlan_pppoe(void **state)
{
	uint8_t f[64];
	struct pkt_link l;
	memset(f, 0, sizeof(f));
	f[6] = 0x02, f[11] = 0x09; /* source MAC 02:00:00:00:00:09 */
	pb_put16(f + 12, 0x0800);
	assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, f, sizeof(f), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 14);
	assert_true(l.has_mac);
	assert_int_equal(l.src_mac[5], 9);
	pb_put16(f + 12, 0x8100);
	pb_put16(f + 16, 0x88a8);
	pb_put16(f + 20, 0x86dd);
	assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, f, sizeof(f), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 22);
	pb_put16(f + 20, 0x8864);
	pb_put16(f + 28, 0x0021);
	assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, f, sizeof(f), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 30);
	pb_put16(f + 12, 0x0806); /* ARP */
	assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, f, sizeof(f), &l), PARSE_NOT_MINE);
	for (size_t cut = 0; cut < 14; cut++) {
		uint8_t *pre = test_exact_copy(f, cut);
		assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, pre, cut, &l), PARSE_MALFORMED);
		free(pre);
	}
	/* Endless VLAN tags are bounded. */
	for (size_t i = 12; i + 2 <= sizeof(f); i += 4) {
		pb_put16(f + i, 0x8100);
	}
	assert_int_equal(pkt_link_decap(PKT_LINK_ETHERNET, f, sizeof(f), &l), PARSE_MALFORMED);
}

static void test_link_cooked_and_raw(void **state)
{
	uint8_t sll[16 + 20], sll2[20 + 20];
	struct pkt_link l;
	memset(sll, 0, sizeof(sll));
	pb_put16(sll + 4, 6);
	sll[6] = 0xaa;
	pb_put16(sll + 14, 0x86dd);
	assert_int_equal(pkt_link_decap(PKT_LINK_LINUX_SLL, sll, sizeof(sll), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 16);
	assert_true(l.has_mac);
	assert_int_equal(l.src_mac[0], 0xaa);
	memset(sll2, 0, sizeof(sll2));
	pb_put16(sll2, 0x0800);
	sll2[11] = 6;
	assert_int_equal(pkt_link_decap(PKT_LINK_LINUX_SLL2, sll2, sizeof(sll2), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 20);
	assert_int_equal(pkt_link_decap(PKT_LINK_RAW, sll2, 1, &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 0);
	assert_int_equal(pkt_link_decap(12, sll2, 0, &l), PARSE_MALFORMED);
	uint8_t null_hdr[8] = {2, 0, 0, 0, 0x45};
	assert_int_equal(pkt_link_decap(PKT_LINK_NULL, null_hdr, sizeof(null_hdr), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 4);
	uint8_t ppp[8] = {0xff, 0x03, 0x00, 0x21, 0x45};
	assert_int_equal(pkt_link_decap(PKT_LINK_PPP, ppp, sizeof(ppp), &l), PARSE_OK);
	assert_int_equal(l.ip_offset, 4);
	assert_int_equal(pkt_link_decap(9999, ppp, sizeof(ppp), &l), PARSE_NOT_MINE);
}

/* The Internet checksum of `len` bytes, verified independently of the library: a packet
 * whose checksums are right sums to 0xffff over header (IPv4) and pseudo-header + segment. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		sum += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
	}
	return sum;
}

static bool checksums_ok(const uint8_t *ip, size_t len)
{
	struct pkt p;
	assert_int_equal(pkt_parse(ip, len, false, &p), PARSE_OK);
	uint32_t s;
	size_t alen = p.ip_version == 4 ? 4 : 16;
	if (p.ip_version == 4) {
		s = sum16(0, ip, p.l3_len);
		while (s >> 16) {
			s = (s & 0xffff) + (s >> 16);
		}
		if (s != 0xffff) {
			return false;
		}
	}
	size_t l4 = p.ip_total_len - p.l4_offset;
	s = sum16(0, p.src, alen);
	s = sum16(s, p.dst, alen);
	s += p.l4_proto;
	s += (uint32_t)l4;
	s = sum16(s, ip + p.l4_offset, l4);
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return s == 0xffff;
}

/* Packets the daemon sends or changes: a forged UDP answer (back, or on the way a response
 * went), TCP resets toward either end of a segment, a payload changed in place. */
static void test_builders(void **state)
{
	for (int v = 4; v <= 6; v += 2) {
		struct pb_opts o = pb_default(PKT_PROTO_UDP, 53);
		o.ip_version = v;
		if (v == 6) {
			o.src[0] = 0xfd, o.dst[0] = 0xfd;
		}
		uint8_t in[128], out[256];
		size_t n = pb_build(&o, (const uint8_t *)"question", 8, in, sizeof(in));
		struct pkt q, r;
		assert_int_equal(pkt_parse(in, n, false, &q), PARSE_OK);
		int rn = pkt_build_udp_reply(&q, (const uint8_t *)"answer", 6, out, sizeof(out));
		assert_true(rn > 0);
		assert_true(checksums_ok(out, (size_t)rn));
		assert_int_equal(pkt_parse(out, (size_t)rn, false, &r), PARSE_OK);
		assert_memory_equal(r.src, q.dst, 16);
		assert_int_equal(r.sport, 53);
		assert_int_equal(r.dport, 40000);
		rn = pkt_build_udp_onward(&q, (const uint8_t *)"answer", 6, out, sizeof(out));
		assert_true(checksums_ok(out, (size_t)rn));
		assert_int_equal(pkt_parse(out, (size_t)rn, false, &r), PARSE_OK);
		assert_memory_equal(r.src, q.src, 16);
		assert_memory_equal(r.dst, q.dst, 16);
		assert_int_equal(r.dport, 53);
		assert_int_equal(r.payload_len, 6);
		assert_int_equal(pkt_build_udp_onward(&q, in, 6, out, 20), -ENOSPC);
		/* A payload changed in place. */
		in[n - 1] ^= 0x55;
		assert_false(checksums_ok(in, n));
		assert_int_equal(pkt_fix_checksums(in, n, &q), 0);
		assert_true(checksums_ok(in, n));
		/* TCP resets. */
		struct pb_opts t = pb_default(PKT_PROTO_TCP, 53);
		t.ip_version = v;
		memcpy(t.src, o.src, 16);
		memcpy(t.dst, o.dst, 16);
		t.seq = 0x01020304;
		t.ack = 0xa0b0c0d0;
		n = pb_build(&t, (const uint8_t *)"xy", 2, in, sizeof(in));
		struct pkt seg;
		assert_int_equal(pkt_parse(in, n, false, &seg), PARSE_OK);
		assert_int_equal(pkt_fix_checksums(in, n, &seg), 0);
		assert_true(checksums_ok(in, n));
		for (int toward_dst = 0; toward_dst < 2; toward_dst++) {
			rn = pkt_build_tcp_reset(&seg, toward_dst, out, sizeof(out));
			assert_true(rn > 0);
			assert_true(checksums_ok(out, (size_t)rn));
			assert_int_equal(pkt_parse(out, (size_t)rn, false, &r), PARSE_OK);
			assert_int_equal(r.tcp_flags, PKT_TCP_RST);
			assert_int_equal(r.payload_len, 0);
			assert_memory_equal(r.dst, toward_dst ? seg.dst : seg.src, 16);
			assert_int_equal(r.dport, toward_dst ? seg.dport : seg.sport);
			assert_int_equal(r.tcp_seq, toward_dst ? seg.tcp_seq : seg.tcp_ack);
		}
		assert_int_equal(pkt_build_tcp_reset(&q, true, out, sizeof(out)), -EINVAL);
		assert_int_equal(pkt_build_tcp_reset(&seg, true, out, 30), -ENOSPC);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_udp_tcp),
		cmocka_unit_test(test_ipv6_udp_tcp),
		cmocka_unit_test(test_ipv4_bad_headers),
		cmocka_unit_test(test_udp_length),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_ipv6_extension_chain_bounds),
		cmocka_unit_test(test_link_ethernet_vlan_pppoe),
		cmocka_unit_test(test_link_cooked_and_raw),
		cmocka_unit_test(test_builders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
