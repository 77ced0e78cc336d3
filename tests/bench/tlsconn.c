/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * New TLS connections per second for the throughput benchmark (tests/bench/run): THREADS
 * threads each open connections one after the other (TCP connect, a full TLS handshake with
 * SNI NAME and no session resumption, close) until COUNT connections in all have completed or
 * SECONDS have passed.
 *
 *   tlsconn ADDR PORT NAME COUNT SECONDS [THREADS]     (default 4 threads)
 *
 * Prints "connections N failed F seconds S per_s R p50_ms X p99_ms Y".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define THREADS_MAX 64

struct tls_run {
	SSL_CTX *ctx;
	struct sockaddr_in sa;
	const char *name;
	unsigned long count;
	double deadline;
	atomic_ulong started, done, failed;
	double *lat; /* seconds per completed connection, `count` slots */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One connection with a full handshake; 0 when the handshake completed. */
static int one_connection(struct tls_run *r)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1) {
		return -1;
	}
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int rc = -1;
	SSL *ssl = NULL;
	if (connect(fd, (const struct sockaddr *)&r->sa, sizeof(r->sa)) == 0) {
		ssl = SSL_new(r->ctx);
	}
	if (ssl != NULL && SSL_set_tlsext_host_name(ssl, r->name) == 1 &&
	    SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
		rc = 0;
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
	return rc;
}

static void *worker(void *arg)
{
	struct tls_run *r = arg;
	while (now_s() < r->deadline) {
		unsigned long i = atomic_fetch_add(&r->started, 1);
		if (i >= r->count) {
			break;
		}
		double t0 = now_s();
		if (one_connection(r) == 0) {
			unsigned long k = atomic_fetch_add(&r->done, 1);
			r->lat[k] = now_s() - t0;
		} else {
			atomic_fetch_add(&r->failed, 1);
		}
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: tlsconn ADDR PORT NAME COUNT SECONDS [THREADS]\n");
		return 2;
	}
	static struct tls_run r;
	memset(&r.sa, 0, sizeof(r.sa));
	r.sa.sin_family = AF_INET;
	r.sa.sin_port = htons((uint16_t)strtoul(argv[2], NULL, 10));
	r.name = argv[3];
	r.count = strtoul(argv[4], NULL, 10);
	double seconds = strtod(argv[5], NULL);
	unsigned nthreads = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 4;
	if (inet_pton(AF_INET, argv[1], &r.sa.sin_addr) != 1 || r.count == 0 || seconds <= 0 ||
	    nthreads == 0 || nthreads > THREADS_MAX) {
		fprintf(stderr, "tlsconn: bad arguments\n");
		return 2;
	}
	r.ctx = SSL_CTX_new(TLS_client_method());
	r.lat = calloc(r.count, sizeof(double));
	if (r.ctx == NULL || r.lat == NULL) {
		fprintf(stderr, "tlsconn: out of memory\n");
		return 1;
	}
	SSL_CTX_set_verify(r.ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(r.ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(r.ctx, SSL_OP_NO_TICKET);
	pthread_t th[THREADS_MAX];
	const double t0 = now_s();
	r.deadline = t0 + seconds;
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&th[i], NULL, worker, &r) != 0) {
			fprintf(stderr, "tlsconn: cannot start a thread\n");
			return 1;
		}
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
	}
	const double elapsed = now_s() - t0;
	const unsigned long done = atomic_load(&r.done);
	qsort(r.lat, done, sizeof(double), cmp_double);
	printf("connections %lu failed %lu seconds %.3f per_s %.1f p50_ms %.2f p99_ms %.2f\n", done,
	       atomic_load(&r.failed), elapsed, (double)done / elapsed,
	       done > 0 ? r.lat[done / 2] * 1e3 : 0.0,
	       done > 0 ? r.lat[(size_t)((double)(done - 1) * 0.99)] * 1e3 : 0.0);
	SSL_CTX_free(r.ctx);
	free(r.lat);
	return 0;
}
