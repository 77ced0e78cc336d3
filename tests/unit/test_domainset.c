/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for domainset: precedence, label boundaries, edge names, and a randomised check
 * against a slow reference matcher. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "test.h"

#include "embargo/domainset.h"
#include "embargo/name.h"

static struct name nm(const char *text)
{
	struct name n;
	assert_int_equal(name_from_text(&n, text, strlen(text)), 0);
	return n;
}

/* Rules are told apart by their line number. */
static int try_add(struct domainset_builder *b, const char *text, enum ds_match match,
		   uint32_t line, enum ds_kind kind)
{
	struct name n = nm(text);
	struct rule_meta meta = {
		.line = line,
		.file_id = 1,
		.vendor_id = 2,
		.category_id = 3,
		.action = 4,
		.kind = (uint8_t)kind,
	};
	return domainset_builder_add(b, &n, match, &meta);
}

static void add(struct domainset_builder *b, const char *text, enum ds_match match, uint32_t line,
		enum ds_kind kind)
{
	assert_int_equal(try_add(b, text, match, line, kind), 0);
}

/* Line of the rule `text` matches, 0 for none. */
static uint32_t look(const struct domainset *ds, const char *text)
{
	struct name n = nm(text);
	const struct rule_meta *m = domainset_lookup(ds, &n);
	if (m == NULL) {
		return 0;
	}
	assert_int_equal(m->file_id, 1);
	assert_int_equal(m->vendor_id, 2);
	return m->line;
}

static struct domainset *build(struct domainset_builder *b)
{
	struct domainset *ds = domainset_build(b);
	assert_non_null(ds);
	return ds;
}

static void test_precedence(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "example.com", DS_SUFFIX, 1, DS_BLOCK);
	add(b, "*.example.com", DS_GLOB, 2, DS_BLOCK);
	add(b, "www.example.com", DS_EXACT, 3, DS_BLOCK);
	add(b, "www.example.com", DS_SUFFIX, 4, DS_BLOCK);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 4);

	assert_int_equal(look(ds, "www.example.com"), 3);   /* exact beats glob and suffix */
	assert_int_equal(look(ds, "mail.example.com"), 2);  /* glob beats suffix */
	assert_int_equal(look(ds, "a.www.example.com"), 4); /* longest suffix */
	assert_int_equal(look(ds, "a.b.example.com"), 1);   /* glob is one label only */
	assert_int_equal(look(ds, "example.com"), 1);
	assert_int_equal(look(ds, "Example.COM."), 1);
	assert_int_equal(look(ds, "com"), 0);
	assert_int_equal(look(ds, "example.org"), 0);
	domainset_free(ds);
}

static void test_allow_beats_block(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "x.com", DS_EXACT, 1, DS_BLOCK);
	add(b, "x.com", DS_EXACT, 2, DS_ALLOW); /* replaces the block */
	add(b, "y.com", DS_SUFFIX, 3, DS_ALLOW);
	add(b, "y.com", DS_SUFFIX, 4, DS_BLOCK); /* an allow is never replaced by a block */
	/* Two globs with as many literal bytes each: the allow wins whatever the order. */
	add(b, "a*.z.example.com", DS_GLOB, 5, DS_BLOCK);
	add(b, "*b.z.example.com", DS_GLOB, 6, DS_ALLOW);
	/* Two blocks of equal rank: the first added wins. */
	add(b, "c*.z.example.com", DS_GLOB, 7, DS_BLOCK);
	add(b, "*d.z.example.com", DS_GLOB, 8, DS_BLOCK);
	/* Equal rank across different fixed suffixes (15 literal bytes each). */
	add(b, "*.qq.example.com", DS_GLOB, 9, DS_BLOCK);
	add(b, "qq.*.example.com", DS_GLOB, 10, DS_ALLOW);
	add(b, "*.rr.example.com", DS_GLOB, 11, DS_BLOCK);
	add(b, "rr.*.example.com", DS_GLOB, 12, DS_BLOCK);
	/* More literal bytes beat fewer. */
	add(b, "*.w.example.com", DS_GLOB, 13, DS_ALLOW);
	add(b, "a*.w.example.com", DS_GLOB, 14, DS_BLOCK);
	assert_int_equal(domainset_builder_count(b), 14);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 12);

	assert_int_equal(look(ds, "x.com"), 2);
	assert_int_equal(look(ds, "a.y.com"), 3);
	assert_int_equal(look(ds, "ab.z.example.com"), 6);
	assert_int_equal(look(ds, "ax.z.example.com"), 5);
	assert_int_equal(look(ds, "xb.z.example.com"), 6);
	assert_int_equal(look(ds, "cd.z.example.com"), 7);
	assert_int_equal(look(ds, "xd.z.example.com"), 8);
	assert_int_equal(look(ds, "qq.qq.example.com"), 10);
	assert_int_equal(look(ds, "x.qq.example.com"), 9);
	assert_int_equal(look(ds, "rr.rr.example.com"), 11);
	assert_int_equal(look(ds, "rr.x.example.com"), 12);
	assert_int_equal(look(ds, "ax.w.example.com"), 14);
	assert_int_equal(look(ds, "bx.w.example.com"), 13);
	assert_int_equal(look(ds, "a.w.example.com"), 14);
	domainset_free(ds);
}

