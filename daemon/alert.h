/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alert: one syslog line per blocked (or alert-only) attempt, without floods, and without a
 * worker ever waiting for it.
 *
 * A worker pushes each attempt into its own bounded ring (single producer, single consumer,
 * lock-free): a record that carries everything the line needs, so it outlives the packet and
 * the policy. A full ring counts the record as lost; the worker never blocks. The main loop
 * drains the rings and owns the rest: the first attempt of a client at a name is logged in
 * full, repeats within the window are counted and summarised in one line when the window ends
 * ("N more attempts in the last M s"), a global cap limits alert lines per second (lines over
 * it are counted and reported), and every attempt, logged or not, is counted in a per-client
 * inventory (embargoctl clients). Lines go out through log.c, which never waits either.
 *
 * alert_push and alert_ring_wake are called by the ring's worker only; every other function by
 * the main loop only.
 */
#ifndef EMBARGOD_ALERT_H
#define EMBARGOD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"
#include "embargo/verdict.h"

/* (client, name) pairs remembered for summaries, and clients in the inventory. */
#define ALERT_REPEATS_MAX 1024
#define ALERT_CLIENTS_MAX 1024
/* Records one worker can queue before the main loop drains them (a power of two). The main
 * loop is woken as soon as a worker has pushed, so the ring only needs to absorb a burst. */
#define ALERT_RING_SLOTS 512

struct alert_ring;

/* A ring for one worker; `wake_fd` (an eventfd, or -1) is written after pushes so that the
 * main loop drains. NULL when out of memory. */
struct alert_ring *alert_ring_new(int wake_fd);
void alert_ring_free(struct alert_ring *ring);

/*
 * Worker side: queue the decision of verdict `v` for the inspected packet `r` under policy
 * `p`: action, proto, name (and for a CNAME-cloaked answer the question's name), what decided
 * (by), client address (and MAC when `mac` is given), server address and port, vendor,
 * category, rule file:line. For a DNS answer the client is its destination. Actions other
 * than drop, reject and alert queue nothing. Returns 0 (queued or nothing to queue) or
 * -ENOSPC when the ring is full (the record is lost; the caller counts it).
 */
int alert_push(struct alert_ring *ring, const struct policy *p, const struct inspect_result *r,
	       const struct verdict *v, const uint8_t *mac, size_t mac_len);

/* Worker side, after a batch of packets: wake the main loop if anything was pushed. */
void alert_ring_wake(struct alert_ring *ring);

/* Main loop: take every record waiting in `ring` and log, summarise or count it at `now_ms`
 * (CLOCK_MONOTONIC). Returns the number of records taken. */
size_t alert_ring_drain(struct alert_ring *ring, uint64_t now_ms);

/* Set up (or change, on reload) the window in seconds (0: log every attempt) and the cap in
 * lines per second (0: no cap). Returns 0 or -ENOMEM. */
int alert_configure(uint32_t window_s, uint32_t rate);

/* Free the tables. */
void alert_shutdown(void);

/* Main loop: the function that names the listed name an address was learned from, for alert
 * lines of connections judged by their destination (false: not known). */
void alert_set_learned_namer(bool (*namer)(uint8_t family, const uint8_t *addr, char *out,
					   size_t size));

/* Emit the summaries whose window has ended and the rate cap's count; call about once a
 * second, after draining the rings. */
void alert_flush(uint64_t now_ms);

struct alert_totals {
	uint64_t attempts;     /* blocked or alert-only attempts reported */
	uint64_t logged;       /* full alert lines written */
	uint64_t repeats;      /* attempts folded into summaries */
	uint64_t summaries;    /* summary lines written */
	uint64_t rate_limited; /* lines not written because of the cap */
	uint64_t clients_full; /* attempts from clients past ALERT_CLIENTS_MAX */
};
void alert_get_totals(struct alert_totals *t);

/* One LAN device that attempted listed names. */
struct alert_client {
	char addr[64];
	char mac[18]; /* "" when never seen */
	uint64_t attempts;
	uint64_t blocked; /* drop or reject */
	time_t first, last;
	char last_name[NAME_TEXT_MAX * 4 + 1];
	char last_vendor[64], last_category[64], last_action[8];
};

/* Copy of the inventory, most recent first; returns the number written (at most `max`). */
size_t alert_get_clients(struct alert_client *out, size_t max);

#endif
