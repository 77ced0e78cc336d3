/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns: DNS messages (RFC 1035) over UDP and TCP: questions, answers, and forged replies. */
#ifndef EMBARGO_DNS_H
#define EMBARGO_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"
#include "embargo/name.h"

#define DNS_HEADER_LEN 12 /* RFC 1035 section 4.1.1 */
#define DNS_UDP_MAX    65535
/* Questions kept per message. Real queries carry one (RFC 9619 makes QDCOUNT > 1 an error);
 * the first DNS_QUESTIONS_MAX are reported so a name hidden in a second question is seen too. */
#define DNS_QUESTIONS_MAX 4
/* Compression pointers followed for one name before it is called malformed. Pointers must
 * also point strictly backwards, which bounds loops on its own; this caps the work. */
#define DNS_POINTER_HOPS_MAX 32

#define DNS_TYPE_A     1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA  28
#define DNS_TYPE_DNAME 39 /* RFC 6672 */
#define DNS_TYPE_OPT   41 /* RFC 6891 */
#define DNS_TYPE_SVCB  64 /* RFC 9460 */
#define DNS_TYPE_HTTPS 65 /* RFC 9460 */
#define DNS_CLASS_IN   1
#define DNS_FLAG_QR    0x8000
#define DNS_FLAG_TC    0x0200

/* Extended DNS Errors (RFC 8914 section 4): the INFO-CODEs a forged answer gives. */
#define DNS_EDE_OPTION	 15 /* the EDNS option code of an Extended DNS Error */
#define DNS_EDE_BLOCKED	 15 /* "Blocked": by the resolver's operator's policy */
#define DNS_EDE_FILTERED 17 /* "Filtered": at the request of the client's own policy */
/* Bytes of EXTRA-TEXT a forged answer carries at most ("embargo: vendor/category"). */
#define DNS_EDE_TEXT_MAX 160

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED  5

struct dns_question {
	struct name name;
	bool name_ok;	 /* false when the wire name was valid DNS but not a normalisable name */
	uint16_t qtype;	 /* host byte order */
	uint16_t qclass; /* host byte order */
};

/* Header and questions of one DNS message. */
struct dns_msg {
	uint16_t id;	/* host byte order */
	uint16_t flags; /* the 16 flag bits of the header, host byte order */
	bool is_response;
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t nquestions; /* questions parsed into q[] (<= DNS_QUESTIONS_MAX, <= qdcount) */
	struct dns_question q[DNS_QUESTIONS_MAX];
	size_t questions_end;  /* offset just past the last question of the message (all qdcount);
				  0 when a question could not be read */
	bool question_pointer; /* a question name uses a compression pointer (no real client
				  sends one) */
};

/*
 * Parse the header and the questions of the DNS message in `buf` (exactly one message, as in
 * a UDP payload). Returns PARSE_OK; PARSE_NOT_MINE when shorter than a header (any 12 bytes or
 * more are read as DNS: a gateway must not let a real query through unread); PARSE_MALFORMED
 * when a question runs past the buffer, has a bad label type, too many pointer hops or a name
 * over 255 octets, or a compression pointer that does not point strictly backwards. Questions
 * read before the fault stay in q[] (nquestions), and a name reached through a forward pointer
 * is still read (bounded by DNS_POINTER_HOPS_MAX), since a resolver might follow it.
 */
enum parse_result dns_msg_parse(const uint8_t *buf, size_t len, struct dns_msg *out);

/*
 * Read one question at `*pos` of the message `buf` (the header starts at 0): its name, type
 * and class; `*pos` moves past it. `q->name_ok` is false when the wire name is valid DNS but
 * not a normalisable name. `*pointer` is set when the name used a compression pointer,
 * `*forward` when a pointer did not point strictly backwards (the name is still read). Returns
 * PARSE_OK or PARSE_MALFORMED (see dns_msg_parse).
 */
enum parse_result dns_question_next(const uint8_t *buf, size_t len, size_t *pos,
				    struct dns_question *q, bool *pointer, bool *forward);

/*
 * DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): `buf` holds stream bytes starting at a
 * 2-byte length prefix. On PARSE_OK `msg` is the first whole message and `*consumed` the bytes
 * it took with its prefix (call again at buf + *consumed for the next). PARSE_NEED_MORE when the
 * prefix or the message is not all there yet; PARSE_MALFORMED for a zero length.
 */
