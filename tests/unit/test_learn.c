/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for what answers teach: learned addresses and their lifetime, shared addresses in
 * either order, the bounds, kernel set operations, ECH fronts, the audit, and a reload that
 * unlists a vendor. */
#include <arpa/inet.h>
#include <stdio.h>

#include "test.h"

#include "embargo/config.h"
#include "embargo/learn.h"
#include "policyload.h"

static struct policy *load(const char *text, uint32_t generation)
{
	struct policy *p = test_load_policy(text);
	p->generation = generation;
	return p;
}

#define KASPERSKY                                                                                  \
	"vendor kaspersky {\n category update {\n  *.kaspersky.com\n }\n"                          \
	" category telemetry {\n  action alert\n  ksn.kaspersky-labs.com\n }\n}\n"

static struct learn_answer answer(const char *name, const char *a1, const char *a2, uint32_t ttl)
{
	struct learn_answer a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(name_from_text(&a.name, name, strlen(name)), 0);
	const char *addrs[2] = {a1, a2};
	for (int i = 0; i < 2 && addrs[i] != NULL; i++) {
		uint8_t *dst = a.addrs[a.naddrs].addr;
		if (inet_pton(AF_INET, addrs[i], dst) == 1) {
			a.addrs[a.naddrs].family = 4;
		} else {
			assert_int_equal(inet_pton(AF_INET6, addrs[i], dst), 1);
			a.addrs[a.naddrs].family = 6;
		}
		a.addrs[a.naddrs++].ttl = ttl;
	}
	return a;
}

static bool lookup(const struct learner *l, const char *text, uint32_t now,
		   struct learntab_entry *e)
{
	uint8_t addr[16] = {0};
	struct learntab_key k;
	if (inet_pton(AF_INET, text, addr) == 1) {
		learn_addr_key(&k, 4, addr);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
		learn_addr_key(&k, 6, addr);
	}
	return learntab_get(learn_table(l), &k, now, e);
}

static const char *category(const struct policy *p, const struct learntab_entry *e)
{
	return e->category_id < p->ncategories ? p->categories[e->category_id] : "?";
}

/* A listed name's addresses are learned with its rule, for TTL + grace, and written to the
 * kernel with that timeout; a name that is not listed teaches nothing. */
static void test_learn_listed(void **state)
{
	struct policy *p = load(KASPERSKY, 7);
	struct learn_limits lim = {.per_family = 8, .grace_s = 100, .kernel = true};
	struct learner *l = learn_new(&lim);
	assert_non_null(l);
	struct learn_answer a = answer("upd.kaspersky.com", "192.0.2.7", "2001:db8::7", 60);
	learn_answer(l, p, &a, 1000);
	struct learntab_entry e;
	assert_true(lookup(l, "192.0.2.7", 1000, &e));
	assert_int_equal(e.expires_s, 1000 + 60 + 100);
	assert_int_equal(e.generation, 7);
	assert_int_equal(e.action, ACTION_REJECT);
	assert_false(e.flags & LEARNTAB_F_SHARED);
	assert_string_equal(p->vendors[e.vendor_id], "kaspersky");
	assert_string_equal(category(p, &e), "update");
	assert_true(lookup(l, "2001:db8::7", 1000, &e));
	assert_false(lookup(l, "192.0.2.7", 1160, &e));
	struct learn_op ops[8];
	assert_int_equal(learn_take_ops(l, ops, 8), 2);
	assert_int_equal(ops[0].kind, LEARN_OP_ADD);
	assert_int_equal(ops[0].family, 4);
	assert_int_equal(ops[0].timeout_s, 160);
	assert_int_equal(ops[1].family, 6);
	/* Alert-only categories are learned too, with their action. */
	a = answer("ksn.kaspersky-labs.com", "192.0.2.9", NULL, 30);
	learn_answer(l, p, &a, 1000);
	assert_true(lookup(l, "192.0.2.9", 1000, &e));
	assert_int_equal(e.action, ACTION_ALERT);
	/* Unlisted: nothing learned, nothing written. */
	learn_take_ops(l, ops, 8);
	a = answer("www.example.org", "198.51.100.1", NULL, 60);
	learn_answer(l, p, &a, 1000);
	assert_false(lookup(l, "198.51.100.1", 1000, &e));
	assert_int_equal(learn_take_ops(l, ops, 8), 0);
	/* A huge TTL is capped; a later answer extends, never shortens. */
	a = answer("upd.kaspersky.com", "192.0.2.7", NULL, 10 * LEARN_TTL_MAX);
	learn_answer(l, p, &a, 1010);
	assert_true(lookup(l, "192.0.2.7", 1010, &e));
	assert_int_equal(e.expires_s, 1010 + LEARN_TTL_MAX + 100);
	assert_int_equal(learn_take_ops(l, ops, 8), 1);
	assert_int_equal(ops[0].timeout_s, LEARN_TTL_MAX + 100);
	a = answer("upd.kaspersky.com", "192.0.2.7", NULL, 5);
	learn_answer(l, p, &a, 1020);
	assert_true(lookup(l, "192.0.2.7", 1020, &e));
	assert_int_equal(e.expires_s, 1010 + LEARN_TTL_MAX + 100);
	assert_int_equal(learn_take_ops(l, ops, 8), 0); /* the kernel's copy lives as long */
	struct learn_stats st;
	learn_get_stats(l, &st);
	assert_int_equal(st.learned, 3);
	assert_int_equal(st.addrs4, 2);
	assert_int_equal(st.addrs6, 1);
	assert_int_equal(st.answers_unlisted, 1);
	learn_free(l);
	policy_free(p);
}

