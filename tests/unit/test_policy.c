/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for policy: actions, the decision over a packet's names, and plain domain lists
 * loaded from temporary files, error messages included. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "embargo/policy.h"
#include "fileio.h"

static struct name nm(const char *text)
{
	struct name n;
	assert_int_equal(name_from_text(&n, text, strlen(text)), 0);
	return n;
}

static enum action lookup(const struct policy *p, const char *text, const struct rule_meta **rule)
{
	struct name n = nm(text);
	return policy_lookup(p, &n, rule);
}

/* ---- actions and decisions over a hand-built policy ---- */

static void add(struct domainset_builder *b, const char *text, enum ds_match match, uint32_t line,
		enum ds_kind kind, uint8_t action)
{
	struct name n = nm(text);
	struct rule_meta meta = {.line = line, .action = action, .kind = (uint8_t)kind};
	assert_int_equal(domainset_builder_add(b, &n, match, &meta), 0);
}

static struct policy *sample_policy(void)
{
	struct policy *p = policy_new_empty();
	assert_non_null(p);
	struct domainset_builder *b = domainset_builder_new();
	assert_non_null(b);
	add(b, "drop.example", DS_SUFFIX, 1, DS_BLOCK, ACTION_DROP);
	add(b, "reject.example", DS_SUFFIX, 2, DS_BLOCK, ACTION_REJECT);
	add(b, "alert.example", DS_SUFFIX, 3, DS_BLOCK, ACTION_ALERT);
	add(b, "ok.drop.example", DS_EXACT, 4, DS_ALLOW, ACTION_NONE);
	add(b, "odd.example", DS_EXACT, 5, DS_BLOCK, ACTION_NONE);   /* not a blocking code */
	add(b, "odd2.example", DS_EXACT, 6, DS_BLOCK, ACTION_ALLOW); /* a block cannot allow */
	add(b, "odd3.example", DS_EXACT, 7, DS_BLOCK, 200);
	add(b, "ok2.drop.example", DS_EXACT, 8, DS_ALLOW, ACTION_REJECT); /* kind decides */
	domainset_free(p->ds);
	p->ds = domainset_build(b);
	assert_non_null(p->ds);
	return p;
}

static void test_action_str(void **state)
{
	(void)state;
	assert_string_equal(action_str(ACTION_NONE), "none");
	assert_string_equal(action_str(ACTION_ALLOW), "allow");
	assert_string_equal(action_str(ACTION_ALERT), "alert");
	assert_string_equal(action_str(ACTION_DROP), "drop");
	assert_string_equal(action_str(ACTION_REJECT), "reject");
	assert_string_equal(action_str((enum action)99), "?");
	/* Severity order the decision relies on. */
	assert_true(ACTION_NONE < ACTION_ALLOW && ACTION_ALLOW < ACTION_ALERT);
	assert_true(ACTION_ALERT < ACTION_DROP && ACTION_DROP < ACTION_REJECT);
}

static void test_empty_policy(void **state)
{
	(void)state;
	struct policy *p = policy_new_empty();
	assert_non_null(p);
	assert_int_equal(p->nameless_action, ACTION_NONE);
	const struct rule_meta *rule = (const struct rule_meta *)p; /* must be overwritten */
	assert_int_equal(lookup(p, "example.com", &rule), ACTION_NONE);
	assert_null(rule);
	assert_int_equal(lookup(p, "example.com", NULL), ACTION_NONE);
	assert_int_equal(policy_lookup(NULL, &(struct name){0}, &rule), ACTION_NONE);
	policy_free(p);
	policy_free(NULL);
}

static void test_lookup_actions(void **state)
{
	(void)state;
	struct policy *p = sample_policy();
	const struct rule_meta *rule;
	assert_int_equal(lookup(p, "a.drop.example", &rule), ACTION_DROP);
	assert_non_null(rule);
	assert_int_equal(rule->line, 1);
	assert_int_equal(lookup(p, "reject.example", &rule), ACTION_REJECT);
	assert_int_equal(rule->line, 2);
	assert_int_equal(lookup(p, "x.alert.example", &rule), ACTION_ALERT);
	assert_int_equal(rule->line, 3);
	assert_int_equal(lookup(p, "ok.drop.example", &rule), ACTION_ALLOW);
	assert_int_equal(rule->line, 4);
	assert_int_equal(lookup(p, "ok2.drop.example", &rule), ACTION_ALLOW);
	assert_int_equal(rule->line, 8);
	assert_int_equal(lookup(p, "odd.example", &rule), ACTION_REJECT);
	assert_int_equal(rule->line, 5);
	assert_int_equal(lookup(p, "odd2.example", &rule), ACTION_REJECT);
	assert_int_equal(lookup(p, "odd3.example", &rule), ACTION_REJECT);
	assert_int_equal(lookup(p, "example", &rule), ACTION_NONE);
	assert_null(rule);
	policy_free(p);
}

