/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP/1.x request head: request line, authority from the target, Host header (RFC 9112
 * sections 3 and 5, RFC 9110 section 7.2). */
#include <string.h>

#include "embargo/http.h"
#include "embargo/rd.h"

/* Longest method token accepted (the registered methods are at most 17 bytes long). */
#define HTTP_METHOD_MAX 32
/* Header lines read before giving up on finding Host (nginx's default limit is 100). */
#define HTTP_HEADERS_MAX 100

/* tchar (RFC 9110 section 5.6.2). */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return true;
	}
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Find the end of the line starting at `from`: returns the offset of its LF, or -1. The line's
 * content excludes a CR before the LF (bare LF is accepted, as most servers do). */
static long find_lf(const uint8_t *buf, size_t len, size_t from)
{
	const uint8_t *lf = memchr(buf + from, '\n', len - from);
	return lf == NULL ? -1 : (long)(lf - buf);
}

static struct span trim(const uint8_t *p, size_t len)
{
	while (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r')) {
		len--;
	}
	struct span s = {p, len};
	return s;
}

/*
 * Host from an authority "host[:port]" or "[v6]:port" (RFC 3986 section 3.2.2). Userinfo
 * ("user@host") is dropped. Returns an empty span for an empty host.
 */
static struct span authority_host(struct span a)
{
	const uint8_t *at = NULL;
	for (size_t i = 0; i < a.len; i++) {
		if (a.ptr[i] == '@') {
			at = a.ptr + i;
		}
	}
	if (at != NULL) {
		a.len -= (size_t)(at + 1 - a.ptr);
		a.ptr = at + 1;
	}
	if (a.len > 0 && a.ptr[0] == '[') {
		const uint8_t *close = memchr(a.ptr, ']', a.len);
		if (close != NULL) {
			a.len = (size_t)(close - a.ptr) + 1;
		}
		return a;
	}
	const uint8_t *colon = memchr(a.ptr, ':', a.len);
	if (colon != NULL) {
		a.len = (size_t)(colon - a.ptr);
	}
	return a;
}

/* "scheme://authority/..." -> authority; NULL span when the target is not absolute-form. */
static bool absolute_form_host(struct span target, struct span *host)
{
	const uint8_t *sep = NULL;
	for (size_t i = 0; i + 2 < target.len; i++) {
		uint8_t c = target.ptr[i];
		if (c == ':' && target.ptr[i + 1] == '/' && target.ptr[i + 2] == '/') {
			sep = target.ptr + i;
			break;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) {
			return false;
		}
	}
	if (sep == NULL || sep == target.ptr) {
		return false;
	}
	const uint8_t *a = sep + 3;
	const uint8_t *end = target.ptr + target.len;
	const uint8_t *stop = a;
	while (stop < end && *stop != '/' && *stop != '?' && *stop != '#') {
		stop++;
	}
	struct span auth = {a, (size_t)(stop - a)};
	*host = authority_host(auth);
	return true;
}

/* Parse "HTTP/x.y". */
static bool parse_version(struct span v, struct http_request *out)
{
	if (v.len != 8 || memcmp(v.ptr, "HTTP/", 5) != 0 || v.ptr[6] != '.' || v.ptr[5] < '0' ||
	    v.ptr[5] > '9' || v.ptr[7] < '0' || v.ptr[7] > '9') {
		return false;
	}
	out->version_major = (uint8_t)(v.ptr[5] - '0');
	out->version_minor = (uint8_t)(v.ptr[7] - '0');
	return true;
}

/* Request line: method SP target [SP version]. */
static enum parse_result parse_request_line(const uint8_t *buf, size_t line_len,
					    struct http_request *out)
{
	struct rd r = rd_make(buf, line_len);
	size_t m = 0;
	while (m < line_len && is_tchar(buf[m])) {
		m++;
	}
	if (m == 0 || m >= line_len || buf[m] != ' ' || m > HTTP_METHOD_MAX) {
		return PARSE_NOT_MINE;
	}
	out->method.ptr = rd_ptr(&r, m);
	out->method.len = m;
	rd_skip(&r, 1);
	struct span rest = trim(r.pos, rd_left(&r));
	if (rest.len == 0) {
		return PARSE_MALFORMED;
	}
	const uint8_t *sp = memchr(rest.ptr, ' ', rest.len);
	if (sp == NULL) {
		/* HTTP/0.9 simple request: "GET /path". */
		out->target = rest;
		out->version_major = 0;
		out->version_minor = 9;
		out->head_complete = true;
		return PARSE_OK;
	}
	out->target.ptr = rest.ptr;
	out->target.len = (size_t)(sp - rest.ptr);
	struct span version = trim(sp + 1, rest.len - out->target.len - 1);
	if (!parse_version(version, out)) {
		return PARSE_MALFORMED;
	}
	return PARSE_OK;
}

