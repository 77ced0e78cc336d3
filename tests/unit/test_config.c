/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for config: embargod.conf settings, vendor blocks and what they compile to, includes
 * and imports read from temporary files, and the exact message of every kind of error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "test.h"

#include "embargo/config.h"
#include "embargo/dns.h"
#include "fileio.h"

#define TNAME "t.conf"

/* ---- helpers ---- */

static struct name nm(const char *text)
{
	struct name n;
	assert_int_equal(name_from_text(&n, text, strlen(text)), 0);
	return n;
}

static enum action act(const struct policy *p, const char *text)
{
	struct name n = nm(text);
	return policy_lookup(p, &n, NULL);
}

static enum action act_proto(const struct policy *p, const char *text, enum inspect_proto proto)
{
	struct name n = nm(text);
	return policy_lookup_proto(p, &n, proto, NULL);
}

static const struct rule_meta *rule_of(const struct policy *p, const char *text)
{
	struct name n = nm(text);
	const struct rule_meta *rule = NULL;
	policy_lookup(p, &n, &rule);
	return rule;
}

/* Load `text` (from an exact-size heap copy, so ASan sees any read past its end). */
static int load_text(const char *text, size_t len, unsigned flags, struct config_settings *s,
		     struct policy **p, char *err, size_t err_size)
{
	uint8_t *copy = test_exact_copy((const uint8_t *)text, len);
	int rc = config_load_buffer(TNAME, (const char *)copy, len, flags, &fileio_posix, s, p, err,
				    err_size);
	free(copy);
	return rc;
}

static struct policy *load_ok(const char *text, struct config_settings *s)
{
	char err[512] = "";
	struct policy *p = NULL;
	int rc = load_text(text, strlen(text), CONFIG_NO_FILES, s, &p, err, sizeof(err));
	if (rc != 0) {
		fail_msg("config_load_buffer: %d: %s", rc, err);
	}
	assert_non_null(p);
	assert_string_equal(err, "");
	return p;
}

/* `text` must be refused with exactly `want`, and leave the output policy untouched. */
static void expect_err(const char *text, const char *want)
{
	struct config_settings s;
	struct policy *sentinel = (struct policy *)&s;
	struct policy *p = sentinel;
	char err[512];
	memset(err, 'x', sizeof(err));
	int rc = load_text(text, strlen(text), CONFIG_NO_FILES, &s, &p, err, sizeof(err));
	if (rc == 0) {
		policy_free(p);
		fail_msg("accepted: %s", text);
	}
	assert_int_equal(rc, -EINVAL);
	assert_ptr_equal(p, sentinel);
	assert_string_equal(err, want);
}

static int find_str(char **table, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i] != NULL && strcmp(table[i], s) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* The group of (vendor, category), or NULL. */
static const struct policy_group *group_of(const struct policy *p, const char *vendor,
					   const char *category)
{
	int v = find_str(p->vendors, p->nvendors, vendor);
	int c = find_str(p->categories, p->ncategories, category);
	for (uint32_t i = 0; v >= 0 && c >= 0 && i < p->ngroups; i++) {
		if (p->groups[i].vendor_id == v && p->groups[i].category_id == c) {
			return &p->groups[i];
		}
	}
	return NULL;
}

static const char *rule_vendor(const struct policy *p, const struct rule_meta *r)
{
	assert_non_null(r);
	assert_true(r->vendor_id < p->nvendors);
	return p->vendors[r->vendor_id];
}

static const char *rule_category(const struct policy *p, const struct rule_meta *r)
{
	assert_non_null(r);
	assert_true(r->category_id < p->ncategories);
	return p->categories[r->category_id];
}

static const char *rule_file(const struct policy *p, const struct rule_meta *r)
{
	assert_non_null(r);
	assert_true(r->file_id < p->nfiles);
	return p->files[r->file_id];
}

/* ---- actions ---- */

static void test_action_from_str(void **state)
{
	(void)state;
	assert_int_equal(config_action_from_str("reject"), ACTION_REJECT);
	assert_int_equal(config_action_from_str("drop"), ACTION_DROP);
	assert_int_equal(config_action_from_str("alert"), ACTION_ALERT);
	assert_int_equal(config_action_from_str("alert-only"), ACTION_ALERT);
	assert_int_equal(config_action_from_str("allow"), ACTION_ALLOW);
	assert_int_equal(config_action_from_str("none"), -1);
	assert_int_equal(config_action_from_str("Reject"), -1);
	assert_int_equal(config_action_from_str(""), -1);
	assert_int_equal(config_action_from_str("rejects"), -1);
}

/* ---- settings and syntax ---- */

static void test_settings(void **state)
{
	(void)state;
	static const char text[] = "# daemon settings\n"
				   "queue 2-5\n"
				   "fail closed   # comment after a statement\n"
				   "user \"embargo\"\n"
				   "pid-file /run/embargo/e.pid\n"
				   "control-socket \"/run/with space/\\\"q\\\"\\\\x.sock\"\n"
				   "control-group wheel\n"
				   "log-facility local3\n"
				   "log-rate 0; log-window 120\n"
				   "dns-answer sinkhole\n"
				   "sinkhole-v4 10.0.0.1\n"
				   "sinkhole-v6 fd00::1\n"
				   "nameless drop\n"
				   "flow-limit packets 16 timeout 30\n"
				   "flow-limit flows 100000 buffers 64\n";
	struct config_settings s;
	struct policy *p = load_ok(text, &s);
	assert_int_equal(s.set, CFG_QUEUE | CFG_FAIL | CFG_USER | CFG_PID_FILE |
					CFG_CONTROL_SOCKET | CFG_CONTROL_GROUP | CFG_LOG_FACILITY |
					CFG_LOG_RATE | CFG_LOG_WINDOW | CFG_DNS_ANSWER |
					CFG_SINKHOLE_V4 | CFG_SINKHOLE_V6 | CFG_NAMELESS |
					CFG_FLOW_PACKETS | CFG_FLOW_TIMEOUT | CFG_FLOW_FLOWS |
					CFG_FLOW_BUFFERS);
	assert_int_equal(s.queue.first, 2);
	assert_int_equal(s.queue.last, 5);
	assert_true(s.fail_closed);
	assert_string_equal(s.user, "embargo");
	assert_string_equal(s.pid_file, "/run/embargo/e.pid");
	assert_string_equal(s.control_socket, "/run/with space/\"q\"\\x.sock");
	assert_string_equal(s.control_group, "wheel");
	assert_int_equal(s.log_facility, LOG_LOCAL3);
	assert_int_equal(s.log_rate, 0);
	assert_int_equal(s.log_window_s, 120);
	assert_int_equal(s.dns_answer, DNS_REPLY_SINKHOLE);
	static const uint8_t v4[4] = {10, 0, 0, 1};
	uint8_t v6[16];
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", v6), 1);
	assert_memory_equal(s.sinkhole_v4, v4, 4);
	assert_memory_equal(s.sinkhole_v6, v6, 16);
	assert_int_equal(s.nameless_action, ACTION_DROP);
	assert_int_equal(p->nameless_action, ACTION_DROP);
	assert_int_equal(s.flow_packets, 16);
	assert_int_equal(s.flow_timeout_s, 30);
	assert_int_equal(s.flows_max, 100000);
	assert_int_equal(s.buffers_max, 64);
	policy_free(p);

	/* Only what is given is set; a single queue; the other choices. */
	p = load_ok("queue 7\nfail open\nflow-limit timeout 5\ndns-answer refused\n"
		    "log-facility daemon\n",
		    &s);
	assert_int_equal(s.set, CFG_QUEUE | CFG_FAIL | CFG_FLOW_TIMEOUT | CFG_DNS_ANSWER |
					CFG_LOG_FACILITY);
	assert_int_equal(s.queue.first, 7);
	assert_int_equal(s.queue.last, 7);
	assert_false(s.fail_closed);
	assert_int_equal(s.flow_timeout_s, 5);
	assert_int_equal(s.dns_answer, DNS_REPLY_REFUSED);
	assert_int_equal(s.log_facility, LOG_DAEMON);
	assert_int_equal(p->nameless_action, ACTION_NONE);
	policy_free(p);

	/* Largest values, and the settings struct is cleared by every load. */
	p = load_ok("queue 65472-65535\nlog-rate 100000\nlog-window 86400\n"
		    "flow-limit packets 4096 timeout 3600 flows 1048576 buffers 32768\n"
		    "nameless allow\n",
		    &s);
	assert_int_equal(s.queue.first, 65472);
	assert_int_equal(s.queue.last, 65535);
	assert_int_equal(s.log_rate, 100000);
	assert_int_equal(s.log_window_s, 86400);
	assert_int_equal(s.flow_packets, 4096);
	assert_int_equal(s.flow_timeout_s, 3600);
	assert_int_equal(s.flows_max, CONFIG_FLOWS_MAX);
	assert_int_equal(s.buffers_max, CONFIG_BUFFERS_MAX);
	assert_int_equal(p->nameless_action, ACTION_ALLOW);
	policy_free(p);
	p = load_ok("", &s);
	assert_int_equal(s.set, 0);
	assert_string_equal(s.user, "");
	policy_free(p);
}

