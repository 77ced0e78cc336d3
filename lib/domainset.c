/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domainset: lookup in a compiled set of name rules; a lookup costs O(labels of the name).
 * The layout is described in domainset_internal.h, the build in domainset_build.c. */
#include <stdlib.h>
#include <string.h>

#include "domainset_internal.h"

uint64_t domainset_hash(const char *text, size_t len)
{
	uint64_t h = DS_FNV_OFFSET;
	for (size_t i = len; i-- > 0;) {
		h = ds_hash_step(h, (uint8_t)text[i]);
	}
	return ds_hash_final(h);
}

void domainset_free(struct domainset *ds)
{
	if (ds == NULL) {
		return;
	}
	free(ds->arena);
	free(ds->buckets);
	free(ds->globs);
	free(ds->gtext);
	free(ds->grefs);
	/* A set is the first member of the builder it was built in: this frees the block. */
	free(ds);
}

size_t domainset_count(const struct domainset *ds)
{
	return ds->nrules;
}

size_t domainset_memory(const struct domainset *ds)
{
	const size_t nbuckets = ds->nbuckets > 0 ? ds->nbuckets + DS_OVERFLOW_BUCKETS + 1 : 0;
	return sizeof(*ds) + ds->arena_len + nbuckets * sizeof(struct ds_bucket) +
	       ds->nglobs * sizeof(struct ds_glob) + ds->gtext_len +
	       ds->ngrefs * sizeof(struct ds_gref);
}

/* ---- lookup ---- */

/* A query being looked up: its suffixes, shortest first, and the record each one matched. */
struct ds_query {
	const struct name *n;
	unsigned nsfx;			  /* index of the whole name */
	uint8_t offs[NAME_LABELS_MAX];	  /* where suffix j starts in n->text */
	uint64_t hashes[NAME_LABELS_MAX]; /* domainset_hash of suffix j */
	uint32_t node[NAME_LABELS_MAX];	  /* the record of suffix j, DS_NONE; DS_UNSEEN */
	/* The home bucket of suffix j, its slots with the right tag (ds_bucket_tags), and
	 * whether it has an empty slot. */
	const struct ds_bucket *home[NAME_LABELS_MAX];
	uint16_t match[NAME_LABELS_MAX];
	bool ends[NAME_LABELS_MAX];
	bool early; /* match and ends are filled in (the set is large: see ds_suffix_hashes) */
};

/*
 * Is record `off` the one for suffix j of the query? Its text must be the first bytes of the
 * suffix, and the rest of the suffix (after a '.') must be a shorter suffix whose record is the
 * parent (or was: the alias of a moved record).
 */
static uint32_t ds_node_of(const struct domainset *ds, struct ds_query *q, unsigned j);

static bool ds_verify(const struct domainset *ds, struct ds_query *q, unsigned j, uint32_t off)
{
	const uint8_t *rec = ds->arena + off;
	const size_t start = q->offs[j], qlen = q->n->len - start, len = rec[0];
	if (len > qlen || memcmp(rec + ds_rec_text(rec), q->n->text + start, len) != 0) {
		return false;
	}
	if ((rec[1] & DS_F_PARENT) == 0) {
		return len == qlen;
	}
	if (len + 1 >= qlen || q->n->text[start + len] != '.') {
		return false;
	}
	const size_t p = start + len + 1;
	for (unsigned k = j; k-- > 0 && q->offs[k] <= p;) {
		if (q->offs[k] == p) {
			const uint32_t parent = ds_rec_parent(rec), got = ds_node_of(ds, q, k);
			if (got == DS_NONE) {
				return false;
			}
			const uint8_t *pr = ds->arena + got;
			return parent == got ||
			       ((pr[1] & DS_F_ALIAS) != 0 && ds_rec_alias(pr) == parent);
		}
	}
	return false;
}

/* The record of suffix j, or DS_NONE: the home bucket's matches from ds_suffix_hashes, then
 * bucket by bucket. */
static uint32_t ds_probe(const struct domainset *ds, struct ds_query *q, unsigned j)
{
	const struct ds_bucket *bk = q->home[j];
	bool ends;
	unsigned m;
	if (q->early) {
		m = q->match[j];
		ends = q->ends[j];
	} else {
		m = ds_bucket_tags(bk, ds_tag(q->hashes[j]), &ends);
	}
	for (;;) {
		for (; m != 0; m &= m - 1) {
			const uint32_t off = bk->refs[__builtin_ctz(m)];
			if (ds_verify(ds, q, j, off)) {
				return off;
			}
		}
		if (ends) {
			return DS_NONE;
		}
		bk++;
		m = ds_bucket_tags(bk, ds_tag(q->hashes[j]), &ends);
	}
}

/* The record of suffix j, probed the first time it is asked for. */
static uint32_t ds_node_of(const struct domainset *ds, struct ds_query *q, unsigned j)
{
	if (q->node[j] == DS_UNSEEN) {
		q->node[j] = q->home[j] != NULL ? ds_probe(ds, q, j) : DS_NONE;
	}
	return q->node[j];
}

/*
 * The hash and start of every label-boundary suffix of the query, shortest first, from one
 * right-to-left pass. The home buckets of all suffixes are fetched at once so that their cache
 * misses overlap; in a large set, then the record the first matching tag of each points at (in
 * a small one, which stays in the cache, that would cost more than it saves).
 */
