/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sendfail: an LD_PRELOAD library for the data path test that makes NFQUEUE verdict sends fail
 * with ENOBUFS, as a kernel short of memory would, to check that the daemon retries them and
 * counts what it could not send.
 *
 *   EMBARGO_SENDFAIL=EVERY:TRIES  every EVERY-th verdict batch fails its first TRIES sends
 *                                 (TRIES 0: every send of that batch fails)
 *
 * A batch is told apart from a retry of the same batch by the sequence number of its first
 * message (each verdict message has its own). Only sends on netlink sockets whose first message
 * is an NFQUEUE verdict (one packet's or a batch's) are touched; everything else passes through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t);
static sendto_fn real_sendto;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned every, tries; /* from EMBARGO_SENDFAIL; every == 0: off */
static uint64_t batches;      /* verdict batches seen */
static uint32_t failing_seq;  /* first sequence number of the batch being failed */
static unsigned failed;	      /* sends of that batch failed so far */
static bool failing;	      /* failing_seq is valid */
static uint64_t failed_sends, failed_batches;

static void configure(void)
{
	const char *s = getenv("EMBARGO_SENDFAIL");
	if (s != NULL && sscanf(s, "%u:%u", &every, &tries) != 2) {
		every = 0;
	}
	void *sym = dlsym(RTLD_NEXT, "sendto");
	memcpy(&real_sendto, &sym, sizeof(real_sendto));
}

/* True when this send of a verdict batch starting with sequence `seq` is to fail. */
static bool should_fail(uint32_t seq)
{
	bool fail = false;
	pthread_mutex_lock(&lock);
	if (every > 0) {
		if (failing && seq == failing_seq) {
			fail = tries == 0 || failed < tries;
		} else {
			failing = ++batches % every == 0;
			failing_seq = seq;
			failed = 0;
			fail = failing;
		}
		failed += fail;
		failed_sends += fail;
		failed_batches += fail && failed == 1;
	}
	pthread_mutex_unlock(&lock);
	return fail;
}

/* What was done, on stderr at exit (the daemon's log in the test). */
__attribute__((destructor)) static void report(void)
{
	if (every > 0) {
		fprintf(stderr, "sendfail: %llu verdict batches, %llu failed, %llu sends failed\n",
			(unsigned long long)batches, (unsigned long long)failed_batches,
			(unsigned long long)failed_sends);
	}
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG to,
	       socklen_t tolen)
{
	pthread_once(&once, configure);
	int domain = 0;
	socklen_t dlen = sizeof(domain);
	const struct nlmsghdr *nlh = buf;
	if (len >= sizeof(*nlh) && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
	    domain == AF_NETLINK &&
	    (nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT) ||
	     nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH)) &&
	    should_fail(nlh->nlmsg_seq)) {
		errno = ENOBUFS;
		return -1;
	}
	return real_sendto(fd, buf, len, flags, to, tolen);
}