static void test_syntax(void **state)
{
	(void)state;
	struct config_settings s;
	/* ';' separates statements, blank lines and comments anywhere, CRLF line ends, a UTF-8
	 * byte order mark, no newline at the end. */
	struct policy *p = load_ok("\xef\xbb\xbf# head\r\n\r\n  \t\n"
				   "queue 1;;fail closed ; user x # c ; user y\r\n"
				   "vendor v { category c { a.example.com } }\n"
				   "vendor w {\n"
				   "  category c { b.example.com; c.example.com }\n"
				   "  category d {\n"
				   "    d.example.com e.example.com   # two entries on a line\n"
				   "  }; }\n"
				   "vendor x {}",
				   &s);
	assert_int_equal(s.set, CFG_QUEUE | CFG_FAIL | CFG_USER);
	assert_int_equal(s.queue.first, 1);
	assert_true(s.fail_closed);
	assert_string_equal(s.user, "x");
	static const char *const listed[] = {"a.example.com", "b.example.com", "c.example.com",
					     "d.example.com", "e.example.com"};
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		assert_int_equal(act(p, listed[i]), ACTION_REJECT);
	}
	const struct rule_meta *r = rule_of(p, "a.example.com");
	assert_string_equal(rule_vendor(p, r), "v");
	assert_string_equal(rule_category(p, r), "c");
	assert_string_equal(rule_file(p, r), TNAME);
	assert_int_equal(r->line, 5);
	r = rule_of(p, "e.example.com");
	assert_string_equal(rule_vendor(p, r), "w");
	assert_string_equal(rule_category(p, r), "d");
	assert_int_equal(r->line, 9);
	assert_int_equal(r->kind, DS_BLOCK);
	assert_int_equal(find_str(p->vendors, p->nvendors, "x"), 2);
	assert_int_equal(group_of(p, "w", "d")->entries, 2);
	policy_free(p);

	/* Quoted strings: escapes, '#', ';' and braces inside them are plain bytes; an empty
	 * string is a word of its own. */
	p = load_ok("vendor v {\n"
		    "  name \"A \\\"quoted\\\" name; # not a comment {}\"\n"
		    "  reason \"back\\\\slash\"\n"
		    "  category c { \"q.example.com\" }\n"
		    "}\n",
		    &s);
	assert_string_equal(p->vendor_titles[0], "A \"quoted\" name; # not a comment {}");
	assert_string_equal(p->vendor_reasons[0], "back\\slash");
	assert_int_equal(act(p, "q.example.com"), ACTION_REJECT);
	policy_free(p);
}

/* ---- what vendor blocks compile to ---- */

static void test_entry_forms(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("vendor v {\n"
				   "  category c {\n"
				   "    exact.example.org\n"
				   "    *.example.com\n"
				   "    dnl-*.geo.example.net\n"
				   "    trailing.example.org.\n"
				   "    UPPER.Example.ORG\n"
				   "  }\n"
				   "}\n",
				   &s);
	/* An exact name: only itself. */
	assert_int_equal(act(p, "exact.example.org"), ACTION_REJECT);
	assert_int_equal(act(p, "a.exact.example.org"), ACTION_NONE);
	assert_int_equal(act(p, "example.org"), ACTION_NONE);
	/* "*.suffix": the name itself and every name below it, on a label boundary. */
	assert_int_equal(act(p, "example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "www.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.b.c.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "notexample.com"), ACTION_NONE);
	assert_int_equal(act(p, "example.com.evil.org"), ACTION_NONE);
	assert_int_equal(act(p, "com"), ACTION_NONE);
	/* A label glob: one label, same depth. */
	assert_int_equal(act(p, "dnl-01.geo.example.net"), ACTION_REJECT);
	assert_int_equal(act(p, "dnl-xyz.geo.example.net"), ACTION_REJECT);
	assert_int_equal(act(p, "edge.geo.example.net"), ACTION_NONE);
	assert_int_equal(act(p, "a.dnl-01.geo.example.net"), ACTION_NONE);
	assert_int_equal(act(p, "geo.example.net"), ACTION_NONE);
	/* A trailing dot changes nothing; names are matched without regard to case. */
	assert_int_equal(act(p, "trailing.example.org"), ACTION_REJECT);
	assert_int_equal(act(p, "upper.example.org"), ACTION_REJECT);

	const struct rule_meta *r = rule_of(p, "www.example.com");
	assert_int_equal(r->line, 4);
	assert_int_equal(r->action, ACTION_NONE);
	assert_int_equal(r->kind, DS_BLOCK);
	r = rule_of(p, "dnl-01.geo.example.net");
	assert_int_equal(r->line, 5);
	assert_string_equal(rule_category(p, r), "c");
	const struct policy_group *g = group_of(p, "v", "c");
	assert_non_null(g);
	assert_int_equal(g->entries, 5);
	assert_int_equal(g->exceptions, 0);
	assert_int_equal(g->skipped, 0);
	assert_true(g->enabled);
	assert_int_equal(g->action, ACTION_NONE);
	policy_free(p);
}

static void test_allow(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("vendor v {\n"
				   "  category c {\n"
				   "    *.example.com\n"
				   "    allow www.example.com *.ok.example.com\n"
				   "    allow exact.example.com\n"
				   "    exact.example.com\n"
				   "  }\n"
				   "  allow vendor-level.example.com\n"
				   "  top.example.net\n"
				   "}\n",
				   &s);
	assert_int_equal(act(p, "example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "www.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "a.www.example.com"), ACTION_REJECT); /* the allow is exact */
	assert_int_equal(act(p, "ok.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "a.b.ok.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "notok.example.com"), ACTION_REJECT);
	/* Block and allow for the same name: allow wins the tie. */
	assert_int_equal(act(p, "exact.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "vendor-level.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "top.example.net"), ACTION_REJECT);

	const struct rule_meta *r = rule_of(p, "www.example.com");
	assert_int_equal(r->kind, DS_ALLOW);
	assert_int_equal(r->line, 4);
	/* Entries directly in the vendor block fall into the category "other". */
	r = rule_of(p, "top.example.net");
	assert_string_equal(rule_category(p, r), "other");
	assert_int_equal(r->line, 9);
	const struct policy_group *g = group_of(p, "v", "c");
	assert_int_equal(g->entries, 2);
	assert_int_equal(g->exceptions, 3);
	g = group_of(p, "v", "other");
	assert_non_null(g);
	assert_int_equal(g->entries, 1);
	assert_int_equal(g->exceptions, 1);
	policy_free(p);
}

static void test_action_precedence(void **state)
{
	(void)state;
	struct config_settings s;
	/* The top-level switch comes before the vendor it affects: switches apply to the whole
	 * configuration wherever they are. */
	struct policy *p = load_ok("category c action alert\n"
				   "vendor v {\n"
				   "  action drop\n"
				   "  category a { a.example.com }\n"
				   "  category b { action alert; b.example.com }\n"
				   "  category c { action reject; c.example.com }\n"
				   "}\n"
				   "vendor w {\n"
				   "  category a { w.example.net }\n"
				   "  category c { c.example.net }\n"
				   "}\n"
				   "default-action dns drop\n"
				   "default-action http alert\n",
				   &s);
	assert_int_equal(act(p, "a.example.com"), ACTION_DROP);	 /* vendor action */
	assert_int_equal(act(p, "b.example.com"), ACTION_ALERT); /* category beats vendor */
	assert_int_equal(act(p, "c.example.com"), ACTION_ALERT); /* top level beats both */
	assert_int_equal(act(p, "c.example.net"), ACTION_ALERT);
	assert_int_equal(group_of(p, "v", "a")->action, ACTION_DROP);
	assert_int_equal(group_of(p, "v", "b")->action, ACTION_ALERT);
	assert_int_equal(group_of(p, "v", "c")->action, ACTION_ALERT);
	assert_int_equal(group_of(p, "w", "a")->action, ACTION_NONE);
	assert_int_equal(rule_of(p, "w.example.net")->action, ACTION_NONE);
	/* No action anywhere: the protocol's default. */
	assert_int_equal(act(p, "w.example.net"), ACTION_REJECT);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_DNS), ACTION_DROP);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_DNS_TCP), ACTION_DROP);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_HTTP), ACTION_ALERT);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_TLS), ACTION_REJECT);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_QUIC), ACTION_REJECT);
	assert_int_equal(act_proto(p, "w.example.net", INSPECT_PROTO_GQUIC), ACTION_REJECT);
	/* A rule with its own action keeps it in every protocol. */
	assert_int_equal(act_proto(p, "a.example.com", INSPECT_PROTO_HTTP), ACTION_DROP);
	assert_int_equal(act_proto(p, "c.example.com", INSPECT_PROTO_DNS), ACTION_ALERT);
	policy_free(p);

	/* "all", then one protocol changed after it; alert-only is a synonym of alert. */
	p = load_ok("default-action all alert-only\ndefault-action quic drop\n"
		    "vendor v { x.example.com }\n",
		    &s);
	assert_int_equal(p->proto_action[INSPECT_PROTO_DNS], ACTION_ALERT);
	assert_int_equal(act_proto(p, "x.example.com", INSPECT_PROTO_DNS), ACTION_ALERT);
	assert_int_equal(act_proto(p, "x.example.com", INSPECT_PROTO_TLS), ACTION_ALERT);
	assert_int_equal(act_proto(p, "x.example.com", INSPECT_PROTO_HTTP), ACTION_ALERT);
	assert_int_equal(act_proto(p, "x.example.com", INSPECT_PROTO_QUIC), ACTION_DROP);
	assert_int_equal(act_proto(p, "x.example.com", INSPECT_PROTO_GQUIC), ACTION_DROP);
	policy_free(p);

	/* The last top-level override wins. */
	p = load_ok("vendor v { category c { x.example.com } }\n"
		    "category c action drop\ncategory c action alert\n",
		    &s);
	assert_int_equal(act(p, "x.example.com"), ACTION_ALERT);
	policy_free(p);
}

static void test_category_off(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("vendor v {\n"
				   "  category web { *.example.com\n allow www.example.com }\n"
				   "  category update { upd.example.com }\n"
				   "}\n"
				   "vendor w { category web { *.example.net } }\n"
				   "category web off\n",
				   &s);
	assert_int_equal(act(p, "example.com"), ACTION_NONE);
	assert_int_equal(act(p, "a.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "www.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "a.example.net"), ACTION_NONE);
	assert_int_equal(act(p, "upd.example.com"), ACTION_REJECT);
	const struct policy_group *g = group_of(p, "v", "web");
	assert_non_null(g);
	assert_false(g->enabled);
	assert_int_equal(g->entries, 1); /* counted, though not in force */
	assert_int_equal(g->exceptions, 1);
	assert_false(group_of(p, "w", "web")->enabled);
	assert_true(group_of(p, "v", "update")->enabled);
	policy_free(p);

	/* Off and on again: the last switch wins. A switch for a category no vendor has is
	 * fine. */
	p = load_ok("category web off\ncategory web on\ncategory nothing off\n"
		    "vendor v { category web { *.example.com } }\n",
		    &s);
	assert_int_equal(act(p, "a.example.com"), ACTION_REJECT);
	assert_true(group_of(p, "v", "web")->enabled);
	policy_free(p);
}