static struct inspect_result *result_with(enum inspect_state state, const char *const *names,
					  unsigned nnames)
{
	struct inspect_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->state = state;
	for (unsigned i = 0; i < nnames && i < INSPECT_NAMES_MAX; i++) {
		r->names[i] = nm(names[i]);
	}
	r->nnames = nnames;
	return r;
}

static void test_decide(void **state)
{
	(void)state;
	struct policy *p = sample_policy();
	struct policy_decision d;

	static const char *const mixed[] = {
		"www.example.org",  "ok.drop.example",	"x.alert.example", "a.drop.example",
		"b.reject.example", "c.reject.example", "y.drop.example",
	};
	struct inspect_result *r = result_with(INSPECT_NAMED, mixed, 7);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_REJECT);
	assert_int_equal(d.name_index, 4); /* the first of the two rejects */
	assert_non_null(d.rule);
	assert_int_equal(d.rule->line, 2);
	free(r);

	static const char *const allowed[] = {"www.example.org", "ok.drop.example"};
	r = result_with(INSPECT_NAMED, allowed, 2);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_ALLOW);
	assert_int_equal(d.name_index, 1);
	assert_int_equal(d.rule->line, 4);
	free(r);

	static const char *const none[] = {"www.example.org"};
	r = result_with(INSPECT_NAMED, none, 1);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_NONE);
	assert_null(d.rule);
	assert_int_equal(d.name_index, 0);
	free(r);

	/* Zero names: nothing applies. */
	r = result_with(INSPECT_NAMED, NULL, 0);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_NONE);
	free(r);

	/* A count past the array is clamped to the names actually held. */
	static const char *const last[] = {"www.example.org"};
	r = result_with(INSPECT_NAMED, last, 1);
	for (unsigned i = 0; i < INSPECT_NAMES_MAX; i++) {
		r->names[i] = nm(i == INSPECT_NAMES_MAX - 1 ? "z.drop.example" : "a.example.org");
	}
	r->nnames = INSPECT_NAMES_MAX + 10;
	r->names_dropped = 10;
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_DROP);
	assert_int_equal(d.name_index, INSPECT_NAMES_MAX - 1);
	free(r);

	/* Nameless and malformed flows get the policy's nameless action; other states nothing, even with
	 * listed names left in names[]. */
	static const char *const listed[] = {"a.reject.example"};
	p->nameless_action = ACTION_DROP;
	static const enum inspect_state states[] = {
		INSPECT_IGNORED,   INSPECT_PENDING, INSPECT_NAMELESS,
		INSPECT_MALFORMED, INSPECT_DECIDED,
	};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		r = result_with(states[i], listed, 1);
		policy_decide(p, r, &d);
		assert_int_equal(d.action,
				 states[i] == INSPECT_NAMELESS || states[i] == INSPECT_MALFORMED
					 ? ACTION_DROP
					 : ACTION_NONE);
		assert_null(d.rule);
		free(r);
	}
	policy_free(p);
}

/* ---- plain domain lists ---- */

struct tmpdir {
	char path[64];
};

static void tmpdir_make(struct tmpdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/embargo-policy-XXXXXX",
		 base != NULL && strlen(base) < 32 ? base : "/tmp");
	assert_non_null(mkdtemp(t->path));
}

