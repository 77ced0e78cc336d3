/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DNS messages (RFC 1035 section 4): header, questions, answers, TCP framing, forged replies. */
#include <errno.h>
#include <string.h>

#include "embargo/dns.h"
#include "embargo/rd.h"
#include "embargo/wr.h"

/*
 * Header (RFC 1035 section 4.1.1), 12 bytes:
 *   ID (2) | QR(1) Opcode(4) AA TC RD | RA Z AD CD Rcode(4) | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT
 */
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_CD 0x0010
/* The UDP payload size a forged reply advertises (the DNS flag day 2020 value). */
#define DNS_EDNS_UDP_SIZE 1232

#define DNS_LABEL_PTR_MASK 0xc0

/*
 * Read a (possibly compressed) name starting at `*pos` of the message `msg`. On success `*pos`
 * is set past the name's bytes at its original place, and the labels are returned as pointers
 * into msg. A well-formed pointer points strictly before the start of the name being read (so
 * every jump moves backwards and loops are impossible). A pointer that does not is still
 * followed, because a resolver may follow it and the name must be seen, but `*forward` is set
 * and the caller reports the message as malformed; DNS_POINTER_HOPS_MAX bounds the walk.
 */
static enum parse_result read_name(const uint8_t *msg, size_t len, size_t *pos,
				   const uint8_t **labels, uint8_t *lens, size_t *nlabels,
				   bool *forward, bool *jumped_out)
{
	size_t p = *pos;
	size_t end_after = 0; /* where the name ends in place (after the first pointer) */
	bool jumped = false;
	size_t wire = 1;  /* wire length including the root byte */
	size_t limit = p; /* pointers must target bytes before this */
	unsigned hops = 0;

	*nlabels = 0;
	for (;;) {
		if (p >= len) {
			return PARSE_MALFORMED;
		}
		uint8_t b = msg[p];
		if ((b & DNS_LABEL_PTR_MASK) == DNS_LABEL_PTR_MASK) {
			if (p + 1 >= len) {
				return PARSE_MALFORMED;
			}
			size_t target = (size_t)(b & 0x3f) << 8 | msg[p + 1];
			if (!jumped) {
				end_after = p + 2;
				jumped = true;
			}
			if (++hops > DNS_POINTER_HOPS_MAX || target == p || target >= len) {
				return PARSE_MALFORMED;
			}
			if (target >= limit) {
				*forward = true;
			} else {
				limit = target;
			}
			/* Labels seen again through a loop would grow the name past 255 octets
			 * or the hop bound: both end the walk. */
			p = target;
			continue;
		}
		if ((b & DNS_LABEL_PTR_MASK) != 0) {
			return PARSE_MALFORMED; /* 0x40 / 0x80: extended or reserved label types */
		}
		if (b == 0) {
			p++;
			break;
		}
		if (p + 1 + b > len) {
			return PARSE_MALFORMED;
		}
		wire += (size_t)b + 1;
		if (wire > NAME_WIRE_MAX || *nlabels >= NAME_LABELS_MAX) {
			return PARSE_MALFORMED;
		}
		labels[*nlabels] = msg + p + 1;
		lens[*nlabels] = b;
		(*nlabels)++;
		p += (size_t)b + 1;
	}
	*pos = jumped ? end_after : p;
	*jumped_out = jumped;
	return PARSE_OK;
}

/* A name as a struct name; `*ok` false when it is valid DNS but not a normalisable name. */
static enum parse_result read_name_normalised(const uint8_t *msg, size_t len, size_t *pos,
					      struct name *n, bool *ok, bool *forward, bool *jumped)
{
	const uint8_t *labels[NAME_LABELS_MAX];
	uint8_t lens[NAME_LABELS_MAX];
	size_t nlabels;
	enum parse_result r = read_name(msg, len, pos, labels, lens, &nlabels, forward, jumped);
	if (r != PARSE_OK) {
		return r;
	}
	*ok = name_from_labels(n, labels, lens, nlabels) == 0;
	return PARSE_OK;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

enum parse_result dns_question_next(const uint8_t *buf, size_t len, size_t *pos,
				    struct dns_question *q, bool *pointer, bool *forward)
{
	bool jumped = false;
	size_t p = *pos;
	enum parse_result res =
		read_name_normalised(buf, len, &p, &q->name, &q->name_ok, forward, &jumped);
	if (res != PARSE_OK || len - p < 4) {
		return PARSE_MALFORMED;
	}
	*pointer |= jumped;
	q->qtype = get16(buf + p);
	q->qclass = get16(buf + p + 2);
	*pos = p + 4;
	return PARSE_OK;
}

enum parse_result dns_msg_parse(const uint8_t *buf, size_t len, struct dns_msg *out)
{
	struct rd r = rd_make(buf, len);