static void test_block_under_allowed_suffix(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "example.com", DS_SUFFIX, 1, DS_ALLOW);
	add(b, "ads.example.com", DS_SUFFIX, 2, DS_BLOCK);
	add(b, "tracker.example.com", DS_EXACT, 3, DS_BLOCK);
	add(b, "ok.ads.example.com", DS_EXACT, 4, DS_ALLOW);
	struct domainset *ds = build(b);

	assert_int_equal(look(ds, "example.com"), 1);
	assert_int_equal(look(ds, "www.example.com"), 1);
	assert_int_equal(look(ds, "ads.example.com"), 2);
	assert_int_equal(look(ds, "x.y.ads.example.com"), 2);
	assert_int_equal(look(ds, "tracker.example.com"), 3);
	assert_int_equal(look(ds, "a.tracker.example.com"), 1);
	assert_int_equal(look(ds, "ok.ads.example.com"), 4);
	assert_int_equal(look(ds, "a.ok.ads.example.com"), 2);
	domainset_free(ds);
}

static void test_label_boundary(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "kaspersky.com", DS_SUFFIX, 1, DS_BLOCK);
	add(b, "foo.com", DS_EXACT, 2, DS_BLOCK);
	struct domainset *ds = build(b);

	assert_int_equal(look(ds, "kaspersky.com"), 1);
	assert_int_equal(look(ds, "a.kaspersky.com"), 1);
	assert_int_equal(look(ds, "a.b.c.kaspersky.com"), 1);
	assert_int_equal(look(ds, "notkaspersky.com"), 0);
	assert_int_equal(look(ds, "a.notkaspersky.com"), 0);
	assert_int_equal(look(ds, "kaspersky.com.evil.net"), 0);
	assert_int_equal(look(ds, "kaspersky.co"), 0);
	assert_int_equal(look(ds, "aspersky.com"), 0);
	assert_int_equal(look(ds, "a-kaspersky.com"), 0);
	assert_int_equal(look(ds, "foo.com"), 2);
	assert_int_equal(look(ds, "a.foo.com"), 0);
	assert_int_equal(look(ds, "xfoo.com"), 0);
	domainset_free(ds);
}

