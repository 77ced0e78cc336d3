/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for DNS messages: questions, compression, limits, TCP framing, answers and
 * forged replies (parsed back). */
#include <errno.h>
#include <stdio.h>

#include "test.h"

#include "embargo/dns.h"
#include "hellobuild.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static enum parse_result parse_copy(const uint8_t *buf, size_t len, struct dns_msg *m)
{
	uint8_t *c = test_exact_copy(buf, len);
	enum parse_result r = dns_msg_parse(c, len, m);
	free(c);
	return r;
}

static void test_query(void **state)
{
	uint8_t q[512];
	struct dns_msg m;
	size_t n = hb_dns_query("Www.EXAMPLE.com", DNS_TYPE_AAAA, 0xbeef, q, sizeof(q));
	assert_int_equal(parse_copy(q, n, &m), PARSE_OK);
	assert_int_equal(m.id, 0xbeef);
	assert_false(m.is_response);
	assert_int_equal(m.opcode, 0);
	assert_int_equal(m.qdcount, 1);
	assert_int_equal(m.nquestions, 1);
	assert_true(m.q[0].name_ok);
	assert_string_equal(m.q[0].name.text, "www.example.com");
	assert_int_equal(m.q[0].qtype, DNS_TYPE_AAAA);
	assert_int_equal(m.q[0].qclass, DNS_CLASS_IN);
	assert_int_equal(m.questions_end, n);
	for (size_t cut = 0; cut < n; cut++) {
		enum parse_result r = parse_copy(q, cut, &m);
		assert_true(r == (cut < DNS_HEADER_LEN ? PARSE_NOT_MINE : PARSE_MALFORMED));
	}
}

static void test_root_and_no_question(void **state)
{
	uint8_t q[64] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1};
	struct dns_msg m;
	assert_int_equal(parse_copy(q, 17, &m), PARSE_OK);
	assert_true(m.q[0].name_ok);
	assert_true(m.q[0].name.flags & NAME_F_ROOT);
	/* Inverse query, opcode 1, no question. */
	uint8_t iq[12] = {0, 2, 0x08, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	assert_int_equal(parse_copy(iq, sizeof(iq), &m), PARSE_OK);
	assert_int_equal(m.opcode, 1);
	assert_int_equal(m.nquestions, 0);
}

/* header + question 1 at 12 + question 2 that may point anywhere */
static size_t two_questions(uint8_t *b, uint16_t ptr_target, bool second_is_pointer)
{
	memset(b, 0, 12);
	b[5] = 2;
	size_t n = 12;
	memcpy(b + n,
	       "\x03www\x07"
	       "example\x03org\x00\x00\x01\x00\x01",
	       21);
	n += 21;
	if (second_is_pointer) {
		b[n++] = 0xc0 | (uint8_t)(ptr_target >> 8);
		b[n++] = (uint8_t)ptr_target;
	} else {
		memcpy(b + n, "\x04mail", 5);
		n += 5;
		b[n++] = 0xc0 | (uint8_t)(ptr_target >> 8);
		b[n++] = (uint8_t)ptr_target;
	}
	memcpy(b + n, "\x00\x01\x00\x01", 4);
	return n + 4;
}

static void test_compression(void **state)
{
	uint8_t b[256];
	struct dns_msg m;
	/* "mail" + pointer to "example.org" inside question 1. */
	size_t n = two_questions(b, 16, false);
	assert_int_equal(parse_copy(b, n, &m), PARSE_OK);
	assert_int_equal(m.nquestions, 2);
	assert_string_equal(m.q[1].name.text, "mail.example.org");
	/* A pointer into the header reads header bytes as labels: here a zero byte, the root. */
	n = two_questions(b, 4, true);
	assert_int_equal(parse_copy(b, n, &m), PARSE_OK);
	assert_true(m.q[1].name.flags & NAME_F_ROOT);
	/* A pointer to itself. */
	n = two_questions(b, 33, true);
	assert_int_equal(parse_copy(b, n, &m), PARSE_MALFORMED);
	assert_int_equal(m.nquestions, 1);
	assert_string_equal(m.q[0].name.text, "www.example.org");
	/* A forward pointer: the name is still read, the message is malformed. */
	uint8_t f[64] = {0x8e, 0x04, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1};
	memcpy(f + 18,
	       "\x0a"
	       "codemonkey\x03net\x00\x00\x01\x00\x01",
	       20);
	assert_int_equal(parse_copy(f, 38, &m), PARSE_MALFORMED);
	assert_int_equal(m.nquestions, 2);
	assert_string_equal(m.q[0].name.text, "codemonkey.net");
	assert_string_equal(m.q[1].name.text, "codemonkey.net");
	/* A loop between two pointers ends (hop bound / length bound), malformed. */
	uint8_t loop[40] = {0, 1, 0,	0,   0,	   1,  0,    0,	  0,	0,
			    0, 0, 0x01, 'a', 0xc0, 16, 0x01, 'b', 0xc0, 12};
	assert_int_equal(parse_copy(loop, 24, &m), PARSE_MALFORMED);
	/* Label types 0x40 and 0x80 are not allowed. */
	uint8_t ext[20] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1};
	assert_int_equal(parse_copy(ext, 19, &m), PARSE_MALFORMED);
}

