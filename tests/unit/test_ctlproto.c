/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for ctlproto: request lines (parse, format, refusals) and JSON string escaping. */
#include <errno.h>
#include <stdio.h>

#include "test.h"

#include "embargo/ctlproto.h"

/* Parse `len` bytes of `text` from an exact-size heap copy. */
static int parse_n(const char *text, size_t len, struct ctl_request *req, const char **why)
{
	uint8_t *copy = test_exact_copy((const uint8_t *)text, len);
	*why = NULL;
	int rc = ctl_parse_request(copy, len, req, why);
	free(copy);
	assert_non_null(*why);
	return rc;
}

static int parse(const char *text, struct ctl_request *req, const char **why)
{
	return parse_n(text, strlen(text), req, why);
}

static void expect_refused(const char *text, const char *why_want)
{
	struct ctl_request req;
	const char *why;
	assert_int_equal(parse(text, &req, &why), -EINVAL);
	assert_string_equal(why, why_want);
}

static void test_cmd_from_str(void **state)
{
	(void)state;
	assert_int_equal(ctl_cmd_from_str("status"), CTL_STATUS);
	assert_int_equal(ctl_cmd_from_str("stats"), CTL_STATS);
	assert_int_equal(ctl_cmd_from_str("reload"), CTL_RELOAD);
	assert_int_equal(ctl_cmd_from_str("clients"), CTL_CLIENTS);
	assert_int_equal(ctl_cmd_from_str("test"), CTL_TEST);
	assert_int_equal(ctl_cmd_from_str("addresses"), CTL_ADDRESSES);
	assert_int_equal(ctl_cmd_from_str("audit"), CTL_AUDIT);
	assert_int_equal(ctl_cmd_from_str("Status"), -1);
	assert_int_equal(ctl_cmd_from_str("stat"), -1);
	assert_int_equal(ctl_cmd_from_str(""), -1);
}

