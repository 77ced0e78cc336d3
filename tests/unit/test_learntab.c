/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the learned-entry table: against a reference model under random puts and
 * deletions (backward shift keeps every entry reachable), bounds, expiry, and readers on
 * other threads that never see an entry half written. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "test.h"

#include "embargo/learntab.h"

static struct learntab_key key_of(uint32_t i)
{
	struct learntab_key k;
	memset(&k, 0, sizeof(k));
	k.kind = (uint8_t)(i % 3 == 0 ? LEARNTAB_ADDR6 : LEARNTAB_ADDR4);
	k.bytes[0] = 10;
	k.bytes[1] = (uint8_t)(i >> 16);
	k.bytes[2] = (uint8_t)(i >> 8);
	k.bytes[3] = (uint8_t)i;
	return k;
}

/* Every field derived from the key and a version, so that a torn read shows. */
static struct learntab_entry entry_of(uint32_t i, uint32_t version)
{
	struct learntab_entry e = {
		.expires_s = 1000 + version,
		.generation = i ^ version,
		.rule_line = i * 7 + version,
		.file_id = (uint16_t)(i + version),
		.vendor_id = (uint16_t)(i * 3 + version),
		.category_id = (uint16_t)(i * 5 + version),
		.action = (uint8_t)(version % 5),
		.flags = (uint8_t)(version & 1),
		.info = i + version,
	};
	return e;
}

static bool entry_equal(const struct learntab_entry *a, const struct learntab_entry *b)
{
	return a->expires_s == b->expires_s && a->generation == b->generation &&
	       a->rule_line == b->rule_line && a->file_id == b->file_id &&
	       a->vendor_id == b->vendor_id && a->category_id == b->category_id &&
	       a->action == b->action && a->flags == b->flags && a->info == b->info;
}

static bool entry_consistent(uint32_t i, const struct learntab_entry *e)
{
	uint32_t version = e->expires_s - 1000;
	struct learntab_entry want = entry_of(i, version);
	return entry_equal(&want, e);
}

static void test_basic(void **state)
{
	struct learntab *t = learntab_new(100);
	assert_non_null(t);
	assert_int_equal(learntab_slots(t), 128);
	struct learntab_key k = key_of(1);
	struct learntab_entry e = entry_of(1, 5), got;
	assert_false(learntab_get(t, &k, 0, &got));
	assert_int_equal(learntab_put(t, &k, &e), 0);
	assert_true(learntab_get(t, &k, 0, &got));
	assert_true(entry_equal(&got, &e));
	/* Expiry is the reader's: present but past its time is "not learned". */
	assert_true(learntab_get(t, &k, 1004, &got));
	assert_false(learntab_get(t, &k, 1005, &got));
	/* Same key, replaced in place. */
	e = entry_of(1, 9);
	assert_int_equal(learntab_put(t, &k, &e), 0);
	assert_int_equal(learntab_count(t), 1);
	assert_true(learntab_get(t, &k, 0, &got));
	assert_int_equal(got.rule_line, 16);
	/* Kinds are part of the key. */
	struct learntab_key k6 = k;
	k6.kind = LEARNTAB_ADDR6;
	assert_false(learntab_get(t, &k6, 0, &got));
	assert_int_equal(learntab_del(t, &k6), -ENOENT);
	assert_int_equal(learntab_del(t, &k), 0);
	assert_false(learntab_get(t, &k, 0, &got));
	assert_int_equal(learntab_count(t), 0);
	/* Half full at most. */
	for (uint32_t i = 0; i < 64; i++) {
		struct learntab_key ki = key_of(i);
		e = entry_of(i, 1);
		assert_int_equal(learntab_put(t, &ki, &e), 0);
	}
	struct learntab_key more = key_of(1000);
	assert_int_equal(learntab_put(t, &more, &e), -ENOSPC);
	learntab_free(t);
	assert_null(learntab_new(0));
}

