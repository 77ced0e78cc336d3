/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The workers' counters as the main loop sees them: totals for embargoctl and the shutdown
 * line, and the trouble lines (at most one a minute per queue, and one for syslog). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "daemon_priv.h"
#include "log.h"

/* Trouble is reported at most once per this many milliseconds per queue (and for syslog). */
#define TROUBLE_REPORT_MS 60000

/* Add the counters of worker `w`, as it last published them, into `t` (the struct is a run of
 * 64-bit counters, summed one by one). */
static void stats_add(struct worker_stats *t, const struct worker *w)
{
	struct worker_stats s;
	worker_stats_get(w, &s);
	uint64_t *sum = (uint64_t *)t;
	const uint64_t *add = (const uint64_t *)&s;
	for (size_t i = 0; i < sizeof(s) / sizeof(uint64_t); i++) {
		sum[i] += add[i];
	}
}

void daemon_totals(const struct daemon *d, struct daemon_totals *t)
{
	memset(&t->queues, 0, sizeof(t->queues));
	for (unsigned i = 0; i < d->nworkers; i++) {
		stats_add(&t->queues, &d->workers[i]);
	}
	alert_get_totals(&t->alerts);
	log_get_totals(&t->log);
}

/* " in the last N s" since the last report at `since_ms`, "" before the first. */
static void since_str(char *out, size_t size, uint64_t since_ms, uint64_t now_ms)
{
	out[0] = '\0';
	if (since_ms != 0) {
		snprintf(out, size, " in the last %" PRIu64 " s", (now_ms - since_ms + 999) / 1000);
	}
}

/* One line for what went wrong on a queue since its last report: queue overflows and lost
 * alert records (warning), failed sends or receives (err). */
static void report_queue(struct worker *w, bool fail_open, uint64_t now_ms)
{
	if (now_ms - w->reported_ms < TROUBLE_REPORT_MS && w->reported_ms != 0) {
		return;
	}
	struct worker_stats s, *r = &w->reported;
	memset(&s, 0, sizeof(s));
	stats_add(&s, w);
	uint64_t overflows = s.enobufs - r->enobufs;
	uint64_t forge = s.dns_forge_failed - r->dns_forge_failed;
	uint64_t send = s.send_errors - r->send_errors;
	uint64_t unsent = s.verdicts_unsent - r->verdicts_unsent;
	uint64_t recv = s.recv_errors - r->recv_errors;
	uint64_t alerts = s.alerts_lost - r->alerts_lost;
	uint64_t learn = s.learn_lost - r->learn_lost;
	if (overflows + forge + send + unsent + recv + alerts + learn == 0) {
		return;
	}
	char since[48];
	since_str(since, sizeof(since), w->reported_ms, now_ms);
	log_msg(forge + send + unsent + recv > 0 ? LOG_ERR : LOG_WARNING, "trouble",
		"queue %u%s: queue_overflows=%" PRIu64 " dns_answers_not_sent=%" PRIu64
		" verdict_send_errors=%" PRIu64 " verdicts_unsent=%" PRIu64
		" receive_errors=%" PRIu64 " alert_records_lost=%" PRIu64
		" learn_answers_lost=%" PRIu64 " (overflowing packets are %s by the kernel)",
		w->queue, since, overflows, forge, send, unsent, recv, alerts, learn,
		fail_open ? "accepted unseen" : "dropped");
	*r = s;
	w->reported_ms = now_ms;
}

/* Lines the syslog socket did not take since the last report (the log-lost line says it too,
 * once the socket takes lines again; this one also reaches stderr in the foreground). */