static void test_parse_valid(void **state)
{
	(void)state;
	struct ctl_request req;
	const char *why;

	assert_int_equal(parse("text status\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_STATUS);
	assert_false(req.json);
	assert_string_equal(why, "");

	assert_int_equal(parse("json stats\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_STATS);
	assert_true(req.json);

	assert_int_equal(parse("text reload\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_RELOAD);
	assert_int_equal(parse("json clients\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_CLIENTS);
	assert_true(req.json);
	assert_int_equal(parse("text addresses\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_ADDRESSES);
	assert_int_equal(parse("json audit\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_AUDIT);
	assert_int_equal(parse("text audit now\n", &req, &why), -EINVAL);

	/* The name is normalised: lower case, no trailing dot. */
	assert_int_equal(parse("text test Example.COM\n", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_TEST);
	assert_false(req.json);
	assert_string_equal(req.name.text, "example.com");
	assert_int_equal(req.name.len, 11);
	assert_int_equal(req.name.nlabels, 2);
	assert_int_equal(parse("json test WWW.Example.org.\n", &req, &why), 0);
	assert_string_equal(req.name.text, "www.example.org");
	assert_int_equal(parse("text test localhost\n", &req, &why), 0);
	assert_string_equal(req.name.text, "localhost");

	/* Only the first line counts; what follows it is not read. */
	assert_int_equal(parse("text status\n\x01garbage", &req, &why), 0);
	assert_int_equal(req.cmd, CTL_STATUS);

	/* A line of exactly CTL_REQUEST_MAX bytes, newline included, is long enough. */
	char line[CTL_REQUEST_MAX + 1];
	memset(line, 0, sizeof(line));
	memcpy(line, "text test ", 10);
	size_t n = 10;
	while (n + 1 < CTL_REQUEST_MAX) {
		line[n++] = 'a';
	}
	line[n++] = '\n';
	assert_int_equal(n, CTL_REQUEST_MAX);
	/* ... it gets past the length check to the name check. */
	assert_int_equal(parse(line, &req, &why), -EINVAL);
	assert_string_equal(why, "not a valid name");
}

static void test_parse_incomplete(void **state)
{
	(void)state;
	struct ctl_request req;
	const char *why;
	assert_int_equal(parse("text status", &req, &why), 1);
	assert_string_equal(why, "");
	assert_int_equal(parse("", &req, &why), 1);
	assert_int_equal(parse_n(NULL, 0, &req, &why), 1);
	assert_int_equal(parse("garbage without a newline \x01", &req, &why), 1);

	/* Without a newline: more is wanted until CTL_REQUEST_MAX bytes are there. */
	char buf[CTL_REQUEST_MAX + 8];
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(parse_n(buf, CTL_REQUEST_MAX - 1, &req, &why), 1);
	assert_int_equal(parse_n(buf, CTL_REQUEST_MAX, &req, &why), -EINVAL);
	assert_string_equal(why, "request line too long");
	assert_int_equal(parse_n(buf, sizeof(buf), &req, &why), -EINVAL);
	assert_string_equal(why, "request line too long");
	/* A newline past the limit. */
	buf[CTL_REQUEST_MAX] = '\n';
	assert_int_equal(parse_n(buf, CTL_REQUEST_MAX + 1, &req, &why), -EINVAL);
	assert_string_equal(why, "request line too long");
	buf[CTL_REQUEST_MAX - 1] = '\n';
	assert_int_equal(parse_n(buf, CTL_REQUEST_MAX, &req, &why), -EINVAL);
	assert_string_equal(why, "request must start with text or json");
}

static void test_parse_refused(void **state)
{
	(void)state;
	expect_refused("xml status\n", "request must start with text or json");
	expect_refused("TEXT status\n", "request must start with text or json");
	expect_refused("texts status\n", "request must start with text or json");
	expect_refused("\n", "request must start with text or json");
	expect_refused(" text status\n", "request must start with text or json");
	expect_refused("text\n", "no command");
	expect_refused("json \n", "no command");
	expect_refused("text stop\n", "unknown command");
	expect_refused("text Status\n", "unknown command");
	expect_refused("text statu\n", "unknown command");
	expect_refused("text  status\n", "unknown command");
	expect_refused("text status now\n", "this command takes no argument");
	expect_refused("text status \n", "this command takes no argument");
	expect_refused("json reload x.example.com\n", "this command takes no argument");
	expect_refused("text test\n", "test needs a name");
	expect_refused("text test \n", "test needs a name");
	expect_refused("text test a.example.com b.example.com\n", "test takes one name");
	expect_refused("text test a.example.com \n", "test takes one name");
	expect_refused("text test  a.example.com\n", "test takes one name");
	expect_refused("text test a..example.com\n", "not a valid name");
	expect_refused("text test .\n", "not a valid name");
	expect_refused("text test ..\n", "not a valid name");
	expect_refused("text test .example.com\n", "not a valid name");
	/* Bytes that are not printable ASCII, anywhere in the line. */
	static const char np[] = "request holds a byte that is not printable ASCII";
	expect_refused("text test a\tb.example.com\n", np);
	expect_refused("text status\r\n", np);
	expect_refused("text test \x7f.example.com\n", np);
	expect_refused("text test caf\xc3\xa9.example.com\n", np);
	expect_refused("\x01text status\n", np);
	struct ctl_request req;
	const char *why;
	assert_int_equal(parse_n("text\0status\n", 12, &req, &why), -EINVAL);
	assert_string_equal(why, np);
}

static void test_format_roundtrip(void **state)
{
	(void)state;
	char out[CTL_REQUEST_MAX + 1];
	static const char *const words[] = {"status", "stats", "reload", "clients"};
	for (int json = 0; json <= 1; json++) {
		for (int cmd = CTL_STATUS; cmd <= CTL_CLIENTS; cmd++) {
			int n = ctl_format_request(out, sizeof(out), (enum ctl_cmd)cmd, json != 0,
						   NULL);
			char want[32];
			snprintf(want, sizeof(want), "%s %s\n", json ? "json" : "text", words[cmd]);
			assert_int_equal(n, (int)strlen(want));
			assert_string_equal(out, want);
			struct ctl_request req;
			const char *why;
			assert_int_equal(
				ctl_parse_request((const uint8_t *)out, (size_t)n, &req, &why), 0);
			assert_int_equal(req.cmd, cmd);
			assert_int_equal(req.json, json != 0);
		}
		int n = ctl_format_request(out, sizeof(out), CTL_TEST, json != 0,
					   "Upd.Example.COM");
		assert_int_equal(n, 26);
		assert_string_equal(out, json ? "json test Upd.Example.COM\n"
					      : "text test Upd.Example.COM\n");
		struct ctl_request req;
		const char *why;
		assert_int_equal(ctl_parse_request((const uint8_t *)out, (size_t)n, &req, &why), 0);
		assert_int_equal(req.cmd, CTL_TEST);
		assert_int_equal(req.json, json != 0);
		assert_string_equal(req.name.text, "upd.example.com");
	}

	/* The longest name round-trips. */
	char name[NAME_TEXT_MAX + 1];
	memset(name, 'a', NAME_TEXT_MAX);
	name[NAME_TEXT_MAX] = '\0';
	for (size_t i = 63; i < NAME_TEXT_MAX; i += 64) {
		name[i] = '.';
	}
	int n = ctl_format_request(out, sizeof(out), CTL_TEST, true, name);
	assert_int_equal(n, 10 + NAME_TEXT_MAX + 1);
	struct ctl_request req;
	const char *why;
	assert_int_equal(ctl_parse_request((const uint8_t *)out, (size_t)n, &req, &why), 0);
	assert_string_equal(req.name.text, name);

	/* The output buffer needs room for the NUL too. */
	assert_int_equal(ctl_format_request(out, 13, CTL_STATUS, false, NULL), 12);
	assert_string_equal(out, "text status\n");
}

static void test_format_refused(void **state)
{
	(void)state;
	char out[CTL_REQUEST_MAX * 2];
	/* test needs an argument; the others take none. */
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, NULL), -EINVAL);
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_STATUS, false, "x.example.com"),
			 -EINVAL);
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_RELOAD, true, ""), -EINVAL);
	/* Unknown commands. */
	assert_int_equal(
		ctl_format_request(out, sizeof(out), (enum ctl_cmd)(CTL_AUDIT + 1), false, NULL),
		-EINVAL);
	assert_int_equal(ctl_format_request(out, sizeof(out), (enum ctl_cmd) - 1, false, NULL),
			 -EINVAL);
	/* Bytes the line cannot carry. */
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, "a\n.example.com"),
			 -EINVAL);
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, "a\tb.example.com"),
			 -EINVAL);
	assert_int_equal(
		ctl_format_request(out, sizeof(out), CTL_TEST, false, "caf\xc3\xa9.example.com"),
		-EINVAL);
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, "\x7f.example.com"),
			 -EINVAL);
	/* Too small a buffer. */
	assert_int_equal(ctl_format_request(out, 12, CTL_STATUS, false, NULL), -EINVAL);
	assert_int_equal(ctl_format_request(out, 1, CTL_STATUS, false, NULL), -EINVAL);
	/* Longer than a request may be: CTL_REQUEST_MAX bytes fit, one more does not. */
	char arg[CTL_REQUEST_MAX];
	memset(arg, 'a', sizeof(arg));
	arg[CTL_REQUEST_MAX - 11] = '\0'; /* "text test " + arg + "\n" = CTL_REQUEST_MAX */
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, arg),
			 CTL_REQUEST_MAX);
	arg[CTL_REQUEST_MAX - 11] = 'a';
	arg[CTL_REQUEST_MAX - 10] = '\0';
	assert_int_equal(ctl_format_request(out, sizeof(out), CTL_TEST, false, arg), -EINVAL);
}

