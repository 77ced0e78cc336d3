/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alert: one syslog line per blocked (or alert-only) attempt, without floods.
 *
 * The first attempt of a client at a name is logged in full. Repeats within the window are
 * counted and summarised in one line when the window ends ("N more attempts in the last M s").
 * A global cap limits alert lines per second; lines over it are counted and reported. Every
 * attempt, logged or not, is also counted in a per-client inventory (embargoctl clients).
 * All functions are thread-safe.
 */
#ifndef EMBARGOD_ALERT_H
#define EMBARGOD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "embargo/inspect.h"
#include "embargo/policy.h"

/* (client, name) pairs remembered for summaries, and clients in the inventory. */
#define ALERT_REPEATS_MAX 1024
#define ALERT_CLIENTS_MAX 1024

/* Set up (or change, on reload) the window in seconds (0: log every attempt) and the cap in
 * lines per second (0: no cap). Returns 0 or -ENOMEM. */
int alert_configure(uint32_t window_s, uint32_t rate);

/* Free the tables. */
void alert_shutdown(void);

/*
 * Report the decision `d` for the inspected packet `r` under policy `p` at `now_ms`
 * (CLOCK_MONOTONIC): action, proto, name (escaped), client address (and MAC when `mac` is
 * given), server address and port, vendor, category, rule file:line. Priority warning for
 * drop/reject, notice for alert-only. Other actions do nothing.
 */
void alert_decision(const struct policy *p, const struct inspect_result *r,
		    const struct policy_decision *d, const uint8_t *mac, size_t mac_len,
		    uint64_t now_ms);

/* Emit the summaries whose window has ended and the rate cap's count; call about once a
 * second. */
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
