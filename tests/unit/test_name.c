/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for name normalisation, validation, suffixes and escaping. */
#include <errno.h>

#include "test.h"

#include "embargo/name.h"

static void ok_text(const char *in, const char *want, unsigned labels)
{
	struct name n;
	assert_int_equal(name_from_text(&n, in, strlen(in)), 0);
	assert_string_equal(n.text, want);
	assert_int_equal(n.len, strlen(want));
	assert_int_equal(n.nlabels, labels);
}

static void bad_text(const char *in)
{
	struct name n;
	assert_int_equal(name_from_text(&n, in, strlen(in)), -EINVAL);
}

static void test_text_normalisation(void **state)
{
	ok_text("Example.COM", "example.com", 2);
	ok_text("example.com.", "example.com", 2);
	ok_text("Us.V27.DiStRiBuTeD.NET", "us.v27.distributed.net", 4);
	ok_text("_dmarc.example.com", "_dmarc.example.com", 3);
	ok_text("*.teams.microsoft.com", "*.teams.microsoft.com", 4);
	ok_text("localhost", "localhost", 1);
	ok_text("server4:443", "server4:443", 1);
	bad_text("");
	bad_text("a..b");
	bad_text(".a");
	bad_text("a b");
	bad_text("a\tb");
	bad_text("example.com..");
	bad_text("caf\xc3\xa9.example");
}

static void test_text_flags(void **state)
{
	struct name n;
	assert_int_equal(name_from_text(&n, "10.1.2.3", 8), 0);
	assert_true(n.flags & NAME_F_IP_LITERAL);
	assert_int_equal(name_from_text(&n, "10.1.2.300", 10), 0);
	assert_false(n.flags & NAME_F_IP_LITERAL);
	assert_int_equal(name_from_text(&n, "[2001:DB8::1]", 13), 0);
	assert_string_equal(n.text, "[2001:db8::1]");
	assert_true(n.flags & NAME_F_IP_LITERAL);
	assert_int_equal(name_from_text(&n, "[::g]", 5), -EINVAL);
	assert_int_equal(name_from_text(&n, "a+b.example", 11), 0);
	assert_true(n.flags & NAME_F_UNUSUAL);
	assert_int_equal(name_from_text(&n, ".", 1), 0);
	assert_true(n.flags & NAME_F_ROOT);
	assert_int_equal(n.nlabels, 0);
}

static void test_length_limits(void **state)
{
	char buf[300];
	struct name n;
	/* A 63-byte label is fine, 64 is not. */
	memset(buf, 'a', 63);
	memcpy(buf + 63, ".com", 4);
	assert_int_equal(name_from_text(&n, buf, 67), 0);
	memset(buf, 'a', 64);
	memcpy(buf + 64, ".com", 4);
	assert_int_equal(name_from_text(&n, buf, 68), -EINVAL);
	/* 253 bytes of text is the longest name; 254 is too long (with or without a dot). */
	for (size_t i = 0; i < 253; i++) {
		buf[i] = (i % 2 == 1) ? '.' : 'x';
	}
	assert_int_equal(name_from_text(&n, buf, 253), 0);
	assert_int_equal(n.nlabels, 127);
	buf[253] = '.';
	assert_int_equal(name_from_text(&n, buf, 254), 0);
	buf[253] = 'y';
	assert_int_equal(name_from_text(&n, buf, 254), -EINVAL);
}

static void test_labels(void **state)
{
	const uint8_t *labels[3] = {(const uint8_t *)"WwW", (const uint8_t *)"\x04\x05",
				    (const uint8_t *)"com"};
	const uint8_t lens[3] = {3, 2, 3};
	struct name n;
	assert_int_equal(name_from_labels(&n, labels, lens, 3), 0);
	assert_int_equal(n.len, 10);
	assert_memory_equal(n.text, "www.\x04\x05.com", 10);
	assert_true(n.flags & NAME_F_UNUSUAL);
	char esc[64];
	assert_int_equal(name_escape(&n, esc, sizeof(esc)), 16);
	assert_string_equal(esc, "www.\\x04\\x05.com");
	/* Truncated output is still terminated and reports the full length. */
	assert_int_equal(name_escape(&n, esc, 6), 16);
	assert_string_equal(esc, "www.\\");
	const uint8_t *dot[1] = {(const uint8_t *)"a.b"};
	const uint8_t dlen[1] = {3};
	assert_int_equal(name_from_labels(&n, dot, dlen, 1), -EINVAL);
	const uint8_t *nul[1] = {(const uint8_t *)"a\0b"};
	assert_int_equal(name_from_labels(&n, nul, dlen, 1), -EINVAL);
	assert_int_equal(name_from_labels(&n, NULL, NULL, 0), 0);
	assert_true(n.flags & NAME_F_ROOT);
	assert_int_equal(name_escape(&n, esc, sizeof(esc)), 1);
	assert_string_equal(esc, ".");
}

