/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domainset: compiles name rules into one hash table so a lookup costs O(labels of the name). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/domainset.h"
#include "reserve.h"

/*
 * Layout of a compiled set. Every name a rule is written for (a glob: its fixed suffix) is one
 * record in an arena: its length, which rules it carries, its text, then those rules' rule_meta
 * (a glob suffix: where its globs start). The index
 * is an open-addressing table of 8-byte slots {hash tag, record offset}, a power of two in size
 * and at most half full, probed linearly: a miss usually ends at its first slot, and a hit costs
 * the slot plus one record whose rule sits right behind the text it was verified against.
 *
 * Globs hang off the record of their fixed suffix, which points at the globs sharing it, best
 * ranked first. A record also says whether any of its parent domains carries globs, so the walk
 * from the longest suffix down can stop at the first suffix rule it meets when none can follow.
 *
 * The hash runs over a name from its last byte to its first, so while hashing a query once we
 * pass through the hash of every label-boundary suffix ("c.d", "b.c.d", "a.b.c.d"): one pass
 * gives all the suffix hashes, and each suffix costs one probe.
 */

/* FNV-1a 64-bit parameters (offset basis and prime, from the FNV reference description). */
#define DS_FNV_OFFSET 0xcbf29ce484222325u
#define DS_FNV_PRIME  0x00000100000001b3u

/* Smallest slot table; keeps an empty table valid for lookups. */
#define DS_SLOTS_MIN 16u

/* A glob's '*' may not sit in the rightmost DS_GLOB_FIXED_MIN labels: "*.com" would match a whole
 * top-level domain through a pattern that reads like a single site. */
#define DS_GLOB_FIXED_MIN 2u

/* Record flags: which rules follow the text, in this order. */
#define DS_REC_EXACT  0x01u /* a struct rule_meta for the exact rule */
#define DS_REC_SUFFIX 0x02u /* a struct rule_meta for the suffix rule */
#define DS_REC_GLOBS  0x04u /* a uint32_t: index in globs[] of the first glob keyed here */
/* No data: a parent domain of this name (of DS_GLOB_FIXED_MIN labels or more) carries globs. */
#define DS_REC_GLOB_BELOW 0x08u

/* Records start on this boundary so the rule_meta behind the text is aligned. */
#define DS_REC_ALIGN 4u

struct ds_slot {
	uint32_t tag; /* upper 32 bits of the key's hash */
	uint32_t ref; /* compiling: key number + 1; in a set: record offset; 0 = empty */
};

/* A compiled glob. The globs of one fixed suffix are contiguous, best ranked first. */
struct ds_glob {
	struct rule_meta meta;
	uint32_t text_off; /* arena offset of the pattern's record (no rules follow it) */
	uint32_t seq;	   /* order of addition among globs, for ties */
	uint16_t literal;  /* bytes of the pattern that are not '*' */
	uint8_t nlabels;   /* labels of the pattern */
	uint8_t last;	   /* 1 on the last glob of its fixed suffix */
};

struct domainset {
	struct ds_slot *slots; /* rule names and fixed suffixes of globs; ref = record offset */
	size_t mask;	       /* slot count - 1 */
	uint8_t *arena;	       /* records; offset 0 is padding so that 0 can mean "empty" */
	size_t arena_len;
	struct ds_glob *globs;
	size_t nglobs;
	size_t nrules; /* distinct rules */
};

static inline uint64_t ds_hash_step(uint64_t h, uint8_t c)
{
	return (h ^ c) * DS_FNV_PRIME;
}

/* FNV-1a leaves its low bits depending only on the low bits of the input bytes, and the slot
 * index is taken from the low bits: fold the high half down and mix again before use. */
static inline uint64_t ds_hash_final(uint64_t h)
{
	h ^= h >> 32;
	h *= 0x9e3779b97f4a7c15u; /* 2^64 / golden ratio, odd */
	h ^= h >> 29;
	h *= 0x6a09e667f3bcc909u; /* fractional bits of sqrt(2), odd */
	h ^= h >> 32;
	return h;
}