/* A name listed by several groups: the rule of the first group that stays on stands, as if
 * the groups switched off had not listed it, whichever way round the files come. */
static void test_category_off_overlap(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p =
		load_ok("vendor a {\n"
			"  category doh { *.dns.example.com\n exact.example.org }\n"
			"}\n"
			"vendor b { category web {\n"
			"  *.dns.example.com\n exact.example.org\n allow ok.dns.example.com\n"
			"} }\n"
			"vendor c { category doh { allow ok.dns.example.com } }\n"
			"category doh off\n",
			&s);
	const struct rule_meta *r = rule_of(p, "x.dns.example.com");
	assert_string_equal(rule_vendor(p, r), "b");
	assert_int_equal(r->line, 6);
	r = rule_of(p, "exact.example.org");
	assert_string_equal(rule_vendor(p, r), "b");
	r = rule_of(p, "ok.dns.example.com");
	assert_string_equal(rule_vendor(p, r), "b");
	assert_int_equal(act(p, "ok.dns.example.com"), ACTION_ALLOW);
	policy_free(p);

	/* With both on, the first listing stands; a later allow beats an earlier block. */
	p = load_ok("vendor a { category doh { *.dns.example.com } }\n"
		    "vendor b { category web { *.dns.example.com\n allow ok.dns.example.com } }\n"
		    "vendor c { category doh { allow ok.dns.example.com } }\n",
		    &s);
	assert_string_equal(rule_vendor(p, rule_of(p, "x.dns.example.com")), "a");
	assert_string_equal(rule_vendor(p, rule_of(p, "ok.dns.example.com")), "b");
	policy_free(p);

	/* Only the web category off: vendor c's exception is the one left. */
	p = load_ok("vendor a { category doh { *.dns.example.com } }\n"
		    "vendor b { category web { *.dns.example.com\n allow ok.dns.example.com } }\n"
		    "vendor c { category doh { allow ok.dns.example.com } }\n"
		    "category web off\n",
		    &s);
	assert_string_equal(rule_vendor(p, rule_of(p, "x.dns.example.com")), "a");
	assert_string_equal(rule_vendor(p, rule_of(p, "ok.dns.example.com")), "c");
	assert_string_equal(rule_category(p, rule_of(p, "ok.dns.example.com")), "doh");
	policy_free(p);
}

static void test_canary(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("", &s);
	assert_true(p->has_canary);
	assert_true(p->canary_category < p->ncategories);
	assert_string_equal(p->categories[p->canary_category], "doh-canary");
	assert_int_equal(act(p, "use-application-dns.net"), ACTION_REJECT);
	assert_int_equal(act(p, "a.use-application-dns.net"), ACTION_NONE);
	const struct rule_meta *r = rule_of(p, "use-application-dns.net");
	assert_int_equal(r->category_id, p->canary_category);
	assert_string_equal(rule_vendor(p, r), "embargo");
	assert_string_equal(rule_file(p, r), "(built-in)");
	assert_int_equal(r->line, 0);
	const struct policy_group *g = group_of(p, "embargo", "doh-canary");
	assert_non_null(g);
	assert_int_equal(g->entries, 1);
	assert_true(g->enabled);
	policy_free(p);

	/* Kept with "on", and the canary follows the vendors' own categories. */
	p = load_ok("doh-canary on\nvendor v { category c { x.example.com } }\n", &s);
	assert_true(p->has_canary);
	assert_string_equal(p->categories[p->canary_category], "doh-canary");
	assert_int_equal(act(p, "use-application-dns.net"), ACTION_REJECT);
	policy_free(p);

	p = load_ok("doh-canary off\nvendor v { category c { x.example.com } }\n", &s);
	assert_false(p->has_canary);
	assert_int_equal(act(p, "use-application-dns.net"), ACTION_NONE);
	/* The built-in vendor stays, for the shipped ECH fronts, without the canary. */
	assert_true(find_str(p->vendors, p->nvendors, "embargo") >= 0);
	assert_int_equal(group_of(p, "embargo", "doh-canary"), NULL);
	assert_int_equal(find_str(p->categories, p->ncategories, "doh-canary"), -1);
	assert_int_equal(act(p, "x.example.com"), ACTION_REJECT);
	policy_free(p);
}

static void addr_of(const char *text, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = 4;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
	*family = 6;
}

static bool enforced(const struct policy *p, const char *client)
{
	uint8_t family, addr[16];
	addr_of(client, &family, addr);
	return policy_client_enforced(p, family, addr);
}

static void test_client_scope(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("exempt 192.168.1.10 10.0.0.7/24 fd00::1/64\n"
				   "exempt 2001:db8:1::/48\n"
				   "enforce-on 192.168.1.0/24\n"
				   "enforce-on 2001:db8::/32 172.16.5.5\n"
				   "vendor v { x.example.com }\n",
				   &s);
	assert_int_equal(p->nexempt, 4);
	assert_int_equal(p->nenforce, 3);
	/* Host bits are cleared; a bare address is a full-length prefix. */
	static const uint8_t net10[16] = {10, 0, 0, 0};
	assert_int_equal(p->exempt[0].family, 4);
	assert_int_equal(p->exempt[0].plen, 32);
	assert_int_equal(p->exempt[1].family, 4);
	assert_int_equal(p->exempt[1].plen, 24);
	assert_memory_equal(p->exempt[1].addr, net10, 16);
	uint8_t fam, fd00[16];
	addr_of("fd00::", &fam, fd00);
	assert_int_equal(p->exempt[2].family, 6);
	assert_int_equal(p->exempt[2].plen, 64);
	assert_memory_equal(p->exempt[2].addr, fd00, 16);
	assert_int_equal(p->enforce[2].plen, 32);

	assert_false(enforced(p, "192.168.1.10")); /* exempt inside the enforced range */
	assert_true(enforced(p, "192.168.1.11"));
	assert_true(enforced(p, "192.168.1.255"));
	assert_false(enforced(p, "192.168.2.1")); /* outside enforce-on */
	assert_false(enforced(p, "10.0.0.200"));
	assert_true(enforced(p, "172.16.5.5"));
	assert_false(enforced(p, "172.16.5.6"));
	assert_true(enforced(p, "2001:db8::5"));
	assert_true(enforced(p, "2001:db8:ffff::5"));
	assert_false(enforced(p, "2001:db8:1::5"));
	assert_false(enforced(p, "2001:db9::1"));
	assert_false(enforced(p, "fd00::5"));

	/* The decision: a listed name from a client outside the scope passes. */
	struct inspect_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->state = INSPECT_NAMED;
	r->proto = INSPECT_PROTO_TLS;
	r->nnames = 1;
	r->names[0] = nm("x.example.com");
	struct policy_decision d;
	addr_of("192.168.1.20", &r->pkt.ip_version, r->pkt.src);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_REJECT);
	addr_of("192.168.1.10", &r->pkt.ip_version, r->pkt.src);
	policy_decide(p, r, &d);
	assert_int_equal(d.action, ACTION_NONE);
	assert_null(d.rule);
	free(r);
	policy_free(p);

	/* Without enforce-on every client but the exempt ones is enforced. */
	p = load_ok("exempt 192.168.0.0/16 ::1\n", &s);
	assert_int_equal(p->nenforce, 0);
	assert_false(enforced(p, "192.168.44.1"));
	assert_false(enforced(p, "::1"));
	assert_true(enforced(p, "::2"));
	assert_true(enforced(p, "10.1.1.1"));
	assert_true(enforced(p, "192.169.0.1"));
	policy_free(p);

	/* /0 covers a whole family only. */
	p = load_ok("enforce-on 0.0.0.0/0\n", &s);
	assert_true(enforced(p, "203.0.113.9"));
	assert_false(enforced(p, "2001:db8::1"));
	policy_free(p);
}

