/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE over libmnl + libnetfilter_queue's nfq_nlmsg API: bind, configure, receive, and send
 * verdicts in batches. The only file that includes libnetfilter_queue; with kcounters.c (the
 * kernel's counters), the only ones that speak netlink. */
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

/* Room for the attributes of a packet message besides the copy: header, ids, interfaces, mark,
 * hardware address, time stamp, cap length, skb info, L2 header (a few hundred bytes). */
#define NFQUEUE_MSG_OVERHEAD 1024
/* Bytes of receive slots per queue at most: with the largest copy range (a whole GSO packet per
 * slot) a receive still reads 64 packets. Untouched pages take no memory: a slot's pages are
 * touched as packets that large arrive. */
#define NFQUEUE_RECV_BYTES_MAX (NFQUEUE_RECV_SLOTS * (65536u + NFQUEUE_MSG_OVERHEAD))
#define NFQUEUE_RECV_SLOTS_MIN 8
/* Verdict batch: each verdict message with a mark is under 64 bytes; one that carries a
 * rewritten packet takes its length more. */
#define NFQUEUE_BATCH_BUF	16384
#define NFQUEUE_VERDICT_MSG_MAX 128
#define NFQUEUE_PAYLOAD_MAX	65535
/* Packets one run of equal verdicts holds before it is written as a message. */
#define NFQUEUE_RUN_MAX 256
/* Configuration messages and their acknowledgements are small; one page is plenty. */
#define NFQUEUE_CONFIG_BUF 8192
/* Sends of one verdict batch before its verdicts are counted as not sent (EINTR, EAGAIN and
 * ENOBUFS are retried; any other error is final). */
#define NFQUEUE_SEND_TRIES 8

/* Consecutive packets with the same verdict and mark, not yet written into the batch. */
struct verdict_run {
	unsigned count;
	enum nfqueue_verdict verdict;
	bool set_mark;
	uint32_t mark;
	uint32_t ids[NFQUEUE_RUN_MAX];
};

struct nfqueue {
	struct mnl_socket *nl;
	int fd;
	uint32_t portid;
	uint16_t queue;
	uint32_t seq;
	/* Receive: one datagram per slot. */
	char *rbuf;
	size_t slot_bytes;
	unsigned nslots;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_nl *from;
	/* Verdicts: messages written into `batch`, then the open run. */
	char *batch;
	char *big; /* one verdict whose rewritten packet does not fit a batch */
	size_t batch_len;
	unsigned batch_packets; /* packets the messages in `batch` answer */
	struct verdict_run run;
	bool batch_ok;	  /* false once packets were given up on (see nfqueue_flush) */
	unsigned unsent;  /* verdicts given up on since nfqueue_take_unsent */
	uint32_t last_id; /* the highest packet id received, 0 before the first */
	struct nfqueue_counts counts;
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
	q->batch_ok = true;
	q->slot_bytes = NLMSG_ALIGN(cfg->copy_range + NFQUEUE_MSG_OVERHEAD);
	q->nslots = (unsigned)(NFQUEUE_RECV_BYTES_MAX / q->slot_bytes);
	q->nslots = q->nslots < NFQUEUE_RECV_SLOTS_MIN ? NFQUEUE_RECV_SLOTS_MIN
		    : q->nslots > NFQUEUE_RECV_SLOTS   ? NFQUEUE_RECV_SLOTS
						       : q->nslots;
	q->rbuf = malloc(q->nslots * q->slot_bytes);
	q->msgs = calloc(q->nslots, sizeof(*q->msgs));
	q->iov = calloc(q->nslots, sizeof(*q->iov));
	q->from = calloc(q->nslots, sizeof(*q->from));
	q->batch = malloc(NFQUEUE_BATCH_BUF);
	q->big = malloc(NFQUEUE_VERDICT_MSG_MAX + NFQUEUE_PAYLOAD_MAX + 8);
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (q->rbuf == NULL || q->msgs == NULL || q->iov == NULL || q->from == NULL ||
	    q->batch == NULL || q->big == NULL || q->nl == NULL) {
		snprintf(err, err_size, "queue %u: netlink socket: %s", cfg->queue,
			 strerror(errno));
		nfqueue_close(q);
		return NULL;
	}
	for (unsigned i = 0; i < q->nslots; i++) {
		q->iov[i].iov_base = q->rbuf + i * q->slot_bytes;
		q->iov[i].iov_len = q->slot_bytes;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_size, "queue %u: netlink bind: %s", cfg->queue, strerror(errno));
		nfqueue_close(q);
		return NULL;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	q->fd = mnl_socket_get_fd(q->nl);

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
	return q->fd;
}

/* An attribute's type and value, read in place (these run for every attribute of every packet;
 * the lengths are checked by the caller as mnl_attr_ok checks them). */
static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

/* A 32-bit value in network byte order. */
static uint32_t attr_u32(const struct nlattr *a)
{
	uint32_t v;
	memcpy(&v, attr_data(a), sizeof(v));
	return ntohl(v);
}

/*
 * One packet message of `len` bytes (`len` may be less than the message says when its datagram
 * was cut: the attributes that fit are read, and a payload cut short is handed on as a cut copy,
 * never as if it were whole). Attributes are checked as libmnl checks them: header in the
 * remaining bytes, declared length at least the header and at most what remains; unknown types
 * are skipped. Returns true when it was a packet message with an id (and `cb` was called).
 */
static bool packet_message(struct nfqueue *q, const struct nlmsghdr *nlh, size_t len)
{
	struct nfqueue_packet p;
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	size_t off = MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg));

	if (len < off || NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET) {
		return false;
	}
	p.payload = NULL;
	p.len = p.orig_len = 0;
	p.mark = 0;
	p.in_ifindex = 0;
	p.has_hwaddr = false;
	p.hwaddr_len = 0;
	uint32_t cap_len = 0;
	while (len - off >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)((const char *)nlh + off);
		size_t alen = a->nla_len, room = len - off;
		if (alen < sizeof(struct nlattr)) {
			break;
		}
		uint16_t type = attr_type(a);
		if (alen > room) {
			if (type == NFQA_PAYLOAD) {
				/* A cut datagram: what arrived of the copy, marked as cut. */
				p.payload = attr_data(a);
				p.len = room - sizeof(struct nlattr);
				p.orig_len = alen - sizeof(struct nlattr);
			}
			break;
		}
		size_t plen = alen - sizeof(struct nlattr);
		switch (type) {
		case NFQA_PACKET_HDR:
			if (plen >= sizeof(*ph)) {
				ph = attr_data(a);
			}
			break;
		case NFQA_PAYLOAD:
			p.payload = attr_data(a);
			p.len = p.orig_len = plen;
			break;
		case NFQA_CAP_LEN:
			cap_len = plen >= sizeof(uint32_t) ? attr_u32(a) : 0;
			break;
		case NFQA_MARK:
			p.mark = plen >= sizeof(uint32_t) ? attr_u32(a) : 0;
			break;
		case NFQA_IFINDEX_INDEV:
			p.in_ifindex = plen >= sizeof(uint32_t) ? attr_u32(a) : 0;
			break;
		case NFQA_HWADDR:
			if (plen >= sizeof(struct nfqnl_msg_packet_hw)) {
				const struct nfqnl_msg_packet_hw *hw = attr_data(a);
				uint16_t hlen = ntohs(hw->hw_addrlen);
				if (hlen > 0 && hlen <= sizeof(p.hwaddr)) {
					p.has_hwaddr = true;
					p.hwaddr_len = hlen;
					memcpy(p.hwaddr, hw->hw_addr, hlen);
				}
			}
			break;
		default:
			break;
		}
		off += MNL_ALIGN(alen);
		if (off > len) {
			break;
		}
	}
	if (ph == NULL) {
		return false; /* no id to answer */
	}
	p.id = ntohl(ph->packet_id);
	p.hw_protocol = ntohs(ph->hw_protocol);
	if (cap_len > p.orig_len) {
		p.orig_len = cap_len;
	}
	/* Ids count up by one per packet the kernel numbered for this queue. */
	uint32_t gap = p.id - q->last_id - 1;
	if (gap < (1u << 31)) {
		q->counts.skipped += gap;
		q->last_id = p.id;
	}
	q->counts.packets++;
	q->cb(q->cb_ctx, &p);
	q->cb_count++;
	return true;
}