uint64_t domainset_hash(const char *text, size_t len)
{
	uint64_t h = DS_FNV_OFFSET;
	for (size_t i = len; i-- > 0;) {
		h = ds_hash_step(h, (uint8_t)text[i]);
	}
	return ds_hash_final(h);
}

/* Smallest power-of-two slot count at most half filled by `n` keys. */
static size_t ds_slot_count(size_t n)
{
	size_t s = DS_SLOTS_MIN;
	while (s < n * 2) {
		s *= 2;
	}
	return s;
}

static void ds_slot_put(struct ds_slot *slots, size_t mask, uint64_t h, uint32_t ref)
{
	size_t i = (size_t)h & mask;
	while (slots[i].ref != 0) {
		i = (i + 1) & mask;
	}
	slots[i].tag = (uint32_t)(h >> 32);
	slots[i].ref = ref;
}

/* ---- builder: adds are only recorded; domainset_build indexes them in one pass ---- */

/* One accepted add, kept as given until domainset_build. */
struct ds_pending {
	struct rule_meta meta;
	uint32_t text_off; /* offset of the name's first byte in the builder's text */
	uint8_t len;	   /* bytes of the name */
	uint8_t match;	   /* enum ds_match, after the adjustments domainset_builder_add makes */
	uint8_t fixed_off; /* DS_GLOB: offset of the fixed suffix in the pattern */
	uint8_t nlabels;   /* labels of the name */
};

struct domainset_builder {
	uint8_t *text; /* the names, back to back */
	size_t text_len, text_cap;
	struct ds_pending *rules;
	size_t nrules, rules_cap;
};

struct domainset_builder *domainset_builder_new(void)
{
	return calloc(1, sizeof(struct domainset_builder));
}

void domainset_builder_free(struct domainset_builder *b)
{
	if (b == NULL) {
		return;
	}
	free(b->text);
	free(b->rules);
	free(b);
}

size_t domainset_builder_count(const struct domainset_builder *b)
{
	return b->nrules;
}

/*
 * Offset of a glob pattern's fixed suffix (the labels right of the rightmost label holding a
 * '*'), 0 when it holds no '*', or -1 when a '*' sits in the rightmost DS_GLOB_FIXED_MIN labels.
 */
static int ds_glob_split(const struct name *n)
{
	unsigned labels = 0; /* complete labels seen from the right */
	for (size_t i = n->len; i-- > 0;) {
		if (n->text[i] == '.') {
			labels++;
		} else if (n->text[i] == '*') {
			if (labels < DS_GLOB_FIXED_MIN) {
				return -1;
			}
			const char *dot = memchr(n->text + i, '.', n->len - i);
			return (int)(dot - n->text) + 1;
		}
	}
	return 0;
}

int domainset_builder_add(struct domainset_builder *b, const struct name *n, enum ds_match match,
			  const struct rule_meta *meta)
{
	if (n->len == 0 || (n->flags & NAME_F_ROOT) != 0) {
		return -EINVAL;
	}
	if (meta->kind != DS_BLOCK && meta->kind != DS_ALLOW) {
		return -EINVAL;
	}
	int fixed_off = 0;
	if (match == DS_SUFFIX && (n->flags & NAME_F_IP_LITERAL) != 0) {
		match = DS_EXACT;
	} else if (match == DS_GLOB) {
		fixed_off = ds_glob_split(n);
		if (fixed_off < 0) {
			return -EINVAL;
		}
		match = fixed_off == 0 ? DS_EXACT : DS_GLOB;
	} else if (match != DS_EXACT && match != DS_SUFFIX) {
		return -EINVAL;
	}
	if (b->nrules >= DOMAINSET_RULES_MAX || b->text_len + n->len > UINT32_MAX) {
		return -ENOMEM;
	}
	void *p = b->text;
	if (array_reserve(&p, &b->text_cap, b->text_len + n->len, 1) < 0) {
		return -ENOMEM;
	}
	b->text = p;
	p = b->rules;
	if (array_reserve(&p, &b->rules_cap, b->nrules + 1, sizeof(struct ds_pending)) < 0) {
		return -ENOMEM;
	}
	b->rules = p;
	b->rules[b->nrules++] = (struct ds_pending){
		.meta = *meta,
		.text_off = (uint32_t)b->text_len,
		.len = (uint8_t)n->len,
		.match = (uint8_t)match,
		.fixed_off = (uint8_t)fixed_off,
		.nlabels = n->nlabels,
	};
	memcpy(b->text + b->text_len, n->text, n->len);
	b->text_len += n->len;
	return 0;
}

