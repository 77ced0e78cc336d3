/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The learner's state, shared by learn.c (what answers teach, expiry, reload) and learn_view.c
 * (what it shows). Internal to libembargo. */
#ifndef EMBARGO_LEARN_INTERNAL_H
#define EMBARGO_LEARN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "embargo/learn.h"

#define AUDIT_NONE    UINT16_MAX
#define AUDIT_INDEX   (2 * LEARN_AUDIT_MAX) /* slots of the name index: half full at most */
#define UNLISTED_WAYS 4
#define UNLISTED_SETS (LEARN_UNLISTED_MAX / UNLISTED_WAYS)
#define INFO_NONE     UINT32_MAX

_Static_assert(LEARN_AUDIT_MAX < AUDIT_NONE, "audit ids are 16-bit");

/* A listed name seen answered. */
struct audit {
	struct name name;
	uint64_t hash;
	uint64_t answers;
	struct learntab_entry rule; /* the listing rule (action NONE: no longer listed) */
	bool has_ech;
	uint8_t nfronts;
	uint16_t fronts[LEARN_ANSWER_FRONTS]; /* indices into the front table */
	uint32_t addrs, shared;
	uint32_t first_s, last_s;
};

/* What the learner keeps about a learned address beside its table entry (entry.info). */
struct addr_info {
	uint16_t audit;		 /* the listed name it was learned from, or AUDIT_NONE */
	uint32_t first_s;	 /* when learned */
	uint32_t kernel_until_s; /* how long the kernel's copy lives, as last written */
	uint32_t next_free;	 /* in the free list, when unused */
	char shared_with[LEARN_SHARED_NAME_MAX + 4];
};

struct front_info {
	bool used;
	struct name name;
	uint16_t audit;
};

struct unlisted {
	uint8_t family; /* 0: empty */
	uint8_t addr[16];
	uint32_t expires_s;
	char name[LEARN_SHARED_NAME_MAX + 4];
};

struct learner {
	struct learn_limits lim;
	struct learntab *tab;
	struct audit *audit;
	uint16_t *audit_index; /* AUDIT_INDEX slots: audit id + 1, 0 empty */
	uint32_t naudit;
	struct addr_info *info; /* 2 * per_family */
	uint32_t ninfo, info_free;
	struct front_info fronts[LEARN_FRONTS_MAX];
	struct unlisted *unlisted; /* UNLISTED_SETS * UNLISTED_WAYS */
	struct learn_op ops[LEARN_OPS_MAX];
	size_t ops_head, ops_tail; /* counts of operations ever queued and taken */
	uint32_t next_resync_s;
	struct learn_stats st;
};

/* The writer's own lookup: present, expired or not. */
static inline bool learn_own_get(const struct learner *l, const struct learntab_key *k,
				 struct learntab_entry *e)
{
	return learntab_get(l->tab, k, 0, e); /* every entry expires after 0 */
}

#endif
