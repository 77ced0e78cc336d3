/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark of the per-packet pipeline: ns per packet for each kind of name-carrying packet,
 * against the cost of parsing the IP/TCP/UDP headers alone, measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embargo/inspect.h"
#include "embargo/packet.h"
#include "hellobuild.h"
#include "pktbuild.h"

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct sample {
	const char *what;
	uint8_t pkt[4096];
	size_t len;
};

/* Best of ROUNDS runs of `iters` inspections of a fresh flow each (the source port changes so
 * every packet starts a new flow, as a gateway sees them). */
static double time_inspect(struct inspector *in, struct sample *s, unsigned iters)
{
	static struct inspect_result res;
	double best = 1e18;
	uint64_t now = 1;
	for (unsigned r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			/* TCP/UDP source port sits at the same offset for IPv4 without options. */
			s->pkt[20] = (uint8_t)(i >> 8);
			s->pkt[21] = (uint8_t)i;
			inspect_packet(in, s->pkt, s->len, NULL, now++, &res);
			if (res.state == INSPECT_NAMED || res.state == INSPECT_NAMELESS) {
				inspect_decide(in, &res, INSPECT_VERDICT_ALLOW);
			}
		}
		double dt = (now_ns() - t0) / iters;
		if (dt < best) {
			best = dt;
		}
		if (r == 0 && res.state != INSPECT_NAMED) {
			fprintf(stderr, "%s: expected a name, got %s\n", s->what,
				inspect_state_str(res.state));
			exit(1);
		}
	}
	return best;
}

static double time_headers(struct sample *s, unsigned iters)
{
	struct pkt p;
	volatile size_t sink = 0;
	double best = 1e18;
	for (unsigned r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			s->pkt[21] = (uint8_t)i;
			pkt_parse(s->pkt, s->len, false, &p);
			sink += p.payload_len;
		}
		double dt = (now_ns() - t0) / iters;
		if (dt < best) {
			best = dt;
		}
	}
	(void)sink;
	return best;
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 200000;
	struct inspect_limits lim;
	inspect_limits_default(&lim);
	struct inspector *in = inspector_new(&lim);
	static struct sample s[3];
	uint8_t payload[2048];
	size_t n;

	s[0].what = "dns query (udp)";
	n = hb_dns_query("dnl-01.geo.kaspersky.com", 1, 7, payload, sizeof(payload));
	struct pb_opts o = pb_default(17, 53);
	s[0].len = pb_build(&o, payload, n, s[0].pkt, sizeof(s[0].pkt));

	s[1].what = "tls client hello (1 segment)";
	n = hb_client_hello("dnl-01.geo.kaspersky.com", 400, payload, sizeof(payload));
	o = pb_default(6, 443);
	s[1].len = pb_build(&o, payload, n, s[1].pkt, sizeof(s[1].pkt));

	s[2].what = "http request";
	const char *req = "GET /index.xml HTTP/1.1\r\nHost: dnl-01.geo.kaspersky.com\r\n"
			  "User-Agent: bench\r\nAccept: */*\r\n\r\n";
	o = pb_default(6, 80);
	s[2].len = pb_build(&o, (const uint8_t *)req, strlen(req), s[2].pkt, sizeof(s[2].pkt));

	printf("%-32s %12s %14s %8s\n", "packet", "inspect ns", "headers ns", "ratio");
	for (unsigned i = 0; i < 3; i++) {
		double ti = time_inspect(in, &s[i], iters);
		double th = time_headers(&s[i], iters);
		printf("%-32s %12.1f %14.1f %8.1f\n", s[i].what, ti, th, ti / th);
	}
	printf("(best of %u runs of %u packets each; ratio = full inspection / header parse)\n",
	       ROUNDS, iters);
	inspector_free(in);
	return 0;
}
