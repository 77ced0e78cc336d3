/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learntab: what the gateway learned from DNS answers (addresses of listed names, ECH fronts),
 * as a table one thread writes and any number of threads read without a lock.
 *
 * Open addressing with linear probing and deletion by backward shift (no tombstones, so the
 * table never degrades). Each slot is a run of 32-bit atomic words under a sequence count that
 * is odd while the writer changes the slot (a seqlock); a reader that sees it change reads the
 * slot again, a bounded number of times. A 32-bit CPU reads and writes every word in one
 * access, so nothing here takes a lock (a 64-bit atomic would on MIPS32). A lookup that races
 * with an entry being moved by a deletion may miss it: it then answers "not learned", which is
 * what it answers for anything the table has not learned yet.
 */
#ifndef EMBARGO_LEARNTAB_H
#define EMBARGO_LEARNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum learntab_kind {
	LEARNTAB_NONE = 0,
	LEARNTAB_ADDR4, /* key: an IPv4 address in the first 4 bytes */
	LEARNTAB_ADDR6, /* key: an IPv6 address */
	LEARNTAB_FRONT, /* key: the 64-bit name hash of an ECH public name (domainset_hash) */
};

struct learntab_key {
	uint8_t kind; /* enum learntab_kind */
	uint8_t bytes[16];
};

enum learntab_flag {
	LEARNTAB_F_SHARED = 1u << 0, /* also answered for a name that is not listed: alert only */
};

/* What a learned entry says; ids index the tables of the policy of `generation`. */
struct learntab_entry {
	uint32_t expires_s;   /* on the clock of the callers' `now_s`; past it the entry is gone */
	uint32_t generation;  /* policy generation the ids and the action were judged under */
	uint32_t rule_line;   /* the listing rule, as in struct rule_meta */
	uint16_t file_id;     /* ... */
	uint16_t vendor_id;   /* ... */
	uint16_t category_id; /* ... */
	uint8_t action;	      /* enum action of the listing rule: ALERT, DROP or REJECT */
	uint8_t flags;	      /* enum learntab_flag bits */
	uint32_t info;	      /* the writer's own index (learn.c's side tables) */
};

/* Probes of one lookup or insertion: past them a key is not found, or not inserted. */
#define LEARNTAB_PROBE_MAX 64

struct learntab;

/* A table with room for `capacity` entries (rounded up to a power of two; the writer keeps it
 * at most half full). NULL when out of memory or `capacity` is 0 or above 2^24. */
struct learntab *learntab_new(uint32_t capacity);
void learntab_free(struct learntab *t);

/* Slots of the table. */
uint32_t learntab_slots(const struct learntab *t);

/*
 * Any thread: the entry for `k`, when present and not expired at `now_s`. False when absent,
 * expired, or when the writer kept changing its slot while it was read.
 */
bool learntab_get(const struct learntab *t, const struct learntab_key *k, uint32_t now_s,
		  struct learntab_entry *out);

/*
 * The writer thread only. Set the entry of `k` (added or replaced); returns 0, or -ENOSPC when
 * no free slot lies within LEARNTAB_PROBE_MAX of its place or the table is half full.
 */
int learntab_put(struct learntab *t, const struct learntab_key *k, const struct learntab_entry *e);

/* The writer thread only: remove `k`; returns 0 or -ENOENT. */
int learntab_del(struct learntab *t, const struct learntab_key *k);

/* The writer thread only: the entry in slot `i` (< learntab_slots), expired or not; false for
 * an empty slot. Slots move when entries are removed: iterate, do not keep the index. */
bool learntab_slot(const struct learntab *t, uint32_t i, struct learntab_key *k,
		   struct learntab_entry *e);

/* Entries in the table (the writer's count). */
uint32_t learntab_count(const struct learntab *t);

#endif
