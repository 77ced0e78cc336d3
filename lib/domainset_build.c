/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building a domain set in place: every rule goes straight into the arena and the index it will
 * be looked up in (layout in domainset_internal.h), so loading a list never holds the names
 * twice; domainset_build only ranks the globs and trims the arrays to their size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domainset_build.h"
#include "reserve.h"

/* Loads of the index: grow (double) past DS_LOAD_GROW_PCT while building; at the end, rebuild at
 * DS_LOAD_FINAL_PCT when the table is emptier than DS_LOAD_REBUILD_PCT. */
#define DS_LOAD_GROW_PCT    88u
#define DS_LOAD_FINAL_PCT   80u
#define DS_LOAD_REBUILD_PCT 70u
#define DS_BUCKETS_MIN	    8u

/* Parent records are made for names of three labels or more while they pay: after the first
 * DS_PARENTS_TRIAL, only as long as names found an existing parent at least as often as one
 * had to be made. Otherwise a name takes the longest suffix that already has a record. */
#define DS_PARENTS_TRIAL 1024u
/* A parent reference costs 4 bytes: a shorter shared tail saves nothing. */
#define DS_PARENT_MIN_LEN 4u

struct domainset_builder *domainset_builder_new(void)
{
	return calloc(1, sizeof(struct domainset_builder));
}

static void ds_pending_free(struct domainset_builder *b)
{
	free(b->pglobs);
	free(b->shadows);
	free(b->stext);
	free(b->shadowed.keys);
	free(b->dead.keys);
	b->pglobs = NULL;
	b->shadows = NULL;
	b->stext = NULL;
	b->shadowed = (struct ds_keyset){0};
	b->dead = (struct ds_keyset){0};
	b->npglobs = b->nshadows = 0;
}

void domainset_builder_free(struct domainset_builder *b)
{
	if (b == NULL) {
		return;
	}
	ds_pending_free(b);
	free(b->ptext);
	b->ptext = NULL;
	domainset_free(&b->ds);
}

size_t domainset_builder_count(const struct domainset_builder *b)
{
	return b->nadds;
}

/* ---- records ---- */

/* Is record `off` the name `text`? Follows the parents. */
static bool ds_rec_is(const struct domainset *ds, uint32_t off, const char *text, size_t len)
{
	for (;;) {
		const uint8_t *rec = ds->arena + off;
		const size_t l = rec[0];
		if (l > len || memcmp(rec + ds_rec_text(rec), text, l) != 0) {
			return false;
		}
		if ((rec[1] & DS_F_PARENT) == 0) {
			return l == len;
		}
		if (l + 1 >= len || text[l] != '.') {
			return false;
		}
		text += l + 1;
		len -= l + 1;
		off = ds_rec_parent(rec);
	}
}

/* The whole name of record `off` into `out` (NAME_TEXT_MAX bytes); returns its length. */
static size_t ds_rec_name(const struct domainset *ds, uint32_t off, char *out)
{
	size_t w = 0;
	for (;;) {
		const uint8_t *rec = ds->arena + off;
		memcpy(out + w, rec + ds_rec_text(rec), rec[0]);
		w += rec[0];
		if ((rec[1] & DS_F_PARENT) == 0) {
			return w;
		}
		out[w++] = '.';
		off = ds_rec_parent(rec);
	}
}

/* Append a record; returns its offset, or DS_NONE when out of memory or past 4 GiB. */
static uint32_t ds_rec_append(struct domainset *ds, const char *text, size_t len, uint32_t parent,
			      uint32_t alias, unsigned slots)
{
	const size_t size = 2 + (parent != DS_NONE ? 4u : 0u) + (alias != DS_NONE ? 4u : 0u) + len +
			    ((slots & DS_F_XSLOT) != 0 ? sizeof(struct rule_meta) : 0) +
			    ((slots & DS_F_SSLOT) != 0 ? sizeof(struct rule_meta) : 0);
	void *p = ds->arena;
	if (ds->arena_len + size >= DS_NONE ||
	    array_reserve(&p, &ds->arena_cap, ds->arena_len + size, 1) != 0) {
		return DS_NONE;
	}
	ds->arena = p;
	const uint32_t off = (uint32_t)ds->arena_len;
	uint8_t *rec = ds->arena + off;
	rec[0] = (uint8_t)len;
	rec[1] = (uint8_t)(slots | (parent != DS_NONE ? DS_F_PARENT : 0u) |
			   (alias != DS_NONE ? DS_F_ALIAS : 0u));
	size_t w = 2;
	if (parent != DS_NONE) {
		memcpy(rec + w, &parent, 4);
		w += 4;
	}
	if (alias != DS_NONE) {
		memcpy(rec + w, &alias, 4);
		w += 4;
	}
	memcpy(rec + w, text, len);
	memset(rec + w + len, 0, size - w - len);
	ds->arena_len += size;
	return off;
}