static void test_root_and_tld(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	struct name root = nm(".");
	assert_true(root.flags & NAME_F_ROOT);
	struct rule_meta meta = {.line = 99, .kind = DS_BLOCK};
	assert_int_equal(domainset_builder_add(b, &root, DS_EXACT, &meta), -EINVAL);
	assert_int_equal(domainset_builder_add(b, &root, DS_SUFFIX, &meta), -EINVAL);
	assert_int_equal(domainset_builder_add(b, &root, DS_GLOB, &meta), -EINVAL);
	add(b, "com", DS_SUFFIX, 1, DS_BLOCK);
	add(b, "org", DS_EXACT, 2, DS_BLOCK);
	assert_int_equal(domainset_builder_count(b), 2);
	struct domainset *ds = build(b);

	assert_null(domainset_lookup(ds, &root));
	assert_int_equal(look(ds, "com"), 1);
	assert_int_equal(look(ds, "com."), 1);
	assert_int_equal(look(ds, "a.b.com"), 1);
	assert_int_equal(look(ds, "com.au"), 0);
	assert_int_equal(look(ds, "co"), 0);
	assert_int_equal(look(ds, "org"), 2);
	assert_int_equal(look(ds, "a.org"), 0);
	domainset_free(ds);

	/* The empty set. */
	b = domainset_builder_new();
	assert_non_null(b);
	ds = build(b);
	assert_int_equal(domainset_count(ds), 0);
	assert_true(domainset_memory(ds) > 0);
	assert_int_equal(look(ds, "com"), 0);
	assert_null(domainset_lookup(ds, &root));
	domainset_free(ds);
	domainset_free(NULL);
	domainset_builder_free(NULL);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	for (uint32_t i = 0; i < 5; i++) {
		add(b, "dup.example", DS_SUFFIX, 10 + i, DS_BLOCK);
		add(b, "DUP.example.", DS_EXACT, 20 + i, DS_BLOCK);
		add(b, "*.dup.example", DS_GLOB, 30 + i, DS_BLOCK);
	}
	add(b, "*.dup.example", DS_GLOB, 40, DS_ALLOW);
	add(b, "*.dup.example", DS_GLOB, 41, DS_ALLOW);
	add(b, "*.dup.example", DS_GLOB, 42, DS_BLOCK);
	/* A glob without '*' is an exact rule and merges with one. */
	add(b, "dup.example", DS_GLOB, 50, DS_ALLOW);
	/* A suffix rule on an IP literal is an exact rule. */
	add(b, "192.0.2.1", DS_EXACT, 60, DS_BLOCK);
	add(b, "192.0.2.1", DS_SUFFIX, 61, DS_ALLOW);
	assert_int_equal(domainset_builder_count(b), 21);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 4);

	assert_int_equal(look(ds, "dup.example"), 50);
	assert_int_equal(look(ds, "a.dup.example"), 40);
	assert_int_equal(look(ds, "a.b.dup.example"), 10);
	assert_int_equal(look(ds, "192.0.2.1"), 61);
	domainset_free(ds);
}

/* A name that first came as the parent of longer names and then got rules of its own: the
 * names below it, added before and after, are still found. */
static void test_parent_gets_rules(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "a.b.example.com", DS_SUFFIX, 1, DS_BLOCK); /* b.example.com: a shared tail */
	add(b, "c.b.example.com", DS_EXACT, 2, DS_BLOCK);
	add(b, "b.example.com", DS_EXACT, 3, DS_BLOCK); /* its record moves, with room */
	add(b, "d.b.example.com", DS_EXACT, 4, DS_BLOCK);
	add(b, "b.example.com", DS_SUFFIX, 5, DS_BLOCK);
	add(b, "e.d.b.example.com", DS_EXACT, 6, DS_BLOCK);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 6);
	assert_int_equal(look(ds, "a.b.example.com"), 1);
	assert_int_equal(look(ds, "x.a.b.example.com"), 1);
	assert_int_equal(look(ds, "c.b.example.com"), 2);
	assert_int_equal(look(ds, "b.example.com"), 3);
	assert_int_equal(look(ds, "d.b.example.com"), 4);
	assert_int_equal(look(ds, "x.b.example.com"), 5);
	assert_int_equal(look(ds, "x.c.b.example.com"), 5);
	assert_int_equal(look(ds, "e.d.b.example.com"), 6);
	assert_int_equal(look(ds, "example.com"), 0);
	assert_int_equal(look(ds, "a.b.example.org"), 0);
	assert_int_equal(look(ds, "a.bb.example.com"), 0);
	domainset_free(ds);
}

/* Lines of the rules domainset_builder_filter drops (odd lines), and the action it sets. */
static bool keep_even(void *ctx, struct rule_meta *meta)
{
	(*(unsigned *)ctx)++;
	meta->action = 9;
	return meta->line % 2 == 0;
}

static int try_add_from(struct domainset_builder *b, const char *text, enum ds_match match,
			uint32_t line, enum ds_kind kind, uint16_t category)
{
	struct name n = nm(text);
	struct rule_meta meta = {
		.line = line,
		.file_id = 1,
		.vendor_id = 2,
		.category_id = category,
		.action = 4,
		.kind = (uint8_t)kind,
	};
	return domainset_builder_add(b, &n, match, &meta);
}