/* Write `len` bytes to dir/name; returns the path (caller frees). */
static char *write_file(const struct tmpdir *t, const char *name, const char *data, size_t len)
{
	char *path = malloc(256);
	assert_non_null(path);
	snprintf(path, 256, "%s/%s", t->path, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *write_text(const struct tmpdir *t, const char *name, const char *text)
{
	return write_file(t, name, text, strlen(text));
}

static void tmpdir_remove(struct tmpdir *t, char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	assert_int_equal(rmdir(t->path), 0);
}

static void test_load_lists(void **state)
{
	(void)state;
	struct tmpdir t;
	tmpdir_make(&t);
	char *paths[4];
	/* A byte order mark, comments, blanks, whitespace, CRLF, prefixes, no final newline. */
	paths[0] = write_text(&t, "acme.list",
			      "\xef\xbb\xbf# acme blocklist\n"
			      "\n"
			      "   \t\n"
			      "*.a.example\n"
			      ".b.example   # the b domain\n"
			      "  C.Example.  \r\n"
			      "d.example#no space before the comment\n"
			      "192.0.2.1\n"
			      "a.example\n"
			      "kaspersky.com");
	paths[1] = write_text(&t, "other.txt", "a.example\nz.example\n");
	char sub_path[256];
	snprintf(sub_path, sizeof(sub_path), "%s/sub", t.path);
	assert_int_equal(mkdir(sub_path, 0700), 0);
	paths[2] = write_text(&t, "sub/acme.conf", "y.example\n");
	paths[3] = write_text(&t, "empty", "");

	struct policy *p = NULL;
	char err[256] = "untouched";
	const char *const list[] = {paths[0], paths[1], paths[2], paths[3]};
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 4, &p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(p);
	assert_int_equal(p->nfiles, 4);
	assert_string_equal(p->files[0], paths[0]);
	assert_string_equal(p->files[3], paths[3]);
	assert_int_equal(p->nvendors, 3);
	assert_string_equal(p->vendors[0], "acme");
	assert_string_equal(p->vendors[1], "other");
	assert_string_equal(p->vendors[2], "empty");
	assert_int_equal(p->ncategories, 1);
	assert_string_equal(p->categories[0], "listed");
	assert_int_equal(p->nameless_action, ACTION_NONE);
	assert_int_equal(domainset_count(p->ds), 8); /* a.example is listed three times */

	const struct rule_meta *rule;
	static const struct {
		const char *query;
		uint32_t line;
		uint16_t file;
	} hits[] = {
		{"a.example", 4, 0},   {"x.a.example", 4, 0}, {"b.example", 5, 0},
		{"q.b.example", 5, 0}, {"c.example", 6, 0},   {"www.c.example", 6, 0},
		{"d.example", 7, 0},   {"192.0.2.1", 8, 0},   {"a.kaspersky.com", 10, 0},
		{"z.example", 2, 1},   {"y.example", 1, 2},
	};
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		assert_int_equal(lookup(p, hits[i].query, &rule), ACTION_REJECT);
		assert_int_equal(rule->line, hits[i].line);
		assert_int_equal(rule->file_id, hits[i].file);
		assert_int_equal(rule->kind, DS_BLOCK);
		assert_int_equal(rule->category_id, 0);
		/* acme.list and sub/acme.conf are one vendor. */
		assert_int_equal(rule->vendor_id, hits[i].file == 1 ? 1 : 0);
	}
	static const char *const misses[] = {
		"example", "notkaspersky.com", "e.example", "192.0.2.2", "x.192.0.2.1", "acme",
	};
	for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
		assert_int_equal(lookup(p, misses[i], &rule), ACTION_NONE);
	}
	policy_free(p);

	/* No lists at all: an empty policy. */
	p = NULL;
	assert_int_equal(policy_load_domain_lists(&fileio_posix, NULL, 0, &p, NULL, 0), 0);
	assert_non_null(p);
	assert_int_equal(domainset_count(p->ds), 0);
	policy_free(p);

	unlink(paths[2]);
	assert_int_equal(rmdir(sub_path), 0);
	tmpdir_remove(&t, paths, 4);
}

/* A list larger than the pieces it is read in: names and a comment line longer than a piece
 * cross the boundaries; every line keeps its number. */
static void test_load_large_list(void **state)
{
	(void)state;
	enum {
		NAMES = 12000,
		COMMENT = 100000
	};
	size_t cap = NAMES * 32 + COMMENT + 64, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (unsigned i = 0; i < NAMES / 2; i++) {
		len += (size_t)snprintf(text + len, cap - len, "n%u.example%u.com\n", i, i % 7);
	}
	text[len++] = '#';
	memset(text + len, 'x', COMMENT);
	len += COMMENT;
	text[len++] = '\n';
	for (unsigned i = NAMES / 2; i < NAMES; i++) {
		len += (size_t)snprintf(text + len, cap - len, "n%u.example%u.com\n", i, i % 7);
	}
	len--; /* no final newline */
	struct tmpdir t;
	tmpdir_make(&t);
	char *path = write_file(&t, "big.txt", text, len);
	free(text);
	struct policy *p = NULL;
	const char *const list[] = {path};
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 1, &p, NULL, 0), 0);
	assert_int_equal(domainset_count(p->ds), NAMES);
	const struct rule_meta *rule;
	static const unsigned probe[] = {0, 1, 2047, 2048, NAMES / 2 - 1, NAMES / 2, NAMES - 1};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		char q[64];
		snprintf(q, sizeof(q), "www.n%u.example%u.com", probe[i], probe[i] % 7);
		assert_int_equal(lookup(p, q, &rule), ACTION_REJECT);
		assert_int_equal(rule->line, probe[i] + 1 + (probe[i] >= NAMES / 2 ? 1 : 0));
	}
	assert_int_equal(lookup(p, "n0.example1.com", &rule), ACTION_NONE);
	policy_free(p);
	tmpdir_remove(&t, &path, 1);
}

