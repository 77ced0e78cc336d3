/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domainset: a compiled, immutable set of name rules (exact, suffix, label glob) for lookup. */
#ifndef EMBARGO_DOMAINSET_H
#define EMBARGO_DOMAINSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "embargo/name.h"

enum ds_match {
	DS_EXACT = 0, /* the name itself only */
	DS_SUFFIX,    /* the name and every name below it on a label boundary */
	DS_GLOB,      /* labels may contain '*' matching any run of bytes inside that one label,
			 e.g. "dnl-*.geo.example.com"; a whole-label "*" matches exactly one label */
};

enum ds_kind {
	DS_BLOCK = 0, /* the name is listed */
	DS_ALLOW,     /* an exception: the name is not listed even if a block rule covers it */
};

/* What a rule carries back to the caller. Ids index the caller's own tables. */
struct rule_meta {
	uint32_t line;	      /* 1-based source line; 0 when not from a file */
	uint16_t file_id;     /* caller's file table index */
	uint16_t vendor_id;   /* caller's vendor table index */
	uint16_t category_id; /* caller's category table index */
	uint8_t action;	      /* caller's action code (opaque here) */
	uint8_t kind;	      /* enum ds_kind */
};

struct domainset;
struct domainset_builder;

/* New empty builder; NULL on allocation failure. */
struct domainset_builder *domainset_builder_new(void);

/*
 * Add one rule. `n` must come from name_from_text/name_from_labels. For DS_GLOB the name holds
 * '*' characters. A second rule for the same name and match overrides the first only when it is
 * an allow (exceptions win); otherwise the first is kept. Returns 0, -ENOMEM, or -EINVAL (a
 * DS_GLOB pattern whose '*' sits in the rightmost two labels).
 */
int domainset_builder_add(struct domainset_builder *b, const struct name *n, enum ds_match match,
			  const struct rule_meta *meta);

/* Rules added so far. */
size_t domainset_builder_count(const struct domainset_builder *b);

/* Compile the builder into an immutable set and free the builder (also on failure).
 * NULL on allocation failure. */
struct domainset *domainset_build(struct domainset_builder *b);

/* Free a builder that will not be built. NULL is ignored. */
void domainset_builder_free(struct domainset_builder *b);

/*
 * Most specific rule for `n`: an exact rule beats a glob, a glob beats a suffix, a longer suffix
 * beats a shorter one; at equal specificity an allow beats a block. Returns NULL when no rule
 * applies. Cost grows with the number of labels of `n`, not with the size of the set. The
 * returned pointer lives as long as the set. Thread-safe (the set is immutable).
 */
const struct rule_meta *domainset_lookup(const struct domainset *ds, const struct name *n);

/* Number of rules, and bytes of memory the set holds. */
size_t domainset_count(const struct domainset *ds);
size_t domainset_memory(const struct domainset *ds);

void domainset_free(struct domainset *ds);

#endif
