/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the HTTP request head parser: request-line forms, the Host header, prefixes,
 * malformed heads, and a request recorded from curl. */
#include <stdio.h>

#include "test.h"

#include "embargo/http.h"

static enum parse_result parse(const char *text, struct http_request *req)
{
	size_t n = strlen(text);
	uint8_t *copy = test_exact_copy((const uint8_t *)text, n);
	enum parse_result r = http_request_parse(copy, n, req);
	/* Spans point into the copy: compare them before it goes. */
	static char host[512];
	snprintf(host, sizeof(host), "%.*s", (int)req->host.len, (const char *)req->host.ptr);
	req->host.ptr = (const uint8_t *)host;
	static char host2[512];
	snprintf(host2, sizeof(host2), "%.*s", (int)req->host2.len, (const char *)req->host2.ptr);
	req->host2.ptr = (const uint8_t *)host2;
	free(copy);
	return r;
}

static void host_is(const char *text, const char *want, bool from_target)
{
	struct http_request req;
	assert_int_equal(parse(text, &req), PARSE_OK);
	assert_int_equal(req.host.len, strlen(want));
	assert_memory_equal(req.host.ptr, want, req.host.len);
	assert_int_equal(req.host_from_target, from_target);
}

static void test_host_forms(void **state)
{
	host_is("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com", false);
	host_is("GET / HTTP/1.1\r\nhOsT:example.com:8080\r\n\r\n", "example.com", false);
	host_is("GET / HTTP/1.1\r\nHost: \t www.Example.com \t\r\n\r\n", "www.Example.com", false);
	host_is("GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "[::1]", false);
	host_is("GET / HTTP/1.1\nHost: bare-lf.example\n\n", "bare-lf.example", false);
	host_is("GET http://Proxy.Example:3128/x?y HTTP/1.1\r\nHost: other.example\r\n\r\n",
		"Proxy.Example", true);
	host_is("GET HTTPS://user:pw@secure.example/ HTTP/1.1\r\n\r\n", "secure.example", true);
	host_is("CONNECT apache.org:443 HTTP/1.1\r\nHost: apache.org:443\r\n\r\n", "apache.org",
		true);
	host_is("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n", "[2001:db8::1]", true);
	/* Host known before the head ends: decided at once. */
	host_is("POST /upload HTTP/1.1\r\nHost: early.example\r\nContent-Le", "early.example",
		false);
}

static void test_versions_and_no_host(void **state)
{
	struct http_request req;
	assert_int_equal(parse("GET /index.html\r\n", &req), PARSE_OK);
	assert_int_equal(req.version_major, 0);
	assert_int_equal(req.version_minor, 9);
	assert_int_equal(req.host.len, 0);
	assert_int_equal(parse("GET / HTTP/1.0\r\nAccept: */*\r\n\r\nbody", &req), PARSE_OK);
	assert_int_equal(req.version_minor, 0);
	assert_int_equal(req.host.len, 0);
	assert_true(req.head_complete);
	/* Garbage after a complete request does not matter. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: zeek.org\r\n\r\n\x01\x02garbage", &req),
			 PARSE_OK);
}

static void test_two_hosts(void **state)
{
	struct http_request req;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: decoy.example\r\nX: 1\r\nHost: "
			       "upd.kaspersky.com\r\n\r\n",
			       &req),
			 PARSE_OK);
	assert_true(req.host_conflict);
	assert_memory_equal(req.host2.ptr, "upd.kaspersky.com", 17);
	assert_int_equal(
		parse("GET / HTTP/1.1\r\nHost: a.example\r\nHost: A.example:80\r\n\r\n", &req),
		PARSE_OK);
	assert_false(req.host_conflict);
}

static void test_not_http_and_malformed(void **state)
{
	struct http_request req;
	assert_int_equal(parse("\x16\x03\x01\x02\x00", &req), PARSE_NOT_MINE);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n\r\n", &req), PARSE_NOT_MINE);
	assert_int_equal(parse(" GET / HTTP/1.1\r\n", &req), PARSE_NOT_MINE);
	assert_int_equal(parse("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", &req), PARSE_MALFORMED);
	assert_int_equal(parse("GET / HTTX/1.1\r\n\r\n", &req), PARSE_MALFORMED);
	assert_int_equal(parse("GET \r\n", &req), PARSE_MALFORMED);
	/* A head that never ends is cut off at HTTP_HEAD_MAX. */
	size_t n = HTTP_HEAD_MAX + 100;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "GET / HTTP/1.1\r\nX-Long: ", 24);
	memset(big + 24, 'a', n - 24);
	big[n] = '\0';
	assert_int_equal(parse(big, &req), PARSE_MALFORMED);
	free(big);
}