/* Random puts and deletions against a model: every entry the model has is found, with its
 * value; nothing else is. */
static void test_model(void **state)
{
	enum {
		KEYS = 3000,
		OPS = 60000
	};
	struct learntab *t = learntab_new(4096);
	assert_non_null(t);
	static uint32_t model[KEYS]; /* version + 1, 0 when absent */
	memset(model, 0, sizeof(model));
	uint64_t rng = 42;
	uint32_t present = 0;
	for (uint32_t op = 0; op < OPS; op++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t i = (uint32_t)(rng >> 33) % KEYS;
		struct learntab_key k = key_of(i);
		if ((rng >> 20) % 3 != 0 && present < 1600) {
			struct learntab_entry e = entry_of(i, op);
			assert_int_equal(learntab_put(t, &k, &e), 0);
			present += model[i] == 0;
			model[i] = op + 1;
		} else {
			assert_int_equal(learntab_del(t, &k), model[i] != 0 ? 0 : -ENOENT);
			present -= model[i] != 0;
			model[i] = 0;
		}
		if (op % 997 == 0) {
			for (uint32_t j = 0; j < KEYS; j++) {
				struct learntab_key kj = key_of(j);
				struct learntab_entry got;
				bool found = learntab_get(t, &kj, 0, &got);
				assert_int_equal(found, model[j] != 0);
				if (found) {
					assert_int_equal(got.expires_s, 1000 + model[j] - 1);
					assert_true(entry_consistent(j, &got));
				}
			}
			assert_int_equal(learntab_count(t), present);
		}
	}
	/* The writer's iteration sees each entry once. */
	uint32_t seen = 0;
	for (uint32_t s = 0; s < learntab_slots(t); s++) {
		struct learntab_key k;
		struct learntab_entry e;
		seen += learntab_slot(t, s, &k, &e);
	}
	assert_int_equal(seen, present);
	learntab_free(t);
}

struct reader_ctx {
	const struct learntab *t;
	atomic_bool stop;
	atomic_uint torn, found;
};

static void *reader(void *arg)
{
	struct reader_ctx *c = arg;
	uint32_t i = 0;
	while (!atomic_load(&c->stop)) {
		struct learntab_key k = key_of(i % 512);
		struct learntab_entry e;
		if (learntab_get(c->t, &k, 0, &e)) {
			atomic_fetch_add(&c->found, 1);
			if (!entry_consistent(i % 512, &e)) {
				atomic_fetch_add(&c->torn, 1);
			}
		}
		i++;
	}
	return NULL;
}

/* One writer, two readers: no read ever returns an entry mixed from two writes. */
static void test_concurrent(void **state)
{
	struct learntab *t = learntab_new(2048);
	assert_non_null(t);
	struct reader_ctx c = {.t = t};
	atomic_init(&c.stop, false);
	atomic_init(&c.torn, 0);
	atomic_init(&c.found, 0);
	pthread_t th[2];
	for (int r = 0; r < 2; r++) {
		assert_int_equal(pthread_create(&th[r], NULL, reader, &c), 0);
	}
	/* 50000 writes at least; then on, for 10 s at most, until the readers (which a busy machine
	 * may start late) have read while the writer writes. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t round = 0;; round++) {
		if (round >= 50000 && (round % 1024) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (atomic_load(&c.found) > 1000 || now.tv_sec - t0.tv_sec > 10) {
				break;
			}
		}
		uint32_t i = round % 512;
		struct learntab_key k = key_of(i);
		if (round % 5 == 4) {
			learntab_del(t, &k);
		} else {
			struct learntab_entry e = entry_of(i, round);
			assert_int_equal(learntab_put(t, &k, &e), 0);
		}
	}
	atomic_store(&c.stop, true);
	for (int r = 0; r < 2; r++) {
		pthread_join(th[r], NULL);
	}
	assert_int_equal(atomic_load(&c.torn), 0);
	assert_true(atomic_load(&c.found) > 0);
	learntab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
