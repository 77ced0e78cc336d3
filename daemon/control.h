/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control: embargoctl's socket (control.c: connections) and its commands (control_cmd.c). It
 * knows the daemon only through the operations the daemon hands it (struct control_ops). */
#ifndef EMBARGOD_CONTROL_H
#define EMBARGOD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "learning.h"
#include "totals.h"
#include "worker.h"

struct control;
struct event_base;
struct learner;
struct policy;

/* What status reports besides the policy's figures. Strings belong to the daemon. */
struct control_status {
	time_t started; /* wall clock */
	uint64_t uptime_s;
	const char *config_path;       /* NULL: domain lists given with -b */
	uint64_t reloads;	       /* reloads done */
	uint64_t reload_failures;      /* reloads refused */
	time_t last_reload;	       /* 0: none yet */
	const char *last_reload_error; /* "" when the last reload worked */
	unsigned queue_first, queue_last;
	unsigned nworkers;
	bool fail_closed;
};

/* What stats reports, read when asked (the kernel's counters too). */
struct control_stats {
	struct daemon_totals totals;
	struct overload_figures overload;
	struct learning_stats learning; /* all 0 without learn-addresses */
	const struct worker *workers;	/* nworkers of them, for the counts per queue */
	unsigned nworkers;
};

/* What the commands may ask of the daemon; each is called on the main loop with `ctx`. */
struct control_ops {
	void *ctx;
	void (*status)(void *ctx, struct control_status *s);
	void (*stats)(void *ctx, struct control_stats *s);
	/* The policy in force, never NULL. */
	const struct policy *(*policy)(void *ctx);
	/* The learned addresses and fronts, or NULL without learn-addresses. */
	const struct learner *(*learner)(void *ctx);
	/* Load the configuration again and put it in force: 0, or -1 with the reason in `*why`
	 * (the daemon's storage). */
	int (*reload)(void *ctx, const char **why);
};

/* Open the control socket at `path` (mode 0660, group `group` when not NULL). Returns the
 * listening descriptor or -1 with a message logged. */
int control_open(const char *path, const char *group);

/* Serve the listening socket `fd` on `base`: connections are read and answered as events,
 * each within a deadline, CONTROL_CONNS_MAX at a time; their commands go to `ops` (copied).
 * NULL (logged) on failure. */
struct control *control_start(struct event_base *base, int fd, const struct control_ops *ops);

/* Close every connection and stop serving (the listening descriptor stays open). NULL is
 * ignored. */
void control_stop(struct control *c);

#endif
