/* SPDX-License-Identifier: GPL-2.0-or-later */
/* learntab: the learned-entry table, one writer and lock-free readers (see learntab.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/learntab.h"

/* Words of a slot: the key (kind, then the 16 key bytes in 4 words), then the entry. */
enum {
	W_KIND = 0,
	W_KEY = 1, /* 4 words */
	W_EXPIRES = 5,
	W_GENERATION,
	W_LINE,
	W_FILE_VENDOR,	    /* file_id | vendor_id << 16 */
	W_CAT_ACTION_FLAGS, /* category_id | action << 16 | flags << 24 */
	W_INFO,
	W_WORDS,
};

struct slot {
	atomic_uint seq; /* odd while the writer changes the slot */
	atomic_uint w[W_WORDS];
};

struct learntab {
	struct slot *slots;
	uint32_t mask; /* slots - 1 */
	uint32_t count;
};

/* Reads of one slot before a reader gives up on it (the writer is changing it right now). */
#define LEARNTAB_READ_TRIES   4
#define LEARNTAB_CAPACITY_MAX (1u << 24)

struct learntab *learntab_new(uint32_t capacity)
{
	if (capacity == 0 || capacity > LEARNTAB_CAPACITY_MAX) {
		return NULL;
	}
	uint32_t n = 16;
	while (n < capacity) {
		n <<= 1;
	}
	struct learntab *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		atomic_init(&t->slots[i].seq, 0);
		for (unsigned k = 0; k < W_WORDS; k++) {
			atomic_init(&t->slots[i].w[k], 0);
		}
	}
	t->mask = n - 1;
	return t;
}

void learntab_free(struct learntab *t)
{
	if (t != NULL) {
		free(t->slots);
		free(t);
	}
}

uint32_t learntab_slots(const struct learntab *t)
{
	return t->mask + 1;
}

uint32_t learntab_count(const struct learntab *t)
{
	return t->count;
}

static void key_words(const struct learntab_key *k, uint32_t *w)
{
	w[0] = k->kind;
	for (unsigned i = 0; i < 4; i++) {
		w[1 + i] = (uint32_t)k->bytes[4 * i] << 24 | (uint32_t)k->bytes[4 * i + 1] << 16 |
			   (uint32_t)k->bytes[4 * i + 2] << 8 | k->bytes[4 * i + 3];
	}
}

static uint32_t home(const struct learntab *t, const uint32_t *kw)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = 0; i < 5; i++) {
		h = (h ^ kw[i]) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32) & t->mask;
}

static void entry_words(const struct learntab_entry *e, uint32_t *w)
{
	w[W_EXPIRES] = e->expires_s;
	w[W_GENERATION] = e->generation;
	w[W_LINE] = e->rule_line;
	w[W_FILE_VENDOR] = (uint32_t)e->file_id | (uint32_t)e->vendor_id << 16;
	w[W_CAT_ACTION_FLAGS] =
		(uint32_t)e->category_id | (uint32_t)e->action << 16 | (uint32_t)e->flags << 24;
	w[W_INFO] = e->info;
}

static void words_entry(const uint32_t *w, struct learntab_entry *e)
{
	e->expires_s = w[W_EXPIRES];
	e->generation = w[W_GENERATION];
	e->rule_line = w[W_LINE];
	e->file_id = (uint16_t)w[W_FILE_VENDOR];
	e->vendor_id = (uint16_t)(w[W_FILE_VENDOR] >> 16);
	e->category_id = (uint16_t)w[W_CAT_ACTION_FLAGS];
	e->action = (uint8_t)(w[W_CAT_ACTION_FLAGS] >> 16);
	e->flags = (uint8_t)(w[W_CAT_ACTION_FLAGS] >> 24);
	e->info = w[W_INFO];
}

/* A consistent copy of slot `s`: false when the writer kept changing it. */
static bool read_slot(const struct slot *s, uint32_t *w)
{
	for (unsigned tries = 0; tries < LEARNTAB_READ_TRIES; tries++) {
		unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);
		for (unsigned i = 0; i < W_WORDS; i++) {
			w[i] = atomic_load_explicit(&s->w[i], memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire);
		unsigned after = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (before == after && (before & 1u) == 0) {
			return true;
		}
	}
	return false;
}