/* Every prefix gives NEED_MORE or the right host, never another one. */
static void check_prefixes(const char *text, const char *want)
{
	size_t n = strlen(text);
	bool seen_ok = false;
	for (size_t cut = 0; cut <= n; cut++) {
		uint8_t *pre = test_exact_copy((const uint8_t *)text, cut);
		struct http_request req;
		enum parse_result r = http_request_parse(pre, cut, &req);
		if (r == PARSE_OK) {
			assert_int_equal(req.host.len, strlen(want));
			assert_memory_equal(req.host.ptr, want, req.host.len);
			seen_ok = true;
		} else {
			assert_int_equal(r, PARSE_NEED_MORE);
			assert_false(seen_ok);
		}
		free(pre);
	}
	assert_true(seen_ok);
}

static void test_prefixes(void **state)
{
	check_prefixes("GET /update HTTP/1.1\r\nUser-Agent: t\r\nHost: dnl-01.geo.kaspersky.com:80"
		       "\r\nAccept: */*\r\n\r\n",
		       "dnl-01.geo.kaspersky.com");
	check_prefixes("GET http://a.example/ HTTP/1.1\r\n\r\n", "a.example");
}

static void test_real_curl(void **state)
{
	char path[1024];
	uint8_t buf[4096];
	snprintf(path, sizeof(path), "%s/data/http-curl-request.bin", TEST_SRCDIR);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct http_request req;
	assert_int_equal(http_request_parse(buf, n, &req), PARSE_OK);
	assert_int_equal(req.host.len, 16);
	assert_memory_equal(req.host.ptr, "www.example.test", 16);
	assert_int_equal(req.target.len, 17);
	assert_memory_equal(req.method.ptr, "GET", 3);
	assert_int_equal(req.version_minor, 1);
}

/* Body framing of a complete head: Content-Length, chunked (which wins), bad lengths. */
static void test_framing(void **state)
{
	struct http_request req;
	const char *cl = "POST /u HTTP/1.1\r\nHost: a.example\r\nContent-Length: 42\r\n\r\nbody";
	assert_int_equal(parse(cl, &req), PARSE_OK);
	assert_true(req.head_complete);
	assert_int_equal(req.head_len, strlen(cl) - 4);
	assert_false(req.chunked);
	assert_int_equal(req.content_length, 42);
	/* The same length twice, in a list: one length. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nHost: a\r\n\r\n", &req),
			 PARSE_OK);
	assert_int_equal(req.content_length, 7);
	/* Two different lengths, or a bad one: the body cannot be framed. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n"
			       "\r\n",
			       &req),
			 PARSE_MALFORMED);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 7x\r\n\r\n", &req),
			 PARSE_MALFORMED);
	/* chunked wins over Content-Length (RFC 9112 section 6.3). */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 7\r\nTransfer-Encoding: gzip, "
			       "chunked\r\nHost: a\r\n\r\n",
			       &req),
			 PARSE_OK);
	assert_true(req.chunked);
	assert_int_equal(req.content_length, 0);
	/* A request body whose length cannot be known. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &req),
			 PARSE_MALFORMED);
	/* No body at all. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &req), PARSE_OK);
	assert_int_equal(req.content_length, 0);
	assert_false(req.chunked);
}

/* Walk `body` in pieces of `piece` bytes as a stream would deliver it; returns the bytes walked
 * when the body ended (0 if it did not). */
static size_t walk_pieces(const char *body, size_t piece, enum parse_result *last)
{
	struct http_chunks st;
	memset(&st, 0, sizeof(st));
	size_t len = strlen(body), done = 0;
	for (size_t have = piece; done < len; have += piece) {
		size_t avail = (have < len ? have : len) - done;
		size_t used = 0;
		uint8_t *copy = test_exact_copy((const uint8_t *)body + done, avail);
		*last = http_chunks_walk(copy, avail, &st, &used);
		free(copy);
		done += used;
		if (*last != PARSE_NEED_MORE) {
			return *last == PARSE_OK ? done : 0;
		}
		if (have >= len + piece) {
			break;
		}
	}
	return 0;
}

static void test_chunks(void **state)
{
	const char *body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nGET /next";
	size_t end = strlen(body) - strlen("GET /next");
	enum parse_result r;
	/* Whole, and cut into every piece size: the body ends at the same byte. */
	for (size_t piece = 1; piece <= strlen(body); piece++) {
		assert_int_equal(walk_pieces(body, piece, &r), end);
		assert_int_equal(r, PARSE_OK);
	}
	/* A bad chunk size, data not followed by CRLF. */
	assert_int_equal(walk_pieces("zz\r\nab\r\n", 100, &r), 0);
	assert_int_equal(r, PARSE_MALFORMED);
	assert_int_equal(walk_pieces("2\r\nabXY0\r\n\r\n", 100, &r), 0);
	assert_int_equal(r, PARSE_MALFORMED);
	/* Not over yet. */
	assert_int_equal(walk_pieces("10\r\nshort", 100, &r), 0);
	assert_int_equal(r, PARSE_NEED_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_forms), cmocka_unit_test(test_versions_and_no_host),
		cmocka_unit_test(test_two_hosts),  cmocka_unit_test(test_not_http_and_malformed),
		cmocka_unit_test(test_prefixes),   cmocka_unit_test(test_real_curl),
		cmocka_unit_test(test_framing),	   cmocka_unit_test(test_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
