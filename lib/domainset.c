/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domainset: compiles name rules into one hash table so a lookup costs O(labels of the name). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "embargo/domainset.h"

/*
 * Layout. Every distinct name a rule is keyed by (an exact or suffix rule's name, a glob's fixed
 * suffix) is a key. Key texts sit in one arena, each as a length byte followed by the bytes (no
 * NUL). The index is an open-addressing table of 8-byte slots {hash tag, key number}, a power of
 * two in size and at most half full, probed linearly: a miss usually ends at the first slot.
 *
 * The hash runs over the text from its last byte to its first, so while hashing a query once we
 * pass through the hash of every label-boundary suffix ("c.d", "b.c.d", "a.b.c.d"): one pass
 * gives all the suffix hashes, and each suffix costs one probe.
 */

/* FNV-1a 64-bit parameters (offset basis and prime, from the FNV reference description). */
#define DS_FNV_OFFSET 0xcbf29ce484222325u
#define DS_FNV_PRIME  0x00000100000001b3u

/* Smallest slot table; keeps the empty set valid for lookups. */
#define DS_SLOTS_MIN 16u

/* The arena stores a key's length in one byte; names are at most NAME_TEXT_MAX (253) bytes. */
#define DS_ARENA_MAX UINT32_MAX

/* A glob's '*' may not sit in the rightmost DS_GLOB_FIXED_MIN labels: "*.com" would match a whole
 * top-level domain through a pattern that reads like a single site. */
#define DS_GLOB_FIXED_MIN 2u

struct ds_slot {
	uint32_t tag; /* upper 32 bits of the key's hash */
	uint32_t key; /* key number + 1; 0 = empty slot */
};

struct ds_key {
	uint32_t text_off; /* arena offset of the length byte */
	uint32_t exact;	   /* rule number + 1 of the exact rule; 0 = none */
	uint32_t suffix;   /* rule number + 1 of the suffix rule; 0 = none */
	uint32_t glob;	   /* index + 1 in globs[] of the first glob keyed here; 0 = none */
};

/* A compiled glob. The globs of one key are contiguous, best rank first. */
struct ds_glob {
	uint32_t text_off; /* arena offset of the whole pattern (length byte first) */
	uint32_t rule;	   /* rule number (index into metas[]) */
	uint32_t seq;	   /* order of addition, for ties */
	uint16_t literal;  /* bytes of the pattern that are not '*' */
	uint8_t nlabels;   /* labels of the pattern */
	uint8_t last;	   /* 1 on the last glob of its key */
};

/* A glob as added, before duplicates are merged and buckets are formed. */
struct ds_pending_glob {
	struct rule_meta meta;
	uint32_t text_off; /* the pattern in the arena */
	uint32_t key;	   /* key number of the fixed suffix */
	uint32_t seq;	   /* order of addition */
	uint16_t literal;
	uint8_t nlabels;
	const uint8_t *text; /* set just before sorting, when the arena no longer moves */
};

/* The hash table and its storage; shared by the builder and the compiled set. */
struct ds_table {
	struct ds_slot *slots;
	size_t mask; /* slot count - 1 */
	struct ds_key *keys;
	size_t nkeys, keys_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct rule_meta *metas;
	size_t nmetas, metas_cap;
};

struct domainset_builder {
	struct ds_table t;
	struct ds_pending_glob *globs;
	size_t nglobs, globs_cap;
	size_t added; /* successful adds */
};

