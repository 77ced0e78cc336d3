/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The workers' counters as the main loop sees them: totals for embargoctl and the shutdown
 * line, and the trouble lines (at most one a minute per queue, and one for syslog). */
#include <errno.h>
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

/* One line for what went wrong on a queue since its last report: lost alert records (warning),
 * failed sends, receives or forged answers (err). */
static void report_queue(struct worker *w, uint64_t now_ms)
{
	if (now_ms - w->reported_ms < TROUBLE_REPORT_MS && w->reported_ms != 0) {
		return;
	}
	struct worker_stats s, *r = &w->reported;
	memset(&s, 0, sizeof(s));
	stats_add(&s, w);
	uint64_t forge = s.dns_forge_failed - r->dns_forge_failed;
	uint64_t send = s.send_errors - r->send_errors;
	uint64_t unsent = s.verdicts_unsent - r->verdicts_unsent;
	uint64_t recv = s.recv_errors - r->recv_errors;
	uint64_t alerts = s.alerts_lost - r->alerts_lost;
	uint64_t learn = s.learn_lost - r->learn_lost;
	if (forge + send + unsent + recv + alerts + learn == 0) {
		return;
	}
	char since[48];
	since_str(since, sizeof(since), w->reported_ms, now_ms);
	log_msg(forge + send + unsent + recv > 0 ? LOG_ERR : LOG_WARNING, "trouble",
		"queue %u%s: dns_answers_not_sent=%" PRIu64 " verdict_send_errors=%" PRIu64
		" verdicts_unsent=%" PRIu64 " receive_errors=%" PRIu64
		" alert_records_lost=%" PRIu64 " learn_answers_lost=%" PRIu64,
		w->queue, since, forge, send, unsent, recv, alerts, learn);
	*r = s;
	w->reported_ms = now_ms;
}

/* ---- overload, as the kernel counted it ---- */

int daemon_overload_start(struct daemon *d)
{
	struct overload *ov = &d->overload;
	ov->k = kcounters_open();
	if (ov->k == NULL) {
		return -ENOMEM;
	}
	ov->have_rules = kcounters_read_rules(ov->k, &ov->last_rules) == 0;
	return 0;
}

/* `now` - `last` of a counter that may have started again from 0 (rules installed again). */
static uint64_t since_last(uint64_t now, uint64_t last)
{
	return now >= last ? now - last : now;
}

void daemon_overload_update(struct daemon *d)
{
	struct overload *ov = &d->overload;
	struct kcounters_queue q[DAEMON_QUEUES_MAX];
	if (ov->k == NULL || d->nworkers == 0) {
		return;
	}
	if (kcounters_read_queues(ov->k, d->workers[0].queue, d->nworkers, q) == 0) {
		ov->have_queues = true;
		for (unsigned i = 0; i < d->nworkers; i++) {
			struct kcounters_queue *l = &ov->last[i];
			if (!q[i].bound) {
				continue;
			}
			/* 32-bit counters: the increment is right across a wrap. */
			ov->queue_full += (uint32_t)(q[i].queue_full - l->queue_full);
			ov->socket_full += (uint32_t)(q[i].socket_full - l->socket_full);
			ov->numbered += (uint32_t)(q[i].id_sequence - l->id_sequence);
			*l = q[i];
		}
	}
	struct kcounters_rules r;
	if (kcounters_read_rules(ov->k, &r) == 0) {
		if (ov->have_rules) {
			ov->rules_queued += since_last(r.queued, ov->last_rules.queued);
			ov->admission_dropped +=
				since_last(r.admission_dropped, ov->last_rules.admission_dropped);
		}
		ov->last_rules = r; /* the first read only sets where counting starts */
		ov->have_rules = true;
	}
}

void daemon_overload(const struct daemon *d, const struct worker_stats *t,
		     struct overload_figures *f)
{
	const struct overload *ov = &d->overload;
	memset(f, 0, sizeof(*f));
	f->fail_open = d->shared.fail_open;
	/* Numbers the kernel gave out: its own count, else the ids the workers saw. */
	uint64_t numbered = ov->have_queues ? ov->numbered : t->numbered;
	if (!f->fail_open && ov->have_queues) {
		f->from_kernel = true;
		f->queue_full_known = true;
		f->queue_full = ov->queue_full;
		f->socket_full = ov->socket_full;
	} else {
		/* Fail-open queues count neither: a packet that found the queue full got no id,
		 * one that found the socket full got an id the daemon never saw. */
		f->socket_full = t->socket_full;
		f->queue_full_known = ov->have_rules;
		if (ov->have_rules && ov->rules_queued > numbered) {
			f->queue_full = ov->rules_queued - numbered;
		}
	}
	f->overflows = f->queue_full + f->socket_full;
	f->admission_known = ov->have_rules;
	f->admission_dropped = ov->admission_dropped;
	f->rules_queued = ov->rules_queued;
}