/* A whole message header fits in `left` bytes and the message's length lies between the header
 * and `left` (mnl_nlmsg_ok's check). */
static inline bool msg_fits(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= left;
}

/* Every message of one datagram of `len` bytes (`cut`: the datagram was longer than its slot). */
static void datagram(struct nfqueue *q, const char *buf, size_t len, bool cut)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	if (cut) {
		/* Only the first message can be cut: the kernel sends one packet per datagram. */
		if (len >= sizeof(*nlh) && nlh->nlmsg_len > len && nlh->nlmsg_pid == 0) {
			q->counts.cut++;
			packet_message(q, nlh, len);
		}
		return;
	}
	for (size_t left = len; msg_fits(nlh, left);) {
		/* A packet message carries port 0 or ours (mnl_nlmsg_portid_ok). */
		if (nlh->nlmsg_pid == 0 || nlh->nlmsg_pid == q->portid) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				/* The kernel refused a verdict (an unknown id, a missing
				 * capability). */
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e) && e->error != 0) {
					q->counts.refused++;
				}
			} else {
				packet_message(q, nlh, nlh->nlmsg_len);
			}
		}
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= left) {
			break;
		}
		left -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
}

int nfqueue_receive(struct nfqueue *q, void (*cb)(void *ctx, const struct nfqueue_packet *p),
		    void *ctx, bool *more)
{
	if (more != NULL) {
		*more = false;
	}
	for (unsigned i = 0; i < q->nslots; i++) {
		q->msgs[i].msg_hdr.msg_name = &q->from[i];
		q->msgs[i].msg_hdr.msg_namelen = sizeof(q->from[i]);
		q->msgs[i].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(q->fd, q->msgs, q->nslots, MSG_DONTWAIT, NULL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		return -errno;
	}
	q->cb = cb;
	q->cb_ctx = ctx;
	q->cb_count = 0;
	for (int i = 0; i < n; i++) {
		const struct msghdr *h = &q->msgs[i].msg_hdr;
		/* Only the kernel (port 0) hands out packets. */
		if (h->msg_namelen == sizeof(struct sockaddr_nl) && q->from[i].nl_pid == 0) {
			datagram(q, h->msg_iov->iov_base, q->msgs[i].msg_len,
				 (h->msg_flags & MSG_TRUNC) != 0);
		}
	}
	if (more != NULL) {
		*more = (unsigned)n == q->nslots;
	}
	return q->cb_count;
}

/* Write one verdict message for `id` (a batch: for every packet up to `id`) into the batch. The
 * caller made room. */
static struct nlmsghdr *write_verdict(struct nfqueue *q, char *at, int type, uint32_t id,
				      enum nfqueue_verdict v, bool set_mark, uint32_t mark)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(at, type, q->queue);
	nlh->nlmsg_seq = ++q->seq;
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)v);
	if (set_mark) {
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	}
	q->counts.messages++;
	return nlh;
}

