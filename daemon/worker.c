/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A queue worker: receive packets, inspect, decide, answer with a verdict, in its own thread
 * and libevent loop. */
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "embargo/policy.h"
#include "log.h"
#include "worker.h"

/* Datagrams read per wake-up before verdicts are flushed and other events get a turn. */
#define WORKER_RECV_BATCH 64
/* Datagrams answered at shutdown before the queue is unbound (traffic may keep coming). */
#define WORKER_SHUTDOWN_DRAIN 4096
/* Housekeeping tick: flow expiry, policy generation, stop flag. */
#define WORKER_TICK_MS 100

/* Flow verdicts remembered by the inspector (inspect_decide). */
enum flow_verdict {
	FLOW_ALLOW = 1,
	FLOW_DROP = 2,
	FLOW_REJECT = 3,
};

uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct packet_ctx {
	struct worker *w;
	const struct policy *policy;
	uint64_t now_ms;
};

static void count_state(struct worker_stats *st, enum inspect_state s)
{
	switch (s) {
	case INSPECT_NAMED:
		stat_add(&st->named, 1);
		break;
	case INSPECT_NAMELESS:
		stat_add(&st->nameless, 1);
		break;
	case INSPECT_MALFORMED:
		stat_add(&st->malformed, 1);
		break;
	case INSPECT_PENDING:
		stat_add(&st->pending, 1);
		break;
	case INSPECT_DECIDED:
		stat_add(&st->decided, 1);
		break;
	case INSPECT_IGNORED:
		stat_add(&st->ignored, 1);
		break;
	}
}

static bool is_dns(enum inspect_proto p)
{
	return p == INSPECT_PROTO_DNS || p == INSPECT_PROTO_DNS_TCP;
}

/*
 * Send the verdict for a flow decision. The packet is accepted with a packet mark that the
 * firewall's filter rules act on: they save it as the connection mark (so the flow is not
 * queued again) and then let it pass, drop it, or reject it (see conf/ for the rules).
 */
static void apply_flow_verdict(struct worker *w, const struct nfqueue_packet *p,
			       enum flow_verdict fv)
{
	const struct worker_shared *sh = w->shared;
	uint32_t bit = fv == FLOW_ALLOW	 ? sh->mark_allow
		       : fv == FLOW_DROP ? sh->mark_block
					 : sh->mark_reject;
	uint32_t mark = (p->mark & ~sh->mark_mask) | bit;

	if (nfqueue_verdict(w->nfq, p->id, NFQUEUE_ACCEPT, true, mark) != 0) {
		stat_add(&w->stats.send_errors, 1);
	}
	if (fv == FLOW_ALLOW) {
		stat_add(&w->stats.accepted, 1);
	} else {
		stat_add(&w->stats.marked_block, 1);
	}
}

static void accept_plain(struct worker *w, const struct nfqueue_packet *p)
{
	if (nfqueue_verdict(w->nfq, p->id, NFQUEUE_ACCEPT, false, 0) != 0) {
		stat_add(&w->stats.send_errors, 1);
	}
	stat_add(&w->stats.accepted, 1);
}

static void drop_plain(struct worker *w, const struct nfqueue_packet *p)
{
	if (nfqueue_verdict(w->nfq, p->id, NFQUEUE_DROP, false, 0) != 0) {
		stat_add(&w->stats.send_errors, 1);
	}
	stat_add(&w->stats.dropped, 1);
}

static enum flow_verdict flow_verdict_of(enum action a)
{
	switch (a) {
	case ACTION_DROP:
		return FLOW_DROP;
	case ACTION_REJECT:
		return FLOW_REJECT;
	default:
		return FLOW_ALLOW;
	}
}

/* Blocked DNS over UDP: answer the client at once and drop the query (the canary name is
 * always answered NXDOMAIN). */
static void block_dns_udp(struct worker *w, const struct nfqueue_packet *p,
			  const struct inspect_result *r, enum action a, bool canary)
{
	if (a == ACTION_REJECT) {
		/* The DoH canary must read NXDOMAIN whatever answer kind blocks get. */
		struct dns_reply_opts nx = w->shared->dns_reply;
		nx.kind = DNS_REPLY_NXDOMAIN;
		int rc = inject_dns_reply(&w->shared->inject, &r->pkt, r->dns_msg.ptr,
					  r->dns_msg.len, canary ? &nx : &w->shared->dns_reply);
		if (rc == 0) {
			stat_add(&w->stats.dns_forged, 1);
		} else {
			stat_add(&w->stats.dns_forge_failed, 1);
		}
	}
	drop_plain(w, p);
}

