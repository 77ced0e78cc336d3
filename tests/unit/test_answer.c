/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for DNS responses: chains through CNAME, DNAME and HTTPS targets, the addresses
 * and ECH public names of a chain, bounds, cuts at every offset, and strip-ech. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "test.h"

#include "embargo/answer.h"
#include "embargo/dns.h"
#include "dnsbuild.h"

static enum parse_result parse(const struct db *d, size_t len, bool cut_ok, struct dns_answer *a)
{
	uint8_t *c = test_exact_copy(d->b, len);
	enum parse_result r = dns_answer_parse(c, len, cut_ok, a);
	free(c);
	return r;
}

static void assert_addr(const struct answer_addr *a, const char *text, unsigned owner)
{
	char buf[64];
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf, sizeof(buf));
	assert_string_equal(buf, text);
	assert_int_equal(a->owner, owner);
}

/* An unlisted name whose CNAMEs reach another name: the chain in order, the addresses of its
 * end only (a record of an unrelated name is not the chain's). */
static void test_cname_chain(void **state)
{
	struct db d;
	db_init(&d, 0x1234, "Cloak.Example.org", DNS_TYPE_A, 0);
	db_alias(&d, NULL, DNS_TYPE_CNAME, "cdn.vendor.net");
	db_alias(&d, "cdn.vendor.net", DNS_TYPE_CNAME, "upd.kaspersky.com");
	db_addr(&d, "upd.kaspersky.com", "192.0.2.7", 60);
	db_addr(&d, "upd.kaspersky.com", "192.0.2.8", 30);
	db_addr(&d, "other.example", "198.51.100.1", 60);
	db_addr(&d, "upd.kaspersky.com", "2001:db8::7", 90);
	struct dns_answer a;
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.id, 0x1234);
	assert_int_equal(a.qtype, DNS_TYPE_A);
	assert_false(a.cut);
	assert_int_equal(a.nchain, 3);
	assert_string_equal(a.chain[0].text, "cloak.example.org");
	assert_string_equal(a.chain[1].text, "cdn.vendor.net");
	assert_string_equal(a.chain[2].text, "upd.kaspersky.com");
	assert_int_equal(a.naddrs, 3);
	assert_addr(&a.addrs[0], "192.0.2.7", 2);
	assert_int_equal(a.addrs[0].ttl, 60);
	assert_addr(&a.addrs[1], "192.0.2.8", 2);
	assert_int_equal(a.addrs[1].ttl, 30);
	assert_addr(&a.addrs[2], "2001:db8::7", 2);
	assert_false(a.has_ech);
	assert_int_equal(a.dropped, 0);
	/* Records in another order: the chain is the same. */
	db_init(&d, 1, "cloak.example.org", DNS_TYPE_A, 0);
	db_addr(&d, "upd.kaspersky.com", "192.0.2.7", 60);
	db_alias(&d, "cdn.vendor.net", DNS_TYPE_CNAME, "upd.kaspersky.com");
	db_alias(&d, NULL, DNS_TYPE_CNAME, "cdn.vendor.net");
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, 3);
	assert_string_equal(a.chain[2].text, "upd.kaspersky.com");
	assert_int_equal(a.naddrs, 1);
}

/* DNAME (RFC 6672): the name below its owner is rewritten, with or without the synthesised
 * CNAME a server sends alongside. */
static void test_dname(void **state)
{
	for (int with_cname = 0; with_cname < 2; with_cname++) {
		struct db d;
		db_init(&d, 2, "a.b.old.example", DNS_TYPE_AAAA, 0);
		db_alias(&d, "old.example", DNS_TYPE_DNAME, "kaspersky.com");
		if (with_cname) {
			db_alias(&d, NULL, DNS_TYPE_CNAME, "a.b.kaspersky.com");
		}
		db_addr(&d, "a.b.kaspersky.com", "2001:db8::1", 60);
		struct dns_answer a;
		assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
		assert_int_equal(a.nchain, 2);
		assert_string_equal(a.chain[1].text, "a.b.kaspersky.com");
		assert_int_equal(a.naddrs, 1);
		assert_addr(&a.addrs[0], "2001:db8::1", 1);
	}
	/* The DNAME's owner itself is not rewritten (only names strictly below it). */
	struct db d;
	db_init(&d, 3, "old.example", DNS_TYPE_A, 0);
	db_alias(&d, NULL, DNS_TYPE_DNAME, "kaspersky.com");
	struct dns_answer a;
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, 1);
}