static void test_filter(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	/* One name, three categories: dropped, kept, kept. */
	assert_int_equal(try_add_from(b, "x.example.com", DS_EXACT, 1, DS_BLOCK, 7), 0);
	assert_int_equal(try_add_from(b, "x.example.com", DS_EXACT, 2, DS_BLOCK, 8), 0);
	assert_int_equal(try_add_from(b, "x.example.com", DS_EXACT, 4, DS_BLOCK, 9), 0);
	/* A block kept, then an allow kept from another category: the allow stands. */
	assert_int_equal(try_add_from(b, "y.example.com", DS_SUFFIX, 6, DS_BLOCK, 7), 0);
	assert_int_equal(try_add_from(b, "y.example.com", DS_SUFFIX, 7, DS_ALLOW, 8), 0);
	assert_int_equal(try_add_from(b, "y.example.com", DS_SUFFIX, 8, DS_ALLOW, 9), 0);
	/* Everything dropped. */
	assert_int_equal(try_add_from(b, "z.example.com", DS_SUFFIX, 9, DS_BLOCK, 7), 0);
	assert_int_equal(try_add_from(b, "z.example.com", DS_SUFFIX, 11, DS_BLOCK, 8), 0);
	assert_int_equal(try_add_from(b, "*.g.example.com", DS_GLOB, 13, DS_BLOCK, 7), 0);
	assert_int_equal(try_add_from(b, "*.h.example.com", DS_GLOB, 14, DS_BLOCK, 7), 0);
	unsigned calls = 0;
	assert_int_equal(domainset_builder_filter(b, keep_even, &calls), 0);
	assert_int_equal(calls, 10);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 3);
	struct name n = nm("x.example.com");
	const struct rule_meta *m = domainset_lookup(ds, &n);
	assert_non_null(m);
	assert_int_equal(m->line, 2);
	assert_int_equal(m->action, 9);
	assert_int_equal(look(ds, "a.y.example.com"), 8);
	assert_int_equal(look(ds, "a.z.example.com"), 0);
	assert_int_equal(look(ds, "a.g.example.com"), 0);
	assert_int_equal(look(ds, "a.h.example.com"), 14);
	domainset_free(ds);
}

static void test_one_label(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "localhost", DS_EXACT, 1, DS_BLOCK);
	add(b, "lan", DS_SUFFIX, 2, DS_BLOCK);
	add(b, "x", DS_SUFFIX, 3, DS_ALLOW);
	struct domainset *ds = build(b);
	assert_int_equal(look(ds, "localhost"), 1);
	assert_int_equal(look(ds, "localhost."), 1);
	assert_int_equal(look(ds, "a.localhost"), 0);
	assert_int_equal(look(ds, "localhos"), 0);
	assert_int_equal(look(ds, "lan"), 2);
	assert_int_equal(look(ds, "printer.lan"), 2);
	assert_int_equal(look(ds, "wlan"), 0);
	assert_int_equal(look(ds, "x"), 3);
	assert_int_equal(look(ds, "y.x"), 3);
	assert_int_equal(look(ds, "y"), 0);
	domainset_free(ds);
}

/* A 127-label name: labels "a".."z" repeating, written most specific first. */
static void deep_name(char *buf, unsigned nlabels)
{
	size_t w = 0;
	for (unsigned i = 0; i < nlabels; i++) {
		if (i > 0) {
			buf[w++] = '.';
		}
		buf[w++] = (char)('a' + (nlabels - 1 - i) % 26);
	}
	buf[w] = '\0';
}

static void test_127_labels(void **state)
{
	(void)state;
	char full[NAME_TEXT_MAX + 1];
	deep_name(full, NAME_LABELS_MAX);
	assert_int_equal(strlen(full), NAME_TEXT_MAX);
	struct name n = nm(full);
	assert_int_equal(n.nlabels, NAME_LABELS_MAX);

	struct name s100, s50, s1, s126;
	assert_int_equal(name_suffix(&s100, &n, 100), 0);
	assert_int_equal(name_suffix(&s50, &n, 50), 0);
	assert_int_equal(name_suffix(&s1, &n, 1), 0);
	assert_int_equal(name_suffix(&s126, &n, 126), 0);

	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, s50.text, DS_SUFFIX, 50, DS_BLOCK);
	add(b, s1.text, DS_SUFFIX, 1, DS_ALLOW);
	add(b, s100.text, DS_SUFFIX, 100, DS_ALLOW);
	struct domainset *ds = build(b);
	assert_int_equal(look(ds, full), 100);
	assert_int_equal(look(ds, s126.text), 100);
	assert_int_equal(look(ds, s100.text), 100);
	struct name s99;
	assert_int_equal(name_suffix(&s99, &n, 99), 0);
	assert_int_equal(look(ds, s99.text), 50);
	assert_int_equal(look(ds, s50.text), 50);
	struct name s49;
	assert_int_equal(name_suffix(&s49, &n, 49), 0);
	assert_int_equal(look(ds, s49.text), 1);
	domainset_free(ds);

	/* Exact and glob rules at full depth. */
	b = domainset_builder_new();
	assert_non_null(b);
	char glob[NAME_TEXT_MAX + 1];
	assert_int_equal(s126.len, NAME_TEXT_MAX - 2);
	glob[0] = '*';
	glob[1] = '.';
	memcpy(glob + 2, s126.text, (size_t)s126.len + 1);
	add(b, glob, DS_GLOB, 7, DS_BLOCK);
	add(b, s126.text, DS_EXACT, 8, DS_BLOCK);
	ds = build(b);
	assert_int_equal(look(ds, full), 7);
	assert_int_equal(look(ds, s126.text), 8);
	char other[NAME_TEXT_MAX + 1];
	memcpy(other, full, sizeof(other));
	other[0] = '0';
	assert_int_equal(look(ds, other), 7);
	other[NAME_TEXT_MAX - 1] = '0'; /* a different top-level label */
	assert_int_equal(look(ds, other), 0);
	domainset_free(ds);
}

