/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flow table and reassembly buffer pool, with per-client shares: one client that holds many
 * flows or buffers loses its own oldest ones, never another client's. */
#include <stdlib.h>
#include <string.h>

#include "flow.h"

/* A client (source address: IPv4 /32, IPv6 /128) that holds flows. */
struct flow_source {
	uint8_t addr[16];
	uint8_t ip_version;
	bool used;
	uint32_t flows;
	uint32_t buffers;
	uint32_t hash_next;  /* next source in the same bucket, or the free list */
	uint32_t head, tail; /* its flows, most recently used first */
};

/* Intrusive list of flows threaded through two index fields of struct flow. */
struct flow_list {
	uint32_t head, tail;
	uint32_t count;
};

struct flow_table {
	struct inspect_limits lim;
	struct flow *flows;
	uint32_t *buckets; /* heads of hash chains */
	uint32_t nbuckets; /* power of two */
	/* Entries are taken in order the first time (flows[fresh_flows] is the next never used,
	 * and nothing touches the ones above it: a table the traffic never fills costs no memory
	 * for its untouched part), then from the list of freed ones. */
	uint32_t free_head;
	uint32_t fresh_flows;
	struct flow_list by_state[FLOW_DECIDED + 1]; /* LRU lists: undecided, decided */
	struct flow_source *sources;		     /* max_flows entries */
	uint32_t *source_buckets;		     /* nbuckets heads */
	uint32_t source_free;
	uint32_t fresh_sources; /* as fresh_flows, for sources */
	uint32_t nsources;
	uint8_t *data;		    /* max_buffers * buffer_bytes */
	struct stream_buf *streams; /* per buffer */
	struct quic_flow *quic;	    /* per buffer */
	uint32_t *free_buffers;	    /* stack of free buffer indices */
	uint32_t nfree_buffers;
	struct inspect_stats stats;
};

/* Eight bytes as one word, in the CPU's byte order (the hash only has to agree with itself). */
static inline uint64_t load_word(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

/* A multiply-rotate mix over 8-byte words (looked up several times per packet: a byte-wise hash
 * of a 40-byte key cost more than the rest of the lookup), then a final avalanche so that the
 * low bits, which pick the bucket, depend on every input bit. `n` is a multiple of 8. */
static uint64_t hash_words(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i += 8) {
		h ^= load_word(p + i) * 0x9e3779b97f4a7c15ULL;
		h = (h << 31 | h >> 33) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h;
}

_Static_assert(sizeof(struct flow_key) % 8 == 0, "flow keys are hashed as whole words");

static uint32_t key_bucket(const struct flow_table *t, const struct flow_key *k)
{
	return (uint32_t)hash_words((const uint8_t *)k, sizeof(*k), 0) & (t->nbuckets - 1);
}

static uint32_t source_bucket(const struct flow_table *t, const uint8_t *addr, uint8_t version)
{
	return (uint32_t)hash_words(addr, 16, version) & (t->nbuckets - 1);
}

struct flow_table *flow_table_new(const struct inspect_limits *lim)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->lim = *lim;
	if (t->lim.max_flows < 2) {
		t->lim.max_flows = 2;
	}
	if (t->lim.max_flows > (1u << 24)) {
		t->lim.max_flows = 1u << 24;
	}
	if (t->lim.buffer_bytes < 64) {
		t->lim.buffer_bytes = 64;
	}
	/* Checked before any size below is computed: on a 32-bit CPU the product wraps size_t, and
	 * a pool allocated short would be written past its end. */
	if (t->lim.max_buffers > INSPECT_POOL_BYTES_MAX / t->lim.buffer_bytes) {
		free(t);
		return NULL;
	}
	uint32_t nf = t->lim.max_flows, nb = t->lim.max_buffers;
	t->nbuckets = 1;
	while (t->nbuckets < nf * 2) {
		t->nbuckets <<= 1;
	}
	t->flows = calloc(nf, sizeof(*t->flows));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->sources = calloc(nf, sizeof(*t->sources));
	t->source_buckets = malloc(t->nbuckets * sizeof(*t->source_buckets));
	t->data = malloc((size_t)nb * t->lim.buffer_bytes + 1);
	t->streams = calloc((size_t)nb + 1, sizeof(*t->streams));
	t->quic = calloc((size_t)nb + 1, sizeof(*t->quic));
	t->free_buffers = malloc(((size_t)nb + 1) * sizeof(uint32_t));
	if (t->flows == NULL || t->buckets == NULL || t->sources == NULL ||
	    t->source_buckets == NULL || t->data == NULL || t->streams == NULL || t->quic == NULL ||
	    t->free_buffers == NULL) {
		flow_table_free(t);
		return NULL;
	}
	/* Flows and sources are not touched here: see fresh_flows. */
	t->free_head = t->source_free = FLOW_NONE;
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		t->buckets[i] = FLOW_NONE;
		t->source_buckets[i] = FLOW_NONE;
	}
	for (unsigned s = 0; s <= FLOW_DECIDED; s++) {
		t->by_state[s].head = t->by_state[s].tail = FLOW_NONE;
	}
	for (uint32_t i = 0; i < nb; i++) {
		t->free_buffers[i] = nb - 1 - i;
	}
	t->nfree_buffers = nb;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL) {
		return;
	}
	free(t->flows);
	free(t->buckets);
	free(t->sources);
	free(t->source_buckets);
	free(t->data);
	free(t->streams);
	free(t->quic);
	free(t->free_buffers);
	free(t);
}

