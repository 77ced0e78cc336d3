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
	assert_true(rr[0].cname_ok);
	assert_string_equal(rr[0].data.cname.text, "cdn.example.com");
	assert_int_equal(rr[1].type, DNS_TYPE_A);
	assert_memory_equal(rr[1].data.a, "\xc0\x00\x02\x01", 4);
	assert_int_equal(rr[2].type, DNS_TYPE_AAAA);
	assert_int_equal(rr[2].data.aaaa[15], 1);
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
	struct dns_reply_opts o = {kind, {192, 0, 2, 53}, {0x20, 0x01, 0x0d, 0xb8}, 30};
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
		assert_memory_equal(rr[0].data.a, o.sinkhole_v4, 4);
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
	/* A response is not answered. */
	uint8_t r[512];
	size_t rn = build_response(r);
	struct dns_msg m;
	struct dns_reply_opts o = {DNS_REPLY_NXDOMAIN, {0}, {0}, 0};
	assert_int_equal(dns_msg_parse(r, rn, &m), PARSE_OK);
	uint8_t out[512];
	assert_int_equal(dns_reply_build(r, rn, &m, &o, out, sizeof(out)), -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),	    cmocka_unit_test(test_root_and_no_question),
		cmocka_unit_test(test_compression), cmocka_unit_test(test_hop_bound),
		cmocka_unit_test(test_limits),	    cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_tcp_framing), cmocka_unit_test(test_answers),
		cmocka_unit_test(test_reply_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
