/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict for a packet: inspection, then the policy, then what that means for the packet,
 * its flow and the answer the client gets. Shared by embargod and its replay. */
#include <string.h>

#include "embargo/verdict.h"

/* How much a name matters when one packet carries more than a result holds. */
static unsigned rank_name(void *ctx, const struct name *n, enum inspect_proto proto)
{
	const struct verdict_judge *j = ctx;
	return (unsigned)policy_lookup_proto(j->policy, n, proto, NULL);
}

void verdict_judge_init(struct verdict_judge *j, struct inspector *in)
{
	j->in = in;
	j->policy = NULL;
	inspect_set_ranker(in, rank_name, j);
}

static bool is_block(enum action a)
{
	return a == ACTION_DROP || a == ACTION_REJECT;
}

/* A blocked DNS query over UDP: dropped, and answered unless the rule says drop. */
static void block_dns_udp(const struct policy *p, const struct policy_decision *d,
			  struct verdict *v)
{
	v->drop = true;
	if (d->action != ACTION_REJECT) {
		return;
	}
	bool canary = p != NULL && p->has_canary && d->rule != NULL &&
		      d->rule->category_id == p->canary_category;
	v->reply = canary ? VERDICT_REPLY_DNS_NXDOMAIN : VERDICT_REPLY_DNS;
}

void verdict_packet(struct verdict_judge *j, const struct policy *p, const uint8_t *ip, size_t len,
		    const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *r,
		    struct verdict *v)
{
	j->policy = p;
	inspect_packet(j->in, ip, len, meta, now_ms, r);
	memset(v, 0, sizeof(*v));
	switch (r->state) {
	case INSPECT_IGNORED:
	case INSPECT_PENDING:
	case INSPECT_DECIDED:
		v->drop = r->hold;
		v->mark = (enum inspect_mark)r->mark;
		return;
	case INSPECT_NAMED:
	case INSPECT_NAMELESS:
	case INSPECT_UNFINISHED:
	case INSPECT_MALFORMED:
		break;
	}
	if (r->hold && r->state != INSPECT_NAMED) {
		/* Cannot be read, or a copy without a name: it decides nothing and does not pass. */
		v->drop = true;
		return;
	}
	policy_decide(p, r, &v->decision);
	v->judged = true;
	bool blocked = is_block(v->decision.action);
	if (r->proto == INSPECT_PROTO_DNS) {
		if (blocked) {
			block_dns_udp(p, &v->decision, v);
		}
		return;
	}
	if (r->hold && !blocked) {
		/* A copy the server may not take yet; its names are allowed, so it only waits. */
		v->drop = true;
		return;
	}
	enum inspect_verdict iv = !blocked			      ? INSPECT_VERDICT_ALLOW
				  : v->decision.action == ACTION_DROP ? INSPECT_VERDICT_DROP
								      : INSPECT_VERDICT_REJECT;
	v->mark = inspect_decide(j->in, r, iv);
	if ((r->proto == INSPECT_PROTO_QUIC || r->proto == INSPECT_PROTO_GQUIC) &&
	    iv == INSPECT_VERDICT_REJECT) {
		/* QUIC stacks ignore ICMP: the client learns from a Version Negotiation that
		 * lists no version it speaks, and the flow is dropped. */
		v->mark = INSPECT_MARK_DROP;
		if (r->proto == INSPECT_PROTO_QUIC && r->quic_scid.ptr != NULL) {
			v->reply = VERDICT_REPLY_QUIC_VN;
		}
	}
}

const char *verdict_str(const struct verdict *v)
{
	return v->drop ? "drop" : "accept";
}

const char *verdict_reply_str(enum verdict_reply r)
{
	static const char *const names[] = {"none", "dns", "dns-nxdomain", "quic-vn"};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}
