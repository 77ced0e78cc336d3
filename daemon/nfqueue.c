/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE over libmnl + libnetfilter_queue's nfq_nlmsg API: bind, configure, receive, and send
 * verdicts in batches. The only file that includes the netlink libraries. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqueue.h"

/* Datagrams read per receive call (recvmmsg): the kernel sends each packet in a datagram of
 * its own, so one call takes a burst of them. Each buffer holds the largest packet message
 * (a copy range of 65535 bytes and its attributes). */
#define NFQUEUE_RECV_MSGS 16
#define NFQUEUE_RECV_BUF  (65535 + 4096)
/* Verdict batch: each verdict with marks is under 64 bytes; one that carries a rewritten
 * packet takes its length more. */
#define NFQUEUE_BATCH_BUF	16384
#define NFQUEUE_VERDICT_MSG_MAX 128
#define NFQUEUE_PAYLOAD_MAX	65535
/* Configuration messages and their acknowledgements are small; one page is plenty. */
#define NFQUEUE_CONFIG_BUF 8192
/* Sends of one verdict batch before its verdicts are counted as not sent (EINTR, EAGAIN and
 * ENOBUFS are retried; any other error is final). */
#define NFQUEUE_SEND_TRIES 8

struct nfqueue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t queue;
	uint32_t seq;
	char *rbuf;
	char *batch;
	char *big; /* one verdict whose packet does not fit a batch */
	size_t batch_len;
	unsigned pending;
	unsigned unsent; /* verdicts given up on since nfqueue_take_unsent */
	void (*cb)(void *ctx, const struct nfqueue_packet *p);
	void *cb_ctx;
	int cb_count;
};

static int send_config(struct nfqueue *q, struct nlmsghdr *nlh, char *err, size_t err_size,
		       const char *what)
{
	char ack[NFQUEUE_CONFIG_BUF];

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, err_size, "queue %u: %s: %s", q->queue, what, strerror(errno));
		return -1;
	}
	/* Read the acknowledgement; packets may already be arriving, skip them. */
	for (int tries = 0; tries < 64; tries++) {
		ssize_t n = mnl_socket_recvfrom(q->nl, ack, sizeof(ack));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			snprintf(err, err_size, "queue %u: %s: %s", q->queue, what,
				 strerror(errno));
			return -1;
		}
		int rc = mnl_cb_run(ack, (size_t)n, q->seq, q->portid, NULL, NULL);
		if (rc == MNL_CB_ERROR) {
			if (errno == ESRCH || errno == EBADR) {
				continue; /* a packet message with another sequence number */
			}
			snprintf(err, err_size, "queue %u: %s: %s", q->queue, what,
				 errno == EBUSY ? "queue already bound by another process"
						: strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(err, err_size, "queue %u: %s: no acknowledgement", q->queue, what);
	return -1;
}

struct nfqueue *nfqueue_open(const struct nfqueue_config *cfg, char *err, size_t err_size)
{
	char buf[NFQUEUE_CONFIG_BUF];
	struct nfqueue *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	q->queue = cfg->queue;
	q->seq = (uint32_t)time(NULL);
	q->rbuf = malloc((size_t)NFQUEUE_RECV_MSGS * NFQUEUE_RECV_BUF);
	q->batch = malloc(NFQUEUE_BATCH_BUF);
	q->big = malloc(NFQUEUE_VERDICT_MSG_MAX + NFQUEUE_PAYLOAD_MAX + 8);
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (q->rbuf == NULL || q->batch == NULL || q->big == NULL || q->nl == NULL) {
		snprintf(err, err_size, "queue %u: netlink socket: %s", cfg->queue,
			 strerror(errno));
		nfqueue_close(q);
		return NULL;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_size, "queue %u: netlink bind: %s", cfg->queue, strerror(errno));
		nfqueue_close(q);
		return NULL;
	}
	q->portid = mnl_socket_get_portid(q->nl);

	/* A large receive buffer absorbs bursts; SO_RCVBUFFORCE passes the rmem_max cap when
	 * the process has CAP_NET_ADMIN, SO_RCVBUF is the fallback. */
	int fd = mnl_socket_get_fd(q->nl);
	int size = (int)cfg->rcvbuf_bytes;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	/* ENOBUFS reports lost messages; keep it on so losses are counted. */
	int one = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &(int){0}, sizeof(int));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));

	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, cfg->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (send_config(q, nlh, err, err_size, "bind") != 0) {
		nfqueue_close(q);
		return NULL;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, cfg->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)cfg->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->maxlen);
	/* No NFQA_CFG_F_CONNTRACK: many kernels lack the conntrack glue it needs, and the
	 * firewall rules turn the verdict's packet mark into the connection mark instead. */
	uint32_t flags = NFQA_CFG_F_GSO;
	if (cfg->fail_open) {
		flags |= NFQA_CFG_F_FAIL_OPEN;
	}
	uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	if (send_config(q, nlh, err, err_size, "configure") != 0) {
		nfqueue_close(q);
		return NULL;
	}
	return q;
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfqueue *q = data;
	struct nlattr *attr[NFQA_MAX + 1] = {NULL};
	struct nfqueue_packet p;

	if (nfq_nlmsg_parse(nlh, attr) < 0) {
		return MNL_CB_OK; /* a message that does not parse carries no id to answer */
	}
	if (attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(struct nfqnl_msg_packet_hdr)) {
		return MNL_CB_OK;
	}
	memset(&p, 0, sizeof(p));
	const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p.id = ntohl(ph->packet_id);
	p.hw_protocol = ntohs(ph->hw_protocol);
	if (attr[NFQA_PAYLOAD] != NULL) {
		p.payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	p.orig_len = p.len;
	if (attr[NFQA_CAP_LEN] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_CAP_LEN]) >= sizeof(uint32_t)) {
		p.orig_len = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	}
	if (attr[NFQA_MARK] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_MARK]) >= sizeof(uint32_t)) {
		p.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	}
	if (attr[NFQA_IFINDEX_INDEV] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_IFINDEX_INDEV]) >= sizeof(uint32_t)) {
		p.in_ifindex = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	}
	if (attr[NFQA_HWADDR] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_HWADDR]) >= sizeof(struct nfqnl_msg_packet_hw)) {
		const struct nfqnl_msg_packet_hw *hw = mnl_attr_get_payload(attr[NFQA_HWADDR]);
		uint16_t hlen = ntohs(hw->hw_addrlen);
		if (hlen > 0 && hlen <= sizeof(p.hwaddr)) {
			p.has_hwaddr = true;
			p.hwaddr_len = hlen;
			memcpy(p.hwaddr, hw->hw_addr, hlen);
		}
	}
	q->cb(q->cb_ctx, &p);
	q->cb_count++;
	return MNL_CB_OK;
}

