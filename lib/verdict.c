/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict for a packet: inspection, then the policy, then what that means for the packet,
 * its flow and the answer the client gets. Shared by embargod and its replay. DNS answers and
 * what they teach (learned addresses, ECH fronts) are judged here too; the answers themselves
 * are read in answer.c and kept by learn.c. */
#include <string.h>

#include "embargo/dns.h"
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
	j->learned = NULL;
	j->learn = false;
	inspect_set_ranker(in, rank_name, j);
}

void verdict_judge_learn(struct verdict_judge *j, const struct learntab *t, bool learn)
{
	j->learned = t;
	j->learn = learn;
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

/* ---- what was learned ---- */

/* The learned entry of `k` for policy `p` (an entry judged under another generation is not
 * used: its ids belong to another policy). */
static bool learned(const struct verdict_judge *j, const struct policy *p,
		    const struct learntab_key *k, uint64_t now_ms, struct learntab_entry *e)
{
	return j->learned != NULL && p != NULL &&
	       learntab_get(j->learned, k, (uint32_t)(now_ms / 1000), e) &&
	       e->generation == p->generation;
}

/* The decision becomes `a` by `by`, with the rule of a learned entry, when that is more
 * severe than what was decided. */
static void raise_to(struct verdict *v, enum action a, enum verdict_by by,
		     const struct learntab_entry *e)
{
	if (a <= v->decision.action) {
		return;
	}
	v->decision.action = a;
	v->by = by;
	if (e != NULL) {
		v->rule = (struct rule_meta){.line = e->rule_line,
					     .file_id = e->file_id,
					     .vendor_id = e->vendor_id,
					     .category_id = e->category_id,
					     .action = e->action,
					     .kind = DS_BLOCK};
		v->decision.rule = &v->rule;
	}
}

/* Ports whose connections the firewall rules queue for their names (conf/embargo-firewall):
 * TCP 53, 80, 443, 853 and UDP 53, 443. A connection to another port carries no name read. */
static bool port_carries_names(uint8_t l4, uint16_t port)
{
	if (l4 == PKT_PROTO_TCP) {
		return port == 53 || port == 80 || port == 443 || port == 853;
	}
	return port == 53 || port == 443;
}

/* The first packet of a connection to a port that carries no name (the firewall queues those
 * to learned addresses only). */
static bool opens_unnamed(const struct pkt *pk)
{
	if (pk->l4_proto == PKT_PROTO_TCP) {
		return (pk->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN &&
		       !port_carries_names(PKT_PROTO_TCP, pk->dport);
	}
	return pk->l4_proto == PKT_PROTO_UDP && !port_carries_names(PKT_PROTO_UDP, pk->dport) &&
	       !port_carries_names(PKT_PROTO_UDP, pk->sport);
}

/* Does the judged packet carry no name that tells where it goes? Nothing, a malformed
 * message, only IP literals, or an ECH hello whose outer name is a front. */
static bool carries_no_name(const struct inspect_result *r, bool front)
{
	if (r->state == INSPECT_NAMELESS || r->state == INSPECT_MALFORMED) {
		return true;
	}
	if (r->state != INSPECT_NAMED || front) {
		return front;
	}
	for (unsigned i = 0; i < r->nnames && i < INSPECT_NAMES_MAX; i++) {
		if (!(r->names[i].flags & NAME_F_IP_LITERAL)) {
			return false;
		}
	}
	return r->nnames > 0;
}

/* The vendor's action for a connection to a learned address; alert only when shared. */
static void by_address(const struct verdict_judge *j, const struct policy *p,
		       const struct inspect_result *r, uint64_t now_ms, struct verdict *v)
{
	struct learntab_key k;
	struct learntab_entry e;
	learn_addr_key(&k, r->pkt.ip_version, r->pkt.dst);
	if (!learned(j, p, &k, now_ms, &e)) {
		return;
	}
	bool shared = (e.flags & LEARNTAB_F_SHARED) != 0;
	raise_to(v, shared ? ACTION_ALERT : (enum action)e.action,
		 shared ? VERDICT_BY_SHARED : VERDICT_BY_ADDRESS, &e);
}

/* An ECH hello (outer form, real or GREASE) whose outer name is a front: built in, named by
 * the configuration, or learned from a listed name's HTTPS records. The outer name of a
 * GREASE hello is the real one, so GREASE alone decides nothing. */
static bool ech_front(const struct verdict_judge *j, const struct policy *p,
		      const struct inspect_result *r, uint64_t now_ms, struct verdict *v)
{
	if (!r->ech_outer || r->state != INSPECT_NAMED || r->nnames == 0 ||
	    (r->proto != INSPECT_PROTO_TLS && r->proto != INSPECT_PROTO_QUIC)) {
		return false;
	}
	const struct name *outer = &r->names[0];
	struct learntab_key k;
	struct learntab_entry e;
	learn_front_key(&k, outer);
	const struct rule_meta *rule = NULL;
	if (learned(j, p, &k, now_ms, &e)) {
		enum action a = policy_ech_action(p, e.vendor_id);
		if (a == ACTION_ALERT || a == ACTION_REJECT) {
			raise_to(v, a, VERDICT_BY_ECH_FRONT, &e);
			v->decision.name_index = 0;
		}
		return true;
	}
	if (!policy_front(p, outer, &rule)) {
		return false;
	}
	enum action a = policy_ech_action(p, -1);
	if ((a == ACTION_ALERT || a == ACTION_REJECT) && a > v->decision.action) {
		v->decision.action = a;
		v->decision.rule = rule;
		v->decision.name_index = 0;
		v->by = VERDICT_BY_ECH_FRONT;
	}
	return true;
}

/* ---- DNS answers ---- */

/* The most severe rule over a chain: its action, and the index of the name. */
static enum action chain_action(const struct policy *p, const struct dns_answer *a,
				enum inspect_proto proto, const struct rule_meta **rule,
				unsigned *idx)
{
	enum action best = ACTION_NONE;
	*rule = NULL;
	*idx = 0;
	for (unsigned i = 0; i < a->nchain; i++) {
		const struct rule_meta *m;
		enum action act = policy_lookup_proto(p, &a->chain[i], proto, &m);
		if (act > best) {
			best = act;
			*rule = m;
			*idx = i;
		}
	}
	return best;
}

/* What one answer teaches: its listed name (or its question), addresses and fronts. */
static void teach(struct verdict_judge *j, const struct dns_answer *a, bool listed, unsigned idx,
		  struct verdict *v)
{
	if (a->nchain == 0 || (a->naddrs == 0 && !(listed && a->nfronts > 0))) {
		return;
	}
	struct learn_answer *out = &j->learn_out[v->nlearn++];
	out->name = a->chain[listed ? idx : 0];
	out->listed = listed;
	out->naddrs = 0;
	for (unsigned i = 0; i < a->naddrs && out->naddrs < LEARN_ANSWER_ADDRS; i++) {
		out->addrs[out->naddrs].family = a->addrs[i].family;
		memcpy(out->addrs[out->naddrs].addr, a->addrs[i].addr, 16);
		out->addrs[out->naddrs++].ttl = a->addrs[i].ttl;
	}
	out->has_ech = listed && a->has_ech;
	out->ech_ttl = a->ech_ttl;
	out->nfronts = 0;
	for (unsigned i = 0; listed && i < a->nfronts && out->nfronts < LEARN_ANSWER_FRONTS; i++) {
		out->fronts[out->nfronts++] = a->fronts[i];
	}
}

/* The packet with every answer's ech parameters taken out, into the judge's buffer. */
static void strip_ech(struct verdict_judge *j, const struct inspect_result *r, const uint8_t *ip,
		      size_t len, struct verdict *v)
{
	if (len > sizeof(j->rewrite)) {
		return;
	}
	memcpy(j->rewrite, ip, len);
	unsigned total = 0;
	for (unsigned i = 0; i < r->nanswers; i++) {
		const struct span *m = &r->answer_msgs[i];
		if (r->answers[i].ech_params == 0 || m->ptr < ip || m->ptr + m->len > ip + len) {
			continue;
		}
		size_t off = (size_t)(m->ptr - ip);
		int n = dns_strip_ech(m->ptr, m->len, j->rewrite + off);
		total += n > 0 ? (unsigned)n : 0;
	}
	if (total > 0 && pkt_fix_checksums(j->rewrite, len, &r->pkt) == 0) {
		v->payload = j->rewrite;
		v->payload_len = len;
		v->stripped = total;
	}
}

/*
 * A DNS response: blocked when the chain of one of its answers reaches a listed name (CNAME
 * cloaking) and the client is in scope, as a blocked query would be (over UDP dropped and
 * answered in its place, over TCP dropped and the connection reset); alert-only when that
 * name is; else passed, with ECH taken out when strip-ech is on. Every answer is handed over
 * for learning when the resolver may teach.
 */
static void judge_answer(struct verdict_judge *j, const struct policy *p,
			 const struct inspect_result *r, const uint8_t *ip, size_t len,
			 bool truncated, struct verdict *v)
{
	const struct pkt *pk = &r->pkt;
	v->mark = (enum inspect_mark)r->mark;
	bool enforced = policy_client_enforced(p, pk->ip_version, pk->dst);
	bool teaching = j->learn && policy_learns_from(p, pk->ip_version, pk->src);
	for (unsigned i = 0; i < r->nanswers; i++) {
		const struct dns_answer *a = &r->answers[i];
		const struct rule_meta *rule;
		unsigned idx;
		enum action act = chain_action(p, a, r->proto, &rule, &idx);
		bool listed = act == ACTION_ALERT || is_block(act);
		if (teaching) {
			teach(j, a, listed, idx, v);
		}
		/* Listed as the question itself: its query was let through (alert only, or
		 * passed before the daemon saw it); a block still holds. */
		bool counts = is_block(act) || (act == ACTION_ALERT && idx > 0);
		if (p == NULL || !p->cname_cloaking || !enforced || !counts ||
		    act <= v->decision.action) {
			continue;
		}
		v->judged = true;
		v->decision.action = act;
		v->decision.rule = rule;
		v->by = idx > 0 ? VERDICT_BY_CNAME : VERDICT_BY_NAME;
		v->name = &a->chain[idx];
		v->via = &a->chain[0];
		v->decision.name_index = 0;
	}
	if (is_block(v->decision.action)) {
		v->drop = true;
		if (v->decision.action == ACTION_REJECT) {
			v->reply = pk->l4_proto == PKT_PROTO_TCP ? VERDICT_REPLY_TCP_RESET
								 : VERDICT_REPLY_DNS;
		}
		return;
	}
	inspect_answer_passed(j->in, r);
	if (p != NULL && p->strip_ech && !truncated) {
		strip_ech(j, r, ip, len, v);
	}
}

/* ---- the verdict ---- */

/* Nothing to judge by its name: a connection to a learned address on a port that carries no
 * name is judged by its destination. */
static void judge_unnamed(struct verdict_judge *j, const struct policy *p,
			  const struct inspect_result *r, uint64_t now_ms, struct verdict *v)
{
	if (j->learned == NULL || !opens_unnamed(&r->pkt) ||
	    !policy_client_enforced(p, r->pkt.ip_version, r->pkt.src)) {
		return;
	}
	by_address(j, p, r, now_ms, v);
	if (v->decision.action == ACTION_NONE) {
		return;
	}
	v->judged = true;
	if (is_block(v->decision.action)) {
		v->drop = false;
		v->mark =
			inspect_decide(j->in, r,
				       v->decision.action == ACTION_DROP ? INSPECT_VERDICT_DROP
									 : INSPECT_VERDICT_REJECT);
	}
}

void verdict_packet(struct verdict_judge *j, const struct policy *p, const uint8_t *ip, size_t len,
		    const struct inspect_meta *meta, uint64_t now_ms, struct inspect_result *r,
		    struct verdict *v)
{
	j->policy = p;
	inspect_set_responses(j->in, p != NULL && p->responses);
	inspect_packet(j->in, ip, len, meta, now_ms, r);
	memset(v, 0, sizeof(*v));
	switch (r->state) {
	case INSPECT_IGNORED:
	case INSPECT_PENDING:
	case INSPECT_DECIDED:
		v->drop = r->hold;
		v->mark = (enum inspect_mark)r->mark;
		if (r->state == INSPECT_IGNORED && !r->hold) {
			judge_unnamed(j, p, r, now_ms, v);
		}
		return;
	case INSPECT_ANSWER:
		judge_answer(j, p, r, ip, len, meta != NULL && meta->truncated, v);
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
	if (r->proto == INSPECT_PROTO_DNS) {
		if (is_block(v->decision.action)) {
			block_dns_udp(p, &v->decision, v);
		}
		return;
	}
	/* A connection whose name says nothing about where it goes: ECH to a front, nothing,
	 * an address. The policy may add the address's action or the ECH policy to it. */
	if (!is_block(v->decision.action) &&
	    policy_client_enforced(p, r->pkt.ip_version, r->pkt.src)) {
		bool front = ech_front(j, p, r, now_ms, v);
		if (carries_no_name(r, front)) {
			by_address(j, p, r, now_ms, v);
		}
	}
	bool blocked = is_block(v->decision.action);
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
	static const char *const names[] = {"none", "dns", "dns-nxdomain", "quic-vn", "tcp-reset"};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *verdict_by_str(enum verdict_by b)
{
	static const char *const names[] = {"name", "cname", "address", "shared-address",
					    "ech-front"};
	return (unsigned)b < sizeof(names) / sizeof(names[0]) ? names[b] : "?";
}
