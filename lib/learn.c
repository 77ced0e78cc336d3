/* SPDX-License-Identifier: GPL-2.0-or-later */
/* learn: learned addresses, shared addresses, ECH fronts and the audit of answered listed names,
 * kept by one thread; the kernel set operations that mirror them (see learn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/domainset.h"
#include "learn_internal.h"

struct learner *learn_new(const struct learn_limits *lim)
{
	if (lim->per_family == 0 || lim->per_family > (1u << 22)) {
		return NULL;
	}
	struct learner *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return NULL;
	}
	l->lim = *lim;
	l->ninfo = 2 * lim->per_family;
	/* Addresses of both families and the fronts, at most half the table. */
	l->tab = learntab_new(2 * (l->ninfo + LEARN_FRONTS_MAX));
	l->audit = calloc(LEARN_AUDIT_MAX, sizeof(*l->audit));
	l->audit_index = calloc(AUDIT_INDEX, sizeof(*l->audit_index));
	l->info = calloc(l->ninfo, sizeof(*l->info));
	l->unlisted = calloc(UNLISTED_SETS * UNLISTED_WAYS, sizeof(*l->unlisted));
	if (l->tab == NULL || l->audit == NULL || l->audit_index == NULL || l->info == NULL ||
	    l->unlisted == NULL) {
		learn_free(l);
		return NULL;
	}
	for (uint32_t i = 0; i < l->ninfo; i++) {
		l->info[i].next_free = i + 1 < l->ninfo ? i + 1 : INFO_NONE;
	}
	l->info_free = 0;
	return l;
}

void learn_free(struct learner *l)
{
	if (l == NULL) {
		return;
	}
	learntab_free(l->tab);
	free(l->audit);
	free(l->audit_index);
	free(l->info);
	free(l->unlisted);
	free(l);
}

const struct learntab *learn_table(const struct learner *l)
{
	return l->tab;
}

void learn_addr_key(struct learntab_key *k, uint8_t family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->kind = family == 4 ? LEARNTAB_ADDR4 : LEARNTAB_ADDR6;
	memcpy(k->bytes, addr, family == 4 ? 4 : 16);
}

void learn_front_key(struct learntab_key *k, const struct name *n)
{
	uint64_t h = domainset_hash(n->text, n->len);
	memset(k, 0, sizeof(*k));
	k->kind = LEARNTAB_FRONT;
	for (unsigned i = 0; i < 8; i++) {
		k->bytes[i] = (uint8_t)(h >> (56 - 8 * i));
	}
}

static void push_op(struct learner *l, enum learn_op_kind kind, uint8_t family, const uint8_t *addr,
		    uint32_t timeout_s)
{
	if (!l->lim.kernel) {
		return;
	}
	if (l->ops_head - l->ops_tail >= LEARN_OPS_MAX) {
		l->st.ops_dropped++;
		return;
	}
	struct learn_op *op = &l->ops[l->ops_head++ % LEARN_OPS_MAX];
	op->kind = (uint8_t)kind;
	op->family = family;
	memset(op->addr, 0, sizeof(op->addr));
	memcpy(op->addr, addr, family == 4 ? 4 : 16);
	op->timeout_s = timeout_s;
}

size_t learn_take_ops(struct learner *l, struct learn_op *out, size_t max)
{
	size_t n = 0;
	while (n < max && l->ops_tail != l->ops_head) {
		out[n++] = l->ops[l->ops_tail++ % LEARN_OPS_MAX];
	}
	return n;
}

static uint32_t lifetime(const struct learner *l, uint32_t ttl, uint32_t now_s)
{
	uint32_t t = ttl < LEARN_TTL_MAX ? ttl : LEARN_TTL_MAX;
	return now_s + t + l->lim.grace_s;
}

/* `n` cut to LEARN_SHARED_NAME_MAX bytes ("..." when longer), escaped for printing. */
static void short_name(char *out, size_t size, const struct name *n)
{
	char full[NAME_TEXT_MAX * 4 + 1];
	name_escape(n, full, sizeof(full));
	size_t len = strlen(full);
	if (len > LEARN_SHARED_NAME_MAX) {
		memcpy(out, full, LEARN_SHARED_NAME_MAX);
		memcpy(out + LEARN_SHARED_NAME_MAX, "...", 4);
		return;
	}
	memcpy(out, full, len + 1 <= size ? len + 1 : size);
}

/* The listing rule of an entry (or of an audited name), under policy `p`. */
static void entry_from_rule(struct learntab_entry *e, const struct policy *p,
			    const struct rule_meta *rule, enum action a)
{
	e->generation = p != NULL ? p->generation : 0;
	e->rule_line = rule->line;
	e->file_id = rule->file_id;
	e->vendor_id = rule->vendor_id;
	e->category_id = rule->category_id;
	e->action = (uint8_t)a;
}