/* An address also given for a name that is not listed is shared, whichever came first. */
static void test_shared(void **state)
{
	struct policy *p = load(KASPERSKY, 1);
	struct learn_limits lim = {.per_family = 8, .grace_s = 100, .kernel = false};
	struct learner *l = learn_new(&lim);
	struct learn_answer cdn = answer("www.example.org", "203.0.113.5", NULL, 60);
	learn_answer(l, p, &cdn, 1000);
	struct learn_answer listed = answer("upd.kaspersky.com", "203.0.113.5", "203.0.113.6", 60);
	learn_answer(l, p, &listed, 1001);
	struct learntab_entry e;
	assert_true(lookup(l, "203.0.113.5", 1001, &e));
	assert_true(e.flags & LEARNTAB_F_SHARED);
	assert_true(lookup(l, "203.0.113.6", 1001, &e));
	assert_false(e.flags & LEARNTAB_F_SHARED);
	struct learn_answer later = answer("cdn.example.net", "203.0.113.6", NULL, 60);
	learn_answer(l, p, &later, 1002);
	assert_true(lookup(l, "203.0.113.6", 1002, &e));
	assert_true(e.flags & LEARNTAB_F_SHARED);
	struct learn_addr_view v;
	uint8_t addr[4] = {203, 0, 113, 6};
	assert_true(learn_addr_find(l, 4, addr, &v));
	assert_string_equal(v.from->text, "upd.kaspersky.com");
	assert_string_equal(v.shared_with, "cdn.example.net");
	/* An unlisted answer that has run out of time shares nothing. */
	struct learn_answer old = answer("old.example.net", "203.0.113.7", NULL, 10);
	learn_answer(l, p, &old, 1000);
	struct learn_answer again = answer("upd.kaspersky.com", "203.0.113.7", NULL, 60);
	learn_answer(l, p, &again, 1200);
	assert_true(lookup(l, "203.0.113.7", 1200, &e));
	assert_false(e.flags & LEARNTAB_F_SHARED);
	/* The audit counts them. */
	uint32_t pos = 0;
	struct learn_audit_view au;
	assert_true(learn_audit_next(l, &pos, &au));
	assert_string_equal(au.name->text, "upd.kaspersky.com");
	assert_int_equal(au.answers, 2);
	assert_int_equal(au.addrs, 3);
	assert_int_equal(au.shared, 2);
	assert_false(au.has_ech);
	assert_false(learn_audit_next(l, &pos, &au));
	struct learn_stats st;
	learn_get_stats(l, &st);
	assert_int_equal(st.shared, 2);
	learn_free(l);
	policy_free(p);
}

