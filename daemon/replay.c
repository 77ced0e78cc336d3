/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Offline replay: feed a pcap/pcapng capture through the daemon's own inspection and policy and
 * print what the daemon would have done, one line per decision. */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "embargo/inspect.h"
#include "embargo/learn.h"
#include "embargo/packet.h"
#include "embargo/policy.h"
#include "embargo/verdict.h"
#include "replay.h"

struct replay_totals {
	uint64_t frames, not_ip, link_malformed;
	uint64_t by_state[INSPECT_ANSWER + 1];
	uint64_t names;
	uint64_t by_action[ACTION_REJECT + 1];
	uint64_t dropped, held_back, replies, rewritten;
};

/* "2024-05-01T12:00:00.123456Z" from a capture timestamp. */
static void format_time(const struct timeval *tv, char *buf, size_t size)
{
	struct tm tm;
	time_t secs = tv->tv_sec;

	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, size, "%lld.%06ld", (long long)tv->tv_sec, (long)tv->tv_usec);
		return;
	}
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ldZ", (long)tv->tv_usec);
}

/* "10.0.0.1:5353" or "[2001:db8::1]:443". */
static void format_endpoint(const struct pkt *p, const uint8_t *addr, uint16_t port, char *buf,
			    size_t size)
{
	char a[64];

	pkt_addr_str(p, addr, a, sizeof(a));
	if (p->ip_version == 6) {
		snprintf(buf, size, "[%s]:%u", a, port);
	} else {
		snprintf(buf, size, "%s:%u", a, port);
	}
}

static const char *l4_str(const struct pkt *p)
{
	return p->l4_proto == PKT_PROTO_TCP ? "tcp" : p->l4_proto == PKT_PROTO_UDP ? "udp" : "ip";
}

static void print_names(const struct inspect_result *r)
{
	/* The chains of answers are of another kind than the names clients ask for. */
	const char *kind = r->state == INSPECT_ANSWER ? "dns-resp" : inspect_proto_str(r->proto);
	for (unsigned i = 0; i < r->nnames; i++) {
		char esc[NAME_TEXT_MAX * 4 + 8];
		name_escape(&r->names[i], esc, sizeof(esc));
		printf("%s:%s\n", kind, esc);
	}
}

/* One line per packet the policy judged, and per packet held back: what the daemon would do. */
static void print_decision(const struct replay_opts *o, const struct timeval *ts,
			   const struct inspect_result *r, const struct verdict *v)
{
	char when[48], src[80], dst[80];
	char name[NAME_TEXT_MAX * 4 + 8] = "-";
	const struct policy_decision *d = &v->decision;

	format_time(ts, when, sizeof(when));
	format_endpoint(&r->pkt, r->pkt.src, r->pkt.sport, src, sizeof(src));
	format_endpoint(&r->pkt, r->pkt.dst, r->pkt.dport, dst, sizeof(dst));
	if (v->name != NULL) {
		name_escape(v->name, name, sizeof(name));
	} else if ((r->state == INSPECT_NAMED || r->state == INSPECT_ANSWER) && r->nnames > 0) {
		name_escape(&r->names[v->judged ? d->name_index : 0], name, sizeof(name));
	}
	printf("%s %s %s -> %s %s name=%s state=%s", when, l4_str(&r->pkt), src, dst,
	       inspect_proto_str(r->proto), name, inspect_state_str(r->state));
	if (r->reason != NULL) {
		printf(" reason=%s", r->reason);
	}
	if (r->nnames > 1) {
		printf(" names=%u", r->nnames + r->names_dropped);
	}
	if (r->quic_version != 0) {
		printf(" version=0x%08" PRIx32, r->quic_version);
	}
	if (r->has_ech) {
		printf(" ech=yes");
	}
	printf(" action=%s verdict=%s", action_str(v->judged ? d->action : ACTION_NONE),
	       verdict_str(v));
	if (v->judged && v->by != VERDICT_BY_NAME) {
		printf(" by=%s", verdict_by_str(v->by));
	}
	if (v->judged && v->by == VERDICT_BY_CNAME && v->via != NULL) {
		char via[NAME_TEXT_MAX * 4 + 8];
		name_escape(v->via, via, sizeof(via));
		printf(" query=%s", via);
	}
	if (v->payload != NULL) {
		printf(" rewritten=strip-ech:%u", v->stripped);
	}
	if (v->mark != INSPECT_MARK_NONE && !v->drop) {
		printf(" mark=%s", inspect_mark_str(v->mark));
	}
	if (v->reply != VERDICT_REPLY_NONE) {
		printf(" reply=%s", verdict_reply_str(v->reply));
	}
	struct policy_rule_names rn;
	policy_rule_names(o->policy, v->judged ? d->rule : NULL, &rn);
	if (rn.vendor != NULL) {
		printf(" vendor=%s", rn.vendor);
	}
	if (rn.category != NULL) {
		printf(" category=%s", rn.category);
	}
	if (rn.file != NULL) {
		printf(" rule=%s:%" PRIu32, rn.file, d->rule->line);
	}
	putchar('\n');
}

static void handle_frame(struct verdict_judge *j, struct learner *l, const struct replay_opts *o,
			 int linktype, const struct pcap_pkthdr *h, const uint8_t *frame,
			 struct inspect_result *r, struct replay_totals *t)
{
	struct pkt_link link;
	struct verdict v;