static void ds_suffix_hashes(const struct domainset *ds, struct ds_query *q)
{
	const struct name *n = q->n;
	unsigned nsfx = 0;
	uint64_t h = DS_FNV_OFFSET, counts = ds->label_counts;
	for (size_t i = n->len; i-- > 0;) {
		uint8_t c = (uint8_t)n->text[i];
		if (c == '.' && nsfx < NAME_LABELS_MAX - 1) {
			q->offs[nsfx] = (uint8_t)(i + 1);
			const bool probe = (counts & 1) != 0;
			counts = counts >> 1 |
				 (counts & (1ull << 63)); /* bit 63: 64 labels or more */
			if (probe) {
				q->hashes[nsfx] = ds_hash_final(h);
				q->home[nsfx] = &ds->buckets[ds_home(ds, q->hashes[nsfx])];
				__builtin_prefetch(q->home[nsfx]);
			} else {
				q->home[nsfx] = NULL; /* no record has a name of this many labels */
			}
			nsfx++;
		}
		h = ds_hash_step(h, c);
	}
	q->offs[nsfx] = 0;
	q->hashes[nsfx] = ds_hash_final(h);
	q->home[nsfx] = NULL;
	if ((counts & 1) != 0) {
		q->home[nsfx] = &ds->buckets[ds_home(ds, q->hashes[nsfx])];
		__builtin_prefetch(q->home[nsfx]);
	}
	q->nsfx = nsfx;
	q->early = ds->large;
	for (unsigned j = 0; q->early && j <= nsfx; j++) {
		if (q->home[j] == NULL) {
			continue;
		}
		const unsigned m = ds_bucket_tags(q->home[j], ds_tag(q->hashes[j]), &q->ends[j]);
		q->match[j] = (uint16_t)m;
		if (m != 0) {
			__builtin_prefetch(ds->arena + q->home[j]->refs[__builtin_ctz(m)]);
		}
		if (!q->ends[j]) {
			__builtin_prefetch(q->home[j] + 1); /* the probe goes on there */
		}
	}
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

/* True if glob `a` is preferred over glob `b`: most literal bytes, allow, first added. */
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

/* Index in globs[] of the first glob whose fixed suffix is record `node`. */
static uint32_t ds_first_glob(const struct domainset *ds, uint32_t node)
{
	size_t lo = 0, hi = ds->ngrefs;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ds->grefs[mid].node <= node) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return ds->grefs[lo].first;
}

/* The first glob of the bucket of record `node` that matches `n` and ranks above `best`;
 * n->text[0 .. prefix_len) are the labels of `n` left of the bucket's fixed suffix. */
static const struct ds_glob *ds_bucket_match(const struct domainset *ds, uint32_t node,
					     const struct name *n, size_t prefix_len,
					     const struct ds_glob *best)
{
	const size_t tail = n->len - prefix_len; /* the '.' and the fixed suffix */
	for (const struct ds_glob *g = &ds->globs[ds_first_glob(ds, node)];; g++) {
		if (best != NULL && !ds_glob_better(g, best)) {
			return NULL; /* the rest of the bucket ranks lower still */
		}
		const uint8_t *pt = ds->gtext + g->text_off;
		if (g->nlabels == n->nlabels && pt[0] > tail &&
		    ds_prefix_glob((const char *)pt + 1, pt[0] - tail, n->text, prefix_len)) {
			return g;
		}
		if (g->last) {
			return NULL;
		}
	}
}

static const struct rule_meta *ds_rule(const struct domainset *ds, uint32_t off, unsigned slot)
{
	return ds_rec_slot(ds->arena + off, slot);
}

const struct rule_meta *domainset_lookup(const struct domainset *ds, const struct name *n)
{
	if (n->len == 0 || ds->nrecords == 0) {
		return NULL;
	}
	struct ds_query q;
	q.n = n;
	ds_suffix_hashes(ds, &q);
	const unsigned full = q.nsfx;
	for (unsigned j = 0; j <= full; j++) {
		q.node[j] = DS_UNSEEN;
	}
	/* Longest suffix first; a record with a parent has that suffix probed to verify it. */
	const uint32_t whole = ds_node_of(ds, &q, full);
	if (whole != DS_NONE && (ds->arena[whole + 1] & DS_F_EXACT) != 0) {
		return ds_rule(ds, whole, DS_F_XSLOT);
	}
	if (n->flags & NAME_F_IP_LITERAL) {
		return NULL; /* addresses have no parent domains: suffix rules were stored as exact */
	}
	const struct ds_glob *glob = NULL;
	const struct rule_meta *suffix = NULL;
	for (unsigned j = full + 1; j-- > 0;) {
		const uint32_t off = ds_node_of(ds, &q, j);
		if (off == DS_NONE) {
			continue;
		}
		const uint8_t flags = ds->arena[off + 1];
		if (j != full && (flags & DS_F_GLOBS) != 0) {
			const struct ds_glob *g = ds_bucket_match(ds, off, n, q.offs[j] - 1u, glob);
			glob = g != NULL ? g : glob;
		}
		if (suffix == NULL && (flags & DS_F_SUFFIX) != 0) {
			suffix = ds_rule(ds, off, DS_F_SSLOT);
			if ((flags & DS_F_GLOB_BELOW) == 0) {
				break; /* no shorter suffix brings a glob that would beat it */
			}
		}
	}
	return glob != NULL ? &glob->meta : suffix;
}
