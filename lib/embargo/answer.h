/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * answer: what a DNS response says about names: the chain from the question through CNAME,
 * DNAME and HTTPS/SVCB targets, the addresses that chain leads to (A, AAAA, and the hints of
 * HTTPS/SVCB records), the public names of the ECH configurations its HTTPS records publish;
 * and the rewrite that takes ECH configurations out of a response (strip-ech).
 */
#ifndef EMBARGO_ANSWER_H
#define EMBARGO_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/common.h"
#include "embargo/name.h"

/* Names of one chain: the question's and the targets it leads to. Real chains hold two or
 * three (a CDN's CNAMEs); eight hops is where resolvers give up (Unbound's and BIND's
 * defaults are near it). */
#define ANSWER_CHAIN_MAX 12
/* Alias records (CNAME, DNAME) and HTTPS/SVCB records kept from one answer section while the
 * chain is walked; the rest are counted in `dropped`. */
#define ANSWER_ALIASES_MAX 16
#define ANSWER_SVCB_MAX	   8
/* Addresses of the chain kept, and A/AAAA records considered for it. */
#define ANSWER_ADDRS_MAX 32
/* Distinct ECH public names kept. */
#define ANSWER_FRONTS_MAX 4

/* SvcParamKeys (RFC 9460 section 14.3.2; ech: draft-ietf-tls-svcb-ech). */
#define SVC_KEY_MANDATORY 0
#define SVC_KEY_ALPN	  1
#define SVC_KEY_IPV4HINT  4
#define SVC_KEY_ECH	  5
#define SVC_KEY_IPV6HINT  6
/* What strip-ech renames an ech SvcParam to: a key of the private-use range (65280..65534),
 * which clients ignore (RFC 9460 section 2.2: unknown keys are skipped). */
#define SVC_KEY_STRIPPED 65534
/* The version of ECHConfig whose contents are read (draft-ietf-tls-esni-18 and later). */
#define ECH_CONFIG_VERSION 0xfe0d

struct answer_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint32_t ttl;  /* seconds, of the record that carried it */
	uint8_t owner; /* index into chain[] of the name it is the address of */
};

struct dns_answer {
	uint16_t id;	 /* host byte order */
	uint8_t rcode;	 /* of the header */
	uint16_t qtype;	 /* of the first question */
	bool tc;	 /* the TC bit: the response was cut by its sender */
	bool cut;	 /* the bytes given end inside a record: what lies before was read */
	unsigned nchain; /* names in chain[]; 0 when the question's name is not usable */
	struct name chain[ANSWER_CHAIN_MAX]; /* chain[0]: the question's name */
	unsigned naddrs;
	struct answer_addr addrs[ANSWER_ADDRS_MAX];
	unsigned nfronts;
	struct name fronts[ANSWER_FRONTS_MAX]; /* ECH public names of the chain's records */
	bool has_ech;	     /* an HTTPS/SVCB record of the chain carries an ech SvcParam */
	uint32_t ech_ttl;    /* with has_ech: the lowest TTL of those records, seconds */
	unsigned ech_params; /* ech SvcParams in the whole message (every section) */
	unsigned dropped;    /* records, chain names, addresses or public names past the bounds */
};

/*
 * Parse the DNS response `buf` (one message, header first). With `cut_ok` the bytes may end
 * inside the message (the first segment of a response over TCP): records are read as far as
 * they are whole and `cut` is set. The chain starts at the first question's name and follows,
 * breadth first, the CNAME of a name, the DNAME above it (the name it synthesises), and the
 * TargetName of its HTTPS/SVCB records (when not "."), from the answer section only; loops
 * end at a name already in the chain. Addresses are the A/AAAA records and the ipv4hint and
 * ipv6hint of HTTPS/SVCB records whose owner is in the chain; fronts are the public_name of
 * each ECHConfig (version 0xfe0d) in their ech SvcParam.
 *
 * Returns PARSE_OK; PARSE_NOT_MINE when `buf` is not a DNS response (shorter than a header,
 * or a query); PARSE_MALFORMED when a record or an SvcParam breaks its rules (with `cut_ok`,
 * a record cut short is not an error). `out` is filled as far as the message was read.
 */
enum parse_result dns_answer_parse(const uint8_t *buf, size_t len, bool cut_ok,
				   struct dns_answer *out);

/*
 * strip-ech: write to `out` (`len` bytes) the DNS response `msg` (`len` bytes, which may end
 * inside the message as above) with every ech SvcParam taken out of use, without changing any
 * length: the parameter is renamed SVC_KEY_STRIPPED, its value zeroed, and it is moved behind
 * the record's other parameters (keys stay in increasing order). Clients skip a key they do
 * not know, so they find no ECH configuration and send a visible SNI; the message keeps its
 * length, so a TCP stream and the sender's UDP size stay as they were, and no compression
 * pointer moves. Records of every section are rewritten; a record whose parameters do not
 * parse is left as it is. Should the rewrite change how the message's chain or addresses read
 * (a name pointing into the moved bytes), nothing is rewritten.
 *
 * Returns the parameters renamed (> 0: `out` differs from `msg`), 0 (`out` is a copy of
 * `msg`), or -EINVAL when `msg` is not a DNS response (`out` untouched). `out` must not
 * overlap `msg`.
 */
int dns_strip_ech(const uint8_t *msg, size_t len, uint8_t *out);

#endif