/* ---- the audit ---- */

static uint16_t audit_find(const struct learner *l, const struct name *n, uint64_t h,
			   uint32_t *slot)
{
	uint32_t i = (uint32_t)h % AUDIT_INDEX;
	for (uint32_t probe = 0; probe < AUDIT_INDEX; probe++, i = (i + 1) % AUDIT_INDEX) {
		uint16_t v = l->audit_index[i];
		if (v == 0) {
			break;
		}
		const struct audit *a = &l->audit[v - 1];
		if (a->hash == h && a->name.len == n->len &&
		    memcmp(a->name.text, n->text, n->len) == 0) {
			return (uint16_t)(v - 1);
		}
	}
	*slot = i;
	return AUDIT_NONE;
}

/* The audit entry of the listed name `n`, made when new (AUDIT_NONE when full). */
static uint16_t audit_get(struct learner *l, const struct name *n, uint32_t now_s)
{
	uint64_t h = domainset_hash(n->text, n->len);
	uint32_t slot = 0;
	uint16_t id = audit_find(l, n, h, &slot);
	if (id != AUDIT_NONE) {
		return id;
	}
	if (l->naudit == LEARN_AUDIT_MAX) {
		l->st.audit_full++;
		return AUDIT_NONE;
	}
	id = (uint16_t)l->naudit++;
	struct audit *a = &l->audit[id];
	memset(a, 0, sizeof(*a));
	a->name = *n;
	a->hash = h;
	a->first_s = now_s;
	l->audit_index[slot] = (uint16_t)(id + 1);
	return id;
}

/* ---- unlisted addresses ---- */

static struct unlisted *unlisted_set(const struct learner *l, uint8_t family, const uint8_t *addr)
{
	uint64_t h = domainset_hash((const char *)addr, family == 4 ? 4 : 16);
	return &l->unlisted[(h % UNLISTED_SETS) * UNLISTED_WAYS];
}

static const struct unlisted *unlisted_find(const struct learner *l, uint8_t family,
					    const uint8_t *addr, uint32_t now_s)
{
	const struct unlisted *set = unlisted_set(l, family, addr);
	for (unsigned w = 0; w < UNLISTED_WAYS; w++) {
		if (set[w].family == family && set[w].expires_s > now_s &&
		    memcmp(set[w].addr, addr, family == 4 ? 4 : 16) == 0) {
			return &set[w];
		}
	}
	return NULL;
}

static void unlisted_put(struct learner *l, uint8_t family, const uint8_t *addr, const char *name,
			 uint32_t expires_s)
{
	struct unlisted *set = unlisted_set(l, family, addr), *use = &set[0];
	for (unsigned w = 0; w < UNLISTED_WAYS; w++) {
		if (set[w].family == family &&
		    memcmp(set[w].addr, addr, family == 4 ? 4 : 16) == 0) {
			use = &set[w];
			break;
		}
		if (set[w].expires_s < use->expires_s) {
			use = &set[w]; /* the one that goes first makes room */
		}
	}
	if (use->family == family && memcmp(use->addr, addr, family == 4 ? 4 : 16) == 0 &&
	    use->expires_s > expires_s) {
		return;
	}
	use->family = family;
	memset(use->addr, 0, sizeof(use->addr));
	memcpy(use->addr, addr, family == 4 ? 4 : 16);
	use->expires_s = expires_s;
	snprintf(use->name, sizeof(use->name), "%s", name);
}

/* ---- learned entries ---- */

static uint32_t info_take(struct learner *l)
{
	uint32_t i = l->info_free;
	if (i != INFO_NONE) {
		l->info_free = l->info[i].next_free;
		memset(&l->info[i], 0, sizeof(l->info[i]));
	}
	return i;
}

static void info_put(struct learner *l, uint32_t i)
{
	l->info[i].next_free = l->info_free;
	l->info_free = i;
}

/* Mark the learned address of `k` shared with the unlisted name `with`. */
static void mark_shared(struct learner *l, const struct learntab_key *k, struct learntab_entry *e,
			const char *with)
{
	if (e->flags & LEARNTAB_F_SHARED) {
		return;
	}
	e->flags |= LEARNTAB_F_SHARED;
	learntab_put(l->tab, k, e);
	struct addr_info *in = &l->info[e->info];
	snprintf(in->shared_with, sizeof(in->shared_with), "%s", with);
	if (in->audit != AUDIT_NONE) {
		l->audit[in->audit].shared++;
	}
	l->st.shared++;
}

