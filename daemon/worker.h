/* SPDX-License-Identifier: GPL-2.0-or-later */
/* worker: one thread per NFQUEUE number, with its own netlink socket, event loop and flow state. */
#ifndef EMBARGOD_WORKER_H
#define EMBARGOD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "embargo/counters.h"
#include "embargo/dns.h"
#include "embargo/inspect.h"
#include "embargo/verdict.h"
#include "alert.h"
#include "inject.h"
#include "learning.h"
#include "nfqueue.h"

struct policy;

/* What every worker shares: read-mostly settings and the current policy. */
struct worker_shared {
	_Atomic(struct policy *) policy; /* swapped whole on reload */
	atomic_uint generation;		 /* bumped after each swap */
	atomic_bool stop;
	struct inject inject;
	struct dns_reply_opts dns_reply;
	/* Packet mark values per enum inspect_mark (0 for NONE), all inside mark_mask. */
	uint32_t marks[INSPECT_MARK_REJECT + 1];
	uint32_t mark_mask;
	bool fail_open;			/* the queues accept (not drop) packets they cannot hold */
	const struct learntab *learned; /* what answers taught (learn-addresses), or NULL */
};

/* Counters of one worker. Every received packet gets exactly one verdict:
 * received == accepted + dropped + marked_block (accepted with a drop/reject mark), of which
 * verdicts_unsent could not be sent to the kernel (send_errors counts the failed sends).
 * Written by the worker's thread only; others read the snapshot (worker_stats_get). */
struct worker_stats {
	uint64_t received, accepted, dropped, marked_block;
	uint64_t named, nameless, malformed, pending, ignored, decided, unfinished;
	uint64_t held_back; /* dropped until the server shows what it took (conflicting copies) */
	uint64_t blocked, alerted, dns_forged, dns_forge_failed, quic_vn_sent, quic_vn_failed;
	uint64_t recv_errors, send_errors, verdicts_unsent;
	uint64_t verdicts_refused; /* error messages from the kernel about verdicts */
	/* Packets the kernel could not hand to the socket (its buffer full): the packet ids
	 * skipped between those received. Dropped, or accepted unseen with fail-open. */
	uint64_t socket_full;
	uint64_t numbered;	  /* the highest packet id received: packets the kernel numbered */
	uint64_t alerts_lost;	  /* alert records a full ring could not take */
	uint64_t answers;	  /* DNS responses read */
	uint64_t answers_blocked; /* ... blocked: a chain that reaches a listed name */
	uint64_t ech_stripped;	  /* responses that left without their ECH configurations */
	uint64_t by_address;	  /* connections judged by a learned address (block or alert) */
	uint64_t by_ech_front;	  /* ECH hellos to a known front judged (block or alert) */
	uint64_t tcp_resets_sent, tcp_resets_failed;
	uint64_t learn_lost; /* answers a full ring could not take for learning */
	uint64_t by_proto[INSPECT_PROTO_GQUIC + 1];
};
/* Published whole as a counters snapshot (struct counters), one value per field. */
_Static_assert(sizeof(struct worker_stats) % sizeof(uint64_t) == 0 &&
		       sizeof(struct worker_stats) / sizeof(uint64_t) <= COUNTERS_MAX,
	       "struct worker_stats must be a run of at most COUNTERS_MAX uint64_t");

struct worker {
	uint16_t queue;
	struct nfqueue *nfq;
	struct inspector *in;
	struct verdict_judge judge;
	struct worker_shared *shared;
	pthread_t thread;
	atomic_uint seen_generation; /* policy generation this worker has moved on to */
	struct alert_ring *alerts;   /* this worker's alert records, drained by the main loop */
	struct learning_ring *learn; /* its answers to learn from (NULL: nothing learned) */
	struct worker_stats stats;   /* the worker thread's own; others read `published` */
	struct counters published;   /* `stats` as of the end of the last batch */
	/* Main loop only: */
	struct worker_stats reported; /* counters as of the last trouble report */
	uint64_t reported_ms;	      /* when that was */
	bool started;
};

/* Milliseconds of CLOCK_MONOTONIC: the one clock of the daemon's flow limits, alert windows and
 * uptime. */
uint64_t monotonic_ms(void);

/* The worker's counters as of its last batch, from any thread (a 64-bit counter being
 * incremented cannot be read whole on a 32-bit CPU: the worker publishes a copy). */
void worker_stats_get(const struct worker *w, struct worker_stats *out);

/* Start the worker's thread (counters set to 0 first); returns 0 or -errno. */
int worker_start(struct worker *w);

/* Wait for the worker's thread after shared->stop was set: it answers every packet already
 * received, then returns. */
void worker_join(struct worker *w);

#endif
