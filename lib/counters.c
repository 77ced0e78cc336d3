/* SPDX-License-Identifier: GPL-2.0-or-later */
/* counters: a sequence-counted copy of 64-bit counters in 32-bit halves (see counters.h). */
#include <errno.h>

#include "embargo/counters.h"

void counters_init(struct counters *c)
{
	atomic_init(&c->seq, 0);
	for (size_t i = 0; i < 2 * COUNTERS_MAX; i++) {
		atomic_init(&c->half[i], 0);
	}
}

/* The writer: the count goes odd, then (release fence) the halves, then the count goes even
 * with release, so a reader that sees the even count sees every half stored before it. */
int counters_publish(struct counters *c, const uint64_t *values, size_t n)
{
	if (n > COUNTERS_MAX) {
		return -EINVAL;
	}
	unsigned s = atomic_load_explicit(&c->seq, memory_order_relaxed);
	atomic_store_explicit(&c->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < n; i++) {
		atomic_store_explicit(&c->half[2 * i], (unsigned)(values[i] & 0xffffffffu),
				      memory_order_relaxed);
		atomic_store_explicit(&c->half[2 * i + 1], (unsigned)(values[i] >> 32),
				      memory_order_relaxed);
	}
	atomic_store_explicit(&c->seq, s + 2, memory_order_release);
	return 0;
}

int counters_read(const struct counters *c, uint64_t *values, size_t n)
{
	if (n > COUNTERS_MAX) {
		return -EINVAL;
	}
	unsigned before = atomic_load_explicit(&c->seq, memory_order_acquire);
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = atomic_load_explicit(&c->half[2 * i], memory_order_relaxed);
		uint64_t hi = atomic_load_explicit(&c->half[2 * i + 1], memory_order_relaxed);
		values[i] = hi << 32 | lo;
	}
	/* The halves are loaded before the count is looked at again. */
	atomic_thread_fence(memory_order_acquire);
	unsigned after = atomic_load_explicit(&c->seq, memory_order_relaxed);
	return before == after && (before & 1u) == 0 ? 0 : -EAGAIN;
}
