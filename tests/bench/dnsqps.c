/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A closed-loop DNS load client for the answers benchmark: keeps WINDOW queries outstanding on
 * each of SOCKETS UDP sockets against SERVER:53 for SECONDS, every name distinct
 * (TAG<n>.SUFFIX), or with NAMES cycling through TAG0 .. TAG<NAMES-1>, a query lost after
 * 200 ms sent again as a new one; prints the answers per second and the answers counted by
 * rcode.
 *
 *   dnsqps SERVER SECONDS TAG SUFFIX [SOCKETS [WINDOW [NAMES]]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SOCKETS_MAX 64
#define WINDOW_MAX  256
#define LOST_MS	    200

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A query for TAG<n>.SUFFIX, type A, into `q`; returns its length. */
static size_t query(uint8_t *q, uint16_t id, const char *tag, unsigned long n, const char *suffix)
{
	char name[256];
	snprintf(name, sizeof(name), "%s%lu.%s", tag, n, suffix);
	size_t len = 12;
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	for (char *s = name; *s != '\0';) {
		char *dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		q[len++] = (uint8_t)l;
		memcpy(q + len, s, l);
		len += l;
		s += l + (dot != NULL);
	}
	q[len++] = 0;
	q[len++] = 0, q[len++] = 1; /* A */
	q[len++] = 0, q[len++] = 1; /* IN */
	return len;
}

struct slot {
	uint16_t id;
	uint64_t sent_ms;
	int used;
};

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr,
			"usage: dnsqps SERVER SECONDS TAG SUFFIX [SOCKETS [WINDOW [NAMES]]]\n");
		return 2;
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "dnsqps: bad address %s\n", argv[1]);
		return 2;
	}
	double seconds = atof(argv[2]);
	const char *tag = argv[3], *suffix = argv[4];
	int nsock = argc > 5 ? atoi(argv[5]) : 8;
	int window = argc > 6 ? atoi(argv[6]) : 32;
	unsigned long names = argc > 7 ? strtoul(argv[7], NULL, 10) : 0;
	if (nsock < 1 || nsock > SOCKETS_MAX || window < 1 || window > WINDOW_MAX || seconds <= 0 ||
	    seconds > 600) {
		fprintf(stderr, "dnsqps: bad sockets, window or seconds\n");
		return 2;
	}
	static int fd[SOCKETS_MAX];
	static struct slot slots[SOCKETS_MAX][WINDOW_MAX];
	struct pollfd pfd[SOCKETS_MAX];
	for (int i = 0; i < nsock; i++) {
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd[i] == -1 || connect(fd[i], (struct sockaddr *)&to, sizeof(to)) == -1) {
			perror("dnsqps: socket");
			return 1;
		}
		pfd[i].fd = fd[i];
		pfd[i].events = POLLIN;
	}
	unsigned long n = 0, answers = 0, lost = 0, rcodes[16] = {0};
	uint16_t next_id = 1;
	uint64_t start = now_ms(), end = start + (uint64_t)(seconds * 1000);
	uint8_t q[300], a[4096];
	for (uint64_t t = start; t < end; t = now_ms()) {
		/* Fill every window: new queries, and lost ones sent again as new ones. */
		for (int s = 0; s < nsock; s++) {
			for (int w = 0; w < window; w++) {
				struct slot *sl = &slots[s][w];
				if (sl->used && t - sl->sent_ms < LOST_MS) {
					continue;
				}
				lost += sl->used;
				sl->id = next_id++;
				unsigned long k = names > 0 ? n % names : n;
				n++;
				size_t len = query(q, sl->id, tag, k, suffix);
				if (send(fd[s], q, len, 0) == (ssize_t)len) {
					sl->used = 1;
					sl->sent_ms = t;
				} else {
					sl->used = 0;
				}
			}
		}
		if (poll(pfd, (nfds_t)nsock, 10) <= 0) {
			continue;
		}
		for (int s = 0; s < nsock; s++) {
			for (int k = 0; k < 256; k++) {
				ssize_t got = recv(fd[s], a, sizeof(a), 0);
				if (got < 12) {
					break;
				}
				uint16_t id = (uint16_t)(a[0] << 8 | a[1]);
				for (int w = 0; w < window; w++) {
					if (slots[s][w].used && slots[s][w].id == id) {
						slots[s][w].used = 0;
						answers++;
						rcodes[a[3] & 0x0f]++;
						break;
					}
				}
			}
		}
	}
	double secs = (double)(now_ms() - start) / 1000.0;
	printf("{\"qps\": %.0f, \"answers\": %lu, \"lost\": %lu, \"noerror\": %lu, "
	       "\"nxdomain\": %lu, \"seconds\": %.2f}\n",
	       (double)answers / secs, answers, lost, rcodes[0], rcodes[3], secs);
	return 0;
}