static void expect_escape(const char *in, const char *want)
{
	char out[256];
	memset(out, 'x', sizeof(out));
	size_t n = ctl_json_escape(out, sizeof(out), in);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_json_escape(void **state)
{
	(void)state;
	expect_escape("", "");
	expect_escape("plain text 123", "plain text 123");
	expect_escape("a\"b", "a\\\"b");
	expect_escape("back\\slash", "back\\\\slash");
	expect_escape("\"\\\"", "\\\"\\\\\\\"");
	expect_escape("\n\r\t\x01\x1f", "\\u000a\\u000d\\u0009\\u0001\\u001f");
	expect_escape("\x7f", "\\u007f");
	expect_escape("caf\xc3\xa9", "caf\\u00c3\\u00a9");
	expect_escape("\x80\xff", "\\u0080\\u00ff");
	expect_escape("/ ' < > ~", "/ ' < > ~");

	/* Truncation: always NUL-terminated, the full length returned. */
	char out[16];
	memset(out, 'x', sizeof(out));
	assert_int_equal(ctl_json_escape(out, 4, "abc\"def"), 8);
	assert_string_equal(out, "abc");
	assert_int_equal(out[4], 'x');
	memset(out, 'x', sizeof(out));
	assert_int_equal(ctl_json_escape(out, 8, "\x01\x02"), 12);
	assert_string_equal(out, "\\u0001\\");
	memset(out, 'x', sizeof(out));
	assert_int_equal(ctl_json_escape(out, 1, "abc"), 3);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'x');
	/* Size 0: nothing written. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(ctl_json_escape(out, 0, "a\"b"), 4);
	assert_int_equal(out[0], 'x');
	/* Exactly enough room. */
	assert_int_equal(ctl_json_escape(out, 5, "a\"b"), 4);
	assert_string_equal(out, "a\\\"b");
	assert_int_equal(ctl_json_escape(out, 4, "a\"b"), 4);
	assert_string_equal(out, "a\\\"");

	/* Every byte value: the output is printable ASCII and as long as returned. */
	char in[256], big[256 * 6 + 1];
	for (int i = 1; i < 256; i++) {
		in[i - 1] = (char)i;
	}
	in[255] = '\0';
	size_t n = ctl_json_escape(big, sizeof(big), in);
	assert_int_equal(n, strlen(big));
	for (size_t i = 0; i < n; i++) {
		assert_true(big[i] >= 0x20 && big[i] <= 0x7e);
	}
	/* 0x01..0x1f and 0x7f..0xff six bytes each, '"' and '\\' two, the rest one. */
	assert_int_equal(n, 31 * 6 + 129 * 6 + 2 * 2 + (95 - 2));
}

/* Every prefix of a valid request: "read more" until the newline, never a crash. */
static void test_truncation(void **state)
{
	(void)state;
	static const char *const reqs[] = {
		"text status\n",	   "json stats\n",
		"text reload\n",	   "json clients\n",
		"text test Example.COM\n", "json test a.b.c.example.org.\n",
		"text status\nextra",
	};
	for (size_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		size_t len = strlen(reqs[k]);
		size_t line = (size_t)(strchr(reqs[k], '\n') - reqs[k]) + 1;
		for (size_t n = 0; n <= len; n++) {
			struct ctl_request req;
			const char *why;
			int rc = parse_n(reqs[k], n, &req, &why);
			assert_int_equal(rc, n < line ? 1 : 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_from_str),	 cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_incomplete), cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_format_roundtrip), cmocka_unit_test(test_format_refused),
		cmocka_unit_test(test_json_escape),	 cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