/* ---- compilation ---- */

/* A distinct name while compiling. */
struct ds_key {
	uint64_t hash;	   /* domainset_hash of the name */
	uint32_t text_off; /* the name in the builder's text */
	uint32_t exact;	   /* index + 1 in the builder's rules of the exact rule; 0 = none */
	uint32_t suffix;   /* same, for the suffix rule */
	uint32_t glob;	   /* index + 1 in globs[] of the first glob with this fixed suffix */
	uint32_t rec_off;  /* offset of its record in the set's arena */
	uint8_t len;
	uint8_t glob_below; /* 1 if a parent domain has globs */
};

/* A glob while compiling. */
struct ds_cglob {
	struct rule_meta meta;
	const uint8_t *text; /* the pattern, in the builder's text */
	uint32_t key;	     /* key number + 1 of the fixed suffix */
	uint32_t seq;	     /* order of addition */
	uint16_t literal;    /* bytes that are not '*' */
	uint8_t len;	     /* bytes of the pattern */
	uint8_t nlabels;     /* labels of the pattern */
};

struct ds_compile {
	const struct domainset_builder *b;
	struct ds_slot *slots; /* ref = key number + 1 */
	size_t mask;
	struct ds_key *keys;
	size_t nkeys;
	struct ds_cglob *globs;
	size_t nglobs;
};

static inline bool ds_is_replaced_by(const struct rule_meta *old, const struct rule_meta *new)
{
	return old->kind == DS_BLOCK && new->kind == DS_ALLOW;
}

static inline const char *ds_key_text(const struct ds_compile *c, const struct ds_key *k)
{
	return (const char *)c->b->text + k->text_off;
}

/* Key number + 1 of `text`, or 0. The table always has an empty slot, which ends the probe. */
static uint32_t ds_cfind(const struct ds_compile *c, uint64_t h, const char *text, size_t len)
{
	const uint32_t tag = (uint32_t)(h >> 32);
	for (size_t i = (size_t)h & c->mask; c->slots[i].ref != 0; i = (i + 1) & c->mask) {
		const struct ds_key *k = &c->keys[c->slots[i].ref - 1];
		if (c->slots[i].tag == tag && k->len == len &&
		    memcmp(ds_key_text(c, k), text, len) == 0) {
			return c->slots[i].ref;
		}
	}
	return 0;
}

/* Key number + 1 of the builder text at `text_off`, created when missing. The table and keys[]
 * were sized for one key per rule, so this cannot fail. */
static uint32_t ds_ckey_get(struct ds_compile *c, uint32_t text_off, size_t len)
{
	const char *text = (const char *)c->b->text + text_off;
	uint64_t h = domainset_hash(text, len);
	uint32_t key = ds_cfind(c, h, text, len);
	if (key == 0) {
		c->keys[c->nkeys] = (struct ds_key){
			.hash = h,
			.text_off = text_off,
			.len = (uint8_t)len,
		};
		key = (uint32_t)++c->nkeys;
		ds_slot_put(c->slots, c->mask, h, key);
	}
	return key;
}

/* Index every rule under its name (a glob under its fixed suffix), merging duplicates of exact
 * and suffix rules: the first is kept unless a later allow replaces a block. */