enum parse_result dns_tcp_next(const uint8_t *buf, size_t len, struct span *msg, size_t *consumed);

/* One resource record. Names are normalised; spans are offsets into the message. */
struct dns_rr {
	struct name owner;
	bool owner_ok;	       /* false: valid DNS, but not a normalisable name */
	uint16_t type, rclass; /* host byte order */
	uint32_t ttl;	       /* seconds */
	uint8_t addr[16];      /* A: the first 4 bytes; AAAA: all 16 */
	struct name target;    /* CNAME, DNAME: the target; SVCB, HTTPS: the TargetName */
	bool target_ok;
	uint16_t svc_priority; /* SVCB, HTTPS: SvcPriority (0: AliasMode) */
	size_t rdata_off;      /* where the rdata starts in the message */
	uint16_t rdata_len;    /* RDLENGTH */
	size_t params_off;     /* SVCB, HTTPS: where the SvcParams start (up to the rdata's end) */
};

/*
 * Read the resource record at `*pos` of the message `buf` (the header starts at 0); `*pos`
 * moves past it. The rdata of A and AAAA must be 4 and 16 bytes; the target of a CNAME, DNAME,
 * SVCB or HTTPS record is read within the message (it may use compression pointers) and must
 * end inside the rdata (exactly at its end for CNAME and DNAME). Other types are only framed.
 * Returns PARSE_OK or PARSE_MALFORMED (which is also what a record cut short gives).
 */
enum parse_result dns_rr_next(const uint8_t *buf, size_t len, size_t *pos, struct dns_rr *rr);

/*
 * Parse up to `max` records of the answer section of the message `buf` whose header and
 * questions `msg` came from dns_msg_parse on the same buffer. Only A, AAAA and CNAME records
 * are stored; the others are framed and skipped. `*count` is set to the records stored.
 * Returns PARSE_OK or PARSE_MALFORMED.
 */
enum parse_result dns_answers_parse(const uint8_t *buf, size_t len, const struct dns_msg *msg,
				    struct dns_rr *out, size_t max, size_t *count);

enum dns_reply_kind {
	DNS_REPLY_NXDOMAIN = 0,
	DNS_REPLY_REFUSED,
	DNS_REPLY_SINKHOLE, /* NOERROR with an A/AAAA record of the sinkhole address, or for an
			       HTTPS/SVCB question a record whose hints carry both sinkhole
			       addresses; NODATA for other types */
};

/* "nxdomain", "refused", "sinkhole" ("?" for another value), and back (-1 when unknown). */
const char *dns_reply_kind_str(enum dns_reply_kind k);
int dns_reply_kind_from_str(const char *s);

struct dns_reply_opts {
	enum dns_reply_kind kind;
	uint8_t sinkhole_v4[4];
	uint8_t sinkhole_v6[16];
	uint32_t ttl;	   /* for the sinkhole record and the negative-caching SOA-less answer */
	uint16_t ede_code; /* Extended DNS Error INFO-CODE (DNS_EDE_*) when `ede` */
	bool ede;	   /* with EDNS in the query, the answer carries an Extended DNS Error */
	char ede_text[DNS_EDE_TEXT_MAX]; /* its EXTRA-TEXT, NUL-terminated ("" for none) */
};

/*
 * Build, in `out` (`size` bytes), the reply to the query `query` (parsed into `msg`), or the
 * answer that replaces a response (`query` may be the response to that query: its questions
 * and its EDNS OPT record stand for the query's): same ID, QR and RA set, RD and CD copied,
 * every question copied with its name spelled out label by label (the client's case kept,
 * compression pointers followed), the rcode and records the options ask for. An EDNS OPT
 * record in `query` is answered with an OPT that carries the Extended DNS Error the options
 * ask for. Returns the reply length, or -EINVAL (no question, or a question that cannot be
 * read) or -ENOSPC (out too small).
 */
int dns_reply_build(const uint8_t *query, size_t query_len, const struct dns_msg *msg,
		    const struct dns_reply_opts *opts, uint8_t *out, size_t size);

#endif
