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

/* What a rule carries back to the caller. Ids index the caller's own tables. Packed: a set
 * keeps one behind each name without padding, so its fields may sit at any address. */
struct __attribute__((packed)) rule_meta {
	uint32_t line;	      /* 1-based source line; 0 when not from a file */
	uint16_t file_id;     /* caller's file table index */
	uint16_t vendor_id;   /* caller's vendor table index */
	uint16_t category_id; /* caller's category table index */
	uint8_t action;	      /* caller's action code (opaque here) */
	uint8_t kind;	      /* enum ds_kind */
};

/* Rules one set can hold: rule numbers are stored as 32-bit values with 0 meaning "none". */
#define DOMAINSET_RULES_MAX (UINT32_MAX - 1u)

struct domainset;
struct domainset_builder;

/* New empty builder; NULL on allocation failure. */
struct domainset_builder *domainset_builder_new(void);

/*
 * Add one rule. `n` must come from name_from_text/name_from_labels and `meta->kind` must be a
 * valid enum ds_kind. For DS_EXACT and DS_SUFFIX a '*' in the name is an ordinary byte. For
 * DS_GLOB the name holds '*' characters; the labels right of the rightmost label holding a '*'
 * are the glob's fixed suffix (at least two labels). Adjustments made here:
 *  - an IP literal (NAME_F_IP_LITERAL) has no names below it: DS_SUFFIX is stored as DS_EXACT;
 *  - a DS_GLOB without any '*' is stored as DS_EXACT.
 * A second rule for the same name and match (after these adjustments) replaces the first only
 * when the first is a block and the second an allow (exceptions win); otherwise the first is
 * kept. Returns 0, -ENOMEM (allocation failure, or more than DOMAINSET_RULES_MAX rules), or
 * -EINVAL (the root name, an unknown match or kind, or a DS_GLOB pattern whose '*' sits in the
 * rightmost two labels).
 */
int domainset_builder_add(struct domainset_builder *b, const struct name *n, enum ds_match match,
			  const struct rule_meta *meta);

/* Calls to domainset_builder_add that returned 0 so far (duplicates included). */
size_t domainset_builder_count(const struct domainset_builder *b);

/* Decides, for domainset_builder_filter, whether a rule stays (true), and may change its
 * action; the other fields must stay as they are. */
typedef bool domainset_keep_fn(void *ctx, struct rule_meta *meta);

/*
 * Call `keep` once on every rule added so far and drop those it refuses, before domainset_build.
 * For rules of one name and match from different vendors or categories, the first that stays
 * stands, unless a later one that stays is an allow and it a block: as if only the rules that
 * stay had been added. Lets a caller add rules as it reads them and decide later which count.
 * Call it at most once. Returns 0.
 */
int domainset_builder_filter(struct domainset_builder *b, domainset_keep_fn *keep, void *ctx);

/* Compile the builder into an immutable set and free the builder (also on failure).
 * NULL on allocation failure. The rules are indexed as they are added, so this costs little
 * and allocates next to nothing. */
struct domainset *domainset_build(struct domainset_builder *b);

/* Free a builder that will not be built. NULL is ignored. */
void domainset_builder_free(struct domainset_builder *b);

/*
 * Most specific rule for `n`, in this order:
 *  1. an exact rule for `n`;
 *  2. a glob matching `n` (same number of labels; each pattern label matches one label of `n`,
 *     '*' standing for any run of bytes, possibly empty, inside that label); among several,
 *     the one with the most literal (non-'*') bytes;
 *  3. a suffix rule for `n` or one of its parent domains, the longest one.
 * At equal specificity an allow beats a block, and then the rule added first wins. An IP
 * literal query matches exact rules only; the root matches nothing. Returns NULL when no rule
 * applies. Cost grows with the number of labels of `n`, not with the size of the set (globs
 * sharing one fixed suffix are tried one by one). Never allocates. The returned pointer lives
 * as long as the set. Thread-safe (the set is immutable).
 */
const struct rule_meta *domainset_lookup(const struct domainset *ds, const struct name *n);

/* Number of distinct rules (duplicates merged), and bytes of memory the set holds. */
size_t domainset_count(const struct domainset *ds);
size_t domainset_memory(const struct domainset *ds);

/* Free the set. NULL is ignored. */
void domainset_free(struct domainset *ds);

/* The 64-bit hash the set indexes names by, over `len` bytes of `text`; exposed so benchmarks
 * can measure lookups against the cost of hashing the name alone. */
uint64_t domainset_hash(const char *text, size_t len);

#endif