static void learn_addr(struct learner *l, const struct policy *p, const struct rule_meta *rule,
		       enum action a, uint16_t audit, uint8_t family, const uint8_t *addr,
		       uint32_t ttl, uint32_t now_s)
{
	struct learntab_key k;
	struct learntab_entry e;
	learn_addr_key(&k, family, addr);
	uint32_t until = lifetime(l, ttl, now_s);
	if (learn_own_get(l, &k, &e)) {
		struct addr_info *in = &l->info[e.info];
		e.expires_s = e.expires_s > until ? e.expires_s : until;
		entry_from_rule(&e, p, rule, a);
		learntab_put(l->tab, &k, &e);
		/* Written again when the kernel's copy would go well before the entry. */
		if (in->kernel_until_s + l->lim.grace_s / 4 < e.expires_s) {
			push_op(l, LEARN_OP_ADD, family, addr, e.expires_s - now_s);
			in->kernel_until_s = e.expires_s;
		}
		return;
	}
	uint32_t *count = family == 4 ? &l->st.addrs4 : &l->st.addrs6;
	uint32_t info = *count < l->lim.per_family ? info_take(l) : INFO_NONE;
	if (info == INFO_NONE) {
		l->st.full++;
		return;
	}
	memset(&e, 0, sizeof(e));
	e.expires_s = until;
	e.info = info;
	entry_from_rule(&e, p, rule, a);
	if (learntab_put(l->tab, &k, &e) != 0) {
		info_put(l, info);
		l->st.full++;
		return;
	}
	(*count)++;
	l->st.learned++;
	struct addr_info *in = &l->info[info];
	in->audit = audit;
	in->first_s = now_s;
	in->kernel_until_s = until;
	if (audit != AUDIT_NONE) {
		l->audit[audit].addrs++;
	}
	push_op(l, LEARN_OP_ADD, family, addr, until - now_s);
	const struct unlisted *u = unlisted_find(l, family, addr, now_s);
	if (u != NULL) {
		mark_shared(l, &k, &e, u->name);
	}
}

static void learn_front(struct learner *l, const struct policy *p, const struct rule_meta *rule,
			enum action a, uint16_t audit, const struct name *n, uint32_t ttl,
			uint32_t now_s)
{
	struct learntab_key k;
	struct learntab_entry e;
	learn_front_key(&k, n);
	uint32_t until = lifetime(l, ttl, now_s);
	bool known = learn_own_get(l, &k, &e);
	if (!known) {
		uint32_t slot = LEARN_FRONTS_MAX;
		for (uint32_t i = 0; i < LEARN_FRONTS_MAX && slot == LEARN_FRONTS_MAX; i++) {
			slot = l->fronts[i].used ? slot : i;
		}
		if (slot == LEARN_FRONTS_MAX) {
			l->st.fronts_full++;
			return;
		}
		memset(&e, 0, sizeof(e));
		e.info = slot;
		l->fronts[slot].used = true;
		l->fronts[slot].name = *n;
	}
	l->fronts[e.info].audit = audit;
	e.expires_s = e.expires_s > until ? e.expires_s : until;
	entry_from_rule(&e, p, rule, a);
	if (learntab_put(l->tab, &k, &e) != 0) {
		if (!known) {
			l->fronts[e.info].used = false;
		}
		l->st.fronts_full++;
		return;
	}
	l->st.fronts += !known;
	if (audit == AUDIT_NONE) {
		return;
	}
	struct audit *au = &l->audit[audit];
	for (unsigned i = 0; i < au->nfronts; i++) {
		if (au->fronts[i] == e.info) {
			return;
		}
	}
	if (au->nfronts < LEARN_ANSWER_FRONTS) {
		au->fronts[au->nfronts++] = (uint16_t)e.info;
	}
}

void learn_answer(struct learner *l, const struct policy *p, const struct learn_answer *a,
		  uint32_t now_s)
{
	const struct rule_meta *rule = NULL;
	enum action act = policy_lookup_proto(p, &a->name, INSPECT_PROTO_DNS, &rule);
	bool listed =
		rule != NULL && (act == ACTION_ALERT || act == ACTION_DROP || act == ACTION_REJECT);
	unsigned naddrs = a->naddrs < LEARN_ANSWER_ADDRS ? a->naddrs : LEARN_ANSWER_ADDRS;
	if (!listed) {
		l->st.answers_unlisted++;
		char with[LEARN_SHARED_NAME_MAX + 4];
		short_name(with, sizeof(with), &a->name);
		for (unsigned i = 0; i < naddrs; i++) {
			uint8_t fam = a->addrs[i].family;
			const uint8_t *addr = a->addrs[i].addr;
			unlisted_put(l, fam, addr, with, lifetime(l, a->addrs[i].ttl, now_s));
			struct learntab_key k;
			struct learntab_entry e;
			learn_addr_key(&k, fam, addr);
			if (learn_own_get(l, &k, &e)) {
				mark_shared(l, &k, &e, with);
			}
		}
		return;
	}
	l->st.answers_listed++;
	uint16_t audit = audit_get(l, &a->name, now_s);
	if (audit != AUDIT_NONE) {
		struct audit *au = &l->audit[audit];
		au->answers++;
		au->last_s = now_s;
		au->has_ech |= a->has_ech;
		entry_from_rule(&au->rule, p, rule, act);
	}
	for (unsigned i = 0; i < a->nfronts && i < LEARN_ANSWER_FRONTS; i++) {
		learn_front(l, p, rule, act, audit, &a->fronts[i], a->ech_ttl, now_s);
	}
	for (unsigned i = 0; i < naddrs; i++) {
		learn_addr(l, p, rule, act, audit, a->addrs[i].family, a->addrs[i].addr,
			   a->addrs[i].ttl, now_s);
	}
}

