/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A queue worker: receive packets, inspect, decide, answer with a verdict, in its own thread
 * and libevent loop. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <event2/event.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "embargo/policy.h"
#include "log.h"
#include "worker.h"

/* Receives (of up to NFQUEUE_RECV_SLOTS packets each) per wake-up before other events get a
 * turn; verdicts are sent after each. */
#define WORKER_RECV_BATCH 16
/* Receives answered at shutdown before the queue is unbound (traffic may keep coming). */
#define WORKER_SHUTDOWN_DRAIN 256
/* Housekeeping tick: flow expiry, policy generation, stop flag. */
#define WORKER_TICK_MS 100

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

static void count_state(struct worker_stats *st, const struct inspect_result *r)
{
	switch (r->state) {
	case INSPECT_NAMED:
		st->named++;
		break;
	case INSPECT_NAMELESS:
		st->nameless++;
		break;
	case INSPECT_UNFINISHED:
		st->unfinished++;
		break;
	case INSPECT_MALFORMED:
		st->malformed++;
		break;
	case INSPECT_PENDING:
		st->pending++;
		break;
	case INSPECT_DECIDED:
		st->decided++;
		break;
	case INSPECT_IGNORED:
		st->ignored++;
		break;
	case INSPECT_ANSWER:
		st->answers++;
		break;
	}
	st->held_back += r->hold;
}

/* What the kernel holds for the packet's flow, read from the mark the queue rules restored. */
static enum inspect_mark kernel_mark(const struct worker_shared *sh, uint32_t mark)
{
	uint32_t m = mark & sh->mark_mask;
	for (unsigned i = INSPECT_MARK_FOLLOW; i <= INSPECT_MARK_REJECT; i++) {
		if (m != 0 && m == sh->marks[i]) {
			return (enum inspect_mark)i;
		}
	}
	return INSPECT_MARK_NONE;
}

/* The forged answer for a blocked DNS query or response: the configured kind (NXDOMAIN for
 * the DoH canary), and with EDNS an Extended DNS Error naming the vendor and category. */
static void forge_dns(struct worker *w, const struct policy *p, const struct inspect_result *r,
		      const struct verdict *v)
{
	const struct worker_shared *sh = w->shared;
	struct dns_reply_opts o = sh->dns_reply;
	if (v->reply == VERDICT_REPLY_DNS_NXDOMAIN) {
		o.kind = DNS_REPLY_NXDOMAIN;
	}
	if (o.ede) {
		struct policy_rule_names rn;
		policy_rule_names(p, v->decision.rule, &rn);
		snprintf(o.ede_text, sizeof(o.ede_text), "embargo: %s/%s",
			 rn.vendor != NULL ? rn.vendor : "-",
			 rn.category != NULL ? rn.category : "-");
	}
	if (inject_dns_reply(&sh->inject, &r->pkt, r->dns_msg.ptr, r->dns_msg.len, &o) == 0) {
		w->stats.dns_forged++;
	} else {
		w->stats.dns_forge_failed++;
	}
}

/* Carry out a verdict: the kernel verdict with its mark (the firewall's filter rules save the
 * mark as the connection mark and pass, drop or reject on it; see conf/), the packet's new
 * bytes when it was rewritten, and the answer the client gets. */
static void carry_out(struct worker *w, const struct policy *p, const struct nfqueue_packet *pk,
		      const struct inspect_result *r, const struct verdict *v)
{
	const struct worker_shared *sh = w->shared;
	/* The queue rules restored the connection's mark into the packet's as it was queued; a
	 * packet that changes nothing leaves without it, so that it cannot put back a state a
	 * packet answered before it has moved on from. */
	bool set_mark = !v->drop && (v->mark != INSPECT_MARK_NONE || (pk->mark & sh->mark_mask));
	uint32_t mark = (pk->mark & ~sh->mark_mask) | sh->marks[v->mark];
	const uint8_t *payload = v->drop ? NULL : v->payload;
	if (nfqueue_verdict(w->nfq, pk->id, v->drop ? NFQUEUE_DROP : NFQUEUE_ACCEPT, set_mark, mark,
			    payload, payload != NULL ? v->payload_len : 0) != 0) {
		w->stats.send_errors++;
	}
	w->stats.ech_stripped += payload != NULL;
	if (v->drop) {
		w->stats.dropped++;
	} else if (v->mark == INSPECT_MARK_DROP || v->mark == INSPECT_MARK_REJECT) {
		w->stats.marked_block++;
	} else {
		w->stats.accepted++;
	}
	switch (v->reply) {
	case VERDICT_REPLY_NONE:
		break;
	case VERDICT_REPLY_DNS:
	case VERDICT_REPLY_DNS_NXDOMAIN:
		forge_dns(w, p, r, v);
		break;
	case VERDICT_REPLY_QUIC_VN:
		if (inject_quic_vn(&sh->inject, &r->pkt, r->quic_dcid, r->quic_scid) == 0) {
			w->stats.quic_vn_sent++;
		} else {
			w->stats.quic_vn_failed++;
		}
		break;
	case VERDICT_REPLY_TCP_RESET:
		if (inject_tcp_resets(&sh->inject, &r->pkt) == 0) {
			w->stats.tcp_resets_sent++;
		} else {
			w->stats.tcp_resets_failed++;
		}
		break;
	}
}