/* Bounds: per family, counted; the operation queue, counted. */
static void test_bounds(void **state)
{
	struct policy *p = load(KASPERSKY, 1);
	struct learn_limits lim = {.per_family = 4, .grace_s = 10, .kernel = true};
	struct learner *l = learn_new(&lim);
	for (int i = 0; i < 6; i++) {
		char a4[32], a6[32];
		snprintf(a4, sizeof(a4), "192.0.2.%d", i + 1);
		snprintf(a6, sizeof(a6), "2001:db8::%d", i + 1);
		struct learn_answer a = answer("upd.kaspersky.com", a4, a6, 60);
		learn_answer(l, p, &a, 1000);
	}
	struct learn_stats st;
	learn_get_stats(l, &st);
	assert_int_equal(st.addrs4, 4);
	assert_int_equal(st.addrs6, 4);
	assert_int_equal(st.full, 4);
	struct learntab_entry e;
	assert_false(lookup(l, "192.0.2.5", 1000, &e));
	/* The queue: LEARN_OPS_MAX at most. */
	struct learn_op op;
	while (learn_take_ops(l, &op, 1) == 1) {
	}
	for (int i = 0; i < LEARN_OPS_MAX + 10; i++) {
		struct learn_answer a = answer("upd.kaspersky.com", "192.0.2.1", NULL, 60);
		learn_answer(l, p, &a, (uint32_t)(1000 + 10 * i)); /* each extends by 10 s */
	}
	learn_get_stats(l, &st);
	assert_true(st.ops_dropped > 0);
	learn_free(l);
	assert_null(learn_new(&(struct learn_limits){.per_family = 0}));
	policy_free(p);
}

/* Entries go at their time; kernel copies that went early are written again; a resync writes
 * every live entry again. */
static void test_tick(void **state)
{
	struct policy *p = load(KASPERSKY, 1);
	struct learn_limits lim = {.per_family = 16, .grace_s = 10, .kernel = true};
	struct learner *l = learn_new(&lim);
	learn_tick(l, 100); /* the first tick resyncs an empty table */
	struct learn_answer a = answer("upd.kaspersky.com", "192.0.2.1", "192.0.2.2", 20);
	learn_answer(l, p, &a, 100);
	a = answer("upd.kaspersky.com", "192.0.2.3", NULL, 400);
	learn_answer(l, p, &a, 100);
	struct learn_op ops[8];
	assert_int_equal(learn_take_ops(l, ops, 8), 3);
	learn_tick(l, 129);
	assert_int_equal(learn_take_ops(l, ops, 8), 0);
	struct learn_stats st;
	learn_get_stats(l, &st);
	assert_int_equal(st.addrs4, 3);
	learn_tick(l, 130);
	learn_get_stats(l, &st);
	assert_int_equal(st.addrs4, 1); /* two went at 100 + 20 + 10, without a kernel op */
	assert_int_equal(learn_take_ops(l, ops, 8), 0);
	learn_tick(l, 100 + LEARN_RESYNC_S);
	assert_int_equal(learn_take_ops(l, ops, 8), 1);
	assert_int_equal(ops[0].kind, LEARN_OP_ADD);
	assert_int_equal(ops[0].timeout_s, 100 + 400 + 10 - (100 + LEARN_RESYNC_S));
	learn_free(l);
	policy_free(p);
}

/* HTTPS records of a listed name that publish ECH configurations: their public names become
 * fronts of that vendor; the audit says so. */