static void test_ip_literals(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "1.2.3.4", DS_SUFFIX, 1, DS_BLOCK);
	add(b, "3.4", DS_SUFFIX, 2, DS_BLOCK);
	add(b, "[2001:db8::1]", DS_SUFFIX, 3, DS_BLOCK);
	add(b, "*.2.3.4", DS_GLOB, 4, DS_BLOCK);
	add(b, "[::ffff:192.0.2.7]", DS_EXACT, 5, DS_BLOCK);
	add(b, "2.7]", DS_SUFFIX, 6, DS_BLOCK);
	struct domainset *ds = build(b);
	assert_true(nm("1.2.3.4").flags & NAME_F_IP_LITERAL);
	assert_int_equal(look(ds, "1.2.3.4"), 1);
	assert_int_equal(look(ds, "9.9.3.4"), 0);   /* literal: the suffix "3.4" does not apply */
	assert_int_equal(look(ds, "5.1.2.3.4"), 2); /* a name: "3.4" applies, the address not */
	assert_int_equal(look(ds, "9.2.3.4"), 0);   /* nor globs */
	assert_int_equal(look(ds, "x.2.3.4"), 4);   /* a name, not a literal */
	assert_int_equal(look(ds, "x.3.4"), 2);
	assert_int_equal(look(ds, "[2001:DB8::1]"), 3);
	assert_int_equal(look(ds, "[2001:db8::2]"), 0);
	assert_int_equal(look(ds, "[::ffff:192.0.2.7]"), 5);
	assert_int_equal(look(ds, "[::ffff:10.0.2.7]"), 0); /* no suffix walk in a literal */
	domainset_free(ds);
}