static void ds_collect(struct ds_compile *c)
{
	const struct domainset_builder *b = c->b;
	for (uint32_t i = 0; i < b->nrules; i++) {
		const struct ds_pending *r = &b->rules[i];
		if (r->match == DS_GLOB) {
			uint32_t key = ds_ckey_get(c, r->text_off + r->fixed_off,
						   (size_t)(r->len - r->fixed_off));
			const uint8_t *text = b->text + r->text_off;
			unsigned stars = 0;
			for (size_t j = 0; j < r->len; j++) {
				stars += text[j] == '*' ? 1u : 0u;
			}
			c->globs[c->nglobs++] = (struct ds_cglob){
				.meta = r->meta,
				.text = text,
				.key = key,
				.seq = i,
				.literal = (uint16_t)(r->len - stars),
				.len = r->len,
				.nlabels = r->nlabels,
			};
			continue;
		}
		uint32_t key = ds_ckey_get(c, r->text_off, r->len);
		struct ds_key *k = &c->keys[key - 1];
		uint32_t *rule = r->match == DS_EXACT ? &k->exact : &k->suffix;
		if (*rule == 0 || ds_is_replaced_by(&b->rules[*rule - 1].meta, &r->meta)) {
			*rule = i + 1;
		}
	}
}

static int ds_cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

