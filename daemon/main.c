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

/* Options that are not settings; the settings' options come from the settings table and
 * take the values from SETTING_VAL up. */
enum long_only {
	OPT_REPLAY = 256,
	OPT_NAMES,
	OPT_CHECK_CONFIG,
	OPT_PRINT_SETTING,
	OPT_MARKS,
	OPT_COPY_RANGE,
	OPT_QUEUE_MAXLEN,
	OPT_VERSION,
	SETTING_VAL = 1024,
};

static const struct option plain_options[] = {
	{"blocklist", required_argument, NULL, 'b'},
	{"config", required_argument, NULL, 'c'},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"print-setting", required_argument, NULL, OPT_PRINT_SETTING},
	{"replay", required_argument, NULL, OPT_REPLAY},
	{"names", no_argument, NULL, OPT_NAMES},
	{"quiet", no_argument, NULL, 'Q'},
	{"foreground", no_argument, NULL, 'f'},
	{"marks", required_argument, NULL, OPT_MARKS},
	{"copy-range", required_argument, NULL, OPT_COPY_RANGE},
	{"queue-maxlen", required_argument, NULL, OPT_QUEUE_MAXLEN},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
};
#define PLAIN_OPTIONS (sizeof(plain_options) / sizeof(plain_options[0]))
#define OPTIONS_MAX   (PLAIN_OPTIONS + 64)

/* Help texts start in this column and lines end before HELP_WIDTH. */
#define HELP_COLUMN 27
#define HELP_WIDTH  86

/* `text` word-wrapped from column `col` (where the cursor is) to HELP_WIDTH, continuation
 * lines indented to HELP_COLUMN. */
static void help_wrap(FILE *out, const char *text, size_t col)
{
	if (col >= HELP_COLUMN) {
		fprintf(out, "\n%*s", HELP_COLUMN, "");
	} else {
		fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
	}
	col = HELP_COLUMN;
	while (*text != '\0') {
		size_t w = strcspn(text, " ");
		if (col > HELP_COLUMN && col + 1 + w > HELP_WIDTH) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		} else if (col > HELP_COLUMN) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)w, text);
		col += w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* The settings' options, from the table: option, value, help, range, default, keyword. */
