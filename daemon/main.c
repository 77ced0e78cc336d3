/* SPDX-License-Identifier: GPL-2.0-or-later */
/* embargod: command line, then either the offline replay or the NFQUEUE daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "embargo_config.h"
#include "embargo/policy.h"
#include "daemon.h"
#include "load.h"
#include "options.h"
#include "replay.h"

/* Exit codes (also listed in --help). */
#define EXIT_USAGE  2 /* bad command line */
#define EXIT_CONFIG 3 /* the blocklist or config does not load */

enum long_only {
	OPT_REPLAY = 256,
	OPT_NAMES,
	OPT_CHECK_CONFIG,
	OPT_FAIL_CLOSED,
	OPT_DNS_ANSWER,
	OPT_SINKHOLE_V4,
	OPT_SINKHOLE_V6,
	OPT_MARKS,
	OPT_COPY_RANGE,
	OPT_QUEUE_MAXLEN,
	OPT_LOG_FACILITY,
	OPT_NAMELESS,
	OPT_UNFINISHED,
	OPT_OVERFLOW,
	OPT_FLOWS,
	OPT_BUFFERS,
	OPT_DNS_EDE,
	OPT_DNS_RESPONSES,
	OPT_CNAME_CLOAKING,
	OPT_LEARN_ADDRESSES,
	OPT_ECH,
	OPT_STRIP_ECH,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{"blocklist", required_argument, NULL, 'b'},
	{"config", required_argument, NULL, 'c'},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"replay", required_argument, NULL, OPT_REPLAY},
	{"names", no_argument, NULL, OPT_NAMES},
	{"quiet", no_argument, NULL, 'Q'},
	{"foreground", no_argument, NULL, 'f'},
	{"queue", required_argument, NULL, 'q'},
	{"pid-file", required_argument, NULL, 'p'},
	{"user", required_argument, NULL, 'u'},
	{"fail-closed", no_argument, NULL, OPT_FAIL_CLOSED},
	{"dns-answer", required_argument, NULL, OPT_DNS_ANSWER},
	{"sinkhole-v4", required_argument, NULL, OPT_SINKHOLE_V4},
	{"sinkhole-v6", required_argument, NULL, OPT_SINKHOLE_V6},
	{"marks", required_argument, NULL, OPT_MARKS},
	{"copy-range", required_argument, NULL, OPT_COPY_RANGE},
	{"queue-maxlen", required_argument, NULL, OPT_QUEUE_MAXLEN},
	{"log-facility", required_argument, NULL, OPT_LOG_FACILITY},
	{"nameless", required_argument, NULL, OPT_NAMELESS},
	{"unfinished", required_argument, NULL, OPT_UNFINISHED},
	{"overflow", required_argument, NULL, OPT_OVERFLOW},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"buffers", required_argument, NULL, OPT_BUFFERS},
	{"dns-ede", required_argument, NULL, OPT_DNS_EDE},
	{"dns-responses", required_argument, NULL, OPT_DNS_RESPONSES},
	{"cname-cloaking", required_argument, NULL, OPT_CNAME_CLOAKING},
	{"learn-addresses", required_argument, NULL, OPT_LEARN_ADDRESSES},
	{"ech", required_argument, NULL, OPT_ECH},
	{"strip-ech", required_argument, NULL, OPT_STRIP_ECH},
	{"control-socket", required_argument, NULL, 'S'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: embargod [OPTIONS]                 enforce the blocklist on NFQUEUE "
		"traffic\n"
		"       embargod --replay FILE [OPTIONS]   show what it would do with a capture\n"
		"       embargod --check-config [OPTIONS]  check the configuration, print rules "
		"per\n"
		"                                          vendor and category, exit\n"
		"\n"
		"Configuration:\n"
		"  -c, --config FILE      embargod.conf: settings, vendor files (blocklist.d/),\n"
		"                         categories, client scope (default %s/embargod.conf\n"
		"                         when neither -c nor -b is given and it exists)\n"
		"  -b, --blocklist FILE   instead of -c: a plain domain list, one name per line,\n"
		"                         '#' comments; each name blocks itself and every name\n"
		"                         below it (repeatable)\n"
		"      --check-config     load everything, print rules per vendor and category,\n"
		"                         exit 0; on error print file:line:column: message\n"
		"Settings given as options override those in the configuration file.\n"
		"\n"
		"Replay:\n"
		"      --replay FILE      read a pcap/pcapng capture ('-' = stdin) and print one "
		"line\n"
		"                         per decision and a summary\n"
		"      --names            print every extracted name as kind:name instead\n"
		"  -Q, --quiet            summary only\n"
		"\n"
		"Daemon:\n"
		"  -q, --queue N|A-B      NFQUEUE number or range, one worker thread each (default "
		"0)\n"
		"  -f, --foreground       stay in the foreground, log to stderr too\n"
		"  -p, --pid-file FILE    (default %s/embargod.pid; '-' for none)\n"
		"  -S, --control-socket PATH  unix socket for embargoctl ('-' for none; default\n"
		"                         none without a configuration file)\n"
		"  -u, --user USER        drop to USER after opening sockets, keeping only\n"
		"                         CAP_NET_ADMIN and CAP_NET_RAW\n"
		"      --fail-closed      the firewall rules have no bypass: traffic stops while\n"
		"                         the daemon is down (a flag for the rules' helper too)\n"
		"      --overflow drop|accept  packets that find the queue full: dropped "
		"(default;\n"
		"                         only undecided flows are queued) or passed unseen\n"
		"      --dns-answer KIND  nxdomain (default), refused or sinkhole\n"
		"      --sinkhole-v4 ADDR --sinkhole-v6 ADDR   addresses for --dns-answer "
		"sinkhole\n"
		"                         (default 0.0.0.0 and ::)\n"
		"      --marks A,D,R,M    packet marks the verdicts carry for allow, drop and "
		"reject,\n"
		"                         and the mask they live in; the firewall rules save them\n"
		"                         as connection marks and act on them\n"
		"                         (default 0x1000000,0x2000000,0x4000000,0x7000000)\n"
		"      --copy-range BYTES packet bytes copied to the daemon (default 65535)\n"
		"      --queue-maxlen N   kernel queue length in packets (default 4096)\n"
		"      --log-facility F   syslog facility: daemon (default), local0 .. local7\n"
		"      --nameless ACTION  for connections decided without a name (no SNI, not TLS "
		"or\n"
		"                         HTTP, malformed): allow (default), alert, drop, reject\n"
		"      --unfinished ACTION  for connections whose TLS or HTTP first message is "
		"still\n"
		"                         incomplete at the inspection bound (512 packets, 20 KiB\n"
		"                         or 10 s), or whose inspection state was lost: reject\n"
		"                         (default), drop, alert, allow\n"
		"      --flows N          flows followed at once, per queue (default 4096, about\n"
		"                         400 bytes each; %u..%u)\n"
		"      --buffers N        reassembly buffers, per queue (default 512, 20 KiB "
		"each,\n"
		"                         taken as split messages need them; %u..%u)\n",
		EMBARGO_SYSCONFDIR, EMBARGO_RUNSTATEDIR, CONFIG_FLOWS_MIN, CONFIG_FLOWS_MAX,
		CONFIG_BUFFERS_MIN, CONFIG_BUFFERS_MAX);
	fprintf(out,
		"\n"
		"DNS answers and ECH:\n"
		"      --dns-ede blocked|filtered|off  the Extended DNS Error (RFC 8914) a forged\n"
		"                         answer carries when the query had EDNS: 15 Blocked\n"
		"                         (default), 17 Filtered, or none; its text names vendor\n"
		"                         and category\n"
		"      --dns-responses inspect|ignore  read DNS responses (default inspect; the\n"
		"                         firewall rules queue them over UDP)\n"
		"      --cname-cloaking on|off  block a response whose CNAME/DNAME/HTTPS chain\n"
		"                         reaches a listed name, as its query would be (default "
		"on)\n"
		"      --learn-addresses off|nft|ipset  learn the addresses of listed names from\n"
		"                         answers into the firewall's sets (nft or ipset, as the\n"
		"                         rules' backend); connections that carry no name to them\n"
		"                         get the vendor's action (default off)\n"
		"      --ech allow|alert|block  ECH hellos to a known ECH front (default allow)\n"
		"      --strip-ech on|off  take ECH configurations out of HTTPS answers (default\n"
		"                         off)\n"
		"\n"
		"  -h, --help             this text\n"
		"      --version          version and features\n"
		"\n"
		"Signals: SIGHUP reloads the configuration and blocklists (the old ones stay if\n"
		"the new ones have an error); SIGTERM and SIGINT stop after every queued packet\n"
		"has had its verdict.\n"
		"Exit status: 0 ok, 1 runtime failure, 2 bad command line, 3 configuration "
		"error.\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX || s[0] == '-') {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_queue_range(const char *s, struct embargod_opts *o)
{
	char buf[32];
	uint32_t a, b;
	if (strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	strcpy(buf, s);
	char *dash = strchr(buf, '-');
	if (dash != NULL) {
		*dash = '\0';
	}
	if (parse_u32(buf, &a) != 0) {
		return -EINVAL;
	}
	b = a;
	if (dash != NULL && parse_u32(dash + 1, &b) != 0) {
		return -EINVAL;
	}
	if (a > 65535 || b > 65535 || b < a || b - a >= DAEMON_QUEUES_MAX) {
		return -EINVAL;
	}
	o->queue_first = (uint16_t)a;
	o->queue_last = (uint16_t)b;
	return 0;
}

static int parse_marks(const char *s, struct embargod_opts *o)
{
	uint32_t v[4];
	char buf[128];
	if (strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	strcpy(buf, s);
	char *save = NULL;
	char *tok = strtok_r(buf, ",", &save);
	for (unsigned i = 0; i < 4; i++) {
		if (tok == NULL || parse_u32(tok, &v[i]) != 0) {
			return -EINVAL;
		}
		tok = strtok_r(NULL, ",", &save);
	}
	if (tok != NULL) {
		return -EINVAL;
	}
	/* Each mark must be a non-zero value inside the mask, and the three must differ, as
	 * must the two the firewall derives from them (follow: allow|reject, watch:
	 * allow|drop). */
	uint32_t all[5] = {v[0], v[1], v[2], v[0] | v[2], v[0] | v[1]};
	for (unsigned i = 0; i < 5; i++) {
		if (all[i] == 0 || (all[i] & ~v[3]) != 0) {
			return -EINVAL;
		}
		for (unsigned k = 0; k < i; k++) {
			if (all[i] == all[k]) {
				return -EINVAL;
			}
		}
	}
	o->mark_allow = v[0];
	o->mark_block = v[1];
	o->mark_reject = v[2];
	o->mark_mask = v[3];
	return 0;
}

static void opts_default(struct embargod_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pid_file = EMBARGO_RUNSTATEDIR "/embargod.pid";
	o->dns_answer = DNS_REPLY_NXDOMAIN;
	o->mark_allow = 0x1000000;
	o->mark_block = 0x2000000;
	o->mark_reject = 0x4000000;
	o->mark_mask = 0x7000000;
	o->copy_range = 65535;
	o->queue_maxlen = 4096;
	o->log_facility = LOG_DAEMON;
	o->nameless_action = ACTION_ALLOW;
	o->unfinished_action = ACTION_REJECT;
	o->dns_ede = DNS_EDE_BLOCKED;
	o->dns_responses = true;
	o->cname_cloaking = true;
	o->learn_addresses = CONFIG_LEARN_OFF;
	o->learn_entries = CONFIG_LEARN_ENTRIES_DEFAULT;
	o->learn_grace_s = CONFIG_LEARN_GRACE_DEFAULT;
	o->ech_action = ACTION_ALLOW;
	o->strip_ech = false;
}

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "embargod: invalid %s '%s' (see --help)\n", what, value);
	return EXIT_USAGE;
}

/* Parse argv into `o`. Returns 0, or an exit code for main to return. */
static int parse_args(int argc, char **argv, struct embargod_opts *o)
{
	int c;
	opts_default(o);
	while ((c = getopt_long(argc, argv, "b:c:Qfq:p:u:S:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (o->nblocklists >= OPT_BLOCKLISTS_MAX) {
				return bad("number of blocklists", optarg);
			}
			o->blocklists[o->nblocklists++] = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			o->check_config = true;
			break;
		case OPT_REPLAY:
			o->replay_path = optarg;
			break;
		case OPT_NAMES:
			o->names_only = true;
			break;
		case 'Q':
			o->quiet = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'q':
			if (parse_queue_range(optarg, o) != 0) {
				return bad("queue range", optarg);
			}
			o->cli_set |= CFG_QUEUE;
			break;
		case 'p':
			o->pid_file = strcmp(optarg, "-") == 0 ? NULL : optarg;
			o->cli_set |= CFG_PID_FILE;
			break;
		case 'u':
			o->user = optarg;
			o->cli_set |= CFG_USER;
			break;
		case 'S':
			o->control_socket = strcmp(optarg, "-") == 0 ? NULL : optarg;
			o->cli_set |= CFG_CONTROL_SOCKET;
			break;
		case OPT_FAIL_CLOSED:
			o->fail_closed = true;
			o->cli_set |= CFG_FAIL;
			break;
		case OPT_DNS_ANSWER: {
			o->cli_set |= CFG_DNS_ANSWER;
			int kind = dns_reply_kind_from_str(optarg);
			if (kind < 0) {
				return bad("DNS answer kind", optarg);
			}
			o->dns_answer = (enum dns_reply_kind)kind;
			break;
		}
		case OPT_SINKHOLE_V4:
			o->cli_set |= CFG_SINKHOLE_V4;
			if (inet_pton(AF_INET, optarg, o->sinkhole_v4) != 1) {
				return bad("IPv4 address", optarg);
			}
			break;
		case OPT_SINKHOLE_V6:
			o->cli_set |= CFG_SINKHOLE_V6;
			if (inet_pton(AF_INET6, optarg, o->sinkhole_v6) != 1) {
				return bad("IPv6 address", optarg);
			}
			break;
		case OPT_MARKS:
			if (parse_marks(optarg, o) != 0) {
				return bad("marks", optarg);
			}
			break;
		case OPT_COPY_RANGE:
			if (parse_u32(optarg, &o->copy_range) != 0 || o->copy_range < 128 ||
			    o->copy_range > 65535) {
				return bad("copy range (128..65535)", optarg);
			}
			break;
		case OPT_QUEUE_MAXLEN:
			if (parse_u32(optarg, &o->queue_maxlen) != 0 || o->queue_maxlen == 0) {
				return bad("queue length", optarg);
			}
			break;
		case OPT_LOG_FACILITY:
			o->cli_set |= CFG_LOG_FACILITY;
			o->log_facility = config_facility_from_str(optarg);
			if (o->log_facility < 0) {
				return bad("log facility", optarg);
			}
			break;
		case OPT_NAMELESS: {
			o->cli_set |= CFG_NAMELESS;
			o->nameless_action = config_action_from_str(optarg);
			if (o->nameless_action < 0) {
				return bad("action for nameless connections", optarg);
			}
			break;
		}
		case OPT_UNFINISHED: {
			o->cli_set |= CFG_UNFINISHED;
			o->unfinished_action = config_action_from_str(optarg);
			if (o->unfinished_action < 0) {
				return bad("action for unfinished connections", optarg);
			}
			break;
		}
		case OPT_DNS_EDE:
			o->cli_set |= CFG_DNS_EDE;
			if (strcmp(optarg, "blocked") == 0) {
				o->dns_ede = DNS_EDE_BLOCKED;
			} else if (strcmp(optarg, "filtered") == 0) {
				o->dns_ede = DNS_EDE_FILTERED;
			} else if (strcmp(optarg, "off") == 0) {
				o->dns_ede = 0;
			} else {
				return bad("Extended DNS Error", optarg);
			}
			break;
		case OPT_DNS_RESPONSES:
			o->cli_set |= CFG_DNS_RESPONSES;
			if (strcmp(optarg, "inspect") != 0 && strcmp(optarg, "ignore") != 0) {
				return bad("dns-responses", optarg);
			}
			o->dns_responses = optarg[1] == 'n';
			break;
		case OPT_CNAME_CLOAKING:
		case OPT_STRIP_ECH: {
			bool on = strcmp(optarg, "on") == 0;
			if (!on && strcmp(optarg, "off") != 0) {
				return bad(c == OPT_STRIP_ECH ? "strip-ech" : "cname-cloaking",
					   optarg);
			}
			if (c == OPT_STRIP_ECH) {
				o->strip_ech = on;
				o->cli_set |= CFG_STRIP_ECH;
			} else {
				o->cname_cloaking = on;
				o->cli_set |= CFG_CNAME_CLOAKING;
			}
			break;
		}
		case OPT_LEARN_ADDRESSES: {
			o->cli_set |= CFG_LEARN_ADDRESSES;
			int v = -1;
			for (int i = CONFIG_LEARN_OFF; i <= CONFIG_LEARN_IPSET; i++) {
				v = strcmp(optarg, config_learn_str(i)) == 0 ? i : v;
			}
			if (v < 0) {
				return bad("learn-addresses", optarg);
			}
			o->learn_addresses = v;
			break;
		}
		case OPT_ECH:
			o->cli_set |= CFG_ECH;
			o->ech_action = strcmp(optarg, "allow") == 0   ? ACTION_ALLOW
					: strcmp(optarg, "alert") == 0 ? ACTION_ALERT
					: strcmp(optarg, "block") == 0 ? ACTION_REJECT
								       : -1;
			if (o->ech_action < 0) {
				return bad("ech policy", optarg);
			}
			break;
		case OPT_OVERFLOW:
			o->cli_set |= CFG_OVERFLOW;
			if (strcmp(optarg, "accept") != 0 && strcmp(optarg, "drop") != 0) {
				return bad("overflow behaviour", optarg);
			}
			o->overflow_accept = strcmp(optarg, "accept") == 0;
			break;
		case OPT_FLOWS:
			o->cli_set |= CFG_FLOW_FLOWS;
			if (parse_u32(optarg, &o->max_flows) != 0 ||
			    o->max_flows < CONFIG_FLOWS_MIN || o->max_flows > CONFIG_FLOWS_MAX) {
				return bad("number of flows", optarg);
			}
			break;
		case OPT_BUFFERS:
			o->cli_set |= CFG_FLOW_BUFFERS;
			if (parse_u32(optarg, &o->max_buffers) != 0 ||
			    o->max_buffers < CONFIG_BUFFERS_MIN ||
			    o->max_buffers > CONFIG_BUFFERS_MAX) {
				return bad("number of buffers", optarg);
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("embargod %s (QUIC inspection: %s, replay: %s, sd_notify: %s)\n",
			       EMBARGO_VERSION, EMBARGO_HAVE_QUIC ? "yes" : "no",
			       EMBARGO_HAVE_PCAP ? "yes" : "no",
			       EMBARGO_HAVE_SYSTEMD ? "yes" : "no");
			exit(0);
		default:
			fprintf(stderr, "embargod: see --help\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		return bad("argument", argv[optind]);
	}
	if (o->config_path != NULL && o->nblocklists > 0) {
		fprintf(stderr,
			"embargod: -c and -b exclude each other: import plain lists from the "
			"configuration (import plain FILE)\n");
		return EXIT_USAGE;
	}
	if (o->config_path == NULL && o->nblocklists == 0 && !o->names_only &&
	    access(EMBARGO_SYSCONFDIR "/embargod.conf", R_OK) == 0) {
		o->config_path = EMBARGO_SYSCONFDIR "/embargod.conf";
	}
	return 0;
}

/* Take the configuration's daemon settings where the command line gave none. */
static void apply_settings(struct embargod_opts *o, const struct config_settings *s)
{
	uint32_t use = s->set & ~o->cli_set;
	if (use & CFG_QUEUE) {
		o->queue_first = s->queue_first;
		o->queue_last = s->queue_last;
	}
	if (use & CFG_FAIL) {
		o->fail_closed = s->fail_closed;
	}
	if (use & CFG_OVERFLOW) {
		o->overflow_accept = s->overflow_accept;
	}
	if (use & CFG_USER) {
		o->user = s->user;
	}
	if (use & CFG_PID_FILE) {
		o->pid_file = s->pid_file;
	}
	if (use & CFG_CONTROL_SOCKET) {
		o->control_socket = s->control_socket;
	}
	if (use & CFG_CONTROL_GROUP) {
		o->control_group = s->control_group;
	}
	if (use & CFG_LOG_FACILITY) {
		o->log_facility = s->log_facility;
	}
	if (use & CFG_LOG_RATE) {
		o->log_rate = s->log_rate;
	}
	if (use & CFG_LOG_WINDOW) {
		o->log_window_s = s->log_window_s;
	}
	if (use & CFG_DNS_ANSWER) {
		o->dns_answer = (enum dns_reply_kind)s->dns_answer;
	}
	if (use & CFG_SINKHOLE_V4) {
		memcpy(o->sinkhole_v4, s->sinkhole_v4, 4);
	}
	if (use & CFG_SINKHOLE_V6) {
		memcpy(o->sinkhole_v6, s->sinkhole_v6, 16);
	}
	if (use & CFG_NAMELESS) {
		o->nameless_action = (int)s->nameless_action;
	}
	if (use & CFG_UNFINISHED) {
		o->unfinished_action = (int)s->unfinished_action;
	}
	if (use & CFG_FLOW_PACKETS) {
		o->flow_packets = s->flow_packets;
	}
	if (use & CFG_FLOW_TIMEOUT) {
		o->flow_timeout_s = s->flow_timeout_s;
	}
	if (use & CFG_FLOW_FLOWS) {
		o->max_flows = s->flows_max;
	}
	if (use & CFG_FLOW_BUFFERS) {
		o->max_buffers = s->buffers_max;
	}
	if (use & CFG_DNS_EDE) {
		o->dns_ede = s->dns_ede;
	}
	if (use & CFG_DNS_RESPONSES) {
		o->dns_responses = s->dns_responses;
	}
	if (use & CFG_CNAME_CLOAKING) {
		o->cname_cloaking = s->cname_cloaking;
	}
	if (use & CFG_LEARN_ADDRESSES) {
		o->learn_addresses = s->learn_addresses;
	}
	if (use & CFG_LEARN_ENTRIES) {
		o->learn_entries = s->learn_entries;
	}
	if (use & CFG_LEARN_GRACE) {
		o->learn_grace_s = s->learn_grace_s;
	}
	if (use & CFG_ECH) {
		o->ech_action = (int)s->ech_action;
	}
	if (use & CFG_STRIP_ECH) {
		o->strip_ech = s->strip_ech;
	}
}

/* A group's action as check-config shows it: its own, or the protocols' default. */
static const char *group_action_str(const struct policy *p, const struct policy_group *g)
{
	if (g->action != ACTION_NONE) {
		return action_str(g->action);
	}
	static const enum inspect_proto protos[] = {INSPECT_PROTO_DNS, INSPECT_PROTO_TLS,
						    INSPECT_PROTO_HTTP, INSPECT_PROTO_QUIC};
	enum action first = p->proto_action[protos[0]];
	for (size_t i = 1; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (p->proto_action[protos[i]] != first) {
			return "default-action";
		}
	}
	return first == ACTION_NONE ? "reject" : action_str(first);
}

/* " ADDR/LEN" for each prefix. */
static void print_prefixes(const struct policy_prefix *pf, uint32_t n)
{
	char a[INET6_ADDRSTRLEN];
	for (uint32_t i = 0; i < n; i++) {
		inet_ntop(pf[i].family == 4 ? AF_INET : AF_INET6, pf[i].addr, a, sizeof(a));
		printf(" %s/%u", a, pf[i].plen);
	}
}

/* check-config: the switches of DNS responses, learning and ECH, and the ECH fronts. */
static void print_answers(const struct embargod_opts *o, const struct policy *p)
{
	printf("answers: dns-ede %s, dns-responses %s, cname-cloaking %s, learn-addresses %s "
	       "(%" PRIu32 " per family, grace %" PRIu32 " s), learn-from",
	       o->dns_ede == DNS_EDE_BLOCKED	? "blocked"
	       : o->dns_ede == DNS_EDE_FILTERED ? "filtered"
						: "off",
	       p->responses ? "inspect" : "ignore", p->cname_cloaking ? "on" : "off",
	       config_learn_str(o->learn_addresses), o->learn_entries, o->learn_grace_s);
	if (p->nlearn_from == 0) {
		printf(" any");
	}
	print_prefixes(p->learn_from, p->nlearn_from);
	printf("\nech: %s, strip-ech %s, %" PRIu32 " front(s):", config_ech_str(p->ech_action),
	       p->strip_ech ? "on" : "off", p->nfronts);
	for (uint32_t i = 0; i < p->nfronts; i++) {
		printf(" %s", p->front_names[i]);
	}
	for (uint16_t v = 0; p->vendor_ech != NULL && v < p->nvendors; v++) {
		if (p->vendor_ech[v] != ACTION_NONE) {
			printf("; %s %s", p->vendors[v],
			       config_ech_str((enum action)p->vendor_ech[v]));
		}
	}
	printf("\n");
}

static int check_config(struct embargod_opts *o)
{
	char err[1024];
	struct config_settings s;
	struct policy *p = load_policy(o, &s, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "embargod: %s\n", err);
		return EXIT_CONFIG;
	}
	apply_settings(o, &s);
	if (o->config_path == NULL) {
		printf("%zu rules from %u file(s)\n", domainset_count(p->ds), o->nblocklists);
		for (uint16_t i = 0; i < p->nfiles; i++) {
			printf("  %s\n", p->files[i]);
		}
		policy_free(p);
		return 0;
	}
	uint64_t entries = 0, exceptions = 0, off = 0;
	for (uint32_t i = 0; i < p->ngroups; i++) {
		entries += p->groups[i].entries;
		exceptions += p->groups[i].exceptions;
		off += p->groups[i].enabled ? 0 : p->groups[i].entries;
	}
	printf("%s: ok\n", o->config_path);
	printf("%u files, %u vendors, %" PRIu64 " entries and %" PRIu64
	       " exceptions; %zu rules in force (%" PRIu64 " entries in categories switched off)\n",
	       p->nfiles, p->nvendors, entries, exceptions, domainset_count(p->ds), off);
	for (uint16_t v = 0; v < p->nvendors; v++) {
		printf("vendor %s", p->vendors[v]);
		if (p->vendor_titles[v] != NULL) {
			printf(" (%s)", p->vendor_titles[v]);
		}
		printf("\n");
		if (p->vendor_reasons[v] != NULL) {
			printf("  reason: %s\n", p->vendor_reasons[v]);
		}
		for (uint32_t i = 0; i < p->ngroups; i++) {
			const struct policy_group *g = &p->groups[i];
			if (g->vendor_id != v) {
				continue;
			}
			printf("  %-14s %6" PRIu32 " entries %4" PRIu32 " exceptions  %-8s %s",
			       p->categories[g->category_id], g->entries, g->exceptions,
			       group_action_str(p, g), g->enabled ? "on" : "off");
			if (g->skipped > 0) {
				printf("  (%" PRIu32 " imported lines skipped)", g->skipped);
			}
			printf("\n");
		}
	}
	printf("clients: %s", p->nenforce > 0 ? "enforced on" : "all enforced");
	print_prefixes(p->enforce, p->nenforce);
	if (p->nexempt > 0) {
		printf("; exempt");
	}
	print_prefixes(p->exempt, p->nexempt);
	printf("\n");
	struct inspect_limits lim;
	load_inspect_limits(o, &lim);
	printf("daemon: queue %u-%u, fail %s, overflow %s, user %s, dns answer %s, nameless %s, "
	       "unfinished %s, control socket %s, per queue %" PRIu32 " flows and %" PRIu32
	       " buffers\n",
	       o->queue_first, o->queue_last, o->fail_closed ? "closed" : "open",
	       o->overflow_accept ? "accept" : "drop", o->user != NULL ? o->user : "(unchanged)",
	       dns_reply_kind_str(o->dns_answer), action_str(p->nameless_action),
	       action_str(p->unfinished_action == ACTION_NONE ? ACTION_REJECT
							      : p->unfinished_action),
	       o->control_socket != NULL ? o->control_socket : "(none)", lim.max_flows,
	       lim.max_buffers);
	print_answers(o, p);
	policy_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	struct embargod_opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc != 0) {
		return rc;
	}
	if (o.check_config) {
		return check_config(&o);
	}
	if (o.replay_path != NULL) {
#if EMBARGO_HAVE_PCAP
		struct policy *p = NULL;
		if (o.nblocklists > 0 || o.config_path != NULL) {
			char err[1024];
			struct config_settings s;
			p = load_policy(&o, &s, err, sizeof(err));
			if (p == NULL) {
				fprintf(stderr, "embargod: %s\n", err);
				return EXIT_CONFIG;
			}
			apply_settings(&o, &s);
		}
		/* The daemon's learning, without the kernel's sets. */
		bool learn = o.learn_addresses != CONFIG_LEARN_OFF;
		struct replay_opts ro = {
			o.replay_path,	p, o.names_only, o.quiet, learn ? o.learn_entries : 0,
			o.learn_grace_s};
		rc = replay_run(&ro);
		policy_free(p);
		return rc;
#else
		fprintf(stderr, "embargod: built without libpcap: --replay is not available\n");
		return EXIT_USAGE;
#endif
	}
	/* The settings (queues, user, sockets) outlive this function: the options point into
	 * them. */
	static struct config_settings settings;
	char err[1024];
	struct policy *p = load_policy(&o, &settings, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "embargod: %s\n", err);
		return EXIT_CONFIG;
	}
	apply_settings(&o, &settings);
	return daemon_run(&o, p);
}
