/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay: run a pcap/pcapng capture through the same inspection and policy as the daemon. */
#ifndef EMBARGOD_REPLAY_H
#define EMBARGOD_REPLAY_H

#include <stdbool.h>

struct policy;

struct replay_opts {
	const char *path;	     /* capture file ("-" for standard input) */
	const struct policy *policy; /* NULL: no blocklist, everything is allowed */
	bool names_only;	     /* print every extracted name ("kind:name"), no decisions */
	bool quiet;		     /* no per-decision lines, only the summary */
	uint32_t learn_entries;	     /* > 0: learn addresses from the capture's answers, as the
					daemon would with learn-addresses (per family) */
	uint32_t learn_grace_s;
};

/* Replay the capture; prints one line per decision (or per name) and a summary to stdout.
 * Returns 0, or 1 when the capture cannot be read (message on stderr). */
int replay_run(const struct replay_opts *o);

#endif