static void put_verdict(struct nfqueue *q, int type, uint32_t id, enum nfqueue_verdict v,
			bool set_mark, uint32_t mark)
{
	struct nlmsghdr *nlh =
		write_verdict(q, q->batch + q->batch_len, type, id, v, set_mark, mark);
	q->batch_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Send `len` bytes of messages from `buf`, retried as nfqueue_flush says; returns 0 or -errno
 * of the last try. */
static int send_retried(struct nfqueue *q, const char *buf, size_t len)
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
	return -err;
}

/* Send the messages in the batch, retried as nfqueue_flush says. */
static int send_batch(struct nfqueue *q)
{
	if (q->batch_len == 0) {
		return 0;
	}
	int rc = send_retried(q, q->batch, q->batch_len);
	if (rc == 0) {
		q->batch_len = 0;
		q->batch_packets = 0;
		return 0;
	}
	/* Given up: these packets stay queued in the kernel (its queue is flushed when it is
	 * unbound). Counted for the caller, so that the loss is reported; and since a batch
	 * message would now answer them too, every later packet gets a message of its own. */
	q->unsent += q->batch_packets;
	q->batch_len = 0;
	q->batch_packets = 0;
	q->batch_ok = false;
	return rc;
}

/* Write the open run into the batch: one batch message for a run of several packets, a verdict
 * of its own for a single one (or for each, once batches are off). Sends the batch first when
 * it has no room; returns 0 or that send's -errno. */