/* ---- index ---- */

/* Put record `off` in the first free slot from its home bucket on; -1 when the overflow
 * buckets are full. */
static int ds_slot_put(struct domainset *ds, uint64_t h, uint32_t off)
{
	const size_t end = ds->nbuckets + DS_OVERFLOW_BUCKETS;
	for (size_t i = ds_home(ds, h); i < end; i++) {
		struct ds_bucket *bk = &ds->buckets[i];
		for (unsigned s = 0; s < DS_BUCKET_SLOTS; s++) {
			if (bk->tags[s] == 0) {
				bk->tags[s] = ds_tag(h);
				bk->refs[s] = off;
				ds->nrecords++;
				return 0;
			}
		}
	}
	return -1;
}

/* Declared in domainset_build.h. */
uint32_t ds_find(const struct domainset *ds, uint64_t h, const char *text, size_t len,
		 uint32_t **ref)
{
	if (ds->nbuckets == 0) {
		return DS_NONE;
	}
	const uint8_t tag = ds_tag(h);
	for (struct ds_bucket *bk = &ds->buckets[ds_home(ds, h)];; bk++) {
		bool has_empty;
		for (unsigned m = ds_bucket_tags(bk, tag, &has_empty); m != 0; m &= m - 1) {
			uint32_t *r = &bk->refs[__builtin_ctz(m)];
			if (ds_rec_is(ds, *r, text, len)) {
				if (ref != NULL) {
					*ref = r;
				}
				return *r;
			}
		}
		if (has_empty) {
			return DS_NONE;
		}
	}
}

/* Was the record at `off` left behind by ds_move (out of the index, kept for the records that
 * name it as their parent)? */
static bool ds_is_dead(const struct domainset_builder *b, size_t off)
{
	return b->dead.n != 0 && ds_keyset_has(&b->dead, (uint64_t)off + 1);
}

/*
 * A new index of at least `nbuckets` home buckets holding every live record. The old one is
 * freed first, so that building never holds two indexes: the names are read back from the
 * arena. Returns 0 or -ENOMEM.
 */
static int ds_reindex(struct domainset_builder *b, size_t nbuckets)
{
	struct domainset *ds = &b->ds;
	char name[NAME_TEXT_MAX + 1];
	for (;;) {
		free(ds->buckets);
		ds->nrecords = 0;
		ds->nbuckets = nbuckets;
		const size_t bytes =
			(nbuckets + DS_OVERFLOW_BUCKETS + 1) * sizeof(struct ds_bucket);
		ds->buckets = nbuckets <= UINT32_MAX
				      ? aligned_alloc(sizeof(struct ds_bucket), bytes)
				      : NULL;
		if (ds->buckets == NULL) {
			ds->nbuckets = 0;
			return -ENOMEM;
		}
		memset(ds->buckets, 0, bytes);
		bool full = false;
		for (size_t off = 0; off < ds->arena_len && !full;) {
			const uint8_t *rec = ds->arena + off;
			if (!ds_is_dead(b, off)) {
				size_t len = ds_rec_name(ds, (uint32_t)off, name);
				full = ds_slot_put(ds, domainset_hash(name, len), (uint32_t)off) !=
				       0;
			}
			off += ds_rec_size(rec);
		}
		if (!full) {
			return 0;
		}
		nbuckets += nbuckets / 8 + 1; /* a probe ran off the end: a little larger */
	}
}

/* Buckets for `n` records at `pct` percent load. */
static size_t ds_buckets_for(size_t n, unsigned pct)
{
	return (n * 100 / pct + DS_BUCKET_SLOTS - 1) / DS_BUCKET_SLOTS + 1;
}

