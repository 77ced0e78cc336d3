/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfqueue: one NFQUEUE binding over its own netlink socket: receive packets, send verdicts. */
#ifndef EMBARGOD_NFQUEUE_H
#define EMBARGOD_NFQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Verdicts (the kernel's NF_DROP and NF_ACCEPT values). */
enum nfqueue_verdict {
	NFQUEUE_DROP = 0,
	NFQUEUE_ACCEPT = 1,
};

struct nfqueue_config {
	uint16_t queue;
	uint32_t copy_range;   /* bytes of each packet copied to userspace */
	uint32_t maxlen;       /* packets the kernel holds for this queue */
	bool fail_open;	       /* accept (not drop) when the queue is full */
	uint32_t rcvbuf_bytes; /* socket receive buffer */
};

/* One packet handed to the daemon. Pointers are into the receive buffers: valid until the next
 * nfqueue_receive call. */
struct nfqueue_packet {
	uint32_t id;
	const uint8_t *payload; /* from the IP header */
	size_t len;		/* bytes copied */
	size_t orig_len;	/* bytes of the packet (> len when the copy was cut) */
	uint32_t mark;		/* packet mark (skb mark) as the packet reached the queue */
	uint32_t in_ifindex;	/* interface it came in on (0: generated on this host) */
	bool has_hwaddr;
	uint8_t hwaddr[8];
	uint16_t hwaddr_len;
	uint16_t hw_protocol; /* EtherType, host byte order */
};

struct nfqueue;

/* Open a netlink socket, bind `cfg->queue` and configure it. On failure returns NULL and writes
 * a message to `err`. */
struct nfqueue *nfqueue_open(const struct nfqueue_config *cfg, char *err, size_t err_size);

/* File descriptor to wait on for readability (non-blocking). */
int nfqueue_fd(const struct nfqueue *q);

/*
 * Read the packet messages waiting on the socket, up to NFQUEUE_RECV_SLOTS of them in one system
 * call, and call `cb` for each packet. Returns the number of packets, 0 when nothing was waiting
 * (EAGAIN), or -errno. -ENOBUFS means the kernel could not hand messages to this socket (its
 * buffer was full); reading continues. `*more` (may be NULL) is set when every slot was filled,
 * so that more may be waiting.
 */
int nfqueue_receive(struct nfqueue *q, void (*cb)(void *ctx, const struct nfqueue_packet *p),
		    void *ctx, bool *more);

/* Datagrams (one packet message each) one nfqueue_receive reads at most. */
#define NFQUEUE_RECV_SLOTS 64

/*
 * Give packet `id` its verdict; with `set_mark` the packet leaves with mark `mark` (the firewall
 * rules act on it). Verdicts wait in a batch until nfqueue_flush (or until the batch buffer is
 * full): consecutive packets with the same verdict and mark become one NFQNL_MSG_VERDICT_BATCH
 * message, which the kernel applies to every packet it still holds up to the last id. Packets
 * must be given their verdicts in the order they were received. Returns 0, or -errno of a flush
 * the full buffer forced (this verdict is queued whatever it returned). With `payload`
 * (`payload_len` bytes, at most 65535) the packet leaves with those bytes instead of its own
 * (its checksums must be right); such a verdict is a message of its own.
 */
int nfqueue_verdict(struct nfqueue *q, uint32_t id, enum nfqueue_verdict v, bool set_mark,
		    uint32_t mark, const uint8_t *payload, size_t payload_len);

/*
 * Send every pending verdict. A send that fails with EINTR, EAGAIN or ENOBUFS is retried with
 * the batch kept, up to NFQUEUE_SEND_TRIES times; when it still fails (or fails otherwise) the
 * batch's verdicts are counted as unsent (nfqueue_take_unsent) and the batch is emptied. Those
 * packets stay in the kernel's queue; from then on every verdict is sent for its own packet, so
 * that no batch message gives them a verdict they were not meant to have. Returns 0 or -errno
 * of the last try.
 */
int nfqueue_flush(struct nfqueue *q);

/* Verdicts that could not be sent since the last call. */
unsigned nfqueue_take_unsent(struct nfqueue *q);

/* Verdicts waiting in the batch. */
unsigned nfqueue_pending(const struct nfqueue *q);

/* What the packet ids said since the queue was bound. The kernel numbers every packet it hands
 * to the socket, from 1 on at the bind; a number the daemon never received is a packet the
 * kernel could not put into the socket's buffer (dropped, or accepted unseen with fail-open). */
struct nfqueue_counts {
	uint64_t packets;  /* packet messages received */
	uint64_t skipped;  /* ids skipped between them: packets the socket could not take */
	uint64_t cut;	   /* messages longer than a receive slot (read as cut copies) */
	uint64_t refused;  /* error messages from the kernel about verdicts it refused */
	uint64_t batches;  /* NFQNL_MSG_VERDICT_BATCH messages sent */
	uint64_t messages; /* verdict messages sent, batches included */
};
void nfqueue_get_counts(const struct nfqueue *q, struct nfqueue_counts *out);

/* Unbind the queue and close the socket (pending verdicts are flushed first). NULL ignored. */
void nfqueue_close(struct nfqueue *q);

#endif