/* A question whose name is a chain of `links` pointers, each to the next, ending at "z.". The
 * pointers go forwards, which is malformed but still followed (bounded by the hop limit). */
static size_t pointer_chain(uint8_t *b, unsigned links)
{
	memset(b, 0, 12);
	b[5] = 1;
	size_t n = 12;
	for (unsigned i = 0; i < links; i++) {
		b[n] = 0xc0;
		b[n + 1] = (uint8_t)(n + 2);
		n += 2;
	}
	memcpy(b + n, "\x01z\x00\x00\x01\x00\x01", 7);
	return n + 7;
}

static void test_hop_bound(void **state)
{
	uint8_t b[512];
	struct dns_msg m;
	size_t n = pointer_chain(b, DNS_POINTER_HOPS_MAX);
	assert_int_equal(parse_copy(b, n, &m), PARSE_MALFORMED);
	assert_int_equal(m.nquestions, 1);
	assert_string_equal(m.q[0].name.text, "z");
	n = pointer_chain(b, DNS_POINTER_HOPS_MAX + 1);
	assert_int_equal(parse_copy(b, n, &m), PARSE_MALFORMED);
	assert_int_equal(m.nquestions, 0);
}

static void test_limits(void **state)
{
	uint8_t q[600];
	struct dns_msg m;
	char name[300];
	/* 63-byte label fine, 64 is a label type error on the wire (0x40 bit). */
	memset(name, 'a', 63);
	strcpy(name + 63, ".example");
	size_t n = hb_dns_query(name, 1, 1, q, sizeof(q));
	assert_int_equal(parse_copy(q, n, &m), PARSE_OK);
	assert_true(m.q[0].name_ok);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	n = hb_dns_query(name, 1, 1, q, sizeof(q));
	assert_int_equal(parse_copy(q, n, &m), PARSE_MALFORMED);
	/* 253 text bytes = 255 wire bytes: fine; one more is too long. */
	for (size_t i = 0; i < 253; i++) {
		name[i] = i % 2 == 1 ? '.' : 'x';
	}
	name[253] = '\0';
	n = hb_dns_query(name, 1, 1, q, sizeof(q));
	assert_int_equal(parse_copy(q, n, &m), PARSE_OK);
	assert_int_equal(m.q[0].name.len, 253);
	name[253] = 'y';
	name[254] = '\0';
	name[252] = 'x';
	n = hb_dns_query(name, 1, 1, q, sizeof(q));
	assert_int_equal(parse_copy(q, n, &m), PARSE_MALFORMED);
}

static void test_odd_bytes(void **state)
{
	uint8_t q[64] = {0,   1, 1, 0, 0,   1,	 0,   0, 0, 0, 0, 0, 3,
			 'a', 4, 5, 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
	struct dns_msg m;
	assert_int_equal(parse_copy(q, 25, &m), PARSE_OK);
	assert_true(m.q[0].name_ok);
	assert_true(m.q[0].name.flags & NAME_F_UNUSUAL);
	q[14] = '.'; /* a dot inside a label: valid DNS, not a host name */
	assert_int_equal(parse_copy(q, 25, &m), PARSE_OK);
	assert_false(m.q[0].name_ok);
}

static void test_tcp_framing(void **state)
{
	uint8_t stream[4096];
	size_t len = 0;
	char name[32];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "%u.google.com", i);
		size_t n = hb_dns_query(name, 1, (uint16_t)i, stream + len + 2, 100);
		put16(stream + len, (uint16_t)n);
		len += n + 2;
	}
	size_t pos = 0;
	unsigned count = 0;
	while (pos < len) {
		struct span msg;
		size_t used;
		assert_int_equal(dns_tcp_next(stream + pos, len - pos, &msg, &used), PARSE_OK);
		struct dns_msg m;
		assert_int_equal(dns_msg_parse(msg.ptr, msg.len, &m), PARSE_OK);
		snprintf(name, sizeof(name), "%u.google.com", count);
		assert_string_equal(m.q[0].name.text, name);
		pos += used;
		count++;
	}
	assert_int_equal(count, 20);
	struct span msg;
	size_t used;
	assert_int_equal(dns_tcp_next(stream, 1, &msg, &used), PARSE_NEED_MORE);
	assert_int_equal(dns_tcp_next(stream, 10, &msg, &used), PARSE_NEED_MORE);
	assert_int_equal(used, 0);
	uint8_t zero[2] = {0, 0};
	assert_int_equal(dns_tcp_next(zero, 2, &msg, &used), PARSE_MALFORMED);
}