struct domainset {
	struct ds_table t;
	struct ds_glob *globs;
	size_t nglobs;
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

/* Grow `*arr` (elements of `size` bytes, capacity `*cap`) to hold at least `need` elements. */
static int ds_reserve(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap) {
		return 0;
	}
	size_t ncap = *cap < 16 ? 16 : *cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size) {
			return -ENOMEM;
		}
		ncap *= 2;
	}
	void *p = realloc(*arr, ncap * size);
	if (p == NULL) {
		return -ENOMEM;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

static inline const uint8_t *ds_key_text(const struct ds_table *t, const struct ds_key *k)
{
	return t->arena + k->text_off;
}

/* Key number + 1 of the key `text`/`len` with hash `h`, or 0 when absent. The table always has an
 * empty slot (load <= 0.5), which ends every probe sequence. */
static uint32_t ds_find(const struct ds_table *t, uint64_t h, const char *text, size_t len)
{
	const uint32_t tag = (uint32_t)(h >> 32);
	size_t i = (size_t)h & t->mask;
	for (;;) {
		const struct ds_slot *s = &t->slots[i];
		if (s->key == 0) {
			return 0;
		}
		if (s->tag == tag) {
			const uint8_t *kt = ds_key_text(t, &t->keys[s->key - 1]);
			if (kt[0] == len && memcmp(kt + 1, text, len) == 0) {
				return s->key;
			}
		}
		i = (i + 1) & t->mask;
	}
}

static void ds_slot_put(struct ds_slot *slots, size_t mask, uint64_t h, uint32_t key)
{
	size_t i = (size_t)h & mask;
	while (slots[i].key != 0) {
		i = (i + 1) & mask;
	}
	slots[i].tag = (uint32_t)(h >> 32);
	slots[i].key = key;
}

/* Replace the slot array by one of `nslots` (a power of two) and re-insert every key. */
static int ds_rehash(struct ds_table *t, size_t nslots)
{
	struct ds_slot *slots = calloc(nslots, sizeof(*slots));
	if (slots == NULL) {
		return -ENOMEM;
	}
	for (size_t k = 0; k < t->nkeys; k++) {
		const uint8_t *kt = ds_key_text(t, &t->keys[k]);
		uint64_t h = domainset_hash((const char *)kt + 1, kt[0]);
		ds_slot_put(slots, nslots - 1, h, (uint32_t)(k + 1));
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
	return 0;
}

/* Append `len` bytes of `text` to the arena behind a length byte; returns the offset or -1. */
static int64_t ds_arena_put(struct ds_table *t, const char *text, size_t len)
{
	if (t->arena_len + 1 + len > DS_ARENA_MAX) {
		return -1;
	}
	void *arena = t->arena;
	if (ds_reserve(&arena, &t->arena_cap, t->arena_len + 1 + len, 1) < 0) {
		return -1;
	}
	t->arena = arena;
	size_t off = t->arena_len;
	t->arena[off] = (uint8_t)len;
	memcpy(t->arena + off + 1, text, len);
	t->arena_len += 1 + len;
	return (int64_t)off;
}

/* Key number + 1 of `text`, created when missing; 0 on allocation failure. */
static uint32_t ds_key_get(struct ds_table *t, const char *text, size_t len)
{
	uint64_t h = domainset_hash(text, len);
	uint32_t key = ds_find(t, h, text, len);
	if (key != 0) {
		return key;
	}
	if (t->nkeys >= DOMAINSET_RULES_MAX) {
		return 0;
	}
	if ((t->nkeys + 1) * 2 > t->mask + 1) {
		if (ds_rehash(t, (t->mask + 1) * 2) < 0) {
			return 0;
		}
	}
	void *keys = t->keys;
	if (ds_reserve(&keys, &t->keys_cap, t->nkeys + 1, sizeof(struct ds_key)) < 0) {
		return 0;
	}
	t->keys = keys;
	int64_t off = ds_arena_put(t, text, len);
	if (off < 0) {
		return 0;
	}
	struct ds_key *k = &t->keys[t->nkeys];
	k->text_off = (uint32_t)off;
	k->exact = 0;
	k->suffix = 0;
	k->glob = 0;
	t->nkeys++;
	ds_slot_put(t->slots, t->mask, h, (uint32_t)t->nkeys);
	return (uint32_t)t->nkeys;
}

static void ds_table_free(struct ds_table *t)
{
	free(t->slots);
	free(t->keys);
	free(t->arena);
	free(t->metas);
	memset(t, 0, sizeof(*t));
}

struct domainset_builder *domainset_builder_new(void)
{
	struct domainset_builder *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return NULL;
	}
	b->t.slots = calloc(DS_SLOTS_MIN, sizeof(struct ds_slot));
	if (b->t.slots == NULL) {
		free(b);
		return NULL;
	}
	b->t.mask = DS_SLOTS_MIN - 1;
	return b;
}

void domainset_builder_free(struct domainset_builder *b)
{
	if (b == NULL) {
		return;
	}
	ds_table_free(&b->t);
	free(b->globs);
	free(b);
}

size_t domainset_builder_count(const struct domainset_builder *b)
{
	return b->added;
}

static inline bool ds_is_replaced_by(const struct rule_meta *old, const struct rule_meta *new)
{
	return old->kind == DS_BLOCK && new->kind == DS_ALLOW;
}

/* Record an exact or suffix rule on its key, merging a duplicate. */
static int ds_add_plain(struct domainset_builder *b, const struct name *n, enum ds_match match,
			const struct rule_meta *meta)
{
	struct ds_table *t = &b->t;
	uint32_t key = ds_key_get(t, n->text, n->len);
	if (key == 0) {
		return -ENOMEM;
	}
	struct ds_key *k = &t->keys[key - 1];
	uint32_t *rule = match == DS_EXACT ? &k->exact : &k->suffix;
	if (*rule != 0) {
		struct rule_meta *old = &t->metas[*rule - 1];
		if (ds_is_replaced_by(old, meta)) {
			*old = *meta;
		}
		return 0;
	}
	if (t->nmetas >= DOMAINSET_RULES_MAX) {
		return -ENOMEM;
	}
	void *metas = t->metas;
	if (ds_reserve(&metas, &t->metas_cap, t->nmetas + 1, sizeof(struct rule_meta)) < 0) {
		return -ENOMEM;
	}
	t->metas = metas;
	t->metas[t->nmetas++] = *meta;
	*rule = (uint32_t)t->nmetas;
	return 0;
}

/*
 * Split a glob pattern: returns the offset of its fixed suffix (the labels right of the rightmost
 * label holding a '*'), 0 when it holds no '*', or -1 when the '*' sits in the rightmost
 * DS_GLOB_FIXED_MIN labels.
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

static int ds_add_glob(struct domainset_builder *b, const struct name *n, size_t fixed_off,
		       const struct rule_meta *meta)
{
	uint32_t key = ds_key_get(&b->t, n->text + fixed_off, n->len - fixed_off);
	if (key == 0) {
		return -ENOMEM;
	}
	int64_t off = ds_arena_put(&b->t, n->text, n->len);
	if (off < 0) {
		return -ENOMEM;
	}
	if (b->nglobs >= DOMAINSET_RULES_MAX) {
		return -ENOMEM;
	}
	void *globs = b->globs;
	if (ds_reserve(&globs, &b->globs_cap, b->nglobs + 1, sizeof(struct ds_pending_glob)) < 0) {
		return -ENOMEM;
	}
	b->globs = globs;
	struct ds_pending_glob *g = &b->globs[b->nglobs];
	unsigned stars = 0;
	for (size_t i = 0; i < n->len; i++) {
		if (n->text[i] == '*') {
			stars++;
		}
	}
	g->meta = *meta;
	g->text_off = (uint32_t)off;
	g->key = key;
	g->seq = (uint32_t)b->nglobs;
	g->literal = (uint16_t)(n->len - stars);
	g->nlabels = n->nlabels;
	g->text = NULL;
	b->nglobs++;
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
	int rc;
	switch (match) {
	case DS_EXACT:
		rc = ds_add_plain(b, n, DS_EXACT, meta);
		break;
	case DS_SUFFIX:
		rc = ds_add_plain(b, n, (n->flags & NAME_F_IP_LITERAL) ? DS_EXACT : DS_SUFFIX,
				  meta);
		break;
	case DS_GLOB: {
		int fixed_off = ds_glob_split(n);
		if (fixed_off < 0) {
			return -EINVAL;
		}
		if (fixed_off == 0) {
			rc = ds_add_plain(b, n, DS_EXACT, meta);
		} else {
			rc = ds_add_glob(b, n, (size_t)fixed_off, meta);
		}
		break;
	}
	default:
		return -EINVAL;
	}
	if (rc == 0) {
		b->added++;
	}
	return rc;
}

/* Same key, then same pattern, then order of addition: duplicates become neighbours. */
static int ds_glob_cmp_pattern(const void *pa, const void *pb)
{
	const struct ds_pending_glob *a = pa, *b = pb;
	if (a->key != b->key) {
		return a->key < b->key ? -1 : 1;
	}
	if (a->text[0] != b->text[0]) {
		return a->text[0] < b->text[0] ? -1 : 1;
	}
	int c = memcmp(a->text + 1, b->text + 1, a->text[0]);
	if (c != 0) {
		return c;
	}
	return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

/* Same key, then the lookup's order of preference: most literal bytes, allow, first added. */
static int ds_glob_cmp_rank(const void *pa, const void *pb)
{
	const struct ds_pending_glob *a = pa, *b = pb;
	if (a->key != b->key) {
		return a->key < b->key ? -1 : 1;
	}
	if (a->literal != b->literal) {
		return a->literal > b->literal ? -1 : 1;
	}
	if (a->meta.kind != b->meta.kind) {
		return a->meta.kind == DS_ALLOW ? -1 : 1;
	}
	return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

/*
 * Merge duplicate globs (same pattern: the first is kept unless a later allow replaces a block;
 * the merged rule keeps the first one's place in the order), append their metas, and lay them out
 * in per-key buckets. Returns the compiled array (NULL with *nout 0 when there are none) or NULL
 * on allocation failure with *nout set to SIZE_MAX.
 */
static struct ds_glob *ds_compile_globs(struct domainset_builder *b, size_t *nout)
{
	struct ds_table *t = &b->t;
	*nout = 0;
	if (b->nglobs == 0) {
		return NULL;
	}
	for (size_t i = 0; i < b->nglobs; i++) {
		b->globs[i].text = t->arena + b->globs[i].text_off;
	}
	qsort(b->globs, b->nglobs, sizeof(*b->globs), ds_glob_cmp_pattern);
	size_t n = 0;
	for (size_t i = 0; i < b->nglobs; i++) {
		const struct ds_pending_glob *prev = n > 0 ? &b->globs[n - 1] : NULL;
		const struct ds_pending_glob *g = &b->globs[i];
		if (prev != NULL && prev->key == g->key && prev->text[0] == g->text[0] &&
		    memcmp(prev->text + 1, g->text + 1, g->text[0]) == 0) {
			if (ds_is_replaced_by(&b->globs[n - 1].meta, &b->globs[i].meta)) {
				b->globs[n - 1].meta = b->globs[i].meta;
			}
			continue;
		}
		b->globs[n++] = b->globs[i];
	}
	qsort(b->globs, n, sizeof(*b->globs), ds_glob_cmp_rank);

	void *metas = t->metas;
	if (t->nmetas + n > DOMAINSET_RULES_MAX ||
	    ds_reserve(&metas, &t->metas_cap, t->nmetas + n, sizeof(struct rule_meta)) < 0) {
		*nout = SIZE_MAX;
		return NULL;
	}
	t->metas = metas;
	struct ds_glob *out = malloc(n * sizeof(*out));
	if (out == NULL) {
		*nout = SIZE_MAX;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ds_pending_glob *g = &b->globs[i];
		struct ds_key *k = &t->keys[g->key - 1];
		if (k->glob == 0) {
			k->glob = (uint32_t)(i + 1);
		}
		t->metas[t->nmetas] = g->meta;
		out[i].text_off = g->text_off;
		out[i].rule = (uint32_t)t->nmetas;
		out[i].seq = g->seq;
		out[i].literal = g->literal;
		out[i].nlabels = g->nlabels;
		out[i].last = (uint8_t)(i + 1 == n || b->globs[i + 1].key != g->key);
		t->nmetas++;
	}
	*nout = n;
	return out;
}

/* Give back the growth slack of an array; keeping the old block is fine if realloc refuses. */
static void *ds_shrink(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n == 0 || n == *cap) {
		return arr;
	}
	void *p = realloc(arr, n * size);
	if (p == NULL) {
		return arr;
	}
	*cap = n;
	return p;
}

struct domainset *domainset_build(struct domainset_builder *b)
{
	struct domainset *ds = calloc(1, sizeof(*ds));
	if (ds == NULL) {
		domainset_builder_free(b);
		return NULL;
	}
	size_t nglobs;
	ds->globs = ds_compile_globs(b, &nglobs);
	if (nglobs == SIZE_MAX) {
		free(ds);
		domainset_builder_free(b);
		return NULL;
	}
	ds->nglobs = nglobs;
	struct ds_table *t = &b->t;
	t->keys = ds_shrink(t->keys, &t->keys_cap, t->nkeys, sizeof(*t->keys));
	t->arena = ds_shrink(t->arena, &t->arena_cap, t->arena_len, 1);
	t->metas = ds_shrink(t->metas, &t->metas_cap, t->nmetas, sizeof(*t->metas));
	ds->t = *t;
	memset(t, 0, sizeof(*t));
	domainset_builder_free(b);
	return ds;
}

void domainset_free(struct domainset *ds)
{
	if (ds == NULL) {
		return;
	}
	ds_table_free(&ds->t);
	free(ds->globs);
	free(ds);
}

size_t domainset_count(const struct domainset *ds)
{
	return ds->t.nmetas;
}

size_t domainset_memory(const struct domainset *ds)
{
	const struct ds_table *t = &ds->t;
	return sizeof(*ds) + (t->mask + 1) * sizeof(struct ds_slot) +
	       t->keys_cap * sizeof(struct ds_key) + t->arena_cap +
	       t->metas_cap * sizeof(struct rule_meta) + ds->nglobs * sizeof(struct ds_glob);
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

/* True if glob `a` is preferred over glob `b` (same order as ds_glob_cmp_rank). */
static bool ds_glob_better(const struct domainset *ds, const struct ds_glob *a,
			   const struct ds_glob *b)
{
	if (a->literal != b->literal) {
		return a->literal > b->literal;
	}
	uint8_t ka = ds->t.metas[a->rule].kind, kb = ds->t.metas[b->rule].kind;
	if (ka != kb) {
		return ka == DS_ALLOW;
	}
	return a->seq < b->seq;
}

/* The best glob of the bucket starting at `first` that matches `n`, whose labels left of the
 * bucket's key are n->text[0 .. prefix_len). NULL when none does. */
static const struct ds_glob *ds_bucket_match(const struct domainset *ds, uint32_t first,
					     const struct name *n, size_t prefix_len,
					     const struct ds_glob *best)
{
	for (const struct ds_glob *g = &ds->globs[first - 1];; g++) {
		if (best != NULL && !ds_glob_better(ds, g, best)) {
			return NULL; /* the rest of the bucket ranks lower still */
		}
		if (g->nlabels == n->nlabels) {
			const uint8_t *pt = ds->t.arena + g->text_off;
			size_t key_len = n->len - prefix_len; /* includes the '.' */
			if (pt[0] > key_len && ds_prefix_glob((const char *)pt + 1, pt[0] - key_len,
							      n->text, prefix_len)) {
				return g;
			}
		}
		if (g->last) {
			return NULL;
		}
	}
}

const struct rule_meta *domainset_lookup(const struct domainset *ds, const struct name *n)
{
	const struct ds_table *t = &ds->t;
	if (n->len == 0 || t->nkeys == 0) {
		return NULL;
	}
	if (n->flags & NAME_F_IP_LITERAL) {
		/* IP literals have no parent domains; suffix rules on them were stored as exact. */
		uint32_t key = ds_find(t, domainset_hash(n->text, n->len), n->text, n->len);
		if (key == 0 || t->keys[key - 1].exact == 0) {
			return NULL;
		}
		return &t->metas[t->keys[key - 1].exact - 1];
	}

	/* One right-to-left pass gives the hash of every label-boundary suffix, shortest first. */
	uint64_t hashes[NAME_LABELS_MAX];
	uint8_t offs[NAME_LABELS_MAX];
	unsigned nsfx = 0;
	uint64_t h = DS_FNV_OFFSET;
	for (size_t i = n->len; i-- > 0;) {
		uint8_t c = (uint8_t)n->text[i];
		if (c == '.' && nsfx < NAME_LABELS_MAX - 1) {
			offs[nsfx] = (uint8_t)(i + 1);
			hashes[nsfx] = ds_hash_final(h);
			__builtin_prefetch(&t->slots[hashes[nsfx] & t->mask]);
			nsfx++;
		}
		h = ds_hash_step(h, c);
	}
	offs[nsfx] = 0;
	hashes[nsfx] = ds_hash_final(h);
	nsfx++;

	const struct rule_meta *best_suffix = NULL;
	const struct ds_glob *best_glob = NULL;
	for (unsigned j = nsfx; j-- > 0;) {
		const size_t off = offs[j];
		uint32_t key = ds_find(t, hashes[j], n->text + off, n->len - off);
		if (key == 0) {
			continue;
		}
		const struct ds_key *k = &t->keys[key - 1];
		if (off == 0) {
			if (k->exact != 0) {
				return &t->metas[k->exact - 1];
			}
		} else if (k->glob != 0) {
			const struct ds_glob *g =
				ds_bucket_match(ds, k->glob, n, off - 1, best_glob);
			if (g != NULL) {
				best_glob = g;
			}
		}
		if (k->suffix != 0 && best_suffix == NULL) {
			best_suffix = &t->metas[k->suffix - 1];
			if (ds->nglobs == 0) {
				return best_suffix;
			}
		}
	}
	if (best_glob != NULL) {
		return &t->metas[best_glob->rule];
	}
	return best_suffix;
}