static void test_fronts(void **state)
{
	struct policy *p = load(KASPERSKY, 3);
	struct learn_limits lim = {.per_family = 16, .grace_s = 10, .kernel = false};
	struct learner *l = learn_new(&lim);
	struct learn_answer a = answer("svc.kaspersky.com", "192.0.2.1", NULL, 60);
	a.has_ech = true;
	a.ech_ttl = 300;
	a.nfronts = 1;
	name_from_text(&a.fronts[0], "cover.example.net", 17);
	learn_answer(l, p, &a, 1000);
	struct learntab_key k;
	learn_front_key(&k, &a.fronts[0]);
	struct learntab_entry e;
	assert_true(learntab_get(learn_table(l), &k, 1000, &e));
	assert_int_equal(e.expires_s, 1000 + 300 + 10);
	assert_string_equal(p->vendors[e.vendor_id], "kaspersky");
	uint32_t pos = 0;
	struct learn_front_view f;
	assert_true(learn_front_next(l, &pos, &f));
	assert_string_equal(f.name->text, "cover.example.net");
	assert_string_equal(f.from->text, "svc.kaspersky.com");
	assert_false(learn_front_next(l, &pos, &f));
	pos = 0;
	struct learn_audit_view au;
	assert_true(learn_audit_next(l, &pos, &au));
	assert_true(au.has_ech);
	assert_int_equal(au.nfronts, 1);
	assert_string_equal(au.fronts[0]->text, "cover.example.net");
	/* A name that is not listed teaches no front. */
	struct learn_answer u = answer("www.example.org", NULL, NULL, 60);
	u.has_ech = true;
	u.nfronts = 1;
	name_from_text(&u.fronts[0], "other.example.net", 17);
	learn_answer(l, p, &u, 1000);
	learn_front_key(&k, &u.fronts[0]);
	assert_false(learntab_get(learn_table(l), &k, 1000, &e));
	learn_free(l);
	policy_free(p);
}

/* A reload judges every entry again: a vendor no longer listed takes its addresses and fronts
 * with it (the kernel is told), the rest take the new generation and rule. */
static void test_rejudge(void **state)
{
	struct policy *p = load(KASPERSKY "vendor dji {\n *.djiservice.org\n}\n", 1);
	struct learn_limits lim = {.per_family = 16, .grace_s = 10, .kernel = true};
	struct learner *l = learn_new(&lim);
	struct learn_answer a = answer("upd.kaspersky.com", "192.0.2.1", NULL, 60);
	learn_answer(l, p, &a, 1000);
	a = answer("api.djiservice.org", "192.0.2.2", "2001:db8::2", 60);
	a.nfronts = 1;
	a.ech_ttl = 60;
	name_from_text(&a.fronts[0], "front.dji.example", 17);
	learn_answer(l, p, &a, 1000);
	struct learn_op ops[8];
	learn_take_ops(l, ops, 8);
	struct policy *q =
		load("vendor kaspersky {\n category web {\n  *.kaspersky.com\n }\n}\n", 2);
	learn_rejudge(l, q, 1001);
	struct learntab_entry e;
	assert_true(lookup(l, "192.0.2.1", 1001, &e));
	assert_int_equal(e.generation, 2);
	assert_string_equal(category(q, &e), "web");
	assert_false(lookup(l, "192.0.2.2", 1001, &e));
	assert_false(lookup(l, "2001:db8::2", 1001, &e));
	struct learntab_key k;
	learn_front_key(&k, &a.fronts[0]);
	assert_false(learntab_get(learn_table(l), &k, 1001, &e));
	assert_int_equal(learn_take_ops(l, ops, 8), 2);
	assert_int_equal(ops[0].kind, LEARN_OP_DEL);
	assert_int_equal(ops[1].kind, LEARN_OP_DEL);
	struct learn_stats st;
	learn_get_stats(l, &st);
	assert_int_equal(st.addrs4, 1);
	assert_int_equal(st.addrs6, 0);
	assert_int_equal(st.fronts, 0);
	learn_free(l);
	policy_free(p);
	policy_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_listed), cmocka_unit_test(test_shared),
		cmocka_unit_test(test_bounds),	     cmocka_unit_test(test_tick),
		cmocka_unit_test(test_fronts),	     cmocka_unit_test(test_rejudge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