/* A response: question www.example.com, answers CNAME (compressed) -> cdn.example.net, A, AAAA. */
static size_t build_response(uint8_t *b)
{
	size_t n = hb_dns_query("www.example.com", 1, 7, b, 200);
	b[2] = 0x81, b[3] = 0x80;
	b[7] = 3; /* ancount */
	/* CNAME rdata: "cdn" + a pointer to "example.com" (offset 16, inside the question). */
	const uint8_t cname[] = {0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'c', 'd', 'n'};
	memcpy(b + n, cname, 16);
	n += 16;
	b[n++] = 0xc0;
	b[n++] = 16;
	const uint8_t a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
	memcpy(b + n, a, sizeof(a));
	n += sizeof(a);
	const uint8_t aaaa[] = {0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 0x01, 0x0d, 0xb8};
	memcpy(b + n, aaaa, sizeof(aaaa));
	n += sizeof(aaaa);
	memset(b + n, 0, 12);
	b[n + 11] = 1;
	return n + 12;
}

static void test_answers(void **state)
{
	uint8_t b[512];
	size_t n = build_response(b);
	struct dns_msg m;
	struct dns_rr rr[4];
	size_t count;
	assert_int_equal(dns_msg_parse(b, n, &m), PARSE_OK);
	assert_true(m.is_response);
	assert_int_equal(dns_answers_parse(b, n, &m, rr, 4, &count), PARSE_OK);
	assert_int_equal(count, 3);
	assert_int_equal(rr[0].type, DNS_TYPE_CNAME);
	assert_true(rr[0].target_ok);
	assert_string_equal(rr[0].target.text, "cdn.example.com");
	assert_int_equal(rr[1].type, DNS_TYPE_A);
	assert_memory_equal(rr[1].addr, "\xc0\x00\x02\x01", 4);
	assert_int_equal(rr[2].type, DNS_TYPE_AAAA);
	assert_int_equal(rr[2].addr[15], 1);
	assert_string_equal(rr[2].owner.text, "www.example.com");
	/* Bad RDLENGTH for an A record. */
	uint8_t bad[512];
	memcpy(bad, b, n);
	size_t a_rdlen = m.questions_end + 18 + 10;
	bad[a_rdlen + 1] = 5;
	assert_int_equal(dns_answers_parse(bad, n, &m, rr, 4, &count), PARSE_MALFORMED);
	for (size_t cut = m.questions_end; cut < n; cut++) {
		uint8_t *c = test_exact_copy(b, cut);
		assert_int_equal(dns_answers_parse(c, cut, &m, rr, 4, &count), PARSE_MALFORMED);
		free(c);
	}
}

