/* SPDX-License-Identifier: GPL-2.0-or-later */
/* learning: the workers' answers to the learner on the main loop, and the learner's kernel set
 * operations to the kernel (see learning.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learning.h"
#include "ring.h"

_Static_assert((LEARNING_RING_SLOTS & (LEARNING_RING_SLOTS - 1)) == 0, "ring size: a power of two");

/* Kernel operations written per call (the learner queues at most LEARN_OPS_MAX). */
#define LEARNING_OPS_BATCH 256

struct learning_ring {
	struct ring r;
	bool urgent;	  /* producer only: an answer for a listed name since the last wake */
	unsigned unwoken; /* producer only: answers handed over since the last wake */
	struct learn_answer slots[LEARNING_RING_SLOTS];
};

struct learning {
	struct learner *learner;
	struct kset *kernel; /* NULL without kernel sets */
};

struct learning_ring *learning_ring_new(int wake_fd)
{
	struct learning_ring *r = aligned_alloc(64, sizeof(struct learning_ring));
	if (r != NULL) {
		memset(r, 0, sizeof(*r));
		ring_init(&r->r, wake_fd);
	}
	return r;
}

void learning_ring_free(struct learning_ring *r)
{
	free(r);
}

unsigned learning_push(struct learning_ring *r, const struct learn_answer *a, unsigned n)
{
	unsigned lost = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t slot;
		if (!ring_slot_to_fill(&r->r, LEARNING_RING_SLOTS, &slot)) {
			lost++;
			continue;
		}
		/* Only what the answer holds: the name, the counts, the addresses and fronts used
		 * (most answers carry an address or two and no front). */
		struct learn_answer *to = &r->slots[slot];
		to->name = a[i].name;
		to->naddrs = a[i].naddrs < LEARN_ANSWER_ADDRS ? a[i].naddrs : LEARN_ANSWER_ADDRS;
		to->nfronts =
			a[i].nfronts < LEARN_ANSWER_FRONTS ? a[i].nfronts : LEARN_ANSWER_FRONTS;
		to->has_ech = a[i].has_ech;
		to->listed = a[i].listed;
		r->urgent |= a[i].listed;
		r->unwoken++;
		to->ech_ttl = a[i].ech_ttl;
		memcpy(to->addrs, a[i].addrs, to->naddrs * sizeof(to->addrs[0]));
		memcpy(to->fronts, a[i].fronts, to->nfronts * sizeof(to->fronts[0]));
		ring_filled(&r->r);
	}
	return lost;
}

void learning_wake(struct learning_ring *r)
{
	if (!r->urgent && r->unwoken < LEARNING_WAKE_AT) {
		return; /* (the main loop's once-a-second drain takes them otherwise) */
	}
	r->urgent = false;
	r->unwoken = 0;
	ring_wake(&r->r);
}

struct learning *learning_new(const struct learn_limits *lim, int backend, char *err,
			      size_t err_size)
{
	struct learning *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	l->learner = learn_new(lim);
	if (l->learner == NULL) {
		snprintf(err, err_size, "out of memory for %u learned addresses per family",
			 lim->per_family);
		learning_free(l);
		return NULL;
	}
	if (backend != 0) {
		l->kernel = kset_open((enum kset_backend)backend, err, err_size);
		if (l->kernel == NULL) {
			learning_free(l);
			return NULL;
		}
	}
	return l;
}

void learning_free(struct learning *l)
{
	if (l != NULL) {
		learn_free(l->learner);
		kset_close(l->kernel);
		free(l);
	}
}

const struct learntab *learning_table(const struct learning *l)
{
	return learn_table(l->learner);
}

const struct learner *learning_learner(const struct learning *l)
{
	return l->learner;
}

/* What the learner queued for the kernel, written now. */
static void write_kernel(struct learning *l)
{
	struct learn_op ops[LEARNING_OPS_BATCH];
	size_t n;
	while ((n = learn_take_ops(l->learner, ops, LEARNING_OPS_BATCH)) > 0) {
		if (l->kernel != NULL) {
			kset_send(l->kernel, ops, n);
		}
	}
}

void learning_drain(struct learning *l, struct learning_ring *r, const struct policy *p,
		    uint64_t now_ms)
{
	size_t slot, taken = 0;
	/* At most one ring's worth per call, so that a busy worker cannot hold the main loop. */
	while (taken < LEARNING_RING_SLOTS &&
	       ring_slot_to_empty(&r->r, LEARNING_RING_SLOTS, &slot)) {
		learn_answer(l->learner, p, &r->slots[slot], (uint32_t)(now_ms / 1000));
		ring_emptied(&r->r);
		taken++;
	}
	write_kernel(l);
}

void learning_tick(struct learning *l, uint64_t now_ms)
{
	learn_tick(l->learner, (uint32_t)(now_ms / 1000));
	write_kernel(l);
	learning_kernel_readable(l);
}

void learning_rejudge(struct learning *l, const struct policy *p, uint64_t now_ms)
{
	learn_rejudge(l->learner, p, (uint32_t)(now_ms / 1000));
	write_kernel(l);
}

int learning_kernel_fd(const struct learning *l)
{
	return l->kernel != NULL ? kset_fd(l->kernel) : -1;
}

void learning_kernel_readable(struct learning *l)
{
	if (l->kernel != NULL) {
		kset_receive(l->kernel);
	}
}

void learning_get_stats(const struct learning *l, struct learning_stats *st)
{
	memset(st, 0, sizeof(*st));
	learn_get_stats(l->learner, &st->learn);
	if (l->kernel != NULL) {
		kset_get_stats(l->kernel, &st->kernel);
	}
}