	memset(out, 0, offsetof(struct dns_msg, q));
	out->nquestions = 0;
	out->questions_end = 0; /* stays 0 unless every question was read */
	out->question_pointer = false;
	if (len < DNS_HEADER_LEN) {
		return PARSE_NOT_MINE;
	}
	out->id = rd_u16be(&r);
	out->flags = rd_u16be(&r);
	out->qdcount = rd_u16be(&r);
	out->ancount = rd_u16be(&r);
	out->nscount = rd_u16be(&r);
	out->arcount = rd_u16be(&r);
	out->is_response = (out->flags & DNS_FLAG_QR) != 0;
	out->opcode = (uint8_t)((out->flags >> 11) & 0x0f);
	out->rcode = (uint8_t)(out->flags & 0x0f);

	size_t pos = DNS_HEADER_LEN;
	bool forward = false;
	out->question_pointer = false;
	for (unsigned i = 0; i < out->qdcount; i++) {
		struct dns_question scratch;
		struct dns_question *q = i < DNS_QUESTIONS_MAX ? &out->q[i] : &scratch;
		if (dns_question_next(buf, len, &pos, q, &out->question_pointer, &forward) !=
		    PARSE_OK) {
			return PARSE_MALFORMED;
		}
		if (i < DNS_QUESTIONS_MAX) {
			out->nquestions++;
		}
	}
	out->questions_end = pos;
	return forward ? PARSE_MALFORMED : PARSE_OK;
}

enum parse_result dns_tcp_next(const uint8_t *buf, size_t len, struct span *msg, size_t *consumed)
{
	*consumed = 0;
	msg->ptr = NULL;
	msg->len = 0;
	if (len < 2) {
		return PARSE_NEED_MORE;
	}
	size_t n = get16(buf);
	if (n == 0) {
		return PARSE_MALFORMED;
	}
	if (len - 2 < n) {
		return PARSE_NEED_MORE;
	}
	msg->ptr = buf + 2;
	msg->len = n;
	*consumed = n + 2;
	return PARSE_OK;
}

/*
 * Resource record (RFC 1035 section 4.1.3):
 *   NAME | TYPE (2) | CLASS (2) | TTL (4) | RDLENGTH (2) | RDATA (RDLENGTH)
 * SVCB and HTTPS rdata (RFC 9460 section 2.2):
 *   SvcPriority (2) | TargetName (uncompressed name) | SvcParams (to the end of the rdata)
 */
enum parse_result dns_rr_next(const uint8_t *buf, size_t len, size_t *pos, struct dns_rr *rr)
{
	bool forward = false, jumped = false;
	size_t p = *pos;
	enum parse_result res =
		read_name_normalised(buf, len, &p, &rr->owner, &rr->owner_ok, &forward, &jumped);
	if (res != PARSE_OK || forward) {
		return PARSE_MALFORMED;
	}
	struct rd r = rd_make(buf + p, len - p);
	rr->type = rd_u16be(&r);
	rr->rclass = rd_u16be(&r);
	rr->ttl = rd_u32be(&r);
	rr->rdata_len = rd_u16be(&r);
	const uint8_t *rdata = rd_ptr(&r, rr->rdata_len);
	if (!rd_ok(&r)) {
		return PARSE_MALFORMED;
	}
	rr->rdata_off = p + 10;
	rr->target_ok = false;
	rr->svc_priority = 0;
	rr->params_off = rr->rdata_off + rr->rdata_len;
	size_t end = rr->rdata_off + rr->rdata_len;
	size_t t = rr->rdata_off;
	switch (rr->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (rr->rdata_len != (rr->type == DNS_TYPE_A ? 4 : 16)) {
			return PARSE_MALFORMED;
		}
		memcpy(rr->addr, rdata, rr->rdata_len);
		break;
	case DNS_TYPE_SVCB:
	case DNS_TYPE_HTTPS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_DNAME:
		if (rr->type == DNS_TYPE_SVCB || rr->type == DNS_TYPE_HTTPS) {
			if (rr->rdata_len < 3) {
				return PARSE_MALFORMED;
			}
			rr->svc_priority = (uint16_t)((unsigned)rdata[0] << 8 | rdata[1]);
			t += 2;
		}
		/* The target is read within the message (it may be compressed) but must end
		 * inside the rdata, for an alias exactly at its end. */
		res = read_name_normalised(buf, end, &t, &rr->target, &rr->target_ok, &forward,
					   &jumped);
		if (res != PARSE_OK || forward ||
		    (t != end && (rr->type == DNS_TYPE_CNAME || rr->type == DNS_TYPE_DNAME))) {
			return PARSE_MALFORMED;
		}
		rr->params_off = t;
		break;
	default:
		break;
	}
	*pos = end;
	return PARSE_OK;
}

enum parse_result dns_answers_parse(const uint8_t *buf, size_t len, const struct dns_msg *msg,
				    struct dns_rr *out, size_t max, size_t *count)
{
	size_t pos = msg->questions_end;
	*count = 0;
	for (unsigned i = 0; i < msg->ancount; i++) {
		struct dns_rr scratch;
		struct dns_rr *rr = *count < max ? &out[*count] : &scratch;
		if (dns_rr_next(buf, len, &pos, rr) != PARSE_OK) {
			return PARSE_MALFORMED;
		}
		if ((rr->type == DNS_TYPE_A || rr->type == DNS_TYPE_AAAA ||
		     rr->type == DNS_TYPE_CNAME) &&
		    *count < max) {
			(*count)++;
		}
	}
	return PARSE_OK;
}

/* Does the message carry an EDNS OPT record in its additional section? */
static bool query_has_opt(const uint8_t *query, size_t len, const struct dns_msg *msg)
{
	size_t pos = msg->questions_end;
	unsigned total = (unsigned)msg->ancount + msg->nscount + msg->arcount;
	for (unsigned i = 0; i < total; i++) {
		struct dns_rr rr;
		if (dns_rr_next(query, len, &pos, &rr) != PARSE_OK) {
			return false;
		}
		if (rr.type == DNS_TYPE_OPT && i >= (unsigned)msg->ancount + msg->nscount) {
			return true;
		}
	}
	return false;
}

static const char *const dns_reply_kinds[] = {"nxdomain", "refused", "sinkhole"};

const char *dns_reply_kind_str(enum dns_reply_kind k)
{
	return (unsigned)k < sizeof(dns_reply_kinds) / sizeof(dns_reply_kinds[0])
		       ? dns_reply_kinds[k]
		       : "?";
}

int dns_reply_kind_from_str(const char *s)
{
	for (size_t i = 0; i < sizeof(dns_reply_kinds) / sizeof(dns_reply_kinds[0]); i++) {
		if (strcmp(s, dns_reply_kinds[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/*
 * Write the message's questions with every name spelled out label by label, as the client
 * wrote it (case kept), so that no compression pointer of the query reads differently behind
 * the reply's header. False when a question cannot be read.
 */
static bool write_questions(const uint8_t *query, size_t len, const struct dns_msg *msg,
			    struct wr *w)
{
	size_t pos = DNS_HEADER_LEN;
	for (unsigned i = 0; i < msg->qdcount; i++) {
		const uint8_t *labels[NAME_LABELS_MAX];
		uint8_t lens[NAME_LABELS_MAX];
		size_t nlabels;
		bool forward = false, jumped = false;
		if (read_name(query, len, &pos, labels, lens, &nlabels, &forward, &jumped) !=
			    PARSE_OK ||
		    len - pos < 4) {
			return false;
		}
		for (size_t l = 0; l < nlabels; l++) {
			wr_u8(w, lens[l]);
			wr_bytes(w, labels[l], lens[l]);
		}
		wr_u8(w, 0);
		wr_bytes(w, query + pos, 4);
		pos += 4;
	}
	return true;
}

/* SvcParamKeys of a sinkhole HTTPS/SVCB record (RFC 9460 section 14.3.2). */
#define DNS_SVC_IPV4HINT 4
#define DNS_SVC_IPV6HINT 6

/* The one answer record of a sinkhole reply: its owner is the question's name (a pointer to
 * it), A, AAAA, or a ServiceMode HTTPS/SVCB record for the owner itself whose hints carry
 * the sinkhole addresses. Nothing for other question types (NODATA). */
static unsigned write_sinkhole(struct wr *w, uint16_t qtype, const struct dns_reply_opts *o)
{
	if (qtype != DNS_TYPE_A && qtype != DNS_TYPE_AAAA && qtype != DNS_TYPE_HTTPS &&
	    qtype != DNS_TYPE_SVCB) {
		return 0;
	}
	wr_u16be(w, 0xc000 | DNS_HEADER_LEN);
	wr_u16be(w, qtype);
	wr_u16be(w, DNS_CLASS_IN);
	wr_u32be(w, o->ttl);
	if (qtype == DNS_TYPE_A) {
		wr_u16be(w, 4);
		wr_bytes(w, o->sinkhole_v4, 4);
	} else if (qtype == DNS_TYPE_AAAA) {
		wr_u16be(w, 16);
		wr_bytes(w, o->sinkhole_v6, 16);
	} else {
		wr_u16be(w, 2 + 1 + 4 + 4 + 4 + 16);
		wr_u16be(w, 1); /* SvcPriority 1: ServiceMode */
		wr_u8(w, 0);	/* TargetName ".": the owner itself */
		wr_u16be(w, DNS_SVC_IPV4HINT);
		wr_u16be(w, 4);
		wr_bytes(w, o->sinkhole_v4, 4);
		wr_u16be(w, DNS_SVC_IPV6HINT);
		wr_u16be(w, 16);
		wr_bytes(w, o->sinkhole_v6, 16);
	}
	return 1;
}

/* An OPT record (RFC 6891 section 6.1.2) with the Extended DNS Error the options ask for
 * (RFC 8914 section 2: INFO-CODE, then EXTRA-TEXT to the end of the option). */
static void write_opt(struct wr *w, const struct dns_reply_opts *o)
{
	size_t text = o->ede ? strnlen(o->ede_text, sizeof(o->ede_text)) : 0;
	wr_u8(w, 0); /* root owner */
	wr_u16be(w, DNS_TYPE_OPT);
	wr_u16be(w, DNS_EDNS_UDP_SIZE);
	wr_u32be(w, 0); /* extended rcode, version 0, no DO */
	if (!o->ede) {
		wr_u16be(w, 0);
		return;
	}
	wr_u16be(w, (uint16_t)(4 + 2 + text));
	wr_u16be(w, DNS_EDE_OPTION);
	wr_u16be(w, (uint16_t)(2 + text));
	wr_u16be(w, o->ede_code);
	wr_bytes(w, o->ede_text, text);
}

int dns_reply_build(const uint8_t *query, size_t query_len, const struct dns_msg *msg,
		    const struct dns_reply_opts *opts, uint8_t *out, size_t size)
{
	if (msg->qdcount == 0 || msg->questions_end > query_len ||
	    msg->questions_end < DNS_HEADER_LEN) {
		return -EINVAL;
	}
	bool opt = query_has_opt(query, query_len, msg);
	uint16_t qtype = msg->nquestions > 0 ? msg->q[0].qtype : 0;
	bool sinkhole = opts->kind == DNS_REPLY_SINKHOLE && msg->qdcount == 1;
	uint16_t rcode = opts->kind == DNS_REPLY_NXDOMAIN  ? DNS_RCODE_NXDOMAIN
			 : opts->kind == DNS_REPLY_REFUSED ? DNS_RCODE_REFUSED
							   : DNS_RCODE_NOERROR;
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | (msg->opcode << 11) |
				    (msg->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | rcode);
	struct wr w = wr_make(out, size < DNS_UDP_MAX ? size : DNS_UDP_MAX);
	wr_u16be(&w, msg->id);
	wr_u16be(&w, flags);
	wr_u16be(&w, msg->qdcount);
	size_t ancount_at = w.len;
	wr_u16be(&w, 0);
	wr_u16be(&w, 0);
	wr_u16be(&w, opt ? 1 : 0);
	if (!write_questions(query, query_len, msg, &w)) {
		return -EINVAL;
	}
	unsigned an = sinkhole ? write_sinkhole(&w, qtype, opts) : 0;
	wr_patch16be(&w, ancount_at, (uint16_t)an);
	if (opt) {
		write_opt(&w, opts);
	}
	return wr_ok(&w) ? (int)w.len : -ENOSPC;
}
