/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Label globs of a domain set: kept as they are added, then merged, ranked and hung off the
 * record of their fixed suffix by domainset_build. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domainset_build.h"
#include "reserve.h"

/* A glob's '*' may not sit in the rightmost DS_GLOB_FIXED_MIN labels: "*.com" would match a whole
 * top-level domain through a pattern that reads like a single site. */
#define DS_GLOB_FIXED_MIN 2u

int ds_glob_split(const struct name *n)
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

int ds_glob_add(struct domainset_builder *b, const struct name *n, size_t fixed_off,
		const struct rule_meta *meta)
{
	unsigned fixed_labels = 1, stars = 0;
	for (size_t i = fixed_off; i < n->len; i++) {
		fixed_labels += n->text[i] == '.' ? 1u : 0u;
	}
	for (size_t i = 0; i < n->len; i++) {
		stars += n->text[i] == '*' ? 1u : 0u;
	}
	/* The fixed suffix gets a record now: domainset_build hangs the globs off it. */
	if (ds_node(b, n->text + fixed_off, n->len - fixed_off, fixed_labels, false, 0) ==
	    DS_NONE) {
		return -ENOMEM;
	}
	void *p = b->pglobs, *t = b->ptext;
	if (b->npglobs >= UINT32_MAX - 1 ||
	    array_reserve(&p, &b->pglobs_cap, b->npglobs + 1, sizeof(struct ds_pglob)) != 0) {
		return -ENOMEM;
	}
	b->pglobs = p;
	if (b->ptext_len + 1 + n->len > UINT32_MAX ||
	    array_reserve(&t, &b->ptext_cap, b->ptext_len + 1 + n->len, 1) != 0) {
		return -ENOMEM;
	}
	b->ptext = t;
	b->ptext[b->ptext_len] = (uint8_t)n->len;
	memcpy(b->ptext + b->ptext_len + 1, n->text, n->len);
	b->pglobs[b->npglobs] = (struct ds_pglob){
		.meta = *meta,
		.text_off = (uint32_t)b->ptext_len,
		.seq = (uint32_t)b->npglobs,
		.literal = (uint16_t)(n->len - stars),
		.len = (uint8_t)n->len,
		.fixed_off = (uint8_t)fixed_off,
		.nlabels = n->nlabels,
	};
	b->npglobs++;
	b->ptext_len += 1 + n->len;
	return 0;
}

static int ds_cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

static const uint8_t *ds_pglob_text(const struct domainset_builder *b, const struct ds_pglob *g)
{
	return b->ptext + g->text_off + 1;
}

/* Same fixed suffix, then same pattern, then order of addition: duplicates become neighbours. */
static int ds_glob_cmp_pattern(const void *pa, const void *pb, void *builder)
{
	const struct domainset_builder *bl = builder;
	const struct ds_pglob *a = pa, *b = pb;
	if (a->node != b->node) {
		return ds_cmp_u32(a->node, b->node);
	}
	if (a->len != b->len) {
		return ds_cmp_u32(a->len, b->len);
	}
	int c = memcmp(ds_pglob_text(bl, a), ds_pglob_text(bl, b), a->len);
	return c != 0 ? c : ds_cmp_u32(a->seq, b->seq);
}

/* Same fixed suffix, then the lookup's preference: most literal bytes, allow, first added. */
static int ds_glob_cmp_rank(const void *pa, const void *pb)
{
	const struct ds_pglob *a = pa, *b = pb;
	if (a->node != b->node) {
		return ds_cmp_u32(a->node, b->node);
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
 * The globs that stayed: duplicates merged (same pattern: the first is kept unless a later allow
 * replaces a block), ranked per fixed suffix, each suffix's record flagged and listed in grefs.
 * Returns 0 or -ENOMEM.
 */
int ds_globs_compile(struct domainset_builder *b)
{
	struct domainset *ds = &b->ds;
	size_t n = 0;
	for (size_t i = 0; i < b->npglobs; i++) {
		struct ds_pglob *g = &b->pglobs[i];
		if (g->dropped) {
			continue;
		}
		const char *fixed = (const char *)ds_pglob_text(b, g) + g->fixed_off;
		const size_t flen = (size_t)(g->len - g->fixed_off);
		g->node = ds_find(ds, domainset_hash(fixed, flen), fixed, flen, NULL);
		b->pglobs[n++] = *g;
	}
	if (n == 0) {
		return 0;
	}
	qsort_r(b->pglobs, n, sizeof(*b->pglobs), ds_glob_cmp_pattern, b);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct ds_pglob *prev = m > 0 ? &b->pglobs[m - 1] : NULL, *g = &b->pglobs[i];
		if (prev != NULL && prev->node == g->node && prev->len == g->len &&
		    memcmp(ds_pglob_text(b, prev), ds_pglob_text(b, g), g->len) == 0) {
			if (ds_is_replaced_by(&prev->meta, &g->meta)) {
				prev->meta = g->meta;
			}
			continue;
		}
		b->pglobs[m++] = *g;
	}
	qsort(b->pglobs, m, sizeof(*b->pglobs), ds_glob_cmp_rank);
	size_t nbuckets = 0;
	for (size_t i = 0; i < m; i++) {
		nbuckets += i == 0 || b->pglobs[i].node != b->pglobs[i - 1].node ? 1u : 0u;
	}
	ds->globs = malloc(m * sizeof(struct ds_glob));
	ds->grefs = malloc(nbuckets * sizeof(struct ds_gref));
	if (ds->globs == NULL || ds->grefs == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < m; i++) {
		const struct ds_pglob *g = &b->pglobs[i];
		if (i == 0 || g->node != b->pglobs[i - 1].node) {
			ds->grefs[ds->ngrefs++] = (struct ds_gref){g->node, (uint32_t)i};
			ds->arena[g->node + 1] |= DS_F_GLOBS;
		}
		ds->globs[i] = (struct ds_glob){
			.meta = g->meta,
			.text_off = g->text_off,
			.seq = g->seq,
			.literal = g->literal,
			.nlabels = g->nlabels,
			.last = (uint8_t)(i + 1 == m || b->pglobs[i + 1].node != g->node),
		};
	}
	ds->nglobs = m;
	/* grefs are in rank order, which sorts by node first. */
	ds->gtext = b->ptext;
	ds->gtext_len = b->ptext_len;
	b->ptext = NULL;
	return 0;
}
