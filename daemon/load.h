/* SPDX-License-Identifier: GPL-2.0-or-later */
/* load: what embargod runs with, from its options: the policy (the configuration or the domain
 * lists, with the switches the command line fixed) and the inspection limits. Startup,
 * --check-config, --replay and reload all load through here. */
#ifndef EMBARGOD_LOAD_H
#define EMBARGOD_LOAD_H

#include <stddef.h>

#include "options.h"

struct policy;
struct inspect_limits;

/* Load the blocklist named by the options: the configuration file (its settings into `s`, which
 * may be NULL), else the domain lists, else an empty policy. The command line's switches win
 * over the file's. NULL with a message in `err` on failure; the caller frees the policy. */
struct policy *load_policy(const struct embargod_opts *o, struct config_settings *s, char *err,
			   size_t err_size);

/* The inspection bounds of each queue: the inspector's defaults, with what the options set. */
void load_inspect_limits(const struct embargod_opts *o, struct inspect_limits *lim);

#endif
