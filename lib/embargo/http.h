/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http: request line and Host of an HTTP/1.x request (RFC 9112, RFC 9110 section 7.2). */
#ifndef EMBARGO_HTTP_H
#define EMBARGO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"

/* Bytes of request line and headers read before a request is called malformed (nginx's
 * default large_client_header_buffers is 8 KiB per line). */
#define HTTP_HEAD_MAX 16384

struct http_request {
	struct span method;
	struct span target;    /* request-target as sent */
	struct span host;      /* authority host: port removed, whitespace trimmed; empty if none */
	bool host_from_target; /* absolute-form or CONNECT authority-form gave the host */
	uint8_t version_major, version_minor; /* 0.9 for a request line without a version */
	struct span host2;  /* a second Host header with a different value, when host_conflict */
	bool host_conflict; /* two Host headers disagree: a caller must check both names */
	bool head_complete; /* the empty line ending the header section was seen */
	/* Framing of the body (RFC 9112 section 6.3), valid once head_complete: */
	size_t head_len;	 /* bytes of request line and headers, empty line included */
	bool chunked;		 /* Transfer-Encoding ends in chunked (wins over Content-Length) */
	uint64_t content_length; /* body bytes when not chunked (0 without Content-Length) */
};

/* Chunked body state (RFC 9112 section 7.1), carried across calls. Zero-initialise. */
struct http_chunks {
	uint8_t phase;	    /* internal */
	uint64_t remaining; /* data bytes left in the current chunk */
};

/*
 * Parse the start of an HTTP/1.x request from the first byte of a client stream. Host comes from
 * an absolute-form target or CONNECT authority (RFC 9112 section 3.2) when present, else from the
 * Host header (name case-insensitive, value trimmed, ":port" removed; "[v6]" keeps its brackets).
 *
 * Returns PARSE_OK as soon as the host is known (the rest of the head may still be missing) or
 * the head is complete without one; PARSE_NEED_MORE while valid but incomplete; PARSE_NOT_MINE
 * when the bytes do not start with a method token and a space; PARSE_MALFORMED for a bad request
 * line, a header line without ':', or a head over HTTP_HEAD_MAX.
 */
enum parse_result http_request_parse(const uint8_t *buf, size_t len, struct http_request *out);

/*
 * Walk a chunked body from `buf` (the bytes after what earlier calls consumed). `*consumed` is
 * set to the bytes fully walked (chunk-size lines and the final CRLF only once complete).
 * Returns PARSE_OK once the last chunk and the trailer section ended, PARSE_NEED_MORE when the
 * body goes on, PARSE_MALFORMED for a bad chunk-size line, a missing CRLF after chunk data, or a
 * chunk-size or trailer line over HTTP_HEAD_MAX.
 */
enum parse_result http_chunks_walk(const uint8_t *buf, size_t len, struct http_chunks *st,
				   size_t *consumed);

#endif
