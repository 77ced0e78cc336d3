/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain set builder, shared by the build (domainset_build.c), the globs
 * (domainset_globs.c) and the shadows (domainset_shadows.c). */
#ifndef EMBARGO_DOMAINSET_BUILD_H
#define EMBARGO_DOMAINSET_BUILD_H

#include "domainset_internal.h"

/* A glob as added; compiled by domainset_build. */
struct ds_pglob {
	struct rule_meta meta;
	uint32_t text_off; /* in the builder's ptext: a length byte, then the pattern */
	uint32_t seq;	   /* order of addition */
	uint32_t node;	   /* record of the fixed suffix (set by domainset_build) */
	uint16_t literal;  /* bytes that are not '*' */
	uint8_t len;	   /* bytes of the pattern */
	uint8_t fixed_off; /* where the fixed suffix starts in the pattern */
	uint8_t nlabels;
	uint8_t dropped; /* by domainset_builder_filter */
};

/* A second rule for a name and match that already have one from another vendor or category:
 * which one stands depends on domainset_builder_filter. */
struct ds_shadow {
	struct rule_meta meta;
	uint64_t hash;
	uint32_t text_off; /* in the builder's stext */
	uint8_t len;
	uint8_t slot; /* DS_F_XSLOT or DS_F_SSLOT */
};

/* A set of 64-bit keys (0 is not a key), open addressing in a power-of-two table. */
struct ds_keyset {
	uint64_t *keys;
	size_t cap, n;
};

struct domainset_builder {
	struct domainset ds; /* first: domainset_build hands this out */
	size_t nadds;
	struct ds_pglob *pglobs;
	size_t npglobs, pglobs_cap;
	uint8_t *ptext;
	size_t ptext_len, ptext_cap;
	struct ds_shadow *shadows;
	size_t nshadows, shadows_cap;
	uint8_t *stext;
	size_t stext_len, stext_cap;
	struct ds_keyset shadowed; /* (name, match) keys that have shadows */
	struct ds_keyset dead;	   /* offset + 1 of each record left behind by ds_move */
	size_t parents_made, parents_found;
};

/* A second rule replaces the first for the same name and match only when it is an allow and
 * the first a block: exceptions win. */
static inline bool ds_is_replaced_by(const struct rule_meta *old, const struct rule_meta *new)
{
	return old->kind == DS_BLOCK && new->kind == DS_ALLOW;
}

bool ds_keyset_has(const struct ds_keyset *s, uint64_t key);

/* Add `key`; 0 or -ENOMEM. */
int ds_keyset_put(struct ds_keyset *s, uint64_t key);

/* True when rules for the name of hash `h` in `slot` (DS_F_XSLOT, DS_F_SSLOT) have shadows:
 * a later rule for it is kept aside as well, whoever its vendor. */
bool ds_has_shadows(const struct domainset_builder *b, uint64_t h, unsigned slot);

/* Keep the rule `meta` for name `n` (hash `h`) in `slot` aside as a shadow of the one it meets
 * there; 0 or -ENOMEM. */
int ds_shadow_add(struct domainset_builder *b, const struct name *n, uint64_t h, unsigned slot,
		  const struct rule_meta *meta);

/* The shadows, in the order they were added, against the rules they shadow (after `keep`, when
 * given, had its say on both): the first rule that stays stands, unless a later one is an
 * allow replacing a block. */
void ds_shadows_resolve(struct domainset_builder *b, domainset_keep_fn *keep, void *ctx);

/* The record of name `text`, DS_NONE if none; `*ref` (when not NULL) gets where the index
 * holds it. */
uint32_t ds_find(const struct domainset *ds, uint64_t h, const char *text, size_t len,
		 uint32_t **ref);

/*
 * The record of name `text` (`nlabels` labels), made when missing with room for the rules in
 * `slots` (DS_F_XSLOT, DS_F_SSLOT), and its parents as the build decides unless `flat`.
 * DS_NONE when out of memory.
 */
uint32_t ds_node(struct domainset_builder *b, const char *text, size_t len, unsigned nlabels,
		 bool flat, unsigned slots);

/*
 * Offset of a glob pattern's fixed suffix (the labels right of the rightmost label holding a
 * '*'), 0 when it holds no '*', or -1 when a '*' sits in the rightmost DS_GLOB_FIXED_MIN labels.
 */
int ds_glob_split(const struct name *n);

/* Keep a glob (fixed suffix at `fixed_off`) for domainset_build; 0 or -ENOMEM. */
int ds_glob_add(struct domainset_builder *b, const struct name *n, size_t fixed_off,
		const struct rule_meta *meta);

/* The globs that stayed, merged, ranked and hung off their fixed suffixes; 0 or -ENOMEM. */
int ds_globs_compile(struct domainset_builder *b);

#endif
