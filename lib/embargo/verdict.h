/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdict: what the inspection of a packet and the policy mean for the packet and its flow —
 * the one decision model the daemon and the replay share. */
#ifndef EMBARGO_VERDICT_H
#define EMBARGO_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/inspect.h"
#include "embargo/learn.h"
#include "embargo/learntab.h"
#include "embargo/policy.h"

/* The largest packet a verdict rewrites (an NFQUEUE copy range's maximum). */
#define VERDICT_REWRITE_MAX 65535

/* An answer the caller sends on the packet's behalf. */
enum verdict_reply {
	VERDICT_REPLY_NONE = 0,
	VERDICT_REPLY_DNS,	    /* answer the DNS query with the configured answer kind */
	VERDICT_REPLY_DNS_NXDOMAIN, /* answer NXDOMAIN whatever the kind (the DoH canary) */
	VERDICT_REPLY_QUIC_VN,	    /* a Version Negotiation with no version in common: the
				       client abandons the connection at once */
	VERDICT_REPLY_TCP_RESET,    /* resets toward both ends of the segment (a response over
				       TCP that is blocked: the client's connection fails at once) */
};

/* What decided a judged packet. */
enum verdict_by {
	VERDICT_BY_NAME = 0,  /* a name the packet carries */
	VERDICT_BY_CNAME,     /* a name its DNS answer's chain leads to (`via`: the question) */
	VERDICT_BY_ADDRESS,   /* nothing it names: its destination, learned for a listed name */
	VERDICT_BY_SHARED,    /* ... learned, but also given for an unlisted name: alert only */
	VERDICT_BY_ECH_FRONT, /* an ECH hello to a known front */
};

struct verdict {
	bool drop;		/* the kernel drops the packet; else it accepts it */
	enum inspect_mark mark; /* the mark an accepted packet leaves with (NONE: unchanged) */
	enum verdict_reply reply;
	bool judged; /* the policy was asked for this packet: `decision` is its answer */
	struct policy_decision decision;
	enum verdict_by by;	 /* what decided (judged packets) */
	const struct name *name; /* the deciding name, when not the result's names[name_index] */
	const struct name *via;	 /* VERDICT_BY_CNAME: the question whose chain led to `name` */
	struct rule_meta rule;	 /* a rule made from a learned entry (decision.rule points here) */
	/* The packet leaves with these bytes instead (NULL: as it came); checksums are fixed. */
	const uint8_t *payload;
	size_t payload_len;
	unsigned stripped; /* ech SvcParams taken out of the packet's DNS answers */
	unsigned nlearn;   /* answers in the judge's learn[] for the learner */
};

/* The inspector a judge drives, the policy in force for the packet at hand, and what the
 * learner knows. */
struct verdict_judge {
	struct inspector *in;
	const struct policy *policy;
	const struct learntab *learned; /* NULL: no address or front is learned */
	bool learn;			/* hand answers over for learning (learn[], nlearn) */
	struct learn_answer learn_out[INSPECT_ANSWERS_MAX];
	uint8_t rewrite[VERDICT_REWRITE_MAX];
};

/* Bind `j` to `in` (names past the result's capacity are ranked by the policy); nothing
 * learned, no answers handed over. */
void verdict_judge_init(struct verdict_judge *j, struct inspector *in);

/* Read learned addresses and fronts from `t`; with `learn`, hand answers over for learning. */
void verdict_judge_learn(struct verdict_judge *j, const struct learntab *t, bool learn);

/*
 * Inspect one packet (as inspect_packet, with `meta`) and decide it with policy `p` (NULL: no rules, every
 * name allowed). Fills `r` (the inspection) and `v`: the kernel verdict, the mark, an answer to
 * send, and the policy's decision when one was taken. The flow's state moves on as the verdict
 * says (inspect_decide), so a caller only carries `v` out.
 */
void verdict_packet(struct verdict_judge *j, const struct policy *p, const uint8_t *ip, size_t len,
		    const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *r,
		    struct verdict *v);

/* "accept" / "drop". */
const char *verdict_str(const struct verdict *v);
/* "none", "dns", "dns-nxdomain", "quic-vn", "tcp-reset". */
const char *verdict_reply_str(enum verdict_reply r);
/* "name", "cname", "address", "shared-address", "ech-front". */
const char *verdict_by_str(enum verdict_by b);

#endif