static bool ds_same_pattern(const struct ds_cglob *a, const struct ds_cglob *b)
{
	return a->key == b->key && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Same fixed suffix, then same pattern, then order of addition: duplicates become neighbours. */
static int ds_glob_cmp_pattern(const void *pa, const void *pb)
{
	const struct ds_cglob *a = pa, *b = pb;
	if (a->key != b->key) {
		return ds_cmp_u32(a->key, b->key);
	}
	if (a->len != b->len) {
		return ds_cmp_u32(a->len, b->len);
	}
	int c = memcmp(a->text, b->text, a->len);
	return c != 0 ? c : ds_cmp_u32(a->seq, b->seq);
}

/* Same fixed suffix, then the lookup's preference: most literal bytes, allow, first added. */
static int ds_glob_cmp_rank(const void *pa, const void *pb)
{
	const struct ds_cglob *a = pa, *b = pb;
	if (a->key != b->key) {
		return ds_cmp_u32(a->key, b->key);
	}
	if (a->literal != b->literal) {
		return a->literal > b->literal ? -1 : 1;
	}
	if (a->meta.kind != b->meta.kind) {
		return a->meta.kind == DS_ALLOW ? -1 : 1;
	}
	return ds_cmp_u32(a->seq, b->seq);
}

/*
 * Merge duplicate globs (same pattern: the first is kept unless a later allow replaces a block;
 * the merged rule keeps the first one's place in the order), rank them per fixed suffix and mark
 * each suffix's first glob on its key.
 */
static void ds_globs_merge(struct ds_compile *c)
{
	if (c->nglobs == 0) {
		return;
	}
	qsort(c->globs, c->nglobs, sizeof(*c->globs), ds_glob_cmp_pattern);
	size_t n = 0;
	for (size_t i = 0; i < c->nglobs; i++) {
		struct ds_cglob *prev = n > 0 ? &c->globs[n - 1] : NULL;
		if (prev != NULL && ds_same_pattern(prev, &c->globs[i])) {
			if (ds_is_replaced_by(&prev->meta, &c->globs[i].meta)) {
				prev->meta = c->globs[i].meta;
			}
			continue;
		}
		c->globs[n++] = c->globs[i];
	}
	c->nglobs = n;
	qsort(c->globs, n, sizeof(*c->globs), ds_glob_cmp_rank);
	for (size_t i = n; i-- > 0;) {
		c->keys[c->globs[i].key - 1].glob = (uint32_t)(i + 1);
	}
}

/* Is `h` in the hash set `set` (`mask` + 1 entries, 0 = empty)? */
static bool ds_hset_has(const uint64_t *set, size_t mask, uint64_t h)
{
	for (size_t i = (size_t)h & mask; set[i] != 0; i = (i + 1) & mask) {
		if (set[i] == h) {
			return true;
		}
	}
	return false;
}

/*
 * Mark the keys that have a parent domain carrying globs. The parents of every key are checked
 * first against a set of the glob suffixes' hashes, small enough to stay in cache while all keys
 * are scanned; only a hash found there is confirmed in the full table. Returns 0 or -ENOMEM.
 */
static int ds_mark_glob_below(struct ds_compile *c)
{
	size_t nsuffixes = 0;
	for (size_t k = 0; k < c->nkeys; k++) {
		nsuffixes += c->keys[k].glob != 0 ? 1u : 0u;
	}
	if (nsuffixes == 0) {
		return 0;
	}
	const size_t mask = ds_slot_count(nsuffixes) - 1;
	uint64_t *set = calloc(mask + 1, sizeof(*set));
	if (set == NULL) {
		return -ENOMEM;
	}
	for (size_t k = 0; k < c->nkeys; k++) {
		uint64_t h = c->keys[k].hash != 0 ? c->keys[k].hash : 1;
		if (c->keys[k].glob != 0 && !ds_hset_has(set, mask, h)) {
			size_t i = (size_t)h & mask;
			while (set[i] != 0) {
				i = (i + 1) & mask;
			}
			set[i] = h;
		}
	}
	for (size_t k = 0; k < c->nkeys; k++) {
		const char *text = ds_key_text(c, &c->keys[k]);
		const size_t len = c->keys[k].len;
		unsigned labels = 1; /* of the suffix right of position i */
		uint64_t fnv = DS_FNV_OFFSET;
		for (size_t i = len; i-- > 0;) {
			if (text[i] == '.') {
				uint64_t h = ds_hash_final(fnv);
				if (labels >= DS_GLOB_FIXED_MIN &&
				    ds_hset_has(set, mask, h != 0 ? h : 1)) {
					uint32_t p = ds_cfind(c, h, text + i + 1, len - i - 1);
					if (p != 0 && c->keys[p - 1].glob != 0) {
						c->keys[k].glob_below = 1;
						break;
					}
				}
				labels++;
			}
			fnv = ds_hash_step(fnv, (uint8_t)text[i]);
		}
	}
	free(set);
	return 0;
}

static inline size_t ds_align(size_t n)
{
	return (n + DS_REC_ALIGN - 1) & ~(size_t)(DS_REC_ALIGN - 1);
}

/* Bytes of a record for `len` bytes of text followed by `extra` bytes of rules. */
static inline size_t ds_rec_size(size_t len, size_t extra)
{
	return ds_align(2 + len) + extra;
}

static size_t ds_key_rec_size(const struct ds_key *k)
{
	size_t extra = (k->exact != 0 ? sizeof(struct rule_meta) : 0) +
		       (k->suffix != 0 ? sizeof(struct rule_meta) : 0) +
		       (k->glob != 0 ? sizeof(uint32_t) : 0);
	return ds_rec_size(k->len, extra);
}

/* Bytes of the set's arena; more than UINT32_MAX cannot be addressed by a slot. */
static size_t ds_arena_size(const struct ds_compile *c)
{
	size_t len = DS_REC_ALIGN;
	for (size_t k = 0; k < c->nkeys; k++) {
		len += ds_key_rec_size(&c->keys[k]);
	}
	for (size_t i = 0; i < c->nglobs; i++) {
		len += ds_rec_size(c->globs[i].len, 0);
	}
	return len;
}

/* Write a record for `len` bytes of `text` at `*pos` and advance it; returns its offset. */
static uint32_t ds_rec_put(uint8_t *arena, size_t *pos, const void *text, size_t len,
			   unsigned flags)
{
	size_t off = *pos;
	arena[off] = (uint8_t)len;
	arena[off + 1] = (uint8_t)flags;
	memcpy(arena + off + 2, text, len);
	*pos = ds_align(off + 2 + len);
	return (uint32_t)off;
}

static void ds_put_bytes(uint8_t *arena, size_t *pos, const void *src, size_t len)
{
	memcpy(arena + *pos, src, len);
	*pos += len;
}

/* Lay the globs and the keys out as records in the arena. */
static void ds_fill(struct domainset *ds, struct ds_compile *c)
{
	const struct domainset_builder *b = c->b;
	size_t pos = DS_REC_ALIGN;
	memset(ds->arena, 0, ds->arena_len);
	for (size_t i = 0; i < c->nglobs; i++) {
		const struct ds_cglob *g = &c->globs[i];
		ds->globs[i] = (struct ds_glob){
			.meta = g->meta,
			.text_off = ds_rec_put(ds->arena, &pos, g->text, g->len, 0),
			.seq = g->seq,
			.literal = g->literal,
			.nlabels = g->nlabels,
			.last = (uint8_t)(i + 1 == c->nglobs || c->globs[i + 1].key != g->key),
		};
	}
	for (size_t k = 0; k < c->nkeys; k++) {
		struct ds_key *key = &c->keys[k];
		unsigned flags = (key->exact != 0 ? DS_REC_EXACT : 0) |
				 (key->suffix != 0 ? DS_REC_SUFFIX : 0) |
				 (key->glob != 0 ? DS_REC_GLOBS : 0) |
				 (key->glob_below != 0 ? DS_REC_GLOB_BELOW : 0);
		key->rec_off = ds_rec_put(ds->arena, &pos, ds_key_text(c, key), key->len, flags);
		if (key->exact != 0) {
			ds_put_bytes(ds->arena, &pos, &b->rules[key->exact - 1].meta,
				     sizeof(struct rule_meta));
		}
		if (key->suffix != 0) {
			ds_put_bytes(ds->arena, &pos, &b->rules[key->suffix - 1].meta,
				     sizeof(struct rule_meta));
		}
		if (key->glob != 0) {
			uint32_t first = key->glob - 1;
			ds_put_bytes(ds->arena, &pos, &first, sizeof(first));
		}
		ds->nrules += (key->exact != 0 ? 1u : 0u) + (key->suffix != 0 ? 1u : 0u);
	}
	ds->nrules += c->nglobs;
}

/* The set's table: the compile table itself when it has the right size (its slots then point
 * at records instead of keys), otherwise a new one. Returns 0 or -ENOMEM. */
static int ds_index(struct domainset *ds, struct ds_compile *c)
{
	const size_t nslots = ds_slot_count(c->nkeys);
	if (nslots == c->mask + 1) {
		for (size_t i = 0; i < nslots; i++) {
			if (c->slots[i].ref != 0) {
				c->slots[i].ref = c->keys[c->slots[i].ref - 1].rec_off;
			}
		}
		ds->slots = c->slots;
		c->slots = NULL;
	} else {
		ds->slots = calloc(nslots, sizeof(struct ds_slot));
		if (ds->slots == NULL) {
			return -ENOMEM;
		}
		for (size_t k = 0; k < c->nkeys; k++) {
			ds_slot_put(ds->slots, nslots - 1, c->keys[k].hash, c->keys[k].rec_off);
		}
	}
	ds->mask = nslots - 1;
	return 0;
}

struct domainset *domainset_build(struct domainset_builder *b)
{
	struct domainset *ds = calloc(1, sizeof(*ds));
	struct ds_compile c = {.b = b, .mask = ds_slot_count(b->nrules) - 1};
	size_t nglobs = 0;
	for (size_t i = 0; i < b->nrules; i++) {
		nglobs += b->rules[i].match == DS_GLOB ? 1u : 0u;
	}
	c.slots = calloc(c.mask + 1, sizeof(struct ds_slot));
	c.keys = malloc((b->nrules > 0 ? b->nrules : 1) * sizeof(struct ds_key));
	c.globs = malloc((nglobs > 0 ? nglobs : 1) * sizeof(struct ds_cglob));
	if (ds == NULL || c.slots == NULL || c.keys == NULL || c.globs == NULL) {
		goto fail;
	}
	ds_collect(&c);
	ds_globs_merge(&c);
	if (ds_mark_glob_below(&c) < 0) {
		goto fail;
	}
	ds->arena_len = ds_arena_size(&c);
	if (ds->arena_len > UINT32_MAX) {
		goto fail;
	}
	ds->arena = malloc(ds->arena_len);
	ds->globs = malloc((c.nglobs > 0 ? c.nglobs : 1) * sizeof(struct ds_glob));
	if (ds->arena == NULL || ds->globs == NULL) {
		goto fail;
	}
	ds->nglobs = c.nglobs;
	ds_fill(ds, &c);
	if (ds_index(ds, &c) < 0) {
		goto fail;
	}
	free(c.slots);
	free(c.keys);
	free(c.globs);
	domainset_builder_free(b);
	return ds;
fail:
	free(c.slots);
	free(c.keys);
	free(c.globs);
	domainset_free(ds);
	domainset_builder_free(b);
	return NULL;
}

void domainset_free(struct domainset *ds)
{
	if (ds == NULL) {
		return;
	}
	free(ds->slots);
	free(ds->arena);
	free(ds->globs);
	free(ds);
}

size_t domainset_count(const struct domainset *ds)
{
	return ds->nrules;
}

size_t domainset_memory(const struct domainset *ds)
{
	return sizeof(*ds) + (ds->mask + 1) * sizeof(struct ds_slot) + ds->arena_len +
	       (ds->nglobs > 0 ? ds->nglobs : 1) * sizeof(struct ds_glob);
}

/* ---- lookup ---- */

/* Offset of the record for `text`, or 0. */
static uint32_t ds_find(const struct domainset *ds, uint64_t h, const char *text, size_t len)
{
	const struct ds_slot *slots = ds->slots;
	const size_t mask = ds->mask;
	const uint32_t tag = (uint32_t)(h >> 32);
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const struct ds_slot *s = &slots[i];
		if (s->ref == 0) {
			return 0;
		}
		const uint8_t *rec = ds->arena + s->ref;
		if (s->tag == tag && rec[0] == len && memcmp(rec + 2, text, len) == 0) {
			return s->ref;
		}
	}
}

