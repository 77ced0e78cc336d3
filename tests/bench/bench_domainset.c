/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark of domainset: build time, memory and lookup cost at 10k, 100k and 1M rules, with the
 * growth of lookup cost against the smallest set and against hashing the name alone. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embargo/domainset.h"
#include "embargo/name.h"

/* Rule set sizes measured, smallest first: the ratios are against the first. */
static const size_t bench_sizes[] = {10000, 100000, 1000000};
#define BENCH_NSIZES (sizeof(bench_sizes) / sizeof(bench_sizes[0]))

/* Queries per pool (hits, misses); each timed loop runs over a whole pool. */
#define BENCH_QUERIES 1000000u
/* Timed passes over each pool; the fastest is reported (the machine is shared). */
#define BENCH_PASSES 3

/* Rule mix, in percent: the rest are suffix rules. */
#define BENCH_EXACT_PCT 13
#define BENCH_GLOB_PCT	2
#define BENCH_ALLOW_PCT 5

static const char *const bench_tlds[] = {
	"com", "net", "org", "ru", "de", "io", "cn", "info", "xyz", "top", "uk", "fr", "br", "jp",
};
#define BENCH_NTLDS (sizeof(bench_tlds) / sizeof(bench_tlds[0]))

static uint64_t bench_rng_state = 0x2545f4914f6cdd1du;

static uint32_t bench_rng(void)
{
	bench_rng_state ^= bench_rng_state >> 12;
	bench_rng_state ^= bench_rng_state << 25;
	bench_rng_state ^= bench_rng_state >> 27;
	return (uint32_t)((bench_rng_state * 0x2545f4914f6cdd1du) >> 32);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Packed names: records of [len][nlabels][match][text], one after the other. */
struct pool {
	uint8_t *buf;
	size_t len, cap, count;
};

static void pool_put(struct pool *p, const char *text, size_t len, unsigned nlabels, unsigned match)
{
	if (p->len + 3 + len > p->cap) {
		p->cap = p->cap == 0 ? 1u << 20 : p->cap * 2;
		p->buf = realloc(p->buf, p->cap);
		if (p->buf == NULL) {
			fprintf(stderr, "bench_domainset: out of memory\n");
			exit(1);
		}
	}
	p->buf[p->len] = (uint8_t)len;
	p->buf[p->len + 1] = (uint8_t)nlabels;
	p->buf[p->len + 2] = (uint8_t)match;
	memcpy(p->buf + p->len + 3, text, len);
	p->len += 3 + len;
	p->count++;
}

/* A random host-name label of 3..12 letters and digits, starting with a letter. */
static size_t rand_label(char *out)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = 3 + bench_rng() % 10;
	out[0] = alnum[bench_rng() % 26];
	for (size_t i = 1; i < len; i++) {
		out[i] = alnum[bench_rng() % 36];
	}
	return len;
}

/* A random name of `nlabels` labels (the last a real top-level domain) into `out`. */
static size_t rand_name(char *out, unsigned nlabels)
{
	size_t w = 0;
	for (unsigned i = 0; i + 1 < nlabels; i++) {
		w += rand_label(out + w);
		out[w++] = '.';
	}
	const char *tld = bench_tlds[bench_rng() % BENCH_NTLDS];
	memcpy(out + w, tld, strlen(tld));
	return w + strlen(tld);
}

/* Rule labels: 2 (40%), 3 (30%), 4 (20%), 5 (10%). */
static unsigned rand_rule_labels(void)
{
	unsigned r = bench_rng() % 10;
	return r < 4 ? 2 : r < 7 ? 3 : r < 9 ? 4 : 5;
}

static void gen_rules(struct pool *rules, size_t n)
{
	char text[NAME_TEXT_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		unsigned pct = bench_rng() % 100;
		unsigned nlabels = rand_rule_labels();
		size_t len;
		unsigned match;
		if (pct < BENCH_GLOB_PCT) {
			nlabels = nlabels < 3 ? 3 : nlabels;
			/* "*.rest" or "abc*.rest" */
			if (bench_rng() % 2) {
				len = rand_label(text);
				len = 1 + bench_rng() % len;
			} else {
				len = 0;
			}
			text[len++] = '*';
			text[len++] = '.';
			len += rand_name(text + len, nlabels - 1);
			match = DS_GLOB;
		} else {
			len = rand_name(text, nlabels);
			match = pct < BENCH_GLOB_PCT + BENCH_EXACT_PCT ? DS_EXACT : DS_SUFFIX;
		}
		pool_put(rules, text, len, nlabels, match);
	}
}

