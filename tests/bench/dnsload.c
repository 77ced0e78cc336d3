/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS load for the throughput benchmark (tests/bench/run), bounded in count and in time:
 *
 *   dnsload flood ADDR COUNT SECONDS [SOCKETS]
 *       COUNT A queries for names no list holds, as fast as the sockets take them (sendmmsg,
 *       SOCKETS source ports in turn, default 8), for SECONDS at most. Answers are not read.
 *       Prints "sent N seconds S".
 *   dnsload rate ADDR COUNT QPS
 *       COUNT queries at QPS a second from one socket, each answer matched to its query by
 *       id; waits one second for the last answers. Prints "sent N answered M p50_us X p99_us Y
 *       max_us Z", the latency from sending a query to reading its answer.
 *
 * ADDR is an IPv4 address; the port is 53.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DNS_PORT	  53
#define FLOOD_BATCH	  32
#define FLOOD_SOCKETS_MAX 64
#define QUERY_MAX	  128
/* Distinct names the queries cycle through. */
#define NAMES 1000
/* Queries in flight the rate mode can match answers to (ids are 16-bit). */
#define RATE_COUNT_MAX 65536u
#define RATE_QPS_MAX   1000000u

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A query for "bench<k>.allowed.example" (k = seq % NAMES), type A, class IN, id `id`. */
static size_t query_build(uint8_t *out, uint16_t id, unsigned seq)
{
	static const uint8_t hdr_flags[] = {0x01, 0x00, 0x00, 0x01, 0x00,
					    0x00, 0x00, 0x00, 0x00, 0x00}; /* RD, 1 question */
	char label[16];
	size_t w = 0;
	out[w++] = (uint8_t)(id >> 8);
	out[w++] = (uint8_t)id;
	memcpy(out + w, hdr_flags, sizeof(hdr_flags));
	w += sizeof(hdr_flags);
	int n = snprintf(label, sizeof(label), "bench%u", seq % NAMES);
	out[w++] = (uint8_t)n;
	memcpy(out + w, label, (size_t)n);
	w += (size_t)n;
	static const uint8_t rest[] = {7,   'a', 'l', 'l', 'o', 'w', 'e', 'd', 7, 'e', 'x',
				       'a', 'm', 'p', 'l', 'e', 0,   0,	  1,   0, 1};
	memcpy(out + w, rest, sizeof(rest));
	return w + sizeof(rest);
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(DNS_PORT);
	return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
}

static int open_connected(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1) {
		perror("dnsload: socket");
		exit(1);
	}
	return fd;
}

static int flood(const struct sockaddr_in *sa, unsigned long count, double seconds, unsigned nsock)
{
	int fds[FLOOD_SOCKETS_MAX];
	for (unsigned i = 0; i < nsock; i++) {
		fds[i] = open_connected(sa);
	}
	uint8_t bufs[FLOOD_BATCH][QUERY_MAX];
	struct iovec iov[FLOOD_BATCH];
	struct mmsghdr msgs[FLOOD_BATCH];
	unsigned long sent = 0;
	unsigned turn = 0;
	const double t0 = now_s();
	double t = t0;
	while (sent < count && t - t0 < seconds) {
		unsigned n = count - sent < FLOOD_BATCH ? (unsigned)(count - sent) : FLOOD_BATCH;
		for (unsigned i = 0; i < n; i++) {
			size_t len =
				query_build(bufs[i], (uint16_t)(sent + i), (unsigned)(sent + i));
			iov[i] = (struct iovec){bufs[i], len};
			msgs[i] =
				(struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		int r = sendmmsg(fds[turn], msgs, n, 0);
		if (r > 0) {
			sent += (unsigned long)r;
		} else if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EPERM &&
			   errno != ECONNREFUSED) {
			perror("dnsload: sendmmsg");
			return 1;
		}
		turn = (turn + 1) % nsock;
		if ((sent & 1023) < FLOOD_BATCH) {
			t = now_s();
		}
	}
	printf("sent %lu seconds %.3f\n", sent, now_s() - t0);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

/* Read every answer waiting on `fd`, recording its latency. */
static void rate_read(int fd, double *sent_at, double *lat, unsigned *answered)
{
	uint8_t buf[1500];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 12) {
			return;
		}
		unsigned id = (unsigned)buf[0] << 8 | buf[1];
		if (sent_at[id] > 0) {
			lat[(*answered)++] = now_s() - sent_at[id];
			/* An id is answered once (a late duplicate is not counted again). */
			sent_at[id] = 0;
		}
	}
}

static int rate(const struct sockaddr_in *sa, unsigned count, unsigned qps)
{
	int fd = open_connected(sa);
	double *sent_at = calloc(RATE_COUNT_MAX, sizeof(double));
	double *lat = calloc(count, sizeof(double));
	if (sent_at == NULL || lat == NULL) {
		fprintf(stderr, "dnsload: out of memory\n");
		return 1;
	}
	unsigned answered = 0;
	const double t0 = now_s(), step = 1.0 / qps;
	uint8_t q[QUERY_MAX];
	for (unsigned i = 0; i < count; i++) {
		const double due = t0 + i * step;
		for (;;) {
			double wait = due - now_s();
			if (wait <= 0) {
				break;
			}
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			if (poll(&pfd, 1, (int)(wait * 1000)) > 0) {
				rate_read(fd, sent_at, lat, &answered);
			}
		}
		size_t len = query_build(q, (uint16_t)i, i);
		sent_at[i] = now_s();
		if (send(fd, q, len, 0) == -1) {
			sent_at[i] = 0;
		}
		rate_read(fd, sent_at, lat, &answered);
	}
	const double end = now_s() + 1.0;
	while (answered < count && now_s() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) > 0) {
			rate_read(fd, sent_at, lat, &answered);
		}
	}
	qsort(lat, answered, sizeof(double), cmp_double);
	double p50 = answered > 0 ? lat[answered / 2] : 0;
	double p99 = answered > 0 ? lat[(size_t)((answered - 1) * 0.99)] : 0;
	double max = answered > 0 ? lat[answered - 1] : 0;
	printf("sent %u answered %u p50_us %.0f p99_us %.0f max_us %.0f\n", count, answered,
	       p50 * 1e6, p99 * 1e6, max * 1e6);
	free(sent_at);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	if (argc >= 5 && strcmp(argv[1], "flood") == 0 && parse_addr(argv[2], &sa) == 0) {
		unsigned long count = strtoul(argv[3], NULL, 10);
		double seconds = strtod(argv[4], NULL);
		unsigned nsock = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 8;
		if (count > 0 && seconds > 0 && nsock > 0 && nsock <= FLOOD_SOCKETS_MAX) {
			return flood(&sa, count, seconds, nsock);
		}
	}
	if (argc == 5 && strcmp(argv[1], "rate") == 0 && parse_addr(argv[2], &sa) == 0) {
		unsigned long count = strtoul(argv[3], NULL, 10);
		unsigned long qps = strtoul(argv[4], NULL, 10);
		if (count > 0 && count <= RATE_COUNT_MAX && qps > 0 && qps <= RATE_QPS_MAX) {
			return rate(&sa, (unsigned)count, (unsigned)qps);
		}
	}
	fprintf(stderr, "usage: dnsload flood ADDR COUNT SECONDS [SOCKETS]\n"
			"       dnsload rate ADDR COUNT QPS   (COUNT <= 65536)\n");
	return 2;
}
