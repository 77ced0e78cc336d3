/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kset: the kernel's copy of the learned addresses, written over netlink by the main loop:
 * elements with a timeout in the nftables sets learned4/learned6 of table inet embargo, or in
 * the ipsets embargo-learned4/embargo-learned6 (the iptables backend). The firewall rules of
 * conf/embargo-firewall create them (learn-addresses) and queue new connections to them.
 * Nothing here blocks: a send the socket does not take is counted and dropped, the kernel's
 * answers are read when the socket is readable.
 */
#ifndef EMBARGOD_KSET_H
#define EMBARGOD_KSET_H

#include <stddef.h>
#include <stdint.h>

#include "embargo/learn.h"

/* Names of the kernel objects (conf/embargo-firewall creates them with these names). */
#define KSET_NFT_TABLE	"embargo"
#define KSET_NFT_SET4	"learned4"
#define KSET_NFT_SET6	"learned6"
#define KSET_IPSET_SET4 "embargo-learned4"
#define KSET_IPSET_SET6 "embargo-learned6"

enum kset_backend {
	KSET_NFT = 1,
	KSET_IPSET,
};

struct kset_stats {
	uint64_t sent;	      /* operations handed to the kernel */
	uint64_t send_failed; /* operations the socket did not take */
	uint64_t errors;      /* operations the kernel refused (a missing set, a full one) */
	int last_error;	      /* errno of the last refusal, 0 when none */
};

struct kset;

/* Open the netlink socket (needs CAP_NET_ADMIN). NULL with a message in `err` on failure. */
struct kset *kset_open(enum kset_backend b, char *err, size_t err_size);
void kset_close(struct kset *k);

/* Socket to watch for the kernel's answers. */
int kset_fd(const struct kset *k);

/* Hand `n` operations to the kernel, each in a message (an nftables transaction) of its own
 * so that one refused leaves the others alone. Returns how many the socket took. */
size_t kset_send(struct kset *k, const struct learn_op *ops, size_t n);

/* Read what the kernel answered (non-blocking), counting refusals; a deletion of an element
 * that is not there (it timed out first) is no refusal. */
void kset_receive(struct kset *k);

void kset_get_stats(const struct kset *k, struct kset_stats *st);

#endif
