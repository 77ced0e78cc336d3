/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for counters: values past 32 bits come back whole, a copy that overlaps a publish
 * is refused instead of returned half-updated, and a reader racing a writer only ever sees
 * values the writer published. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "test.h"

#include "embargo/counters.h"

static void test_round_trip(void **state)
{
	(void)state;
	struct counters c;
	counters_init(&c);
	uint64_t out[3] = {1, 1, 1};
	assert_int_equal(counters_read(&c, out, 3), 0);
	assert_true(out[0] == 0 && out[1] == 0 && out[2] == 0);
	const uint64_t in[3] = {0xffffffffu, 0x100000000u, UINT64_MAX};
	assert_int_equal(counters_publish(&c, in, 3), 0);
	assert_int_equal(counters_read(&c, out, 3), 0);
	assert_memory_equal(in, out, sizeof(in));
	uint64_t many[COUNTERS_MAX + 1] = {0};
	assert_int_equal(counters_publish(&c, many, COUNTERS_MAX + 1), -EINVAL);
	assert_int_equal(counters_read(&c, many, COUNTERS_MAX + 1), -EINVAL);
}

/* A reader that comes in while the writer has stored the new low half (0 for 0x100000000) but
 * not yet the high one must not take 0x0 (or 0x1ffffffff) for a count. */
static void test_publish_in_progress_refused(void **state)
{
	(void)state;
	struct counters c;
	counters_init(&c);
	const uint64_t old = 0xffffffffu;
	assert_int_equal(counters_publish(&c, &old, 1), 0);
	/* The writer's steps, stopped half-way. */
	unsigned s = atomic_load(&c.seq);
	atomic_store(&c.seq, s + 1);
	atomic_store(&c.half[0], 0);
	uint64_t out = 7;
	assert_int_equal(counters_read(&c, &out, 1), -EAGAIN);
	atomic_store(&c.half[1], 1);
	atomic_store(&c.seq, s + 2);
	assert_int_equal(counters_read(&c, &out, 1), 0);
	assert_true(out == 0x100000000u);
}

/* Reads the reader makes while the writer publishes without a pause. */
#define RACE_READS 100000

struct race {
	struct counters c;
	atomic_bool stop;
};

/* Alternates between two states that differ in both halves of both counters, until told to
 * stop; it yields now and then so that the reader also gets copies that do not overlap. */
static void *race_writer(void *arg)
{
	struct race *r = arg;
	for (unsigned i = 0; !atomic_load(&r->stop); i++) {
		const uint64_t v[2] = {(i & 1u) != 0 ? 0x100000000u : 0xffffffffu,
				       (i & 1u) != 0 ? 0xffffffffu : 0x100000000u};
		counters_publish(&r->c, v, 2);
		if (i % 64 == 0) {
			sched_yield();
		}
	}
	return NULL;
}

static void test_reader_racing_writer(void **state)
{
	(void)state;
	struct race r;
	counters_init(&r.c);
	const uint64_t first[2] = {0xffffffffu, 0x100000000u};
	counters_publish(&r.c, first, 2);
	atomic_init(&r.stop, false);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, race_writer, &r), 0);
	unsigned good = 0, torn = 0;
	for (unsigned i = 0; i < RACE_READS || good == 0; i++) {
		uint64_t v[2];
		if (counters_read(&r.c, v, 2) != 0) {
			continue;
		}
		bool whole = (v[0] == 0xffffffffu && v[1] == 0x100000000u) ||
			     (v[0] == 0x100000000u && v[1] == 0xffffffffu);
		if (whole) {
			good++;
		} else {
			torn++;
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(torn, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_publish_in_progress_refused),
		cmocka_unit_test(test_reader_racing_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
