/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the ClientHello parser: extensions, record fragmentation, prefixes of the
 * stream, malformed lengths, SSLv2, and hellos recorded from real clients. */
#include <stdio.h>

#include "test.h"

#include "embargo/tls.h"

/* What the test-side builder puts in a ClientHello. */
struct hello_opts {
	const char *sni;
	const char *alpn[3];
	uint16_t versions[4];
	unsigned nversions;
	bool ech, esni, dup_sni, no_extensions;
	size_t pad;		 /* bytes of a padding extension */
	const uint8_t *ech_body; /* with ech: the extension's body (else 4 bytes of 0xec) */
	size_t ech_len;
};

static size_t put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t ext_sni(uint8_t *p, const char *name)
{
	size_t n = strlen(name), w = 0;
	w += put16(p + w, TLS_EXT_SERVER_NAME);
	w += put16(p + w, n + 5);
	w += put16(p + w, n + 3);
	p[w++] = 0;
	w += put16(p + w, n);
	memcpy(p + w, name, n);
	return w + n;
}

/* The handshake message (4-byte header first). Returns its length. */
static size_t build_hello(const struct hello_opts *o, uint8_t *out)
{
	static uint8_t ext[20000];
	size_t e = 0;
	if (o->sni != NULL) {
		e += ext_sni(ext + e, o->sni);
		if (o->dup_sni) {
			e += ext_sni(ext + e, "second.example");
		}
	}
	if (o->alpn[0] != NULL) {
		uint8_t list[64];
		size_t l = 0;
		for (unsigned i = 0; i < 3 && o->alpn[i] != NULL; i++) {
			list[l++] = (uint8_t)strlen(o->alpn[i]);
			memcpy(list + l, o->alpn[i], strlen(o->alpn[i]));
			l += strlen(o->alpn[i]);
		}
		e += put16(ext + e, TLS_EXT_ALPN);
		e += put16(ext + e, l + 2);
		e += put16(ext + e, l);
		memcpy(ext + e, list, l);
		e += l;
	}
	if (o->nversions > 0) {
		e += put16(ext + e, TLS_EXT_SUPPORTED_VERSIONS);
		e += put16(ext + e, 1 + 2 * o->nversions);
		ext[e++] = (uint8_t)(2 * o->nversions);
		for (unsigned i = 0; i < o->nversions; i++) {
			e += put16(ext + e, o->versions[i]);
		}
	}
	if (o->ech && o->ech_body != NULL) {
		e += put16(ext + e, TLS_EXT_ECH);
		e += put16(ext + e, o->ech_len);
		memcpy(ext + e, o->ech_body, o->ech_len);
		e += o->ech_len;
	} else if (o->ech) {
		e += put16(ext + e, TLS_EXT_ECH);
		e += put16(ext + e, 4);
		memset(ext + e, 0xec, 4);
		e += 4;
	}
	if (o->esni) {
		e += put16(ext + e, TLS_EXT_ESNI);
		e += put16(ext + e, 0);
	}
	if (o->pad > 0) {
		e += put16(ext + e, 0x0015);
		e += put16(ext + e, o->pad);
		memset(ext + e, 0, o->pad);
		e += o->pad;
	}
	uint8_t *p = out + 4;
	size_t w = 0;
	w += put16(p + w, 0x0303);
	memset(p + w, 0x11, 32);
	w += 32;
	p[w++] = 32; /* session id */
	memset(p + w, 0x22, 32);
	w += 32;
	w += put16(p + w, 4);
	w += put16(p + w, 0x1301);
	w += put16(p + w, 0x1302);
	p[w++] = 1;
	p[w++] = 0;
	if (!o->no_extensions) {
		w += put16(p + w, e);
		memcpy(p + w, ext, e);
		w += e;
	}
	out[0] = 1;
	out[1] = (uint8_t)(w >> 16);
	out[2] = (uint8_t)(w >> 8);
	out[3] = (uint8_t)w;
	return w + 4;
}