/* Index record `off` (already in the arena), growing the index when it is full. */
static int ds_index_add(struct domainset_builder *b, uint64_t h, uint32_t off)
{
	struct domainset *ds = &b->ds;
	if ((ds->nrecords + 1) * 100 > ds->nbuckets * DS_BUCKET_SLOTS * DS_LOAD_GROW_PCT) {
		/* The new index takes every record of the arena, `off` too. */
		return ds_reindex(b, ds->nbuckets < DS_BUCKETS_MIN ? DS_BUCKETS_MIN
								   : ds->nbuckets * 2);
	}
	if (ds_slot_put(ds, h, off) == 0) {
		return 0;
	}
	return ds_reindex(b, ds->nbuckets * 2);
}

/* ---- names ---- */

static bool ds_make_parents(const struct domainset_builder *b)
{
	return b->parents_made < DS_PARENTS_TRIAL || b->parents_found >= b->parents_made;
}

/* The parent record for a new record of name `text` (DS_NONE: none), and in `*own` the bytes
 * of `text` the new record keeps. */
static uint32_t ds_parent_for(struct domainset_builder *b, const char *text, size_t len,
			      unsigned nlabels, size_t *own)
{
	*own = len;
	if (nlabels < 3) {
		return DS_NONE;
	}
	const char *dot = memchr(text, '.', len);
	size_t first = (size_t)(dot - text);
	uint32_t p = ds_find(&b->ds, domainset_hash(dot + 1, len - first - 1), dot + 1,
			     len - first - 1, NULL);
	if (p != DS_NONE) {
		b->parents_found++;
	} else if (ds_make_parents(b)) {
		p = ds_node(b, dot + 1, len - first - 1, nlabels - 1, false, 0);
		if (p == DS_NONE) {
			return DS_NONE;
		}
		b->parents_made++;
	} else {
		/* The longest shorter suffix that has a record already. */
		for (const char *d = memchr(dot + 1, '.', len - first - 1);
		     d != NULL && p == DS_NONE;
		     d = memchr(d + 1, '.', len - (size_t)(d - text) - 1)) {
			const size_t sl = len - (size_t)(d - text) - 1;
			if (sl < DS_PARENT_MIN_LEN) {
				break;
			}
			p = ds_find(&b->ds, domainset_hash(d + 1, sl), d + 1, sl, NULL);
			first = (size_t)(d - text);
		}
		if (p == DS_NONE) {
			return DS_NONE;
		}
	}
	*own = first;
	return p;
}

/* Declared in domainset_build.h; the parents are ds_parent_for's. */
uint32_t ds_node(struct domainset_builder *b, const char *text, size_t len, unsigned nlabels,
		 bool flat, unsigned slots)
{
	struct domainset *ds = &b->ds;
	const uint64_t h = domainset_hash(text, len);
	uint32_t off = ds_find(ds, h, text, len, NULL);
	if (off != DS_NONE) {
		return off;
	}
	size_t own = len;
	uint32_t parent = flat ? DS_NONE : ds_parent_for(b, text, len, nlabels, &own);
	off = ds_rec_append(ds, text, own, parent, DS_NONE, slots);
	if (off == DS_NONE || ds_index_add(b, h, off) != 0) {
		return DS_NONE;
	}
	ds->label_counts |= ds_label_bit(nlabels);
	return off;
}

/* Copy record `off` (name `text`) to the end of the arena with room for both rules; returns the
 * new offset, or DS_NONE when out of memory. */
static uint32_t ds_move(struct domainset_builder *b, uint32_t off, const char *text, size_t len)
{
	struct domainset *ds = &b->ds;
	const uint8_t *rec = ds->arena + off;
	const uint8_t flags = rec[1];
	const uint32_t parent = (flags & DS_F_PARENT) != 0 ? ds_rec_parent(rec) : DS_NONE;
	struct rule_meta exact = {0}, suffix = {0};
	char own[NAME_TEXT_MAX];
	const size_t own_len = rec[0];
	memcpy(own, rec + ds_rec_text(rec), own_len);
	if ((flags & DS_F_EXACT) != 0) {
		exact = *ds_rec_slot(rec, DS_F_XSLOT);
	}
	if ((flags & DS_F_SUFFIX) != 0) {
		suffix = *ds_rec_slot(rec, DS_F_SSLOT);
	}
	if (ds_keyset_put(&b->dead, (uint64_t)off + 1) != 0) {
		return DS_NONE;
	}
	const uint32_t moved =
		ds_rec_append(ds, own, own_len, parent, off, DS_F_XSLOT | DS_F_SSLOT);
	if (moved == DS_NONE) {
		return DS_NONE;
	}
	uint8_t *nrec = ds->arena + moved;
	nrec[1] |= (uint8_t)(flags & (DS_F_EXACT | DS_F_SUFFIX));
	*ds_rec_slot(nrec, DS_F_XSLOT) = exact;
	*ds_rec_slot(nrec, DS_F_SSLOT) = suffix;
	uint32_t *ref = NULL;
	ds_find(ds, domainset_hash(text, len), text, len, &ref);
	*ref = moved;
	return moved;
}

