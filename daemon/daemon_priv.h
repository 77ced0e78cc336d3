/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running daemon's state, shared by daemon.c (lifecycle), reload.c, stats.c (counters) and
 * control.c (embargoctl). Everything here belongs to the main loop's thread unless a field says
 * otherwise. */
#ifndef EMBARGOD_DAEMON_PRIV_H
#define EMBARGOD_DAEMON_PRIV_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "alert.h"
#include "daemon.h"
#include "learning.h"
#include "log.h"
#include "worker.h"

struct control;
struct retired_policy;

struct daemon {
	const struct embargod_opts *o;
	struct worker_shared shared;
	struct worker workers[DAEMON_QUEUES_MAX];
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
	struct learning *learning;  /* learned addresses and fronts (learn-addresses), or NULL */
	struct event *kernel_event; /* the kernel's answers about its learned-address sets */
	uint64_t kernel_errors_reported; /* kernel refusals as of the last trouble line */
};

/* Tell systemd (sd_notify) the state, e.g. "READY=1"; nothing without systemd support. */
void daemon_notify(const char *state);

/* Reload the configuration: 0, or -1 with the reason in d->last_reload_error. Never waits for
 * the workers: the replaced policy is freed later, once none of them can be reading it. */
int daemon_reload(struct daemon *d);

/* Free the replaced policies no worker can be reading any more (all of them once d->nworkers
 * is 0); true when some are still in use. */
bool reload_free_retired(struct daemon *d);

/* d->retire_event's callback: frees what it can, and comes again while some are left. */
void reload_on_retire_timer(evutil_socket_t fd, short what, void *arg);

/* Every counter the daemon reports: the sum of the workers' (read with relaxed atomic loads),
 * the alerts' and the log's. */
struct daemon_totals {
	struct worker_stats queues;
	struct alert_totals alerts;
	struct log_totals log;
};
void daemon_totals(const struct daemon *d, struct daemon_totals *t);

/* The listed name a learned address was learned from, for alert lines (main loop only). */
bool daemon_learned_name(uint8_t family, const uint8_t *addr, char *out, size_t size);

/* The trouble lines that are due (call about once a second). */
void daemon_report_trouble(struct daemon *d, uint64_t now_ms);

/* The shutdown line with the totals. */
void daemon_log_totals(const struct daemon *d);

/* Open the control socket at `path` (mode 0660, group `group` when not NULL). Returns the
 * listening descriptor or -1 with a message logged. */
int control_open(const char *path, const char *group);

/* Serve the listening socket `fd` on d->base: connections are read and answered as events,
 * each within a deadline, CONTROL_CONNS_MAX at a time. NULL (logged) on failure. */
struct control *control_start(struct daemon *d, int fd);

/* Close every connection and stop serving (the listening descriptor stays open). NULL is
 * ignored. */
void control_stop(struct control *c);

#endif