static void test_glob_rules(void **state)
{
	(void)state;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	static const char *const rejected[] = {
		"*.com", "a.*", "example.*", "a.b*.com", "a.*.com", "*.*", "*", "x.y.*c", "x.*x.y",
	};
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		assert_int_equal(try_add(b, rejected[i], DS_GLOB, 1, DS_BLOCK), -EINVAL);
	}
	struct name n = nm("a.example.com");
	struct rule_meta bad_kind = {.line = 1, .kind = 7};
	assert_int_equal(domainset_builder_add(b, &n, DS_EXACT, &bad_kind), -EINVAL);
	struct rule_meta ok = {.line = 1, .kind = DS_BLOCK};
	assert_int_equal(domainset_builder_add(b, &n, (enum ds_match)9, &ok), -EINVAL);
	assert_int_equal(domainset_builder_count(b), 0);

	add(b, "*.example.com", DS_GLOB, 1, DS_BLOCK);
	add(b, "dnl-*.geo.example.com", DS_GLOB, 2, DS_BLOCK);
	add(b, "*.*.example.net", DS_GLOB, 3, DS_BLOCK);
	add(b, "a*b*c.x.example.org", DS_GLOB, 4, DS_BLOCK);
	add(b, "a.*.example.org", DS_GLOB, 5, DS_BLOCK);
	add(b, "*.foo.com", DS_EXACT, 6, DS_BLOCK); /* '*' is an ordinary byte here */
	add(b, "www.example.info", DS_GLOB, 7, DS_BLOCK);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), 7);

	assert_int_equal(look(ds, "a.example.com"), 1);
	assert_int_equal(look(ds, "example.com"), 0);
	assert_int_equal(look(ds, "a.b.example.com"), 0);
	assert_int_equal(look(ds, "*.example.com"), 1);
	assert_int_equal(look(ds, "dnl-12.geo.example.com"), 2);
	assert_int_equal(look(ds, "dnl-.geo.example.com"), 2);
	assert_int_equal(look(ds, "xdnl-1.geo.example.com"), 0);
	assert_int_equal(look(ds, "dnl.geo.example.com"), 0);
	assert_int_equal(look(ds, "dnl-1.x.geo.example.com"), 0);
	assert_int_equal(look(ds, "geo.example.com"), 1);
	assert_int_equal(look(ds, "a.b.example.net"), 3);
	assert_int_equal(look(ds, "b.example.net"), 0);
	assert_int_equal(look(ds, "a.b.c.example.net"), 0);
	assert_int_equal(look(ds, "abc.x.example.org"), 4);
	assert_int_equal(look(ds, "a-b-c.x.example.org"), 4);
	assert_int_equal(look(ds, "abbc.x.example.org"), 4);
	assert_int_equal(look(ds, "abcd.x.example.org"), 0);
	assert_int_equal(look(ds, "ab.x.example.org"), 0);
	assert_int_equal(look(ds, "bc.x.example.org"), 0);
	assert_int_equal(look(ds, "a.x.example.org"), 5);
	assert_int_equal(look(ds, "b.x.example.org"), 0);
	assert_int_equal(look(ds, "*.foo.com"), 6);
	assert_int_equal(look(ds, "a.foo.com"), 0);
	assert_int_equal(look(ds, "www.example.info"), 7);
	assert_int_equal(look(ds, "a.www.example.info"), 0);
	domainset_free(ds);
}

/*
 * Randomised comparison with a reference matcher that shares no code with domainset: rules kept
 * in sorted arrays searched with bsearch, and globs tried one by one with a recursive whole-name
 * matcher in which '*' cannot cross a '.'.
 */

#define RAND_RULES   100000
#define RAND_QUERIES 100000

struct ref_rule {
	char text[NAME_TEXT_MAX + 1];
	enum ds_match match;
	uint32_t seq;	  /* order of addition of the first of its duplicates */
	uint32_t line;	  /* the winning duplicate's line */
	uint8_t kind;	  /* the winning duplicate's kind */
	unsigned literal; /* non-'*' bytes */
};

struct ref_set {
	struct ref_rule *plain; /* exact and suffix rules, sorted by (match, text) */
	size_t nplain;
	struct ref_rule *globs;
	size_t nglobs;
};

static uint64_t rng_state = 0x9d3c5a17b2e4f601u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref_rule *a = pa, *b = pb;
	if (a->match != b->match) {
		return a->match < b->match ? -1 : 1;
	}
	int c = strcmp(a->text, b->text);
	if (c != 0) {
		return c;
	}
	return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

/* Sort and merge duplicates: the first allow among them if any, else the first. */
static size_t ref_merge(struct ref_rule *r, size_t n)
{
	qsort(r, n, sizeof(*r), ref_cmp);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && r[out - 1].match == r[i].match &&
		    strcmp(r[out - 1].text, r[i].text) == 0) {
			if (r[out - 1].kind == DS_BLOCK && r[i].kind == DS_ALLOW) {
				r[out - 1].kind = r[i].kind;
				r[out - 1].line = r[i].line;
			}
			continue;
		}
		r[out++] = r[i];
	}
	return out;
}