int nfqueue_receive(struct nfqueue *q, void (*cb)(void *ctx, const struct nfqueue_packet *p),
		    void *ctx)
{
	struct mmsghdr msgs[NFQUEUE_RECV_MSGS];
	struct iovec iov[NFQUEUE_RECV_MSGS];
	for (unsigned i = 0; i < NFQUEUE_RECV_MSGS; i++) {
		iov[i].iov_base = q->rbuf + (size_t)i * NFQUEUE_RECV_BUF;
		iov[i].iov_len = NFQUEUE_RECV_BUF;
		memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int got = recvmmsg(mnl_socket_get_fd(q->nl), msgs, NFQUEUE_RECV_MSGS, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		return -errno;
	}
	q->cb = cb;
	q->cb_ctx = ctx;
	q->cb_count = 0;
	for (int i = 0; i < got; i++) {
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			continue; /* cannot happen with buffers this large; nothing to answer */
		}
		/* Packet messages carry sequence 0: no sequence check. */
		mnl_cb_run(iov[i].iov_base, msgs[i].msg_len, 0, q->portid, packet_cb, q);
	}
	return q->cb_count;
}

/* Send `len` bytes of verdicts (`count` of them). A send that fails with EINTR, EAGAIN or
 * ENOBUFS is retried, up to NFQUEUE_SEND_TRIES times; verdicts given up on are counted. */
static int send_verdicts(struct nfqueue *q, const char *buf, size_t len, unsigned count)
{
	/* The kernel handles verdicts inside the send, so a full send buffer or a failed
	 * allocation clears within a few tries; the batch stays as it is until then. */
	int err = 0;
	for (unsigned tries = 0; tries < NFQUEUE_SEND_TRIES; tries++) {
		if (mnl_socket_sendto(q->nl, buf, len) >= 0) {
			return 0;
		}
		err = errno;
		if (err != EINTR && err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
			break;
		}
		if (err != EINTR) {
			sched_yield();
		}
	}
	/* Given up: these packets stay queued in the kernel (its queue is flushed when it is
	 * unbound). Counted for the caller, so that the loss is reported. */
	q->unsent += count;
	return -err;
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, enum nfqueue_verdict v, bool set_mark,
		    uint32_t mark, const uint8_t *payload, size_t payload_len)
{
	int rc = 0;
	if (payload_len > NFQUEUE_PAYLOAD_MAX) {
		payload = NULL; /* cannot be carried: the packet goes as it came */
	}
	size_t need = NFQUEUE_VERDICT_MSG_MAX + (payload != NULL ? MNL_ALIGN(payload_len) : 0);
	bool alone = need > NFQUEUE_BATCH_BUF;
	if (!alone && NFQUEUE_BATCH_BUF - q->batch_len < need) {
		/* Sent or counted as unsent: either way the buffer has room again. */
		rc = nfqueue_flush(q);
	}
	char *at = alone ? q->big : q->batch + q->batch_len;
	struct nlmsghdr *nlh = nfq_nlmsg_put(at, NFQNL_MSG_VERDICT, q->queue);
	nlh->nlmsg_seq = ++q->seq;
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)v);
	if (set_mark) {
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	}
	if (payload != NULL) {
		/* The packet leaves with these bytes (the kernel takes their checksums as
		 * final). */
		nfq_nlmsg_verdict_put_pkt(nlh, payload, (uint32_t)payload_len);
	}
	if (alone) {
		int r = send_verdicts(q, q->big, nlh->nlmsg_len, 1);
		return rc != 0 ? rc : r;
	}
	q->batch_len += NLMSG_ALIGN(nlh->nlmsg_len);
	q->pending++;
	return rc;
}

int nfqueue_flush(struct nfqueue *q)
{
	if (q->batch_len == 0) {
		return 0;
	}
	int rc = send_verdicts(q, q->batch, q->batch_len, q->pending);
	q->batch_len = 0;
	q->pending = 0;
	return rc;
}

unsigned nfqueue_take_unsent(struct nfqueue *q)
{
	unsigned n = q->unsent;
	q->unsent = 0;
	return n;
}

unsigned nfqueue_pending(const struct nfqueue *q)
{
	return q->pending;
}

void nfqueue_close(struct nfqueue *q)
{
	if (q == NULL) {
		return;
	}
	if (q->nl != NULL) {
		nfqueue_flush(q);
		char buf[NFQUEUE_CONFIG_BUF];
		struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
		q->nl = NULL;
	}
	free(q->rbuf);
	free(q->batch);
	free(q->big);
	free(q);
}