/* ---- lists ---- */

static void state_unlink(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];
	struct flow_list *l = &t->by_state[f->state];
	if (f->lru_prev != FLOW_NONE) {
		t->flows[f->lru_prev].lru_next = f->lru_next;
	} else {
		l->head = f->lru_next;
	}
	if (f->lru_next != FLOW_NONE) {
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	} else {
		l->tail = f->lru_prev;
	}
	l->count--;
}

static void state_push(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];
	struct flow_list *l = &t->by_state[f->state];
	f->lru_prev = FLOW_NONE;
	f->lru_next = l->head;
	if (l->head != FLOW_NONE) {
		t->flows[l->head].lru_prev = i;
	}
	l->head = i;
	if (l->tail == FLOW_NONE) {
		l->tail = i;
	}
	l->count++;
}

static void source_unlink(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];
	struct flow_source *s = &t->sources[f->source];
	if (f->src_prev != FLOW_NONE) {
		t->flows[f->src_prev].src_next = f->src_next;
	} else {
		s->head = f->src_next;
	}
	if (f->src_next != FLOW_NONE) {
		t->flows[f->src_next].src_prev = f->src_prev;
	} else {
		s->tail = f->src_prev;
	}
}

static void source_push(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->flows[i];
	struct flow_source *s = &t->sources[f->source];
	f->src_prev = FLOW_NONE;
	f->src_next = s->head;
	if (s->head != FLOW_NONE) {
		t->flows[s->head].src_prev = i;
	}
	s->head = i;
	if (s->tail == FLOW_NONE) {
		s->tail = i;
	}
}

/* ---- sources ---- */

static uint32_t source_find(struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = t->source_buckets[source_bucket(t, k->src, k->ip_version)];
	while (i != FLOW_NONE && (t->sources[i].ip_version != k->ip_version ||
				  memcmp(t->sources[i].addr, k->src, 16))) {
		i = t->sources[i].hash_next;
	}
	return i;
}

/* The source of `k`, added if new. There is always room: every source holds a flow, and there
 * are as many source entries as flows. */
static uint32_t source_get(struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = source_find(t, k);
	if (i != FLOW_NONE) {
		return i;
	}
	if (t->source_free != FLOW_NONE) {
		i = t->source_free;
		t->source_free = t->sources[i].hash_next;
	} else {
		i = t->fresh_sources++;
	}
	struct flow_source *s = &t->sources[i];
	memset(s, 0, sizeof(*s));
	memcpy(s->addr, k->src, 16);
	s->ip_version = k->ip_version;
	s->used = true;
	s->head = s->tail = FLOW_NONE;
	uint32_t *b = &t->source_buckets[source_bucket(t, k->src, k->ip_version)];
	s->hash_next = *b;
	*b = i;
	t->nsources++;
	return i;
}

static void source_release(struct flow_table *t, uint32_t i)
{
	struct flow_source *s = &t->sources[i];
	if (s->flows > 0) {
		return;
	}
	uint32_t *link = &t->source_buckets[source_bucket(t, s->addr, s->ip_version)];
	while (*link != FLOW_NONE && *link != i) {
		link = &t->sources[*link].hash_next;
	}
	if (*link == i) {
		*link = s->hash_next;
	}
	s->used = false;
	s->hash_next = t->source_free;
	t->source_free = i;
	t->nsources--;
}

/* The client's shares: an explicit limit, else an eighth of the table (at least 8 flows and
 * 2 buffers), never more than the whole. */
static uint32_t share_flows(const struct flow_table *t)
{
	uint32_t n = t->lim.source_flows != 0 ? t->lim.source_flows : t->lim.max_flows / 8;
	n = n < 8 ? 8 : n;
	return n > t->lim.max_flows ? t->lim.max_flows : n;
}

static uint32_t share_buffers(const struct flow_table *t)
{
	uint32_t n = t->lim.source_buffers != 0 ? t->lim.source_buffers : t->lim.max_buffers / 8;
	n = n < 2 ? 2 : n;
	return n > t->lim.max_buffers ? t->lim.max_buffers : n;
}

/* ---- flows ---- */

