/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the inspection pipeline: names from whole and split messages, flow decisions
 * and their confirmation by the server, bounds, per-client shares. */
#include <stdio.h>

#include "test.h"

#include "embargo/inspect.h"
#include "hellobuild.h"
#include "pktbuild.h"

struct fixture {
	struct inspector *in;
	struct inspect_result res;
	uint64_t now_ms;
};

static int setup(void **state)
{
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_flows = 8;
	lim.max_buffers = 2;
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->in = inspector_new(&lim);
	assert_non_null(fx->in);
	fx->now_ms = 1000;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	inspector_free(fx->in);
	free(fx);
	return 0;
}

/* Send one packet built from `o` with `payload` through the inspector. */
static struct inspect_result *send_pkt(struct fixture *fx, const struct pb_opts *o,
				       const uint8_t *payload, size_t len)
{
	uint8_t buf[20000];
	size_t n = pb_build(o, payload, len, buf, sizeof(buf));
	assert_true(n > 0);
	uint8_t *copy = test_exact_copy(buf, n);
	inspect_packet(fx->in, copy, n, NULL, fx->now_ms, &fx->res);
	free(copy);
	fx->now_ms += 1;
	return &fx->res;
}

/* The server's side of the client's connection `o`: addresses and ports swapped, an ACK. */
static struct pb_opts server_of(const struct pb_opts *o)
{
	struct pb_opts b = *o;
	memcpy(b.src, o->dst, 16);
	memcpy(b.dst, o->src, 16);
	b.sport = o->dport;
	b.dport = o->sport;
	b.seq = 777;
	b.tcp_flags = 0x10;
	return b;
}

static void syn(struct fixture *fx, struct pb_opts *o)
{
	uint32_t seq = o->seq;
	uint8_t flags = o->tcp_flags;
	o->seq = seq - 1;
	o->tcp_flags = 0x02;
	assert_int_equal(send_pkt(fx, o, NULL, 0)->state, INSPECT_IGNORED);
	o->seq = seq;
	o->tcp_flags = flags;
}

static void assert_named(const struct inspect_result *r, enum inspect_proto proto, const char *name)
{
	assert_int_equal(r->state, INSPECT_NAMED);
	assert_int_equal(r->proto, proto);
	assert_true(r->nnames >= 1);
	assert_string_equal(r->names[0].text, name);
}

