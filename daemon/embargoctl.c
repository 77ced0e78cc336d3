/* SPDX-License-Identifier: GPL-2.0-or-later */
/* embargoctl: ask a running embargod for its status, counters, clients, a rule, or a reload. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "embargo/ctlproto.h"
#include "embargo_config.h"

#define EXIT_DAEMON_ERROR 1
#define EXIT_USAGE	  2
#define EXIT_CONNECT	  3
/* How long to wait for the daemon's answer (a reload of a large list takes a while). */
#define REPLY_TIMEOUT_S 60

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: embargoctl [OPTIONS] COMMAND\n"
		"\n"
		"Commands:\n"
		"  status        uptime, configuration file and generation, queues, rule count\n"
		"  stats         packets, verdicts by kind, per protocol and queue, names parsed,\n"
		"                blocks, queue overflows, alert counters\n"
		"  reload        reload the configuration (a file with an error is refused and\n"
		"                the running configuration stays; the error is printed)\n"
		"  test NAME     the rule that applies to NAME and why (file:line, vendor,\n"
		"                category, reason, action per protocol)\n"
		"  clients       LAN devices that attempted listed names: counts, first and last\n"
		"                time, the last name\n"
		"  addresses     addresses learned from answers for listed names (learned: the\n"
		"                vendor's action; shared: also given for an unlisted name, alert\n"
		"                only), their lifetime, and the ECH fronts learned\n"
		"  audit         each listed name seen answered: answers, learned and shared\n"
		"                addresses, whether it publishes ECH configurations\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  control socket (default %s/embargod.sock)\n"
		"  -j, --json         JSON output for scripts\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 ok, 1 the daemon reported an error, 2 bad command line,\n"
		"3 the daemon cannot be reached.\n",
		EMBARGO_RUNSTATEDIR);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = EMBARGO_RUNSTATEDIR "/embargod.sock";
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "embargoctl: see --help\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	int cmd = ctl_cmd_from_str(argv[optind]);
	if (cmd < 0) {
		fprintf(stderr, "embargoctl: unknown command '%s' (see --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	int want = cmd == CTL_TEST ? 2 : 1;
	if (argc - optind != want) {
		fprintf(stderr, "embargoctl: %s %s\n", argv[optind],
			cmd == CTL_TEST ? "takes one name" : "takes no argument");
		return EXIT_USAGE;
	}
	char req[CTL_REQUEST_MAX + 1];
	int n = ctl_format_request(req, sizeof(req), (enum ctl_cmd)cmd, json,
				   cmd == CTL_TEST ? argv[optind + 1] : NULL);
	if (n < 0) {
		fprintf(stderr, "embargoctl: invalid argument '%s'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "embargoctl: socket path too long\n");
		return EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		fprintf(stderr, "embargoctl: cannot reach embargod at %s: %s\n", path,
			strerror(errno));
		return EXIT_CONNECT;
	}
	struct timeval tv = {REPLY_TIMEOUT_S, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "embargoctl: cannot send to embargod: %s\n", strerror(errno));
		return EXIT_CONNECT;
	}
	/* The first line says ok or error; the body follows until the daemon closes. */
	char buf[65536];
	size_t have = 0;
	bool head_done = false, ok = false;
	for (;;) {
		ssize_t got = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			if (got < 0) {
				fprintf(stderr, "embargoctl: reading the reply: %s\n",
					strerror(errno));
				return EXIT_CONNECT;
			}
			break;
		}
		have += (size_t)got;
		if (!head_done) {
			char *nl = memchr(buf, '\n', have);
			if (nl == NULL) {
				if (have == sizeof(buf)) {
					break;
				}
				continue;
			}
			head_done = true;
			*nl = '\0';
			ok = strcmp(buf, "ok") == 0;
			if (!ok) {
				fprintf(stderr, "embargoctl: %s\n", buf);
			}
			size_t rest = have - (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, rest);
			have = rest;
		}
		if (head_done) {
			fwrite(buf, 1, have, stdout);
			have = 0;
		}
	}
	close(fd);
	if (!head_done) {
		fprintf(stderr, "embargoctl: no reply from embargod\n");
		return EXIT_CONNECT;
	}
	return ok ? 0 : EXIT_DAEMON_ERROR;
}