/* Remove the entry of `k` (in slot terms: it is looked up again). */
static void forget(struct learner *l, const struct learntab_key *k, const struct learntab_entry *e,
		   bool tell_kernel, uint32_t now_s)
{
	if (k->kind == LEARNTAB_FRONT) {
		l->fronts[e->info].used = false;
		l->st.fronts--;
	} else {
		uint8_t family = k->kind == LEARNTAB_ADDR4 ? 4 : 6;
		struct addr_info *in = &l->info[e->info];
		if (in->audit != AUDIT_NONE) {
			struct audit *au = &l->audit[in->audit];
			au->addrs -= au->addrs > 0;
			au->shared -= (e->flags & LEARNTAB_F_SHARED) && au->shared > 0;
		}
		if (tell_kernel && in->kernel_until_s > now_s) {
			push_op(l, LEARN_OP_DEL, family, k->bytes, 0);
		}
		info_put(l, e->info);
		(*(family == 4 ? &l->st.addrs4 : &l->st.addrs6))--;
	}
	learntab_del(l->tab, k);
}

void learn_tick(struct learner *l, uint32_t now_s)
{
	unsigned readds = 0;
	bool resync = now_s >= l->next_resync_s;
	if (resync) {
		l->next_resync_s = now_s + LEARN_RESYNC_S;
	}
	for (uint32_t i = 0; i < learntab_slots(l->tab); i++) {
		struct learntab_key k;
		struct learntab_entry e;
		if (!learntab_slot(l->tab, i, &k, &e)) {
			continue;
		}
		if (e.expires_s <= now_s) {
			forget(l, &k, &e, false, now_s);
			i--; /* a later entry may have moved into this slot */
			continue;
		}
		if (k.kind == LEARNTAB_FRONT) {
			continue;
		}
		struct addr_info *in = &l->info[e.info];
		if (resync) {
			in->kernel_until_s = now_s; /* written again below, a few per tick */
		}
		if (in->kernel_until_s <= now_s + 1 && e.expires_s > in->kernel_until_s &&
		    readds < LEARN_READDS_PER_TICK) {
			push_op(l, LEARN_OP_ADD, k.kind == LEARNTAB_ADDR4 ? 4 : 6, k.bytes,
				e.expires_s - now_s);
			in->kernel_until_s = e.expires_s;
			readds++;
		}
	}
	/* Unlisted addresses and the audit need no sweep: the first are replaced as they age,
	 * the second is bounded and keeps what it saw. */
}

void learn_rejudge(struct learner *l, const struct policy *p, uint32_t now_s)
{
	for (uint32_t i = 0; i < l->naudit; i++) {
		struct audit *au = &l->audit[i];
		const struct rule_meta *rule = NULL;
		enum action a = policy_lookup_proto(p, &au->name, INSPECT_PROTO_DNS, &rule);
		bool listed = rule != NULL &&
			      (a == ACTION_ALERT || a == ACTION_DROP || a == ACTION_REJECT);
		au->rule.action = ACTION_NONE;
		if (listed) {
			entry_from_rule(&au->rule, p, rule, a);
		}
	}
	for (uint32_t i = 0; i < learntab_slots(l->tab); i++) {
		struct learntab_key k;
		struct learntab_entry e;
		if (!learntab_slot(l->tab, i, &k, &e)) {
			continue;
		}
		uint16_t audit =
			k.kind == LEARNTAB_FRONT ? l->fronts[e.info].audit : l->info[e.info].audit;
		const struct audit *au = audit != AUDIT_NONE ? &l->audit[audit] : NULL;
		if (au == NULL || au->rule.action == ACTION_NONE) {
			/* No longer listed, or learned from a name the audit could not keep. */
			forget(l, &k, &e, true, now_s);
			i--;
			continue;
		}
		e.generation = au->rule.generation;
		e.vendor_id = au->rule.vendor_id;
		e.category_id = au->rule.category_id;
		e.file_id = au->rule.file_id;
		e.rule_line = au->rule.rule_line;
		e.action = au->rule.action;
		learntab_put(l->tab, &k, &e);
	}
}