/* Wrap a handshake message in records carrying at most `frag` bytes each. */
static size_t wrap_records(const uint8_t *msg, size_t len, size_t frag, uint8_t *out)
{
	size_t w = 0;
	for (size_t off = 0; off < len; off += frag) {
		size_t n = len - off < frag ? len - off : frag;
		out[w++] = 0x16;
		out[w++] = 0x03;
		out[w++] = 0x01;
		w += put16(out + w, n);
		memcpy(out + w, msg + off, n);
		w += n;
	}
	return w;
}

static bool span_is(struct span s, const char *text)
{
	return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static void test_fields(void **state)
{
	static uint8_t msg[4096], rec[8192], scratch[TLS_HELLO_MAX];
	struct hello_opts o = {.sni = "Upd.Kaspersky.com",
			       .alpn = {"h2", "http/1.1"},
			       .versions = {0x3a3a, 0x0304, 0x0303},
			       .nversions = 3,
			       .ech = true};
	size_t n = build_hello(&o, msg);
	struct tls_hello h;
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_OK);
	assert_true(h.has_sni);
	assert_true(span_is(h.sni, "Upd.Kaspersky.com"));
	assert_true(span_is(h.alpn_first, "h2"));
	assert_int_equal(h.alpn.len, 12);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_int_equal(h.max_version, 0x0304); /* GREASE 0x3a3a ignored */
	assert_true(h.has_ech);
	assert_false(h.ech_outer); /* four bytes are no ECHClientHello */
	assert_false(h.has_esni);
	assert_int_equal(h.hello_len, n);

	size_t r = wrap_records(msg, n, 16384, rec);
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, "Upd.Kaspersky.com"));
	assert_true(h.sni.ptr >= rec && h.sni.ptr < rec + r); /* one record: no copy */
}

static void test_no_sni_no_extensions(void **state)
{
	static uint8_t msg[4096];
	struct hello_opts o = {.esni = true};
	struct tls_hello h;
	size_t n = build_hello(&o, msg);
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_OK);
	assert_false(h.has_sni);
	assert_true(h.has_esni);
	struct hello_opts bare = {.no_extensions = true};
	n = build_hello(&bare, msg);
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_OK);
	assert_false(h.has_sni);
	assert_int_equal(h.max_version, 0x0303);
}

/* Every prefix shorter than the stream must be NEED_MORE; the whole stream gives the name. */
static void check_prefixes(const uint8_t *stream, size_t len, const char *sni)
{
	static uint8_t scratch[TLS_HELLO_MAX];
	struct tls_hello h;
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *pre = test_exact_copy(stream, cut);
		enum parse_result r = tls_stream_hello(pre, cut, scratch, sizeof(scratch), &h);
		if (r != PARSE_NEED_MORE) {
			fprintf(stderr, "prefix %zu of %zu: %s\n", cut, len, parse_result_str(r));
		}
		assert_int_equal(r, PARSE_NEED_MORE);
		free(pre);
	}
	uint8_t *all = test_exact_copy(stream, len);
	assert_int_equal(tls_stream_hello(all, len, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, sni));
	free(all);
}

static void test_fragmented_records(void **state)
{
	static uint8_t msg[4096], rec[40000];
	struct hello_opts o = {.sni = "dnl-01.geo.kaspersky.com", .alpn = {"h2"}, .pad = 1650};
	size_t n = build_hello(&o, msg);
	assert_true(n > 1700); /* the size of a post-quantum key share hello */
	check_prefixes(rec, wrap_records(msg, n, 16384, rec), "dnl-01.geo.kaspersky.com");
	check_prefixes(rec, wrap_records(msg, n, 7, rec), "dnl-01.geo.kaspersky.com");
	struct hello_opts small = {.sni = "x.example"};
	n = build_hello(&small, msg);
	check_prefixes(rec, wrap_records(msg, n, 1, rec), "x.example");
}