/* HTTPS records: the hints are addresses of their owner, the ech parameter's configurations
 * give public names, an AliasMode target continues the chain. */
static void test_https(void **state)
{
	uint8_t p[1024], ech[512];
	size_t n = 0;
	db_param(p, &n, SVC_KEY_ALPN, "\x02h2", 3);
	db_param(p, &n, SVC_KEY_IPV4HINT, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	size_t en = db_ech_config_list(ech, "Cover.Example.net", 7);
	db_param(p, &n, SVC_KEY_ECH, ech, en);
	db_param(p, &n, SVC_KEY_IPV6HINT,
		 "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	struct db d;
	db_init(&d, 4, "svc.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", p, n);
	struct dns_answer a;
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, 1);
	assert_int_equal(a.naddrs, 3);
	assert_addr(&a.addrs[0], "192.0.2.1", 0);
	assert_addr(&a.addrs[1], "192.0.2.2", 0);
	assert_addr(&a.addrs[2], "2001:db8::1", 0);
	assert_int_equal(a.addrs[0].ttl, 300);
	assert_true(a.has_ech);
	assert_int_equal(a.ech_params, 1);
	assert_int_equal(a.nfronts, 1);
	assert_string_equal(a.fronts[0].text, "cover.example.net");
	/* AliasMode to another name, whose ServiceMode record sits in the additional section:
	 * the target joins the chain (the record outside the answer section counts for
	 * strip-ech only). */
	db_init(&d, 5, "www.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 0, "svc.kaspersky.com", NULL, 0);
	db_svcb(&d, DB_AR, "svc.kaspersky.com", DNS_TYPE_HTTPS, 1, ".", p, n);
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, 2);
	assert_string_equal(a.chain[1].text, "svc.kaspersky.com");
	assert_int_equal(a.naddrs, 0);
	assert_false(a.has_ech);
	assert_int_equal(a.ech_params, 1);
	/* Keys out of order: malformed (a client drops the record too). */
	uint8_t bad[64];
	size_t bn = 0;
	db_param(bad, &bn, SVC_KEY_IPV6HINT,
		 "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00"
		 "\x00\x00\x00\x01",
		 16);
	db_param(bad, &bn, SVC_KEY_IPV4HINT, "\xc0\x00\x02\x01", 4);
	db_init(&d, 6, "svc.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", bad, bn);
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_MALFORMED);
	/* A hint whose length is not a multiple of an address. */
	bn = 0;
	db_param(bad, &bn, SVC_KEY_IPV4HINT, "\xc0\x00\x02\x01\x01", 5);
	db_init(&d, 7, "svc.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", bad, bn);
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_MALFORMED);
}

/* Loops end, long chains are cut at the bound and counted, a query is not an answer. */
static void test_bounds(void **state)
{
	struct db d;
	db_init(&d, 8, "a.example", DNS_TYPE_A, 0);
	db_alias(&d, "a.example", DNS_TYPE_CNAME, "b.example");
	db_alias(&d, "b.example", DNS_TYPE_CNAME, "a.example");
	struct dns_answer a;
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, 2);
	db_init(&d, 9, "n0.example", DNS_TYPE_A, 0);
	for (int i = 0; i < 20; i++) {
		char o[32], t[32];
		snprintf(o, sizeof(o), "n%d.example", i);
		snprintf(t, sizeof(t), "n%d.example", i + 1);
		db_alias(&d, o, DNS_TYPE_CNAME, t);
	}
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.nchain, ANSWER_ALIASES_MAX < ANSWER_CHAIN_MAX ? ANSWER_ALIASES_MAX + 1
									 : ANSWER_CHAIN_MAX);
	assert_true(a.dropped > 0);
	db_init(&d, 10, "a.example", DNS_TYPE_A, 0);
	for (int i = 0; i < ANSWER_ADDRS_MAX + 4; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		db_addr(&d, NULL, addr, 60);
	}
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_int_equal(a.naddrs, ANSWER_ADDRS_MAX);
	assert_int_equal(a.dropped, 4);
	d.b[2] &= 0x7f; /* QR off: a query */
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_NOT_MINE);
	assert_int_equal(parse(&d, 11, true, &a), PARSE_NOT_MINE);
}

/* Cut at every offset: without cut_ok only the whole message parses; with it (a response's
 * first TCP segment) every prefix does, and what it finds is what the whole message says so
 * far. */