struct flow *flow_find(struct flow_table *t, const struct flow_key *k)
{
	uint32_t i = t->buckets[key_bucket(t, k)];
	while (i != FLOW_NONE && memcmp(&t->flows[i].key, k, sizeof(*k)) != 0) {
		i = t->flows[i].hash_next;
	}
	return i != FLOW_NONE ? &t->flows[i] : NULL;
}

void flow_remove(struct flow_table *t, struct flow *f)
{
	uint32_t i = (uint32_t)(f - t->flows);
	uint32_t *link = &t->buckets[key_bucket(t, &f->key)];

	while (*link != FLOW_NONE && *link != i) {
		link = &t->flows[*link].hash_next;
	}
	if (*link == i) {
		*link = f->hash_next;
	}
	flow_buffer_put(t, f, &f->buffer);
	flow_buffer_put(t, f, &f->alt_buffer);
	if (f->key.l4_proto == PKT_PROTO_UDP) {
		/* QUIC connections allowed but not answered keep their attempt's buffers. */
		for (unsigned d = 0; d < f->u.quic.ndecided; d++) {
			flow_buffer_put(t, f, &f->u.quic.decided[d].buffer);
			flow_buffer_put(t, f, &f->u.quic.decided[d].alt);
		}
	}
	state_unlink(t, i);
	source_unlink(t, i);
	t->sources[f->source].flows--;
	source_release(t, f->source);
	f->state = FLOW_FREE;
	f->hash_next = t->free_head;
	t->free_head = i;
	t->stats.flows_active--;
}

/* The source holding the most flows (ties: the first found). */
static uint32_t heaviest_source(const struct flow_table *t, bool by_buffers)
{
	uint32_t best = FLOW_NONE, most = 0;
	for (uint32_t i = 0; i < t->fresh_sources; i++) {
		const struct flow_source *s = &t->sources[i];
		uint32_t n = by_buffers ? s->buffers : s->flows;
		if (s->used && n > most) {
			most = n;
			best = i;
		}
	}
	return best;
}

/* The oldest flow of source `src`, a decided one if it has any (those live on in the kernel's
 * connection marks, an undecided one would have to be judged unfinished). */
static struct flow *source_oldest(struct flow_table *t, uint32_t src)
{
	for (uint32_t i = t->sources[src].tail; i != FLOW_NONE; i = t->flows[i].src_prev) {
		if (t->flows[i].state == FLOW_DECIDED) {
			return &t->flows[i];
		}
	}
	return &t->flows[t->sources[src].tail];
}

/* A client's shares bind only once the table or pool runs low (less than a quarter left):
 * until then one busy address (a NAT behind the gateway) may use more. */
static bool under_pressure(uint32_t free, uint32_t total)
{
	return free <= total / 4;
}

/* Make room for one more flow of the client of `k`. */
static void make_room(struct flow_table *t, const struct flow_key *k)
{
	uint32_t src = source_find(t, k);
	if (src != FLOW_NONE && t->sources[src].flows >= share_flows(t) &&
	    under_pressure(t->lim.max_flows - t->stats.flows_active, t->lim.max_flows)) {
		flow_remove(t, source_oldest(t, src));
		t->stats.flows_evicted++;
		return;
	}
	if (t->free_head != FLOW_NONE || t->fresh_flows < t->lim.max_flows) {
		return; /* a free or never used entry is taken before any flow is evicted */
	}
	uint32_t victim = t->by_state[FLOW_DECIDED].tail;
	if (victim == FLOW_NONE) {
		flow_remove(t, source_oldest(t, heaviest_source(t, false)));
	} else {
		flow_remove(t, &t->flows[victim]);
	}
	t->stats.flows_evicted++;
}

struct flow *flow_create(struct flow_table *t, const struct flow_key *k, uint64_t now_ms)
{
	/* Room first: a flow removed frees its source entry when it was that source's last, so
	 * a new source always finds one afterwards. */
	make_room(t, k);
	uint32_t src = source_get(t, k);
	uint32_t i;
	if (t->free_head != FLOW_NONE) {
		i = t->free_head;
		t->free_head = t->flows[i].hash_next;
	} else {
		i = t->fresh_flows++;
	}
	struct flow *f = &t->flows[i];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->state = FLOW_UNDECIDED;
	f->source = src;
	f->buffer = f->alt_buffer = FLOW_NONE;
	f->first_ms = f->last_ms = now_ms;
	uint32_t *b = &t->buckets[key_bucket(t, k)];
	f->hash_next = *b;
	*b = i;
	state_push(t, i);
	source_push(t, i);
	t->sources[src].flows++;
	t->stats.flows_created++;
	t->stats.flows_active++;
	return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t now_ms)
{
	uint32_t i = (uint32_t)(f - t->flows);
	f->last_ms = now_ms;
	if (t->by_state[f->state].head != i) {
		state_unlink(t, i);
		state_push(t, i);
	}
	if (t->sources[f->source].head != i) {
		source_unlink(t, i);
		source_push(t, i);
	}
}

