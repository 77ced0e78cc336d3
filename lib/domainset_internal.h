/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The layout of a domain set, shared by its lookup (domainset.c) and its builder
 * (domainset_build.c). */
#ifndef EMBARGO_DOMAINSET_INTERNAL_H
#define EMBARGO_DOMAINSET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "embargo/domainset.h"

/*
 * A set is an arena of name records and a hash index over them.
 *
 * Record (byte-aligned; rule_meta is a packed struct):
 *   len    u8   bytes of text
 *   flags  u8   DS_F_*
 *   parent u32  (DS_F_PARENT) arena offset of the record whose name completes this one
 *   alias  u32  (DS_F_ALIAS) the offset this record had before it was moved (see below)
 *   text        the labels of the name left of the parent's name (all of it without parent)
 *   exact  rule_meta (DS_F_XSLOT; valid with DS_F_EXACT)
 *   suffix rule_meta (DS_F_SSLOT; valid with DS_F_SUFFIX)
 * The name of a record with a parent is its text, '.', and the parent's name: names below one
 * domain share its bytes ("a.example.com" and "b.example.com" keep "example.com" once).
 * A parent is always a proper suffix on a label boundary, and comes earlier in the arena.
 *
 * A record that needs room for a rule it was built without is copied to the end of the arena
 * with room for both rules; the old copy stays (out of the index, listed by the builder) because records
 * made meanwhile may name it as their parent, and the new copy keeps the old offset as its
 * alias, which such records match too. A record moves at most once.
 *
 * Index: buckets of one cache line each, DS_BUCKET_SLOTS slots in a bucket: a tag byte per slot
 * (0 = empty; otherwise 8 bits of the name's hash, 0 mapped to 1) and a record offset. A
 * record sits in the first free slot from its home bucket on, so a probe that meets a bucket
 * with a free slot is over: at the loads used (up to 7/8) most end in their home bucket. After
 * the `nbuckets` home buckets come DS_OVERFLOW_BUCKETS that probing may run into (it never
 * wraps) and one that is always empty. The home bucket comes from the low 32 bits of
 * domainset_hash over the whole name, the tag from the top 8: the hash of a query passes
 * through that of every suffix of it, so one pass gives every probe (see ds_suffix_hashes).
 */

#define DS_F_PARENT 0x01u
#define DS_F_ALIAS  0x02u
#define DS_F_XSLOT  0x04u
#define DS_F_SSLOT  0x08u
#define DS_F_EXACT  0x10u
#define DS_F_SUFFIX 0x20u
#define DS_F_GLOBS  0x40u /* the fixed suffix of globs: see struct ds_gref */
/* No data: a shorter suffix of this name (of two labels or more) has a record with globs. */
#define DS_F_GLOB_BELOW 0x80u

#define DS_BUCKET_SLOTS	    12u
#define DS_OVERFLOW_BUCKETS 16u
/* No record offset: arenas stay below 4 GiB. */
#define DS_NONE UINT32_MAX
/* A lookup has not probed that suffix yet. */
#define DS_UNSEEN (UINT32_MAX - 1)

/* A compiled glob. The globs of one fixed suffix are contiguous, best ranked first. */
struct ds_glob {
	struct rule_meta meta;
	uint32_t text_off; /* in gtext: a length byte, then the pattern */
	uint32_t seq;	   /* order of addition among globs, for ties */
	uint16_t literal;  /* bytes of the pattern that are not '*' */
	uint8_t nlabels;   /* labels of the pattern */
	uint8_t last;	   /* 1 on the last glob of its fixed suffix */
};

/* The first glob of the record at `node`; sorted by node. */
struct ds_gref {
	uint32_t node, first;
};

struct ds_bucket {
	uint8_t tags[DS_BUCKET_SLOTS];
	uint32_t refs[DS_BUCKET_SLOTS];
} __attribute__((aligned(64)));

struct domainset {
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct ds_bucket *buckets; /* nbuckets + DS_OVERFLOW_BUCKETS + 1 */
	size_t nbuckets;	   /* home buckets */
	size_t nrecords;	   /* in the index */
	struct ds_glob *globs;
	size_t nglobs;
	uint8_t *gtext;
	size_t gtext_len;
	struct ds_gref *grefs;
	size_t ngrefs;
	size_t nrules; /* distinct rules (set by domainset_build) */
	/* Bit k-1: some record's name has k labels (bit 63: 64 or more). A query's suffixes of
	 * other lengths are not probed. */
	uint64_t label_counts;
	bool large; /* past DS_LARGE_BYTES: lookups fetch records ahead */
};

