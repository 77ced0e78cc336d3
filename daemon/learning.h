/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learning: what the workers learn from DNS answers reaches the learner (lib/learn.c) on the
 * main loop, and its kernel set operations reach the kernel (kset.c).
 *
 * Each worker hands its answers over through a bounded ring of its own (ring.h) and never
 * waits: a full ring counts the answer as lost. The main loop drains the rings, keeps the
 * learner, writes the kernel sets without waiting, and after a reload judges every learned
 * entry again. learning_push and learning_wake are called by the ring's worker only; every
 * other function by the main loop only.
 */
#ifndef EMBARGOD_LEARNING_H
#define EMBARGOD_LEARNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/learn.h"
#include "embargo/policy.h"
#include "kset.h"

/* Answers one worker can hand over before the main loop drains them (a power of two), and
 * how many answers of unlisted names it gathers before it wakes the main loop (an answer for
 * a listed name wakes it at once; the others only tell shared addresses, which can wait for
 * a batch or the main loop's next second). */
#define LEARNING_RING_SLOTS 512
#define LEARNING_WAKE_AT    128

struct learning_ring;

struct learning_ring *learning_ring_new(int wake_fd);
void learning_ring_free(struct learning_ring *r);

/* Worker side: hand `n` answers over; returns how many were lost (the ring was full). */
unsigned learning_push(struct learning_ring *r, const struct learn_answer *a, unsigned n);

/* Worker side, after a batch of packets: wake the main loop if an answer for a listed name
 * was handed over, or LEARNING_WAKE_AT answers are waiting. */
void learning_wake(struct learning_ring *r);

struct learning;

/* The learner with these limits, and (backend not 0) the kernel sets to mirror it in; the
 * netlink socket is opened here, before privileges go. NULL with a message in `err`. */
struct learning *learning_new(const struct learn_limits *lim, int backend, char *err,
			      size_t err_size);
void learning_free(struct learning *l);

/* The table the workers read. */
const struct learntab *learning_table(const struct learning *l);
const struct learner *learning_learner(const struct learning *l);

/* Main loop: take every answer waiting in `r`, judged under the policy in force `p`, at
 * `now_ms` (CLOCK_MONOTONIC), and write what that changed to the kernel. */
void learning_drain(struct learning *l, struct learning_ring *r, const struct policy *p,
		    uint64_t now_ms);

/* Main loop, about once a second: expiry, re-adds, the kernel's answers. */
void learning_tick(struct learning *l, uint64_t now_ms);

/* Main loop, after a reload swapped `p` in. */
void learning_rejudge(struct learning *l, const struct policy *p, uint64_t now_ms);

/* The kernel socket to watch (-1 without kernel sets), and what to do when it is readable. */
int learning_kernel_fd(const struct learning *l);
void learning_kernel_readable(struct learning *l);

struct learning_stats {
	struct learn_stats learn;
	struct kset_stats kernel;
};
void learning_get_stats(const struct learning *l, struct learning_stats *st);

#endif
