/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the decision model (inspection + policy + verdict) against clients that fight
 * back: decoys the server never takes, copies that differ, second SYNs, later requests on a
 * connection, other QUIC connections on one tuple, urgent data, names past fixed limits,
 * clients that hold state. Each evasion comes with a control that must pass. */
#include <stdio.h>

#include "test.h"

#include "embargo_config.h"
#include "embargo/config.h"
#include "embargo/dns.h"
#include "embargo/verdict.h"
#include "dnsbuild.h"
#include "embargo/answer.h"
#include "embargo/learn.h"
#include "hellobuild.h"
#include "pktbuild.h"
#include "policyload.h"
#if EMBARGO_HAVE_QUIC
#include <openssl/evp.h>

#include "quic_builder.h"
#endif

#define LISTED	 "upd.kaspersky.com"
#define UNLISTED "www.example.org"
#define OTHER	 "www.example.net"
/* Interfaces the gateway sees the client's and the server's packets come in on. */
#define CLIENT_IF 1
#define SERVER_IF 2

struct vfx {
	struct inspector *in;
	struct verdict_judge judge;
	struct policy *policy;
	struct inspect_result r;
	struct verdict v;
	uint64_t now_ms;
	uint8_t *pkt;		 /* the last packet (the result's spans point into it) */
	uint32_t ifindex;	 /* interface the next packet comes in on (0: unknown) */
	struct learner *learner; /* when a test learns: what the judge hands over goes here */
};

static struct vfx *vfx_new(const struct inspect_limits *lim)
{
	struct inspect_limits def;
	inspect_limits_default(&def);
	struct vfx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->in = inspector_new(lim != NULL ? lim : &def);
	assert_non_null(fx->in);
	verdict_judge_init(&fx->judge, fx->in);
	fx->policy = test_load_policy("vendor kaspersky {\n category update {\n  *.kaspersky.com\n"
				      " }\n}\n");
	fx->now_ms = 1000;
	fx->ifindex = CLIENT_IF;
	return fx;
}

static int setup(void **state)
{
	*state = vfx_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct vfx *fx = *state;
	inspector_free(fx->in);
	policy_free(fx->policy);
	learn_free(fx->learner);
	free(fx->pkt);
	free(fx);
	return 0;
}

/* One packet built from `o` (IP options and all) through the daemon's decision model. */
static const struct verdict *send_mark(struct vfx *fx, const struct pb_opts *o, const void *payload,
				       size_t len, enum inspect_mark km)
{
	static uint8_t buf[70000];
	size_t n = pb_build(o, payload, len, buf, sizeof(buf));
	assert_true(n > 0);
	free(fx->pkt);
	fx->pkt = test_exact_copy(buf, n);
	struct inspect_meta meta = {false, (uint8_t)km, fx->ifindex};
	verdict_packet(&fx->judge, fx->policy, fx->pkt, n, &meta, fx->now_ms, &fx->r, &fx->v);
	for (unsigned i = 0; fx->learner != NULL && i < fx->v.nlearn; i++) {
		learn_answer(fx->learner, fx->policy, &fx->judge.learn_out[i],
			     (uint32_t)(fx->now_ms / 1000));
	}
	fx->now_ms += 1;
	return &fx->v;
}

static const struct verdict *send(struct vfx *fx, const struct pb_opts *o, const void *payload,
				  size_t len)
{
	return send_mark(fx, o, payload, len, INSPECT_MARK_NONE);
}

/* A packet from the server's side. */
static const struct verdict *send_server(struct vfx *fx, const struct pb_opts *o)
{
	fx->ifindex = SERVER_IF;
	const struct verdict *v = send(fx, o, NULL, 0);
	fx->ifindex = CLIENT_IF;
	return v;
}

static struct pb_opts server_of(const struct pb_opts *o, uint32_t ack)
{
	struct pb_opts b = *o;
	memcpy(b.src, o->dst, 16);
	memcpy(b.dst, o->src, 16);
	b.sport = o->dport;
	b.dport = o->sport;
	b.seq = 90000;
	b.ack = ack;
	b.tcp_flags = 0x10;
	return b;
}

/* SYN, SYN-ACK, ACK for the connection `o` (o->seq: the first data byte). */
static void handshake(struct vfx *fx, struct pb_opts *o)
{
	struct pb_opts s = *o;
	s.seq = o->seq - 1;
	s.tcp_flags = 0x02;
	assert_int_equal(send(fx, &s, NULL, 0)->mark, INSPECT_MARK_FOLLOW);
	struct pb_opts sa = server_of(o, o->seq);
	sa.tcp_flags = 0x12;
	send_server(fx, &sa);
	struct pb_opts a = *o;
	a.tcp_flags = 0x10;
	send(fx, &a, NULL, 0);
}

static void server_ack(struct vfx *fx, const struct pb_opts *o, uint32_t ack)
{
	struct pb_opts b = server_of(o, ack);
	send_server(fx, &b);
}

static void assert_blocked(const struct vfx *fx, const char *name)
{
	assert_true(fx->v.judged);
	assert_int_equal(fx->v.decision.action, ACTION_REJECT);
	assert_int_equal(fx->r.state, INSPECT_NAMED);
	assert_string_equal(fx->r.names[fx->v.decision.name_index].text, name);
	assert_false(fx->v.drop);
	assert_int_equal(fx->v.mark, INSPECT_MARK_REJECT);
}

static size_t hello(const char *sni, uint8_t *out)
{
	return hb_client_hello(sni, 40, out, 700);
}

/* Two hellos of the same length (so a decoy covers the real one exactly). */
static size_t hello_pair(const char *a, const char *b, uint8_t *ha, uint8_t *hb)
{
	size_t na = hb_client_hello(a, 40 + strlen(b), ha, 700);
	size_t nb = hb_client_hello(b, 40 + strlen(a), hb, 700);
	assert_int_equal(na, nb);
	return na;
}