static void test_tls_one_segment(void **state)
{
	struct fixture *fx = *state;
	uint8_t hello[600];
	size_t n = hb_client_hello("Upd.Kaspersky.COM", 0, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	struct inspect_result *r = send_pkt(fx, &o, hello, n);
	assert_named(r, INSPECT_PROTO_TLS, "upd.kaspersky.com");
	/* An allow is tentative: the flow stays followed until the server has the hello. */
	assert_int_equal(inspect_decide(fx->in, r, INSPECT_VERDICT_ALLOW), INSPECT_MARK_FOLLOW);
	o.seq += (uint32_t)n;
	r = send_pkt(fx, &o, (const uint8_t *)"more", 4);
	assert_int_equal(r->state, INSPECT_IGNORED);
	assert_string_equal(r->reason, "after-first-message");
	struct pb_opts back = server_of(&o);
	back.ack = o.seq - 10; /* not all of the hello */
	r = send_pkt(fx, &back, NULL, 0);
	assert_int_equal(r->state, INSPECT_IGNORED);
	assert_int_equal(r->mark, INSPECT_MARK_NONE);
	back.ack = o.seq; /* the hello's end: final */
	r = send_pkt(fx, &back, NULL, 0);
	assert_int_equal(r->mark, INSPECT_MARK_ALLOW);
	assert_string_equal(r->reason, "confirmed");
	r = send_pkt(fx, &o, (const uint8_t *)"more", 4);
	assert_int_equal(r->state, INSPECT_DECIDED);
	assert_int_equal(r->mark, INSPECT_MARK_ALLOW);
	/* A block is final at once. */
	o.sport++;
	syn(fx, &o);
	r = send_pkt(fx, &o, hello, n);
	assert_int_equal(inspect_decide(fx->in, r, INSPECT_VERDICT_REJECT), INSPECT_MARK_REJECT);
	r = send_pkt(fx, &o, hello, n);
	assert_int_equal(r->state, INSPECT_DECIDED);
	assert_int_equal(r->mark, INSPECT_MARK_REJECT);
}

/* The hello cut into pieces of `piece` bytes, sent in order or in reverse. */
static void split_hello(struct fixture *fx, size_t piece, size_t pad, bool reverse, bool ipv6)
{
	uint8_t hello[2000];
	size_t n = hb_client_hello("sub.blocked.example", pad, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	if (ipv6) {
		o.ip_version = 6;
		o.src[0] = 0xfd;
		o.dst[0] = 0xfd;
	}
	o.sport = (uint16_t)(1000 + piece + (reverse ? 500 : 0));
	uint32_t base = 5000;
	o.seq = base;
	syn(fx, &o);
	size_t npieces = (n + piece - 1) / piece;
	for (size_t k = 0; k < npieces; k++) {
		size_t i = reverse ? npieces - 1 - k : k;
		size_t off = i * piece;
		size_t len = off + piece <= n ? piece : n - off;
		o.seq = base + (uint32_t)off;
		struct inspect_result *r = send_pkt(fx, &o, hello + off, len);
		if (k + 1 < npieces) {
			assert_int_equal(r->state, INSPECT_PENDING);
			assert_int_equal(r->nnames, 0);
		} else {
			assert_named(r, INSPECT_PROTO_TLS, "sub.blocked.example");
			inspect_decide(fx->in, r, INSPECT_VERDICT_DROP);
		}
	}
}

static void test_tls_split_in_order(void **state)
{
	split_hello(*state, 100, 1200, false, false);
	split_hello(*state, 7, 1200, false, true);
}

static void test_tls_split_out_of_order(void **state)
{
	split_hello(*state, 300, 1200, true, false);
}

static void test_tls_one_byte_segments(void **state)
{
	split_hello(*state, 1, 100, false, false);
}

static void test_tls_retransmission_and_no_sni(void **state)
{
	struct fixture *fx = *state;
	uint8_t hello[600];
	size_t n = hb_client_hello(NULL, 0, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	struct inspect_result *r = send_pkt(fx, &o, hello, 20);
	assert_int_equal(r->state, INSPECT_PENDING);
	r = send_pkt(fx, &o, hello, 20); /* retransmitted */
	assert_int_equal(r->state, INSPECT_PENDING);
	o.seq += 20;
	r = send_pkt(fx, &o, hello + 20, n - 20);
	assert_int_equal(r->state, INSPECT_NAMELESS);
	assert_string_equal(r->reason, "no-sni");
}

/* Two copies of the same bytes: a decoy name, then the real one over the same sequence range.
 * Both names are reported once the hello is complete. */
static void test_overlapping_decoy(void **state)
{
	struct fixture *fx = *state;
	uint8_t real[600], decoy[600];
	/* Padding after the name keeps the last piece clear of it. */
	size_t n = hb_client_hello("upd.kaspersky.com", 40, real, sizeof(real));
	assert_int_equal(hb_client_hello("www.example.co.uk", 40, decoy, sizeof(decoy)), n);
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	uint32_t base = o.seq;
	assert_int_equal(send_pkt(fx, &o, decoy, n - 10)->state, INSPECT_PENDING);
	assert_int_equal(send_pkt(fx, &o, real, n - 10)->state, INSPECT_PENDING);
	o.seq = base + (uint32_t)(n - 10);
	struct inspect_result *r = send_pkt(fx, &o, real + n - 10, 10);
	assert_int_equal(r->state, INSPECT_NAMED);
	assert_int_equal(r->nnames, 2);
	assert_string_equal(r->names[0].text, "www.example.co.uk");
	assert_string_equal(r->names[1].text, "upd.kaspersky.com");
}

/* The real hello first, then a copy made never to complete: the held copy is judged as soon
 * as it is whole; the other copy does not keep the flow waiting. */
static void test_overlap_kept_incomplete(void **state)
{
	struct fixture *fx = *state;
	uint8_t real[600], junk[600];
	size_t n = hb_client_hello("upd.kaspersky.com", 0, real, sizeof(real));
	memcpy(junk, real, n);
	junk[7] = 0x30; /* the hello claims 12 KiB: that copy never completes */
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	uint32_t base = o.seq;
	assert_int_equal(send_pkt(fx, &o, real, 20)->state, INSPECT_PENDING);
	struct inspect_result *r = send_pkt(fx, &o, junk, 20);
	assert_int_equal(r->state, INSPECT_PENDING);
	assert_true(r->hold); /* a different copy does not pass while the first may be in flight */
	o.seq = base + 20;
	r = send_pkt(fx, &o, real + 20, n - 20);
	assert_named(r, INSPECT_PROTO_TLS, "upd.kaspersky.com");
	assert_false(r->hold);
}

static void test_http_split(void **state)
{
	struct fixture *fx = *state;
	const char *req =
		"GET /update HTTP/1.1\r\nUser-Agent: t\r\nHost: dnl-01.Geo.kaspersky.com:80"
		"\r\nAccept: */*\r\n\r\n";
	size_t n = strlen(req);
	struct pb_opts o = pb_default(6, 80);
	syn(fx, &o);
	uint32_t base = o.seq;
	struct inspect_result *r = send_pkt(fx, &o, (const uint8_t *)req, 30);
	assert_int_equal(r->state, INSPECT_PENDING);
	o.seq = base + 50;
	r = send_pkt(fx, &o, (const uint8_t *)req + 50, n - 50);
	assert_int_equal(r->state, INSPECT_PENDING);
	o.seq = base + 30;
	r = send_pkt(fx, &o, (const uint8_t *)req + 30, 20);
	assert_named(r, INSPECT_PROTO_HTTP, "dnl-01.geo.kaspersky.com");
}

static void test_unknown_tcp_protocol(void **state)
{
	struct fixture *fx = *state;
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	struct inspect_result *r = send_pkt(fx, &o, (const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21);
	assert_int_equal(r->state, INSPECT_NAMELESS);
	assert_string_equal(r->reason, "unknown-protocol");
}

static void test_dns_udp(void **state)
{
	struct fixture *fx = *state;
	uint8_t q[300];
	size_t n = hb_dns_query("Www.Example.COM", 28, 0x1234, q, sizeof(q));
	struct pb_opts o = pb_default(17, 53);
	struct inspect_result *r = send_pkt(fx, &o, q, n);
	assert_named(r, INSPECT_PROTO_DNS, "www.example.com");
	assert_int_equal(r->qtypes[0], 28);
	assert_int_equal(r->dns_msg.len, n);
	/* The same bytes as a response are not inspected. */
	q[2] |= 0x80;
	r = send_pkt(fx, &o, q, n);
	assert_int_equal(r->state, INSPECT_IGNORED);
	/* Garbage on port 53 is malformed. */
	r = send_pkt(fx, &o, (const uint8_t *)"xx", 2);
	assert_int_equal(r->state, INSPECT_MALFORMED);
}

static void test_dns_tcp_many_and_split(void **state)
{
	struct fixture *fx = *state;
	uint8_t stream[4000];
	size_t len = 0;
	char name[32];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "%u.google.com", i);
		size_t n = hb_dns_query(name, 1, (uint16_t)i, stream + len + 2, 200);
		stream[len] = (uint8_t)(n >> 8);
		stream[len + 1] = (uint8_t)n;
		len += n + 2;
	}
	struct pb_opts o = pb_default(6, 53);
	syn(fx, &o);
	uint32_t base = o.seq;
	/* First segment: 19 whole messages and a part of the 20th. */
	size_t cut = len - 10;
	struct inspect_result *r = send_pkt(fx, &o, stream, cut);
	assert_int_equal(r->state, INSPECT_NAMED);
	assert_int_equal(r->proto, INSPECT_PROTO_DNS_TCP);
	assert_int_equal(r->nnames, 19);
	assert_string_equal(r->names[0].text, "0.google.com");
	assert_string_equal(r->names[18].text, "18.google.com");
	assert_int_equal(inspect_decide(fx->in, r, INSPECT_VERDICT_ALLOW), INSPECT_MARK_FOLLOW);
	o.seq = base + (uint32_t)cut;
	r = send_pkt(fx, &o, stream + cut, len - cut);
	assert_int_equal(r->state, INSPECT_NAMED);
	assert_int_equal(r->nnames, 1);
	assert_string_equal(r->names[0].text, "19.google.com");
	inspect_decide(fx->in, r, INSPECT_VERDICT_ALLOW);
	/* The server acknowledges: the held copy moves on; the next query is judged alone. */
	struct pb_opts back = server_of(&o);
	back.ack = base + (uint32_t)len;
	assert_int_equal(send_pkt(fx, &back, NULL, 0)->state, INSPECT_IGNORED);
	struct inspect_stats st;
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.buffers_active, 0);
	o.seq = base + (uint32_t)len;
	size_t n = hb_dns_query("next.example", 1, 99, stream + 2, 200);
	stream[0] = 0;
	stream[1] = (uint8_t)n;
	r = send_pkt(fx, &o, stream, 1);
	assert_int_equal(r->state, INSPECT_PENDING);
	o.seq += 1;
	r = send_pkt(fx, &o, stream + 1, n + 1);
	assert_named(r, INSPECT_PROTO_DNS_TCP, "next.example");
}

static void test_bound_packets(void **state)
{
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.flow_packets = 4;
	struct fixture fx = {.in = inspector_new(&lim), .now_ms = 1};
	uint8_t hello[600];
	hb_client_hello("x.example", 0, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	syn(&fx, &o);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(send_pkt(&fx, &o, hello + i, 1)->state, INSPECT_PENDING);
		o.seq++;
	}
	/* A ClientHello still incomplete at the bound is unfinished, not nameless. */
	struct inspect_result *r = send_pkt(&fx, &o, hello + 4, 1);
	assert_int_equal(r->state, INSPECT_UNFINISHED);
	assert_string_equal(r->reason, "bound-packets");
	inspector_free(fx.in);
}

static void test_bound_time_and_expiry(void **state)
{
	struct fixture *fx = *state;
	uint8_t hello[600];
	hb_client_hello("x.example", 0, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	syn(fx, &o);
	assert_int_equal(send_pkt(fx, &o, hello, 10)->state, INSPECT_PENDING);
	fx->now_ms += 20000;
	o.seq += 10;
	struct inspect_result *r = send_pkt(fx, &o, hello + 10, 10);
	assert_int_equal(r->state, INSPECT_UNFINISHED);
	assert_string_equal(r->reason, "bound-time");
	inspect_decide(fx->in, r, INSPECT_VERDICT_REJECT);
	struct inspect_stats st;
	inspect_get_stats(fx->in, &st);
	assert_true(st.flows_active >= 1);
	assert_true(inspect_expire(fx->in, fx->now_ms + 200000) >= 1);
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.buffers_active, 0);
}

/* A buffer pool whose size does not fit INSPECT_POOL_BYTES_MAX is refused. On a 32-bit CPU the
 * first two products wrap size_t (to 0 and to a few bytes), which once gave an inspector whose
 * pool was far shorter than the buffers handed out of it. */
static void test_pool_too_large_refused(void **state)
{
	(void)state;
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_flows = 8;
	lim.max_buffers = 1u << 16;
	lim.buffer_bytes = 1u << 16; /* 4 GiB */
	assert_null(inspector_new(&lim));
	inspect_limits_default(&lim);
	lim.max_flows = 8;
	lim.max_buffers = UINT32_MAX;
	assert_null(inspector_new(&lim));
	lim.max_buffers = INSPECT_POOL_BYTES_MAX / lim.buffer_bytes + 1;
	assert_null(inspector_new(&lim));
	/* A pool of a few buffers is still fine. */
	lim.max_buffers = 4;
	struct inspector *in = inspector_new(&lim);
	assert_non_null(in);
	inspector_free(in);
}

static void test_buffers_exhausted_and_eviction(void **state)
{
	struct fixture *fx = *state; /* 8 flows, 2 buffers */
	uint8_t hello[600];
	hb_client_hello("x.example", 0, hello, sizeof(hello));
	struct pb_opts o = pb_default(6, 443);
	for (unsigned i = 0; i < 3; i++) {
		o.sport = (uint16_t)(2000 + i);
		syn(fx, &o);
		struct inspect_result *r = send_pkt(fx, &o, hello, 10);
		assert_int_equal(r->state, INSPECT_PENDING);
		/* No buffer left for the third: its bytes wait (the client sends them again),
		 * they are never judged without being held. */
		assert_int_equal(r->hold, i == 2);
	}
	/* More flows than the table holds: the client's own oldest go, nothing breaks. */
	for (unsigned i = 0; i < 20; i++) {
		o.sport = (uint16_t)(3000 + i);
		syn(fx, &o);
	}
	struct inspect_stats st;
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.flows_active, 8);
	assert_true(st.flows_evicted >= 15);
	assert_int_equal(st.buffers_active, 0);
}

