/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon: lifecycle of embargod (sockets, privileges, workers, signals, reload, shutdown). */
#ifndef EMBARGOD_DAEMON_H
#define EMBARGOD_DAEMON_H

#include <stddef.h>

#include "options.h"

/* Queues (and so worker threads) one daemon serves. */
#define DAEMON_QUEUES_MAX 64

struct policy;
struct inspect_limits;

/* Run the daemon with the policy `p` (loaded by the caller, freed here) until SIGTERM/SIGINT.
 * Returns the process exit status. */
int daemon_run(const struct embargod_opts *o, struct policy *p);

/* The inspection bounds of each queue: the inspector's defaults, with what the options set. */
void daemon_inspect_limits(const struct embargod_opts *o, struct inspect_limits *lim);

/* Load the blocklist named by the options (main.c). NULL with a message in `err` on failure. */
struct policy *load_policy(const struct embargod_opts *o, struct config_settings *s, char *err,
			   size_t err_size);

#endif