static void report_log(struct daemon *d, uint64_t now_ms)
{
	if (now_ms - d->log_reported_ms < TROUBLE_REPORT_MS && d->log_reported_ms != 0) {
		return;
	}
	struct log_totals lt;
	log_get_totals(&lt);
	if (lt.lost == d->log_reported_lost) {
		return;
	}
	char since[48];
	since_str(since, sizeof(since), d->log_reported_ms, now_ms);
	log_msg(LOG_WARNING, "trouble",
		"syslog%s: log_lines_lost=%" PRIu64
		" (the syslog socket did not take them; it is full or nothing listens)",
		since, lt.lost - d->log_reported_lost);
	d->log_reported_lost = lt.lost;
	d->log_reported_ms = now_ms;
}

/* Kernel refusals of learned-address set elements: the sets are missing (firewall rules
 * without learn-addresses, or of the other backend) or full. Once a minute at most. */
static uint64_t kernel_reported_ms;

static void report_kernel(struct daemon *d, uint64_t now_ms)
{
	if (d->learning == NULL ||
	    (now_ms - kernel_reported_ms < TROUBLE_REPORT_MS && kernel_reported_ms != 0)) {
		return;
	}
	struct learning_stats ls;
	learning_get_stats(d->learning, &ls);
	if (ls.kernel.errors == d->kernel_errors_reported) {
		return;
	}
	char since[48];
	since_str(since, sizeof(since), kernel_reported_ms, now_ms);
	log_msg(LOG_ERR, "trouble",
		"learned-address sets%s: kernel_errors=%" PRIu64
		" last_error=%s (are the firewall rules up with learn-addresses, on the same "
		"backend?)",
		since, ls.kernel.errors - d->kernel_errors_reported,
		strerror(ls.kernel.last_error));
	d->kernel_errors_reported = ls.kernel.errors;
	kernel_reported_ms = now_ms;
}

void daemon_report_trouble(struct daemon *d, uint64_t now_ms)
{
	for (unsigned i = 0; i < d->nworkers; i++) {
		report_queue(&d->workers[i], d->shared.fail_open, now_ms);
	}
	report_log(d, now_ms);
	report_kernel(d, now_ms);
}

void daemon_log_totals(const struct daemon *d)
{
	struct daemon_totals all;
	daemon_totals(d, &all);
	const struct worker_stats *t = &all.queues;
	const struct alert_totals *a = &all.alerts;
	uint64_t up = (monotonic_ms() - d->started_ms) / 1000;
	log_msg(LOG_INFO, "shutdown",
		"totals after %" PRIu64 " s: received=%" PRIu64 " verdicts=%" PRIu64
		" accepted=%" PRIu64 " dropped=%" PRIu64 " marked_block=%" PRIu64 " named=%" PRIu64
		" unfinished=%" PRIu64 " held_back=%" PRIu64 " blocked=%" PRIu64 " alerted=%" PRIu64
		" dns_forged=%" PRIu64 " dns_forge_failed=%" PRIu64 " quic_vn_sent=%" PRIu64
		" dns_answers=%" PRIu64 " dns_answers_blocked=%" PRIu64 " ech_stripped=%" PRIu64
		" by_address=%" PRIu64 " by_ech_front=%" PRIu64 " queue_overflows=%" PRIu64
		" send_errors=%" PRIu64 " verdicts_unsent=%" PRIu64 " alert_lines=%" PRIu64
		" alert_repeats=%" PRIu64 " alert_rate_limited=%" PRIu64
		" alert_records_lost=%" PRIu64 " log_lines_lost=%" PRIu64 " reloads=%" PRIu64
		" reloads_refused=%" PRIu64,
		up, t->received, t->accepted + t->dropped + t->marked_block, t->accepted,
		t->dropped, t->marked_block, t->named, t->unfinished, t->held_back, t->blocked,
		t->alerted, t->dns_forged, t->dns_forge_failed, t->quic_vn_sent, t->answers,
		t->answers_blocked, t->ech_stripped, t->by_address, t->by_ech_front, t->enobufs,
		t->send_errors, t->verdicts_unsent, a->logged, a->repeats, a->rate_limited,
		t->alerts_lost, all.log.lost, d->reloads, d->reload_failures);
}
