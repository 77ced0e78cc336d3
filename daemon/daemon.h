/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon: lifecycle of embargod (sockets, privileges, workers, signals, reload, shutdown). */
#ifndef EMBARGOD_DAEMON_H
#define EMBARGOD_DAEMON_H

#include "options.h"

/* Queues (and so worker threads) one daemon serves. */
#define DAEMON_QUEUES_MAX 64

struct policy;

/* Run the daemon with the policy `p` (loaded by the caller, freed here) until SIGTERM/SIGINT.
 * Returns the process exit status. */
int daemon_run(const struct embargod_opts *o, struct policy *p);

#endif