static void check_reply(const uint8_t *q, size_t qn, enum dns_reply_kind kind, uint8_t rcode,
			uint16_t ancount, bool opt)
{
	struct dns_msg m, rm;
	uint8_t out[512];
	struct dns_reply_opts o = {.kind = kind,
				   .sinkhole_v4 = {192, 0, 2, 53},
				   .sinkhole_v6 = {0x20, 0x01, 0x0d, 0xb8},
				   .ttl = 30};
	assert_int_equal(dns_msg_parse(q, qn, &m), PARSE_OK);
	int n = dns_reply_build(q, qn, &m, &o, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(dns_msg_parse(out, (size_t)n, &rm), PARSE_OK);
	assert_true(rm.is_response);
	assert_int_equal(rm.id, m.id);
	assert_int_equal(rm.rcode, rcode);
	assert_int_equal(rm.flags & 0x0100, m.flags & 0x0100); /* RD copied */
	assert_true(rm.flags & 0x0080);			       /* RA */
	assert_int_equal(rm.ancount, ancount);
	assert_int_equal(rm.arcount, opt ? 1 : 0);
	assert_string_equal(rm.q[0].name.text, m.q[0].name.text);
	assert_int_equal(rm.q[0].qtype, m.q[0].qtype);
	struct dns_rr rr[2];
	size_t count;
	assert_int_equal(dns_answers_parse(out, (size_t)n, &rm, rr, 2, &count), PARSE_OK);
	assert_int_equal(count, ancount);
	if (ancount == 1 && rr[0].type == DNS_TYPE_A) {
		assert_memory_equal(rr[0].addr, o.sinkhole_v4, 4);
		assert_int_equal(rr[0].ttl, 30);
	}
	/* Too small an output buffer. */
	assert_int_equal(dns_reply_build(q, qn, &m, &o, out, (size_t)n - 1), -ENOSPC);
}

static void test_reply_build(void **state)
{
	uint8_t q[512];
	size_t n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_A, 0x4242, q, sizeof(q));
	check_reply(q, n, DNS_REPLY_NXDOMAIN, DNS_RCODE_NXDOMAIN, 0, false);
	check_reply(q, n, DNS_REPLY_REFUSED, DNS_RCODE_REFUSED, 0, false);
	check_reply(q, n, DNS_REPLY_SINKHOLE, DNS_RCODE_NOERROR, 1, false);
	n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_AAAA, 0x4243, q, sizeof(q));
	check_reply(q, n, DNS_REPLY_SINKHOLE, DNS_RCODE_NOERROR, 1, false);
	n = hb_dns_query("upd.kaspersky.com", 16 /* TXT */, 0x4244, q, sizeof(q));
	check_reply(q, n, DNS_REPLY_SINKHOLE, DNS_RCODE_NOERROR, 0, false);
	/* With an EDNS OPT record in the query, the reply has a minimal OPT too. */
	n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_A, 0x4245, q, sizeof(q));
	q[11] = 1;
	const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
	memcpy(q + n, opt, sizeof(opt));
	check_reply(q, n + sizeof(opt), DNS_REPLY_NXDOMAIN, DNS_RCODE_NXDOMAIN, 0, true);
	/* A response is replaced by the answer its query would have had: same id and
	 * question, none of its records. */
	uint8_t r[512];
	size_t rn = build_response(r);
	struct dns_msg m;
	struct dns_reply_opts o = {.kind = DNS_REPLY_NXDOMAIN};
	assert_int_equal(dns_msg_parse(r, rn, &m), PARSE_OK);
	uint8_t out[512];
	int fn = dns_reply_build(r, rn, &m, &o, out, sizeof(out));
	assert_int_equal(fn, (int)m.questions_end);
	struct dns_msg fm;
	assert_int_equal(dns_msg_parse(out, (size_t)fn, &fm), PARSE_OK);
	assert_int_equal(fm.id, m.id);
	assert_int_equal(fm.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(fm.ancount + fm.nscount + fm.arcount, 0);
	assert_string_equal(fm.q[0].name.text, "www.example.com");
	/* A question name that uses a compression pointer is answered with every name spelled
	 * out: behind the reply's own header a pointer could read differently. Here the second
	 * question is "mail" + a pointer to "example.org" in the first. */
	uint8_t two[128];
	size_t tn = two_questions(two, 16, false);
	assert_int_equal(dns_msg_parse(two, tn, &m), PARSE_OK);
	assert_true(m.question_pointer);
	int rn2 = dns_reply_build(two, tn, &m, &o, out, sizeof(out));
	assert_true(rn2 > 0);
	struct dns_msg rm;
	assert_int_equal(dns_msg_parse(out, (size_t)rn2, &rm), PARSE_OK);
	assert_true(rm.is_response);
	assert_false(rm.question_pointer);
	assert_int_equal(rm.nquestions, 2);
	assert_string_equal(rm.q[0].name.text, "www.example.org");
	assert_string_equal(rm.q[1].name.text, "mail.example.org");
	assert_int_equal(rm.rcode, DNS_RCODE_NXDOMAIN);
}

/* The OPT record of a reply: its rdata (the EDNS options) as a span; false without one. */
static bool reply_opt(const uint8_t *b, size_t n, struct span *rdata)
{
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(b, n, &m), PARSE_OK);
	size_t pos = m.questions_end;
	for (unsigned i = 0; i < (unsigned)m.ancount + m.nscount + m.arcount; i++) {
		struct dns_rr rr;
		assert_int_equal(dns_rr_next(b, n, &pos, &rr), PARSE_OK);
		if (rr.type == DNS_TYPE_OPT) {
			rdata->ptr = b + rr.rdata_off;
			rdata->len = rr.rdata_len;
			return true;
		}
	}
	assert_int_equal(pos, n);
	return false;
}