/* The rule of kind `flag` (DS_REC_EXACT or DS_REC_SUFFIX) in record `off`, or NULL. */
static const struct rule_meta *ds_rec_rule(const struct domainset *ds, uint32_t off, unsigned flag)
{
	const uint8_t *rec = ds->arena + off;
	if (off == 0 || (rec[1] & flag) == 0) {
		return NULL;
	}
	size_t pos = ds_align((size_t)off + 2 + rec[0]);
	if (flag == DS_REC_SUFFIX && (rec[1] & DS_REC_EXACT) != 0) {
		pos += sizeof(struct rule_meta);
	}
	return (const struct rule_meta *)(const void *)(ds->arena + pos);
}

/* One label against one pattern label: '*' matches any run of bytes, possibly empty. On a
 * mismatch after a '*', retry with the '*' covering one more byte; labels are <= 63 bytes. */
static bool ds_label_glob(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*') {
		pi++;
	}
	return pi == plen;
}

/* The labels of pattern prefix `p` against those of name prefix `s`, one for one. */
static bool ds_prefix_glob(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0;
	for (;;) {
		const char *pd = memchr(p + pi, '.', plen - pi);
		const char *sd = memchr(s + si, '.', slen - si);
		size_t pe = pd != NULL ? (size_t)(pd - p) : plen;
		size_t se = sd != NULL ? (size_t)(sd - s) : slen;
		if (!ds_label_glob(p + pi, pe - pi, s + si, se - si)) {
			return false;
		}
		if (pd == NULL || sd == NULL) {
			return pd == NULL && sd == NULL;
		}
		pi = pe + 1;
		si = se + 1;
	}
}

