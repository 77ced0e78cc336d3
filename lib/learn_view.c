/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the learner shows (see learn.h): its counters, and its learned addresses, fronts and
 * audit one entry at a time, for embargoctl and the alert lines. */
#include <string.h>

#include "learn_internal.h"

void learn_get_stats(const struct learner *l, struct learn_stats *st)
{
	*st = l->st;
}

static void addr_view(const struct learner *l, const struct learntab_key *k,
		      const struct learntab_entry *e, struct learn_addr_view *out)
{
	const struct addr_info *in = &l->info[e->info];
	memset(out, 0, sizeof(*out));
	out->family = k->kind == LEARNTAB_ADDR4 ? 4 : 6;
	memcpy(out->addr, k->bytes, 16);
	out->e = *e;
	out->from = in->audit != AUDIT_NONE ? &l->audit[in->audit].name : NULL;
	out->shared_with = (e->flags & LEARNTAB_F_SHARED) ? in->shared_with : NULL;
	out->first_s = in->first_s;
}

bool learn_addr_next(const struct learner *l, uint32_t *pos, struct learn_addr_view *out)
{
	for (; *pos < learntab_slots(l->tab); (*pos)++) {
		struct learntab_key k;
		struct learntab_entry e;
		if (learntab_slot(l->tab, *pos, &k, &e) && k.kind != LEARNTAB_FRONT) {
			addr_view(l, &k, &e, out);
			(*pos)++;
			return true;
		}
	}
	return false;
}

bool learn_addr_find(const struct learner *l, uint8_t family, const uint8_t *addr,
		     struct learn_addr_view *out)
{
	struct learntab_key k;
	struct learntab_entry e;
	learn_addr_key(&k, family, addr);
	if (!learn_own_get(l, &k, &e)) {
		return false;
	}
	addr_view(l, &k, &e, out);
	return true;
}

bool learn_front_next(const struct learner *l, uint32_t *pos, struct learn_front_view *out)
{
	for (; *pos < learntab_slots(l->tab); (*pos)++) {
		struct learntab_key k;
		struct learntab_entry e;
		if (learntab_slot(l->tab, *pos, &k, &e) && k.kind == LEARNTAB_FRONT) {
			const struct front_info *f = &l->fronts[e.info];
			out->name = &f->name;
			out->from = f->audit != AUDIT_NONE ? &l->audit[f->audit].name : NULL;
			out->e = e;
			(*pos)++;
			return true;
		}
	}
	return false;
}

bool learn_audit_next(const struct learner *l, uint32_t *pos, struct learn_audit_view *out)
{
	if (*pos >= l->naudit) {
		return false;
	}
	const struct audit *au = &l->audit[(*pos)++];
	memset(out, 0, sizeof(*out));
	out->name = &au->name;
	out->vendor_id = au->rule.vendor_id;
	out->category_id = au->rule.category_id;
	out->generation = au->rule.generation;
	out->answers = au->answers;
	out->addrs = au->addrs;
	out->shared = au->shared;
	out->has_ech = au->has_ech;
	out->nfronts = au->nfronts;
	for (unsigned i = 0; i < au->nfronts; i++) {
		out->fronts[i] = &l->fronts[au->fronts[i]].name;
	}
	out->first_s = au->first_s;
	out->last_s = au->last_s;
	return true;
}