/* The table hands out every entry it never used before it evicts a flow, and reuses the entries
 * of flows that ended (the never-used ones are not touched until then). */
static void test_table_filled_before_eviction(void **state)
{
	struct fixture *fx = *state; /* 8 flows */
	struct inspect_stats st;
	struct pb_opts o = pb_default(6, 443);
	for (unsigned i = 0; i < 8; i++) {
		o.src[3] = (uint8_t)(10 + i); /* one flow per client: no share binds */
		syn(fx, &o);
	}
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.flows_active, 8);
	assert_int_equal(st.flows_evicted, 0);
	assert_int_equal(st.sources_active, 8);
	o.src[3] = 99;
	syn(fx, &o);
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.flows_active, 8);
	assert_int_equal(st.flows_evicted, 1);
	/* Every flow expires; the freed entries serve the next ones without an eviction. */
	assert_int_equal(inspect_expire(fx->in, fx->now_ms + 3600 * 1000), 8);
	for (unsigned i = 0; i < 8; i++) {
		o.src[3] = (uint8_t)(40 + i);
		syn(fx, &o);
	}
	inspect_get_stats(fx->in, &st);
	assert_int_equal(st.flows_active, 8);
	assert_int_equal(st.flows_evicted, 1);
	assert_int_equal(st.sources_active, 8);
}