	t->frames++;
	enum parse_result lr = pkt_link_decap(linktype, frame, h->caplen, &link);
	if (lr == PARSE_NOT_MINE) {
		t->not_ip++;
		return;
	}
	if (lr != PARSE_OK) {
		t->link_malformed++;
		return;
	}
	uint64_t now_ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
	bool truncated = h->caplen < h->len;
	/* The same verdict model as the daemon; a capture knows no connection marks. */
	struct inspect_meta meta = {truncated, INSPECT_MARK_NONE, 0};
	verdict_packet(j, o->policy, frame + link.ip_offset, h->caplen - link.ip_offset, &meta,
		       now_ms, r, &v);
	t->by_state[r->state]++;
	t->names += r->nnames;
	t->dropped += v.drop;
	t->held_back += r->hold;
	t->replies += v.reply != VERDICT_REPLY_NONE;
	t->rewritten += v.payload != NULL;
	/* What the answer taught, at once (the daemon's main loop takes it a moment later). */
	for (unsigned i = 0; l != NULL && i < v.nlearn; i++) {
		learn_answer(l, o->policy, &j->learn_out[i], (uint32_t)(now_ms / 1000));
	}
	/* Shown: packets the policy judged, copies held back, packets rewritten, and the
	 * server's packets that make an allow final. */
	bool confirmed = r->state == INSPECT_IGNORED &&
			 (v.mark == INSPECT_MARK_ALLOW || v.mark == INSPECT_MARK_WATCH);
	if (!v.judged && !r->hold && !confirmed && v.payload == NULL) {
		return;
	}
	if (v.judged) {
		t->by_action[v.decision.action]++;
	}
	if (o->names_only) {
		if (v.judged) {
			print_names(r);
		}
	} else if (!o->quiet) {
		print_decision(o, &h->ts, r, &v);
	}
}

static void print_summary(const struct replay_opts *o, const struct replay_totals *t,
			  const struct inspector *in)
{
	struct inspect_stats st;
	FILE *out = o->names_only ? stderr : stdout;

	inspect_get_stats(in, &st);
	fprintf(out,
		"# %s: %" PRIu64 " frames, %" PRIu64 " not IP, %" PRIu64
		" bad link header; named %" PRIu64 " (%" PRIu64 " names), nameless %" PRIu64
		", malformed %" PRIu64 ", pending %" PRIu64 ", ignored %" PRIu64
		", unfinished %" PRIu64 ", decided earlier %" PRIu64 "\n",
		o->path, t->frames, t->not_ip, t->link_malformed, t->by_state[INSPECT_NAMED],
		t->names, t->by_state[INSPECT_NAMELESS], t->by_state[INSPECT_MALFORMED],
		t->by_state[INSPECT_PENDING], t->by_state[INSPECT_IGNORED],
		t->by_state[INSPECT_UNFINISHED], t->by_state[INSPECT_DECIDED]);
	fprintf(out,
		"# actions: none %" PRIu64 ", allow %" PRIu64 ", alert %" PRIu64 ", drop %" PRIu64
		", reject %" PRIu64 "; packets dropped %" PRIu64 " (held back %" PRIu64
		"), answers %" PRIu64 "; flows %" PRIu64 " (evicted %" PRIu64
		", reassembly buffers exhausted %" PRIu64
		", allows confirmed by the server %" PRIu64 "); DNS responses read %" PRIu64
		", rewritten %" PRIu64 "\n",
		t->by_action[ACTION_NONE], t->by_action[ACTION_ALLOW], t->by_action[ACTION_ALERT],
		t->by_action[ACTION_DROP], t->by_action[ACTION_REJECT], t->dropped, t->held_back,
		t->replies, st.flows_created, st.flows_evicted, st.buffers_exhausted, st.confirmed,
		t->by_state[INSPECT_ANSWER], t->rewritten);
}

int replay_run(const struct replay_opts *o)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct replay_totals t;
	struct inspect_limits lim;

	memset(&t, 0, sizeof(t));
	pcap_t *pc = pcap_open_offline(o->path, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "embargod: %s: %s\n", o->path, errbuf);
		return 1;
	}
	/* DLT and LINKTYPE values agree for every type handled, except raw IP, which
	 * pkt_link_decap accepts under both numbers. */
	int linktype = pcap_datalink(pc);
	inspect_limits_default(&lim);
	struct inspector *in = inspector_new(&lim);
	if (in == NULL) {
		fprintf(stderr, "embargod: out of memory\n");
		pcap_close(pc);
		return 1;
	}
	static struct inspect_result res;  /* ~9 KiB: kept off the stack */
	static struct verdict_judge judge; /* its rewrite buffer is 64 KiB */
	verdict_judge_init(&judge, in);
	struct learner *learner = NULL;
	if (o->learn_entries > 0) {
		struct learn_limits ll = {.per_family = o->learn_entries,
					  .grace_s = o->learn_grace_s,
					  .kernel = false};
		learner = learn_new(&ll);
		if (learner == NULL) {
			fprintf(stderr, "embargod: out of memory\n");
			inspector_free(in);
			pcap_close(pc);
			return 1;
		}
		verdict_judge_learn(&judge, learn_table(learner), true);
	}
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	int rc;
	uint64_t last_expire_ms = 0;
	while ((rc = pcap_next_ex(pc, &h, &frame)) == 1) {
		handle_frame(&judge, learner, o, linktype, h, frame, &res, &t);
		uint64_t now_ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		if (now_ms - last_expire_ms >= 1000) {
			inspect_expire(in, now_ms);
			if (learner != NULL) {
				learn_tick(learner, (uint32_t)(now_ms / 1000));
			}
			last_expire_ms = now_ms;
		}
	}
	int status = 0;
	if (rc == PCAP_ERROR) {
		/* A capture cut short still reports what it had; say so and fail. */
		fprintf(stderr, "embargod: %s: %s\n", o->path, pcap_geterr(pc));
		status = 1;
	}
	print_summary(o, &t, in);
	learn_free(learner);
	inspector_free(in);
	pcap_close(pc);
	return status;
}
