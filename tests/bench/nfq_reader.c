/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The baseline of the throughput benchmark (tests/bench/run): the least a program can do with
 * an NFQUEUE and still answer every packet. One thread per queue binds it with the settings
 * embargod uses (copy range, queue length, GSO, fail-open or fail-closed, receive buffer),
 * reads many packet messages per system call (recvmmsg) and answers each read with one
 * NFQNL_MSG_VERDICT_BATCH message: accept, with the "allowed" mark, every packet up to the
 * highest id seen. It looks at nothing but the packet id.
 *
 *   nfq_reader [-q N|A-B] [--copy-range B] [--queue-maxlen N] [--fail-closed]
 *              [--rcvbuf BYTES] [--mark MARK|none]
 *
 * Prints "ready" once every queue is bound; on SIGTERM or SIGINT prints the packets and the
 * receive calls per queue and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

/* Datagrams one recvmmsg call may return. */
#define READER_VLEN 64
/* Room for one packet message: the copy range (at most 65535) plus the attributes. */
#define READER_MSG_OVERHEAD 512
#define READER_QUEUES_MAX   64
#define READER_CONFIG_BUF   8192

struct reader_opts {
	unsigned first, last;
	uint32_t copy_range, maxlen, rcvbuf;
	bool fail_open;
	bool set_mark;
	uint32_t mark;
};

struct reader_queue {
	const struct reader_opts *o;
	unsigned num;
	struct mnl_socket *nl;
	uint32_t portid;
	uint64_t packets, reads, batches, errors;
	pthread_t thread;
};

static volatile sig_atomic_t reader_stop;

static void on_signal(int sig)
{
	(void)sig;
	reader_stop = 1;
}

/* Send one configuration message and wait for its acknowledgement. */
static int config_send(struct reader_queue *q, struct nlmsghdr *nlh, uint32_t seq)
{
	char ack[READER_CONFIG_BUF];
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		return -1;
	}
	ssize_t n = mnl_socket_recvfrom(q->nl, ack, sizeof(ack));
	if (n < 0) {
		return -1;
	}
	return mnl_cb_run(ack, (size_t)n, seq, q->portid, NULL, NULL) == MNL_CB_ERROR ? -1 : 0;
}

static int queue_open(struct reader_queue *q)
{
	char buf[READER_CONFIG_BUF];
	const struct reader_opts *o = q->o;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (q->nl == NULL || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		return -1;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	int fd = mnl_socket_get_fd(q->nl);
	int size = (int)o->rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, (int)q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (config_send(q, nlh, 1) != 0) {
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, (int)q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)o->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, o->maxlen);
	uint32_t flags = NFQA_CFG_F_GSO | (o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	return config_send(q, nlh, 2);
}

/* The packet id of one message, or -1 for a message that is not a queued packet. */
static int64_t message_id(const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = {NULL};
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET || nfq_nlmsg_parse(nlh, attr) < 0 ||
	    attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(struct nfqnl_msg_packet_hdr)) {
		return -1;
	}
	const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	return ntohl(ph->packet_id);
}