/* Every byte value inside a label, from the wire and as text, against the rules written out:
 * letters lowered, NUL and '.' refused in a wire label, only 0x21..0x7e in text, anything but
 * letters, digits, '-', '_' and '*' flagged unusual; an IPv4 literal only of digits and dots. */
static void test_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t label[3] = {'x', (uint8_t)c, 'Y'};
		const uint8_t *labels[2] = {label, (const uint8_t *)"example"};
		const uint8_t lens[2] = {3, 7};
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool plain = letter || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
		uint8_t lower = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : (uint8_t)c;
		struct name n;
		int rc = name_from_labels(&n, labels, lens, 2);
		if (c == 0 || c == '.') {
			assert_int_equal(rc, -EINVAL);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(n.len, 11);
			assert_int_equal((uint8_t)n.text[1], lower);
			assert_memory_equal(n.text + 2, "y.example", 10);
			assert_int_equal((n.flags & NAME_F_UNUSUAL) != 0, !plain);
		}
		char text[4] = {'x', (char)c, 'Y', '\0'};
		rc = name_from_text(&n, text, 3);
		if (c < 0x21 || c > 0x7e) {
			assert_int_equal(rc, -EINVAL);
		} else if (c == '.') {
			assert_int_equal(rc, 0);
			assert_int_equal(n.nlabels, 2);
			assert_string_equal(n.text, "x.y");
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(n.nlabels, 1);
			assert_int_equal((uint8_t)n.text[1], lower);
			assert_int_equal((n.flags & NAME_F_UNUSUAL) != 0, !plain);
		}
	}
	struct name n;
	assert_int_equal(name_from_text(&n, "1.2.3.4", 7), 0);
	assert_true(n.flags & NAME_F_IP_LITERAL);
	assert_int_equal(name_from_text(&n, "1.2.3.a", 7), 0);
	assert_false(n.flags & NAME_F_IP_LITERAL);
	assert_int_equal(name_from_text(&n, "1.2.3.4.5", 9), 0);
	assert_false(n.flags & NAME_F_IP_LITERAL);
	/* A label of exactly 63 bytes is the longest, in both forms. */
	char big[66];
	memset(big, 'A', 64);
	assert_int_equal(name_from_text(&n, big, 63), 0);
	assert_int_equal(n.text[62], 'a');
	assert_int_equal(name_from_text(&n, big, 64), -EINVAL);
	const uint8_t *bl[1] = {(const uint8_t *)big};
	const uint8_t bll[1] = {64};
	assert_int_equal(name_from_labels(&n, bl, bll, 1), -EINVAL);
}

static void test_suffix_and_subdomain(void **state)
{
	struct name n, d, s;
	name_from_text(&n, "dnl-01.geo.kaspersky.com", 24);
	assert_int_equal(name_suffix(&s, &n, 2), 0);
	assert_string_equal(s.text, "kaspersky.com");
	assert_int_equal(s.nlabels, 2);
	assert_int_equal(name_suffix(&s, &n, 4), 0);
	assert_string_equal(s.text, "dnl-01.geo.kaspersky.com");
	assert_int_equal(name_suffix(&s, &n, 5), -EINVAL);
	assert_int_equal(name_suffix(&s, &n, 0), -EINVAL);

	name_from_text(&d, "kaspersky.com", 13);
	assert_true(name_is_subdomain(&n, &d));
	assert_true(name_is_subdomain(&d, &d));
	name_from_text(&n, "notkaspersky.com", 16);
	assert_false(name_is_subdomain(&n, &d));
	name_from_text(&n, "kaspersky.com.evil.example", 26);
	assert_false(name_is_subdomain(&n, &d));
	name_from_text(&n, "com", 3);
	assert_false(name_is_subdomain(&n, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_normalisation),   cmocka_unit_test(test_text_flags),
		cmocka_unit_test(test_length_limits),	     cmocka_unit_test(test_labels),
		cmocka_unit_test(test_suffix_and_subdomain), cmocka_unit_test(test_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
