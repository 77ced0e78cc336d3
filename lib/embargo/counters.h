/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counters that one thread writes and other threads read whole, without a lock. */
#ifndef EMBARGO_COUNTERS_H
#define EMBARGO_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* 64-bit counters one snapshot can hold. */
#define COUNTERS_MAX 64

/*
 * A published copy of up to COUNTERS_MAX 64-bit counters. A 32-bit CPU cannot load or store a
 * 64-bit value in one access, so another thread reading a counter while its owner increments it
 * can see half a carry (0x1ffffffff for 0x100000000); a 64-bit atomic would take a lock there
 * (MIPS32). Instead each value is stored as two 32-bit halves (half[2i] the low one, half[2i+1]
 * the high one) under a sequence count that is odd while a publish is under way: a reader
 * that sees it change copies again. Every access is a lock-free 32-bit atomic.
 */
struct counters {
	atomic_uint seq;
	atomic_uint half[2 * COUNTERS_MAX];
};

/* All values 0. */
void counters_init(struct counters *c);

/* Publish `n` values (one writer thread only). Returns 0, or -EINVAL when n > COUNTERS_MAX. */
int counters_publish(struct counters *c, const uint64_t *values, size_t n);

/*
 * Copy the last published `n` values into `values` (any thread). Returns 0; -EAGAIN when the
 * copy overlapped a publish (`values` may then mix two publishes: try again); -EINVAL when
 * n > COUNTERS_MAX.
 */
int counters_read(const struct counters *c, uint64_t *values, size_t n);

#endif
