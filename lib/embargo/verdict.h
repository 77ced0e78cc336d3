/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdict: what the inspection of a packet and the policy mean for the packet and its flow —
 * the one decision model the daemon and the replay share. */
#ifndef EMBARGO_VERDICT_H
#define EMBARGO_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"

/* An answer the caller sends on the packet's behalf. */
enum verdict_reply {
	VERDICT_REPLY_NONE = 0,
	VERDICT_REPLY_DNS,	    /* answer the DNS query with the configured answer kind */
	VERDICT_REPLY_DNS_NXDOMAIN, /* answer NXDOMAIN whatever the kind (the DoH canary) */
	VERDICT_REPLY_QUIC_VN,	    /* a Version Negotiation with no version in common: the
				       client abandons the connection at once */
};

struct verdict {
	bool drop;		/* the kernel drops the packet; else it accepts it */
	enum inspect_mark mark; /* the mark an accepted packet leaves with (NONE: unchanged) */
	enum verdict_reply reply;
	bool judged; /* the policy was asked for this packet: `decision` is its answer */
	struct policy_decision decision;
};

/* The inspector a judge drives and the policy in force for the packet at hand. */
struct verdict_judge {
	struct inspector *in;
	const struct policy *policy;
};

/* Bind `j` to `in` (names past the result's capacity are ranked by the policy). */
void verdict_judge_init(struct verdict_judge *j, struct inspector *in);

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
/* "none", "dns", "dns-nxdomain", "quic-vn". */
const char *verdict_reply_str(enum verdict_reply r);

#endif