/* Hits: names of 3..6 labels some rule covers. A suffix rule gets random labels in front, an
 * exact rule of 3+ labels is used as is, a glob gets its '*' filled in. */
static void gen_hits(struct pool *hits, const struct pool *rules, const uint32_t *offsets)
{
	char text[NAME_TEXT_MAX + 1];
	while (hits->count < BENCH_QUERIES) {
		const uint8_t *r = rules->buf + offsets[bench_rng() % rules->count];
		size_t rlen = r[0];
		unsigned nlabels = r[1];
		const char *rtext = (const char *)r + 3;
		size_t len = 0;
		if (r[2] == DS_SUFFIX) {
			unsigned want = 3 + bench_rng() % 4;
			while (nlabels < want) {
				len += rand_label(text + len);
				text[len++] = '.';
				nlabels++;
			}
			memcpy(text + len, rtext, rlen);
			len += rlen;
		} else if (r[2] == DS_EXACT) {
			if (nlabels < 3) {
				continue;
			}
			memcpy(text, rtext, rlen);
			len = rlen;
		} else {
			for (size_t i = 0; i < rlen; i++) {
				if (rtext[i] == '*') {
					unsigned fill = 1 + bench_rng() % 4;
					for (unsigned j = 0; j < fill; j++) {
						text[len++] = (char)('a' + bench_rng() % 26);
					}
				} else {
					text[len++] = rtext[i];
				}
			}
		}
		pool_put(hits, text, len, nlabels, 0);
	}
}

/* Misses: random names of 3..6 labels under real top-level domains. */
static void gen_misses(struct pool *misses)
{
	char text[NAME_TEXT_MAX + 1];
	while (misses->count < BENCH_QUERIES) {
		unsigned nlabels = 3 + bench_rng() % 4;
		size_t len = rand_name(text, nlabels);
		pool_put(misses, text, len, nlabels, 0);
	}
}

static uint32_t *pool_offsets(const struct pool *p)
{
	uint32_t *off = malloc(p->count * sizeof(*off));
	if (off == NULL) {
		fprintf(stderr, "bench_domainset: out of memory\n");
		exit(1);
	}
	size_t pos = 0;
	for (size_t i = 0; i < p->count; i++) {
		off[i] = (uint32_t)pos;
		pos += 3 + (size_t)p->buf[pos];
	}
	return off;
}

/* Copy one packed record into `n`, the form a parser hands over (already normalised). */
static inline size_t load_name(struct name *n, const uint8_t *rec)
{
	n->len = rec[0];
	n->nlabels = rec[1];
	n->flags = 0;
	memcpy(n->text, rec + 3, rec[0]);
	n->text[rec[0]] = '\0';
	return 3 + (size_t)rec[0];
}

enum bench_loop {
	LOOP_COPY = 0, /* copying the query out of the pool only */
	LOOP_HASH,     /* copy + domainset_hash of the whole name */
	LOOP_LOOKUP,   /* copy + domainset_lookup */
};

static volatile uint64_t bench_sink;

/* ns per query of the fastest of BENCH_PASSES passes; `*found` gets the lookups that matched. */
static double time_loop(const struct domainset *ds, const struct pool *q, enum bench_loop what,
			size_t *found)
{
	double best = 0;
	for (int pass = 0; pass < BENCH_PASSES; pass++) {
		struct name n;
		uint64_t acc = 0;
		size_t hits = 0;
		double t0 = now_ns();
		for (size_t pos = 0; pos < q->len;) {
			pos += load_name(&n, q->buf + pos);
			if (what == LOOP_HASH) {
				acc += domainset_hash(n.text, n.len);
			} else if (what == LOOP_LOOKUP) {
				const struct rule_meta *m = domainset_lookup(ds, &n);
				hits += m != NULL;
				acc += m != NULL ? m->line : 0;
			} else {
				acc += (uint8_t)n.text[0];
			}
		}
		double ns = (now_ns() - t0) / (double)q->count;
		bench_sink += acc;
		if (pass == 0 || ns < best) {
			best = ns;
		}
		if (found != NULL) {
			*found = hits;
		}
	}
	return best;
}

struct bench_row {
	size_t rules, distinct;
	double build_ms, mib, bytes_per_rule;
	double hit_ns, miss_ns, hash_ns, copy_ns;
	size_t hits_found, misses_found;
};