static void test_allow_waits_for_server(void **state)
{
	struct vfx *fx = *state;
	uint8_t h[700];
	size_t n = hello(UNLISTED, h);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	const struct verdict *v = send(fx, &o, h, n);
	assert_false(v->drop);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW); /* not final yet */
	server_ack(fx, &o, o.seq + 100);
	assert_int_equal(fx->v.mark, INSPECT_MARK_NONE);
	server_ack(fx, &o, o.seq + (uint32_t)n);
	assert_int_equal(fx->v.mark, INSPECT_MARK_ALLOW);
	/* An acknowledgement for bytes never let through does not count. */
	struct pb_opts o2 = o;
	o2.sport++;
	handshake(fx, &o2);
	send(fx, &o2, h, n);
	server_ack(fx, &o2, o2.seq + (uint32_t)n + 5000);
	assert_int_equal(fx->v.mark, INSPECT_MARK_NONE);
}

/* Item 1: a decoy hello at the real one's sequence numbers, which the server never takes, then
 * the real one. */
static void test_fake_then_real(void **state)
{
	struct vfx *fx = *state;
	uint8_t decoy[700], real[700];
	size_t n = hello_pair(UNLISTED, LISTED, decoy, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	struct pb_opts fake = o;
	fake.tcp_flags =
		0x08; /* no ACK flag, say: the server drops it; nothing here relies on it */
	assert_false(send(fx, &fake, decoy, n)->drop);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

/* The control: the decoy and the real hello both unlisted. The real one waits until nothing
 * else is in flight, then passes; the allow is final once the server has it. */
static void test_fake_then_real_control(void **state)
{
	struct vfx *fx = *state;
	uint8_t decoy[700], real[700];
	size_t n = hello_pair(UNLISTED, OTHER, decoy, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	send(fx, &o, decoy, n);
	const struct verdict *v = send(fx, &o, real, n);
	assert_true(v->drop); /* held back: the decoy may still be on its way */
	fx->now_ms += 300;    /* the client's stack sends it again */
	v = send(fx, &o, real, n);
	assert_false(v->drop);
	assert_true(v->judged);
	assert_string_equal(fx->r.names[0].text, OTHER);
	server_ack(fx, &o, o.seq + (uint32_t)n);
	assert_int_equal(fx->v.mark, INSPECT_MARK_ALLOW);
}

/* A client that forges the server's acknowledgement of its own decoy (it comes in on the
 * client's side) does not make the decoy's allow final. */
static void test_forged_server_ack(void **state)
{
	struct vfx *fx = *state;
	uint8_t decoy[700], real[700];
	size_t n = hello_pair(UNLISTED, LISTED, decoy, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	send(fx, &o, decoy, n);
	struct pb_opts forged = server_of(&o, o.seq + (uint32_t)n);
	const struct verdict *v = send(fx, &forged, NULL, 0); /* on the client's interface */
	assert_int_equal(v->mark, INSPECT_MARK_NONE);
	assert_string_equal(fx->r.reason, "server-from-client-side");
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

static void test_two_decoys(void **state)
{
	struct vfx *fx = *state;
	uint8_t d1[700], d2[700], real[700];
	size_t n = hello_pair(UNLISTED, LISTED, d1, real);
	assert_int_equal(hello_pair(OTHER, LISTED, d2, real), n);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	send(fx, &o, d1, n);
	assert_true(send(fx, &o, d2, n)->drop);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

/* An unfinished HTTP-looking decoy must not make the real TLS copy read as HTTP. */
static void test_http_decoy_then_tls(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	const char *decoy = "GET / HTTP/1.1\r\nHost: x";
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	assert_int_equal(send(fx, &o, decoy, strlen(decoy))->drop, false);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

static size_t dns_tcp_msg(const char *name, uint16_t id, uint8_t *out)
{
	size_t n = hb_dns_query(name, 1, id, out + 2, 300);
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	return n + 2;
}

static void test_dns_tcp_fake_then_real(void **state)
{
	struct vfx *fx = *state;
	uint8_t decoy[320], real[320];
	size_t n = dns_tcp_msg("www.example.co", 7, decoy);
	size_t m = dns_tcp_msg(LISTED, 7, real);
	struct pb_opts o = pb_default(6, 53);
	handshake(fx, &o);
	assert_false(send(fx, &o, decoy, n)->drop);
	send(fx, &o, real, m);
	assert_true(fx->v.judged);
	assert_int_equal(fx->v.decision.action, ACTION_REJECT);
	assert_int_equal(fx->v.mark, INSPECT_MARK_REJECT);
}

/* Item 2: a SYN numbered ahead does not reset the flow; only the server can start a new one. */
static void test_second_syn(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	struct pb_opts syn2 = o;
	syn2.seq = o.seq + 100000;
	syn2.tcp_flags = 0x02;
	assert_false(send(fx, &syn2, NULL, 0)->drop);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
	/* The control: the server answers the other SYN, a new connection starts and is judged
	 * from its own first byte. */
	struct pb_opts c = pb_default(6, 443);
	c.sport = 41000;
	handshake(fx, &c);
	struct pb_opts c2 = c;
	c2.seq = c.seq + 100000 - 1; /* its first data byte at c.seq + 100000 */
	c2.tcp_flags = 0x02;
	send(fx, &c2, NULL, 0);
	struct pb_opts sa = server_of(&c, c.seq + 100000);
	sa.tcp_flags = 0x12;
	send_server(fx, &sa);
	assert_string_equal(fx->r.reason, "new-handshake");
	c.seq += 100000;
	send(fx, &c, real, n);
	assert_blocked(fx, LISTED);
}

static void test_http_every_request(void **state)
{
	struct vfx *fx = *state;
	const char *first = "GET / HTTP/1.1\r\nHost: " UNLISTED "\r\n\r\n";
	const char *second = "GET /u HTTP/1.1\r\nHost: " LISTED "\r\n\r\n";
	struct pb_opts o = pb_default(6, 80);
	handshake(fx, &o);
	const struct verdict *v = send(fx, &o, first, strlen(first));
	assert_false(v->drop);
	assert_int_equal(v->decision.action, ACTION_NONE);
	server_ack(fx, &o, o.seq + (uint32_t)strlen(first));
	assert_int_equal(fx->v.mark, INSPECT_MARK_WATCH); /* under watch: each request judged */
	/* Keep-alive: the next request on the connection (the kernel queues it by its mark). */
	o.seq += (uint32_t)strlen(first);
	send_mark(fx, &o, second, strlen(second), INSPECT_MARK_WATCH);
	assert_blocked(fx, LISTED);
	/* Pipelined: both requests in one segment. */
	char both[512];
	snprintf(both, sizeof(both), "%s%s", first, second);
	struct pb_opts p = pb_default(6, 80);
	p.sport = 41001;
	handshake(fx, &p);
	send(fx, &p, both, strlen(both));
	assert_blocked(fx, LISTED);
	/* The control: two unlisted requests, and a body in between that looks like one. */
	char ctl[512];
	const char *body = "GET / HTTP/1.1\r\nHost: " LISTED "\r\n\r\n";
	snprintf(ctl, sizeof(ctl),
		 "POST / HTTP/1.1\r\nHost: " UNLISTED "\r\nContent-Length: %zu\r\n\r\n%s"
		 "GET / HTTP/1.1\r\nHost: " OTHER "\r\n\r\n",
		 strlen(body), body);
	struct pb_opts q = pb_default(6, 80);
	q.sport = 41002;
	handshake(fx, &q);
	v = send(fx, &q, ctl, strlen(ctl));
	assert_false(v->drop);
	assert_int_equal(v->decision.action, ACTION_NONE);
	assert_int_equal(fx->r.nnames, 2);
}

/* Item 5: one byte sent as urgent data inside the name; the server's stack takes it out. */
static void test_urgent_byte(void **state)
{
	struct vfx *fx = *state;
	uint8_t h[700];
	/* As sent: "upd.kaspeXrsky.com" (the record and extension lengths are the server's,
	 * without the X). */
	size_t n = hello(LISTED, h);
	uint8_t sent[701];
	const uint8_t *at = memmem(h, n, "kaspe", 5);
	assert_non_null(at);
	size_t cut = (size_t)(at - h) + 5;
	memcpy(sent, h, cut);
	sent[cut] = 'X';
	memcpy(sent + cut + 1, h + cut, n - cut);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	struct pb_opts u = o;
	u.tcp_flags = 0x38; /* URG PSH ACK */
	uint8_t raw[800];
	size_t len = pb_build(&u, sent, n + 1, raw, sizeof(raw));
	raw[20 + 18] = (uint8_t)((cut + 1) >> 8); /* urgent pointer: one past the urgent byte */
	raw[20 + 19] = (uint8_t)(cut + 1);
	uint8_t *copy = test_exact_copy(raw, len);
	verdict_packet(&fx->judge, fx->policy, copy, len, NULL, fx->now_ms, &fx->r, &fx->v);
	free(copy);
	assert_blocked(fx, LISTED);
}

/* Item 6: names past the result's capacity and questions past the parsed ones are judged. */
static void test_names_past_limits(void **state)
{
	struct vfx *fx = *state;
	static uint8_t stream[20000];
	size_t len = 0;
	char name[64];
	for (unsigned i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "q%u.example.com", i);
		len += dns_tcp_msg(i == 39 ? LISTED : name, (uint16_t)i, stream + len);
	}
	struct pb_opts o = pb_default(6, 53);
	handshake(fx, &o);
	send(fx, &o, stream, len);
	assert_true(fx->r.names_dropped > 0);
	assert_blocked(fx, LISTED);
	/* One DNS message over UDP with six questions, the sixth listed. */
	uint8_t q[600];
	size_t n = hb_dns_query("a.example.com", 1, 9, q, sizeof(q));
	for (unsigned i = 0; i < 5; i++) {
		uint8_t more[300];
		size_t m =
			hb_dns_query(i == 4 ? LISTED : "b.example.com", 1, 9, more, sizeof(more));
		memcpy(q + n, more + 12, m - 12);
		n += m - 12;
	}
	q[5] = 6;
	struct pb_opts u = pb_default(17, 53);
	const struct verdict *v = send(fx, &u, q, n);
	assert_true(v->drop);
	assert_int_equal(v->reply, VERDICT_REPLY_DNS);
	assert_int_equal(v->decision.action, ACTION_REJECT);
}

/* A DNS question whose name uses a compression pointer is still answered. */
static void test_dns_pointer_question(void **state)
{
	struct vfx *fx = *state;
	uint8_t q[300];
	size_t n = hb_dns_query("kaspersky.com", 1, 5, q, sizeof(q));
	/* Second question: "upd" + a pointer to the first name (offset 12). */
	memcpy(q + n, "\x03upd\xc0\x0c\x00\x01\x00\x01", 10);
	n += 10;
	q[5] = 2;
	struct pb_opts u = pb_default(17, 53);
	const struct verdict *v = send(fx, &u, q, n);
	assert_true(v->drop);
	assert_int_equal(v->reply, VERDICT_REPLY_DNS);
	struct dns_msg m;
	uint8_t out[512];
	struct dns_reply_opts opts = {.kind = DNS_REPLY_NXDOMAIN, .ttl = 60};
	assert_int_equal(dns_msg_parse(fx->r.dns_msg.ptr, fx->r.dns_msg.len, &m), PARSE_OK);
	assert_true(dns_reply_build(fx->r.dns_msg.ptr, fx->r.dns_msg.len, &m, &opts, out,
				    sizeof(out)) > 0);
}

/* An IPv6 packet with many extension headers (a pure ACK that need not reach the server)
 * decides nothing; the real hello after it is judged. */
static void test_ipv6_extension_headers(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts o = pb_default(6, 443);
	o.ip_version = 6;
	o.src[0] = 0xfd, o.src[15] = 1;
	o.dst[0] = 0xfd, o.dst[15] = 2;
	handshake(fx, &o);
	/* Twelve destination-options headers before TCP. */
	uint8_t pkt[40 + 12 * 8 + 20];
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pb_put16(pkt + 4, (uint16_t)(sizeof(pkt) - 40));
	pkt[6] = 60;
	pkt[7] = 64;
	memcpy(pkt + 8, o.src, 16);
	memcpy(pkt + 24, o.dst, 16);
	for (unsigned i = 0; i < 12; i++) {
		pkt[40 + 8 * i] = i < 11 ? 60 : 6;
	}
	uint8_t *tcp = pkt + 40 + 12 * 8;
	pb_put16(tcp, o.sport);
	pb_put16(tcp + 2, o.dport);
	pb_put32(tcp + 4, o.seq);
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;
	verdict_packet(&fx->judge, fx->policy, pkt, sizeof(pkt), NULL, fx->now_ms, &fx->r, &fx->v);
	assert_int_equal(fx->r.state, INSPECT_IGNORED);
	assert_false(fx->v.judged);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

/* One byte far ahead of the stream is no bound: it cannot change the bytes being judged. */
static void test_byte_far_ahead(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	struct pb_opts ahead = o;
	ahead.seq = o.seq + 30000;
	const struct verdict *v = send(fx, &ahead, "x", 1);
	assert_false(v->judged);
	send(fx, &o, real, n);
	assert_blocked(fx, LISTED);
}

/* A segment that starts before the stream (its first bytes are discarded by the server) still
 * has its other bytes judged. */
static void test_segment_before_stream_start(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700], sent[720];
	size_t n = hello(LISTED, real);
	memset(sent, 'Z', 16);
	memcpy(sent + 16, real, n);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	struct pb_opts early = o;
	early.seq = o.seq - 16;
	send(fx, &early, sent, n + 16);
	assert_blocked(fx, LISTED);
}

/* A reset from the client may be a fake: the flow's state stays. */
static void test_client_reset_keeps_state(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	send(fx, &o, real, 30);
	struct pb_opts rst = o;
	rst.tcp_flags = 0x04;
	rst.seq = o.seq + 30;
	send(fx, &rst, NULL, 0);
	struct pb_opts rest = o;
	rest.seq = o.seq + 30;
	send(fx, &rest, real + 30, n - 30);
	assert_blocked(fx, LISTED);
}

/* A flow the kernel says was followed but whose state is gone is unfinished (rejected by
 * default); one never seen (older than the daemon) is joined and judged from here. */
static void test_lost_state(void **state)
{
	struct vfx *fx = *state;
	struct pb_opts o = pb_default(6, 443);
	const char rest[] = "ersky.com-and-the-rest-of-a-hello";
	const struct verdict *v = send_mark(fx, &o, rest, sizeof(rest), INSPECT_MARK_FOLLOW);
	assert_int_equal(fx->r.state, INSPECT_UNFINISHED);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	o.sport++;
	v = send_mark(fx, &o, rest, sizeof(rest), INSPECT_MARK_NONE);
	assert_int_equal(fx->r.state, INSPECT_NAMELESS);
	assert_int_equal(v->decision.action, ACTION_NONE);
	/* DNS over TCP forgotten while idle: the next query is judged as it comes. */
	uint8_t q[320];
	size_t n = dns_tcp_msg(LISTED, 3, q);
	struct pb_opts d = pb_default(6, 53);
	v = send_mark(fx, &d, q, n, INSPECT_MARK_FOLLOW);
	assert_blocked(fx, LISTED);
	n = dns_tcp_msg(UNLISTED, 4, q);
	d.sport++;
	v = send_mark(fx, &d, q, n, INSPECT_MARK_FOLLOW);
	assert_int_equal(v->decision.action, ACTION_NONE);
	assert_false(v->drop);
}

/* A hello kept incomplete until the bound is unfinished: rejected by default. */
static void test_unfinished_at_bound(void **state)
{
	struct vfx *fx = *state;
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts o = pb_default(6, 443);
	handshake(fx, &o);
	send(fx, &o, real, 20);
	fx->now_ms += 11000;
	struct pb_opts more = o;
	more.seq = o.seq + 20;
	const struct verdict *v = send(fx, &more, real + 20, 10);
	assert_int_equal(fx->r.state, INSPECT_UNFINISHED);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->mark, INSPECT_MARK_REJECT);
	(void)n;
}

/* Item 7: a client holding its share of reassembly buffers cannot make another client's split
 * hello nameless. */
static void test_buffer_share(void **state)
{
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_buffers = 8;
	lim.source_buffers = 3;
	struct vfx *fx = vfx_new(&lim);
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts a = pb_default(6, 443);
	for (unsigned i = 0; i < 20; i++) {
		a.sport = (uint16_t)(20000 + i);
		handshake(fx, &a);
		send(fx, &a, real, 30);
		/* Past its share once the pool runs low (a quarter left): held back. */
		assert_int_equal(fx->v.drop, i >= 6);
	}
	struct pb_opts b = pb_default(6, 443);
	b.src[3] = 9; /* another client */
	handshake(fx, &b);
	const uint8_t *at = memmem(real, n, "kaspersky", 9);
	size_t cut = (size_t)(at - real) + 4;
	assert_false(send(fx, &b, real, cut)->drop);
	struct pb_opts b2 = b;
	b2.seq = b.seq + (uint32_t)cut;
	send(fx, &b2, real + cut, n - cut);
	assert_blocked(fx, LISTED);
	struct vfx *p = fx;
	teardown((void **)&p);
}

/* When the pool runs dry, a client with fewer buffers takes them from the one holding most. */
static void test_buffer_taken_from_heaviest(void **state)
{
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	lim.max_buffers = 6;
	lim.source_buffers = 6;
	struct vfx *fx = vfx_new(&lim);
	uint8_t real[700];
	size_t n = hello(LISTED, real);
	struct pb_opts a = pb_default(6, 443);
	for (unsigned i = 0; i < 6; i++) {
		a.sport = (uint16_t)(20000 + i);
		handshake(fx, &a);
		assert_false(send(fx, &a, real, 30)->drop);
	}
	struct pb_opts b = pb_default(6, 443);
	b.src[3] = 9;
	handshake(fx, &b);
	assert_false(send(fx, &b, real, 30)->drop);
	struct pb_opts b2 = b;
	b2.seq = b.seq + 30;
	send(fx, &b2, real + 30, n - 30);
	assert_blocked(fx, LISTED);
	/* The flow that lost its buffer is not let through nameless: it is unfinished. */
	a.sport = 20000;
	struct pb_opts a2 = a;
	a2.seq = a.seq + 30;
	send(fx, &a2, real + 30, n - 30);
	assert_int_equal(fx->r.state, INSPECT_UNFINISHED);
	assert_int_equal(fx->v.decision.action, ACTION_REJECT);
	struct inspect_stats st;
	inspect_get_stats(fx->in, &st);
	assert_true(st.buffers_taken >= 1);
	struct vfx *p = fx;
	teardown((void **)&p);
	(void)state;
}

#if EMBARGO_HAVE_QUIC
static size_t quic_initial(const char *sni, const uint8_t *dcid, uint8_t *out)
{
	uint8_t hs[1200], frames[1300];
	struct quic_keys keys;
	size_t hn = qb_client_hello(hs, sni, 0);
	size_t fn = qb_crypto(frames, hs, 0, hn);
	assert_int_equal(quic_client_initial_keys(QUIC_VERSION_1, dcid, 8, &keys), 0);
	static const uint8_t scid[4] = {1, 2, 3, 4};
	struct qb_initial q = {QUIC_VERSION_1, dcid, 8, scid, 4, NULL, 0, 0, 1, 0, &keys};
	return qb_initial(out, &q, frames, fn, 1200);
}

/* Item 4: a decoy connection on the same UDP 4-tuple decides nothing for the next one. */
static void test_quic_other_connection(void **state)
{
	struct vfx *fx = *state;
	static const uint8_t d1[8] = {1, 1, 1, 1, 1, 1, 1, 1}, d2[8] = {2, 2, 2, 2, 2, 2, 2, 2},
			     d3[8] = {3, 3, 3, 3, 3, 3, 3, 3};
	uint8_t pkt[1400];
	struct pb_opts o = pb_default(17, 443);
	size_t n = quic_initial(UNLISTED, d1, pkt);
	const struct verdict *v = send(fx, &o, pkt, n);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW); /* allowed, until the server answers */
	n = quic_initial(OTHER, d3, pkt);
	v = send(fx, &o, pkt, n);
	assert_int_equal(v->decision.action, ACTION_NONE); /* the control: judged, allowed */
	assert_string_equal(fx->r.names[0].text, OTHER);
	n = quic_initial(LISTED, d2, pkt);
	v = send(fx, &o, pkt, n);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->mark, INSPECT_MARK_DROP);
	/* Item 9: the client learns at once. */
	assert_int_equal(v->reply, VERDICT_REPLY_QUIC_VN);
	assert_int_equal(fx->r.quic_scid.len, 4);
	uint8_t vn[64];
	int vl = quic_version_negotiation_build(fx->r.quic_scid.ptr, fx->r.quic_scid.len,
						fx->r.quic_dcid.ptr, fx->r.quic_dcid.len, vn,
						sizeof(vn));
	assert_int_equal(vl, 1 + 4 + 1 + 4 + 1 + 8 + 4);
	assert_int_equal(vn[0] & 0x80, 0x80);
	assert_int_equal(vn[1] | vn[2] | vn[3] | vn[4], 0);
	assert_memory_equal(vn + 6, "\x01\x02\x03\x04", 4);
}
/* A decoy Initial with the real one's connection IDs, which the server never takes: the real
 * Initial after it differs in its CRYPTO bytes, is read on its own and blocks. The server's
 * answer makes an allow final. */
static void test_quic_same_id_decoy(void **state)
{
	struct vfx *fx = *state;
	static const uint8_t id[8] = {7, 7, 7, 7, 7, 7, 7, 7};
	uint8_t pkt[1400];
	struct pb_opts o = pb_default(17, 443);
	size_t n = quic_initial(UNLISTED, id, pkt);
	assert_int_equal(send(fx, &o, pkt, n)->mark, INSPECT_MARK_FOLLOW);
	n = quic_initial(LISTED, id, pkt);
	const struct verdict *v = send(fx, &o, pkt, n);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->reply, VERDICT_REPLY_QUIC_VN);
	/* The control: the same with an unlisted real name; the server answers, final. */
	struct pb_opts c = o;
	c.sport++;
	n = quic_initial(UNLISTED, id, pkt);
	send(fx, &c, pkt, n);
	n = quic_initial(OTHER, id, pkt);
	v = send(fx, &c, pkt, n);
	assert_int_equal(v->decision.action, ACTION_NONE);
	assert_string_equal(fx->r.names[0].text, OTHER);
	struct pb_opts s = server_of(&c, 0);
	uint8_t answer[64] = {0xc0, 0, 0, 0, 1, 4, 1, 2, 3, 4, 8};
	fx->ifindex = CLIENT_IF; /* claiming to be the server from the client's side: nothing */
	assert_int_equal(send(fx, &s, answer, sizeof(answer))->mark, INSPECT_MARK_NONE);
	fx->ifindex = SERVER_IF;
	assert_int_equal(send(fx, &s, answer, sizeof(answer))->mark, INSPECT_MARK_ALLOW);
	fx->ifindex = CLIENT_IF;
	assert_int_equal(send(fx, &c, pkt, n)->mark, INSPECT_MARK_ALLOW);
}
#endif

/* ---- DNS answers, learned addresses, ECH ---- */

#define CLOAK "cloak.example.org"

static void use_policy(struct vfx *fx, const char *text)
{
	policy_free(fx->policy);
	fx->policy = test_load_policy(text);
}

/* A DNS response from the server 10.0.0.2:53 to the client 10.0.0.1:40000 over UDP. */
static const struct verdict *send_response(struct vfx *fx, const struct db *d)
{
	struct pb_opts o = pb_default(17, 40000);
	o.src[3] = 2, o.dst[3] = 1;
	o.sport = 53;
	fx->ifindex = SERVER_IF;
	const struct verdict *v = send(fx, &o, d->b, d->n);
	fx->ifindex = CLIENT_IF;
	return v;
}

/* cloak.example.org -> cdn.vendor.net -> upd.kaspersky.com, with two addresses. */
static void cloaked_response(struct db *d, uint16_t id, const char *qname, const char *end)
{
	db_init(d, id, qname, DNS_TYPE_A, 0);
	db_alias(d, NULL, DNS_TYPE_CNAME, "cdn.vendor.net");
	db_alias(d, "cdn.vendor.net", DNS_TYPE_CNAME, end);
	db_addr(d, end, "192.0.2.7", 60);
	db_addr(d, end, "2001:db8::7", 60);
}

/* CNAME cloaking over UDP: an unlisted name whose chain reaches a listed one is answered as
 * the listed name would be, with both names; the control (an unlisted chain) passes, and so
 * does everything with cname-cloaking off or for a client out of scope. */
static void test_cname_cloaking(void **state)
{
	struct vfx *fx = *state;
	struct db d;
	cloaked_response(&d, 7, CLOAK, LISTED);
	const struct verdict *v = send_response(fx, &d);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_true(v->judged);
	assert_true(v->drop);
	assert_int_equal(v->reply, VERDICT_REPLY_DNS);
	assert_int_equal(v->by, VERDICT_BY_CNAME);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_string_equal(v->name->text, LISTED);
	assert_string_equal(v->via->text, CLOAK);
	/* The forged answer replaces the response: same id and question, NXDOMAIN. */
	struct dns_msg m;
	uint8_t out[512];
	struct dns_reply_opts opts = {.kind = DNS_REPLY_NXDOMAIN, .ttl = 60};
	assert_int_equal(dns_msg_parse(fx->r.dns_msg.ptr, fx->r.dns_msg.len, &m), PARSE_OK);
	int n = dns_reply_build(fx->r.dns_msg.ptr, fx->r.dns_msg.len, &m, &opts, out, sizeof(out));
	assert_int_equal(dns_msg_parse(out, (size_t)n, &m), PARSE_OK);
	assert_int_equal(m.id, 7);
	assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
	assert_string_equal(m.q[0].name.text, CLOAK);
	/* Control: the same chain ending at an unlisted name. */
	cloaked_response(&d, 8, CLOAK, OTHER);
	v = send_response(fx, &d);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_false(v->judged);
	assert_false(v->drop);
	/* Switched off. */
	use_policy(fx, "cname-cloaking off\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	cloaked_response(&d, 9, CLOAK, LISTED);
	assert_false(send_response(fx, &d)->drop);
	/* Responses not inspected at all. */
	use_policy(fx, "dns-responses ignore\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	assert_false(send_response(fx, &d)->drop);
	assert_int_equal(fx->r.state, INSPECT_IGNORED);
	assert_string_equal(fx->r.reason, "dns-response");
	/* A client out of scope (the answer's destination). */
	use_policy(fx, "exempt 10.0.0.1\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	assert_false(send_response(fx, &d)->drop);
	/* Alert-only: passes, but is reported with both names. */
	use_policy(fx, "vendor kaspersky {\n action alert\n *.kaspersky.com\n}\n");
	v = send_response(fx, &d);
	assert_false(v->drop);
	assert_true(v->judged);
	assert_int_equal(v->decision.action, ACTION_ALERT);
	assert_int_equal(v->by, VERDICT_BY_CNAME);
	/* A "response" sent to a server's port 53 by a client is not an answer. */
	struct pb_opts c = pb_default(17, 53);
	send(fx, &c, d.b, d.n);
	assert_int_equal(fx->r.state, INSPECT_IGNORED);
}

/* DNS over TCP: a client's query, then the server's segments. */
static void dns_tcp_open(struct vfx *fx, struct pb_opts *o, uint16_t sport)
{
	*o = pb_default(6, 53);
	o->sport = sport;
	handshake(fx, o);
	uint8_t q[300];
	size_t n = hb_dns_query(CLOAK, DNS_TYPE_A, 7, q + 2, sizeof(q) - 2);
	q[0] = (uint8_t)(n >> 8), q[1] = (uint8_t)n;
	assert_false(send(fx, o, q, n + 2)->drop);
	o->seq += (uint32_t)n + 2;
}

static const struct verdict *server_data(struct vfx *fx, const struct pb_opts *o, uint32_t seq,
					 const uint8_t *data, size_t len)
{
	struct pb_opts s = server_of(o, o->seq);
	s.seq = seq;
	s.tcp_flags = 0x18;
	fx->ifindex = SERVER_IF;
	const struct verdict *v = send(fx, &s, data, len);
	fx->ifindex = CLIENT_IF;
	return v;
}

/* Over TCP: a cloaked response is dropped and the connection reset, and stays blocked when
 * the server sends it again; a response that passes moves the stream on, and the next one in
 * the stream is read where it starts; a response cut across segments is read from its first. */
static void test_cname_cloaking_tcp(void **state)
{
	struct vfx *fx = *state;
	struct pb_opts o;
	dns_tcp_open(fx, &o, 41000);
	struct db good, bad;
	cloaked_response(&good, 1, CLOAK, OTHER);
	cloaked_response(&bad, 2, CLOAK, LISTED);
	uint8_t seg[2048];
	seg[0] = (uint8_t)(good.n >> 8), seg[1] = (uint8_t)good.n;
	memcpy(seg + 2, good.b, good.n);
	uint32_t s0 = 90001; /* after the server's SYN (server_of: 90000) */
	const struct verdict *v = server_data(fx, &o, s0, seg, good.n + 2);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_false(v->drop);
	uint32_t s1 = s0 + (uint32_t)good.n + 2;
	seg[0] = (uint8_t)(bad.n >> 8), seg[1] = (uint8_t)bad.n;
	memcpy(seg + 2, bad.b, bad.n);
	v = server_data(fx, &o, s1, seg, bad.n + 2);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_true(v->drop);
	assert_int_equal(v->reply, VERDICT_REPLY_TCP_RESET);
	assert_int_equal(v->by, VERDICT_BY_CNAME);
	v = server_data(fx, &o, s1, seg, bad.n + 2); /* sent again */
	assert_true(v->drop);
	/* Cut: the first segment holds the CNAMEs only. */
	size_t cut = 2 + 12 + 19 + 4 + 2 + 12 + 16 + 12 + 40;
	v = server_data(fx, &o, s1, seg, cut);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_true(v->drop);
	/* Control: an unlisted response cut across two segments passes whole, its second part
	 * is not read as a message start, and the next response in the stream is read. */
	dns_tcp_open(fx, &o, 41001);
	seg[0] = (uint8_t)(good.n >> 8), seg[1] = (uint8_t)good.n;
	memcpy(seg + 2, good.b, good.n);
	size_t total = good.n + 2;
	seg[total] = (uint8_t)(bad.n >> 8), seg[total + 1] = (uint8_t)bad.n;
	memcpy(seg + total + 2, bad.b, bad.n);
	v = server_data(fx, &o, s0, seg, 40);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_false(v->drop);
	v = server_data(fx, &o, s0 + 40, seg + 40, total - 40);
	assert_int_equal(fx->r.state, INSPECT_IGNORED);
	assert_false(v->drop);
	v = server_data(fx, &o, s0 + (uint32_t)total, seg + total, bad.n + 2);
	assert_int_equal(fx->r.state, INSPECT_ANSWER);
	assert_true(v->drop);
	/* Two responses in one segment: the second is read too. */
	dns_tcp_open(fx, &o, 41002);
	v = server_data(fx, &o, s0, seg, total + bad.n + 2);
	assert_int_equal(fx->r.nanswers, 2);
	assert_true(v->drop);
	/* The same segment coming in on the client's side is not the server's answer (a client
	 * would teach what it likes): it is read as nothing. */
	dns_tcp_open(fx, &o, 41003);
	struct pb_opts forged = server_of(&o, o.seq);
	forged.seq = s0;
	forged.tcp_flags = 0x18;
	v = send(fx, &forged, seg, total);
	assert_int_equal(fx->r.state, INSPECT_IGNORED);
	assert_string_equal(fx->r.reason, "server-from-client-side");
	assert_false(v->drop);
}

/* Learned addresses: an answer for a listed name teaches its addresses; a connection that
 * carries no name to one of them (TLS without SNI, an IP-literal Host, another port) gets the
 * vendor's action; one that carries an unlisted name is judged by it; a shared address is
 * alert-only. */
static void test_learned_addresses(void **state)
{
	struct vfx *fx = *state;
	struct learn_limits lim = {.per_family = 64, .grace_s = 300, .kernel = true};
	fx->learner = learn_new(&lim);
	verdict_judge_learn(&fx->judge, learn_table(fx->learner), true);
	struct db d;
	cloaked_response(&d, 3, CLOAK, LISTED);
	assert_true(send_response(fx, &d)->drop); /* blocked, and learned */
	assert_int_equal(fx->v.nlearn, 1);
	assert_string_equal(fx->judge.learn_out[0].name.text, LISTED);
	struct pb_opts t = pb_default(6, 443);
	t.dst[0] = 192, t.dst[1] = 0, t.dst[2] = 2, t.dst[3] = 7;
	handshake(fx, &t);
	uint8_t h[700];
	size_t n = hb_client_hello(NULL, 40, h, sizeof(h));
	const struct verdict *v = send(fx, &t, h, n);
	assert_int_equal(fx->r.state, INSPECT_NAMELESS);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->by, VERDICT_BY_ADDRESS);
	assert_int_equal(v->mark, INSPECT_MARK_REJECT);
	assert_string_equal(fx->policy->vendors[v->decision.rule->vendor_id], "kaspersky");
	/* An unlisted name to the same address: the name decides. */
	t.sport++;
	handshake(fx, &t);
	n = hello(UNLISTED, h);
	v = send(fx, &t, h, n);
	assert_int_equal(v->decision.action, ACTION_NONE);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW);
	/* HTTP with an IP literal as Host. */
	struct pb_opts hp = t;
	hp.sport++;
	hp.dport = 80;
	handshake(fx, &hp);
	const char req[] = "GET / HTTP/1.1\r\nHost: 192.0.2.7\r\n\r\n";
	v = send(fx, &hp, req, sizeof(req) - 1);
	assert_int_equal(v->by, VERDICT_BY_ADDRESS);
	assert_int_equal(v->mark, INSPECT_MARK_REJECT);
	/* Another port: the SYN is judged. */
	struct pb_opts ssh = t;
	ssh.sport++;
	ssh.dport = 22;
	ssh.tcp_flags = 0x02;
	v = send(fx, &ssh, NULL, 0);
	assert_true(v->judged);
	assert_int_equal(v->mark, INSPECT_MARK_REJECT);
	/* The same to an address nobody learned. */
	ssh.dst[3] = 99;
	v = send(fx, &ssh, NULL, 0);
	assert_false(v->judged);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW);
	/* The address also answers an unlisted name: shared, alert only. */
	struct db u;
	db_init(&u, 4, "www.example.com", DNS_TYPE_A, 0);
	db_addr(&u, NULL, "192.0.2.7", 60);
	assert_false(send_response(fx, &u)->drop);
	ssh.dst[3] = 7;
	ssh.sport++;
	v = send(fx, &ssh, NULL, 0);
	assert_true(v->judged);
	assert_int_equal(v->decision.action, ACTION_ALERT);
	assert_int_equal(v->by, VERDICT_BY_SHARED);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW);
	/* learn-from: answers from another resolver teach nothing. */
	use_policy(fx, "learn-from 10.9.0.0/16\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	cloaked_response(&d, 5, CLOAK, LISTED);
	send_response(fx, &d);
	assert_int_equal(fx->v.nlearn, 0);
	/* A reload (another generation) does not use entries of the old one. */
	fx->policy->generation = 9;
	ssh.sport++;
	assert_false(send(fx, &ssh, NULL, 0)->judged);
}

/* ECH: an ECH hello whose outer name is a shipped front is blocked with `ech block`; a GREASE
 * hello (its outer name is the real one) passes; `ech allow` lets both through. A front learned
 * from a listed name's HTTPS records follows that vendor's own ech policy. */
static void test_ech_fronts(void **state)
{
	struct vfx *fx = *state;
	uint8_t ech[200], h[900];
	size_t en = hb_ech_outer(0x42, ech);
	struct pb_opts t = pb_default(6, 443);
	use_policy(fx, "ech block\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	handshake(fx, &t);
	size_t n = hb_client_hello_ext("cloudflare-ech.com", 0, 0xfe0d, ech, en, h, sizeof(h));
	const struct verdict *v = send(fx, &t, h, n);
	assert_true(fx->r.ech_outer);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->by, VERDICT_BY_ECH_FRONT);
	assert_int_equal(v->mark, INSPECT_MARK_REJECT);
	/* GREASE: the same extension, the real name outside. */
	t.sport++;
	handshake(fx, &t);
	n = hb_client_hello_ext(UNLISTED, 0, 0xfe0d, ech, en, h, sizeof(h));
	v = send(fx, &t, h, n);
	assert_true(fx->r.ech_outer);
	assert_int_equal(v->decision.action, ACTION_NONE);
	assert_int_equal(v->mark, INSPECT_MARK_FOLLOW);
	/* The front without ECH: a plain connection to that name. */
	t.sport++;
	handshake(fx, &t);
	n = hello("cloudflare-ech.com", h);
	assert_int_equal(send(fx, &t, h, n)->decision.action, ACTION_NONE);
	/* ech allow (the default). */
	use_policy(fx, "vendor kaspersky {\n *.kaspersky.com\n}\n");
	t.sport++;
	handshake(fx, &t);
	n = hb_client_hello_ext("cloudflare-ech.com", 0, 0xfe0d, ech, en, h, sizeof(h));
	assert_int_equal(send(fx, &t, h, n)->decision.action, ACTION_NONE);
	/* Learned: a listed name's HTTPS record publishes cover.example.net; the vendor blocks
	 * ECH, the global policy allows it. */
	use_policy(fx, "vendor kaspersky {\n ech block\n *.kaspersky.com\n}\n");
	struct learn_limits lim = {.per_family = 64, .grace_s = 300, .kernel = false};
	fx->learner = learn_new(&lim);
	verdict_judge_learn(&fx->judge, learn_table(fx->learner), true);
	struct db d;
	db_https_ech(&d, 6, "svc.kaspersky.com", NULL, 0, "cover.example.net");
	send_response(fx, &d);
	assert_int_equal(fx->v.nlearn, 1);
	t.sport++;
	handshake(fx, &t);
	n = hb_client_hello_ext("cover.example.net", 0, 0xfe0d, ech, en, h, sizeof(h));
	v = send(fx, &t, h, n);
	assert_int_equal(v->decision.action, ACTION_REJECT);
	assert_int_equal(v->by, VERDICT_BY_ECH_FRONT);
	assert_string_equal(fx->policy->vendors[v->decision.rule->vendor_id], "kaspersky");
	/* The shipped front stays allowed (the global policy). */
	t.sport++;
	handshake(fx, &t);
	n = hb_client_hello_ext("cloudflare-ech.com", 0, 0xfe0d, ech, en, h, sizeof(h));
	assert_int_equal(send(fx, &t, h, n)->decision.action, ACTION_NONE);
}

/* strip-ech: an HTTPS answer passing the gateway leaves without its ECH configuration, the
 * packet's checksums fixed; with strip-ech off, as it came. */
static void test_strip_ech(void **state)
{
	struct vfx *fx = *state;
	struct db d;
	db_https_ech(&d, 6, UNLISTED, (const uint8_t *)"\x00\x01\x00\x03\x02h2", 7,
		     "cloudflare-ech.com");
	const struct verdict *v = send_response(fx, &d);
	assert_null(v->payload);
	use_policy(fx, "strip-ech on\nvendor kaspersky {\n *.kaspersky.com\n}\n");
	v = send_response(fx, &d);
	assert_false(v->drop);
	assert_non_null(v->payload);
	assert_int_equal(v->stripped, 1);
	struct pkt pk;
	assert_int_equal(pkt_parse(v->payload, v->payload_len, false, &pk), PARSE_OK);
	assert_int_equal(pk.payload_len, d.n);
	struct dns_answer a;
	assert_int_equal(dns_answer_parse(pk.payload, pk.payload_len, false, &a), PARSE_OK);
	assert_false(a.has_ech);
	assert_int_equal(a.ech_params, 0);
	/* The UDP checksum covers the new bytes: recomputing changes nothing. */
	uint8_t copy[2048];
	memcpy(copy, v->payload, v->payload_len);
	assert_int_equal(pkt_fix_checksums(copy, v->payload_len, &pk), 0);
	assert_memory_equal(copy, v->payload, v->payload_len);
	/* No ECH: nothing rewritten. */
	db_init(&d, 7, UNLISTED, DNS_TYPE_A, 0);
	db_addr(&d, NULL, "192.0.2.1", 60);
	assert_null(send_response(fx, &d)->payload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allow_waits_for_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_then_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_then_real_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_server_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_decoys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_decoy_then_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_tcp_fake_then_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_every_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urgent_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_past_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_pointer_question, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_extension_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_far_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_before_stream_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_reset_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfinished_at_bound, setup, teardown),
		cmocka_unit_test(test_buffer_share),
		cmocka_unit_test(test_buffer_taken_from_heaviest),
#if EMBARGO_HAVE_QUIC
		cmocka_unit_test_setup_teardown(test_quic_other_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quic_same_id_decoy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cname_cloaking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cname_cloaking_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ech_fronts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strip_ech, setup, teardown),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