static int close_run(struct nfqueue *q)
{
	struct verdict_run *r = &q->run;
	int rc = 0;
	if (r->count == 0) {
		return 0;
	}
	unsigned msgs = r->count > 1 && q->batch_ok ? 1 : r->count;
	for (unsigned i = 0; i < msgs; i++) {
		if (NFQUEUE_BATCH_BUF - q->batch_len < NFQUEUE_VERDICT_MSG_MAX) {
			int e = send_batch(q);
			rc = rc != 0 ? rc : e;
			if (!q->batch_ok && msgs == 1 && r->count > 1) {
				msgs = r->count; /* that send gave up: no batch message any more */
			}
		}
		/* Each message counts the packets it answers as it is written: a send the next
		 * message forces answers (or gives up on) exactly those. */
		if (msgs == 1 && r->count > 1) {
			put_verdict(q, NFQNL_MSG_VERDICT_BATCH, r->ids[r->count - 1], r->verdict,
				    r->set_mark, r->mark);
			q->counts.batches++;
			q->batch_packets += r->count;
		} else {
			put_verdict(q, NFQNL_MSG_VERDICT, r->ids[i], r->verdict, r->set_mark,
				    r->mark);
			q->batch_packets++;
		}
	}
	r->count = 0;
	return rc;
}

/* A verdict whose packet leaves with other bytes: a message of its own, after every verdict
 * before it (a later batch message must not reach the kernel first: it would answer this
 * packet too). */
static int payload_verdict(struct nfqueue *q, uint32_t id, enum nfqueue_verdict v, bool set_mark,
			   uint32_t mark, const uint8_t *payload, size_t payload_len)
{
	int rc = close_run(q);
	size_t need = NFQUEUE_VERDICT_MSG_MAX + MNL_ALIGN(payload_len);
	bool alone = need > NFQUEUE_BATCH_BUF;
	if (alone || NFQUEUE_BATCH_BUF - q->batch_len < need) {
		int e = send_batch(q);
		rc = rc != 0 ? rc : e;
	}
	char *at = alone ? q->big : q->batch + q->batch_len;
	struct nlmsghdr *nlh = write_verdict(q, at, NFQNL_MSG_VERDICT, id, v, set_mark, mark);
	/* The kernel takes the packet's checksums as they are. */
	nfq_nlmsg_verdict_put_pkt(nlh, payload, (uint32_t)payload_len);
	if (!alone) {
		q->batch_len += NLMSG_ALIGN(nlh->nlmsg_len);
		q->batch_packets++;
		return rc;
	}
	int e = send_retried(q, q->big, nlh->nlmsg_len);
	if (e != 0) {
		q->unsent++;
		q->batch_ok = false;
	}
	return rc != 0 ? rc : e;
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, enum nfqueue_verdict v, bool set_mark,
		    uint32_t mark, const uint8_t *payload, size_t payload_len)
{
	struct verdict_run *r = &q->run;
	int rc = 0;
	if (payload != NULL && payload_len <= NFQUEUE_PAYLOAD_MAX) {
		return payload_verdict(q, id, v, set_mark, mark, payload, payload_len);
	}
	/* (A payload too long to carry: the packet goes as it came.) */
	if (r->count > 0 && (r->count == NFQUEUE_RUN_MAX || r->verdict != v ||
			     r->set_mark != set_mark || (set_mark && r->mark != mark))) {
		rc = close_run(q);
	}
	if (r->count == 0) {
		r->verdict = v;
		r->set_mark = set_mark;
		r->mark = set_mark ? mark : 0;
	}
	r->ids[r->count++] = id;
	return rc;
}

int nfqueue_flush(struct nfqueue *q)
{
	int rc = close_run(q);
	int e = send_batch(q);
	return e != 0 ? e : rc;
}

unsigned nfqueue_take_unsent(struct nfqueue *q)
{
	unsigned n = q->unsent;
	q->unsent = 0;
	return n;
}

unsigned nfqueue_pending(const struct nfqueue *q)
{
	return q->batch_packets + q->run.count;
}

void nfqueue_get_counts(const struct nfqueue *q, struct nfqueue_counts *out)
{
	*out = q->counts;
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
	free(q->msgs);
	free(q->iov);
	free(q->from);
	free(q->batch);
	free(q->big);
	free(q);
}
