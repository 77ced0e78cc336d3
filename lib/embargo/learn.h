/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn: what DNS answers teach, kept by one thread (the daemon's main loop, or the replay).
 *
 * The workers hand over, per answer, the chain name that is listed (or, for an answer that
 * names nothing listed, its question), the addresses the answer gives and the ECH public names
 * its HTTPS records publish. Here that becomes:
 *   - learned addresses: each address of a listed name, with the listing rule, for the answer's
 *     TTL (at most LEARN_TTL_MAX) plus a grace time, extended by every later answer; bounded per
 *     family, the answers past the bound counted;
 *   - shared addresses: a learned address also given for a name that is not listed (before or
 *     after, within the lifetimes of both) is marked shared, and is alert-only from then on;
 *   - learned ECH fronts: the public names of a listed name's ECH configurations;
 *   - the audit: each listed name seen answered, whether it publishes ECH configurations and
 *     how many of its addresses are shared;
 *   - the kernel set operations that mirror the learned addresses (nft set or ipset elements
 *     with a timeout), taken by the caller, which writes them.
 * Workers read the learned entries through the learntab the learner writes (learn_table).
 * Time is seconds on the callers' monotonic clock; every table is bounded.
 */
#ifndef EMBARGO_LEARN_H
#define EMBARGO_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/learntab.h"
#include "embargo/name.h"
#include "embargo/policy.h"

/* The longest TTL an answer may give a learned entry: a day. */
#define LEARN_TTL_MAX 86400
/* Addresses and ECH public names one answer hands over; more are counted as dropped. */
#define LEARN_ANSWER_ADDRS  16
#define LEARN_ANSWER_FRONTS 2
/* Listed names the audit keeps, learned ECH fronts, addresses remembered for unlisted names. */
#define LEARN_AUDIT_MAX	   4096
#define LEARN_FRONTS_MAX   256
#define LEARN_UNLISTED_MAX 16384
/* Bytes of the unlisted name kept with a shared address (cut with "..."). */
#define LEARN_SHARED_NAME_MAX 64
/* Kernel set operations waiting for the caller, and re-adds issued per learn_tick. */
#define LEARN_OPS_MAX	      4096
#define LEARN_READDS_PER_TICK 256
/* Every so often every learned address is written to the kernel again, so that sets emptied
 * behind the daemon's back (the firewall rules loaded again) fill up again. */
#define LEARN_RESYNC_S 300

struct learn_limits {
	uint32_t per_family; /* learned addresses per family at most */
	uint32_t grace_s;    /* added to an answer's TTL */
	bool kernel;	     /* produce kernel set operations */
};

/* One answer, as a worker hands it over. */
struct learn_answer {
	struct name name; /* the listed name of the chain, or the question's name */
	bool listed;	  /* the worker found `name` listed (the learner judges it again) */
	uint8_t naddrs, nfronts;
	bool has_ech;	  /* the listed name's HTTPS records carry ECH configurations */
	uint32_t ech_ttl; /* seconds: the TTL of those records */
	struct {
		uint8_t family; /* 4 or 6 */
		uint8_t addr[16];
		uint32_t ttl;
	} addrs[LEARN_ANSWER_ADDRS];
	struct name fronts[LEARN_ANSWER_FRONTS];
};

enum learn_op_kind {
	LEARN_OP_ADD = 0, /* add (or refresh) the element with `timeout_s` */
	LEARN_OP_DEL,	  /* remove it (its entry went before the kernel's timeout) */
};

struct learn_op {
	uint8_t kind;	/* enum learn_op_kind */
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint32_t timeout_s;
};

struct learn_stats {
	uint64_t answers_listed, answers_unlisted;
	uint64_t learned;		 /* addresses learned (new entries) */
	uint64_t full;			 /* addresses not learned: the family's bound was reached */
	uint64_t shared;		 /* learned addresses found shared */
	uint64_t ops_dropped;		 /* kernel operations the queue could not take */
	uint64_t audit_full;		 /* listed names the audit had no room for */
	uint64_t fronts_full;		 /* ECH public names not learned: no room */
	uint32_t addrs4, addrs6, fronts; /* entries now */
};

struct learner;

/* NULL when out of memory or the limits are 0. */
struct learner *learn_new(const struct learn_limits *lim);
void learn_free(struct learner *l);

/* The table workers read (lookups by address and by front hash). */
const struct learntab *learn_table(const struct learner *l);

/* The key of an address, and of an ECH public name. */
void learn_addr_key(struct learntab_key *k, uint8_t family, const uint8_t *addr);
void learn_front_key(struct learntab_key *k, const struct name *n);

/* One answer, judged under `p` (the current policy: its rule for `a->name` decides whether
 * it is listed), at `now_s`. */
void learn_answer(struct learner *l, const struct policy *p, const struct learn_answer *a,
		  uint32_t now_s);

/* About once a second: entries past their time go, kernel copies that timed out before their
 * entry are written again (at most LEARN_READDS_PER_TICK). */
void learn_tick(struct learner *l, uint32_t now_s);

/* After a reload: every entry judged again under `p` (a name no longer listed takes its
 * addresses and fronts with it; the others take the new rule and generation). */
void learn_rejudge(struct learner *l, const struct policy *p, uint32_t now_s);

/* Take up to `max` kernel set operations; returns how many. */
size_t learn_take_ops(struct learner *l, struct learn_op *out, size_t max);

void learn_get_stats(const struct learner *l, struct learn_stats *st);

/* A learned address, for listings. */
struct learn_addr_view {
	uint8_t family;
	uint8_t addr[16];
	struct learntab_entry e;
	const struct name *from; /* the listed name it was learned from (NULL: not kept) */
	const char *shared_with; /* with LEARNTAB_F_SHARED: an unlisted name that gave it too */
	uint32_t first_s;	 /* when it was first learned */
};

/* Iterate the learned addresses: start with `*pos` 0; false at the end. */
bool learn_addr_next(const struct learner *l, uint32_t *pos, struct learn_addr_view *out);

/* The learned address `addr`, for an alert line; false when not learned. */
bool learn_addr_find(const struct learner *l, uint8_t family, const uint8_t *addr,
		     struct learn_addr_view *out);

/* A learned ECH front. */
struct learn_front_view {
	const struct name *name;
	const struct name *from; /* the listed name whose HTTPS records published it */
	struct learntab_entry e;
};
bool learn_front_next(const struct learner *l, uint32_t *pos, struct learn_front_view *out);

/* A listed name seen answered (embargoctl audit). */
struct learn_audit_view {
	const struct name *name;
	uint16_t vendor_id, category_id; /* under the policy of `generation` */
	uint32_t generation;
	uint64_t answers;	/* answers seen */
	uint32_t addrs, shared; /* its learned addresses now, and how many are shared */
	bool has_ech;		/* it published ECH configurations */
	unsigned nfronts;	/* their public names */
	const struct name *fronts[LEARN_ANSWER_FRONTS];
	uint32_t first_s, last_s; /* first and last answer */
};
bool learn_audit_next(const struct learner *l, uint32_t *pos, struct learn_audit_view *out);

#endif
