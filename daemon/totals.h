/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The figures embargod reports: every counter summed over the workers, and overload as the
 * kernel counted it, as types: stats.c adds them up, the control socket and the log lines show
 * them. */
#ifndef EMBARGOD_TOTALS_H
#define EMBARGOD_TOTALS_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "log.h"
#include "worker.h"

/* Every counter the daemon reports: the workers' summed, the alerts' and the log's. */
struct daemon_totals {
	struct worker_stats queues;
	struct alert_totals alerts;
	struct log_totals log;
};

/* The overload figures the daemon reports (see daemon_overload). */
struct overload_figures {
	bool fail_open;		    /* overflowing packets passed unseen (else dropped) */
	bool queue_full_known;	    /* queue_full could be counted (kernel or rules counters) */
	bool admission_known;	    /* admission_dropped could be read */
	bool from_kernel;	    /* queue_full and socket_full are the kernel's own counts */
	uint64_t queue_full;	    /* packets that found a queue full */
	uint64_t socket_full;	    /* packets the queue could not hand to the daemon's socket */
	uint64_t overflows;	    /* the two together */
	uint64_t admission_dropped; /* dropped by the per-client admission rules */
	uint64_t rules_queued;	    /* sent to the queues by the rules (0 when unknown) */
};

/* What became of overflowing packets, for reports: "passed unseen (overflow accept)" or
 * "dropped (overflow drop)". */
static inline const char *overload_fate_str(const struct overload_figures *f)
{
	return f->fail_open ? "passed unseen (overflow accept)" : "dropped (overflow drop)";
}

#endif
