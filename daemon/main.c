/* SPDX-License-Identifier: GPL-2.0-or-later */
/* embargod: command line, then either the offline replay or the NFQUEUE daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "embargo_config.h"
#include "embargo/policy.h"
#include "daemon.h"
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
		"       embargod --check-config [OPTIONS]  load the blocklist, print counts, exit\n"
		"\n"
		"Blocklist:\n"
		"  -b, --blocklist FILE   domain list: one name per line, '#' comments; each name\n"
		"                         blocks itself and every name below it (repeatable)\n"
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
		"  -u, --user USER        drop to USER after opening sockets, keeping only\n"
		"                         CAP_NET_ADMIN and CAP_NET_RAW\n"
		"      --fail-closed      drop packets when the queue overflows (default: accept)\n"
		"      --dns-answer KIND  nxdomain (default), refused or sinkhole\n"
		"      --sinkhole-v4 ADDR --sinkhole-v6 ADDR   addresses for --dns-answer "
		"sinkhole\n"
		"                         (default 0.0.0.0 and ::)\n"
		"      --marks A,D,R,M    packet marks the verdicts carry for allow, drop and "
		"reject,\n"
		"                         and the mask they live in; the firewall rules save them\n"
		"                         as connection marks and act on them\n"
		"                         (default 0x1000000,0x2000000,0x4000000,0x7000000)\n"
		"      --copy-range BYTES packet bytes copied to the daemon (default 4096)\n"
		"      --queue-maxlen N   kernel queue length in packets (default 4096)\n"
		"      --log-facility F   syslog facility: daemon (default), local0 .. local7\n"
		"      --nameless ACTION  for connections decided without a name (no SNI, not TLS "
		"or\n"
		"                         HTTP, malformed, or past the inspection bound of 512\n"
		"                         packets, 20 KiB or 10 s): allow (default), alert, drop,\n"
		"                         reject\n"
		"\n"
		"  -h, --help             this text\n"
		"      --version          version and features\n"
		"\n"
		"Signals: SIGHUP reloads the blocklist (the old one stays if the new one has an\n"
		"error); SIGTERM and SIGINT stop after every queued packet has had its verdict.\n"
		"Exit status: 0 ok, 1 runtime failure, 2 bad command line, 3 blocklist error.\n",
		EMBARGO_RUNSTATEDIR);
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
	/* Each mark must be a non-zero value inside the mask, and the three must differ. */
	for (unsigned i = 0; i < 3; i++) {
		if (v[i] == 0 || (v[i] & ~v[3]) != 0) {
			return -EINVAL;
		}
	}
	if (v[0] == v[1] || v[0] == v[2] || v[1] == v[2]) {
		return -EINVAL;
	}
	o->mark_allow = v[0];
	o->mark_block = v[1];
	o->mark_reject = v[2];
	o->mark_mask = v[3];
	return 0;
}

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{"daemon", LOG_DAEMON}, {"user", LOG_USER},	{"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
	{"local7", LOG_LOCAL7},
};

static void opts_default(struct embargod_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pid_file = EMBARGO_RUNSTATEDIR "/embargod.pid";
	o->dns_answer = DNS_REPLY_NXDOMAIN;
	o->mark_allow = 0x1000000;
	o->mark_block = 0x2000000;
	o->mark_reject = 0x4000000;
	o->mark_mask = 0x7000000;
	o->copy_range = 4096;
	o->queue_maxlen = 4096;
	o->log_facility = LOG_DAEMON;
	o->nameless_action = ACTION_ALLOW;
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
	while ((c = getopt_long(argc, argv, "b:c:Qfq:p:u:h", long_options, NULL)) != -1) {
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
			break;
		case 'p':
			o->pid_file = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case OPT_FAIL_CLOSED:
			o->fail_closed = true;
			break;
		case OPT_DNS_ANSWER:
			if (strcmp(optarg, "nxdomain") == 0) {
				o->dns_answer = DNS_REPLY_NXDOMAIN;
			} else if (strcmp(optarg, "refused") == 0) {
				o->dns_answer = DNS_REPLY_REFUSED;
			} else if (strcmp(optarg, "sinkhole") == 0) {
				o->dns_answer = DNS_REPLY_SINKHOLE;
			} else {
				return bad("DNS answer kind", optarg);
			}
			break;
		case OPT_SINKHOLE_V4:
			if (inet_pton(AF_INET, optarg, o->sinkhole_v4) != 1) {
				return bad("IPv4 address", optarg);
			}
			break;
		case OPT_SINKHOLE_V6:
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
		case OPT_LOG_FACILITY: {
			bool found = false;
			for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
				if (strcmp(optarg, facilities[i].name) == 0) {
					o->log_facility = facilities[i].facility;
					found = true;
				}
			}
			if (!found) {
				return bad("log facility", optarg);
			}
			break;
		}
		case OPT_NAMELESS: {
			static const char *const names[] = {"allow", "alert", "drop", "reject"};
			static const int actions[] = {ACTION_ALLOW, ACTION_ALERT, ACTION_DROP,
						      ACTION_REJECT};
			bool found = false;
			for (size_t i = 0; i < 4; i++) {
				if (strcmp(optarg, names[i]) == 0) {
					o->nameless_action = actions[i];
					found = true;
				}
			}
			if (!found) {
				return bad("action for nameless connections", optarg);
			}
			break;
		}
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
	if (o->config_path != NULL) {
		fprintf(stderr, "embargod: -c: the configuration file format is not supported by "
				"this build; use -b FILE for domain lists\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Load the blocklist the options name; NULL with a message on stderr when it fails. */
struct policy *load_policy(const struct embargod_opts *o, char *err, size_t err_size)
{
	struct policy *p = NULL;
	if (o->nblocklists == 0) {
		p = policy_new_empty();
		if (p == NULL) {
			snprintf(err, err_size, "out of memory");
		} else {
			p->nameless_action = (enum action)o->nameless_action;
		}
		return p;
	}
	int rc = policy_load_domain_lists(o->blocklists, o->nblocklists, &p, err, err_size);
	if (rc != 0) {
		return NULL;
	}
	p->nameless_action = (enum action)o->nameless_action;
	return p;
}

static int check_config(const struct embargod_opts *o)
{
	char err[512];
	struct policy *p = load_policy(o, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "embargod: %s\n", err);
		return EXIT_CONFIG;
	}
	printf("%zu rules from %u file(s)\n", domainset_count(p->ds), o->nblocklists);
	for (uint16_t i = 0; i < p->nfiles; i++) {
		printf("  %s\n", p->files[i]);
	}
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
		if (o.nblocklists > 0) {
			char err[512];
			p = load_policy(&o, err, sizeof(err));
			if (p == NULL) {
				fprintf(stderr, "embargod: %s\n", err);
				return EXIT_CONFIG;
			}
		}
		struct replay_opts ro = {o.replay_path, p, o.names_only, o.quiet};
		rc = replay_run(&ro);
		policy_free(p);
		return rc;
#else
		fprintf(stderr, "embargod: built without libpcap: --replay is not available\n");
		return EXIT_USAGE;
#endif
	}
	return daemon_run(&o);
}