static const struct ref_rule *ref_find(const struct ref_set *rs, enum ds_match match,
				       const char *text)
{
	size_t lo = 0, hi = rs->nplain;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rs->plain[mid].match != match ? (rs->plain[mid].match < match ? -1 : 1)
						      : strcmp(rs->plain[mid].text, text);
		if (c == 0) {
			return &rs->plain[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

static bool ref_glob(const char *p, const char *s)
{
	if (*p == '\0') {
		return *s == '\0';
	}
	if (*p == '*') {
		for (const char *t = s;; t++) {
			if (ref_glob(p + 1, t)) {
				return true;
			}
			if (*t == '\0' || *t == '.') {
				return false;
			}
		}
	}
	return *p == *s && ref_glob(p + 1, s + 1);
}

/* What decided a reference lookup. */
enum ref_outcome {
	REF_MISS = 0,
	REF_EXACT,
	REF_GLOB,
	REF_SUFFIX,
};

static uint32_t ref_lookup(const struct ref_set *rs, const struct name *n, enum ref_outcome *out)
{
	*out = REF_EXACT;
	const struct ref_rule *r = ref_find(rs, DS_EXACT, n->text);
	if (r != NULL) {
		return r->line;
	}
	*out = REF_MISS;
	if (n->flags & NAME_F_IP_LITERAL) {
		return 0;
	}
	const struct ref_rule *best = NULL;
	for (size_t i = 0; i < rs->nglobs; i++) {
		const struct ref_rule *g = &rs->globs[i];
		if (!ref_glob(g->text, n->text)) {
			continue;
		}
		if (best == NULL || g->literal > best->literal ||
		    (g->literal == best->literal && g->kind == DS_ALLOW &&
		     best->kind != DS_ALLOW) ||
		    (g->literal == best->literal && g->kind == best->kind && g->seq < best->seq)) {
			best = g;
		}
	}
	if (best != NULL) {
		*out = REF_GLOB;
		return best->line;
	}
	const char *p = n->text;
	for (;;) {
		r = ref_find(rs, DS_SUFFIX, p);
		if (r != NULL) {
			*out = REF_SUFFIX;
			return r->line;
		}
		p = strchr(p, '.');
		if (p == NULL) {
			return 0;
		}
		p++;
	}
}

static char rand_labels[48][12];
/* Top-level rules use the first RULE_TLDS_TOP, other rules the first RULE_TLDS; queries use them
 * all, so names under the last ones are misses. */
static const char *const rand_tlds[] = {"io", "de", "com", "net", "org", "xn--p1ai", "info", "uk"};
#define RULE_TLDS_TOP 2
#define RULE_TLDS     6
#define QUERY_TLDS    (sizeof(rand_tlds) / sizeof(rand_tlds[0]))

static void rand_pool_init(void)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	for (size_t i = 0; i < 48; i++) {
		size_t len = 1 + rng() % 8;
		for (size_t j = 0; j < len; j++) {
			/* no '-' at the ends, as in host names */
			size_t range = (j == 0 || j + 1 == len) ? 36 : 37;
			rand_labels[i][j] = alphabet[rng() % range];
		}
		rand_labels[i][len] = '\0';
	}
}

/* A random name of `nlabels` labels from the pools into `buf`, its top-level label one of the
 * first `ntlds`. */
static void rand_name(char *buf, size_t size, unsigned nlabels, size_t ntlds)
{
	size_t w = 0;
	for (unsigned i = 0; i + 1 < nlabels; i++) {
		w += (size_t)snprintf(buf + w, size - w, "%s.", rand_labels[rng() % 48]);
	}
	snprintf(buf + w, size - w, "%s", rand_tlds[rng() % ntlds]);
}

/* A random glob of 3..5 labels: wildcards in the labels left of a fixed suffix of >= 2. */
static void rand_glob(char *buf, size_t size)
{
	unsigned nlabels = 3 + rng() % 3;
	unsigned fixed = 2 + rng() % (nlabels - 2);
	char tail[NAME_TEXT_MAX + 1];
	rand_name(tail, sizeof(tail), fixed, RULE_TLDS);
	size_t w = 0;
	for (unsigned i = 0; i < nlabels - fixed; i++) {
		const char *l = rand_labels[rng() % 48];
		/* the label next to the fixed suffix always holds a '*' */
		unsigned form = (i + 1 == nlabels - fixed) ? 1 + rng() % 4 : rng() % 5;
		switch (form) {
		case 0:
			w += (size_t)snprintf(buf + w, size - w, "%s.", l);
			break;
		case 1:
			w += (size_t)snprintf(buf + w, size - w, "*.");
			break;
		case 2:
			w += (size_t)snprintf(buf + w, size - w, "%c*.", l[0]);
			break;
		case 3:
			w += (size_t)snprintf(buf + w, size - w, "*%c.", l[strlen(l) - 1]);
			break;
		default:
			w += (size_t)snprintf(buf + w, size - w, "%c*%c*.", l[0], l[strlen(l) - 1]);
			break;
		}
	}
	snprintf(buf + w, size - w, "%s", tail);
}

static void rand_ip(char *buf, size_t size)
{
	snprintf(buf, size, "10.0.%u.%u", rng() % 4, rng() % 4);
}

static void test_random_against_reference(void **state)
{
	(void)state;
	rand_pool_init();
	struct ref_rule *plain = calloc(RAND_RULES, sizeof(*plain));
	struct ref_rule *globs = calloc(RAND_RULES, sizeof(*globs));
	assert_non_null(plain);
	assert_non_null(globs);
	size_t nplain = 0, nglobs = 0;
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);

	for (uint32_t i = 0; i < RAND_RULES; i++) {
		char text[NAME_TEXT_MAX + 1];
		uint32_t pick = rng() % 1000;
		enum ds_match match;
		if (pick < 10) {
			rand_glob(text, sizeof(text));
			match = DS_GLOB;
		} else if (pick < 20) {
			rand_ip(text, sizeof(text));
			match = rng() % 2 ? DS_SUFFIX : DS_EXACT;
		} else {
			unsigned nlabels = 1 + rng() % 5;
			rand_name(text, sizeof(text), nlabels,
				  nlabels == 1 ? RULE_TLDS_TOP : RULE_TLDS);
			match = pick < 300 ? DS_EXACT : DS_SUFFIX;
		}
		enum ds_kind kind = rng() % 100 < 15 ? DS_ALLOW : DS_BLOCK;
		add(b, text, match, i + 1, kind);

		struct name n = nm(text);
		enum ds_match ref_match = match;
		if (match == DS_SUFFIX && (n.flags & NAME_F_IP_LITERAL)) {
			ref_match = DS_EXACT;
		}
		struct ref_rule *r = match == DS_GLOB ? &globs[nglobs++] : &plain[nplain++];
		memcpy(r->text, n.text, sizeof(r->text));
		r->match = ref_match;
		r->seq = i;
		r->line = i + 1;
		r->kind = (uint8_t)kind;
		r->literal = 0;
		for (size_t j = 0; j < n.len; j++) {
			r->literal += n.text[j] != '*';
		}
	}
	struct ref_set rs = {
		.plain = plain,
		.nplain = ref_merge(plain, nplain),
		.globs = globs,
		.nglobs = ref_merge(globs, nglobs),
	};
	assert_int_equal(domainset_builder_count(b), RAND_RULES);
	struct domainset *ds = build(b);
	assert_int_equal(domainset_count(ds), rs.nplain + rs.nglobs);
	/* Compact: slots, keys, metas and text stay well under 128 bytes a rule. */
	assert_true(domainset_memory(ds) < 128 * domainset_count(ds));

	size_t counts[4] = {0}, hits_ip = 0;
	for (uint32_t i = 0; i < RAND_QUERIES; i++) {
		char text[NAME_TEXT_MAX + 1];
		if (rng() % 50 == 0) {
			rand_ip(text, sizeof(text));
		} else {
			rand_name(text, sizeof(text), 1 + rng() % 6, QUERY_TLDS);
		}
		struct name n = nm(text);
		const struct rule_meta *m = domainset_lookup(ds, &n);
		uint32_t got = m != NULL ? m->line : 0;
		enum ref_outcome how;
		uint32_t want = ref_lookup(&rs, &n, &how);
		if (got != want) {
			fail_msg("query %s: domainset says line %u, reference says %u", text, got,
				 want);
		}
		counts[how]++;
		if (want != 0 && (n.flags & NAME_F_IP_LITERAL)) {
			hits_ip++;
		}
	}
	/* Each kind of outcome was exercised many times. */
	print_message("random: %zu exact, %zu glob, %zu suffix, %zu miss, %zu address hits\n",
		      counts[REF_EXACT], counts[REF_GLOB], counts[REF_SUFFIX], counts[REF_MISS],
		      hits_ip);
	assert_true(counts[REF_EXACT] > 1000);
	assert_true(counts[REF_GLOB] > 1000);
	assert_true(counts[REF_SUFFIX] > 1000);
	assert_true(counts[REF_MISS] > 1000);
	assert_true(hits_ip > 100);
	domainset_free(ds);
	free(plain);
	free(globs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_allow_beats_block),
		cmocka_unit_test(test_block_under_allowed_suffix),
		cmocka_unit_test(test_label_boundary),
		cmocka_unit_test(test_root_and_tld),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_parent_gets_rules),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_one_label),
		cmocka_unit_test(test_127_labels),
		cmocka_unit_test(test_ip_literals),
		cmocka_unit_test(test_glob_rules),
		cmocka_unit_test(test_random_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