/* A set this large no longer stays in the caches a lookup finds it in. */
#define DS_LARGE_BYTES (4u << 20)

static inline uint64_t ds_label_bit(unsigned nlabels)
{
	return 1ull << (nlabels - 1 < 63 ? nlabels - 1 : 63);
}

/* FNV-1a 64-bit parameters (offset basis and prime, from the FNV reference description). */
#define DS_FNV_OFFSET 0xcbf29ce484222325u
#define DS_FNV_PRIME  0x00000100000001b3u

static inline uint64_t ds_hash_step(uint64_t h, uint8_t c)
{
	return (h ^ c) * DS_FNV_PRIME;
}

/* FNV-1a leaves its low bits depending only on the low bits of the input bytes: fold the high
 * half down and mix again before use. */
static inline uint64_t ds_hash_final(uint64_t h)
{
	h ^= h >> 32;
	h *= 0x9e3779b97f4a7c15u; /* 2^64 / golden ratio, odd */
	h ^= h >> 29;
	h *= 0x6a09e667f3bcc909u; /* fractional bits of sqrt(2), odd */
	h ^= h >> 32;
	return h;
}

static inline size_t ds_home(const struct domainset *ds, uint64_t h)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)ds->nbuckets) >> 32);
}

/* 0 means an empty slot. */
static inline uint8_t ds_tag(uint64_t h)
{
	uint8_t t = (uint8_t)(h >> 56);
	return t != 0 ? t : 1;
}

/*
 * The slots of a bucket whose tag is `tag` and ahead of its first empty slot (bit i: slot i),
 * and whether it has an empty slot (then no record probed for goes on to the next bucket).
 */
static inline unsigned ds_bucket_tags(const struct ds_bucket *bk, uint8_t tag, bool *has_empty)
{
#ifdef __SSE2__
	const unsigned all = (1u << DS_BUCKET_SLOTS) - 1;
	/* The 16 bytes from the bucket's start: the tags, then 4 bytes of refs[0], masked off. */
	const __m128i v = _mm_load_si128((const __m128i *)(const void *)bk);
	unsigned match = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)tag)));
	unsigned empty = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
	match &= all;
	empty &= all;
#else
	unsigned match = 0, empty = 0;
	for (unsigned i = 0; i < DS_BUCKET_SLOTS; i++) {
		match |= (bk->tags[i] == tag ? 1u : 0u) << i;
		empty |= (bk->tags[i] == 0 ? 1u : 0u) << i;
	}
#endif
	*has_empty = empty != 0;
	return empty != 0 ? match & ((empty & (0u - empty)) - 1) : match;
}

static inline uint32_t ds_rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Offset of a record's text from its start. */
static inline size_t ds_rec_text(const uint8_t *rec)
{
	return 2u + ((rec[1] & DS_F_PARENT) != 0 ? 4u : 0u) +
	       ((rec[1] & DS_F_ALIAS) != 0 ? 4u : 0u);
}

static inline uint32_t ds_rec_parent(const uint8_t *rec)
{
	return ds_rd32(rec + 2);
}

static inline uint32_t ds_rec_alias(const uint8_t *rec)
{
	return ds_rd32(rec + 2 + ((rec[1] & DS_F_PARENT) != 0 ? 4u : 0u));
}

/* Bytes of a whole record. */
static inline size_t ds_rec_size(const uint8_t *rec)
{
	return ds_rec_text(rec) + rec[0] +
	       ((rec[1] & DS_F_XSLOT) != 0 ? sizeof(struct rule_meta) : 0) +
	       ((rec[1] & DS_F_SSLOT) != 0 ? sizeof(struct rule_meta) : 0);
}

/* The exact (DS_F_XSLOT) or suffix (DS_F_SSLOT) slot of a record that has it. */
static inline struct rule_meta *ds_rec_slot(const uint8_t *rec, unsigned slot)
{
	size_t pos = ds_rec_text(rec) + rec[0];
	if (slot == DS_F_SSLOT && (rec[1] & DS_F_XSLOT) != 0) {
		pos += sizeof(struct rule_meta);
	}
	return (struct rule_meta *)(uintptr_t)(rec + pos);
}

#endif