static void usage_settings(FILE *out)
{
	size_t n;
	const struct setting *t = settings_table(&n);
	for (size_t i = 0; i < n; i++) {
		const struct setting *r = &t[i];
		if (r->option == NULL) {
			continue;
		}
		char head[96], value[64] = "", text[512];
		if (r->flag_word == NULL && r->metavar != NULL) {
			snprintf(value, sizeof(value), " %s", r->metavar);
		} else if (r->flag_word == NULL) {
			for (const struct setting_word *w = r->words; w->word != NULL; w++) {
				size_t l = strlen(value);
				snprintf(value + l, sizeof(value) - l, "%c%s",
					 w == r->words ? ' ' : '|', w->word);
			}
		}
		int hl = r->short_option != 0
				 ? snprintf(head, sizeof(head), "  -%c, --%s%s", r->short_option,
					    r->option, value)
				 : snprintf(head, sizeof(head), "      --%s%s", r->option, value);
		size_t used = (size_t)snprintf(text, sizeof(text), "%s", r->help);
		if (r->type == SETTING_UINT) {
			used += (size_t)snprintf(text + used, sizeof(text) - used, "; %u..%u",
						 r->min, r->max);
		}
		if (r->flag_word == NULL && r->fallback[0] != '\0') {
			snprintf(text + used, sizeof(text) - used, " (default %s)", r->fallback);
		}
		fputs(head, out);
		help_wrap(out, text, hl > 0 ? (size_t)hl : 0);
		if (strcmp(r->name, r->option) != 0) {
			snprintf(text, sizeof(text), "(embargod.conf: %s %s)", r->name,
				 r->flag_word != NULL ? r->flag_word : r->key);
			help_wrap(out, text, 0);
		}
	}
	char list[512] = "";
	for (size_t i = 0, used = 0; i < n; i++) {
		bool again = i > 0 && strcmp(t[i - 1].name, t[i].name) == 0;
		if (t[i].option == NULL && !again && used < sizeof(list)) {
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used > 0 ? ", " : "", t[i].name);
		}
	}
	fprintf(out, "  Only in embargod.conf:");
	help_wrap(out, list, 24);
}

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
		"  -c, --config FILE        embargod.conf: settings, vendor files (blocklist.d/),\n"
		"                           categories, client scope (default %s/embargod.conf\n"
		"                           when neither -c nor -b is given and it exists)\n"
		"  -b, --blocklist FILE     instead of -c: a plain list (one name per line, as\n"
		"                           `import plain` reads it); each name blocks itself and\n"
		"                           every name below it (repeatable)\n"
		"      --check-config       load everything, print rules per vendor and category\n"
		"                           and the settings in force, exit 0; on error print\n"
		"                           file:line:column: message\n"
		"      --print-setting NAME print the value in force of setting NAME (a keyword "
		"of\n"
		"                           embargod.conf, with its key for flow-limit and\n"
		"                           learn-limit: \"learn-limit entries\"), as the file\n"
		"                           writes it; repeatable, one line each\n"
		"\n"
		"Replay:\n"
		"      --replay FILE        read a pcap/pcapng capture ('-' = stdin) and print one "
		"line\n"
		"                           per decision and a summary\n"
		"      --names              print every extracted name as kind:name instead\n"
		"  -Q, --quiet              summary only\n"
		"\n"
		"Daemon:\n"
		"  -f, --foreground         stay in the foreground, log to stderr too\n"
		"      --marks A,D,R,M      packet marks the verdicts carry for allow, drop and "
		"reject,\n"
		"                           and the mask they live in; the firewall rules save "
		"them\n"
		"                           as connection marks and act on them\n"
		"                           (default 0x1000000,0x2000000,0x4000000,0x7000000)\n"
		"      --copy-range BYTES   packet bytes copied to the daemon (default 65535)\n"
		"      --queue-maxlen N     kernel queue length in packets (default 4096)\n"
		"\n"
		"Settings (as in embargod.conf; an option given here wins over the file):\n",
		EMBARGO_SYSCONFDIR);
	usage_settings(out);
	fprintf(out,
		"\n"
		"  -h, --help               this text\n"
		"      --version            version and features\n"
		"\n"
		"Signals: SIGHUP reloads the configuration and blocklists (the old ones stay if\n"
		"the new ones have an error); SIGTERM and SIGINT stop after every queued packet\n"
		"has had its verdict.\n"
		"Exit status: 0 ok, 1 runtime failure, 2 bad command line (or an unknown\n"
		"--print-setting), 3 configuration error.\n");
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
	o->mark_allow = 0x1000000;
	o->mark_block = 0x2000000;
	o->mark_reject = 0x4000000;
	o->mark_mask = 0x7000000;
	o->copy_range = 65535;
	o->queue_maxlen = 4096;
	settings_defaults(&o->cli);
	settings_defaults(&o->cfg);
}

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "embargod: invalid %s '%s' (see --help)\n", what, value);
	return EXIT_USAGE;
}

/* The long options: those above and one per setting that has an option; the short ones. */
static void build_options(struct option *opts, char *shorts, size_t shorts_size)
{
	size_t n, k = PLAIN_OPTIONS;
	const struct setting *t = settings_table(&n);
	memcpy(opts, plain_options, sizeof(plain_options));
	snprintf(shorts, shorts_size, "b:c:Qfh");
	for (size_t i = 0; i < n && k + 1 < OPTIONS_MAX; i++) {
		if (t[i].option == NULL) {
			continue;
		}
		opts[k++] = (struct option){
			t[i].option, t[i].flag_word != NULL ? no_argument : required_argument, NULL,
			SETTING_VAL + (int)i};
		if (t[i].short_option != 0) {
			size_t l = strlen(shorts);
			snprintf(shorts + l, shorts_size - l, "%c:", t[i].short_option);
		}
	}
	opts[k] = (struct option){NULL, 0, NULL, 0};
}

/* The setting an option stands for (getopt's value), or NULL. */
static const struct setting *option_setting(int c)
{
	size_t n;
	const struct setting *t = settings_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (c == SETTING_VAL + (int)i ||
		    (t[i].short_option != 0 && c == t[i].short_option)) {
			return &t[i];
		}
	}
	return NULL;
}

/* `NAME` or `NAME KEY` of --print-setting: a statement, or one key of it. */
static bool known_setting(const char *name)
{
	char word[64];
	const char *sp = strchr(name, ' ');
	if (sp == NULL) {
		return setting_find(name, NULL) != NULL;
	}
	snprintf(word, sizeof(word), "%.*s", (int)(sp - name), name);
	return setting_find(word, sp + 1) != NULL;
}