static struct domainset *build_set(const struct pool *rules, double *ms)
{
	double t0 = now_ns();
	struct domainset_builder *b = domainset_builder_new();
	if (b == NULL) {
		return NULL;
	}
	struct name n;
	size_t pos = 0;
	for (uint32_t i = 0; i < rules->count; i++) {
		const uint8_t *r = rules->buf + pos;
		pos += 3 + (size_t)r[0];
		if (name_from_text(&n, (const char *)r + 3, r[0]) != 0) {
			fprintf(stderr, "bench_domainset: generated a bad name\n");
			exit(1);
		}
		struct rule_meta meta = {
			.line = i + 1,
			.action = 1,
			.kind = bench_rng() % 100 < BENCH_ALLOW_PCT ? DS_ALLOW : DS_BLOCK,
		};
		int rc = domainset_builder_add(b, &n, (enum ds_match)r[2], &meta);
		if (rc != 0) {
			fprintf(stderr, "bench_domainset: add: %s\n", strerror(-rc));
			exit(1);
		}
	}
	struct domainset *ds = domainset_build(b);
	*ms = (now_ns() - t0) / 1e6;
	return ds;
}

static void run_size(size_t nrules, struct bench_row *row)
{
	struct pool rules = {0}, hits = {0}, misses = {0};
	gen_rules(&rules, nrules);
	uint32_t *offsets = pool_offsets(&rules);
	gen_hits(&hits, &rules, offsets);
	gen_misses(&misses);

	struct domainset *ds = build_set(&rules, &row->build_ms);
	if (ds == NULL) {
		fprintf(stderr, "bench_domainset: build failed\n");
		exit(1);
	}
	row->rules = nrules;
	row->distinct = domainset_count(ds);
	row->mib = (double)domainset_memory(ds) / (1024.0 * 1024.0);
	row->bytes_per_rule = (double)domainset_memory(ds) / (double)row->distinct;
	row->copy_ns = time_loop(ds, &misses, LOOP_COPY, NULL);
	row->hash_ns = time_loop(ds, &misses, LOOP_HASH, NULL);
	row->hit_ns = time_loop(ds, &hits, LOOP_LOOKUP, &row->hits_found);
	row->miss_ns = time_loop(ds, &misses, LOOP_LOOKUP, &row->misses_found);

	domainset_free(ds);
	free(offsets);
	free(rules.buf);
	free(hits.buf);
	free(misses.buf);
}

int main(void)
{
	struct bench_row rows[BENCH_NSIZES];
	printf("domainset benchmark: %u hit and %u miss queries of 3-6 labels per size, fastest of "
	       "%d passes\n",
	       BENCH_QUERIES, BENCH_QUERIES, BENCH_PASSES);
	printf("rules: 2-5 labels, %d%% suffix, %d%% exact, %d%% glob, %d%% allow; build time "
	       "includes name_from_text\n",
	       100 - BENCH_EXACT_PCT - BENCH_GLOB_PCT, BENCH_EXACT_PCT, BENCH_GLOB_PCT,
	       BENCH_ALLOW_PCT);
	for (size_t i = 0; i < BENCH_NSIZES; i++) {
		run_size(bench_sizes[i], &rows[i]);
		fflush(stdout);
	}

	printf("\n%9s %9s %9s %8s %7s %8s %8s %8s %9s %10s %9s %10s\n", "rules", "distinct",
	       "build_ms", "MiB", "B/rule", "hit_ns", "miss_ns", "hash_ns", "hit/hash", "miss/hash",
	       "hit/10k", "miss/10k");
	for (size_t i = 0; i < BENCH_NSIZES; i++) {
		const struct bench_row *r = &rows[i];
		printf("%9zu %9zu %9.1f %8.2f %7.1f %8.1f %8.1f %8.1f %9.2f %10.2f %9.2f %10.2f\n",
		       r->rules, r->distinct, r->build_ms, r->mib, r->bytes_per_rule, r->hit_ns,
		       r->miss_ns, r->hash_ns, r->hit_ns / r->hash_ns, r->miss_ns / r->hash_ns,
		       r->hit_ns / rows[0].hit_ns, r->miss_ns / rows[0].miss_ns);
	}
	printf("\nchecks (hit queries that matched a rule / miss queries that matched one):\n");
	for (size_t i = 0; i < BENCH_NSIZES; i++) {
		printf("  %zu rules: hits %zu/%u, misses %zu/%u\n", rows[i].rules,
		       rows[i].hits_found, BENCH_QUERIES, rows[i].misses_found, BENCH_QUERIES);
	}
	printf("every timed loop copies each query out of a packed pool first (%.1f ns at 10k); "
	       "hash_ns = that copy + domainset_hash of the whole name\n",
	       rows[0].copy_ns);
	for (size_t i = 0; i < BENCH_NSIZES; i++) {
		if (rows[i].hits_found != BENCH_QUERIES) {
			fprintf(stderr, "bench_domainset: a hit query found no rule\n");
			return 1;
		}
	}
	return 0;
}