/* The writer: the count goes odd, the words change, the count goes even (as counters.c). */
static void write_slot(struct slot *s, const uint32_t *w)
{
	unsigned seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (unsigned i = 0; i < W_WORDS; i++) {
		atomic_store_explicit(&s->w[i], w[i], memory_order_relaxed);
	}
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

/* The writer's view of a slot (nobody else writes it). */
static void own_slot(const struct slot *s, uint32_t *w)
{
	for (unsigned i = 0; i < W_WORDS; i++) {
		w[i] = atomic_load_explicit(&s->w[i], memory_order_relaxed);
	}
}

static bool same_key(const uint32_t *w, const uint32_t *kw)
{
	return memcmp(w, kw, 5 * sizeof(uint32_t)) == 0;
}

bool learntab_get(const struct learntab *t, const struct learntab_key *k, uint32_t now_s,
		  struct learntab_entry *out)
{
	uint32_t kw[5], w[W_WORDS];
	key_words(k, kw);
	uint32_t i = home(t, kw);
	for (unsigned probe = 0; probe < LEARNTAB_PROBE_MAX; probe++, i = (i + 1) & t->mask) {
		if (!read_slot(&t->slots[i], w) || w[W_KIND] == LEARNTAB_NONE) {
			return false;
		}
		if (same_key(w, kw)) {
			words_entry(w, out);
			return now_s < out->expires_s;
		}
	}
	return false;
}

int learntab_put(struct learntab *t, const struct learntab_key *k, const struct learntab_entry *e)
{
	uint32_t kw[5], w[W_WORDS];
	key_words(k, kw);
	uint32_t i = home(t, kw);
	for (unsigned probe = 0; probe < LEARNTAB_PROBE_MAX; probe++, i = (i + 1) & t->mask) {
		own_slot(&t->slots[i], w);
		bool empty = w[W_KIND] == LEARNTAB_NONE;
		if (empty || same_key(w, kw)) {
			if (empty && t->count >= (t->mask + 1) / 2) {
				return -ENOSPC;
			}
			memcpy(w, kw, sizeof(kw));
			entry_words(e, w);
			write_slot(&t->slots[i], w);
			t->count += empty;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Distance of slot `i` from `h` along the probe sequence. */
static uint32_t distance(const struct learntab *t, uint32_t h, uint32_t i)
{
	return (i - h) & t->mask;
}

int learntab_del(struct learntab *t, const struct learntab_key *k)
{
	uint32_t kw[5], w[W_WORDS];
	key_words(k, kw);
	uint32_t i = home(t, kw);
	unsigned probe = 0;
	for (;; probe++, i = (i + 1) & t->mask) {
		if (probe == LEARNTAB_PROBE_MAX) {
			return -ENOENT;
		}
		own_slot(&t->slots[i], w);
		if (w[W_KIND] == LEARNTAB_NONE) {
			return -ENOENT;
		}
		if (same_key(w, kw)) {
			break;
		}
	}
	/* Backward shift: each later entry of the run that may live in the hole moves into
	 * it, so that no lookup stops early at an empty slot. */
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & t->mask; j != hole; j = (j + 1) & t->mask) {
		own_slot(&t->slots[j], w);
		if (w[W_KIND] == LEARNTAB_NONE) {
			break;
		}
		uint32_t h = home(t, w);
		if (distance(t, h, j) >= distance(t, hole, j)) {
			write_slot(&t->slots[hole], w);
			hole = j;
		}
	}
	memset(w, 0, sizeof(w));
	write_slot(&t->slots[hole], w);
	t->count--;
	return 0;
}

bool learntab_slot(const struct learntab *t, uint32_t i, struct learntab_key *k,
		   struct learntab_entry *e)
{
	uint32_t w[W_WORDS];
	if (i > t->mask) {
		return false;
	}
	own_slot(&t->slots[i], w);
	if (w[W_KIND] == LEARNTAB_NONE) {
		return false;
	}
	k->kind = (uint8_t)w[W_KIND];
	for (unsigned n = 0; n < 4; n++) {
		k->bytes[4 * n] = (uint8_t)(w[W_KEY + n] >> 24);
		k->bytes[4 * n + 1] = (uint8_t)(w[W_KEY + n] >> 16);
		k->bytes[4 * n + 2] = (uint8_t)(w[W_KEY + n] >> 8);
		k->bytes[4 * n + 3] = (uint8_t)w[W_KEY + n];
	}
	words_entry(w, e);
	return true;
}