/* ---- key sets ---- */

bool ds_keyset_has(const struct ds_keyset *s, uint64_t key)
{
	if (s->cap == 0) {
		return false;
	}
	for (size_t i = (size_t)(key & (s->cap - 1)); s->keys[i] != 0; i = (i + 1) & (s->cap - 1)) {
		if (s->keys[i] == key) {
			return true;
		}
	}
	return false;
}

/* Put `key` in a table known to have room. */
static void ds_keyset_insert(uint64_t *keys, size_t cap, uint64_t key)
{
	size_t i = (size_t)(key & (cap - 1));
	while (keys[i] != 0 && keys[i] != key) {
		i = (i + 1) & (cap - 1);
	}
	keys[i] = key;
}

int ds_keyset_put(struct ds_keyset *s, uint64_t key)
{
	if (ds_keyset_has(s, key)) {
		return 0;
	}
	if ((s->n + 1) * 2 > s->cap) {
		const size_t ncap = s->cap == 0 ? 64 : s->cap * 2;
		uint64_t *keys = calloc(ncap, sizeof(*keys));
		if (keys == NULL) {
			return -ENOMEM;
		}
		for (size_t j = 0; j < s->cap; j++) {
			if (s->keys[j] != 0) {
				ds_keyset_insert(keys, ncap, s->keys[j]);
			}
		}
		free(s->keys);
		s->keys = keys;
		s->cap = ncap;
	}
	ds_keyset_insert(s->keys, s->cap, key);
	s->n++;
	return 0;
}

/* ---- adding ---- */

