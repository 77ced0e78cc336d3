/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running daemon's state, shared by daemon.c (lifecycle), reload.c and stats.c (counters).
 * The control socket sees none of it: daemon.c hands it operations (control.h). Everything here
 * belongs to the main loop's thread unless a field says otherwise. */
#ifndef EMBARGOD_DAEMON_PRIV_H
#define EMBARGOD_DAEMON_PRIV_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "alert.h"
#include "daemon.h"
#include "kcounters.h"
#include "learning.h"
#include "log.h"
#include "totals.h"
#include "worker.h"

struct control;
struct retired_policy;

/*
 * Overload as the kernel counted it, accumulated by the main loop (stats.c) since the daemon
 * started, over its queues: the kernel's 32-bit counters wrap, and the firewall's rules may be
 * installed again (their counters start from 0), so they are read every second and their
 * increments added up.
 */
struct overload {
	struct kcounters *k;
	bool have_queues;      /* nfnetlink_queue's statistics could be read */
	bool have_rules;       /* the queue rules' counters could be read (since rules_read_ms) */
	uint64_t queue_full;   /* the kernel's: dropped at a full queue (fail-closed) */
	uint64_t socket_full;  /* the kernel's: dropped at a full socket (fail-closed) */
	uint64_t numbered;     /* packets the kernel numbered for the queues */
	uint64_t rules_queued; /* packets the queue rules sent to the queues */
	uint64_t admission_dropped; /* packets the per-client admission rules dropped */
	struct kcounters_queue last[DAEMON_QUEUES_MAX]; /* as last read */
	struct kcounters_rules last_rules;
	uint64_t reported_ms; /* the last overload trouble line, and what it reported up to */
	uint64_t reported_full, reported_socket, reported_admission;
};

struct daemon {
	const struct embargod_opts *o;
	struct worker_shared shared;
	struct worker *workers; /* one per queue of the range, nworkers of them started */
	unsigned nworkers;
	struct event_base *base;
	uint32_t generation;
	int ready_fd;	     /* write end of the pipe the parent waits on (daemon mode), else -1 */
	time_t started;	     /* wall clock, for status */
	uint64_t started_ms; /* CLOCK_MONOTONIC */
	uint64_t reloads, reload_failures;
	time_t last_reload;
	char last_reload_error[1024]; /* "" when the last reload worked */
	int ctl_fd;		      /* control socket, -1 when none */
	struct control *ctl;	      /* its connections, once the event loop runs */
	int alert_wake_fd;	      /* eventfd the workers write after pushing alert records */
	struct event *alert_event;
	struct retired_policy *retired; /* replaced policies a worker may still be reading */
	struct event *retire_event;	/* frees them once every worker has moved on */
	uint64_t log_reported_lost;	/* syslog lines lost as of the last trouble line */
	uint64_t log_reported_ms;
	struct overload overload;
	struct learning *learning;  /* learned addresses and fronts (learn-addresses), or NULL */
	struct event *kernel_event; /* the kernel's answers about its learned-address sets */
	uint64_t kernel_errors_reported; /* kernel refusals as of the last trouble line */
};

/* Reload the configuration: 0, or -1 with the reason in d->last_reload_error. Never waits for
 * the workers: the replaced policy is freed later, once none of them can be reading it. */
int reload_policy(struct daemon *d);

/* Free the replaced policies no worker can be reading any more (all of them once d->nworkers
 * is 0); true when some are still in use. */
bool reload_free_retired(struct daemon *d);

/* d->retire_event's callback: frees what it can, and comes again while some are left. */
void reload_on_retire_timer(evutil_socket_t fd, short what, void *arg);

/* Every counter the daemon reports: the sum of the workers' (read with relaxed atomic loads),
 * the alerts' and the log's. */
void daemon_totals(const struct daemon *d, struct daemon_totals *t);

/* The listed name a learned address was learned from, for alert lines (main loop only). */
bool daemon_learned_name(uint8_t family, const uint8_t *addr, char *out, size_t size);

/* The trouble lines that are due (call about once a second; it reads the kernel's counters). */
void daemon_report_trouble(struct daemon *d, uint64_t now_ms);

/* Open the kernel's counters and read the rules' as they are before the queues are bound (what
 * they counted before belongs to no one). Returns 0 or -ENOMEM. */
int daemon_overload_start(struct daemon *d);

/* Read the kernel's counters and add what they counted since the last read. */
void daemon_overload_update(struct daemon *d);

/* The overload figures, from the counters as last read and the workers' totals `t`:
 * with fail-closed queues and the kernel's statistics readable, the kernel's own drop counts;
 * otherwise, packets the rules queued that the kernel never numbered (found the queue full)
 * and numbers the daemon never received (found its socket full). */
void daemon_overload(const struct daemon *d, const struct worker_stats *t,
		     struct overload_figures *f);

/* The shutdown line with the totals. */
void daemon_log_totals(const struct daemon *d);

#endif
