/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line options of embargod, shared by main.c and the parts that act on them. */
#ifndef EMBARGOD_OPTIONS_H
#define EMBARGOD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "embargo/config.h"
#include "embargo/settings.h"

#define OPT_BLOCKLISTS_MAX 64
#define OPT_PRINT_MAX	   32

struct embargod_opts {
	const char *blocklists[OPT_BLOCKLISTS_MAX]; /* -b FILE, in order */
	unsigned nblocklists;
	const char *config_path;		/* -c FILE */
	bool check_config;			/* --check-config */
	const char *print_names[OPT_PRINT_MAX]; /* --print-setting NAME, in order */
	unsigned nprint;
	/* replay */
	const char *replay_path; /* --replay FILE */
	bool names_only;	 /* --names */
	bool quiet;		 /* -q */
	/* daemon */
	bool foreground;					 /* -f */
	uint32_t mark_allow, mark_block, mark_reject, mark_mask; /* --marks */
	uint32_t copy_range;					 /* --copy-range BYTES */
	uint32_t queue_maxlen;					 /* --queue-maxlen PACKETS */
	/* The settings (settings.h): those the command line gave (their bits in cli.set), and
	 * those in force, the command line's over the file's over the defaults. */
	struct config_settings cli;
	struct config_settings cfg;
};

#endif