/* `now` - `*reported`, and `*reported` moved up to `now` (a figure derived while packets are in
 * flight may have read high; it is not reported twice). */
static uint64_t newly(uint64_t now, uint64_t *reported)
{
	uint64_t n = now > *reported ? now - *reported : 0;
	*reported = now > *reported ? now : *reported;
	return n;
}

/* One line, at most once a minute, when packets overflowed or the admission rules dropped some
 * since the last one. */
static void report_overload(struct daemon *d, uint64_t now_ms)
{
	struct overload *ov = &d->overload;
	if (now_ms - ov->reported_ms < TROUBLE_REPORT_MS && ov->reported_ms != 0) {
		return;
	}
	struct daemon_totals all;
	struct overload_figures f;
	daemon_totals(d, &all);
	daemon_overload(d, &all.queues, &f);
	if (f.queue_full <= ov->reported_full && f.socket_full <= ov->reported_socket &&
	    f.admission_dropped <= ov->reported_admission) {
		return;
	}
	char since[48], full[32];
	since_str(since, sizeof(since), ov->reported_ms, now_ms);
	uint64_t qf = newly(f.queue_full, &ov->reported_full);
	uint64_t sf = newly(f.socket_full, &ov->reported_socket);
	uint64_t adm = newly(f.admission_dropped, &ov->reported_admission);
	snprintf(full, sizeof(full), "%" PRIu64, qf);
	log_msg(LOG_WARNING, "trouble",
		"overload%s: queue_overflows=%" PRIu64 " queue_full=%s socket_full=%" PRIu64
		" admission_dropped=%" PRIu64 "; overflowing packets are %s",
		since, qf + sf, f.queue_full_known ? full : "unknown", sf, adm,
		overload_fate_str(&f));
	ov->reported_ms = now_ms;
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
	daemon_overload_update(d);
	for (unsigned i = 0; i < d->nworkers; i++) {
		report_queue(&d->workers[i], now_ms);
	}
	report_overload(d, now_ms);
	report_log(d, now_ms);
	report_kernel(d, now_ms);
}

void daemon_log_totals(const struct daemon *d)
{
	struct daemon_totals all;
	struct overload_figures f;
	daemon_totals(d, &all);
	const struct worker_stats *t = &all.queues;
	const struct alert_totals *a = &all.alerts;
	daemon_overload(d, t, &f);
	char full[32], adm[32];
	snprintf(full, sizeof(full), "%" PRIu64, f.queue_full);
	snprintf(adm, sizeof(adm), "%" PRIu64, f.admission_dropped);
	uint64_t up = (monotonic_ms() - d->started_ms) / 1000;
	log_msg(LOG_INFO, "shutdown",
		"totals after %" PRIu64 " s: received=%" PRIu64 " verdicts=%" PRIu64
		" accepted=%" PRIu64 " dropped=%" PRIu64 " marked_block=%" PRIu64 " named=%" PRIu64
		" unfinished=%" PRIu64 " held_back=%" PRIu64 " blocked=%" PRIu64 " alerted=%" PRIu64
		" dns_forged=%" PRIu64 " dns_forge_failed=%" PRIu64 " quic_vn_sent=%" PRIu64
		" dns_answers=%" PRIu64 " dns_answers_blocked=%" PRIu64 " ech_stripped=%" PRIu64
		" by_address=%" PRIu64 " by_ech_front=%" PRIu64 " queue_overflows=%" PRIu64
		" queue_full=%s socket_full=%" PRIu64 " admission_dropped=%s send_errors=%" PRIu64
		" verdicts_unsent=%" PRIu64 " alert_lines=%" PRIu64 " alert_repeats=%" PRIu64
		" alert_rate_limited=%" PRIu64 " alert_records_lost=%" PRIu64
		" log_lines_lost=%" PRIu64 " reloads=%" PRIu64 " reloads_refused=%" PRIu64,
		up, t->received, t->accepted + t->dropped + t->marked_block, t->accepted,
		t->dropped, t->marked_block, t->named, t->unfinished, t->held_back, t->blocked,
		t->alerted, t->dns_forged, t->dns_forge_failed, t->quic_vn_sent, t->answers,
		t->answers_blocked, t->ech_stripped, t->by_address, t->by_ech_front, f.overflows,
		f.queue_full_known ? full : "unknown", f.socket_full,
		f.admission_known ? adm : "unknown", t->send_errors, t->verdicts_unsent, a->logged,
		a->repeats, a->rate_limited, t->alerts_lost, all.log.lost, d->reloads,
		d->reload_failures);
}
