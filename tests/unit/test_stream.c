/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for stream reassembly: ordered, reversed, overlapping, conflicting and random pieces. */
#include "test.h"

#include "embargo/stream.h"

static void test_in_order(void **state)
{
	uint8_t store[64];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	assert_int_equal(stream_put(&s, 0, (const uint8_t *)"hello ", 6), 6);
	assert_int_equal(stream_put(&s, 6, (const uint8_t *)"world", 5), 5);
	assert_int_equal(stream_contiguous(&s), 11);
	assert_memory_equal(store, "hello world", 11);
	assert_false(s.conflict);
	assert_false(s.overflow);
	assert_int_equal(s.nranges, 0);
}

static void test_reverse_and_gap(void **state)
{
	uint8_t store[64];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	assert_int_equal(stream_put(&s, 8, (const uint8_t *)"89", 2), 2);
	assert_int_equal(stream_put(&s, 4, (const uint8_t *)"45", 2), 2);
	assert_int_equal(stream_contiguous(&s), 0);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(stream_put(&s, 6, (const uint8_t *)"67", 2), 2);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].start, 4);
	assert_int_equal(s.ranges[0].end, 10);
	assert_int_equal(stream_put(&s, 0, (const uint8_t *)"0123", 4), 4);
	assert_int_equal(stream_contiguous(&s), 10);
	assert_int_equal(s.nranges, 0);
	assert_memory_equal(store, "0123456789", 10);
}

static void test_overlap_same_and_conflict(void **state)
{
	uint8_t store[64];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	assert_int_equal(stream_put(&s, 0, (const uint8_t *)"abcdef", 6), 6);
	/* A retransmission with the same bytes plus two new ones. */
	assert_int_equal(stream_put(&s, 3, (const uint8_t *)"defgh", 5), 2);
	assert_false(s.conflict);
	/* A decoy for bytes already held: first copy wins, conflict is flagged. */
	assert_int_equal(stream_put(&s, 1, (const uint8_t *)"XY", 2), 0);
	assert_true(s.conflict);
	assert_memory_equal(store, "abcdefgh", 8);
}

static void test_conflict_in_range(void **state)
{
	uint8_t store[64];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	stream_put(&s, 10, (const uint8_t *)"klmn", 4);
	assert_false(s.conflict);
	/* Covers the gap before the range, the range (different bytes) and the tail. */
	assert_int_equal(stream_put(&s, 8, (const uint8_t *)"ijKLMNop", 8), 4);
	assert_true(s.conflict);
	assert_memory_equal(store + 8, "ijklmnop", 8);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].start, 8);
	assert_int_equal(s.ranges[0].end, 16);
}

static void test_capacity(void **state)
{
	uint8_t store[8];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	assert_int_equal(stream_put(&s, 6, (const uint8_t *)"6789", 4), 2);
	assert_true(s.overflow);
	assert_int_equal(stream_put(&s, 100, (const uint8_t *)"x", 1), 0);
	assert_int_equal(stream_put(&s, UINT64_MAX, (const uint8_t *)"x", 1), 0);
	assert_int_equal(stream_put(&s, 0, (const uint8_t *)"012345", 6), 6);
	assert_int_equal(stream_contiguous(&s), 8);
}