static void test_not_inspected(void **state)
{
	struct fixture *fx = *state;
	struct pb_opts o = pb_default(17, 5000);
	assert_int_equal(send_pkt(fx, &o, (const uint8_t *)"hi", 2)->state, INSPECT_IGNORED);
	uint8_t junk[3] = {0x70, 0, 0};
	inspect_packet(fx->in, junk, sizeof(junk), NULL, 1, &fx->res);
	assert_int_equal(fx->res.state, INSPECT_IGNORED);
	/* A packet that cannot be read is judged alone: it does not pass, decides nothing. */
	uint8_t short_v4[10] = {0x45};
	inspect_packet(fx->in, short_v4, sizeof(short_v4), NULL, 1, &fx->res);
	assert_int_equal(fx->res.state, INSPECT_MALFORMED);
	assert_true(fx->res.hold);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tls_one_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_filled_before_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_split_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_split_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_one_byte_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_retransmission_and_no_sni, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_decoy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_kept_incomplete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_tcp_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_tcp_many_and_split, setup, teardown),
		cmocka_unit_test(test_bound_packets),
		cmocka_unit_test_setup_teardown(test_bound_time_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffers_exhausted_and_eviction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_inspected, setup, teardown),
		cmocka_unit_test(test_pool_too_large_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