static bool method_is(const struct http_request *out, const char *m)
{
	size_t n = strlen(m);
	return out->method.len == n && memcmp(out->method.ptr, m, n) == 0;
}

static bool header_name_is_host(const uint8_t *p, size_t len)
{
	return len == 4 && lower(p[0]) == 'h' && lower(p[1]) == 'o' && lower(p[2]) == 's' &&
	       lower(p[3]) == 't';
}

static bool header_name_is(const uint8_t *p, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len != n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (lower(p[i]) != (uint8_t)name[i]) {
			return false;
		}
	}
	return true;
}

/* Content-Length value (RFC 9110 section 8.6): digits only; the same value repeated in a list
 * is accepted. False for anything else. */
static bool parse_length(struct span v, uint64_t *out)
{
	uint64_t first = 0;
	bool have = false;
	size_t i = 0;
	while (i < v.len) {
		uint64_t n = 0;
		size_t digits = 0;
		while (i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9') {
			if (n > (UINT64_MAX - 9) / 10) {
				return false;
			}
			n = n * 10 + (uint64_t)(v.ptr[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || (have && n != first)) {
			return false;
		}
		first = n;
		have = true;
		while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t')) {
			i++;
		}
		if (i < v.len) {
			if (v.ptr[i] != ',') {
				return false;
			}
			i++;
			while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t')) {
				i++;
			}
		}
	}
	*out = first;
	return have;
}

/* Does a Transfer-Encoding value end in "chunked" (RFC 9112 section 6.1)? */
static bool ends_chunked(struct span v)
{
	static const char c[] = "chunked";
	if (v.len < sizeof(c) - 1) {
		return false;
	}
	const uint8_t *t = v.ptr + v.len - (sizeof(c) - 1);
	if (!header_name_is(t, sizeof(c) - 1, c)) {
		return false;
	}
	return t == v.ptr || t[-1] == ',' || t[-1] == ' ' || t[-1] == '\t';
}

static bool same_host(struct span a, struct span b)
{
	if (a.len != b.len) {
		return false;
	}
	for (size_t i = 0; i < a.len; i++) {
		if (lower(a.ptr[i]) != lower(b.ptr[i])) {
			return false;
		}
	}
	return true;
}

enum parse_result http_request_parse(const uint8_t *buf, size_t len, struct http_request *out)
{
	memset(out, 0, sizeof(*out));
	/* Until the first space, the bytes must be a method token. */
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ') {
			if (i == 0) {
				return PARSE_NOT_MINE;
			}
			break;
		}
		if (!is_tchar(buf[i]) || i >= HTTP_METHOD_MAX) {
			return PARSE_NOT_MINE;
		}
	}
	long lf = find_lf(buf, len, 0);
	if (lf < 0) {
		return len > HTTP_HEAD_MAX ? PARSE_MALFORMED : PARSE_NEED_MORE;
	}
	enum parse_result r = parse_request_line(buf, (size_t)lf, out);
	if (r != PARSE_OK || out->head_complete) {
		return r;
	}
	struct span ahost;
	if (method_is(out, "CONNECT")) {
		out->host = authority_host(out->target);
		out->host_from_target = true;
	} else if (absolute_form_host(out->target, &ahost)) {
		out->host = ahost;
		out->host_from_target = true;
	}

	size_t pos = (size_t)lf + 1;
	bool have_host = out->host_from_target;
	bool have_length = false;
	for (unsigned n = 0; n <= HTTP_HEADERS_MAX; n++) {
		lf = find_lf(buf, len, pos);
		if (lf < 0) {
			if (len > HTTP_HEAD_MAX) {
				return PARSE_MALFORMED;
			}
			return have_host ? PARSE_OK : PARSE_NEED_MORE;
		}
		struct span line = {buf + pos, (size_t)lf - pos};
		if (line.len > 0 && line.ptr[line.len - 1] == '\r') {
			line.len--;
		}
		pos = (size_t)lf + 1;
		if (line.len == 0) {
			out->head_complete = true;
			out->head_len = pos;
			if (out->chunked) {
				out->content_length = 0;
			}
			return PARSE_OK;
		}
		if (line.ptr[0] == ' ' || line.ptr[0] == '\t') {
			/* obs-fold (RFC 9112 section 5.2): a continuation of the previous field
			 * value; Host values are never folded by real clients, so it is skipped. */
			continue;
		}
		const uint8_t *colon = memchr(line.ptr, ':', line.len);
		if (colon == NULL || colon == line.ptr) {
			return PARSE_MALFORMED;
		}
		size_t name_len = (size_t)(colon - line.ptr);
		struct span value = trim(colon + 1, line.len - name_len - 1);
		if (header_name_is(line.ptr, name_len, "content-length")) {
			uint64_t cl;
			/* Two different lengths or a bad one: the body cannot be framed. */
			if (!parse_length(value, &cl) ||
			    (have_length && cl != out->content_length)) {
				return PARSE_MALFORMED;
			}
			out->content_length = cl;
			have_length = true;
			continue;
		}
		if (header_name_is(line.ptr, name_len, "transfer-encoding")) {
			out->chunked = ends_chunked(value);
			if (!out->chunked) {
				return PARSE_MALFORMED; /* a request body without a length */
			}
			continue;
		}
		if (!header_name_is_host(line.ptr, name_len)) {
			continue;
		}
		struct span host = authority_host(value);
		if (out->host_from_target) {
			continue; /* the target's authority wins (RFC 9112 section 3.2.2) */
		}
		if (!have_host) {
			out->host = host;
			have_host = true;
		} else if (!out->host_conflict && !same_host(out->host, host)) {
			out->host2 = host;
			out->host_conflict = true;
		}
	}
	return PARSE_MALFORMED; /* more header lines than HTTP_HEADERS_MAX */
}