/* Parse argv into `o`. Returns 0, or an exit code for main to return. */
static int parse_args(int argc, char **argv, struct embargod_opts *o)
{
	struct option opts[OPTIONS_MAX];
	char shorts[64], msg[256];
	int c;
	opts_default(o);
	build_options(opts, shorts, sizeof(shorts));
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct setting *r = option_setting(c);
		if (r != NULL) {
			if (setting_parse(r, r->flag_word != NULL ? r->flag_word : optarg, &o->cli,
					  msg, sizeof(msg)) != 0) {
				fprintf(stderr, "embargod: --%s: %s\n", r->option, msg);
				return EXIT_USAGE;
			}
			continue;
		}
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
		case OPT_PRINT_SETTING:
			if (!known_setting(optarg)) {
				fprintf(stderr,
					"embargod: unknown setting '%s' (--print-setting takes a "
					"keyword of embargod.conf; see --help)\n",
					optarg);
				return EXIT_USAGE;
			}
			if (o->nprint >= OPT_PRINT_MAX) {
				return bad("number of settings to print", optarg);
			}
			o->print_names[o->nprint++] = optarg;
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
	settings_merge(&o->cfg, &o->cli, NULL);
	return 0;
}

/* The policy of the files `o` names, and the settings in force in o->cfg: the command line's,
 * else the configuration's, else the defaults. NULL after printing why. */
static struct policy *load_all(struct embargod_opts *o)
{
	char err[1024];
	struct config_settings s;
	struct policy *p = load_policy(o, &s, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "embargod: %s\n", err);
		return NULL;
	}
	settings_merge(&o->cfg, &o->cli, &s);
	return p;
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

/* check-config: every setting in force, as the file would write it, then learn-from and the
 * ECH fronts. */
static void print_settings(const struct embargod_opts *o, const struct policy *p)
{
	size_t n;
	const struct setting *t = settings_table(&n);
	printf("settings (* from the command line, + from the file):\n");
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(t[i - 1].name, t[i].name) == 0) {
			continue;
		}
		char v[512];
		setting_format_statement(t[i].name, NULL, &o->cfg, v, sizeof(v));
		uint32_t bits = 0;
		for (size_t k = i; k < n && strcmp(t[k].name, t[i].name) == 0; k++) {
			bits |= t[k].bit;
		}
		printf("  %c %s %s\n",
		       (o->cli.set & bits) != 0	  ? '*'
		       : (o->cfg.set & bits) != 0 ? '+'
						  : ' ',
		       t[i].name, v);
	}
	printf("learn-from:");
	if (p->nlearn_from == 0) {
		printf(" any");
	}
	print_prefixes(p->learn_from, p->nlearn_from);
	printf("\nech fronts: %" PRIu32 ":", p->nfronts);
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

/* --print-setting: the configuration loaded, then each value asked for, one a line. */
static int print_setting_values(struct embargod_opts *o)
{
	struct policy *p = load_all(o);
	if (p == NULL) {
		return EXIT_CONFIG;
	}
	policy_free(p);
	for (unsigned i = 0; i < o->nprint; i++) {
		char name[64], v[512];
		const char *sp = strchr(o->print_names[i], ' ');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(sp != NULL ? (size_t)(sp - o->print_names[i])
					  : strlen(o->print_names[i])),
			 o->print_names[i]);
		setting_format_statement(name, sp != NULL ? sp + 1 : NULL, &o->cfg, v, sizeof(v));
		printf("%s\n", v);
	}
	return 0;
}

static int check_config(struct embargod_opts *o)
{
	struct policy *p = load_all(o);
	if (p == NULL) {
		return EXIT_CONFIG;
	}
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
	print_settings(o, p);
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
	if (o.nprint > 0) {
		return print_setting_values(&o);
	}
	if (o.check_config) {
		return check_config(&o);
	}
	if (o.replay_path != NULL) {
#if EMBARGO_HAVE_PCAP
		struct policy *p = NULL;
		if ((o.nblocklists > 0 || o.config_path != NULL) && (p = load_all(&o)) == NULL) {
			return EXIT_CONFIG;
		}
		/* The daemon's learning, without the kernel's sets. */
		bool learn = o.cfg.learn_addresses != CONFIG_LEARN_OFF;
		struct replay_opts ro = {o.replay_path,
					 p,
					 o.names_only,
					 o.quiet,
					 learn ? o.cfg.learn_entries : 0,
					 o.cfg.learn_grace_s};
		rc = replay_run(&ro);
		policy_free(p);
		return rc;
#else
		fprintf(stderr, "embargod: built without libpcap: --replay is not available\n");
		return EXIT_USAGE;
#endif
	}
	struct policy *p = load_all(&o);
	return p != NULL ? daemon_run(&o, p) : EXIT_CONFIG;
}