static void on_packet(void *arg, const struct nfqueue_packet *p)
{
	static _Thread_local struct inspect_result r;
	struct packet_ctx *ctx = arg;
	struct worker *w = ctx->w;
	struct policy_decision d = {ACTION_NONE, NULL, 0};

	stat_add(&w->stats.received, 1);
	if (p->payload == NULL || p->len == 0) {
		accept_plain(w, p);
		return;
	}
	inspect_packet(w->in, p->payload, p->len, p->orig_len > p->len, ctx->now_ms, &r);
	count_state(&w->stats, r.state);
	stat_add(&w->stats.by_proto[r.proto], 1);

	switch (r.state) {
	case INSPECT_IGNORED:
	case INSPECT_PENDING:
		accept_plain(w, p);
		return;
	case INSPECT_DECIDED:
		apply_flow_verdict(w, p, (enum flow_verdict)r.verdict);
		return;
	case INSPECT_NAMED:
	case INSPECT_NAMELESS:
	case INSPECT_MALFORMED:
		break;
	}
	policy_decide(ctx->policy, &r, &d);
	bool blocked = d.action == ACTION_DROP || d.action == ACTION_REJECT;
	if (blocked) {
		stat_add(&w->stats.blocked, 1);
	} else if (d.action == ACTION_ALERT) {
		stat_add(&w->stats.alerted, 1);
	}
	if (alert_push(w->alerts, ctx->policy, &r, &d, p->has_hwaddr ? p->hwaddr : NULL,
		       p->hwaddr_len) != 0) {
		stat_add(&w->stats.alerts_lost, 1);
	}

	if (r.proto == INSPECT_PROTO_DNS) {
		if (blocked) {
			bool canary = ctx->policy->has_canary && d.rule != NULL &&
				      d.rule->category_id == ctx->policy->canary_category;
			block_dns_udp(w, p, &r, d.action, canary);
		} else {
			accept_plain(w, p);
		}
		return;
	}
	enum flow_verdict fv = flow_verdict_of(d.action);
	if (is_dns(r.proto)) {
		/* DNS over TCP: every message is inspected (an allowed connection is not marked);
		 * a blocked one resets the connection. */
		if (fv == FLOW_ALLOW) {
			accept_plain(w, p);
		} else {
			apply_flow_verdict(w, p, fv);
		}
		return;
	}
	inspect_decide(w->in, &r, (uint8_t)fv);
	apply_flow_verdict(w, p, fv);
}

/* Read and answer what is waiting, up to WORKER_RECV_BATCH datagrams. */
static void drain(struct worker *w, unsigned max_datagrams)
{
	struct packet_ctx ctx = {w, atomic_load_explicit(&w->shared->policy, memory_order_acquire),
				 monotonic_ms()};
	for (unsigned i = 0; i < max_datagrams; i++) {
		int n = nfqueue_receive(w->nfq, on_packet, &ctx);
		if (n == 0) {
			break;
		}
		if (n == -ENOBUFS) {
			/* The kernel could not queue messages to us; with fail-open they were
			 * accepted, else dropped. Count and keep reading. */
			stat_add(&w->stats.enobufs, 1);
			continue;
		}
		if (n < 0) {
			stat_add(&w->stats.recv_errors, 1);
			break;
		}
	}
	if (nfqueue_flush(w->nfq) != 0) {
		stat_add(&w->stats.send_errors, 1);
	}
	/* Verdicts nfqueue gave up on after its retries (in this flush or in one the batch
	 * buffer forced): counted, never dropped silently. */
	stat_add(&w->stats.verdicts_unsent, nfqueue_take_unsent(w->nfq));
	alert_ring_wake(w->alerts);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg, WORKER_RECV_BATCH);
}

struct tick_ctx {
	struct worker *w;
	struct event_base *base;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tick_ctx *t = arg;
	(void)fd;
	(void)what;
	uint64_t now = monotonic_ms();
	inspect_expire(t->w->in, now);
	/* Outside any packet: whatever policy was loaded before is no longer in use here. */
	atomic_store_explicit(&t->w->seen_generation,
			      atomic_load_explicit(&t->w->shared->generation, memory_order_acquire),
			      memory_order_release);
	if (atomic_load(&t->w->shared->stop)) {
		event_base_loopbreak(t->base);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct event_base *base = event_base_new();
	if (base == NULL) {
		log_msg(LOG_ERR, "worker", "queue %u: cannot create event loop", w->queue);
		return NULL;
	}
	struct event *rd =
		event_new(base, nfqueue_fd(w->nfq), EV_READ | EV_PERSIST, on_readable, w);
	struct tick_ctx tc = {w, base};
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, &tc);
	struct timeval tv = {0, WORKER_TICK_MS * 1000};
	if (rd == NULL || tick == NULL || event_add(rd, NULL) != 0 || event_add(tick, &tv) != 0) {
		log_msg(LOG_ERR, "worker", "queue %u: cannot register events", w->queue);
	} else {
		event_base_dispatch(base);
	}
	/* Shutdown: answer everything already waiting on the socket. */
	drain(w, WORKER_SHUTDOWN_DRAIN);
	if (rd != NULL) {
		event_free(rd);
	}
	if (tick != NULL) {
		event_free(tick);
	}
	event_base_free(base);
	return NULL;
}

int worker_start(struct worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		return -rc;
	}
	w->started = true;
	return 0;
}

void worker_join(struct worker *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		w->started = false;
	}
}