enum chunk_phase {
	CHUNK_SIZE = 0, /* at a chunk-size line */
	CHUNK_DATA,	/* inside chunk data */
	CHUNK_DATA_END, /* at the CRLF after chunk data */
	CHUNK_TRAILER,	/* at a trailer line (an empty one ends the body) */
	CHUNK_DONE,
};

/* The hex chunk-size at the start of `line` (chunk extensions after ';' ignored). */
static bool chunk_size(struct span line, uint64_t *out)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; i < line.len; i++) {
		uint8_t c = lower(line.ptr[i]);
		unsigned d;
		if (c >= '0' && c <= '9') {
			d = (unsigned)(c - '0');
		} else if (c >= 'a' && c <= 'f') {
			d = (unsigned)(c - 'a') + 10;
		} else {
			break;
		}
		if (n > (UINT64_MAX >> 4)) {
			return false;
		}
		n = n << 4 | d;
	}
	if (i == 0) {
		return false;
	}
	struct span rest = trim(line.ptr + i, line.len - i);
	if (rest.len > 0 && rest.ptr[0] != ';') {
		return false;
	}
	*out = n;
	return true;
}

enum parse_result http_chunks_walk(const uint8_t *buf, size_t len, struct http_chunks *st,
				   size_t *consumed)
{
	size_t pos = 0;
	*consumed = 0;
	while (st->phase != CHUNK_DONE) {
		if (st->phase == CHUNK_DATA) {
			uint64_t take = len - pos < st->remaining ? len - pos : st->remaining;
			pos += (size_t)take;
			st->remaining -= take;
			*consumed = pos;
			if (st->remaining > 0) {
				return PARSE_NEED_MORE;
			}
			st->phase = CHUNK_DATA_END;
			continue;
		}
		long lf = find_lf(buf, len, pos);
		if (lf < 0) {
			return len - pos > HTTP_HEAD_MAX ? PARSE_MALFORMED : PARSE_NEED_MORE;
		}
		struct span line = {buf + pos, (size_t)lf - pos};
		if (line.len > 0 && line.ptr[line.len - 1] == '\r') {
			line.len--;
		}
		if (line.len > HTTP_HEAD_MAX) {
			return PARSE_MALFORMED;
		}
		pos = (size_t)lf + 1;
		if (st->phase == CHUNK_SIZE) {
			if (!chunk_size(line, &st->remaining)) {
				return PARSE_MALFORMED;
			}
			st->phase = st->remaining == 0 ? CHUNK_TRAILER : CHUNK_DATA;
		} else if (st->phase == CHUNK_DATA_END) {
			if (line.len != 0) {
				return PARSE_MALFORMED;
			}
			st->phase = CHUNK_SIZE;
		} else if (line.len == 0) {
			st->phase = CHUNK_DONE;
		}
		*consumed = pos;
	}
	return PARSE_OK;
}
