/* SPDX-License-Identifier: GPL-2.0-or-later */
/* worker: one thread per NFQUEUE number, with its own netlink socket, event loop and flow state. */
#ifndef EMBARGOD_WORKER_H
#define EMBARGOD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "embargo/dns.h"
#include "embargo/inspect.h"
#include "alert.h"
#include "inject.h"
#include "nfqueue.h"

struct policy;

/* What every worker shares: read-mostly settings and the current policy. */
struct worker_shared {
	_Atomic(struct policy *) policy; /* swapped whole on reload */
	atomic_uint generation;		 /* bumped after each swap */
	atomic_bool stop;
	struct inject inject;
	struct dns_reply_opts dns_reply;
	uint32_t mark_allow, mark_block, mark_reject, mark_mask;
	bool fail_open; /* the queues accept (not drop) packets they cannot hold */
};

/* Counters of one worker. Every received packet gets exactly one verdict:
 * received == accepted + dropped + marked_block (accepted with a drop/reject mark), of which
 * verdicts_unsent could not be sent to the kernel (send_errors counts the failed sends).
 * Written by the worker's thread only, with stat_add; read by others with stat_read. */
struct worker_stats {
	uint64_t received, accepted, dropped, marked_block;
	uint64_t named, nameless, malformed, pending, ignored, decided;
	uint64_t blocked, alerted, dns_forged, dns_forge_failed;
	uint64_t enobufs, recv_errors, send_errors, verdicts_unsent;
	uint64_t alerts_lost; /* alert records a full ring could not take */
	uint64_t by_proto[INSPECT_PROTO_GQUIC + 1];
};

/* One writer, any number of readers: relaxed atomic loads and stores (plain moves on x86, no
 * locked instruction per packet) so that a reader always sees a whole value. */
static inline void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

struct worker {
	uint16_t queue;
	struct nfqueue *nfq;
	struct inspector *in;
	struct worker_shared *shared;
	pthread_t thread;
	atomic_uint seen_generation; /* policy generation this worker has moved on to */
	struct alert_ring *alerts;   /* this worker's alert records, drained by the main loop */
	struct worker_stats stats;
	/* Main loop only: */
	struct worker_stats reported; /* counters as of the last trouble report */
	uint64_t reported_ms;	      /* when that was */
	bool started;
};

/* Milliseconds of CLOCK_MONOTONIC: the one clock of the daemon's flow limits, alert windows and
 * uptime. */
uint64_t monotonic_ms(void);

/* Start the worker's thread; returns 0 or -errno. */
int worker_start(struct worker *w);

/* Wait for the worker's thread after shared->stop was set: it answers every packet already
 * received, then returns. */
void worker_join(struct worker *w);

#endif
