/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse one copy of a client's TCP stream: which protocol its first message speaks and the
 * names it carries, every pipelined DNS message, every HTTP request head. A copy is parsed on
 * its own, so a decoy of another protocol cannot decide how the real bytes are read. */
#include "embargo/dns.h"
#include "embargo/tls.h"
#include "inspect_internal.h"

/* Requests or DNS messages read from one copy before the rest waits for the next packet (each
 * is still judged then): bounds the work a segment full of tiny messages can cause. */
#define SNIFF_MESSAGES_MAX 256

static void cursor_note_start(struct msg_cursor *cur, uint32_t seq)
{
	if (cur->nstarts < MSG_STARTS_MAX) {
		cur->starts[cur->nstarts++] = seq;
	} else {
		memmove(cur->starts, cur->starts + 1,
			(MSG_STARTS_MAX - 1) * sizeof(cur->starts[0]));
		cur->starts[MSG_STARTS_MAX - 1] = seq;
	}
}

/* The names of one complete request head. */
static void http_names(struct inspector *in, const struct http_request *req,
		       struct inspect_result *out)
{
	if (req->host.len == 0) {
		return;
	}
	struct inspect_result *o = out;
	unsigned before = o->nnames;
	struct name n;
	if (name_from_text(&n, (const char *)req->host.ptr, req->host.len) == 0) {
		result_add_name(in, o, &n, 0);
	}
	if (req->host_conflict &&
	    name_from_text(&n, (const char *)req->host2.ptr, req->host2.len) == 0) {
		result_add_name(in, o, &n, 0);
	}
	(void)before;
}

/* Body framing of a complete head: where the next request starts. */
static void http_frame(const struct http_request *req, uint32_t head_end, struct msg_cursor *cur)
{
	cur->seq = head_end;
	cur->chunked = req->chunked;
	cur->body_left = req->chunked ? 0 : req->content_length;
	memset(&cur->chunks, 0, sizeof(cur->chunks));
}

void sniff_first(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
		 struct inspect_result *out, struct msg_cursor *cur)
{
	struct tls_hello h;
	enum parse_result r = tls_stream_hello(data, len, in->tls_scratch, TLS_HELLO_MAX, &h);
	if (r != PARSE_NOT_MINE) {
		out->proto = INSPECT_PROTO_TLS;
		if (r == PARSE_NEED_MORE) {
			result_set(out, INSPECT_PENDING, NULL);
			return;
		}
		cur->judged = true;
		cursor_note_start(cur, base_seq);
		cur->seq = base_seq + (uint32_t)h.stream_len;
		if (r == PARSE_MALFORMED) {
			cur->seq = base_seq + (uint32_t)len;
			result_set(out, INSPECT_MALFORMED, "bad-client-hello");
		} else if (!h.has_sni) {
			out->has_ech = h.has_ech;
			out->ech_outer = h.ech_outer;
			result_set(out, INSPECT_NAMELESS, h.is_sslv2 ? "sslv2" : "no-sni");
		} else {
			out->has_ech = h.has_ech;
			out->ech_outer = h.ech_outer;
			result_text_name(in, out, h.sni, "bad-sni");
		}
		return;
	}
	struct http_request req;
	r = http_request_parse(data, len, &req);
	if (r == PARSE_NOT_MINE) {
		out->proto = INSPECT_PROTO_NONE;
		/* One byte cannot tell a TLS record from anything else yet. */
		if (len < 2) {
			result_set(out, INSPECT_PENDING, NULL);
			return;
		}
		cur->judged = true;
		cursor_note_start(cur, base_seq);
		cur->seq = base_seq + (uint32_t)len;
		result_set(out, INSPECT_NAMELESS, "unknown-protocol");
		return;
	}
	out->proto = INSPECT_PROTO_HTTP;
	if (r == PARSE_NEED_MORE || (r == PARSE_OK && !req.head_complete)) {
		/* A head is judged whole: a second Host header may still come. */
		result_set(out, INSPECT_PENDING, NULL);
		return;
	}
	cur->judged = true;
	cursor_note_start(cur, base_seq);
	if (r == PARSE_MALFORMED) {
		cur->seq = base_seq + (uint32_t)len;
		result_set(out, INSPECT_MALFORMED, "bad-http-request");
		return;
	}
	http_frame(&req, base_seq + (uint32_t)req.head_len, cur);
	http_names(in, &req, out);
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, NULL);
	} else if (req.host.len == 0) {
		result_set(out, INSPECT_NAMELESS, "no-host");
	} else {
		result_set(out, INSPECT_MALFORMED, "bad-host");
	}
}