static void test_groups(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = load_ok("vendor kaspersky {\n"
				   "  name \"AO Kaspersky Lab\"\n"
				   "  reason \"FCC Covered List\"\n"
				   "  action reject\n"
				   "  category update {\n"
				   "    *.upd.example.com\n"
				   "    dnl-*.geo.example.com\n"
				   "    activation-v2.example.com\n"
				   "    allow support.example.com\n"
				   "  }\n"
				   "  category telemetry { action alert; ksn.example.com }\n"
				   "  allow www.example.com\n"
				   "}\n"
				   "vendor other { category update { x.example.org } }\n",
				   &s);
	int k = find_str(p->vendors, p->nvendors, "kaspersky");
	assert_true(k >= 0);
	assert_string_equal(p->vendor_titles[k], "AO Kaspersky Lab");
	assert_string_equal(p->vendor_reasons[k], "FCC Covered List");
	int o = find_str(p->vendors, p->nvendors, "other");
	assert_true(o >= 0);
	assert_null(p->vendor_titles[o]);
	assert_null(p->vendor_reasons[o]);
	/* kaspersky/update, kaspersky/telemetry, kaspersky/other, other/update, the canary. */
	assert_int_equal(p->ngroups, 5);
	const struct policy_group *g = group_of(p, "kaspersky", "update");
	assert_int_equal(g->entries, 3);
	assert_int_equal(g->exceptions, 1);
	assert_int_equal(g->skipped, 0);
	assert_int_equal(g->action, ACTION_REJECT);
	g = group_of(p, "kaspersky", "telemetry");
	assert_int_equal(g->entries, 1);
	assert_int_equal(g->action, ACTION_ALERT);
	g = group_of(p, "kaspersky", "other");
	assert_int_equal(g->entries, 0);
	assert_int_equal(g->exceptions, 1);
	g = group_of(p, "other", "update");
	assert_int_equal(g->entries, 1);
	assert_int_equal(g->action, ACTION_NONE);
	/* One category table shared by every vendor. */
	assert_int_equal(group_of(p, "other", "update")->category_id,
			 group_of(p, "kaspersky", "update")->category_id);
	assert_int_equal(act(p, "s00.upd.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "ksn.example.com"), ACTION_ALERT);
	assert_int_equal(act(p, "support.example.com"), ACTION_ALLOW);
	policy_free(p);
}

/* The shipped embargod.conf with every vendor file it includes. */
static void test_shipped_config(void **state)
{
	(void)state;
	struct config_settings s;
	struct policy *p = NULL;
	char err[512] = "";
	int rc = config_load(TEST_SRCDIR "/../../conf/embargod.conf", 0, &fileio_posix, &s, &p, err,
			     sizeof(err));
	if (rc != 0) {
		fail_msg("%s", err);
	}
	assert_true((s.set & (CFG_QUEUE | CFG_FAIL | CFG_USER | CFG_CONTROL_SOCKET | CFG_LOG_RATE |
			      CFG_LOG_WINDOW | CFG_DNS_ANSWER | CFG_NAMELESS)) ==
		    (CFG_QUEUE | CFG_FAIL | CFG_USER | CFG_CONTROL_SOCKET | CFG_LOG_RATE |
		     CFG_LOG_WINDOW | CFG_DNS_ANSWER | CFG_NAMELESS));
	assert_true(p->nfiles > 2);
	assert_true(p->has_canary);
	assert_int_equal(act(p, "use-application-dns.net"), ACTION_REJECT);
	/* Kaspersky: suffix, glob-covered and allowed names. */
	assert_int_equal(act(p, "s00.upd.kaspersky.com"), ACTION_REJECT);
	assert_int_equal(act(p, "dnl-07.geo.kaspersky.com"), ACTION_REJECT);
	assert_int_equal(act(p, "opentip.kaspersky.com"), ACTION_ALLOW);
	const struct rule_meta *r = rule_of(p, "s00.upd.kaspersky.com");
	assert_string_equal(rule_vendor(p, r), "kaspersky");
	assert_string_equal(rule_category(p, r), "update");
	assert_non_null(strstr(rule_file(p, r), "blocklist.d/kaspersky.conf"));
	/* The doh category ships switched off. */
	const struct policy_group *g = group_of(p, "public-doh", "doh");
	assert_non_null(g);
	assert_false(g->enabled);
	assert_true(g->entries > 0);
	assert_int_equal(act(p, "dns.google"), ACTION_NONE);
	policy_free(p);
}

/* ---- files: includes and imports ---- */

struct tmpdir {
	char path[128];
	char *files[32];
	size_t nfiles;
	char *dirs[8];
	size_t ndirs;
};

static void tmpdir_make(struct tmpdir *t)
{
	memset(t, 0, sizeof(*t));
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/embargo-config-XXXXXX",
		 base != NULL && strlen(base) < 64 ? base : "/tmp");
	assert_non_null(mkdtemp(t->path));
}

static char *tmp_path(const struct tmpdir *t, const char *name)
{
	char *path = malloc(256);
	assert_non_null(path);
	snprintf(path, 256, "%s/%s", t->path, name);
	return path;
}

static void tmp_mkdir(struct tmpdir *t, const char *name)
{
	assert_true(t->ndirs < sizeof(t->dirs) / sizeof(t->dirs[0]));
	char *path = tmp_path(t, name);
	assert_int_equal(mkdir(path, 0700), 0);
	t->dirs[t->ndirs++] = path;
}

/* Write dir/name; returns the path (freed by tmpdir_remove). */
static const char *tmp_write(struct tmpdir *t, const char *name, const char *text)
{
	assert_true(t->nfiles < sizeof(t->files) / sizeof(t->files[0]));
	char *path = tmp_path(t, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	size_t len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	t->files[t->nfiles++] = path;
	return path;
}

static void tmpdir_remove(struct tmpdir *t)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		unlink(t->files[i]);
		free(t->files[i]);
	}
	for (size_t i = t->ndirs; i > 0; i--) {
		assert_int_equal(rmdir(t->dirs[i - 1]), 0);
		free(t->dirs[i - 1]);
	}
	assert_int_equal(rmdir(t->path), 0);
}

static struct policy *file_ok(const char *path, struct config_settings *s)
{
	char err[512] = "";
	struct policy *p = NULL;
	int rc = config_load(path, 0, &fileio_posix, s, &p, err, sizeof(err));
	if (rc != 0) {
		fail_msg("config_load: %d: %s", rc, err);
	}
	assert_non_null(p);
	return p;
}

static void file_err(const char *path, int want_rc, const char *want)
{
	struct config_settings s;
	struct policy *sentinel = (struct policy *)&s;
	struct policy *p = sentinel;
	char err[1024];
	int rc = config_load(path, 0, &fileio_posix, &s, &p, err, sizeof(err));
	if (rc == 0) {
		policy_free(p);
		fail_msg("accepted: %s", path);
	}
	assert_int_equal(rc, want_rc);
	assert_ptr_equal(p, sentinel);
	assert_string_equal(err, want);
}

/* A configuration file larger than the window it is read through: statements and a comment
 * line longer than the window cross its edges, and messages still give the right line and
 * column. */
static void test_large_file(void **state)
{
	(void)state;
	enum {
		ENTRIES = 9000,
		COMMENT = 150000
	};
	size_t cap = ENTRIES * 40 + COMMENT + 256, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
				"vendor big {\n\tname \"Big\"\n"
				"\tcategory c {\n");
	for (unsigned i = 0; i < ENTRIES; i++) {
		len += (size_t)snprintf(text + len, cap - len, "\t\t*.e%u.example%u.com\n", i,
					i % 9);
		if (i == ENTRIES / 2) {
			text[len++] = '#';
			memset(text + len, 'x', COMMENT);
			len += COMMENT;
			text[len++] = '\n';
		}
	}
	len += (size_t)snprintf(text + len, cap - len, "\t}\n}\n");
	struct tmpdir t;
	tmpdir_make(&t);
	const char *ok_path = tmp_write(&t, "big.conf", text);
	struct config_settings s;
	struct policy *p = file_ok(ok_path, &s);
	assert_int_equal(act(p, "a.e0.example0.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.e8999.example8.com"), ACTION_REJECT);
	const struct rule_meta *r = rule_of(p, "e4501.example1.com");
	assert_non_null(r);
	assert_int_equal(r->line, 4 + 4501 + 1); /* after the comment line */
	assert_int_equal(group_of(p, "big", "c")->entries, ENTRIES);
	policy_free(p);
	/* The same with a bad name at the end: line and column past the window's edges. */
	len -= 5; /* "\t}\n}\n" */
	len += (size_t)snprintf(text + len, cap - len,
				"\t\tok.example.com bad^name.example\n\t}\n}\n");
	const char *bad_path = tmp_write(&t, "bad.conf", text);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s:%u:21: invalid name \"bad^name.example\": '^' is not allowed in a name",
		 bad_path, 4 + ENTRIES + 1);
	file_err(bad_path, -EINVAL, want);
	free(text);
	tmpdir_remove(&t);
}

static void test_include(void **state)
{
	(void)state;
	struct tmpdir t;
	tmpdir_make(&t);
	tmp_mkdir(&t, "conf.d");
	tmp_mkdir(&t, "empty.d");
	tmp_write(&t, "conf.d/b.conf", "vendor b {\n  category c { b.example.com }\n}\n");
	tmp_write(&t, "conf.d/a.conf",
		  "# a\n\nvendor a {\n  category c { a.example.com }\n}\ncategory c action drop\n");
	tmp_write(&t, "conf.d/ignored.txt", "this is not a config file\n");
	tmp_write(&t, "extra.conf", "user nobody\n");
	const char *main_path = tmp_write(&t, "main.conf",
					  "queue 3\n"
					  "include conf.d/*.conf\n"
					  "include empty.d/*.conf\n"
					  "include \"extra.conf\"\n"
					  "vendor m { m.example.com }\n");
	struct config_settings s;
	struct policy *p = file_ok(main_path, &s);
	assert_int_equal(s.set, CFG_QUEUE | CFG_USER);
	assert_string_equal(s.user, "nobody");
	/* Files in glob order, then the including file's own vendors. */
	assert_string_equal(p->vendors[0], "a");
	assert_string_equal(p->vendors[1], "b");
	assert_string_equal(p->vendors[2], "m");
	assert_int_equal(p->nfiles, 5); /* main, a, b, extra, the canary's */
	assert_string_equal(p->files[0], main_path);
	assert_int_equal(act(p, "a.example.com"), ACTION_DROP); /* the switch from a.conf */
	assert_int_equal(act(p, "b.example.com"), ACTION_DROP);
	assert_int_equal(act(p, "m.example.com"), ACTION_REJECT);
	const struct rule_meta *r = rule_of(p, "a.example.com");
	char *want = tmp_path(&t, "conf.d/a.conf");
	assert_string_equal(rule_file(p, r), want);
	free(want);
	assert_int_equal(r->line, 4);
	r = rule_of(p, "m.example.com");
	assert_string_equal(rule_file(p, r), main_path);
	assert_int_equal(r->line, 5);
	policy_free(p);

	/* An error in an included file names that file. */
	tmp_write(&t, "bad.conf", "\n\nvendor a {\n  bogus\n}\n");
	const char *inc_bad = tmp_write(&t, "inc-bad.conf", "include bad.conf\n");
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "%s/bad.conf:4:3: unknown keyword \"bogus\" in a vendor block (a name needs at "
		 "least one dot)",
		 t.path);
	file_err(inc_bad, -EINVAL, buf);

	/* A vendor defined twice across files. */
	const char *dup = tmp_write(&t, "dup.conf", "include conf.d/*.conf\nvendor b {\n}\n");
	snprintf(buf, sizeof(buf),
		 "%s/dup.conf:2:8: vendor \"b\" is already defined at %s/conf.d/b.conf:1", t.path,
		 t.path);
	file_err(dup, -EINVAL, buf);

	/* A missing file. */
	const char *missing = tmp_write(&t, "missing.conf", "queue 1\ninclude nothere.conf\n");
	snprintf(buf, sizeof(buf),
		 "%s/missing.conf:2:9: cannot read \"%s/nothere.conf\": No such file or directory",
		 t.path, t.path);
	file_err(missing, -EINVAL, buf);
	/* A glob in a directory that does not exist (an empty one is fine, above). */
	const char *nodir = tmp_write(&t, "nodir.conf", "include nodir/*.conf\n");
	snprintf(buf, sizeof(buf),
		 "%s/nodir.conf:1:9: cannot read \"nodir/*.conf\": No such file or directory",
		 t.path);
	file_err(nodir, -EINVAL, buf);

	/* Loops: a file including itself, and a cycle through another directory. */
	const char *self = tmp_write(&t, "self.conf", "include self.conf\n");
	snprintf(buf, sizeof(buf),
		 "%s/self.conf:1:9: include loop: \"%s/self.conf\" is already being read", t.path,
		 t.path);
	file_err(self, -EINVAL, buf);
	tmp_mkdir(&t, "loop");
	tmp_write(&t, "loop/a.conf", "# a\ninclude ../cycle.conf\n");
	const char *cycle = tmp_write(&t, "cycle.conf", "include loop/a.conf\n");
	snprintf(
		buf, sizeof(buf),
		"%s/loop/a.conf:2:9: include loop: \"%s/loop/../cycle.conf\" is already being read",
		t.path, t.path);
	file_err(cycle, -EINVAL, buf);

	/* The same file included twice, one after the other, is no loop. */
	const char *twice = tmp_write(&t, "twice.conf", "include extra.conf\ninclude extra.conf\n");
	p = file_ok(twice, &s);
	assert_string_equal(s.user, "nobody");
	policy_free(p);

	/* The top-level file itself. */
	char *none = tmp_path(&t, "none.conf");
	snprintf(buf, sizeof(buf), "%s: No such file or directory", none);
	file_err(none, -ENOENT, buf);
	free(none);
	tmpdir_remove(&t);
}