static void count_decision(struct worker_stats *st, const struct inspect_result *r,
			   const struct verdict *v)
{
	enum action a = v->decision.action;
	bool blocked = a == ACTION_DROP || a == ACTION_REJECT;
	if (blocked) {
		st->blocked++;
	} else if (a == ACTION_ALERT) {
		st->alerted++;
	}
	st->answers_blocked += r->state == INSPECT_ANSWER && blocked;
	st->by_address += v->by == VERDICT_BY_ADDRESS || v->by == VERDICT_BY_SHARED;
	st->by_ech_front += v->by == VERDICT_BY_ECH_FRONT;
}

static void on_packet(void *arg, const struct nfqueue_packet *p)
{
	static _Thread_local struct inspect_result r;
	struct packet_ctx *ctx = arg;
	struct worker *w = ctx->w;
	struct verdict v;

	w->stats.received++;
	if (p->payload == NULL || p->len == 0) {
		if (nfqueue_verdict(w->nfq, p->id, NFQUEUE_ACCEPT, false, 0, NULL, 0) != 0) {
			w->stats.send_errors++;
		}
		w->stats.accepted++;
		return;
	}
	struct inspect_meta meta = {p->orig_len > p->len, (uint8_t)kernel_mark(w->shared, p->mark),
				    p->in_ifindex};
	verdict_packet(&w->judge, ctx->policy, p->payload, p->len, &meta, ctx->now_ms, &r, &v);
	count_state(&w->stats, &r);
	w->stats.by_proto[r.proto]++;
	if (v.judged) {
		count_decision(&w->stats, &r, &v);
		if (alert_push(w->alerts, ctx->policy, &r, &v, p->has_hwaddr ? p->hwaddr : NULL,
			       p->hwaddr_len) != 0) {
			w->stats.alerts_lost++;
		}
	}
	if (v.nlearn > 0 && w->learn != NULL) {
		w->stats.learn_lost += learning_push(w->learn, w->judge.learn_out, v.nlearn);
	}
	carry_out(w, ctx->policy, p, &r, &v);
}

#define WORKER_STATS_WORDS (sizeof(struct worker_stats) / sizeof(uint64_t))
/* worker_stats_get gives up waiting for a copy that no publish overlapped after this many. */
#define WORKER_STATS_READ_TRIES 1000

static void publish_stats(struct worker *w)
{
	uint64_t v[WORKER_STATS_WORDS];
	memcpy(v, &w->stats, sizeof(v));
	counters_publish(&w->published, v, WORKER_STATS_WORDS);
}

void worker_stats_get(const struct worker *w, struct worker_stats *out)
{
	uint64_t v[WORKER_STATS_WORDS];
	for (unsigned i = 0; i < WORKER_STATS_READ_TRIES; i++) {
		if (counters_read(&w->published, v, WORKER_STATS_WORDS) == 0) {
			break;
		}
		sched_yield(); /* the worker is part-way through a publish */
	}
	memcpy(out, v, sizeof(v));
}

/* Read and answer what is waiting: up to `max_reads` receives (each up to NFQUEUE_RECV_SLOTS
 * packets), their verdicts sent after each. */
static void drain(struct worker *w, unsigned max_reads)
{
	struct packet_ctx ctx = {w, atomic_load_explicit(&w->shared->policy, memory_order_acquire),
				 monotonic_ms()};
	for (unsigned i = 0; i < max_reads; i++) {
		bool more = false;
		int n = nfqueue_receive(w->nfq, on_packet, &ctx, &more);
		if (n == -ENOBUFS) {
			/* The kernel could not queue messages to us; with fail-open they were
			 * accepted, else dropped (counted by the ids they took). Keep reading. */
			continue;
		}
		if (n < 0) {
			w->stats.recv_errors++;
			break;
		}
		if (n > 0 && nfqueue_flush(w->nfq) != 0) {
			w->stats.send_errors++;
		}
		if (!more) {
			break; /* the socket had less than a full read: back to the event loop */
		}
	}
	if (nfqueue_flush(w->nfq) != 0) {
		w->stats.send_errors++;
	}
	/* Verdicts nfqueue gave up on after its retries (in this flush or in one the batch
	 * buffer forced): counted, never dropped silently. */
	w->stats.verdicts_unsent += nfqueue_take_unsent(w->nfq);
	struct nfqueue_counts c;
	nfqueue_get_counts(w->nfq, &c);
	w->stats.socket_full = c.skipped;
	w->stats.numbered = c.packets + c.skipped;
	w->stats.verdicts_refused = c.refused;
	publish_stats(w);
	alert_ring_wake(w->alerts);
	if (w->learn != NULL) {
		learning_wake(w->learn);
	}
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
	counters_init(&w->published);
	publish_stats(w);
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