void sniff_dns(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
	       struct inspect_result *out, struct msg_cursor *cur)
{
	unsigned bad = 0;
	size_t pos = cur->seq - base_seq;

	out->proto = INSPECT_PROTO_DNS_TCP;
	for (unsigned i = 0; i < SNIFF_MESSAGES_MAX && pos < len; i++) {
		struct span msg;
		size_t used = 0;
		enum parse_result r = dns_tcp_next(data + pos, len - pos, &msg, &used);
		if (r == PARSE_NEED_MORE) {
			break;
		}
		cursor_note_start(cur, base_seq + (uint32_t)pos);
		cur->judged = true;
		if (r != PARSE_OK) {
			bad++;
			pos = len; /* framing lost: nothing more can be read from this stream */
			break;
		}
		dns_collect(in, msg.ptr, msg.len, out, &bad);
		pos += used;
	}
	cur->seq = base_seq + (uint32_t)pos;
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, NULL);
	} else if (bad > 0) {
		result_set(out, INSPECT_MALFORMED, "bad-dns-message");
	} else if (cur->judged) {
		result_set(out, INSPECT_NAMELESS, "no-question");
	} else {
		result_set(out, INSPECT_PENDING, NULL);
	}
}

/* Skip the body in front of the next request; false while it goes on past `len`. */
static bool skip_body(const uint8_t *data, size_t len, size_t *pos, struct msg_cursor *cur,
		      bool *bad)
{
	if (cur->body_left > 0) {
		uint64_t take = len - *pos < cur->body_left ? len - *pos : cur->body_left;
		*pos += (size_t)take;
		cur->body_left -= take;
		if (cur->body_left > 0) {
			return false;
		}
	}
	if (cur->chunked) {
		size_t used = 0;
		enum parse_result r =
			http_chunks_walk(data + *pos, len - *pos, &cur->chunks, &used);
		*pos += used;
		if (r == PARSE_NEED_MORE) {
			return false;
		}
		cur->chunked = false;
		if (r != PARSE_OK) {
			*bad = true;
			return false;
		}
	}
	return true;
}

void sniff_http(struct inspector *in, const uint8_t *data, size_t len, uint32_t base_seq,
		struct inspect_result *out, struct msg_cursor *cur)
{
	size_t pos = cur->seq - base_seq;
	bool bad = false, nameless = false;

	out->proto = INSPECT_PROTO_HTTP;
	for (unsigned i = 0; i < SNIFF_MESSAGES_MAX && pos < len; i++) {
		if (!skip_body(data, len, &pos, cur, &bad)) {
			break;
		}
		/* RFC 9112 section 2.2: empty lines before a request line are ignored. */
		while (pos < len && (data[pos] == '\r' || data[pos] == '\n')) {
			pos++;
		}
		if (pos >= len) {
			break;
		}
		struct http_request req;
		enum parse_result r = http_request_parse(data + pos, len - pos, &req);
		if (r == PARSE_NEED_MORE || (r == PARSE_OK && !req.head_complete)) {
			break;
		}
		cursor_note_start(cur, base_seq + (uint32_t)pos);
		cur->judged = true;
		if (r != PARSE_OK) {
			/* Not a request where one must start: the server reads it as one (and
			 * answers 400), so nothing after it can be framed. */
			bad = true;
			pos = len;
			break;
		}
		unsigned before = out->nnames;
		http_names(in, &req, out);
		nameless |= out->nnames == before;
		pos += req.head_len;
		http_frame(&req, base_seq + (uint32_t)pos, cur);
	}
	cur->seq = base_seq + (uint32_t)pos;
	if (out->nnames > 0) {
		result_set(out, INSPECT_NAMED, NULL);
	} else if (bad) {
		result_set(out, INSPECT_MALFORMED, "bad-http-request");
	} else if (nameless) {
		result_set(out, INSPECT_NAMELESS, "no-host");
	} else {
		result_set(out, INSPECT_PENDING, NULL);
	}
}