static void test_cut(void **state)
{
	uint8_t p[512], ech[256];
	size_t n = 0;
	size_t en = db_ech_config_list(ech, "cover.example.net", 1);
	db_param(p, &n, SVC_KEY_ECH, ech, en);
	struct db d;
	db_init(&d, 11, "cloak.example.org", DNS_TYPE_HTTPS, 0);
	db_alias(&d, NULL, DNS_TYPE_CNAME, "upd.kaspersky.com");
	db_svcb(&d, DB_AN, "upd.kaspersky.com", DNS_TYPE_HTTPS, 1, ".", p, n);
	db_addr(&d, "upd.kaspersky.com", "192.0.2.1", 60);
	struct dns_answer whole, a;
	assert_int_equal(parse(&d, d.n, false, &whole), PARSE_OK);
	assert_int_equal(whole.nchain, 2);
	assert_int_equal(whole.naddrs, 1);
	assert_int_equal(whole.nfronts, 1);
	for (size_t cut = 0; cut < d.n; cut++) {
		enum parse_result r = parse(&d, cut, false, &a);
		assert_true(r == (cut < DNS_HEADER_LEN ? PARSE_NOT_MINE : PARSE_MALFORMED));
		r = parse(&d, cut, true, &a);
		assert_int_equal(r, cut < DNS_HEADER_LEN ? PARSE_NOT_MINE : PARSE_OK);
		if (r == PARSE_OK) {
			assert_true(a.cut);
			assert_true(a.nchain <= whole.nchain);
			assert_true(a.naddrs <= whole.naddrs);
			for (unsigned i = 0; i < a.nchain; i++) {
				assert_string_equal(a.chain[i].text, whole.chain[i].text);
			}
		}
	}
}

/* The parameters of the first HTTPS/SVCB record of `b` as (key, length) pairs. */
static size_t record_keys(const uint8_t *b, size_t n, uint16_t *keys, uint16_t *lens, size_t max,
			  size_t *rdata_len)
{
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(b, n, &m), PARSE_OK);
	size_t pos = m.questions_end;
	struct dns_rr rr;
	do {
		assert_int_equal(dns_rr_next(b, n, &pos, &rr), PARSE_OK);
	} while (rr.type != DNS_TYPE_HTTPS && rr.type != DNS_TYPE_SVCB);
	*rdata_len = rr.rdata_len;
	size_t k = 0;
	for (size_t p = rr.params_off; p < rr.rdata_off + rr.rdata_len && k < max; k++) {
		keys[k] = (uint16_t)(b[p] << 8 | b[p + 1]);
		lens[k] = (uint16_t)(b[p + 2] << 8 | b[p + 3]);
		p += 4u + lens[k];
	}
	return k;
}

/* strip-ech renames the ech parameter, zeroes it and moves it last: the same length, the
 * other parameters and records untouched, no ECH configuration left for a client. */