static void test_include_depth(void **state)
{
	(void)state;
	struct tmpdir t;
	tmpdir_make(&t);
	char name[32], text[64];
	/* d0 includes d1 ... d16 includes d17: seventeen levels below the top. */
	for (int i = 0; i <= CONFIG_INCLUDE_DEPTH + 1; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(text, sizeof(text), "# level %d\ninclude d%d.conf\n", i, i + 1);
		tmp_write(&t, name, i == CONFIG_INCLUDE_DEPTH + 1 ? "user deep\n" : text);
	}
	char buf[512];
	snprintf(buf, sizeof(buf), "%s/d%d.conf:2:1: includes nested deeper than %d", t.path,
		 CONFIG_INCLUDE_DEPTH, CONFIG_INCLUDE_DEPTH);
	file_err(t.files[0], -EINVAL, buf);
	/* One level less is fine. */
	struct config_settings s;
	struct policy *p = file_ok(t.files[1], &s);
	assert_string_equal(s.user, "deep");
	policy_free(p);
	tmpdir_remove(&t);
}

static void test_import(void **state)
{
	(void)state;
	struct tmpdir t;
	tmpdir_make(&t);
	tmp_mkdir(&t, "lists");
	tmp_write(&t, "lists/plain.txt",
		  "# a plain list\n"
		  "plain.example.com\n"
		  "\n"
		  "  .dot.example.org   # leading dot, trailing comment\n"
		  "*.star.example.net\n"
		  "no-newline.example.com");
	tmp_write(&t, "lists/hosts.txt",
		  "127.0.0.1 localhost localhost.localdomain\n"
		  "::1 ip6-localhost ip6-loopback\n"
		  "0.0.0.0 0.0.0.0\n"
		  "0.0.0.0 h1.example.com h2.example.com # two names\n"
		  "# a comment\n"
		  "\t0.0.0.0\th3.example.com\r\n");
	tmp_write(&t, "lists/abp.txt",
		  "[Adblock Plus 2.0]\n"
		  "! Title: test\n"
		  "||abp.example.com^\n"
		  "@@||ok.abp.example.com^\n"
		  "||pipe.example.com^|\n"
		  "example.com##.ad\n"
		  "/banner/*\n"
		  "||third.example.com^$third-party\n"
		  "# comment\n"
		  "||path.example.com/ads^\n"
		  "||port.example.com:8443^\n"
		  "||ad*.wild.example.com^\n"
		  "||*.lead.example.com^\n");
	const char *main_path = tmp_write(&t, "main.conf",
					  "vendor v {\n"
					  "  category c {\n"
					  "    import plain \"lists/plain.txt\"\n"
					  "    import hosts lists/hosts.txt\n"
					  "    import abp lists/abp.txt\n"
					  "  }\n"
					  "  import plain lists/plain.txt\n"
					  "}\n");
	struct config_settings s;
	struct policy *p = file_ok(main_path, &s);
	/* plain: each name and everything below it. */
	assert_int_equal(act(p, "plain.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.plain.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "dot.example.org"), ACTION_REJECT);
	assert_int_equal(act(p, "x.dot.example.org"), ACTION_REJECT);
	assert_int_equal(act(p, "star.example.net"), ACTION_REJECT);
	assert_int_equal(act(p, "no-newline.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "example.com"), ACTION_NONE);
	/* hosts: exact names; the machine's own names are not rules. */
	assert_int_equal(act(p, "h1.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "h2.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "h3.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.h1.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "localhost"), ACTION_NONE);
	assert_int_equal(act(p, "localhost.localdomain"), ACTION_NONE);
	assert_int_equal(act(p, "ip6-localhost"), ACTION_NONE);
	/* abp: "||name^" is the name and below, "@@" an exception. */
	assert_int_equal(act(p, "abp.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.abp.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "ok.abp.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "a.ok.abp.example.com"), ACTION_ALLOW);
	assert_int_equal(act(p, "pipe.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "third.example.com"), ACTION_NONE);
	/* URL patterns are not name rules: counted as skipped, not refused. */
	assert_int_equal(act(p, "path.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "port.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "ads.wild.example.com"), ACTION_NONE);
	assert_int_equal(act(p, "lead.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "a.lead.example.com"), ACTION_REJECT);

	/* Rules point at the imported file's line. */
	char *hosts = tmp_path(&t, "lists/hosts.txt");
	const struct rule_meta *r = rule_of(p, "h2.example.com");
	assert_string_equal(rule_file(p, r), hosts);
	assert_int_equal(r->line, 4);
	assert_string_equal(rule_vendor(p, r), "v");
	assert_string_equal(rule_category(p, r), "c");
	r = rule_of(p, "h3.example.com");
	assert_int_equal(r->line, 6);
	free(hosts);
	r = rule_of(p, "ok.abp.example.com");
	assert_int_equal(r->kind, DS_ALLOW);
	assert_int_equal(r->line, 4);
	assert_non_null(strstr(rule_file(p, r), "/lists/abp.txt"));
	r = rule_of(p, "no-newline.example.com");
	assert_int_equal(r->line, 6);

	const struct policy_group *g = group_of(p, "v", "c");
	assert_non_null(g);
	assert_int_equal(g->entries, 4 + 3 + 3);
	assert_int_equal(g->exceptions, 1);
	assert_int_equal(g->skipped, 6); /* cosmetic, path, option, port and wildcard rules */
	/* An import directly in the vendor block goes to "other". */
	g = group_of(p, "v", "other");
	assert_non_null(g);
	assert_int_equal(g->entries, 4);
	assert_int_equal(p->nfiles, 1 + 4 + 1);
	policy_free(p);

	/* Errors point into the imported file. */
	char buf[1024];
	tmp_write(&t, "lists/bad.hosts", "0.0.0.0 ok.example.com\nnot-an-ip a.example.com\n");
	const char *bad =
		tmp_write(&t, "bad-hosts.conf",
			  "vendor v {\n  category c { import hosts lists/bad.hosts }\n}\n");
	snprintf(buf, sizeof(buf),
		 "%s/lists/bad.hosts:2:1: expected an IP address first on a hosts line", t.path);
	file_err(bad, -EINVAL, buf);

	tmp_write(&t, "lists/bad-name.hosts", "# x\n  0.0.0.0   ok.example.com bad..example.com\n");
	bad = tmp_write(&t, "bad-name.conf",
			"vendor v {\n  category c { import hosts lists/bad-name.hosts }\n}\n");
	snprintf(buf, sizeof(buf),
		 "%s/lists/bad-name.hosts:2:32: invalid name \"bad..example.com\": empty label",
		 t.path);
	file_err(bad, -EINVAL, buf);

	tmp_write(&t, "lists/two.txt", "a.example.com\na.example.com b.example.com\n");
	bad = tmp_write(&t, "two.conf", "vendor v {\n  import plain lists/two.txt\n}\n");
	snprintf(buf, sizeof(buf), "%s/lists/two.txt:2:14: one name per line expected", t.path);
	file_err(bad, -EINVAL, buf);

	tmp_write(&t, "lists/bad.abp", "||good.example.com^\n||bad!.example.com^\n");
	bad = tmp_write(&t, "bad-abp.conf", "vendor v {\n  import abp lists/bad.abp\n}\n");
	snprintf(buf, sizeof(buf),
		 "%s/lists/bad.abp:2:6: invalid name \"bad!.example.com\": '!' is not allowed in "
		 "a name",
		 t.path);
	file_err(bad, -EINVAL, buf);

	bad = tmp_write(&t, "no-list.conf", "vendor v {\n  import plain \"nothere.txt\"\n}\n");
	snprintf(buf, sizeof(buf),
		 "%s/no-list.conf:2:16: cannot read \"nothere.txt\": No such file or directory",
		 t.path);
	file_err(bad, -EINVAL, buf);
	tmpdir_remove(&t);
}

/* ---- errors ---- */

static void test_errors_lexical(void **state)
{
	(void)state;
	expect_err("frobnicate 1\n", TNAME ":1:1: unknown keyword \"frobnicate\"");
	expect_err("queue 1\n  Queue 2\n", TNAME ":2:3: unknown keyword \"Queue\"");
	expect_err("user \"embargo\n", TNAME ":1:6: unterminated string");
	expect_err("user \"embargo", TNAME ":1:6: unterminated string");
	expect_err("queue 1\nuser \"a\\nb\"\n",
		   TNAME ":2:8: unknown escape in a string (only \\\" and \\\\)");
	expect_err("user \"a\\", TNAME ":1:8: unknown escape in a string (only \\\" and \\\\)");
	expect_err("user \"a\tb\"\n", TNAME ":1:8: control character 0x09 in a string");
	expect_err("queue\x01 1\n", TNAME ":1:6: unexpected control character 0x01");
	expect_err("queue 1\n}\n", TNAME ":2:1: '}' without a block to close");
	expect_err("vendor v {\n}\n}\n", TNAME ":3:1: '}' without a block to close");
	expect_err("\n  {\n", TNAME ":2:3: '{' without a statement");
	expect_err("vendor v {\n  category c {\n    { a.example.com }\n  }\n}\n",
		   TNAME ":3:5: '{' without a statement");
	expect_err("queue 1 {\n}\n", TNAME ":1:9: 'queue' does not take a block");
	expect_err("vendor v {\n  a.example.com {\n  }\n}\n",
		   TNAME ":2:17: 'a.example.com' does not take a block");
	expect_err("vendor v {\n  category c {\n    a.example.com\n",
		   TNAME ":2:3: block is not closed: '}' missing before the end of the file");
	expect_err("vendor v {\n  category c {\n    a.example.com\n  }\n",
		   TNAME ":1:1: block is not closed: '}' missing before the end of the file");
	expect_err("vendor v {", TNAME ":1:1: block is not closed: '}' missing before the end of "
				       "the file");
	expect_err("vendor v { a.example.com",
		   TNAME ":1:1: block is not closed: '}' missing before the end of the file");
}

static void test_errors_names(void **state)
{
	(void)state;
	/* Every entry of a line needs a dot, not only the first. */
	expect_err("vendor v { category c { a.example.com com } }\n",
		   TNAME ":1:39: invalid name \"com\": a name needs at least one dot");
	expect_err("vendor v {\n  category c {\n    bad!name.example.com\n  }\n}\n",
		   TNAME ":3:8: invalid name \"bad!name.example.com\": '!' is not allowed in a "
			 "name");
	/* The column of the offending byte, past a "*." prefix and on a later word. */
	expect_err("vendor v {\n  a.example.com *.b/c.example.com\n}\n",
		   TNAME ":2:20: invalid name \"*.b/c.example.com\": '/' is not allowed in a name");
	expect_err("vendor v {\n  allow ok.example.com\xc3\xa9.example.com\n}\n",
		   TNAME ":2:23: invalid name \"ok.example.com\\xc3\\xa9.example.com\": '\\xc3' is "
			 "not allowed in a name");
	expect_err("vendor v {\n  category c {\n    a..example.com\n  }\n}\n",
		   TNAME ":3:7: invalid name \"a..example.com\": empty label");
	expect_err("vendor v { .example.com }\n",
		   TNAME ":1:12: invalid name \".example.com\": empty label");
	expect_err("vendor v { *. }\n", TNAME ":1:12: invalid name \"*.\": empty");
	expect_err("vendor v { allow . }\n", TNAME ":1:18: invalid name \".\": empty");

	char text[256], want[512];
	char label[65];
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "vendor v {\n  x.%s.com\n}\n", label);
	/* The value is cut after 64 bytes in the message. */
	snprintf(want, sizeof(want),
		 TNAME ":2:5: invalid name \"x.%.62s...\": label longer than 63 bytes", label);
	expect_err(text, want);
	label[63] = '\0'; /* 63 is fine */
	snprintf(text, sizeof(text), "vendor v {\n  x.%s.com\n}\n", label);
	struct config_settings s;
	struct policy *p = load_ok(text, &s);
	policy_free(p);

	/* A name over 253 bytes. */
	char longname[400] = "";
	for (int i = 0; i < 5; i++) {
		strcat(longname, label);
		strcat(longname, ".");
	}
	strcat(longname, "com"); /* 5 * 64 + 3 = 323 bytes */
	snprintf(want, sizeof(want),
		 TNAME ":2:17: invalid name \"%.64s...\": longer than 253 bytes", longname);
	char text2[512];
	snprintf(text2, sizeof(text2), "vendor v {\n  x.example.com %s\n}\n", longname);
	expect_err(text2, want);

	static const char glob_msg[] =
		"a '*' inside a name needs at least two fixed labels to its right (\"*.\" is "
		"allowed only in front)";
	snprintf(want, sizeof(want), TNAME ":2:3: invalid pattern \"a-*.com\": %s", glob_msg);
	expect_err("vendor v {\n  a-*.com\n}\n", want);
	snprintf(want, sizeof(want), TNAME ":1:12: invalid pattern \"*.a*.example.com\": %s",
		 glob_msg);
	expect_err("vendor v { *.a*.example.com }\n", want);
	snprintf(want, sizeof(want), TNAME ":1:12: invalid pattern \"a.*.example\": %s", glob_msg);
	expect_err("vendor v { a.*.example }\n", want);
	snprintf(want, sizeof(want), TNAME ":1:18: invalid pattern \"*\": %s", glob_msg);
	expect_err("vendor v { allow * }\n", want);
	/* Two fixed labels right of the last '*' label are enough, wherever the stars are. */
	p = load_ok("vendor v { a*.b*.example.com *x.example.com }\n", &s);
	assert_int_equal(act(p, "ab.bc.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "yx.example.com"), ACTION_REJECT);
	assert_int_equal(act(p, "y.example.com"), ACTION_NONE);
	policy_free(p);
}

static void test_errors_structure(void **state)
{
	(void)state;
	expect_err("vendor v {\n}\n\nvendor v {\n}\n",
		   TNAME ":4:8: vendor \"v\" is already defined at " TNAME ":1");
	expect_err("category c {\n}\n",
		   TNAME ":1:1: a category block belongs inside a vendor block");
	expect_err("a.example.com\n",
		   TNAME ":1:1: \"a.example.com\" belongs inside a vendor block");
	expect_err("allow a.example.com\n", TNAME ":1:1: \"allow\" belongs inside a vendor block");
	expect_err("action drop\n", TNAME ":1:1: \"action\" belongs inside a vendor block");
	expect_err("import plain x.txt\n", TNAME ":1:1: \"import\" belongs inside a vendor block");
	expect_err("vendor v {\n  vendor w {\n  }\n}\n",
		   TNAME ":2:3: \"vendor\" is not allowed inside a vendor block");
	expect_err("vendor v {\n  category c {\n    category d {\n    }\n  }\n}\n",
		   TNAME ":3:5: \"category\" is not allowed inside a category block");
	expect_err("vendor v {\n  include x.conf\n}\n",
		   TNAME ":2:3: \"include\" is not allowed inside a vendor block");
	expect_err("vendor v {\n  category c off\n}\n",
		   TNAME ":2:3: usage: category NAME { ... } (switches such as \"category NAME "
			 "off\" belong in embargod.conf)");
	expect_err("vendor v {\n  category c d {\n  }\n}\n",
		   TNAME ":2:3: usage: category NAME { ... }");
	expect_err("vendor v {\n  category c/d {\n  }\n}\n",
		   TNAME ":2:12: invalid category name \"c/d\" (letters, digits, '-', '_', '.')");
	expect_err("vendor v {\n  foo\n}\n", TNAME ":2:3: unknown keyword \"foo\" in a vendor "
						   "block (a name needs at least one dot)");
	expect_err("vendor v { category c {\n  com\n} }\n",
		   TNAME ":2:3: unknown keyword \"com\" in a category block (a name needs at least "
			 "one dot)");
	expect_err("vendor v\n", TNAME ":1:1: usage: vendor ID { ... }");
	expect_err("vendor v w {\n}\n", TNAME ":1:1: usage: vendor ID { ... }");
	expect_err("vendor \"a b\" {\n}\n",
		   TNAME ":1:8: invalid vendor id \"a b\" (letters, digits, '-', '_', '.'; at most "
			 "63)");
	expect_err("vendor v {\n  name\n}\n",
		   TNAME ":2:3: name takes one value (quote it: name \"...\")");
	expect_err("vendor v {\n  reason a b\n}\n",
		   TNAME ":2:3: reason takes one value (quote it: reason \"...\")");
	expect_err("vendor v {\n  allow\n}\n", TNAME ":2:3: allow: give at least one name");
	expect_err("category c\n",
		   TNAME ":1:1: usage: category NAME on|off, or category NAME action ACTION");
	expect_err("category c maybe\n",
		   TNAME ":1:12: category c: expected on, off or action ACTION, not \"maybe\"");
	expect_err("category c off now\n",
		   TNAME ":1:12: category c: expected on, off or action ACTION, not \"off\"");
}

static void test_errors_values(void **state)
{
	(void)state;
	/* Actions. */
	expect_err("vendor v {\n  action block\n}\n",
		   TNAME ":2:10: unknown action \"block\" (reject, drop or alert)");
	expect_err("vendor v {\n  category c { action allow }\n}\n",
		   TNAME ":2:23: unknown action \"allow\" (reject, drop or alert)");
	expect_err("vendor v {\n  action\n}\n", TNAME ":2:3: usage: action reject|drop|alert");
	expect_err("category c action \"no\\\"pe\"\n",
		   TNAME ":1:19: unknown action \"no\\x22pe\" (reject, drop or alert)");
	expect_err("default-action dns\n",
		   TNAME ":1:1: usage: default-action dns|tls|http|quic|all ACTION");
	expect_err("default-action smtp drop\n",
		   TNAME ":1:16: unknown protocol \"smtp\" (dns, tls, http, quic or all)");
	expect_err("default-action dns allow\n",
		   TNAME ":1:20: unknown action \"allow\" (reject, drop or alert)");
	/* Queues. */
	expect_err("queue 5-2\n", TNAME ":1:7: invalid queue range \"5-2\" (N or A-B, 0..65535, at "
					"most 64 queues)");
	expect_err("queue 0-64\n", TNAME ":1:7: invalid queue range \"0-64\" (N or A-B, 0..65535, "
					 "at most 64 queues)");
	expect_err("queue 65536\n", TNAME ":1:7: invalid queue range \"65536\" (N or A-B, "
					  "0..65535, at most 64 queues)");
	expect_err("queue -1\n", TNAME ":1:7: invalid queue range \"-1\" (N or A-B, 0..65535, at "
				       "most 64 queues)");
	expect_err("queue 1-\n", TNAME ":1:7: invalid queue range \"1-\" (N or A-B, 0..65535, at "
				       "most 64 queues)");
	expect_err("queue 1 2\n", TNAME ":1:1: queue takes one value: N or A-B");
	expect_err("queue\n", TNAME ":1:1: queue takes one value: N or A-B");
	/* Prefixes. */
	expect_err("exempt 10.0.0.0/33\n", TNAME ":1:8: invalid address or prefix \"10.0.0.0/33\"");
	expect_err("exempt 10.0.0.1 fd00::/129\n",
		   TNAME ":1:17: invalid address or prefix \"fd00::/129\"");
	expect_err("enforce-on 10.0.0/8\n", TNAME ":1:12: invalid address or prefix \"10.0.0/8\"");
	expect_err("enforce-on 10.0.0.0/\n",
		   TNAME ":1:12: invalid address or prefix \"10.0.0.0/\"");
	expect_err("enforce-on host.example.com\n",
		   TNAME ":1:12: invalid address or prefix \"host.example.com\"");
	expect_err("exempt\n", TNAME ":1:1: exempt: give at least one address or prefix");
	/* Choices. */
	expect_err("fail maybe\n", TNAME ":1:6: fail: unknown value \"maybe\" (open or closed)");
	expect_err("fail\n", TNAME ":1:1: fail takes one value: open or closed");
	expect_err("dns-answer drop\n", TNAME
		   ":1:12: dns-answer: unknown value \"drop\" (nxdomain, refused or sinkhole)");
	expect_err("nameless block\n", TNAME ":1:10: nameless: unknown value \"block\" (allow, "
					     "alert, drop or reject)");
	expect_err("log-facility kern\n", TNAME
		   ":1:14: log-facility: unknown value \"kern\" (daemon, user, local0, local1, "
		   "local2, local3, local4, local5, local6 or local7)");
	expect_err("doh-canary\n", TNAME ":1:1: doh-canary takes one value: on or off");
	expect_err("doh-canary yes\n",
		   TNAME ":1:12: doh-canary: unknown value \"yes\" (on or off)");
	/* Numbers and strings. */
	expect_err("log-rate 100001\n", TNAME
		   ":1:10: log-rate takes a number (lines per second, 0..100000, 0 = no cap)");
	expect_err("log-window 1h\n", TNAME ":1:12: log-window takes a number (seconds, 0..86400, "
					    "0 = log every attempt)");
	expect_err("log-rate\n",
		   TNAME ":1:1: log-rate takes a number (lines per second, 0..100000, 0 = no cap)");
	expect_err("flow-limit packets 0\n",
		   TNAME ":1:20: flow-limit packets: expected a number 1..4096");
	expect_err("flow-limit timeout 3601\n",
		   TNAME ":1:20: flow-limit timeout: expected a number 1..3600");
	expect_err("flow-limit bytes 10\n",
		   TNAME ":1:12: flow-limit: unknown limit \"bytes\" (packets, timeout, flows or "
			 "buffers)");
	expect_err("flow-limit packets\n",
		   TNAME ":1:1: usage: flow-limit [packets N] [timeout SECONDS] [flows N] "
			 "[buffers N]");
	expect_err("flow-limit flows 15\n",
		   TNAME ":1:18: flow-limit flows: expected a number 16..1048576");
	expect_err("flow-limit flows 1048577\n",
		   TNAME ":1:18: flow-limit flows: expected a number 16..1048576");
	expect_err("flow-limit packets 8 buffers 1\n",
		   TNAME ":1:30: flow-limit buffers: expected a number 2..32768");
	expect_err("flow-limit buffers 32769\n",
		   TNAME ":1:20: flow-limit buffers: expected a number 2..32768");
	expect_err("flow-limit flows -1\n",
		   TNAME ":1:18: flow-limit flows: expected a number 16..1048576");
	expect_err("sinkhole-v4 ::1\n", TNAME ":1:13: sinkhole-v4 takes one IPv4 address");
	expect_err("sinkhole-v6 10.0.0.1\n", TNAME ":1:13: sinkhole-v6 takes one IPv6 address");
	expect_err("sinkhole-v6\n", TNAME ":1:1: sinkhole-v6 takes one IPv6 address");
	expect_err("user \"\"\n", TNAME ":1:6: user: value empty or too long");
	expect_err("user a b\n", TNAME ":1:1: user takes one value");
	char text[400];
	memset(text, 0, sizeof(text));
	memcpy(text, "control-group ", 14);
	memset(text + 14, 'g', CONFIG_IDENT_MAX);
	expect_err(text, TNAME ":1:15: control-group: value empty or too long");
	/* Files are refused when reading untrusted text. */
	expect_err("queue 1\ninclude x.conf\n", TNAME ":2:1: include is not allowed here");
	expect_err("include a b\n", TNAME ":1:1: usage: include FILE-OR-PATTERN");
	expect_err("vendor v {\n  import plain x.txt\n}\n",
		   TNAME ":2:3: import is not allowed here");
	expect_err("vendor v {\n  category c {\n    import csv x.txt\n  }\n}\n",
		   TNAME ":3:12: unknown list format \"csv\" (plain, hosts or abp)");
	expect_err("vendor v {\n  import plain\n}\n",
		   TNAME ":2:3: usage: import plain|hosts|abp FILE");
	expect_err("x", TNAME ":1:1: unknown keyword \"x\"");
}

static void test_errors_limits(void **state)
{
	(void)state;
	/* 65 words in one statement. */
	char text[16384];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "exempt");
	for (int i = 0; i < 64; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, " 10.0.0.%d", i);
	}
	text[n++] = '\n';
	text[n] = '\0';
	char want[128];
	snprintf(want, sizeof(want), TNAME ":1:%zu: too many words in one statement (at most 64)",
		 (size_t)(strrchr(text, ' ') - text) + 2);
	expect_err(text, want);

	/* Exactly 64 words are fine. */
	char *nl = strrchr(text, ' ');
	strcpy(nl, "\n");
	struct config_settings s;
	struct policy *p = load_ok(text, &s);
	assert_int_equal(p->nexempt, 63);
	policy_free(p);

	/* A statement's words hold at most 8 KiB. */
	memset(text, 0, sizeof(text));
	memcpy(text, "user ", 5);
	memset(text + 5, 'u', 9000);
	expect_err(text, TNAME ":1:6: statement too long");
	memset(text, 0, sizeof(text));
	memcpy(text, "user \"", 6);
	memset(text + 6, 'u', 9000);
	text[9006] = '"';
	expect_err(text, TNAME ":1:6: statement too long");

	/* Words that fill the statement's space exactly, then an empty string. */
	memset(text, 0, sizeof(text));
	n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "user");
	for (int i = 0; i < 62; i++) {
		size_t wl = i == 61 ? 134 : 131;
		text[n++] = ' ';
		memset(text + n, 'w', wl);
		n += wl;
	}
	memcpy(text + n, " \"\"\n", 5);
	snprintf(want, sizeof(want), TNAME ":1:%zu: statement too long", n + 2);
	expect_err(text, want);
}

static void test_err_buffer(void **state)
{
	(void)state;
	static const char text[] = "frobnicate 1\n";
	struct config_settings s;
	struct policy *p = NULL;
	/* A short buffer holds the start of the message, NUL-terminated. */
	char err[8];
	memset(err, 'x', sizeof(err));
	assert_int_equal(load_text(text, strlen(text), CONFIG_NO_FILES, &s, &p, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:");
	char small[3] = "zz";
	assert_int_equal(load_text(text, strlen(text), CONFIG_NO_FILES, &s, &p, small, 1), -EINVAL);
	assert_string_equal(small, "");
	assert_int_equal(small[1], 'z');
	/* No buffer at all. */
	assert_int_equal(load_text(text, strlen(text), CONFIG_NO_FILES, &s, &p, NULL, 0), -EINVAL);
	assert_null(p);
	/* The message buffer is cleared on success. */
	char ok[16] = "stale";
	assert_int_equal(load_text("queue 1\n", 8, CONFIG_NO_FILES, &s, &p, ok, sizeof(ok)), 0);
	assert_string_equal(ok, "");
	policy_free(p);
	/* An empty buffer is a valid configuration. */
	p = NULL;
	assert_int_equal(
		config_load_buffer(TNAME, "", 0, CONFIG_NO_FILES, NULL, &s, &p, ok, sizeof(ok)), 0);
	assert_non_null(p);
	policy_free(p);
}

/* Every prefix of a valid configuration: accepted or refused with a message, never a crash. */
static void test_truncation(void **state)
{
	(void)state;
	static const char text[] = "# embargod.conf\n"
				   "queue 0-3; fail closed\n"
				   "user \"emb\\\"argo\\\\\"\n"
				   "log-rate 20\nlog-window 60\n"
				   "dns-answer sinkhole\nsinkhole-v4 0.0.0.0\nsinkhole-v6 ::\n"
				   "nameless alert\n"
				   "flow-limit packets 32 timeout 10\n"
				   "exempt 192.168.1.10 10.0.0.0/24 fd00::/64\n"
				   "enforce-on 192.168.1.0/24\n"
				   "default-action quic drop\n"
				   "doh-canary on\n"
				   "category doh off\n"
				   "category telemetry action alert\n"
				   "vendor kaspersky {\n"
				   "  name \"AO Kaspersky Lab\"\n"
				   "  reason \"FCC Covered List (2022-03-25)\"\n"
				   "  action reject\n"
				   "  category update {\n"
				   "    action drop\n"
				   "    *.upd.example.com           # comment\n"
				   "    dnl-*.geo.example.com\n"
				   "    activation-v2.example.com\n"
				   "    allow support.example.com\n"
				   "  }\n"
				   "  category telemetry { ksn.example.com; *.ksn.example.org }\n"
				   "  allow www.example.com\n"
				   "}\n"
				   "vendor public-doh {\n"
				   "  category doh {\n"
				   "    dns.google\n"
				   "  }\n"
				   "}\n";
	size_t len = strlen(text);
	unsigned ok = 0, refused = 0;
	for (size_t n = 0; n <= len; n++) {
		struct config_settings s;
		struct policy *p = NULL;
		char err[512];
		memset(err, 0, sizeof(err));
		int rc = load_text(text, n, CONFIG_NO_FILES, &s, &p, err, sizeof(err));
		if (rc == 0) {
			assert_non_null(p);
			policy_free(p);
			ok++;
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_null(p);
			assert_true(err[0] != '\0');
			assert_non_null(strchr(err, ':'));
			assert_true(strncmp(err, TNAME ":", strlen(TNAME) + 1) == 0);
			refused++;
		}
	}
	/* The whole text loads; a cut inside a block or a word is refused. */
	assert_true(ok > 0);
	assert_true(refused > 0);
	struct config_settings s;
	struct policy *p = load_ok(text, &s);
	assert_int_equal(act(p, "a.upd.example.com"), ACTION_DROP);
	assert_int_equal(act(p, "ksn.example.com"), ACTION_ALERT);
	assert_int_equal(act(p, "dns.google"), ACTION_NONE);
	assert_int_equal(act(p, "dnl-3.geo.example.com"), ACTION_DROP);
	assert_int_equal(act(p, "support.example.com"), ACTION_ALLOW);
	policy_free(p);
}

/* DNS responses and ECH: defaults, each switch, the vendor's own ech, fronts, learn-from. */
static void test_answers_settings(void **state)
{
	struct config_settings s;
	struct policy *p = load_ok("vendor v { x.example.com }\n", &s);
	assert_true(p->responses);
	assert_true(p->cname_cloaking);
	assert_false(p->strip_ech);
	assert_int_equal(p->ech_action, ACTION_ALLOW);
	assert_int_equal(s.set & (CFG_DNS_EDE | CFG_LEARN_ADDRESSES | CFG_LEARN_ENTRIES), 0);
	struct name front = nm("cloudflare-ech.com");
	const struct rule_meta *r = NULL;
	assert_true(policy_front(p, &front, &r));
	assert_string_equal(rule_vendor(p, r), "embargo");
	assert_string_equal(p->categories[r->category_id], "ech-front");
	assert_string_equal(rule_file(p, r), "(built-in)");
	struct name other = nm("www.example.org");
	assert_false(policy_front(p, &other, NULL));
	assert_int_equal(policy_ech_action(p, 0), ACTION_ALLOW);
	uint8_t a4[16] = {10, 0, 0, 53};
	assert_true(policy_learns_from(p, 4, a4));
	policy_free(p);

	p = load_ok(
		"dns-ede filtered\ndns-responses ignore\ncname-cloaking off\nstrip-ech on\n"
		"ech block\nlearn-addresses ipset\nlearn-limit entries 100 grace 60\n"
		"ech-front cover.example.net Front.Example.org\nlearn-from 10.0.0.0/8 fd00::/8\n"
		"vendor v {\n ech alert\n x.example.com\n}\nvendor w { y.example.com }\n",
		&s);
	assert_int_equal(s.dns_ede, DNS_EDE_FILTERED);
	assert_true(s.set & CFG_DNS_EDE);
	assert_int_equal(s.learn_addresses, CONFIG_LEARN_IPSET);
	assert_int_equal(s.learn_entries, 100);
	assert_int_equal(s.learn_grace_s, 60);
	assert_false(p->responses);
	assert_false(p->cname_cloaking);
	assert_true(p->strip_ech);
	assert_int_equal(p->ech_action, ACTION_REJECT);
	int v = find_str(p->vendors, p->nvendors, "v"), w = find_str(p->vendors, p->nvendors, "w");
	assert_int_equal(policy_ech_action(p, v), ACTION_ALERT);
	assert_int_equal(policy_ech_action(p, w), ACTION_REJECT);
	assert_int_equal(policy_ech_action(p, -1), ACTION_REJECT);
	front = nm("front.example.org");
	assert_true(policy_front(p, &front, &r));
	assert_string_equal(rule_file(p, r), TNAME);
	assert_int_equal(r->line, 8);
	assert_int_equal(p->nfronts, 3);
	assert_false(policy_learns_from(p, 4, (uint8_t[16]){192, 168, 1, 1}));
	assert_true(policy_learns_from(p, 4, a4));
	assert_true(policy_learns_from(p, 6, (uint8_t[16]){0xfd, 1}));
	policy_free(p);
	p = load_ok("dns-ede off\nlearn-addresses nft\nech-front cloudflare-ech.com\n", &s);
	assert_int_equal(s.dns_ede, 0);
	assert_true(s.set & CFG_DNS_EDE);
	assert_int_equal(s.learn_addresses, CONFIG_LEARN_NFT);
	assert_int_equal(p->nfronts, 1); /* the same name twice: once */
	policy_free(p);
	expect_err("dns-ede maybe\n",
		   TNAME ":1:9: dns-ede: unknown value \"maybe\" (blocked, filtered or off)");
	expect_err("ech deny\n", TNAME ":1:5: ech: unknown value \"deny\" (allow, alert or block)");
	expect_err("vendor v {\n ech nope\n x.example.com\n}\n",
		   TNAME ":2:6: ech: unknown value \"nope\" (allow, alert or block)");
	expect_err("learn-limit entries 0\n",
		   TNAME ":1:21: learn-limit entries: expected a number 1..1048576");
	expect_err("learn-limit size 5\n",
		   TNAME ":1:13: learn-limit: unknown limit \"size\" (entries or grace)");
	expect_err("ech-front *.example.net\n",
		   TNAME ":1:11: ech-front: invalid name \"*.example.net\"");
	expect_err("ech-front\n", TNAME ":1:1: ech-front: give at least one name");
	expect_err("learn-from 10.0.0.0/33\n",
		   TNAME ":1:12: invalid address or prefix \"10.0.0.0/33\"");
}

/* ---- files in memory ---- */

/* A file system of a few files, read through the same interface the daemon gives (fileio.h). */
struct mem_file {
	const char *path, *text;
};

struct mem_fs {
	const struct mem_file *files; /* sorted by path, as glob_paths hands them out */
	size_t n;
	unsigned opened, closed;
};

struct mem_handle {
	const char *text;
	size_t len, pos;
};

static int mem_open(void *ctx, const char *path, uint64_t max_bytes, void **file)
{
	struct mem_fs *fs = ctx;
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->files[i].path, path) != 0) {
			continue;
		}
		struct mem_handle *h = calloc(1, sizeof(*h));
		assert_non_null(h);
		h->text = fs->files[i].text;
		h->len = strlen(h->text);
		if (h->len > max_bytes) {
			free(h);
			return -EFBIG;
		}
		fs->opened++;
		*file = h;
		return 0;
	}
	return -ENOENT;
}

/* A few bytes at a time, so that lines and statements cross reads. */
static ssize_t mem_read(void *ctx, void *file, char *buf, size_t len)
{
	(void)ctx;
	struct mem_handle *h = file;
	size_t n = h->len - h->pos;
	n = n < len ? n : len;
	n = n < 5 ? n : 5;
	memcpy(buf, h->text + h->pos, n);
	h->pos += n;
	return (ssize_t)n;
}

static void mem_close(void *ctx, void *file)
{
	struct mem_fs *fs = ctx;
	fs->closed++;
	free(file);
}

static int mem_glob(void *ctx, const char *pattern, file_io_path_fn *fn, void *arg)
{
	const struct mem_fs *fs = ctx;
	for (size_t i = 0; i < fs->n; i++) {
		if (fnmatch(pattern, fs->files[i].path, FNM_PATHNAME) == 0) {
			int rc = fn(arg, fs->files[i].path);
			if (rc != 0) {
				return rc;
			}
		}
	}
	return 0;
}

static int mem_canonical(void *ctx, const char *path, char *out, size_t size)
{
	(void)ctx;
	return (size_t)snprintf(out, size, "%s", path) < size ? 0 : -ENAMETOOLONG;
}

/* A configuration, a vendor file it includes by pattern and a list that one imports, all in
 * memory: nothing is read from disk. */
static void test_files_in_memory(void **state)
{
	(void)state;
	static const struct mem_file files[] = {
		{"/etc/e/blocklist.d/acme.conf", "vendor acme {\n\tcategory web {\n\t\timport "
						 "plain \"acme.txt\"\n\t}\n}\n"},
		{"/etc/e/blocklist.d/acme.txt",
		 "# acme's names\nacme.example\n  *.acme-cdn.example  \n"},
		{"/etc/e/blocklist.d/bad.txt", "not a conf file\n"},
		{"/etc/e/embargod.conf", "queue 2-3 # two\ninclude \"blocklist.d/*.conf\"\n"},
		{"/etc/e/missing.conf", "include nothere.conf\n"},
	};
	struct mem_fs fs = {files, sizeof(files) / sizeof(files[0]), 0, 0};
	const struct file_io io = {&fs, mem_open, mem_read, mem_close, mem_glob, mem_canonical};
	struct config_settings s;
	struct policy *p = NULL;
	char err[512] = "";
	int rc = config_load("/etc/e/embargod.conf", 0, &io, &s, &p, err, sizeof(err));
	if (rc != 0) {
		fail_msg("config_load: %d: %s", rc, err);
	}
	assert_int_equal(s.queue.first, 2);
	assert_int_equal(s.queue.last, 3);
	assert_int_equal(act(p, "www.acme.example"), ACTION_REJECT);
	assert_int_equal(act(p, "img.acme-cdn.example"), ACTION_REJECT);
	assert_int_equal(act(p, "example"), ACTION_NONE);
	const struct rule_meta *r = rule_of(p, "acme.example");
	assert_non_null(r);
	assert_string_equal(p->files[r->file_id], "/etc/e/blocklist.d/acme.txt");
	assert_int_equal(r->line, 2);
	assert_int_equal(fs.opened, 3);
	assert_int_equal(fs.closed, 3);
	policy_free(p);

	p = NULL;
	rc = config_load("/etc/e/missing.conf", 0, &io, &s, &p, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_null(p);
	assert_string_equal(err, "/etc/e/missing.conf:1:9: cannot read \"/etc/e/nothere.conf\": "
				 "No such file or directory");
	assert_int_equal(fs.opened, fs.closed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_in_memory),
		cmocka_unit_test(test_action_from_str),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_entry_forms),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_action_precedence),
		cmocka_unit_test(test_category_off),
		cmocka_unit_test(test_category_off_overlap),
		cmocka_unit_test(test_canary),
		cmocka_unit_test(test_client_scope),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_errors_lexical),
		cmocka_unit_test(test_errors_names),
		cmocka_unit_test(test_errors_structure),
		cmocka_unit_test(test_errors_values),
		cmocka_unit_test(test_errors_limits),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_answers_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
