/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for settings: every row's default is a valid value that reads back as written,
 * values and messages of each type, and the merge of command line, file and defaults. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "embargo/dns.h"
#include "embargo/settings.h"

static const struct setting *row(const char *name, const char *key)
{
	const struct setting *r = setting_find(name, key);
	assert_non_null(r);
	return r;
}

/* Each default parses, and shows as the table writes it; names and bits are unique. */
static void test_table(void **state)
{
	(void)state;
	size_t n;
	const struct setting *t = settings_table(&n);
	struct config_settings s;
	settings_defaults(&s);
	assert_int_equal(s.set, 0);
	uint32_t bits = 0;
	for (size_t i = 0; i < n; i++) {
		char msg[256], v[300];
		struct config_settings one;
		settings_defaults(&one);
		assert_true((bits & t[i].bit) == 0);
		bits |= t[i].bit;
		assert_non_null(t[i].help);
		if (t[i].fallback[0] == '\0') {
			setting_format(&t[i], &s, v, sizeof(v));
			assert_string_equal(v, "-");
			continue;
		}
		assert_int_equal(setting_parse(&t[i], t[i].fallback, &one, msg, sizeof(msg)), 0);
		assert_int_equal(one.set, t[i].bit);
		assert_true(setting_equal(&t[i], &one, &s));
		setting_format(&t[i], &s, v, sizeof(v));
		assert_string_equal(v, t[i].fallback);
		for (size_t k = 0; k < i; k++) {
			bool same = strcmp(t[k].name, t[i].name) == 0 &&
				    (t[i].key == NULL || strcmp(t[k].key, t[i].key) == 0);
			assert_false(same);
		}
	}
	assert_int_equal(s.queue.first, 0);
	assert_int_equal(s.dns_ede, DNS_EDE_BLOCKED);
	assert_true(s.dns_responses);
	assert_int_equal(s.unfinished_action, ACTION_REJECT);
	assert_int_equal(s.flows_max, 4096);
}

static void test_values(void **state)
{
	(void)state;
	struct config_settings s;
	char msg[256], v[64];
	settings_defaults(&s);
	assert_int_equal(setting_parse(row("queue", NULL), "3-5", &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.queue.first, 3);
	assert_int_equal(s.queue.last, 5);
	setting_format(row("queue", NULL), &s, v, sizeof(v));
	assert_string_equal(v, "3-5");
	assert_int_equal(setting_parse(row("queue", NULL), "0-64", &s, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg,
			    "invalid queue range \"0-64\" (N or A-B, 0..65535, at most 64 queues)");
	assert_int_equal(setting_parse(row("fail", NULL), "closed", &s, msg, sizeof(msg)), 0);
	assert_true(s.fail_closed);
	assert_int_equal(setting_parse(row("ech", NULL), "deny", &s, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "ech: unknown value \"deny\" (allow, alert or block)");
	assert_int_equal(setting_parse(row("dns-ede", NULL), "filtered", &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.dns_ede, DNS_EDE_FILTERED);
	assert_int_equal(setting_parse(row("flow-limit", "flows"), "15", &s, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "flow-limit flows: expected a number 16..1048576");
	assert_int_equal(setting_parse(row("pid-file", NULL), "-", &s, msg, sizeof(msg)), 0);
	assert_string_equal(s.pid_file, "");
	assert_int_equal(setting_parse(row("user", NULL), "", &s, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "user: value empty or too long");
	assert_int_equal(
		setting_parse(row("sinkhole-v6", NULL), "2001:db8::1", &s, msg, sizeof(msg)), 0);
	setting_format(row("sinkhole-v6", NULL), &s, v, sizeof(v));
	assert_string_equal(v, "2001:db8::1");
	assert_null(setting_find("flow-limit", "bytes"));
	assert_null(setting_find("nothing", NULL));
}

/* The command line's value wins, then the file's, then the default. */
static void test_merge(void **state)
{
	(void)state;
	struct config_settings cli, file, out;
	char msg[256];
	settings_defaults(&cli);
	settings_defaults(&file);
	assert_int_equal(setting_parse(row("queue", NULL), "7", &cli, msg, sizeof(msg)), 0);
	assert_int_equal(setting_parse(row("queue", NULL), "1-2", &file, msg, sizeof(msg)), 0);
	assert_int_equal(setting_parse(row("log-rate", NULL), "5", &file, msg, sizeof(msg)), 0);
	settings_merge(&out, &cli, &file);
	assert_int_equal(out.queue.first, 7);
	assert_int_equal(out.queue.last, 7);
	assert_int_equal(out.log_rate, 5);
	assert_int_equal(out.learn_entries, 16384);
	assert_int_equal(out.set, CFG_QUEUE | CFG_LOG_RATE);
	settings_merge(&out, &cli, NULL);
	assert_int_equal(out.log_rate, 0);
	assert_int_equal(out.set, CFG_QUEUE);
}

/* Statements as the file writes them: one value, every key of a keyed statement, one key; and
 * the whole line the startup log shows. */
static void test_format(void **state)
{
	(void)state;
	struct config_settings s;
	char msg[256], v[128], line[1536];
	settings_defaults(&s);
	assert_int_equal(setting_parse(row("flow-limit", "flows"), "100", &s, msg, sizeof(msg)), 0);
	setting_format_statement("flow-limit", NULL, &s, v, sizeof(v));
	assert_string_equal(v, "packets 512 timeout 10 flows 100 buffers 512");
	setting_format_statement("flow-limit", "flows", &s, v, sizeof(v));
	assert_string_equal(v, "100");
	setting_format_statement("fail", NULL, &s, v, sizeof(v));
	assert_string_equal(v, "open");
	settings_format_line(&s, line, sizeof(line));
	assert_non_null(strstr(line, "queue 0, fail open, overflow drop, "));
	assert_non_null(
		strstr(line, ", flow-limit packets 512 timeout 10 flows 100 buffers 512, "));
	/* every statement once, none of a keyed statement's keys twice */
	size_t n, statements = 0;
	const struct setting *t = settings_table(&n);
	for (size_t i = 0; i < n; i++) {
		statements += i == 0 || strcmp(t[i - 1].name, t[i].name) != 0;
	}
	size_t commas = 0;
	for (const char *c = line; *c != '\0'; c++) {
		commas += *c == ',';
	}
	assert_int_equal(commas + 1, statements);
	/* cut, never overrun */
	settings_format_line(&s, line, 16);
	assert_int_equal(strlen(line), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