static void test_sni_cut_across_records(void **state)
{
	static uint8_t msg[4096], rec[8192], scratch[TLS_HELLO_MAX];
	struct hello_opts o = {.sni = "telemetry.kaspersky-labs.com"};
	size_t n = build_hello(&o, msg);
	const uint8_t *at = memmem(msg, n, "kaspersky", 9);
	assert_non_null(at);
	size_t cut = (size_t)(at - msg) + 4; /* inside the name */
	size_t r = wrap_records(msg, cut, cut, rec);
	r += wrap_records(msg + cut, n - cut, n, rec + r);
	struct tls_hello h;
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, "telemetry.kaspersky-labs.com"));
	assert_true(h.sni.ptr >= scratch && h.sni.ptr < scratch + sizeof(scratch));
	check_prefixes(rec, r, "telemetry.kaspersky-labs.com");
}

static void test_malformed(void **state)
{
	static uint8_t msg[4096], rec[8192], scratch[TLS_HELLO_MAX];
	struct tls_hello h;
	struct hello_opts o = {.sni = "a.example"};
	size_t n = build_hello(&o, msg);

	/* The extensions block claims more than there is. */
	size_t ext_len_at = 4 + 2 + 32 + 1 + 32 + 2 + 4 + 2;
	msg[ext_len_at + 1]++;
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_MALFORMED);
	msg[ext_len_at + 1]--;
	/* The server_name list length does not match its extension. */
	msg[ext_len_at + 2 + 4 + 1]--;
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_MALFORMED);
	msg[ext_len_at + 2 + 4 + 1]++;
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_OK);
	/* Two server_name extensions. */
	struct hello_opts dup = {.sni = "a.example", .dup_sni = true};
	n = build_hello(&dup, msg);
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_MALFORMED);
	/* Not a ClientHello. */
	msg[0] = 2;
	assert_int_equal(tls_handshake_hello(msg, n, &h), PARSE_NOT_MINE);
	/* A hello larger than TLS_HELLO_MAX. */
	uint8_t big[4] = {1, 0x01, 0x00, 0x00};
	assert_int_equal(tls_handshake_hello(big, sizeof(big), &h), PARSE_MALFORMED);

	n = build_hello(&o, msg);
	size_t r = wrap_records(msg, n, n, rec);
	rec[3] = 0, rec[4] = 0; /* empty record */
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_MALFORMED);
	r = wrap_records(msg, n, n, rec);
	rec[0] = 23; /* application data first */
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_NOT_MINE);
	rec[0] = 0x16;
	rec[1] = 0x02; /* not TLS 1.x */
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_NOT_MINE);
	assert_int_equal(tls_stream_hello((const uint8_t *)"GET / HTTP/1.1\r\n", 16, scratch,
					  sizeof(scratch), &h),
			 PARSE_NOT_MINE);
	/* A record after the first that is not a handshake record. */
	r = wrap_records(msg, 10, 10, rec);
	r += wrap_records(msg + 10, n - 10, n, rec + r);
	rec[15] = 21;
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_MALFORMED);
}