/* An exact or suffix rule into the record of its name. */
static int ds_rule_add(struct domainset_builder *b, const struct name *n, unsigned slot,
		       const struct rule_meta *meta)
{
	struct domainset *ds = &b->ds;
	const bool flat = (n->flags & NAME_F_IP_LITERAL) != 0;
	uint32_t off = ds_node(b, n->text, n->len, n->nlabels, flat, slot);
	if (off == DS_NONE) {
		return -ENOMEM;
	}
	if ((ds->arena[off + 1] & slot) == 0) {
		off = ds_move(b, off, n->text, n->len);
		if (off == DS_NONE) {
			return -ENOMEM;
		}
	}
	uint8_t *rec = ds->arena + off;
	const unsigned valid = slot == DS_F_XSLOT ? DS_F_EXACT : DS_F_SUFFIX;
	struct rule_meta *m = ds_rec_slot(rec, slot);
	if ((rec[1] & valid) == 0) {
		*m = *meta;
		rec[1] |= (uint8_t)valid;
		return 0;
	}
	const uint64_t h = domainset_hash(n->text, n->len);
	if (m->vendor_id != meta->vendor_id || m->category_id != meta->category_id ||
	    ds_has_shadows(b, h, slot)) {
		return ds_shadow_add(b, n, h, slot, meta);
	}
	if (ds_is_replaced_by(m, meta)) {
		*m = *meta;
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
	if (b->nadds >= DOMAINSET_RULES_MAX) {
		return -ENOMEM;
	}
	int rc = match == DS_GLOB
			 ? ds_glob_add(b, n, (size_t)fixed_off, meta)
			 : ds_rule_add(b, n, match == DS_EXACT ? DS_F_XSLOT : DS_F_SSLOT, meta);
	if (rc == 0) {
		b->nadds++;
	}
	return rc;
}

int domainset_builder_filter(struct domainset_builder *b, domainset_keep_fn *keep, void *ctx)
{
	struct domainset *ds = &b->ds;
	for (size_t off = 0; off < ds->arena_len;) {
		uint8_t *rec = ds->arena + off;
		if (!ds_is_dead(b, off)) {
			if ((rec[1] & DS_F_EXACT) != 0 &&
			    !keep(ctx, ds_rec_slot(rec, DS_F_XSLOT))) {
				rec[1] &= (uint8_t)~DS_F_EXACT;
			}
			if ((rec[1] & DS_F_SUFFIX) != 0 &&
			    !keep(ctx, ds_rec_slot(rec, DS_F_SSLOT))) {
				rec[1] &= (uint8_t)~DS_F_SUFFIX;
			}
		}
		off += ds_rec_size(rec);
	}
	ds_shadows_resolve(b, keep, ctx);
	for (size_t i = 0; i < b->npglobs; i++) {
		b->pglobs[i].dropped = keep(ctx, &b->pglobs[i].meta) ? 0 : 1;
	}
	return 0;
}

/*
 * Flag the records that have a shorter suffix (of two labels or more) carrying globs, so that a
 * lookup may stop at the longest suffix rule of the others. The hashes of the globs' fixed
 * suffixes go in a small set first; a suffix found there is confirmed in the index. Returns 0
 * or -ENOMEM.
 */
static int ds_mark_glob_below(struct domainset_builder *b)
{
	struct domainset *ds = &b->ds;
	struct ds_keyset fixed = {0};
	char name[NAME_TEXT_MAX + 1];
	int rc = 0;
	for (size_t i = 0; i < ds->ngrefs && rc == 0; i++) {
		const uint64_t h = domainset_hash(name, ds_rec_name(ds, ds->grefs[i].node, name));
		rc = ds_keyset_put(&fixed, h != 0 ? h : 1);
	}
	for (size_t off = 0; off < ds->arena_len && rc == 0; off += ds_rec_size(ds->arena + off)) {
		if (ds_is_dead(b, off)) {
			continue;
		}
		const size_t len = ds_rec_name(ds, (uint32_t)off, name);
		uint64_t fnv = DS_FNV_OFFSET;
		unsigned labels = 1; /* of the suffix right of position i */
		for (size_t i = len; i-- > 0;) {
			if (name[i] == '.') {
				const uint64_t h = ds_hash_final(fnv);
				const uint32_t p =
					labels >= 2 && ds_keyset_has(&fixed, h != 0 ? h : 1)
						? ds_find(ds, h, name + i + 1, len - i - 1, NULL)
						: DS_NONE;
				if (p != DS_NONE && (ds->arena[p + 1] & DS_F_GLOBS) != 0) {
					ds->arena[off + 1] |= DS_F_GLOB_BELOW;
					break;
				}
				labels++;
			}
			fnv = ds_hash_step(fnv, (uint8_t)name[i]);
		}
	}
	free(fixed.keys);
	return rc;
}

struct domainset *domainset_build(struct domainset_builder *b)
{
	struct domainset *ds = &b->ds;
	ds_shadows_resolve(b, NULL, NULL);
	if (ds_globs_compile(b) != 0) {
		domainset_builder_free(b);
		return NULL;
	}
	free(b->ptext);
	b->ptext = NULL;
	if (ds->nglobs > 0 && ds_mark_glob_below(b) != 0) {
		domainset_builder_free(b);
		return NULL;
	}
	ds->nrules = ds->nglobs;
	for (size_t off = 0; off < ds->arena_len;) {
		const uint8_t *rec = ds->arena + off;
		if (!ds_is_dead(b, off)) {
			ds->nrules += ((rec[1] & DS_F_EXACT) != 0 ? 1u : 0u) +
				      ((rec[1] & DS_F_SUFFIX) != 0 ? 1u : 0u);
		}
		off += ds_rec_size(rec);
	}
	if (ds->arena_len > 0 && ds->arena_len < ds->arena_cap) {
		uint8_t *a = realloc(ds->arena, ds->arena_len);
		if (a != NULL) {
			ds->arena = a;
			ds->arena_cap = ds->arena_len;
		}
	}
	if (ds->nbuckets == 0 ||
	    ds->nrecords * 100 < ds->nbuckets * DS_BUCKET_SLOTS * DS_LOAD_REBUILD_PCT) {
		if (ds_reindex(b, ds_buckets_for(ds->nrecords, DS_LOAD_FINAL_PCT)) != 0) {
			domainset_builder_free(b);
			return NULL;
		}
	}
	ds_pending_free(b);
	ds->large = domainset_memory(ds) > DS_LARGE_BYTES;
	return ds;
}