/* Accept every packet up to `id` in one message. */
static int verdict_batch(struct reader_queue *q, uint32_t id)
{
	char buf[256];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, (int)q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (q->o->set_mark) {
		nfq_nlmsg_verdict_put_mark(nlh, q->o->mark);
	}
	q->batches++;
	return mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

static void *queue_run(void *arg)
{
	struct reader_queue *q = arg;
	const size_t msg_size = q->o->copy_range + READER_MSG_OVERHEAD;
	char *bufs = malloc(msg_size * READER_VLEN);
	struct mmsghdr msgs[READER_VLEN];
	struct iovec iov[READER_VLEN];
	if (bufs == NULL) {
		q->errors++;
		return NULL;
	}
	for (unsigned i = 0; i < READER_VLEN; i++) {
		iov[i] = (struct iovec){bufs + i * msg_size, msg_size};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	struct pollfd pfd = {.fd = mnl_socket_get_fd(q->nl), .events = POLLIN};
	while (!reader_stop) {
		/* Wake up now and then to see the stop flag. */
		if (poll(&pfd, 1, 200) <= 0) {
			continue;
		}
		int n = recvmmsg(pfd.fd, msgs, READER_VLEN, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				q->errors++; /* ENOBUFS: the socket buffer overflowed */
			}
			continue;
		}
		q->reads++;
		int64_t max_id = -1;
		for (int i = 0; i < n; i++) {
			int len = (int)msgs[i].msg_len;
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)iov[i].iov_base;
			for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
				int64_t id = message_id(nlh);
				if (id >= 0) {
					q->packets++;
					max_id = id > max_id ? id : max_id;
				}
			}
		}
		if (max_id >= 0 && verdict_batch(q, (uint32_t)max_id) != 0) {
			q->errors++;
		}
	}
	free(bufs);
	return NULL;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX) {
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_queues(const char *s, struct reader_opts *o)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end == s) {
		return -1;
	}
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (end == t) {
			return -1;
		}
	}
	if (*end != '\0' || b < a || b > 65535 || b - a >= READER_QUEUES_MAX) {
		return -1;
	}
	o->first = (unsigned)a;
	o->last = (unsigned)b;
	return 0;
}

static int parse_args(int argc, char **argv, struct reader_opts *o)
{
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{"copy-range", required_argument, NULL, 'c'},
		{"queue-maxlen", required_argument, NULL, 'l'},
		{"rcvbuf", required_argument, NULL, 'r'},
		{"fail-closed", no_argument, NULL, 'F'},
		{"mark", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "q:", longopts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 'q':
			rc = parse_queues(optarg, o);
			break;
		case 'c':
			rc = parse_u32(optarg, &o->copy_range) != 0 || o->copy_range < 128 ||
					     o->copy_range > 65535
				     ? -1
				     : 0;
			break;
		case 'l':
			rc = parse_u32(optarg, &o->maxlen);
			break;
		case 'r':
			rc = parse_u32(optarg, &o->rcvbuf);
			break;
		case 'F':
			o->fail_open = false;
			break;
		case 'm':
			o->set_mark = strcmp(optarg, "none") != 0;
			rc = o->set_mark ? parse_u32(optarg, &o->mark) : 0;
			break;
		default:
			rc = -1;
		}
		if (rc != 0) {
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	/* The settings embargod uses by default (daemon/main.c, daemon/daemon.c). */
	struct reader_opts o = {
		.copy_range = 4096,
		.maxlen = 4096,
		.rcvbuf = 8u << 20,
		.fail_open = true,
		.set_mark = true,
		.mark = 0x1000000,
	};
	if (parse_args(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: nfq_reader [-q N|A-B] [--copy-range B] [--queue-maxlen N] "
				"[--fail-closed] [--rcvbuf BYTES] [--mark MARK|none]\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	const unsigned nq = o.last - o.first + 1;
	static struct reader_queue queues[READER_QUEUES_MAX];
	for (unsigned i = 0; i < nq; i++) {
		queues[i] = (struct reader_queue){.o = &o, .num = o.first + i};
		if (queue_open(&queues[i]) != 0) {
			fprintf(stderr, "nfq_reader: queue %u: %s\n", queues[i].num,
				strerror(errno));
			return 1;
		}
	}
	for (unsigned i = 0; i < nq; i++) {
		if (pthread_create(&queues[i].thread, NULL, queue_run, &queues[i]) != 0) {
			fprintf(stderr, "nfq_reader: cannot start a thread\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (unsigned i = 0; i < nq; i++) {
		pthread_join(queues[i].thread, NULL);
		const struct reader_queue *q = &queues[i];
		printf("queue %u: packets=%" PRIu64 " reads=%" PRIu64 " verdict_batches=%" PRIu64
		       " errors=%" PRIu64 "\n",
		       q->num, q->packets, q->reads, q->batches, q->errors);
		mnl_socket_close(q->nl);
	}
	return 0;
}
