/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the cmocka unit tests. */
#ifndef EMBARGO_TEST_H
#define EMBARGO_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Copy `len` bytes into a fresh heap block of exactly that size, so that ASan and valgrind catch
 * any read past the end of a parser's input. */
static inline uint8_t *test_exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	if (len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

/* Parse a hex string ("16 03 01" or "160301"; spaces ignored) into `out`; returns the length. */
static inline size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p != '\0'; p++) {
		int v;
		if (*p >= '0' && *p <= '9') {
			v = *p - '0';
		} else if (*p >= 'a' && *p <= 'f') {
			v = *p - 'a' + 10;
		} else if (*p >= 'A' && *p <= 'F') {
			v = *p - 'A' + 10;
		} else {
			continue;
		}
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

#endif