static void test_too_many_ranges(void **state)
{
	uint8_t store[256];
	struct stream_buf s;

	stream_init(&s, store, sizeof(store));
	for (unsigned i = 0; i < STREAM_RANGES_MAX; i++) {
		assert_int_equal(stream_put(&s, 2 + 4 * i, (const uint8_t *)"x", 1), 1);
	}
	assert_false(s.overflow);
	assert_int_equal(s.nranges, STREAM_RANGES_MAX);
	/* One more separate piece cannot be remembered. */
	assert_int_equal(stream_put(&s, 200, (const uint8_t *)"y", 1), 0);
	assert_true(s.overflow);
	/* A piece that joins existing ranges still works. */
	assert_int_equal(stream_put(&s, 0, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(stream_contiguous(&s), 3);
}

/* Random pieces of a reference stream, any order, with overlaps: the contiguous prefix must
 * always equal the longest known prefix of a bitmap model, and the bytes must match. */
static void test_random_against_model(void **state)
{
	enum {
		LEN = 2000
	};
	static uint8_t ref[LEN], store[LEN];
	uint64_t rng = 12345;

	for (unsigned round = 0; round < 300; round++) {
		bool known[LEN] = {false};
		struct stream_buf s;
		stream_init(&s, store, LEN);
		for (unsigned i = 0; i < LEN; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			ref[i] = (uint8_t)(rng >> 33);
		}
		for (unsigned piece = 0; piece < 200 && stream_contiguous(&s) < LEN; piece++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			uint32_t off = (uint32_t)((rng >> 33) % LEN);
			uint32_t len = 1 + (uint32_t)((rng >> 13) % 300);
			if (len > LEN - off) {
				len = LEN - off;
			}
			struct stream_buf before = s;
			size_t added = stream_put(&s, off, ref + off, len);
			if (s.overflow) {
				/* Out of range slots: nothing of this piece is claimed. */
				assert_int_equal(added, 0);
				s = before;
				continue;
			}
			size_t expect_added = 0;
			for (uint32_t k = off; k < off + len; k++) {
				expect_added += !known[k];
				known[k] = true;
			}
			assert_int_equal(added, expect_added);
			uint32_t prefix = 0;
			while (prefix < LEN && known[prefix]) {
				prefix++;
			}
			assert_int_equal(stream_contiguous(&s), prefix);
			assert_memory_equal(store, ref, prefix);
			assert_false(s.conflict);
		}
	}
}

/* What the held copy of a TCP stream needs: compare a copy, overwrite with it, cut it, move its
 * start, copy it. */
static void test_differs_write_truncate(void **state)
{
	uint8_t store[64];
	struct stream_buf s;
	stream_init(&s, store, sizeof(store));
	stream_put(&s, 0, (const uint8_t *)"abcdef", 6);
	stream_put(&s, 10, (const uint8_t *)"klm", 3);
	/* Only known bytes are compared: a gap never differs. */
	assert_false(stream_differs(&s, 0, (const uint8_t *)"abcdefGHIJklm", 13));
	assert_true(stream_differs(&s, 11, (const uint8_t *)"X", 1));
	assert_true(stream_differs(&s, 2, (const uint8_t *)"cX", 2));
	assert_false(stream_differs(&s, 6, (const uint8_t *)"zzzz", 4));
	assert_false(stream_differs(&s, 64, (const uint8_t *)"x", 1));
	/* The last copy wins, new bytes are counted, and no conflict is raised. */
	assert_int_equal(stream_write(&s, 4, (const uint8_t *)"EFGH", 4), 2);
	assert_false(s.conflict);
	assert_memory_equal(store, "abcdEFGH", 8);
	assert_int_equal(stream_contiguous(&s), 8);
	/* Cut at 5: the range past it goes too. */
	stream_truncate(&s, 5);
	assert_int_equal(stream_contiguous(&s), 5);
	assert_int_equal(s.nranges, 0);
	assert_false(stream_differs(&s, 5, (const uint8_t *)"zz", 2));
}

static void test_shift_and_copy(void **state)
{
	uint8_t store[64], other[64];
	struct stream_buf s, t;
	stream_init(&s, store, sizeof(store));
	stream_put(&s, 0, (const uint8_t *)"0123456789", 10);
	stream_put(&s, 20, (const uint8_t *)"KLMN", 4);
	/* Offset 4 becomes 0; the range moves with it. */
	stream_shift(&s, 4);
	assert_int_equal(stream_contiguous(&s), 6);
	assert_memory_equal(store, "456789", 6);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.ranges[0].start, 16);
	assert_false(stream_differs(&s, 16, (const uint8_t *)"KLMN", 4));
	assert_true(stream_differs(&s, 16, (const uint8_t *)"KLMX", 4));
	/* Past every prefix byte into the range: the range becomes the prefix. */
	stream_shift(&s, 17);
	assert_int_equal(stream_contiguous(&s), 3);
	assert_memory_equal(store, "LMN", 3);
	/* A copy holds the same bytes in its own storage. */
	stream_init(&t, other, sizeof(other));
	stream_copy(&t, &s);
	assert_ptr_equal(t.data, other);
	assert_int_equal(stream_contiguous(&t), 3);
	assert_memory_equal(other, "LMN", 3);
	stream_write(&t, 0, (const uint8_t *)"x", 1);
	assert_memory_equal(store, "LMN", 3); /* the original is untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reverse_and_gap),
		cmocka_unit_test(test_overlap_same_and_conflict),
		cmocka_unit_test(test_conflict_in_range),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_too_many_ranges),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_differs_write_truncate),
		cmocka_unit_test(test_shift_and_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