/* True if glob `a` is preferred over glob `b` (the order of ds_glob_cmp_rank). */
static bool ds_glob_better(const struct ds_glob *a, const struct ds_glob *b)
{
	if (a->literal != b->literal) {
		return a->literal > b->literal;
	}
	if (a->meta.kind != b->meta.kind) {
		return a->meta.kind == DS_ALLOW;
	}
	return a->seq < b->seq;
}

/* The first glob of the bucket in glob record `off` that matches `n` and ranks above `best`;
 * n->text[0 .. prefix_len) are the labels of `n` left of the bucket's fixed suffix. */
static const struct ds_glob *ds_bucket_match(const struct domainset *ds, uint32_t off,
					     const struct name *n, size_t prefix_len,
					     const struct ds_glob *best)
{
	const uint8_t *rec = ds->arena + off;
	uint32_t first;
	size_t pos = ds_align(2 + (size_t)rec[0]);
	pos += (rec[1] & DS_REC_EXACT) != 0 ? sizeof(struct rule_meta) : 0;
	pos += (rec[1] & DS_REC_SUFFIX) != 0 ? sizeof(struct rule_meta) : 0;
	memcpy(&first, rec + pos, sizeof(first));
	const size_t tail = n->len - prefix_len; /* the '.' and the fixed suffix */
	for (const struct ds_glob *g = &ds->globs[first];; g++) {
		if (best != NULL && !ds_glob_better(g, best)) {
			return NULL; /* the rest of the bucket ranks lower still */
		}
		const uint8_t *pt = ds->arena + g->text_off;
		if (g->nlabels == n->nlabels && pt[0] > tail &&
		    ds_prefix_glob((const char *)pt + 2, pt[0] - tail, n->text, prefix_len)) {
			return g;
		}
		if (g->last) {
			return NULL;
		}
	}
}