/* Load one list holding `content`; expect `rc` and the message: the file's path, then `want`. */
static void expect_error(const char *content, size_t len, int rc, const char *want)
{
	struct tmpdir t;
	tmpdir_make(&t);
	char *path = write_file(&t, "list.txt", content, len);
	struct policy *p = NULL;
	char err[512];
	const char *const list[] = {path};
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 1, &p, err, sizeof(err)),
			 rc);
	assert_null(p);
	char expected[512];
	snprintf(expected, sizeof(expected), "%s%s", path, want);
	assert_string_equal(err, expected);
	tmpdir_remove(&t, &path, 1);
}

#define EXPECT_ERROR(content, want) expect_error(content, sizeof(content) - 1, -EINVAL, want)

static void test_load_errors(void **state)
{
	(void)state;
	EXPECT_ERROR("ok.example\n# fine\na..b\n", ":3:3: invalid name \"a..b\": empty label");
	EXPECT_ERROR("a b\n", ":1:2: one name per line expected");
	EXPECT_ERROR("  http://x.example/  # url\n",
		     ":1:7: invalid name \"http://x.example/\": ':' is not allowed in a name");
	EXPECT_ERROR("*.*.x.example\n",
		     ":1:1: invalid pattern \"*.*.x.example\": a '*' inside a name "
		     "needs at least two fixed labels to its right (\"*.\" is "
		     "allowed only in front)");
	EXPECT_ERROR("x*.example\n",
		     ":1:1: invalid pattern \"x*.example\": a '*' inside a name needs "
		     "at least two fixed labels to its right (\"*.\" is allowed only in "
		     "front)");
	EXPECT_ERROR(".\n", ":1:1: invalid name \".\": empty");
	EXPECT_ERROR("..\n", ":1:1: invalid name \"..\": empty");
	EXPECT_ERROR("*.\n", ":1:1: invalid name \"*.\": empty");
	EXPECT_ERROR("\n\n\nx.example..\n", ":4:11: invalid name \"x.example..\": empty label");
	EXPECT_ERROR(
		"a\"b\\c.example\n",
		":1:2: invalid name \"a\\x22b\\x5cc.example\": '\\x22' is not allowed in a name");
	EXPECT_ERROR("a\x01"
		     "b.example\n",
		     ":1:2: invalid name \"a\\x01b.example\": '\\x01' is not allowed in a name");
	EXPECT_ERROR("caf\xc3\xa9.example\n",
		     ":1:4: invalid name \"caf\\xc3\\xa9.example\": '\\xc3' is not allowed in a "
		     "name");
	/* A NUL byte inside a line. */
	expect_error("a\0b.example\n", 12, -EINVAL,
		     ":1:2: invalid name \"a\\x00b.example\": '\\x00' is not allowed in a name");
	/* A 64-byte label; a 254-byte name, quoted up to 64 bytes. */
	EXPECT_ERROR("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\n",
		     ":1:1: invalid name "
		     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
		     "label longer "
		     "than 63 bytes");
	char longname[300];
	size_t w = 0;
	for (int i = 0; i < 50; i++) {
		memcpy(longname + w, "abcd.", 5);
		w += 5;
	}
	memcpy(longname + w, "xyzw\n", 6); /* 254 bytes before the newline */
	expect_error(
		longname, strlen(longname), -EINVAL,
		":1:1: invalid name "
		"\"abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd...\": longer "
		"than 253 bytes");
}

static void test_load_io_errors(void **state)
{
	(void)state;
	struct tmpdir t;
	tmpdir_make(&t);
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/missing.list", t.path);
	char *good = write_text(&t, "good.list", "good.example\n");
	const char *const list[] = {good, missing};
	struct policy *p = NULL;
	char err[256];
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 2, &p, err, sizeof(err)),
			 -ENOENT);
	assert_null(p);
	char want[256];
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	assert_string_equal(err, want);

	/* A directory opens but cannot be read. */
	const char *const dir[] = {t.path};
	assert_int_equal(policy_load_domain_lists(&fileio_posix, dir, 1, &p, err, sizeof(err)),
			 -EISDIR);
	snprintf(want, sizeof(want), "%s: Is a directory", t.path);
	assert_string_equal(err, want);
	assert_null(p);

	/* A short buffer gets a cut but terminated message; no buffer is fine too. */
	char small[8];
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 2, &p, small, sizeof(small)),
			 -ENOENT);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, missing, sizeof(small) - 1);
	assert_int_equal(policy_load_domain_lists(&fileio_posix, list, 2, &p, NULL, 0), -ENOENT);
	assert_null(p);

	tmpdir_remove(&t, &good, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_str),     cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_lookup_actions), cmocka_unit_test(test_decide),
		cmocka_unit_test(test_load_lists),     cmocka_unit_test(test_load_large_list),
		cmocka_unit_test(test_load_errors),    cmocka_unit_test(test_load_io_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