/* With EDNS in the query, a forged answer says why: an Extended DNS Error (RFC 8914) with the
 * configured INFO-CODE and the text; without EDNS it carries no OPT at all. */
static void test_reply_ede(void **state)
{
	uint8_t q[512], out[512];
	size_t n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_A, 0x4245, q, sizeof(q));
	q[11] = 1;
	const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
	memcpy(q + n, opt, sizeof(opt));
	n += sizeof(opt);
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(q, n, &m), PARSE_OK);
	struct dns_reply_opts o = {.kind = DNS_REPLY_NXDOMAIN,
				   .ede = true,
				   .ede_code = DNS_EDE_BLOCKED,
				   .ede_text = "embargo: kaspersky/update"};
	int rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
	assert_true(rn > 0);
	struct span rd;
	assert_true(reply_opt(out, (size_t)rn, &rd));
	const char *text = "embargo: kaspersky/update";
	size_t tl = strlen(text);
	assert_int_equal(rd.len, 4 + 2 + tl);
	const uint8_t head[] = {0, 15, 0, (uint8_t)(2 + tl), 0, 15};
	assert_memory_equal(rd.ptr, head, sizeof(head));
	assert_memory_equal(rd.ptr + 6, text, tl);
	/* Filtered (17), no text. */
	o.ede_code = DNS_EDE_FILTERED;
	o.ede_text[0] = '\0';
	rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
	assert_true(reply_opt(out, (size_t)rn, &rd));
	const uint8_t filtered[] = {0, 15, 0, 2, 0, 17};
	assert_int_equal(rd.len, sizeof(filtered));
	assert_memory_equal(rd.ptr, filtered, sizeof(filtered));
	/* Switched off: a bare OPT. */
	o.ede = false;
	rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
	assert_true(reply_opt(out, (size_t)rn, &rd));
	assert_int_equal(rd.len, 0);
	/* A query without EDNS gets no OPT, so no Extended DNS Error either. */
	o.ede = true;
	n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_A, 0x4246, q, sizeof(q));
	assert_int_equal(dns_msg_parse(q, n, &m), PARSE_OK);
	rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
	assert_false(reply_opt(out, (size_t)rn, &rd));
	/* The longest text fits; the reply is measured exactly. */
	memset(o.ede_text, 'x', sizeof(o.ede_text) - 1);
	o.ede_text[sizeof(o.ede_text) - 1] = '\0';
	n = hb_dns_query("upd.kaspersky.com", DNS_TYPE_A, 0x4247, q, sizeof(q));
	q[11] = 1;
	memcpy(q + n, opt, sizeof(opt));
	n += sizeof(opt);
	assert_int_equal(dns_msg_parse(q, n, &m), PARSE_OK);
	rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
	assert_true(reply_opt(out, (size_t)rn, &rd));
	assert_int_equal(rd.len, 6 + sizeof(o.ede_text) - 1);
	assert_int_equal(dns_reply_build(q, n, &m, &o, out, (size_t)rn - 1), -ENOSPC);
}

/* HTTPS and SVCB questions get a sinkhole answer like A and AAAA: a ServiceMode record for the
 * name itself whose ipv4hint and ipv6hint carry the sinkhole addresses. */
