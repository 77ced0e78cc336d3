/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring: the counters of a bounded ring that one worker fills and the main loop empties,
 * without a lock and without the worker ever waiting (alert records, answers to learn from).
 * The slots are the caller's: an array of a power-of-two size.
 *
 * `head` and `tail` count slots ever filled and emptied; each is written by one side only, on
 * its own cache line. The producer fills a slot, then publishes it with a release store of
 * head; the consumer reads head with acquire, reads the slot, then frees it with a release
 * store of tail, which the producer reads with acquire before it fills that slot again. After
 * a batch the producer wakes the main loop (an eventfd) if it filled anything.
 */
#ifndef EMBARGOD_RING_H
#define EMBARGOD_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

struct ring {
	_Alignas(64) atomic_size_t head;
	_Alignas(64) atomic_size_t tail;
	_Alignas(64) int wake_fd; /* eventfd written after a batch that filled slots, or -1 */
	bool pushed;		  /* producer only: filled since the last wake */
};

static inline void ring_init(struct ring *r, int wake_fd)
{
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->wake_fd = wake_fd;
	r->pushed = false;
}

/* Producer: the index of the slot to fill (then ring_filled), or false when the ring of
 * `nslots` is full. */
static inline bool ring_slot_to_fill(struct ring *r, size_t nslots, size_t *slot)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail >= nslots) {
		return false;
	}
	*slot = head % nslots;
	return true;
}

static inline void ring_filled(struct ring *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	r->pushed = true;
}

/* Producer, after a batch: wake the consumer if anything was filled. */
static inline void ring_wake(struct ring *r)
{
	if (!r->pushed) {
		return;
	}
	r->pushed = false;
	if (r->wake_fd != -1) {
		uint64_t one = 1;
		/* Non-blocking eventfd: EAGAIN only when the counter is saturated, which means a
		 * wake-up is pending anyway. */
		ssize_t n = write(r->wake_fd, &one, sizeof(one));
		(void)n;
	}
}

/* Consumer: the index of the next filled slot (then ring_emptied), or false when none. */
static inline bool ring_slot_to_empty(struct ring *r, size_t nslots, size_t *slot)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail) {
		return false;
	}
	*slot = tail % nslots;
	return true;
}

static inline void ring_emptied(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

#endif