/*
 * The hash and text offset of every label-boundary suffix of `n`, shortest first, from one
 * right-to-left pass; returns the index of the whole name. The slots of all suffixes are fetched
 * at once so that the probes that follow overlap their cache misses, and then the record each
 * home slot points at when its tag matches (0 is a harmless line), without a branch on the
 * slot's content: waiting for it then holds up nothing else.
 */
static unsigned ds_suffix_hashes(const struct domainset *ds, const struct name *n,
				 uint64_t hashes[static NAME_LABELS_MAX],
				 uint8_t offs[static NAME_LABELS_MAX])
{
	unsigned nsfx = 0;
	uint64_t h = DS_FNV_OFFSET;
	for (size_t i = n->len; i-- > 0;) {
		uint8_t c = (uint8_t)n->text[i];
		if (c == '.' && nsfx < NAME_LABELS_MAX - 1) {
			offs[nsfx] = (uint8_t)(i + 1);
			hashes[nsfx] = ds_hash_final(h);
			__builtin_prefetch(&ds->slots[hashes[nsfx] & ds->mask]);
			nsfx++;
		}
		h = ds_hash_step(h, c);
	}
	offs[nsfx] = 0;
	hashes[nsfx] = ds_hash_final(h);
	for (unsigned j = 0; j <= nsfx; j++) {
		const struct ds_slot *s = &ds->slots[hashes[j] & ds->mask];
		uint32_t ref = s->tag == (uint32_t)(hashes[j] >> 32) ? s->ref : 0;
		__builtin_prefetch(ds->arena + ref);
	}
	return nsfx;
}

const struct rule_meta *domainset_lookup(const struct domainset *ds, const struct name *n)
{
	if (n->len == 0) {
		return NULL;
	}
	if (n->flags & NAME_F_IP_LITERAL) {
		/* Addresses have no parent domains; suffix rules on them were stored as exact. */
		uint64_t h = domainset_hash(n->text, n->len);
		return ds_rec_rule(ds, ds_find(ds, h, n->text, n->len), DS_REC_EXACT);
	}

	uint64_t hashes[NAME_LABELS_MAX];
	uint8_t offs[NAME_LABELS_MAX];
	const unsigned full = ds_suffix_hashes(ds, n, hashes, offs);

	const struct rule_meta *suffix = NULL;
	const struct ds_glob *glob = NULL;
	for (unsigned j = full + 1; j-- > 0;) {
		const size_t off = offs[j];
		const uint32_t rec = ds_find(ds, hashes[j], n->text + off, n->len - off);
		if (rec == 0) {
			continue;
		}
		const uint8_t flags = ds->arena[rec + 1];
		if (j == full && (flags & DS_REC_EXACT) != 0) {
			return ds_rec_rule(ds, rec, DS_REC_EXACT);
		}
		if (j != full && (flags & DS_REC_GLOBS) != 0) {
			const struct ds_glob *g = ds_bucket_match(ds, rec, n, off - 1, glob);
			glob = g != NULL ? g : glob;
		}
		if (suffix == NULL && (flags & DS_REC_SUFFIX) != 0) {
			suffix = ds_rec_rule(ds, rec, DS_REC_SUFFIX);
			if ((flags & DS_REC_GLOB_BELOW) == 0) {
				break; /* no shorter suffix can bring a glob */
			}
		}
	}
	return glob != NULL ? &glob->meta : suffix;
}