static void test_strip(void **state)
{
	uint8_t p[1024], ech[256];
	size_t n = 0;
	db_param(p, &n, SVC_KEY_ALPN, "\x02h3\x02h2", 6);
	size_t en = db_ech_config_list(ech, "cover.example.net", 1);
	db_param(p, &n, SVC_KEY_ECH, ech, en);
	db_param(p, &n, SVC_KEY_IPV6HINT,
		 "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	struct db d;
	db_init(&d, 12, "www.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", p, n);
	db_svcb(&d, DB_AR, "alt.example.com", DNS_TYPE_SVCB, 2, "pool.example.com", p, n);
	db_addr(&d, "www.example.com", "192.0.2.9", 60);
	d.b[7] = 1, d.b[11] = 2; /* the A record counted in the additional section */
	struct db before = d;
	assert_int_equal(dns_strip_ech(before.b, before.n, d.b), 2);
	uint16_t keys[8], lens[8];
	size_t rl;
	size_t k = record_keys(d.b, d.n, keys, lens, 8, &rl);
	assert_int_equal(k, 3);
	assert_int_equal(keys[0], SVC_KEY_ALPN);
	assert_int_equal(keys[1], SVC_KEY_IPV6HINT);
	assert_int_equal(keys[2], SVC_KEY_STRIPPED);
	assert_int_equal(lens[2], en);
	struct dns_answer a;
	assert_int_equal(parse(&d, d.n, false, &a), PARSE_OK);
	assert_false(a.has_ech);
	assert_int_equal(a.ech_params, 0);
	assert_int_equal(a.naddrs, 1);
	assert_addr(&a.addrs[0], "2001:db8::1", 0);
	/* Only the rdata of the two records changed; the tail (the A record) is the same. */
	assert_memory_equal(d.b + d.n - 16 - 14, before.b + before.n - 16 - 14, 14);
	/* The zeroed value: nothing of the configuration is left. */
	const uint8_t zero[256] = {0};
	size_t first_end = 0;
	for (size_t i = 0; i + 4 <= d.n; i++) {
		if (d.b[i] == 0xff && d.b[i + 1] == 0xfe) {
			first_end = i;
			break;
		}
	}
	assert_true(first_end > 0);
	assert_memory_equal(d.b + first_end + 4, zero, en);
	/* Done already: nothing more to strip. */
	struct db again;
	assert_int_equal(dns_strip_ech(d.b, d.n, again.b), 0);
	assert_memory_equal(again.b, d.b, d.n);
	/* A query is refused, a record whose parameters do not parse is left alone. */
	struct db q = before;
	q.b[2] &= 0x7f;
	assert_int_equal(dns_strip_ech(q.b, q.n, again.b), -EINVAL);
	uint8_t bad[600];
	size_t bn = 0;
	db_param(bad, &bn, SVC_KEY_ECH, ech, en);
	db_param(bad, &bn, SVC_KEY_ALPN, "\x02h2", 3);
	db_init(&d, 13, "www.example.com", DNS_TYPE_HTTPS, 0);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", bad, bn);
	assert_int_equal(dns_strip_ech(d.b, d.n, again.b), 0);
	assert_memory_equal(again.b, d.b, d.n);
	/* A CNAME whose target points into the parameters that would move (no real server
	 * writes one): after the rewrite it would read another name, so nothing changes. */
	db_init(&d, 15, "www.example.com", DNS_TYPE_HTTPS, 0);
	uint8_t pp[600];
	size_t pn = 0;
	db_param(pp, &pn, SVC_KEY_ECH, ech, en);
	db_param(pp, &pn, SVC_KEY_IPV6HINT,
		 "\x03"
		 "abc\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		 16);
	db_svcb(&d, DB_AN, NULL, DNS_TYPE_HTTPS, 1, ".", pp, pn);
	size_t hint_at = d.n - 16;
	uint8_t ptr[2] = {(uint8_t)(0xc0 | hint_at >> 8), (uint8_t)hint_at};
	db_rr(&d, DB_AN, NULL, DNS_TYPE_CNAME, 60, ptr, 2);
	struct dns_answer pa;
	assert_int_equal(parse(&d, d.n, false, &pa), PARSE_OK);
	assert_int_equal(pa.nchain, 2);
	assert_string_equal(pa.chain[1].text, "abc");
	assert_int_equal(dns_strip_ech(d.b, d.n, again.b), 0);
	assert_memory_equal(again.b, d.b, d.n);
}

/* strip-ech on every prefix: whole records are rewritten, the rest is not touched, and
 * nothing is read or written past the bytes given. */
static void test_strip_cut(void **state)
{
	struct db d;
	db_https_ech(&d, 14, "www.example.com", NULL, 0, "cover.example.net");
	size_t first = d.n;
	/* The same record again, priority 2. */
	size_t rlen = first - (12 + 17 + 4);
	memcpy(d.b + first, d.b + first - rlen, rlen);
	d.b[first + 13] = 2; /* SvcPriority, after the owner pointer and 10 bytes */
	d.n += rlen;
	d.b[7] = 2;
	for (size_t cut = 0; cut <= d.n; cut++) {
		uint8_t *c = test_exact_copy(d.b, cut);
		uint8_t *o = test_exact_copy(d.b, cut);
		int r = dns_strip_ech(c, cut, o);
		int want = cut < DNS_HEADER_LEN ? -EINVAL : cut < first ? 0 : cut < d.n ? 1 : 2;
		assert_int_equal(r, want);
		if (cut < first) {
			assert_memory_equal(o, d.b, cut);
		}
		assert_memory_equal(c, d.b, cut);
		free(c);
		free(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cname_chain), cmocka_unit_test(test_dname),
		cmocka_unit_test(test_https),	    cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_cut),	    cmocka_unit_test(test_strip),
		cmocka_unit_test(test_strip_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