static void test_sslv2(void **state)
{
	static uint8_t scratch[TLS_HELLO_MAX];
	/* length 0x8000|25, CLIENT-HELLO, version 3.1, cipher-spec 3, session 0, challenge 16 */
	uint8_t v2[27] = {0x80, 25, 1, 3, 1, 0, 3, 0, 0, 0, 16, 0x00, 0x00, 0x04};
	struct tls_hello h;
	assert_int_equal(tls_stream_hello(v2, sizeof(v2), scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(h.is_sslv2);
	assert_false(h.has_sni);
	assert_int_equal(h.legacy_version, 0x0301);
	assert_int_equal(tls_stream_hello(v2, 10, scratch, sizeof(scratch), &h), PARSE_NEED_MORE);
	v2[2] = 4; /* SERVER-HELLO */
	assert_int_equal(tls_stream_hello(v2, sizeof(v2), scratch, sizeof(scratch), &h),
			 PARSE_NOT_MINE);
}

static void test_truncation_sweep(void **state)
{
	static uint8_t msg[4096];
	struct hello_opts o = {.sni = "a.example",
			       .alpn = {"h2", "http/1.1"},
			       .versions = {0x0304},
			       .nversions = 1,
			       .ech = true};
	size_t n = build_hello(&o, msg);
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *pre = test_exact_copy(msg, cut);
		struct tls_hello h;
		assert_int_equal(tls_handshake_hello(pre, cut, &h), PARSE_NEED_MORE);
		free(pre);
	}
	/* Corrupt each byte in turn: never a crash, never a name outside the buffer. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *c = test_exact_copy(msg, n);
		c[i] ^= 0xff;
		struct tls_hello h;
		if (tls_handshake_hello(c, n, &h) == PARSE_OK && h.has_sni) {
			assert_true(h.sni.ptr >= c && h.sni.ptr + h.sni.len <= c + n);
		}
		free(c);
	}
}

static size_t read_fixture(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/data/%s", TEST_SRCDIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_real_clients(void **state)
{
	static uint8_t buf[8192], scratch[TLS_HELLO_MAX];
	struct tls_hello h;
	size_t n = read_fixture("tls-openssl-hello.bin", buf, sizeof(buf));
	assert_int_equal(tls_stream_hello(buf, n, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, "example.test"));
	assert_true(span_is(h.alpn_first, "h2"));
	assert_int_equal(h.max_version, 0x0304);
	check_prefixes(buf, h.hello_len + 5, "example.test");

	n = read_fixture("tls-curl-hello.bin", buf, sizeof(buf));
	assert_int_equal(tls_stream_hello(buf, n, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, "www.example.test"));
	assert_true(span_is(h.alpn_first, "h2"));
	/* The same hello re-cut into 5-byte records, as an evasive client would send it. */
	static uint8_t rec[20000];
	size_t r = wrap_records(buf + 5, h.hello_len, 5, rec);
	assert_int_equal(tls_stream_hello(rec, r, scratch, sizeof(scratch), &h), PARSE_OK);
	assert_true(span_is(h.sni, "www.example.test"));
}

/* An outer ECHClientHello (real and GREASE look alike) is told from other extension bodies;
 * a body in another form leaves the hello as it is. */
static void test_ech(void **state)
{
	static uint8_t msg[4096];
	uint8_t body[64] = {0, 0, 1, 0, 1, 0x5c, 0, 32};
	size_t n = 8;
	memset(body + n, 0x11, 32);
	n += 32;
	body[n++] = 0, body[n++] = 16;
	memset(body + n, 0x22, 16);
	n += 16;
	struct hello_opts o = {
		.sni = "cloudflare-ech.com", .ech = true, .ech_body = body, .ech_len = n};
	struct tls_hello h;
	size_t len = build_hello(&o, msg);
	assert_int_equal(tls_handshake_hello(msg, len, &h), PARSE_OK);
	assert_true(h.has_ech);
	assert_true(h.ech_outer);
	assert_int_equal(h.ech_config_id, 0x5c);
	/* Inner type (1), an empty payload, a body cut short, one byte too many. */
	const size_t cuts[] = {n, n, n - 3, n + 1};
	for (size_t i = 0; i < 4; i++) {
		uint8_t b[80];
		memcpy(b, body, n);
		b[n] = 0;
		if (i == 0) {
			b[0] = 1;
		}
		if (i == 1) {
			b[n - 16 - 1] = 0;
			o.ech_len = n - 16;
		} else {
			o.ech_len = cuts[i];
		}
		o.ech_body = b;
		len = build_hello(&o, msg);
		assert_int_equal(tls_handshake_hello(msg, len, &h), PARSE_OK);
		assert_true(h.has_ech);
		assert_false(h.ech_outer);
		assert_true(span_is(h.sni, "cloudflare-ech.com"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_no_sni_no_extensions),
		cmocka_unit_test(test_fragmented_records),
		cmocka_unit_test(test_sni_cut_across_records),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_sslv2),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_real_clients),
		cmocka_unit_test(test_ech),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