static void test_reply_https_sinkhole(void **state)
{
	const uint16_t types[] = {DNS_TYPE_HTTPS, DNS_TYPE_SVCB};
	for (size_t i = 0; i < 2; i++) {
		uint8_t q[512], out[512];
		size_t n = hb_dns_query("upd.kaspersky.com", types[i], 0x5000, q, sizeof(q));
		struct dns_msg m;
		assert_int_equal(dns_msg_parse(q, n, &m), PARSE_OK);
		struct dns_reply_opts o = {.kind = DNS_REPLY_SINKHOLE,
					   .sinkhole_v4 = {192, 0, 2, 53},
					   .sinkhole_v6 = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
					   .ttl = 30};
		int rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
		assert_true(rn > 0);
		struct dns_msg rm;
		assert_int_equal(dns_msg_parse(out, (size_t)rn, &rm), PARSE_OK);
		assert_int_equal(rm.rcode, DNS_RCODE_NOERROR);
		assert_int_equal(rm.ancount, 1);
		size_t pos = rm.questions_end;
		struct dns_rr rr;
		assert_int_equal(dns_rr_next(out, (size_t)rn, &pos, &rr), PARSE_OK);
		assert_int_equal(pos, (size_t)rn);
		assert_int_equal(rr.type, types[i]);
		assert_string_equal(rr.owner.text, "upd.kaspersky.com");
		assert_int_equal(rr.ttl, 30);
		assert_int_equal(rr.svc_priority, 1);
		assert_true(rr.target_ok);
		assert_true(rr.target.flags & NAME_F_ROOT);
		const uint8_t params[] = {0,	4,    0, 4, 192, 0, 2, 53, 0, 6, 0, 16, 0x20, 0x01,
					  0x0d, 0xb8, 0, 0, 0,	 0, 0, 0,  0, 0, 0, 0,	0,    1};
		assert_int_equal(rr.rdata_off + rr.rdata_len - rr.params_off, sizeof(params));
		assert_memory_equal(out + rr.params_off, params, sizeof(params));
		/* NXDOMAIN and REFUSED stay as they are for these types. */
		o.kind = DNS_REPLY_NXDOMAIN;
		rn = dns_reply_build(q, n, &m, &o, out, sizeof(out));
		assert_int_equal(dns_msg_parse(out, (size_t)rn, &rm), PARSE_OK);
		assert_int_equal(rm.rcode, DNS_RCODE_NXDOMAIN);
		assert_int_equal(rm.ancount, 0);
	}
}

/* Records of every type the parser reads, and a record cut at every offset. */
static void test_rr_next(void **state)
{
	uint8_t b[256];
	size_t n = 0;
	/* DNAME: owner "a.b" -> target "c.d" */
	const uint8_t dname[] = {1, 'a', 1, 'b', 0, 0, 39,  0, 1,   0,
				 0, 1,	 0, 0,	 5, 1, 'c', 1, 'd', 0};
	memcpy(b + n, dname, sizeof(dname));
	n += sizeof(dname);
	/* HTTPS: owner pointer to "b" at offset 2, priority 0 (AliasMode), target "e.f". */
	const uint8_t https[] = {0xc0, 2, 0, 65, 0, 1, 0, 0, 0, 9, 0, 7, 0, 0, 1, 'e', 1, 'f', 0};
	memcpy(b + n, https, sizeof(https));
	n += sizeof(https);
	size_t pos = 0;
	struct dns_rr rr;
	assert_int_equal(dns_rr_next(b, n, &pos, &rr), PARSE_OK);
	assert_int_equal(rr.type, DNS_TYPE_DNAME);
	assert_string_equal(rr.owner.text, "a.b");
	assert_string_equal(rr.target.text, "c.d");
	assert_int_equal(rr.ttl, 256);
	assert_int_equal(dns_rr_next(b, n, &pos, &rr), PARSE_OK);
	assert_int_equal(rr.type, DNS_TYPE_HTTPS);
	assert_string_equal(rr.owner.text, "b");
	assert_int_equal(rr.svc_priority, 0);
	assert_string_equal(rr.target.text, "e.f");
	assert_int_equal(rr.params_off, n);
	assert_int_equal(pos, n);
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *c = test_exact_copy(b, cut);
		size_t p = 0;
		enum parse_result r = dns_rr_next(c, cut, &p, &rr);
		if (r == PARSE_OK) {
			assert_int_equal(p, sizeof(dname));
			r = dns_rr_next(c, cut, &p, &rr);
		}
		assert_int_equal(r, PARSE_MALFORMED);
		free(c);
	}
	/* A DNAME whose target runs past its rdata, an HTTPS rdata too short for a target. */
	uint8_t bad[64];
	memcpy(bad, dname, sizeof(dname));
	bad[14] = 4;
	pos = 0;
	assert_int_equal(dns_rr_next(bad, sizeof(dname), &pos, &rr), PARSE_MALFORMED);
	const uint8_t short_https[] = {0, 0, 65, 0, 1, 0, 0, 0, 9, 0, 2, 0, 1};
	pos = 0;
	assert_int_equal(dns_rr_next(short_https, sizeof(short_https), &pos, &rr), PARSE_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_root_and_no_question),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_hop_bound),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_reply_build),
		cmocka_unit_test(test_reply_ede),
		cmocka_unit_test(test_reply_https_sinkhole),
		cmocka_unit_test(test_rr_next),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
