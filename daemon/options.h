/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line options of embargod, shared by main.c and the parts that act on them. */
#ifndef EMBARGOD_OPTIONS_H
#define EMBARGOD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "embargo/config.h"
#include "embargo/dns.h"

#define OPT_BLOCKLISTS_MAX 64

struct embargod_opts {
	const char *blocklists[OPT_BLOCKLISTS_MAX]; /* -b FILE, in order */
	unsigned nblocklists;
	const char *config_path; /* -c FILE */
	bool check_config;	 /* --check-config */
	/* replay */
	const char *replay_path; /* --replay FILE */
	bool names_only;	 /* --names */
	bool quiet;		 /* -q */
	/* daemon */
	bool foreground;      /* -f */
	uint16_t queue_first; /* -q/--queue A[-B] */
	uint16_t queue_last;
	const char *pid_file;		/* -p FILE */
	const char *user;		/* -u USER */
	bool fail_closed;		/* --fail-closed */
	bool overflow_accept;		/* --overflow accept */
	enum dns_reply_kind dns_answer; /* --dns-answer */
	uint8_t sinkhole_v4[4];
	uint8_t sinkhole_v6[16];
	uint32_t mark_allow, mark_block, mark_reject, mark_mask; /* --marks */
	uint32_t copy_range;					 /* --copy-range BYTES */
	uint32_t queue_maxlen;					 /* --queue-maxlen PACKETS */
	int log_facility;					 /* --log-facility */
	int nameless_action;	    /* --nameless: enum action for flows decided without a name */
	int unfinished_action;	    /* --unfinished: enum action for flows left incomplete */
	const char *control_socket; /* -S: embargoctl's socket, NULL for none */
	const char *control_group;  /* group that may use it (with root) */
	uint32_t log_rate;	    /* alert lines per second at most, 0 = no cap */
	uint32_t log_window_s;	    /* repeats of one (client, name) within it are summarised */
	uint32_t flow_packets;	    /* 0: the inspector's default */
	uint32_t flow_timeout_s;    /* 0: the inspector's default */
	uint32_t max_flows;	    /* --flows: flows per queue, 0: the inspector's default */
	uint32_t max_buffers;	    /* --buffers: reassembly buffers per queue, 0: default */
	uint16_t dns_ede;	    /* --dns-ede: INFO-CODE of forged answers' EDE, 0: none */
	bool dns_responses;	    /* --dns-responses inspect|ignore */
	bool cname_cloaking;	    /* --cname-cloaking on|off */
	int learn_addresses;	    /* --learn-addresses: enum config_learn */
	uint32_t learn_entries;	    /* learn-limit entries: per family */
	uint32_t learn_grace_s;	    /* learn-limit grace */
	int ech_action;		    /* --ech: ACTION_ALLOW, ACTION_ALERT or ACTION_REJECT */
	bool strip_ech;		    /* --strip-ech on|off */
	uint32_t cli_set;	    /* enum config_set bits the command line gave */
};

#endif