void flow_set_state(struct flow_table *t, struct flow *f, enum flow_state state)
{
	uint32_t i = (uint32_t)(f - t->flows);
	if (state == FLOW_DECIDED) {
		flow_buffer_put(t, f, &f->buffer);
		flow_buffer_put(t, f, &f->alt_buffer);
	}
	if (f->state == state) {
		return;
	}
	state_unlink(t, i);
	f->state = (uint8_t)state;
	state_push(t, i);
}

/* ---- buffers ---- */

static void buffer_release(struct flow_table *t, struct flow_source *s, uint32_t *index)
{
	t->free_buffers[t->nfree_buffers++] = *index;
	*index = FLOW_NONE;
	t->stats.buffers_active--;
	s->buffers--;
}

void flow_buffer_put(struct flow_table *t, struct flow *f, uint32_t *index)
{
	if (*index != FLOW_NONE) {
		buffer_release(t, &t->sources[f->source], index);
	}
}

/* The pool is empty: take the buffers of the oldest buffered flow of the client holding the
 * most, if that client holds more than `s`. True when a buffer was freed. */
static bool steal_buffer(struct flow_table *t, const struct flow_source *s)
{
	uint32_t vi = heaviest_source(t, true);
	if (vi == FLOW_NONE || t->sources[vi].buffers <= s->buffers + 1) {
		return false;
	}
	for (uint32_t i = t->sources[vi].tail; i != FLOW_NONE; i = t->flows[i].src_prev) {
		struct flow *v = &t->flows[i];
		if (v->buffer != FLOW_NONE || v->alt_buffer != FLOW_NONE) {
			flow_buffer_put(t, v, &v->buffer);
			flow_buffer_put(t, v, &v->alt_buffer);
			v->lost = true;
			t->stats.buffers_taken++;
			return true;
		}
	}
	return false;
}

uint32_t flow_buffer_get(struct flow_table *t, struct flow *f)
{
	struct flow_source *s = &t->sources[f->source];
	if ((s->buffers >= share_buffers(t) &&
	     under_pressure(t->nfree_buffers, t->lim.max_buffers)) ||
	    (t->nfree_buffers == 0 && !steal_buffer(t, s))) {
		t->stats.buffers_exhausted++;
		return FLOW_NONE;
	}
	s->buffers++;
	t->stats.buffers_active++;
	return t->free_buffers[--t->nfree_buffers];
}

uint8_t *flow_buffer_data(const struct flow_table *t, uint32_t index)
{
	return t->data + (size_t)index * t->lim.buffer_bytes;
}

uint32_t flow_buffer_bytes(const struct flow_table *t)
{
	return t->lim.buffer_bytes;
}

struct stream_buf *flow_buffer_stream(struct flow_table *t, uint32_t index)
{
	return &t->streams[index];
}

struct quic_flow *flow_buffer_quic(struct flow_table *t, uint32_t index)
{
	return &t->quic[index];
}

/* ---- expiry, counters ---- */

unsigned flow_expire(struct flow_table *t, uint64_t now_ms)
{
	unsigned n = 0;
	const uint32_t limits[FLOW_DECIDED + 1] = {0, t->lim.flow_timeout_ms,
						   t->lim.decided_timeout_ms};

	/* Each list is in order of last use: stop at the first flow fresh enough. */
	for (unsigned st = FLOW_UNDECIDED; st <= FLOW_DECIDED; st++) {
		uint32_t i = t->by_state[st].tail;
		while (i != FLOW_NONE) {
			struct flow *f = &t->flows[i];
			uint32_t prev = f->lru_prev;
			uint64_t idle = now_ms >= f->last_ms ? now_ms - f->last_ms : 0;
			if (idle <= limits[st]) {
				break;
			}
			flow_remove(t, f);
			n++;
			i = prev;
		}
	}
	t->stats.flows_expired += n;
	return n;
}

void flow_table_stats(const struct flow_table *t, struct inspect_stats *st)
{
	st->flows_created = t->stats.flows_created;
	st->flows_expired = t->stats.flows_expired;
	st->flows_evicted = t->stats.flows_evicted;
	st->buffers_exhausted = t->stats.buffers_exhausted;
	st->buffers_taken = t->stats.buffers_taken;
	st->flows_active = t->stats.flows_active;
	st->buffers_active = t->stats.buffers_active;
	st->sources_active = t->nsources;
}

void flow_source_usage(const struct flow_table *t, const struct flow *f, uint32_t *flows,
		       uint32_t *buffers)
{
	*flows = t->sources[f->source].flows;
	*buffers = t->sources[f->source].buffers;
}
