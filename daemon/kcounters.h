/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcounters: what the kernel counted for the daemon's queues, so that overload can be told
 * exactly: nfnetlink_queue's per-queue statistics (/proc/net/netfilter/nfnetlink_queue, which
 * only root may read: opened at startup, read again later) and the packet counters of the
 * firewall's queue rules (nf_tables rules, read over netlink with CAP_NET_ADMIN: the nft backend
 * and iptables-nft, not iptables-legacy). Main loop only.
 */
#ifndef EMBARGOD_KCOUNTERS_H
#define EMBARGOD_KCOUNTERS_H

#include <stdbool.h>
#include <stdint.h>

/* One queue's line of /proc/net/netfilter/nfnetlink_queue. The kernel's counters are 32 bits
 * wide and wrap. */
struct kcounters_queue {
	bool bound;	      /* the queue has a line: someone is bound to it */
	uint32_t waiting;     /* packets held, not yet given a verdict */
	uint32_t queue_full;  /* dropped because the queue was full (not counted with fail-open) */
	uint32_t socket_full; /* dropped because the socket could not take them (same) */
	uint32_t id_sequence; /* the id of the last packet the kernel numbered */
};

/* The firewall's queue rules (iptables: chain EMBARGO_Q of the mangle tables; nft: chain
 * queue_packet of table inet embargo), summed over the families. */
struct kcounters_rules {
	uint64_t queued;	    /* packets the queue rules sent to a queue */
	uint64_t admission_dropped; /* packets the per-client admission rules dropped */
};

struct kcounters;

/* Open what can be opened (call before privileges are dropped). Never NULL for lack of a source:
 * a source that cannot be read is reported by the read functions. NULL when out of memory. */
struct kcounters *kcounters_open(void);
void kcounters_close(struct kcounters *k);

/* The statistics of queues first .. first + n - 1 into out[0 .. n). Returns 0, or -errno when
 * the file cannot be read (not opened at startup: not root, or /proc/net hidden). */
int kcounters_read_queues(struct kcounters *k, uint16_t first, unsigned n,
			  struct kcounters_queue *out);

/* The queue rules' counters. Returns 0, -ENOENT when no queue rule was found (no rules, or rules
 * that only iptables-legacy holds), or another -errno. */
int kcounters_read_rules(struct kcounters *k, struct kcounters_rules *out);

#endif
